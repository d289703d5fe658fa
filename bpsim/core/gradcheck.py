"""Gradient check: backpropagation's gradients against central differences.

For every parameter p the loss is measured at p + h and p − h on the same batch, and
(L(p+h) − L(p−h)) / 2h is compared with ∂L/∂p from the backward pass. The relative error
is |analytic − numeric| / max(|analytic|, |numeric|, 1e-3): relative for ordinary
gradients, and measured against 1e-3 for tiny ones, whose central differences are
dominated by round-off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bpsim.core.network import Network

STEP = 1e-5
ERROR_FLOOR = 1e-3
PASS_THRESHOLD = 1e-6


@dataclass
class GradientCheck:
    """Per parameter array (W0, b0, W1, …): analytic and numeric gradients, relative error."""

    analytic: list[np.ndarray]
    numeric: list[np.ndarray]
    relative_error: list[np.ndarray]

    @property
    def max_relative_error(self) -> float:
        return max((float(e.max()) for e in self.relative_error if e.size), default=0.0)

    @property
    def passed(self) -> bool:
        return self.max_relative_error <= PASS_THRESHOLD


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> np.ndarray:
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), ERROR_FLOOR)
    return np.abs(analytic - numeric) / scale


def analytic_gradients(
    network: Network, inputs: np.ndarray, targets: np.ndarray
) -> list[np.ndarray]:
    """Backpropagation's gradients on one batch, as copies in the order W0, b0, W1, …"""
    trace = network.new_trace(inputs, targets, np.arange(len(inputs)))
    network.forward(trace)
    network.backward(trace)
    analytic: list[np.ndarray] = []
    for gw, gb in zip(trace.weight_grads, trace.bias_grads, strict=True):
        analytic += [gw.copy(), gb.copy()]
    return analytic


def gradient_check(network: Network, inputs: np.ndarray, targets: np.ndarray) -> GradientCheck:
    """Check every parameter's gradient on one batch. Parameters are left bit-identical."""
    analytic = analytic_gradients(network, inputs, targets)

    numeric: list[np.ndarray] = []
    arrays = network.parameter_arrays()
    masks: list[np.ndarray | None] = []
    for mask in network.masks:
        masks += [mask, None]
    for array, mask in zip(arrays, masks, strict=True):
        estimate = np.zeros_like(array)
        flat = array.reshape(-1)
        est_flat = estimate.reshape(-1)
        mask_flat = None if mask is None else mask.reshape(-1)
        for n in range(flat.size):
            if mask_flat is not None and mask_flat[n] == 0:
                continue  # an absent link is not a parameter
            saved = flat[n]
            h = STEP * max(1.0, abs(saved))
            flat[n] = saved + h
            up = network.loss_on(inputs, targets)
            flat[n] = saved - h
            down = network.loss_on(inputs, targets)
            flat[n] = saved
            est_flat[n] = (up - down) / (2 * h)
        numeric.append(estimate)
    errors = [relative_error(a, n) for a, n in zip(analytic, numeric, strict=True)]
    return GradientCheck(analytic, numeric, errors)


# -- big networks: a sample of the parameters, one at a time ----------------------------

#: Multiply-adds a whole check may take before it samples (two loss evaluations each).
CHECK_WORK = 2e9
#: Seconds a check may take before it samples (measured on one loss evaluation).
CHECK_SECONDS = 3.0
#: Fewest parameters a sampled check looks at.
CHECK_SAMPLE_MIN = 20
#: The seed of the sample, so a check says the same on every computer.
CHECK_SEED = 0


@dataclass
class CheckPlan:
    """Which parameters a check looks at: per parameter array (W0, b0, W1, …) the flat
    positions, sorted; every parameter, or a random sample on a network too big to check
    every one in a few seconds (``sampled``)."""

    positions: list[np.ndarray]
    total: int  # parameters there are (absent links left out)

    @property
    def count(self) -> int:
        return sum(len(p) for p in self.positions)

    @property
    def sampled(self) -> bool:
        return self.count < self.total


def checkable(network: Network) -> list[np.ndarray]:
    """Per parameter array, the flat positions that are parameters (absent links left out)."""
    out: list[np.ndarray] = []
    for n, array in enumerate(network.parameter_arrays()):
        k, is_bias = divmod(n, 2)
        mask = None if is_bias else network.masks[k]
        if mask is None:
            out.append(np.arange(array.size))
        else:
            out.append(np.flatnonzero(np.asarray(mask).reshape(-1) != 0))
    return out


def plan_check(network: Network, inputs: np.ndarray, targets: np.ndarray) -> CheckPlan:
    """Every parameter when checking them all takes a few seconds (by the work model and
    one timed loss evaluation, since a busy machine is slower than the model); else a
    random sample (seed ``CHECK_SEED``) of as many as fit in that time."""
    import time

    allowed = checkable(network)
    total = sum(len(a) for a in allowed)
    cost = max(len(inputs), 1) * max(network.flat.size, 1)  # one loss evaluation
    started = time.perf_counter()
    network.loss_on(inputs, targets)
    seconds = max(time.perf_counter() - started, 1e-7)
    affordable = int(min(CHECK_WORK / (2 * cost), CHECK_SECONDS / (2 * seconds)))
    if affordable >= total:
        return CheckPlan(allowed, total)
    count = max(affordable, min(CHECK_SAMPLE_MIN, total))
    rng = np.random.Generator(np.random.PCG64(CHECK_SEED))
    picked = np.sort(rng.choice(total, size=count, replace=False))
    starts = np.concatenate([[0], np.cumsum([len(a) for a in allowed])])
    positions = [
        a[picked[(picked >= lo) & (picked < hi)] - lo]
        for a, lo, hi in zip(allowed, starts[:-1], starts[1:], strict=True)
    ]
    return CheckPlan(positions, total)


def numeric_gradient(
    network: Network, n: int, flat: int, inputs: np.ndarray, targets: np.ndarray
) -> float:
    """(L(p + h) − L(p − h)) / 2h for parameter ``flat`` of array ``n``, exactly as
    :func:`gradient_check` computes it; the parameter is put back bit for bit."""
    array = network.parameter_arrays()[n].reshape(-1)
    saved = array[flat]
    h = STEP * max(1.0, abs(saved))
    try:
        array[flat] = saved + h
        up = network.loss_on(inputs, targets)
        array[flat] = saved - h
        down = network.loss_on(inputs, targets)
    finally:
        array[flat] = saved
    return float((up - down) / (2 * h))
