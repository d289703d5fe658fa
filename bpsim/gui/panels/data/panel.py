"""The data panel: the lesson's samples, the one in use marked, values editable, digits
shown as pictures, and for two inputs a plane to click new points into.

Edits go through the controller (``set_data_value``, ``add_samples``), so Edit ▸ Undo
takes them back; the panel follows the session's ``datasetChanged`` and marks the rows
the pass on screen uses (``trace.indices``, or the rows the next pass will use).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QBrush, QFont, QImage, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.gui.style.palette import HIGHLIGHT_FILL
from bpsim.gui.style.plot_style import (
    PlotPanel,
    class_scatter,
    diverging_map,
    text_scale,
)
from bpsim.gui.widgets.controls import push_button
from bpsim.teaching.metrics import target_classes, task_of
from bpsim.text import fmt, is_number

IN_USE_COLOR = "#6a3d9a"
MARK = "▶"
#: Images are drawn when the inputs are the pixels of a square picture this big or less.
IMAGE_SIDES = (8, 28)
GALLERY_COLUMNS = 10
GALLERY_ROWS = 6
PREVIEW_PIXELS = 168


def image_side(inputs: np.ndarray) -> int | None:
    """The side of the square picture each row is (8 for digits, 28 for MNIST), or None."""
    if inputs.ndim != 2:
        return None
    side = math.isqrt(inputs.shape[1])
    if side * side != inputs.shape[1] or side not in IMAGE_SIDES:
        return None
    return side


def row_image(values: np.ndarray, side: int) -> QImage:
    """One sample as a grey picture: 0 white, the row's largest value black (ink on paper)."""
    pixels = np.asarray(values, dtype=np.float64).reshape(side, side)
    top = float(np.max(pixels)) if pixels.size else 1.0
    scaled = 255 - np.clip(pixels / (top if top > 0 else 1.0), 0, 1) * 255
    data = np.ascontiguousarray(scaled.astype(np.uint8))
    image = QImage(data.data, side, side, side, QImage.Format.Format_Grayscale8)
    return image.copy()  # own the pixels: ``data`` goes away


def sample_classes(session: Session) -> tuple[str, np.ndarray | None, list[str]]:
    """The task ("classification" or "regression"), each sample's class (None for
    regression) and the class names."""
    trainer = session.trainer
    task, threshold = task_of(trainer.network, trainer.targets)
    if task != "classification":
        return task, None, []
    outputs = trainer.network.sizes[-1]
    if outputs == 1:
        names = ["0", "1"] if threshold == 0.5 else ["−1", "1"]
    else:
        given = trainer.lesson.dataset.target_names
        names = (
            list(given)
            if given and len(given) == outputs
            else list(trainer.network.labels[trainer.network.depth])
        )
    return task, target_classes(trainer.targets, threshold), names


def rows_in_use(session: Session) -> np.ndarray:
    """The rows of the pass on screen, or of the next pass when none is on screen."""
    trainer = session.trainer
    return trainer.trace.indices if trainer.trace is not None else trainer.next_batch()


# -- the table -----------------------------------------------------------------------------


class DataTableModel(QAbstractTableModel):
    """One row per sample: its number (▶ when in use), training or validation, the
    inputs, then the targets. Input and target cells are editable through the controller."""

    editRejected = Signal(str)

    def __init__(self, session: Session, controller: Controller, parent: Any = None) -> None:
        super().__init__(parent)
        self.session = session
        self.controller = controller
        self._in_use: set[int] = set()
        self._validation: set[int] = set()
        self._headers: list[str] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self.rebuild()

    def rebuild(self) -> None:
        self.beginResetModel()
        trainer = self.session.trainer
        dataset = trainer.lesson.dataset
        n_in, n_out = trainer.inputs.shape[1], trainer.targets.shape[1]
        inputs = (
            dataset.input_names
            if dataset.input_names and len(dataset.input_names) == n_in
            else trainer.network.labels[0]
        )
        targets = (
            dataset.target_names
            if dataset.target_names and len(dataset.target_names) == n_out
            else [f"t({name})" for name in trainer.network.labels[trainer.network.depth]]
        )
        self._headers = ["#", "set", *inputs, *[f"target {t}" for t in targets]]
        self._validation = {int(r) for r in trainer.val_idx}
        self._in_use = {int(r) for r in rows_in_use(self.session)}
        self.endResetModel()

    def mark_in_use(self, rows: np.ndarray) -> None:
        """Move the ▶ marks to ``rows``."""
        new = {int(r) for r in rows}
        changed = new ^ self._in_use
        self._in_use = new
        if not changed:
            return
        last = self.columnCount() - 1
        if len(changed) > 64:  # a whole batch: one signal for the rows between
            low, high = min(changed), max(changed)
            self.dataChanged.emit(self.index(low, 0), self.index(high, last))
            return
        for row in sorted(changed):
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    @property
    def in_use(self) -> set[int]:
        return set(self._in_use)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.session.trainer.inputs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def part_of(self, column: int) -> tuple[str, int] | None:
        """("inputs", i) or ("targets", j) for a value column; None for # and set."""
        n_in = self.session.trainer.inputs.shape[1]
        if column < 2:
            return None
        if column - 2 < n_in:
            return "inputs", column - 2
        return "targets", column - 2 - n_in

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        trainer = self.session.trainer
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.EditRole:
            if column == 0:
                return f"{MARK} {row + 1}" if row in self._in_use else str(row + 1)
            if column == 1:
                return "validation" if row in self._validation else "training"
            part = self.part_of(column)
            assert part is not None
            array = trainer.inputs if part[0] == "inputs" else trainer.targets
            value = float(array[row, part[1]])
            return repr(value) if role == Qt.ItemDataRole.EditRole else fmt(value, 6)
        if role == Qt.ItemDataRole.BackgroundRole and row in self._in_use:
            return QBrush(HIGHLIGHT_FILL)
        if role == Qt.ItemDataRole.FontRole and row in self._in_use:
            return self._bold
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if row in self._in_use:
                return "This sample is in the pass on screen (or the next one)"
            if column >= 2:
                return "Double-click to edit; Edit ▸ Undo takes it back"
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.isValid() and index.column() >= 2:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def setData(
        self,
        index: QModelIndex | QPersistentModelIndex,
        value: Any,
        role: int = Qt.ItemDataRole.EditRole,
    ) -> bool:
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        part = self.part_of(index.column())
        if part is None:
            return False
        text = str(value).strip().replace("−", "-").replace(",", ".")
        try:
            number = float(text)
            self.controller.set_data_value(part[0], index.row(), part[1], number)
        except ValueError as error:
            message = str(error) if text and is_number(text) else f"'{value}' is not a number"
            self.editRejected.emit(f"Sample {index.row() + 1}: {message}")
            return False
        return True

    def refresh_values(self) -> None:
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1)
            )


def _counted(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


# -- the plane -----------------------------------------------------------------------------


class DataPlane(PlotPanel):
    """Two-input samples as points, by class; a click on empty ground adds a sample of
    the class chosen in the box (or with the target typed in, for regression)."""

    pointAdded = Signal(float, float)

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__("data_plane", "data", parent)
        self.session = session
        self.controller = controller
        self.bar.addWidget(QLabel("Click adds:"))
        self.class_box = QComboBox()
        self.class_box.setObjectName("data_add_class")
        self.class_box.setToolTip("The class (target) a clicked point gets")
        self.bar.addWidget(self.class_box)
        self.target_edit = QLineEdit("0")
        self.target_edit.setObjectName("data_add_target")
        self.target_edit.setToolTip("The target value a clicked point gets (regression)")
        self.target_edit.setMaximumWidth(120)
        self.bar.addWidget(self.target_edit)
        self.finish_bar()
        self.points: list[pg.ScatterPlotItem] = []
        self.in_use = pg.ScatterPlotItem(pen=pg.mkPen(IN_USE_COLOR, width=3.5), brush=None, size=30)
        self.in_use.export_name = "in use"
        self.in_use.setZValue(20)
        self.plot.addItem(self.in_use)
        self.plot.getViewBox().setMouseEnabled(x=False, y=False)
        self.plot_widget.scene().sigMouseClicked.connect(self._clicked)
        self.caption.setText(
            "Click on the plane to add a sample there (Edit ▸ Undo removes it). Adding "
            "samples turns the data set into rows saved in the lesson."
        )

    def rebuild(self) -> None:
        trainer = self.session.trainer
        task, classes, names = sample_classes(self.session)
        self.class_box.blockSignals(True)
        self.class_box.clear()
        for k, name in enumerate(names):
            self.class_box.addItem(f"class {name}", k)
        self.class_box.blockSignals(False)
        regression = task != "classification"
        self.class_box.setVisible(not regression)
        self.target_edit.setVisible(regression)
        for item in self.points:
            self.plot.removeItem(item)
        self.points = []
        x = trainer.inputs
        key: list[tuple[str, str, str]] = []
        size = 13 * max(self.scale, 1.0)
        if classes is not None:
            items, entries = class_scatter(x, classes, names, size, "#111111", 1.5, "")
            self.points.extend(items)
            key.extend(entries)
        else:
            values = trainer.targets[:, 0]
            low, high = float(values.min()), float(values.max())
            span = high - low if high > low else 1.0
            cmap = diverging_map()
            item = pg.ScatterPlotItem(
                x=x[:, 0],
                y=x[:, 1],
                size=size,
                pen=pg.mkPen("#111111", width=1.5),
                brush=[pg.mkBrush(cmap.map((v - low) / span, mode="qcolor")) for v in values],
            )
            item.export_name = "samples"
            self.points.append(item)
            key.append(("o", "#555555", f"target: blue {fmt(low, 3)} … orange {fmt(high, 3)}"))
        key.append(("◯", IN_USE_COLOR, "in use"))
        self.set_key(key)
        for item in self.points:
            item.setZValue(10)
            self.plot.addItem(item)
        names_in = trainer.network.labels[0]
        self.axis_labels(names_in[0], names_in[1])
        self._set_range()
        self.mark()

    def _set_range(self) -> None:
        x = self.session.trainer.inputs
        low, high = x.min(axis=0), x.max(axis=0)
        pad = np.maximum((high - low) * 0.12, 0.5)
        self.plot.getViewBox().setRange(
            xRange=(low[0] - pad[0], high[0] + pad[0]),
            yRange=(low[1] - pad[1], high[1] + pad[1]),
            padding=0,
        )

    def mark(self) -> None:
        rows = rows_in_use(self.session)
        x = self.session.trainer.inputs
        if len(rows) > 12:
            self.in_use.setData([], [])
        else:
            self.in_use.setData(x=x[rows, 0], y=x[rows, 1])

    def new_target(self) -> np.ndarray:
        """The target a clicked point gets: the chosen class, one-hot or 0/1 (−1/1 for
        tanh), or the typed value."""
        trainer = self.session.trainer
        outputs = trainer.network.sizes[-1]
        task, threshold = task_of(trainer.network, trainer.targets)
        if task == "classification":
            k = int(self.class_box.currentData() or 0)
            if outputs == 1:
                low = -1.0 if threshold == 0.0 else 0.0
                return np.array([1.0 if k == 1 else low])
            return (np.arange(outputs) == k).astype(np.float64)
        text = self.target_edit.text().strip().replace("−", "-").replace(",", ".")
        value = float(text)  # ValueError: reported by add_point
        return np.full(outputs, value)

    def add_point(self, x1: float, x2: float) -> bool:
        """Add a sample at (x1, x2) with the chosen target; a refusal goes to the caption."""
        try:
            target = self.new_target()
            self.controller.add_samples(
                [[x1, x2]], [target], f"Add a point at ({fmt(x1, 3)}, {fmt(x2, 3)})"
            )
        except ValueError as error:
            self.caption.setText(f"Not added: {error}")
            return False
        self.pointAdded.emit(x1, x2)
        return True

    def _clicked(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        view = self.plot.getViewBox()
        pos: QPointF = event.scenePos()
        if not view.sceneBoundingRect().contains(pos):
            return
        point = view.mapSceneToView(pos)
        self.add_point(float(point.x()), float(point.y()))
        event.accept()

    def apply_scale(self, scale: float) -> None:
        for item in self.points:
            item.setSize(13 * scale)
        self.in_use.setSize(30 * scale)


# -- the pictures --------------------------------------------------------------------------


class DataGallery(PlotPanel):
    """A page of samples as pictures with their class under each, the one in use framed."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("data_gallery", "data images", parent)
        self.session = session
        self.bar.addWidget(QLabel("From sample:"))
        self.first = QSpinBox()
        self.first.setObjectName("data_gallery_first")
        self.first.setToolTip("The first sample shown")
        self.first.setMinimum(1)
        self.first.setSingleStep(GALLERY_COLUMNS)
        self.first.valueChanged.connect(lambda _: self.rebuild())
        self.bar.addWidget(self.first)
        self.finish_bar()
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.export_name = "pixels"
        self.plot.addItem(self.image)
        self.frame = pg.PlotDataItem(pen=pg.mkPen(IN_USE_COLOR, width=4))
        self.frame.export_skip = True
        self.frame.setZValue(10)
        self.plot.addItem(self.frame)
        self.labels: list[pg.TextItem] = []
        view = self.plot.getViewBox()
        view.invertY(True)
        view.setAspectLocked(True)
        view.setMouseEnabled(x=False, y=False)
        self.plot.hideAxis("left")
        self.plot.hideAxis("bottom")

    def rebuild(self) -> None:
        trainer = self.session.trainer
        side = image_side(trainer.inputs)
        if side is None:
            return
        n = len(trainer.inputs)
        self.first.blockSignals(True)
        self.first.setMaximum(max(n, 1))
        self.first.blockSignals(False)
        start = self.first.value() - 1
        count = min(GALLERY_COLUMNS * GALLERY_ROWS, n - start)
        cell = side + 2
        rows = max(1, -(-count // GALLERY_COLUMNS))
        sheet = np.full((rows * (cell + side // 2), GALLERY_COLUMNS * cell), 255, dtype=np.uint8)
        for label in self.labels:
            self.plot.removeItem(label)
        self.labels = []
        _task, classes, names = sample_classes(self.session)
        font = self.font_at(0.9)
        for k in range(count):
            r, c = divmod(k, GALLERY_COLUMNS)
            values = trainer.inputs[start + k].reshape(side, side)
            top = float(values.max()) or 1.0
            y0 = r * (cell + side // 2)
            sheet[y0 + 1 : y0 + 1 + side, c * cell + 1 : c * cell + 1 + side] = (
                255 - np.clip(values / top, 0, 1) * 255
            ).astype(np.uint8)
            if classes is not None:
                text = pg.TextItem(
                    names[int(classes[start + k])], color=self.axis_color, anchor=(0.5, 0)
                )
                text.setFont(font)
                text.setPos(c * cell + cell / 2, y0 + cell - 0.5)
                self.plot.addItem(text)
                self.labels.append(text)
        self.image.setImage(sheet, autoLevels=False, levels=(0, 255))
        self.image.setRect(QRectF(0, 0, sheet.shape[1], sheet.shape[0]))
        self.image.export_grid = (
            np.arange(sheet.shape[1], dtype=np.float64),
            np.arange(sheet.shape[0], dtype=np.float64),
            sheet.astype(np.float64),
        )
        self.plot.getViewBox().setRange(QRectF(0, 0, sheet.shape[1], sheet.shape[0]), padding=0.01)
        self._geometry = (start, count, side, cell)
        self.caption.setText(
            f"Samples {start + 1}–{start + count} of {n:,} as {side}×{side} pictures (dark: "
            "large input), each with its class."
        )
        self.mark()

    def mark(self) -> None:
        geometry = getattr(self, "_geometry", None)
        if geometry is None:
            return
        start, count, side, cell = geometry
        rows = [int(r) - start for r in rows_in_use(self.session) if 0 <= int(r) - start < count]
        xs: list[float] = []
        ys: list[float] = []
        for k in rows[:12]:
            r, c = divmod(k, GALLERY_COLUMNS)
            x0, y0 = c * cell, r * (cell + side // 2)
            x1, y1 = x0 + cell, y0 + cell
            xs += [x0, x1, x1, x0, x0, np.nan]
            ys += [y0, y0, y1, y1, y0, np.nan]
        self.frame.setData(xs, ys, connect="finite")


# -- the panel -----------------------------------------------------------------------------


class DataPanel(QWidget):
    """The dock's contents: a summary line with the data buttons, then tabs for the
    table, the plane (two inputs) and the pictures (8×8 or 28×28 inputs)."""

    message = Signal(str)

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("data_panel")
        self.setMinimumSize(240, 200)  # a small dock clips the table rather than grow
        self.session = session
        self.controller = controller
        self._scale = 0.0
        self._zoom = 1.0

        self.summary = QLabel()
        self.summary.setObjectName("data_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.buttons = QHBoxLayout()
        self.buttons.setSpacing(6)
        self.use_button = push_button(
            "Use next",
            "data_use_next",
            "Make the selected sample the one the next forward pass uses "
            "(like the Next sample box)",
            self.use_selected,
        )
        self.buttons.addWidget(self.use_button)

        self.model = DataTableModel(session, controller, self)
        self.table = QTableView()
        self.table.setObjectName("data_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.model.editRejected.connect(self._rejected)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_preview())
        self.preview = QLabel()
        self.preview.setObjectName("data_preview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.preview.setMinimumWidth(PREVIEW_PIXELS + 16)
        self.preview_caption = QLabel()
        self.preview_caption.setObjectName("data_preview_caption")
        self.preview_caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.preview_caption.setWordWrap(True)
        preview_box = QVBoxLayout()
        preview_box.addWidget(self.preview)
        preview_box.addWidget(self.preview_caption)
        preview_box.addStretch(1)
        table_page = QWidget()
        table_row = QHBoxLayout(table_page)
        table_row.setContentsMargins(0, 0, 0, 0)
        table_row.addWidget(self.table, 1)
        table_row.addLayout(preview_box)

        self.plane = DataPlane(session, controller)
        self.plane.pointAdded.connect(
            lambda *_: self.message.emit("Added a sample; Edit ▸ Undo removes it")
        )
        self.gallery = DataGallery(session)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("data_tabs")
        self.tabs.addTab(table_page, "Table")
        self.tabs.addTab(self.plane, "Plane")
        self.tabs.addTab(self.gallery, "Pictures")

        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 2)
        top.addWidget(self.summary, 1)
        top.addLayout(self.buttons)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

        session.lessonReplaced.connect(self.rebuild)
        session.datasetChanged.connect(self.rebuild)
        session.stateChanged.connect(self.mark_in_use)
        session.traceChanged.connect(self.mark_in_use)
        session.runningChanged.connect(lambda running: self.use_button.setEnabled(not running))
        self.rebuild()

    def add_actions(self, actions: list[QAction]) -> None:
        """Buttons for the window's Data actions (New data set…, Import CSV…)."""
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setObjectName(f"data_button_{action.objectName()}")
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.buttons.addWidget(button)

    # -- following the session --------------------------------------------------------

    def rebuild(self) -> None:
        trainer = self.session.trainer
        self.model.rebuild()
        two_d = (
            trainer.inputs.shape[1] == 2 and trainer.targets.shape[1] == trainer.network.sizes[-1]
        )
        pictures = image_side(trainer.inputs) is not None
        self.tabs.setTabEnabled(1, two_d)
        self.tabs.setTabEnabled(2, pictures)
        self.tabs.setTabToolTip(
            1,
            ""
            if two_d
            else "Only for data with 2 inputs (one input: View ▸ Fit draws the samples "
            "and the network's line)",
        )
        self.tabs.setTabToolTip(
            2, "" if pictures else "Only for inputs that are 8×8 or 28×28 pictures"
        )
        if not self.tabs.isTabEnabled(self.tabs.currentIndex()):
            self.tabs.setCurrentIndex(0)
        if two_d:
            self.plane.rebuild()
        if pictures:
            self.gallery.rebuild()
        self._fit_columns()
        self.summary.setText(self.summary_text())
        self._show_preview()
        self.mark_in_use()

    def summary_text(self) -> str:
        trainer = self.session.trainer
        dataset = trainer.lesson.dataset
        source = dataset.source or {}
        if "builtin" in source:
            options = ", ".join(f"{k} {v}" for k, v in source.items() if k != "builtin")
            origin = f"built-in “{source['builtin']}”" + (f" ({options})" if options else "")
        elif "csv" in source:
            origin = f"CSV file {source['csv']}"
        else:
            origin = "rows in the lesson"
        n, n_val = len(trainer.inputs), len(trainer.val_idx)
        split = f", {n_val:,} held out for validation" if n_val else ""
        task, _classes, names = sample_classes(self.session)
        what = f"{len(names)} classes" if task == "classification" else "regression"
        scaled = ""
        if trainer.inputs.size <= 200_000:  # read again unscaled: only for small data
            from bpsim.teaching.fit import original_units

            base = self.session.path.parent if self.session.path is not None else None
            if original_units(dataset, base) is not None:
                scaled = " · stored scaled; the Fit view draws them in the file's units"
        return (
            f"<b>{_counted(n, 'sample')}</b>{split} · {_counted(trainer.inputs.shape[1], 'input')}"
            f" → {_counted(trainer.targets.shape[1], 'target')} ({what}) · {origin}{scaled}"
        )

    def mark_in_use(self) -> None:
        rows = rows_in_use(self.session)
        self.model.mark_in_use(rows)
        if len(rows) == 1 and self.table.isVisible():
            self.table.scrollTo(self.model.index(int(rows[0]), 0))
        if self.tabs.isTabEnabled(1):
            self.plane.mark()
        if self.tabs.isTabEnabled(2):
            self.gallery.mark()
        self._show_preview()

    def _fit_columns(self) -> None:
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        number = metrics.horizontalAdvance("−0.000000") + 16
        header.setDefaultSectionSize(number)
        header.resizeSection(0, metrics.horizontalAdvance(f"{MARK} 00000") + 16)
        header.resizeSection(1, metrics.horizontalAdvance("validation") + 16)
        self.table.verticalHeader().setDefaultSectionSize(metrics.height() + 8)

    # -- the preview picture ---------------------------------------------------------

    def preview_row(self) -> int | None:
        """The sample the preview shows: the selected one, else the one in use."""
        current = self.table.currentIndex()
        if current.isValid():
            return current.row()
        rows = rows_in_use(self.session)
        return int(rows[0]) if len(rows) else None

    def _show_preview(self) -> None:
        trainer = self.session.trainer
        side = image_side(trainer.inputs)
        row = self.preview_row()
        if side is None or row is None or row >= len(trainer.inputs):
            self.preview.clear()
            self.preview.hide()
            self.preview_caption.hide()
            return
        pixmap = QPixmap.fromImage(row_image(trainer.inputs[row], side)).scaled(
            PREVIEW_PIXELS,
            PREVIEW_PIXELS,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.FastTransformation,
        )
        self.preview.setPixmap(pixmap)
        self.preview.setToolTip(f"Sample {row + 1} as a {side}×{side} picture")
        self.preview.show()
        _task, classes, names = sample_classes(self.session)
        label = f"sample {row + 1}"
        if classes is not None:
            label += f"<br><b>class {names[int(classes[row])]}</b>"
        self.preview_caption.setText(label)
        self.preview_caption.show()

    # -- actions ---------------------------------------------------------------------

    def use_selected(self) -> bool:
        """The selected sample becomes the next forward pass's (Session.select_sample)."""
        row = self.table.currentIndex().row()
        if row < 0:
            self.message.emit("Select a sample in the table first")
            return False
        self.session.select_sample(row)
        self.message.emit(f"The next forward pass uses sample {row + 1}")
        return True

    def _rejected(self, text: str) -> None:
        self.message.emit(text)

    def apply_appearance(self, appearance: Any) -> None:
        """A new zoom (bpsim.gui.style.appearance): the table's text follows it."""
        self._zoom = float(appearance.zoom)
        self._scale = 0.0
        self._apply_scale(text_scale(self.width(), self.height()))

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._apply_scale(text_scale(event.size().width(), event.size().height()))

    def _apply_scale(self, scale: float) -> None:
        if scale != self._scale:
            self._scale = scale
            font = QFont(self.font())
            font.setPointSizeF(10.0 * scale * self._zoom)
            self.table.setFont(font)
            self.table.horizontalHeader().setFont(font)
            self.summary.setFont(font)
            self.preview_caption.setFont(font)
            self.tabs.tabBar().setFont(font)
            self.use_button.setFont(font)
            for index in range(self.buttons.count()):
                item = self.buttons.itemAt(index)
                widget = item.widget() if item is not None else None
                if widget is not None:
                    widget.setFont(font)
            self._fit_columns()
