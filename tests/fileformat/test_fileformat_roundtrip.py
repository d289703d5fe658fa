"""Writing: bit-exact round trips, the compact layout, the key order, refusing NaN/infinity."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fileformat_helpers import EXAMPLE_TEXT, assert_same_lesson, example, same_json
from fileformat_strategies import finite, valid_docs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsim.core.spec import (
    Dataset,
    InitSpec,
    LayerSpec,
    Lesson,
    OptimizerSpec,
    Parameters,
    TrainingSpec,
)
from bpsim.fileformat import (
    LessonFileError,
    dumps_lesson,
    lesson_to_dict,
    load_lesson,
    parse_lesson,
    save_lesson,
)


def small_lesson(weights: list[float], biases: list[float], data: list[float]) -> Lesson:
    """A 2-2 network whose every number is given (weights 4, biases 2, data 4)."""
    return Lesson(
        layers=[LayerSpec(2), LayerSpec(2, activation="linear")],
        loss="half_sse",
        optimizer=OptimizerSpec.with_defaults("sgd", learning_rate=0.1),
        dataset=Dataset(
            inputs=np.array([data[:2]], dtype=np.float64),
            targets=np.array([data[2:]], dtype=np.float64),
        ),
        parameters=Parameters(
            [np.array(weights, dtype=np.float64).reshape(2, 2)],
            [np.array(biases, dtype=np.float64)],
        ),
    )


def round_trip(lesson: Lesson) -> Lesson:
    return parse_lesson(dumps_lesson(lesson))


def test_example_round_trip_is_exact() -> None:
    lesson = parse_lesson(EXAMPLE_TEXT)
    again = round_trip(lesson)
    assert_same_lesson(lesson, again)
    assert dumps_lesson(again) == dumps_lesson(lesson)


SPECIAL = [
    0.0,
    -0.0,
    5e-324,  # smallest subnormal
    -5e-324,
    2.2250738585072014e-308,  # smallest normal
    2.225073858507201e-308,  # largest subnormal
    1.7976931348623157e308,
    -1.7976931348623157e308,
    0.1,
    1 / 3,
    1e-5,
    1e16,
    123456789012345680.0,
    2.0**53 + 2,
    math.pi,
    math.nextafter(1.0, 2.0),
    math.nextafter(0.0, 1.0),
]


@pytest.mark.parametrize("value", SPECIAL, ids=[repr(v) for v in SPECIAL])
def test_special_floats_round_trip_bit_exact(value: float) -> None:
    lesson = small_lesson([value, -value, 1.0, value], [value, 0.5], [value, value, -value, 2.0])
    again = round_trip(lesson)
    assert_same_lesson(lesson, again)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(finite, min_size=4, max_size=4),
    st.lists(finite, min_size=2, max_size=2),
    st.lists(finite, min_size=4, max_size=4),
)
def test_any_finite_float_round_trips_bit_exact(
    weights: list[float], biases: list[float], data: list[float]
) -> None:
    lesson = small_lesson(weights, biases, data)
    assert_same_lesson(lesson, round_trip(lesson))


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**64 - 1))
def test_any_bit_pattern_round_trips(bits: int) -> None:
    (value,) = struct.unpack("<d", bits.to_bytes(8, "little"))
    if not math.isfinite(value):
        return
    lesson = small_lesson([value] * 4, [value] * 2, [value] * 4)
    assert_same_lesson(lesson, round_trip(lesson))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_docs())
def test_generated_valid_networks_round_trip(doc: dict[str, Any]) -> None:
    lesson = parse_lesson(doc)
    text = dumps_lesson(lesson)
    json.loads(text)  # plain JSON any reader takes
    again = parse_lesson(text)
    assert_same_lesson(lesson, again)
    # Writing is stable: the second file is the first, byte for byte.
    assert dumps_lesson(again) == text
    # And the written file is the same document as the one read, defaults filled in.
    written = json.loads(text)
    for key in ("format", "version", "loss"):
        assert written[key] == doc[key]
    assert same_json(written.get("state"), doc.get("state"))
    assert same_json(written.get("view"), doc.get("view"))
    assert written["dataset"]["inputs"] == [
        [float(v) for v in row] for row in doc["dataset"]["inputs"]
    ]


def test_file_layout_is_compact_and_ordered() -> None:
    doc = example()
    doc["layers"][1]["mask"] = [[1, 1], [1.0, 0]]
    doc["parameters"]["weights"][0][1][1] = 0
    doc["view"] = {"z": 1, "a": {"positions": [[1.5, 2.5], [3.5, 4.5]]}}
    doc["state"] = {"epoch": 1}
    doc["init"] = {"method": "zeros"}
    text = dumps_lesson(parse_lesson(doc))
    written = json.loads(text)
    assert list(written) == [
        "format",
        "version",
        "name",
        "description",
        "layers",
        "parameters",
        "init",
        "loss",
        "optimizer",
        "training",
        "dataset",
        "state",
        "view",
    ]
    assert list(written["layers"][1]) == ["size", "activation", "bias", "mask", "labels"]
    assert written["layers"][1]["mask"] == [[1, 1], [1, 0]]
    assert all(type(v) is int for row in written["layers"][1]["mask"] for v in row)
    assert list(written["optimizer"]) == [
        "name",
        "learning_rate",
        "momentum",
        "dampening",
        "nesterov",
        "weight_decay",
    ]
    assert written["training"] == {
        "batch_size": 1,
        "shuffle": False,
        "seed": 0,
        "validation_fraction": 0.0,
        "early_stopping": None,
    }
    assert list(written["view"]) == ["z", "a"]  # free-form parts keep their own order
    assert text.startswith('{\n  "format": "bpsim",\n  "version": 1,\n')
    assert text.endswith("}\n")
    assert '"mask": [[1, 1], [1, 0]]' in text
    assert '{"size": 2, "labels": ["x1", "x2"]}' in text
    assert "NaN" not in text and "Infinity" not in text


def test_every_flat_list_is_on_one_line() -> None:
    weights = np.arange(40 * 30, dtype=np.float64).reshape(30, 40) / 7
    lesson = Lesson(
        layers=[LayerSpec(40), LayerSpec(30)],
        loss="mse",
        optimizer=OptimizerSpec.with_defaults("adam"),
        dataset=Dataset(inputs=np.ones((2, 40)), targets=np.zeros((2, 30))),
        parameters=Parameters([weights], [np.zeros(30)]),
    )
    text = dumps_lesson(lesson)
    lines = text.splitlines()
    # Each of the 30 weight rows is one line of 40 numbers, indented under its matrix.
    weight_rows = [line for line in lines if line.startswith("        [") and line.count(",") >= 39]
    assert len(weight_rows) == 30
    assert lines[lines.index(weight_rows[0]) - 1] == "      ["
    for line in lines:
        stripped = line.strip().rstrip(",")
        # No line holds a lone number: numbers always sit inside a one-line list.
        assert not stripped.replace(".", "").replace("-", "").isdigit(), line
    assert_same_lesson(lesson, parse_lesson(text))


def test_defaults_not_written_for_layers() -> None:
    doc = {
        "format": "bpsim",
        "version": 1,
        "layers": [{"size": 1}, {"size": 1}],
        "loss": "mse",
        "optimizer": {"name": "sgd", "learning_rate": 1},
        "dataset": {"inputs": [[1]], "targets": [[2]]},
    }
    written = lesson_to_dict(parse_lesson(doc))
    assert written["layers"] == [
        {"size": 1},
        {"size": 1, "activation": "sigmoid", "bias": "per_neuron"},
    ]
    assert "name" not in written and "parameters" not in written and "init" not in written
    assert "state" not in written and "view" not in written
    assert written["optimizer"]["learning_rate"] == 1.0
    assert type(written["optimizer"]["learning_rate"]) is float
    assert written["dataset"] == {"inputs": [[1.0]], "targets": [[2.0]]}


def test_init_written_with_its_range_only_for_uniform() -> None:
    lesson = parse_lesson(example())
    lesson.init = InitSpec(method="uniform", seed=5, low=-0.5, high=0.25)
    assert lesson_to_dict(lesson)["init"] == {
        "method": "uniform",
        "seed": 5,
        "low": -0.5,
        "high": 0.25,
    }
    lesson.init = InitSpec(method="he_normal", seed=5)
    assert lesson_to_dict(lesson)["init"] == {"method": "he_normal", "seed": 5}
    assert round_trip(lesson).init == InitSpec(method="he_normal", seed=5)


def test_training_round_trips() -> None:
    lesson = parse_lesson(example())
    lesson.training = TrainingSpec(
        batch_size=None, shuffle=True, seed=9, validation_fraction=0.5, patience=4
    )
    assert round_trip(lesson).training == lesson.training
    assert lesson_to_dict(lesson)["training"]["batch_size"] == "full"
    assert lesson_to_dict(lesson)["training"]["early_stopping"] == {"patience": 4}


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_are_refused_with_their_place(bad: float, tmp_path: Path) -> None:
    def check(lesson: Lesson, place: str) -> None:
        with pytest.raises(LessonFileError) as info:
            dumps_lesson(lesson)
        assert info.value.place == place
        assert "every number must be finite" in info.value.message
        target = tmp_path / "out.bpsim"
        with pytest.raises(LessonFileError) as info:
            save_lesson(lesson, target)
        assert info.value.place == place and info.value.path == target
        assert not target.exists()
        assert list(tmp_path.iterdir()) == []

    lesson = parse_lesson(example())
    assert lesson.parameters is not None
    lesson.parameters.weights[1][1, 0] = bad
    check(lesson, "parameters.weights[1][1][0]")

    lesson = parse_lesson(example())
    assert lesson.parameters is not None
    lesson.parameters.biases[0][0] = bad
    check(lesson, "parameters.biases[0][0]")

    lesson = parse_lesson(example())
    lesson.dataset.targets[0, 1] = bad
    check(lesson, "dataset.targets[0][1]")

    lesson = parse_lesson(example())
    lesson.optimizer.hyper["momentum"] = bad
    check(lesson, "optimizer.momentum")

    lesson = parse_lesson(example())
    lesson.state = {"history": {"loss": [0.5, bad]}}
    check(lesson, "state.history.loss[1]")

    lesson = parse_lesson(example())
    lesson.view = {"zoom": np.float64(bad)}
    check(lesson, "view.zoom")

    lesson = parse_lesson(example())
    lesson.state = {"m": np.array([[1.0, bad]])}
    check(lesson, "state.m[0][1]")

    lesson = parse_lesson(example())
    lesson.training.validation_fraction = bad
    check(lesson, "training.validation_fraction")


def test_numpy_values_in_state_are_written_as_json() -> None:
    lesson = parse_lesson(example())
    exp = np.array([[0.1, -0.0], [5e-324, 1e300]])
    lesson.state = {
        "step": np.int64(3),
        "flag": np.bool_(True),
        "rate": np.float64(0.1),
        "m": exp,
        "pair": (1, 2.5),
        "empty": np.zeros((0,)),
    }
    again = round_trip(lesson)
    assert again.state is not None
    assert again.state["step"] == 3 and type(again.state["step"]) is int
    assert again.state["flag"] is True
    assert again.state["rate"] == 0.1
    assert again.state["pair"] == [1, 2.5]
    assert again.state["empty"] == []
    restored = np.array(again.state["m"], dtype=np.float64)
    assert restored.tobytes() == exp.tobytes()


def test_unwritable_objects_are_refused() -> None:
    lesson = parse_lesson(example())
    lesson.view = {"window": object()}
    with pytest.raises(LessonFileError) as info:
        dumps_lesson(lesson)
    assert info.value.place == "view.window"
    lesson.view = {3: "x"}
    with pytest.raises(LessonFileError, match="keys must be strings"):
        dumps_lesson(lesson)


def test_non_ascii_and_surrogates_are_written() -> None:
    lesson = parse_lesson(example())
    lesson.name = "Übung — λ 🧠"
    lesson.description = "bad \ud800 surrogate"
    text = dumps_lesson(lesson)
    assert "Übung — λ 🧠" in text  # readable, not escaped
    text.encode("utf-8")  # always encodable
    again = parse_lesson(text.encode("utf-8"))
    assert again.name == lesson.name
    assert again.description == "bad \ufffd surrogate"  # half a character cannot be kept


def test_save_then_load(tmp_path: Path) -> None:
    lesson = parse_lesson(example())
    lesson.state = {"epoch": 2, "history": [0.25, 0.125]}
    path = tmp_path / "saved.bpsim"
    save_lesson(lesson, path)
    assert_same_lesson(lesson, load_lesson(path))
    assert path.read_text(encoding="utf-8") == dumps_lesson(lesson)
    save_lesson(lesson, str(path))  # str paths too
