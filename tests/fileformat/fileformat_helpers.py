"""Shared pieces of the file-format tests: the spec's example and exact lesson comparison."""

from __future__ import annotations

import copy
import json
from dataclasses import fields
from typing import Any

import numpy as np

from bpsim.core.spec import Lesson

#: The example of the spec (shared/spec/file-format.md), byte for byte in spirit.
EXAMPLE_TEXT = """{
  "format": "bpsim",
  "version": 1,
  "name": "Worked example: 2-2-2 sigmoid network",
  "description": "One sample, shared bias per layer, learning rate 0.01.",
  "layers": [
    {"size": 2, "labels": ["x1", "x2"]},
    {"size": 2, "activation": "sigmoid", "bias": "shared", "labels": ["h1", "h2"]},
    {"size": 2, "activation": "sigmoid", "bias": "shared", "labels": ["y1", "y2"]}
  ],
  "parameters": {
    "weights": [[[0.10, 0.15], [0.03, 0.08]],
                [[0.18, 0.06], [0.11, 0.26]]],
    "biases": [[0.05], [0.42]]
  },
  "loss": "half_sse",
  "optimizer": {"name": "sgd", "learning_rate": 0.01},
  "training": {"batch_size": 1, "shuffle": false},
  "dataset": {"inputs": [[0.95, 0.06]], "targets": [[0.05, 0.82]]}
}
"""

_EXAMPLE: dict[str, Any] = json.loads(EXAMPLE_TEXT)


def example() -> dict[str, Any]:
    """A fresh deep copy of the spec's example as parsed JSON, free to mutate."""
    return copy.deepcopy(_EXAMPLE)


def same_array(a: Any, b: Any) -> bool:
    """Same shape, dtype and bits (so -0.0 differs from 0.0 and NaN equals itself)."""
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def same_json(a: Any, b: Any) -> bool:
    """Equal JSON data with floats compared bit for bit (0.0 vs -0.0 matters)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def assert_same_lesson(a: Lesson, b: Lesson) -> None:
    """Every field equal, every array bit-identical with dtype float64."""
    assert len(a.layers) == len(b.layers)
    for la, lb in zip(a.layers, b.layers, strict=True):
        for f in fields(la):
            va, vb = getattr(la, f.name), getattr(lb, f.name)
            if f.name == "mask":
                assert same_array(va, vb), f"mask differs: {va!r} vs {vb!r}"
                if va is not None:
                    assert vb.dtype == np.float64
            else:
                assert va == vb, f"layer.{f.name}: {va!r} != {vb!r}"
    assert a.loss == b.loss
    assert a.optimizer.name == b.optimizer.name
    assert same_json(dict(a.optimizer.hyper), dict(b.optimizer.hyper)), (
        a.optimizer.hyper,
        b.optimizer.hyper,
    )
    assert a.name == b.name and a.description == b.description
    assert (a.parameters is None) == (b.parameters is None)
    if a.parameters is not None and b.parameters is not None:
        assert len(a.parameters.weights) == len(b.parameters.weights)
        for x, y in zip(a.parameters.arrays(), b.parameters.arrays(), strict=True):
            assert x.dtype == np.float64 and y.dtype == np.float64
            assert same_array(x, y), f"{x!r} != {y!r}"
    assert a.init == b.init
    assert a.training == b.training
    for name in ("inputs", "targets"):
        x, y = getattr(a.dataset, name), getattr(b.dataset, name)
        assert x.dtype == np.float64 and y.dtype == np.float64
        assert same_array(x, y), f"dataset.{name} differs"
    assert same_json(a.dataset.source, b.dataset.source)
    assert same_json(a.state, b.state)
    assert same_json(a.view, b.view)
