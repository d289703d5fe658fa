"""Gradient descent on a plain function: the idea before the network.

A function of one or two variables with its exact gradient, a start and an optimizer:
each step shows the slope at the current point, the step Δ the optimizer takes and
where it lands. The optimizers are the engine's own (:mod:`bpsim.core.optimizers`,
PyTorch's update rules), so what a learning rate does here is exactly what it does to a
network's weights: too large and the steps overshoot, grow and diverge.

Function values and gradients at the descent's points are computed with Python's
``math`` on floats, so a step can be checked by hand with a calculator (or
``math.exp`` and ``math.cos``); :meth:`Function.values_on` computes the same formulas
with NumPy on whole grids for the pictures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from bpsim.core.optimizers import Optimizer, hyper_problems, make_optimizer
from bpsim.core.spec import OptimizerSpec

__all__ = [
    "DIVERGENCE_LIMIT",
    "FUNCTIONS",
    "Descent",
    "DescentPath",
    "DescentStep",
    "Function",
    "compare",
    "comparison_specs",
    "get_function",
    "optimizer_label",
]

#: a coordinate beyond this counts as diverged (the steps are running away)
DIVERGENCE_LIMIT = 1e6

E2 = math.exp(2)  # seed 000's e²


@dataclass(frozen=True)
class Function:
    """A function to descend, with its exact gradient and what a view needs to show it.

    ``formula`` computes f from the coordinates with the maths module it is given
    (``math`` for single points, ``numpy`` for grids) so both agree; ``derivative``
    returns the partial derivatives the same way.
    """

    name: str
    title: str
    text: str  # f written out, e.g. "f(x) = e²·sin x"
    gradient_text: str  # its derivative(s), e.g. "f'(x) = e²·cos x"
    description: str
    variables: int
    formula: Callable[..., Any] = field(repr=False)
    derivative: Callable[..., tuple[Any, ...]] = field(repr=False)
    start: tuple[float, ...]
    learning_rate: float  # a learning rate that shows the descent well
    view: tuple[tuple[float, float], ...]  # the plotting range per variable
    minima: tuple[tuple[float, ...], ...] = ()  # the global minimum first, then local ones
    bounded_below: bool = True

    def value(self, point: Sequence[float] | np.ndarray) -> float:
        """f at one point (+∞ or NaN where it overflows)."""
        coords = self._coords(point)
        try:
            return float(self.formula(math, *coords))
        except OverflowError:
            return math.inf
        except ValueError:  # math.sin(inf) and friends
            return math.nan

    def gradient(self, point: Sequence[float] | np.ndarray) -> np.ndarray:
        """∇f at one point, shaped (variables,)."""
        coords = self._coords(point)
        try:
            parts = self.derivative(math, *coords)
        except (OverflowError, ValueError):
            return np.full(self.variables, math.nan)
        return np.array([float(p) for p in parts])

    def values_on(self, *coords: np.ndarray) -> np.ndarray:
        """f on arrays of coordinates (broadcast), for drawing curves and surfaces."""
        if len(coords) != self.variables:
            raise ValueError(f"{self.name} takes {self.variables} coordinate array(s)")
        arrays = [np.asarray(c, dtype=np.float64) for c in coords]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            values = np.asarray(self.formula(np, *arrays), dtype=np.float64)
        return np.broadcast_to(values, shape).copy()

    def grid(self, resolution: int = 201) -> tuple[np.ndarray, ...]:
        """The function over its view: ``(xs, values)`` for one variable, or
        ``(xs, ys, values)`` with ``values[row, column]`` at (xs[column], ys[row])."""
        axes = [np.linspace(low, high, resolution) for low, high in self.view]
        if self.variables == 1:
            return axes[0], self.values_on(axes[0])
        x, y = np.meshgrid(axes[0], axes[1])
        return axes[0], axes[1], self.values_on(x, y)

    def _coords(self, point: Sequence[float] | np.ndarray | float) -> list[float]:
        coords = [float(v) for v in np.atleast_1d(np.asarray(point, dtype=np.float64))]
        if len(coords) != self.variables:
            raise ValueError(f"{self.name} takes a point with {self.variables} coordinate(s)")
        return coords


# --------------------------------------------------------------------------- the functions


def _e2sin(m: ModuleType, x: Any) -> Any:
    return E2 * m.sin(x)


def _e2sin_d(m: ModuleType, x: Any) -> tuple[Any]:
    return (E2 * m.cos(x),)


def _parabola(m: ModuleType, x: Any) -> Any:
    return x * x


def _parabola_d(m: ModuleType, x: Any) -> tuple[Any]:
    return (2 * x,)


def _two_dips(m: ModuleType, x: Any) -> Any:
    x2 = x * x
    return x2 * x2 - 3 * x2 + x


def _two_dips_d(m: ModuleType, x: Any) -> tuple[Any]:
    return (4 * x * x * x - 6 * x + 1,)


def _xy(m: ModuleType, x: Any, y: Any) -> Any:
    return x * y + x * x


def _xy_d(m: ModuleType, x: Any, y: Any) -> tuple[Any, Any]:
    return (y + 2 * x, x)


def _bowl(m: ModuleType, x: Any, y: Any) -> Any:
    return x * x + y * y


def _bowl_d(m: ModuleType, x: Any, y: Any) -> tuple[Any, Any]:
    return (2 * x, 2 * y)


def _valley(m: ModuleType, x: Any, y: Any) -> Any:
    return x * x + 25 * (y * y)


def _valley_d(m: ModuleType, x: Any, y: Any) -> tuple[Any, Any]:
    return (2 * x, 50 * y)


def _rosenbrock(m: ModuleType, x: Any, y: Any) -> Any:
    u, v = 1 - x, y - x * x
    return u * u + 100 * (v * v)


def _rosenbrock_d(m: ModuleType, x: Any, y: Any) -> tuple[Any, Any]:
    v = y - x * x
    return (-2 * (1 - x) - 400 * x * v, 200 * v)


# Seed 004's J(θ1, θ2): a gentle bowl with two Gaussian wells, a deep one (the global
# minimum) and a shallower one whose bottom is near (0.8, 0.8) (the local minimum).
_J_WELLS = ((1.0, -0.6, -0.5, 0.6), (0.6, 0.85, 0.85, 0.25))  # depth, centre, width²
_J_BOWL = 0.15


def _j(m: ModuleType, x: Any, y: Any) -> Any:
    total = 1.5 + _J_BOWL * (x * x + y * y)
    for depth, cx, cy, width in _J_WELLS:
        dx, dy = x - cx, y - cy
        total = total - depth * m.exp(-(dx * dx + dy * dy) / width)
    return total


def _j_d(m: ModuleType, x: Any, y: Any) -> tuple[Any, Any]:
    gx, gy = 2 * _J_BOWL * x, 2 * _J_BOWL * y
    for depth, cx, cy, width in _J_WELLS:
        dx, dy = x - cx, y - cy
        well = depth * m.exp(-(dx * dx + dy * dy) / width)
        gx = gx + well * (2 * dx / width)
        gy = gy + well * (2 * dy / width)
    return (gx, gy)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in (
        Function(
            "e2sin",
            "e²·sin x (seed 000)",
            "f(x) = e²·sin x",
            "f'(x) = e²·cos x",
            "Seed 000's example: at x = 0 the slope is e² ≈ 7.4, so a small step changes f "
            "about 7.4 times as much. Minima at x = −π/2 + 2kπ, where f = −e².",
            1,
            _e2sin,
            _e2sin_d,
            (0.0,),
            0.01,
            ((-2 * math.pi, 2 * math.pi),),
            ((-math.pi / 2,), (3 * math.pi / 2,)),
        ),
        Function(
            "parabola",
            "Parabola",
            "f(x) = x²",
            "f'(x) = 2x",
            "The simplest bowl. Each step multiplies x by (1 − 2·lr): below lr = 0.5 the "
            "steps shrink straight in, up to 1 they overshoot and zigzag in, above 1 they "
            "zigzag out and diverge.",
            1,
            _parabola,
            _parabola_d,
            (3.0,),
            0.1,
            ((-4.0, 4.0),),
            ((0.0,),),
        ),
        Function(
            "local_minimum",
            "Two dips",
            "f(x) = x⁴ − 3x² + x",
            "f'(x) = 4x³ − 6x + 1",
            "A global minimum near x = −1.30 (f ≈ −3.51) and a local one near x = 1.13 "
            "(f ≈ −1.07): started on the right, gradient descent settles in the worse dip.",
            1,
            _two_dips,
            _two_dips_d,
            (2.0,),
            0.01,
            ((-2.2, 2.2),),
            ((-1.300839565941577,), (1.1309011226299859,)),
        ),
        Function(
            "seed000_xy",
            "xy + x² (seed 000)",
            "f(x, y) = xy + x²",
            "∂f/∂x = y + 2x,  ∂f/∂y = x",
            "Seed 000's two-variable example: at (3, −3), f = 0 and ∇f = (3, 3). It has "
            "no minimum: it is a saddle, unbounded below (along y = −3x, f = −2x²), so "
            "gradient descent slides off to infinity whatever the learning rate.",
            2,
            _xy,
            _xy_d,
            (3.0, -3.0),
            0.05,
            ((-4.0, 4.0), (-4.0, 4.0)),
            (),
            bounded_below=False,
        ),
        Function(
            "bowl",
            "Round bowl",
            "f(x, y) = x² + y²",
            "∂f/∂x = 2x,  ∂f/∂y = 2y",
            "A round bowl: the gradient points straight away from the minimum at (0, 0), "
            "so gradient descent walks straight down.",
            2,
            _bowl,
            _bowl_d,
            (2.5, 1.5),
            0.1,
            ((-3.0, 3.0), (-3.0, 3.0)),
            ((0.0, 0.0),),
        ),
        Function(
            "narrow_valley",
            "Narrow valley",
            "f(x, y) = x² + 25y²",
            "∂f/∂x = 2x,  ∂f/∂y = 50y",
            "25 times steeper across the valley than along it: the learning rate must stay "
            "below 0.04 for the steep direction, so gradient descent zigzags across the "
            "valley and crawls along its floor. Momentum (0.8 at lr 0.03, say) builds up "
            "speed along the floor while the zigzags cancel out.",
            2,
            _valley,
            _valley_d,
            (-2.8, 0.6),
            0.03,
            ((-3.0, 3.0), (-1.0, 1.0)),
            ((0.0, 0.0),),
        ),
        Function(
            "rosenbrock",
            "Rosenbrock's banana",
            "f(x, y) = (1 − x)² + 100(y − x²)²",
            "∂f/∂x = −2(1 − x) − 400x(y − x²),  ∂f/∂y = 200(y − x²)",
            "A curved, flat-bottomed valley with the minimum at (1, 1): easy to fall into, "
            "slow to follow.",
            2,
            _rosenbrock,
            _rosenbrock_d,
            (-1.2, 1.0),
            0.001,
            ((-2.0, 2.0), (-1.0, 3.0)),
            ((1.0, 1.0),),
        ),
        Function(
            "seed004_J",
            "J(θ1, θ2) with two minima (seed 004)",
            "J(θ1, θ2) = 1.5 + 0.15(θ1² + θ2²) − e^(−((θ1 + 0.6)² + (θ2 + 0.5)²)/0.6) "
            "− 0.6·e^(−((θ1 − 0.85)² + (θ2 − 0.85)²)/0.25)",
            "∂J/∂θ = 0.3θ + Σ depth·e^(…)·2(θ − centre)/width",
            "Like seed 004's picture: a global minimum near (−0.55, −0.46) (J ≈ 0.58) and a "
            "local minimum near (0.8, 0.8) (J ≈ 1.10), with a saddle between them near "
            "(0.33, 0.35). Where gradient descent ends depends on where it starts.",
            2,
            _j,
            _j_d,
            (1.5, 1.2),
            0.1,
            ((-2.0, 2.0), (-2.0, 2.0)),
            ((-0.5501378784671688, -0.4584481534693581), (0.7967358068365877, 0.7968922525772577)),
        ),
    )
}


def get_function(name: str) -> Function:
    try:
        return FUNCTIONS[name]
    except KeyError:
        known = ", ".join(FUNCTIONS)
        raise ValueError(f"unknown function {name!r}; expected one of {known}") from None


# --------------------------------------------------------------------------- the descent


@dataclass(frozen=True)
class DescentStep:
    """One step: from ``start`` (where f = ``value`` and the slope is ``gradient``) the
    optimizer moves by ``delta`` to ``end``."""

    number: int  # 1 for the first step
    start: np.ndarray
    value: float
    gradient: np.ndarray
    delta: np.ndarray
    end: np.ndarray
    end_value: float

    @property
    def size(self) -> float:
        """How far the step went, |Δ|."""
        return float(np.sqrt(np.sum(self.delta * self.delta)))


@dataclass(frozen=True)
class DescentPath:
    """Every point visited: ``positions[0]`` is the start and ``positions[n]`` is where
    step n ended; ``deltas[n − 1]`` is step n's Δ. ``stopped`` says why it ended early."""

    positions: np.ndarray  # (steps + 1, variables)
    values: np.ndarray  # (steps + 1,)
    gradients: np.ndarray  # (steps + 1, variables): the slope at each position
    deltas: np.ndarray  # (steps, variables)
    stopped: str | None

    @property
    def steps(self) -> int:
        return int(self.deltas.shape[0])


def optimizer_label(spec: OptimizerSpec) -> str:
    """A short name for a legend: 'gradient descent', 'momentum 0.9', 'adam', …"""
    if spec.name == "sgd":
        momentum = float(spec.hyper.get("momentum", 0.0))
        if momentum == 0:
            return "gradient descent"
        kind = "nesterov" if spec.hyper.get("nesterov") else "momentum"
        return f"{kind} {momentum:g}"
    return spec.name


class Descent:
    """Gradient descent (or momentum, Adam, …) on a :class:`Function`, one step at a time.

    Each step asks the optimizer for Δ from the gradient at the current point, exactly as
    the trainer does for a network. A step whose Δ is not finite is refused (the last
    finite point is kept); a point beyond ±``DIVERGENCE_LIMIT`` or with a non-finite
    value or slope ends the descent. ``stopped`` then says why.
    """

    def __init__(
        self,
        function: Function | str,
        start: float | Sequence[float] | np.ndarray | None = None,
        optimizer: OptimizerSpec | None = None,
        limit: float = DIVERGENCE_LIMIT,
    ) -> None:
        self.function = get_function(function) if isinstance(function, str) else function
        if optimizer is None:
            optimizer = OptimizerSpec.with_defaults(
                "sgd", learning_rate=self.function.learning_rate
            )
        problems = hyper_problems(optimizer.name, optimizer.hyper)
        if problems:
            raise ValueError("; ".join(f"{key}: {message}" for key, message in problems))
        self.spec = OptimizerSpec(optimizer.name, dict(optimizer.hyper))
        self.limit = limit
        first = self.function.start if start is None else start
        point = np.array(self.function._coords(first))
        if not np.isfinite(point).all():
            raise ValueError("the start must be finite")
        self.start = point
        self._delta = np.zeros(self.function.variables)
        self.reset()

    @property
    def label(self) -> str:
        return optimizer_label(self.spec)

    def reset(self, start: float | Sequence[float] | np.ndarray | None = None) -> None:
        """Back to the start (or a new one) with a fresh optimizer."""
        if start is not None:
            point = np.array(self.function._coords(start))
            if not np.isfinite(point).all():
                raise ValueError("the start must be finite")
            self.start = point
        self.optimizer: Optimizer = make_optimizer(self.spec, [(self.function.variables,)])
        self.position = self.start.copy()
        self.value = self.function.value(self.position)
        self.slope = self.function.gradient(self.position)
        self.steps: list[DescentStep] = []
        self._positions = [self.position.copy()]
        self._values = [self.value]
        self._gradients = [self.slope.copy()]
        self.stopped: str | None = None
        self._check(0)

    def set_hyper(self, **hyper: float | bool) -> None:
        """Change hyper-parameters (the learning rate, say) from the next step on; the
        optimizer keeps its state, as in the trainer."""
        merged = {**self.optimizer.hyper, **hyper}
        problems = hyper_problems(self.spec.name, merged)
        if problems:
            raise ValueError("; ".join(f"{key}: {message}" for key, message in problems))
        self.optimizer.hyper.update(hyper)
        self.spec = OptimizerSpec(self.spec.name, dict(self.optimizer.hyper))

    def step(self) -> DescentStep | None:
        """One step; None (and nothing changes) once the descent has stopped."""
        if self.stopped is not None:
            return None
        number = len(self.steps) + 1
        start, value, slope = self.position.copy(), self.value, self.slope.copy()
        delta = self._delta
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            self.optimizer.propose([self.position], [slope], [True], [delta])
            end = self.position + delta
        if not (np.isfinite(delta).all() and np.isfinite(end).all()):
            self.stopped = (
                f"diverged at step {number}: the step is no longer a finite number; "
                "the learning rate is too large"
            )
            return None
        self.optimizer.commit()
        self.position = end
        self.value = self.function.value(end)
        self.slope = self.function.gradient(end)
        record = DescentStep(number, start, value, slope, delta.copy(), end.copy(), self.value)
        self.steps.append(record)
        self._positions.append(record.end)
        self._values.append(self.value)
        self._gradients.append(self.slope.copy())
        self._check(number)
        return record

    def run(self, count: int) -> list[DescentStep]:
        """Up to ``count`` steps (fewer if the descent stops)."""
        done: list[DescentStep] = []
        for _ in range(count):
            record = self.step()
            if record is None:
                break
            done.append(record)
        return done

    def _check(self, number: int) -> None:
        when = "at the start" if number == 0 else f"after step {number}"
        if float(np.max(np.abs(self.position))) > self.limit:
            why = (
                "the function has no minimum (it is unbounded below)"
                if not self.function.bounded_below
                else "the steps overshoot and grow: the learning rate is too large"
            )
            self.stopped = f"diverged {when}: |x| passed {self.limit:g}; {why}"
        elif not math.isfinite(self.value):
            self.stopped = f"diverged {when}: f is no longer a finite number"
        elif not np.isfinite(self.slope).all():
            self.stopped = f"diverged {when}: the slope is no longer a finite number"

    def path(self) -> DescentPath:
        """Everything visited so far as arrays, for drawing."""
        d = self.function.variables
        return DescentPath(
            positions=np.array(self._positions).reshape(-1, d),
            values=np.array(self._values),
            gradients=np.array(self._gradients).reshape(-1, d),
            deltas=np.array([s.delta for s in self.steps]).reshape(len(self.steps), d),
            stopped=self.stopped,
        )


def comparison_specs(learning_rate: float, momentum: float = 0.9) -> dict[str, OptimizerSpec]:
    """Plain gradient descent, momentum and Adam with one learning rate: the usual race."""
    return {
        "gradient descent": OptimizerSpec.with_defaults("sgd", learning_rate=learning_rate),
        f"momentum {momentum:g}": OptimizerSpec.with_defaults(
            "sgd", learning_rate=learning_rate, momentum=momentum
        ),
        "adam": OptimizerSpec.with_defaults("adam", learning_rate=learning_rate),
    }


def compare(
    function: Function | str,
    start: float | Sequence[float] | np.ndarray | None,
    specs: Mapping[str, OptimizerSpec] | Sequence[OptimizerSpec],
    steps: int = 100,
) -> dict[str, DescentPath]:
    """Run several optimizers from the same start on the same function, ``steps`` steps
    each (or until one diverges), keyed by name (a sequence is named by
    :func:`optimizer_label`, numbered when names repeat)."""
    if isinstance(specs, Mapping):
        named = list(specs.items())
    else:
        named = []
        seen: dict[str, int] = {}
        for spec in specs:
            name = optimizer_label(spec)
            seen[name] = seen.get(name, 0) + 1
            named.append((name if seen[name] == 1 else f"{name} ({seen[name]})", spec))
    out: dict[str, DescentPath] = {}
    for name, spec in named:
        descent = Descent(function, start, spec)
        descent.run(steps)
        out[name] = descent.path()
    return out
