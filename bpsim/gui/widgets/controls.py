"""Buttons and check boxes as the panels make them: a name tests and screenshots find them
by, a tooltip that says what they do, and the slot they drive, in one call."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QCheckBox, QPushButton, QWidget


def push_button(
    text: str,
    name: str,
    tip: str,
    clicked: Callable[[], object] | None = None,
    *,
    toggled: Callable[[bool], object] | None = None,
    parent: QWidget | None = None,
) -> QPushButton:
    """A button called ``name`` showing ``text`` and ``tip``. ``clicked`` runs on a click;
    ``toggled`` makes the button checkable and runs with its new state."""
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setToolTip(tip)
    if clicked is not None:
        button.clicked.connect(clicked)
    if toggled is not None:
        button.setCheckable(True)
        button.toggled.connect(toggled)
    return button


def check_box(
    text: str,
    name: str,
    tip: str,
    toggled: Callable[[bool], object] | None = None,
    *,
    checked: bool = False,
) -> QCheckBox:
    """A check box called ``name`` with ``tip``, ticked when ``checked`` (set before
    ``toggled`` is connected, so building it runs nothing)."""
    box = QCheckBox(text)
    box.setObjectName(name)
    box.setToolTip(tip)
    box.setChecked(checked)
    if toggled is not None:
        box.toggled.connect(toggled)
    return box
