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
