"""Saving a plot as a PNG picture, an SVG drawing or a CSV table of its numbers.

Every plot in the window gets an :class:`ExportButton` (a small "Export" menu in its
toolbar row). Pictures go into worksheets and slides; the CSV holds the very numbers the
plot draws, so a student can redo a plot in a spreadsheet.

The CSV is one long table, ``series,x,y,value``: one row per point of each curve or
scatter (``value`` empty) and one row per cell of each heat map (its centre and value).
A view can give an item better names or the exact numbers it drew by setting attributes
on the item: ``export_name`` (text), ``export_skip`` (True: left out), ``export_data``
(a callable returning the curve's (x, y), when what is drawn differs, e.g. log10 values)
and, on an image, ``export_grid = (xs, ys, values)`` with ``values[row, column]`` at
(``xs[column]``, ``ys[row]``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters as pg_exporters
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAction, QColor, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QMenu, QToolButton, QWidget

__all__ = [
    "FORMATS",
    "ExportButton",
    "ExportError",
    "export_csv",
    "export_plot",
    "export_png",
    "export_svg",
    "plot_rows",
]

#: suffix → (menu text, file-dialog filter)
FORMATS: dict[str, tuple[str, str]] = {
    "png": ("Save as &PNG picture…", "PNG pictures (*.png)"),
    "svg": ("Save as &SVG drawing…", "SVG drawings (*.svg)"),
    "csv": ("Save the numbers as &CSV…", "CSV tables (*.csv)"),
}
#: PNGs are drawn at twice the size on screen: sharp on slides and printouts.
PNG_SCALE = 2.0

Target: TypeAlias = pg.PlotItem | pg.PlotWidget


class ExportError(OSError):
    """Writing the file failed; the message names the file."""


def _plot_item(target: Target) -> pg.PlotItem:
    if isinstance(target, pg.PlotWidget):
        return target.getPlotItem()
    if isinstance(target, pg.PlotItem):
        return target
    raise TypeError(f"expected a pyqtgraph PlotItem or PlotWidget, got {type(target).__name__}")


def _checked_path(path: str | Path, suffix: str) -> Path:
    path = Path(path)
    if path.suffix.lower() != f".{suffix}":
        path = path.with_name(path.name + f".{suffix}")
    if not path.parent.is_dir():
        raise ExportError(f"cannot save {path}: the folder {path.parent} does not exist")
    return path


def export_png(target: Target, path: str | Path, scale: float = PNG_SCALE) -> Path:
    """The plot as a PNG, ``scale`` times its size on screen. Returns the path written."""
    item = _plot_item(target)
    out = _checked_path(path, "png")
    exporter = pg_exporters.ImageExporter(item)
    width = max(int(item.sceneBoundingRect().width() * scale), 16)
    exporter.parameters()["width"] = width  # the height follows the plot's proportions
    exporter.parameters()["antialias"] = True
    if not exporter.export(str(out)):
        raise ExportError(f"cannot save {out}: writing the picture failed")
    return out


def export_svg(target: Target, path: str | Path) -> Path:
    """The plot as an SVG drawing: lines and text stay vectors, heat maps are embedded
    pictures. Drawn with Qt's own SVG generator (pyqtgraph's SVG exporter rewrites the
    paths and fails on those Qt 6 writes)."""
    item = _plot_item(target)
    out = _checked_path(path, "svg")
    scene = item.scene()
    if scene is None:
        raise ExportError(f"cannot save {out}: the plot is not on screen")
    source = item.sceneBoundingRect()
    generator = QSvgGenerator()
    generator.setFileName(str(out))
    generator.setSize(QSize(max(int(source.width()), 1), max(int(source.height()), 1)))
    generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
    generator.setTitle(item.titleLabel.text or "bpsim plot")
    generator.setDescription("Saved from bpsim")
    painter = QPainter()
    if not painter.begin(generator):
        raise ExportError(f"cannot save {out}: the file cannot be written")
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillRect(QRectF(0, 0, source.width(), source.height()), _background(item))
        scene.render(painter, QRectF(0, 0, source.width(), source.height()), source)
    finally:
        painter.end()
    if not out.is_file() or out.stat().st_size == 0:
        raise ExportError(f"cannot save {out}: writing the drawing failed")
    return out


def _background(item: pg.PlotItem) -> QColor:
    """The plot's own background (white in bpsim), for pictures without a transparent hole."""
    for view in item.scene().views() if item.scene() is not None else []:
        brush = view.backgroundBrush()
        if brush.style() != Qt.BrushStyle.NoBrush:
            return brush.color()
    return QColor("white")


def _name(item: object, fallback: str) -> str:
    name = getattr(item, "export_name", None)
    if isinstance(name, str) and name:
        return name
    getter = getattr(item, "name", None)
    if callable(getter):
        text = getter()
        if isinstance(text, str) and text:
            return text
    return fallback


def _number(value: float) -> str:
    if math.isfinite(value):
        return repr(float(value))
    return "nan" if math.isnan(value) else str(value)


def _image_rows(item: pg.ImageItem, name: str) -> Iterator[list[str]]:
    grid = getattr(item, "export_grid", None)
    if grid is not None:
        xs, ys, values = (np.asarray(a, dtype=np.float64) for a in grid)
    else:
        image = item.image
        if image is None:
            return
        values = np.asarray(image, dtype=np.float64)
        if values.ndim != 2:
            return
        if item.axisOrder == "col-major":
            values = values.T
        rect = item.mapRectToParent(item.boundingRect())
        rows, cols = values.shape
        xs = rect.left() + (np.arange(cols) + 0.5) * rect.width() / cols
        ys = rect.top() + (np.arange(rows) + 0.5) * rect.height() / rows
    for r, y in enumerate(ys):
        for c, x in enumerate(xs):
            yield [name, _number(x), _number(y), _number(values[r, c])]


def _xy_rows(
    x: Iterable[float] | None, y: Iterable[float] | None, name: str
) -> Iterator[list[str]]:
    if x is None or y is None:
        return
    for a, b in zip(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64), strict=False):
        yield [name, _number(a), _number(b), ""]


def plot_rows(target: Target) -> list[list[str]]:
    """The CSV rows (without the header) for every curve, scatter and heat map in the
    plot, in drawing order; hidden items are left out."""
    item = _plot_item(target)
    rows: list[list[str]] = []
    for n, child in enumerate(item.items):
        if not child.isVisible() or getattr(child, "export_skip", False):
            continue
        fallback = f"{type(child).__name__.removesuffix('Item').lower()} {n + 1}"
        name = _name(child, fallback)
        provider = getattr(child, "export_data", None)
        if callable(provider):  # the numbers behind what is drawn (a log axis draws log10)
            x, y = provider()
            rows.extend(_xy_rows(x, y, name))
        elif isinstance(child, pg.PlotDataItem):
            x, y = child.getOriginalDataset()
            rows.extend(_xy_rows(x, y, name))
        elif isinstance(child, pg.ScatterPlotItem | pg.PlotCurveItem):
            x, y = child.getData()
            rows.extend(_xy_rows(x, y, name))
        elif isinstance(child, pg.ImageItem):
            rows.extend(_image_rows(child, name))
    return rows


def export_csv(target: Target, path: str | Path) -> Path:
    """The plot's numbers as ``series,x,y,value`` rows (see the module doc)."""
    out = _checked_path(path, "csv")
    rows = plot_rows(target)
    try:
        with out.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["series", "x", "y", "value"])
            writer.writerows(rows)
    except OSError as error:
        raise ExportError(f"cannot save {out}: {error.strerror or error}") from None
    return out


def export_plot(target: Target, path: str | Path) -> Path:
    """Save as PNG, SVG or CSV, chosen by the file's suffix."""
    suffix = Path(path).suffix.lower().removeprefix(".")
    if suffix == "png":
        return export_png(target, path)
    if suffix == "svg":
        return export_svg(target, path)
    if suffix == "csv":
        return export_csv(target, path)
    raise ExportError(f"cannot save {Path(path).name}: use a .png, .svg or .csv file name")


class ExportButton(QToolButton):
    """An "Export" menu for one plot: PNG, SVG or CSV, each asking where to save in a
    file dialog that does not block (``last_dialog`` holds it, for tests).

    ``exported(path)`` follows a successful save and ``failed(message)`` a refused one;
    ``name`` (e.g. "loss") becomes the object names ``loss_export`` and
    ``loss_export_png`` … and the suggested file name.
    """

    exported = Signal(str)
    failed = Signal(str)

    def __init__(
        self, target: Target, name: str, title: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._target = target
        self._name = name
        self._title = title or name.replace("_", " ")
        self.folder = Path.home()
        self.last_dialog: QFileDialog | None = None
        self.setObjectName(f"{name}_export")
        self.setText("Export")
        self.setToolTip(
            f"Save the {self._title} plot as a PNG picture, an SVG drawing or a CSV table "
            "of its numbers"
        )
        self.setStatusTip(self.toolTip())
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        menu = QMenu(self)
        menu.setObjectName(f"{name}_export_menu")
        self.actions_by_format: dict[str, QAction] = {}
        for suffix, (text, _filter) in FORMATS.items():
            action = menu.addAction(text)
            action.setObjectName(f"{name}_export_{suffix}")
            action.setToolTip(f"Save the {self._title} plot as a .{suffix} file")
            action.setStatusTip(action.toolTip())
            action.triggered.connect(lambda _=False, s=suffix: self.ask(s))
            self.actions_by_format[suffix] = action
        self.setMenu(menu)

    def ask(self, suffix: str) -> QFileDialog:
        """Open the save dialog for ``suffix``; choosing a file saves the plot there."""
        _text, file_filter = FORMATS[suffix]
        dialog = QFileDialog(self.window(), f"Save the {self._title} plot")
        dialog.setObjectName(f"{self._name}_export_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(file_filter)
        dialog.setDefaultSuffix(suffix)
        dialog.setDirectory(str(self.folder))
        dialog.selectFile(f"{self._name}.{suffix}")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path, s=suffix: self.save(path, s))
        self.last_dialog = dialog
        dialog.open()
        return dialog

    def save(self, path: str | Path, suffix: str | None = None) -> bool:
        """Save to ``path`` (its suffix decides the format unless ``suffix`` is given);
        a failure is reported through ``failed``, never raised."""
        path = Path(path)
        if suffix is not None and path.suffix.lower() != f".{suffix}":
            path = path.with_name(path.name + f".{suffix}")
        try:
            written = export_plot(self._target, path)
        except (ExportError, OSError) as error:
            self.failed.emit(str(error))
            return False
        self.folder = written.parent
        self.exported.emit(str(written))
        return True
