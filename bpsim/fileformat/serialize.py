"""A Lesson turned back into the plain data of a `.bpsim` file, keys in the spec's order.

Arrays become lists of Python floats (written later with ``repr``, so every bit comes
back), masks become 0/1 integers, and anything that JSON cannot hold exactly (NaN,
infinity, objects of other types) is refused with its place instead of being written.
Only what differs from the defaults is written for layers; the rest is written in full
so a student reading the file sees every setting.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bpsim.core.spec import OPTIMIZER_DEFAULTS, Dataset, InitSpec, LayerSpec, Lesson, TrainingSpec
from bpsim.fileformat.dataset import csv_path_for
from bpsim.fileformat.errors import LessonFileError, index_place, key_place, show
from bpsim.fileformat.jsonio import MAX_DEPTH, first_non_finite, flat_scalars
from bpsim.fileformat.validate import FORMAT_NAME, FORMAT_VERSION


def lesson_to_dict(lesson: Lesson, *, path: Path | None = None) -> dict[str, Any]:
    """The file's content for ``lesson``; ``path`` is where it will be written (csv paths
    are made relative to it, or the rows written inline if the csv lies outside its folder)."""
    out: dict[str, Any] = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    if lesson.name:
        out["name"] = str(lesson.name)
    if lesson.description:
        out["description"] = str(lesson.description)
    out["layers"] = [_layer(layer, k) for k, layer in enumerate(lesson.layers)]
    if lesson.parameters is not None:
        out["parameters"] = {
            "weights": [
                _array(w, index_place("parameters.weights", k), 2)
                for k, w in enumerate(lesson.parameters.weights)
            ],
            "biases": [
                _array(b, index_place("parameters.biases", k), 1)
                for k, b in enumerate(lesson.parameters.biases)
            ],
        }
    if lesson.init is not None:
        out["init"] = _init(lesson.init)
    out["loss"] = lesson.loss
    out["optimizer"] = _optimizer(lesson.optimizer.name, lesson.optimizer.hyper)
    out["training"] = _training(lesson.training)
    folder = None if path is None else Path(path).parent
    out["dataset"] = _dataset(lesson.dataset, folder)
    if lesson.state is not None:
        out["state"] = plain_json(lesson.state, "state")
    if lesson.view is not None:
        out["view"] = plain_json(lesson.view, "view")
    return out


def layer_settings(layer: LayerSpec, k: int) -> dict[str, Any]:
    """Layer ``k``'s entries beside its size and labels, as the file writes them: activation,
    bias, frozen parts and mask (none for the input layer). The parameters export shares it."""
    out: dict[str, Any] = {}
    if k > 0:
        out["activation"] = layer.activation
        out["bias"] = layer.bias
        if not layer.train_weights:
            out["train_weights"] = False
        if not layer.train_bias:
            out["train_bias"] = False
        if layer.mask is not None:
            mask = np.asarray(layer.mask)
            out["mask"] = (mask != 0).astype(np.int64).tolist()
    return out


def _layer(layer: LayerSpec, k: int) -> dict[str, Any]:
    out: dict[str, Any] = {"size": int(layer.size), **layer_settings(layer, k)}
    if layer.labels is not None:
        out["labels"] = [str(label) for label in layer.labels]
    return out


def _array(array: Any, place: str, ndim: int) -> list[Any]:
    """``array`` as nested lists of floats; refuses NaN/infinity naming the first one."""
    values = np.asarray(array, dtype=np.float64)
    if values.ndim != ndim:
        raise LessonFileError(
            f"expected a {ndim}-dimensional array, got shape {values.shape}", place=place
        )
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        index = tuple(int(n) for n in bad[0])
        where = place + "".join(f"[{n}]" for n in index)
        raise LessonFileError(
            f"{show(float(values[index]))} cannot be written; every number must be finite",
            place=where,
        )
    return values.tolist()


def _number(value: Any, place: str) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise LessonFileError(
            f"{show(number)} cannot be written; every number must be finite", place=place
        )
    return number


def _init(spec: InitSpec) -> dict[str, Any]:
    out: dict[str, Any] = {"method": spec.method, "seed": int(spec.seed)}
    if spec.method == "uniform":
        out["low"] = _number(spec.low, "init.low")
        out["high"] = _number(spec.high, "init.high")
    return out


def _optimizer(name: str, hyper: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    order = list(OPTIMIZER_DEFAULTS.get(name, {}))
    keys = [key for key in order if key in hyper] + [key for key in hyper if key not in order]
    for key in keys:
        value = hyper[key]
        if isinstance(value, bool | np.bool_):
            out[key] = bool(value)
        else:
            out[key] = _number(value, key_place("optimizer", key))
    return out


def _training(spec: TrainingSpec) -> dict[str, Any]:
    return {
        "batch_size": "full" if spec.batch_size is None else int(spec.batch_size),
        "shuffle": bool(spec.shuffle),
        "seed": int(spec.seed),
        "validation_fraction": _number(spec.validation_fraction, "training.validation_fraction"),
        "early_stopping": None if spec.patience is None else {"patience": int(spec.patience)},
    }


def _dataset(dataset: Dataset, folder: Path | None) -> dict[str, Any]:
    source = dataset.source or {}
    if "builtin" in source:
        return plain_json(source, "dataset")
    if "csv" in source:
        text = csv_path_for(dataset, folder)
        if text is not None:
            out = plain_json(source, "dataset")
            out["csv"] = text
            return out
    return {
        "inputs": _array(dataset.inputs, "dataset.inputs", 2),
        "targets": _array(dataset.targets, "dataset.targets", 2),
    }


def plain_json(value: Any, place: str) -> Any:
    """A copy of ``value`` made only of JSON's types (NumPy arrays and scalars, tuples and
    other mappings converted); refuses non-finite numbers, non-string keys, other objects
    and nesting deeper than :data:`MAX_DEPTH`, naming the place."""
    return _plain(value, place, 0)


def _plain(value: Any, place: str, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise LessonFileError(
            f"nested more than {MAX_DEPTH} levels deep; cannot be written", place=place
        )
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":
            return _array(value, place, value.ndim) if value.ndim else _number(value, place)
        value = value.tolist()
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _number(value, place)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise LessonFileError(
                    f"keys must be strings to be written; got {show(key)}", place=place
                )
            out[key] = _plain(item, key_place(place, key), depth + 1)
        return out
    if isinstance(value, list | tuple):
        if flat_scalars(value):  # the bulk of a saved state: check and copy at C speed
            bad = first_non_finite(value)
            if bad is not None:
                _number(value[bad], index_place(place, bad))
            return list(value)
        return [_plain(item, index_place(place, n), depth + 1) for n, item in enumerate(value)]
    raise LessonFileError(f"{show(value)} cannot be written as JSON", place=place)
