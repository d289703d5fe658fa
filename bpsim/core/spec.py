"""What a lesson is made of, as plain data: the network, loss, optimizer, training and data.

These classes are what the `.bpsim` loader produces and the saver writes back. They hold
no behaviour beyond small helpers; the engine (``network``, ``trainer``) turns them into
arrays and runs them. Validation lives in ``bpsim.fileformat``: objects built here by hand
are trusted to be consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

ACTIVATIONS: tuple[str, ...] = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax")
BIAS_MODES: tuple[str, ...] = ("per_neuron", "shared", "none")
LOSSES: tuple[str, ...] = ("half_sse", "mse", "binary_cross_entropy", "cross_entropy")
INIT_METHODS: tuple[str, ...] = (
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "uniform",
    "zeros",
)

#: Hyper-parameters of each optimizer with PyTorch 2.x's defaults; ``None`` means required.
OPTIMIZER_DEFAULTS: dict[str, dict[str, float | bool | None]] = {
    "sgd": {
        "learning_rate": None,
        "momentum": 0.0,
        "dampening": 0.0,
        "nesterov": False,
        "weight_decay": 0.0,
    },
    "adagrad": {
        "learning_rate": 0.01,
        "lr_decay": 0.0,
        "weight_decay": 0.0,
        "initial_accumulator_value": 0.0,
        "eps": 1e-10,
    },
    "rmsprop": {
        "learning_rate": 0.01,
        "alpha": 0.99,
        "eps": 1e-8,
        "momentum": 0.0,
        "centered": False,
        "weight_decay": 0.0,
    },
    "adam": {
        "learning_rate": 0.001,
        "beta1": 0.9,
        "beta2": 0.999,
        "eps": 1e-8,
        "weight_decay": 0.0,
        "amsgrad": False,
    },
    "adadelta": {
        "learning_rate": 1.0,
        "rho": 0.9,
        "eps": 1e-6,
        "weight_decay": 0.0,
    },
}

#: Hard ceilings that keep a file from asking for more memory than a laptop has.
MAX_PARAMETERS = 20_000_000
MAX_LAYER_SIZE = 100_000
MAX_SAMPLES = 2_000_000
MAX_DATA_VALUES = 50_000_000


@dataclass
class LayerSpec:
    """One layer. The input layer uses only ``size`` and ``labels``."""

    size: int
    activation: str = "sigmoid"
    bias: str = "per_neuron"
    train_weights: bool = True
    train_bias: bool = True
    mask: np.ndarray | None = None  # 0/1 float array shaped like the incoming weights
    labels: list[str] | None = None  # None: generated names (x1…, h1…, y1…)

    def bias_count(self) -> int:
        """How many bias values this layer has: one per neuron, one shared, or none."""
        return {"per_neuron": self.size, "shared": 1, "none": 0}[self.bias]


def default_labels(layers: list[LayerSpec]) -> list[list[str]]:
    """Display names: x1… for inputs, y1… for outputs, h1… for one hidden layer
    (h1_1…, h2_1… when there are several). A layer's own ``labels`` win."""
    names: list[list[str]] = []
    several_hidden = len(layers) > 3
    for k, layer in enumerate(layers):
        if layer.labels is not None:
            names.append(list(layer.labels))
            continue
        if k == 0:
            prefix = "x"
        elif k == len(layers) - 1:
            prefix = "y"
        else:
            prefix = f"h{k}_" if several_hidden else "h"
        names.append([f"{prefix}{i + 1}" for i in range(layer.size)])
    return names


@dataclass
class InitSpec:
    """How parameters are drawn when the file gives none (biases always start at 0)."""

    method: str = "xavier_uniform"
    seed: int = 0
    low: float = -1.0  # only for "uniform"
    high: float = 1.0


@dataclass
class OptimizerSpec:
    """An optimizer's name and its complete hyper-parameters (defaults filled in)."""

    name: str
    hyper: dict[str, float | bool]

    @classmethod
    def with_defaults(cls, name: str, **given: float | bool) -> OptimizerSpec:
        """Fill PyTorch's defaults for everything not given."""
        hyper: dict[str, float | bool] = {}
        for key, default in OPTIMIZER_DEFAULTS[name].items():
            if key in given:
                hyper[key] = given[key]
            elif default is None:
                raise ValueError(f"optimizer '{name}' needs '{key}'")
            else:
                hyper[key] = default
        return cls(name, hyper)


@dataclass
class TrainingSpec:
    """Batches, shuffling, validation split and early stopping."""

    batch_size: int | None = None  # None: the whole training set ("full")
    shuffle: bool = False
    seed: int = 0
    validation_fraction: float = 0.0
    patience: int | None = None  # early stopping; None: off


@dataclass
class Dataset:
    """Samples as float64 rows, and the file's own description of where they came from."""

    inputs: np.ndarray  # (n_samples, n_inputs)
    targets: np.ndarray  # (n_samples, n_outputs)
    source: dict[str, Any] = field(default_factory=dict)  # written back to the file as is
    input_names: list[str] | None = None
    target_names: list[str] | None = None

    @property
    def size(self) -> int:
        return int(self.inputs.shape[0])


@dataclass
class Parameters:
    """Weights and biases: ``weights[k]`` is (size of layer k+1, size of layer k)."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]

    def copy(self) -> Parameters:
        return Parameters([w.copy() for w in self.weights], [b.copy() for b in self.biases])

    def arrays(self) -> list[np.ndarray]:
        """Every parameter array in the engine's fixed order: W0, b0, W1, b1, …"""
        out: list[np.ndarray] = []
        for w, b in zip(self.weights, self.biases, strict=True):
            out.append(w)
            out.append(b)
        return out


@dataclass
class Lesson:
    """Everything one `.bpsim` file holds."""

    layers: list[LayerSpec]
    loss: str
    optimizer: OptimizerSpec
    dataset: Dataset
    name: str = ""
    description: str = ""
    parameters: Parameters | None = None
    init: InitSpec | None = None
    training: TrainingSpec = field(default_factory=TrainingSpec)
    state: dict[str, Any] | None = None  # as in the file; the trainer reads and writes it
    view: dict[str, Any] | None = None

    @property
    def sizes(self) -> list[int]:
        return [layer.size for layer in self.layers]
