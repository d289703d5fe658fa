"""The forward pass through the first layers only, for the back-ends that need a hidden
layer's values (decision maps) or the part of the network every point shares (loss
landscapes). It does the arithmetic of ``Network.outputs`` step for step, so the numbers
are the engine's to the last bit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bpsim.core.activations import Activation


def forward_through(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[Activation | None],
    inputs: np.ndarray,
    last: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Net inputs z and activations a of layer ``last`` for the rows of ``inputs`` (layer 0:
    both are the inputs). The caller sets NumPy's error state."""
    a = inputs
    z = a
    for k in range(1, last + 1):
        z = a @ weights[k - 1].T
        if biases[k - 1].size:
            z += biases[k - 1]
        act = activations[k]
        assert act is not None
        a = act.apply(z, np.empty_like(z))
    return z, a
