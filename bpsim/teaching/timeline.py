"""Rewinding training: every phase taken can be stepped back, and a slider scrubs through it.

The window calls :meth:`Timeline.record` after each phase it ran on the trainer (or lets
:meth:`Timeline.perform` run and record it). A position is an index into the recorded
phases: 0 is the start, :attr:`Timeline.length` the newest. Going to a position restores
the nearest snapshot at or before it and runs the recorded phases again; the trainer's
maths is deterministic, so the result is bit-identical to the first time (parameters,
optimizer state, counters, the current pass and the loss curve, which
:meth:`Trainer.restore` truncates and the replay appends again).

Memory stays bounded on long runs: snapshots are kept at the start and every
``keep_every`` phases, and when there are more than ``max_snapshots`` (or they hold more
than ``max_bytes``) old ones are thinned out so that the spacing grows with age: about
every other one is dropped each time the history doubles, recent phases stay cheap to step
back through and old ones cost more replaying to reach. (Literally dropping every other
one of the older half each time would empty the old half after a few rounds.) The
recorded phases themselves are a few dozen bytes each.

Taking a phase while the position is before the end starts a new branch: the old future
is discarded (one line of history). This is not editing undo: an edit made between phases
(a weight, the learning rate, the batch size, the loss, a picked sample) is recorded with
:meth:`Timeline.record_edit`, which keeps a snapshot of the state after it for good, since
replaying cannot redo it. Structural changes (layers, masks, freezing, data) and
:meth:`Trainer.reset` call :meth:`Timeline.restart`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from bpsim.core.history import History, LossSeries
from bpsim.core.spec import TrainingSpec
from bpsim.core.trainer import Divergence, DivergenceError, Phase, Snapshot, Trainer

#: Phases the trainer can take, by the names :meth:`Timeline.record` accepts ("steps:N"
#: too: a Run chunk of N whole steps).
PHASES: dict[str, Callable[[Trainer], object]] = {
    "forward": Trainer.forward,
    "forward_layer": Trainer.forward_layer,
    "backward": Trainer.backward,
    "backward_layer": Trainer.backward_layer,
    "update": Trainer.update,
    "step": Trainer.step,
    "epoch": Trainer.run_epoch,
}
STEPS_PREFIX = "steps:"
EDIT = "edit"
START = "start"

_IN_PROGRESS = (Phase.FORWARD, Phase.FORWARDED, Phase.BACKWARD, Phase.BACKWARDED)
_BETWEEN_STEPS = (Phase.READY, Phase.UPDATED)


class TimelineError(RuntimeError):
    """The trainer and the timeline no longer agree (a phase was taken or an edit made
    without being recorded), so replaying could not reproduce the recorded state."""


class _Mark(NamedTuple):
    """What one position looks like: for the slider's labels and for checking the trainer
    is where the timeline thinks it is."""

    action: str
    note: str
    step: int
    epoch: int
    phase: Phase
    layer: int
    batch: int


@dataclass
class _Point:
    """A snapshot plus what :class:`Snapshot` leaves out but an edit can change."""

    snapshot: Snapshot
    training: TrainingSpec
    loss: str
    divergence: Divergence | None
    complete: bool  # holds the current pass, so the position itself can be shown from it
    pinned: bool  # the start or an edit: replaying cannot recreate it, so never thinned
    nbytes: int


def steps_action(count: int) -> str:
    """The action name of a Run chunk of ``count`` whole steps."""
    return f"{STEPS_PREFIX}{int(count)}"


def _check_action(action: str) -> str:
    if action in PHASES:
        return action
    if action.startswith(STEPS_PREFIX):
        count = action[len(STEPS_PREFIX) :]
        if count.isdigit():
            return steps_action(int(count))
    known = ", ".join([*PHASES, "steps:N"])
    raise ValueError(f"unknown phase {action!r}; expected one of {known}")


class _Curve:
    """The loss curve along the whole recorded line. :meth:`Trainer.restore` can only cut
    the trainer's history back, so jumping forward to a later snapshot puts the points in
    between back from here. Points are (step or epoch number, loss), as the history holds
    them; the curve is bounded the way the history is."""

    def __init__(self, history: History) -> None:
        self.series = tuple(LossSeries(s.capacity) for s in self._of(history))
        self.sync(history)

    @staticmethod
    def _of(history: History) -> tuple[LossSeries, LossSeries, LossSeries]:
        return history.step_loss, history.epoch_train_loss, history.epoch_val_loss

    def sync(self, history: History) -> None:
        """Take over the points the trainer appended since (its history ends this line)."""
        for mine, theirs in zip(self.series, self._of(history), strict=True):
            _copy_after(theirs, mine, mine.x[-1] if len(mine) else -np.inf, np.inf)

    def cut(self, step: int, epoch: int) -> None:
        """Forget the future after step ``step`` and epoch ``epoch`` (a new branch)."""
        for series, last in zip(self.series, (step, epoch, epoch), strict=True):
            series.truncate_after(last)

    def fill(self, history: History, valid: tuple[int, int], target: tuple[int, int]) -> None:
        """Make ``history`` this line's curve up to step and epoch ``target``, trusting
        what it holds only up to step and epoch ``valid``."""
        for mine, theirs, keep, last in zip(
            self.series,
            self._of(history),
            (valid[0], valid[1], valid[1]),
            (target[0], target[1], target[1]),
            strict=True,
        ):
            theirs.truncate_after(min(keep, last))
            _copy_after(mine, theirs, theirs.x[-1] if len(theirs) else -np.inf, last)


def _copy_after(source: LossSeries, target: LossSeries, after: float, until: float) -> None:
    """Append ``source``'s points with after < x ≤ until to ``target``."""
    xs = source.x
    start = int(np.searchsorted(xs, after, side="right"))
    stop = int(np.searchsorted(xs, until, side="right"))
    if start < stop:  # extend is exactly appending one by one, without a call per point
        target.extend(xs[start:stop], source.values[start:stop])


def _nbytes(value: object, seen: set[int]) -> int:
    """Bytes of the NumPy data reachable from ``value``, each buffer counted once (the
    gradient views of a trace share one vector)."""
    if isinstance(value, np.ndarray):
        owner = value
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        if id(owner) in seen:
            return 0
        seen.add(id(owner))
        return int(owner.nbytes)
    total = 0
    if isinstance(value, (list, tuple)):
        for item in value:
            total += _nbytes(item, seen)
    elif isinstance(value, dict):
        for item in value.values():
            total += _nbytes(item, seen)
    elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        for name in value.__dataclass_fields__:
            total += _nbytes(getattr(value, name), seen)
    return total


def _trace_nbytes(trainer: Trainer) -> int:
    trace = trainer.trace
    if trace is None:
        return 0
    total = trace.flat_grads.nbytes
    for arrays in (trace.z, trace.a, trace.fprime, trace.grad_a, trace.delta):
        for array in arrays:
            total += array.nbytes
    return total


class Timeline:
    """The phases a trainer has taken, with sparse snapshots to go back to any of them.

    ``keep_every``: a snapshot every so many recorded phases (going back one phase then
    replays at most that many). ``max_snapshots`` and ``max_bytes``: bounds on what the
    snapshots hold; over them, old snapshots are thinned out. ``keep_traces``: whether a
    snapshot taken between steps keeps the pass it shows (True), never does (False) or
    does when it is no bigger than the parameters (None). A pass is not needed to go on
    training, only to show that exact position, which can then be replayed instead; for a
    large batch it is much bigger than the parameters.
    """

    def __init__(
        self,
        trainer: Trainer,
        keep_every: int = 25,
        max_snapshots: int = 64,
        max_bytes: int | None = 256 * 2**20,
        keep_traces: bool | None = None,
    ) -> None:
        if keep_every < 1:
            raise ValueError("keep_every must be at least 1")
        if max_snapshots < 2:
            raise ValueError("max_snapshots must be at least 2 (the start and one more)")
        self.trainer = trainer
        self.keep_every = int(keep_every)
        self.max_snapshots = int(max_snapshots)
        self.max_bytes = max_bytes
        self.keep_traces = keep_traces
        self.restart()

    # -- state -----------------------------------------------------------------------

    def restart(self) -> None:
        """Forget every recorded phase: the trainer as it is now becomes the start. For
        changes a snapshot cannot undo (reset, loading, layers, masks, data)."""
        self._marks: list[_Mark] = []
        self._points: dict[int, _Point] = {}
        self._positions: list[int] = []
        self._bytes = 0
        self._position = 0
        self._history = self.trainer.history
        self._curve = _Curve(self._history)
        self.branch_count = 0  # how often going on from an earlier point discarded a future
        self._marks.append(self._mark(START))
        self._store(0, pinned=True)
        self._in_sync = True

    @property
    def length(self) -> int:
        """How many phases are recorded (the newest position)."""
        return len(self._marks) - 1

    @property
    def position(self) -> int:
        """Where the trainer stands: 0 is the start, :attr:`length` the newest phase."""
        return self._position

    def can_go_back(self) -> bool:
        return self._position > 0

    def can_go_forward(self) -> bool:
        return self._position < self.length

    @property
    def snapshot_count(self) -> int:
        return len(self._positions)

    @property
    def snapshot_positions(self) -> list[int]:
        """Where snapshots are kept (for the slider's ticks and for tests)."""
        return list(self._positions)

    def memory_bytes(self) -> int:
        """What the snapshots hold: parameters, optimizer state, last update and the
        passes they keep."""
        return self._bytes

    def action(self, position: int) -> str:
        """The phase that led to ``position`` ("start" for 0)."""
        return self._marks[self._check_position(position)].action

    def label(self, position: int) -> str:
        """A slider tooltip for ``position``: "step 12 · update"."""
        mark = self._marks[self._check_position(position)]
        step = mark.step + (1 if mark.phase in _IN_PROGRESS else 0)
        before = self._marks[position - 1].step if position else mark.step
        return f"step {step} · {self._describe(mark, mark.step - before)}"

    @property
    def labels(self) -> list[str]:
        """:meth:`label` of every position, 0 to :attr:`length`."""
        return [self.label(n) for n in range(len(self._marks))]

    # -- recording -------------------------------------------------------------------

    def record(self, action: str) -> None:
        """Note that the trainer has just taken ``action`` (also when it raised a
        :class:`DivergenceError`: replaying diverges the same way). Before the end, this
        discards the old future and starts a new branch."""
        action = _check_action(action)
        if self.trainer.history is not self._history:
            self.restart()  # reset or loaded: nothing before this can be replayed into it
            return
        self._branch()
        self._curve.sync(self._history)
        self._marks.append(self._mark(action))
        self._position += 1
        self._in_sync = True
        if self._position % self.keep_every == 0:
            self._store(self._position, pinned=False)
        self._thin()

    def record_edit(self, note: str = "edit") -> None:
        """Note an edit made between phases (a weight, a bias, the learning rate or
        optimizer, the batch size, the loss, a picked sample). It becomes a position of
        its own, with a snapshot kept for good."""
        if self.trainer.history is not self._history:
            self.restart()
            return
        self._branch()
        self._curve.sync(self._history)
        self._marks.append(self._mark(EDIT, note))
        self._position += 1
        self._in_sync = True
        self._store(self._position, pinned=True)
        self._thin()

    def perform(self, action: str) -> object:
        """Take ``action`` on the trainer and record it; returns what the phase returns.
        A :class:`DivergenceError` is recorded and raised again; a refused phase
        (:class:`PhaseError`) changes nothing and is not recorded."""
        action = _check_action(action)
        try:
            result = self._run(action)
        except DivergenceError:
            self.record(action)
            raise
        self.record(action)
        return result

    # -- moving ----------------------------------------------------------------------

    def back(self) -> bool:
        """Go one phase back; False at the start."""
        if self._position == 0:
            return False
        self.seek(self._position - 1)
        return True

    def forward_again(self) -> bool:
        """Redo the next recorded phase; False at the newest."""
        if self._position >= self.length:
            return False
        self.seek(self._position + 1)
        return True

    def seek(self, position: int) -> None:
        """Put the trainer exactly where it was at ``position`` (the slider)."""
        target = self._check_position(position)
        if target == self._position and self._in_step():
            return
        start = self._replay_start(target)
        in_step = self._in_step()
        if not (start <= self._position <= target and in_step):
            # The trainer's loss curve is trusted as far as its position's, if it is still
            # where the timeline left it, else only as far as the start's.
            mark = self._marks[self._position if in_step else 0]
            self._restore(self._points[start], (mark.step, mark.epoch))
            self._position = start
        self._in_sync = False
        while self._position < target:
            mark = self._marks[self._position + 1]
            try:
                self._run(mark.action)
            except DivergenceError:
                pass  # it diverged the first time too, at the same place
            except Exception as error:
                raise TimelineError(
                    f"replaying {self.label(self._position + 1)!r} failed: {error}"
                ) from error
            self._position += 1
        self._in_sync = True
        if not self._in_step():
            self._in_sync = False
            raise TimelineError(
                f"replaying to {self.label(target)!r} did not reproduce the recorded state: "
                "a phase or an edit was not recorded"
            )

    # -- internals -------------------------------------------------------------------

    def _check_position(self, position: int) -> int:
        position = int(position)
        if not 0 <= position <= self.length:
            raise IndexError(f"position {position} is outside 0 … {self.length}")
        return position

    def _mark(self, action: str, note: str = "") -> _Mark:
        t = self.trainer
        layer = 0
        if t.trace is not None:
            if action == "forward_layer":
                layer = t.trace.forward_done
            elif action == "backward_layer":
                layer = t.network.depth - t.trace.backward_done + 1
        return _Mark(action, note, t.step_count, t.epoch, t.phase, layer, t.batch_index)

    def _describe(self, mark: _Mark, steps: int) -> str:
        action = mark.action
        if action == "forward_layer":
            return f"forward layer {mark.layer}"
        if action == "backward_layer":
            return f"backward layer {mark.layer}"
        if action == "epoch":
            return f"epoch {mark.epoch}"
        if action.startswith(STEPS_PREFIX):  # as many as ran (early stopping may cut it)
            return f"run {steps} step{'s' if steps != 1 else ''}"
        if action == EDIT:
            return mark.note or EDIT
        return action

    def _in_step(self) -> bool:
        """Whether the trainer still stands where the timeline's position says (a cheap
        check of the counters and the phase)."""
        if not self._in_sync:
            return False
        mark = self._marks[self._position]
        t = self.trainer
        return (
            t.history is self._history
            and t.step_count == mark.step
            and t.epoch == mark.epoch
            and t.phase is mark.phase
            and t.batch_index == mark.batch
        )

    def _run(self, action: str) -> object:
        if action.startswith(STEPS_PREFIX):
            return self.trainer.run_steps(int(action[len(STEPS_PREFIX) :]))
        if action in PHASES:
            return PHASES[action](self.trainer)
        # An edit always has its own snapshot, which is where a replay starts.
        raise TimelineError(f"cannot replay {action!r}")

    def _branch(self) -> None:
        """Taking a phase before the end: drop the future (and its snapshots)."""
        if self._position >= self.length:
            return
        del self._marks[self._position + 1 :]
        mark = self._marks[self._position]
        self._curve.cut(mark.step, mark.epoch)
        cut = bisect.bisect_right(self._positions, self._position)
        for p in self._positions[cut:]:
            self._bytes -= self._points.pop(p).nbytes
        del self._positions[cut:]
        self.branch_count += 1

    def _store(self, position: int, pinned: bool) -> None:
        t = self.trainer
        trace = t.trace
        keep = (
            pinned
            or trace is None
            or t.phase not in _BETWEEN_STEPS
            or self.keep_traces is True
            or (self.keep_traces is None and _trace_nbytes(t) <= t.network.flat.nbytes)
        )
        if keep:
            snapshot = t.snapshot()
        else:
            t.trace = None  # not needed to go on; spares copying a large batch's pass
            try:
                snapshot = t.snapshot()
            finally:
                t.trace = trace
        point = _Point(
            snapshot=snapshot,
            training=t.training,
            loss=t.network.loss.name,
            divergence=t.divergence,
            complete=keep,
            pinned=pinned,
            nbytes=_nbytes(snapshot, set()),
        )
        old = self._points.get(position)
        if old is not None:
            self._bytes -= old.nbytes
        else:
            bisect.insort(self._positions, position)
        self._points[position] = point
        self._bytes += point.nbytes

    def _replay_start(self, target: int) -> int:
        """The nearest snapshot at or before ``target`` (before it, if the one at it lacks
        the pass that position shows)."""
        n = bisect.bisect_right(self._positions, target) - 1
        start = self._positions[n]
        if start == target and not self._points[start].complete and n > 0:
            start = self._positions[n - 1]
        return start

    def _restore(self, point: _Point, valid: tuple[int, int]) -> None:
        t = self.trainer
        if t.history is not self._history:
            t.history = self._history  # reset behind the timeline's back: take it back
        snap = point.snapshot
        self._curve.fill(t.history, valid, (snap.step, snap.epoch))
        if t.training != point.training or t.network.loss.name != point.loss:
            t.training = point.training
            if t.network.loss.name != point.loss:
                t.set_loss(point.loss)
            t.data_changed()  # forget batches cut for another batch size
        t.restore(point.snapshot)
        t.divergence = point.divergence

    def _over(self) -> bool:
        if len(self._positions) > self.max_snapshots:
            return True
        return (
            self.max_bytes is not None and self._bytes > self.max_bytes and len(self._positions) > 2
        )

    def _thin(self) -> None:
        """Drop snapshots until within the bounds, always the one whose gap, merged with
        its neighbour's, is smallest for its age: the spacing then grows with the distance
        from the newest phase (about doubling every few snapshots), so stepping back near
        the end stays cheap and old history is still reachable."""
        while self._over():
            positions = self._positions
            newest = positions[-1]
            best, cost = 0, 0.0
            for n in range(1, len(positions) - 1):
                p = positions[n]
                if self._points[p].pinned:
                    continue
                merged = (positions[n + 1] - positions[n - 1]) / (newest - p + self.keep_every)
                if best == 0 or merged < cost:
                    best, cost = n, merged
            if best == 0:
                self._forget_before(positions[1])
                continue
            self._bytes -= self._points.pop(positions[best]).nbytes
            del positions[best]

    def _forget_before(self, position: int) -> None:
        """Every snapshot is an edit's: the timeline now starts at ``position``."""
        del self._marks[:position]
        self._bytes -= self._points.pop(self._positions[0]).nbytes
        self._points = {p - position: point for p, point in self._points.items()}
        self._positions = [p - position for p in self._positions[1:]]
        self._position -= position

    def __repr__(self) -> str:
        return (
            f"Timeline(position={self._position}, length={self.length}, "
            f"snapshots={self.snapshot_count}, bytes={self._bytes})"
        )
