"""Turning 0/1 class labels into target rows, the same way for every two-class data set."""

from __future__ import annotations

import numpy as np

#: Names of the two one-hot targets: column 0 is "false" (class 0), column 1 "true" (class 1).
ONE_HOT_NAMES: list[str] = ["false", "true"]


def binary_targets(labels: np.ndarray, one_hot: bool) -> np.ndarray:
    """Targets from boolean labels: one column of 0/1, or with ``one_hot`` two columns where
    false is [1, 0] and true is [0, 1] (so a softmax output's column k is class k)."""
    positive = np.asarray(labels, dtype=bool).astype(np.float64)
    if not one_hot:
        return positive[:, np.newaxis]
    return np.column_stack((1.0 - positive, positive))


def balanced_labels(size: int, rng: np.random.Generator) -> np.ndarray:
    """``size // 2`` true and the rest false, in random order: halves that differ by at most
    one sample, shuffled so a batch of consecutive rows sees both classes."""
    labels = np.arange(size) < size // 2
    return rng.permutation(labels)
