"""A spin box for real numbers that reads what people type as every other field does.

``QDoubleSpinBox`` reads text by the system's locale: in English ``0,5`` is five (the comma
groups thousands), in German it is one half. :class:`NumberSpinBox` reads with
:func:`bpsim.text.parse_number` instead, so ``0,5``, ``0.5``, ``−0.5`` and ``5e-1`` mean the
same in a dialog as in the toolbar, the parameter table and a CSV cell.
"""

from __future__ import annotations

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox, QWidget

from bpsim.text import number_text_state, parse_number

#: bpsim.text.number_text_state's answers as Qt's validator states.
VALIDATOR_STATES = {
    "acceptable": QValidator.State.Acceptable,
    "intermediate": QValidator.State.Intermediate,
    "invalid": QValidator.State.Invalid,
}


class NumberSpinBox(QDoubleSpinBox):
    """A ``QDoubleSpinBox`` whose typed text follows :mod:`bpsim.text`'s one grammar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setGroupSeparatorShown(False)

    def _body(self, text: str) -> str:
        """The number part of the text, without the prefix and suffix."""
        body = text.strip()
        prefix, suffix = self.prefix(), self.suffix()
        if prefix and body.startswith(prefix):
            body = body[len(prefix) :]
        if suffix and body.endswith(suffix):
            body = body[: -len(suffix)]
        return body.strip()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        body = self._body(text)
        state = number_text_state(body)
        if state == "acceptable" and not self.minimum() <= parse_number(body) <= self.maximum():
            state = "intermediate"  # may still become a number in range (or be fixed up)
        return VALIDATOR_STATES[state], text, pos

    def valueFromText(self, text: str) -> float:
        try:
            return parse_number(self._body(text))
        except ValueError:
            return self.value()  # validate() lets no such text be committed
