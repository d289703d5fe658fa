"""digits and iris against the raw files they come from, and the resources they live in."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import numpy as np
import pytest
from bpsim.resources import resource

import bpsim.datasets.bundled as bundled
from bpsim.datasets import DatasetError, load_builtin

DATA = resource("data")


def raw_digits_rows() -> list[list[float]]:
    with gzip.open(DATA / "digits.csv.gz", "rt") as f:
        return [[float(v) for v in row] for row in csv.reader(f)]


def raw_iris_rows() -> tuple[list[str], list[list[float]]]:
    with (DATA / "iris.csv").open() as f:
        rows = list(csv.reader(f))
    return rows[0], [[float(v) for v in row] for row in rows[1:]]


def test_resources_dir_is_beside_the_package() -> None:
    root = Path(__file__).resolve().parents[2]
    assert resource() == root / "resources"
    for name in ("digits.csv.gz", "iris.csv", "README.md"):
        assert (DATA / name).is_file()


def test_readme_credits_the_sources() -> None:
    text = (DATA / "README.md").read_text(encoding="utf-8")
    for words in ("digits.csv.gz", "iris.csv", "Alpaydin", "Kaynak", "Fisher", "UCI",
                  "CC BY 4.0", "scikit-learn", "BSD-3-Clause"):  # fmt: skip
        assert words in text


def test_digits_shape_and_ranges() -> None:
    d = load_builtin("digits", {})
    assert d.inputs.shape == (1797, 64) and d.targets.shape == (1797, 10)
    assert d.inputs.dtype == np.float64 and d.targets.dtype == np.float64
    assert d.inputs.min() == 0.0 and d.inputs.max() == 1.0
    np.testing.assert_array_equal(d.targets.sum(axis=1), 1.0)
    assert set(np.unique(d.targets)) == {0.0, 1.0}
    assert d.target_names == [str(k) for k in range(10)]
    assert len(d.input_names or []) == 64 and d.input_names[:2] == ["r1c1", "r1c2"]
    assert d.input_names[-1] == "r8c8"
    counts = d.targets.sum(axis=0)
    assert counts.sum() == 1797 and counts.min() >= 170


@pytest.mark.parametrize("row", [0, 1, 2, 500, 1234, 1796])
def test_digits_rows_match_the_file(row: int) -> None:
    raw = raw_digits_rows()[row]
    scaled = load_builtin("digits", {})
    unscaled = load_builtin("digits", {"scale": False})
    np.testing.assert_array_equal(unscaled.inputs[row], raw[:64])
    np.testing.assert_array_equal(scaled.inputs[row], np.array(raw[:64]) / 16.0)
    assert int(np.argmax(scaled.targets[row])) == int(raw[64])


def test_digits_first_row_by_hand() -> None:
    """The first digit is a 0; its top row of pixels in the file is 0,0,5,13,9,1,0,0."""
    d = load_builtin("digits", {"scale": False, "size": 1})
    np.testing.assert_array_equal(d.inputs[0, :8], [0, 0, 5, 13, 9, 1, 0, 0])
    np.testing.assert_array_equal(d.targets[0], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0])


@pytest.mark.parametrize("size", [1, 10, 1796, 1797])
def test_digits_size_keeps_the_first_rows(size: int) -> None:
    full = load_builtin("digits", {})
    d = load_builtin("digits", {"size": size})
    assert d.size == size
    np.testing.assert_array_equal(d.inputs, full.inputs[:size])
    np.testing.assert_array_equal(d.targets, full.targets[:size])


def test_digits_arrays_are_private_copies() -> None:
    d = load_builtin("digits", {"scale": False})
    d.inputs[0, 0] = 99.0
    assert load_builtin("digits", {"scale": False}).inputs[0, 0] == 0.0
    assert not bundled.digits_raw().flags.writeable


def test_iris_contents() -> None:
    header, rows = raw_iris_rows()
    assert header == ["150", "4", "setosa", "versicolor", "virginica"]
    raw = np.array(rows)
    d = load_builtin("iris", {"standardize": False})
    assert d.inputs.shape == (150, 4) and d.targets.shape == (150, 3)
    np.testing.assert_array_equal(d.inputs, raw[:, :4])
    np.testing.assert_array_equal(d.inputs[0], [5.1, 3.5, 1.4, 0.2])
    np.testing.assert_array_equal(np.argmax(d.targets, axis=1), raw[:, 4])
    np.testing.assert_array_equal(d.targets.sum(axis=0), [50, 50, 50])
    assert d.target_names == ["setosa", "versicolor", "virginica"]
    assert d.input_names == ["sepal length", "sepal width", "petal length", "petal width"]


def test_iris_standardized_by_default() -> None:
    d = load_builtin("iris", {})
    np.testing.assert_allclose(d.inputs.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.inputs.std(axis=0), 1.0, rtol=1e-12)
    raw = load_builtin("iris", {"standardize": False}).inputs
    np.testing.assert_allclose(d.inputs, (raw - raw.mean(axis=0)) / raw.std(axis=0))
    np.testing.assert_array_equal(d.targets, load_builtin("iris", {"standardize": False}).targets)


def test_missing_bundled_file_is_a_dataset_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundled.digits_raw.cache_clear()
    bundled.iris_raw.cache_clear()
    monkeypatch.setattr(bundled, "resource", lambda *parts: tmp_path.joinpath(*parts))
    try:
        for name in ("digits", "iris"):
            with pytest.raises(DatasetError, match=r"^builtin: the bundled file .* is missing"):
                load_builtin(name, {})
    finally:
        bundled.digits_raw.cache_clear()
        bundled.iris_raw.cache_clear()


def test_damaged_bundled_file_is_a_dataset_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "digits.csv.gz").write_bytes(b"not gzip at all")
    (tmp_path / "data" / "iris.csv").write_text("150,4,a,b,c\n1,2,3,4,0\n")
    bundled.digits_raw.cache_clear()
    bundled.iris_raw.cache_clear()
    monkeypatch.setattr(bundled, "resource", lambda *parts: tmp_path.joinpath(*parts))
    try:
        for name in ("digits", "iris"):
            with pytest.raises(DatasetError, match=r"^builtin: the bundled file .* is damaged"):
                load_builtin(name, {})
    finally:
        bundled.digits_raw.cache_clear()
        bundled.iris_raw.cache_clear()
