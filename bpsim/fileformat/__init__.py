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
from bpsim.fileformat.atomic import UnsafeTarget, atomic_write_bytes
from bpsim.fileformat.errors import LessonFileError
from bpsim.fileformat.jsonio import MAX_FILE_BYTES, decode, dumps, loads, read_file_bytes
from bpsim.fileformat.prescan import prescan
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
            data = bytes(data)
            prescan(data)  # a big file's structure first: a small file may ask for gigabytes
            document: object = loads(decode(data))
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

    A lesson that cannot be written exactly (NaN, infinity), or that bpsim could not open
    again (larger than a lesson file may be), raises :class:`LessonFileError` before the
    disk is touched; a failing disk or a target that is not a regular file raises
    :class:`LessonFileError` too, with the OS error as its cause.
    """
    path = Path(path)
    data = dumps_lesson(lesson, path=path).encode("utf-8")
    check_loadable(data, path)
    try:
        atomic_write_bytes(path, data)
    except UnsafeTarget as error:
        raise LessonFileError(str(error.strerror), path=path) from error
    except OSError as error:
        reason = error.strerror or str(error)
        raise LessonFileError(f"cannot save the file: {reason}", path=path) from error


#: Files up to this size are parsed again before they are written (a few milliseconds).
VERIFY_BYTES = 32 * 2**20


def check_loadable(data: bytes, path: Path | None = None) -> None:
    """Refuse to write what bpsim would refuse to read: whatever bpsim saves, it can open."""
    try:
        if len(data) > MAX_FILE_BYTES:
            raise LessonFileError(
                f"the lesson would be a {len(data) / 2**20:,.0f} MB file; bpsim opens "
                f"files of at most {MAX_FILE_BYTES // 2**20:,} MB"
            )
        prescan(data)
        if len(data) <= VERIFY_BYTES:
            loads(decode(data))
    except LessonFileError as error:
        raise error.with_path(path) from None
