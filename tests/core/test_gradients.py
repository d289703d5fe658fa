"""Backpropagation against central differences for every activation × loss × bias mode."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from engine_lessons import random_lesson

from bpsim.core.gradcheck import gradient_check
from bpsim.core.trainer import Trainer

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "linear"]
OUTPUTS = {
    "half_sse": ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"],
    "mse": ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"],
    "binary_cross_entropy": ["sigmoid"],
    "cross_entropy": ["softmax"],
}
BIAS = ["per_neuron", "shared", "none"]
CASES = [
    (hidden, out, loss, bias)
    for loss, outs in OUTPUTS.items()
    for hidden, out, bias in itertools.product(HIDDEN, outs, BIAS)
]


@pytest.mark.parametrize(("hidden", "output", "loss", "bias"), CASES)
def test_gradient_check_passes(hidden: str, output: str, loss: str, bias: str) -> None:
    lesson = random_lesson([3, 4, 3], [hidden, output], loss, bias=bias, samples=4, seed=7)
    trainer = Trainer(lesson)
    net = trainer.network
    before = [a.copy() for a in net.parameter_arrays()]
    result = gradient_check(net, trainer.inputs, trainer.targets)
    assert result.max_relative_error < 1e-6, result.max_relative_error
    for a, b in zip(before, net.parameter_arrays(), strict=True):
        np.testing.assert_array_equal(a, b)  # the check leaves parameters bit-identical


def test_deep_network_with_mask_passes_and_masked_gradients_are_zero() -> None:
    lesson = random_lesson(
        [4, 5, 3, 2], ["tanh", "sigmoid", "softmax"], "cross_entropy", samples=6, mask_first=True
    )
    trainer = Trainer(lesson)
    result = gradient_check(trainer.network, trainer.inputs, trainer.targets)
    assert result.passed
    mask = trainer.network.masks[0]
    assert mask is not None and (mask == 0).any()
    assert np.all(result.analytic[0][mask == 0] == 0.0)
    assert np.all(trainer.network.weights[0][mask == 0] == 0.0)


def test_shared_bias_gradient_is_the_sum_of_its_neurons_gradients() -> None:
    lesson = random_lesson([2, 3, 2], ["sigmoid", "sigmoid"], "half_sse", bias="shared", samples=1)
    trainer = Trainer(lesson)
    trainer.forward()
    trainer.backward()
    trace = trainer.trace
    assert trace is not None
    assert trace.bias_grads[0][0] == pytest.approx(trace.delta[1].sum(), rel=1e-15)
    assert trace.bias_grads[1][0] == pytest.approx(trace.delta[2].sum(), rel=1e-15)


def test_batch_gradient_is_the_mean_of_the_samples_gradients() -> None:
    lesson = random_lesson([2, 3, 1], ["tanh", "sigmoid"], "mse", samples=4)
    trainer = Trainer(lesson)
    net = trainer.network
    rows = np.arange(4)
    whole = net.new_trace(trainer.inputs, trainer.targets, rows)
    net.forward(whole)
    net.backward(whole)
    per_sample = []
    for r in rows:
        one = net.new_trace(trainer.inputs[[r]], trainer.targets[[r]], np.array([r]))
        net.forward(one)
        net.backward(one)
        per_sample.append(one.weight_grads[0].copy())
    np.testing.assert_allclose(whole.weight_grads[0], np.mean(per_sample, axis=0), rtol=1e-13)
