"""Reading and writing `.bpsim` lesson files (format version 1, see the shared spec).

Loading is all or nothing: a file that breaks any rule raises one
:class:`LessonFileError` naming the file, the place and what was expected, and nothing
is half-loaded. Saving writes floats so that every bit reads back, and replaces the file
atomically so a crash cannot destroy the old one.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bpsim.core.spec import Lesson
from bpsim.fileformat.atomic import atomic_write_bytes
from bpsim.fileformat.errors import LessonFileError
from bpsim.fileformat.jsonio import decode, dumps, loads, read_file_bytes
from bpsim.fileformat.serialize import lesson_to_dict
from bpsim.fileformat.validate import lesson_from_data

__all__ = [
    "LessonFileError",
    "dumps_lesson",
    "lesson_to_dict",
    "load_lesson",
    "parse_lesson",
    "save_lesson",
]


def load_lesson(path: str | Path) -> Lesson:
    """Read, parse and check the lesson file at ``path``."""
    path = Path(path)
    try:
        data = read_file_bytes(path)
    except LessonFileError as error:
        raise error.with_path(path) from error.__cause__
    return parse_lesson(data, path=path)


def parse_lesson(data: str | bytes | Mapping[str, object], *, path: Path | None = None) -> Lesson:
    """Check ``data`` (file text, file bytes, or already-parsed JSON) and build its Lesson.

    ``path`` names the file in messages, and its folder is where csv paths point (the
    working folder when there is none).
    """
    path = None if path is None else Path(path)
    try:
        if isinstance(data, bytes | bytearray | memoryview):
            document: object = loads(decode(bytes(data)))
        elif isinstance(data, str):
            document = loads(data)
        else:
            document = data
        folder = path.parent if path is not None else Path.cwd()
        return lesson_from_data(document, folder)
    except LessonFileError as error:
        raise error.with_path(path) from None
    except RecursionError:
        raise LessonFileError("the file is nested too deeply to read", path=path) from None


def dumps_lesson(lesson: Lesson, *, path: Path | None = None) -> str:
    """The `.bpsim` text of ``lesson`` (``path``: where it will be written, for csv paths)."""
    path = None if path is None else Path(path)
    try:
        return dumps(lesson_to_dict(lesson, path=path))
    except LessonFileError as error:
        raise error.with_path(path) from None


def save_lesson(lesson: Lesson, path: str | Path) -> None:
    """Write ``lesson`` to ``path`` atomically: the old file survives any failure.

    A lesson that cannot be written exactly (NaN, infinity) raises :class:`LessonFileError`
    before the disk is touched; a failing disk raises :class:`LessonFileError` too, with
    the OS error as its cause.
    """
    path = Path(path)
    data = dumps_lesson(lesson, path=path).encode("utf-8")
    try:
        atomic_write_bytes(path, data)
    except OSError as error:
        reason = error.strerror or str(error)
        raise LessonFileError(f"cannot save the file: {reason}", path=path) from error
