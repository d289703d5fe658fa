"""Typed readers for JSON values: each returns the value in the type wanted or raises the
exact problem with its place, so the validator reads like the spec's tables.

JSON's types are taken strictly: ``true`` is not a number, ``2.0`` is not a whole number,
``"1"`` is not a number. Plain ``Mapping``/``tuple`` values are accepted too, so a
lesson can be given as Python data built in code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from bpsim.fileformat.errors import (
    TOP,
    LessonFileError,
    counted,
    index_place,
    key_place,
    one_of,
    show,
)

_MISSING = object()


def is_number(value: object) -> bool:
    """A JSON number: int or float, but not a bool (``true`` is no number here)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def kind(value: object) -> str:
    """What JSON calls the value's type, for "expected X, got Y" messages."""
    return show(value)


class Obj:
    """A JSON object at ``place`` whose keys have been checked against the allowed ones."""

    def __init__(
        self,
        value: object,
        place: str,
        allowed: Sequence[str],
        required: Sequence[str] = (),
        *,
        what: str = "an object",
    ) -> None:
        if not isinstance(value, Mapping):
            raise LessonFileError(f"expected {what} {{…}}, got {kind(value)}", place=place or TOP)
        for key in value:
            if key not in allowed:
                raise LessonFileError(
                    f"unknown key {show(key)}; allowed keys: {one_of(list(allowed))}",
                    place=place or TOP,
                )
        for key in required:
            if key not in value:
                raise LessonFileError(f"missing key '{key}'", place=place or TOP)
        self.data: Mapping[str, Any] = value
        self.place = place

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def at(self, key: str) -> str:
        """The place of ``key`` in this object."""
        return key_place(self.place, key)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def has(self, key: str) -> bool:
        return key in self.data


def need_int(value: object, place: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number (a JSON int) from ``low`` to ``high``."""
    if not is_int(value):
        raise LessonFileError(
            f"expected a whole number{_range(low, high)}, got {kind(value)}", place=place
        )
    number = int(value)  # type: ignore[call-overload]
    if (low is not None and number < low) or (high is not None and number > high):
        raise LessonFileError(
            f"expected a whole number{_range(low, high)}, got {kind(value)}", place=place
        )
    return number


def _range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f" from {low} to {high}"
    if low is not None:
        return f" ≥ {low}"
    if high is not None:
        return f" ≤ {high}"
    return ""


def need_number(value: object, place: str) -> float:
    """A finite number as a float (whole numbers are fine: ``1`` is ``1.0``)."""
    if not is_number(value):
        raise LessonFileError(f"expected a number, got {kind(value)}", place=place)
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise LessonFileError(f"expected a finite number, got {kind(value)}", place=place)
    return number


def need_bool(value: object, place: str) -> bool:
    if not isinstance(value, bool):
        raise LessonFileError(f"expected true or false, got {kind(value)}", place=place)
    return value


def need_str(value: object, place: str) -> str:
    if not isinstance(value, str):
        raise LessonFileError(f"expected a string, got {kind(value)}", place=place)
    return value


def need_choice(value: object, place: str, choices: Sequence[str], what: str) -> str:
    """One word from ``choices``; the message lists them all."""
    if not isinstance(value, str):
        raise LessonFileError(
            f"expected a string, one of {one_of(list(choices))}; got {kind(value)}", place=place
        )
    if value not in choices:
        raise LessonFileError(
            f"unknown {what} {show(value)}; expected one of {one_of(list(choices))}", place=place
        )
    return value


def need_list(value: object, place: str, what: str = "a list") -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise LessonFileError(f"expected {what} […], got {kind(value)}", place=place)
    return value


def number_row(value: object, place: str, length: int, noun: str, note: str = "") -> np.ndarray:
    """A list of exactly ``length`` finite numbers as a float64 vector.

    ``noun`` names one item ("weight"), ``note`` says why that many (" (one per neuron)").
    The common case (a list of floats and ints) is checked in bulk; only a bad row is
    walked item by item to name the first bad number.
    """
    row = need_list(value, place, f"a list of {noun}s{note}")
    if len(row) != length:
        raise LessonFileError(
            f"expected {counted(length, noun)}{note}, got {len(row)}", place=place
        )
    if set(map(type, row)) <= {float, int}:
        try:
            array = np.array(row, dtype=np.float64)
        except OverflowError:  # an int too large for a float
            array = None
        if array is not None and np.isfinite(array).all():
            return array
    values = [need_number(item, index_place(place, n)) for n, item in enumerate(row)]
    return np.array(values, dtype=np.float64)


def number_matrix(
    value: object, place: str, shape: tuple[int, int], notes: tuple[str, str], noun: str
) -> np.ndarray:
    """A list of ``shape[0]`` rows of ``shape[1]`` finite numbers as a float64 array.

    ``notes`` say why so many rows and so many items a row. The caller has bounded the
    shape (the file's size limits), so allocating it is safe.
    """
    rows, cols = shape
    row_note, item_note = notes
    items = need_list(value, place, f"a list of rows{row_note}")
    if len(items) != rows:
        raise LessonFileError(
            f"expected {counted(rows, 'row')}{row_note}, got {len(items)}", place=place
        )
    out = np.empty((rows, cols), dtype=np.float64)
    for n, item in enumerate(items):
        out[n] = number_row(item, index_place(place, n), cols, noun, item_note)
    return out
