"""The rules of docs/architecture.md that import-linter cannot state, read from the source.

Every import counts, at the top of a module or inside a function, except those under
``if TYPE_CHECKING:`` (they never run). The graph is built from the files with ``ast``,
so nothing is imported and no Qt is needed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bpsim"
MAX_LINES = 900
#: Files another change under way is splitting; remove each entry when it is done.
TOO_LONG_FOR_NOW = {
    "gui/panels/network/editor.py",  # being split into scene, layout and actions
    "gui/panels/inspector/panel.py",  # its formulas move to teaching/formulas
}
#: The modules that may import the main window: the ways into the window.
ENTRY_POINTS = {"bpsim.gui", "bpsim.gui.app", "bpsim.gui.screenshot"}
MAIN_WINDOW = "bpsim.gui.shell.main_window"
#: Modules that still name the main window; to remove (presentation is being given a Host).
MAIN_WINDOW_FOR_NOW = {"bpsim.gui.services.presentation"}
#: Circles a change under way removes; each entry is one circle, by its modules.
KNOWN_CIRCLES: set[frozenset[str]] = {
    # to remove: cli/errors.py takes CliError and the exit codes out of cli/main.py
    frozenset({"bpsim.cli.main", "bpsim.cli.commands"}),
}
#: gui.state modules that still import QtWidgets; to remove (the state change moves the
#: dialog and the widget out).
STATE_WIDGETS_FOR_NOW = {"bpsim.gui.state.commands", "bpsim.gui.state.rewind"}


@dataclass(frozen=True)
class Import:
    """One import statement's target as a module of bpsim (or outside it)."""

    source: str
    target: str
    line: int
    type_checking: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    """Every import in the file; ``from package import module`` names the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]

    def walk(node: ast.AST, type_checking: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for inner in child.body:
                    yield from visit(inner, True)
                for inner in child.orelse:
                    yield from visit(inner, type_checking)
            else:
                yield from visit(child, type_checking)

    def visit(node: ast.AST, type_checking: bool) -> Iterator[Import]:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno, type_checking)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            for alias in node.names:
                sub = f"{origin}.{alias.name}"
                yield Import(name, sub if sub in modules else origin, node.lineno, type_checking)
        else:
            yield from walk(node, type_checking)

    yield from walk(ast.parse(path.read_text(encoding="utf-8")), False)


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    modules = all_modules()
    return [found for name, path in modules.items() for found in imports_of(name, path, modules)]


def circles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected parts of more than one module (Tarjan, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                part = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.add(member)
                    if member == node:
                        break
                if len(part) > 1:
                    found.append(frozenset(part))
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert circles(edges) == [frozenset({"a", "b", "c"})]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_type_checking_imports_are_told_apart(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "import os\n"
        "if TYPE_CHECKING:\n    import json\n"
        "def f():\n    import sys\n",
        encoding="utf-8",
    )
    found = {(i.target, i.type_checking) for i in imports_of("m", source, {})}
    assert found == {("typing", False), ("os", False), ("json", True), ("sys", False)}


def test_no_import_circles(imports: list[Import]) -> None:
    modules = all_modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for found in imports:
        if not found.type_checking and found.target in modules and found.target != found.source:
            edges[found.source].add(found.target)
    unknown = [sorted(c) for c in circles(edges) if c not in KNOWN_CIRCLES]
    assert unknown == [], "import circles (imports outside `if TYPE_CHECKING`)"


def test_no_file_is_too_long() -> None:
    long = {
        str(path.relative_to(PACKAGE)): n
        for path in PACKAGE.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert {k: v for k, v in long.items() if k not in TOO_LONG_FOR_NOW} == {}


def test_only_the_entry_points_import_the_main_window(imports: list[Import]) -> None:
    """Features get the Host protocol (bpsim/gui/host.py), even for type hints."""
    importers = {
        f"{i.source}:{i.line}"
        for i in imports
        if i.target in (MAIN_WINDOW, f"{MAIN_WINDOW}.MainWindow")
        and i.source not in ENTRY_POINTS | MAIN_WINDOW_FOR_NOW
    }
    assert importers == set()


def test_gui_state_imports_no_widgets(imports: list[Import]) -> None:
    """The Qt-side model needs QtCore and QtGui only: it runs under any view."""
    offenders = {
        i.source
        for i in imports
        if i.source.startswith("bpsim.gui.state")
        and not i.type_checking
        and (i.target.startswith("PySide6.QtWidgets") or i.target.startswith("pyqtgraph"))
    }
    assert offenders - STATE_WIDGETS_FOR_NOW == set()
