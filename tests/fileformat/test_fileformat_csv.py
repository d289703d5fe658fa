"""Csv data sets: paths relative to the lesson and kept inside its folder, rewritten on save."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fileformat_helpers import assert_same_lesson, example

from bpsim.fileformat import (
    LessonFileError,
    dumps_lesson,
    lesson_to_dict,
    load_lesson,
    parse_lesson,
    save_lesson,
)

CSV = "a,b,y1,y2\n0.95,0.06,0.05,0.82\n0.5,0.25,0.125,1\n"


def csv_doc(path_text: str, **extra: Any) -> dict[str, Any]:
    doc = example()
    doc["dataset"] = {"csv": path_text, "inputs": ["a", "b"], "targets": ["y1", "y2"], **extra}
    return doc


@pytest.fixture
def lesson_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "lessons"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "rows.csv").write_text(CSV, encoding="utf-8")
    (folder / "top.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "outside.csv").write_text(CSV, encoding="utf-8")
    return folder


def write(folder: Path, doc: dict[str, Any], name: str = "lesson.bpsim") -> Path:
    path = folder / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_csv_relative_to_the_file(lesson_dir: Path) -> None:
    path = write(lesson_dir, csv_doc("data/rows.csv"))
    lesson = load_lesson(path)
    np.testing.assert_array_equal(lesson.dataset.inputs, [[0.95, 0.06], [0.5, 0.25]])
    np.testing.assert_array_equal(lesson.dataset.targets, [[0.05, 0.82], [0.125, 1.0]])
    assert lesson.dataset.source == {
        "csv": "data/rows.csv",
        "inputs": ["a", "b"],
        "targets": ["y1", "y2"],
    }


def test_csv_options_are_passed_and_kept(lesson_dir: Path) -> None:
    path = write(lesson_dir, csv_doc("./data/../top.csv", standardize=True))
    lesson = load_lesson(path)
    assert lesson.dataset.source["standardize"] is True
    assert lesson.dataset.source["csv"] == "./data/../top.csv"
    np.testing.assert_allclose(lesson.dataset.inputs.mean(axis=0), [0.0, 0.0], atol=1e-12)


def test_csv_without_a_path_uses_the_working_folder(
    lesson_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(lesson_dir)
    lesson = parse_lesson(csv_doc("top.csv"))
    assert lesson.dataset.inputs.shape == (2, 2)


@pytest.mark.parametrize(
    "path_text",
    ["../outside.csv", "data/../../outside.csv", "data/../../lessons/../outside.csv"],
)
def test_paths_leading_out_are_refused(lesson_dir: Path, path_text: str) -> None:
    path = write(lesson_dir, csv_doc(path_text))
    with pytest.raises(LessonFileError) as info:
        load_lesson(path)
    assert info.value.place == "dataset.csv"
    assert info.value.message.startswith("a data path must stay inside the lesson's folder")


def test_absolute_paths_are_refused(lesson_dir: Path) -> None:
    inside = str(lesson_dir / "top.csv")  # absolute even though it points inside
    for text in (
        inside,
        "/etc/passwd",
        "C:\\data\\x.csv",
        "C:x.csv",
        "\\\\server\\share\\x.csv",
        "\\x.csv",
    ):
        path = write(lesson_dir, csv_doc(text))
        with pytest.raises(LessonFileError) as info:
            load_lesson(path)
        assert info.value.place == "dataset.csv", text
        assert "a data path must stay inside the lesson's folder" in info.value.message


def test_symlink_out_of_the_folder_is_refused(lesson_dir: Path) -> None:
    (lesson_dir / "sneaky.csv").symlink_to(lesson_dir.parent / "outside.csv")
    path = write(lesson_dir, csv_doc("sneaky.csv"))
    with pytest.raises(LessonFileError, match="must stay inside"):
        load_lesson(path)


@pytest.mark.parametrize("text", ["", "a\0b.csv", ".", "data"])
def test_odd_paths_are_refused(lesson_dir: Path, text: str) -> None:
    path = write(lesson_dir, csv_doc(text))
    with pytest.raises(LessonFileError) as info:
        load_lesson(path)
    assert info.value.place == "dataset.csv"


def test_missing_csv_names_the_place(lesson_dir: Path) -> None:
    path = write(lesson_dir, csv_doc("nope.csv"))
    with pytest.raises(LessonFileError) as info:
        load_lesson(path)
    assert info.value.place == "dataset.csv"
    assert "not found" in info.value.message


def test_csv_errors_get_the_dataset_prefix(lesson_dir: Path) -> None:
    doc = csv_doc("top.csv")
    doc["dataset"]["inputs"] = ["a", "nope"]
    with pytest.raises(LessonFileError) as info:
        load_lesson(write(lesson_dir, doc))
    assert info.value.place.startswith("dataset")
    assert "nope" in info.value.message
    (lesson_dir / "bad.csv").write_text("a,b,y1,y2\n1,2,3,x\n", encoding="utf-8")
    with pytest.raises(LessonFileError) as info:
        load_lesson(write(lesson_dir, csv_doc("bad.csv")))
    assert info.value.place.startswith("dataset (row 2")
    assert str(info.value).startswith(f"{lesson_dir / 'lesson.bpsim'}: dataset (row 2")


def test_csv_shape_must_fit_the_network(lesson_dir: Path) -> None:
    doc = csv_doc("top.csv")
    doc["dataset"]["targets"] = ["y1"]
    with pytest.raises(LessonFileError) as info:
        load_lesson(write(lesson_dir, doc))
    assert info.value.place == "dataset"
    assert "1 target per row, but the output layer has 2 neurons" in info.value.message


def test_csv_targets_checked_against_the_loss(lesson_dir: Path) -> None:
    doc = csv_doc("top.csv")
    doc["loss"] = "binary_cross_entropy"
    (lesson_dir / "big.csv").write_text("a,b,y1,y2\n0,0,0,1\n1,1,0,2\n", encoding="utf-8")
    doc["dataset"]["csv"] = "big.csv"
    with pytest.raises(LessonFileError) as info:
        load_lesson(write(lesson_dir, doc))
    assert info.value.place == "dataset"
    assert "sample 2 of 2 has target 'y2' = 2.0" in info.value.message


def test_save_in_the_same_folder_keeps_the_path_as_written(lesson_dir: Path) -> None:
    path = write(lesson_dir, csv_doc("./data/rows.csv"))
    lesson = load_lesson(path)
    copy = lesson_dir / "copy.bpsim"
    save_lesson(lesson, copy)
    assert json.loads(copy.read_text(encoding="utf-8"))["dataset"]["csv"] == "./data/rows.csv"
    assert_same_lesson(lesson, load_lesson(copy))
    assert lesson_to_dict(lesson)["dataset"]["csv"] == "./data/rows.csv"  # no path: as is


def test_save_to_a_parent_folder_rewrites_the_path(lesson_dir: Path) -> None:
    lesson = load_lesson(write(lesson_dir, csv_doc("data/rows.csv")))
    up = lesson_dir.parent / "up.bpsim"
    save_lesson(lesson, up)
    written = json.loads(up.read_text(encoding="utf-8"))["dataset"]
    assert written == {
        "csv": "lessons/data/rows.csv",
        "inputs": ["a", "b"],
        "targets": ["y1", "y2"],
    }
    again = load_lesson(up)
    np.testing.assert_array_equal(again.dataset.inputs, lesson.dataset.inputs)


def test_save_to_a_sub_folder_rewrites_the_path(lesson_dir: Path) -> None:
    lesson = load_lesson(write(lesson_dir, csv_doc("data/rows.csv")))
    down = lesson_dir / "data" / "down.bpsim"
    text = dumps_lesson(lesson, path=down)
    assert json.loads(text)["dataset"]["csv"] == "rows.csv"


def test_save_where_the_csv_is_outside_writes_rows_inline(lesson_dir: Path, tmp_path: Path) -> None:
    lesson = load_lesson(write(lesson_dir, csv_doc("top.csv", standardize=True)))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "moved.bpsim"
    save_lesson(lesson, target)
    written = json.loads(target.read_text(encoding="utf-8"))["dataset"]
    assert set(written) == {"inputs", "targets"}
    again = load_lesson(target)
    # The rows as the lesson used them (standardized), bit for bit.
    assert again.dataset.inputs.tobytes() == lesson.dataset.inputs.tobytes()
    assert again.dataset.targets.tobytes() == lesson.dataset.targets.tobytes()
    # A csv in a sibling sub-folder of the new file's folder is outside it too.
    sub = lesson_dir / "data" / "x.bpsim"
    top_lesson = load_lesson(write(lesson_dir, csv_doc("top.csv")))
    assert set(lesson_to_dict(top_lesson, path=sub)["dataset"]) == {"inputs", "targets"}


def test_csv_round_trip_with_path(lesson_dir: Path) -> None:
    path = write(lesson_dir, csv_doc("data/rows.csv"))
    lesson = load_lesson(path)
    again = parse_lesson(dumps_lesson(lesson, path=path), path=path)
    assert_same_lesson(lesson, again)
