"""explain_update repeats the optimizers' arithmetic for one number, bit for bit."""

from __future__ import annotations

from typing import Any

import pytest
from engine_lessons import random_lesson

from bpsim.core.trainer import Trainer
from bpsim.teaching.explain_update import explain_update

CASES: list[tuple[str, dict[str, Any]]] = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9, "dampening": 0.1}),
    ("sgd", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("adagrad", {"lr_decay": 0.01}),
    ("rmsprop", {}),
    ("rmsprop", {"centered": True, "momentum": 0.5}),
    ("adam", {}),
    ("adam", {"amsgrad": True, "weight_decay": 0.01}),
    ("adadelta", {}),
]


@pytest.mark.parametrize(("optimizer", "hyper"), CASES)
def test_every_parameter_moves_exactly_as_the_optimizer_moves_it(
    optimizer: str, hyper: dict[str, Any]
) -> None:
    trainer = Trainer(
        random_lesson([3, 4, 2], ["tanh", "sigmoid"], "mse", optimizer=optimizer, **hyper)
    )
    for _ in range(3):  # the state is not trivial after a few steps
        trainer.forward()
        trainer.backward()
        runner = trainer.optimizer
        before = [a.copy() for a in trainer.network.parameter_arrays()]
        grads = [g.copy() for g in trainer.gradients()]
        buffers = {n: [a.copy() for a in arrays] for n, arrays in runner.buffers().items()}
        steps = runner.steps()
        saved = runner.state_dict().get("momentum_buffer")
        hyper_now = dict(runner.hyper)
        trainer.update()
        after = trainer.network.parameter_arrays()
        new_buffers = runner.buffers()
        for array, (b, g, a) in enumerate(zip(before, grads, after, strict=True)):
            for flat in range(b.size):
                state = {n: float(v[array].reshape(-1)[flat]) for n, v in buffers.items()}
                has_buffer = saved is None or saved[array] is not None
                explained = explain_update(
                    optimizer,
                    hyper_now,
                    "p",
                    float(b.reshape(-1)[flat]),
                    float(g.reshape(-1)[flat]),
                    state,
                    steps[array] + 1,
                    has_buffer,
                )
                assert explained.after == float(a.reshape(-1)[flat])
                assert explained.delta == float(trainer.last_update[array].reshape(-1)[flat])
                for name, value in explained.new_state.items():
                    assert value == float(new_buffers[name][array].reshape(-1)[flat]), name


def test_plain_gradient_descent_is_one_line_with_the_seed_numbers() -> None:
    explained = explain_update(
        "sgd", {"learning_rate": 0.01}, "w5", 0.18, 0.0729519972006264, {}, 1
    )
    assert explained.plain_sgd
    (line,) = explained.lines
    assert line.formula == "w5 − η·∂E/∂w5"
    assert line.numbers == "0.18 − 0.01 × 0.072952"
    assert round(line.value, 6) == 0.17927
    assert explained.after == 0.18 + 0.0729519972006264 * -0.01


def test_an_unknown_optimizer_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        explain_update("lbfgs", {"learning_rate": 1.0}, "w", 0.0, 0.0, {}, 1)
