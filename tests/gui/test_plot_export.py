"""Every plot saves as a PNG picture, an SVG drawing and a CSV of its numbers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from bpsim.gui.export.plot_export import ExportButton, ExportError, export_plot, plot_rows
from bpsim.gui.panels.loss_plot import LossPlot
from bpsim.gui.state.session import Session


@pytest.fixture
def plot(qtbot) -> pg.PlotWidget:
    widget = pg.PlotWidget(background="w")
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    curve = widget.plot([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    curve.export_name = "line"
    scatter = pg.ScatterPlotItem(x=[0.5], y=[0.25])
    scatter.export_name = "dot"
    widget.addItem(scatter)
    image = pg.ImageItem(np.arange(6.0).reshape(2, 3), axisOrder="row-major")
    image.setRect(QRectF(0, 0, 3, 2))
    image.export_name = "map"
    widget.addItem(image)
    hidden = widget.plot([9.0], [9.0])
    hidden.hide()
    return widget


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_png_svg_csv(plot: pg.PlotWidget, tmp_path: Path) -> None:
    png = export_plot(plot, tmp_path / "p.png")
    image = QImage(str(png))
    assert not image.isNull()
    assert image.width() >= 2 * 300  # drawn at twice the size on screen
    svg = export_plot(plot, tmp_path / "p.svg")
    text = svg.read_text(encoding="utf-8")
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    rows = read_csv(export_plot(plot, tmp_path / "p.csv"))
    assert rows[0] == ["series", "x", "y", "value"]
    assert ["line", "2.0", "5.0", ""] in rows
    assert ["dot", "0.5", "0.25", ""] in rows
    # image cells: centres and values, row by row
    assert ["map", "0.5", "0.5", "0.0"] in rows and ["map", "2.5", "1.5", "5.0"] in rows
    assert not any(r[1:3] == ["9.0", "9.0"] for r in rows)  # hidden items are left out


def test_export_grid_and_data_providers_win(plot: pg.PlotWidget) -> None:
    image = next(i for i in plot.getPlotItem().items if isinstance(i, pg.ImageItem))
    image.export_grid = (np.array([10.0, 20.0]), np.array([1.0]), np.array([[7.0, 8.0]]))
    curve = plot.getPlotItem().listDataItems()[0]
    curve.export_data = lambda: (np.array([1.0]), np.array([100.0]))
    rows = plot_rows(plot)
    assert ["map", "20.0", "1.0", "8.0"] in rows
    assert ["line", "1.0", "100.0", ""] in rows and ["line", "2.0", "5.0", ""] not in rows


def test_bad_places_are_refused_with_the_file_named(plot: pg.PlotWidget, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_plot(plot, tmp_path / "missing" / "p.png")
    with pytest.raises(ExportError, match=r"p\.txt: use a \.png, \.svg or \.csv"):
        export_plot(plot, tmp_path / "p.txt")


def test_export_button_menu_and_dialog(qtbot, plot: pg.PlotWidget, tmp_path: Path) -> None:
    button = ExportButton(plot, "demo", "demo")
    qtbot.addWidget(button)
    names = {a.objectName() for a in button.menu().actions()}
    assert names == {"demo_export_png", "demo_export_svg", "demo_export_csv"}
    assert all(a.toolTip() and a.statusTip() for a in button.menu().actions())
    button.folder = tmp_path
    button.actions_by_format["csv"].trigger()
    dialog = button.last_dialog
    assert isinstance(dialog, QFileDialog) and dialog.isVisible()  # open(): not blocking
    with qtbot.waitSignal(button.exported) as saved:
        dialog.fileSelected.emit(str(tmp_path / "chosen"))
    assert saved.args == [str(tmp_path / "chosen.csv")]
    assert (tmp_path / "chosen.csv").is_file()
    dialog.reject()
    with qtbot.waitSignal(button.failed) as failed:
        assert not button.save(tmp_path / "nowhere" / "x.png")
    assert "does not exist" in failed.args[0]


def test_the_loss_plot_exports_its_losses(qtbot, session: Session, tmp_path: Path) -> None:
    plot = LossPlot(session)
    qtbot.addWidget(plot)
    plot.resize(600, 400)
    plot.show()
    for _ in range(3):
        session.step()
    assert plot.export_button.objectName() == "loss_export"
    plot.set_log_scale(True)  # drawn as log10, exported as the losses themselves
    rows = read_csv(export_plot(plot.export_button._target, tmp_path / "loss.csv"))
    losses = [float(r[2]) for r in rows[1:] if r[0] == "training loss"]
    _x, y = plot.curve_data("train")
    assert losses == pytest.approx(list(y)) and len(losses) == 3
    assert export_plot(plot.export_button._target, tmp_path / "loss.png").is_file()
