"""Steady-state training speed: bpsim's engine against PyTorch and a textbook NumPy loop.

Each workload trains the same network on the same batches in four ways, side by side in
one process, in interleaved rounds (every round times each way once, in a rotating order,
so a busy spell on the shared machine hits all of them alike). It reports the median
microseconds a step, the spread (the 10th to 90th percentile of the rounds) and the
ratios of the medians:

- **bpsim Run**: ``Trainer.run_steps``, the loop the window's Run uses;
- **bpsim train**: ``Trainer.run_epoch`` once per epoch, what ``bpsim train`` does;
- **bpsim epochs**: ``Trainer.run_epochs(k)``, many epochs a call (the same bits);
- **PyTorch** (when installed): ``nn.Sequential`` of float64 ``nn.Linear`` layers,
  ``torch.optim.SGD`` and the same loss, ``zero_grad / forward / loss / backward / step``,
  on **one thread** (two threads on a busy 2-core machine collapse at random);
- **NumPy textbook**: Nielsen-style ``backprop`` vectorised over the batch, no generality,
  no loss, no checks: the second reference.

BLAS runs on one thread for every loop (bpsim sets that itself for small networks).

Run:  python benchmarks/bench_engine.py [--rounds 31] [--ms 40] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
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
    softmax: bool  # softmax + cross-entropy output, else sigmoid + half SSE
    target_vs_torch: float  # issue 15's targets, for whole `bpsim train` processes
    target_vs_numpy: float
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
    Workload("2-2-2 seed example, batch 1", False, 50.0, 5.0, _seed000),
    Workload("64-20-20-10 digits, batch 32", True, 9.0, 1.6, _digits),
    Workload("784-20-20-10, batch 32", True, 4.0, 1.4, _mnist_like(32)),
    Workload("784-20-20-10, batch 1", True, 12.0, 3.0, _mnist_like(1)),
]

#: A loop under test: ``run(n)`` trains about n steps and returns how many it trained.
Loop = Callable[[int], int]


def batches_of(trainer: Trainer) -> list[np.ndarray]:
    order = trainer.epoch_order(0)
    size = trainer.batch_size
    return [order[i : i + size] for i in range(0, len(order), size)]


def bpsim_run(trainer: Trainer) -> Loop:
    # (engines before run_steps called it train_steps: the profile history measures them)
    return getattr(trainer, "run_steps", None) or trainer.train_steps


def bpsim_train(trainer: Trainer) -> Loop:
    """``bpsim train``'s loop: run_epoch once per epoch (without the CLI's printing)."""

    def run(n: int) -> int:
        start = trainer.step_count
        while trainer.step_count - start < n:
            trainer.run_epoch()
        return trainer.step_count - start

    return run


def bpsim_epochs(trainer: Trainer) -> Loop:
    """``Trainer.run_epochs``: as many epochs in one call as the steps asked for fill,
    what ``bpsim train`` gets if it calls it between two progress lines (same bits)."""

    def run(n: int) -> int:
        start = trainer.step_count
        trainer.run_epochs(max(1, n // trainer.batches_per_epoch))
        return trainer.step_count - start

    return run


def textbook(trainer: Trainer, softmax: bool) -> Loop:
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

    def run(n: int) -> int:
        i = position[0]
        for _ in range(n):
            rows = batches[i]
            step(inputs[rows], targets[rows])
            i = (i + 1) % count
        position[0] = i
        return n

    return run


def pytorch(trainer: Trainer, softmax: bool) -> Loop | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
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
    if softmax:
        loss_fn = torch.nn.CrossEntropyLoss()
    else:

        def loss_fn(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # half SSE
            return 0.5 * ((out - y) ** 2).sum(dim=1).mean()

    xs = [torch.from_numpy(trainer.inputs[rows]) for rows in batches_of(trainer)]
    ys = [torch.from_numpy(trainer.targets[rows]) for rows in batches_of(trainer)]
    count = len(xs)
    position = [0]

    def run(n: int) -> int:
        i = position[0]
        for _ in range(n):
            optimizer.zero_grad()
            loss = loss_fn(model(xs[i]), ys[i])
            loss.backward()
            optimizer.step()
            i = (i + 1) % count
        position[0] = i
        return n

    return run


#: The clock: wall time (what a user waits), or this process's CPU time (``--clock cpu``:
#: less disturbed when other processes share the cores, since waiting is not counted).
CLOCK = time.perf_counter


def calibrate(run: Loop, seconds: float) -> int:
    """Steps that take about ``seconds``, after a warm-up."""
    run(200)
    n = 16
    while True:
        start = CLOCK()
        done = run(n)
        elapsed = CLOCK() - start
        if elapsed >= seconds / 4:
            return max(1, int(done * seconds / elapsed))
        n *= 4


def measure(loops: dict[str, Loop], rounds: int, seconds: float) -> dict[str, list[float]]:
    """Microseconds a step for each loop, one value per round, the loops interleaved."""
    sizes = {name: calibrate(run, seconds) for name, run in loops.items()}
    times: dict[str, list[float]] = {name: [] for name in loops}
    names = list(loops)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            start = CLOCK()
            done = loops[name](sizes[name])
            times[name].append((CLOCK() - start) / done * 1e6)
    return times


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    tenth = ordered[len(ordered) // 10]
    ninetieth = ordered[-1 - len(ordered) // 10]
    return {"median": statistics.median(values), "p10": tenth, "p90": ninetieth}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=31, help="interleaved rounds")
    parser.add_argument("--ms", type=float, default=40.0, help="milliseconds per measurement")
    parser.add_argument("--only", type=int, help="just workload N (0-3)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall", help="what to time")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")  # the textbook loop too
    try:
        import torch

        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    print(
        f"machine: {platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
        f"numpy {np.__version__}, torch {torch_version or 'not installed'} (1 thread), "
        f"{args.rounds} interleaved rounds of ~{args.ms:.0f} ms, {args.clock} clock"
    )
    results = []
    chosen = WORKLOADS if args.only is None else [WORKLOADS[args.only]]
    for work in chosen:
        loops: dict[str, Loop] = {
            "bpsim Run": bpsim_run(work.make()),
            "bpsim train": bpsim_train(work.make()),
            "bpsim epochs": bpsim_epochs(work.make()),
            "numpy": textbook(work.make(), work.softmax),
        }
        theirs = pytorch(work.make(), work.softmax)
        if theirs is not None:
            loops["pytorch"] = theirs
        times = measure(loops, args.rounds, args.ms / 1000)
        stats = {name: summary(values) for name, values in times.items()}
        print(f"\n{work.name}")
        for name, st in stats.items():
            print(
                f"  {name:<12} {st['median']:8.1f} µs/step"
                f"  (p10 {st['p10']:.1f}, p90 {st['p90']:.1f})"
            )
        row: dict[str, object] = {"workload": work.name, "us_per_step": stats}
        for ours in ("bpsim Run", "bpsim train", "bpsim epochs"):
            median = stats[ours]["median"]
            vs_numpy = stats["numpy"]["median"] / median
            line = f"  {ours:<12} ×numpy {vs_numpy:5.2f} (target {work.target_vs_numpy})"
            row[f"{ours} vs numpy"] = vs_numpy
            if "pytorch" in stats:
                vs_torch = stats["pytorch"]["median"] / median
                line += f"   ×pytorch {vs_torch:5.1f} (target {work.target_vs_torch})"
                row[f"{ours} vs pytorch"] = vs_torch
            print(line, flush=True)
        results.append(row)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(
                {"date": time.strftime("%Y-%m-%d"), "torch": torch_version, "results": results},
                handle,
                indent=2,
            )


if __name__ == "__main__":
    main()
