"""Real data that ships with the app (files in ``resources/data``, attribution in its README).

The files are read once and kept as read-only arrays; every data set gets its own copy.
A missing or damaged file is reported as a ``DatasetError`` at ``builtin``, because from
the lesson's point of view it is the built-in data set that failed.
"""

from __future__ import annotations

import functools
import gzip
from pathlib import Path

import numpy as np

from bpsim.core.spec import Dataset
from bpsim.datasets.errors import DatasetError
from bpsim.resources import resource

DIGITS_ROWS = 1797
DIGITS_FILE = "digits.csv.gz"
IRIS_ROWS = 150
IRIS_FILE = "iris.csv"
IRIS_INPUT_NAMES = ["sepal length", "sepal width", "petal length", "petal width"]


def _data_file(name: str) -> Path:
    path = resource("data", name)
    if not path.is_file():
        raise DatasetError("builtin", f"the bundled file {path} is missing; reinstall bpsim")
    return path


def _damaged(name: str, why: str) -> DatasetError:
    return DatasetError("builtin", f"the bundled file {name} is damaged ({why}); reinstall bpsim")


@functools.cache
def digits_raw() -> np.ndarray:
    """The digits file as is: (1797, 65), 64 pixels 0–16 then the class 0–9."""
    path = _data_file(DIGITS_FILE)
    try:
        with gzip.open(path, "rt", encoding="ascii") as f:
            raw = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, EOFError, ValueError) as e:
        raise _damaged(DIGITS_FILE, str(e)) from e
    if raw.shape != (DIGITS_ROWS, 65):
        raise _damaged(DIGITS_FILE, f"shape {raw.shape}")
    pixels, classes = raw[:, :64], raw[:, 64]
    if not (np.all((pixels >= 0) & (pixels <= 16)) and np.all(np.isin(classes, np.arange(10)))):
        raise _damaged(DIGITS_FILE, "values out of range")
    raw.flags.writeable = False
    return raw


@functools.cache
def iris_raw() -> tuple[np.ndarray, tuple[str, ...]]:
    """The iris file as is: (150, 5), 4 measurements in cm then the class 0–2, and the
    class names from its header line ``150,4,setosa,versicolor,virginica``."""
    path = _data_file(IRIS_FILE)
    try:
        with path.open(encoding="ascii") as f:
            header = f.readline().strip().split(",")
            raw = np.loadtxt(f, delimiter=",", dtype=np.float64, ndmin=2)
    except (OSError, ValueError) as e:
        raise _damaged(IRIS_FILE, str(e)) from e
    names = tuple(header[2:])
    if raw.shape != (IRIS_ROWS, 5) or len(names) != 3:
        raise _damaged(IRIS_FILE, f"shape {raw.shape}, header {header}")
    if not (np.all(np.isfinite(raw)) and np.all(np.isin(raw[:, 4], np.arange(3)))):
        raise _damaged(IRIS_FILE, "values out of range")
    raw.flags.writeable = False
    return raw, names


def _one_hot(classes: np.ndarray, count: int) -> np.ndarray:
    return (classes[:, np.newaxis] == np.arange(count)).astype(np.float64)


def digits(*, size: int = DIGITS_ROWS, scale: bool = True) -> Dataset:
    """Handwritten digits, 8×8 pixels: 64 inputs (pixel/16 in [0, 1] with ``scale``, else
    0–16) and 10 one-hot targets; ``size`` keeps the first rows, for quicker lessons."""
    raw = digits_raw()[:size]
    pixels = raw[:, :64] / 16.0 if scale else raw[:, :64].copy()
    return Dataset(
        inputs=pixels,
        targets=_one_hot(raw[:, 64], 10),
        source={"builtin": "digits", "size": size, "scale": scale},
        input_names=[f"r{r + 1}c{c + 1}" for r in range(8) for c in range(8)],
        target_names=[str(k) for k in range(10)],
    )


def iris(*, standardize: bool = True) -> Dataset:
    """Fisher's iris: 4 measurements (zero mean, unit variance per column with
    ``standardize``, else cm) and 3 one-hot species targets, 50 flowers each, in file order."""
    raw, names = iris_raw()
    inputs = raw[:, :4].copy()
    if standardize:
        inputs = (inputs - inputs.mean(axis=0)) / inputs.std(axis=0)
    return Dataset(
        inputs=inputs,
        targets=_one_hot(raw[:, 4], 3),
        source={"builtin": "iris", "standardize": standardize},
        input_names=list(IRIS_INPUT_NAMES),
        target_names=list(names),
    )
