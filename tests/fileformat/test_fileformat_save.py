"""Atomic saving: the old file survives every failure and no temporary file is left behind."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from fileformat_helpers import EXAMPLE_TEXT, assert_same_lesson

from bpsim.core.spec import Lesson
from bpsim.fileformat import LessonFileError, atomic, load_lesson, parse_lesson, save_lesson

OLD = b'{"old": "content"}\n'


def lesson() -> Lesson:
    return parse_lesson(EXAMPLE_TEXT)


def only_file(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.fixture
def target(tmp_path: Path) -> Path:
    path = tmp_path / "lesson.bpsim"
    path.write_bytes(OLD)
    return path


def test_save_replaces_the_file(target: Path) -> None:
    save_lesson(lesson(), target)
    assert_same_lesson(lesson(), load_lesson(target))
    assert only_file(target.parent) == ["lesson.bpsim"]


def test_save_keeps_permissions(target: Path) -> None:
    os.chmod(target, 0o640)
    save_lesson(lesson(), target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640


def test_new_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        path = tmp_path / "new.bpsim"
        save_lesson(lesson(), path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    finally:
        os.umask(old)


def test_replace_failing_leaves_old_file(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(LessonFileError) as info:
        save_lesson(lesson(), target)
    assert info.value.path == target
    assert "cannot save the file: Invalid cross-device link" in str(info.value)
    assert isinstance(info.value.__cause__, OSError)
    assert target.read_bytes() == OLD
    assert only_file(target.parent) == ["lesson.bpsim"]


def test_disk_full_midway_leaves_old_file(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fdopen = os.fdopen

    class HalfWriter:
        """Writes half of what it is given, then fails like a full disk."""

        def __init__(self, stream: Any) -> None:
            self.stream = stream

        def write(self, data: bytes) -> int:
            self.stream.write(data[: len(data) // 2])
            self.stream.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

        def __getattr__(self, name: str) -> Any:
            return getattr(self.stream, name)

        def __enter__(self) -> HalfWriter:
            return self

        def __exit__(self, *exc: object) -> None:
            self.stream.close()

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    with pytest.raises(LessonFileError, match="No space left on device"):
        save_lesson(lesson(), target)
    assert target.read_bytes() == OLD
    assert only_file(target.parent) == ["lesson.bpsim"]


def test_fsync_failing_leaves_old_file(target: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(atomic.os, "fsync", broken_fsync)
    with pytest.raises(LessonFileError, match="Input/output error"):
        save_lesson(lesson(), target)
    assert target.read_bytes() == OLD
    assert only_file(target.parent) == ["lesson.bpsim"]


def test_interrupt_midway_cleans_up_and_propagates(
    target: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_lesson(lesson(), target)
    assert target.read_bytes() == OLD
    assert only_file(target.parent) == ["lesson.bpsim"]


def test_unwritable_lesson_never_touches_the_disk(target: Path) -> None:
    bad = lesson()
    assert bad.parameters is not None
    bad.parameters.weights[0][0, 0] = float("nan")
    with pytest.raises(LessonFileError) as info:
        save_lesson(bad, target)
    assert info.value.place == "parameters.weights[0][0][0]"
    assert target.read_bytes() == OLD
    assert only_file(target.parent) == ["lesson.bpsim"]


def test_missing_folder_is_a_lesson_file_error(tmp_path: Path) -> None:
    with pytest.raises(LessonFileError, match="cannot save the file"):
        save_lesson(lesson(), tmp_path / "no" / "such" / "lesson.bpsim")


def test_symlink_is_kept_and_its_target_replaced(tmp_path: Path) -> None:
    real = tmp_path / "real.bpsim"
    real.write_bytes(OLD)
    link = tmp_path / "link.bpsim"
    link.symlink_to(real)
    save_lesson(lesson(), link)
    assert link.is_symlink()
    assert_same_lesson(lesson(), load_lesson(real))
