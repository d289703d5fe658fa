"""Editing a trainer's data set: values, added rows, a new data set, and putting it back."""

from __future__ import annotations

import numpy as np
import pytest

from bpsim.core.trainer import Phase, Trainer
from bpsim.datasets import load_builtin
from bpsim.lessons.dataset_edit import (
    add_rows,
    data_state,
    fit_problem,
    replace_dataset,
    restore_data,
    set_data_value,
)
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file


def trainer(name: str = "xor") -> Trainer:
    example = find_example(name)
    assert example is not None
    return trainer_from_lesson_file(example.path)


def test_set_value_changes_what_the_next_pass_reads() -> None:
    t = trainer()
    t.forward()
    old = set_data_value(t, "inputs", 1, 0, 0.25)
    assert old == 0.0
    assert t.inputs[1, 0] == 0.25 and t.lesson.dataset.inputs[1, 0] == 0.25
    assert t.phase is Phase.READY  # the pass on screen used the old value
    assert t.lesson.dataset.source == {}  # written back inline
    t.forward()
    assert t.trace is not None and t.trace.a[0][1, 0] == 0.25


def test_set_value_refuses_without_change() -> None:
    t = trainer()  # binary cross-entropy: targets from 0 to 1
    before = t.targets.copy()
    with pytest.raises(ValueError, match="binary_cross_entropy needs targets from 0 to 1"):
        set_data_value(t, "targets", 2, 0, 2.0)
    with pytest.raises(ValueError, match="finite"):
        set_data_value(t, "inputs", 0, 0, float("nan"))
    with pytest.raises(ValueError, match="no input 3 of sample 1"):
        set_data_value(t, "inputs", 0, 2, 1.0)
    np.testing.assert_array_equal(t.targets, before)


def test_add_rows_then_restore() -> None:
    t = trainer()
    t.step()
    state = data_state(t)
    add_rows(t, [[0.5, 0.5]], [[1.0]])
    assert t.inputs.shape == (5, 2) and t.targets.shape == (5, 1)
    assert t.lesson.dataset.source == {}
    assert len(t.train_idx) == 5 and t.batch_index == 0
    t.step()  # trains on the five rows
    assert t.trace is not None and t.trace.batch_size == 5
    restore_data(t, state)
    assert t.inputs.shape == (4, 2) and len(t.train_idx) == 4
    t.step()
    assert t.trace is not None and t.trace.batch_size == 4


def test_add_rows_refused_when_they_do_not_fit() -> None:
    t = trainer()
    with pytest.raises(ValueError, match="a new sample needs 2 inputs and 1 target"):
        add_rows(t, [[1.0, 2.0, 3.0]], [[1.0]])
    with pytest.raises(ValueError, match="targets from 0 to 1"):
        add_rows(t, [[1.0, 2.0]], [[-1.0]])
    assert t.inputs.shape == (4, 2)


def test_replace_dataset_redraws_the_split_and_keeps_the_source() -> None:
    t = trainer("digits")
    state = data_state(t)
    smaller = load_builtin("digits", {"size": 100})
    replace_dataset(t, smaller)
    assert t.inputs.shape == (100, 64)
    assert len(t.train_idx) + len(t.val_idx) == 100 and len(t.val_idx) == 20
    assert t.lesson.dataset.source == {"builtin": "digits", "size": 100}
    assert t.to_lesson().dataset is smaller
    restore_data(t, state)
    assert t.inputs.shape == (1797, 64)


def test_fit_problem_names_what_does_not_fit() -> None:
    t = trainer()
    gates = load_builtin("xor", {"one_hot": True})
    assert "2 targets per row, but the output layer has 1 neuron" in str(
        fit_problem(gates.inputs, gates.targets, t.network)
    )
    iris = load_builtin("iris")
    assert "4 inputs per row, but the input layer has 2 neurons" in str(
        fit_problem(iris.inputs, iris.targets, t.network)
    )
    assert fit_problem(np.zeros((0, 2)), np.zeros((0, 1)), t.network) is not None
    assert fit_problem(np.zeros((3, 2)), np.zeros((3, 1)), t.network) is None
    with pytest.raises(ValueError, match="input layer"):
        replace_dataset(t, iris)
    assert t.inputs.shape == (4, 2)
