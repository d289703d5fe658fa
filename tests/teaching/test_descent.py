"""Gradient descent on plain functions, checked against steps worked out by hand.

The hand computations are written in the engine's (PyTorch's) order of operations,
the gradient first and then times the learning rate, so they agree bit for bit.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from bpsim.core.spec import OptimizerSpec
from bpsim.teaching.descent import (
    FUNCTIONS,
    Descent,
    compare,
    comparison_specs,
    get_function,
    optimizer_label,
)


def sgd(lr: float, **more: float | bool) -> OptimizerSpec:
    return OptimizerSpec.with_defaults("sgd", learning_rate=lr, **more)


def test_seed000_descent_matches_hand_computed_steps() -> None:
    """f(x) = e²·sin x from x0 = 0 with lr 0.01: x1 = 0 − 0.01·e²·cos 0, and so on."""
    descent = Descent("e2sin", 0.0, sgd(0.01))
    assert descent.value == 0.0
    assert descent.slope[0] == math.exp(2) == pytest.approx(7.389056, abs=1e-6)  # "≈ 7.4"
    first = descent.step()
    assert first is not None
    x1 = 0 - 0.01 * (math.exp(2) * math.cos(0))
    assert x1 == pytest.approx(-0.0738905609893065, rel=1e-15)
    assert first.end[0] == x1
    assert first.gradient[0] == math.exp(2) * math.cos(0)  # the slope at the start
    assert first.delta[0] == -0.01 * math.exp(2)
    assert first.size == pytest.approx(0.0738905609893065)
    assert first.value == 0.0 and first.end_value == math.exp(2) * math.sin(x1)
    second = descent.step()
    assert second is not None
    x2 = x1 - 0.01 * (math.exp(2) * math.cos(x1))
    assert second.start[0] == x1 and second.end[0] == x2
    assert second.gradient[0] == math.exp(2) * math.cos(x1)
    x = x2
    for _ in range(3):
        x = x - 0.01 * (math.exp(2) * math.cos(x))
    descent.run(3)
    assert descent.position[0] == x
    path = descent.path()
    assert path.steps == 5 and path.positions.shape == (6, 1)
    assert path.positions[0, 0] == 0.0 and path.positions[1, 0] == x1 and path.positions[2, 0] == x2
    assert path.gradients.shape == (6, 1) and path.deltas.shape == (5, 1)
    np.testing.assert_allclose(path.positions[1:] - path.positions[:-1], path.deltas, rtol=1e-12)
    # and it ends in the minimum at −π/2, f = −e²
    descent.run(1000)
    assert descent.position[0] == pytest.approx(-math.pi / 2, abs=1e-9)
    assert descent.value == pytest.approx(-math.exp(2))
    assert descent.stopped is None


def test_parabola_overshoots_and_diverges_with_a_large_learning_rate() -> None:
    descent = Descent("parabola", 1.0, sgd(1.1))
    steps = descent.run(10)
    xs = [1.0] + [s.end[0] for s in steps]
    for before, after in itertools.pairwise(xs):
        assert abs(after) > abs(before)  # each step overshoots further
        assert math.copysign(1, after) == -math.copysign(1, before)  # to the other side
        assert after == pytest.approx(-1.2 * before)  # x ← x − 1.1·2x = −1.2x
    descent.run(1000)
    assert descent.stopped is not None and "diverged" in descent.stopped
    assert "learning rate is too large" in descent.stopped
    assert abs(descent.position[0]) > 1e6 and math.isfinite(descent.position[0])
    count = len(descent.steps)
    assert descent.step() is None and len(descent.steps) == count  # stays stopped
    assert descent.path().stopped == descent.stopped


def test_parabola_converges_with_a_small_learning_rate() -> None:
    descent = Descent("parabola", 3.0, sgd(0.1))
    steps = descent.run(100)
    xs = [s.end[0] for s in steps]
    assert all(0 < b < a for a, b in itertools.pairwise(xs))  # straight in, no overshoot
    assert steps[0].end[0] == 3.0 - 0.1 * (2 * 3.0)
    assert abs(xs[-1]) < 1e-9 and descent.stopped is None
    # between 0.5 and 1 it zigzags in
    zigzag = Descent("parabola", 3.0, sgd(0.8)).run(30)
    assert zigzag[0].end[0] < 0 < zigzag[1].end[0] and abs(zigzag[-1].end[0]) < 1e-6


def test_non_finite_steps_are_refused() -> None:
    descent = Descent("parabola", 3.0, sgd(1e308))
    assert descent.step() is None
    assert descent.stopped is not None and "finite" in descent.stopped
    assert descent.position[0] == 3.0 and descent.steps == []


def test_momentum_follows_pytorchs_rule() -> None:
    f = get_function("e2sin")
    descent = Descent(f, 0.0, sgd(0.01, momentum=0.9))
    descent.run(3)
    # buf = g on the first step, then buf = μ·buf + g;  x ← x − lr·buf
    x, buf = 0.0, None
    for _ in range(3):
        g = math.exp(2) * math.cos(x)
        buf = g if buf is None else buf * 0.9 + g
        x = x + buf * -0.01
    assert descent.position[0] == x
    plain = Descent(f, 0.0, sgd(0.01)).run(3)
    assert plain[0].end[0] == descent.steps[0].end[0]  # the first step is the same
    assert plain[2].end[0] != descent.steps[2].end[0]  # then momentum builds up


def test_adam_first_two_steps_by_hand() -> None:
    lr, beta1, beta2, eps = 0.1, 0.9, 0.999, 1e-8
    descent = Descent("bowl", (2.5, 1.5), OptimizerSpec.with_defaults("adam", learning_rate=lr))
    descent.run(2)
    p = [2.5, 1.5]
    m, v = [0.0, 0.0], [0.0, 0.0]
    for t in (1, 2):
        grad = [2 * p[0], 2 * p[1]]
        for i in range(2):
            m[i] = m[i] + (1 - beta1) * (grad[i] - m[i])  # torch.lerp(m, g, 1 − β1)
            v[i] = v[i] * beta2 + ((1 - beta2) * grad[i]) * grad[i]
            step_size = lr / (1 - beta1 ** float(t))
            denom = math.sqrt(v[i]) / (1 - beta2 ** float(t)) ** 0.5 + eps
            p[i] = p[i] + (m[i] * -step_size) / denom
        assert list(descent.steps[t - 1].end) == p
    # Adam's first step moves each coordinate by about lr, whatever the slope
    assert descent.steps[0].delta == pytest.approx([-lr, -lr], rel=1e-6)
    plain = Descent("bowl", (2.5, 1.5), sgd(lr)).run(2)
    assert not np.allclose(plain[1].end, descent.steps[1].end)


def test_compare_runs_every_optimizer_from_the_same_start() -> None:
    specs = comparison_specs(0.03, momentum=0.8)
    assert list(specs) == ["gradient descent", "momentum 0.8", "adam"]
    paths = compare("narrow_valley", None, specs, steps=60)
    assert set(paths) == set(specs)
    for path in paths.values():
        assert tuple(path.positions[0]) == (-2.8, 0.6) and path.steps == 60
    gd, mom = paths["gradient descent"], paths["momentum 0.8"]
    # gradient descent zigzags across the valley (y changes sign every step)…
    ys = gd.positions[:10, 1]
    assert np.all(np.sign(ys[1:]) == -np.sign(ys[:-1]))
    # …and crawls along it; momentum gets further down in the same number of steps
    assert mom.values[-1] < gd.values[-1] / 10
    assert not np.array_equal(paths["adam"].positions, gd.positions)
    same = compare("bowl", (1.0, 1.0), [sgd(0.1), sgd(0.2), sgd(0.1, momentum=0.5)], steps=3)
    assert list(same) == ["gradient descent", "gradient descent (2)", "momentum 0.5"]


def test_optimizer_labels() -> None:
    assert optimizer_label(sgd(0.1)) == "gradient descent"
    assert optimizer_label(sgd(0.1, momentum=0.9, nesterov=True)) == "nesterov 0.9"
    assert optimizer_label(OptimizerSpec.with_defaults("rmsprop")) == "rmsprop"


def test_seed000_xy_has_no_minimum() -> None:
    f = get_function("seed000_xy")
    assert f.value((3.0, -3.0)) == 0.0  # xy + x² = −9 + 9
    assert list(f.gradient((3.0, -3.0))) == [3.0, 3.0]  # (y + 2x, x)
    assert not f.bounded_below and "unbounded below" in f.description
    descent = Descent(f)
    descent.run(5000)
    assert descent.stopped is not None and "unbounded below" in descent.stopped


def test_seed004_j_has_a_global_and_a_local_minimum() -> None:
    j = get_function("seed004_J")
    (best, local) = j.minima
    assert local == pytest.approx((0.8, 0.8), abs=0.01)
    assert j.value(best) < j.value(local)
    # started on the near side, gradient descent settles in the local minimum…
    near = Descent(j, (1.5, 1.2))
    near.run(3000)
    assert near.position == pytest.approx(local, abs=1e-6)
    # …and from the far side in the global one
    far = Descent(j, (-1.5, 1.5))
    far.run(3000)
    assert far.position == pytest.approx(best, abs=1e-6)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_has_its_exact_gradient(name: str) -> None:
    f = FUNCTIONS[name]
    rng = np.random.default_rng(7)
    h = 1e-6
    for _ in range(20):
        point = np.array([rng.uniform(low, high) for low, high in f.view])
        numeric = []
        for i in range(f.variables):
            step = np.zeros(f.variables)
            step[i] = h
            numeric.append((f.value(point + step) - f.value(point - step)) / (2 * h))
        scale = max(1.0, float(np.max(np.abs(numeric))))
        np.testing.assert_allclose(f.gradient(point), numeric, atol=1e-6 * scale)
    for minimum in f.minima:
        assert np.max(np.abs(f.gradient(minimum))) < 1e-9
    if f.minima:
        assert f.value(f.minima[0]) == min(f.value(m) for m in f.minima)
    assert len(f.start) == f.variables == len(f.view)
    assert f.learning_rate > 0 and f.text and f.gradient_text and f.description


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_grids_for_the_pictures(name: str) -> None:
    f = FUNCTIONS[name]
    drawn = f.grid(31)
    if f.variables == 1:
        xs, values = drawn
        assert values.shape == (31,)
        for i in (0, 13, 30):
            assert values[i] == pytest.approx(f.value((xs[i],)), rel=1e-14, abs=1e-14)
    else:
        xs, ys, values = drawn
        assert values.shape == (31, 31)
        for r, c in [(0, 0), (30, 12), (17, 5)]:
            assert values[r, c] == pytest.approx(f.value((xs[c], ys[r])), rel=1e-14, abs=1e-14)
    with pytest.raises(ValueError):
        f.values_on(*([np.zeros(3)] * (f.variables + 1)))


def test_default_start_and_learning_rate_and_changes() -> None:
    descent = Descent("local_minimum")
    assert descent.spec.name == "sgd" and descent.spec.hyper["learning_rate"] == 0.01
    assert descent.position[0] == 2.0
    descent.run(500)
    assert descent.position[0] == pytest.approx(1.1309011226299859)  # the worse dip
    descent.reset((-2.0,))
    descent.run(500)
    assert descent.position[0] == pytest.approx(-1.300839565941577)  # the better one
    descent.set_hyper(learning_rate=0.001)
    assert descent.optimizer.hyper["learning_rate"] == 0.001
    with pytest.raises(ValueError, match="learning_rate"):
        descent.set_hyper(learning_rate=-1.0)
    with pytest.raises(ValueError, match="coordinate"):
        Descent("bowl", 1.0)
    with pytest.raises(ValueError, match="unknown function"):
        Descent("nope")
    with pytest.raises(ValueError, match="finite"):
        Descent("parabola", math.inf)
    with pytest.raises(ValueError):
        Descent("parabola", 1.0, OptimizerSpec("sgd", {"learning_rate": "fast"}))  # type: ignore[dict-item]
    far = Descent("parabola", 2e6)
    assert far.stopped is not None and "at the start" in far.stopped
