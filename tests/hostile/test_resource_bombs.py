"""Small files that ask for too much: refused with exit 2, the key and the figure, before
anything big is allocated; big networks checked on a sample; and a saved run always opens."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hostile_helpers import assert_clean, bpsim, lesson, write_lesson

import bpsim.fileformat as fileformat
import bpsim.fileformat.jsonio as jsonio
from bpsim.core.spec import OptimizerSpec
from bpsim.fileformat import LessonFileError, load_lesson
from bpsim.fileformat.prescan import MAX_LAYERS
from bpsim.lessons.files import memory_needed, save_trainer, trainer_from_lesson_file


def test_a_million_layers_are_refused_at_once(tmp_path: Path) -> None:
    head = '{"format":"bpsim","version":1,"loss":"mse","optimizer":{"name":"sgd",'
    head += '"learning_rate":0.1},"dataset":{"inputs":[[0]],"targets":[[1]]},"layers":['
    body = ",".join(['{"size":1,"activation":"linear"}'] * 10**6)
    path = tmp_path / "deep.bpsim"
    path.write_text(head + '{"size":1},' + body + "]}", encoding="utf-8")  # 33 MB
    for command in ("train", "explain", "check"):
        run = bpsim(command, str(path), cwd=tmp_path)
        assert_clean(run, 2)
        assert "deep.bpsim: layers: more than 1,000 layers" in run.err


def test_the_layer_cap_holds_for_small_files_too(tmp_path: Path) -> None:
    layers = [{"size": 1}] + [{"size": 1, "activation": "linear"}] * MAX_LAYERS
    path = write_lesson(tmp_path / "deep.bpsim", lesson(layers=layers))
    with pytest.raises(LessonFileError) as info:
        load_lesson(path)  # under the prescan's size: the validator counts
    assert info.value.place == "layers" and "at most 1,000" in info.value.message


def test_millions_of_empty_lists_are_refused_before_parsing(tmp_path: Path) -> None:
    # 60 MB of "[]," would be 1.3 GB of Python lists
    text = json.dumps(lesson(view={"x": ["@"]})).replace('["@"]', "[" + "[]," * 20_000_000 + "[]]")
    path = tmp_path / "empties.bpsim"
    path.write_text(text, encoding="utf-8")
    run = bpsim("train", str(path), cwd=tmp_path)
    assert_clean(run, 2)
    assert "empties.bpsim: view.x: more than 2,000,000 items" in run.err


def test_the_row_limit_is_checked_while_reading(tmp_path: Path) -> None:
    rows = "[" + "[0,1]," * 3_000_000 + "[0,1]]"
    text = json.dumps(lesson()).replace("[[0, 0], [0, 1], [1, 0], [1, 1]]", rows)
    path = tmp_path / "rows.bpsim"
    path.write_text(text, encoding="utf-8")
    run = bpsim("explain", str(path), cwd=tmp_path)
    assert_clean(run, 2)
    assert "rows.bpsim: dataset.inputs: more than 2,000,000 rows" in run.err


def test_parsing_is_weighed_against_the_free_memory(tmp_path: Path) -> None:
    values = np.linspace(0, 1, 1_000_000).tolist()
    doc = lesson(view={"numbers": values})  # 20 MB of legal numbers
    path = write_lesson(tmp_path / "numbers.bpsim", doc)
    small = {"BPSIM_MEMORY_AVAILABLE": str(64 * 2**20)}  # as on a 64 MB machine
    run = bpsim("train", str(path), "--epochs", "1", cwd=tmp_path, env=small)
    assert_clean(run, 2)
    assert "reading this file would take about" in run.err and "64.0 MB free" in run.err
    assert_clean(bpsim("train", str(path), "--epochs", "1", cwd=tmp_path), 0)


def test_a_full_batch_through_a_huge_layer_is_refused_by_its_key(tmp_path: Path) -> None:
    doc = lesson(
        layers=[{"size": 2}, {"size": 100_000}, {"size": 1}],
        training={"batch_size": "full"},
        dataset={"builtin": "circle", "size": 2_000_000},
    )
    path = write_lesson(tmp_path / "wide.bpsim", doc)
    for command in ("train", "check"):
        run = bpsim(command, str(path), cwd=tmp_path)
        assert_clean(run, 2)
        assert "wide.bpsim: training.batch_size: a batch of 2,000,000 samples" in run.err
        assert "TB of memory" in run.err and "free" in run.err


def test_the_estimate_names_the_largest_need() -> None:
    big = fileformat.parse_lesson(
        json.dumps(lesson(layers=[{"size": 2}, {"size": 3000}, {"size": 3000}, {"size": 1}]))
    )
    key, what, need = memory_needed(big)
    assert key == "layers" and "9,015,001 weights and biases" in what
    assert need >= 9_015_001 * 8 * 8


def test_check_samples_a_big_network_and_says_so(tmp_path: Path) -> None:
    doc = lesson(
        layers=[{"size": 64}, {"size": 15000}, {"size": 10}],
        dataset={"builtin": "digits", "size": 4},
        training={"batch_size": 4},
    )
    path = write_lesson(tmp_path / "wide.bpsim", doc)
    run = bpsim("check", str(path), cwd=tmp_path)
    assert_clean(run, 0)
    first = run.out.splitlines()[0]
    assert first.startswith("checking ") and "of 1,125,010 parameters, chosen at random" in first
    assert run.out.rstrip().endswith("sampled parameters)")
    assert "passed" in run.out.splitlines()[-1]


def test_whatever_bpsim_saves_it_can_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = lesson(layers=[{"size": 2}, {"size": 40}, {"size": 1}])
    trainer = trainer_from_lesson_file(write_lesson(tmp_path / "adam.bpsim", doc))
    trainer.set_optimizer(OptimizerSpec.with_defaults("adam"))
    trainer.run_steps(8)
    full = tmp_path / "full.bpsim"
    assert save_trainer(trainer, full) == []
    # As if the lesson were 290 MB against a cap of 256: the optimizer's state is what
    # does not fit, so the save leaves it out (and says so) rather than writing a file
    # that cannot be opened again.
    limit = full.stat().st_size - 1
    monkeypatch.setattr(jsonio, "MAX_FILE_BYTES", limit)
    monkeypatch.setattr(fileformat, "MAX_FILE_BYTES", limit)
    out = tmp_path / "out.bpsim"
    notes = save_trainer(trainer, out)
    assert "bpsim opens files of at most" in notes[0] and "optimizer" in notes[1]
    assert out.stat().st_size <= limit
    again = trainer_from_lesson_file(out)
    assert again.step_count == 8 and again.epoch == trainer.epoch
    saved, kept = again.network.parameter_arrays(), trainer.network.parameter_arrays()
    for a, b in zip(saved, kept, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_save_too_big_to_open_is_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trainer = trainer_from_lesson_file(write_lesson(tmp_path / "a.bpsim", lesson()))
    monkeypatch.setattr(fileformat, "MAX_FILE_BYTES", 100)
    with pytest.raises(LessonFileError, match="bpsim opens files of at most"):
        fileformat.save_lesson(trainer.to_lesson(), tmp_path / "b.bpsim")
    assert not (tmp_path / "b.bpsim").exists()
    assert math.isfinite(trainer.network.flat.sum())


def test_lists_spread_over_many_lists_meet_the_total_cap() -> None:
    from bpsim.fileformat.prescan import MAX_CONTAINERS, prescan

    block = "[" + "[]," * 999_999 + "[]]"  # each list under the per-list cap
    count = MAX_CONTAINERS // 1_000_000 + 1
    data = ('{"view": {"x": [' + ",".join([block] * count) + "]}}").encode()
    with pytest.raises(LessonFileError, match="more than 8,000,000 lists and objects"):
        prescan(data)


def test_a_big_legal_file_passes_the_prescan_and_loads(tmp_path: Path) -> None:
    rows = 400_000  # 8 MB of inline rows: above the prescan's threshold
    doc = lesson(dataset={"inputs": [[0.25, 0.75]] * rows, "targets": [[1.0]] * rows})
    path = write_lesson(tmp_path / "big.bpsim", doc)
    assert path.stat().st_size > 4 * 2**20
    assert load_lesson(path).dataset.inputs.shape == (rows, 2)


def test_a_step_that_would_take_minutes_is_refused(tmp_path: Path) -> None:
    doc = lesson(
        layers=[{"size": 2}, {"size": 3000}, {"size": 3000}, {"size": 1}],
        training={"batch_size": 20_000},
        dataset={"builtin": "circle", "size": 20_000},
    )
    path = write_lesson(tmp_path / "slow.bpsim", doc)
    run = bpsim("explain", str(path), cwd=tmp_path)
    assert_clean(run, 2)
    assert (
        "slow.bpsim: training.batch_size: one step of 20,000 samples through 9,015,001" in run.err
    )
    assert "minutes" in run.err


def test_a_history_longer_than_the_training_is_refused_before_it_is_read(tmp_path: Path) -> None:
    doc = lesson(state={"epoch": 0, "step": 2, "history": {"step_loss": [0.5] * 3_000_000}})
    path = write_lesson(tmp_path / "history.bpsim", doc)
    run = bpsim("train", str(path), cwd=tmp_path)
    assert_clean(run, 2)
    assert "state.history.step_loss: 3,000,000 entries, but only 2 have been trained" in run.err


def test_explain_refuses_a_network_too_big_for_a_worked_example(tmp_path: Path) -> None:
    doc = lesson(
        layers=[{"size": 64}, {"size": 15000}, {"size": 10}],
        dataset={"builtin": "digits", "size": 2},
    )
    path = write_lesson(tmp_path / "wide.bpsim", doc)
    run = bpsim("explain", str(path), cwd=tmp_path)
    assert_clean(run, 2)
    assert "wide.bpsim: layers: the network has 1,125,010 weights and biases" in run.err
