"""The teaching tools in the main window: the inspector, animated passes, rewinding,
quiz mode, handouts, the gradient check and compared runs.

:func:`install_teaching` adds them to a :class:`~bpsim.gui.shell.main_window.MainWindow` with
its own docks, a timeline toolbar, a Teach menu, File ▸ Export and View toggles, so the
window's module only calls it once. Everything is reachable by object name, like the
window's own actions and panels:

- docks ``inspector_dock``, ``quiz_dock``, ``compare_runs_dock`` holding ``inspector``,
  ``quiz``, ``compare_runs``; the toolbar ``timeline_toolbar`` holding ``timeline_bar``;
- actions ``step_back`` (Ctrl+Left), ``step_forward`` (Ctrl+Right), ``quiz_mode`` (Q),
  ``animate_passes``, ``animation_speed_slow|normal|fast``, ``check_gradients``
  (Ctrl+G), ``compare_runs``, ``show_inspector``, ``show_quiz``, ``show_compare_runs``,
  ``show_timeline_toolbar`` and ``export_markdown|html|pdf|json|numpy|pytorch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar, QWidget

from bpsim.gui.export.handout_export import HandoutExporter
from bpsim.gui.panels.compare_runs import CompareRuns
from bpsim.gui.panels.inspector.panel import Inspector
from bpsim.gui.panels.network.animation import PassAnimation, animation_actions
from bpsim.gui.panels.quiz import Quiz, QuizPanel, quiz_action
from bpsim.gui.shell.docks import find_menu, make_panel_dock
from bpsim.gui.state.rewind import PhaseMemory, Rewind, rewind_actions
from bpsim.gui.widgets.timeline_bar import TimelineBar

if TYPE_CHECKING:
    from bpsim.gui.shell.main_window import MainWindow

INSPECTOR_SHARE = 0.36  # of the left column's height, under the network


class _FirstShow(QObject):
    """Gives the inspector its share of the left column when the window is first shown
    (the window sizes its own panels then; docks cannot be sized before)."""

    def __init__(self, window: QMainWindow, upper: QDockWidget, lower: QDockWidget) -> None:
        super().__init__(window)
        self._window, self._upper, self._lower = window, upper, lower

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window and event.type() == QEvent.Type.Show:
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self.size)
        return False

    def size(self) -> None:
        window = self._window
        if not (self._upper.isVisible() and self._lower.isVisible()):
            return
        if window.dockWidgetArea(self._upper) != window.dockWidgetArea(self._lower):
            return
        height = max(self._upper.height() + self._lower.height(), 300)
        window.resizeDocks(
            [self._upper, self._lower],
            [int(height * (1 - INSPECTOR_SHARE)), int(height * INSPECTOR_SHARE)],
            Qt.Orientation.Vertical,
        )


@dataclass
class Teaching:
    """What :func:`install_teaching` built, for tests and the window."""

    memory: PhaseMemory
    rewind: Rewind
    inspector: Inspector
    animation: PassAnimation
    quiz: Quiz
    quiz_panel: QuizPanel
    exporter: HandoutExporter
    compare: CompareRuns
    timeline_bar: TimelineBar
    docks: dict[str, QDockWidget]
    actions: dict[str, QAction]


def _dock(window: QMainWindow, name: str, title: str, widget: QWidget) -> QDockWidget:
    return make_panel_dock(window, name, title, widget)


def _menu(window: QMainWindow, title: str) -> QMenu | None:
    return find_menu(window, title)


def install_teaching(window: MainWindow) -> Teaching:
    """Add the teaching tools to ``window`` (a MainWindow); returns what was built."""
    session = window.session
    editor = window.panels["network_editor"]
    table = window.panels["parameter_table"]

    memory = PhaseMemory(session, window)
    rewind = Rewind(session, window)
    inspector = Inspector(session, memory)
    animation = PassAnimation(editor, session, window)
    quiz = Quiz(session, window)
    quiz_panel = QuizPanel(quiz)
    exporter = HandoutExporter(session, editor, memory, window)
    exporter.before_picture = animation.stop
    compare = CompareRuns(session)

    # -- docks ---------------------------------------------------------------------------
    docks = {
        "inspector": _dock(window, "inspector", "Inspector", inspector),
        "quiz": _dock(window, "quiz", "Quiz", quiz_panel),
        "compare_runs": _dock(window, "compare_runs", "Compare runs", compare),
    }
    editor_dock = window.docks["network_editor"]
    window.splitDockWidget(editor_dock, docks["inspector"], Qt.Orientation.Vertical)
    # The quiz and the comparison start hidden; they join a tab group when first shown
    # (a hidden dock in a tab group leaves a stray tab bar behind).
    for name in ("quiz", "compare_runs"):
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, docks[name])
        docks[name].hide()
    placed: set[str] = set()

    def bring_up(name: str, beside: QDockWidget) -> None:
        dock = docks[name]
        if name not in placed and not dock.isFloating():
            placed.add(name)
            if window.dockWidgetArea(beside) != Qt.DockWidgetArea.NoDockWidgetArea:
                window.tabifyDockWidget(beside, dock)
        dock.show()
        dock.raise_()

    # -- the timeline toolbar --------------------------------------------------------------
    actions: dict[str, QAction] = {}
    actions.update(rewind_actions(rewind, window))
    timeline_bar = TimelineBar(rewind, actions)
    toolbar = QToolBar("Timeline", window)
    toolbar.setObjectName("timeline_toolbar")
    toolbar.addWidget(timeline_bar)
    window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, toolbar)
    toolbar_toggle = toolbar.toggleViewAction()
    toolbar_toggle.setObjectName("show_timeline_toolbar")
    toolbar_toggle.setToolTip("Show or hide the timeline toolbar")
    toolbar_toggle.setStatusTip(toolbar_toggle.toolTip())

    # -- actions -------------------------------------------------------------------------
    actions["quiz_mode"] = quiz_action(quiz, window)
    actions.update(animation_actions(animation, window))
    actions["check_gradients"] = table.check_action
    compare_action = QAction("&Compare runs…", window)
    compare_action.setObjectName("compare_runs")
    compare_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
    tip = "Compare runs: train the same start with two optimizers or learning rates"
    compare_action.setToolTip(f"{tip} (Ctrl+Shift+C)")
    compare_action.setStatusTip(tip)

    compare_action.triggered.connect(lambda: bring_up("compare_runs", window.docks["loss_plot"]))
    actions["compare_runs"] = compare_action
    export_actions = exporter.actions(window)
    actions.update(export_actions)
    window.addActions(list(actions.values()))  # keys work with the menus closed

    # -- menus ---------------------------------------------------------------------------
    file_menu = _menu(window, "File")
    if file_menu is not None:
        export_menu = QMenu("&Export", window)
        export_menu.setObjectName("export_menu")
        for name in ("export_markdown", "export_html", "export_pdf"):
            export_menu.addAction(export_actions[name])
        export_menu.addSeparator()
        for name in ("export_json", "export_numpy", "export_pytorch"):
            export_menu.addAction(export_actions[name])
        quit_action = window.action_map.get("quit")
        if quit_action is not None:
            file_menu.insertMenu(quit_action, export_menu)
            file_menu.insertSeparator(quit_action)
        else:
            file_menu.addMenu(export_menu)

    teach = QMenu("T&each", window)
    teach.setObjectName("teach_menu")
    teach.addAction(actions["step_back"])
    teach.addAction(actions["step_forward"])
    teach.addSeparator()
    teach.addAction(docks["inspector"].toggleViewAction())
    teach.addAction(actions["quiz_mode"])
    teach.addAction(actions["animate_passes"])
    speed_menu = teach.addMenu("Animation &speed")
    speed_menu.setObjectName("animation_speed_menu")
    for name in ("animation_speed_slow", "animation_speed_normal", "animation_speed_fast"):
        speed_menu.addAction(actions[name])
    teach.addSeparator()
    teach.addAction(actions["check_gradients"])
    teach.addAction(actions["compare_runs"])
    help_menu = _menu(window, "Help")
    if help_menu is not None:
        window.menuBar().insertMenu(help_menu.menuAction(), teach)
    else:
        window.menuBar().addMenu(teach)

    view_menu = _menu(window, "View")
    if view_menu is not None:
        first_separator = next((a for a in view_menu.actions() if a.isSeparator()), None)
        for dock in docks.values():
            if first_separator is not None:
                view_menu.insertAction(first_separator, dock.toggleViewAction())
            else:
                view_menu.addAction(dock.toggleViewAction())
        if first_separator is not None:
            view_menu.insertAction(first_separator, toolbar_toggle)
        else:
            view_menu.addAction(toolbar_toggle)

    # -- following ---------------------------------------------------------------------------
    editor.selectionChangedTo.connect(inspector.show_key)
    table.currentParameterChanged.connect(
        lambda key: inspector.show_key(key) if key is not None else None
    )
    table.gradientsChecked.connect(window.show_status)
    exporter.message.connect(window.show_status)
    exporter.problem.connect(window.show_problem)
    quiz.message.connect(window.show_status)
    compare.message.connect(window.show_status)

    def quiz_toggled(on: bool) -> None:
        if on:
            bring_up("quiz", docks["inspector"])

    quiz.enabledChanged.connect(quiz_toggled)
    quiz.asked.connect(lambda question: quiz_toggled(question is not None))

    sizer = _FirstShow(window, editor_dock, docks["inspector"])
    window.installEventFilter(sizer)
    return Teaching(
        memory=memory,
        rewind=rewind,
        inspector=inspector,
        animation=animation,
        quiz=quiz,
        quiz_panel=quiz_panel,
        exporter=exporter,
        compare=compare,
        timeline_bar=timeline_bar,
        docks=docks,
        actions=actions,
    )
