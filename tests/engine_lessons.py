"""Building small lessons in tests without writing files."""

from __future__ import annotations

import numpy as np

from bpsim.core.spec import (
    Dataset,
    InitSpec,
    LayerSpec,
    Lesson,
    OptimizerSpec,
    Parameters,
    TrainingSpec,
)
from bpsim.core.trainer import Trainer


def seed000_lesson(**optimizer: float | bool) -> Lesson:
    """The 2-2-2 worked example of seed 000 (the spec's example)."""
    layers = [
        LayerSpec(2, labels=["x1", "x2"]),
        LayerSpec(2, "sigmoid", "shared", labels=["h1", "h2"]),
        LayerSpec(2, "sigmoid", "shared", labels=["y1", "y2"]),
    ]
    params = Parameters(
        [np.array([[0.10, 0.15], [0.03, 0.08]]), np.array([[0.18, 0.06], [0.11, 0.26]])],
        [np.array([0.05]), np.array([0.42])],
    )
    hyper = {"learning_rate": 0.01, **optimizer}
    return Lesson(
        layers=layers,
        loss="half_sse",
        optimizer=OptimizerSpec.with_defaults(str(hyper.pop("name", "sgd")), **hyper),
        dataset=Dataset(np.array([[0.95, 0.06]]), np.array([[0.05, 0.82]])),
        parameters=params,
        training=TrainingSpec(batch_size=1),
    )


def random_lesson(
    sizes: list[int],
    activations: list[str],
    loss: str,
    bias: str = "per_neuron",
    samples: int = 5,
    seed: int = 0,
    optimizer: str = "sgd",
    training: TrainingSpec | None = None,
    mask_first: bool = False,
    **hyper: float | bool,
) -> Lesson:
    """A lesson with random data fitting the loss (targets in [0, 1], rows summing to 1
    for cross-entropy), parameters drawn by Xavier-uniform from ``seed``."""
    rng = np.random.default_rng(seed)
    layers = [LayerSpec(sizes[0])]
    for n, (size, act) in enumerate(zip(sizes[1:], activations, strict=True)):
        mask = None
        if mask_first and n == 0:
            mask = (rng.random((size, sizes[0])) > 0.3).astype(float)
            mask[:, 0] = 1.0
        layers.append(LayerSpec(size, act, bias, mask=mask))
    inputs = rng.normal(size=(samples, sizes[0]))
    if loss == "cross_entropy":
        targets = rng.random((samples, sizes[-1]))
        targets /= targets.sum(axis=1, keepdims=True)
    else:
        targets = rng.random((samples, sizes[-1]))
    if optimizer == "sgd":
        hyper.setdefault("learning_rate", 0.1)
    return Lesson(
        layers=layers,
        loss=loss,
        optimizer=OptimizerSpec.with_defaults(optimizer, **hyper),
        dataset=Dataset(inputs, targets),
        init=InitSpec("xavier_uniform", seed),
        training=training or TrainingSpec(batch_size=2),
    )


def trainer(lesson: Lesson) -> Trainer:
    return Trainer(lesson)
