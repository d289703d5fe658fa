"""The lesson as a document: New, Open Recent, Revert, files dropped on the window, the
question before unsaved work is replaced, and whether there is anything to save.

Nothing here blocks: the unsaved-changes question is a window-modal box opened with
``open()``, and whatever was asked for (opening a file, a new lesson) happens when it is
answered. ``questionAsked`` hands the box out, so a test answers it by clicking one of
its buttons (``box.button(QMessageBox.StandardButton.Discard).click()``).

The window is modified when the undo stack is away from where the file was saved, or
when training has changed the weights since: undoing every edit of an untrained lesson
takes the mark away again. The open file goes at the top of File ▸ Open Recent (ten at
most, kept in QSettings).

When an edit makes the data set stop fitting the network, the banner says so and stays
until it fits again; the session holds training back meanwhile (``training_blocked``).

The file's size, time and identity are noted when it is opened or saved, so a save never
silently replaces what another program wrote there since (``changed_on_disk``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSettings, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QMenu, QMessageBox
from shiboken6 import isValid

from bpsim.core.trainer import Trainer
from bpsim.fileformat import LessonFileError
from bpsim.lessons.files import open_lesson, resolve_source
from bpsim.lessons.structure import empty_lesson

if TYPE_CHECKING:
    from bpsim.gui.host import Host

MAX_RECENT = 10
RECENT_KEY = "files/recent"
SUFFIX = ".bpsim"
#: Phases that do not change what a saved file holds; every other one (a step, a reset,
#: a rewind) does, beyond what the undo stack knows.
UNSAVED_FREE = frozenset({"", "forward", "forward_layer", "backward", "backward_layer", "edit"})


def load_trainer(source: str | Path) -> Trainer:
    """Open a lesson by path or by a built-in lesson's name (``xor``), through
    :func:`~bpsim.lessons.files.open_lesson` as the command line does, so the window
    refuses what the command line refuses (a FIFO, a device, a lesson too big for this
    machine) with the same message. Every problem is a LessonFileError naming the file."""
    path = Path(source)
    if lesson_file(source) is not None and not _exists(path):
        raise LessonFileError("no such file", path=path)
    try:
        return open_lesson(source)
    except OSError as error:
        raise LessonFileError(f"cannot read: {error.strerror or error}", path=path) from None


def lesson_file(source: str | Path) -> Path | None:
    """The file ``source`` names, or None for a built-in lesson's name: that lesson opens
    unsaved, so Save asks where to write it and the bundled file is never overwritten."""
    path = Path(source)
    return path if resolve_source(source) == path else None


def _exists(path: Path) -> bool:
    try:
        return path.exists() or path.is_symlink()
    except (OSError, ValueError):  # a name too long, a NUL: open_lesson names it
        return True


#: What tells one version of a file from another: modification time, size, inode.
Stamp = tuple[int, int, int]


def disk_stamp(path: Path) -> Stamp | None:
    """The file's stamp now, or None when it is not there (or cannot be looked at)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_mtime_ns, info.st_size, info.st_ino


def saved_text(name: str, notes: list[str]) -> str:
    """The warning after a save that had to leave something out (``save_trainer``'s
    notes): "Saved NAME without …, because …"."""
    because, left_out = "", notes
    if notes and notes[0].endswith("left out:"):
        because = notes[0].removesuffix("; left out:").removesuffix(" left out:")
        left_out = notes[1:]
    text = f"Saved {name} without {', '.join(left_out)}"
    return f"{text}, because {because}." if because else f"{text}."


def _app_settings() -> QSettings | None:
    """The application's settings, or None before it is named (a bare QApplication, as
    in tests, would otherwise write into the user's settings under another name)."""
    if not QCoreApplication.organizationName():
        return None
    return QSettings()


def bpsim_paths(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    """The local .bpsim files a drag carries."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    paths = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
    return [p for p in paths if p.suffix.lower() == SUFFIX]


class DocumentManager(QObject):
    """File-level work for one main window (see the module doc)."""

    #: The unsaved-changes question just opened (a QMessageBox), for tests to answer.
    questionAsked = Signal(object)
    #: The recent-files list changed.
    recentChanged = Signal()

    def __init__(self, host: Host) -> None:
        window = host.main_window()
        super().__init__(window)
        self.host = host
        self.window = window
        self.session = host.session
        self.stack = host.controller.undo_stack
        #: Where the recent files are kept: the application's settings once it has an
        #: organisation name (``bpsim`` sets one); tests point it at a file of their own.
        self.settings_factory: Callable[[], QSettings | None] = _app_settings
        self._memory: list[str] = []  # without settings: for this window only
        self.question: QMessageBox | None = None
        self._trained = False
        self._data_problem_shown: str | None = None
        # the open file as it was opened or saved
        path = self.session.path
        self._stamp: Stamp | None = None if path is None else disk_stamp(path)

        self.actions: dict[str, QAction] = {}
        self.actions["new_empty"] = self._action(
            "new_empty",
            "&Empty network (2 inputs, 1 output, XOR data)",
            "Start a new, unsaved lesson with just an input and an output layer, "
            "to build a network by hand",
            self.new_empty,
        )
        self.actions["revert"] = self._action(
            "revert",
            "Re&vert to saved",
            "Throw away the changes since the last save and open the saved file again",
            self.revert,
        )
        self.actions["clear_recent"] = self._action(
            "clear_recent", "&Clear the list", "Forget the recently opened files", self.clear_recent
        )
        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.setObjectName("open_recent")
        self.recent_menu.setToolTipsVisible(True)
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        self.fill_recent_menu()

        window.setAcceptDrops(True)
        window.installEventFilter(self)
        self.session.documentReplaced.connect(self._document_replaced)
        self.session.phaseFinished.connect(self._phase_finished)
        self.session.lessonReplaced.connect(self.check_data)
        self.session.datasetChanged.connect(self.check_data)
        self.stack.indexChanged.connect(self._update_modified)
        self.stack.cleanChanged.connect(self._update_modified)
        self._refresh_actions()

    def _action(self, name: str, text: str, tip: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(lambda _=False: slot())
        return action

    # -- modified ----------------------------------------------------------------------

    def _phase_finished(self, name: str) -> None:
        if name not in UNSAVED_FREE:
            self._trained = True
            self._update_modified()

    def _update_modified(self, *_: object) -> None:
        if not (isValid(self.window) and isValid(self.stack)):
            return  # the undo stack clears itself as the window (or the stack) goes
        self.host.set_modified(self._trained or not self.stack.isClean())

    def _document_replaced(self) -> None:
        self._trained = False
        path = self.session.path
        self._stamp = None if path is None else disk_stamp(path)
        if path is not None:
            self.add_recent(path)

    def changed_on_disk(self, target: Path) -> bool:
        """Whether ``target`` is the open lesson's own file and another program changed
        (or replaced) it since it was opened or saved here."""
        path = self.session.path
        if path is None or self._stamp is None:
            return False
        try:
            same = Path(target).resolve() == path.resolve()
        except (OSError, ValueError, RuntimeError):
            same = False
        now = disk_stamp(path)
        return same and now is not None and now != self._stamp

    def mark_unsaved(self) -> None:
        """The lesson holds work no file has (restored after a crash, say): the mark stays
        until it is saved, whatever the undo stack says."""
        self._trained = True
        self._update_modified()

    def saved(self, path: Path) -> None:
        """The lesson was written to ``path``: nothing left to save, and a recent file."""
        self._trained = False
        self._stamp = disk_stamp(path)
        self.add_recent(path)
        self._refresh_actions()

    def _refresh_actions(self) -> None:
        self.actions["revert"].setEnabled(self.session.path is not None and self.host.is_modified())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            kind = event.type()
            if kind == QEvent.Type.ModifiedChange:
                self._refresh_actions()
            elif kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
                assert isinstance(event, QDragEnterEvent | QDropEvent)
                if bpsim_paths(event):
                    event.acceptProposedAction()
                    return True
            elif kind == QEvent.Type.Drop:
                assert isinstance(event, QDropEvent)
                paths = bpsim_paths(event)
                if paths:
                    event.acceptProposedAction()
                    self.request_open(paths[0])
                    return True
        return super().eventFilter(watched, event)

    # -- asking before unsaved work is replaced ------------------------------------------

    def ask_then(self, proceed: Callable[[], object], doing: str = "going on") -> None:
        """Run ``proceed`` now when there is nothing unsaved; otherwise ask Save / Discard /
        Cancel first (non-blocking) and run it after Save or Discard."""
        if not self.host.is_modified():
            proceed()
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            f"This lesson has changes that are not saved. Save them before {doing}?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setObjectName("unsaved_question")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.finished.connect(lambda _: self._answered(box, proceed))
        self.question = box
        box.open()
        self.questionAsked.emit(box)

    def _answered(self, box: QMessageBox, proceed: Callable[[], object]) -> None:
        answer = box.standardButton(box.clickedButton())
        self.question = None
        box.deleteLater()
        if answer == QMessageBox.StandardButton.Save and not self.host.save_interactive():
            return
        if answer in (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard):
            proceed()

    # -- New, Open, Revert -------------------------------------------------------------

    def request_open(self, path: str | Path) -> None:
        """Open ``path`` in place of the lesson, asking first about unsaved changes. A file
        that cannot be opened leaves the lesson as it is (the banner says why)."""
        path = Path(path)
        self.ask_then(lambda: self._open(path), f"opening {path.name}")

    def _open(self, path: Path) -> bool:
        if self.host.open(path):
            return True
        if not path.exists():
            self.remove_recent(path)
        return False

    def new_empty(self) -> None:
        """A new, unsaved lesson with an input and an output layer and the XOR data."""
        self.ask_then(self._new_empty, "starting a new lesson")

    def _new_empty(self) -> None:
        self.host.replace_lesson(Trainer(empty_lesson()), None)
        self.host.show_status(
            "A new network: add a hidden layer and neurons from the Network menu "
            "or by right-clicking"
        )

    def revert(self) -> None:
        """Open the saved file again, throwing the changes away (after asking)."""
        path = self.session.path
        if path is None:
            self.host.show_status("This lesson has no saved file to go back to.")
            return
        if not self.host.is_modified():
            self._open(path)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Revert to saved",
            f"Go back to {path.name} as it was saved? The changes since then are lost.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setObjectName("revert_question")
        box.button(QMessageBox.StandardButton.Discard).setText("Revert")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered() -> None:
            answer = box.standardButton(box.clickedButton())
            self.question = None
            box.deleteLater()
            if answer == QMessageBox.StandardButton.Discard:
                self._open(path)

        box.finished.connect(lambda _: answered())
        self.question = box
        box.open()
        self.questionAsked.emit(box)

    # -- recent files ------------------------------------------------------------------

    def recent_files(self) -> list[Path]:
        """The recently opened or saved files, newest first."""
        settings = self.settings_factory()
        value = self._memory if settings is None else settings.value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return []
        return [Path(str(item)) for item in value if str(item)][:MAX_RECENT]

    def _store_recent(self, paths: list[Path]) -> None:
        values = [str(p) for p in paths[:MAX_RECENT]]
        settings = self.settings_factory()
        if settings is None:
            self._memory = values
        else:
            settings.setValue(RECENT_KEY, values)
            settings.sync()
        self.recentChanged.emit()

    def add_recent(self, path: str | Path) -> None:
        path = Path(path).resolve()
        paths = [p for p in self.recent_files() if p != path]
        self._store_recent([path, *paths])

    def remove_recent(self, path: str | Path) -> None:
        path = Path(path).resolve()
        self._store_recent([p for p in self.recent_files() if p != path])

    def clear_recent(self) -> None:
        self._store_recent([])

    def fill_recent_menu(self) -> None:
        """The menu's entries: one per recent file, then Clear."""
        menu = self.recent_menu
        for action in menu.actions():
            if action.objectName().startswith("recent_"):
                action.deleteLater()
        menu.clear()
        paths = self.recent_files()
        for n, path in enumerate(paths, start=1):
            action = menu.addAction(f"&{n % 10} {path.name}")
            action.setObjectName(f"recent_{n}")
            action.setToolTip(str(path))
            action.setStatusTip(f"Open {path}")
            action.setData(str(path))
            action.triggered.connect(lambda _=False, p=path: self.request_open(p))
        if not paths:
            empty = menu.addAction("No recent files")
            empty.setEnabled(False)
        menu.addSeparator()
        menu.addAction(self.actions["clear_recent"])
        self.actions["clear_recent"].setEnabled(bool(paths))

    # -- the data set no longer fits ----------------------------------------------------

    def check_data(self) -> None:
        """Say so in the banner while the data set does not fit the network; take the
        message away once it fits again."""
        problem = self.session.training_blocked
        shown = self.host.problem_text()
        if problem is not None:
            if problem != self._data_problem_shown or not shown:
                text = f"Training is paused until the data fits the network. {problem}"
                self.host.show_problem(text, "warning")
            self._data_problem_shown = problem
        elif self._data_problem_shown is not None:
            # also a refused save's message: it named the same problem
            if self._data_problem_shown in shown:
                self.host.hide_problem()
            self._data_problem_shown = None


__all__ = [
    "DocumentManager",
    "bpsim_paths",
    "disk_stamp",
    "lesson_file",
    "load_trainer",
    "saved_text",
]
