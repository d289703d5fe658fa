"""Changing a network's structure by hand, as pure functions from lesson to lesson.

Every edit takes the lesson as it stands (``lesson.parameters``: the current weights; the
lesson itself is never changed) and returns a :class:`StructureEdit`: the new lesson and
how any parameter set of the old shape maps onto the new shape, so the starting weights
that Reset goes back to follow the same edit. What survives an edit keeps its value: the
other weights when a neuron is added or removed, the biases of neurons that stay, a
shared bias turned per-neuron (the same function). New weights are drawn by the lesson's
init method from a seed derived from the edit, so the same edits give the same numbers on
every machine; new biases start at 0, restored links at 0 (a removed link's weight is 0).

The rules are :mod:`bpsim.core.rules`, the file format's, so an edited lesson still
saves and loads: softmax only
on the output layer, a loss that fits the output activation (``binary_cross_entropy``
after sigmoid, ``cross_entropy`` after softmax), at least one neuron per layer, labels
that are not blank. Breaking one raises :class:`StructureError` naming the place; nothing
is changed then. An edit may make the data set stop fitting the network (another number
of inputs or outputs); that is allowed, and :func:`data_fits` says what is wrong so the
window can hold training back until it fits again.

The ``view`` section follows the edits: neuron positions (``view["positions"][layer]
[neuron]``, ``[column, row]`` in the editor's layout units, or null) and the weight names
of ``view["weight_names"]`` move with their neurons and are dropped with them.
"""

from __future__ import annotations

import copy
import itertools
import math
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from bpsim.core import rules
from bpsim.core.history import History
from bpsim.core.initializers import initial_parameters
from bpsim.core.optimizers import OptimizerStateError
from bpsim.core.spec import (
    ACTIVATIONS,
    BIAS_MODES,
    INIT_METHODS,
    MAX_LAYER_SIZE,
    MAX_PARAMETERS,
    Dataset,
    InitSpec,
    LayerSpec,
    Lesson,
    OptimizerSpec,
    Parameters,
    TrainingSpec,
    default_labels,
)
from bpsim.core.trainer import Trainer

#: Neurons a newly inserted hidden layer starts with.
NEW_LAYER_SIZE = 2
#: What the empty lesson is called (File ▸ New ▸ Empty network).
EMPTY_NAME = "Untitled network"


class StructureError(ValueError):
    """An edit that would break a rule; ``place`` is where (``layers[1].activation``)."""

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}" if place else message)
        self.place = place
        self.message = message


@dataclass(frozen=True)
class LayerOrigin:
    """Where a layer of the edited network comes from: the old layer (None: a new layer)
    and, per neuron, the old neuron's index (None: a new neuron)."""

    layer: int | None
    neurons: tuple[int | None, ...]


@dataclass
class StructureEdit:
    """One structural edit: the new lesson, and how parameters of the old shape map."""

    lesson: Lesson  # parameters: the current ones, mapped; no training state
    map_parameters: Callable[[Parameters], Parameters]
    description: str  # for the undo history: "Add neuron h3 to hidden layer 1"
    keep_optimizer: bool = True  # the optimizer's state (momentum, Adam's moments) still fits
    restart: bool = False  # training starts afresh (re-initialise): no history carried
    notes: list[str] = field(default_factory=list)  # side effects the user should be told


# -- reading a lesson ----------------------------------------------------------------------


def _the(name: str) -> str:
    """'the input layer', but 'hidden layer 2' as it stands."""
    return name if name.startswith("hidden") else f"the {name}"


def layer_name(lesson: Lesson, layer: int) -> str:
    """How people call a layer: 'input layer', 'hidden layer 2', 'output layer'."""
    if layer == 0:
        return "input layer"
    if layer == len(lesson.layers) - 1:
        return "output layer"
    return f"hidden layer {layer}"


def neuron_labels(lesson: Lesson) -> list[list[str]]:
    """Every neuron's display name (the file's labels, else x1…, h1…, y1…)."""
    return default_labels(lesson.layers)


def current_parameters(lesson: Lesson) -> Parameters:
    """The lesson's parameters, drawn by its init spec when the file gives none."""
    if lesson.parameters is not None:
        return lesson.parameters
    return initial_parameters(lesson.layers, lesson.init)


def current_lesson(trainer: Trainer) -> Lesson:
    """The trainer's lesson as it stands (current parameters and settings), without its
    training state: what the structural edits start from."""
    return trainer.to_lesson(with_state=False)


# -- neuron positions in the view section ---------------------------------------------------

#: Where dragged neuron positions live in the lesson's view section.
POSITIONS = "positions"


def neuron_position(
    view: dict[str, Any] | None, layer: int, index: int
) -> tuple[float, float] | None:
    """The dragged place of a neuron (editor layout units: column, row), or None."""
    if not isinstance(view, dict):
        return None
    rows = view.get(POSITIONS)
    if not isinstance(rows, list) or not 0 <= layer < len(rows):
        return None
    row = rows[layer]
    if not isinstance(row, list) or not 0 <= index < len(row):
        return None
    entry = row[index]
    if (
        isinstance(entry, list | tuple)
        and len(entry) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in entry)
        and all(math.isfinite(v) for v in entry)
    ):
        return float(entry[0]), float(entry[1])
    return None


def with_neuron_position(
    lesson: Lesson, layer: int, index: int, place: tuple[float, float] | None
) -> dict[str, Any] | None:
    """The lesson's view section with a neuron put at ``place`` (None: back in its
    column); the lesson is not changed. None when the view ends up empty."""
    view = dict(lesson.view) if isinstance(lesson.view, dict) else {}
    sizes = lesson.sizes
    rows = view.get(POSITIONS)
    if not isinstance(rows, list):
        rows = []
    rows = [list(r) if isinstance(r, list) else [] for r in rows[: len(sizes)]]
    while len(rows) < len(sizes):
        rows.append([])
    row = rows[layer]
    while len(row) < sizes[layer]:
        row.append(None)
    row[index] = None if place is None else [round(place[0], 4), round(place[1], 4)]
    if any(entry is not None for r in rows for entry in r):
        view[POSITIONS] = rows
    else:
        view.pop(POSITIONS, None)
    return view or None


# -- the data ------------------------------------------------------------------------------


def data_fits(lesson: Lesson) -> str | None:
    """Why the data set cannot train this network (a plain sentence), or None when it fits."""
    return _training_sentence(
        rules.data_problem(lesson.dataset.inputs, lesson.dataset.targets, lesson.sizes, lesson.loss)
    )


def training_problem(trainer: Trainer) -> str | None:
    """:func:`data_fits` for a trainer as it stands (its data, network and loss now)."""
    network = trainer.network
    return _training_sentence(
        rules.data_problem(trainer.inputs, trainer.targets, network.sizes, network.loss.name)
    )


def _training_sentence(problem: str | None) -> str | None:
    """A rule's problem as the window's banner says it: training waits for the fix."""
    if problem is None:
        return None
    return f"{problem[:1].upper()}{problem[1:]}. Training waits until it fits again (or Undo)."


# -- checks (the rules themselves are in bpsim.core.rules) ----------------------------------


def _check_layer(lesson: Lesson, layer: int, *, hidden_or_output: bool = False) -> None:
    last = len(lesson.layers) - 1
    if not 0 <= layer <= last:
        raise StructureError("layers", f"there is no layer {layer}; layers go from 0 to {last}")
    if hidden_or_output and layer == 0:
        raise StructureError(
            "layers[0]", "the input layer only passes the inputs on; it has no activation or bias"
        )


def _check_neuron(lesson: Lesson, layer: int, index: int) -> None:
    _check_layer(lesson, layer)
    size = lesson.layers[layer].size
    if not 0 <= index < size:
        raise StructureError(
            f"layers[{layer}]", f"there is no neuron {index + 1}; the layer has {size}"
        )


def _parameter_count(layers: Sequence[LayerSpec]) -> int:
    return sum(
        prev.size * layer.size + layer.bias_count() for prev, layer in itertools.pairwise(layers)
    )


def _check_size(layers: Sequence[LayerSpec]) -> None:
    for k, layer in enumerate(layers):
        if layer.size > MAX_LAYER_SIZE:
            raise StructureError(
                f"layers[{k}]", f"at most {MAX_LAYER_SIZE:,} neurons are allowed in a layer"
            )
    total = _parameter_count(layers)
    if total > MAX_PARAMETERS:
        raise StructureError(
            "layers",
            f"the network would have {total:,} weights and biases; at most "
            f"{MAX_PARAMETERS:,} are allowed",
        )


# -- the mapping every shape-changing edit shares ---------------------------------------------


def _seed(init: InitSpec | None, *parts: int | str) -> int:
    """A seed derived from the lesson's seed and what the edit is, the same everywhere."""
    entropy = [0 if init is None else int(init.seed)]
    for part in parts:
        entropy.append(zlib.crc32(part.encode()) if isinstance(part, str) else int(part) + 1)
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def _fresh_weights(init: InitSpec | None, seed: int, rows: int, cols: int) -> np.ndarray:
    """A (rows, cols) matrix drawn as initialisation would draw it for this shape."""
    spec = init or InitSpec()
    spec = replace(spec, seed=seed)
    pair = [LayerSpec(size=cols), LayerSpec(size=rows)]
    return initial_parameters(pair, spec).weights[0]


def _per_neuron(values: np.ndarray, mode: str, size: int) -> np.ndarray:
    """A layer's biases as one value per neuron (a shared bias repeated; none: zeros)."""
    if mode == "per_neuron":
        return np.asarray(values, dtype=np.float64).copy()
    if mode == "shared":
        return np.full(size, float(values[0]) if len(values) else 0.0)
    return np.zeros(size)


def _index_pairs(neurons: Sequence[int | None]) -> tuple[np.ndarray, np.ndarray]:
    """(new indices, old indices) of the neurons that were there before."""
    new = [n for n, old in enumerate(neurons) if old is not None]
    old = [neurons[n] for n in new]
    return np.asarray(new, dtype=np.intp), np.asarray(old, dtype=np.intp)


@dataclass
class _Plan:
    """The shape-changing part of an edit: new layers and where each came from."""

    old: list[LayerSpec]
    new: list[LayerSpec]
    origins: list[LayerOrigin]
    seed_parts: tuple[int | str, ...]
    init: InitSpec | None

    def _survives(self, k: int) -> int | None:
        """The old matrix new matrix k continues, or None when it is new."""
        a, b = self.origins[k].layer, self.origins[k + 1].layer
        if a is not None and b is not None and b == a + 1:
            return a
        return None

    def masks(self) -> list[np.ndarray | None]:
        """The masks of the new layers 1…L: old links kept, new links present."""
        out: list[np.ndarray | None] = []
        for k in range(len(self.new) - 1):
            a = self._survives(k)
            old_mask = None if a is None else self.old[a + 1].mask
            if old_mask is None:
                out.append(None)
                continue
            rows_new, rows_old = _index_pairs(self.origins[k + 1].neurons)
            cols_new, cols_old = _index_pairs(self.origins[k].neurons)
            mask = np.ones((self.new[k + 1].size, self.new[k].size))
            mask[np.ix_(rows_new, cols_new)] = old_mask[np.ix_(rows_old, cols_old)]
            out.append(None if bool(np.all(mask != 0)) else mask)
        return out

    def fresh(self) -> list[np.ndarray | None]:
        """Drawn weights for every new matrix with a new entry (None where none is new)."""
        out: list[np.ndarray | None] = []
        for k in range(len(self.new) - 1):
            rows, cols = self.new[k + 1].size, self.new[k].size
            a = self._survives(k)
            complete = (
                a is not None
                and None not in self.origins[k].neurons
                and None not in self.origins[k + 1].neurons
            )
            if complete:
                out.append(None)
            else:
                seed = _seed(self.init, *self.seed_parts, "matrix", k, rows, cols)
                out.append(_fresh_weights(self.init, seed, rows, cols))
        return out

    def mapper(self) -> Callable[[Parameters], Parameters]:
        fresh = self.fresh()
        masks = [layer.mask for layer in self.new[1:]]

        def apply(params: Parameters) -> Parameters:
            weights: list[np.ndarray] = []
            biases: list[np.ndarray] = []
            for k in range(len(self.new) - 1):
                rows, cols = self.new[k + 1].size, self.new[k].size
                drawn = fresh[k]
                w = np.zeros((rows, cols)) if drawn is None else drawn.copy()
                a = self._survives(k)
                if a is not None:
                    rows_new, rows_old = _index_pairs(self.origins[k + 1].neurons)
                    cols_new, cols_old = _index_pairs(self.origins[k].neurons)
                    w[np.ix_(rows_new, cols_new)] = params.weights[a][np.ix_(rows_old, cols_old)]
                mask = masks[k]
                if mask is not None:
                    w *= mask
                    w += 0.0  # −0.0 from masking becomes +0.0
                weights.append(w)
                biases.append(self._bias(k, params))
            return Parameters(weights, biases)

        return apply

    def _bias(self, k: int, params: Parameters) -> np.ndarray:
        layer = self.new[k + 1]
        origin = self.origins[k + 1]
        if origin.layer is None or origin.layer == 0:
            return np.zeros(layer.bias_count())
        old_layer = self.old[origin.layer]
        old_values = params.biases[origin.layer - 1]
        if old_layer.bias == layer.bias == "shared":
            return np.asarray(old_values, dtype=np.float64).copy()
        per = _per_neuron(old_values, old_layer.bias, old_layer.size)
        values = np.zeros(layer.size)
        new_idx, old_idx = _index_pairs(origin.neurons)
        values[new_idx] = per[old_idx]
        if layer.bias == "per_neuron":
            return values
        if layer.bias == "shared":
            return np.array([float(per.mean()) if per.size else 0.0])
        return np.zeros(0)


def _new_label(existing: Sequence[str], preferred: str) -> str:
    """``preferred``, or ``preferred`` with a number added, unused in ``existing``."""
    taken = set(existing)
    if preferred not in taken:
        return preferred
    n = 2
    while f"{preferred}_{n}" in taken:
        n += 1
    return f"{preferred}_{n}"


def _labels(plan_old: list[LayerSpec], new: list[LayerSpec], origins: list[LayerOrigin]) -> None:
    """Explicit labels follow their neurons; new neurons in a labelled layer get a new name."""
    generated = default_labels([replace(layer, labels=None) for layer in new])
    for n, (layer, origin) in enumerate(zip(new, origins, strict=True)):
        old_labels = None if origin.layer is None else plan_old[origin.layer].labels
        if old_labels is None:
            layer.labels = None
            continue
        labels: list[str] = []
        for old in origin.neurons:
            if old is not None:
                labels.append(old_labels[old])
        for m, old in enumerate(origin.neurons):
            if old is None:
                labels.insert(m, _new_label(labels, generated[n][m]))
        layer.labels = labels


_WEIGHT_PLACE = re.compile(r"^weights\[(\d+)\]\[(\d+)\]\[(\d+)\]$")
_BIAS_PLACE = re.compile(r"^biases\[(\d+)\]\[(\d+)\]$")


def _remap_view(
    view: dict[str, Any] | None,
    old: list[LayerSpec],
    new: list[LayerSpec],
    origins: list[LayerOrigin],
) -> dict[str, Any] | None:
    """The view section for the new structure: positions and weight names follow their
    neurons; everything else in it is kept as it is."""
    if view is None:
        return None
    out = copy.deepcopy(view)
    layer_of: dict[int, int] = {}
    neuron_of: dict[int, dict[int, int]] = {}
    for n, origin in enumerate(origins):
        if origin.layer is not None:
            layer_of[origin.layer] = n
            neuron_of[origin.layer] = {
                was: m for m, was in enumerate(origin.neurons) if was is not None
            }
    positions = view.get(POSITIONS)
    if isinstance(positions, list):
        mapped: list[list[Any]] = []
        for origin in origins:
            source = (
                positions[origin.layer]
                if origin.layer is not None and origin.layer < len(positions)
                else None
            )
            row: list[Any] = []
            for was in origin.neurons:
                entry = None
                if isinstance(source, list) and was is not None and was < len(source):
                    entry = copy.deepcopy(source[was])
                row.append(entry)
            mapped.append(row)
        if any(entry is not None for row in mapped for entry in row):
            out[POSITIONS] = mapped
        else:
            out.pop(POSITIONS, None)
    names = view.get("weight_names")
    if isinstance(names, dict):
        renamed: dict[str, Any] = {}
        for place, symbol in names.items():
            target = _remap_place(str(place), old, new, layer_of, neuron_of)
            if target is not None:
                renamed[target] = symbol
        out["weight_names"] = renamed
    return out


def _remap_place(
    place: str,
    old: list[LayerSpec],
    new: list[LayerSpec],
    layer_of: dict[int, int],
    neuron_of: dict[int, dict[int, int]],
) -> str | None:
    """Where ``weights[k][j][i]`` or ``biases[k][j]`` is after the edit (None: gone)."""
    match = _WEIGHT_PLACE.match(place)
    if match:
        k, j, i = (int(g) for g in match.groups())
        a, b = layer_of.get(k), layer_of.get(k + 1)
        if a is None or b is None or b != a + 1:
            return None
        jj, ii = neuron_of[k + 1].get(j), neuron_of[k].get(i)
        if jj is None or ii is None:
            return None
        return f"weights[{a}][{jj}][{ii}]"
    match = _BIAS_PLACE.match(place)
    if match:
        k, j = (int(g) for g in match.groups())
        b = layer_of.get(k + 1)
        if b is None or k + 1 >= len(old) or old[k + 1].bias != new[b].bias:
            return None
        if new[b].bias == "shared":
            return f"biases[{b - 1}][0]"
        jj = neuron_of[k + 1].get(j)
        return None if jj is None else f"biases[{b - 1}][{jj}]"
    return place  # a name this module does not know: kept


def _copy_layers(layers: Sequence[LayerSpec]) -> list[LayerSpec]:
    return [
        replace(
            layer,
            mask=None if layer.mask is None else np.array(layer.mask, dtype=np.float64),
            labels=None if layer.labels is None else list(layer.labels),
        )
        for layer in layers
    ]


def _with(lesson: Lesson, **changes: Any) -> Lesson:
    """A new lesson sharing the data set but nothing that an edit could change later."""
    fields: dict[str, Any] = {
        "layers": _copy_layers(lesson.layers),
        "loss": lesson.loss,
        "optimizer": OptimizerSpec(lesson.optimizer.name, dict(lesson.optimizer.hyper)),
        "dataset": lesson.dataset,
        "name": lesson.name,
        "description": lesson.description,
        "parameters": current_parameters(lesson).copy(),
        "init": None if lesson.init is None else replace(lesson.init),
        "training": replace(lesson.training),
        "state": None,
        "view": copy.deepcopy(lesson.view),
    }
    fields.update(changes)
    return Lesson(**fields)


def _reshape(
    lesson: Lesson,
    new_layers: list[LayerSpec],
    origins: list[LayerOrigin],
    description: str,
    seed_parts: tuple[int | str, ...],
) -> StructureEdit:
    """The edit that gives ``lesson`` the layers ``new_layers`` (sizes, activations and
    bias modes set; masks and labels follow from ``origins``)."""
    old = lesson.layers
    plan = _Plan(list(old), new_layers, origins, seed_parts, lesson.init)
    for layer, mask in zip(new_layers[1:], plan.masks(), strict=True):
        layer.mask = mask
    _labels(list(old), new_layers, origins)
    _check_size(new_layers)
    mapper = plan.mapper()
    new_lesson = _with(
        lesson,
        layers=new_layers,
        parameters=mapper(current_parameters(lesson)),
        view=_remap_view(lesson.view, list(old), new_layers, origins),
    )
    return StructureEdit(new_lesson, mapper, description, keep_optimizer=False)


def _same_origins(lesson: Lesson) -> list[LayerOrigin]:
    return [LayerOrigin(k, tuple(range(layer.size))) for k, layer in enumerate(lesson.layers)]


def _identity(params: Parameters) -> Parameters:
    return params.copy()


# -- the edits -----------------------------------------------------------------------------


def add_layer(
    lesson: Lesson, before: int, size: int = NEW_LAYER_SIZE, activation: str = "sigmoid"
) -> StructureEdit:
    """Insert a hidden layer of ``size`` neurons as layer ``before`` (between layers
    ``before − 1`` and ``before``). Its incoming and outgoing weights are drawn anew."""
    last = len(lesson.layers) - 1
    if not 1 <= before <= last:
        raise StructureError(
            "layers", f"a hidden layer goes between the input and the output: at 1 to {last}"
        )
    if size < 1:
        raise StructureError("layers", "a layer needs at least one neuron")
    problem = rules.activation_problem(activation, before, last + 1)
    if problem is not None:
        raise StructureError("activation", problem)
    if activation not in ACTIVATIONS:
        raise StructureError("activation", f"unknown activation '{activation}'")
    layers = _copy_layers(lesson.layers)
    origins = _same_origins(lesson)
    layers.insert(before, LayerSpec(size=size, activation=activation))
    origins.insert(before, LayerOrigin(None, (None,) * size))
    names = neuron_labels(replace(lesson, layers=layers))
    return _reshape(
        lesson,
        layers,
        origins,
        f"Add hidden layer {before} ({', '.join(names[before][:3])}{', …' if size > 3 else ''})",
        ("add_layer", before, size, *lesson.sizes),
    )


def remove_layer(lesson: Lesson, layer: int) -> StructureEdit:
    """Remove hidden layer ``layer``; the layers on either side get new weights between
    them (drawn anew: the two old matrices have no single equivalent)."""
    last = len(lesson.layers) - 1
    if not 1 <= layer < last:
        if last == 1:
            message = "this network has no hidden layer to remove"
        else:
            message = f"only hidden layers (1 to {last - 1}) can be removed"
        raise StructureError(f"layers[{layer}]" if 0 <= layer <= last else "layers", message)
    name = layer_name(lesson, layer)
    layers = _copy_layers(lesson.layers)
    origins = _same_origins(lesson)
    del layers[layer]
    del origins[layer]
    return _reshape(
        lesson, layers, origins, f"Remove {name}", ("remove_layer", layer, *lesson.sizes)
    )


def add_neuron(lesson: Lesson, layer: int) -> StructureEdit:
    """Add a neuron at the end of ``layer``, keeping every other weight; its weights are
    drawn, its bias starts at 0. On the input or output layer the data set then no longer
    fits (see :func:`data_fits`)."""
    _check_layer(lesson, layer)
    layers = _copy_layers(lesson.layers)
    origins = _same_origins(lesson)
    size = layers[layer].size
    layers[layer].size = size + 1
    origins[layer] = LayerOrigin(layer, (*range(size), None))
    edit = _reshape(
        lesson,
        layers,
        origins,
        "",
        ("add_neuron", layer, *lesson.sizes),
    )
    new_name = neuron_labels(edit.lesson)[layer][size]
    edit.description = f"Add neuron {new_name} to {_the(layer_name(lesson, layer))}"
    return edit


def remove_neuron(lesson: Lesson, layer: int, index: int) -> StructureEdit:
    """Remove neuron ``index`` of ``layer`` with its links and bias; the rest stays."""
    _check_neuron(lesson, layer, index)
    size = lesson.layers[layer].size
    if size == 1:
        what = (
            "remove the layer instead"
            if 0 < layer < len(lesson.layers) - 1
            else ("a network needs at least one input and one output")
        )
        raise StructureError(f"layers[{layer}]", f"this is the layer's only neuron; {what}")
    name = neuron_labels(lesson)[layer][index]
    layers = _copy_layers(lesson.layers)
    origins = _same_origins(lesson)
    layers[layer].size = size - 1
    origins[layer] = LayerOrigin(layer, tuple(i for i in range(size) if i != index))
    return _reshape(
        lesson,
        layers,
        origins,
        f"Remove neuron {name} from {_the(layer_name(lesson, layer))}",
        ("remove_neuron", layer, index, *lesson.sizes),
    )


def set_activation(
    lesson: Lesson, layer: int, activation: str, *, adjust_loss: bool = True
) -> StructureEdit:
    """Give ``layer`` another activation. Softmax only on the output layer. When the loss
    does not fit the new output activation, ``adjust_loss`` switches to one that does (and
    says so in ``notes``); otherwise that is an error."""
    _check_layer(lesson, layer, hidden_or_output=True)
    if activation not in ACTIVATIONS:
        raise StructureError(
            f"layers[{layer}].activation",
            f"unknown activation '{activation}'; expected one of {', '.join(ACTIVATIONS)}",
        )
    last = len(lesson.layers) - 1
    problem = rules.activation_problem(activation, layer, last)
    if problem is not None:
        raise StructureError(f"layers[{layer}].activation", problem)
    loss = lesson.loss
    notes: list[str] = []
    if layer == last:
        problem = rules.loss_problem(loss, activation)
        if problem is not None:
            if not adjust_loss:
                raise StructureError("loss", problem)
            loss = rules.fitting_loss(loss, activation)
            notes.append(f"The loss is now {loss}: {problem}.")
    new = _with(lesson, loss=loss)
    new.layers[layer].activation = activation
    name = layer_name(lesson, layer)
    return StructureEdit(new, _identity, f"{name[:1].upper()}{name[1:]}: {activation}", notes=notes)


def set_bias_mode(lesson: Lesson, layer: int, mode: str) -> StructureEdit:
    """One bias per neuron, one shared by the layer, or none. A shared bias becomes the
    same value on every neuron; per-neuron biases become their mean when shared."""
    _check_layer(lesson, layer, hidden_or_output=True)
    if mode not in BIAS_MODES:
        raise StructureError(
            f"layers[{layer}].bias",
            f"unknown bias mode '{mode}'; expected one of {', '.join(BIAS_MODES)}",
        )
    old_mode = lesson.layers[layer].bias
    layers = _copy_layers(lesson.layers)
    layers[layer].bias = mode
    plan = _Plan(list(lesson.layers), layers, _same_origins(lesson), ("bias",), lesson.init)
    new = _with(
        lesson,
        layers=layers,
        parameters=plan.mapper()(current_parameters(lesson)),
        view=_remap_view(lesson.view, list(lesson.layers), layers, _same_origins(lesson)),
    )
    label = {"per_neuron": "one bias per neuron", "shared": "one shared bias", "none": "no bias"}
    name = layer_name(lesson, layer)
    return StructureEdit(
        new,
        plan.mapper(),
        f"{name[:1].upper()}{name[1:]}: {label[mode]}",
        keep_optimizer=old_mode == mode,
    )


def set_trainable(
    lesson: Lesson, layer: int, *, weights: bool | None = None, bias: bool | None = None
) -> StructureEdit:
    """Freeze (False) or unfreeze (True) a layer's weights and/or its bias."""
    _check_layer(lesson, layer, hidden_or_output=True)
    new = _with(lesson)
    spec = new.layers[layer]
    parts: list[str] = []
    if weights is not None:
        spec.train_weights = bool(weights)
        parts.append(("unfreeze" if weights else "freeze") + " weights")
    if bias is not None:
        spec.train_bias = bool(bias)
        parts.append(("unfreeze" if bias else "freeze") + " bias")
    name = layer_name(lesson, layer)
    text = " and ".join(parts) or "no change"
    return StructureEdit(new, _identity, f"{name[:1].upper()}{name[1:]}: {text}")


def set_link(lesson: Lesson, k: int, j: int, i: int, present: bool) -> StructureEdit:
    """Remove (mask) or restore the link weights[k][j][i] (from neuron i of layer k to
    neuron j of layer k+1). A removed link's weight is 0 and never changes; a restored
    link starts at 0."""
    if not 0 <= k < len(lesson.layers) - 1:
        raise StructureError("mask", f"there is no weight matrix {k}")
    _check_neuron(lesson, k, i)
    _check_neuron(lesson, k + 1, j)
    new = _with(lesson)
    spec = new.layers[k + 1]
    mask = np.ones((spec.size, new.layers[k].size)) if spec.mask is None else spec.mask
    if bool(mask[j, i] != 0) == present:
        state = "there" if present else "already removed"
        raise StructureError(f"layers[{k + 1}].mask[{j}][{i}]", f"this link is {state}")
    mask[j, i] = 1.0 if present else 0.0
    spec.mask = None if bool(np.all(mask != 0)) else mask

    def apply(params: Parameters) -> Parameters:
        out = params.copy()
        out.weights[k][j, i] = 0.0
        return out

    assert new.parameters is not None
    new.parameters = apply(new.parameters)
    names = neuron_labels(lesson)
    link = f"{names[k][i]} → {names[k + 1][j]}"
    return StructureEdit(
        new,
        apply,
        f"{'Restore' if present else 'Remove'} link {link}",
        keep_optimizer=False,  # a removed link's momentum must not move it
    )


def rename_neuron(lesson: Lesson, layer: int, index: int, name: str) -> StructureEdit:
    """Give a neuron another display name (not blank, not another neuron's of the layer)."""
    _check_neuron(lesson, layer, index)
    name = name.strip()
    place = f"layers[{layer}].labels[{index}]"
    if not name:
        raise StructureError(place, "a name must not be empty or blank")
    names = neuron_labels(lesson)
    if name in (n for m, n in enumerate(names[layer]) if m != index):
        raise StructureError(place, f"another neuron of this layer is already called {name}")
    new = _with(lesson)
    labels = list(names[layer])
    old = labels[index]
    labels[index] = name
    new.layers[layer].labels = labels
    return StructureEdit(new, _identity, f"Rename {old} to {name}")


def reinitialise(
    lesson: Lesson, method: str, seed: int, low: float = -1.0, high: float = 1.0
) -> StructureEdit:
    """New starting weights drawn by ``method`` from ``seed`` (biases 0, removed links
    0), and training starts afresh from them."""
    if method not in INIT_METHODS:
        raise StructureError(
            "init.method", f"unknown method '{method}'; expected one of {', '.join(INIT_METHODS)}"
        )
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise StructureError("init.seed", f"expected a whole number ≥ 0, got {seed!r}")
    if method == "uniform" and not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise StructureError("init", f"expected finite low < high, got {low} and {high}")
    init = InitSpec(method, int(seed), float(low), float(high))
    drawn = initial_parameters(lesson.layers, init)
    new = _with(lesson, init=init, parameters=drawn.copy())

    def apply(_: Parameters) -> Parameters:
        return drawn.copy()

    return StructureEdit(
        new, apply, f"Re-initialise: {method}, seed {seed}", keep_optimizer=False, restart=True
    )


# -- the empty lesson --------------------------------------------------------------------------


def empty_lesson() -> Lesson:
    """Where building a network starts: two inputs, one sigmoid output, no hidden layer,
    and the XOR data attached, so the first thing to learn is why a hidden layer is needed."""
    inputs = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    targets = np.array([[0.0], [1.0], [1.0], [0.0]])
    return Lesson(
        layers=[LayerSpec(size=2), LayerSpec(size=1, activation="sigmoid")],
        loss="binary_cross_entropy",
        optimizer=OptimizerSpec.with_defaults("sgd", learning_rate=0.5),
        dataset=Dataset(inputs, targets, input_names=["x1", "x2"], target_names=["y"]),
        name=EMPTY_NAME,
        description=(
            "Two inputs and one output with the XOR data set. Without a hidden layer no "
            "straight line separates the classes: add a hidden layer and neurons in the "
            "editor, then train."
        ),
        init=InitSpec("xavier_uniform", 1),
        training=TrainingSpec(batch_size=None, shuffle=False),
    )


# -- trainers ------------------------------------------------------------------------------


def edited_trainer(trainer: Trainer, edit: StructureEdit) -> Trainer:
    """A trainer for the edited lesson that carries on where ``trainer`` stands: the loss
    history and the counters go on, the starting weights follow the edit, and the
    optimizer keeps its state when it still fits. ``trainer`` itself is not changed."""
    new = Trainer(edit.lesson)
    if edit.restart:
        return new
    new.initial = edit.map_parameters(trainer.initial)
    new.history = History.from_dict(trainer.history.to_dict())
    new.epoch, new.step_count = trainer.epoch, trainer.step_count
    new.batch_index = trainer.batch_index if trainer.batch_index < new.batches_per_epoch else 0
    new.epoch_loss_sum, new.epoch_samples = trainer.epoch_loss_sum, trainer.epoch_samples
    new.best_val, new.bad_epochs = trainer.best_val, trainer.bad_epochs
    new.stopped = trainer.stopped
    if edit.keep_optimizer and trainer.optimizer_spec.name == new.optimizer_spec.name:
        same_shapes = new.network.layout.shapes == trainer.network.layout.shapes
        try:
            if same_shapes and new.optimizer.trainable == trainer.optimizer.trainable:
                new.optimizer.restore(trainer.optimizer.snapshot())
            elif same_shapes:
                new.optimizer.load_state_dict(trainer.optimizer.state_dict())
        except (OptimizerStateError, ValueError, KeyError):
            new.optimizer.reset()  # a state that does not carry over: start it afresh
    return new


__all__ = [
    "EMPTY_NAME",
    "NEW_LAYER_SIZE",
    "POSITIONS",
    "LayerOrigin",
    "StructureEdit",
    "StructureError",
    "add_layer",
    "add_neuron",
    "current_lesson",
    "current_parameters",
    "data_fits",
    "edited_trainer",
    "empty_lesson",
    "layer_name",
    "neuron_labels",
    "neuron_position",
    "reinitialise",
    "remove_layer",
    "remove_neuron",
    "rename_neuron",
    "set_activation",
    "set_bias_mode",
    "set_link",
    "set_trainable",
    "training_problem",
    "with_neuron_position",
]
