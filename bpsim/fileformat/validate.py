"""A parsed `.bpsim` document (plain JSON data) checked rule by rule and turned into a Lesson.

The checks run in a fixed order (the order of the spec's tables) and stop at the first
problem, so the same bad file always gives the same one message. Nothing is built
until its part has been checked, and sizes are checked before anything is allocated.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bpsim.core import rules
from bpsim.core.spec import (
    ACTIVATIONS,
    BIAS_MODES,
    INIT_METHODS,
    LOSSES,
    MAX_LAYER_SIZE,
    MAX_PARAMETERS,
    OPTIMIZER_DEFAULTS,
    InitSpec,
    LayerSpec,
    Lesson,
    OptimizerSpec,
    Parameters,
    TrainingSpec,
)
from bpsim.fileformat.checks import (
    Obj,
    is_number,
    kind,
    need_bool,
    need_choice,
    need_int,
    need_list,
    need_number,
    need_str,
    number_matrix,
    number_row,
)
from bpsim.fileformat.dataset import read_dataset
from bpsim.fileformat.errors import TOP, LessonFileError, counted, index_place, show
from bpsim.fileformat.jsonio import check_free_json
from bpsim.fileformat.prescan import MAX_LAYERS

FORMAT_NAME = "bpsim"
FORMAT_VERSION = 1
#: Seeds go to NumPy's PCG64, which takes whole numbers from 0 to 2**64 − 1.
MAX_SEED = 2**64 - 1

TOP_KEYS = (
    "format",
    "version",
    "name",
    "description",
    "layers",
    "parameters",
    "init",
    "loss",
    "optimizer",
    "training",
    "dataset",
    "state",
    "view",
)
TOP_REQUIRED = ("format", "version", "layers", "loss", "optimizer", "dataset")
INPUT_LAYER_KEYS = ("size", "labels")
LAYER_KEYS = ("size", "activation", "bias", "train_weights", "train_bias", "mask", "labels")
PARAMETER_KEYS = ("weights", "biases")
INIT_KEYS = ("method", "seed", "low", "high")
TRAINING_KEYS = ("batch_size", "shuffle", "seed", "validation_fraction", "early_stopping")
EARLY_STOPPING_KEYS = ("patience",)


def lesson_from_data(data: object, folder: Path) -> Lesson:
    """Check ``data`` (a parsed `.bpsim` document) and build the Lesson it describes.

    ``folder`` is where relative data paths point (the file's folder). Raises
    :class:`LessonFileError` (without a file name) for the first rule broken.
    """
    if not isinstance(data, Mapping):
        raise LessonFileError(
            f"expected a JSON object {{…}} holding a lesson, got {kind(data)}", place=TOP
        )
    _check_format(data)
    top = Obj(data, "", TOP_KEYS, TOP_REQUIRED)
    name = need_str(top.get("name", ""), "name")
    description = need_str(top.get("description", ""), "description")
    layers = _layers(top.get("layers"))
    parameters = _parameters(top.get("parameters"), layers) if top.has("parameters") else None
    init = _init(top.get("init")) if top.has("init") else None
    loss = _loss(top.get("loss"), layers)
    optimizer = _optimizer(top.get("optimizer"))
    training = _training(top.get("training")) if top.has("training") else TrainingSpec()
    dataset = read_dataset(top.get("dataset"), layers, loss, folder)
    state = None
    if top.has("state"):
        if not isinstance(top.get("state"), Mapping):
            raise LessonFileError(
                f"expected an object {{…}}, got {kind(top.get('state'))}", place="state"
            )
        state = check_free_json(top.get("state"), "state")
    view = None
    if top.has("view"):
        if not isinstance(top.get("view"), Mapping):
            raise LessonFileError(
                f"expected an object {{…}}, got {kind(top.get('view'))}", place="view"
            )
        view = check_free_json(top.get("view"), "view")
    return Lesson(
        layers=layers,
        loss=loss,
        optimizer=optimizer,
        dataset=dataset,
        name=name,
        description=description,
        parameters=parameters,
        init=init,
        training=training,
        state=state,
        view=view,
    )


def _check_format(data: Mapping[str, Any]) -> None:
    """``format`` and ``version`` first: for a file that is not a lesson, say just that."""
    if "format" not in data:
        raise LessonFileError(
            'missing key \'format\'; a lesson file has "format": "bpsim" (is this a .bpsim file?)',
            place=TOP,
        )
    if not isinstance(data["format"], str) or data["format"] != FORMAT_NAME:
        raise LessonFileError(f'expected "bpsim", got {kind(data["format"])}', place="format")
    if "version" not in data:
        raise LessonFileError("missing key 'version'", place=TOP)
    version = data["version"]
    if not isinstance(version, int) or isinstance(version, bool):
        raise LessonFileError(f"expected the whole number 1, got {kind(version)}", place="version")
    if version != FORMAT_VERSION:
        raise LessonFileError(
            f"unsupported version {show(version)}; "
            f"this version of bpsim reads version {FORMAT_VERSION}",
            place="version",
        )


# ----------------------------------------------------------------------------- layers


def _layers(value: object) -> list[LayerSpec]:
    items = need_list(value, "layers", "a list of layers")
    if len(items) < 2:
        raise LessonFileError(
            f"expected at least 2 layers (an input and an output layer), got {len(items)}",
            place="layers",
        )
    if len(items) > MAX_LAYERS:
        raise LessonFileError(
            f"{len(items):,} layers; at most {MAX_LAYERS:,} are allowed", place="layers"
        )
    # First every size, so the total can be refused before anything big is built.
    objs: list[Obj] = []
    sizes: list[int] = []
    for k, item in enumerate(items):
        place = index_place("layers", k)
        if k == 0:
            obj = Obj(item, place, INPUT_LAYER_KEYS, ("size",), what="a layer object")
        else:
            obj = Obj(item, place, LAYER_KEYS, ("size",), what="a layer object")
        sizes.append(need_int(obj.get("size"), obj.at("size"), 1, MAX_LAYER_SIZE))
        objs.append(obj)
    total = 0
    for k in range(1, len(sizes)):
        mode = objs[k].get("bias", "per_neuron")
        biases = {"shared": 1, "none": 0}.get(mode, sizes[k]) if isinstance(mode, str) else 0
        total += sizes[k - 1] * sizes[k] + biases
    if total > MAX_PARAMETERS:
        raise LessonFileError(
            f"the network would have {total:,} weights and biases; "
            f"at most {MAX_PARAMETERS:,} are allowed",
            place="layers",
        )
    layers: list[LayerSpec] = []
    last = len(objs) - 1
    for k, obj in enumerate(objs):
        layer = LayerSpec(size=sizes[k])
        if k > 0:
            layer.activation = need_choice(
                obj.get("activation", "sigmoid"), obj.at("activation"), ACTIVATIONS, "activation"
            )
            problem = rules.activation_problem(layer.activation, k, last)
            if problem is not None:
                raise LessonFileError(problem, place=obj.at("activation"))
            layer.bias = need_choice(
                obj.get("bias", "per_neuron"), obj.at("bias"), BIAS_MODES, "bias mode"
            )
            layer.train_weights = need_bool(obj.get("train_weights", True), obj.at("train_weights"))
            layer.train_bias = need_bool(obj.get("train_bias", True), obj.at("train_bias"))
            if obj.has("mask"):
                layer.mask = _mask(obj.get("mask"), obj.at("mask"), sizes[k], sizes[k - 1])
        if obj.has("labels"):
            layer.labels = _labels(obj.get("labels"), obj.at("labels"), sizes[k])
        layers.append(layer)
    return layers


def _labels(value: object, place: str, size: int) -> list[str]:
    items = need_list(value, place, "a list of labels")
    if len(items) != size:
        raise LessonFileError(
            f"expected {counted(size, 'label')} (one per neuron), got {len(items)}",
            place=place,
        )
    labels: list[str] = []
    for n, item in enumerate(items):
        label = need_str(item, index_place(place, n))
        if not label.strip():
            raise LessonFileError("a label must not be empty or blank", place=index_place(place, n))
        labels.append(label)
    return labels


def _mask(value: object, place: str, rows: int, cols: int) -> np.ndarray:
    """A 0/1 matrix shaped like the weights into the layer (one row per neuron)."""
    items = need_list(value, place, "a 0/1 matrix (a list of rows)")
    if len(items) != rows:
        raise LessonFileError(
            f"expected {counted(rows, 'row')} (one per neuron of this layer), got {len(items)}",
            place=place,
        )
    mask = np.empty((rows, cols), dtype=np.float64)
    for j, row_value in enumerate(items):
        row_place = index_place(place, j)
        row = need_list(row_value, row_place, "a list of 0s and 1s")
        if len(row) != cols:
            raise LessonFileError(
                f"expected {counted(cols, 'value')} (one per neuron of the previous layer), "
                f"got {len(row)}",
                place=row_place,
            )
        for i, item in enumerate(row):
            if not is_number(item) or item not in (0, 1):
                raise LessonFileError(
                    f"expected 0 or 1, got {kind(item)}", place=index_place(row_place, i)
                )
        mask[j] = row
    return mask


# ----------------------------------------------------------------------------- parameters


def _parameters(value: object, layers: list[LayerSpec]) -> Parameters:
    obj = Obj(value, "parameters", PARAMETER_KEYS, PARAMETER_KEYS)
    count = len(layers) - 1
    weight_items = need_list(obj.get("weights"), "parameters.weights", "a list of weight matrices")
    if len(weight_items) != count:
        raise LessonFileError(
            f"expected {count} weight matrices (one into each layer after the input), "
            f"got {len(weight_items)}",
            place="parameters.weights",
        )
    weights: list[np.ndarray] = []
    for k, item in enumerate(weight_items):
        place = index_place("parameters.weights", k)
        rows, cols = layers[k + 1].size, layers[k].size
        w = number_matrix(
            item,
            place,
            (rows, cols),
            (f" (one per neuron of layers[{k + 1}])", f" (one per neuron of layers[{k}])"),
            "weight",
        )
        mask = layers[k + 1].mask
        if mask is not None:
            bad = np.argwhere((mask == 0) & (w != 0))
            if bad.size:
                j, i = (int(n) for n in bad[0])
                raise LessonFileError(
                    f"expected 0: this link is masked out by layers[{k + 1}].mask[{j}][{i}], "
                    f"got {show(float(w[j, i]))}",
                    place=f"{place}[{j}][{i}]",
                )
        weights.append(w)
    bias_items = need_list(obj.get("biases"), "parameters.biases", "a list of bias lists")
    if len(bias_items) != count:
        raise LessonFileError(
            f"expected {count} bias lists (one for each layer after the input), "
            f"got {len(bias_items)}",
            place="parameters.biases",
        )
    biases: list[np.ndarray] = []
    for k, item in enumerate(bias_items):
        layer = layers[k + 1]
        want = layer.bias_count()
        note = {
            "per_neuron": f' (layers[{k + 1}] has bias "per_neuron": one per neuron)',
            "shared": f' (layers[{k + 1}] has bias "shared": one for the layer)',
            "none": f' (layers[{k + 1}] has bias "none")',
        }[layer.bias]
        biases.append(number_row(item, index_place("parameters.biases", k), want, "bias", note))
    return Parameters(weights, biases)


def _init(value: object) -> InitSpec:
    obj = Obj(value, "init", INIT_KEYS)
    method = need_choice(
        obj.get("method", "xavier_uniform"), obj.at("method"), INIT_METHODS, "init method"
    )
    seed = need_int(obj.get("seed", 0), obj.at("seed"), 0, MAX_SEED)
    spec = InitSpec(method=method, seed=seed)
    if method != "uniform":
        for key in ("low", "high"):
            if obj.has(key):
                raise LessonFileError(
                    f'\'{key}\' is used only by the "uniform" method (this is "{method}")',
                    place=obj.at(key),
                )
        return spec
    spec.low = need_number(obj.get("low", spec.low), obj.at("low"))
    spec.high = need_number(obj.get("high", spec.high), obj.at("high"))
    if not spec.low < spec.high:
        raise LessonFileError(
            f"expected high > low ({show(spec.low)}), got {show(spec.high)}", place=obj.at("high")
        )
    if not np.isfinite(spec.high - spec.low):
        raise LessonFileError("the range high − low is too wide to draw from", place=obj.at("high"))
    return spec


# ----------------------------------------------------------------------------- loss, optimizer


def _loss(value: object, layers: list[LayerSpec]) -> str:
    loss = need_choice(value, "loss", LOSSES, "loss")
    where = f"layers[{len(layers) - 1}].activation"
    problem = rules.loss_problem(loss, layers[-1].activation, where)
    if problem is not None:
        raise LessonFileError(problem, place="loss")
    return loss


def _optimizer(value: object) -> OptimizerSpec:
    names = tuple(OPTIMIZER_DEFAULTS)
    if not isinstance(value, Mapping):
        raise LessonFileError(
            f'expected an optimizer object {{"name": …}}, got {kind(value)}', place="optimizer"
        )
    if "name" not in value:
        raise LessonFileError(f"missing key 'name' (one of {', '.join(names)})", place="optimizer")
    name = need_choice(value["name"], "optimizer.name", names, "optimizer")
    defaults = OPTIMIZER_DEFAULTS[name]
    obj = Obj(value, "optimizer", ("name", *defaults))
    given: dict[str, float | bool] = {}
    for key, default in defaults.items():
        if not obj.has(key):
            if default is None:
                raise LessonFileError(
                    f"missing key '{key}' (optimizer '{name}' needs it)", place="optimizer"
                )
            continue
        if isinstance(default, bool):
            given[key] = need_bool(obj.get(key), obj.at(key))
        else:
            given[key] = need_number(obj.get(key), obj.at(key))
    spec = OptimizerSpec.with_defaults(name, **given)
    from bpsim.core.optimizers import hyper_problems  # lazy: the engine may import us

    problems = hyper_problems(name, dict(spec.hyper))
    if problems:
        key, message = problems[0]
        place = obj.at(key) if key else "optimizer"
        raise LessonFileError(message, place=place)
    return spec


# ----------------------------------------------------------------------------- training


def _training(value: object) -> TrainingSpec:
    obj = Obj(value, "training", TRAINING_KEYS)
    spec = TrainingSpec()
    if obj.has("batch_size"):
        size = obj.get("batch_size")
        if size == "full" and isinstance(size, str):
            spec.batch_size = None
        elif isinstance(size, int) and not isinstance(size, bool) and size >= 1:
            spec.batch_size = size
        else:
            raise LessonFileError(
                f'expected a whole number ≥ 1 or "full", got {kind(size)}',
                place=obj.at("batch_size"),
            )
    spec.shuffle = need_bool(obj.get("shuffle", False), obj.at("shuffle"))
    spec.seed = need_int(obj.get("seed", 0), obj.at("seed"), 0, MAX_SEED)
    if obj.has("validation_fraction"):
        fraction = need_number(obj.get("validation_fraction"), obj.at("validation_fraction"))
        if not 0.0 <= fraction < 1.0:
            raise LessonFileError(
                "expected a number from 0 up to (not including) 1, "
                f"got {kind(obj.get('validation_fraction'))}",
                place=obj.at("validation_fraction"),
            )
        spec.validation_fraction = fraction
    stopping = obj.get("early_stopping")
    if stopping is not None:
        place = obj.at("early_stopping")
        if not isinstance(stopping, Mapping):
            raise LessonFileError(
                f'expected null or {{"patience": P}}, got {kind(stopping)}', place=place
            )
        inner = Obj(stopping, place, EARLY_STOPPING_KEYS, EARLY_STOPPING_KEYS)
        spec.patience = need_int(inner.get("patience"), inner.at("patience"), 1)
    return spec
