"""What the data dialogs share: a problem line, Use/Cancel buttons, and the rule that a
new data set replaces the lesson's only when it fits the network (through the
controller, so it can be undone), otherwise the dialog says why and nothing changes."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from bpsim.core.spec import Dataset
from bpsim.fileformat.errors import escape
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.lessons.dataset_edit import fit_problem

PROBLEM_STYLE = "color: #a0002a; font-weight: bold;"
FINE_STYLE = "color: #1b5e20;"


def counted(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def shape_text(dataset: Dataset) -> str:
    """'150 samples · 4 inputs → 3 targets'."""
    return (
        f"{counted(len(dataset.inputs), 'sample')} · "
        f"{counted(dataset.inputs.shape[1], 'input')} → "
        f"{counted(dataset.targets.shape[1], 'target')}"
    )


class DataDialog(QDialog):
    """A dialog that makes a data set and hands it to the controller.

    Subclasses build their fields into ``self.body`` and implement :meth:`make_dataset`
    (raising ValueError or DatasetError with a message). ``applied`` carries the undo
    text after the lesson took the new data.
    """

    applied = Signal(str)

    def __init__(
        self,
        session: Session,
        controller: Controller,
        title: str,
        name: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.controller = controller
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.body = QVBoxLayout()
        self.status = QLabel()
        self.status.setObjectName(f"{name}_status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)  # messages quote files
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.use_button = QPushButton("Use these data")
        self.use_button.setObjectName(f"{name}_use")
        self.use_button.setDefault(True)
        self.buttons.addButton(self.use_button, QDialogButtonBox.ButtonRole.AcceptRole)
        cancel = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName(f"{name}_cancel")
        self.use_button.clicked.connect(self.apply)
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.body, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._problem = ""

    # -- for subclasses ----------------------------------------------------------------

    def make_dataset(self) -> Dataset:
        raise NotImplementedError

    def undo_text(self) -> str:
        return "New data set"

    # -- the outcome -------------------------------------------------------------------

    def problem_text(self) -> str:
        """Why the data cannot be used (empty when they can)."""
        return self._problem

    def show_problem(self, text: str) -> None:
        text = escape(text)  # one line, whatever a file name holds
        self._problem = text
        self.status.setStyleSheet(PROBLEM_STYLE)
        self.status.setText(text)

    def show_fine(self, text: str) -> None:
        self._problem = ""
        self.status.setStyleSheet(FINE_STYLE)
        self.status.setText(text)

    def check(self) -> Dataset | None:
        """Make the data set and say whether it fits; None (with the problem shown)
        when it cannot be made or does not fit."""
        from bpsim.datasets import DatasetError

        try:
            dataset = self.make_dataset()
        except (DatasetError, ValueError, OSError) as error:
            self.show_problem(str(error))
            return None
        return dataset if self.fits(dataset) else None

    def fits(self, dataset: Dataset) -> bool:
        """Whether ``dataset`` fits the network, said in the status line."""
        problem = fit_problem(dataset.inputs, dataset.targets, self.session.trainer.network)
        if problem is not None:
            self.show_problem(f"{shape_text(dataset)}: does not fit this network: {problem}.")
            return False
        self.show_fine(f"{shape_text(dataset)}: fits this network.")
        return True

    def apply(self) -> bool:
        """Replace the lesson's data set (undoably) and close; on any problem show it,
        change nothing and stay open. Returns whether the data were used."""
        dataset = self.check()
        if dataset is None:
            return False
        return self.use(dataset)

    def use(self, dataset: Dataset) -> bool:
        """Make ``dataset`` (already checked) the lesson's data, undoably, and close."""
        text = self.undo_text()
        try:
            self.controller.replace_dataset(dataset, text)
        except ValueError as error:
            self.show_problem(str(error))
            return False
        self.applied.emit(text)
        self.accept()
        return True
