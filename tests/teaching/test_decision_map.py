"""Decision maps and neuron maps: the network's own forward pass over a grid."""

from __future__ import annotations

import numpy as np
import pytest
from engine_lessons import random_lesson, seed000_lesson

from bpsim.core.trainer import Trainer
from bpsim.teaching import decision_map as dm
from bpsim.teaching.decision_map import decision_map, grid_points, neuron_map, suggest_range


def network(sizes: list[int], activations: list[str], loss: str = "half_sse", seed: int = 0):
    return Trainer(random_lesson(sizes, activations, loss, seed=seed)).network


def test_grid_points_run_x_fastest() -> None:
    xs, ys, points = grid_points((-1.0, 1.0), (0.0, 3.0), (5, 4))
    assert np.array_equal(xs, np.linspace(-1.0, 1.0, 5))
    assert np.array_equal(ys, np.linspace(0.0, 3.0, 4))
    assert points.shape == (20, 2)
    for row in range(4):
        for column in range(5):
            assert tuple(points[row * 5 + column]) == (xs[column], ys[row])


def test_single_output_map_is_the_networks_output() -> None:
    net = network([2, 4, 1], ["tanh", "sigmoid"])
    m = decision_map(net, (-2.0, 2.0), (-1.0, 3.0), (30, 20))
    assert m.values.shape == m.shape == (20, 30)
    assert m.kind == "output" and m.index == 0 and m.label == "y1"
    assert m.value_range == (0.0, 1.0)
    _, _, points = grid_points((-2.0, 2.0), (-1.0, 3.0), (30, 20))
    # one forward over every point: the very numbers Network.outputs gives
    assert np.array_equal(m.values.ravel(), net.outputs(points)[1][:, 0])
    for row, column in [(0, 0), (19, 29), (7, 13), (12, 3)]:
        point = np.array([[m.xs[column], m.ys[row]]])
        assert m.values[row, column] == pytest.approx(net.outputs(point)[1][0, 0], rel=1e-13)


def test_several_outputs_give_the_winning_class() -> None:
    net = network([2, 5, 3], ["relu", "softmax"], "cross_entropy", seed=4)
    m = decision_map(net, (-3.0, 3.0), (-3.0, 3.0), 25)
    assert m.kind == "class" and m.classes == 3 and m.index is None
    assert m.value_range == (0.0, 2.0)
    _, _, points = grid_points((-3.0, 3.0), (-3.0, 3.0), 25)
    outputs = net.outputs(points)[1]
    assert np.array_equal(m.values.ravel(), np.argmax(outputs, axis=1).astype(float))
    assert m.confidence is not None
    assert np.array_equal(m.confidence.ravel(), outputs.max(axis=1))
    one = decision_map(net, (-3.0, 3.0), (-3.0, 3.0), 25, output=2)
    assert one.kind == "output" and one.label == "y3"
    assert np.array_equal(one.values.ravel(), outputs[:, 2])
    with pytest.raises(ValueError, match="output 3"):
        decision_map(net, (-3.0, 3.0), (-3.0, 3.0), 25, output=3)


def test_neuron_maps() -> None:
    net = network([2, 3, 2, 1], ["sigmoid", "tanh", "linear"])
    x_range, y_range = (-1.5, 1.5), (-2.0, 2.0)
    _, ys, points = grid_points(x_range, y_range, (11, 9))
    h1 = neuron_map(net, 1, 2, x_range, y_range, (11, 9))
    expected = 1.0 / (1.0 + np.exp(-(points @ net.weights[0][2] + net.biases[0][2])))
    assert h1.kind == "neuron" and h1.layer == 1 and h1.index == 2 and h1.label == "h1_3"
    assert h1.values.shape == (9, 11)
    np.testing.assert_allclose(h1.values.ravel(), expected, rtol=1e-14)
    z = neuron_map(net, 1, 2, x_range, y_range, (11, 9), net_input=True)
    np.testing.assert_allclose(
        z.values.ravel(), points @ net.weights[0][2] + net.biases[0][2], rtol=1e-14
    )
    lo, hi = z.value_range
    assert lo == -hi  # centred: the neuron's line z = 0 is the middle colour
    second = neuron_map(net, 2, 1, x_range, y_range, (11, 9))
    hidden1 = 1.0 / (1.0 + np.exp(-(points @ net.weights[0].T + net.biases[0])))
    np.testing.assert_allclose(
        second.values.ravel(), np.tanh(hidden1 @ net.weights[1][1] + net.biases[1][1]), rtol=1e-13
    )
    assert second.value_range == (-1.0, 1.0)
    out = neuron_map(net, 3, 0, x_range, y_range, (11, 9))
    assert np.array_equal(out.values, decision_map(net, x_range, y_range, (11, 9)).values)
    x2 = neuron_map(net, 0, 1, x_range, y_range, (11, 9))
    assert np.array_equal(x2.values, np.repeat(ys, 11).reshape(9, 11))
    for layer, index in [(4, 0), (1, 3), (-1, 0)]:
        with pytest.raises(ValueError):
            neuron_map(net, layer, index, x_range, y_range, 5)
    with pytest.raises(ValueError):
        neuron_map(net, 0, 0, x_range, y_range, 5, net_input=True)


def test_big_maps_are_chunked_without_changing_values(monkeypatch: pytest.MonkeyPatch) -> None:
    net = network([2, 6, 2], ["tanh", "sigmoid"])
    whole = decision_map(net, (-1.0, 1.0), (-1.0, 1.0), 120, output=1)
    monkeypatch.setattr(dm, "_CHUNK_BYTES", 1024)  # chunks of 256 points
    chunked = decision_map(net, (-1.0, 1.0), (-1.0, 1.0), 120, output=1)
    np.testing.assert_allclose(chunked.values, whole.values, rtol=1e-14)
    hidden = neuron_map(net, 1, 4, (-1.0, 1.0), (-1.0, 1.0), 120)
    monkeypatch.undo()
    np.testing.assert_allclose(
        hidden.values, neuron_map(net, 1, 4, (-1.0, 1.0), (-1.0, 1.0), 120).values, rtol=1e-14
    )


def test_the_worked_example_map_matches_its_forward_pass() -> None:
    trainer = Trainer(seed000_lesson())
    trainer.forward()
    m = decision_map(trainer.network, (0.95, 1.95), (0.06, 1.06), 3, output=0)
    assert trainer.trace is not None
    assert m.values[0, 0] == pytest.approx(trainer.trace.a[2][0, 0], rel=1e-14)  # 0.63371…
    assert round(m.values[0, 0], 5) == 0.63371


def test_refuses_networks_without_two_inputs_and_bad_grids() -> None:
    three = network([3, 2, 1], ["sigmoid", "sigmoid"])
    with pytest.raises(ValueError, match="2 inputs; this one has 3"):
        decision_map(three, (0.0, 1.0), (0.0, 1.0), 10)
    with pytest.raises(ValueError, match="2 inputs"):
        neuron_map(three, 1, 0, (0.0, 1.0), (0.0, 1.0), 10)
    net = network([2, 2, 1], ["sigmoid", "sigmoid"])
    for x_range in [(1.0, 0.0), (0.0, np.inf), (0.0,)]:
        with pytest.raises(ValueError, match="x_range"):
            decision_map(net, x_range, (0.0, 1.0), 10)
    for resolution in [1, (10, 1), dm.MAX_RESOLUTION + 1]:
        with pytest.raises(ValueError, match="resolution"):
            decision_map(net, (0.0, 1.0), (0.0, 1.0), resolution)


def test_suggest_range_pads_the_data() -> None:
    inputs = np.array([[0.0, 10.0], [2.0, 30.0], [1.0, 20.0]])
    (x0, x1), (y0, y1) = suggest_range(inputs)
    assert (x0, x1) == pytest.approx((-0.2, 2.2))
    assert (y0, y1) == pytest.approx((8.0, 32.0))
    (x0, x1), _ = suggest_range(inputs, padding=0.5)
    assert (x0, x1) == pytest.approx((-1.0, 3.0))
    flat = suggest_range(np.array([[5.0, 1.0], [5.0, 2.0]]))
    assert flat[0] == (4.0, 6.0)
    assert suggest_range(np.zeros((0, 2))) == ((-1.0, 1.0), (-1.0, 1.0))
    assert suggest_range(np.array([[np.nan, 0.0], [1.0, 1.0], [3.0, np.inf]]))[0] == pytest.approx(
        (0.8, 3.2)
    )
    with pytest.raises(ValueError, match="2 columns"):
        suggest_range(np.zeros((4, 3)))
    # the suggestion makes a valid map
    net = network([2, 2, 1], ["sigmoid", "sigmoid"])
    x_range, y_range = suggest_range(inputs)
    assert decision_map(net, x_range, y_range, 8).values.shape == (8, 8)
