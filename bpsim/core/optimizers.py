"""The five optimizers of the file format, computed the way PyTorch 2.x computes them.

Each class reproduces the single-tensor CPU code path of its PyTorch namesake
(``torch.optim.SGD``, ``Adagrad``, ``RMSprop``, ``Adam``, ``Adadelta`` with
``foreach=False``) operation by operation, in the same order and with the same
intermediate roundings, so that a lesson trained here and the same lesson trained in
PyTorch agree to float64 round-off. They are not always bit-identical, for two reasons
outside our control: PyTorch's vectorised CPU kernels fuse some multiply-adds into FMA
instructions (``add`` with ``alpha``, ``addcmul``, ``lerp``), and its MKL builds take
square roots from MKL's vector library, which is off by one unit in the last place for
about 1% of inputs. With both switched off (``ATEN_CPU_CAPABILITY=default`` and NumPy's
square root), PyTorch 2.13 and this module agree bit for bit.

The trainer drives an optimizer in two phases so that a step can be looked at, or
refused, before it happens:

1. ``propose`` writes every parameter's update Δ into the caller's arrays and computes
   the state the optimizer *would* have afterwards into pending buffers;
2. ``commit`` makes that pending state current by swapping buffers (no copying).

If Δ turns out to be non-finite the trainer simply does not commit, and the next
``propose`` starts again from the unchanged state.

Every buffer and temporary is allocated once, in ``__init__``; ``propose`` only runs
NumPy ufuncs with ``out=`` over the handful of parameter arrays.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from bpsim.core.spec import OPTIMIZER_DEFAULTS, OptimizerSpec

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Optimizer",
    "OptimizerStateError",
    "RMSprop",
    "all_finite",
    "hyper_problems",
    "make_optimizer",
]

Shape = tuple[int, ...]


class OptimizerStateError(ValueError):
    """A saved optimizer state that does not fit this optimizer; names the place."""

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}")
        self.place = place
        self.message = message


# --------------------------------------------------------------------------- hyper-parameters

#: Hyper-parameters that are switches (true/false) rather than numbers.
_SWITCHES = frozenset({"nesterov", "centered", "amsgrad"})

#: The ranges PyTorch's constructors enforce: "min0" is x >= 0, "unit" is 0 <= x <= 1,
#: "unit_open" is 0 <= x < 1. Keys not listed (SGD's dampening) accept any number.
_RANGES: dict[str, dict[str, str]] = {
    "sgd": {"learning_rate": "min0", "momentum": "min0", "weight_decay": "min0"},
    "adagrad": {
        "learning_rate": "min0",
        "lr_decay": "min0",
        "weight_decay": "min0",
        "initial_accumulator_value": "min0",
        "eps": "min0",
    },
    "rmsprop": {
        "learning_rate": "min0",
        "alpha": "min0",
        "eps": "min0",
        "momentum": "min0",
        "weight_decay": "min0",
    },
    "adam": {
        "learning_rate": "min0",
        "beta1": "unit_open",
        "beta2": "unit_open",
        "eps": "min0",
        "weight_decay": "min0",
    },
    "adadelta": {"learning_rate": "min0", "rho": "unit", "eps": "min0", "weight_decay": "min0"},
}


def _show(value: object) -> str:
    """A value as the user wrote it in JSON (true/false/null), else its repr."""
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def hyper_problems(name: str, hyper: Mapping[str, object]) -> list[tuple[str, str]]:
    """Everything PyTorch's constructor would refuse, as ``(key, message)`` pairs.

    Also refuses what PyTorch would choke on later or silently misuse: unknown keys,
    a missing required key, a non-number where a number goes, a number where a switch
    goes, and NaN or infinity (which the file format forbids). Keys left out are fine
    when they have a default. An empty list means the hyper-parameters are valid.
    """
    if name not in OPTIMIZER_DEFAULTS:
        known = ", ".join(OPTIMIZER_DEFAULTS)
        return [("name", f"unknown optimizer {name!r}; expected one of {known}")]
    defaults = OPTIMIZER_DEFAULTS[name]
    problems: list[tuple[str, str]] = []
    for key in hyper:
        if key not in defaults:
            known = ", ".join(defaults)
            problems.append((key, f"unknown hyper-parameter {key!r}; expected one of {known}"))
    numbers_ok: dict[str, float] = {}
    for key, default in defaults.items():
        if key not in hyper:
            if default is None:
                problems.append((key, f"is required ({name} has no default)"))
            elif not isinstance(default, bool):
                numbers_ok[key] = float(default)
            continue
        value = hyper[key]
        if key in _SWITCHES:
            if not isinstance(value, (bool, np.bool_)):
                problems.append((key, f"must be true or false, got {_show(value)}"))
            continue
        if not _is_number(value):
            problems.append((key, f"must be a number, got {_show(value)}"))
            continue
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            problems.append((key, f"must be a finite number, got {_show(value)}"))
            continue
        rule = _RANGES[name].get(key)
        if rule == "min0" and not number >= 0.0:
            problems.append((key, f"must be at least 0, got {_show(value)}"))
        elif rule == "unit" and not 0.0 <= number <= 1.0:
            problems.append((key, f"must be between 0 and 1, got {_show(value)}"))
        elif rule == "unit_open" and not 0.0 <= number < 1.0:
            problems.append((key, f"must be in [0, 1), got {_show(value)}"))
        else:
            numbers_ok[key] = number
    nesterov = hyper.get("nesterov")
    if name == "sgd" and isinstance(nesterov, (bool, np.bool_)) and nesterov:
        momentum = numbers_ok.get("momentum")
        dampening = numbers_ok.get("dampening")
        if momentum is not None and dampening is not None and (momentum <= 0 or dampening != 0):
            problems.append(("nesterov", "needs momentum > 0 and dampening 0"))
    return problems


# --------------------------------------------------------------------------- helpers


def _lerp(
    start: np.ndarray, end: np.ndarray, weight: float, out: np.ndarray, tmp: np.ndarray
) -> None:
    """``torch.lerp``: start + w·(end − start) if |w| < 0.5, else end − (end − start)·(1 − w).

    PyTorch switches formula at 0.5 for accuracy; the switch is copied so the roundings
    match. ``out`` and ``tmp`` must not alias ``start`` or ``end``.
    """
    np.subtract(end, start, out=tmp)
    if abs(weight) < 0.5:
        np.multiply(tmp, weight, out=tmp)
        np.add(start, tmp, out=out)
    else:
        np.multiply(tmp, 1.0 - weight, out=tmp)
        np.subtract(end, tmp, out=out)


def all_finite(array: np.ndarray) -> bool:
    """Whether every entry is a finite number: one reduction (NaN and ±inf survive a
    sum), and an exact look only when the sum itself overflowed."""
    if math.isfinite(float(np.add.reduce(array, axis=None))):
        return True
    return bool(np.isfinite(array).all())


def _state_array(place: str, value: object, shape: Shape) -> np.ndarray:
    """A saved buffer as a fresh float64 array of ``shape``, or OptimizerStateError."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):
        raise OptimizerStateError(place, f"expected numbers of shape {shape}") from None
    if array.dtype.kind not in "iuf":
        raise OptimizerStateError(place, f"expected numbers of shape {shape}")
    if array.size == 0 and math.prod(shape) == 0:
        array = array.reshape(shape)  # [] stands for any empty shape
    if array.shape != shape:
        raise OptimizerStateError(place, f"expected shape {shape}")
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise OptimizerStateError(place, "expected finite numbers")
    return array


@dataclass(frozen=True)
class _Snapshot:
    """Everything an optimizer needs to continue exactly from one moment."""

    kind: str
    shapes: tuple[Shape, ...]
    steps: tuple[int, ...]
    buffers: dict[str, list[np.ndarray]]
    extra: tuple[Any, ...]
    hyper: dict[str, float | bool]


# --------------------------------------------------------------------------- base class


class Optimizer:
    """Common machinery: state buffers, double buffering, saving and rewinding.

    Subclasses set ``name`` and ``_all_buffers``, and implement ``buffer_names``,
    ``_prepare`` (read the hyper-parameters once per update) and ``_update`` (one
    parameter array). State is kept per parameter array, like PyTorch's ``state[p]``.
    """

    name: ClassVar[str]
    #: every buffer the class can have, whatever the hyper-parameters
    _all_buffers: ClassVar[tuple[str, ...]]

    def __init__(
        self, hyper: Mapping[str, float | bool], shapes: Sequence[tuple[int, ...]]
    ) -> None:
        problems = hyper_problems(self.name, hyper)
        if problems:
            raise ValueError("; ".join(f"{key}: {message}" for key, message in problems))
        complete: dict[str, float | bool] = {}
        for key, default in OPTIMIZER_DEFAULTS[self.name].items():
            value = hyper.get(key, default)
            assert value is not None  # hyper_problems refuses a missing required key
            complete[key] = value
        #: the complete hyper-parameters; the caller may edit values between updates
        self.hyper: dict[str, float | bool] = complete
        self._shapes: tuple[Shape, ...] = tuple(tuple(int(n) for n in s) for s in shapes)
        n = len(self._shapes)
        self._steps: list[int] = [0] * n
        self._pending_steps: list[int] = [0] * n
        self._current: dict[str, list[np.ndarray]] = {
            key: [np.zeros(s) for s in self._shapes] for key in self._all_buffers
        }
        self._pending: dict[str, list[np.ndarray]] = {
            key: [np.zeros(s) for s in self._shapes] for key in self._all_buffers
        }
        # scratch space: the weight-decayed gradient and two temporaries per parameter
        self._decayed: list[np.ndarray] = [np.zeros(s) for s in self._shapes]
        self._tmp1: list[np.ndarray] = [np.zeros(s) for s in self._shapes]
        self._tmp2: list[np.ndarray] = [np.zeros(s) for s in self._shapes]
        # where _update writes the new state: the pending buffers, or the current ones
        self._out: dict[str, list[np.ndarray]] = self._pending
        # what the last propose computed: (updated parameter indices, buffers in use)
        self._proposal: tuple[list[int], tuple[str, ...]] | None = None
        self.reset()

    # ----------------------------------------------------------------- per-class hooks

    def buffer_names(self) -> tuple[str, ...]:
        """The state buffers in use with the current hyper-parameters (PyTorch's names)."""
        raise NotImplementedError

    def _prepare(self) -> None:
        """Read the hyper-parameters into plain floats once per update."""
        raise NotImplementedError

    def _update(self, i: int, step: int, g: np.ndarray, delta: np.ndarray) -> None:
        """Δ of parameter ``i`` into ``delta`` and its new state into the pending buffers.

        ``step`` is the parameter's step count after this update (PyTorch's
        ``state['step']`` after ``step_t += 1``); ``g`` is the gradient with weight decay
        already added.
        """
        raise NotImplementedError

    def _sync(self) -> None:
        """Bring the state of parameters that have not started yet up to date (Adagrad)."""

    def _after_commit(self, done: list[int], names: tuple[str, ...]) -> None:
        """Extra bookkeeping when a proposal becomes current (SGD)."""

    def _extra(self) -> tuple[Any, ...]:
        return ()

    def _set_extra(self, extra: tuple[Any, ...]) -> None:
        """Restore what ``_extra`` returned."""

    def _load_entry(self, name: str, place: str, value: object, shape: Shape) -> np.ndarray | None:
        """One saved buffer entry as an array; ``None`` only where a class allows absence."""
        return _state_array(place, value, shape)

    # ----------------------------------------------------------------- the update

    def propose(
        self,
        params: Sequence[np.ndarray],
        grads: Sequence[np.ndarray],
        trainable: Sequence[bool],
        deltas: Sequence[np.ndarray],
        inplace: bool = False,
    ) -> None:
        """Write each trainable parameter's Δ into ``deltas[i]`` and the would-be state
        into pending buffers; neither ``params`` nor the current state changes.

        ``inplace``: write the new state straight into the current buffers and count
        the step (propose and commit in one, with the same operations and so the same
        bits). The Run loop uses it: it checks a whole block of steps at once and
        rewinds to a snapshot when something is not finite.

        A non-trainable parameter gets Δ = 0 and its state does not advance, like a
        PyTorch tensor whose ``grad`` is ``None``. Over- and underflow show up as
        non-finite Δ, which the caller checks; the trainer runs this under
        ``np.errstate`` so NumPy does not also warn (a context here would cost more than
        the update of a small network).
        """
        n = len(self._shapes)
        if not len(params) == len(grads) == len(trainable) == len(deltas) == n:
            raise ValueError(f"expected {n} parameter arrays")
        self._sync()
        self._prepare()
        weight_decay = float(self.hyper["weight_decay"])
        steps = self._steps
        pending_steps = self._pending_steps
        decayed = self._decayed
        self._out = self._current if inplace else self._pending
        done: list[int] = []
        for i in range(n):
            delta = deltas[i]
            if not trainable[i]:
                delta.fill(0.0)
                continue
            step = steps[i] + 1
            pending_steps[i] = step
            done.append(i)
            if delta.size == 0:
                continue
            g = grads[i]
            if weight_decay != 0:
                # grad.add(param, alpha=weight_decay)
                g = np.multiply(params[i], weight_decay, out=decayed[i])
                np.add(grads[i], g, out=g)
            self._update(i, step, g, delta)
        if inplace:
            for i in done:
                steps[i] = pending_steps[i]
            self._after_commit(done, self.buffer_names())
            self._proposal = None
        else:
            self._proposal = (done, self.buffer_names())

    def count_steps(self, count: int, trainable: Sequence[bool]) -> None:
        """Count ``count`` updates of the trainable arrays made without :meth:`propose`:
        the scalar path's plain SGD, whose only state is the step count."""
        for i, on in enumerate(trainable):
            self._steps[i] += count if on else 0
        self._proposal = None

    def nonfinite_state(self, pending: bool = False) -> str | None:
        """The name of the first state buffer holding a NaN or an infinity (in the state
        the last ``propose`` computed when ``pending``), else None. A state that
        overflowed while the parameters stayed finite is divergence too: it could not
        be saved, and the next updates would be NaN."""
        if pending:
            if self._proposal is None:
                return None
            done, names = self._proposal
            source = self._pending
        else:
            done, names = list(range(len(self._shapes))), self.buffer_names()
            source = self._current
        for key in names:
            arrays = source[key]
            for i in done:
                if not all_finite(arrays[i]):
                    return key
        return None

    def commit(self) -> None:
        """Make the state computed by the last ``propose`` current (swaps, no copies).

        Raises RuntimeError when there is nothing to commit (no propose since the last
        commit, load, restore or reset), since committing twice would undo the update.
        """
        if self._proposal is None:
            raise RuntimeError("commit without a pending propose")
        done, names = self._proposal
        for key in names:
            current = self._current[key]
            pending = self._pending[key]
            for i in done:
                current[i], pending[i] = pending[i], current[i]
        steps = self._steps
        pending_steps = self._pending_steps
        for i in done:
            steps[i] = pending_steps[i]
        self._after_commit(done, names)
        self._proposal = None

    # ----------------------------------------------------------------- inspection

    def steps(self) -> list[int]:
        """Per-parameter step counts (PyTorch's ``state['step']``)."""
        return list(self._steps)

    def buffers(self) -> dict[str, list[np.ndarray]]:
        """The current state arrays in use, by name, one per parameter. Do not modify;
        the arrays are live and are swapped out by the next ``commit``."""
        self._sync()
        return {key: list(self._current[key]) for key in self.buffer_names()}

    # ----------------------------------------------------------------- saving

    def state_dict(self) -> dict[str, Any]:
        """The state as JSON-able data: ``{"step": [...], "<buffer>": [nested lists]}``."""
        self._sync()
        out: dict[str, Any] = {"step": list(self._steps)}
        for key in self.buffer_names():
            out[key] = [array.tolist() for array in self._current[key]]
        return out

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Replace the whole state with a saved one (the inverse of ``state_dict``).

        Buffers the current hyper-parameters do not use start from zero. Everything is
        checked before anything changes; a mistake raises OptimizerStateError naming
        the place, such as ``exp_avg[2]``.
        """
        if not isinstance(state, Mapping):
            raise OptimizerStateError("state", "expected an object")
        names = self.buffer_names()
        expected = ("step", *names)
        for key in state:
            if key not in expected:
                raise OptimizerStateError(
                    str(key), f"unknown key; expected one of {', '.join(expected)}"
                )
        for key in expected:
            if key not in state:
                raise OptimizerStateError(key, "missing")
        n = len(self._shapes)
        raw_steps = state["step"]
        if not isinstance(raw_steps, (list, tuple)) or len(raw_steps) != n:
            raise OptimizerStateError("step", f"expected a list of {n} step counts")
        steps: list[int] = []
        for i, value in enumerate(raw_steps):
            if (
                isinstance(value, (bool, np.bool_))
                or not isinstance(value, (int, np.integer))
                or value < 0
            ):
                raise OptimizerStateError(f"step[{i}]", "expected a non-negative integer")
            steps.append(int(value))
        loaded: dict[str, list[np.ndarray | None]] = {}
        for key in names:
            entries = state[key]
            if not isinstance(entries, (list, tuple)) or len(entries) != n:
                raise OptimizerStateError(key, f"expected a list of {n} arrays")
            loaded[key] = [
                self._load_entry(key, f"{key}[{i}]", entry, shape)
                for i, (entry, shape) in enumerate(zip(entries, self._shapes, strict=True))
            ]
        self.reset()
        self._steps[:] = steps
        for key, arrays in loaded.items():
            for target, array in zip(self._current[key], arrays, strict=True):
                if array is not None:
                    np.copyto(target, array)
        self._loaded(loaded)

    def _loaded(self, loaded: dict[str, list[np.ndarray | None]]) -> None:
        """Extra bookkeeping after ``load_state_dict`` (SGD)."""

    # ----------------------------------------------------------------- rewinding

    def snapshot(self) -> object:
        """A deep copy of the current state (steps, buffers, hyper-parameters)."""
        self._sync()
        return _Snapshot(
            kind=self.name,
            shapes=self._shapes,
            steps=tuple(self._steps),
            buffers={key: [a.copy() for a in arrays] for key, arrays in self._current.items()},
            extra=self._extra(),
            hyper=dict(self.hyper),
        )

    def restore(self, snapshot: object) -> None:
        """Go back to a ``snapshot`` of this optimizer; ``hyper`` is updated in place."""
        if (
            not isinstance(snapshot, _Snapshot)
            or snapshot.kind != self.name
            or snapshot.shapes != self._shapes
        ):
            raise ValueError("not a snapshot of this optimizer")
        self._steps[:] = snapshot.steps
        for key, arrays in snapshot.buffers.items():
            for target, array in zip(self._current[key], arrays, strict=True):
                np.copyto(target, array)
        self._set_extra(snapshot.extra)
        self.hyper.clear()
        self.hyper.update(snapshot.hyper)
        self._proposal = None

    def reset(self) -> None:
        """Back to no state: step 0 everywhere, buffers as PyTorch creates them."""
        self._steps[:] = [0] * len(self._shapes)
        for arrays in self._current.values():
            for array in arrays:
                array.fill(0.0)
        self._set_extra(())
        self._proposal = None
        self._sync()


# --------------------------------------------------------------------------- the five


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum; ``torch.optim.SGD``.

    With λ = weight_decay, μ = momentum, τ = dampening, η = learning_rate::

        g  = ∇ + λ·p
        b  = g                      on the first update with μ ≠ 0 (no buffer yet)
        b  = μ·b + (1 − τ)·g        afterwards
        g' = g + μ·b if nesterov else b      (g' = g when μ = 0)
        Δ  = −η·g'

    As in PyTorch there is no buffer until the first update with μ ≠ 0; a saved
    ``momentum_buffer`` entry of ``null`` stands for that.
    """

    name = "sgd"
    _all_buffers = ("momentum_buffer",)

    def __init__(
        self, hyper: Mapping[str, float | bool], shapes: Sequence[tuple[int, ...]]
    ) -> None:
        self._has_buffer: list[bool] = [False] * len(shapes)
        super().__init__(hyper, shapes)

    def buffer_names(self) -> tuple[str, ...]:
        return ("momentum_buffer",) if float(self.hyper["momentum"]) != 0 else ()

    def _prepare(self) -> None:
        h = self.hyper
        self._lr = float(h["learning_rate"])
        self._momentum = float(h["momentum"])
        self._keep = 1.0 - float(h["dampening"])
        self._nesterov = bool(h["nesterov"])

    def _update(self, i: int, step: int, g: np.ndarray, delta: np.ndarray) -> None:
        momentum = self._momentum
        if momentum != 0:
            buf = self._out["momentum_buffer"][i]
            if self._has_buffer[i]:
                # buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                np.multiply(self._current["momentum_buffer"][i], momentum, out=buf)
                if self._keep == 1.0:  # g·1 is g exactly: save a pass
                    np.add(buf, g, out=buf)
                else:
                    tmp = np.multiply(g, self._keep, out=self._tmp1[i])
                    np.add(buf, tmp, out=buf)
            else:
                np.copyto(buf, g)
            if self._nesterov:
                tmp = np.multiply(buf, momentum, out=self._tmp1[i])
                g = np.add(g, tmp, out=tmp)
            else:
                g = buf
        np.multiply(g, -self._lr, out=delta)

    def _after_commit(self, done: list[int], names: tuple[str, ...]) -> None:
        if names:
            for i in done:
                self._has_buffer[i] = True

    def has_momentum_buffers(self, trainable: Sequence[bool]) -> bool:
        """Whether every trainable array has taken a step with momentum (the next step
        updates the buffer instead of starting it from the gradient)."""
        return all(has or not on for has, on in zip(self._has_buffer, trainable, strict=True))

    def _extra(self) -> tuple[Any, ...]:
        return (tuple(self._has_buffer),)

    def _set_extra(self, extra: tuple[Any, ...]) -> None:
        flags = extra[0] if extra else (False,) * len(self._has_buffer)
        self._has_buffer[:] = flags

    def state_dict(self) -> dict[str, Any]:
        out = super().state_dict()
        if "momentum_buffer" in out:
            out["momentum_buffer"] = [
                entry if has else None
                for entry, has in zip(out["momentum_buffer"], self._has_buffer, strict=True)
            ]
        return out

    def _load_entry(self, name: str, place: str, value: object, shape: Shape) -> np.ndarray | None:
        if value is None:
            return None
        return _state_array(place, value, shape)

    def _loaded(self, loaded: dict[str, list[np.ndarray | None]]) -> None:
        for i, array in enumerate(loaded.get("momentum_buffer", [])):
            self._has_buffer[i] = array is not None


class Adagrad(Optimizer):
    """Adaptive per-element learning rates from summed squared gradients; ``torch.optim.Adagrad``.

    With λ = weight_decay, η = learning_rate, t = the step count after this update::

        g   = ∇ + λ·p
        η_t = η / (1 + (t − 1)·lr_decay)
        s   = s + g·g                   (s starts at initial_accumulator_value)
        Δ   = (−η_t·g) / (√s + eps)

    PyTorch fills ``sum`` when the optimizer is built; here a parameter that has not
    taken a step yet always holds the current initial_accumulator_value, so editing it
    before training starts takes effect.
    """

    name = "adagrad"
    _all_buffers = ("sum",)

    def buffer_names(self) -> tuple[str, ...]:
        return ("sum",)

    def _sync(self) -> None:
        initial = float(self.hyper["initial_accumulator_value"])
        sums = self._current["sum"]
        for i, step in enumerate(self._steps):
            if step == 0:
                sums[i].fill(initial)

    def _prepare(self) -> None:
        h = self.hyper
        self._lr = float(h["learning_rate"])
        self._lr_decay = float(h["lr_decay"])
        self._eps = float(h["eps"])

    def _update(self, i: int, step: int, g: np.ndarray, delta: np.ndarray) -> None:
        clr = self._lr / (1 + (step - 1) * self._lr_decay)
        total = self._out["sum"][i]
        tmp = np.multiply(g, g, out=self._tmp1[i])
        np.add(self._current["sum"][i], tmp, out=total)
        std = np.sqrt(total, out=tmp)
        np.add(std, self._eps, out=std)
        np.multiply(g, -clr, out=delta)
        np.divide(delta, std, out=delta)


class RMSprop(Optimizer):
    """Gradient scaled by a running RMS of past gradients; ``torch.optim.RMSprop``.

    With λ = weight_decay, α = alpha, μ = momentum, η = learning_rate::

        g = ∇ + λ·p
        v = α·v + ((1 − α)·g)·g
        centered:  ḡ = lerp(ḡ, g, 1 − α);  a = √(v − ḡ·ḡ) + eps
        otherwise: a = √v + eps
        μ > 0:     b = μ·b + g/a;  Δ = −η·b
        otherwise: Δ = (−η·g)/a
    """

    name = "rmsprop"
    _all_buffers = ("square_avg", "grad_avg", "momentum_buffer")

    def buffer_names(self) -> tuple[str, ...]:
        names: tuple[str, ...] = ("square_avg",)
        if self.hyper["centered"]:
            names += ("grad_avg",)
        if float(self.hyper["momentum"]) > 0:
            names += ("momentum_buffer",)
        return names

    def _prepare(self) -> None:
        h = self.hyper
        self._lr = float(h["learning_rate"])
        self._alpha = float(h["alpha"])
        self._eps = float(h["eps"])
        self._momentum = float(h["momentum"])
        self._centered = bool(h["centered"])

    def _update(self, i: int, step: int, g: np.ndarray, delta: np.ndarray) -> None:
        cur, pend = self._current, self._out
        tmp1, tmp2 = self._tmp1[i], self._tmp2[i]
        alpha = self._alpha
        # square_avg.mul_(alpha).addcmul_(grad, grad, value=1 - alpha)
        square_avg = np.multiply(cur["square_avg"][i], alpha, out=pend["square_avg"][i])
        np.multiply(g, 1 - alpha, out=tmp1)
        np.multiply(tmp1, g, out=tmp1)
        np.add(square_avg, tmp1, out=square_avg)
        if self._centered:
            grad_avg = pend["grad_avg"][i]
            _lerp(cur["grad_avg"][i], g, 1 - alpha, out=grad_avg, tmp=tmp1)
            # square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
            avg = np.multiply(grad_avg, grad_avg, out=tmp1)
            np.subtract(square_avg, avg, out=avg)
            np.sqrt(avg, out=avg)
        else:
            avg = np.sqrt(square_avg, out=tmp1)
        np.add(avg, self._eps, out=avg)
        if self._momentum > 0:
            # buf.mul_(momentum).addcdiv_(grad, avg); param.add_(buf, alpha=-lr)
            buf = np.multiply(
                cur["momentum_buffer"][i], self._momentum, out=pend["momentum_buffer"][i]
            )
            np.divide(g, avg, out=tmp2)
            np.add(buf, tmp2, out=buf)
            np.multiply(buf, -self._lr, out=delta)
        else:
            np.multiply(g, -self._lr, out=delta)
            np.divide(delta, avg, out=delta)


class Adam(Optimizer):
    """Bias-corrected running averages of the gradient and its square; ``torch.optim.Adam``.

    With λ = weight_decay, β₁, β₂ = beta1, beta2, η = learning_rate, t = the step
    count after this update::

        g = ∇ + λ·p
        m = lerp(m, g, 1 − β₁)
        v = β₂·v + ((1 − β₂)·g)·g
        amsgrad: v̂ = max(v̂, v), else v̂ = v
        d = √v̂ / (1 − β₂ᵗ)^0.5 + eps
        Δ = (−(η / (1 − β₁ᵗ))·m) / d
    """

    name = "adam"
    _all_buffers = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def buffer_names(self) -> tuple[str, ...]:
        if self.hyper["amsgrad"]:
            return ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
        return ("exp_avg", "exp_avg_sq")

    def _prepare(self) -> None:
        h = self.hyper
        self._lr = float(h["learning_rate"])
        self._beta1 = float(h["beta1"])
        self._beta2 = float(h["beta2"])
        self._eps = float(h["eps"])
        self._amsgrad = bool(h["amsgrad"])

    def _update(self, i: int, step: int, g: np.ndarray, delta: np.ndarray) -> None:
        cur, pend = self._current, self._out
        tmp1 = self._tmp1[i]
        beta1, beta2 = self._beta1, self._beta2
        exp_avg = pend["exp_avg"][i]
        _lerp(cur["exp_avg"][i], g, 1 - beta1, out=exp_avg, tmp=tmp1)
        # exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        exp_avg_sq = np.multiply(cur["exp_avg_sq"][i], beta2, out=pend["exp_avg_sq"][i])
        np.multiply(g, 1 - beta2, out=tmp1)
        np.multiply(tmp1, g, out=tmp1)
        np.add(exp_avg_sq, tmp1, out=exp_avg_sq)
        # PyTorch's step is a float tensor; float ** float and x ** 0.5 as it writes them
        t = float(step)
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        step_size = self._lr / bias_correction1
        bias_correction2_sqrt = bias_correction2**0.5
        if self._amsgrad:
            second = np.maximum(cur["max_exp_avg_sq"][i], exp_avg_sq, out=pend["max_exp_avg_sq"][i])
        else:
            second = exp_avg_sq
        denom = np.sqrt(second, out=tmp1)
        np.divide(denom, bias_correction2_sqrt, out=denom)
        np.add(denom, self._eps, out=denom)
        # param.addcdiv_(exp_avg, denom, value=-step_size)
        np.multiply(exp_avg, -step_size, out=delta)
        np.divide(delta, denom, out=delta)


class Adadelta(Optimizer):
    """Step sizes from running averages of squared gradients and squared updates;
    ``torch.optim.Adadelta``.

    With λ = weight_decay, ρ = rho, η = learning_rate::

        g = ∇ + λ·p
        v = ρ·v + ((1 − ρ)·g)·g
        d = (√(u + eps) / √(v + eps))·g
        u = ρ·u + ((1 − ρ)·d)·d
        Δ = −η·d
    """

    name = "adadelta"
    _all_buffers = ("square_avg", "acc_delta")

    def buffer_names(self) -> tuple[str, ...]:
        return ("square_avg", "acc_delta")

    def _prepare(self) -> None:
        h = self.hyper
        self._lr = float(h["learning_rate"])
        self._rho = float(h["rho"])
        self._eps = float(h["eps"])

    def _update(self, i: int, step: int, g: np.ndarray, delta: np.ndarray) -> None:
        cur, pend = self._current, self._out
        tmp1, tmp2 = self._tmp1[i], self._tmp2[i]
        rho, eps = self._rho, self._eps
        # square_avg.mul_(rho).addcmul_(grad, grad, value=1 - rho)
        square_avg = np.multiply(cur["square_avg"][i], rho, out=pend["square_avg"][i])
        np.multiply(g, 1 - rho, out=tmp1)
        np.multiply(tmp1, g, out=tmp1)
        np.add(square_avg, tmp1, out=square_avg)
        std = np.add(square_avg, eps, out=tmp1)
        np.sqrt(std, out=std)
        # delta = acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
        acc_old = cur["acc_delta"][i]
        step_delta = np.add(acc_old, eps, out=tmp2)
        np.sqrt(step_delta, out=step_delta)
        np.divide(step_delta, std, out=step_delta)
        np.multiply(step_delta, g, out=step_delta)
        # acc_delta.mul_(rho).addcmul_(delta, delta, value=1 - rho)
        acc_delta = np.multiply(acc_old, rho, out=pend["acc_delta"][i])
        np.multiply(step_delta, 1 - rho, out=tmp1)
        np.multiply(tmp1, step_delta, out=tmp1)
        np.add(acc_delta, tmp1, out=acc_delta)
        np.multiply(step_delta, -self._lr, out=delta)


_CLASSES: dict[str, type[Optimizer]] = {
    cls.name: cls for cls in (SGD, Adagrad, RMSprop, Adam, Adadelta)
}


def make_optimizer(spec: OptimizerSpec, shapes: Sequence[tuple[int, ...]]) -> Optimizer:
    """The optimizer a lesson asks for, with state for parameter arrays of ``shapes``."""
    try:
        cls = _CLASSES[spec.name]
    except KeyError:
        known = ", ".join(_CLASSES)
        raise ValueError(f"unknown optimizer {spec.name!r}; expected one of {known}") from None
    return cls(spec.hyper, shapes)
