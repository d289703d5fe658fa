"""The session is the only writer of the trainer and the lesson, and the only emitter of
its signals: an edit takes the same road as a phase (command -> session -> core -> signals
-> views).

Two halves: a reading of the source (no module but ``gui/state/session.py`` emits a
session signal, assigns into the session's trainer or calls one of the trainer's writing
methods; the QUndoCommands all live in ``gui/state/commands.py``), and the roads
themselves, each checked by what the views would see: the signals and the values after
redo and undo.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QUndoCommand

import bpsim
from bpsim.core.spec import OptimizerSpec
from bpsim.gui.state import commands
from bpsim.gui.state.controller import Controller
from bpsim.gui.state.session import Session
from bpsim.lessons.files import trainer_from_lesson_file
from bpsim.lessons.structure import POSITIONS
from bpsim.teaching.timeline import Timeline

PACKAGE = Path(bpsim.__file__).parent
SESSION_FILE = PACKAGE / "gui" / "state" / "session.py"
#: Trainer methods that change it (bpsim.core.trainer.Trainer).
TRAINER_WRITERS = frozenset(
    {
        "select_samples",
        "data_changed",
        "release_caches",
        "forward_layer",
        "forward",
        "backward_layer",
        "backward",
        "update",
        "step",
        "run_epoch",
        "run_steps",
        "run_epochs",
        "set_weight",
        "set_bias",
        "set_parameters",
        "set_optimizer",
        "set_learning_rate",
        "set_loss",
        "set_batch_size",
        "reset",
        "restore",
        "load_state",
    }
)
#: bpsim.lessons.dataset_edit functions that write into the trainer given to them, and the
#: timeline's moves (which replay phases on the trainer it is kept over).
DATA_WRITERS = frozenset({"set_data_value", "restore_data"})
TIMELINE_MOVES = frozenset({"seek", "back", "forward_again"})


def session_signals() -> set[str]:
    tree = ast.parse(SESSION_FILE.read_text(encoding="utf-8"))
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Session"]
    return {
        target.id
        for node in cls.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == "Signal"
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def violations(source: str, signals: set[str]) -> list[str]:
    """What a module other than the session does that only the session may do."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, method = node.func.value, node.func.attr
            if (
                method == "emit"
                and isinstance(owner, ast.Attribute)
                and owner.attr in signals
                and "session" in _name(owner.value)
            ):
                found.append(f"line {node.lineno}: emits {ast.unparse(owner)}")
            if method in TRAINER_WRITERS and "trainer" in _name(owner):
                found.append(f"line {node.lineno}: {ast.unparse(node.func)}()")
            if method in TIMELINE_MOVES and "timeline" in _name(owner):
                found.append(f"line {node.lineno}: {ast.unparse(node.func)}()")
            if method in DATA_WRITERS and _name(owner) == "dataset_edit":
                found.append(f"line {node.lineno}: {ast.unparse(node.func)}()")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in DATA_WRITERS
        ):
            found.append(f"line {node.lineno}: {node.func.id}()")
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                text = ast.unparse(target)
                into_session = ".trainer." in f"{text}." and "session" in text
                if into_session or text.startswith("trainer."):
                    found.append(f"line {node.lineno}: assigns {text}")
    return found


def test_the_reading_finds_what_it_looks_for() -> None:
    signals = session_signals()
    assert {"phaseFinished", "message", "viewChanged", "settingsChanged"} <= signals
    bad = """
self.session.settingsChanged.emit()
session.message.emit("hi")
trainer = self.session.trainer
trainer.set_optimizer(spec)
self.session.trainer.lesson.view = {}
dataset_edit.set_data_value(self.session.trainer, "inputs", 0, 0, 1.0)
restore_data(trainer, state)
self.timeline.seek(3)
"""
    assert len(violations(bad, signals)) == 7
    fine = """
self.message.emit("a panel's own signal")
self.session.report("through the session")
clone.restore(snapshot)
view = self.session.trainer.lesson.view
self.session.set_data_value("inputs", 0, 0, 1.0)
"""
    assert violations(fine, signals) == []


def gui_modules() -> list[Path]:
    return [p for p in sorted((PACKAGE / "gui").rglob("*.py")) if p != SESSION_FILE]


@pytest.mark.parametrize("path", gui_modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_session_writes_the_trainer_or_speaks_for_it(path: Path) -> None:
    assert violations(path.read_text(encoding="utf-8"), session_signals()) == []


def test_every_undo_command_is_in_one_module() -> None:
    homes = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(
                _name(base) == "QUndoCommand" for base in node.bases
            ):
                homes.add(path.relative_to(PACKAGE).as_posix())
    assert homes == {"gui/state/commands.py"}
    assert all(issubclass(getattr(commands, name), QUndoCommand) for name in commands.__all__)


# -- the roads ----------------------------------------------------------------------------


class Heard:
    """The session's signals, in order, as the views hear them."""

    def __init__(self, session: Session) -> None:
        self.names: list[str] = []
        for name in ("datasetChanged", "settingsChanged", "viewChanged", "parametersChanged"):
            getattr(session, name).connect(lambda *_, n=name: self.names.append(n))
        session.phaseFinished.connect(lambda phase: self.names.append(f"phase:{phase}"))
        session.message.connect(lambda text: self.names.append(f"message:{text}"))

    def take(self) -> list[str]:
        names, self.names = self.names, []
        return names


def test_undoing_an_optimizer_switch_brings_back_its_exact_settings(
    session: Session, controller: Controller
) -> None:
    session.set_optimizer_spec(
        OptimizerSpec.with_defaults("sgd", learning_rate=0.3, momentum=0.9, nesterov=True)
    )
    heard = Heard(session)
    controller.set_optimizer("adam")
    assert session.trainer.optimizer_spec.name == "adam"
    assert session.trainer.optimizer.hyper["learning_rate"] == 0.001  # PyTorch's default
    assert heard.take() == ["settingsChanged"]
    controller.undo_stack.undo()
    hyper = session.trainer.optimizer.hyper
    assert session.trainer.optimizer_spec.name == "sgd"
    assert (hyper["learning_rate"], hyper["momentum"], hyper["nesterov"]) == (0.3, 0.9, True)
    assert heard.take() == ["settingsChanged"]
    controller.undo_stack.redo()
    assert session.trainer.optimizer_spec.name == "adam"


def test_switching_to_sgd_keeps_the_learning_rate(session: Session) -> None:
    session.set_optimizer("adam")
    session.set_learning_rate(0.02)
    spec = session.switched_optimizer("sgd")
    assert spec.name == "sgd" and spec.hyper["learning_rate"] == 0.02
    assert session.switched_optimizer("rmsprop").hyper["learning_rate"] == 0.01


def test_a_data_value_goes_through_the_session_and_undo_puts_back_its_file_form(
    make_session,
) -> None:
    session = make_session("house-prices")
    controller = Controller(session)
    dataset = session.trainer.lesson.dataset
    assert dataset.source == {"builtin": "house_prices"}  # the file names it, no rows
    old = float(session.trainer.targets[1, 0])
    heard = Heard(session)
    controller.set_data_value("targets", 1, 0, 0.25)
    controller.set_data_value("targets", 1, 0, 0.75)  # the same cell again: one command
    assert controller.undo_stack.count() == 1
    assert session.trainer.targets[1, 0] == 0.75 and dataset.targets[1, 0] == 0.75
    assert dataset.source == {}  # edited rows are written inline
    assert heard.take()[:2] == ["datasetChanged", "settingsChanged"]
    controller.undo_stack.undo()
    assert session.trainer.targets[1, 0] == old
    assert session.trainer.lesson.dataset.source == {"builtin": "house_prices"}
    assert "phase:edit" in heard.take()


def test_added_rows_undo_and_redo_to_the_very_same_arrays(make_session) -> None:
    session = make_session("xor")
    controller = Controller(session)
    before = session.trainer.inputs
    controller.add_samples([0.5, 0.5], [1.0])
    after = session.trainer.inputs
    assert after.shape == (5, 2) and np.array_equal(after[-1], [0.5, 0.5])
    controller.undo_stack.undo()
    assert session.trainer.inputs is before
    controller.undo_stack.redo()
    assert session.trainer.inputs is after
    with pytest.raises(ValueError, match="binary_cross_entropy needs targets from 0 to 1"):
        controller.add_samples([0.5, 0.5], [2.0])
    with pytest.raises(ValueError, match="a new sample needs 2 inputs and 1 target"):
        controller.add_samples([0.5], [1.0])
    assert controller.undo_stack.count() == 1  # the refusals pushed nothing


def test_a_drag_is_one_command_and_reaches_the_lesson_through_the_session(
    session: Session, controller: Controller
) -> None:
    heard = Heard(session)
    drag = controller.structure.begin_drag()
    controller.structure.move_neuron(1, 0, (1.5, 0.25), drag)
    controller.structure.move_neuron(1, 0, (1.75, 0.5), drag)
    assert controller.undo_stack.count() == 1
    assert session.trainer.lesson.view[POSITIONS][1][0] == [1.75, 0.5]
    assert heard.take() == ["viewChanged", "viewChanged"]
    controller.undo_stack.undo()
    assert not (session.trainer.lesson.view or {}).get(POSITIONS)
    assert heard.take() == ["viewChanged"]


def test_a_structural_edit_swaps_trainers_and_reports_its_notes(
    session: Session, controller: Controller
) -> None:
    before = session.trainer
    heard = Heard(session)
    controller.structure.set_activation(2, "softmax")  # half_sse still fits: no note
    assert session.trainer is not before
    assert session.trainer.network.layers[-1].activation == "softmax"
    assert "phase:edit" in heard.take()
    controller.undo_stack.undo()
    assert session.trainer is before
    session.set_loss("binary_cross_entropy")
    controller.structure.set_activation(2, "softmax")
    assert session.trainer.network.loss.name == "cross_entropy"
    notes = [n for n in heard.take() if n.startswith("message:")]
    assert notes == [
        "message:The loss is now cross_entropy: binary_cross_entropy needs a sigmoid output "
        "layer, but the output layer's activation is 'softmax'."
    ]


def test_rewinding_goes_through_the_session(session: Session) -> None:
    timeline = Timeline(session.trainer)
    w = session.trainer.network.weights[1].copy()
    session.step()
    timeline.record("step")
    assert not np.array_equal(session.trainer.network.weights[1], w)
    heard = Heard(session)
    assert session.rewind_to(timeline, 0) is None
    assert np.array_equal(session.trainer.network.weights[1], w)
    assert heard.take()[-1] == "phase:rewind"
    other = Timeline(trainer_from_lesson_file(session.path))
    with pytest.raises(ValueError, match="another trainer"):
        session.rewind_to(other, 0)
