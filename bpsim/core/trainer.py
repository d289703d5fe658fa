"""Training as explicit phases the window can drive one at a time.

A step is three phases on one batch: :meth:`Trainer.forward` (net inputs, activations,
loss), :meth:`Trainer.backward` (every delta and gradient; no parameter changes) and
:meth:`Trainer.update` (the optimizer changes the parameters). Forward and backward can
also advance one layer at a time. :meth:`Trainer.step` finishes the current step and
:meth:`Trainer.run_epoch` finishes the current epoch.

Which batch comes next is a pure function of (seed, epoch, position in the epoch), so a
saved lesson resumes bit-identically without storing any random-generator state.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, TypeVar

import numpy as np

from bpsim.core.flat import OptimizerRunner
from bpsim.core.history import History
from bpsim.core.initializers import initial_parameters
from bpsim.core.network import Network, Trace, copy_trace
from bpsim.core.spec import Lesson, OptimizerSpec, Parameters, TrainingSpec
from bpsim.core.state import parse_state

T = TypeVar("T")


class Phase(Enum):
    """Where the current step stands. ``READY``: the next forward starts a new batch."""

    READY = "ready"
    FORWARD = "forward"  # some layers computed
    FORWARDED = "forwarded"  # outputs and loss known
    BACKWARD = "backward"  # some layers' deltas computed
    BACKWARDED = "backwarded"  # every gradient known
    UPDATED = "updated"  # parameters changed; the trace shows the pass before the change


def _quiet_floats(method: Callable[..., T]) -> Callable[..., T]:
    """Overflow on the way to divergence is expected and reported as a Divergence, not as
    NumPy warnings."""

    @functools.wraps(method)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return method(*args, **kwargs)

    return wrapper


class PhaseError(RuntimeError):
    """A phase was asked for when it makes no sense (backward before forward)."""


@dataclass(frozen=True)
class Divergence:
    """Where a loss or a parameter stopped being a finite number."""

    epoch: int
    step: int
    where: str
    value: float
    #: When the loss overflowed with every parameter still finite: the one furthest
    #: from zero, the likeliest culprit ('weights[0][1][0] (x2 → y1) = -3.2e+153').
    largest: str = ""

    def message(self) -> str:
        culprit = f" (largest parameter: {self.largest})" if self.largest else ""
        return (
            f"training diverged at epoch {self.epoch + 1}, step {self.step + 1}: {self.where} "
            f"became {self.value}{culprit}. The last finite state is kept; "
            "try a smaller learning rate."
        )


class DivergenceError(RuntimeError):
    def __init__(self, divergence: Divergence) -> None:
        super().__init__(divergence.message())
        self.divergence = divergence


@dataclass
class Snapshot:
    """Everything needed to put the trainer back exactly where it was. The history is
    truncated on restore, not copied, so a snapshot costs a copy of the parameters, the
    optimizer state and the current pass."""

    parameters: Parameters
    optimizer: object
    optimizer_spec: OptimizerSpec
    last_update: list[np.ndarray]
    epoch: int
    step: int
    batch_index: int
    phase: Phase
    trace: Trace | None
    override: np.ndarray | None
    epoch_loss_sum: float
    epoch_samples: int
    best_val: float
    bad_epochs: int
    stopped: str | None


def split_indices(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation rows: ⌊fraction·n⌋ samples drawn by ``seed`` are held out."""
    n_val = min(math.floor(fraction * n), n - 1)
    if n_val <= 0:
        return np.arange(n), np.zeros(0, dtype=np.int64)
    perm = np.random.Generator(np.random.PCG64(seed)).permutation(n)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


class Trainer:
    """One lesson being trained: network, optimizer, data order, counters and history."""

    def __init__(self, lesson: Lesson) -> None:
        self.lesson = lesson
        self.inputs = np.asarray(lesson.dataset.inputs, dtype=np.float64)
        self.targets = np.asarray(lesson.dataset.targets, dtype=np.float64)
        start = lesson.parameters or initial_parameters(lesson.layers, lesson.init)
        self.initial = start.copy()
        self.network = Network(lesson.layers, start, lesson.loss)
        self.training = lesson.training
        self.train_idx, self.val_idx = split_indices(
            len(self.inputs), self.training.validation_fraction, self.training.seed
        )
        self.optimizer_spec = OptimizerSpec(lesson.optimizer.name, dict(lesson.optimizer.hyper))
        self._new_optimizer()
        self.history = History()
        self._traces: dict[int, Trace] = {}
        self._batch_cache: list[np.ndarray] = []
        self._batch_slices: dict[int, slice] = {}
        self._batch_cache_key: tuple[int, int] | None = None
        self.trace: Trace | None = None
        self.phase = Phase.READY
        self.override: np.ndarray | None = None  # a batch the user picked for the next step
        self.divergence: Divergence | None = None
        self._reset_counters()
        if lesson.state:
            self.load_state(lesson.state)

    # -- set-up ----------------------------------------------------------------------

    def _new_optimizer(self) -> None:
        layout = self.network.layout
        self.optimizer = OptimizerRunner(
            self.optimizer_spec, layout, self.network.trainable_flags()
        )
        self.flat_update, self.last_update = layout.new()  # Δ of the last update

    def _reset_counters(self) -> None:
        self.epoch = 0  # completed epochs
        self.step_count = 0  # completed steps (updates)
        self.batch_index = 0  # next batch within the current epoch
        self.epoch_loss_sum = 0.0
        self.epoch_samples = 0
        self.best_val = math.inf
        self.bad_epochs = 0
        self.stopped: str | None = None  # why early stopping ended training

    # -- the data order --------------------------------------------------------------

    @property
    def batch_size(self) -> int:
        n = len(self.train_idx)
        size = self.training.batch_size
        return n if size is None else min(size, n)

    @property
    def batches_per_epoch(self) -> int:
        return -(-len(self.train_idx) // self.batch_size)

    def epoch_order(self, epoch: int) -> np.ndarray:
        """The training rows in the order epoch ``epoch`` visits them."""
        if not self.training.shuffle:
            return self.train_idx
        rng = np.random.Generator(np.random.PCG64([self.training.seed, epoch]))
        return self.train_idx[rng.permutation(len(self.train_idx))]

    def _batches(self) -> list[np.ndarray]:
        """The current epoch's batches, computed once per epoch (once for good when the
        order never changes), so a step does not redo the shuffle or the slicing."""
        key = (self.epoch if self.training.shuffle else -1, self.batch_size)
        if self._batch_cache_key != key:
            order = self.epoch_order(self.epoch)
            size = self.batch_size
            self._batch_cache = [order[i : i + size] for i in range(0, len(order), size)]
            # Consecutive rows can be read in place instead of copied into the trace.
            self._batch_slices = {
                id(rows): slice(int(rows[0]), int(rows[-1]) + 1)
                for rows in self._batch_cache
                if len(rows)
                and int(rows[-1]) - int(rows[0]) == len(rows) - 1
                and np.all(np.diff(rows) == 1)
            }
            self._batch_cache_key = key
        return self._batch_cache

    def next_batch(self) -> np.ndarray:
        """The rows the next forward pass will use."""
        if self.override is not None:
            return self.override
        return self._batches()[self.batch_index]

    def select_samples(self, rows: list[int] | np.ndarray | None) -> None:
        """Make the next step use these rows of the data set (None: back to the epoch order).

        Such a step counts as a step but does not move the epoch along.
        """
        if rows is None:
            self.override = None
        else:
            picked = np.asarray(rows, dtype=np.int64).ravel()
            if picked.size == 0 or picked.min() < 0 or picked.max() >= len(self.inputs):
                raise ValueError(f"sample rows must be between 1 and {len(self.inputs)}")
            self.override = picked
        if self.phase in (Phase.READY, Phase.UPDATED):
            return
        self._invalidate()

    # -- phases ----------------------------------------------------------------------

    def _trace_for(self, rows: np.ndarray) -> Trace:
        trace = self._traces.get(len(rows))
        if trace is None:
            trace = self.network.new_trace(self.inputs[rows], self.targets[rows], rows)
            self._traces[len(rows)] = trace
        elif trace.indices is not rows:  # the same cached batch needs no new inputs
            span = self._batch_slices.get(id(rows))
            if span is not None and self._batch_cache_key is not None:
                trace.a[0] = self.inputs[span]  # views: the trace only reads them
                trace.targets = self.targets[span]
            else:
                trace.a[0] = np.take(self.inputs, rows, axis=0)
                trace.targets = np.take(self.targets, rows, axis=0)
            trace.indices = rows
        trace.forward_done = trace.backward_done = 0
        return trace

    def data_changed(self) -> None:
        """The data set's values were edited: forget every cached batch."""
        self._traces.clear()
        self._batch_cache_key = None
        self.trace = None
        self.phase = Phase.READY

    def release_caches(self) -> None:
        """Drop cached batches and buffers but the pass on screen (a trainer kept aside,
        e.g. on the undo stack, holds only what it needs to come back exactly)."""
        trace = self.trace
        self._traces = {} if trace is None else {trace.batch_size: trace}
        self._batch_cache, self._batch_slices, self._batch_cache_key = [], {}, None

    def _begin_pass(self) -> Trace:
        """Start (or restart) the forward pass of the current step."""
        if self.phase in (Phase.READY, Phase.UPDATED) or self.trace is None:
            self.trace = self._trace_for(self.next_batch())
        self.trace.forward_done = self.trace.backward_done = 0
        return self.trace

    @_quiet_floats
    def forward_layer(self) -> int:
        """Compute the next layer's net inputs and activations (and, at the output, the
        loss). Starts the next batch when the last step is done. Returns the layer."""
        trace = self.trace
        if self.phase not in (Phase.FORWARD,) or trace is None:
            trace = self._begin_pass()
        k = trace.forward_done + 1
        self.network.forward_layer(trace, k)
        if k < self.network.depth:
            self.phase = Phase.FORWARD
            return k
        self.phase = Phase.FORWARDED
        if not math.isfinite(trace.loss):
            self._diverged("the loss", trace.loss)
        return k

    @_quiet_floats
    def forward(self) -> float:
        """The forward pass of the current step (the rest of it, if begun layer by layer).

        Changes only the trace: z, a and the loss. A forward after a finished forward or
        backward recomputes the same batch; after an update it takes the next batch.
        """
        if self.phase in (Phase.FORWARDED, Phase.BACKWARD, Phase.BACKWARDED):
            self._begin_pass()
            self.phase = Phase.FORWARD
        while True:
            k = self.forward_layer()
            if k == self.network.depth:
                assert self.trace is not None
                return self.trace.loss

    def can_backward(self) -> bool:
        return self.phase in (Phase.FORWARDED, Phase.BACKWARD)

    @_quiet_floats
    def backward_layer(self) -> int:
        """Compute the next layer's deltas and incoming gradients, from the output back.
        Changes only the trace. Returns the layer."""
        if not self.can_backward():
            raise PhaseError("backward needs a finished forward pass first")
        trace = self.trace
        assert trace is not None
        k = self.network.depth - trace.backward_done
        self.network.backward_layer(trace, k)
        self.phase = Phase.BACKWARDED if k == 1 else Phase.BACKWARD
        return k

    @_quiet_floats
    def backward(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The (rest of the) backward pass: every delta and gradient; no parameter changes.
        Returns the weight and bias gradients, shaped like the parameters."""
        while self.phase is not Phase.BACKWARDED:
            self.backward_layer()
        assert self.trace is not None
        return self.trace.weight_grads, self.trace.bias_grads

    def can_update(self) -> bool:
        return self.phase is Phase.BACKWARDED

    def gradients(self) -> list[np.ndarray]:
        """The last backward pass's gradients in parameter-array order (W0, b0, W1, …)."""
        assert self.trace is not None
        return self.trace.gradient_arrays()

    @_quiet_floats
    def update(self) -> None:
        """Apply the optimizer: every trainable parameter moves by its Δ (kept in
        ``last_update``), the optimizer state advances, and the step is counted. A Δ that
        is not finite changes nothing and raises :class:`DivergenceError`."""
        if not self.can_update():
            raise PhaseError("update needs a finished backward pass first")
        self._apply_update()

    def _apply_update(self) -> None:
        trace = self.trace
        assert trace is not None
        net = self.network
        self.optimizer.propose(net, trace, self.flat_update, self.last_update)
        # The sum of Δ is finite when every Δ is (NaN and ±inf survive a sum): one pass
        # checks the whole update before it is applied. (np.add.reduce rather than a BLAS
        # dot product: BLAS threads stall for milliseconds on a busy two-core machine.)
        delta = self.flat_update
        if not math.isfinite(float(np.add.reduce(delta))):
            self._reject_update(net.flat + delta)
        net.flat += delta
        self.optimizer.commit()
        self.divergence = None
        self._finish_step(trace)

    def _reject_update(self, new: np.ndarray) -> None:
        bad = np.flatnonzero(~np.isfinite(new) | ~np.isfinite(self.flat_update))
        where = "a parameter"
        if bad.size:
            n, index = self.network.layout.index_of(int(bad[0]))
            where = self._array_entry_name(n, index)
        self.flat_update.fill(0.0)
        self._diverged(where, math.nan)

    def _finish_step(self, trace: Trace) -> None:
        self.phase = Phase.UPDATED
        self.step_count += 1
        self.history.add_step(self.step_count, trace.loss)
        if self.override is not None:
            self.override = None
            return
        self.epoch_loss_sum += trace.loss * trace.batch_size
        self.epoch_samples += trace.batch_size
        self.batch_index += 1
        if self.batch_index >= len(self._batches()):
            self._finish_epoch()

    def _finish_epoch(self) -> None:
        train_loss = self.epoch_loss_sum / max(self.epoch_samples, 1)
        val_loss = (
            self.network.loss_on(self.inputs[self.val_idx], self.targets[self.val_idx])
            if len(self.val_idx)
            else math.nan
        )
        self.epoch += 1
        self.history.add_epoch(self.epoch, train_loss, val_loss)
        self.batch_index = 0
        self.epoch_loss_sum = 0.0
        self.epoch_samples = 0
        patience = self.training.patience
        if patience is not None:
            watched = val_loss if len(self.val_idx) else train_loss
            if watched < self.best_val:
                self.best_val = watched
                self.bad_epochs = 0
            else:
                self.bad_epochs += 1
                if self.bad_epochs >= patience:
                    which = "validation" if len(self.val_idx) else "training"
                    self.stopped = (
                        f"early stopping after epoch {self.epoch}: no better {which} loss "
                        f"for {patience} epoch{'s' if patience != 1 else ''}"
                    )

    @_quiet_floats
    def step(self) -> float:
        """Finish the current step: the phases still missing of forward, backward, update
        on the current batch (all three on the next batch when none is begun). Returns the
        step's loss (before its update)."""
        if self.phase in (Phase.READY, Phase.UPDATED, Phase.FORWARD):
            self.forward()
        if self.phase in (Phase.FORWARDED, Phase.BACKWARD):
            self.backward()
        assert self.trace is not None
        loss = self.trace.loss
        self.update()
        return loss

    @_quiet_floats
    def run_epoch(self) -> None:
        """Finish the current step, then step until the current epoch is complete."""
        epoch = self.epoch
        if self.phase not in (Phase.READY, Phase.UPDATED) or self.override is not None:
            self.step()
        if self.epoch == epoch:
            self.train_steps(self.batches_per_epoch - self.batch_index)

    @_quiet_floats
    def train_steps(self, count: int) -> int:
        """Run up to ``count`` whole steps (stopping early at early stopping); the loop
        the Run button and ``bpsim train`` use. Each step is exactly :meth:`step`'s maths,
        without the per-phase bookkeeping. Returns how many ran."""
        done = 0
        if count > 0 and (
            self.phase not in (Phase.READY, Phase.UPDATED) or self.override is not None
        ):
            self.step()
            done = 1
        net = self.network
        depth = net.depth
        forward_layer, backward_layer = net.forward_layer, net.backward_layer
        while done < count and self.stopped is None:
            trace = self._trace_for(self._batches()[self.batch_index])
            self.trace = trace
            for k in range(1, depth + 1):
                forward_layer(trace, k)
            if not math.isfinite(trace.loss):
                self.phase = Phase.FORWARDED
                self._diverged("the loss", trace.loss)
            for k in range(depth, 0, -1):
                backward_layer(trace, k)
            self.phase = Phase.BACKWARDED
            self._apply_update()
            done += 1
        return done

    # -- divergence ------------------------------------------------------------------

    def _array_entry_name(self, array_index: int, index: tuple[int, ...]) -> str:
        """Name one entry of parameter array ``array_index``: 'weights[1][0][0] (h1 → y1)'."""
        k, is_bias = divmod(array_index, 2)
        if is_bias:
            return f"biases[{k}][{index[0]}] ({self.network.bias_name(k, index[0])})"
        j, i = index
        return f"weights[{k}][{j}][{i}] ({self.network.weight_name(k, j, i)})"

    def _diverged(self, where: str, value: float) -> None:
        largest = ""
        flat = self.network.flat
        if where == "the loss" and flat.size:
            at = int(np.argmax(np.abs(flat)))
            n, index = self.network.layout.index_of(at)
            largest = f"{self._array_entry_name(n, index)} = {float(flat[at]):.4g}"
        self.divergence = Divergence(self.epoch, self.step_count, where, value, largest)
        raise DivergenceError(self.divergence)

    # -- editing ---------------------------------------------------------------------

    def _invalidate(self) -> None:
        """Parameters or settings changed: the current pass no longer holds."""
        if self.phase not in (Phase.READY, Phase.UPDATED):
            self.phase = Phase.READY

    def set_weight(self, k: int, j: int, i: int, value: float) -> None:
        """Set one weight (link from neuron i of layer k to neuron j of layer k+1)."""
        if not math.isfinite(value):
            raise ValueError("a weight must be a finite number")
        mask = self.network.masks[k]
        if mask is not None and mask[j, i] == 0:
            raise ValueError("this link is masked out; restore the link first")
        self.network.weights[k][j, i] = value
        self._invalidate()

    def set_bias(self, k: int, j: int, value: float) -> None:
        """Set one bias of layer k+1."""
        if not math.isfinite(value):
            raise ValueError("a bias must be a finite number")
        self.network.biases[k][j] = value
        self._invalidate()

    def set_parameters(self, parameters: Parameters) -> None:
        self.network.set_parameters(parameters)
        self._traces.clear()
        self._invalidate()

    def set_optimizer(self, spec: OptimizerSpec) -> None:
        """Change hyper-parameters (kept state) or the optimizer (fresh state), from the
        next update on."""
        if spec.name == self.optimizer_spec.name:
            self.optimizer.hyper.update(spec.hyper)
            self.optimizer_spec = OptimizerSpec(spec.name, dict(self.optimizer.hyper))
        else:
            self.optimizer_spec = OptimizerSpec(spec.name, dict(spec.hyper))
            self._new_optimizer()

    def set_learning_rate(self, value: float) -> None:
        if not (math.isfinite(value) and value > 0):
            raise ValueError("the learning rate must be a number above 0")
        self.set_optimizer(OptimizerSpec(self.optimizer_spec.name, {"learning_rate": value}))

    def set_loss(self, name: str) -> None:
        from bpsim.core.losses import get_loss

        self.network.loss = get_loss(name)
        self._invalidate()

    def set_batch_size(self, size: int | None) -> None:
        """Change the batch size from the next step on; the epoch restarts its batches."""
        if size is not None and size < 1:
            raise ValueError("the batch size must be at least 1")
        self.training = TrainingSpec(
            batch_size=size,
            shuffle=self.training.shuffle,
            seed=self.training.seed,
            validation_fraction=self.training.validation_fraction,
            patience=self.training.patience,
        )
        self.batch_index = 0
        self._invalidate()

    def reset(self) -> None:
        """Back to the starting parameters, a fresh optimizer and no history."""
        self.network.set_parameters(self.initial)
        self._new_optimizer()
        self.history = History()
        self.trace = None
        self.phase = Phase.READY
        self.override = None
        self.divergence = None
        self._reset_counters()

    # -- snapshots -------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        trace = self.trace
        return Snapshot(
            parameters=self.network.parameters(),
            optimizer=self.optimizer.snapshot(),
            optimizer_spec=OptimizerSpec(self.optimizer_spec.name, dict(self.optimizer.hyper)),
            last_update=[d.copy() for d in self.last_update],
            epoch=self.epoch,
            step=self.step_count,
            batch_index=self.batch_index,
            phase=self.phase,
            trace=copy_trace(trace) if trace else None,
            override=None if self.override is None else self.override.copy(),
            epoch_loss_sum=self.epoch_loss_sum,
            epoch_samples=self.epoch_samples,
            best_val=self.best_val,
            bad_epochs=self.bad_epochs,
            stopped=self.stopped,
        )

    def restore(self, snap: Snapshot) -> None:
        """Put everything back exactly as it was at ``snap``."""
        if snap.optimizer_spec.name != self.optimizer_spec.name:
            self.optimizer_spec = OptimizerSpec(
                snap.optimizer_spec.name, dict(snap.optimizer_spec.hyper)
            )
            self._new_optimizer()
        self.optimizer.restore(snap.optimizer)
        self.optimizer_spec = OptimizerSpec(snap.optimizer_spec.name, dict(self.optimizer.hyper))
        self.network.set_parameters(snap.parameters)
        for d, saved in zip(self.last_update, snap.last_update, strict=True):
            np.copyto(d, saved)  # into the views of flat_update
        self.epoch, self.step_count, self.batch_index = snap.epoch, snap.step, snap.batch_index
        self.override = None if snap.override is None else snap.override.copy()
        self.history.truncate_to(snap.step, snap.epoch)
        self.epoch_loss_sum, self.epoch_samples = snap.epoch_loss_sum, snap.epoch_samples
        self.best_val, self.bad_epochs, self.stopped = snap.best_val, snap.bad_epochs, snap.stopped
        self.divergence = None
        self.phase = snap.phase
        self.trace = copy_trace(snap.trace) if snap.trace else None
        if self.trace is not None:
            self._traces[self.trace.batch_size] = self.trace

    # -- files -----------------------------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        """The training state as the file's ``state`` object."""
        initial = self.initial
        return {
            "epoch": self.epoch,
            "step": self.step_count,
            "batch": self.batch_index,
            "epoch_loss_sum": self.epoch_loss_sum,
            "epoch_samples": self.epoch_samples,
            "early_stopping": {
                "best": None if math.isinf(self.best_val) else self.best_val,
                "bad_epochs": self.bad_epochs,
                "stopped": self.stopped,
            },
            "optimizer": self.optimizer.state_dict(),
            "history": self.history.to_dict(),
            "initial_parameters": {
                "weights": [w.tolist() for w in initial.weights],
                "biases": [b.tolist() for b in initial.biases],
            },
        }

    def load_state(self, state: dict[str, Any]) -> None:
        """Take over a saved training state; :class:`StateError` names what does not fit.
        Nothing changes when it fails."""
        parsed = parse_state(state, self)
        self.optimizer.load_state_dict(parsed.optimizer)
        self.history = parsed.history
        self.initial = parsed.initial
        self.epoch, self.step_count, self.batch_index = parsed.epoch, parsed.step, parsed.batch
        self.epoch_loss_sum, self.epoch_samples = parsed.epoch_loss_sum, parsed.epoch_samples
        self.best_val, self.bad_epochs, self.stopped = (
            parsed.best_val,
            parsed.bad_epochs,
            parsed.stopped,
        )

    def to_lesson(self, with_state: bool = True) -> Lesson:
        """The lesson as it stands now: current parameters, settings and (unless
        ``with_state`` is False) the training state."""
        base = self.lesson
        return Lesson(
            layers=base.layers,
            loss=self.network.loss.name,
            optimizer=OptimizerSpec(self.optimizer_spec.name, dict(self.optimizer.hyper)),
            dataset=base.dataset,
            name=base.name,
            description=base.description,
            parameters=self.network.parameters(),
            init=base.init,
            training=self.training,
            state=self.export_state() if with_state else None,
            view=base.view,
        )
