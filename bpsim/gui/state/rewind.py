"""Rewinding training in the window: step back through every phase taken, scrub a slider
through the training so far, and go on from any earlier point as a new branch.

:class:`Rewind` keeps a :class:`~bpsim.teaching.timeline.Timeline` over the session's trainer
and records into it what the session reports: each phase (``phaseTaken``, which names Run
slices ``steps:N``), each edit made between phases (a weight, the learning rate, the
optimizer, the loss, the batch size, a picked sample) and resets. Going back or forward
asks the session (:meth:`Session.rewind_to`) to put the trainer exactly where the timeline
was (bit for bit) and let every view redraw. This is separate from the editing undo stack:
undo takes back an edit, rewinding takes back training.

:class:`PhaseMemory` remembers the few things a phase destroys that the teaching views
still want to show: the parameters and optimizer state just before an update (for the
inspector's "w ← w − η·∂E/∂w" with the numbers of the update just done) and the trainer at
the start of the step on screen (for a handout of that step).
"""

from __future__ import annotations

from dataclasses import astuple, dataclass

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence

from bpsim.core.network import Network
from bpsim.core.trainer import Phase, Snapshot, Trainer
from bpsim.gui.state.session import Session
from bpsim.teaching.timeline import Timeline

BETWEEN_STEPS = (Phase.READY, Phase.UPDATED)
#: Phases that begin a new step when the trainer stands between two steps.
STEP_OPENERS = frozenset({"forward", "forward_layer", "step"})


@dataclass
class UpdateState:
    """The parameters and optimizer state just before one update."""

    step_count: int  # the trainer's step count before the update
    parameters: list[np.ndarray]
    buffers: dict[str, list[np.ndarray]]
    steps: list[int]  # the optimizer's step count per parameter array, before
    optimizer: str
    hyper: dict[str, float | bool]
    has_momentum_buffer: list[bool]


def capture_update_state(trainer: Trainer) -> UpdateState:
    """Copy what the next update will read and overwrite (a few arrays, once per manual
    update; never while running)."""
    runner = trainer.optimizer
    buffers = {name: [a.copy() for a in arrays] for name, arrays in runner.buffers().items()}
    n = len(trainer.network.parameter_arrays())
    has_buffer = [True] * n
    if "momentum_buffer" in buffers and runner.name == "sgd":
        saved = runner.state_dict().get("momentum_buffer", [])
        has_buffer = [entry is not None for entry in saved] or has_buffer
    return UpdateState(
        step_count=trainer.step_count,
        parameters=[a.copy() for a in trainer.network.parameter_arrays()],
        buffers=buffers,
        steps=runner.steps(),
        optimizer=runner.name,
        hyper=dict(runner.hyper),
        has_momentum_buffer=has_buffer,
    )


class PhaseMemory(QObject):
    """Remembers, from just before a phase, what the teaching views need afterwards."""

    def __init__(self, session: Session, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._update: UpdateState | None = None
        self._step_start: Snapshot | None = None
        session.phaseStarting.connect(self._starting)
        session.phaseFinished.connect(self._finished)
        session.lessonReplaced.connect(self.forget)

    def forget(self) -> None:
        self._update = None
        self._step_start = None

    def _starting(self, name: str) -> None:
        trainer = self.session.trainer
        if name in ("epoch", "run"):
            self.forget()  # many steps: what was before the last update is not kept
            return
        if name in STEP_OPENERS and trainer.phase in BETWEEN_STEPS:
            self._step_start = trainer.snapshot()
        if name in ("update", "step"):
            self._update = capture_update_state(trainer)

    def _finished(self, name: str) -> None:
        if name in ("edit", "reset", "rewind"):
            self.forget()

    def update_before(self) -> UpdateState | None:
        """The state before the update on screen: only right after a single update."""
        state, trainer = self._update, self.session.trainer
        if state is None or trainer.phase is not Phase.UPDATED:
            return None
        return state if trainer.step_count == state.step_count + 1 else None

    def step_start(self) -> Snapshot | None:
        """The trainer at the start of the step on screen (the step under way, or after
        an update the step just done), or None when that is not known (after Run, an
        epoch, an edit or rewinding)."""
        snap, trainer = self._step_start, self.session.trainer
        if snap is None:
            return None
        if trainer.phase is Phase.UPDATED:
            return snap if snap.step == trainer.step_count - 1 else None
        if trainer.phase is Phase.READY:
            return None
        return snap if snap.step == trainer.step_count else None


def _settings_signature(trainer: Trainer) -> tuple:
    """What an edit between phases can change besides the parameters (which arrive as
    the session's "edit" phase)."""
    runner = trainer.optimizer
    override = None if trainer.override is None else tuple(int(r) for r in trainer.override)
    return (
        runner.name,
        tuple(sorted((k, repr(v)) for k, v in runner.hyper.items())),
        trainer.network.loss.name,
        astuple(trainer.training),
        override,
    )


def _structure(network: Network) -> tuple:
    """What a replay cannot redo when it changes: sizes, activations, links, freezing."""
    masks = tuple(None if m is None else m.tobytes() for m in network.masks)
    return (
        tuple(network.sizes),
        tuple(layer.activation for layer in network.layers),
        masks,
        tuple(network.trainable_flags()),
    )


class Rewind(QObject):
    """The session's training timeline: record, step back, step forward, seek.

    ``changed`` is emitted whenever the position or the length changes (the slider and
    the actions follow it).
    """

    changed = Signal()

    def __init__(
        self,
        session: Session,
        parent: QObject | None = None,
        keep_every: int = 25,
        max_snapshots: int = 64,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self._keep_every = keep_every
        self._max_snapshots = max_snapshots
        self._moving = False
        self._restarted = False  # a new timeline was just begun: its "edit" is no position
        self._new_timeline()
        session.phaseTaken.connect(self._taken)
        session.phaseFinished.connect(self._finished)
        session.settingsChanged.connect(self._maybe_edit)
        session.stateChanged.connect(self._maybe_edit)
        session.lessonReplaced.connect(self._lesson_replaced)
        # Edited data cannot be put back by a snapshot: the timeline starts again there.
        session.datasetChanged.connect(self._lesson_replaced)
        session.runningChanged.connect(lambda _running: self.changed.emit())

    # -- reading ---------------------------------------------------------------------

    @property
    def position(self) -> int:
        return self.timeline.position

    @property
    def length(self) -> int:
        return self.timeline.length

    def can_go_back(self) -> bool:
        return self.timeline.can_go_back() and not self.session.running

    def can_go_forward(self) -> bool:
        return self.timeline.can_go_forward() and not self.session.running

    def label(self, position: int | None = None) -> str:
        """What happened at ``position`` (the current one by default): "step 3 · update"."""
        return self.timeline.label(self.position if position is None else position)

    # -- recording -------------------------------------------------------------------

    def _new_timeline(self) -> None:
        trainer = self.session.trainer
        self.timeline = Timeline(
            trainer, keep_every=self._keep_every, max_snapshots=self._max_snapshots
        )
        self._trainer = trainer
        self._structure = _structure(trainer.network)
        self._signature = _settings_signature(trainer)

    def _in_step_with_trainer(self) -> bool:
        """False when the trainer or its structure changed behind the timeline's back
        (another lesson, a structural edit): nothing before can be replayed then."""
        trainer = self.session.trainer
        return trainer is self._trainer and _structure(trainer.network) == self._structure

    def _restart_if_needed(self) -> None:
        if not self._in_step_with_trainer():
            self._new_timeline()

    def _taken(self, action: str) -> None:
        if self._moving:
            return
        self._restart_if_needed()
        branches = self.timeline.branch_count
        try:
            self.timeline.record(action)
        except ValueError:
            return  # a phase the timeline does not know cannot be replayed: not recorded
        self._signature = _settings_signature(self.session.trainer)
        if self.timeline.branch_count > branches:
            self.session.report(
                "Training went on from an earlier point: a new branch starts here "
                "(the later history was discarded)."
            )
        self.changed.emit()

    def _finished(self, name: str) -> None:
        if self._moving:
            return
        restarted, self._restarted = self._restarted, False
        if name == "reset":
            self._new_timeline()
            self.changed.emit()
        elif name == "edit" and not restarted:
            self._record_edit("edit a weight or bias")

    def _maybe_edit(self) -> None:
        """A setting or the picked sample changed between phases: an edit position."""
        if self._moving or self.session.running:
            return
        signature = _settings_signature(self.session.trainer)
        if signature == self._signature:
            return
        old = self._signature
        what = "edit"
        if len(old) == len(signature):
            names = ("optimizer", "optimizer settings", "loss", "batch settings", "sample")
            changed = [n for n, a, b in zip(names, old, signature, strict=True) if a != b]
            if changed:
                what = "edit " + ", ".join(changed)
        self._record_edit(what)

    def _record_edit(self, note: str) -> None:
        if not self._in_step_with_trainer():
            self._new_timeline()
            self.changed.emit()
            return
        branches = self.timeline.branch_count
        self.timeline.record_edit(note)
        self._signature = _settings_signature(self.session.trainer)
        if self.timeline.branch_count > branches:
            self.session.report(
                "Edited at an earlier point: a new branch starts here (the later history "
                "was discarded)."
            )
        self.changed.emit()

    def _lesson_replaced(self) -> None:
        """Another lesson, another structure or other data: nothing before can be
        replayed, so the timeline starts here."""
        self._new_timeline()
        self._restarted = True  # the "edit" the session reports with this very change
        QTimer.singleShot(0, self._end_restart)
        self.changed.emit()

    def _end_restart(self) -> None:
        self._restarted = False

    # -- moving ----------------------------------------------------------------------

    def back(self) -> bool:
        """One phase back (Run pauses first). False at the start."""
        self.session.pause()
        if not self.timeline.can_go_back():
            self.session.report("Nothing to step back to: this is the start.")
            return False
        return self.seek(self.position - 1)

    def forward_again(self) -> bool:
        """Redo the next recorded phase. False at the newest."""
        self.session.pause()
        if not self.timeline.can_go_forward():
            self.session.report("Nothing to step forward to: this is the newest point.")
            return False
        return self.seek(self.position + 1)

    def seek(self, position: int) -> bool:
        """Put the trainer where it was at ``position`` and let every view redraw."""
        self.session.pause()
        if not self._in_step_with_trainer():
            self._new_timeline()
            self.changed.emit()
            self.session.report("The network changed; the timeline starts here.")
            return False
        position = min(max(int(position), 0), self.length)
        if position == self.position:
            return True
        self._moving = True
        try:
            problem = self.session.rewind_to(self.timeline, position)
            self._signature = _settings_signature(self.session.trainer)
        finally:
            self._moving = False
        if problem is not None:
            self.session.report(f"Could not rewind ({problem}); the timeline starts again here.")
        else:
            self.session.report(f"At {self.label()} ({self.position} of {self.length})")
        self.changed.emit()
        return problem is None


#: (object name, text, keys, tip)
ACTION_SPECS: tuple[tuple[str, str, str, str], ...] = (
    (
        "step_back",
        "Step &back",
        "Ctrl+Left",
        "Step back: undo the last training phase (forward, backward, update, epoch or run); "
        "the parameters return bit for bit",
    ),
    (
        "step_forward",
        "Step for&ward again",
        "Ctrl+Right",
        "Step forward again: redo the next phase that was stepped back over",
    ),
)


def rewind_actions(rewind: Rewind, parent: QObject) -> dict[str, QAction]:
    """Step back / Step forward again, enabled when there is somewhere to go."""
    actions: dict[str, QAction] = {}
    for name, text, keys, tip in ACTION_SPECS:
        action = QAction(text, parent)
        action.setObjectName(name)
        action.setShortcut(QKeySequence(keys))
        key_text = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({key_text})")
        action.setStatusTip(tip)
        actions[name] = action
    actions["step_back"].triggered.connect(rewind.back)
    actions["step_forward"].triggered.connect(rewind.forward_again)

    def refresh() -> None:
        actions["step_back"].setEnabled(rewind.can_go_back())
        actions["step_forward"].setEnabled(rewind.can_go_forward())

    rewind.changed.connect(refresh)
    rewind.session.stateChanged.connect(refresh)
    refresh()
    return actions
