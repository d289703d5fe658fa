"""Regression data: a straight line's worth of houses, a sine curve and a plane.

``noise`` is the standard deviation of Gaussian noise added to the target; it is drawn
even when noise is 0, so one seed gives the same inputs at every noise level.
"""

from __future__ import annotations

import math

import numpy as np

from bpsim.core.spec import Dataset
from bpsim.datasets.options import generator

#: House size in square feet and price in dollars: the ten houses of the gradient-descent
#: seed (002), in its order.
HOUSE_SIZES = np.array([1100, 1400, 1425, 1550, 1600, 1700, 1700, 1875, 2350, 2450], dtype=float)
HOUSE_PRICES = np.array(
    [199000, 245000, 319000, 240000, 312000, 279000, 310000, 308000, 405000, 324000], dtype=float
)


def min_max(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1] column by column: the seed's "standardised" (smallest 0, largest 1);
    a constant column becomes 0."""
    low = values.min(axis=0)
    span = values.max(axis=0) - low
    return (values - low) / np.where(span > 0.0, span, 1.0)


def house_prices(*, standardize: bool = True) -> Dataset:
    """Price against size of ten houses, min-max scaled to [0, 1] by default as in the seed,
    where a line y = a + b·x fitted by hand shows the gradient of ½Σ(y − ŷ)²."""
    inputs = HOUSE_SIZES[:, np.newaxis].copy()
    targets = HOUSE_PRICES[:, np.newaxis].copy()
    if standardize:
        inputs, targets = min_max(inputs), min_max(targets)
    return Dataset(
        inputs=inputs,
        targets=targets,
        source={"builtin": "house_prices", "standardize": standardize},
        input_names=["size"],
        target_names=["price"],
    )


def sine(*, size: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """y = sin(πx) + noise for x uniform in [-1, 1]: one curve, needs a hidden layer."""
    rng = generator(seed)
    x = rng.uniform(-1.0, 1.0, (size, 1))
    y = np.sin(math.pi * x) + noise * rng.standard_normal((size, 1))
    return Dataset(
        inputs=x,
        targets=y,
        source={"builtin": "sine", "size": size, "noise": noise, "seed": seed},
        input_names=["x"],
        target_names=["y"],
    )


def plane(
    *,
    size: int = 100,
    noise: float = 0.1,
    seed: int = 0,
    a: float = 1.5,
    b: float = -0.5,
    c: float = 0.25,
) -> Dataset:
    """y = a·x1 + b·x2 + c + noise for (x1, x2) uniform in [-1, 1]²: a single linear neuron
    can recover a, b (its weights) and c (its bias)."""
    rng = generator(seed)
    x = rng.uniform(-1.0, 1.0, (size, 2))
    y = x @ np.array([[a], [b]]) + c + noise * rng.standard_normal((size, 1))
    return Dataset(
        inputs=x,
        targets=y,
        source={
            "builtin": "plane",
            "size": size,
            "noise": noise,
            "seed": seed,
            "a": a,
            "b": b,
            "c": c,
        },
        input_names=["x1", "x2"],
        target_names=["y"],
    )
