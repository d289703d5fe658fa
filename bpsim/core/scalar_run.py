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


def sgd_kernel(trainer: Trainer) -> Kernel | None:
    """The kernel when a Run block may use it: batches of one sample, SGD over every
    parameter (only empty arrays frozen: layers without bias) whose momentum buffers,
    if any, have started, and no epoch end that needs the parameters (no validation
    set) or the loss at once (no early stopping)."""
    optimizer = trainer.optimizer
    sizes = optimizer.layout.sizes
    if (
        optimizer.name != "sgd"
        or not all(on or not size for on, size in zip(optimizer.trainable, sizes, strict=True))
        or (float(optimizer.hyper["momentum"]) != 0.0 and not optimizer.momentum_started())
        or len(trainer.val_idx)
        or trainer.training.patience is not None
        or trainer.batch_size != 1
    ):
        return None
    return trainer.network.scalar_kernel()


def run_sgd(
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
    hyper = runner.hyper
    decay, momentum = float(hyper["weight_decay"]), float(hyper["momentum"])
    keep = 1.0 - float(hyper["dampening"])
    mode = "none"
    if momentum != 0.0:
        mode = "nesterov" if hyper["nesterov"] else "momentum" if keep == 1.0 else "dampened"
    buffers = runner.buffers().get("momentum_buffer", [])
    found: list[float] = []
    flat = trainer.network.flat
    new, moved = kernel.sgd_block(decay != 0.0, mode)(
        flat.tolist(),
        np.concatenate([b.ravel() for b in buffers]).tolist() if buffers else [],
        xs,
        ts,
        -float(hyper["learning_rate"]),
        decay,
        momentum,
        keep,
        found,
    )
    flat[:] = new
    start = 0
    for buffer in buffers:  # the live state arrays, in parameter order
        buffer.ravel()[:] = moved[start : start + buffer.size]
        start += buffer.size
    outputs[:steps] = np.array(found).reshape(steps, -1)
    runner.count_steps(steps)
    return steps
