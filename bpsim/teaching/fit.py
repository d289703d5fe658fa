"""A regression network's answer drawn as a line or curve through its data, in the units
the data came in.

Seed 002's first picture is price against house size with the line a + bX moving while
gradient descent runs. The lesson trains on min-max scaled values (0…1), which teach
nothing about houses; :func:`original_units` finds the affine map back to square feet
and dollars by loading the same data set unscaled, and :func:`fit_curve` runs the
network over a grid of inputs and returns both axes in those units.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bpsim.core.network import Network
from bpsim.core.spec import Dataset

__all__ = ["Units", "fit_curve", "is_regression", "original_units", "residuals"]


@dataclass(frozen=True)
class Units:
    """``raw = offset + scale · stored`` per column, for the inputs and the targets."""

    input_offset: np.ndarray
    input_scale: np.ndarray
    target_offset: np.ndarray
    target_scale: np.ndarray

    def inputs(self, stored: np.ndarray) -> np.ndarray:
        return self.input_offset + self.input_scale * stored

    def targets(self, stored: np.ndarray) -> np.ndarray:
        return self.target_offset + self.target_scale * stored

    def stored_inputs(self, raw: np.ndarray) -> np.ndarray:
        return (raw - self.input_offset) / self.input_scale

    @staticmethod
    def identity(n_inputs: int, n_targets: int) -> Units:
        return Units(np.zeros(n_inputs), np.ones(n_inputs), np.zeros(n_targets), np.ones(n_targets))


def _affine(stored: np.ndarray, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Per column the (offset, scale) with raw = offset + scale · stored, or None when the
    columns are not related that way (a different data set, rows in another order)."""
    if stored.shape != raw.shape or stored.shape[0] < 2:
        return None
    offsets, scales = np.empty(stored.shape[1]), np.empty(stored.shape[1])
    for c in range(stored.shape[1]):
        s, r = stored[:, c], raw[:, c]
        spread = s.max() - s.min()
        if spread <= 0:
            if not np.allclose(r, r[0]):
                return None
            offsets[c], scales[c] = r[0] - s[0], 1.0
            continue
        scale, offset = np.polyfit(s, r, 1)
        if scale == 0 or not np.allclose(
            offset + scale * s, r, rtol=1e-9, atol=1e-9 * np.abs(r).max()
        ):
            return None
        offsets[c], scales[c] = offset, scale
    return offsets, scales


def _unscaled(dataset: Dataset, base: Path | None) -> Dataset | None:
    """The same data set loaded without its scaling, or None when it was not scaled."""
    source: Mapping[str, Any] = dataset.source or {}
    try:
        if "builtin" in source:
            from bpsim.datasets import builtin_options, load_builtin

            name = str(source["builtin"])
            options = {**builtin_options(name)}
            options.update({k: v for k, v in source.items() if k != "builtin"})
            if not options.get("standardize", False):
                return None
            options["standardize"] = False
            return load_builtin(name, options)
        if "csv" in source and source.get("standardize", False):
            from bpsim.datasets.csvfile import load_csv

            path = Path(str(source["csv"]))
            if not path.is_absolute() and base is not None:
                path = base / path
            return load_csv(
                path,
                list(source.get("inputs", [])),
                list(source.get("targets", [])),
                one_hot=source.get("one_hot"),
            )
    except Exception:  # a moved CSV, an unknown option: draw in the stored units
        return None
    return None


def original_units(dataset: Dataset, base: Path | None = None) -> Units | None:
    """How to turn the stored (scaled) values back into the file's units, or None when
    the data set is stored unscaled. ``base``: the folder a relative CSV path starts in."""
    raw = _unscaled(dataset, base)
    if raw is None:
        return None
    stored_in = np.asarray(dataset.inputs, dtype=np.float64)
    stored_out = np.asarray(dataset.targets, dtype=np.float64)
    inputs = _affine(stored_in, np.asarray(raw.inputs, dtype=np.float64))
    targets = _affine(stored_out, np.asarray(raw.targets, dtype=np.float64))
    if inputs is None or targets is None:
        return None
    return Units(inputs[0], inputs[1], targets[0], targets[1])


def is_regression(network: Network, targets: np.ndarray) -> bool:
    """A network fitting numbers rather than picking classes: a linear (or ReLU) output,
    or targets that are not all 0/1 (−1/1 for tanh)."""
    from bpsim.teaching.metrics import task_of

    return task_of(network, targets)[0] != "classification"


def fit_curve(
    network: Network, units: Units, x_range: tuple[float, float], points: int = 200, output: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The network's output ``output`` over ``points`` inputs evenly spread across
    ``x_range`` (in the file's units), for a one-input network: ``(x, y)`` in file units."""
    if network.sizes[0] != 1:
        raise ValueError(
            f"a fit curve needs a network with 1 input; this one has {network.sizes[0]}"
        )
    x = np.linspace(x_range[0], x_range[1], points)
    stored = units.stored_inputs(x[:, None])
    y = network.outputs(stored)[1][:, output]
    return x, units.target_offset[output] + units.target_scale[output] * y


def residuals(
    network: Network, units: Units, inputs: np.ndarray, targets: np.ndarray, output: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The model's prediction and the target of every sample, in the file's units:
    a residual is ``target − prediction``."""
    predicted = network.outputs(np.asarray(inputs, dtype=np.float64))[1][:, output]
    scale, offset = units.target_scale[output], units.target_offset[output]
    return offset + scale * predicted, offset + scale * np.asarray(targets)[:, output]
