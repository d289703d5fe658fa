"""Changing a trainer's data set while a lesson is open: one value, added rows, or a whole
new data set, each undoable by putting back a :class:`DataState`.

The trainer reads its samples from ``trainer.inputs``/``trainer.targets`` and saves
``trainer.lesson.dataset``; both are changed together here, the training/validation split
is redrawn for the new number of rows, the epoch restarts its batches (the old batch
order no longer means anything) and every cached batch is dropped with
:meth:`Trainer.data_changed`. Parameters, optimizer state, counters and the loss history
are left alone: changing the data is part of the lesson, not a reset.

A data set whose values were edited is written back to the file as inline rows (its
``source`` is emptied), because the built-in or CSV it came from no longer describes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bpsim.core import rules
from bpsim.core.network import Network
from bpsim.core.spec import MAX_DATA_VALUES, MAX_SAMPLES, Dataset
from bpsim.core.trainer import Trainer, split_indices

__all__ = [
    "DataState",
    "add_rows",
    "check_data_value",
    "data_state",
    "fit_problem",
    "new_rows_problem",
    "replace_dataset",
    "restore_data",
    "set_data_value",
]

PARTS = ("inputs", "targets")


@dataclass
class DataState:
    """What a data edit changes, to put it back on undo. The arrays are references: edits
    that change the shape make new arrays, and a one-value edit is undone by value."""

    dataset: Dataset
    inputs: np.ndarray
    targets: np.ndarray
    source: dict[str, Any]
    train_idx: np.ndarray
    val_idx: np.ndarray
    batch_index: int
    epoch_loss_sum: float
    epoch_samples: int
    override: np.ndarray | None = field(default=None)


def data_state(trainer: Trainer) -> DataState:
    """The trainer's data as it is now."""
    return DataState(
        dataset=trainer.lesson.dataset,
        inputs=trainer.inputs,
        targets=trainer.targets,
        source=dict(trainer.lesson.dataset.source),
        train_idx=trainer.train_idx,
        val_idx=trainer.val_idx,
        batch_index=trainer.batch_index,
        epoch_loss_sum=trainer.epoch_loss_sum,
        epoch_samples=trainer.epoch_samples,
        override=None if trainer.override is None else trainer.override.copy(),
    )


def restore_data(trainer: Trainer, state: DataState) -> None:
    """Put back the data as ``state`` recorded it."""
    trainer.lesson.dataset = state.dataset
    state.dataset.source = dict(state.source)
    trainer.inputs, trainer.targets = state.inputs, state.targets
    trainer.train_idx, trainer.val_idx = state.train_idx, state.val_idx
    trainer.batch_index = state.batch_index
    trainer.epoch_loss_sum, trainer.epoch_samples = state.epoch_loss_sum, state.epoch_samples
    trainer.data_changed()
    trainer.override = None if state.override is None else state.override.copy()


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def fit_problem(inputs: np.ndarray, targets: np.ndarray, network: Network) -> str | None:
    """Why these rows cannot be the network's data set (shapes, size limits, non-finite
    numbers, targets the loss cannot take), in words for the user; None when they fit.
    The rules themselves are :mod:`bpsim.core.rules`."""
    x, t = np.asarray(inputs), np.asarray(targets)
    problem = rules.rows_problem(x, t)
    if problem is not None:
        return problem
    if x.shape[0] > MAX_SAMPLES:
        return f"{x.shape[0]:,} rows; at most {MAX_SAMPLES:,} are allowed"
    if x.size + t.size > MAX_DATA_VALUES:
        return f"{x.size + t.size:,} numbers; at most {MAX_DATA_VALUES:,} are allowed"
    return rules.data_problem(x, t, network.sizes, network.loss.name)


def _install(trainer: Trainer, dataset: Dataset) -> None:
    trainer.lesson.dataset = dataset
    trainer.inputs, trainer.targets = dataset.inputs, dataset.targets
    trainer.train_idx, trainer.val_idx = split_indices(
        len(dataset.inputs), trainer.training.validation_fraction, trainer.training.seed
    )
    trainer.batch_index = 0
    trainer.epoch_loss_sum, trainer.epoch_samples = 0.0, 0
    trainer.override = None
    trainer.data_changed()


def replace_dataset(trainer: Trainer, dataset: Dataset) -> None:
    """Make ``dataset`` the lesson's data set. ValueError (nothing changed) when it does
    not fit the network."""
    problem = fit_problem(dataset.inputs, dataset.targets, trainer.network)
    if problem is not None:
        raise ValueError(problem)
    dataset.inputs = np.ascontiguousarray(dataset.inputs, dtype=np.float64)
    dataset.targets = np.ascontiguousarray(dataset.targets, dtype=np.float64)
    _install(trainer, dataset)


def new_rows_problem(trainer: Trainer, inputs: np.ndarray, targets: np.ndarray) -> str | None:
    """Why these samples cannot be appended to the trainer's data set, or None."""
    new_x = np.atleast_2d(np.asarray(inputs, dtype=np.float64))
    new_t = np.atleast_2d(np.asarray(targets, dtype=np.float64))
    if new_x.shape[1:] != trainer.inputs.shape[1:] or new_t.shape[1:] != trainer.targets.shape[1:]:
        return (
            f"a new sample needs {_count(trainer.inputs.shape[1], 'input')} and "
            f"{_count(trainer.targets.shape[1], 'target')}"
        )
    return fit_problem(
        np.concatenate([trainer.inputs, new_x]),
        np.concatenate([trainer.targets, new_t]),
        trainer.network,
    )


def add_rows(trainer: Trainer, inputs: np.ndarray, targets: np.ndarray) -> None:
    """Append samples (a point clicked into the plane, say). The data set becomes inline
    rows. ValueError (nothing changed) when they do not fit."""
    problem = new_rows_problem(trainer, inputs, targets)
    if problem is not None:
        raise ValueError(problem)
    new_x = np.atleast_2d(np.asarray(inputs, dtype=np.float64))
    new_t = np.atleast_2d(np.asarray(targets, dtype=np.float64))
    old = trainer.lesson.dataset
    dataset = Dataset(
        inputs=np.ascontiguousarray(np.concatenate([trainer.inputs, new_x])),
        targets=np.ascontiguousarray(np.concatenate([trainer.targets, new_t])),
        source={},
        input_names=old.input_names,
        target_names=old.target_names,
    )
    _install(trainer, dataset)


def check_data_value(trainer: Trainer, part: str, row: int, column: int, value: float) -> float:
    """Raise ValueError, with a message for the user, unless ``value`` can be input or
    target ``column`` of sample ``row``; return the value it has now."""
    if part not in PARTS:
        raise ValueError(f"part must be 'inputs' or 'targets', not {part!r}")
    array = trainer.inputs if part == "inputs" else trainer.targets
    if not (0 <= row < array.shape[0] and 0 <= column < array.shape[1]):
        raise ValueError(f"there is no {part[:-1]} {column + 1} of sample {row + 1}")
    if not np.isfinite(value):
        raise ValueError("enter a finite number")
    if part == "targets":
        trial = array[row].copy()
        trial[column] = value
        misfit = rules.target_problem(trainer.network.loss.name, trial[None, :])
        if misfit is not None:
            raise ValueError(replace(misfit, row=row).text())
    return float(array[row, column])


def set_data_value(trainer: Trainer, part: str, row: int, column: int, value: float) -> float:
    """Set one input or target (``part`` "inputs" or "targets") in place and return the
    value it had. The data set becomes inline rows; the split and batch order stay.
    ValueError (nothing changed) when the value is refused."""
    value = float(value)
    old = check_data_value(trainer, part, row, column, value)
    array = trainer.inputs if part == "inputs" else trainer.targets
    array[row, column] = value
    dataset = trainer.lesson.dataset
    held = getattr(dataset, part)
    if held is not array:  # the lesson's own copy, should it not share the trainer's array
        held[row, column] = value
    dataset.source = {}
    trainer.data_changed()
    return old
