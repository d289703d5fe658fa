"""Run in the window: the lean loop in time slices, frames paced by a timer, Pause within
one slice, nothing lost on divergence. No timings are asserted: the pacing's arithmetic is
checked on made-up frame costs, the rest by counting calls and comparing bits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from bpsim.core.spec import OptimizerSpec
from bpsim.core.trainer import DivergenceError, Trainer
from bpsim.gui.panels.loss_plot import LossPlot
from bpsim.gui.panels.parameters import model as parameter_model
from bpsim.gui.panels.parameters.model import (
    COLUMN_VALUE,
    KEY_ROLE,
    VALUE_ROLE,
    ParameterTableModel,
)
from bpsim.gui.state import session as session_module
from bpsim.gui.state.session import Session, _Pacing
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file

TIMEOUT = 20_000


def lesson_trainer(name: str) -> Trainer:
    example = find_example(name)
    assert example is not None, name
    return trainer_from_lesson_file(example.path)


def slices_of(session: Session) -> list[int]:
    """The steps of each Run slice, as the session reports them to the timeline."""
    taken: list[int] = []

    def note(action: str) -> None:
        if action.startswith("steps:"):
            taken.append(int(action.removeprefix("steps:")))

    session.phaseTaken.connect(note)
    return taken


def assert_same_state(a: Trainer, b: Trainer) -> None:
    assert (a.step_count, a.epoch, a.batch_index) == (b.step_count, b.epoch, b.batch_index)
    assert a.network.flat.tobytes() == b.network.flat.tobytes()
    for x, y in zip(a.last_update, b.last_update, strict=True):
        assert x.tobytes() == y.tobytes()
    buffers_a, buffers_b = a.optimizer.buffers(), b.optimizer.buffers()
    assert buffers_a.keys() == buffers_b.keys()
    for name in buffers_a:
        for x, y in zip(buffers_a[name], buffers_b[name], strict=True):
            assert x.tobytes() == y.tobytes()
    for mine, theirs in (
        (a.history.step_loss, b.history.step_loss),
        (a.history.epoch_train_loss, b.history.epoch_train_loss),
    ):
        assert mine.x.tobytes() == theirs.x.tobytes()
        assert mine.values.tobytes() == theirs.values.tobytes()


@pytest.fixture
def short_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of at most 1 ms: many slices in a short test."""
    monkeypatch.setattr(session_module, "MAX_SLICE_SECONDS", 0.001)


def test_run_is_the_lean_loop_bit_for_bit(qtbot: QtBot, short_slices: None) -> None:
    trainer = lesson_trainer("xor")
    trainer.set_optimizer(OptimizerSpec.with_defaults("adam", learning_rate=0.05))
    stepped: list[int] = []
    step = trainer.step
    trainer.step = lambda: stepped.append(1) or step()  # type: ignore[method-assign]
    session = Session(trainer)
    taken = slices_of(session)
    session.start()
    qtbot.waitUntil(lambda: len(taken) >= 6, timeout=TIMEOUT)
    session.pause()
    assert stepped == []  # every step went through run_steps, none through step()
    assert len(taken) >= 6 and sum(taken) == trainer.step_count > len(taken)

    reference = lesson_trainer("xor")
    reference.set_optimizer(OptimizerSpec.with_defaults("adam", learning_rate=0.05))
    for _ in range(sum(taken)):
        reference.step()
    assert_same_state(trainer, reference)


def test_the_loss_plot_redraws_per_frame_not_per_step(qtbot: QtBot) -> None:
    session = Session(lesson_trainer("xor"))
    plot = LossPlot(session)
    qtbot.addWidget(plot)
    plot.resize(700, 400)
    plot.show()
    curve = plot._train_curve
    set_data = curve.setData
    calls: list[int] = []
    curve.setData = lambda *a, **k: calls.append(1) or set_data(*a, **k)  # type: ignore[method-assign]
    frames = {"progress": 0, "detail": 0}
    session.runProgress.connect(lambda: frames.update(progress=frames["progress"] + 1))
    session.phaseFinished.connect(
        lambda name: frames.update(detail=frames["detail"] + (name == "run"))
    )
    session.start()
    qtbot.waitUntil(
        lambda: session.trainer.step_count >= 5_000 and frames["detail"] >= 2, timeout=TIMEOUT
    )
    steps_running, calls_running = session.trainer.step_count, len(calls)
    frames_running = frames["progress"] + frames["detail"]
    session.pause()
    # one setData of the training curve per frame of the session's timer, however many
    # steps ran in between; the frame after Pause shows the last step
    assert frames["progress"] > 0
    assert calls_running == frames_running
    assert steps_running >= 20 * calls_running
    x, y = plot.curve_data("train")
    assert len(y) == session.trainer.step_count and x[-1] == session.trainer.step_count


def test_pause_stops_within_one_slice(qtbot: QtBot, short_slices: None) -> None:
    session = Session(lesson_trainer("xor"))
    taken = slices_of(session)
    asked: list[int] = []

    def pause_later(action: str) -> None:
        if len(taken) == 3 and not asked:  # a key press arriving during the third slice
            asked.append(session.trainer.step_count)
            QTimer.singleShot(0, session.pause)

    session.phaseTaken.connect(pause_later)
    session.start()
    qtbot.waitUntil(lambda: not session.running, timeout=TIMEOUT)
    after = session.trainer.step_count
    assert len(taken) <= 4  # the slice under way when Pause came, at most
    assert after - asked[0] == sum(taken[3:])
    for _ in range(20):  # nothing runs after Pause
        QApplication.processEvents()
    assert session.trainer.step_count == after and not session.running


def test_divergence_during_run_keeps_every_finite_step(qtbot: QtBot, short_slices: None) -> None:
    reference = lesson_trainer("house-prices")
    reference.set_optimizer(OptimizerSpec.with_defaults("sgd", learning_rate=1.7))
    with pytest.raises(DivergenceError) as info:
        reference.run_steps(10**6)

    trainer = lesson_trainer("house-prices")
    trainer.set_optimizer(OptimizerSpec.with_defaults("sgd", learning_rate=1.7))
    session = Session(trainer)
    taken = slices_of(session)
    shown: list[int] = []  # what the last frame shows: the history's length
    session.historyChanged.connect(lambda: shown.append(len(trainer.history.step_loss)))
    with qtbot.waitSignal(session.diverged, timeout=TIMEOUT) as diverged:
        session.start()
    assert not session.running
    assert diverged.args == [str(info.value)]
    assert len(taken) > 3  # it diverged in a later slice, not the first
    # the last finite state, every finite step's loss, and a frame that shows them
    assert_same_state(trainer, reference)
    assert all(math.isfinite(v) for v in trainer.history.step_loss.values)
    assert np.all(np.isfinite(trainer.network.flat))
    assert shown[-1] == len(reference.history.step_loss) == reference.step_count
    # the timeline is told of every step taken, the diverging one included
    assert sum(taken) >= trainer.step_count + 1


def simulate(pacing: _Pacing, costs: list[float], until_next_ms: int) -> tuple[float, float]:
    """Frames costing ``costs`` (seconds of the views' work each), every slice running as
    long as the pacing says; returns (engine time, views' time)."""
    now, engine, views = 0.0, 0.0, 0.0
    for index, cost in enumerate(costs):
        pacing.slice_ended(now)
        pacing.frame_is_detail()
        now += cost
        views += cost
        seconds = pacing.slice_seconds(now, until_next_ms)
        if index == len(costs) - 1:
            return engine, views
        now += seconds
        engine += seconds
    return engine, views


def test_costly_detail_frames_come_less_often_within_the_budget() -> None:
    budget = (1 - session_module.ENGINE_SHARE) * session_module.REFRESH_INTERVAL_MS / 1000
    light, detail = 0.005, 0.040
    pacing = _Pacing()
    now = 0.0
    for _ in range(40):
        is_detail = pacing._since_detail + 1 >= pacing.detail_every  # this frame's kind
        pacing.slice_ended(now)
        pacing.frame_is_detail()
        now += detail if is_detail else light
        now += pacing.slice_seconds(now, 10)
    every = pacing.detail_every
    assert 1 < every < session_module.MAX_DETAIL_EVERY

    def average(n: int) -> float:
        return light + (detail - light) / n

    assert average(every) <= budget < average(every - 1)  # as often as the budget allows


def test_cheap_detail_frames_are_every_frame() -> None:
    pacing = _Pacing()
    simulate(pacing, [0.004] * 12, 20)
    assert pacing.detail_every == 1


def test_cheap_frames_come_on_time() -> None:
    pacing = _Pacing()
    pacing.slice_ended(0.0)
    pacing.frame_is_detail()
    assert pacing.slice_seconds(0.004, 20) == pytest.approx(0.0195)  # until the next frame


def test_slow_frames_still_leave_the_engine_its_share() -> None:
    # every frame takes 35 ms, more than the frame interval: the frames come later, and
    # the engine still gets its share of the time, in slices of at most MAX_SLICE_SECONDS
    pacing = _Pacing()
    engine, views = simulate(pacing, [0.035] * 60, 0)
    assert engine / (engine + views) >= session_module.ENGINE_SHARE - 0.01
    pacing = _Pacing()
    pacing.slice_ended(0.0)
    pacing.frame_is_detail()
    assert pacing.slice_seconds(5.0, 0) == session_module.MAX_SLICE_SECONDS


def test_one_slow_frame_is_paid_back_over_a_few_slices() -> None:
    pacing = _Pacing()
    costs = [0.004] * 3 + [0.090] + [0.004] * 6
    slices = []
    now = 0.0
    for cost in costs:
        pacing.slice_ended(now)
        pacing.frame_is_detail()
        now += cost
        seconds = pacing.slice_seconds(now, 0)  # each frame already due: only debt counts
        slices.append(seconds)
        now += seconds
    after = slices[3:7]
    assert after[0] < 0.090 * 1.5  # not all at once: the next frames are not held back
    assert sum(after) >= 0.090 * 1.4  # but paid back within a few slices


def run_counting_table_changes(qtbot: QtBot, frames_wanted: int) -> tuple[int, int, Session]:
    """Run XOR with a parameter table model until ``frames_wanted`` detail frames have
    passed; returns (dataChanged while running, detail frames, the paused session)."""
    session = Session(lesson_trainer("xor"))
    model = ParameterTableModel(session)
    changes: list[int] = []
    detail: list[int] = []
    session.phaseFinished.connect(lambda name: detail.append(1) if name == "run" else None)
    session.start()
    model.dataChanged.connect(lambda *_: changes.append(1))  # Run's frames from here
    qtbot.waitUntil(lambda: len(detail) >= frames_wanted, timeout=TIMEOUT)
    running_changes, running_frames = len(changes), len(detail)
    session.pause()
    # after Pause the table holds the last step's numbers
    trainer = session.trainer
    for row in range(model.rowCount()):
        key = model.index(row, COLUMN_VALUE).data(KEY_ROLE)
        assert model.index(row, COLUMN_VALUE).data(VALUE_ROLE) == session.value(key)
    assert len(changes) > running_changes and trainer.step_count > 0
    return running_changes, running_frames, session


def test_the_parameter_table_takes_a_run_frame_in_one_change(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parameter_model, "RUNNING_REFRESH_SECONDS", 0.0)
    changes, frames, _ = run_counting_table_changes(qtbot, 4)
    assert changes == frames  # four signals a detail frame, one dataChanged


def test_the_parameter_table_is_paced_while_running(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parameter_model, "RUNNING_REFRESH_SECONDS", 3600.0)
    changes, frames, _ = run_counting_table_changes(qtbot, 4)
    assert frames >= 4 and changes == 1  # the first frame only, then Pause's
