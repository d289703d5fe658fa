"""Logic gates: the four-row truth tables that show why XOR needs a hidden layer."""

from __future__ import annotations

import numpy as np

from bpsim.core.spec import Dataset
from bpsim.datasets.targets import ONE_HOT_NAMES, binary_targets

#: Every input pair, in truth-table order.
_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])


def _gate(name: str, truth: list[bool], one_hot: bool) -> Dataset:
    return Dataset(
        inputs=_INPUTS.copy(),
        targets=binary_targets(np.array(truth), one_hot),
        source={"builtin": name, "one_hot": one_hot},
        input_names=["a", "b"],
        target_names=list(ONE_HOT_NAMES) if one_hot else [f"a {name} b"],
    )


def gate_and(*, one_hot: bool = False) -> Dataset:
    """a AND b: linearly separable, one neuron learns it."""
    return _gate("and", [False, False, False, True], one_hot)


def gate_or(*, one_hot: bool = False) -> Dataset:
    """a OR b: linearly separable."""
    return _gate("or", [False, True, True, True], one_hot)


def gate_nand(*, one_hot: bool = False) -> Dataset:
    """a NAND b: linearly separable, and with OR and AND it builds XOR."""
    return _gate("nand", [True, True, True, False], one_hot)


def gate_xor(*, one_hot: bool = False) -> Dataset:
    """a XOR b: not linearly separable, the classic case for a hidden layer."""
    return _gate("xor", [False, True, True, False], one_hot)
