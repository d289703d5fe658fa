"""Data sets for lessons: built-in ones made from a name and options, and CSV files.

Everything here returns a ``bpsim.core.spec.Dataset`` with float64 arrays and raises
only ``DatasetError``, whose place is relative to the file's ``dataset`` object so the
file loader can put its own path in front. Built-ins are deterministic: one seed gives the
same arrays on every machine (NumPy's PCG64).

Two-class data sets give one 0/1 target, or with ``one_hot`` two targets where false
(class 0) is [1, 0] and true (class 1) is [0, 1].
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bpsim.core.spec import Dataset
from bpsim.datasets.csvfile import load_csv
from bpsim.datasets.errors import DatasetError
from bpsim.datasets.registry import BUILTINS, checked_options, lookup

__all__ = [
    "DatasetError",
    "builtin_description",
    "builtin_names",
    "builtin_options",
    "load_builtin",
    "load_csv",
]


def builtin_names() -> list[str]:
    """Names of the built-in data sets, in menu order (gates, 2-D, regression, real data)."""
    return list(BUILTINS)


def builtin_description(name: str) -> str:
    """One sentence about the data set, for menus and tooltips."""
    return lookup(name).description


def builtin_options(name: str) -> dict[str, object]:
    """The options the data set takes, each with its default (a fresh dict)."""
    return lookup(name).defaults()


def load_builtin(name: str, options: Mapping[str, Any] | None = None) -> Dataset:
    """Make built-in data set ``name``; options not given take their defaults.

    Every option is checked before anything is generated. ``source`` is
    ``{"builtin": name, **options}`` with the options exactly as given, so saving the
    lesson writes back what the file had.
    """
    builtin = lookup(name)
    given = {} if options is None else options
    if not isinstance(given, Mapping):
        raise DatasetError(
            "builtin", f"expected the options as an object; got {type(given).__name__}"
        )
    checked = checked_options(name, builtin, given)
    dataset = builtin.make(**checked)
    dataset.source = {"builtin": name, **{k: v for k, v in given.items() if k != "builtin"}}
    return dataset
