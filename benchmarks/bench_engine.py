"""Steady-state training speed: bpsim's engine against PyTorch and a textbook NumPy loop.

Each workload trains the same network on the same batches three ways, side by side in one
run, and reports steps per second and the ratios:

- **bpsim**: ``Trainer.train_steps``, the loop ``bpsim train`` and the Run button use;
- **PyTorch** (when installed): ``nn.Sequential`` of ``nn.Linear`` float64 layers with
  ``torch.optim.SGD`` and the same loss, ``zero_grad / forward / loss / backward / step``;
- **NumPy textbook**: Nielsen-style ``backprop`` vectorised over the batch, no generality.

Run:  python benchmarks/bench_engine.py [--seconds 2] [--json results.json]
(PyTorch is used when ``import torch`` works and skipped otherwise.)
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bpsim.core.spec import (
    Dataset,
    InitSpec,
    LayerSpec,
    Lesson,
    OptimizerSpec,
    TrainingSpec,
)
from bpsim.core.trainer import Trainer
from bpsim.lessons.examples import find_example
from bpsim.lessons.files import trainer_from_lesson_file


@dataclass
class Workload:
    name: str
    sizes: list[int]
    batch: int
    softmax: bool  # softmax + cross-entropy output, else sigmoid + half SSE
    target_vs_torch: float
    make: Callable[[], Trainer]


def _seed000() -> Trainer:
    return trainer_from_lesson_file(find_example("worked-example").path)  # type: ignore[union-attr]


def _digits() -> Trainer:
    trainer = trainer_from_lesson_file(find_example("digits").path)  # type: ignore[union-attr]
    # Measure steady-state steps: no early stopping, no held-out set, no shuffling (the
    # other two loops see the same fixed batches).
    trainer.training = replace(trainer.training, patience=None, shuffle=False)
    return trainer


def _mnist_like(batch: int) -> Callable[[], Trainer]:
    """Seed 002's 784-20-20-10 network on MNIST-shaped data (random pixels, 10 classes):
    the speed depends on the shapes, not on the pictures."""

    def make() -> Trainer:
        rng = np.random.default_rng(0)
        n = 4096
        inputs = rng.random((n, 784))
        targets = np.eye(10)[rng.integers(0, 10, n)]
        layers = [
            LayerSpec(784),
            LayerSpec(20, "sigmoid"),
            LayerSpec(20, "sigmoid"),
            LayerSpec(10, "softmax"),
        ]
        lesson = Lesson(
            layers=layers,
            loss="cross_entropy",
            optimizer=OptimizerSpec.with_defaults("sgd", learning_rate=0.1),
            dataset=Dataset(inputs, targets),
            init=InitSpec("xavier_uniform", 0),
            training=TrainingSpec(batch_size=batch, shuffle=False),
        )
        return Trainer(lesson)

    return make


WORKLOADS = [
    Workload("2-2-2 seed example, batch 1", [2, 2, 2], 1, False, 20.0, _seed000),
    Workload("64-20-20-10 digits, batch 32", [64, 20, 20, 10], 32, True, 8.0, _digits),
    Workload("784-20-20-10, batch 32", [784, 20, 20, 10], 32, True, 6.0, _mnist_like(32)),
    Workload("784-20-20-10, batch 1", [784, 20, 20, 10], 1, True, 5.0, _mnist_like(1)),
]


def timed(run: Callable[[int], None], seconds: float) -> float:
    """Steps per second of ``run(n)`` (n steps), after a warm-up, best of three rounds."""
    run(50)
    n = 50
    while True:
        start = time.perf_counter()
        run(n)
        elapsed = time.perf_counter() - start
        if elapsed > seconds / 6:
            break
        n *= 2
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        run(n)
        best = max(best, n / (time.perf_counter() - start))
    return best


def batches_of(trainer: Trainer) -> list[np.ndarray]:
    order = trainer.epoch_order(0)
    size = trainer.batch_size
    return [order[i : i + size] for i in range(0, len(order), size)]


def bench_bpsim(trainer: Trainer, seconds: float) -> float:
    return timed(trainer.train_steps, seconds)


def bench_textbook(trainer: Trainer, softmax: bool, seconds: float) -> float:
    """Nielsen's network.py backprop, vectorised over the batch: plain NumPy, no checks."""
    ws = [w.copy() for w in trainer.network.weights]
    bs = [
        b.copy() if b.size != 1 else np.full(w.shape[0], b[0])
        for w, b in zip(ws, trainer.network.biases, strict=True)
    ]
    lr = float(trainer.optimizer.hyper["learning_rate"])
    # A real loop picks its batch rows each step (X[rows]), as the engine does.
    inputs, targets = trainer.inputs, trainer.targets
    batches = batches_of(trainer)
    count = len(batches)

    def sigmoid(z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-z))

    def step(x: np.ndarray, y: np.ndarray) -> None:
        activation = x
        activations = [x]
        for w, b in zip(ws[:-1], bs[:-1], strict=True):
            activation = sigmoid(activation @ w.T + b)
            activations.append(activation)
        z = activation @ ws[-1].T + bs[-1]
        if softmax:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
            delta = out - y
        else:
            out = sigmoid(z)
            delta = (out - y) * out * (1 - out)
        n = len(x)
        for layer in range(len(ws) - 1, -1, -1):
            grad_w = delta.T @ activations[layer] / n
            grad_b = delta.sum(axis=0) / n
            if layer:
                a = activations[layer]
                delta = (delta @ ws[layer]) * a * (1 - a)
            ws[layer] -= lr * grad_w
            bs[layer] -= lr * grad_b

    position = [0]

    def run(n: int) -> None:
        i = position[0]
        for _ in range(n):
            rows = batches[i]
            step(inputs[rows], targets[rows])
            i = (i + 1) % count
        position[0] = i

    return timed(run, seconds)


def bench_torch(trainer: Trainer, softmax: bool, seconds: float) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    layers: list = []
    for k, w in enumerate(trainer.network.weights):
        linear = torch.nn.Linear(w.shape[1], w.shape[0]).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            b = trainer.network.biases[k]
            linear.bias.copy_(torch.from_numpy(np.broadcast_to(b, (w.shape[0],)).copy()))
        layers.append(linear)
        if k < len(trainer.network.weights) - 1 or not softmax:
            layers.append(torch.nn.Sigmoid())
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=float(trainer.optimizer.hyper["learning_rate"])
    )
    loss_fn = torch.nn.CrossEntropyLoss() if softmax else torch.nn.MSELoss()
    xs = [torch.from_numpy(trainer.inputs[rows]) for rows in batches_of(trainer)]
    ys = [torch.from_numpy(trainer.targets[rows]) for rows in batches_of(trainer)]
    count = len(xs)
    position = [0]

    def run(n: int) -> None:
        i = position[0]
        for _ in range(n):
            optimizer.zero_grad()
            loss = loss_fn(model(xs[i]), ys[i])
            loss.backward()
            optimizer.step()
            i = (i + 1) % count
        position[0] = i

    return timed(run, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    try:
        import torch

        torch_version = torch.__version__
        threads = torch.get_num_threads()
    except ImportError:
        torch_version, threads = None, 0
    print(
        f"machine: {platform.processor() or platform.machine()}, numpy {np.__version__}, "
        f"torch {torch_version or 'not installed'} ({threads} threads)"
    )
    results = []
    header = (
        f"{'workload':<32} {'bpsim/s':>10} {'torch/s':>10} {'numpy/s':>10} "
        f"{'×torch':>8} {'target':>7} {'×numpy':>7}"
    )
    print(header)
    for work in WORKLOADS:
        ours = bench_bpsim(work.make(), args.seconds)
        theirs = bench_torch(work.make(), work.softmax, args.seconds)
        textbook = bench_textbook(work.make(), work.softmax, args.seconds)
        vs_torch = ours / theirs if theirs else float("nan")
        print(
            f"{work.name:<32} {ours:>10.0f} {theirs or float('nan'):>10.0f} {textbook:>10.0f} "
            f"{vs_torch:>7.1f}× {work.target_vs_torch:>6.0f}× {ours / textbook:>6.2f}×",
            flush=True,
        )
        results.append(
            {
                "workload": work.name,
                "bpsim_steps_per_s": ours,
                "torch_steps_per_s": theirs,
                "numpy_steps_per_s": textbook,
                "ratio_vs_torch": vs_torch,
                "target_vs_torch": work.target_vs_torch,
                "ratio_vs_numpy": ours / textbook,
            }
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                {"date": time.strftime("%Y-%m-%d"), "torch": torch_version, "results": results},
                handle,
                indent=2,
            )


if __name__ == "__main__":
    main()
