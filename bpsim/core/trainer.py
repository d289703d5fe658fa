"""Training as explicit phases the window can drive one at a time.

A step is three phases on one batch: :meth:`Trainer.forward` (net inputs, activations,
loss), :meth:`Trainer.backward` (every delta and gradient; no parameter changes) and
:meth:`Trainer.update` (the optimizer changes the parameters). Forward and backward can
also advance one layer at a time. :meth:`Trainer.step` finishes the current step; Run,
Epoch and ``bpsim train`` use the lean loop (:meth:`Trainer.run_steps`, ``run_epoch``,
``run_epochs``), which gives the phases' results bit for bit.

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
from bpsim.core.network import BLAS_THREADS, Network, Trace, copy_trace, widest_layer_pair
from bpsim.core.optimizers import all_finite
from bpsim.core.scalar_run import block_kernel, run_block
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


#: Steps the Run loop takes between two checks that everything is finite, and the most
#: output values (8 MB) it keeps aside for the block's losses.
BLOCK_STEPS, BLOCK_ROWS = 128, 1 << 20


def _quiet_floats(method: Callable[..., T]) -> Callable[..., T]:
    """Overflow on the way to divergence is expected and reported as a Divergence, not as
    NumPy warnings. Also sets the BLAS thread count for this network."""

    @functools.wraps(method)
    def wrapper(self: Trainer, *args: Any, **kwargs: Any) -> T:
        BLAS_THREADS.use_for(self.batch_size * self._widest_layer_pair)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            return method(self, *args, **kwargs)

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
    optimizer: tuple[bool, object]  # OptimizerRunner.snapshot()
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


#: What a Run block rewinds: parameters, last update, optimizer snapshot, counters (see
#: Trainer._COUNTERS) and the history (copied when the block may compact it). Less than
#: a Snapshot: the replay after a rewind recomputes the pass on screen.
_BlockStart = tuple[np.ndarray, np.ndarray, object, tuple[Any, ...], History | None]


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
        self._widest_layer_pair = widest_layer_pair(self.network.sizes)  # for BLAS threads
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
        self._batch_cache_key: tuple[int, int | None] | None = None
        self._rows_as_floats: tuple[list[Any], list[Any]] | None = None  # scalar_run's
        self.trace: Trace | None = None
        self.phase = Phase.READY
        self.override: np.ndarray | None = None  # a batch the user picked for the next step
        self.divergence: Divergence | None = None
        self._reset_counters()
        self._block_outputs: list[np.ndarray] = []  # the Run loop's buffers (see _lean_block)
        self._new_parameters = np.zeros(self.network.flat.shape)  # see _apply_update
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
        training = self.training  # (the raw batch size: the property costs a µs a call)
        key = (self.epoch if training.shuffle else -1, training.batch_size)
        if self._batch_cache_key != key:
            order = self.epoch_order(self.epoch)
            size = self.batch_size
            self._batch_cache = [order[i : i + size] for i in range(0, len(order), size)]
            # Consecutive rows are read in place, not copied (all batches found at once).
            steps = np.concatenate([[0], np.cumsum(np.diff(order) == 1)])
            first = np.arange(0, len(order), size)
            last = np.minimum(first + size, len(order)) - 1
            self._batch_slices = {
                id(self._batch_cache[b]): slice(int(order[first[b]]), int(order[last[b]]) + 1)
                for b in np.flatnonzero(steps[last] - steps[first] == last - first).tolist()
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
                trace.a[0] = self.inputs.take(rows, axis=0)  # (np.take's wrapper: 1 µs)
                trace.targets = self.targets.take(rows, axis=0)
            trace.indices = rows
        trace.forward_done = trace.backward_done = 0
        return trace

    def data_changed(self) -> None:
        """The data set's values were edited: forget every cached batch."""
        self._traces.clear()
        self._batch_cache_key, self._rows_as_floats = None, None
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
        """The checked update (phases, and the replay of a Run block): a step that would
        leave a NaN or infinity anywhere in the state (a parameter, the optimizer's state,
        the epoch's summed loss, the validation loss) changes nothing and raises
        :class:`DivergenceError`. The arithmetic is the Run loop's exactly."""
        trace = self.trace
        assert trace is not None
        net = self.network
        runner = self.optimizer
        runner.propose(net, trace, self.flat_update, self.last_update)
        flat = net.flat
        after = self._new_parameters  # flat + Δ: checked before it is taken
        if after.shape != flat.shape:
            after = self._new_parameters = np.zeros(flat.shape)
        np.add(flat, self.flat_update, out=after)
        if not all_finite(after):
            self._reject_update(after)
        bad_state = runner.nonfinite_state(pending=True)
        if bad_state is not None:
            self._refuse_step(f"the optimizer state ({bad_state})", math.inf)
        val_loss: float | None = None
        if self.override is None:
            summed = self.epoch_loss_sum + trace.loss * trace.batch_size
            if not math.isfinite(summed):
                self._refuse_step("the epoch's summed training loss", summed)
            if self.batch_index + 1 >= len(self._batches()) and len(self.val_idx):
                old = flat.copy()
                np.copyto(flat, after)  # the validation loss of the new parameters
                val_loss = self._validation_loss()
                if not math.isfinite(val_loss):
                    np.copyto(flat, old)
                    self._refuse_step("the validation loss", val_loss)
        np.copyto(flat, after)
        runner.commit()
        self.divergence = None
        self._finish_step(trace, val_loss)

    def _validation_loss(self) -> float:
        val = self.val_idx
        return self.network.loss_on(self.inputs[val], self.targets[val]) if len(val) else math.nan

    def _refuse_step(self, where: str, value: float) -> None:
        self.flat_update.fill(0.0)  # the update computed something not finite: not taken
        self._diverged(where, value)

    def _reject_update(self, new: np.ndarray) -> None:
        bad = np.flatnonzero(~np.isfinite(new) | ~np.isfinite(self.flat_update))
        where = "a parameter"
        if bad.size:
            n, index = self.network.layout.index_of(int(bad[0]))
            where = self._array_entry_name(n, index)
        self.flat_update.fill(0.0)
        self._diverged(where, math.nan)

    def _finish_step(self, trace: Trace, val_loss: float | None = None) -> None:
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
            self._finish_epoch(val_loss)

    def _finish_epoch(self, val_loss: float | None = None) -> None:
        train_loss = self.epoch_loss_sum / max(self.epoch_samples, 1)
        if val_loss is None:
            val_loss = self._validation_loss()
        self.epoch += 1
        self.history.add_epoch(self.epoch, train_loss, val_loss)
        self.batch_index = 0
        self.epoch_loss_sum = 0.0
        self.epoch_samples = 0
        self._watch(train_loss, val_loss)

    def _watch(self, train_loss: float, val_loss: float) -> None:
        """Early stopping, after epoch ``self.epoch``: the validation loss is watched when
        there is a validation set, else the training loss."""
        patience = self.training.patience
        if patience is None:
            return
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
        """Finish the current step, then step until the current epoch is complete (the
        Run loop's steps: see :meth:`run_steps`)."""
        epoch = self.epoch
        if self.phase not in (Phase.READY, Phase.UPDATED) or self.override is not None:
            self.step()
        if self.epoch == epoch:
            self._run_steps(self.batches_per_epoch - self.batch_index)

    @_quiet_floats
    def run_steps(self, count: int) -> int:
        """Run up to ``count`` whole steps, fast (Run, Epoch, ``bpsim train``); returns
        how many ran (fewer at early stopping). Finishes a step begun phase by phase
        first. Bit for bit what stepping phase by phase gives, history included; a
        non-finite value raises :class:`DivergenceError` where the phases would, at the
        last entirely finite state. Any ``count`` per time slice is fine."""
        return self._run_steps(count)

    def _run_steps(self, count: int) -> int:
        done = 0
        if count <= 0:
            return 0
        if self.phase not in (Phase.READY, Phase.UPDATED) or self.override is not None:
            self.step()
            done = 1
        while done < count and self.stopped is None:
            # The outputs a block keeps aside stay under BLOCK_ROWS numbers.
            rows = self.batch_size * self.network.sizes[-1]
            block = min(count - done, BLOCK_STEPS, BLOCK_ROWS // max(rows, 1))
            if block < 4:  # a snapshot would cost more than checking each step
                self._checked_step()
                done += 1
                continue
            start = self._block_start(block)
            ran, finite = self._lean_block(block)
            if not finite:
                self._rewind(start)
                for _ in range(ran):  # raises where the checked step refuses
                    self._checked_step()
            done += ran
        return done

    #: what a Run block rewinds besides the parameters, the optimizer and the history
    _COUNTERS: tuple[str, ...] = ("epoch", "step_count", "batch_index", "epoch_loss_sum")
    _COUNTERS += ("epoch_samples", "best_val", "bad_epochs", "stopped", "phase")

    def _block_start(self, block: int) -> _BlockStart:
        compacts = self.history.room() <= block
        return (
            self.network.flat.copy(),
            self.flat_update.copy(),
            self.optimizer.snapshot(),
            tuple(getattr(self, name) for name in self._COUNTERS),
            self.history.copy() if compacts else None,
        )

    def _rewind(self, start: _BlockStart) -> None:
        flat, update, optimizer, counters, history = start
        np.copyto(self.network.flat, flat)
        np.copyto(self.flat_update, update)
        self.optimizer.restore(optimizer)  # type: ignore[arg-type]
        for name, value in zip(self._COUNTERS, counters, strict=True):
            setattr(self, name, value)
        if history is not None:
            self.history = history
        else:
            self.history.truncate_to(self.step_count, self.epoch)
        self.divergence = None

    @_quiet_floats
    def run_epochs(self, count: int) -> int:
        """:meth:`run_epoch` ``count`` times, in one Run loop (a whole ``bpsim train`` in
        one call, or as many epochs as fit between two progress lines): the same bits,
        without a call per epoch. Stops early at early stopping; returns the epochs
        completed."""
        start = self.epoch
        if count <= 0:
            return 0
        if self.phase not in (Phase.READY, Phase.UPDATED) or self.override is not None:
            self.step()
        left = count - (self.epoch - start)
        if left > 0:
            self._run_steps(left * self.batches_per_epoch - self.batch_index)
        return self.epoch - start

    def _checked_step(self) -> None:
        """One whole step checked as the phases check it, without their bookkeeping."""
        net = self.network
        depth = net.depth
        trace = self._trace_for(self._batches()[self.batch_index])
        self.trace = trace
        for k in range(1, depth + 1):
            net.forward_layer(trace, k)
        if not math.isfinite(trace.loss):
            self.phase = Phase.FORWARDED
            self._diverged("the loss", trace.loss)
        for k in range(depth, 0, -1):
            net.backward_layer(trace, k)
        self.phase = Phase.BACKWARDED
        self._apply_update()

    def _lean_block(self, count: int) -> tuple[int, bool]:
        """Up to ``count`` steps, unchecked; returns (steps run, all finite). The phases'
        arithmetic exactly (SGD on a tiny network: scalar_run.py), minus what only the
        window shows: losses per block from the outputs kept aside (row by row), gradients
        divided by the batch size once, optimizer state updated in place. One check at the
        end covers parameters, optimizer state, losses, sums and validation losses (a NaN
        never becomes finite: p + Δ keeps it); on one the caller rewinds and replays."""
        net = self.network
        depth = net.depth
        forward_layer, backward_layer = net.forward_layer, net.backward_layer
        propose = self.optimizer.propose
        flat, delta, deltas = net.flat, self.flat_update, self.last_update
        loss = net.loss
        keep_z = loss.name == "cross_entropy"  # the only loss that reads z
        shape = (count * self.batch_size, net.sizes[-1])
        buffers = self._block_outputs
        if not buffers or buffers[0].shape[0] < shape[0] or buffers[0].shape[1] != shape[1]:
            buffers = self._block_outputs = [np.zeros(shape), np.zeros((0, shape[1]))]
        if keep_z and buffers[1].shape != buffers[0].shape:
            buffers[1] = np.zeros(buffers[0].shape)
        outputs, nets = buffers
        batches = self._batches()
        last_batch = len(batches)
        sizes: list[int] = []
        rows: list[np.ndarray] = []
        ends: list[tuple[int, float]] = []  # epochs ended: (steps kept aside, validation loss)
        # Early stopping on the training loss needs it at once; otherwise an epoch's
        # training loss waits for the block's losses like the steps' do.
        defer = self.training.patience is None or len(self.val_idx) > 0
        position = 0
        finite = True
        trace: Trace | None = None
        ran = 0
        if count > 1 and (kernel := block_kernel(self)):  # the last step fills the trace
            ran = position = run_block(self, kernel, count - 1, outputs, sizes, rows, ends)
            batches, last_batch = self._batches(), len(self._batches())
        while ran < count and self.stopped is None:
            trace = self._trace_for(batches[self.batch_index])
            for k in range(1, depth + 1):
                forward_layer(trace, k, True)
            n = trace.indices.shape[0]
            outputs[position : position + n] = trace.a[depth]
            if keep_z:
                nets[position : position + n] = trace.z[depth]
            position += n
            sizes.append(n)
            rows.append(trace.indices)
            for k in range(depth, 0, -1):
                backward_layer(trace, k, True)
            if n != 1:
                trace.flat_grads /= n
            propose(net, trace, delta, deltas, True)
            flat += delta
            self.step_count += 1
            self.batch_index += 1
            ran += 1
            if self.batch_index >= last_batch:
                if defer:
                    val_loss = self._validation_loss()
                    finite &= not len(self.val_idx) or math.isfinite(val_loss)
                    self.epoch += 1
                    self.batch_index = 0
                    ends.append((len(sizes), val_loss))
                    self._watch(math.nan, val_loss)
                else:
                    finite &= self._flush_losses(trace, sizes, rows, position, ends)
                    sizes, rows, position = [], [], 0
                    self._finish_epoch()
                batches = self._batches()
                last_batch = len(batches)
        if trace is None:
            return 0, True
        if sizes:
            finite &= self._flush_losses(trace, sizes, rows, position, ends)
        # What the Inspector shows of the last pass and the loop skipped: ∂L/∂o, f'(z).
        loss.gradient(trace.a[depth], trace.targets, trace.grad_a[depth])
        output = net.activations[depth]
        assert output is not None
        output.derivative(trace.z[depth], trace.a[depth], trace.fprime[depth])
        self.trace = trace
        self.phase = Phase.UPDATED
        self.divergence = None
        finite = finite and all_finite(flat) and self.optimizer.nonfinite_state() is None
        return ran, finite

    def _flush_losses(
        self,
        trace: Trace,
        sizes: list[int],
        rows: list[np.ndarray],
        count: int,
        ends: list[tuple[int, float]],
    ) -> bool:
        """The kept-aside steps' losses (``sizes`` rows each; the last is ``trace``'s)
        into the history and the epochs' sums, exactly as each step would, closing the
        epochs that ended on the way (``ends``: after how many steps, validation loss).
        Returns whether every sum stayed finite (so every loss was)."""
        loss = self.network.loss
        outputs, nets = self._block_outputs
        targets = self.targets.take(np.concatenate(rows), axis=0)
        z = nets[:count]  # (only cross-entropy reads it, so only it fills it)
        samples = loss.per_sample(outputs[:count], targets, z)  # row by row
        n = sizes[0]
        if all(size == n for size in sizes):
            means = np.add.reduce(samples.reshape(len(sizes), n), axis=1) / n
        else:  # an uneven last batch: batch by batch, as each step would
            parts = np.split(samples, np.cumsum(sizes)[:-1])
            means = np.array([float(np.add.reduce(part)) / len(part) for part in parts])
        first = self.step_count - len(sizes) + 1
        self.history.step_loss.extend(np.arange(first, self.step_count + 1), means)
        total, seen = self.epoch_loss_sum, self.epoch_samples
        finite = True
        epoch = self.epoch - len(ends)
        marks = iter(ends)
        end, val_loss = next(marks, (-1, math.nan))
        for i, (mean, size) in enumerate(zip(means.tolist(), sizes, strict=True), start=1):
            total += mean * size
            seen += size
            if i == end:  # as _finish_epoch does
                finite &= math.isfinite(total)
                epoch += 1
                self.history.add_epoch(epoch, total / max(seen, 1), val_loss)
                total, seen = 0.0, 0
                end, val_loss = next(marks, (-1, math.nan))
        ends.clear()
        self.epoch_loss_sum, self.epoch_samples = total, seen
        trace.sample_losses = samples[count - sizes[-1] : count].copy()
        trace.loss = float(means[-1])
        return finite and math.isfinite(total)

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
        self.trace, self.phase = None, Phase.READY
        self.override = self.divergence = None
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
        self.best_val, self.bad_epochs = parsed.best_val, parsed.bad_epochs
        self.stopped = parsed.stopped

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
