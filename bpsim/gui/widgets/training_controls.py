"""The training settings a student changes between steps: learning rate, optimizer, loss,
batch size, and which sample the next forward pass uses.

Every setting goes through the :class:`~bpsim.gui.state.controller.Controller`, so it is undoable
and applies from the next step on; the widgets only show what the trainer holds and are
refreshed from the session's signals (never from their own edits), so undo, opening a
file and the controls can never disagree.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, QTimer, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QToolTip,
    QWidget,
)

from bpsim.core.rules import learning_rate_problem
from bpsim.core.spec import LOSSES, OPTIMIZER_DEFAULTS
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.text import parse_number

OPTIMIZER_TITLES: dict[str, str] = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adadelta": "Adadelta",
}
LOSS_TITLES: dict[str, str] = {
    "half_sse": "½ sum of squares",
    "mse": "mean squared error",
    "binary_cross_entropy": "binary cross-entropy",
    "cross_entropy": "cross-entropy",
}


def learning_rate_text(value: float) -> str:
    """A learning rate as typed back in: plain digits, no rounding noise (0.01, 1e-05)."""
    return f"{value:.12g}"


class TrainingControls(QWidget):
    """A row of labelled settings; ``message`` carries refusals for the status bar."""

    message = Signal(str)

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("training_controls")
        self.session = session
        self.controller = controller

        self.learning_rate = QLineEdit()
        self.learning_rate.setObjectName("learning_rate")
        self.learning_rate.setToolTip(
            "Learning rate α: each update moves a weight by −α × its gradient "
            "(a number above 0; press Enter to apply)"
        )
        width = self.learning_rate.fontMetrics().horizontalAdvance("0.000001") + 24
        self.learning_rate.setFixedWidth(width)
        self.learning_rate.editingFinished.connect(self._learning_rate_edited)

        self.optimizer = QComboBox()
        self.optimizer.setObjectName("optimizer")
        self.optimizer.setToolTip(
            "Optimizer: how a gradient becomes a weight change. Switching starts it fresh "
            "with PyTorch's default settings."
        )
        for name in OPTIMIZER_DEFAULTS:
            self.optimizer.addItem(OPTIMIZER_TITLES.get(name, name), name)
        self.optimizer.currentIndexChanged.connect(self._optimizer_chosen)

        self.loss = QComboBox()
        self.loss.setObjectName("loss")
        self.loss.setToolTip("Loss: how the error between outputs and targets is measured")
        for name in LOSSES:
            self.loss.addItem(LOSS_TITLES.get(name, name), name)
        self.loss.currentIndexChanged.connect(self._loss_chosen)

        self.batch_size = QSpinBox()
        self.batch_size.setObjectName("batch_size")
        self.batch_size.setSpecialValueText("full")
        self.batch_size.setKeyboardTracking(False)
        self.batch_size.setToolTip(
            "Batch size: how many samples each step averages its gradient over "
            "(full: the whole training set)"
        )
        self.batch_size.valueChanged.connect(self._batch_size_chosen)

        self.sample = QSpinBox()
        self.sample.setObjectName("sample")
        self.sample.setSpecialValueText("auto")
        self.sample.setKeyboardTracking(False)
        self.sample.setToolTip(
            "Next sample: the data-set row the next forward pass uses (auto: the epoch's order)"
        )
        self.sample.valueChanged.connect(self._sample_chosen)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        for text, widget in (
            ("Learning rate", self.learning_rate),
            ("Optimizer", self.optimizer),
            ("Loss", self.loss),
            ("Batch", self.batch_size),
            ("Next sample", self.sample),
        ):
            label = QLabel(text)
            label.setBuddy(widget)
            label.setToolTip(widget.toolTip())
            layout.addWidget(label)
            layout.addWidget(widget)
            layout.addSpacing(10)
        layout.addStretch(1)

        # Enter applies and hands the keys back to the window: F, B, U … step again
        # instead of being typed into the field.
        for editor in (self.learning_rate, self.batch_size, self.sample):
            editor.editingFinished.connect(lambda e=editor: QTimer.singleShot(0, e.clearFocus))
        # A key the spin boxes turn away (a letter, a minus, a number too large) would
        # otherwise do nothing at all: say what fits.
        self.batch_size.lineEdit().inputRejected.connect(
            lambda: self._refuse(
                self.batch_size,
                f"Batch size: a whole number from 1 to {self.batch_size.maximum()}, "
                "or 0 for the full training set",
            )
        )
        self.sample.lineEdit().inputRejected.connect(
            lambda: self._refuse(
                self.sample,
                f"Next sample: a row number from 1 to {self.sample.maximum()}, "
                "or 0 for the epoch's order",
            )
        )

        session.settingsChanged.connect(self.refresh)
        session.lessonReplaced.connect(self.refresh)
        session.stateChanged.connect(self._refresh_sample)
        session.runningChanged.connect(self._refresh_sample)
        self.refresh()

    def apply_appearance(self, appearance: object) -> None:
        """A new zoom (bpsim.gui.style.appearance): the fonts follow the window; the learning
        rate's fixed width is measured again so "0.000001" still fits."""
        width = self.learning_rate.fontMetrics().horizontalAdvance("0.000001") + 24
        self.learning_rate.setFixedWidth(width)

    # -- showing what the trainer holds ----------------------------------------------

    def refresh(self) -> None:
        """Show the trainer's settings (after any change, undo or a new lesson)."""
        trainer = self.session.trainer
        lr = float(trainer.optimizer.hyper["learning_rate"])
        if self.learning_rate.text() != learning_rate_text(lr):
            self.learning_rate.setText(learning_rate_text(lr))
            self.learning_rate.setCursorPosition(0)
        with QSignalBlocker(self.optimizer):
            self.optimizer.setCurrentIndex(self.optimizer.findData(trainer.optimizer_spec.name))
        with QSignalBlocker(self.loss):
            model = self.loss.model()
            assert isinstance(model, QStandardItemModel)
            for row in range(self.loss.count()):
                problem = self.controller.loss_problem(self.loss.itemData(row))
                item = model.item(row)
                item.setEnabled(problem is None)
                item.setToolTip(problem or self.loss.itemData(row))
            self.loss.setCurrentIndex(self.loss.findData(trainer.network.loss.name))
        with QSignalBlocker(self.batch_size):
            n = len(trainer.train_idx)
            self.batch_size.setRange(0, n)
            size = trainer.training.batch_size
            self.batch_size.setValue(0 if size is None else min(size, n))
        self._refresh_sample()

    def _refresh_sample(self) -> None:
        trainer = self.session.trainer
        with QSignalBlocker(self.sample):
            self.sample.setRange(0, len(trainer.inputs))
            override = trainer.override
            self.sample.setValue(
                0 if override is None or len(override) != 1 else int(override[0]) + 1
            )
        self.sample.setEnabled(not self.session.running)

    # -- edits -----------------------------------------------------------------------

    def _refuse(self, widget: QWidget, text: str) -> None:
        self.message.emit(text)
        if widget.isVisible():
            QToolTip.showText(widget.mapToGlobal(widget.rect().bottomLeft()), text, widget)

    def _learning_rate_edited(self) -> None:
        text = self.learning_rate.text().strip()
        current = float(self.session.trainer.optimizer.hyper["learning_rate"])
        try:
            value = parse_number(text)
        except ValueError:
            value = math.nan
        problem = learning_rate_problem(value)
        if problem is not None:
            self.learning_rate.setText(learning_rate_text(current))
            self._refuse(
                self.learning_rate,
                f"{problem[:1].upper()}{problem[1:]}, not '{text}'; "
                f"it stays {learning_rate_text(current)}",
            )
            return
        try:
            self.controller.set_learning_rate(value)
        except ValueError as error:
            self.learning_rate.setText(learning_rate_text(current))
            self._refuse(self.learning_rate, f"Learning rate: {error}")

    def _optimizer_chosen(self, index: int) -> None:
        name = self.optimizer.itemData(index)
        if name:
            self.controller.set_optimizer(name)

    def _loss_chosen(self, index: int) -> None:
        name = self.loss.itemData(index)
        if not name:
            return
        try:
            self.controller.set_loss(name)
        except ValueError as error:
            self._refuse(self.loss, f"Loss: {error}")
            self.refresh()

    def _batch_size_chosen(self, value: int) -> None:
        try:
            self.controller.set_batch_size(None if value == 0 else value)
        except ValueError as error:
            self._refuse(self.batch_size, f"Batch size: {error}")
            self.refresh()

    def _sample_chosen(self, value: int) -> None:
        try:
            self.session.select_sample(None if value == 0 else value - 1)
        except ValueError as error:
            self._refuse(self.sample, f"Next sample: {error}")
            self._refresh_sample()
