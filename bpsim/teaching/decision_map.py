"""What a two-input network does everywhere on the input plane, not only at the samples.

The window draws these grids as heat maps under the data points: the output (or the
winning class) shows the decision boundary the network has learnt, and one neuron's map
shows the piece of the boundary that neuron contributes (a sigmoid neuron of the first
hidden layer is a soft step along a straight line; later neurons combine those).

Every grid point goes through the same forward-pass arithmetic as
:meth:`Network.outputs`, all points at once (in chunks of bounded size), so refreshing a
map while training runs costs a handful of matrix products, not a loop over points.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bpsim.core.network import Network, forward_through

__all__ = [
    "MAX_RESOLUTION",
    "DecisionMap",
    "decision_map",
    "grid_points",
    "neuron_map",
    "suggest_range",
]

#: the largest grid per axis (a 4096×4096 map is already more pixels than a screen)
MAX_RESOLUTION = 4096

#: bytes a chunk of grid points may use for one layer's net inputs and activations
_CHUNK_BYTES = 16 * 1024 * 1024

Range = tuple[float, float]


@dataclass(frozen=True)
class DecisionMap:
    """Values on a grid over the input plane.

    ``values[row, column]`` belongs to the point (``xs[column]``, ``ys[row]``): rows run
    along the second input, so the array draws as an image with x1 across and x2 up.

    ``kind`` is "output" (one output neuron's activation), "class" (the index of the
    winning output, as floats 0…K−1, with ``confidence`` its activation) or "neuron"
    (a hidden or output neuron's activation, or its net input z when ``net_input``).
    """

    xs: np.ndarray  # (res_x,)
    ys: np.ndarray  # (res_y,)
    values: np.ndarray  # (res_y, res_x)
    kind: str
    layer: int  # which layer the values come from (the output layer for "output"/"class")
    index: int | None  # which neuron (None for "class")
    label: str  # e.g. "y1", "h2", "class"
    value_range: Range  # a sensible colour scale: (0, 1) for sigmoid, (−1, 1) for tanh, …
    classes: int = 0  # how many classes, for "class"
    confidence: np.ndarray | None = None  # the winning output's activation, for "class"
    net_input: bool = False
    #: the winner's lead over the runner-up output, for "class": how sure the network is
    #: (two sigmoid outputs of 0.77 and 0.75 are not sure at all, though 0.77 is high)
    margin: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        rows, columns = self.values.shape
        return rows, columns


# --------------------------------------------------------------------------- the grid


def _check_network(network: Network) -> None:
    if network.sizes[0] != 2:
        raise ValueError(
            f"a map over the input plane needs a network with 2 inputs; this one has "
            f"{network.sizes[0]}"
        )


def _check_range(value: Sequence[float], what: str) -> Range:
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a pair (low, high)") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{what} must be two finite numbers with low < high, got {value!r}")
    return low, high


def _resolution(resolution: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(resolution, (int, np.integer)):
        res_x = res_y = int(resolution)
    else:
        res_x, res_y = (int(r) for r in resolution)
    if not (2 <= res_x <= MAX_RESOLUTION and 2 <= res_y <= MAX_RESOLUTION):
        raise ValueError(f"the resolution must be between 2 and {MAX_RESOLUTION} per axis")
    return res_x, res_y


def grid_points(
    x_range: Sequence[float], y_range: Sequence[float], resolution: int | Sequence[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The grid's axes and its points as rows (x varies fastest): ``(xs, ys, points)``
    with ``points[row * res_x + column] == (xs[column], ys[row])``."""
    x0, x1 = _check_range(x_range, "x_range")
    y0, y1 = _check_range(y_range, "y_range")
    res_x, res_y = _resolution(resolution)
    xs = np.linspace(x0, x1, res_x)
    ys = np.linspace(y0, y1, res_y)
    points = np.empty((res_y * res_x, 2))
    points[:, 0] = np.tile(xs, res_y)
    points[:, 1] = np.repeat(ys, res_x)
    return xs, ys, points


def suggest_range(inputs: np.ndarray, padding: float = 0.1) -> tuple[Range, Range]:
    """The data's bounding box, widened by ``padding`` × its size on every side, so the
    points do not sit on the map's edge. A flat or empty column gets a width of ±1."""
    data = np.asarray(inputs, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != 2:
        raise ValueError("a map over the input plane needs inputs with 2 columns")
    ranges: list[Range] = []
    for column in data.T:
        finite = column[np.isfinite(column)]
        if finite.size == 0:
            ranges.append((-1.0, 1.0))
            continue
        low, high = float(finite.min()), float(finite.max())
        width = high - low
        if width <= 1e-12 * max(1.0, abs(low), abs(high)):
            ranges.append((low - 1.0, high + 1.0))
        else:
            ranges.append((low - padding * width, high + padding * width))
    return ranges[0], ranges[1]


# --------------------------------------------------------------------------- forward


def _chunk_rows(network: Network, upto: int) -> int:
    widest = max(network.sizes[: upto + 1])
    return max(256, _CHUNK_BYTES // (8 * 3 * widest))


def _layer_values(
    network: Network, points: np.ndarray, layer: int, net_input: bool = False
) -> np.ndarray:
    """Net inputs or activations of ``layer`` for every point, chunk by chunk, with the
    arithmetic of ``Network.outputs``."""
    if layer == 0:
        return points.copy()
    out = np.empty((points.shape[0], network.sizes[layer]))
    rows = _chunk_rows(network, layer)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for start in range(0, points.shape[0], rows):
            z, a = forward_through(
                network.weights,
                network.biases,
                network.activations,
                points[start : start + rows],
                layer,
            )
            out[start : start + rows] = z if net_input else a
    return out


def _colour_range(network: Network, layer: int, values: np.ndarray, net_input: bool) -> Range:
    act = network.activations[layer] if layer > 0 else None
    if not net_input and act is not None:
        if act.name in ("sigmoid", "softmax"):
            return 0.0, 1.0
        if act.name == "tanh":
            return -1.0, 1.0
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return 0.0, 1.0
    low, high = float(finite.min()), float(finite.max())
    if net_input:  # centred on 0: the neuron's boundary z = 0 is the middle colour
        edge = max(abs(low), abs(high), 1e-12)
        return -edge, edge
    if high - low <= 1e-12:
        return low - 0.5, high + 0.5
    return low, high


def decision_map(
    network: Network,
    x_range: Sequence[float],
    y_range: Sequence[float],
    resolution: int | Sequence[int] = 100,
    output: int | None = None,
) -> DecisionMap:
    """The network's output over the input plane.

    With ``output`` given, that output neuron's activation; otherwise the single output's
    activation, or, with several outputs, the winning class (argmax) and its activation
    as ``confidence``. ValueError unless the network has exactly 2 inputs.
    """
    _check_network(network)
    xs, ys, points = grid_points(x_range, y_range, resolution)
    depth = network.depth
    outputs = _layer_values(network, points, depth)
    shape = (len(ys), len(xs))
    size = network.sizes[-1]
    labels = network.labels[depth]
    if output is None and size == 1:
        output = 0
    if output is not None:
        if not 0 <= output < size:
            raise ValueError(f"output {output} does not exist (the network has {size})")
        values = outputs[:, output].reshape(shape)
        return DecisionMap(
            xs,
            ys,
            values,
            "output",
            depth,
            output,
            labels[output],
            _colour_range(network, depth, values, False),
        )
    with np.errstate(invalid="ignore"):
        winner = np.argmax(outputs, axis=1)
    confidence = np.take_along_axis(outputs, winner[:, None], axis=1)[:, 0]
    ranked = np.sort(outputs, axis=1)
    margin = ranked[:, -1] - ranked[:, -2]
    return DecisionMap(
        xs,
        ys,
        winner.astype(np.float64).reshape(shape),
        "class",
        depth,
        None,
        "class",
        (0.0, float(size - 1)),
        classes=size,
        confidence=confidence.reshape(shape),
        margin=margin.reshape(shape),
    )


def neuron_map(
    network: Network,
    layer: int,
    index: int,
    x_range: Sequence[float],
    y_range: Sequence[float],
    resolution: int | Sequence[int] = 100,
    net_input: bool = False,
) -> DecisionMap:
    """One neuron's activation (or net input z) over the input plane: what hovering a
    neuron shows. ``layer`` counts from 0 (the inputs) to the output layer."""
    _check_network(network)
    if not 0 <= layer <= network.depth:
        raise ValueError(f"layer {layer} does not exist (layers 0 to {network.depth})")
    if not 0 <= index < network.sizes[layer]:
        raise ValueError(f"layer {layer} has no neuron {index}")
    if layer == 0 and net_input:
        raise ValueError("the inputs have no net input")
    xs, ys, points = grid_points(x_range, y_range, resolution)
    values = _layer_values(network, points, layer, net_input)[:, index].reshape(len(ys), len(xs))
    return DecisionMap(
        xs,
        ys,
        values,
        "neuron",
        layer,
        index,
        network.labels[layer][index],
        _colour_range(network, layer, values, net_input),
        net_input=net_input,
    )
