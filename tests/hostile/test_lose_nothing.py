"""A run that trained always leaves a file that loads: after an overflow anywhere in the
state (exit 3), and after Ctrl-C (exit 130)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_helpers import assert_clean, bpsim, lesson, write_lesson

from bpsim.core.trainer import split_indices
from bpsim.lessons.files import trainer_from_lesson_file


def one_input(**changes: object) -> dict[str, object]:
    """x → y, linear, zero weights: every step's loss is (t − 0)², finite unless t is huge."""
    return lesson(
        layers=[{"size": 1}, {"size": 1, "activation": "linear"}],
        init={"method": "zeros", "seed": 0},
        **changes,
    )


def validation_overflow() -> dict[str, object]:
    _, held_out = split_indices(4, 0.25, 0)
    targets = [[1.0]] * 4
    targets[int(held_out[0])] = [1e155]  # (1e155)² overflows on the held-out sample only
    return one_input(
        optimizer={"name": "sgd", "learning_rate": 1e-300},
        training={"batch_size": 1, "validation_fraction": 0.25},
        dataset={"inputs": [[0.0]] * 4, "targets": targets},
    )


CASES = {
    # 3 × 8.4e307: every step is finite, the epoch's sum is not
    "epoch loss sum": one_input(
        optimizer={"name": "sgd", "learning_rate": 1e-300},
        dataset={"inputs": [[0.0]] * 3, "targets": [[9.2e153]] * 3},
    ),
    "validation loss": validation_overflow(),
    # a gradient of 2e160 squares to infinity in the state; the parameters stay finite
    "adam exp_avg_sq": one_input(
        optimizer={"name": "adam", "learning_rate": 0.001},
        dataset={"inputs": [[1e10]], "targets": [[1e150]]},
    ),
    "adadelta state": one_input(
        optimizer={"name": "adadelta"},
        dataset={"inputs": [[1e10]], "targets": [[1e150]]},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_an_overflow_in_the_state_is_divergence_and_the_run_is_saved(
    tmp_path: Path, case: str
) -> None:
    source = write_lesson(tmp_path / "over.bpsim", CASES[case])
    run = bpsim("train", str(source), "--epochs", "3", "--save", "out.bpsim", cwd=tmp_path)
    assert_clean(run, 3)
    assert len(run.lines()) == 1  # one line: the divergence, or what the save left out
    saved = tmp_path / "out.bpsim"
    again = trainer_from_lesson_file(saved)  # it loads
    assert json.loads(saved.read_text(encoding="utf-8"))["name"] == "hostile"
    assert again.network.flat.size == 2
    rerun = bpsim("train", "out.bpsim", "--epochs", "1", "--save", "out2.bpsim", cwd=tmp_path)
    assert rerun.code in (0, 3) and "Traceback" not in rerun.err


def test_ctrl_c_saves_the_state_reached_then_exits_130(tmp_path: Path) -> None:
    source = write_lesson(tmp_path / "a.bpsim", lesson())
    run = bpsim(
        "train",
        str(source),
        "--epochs",
        "100000000",
        "--save",
        "out.bpsim",
        cwd=tmp_path,
        interrupt_after="epoch 5:",
    )
    assert run.code == 130 and run.seconds < 10 and "Traceback" not in run.err
    assert run.err.startswith("interrupted at epoch ") and "saving the state reached" in run.err
    reached = int(run.err.split("interrupted at epoch ")[1].split(",")[0])
    trainer = trainer_from_lesson_file(tmp_path / "out.bpsim")
    assert trainer.epoch == reached >= 5
    # stopped between two whole steps (maybe inside an epoch): nothing half-applied
    assert trainer.step_count == 4 * reached + trainer.batch_index


def test_check_can_be_stopped_and_gives_the_verdict_so_far(tmp_path: Path) -> None:
    doc = lesson(
        layers=[{"size": 64}, {"size": 3000}, {"size": 10}],
        dataset={"builtin": "digits", "size": 64},
        training={"batch_size": 64},
    )
    path = write_lesson(tmp_path / "big.bpsim", doc)
    run = bpsim(
        "check",
        str(path),
        cwd=tmp_path,
        env={"PYTHONUNBUFFERED": "1"},
        interrupt_after=" → ",  # the first parameter's line
    )
    assert run.code == 130 and run.seconds < 10 and "Traceback" not in run.err
    assert run.err.startswith("interrupted: ") and "parameters" in run.err
    last = run.out.splitlines()[-1]
    assert last.startswith("largest relative error") and "(interrupted after " in last


def test_points_of_the_history_that_overflowed_are_left_out_and_the_run_kept(
    tmp_path: Path,
) -> None:
    import math

    from bpsim.lessons.files import save_trainer

    trainer = trainer_from_lesson_file(write_lesson(tmp_path / "a.bpsim", lesson()))
    trainer.run_steps(12)  # three epochs of four steps
    trainer.history.step_loss.values[4] = math.inf  # as if one step's loss overflowed
    trainer.history.epoch_val_loss.values[1] = math.inf
    notes = save_trainer(trainer, tmp_path / "out.bpsim")
    assert "state.history.step_loss[4]" in notes[0]
    assert notes[1:] == ["the history's points that are not finite numbers"]
    again = trainer_from_lesson_file(tmp_path / "out.bpsim")
    assert (again.epoch, again.step_count) == (3, 12)  # the run is whole
    assert again.history.step_loss.x.tolist() == [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12]
    assert again.history.step_loss.values.tolist() == [
        v for n, v in enumerate(trainer.history.step_loss.values.tolist()) if n != 4
    ]
    assert math.isnan(again.history.epoch_val_loss.values[1])  # written as null
    assert again.optimizer.state_dict() == trainer.optimizer.state_dict()
