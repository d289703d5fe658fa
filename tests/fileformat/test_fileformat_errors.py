"""Bad files, one rule at a time: each is refused with the exact place and a useful message."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fileformat_helpers import example

from bpsim.core.spec import MAX_LAYER_SIZE
from bpsim.fileformat import LessonFileError, load_lesson, parse_lesson

Doc = dict[str, Any]
Key = str | int


def put(*path_and_value: Any) -> Callable[[Doc], None]:
    """A mutation setting the value at a path of keys and indexes."""
    *path, value = path_and_value

    def mutate(doc: Doc) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def drop(*path: Key) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return mutate


def both(*mutations: Callable[[Doc], None]) -> Callable[[Doc], None]:
    def mutate(doc: Doc) -> None:
        for m in mutations:
            m(doc)

    return mutate


ACTIVATIONS = "sigmoid, tanh, relu, leaky_relu, linear, softmax"
SINGLE_OUTPUT = both(
    put("layers", 2, {"size": 1, "activation": "sigmoid"}),
    put("parameters", "weights", 1, [[0.1, 0.2]]),
    put("parameters", "biases", 1, [0.0]),
    put("dataset", "targets", [[0.5]]),
)

# (id, mutation of the spec's example, place, text the message must contain)
CASES: list[tuple[str, Callable[[Doc], None], str, str]] = [
    # top level
    ("no format", drop("format"), "(top level)", "missing key 'format'"),
    ("wrong format", put("format", "json"), "format", "expected \"bpsim\", got 'json'"),
    ("format not a string", put("format", 1), "format", 'expected "bpsim", got 1'),
    ("no version", drop("version"), "(top level)", "missing key 'version'"),
    ("version 2", put("version", 2), "version", "unsupported version 2"),
    ("version float", put("version", 1.0), "version", "expected the whole number 1, got 1.0"),
    ("version string", put("version", "1"), "version", "expected the whole number 1, got '1'"),
    ("version bool", put("version", True), "version", "got true"),
    (
        "unknown top key",
        put("comment", "hi"),
        "(top level)",
        "unknown key 'comment'; allowed keys: format, version, name, description, layers, "
        "parameters, init, loss, optimizer, training, dataset, state, view",
    ),
    ("no layers", drop("layers"), "(top level)", "missing key 'layers'"),
    ("no loss", drop("loss"), "(top level)", "missing key 'loss'"),
    ("no optimizer", drop("optimizer"), "(top level)", "missing key 'optimizer'"),
    ("no dataset", drop("dataset"), "(top level)", "missing key 'dataset'"),
    ("name not a string", put("name", 5), "name", "expected a string, got 5"),
    ("description null", put("description", None), "description", "expected a string, got null"),
    # layers
    ("layers not a list", put("layers", {}), "layers", "expected a list of layers"),
    ("one layer", put("layers", [{"size": 2}]), "layers", "expected at least 2 layers"),
    ("layer not an object", put("layers", 1, 3), "layers[1]", "expected a layer object"),
    ("layer without size", drop("layers", 1, "size"), "layers[1]", "missing key 'size'"),
    ("size zero", put("layers", 2, "size", 0), "layers[2].size", "expected a whole number from 1"),
    ("size float", put("layers", 2, "size", 2.0), "layers[2].size", "got 2.0"),
    ("size bool", put("layers", 1, "size", True), "layers[1].size", "got true"),
    ("size string", put("layers", 0, "size", "2"), "layers[0].size", "got '2'"),
    (
        "size too big",
        put("layers", 1, "size", MAX_LAYER_SIZE + 1),
        "layers[1].size",
        f"from 1 to {MAX_LAYER_SIZE}",
    ),
    (
        "too many parameters",
        both(put("layers", 0, "size", 100_000), put("layers", 1, "size", 100_000)),
        "layers",
        "at most 20,000,000 are allowed",
    ),
    (
        "input layer activation",
        put("layers", 0, "activation", "relu"),
        "layers[0]",
        "unknown key 'activation'; allowed keys: size, labels",
    ),
    (
        "unknown layer key",
        put("layers", 1, "actvation", "relu"),
        "layers[1]",
        "unknown key 'actvation'; allowed keys: size, activation, bias, train_weights, "
        "train_bias, mask, labels",
    ),
    (
        "misspelt activation",
        put("layers", 1, "activation", "sigmoud"),
        "layers[1].activation",
        f"unknown activation 'sigmoud'; expected one of {ACTIVATIONS}",
    ),
    (
        "activation not a string",
        put("layers", 1, "activation", None),
        "layers[1].activation",
        f"expected a string, one of {ACTIVATIONS}; got null",
    ),
    (
        "softmax hidden",
        put("layers", 1, "activation", "softmax"),
        "layers[1].activation",
        "softmax is allowed only in the output layer (layers[2])",
    ),
    (
        "bad bias mode",
        put("layers", 1, "bias", "single"),
        "layers[1].bias",
        "unknown bias mode 'single'; expected one of per_neuron, shared, none",
    ),
    ("train_weights 0", put("layers", 1, "train_weights", 0), "layers[1].train_weights", "got 0"),
    (
        "train_bias str",
        put("layers", 2, "train_bias", "no"),
        "layers[2].train_bias",
        "true or false",
    ),
    ("labels count", put("layers", 0, "labels", ["a"]), "layers[0].labels", "expected 2 labels"),
    ("labels not list", put("layers", 0, "labels", "ab"), "layers[0].labels", "a list of labels"),
    (
        "label empty",
        put("layers", 1, "labels", ["a", ""]),
        "layers[1].labels[1]",
        "must not be empty",
    ),
    (
        "label number",
        put("layers", 2, "labels", ["a", 2]),
        "layers[2].labels[1]",
        "a string, got 2",
    ),
    ("mask rows", put("layers", 1, "mask", [[1, 1]]), "layers[1].mask", "expected 2 rows"),
    (
        "mask cols",
        put("layers", 2, "mask", [[1, 1], [1]]),
        "layers[2].mask[1]",
        "expected 2 values",
    ),
    ("mask value", put("layers", 1, "mask", [[1, 0.5], [1, 1]]), "layers[1].mask[0][1]", "0 or 1"),
    (
        "mask bool",
        put("layers", 1, "mask", [[1, 1], [True, 1]]),
        "layers[1].mask[1][0]",
        "got true",
    ),
    ("mask not a list", put("layers", 1, "mask", 1), "layers[1].mask", "a 0/1 matrix"),
    # parameters
    (
        "parameters unknown key",
        put("parameters", "bias", []),
        "parameters",
        "unknown key 'bias'; allowed keys: weights, biases",
    ),
    ("no biases", drop("parameters", "biases"), "parameters", "missing key 'biases'"),
    (
        "weights count",
        put("parameters", "weights", [[[1, 2], [3, 4]]]),
        "parameters.weights",
        "expected 2 weight matrices",
    ),
    (
        "weight rows",
        put("parameters", "weights", 1, [[1, 2]]),
        "parameters.weights[1]",
        "expected 2 rows",
    ),
    (
        "weight cols",
        put("parameters", "weights", 0, 1, [1, 2, 3]),
        "parameters.weights[0][1]",
        "expected 2 weights",
    ),
    (
        "weight string",
        put("parameters", "weights", 0, 1, 0, "0.1"),
        "parameters.weights[0][1][0]",
        "expected a number, got '0.1'",
    ),
    (
        "weight bool",
        put("parameters", "weights", 1, 0, 1, False),
        "parameters.weights[1][0][1]",
        "expected a number, got false",
    ),
    (
        "weight null",
        put("parameters", "weights", 1, 1, 1, None),
        "parameters.weights[1][1][1]",
        "got null",
    ),
    (
        "weight huge int",
        put("parameters", "weights", 1, 1, 0, 10**400),
        "parameters.weights[1][1][0]",
        "finite number",
    ),
    (
        "weight row not a list",
        put("parameters", "weights", 0, 0, 0.5),
        "parameters.weights[0][0]",
        "expected a list of weights",
    ),
    (
        "shared bias count",
        put("parameters", "biases", 0, [0.1, 0.2]),
        "parameters.biases[0]",
        "expected 1 bias",
    ),
    (
        "per-neuron bias count",
        put("layers", 1, "bias", "per_neuron"),
        "parameters.biases[0]",
        "expected 2 biases",
    ),
    (
        "none bias count",
        put("layers", 2, "bias", "none"),
        "parameters.biases[1]",
        "expected 0 biases",
    ),
    (
        "biases count",
        put("parameters", "biases", [[0.1]]),
        "parameters.biases",
        "expected 2 bias lists",
    ),
    (
        "masked weight not zero",
        put("layers", 2, "mask", [[1, 1], [0, 1]]),
        "parameters.weights[1][1][0]",
        "masked out by layers[2].mask[1][0], got 0.11",
    ),
    # init
    ("init not an object", put("init", "xavier"), "init", "expected an object"),
    (
        "init method",
        put("init", {"method": "glorot"}),
        "init.method",
        "unknown init method 'glorot'; expected one of xavier_uniform, xavier_normal, "
        "he_uniform, he_normal, uniform, zeros",
    ),
    ("init seed float", put("init", {"seed": 1.5}), "init.seed", "whole number"),
    ("init seed negative", put("init", {"seed": -1}), "init.seed", "from 0 to"),
    ("init seed too big", put("init", {"seed": 2**64}), "init.seed", "from 0 to"),
    (
        "init low without uniform",
        put("init", {"method": "zeros", "low": 0}),
        "init.low",
        'only by the "uniform" method',
    ),
    (
        "init low >= high",
        put("init", {"method": "uniform", "low": 1, "high": 1}),
        "init.high",
        "expected high > low",
    ),
    (
        "init low string",
        put("init", {"method": "uniform", "low": "0"}),
        "init.low",
        "expected a number",
    ),
    (
        "init unknown key",
        put("init", {"scale": 1}),
        "init",
        "unknown key 'scale'; allowed keys: method, seed, low, high",
    ),
    (
        "init range too wide",
        put("init", {"method": "uniform", "low": -1e308, "high": 1e308}),
        "init.high",
        "too wide",
    ),
    # loss
    (
        "unknown loss",
        put("loss", "l2"),
        "loss",
        "unknown loss 'l2'; expected one of half_sse, mse, binary_cross_entropy, cross_entropy",
    ),
    ("loss not a string", put("loss", ["mse"]), "loss", "expected a string"),
    (
        "bce without sigmoid",
        both(put("loss", "binary_cross_entropy"), put("layers", 2, "activation", "tanh")),
        "loss",
        "binary_cross_entropy needs a sigmoid output layer, but layers[2].activation is 'tanh'",
    ),
    (
        "ce without softmax",
        put("loss", "cross_entropy"),
        "loss",
        "cross_entropy needs a softmax output layer, but layers[2].activation is 'sigmoid'",
    ),
    (
        "bce target above 1",
        both(put("loss", "binary_cross_entropy"), put("dataset", "targets", [[0.5, 1.5]])),
        "dataset.targets[0][1]",
        "binary_cross_entropy needs targets from 0 to 1; got 1.5",
    ),
    (
        "ce negative target",
        both(
            put("loss", "cross_entropy"),
            put("layers", 2, "activation", "softmax"),
            put("dataset", "targets", [[-0.5, 1.5]]),
        ),
        "dataset.targets[0][0]",
        "cross_entropy needs targets ≥ 0",
    ),
    # optimizer
    ("optimizer a string", put("optimizer", "sgd"), "optimizer", "expected an optimizer object"),
    ("optimizer no name", drop("optimizer", "name"), "optimizer", "missing key 'name'"),
    (
        "optimizer unknown",
        put("optimizer", "name", "adamw"),
        "optimizer.name",
        "unknown optimizer 'adamw'; expected one of sgd, adagrad, rmsprop, adam, adadelta",
    ),
    (
        "sgd without lr",
        drop("optimizer", "learning_rate"),
        "optimizer",
        "missing key 'learning_rate'",
    ),
    (
        "optimizer unknown key",
        put("optimizer", "beta1", 0.9),
        "optimizer",
        "unknown key 'beta1'; allowed keys: name, learning_rate, momentum, dampening, "
        "nesterov, weight_decay",
    ),
    (
        "lr string",
        put("optimizer", "learning_rate", "0.1"),
        "optimizer.learning_rate",
        "expected a number",
    ),
    ("lr bool", put("optimizer", "learning_rate", True), "optimizer.learning_rate", "got true"),
    ("nesterov number", put("optimizer", "nesterov", 1), "optimizer.nesterov", "true or false"),
    (
        "negative lr",
        put("optimizer", "learning_rate", -0.1),
        "optimizer.learning_rate",
        "at least 0",
    ),
    (
        "nesterov without momentum",
        put("optimizer", "nesterov", True),
        "optimizer.nesterov",
        "momentum > 0",
    ),
    (
        "adam beta out of range",
        put("optimizer", {"name": "adam", "beta1": 1.0}),
        "optimizer.beta1",
        "[0, 1)",
    ),
    (
        "adadelta rho above 1",
        put("optimizer", {"name": "adadelta", "rho": 1.5}),
        "optimizer.rho",
        "between 0 and 1",
    ),
    # training
    ("training a list", put("training", []), "training", "expected an object"),
    (
        "batch size zero",
        put("training", "batch_size", 0),
        "training.batch_size",
        'a whole number ≥ 1 or "full", got 0',
    ),
    ("batch size float", put("training", "batch_size", 1.0), "training.batch_size", "got 1.0"),
    ("batch size all", put("training", "batch_size", "all"), "training.batch_size", "got 'all'"),
    ("batch size bool", put("training", "batch_size", True), "training.batch_size", "got true"),
    ("shuffle string", put("training", "shuffle", "yes"), "training.shuffle", "true or false"),
    ("training seed", put("training", "seed", -3), "training.seed", "from 0 to"),
    (
        "validation 1",
        put("training", "validation_fraction", 1),
        "training.validation_fraction",
        "up to (not including) 1, got 1",
    ),
    (
        "validation negative",
        put("training", "validation_fraction", -0.1),
        "training.validation_fraction",
        "got -0.1",
    ),
    (
        "validation string",
        put("training", "validation_fraction", "0.2"),
        "training.validation_fraction",
        "expected a number",
    ),
    (
        "early stopping int",
        put("training", "early_stopping", 3),
        "training.early_stopping",
        'expected null or {"patience": P}, got 3',
    ),
    (
        "patience missing",
        put("training", "early_stopping", {}),
        "training.early_stopping",
        "missing key 'patience'",
    ),
    (
        "patience zero",
        put("training", "early_stopping", {"patience": 0}),
        "training.early_stopping.patience",
        "≥ 1",
    ),
    (
        "patience float",
        put("training", "early_stopping", {"patience": 2.5}),
        "training.early_stopping.patience",
        "got 2.5",
    ),
    (
        "early stopping extra",
        put("training", "early_stopping", {"patience": 2, "delta": 0.1}),
        "training.early_stopping",
        "unknown key 'delta'; allowed keys: patience",
    ),
    (
        "training unknown key",
        put("training", "epochs", 10),
        "training",
        "unknown key 'epochs'; allowed keys: batch_size, shuffle, seed, validation_fraction, "
        "early_stopping",
    ),
    # dataset
    ("dataset a list", put("dataset", [[1, 2]]), "dataset", "expected a data set object"),
    ("dataset empty", put("dataset", {}), "dataset", "missing key 'inputs'; a data set is"),
    ("dataset unknown key", put("dataset", "weights", []), "dataset", "unknown key 'weights'"),
    ("no targets", drop("dataset", "targets"), "dataset", "missing key 'targets'"),
    (
        "no rows",
        put("dataset", {"inputs": [], "targets": []}),
        "dataset.inputs",
        "at least one row",
    ),
    (
        "row count",
        put("dataset", "targets", [[0, 1], [1, 0]]),
        "dataset.targets",
        "expected 1 row (one per row of dataset.inputs), got 2",
    ),
    (
        "input row length",
        put("dataset", "inputs", [[0.95]]),
        "dataset.inputs[0]",
        "expected 2 inputs (the input layer has 2 neurons), got 1",
    ),
    (
        "target row length",
        put("dataset", "targets", [[1, 2, 3]]),
        "dataset.targets[0]",
        "expected 2 targets",
    ),
    (
        "data string",
        put("dataset", "inputs", [[0.95, "x"]]),
        "dataset.inputs[0][1]",
        "expected a number, got 'x'",
    ),
    ("data bool", put("dataset", "targets", [[0.05, True]]), "dataset.targets[0][1]", "got true"),
    (
        "data row not a list",
        put("dataset", "inputs", [0.95]),
        "dataset.inputs[0]",
        "expected a list of inputs",
    ),
    ("builtin and csv", put("dataset", {"builtin": "xor", "csv": "a.csv"}), "dataset", "not both"),
    (
        "unknown builtin",
        put("dataset", {"builtin": "mnist"}),
        "dataset.builtin",
        "unknown data set 'mnist'",
    ),
    (
        "builtin bad option",
        both(SINGLE_OUTPUT, put("dataset", {"builtin": "circle", "noise": -1})),
        "dataset.noise",
        "got -1",
    ),
    (
        "builtin wrong size",
        put("dataset", {"builtin": "xor"}),
        "dataset",
        "the data set has 1 target per row, but the output layer has 2 neurons",
    ),
    (
        "csv unknown key",
        put("dataset", {"csv": "a.csv", "inputs": [0], "targets": [1], "sep": ";"}),
        "dataset",
        "unknown key 'sep'",
    ),
    (
        "csv without targets",
        put("dataset", {"csv": "a.csv", "inputs": [0]}),
        "dataset",
        "missing key 'targets'",
    ),
    (
        "csv path number",
        put("dataset", {"csv": 3, "inputs": [0], "targets": [1]}),
        "dataset.csv",
        "expected a string",
    ),
    (
        "csv standardize",
        put("dataset", {"csv": "a.csv", "inputs": [0], "targets": [1], "standardize": 1}),
        "dataset.standardize",
        "true or false",
    ),
    # state and view
    ("state a list", put("state", []), "state", "expected an object"),
    ("view a string", put("view", "x"), "view", "expected an object"),
]


@pytest.mark.parametrize(
    ("mutate", "place", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_file_names_place_and_problem(
    mutate: Callable[[Doc], None], place: str, message: str
) -> None:
    doc = example()
    mutate(doc)
    # Through text, so the JSON layer is part of the test, and as a mapping.
    for data in (json.dumps(doc), doc):
        with pytest.raises(LessonFileError) as info:
            parse_lesson(data, path=Path("lesson.bpsim"))
        error = info.value
        assert error.place == place, str(error)
        assert message in error.message, str(error)
        assert str(error) == f"lesson.bpsim: {place}: {error.message}"


def test_first_problem_wins() -> None:
    """Two problems: the one met first in the spec's order is reported, every time."""
    doc = example()
    doc["layers"][2]["activation"] = "nope"
    doc["loss"] = "nope"
    with pytest.raises(LessonFileError) as info:
        parse_lesson(doc)
    assert info.value.place == "layers[2].activation"


def test_format_is_checked_before_anything_else() -> None:
    with pytest.raises(LessonFileError) as info:
        parse_lesson({"layers": 5, "zzz": 1})
    assert info.value.place == "(top level)"
    assert "missing key 'format'" in info.value.message


@pytest.mark.parametrize("text", ["[]", "3", '"bpsim"', "null", "true"])
def test_top_level_must_be_an_object(text: str) -> None:
    with pytest.raises(LessonFileError) as info:
        parse_lesson(text)
    assert info.value.place == "(top level)"
    assert "expected a JSON object" in info.value.message


def test_mapping_with_non_json_values_is_refused() -> None:
    doc = example()
    doc["parameters"]["weights"][0][0][0] = float("nan")
    with pytest.raises(LessonFileError) as info:
        parse_lesson(doc)
    assert info.value.place == "parameters.weights[0][0][0]"
    doc = example()
    doc["state"] = {"when": object()}
    with pytest.raises(LessonFileError) as info:
        parse_lesson(doc)
    assert info.value.place == "state.when"
    doc["state"] = {1: 2}
    with pytest.raises(LessonFileError, match="keys must be strings"):
        parse_lesson(doc)
    doc["state"] = {"x": float("inf")}
    with pytest.raises(LessonFileError) as info:
        parse_lesson(doc)
    assert info.value.place == "state.x"


def test_state_and_view_nesting_is_bounded() -> None:
    doc = example()
    deep: Any = []
    for _ in range(200):
        deep = [deep]
    doc["view"] = {"deep": deep}
    with pytest.raises(LessonFileError, match="nested more than"):
        parse_lesson(doc)
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    doc["view"] = cyclic
    with pytest.raises(LessonFileError, match="nested more than"):
        parse_lesson(doc)


def test_nothing_is_half_loaded(tmp_path: Path) -> None:
    """A bad file raises; it never hands back a partial lesson."""
    doc = example()
    doc["dataset"]["targets"] = [[0.1]]
    path = tmp_path / "bad.bpsim"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = None
    with pytest.raises(LessonFileError):
        result = load_lesson(path)
    assert result is None


def test_limits_are_checked_before_building(monkeypatch: pytest.MonkeyPatch) -> None:
    from bpsim.fileformat import dataset, validate

    doc = example()
    doc["dataset"] = {"inputs": [[0, 0]] * 3, "targets": [[0, 0]] * 3}
    monkeypatch.setattr(dataset, "MAX_SAMPLES", 2)
    with pytest.raises(LessonFileError) as info:
        parse_lesson(doc)
    assert info.value.place == "dataset.inputs"
    assert "3 rows; at most 2 are allowed" in info.value.message
    monkeypatch.setattr(dataset, "MAX_SAMPLES", 100)
    monkeypatch.setattr(dataset, "MAX_DATA_VALUES", 11)
    with pytest.raises(LessonFileError) as info:
        parse_lesson(doc)
    assert info.value.place == "dataset"
    assert "at most 11 values" in info.value.message
    monkeypatch.setattr(dataset, "MAX_DATA_VALUES", 12)
    assert parse_lesson(doc).dataset.size == 3

    # The example has 4 + 1 + 4 + 1 = 10 weights and biases (shared biases count once).
    monkeypatch.setattr(validate, "MAX_PARAMETERS", 10)
    assert parse_lesson(example()).sizes == [2, 2, 2]
    doc = example()
    doc["layers"][2]["bias"] = "per_neuron"
    with pytest.raises(LessonFileError) as info:
        parse_lesson(doc)
    assert info.value.place == "layers"
    assert "would have 11 weights and biases; at most 10" in info.value.message
