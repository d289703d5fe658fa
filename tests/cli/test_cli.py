"""The ``bpsim`` command line, run in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bpsim.cli.main import main
from bpsim.lessons.examples import EXAMPLES, find_example

SEED000 = find_example("worked-example").path  # type: ignore[union-attr]


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_examples_list_and_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["examples"], capsys)
    assert code == 0
    for example in EXAMPLES:
        assert example.name in out
    target = tmp_path / "xor.bpsim"
    code, _, _ = run(["examples", "xor", "--out", str(target)], capsys)
    assert code == 0 and json.loads(target.read_text())["name"].startswith("XOR")


def test_explain_json_has_the_seed_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["explain", str(SEED000), "--format", "json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert round(data["loss"], 6) == 0.184979
    assert data["activations"][0] == [[0.95, 0.06]]
    assert round(data["activations"][1][0][0], 5) == 0.53842
    assert round(data["activations"][2][0][0], 5) == 0.63371
    assert round(data["gradients"]["weights"][1][0][0], 6) == 0.072952
    assert round(data["parameters"]["weights"][1][0][0], 6) == 0.179270
    assert data["parameters"]["biases"][0] == [
        pytest.approx(0.05 - 0.01 * data["gradients"]["biases"][0][0])
    ]


def test_explain_markdown_reads_like_the_seed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["explain", str(SEED000)], capsys)
    assert code == 0
    assert "net_h1 = w1·x1 + w2·x2 + b1 = 0.1 × 0.95 + 0.15 × 0.06 + 0.05 = **0.154**" in out
    assert "∂E/∂w5 (h1 → y1) = 0.58371 × 0.232122 × 0.538424 = **0.072952**" in out
    assert "| w5 | 0.18 | 0.072952 | −0.01 × 0.072952 = −0.00072952 | 0.17927 |" in out
    for heading in ("## 1. Forward pass", "## 2. The loss", "## 3. Backward pass", "## 4. Update"):
        assert heading in out


def test_explain_html_is_a_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "step.html"
    code, _, _ = run(["explain", str(SEED000), "--format", "html", "--out", str(target)], capsys)
    text = target.read_text(encoding="utf-8")
    assert code == 0 and text.startswith("<!DOCTYPE html>") and "<table>" in text


def test_train_prints_one_line_per_epoch_and_saves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "trained.bpsim"
    code, out, _ = run(["train", str(SEED000), "--epochs", "3", "--save", str(out_file)], capsys)
    assert code == 0
    lines = out.strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1: training loss 0.184979")
    saved = json.loads(out_file.read_text())
    assert saved["state"]["epoch"] == 3 and len(saved["state"]["history"]["step_loss"]) == 3


def test_train_divergence_exits_3_and_still_saves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lesson = json.loads(SEED000.read_text())
    lesson["layers"][1]["activation"] = "linear"
    lesson["layers"][2]["activation"] = "linear"
    lesson["optimizer"]["learning_rate"] = 1e200
    bad = tmp_path / "wild.bpsim"
    bad.write_text(json.dumps(lesson))
    out_file = tmp_path / "last.bpsim"
    code, _, err = run(["train", str(bad), "--epochs", "50", "--save", str(out_file)], capsys)
    assert code == 3
    assert err.startswith("error:") and "diverged" in err and "learning rate" in err
    saved = out_file.read_text()
    assert "NaN" not in saved and "Infinity" not in saved


def test_check_passes_on_the_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("worked-example", "and", "xor", "tanh"):
        code, out, _ = run(["check", str(find_example(name).path)], capsys)  # type: ignore[union-attr]
        assert code == 0, out
        assert "passed" in out.splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["train", "missing.bpsim"], "missing.bpsim: no such file"),
        (["train", "{seed}", "--epochs", "zero"], "--epochs"),
        (["train", "{seed}", "--epochs", "0"], "at least 1"),
        (["explain", "{seed}", "--format", "pdf"], "--format"),
        (["examples", "nope"], "unknown example 'nope'"),
        (["train", "{bad}"], "layers[1].activation: unknown activation 'sigmoud'"),
        (["train", "{seed}", "--save", "/no/such/folder/x.bpsim"], "does not exist"),
        (["frobnicate", "x", "y"], "error"),
    ],
)
def test_bad_input_exits_2_with_one_error_line(
    args: list[str], needle: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lesson = json.loads(SEED000.read_text())
    lesson["layers"][1]["activation"] = "sigmoud"
    bad = tmp_path / "bad.bpsim"
    bad.write_text(json.dumps(lesson))
    args = [a.replace("{seed}", str(SEED000)).replace("{bad}", str(bad)) for a in args]
    code, out, err = run(args, capsys)
    assert code == 2
    assert err.startswith("error:") and needle in err
    assert "Traceback" not in err and err.count("\n") == 1
    assert out == ""


def test_subprocess_has_no_traceback_and_no_qt_on_the_headless_path(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    code = (
        "import sys; from bpsim.cli.main import main; rc = main(['train', sys.argv[1], "
        "'--epochs', '2']); "
        "assert not any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules), "
        "'Qt was imported'; sys.exit(rc)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(SEED000)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "bpsim", "train", str(tmp_path / "nope.bpsim")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith("error:") and "Traceback" not in bad.stderr
