"""Each activation and loss against hand-worked values and against finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from bpsim.core.activations import ACTIVATION_CLASSES, get_activation
from bpsim.core.losses import LOSS_CLASSES, get_loss

Z = np.array([[-2.0, -0.5, 0.0, 0.3, 1.7]])


def test_sigmoid_matches_the_formula_and_the_seed() -> None:
    act = get_activation("sigmoid")
    z = np.array([[0.154]])
    assert act(z)[0, 0] == pytest.approx(1 / (1 + math.exp(-0.154)), rel=1e-15)
    assert round(act(z)[0, 0], 5) == 0.53842  # seed 000's out_h1


def test_relu_and_leaky_relu_kinks_follow_pytorch() -> None:
    z = np.array([[-1.0, 0.0, 2.0]])
    out = np.empty_like(z)
    relu, leaky = get_activation("relu"), get_activation("leaky_relu")
    np.testing.assert_array_equal(relu(z), [[0.0, 0.0, 2.0]])
    np.testing.assert_array_equal(relu.derivative(z, relu(z), out), [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(leaky(z), [[-0.01, 0.0, 2.0]])
    np.testing.assert_array_equal(leaky.derivative(z, leaky(z), out), [[0.01, 0.01, 1.0]])


def test_tanh_and_linear_values() -> None:
    z = np.array([[0.7]])
    out = np.empty_like(z)
    tanh = get_activation("tanh")
    assert tanh(z)[0, 0] == pytest.approx(math.tanh(0.7), rel=1e-15)
    assert tanh.derivative(z, tanh(z), out)[0, 0] == pytest.approx(1 - math.tanh(0.7) ** 2)
    lin = get_activation("linear")
    assert lin(z)[0, 0] == 0.7
    assert lin.derivative(z, z, out)[0, 0] == 1.0


def test_softmax_rows_sum_to_one_and_survive_large_inputs() -> None:
    soft = get_activation("softmax")
    a = soft(np.array([[1000.0, 1001.0, 999.0], [0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(a.sum(axis=1), [1.0, 1.0], rtol=1e-15)
    np.testing.assert_allclose(a[1], [1 / 3] * 3, rtol=1e-15)
    e = np.exp([0.0, 1.0, -1.0])
    np.testing.assert_allclose(a[0], e / e.sum(), rtol=1e-14)


@pytest.mark.parametrize("name", sorted(ACTIVATION_CLASSES))
def test_backprop_matches_finite_differences(name: str) -> None:
    """δ = ∂L/∂z for L = Σ g·f(z): central differences of f against backprop."""
    act = get_activation(name)
    rng = np.random.default_rng(1)
    z = rng.normal(size=(3, 4))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from relu's kink
    g = rng.normal(size=(3, 4))
    a = act(z)
    fprime = act.derivative(z, a, np.empty_like(z))
    delta = act.backprop(g, z, a, fprime, np.empty_like(z))
    h = 1e-6
    numeric = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = ((g * act(up)).sum() - (g * act(down)).sum()) / (2 * h)
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)


def test_half_sse_matches_seed000() -> None:
    loss = get_loss("half_sse")
    o = np.array([[0.63370978, 0.64899807]])
    t = np.array([[0.05, 0.82]])
    expected = 0.5 * (0.05 - 0.63370978) ** 2 + 0.5 * (0.82 - 0.64899807) ** 2
    assert loss.per_sample(o, t, o)[0] == pytest.approx(expected, rel=1e-15)
    grad = loss.gradient(o, t, np.empty_like(o))
    np.testing.assert_allclose(grad, o - t)  # −(t − o): seed 000's 0.58368


def test_mse_bce_and_cross_entropy_values_by_hand() -> None:
    o = np.array([[0.2, 0.7]])
    t = np.array([[0.0, 1.0]])
    assert get_loss("mse").per_sample(o, t, o)[0] == pytest.approx((0.04 + 0.09) / 2)
    bce = -(math.log(0.8) + math.log(0.7)) / 2
    assert get_loss("binary_cross_entropy").per_sample(o, t, o)[0] == pytest.approx(bce)
    z = np.array([[0.5, -1.0, 2.0]])
    p = np.exp(z) / np.exp(z).sum()
    t3 = np.array([[0.0, 0.0, 1.0]])
    ce = get_loss("cross_entropy").per_sample(p, t3, z)[0]
    assert ce == pytest.approx(-math.log(p[0, 2]), rel=1e-14)


def test_bce_clamps_the_log_like_pytorch() -> None:
    o = np.array([[1.0, 0.0]])
    t = np.array([[0.0, 1.0]])
    assert get_loss("binary_cross_entropy").per_sample(o, t, o)[0] == pytest.approx(100.0)


@pytest.mark.parametrize("name", sorted(LOSS_CLASSES))
def test_loss_gradient_matches_finite_differences(name: str) -> None:
    loss = get_loss(name)
    rng = np.random.default_rng(2)
    o = rng.uniform(0.1, 0.9, size=(2, 3))
    t = rng.uniform(0, 1, size=(2, 3))
    if name == "cross_entropy":
        o /= o.sum(axis=1, keepdims=True)  # a softmax output's rows sum to 1
    grad = loss.gradient(o, t, np.empty_like(o))
    h = 1e-7
    for idx in np.ndindex(o.shape):
        if name == "cross_entropy":
            continue  # checked through the softmax delta below
        up, down = o.copy(), o.copy()
        up[idx] += h
        down[idx] -= h
        numeric = (loss.per_sample(up, t, up).sum() - loss.per_sample(down, t, down).sum()) / (
            2 * h
        )
        assert grad[idx] == pytest.approx(numeric, rel=1e-6, abs=1e-9)


def test_cross_entropy_softmax_delta_is_output_minus_target() -> None:
    loss, soft = get_loss("cross_entropy"), get_activation("softmax")
    z = np.array([[0.3, -0.2, 1.1]])
    o = soft(z)
    t = np.array([[0.0, 1.0, 0.0]])
    fprime = soft.derivative(z, o, np.empty_like(o))
    delta = loss.output_delta(o, t, z, soft, fprime, np.empty_like(o), np.empty_like(o))
    np.testing.assert_allclose(delta, o - t, rtol=1e-15)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, (2, 3), elements=st.floats(-50, 50)))
def test_activations_stay_finite(z: np.ndarray) -> None:
    for name in ACTIVATION_CLASSES:
        act = get_activation(name)
        a = act(z)
        assert np.all(np.isfinite(a)), name
        assert np.all(np.isfinite(act.derivative(z, a, np.empty_like(z)))), name
