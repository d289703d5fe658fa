"""The process the crash tests kill: it trains and saves, and says on stdout what it did.

Run as ``python crash_child.py MODE LESSON`` (the tests start it; it is not a test). It
prints one line per event, flushed at once, so the parent knows exactly what is on disk
when it sends SIGKILL:

- ``SAVED <step>``: a save of the lesson at that step has finished (rename done);
- ``AUTOSAVED <step> <digest>``: the recovery file holds that step and those parameters;
- ``MIDSAVE <temp file>``: a write is stuck half-way (only half its bytes are in the
  temporary file) and stays stuck until the process is killed;
- ``RUNNING <step>``: training goes on in Run mode with changes not in any file.

Modes:

``engine-save-loop``: train one step, save over LESSON, forever.
``engine-half-write``: train 5 steps, then save over LESSON and get stuck half-way.
``window-save-half-write``: the window (offscreen) runs, then File ▸ Save gets stuck.
``window-exception``: ``bpsim LESSON`` (run_app) takes 3 steps, then a slot raises
(STEPPED, then HOOKED with whether the error box shows and the window lives on).
``window-run-autosave``: the window runs with recovery on; pause, autosave (AUTOSAVED),
run on (RUNNING); with ``--hang`` the next autosave then gets stuck (MIDSAVE) while the
window keeps running.
"""

from __future__ import annotations

import hashlib
import os
import sys
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def digest(trainer) -> str:
    """The parameters and counters, bit for bit."""
    h = hashlib.sha256()
    for array in trainer.network.parameter_arrays():
        h.update(array.tobytes())
    h.update(f"{trainer.step_count}/{trainer.epoch}/{trainer.batch_index}".encode())
    return h.hexdigest()[:24]


class _HalfWriter:
    """A file whose first write puts half the bytes in, says so, and never returns."""

    def __init__(self, stream, name: str) -> None:
        self._stream = stream
        self._name = name

    def write(self, data: bytes) -> int:
        half = len(data) // 2
        self._stream.write(data[:half])
        self._stream.flush()
        os.fsync(self._stream.fileno())
        say(f"MIDSAVE {self._name}")
        while True:  # until SIGKILL
            time.sleep(1)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)

    def __enter__(self) -> _HalfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stream.close()


def hang_writes(*parts: str, after: int = 0) -> None:
    """From the (after+1)-th write of a temporary file whose name contains all ``parts``,
    get stuck half-way through (atomic saves write through ``os.fdopen(mkstemp(...))``)."""
    real_fdopen = os.fdopen
    seen = {"n": 0}
    lock = threading.Lock()

    def fdopen(fd: int, *args: object, **kwargs: object):
        stream = real_fdopen(fd, *args, **kwargs)
        try:
            name = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            name = ""
        if name.endswith(".tmp") and all(part in Path(name).name for part in parts):
            with lock:
                seen["n"] += 1
                stuck = seen["n"] > after
            if stuck:
                return _HalfWriter(stream, name)
        return stream

    os.fdopen = fdopen


def engine_save_loop(lesson: Path) -> None:
    from bpsim.lessons.files import save_trainer, trainer_from_lesson_file

    trainer = trainer_from_lesson_file(lesson)
    while True:
        trainer.run_steps(1)
        save_trainer(trainer, lesson)
        say(f"SAVED {trainer.step_count}")


def engine_half_write(lesson: Path) -> None:
    from bpsim.lessons.files import save_trainer, trainer_from_lesson_file

    trainer = trainer_from_lesson_file(lesson)
    trainer.run_steps(5)
    hang_writes(lesson.name)
    save_trainer(trainer, lesson)
    say("NOT REACHED")


def _window(lesson: Path, recovery: bool):
    from bpsim.gui.app import make_application
    from bpsim.gui.shell.main_window import MainWindow

    app = make_application()
    window = MainWindow(lesson, recovery=recovery)
    window.show()
    return app, window


def _when(condition, then, interval_ms: int = 10) -> None:
    """Call ``then()`` once ``condition()`` holds, checking from the event loop."""
    from PySide6.QtCore import QTimer

    timer = QTimer()
    timer.setInterval(interval_ms)

    def check() -> None:
        if condition():
            timer.stop()
            then()

    timer.timeout.connect(check)
    timer.start()
    _keep.append(timer)


_keep: list[object] = []


def window_save_half_write(lesson: Path) -> None:
    app, window = _window(lesson, recovery=False)
    session = window.session

    def save_mid_run() -> None:
        hang_writes(lesson.name)
        say(f"RUNNING {session.trainer.step_count}")
        window.save()  # File ▸ Save while Run is on: stuck half-way, until killed

    session.start()
    _when(lambda: session.trainer.step_count > 200, save_mid_run)
    app.exec()


def window_run_autosave(lesson: Path, hang: bool) -> None:
    app, window = _window(lesson, recovery=True)
    session, recovery = window.session, window.recovery
    assert recovery is not None
    recovery.timer.stop()  # this script says when to autosave, so the parent knows what
    state: dict[str, object] = {}

    def autosave_paused() -> None:
        session.pause()
        state["step"] = session.trainer.step_count
        state["digest"] = digest(session.trainer)
        recovery.autosaved.connect(saved)
        recovery.autosave()  # in the background

    def saved(_path: str) -> None:
        recovery.autosaved.disconnect(saved)
        say(f"AUTOSAVED {state['step']} {state['digest']}")
        state["shown"] = False
        session.phaseFinished.connect(lambda _name: state.update(shown=True))
        session.start()
        # trained on, and the window has shown it (so it knows there is more to autosave)
        _when(
            lambda: session.trainer.step_count > int(state["step"]) + 300 and state["shown"], run_on
        )

    def run_on() -> None:
        say(f"RUNNING {session.trainer.step_count}")
        if hang:
            hang_writes(".session-", ".bpsim.")  # the lesson, after its note
            recovery.autosave()  # stuck half-way in the worker; Run goes on

    session.start()
    _when(lambda: session.trainer.step_count > 500 and window.isWindowModified(), autosave_paused)
    app.exec()


def window_exception(lesson: Path) -> None:
    """``bpsim LESSON`` itself (run_app), in which a slot raises after a few steps."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from bpsim.gui.app import make_application, run_app
    from bpsim.gui.shell.main_window import MainWindow

    make_application()  # first, so the timers below have an event loop to fire in

    def window() -> MainWindow:
        return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))

    def train_then_fail() -> None:
        win = window()
        for _ in range(3):
            win.session.step()
        say(f"STEPPED {win.session.trainer.step_count} {digest(win.session.trainer)}")
        raise RuntimeError("a bug in a slot")

    def report() -> None:
        win = window()
        box = next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.objectName() == "exception_box"
            ),
            None,
        )
        shown = box is not None and box.isVisible() and not box.isModal()
        say(f"HOOKED {int(shown)} {int(win.isVisible())} {win.recovery.files.lesson}")

    QTimer.singleShot(200, train_then_fail)
    QTimer.singleShot(600, report)
    run_app(str(lesson))


def main(argv: list[str]) -> None:
    mode, lesson = argv[0], Path(argv[1])
    if mode == "engine-save-loop":
        engine_save_loop(lesson)
    elif mode == "engine-half-write":
        engine_half_write(lesson)
    elif mode == "window-save-half-write":
        window_save_half_write(lesson)
    elif mode == "window-exception":
        window_exception(lesson)
    elif mode == "window-run-autosave":
        window_run_autosave(lesson, hang="--hang" in argv)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
