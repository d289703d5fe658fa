"""The parameter table: every weight and bias with its gradient, last update and
optimizer state, sortable (e.g. by |∂E/∂w|) and editable in the Value column.

The view only shows: the numbers, their highlighting and the sorting all come from
:class:`~bpsim.gui.models.parameter_table_model.ParameterTableModel`, and an edit goes
through the controller so it can be undone.
"""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QResizeEvent, QValidator
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

from bpsim.gui.controller import Controller
from bpsim.gui.models.parameter_table_model import (
    COLUMN_PARAMETER,
    COLUMN_VALUE,
    KEY_ROLE,
    ParameterTableModel,
    number_text_state,
)
from bpsim.gui.session import ParameterKey, Session

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
        return editor

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

    def __init__(
        self, session: Session, controller: Controller, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("parameter_table")
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

        self._model.editRejected.connect(self._on_edit_rejected)
        self._model.modelReset.connect(self._fit_columns)
        self._model.columnsInserted.connect(self._on_columns_inserted)
        self.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
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

    def edit_value(self, key: ParameterKey) -> bool:
        """Open the Value editor on ``key`` (keyboard users, and tests)."""
        self.select_parameter(key)
        return self.edit(self.currentIndex(), QAbstractItemView.EditTrigger.AllEditTriggers, None)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Grow the text with the table, so a full-screen table reads from the back row."""
        super().resizeEvent(event)
        size = event.size()
        scale = min(size.width() / 900, size.height() / 500)
        scale = min(max(round(scale * 4) / 4, 1.0), MAX_TEXT_SCALE)  # quarter steps
        if scale != self._scale:
            self._scale = scale
            font = QFont(self.font())
            font.setPointSizeF(self._base_point_size * scale)
            self.setFont(font)
            self.horizontalHeader().setFont(font)
            self.verticalHeader().setDefaultSectionSize(QFontMetrics(font).height() + 8)
            self._fit_columns()
        else:
            self._spread_columns()

    def _fit_columns(self) -> None:
        """Widths from the header and the rows in view (sampling 200 rows, so this stays
        quick on a big network), then the spare width shared out."""
        header = self.horizontalHeader()
        header.setResizeContentsPrecision(200)
        self.resizeColumnsToContents()
        metrics = QFontMetrics(self.font())
        minimum = metrics.horizontalAdvance("−0.000000000") + 16
        for column in range(self._model.columnCount()):
            if column != COLUMN_PARAMETER and header.sectionSize(column) < minimum:
                header.resizeSection(column, minimum)
        name_width = metrics.horizontalAdvance("w00  h00 → y00") + 24
        if header.sectionSize(COLUMN_PARAMETER) < name_width:
            header.resizeSection(COLUMN_PARAMETER, name_width)
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
