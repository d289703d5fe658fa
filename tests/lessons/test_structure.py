"""Structural edits as pure functions: what survives an edit keeps its value, new weights
are drawn reproducibly, the file format's rules hold, and an edited lesson still saves
and loads. Qt-free."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsim.core.initializers import initial_parameters
from bpsim.core.spec import InitSpec, Lesson, OptimizerSpec
from bpsim.core.trainer import Trainer
from bpsim.fileformat import dumps_lesson, load_lesson, parse_lesson
from bpsim.lessons import structure
from bpsim.lessons.examples import find_example
from bpsim.lessons.structure import StructureError


def example(name: str) -> Lesson:
    found = find_example(name)
    assert found is not None
    return load_lesson(found.path)


def current(lesson: Lesson) -> Lesson:
    """The lesson with its parameters filled in (as the window hands it over)."""
    return structure.current_lesson(Trainer(lesson))


def round_trip(lesson: Lesson) -> Lesson:
    """Through the file format and back: the rules of the format hold."""
    return parse_lesson(dumps_lesson(lesson))


@pytest.fixture
def xor() -> Lesson:
    return current(example("xor"))  # 2 → 4 tanh → 1 sigmoid, binary cross-entropy


# -- neurons -------------------------------------------------------------------------------


def test_add_neuron_keeps_every_other_weight(xor: Lesson) -> None:
    old = xor.parameters
    assert old is not None
    edit = structure.add_neuron(xor, 1)
    new = edit.lesson.parameters
    assert new is not None
    assert edit.lesson.sizes == [2, 5, 1]
    np.testing.assert_array_equal(new.weights[0][:4], old.weights[0])
    np.testing.assert_array_equal(new.weights[1][:, :4], old.weights[1])
    np.testing.assert_array_equal(new.biases[0][:4], old.biases[0])
    assert new.biases[0][4] == 0.0
    assert np.all(new.weights[0][4] != 0) and new.weights[1][0, 4] != 0
    assert edit.description == "Add neuron h5 to hidden layer 1"
    assert xor.sizes == [2, 4, 1]  # the lesson it started from is untouched
    # The same edit gives the same new weights (every student gets the same numbers).
    again = structure.add_neuron(xor, 1).lesson.parameters
    assert again is not None
    np.testing.assert_array_equal(again.weights[0], new.weights[0])


def test_remove_neuron_keeps_the_rest_and_its_neighbours_names() -> None:
    lesson = current(example("worked-example"))  # labelled x1 x2, h1 h2, y1 y2
    old = lesson.parameters
    assert old is not None
    edit = structure.remove_neuron(lesson, 1, 0)
    new = edit.lesson.parameters
    assert new is not None
    assert edit.lesson.sizes == [2, 1, 2]
    assert edit.lesson.layers[1].labels == ["h2"]
    np.testing.assert_array_equal(new.weights[0], old.weights[0][1:])
    np.testing.assert_array_equal(new.weights[1], old.weights[1][:, 1:])
    np.testing.assert_array_equal(new.biases[0], old.biases[0])  # a shared bias stays
    assert edit.description == "Remove neuron h1 from hidden layer 1"


def test_a_layers_only_neuron_cannot_be_removed(xor: Lesson) -> None:
    with pytest.raises(StructureError, match="only neuron; a network needs"):
        structure.remove_neuron(xor, 2, 0)
    with pytest.raises(StructureError, match="no neuron 9"):
        structure.remove_neuron(xor, 1, 8)


def test_new_neurons_in_a_labelled_layer_get_new_names() -> None:
    lesson = current(example("worked-example"))
    edit = structure.add_neuron(lesson, 1)
    assert edit.lesson.layers[1].labels == ["h1", "h2", "h3"]
    assert round_trip(edit.lesson).layers[1].labels == ["h1", "h2", "h3"]


# -- layers --------------------------------------------------------------------------------


def test_add_and_remove_a_hidden_layer(xor: Lesson) -> None:
    old = xor.parameters
    assert old is not None
    added = structure.add_layer(xor, 2, size=3)
    assert added.lesson.sizes == [2, 4, 3, 1]
    new = added.lesson.parameters
    assert new is not None
    np.testing.assert_array_equal(new.weights[0], old.weights[0])  # kept: same neighbours
    assert new.weights[1].shape == (3, 4) and new.weights[2].shape == (1, 3)
    assert added.lesson.layers[2].activation == "sigmoid"
    removed = structure.remove_layer(added.lesson, 2)
    assert removed.lesson.sizes == [2, 4, 1]
    with pytest.raises(StructureError, match="only hidden layers"):
        structure.remove_layer(xor, 2)
    with pytest.raises(StructureError, match="between the input and the output"):
        structure.add_layer(xor, 0)
    with pytest.raises(StructureError, match="softmax is allowed only in the output"):
        structure.add_layer(xor, 1, activation="softmax")


def test_removing_the_only_hidden_layer_leaves_input_to_output(xor: Lesson) -> None:
    edit = structure.remove_layer(xor, 1)
    assert edit.lesson.sizes == [2, 1]
    with pytest.raises(StructureError, match="no hidden layer"):
        structure.remove_layer(edit.lesson, 1)


# -- layer settings ------------------------------------------------------------------------


def test_activation_rules_and_the_loss_that_fits(xor: Lesson) -> None:
    with pytest.raises(StructureError, match=r"layers\[1\].activation: softmax is allowed only"):
        structure.set_activation(xor, 1, "softmax")
    with pytest.raises(StructureError, match="input layer only passes"):
        structure.set_activation(xor, 0, "tanh")
    with pytest.raises(StructureError, match="unknown activation 'sigmoud'"):
        structure.set_activation(xor, 1, "sigmoud")
    with pytest.raises(StructureError, match="binary_cross_entropy needs a sigmoid output"):
        structure.set_activation(xor, 2, "tanh", adjust_loss=False)
    edit = structure.set_activation(xor, 2, "softmax")
    assert edit.lesson.loss == "cross_entropy"
    assert edit.notes and "cross_entropy" in edit.notes[0]
    edit = structure.set_activation(xor, 2, "linear")
    assert edit.lesson.loss == "mse"
    hidden = structure.set_activation(xor, 1, "relu")
    assert hidden.lesson.layers[1].activation == "relu" and hidden.lesson.loss == xor.loss
    assert hidden.keep_optimizer and not hidden.notes


def test_bias_modes_convert_the_values() -> None:
    lesson = current(example("worked-example"))  # shared biases 0.05 and 0.42
    per = structure.set_bias_mode(lesson, 1, "per_neuron")
    assert per.lesson.parameters is not None
    np.testing.assert_array_equal(per.lesson.parameters.biases[0], [0.05, 0.05])
    assert not per.keep_optimizer
    per.lesson.parameters.biases[0][:] = [0.1, 0.3]
    shared = structure.set_bias_mode(per.lesson, 1, "shared")
    assert shared.lesson.parameters is not None
    assert shared.lesson.parameters.biases[0][0] == pytest.approx(0.2)
    none = structure.set_bias_mode(lesson, 2, "none")
    assert none.lesson.parameters is not None
    assert none.lesson.parameters.biases[1].size == 0
    # the worked example's names: b2 belonged to the shared bias and goes with it
    assert none.lesson.view is not None
    assert "biases[1][0]" not in none.lesson.view["weight_names"]
    assert none.lesson.view["weight_names"]["weights[1][0][0]"] == "w5"


def test_freezing(xor: Lesson) -> None:
    edit = structure.set_trainable(xor, 1, weights=False)
    assert not edit.lesson.layers[1].train_weights and edit.lesson.layers[1].train_bias
    edit = structure.set_trainable(edit.lesson, 1, weights=True, bias=False)
    assert edit.lesson.layers[1].train_weights and not edit.lesson.layers[1].train_bias
    assert edit.description == "Hidden layer 1: unfreeze weights and freeze bias"
    trainer = Trainer(edit.lesson)
    before = trainer.network.biases[0].copy()
    trainer.step()
    np.testing.assert_array_equal(trainer.network.biases[0], before)


# -- links and names -----------------------------------------------------------------------


def test_removing_and_restoring_a_link(xor: Lesson) -> None:
    removed = structure.set_link(xor, 0, 2, 1, present=False)
    layer = removed.lesson.layers[1]
    assert layer.mask is not None and layer.mask[2, 1] == 0 and layer.mask.sum() == 7
    assert removed.lesson.parameters is not None
    assert removed.lesson.parameters.weights[0][2, 1] == 0.0
    assert removed.description == "Remove link x2 → h3"
    trainer = Trainer(removed.lesson)
    trainer.step()
    assert trainer.network.weights[0][2, 1] == 0.0  # a removed link never changes
    with pytest.raises(StructureError, match="already removed"):
        structure.set_link(removed.lesson, 0, 2, 1, present=False)
    restored = structure.set_link(removed.lesson, 0, 2, 1, present=True)
    assert restored.lesson.layers[1].mask is None  # all links there again
    assert round_trip(removed.lesson).layers[1].mask is not None


def test_renaming(xor: Lesson) -> None:
    edit = structure.rename_neuron(xor, 1, 0, "  edge ")
    assert edit.lesson.layers[1].labels == ["edge", "h2", "h3", "h4"]
    assert edit.description == "Rename h1 to edge"
    with pytest.raises(StructureError, match=r"layers\[1\].labels\[1\]: a name must not be"):
        structure.rename_neuron(xor, 1, 1, "   ")
    with pytest.raises(StructureError, match="already called edge"):
        structure.rename_neuron(edit.lesson, 1, 1, "edge")
    assert round_trip(edit.lesson).layers[1].labels == ["edge", "h2", "h3", "h4"]


def test_reinitialise_draws_what_the_init_spec_draws(xor: Lesson) -> None:
    edit = structure.reinitialise(xor, "he_normal", 7)
    expected = initial_parameters(xor.layers, InitSpec("he_normal", 7))
    assert edit.lesson.parameters is not None
    for got, want in zip(edit.lesson.parameters.arrays(), expected.arrays(), strict=True):
        np.testing.assert_array_equal(got, want)
    assert edit.restart and edit.lesson.init == InitSpec("he_normal", 7)
    with pytest.raises(StructureError, match="unknown method 'gauss'"):
        structure.reinitialise(xor, "gauss", 1)
    with pytest.raises(StructureError, match="expected a whole number"):
        structure.reinitialise(xor, "zeros", -1)
    with pytest.raises(StructureError, match="low < high"):
        structure.reinitialise(xor, "uniform", 1, low=1.0, high=0.0)


# -- the view section ----------------------------------------------------------------------


def test_positions_and_weight_names_follow_their_neurons() -> None:
    lesson = current(example("worked-example"))
    assert lesson.view is not None
    lesson.view["positions"] = [[None, [0.0, 1.5]], [[1.0, -2.0], [1.2, 0.5]], [None, None]]
    lesson.view["zoom"] = 1.5  # something else in the view: kept as it is
    edit = structure.remove_neuron(lesson, 1, 0)
    view = edit.lesson.view
    assert view is not None
    assert view["positions"] == [[None, [0.0, 1.5]], [[1.2, 0.5]], [None, None]]
    assert view["zoom"] == 1.5
    names = view["weight_names"]
    assert names["weights[0][0][0]"] == "w3"  # was weights[0][1][0]: h2 moved up
    assert names["weights[1][0][0]"] == "w6"  # was weights[1][0][1]
    assert "w1" not in names.values() and names["biases[0][0]"] == "b1"
    assert lesson.view["positions"][1][0] == [1.0, -2.0]  # the old lesson's view is its own
    added = structure.add_layer(lesson, 1)
    assert added.lesson.view is not None
    assert added.lesson.view["positions"][1] == [None, None]
    assert added.lesson.view["positions"][2] == [[1.0, -2.0], [1.2, 0.5]]
    assert "weights[0][0][0]" not in added.lesson.view["weight_names"]  # x → new layer


# -- data ----------------------------------------------------------------------------------


def test_data_fits_says_what_does_not(xor: Lesson) -> None:
    assert structure.data_fits(xor) is None
    wider = structure.add_neuron(xor, 0).lesson
    problem = structure.data_fits(wider)
    assert problem is not None
    assert "2 inputs per row, but the input layer has 3 neurons" in problem
    outputs = structure.add_neuron(xor, 2).lesson
    assert "1 target per row, but the output layer has 2 neurons" in (
        structure.data_fits(outputs) or ""
    )
    back = structure.remove_neuron(wider, 0, 2).lesson
    assert structure.data_fits(back) is None
    assert structure.training_problem(Trainer(wider)) == problem


def test_the_empty_lesson_becomes_xor_by_editing() -> None:
    lesson = structure.empty_lesson()
    assert lesson.sizes == [2, 1] and structure.data_fits(lesson) is None
    trainer = Trainer(lesson)
    for make in (
        lambda les: structure.add_layer(les, 1),
        lambda les: structure.add_neuron(les, 1),
        lambda les: structure.add_neuron(les, 1),
        lambda les: structure.set_activation(les, 1, "tanh"),
    ):
        trainer = structure.edited_trainer(trainer, make(structure.current_lesson(trainer)))
    assert trainer.network.sizes == [2, 4, 1]
    trainer.run_steps(1500)
    assert trainer.history.step_loss.last() < 0.05
    assert round_trip(structure.current_lesson(trainer)).sizes == [2, 4, 1]


# -- trainers ------------------------------------------------------------------------------


def test_an_edited_trainer_carries_on_where_training_stands(xor: Lesson) -> None:
    xor.optimizer = OptimizerSpec.with_defaults("adam", learning_rate=0.05)
    trainer = Trainer(xor)
    trainer.run_steps(5)
    initial = trainer.initial.copy()
    weights = [w.copy() for w in trainer.network.weights]
    edit = structure.set_activation(structure.current_lesson(trainer), 1, "relu")
    after = structure.edited_trainer(trainer, edit)
    assert after.step_count == 5 and len(after.history.step_loss) == 5
    for a, b in zip(after.network.weights, weights, strict=True):
        np.testing.assert_array_equal(a, b)
    moments = after.optimizer.buffers()
    for name, arrays in trainer.optimizer.buffers().items():
        for a, b in zip(arrays, moments[name], strict=True):
            np.testing.assert_array_equal(a, b)  # same shapes: Adam's moments kept
    # The starting weights follow a shape-changing edit too (Reset goes back to them).
    grown = structure.edited_trainer(
        trainer, structure.add_neuron(structure.current_lesson(trainer), 1)
    )
    np.testing.assert_array_equal(grown.initial.weights[0][:4], initial.weights[0])
    assert grown.step_count == 5
    assert np.all(grown.optimizer.buffers()["exp_avg"][0] == 0)  # new shapes: fresh state
    assert trainer.network.sizes == [2, 4, 1] and trainer.step_count == 5  # untouched
    fresh = structure.edited_trainer(
        trainer, structure.reinitialise(structure.current_lesson(trainer), "zeros", 0)
    )
    assert fresh.step_count == 0 and len(fresh.history.step_loss) == 0


EDITS = st.lists(
    st.tuples(
        st.sampled_from(
            ["add_neuron", "remove_neuron", "add_layer", "remove_layer", "link", "bias", "act"]
        ),
        st.integers(0, 20),
        st.integers(0, 20),
    ),
    max_size=8,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_any_sequence_of_edits_gives_a_lesson_that_trains_and_saves(
    edits: list[tuple[str, int, int]],
) -> None:
    lesson = current(example("worked-example"))
    for kind, a, b in edits:
        layers = len(lesson.layers)
        layer = a % layers
        try:
            if kind == "add_neuron":
                edit = structure.add_neuron(lesson, layer)
            elif kind == "remove_neuron":
                edit = structure.remove_neuron(lesson, layer, b % lesson.layers[layer].size)
            elif kind == "add_layer":
                edit = structure.add_layer(lesson, 1 + a % (layers - 1), 1 + b % 3)
            elif kind == "remove_layer":
                edit = structure.remove_layer(lesson, layer)
            elif kind == "link":
                k = a % (layers - 1)
                spec = lesson.layers[k + 1]
                j, i = b % spec.size, (a + b) % lesson.layers[k].size
                present = spec.mask is not None and spec.mask[j, i] == 0
                edit = structure.set_link(lesson, k, j, i, present)
            elif kind == "bias":
                edit = structure.set_bias_mode(
                    lesson, layer, ("none", "shared", "per_neuron")[b % 3]
                )
            else:
                edit = structure.set_activation(lesson, layer, ("tanh", "softmax", "relu")[b % 3])
        except StructureError:
            continue
        lesson = edit.lesson
        params = lesson.parameters
        assert params is not None
        for k, (w, layer_spec) in enumerate(zip(params.weights, lesson.layers[1:], strict=True)):
            assert w.shape == (layer_spec.size, lesson.layers[k].size)
            assert params.biases[k].shape == (layer_spec.bias_count(),)
            if layer_spec.mask is not None:
                assert np.all(w[layer_spec.mask == 0] == 0)
    trainer = Trainer(lesson)
    if structure.data_fits(lesson) is None:
        trainer.step()
        assert np.isfinite(trainer.history.step_loss.last())
        round_trip(structure.current_lesson(trainer))
