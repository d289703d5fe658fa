"""Autosave and crash recovery: a prepared lesson is never lost.

While the open lesson has unsaved changes, :class:`RecoveryManager` writes it to a
recovery file every minute (and at once when an unexpected exception reaches the
exception hook). The file is a plain `.bpsim` lesson written atomically (temporary file,
flush, rename), so a crash in the middle of an autosave leaves the previous one intact; a
clean save or a clean close removes it. Each running window writes its own files,
``session-<token>.bpsim`` and ``session-<token>.json`` (which lesson file it belongs to),
and holds ``session-<token>.lock`` while it lives. A recovery file whose lock no living
process holds was left by a crash: the next start offers it back in a non-modal banner
with Restore and Discard.

Where: ``$BPSIM_RECOVERY_DIR`` if set (tests), else ``recovery`` in the application's data
folder (QStandardPaths.AppDataLocation). ``$BPSIM_AUTOSAVE_SECONDS`` changes the interval.

The lesson is captured on the GUI thread between two training slices (a copy, so training
goes on), and written from a worker thread: after a million steps the loss history makes
the file tens of megabytes, and writing it must not freeze the window.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import threading
import uuid
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QLockFile, QObject, QStandardPaths, QTimer, Signal
from PySide6.QtWidgets import QMainWindow, QPushButton, QWidget
from shiboken6 import isValid

from bpsim.core.spec import Lesson
from bpsim.fileformat import LessonFileError
from bpsim.fileformat.atomic import atomic_write_bytes
from bpsim.gui.services.documents import load_trainer
from bpsim.gui.widgets.banner import MessageBanner
from bpsim.lessons.files import save_lesson_that_loads

if TYPE_CHECKING:
    from bpsim.gui.host import Host

RECOVERY_DIR_ENV = "BPSIM_RECOVERY_DIR"
AUTOSAVE_SECONDS_ENV = "BPSIM_AUTOSAVE_SECONDS"
AUTOSAVE_INTERVAL_MS = 60_000
PREFIX = "session-"
INFO_FORMAT = "bpsim-recovery"
MAX_INFO_BYTES = 64 * 1024  # the note beside a recovery file is a few hundred bytes


def recovery_folder() -> Path:
    """Where recovery files go (not created here)."""
    override = os.environ.get(RECOVERY_DIR_ENV, "").strip()
    if override:
        return Path(override)
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".bpsim") / "recovery"


def autosave_interval_ms() -> int:
    """The autosave interval: ``$BPSIM_AUTOSAVE_SECONDS`` when it is a number above 0."""
    text = os.environ.get(AUTOSAVE_SECONDS_ENV, "").strip()
    try:
        seconds = float(text)
    except ValueError:
        return AUTOSAVE_INTERVAL_MS
    if not (math.isfinite(seconds) and seconds > 0):
        return AUTOSAVE_INTERVAL_MS
    return max(int(seconds * 1000), 10)


@dataclass(frozen=True)
class RecoveryFiles:
    """The files of one window's recovery record, named by ``token``."""

    folder: Path
    token: str

    @property
    def lesson(self) -> Path:
        return self.folder / f"{PREFIX}{self.token}.bpsim"

    @property
    def info(self) -> Path:
        return self.folder / f"{PREFIX}{self.token}.json"

    @property
    def lock(self) -> Path:
        return self.folder / f"{PREFIX}{self.token}.lock"

    def remove(self) -> None:
        """Delete the lesson and its note (not the lock: its owner releases it)."""
        for path in (self.lesson, self.info):
            with contextlib.suppress(OSError):  # gone already, or never could be written
                path.unlink()


@dataclass(frozen=True)
class RecoveryInfo:
    """What the note beside a recovery file says (all optional: the note is a hint)."""

    original: Path | None = None  # the lesson file the unsaved work belongs to
    saved_at: str = ""  # local time of the autosave, for the offer's wording
    name: str = ""


def write_info(files: RecoveryFiles, lesson: Lesson, original: Path | None) -> None:
    """The note beside the recovery file, written atomically."""
    note = {
        "format": INFO_FORMAT,
        "version": 1,
        "original": None if original is None else str(original),
        "saved_at": _dt.datetime.now().isoformat(timespec="seconds"),
        "name": lesson.name or "",
    }
    atomic_write_bytes(files.info, json.dumps(note, ensure_ascii=False).encode("utf-8"))


def read_info(files: RecoveryFiles) -> RecoveryInfo:
    """The note, read as data only; a missing, huge or malformed note gives empty fields."""
    try:
        if files.info.stat().st_size > MAX_INFO_BYTES:
            return RecoveryInfo()
        note = json.loads(files.info.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return RecoveryInfo()
    if not isinstance(note, dict) or note.get("format") != INFO_FORMAT:
        return RecoveryInfo()
    original = note.get("original")
    saved_at = note.get("saved_at")
    name = note.get("name")
    return RecoveryInfo(
        original=Path(original) if isinstance(original, str) and original else None,
        saved_at=saved_at if isinstance(saved_at, str) else "",
        name=name if isinstance(name, str) else "",
    )


def _new_lock(path: Path) -> QLockFile:
    lock = QLockFile(str(path))
    lock.setStaleLockTime(0)  # stale only when its process is gone, however old
    return lock


@dataclass
class Orphan:
    """A recovery file left by a process that is gone; ``lock`` is now held by us."""

    files: RecoveryFiles
    info: RecoveryInfo
    lock: QLockFile

    def release(self, delete: bool) -> None:
        if delete:
            self.files.remove()
        self.lock.unlock()


def find_orphans(folder: Path) -> list[Orphan]:
    """Recovery files no living bpsim owns, newest first; their locks are taken, so two
    windows starting at once never offer the same file."""
    dated: list[tuple[float, Path]] = []
    try:
        for lesson in folder.glob(f"{PREFIX}*.bpsim"):
            with contextlib.suppress(OSError):  # gone meanwhile: nothing to offer
                dated.append((lesson.stat().st_mtime, lesson))
    except OSError:
        return []
    found: list[Orphan] = []
    for _, lesson in sorted(dated, reverse=True):
        token = lesson.name[len(PREFIX) : -len(".bpsim")]
        files = RecoveryFiles(folder, token)
        lock = _new_lock(files.lock)
        if lock.tryLock(0):
            found.append(Orphan(files, read_info(files), lock))
    return found


_managers: weakref.WeakSet[RecoveryManager] = weakref.WeakSet()


def save_all_now() -> list[Path]:
    """Write every window's unsaved work to its recovery file now (the exception hook
    calls this). Never raises; returns the files written."""
    written: list[Path] = []
    for manager in list(_managers):
        try:
            path = manager.save_now()
        except Exception:  # the hook must go on to show its dialog
            path = None
        if path is not None:
            written.append(path)
    return written


class RecoveryBanner(MessageBanner):
    """The offer to restore: a message banner with Restore and Discard, placed below the
    window's problem banner (``above``) when both show."""

    def __init__(self, window: QMainWindow, above: QWidget | None = None) -> None:
        super().__init__(window)
        self.setObjectName("recovery_banner")
        self.label.setObjectName("recovery_banner_text")
        self.restore_button = QPushButton("Restore")
        self.restore_button.setObjectName("recovery_restore")
        self.restore_button.setToolTip("Open the unsaved work kept when bpsim last stopped")
        self.discard_button = QPushButton("Discard")
        self.discard_button.setObjectName("recovery_discard")
        self.discard_button.setToolTip("Delete the recovery file; this cannot be undone")
        for offset, button in enumerate((self.restore_button, self.discard_button)):
            self.row.insertWidget(2 + offset, button)  # after the text, before ✕
        self._above = above
        if above is not None:
            above.installEventFilter(self)

    def place(self) -> None:
        super().place()
        above = self._above
        if above is not None and above.isVisible() and above is not self:
            self.move(self.x(), above.geometry().bottom() + 6)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self._above
            and event.type() in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.Resize)
            and self.isVisible()
        ):
            self.place()
        return super().eventFilter(watched, event)


class RecoveryManager(QObject):
    """Autosaves the window's unsaved work and offers back what a crash left behind.

    ``autosaved(path)`` is emitted once a recovery file has been written (in the GUI
    thread); ``restored(path)`` once a recovery file is open in the window.
    """

    autosaved = Signal(str)
    restored = Signal(str)
    _written = Signal(int, str, str)  # generation, path, error ("" when written)

    def __init__(
        self,
        host: Host,
        folder: Path | None = None,
        interval_ms: int | None = None,
    ) -> None:
        super().__init__(host.main_window())
        self.host = host
        self.folder = Path(folder) if folder is not None else recovery_folder()
        self.files = RecoveryFiles(self.folder, uuid.uuid4().hex[:16])
        self._lock: QLockFile | None = None  # taken at the first write
        self._io = threading.Lock()  # one writer at a time; discard waits for it
        self._generation = 0  # bumped by discard: older pending writes are dropped
        self._pending: Future[None] | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._changed = False  # something changed since the last autosave
        self._reported: str | None = None  # last failure shown (shown once, not every minute)
        self.orphans: list[Orphan] = []
        self.banner: RecoveryBanner | None = None

        self.timer = QTimer(self)
        self.timer.setObjectName("autosave_timer")
        self.timer.setInterval(interval_ms if interval_ms is not None else autosave_interval_ms())
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        self._written.connect(self._on_written)
        session = host.session
        for signal in (session.phaseFinished, session.settingsChanged, session.lessonReplaced):
            signal.connect(self._mark_changed)
        # Another lesson opened over changes the user chose to discard: their recovery
        # file goes at once (once the window has settled whether the new one is unsaved).
        session.lessonReplaced.connect(lambda: QTimer.singleShot(0, self._after_replace))
        _managers.add(self)

    # -- autosave ---------------------------------------------------------------------

    def set_interval(self, ms: int) -> None:
        self.timer.setInterval(max(int(ms), 1))

    def _mark_changed(self, *_: object) -> None:
        self._changed = True

    def _after_replace(self) -> None:
        if not isValid(self.host.main_window()):
            return  # the window closed in the meantime
        if not self.host.is_modified() and self.files.lesson.exists():
            self.discard()

    def _take_lock(self) -> None:
        if self._lock is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            lock = _new_lock(self.files.lock)
            if not lock.tryLock(0):
                raise OSError(f"cannot lock {self.files.lock}")
            self._lock = lock

    def _blocked(self) -> bool:
        """While the data set does not fit the network, a saved lesson would not open
        again (the window refuses to save it too)."""
        return self.host.session.training_blocked is not None

    def _capture(self) -> tuple[Lesson, Path | None]:
        """The lesson as it stands (a copy: training may go on while it is written)."""
        session = self.host.session
        return session.trainer.to_lesson(), session.path

    def _write(self, generation: int, lesson: Lesson, original: Path | None) -> None:
        with self._io:
            if generation != self._generation:
                return  # saved or closed meanwhile: this work is no longer unsaved
            self._take_lock()
            write_info(self.files, lesson, original)
            # what a file cannot hold (an overflowed optimizer state …) is left out, so
            # the recovery file always opens again
            save_lesson_that_loads(lesson, self.files.lesson)

    def autosave(self, wait: bool = False) -> bool:
        """The timer's tick: write the unsaved work if it changed since the last time,
        in the background (``wait``: before returning). A lesson without unsaved changes
        has no recovery file. Returns whether a write was started."""
        if not self.host.is_modified():
            if self.files.lesson.exists():
                self.discard()
            return False
        if not self._changed or (self._pending is not None and not self._pending.done()):
            return False
        if self._blocked():
            return False  # keep the last recovery file that opens; write once it fits again
        try:
            lesson, original = self._capture()
        except Exception as error:  # an autosave must never take the window down
            self._report(f"Autosave failed: {error}")
            return False
        self._changed = False
        generation = self._generation
        if wait:
            self._finish(generation, self._run(generation, lesson, original))
            return True
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="bpsim-autosave")
        future = self._executor.submit(self._write, generation, lesson, original)
        future.add_done_callback(partial(self._background_done, generation))
        self._pending = future
        return True

    def _run(self, generation: int, lesson: Lesson, original: Path | None) -> str:
        try:
            self._write(generation, lesson, original)
        except Exception as error:  # a full disk or a bug: reported, never raised
            return str(error) or type(error).__name__
        return ""

    def _background_done(self, generation: int, future: Future[None]) -> None:
        error = future.exception()
        text = "" if error is None else str(error)
        with contextlib.suppress(RuntimeError):  # the window (and this object) is gone
            self._written.emit(generation, str(self.files.lesson), text)

    def _on_written(self, generation: int, path: str, error: str) -> None:
        self._finish(generation, error)

    def _finish(self, generation: int, error: str) -> None:
        if error:
            self._changed = True  # try again at the next tick
            self._report(f"Autosave failed: {error}")
        elif generation == self._generation and self.files.lesson.exists():
            self._reported = None
            self.autosaved.emit(str(self.files.lesson))

    def _report(self, text: str) -> None:
        if text != self._reported:
            self._reported = text
            self.host.show_status(text)

    def save_now(self) -> Path | None:
        """Write the unsaved work at once, waiting for it (the exception hook, tests).
        Returns the recovery file, or None when there is nothing unsaved or it failed."""
        if not self.host.is_modified() or self._blocked():
            return None
        self._changed = True
        self.wait()
        lesson, original = self._capture()
        generation = self._generation
        error = self._run(generation, lesson, original)
        self._finish(generation, error)
        self._changed = bool(error)
        return None if error else self.files.lesson

    def wait(self) -> None:
        """Until a background write has finished."""
        pending = self._pending
        if pending is not None:
            with contextlib.suppress(Exception):
                pending.result()

    def discard(self) -> None:
        """The work is saved (or thrown away on purpose): no recovery file any more."""
        with self._io:
            self._generation += 1
            self.files.remove()
        self._changed = self.host.is_modified()

    def shutdown(self) -> None:
        """A clean close: no recovery file, no lock, no worker; nothing offered stays locked."""
        self.timer.stop()
        self.discard()
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None
        for orphan in self.orphans:
            orphan.lock.unlock()
        self.orphans = []
        _managers.discard(self)

    # -- the offer after a crash ------------------------------------------------------

    def offer(self) -> bool:
        """Look for work a crash left behind; if there is some, show the Restore /
        Discard banner for the newest. Returns whether something is offered."""
        if not self.orphans:
            self.orphans = find_orphans(self.folder)
        if not self.orphans:
            if self.banner is not None:
                self.banner.hide()
            return False
        if self.banner is None:
            window = self.host.main_window()
            above = window.findChild(MessageBanner, "message_banner")
            self.banner = RecoveryBanner(window, above)
            self.banner.restore_button.clicked.connect(self.restore)
            self.banner.discard_button.clicked.connect(self.discard_offer)
        self.banner.show_message(self._offer_text(self.orphans[0]), "warning")
        return True

    def _offer_text(self, orphan: Orphan) -> str:
        info = orphan.info
        what = f"“{info.name}”" if info.name else "a lesson"
        where = f" ({info.original.name})" if info.original is not None else " (never saved)"
        when = ""
        if info.saved_at:
            with contextlib.suppress(ValueError):
                when = _dt.datetime.fromisoformat(info.saved_at).strftime(" at %H:%M on %Y-%m-%d")
        more = len(self.orphans) - 1
        tail = f" ({more} more after this one.)" if more > 0 else ""
        return (
            f"bpsim did not close properly last time. Unsaved work on {what}{where} was "
            f"autosaved{when}. Restore it, or discard it for good?{tail}"
        )

    def restore(self) -> bool:
        """Open the offered work in the window, unsaved and belonging to its original
        file. Refused (nothing changes) while the open lesson has unsaved changes."""
        if not self.orphans:
            return False
        if self.host.is_modified():
            self.host.show_problem(
                "The open lesson has unsaved changes: save them first (File ▸ Save), "
                "then Restore the recovered work."
            )
            return False
        orphan = self.orphans[0]
        try:
            trainer = load_trainer(orphan.files.lesson)
        except LessonFileError as error:
            self.host.show_problem(f"The recovered work cannot be opened. {error}")
            return False
        self.host.replace_lesson(trainer, orphan.info.original, unsaved=True)
        # Safe in this window's own recovery file before the old one goes.
        if self.save_now() is None:
            self.host.show_problem(
                f"The recovered work is open but could not be kept in a new recovery file; "
                f"save it now. The old recovery file stays: {orphan.files.lesson}"
            )
            self.orphans.pop(0).release(delete=False)
        else:
            self.orphans.pop(0).release(delete=True)
        self.restored.emit(str(orphan.files.lesson))
        self.host.show_status("Restored the unsaved work; save it to keep it")
        self.offer()
        return True

    def discard_offer(self) -> None:
        """Delete the offered recovery file for good and offer the next, if any."""
        if self.orphans:
            self.orphans.pop(0).release(delete=True)
        self.offer()


__all__ = [
    "AUTOSAVE_INTERVAL_MS",
    "AUTOSAVE_SECONDS_ENV",
    "RECOVERY_DIR_ENV",
    "RecoveryBanner",
    "RecoveryFiles",
    "RecoveryManager",
    "autosave_interval_ms",
    "find_orphans",
    "recovery_folder",
    "save_all_now",
]
