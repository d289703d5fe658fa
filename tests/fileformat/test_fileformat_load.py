"""Loading good files: the spec's example, defaults, every optional part, the bundled lessons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fileformat_helpers import EXAMPLE_TEXT, example

from bpsim.core.spec import (
    OPTIMIZER_DEFAULTS,
    InitSpec,
    Lesson,
    OptimizerSpec,
    TrainingSpec,
)
from bpsim.fileformat import LessonFileError, load_lesson, parse_lesson

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "resources" / "examples").glob("*.bpsim"))


def test_spec_example_loads_with_the_right_arrays(tmp_path: Path) -> None:
    path = tmp_path / "lesson.bpsim"
    path.write_text(EXAMPLE_TEXT, encoding="utf-8")
    lesson = load_lesson(path)
    assert isinstance(lesson, Lesson)
    assert lesson.name == "Worked example: 2-2-2 sigmoid network"
    assert lesson.description.startswith("One sample")
    assert lesson.sizes == [2, 2, 2]
    assert [layer.labels for layer in lesson.layers] == [["x1", "x2"], ["h1", "h2"], ["y1", "y2"]]
    assert [layer.bias for layer in lesson.layers[1:]] == ["shared", "shared"]
    assert [layer.activation for layer in lesson.layers[1:]] == ["sigmoid", "sigmoid"]
    assert lesson.parameters is not None
    w0, w1 = lesson.parameters.weights
    b0, b1 = lesson.parameters.biases
    np.testing.assert_array_equal(w0, np.array([[0.10, 0.15], [0.03, 0.08]]))
    np.testing.assert_array_equal(w1, np.array([[0.18, 0.06], [0.11, 0.26]]))
    np.testing.assert_array_equal(b0, np.array([0.05]))
    np.testing.assert_array_equal(b1, np.array([0.42]))
    for array in (w0, w1, b0, b1, lesson.dataset.inputs, lesson.dataset.targets):
        assert array.dtype == np.float64
    assert w0.shape == (2, 2) and b0.shape == (1,)
    np.testing.assert_array_equal(lesson.dataset.inputs, [[0.95, 0.06]])
    np.testing.assert_array_equal(lesson.dataset.targets, [[0.05, 0.82]])
    assert lesson.loss == "half_sse"
    assert lesson.optimizer == OptimizerSpec.with_defaults("sgd", learning_rate=0.01)
    assert lesson.training == TrainingSpec(batch_size=1, shuffle=False)
    assert lesson.init is None and lesson.state is None and lesson.view is None


def test_parse_accepts_text_bytes_and_mappings() -> None:
    from_text = parse_lesson(EXAMPLE_TEXT)
    from_bytes = parse_lesson(EXAMPLE_TEXT.encode("utf-8"))
    from_dict = parse_lesson(example())
    for lesson in (from_text, from_bytes, from_dict):
        assert lesson.sizes == [2, 2, 2]
        assert lesson.parameters is not None
        np.testing.assert_array_equal(lesson.parameters.weights[1], [[0.18, 0.06], [0.11, 0.26]])


def test_defaults_are_filled() -> None:
    doc = {
        "format": "bpsim",
        "version": 1,
        "layers": [{"size": 3}, {"size": 1}],
        "loss": "mse",
        "optimizer": {"name": "adam"},
        "dataset": {"inputs": [[1, 2, 3]], "targets": [[0]]},
    }
    lesson = parse_lesson(doc)
    out = lesson.layers[1]
    assert (out.activation, out.bias, out.train_weights, out.train_bias) == (
        "sigmoid",
        "per_neuron",
        True,
        True,
    )
    assert out.mask is None and out.labels is None
    assert lesson.parameters is None and lesson.init is None
    assert lesson.training == TrainingSpec()
    assert lesson.training.batch_size is None
    assert lesson.optimizer.hyper == OPTIMIZER_DEFAULTS["adam"]
    assert lesson.name == "" and lesson.description == ""
    # Whole numbers in data are floats in the arrays.
    assert lesson.dataset.inputs.dtype == np.float64
    np.testing.assert_array_equal(lesson.dataset.inputs, [[1.0, 2.0, 3.0]])
    assert lesson.dataset.source == {}


def test_every_optional_part() -> None:
    doc = example()
    doc["layers"][1].update(
        {
            "activation": "tanh",
            "bias": "per_neuron",
            "train_weights": False,
            "train_bias": False,
            "mask": [[1, 0], [1.0, 1]],
        }
    )
    doc["layers"][2].update({"activation": "softmax", "bias": "none"})
    doc["parameters"] = {
        "weights": [[[0.1, 0], [0.2, 0.3]], [[1, 2], [3, 4]]],
        "biases": [[0.5, -0.5], []],
    }
    doc["init"] = {"method": "uniform", "seed": 7, "low": -2, "high": 0.5}
    doc["loss"] = "cross_entropy"
    doc["optimizer"] = {"name": "rmsprop", "learning_rate": 1, "centered": True}
    doc["training"] = {
        "batch_size": "full",
        "shuffle": True,
        "seed": 2**64 - 1,
        "validation_fraction": 0.25,
        "early_stopping": {"patience": 3},
    }
    doc["dataset"] = {"inputs": [[0, 1], [1, 0]], "targets": [[1, 0], [0.5, 0.5]]}
    doc["state"] = {"epoch": 3, "history": [0.5, 0.25], "nested": {"a": [None, True, "x"]}}
    doc["view"] = {"zoom": 1.5, "anything": {"goes": ["here", 1, None]}}
    lesson = parse_lesson(doc)
    hidden, out = lesson.layers[1], lesson.layers[2]
    assert hidden.activation == "tanh" and not hidden.train_weights and not hidden.train_bias
    assert hidden.mask is not None and hidden.mask.dtype == np.float64
    np.testing.assert_array_equal(hidden.mask, [[1.0, 0.0], [1.0, 1.0]])
    assert out.activation == "softmax" and out.bias == "none"
    assert lesson.parameters is not None
    assert lesson.parameters.biases[1].shape == (0,)
    assert lesson.parameters.biases[1].dtype == np.float64
    np.testing.assert_array_equal(lesson.parameters.weights[1], [[1.0, 2.0], [3.0, 4.0]])
    assert lesson.init == InitSpec(method="uniform", seed=7, low=-2.0, high=0.5)
    assert isinstance(lesson.init.low, float)
    assert lesson.optimizer.hyper["learning_rate"] == 1.0
    assert isinstance(lesson.optimizer.hyper["learning_rate"], float)
    assert lesson.optimizer.hyper["centered"] is True
    assert lesson.optimizer.hyper["alpha"] == 0.99
    assert lesson.training == TrainingSpec(
        batch_size=None, shuffle=True, seed=2**64 - 1, validation_fraction=0.25, patience=3
    )
    assert lesson.state == doc["state"] and lesson.view == doc["view"]
    # Plain copies: changing the input afterwards does not reach the lesson.
    doc["state"]["nested"]["a"].append(5)
    assert lesson.state["nested"]["a"] == [None, True, "x"]


def test_uniform_init_defaults_and_other_methods() -> None:
    doc = example()
    doc["init"] = {"method": "uniform"}
    assert parse_lesson(doc).init == InitSpec(method="uniform", seed=0, low=-1.0, high=1.0)
    doc["init"] = {}
    assert parse_lesson(doc).init == InitSpec()
    for method in ("xavier_normal", "he_uniform", "he_normal", "zeros"):
        doc["init"] = {"method": method, "seed": 3}
        assert parse_lesson(doc).init == InitSpec(method=method, seed=3)


@pytest.mark.parametrize("name", sorted(OPTIMIZER_DEFAULTS))
def test_every_optimizer_with_its_defaults(name: str) -> None:
    doc = example()
    doc["optimizer"] = {"name": name, "learning_rate": 0.5}
    lesson = parse_lesson(doc)
    assert lesson.optimizer == OptimizerSpec.with_defaults(name, learning_rate=0.5)
    assert list(lesson.optimizer.hyper) == list(OPTIMIZER_DEFAULTS[name])


def test_losses_with_their_output_layers() -> None:
    doc = example()
    doc["loss"] = "binary_cross_entropy"
    doc["dataset"]["targets"] = [[0, 1]]
    assert parse_lesson(doc).loss == "binary_cross_entropy"
    doc["layers"][2]["activation"] = "softmax"
    doc["loss"] = "cross_entropy"
    doc["dataset"]["targets"] = [[0.25, 3]]
    assert parse_lesson(doc).loss == "cross_entropy"
    doc["loss"] = "mse"
    assert parse_lesson(doc).loss == "mse"


def test_masked_weight_may_be_negative_zero() -> None:
    doc = example()
    doc["layers"][1]["mask"] = [[1, 0], [1, 1]]
    doc["parameters"]["weights"][0][0][1] = -0.0
    lesson = parse_lesson(doc)
    assert lesson.parameters is not None
    assert lesson.parameters.weights[0][0, 1] == 0.0


def test_builtin_dataset_keeps_its_source() -> None:
    doc = example()
    doc["dataset"] = {"builtin": "xor"}
    doc["layers"][2]["size"] = 1
    doc["layers"][2]["labels"] = ["y"]
    doc["parameters"]["weights"][1] = [[0.18, 0.06]]
    lesson = parse_lesson(doc)
    assert lesson.dataset.source == {"builtin": "xor"}
    assert lesson.dataset.inputs.shape == (4, 2)
    assert lesson.dataset.targets.shape == (4, 1)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_bundled_examples_load(path: Path) -> None:
    lesson = load_lesson(path)
    assert lesson.dataset.inputs.shape[1] == lesson.sizes[0]
    assert lesson.dataset.targets.shape[1] == lesson.sizes[-1]


def test_missing_file_is_a_lesson_file_error(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.bpsim"
    with pytest.raises(LessonFileError) as info:
        load_lesson(path)
    assert info.value.path == path
    assert "cannot read the file" in str(info.value)
    with pytest.raises(LessonFileError, match="is a folder, not a regular file"):
        load_lesson(tmp_path)  # a folder


def test_error_text_names_file_place_and_message(tmp_path: Path) -> None:
    doc = example()
    doc["layers"][1]["activation"] = "sigmoud"
    path = tmp_path / "lesson.bpsim"
    import json

    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(LessonFileError) as info:
        load_lesson(path)
    error = info.value
    assert isinstance(error, ValueError)
    assert error.path == path
    assert error.place == "layers[1].activation"
    assert error.message == (
        "unknown activation 'sigmoud'; "
        "expected one of sigmoid, tanh, relu, leaky_relu, linear, softmax"
    )
    assert str(error) == f"{path}: layers[1].activation: {error.message}"
    # Without a file the place leads; without a place the file does.
    assert str(LessonFileError("m", place="p")) == "p: m"
    assert str(LessonFileError("m", path=Path("f.bpsim"))) == "f.bpsim: m"
    assert str(LessonFileError("m")) == "m"


def test_error_pickles_with_its_parts() -> None:
    import pickle

    error = LessonFileError("bad", place="loss", path=Path("x.bpsim"))
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.message, copy.place, copy.path, str(copy)) == (
        "bad",
        "loss",
        Path("x.bpsim"),
        str(error),
    )
