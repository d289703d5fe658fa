"""The ten houses of seed 002: "standardised" there is min-max scaling to [0, 1].

The seed fits ŷ = a + b·x with a = 0.45, b = 0.75 and reads off the gradient of the loss
½Σ(y − ŷ)²: ∂/∂a = −Σ(y − ŷ) ≈ 3.300, ∂/∂b = −Σ(y − ŷ)·x ≈ 1.545, and the loss ≈ 0.677.
These hold for min-max scaling of both size and price, and not for z-scores.
"""

from __future__ import annotations

import numpy as np
import pytest

from bpsim.datasets import load_builtin


def gradient_and_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    residual = y - (0.45 + 0.75 * x)
    return float(-residual.sum()), float(-(residual * x).sum()), float(0.5 * (residual**2).sum())


def test_seed_002_numbers_with_min_max_scaling() -> None:
    d = load_builtin("house_prices", {})
    x, y = d.inputs[:, 0], d.targets[:, 0]
    d_a, d_b, loss = gradient_and_loss(x, y)
    assert d_a == pytest.approx(3.300, abs=5e-4)
    assert d_b == pytest.approx(1.545, abs=5e-4)
    assert loss == pytest.approx(0.677, abs=5e-4)
    # Float64 values of the same formulas, to catch any change in the data or the scaling.
    assert d_a == pytest.approx(3.300161812297735, rel=1e-12)
    assert d_b == pytest.approx(1.5452604978225257, rel=1e-12)
    assert loss == pytest.approx(0.6773447764185777, rel=1e-12)


def test_seed_002_scaled_values() -> None:
    """The scaled columns the seed tabulates, to two decimals."""
    d = load_builtin("house_prices", {"standardize": True})
    np.testing.assert_allclose(
        d.inputs[:, 0], [0, 0.22, 0.24, 0.33, 0.37, 0.44, 0.44, 0.57, 0.93, 1], atol=0.005
    )
    np.testing.assert_allclose(
        d.targets[:, 0], [0, 0.22, 0.58, 0.2, 0.55, 0.39, 0.54, 0.53, 1, 0.61], atol=0.005
    )


def test_z_scores_would_not_give_the_seed_numbers() -> None:
    raw = load_builtin("house_prices", {"standardize": False})
    x, y = raw.inputs[:, 0], raw.targets[:, 0]
    z = gradient_and_loss((x - x.mean()) / x.std(), (y - y.mean()) / y.std())
    assert z[0] != pytest.approx(3.300, abs=0.01)
