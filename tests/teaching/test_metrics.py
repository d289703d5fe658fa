"""Accuracy, confusion matrices and R², against values counted by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from engine_lessons import random_lesson, seed000_lesson

from bpsim.core.spec import (
    Dataset,
    LayerSpec,
    Lesson,
    OptimizerSpec,
    Parameters,
    TrainingSpec,
)
from bpsim.core.trainer import Trainer
from bpsim.teaching.metrics import (
    accuracy,
    confusion_matrix,
    metrics_for,
    predicted_classes,
    r2_score,
    task_of,
)

# three classes, six samples: true 0 0 1 1 2 2, predicted 0 1 1 1 2 0
OUTPUTS = np.array(
    [
        [0.7, 0.2, 0.1],
        [0.3, 0.6, 0.1],
        [0.1, 0.8, 0.1],
        [0.2, 0.5, 0.3],
        [0.1, 0.1, 0.8],
        [0.5, 0.2, 0.3],
    ]
)
TARGETS = np.eye(3)[[0, 0, 1, 1, 2, 2]]


def test_accuracy_by_argmax() -> None:
    assert accuracy(OUTPUTS, TARGETS) == 4 / 6
    assert list(predicted_classes(OUTPUTS)) == [0, 1, 1, 1, 2, 0]
    assert accuracy(TARGETS, TARGETS) == 1.0
    assert math.isnan(accuracy(np.zeros((0, 3)), np.zeros((0, 3))))


def test_accuracy_with_one_output_uses_the_threshold() -> None:
    outputs = np.array([0.9, 0.2, 0.5, 0.49, 0.7])
    targets = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    # predicted 1 0 1 0 1 (0.5 counts as 1): right, right, wrong, wrong, right
    assert accuracy(outputs, targets) == 3 / 5
    assert accuracy(outputs[:, None], targets[:, None]) == 3 / 5
    # tanh outputs against −1/1 targets: threshold 0
    assert accuracy(np.array([0.3, -0.8, 0.1]), np.array([1.0, -1.0, -1.0]), threshold=0.0) == 2 / 3
    with pytest.raises(ValueError, match="differ"):
        accuracy(outputs, targets[:4])


def test_confusion_matrix_counts_true_rows_predicted_columns() -> None:
    matrix = confusion_matrix(OUTPUTS, TARGETS)
    assert matrix.tolist() == [
        [1, 1, 0],  # class 0: once right, once taken for 1
        [0, 2, 0],  # class 1: both right
        [1, 0, 1],  # class 2: once taken for 0, once right
    ]
    assert matrix.dtype == np.int64
    assert np.trace(matrix) / matrix.sum() == accuracy(OUTPUTS, TARGETS)
    binary = confusion_matrix(np.array([0.9, 0.2, 0.5, 0.49, 0.7]), np.array([1.0, 0, 0, 1, 1]))
    assert binary.tolist() == [[1, 1], [1, 2]]
    assert confusion_matrix(OUTPUTS, TARGETS, classes=4).shape == (4, 4)
    with pytest.raises(ValueError, match="class"):
        confusion_matrix(OUTPUTS, TARGETS, classes=2)
    assert confusion_matrix(np.zeros((0, 3)), np.zeros((0, 3))).sum() == 0


def test_r2_by_hand() -> None:
    targets = np.array([1.0, 2.0, 3.0, 4.0])
    outputs = np.array([1.1, 1.9, 3.2, 3.8])
    # SS_res = 0.01 + 0.01 + 0.04 + 0.04 = 0.10; SS_tot = 2.25 + 0.25 + 0.25 + 2.25 = 5
    assert r2_score(outputs, targets) == pytest.approx(1 - 0.10 / 5)
    assert r2_score(targets, targets) == 1.0
    assert r2_score(np.full(4, 2.5), targets) == 0.0  # always the mean
    assert r2_score(np.full(4, 10.0), targets) < 0  # worse than the mean
    # two outputs: the mean of their scores
    both = r2_score(
        np.column_stack([outputs, np.full(4, 2.5)]), np.column_stack([targets, targets])
    )
    assert both == pytest.approx((0.98 + 0.0) / 2)


def test_r2_with_constant_targets_and_too_few_samples() -> None:
    constant = np.full(3, 0.7)
    assert r2_score(constant, constant) == 1.0
    assert r2_score(np.array([0.7, 0.8, 0.7]), constant) == 0.0
    assert math.isnan(r2_score(np.array([0.5]), np.array([0.4])))


def lesson(activation: str, targets: np.ndarray, loss: str = "mse", **training: object) -> Lesson:
    n, k = targets.shape
    rng = np.random.default_rng(1)
    return Lesson(
        layers=[LayerSpec(2), LayerSpec(3, "tanh"), LayerSpec(k, activation)],
        loss=loss,
        optimizer=OptimizerSpec.with_defaults("sgd", learning_rate=0.1),
        dataset=Dataset(rng.normal(size=(n, 2)), targets),
        parameters=Parameters(
            [rng.normal(size=(3, 2)), rng.normal(size=(k, 3))], [np.zeros(3), np.zeros(k)]
        ),
        training=TrainingSpec(**training),  # type: ignore[arg-type]
    )


def test_task_detection() -> None:
    def task(activation: str, targets: np.ndarray) -> tuple[str, float]:
        return task_of(Trainer(lesson(activation, targets)).network, targets)

    one_hot = np.eye(3)[[0, 1, 2, 1]]
    assert task("softmax", one_hot) == ("classification", 0.5)
    assert task("sigmoid", one_hot) == ("classification", 0.5)
    assert task("linear", one_hot) == ("classification", 0.5)  # one-hot targets say so
    assert task("sigmoid", np.array([[0.0], [1.0], [1.0]])) == ("classification", 0.5)
    assert task("tanh", np.array([[-1.0], [1.0], [1.0]])) == ("classification", 0.0)
    assert task("linear", np.array([[0.0], [1.0], [1.0]])) == ("regression", 0.5)
    assert task("sigmoid", np.array([[0.2], [0.9], [0.4]])) == ("regression", 0.5)
    assert task("sigmoid", np.array([[0.0, 1.0], [1.0, 1.0]])) == ("regression", 0.5)
    seed000 = Trainer(seed000_lesson())  # targets 0.05 and 0.82: regression
    assert task_of(seed000.network, seed000.targets)[0] == "regression"


def test_metrics_for_a_classification_lesson() -> None:
    targets = np.eye(3)[np.arange(20) % 3]
    trainer = Trainer(lesson("softmax", targets, "cross_entropy", validation_fraction=0.25, seed=3))
    trainer.run_steps(5)
    m = metrics_for(trainer)
    assert m["task"] == "classification" and m["class_names"] == ["y1", "y2", "y3"]
    net = trainer.network
    for part, rows in (("train", trainer.train_idx), ("validation", trainer.val_idx)):
        x, t = trainer.inputs[rows], trainer.targets[rows]
        measured = m[part]
        assert measured["samples"] == len(rows)
        assert measured["loss"] == net.loss_on(x, t)
        out = net.outputs(x)[1]
        assert measured["accuracy"] == accuracy(out, t)
        assert np.array_equal(measured["confusion_matrix"], confusion_matrix(out, t, 3))
        assert measured["confusion_matrix"].sum() == len(rows)
        assert "r2" not in measured
    assert m["train"]["samples"] == 15 and m["validation"]["samples"] == 5


def test_metrics_for_a_binary_lesson_without_validation() -> None:
    targets = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    trainer = Trainer(lesson("sigmoid", targets, "binary_cross_entropy"))
    m = metrics_for(trainer)
    assert m["task"] == "classification" and m["class_names"] == ["0", "1"]
    assert m["validation"] is None
    assert m["train"]["confusion_matrix"].shape == (2, 2)


def test_metrics_for_a_regression_lesson() -> None:
    trainer = Trainer(random_lesson([2, 3, 1], ["tanh", "linear"], "mse", samples=12))
    m = metrics_for(trainer)
    assert m["task"] == "regression" and m["class_names"] == []
    out = trainer.network.outputs(trainer.inputs)[1]
    assert m["train"]["r2"] == r2_score(out, trainer.targets)
    assert "accuracy" not in m["train"]
    # training a line on a line makes R² approach 1
    x = np.linspace(-1, 1, 20)[:, None]
    line = Lesson(
        layers=[LayerSpec(1), LayerSpec(1, "linear")],
        loss="mse",
        optimizer=OptimizerSpec.with_defaults("sgd", learning_rate=0.3),
        dataset=Dataset(x, 3 * x - 1),
        parameters=Parameters([np.array([[0.0]])], [np.array([0.0])]),
    )
    fit = Trainer(line)
    before = metrics_for(fit)["train"]["r2"]
    fit.run_steps(200)
    after = metrics_for(fit)["train"]["r2"]
    assert before < 0.5 < 0.999999 < after <= 1.0


def test_metrics_use_the_datasets_class_names() -> None:
    targets = np.eye(2)[[0, 1, 1, 0]]
    base = lesson("softmax", targets, "cross_entropy")
    base.dataset.target_names = ["cat", "dog"]
    assert metrics_for(Trainer(base))["class_names"] == ["cat", "dog"]
