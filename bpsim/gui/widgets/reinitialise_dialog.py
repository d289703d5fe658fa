"""The Re-initialise weights box: a method and a seed for new starting weights."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from bpsim.core.spec import INIT_METHODS
from bpsim.gui.widgets.number_spin_box import NumberSpinBox


class ReinitialiseDialog(QDialog):
    """Method and seed for new starting weights; non-modal, so nothing waits on it.

    ``chosen(method, seed, low, high)`` is emitted when OK is pressed.
    """

    chosen = Signal(str, int, float, float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reinitialise_dialog")
        self.setWindowTitle("Re-initialise weights")
        self.setModal(False)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 52)
        layout = QVBoxLayout(self)
        intro = QLabel(
            "New starting weights for every layer, drawn by the method from the seed "
            "(biases start at 0). The loss history starts afresh; Undo brings the old "
            "weights back."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.method = QComboBox(self)
        self.method.setObjectName("reinitialise_method")
        for method in INIT_METHODS:
            self.method.addItem(method.replace("_", " "), method)
        self.method.setToolTip("How the weights are drawn (Xavier and He scale by the layer sizes)")
        self.seed = QSpinBox(self)
        self.seed.setObjectName("reinitialise_seed")
        self.seed.setRange(0, 2_147_483_647)
        self.seed.setToolTip("The same method and seed always give the same weights")
        self.low = NumberSpinBox(self)
        self.low.setObjectName("reinitialise_low")
        self.high = NumberSpinBox(self)
        self.high.setObjectName("reinitialise_high")
        for box, value in ((self.low, -1.0), (self.high, 1.0)):
            box.setRange(-100.0, 100.0)
            box.setDecimals(3)
            box.setSingleStep(0.1)
            box.setValue(value)
            box.setToolTip("The range of the uniform method")
        form.addRow("&Method", self.method)
        form.addRow("&Seed", self.seed)
        form.addRow("&Low", self.low)
        form.addRow("&High", self.high)
        layout.addLayout(form)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.method.currentIndexChanged.connect(self._method_changed)
        self._method_changed()

    def _method_changed(self) -> None:
        uniform = self.method.currentData() == "uniform"
        self.low.setEnabled(uniform)
        self.high.setEnabled(uniform)

    def show_for(self, method: str, seed: int) -> None:
        self.method.setCurrentIndex(max(self.method.findData(method), 0))
        self.seed.setValue(int(seed))
        self.show()  # not modal: the network stays in view while choosing
        self.raise_()

    def accept(self) -> None:
        method = str(self.method.currentData())
        low, high = self.low.value(), self.high.value()
        if method == "uniform" and not low < high:
            self.low.setFocus()
            self.setToolTip("Low must be below high")
            return
        super().accept()
        self.chosen.emit(method, self.seed.value(), low, high)
