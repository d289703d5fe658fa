"""Text that could take over the terminal, numbers in foreign spellings, and output streams
that close, fill up or cannot encode the mathematics."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_helpers import SECONDS, assert_clean, bpsim, lesson, write_lesson

from bpsim.cli.output import ascii_form
from bpsim.fileformat.errors import escape
from bpsim.lessons.files import trainer_from_lesson_file

NASTY = "x\x1b[2Jy\rz\u2028w"  # clears the screen, returns the cursor, breaks the line


def test_escape_makes_one_visible_line() -> None:
    assert escape(NASTY + "\n\ud800") == "x\\x1b[2Jy\\rz\\u2028w\\n\\ud800"
    assert escape("∂E/∂w₁ ≥ 0 — σ") == "∂E/∂w₁ ≥ 0 — σ"  # the mathematics stays


def test_control_characters_in_a_file_name_are_escaped(tmp_path: Path) -> None:
    path = tmp_path / f"{NASTY}\n.bpsim"
    path.write_text("{", encoding="utf-8")
    run = bpsim("train", path.name, cwd=tmp_path)
    assert_clean(run, 2)
    assert run.err.startswith("error: x\\x1b[2Jy\\rz\\u2028w\\n.bpsim: line 1, column 2")


def test_control_characters_in_a_key_are_escaped(tmp_path: Path) -> None:
    doc = lesson()
    doc[NASTY] = 1
    run = bpsim("train", str(write_lesson(tmp_path / "key.bpsim", doc)), cwd=tmp_path)
    assert_clean(run, 2)
    assert "unknown key 'x\\x1b[2Jy\\rz\\u2028w'" in run.err


@pytest.mark.parametrize("place", ["name", "description", "label"])
def test_a_lone_surrogate_is_refused_naming_its_place(tmp_path: Path, place: str) -> None:
    doc = lesson()
    if place == "label":
        doc["layers"] = [{"size": 2, "labels": ["x1", "\ud800"]}, {"size": 2}, {"size": 1}]
        where = "layers[0].labels[1]"
    else:
        doc[place] = "half \udfff a character"
        where = place
    path = tmp_path / "half.bpsim"
    path.write_text(json.dumps(doc), encoding="ascii")  # json escapes it: \ud800
    for command in ("explain", "train"):
        run = bpsim(
            command,
            str(path),
            "--save" if command == "train" else "--format",
            "out.bpsim" if command == "train" else "json",
            cwd=tmp_path,
        )
        assert_clean(run, 2)
        assert f"half.bpsim: {where}: the text holds half a character" in run.err
    assert not (tmp_path / "out.bpsim").exists()


@pytest.mark.parametrize("cell", ["1_000", "１２", "٣", "0x1"])
def test_csv_cells_follow_the_one_number_grammar(tmp_path: Path, cell: str) -> None:
    (tmp_path / "d.csv").write_text(f"a,b,c\n0,0,0\n1,{cell},1\n", encoding="utf-8")
    doc = lesson(dataset={"csv": "d.csv", "inputs": ["a", "b"], "targets": ["c"]})
    run = bpsim("train", str(write_lesson(tmp_path / "c.bpsim", doc)), cwd=tmp_path)
    assert_clean(run, 2)
    assert f"c.bpsim: dataset (row 3, column 'b'): '{cell}' is not a number" in run.err


def test_the_decimal_comma_is_a_number_in_a_csv_cell_too(tmp_path: Path) -> None:
    (tmp_path / "d.csv").write_text('a,b,c\n0,"0,5",0\n1,−1,1\n', encoding="utf-8")
    doc = lesson(dataset={"csv": "d.csv", "inputs": ["a", "b"], "targets": ["c"]})
    trainer = trainer_from_lesson_file(write_lesson(tmp_path / "c.bpsim", doc))
    assert trainer.inputs[:, 1].tolist() == [0.5, -1.0]


def test_a_closed_pipe_ends_quietly_and_the_run_is_saved(tmp_path: Path) -> None:
    source = write_lesson(tmp_path / "a.bpsim", lesson())
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bpsim",
            "train",
            str(source),
            "--epochs",
            "3000",
            "--save",
            "out.bpsim",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # | head -1
    process.stdout.close()
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=SECONDS) == 0
    assert first.startswith(b"epoch 1: training loss")
    assert err == b""  # no BrokenPipeError, no "Exception ignored"
    assert trainer_from_lesson_file(tmp_path / "out.bpsim").epoch == 3000


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_device_is_one_error_line(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        for args in (("explain", "xor"), ("examples",), ("train", "xor", "--epochs", "2")):
            run = bpsim(*args, cwd=tmp_path, stdout=full.fileno())
            assert_clean(run, 2)
            assert run.err == (
                "error: cannot write to the standard output: No space left on device\n"
            )


def test_a_cp1252_console_gets_plain_spellings(tmp_path: Path) -> None:
    run = bpsim("explain", "worked-example", cwd=tmp_path, env={"PYTHONIOENCODING": "cp1252"})
    assert_clean(run, 0)
    assert "dE/dw5 (h1 -> y1) = 0.58371 x 0.232122 x 0.538424 = **0.072952**" in run.out
    run = bpsim("check", "and", cwd=tmp_path, env={"PYTHONIOENCODING": "cp1252"})
    assert_clean(run, 0)
    assert ascii_form("σ(z₁) − ∂", "cp1252") == "sigma(z1) - d"


def test_without_a_display_the_window_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    for args in ((), ("missing.bpsim",), ("xor",), ("--present", "xor")):
        started = subprocess.run(
            [
                sys.executable,
                "-m",
                "bpsim",
                *args,
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=SECONDS,
        )
        assert started.returncode == 2
        assert started.stderr.startswith("error: no display found")
        assert len(started.stderr.splitlines()) == 1


def test_version_and_built_in_names(tmp_path: Path) -> None:
    from bpsim import __version__

    run = bpsim("--version", cwd=tmp_path)
    assert_clean(run, 0)
    assert run.out == f"bpsim {__version__}\n"
    for command in ("train", "explain", "check"):
        assert_clean(bpsim(command, "xor", cwd=tmp_path), 0)
    run = bpsim("train", "no-such-lesson", cwd=tmp_path)
    assert_clean(run, 2)
    assert "no such file, nor a built-in lesson of that name" in run.err


def test_off_a_terminal_train_prints_about_ten_lines_a_second_and_the_last(tmp_path: Path) -> None:
    source = write_lesson(tmp_path / "a.bpsim", lesson())
    run = bpsim("train", str(source), "--epochs", "8000", cwd=tmp_path)
    assert_clean(run, 0)
    lines = run.out.splitlines()
    assert len(lines) <= 10 + 10 * run.seconds + 1
    assert lines[0].startswith("epoch 1: ") and lines[-1].startswith("epoch 8000: ")
    quiet = bpsim("train", str(source), "--epochs", "50", "--quiet", cwd=tmp_path)
    assert quiet.out.splitlines() == [quiet.out.splitlines()[-1]]
    assert quiet.out.startswith("epoch 50: ")


def test_closed_standard_streams_lose_nothing(tmp_path: Path) -> None:
    source = write_lesson(tmp_path / "a.bpsim", lesson())
    done = subprocess.run(
        f"'{sys.executable}' -m bpsim train '{source}' --epochs 3 --save out.bpsim >&- 2>&-",
        shell=True,
        cwd=tmp_path,
        timeout=SECONDS,
    )
    assert done.returncode == 0
    assert trainer_from_lesson_file(tmp_path / "out.bpsim").epoch == 3
