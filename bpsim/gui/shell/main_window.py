"""The main window: the three panels as docks around one :class:`Session`, with the
stepping actions, the training controls, menus and a status bar saying where training
stands.

The window owns no training logic. Actions call the session (phases) or the controller
(undoable edits); everything on screen is refreshed from the session's signals, so a test
can drive the window by its actions or its keys and read the same state a student sees.

It is the composition root: it builds every part (panels, services, teaching and data
tools) and hands each the :class:`~bpsim.gui.host.Host` it implements, plus the other
parts it needs, by name. No part imports this module or reaches into the window.
Nothing modal opens unless the user asks for it from a menu (Open…, Save As…, closing
with unsaved changes): problems are shown in a banner over the window instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QToolButton,
    QWidget,
)

from bpsim.core.trainer import Phase, Trainer
from bpsim.fileformat import LessonFileError
from bpsim.fileformat.errors import escape
from bpsim.gui.host import RIGHT, STEP_ACTIONS
from bpsim.gui.panels.chain_rule_strip import install_chain_rule_strip
from bpsim.gui.panels.loss_plot import LossPlot
from bpsim.gui.panels.network.editor import NetworkEditor
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.services.documents import (
    DocumentManager,
    lesson_file,
    load_trainer,
    saved_text,
)
from bpsim.gui.services.help import HelpCenter, app_icon
from bpsim.gui.services.presentation import PresentationMode
from bpsim.gui.services.recovery import RecoveryManager
from bpsim.gui.services.settings import Settings
from bpsim.gui.shell.actions import build_actions, set_run_state, undo_redo_actions
from bpsim.gui.shell.data_tools import install_data_views
from bpsim.gui.shell.docks import make_panel_dock, place_dock
from bpsim.gui.shell.menus import Menus
from bpsim.gui.shell.status import status_text
from bpsim.gui.shell.teaching_tools import install_teaching
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.gui.style import appearance
from bpsim.gui.widgets.banner import MessageBanner
from bpsim.gui.widgets.training_controls import TrainingControls
from bpsim.gui.widgets.undo_history import UndoHistoryDock
from bpsim.lessons.examples import DEFAULT_EXAMPLE, EXAMPLES, Example
from bpsim.lessons.files import save_trainer, trainer_from_lesson_file

__all__ = ["MainWindow"]

FILE_FILTER = "bpsim lessons (*.bpsim);;All files (*)"
#: Phases that change what a saved file holds (forward and backward change only the trace).
SAVED_PHASES = frozenset({"update", "step", "epoch", "run", "reset", "edit", "rewind"})
PANELS: tuple[tuple[str, str], ...] = (
    ("network_editor", "Network"),
    ("loss_plot", "Loss"),
    ("parameter_table", "Parameters"),
)
EDITOR_SHARE = 0.58  # of the window's width, in the default layout
#: Toolbar buttons that lose their text first when the window is too narrow for all.
COMPACT_FIRST = ("forward_layer", "backward_layer", "undo", "redo")
STYLE_SHEET = """
QDockWidget::title {
    background: palette(midlight);
    border-bottom: 1px solid palette(mid);
    padding: 5px 8px;
    text-align: left;
}
QLabel#status_position { padding: 2px 10px; }
"""
STATUS_MESSAGE_MS = 8000
#: The groups of the Train menu, by the step actions that begin them.
TRAIN_GROUPS = {"forward": "passes", "update": "update", "step": "steps", "run": "run"}


class MainWindow(QMainWindow):
    """One lesson on screen. ``MainWindow(path)`` opens ``path`` (the default example
    when None or when the file cannot be opened, with the problem shown in the banner).

    ``phaseFinished(name)`` re-exposes the session's signal so tests can wait for a
    phase; ``runningChanged(bool)`` the same for Run/Pause.

    ``recovery=True`` (what ``bpsim`` does) autosaves unsaved work to a recovery file
    every minute and offers, in a banner, to restore work a crash left behind; off by
    default so tests and screenshots never touch the user's recovery folder.
    """

    phaseFinished = Signal(str)
    runningChanged = Signal(bool)

    def __init__(
        self,
        path: str | Path | None = None,
        parent: QWidget | None = None,
        *,
        recovery: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setStyleSheet(STYLE_SHEET)
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        self._picked = False  # the pass on screen uses a picked sample
        self._force_close = False
        self._layout_sized = False

        problem: str | None = None
        file_path: Path | None = None
        if path is not None:
            try:
                trainer = load_trainer(path)
                file_path = lesson_file(path)
            except LessonFileError as error:
                problem = (
                    "Could not open the file, so the default example is open instead. "
                    f"{escape(error)}"
                )
                trainer = trainer_from_lesson_file(DEFAULT_EXAMPLE.path)
        else:
            trainer = trainer_from_lesson_file(DEFAULT_EXAMPLE.path)

        self.session = Session(trainer, file_path, self)
        self.controller = Controller(self.session, self)
        self.banner = MessageBanner(self)
        self.menu_table = Menus(self.menuBar())
        self.action_map: dict[str, QAction] = {}
        self.add_actions(build_actions(self))
        undo, redo = undo_redo_actions(self.controller.undo_stack, self)
        self.add_actions({"undo": undo, "redo": redo})

        self.network_editor = NetworkEditor(self.session, self.controller)
        self.loss_plot = LossPlot(self.session)
        self.parameter_table = ParameterTable(self.session, self.controller)
        self.panels: dict[str, QWidget] = {
            "network_editor": self.network_editor,
            "loss_plot": self.loss_plot,
            "parameter_table": self.parameter_table,
        }
        #: The three panels of the default layout (what Reset layout shows again).
        self.docks: dict[str, QDockWidget] = {}
        self._all_docks: dict[str, QDockWidget] = {}  # every dock, for host.dock(name)
        self._arrange_docks()

        self.controls = TrainingControls(self.session, self.controller, self)
        self.documents = DocumentManager(self)  # New, Open Recent, Revert, drops, modified
        self.undo_history = UndoHistoryDock(self.controller.undo_stack, self)
        self.add_dock(self.undo_history, RIGHT, hidden=True)
        self._build_toolbars()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        editor, table = self.network_editor, self.parameter_table
        # Inspector, animation, rewind, quiz, handouts, compare runs (docks, Teach menu).
        self.teaching = install_teaching(self, editor, table)
        # Data panel, metrics, decision map, loss landscape, descent (docks, Data menu).
        self.data_views = install_data_views(self, editor, table, self.loss_plot)
        # The focus weight's chain rule, always on screen while presenting (View to show).
        self.chain_rule = install_chain_rule_strip(self, editor)
        self._default_state = self.saveState()
        # Zoom and themes, presentation mode, help; run_app attaches the user's settings.
        self.settings: Settings | None = None
        self.appearance_styler = appearance.install(self, relayout=self.remeasure_toolbar)
        self.appearance = self.appearance_styler.appearance
        for holder in self.data_views.holders.values():
            holder.built.connect(self.appearance_styler.style_new)
        self.presentation = PresentationMode(self, self.appearance)
        self.add_to_menu(
            "view",
            "presentation",
            *(
                self.presentation.actions[name]
                for name in ("presentation", "key_legend", "next_phase", "previous_phase")
            ),
        )
        self.help = HelpCenter(self)
        self._add_restore_defaults()
        self.setWindowIcon(app_icon())

        self.resize(QSize(1280, 860))
        self._refresh_state()
        self._update_title()
        if problem is not None:
            self.show_problem(problem)
        self.recovery: RecoveryManager | None = None
        if recovery:
            self.recovery = RecoveryManager(self)
            self.recovery.offer()

    # -- construction --------------------------------------------------------------------

    def _arrange_docks(self) -> None:
        """The default layout: the network large on the left, loss over parameters on
        the right. There is no central widget, so the docks share the whole window."""
        for name, title in PANELS:
            self.docks[name] = make_panel_dock(self, name, title, self.panels[name])
        editor, plot, table = (self.docks[name] for name, _ in PANELS)
        self.add_dock(editor, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.add_dock(plot, RIGHT)
        self.add_dock(table, RIGHT, below="loss_plot")

    def _size_docks(self) -> None:
        editor, plot, table = (self.docks[name] for name, _ in PANELS)
        width = max(self.width(), 400)
        self.resizeDocks(
            [editor, plot],
            [int(width * EDITOR_SHARE), int(width * (1 - EDITOR_SHARE))],
            Qt.Orientation.Horizontal,
        )
        height = max(self.height() - 160, 200)
        self.resizeDocks([plot, table], [height * 2 // 5, height * 3 // 5], Qt.Orientation.Vertical)

    def _build_toolbars(self) -> None:
        steps = QToolBar("Training", self)
        steps.setObjectName("training_toolbar")
        steps.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        steps.setIconSize(QSize(24, 24))
        for name in STEP_ACTIONS:
            if name in ("run", "reset"):
                steps.addSeparator()
            steps.addAction(self.action_map[name])
        steps.addSeparator()
        steps.addAction(self.action_map["undo"])
        steps.addAction(self.action_map["redo"])
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, steps)
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        settings = QToolBar("Settings", self)
        settings.setObjectName("settings_toolbar")
        settings.addWidget(self.controls)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, settings)
        self.toolbars = {"training": steps, "settings": settings}
        self._full_toolbar_width = steps.sizeHint().width()

    def _fit_toolbar(self) -> None:
        """Below the width the training toolbar needs, the layer and undo buttons show
        only their icons, so no stepping button hides behind the toolbar's » menu."""
        bar = self.toolbars["training"]
        compact = self.width() < self._full_toolbar_width + 16
        style = (
            Qt.ToolButtonStyle.ToolButtonIconOnly
            if compact
            else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )
        for name in COMPACT_FIRST:
            button = bar.widgetForAction(self.action_map[name])
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(style)

    def remeasure_toolbar(self) -> None:
        """The zoom changed the toolbar's natural width: measure it again, then fit."""
        bar = self.toolbars["training"]
        for name in COMPACT_FIRST:
            button = bar.widgetForAction(self.action_map[name])
            if isinstance(button, QToolButton):
                button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._full_toolbar_width = bar.sizeHint().width()
        self._fit_toolbar()

    def _build_menus(self) -> None:
        """The window's own entries; every other part adds its own (see menus.MENUS)."""
        a = self.action_map
        new_menu = QMenu("&New from example", self)
        new_menu.setObjectName("new_from_example")
        new_menu.addAction(self.documents.actions["new_empty"])
        new_menu.addSeparator()
        for example in EXAMPLES:
            action = new_menu.addAction(example.title)
            action.setObjectName(f"example_{example.name}")
            action.setToolTip(f"Start a new, unsaved lesson from the example '{example.name}'")
            action.setStatusTip(action.toolTip())
            action.triggered.connect(lambda _=False, e=example: self._new_from_example(e))
        self.add_to_menu("file", "new", new_menu, a["open"], self.documents.recent_menu)
        self.add_to_menu("file", "save", a["save"], a["save_as"], self.documents.actions["revert"])
        self.add_to_menu("file", "quit", a["quit"])

        self.add_to_menu("edit", "undo", a["undo"], a["redo"])
        self.add_to_menu("edit", "history", self.undo_history.toggle_action)

        self.network_editor.edit_actions.fill_menu(self.menu("network"))

        group = TRAIN_GROUPS["forward"]
        for name in STEP_ACTIONS:
            group = TRAIN_GROUPS.get(name, group)
            self.add_to_menu("train", group, a[name])

        self.add_to_menu("view", "panels", *(self.docks[n].toggleViewAction() for n, _ in PANELS))
        for toolbar in self.toolbars.values():
            toggle = toolbar.toggleViewAction()
            toggle.setObjectName(f"show_{toolbar.objectName()}")
            toggle.setToolTip(f"Show or hide the {toolbar.windowTitle().lower()} toolbar")
            self.add_to_menu("view", "toolbars", toggle)
        self.add_to_menu("view", "layout", a["reset_layout"])

        self.add_to_menu("help", "about", a["about"])

    def _add_restore_defaults(self) -> None:
        action = appearance.make_action(
            self,
            "restore_defaults",
            "Restore &default settings",
            "Forget the theme, zoom, presentation choices and panel layout, and show the "
            "tour again next time (recent files are kept)",
            None,
            self.restore_defaults,
        )
        self.add_actions({"restore_defaults": action})
        self.add_to_menu("view", "defaults", action)

    def _build_status_bar(self) -> None:
        self.position_label = QLabel()
        self.position_label.setObjectName("status_position")
        self.position_label.setToolTip("Epoch, step, the sample or batch in use, loss and phase")
        self.statusBar().addPermanentWidget(self.position_label)

    def _connect(self) -> None:
        s, a = self.session, self.action_map
        a["forward"].triggered.connect(s.forward)
        a["forward_layer"].triggered.connect(s.forward_layer)
        a["backward"].triggered.connect(s.backward)
        a["backward_layer"].triggered.connect(s.backward_layer)
        a["update"].triggered.connect(s.update)
        a["step"].triggered.connect(s.step)
        a["epoch"].triggered.connect(s.epoch)
        a["run"].triggered.connect(self._toggle_running)
        a["reset"].triggered.connect(s.reset)
        a["open"].triggered.connect(self._open_dialog)
        a["save"].triggered.connect(self.save_interactive)
        a["save_as"].triggered.connect(self._save_as_dialog)
        a["quit"].triggered.connect(self.close)
        a["reset_layout"].triggered.connect(self.reset_layout)
        a["about"].triggered.connect(self._about)

        s.phaseFinished.connect(self._phase_finished)
        s.phaseFinished.connect(self.phaseFinished)
        s.runningChanged.connect(self.runningChanged)
        s.runningChanged.connect(self._running_changed)
        s.stateChanged.connect(self._refresh_state)
        s.settingsChanged.connect(self._settings_changed)
        s.lessonReplaced.connect(self._update_title)
        s.diverged.connect(self._diverged)
        s.message.connect(self.show_status)
        self.controls.message.connect(self.show_status)

    # -- state on screen ---------------------------------------------------------------

    def _refresh_state(self) -> None:
        """Enable what makes sense now and say where training stands."""
        s = self.session
        if s.phase is not Phase.UPDATED:
            self._picked = s.trainer.override is not None
        for name in STEP_ACTIONS:
            self.action_map[name].setEnabled(s.can(name))
        set_run_state(self.action_map["run"], s.running)
        self.position_label.setText(status_text(s, self._picked))

    def status_text(self) -> str:
        """The status bar's description of where training stands."""
        return self.position_label.text()

    def _phase_finished(self, name: str) -> None:
        if name == "reset" and self.banner.kind == "warning":
            self.banner.hide()  # the divergence it reported is undone
        if name in ("epoch", "run", "reset"):
            self._picked = False
            self.position_label.setText(status_text(self.session, self._picked))
        if name in SAVED_PHASES:
            self.setWindowModified(True)

    def _settings_changed(self) -> None:
        self.setWindowModified(True)

    def _running_changed(self, running: bool) -> None:
        set_run_state(self.action_map["run"], running)
        self._refresh_state()

    def _toggle_running(self) -> None:
        self.session.toggle_running()
        set_run_state(self.action_map["run"], self.session.running)  # start may refuse

    def _diverged(self, text: str) -> None:
        # The last finite state is often already huge: a smaller rate alone cannot help.
        hint = " Step back on the timeline, or Reset, to go on from before it blew up."
        self.show_problem(text[:1].upper() + text[1:] + hint, kind="warning")

    def show_status(self, text: str) -> None:
        """A passing message in the status bar."""
        self.statusBar().showMessage(text, STATUS_MESSAGE_MS)

    def show_problem(self, text: str, kind: str = "error") -> None:
        """A message that stays in the banner until closed (and in the status bar)."""
        self.banner.show_message(text, kind)
        self.statusBar().showMessage(text.splitlines()[0], STATUS_MESSAGE_MS)

    def hide_problem(self) -> None:
        self.banner.hide()

    def problem_text(self) -> str:
        """What the banner says while it shows, else ""."""
        return self.banner.text() if self.banner.isVisible() else ""

    def _update_title(self) -> None:
        lesson = self.session.trainer.lesson
        path = self.session.path
        file_name = path.name if path is not None else "untitled"
        name = lesson.name or (path.stem if path is not None else "lesson")
        self.setWindowTitle(f"{name} — {file_name}[*] — bpsim")

    # -- files -------------------------------------------------------------------------

    def open(self, path: str | Path) -> bool:
        """Open a lesson (a path, or a built-in lesson's name such as ``xor``) in place of
        the current one, without dialogs. What the command line refuses (a FIFO, a device,
        a lesson too big for this machine) is refused at once with its message in the
        banner, and the current lesson stays; returns success."""
        try:
            trainer = load_trainer(path)
        except LessonFileError as error:
            self.show_problem(escape(error))
            return False
        file_path = lesson_file(path)
        self.replace_lesson(trainer, file_path)
        self.show_status(f"Opened {escape(Path(path).name)}")
        return True

    def replace_lesson(self, trainer: Trainer, path: Path | None, *, unsaved: bool = False) -> None:
        """Put ``trainer`` in place of the open lesson, belonging to ``path`` (None: never
        saved). ``unsaved``: it holds work no file has (restored after a crash, a new
        lesson for imported data), so it stays modified until saved."""
        self.banner.hide()
        self._picked = False
        self.session.replace_trainer(trainer, path)
        self.setWindowModified(False)
        self._update_title()
        if unsaved:
            self.documents.mark_unsaved()
            self.setWindowModified(True)

    def ask_then(self, proceed: Callable[[], object], doing: str = "going on") -> None:
        self.documents.ask_then(proceed, doing)

    def is_modified(self) -> bool:
        return self.isWindowModified()

    def set_modified(self, modified: bool) -> None:
        self.setWindowModified(modified)

    def _new_from_example(self, example: Example) -> None:
        self.ask_then(lambda: self.open_example(example), "starting a new lesson")

    def open_example(self, example: Example) -> None:
        """Start an unsaved lesson from a built-in example (Save asks where to write it,
        so the bundled file is never overwritten)."""
        self.replace_lesson(trainer_from_lesson_file(example.path), None)
        self.show_status(f"New lesson from the example '{example.name}'")

    def save(self, path: str | Path | None = None, *, overwrite: bool = False) -> bool:
        """Save the lesson as it stands to ``path`` (None: the file it came from), without
        dialogs. Returns success; a failure is shown in the banner.

        When another program changed the lesson's file since it was opened or saved here,
        nothing is written: the banner asks, with "Save anyway" (``overwrite=True``) and
        "Revert" answers. What a file cannot hold (a number that overflowed) is left out so
        the file always opens again, and a warning says what ("Saved … without …")."""
        target = Path(path) if path is not None else self.session.path
        if target is None:
            self.show_problem("This lesson has no file yet; use File ▸ Save As… to choose one.")
            return False
        if self.session.training_blocked is not None:  # the file would not open again
            self.show_problem(
                f"Could not save: the data set does not fit the network. "
                f"{escape(self.session.training_blocked)}"
            )
            return False
        if not overwrite and self.documents.changed_on_disk(target):
            self._ask_overwrite(target)
            return False
        try:
            notes = save_trainer(self.session.trainer, target)
        except (LessonFileError, OSError) as error:
            self.show_problem(f"Could not save: {escape(error)}")
            return False
        self.session.path = target
        self.documents.saved(target)
        self.controller.undo_stack.setClean()
        self.setWindowModified(False)
        if self.recovery is not None:
            self.recovery.discard()  # saved: the recovery file has nothing more to keep
        self._update_title()
        name = escape(target.name)
        if notes:
            self.show_problem(escape(saved_text(target.name, notes)), "warning")
        else:
            self.show_status(f"Saved {name}")
        return True

    def _ask_overwrite(self, target: Path) -> None:
        """The question, in the banner, before replacing what another program wrote."""
        anyway = QAction("Save anyway", self.banner)
        anyway.setObjectName("save_anyway")
        anyway.setToolTip(f"Replace {target.name} on disk with the lesson as it is here")
        anyway.triggered.connect(lambda: self.save(target, overwrite=True))
        reload = QAction("Revert", self.banner)
        reload.setObjectName("reload_from_disk")
        reload.setToolTip(f"Open {target.name} as the other program left it")
        reload.triggered.connect(self.documents.revert)
        self.banner.show_message(
            f"{escape(target.name)} was changed by another program since it was opened or "
            "saved here, so it was not saved. Save anyway to replace those changes, or "
            "Revert to open them.",
            "warning",
            (anyway, reload),
        )
        self.statusBar().showMessage(f"Not saved: {escape(target.name)} changed on disk")

    def _start_folder(self) -> str:
        path = self.session.path
        return str(path.parent) if path is not None else str(Path.home())

    def _open_dialog(self) -> None:
        self.ask_then(self._choose_and_open, "opening another lesson")

    def _choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open lesson", self._start_folder(), FILE_FILTER
        )
        if path:
            self.open(path)

    def save_interactive(self) -> bool:
        """Save to the lesson's file, or ask where (Save As…) when it has none."""
        if self.session.path is None:
            return self._save_as_dialog()
        return self.save()

    def _save_as_dialog(self) -> bool:
        path = self.session.path
        suggestion = (
            str(path)
            if path is not None
            else str(
                Path(self._start_folder()) / f"{self.session.trainer.lesson.name or 'lesson'}.bpsim"
            )
        )
        chosen, _ = QFileDialog.getSaveFileName(self, "Save lesson as", suggestion, FILE_FILTER)
        if not chosen:
            return False
        if not Path(chosen).suffix:
            chosen += ".bpsim"
        return self.save(chosen)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask about unsaved changes without blocking: the question opens window-modal and
        its answer closes the window (so nothing waits on a dialog, not even a test)."""
        if self._force_close or not self.isWindowModified():
            self.session.pause()
            if self.recovery is not None:
                self.recovery.shutdown()  # a clean close: saved, or discarded on purpose
            event.accept()
            return
        event.ignore()
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Unsaved changes",
            "This lesson has changes that are not saved. Save them before closing?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("close_question")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        box.finished.connect(
            lambda _: self._close_answered(box.standardButton(box.clickedButton()))
        )
        box.open()

    def _close_answered(self, answer: QMessageBox.StandardButton) -> None:
        if answer == QMessageBox.StandardButton.Save and not self.save_interactive():
            return
        if answer in (QMessageBox.StandardButton.Save, QMessageBox.StandardButton.Discard):
            self._force_close = True
            QTimer.singleShot(0, self.close)

    # -- layout ------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_toolbar()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._layout_sized:
            self._layout_sized = True
            self._size_docks()

    def reset_layout(self) -> None:
        """Every panel and toolbar back where it started, at the default sizes."""
        for dock in self.docks.values():
            dock.setFloating(False)
        self.restoreState(self._default_state)
        for dock in self.docks.values():
            dock.show()
        for toolbar in self.toolbars.values():
            toolbar.show()
        self._size_docks()

    def save_layout(self, settings: QSettings) -> None:
        """Remember geometry and panel layout (the app does this on quit)."""
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())

    def restore_layout(self, settings: QSettings) -> None:
        """Put the window back as the user left it; a bad or missing record is ignored."""
        geometry = settings.value("window/geometry")
        state = settings.value("window/state")
        if isinstance(geometry, QByteArray | bytes):
            self.restoreGeometry(QByteArray(geometry))
        if isinstance(state, QByteArray | bytes) and self.restoreState(QByteArray(state)):
            self._layout_sized = True

    def restore_defaults(self) -> None:
        """Default theme, zoom, presentation choices, animation speed and layout now (the
        settings, when attached, forget what they remember: Settings.attach)."""
        self.presentation.restore_defaults()
        self.appearance.set(appearance.DEFAULT_THEME, 1.0)
        normal_speed = self.action("animation_speed_normal")
        if normal_speed is not None:
            normal_speed.trigger()
        self.reset_layout()
        self.show_status("Settings restored to their defaults")

    # -- the Host protocol (bpsim/gui/host.py): what the parts of the window may ask ----

    def main_window(self) -> QMainWindow:
        return self

    def menu(self, name: str) -> QMenu:
        return self.menu_table.menu(name)

    def add_to_menu(self, name: str, group: str, *items: QAction | QMenu) -> None:
        self.menu_table.add(name, group, *items)

    def action(self, name: str) -> QAction | None:
        return self.action_map.get(name)

    def add_actions(self, actions: Mapping[str, QAction]) -> None:
        self.action_map.update(actions)
        owned = set(self.actions())
        self.addActions([a for a in actions.values() if a not in owned])

    def add_dock(
        self,
        dock: QDockWidget,
        area: Qt.DockWidgetArea = RIGHT,
        tab_with: str | None = None,
        *,
        below: str | None = None,
        hidden: bool = False,
    ) -> None:
        name = dock.objectName().removesuffix("_dock")
        partner = self._all_docks[tab_with] if tab_with is not None else None
        upper = self._all_docks[below] if below is not None else None
        place_dock(self, dock, area, tab_with=partner, below=upper, hidden=hidden)
        self._all_docks[name] = dock

    def dock(self, name: str) -> QDockWidget | None:
        return self._all_docks.get(name)

    def _about(self) -> None:
        self.help.show_about()  # bpsim.gui.services.help: icon, version, keys; opened, not exec'd
