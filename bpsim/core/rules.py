"""What fits in a lesson: each rule once, as a pure function that says what is wrong.

Every place that checks one of these rules calls the function here: the file reader
(``bpsim.fileformat``), the structural and data edits (``structure``, ``dataset_edit``),
the window's controller and its fields, the teaching panels. So a rule changes in one
place and reads the same everywhere. Each function returns None when the value fits, or a
short lower-case sentence naming the problem, for the caller to put after its place
("Learning rate: …", "layers[2].activation: …").

Only numpy and the standard library, and it lives in core, the lowest layer, so the file
reader, the lesson edits, the trainer and the window can all call the same copy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: The output activation each loss needs (losses not named here take any output).
LOSS_OUTPUT: dict[str, str] = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax"}

__all__ = [
    "LOSS_OUTPUT",
    "TargetMisfit",
    "activation_problem",
    "batch_size_problem",
    "data_problem",
    "fitting_loss",
    "learning_rate_problem",
    "loss_problem",
    "rows_problem",
    "shape_problem",
    "target_problem",
]


# -- the network ---------------------------------------------------------------------------


def loss_problem(
    loss: str, output_activation: str, where: str = "the output layer's activation"
) -> str | None:
    """Why ``loss`` cannot follow an output layer of ``output_activation``, or None.
    ``where`` names the output activation in the message (the file says
    ``layers[2].activation``)."""
    need = LOSS_OUTPUT.get(loss)
    if need is None or output_activation == need:
        return None
    return f"{loss} needs a {need} output layer, but {where} is '{output_activation}'"


def fitting_loss(loss: str, output_activation: str) -> str:
    """The loss to switch to when the output activation changes under ``loss``: ``loss``
    itself when it still fits, else the cross-entropy that fits, else mse."""
    if loss_problem(loss, output_activation) is None:
        return loss
    for candidate, need in LOSS_OUTPUT.items():
        if need == output_activation:
            return candidate
    return "mse"


def activation_problem(activation: str, layer: int, last: int) -> str | None:
    """Why layer ``layer`` of a network whose output layer is ``last`` cannot have
    ``activation``: softmax normalises over a whole layer's outputs, so only the output
    layer may have it."""
    if activation == "softmax" and layer != last:
        return f"softmax is allowed only in the output layer (layers[{last}])"
    return None


# -- training settings ---------------------------------------------------------------------


def learning_rate_problem(value: float) -> str | None:
    """A learning rate the window accepts is a finite number above 0 (0 would never
    move a weight, and a negative rate climbs the loss)."""
    if not (math.isfinite(value) and value > 0):
        return "the learning rate must be a number above 0"
    return None


def batch_size_problem(size: int | None) -> str | None:
    """A batch size is a whole number of samples, at least 1; None means the full set."""
    if size is not None and size < 1:
        return "the batch size must be at least 1"
    return None


# -- the data set and the network ------------------------------------------------------------


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def rows_problem(inputs: np.ndarray, targets: np.ndarray) -> str | None:
    """Why the arrays are not rows of the same samples, or there are none; None if fine."""
    x, t = np.asarray(inputs), np.asarray(targets)
    if x.ndim != 2 or t.ndim != 2 or x.shape[0] != t.shape[0]:
        return f"the inputs {x.shape} and targets {t.shape} are not rows of the same samples"
    if x.shape[0] < 1:
        return "the data set has no rows; at least one is needed"
    return None


def shape_problem(n_inputs: int, n_targets: int, sizes: Sequence[int]) -> str | None:
    """Why rows of ``n_inputs`` inputs and ``n_targets`` targets do not fit a network of
    layer ``sizes`` (one input per input neuron, one target per output neuron)."""
    n_in, n_out = sizes[0], sizes[-1]
    if n_inputs != n_in:
        return (
            f"the data set has {_count(n_inputs, 'input')} per row, but the input layer "
            f"has {_count(n_in, 'neuron')}"
        )
    if n_targets != n_out:
        return (
            f"the data set has {_count(n_targets, 'target')} per row, but the output layer "
            f"has {_count(n_out, 'neuron')}"
        )
    return None


@dataclass(frozen=True)
class TargetMisfit:
    """The first target a loss cannot take: what the loss needs, and where (0-based)."""

    need: str  # "binary_cross_entropy needs targets from 0 to 1"
    row: int
    column: int
    value: float

    def text(self) -> str:
        """The misfit as a sentence: "…needs targets from 0 to 1; sample 3 has target 1 = 2"."""
        return f"{self.need}; sample {self.row + 1} has target {self.column + 1} = {self.value:g}"


def target_problem(loss: str, targets: np.ndarray) -> TargetMisfit | None:
    """The first target ``loss`` cannot take (binary cross-entropy: from 0 to 1;
    cross-entropy: probabilities, ≥ 0), or None when every target fits."""
    t = np.asarray(targets)
    if loss == "binary_cross_entropy":
        bad, need = np.argwhere((t < 0) | (t > 1)), "binary_cross_entropy needs targets from 0 to 1"
    elif loss == "cross_entropy":
        bad, need = np.argwhere(t < 0), "cross_entropy needs targets ≥ 0 (probabilities)"
    else:
        return None
    if not bad.size:
        return None
    row, column = (int(v) for v in bad[0])
    return TargetMisfit(need, row, column, float(t[row, column]))


def data_problem(
    inputs: np.ndarray, targets: np.ndarray, sizes: Sequence[int], loss: str
) -> str | None:
    """Why these rows cannot train a network of layer ``sizes`` with ``loss`` (rows,
    shape, finite numbers, targets the loss can take), or None when they can."""
    problem = rows_problem(inputs, targets)
    if problem is not None:
        return problem
    x, t = np.asarray(inputs), np.asarray(targets)
    problem = shape_problem(x.shape[1], t.shape[1], sizes)
    if problem is not None:
        return problem
    for name, array in (("input", x), ("target", t)):
        bad = np.argwhere(~np.isfinite(array))
        if bad.size:
            row, column = (int(v) for v in bad[0])
            return f"sample {row + 1}, {name} {column + 1} is not a finite number"
    misfit = target_problem(loss, t)
    return None if misfit is None else misfit.text()
