"""The Run loop's SGD steps on the scalar path (see :mod:`bpsim.core.scalar`).

A tiny network trained one sample at a time with SGD runs a block's steps in one call of
a generated block function: the parameters (and momentum buffers) stay Python floats for
the whole block and go back into their arrays once. The pass is the per-layer scalar
functions' exactly (the same generated lines) and the update is optimizers.SGD's
element-wise operations in the same order (IEEE gives the same bits for each), so
stepping phase by phase gives the same bits.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from bpsim.core.scalar import Kernel

if TYPE_CHECKING:
    from bpsim.core.trainer import Trainer


def block_kernel(trainer: Trainer) -> Kernel | None:
    """The kernel when a Run block may use it: batches of one sample, every parameter
    trained (only empty arrays frozen: layers without bias) by SGD whose momentum
    buffers, if any, have started, or by Adam without AMSGrad with one step count, and
    no epoch end that needs the parameters (no validation set) or the loss at once (no
    early stopping)."""
    optimizer = trainer.optimizer
    sizes = optimizer.layout.sizes
    if optimizer.name == "sgd":
        fits = float(optimizer.hyper["momentum"]) == 0.0 or optimizer.momentum_started()
    elif optimizer.name == "adam":
        trained = optimizer.trainable if not optimizer.flat_mode else [True]
        steps = {s for s, on in zip(optimizer.optimizer.steps(), trained, strict=True) if on}
        fits = not optimizer.hyper["amsgrad"] and len(steps) == 1
    else:
        fits = False
    if (
        not fits
        or not all(on or not size for on, size in zip(optimizer.trainable, sizes, strict=True))
        or len(trainer.val_idx)
        or trainer.training.patience is not None
        or trainer.batch_size != 1
    ):
        return None
    return trainer.network.scalar_kernel()


def run_block(
    trainer: Trainer,
    kernel: Kernel,
    steps: int,
    outputs: np.ndarray,
    sizes: list[int],
    rows: list[np.ndarray],
    ends: list[tuple[int, float]],
) -> int:
    """``steps`` whole steps with the counters moved as the Run loop moves them (epochs
    ended are listed in ``ends`` for the block's losses); the outputs go into
    ``outputs``. Returns ``steps``."""
    if trainer._rows_as_floats is None:  # (Trainer.data_changed forgets them)
        trainer._rows_as_floats = (trainer.inputs.tolist(), trainer.targets.tolist())
    inputs, targets = trainer._rows_as_floats
    xs: list[list[float]] = []
    ts: list[list[float]] = []
    batches = trainer._batches()
    last = len(batches)
    for _ in range(steps):
        batch = batches[trainer.batch_index]
        row = int(batch[0])
        xs.append(inputs[row])
        ts.append(targets[row])
        rows.append(batch)
        sizes.append(1)
        trainer.batch_index += 1
        if trainer.batch_index >= last:
            trainer.epoch += 1
            trainer.batch_index = 0
            ends.append((len(sizes), math.nan))
            batches = trainer._batches()
            last = len(batches)
    trainer.step_count += steps
    runner = trainer.optimizer
    if runner.name == "adam":
        _adam(trainer, kernel, xs, ts, outputs)
        runner.count_steps(steps)
        return steps
    hyper = runner.hyper
    decay, momentum = float(hyper["weight_decay"]), float(hyper["momentum"])
    keep = 1.0 - float(hyper["dampening"])
    mode = "none"
    if momentum != 0.0:
        mode = "nesterov" if hyper["nesterov"] else "momentum" if keep == 1.0 else "dampened"
    buffers = runner.buffers().get("momentum_buffer", [])
    momenta = _floats(buffers)
    found: list[float] = []
    flat = trainer.network.flat
    new, moved = kernel.sgd_block(decay != 0.0, mode)(
        flat.tolist(),
        momenta,
        xs,
        ts,
        -float(hyper["learning_rate"]),
        decay,
        momentum,
        keep,
        found,
    )
    flat[:] = new
    _put_back(buffers, moved)
    outputs[:steps] = np.array(found).reshape(steps, -1)
    runner.count_steps(steps)
    return steps


def _floats(arrays: list[np.ndarray]) -> list[float]:
    """State arrays (one per parameter array, in order) as one list of floats."""
    return np.concatenate([a.ravel() for a in arrays]).tolist() if arrays else []


def _put_back(arrays: list[np.ndarray], values: list[float]) -> None:
    """Write ``values`` into the live state arrays, in parameter order."""
    start = 0
    for array in arrays:
        array.ravel()[:] = values[start : start + array.size]
        start += array.size


def _adam(
    trainer: Trainer,
    kernel: Kernel,
    xs: list[list[float]],
    ts: list[list[float]],
    outputs: np.ndarray,
) -> None:
    """Adam's steps in the generated block (hyper-parameters read as optimizers.Adam
    reads them; the lerp weight and its formula as its _lerp picks them)."""
    runner = trainer.optimizer
    hyper = runner.hyper
    decay = float(hyper["weight_decay"])
    beta1, beta2 = float(hyper["beta1"]), float(hyper["beta2"])
    weight = 1 - beta1
    small = abs(weight) < 0.5
    state = runner.buffers()
    trained = runner.trainable if not runner.flat_mode else [True]
    step = next(s for s, on in zip(runner.optimizer.steps(), trained, strict=True) if on)
    found: list[float] = []
    flat = trainer.network.flat
    new, exp_avg, exp_avg_sq, _ = kernel.adam_blocks[(decay != 0.0, small)](
        flat.tolist(),
        _floats(state["exp_avg"]),
        _floats(state["exp_avg_sq"]),
        xs,
        ts,
        -float(hyper["learning_rate"]),
        decay,
        beta1,
        beta2,
        weight if small else 1.0 - weight,
        1 - beta2,
        float(hyper["eps"]),
        float(step),
        found,
    )
    flat[:] = new
    _put_back(state["exp_avg"], exp_avg)
    _put_back(state["exp_avg_sq"], exp_avg_sq)
    outputs[: len(xs)] = np.array(found).reshape(len(xs), -1)
