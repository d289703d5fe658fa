"""Inputs that are pictures: which lessons have them and how their pixels are laid out.

A lesson may declare its inputs an image in its ``view`` section,
``"input_image": [rows, columns]``; otherwise an input count that is a square of at least
16 (digits' 8×8, MNIST's 28×28) is taken as a square image. The pixels are the inputs in
row order, as the digit and MNIST data sets store them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["as_image", "image_shape"]

#: the smallest square input count taken as an image without a declaration (4×4)
MIN_SQUARE_INPUTS = 16


def image_shape(n_inputs: int, view: Mapping[str, Any] | None = None) -> tuple[int, int] | None:
    """(rows, columns) of the input image, or None when the inputs are not a picture."""
    declared = (view or {}).get("input_image")
    if isinstance(declared, list | tuple) and len(declared) == 2:
        try:
            rows, columns = (int(v) for v in declared)
        except (TypeError, ValueError):
            rows = columns = 0
        if rows > 0 and columns > 0 and rows * columns == n_inputs:
            return rows, columns
    side = math.isqrt(n_inputs)
    if n_inputs >= MIN_SQUARE_INPUTS and side * side == n_inputs:
        return side, side
    return None


def as_image(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """One sample's inputs (or one neuron's incoming weights) as a (rows, columns) image."""
    return np.asarray(values, dtype=np.float64).reshape(shape)
