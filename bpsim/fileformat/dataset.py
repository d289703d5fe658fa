"""The ``dataset`` part of a file: inline rows, a built-in data set, or a csv file beside it.

Built-in and csv data sets are made by :mod:`bpsim.datasets`; this module checks the
object around them, keeps data paths inside the lesson's folder (a lesson shared with a
class must not read files elsewhere on a student's disk), and checks that the rows fit
the network and the loss.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import numpy as np

from bpsim.core import rules
from bpsim.core.spec import MAX_DATA_VALUES, MAX_SAMPLES, Dataset, LayerSpec
from bpsim.fileformat.checks import Obj, kind, need_bool, need_list, need_str, number_matrix
from bpsim.fileformat.errors import LessonFileError, counted, index_place, show
from bpsim.fileformat.jsonio import check_free_json

INLINE_KEYS = ("inputs", "targets")
CSV_KEYS = ("csv", "inputs", "targets", "one_hot", "standardize")
_FORMS = (
    '{"inputs": [[…]], "targets": [[…]]}, {"builtin": NAME, …options} '
    'or {"csv": PATH, "inputs": [columns], "targets": [columns]}'
)
#: Where a csv data set was read from: (the lesson's folder, the csv file), both resolved.
#: Kept on the Dataset object so a save to another folder can rewrite the relative path.
ORIGIN_ATTR = "_bpsim_csv_origin"
_KEY_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*|\[\d+\])*")
OUTSIDE = "a data path must stay inside the lesson's folder"


def read_dataset(value: object, layers: list[LayerSpec], loss: str, folder: Path) -> Dataset:
    """The data set the file describes, checked against the network's sizes and the loss."""
    if not isinstance(value, Mapping):
        raise LessonFileError(
            f"expected a data set object, one of {_FORMS}; got {kind(value)}", place="dataset"
        )
    if "builtin" in value and "csv" in value:
        raise LessonFileError("use either 'builtin' or 'csv', not both", place="dataset")
    if "builtin" in value:
        dataset = _builtin(value)
    elif "csv" in value:
        dataset = _csv(value, folder)
    else:
        dataset = _inline(value, layers)
    _check_rows(dataset, layers, loss, inline=not dataset.source)
    return dataset


def _inline(value: Mapping[str, Any], layers: list[LayerSpec]) -> Dataset:
    for key in value:
        if key not in INLINE_KEYS:
            raise LessonFileError(
                f"unknown key {show(key)}; a data set is {_FORMS}", place="dataset"
            )
    for key in INLINE_KEYS:
        if key not in value:
            raise LessonFileError(f"missing key '{key}'; a data set is {_FORMS}", place="dataset")
    obj = Obj(value, "dataset", INLINE_KEYS, INLINE_KEYS)
    inputs = need_list(obj.get("inputs"), "dataset.inputs", "a list of rows")
    targets = need_list(obj.get("targets"), "dataset.targets", "a list of rows")
    n_in, n_out = layers[0].size, layers[-1].size
    if not inputs:
        raise LessonFileError("expected at least one row, got none", place="dataset.inputs")
    if len(inputs) > MAX_SAMPLES:
        raise LessonFileError(
            f"{len(inputs):,} rows; at most {MAX_SAMPLES:,} are allowed", place="dataset.inputs"
        )
    if len(inputs) * (n_in + n_out) > MAX_DATA_VALUES:
        raise LessonFileError(
            f"{len(inputs):,} rows of {n_in} inputs and {n_out} targets; at most "
            f"{MAX_DATA_VALUES:,} values are allowed",
            place="dataset",
        )
    if len(targets) != len(inputs):
        raise LessonFileError(
            f"expected {counted(len(inputs), 'row')} (one per row of dataset.inputs), "
            f"got {len(targets)}",
            place="dataset.targets",
        )
    x = number_matrix(
        inputs,
        "dataset.inputs",
        (len(inputs), n_in),
        ("", f" (the input layer has {counted(n_in, 'neuron')})"),
        "input",
    )
    t = number_matrix(
        targets,
        "dataset.targets",
        (len(targets), n_out),
        (" (one per row of dataset.inputs)", f" (the output layer has {counted(n_out, 'neuron')})"),
        "target",
    )
    # Inline rows live in the arrays; an empty source means "write the rows back".
    return Dataset(inputs=x, targets=t, source={})


def _dataset_error(error: Exception) -> LessonFileError:
    place = getattr(error, "place", "") or ""
    message = getattr(error, "message", "") or str(error)
    if not place:
        place = "dataset"
    elif _KEY_PATH.fullmatch(place):
        place = f"dataset.{place}"
    else:  # a place in the data ("row 5, column 'price'") rather than a key
        place = f"dataset ({place})"
    return LessonFileError(message, place=place)


def _builtin(value: Mapping[str, Any]) -> Dataset:
    from bpsim.datasets import DatasetError, load_builtin  # lazy: optional at import time

    name = need_str(value["builtin"], "dataset.builtin")
    source = check_free_json(value, "dataset")
    options = {key: item for key, item in source.items() if key != "builtin"}
    try:
        dataset = load_builtin(name, options)
    except DatasetError as error:
        raise _dataset_error(error) from None
    dataset.source = source
    return dataset


def _csv(value: Mapping[str, Any], folder: Path) -> Dataset:
    from bpsim.datasets import DatasetError, load_csv  # lazy: optional at import time

    obj = Obj(value, "dataset", CSV_KEYS, ("csv", "inputs", "targets"))
    text = need_str(obj.get("csv"), "dataset.csv")
    need_list(obj.get("inputs"), "dataset.inputs", "a list of columns")
    need_list(obj.get("targets"), "dataset.targets", "a list of columns")
    standardize = need_bool(obj.get("standardize", False), "dataset.standardize")
    source = check_free_json(value, "dataset")
    base = _resolved(folder, "dataset.csv")
    path = resolve_data_path(text, base, "dataset.csv")
    try:
        dataset = load_csv(
            path,
            list(source["inputs"]),
            list(source["targets"]),
            one_hot=source.get("one_hot"),
            standardize=standardize,
        )
    except DatasetError as error:
        raise _dataset_error(error) from None
    dataset.source = source
    setattr(dataset, ORIGIN_ATTR, (base, path))
    return dataset


def _resolved(path: Path, place: str) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError, ValueError) as error:
        raise LessonFileError(f"cannot find the folder of the data: {error}", place=place) from None


def resolve_data_path(text: str, base: Path, place: str) -> Path:
    """The csv file ``text`` names, relative to ``base`` (a resolved folder) and inside it."""
    if not text:
        raise LessonFileError("expected a file path relative to the lesson, got ''", place=place)
    if "\0" in text:
        raise LessonFileError("a file path cannot contain a NUL character", place=place)
    windows = PureWindowsPath(text)
    if (
        PurePosixPath(text).is_absolute()
        or windows.is_absolute()
        or windows.drive
        or text[0] in "/\\"
    ):
        raise LessonFileError(
            f"{OUTSIDE}; give a path relative to it, not {show(text)}", place=place
        )
    target = _resolved(base / text, place)
    if target == base or not target.is_relative_to(base):
        raise LessonFileError(f"{OUTSIDE}; {show(text)} leads out of it", place=place)
    return target


def csv_path_for(dataset: Dataset, folder: Path | None) -> str | None:
    """The csv path to write for a file in ``folder``; None when the csv lies outside it
    (then the rows are written inline instead)."""
    text = dataset.source.get("csv")
    origin = getattr(dataset, ORIGIN_ATTR, None)
    if folder is None or origin is None or not isinstance(text, str):
        return text if isinstance(text, str) else None
    old_base, csv_file = origin
    try:
        base = folder.resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if base == old_base:
        return text
    if csv_file != base and csv_file.is_relative_to(base):
        return csv_file.relative_to(base).as_posix()
    return None


def _check_rows(dataset: Dataset, layers: list[LayerSpec], loss: str, *, inline: bool) -> None:
    """Rows that fit the network, finite, and targets the loss can take."""
    x = np.asarray(dataset.inputs)
    t = np.asarray(dataset.targets)
    if x.ndim != 2 or t.ndim != 2 or x.shape[0] != t.shape[0]:
        raise LessonFileError(
            f"the data set's arrays have shapes {x.shape} and {t.shape}; "
            "expected rows of inputs and targets",
            place="dataset",
        )
    if x.shape[0] < 1:
        raise LessonFileError("the data set has no rows; at least one is needed", place="dataset")
    problem = rules.shape_problem(x.shape[1], t.shape[1], [layer.size for layer in layers])
    if problem is not None:
        raise LessonFileError(problem, place="dataset")
    dataset.inputs = np.ascontiguousarray(x, dtype=np.float64)
    dataset.targets = np.ascontiguousarray(t, dtype=np.float64)
    for name, array in (("inputs", dataset.inputs), ("targets", dataset.targets)):
        bad = np.argwhere(~np.isfinite(array))
        if bad.size:
            j, i = (int(n) for n in bad[0])
            raise LessonFileError(
                f"every number must be finite; got {show(float(array[j, i]))}",
                place=index_place(index_place(f"dataset.{name}", j), i),
            )
    misfit = rules.target_problem(loss, dataset.targets)
    if misfit is not None:
        need, j, i = misfit.need, misfit.row, misfit.column
        got = show(misfit.value)
        if inline:
            raise LessonFileError(f"{need}; got {got}", place=f"dataset.targets[{j}][{i}]")
        names = dataset.target_names
        target = repr(names[i]) if names is not None and i < len(names) else f"#{i + 1}"
        raise LessonFileError(
            f"{need}; sample {j + 1} of {dataset.size} has target {target} = {got}",
            place="dataset",
        )
