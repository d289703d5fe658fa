"""Opening and saving lessons as trainers: the file format and the engine together.

Both the command line and the window go through here, so a file that loads in one loads
in the other, and a training state that does not fit its lesson is refused with the same
message naming ``state.…`` in the file.
"""

from __future__ import annotations

from pathlib import Path

from bpsim.core.state import StateError
from bpsim.core.trainer import Trainer
from bpsim.fileformat import LessonFileError, load_lesson, parse_lesson, save_lesson


def resolve_source(source: str | Path) -> Path:
    """The file a user means by ``source``: a built-in lesson's name (``xor``), or a path.

    A name wins only when no file of that name exists, so ``bpsim xor`` opens the built-in
    lesson while ``bpsim ./xor`` (or a file called ``xor`` in the folder) opens the file.
    """
    from bpsim.lessons.examples import find_example

    path = Path(source)
    if not path.exists() and isinstance(source, str):
        example = find_example(source)
        if example is not None:
            return example.path
    return path


def open_lesson(source: str | Path) -> Trainer:
    """THE opener of lessons, for the command line and the window alike: a built-in
    lesson's name or a `.bpsim` path, loaded, checked and made a trainer.

    Raises :class:`LessonFileError` naming the file and the place of any problem.
    """
    return trainer_from_lesson_file(resolve_source(source))


def trainer_from_lesson_file(path: str | Path) -> Trainer:
    """Load a `.bpsim` file and build its trainer; :class:`LessonFileError` on any problem."""
    lesson = load_lesson(path)
    try:
        return Trainer(lesson)
    except StateError as error:
        raise LessonFileError(error.message, place=error.place, path=Path(path)) from None


def trainer_from_text(text: str, *, path: Path | None = None) -> Trainer:
    """Build a trainer from a lesson's JSON text (for tests and examples)."""
    lesson = parse_lesson(text, path=path)
    try:
        return Trainer(lesson)
    except StateError as error:
        raise LessonFileError(error.message, place=error.place, path=path) from None


def save_trainer(trainer: Trainer, path: str | Path) -> None:
    """Write the lesson as it stands (parameters, settings and training state), atomically."""
    save_lesson(trainer.to_lesson(), path)
