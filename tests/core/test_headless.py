"""The engine, the file format and the data sets never import Qt (napari-style contract)."""

from __future__ import annotations

import ast
from pathlib import Path

import bpsim

PACKAGE = Path(bpsim.__file__).parent
HEADLESS = ["core", "teaching", "lessons", "fileformat", "datasets", "cli"]
FORBIDDEN = ("PySide6", "pyqtgraph", "shiboken6", "bpsim.gui")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_headless_packages_import_no_qt() -> None:
    offenders = []
    for folder in HEADLESS:
        for path in (PACKAGE / folder).rglob("*.py"):
            for name in imported_modules(path):
                if name.startswith(FORBIDDEN):
                    # the CLI may reach the window lazily, only inside the two commands that open it
                    if folder == "cli" and name in ("bpsim.gui.app", "bpsim.gui.screenshot"):
                        continue
                    offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []
