"""Starting weights drawn by a named method from a seed, so every student gets the same net.

Biases always start at 0. Layers are drawn in order from one generator, so the same
method, seed and sizes give the same weights on every machine.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from bpsim.core.spec import InitSpec, LayerSpec, Parameters


def _draw(
    method: str, rng: np.random.Generator, shape: tuple[int, int], spec: InitSpec
) -> np.ndarray:
    fan_out, fan_in = shape
    if method == "xavier_uniform":
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, size=shape)
    if method == "xavier_normal":
        return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)
    if method == "he_uniform":
        bound = math.sqrt(6.0 / fan_in)
        return rng.uniform(-bound, bound, size=shape)
    if method == "he_normal":
        return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=shape)
    if method == "uniform":
        return rng.uniform(spec.low, spec.high, size=shape)
    if method == "zeros":
        return np.zeros(shape)
    raise ValueError(f"unknown init method '{method}'")


def initial_parameters(layers: list[LayerSpec], spec: InitSpec | None) -> Parameters:
    """Weights drawn by ``spec`` (Xavier-uniform, seed 0 by default), masked links 0, biases 0."""
    spec = spec or InitSpec()
    rng = np.random.Generator(np.random.PCG64(spec.seed))
    weights: list[np.ndarray] = []
    biases: list[np.ndarray] = []
    for prev, layer in itertools.pairwise(layers):
        w = np.asarray(_draw(spec.method, rng, (layer.size, prev.size), spec), dtype=np.float64)
        if layer.mask is not None:
            w *= layer.mask
            w += 0.0  # turn −0.0 from masking into +0.0
        weights.append(w)
        biases.append(np.zeros(layer.bias_count()))
    return Parameters(weights, biases)
