"""Handouts: the step on screen as a worked example (Markdown, HTML, PDF) with a picture of
the network, and the parameters as JSON / NumPy / PyTorch — written without moving the
lesson on screen."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import numpy as np
import pytest
from bpsim.resources import resource
from gui_helpers import open_window, step
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from bpsim.core.trainer import Phase
from bpsim.gui import MainWindow
from bpsim.text import fmt

TIMEOUT = 5000


@pytest.fixture
def window(qtbot: QtBot) -> MainWindow:
    return open_window(qtbot, animate=False, size=(1280, 860))


def test_the_step_just_done_as_markdown_with_a_picture(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    step(qtbot, window, "forward", "backward", "update")
    trainer = window.session.trainer
    before = (trainer.network.flat.copy(), trainer.step_count, trainer.phase)
    with qtbot.waitSignal(window.teaching.exporter.message, timeout=TIMEOUT) as told:
        written = window.teaching.exporter.export_worked_example(tmp_path / "step.md", "markdown")
    assert "step 1, the step just done" in told.args[0]
    assert written == [tmp_path / "step.md", tmp_path / "step-network.png"]
    text = (tmp_path / "step.md").read_text(encoding="utf-8")
    # the seeds' order: forward, loss, backward, update, with every number of step 1
    order = [text.index(h) for h in ("## 1. Forward", "## 2. The loss", "## 3. Backward", "## 4.")]
    assert order == sorted(order)
    assert "![The network](step-network.png)" in text
    assert "**0.538424**" in text  # out_h1
    assert "**0.184979**" in text  # the loss
    assert "0.58371 × 0.232122 × 0.538424 = **0.072952**" in text  # ∂E/∂w5
    assert "| w5 | 0.18 | 0.072952 | −0.01 × 0.072952 = −0.00072952 | 0.17927 |" in text
    picture = QImage(str(tmp_path / "step-network.png"))
    assert not picture.isNull() and picture.width() >= 1000
    # the lesson on screen did not move
    assert np.array_equal(trainer.network.flat, before[0])
    assert (trainer.step_count, trainer.phase) == before[1:]


def test_html_and_pdf_carry_the_picture_and_a_step_under_way(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    step(qtbot, window, "step", "forward")  # step 2, under way
    exporter = window.teaching.exporter
    trace_loss = window.session.trainer.trace.loss
    (page,) = exporter.export_worked_example(tmp_path / "step.html", "html")
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert 'src="data:image/png;base64,' in html  # one self-contained file
    assert "Step 2 of training." in html
    assert f"<strong>{fmt(trace_loss)}</strong>" in html  # the same pass as on screen
    (pdf,) = exporter.export_worked_example(tmp_path / "step.pdf", "pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 20_000  # text and the picture
    assert window.session.trainer.phase is Phase.FORWARDED


def test_parameters_as_json_numpy_and_pytorch(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    step(qtbot, window, "step")
    exporter = window.teaching.exporter
    assert exporter.export_parameters(tmp_path / "p.json", "json")
    data = json.loads((tmp_path / "p.json").read_text(encoding="utf-8"))
    weights = window.session.trainer.network.weights
    assert data["parameters"]["weights"][1][0][0] == weights[1][0, 0]  # exact
    assert exporter.export_parameters(tmp_path / "p_numpy.py", "numpy")
    assert "import numpy as np" in (tmp_path / "p_numpy.py").read_text(encoding="utf-8")
    assert exporter.export_parameters(tmp_path / "p_torch.py", "pytorch")
    assert "import torch" in (tmp_path / "p_torch.py").read_text(encoding="utf-8")


def test_a_problem_names_the_file_and_the_menu_opens_a_dialog_that_does_not_block(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    exporter = window.teaching.exporter
    with qtbot.waitSignal(exporter.problem, timeout=TIMEOUT) as told:
        written = exporter.export_worked_example(tmp_path / "missing" / "x.md", "markdown")
    assert written == [] and "x" in told.args[0]
    assert window.banner.isVisible()

    window.findChild(QAction, "export_html").trigger()  # File ▸ Export ▸ …HTML…
    dialog = window.findChild(QFileDialog, "export_dialog")
    assert dialog is not None and dialog.isVisible()
    target = tmp_path / "chosen.html"
    with qtbot.waitSignal(exporter.message, timeout=TIMEOUT):
        dialog.fileSelected.emit(str(target))
    dialog.reject()
    assert target.exists()


def pdf_pages(data: bytes) -> int:
    """The page count of a PDF Qt wrote (its page tree's /Count)."""
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    if not counts:
        counts = [int(n) for n in re.findall(rb"/Count\s+(\d+)", data)]
    assert counts, "no page tree in the PDF"
    return max(counts)


def visible_text(page: str) -> str:
    body = page.split("<body>", 1)[1]
    return html.unescape(re.sub(r"<[^>]+>", "", body))


def test_the_digits_handout_is_summarised_per_layer_and_fits_four_pages(
    qtbot: QtBot, tmp_path: Path
) -> None:
    win = MainWindow(str(resource("examples", "06_digits.bpsim")))
    qtbot.addWidget(win, before_close_func=lambda w: w.setWindowModified(False))
    win.resize(1280, 860)
    win.show()
    qtbot.waitExposed(win)
    win.teaching.animation.set_enabled(False)
    step(qtbot, win, "forward", "backward")
    exporter = win.teaching.exporter
    (page,) = exporter.export_worked_example(tmp_path / "digits.html", "html")
    text = visible_text(page.read_text(encoding="utf-8"))
    assert "The other 19 neurons work the same way" in text
    assert "^" not in text and "*" not in text  # no raw markup
    (pdf,) = exporter.export_worked_example(tmp_path / "digits.pdf", "pdf")
    assert 1 <= pdf_pages(pdf.read_bytes()) <= 4  # it was 33


def test_the_seed_handout_reads_like_the_seed_with_real_exponents(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    step(qtbot, window, "forward", "backward")
    exporter = window.teaching.exporter
    (page,) = exporter.export_worked_example(tmp_path / "seed.html", "html")
    source = page.read_text(encoding="utf-8")
    assert "border-top" in source and "1 + e<sup>−0.154</sup>" in source  # a stacked fraction
    assert "<em>Backward</em>" in source  # the lesson's *emphasis*, typeset
    text = visible_text(source)
    assert "^" not in text and "*" not in text
    (pdf,) = exporter.export_worked_example(tmp_path / "seed.pdf", "pdf")
    assert pdf_pages(pdf.read_bytes()) <= 4
