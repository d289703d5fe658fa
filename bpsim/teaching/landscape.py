"""The loss over a plane through two parameters: the picture behind "where is the minimum?".

Pick two parameters; every other parameter stays where it is. The loss is evaluated at
each point of a grid around the two parameters' current values, which gives a slice of
the real loss surface through the current point (the path training took, drawn on top,
is the projection of the real path onto that plane: the other parameters moved too).

A parameter is named by ``(array index, index tuple)`` with arrays in the engine's fixed
order W0, b0, W1, b1, … (``network.layout``): ``(2, (0, 1))`` is ``weights[1][0, 1]``,
``(3, (0,))`` is ``biases[1][0]``.

Every grid value is the number :meth:`Network.loss_on` would give with the two parameters
set to that grid point, bit for bit: the layers below the lower of the two parameters are
computed once, and every later layer runs the very same NumPy operations as the engine's
forward pass (one BLAS call of the same shape per grid point, batched in C by
``np.matmul`` over a stack of weight matrices). The network itself is never written: the
computation works on a private copy of the parameters, taken when it starts, so training
may go on (in another thread, say) while a landscape is being computed.

Cost: one forward pass from the lower parameter's layer up, per grid point. Parameters
near the output are cheap; for big data sets and parameters in the first layer use
``max_samples`` (an evenly spaced subset) or :class:`LandscapeComputation` to spread the
work over several calls so a window stays responsive.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bpsim.core.flat import ParameterLayout
from bpsim.core.network import Network, forward_through
from bpsim.core.trainer import Trainer

__all__ = [
    "DEFAULT_MAX_SAMPLES",
    "CriticalPoint",
    "Landscape",
    "LandscapeComputation",
    "ParameterId",
    "ParameterPath",
    "critical_points",
    "flat_index",
    "loss_landscape",
    "parameter_name",
    "parameter_value",
    "path_of",
]

#: (array index in W0, b0, W1, b1, … order, index inside that array)
ParameterId = tuple[int, tuple[int, ...]]

#: Samples a landscape averages over unless told otherwise: every sample of a small lesson,
#: an evenly spaced subset of a big one (each grid point costs a forward pass over them).
DEFAULT_MAX_SAMPLES = 256

#: bytes one batch of grid points may use for its activations
_CHUNK_BYTES = 32 * 1024 * 1024


# --------------------------------------------------------------------------- naming parameters


def _normalise(param: ParameterId | Sequence[Any]) -> ParameterId:
    """``(n, (j, i))`` with plain ints; a bare int index is accepted for a bias."""
    try:
        array_index, index = param
    except (TypeError, ValueError):
        raise ValueError(f"a parameter is (array index, index tuple), got {param!r}") from None
    if isinstance(index, (int, np.integer)):
        index = (index,)
    try:
        return int(array_index), tuple(int(i) for i in index)
    except (TypeError, ValueError):
        raise ValueError(f"a parameter is (array index, index tuple), got {param!r}") from None


def flat_index(layout: ParameterLayout | Network, param: ParameterId) -> int:
    """Where ``param`` sits in the flat parameter vector; ValueError when it does not exist."""
    if isinstance(layout, Network):
        layout = layout.layout
    n, index = _normalise(param)
    if not 0 <= n < len(layout.shapes):
        count = len(layout.shapes)
        raise ValueError(f"parameter array {n} does not exist (the network has {count})")
    shape = layout.shapes[n]
    if len(index) != len(shape) or any(not 0 <= i < s for i, s in zip(index, shape, strict=True)):
        raise ValueError(f"index {index} is outside parameter array {n} of shape {shape}")
    return layout.offsets[n] + int(np.ravel_multi_index(index, shape))


def parameter_name(
    network: Network, param: ParameterId, given: Mapping[str, str] | None = None
) -> str:
    """A readable name for the window: 'W1[0, 1] (h2 → y1)' or 'b0[1] (b(h2))'; with the
    lesson's own names (its view's ``weight_names``, keyed "weights[k][j][i]" and
    "biases[k][j]"), those: the house-price line's 'a (bias of Ypred)' and 'b (X → Ypred)'."""
    flat_index(network, param)
    n, index = _normalise(param)
    k, is_bias = divmod(n, 2)
    given = given or {}
    if is_bias:
        own = given.get(f"biases[{k}][{index[0]}]")
        if own:  # "a (bias of Ypred)": not "a (b(Ypred))", where b is the slope
            return f"{own} (bias of {network.labels[k + 1][index[0]]})"
        return f"b{k}[{index[0]}] ({network.bias_name(k, index[0])})"
    j, i = index
    own = given.get(f"weights[{k}][{j}][{i}]")
    return f"{own or f'W{k}[{j}, {i}]'} ({network.weight_name(k, j, i)})"


def parameter_value(network: Network, param: ParameterId) -> float:
    """The parameter's current value."""
    return float(network.flat[flat_index(network, param)])


# --------------------------------------------------------------------------- the result


@dataclass(frozen=True)
class CriticalPoint:
    """A grid point that stands out: a minimum or a saddle.

    ``column`` indexes ``a_values`` and ``row`` indexes ``b_values``. ``on_edge`` marks a
    global minimum on the grid's border: the true minimum probably lies further out.
    """

    kind: str  # "global_minimum", "local_minimum" or "saddle"
    a: float
    b: float
    loss: float
    column: int
    row: int
    on_edge: bool = False


@dataclass(frozen=True)
class Landscape:
    """The loss on a grid over two parameters.

    ``loss[row, column]`` is the loss with parameter a at ``a_values[column]`` and b at
    ``b_values[row]``: rows run along b, so the array draws as an image with a across
    and b up, like :class:`~bpsim.teaching.decision_map.DecisionMap`.
    """

    param_a: ParameterId
    param_b: ParameterId
    name_a: str
    name_b: str
    a_values: np.ndarray  # (res_a,)
    b_values: np.ndarray  # (res_b,)
    loss: np.ndarray  # (res_b, res_a)
    current: tuple[float, float]  # the two parameters' values when the computation began
    current_loss: float  # the loss there (equal to network.loss_on on the same samples)
    minimum: CriticalPoint | None  # the lowest grid point (None when no loss is finite)
    # the minimum first (then any as-low twins), local minima by loss, then saddles
    critical_points: tuple[CriticalPoint, ...]
    samples: int  # how many samples the loss averaged over
    sample_rows: np.ndarray  # which rows of the given inputs those were

    @property
    def local_minima(self) -> tuple[CriticalPoint, ...]:
        """Minima other than the global one: where gradient descent can get stuck."""
        return tuple(p for p in self.critical_points if p.kind == "local_minimum")

    @property
    def saddles(self) -> tuple[CriticalPoint, ...]:
        return tuple(p for p in self.critical_points if p.kind == "saddle")


# --------------------------------------------------------------------------- critical points


# The 8 neighbours in ring order (row step, column step), so sign changes can be counted.
_RING = ((0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1))


def critical_points(
    loss: np.ndarray, a_values: np.ndarray, b_values: np.ndarray, margin: float = 1e-3
) -> tuple[CriticalPoint, ...]:
    """The global minimum, local minima and saddles of a loss grid.

    A local minimum is an interior cell strictly lower than all 8 neighbours, in a basin
    at least ``margin`` × (the grid's loss range) deep (so the steps of a curved valley's
    floor on the grid do not count). A saddle is an interior cell whose ring of
    neighbours goes higher, lower, higher, lower (at least 4 sign changes around the
    ring), where the discrete Hessian is indefinite (the loss curves up one way and down
    another) and where the discrete gradient is smallest among its neighbours, so one
    saddle gives one point. Non-finite losses count as +∞. The global minimum may lie on
    the edge (flagged); minima as low as it (symmetric twins, common in networks) are
    global minima too.
    """
    grid = np.asarray(loss, dtype=np.float64)
    if grid.ndim != 2 or grid.shape != (len(b_values), len(a_values)):
        raise ValueError("loss must be shaped (len(b_values), len(a_values))")
    with np.errstate(invalid="ignore"):
        clean = np.where(np.isfinite(grid), grid, np.inf)
    points: list[CriticalPoint] = []

    def point(kind: str, row: int, column: int, on_edge: bool = False) -> CriticalPoint:
        return CriticalPoint(
            kind,
            float(a_values[column]),
            float(b_values[row]),
            float(grid[row, column]),
            int(column),
            int(row),
            on_edge,
        )

    best: tuple[int, int] | None = None
    if np.isfinite(clean).any():
        row, column = np.unravel_index(int(np.argmin(clean)), clean.shape)
        best = (int(row), int(column))
        edge = row in (0, grid.shape[0] - 1) or column in (0, grid.shape[1] - 1)
        points.append(point("global_minimum", best[0], best[1], bool(edge)))
    rows, cols = grid.shape
    if rows < 3 or cols < 3:
        return tuple(points)
    centre = clean[1:-1, 1:-1]
    neighbours = [clean[1 + dr : rows - 1 + dr, 1 + dc : cols - 1 + dc] for dr, dc in _RING]
    finite = np.isfinite(centre)
    with np.errstate(invalid="ignore"):
        lower = finite & np.logical_and.reduce([centre < n for n in neighbours])
        higher = finite & np.logical_and.reduce([(centre > n) & np.isfinite(n) for n in neighbours])
        above = [n > centre for n in neighbours]
        changes = sum((above[i] != above[(i + 1) % 8]).astype(np.int64) for i in range(8))
        all_finite = finite & np.logical_and.reduce([np.isfinite(n) for n in neighbours])
        # the discrete gradient and Hessian in parameter units
        da = np.gradient(np.asarray(a_values, dtype=np.float64))[1:-1][None, :]
        db = np.gradient(np.asarray(b_values, dtype=np.float64))[1:-1][:, None]
        ga = (clean[1:-1, 2:] - clean[1:-1, :-2]) / (2 * da)
        gb = (clean[2:, 1:-1] - clean[:-2, 1:-1]) / (2 * db)
        haa = (clean[1:-1, 2:] - 2 * centre + clean[1:-1, :-2]) / (da * da)
        hbb = (clean[2:, 1:-1] - 2 * centre + clean[:-2, 1:-1]) / (db * db)
        hab = (clean[2:, 2:] - clean[2:, :-2] - clean[:-2, 2:] + clean[:-2, :-2]) / (4 * da * db)
        # a saddle curves up one way and down another (the Hessian is indefinite)
        candidate = all_finite & (changes >= 4) & (haa * hbb - hab * hab < 0)
        slope = np.where(all_finite, ga * ga + gb * gb, np.inf)
    # keep the cell where the slope is smallest among its neighbours: one per saddle
    padded = np.pad(slope, 1, constant_values=np.inf)
    h, w = slope.shape
    keep = candidate.copy()
    for dr, dc in _RING:
        other = padded[1 + dr : 1 + dr + h, 1 + dc : 1 + dc + w]
        # strictly smaller neighbours win; of equal ones, the first in scan order wins
        earlier = (dr < 0) or (dr == 0 and dc < 0)
        keep &= (slope < other) | ((slope == other) & (not earlier))
    minima = [(float(centre[r, c]), r + 1, c + 1) for r, c in zip(*np.nonzero(lower), strict=True)]
    lowest = points[0].loss if points else math.inf
    finite_values = clean[np.isfinite(clean)]
    depth = margin * float(finite_values.max() - finite_values.min()) if finite_values.size else 0
    for loss_here, r, c in sorted(minima):
        if (r, c) != best and _is_a_basin(clean, r, c, depth):
            # as low as the lowest (a symmetric twin): another global minimum
            twin = abs(loss_here - lowest) <= 1e-12 * max(1.0, abs(lowest))
            points.append(point("global_minimum" if twin else "local_minimum", r, c))
    for r, c in zip(*np.nonzero(keep & ~lower & ~higher), strict=True):
        points.append(point("saddle", int(r) + 1, int(c) + 1))
    return tuple(points)


def _is_a_basin(clean: np.ndarray, row: int, column: int, depth: float) -> bool:
    """Whether the minimum at (row, column) sits in a basin at least ``depth`` deep: the
    cells reachable from it without climbing more than ``depth`` are all at least as
    high as it. A curved narrow valley drawn on a grid shows false minima along its
    floor that fail this test."""
    level = clean[row, column]
    allowed = clean <= level + depth
    region = np.zeros_like(allowed)
    region[row, column] = True
    while True:
        padded = np.pad(region, 1)
        grown = padded[1:-1, 1:-1].copy()
        for dr, dc in _RING:
            grown |= padded[1 + dr : 1 + dr + region.shape[0], 1 + dc : 1 + dc + region.shape[1]]
        grown &= allowed
        if np.any(clean[grown] < level):
            return False
        if np.array_equal(grown, region):
            return True
        region = grown


# --------------------------------------------------------------------------- the computation


def _grid_offsets(span: float, resolution: int) -> np.ndarray:
    """``resolution`` offsets from −span to +span; the middle one (odd counts) is exactly 0
    so the current value is a grid point."""
    half = (resolution - 1) / 2
    return (np.arange(resolution, dtype=np.float64) - half) / half * span


def _pair(value: float | Sequence[float]) -> tuple[float, float]:
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value), float(value)
    a, b = value
    return float(a), float(b)


class LandscapeComputation:
    """A landscape computed a few grid rows at a time.

    ``loss_landscape`` runs it to the end in one go; a window can instead call
    :meth:`compute_rows` from a timer (or run it in a thread) and show :attr:`progress`.
    The parameters are copied when it is created; nothing it does touches the network.
    """

    def __init__(
        self,
        trainer_or_network: Trainer | Network,
        inputs: np.ndarray | None,
        targets: np.ndarray | None,
        param_a: ParameterId,
        param_b: ParameterId,
        span: float | Sequence[float] = 1.0,
        resolution: int | Sequence[int] = 41,
        max_samples: int | None = DEFAULT_MAX_SAMPLES,
    ) -> None:
        if isinstance(trainer_or_network, Trainer):
            network = trainer_or_network.network
            rows = trainer_or_network.train_idx
            if inputs is None:
                inputs = trainer_or_network.inputs[rows]
            if targets is None:
                targets = trainer_or_network.targets[rows]
        else:
            network = trainer_or_network
        if inputs is None or targets is None:
            raise ValueError("a landscape of a bare network needs inputs and targets")
        x = np.array(inputs, dtype=np.float64)  # copies: the data may be edited meanwhile
        t = np.array(targets, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != network.sizes[0]:
            raise ValueError(f"inputs must be shaped (samples, {network.sizes[0]})")
        if t.shape != (x.shape[0], network.sizes[-1]):
            raise ValueError(f"targets must be shaped ({x.shape[0]}, {network.sizes[-1]})")
        if x.shape[0] == 0:
            raise ValueError("a landscape needs at least one sample")
        self.sample_rows = np.arange(x.shape[0])
        if max_samples is not None:
            if max_samples < 1:
                raise ValueError("max_samples must be at least 1")
            if x.shape[0] > max_samples:
                self.sample_rows = np.unique(
                    np.round(np.linspace(0, x.shape[0] - 1, max_samples)).astype(np.int64)
                )
                x, t = x[self.sample_rows], t[self.sample_rows]
        self.inputs, self.targets = x, t

        self.param_a, self.param_b = _normalise(param_a), _normalise(param_b)
        index_a = flat_index(network, self.param_a)
        index_b = flat_index(network, self.param_b)
        if index_a == index_b:
            raise ValueError("pick two different parameters")
        for param in (self.param_a, self.param_b):
            n, index = param
            mask = network.masks[n // 2] if n % 2 == 0 else None
            if mask is not None and mask[index] == 0:
                name = parameter_name(network, param)
                raise ValueError(f"{name} is masked out: it never changes")
        self.name_a = parameter_name(network, self.param_a)
        self.name_b = parameter_name(network, self.param_b)
        span_a, span_b = _pair(span)
        if not (math.isfinite(span_a) and math.isfinite(span_b) and span_a > 0 and span_b > 0):
            raise ValueError("the span must be a finite number above 0")
        res_a, res_b = (int(r) for r in _pair(resolution))
        if res_a < 2 or res_b < 2:
            raise ValueError("the resolution must be at least 2 points per axis")

        # A private copy of the parameters: training may go on meanwhile.
        self._flat = network.flat.copy()
        arrays = network.layout.views(self._flat)
        self._weights, self._biases = arrays[0::2], arrays[1::2]
        self._activations = network.activations
        self._loss = network.loss
        self._depth = network.depth
        self.current = (float(self._flat[index_a]), float(self._flat[index_b]))
        self.a_values = self.current[0] + _grid_offsets(span_a, res_a)
        self.b_values = self.current[1] + _grid_offsets(span_b, res_b)
        self.loss = np.full((res_b, res_a), np.nan)
        self.rows_done = 0
        self._widest = max(network.sizes)
        self._largest_array = max(network.layout.sizes)

        # The parameter in the lower layer comes first: its layers are shared by rows.
        layers = (self.param_a[0] // 2 + 1, self.param_b[0] // 2 + 1)
        self._a_first = layers[0] <= layers[1]
        self._first_layer = min(layers)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            self._prefix = self._forward_prefix()
        self.current_loss = float(
            self._evaluate(np.array([self.current[0]]), np.array([self.current[1]]))[0]
        )

    # -- progress --------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self.rows_done >= self.loss.shape[0]

    @property
    def progress(self) -> float:
        """The fraction of the grid computed so far, 0 to 1."""
        return self.rows_done / self.loss.shape[0]

    def compute_rows(self, count: int = 1) -> int:
        """Compute the next ``count`` rows of the grid (rows run along b). Returns how many
        were computed (fewer at the end)."""
        start = self.rows_done
        stop = min(self.loss.shape[0], start + max(0, count))
        if stop <= start:
            return 0
        res_a = len(self.a_values)
        va = np.tile(self.a_values, stop - start)
        vb = np.repeat(self.b_values[start:stop], res_a)
        self.loss[start:stop] = self._evaluate(va, vb).reshape(stop - start, res_a)
        self.rows_done = stop
        return stop - start

    def result(self) -> Landscape:
        """The landscape (computes whatever rows are still missing)."""
        while not self.done:
            self.compute_rows(self.loss.shape[0])
        loss = self.loss.copy()
        points = critical_points(loss, self.a_values, self.b_values)
        minimum = points[0] if points and points[0].kind == "global_minimum" else None
        return Landscape(
            param_a=self.param_a,
            param_b=self.param_b,
            name_a=self.name_a,
            name_b=self.name_b,
            a_values=self.a_values.copy(),
            b_values=self.b_values.copy(),
            loss=loss,
            current=self.current,
            current_loss=self.current_loss,
            minimum=minimum,
            critical_points=points,
            samples=int(self.inputs.shape[0]),
            sample_rows=self.sample_rows.copy(),
        )

    # -- the maths -------------------------------------------------------------------

    def _forward_prefix(self) -> np.ndarray:
        """The activations of the layer below the lower parameter: shared by every point.
        The same operations as ``Network.outputs``, so the values are the same."""
        last = self._first_layer - 1
        return forward_through(self._weights, self._biases, self._activations, self.inputs, last)[1]

    def _evaluate(self, va: np.ndarray, vb: np.ndarray) -> np.ndarray:
        """The loss at the points (va[p], vb[p]), in batches that bound the memory."""
        out = np.empty(len(va))
        # a point's net inputs, activations and temporaries, and its copy of a weight matrix
        per_point = (self.inputs.shape[0] * self._widest * 3 + self._largest_array) * 8
        chunk = max(1, _CHUNK_BYTES // max(per_point, 1))
        first, second = (va, vb) if self._a_first else (vb, va)
        # Points sharing the lower parameter's value share its layers: sort by it.
        order = np.argsort(first, kind="stable")
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for start in range(0, len(order), chunk):
                picked = order[start : start + chunk]
                out[picked] = self._losses(first[picked], second[picked])
        return out

    def _losses(self, v_first: np.ndarray, v_second: np.ndarray) -> np.ndarray:
        """Losses for one batch of points; v_first belongs to the lower-layer parameter."""
        p_first, p_second = (
            (self.param_a, self.param_b) if self._a_first else (self.param_b, self.param_a)
        )
        k_first, k_second = p_first[0] // 2 + 1, p_second[0] // 2 + 1
        # Layers from the first parameter's up to below the second's depend on v_first
        # only: compute them once per distinct value.
        if k_second > k_first:
            unique, inverse = np.unique(v_first, return_inverse=True)
            a = self._prefix
            for k in range(k_first, k_second):
                mods = [(p_first, unique)] if k == k_first else []
                a = self._layer(a, k, mods, len(unique))
            a = a[inverse.reshape(-1)]
            mods_at = {k_second: [(p_second, v_second)]}
        else:
            a = self._prefix
            mods_at = {k_first: [(p_first, v_first), (p_second, v_second)]}
        for k in range(k_second, self._depth + 1):
            a, z = self._layer_and_net(a, k, mods_at.get(k, []), len(v_first))
        losses = np.empty(len(v_first))
        loss, t = self._loss, self.targets
        for p in range(len(v_first)):
            losses[p] = loss.mean(a[p], t, z[p])
        return losses

    def _layer(
        self,
        a: np.ndarray,
        k: int,
        mods: list[tuple[ParameterId, np.ndarray]],
        count: int,
    ) -> np.ndarray:
        """Layer k's activations for a stack of ``count`` variants; see
        :meth:`_layer_and_net`."""
        return self._layer_and_net(a, k, mods, count)[0]

    def _layer_and_net(
        self,
        a: np.ndarray,
        k: int,
        mods: list[tuple[ParameterId, np.ndarray]],
        count: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Layer k (activations, net inputs) for a stack of ``count`` variants (a is
        (samples, m) shared or (count, samples, m)); ``mods`` sets parameters of this
        layer per variant."""
        w, b = self._weights[k - 1], self._biases[k - 1]
        weight_mods = [(index, v) for (n, index), v in mods if n % 2 == 0]
        bias_mods = [(index, v) for (n, index), v in mods if n % 2 == 1]
        if weight_mods:
            stack = np.empty((count, *w.shape))
            stack[:] = w
            for (j, i), v in weight_mods:
                stack[:, j, i] = v
            # one BLAS call per variant, each of the shape a @ W.T has in the engine
            z = np.matmul(a, stack.transpose(0, 2, 1))
        else:
            z = np.matmul(a, w.T)
        if bias_mods:
            biases = np.empty((count, b.size))
            biases[:] = b
            for (j,), v in bias_mods:
                biases[:, j] = v
            if z.ndim == 2:
                z = np.broadcast_to(z, (count, *z.shape)).copy()
            z += biases[:, None, :]
        elif b.size:
            z += b
        act = self._activations[k]
        assert act is not None
        flat_z = z.reshape(-1, z.shape[-1])
        a_out = act.apply(flat_z, np.empty_like(flat_z)).reshape(z.shape)
        return a_out, z


def loss_landscape(
    trainer_or_network: Trainer | Network,
    inputs: np.ndarray | None,
    targets: np.ndarray | None,
    param_a: ParameterId,
    param_b: ParameterId,
    span: float | Sequence[float] = 1.0,
    resolution: int | Sequence[int] = 41,
    max_samples: int | None = DEFAULT_MAX_SAMPLES,
) -> Landscape:
    """The loss over a grid of ``resolution`` points from value − span to value + span in
    each of the two parameters, every other parameter fixed.

    With a trainer, ``inputs``/``targets`` of ``None`` mean its training rows (the loss
    the training curve approximates batch by batch). An odd resolution puts the current
    point exactly on the grid. ``span`` and ``resolution`` may be pairs (a, b).
    The network's parameters are never changed (not even temporarily).
    """
    return LandscapeComputation(
        trainer_or_network, inputs, targets, param_a, param_b, span, resolution, max_samples
    ).result()


# --------------------------------------------------------------------------- the path


class ParameterPath:
    """The two parameters' values after each training step, for drawing the path.

    Memory stays bounded: beyond ``max_points`` every other point is dropped and from
    then on only every 2nd (4th, …) step is kept, so a long run keeps its whole shape.
    The latest point is always available, so the path ends where the network is.
    """

    def __init__(self, max_points: int = 100_000) -> None:
        if max_points < 4:
            raise ValueError("max_points must be at least 4")
        self.max_points = max_points
        self._data = np.empty((min(max_points, 1024), 2))
        self._steps = np.empty(self._data.shape[0], dtype=np.int64)
        self._length = 0
        self._seen = 0  # points appended so far
        self._stride = 1
        self._last: tuple[float, float] | None = None

    def __len__(self) -> int:
        """How many points :meth:`arrays` returns."""
        return self._length + (1 if self._last_is_extra() else 0)

    @property
    def stride(self) -> int:
        """Every how many appended points one is kept (1 until the first decimation)."""
        return self._stride

    @property
    def appended(self) -> int:
        return self._seen

    def append(self, value_a: float, value_b: float) -> None:
        """Record the two parameters' values (call after each step)."""
        ordinal = self._seen
        self._seen += 1
        self._last = (float(value_a), float(value_b))
        if ordinal % self._stride:
            return
        if self._length == self.max_points:
            kept = self._data[: self._length : 2].copy()
            steps = self._steps[: self._length : 2].copy()
            self._length = len(kept)
            self._data[: self._length] = kept
            self._steps[: self._length] = steps
            self._stride *= 2
            if ordinal % self._stride:
                return
        if self._length == self._data.shape[0]:
            size = min(self.max_points, self._data.shape[0] * 2)
            data, steps = np.empty((size, 2)), np.empty(size, dtype=np.int64)
            data[: self._length] = self._data[: self._length]
            steps[: self._length] = self._steps[: self._length]
            self._data, self._steps = data, steps
        self._data[self._length] = self._last
        self._steps[self._length] = ordinal
        self._length += 1

    def _last_is_extra(self) -> bool:
        if self._seen == 0:
            return False
        return self._length == 0 or self._steps[self._length - 1] != self._seen - 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The a values and b values of the path, ending at the latest point."""
        points = self._data[: self._length]
        if self._last_is_extra():
            assert self._last is not None
            points = np.vstack([points, np.asarray(self._last)[None, :]])
        return points[:, 0].copy(), points[:, 1].copy()

    def ordinals(self) -> np.ndarray:
        """Which appended point (0 = the first) each returned point is."""
        steps = self._steps[: self._length]
        if self._last_is_extra():
            steps = np.append(steps, self._seen - 1)
        return steps.copy()

    def truncate(self, count: int) -> None:
        """Forget everything after the first ``count`` appended points (rewinding). After
        a decimation the path ends at the last point kept before there, and
        :attr:`appended` counts up to that point."""
        if count >= self._seen:
            return
        count = max(0, count)
        self._length = int(np.searchsorted(self._steps[: self._length], count))
        self._seen = count
        if self._length:
            row = self._data[self._length - 1]
            self._last = (float(row[0]), float(row[1]))
            self._seen = int(self._steps[self._length - 1]) + 1
        else:
            self._last = None
            self._seen = 0

    def clear(self) -> None:
        self._length = self._seen = 0
        self._stride = 1
        self._last = None


def path_of(
    history: Iterable[Sequence[float]] | np.ndarray,
    param_a: ParameterId | None = None,
    param_b: ParameterId | None = None,
    layout: ParameterLayout | Network | None = None,
    max_points: int = 100_000,
) -> ParameterPath:
    """A :class:`ParameterPath` from recorded values.

    ``history`` is either (value_a, value_b) pairs, or, with ``param_a``, ``param_b`` and
    ``layout`` given, whole flat parameter vectors (``network.flat`` copies) from which the
    two parameters are picked.
    """
    values = np.asarray(list(history) if not isinstance(history, np.ndarray) else history)
    path = ParameterPath(max_points)
    if values.size == 0:
        return path
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError("history must be a list of pairs or of flat parameter vectors")
    if param_a is None and param_b is None:
        if values.shape[1] != 2:
            raise ValueError("history must hold (value_a, value_b) pairs")
        columns = values
    else:
        if param_a is None or param_b is None or layout is None:
            raise ValueError("picking from flat vectors needs param_a, param_b and layout")
        columns = values[:, [flat_index(layout, param_a), flat_index(layout, param_b)]]
    for a, b in columns:
        path.append(float(a), float(b))
    return path
