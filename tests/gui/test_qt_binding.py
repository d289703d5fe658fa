"""Guards against a Qt binding that corrupts Python's reference counts.

PySide6 6.12.0 on Python 3.11 returns None from void methods without a reference, so a
long session aborts with "deallocating None". pyproject.toml excludes it; this test
fails loudly if such a build comes back.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsScene, QWidget


def test_void_methods_keep_none_alive(qtbot) -> None:
    widget = QWidget()
    qtbot.addWidget(widget)
    scene = QGraphicsScene()
    item = QGraphicsEllipseItem(0, 0, 5, 5)
    scene.addItem(item)
    before = sys.getrefcount(None)
    for i in range(2000):
        widget.resize(100 + i % 3, 100)
        item.setPos(i, 0)
        item.parentItem()
    assert sys.getrefcount(None) - before > -100
