"""Long work off the GUI thread, with a progress dialog and Cancel.

:class:`ProgressTask` runs ``work(progress)`` on Qt's thread pool while the window goes on
painting and answering. ``work`` reports with ``progress(done, total)``, which raises
:class:`TaskCancelled` once Cancel was pressed, so the work stops at its next report and
nothing it was building is used. The outcome arrives on the GUI thread as one of
``succeeded(result)``, ``failed(message)`` or ``cancelled()``, then ``ended()``.

The work must not touch widgets or the session: it gets copies of what it needs, and the
caller decides on the GUI thread what to do with the result (a gradient check whose
weights changed meanwhile is thrown away, for instance).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

#: The dialog shows only when the work lasts longer than this (no flash for quick work).
SHOW_AFTER_MS = 300
#: Reports reach the dialog at most this often (a report per parameter would flood it).
REPORT_SECONDS = 0.05
STEPS = 1000  # the dialog's scale


class TaskCancelled(Exception):
    """Raised inside the work by ``progress`` once Cancel was pressed."""


Progress = Callable[[int, int], None]


class _Bridge(QObject):
    """Carries the worker's news to the GUI thread (queued: it lives there)."""

    progressed = Signal(int, int)
    done = Signal(object, str, bool)  # result, error message, cancelled


class ProgressTask(QObject):
    """One run of ``work`` in the background; see the module doc.

    ``busy``: the work cannot say how far it is (a moving bar; Cancel throws its result
    away). ``dialog`` (objectName ``progress_dialog``) is window-modal over ``parent``'s
    window:
    the window keeps painting and its event loop keeps running, but a second long task
    cannot be started over the first.
    """

    progressed = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()

    def __init__(
        self,
        parent: QWidget,
        title: str,
        label: str,
        work: Callable[[Progress], Any],
        *,
        show_after_ms: int = SHOW_AFTER_MS,
        busy: bool = False,
    ) -> None:
        super().__init__(parent)
        self._work = work
        self._stop = threading.Event()
        self._running = False
        self.done = 0
        self.total = 0
        self.dialog = QProgressDialog(label, "Cancel", 0, STEPS, parent.window())
        self.dialog.setObjectName("progress_dialog")
        self.dialog.setWindowTitle(title)
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(show_after_ms)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.dialog.canceled.connect(self.cancel)
        if busy:  # work that cannot count its steps: a moving bar, Cancel still stops it
            self.dialog.setRange(0, 0)
        self.dialog.reset()  # hidden until start()
        self._bridge = _Bridge()
        self._bridge.progressed.connect(self._progressed)
        self._bridge.done.connect(self._finished)
        stop = self._stop  # the window going away stops the work (nothing would take it)
        parent.destroyed.connect(lambda *_: stop.set())

    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        """Begin the work on the thread pool; the dialog shows if it lasts."""
        if self._running:
            return
        self._running = True
        self._stop.clear()
        self.dialog.setValue(0)  # starts the dialog's show-after timer
        bridge, stop, work = self._bridge, self._stop, self._work

        def run() -> None:
            last = 0.0

            def progress(done: int, total: int) -> None:
                nonlocal last
                if stop.is_set():
                    raise TaskCancelled
                now = time.monotonic()
                if now - last >= REPORT_SECONDS or done >= total:
                    last = now
                    _emit(bridge.progressed, done, total)

            try:
                result = work(progress)
            except TaskCancelled:
                _emit(bridge.done, None, "", True)
            except MemoryError:
                _emit(bridge.done, None, "there is not enough free memory for this", False)
            except Exception as error:  # reported in the window, never a traceback
                _emit(bridge.done, None, str(error) or type(error).__name__, False)
            else:
                _emit(bridge.done, result, "", stop.is_set())

        QThreadPool.globalInstance().start(run)

    def cancel(self) -> None:
        """Ask the work to stop at its next report; ``cancelled`` follows."""
        if self._running:
            self._stop.set()
            self.dialog.setLabelText("Stopping…")

    def _progressed(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        if self._running and not self._stop.is_set() and self.dialog.maximum() > 0:
            self.dialog.setValue(min(STEPS, STEPS * done // max(total, 1)))
        self.progressed.emit(done, total)

    def _finished(self, result: object, error: str, was_cancelled: bool) -> None:
        self._running = False
        self.dialog.reset()
        self.dialog.hide()
        if was_cancelled:
            self.cancelled.emit()
        elif error:
            self.failed.emit(error)
        else:
            self.succeeded.emit(result)
        self.ended.emit()


def _emit(signal: Any, *args: object) -> None:
    """Emit from the worker; the receiver (the window) may be gone by now."""
    with contextlib.suppress(RuntimeError):  # the bridge was deleted with its task
        signal.emit(*args)


__all__ = ["Progress", "ProgressTask", "TaskCancelled"]
