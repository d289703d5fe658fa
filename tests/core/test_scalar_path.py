"""The straight-line scalar path of tiny networks (bpsim/core/scalar.py): which networks
take it, that it computes the maths of the NumPy path (to round-off), the hand-worked
seed 000 values, PyTorch to 1e-8, and that no text of a lesson reaches the code it
generates. That every mode gives the same bits on it is tests/core/test_canonical_path.py."""

from __future__ import annotations

import io
import math
import re
import tokenize
from dataclasses import replace

import numpy as np
import pytest
from engine_lessons import random_lesson, seed000_lesson

from bpsim.core.scalar import MAX_PARAMETERS, Shape, kernel_for
from bpsim.core.spec import LayerSpec, TrainingSpec
from bpsim.core.trainer import Trainer

SHAPES = [
    ([2, 2, 2], ["sigmoid", "sigmoid"], "half_sse", "shared"),
    ([2, 4, 1], ["tanh", "sigmoid"], "binary_cross_entropy", "per_neuron"),
    ([3, 3, 2], ["relu", "linear"], "mse", "per_neuron"),
    ([2, 3, 2], ["linear", "sigmoid"], "binary_cross_entropy", "none"),
    ([1, 1], ["linear"], "half_sse", "per_neuron"),
]


def test_which_networks_take_the_scalar_path() -> None:
    for sizes, acts, loss, bias in SHAPES:
        lesson = random_lesson(sizes, acts, loss, bias=bias)
        assert Trainer(lesson).network.scalar_kernel() is not None
    big = random_lesson([8, 7, 1], ["sigmoid", "sigmoid"], "half_sse")  # 71 parameters
    assert Trainer(big).network.scalar_kernel() is None
    assert MAX_PARAMETERS < 8 * 7 + 7 + 7 + 1
    softmax = random_lesson([2, 3], ["softmax"], "cross_entropy")
    assert Trainer(softmax).network.scalar_kernel() is None
    masked = random_lesson([3, 2, 1], ["sigmoid", "sigmoid"], "half_sse", mask_first=True)
    assert Trainer(masked).network.scalar_kernel() is None
    # a loss changed on the trainer changes the path
    trainer = Trainer(random_lesson([2, 2], ["sigmoid"], "half_sse"))
    assert trainer.network.scalar_kernel() is not None
    trainer.set_loss("cross_entropy")
    assert trainer.network.scalar_kernel() is None
    trainer.set_loss("mse")
    kernel = trainer.network.scalar_kernel()
    assert kernel is not None and kernel.shape.loss == "mse"


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "-".join(map(str, s[0])) + s[2])
def test_the_scalar_pass_is_the_numpy_pass_to_round_off(shape) -> None:
    """One sample goes the scalar way; the same sample twice in a batch goes NumPy's
    way: every value of the pass agrees to round-off (the gradient is the batch mean)."""
    sizes, acts, loss, bias = shape
    trainer = Trainer(random_lesson(sizes, acts, loss, bias=bias, samples=2, seed=3))
    net = trainer.network
    x, t = trainer.inputs[:1], trainer.targets[:1]
    one = net.new_trace(x, t, np.array([0]))
    two = net.new_trace(np.repeat(x, 2, axis=0), np.repeat(t, 2, axis=0), np.array([0, 0]))
    for trace in (one, two):
        net.forward(trace)
        net.backward(trace)
    for name in ("z", "a", "fprime", "grad_a", "delta"):
        for k in range(1, net.depth + 1):
            mine, numpy_row = getattr(one, name)[k][0], getattr(two, name)[k][1]
            np.testing.assert_allclose(mine, numpy_row, rtol=1e-13, atol=1e-15, err_msg=name)
    np.testing.assert_allclose(one.flat_grads, two.flat_grads, rtol=1e-13, atol=1e-15)
    assert one.loss == pytest.approx(two.loss, rel=1e-13)


def test_seed000_gives_the_hand_worked_values_in_every_mode() -> None:
    """Seed 000: out_h1 = 0.538424, out_y1 = 0.63371, loss 0.184979, ∂E/∂w5 = 0.072952,
    w5 = 0.18 → 0.179270 after one update; worked here by hand in plain floats."""
    h1 = 1 / (1 + math.exp(-(0.95 * 0.10 + 0.06 * 0.15 + 0.05)))
    h2 = 1 / (1 + math.exp(-(0.95 * 0.03 + 0.06 * 0.08 + 0.05)))
    y1 = 1 / (1 + math.exp(-(0.18 * h1 + 0.06 * h2 + 0.42)))
    y2 = 1 / (1 + math.exp(-(0.11 * h1 + 0.26 * h2 + 0.42)))
    loss = 0.5 * (0.05 - y1) ** 2 + 0.5 * (0.82 - y2) ** 2
    dw5 = (y1 - 0.05) * y1 * (1 - y1) * h1
    assert (round(h1, 6), round(y1, 5), round(loss, 6), round(dw5, 6)) == (
        0.538424,
        0.63371,
        0.184979,
        0.072952,
    )
    stepped, ran = Trainer(seed000_lesson()), Trainer(seed000_lesson())
    assert stepped.network.scalar_kernel() is not None
    assert stepped.forward() == pytest.approx(loss, abs=1e-15)
    assert stepped.trace is not None
    assert stepped.trace.a[1][0, 0] == pytest.approx(h1, abs=1e-15)
    stepped.backward()
    assert stepped.trace.weight_grads[1][0, 0] == pytest.approx(dw5, abs=1e-15)
    stepped.update()
    w5 = stepped.network.weights[1][0, 0]
    assert round(w5, 6) == 0.179270
    assert w5 == pytest.approx(0.18 - 0.01 * dw5, abs=1e-15)
    for _ in range(300):
        stepped.step()
    ran.run_steps(301)
    assert ran.network.flat.tobytes() == stepped.network.flat.tobytes()
    assert ran.history.step_loss.values.tobytes() == stepped.history.step_loss.values.tobytes()
    assert ran.history.step_loss.values[0] == loss


def _torch_run(torch, trainer: Trainer, steps: int) -> list[np.ndarray]:
    """The same training in PyTorch float64 (autograd, torch.optim.SGD), sample order
    taken from the trainer's own epoch orders."""
    net = trainer.network
    params = [
        torch.tensor(a.copy(), dtype=torch.float64, requires_grad=True)
        for a in net.parameter_arrays()
    ]
    hyper = trainer.optimizer.hyper
    sgd = torch.optim.SGD(params, lr=hyper["learning_rate"], weight_decay=hyper["weight_decay"])
    acts = {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": torch.relu,
        "linear": lambda z: z,
    }
    order = [int(r) for e in range(steps) for r in trainer.epoch_order(e)][:steps]
    for row in order:
        a = torch.tensor(trainer.inputs[row], dtype=torch.float64)
        t = torch.tensor(trainer.targets[row], dtype=torch.float64)
        for k, layer in enumerate(net.layers[1:]):
            z = params[2 * k] @ a
            if params[2 * k + 1].numel():
                z = z + params[2 * k + 1]
            a = acts[layer.activation](z)
        if net.loss.name == "half_sse":
            loss = 0.5 * ((t - a) ** 2).sum()
        elif net.loss.name == "mse":
            loss = ((t - a) ** 2).mean()
        else:
            loss = torch.nn.functional.binary_cross_entropy(a, t)
        sgd.zero_grad()
        loss.backward()
        sgd.step()
    return [p.detach().numpy() for p in params]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "-".join(map(str, s[0])) + s[2])
@pytest.mark.parametrize("decay", [0.0, 0.01])
def test_the_scalar_path_agrees_with_pytorch(shape, decay: float) -> None:
    torch = pytest.importorskip("torch")
    sizes, acts, loss, bias = shape
    lesson = random_lesson(
        sizes,
        acts,
        loss,
        bias=bias,
        samples=4,
        seed=6,
        training=TrainingSpec(batch_size=1, shuffle=True, seed=2),
        learning_rate=0.05,
        weight_decay=decay,
    )
    trainer = Trainer(lesson)
    theirs = _torch_run(torch, trainer, 400)
    trainer.run_steps(400)
    for ours, reference in zip(trainer.network.parameter_arrays(), theirs, strict=True):
        np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-8)


def test_no_lesson_text_reaches_the_generated_code() -> None:
    """Labels, names and descriptions carrying code change nothing in the generated
    source, and the source is made only of generated names and fixed words."""
    marker = "__import__('os').system('touch /tmp/pwned')"
    plain = seed000_lesson()
    layers = [replace(layer, labels=[marker] * layer.size) for layer in plain.layers]
    loaded = replace(plain, layers=layers, name=marker, description=marker)
    a, b = Trainer(plain).network.scalar_kernel(), Trainer(loaded).network.scalar_kernel()
    assert a is not None and b is not None
    assert a.source == b.source and "os" not in a.source and "import" not in a.source
    allowed = re.compile(r"^([pqzafgdtmv]\d*(_\d+)?|(forward|backward)_\d+|(block|adam)_\d_\d)$")
    words = {"def", "return", "for", "in", "if", "else", "not", "zip", "P", "X", "T", "O"}
    words |= {"x", "after", "nlr", "wd", "mom", "keep", "M", "extend", "_e", "_tanh", "_big_exp"}
    words |= {"V", "u", "st", "nss", "bs", "b1", "b2", "w", "c2", "eps", "_sqrt"}
    for shape in SHAPES:
        sizes, acts, loss, bias = shape
        kernel = kernel_for(Shape(tuple(sizes), tuple(acts), (bias,) * len(acts), loss))
        assert kernel is not None
        for token in tokenize.generate_tokens(io.StringIO(kernel.source).readline):
            if token.type == tokenize.NAME:
                assert token.string in words or allowed.match(token.string), token.string
            assert token.type != tokenize.STRING
    # names outside the fixed tables never make code
    assert kernel_for(Shape((2, 2), ("os.system('x')",), ("per_neuron",), "half_sse")) is None
    assert kernel_for(Shape((2, 2), ("sigmoid",), ("per_neuron",), "x; import os")) is None
    assert LayerSpec  # (the layers above are the spec's own dataclass)


def test_plain_sgd_blocks_count_the_optimizer_steps() -> None:
    """The generated block makes SGD's steps without propose: the saved step count is
    still one a step (the file stores it; PyTorch counts it)."""
    lesson = random_lesson(
        [2, 2, 1], ["tanh", "sigmoid"], "half_sse", samples=3, training=TrainingSpec(batch_size=1)
    )
    trainer = Trainer(lesson)
    trainer.run_steps(500)
    assert trainer.optimizer.steps() == [500] * 4
    assert trainer.optimizer.state_dict()["step"] == [500] * 4


def test_extreme_values_behave_as_in_numpy() -> None:
    """e^x overflowing (math.exp raises where NumPy gives ∞), saturated sigmoids and NaN:
    the scalar pass gives NumPy's values and raises nothing."""
    kernel = kernel_for(Shape((1, 3), ("sigmoid",), ("none",), "half_sse"))
    assert kernel is not None
    z, a, f = kernel.forward[1]([-1e6, 1e6, math.nan], [1.0])
    assert z[:2] == [-1e6, 1e6] and math.isnan(z[2])
    assert a[:2] == [0.0, 1.0] and f[:2] == [0.0, 0.0] and math.isnan(a[2])
    relu = kernel_for(Shape((1, 2), ("relu",), ("none",), "mse"))
    assert relu is not None
    _, a, f = relu.forward[1]([math.nan, -0.0], [1.0])
    assert math.isnan(a[0]) and a[1] == 0.0 and f == [0.0, 0.0]
    bce = kernel_for(Shape((1, 1), ("linear",), ("none",), "binary_cross_entropy"))
    assert bce is not None
    g, d, q = bce.backward[1]([2.0], [1.0], [1.0], [1.0], [1.0], [0.0])
    assert g == d == [1.0 / 1e-12] and q == [1.0 / 1e-12]  # PyTorch's floor on o(1 − o)
