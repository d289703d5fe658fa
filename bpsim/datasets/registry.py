"""The table of built-in data sets: name, menu sentence, generator, and a checker per option.

Defaults are read from the generator's own keyword defaults, so the table and the
functions cannot disagree. Options are checked here, before a generator runs, so a bad or
huge ``size`` never allocates anything.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bpsim.core.spec import MAX_SAMPLES, Dataset
from bpsim.datasets import bundled, classification2d, logic, regression
from bpsim.datasets.errors import DatasetError, show
from bpsim.datasets.options import COEFFICIENT, NOISE, SEED, Checker, boolean, whole

SIZE: Checker = whole(1, MAX_SAMPLES)


@dataclass(frozen=True)
class Builtin:
    """One built-in data set."""

    make: Callable[..., Dataset]
    description: str
    checks: Mapping[str, Checker]

    def defaults(self) -> dict[str, object]:
        """Each option's default, as the generator declares it."""
        params = inspect.signature(self.make).parameters
        return {name: params[name].default for name in self.checks}


_TWO_D: dict[str, Checker] = {"size": SIZE, "noise": NOISE, "seed": SEED, "one_hot": boolean}
_GATE: dict[str, Checker] = {"one_hot": boolean}

#: In menu order: logic gates, 2-D classification, regression, real data.
BUILTINS: dict[str, Builtin] = {
    "and": Builtin(
        logic.gate_and, "Logic gate AND: 4 rows, 2 inputs, true only for 1 and 1.", _GATE
    ),
    "or": Builtin(logic.gate_or, "Logic gate OR: 4 rows, 2 inputs, true unless both are 0.", _GATE),
    "nand": Builtin(
        logic.gate_nand, "Logic gate NAND: 4 rows, 2 inputs, false only for 1 and 1.", _GATE
    ),
    "xor": Builtin(
        logic.gate_xor,
        "Logic gate XOR: 4 rows, true when the inputs differ; needs a hidden layer.",
        _GATE,
    ),
    "circle": Builtin(
        classification2d.circle,
        "Points in the plane, class 1 inside a circle and class 0 outside.",
        _TWO_D,
    ),
    "gaussians": Builtin(
        classification2d.gaussians,
        "Two Gaussian blobs in the plane, one per class; almost linearly separable.",
        _TWO_D,
    ),
    "xor_quadrants": Builtin(
        classification2d.xor_quadrants,
        "Points in the plane, class 1 where x1 and x2 have opposite signs (XOR).",
        _TWO_D,
    ),
    "spiral": Builtin(
        classification2d.spiral,
        "Two interleaved spiral arms in the plane, one per class; hard.",
        _TWO_D,
    ),
    "moons": Builtin(
        classification2d.moons,
        "Two interlocking half moons in the plane, one per class.",
        _TWO_D,
    ),
    "house_prices": Builtin(
        regression.house_prices,
        "Price against size of ten houses (the gradient-descent example), scaled to [0, 1].",
        {"standardize": boolean},
    ),
    "sine": Builtin(
        regression.sine,
        "Regression of y = sin(πx) plus noise for x in [-1, 1].",
        {"size": SIZE, "noise": NOISE, "seed": SEED},
    ),
    "plane": Builtin(
        regression.plane,
        "Regression of y = a·x1 + b·x2 + c plus noise: what one linear neuron learns exactly.",
        {
            "size": SIZE,
            "noise": NOISE,
            "seed": SEED,
            "a": COEFFICIENT,
            "b": COEFFICIENT,
            "c": COEFFICIENT,
        },
    ),
    "digits": Builtin(
        bundled.digits,
        "Handwritten digits 0–9: 1,797 images of 8×8 pixels, 10 classes.",
        {"size": whole(1, bundled.DIGITS_ROWS), "scale": boolean},
    ),
    "iris": Builtin(
        bundled.iris,
        "Fisher's iris flowers: 150 samples, 4 measurements, 3 species.",
        {"standardize": boolean},
    ),
}


def lookup(name: object) -> Builtin:
    """The built-in called ``name``, or a message listing the ones there are."""
    if not isinstance(name, str) or name not in BUILTINS:
        raise DatasetError(
            "builtin", f"unknown data set {show(name)}; expected one of {', '.join(BUILTINS)}"
        )
    return BUILTINS[name]


def checked_options(name: str, builtin: Builtin, options: Mapping[str, Any]) -> dict[str, Any]:
    """The given options checked and converted; a ``builtin`` key (the whole file object
    passed as is) is allowed when it repeats the name."""
    given: dict[str, Any] = {}
    for key, value in options.items():
        if key == "builtin" and value == name:
            continue
        if key not in builtin.checks:
            expected = ", ".join(builtin.checks) or "none"
            raise DatasetError(
                str(key),
                f"unknown option {show(key)} of data set '{name}'; expected one of {expected}",
            )
        given[key] = builtin.checks[key](key, value)
    return given
