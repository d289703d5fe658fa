"""The loss landscape: grid values are the engine's own loss, bit for bit; the network is
left alone; minima, saddles and the recorded path."""

from __future__ import annotations

import numpy as np
import pytest
from engine_lessons import random_lesson, seed000_lesson

from bpsim.core.network import Network
from bpsim.core.spec import Dataset, LayerSpec, Lesson, OptimizerSpec, Parameters, TrainingSpec
from bpsim.core.trainer import Trainer
from bpsim.teaching.descent import get_function
from bpsim.teaching.landscape import (
    DEFAULT_MAX_SAMPLES,
    LandscapeComputation,
    ParameterPath,
    critical_points,
    flat_index,
    loss_landscape,
    parameter_name,
    parameter_value,
    path_of,
)


def engine_loss_at(
    network: Network, inputs: np.ndarray, targets: np.ndarray, pa, pb, va: float, vb: float
) -> float:
    """Set the two parameters by hand, ask the engine, put them back."""
    saved = network.flat.copy()
    network.flat[flat_index(network, pa)] = va
    network.flat[flat_index(network, pb)] = vb
    try:
        return network.loss_on(inputs, targets)
    finally:
        network.flat[:] = saved


def assert_grid_is_engine_loss(network, inputs, targets, landscape) -> None:
    for row, vb in enumerate(landscape.b_values):
        for column, va in enumerate(landscape.a_values):
            expected = engine_loss_at(
                network, inputs, targets, landscape.param_a, landscape.param_b, va, vb
            )
            got = landscape.loss[row, column]
            assert got == expected or (np.isnan(got) and np.isnan(expected)), (row, column)


CASES = [
    # sizes, activations, loss, bias, param_a, param_b
    ([2, 3, 2], ["sigmoid", "sigmoid"], "half_sse", "per_neuron", (0, (1, 0)), (0, (2, 1))),
    ([2, 3, 2], ["tanh", "linear"], "mse", "per_neuron", (0, (1, 0)), (1, (2,))),
    (
        [2, 3, 2],
        ["relu", "sigmoid"],
        "binary_cross_entropy",
        "per_neuron",
        (2, (0, 1)),
        (0, (0, 0)),
    ),
    ([3, 4, 3], ["leaky_relu", "softmax"], "cross_entropy", "per_neuron", (1, (0,)), (3, (2,))),
    ([2, 3, 3, 2], ["sigmoid", "tanh", "sigmoid"], "half_sse", "shared", (1, (0,)), (5, (0,))),
    (
        [2, 3, 3, 2],
        ["sigmoid", "tanh", "softmax"],
        "cross_entropy",
        "per_neuron",
        (4, (1, 2)),
        (2, (0, 0)),
    ),
    ([4, 2, 1], ["sigmoid", "sigmoid"], "mse", "none", (0, (1, 3)), (2, (0, 1))),
]


@pytest.mark.parametrize(("sizes", "acts", "loss", "bias", "pa", "pb"), CASES)
def test_grid_values_are_the_engines_loss_exactly(sizes, acts, loss, bias, pa, pb) -> None:
    trainer = Trainer(random_lesson(sizes, acts, loss, bias=bias, samples=7, seed=3))
    network = trainer.network
    before = network.flat.tobytes()
    arrays_before = [a.copy() for a in network.parameter_arrays()]
    landscape = loss_landscape(
        network, trainer.inputs, trainer.targets, pa, pb, span=(0.8, 1.3), resolution=(5, 4)
    )
    assert network.flat.tobytes() == before  # bit-identical, never touched
    for a, b in zip(network.parameter_arrays(), arrays_before, strict=True):
        assert a.tobytes() == b.tobytes()
    assert landscape.loss.shape == (4, 5)
    assert_grid_is_engine_loss(network, trainer.inputs, trainer.targets, landscape)
    assert network.flat.tobytes() == before
    assert landscape.current_loss == network.loss_on(trainer.inputs, trainer.targets)


def test_either_order_of_the_two_parameters() -> None:
    trainer = Trainer(random_lesson([2, 3, 2], ["sigmoid", "sigmoid"], "half_sse", samples=6))
    net, x, t = trainer.network, trainer.inputs, trainer.targets
    low, high = (0, (1, 1)), (2, (1, 2))
    one = loss_landscape(net, x, t, low, high, 0.5, 5)
    two = loss_landscape(net, x, t, high, low, 0.5, 5)
    assert np.array_equal(one.loss, two.loss.T)


def test_odd_resolution_puts_the_current_point_in_the_middle() -> None:
    trainer = Trainer(seed000_lesson())
    net = trainer.network
    pa, pb = (2, (0, 0)), (3, (0,))
    landscape = loss_landscape(trainer, None, None, pa, pb, span=0.25, resolution=7)
    assert landscape.a_values[3] == parameter_value(net, pa) == landscape.current[0] == 0.18
    assert landscape.b_values[3] == parameter_value(net, pb) == 0.42
    assert (
        landscape.loss[3, 3]
        == landscape.current_loss
        == net.loss_on(trainer.inputs, trainer.targets)
    )
    assert landscape.a_values[0] == pytest.approx(0.18 - 0.25)
    assert landscape.a_values[-1] == pytest.approx(0.18 + 0.25)
    assert landscape.name_a == "W1[0, 0] (h1 → y1)"
    assert landscape.name_b == "b1[0] (b(y1, y2))"


def test_trainer_defaults_to_its_training_rows_and_trainer_state_is_untouched() -> None:
    lesson = random_lesson(
        [2, 3, 1],
        ["tanh", "sigmoid"],
        "binary_cross_entropy",
        samples=20,
        training=TrainingSpec(batch_size=4, validation_fraction=0.25, seed=2),
    )
    trainer = Trainer(lesson)
    trainer.run_steps(3)
    trainer.forward()
    phase, loss = trainer.phase, trainer.trace.loss  # type: ignore[union-attr]
    before = trainer.network.flat.tobytes()
    landscape = loss_landscape(trainer, None, None, (0, (2, 1)), (2, (0, 2)), 0.6, 5)
    rows = trainer.train_idx
    assert landscape.samples == len(rows) == 15
    assert_grid_is_engine_loss(
        trainer.network, trainer.inputs[rows], trainer.targets[rows], landscape
    )
    assert trainer.network.flat.tobytes() == before
    assert trainer.phase is phase and trainer.trace.loss == loss  # type: ignore[union-attr]
    trainer.step()  # training goes on as if nothing happened


def test_max_samples_takes_an_evenly_spaced_subset() -> None:
    trainer = Trainer(random_lesson([2, 3, 2], ["sigmoid", "sigmoid"], "mse", samples=50))
    net, x, t = trainer.network, trainer.inputs, trainer.targets
    landscape = loss_landscape(net, x, t, (0, (0, 0)), (0, (1, 1)), 1.0, 3, max_samples=9)
    assert landscape.samples == 9
    assert landscape.sample_rows[0] == 0 and landscape.sample_rows[-1] == 49
    assert np.all(np.diff(landscape.sample_rows) > 0)
    rows = landscape.sample_rows
    assert_grid_is_engine_loss(net, x[rows], t[rows], landscape)
    everything = loss_landscape(net, x, t, (0, (0, 0)), (0, (1, 1)), 1.0, 3, max_samples=None)
    assert everything.samples == 50
    assert DEFAULT_MAX_SAMPLES >= 50  # a small lesson is never subsampled by default
    default = loss_landscape(net, x, t, (0, (0, 0)), (0, (1, 1)), 1.0, 3)
    assert np.array_equal(default.loss, everything.loss)


def line_lesson(w: float, b: float) -> Lesson:
    """y = 2x + 1 fitted by one linear neuron: the loss over (w, b) is a bowl at (2, 1)."""
    x = np.linspace(-1.0, 1.0, 9)[:, None]
    return Lesson(
        layers=[LayerSpec(1), LayerSpec(1, "linear")],
        loss="mse",
        optimizer=OptimizerSpec.with_defaults("sgd", learning_rate=0.1),
        dataset=Dataset(x, 2 * x + 1),
        parameters=Parameters([np.array([[w]])], [np.array([b])]),
        training=TrainingSpec(batch_size=None),
    )


def test_minimum_of_a_known_bowl() -> None:
    trainer = Trainer(line_lesson(1.6, 1.5))
    landscape = loss_landscape(trainer, None, None, (0, (0, 0)), (1, (0,)), 1.0, 41)
    best = landscape.minimum
    assert best is not None and best.kind == "global_minimum"
    assert best.a == pytest.approx(2.0, abs=1e-9) and best.b == pytest.approx(1.0, abs=1e-9)
    assert best.loss == pytest.approx(0.0, abs=1e-20)
    assert not best.on_edge
    assert landscape.local_minima == () and landscape.saddles == ()
    assert landscape.critical_points[0] == best
    # the same bowl seen from far away: the minimum is beyond the grid, on its edge
    far = loss_landscape(
        Trainer(line_lesson(-3.0, 1.0)), None, None, (0, (0, 0)), (1, (0,)), 1.0, 11
    )
    assert far.minimum is not None and far.minimum.on_edge and far.minimum.column == 10


def test_critical_points_of_a_saddle_and_two_wells() -> None:
    xs = np.linspace(-1.0, 1.0, 21)
    x, y = np.meshgrid(xs, xs)
    saddle = critical_points(x * x - y * y, xs, xs)
    kinds = [p.kind for p in saddle]
    assert kinds.count("saddle") == 1
    point = next(p for p in saddle if p.kind == "saddle")
    assert (point.a, point.b) == (0.0, 0.0) and (point.column, point.row) == (10, 10)
    tilted = critical_points(x * y, xs, xs)
    assert [(p.a, p.b) for p in tilted if p.kind == "saddle"] == [(0.0, 0.0)]

    j = get_function("seed004_J")
    a, b, values = j.grid(81)
    found = critical_points(values, a, b)
    best = found[0]
    assert best.kind == "global_minimum"
    assert best.a == pytest.approx(-0.55, abs=0.05) and best.b == pytest.approx(-0.46, abs=0.05)
    (local,) = [p for p in found if p.kind == "local_minimum"]
    assert local.a == pytest.approx(0.8, abs=0.05) and local.b == pytest.approx(0.8, abs=0.05)
    assert local.loss > best.loss
    saddles = [p for p in found if p.kind == "saddle"]
    assert len(saddles) == 1
    assert saddles[0].a == pytest.approx(0.33, abs=0.06)
    assert saddles[0].b == pytest.approx(0.35, abs=0.06)


def test_critical_points_ignore_non_finite_values() -> None:
    xs = np.linspace(-1.0, 1.0, 5)
    grid = np.add.outer(xs * xs, xs * xs)
    grid[0, 0] = np.nan
    grid[4, 4] = np.inf
    points = critical_points(grid, xs, xs)
    assert points[0].kind == "global_minimum" and (points[0].a, points[0].b) == (0.0, 0.0)
    assert critical_points(np.full((3, 3), np.nan), xs[:3], xs[:3]) == ()
    with pytest.raises(ValueError):
        critical_points(grid, xs[:4], xs)


def test_a_network_with_twin_minima_and_a_saddle() -> None:
    """x → tanh(w·x) → v·h: (w, v) and (−w, −v) fit equally well (tanh is odd), and at
    (0, 0) the loss is flat both ways but curves up along one diagonal and down along
    the other: a saddle, exactly on the grid."""
    x = np.linspace(-2.0, 2.0, 9)[:, None]
    lesson = Lesson(
        layers=[LayerSpec(1), LayerSpec(1, "tanh", "none"), LayerSpec(1, "linear", "none")],
        loss="mse",
        optimizer=OptimizerSpec.with_defaults("sgd", learning_rate=0.1),
        dataset=Dataset(x, 0.8 * np.tanh(1.5 * x)),
        parameters=Parameters([np.array([[0.0]]), np.array([[0.0]])], [np.zeros(0), np.zeros(0)]),
    )
    landscape = loss_landscape(Trainer(lesson), None, None, (0, (0, 0)), (2, (0, 0)), 2.5, 51)
    found = [(p.kind, p.a, p.b) for p in landscape.critical_points]
    assert found[0] == ("global_minimum", pytest.approx(-1.5), pytest.approx(-0.8))
    assert found[1] == ("global_minimum", pytest.approx(1.5), pytest.approx(0.8))
    assert found[2:] == [("saddle", 0.0, 0.0)]
    assert landscape.minimum == landscape.critical_points[0]
    assert landscape.minimum.loss == pytest.approx(0.0, abs=1e-28)
    assert landscape.saddles[0].loss == landscape.current_loss


def test_false_minima_along_a_curved_valley_floor_are_dropped() -> None:
    xs = np.linspace(-2.0, 2.0, 41)
    x, y = np.meshgrid(xs, xs)
    # a parabola-shaped valley, steep across, falling gently towards (−2, 4)…(2, 4)
    valley = 50 * (y - x * x) ** 2 + 0.05 * (x - 2) ** 2
    points = critical_points(valley, xs, xs)
    assert [p.kind for p in points] == ["global_minimum"]
    raw = critical_points(valley, xs, xs, margin=0.0)
    assert len(raw) > 5  # without the basin test the grid shows a dozen false minima


def test_incremental_computation_matches_and_ignores_later_training() -> None:
    trainer = Trainer(random_lesson([2, 4, 2], ["tanh", "sigmoid"], "half_sse", samples=8))
    pa, pb = (0, (3, 1)), (2, (1, 3))
    whole = loss_landscape(trainer, None, None, pa, pb, 0.7, 9)
    job = LandscapeComputation(trainer, None, None, pa, pb, 0.7, 9)
    assert job.progress == 0 and not job.done
    assert job.compute_rows(4) == 4 and job.progress == pytest.approx(4 / 9)
    trainer.run_steps(5)  # the computation copied the parameters when it began
    assert job.compute_rows(100) == 5 and job.done
    assert job.compute_rows(1) == 0
    result = job.result()
    assert np.array_equal(result.loss, whole.loss)
    assert result.current == whole.current


def test_refusals() -> None:
    trainer = Trainer(random_lesson([2, 3, 2], ["sigmoid", "sigmoid"], "mse", mask_first=True))
    net, x, t = trainer.network, trainer.inputs, trainer.targets
    ok = (2, (0, 0))
    with pytest.raises(ValueError, match="different"):
        loss_landscape(net, x, t, ok, (2, (0, 0)), 1.0, 5)
    with pytest.raises(ValueError, match="does not exist"):
        loss_landscape(net, x, t, ok, (4, (0,)), 1.0, 5)
    with pytest.raises(ValueError, match="outside"):
        loss_landscape(net, x, t, ok, (2, (0, 3)), 1.0, 5)
    with pytest.raises(ValueError, match="outside"):
        loss_landscape(net, x, t, ok, (1, (0, 0)), 1.0, 5)
    with pytest.raises(ValueError, match="span"):
        loss_landscape(net, x, t, ok, (3, (0,)), 0.0, 5)
    with pytest.raises(ValueError, match="resolution"):
        loss_landscape(net, x, t, ok, (3, (0,)), 1.0, 1)
    with pytest.raises(ValueError, match="inputs and targets"):
        loss_landscape(net, None, None, ok, (3, (0,)), 1.0, 5)
    with pytest.raises(ValueError, match="inputs must"):
        loss_landscape(net, x[:, :1], t, ok, (3, (0,)), 1.0, 5)
    with pytest.raises(ValueError, match="parameter is"):
        loss_landscape(net, x, t, ok, "b0", 1.0, 5)  # type: ignore[arg-type]
    mask = net.masks[0]
    assert mask is not None
    j, i = (int(v) for v in np.argwhere(mask == 0)[0])
    with pytest.raises(ValueError, match="masked"):
        loss_landscape(net, x, t, ok, (0, (j, i)), 1.0, 5)
    # a bias may be named with a bare index
    landscape = loss_landscape(net, x, t, ok, (3, 1), 1.0, 3)
    assert landscape.param_b == (3, (1,))


def test_parameter_names_and_flat_indices() -> None:
    trainer = Trainer(seed000_lesson())
    net = trainer.network
    assert parameter_name(net, (0, (1, 0))) == "W0[1, 0] (x1 → h2)"
    assert parameter_name(net, (1, (0,))) == "b0[0] (b(h1, h2))"
    assert flat_index(net, (0, (1, 0))) == 2
    assert flat_index(net.layout, (2, (1, 1))) == 5 + 3
    assert parameter_value(net, (2, (1, 1))) == 0.26


# --------------------------------------------------------------------------- the path


def test_path_records_and_decimates_with_bounded_memory() -> None:
    path = ParameterPath(max_points=8)
    assert len(path) == 0 and path.arrays()[0].size == 0
    for n in range(100):
        path.append(float(n), -float(n))
        assert len(path) <= 9
    a, b = path.arrays()
    assert a[0] == 0.0 and a[-1] == 99.0  # starts at the start, ends where the network is
    assert np.array_equal(b, -a)
    ordinals = path.ordinals()
    assert np.array_equal(ordinals, a.astype(np.int64))
    kept = ordinals[:-1]
    assert np.all(np.diff(kept) == path.stride) and path.stride >= 8
    assert path.appended == 100


def test_path_keeps_everything_below_the_bound_and_rewinds() -> None:
    path = ParameterPath()
    for n in range(1000):
        path.append(n * 0.5, n * 0.25)
    a, b = path.arrays()
    assert len(path) == 1000 and path.stride == 1
    assert np.array_equal(a, np.arange(1000) * 0.5)
    path.truncate(10)
    a, b = path.arrays()
    assert len(a) == 10 and a[-1] == 4.5 and b[-1] == 2.25
    path.append(100.0, 200.0)
    assert path.arrays()[0][-1] == 100.0 and len(path) == 11
    path.clear()
    assert len(path) == 0


def test_a_long_run_stays_bounded() -> None:
    path = ParameterPath()
    for n in range(250_000):
        path.append(float(n), 0.0)
    assert len(path) <= 100_001
    a, _ = path.arrays()
    assert a[0] == 0.0 and a[-1] == 249_999.0


def test_path_of_pairs_and_of_flat_vectors() -> None:
    trainer = Trainer(seed000_lesson())
    net = trainer.network
    pa, pb = (2, (0, 0)), (3, (0,))
    history = [net.flat.copy()]
    for _ in range(5):
        trainer.step()
        history.append(net.flat.copy())
    path = path_of(history, pa, pb, net)
    a, b = path.arrays()
    assert np.array_equal(a, [h[flat_index(net, pa)] for h in history])
    assert np.array_equal(b, [h[flat_index(net, pb)] for h in history])
    assert a[-1] == parameter_value(net, pa)
    pairs = path_of(list(zip(a, b, strict=True)))
    assert np.array_equal(pairs.arrays()[0], a) and np.array_equal(pairs.arrays()[1], b)
    assert len(path_of([])) == 0
    with pytest.raises(ValueError):
        path_of([(1.0, 2.0, 3.0)])
    with pytest.raises(ValueError):
        path_of(history, pa)


def test_digits_landscape_uses_a_bounded_sample() -> None:
    """On a big data set the grid averages over DEFAULT_MAX_SAMPLES evenly spaced rows (its
    speed is measured in benchmarks, not here)."""
    from bpsim.fileformat import load_lesson
    from bpsim.lessons.examples import find_example

    example = find_example("digits")
    assert example is not None
    trainer = Trainer(load_lesson(example.path))
    landscape = loss_landscape(trainer, None, None, (4, (0, 1)), (4, (3, 5)), 0.5, 41)
    assert landscape.loss.shape == (41, 41) and np.isfinite(landscape.loss).all()
    assert landscape.samples == DEFAULT_MAX_SAMPLES
