"""The rules of what fits, each once (bpsim.core.rules), and every place that checks a
rule saying what the rule says: the file reader, the structural and data edits, the
window's controller and its fields."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import numpy as np
import pytest

from bpsim.core import rules
from bpsim.core.trainer import Trainer
from bpsim.fileformat import LessonFileError, parse_lesson
from bpsim.lessons import dataset_edit, structure
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file


def example_trainer(name: str) -> Trainer:
    example = find_example(name)
    assert example is not None
    return trainer_from_lesson_file(example.path)


# -- each rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "output", "need"),
    [
        ("binary_cross_entropy", "tanh", "sigmoid"),
        ("binary_cross_entropy", "softmax", "sigmoid"),
        ("cross_entropy", "sigmoid", "softmax"),
        ("cross_entropy", "linear", "softmax"),
    ],
)
def test_a_cross_entropy_needs_its_output_activation(loss: str, output: str, need: str) -> None:
    assert rules.loss_problem(loss, output) == (
        f"{loss} needs a {need} output layer, but the output layer's activation is '{output}'"
    )
    assert rules.loss_problem(loss, output, "layers[3].activation") == (
        f"{loss} needs a {need} output layer, but layers[3].activation is '{output}'"
    )
    assert rules.loss_problem(loss, need) is None


@pytest.mark.parametrize("output", ["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"])
def test_squared_errors_take_any_output(output: str) -> None:
    assert rules.loss_problem("half_sse", output) is None
    assert rules.loss_problem("mse", output) is None


@pytest.mark.parametrize(
    ("loss", "output", "expected"),
    [
        ("binary_cross_entropy", "softmax", "cross_entropy"),
        ("cross_entropy", "sigmoid", "binary_cross_entropy"),
        ("binary_cross_entropy", "tanh", "mse"),
        ("cross_entropy", "relu", "mse"),
        ("binary_cross_entropy", "sigmoid", "binary_cross_entropy"),  # still fits: kept
        ("half_sse", "softmax", "half_sse"),
    ],
)
def test_the_loss_that_fits_a_new_output(loss: str, output: str, expected: str) -> None:
    assert rules.fitting_loss(loss, output) == expected
    assert rules.loss_problem(expected, output) is None


def test_softmax_only_on_the_output_layer() -> None:
    assert rules.activation_problem("softmax", 2, 2) is None
    assert rules.activation_problem("softmax", 1, 2) == (
        "softmax is allowed only in the output layer (layers[2])"
    )
    assert rules.activation_problem("relu", 1, 2) is None


@pytest.mark.parametrize("value", [0.0, -0.1, -0.0, math.nan, math.inf, -math.inf])
def test_a_learning_rate_must_be_above_zero(value: float) -> None:
    assert rules.learning_rate_problem(value) == "the learning rate must be a number above 0"


@pytest.mark.parametrize("value", [5e-324, 1e-6, 0.5, 10.0])
def test_any_finite_positive_learning_rate_fits(value: float) -> None:
    assert rules.learning_rate_problem(value) is None


def test_a_batch_holds_at_least_one_sample() -> None:
    assert rules.batch_size_problem(None) is None  # the full set
    assert rules.batch_size_problem(1) is None
    assert rules.batch_size_problem(0) == "the batch size must be at least 1"
    assert rules.batch_size_problem(-3) == "the batch size must be at least 1"


def test_rows_and_shapes() -> None:
    assert rules.rows_problem(np.zeros((3, 2)), np.zeros((3, 1))) is None
    assert rules.rows_problem(np.zeros((3, 2)), np.zeros((2, 1))) == (
        "the inputs (3, 2) and targets (2, 1) are not rows of the same samples"
    )
    assert rules.rows_problem(np.zeros((0, 2)), np.zeros((0, 1))) == (
        "the data set has no rows; at least one is needed"
    )
    assert rules.shape_problem(2, 1, [2, 3, 1]) is None
    assert rules.shape_problem(3, 1, [2, 3, 1]) == (
        "the data set has 3 inputs per row, but the input layer has 2 neurons"
    )
    assert rules.shape_problem(2, 2, [2, 3, 1]) == (
        "the data set has 2 targets per row, but the output layer has 1 neuron"
    )
    assert rules.shape_problem(1, 1, [1, 1]) is None


def test_the_first_target_a_loss_cannot_take() -> None:
    t = np.array([[0.0, 1.0], [0.5, 1.5], [-1.0, 0.2]])
    misfit = rules.target_problem("binary_cross_entropy", t)
    assert misfit == rules.TargetMisfit(
        "binary_cross_entropy needs targets from 0 to 1", row=1, column=1, value=1.5
    )
    assert misfit.text() == (
        "binary_cross_entropy needs targets from 0 to 1; sample 2 has target 2 = 1.5"
    )
    ce = rules.target_problem("cross_entropy", t)
    assert ce is not None and (ce.row, ce.column, ce.value) == (2, 0, -1.0)
    assert rules.target_problem("cross_entropy", np.abs(t)) is None
    assert rules.target_problem("mse", t) is None


def test_data_problem_checks_in_order() -> None:
    sizes, x, t = [2, 1], np.zeros((2, 2)), np.array([[0.0], [2.0]])
    assert rules.data_problem(x, t, sizes, "mse") is None
    assert rules.data_problem(np.zeros((2, 3)), t, sizes, "binary_cross_entropy") == (
        "the data set has 3 inputs per row, but the input layer has 2 neurons"
    )
    x_nan = x.copy()
    x_nan[1, 0] = np.nan
    assert rules.data_problem(x_nan, t, sizes, "mse") == (
        "sample 2, input 1 is not a finite number"
    )
    assert rules.data_problem(x, t, sizes, "binary_cross_entropy") == (
        "binary_cross_entropy needs targets from 0 to 1; sample 2 has target 1 = 2"
    )


def test_rules_import_only_numpy_and_the_standard_library() -> None:
    tree = ast.parse(Path(rules.__file__).read_text(encoding="utf-8"))
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert modules <= {"__future__", "math", "collections", "dataclasses", "numpy"}


# -- every place says what the rule says -------------------------------------------------


def worked_example_document() -> dict:
    example = find_example("worked-example")
    assert example is not None
    return json.loads(example.path.read_text(encoding="utf-8"))


def test_the_file_the_edit_and_the_controller_give_one_loss_rule() -> None:
    doc = worked_example_document()
    doc["loss"] = "binary_cross_entropy"
    doc["layers"][-1]["activation"] = "tanh"
    with pytest.raises(LessonFileError) as error:
        parse_lesson(doc)
    assert error.value.place == "loss"
    assert error.value.message == rules.loss_problem(
        "binary_cross_entropy", "tanh", "layers[2].activation"
    )

    lesson = structure.current_lesson(example_trainer("worked-example"))
    lesson.loss = "binary_cross_entropy"
    with pytest.raises(structure.StructureError) as refused:
        structure.set_activation(lesson, 2, "tanh", adjust_loss=False)
    assert refused.value.place == "loss"
    assert refused.value.message == rules.loss_problem("binary_cross_entropy", "tanh")


def test_the_file_and_the_edit_give_one_softmax_rule() -> None:
    doc = worked_example_document()
    doc["layers"][1]["activation"] = "softmax"
    with pytest.raises(LessonFileError) as error:
        parse_lesson(doc)
    assert error.value.message == rules.activation_problem("softmax", 1, 2)
    lesson = structure.current_lesson(example_trainer("worked-example"))
    with pytest.raises(structure.StructureError) as refused:
        structure.set_activation(lesson, 1, "softmax")
    assert refused.value.message == rules.activation_problem("softmax", 1, 2)
    with pytest.raises(structure.StructureError) as inserted:
        structure.add_layer(lesson, 1, activation="softmax")
    assert inserted.value.message == rules.activation_problem("softmax", 1, 3)


def test_the_file_and_the_data_edits_give_one_data_rule() -> None:
    doc = worked_example_document()
    doc["dataset"] = {"builtin": "xor"}  # one target per row; the network has two outputs
    with pytest.raises(LessonFileError) as error:
        parse_lesson(doc)
    assert error.value.message == rules.shape_problem(2, 1, [2, 2, 2])

    trainer = example_trainer("worked-example")
    x, t = np.array([[0.05, 0.10, 0.2]]), np.array([[0.01, 0.99]])
    assert dataset_edit.fit_problem(x, t, trainer.network) == rules.shape_problem(3, 2, [2, 2, 2])
    problem = structure.training_problem(trainer)
    assert problem is None
    trainer.inputs = x  # as a structural edit leaves it: the data no longer fit
    assert structure.training_problem(trainer) == (
        "The data set has 3 inputs per row, but the input layer has 2 neurons. "
        "Training waits until it fits again (or Undo)."
    )


def test_a_refused_target_names_its_sample_in_the_data_edit() -> None:
    trainer = example_trainer("xor")  # binary cross-entropy
    with pytest.raises(ValueError) as error:
        dataset_edit.check_data_value(trainer, "targets", 2, 0, 1.5)
    assert str(error.value) == (
        "binary_cross_entropy needs targets from 0 to 1; sample 3 has target 1 = 1.5"
    )
