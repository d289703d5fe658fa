"""``bpsim.gui.state`` is the window's model: QtCore and QtGui only (signals, timers, the
undo stack), never widgets or plots, so it can be read, tested and reused without a
window. import-linter cannot name a Qt submodule of an outside package, so this test reads
the imports itself (every import, also inside functions and ``if TYPE_CHECKING``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bpsim.gui.state

STATE = Path(bpsim.gui.state.__file__).parent
FORBIDDEN = ("PySide6.QtWidgets", "pyqtgraph", "shiboken6")


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """Every module an import statement names, with its line: ``from PySide6 import
    QtWidgets`` names ``PySide6.QtWidgets`` as well as ``PySide6``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def forbidden_imports(source: str) -> list[str]:
    tree = ast.parse(source)
    return [
        f"line {line}: {name}"
        for line, name in imported_modules(tree)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]


def test_the_check_finds_each_way_of_importing_widgets() -> None:
    assert forbidden_imports("from PySide6.QtWidgets import QWidget") == [
        "line 1: PySide6.QtWidgets",
        "line 1: PySide6.QtWidgets.QWidget",
    ]
    assert forbidden_imports("from PySide6 import QtWidgets") == ["line 1: PySide6.QtWidgets"]
    assert forbidden_imports("import PySide6.QtWidgets as w") == ["line 1: PySide6.QtWidgets"]
    assert forbidden_imports("def f():\n    import pyqtgraph as pg\n") == ["line 2: pyqtgraph"]
    assert forbidden_imports("from PySide6.QtGui import QUndoStack, QAction") == []
    assert forbidden_imports("from PySide6.QtCore import QObject") == []


def state_modules() -> list[Path]:
    return sorted(STATE.rglob("*.py"))


def test_there_are_state_modules_to_check() -> None:
    names = {path.name for path in state_modules()}
    assert {"session.py", "controller.py", "commands.py", "rewind.py"} <= names


@pytest.mark.parametrize("path", state_modules(), ids=lambda p: p.name)
def test_gui_state_imports_no_widgets_or_plots(path: Path) -> None:
    assert forbidden_imports(path.read_text(encoding="utf-8")) == [], path
