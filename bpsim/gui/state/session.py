"""The open lesson as the window sees it: a :class:`Trainer` behind Qt signals.

The session is the ONLY writer of the trainer and its lesson, and the only emitter of
its signals. Views read the trainer (``session.trainer``) but never change it; the
controller's undo commands (:mod:`bpsim.gui.state.commands`), rewinding
(:mod:`bpsim.gui.state.rewind`) and the shell call a method here, which changes the
trainer (through :mod:`bpsim.core` or the pure edits of :mod:`bpsim.lessons`) and emits
the signals views follow.

While Run is on, training happens on the GUI thread in time slices of the lean loop
(:meth:`Trainer.run_steps`), and a frame timer (about 35 Hz), not the engine, decides
when views hear of it:

- every frame emits ``runProgress`` (the loss curve and counters: cheap views);
- every N-th frame is a *detail* frame that emits the full set (``parametersChanged``,
  ``traceChanged``, ``historyChanged``, ``stateChanged``, ``phaseFinished("run")``), which
  the network editor, the parameter table and the lesson's views follow. N is chosen
  from the measured cost of both kinds of frame so that the engine keeps at least
  :data:`ENGINE_SHARE` of the time: 1 on XOR, more on a 64-20-20-10 network whose editor
  takes 20–40 ms to redraw;
- each slice ends when the next frame is due, unless the engine is owed time: it is owed
  its share of every frame's cost and is paid back over the next few slices, so a slow
  frame delays the next frames a little instead of starving the engine. Slices are at
  most :data:`MAX_SLICE_SECONDS`, so Pause acts within one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal

from bpsim.core.spec import OptimizerSpec
from bpsim.core.trainer import DivergenceError, Phase, PhaseError, Trainer
from bpsim.lessons import dataset_edit
from bpsim.lessons.structure import training_problem
from bpsim.teaching.timeline import Timeline, TimelineError

REFRESH_INTERVAL_MS = 28  # the frame timer while running: about 35 frames a second
ENGINE_SHARE = 0.6  # the part of the time the engine keeps at least, on average
MIN_SLICE_SECONDS = 0.004  # a slice shorter than this spends more on calls than on steps
MAX_SLICE_SECONDS = 0.06  # Pause acts within this (and the frame after it), whatever frames cost
MAX_DETAIL_EVERY = 10  # detail frames at least every 10th frame (about 3 Hz)
AHEAD_LIMIT = 0.1  # engine time given ahead is remembered up to this (seconds)
OWED_LIMIT = 1.0  # engine time owed is remembered up to this (seconds)
DEBT_SPREAD = 2  # each slice pays back this fraction (1/n) of the engine time owed
COST_MEMORY = 0.2  # weight of the newest frame in the running mean of a frame's cost
#: Actions that train, held back while the data set does not fit the network.
TRAINING_ACTIONS = frozenset({"forward", "forward_layer", "step", "epoch", "run"})


@dataclass(frozen=True)
class ParameterKey:
    """One weight (``bias=False``: layer k, to neuron j, from neuron i) or one bias
    (``bias=True``: layer k, index j; i unused). k counts weight matrices from 0."""

    k: int
    j: int
    i: int = 0
    bias: bool = False

    def place(self) -> str:
        """Where this number sits in the file: weights[k][j][i] or biases[k][j]."""
        if self.bias:
            return f"biases[{self.k}][{self.j}]"
        return f"weights[{self.k}][{self.j}][{self.i}]"


class Session(QObject):
    """Signals say what changed; the last phase's name comes with ``phaseFinished``."""

    phaseFinished = Signal(
        str
    )  # forward, forward_layer, backward, backward_layer, update, step, epoch, reset, edit
    parametersChanged = Signal()  # weights or biases have new values
    traceChanged = Signal()  # activations, deltas or gradients changed
    historyChanged = Signal()  # the loss curve grew or was truncated
    settingsChanged = Signal()  # optimizer, learning rate, loss or batch size
    stateChanged = Signal()  # phase, counters, running: enable actions, update the status bar
    lessonReplaced = Signal()  # a new structure (another lesson, or an edit): rebuild everything
    documentReplaced = Signal()  # another lesson was opened: its undo history starts afresh
    structureChanged = Signal()  # the same lesson, edited: layers, neurons, links, names
    viewChanged = Signal()  # the lesson's view section (neuron positions) changed
    runningChanged = Signal(bool)
    diverged = Signal(str)  # a message naming epoch, step and parameter
    message = Signal(str)  # something to tell the user in the status bar
    datasetChanged = Signal()  # the data set's values or rows changed (see set_data_value)
    # For rewinding and teaching: a phase is about to run / the trainer has just taken one,
    # named as Timeline.record names it ("steps:N" for a Run slice; also when it diverged).
    phaseStarting = Signal(str)
    phaseTaken = Signal(str)
    # While running, once per frame (about 35 Hz): the history and the counters moved.
    # Parameters and the pass on screen are announced less often (see the module doc).
    runProgress = Signal()

    def __init__(
        self, trainer: Trainer, path: Path | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.trainer = trainer
        self.path = path
        self.last_phase = ""
        self.changed: list[
            np.ndarray
        ] = []  # per parameter array: True where the last phase changed it
        self._before: list[np.ndarray] | None = None
        #: Quiz mode may hold a phase back until the student has guessed (False: not now).
        self.phase_gate: Callable[[str], bool] | None = None
        self._blocked_for: tuple[object, ...] = ()
        self._blocked: str | None = None
        self._running = False
        self._dirty = False
        self._step_seconds = 1e-3  # time per step, measured while running
        self._pacing = _Pacing()
        self._run_timer = QTimer(self)
        self._run_timer.setSingleShot(True)
        self._run_timer.timeout.connect(self._run_slice)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._refresh_timer.setInterval(REFRESH_INTERVAL_MS)
        self._refresh_timer.timeout.connect(self._refresh)
        self._reset_changed()

    # -- reading ---------------------------------------------------------------------

    @property
    def phase(self) -> Phase:
        return self.trainer.phase

    @property
    def running(self) -> bool:
        return self._running

    @property
    def training_blocked(self) -> str | None:
        """Why training cannot run now (an edit made the data set stop fitting the
        network), in a sentence for the user; None when it can."""
        t = self.trainer
        key = (t, t.network, t.inputs, t.targets, t.network.loss)
        if len(key) != len(self._blocked_for) or any(
            a is not b for a, b in zip(key, self._blocked_for, strict=True)
        ):
            self._blocked_for, self._blocked = key, training_problem(t)
        return self._blocked

    def can(self, action: str) -> bool:
        """Whether an action makes sense now (for enabling buttons)."""
        t = self.trainer
        if action in TRAINING_ACTIONS and self.training_blocked is not None:
            return False
        if action in ("backward", "backward_layer"):
            return t.can_backward() and not self._running
        if action == "update":
            return t.can_update() and not self._running
        if action in ("forward", "forward_layer", "step", "epoch", "reset"):
            return not self._running
        if action == "run":
            return t.stopped is None or self._running
        return True

    def value(self, key: ParameterKey) -> float:
        net = self.trainer.network
        if key.bias:
            return float(net.biases[key.k][key.j])
        return float(net.weights[key.k][key.j, key.i])

    # -- phases ----------------------------------------------------------------------

    def _begin(self) -> None:
        self._before = [a.copy() for a in self.trainer.network.parameter_arrays()]

    def _end(self, name: str, params: bool, trace: bool = True, history: bool = False) -> None:
        self.last_phase = name
        if self._before is not None:
            after = self.trainer.network.parameter_arrays()
            self.changed = [b != a for b, a in zip(self._before, after, strict=True)]
            self._before = None
        if params:
            self.parametersChanged.emit()
        if trace:
            self.traceChanged.emit()
        if history:
            self.historyChanged.emit()
        self.stateChanged.emit()
        self.phaseFinished.emit(name)

    def _reset_changed(self) -> None:
        self.changed = [
            np.zeros(a.shape, dtype=bool) for a in self.trainer.network.parameter_arrays()
        ]

    def _guarded(self, name: str, action, params: bool, history: bool) -> bool:
        if self._running:
            return False
        if self.training_blocked is not None:
            self.message.emit(self.training_blocked)
            return False
        if self.phase_gate is not None and not self.phase_gate(name):
            return False
        self.phaseStarting.emit(name)
        self._begin()
        try:
            action()
        except PhaseError as error:
            self._before = None
            self.message.emit(str(error))
            return False
        except DivergenceError as error:
            self._before = None
            self.phaseTaken.emit(name)
            self.stateChanged.emit()
            self.traceChanged.emit()
            self.diverged.emit(str(error))
            return False
        self.phaseTaken.emit(name)
        self._end(name, params=params, history=history)
        return True

    def forward(self) -> bool:
        self._reset_changed()
        return self._guarded("forward", self.trainer.forward, params=False, history=False)

    def forward_layer(self) -> bool:
        self._reset_changed()
        return self._guarded(
            "forward_layer", self.trainer.forward_layer, params=False, history=False
        )

    def backward(self) -> bool:
        self._reset_changed()
        return self._guarded("backward", self.trainer.backward, params=False, history=False)

    def backward_layer(self) -> bool:
        self._reset_changed()
        return self._guarded(
            "backward_layer", self.trainer.backward_layer, params=False, history=False
        )

    def update(self) -> bool:
        return self._guarded("update", self.trainer.update, params=True, history=True)

    def step(self) -> bool:
        return self._guarded("step", self.trainer.step, params=True, history=True)

    def epoch(self) -> bool:
        return self._guarded("epoch", self.trainer.run_epoch, params=True, history=True)

    def reset(self) -> None:
        """Back to the lesson's starting parameters, fresh optimizer, no history."""
        self.pause()
        self.trainer.reset()
        self._reset_changed()
        self.last_phase = "reset"
        self.parametersChanged.emit()
        self.traceChanged.emit()
        self.historyChanged.emit()
        self.stateChanged.emit()
        self.phaseFinished.emit("reset")

    def select_sample(self, row: int | None) -> None:
        """Make the next forward pass use data-set row ``row`` (0-based; None: back to the
        epoch's order)."""
        self.trainer.select_samples(None if row is None else [row])
        self.stateChanged.emit()

    def report(self, text: str) -> None:
        """Tell the user something in the status bar (a note, a refusal, where rewinding
        went): the one way other modules speak through ``message``."""
        self.message.emit(text)

    def set_path(self, path: Path | None) -> None:
        """The file the lesson is saved to now (Save as): no view redraws."""
        self.path = path

    # -- rewinding (bpsim.gui.state.rewind) --------------------------------------------

    def rewind_to(self, timeline: Timeline, position: int) -> str | None:
        """Put the trainer where ``timeline`` (kept over this very trainer) was at
        ``position``, bit for bit, and let every view redraw as after a phase "rewind".
        Returns None, or why the timeline could not get there (it then starts afresh at
        the trainer as it is, which still redraws)."""
        if timeline.trainer is not self.trainer:
            raise ValueError("the timeline is kept over another trainer")
        self.pause()
        problem = None
        try:
            timeline.seek(position)
        except TimelineError as error:
            timeline.restart()
            problem = str(error)
        self._reset_changed()
        self.last_phase = "rewind"
        self.parametersChanged.emit()
        self.traceChanged.emit()
        self.historyChanged.emit()
        self.settingsChanged.emit()
        self.stateChanged.emit()
        self.phaseFinished.emit("rewind")
        return problem

    # -- the data set (the controller's data commands call these) ------------------------

    def set_data_value(
        self, part: str, row: int, column: int, value: float, source: dict[str, Any] | None = None
    ) -> None:
        """Set input or target ``column`` of sample ``row`` (``part`` "inputs" or
        "targets"); ``source`` puts back the file form the data set had (on undo).
        Raises ValueError, changing nothing, when the value is refused."""
        trainer = self.trainer
        dataset_edit.set_data_value(trainer, part, row, column, value)
        if source is not None:
            trainer.lesson.dataset.source = dict(source)
        self._data_edited()

    def change_data(
        self, change: Callable[[Trainer], None]
    ) -> tuple[dataset_edit.DataState, dataset_edit.DataState]:
        """Apply ``change`` (a :mod:`bpsim.lessons.dataset_edit` function: add rows, a new
        data set) and return the data before and after it, for undo and redo."""
        before = dataset_edit.data_state(self.trainer)
        change(self.trainer)
        after = dataset_edit.data_state(self.trainer)
        self._data_edited()
        return before, after

    def restore_data(self, state: dataset_edit.DataState) -> None:
        """Put back the data exactly as ``state`` recorded them (undo, redo)."""
        dataset_edit.restore_data(self.trainer, state)
        self._data_edited()

    def _data_edited(self) -> None:
        """Views re-read the samples; the pass on screen is gone."""
        self.last_phase = "edit"
        self.datasetChanged.emit()
        self.traceChanged.emit()
        self.settingsChanged.emit()  # the batch size's range follows the number of rows
        self.stateChanged.emit()
        self.phaseFinished.emit("edit")

    # -- edits (the controller's undo commands call these) ------------------------------

    def check_value(self, key: ParameterKey, value: float) -> None:
        """Raise ValueError, with a message for the user, if ``value`` cannot go at ``key``."""
        if not math.isfinite(value):
            raise ValueError("enter a finite number")
        mask = None if key.bias else self.trainer.network.masks[key.k]
        if mask is not None and mask[key.j, key.i] == 0:
            raise ValueError("this link is removed (masked); restore it first")

    def set_value(self, key: ParameterKey, value: float) -> None:
        """Set one weight or bias. Raises ValueError with a message for the user."""
        self.check_value(key, value)
        if key.bias:
            self.trainer.set_bias(key.k, key.j, value)
        else:
            self.trainer.set_weight(key.k, key.j, key.i, value)
        self._reset_changed()
        self.changed[2 * key.k + int(key.bias)][(key.j,) if key.bias else (key.j, key.i)] = True
        self.last_phase = "edit"
        self.parametersChanged.emit()
        self.traceChanged.emit()
        self.stateChanged.emit()
        self.phaseFinished.emit("edit")

    def optimizer_spec(self) -> OptimizerSpec:
        return OptimizerSpec(self.trainer.optimizer_spec.name, dict(self.trainer.optimizer.hyper))

    def set_learning_rate(self, value: float) -> None:
        self.trainer.set_learning_rate(value)
        self.settingsChanged.emit()

    def set_optimizer_spec(self, spec: OptimizerSpec) -> None:
        """Exactly this optimizer and hyper-parameters (undoing a switch)."""
        self.trainer.set_optimizer(spec)
        self.settingsChanged.emit()
        self.stateChanged.emit()

    def switched_optimizer(self, name: str) -> OptimizerSpec:
        """The optimizer ``name`` with PyTorch's defaults; plain SGD, which has no default
        learning rate, keeps the current one."""
        if name == "sgd":
            lr = float(self.trainer.optimizer.hyper["learning_rate"])
            return OptimizerSpec.with_defaults(name, learning_rate=lr)
        return OptimizerSpec.with_defaults(name)

    def set_optimizer(self, name: str) -> None:
        """Switch optimizer with a fresh state (see :meth:`switched_optimizer`)."""
        if name == self.trainer.optimizer_spec.name:
            return
        self.set_optimizer_spec(self.switched_optimizer(name))

    def set_loss(self, name: str) -> None:
        self.trainer.set_loss(name)
        self.settingsChanged.emit()
        self.traceChanged.emit()
        self.stateChanged.emit()

    def set_batch_size(self, size: int | None) -> None:
        self.trainer.set_batch_size(size)
        self.settingsChanged.emit()
        self.stateChanged.emit()

    def replace_trainer(self, trainer: Trainer, path: Path | None) -> None:
        """A new lesson: everything is rebuilt."""
        self.pause()
        self.trainer = trainer
        self.path = path
        self._reset_changed()
        self.last_phase = ""
        self.documentReplaced.emit()
        self.lessonReplaced.emit()
        self.parametersChanged.emit()
        self.traceChanged.emit()
        self.historyChanged.emit()
        self.settingsChanged.emit()
        self.stateChanged.emit()

    def replace_structure(self, trainer: Trainer) -> None:
        """The same lesson with another structure (an undoable edit of the network, see
        bpsim.gui.state.commands): views rebuild as for a new lesson, but the undo history and
        the file stay. The trainer left behind (kept by the undo command) drops its caches."""
        self.pause()
        previous, self.trainer = self.trainer, trainer
        self._reset_changed()
        self.last_phase = "edit"
        self.structureChanged.emit()
        self.lessonReplaced.emit()
        self.parametersChanged.emit()
        self.traceChanged.emit()
        self.historyChanged.emit()
        self.settingsChanged.emit()
        self.stateChanged.emit()
        self.phaseFinished.emit("edit")
        if previous is not trainer:
            previous.release_caches()

    def set_view(self, view: dict[str, Any] | None) -> None:
        """The lesson's view section (dragged neuron positions, saved with the file)."""
        self.trainer.lesson.view = view
        self.viewChanged.emit()

    # -- run / pause -----------------------------------------------------------------

    def start(self) -> None:
        """Train continuously until paused, stopped early or diverged."""
        if self._running or self.trainer.stopped is not None:
            return
        if self.training_blocked is not None:
            self.message.emit(self.training_blocked)
            return
        self.phaseStarting.emit("run")
        self._running = True
        self._step_seconds = 1e-3  # a cautious guess: the first chunk measures it
        self._pacing.restart()
        self._begin()
        self._run_timer.start(0)
        self._refresh_timer.start()
        self.runningChanged.emit(True)
        self.stateChanged.emit()

    def pause(self) -> None:
        """Stop at once: the slice under way has already finished (slices are short)."""
        if not self._running:
            return
        self._running = False
        self._run_timer.stop()
        self._refresh_timer.stop()
        self._refresh(final=True)
        self.runningChanged.emit(False)
        self.stateChanged.emit()

    def toggle_running(self) -> None:
        if self._running:
            self.pause()
        else:
            self.start()

    @property
    def detail_every(self) -> int:
        """While running: every how many frames the parameters and the pass are redrawn."""
        return self._pacing.detail_every

    def _run_slice(self) -> None:
        if not self._running:
            return
        start = time.perf_counter()
        seconds = self._pacing.slice_seconds(start, self._refresh_timer.remainingTime())
        deadline = start + seconds
        trainer = self.trainer
        taken = 0  # steps asked for: replaying run_steps(taken) redoes the slice exactly
        # Size each chunk from the measured time per step so the slice ends on time: an
        # overshoot would delay the next frame.
        chunk = int(min(max(seconds / self._step_seconds * 0.9, 1), 1 << 16))
        try:
            now = start
            while trainer.stopped is None:
                chunk_start = now
                taken += chunk
                done = trainer.run_steps(chunk)
                self._dirty = True
                now = time.perf_counter()
                if done:
                    self._step_seconds = max((now - chunk_start) / done, 1e-7)
                steps_left = (deadline - now) / self._step_seconds * 0.9
                if steps_left < 8:  # a few steps are not worth another call
                    break
                chunk = int(min(steps_left, 1 << 16))
        except DivergenceError as error:
            self.phaseTaken.emit(f"steps:{taken}")
            self.pause()
            self.diverged.emit(str(error))
            return
        finally:
            self._pacing.slice_ended(time.perf_counter())
        if taken:
            self.phaseTaken.emit(f"steps:{taken}")
        if trainer.stopped is not None:
            self.pause()
            self.message.emit(trainer.stopped)
            return
        self._run_timer.start(0)

    def _refresh(self, final: bool = False) -> None:
        """A frame: ``runProgress``, and on detail frames (and at the end) every signal."""
        if not (self._dirty or final):
            return
        self._dirty = False
        if not final and not self._pacing.frame_is_detail():
            self.runProgress.emit()
            return
        self._end("run" if self._running else "step", params=True, history=True)
        if self._running:
            self._begin()


class _Pacing:
    """How long the next slice runs and which frames are detail frames, from what the
    last frames cost (the time between the end of a slice and the start of the next:
    the views' work and their painting)."""

    def __init__(self) -> None:
        self.restart()

    def restart(self) -> None:
        self.detail_every = 2  # one frame of each kind first: both costs get measured
        self._since_detail = 0
        self._cost = {False: 0.0, True: 0.0}  # running mean per kind (detail: True)
        self._frame: bool | None = None  # the kind of the frame since the last slice
        self._slice_end: float | None = None
        self._slice_start: float | None = None
        self._debt = 0.0  # engine time owed (seconds; negative: given ahead)
        # A detail frame's cost, until the frame after it is measured: views finish
        # some of their work on zero-time timers, which run after the next slice.
        self._detail_gap: float | None = None

    def frame_is_detail(self) -> bool:
        """Called once per frame; True every ``detail_every``-th frame."""
        self._since_detail += 1
        detail = self._since_detail >= self.detail_every
        if detail:
            self._since_detail = 0
        self._frame = detail
        return detail

    def slice_ended(self, now: float) -> None:
        if self._slice_start is not None:
            self._debt -= now - self._slice_start
        self._slice_end = now

    def slice_seconds(self, now: float, next_frame_ms: int) -> float:
        """The next slice: until the next frame is due, but at least the share of the
        time since the last slice ended that keeps the engine at ENGINE_SHARE."""
        gap = 0.0 if self._slice_end is None else now - self._slice_end
        if self._frame is not None:
            self._measured(self._frame, gap)
            self._frame = None
            self._choose_detail_every()
        # The engine is owed ENGINE_SHARE / (1 − ENGINE_SHARE) of every gap and pays it
        # back in slices. Time it was given beyond that (slices until the next frame
        # while frames are cheap) is kept, up to AHEAD_LIMIT, for the next costly frame;
        # what is still owed is paid over a few slices, so a costly frame delays the
        # next few frames a little rather than one a lot.
        debt = self._debt + gap * ENGINE_SHARE / (1 - ENGINE_SHARE)
        self._debt = min(max(debt, -AHEAD_LIMIT), OWED_LIMIT)
        self._slice_start = now
        until_frame = next_frame_ms / 1000 - 0.0005 if next_frame_ms >= 0 else 0.0
        owed = self._debt / DEBT_SPREAD
        return min(max(until_frame, owed, MIN_SLICE_SECONDS), MAX_SLICE_SECONDS)

    def _measured(self, detail: bool, gap: float) -> None:
        """Note a frame's cost; what the frame after a detail frame costs beyond a light
        frame is the detail frame's too."""
        pending, self._detail_gap = self._detail_gap, None
        if pending is not None:
            light = self._cost[False]
            extra = max(gap - light, 0.0) if not detail and light > 0.0 else 0.0
            self._remember(True, pending + extra)
            if not detail:
                return
        if detail:
            self._detail_gap = gap
        else:
            self._remember(False, gap)

    def _remember(self, detail: bool, cost: float) -> None:
        old = self._cost[detail]
        self._cost[detail] = cost if old == 0.0 else old + COST_MEMORY * (cost - old)

    def _choose_detail_every(self) -> None:
        light, detail = self._cost[False], self._cost[True]
        if detail == 0.0:
            return  # no detail frame measured yet
        budget = (1 - ENGINE_SHARE) * REFRESH_INTERVAL_MS / 1000
        extra, room = detail - light, budget - light
        if extra <= 0:
            every = 1
        elif room <= 0:
            every = MAX_DETAIL_EVERY
        else:
            every = math.ceil(extra / room)
        self.detail_every = min(max(every, 1), MAX_DETAIL_EVERY)
