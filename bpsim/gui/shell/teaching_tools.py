"""The teaching tools in the main window: the inspector, animated passes, rewinding,
quiz mode, handouts, the gradient check and compared runs.

:func:`install_teaching` adds them to the window through its
:class:`~bpsim.gui.host.Host`: their docks, a timeline toolbar, the Teach menu, File ▸
Export and View toggles, so the window's module only calls it once. Everything is
reachable by object name, like the window's own actions and panels:

- docks ``inspector_dock``, ``quiz_dock``, ``compare_runs_dock`` holding ``inspector``,
  ``quiz``, ``compare_runs``; the toolbar ``timeline_toolbar`` holding ``timeline_bar``;
- actions ``step_back`` (Ctrl+Left), ``step_forward`` (Ctrl+Right), ``quiz_mode`` (Q),
  ``animate_passes``, ``animation_speed_slow|normal|fast``, ``check_gradients``
  (Ctrl+G), ``compare_runs``, ``show_inspector``, ``show_quiz``, ``show_compare_runs``,
  ``show_timeline_toolbar`` and ``export_markdown|html|pdf|json|numpy|pytorch``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QToolBar

from bpsim.gui.export.handout_export import HandoutExporter
from bpsim.gui.host import Host
from bpsim.gui.panels.compare_runs import CompareRuns
from bpsim.gui.panels.inspector.panel import Inspector
from bpsim.gui.panels.network.animation import PassAnimation, animation_actions
from bpsim.gui.panels.network.editor import NetworkEditor
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.panels.quiz import Quiz, QuizPanel, quiz_action
from bpsim.gui.shell.docks import make_panel_dock
from bpsim.gui.state.rewind import PhaseMemory, Rewind, rewind_actions
from bpsim.gui.widgets.timeline_bar import TimelineBar

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


def install_teaching(host: Host, editor: NetworkEditor, table: ParameterTable) -> Teaching:
    """Add the teaching tools to the window; ``editor`` and ``table`` are the window's
    network editor and parameter table, which the tools follow. Returns what was built."""
    window = host.main_window()
    session = host.session

    memory = PhaseMemory(session, window)
    rewind = Rewind(session, window)
    inspector = Inspector(session, memory)
    animation = PassAnimation(editor, session, window)
    quiz = Quiz(session, window)
    quiz_panel = QuizPanel(quiz)
    exporter = HandoutExporter(session, editor, memory, window)
    exporter.before_picture = animation.stop
    compare = CompareRuns(session)

    # -- docks: the inspector under the network; the quiz and the comparison start
    # hidden and join the inspector's and the loss plot's tabs when first shown
    docks = {
        "inspector": make_panel_dock(window, "inspector", "Inspector", inspector),
        "quiz": make_panel_dock(window, "quiz", "Quiz", quiz_panel),
        "compare_runs": make_panel_dock(window, "compare_runs", "Compare runs", compare),
    }
    host.add_dock(docks["inspector"], below="network_editor")
    host.add_dock(docks["quiz"], tab_with="inspector", hidden=True)
    host.add_dock(docks["compare_runs"], tab_with="loss_plot", hidden=True)

    def bring_up(name: str) -> None:
        docks[name].show()
        docks[name].raise_()

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
    compare_action.triggered.connect(lambda: bring_up("compare_runs"))
    actions["compare_runs"] = compare_action
    export_actions = exporter.actions(window)
    actions.update(export_actions)
    host.add_actions(actions)  # keys work with the menus closed

    # -- menus ---------------------------------------------------------------------------
    export_menu = QMenu("&Export", window)
    export_menu.setObjectName("export_menu")
    for name in ("export_markdown", "export_html", "export_pdf"):
        export_menu.addAction(export_actions[name])
    export_menu.addSeparator()
    for name in ("export_json", "export_numpy", "export_pytorch"):
        export_menu.addAction(export_actions[name])
    host.add_to_menu("file", "export", export_menu)

    speed_menu = QMenu("Animation &speed", window)
    speed_menu.setObjectName("animation_speed_menu")
    for name in ("animation_speed_slow", "animation_speed_normal", "animation_speed_fast"):
        speed_menu.addAction(actions[name])
    host.add_to_menu("teach", "timeline", actions["step_back"], actions["step_forward"])
    host.add_to_menu(
        "teach",
        "tools",
        docks["inspector"].toggleViewAction(),
        actions["quiz_mode"],
        actions["animate_passes"],
        speed_menu,
    )
    host.add_to_menu("teach", "checks", actions["check_gradients"], actions["compare_runs"])
    host.add_to_menu("view", "panels", *(dock.toggleViewAction() for dock in docks.values()))
    host.add_to_menu("view", "toolbars", toolbar_toggle)

    # -- following ---------------------------------------------------------------------------
    editor.selectionChangedTo.connect(inspector.show_key)
    table.currentParameterChanged.connect(
        lambda key: inspector.show_key(key) if key is not None else None
    )
    table.gradientsChecked.connect(host.show_status)
    exporter.message.connect(host.show_status)
    exporter.problem.connect(host.show_problem)
    quiz.message.connect(host.show_status)
    compare.message.connect(host.show_status)

    def quiz_toggled(on: bool) -> None:
        if on:
            bring_up("quiz")

    quiz.enabledChanged.connect(quiz_toggled)
    quiz.asked.connect(lambda question: quiz_toggled(question is not None))

    editor_dock = host.dock("network_editor")
    assert editor_dock is not None
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
