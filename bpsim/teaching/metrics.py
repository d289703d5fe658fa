"""Numbers that say how good the network is, in words a person uses: beside the loss.

A loss of 0.21 means little on its own; "93% of the digits right, and it mixes up 3s and
8s" or "R² = 0.97: the line explains nearly all the spread in the prices" does. Accuracy
and a confusion matrix for classification, R² for regression; :func:`metrics_for`
decides which applies to a lesson and computes them on the training and validation
samples.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bpsim.core.network import Network
from bpsim.core.trainer import Trainer

__all__ = [
    "accuracy",
    "confusion_matrix",
    "metrics_for",
    "predicted_classes",
    "r2_score",
    "target_classes",
    "task_of",
]


def _as_2d(values: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{what} must be shaped (samples, outputs)")
    return array


def _pair(outputs: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    o, t = _as_2d(outputs, "outputs"), _as_2d(targets, "targets")
    if o.shape != t.shape:
        raise ValueError(f"outputs {o.shape} and targets {t.shape} differ in shape")
    return o, t


def predicted_classes(outputs: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The class each sample is given: the largest output, or for a single output
    1 when it reaches ``threshold`` and 0 below."""
    o = _as_2d(outputs, "outputs")
    if o.shape[1] == 1:
        return (o[:, 0] >= threshold).astype(np.int64)
    with np.errstate(invalid="ignore"):
        return np.argmax(o, axis=1).astype(np.int64)


def target_classes(targets: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """The true class of each sample, read from the targets the same way."""
    return predicted_classes(targets, threshold)


def accuracy(outputs: np.ndarray, targets: np.ndarray, threshold: float = 0.5) -> float:
    """The fraction of samples classified right (argmax for several outputs, the
    ``threshold`` for one); NaN with no samples."""
    o, t = _pair(outputs, targets)
    if o.shape[0] == 0:
        return math.nan
    right = predicted_classes(o, threshold) == target_classes(t, threshold)
    return float(np.count_nonzero(right)) / o.shape[0]


def confusion_matrix(
    outputs: np.ndarray,
    targets: np.ndarray,
    classes: int | None = None,
    threshold: float = 0.5,
) -> np.ndarray:
    """Counts ``matrix[true, predicted]``: the diagonal is right, the rest shows which
    classes get mixed up. ``classes`` defaults to the number of outputs (2 for one)."""
    o, t = _pair(outputs, targets)
    if classes is None:
        classes = max(2, o.shape[1])
    truth = target_classes(t, threshold)
    guess = predicted_classes(o, threshold)
    if o.shape[0] and (truth.max() >= classes or guess.max() >= classes):
        raise ValueError(f"a class beyond the {classes} asked for")
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (truth, guess), 1)
    return matrix


def r2_score(outputs: np.ndarray, targets: np.ndarray) -> float:
    """The coefficient of determination, 1 − SS_res/SS_tot, per output and averaged.

    1 is perfect, 0 is no better than always answering the targets' mean, below 0 is
    worse. An output whose targets are all equal (SS_tot = 0) scores 1 when it hits them
    exactly and 0 otherwise, as scikit-learn does. NaN with fewer than 2 samples.
    """
    o, t = _pair(outputs, targets)
    if o.shape[0] < 2:
        return math.nan
    # all targets equal (tested directly: their mean need not round to that value)
    constant = np.all(t == t[0], axis=0)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        residual = np.sum((t - o) ** 2, axis=0)
        total = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
        varied = ~constant & (total > 0)
        scores = np.where(
            varied,
            1.0 - residual / np.where(varied, total, 1.0),
            np.where(residual == 0, 1.0, 0.0),
        )
    return float(np.mean(scores))


# --------------------------------------------------------------------------- lessons


def _is_one_hot(targets: np.ndarray) -> bool:
    binary = np.all((targets == 0) | (targets == 1))
    return bool(binary and np.all(targets.sum(axis=1) == 1))


def task_of(network: Network, targets: np.ndarray) -> tuple[str, float]:
    """("classification" or "regression", the threshold for a single output).

    Classification: a softmax output, one-hot targets, a single sigmoid output with 0/1
    targets, or a single tanh output with −1/1 targets (threshold 0). Anything else,
    a linear output in particular, is regression.
    """
    t = _as_2d(targets, "targets")
    output = network.activations[network.depth]
    name = output.name if output is not None else "linear"
    if t.shape[0] == 0:
        return ("classification" if name == "softmax" else "regression"), 0.5
    if t.shape[1] > 1:
        if name == "softmax" or _is_one_hot(t):
            return "classification", 0.5
        return "regression", 0.5
    values = set(np.unique(t).tolist())
    if name in ("sigmoid", "softmax") and values <= {0.0, 1.0}:
        return "classification", 0.5
    if name == "tanh" and values == {-1.0, 1.0}:
        return "classification", 0.0
    return "regression", 0.5


def _measure(
    network: Network, inputs: np.ndarray, targets: np.ndarray, task: str, threshold: float
) -> dict[str, Any] | None:
    if inputs.shape[0] == 0:
        return None
    z, a = network.outputs(inputs)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        loss = network.loss.mean(a, targets, z)
    out: dict[str, Any] = {"samples": int(inputs.shape[0]), "loss": loss}
    if task == "classification":
        classes = max(2, network.sizes[-1])
        out["accuracy"] = accuracy(a, targets, threshold)
        out["confusion_matrix"] = confusion_matrix(a, targets, classes, threshold)
    else:
        out["r2"] = r2_score(a, targets)
    return out


def metrics_for(trainer: Trainer) -> dict[str, Any]:
    """The lesson's metrics now, on the training and the validation samples.

    Returns ``{"task", "class_names", "threshold", "train", "validation"}`` where
    ``train`` and ``validation`` (None without validation samples) each hold
    ``samples``, ``loss`` (the same number as ``network.loss_on``) and either
    ``accuracy`` and ``confusion_matrix`` (rows: true class, columns: predicted) or
    ``r2``.
    """
    network = trainer.network
    task, threshold = task_of(network, trainer.targets)
    if network.sizes[-1] == 1:
        class_names = ["0", "1"] if threshold == 0.5 else ["−1", "1"]
    else:
        names = trainer.lesson.dataset.target_names
        if names is None or len(names) != network.sizes[-1]:
            names = network.labels[network.depth]
        class_names = list(names)
    train, val = trainer.train_idx, trainer.val_idx
    return {
        "task": task,
        "class_names": class_names if task == "classification" else [],
        "threshold": threshold,
        "train": _measure(network, trainer.inputs[train], trainer.targets[train], task, threshold),
        "validation": _measure(network, trainer.inputs[val], trainer.targets[val], task, threshold),
    }
