"""Data ▸ New data set…: pick a built-in data set and its options (size, noise, seed …),
see what it looks like and whether it fits the network, and use it.

The data set keeps its built-in form, so the saved lesson says ``{"builtin": NAME, …}``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from bpsim.core.spec import Dataset
from bpsim.datasets import builtin_description, builtin_names, builtin_options, load_builtin
from bpsim.gui.dialogs.base import DataDialog
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.gui.style.plot_style import class_color, class_symbol
from bpsim.gui.widgets.number_spin_box import NumberSpinBox
from bpsim.gui.widgets.progress_task import ProgressTask

#: Ranges for the option boxes (the data set checks the exact limits again).
INT_RANGES = {"size": (1, 2_000_000), "seed": (0, 2_147_483_647)}
FLOAT_RANGES = {"noise": (0.0, 1000.0)}
PREVIEW_POINTS = 2000
#: From this many samples, Use makes the data set off the GUI thread, with progress.
BACKGROUND_SIZE = 100_000


class NewDatasetDialog(DataDialog):
    """Choose a built-in data set. ``set_dataset(name)`` and ``set_option(key, value)``
    drive it from a test; ``apply()`` uses it: at once for a small data set, else in the
    background (``task``, with progress and Cancel; ``applied`` says when it is in)."""

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__(session, controller, "New data set", "new_dataset", parent)
        self.name_box = QComboBox()
        self.name_box.setObjectName("new_dataset_name")
        self.name_box.setToolTip(
            "The built-in data sets: logic gates, points in the plane, regression, real data"
        )
        for name in builtin_names():
            self.name_box.addItem(name.replace("_", " "), name)
            self.name_box.setItemData(
                self.name_box.count() - 1, builtin_description(name), Qt.ItemDataRole.ToolTipRole
            )
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.form = QFormLayout()
        self.form.addRow("Data set:", self.name_box)
        self.form.addRow("", self.description)
        self.body.addLayout(self.form)
        self.option_widgets: dict[str, QWidget] = {}
        self.task: ProgressTask | None = None  # Use of a big data set, in the background
        self.preview = pg.PlotWidget(background="w")
        self.preview.setObjectName("new_dataset_preview")
        self.preview.setMinimumSize(360, 260)
        self.preview.getPlotItem().setMenuEnabled(False)
        self.preview.getPlotItem().hideButtons()
        self.body.addWidget(self.preview, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh)
        self.name_box.currentIndexChanged.connect(lambda _: self._name_changed())
        self._suggest_start()
        self._name_changed()
        self.resize(560, 640)

    def _suggest_start(self) -> None:
        """Start on the data set the lesson has, if it is a built-in."""
        source = self.session.trainer.lesson.dataset.source or {}
        index = self.name_box.findData(source.get("builtin"))
        if index >= 0:
            self.name_box.setCurrentIndex(index)

    # -- options ---------------------------------------------------------------------

    def name(self) -> str:
        return str(self.name_box.currentData())

    def _name_changed(self) -> None:
        name = self.name()
        self.description.setText(builtin_description(name))
        for widget in self.option_widgets.values():
            self.form.removeRow(widget)
        self.option_widgets = {}
        source = self.session.trainer.lesson.dataset.source or {}
        given = source if source.get("builtin") == name else {}
        outputs = self.session.trainer.network.sizes[-1]
        for key, default in builtin_options(name).items():
            value = given.get(key, default)
            if key == "one_hot" and key not in given:
                value = outputs == 2  # a two-class data set for a two-output network
            widget = self._option_widget(key, default, value)
            widget.setObjectName(f"new_dataset_{key}")
            self.option_widgets[key] = widget
            self.form.addRow(f"{key.replace('_', ' ').capitalize()}:", widget)
        self.refresh()

    def _option_widget(self, key: str, default: object, value: object) -> QWidget:
        """A box of the default's type (a file may write 0 for a noise of 0.0)."""
        if isinstance(default, bool):
            box = QCheckBox()
            box.setChecked(bool(value))
            box.toggled.connect(lambda _: self._timer.start())
            box.setToolTip(_OPTION_TIPS.get(key, key))
            return box
        if isinstance(default, int):
            spin = QSpinBox()
            low, high = INT_RANGES.get(key, (0, 2_000_000))
            spin.setRange(low, high)
            spin.setValue(int(value))  # type: ignore[call-overload]
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda _: self._timer.start())
            spin.setToolTip(_OPTION_TIPS.get(key, key))
            return spin
        number = NumberSpinBox()
        bottom, top = FLOAT_RANGES.get(key, (-1e6, 1e6))
        number.setRange(bottom, top)
        number.setDecimals(3)
        number.setSingleStep(0.05)
        number.setValue(float(value))  # type: ignore[arg-type]
        number.setKeyboardTracking(False)
        number.valueChanged.connect(lambda _: self._timer.start())
        number.setToolTip(_OPTION_TIPS.get(key, key))
        return number

    def options(self) -> dict[str, object]:
        """The options as the boxes show them."""
        out: dict[str, object] = {}
        for key, widget in self.option_widgets.items():
            if isinstance(widget, QCheckBox):
                out[key] = widget.isChecked()
            elif isinstance(widget, QSpinBox):
                out[key] = int(widget.value())
            elif isinstance(widget, QDoubleSpinBox):
                out[key] = float(widget.value())
        return out

    def set_dataset(self, name: str) -> None:
        index = self.name_box.findData(name)
        if index < 0:
            raise ValueError(f"no built-in data set {name!r}")
        self.name_box.setCurrentIndex(index)

    def set_option(self, key: str, value: object) -> None:
        widget = self.option_widgets[key]
        if isinstance(widget, QCheckBox):
            widget.setChecked(bool(value))
        elif isinstance(widget, QSpinBox | QDoubleSpinBox):
            widget.setValue(value)  # type: ignore[arg-type]
        self.refresh()

    # -- the data set ----------------------------------------------------------------

    def make_dataset(self) -> Dataset:
        return load_builtin(self.name(), self.options())

    def apply(self) -> bool:
        """As the base dialog's; a big data set is made on the thread pool while the
        window stays responsive, then checked and used (returns False meanwhile)."""
        size = self.options().get("size")
        if not isinstance(size, int) or size < BACKGROUND_SIZE:
            return super().apply()
        if self.task is not None and self.task.running():
            return False
        name, options = self.name(), self.options()
        task = ProgressTask(
            self,
            "New data set",
            f"Making {size:,} samples of {name.replace('_', ' ')}…",
            lambda progress: load_builtin(name, options),
            busy=True,
        )
        task.succeeded.connect(self._made)
        task.failed.connect(self.show_problem)
        task.cancelled.connect(lambda: self.show_problem("Cancelled: the data set is unchanged."))
        task.ended.connect(lambda: self.use_button.setEnabled(True))
        self.use_button.setEnabled(False)
        if self.task is not None:
            self.task.deleteLater()
        self.task = task
        task.start()
        return False

    def _made(self, dataset: object) -> None:
        assert isinstance(dataset, Dataset)
        if self.fits(dataset):
            self.use(dataset)

    def undo_text(self) -> str:
        return f"Data set {self.name().replace('_', ' ')}"

    def refresh(self) -> None:
        """Make the data set with the options shown, preview it, say whether it fits."""
        self._timer.stop()
        dataset = self.check()
        if dataset is None and "one_hot" in self.option_widgets:
            flipped = dict(self.options(), one_hot=not self.options()["one_hot"])
            try:
                other = load_builtin(self.name(), flipped)
            except ValueError:
                other = None
            outputs = self.session.trainer.network.sizes[-1]
            if other is not None and other.targets.shape[1] == outputs:
                turn = "on" if flipped["one_hot"] else "off"
                self.show_problem(f"{self.problem_text()} Turn One hot {turn} to fit.")
        self.use_button.setEnabled(dataset is not None)
        self._draw(dataset)

    def _draw(self, dataset: Dataset | None) -> None:
        plot = self.preview.getPlotItem()
        plot.clear()
        if dataset is None:
            try:
                dataset = self.make_dataset()
            except ValueError:
                return
        x, t = dataset.inputs, dataset.targets
        rows = np.arange(len(x))[:: max(1, len(x) // PREVIEW_POINTS)]
        if x.shape[1] == 2:
            classes = t.argmax(axis=1) if t.shape[1] > 1 else (t[:, 0] > 0.5).astype(int)
            for k in np.unique(classes[rows]):
                chosen = rows[classes[rows] == k]
                plot.addItem(
                    pg.ScatterPlotItem(
                        x=x[chosen, 0],
                        y=x[chosen, 1],
                        size=9,
                        symbol=class_symbol(int(k)),
                        brush=pg.mkBrush(class_color(int(k))),
                        pen=pg.mkPen("#111111", width=1),
                    )
                )
            plot.setLabel("bottom", "x1")
            plot.setLabel("left", "x2")
        elif x.shape[1] == 1:
            plot.addItem(
                pg.ScatterPlotItem(
                    x=x[rows, 0],
                    y=t[rows, 0],
                    size=9,
                    brush=pg.mkBrush("#0072B2"),
                    pen=pg.mkPen("w", width=1),
                )
            )
            plot.setLabel("bottom", "x")
            plot.setLabel("left", "target")
        else:
            plot.setLabel("bottom", "")
            plot.setLabel("left", "")
            text = pg.TextItem(
                f"{x.shape[1]} inputs per sample: no picture of the plane", color="#555555"
            )
            plot.addItem(text)


_OPTION_TIPS = {
    "size": "How many samples",
    "noise": "How much random scatter is added (0: none)",
    "seed": "Which random draw: the same seed gives the same data on every computer",
    "one_hot": "Two targets per sample, [1, 0] for class 0 and [0, 1] for class 1, for a "
    "network with two outputs; off: one target, 0 or 1",
    "standardize": "Shift and scale each input to mean 0 and spread 1",
    "scale": "Pixels from 0 to 1 instead of 0 to 16",
    "a": "The coefficient of x1",
    "b": "The coefficient of x2",
    "c": "The constant",
}
