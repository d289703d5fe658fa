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


def gradient_check(network: Network, inputs: np.ndarray, targets: np.ndarray) -> GradientCheck:
    """Check every parameter's gradient on one batch. Parameters are left bit-identical."""
    rows = np.arange(len(inputs))
    trace = network.new_trace(inputs, targets, rows)
    network.forward(trace)
    network.backward(trace)
    analytic: list[np.ndarray] = []
    for gw, gb in zip(trace.weight_grads, trace.bias_grads, strict=True):
        analytic += [gw.copy(), gb.copy()]

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
