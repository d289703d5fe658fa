"""A slider through the training so far, between Step back and Step forward buttons.

Each slider position is one recorded phase (or Run slice, or edit) of the
:class:`~bpsim.gui.state.rewind.Rewind` timeline; the label says what happened there. Dragging
only previews the label; the trainer moves when the handle is let go (one replay, not one
per pixel). Clicks and keys move it at once, coalesced into one seek per event loop turn.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from bpsim.gui.state.rewind import Rewind


class TimelineBar(QWidget):
    """◀ Step back · slider · Step forward ▶ · "step 3 · update — 9 of 12"."""

    def __init__(
        self, rewind: Rewind, actions: dict[str, QAction], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("timeline_bar")
        self.rewind = rewind
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.setSpacing(8)
        title = QLabel("Timeline")
        title.setToolTip("Every phase taken so far; drag to go back to any of them")
        layout.addWidget(title)
        self.back_button = QToolButton(self)
        self.back_button.setDefaultAction(actions["step_back"])
        self.back_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout.addWidget(self.back_button)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("timeline_slider")
        self.slider.setMinimumWidth(160)
        self.slider.setTracking(True)
        self.slider.setToolTip(
            "The training so far, one position per phase: drag back to see any earlier "
            "point; taking a phase from there starts a new branch"
        )
        layout.addWidget(self.slider, 1)
        self.forward_button = QToolButton(self)
        self.forward_button.setDefaultAction(actions["step_forward"])
        self.forward_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        layout.addWidget(self.forward_button)
        self.label = QLabel()
        self.label.setObjectName("timeline_label")
        sample = "step 0000 · run 0000 steps · 00000 of 00000"
        self.label.setMinimumWidth(self.fontMetrics().horizontalAdvance(sample))
        layout.addWidget(self.label)
        self._seek_timer = QTimer(self)
        self._seek_timer.setSingleShot(True)
        self._seek_timer.setInterval(0)
        self._seek_timer.timeout.connect(self._seek_now)
        self.slider.valueChanged.connect(self._value_changed)
        self.slider.sliderReleased.connect(self._seek_now)
        rewind.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Follow the timeline: range, handle and label (never seeks)."""
        rewind = self.rewind
        with QSignalBlocker(self.slider):
            self.slider.setRange(0, rewind.length)
            self.slider.setPageStep(max(1, rewind.length // 10))
            if not self.slider.isSliderDown():
                self.slider.setValue(rewind.position)
        self.slider.setEnabled(rewind.length > 0 and not rewind.session.running)
        self._show_label(rewind.position)

    def _show_label(self, position: int) -> None:
        rewind = self.rewind
        if rewind.session.running:
            text = f"running · {rewind.length} recorded"
        else:
            text = f"{rewind.label(position)} · {position} of {rewind.length}"
        self.label.setText(text)
        self.slider.setToolTip(text)

    def _value_changed(self, value: int) -> None:
        self._show_label(value)
        if not self.slider.isSliderDown():
            self._seek_timer.start()

    def _seek_now(self) -> None:
        self._seek_timer.stop()
        target = self.slider.value()
        if target != self.rewind.position:
            self.rewind.seek(target)
        else:
            self.refresh()
