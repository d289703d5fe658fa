"""The data and picture panels in the main window: the data set, the decision map, the
metrics, the loss landscape and gradient descent on a function; and the Data menu.

:func:`install_data_views` adds them to the window through its
:class:`~bpsim.gui.host.Host`, so the window's module calls it once. Everything is
reachable by object name:

- docks ``data_panel_dock``, ``metrics_dock``, ``decision_map_dock``, ``landscape_dock``,
  ``descent_dock`` holding ``data_panel``, ``metrics``, ``decision_map``, ``landscape``,
  ``descent``; View toggles ``show_<name>``. The data panel and the metrics start shown
  (behind the parameter table and the loss plot, as tabs); the others start hidden and
  join those tab groups when first shown. A panel is built the first time it shows (a
  window opens without paying for plots nobody looks at); ``DataViews.panels[name]``
  builds it on request. The loss landscape's path is recorded from the start all the
  same;
- actions ``new_dataset``, ``import_csv``, ``import_idx`` (Data menu), each opening its
  dialog with ``open()``; the dialog on screen is ``DataViews.dialog``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QShowEvent
from PySide6.QtWidgets import QDialog, QDockWidget, QVBoxLayout, QWidget

from bpsim.core.trainer import Trainer
from bpsim.gui.dialogs.csv_import import CsvImportDialog
from bpsim.gui.dialogs.idx_import import IdxImportDialog
from bpsim.gui.dialogs.new_dataset import NewDatasetDialog
from bpsim.gui.export.plot_export import ExportButton
from bpsim.gui.host import Host
from bpsim.gui.panels.data.panel import DataPanel
from bpsim.gui.panels.decision_map import DecisionMapView
from bpsim.gui.panels.descent import DescentView
from bpsim.gui.panels.digit_view import DigitView
from bpsim.gui.panels.fit_plot import FitPlot
from bpsim.gui.panels.landscape import LandscapeView, ParameterRecorder
from bpsim.gui.panels.lesson_views import default_views
from bpsim.gui.panels.loss_plot import LossPlot
from bpsim.gui.panels.metrics import MetricsView
from bpsim.gui.panels.network.editor import NetworkEditor
from bpsim.gui.panels.parameters.table import ParameterTable
from bpsim.gui.shell.docks import make_panel_dock, show_beside
from bpsim.gui.state.session import Session

#: name, title, shown at first, the window's dock it joins as a tab
DOCKS: tuple[tuple[str, str, bool, str], ...] = (
    ("data_panel", "Data", True, "parameter_table"),
    ("metrics", "Metrics", True, "loss_plot"),
    ("decision_map", "Decision map", False, "loss_plot"),
    ("landscape", "Loss landscape", False, "loss_plot"),
    ("descent", "Gradient descent", False, "network_editor"),
    ("fit_plot", "Fit", False, "loss_plot"),
    ("digit_view", "Digit", False, "loss_plot"),
)
TIPS = {
    "data_panel": "the samples: table, plane and pictures",
    "metrics": "accuracy and confusion matrix, or R²",
    "decision_map": "the network's answer over the input plane",
    "landscape": "the loss over two parameters, with the training path",
    "descent": "gradient descent on a function of one or two variables",
    "fit_plot": "the data and the network's line through it, in the file's units",
    "digit_view": "the input image, what each hidden neuron looks for, the outputs",
}


class LazyPanel(QWidget):
    """Holds a dock's panel and builds it the first time it is shown or asked for."""

    built = Signal(QWidget)

    def __init__(self, name: str, make: Callable[[], QWidget]) -> None:
        super().__init__()
        self.setObjectName(f"{name}_holder")
        self._name = name
        self._make: Callable[[], QWidget] | None = make
        self.panel: QWidget | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.setMinimumSize(240, 200)

    def build(self) -> QWidget:
        if self.panel is None:
            assert self._make is not None
            panel = self._make()
            panel.setObjectName(self._name)
            self._make = None
            self.panel = panel
            self._layout.addWidget(panel)
            self.built.emit(panel)
        return self.panel

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.build()


class _Panels(dict):
    """name → panel, building a panel when it is looked up."""

    def __init__(self, holders: dict[str, LazyPanel]) -> None:
        super().__init__()
        self._holders = holders

    def __missing__(self, name: str) -> QWidget:
        panel = self._holders[name].build()
        self[name] = panel
        return panel

    def built(self, name: str) -> bool:
        return self._holders[name].panel is not None


@dataclass
class DataViews:
    """What :func:`install_data_views` built, for tests and the window."""

    panels: _Panels
    docks: dict[str, QDockWidget]
    actions: dict[str, QAction]
    holders: dict[str, LazyPanel]
    recorder: ParameterRecorder
    dialog: QDialog | None = None


def _action(window: QWidget, name: str, text: str, tip: str) -> QAction:
    action = QAction(text, window)
    action.setObjectName(name)
    action.setToolTip(tip)
    action.setStatusTip(tip)
    return action


def install_data_views(
    host: Host, editor: NetworkEditor, table: ParameterTable, loss_plot: LossPlot
) -> DataViews:
    """Add the data panels, their docks, the Data menu and View toggles to the window;
    the panels follow the window's ``editor`` and ``table`` (what is picked)."""
    window = host.main_window()
    session, controller = host.session, host.controller
    recorder = ParameterRecorder()
    early = _EarlyRecorder(session, recorder)

    def make_landscape() -> QWidget:
        early.stop()  # the view records from now on
        view = LandscapeView(session, recorder=recorder)
        table.currentParameterChanged.connect(view.pick)
        editor.selectionChangedTo.connect(view.pick)
        return view

    def make_decision_map() -> QWidget:
        view = DecisionMapView(session)
        hovered = getattr(editor, "neuronHovered", None)
        if hovered is not None:
            hovered.connect(view.show_neuron)
        return view

    factories: dict[str, Callable[[], QWidget]] = {
        "data_panel": lambda: DataPanel(session, controller),
        "metrics": lambda: MetricsView(session),
        "decision_map": make_decision_map,
        "landscape": make_landscape,
        "descent": lambda: DescentView(),
        "fit_plot": lambda: FitPlot(session),
        "digit_view": lambda: DigitView(session),
    }
    holders = {name: LazyPanel(name, factories[name]) for name, _t, _s, _b in DOCKS}
    docks = {
        name: make_panel_dock(window, name, title, holders[name], tip=TIPS[name], name_widget=False)
        for name, title, _, _ in DOCKS
    }
    views = DataViews(_Panels(holders), docks, {}, holders, recorder)
    for name, _title, shown, beside in DOCKS:
        host.add_dock(docks[name], tab_with=beside, hidden=not shown)

    shown_by_default: set[str] = set()
    placed: set[str] = set()  # docks already tabbed beside the view their lesson wants

    def show_default_views() -> None:  # the lesson's own pictures in front (issue 14)
        wanted = default_views(session.trainer)
        for name in shown_by_default - {n for n, _ in wanted}:
            docks[name].hide()
        shown_by_default.clear()
        for name, beside in wanted:
            anchor = window.findChild(QDockWidget, f"{beside}_dock")
            if name not in placed and anchor is not None:
                placed.add(name)
                show_beside(window, docks[name], anchor)
            docks[name].show()
            QTimer.singleShot(0, docks[name], docks[name].raise_)  # tabs settle when shown
            shown_by_default.add(name)

    show_default_views()
    session.documentReplaced.connect(show_default_views)

    # -- the Data menu -------------------------------------------------------------------
    actions = {
        "new_dataset": _action(
            window,
            "new_dataset",
            "&New data set…",
            "Replace the lesson's data with a built-in data set: logic gates, points in the "
            "plane, regression, digits, iris (with size, noise and seed)",
        ),
        "import_csv": _action(
            window,
            "import_csv",
            "Import &CSV…",
            "Replace the lesson's data with columns of a CSV file (inputs, targets, a "
            "class column, standardising)",
        ),
        "import_idx": _action(
            window,
            "import_idx",
            "Import &MNIST (IDX)…",
            "Replace the lesson's data with MNIST's images and labels (IDX files, also "
            ".gz), or start a 784-20-20-10 lesson for them",
        ),
    }
    views.actions = actions

    def opener(make: Callable[[], QDialog]) -> Callable[[], None]:
        def open_dialog() -> None:
            if views.dialog is not None and views.dialog.isVisible():
                views.dialog.raise_()
                return
            dialog = make()
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.destroyed.connect(lambda *_: _forget(views, dialog))
            applied = getattr(dialog, "applied", None)
            if applied is not None:
                applied.connect(lambda text: host.show_status(f"{text}: Edit ▸ Undo takes it back"))
            views.dialog = dialog
            dialog.open()

        return open_dialog

    actions["new_dataset"].triggered.connect(
        opener(lambda: NewDatasetDialog(session, controller, window))
    )
    actions["import_csv"].triggered.connect(
        opener(lambda: CsvImportDialog(session, controller, window))
    )

    def make_idx() -> QDialog:
        dialog = IdxImportDialog(session, controller, window)
        dialog.newLesson.connect(lambda trainer: _new_lesson(host, trainer))
        return dialog

    actions["import_idx"].triggered.connect(opener(make_idx))
    host.add_actions(actions)

    toggles = [docks[name].toggleViewAction() for name, _title, _shown, _beside in DOCKS]
    host.add_to_menu("data", "data_set", *actions.values())
    host.add_to_menu("data", "panels", *toggles)
    host.add_to_menu("view", "panels", *toggles)

    # -- following -----------------------------------------------------------------------
    def built(panel: QWidget) -> None:
        if isinstance(panel, DataPanel):
            panel.add_actions([actions["new_dataset"], actions["import_csv"]])
            panel.message.connect(host.show_status)
        for button in panel.findChildren(ExportButton):
            button.exported.connect(lambda path: host.show_status(f"Saved {path}"))
            button.failed.connect(host.show_problem)

    # (the window styles a panel built late: it follows each holder's `built` too)
    for holder in holders.values():
        holder.built.connect(built)
    for button in loss_plot.findChildren(ExportButton):
        button.exported.connect(lambda path: host.show_status(f"Saved {path}"))
        button.failed.connect(host.show_problem)
    return views


class _EarlyRecorder(QObject):
    """Records every parameter state from the start (for the landscape's path) while the
    landscape view does not exist; once it does, it records itself (:meth:`stop`)."""

    def __init__(self, session: Session, recorder: ParameterRecorder) -> None:
        super().__init__(session)
        self.session, self.recorder, self.active = session, recorder, True
        recorder.record(session.trainer.network.flat)
        session.parametersChanged.connect(self._record)
        session.phaseFinished.connect(self._phase)
        session.lessonReplaced.connect(self._restart)

    def stop(self) -> None:
        self.active = False

    def _record(self) -> None:
        if self.active:
            self.recorder.record(self.session.trainer.network.flat)

    def _phase(self, name: str) -> None:
        if name == "reset":
            self._restart()

    def _restart(self) -> None:
        if self.active:
            self.recorder.clear()
            self.recorder.record(self.session.trainer.network.flat)


def _forget(views: DataViews, dialog: QDialog) -> None:
    if views.dialog is dialog:
        views.dialog = None


def _new_lesson(host: Host, trainer: object) -> None:
    """A new, unsaved lesson (the IDX dialog's 784-20-20-10 network), after asking about
    unsaved changes as File ▸ New does."""
    if not isinstance(trainer, Trainer):
        return

    def replace() -> None:
        host.replace_lesson(trainer, None, unsaved=True)
        host.show_status("A new lesson for the imported data: File ▸ Save As… keeps it")

    host.ask_then(replace, "starting a new lesson")
