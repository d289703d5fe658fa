"""Paths that are not what they seem: FIFOs, devices, read-only files, long names, stale
temporary files, and an output pointed at the lesson itself."""

from __future__ import annotations

import fcntl
import os
import stat
from pathlib import Path

import pytest
from hostile_helpers import assert_clean, bpsim, lesson, write_lesson

from bpsim.datasets import DatasetError, load_csv
from bpsim.datasets.system import NotRegularFile, open_regular
from bpsim.fileformat import LessonFileError, load_lesson
from bpsim.fileformat.atomic import UnsafeTarget, atomic_write_bytes, temp_prefix
from bpsim.lessons.files import save_trainer, trainer_from_lesson_file


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.bpsim"
    os.mkfifo(path)
    return path


def test_a_fifo_as_file_is_refused_at_once(tmp_path: Path, fifo: Path) -> None:
    for command in ("train", "explain", "check"):
        run = bpsim(command, str(fifo), cwd=tmp_path)
        assert_clean(run, 2)
        assert run.err == f"error: {fifo}: is a FIFO (named pipe), not a regular file\n"


def test_a_fifo_as_the_csv_is_refused_at_once(tmp_path: Path, fifo: Path) -> None:
    doc = lesson(dataset={"csv": fifo.name, "inputs": [0, 1], "targets": [2]})
    path = write_lesson(tmp_path / "csv.bpsim", doc)
    run = bpsim("train", str(path), cwd=tmp_path)
    assert_clean(run, 2)
    assert "csv.bpsim: dataset.csv:" in run.err and "is a FIFO (named pipe)" in run.err
    with pytest.raises(DatasetError, match="FIFO"):
        load_csv(fifo, [0], [1])


def test_open_regular_never_opens_a_fifo_for_reading(fifo: Path) -> None:
    with pytest.raises(NotRegularFile):
        open_regular(fifo)  # no writer: a plain open() would wait here forever
    with pytest.raises(NotRegularFile, match="character device"):
        open_regular("/dev/null")
    with pytest.raises(LessonFileError, match="is a character device"):
        load_lesson("/dev/zero")  # would never end


def test_save_never_replaces_a_device_or_a_fifo(tmp_path: Path, fifo: Path) -> None:
    trainer_file = write_lesson(tmp_path / "a.bpsim", lesson())
    targets = [fifo, Path("/dev/null")]
    if os.geteuid() == 0:  # a clone of /dev/null, as the sweep made one
        clone = tmp_path / "null"
        os.mknod(clone, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        targets.append(clone)
    for target in targets:
        before = os.stat(target)
        run = bpsim(
            "train", str(trainer_file), "--epochs", "1", "--save", str(target), cwd=tmp_path
        )
        assert_clean(run, 2)
        assert "bpsim writes only to regular files" in run.err
        after = os.stat(target)
        assert (after.st_mode, after.st_ino, after.st_rdev) == (
            before.st_mode,
            before.st_ino,
            before.st_rdev,
        )
        with pytest.raises(UnsafeTarget, match="bpsim replaces only regular files"):
            atomic_write_bytes(target, b"x")  # the library refuses it too
    assert not [p for p in tmp_path.iterdir() if p.suffix == ".tmp"]


def test_a_read_only_target_is_refused(tmp_path: Path) -> None:
    source = write_lesson(tmp_path / "a.bpsim", lesson())
    target = tmp_path / "kept.bpsim"
    target.write_text("precious", encoding="utf-8")
    target.chmod(0o444)
    run = bpsim("train", str(source), "--epochs", "1", "--save", str(target), cwd=tmp_path)
    assert_clean(run, 2)
    assert run.err == f"error: {target}: the file is read-only; give another name\n"
    assert target.read_text(encoding="utf-8") == "precious"
    trainer = trainer_from_lesson_file(source)
    with pytest.raises(LessonFileError, match="read-only"):
        save_trainer(trainer, target)


def test_a_legal_250_byte_name_saves_and_a_256_byte_one_is_named(tmp_path: Path) -> None:
    source = write_lesson(tmp_path / "a.bpsim", lesson())
    name = "n" * 244 + ".bpsim"  # 250 bytes
    run = bpsim("train", str(source), "--epochs", "1", "--save", name, cwd=tmp_path)
    assert_clean(run, 0)
    assert trainer_from_lesson_file(tmp_path / name).epoch == 1
    too_long = "é" * 125 + ".bpsim"  # 256 bytes in UTF-8
    for args in (
        ("train", str(source), "--save", too_long),
        ("explain", str(source), "--out", too_long),
        ("train", too_long),
    ):
        run = bpsim(*args, cwd=tmp_path)
        assert_clean(run, 2)
        assert "is 256 bytes long; file systems take at most 255" in run.err
    assert len(os.fsencode(temp_prefix(name))) + 12 <= 255


def test_stale_temporary_files_are_cleaned_but_not_a_live_one(tmp_path: Path) -> None:
    target = tmp_path / "lesson.bpsim"
    prefix = temp_prefix(target.name)
    stale = tmp_path / f"{prefix}abcd1234.tmp"  # what kill -9 mid-save leaves
    stale.write_bytes(b"half a lesson")
    live = tmp_path / f"{prefix}live5678.tmp"  # another process is saving right now
    live.write_bytes(b"being written")
    other = tmp_path / ".notes.txt.abcd1234.tmp"  # not ours to judge
    other.write_bytes(b"x")
    with open(live, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        atomic_write_bytes(target, b"{}")
        assert target.read_bytes() == b"{}"
        assert not stale.exists() and live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [target.name, live.name, other.name]
    )


def test_explain_out_never_replaces_a_lesson(tmp_path: Path) -> None:
    source = write_lesson(tmp_path / "a.bpsim", lesson())
    other = write_lesson(tmp_path / "b.bpsim", lesson(name="another"))
    before = source.read_bytes(), other.read_bytes()
    run = bpsim("explain", str(source), "--out", str(source), cwd=tmp_path)
    assert_clean(run, 2)
    assert "is the lesson being read" in run.err
    link = tmp_path / "link.md"
    link.symlink_to(source)  # the same file under another name
    assert (
        "is the lesson being read"
        in bpsim("explain", "a.bpsim", "--out", "link.md", cwd=tmp_path).err
    )
    run = bpsim("explain", str(source), "--out", str(other), cwd=tmp_path)
    assert_clean(run, 2)
    assert "b.bpsim: is a bpsim lesson; writing there would replace it" in run.err
    assert (source.read_bytes(), other.read_bytes()) == before
    assert_clean(bpsim("explain", str(source), "--out", "step.md", cwd=tmp_path), 0)
    assert (tmp_path / "step.md").read_text(encoding="utf-8").startswith("# ")
