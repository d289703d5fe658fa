"""Semantic fuzzing: valid lessons with extreme but legal values (learning rates near the
float limits, huge weight decay, betas a hair below 1, eps 0, wild inputs) never lose a
run: train, save, reopen always works, and the reopened weights are the trained ones.

Bounded for CI (a few seconds): a fixed number of examples, derandomized, no database,
so every run tries the same lessons.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsim.core.optimizers import _RANGES
from bpsim.core.spec import OPTIMIZER_DEFAULTS
from bpsim.core.trainer import DivergenceError
from bpsim.lessons.files import save_trainer, trainer_from_lesson_file, trainer_from_text

BOUNDED = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HUGE = 1.7976931348623157e308
EXTREME = [0.0, 5e-324, 1e-300, 1e-8, 0.5, 1.0, 3.0, 1e8, 1e300, HUGE]
UNIT = [0.0, 1e-300, 0.5, 0.9, 0.999999999, 1.0 - 2**-53, 1.0]
UNIT_OPEN = [0.0, 1e-300, 0.5, 0.9, 0.999999999, 1.0 - 2**-53]


def _value(rule: str | None) -> st.SearchStrategy[float]:
    if rule == "unit":
        return st.sampled_from(UNIT) | st.floats(0.0, 1.0)
    if rule == "unit_open":
        return st.sampled_from(UNIT_OPEN) | st.floats(0.0, 1.0, exclude_max=True)
    return st.sampled_from(EXTREME) | st.floats(0.0, HUGE)


@st.composite
def optimizers(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(OPTIMIZER_DEFAULTS)))
    out: dict[str, Any] = {"name": name}
    for key, default in OPTIMIZER_DEFAULTS[name].items():
        if isinstance(default, bool):
            out[key] = draw(st.booleans())
        elif default is None or draw(st.booleans()):
            out[key] = draw(_value(_RANGES[name].get(key)))
    if name == "sgd" and out.get("nesterov"):
        out["momentum"] = max(out.get("momentum", 0.0), 0.5)
        out["dampening"] = 0.0
    return out


NUMBERS = st.sampled_from([0.0, 1.0, -1.0, 1e-300, -1e300, 1e300, 1e154, 0.5])


@st.composite
def lessons(draw: st.DrawFn) -> dict[str, Any]:
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=4))
    output = draw(st.sampled_from(["sigmoid", "tanh", "relu", "linear", "softmax"]))
    loss = {
        "softmax": "cross_entropy",
        "sigmoid": draw(st.sampled_from(["mse", "half_sse", "binary_cross_entropy"])),
    }.get(output, draw(st.sampled_from(["mse", "half_sse"])))
    layers: list[dict[str, Any]] = [{"size": sizes[0]}]
    for k, size in enumerate(sizes[1:], start=1):
        layers.append(
            {
                "size": size,
                "activation": output
                if k == len(sizes) - 1
                else draw(st.sampled_from(["sigmoid", "tanh", "relu", "leaky_relu", "linear"])),
                "bias": draw(st.sampled_from(["per_neuron", "shared", "none"])),
            }
        )
    rows = draw(st.integers(1, 6))
    inputs = [[draw(NUMBERS) for _ in range(sizes[0])] for _ in range(rows)]
    if loss in ("binary_cross_entropy", "cross_entropy"):
        targets = [
            [draw(st.sampled_from([0.0, 1.0])) for _ in range(sizes[-1])] for _ in range(rows)
        ]
    else:
        targets = [[draw(NUMBERS) for _ in range(sizes[-1])] for _ in range(rows)]
    batch = draw(st.sampled_from(["full", 1, 2, 1000]))
    return {
        "format": "bpsim",
        "version": 1,
        "name": draw(st.text(max_size=8)),
        "layers": layers,
        "init": {
            "method": draw(st.sampled_from(["xavier_uniform", "he_normal", "zeros"])),
            "seed": draw(st.integers(0, 2**64 - 1)),
        },
        "loss": loss,
        "optimizer": draw(optimizers()),
        "training": {
            "batch_size": batch,
            "shuffle": draw(st.booleans()),
            "seed": draw(st.integers(0, 10)),
            "validation_fraction": draw(st.sampled_from([0.0, 0.25, 0.5])),
        },
        "dataset": {"inputs": inputs, "targets": targets},
    }


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@BOUNDED
@given(doc=lessons(), steps=st.integers(1, 12))
def test_train_save_reopen_never_loses_the_run(doc: dict[str, Any], steps: int) -> None:
    trainer = trainer_from_text(json.dumps(doc))
    # after a divergence the trainer keeps the last finite state: that is what must be saved
    with contextlib.suppress(DivergenceError):
        trainer.run_steps(steps)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "run.bpsim"
        notes = save_trainer(trainer, path)
        again = trainer_from_lesson_file(path)
        assert _same(again.network.parameter_arrays(), trainer.network.parameter_arrays())
        if not notes:  # everything written: the run goes on exactly where it was
            assert (again.epoch, again.step_count, again.batch_index) == (
                trainer.epoch,
                trainer.step_count,
                trainer.batch_index,
            )
        # and what was saved can be trained and saved again
        with contextlib.suppress(DivergenceError):
            again.run_steps(1)
        save_trainer(again, path)
        trainer_from_lesson_file(path)
