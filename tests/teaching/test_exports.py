"""Handouts: the parameters and optimizer state as JSON, NumPy and PyTorch."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from engine_lessons import random_lesson, seed000_lesson

from bpsim.core.spec import Lesson, TrainingSpec
from bpsim.core.trainer import Trainer
from bpsim.teaching.exports import numpy_snippet, parameters_json, pytorch_snippet

OPTIMIZERS = [
    ("sgd", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("sgd", {}),
    ("adagrad", {"lr_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("rmsprop", {"centered": True, "momentum": 0.5}),
    ("adam", {"amsgrad": True, "weight_decay": 0.01, "beta1": 0.8}),
    ("adadelta", {"rho": 0.8}),
]

NETWORKS = [
    # sizes, activations, loss, bias mode, mask the first layer
    ([3, 4, 2], ["tanh", "sigmoid"], "mse", "per_neuron", False),
    ([2, 5, 3], ["relu", "softmax"], "cross_entropy", "shared", True),
    ([3, 4, 4, 1], ["leaky_relu", "linear", "sigmoid"], "binary_cross_entropy", "none", False),
    ([2, 3, 2], ["sigmoid", "linear"], "half_sse", "per_neuron", True),
]


def trained(lesson: Lesson, steps: int = 3) -> Trainer:
    t = Trainer(lesson)
    t.run_steps(steps)
    return t


def network_lesson(n: int, optimizer: str = "adam", **hyper: Any) -> Lesson:
    sizes, activations, loss, bias, mask = NETWORKS[n]
    return random_lesson(
        sizes,
        activations,
        loss,
        bias=bias,
        samples=9,
        seed=n,
        optimizer=optimizer,
        mask_first=mask,
        training=TrainingSpec(batch_size=4, shuffle=True, seed=2),
        **hyper,
    )


def run_snippet(text: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "snippet"}
    exec(compile(text, "<snippet>", "exec"), namespace)
    return namespace


@pytest.mark.parametrize(("optimizer", "hyper"), OPTIMIZERS)
def test_parameters_json_holds_every_bit_and_resumes_the_optimizer(
    optimizer: str, hyper: dict
) -> None:
    lesson = network_lesson(1, optimizer, **hyper)
    t = trained(lesson, 5)
    data = json.loads(parameters_json(t))
    for got, have in zip(data["parameters"]["weights"], t.network.weights, strict=True):
        assert np.array(got, dtype=np.float64).tobytes() == have.tobytes()
    for got, have in zip(data["parameters"]["biases"], t.network.biases, strict=True):
        assert np.array(got, dtype=np.float64).tobytes() == have.tobytes()
    assert data["optimizer"] == {"name": optimizer, **t.optimizer.hyper}
    assert data["counters"] == {
        "epoch": t.epoch,
        "step": 5,
        "batch": t.batch_index,
        "phase": "updated",
    }
    assert data["loss"] == "cross_entropy" and data["layers"][1]["bias"] == "shared"
    assert data["layers"][1]["mask"] == (lesson.layers[1].mask != 0).astype(int).tolist()
    # the state goes on exactly where the simulator stopped
    other = Trainer(lesson)
    other.set_parameters(t.network.parameters())
    other.optimizer.load_state_dict(data["optimizer_state"])
    other.epoch, other.batch_index, other.step_count = t.epoch, t.batch_index, t.step_count
    t.step()
    other.step()
    assert t.network.flat.tobytes() == other.network.flat.tobytes()


def test_parameters_json_refuses_numbers_json_cannot_hold() -> None:
    t = trained(random_lesson([2, 3, 1], ["tanh", "sigmoid"], "mse", optimizer="adam"), 1)
    t.optimizer.optimizer.buffers()["exp_avg_sq"][0][2] = math.inf
    with pytest.raises(ValueError, match=r"optimizer_state\.exp_avg_sq\[0\]"):
        parameters_json(t)


@pytest.mark.parametrize("n", range(len(NETWORKS)))
def test_numpy_snippet_computes_the_outputs_bit_for_bit(n: int) -> None:
    lesson = network_lesson(n, "rmsprop", momentum=0.3)
    t = trained(lesson, 4)
    text = numpy_snippet(t)
    snippet = run_snippet(text)
    rng = np.random.default_rng(n)
    for rows in (1, 4, 37):
        x = rng.normal(size=(rows, t.network.sizes[0])) * 3
        z, a = t.network.outputs(x)
        z2, a2 = snippet["outputs"](x)
        assert z2.tobytes() == z.tobytes() and a2.tobytes() == a.tobytes()
        assert snippet["forward"](x).tobytes() == a.tobytes()
        targets = t.targets[rng.integers(0, len(t.targets), size=rows)]
        assert snippet["loss"](x, targets) == t.network.loss_on(x, targets)
    for k, (w, b) in enumerate(zip(t.network.weights, t.network.biases, strict=True)):
        assert snippet[f"W{k}"].tobytes() == w.tobytes()
        assert snippet[f"b{k}"].tobytes() == b.tobytes()
    buffers = t.optimizer.buffers()
    state = snippet["optimizer_state"]
    assert state["step"]["W0"] == 4
    assert snippet["optimizer"]["momentum"] == 0.3
    assert state["square_avg"]["W1"].tobytes() == buffers["square_avg"][2].tobytes()
    if NETWORKS[n][4]:
        np.testing.assert_array_equal(snippet["M0"], lesson.layers[1].mask != 0)


def test_numpy_snippet_reads_like_the_seed() -> None:
    t = Trainer(seed000_lesson(momentum=0.9))
    text = numpy_snippet(t)
    assert "W0 = np.array([\n    [0.1, 0.15],\n    [0.03, 0.08],\n])" in text
    assert "b0 = np.array([0.05])" in text
    assert "one bias shared by the whole layer" in text
    assert "def sigmoid(z):" in text and "def tanh(z):" not in text
    assert "'momentum_buffer': {\n        'W0': None," in text  # SGD has no buffer yet
    snippet = run_snippet(text)
    assert round(snippet["loss"](t.inputs, t.targets), 6) == 0.184979
    big = random_lesson([3, 40, 2], ["tanh", "sigmoid"], "mse")
    assert max(len(line) for line in numpy_snippet(Trainer(big)).splitlines()) <= 100


def test_snippets_survive_an_awkward_name() -> None:
    lesson = seed000_lesson()
    lesson.name = 'XOR """ with \\ backslashes'
    t = Trainer(lesson)
    run_snippet(numpy_snippet(t))
    compile(pytorch_snippet(t), "<snippet>", "exec")


@pytest.mark.parametrize(("optimizer", "hyper"), OPTIMIZERS)
@pytest.mark.parametrize("n", range(len(NETWORKS)))
def test_pytorch_snippet_matches_outputs_and_the_next_step(
    n: int, optimizer: str, hyper: dict
) -> None:
    torch = pytest.importorskip("torch")
    lesson = network_lesson(n, optimizer, **hyper)
    if n == 3:
        lesson.layers[2].train_weights = False  # a frozen array
    t = trained(lesson, 3)
    snippet = run_snippet(pytorch_snippet(t))
    model = snippet["model"]
    x = np.random.default_rng(n).normal(size=(6, t.network.sizes[0]))
    with torch.no_grad():
        out = model(torch.tensor(x)).numpy()
    np.testing.assert_allclose(out, t.network.outputs(x)[1], rtol=1e-13, atol=1e-15)
    # one more step on the same batch, here and there
    rows = t.next_batch()
    xb, tb = torch.tensor(t.inputs[rows]), torch.tensor(t.targets[rows])
    loss = snippet["train_step"](xb, tb)
    assert loss == pytest.approx(t.step(), rel=1e-12, abs=1e-15)
    for array, tensor in zip(t.network.parameter_arrays(), snippet["arrays"], strict=True):
        if tensor is None:
            assert array.size == 0
            continue
        np.testing.assert_allclose(tensor.detach().numpy(), array, rtol=1e-9, atol=1e-12)
