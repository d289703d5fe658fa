"""Reading the file's ``state`` object (written by :meth:`Trainer.export_state`).

Everything is checked against the lesson before anything is taken over, so a state that
does not fit is refused as a whole with the place named (``state.history.step_loss[3]``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bpsim.core.history import History
from bpsim.core.optimizers import OptimizerStateError
from bpsim.core.spec import Parameters

if TYPE_CHECKING:
    from bpsim.core.trainer import Trainer

STATE_KEYS = (
    "epoch",
    "step",
    "batch",
    "epoch_loss_sum",
    "epoch_samples",
    "early_stopping",
    "optimizer",
    "history",
    "initial_parameters",
)


@dataclass
class ParsedState:
    epoch: int
    step: int
    batch: int
    epoch_loss_sum: float
    epoch_samples: int
    best_val: float
    bad_epochs: int
    stopped: str | None
    optimizer: dict[str, Any]
    history: History
    initial: Parameters


class StateError(ValueError):
    """A saved training state that does not fit the lesson; ``place`` is inside ``state``."""

    def __init__(self, place: str, message: str) -> None:
        super().__init__(f"{place}: {message}")
        self.place = place
        self.message = message


def _error(place: str, message: str) -> Exception:
    return StateError(place, message)


def _count(state: dict[str, Any], key: str, place: str, default: int = 0) -> int:
    value = state.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _error(f"{place}.{key}", f"expected a whole number ≥ 0, got {value!r}")
    return value


def _number(value: Any, place: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _error(place, f"expected a finite number, got {value!r}")
    return float(value)


def _checked_list(data: Any, place: str, most: int | None) -> list[Any]:
    """``data`` as a list; ``most``: one entry per step or epoch at most, checked before
    the entries are, so a huge list costs nothing."""
    if not isinstance(data, list):
        raise _error(place, "expected a list of numbers")
    if most is not None and len(data) > most:
        raise _error(place, f"{len(data):,} entries, but only {most:,} have been trained")
    return data


def _series(data: Any, place: str, most: int | None = None) -> list[float]:
    """A list of finite numbers."""
    items = _checked_list(data, place, most)
    return [_number(value, f"{place}[{n}]") for n, value in enumerate(items)]


def _nullable_series(data: Any, place: str, most: int | None = None) -> list[float | None]:
    """A list of numbers in which null (no value, e.g. an epoch without validation) may
    stand."""
    items = _checked_list(data, place, most)
    return [
        None if value is None else _number(value, f"{place}[{n}]") for n, value in enumerate(items)
    ]


def _matrices(data: Any, shapes: list[tuple[int, ...]], place: str) -> list[np.ndarray]:
    if not isinstance(data, list) or len(data) != len(shapes):
        raise _error(place, f"expected a list of {len(shapes)} arrays")
    arrays: list[np.ndarray] = []
    for k, (item, shape) in enumerate(zip(data, shapes, strict=True)):
        try:
            array = np.array(item, dtype=np.float64)
        except (TypeError, ValueError):
            raise _error(f"{place}[{k}]", f"expected numbers shaped {shape}") from None
        if array.shape != shape and not (array.size == 0 and math.prod(shape) == 0):
            raise _error(f"{place}[{k}]", f"expected shape {shape}, got {array.shape}")
        if not np.all(np.isfinite(array)):
            raise _error(f"{place}[{k}]", "every number must be finite")
        arrays.append(array.reshape(shape))
    return arrays


def parse_state(state: dict[str, Any], trainer: Trainer, place: str = "state") -> ParsedState:
    """Check ``state`` against the trainer's lesson and return it parsed."""
    if not isinstance(state, dict):
        raise _error(place, "expected an object")
    for key in state:
        if key not in STATE_KEYS:
            raise _error(f"{place}.{key}", f"unknown key; expected one of {', '.join(STATE_KEYS)}")
    epoch = _count(state, "epoch", place)
    step = _count(state, "step", place)
    batch = _count(state, "batch", place)
    if batch >= trainer.batches_per_epoch:
        raise _error(
            f"{place}.batch",
            f"an epoch has {trainer.batches_per_epoch} batches, so it must be below that",
        )
    samples = _count(state, "epoch_samples", place)
    loss_sum = _number(state.get("epoch_loss_sum", 0.0), f"{place}.epoch_loss_sum")

    early = state.get("early_stopping", {})
    if not isinstance(early, dict):
        raise _error(f"{place}.early_stopping", "expected an object")
    for key in early:
        if key not in ("best", "bad_epochs", "stopped"):
            raise _error(f"{place}.early_stopping.{key}", "unknown key")
    best = early.get("best")
    best_val = math.inf if best is None else _number(best, f"{place}.early_stopping.best")
    bad_epochs = _count(early, "bad_epochs", f"{place}.early_stopping")
    stopped = early.get("stopped")
    if stopped is not None and not isinstance(stopped, str):
        raise _error(f"{place}.early_stopping.stopped", "expected a text or null")

    history_data = state.get("history", {})
    if not isinstance(history_data, dict):
        raise _error(f"{place}.history", "expected an object")
    for key in history_data:
        if key not in (
            "step_loss",
            "epoch_train_loss",
            "epoch_val_loss",
            "step_numbers",
            "epoch_numbers",
        ):
            raise _error(f"{place}.history.{key}", "unknown key")
    steps = _series(history_data.get("step_loss", []), f"{place}.history.step_loss", most=step)
    train = _series(
        history_data.get("epoch_train_loss", []), f"{place}.history.epoch_train_loss", most=epoch
    )
    val = _nullable_series(
        history_data.get("epoch_val_loss", []), f"{place}.history.epoch_val_loss", most=epoch
    )
    if len(val) != len(train):
        raise _error(f"{place}.history.epoch_val_loss", "needs one entry per epoch_train_loss")
    numbers: dict[str, list[float]] = {}
    for key, values, count in (("step_numbers", steps, step), ("epoch_numbers", train, epoch)):
        if key in history_data:
            xs = _series(history_data[key], f"{place}.history.{key}")
            if len(xs) != len(values):
                raise _error(f"{place}.history.{key}", "needs one number per loss")
            if any(b <= a for a, b in itertools.pairwise(xs)) or (xs and xs[-1] > count):
                raise _error(f"{place}.history.{key}", f"expected increasing numbers up to {count}")
            numbers[key] = xs
    history = History.from_dict(
        {"step_loss": steps, "epoch_train_loss": train, "epoch_val_loss": val, **numbers}
    )

    net = trainer.network
    if "initial_parameters" in state:
        init = state["initial_parameters"]
        if not isinstance(init, dict) or set(init) != {"weights", "biases"}:
            raise _error(f"{place}.initial_parameters", 'expected {"weights": …, "biases": …}')
        initial = Parameters(
            _matrices(
                init["weights"],
                [w.shape for w in net.weights],
                f"{place}.initial_parameters.weights",
            ),
            _matrices(
                init["biases"], [b.shape for b in net.biases], f"{place}.initial_parameters.biases"
            ),
        )
    else:
        initial = trainer.initial

    optimizer_state = state.get("optimizer", {})
    if not isinstance(optimizer_state, dict):
        raise _error(f"{place}.optimizer", "expected an object")
    # Load into a scratch optimizer first so a bad state leaves the real one untouched.
    probe = trainer.optimizer.snapshot()
    try:
        trainer.optimizer.load_state_dict(optimizer_state)
    except OptimizerStateError as error:
        raise _error(f"{place}.optimizer.{error.place}", error.message) from None
    finally:
        trainer.optimizer.restore(probe)

    return ParsedState(
        epoch=epoch,
        step=step,
        batch=batch,
        epoch_loss_sum=loss_sum,
        epoch_samples=samples,
        best_val=best_val,
        bad_epochs=bad_epochs,
        stopped=stopped,
        optimizer=optimizer_state,
        history=history,
        initial=initial,
    )
