"""The parameter table: every weight and bias with its gradient, last update and
optimizer state, sortable (e.g. by |∂E/∂w|) and editable in the Value column.

The view only shows: the numbers, their highlighting and the sorting all come from
:class:`~bpsim.gui.panels.parameters.model.ParameterTableModel`, and an edit goes
through the controller so it can be undone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QKeySequence,
    QResizeEvent,
    QValidator,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolTip,
    QWidget,
)

from bpsim.core.gradcheck import PASS_THRESHOLD
from bpsim.core.trainer import Phase
from bpsim.gui.panels.parameters.gradcheck_task import GradientCheckRunner
from bpsim.gui.panels.parameters.model import (
    COLUMN_PARAMETER,
    COLUMN_VALUE,
    KEY_ROLE,
    ParameterTableModel,
)
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.text import number_text_state, parse_number

if TYPE_CHECKING:
    from bpsim.gui.style.appearance import Appearance

MAX_TEXT_SCALE = 2.0  # text grows with the table up to this factor

_STATES = {
    "acceptable": QValidator.State.Acceptable,
    "intermediate": QValidator.State.Intermediate,
    "invalid": QValidator.State.Invalid,
}


class NumberValidator(QValidator):
    """Lets only number-like text into the editor, and only a finite number out.

    Locale-free on purpose (QDoubleValidator follows the locale, and would take "0,5"
    in German): the model's :func:`parse_number` accepts exactly what passes here.
    """

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        return _STATES[number_text_state(text)], text, pos


class ValueDelegate(QStyledItemDelegate):
    """A line edit with :class:`NumberValidator` for the Value column: Enter does not
    commit text that is not yet a number; what is committed is checked again by the model."""

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        editor = QLineEdit(parent)
        editor.setObjectName("parameter_value_editor")
        editor.setValidator(NumberValidator(editor))
        editor.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        editor.setFrame(False)
        # A key the validator turns away would otherwise just do nothing: say why.
        editor.inputRejected.connect(
            lambda: self._refuse("only a number can go here, like 0.5, -2 or 1e-3")
        )
        return editor

    def eventFilter(self, editor: QObject, event: QEvent) -> bool:
        """Enter on text that is not (yet) a finite number keeps the editor open, as Qt
        does, and now also says why instead of doing nothing."""
        if (
            isinstance(editor, QLineEdit)
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not editor.hasAcceptableInput()
        ):
            try:
                parse_number(editor.text())
            except ValueError as error:
                self._refuse(str(error))
        return super().eventFilter(editor, event)

    def _refuse(self, reason: str) -> None:
        table = self.parent()
        if isinstance(table, ParameterTable):
            index = table.currentIndex()
            name = index.siblingAtColumn(COLUMN_PARAMETER).data() if index.isValid() else ""
            table._on_edit_rejected(f"{name}: {reason}" if name else reason)

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        assert isinstance(editor, QLineEdit)
        editor.setText(str(index.data(Qt.ItemDataRole.EditRole)))
        editor.selectAll()

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        assert isinstance(editor, QLineEdit)
        if editor.text() == str(index.data(Qt.ItemDataRole.EditRole)):
            return  # left unchanged: no undo entry, no message
        model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class ParameterTable(QTableView):
    """The table view over a :class:`ParameterTableModel` of the session's network."""

    editRejected = Signal(str)  # a refused edit, with the message shown at the cell
    currentParameterChanged = Signal(object)  # ParameterKey of the current row, or None
    gradientsChecked = Signal(str)  # the gradient check's verdict, for the status bar

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("parameter_table")
        self._session = session
        self._model = ParameterTableModel(session, controller, self)
        self.setModel(self._model)
        self.last_rejection = ""
        self._natural: list[int] = []  # column widths the contents need (see _fit_columns)
        self._delegate = ValueDelegate(self)
        self.setItemDelegateForColumn(COLUMN_VALUE, self._delegate)

        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
            | QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)

        rows = self.verticalHeader()
        rows.hide()
        # fixed heights: no per-row size hints over 16,000 rows
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)

        header = self.horizontalHeader()
        header.setSectionsMovable(False)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)  # spare width is shared out in _spread_columns
        header.setSortIndicatorClearable(True)  # a third click goes back to file order
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # start in file order
        self.setSortingEnabled(True)

        self._base_point_size = max(self.font().pointSizeF(), 9.0)
        self._scale = 1.0
        self._zoom = 1.0  # the window's zoom (apply_appearance)

        self._model.editRejected.connect(self._on_edit_rejected)
        self._model.modelReset.connect(self._fit_columns)
        self._model.columnsInserted.connect(self._on_columns_inserted)
        self.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.check_action = QAction("Check &gradients", self)
        self.check_action.setObjectName("check_gradients")
        self.check_action.setShortcut(QKeySequence("Ctrl+G"))
        tip = (
            "Compare every ∂E/∂w with a finite-difference estimate on the current batch: "
            "adds the columns “finite diff.” and “rel. error” (✓ within "
            f"{PASS_THRESHOLD:g})"
        )
        self.check_action.setToolTip(f"{tip} (Ctrl+G)")
        self.check_action.setStatusTip(tip)
        self.check_action.triggered.connect(self.check_gradients)
        self.gradient_checks = GradientCheckRunner(
            self, session, self._model.set_gradient_check, self.gradientsChecked.emit
        )
        self.addAction(self.check_action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._fit_columns()

    @property
    def parameter_model(self) -> ParameterTableModel:
        return self._model

    def current_key(self) -> ParameterKey | None:
        index = self.currentIndex()
        return index.data(KEY_ROLE) if index.isValid() else None

    def select_parameter(self, key: ParameterKey) -> None:
        """Make ``key``'s row current and scroll to it (e.g. when a link is clicked)."""
        row = self._model.row_for(key)
        index = self._model.index(row, COLUMN_VALUE)
        self.setCurrentIndex(index)
        self.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def check_gradients(self) -> bool:
        """Run the gradient check on the batch on screen (or the next one) and show it in
        the two check columns; True when it ran at once and passed. A big network's
        check runs in the background (``gradient_checks.task``) and shows when done."""
        session = self._session
        if session.running:
            self.gradientsChecked.emit(
                "Pause training first: the gradient check needs a still network."
            )
            return False
        if session.training_blocked is not None:  # the data does not fit the network
            self.gradientsChecked.emit(session.training_blocked)
            return False
        trainer = session.trainer
        trace = trainer.trace
        if trace is not None and trainer.phase is not Phase.READY:
            rows = trace.indices
        else:
            rows = trainer.next_batch()
        # a big network's check goes off the GUI thread, with progress and Cancel (None)
        return self.gradient_checks.start(rows) is True

    def edit_value(self, key: ParameterKey) -> bool:
        """Open the Value editor on ``key`` (keyboard users, and tests)."""
        self.select_parameter(key)
        # (Qt's edit() takes no event, as here; PySide6's stub wants one)
        return self.edit(  # type: ignore[call-overload]
            self.currentIndex(), QAbstractItemView.EditTrigger.AllEditTriggers, None
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Grow the text with the table, so a full-screen table reads from the back row."""
        super().resizeEvent(event)
        size = event.size()
        scale = min(size.width() / 900, size.height() / 500)
        scale = min(max(round(scale * 4) / 4, 1.0), MAX_TEXT_SCALE)  # quarter steps
        if scale != self._scale:
            self._scale = scale
            self._apply_text_size()
        else:
            self._spread_columns()

    def _apply_text_size(self) -> None:
        """Font and row height for the size scale times the window's zoom."""
        font = QFont(self.font())
        font.setPointSizeF(self._base_point_size * self._scale * self._zoom)
        self.setFont(font)
        self.horizontalHeader().setFont(font)
        self.verticalHeader().setDefaultSectionSize(QFontMetrics(font).height() + 8)
        self._fit_columns()

    def apply_appearance(self, appearance: Appearance) -> None:
        """A new zoom (bpsim.gui.style.appearance): text and rows grow with it (colours come
        from the window's palette)."""
        if appearance.zoom != self._zoom:
            self._zoom = appearance.zoom
            self._apply_text_size()

    def _fit_columns(self) -> None:
        """Widths from font metrics — the header's text, the widest number the table can
        show (six significant digits), the longest name among the first rows — then the
        spare width shared out. (Asking Qt to measure the contents costs two thirds of a
        structural edit on a 200-neuron network: thousands of data() calls.)"""
        header = self.horizontalHeader()
        model = self._model
        metrics = QFontMetrics(self.font())
        bold = QFont(self.font())
        bold.setBold(True)  # highlighted cells are bold
        number = QFontMetrics(bold).horizontalAdvance("−0.000473841·10⁻⁵") + 16
        head_metrics = QFontMetrics(header.font())
        for column in range(model.columnCount()):
            title = str(model.headerData(column, Qt.Orientation.Horizontal) or "")
            width = head_metrics.horizontalAdvance(title) + 24
            if column == COLUMN_PARAMETER:
                names = (
                    str(model.data(model.index(row, column)) or "")
                    for row in range(min(model.rowCount(), 200))
                )
                longest = max((metrics.horizontalAdvance(n) for n in names), default=0)
                width = max(width, longest + 24, metrics.horizontalAdvance("w00  h00 → y00") + 24)
            else:
                width = max(width, number)
            header.resizeSection(column, width)
        self._natural = [header.sectionSize(c) for c in range(self._model.columnCount())]
        self._spread_columns()

    def _spread_columns(self) -> None:
        """Share width the columns do not need among the number columns, so the numbers
        sit next to their names instead of one column stretching across the screen."""
        natural = self._natural
        count = self._model.columnCount()
        if not natural or len(natural) != count or count < 2:
            return
        spare = self.viewport().width() - sum(natural)
        extra = max(spare, 0) // (count - 1)
        header = self.horizontalHeader()
        for column in range(count):
            # at most 60 % wider: on a wide screen the rest stays empty on the right,
            # rather than pushing numbers far away from their names
            grow = 0 if column == COLUMN_PARAMETER else min(extra, natural[column] * 3 // 5)
            width = natural[column] + grow
            if header.sectionSize(column) != width:
                header.resizeSection(column, width)

    def _on_columns_inserted(self) -> None:
        self._fit_columns()
        current = self.currentIndex()
        if current.isValid():  # a selected row takes in the new state columns too
            self.selectRow(current.row())

    def _on_edit_rejected(self, message: str) -> None:
        """Say why at the cell, since the value simply stays as it was."""
        self.last_rejection = message
        index = self.currentIndex()
        rect = self.visualRect(index) if index.isValid() else self.viewport().rect()
        where = self.viewport().mapToGlobal(rect.bottomLeft() + QPoint(0, 2))
        QToolTip.showText(where, message, self.viewport(), rect, 6000)
        self.editRejected.emit(message)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.currentParameterChanged.emit(current.data(KEY_ROLE) if current.isValid() else None)
