"""Checks for built-in data-set options, shared so every data set refuses bad values alike.

A checker takes the option's name (the place in the error) and the value the file gave,
and returns the value in the type the generator wants, or raises ``DatasetError``. Values
come from JSON, so ``true``/``false`` are not numbers here and numbers are not booleans.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from bpsim.datasets.errors import DatasetError, show

Checker = Callable[[str, object], object]

#: Largest noise accepted: far beyond any useful value, small enough that no sample overflows.
MAX_NOISE = 1000.0
#: Largest magnitude of a coefficient option (``plane``'s a, b, c).
MAX_COEFFICIENT = 1e6
#: Seeds are what ``numpy.random.PCG64`` takes; 64 bits is plenty and keeps files portable.
MAX_SEED = 2**64 - 1


def _as_int(value: object) -> int | None:
    """The value as an int when it is a whole number type (never a bool), else None."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        return None
    return int(value)


def _as_float(value: object) -> float | None:
    """The value as a finite float when it is a number (never a bool), else None."""
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float's range
        return None
    return number if math.isfinite(number) else None


def whole(low: int, high: int) -> Checker:
    """A whole number from ``low`` to ``high`` (both included)."""

    def check(place: str, value: object) -> int:
        number = _as_int(value)
        if number is None or not low <= number <= high:
            raise DatasetError(
                place, f"expected a whole number from {low:,} to {high:,}; got {show(value)}"
            )
        return number

    return check


def real(low: float, high: float) -> Checker:
    """A finite number from ``low`` to ``high`` (both included); whole numbers are fine."""

    def check(place: str, value: object) -> float:
        number = _as_float(value)
        if number is None or not low <= number <= high:
            raise DatasetError(
                place, f"expected a number from {low:g} to {high:g}; got {show(value)}"
            )
        return number

    return check


def boolean(place: str, value: object) -> bool:
    """``true`` or ``false``; 0 and 1 are refused so a typo cannot flip a meaning silently."""
    if not isinstance(value, bool | np.bool_):
        raise DatasetError(place, f"expected true or false; got {show(value)}")
    return bool(value)


SEED: Checker = whole(0, MAX_SEED)
NOISE: Checker = real(0.0, MAX_NOISE)
COEFFICIENT: Checker = real(-MAX_COEFFICIENT, MAX_COEFFICIENT)


def generator(seed: int) -> np.random.Generator:
    """The random stream of every built-in: PCG64, so a seed gives the same data everywhere."""
    return np.random.Generator(np.random.PCG64(seed))
