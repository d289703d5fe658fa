"""Built-in data sets: shapes, value ranges, determinism by seed, names and ``source``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bpsim.core.spec import MAX_SAMPLES, Dataset
from bpsim.datasets import (
    DatasetError,
    builtin_description,
    builtin_names,
    builtin_options,
    classification2d,
    load_builtin,
    logic,
    regression,
)

GATES = {
    "and": [0, 0, 0, 1],
    "or": [0, 1, 1, 1],
    "nand": [1, 1, 1, 0],
    "xor": [0, 1, 1, 0],
}
TWO_D = ["circle", "gaussians", "xor_quadrants", "spiral", "moons"]
SEEDED = [*TWO_D, "sine", "plane"]


def check_dataset(d: Dataset, n: int, n_in: int, n_out: int) -> None:
    """Every data set: float64 C arrays of the right shapes, finite, names that fit."""
    assert isinstance(d, Dataset)
    assert d.inputs.shape == (n, n_in)
    assert d.targets.shape == (n, n_out)
    for a in (d.inputs, d.targets):
        assert a.dtype == np.float64
        assert np.all(np.isfinite(a))
    if d.input_names is not None:
        assert len(d.input_names) == n_in
    if d.target_names is not None:
        assert len(d.target_names) == n_out
    assert d.size == n


def test_names_in_menu_order() -> None:
    assert builtin_names() == [
        "and", "or", "nand", "xor",
        "circle", "gaussians", "xor_quadrants", "spiral", "moons",
        "house_prices", "sine", "plane",
        "digits", "iris",
    ]  # fmt: skip


@pytest.mark.parametrize("name", builtin_names())
def test_every_builtin_loads_with_defaults(name: str) -> None:
    d = load_builtin(name, {})
    assert d.source == {"builtin": name}
    assert d.input_names is not None and d.target_names is not None
    sentence = builtin_description(name)
    assert sentence and sentence.endswith(".") and "\n" not in sentence
    options = builtin_options(name)
    assert isinstance(options, dict)
    # The defaults are accepted back as explicit options and give the same data.
    again = load_builtin(name, options)
    np.testing.assert_array_equal(again.inputs, d.inputs)
    np.testing.assert_array_equal(again.targets, d.targets)
    assert again.source == {"builtin": name, **options}


def test_builtin_options_are_fresh_copies() -> None:
    options = builtin_options("circle")
    options["size"] = 3
    assert builtin_options("circle")["size"] == 200


def test_option_defaults() -> None:
    assert builtin_options("xor") == {"one_hot": False}
    assert builtin_options("circle") == {"size": 200, "noise": 0.05, "seed": 0, "one_hot": False}
    assert builtin_options("gaussians")["noise"] == 0.3
    assert builtin_options("house_prices") == {"standardize": True}
    assert builtin_options("sine") == {"size": 100, "noise": 0.1, "seed": 0}
    assert builtin_options("plane") == {
        "size": 100, "noise": 0.1, "seed": 0, "a": 1.5, "b": -0.5, "c": 0.25
    }  # fmt: skip
    assert builtin_options("digits") == {"size": 1797, "scale": True}
    assert builtin_options("iris") == {"standardize": True}


def test_none_options_mean_defaults() -> None:
    d = load_builtin("xor")
    assert d.source == {"builtin": "xor"}
    np.testing.assert_array_equal(load_builtin("xor", None).targets, d.targets)


def test_a_builtin_key_repeating_the_name_is_allowed() -> None:
    d = load_builtin("circle", {"builtin": "circle", "size": 5})
    assert d.source == {"builtin": "circle", "size": 5}
    assert d.size == 5


def test_source_keeps_options_as_given() -> None:
    d = load_builtin("spiral", {"seed": 7, "noise": 0})
    assert d.source == {"builtin": "spiral", "seed": 7, "noise": 0}


# --- logic gates ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "truth"), GATES.items())
def test_gate_truth_tables(name: str, truth: list[int]) -> None:
    d = load_builtin(name, {})
    check_dataset(d, 4, 2, 1)
    np.testing.assert_array_equal(d.inputs, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(d.targets[:, 0], truth)
    assert d.input_names == ["a", "b"]
    assert d.target_names == [f"a {name} b"]


@pytest.mark.parametrize(("name", "truth"), GATES.items())
def test_gate_one_hot_false_is_1_0_and_true_is_0_1(name: str, truth: list[int]) -> None:
    d = load_builtin(name, {"one_hot": True})
    check_dataset(d, 4, 2, 2)
    expected = np.array([[0.0, 1.0] if t else [1.0, 0.0] for t in truth])
    np.testing.assert_array_equal(d.targets, expected)
    assert d.target_names == ["false", "true"]


def test_gate_functions_return_fresh_arrays() -> None:
    d = logic.gate_xor()
    d.inputs[0, 0] = 9.0
    assert logic.gate_xor().inputs[0, 0] == 0.0


# --- 2-D classification --------------------------------------------------------------------


@pytest.mark.parametrize("name", TWO_D)
def test_two_d_shapes_and_ranges(name: str) -> None:
    d = load_builtin(name, {})
    check_dataset(d, 200, 2, 1)
    assert set(np.unique(d.targets)) == {0.0, 1.0}
    # Roughly [-1, 1]²: the clean points are inside; jitter only moves them a little.
    clean = load_builtin(name, {"noise": 0.0}) if name != "gaussians" else None
    if clean is not None:
        assert np.all(np.abs(clean.inputs) <= 1.0 + 1e-12)
    assert np.all(np.abs(d.inputs) < 2.5)
    assert d.input_names == ["x1", "x2"]
    assert d.target_names == ["class"]


@pytest.mark.parametrize("name", TWO_D)
@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_two_d_sizes(name: str, size: int) -> None:
    d = load_builtin(name, {"size": size})
    check_dataset(d, size, 2, 1)


@pytest.mark.parametrize("name", ["gaussians", "spiral", "moons"])
@pytest.mark.parametrize("size", [2, 9, 200, 201])
def test_balanced_sets_split_the_classes_in_half(name: str, size: int) -> None:
    d = load_builtin(name, {"size": size})
    assert int(d.targets.sum()) == size // 2


@pytest.mark.parametrize("name", ["gaussians", "spiral", "moons"])
def test_balanced_sets_are_shuffled(name: str) -> None:
    """Classes are mixed through the rows, so consecutive batches see both."""
    labels = load_builtin(name, {"size": 200}).targets[:, 0]
    assert 0.2 < labels[:100].mean() < 0.8
    assert np.count_nonzero(np.diff(labels)) > 40


@pytest.mark.parametrize("name", TWO_D)
def test_two_d_one_hot(name: str) -> None:
    plain = load_builtin(name, {"seed": 3})
    d = load_builtin(name, {"seed": 3, "one_hot": True})
    check_dataset(d, 200, 2, 2)
    np.testing.assert_array_equal(d.inputs, plain.inputs)
    np.testing.assert_array_equal(d.targets[:, 1], plain.targets[:, 0])
    np.testing.assert_array_equal(d.targets.sum(axis=1), 1.0)
    assert d.target_names == ["false", "true"]


def test_circle_labels_follow_the_radius() -> None:
    d = load_builtin("circle", {"noise": 0.0, "size": 2000})
    inside = np.hypot(d.inputs[:, 0], d.inputs[:, 1]) < classification2d.CIRCLE_RADIUS
    np.testing.assert_array_equal(d.targets[:, 0], inside)
    assert 0.4 < d.targets.mean() < 0.6  # the radius halves the square's area


def test_xor_quadrants_labels_follow_the_signs() -> None:
    d = load_builtin("xor_quadrants", {"noise": 0.0, "size": 500})
    np.testing.assert_array_equal(d.targets[:, 0], d.inputs[:, 0] * d.inputs[:, 1] < 0)


def test_gaussians_centres_and_spread() -> None:
    d = load_builtin("gaussians", {"size": 20000, "noise": 0.2})
    labels = d.targets[:, 0] == 1.0
    np.testing.assert_allclose(d.inputs[labels].mean(axis=0), [0.5, 0.5], atol=0.01)
    np.testing.assert_allclose(d.inputs[~labels].mean(axis=0), [-0.5, -0.5], atol=0.01)
    np.testing.assert_allclose(d.inputs[labels].std(axis=0), [0.2, 0.2], atol=0.01)
    exact = load_builtin("gaussians", {"size": 10, "noise": 0})
    np.testing.assert_array_equal(np.abs(exact.inputs), 0.5)


def test_spiral_arms_are_half_a_turn_apart() -> None:
    d = load_builtin("spiral", {"noise": 0.0, "size": 400})
    radius = np.hypot(d.inputs[:, 0], d.inputs[:, 1])
    angle = np.arctan2(d.inputs[:, 1], d.inputs[:, 0])
    expected = 2 * math.pi * classification2d.SPIRAL_TURNS * radius + math.pi * d.targets[:, 0]
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-9)
    assert radius.max() <= 1.0


def test_moons_fill_the_square() -> None:
    d = load_builtin("moons", {"noise": 0.0, "size": 5000})
    assert d.inputs.min() >= -1.0 - 1e-12 and d.inputs.max() <= 1.0 + 1e-12
    upper = d.inputs[d.targets[:, 0] == 0]
    lower = d.inputs[d.targets[:, 0] == 1]
    assert upper[:, 1].mean() > lower[:, 1].mean()


def test_noise_only_moves_the_same_points() -> None:
    """One seed gives the same clean points and labels at every noise level."""
    a = load_builtin("circle", {"noise": 0.0})
    b = load_builtin("circle", {"noise": 0.2})
    np.testing.assert_array_equal(a.targets, b.targets)
    jitter = b.inputs - a.inputs
    assert 0.15 < jitter.std() < 0.25


# --- regression ----------------------------------------------------------------------------


def test_sine() -> None:
    d = load_builtin("sine", {"size": 500, "noise": 0.0})
    check_dataset(d, 500, 1, 1)
    assert np.all(np.abs(d.inputs) <= 1.0)
    np.testing.assert_allclose(d.targets, np.sin(np.pi * d.inputs), atol=1e-15)
    noisy = load_builtin("sine", {"size": 5000, "noise": 0.3})
    residual = noisy.targets - np.sin(np.pi * noisy.inputs)
    assert abs(residual.std() - 0.3) < 0.02
    assert d.input_names == ["x"] and d.target_names == ["y"]


def test_plane() -> None:
    d = load_builtin("plane", {"size": 300, "noise": 0.0, "a": 2, "b": -3.5, "c": 1})
    check_dataset(d, 300, 2, 1)
    assert np.all(np.abs(d.inputs) <= 1.0)
    np.testing.assert_allclose(d.targets[:, 0], 2 * d.inputs[:, 0] - 3.5 * d.inputs[:, 1] + 1)
    # Least squares on the clean plane recovers a, b, c.
    design = np.column_stack((d.inputs, np.ones(300)))
    coef = np.linalg.lstsq(design, d.targets[:, 0], rcond=None)[0]
    np.testing.assert_allclose(coef, [2, -3.5, 1], atol=1e-10)
    default = regression.plane(noise=0.0)
    np.testing.assert_allclose(default.targets[:, 0], default.inputs @ [1.5, -0.5] + 0.25)


def test_house_prices_raw_and_scaled() -> None:
    raw = load_builtin("house_prices", {"standardize": False})
    check_dataset(raw, 10, 1, 1)
    np.testing.assert_array_equal(raw.inputs[:, 0], regression.HOUSE_SIZES)
    np.testing.assert_array_equal(raw.targets[:, 0], regression.HOUSE_PRICES)
    scaled = load_builtin("house_prices", {})
    for a in (scaled.inputs, scaled.targets):
        assert a.min() == 0.0 and a.max() == 1.0
    assert scaled.input_names == ["size"] and scaled.target_names == ["price"]


# --- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", SEEDED)
def test_same_seed_same_arrays(name: str) -> None:
    a = load_builtin(name, {"seed": 12345})
    b = load_builtin(name, {"seed": 12345})
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.targets, b.targets)


@pytest.mark.parametrize("name", SEEDED)
def test_different_seed_different_arrays(name: str) -> None:
    a = load_builtin(name, {"seed": 1})
    b = load_builtin(name, {"seed": 2})
    assert not np.array_equal(a.inputs, b.inputs)


@pytest.mark.parametrize("name", SEEDED)
def test_default_seed_is_zero(name: str) -> None:
    np.testing.assert_array_equal(
        load_builtin(name, {}).inputs, load_builtin(name, {"seed": 0}).inputs
    )


def test_pinned_values_guard_against_silent_changes() -> None:
    """PCG64 streams are stable across NumPy versions; these pin the generators' order of
    draws, so a refactor that changes saved lessons' data fails here."""
    d = load_builtin("circle", {"size": 3, "seed": 0, "noise": 0.0})
    expected = np.random.Generator(np.random.PCG64(0)).uniform(-1.0, 1.0, (3, 2))
    np.testing.assert_array_equal(d.inputs, expected)
    s = load_builtin("sine", {"size": 2, "seed": 5, "noise": 0.0})
    expected_x = np.random.Generator(np.random.PCG64(5)).uniform(-1.0, 1.0, (2, 1))
    np.testing.assert_array_equal(s.inputs, expected_x)


def test_largest_size_is_allowed() -> None:
    d = load_builtin("xor_quadrants", {"size": MAX_SAMPLES, "seed": 1})
    check_dataset(d, MAX_SAMPLES, 2, 1)


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(DatasetError) as e:
        load_builtin("xr", {})
    assert e.value.place == "builtin"
    assert str(e.value).startswith("builtin: unknown data set 'xr'; expected one of and, or,")
    assert "iris" in str(e.value)
    for call in (builtin_description, builtin_options):
        with pytest.raises(DatasetError, match="unknown data set 'xr'"):
            call("xr")
