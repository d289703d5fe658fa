"""The optimizers: update rules worked out by hand, the propose/commit protocol, saving,
rewinding, hyper-parameter checks, and (when PyTorch is installed) PyTorch itself.

The hand computations below are written in PyTorch's operation order, so they must agree
with the engine bit for bit: every comparison with them is exact.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpsim.core.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Optimizer,
    OptimizerStateError,
    RMSprop,
    hyper_problems,
    make_optimizer,
)
from bpsim.core.spec import OPTIMIZER_DEFAULTS, OptimizerSpec


def build(name: str, shapes: Sequence[tuple[int, ...]], **given: float | bool) -> Optimizer:
    if name == "sgd":
        given.setdefault("learning_rate", 0.1)
    return make_optimizer(OptimizerSpec.with_defaults(name, **given), shapes)


def run_scalar(name: str, p0: float, grads: Sequence[float], **given: float | bool) -> list[float]:
    """The value of a one-element parameter after each update."""
    opt = build(name, [(1,)], **given)
    p = np.array([p0])
    delta = np.empty(1)
    out = []
    for g in grads:
        opt.propose([p], [np.array([g])], [True], [delta])
        p += delta
        opt.commit()
        out.append(float(p[0]))
    return out


def lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp for Python floats: two formulas, switched at |weight| = 0.5."""
    if abs(weight) < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1 - weight)


def train(
    opt: Optimizer,
    params: list[np.ndarray],
    grads: Sequence[Sequence[np.ndarray]],
    trainable: Sequence[bool] | None = None,
) -> None:
    """Apply one propose/commit per gradient list, updating ``params`` in place."""
    deltas = [np.empty_like(p) for p in params]
    mask = [True] * len(params) if trainable is None else list(trainable)
    for step_grads in grads:
        opt.propose(params, step_grads, mask, deltas)
        for p, d in zip(params, deltas, strict=True):
            p += d
        opt.commit()


def random_grads(
    shapes: Sequence[tuple[int, ...]], steps: int, seed: int
) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [[rng.standard_normal(s) for s in shapes] for _ in range(steps)]


def assert_same_state(a: Optimizer, b: Optimizer) -> None:
    assert a.steps() == b.steps()
    assert a.state_dict() == b.state_dict()


# Every optimizer with every option switched on at least once.
CONFIGS: list[tuple[str, dict[str, float | bool]]] = [
    ("sgd", {"learning_rate": 0.1}),
    ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("sgd", {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("adagrad", {}),
    ("adagrad", {"lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 0.3}),
    ("rmsprop", {}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"momentum": 0.8, "weight_decay": 0.02}),
    ("rmsprop", {"momentum": 0.5, "centered": True, "alpha": 0.3}),
    ("adam", {}),
    ("adam", {"amsgrad": True, "weight_decay": 0.1}),
    ("adam", {"beta1": 0.2, "beta2": 0.6, "learning_rate": 0.1}),
    ("adam", {"beta1": 0.5, "amsgrad": True}),
    ("adadelta", {}),
    ("adadelta", {"rho": 0.5, "weight_decay": 0.1, "learning_rate": 0.5}),
]
CONFIG_IDS = [f"{name}-{'-'.join(given) or 'defaults'}" for name, given in CONFIGS]
SHAPES: list[tuple[int, ...]] = [(3, 2), (3,), (1, 3), (0,), (1,)]


# --------------------------------------------------------------------------- by hand


def test_sgd_plain() -> None:
    p1 = 1.5 + -0.1 * 0.5
    p2 = p1 + -0.1 * -0.25
    assert run_scalar("sgd", 1.5, [0.5, -0.25], learning_rate=0.1) == [p1, p2]
    assert p2 == pytest.approx(1.475)


def test_sgd_momentum_dampening() -> None:
    # the buffer is a copy of the first gradient, undamped; dampening applies afterwards
    b1 = 0.5
    p1 = 1.0 + -0.1 * b1
    b2 = b1 * 0.9 + (1 - 0.3) * -0.2
    p2 = p1 + -0.1 * b2
    b3 = b2 * 0.9 + (1 - 0.3) * 0.1
    p3 = p2 + -0.1 * b3
    got = run_scalar("sgd", 1.0, [0.5, -0.2, 0.1], learning_rate=0.1, momentum=0.9, dampening=0.3)
    assert got == [p1, p2, p3]
    assert b2 == pytest.approx(0.31)


def test_sgd_nesterov_weight_decay() -> None:
    g1 = 0.5 + 0.01 * 2.0
    b1 = g1
    p1 = 2.0 + -0.1 * (g1 + 0.9 * b1)
    g2 = -0.2 + 0.01 * p1
    b2 = b1 * 0.9 + g2
    p2 = p1 + -0.1 * (g2 + 0.9 * b2)
    got = run_scalar(
        "sgd", 2.0, [0.5, -0.2], learning_rate=0.1, momentum=0.9, nesterov=True, weight_decay=0.01
    )
    assert got == [p1, p2]


def test_adagrad_defaults() -> None:
    s1 = 0.0 + 0.4 * 0.4
    p1 = 1.0 + (-0.01 * 0.4) / (math.sqrt(s1) + 1e-10)
    s2 = s1 + -0.3 * -0.3
    p2 = p1 + (-0.01 * -0.3) / (math.sqrt(s2) + 1e-10)
    assert run_scalar("adagrad", 1.0, [0.4, -0.3]) == [p1, p2]
    # the first step of Adagrad moves by the learning rate, whatever the gradient's size
    assert p1 == pytest.approx(0.99)


def test_adagrad_lr_decay_initial_accumulator_weight_decay() -> None:
    lr, decay, wd, s = 0.1, 0.5, 0.2, 0.3
    p = 1.0
    expected = []
    for step, grad in enumerate([0.4, -0.3, 0.2], start=1):
        g = grad + wd * p
        clr = lr / (1 + (step - 1) * decay)
        s = s + g * g
        p = p + (-clr * g) / (math.sqrt(s) + 1e-10)
        expected.append(p)
    got = run_scalar(
        "adagrad",
        1.0,
        [0.4, -0.3, 0.2],
        learning_rate=lr,
        lr_decay=decay,
        weight_decay=wd,
        initial_accumulator_value=0.3,
    )
    assert got == expected


def test_rmsprop_plain() -> None:
    v1 = 0.0 * 0.99 + ((1 - 0.99) * 0.5) * 0.5
    p1 = 1.0 + (-0.01 * 0.5) / (math.sqrt(v1) + 1e-8)
    v2 = v1 * 0.99 + ((1 - 0.99) * -0.2) * -0.2
    p2 = p1 + (-0.01 * -0.2) / (math.sqrt(v2) + 1e-8)
    assert run_scalar("rmsprop", 1.0, [0.5, -0.2]) == [p1, p2]
    assert p1 == pytest.approx(0.9, rel=1e-6)  # first step: lr / sqrt(1 - alpha)


def test_rmsprop_centered() -> None:
    w = 1 - 0.99  # lerp weight below 0.5: the first formula
    v1 = 0.0 * 0.99 + ((1 - 0.99) * 0.5) * 0.5
    a1 = lerp(0.0, 0.5, w)
    assert a1 == 0.0 + w * (0.5 - 0.0)
    p1 = 1.0 + (-0.01 * 0.5) / (math.sqrt(v1 - a1 * a1) + 1e-8)
    v2 = v1 * 0.99 + ((1 - 0.99) * -0.2) * -0.2
    a2 = lerp(a1, -0.2, w)
    p2 = p1 + (-0.01 * -0.2) / (math.sqrt(v2 - a2 * a2) + 1e-8)
    assert run_scalar("rmsprop", 1.0, [0.5, -0.2], centered=True) == [p1, p2]


def test_rmsprop_momentum_weight_decay() -> None:
    lr, m, wd = 0.01, 0.8, 0.02
    g1 = 0.5 + wd * 1.0
    v1 = 0.0 * 0.99 + ((1 - 0.99) * g1) * g1
    b1 = 0.0 * m + g1 / (math.sqrt(v1) + 1e-8)
    p1 = 1.0 + -lr * b1
    g2 = -0.2 + wd * p1
    v2 = v1 * 0.99 + ((1 - 0.99) * g2) * g2
    b2 = b1 * m + g2 / (math.sqrt(v2) + 1e-8)
    p2 = p1 + -lr * b2
    got = run_scalar("rmsprop", 1.0, [0.5, -0.2], momentum=m, weight_decay=wd)
    assert got == [p1, p2]


def test_rmsprop_centered_momentum_large_lerp_weight() -> None:
    alpha, m, lr = 0.3, 0.5, 0.01
    w = 1 - alpha  # 0.7: lerp's second formula
    v = a = b = 0.0
    p = 1.0
    expected = []
    for g in [0.5, -0.2, 0.3]:
        v = v * alpha + ((1 - alpha) * g) * g
        a = g - (g - a) * (1 - w)
        b = b * m + g / (math.sqrt(v - a * a) + 1e-8)
        p = p + -lr * b
        expected.append(p)
    got = run_scalar("rmsprop", 1.0, [0.5, -0.2, 0.3], alpha=alpha, momentum=m, centered=True)
    assert got == expected


def test_adam_defaults() -> None:
    lr, b1, b2, eps = 0.001, 0.9, 0.999, 1e-8
    p = 1.0
    m = v = 0.0
    expected = []
    for t, g in enumerate([0.5, -0.2, 0.3], start=1):
        m = m + (1 - b1) * (g - m)
        v = v * b2 + ((1 - b2) * g) * g
        step_size = lr / (1 - b1**t)
        denom = math.sqrt(v) / (1 - b2**t) ** 0.5 + eps
        p = p + (-step_size * m) / denom
        expected.append(p)
    got = run_scalar("adam", 1.0, [0.5, -0.2, 0.3])
    assert got == expected
    assert got[0] == pytest.approx(1.0 - 0.001)  # Adam's first step: lr against the sign


def test_adam_amsgrad_weight_decay() -> None:
    lr, b1, b2, eps, wd = 0.001, 0.9, 0.5, 1e-8, 0.1
    p = 1.0
    m = v = v_max = 0.0
    expected = []
    for t, grad in enumerate([2.0, 0.1, 0.1], start=1):  # shrinking: the maximum matters
        g = grad + wd * p
        m = m + (1 - b1) * (g - m)
        v = v * b2 + ((1 - b2) * g) * g
        v_max = max(v_max, v)
        denom = math.sqrt(v_max) / (1 - b2**t) ** 0.5 + eps
        p = p + (-(lr / (1 - b1**t)) * m) / denom
        expected.append(p)
    assert v_max > v
    got = run_scalar("adam", 1.0, [2.0, 0.1, 0.1], beta2=b2, amsgrad=True, weight_decay=wd)
    assert got == expected


def test_adam_large_lerp_weight() -> None:
    lr, b1, b2, eps = 0.1, 0.2, 0.6, 1e-8
    p = 1.0
    m = v = 0.0
    expected = []
    for t, g in enumerate([0.5, -0.2, 0.3], start=1):
        m = g - (g - m) * (1 - (1 - b1))  # weight 0.8: lerp's second formula
        v = v * b2 + ((1 - b2) * g) * g
        denom = math.sqrt(v) / (1 - b2**t) ** 0.5 + eps
        p = p + (-(lr / (1 - b1**t)) * m) / denom
        expected.append(p)
    got = run_scalar("adam", 1.0, [0.5, -0.2, 0.3], learning_rate=lr, beta1=b1, beta2=b2)
    assert got == expected


def test_adadelta_defaults() -> None:
    rho, eps = 0.9, 1e-6
    v = u = 0.0
    p = 1.0
    expected = []
    for g in [0.5, -0.2, 0.3]:
        v = v * rho + ((1 - rho) * g) * g
        d = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = u * rho + ((1 - rho) * d) * d
        p = p + -1.0 * d
        expected.append(p)
    assert run_scalar("adadelta", 1.0, [0.5, -0.2, 0.3]) == expected


def test_adadelta_weight_decay() -> None:
    rho, eps, lr, wd = 0.5, 1e-6, 0.5, 0.1
    v = u = 0.0
    p = 1.0
    expected = []
    for grad in [0.5, -0.2, 0.3]:
        g = grad + wd * p
        v = v * rho + ((1 - rho) * g) * g
        d = math.sqrt(u + eps) / math.sqrt(v + eps) * g
        u = u * rho + ((1 - rho) * d) * d
        p = p + -lr * d
        expected.append(p)
    got = run_scalar("adadelta", 1.0, [0.5, -0.2, 0.3], rho=rho, learning_rate=lr, weight_decay=wd)
    assert got == expected


def test_weight_decay_applies_to_biases_too() -> None:
    opt = build("sgd", [(1, 1), (1,)], learning_rate=0.5, weight_decay=0.1)
    params = [np.array([[2.0]]), np.array([3.0])]
    train(opt, params, [[np.zeros((1, 1)), np.zeros(1)]])
    assert params[0][0, 0] == 2.0 + -0.5 * (0.0 + 0.1 * 2.0)
    assert params[1][0] == 3.0 + -0.5 * (0.0 + 0.1 * 3.0)


def test_elementwise_on_matrices() -> None:
    """Each element follows the scalar rule on its own."""
    grads = [np.array([[0.5, -0.2], [0.3, 1.5]]), np.array([[-0.1, 0.4], [0.0, -2.0]])]
    opt = build("adam", [(2, 2)], amsgrad=True)
    params = [np.array([[1.0, -1.0], [0.5, 2.0]])]
    train(opt, params, [[g] for g in grads])
    for r in range(2):
        for c in range(2):
            alone = run_scalar(
                "adam", [1.0, -1.0, 0.5, 2.0][2 * r + c], [g[r, c] for g in grads], amsgrad=True
            )
            assert params[0][r, c] == alone[-1]


# --------------------------------------------------------------------------- protocol


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_propose_without_commit_changes_nothing(name: str, given: dict) -> None:
    opt = build(name, SHAPES, **given)
    params = [np.ones(s) for s in SHAPES]
    train(opt, params, random_grads(SHAPES, 2, seed=1))
    before = copy.deepcopy(opt.state_dict())
    params_before = [p.copy() for p in params]
    grads = random_grads(SHAPES, 1, seed=2)[0]
    grads_before = [g.copy() for g in grads]
    deltas = [np.empty(s) for s in SHAPES]
    opt.propose(params, grads, [True] * len(SHAPES), deltas)
    first = [d.copy() for d in deltas]
    assert opt.state_dict() == before
    assert opt.steps() == [2] * len(SHAPES)
    for a, b in zip(params, params_before, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(grads, grads_before, strict=True):
        np.testing.assert_array_equal(a, b)
    # a second proposal starts again from the same state, so it proposes the same Δ
    opt.propose(params, grads, [True] * len(SHAPES), deltas)
    for a, b in zip(deltas, first, strict=True):
        np.testing.assert_array_equal(a, b)
    opt.commit()
    assert opt.steps() == [3] * len(SHAPES)


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_refused_step_is_the_same_as_no_step(name: str, given: dict) -> None:
    a = build(name, SHAPES, **given)
    b = build(name, SHAPES, **given)
    pa = [np.ones(s) for s in SHAPES]
    pb = [np.ones(s) for s in SHAPES]
    grads = random_grads(SHAPES, 3, seed=3)
    train(a, pa, grads[:1])
    train(b, pb, grads[:1])
    a.propose(pa, grads[1], [True] * len(SHAPES), [np.empty(s) for s in SHAPES])  # refused
    train(a, pa, grads[2:])
    train(b, pb, grads[2:])
    assert_same_state(a, b)
    for x, y in zip(pa, pb, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_commit_advances(name: str, given: dict) -> None:
    opt = build(name, SHAPES, **given)
    params = [np.ones(s) for s in SHAPES]
    start = opt.state_dict()
    train(opt, params, random_grads(SHAPES, 1, seed=4))
    assert opt.steps() == [1] * len(SHAPES)
    after = opt.state_dict()
    changed = [key for key in opt.buffer_names() if after[key] != start[key]]
    assert changed == list(opt.buffer_names())


def test_commit_needs_a_proposal() -> None:
    opt = build("adam", [(2,)])
    with pytest.raises(RuntimeError):
        opt.commit()
    opt.propose([np.zeros(2)], [np.ones(2)], [True], [np.empty(2)])
    opt.commit()
    with pytest.raises(RuntimeError):
        opt.commit()  # a second commit would swap the old state back


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_frozen_parameter_is_untouched(name: str, given: dict) -> None:
    shapes = [(2, 2), (2,)]
    opt = build(name, shapes, **given)
    params = [np.full((2, 2), 0.5), np.full(2, -0.5)]
    deltas = [np.full((2, 2), 7.0), np.full(2, 7.0)]
    grads = random_grads(shapes, 3, seed=5)
    for g in grads[:2]:
        opt.propose(params, g, [True, False], deltas)
        np.testing.assert_array_equal(deltas[1], 0.0)
        params[0] += deltas[0]
        opt.commit()
    assert opt.steps() == [2, 0]
    fresh = build(name, [(2,)], **given)
    for key, arrays in opt.buffers().items():
        np.testing.assert_array_equal(arrays[1], fresh.buffers()[key][0])
    # unfrozen, it starts exactly as a fresh optimizer would
    train(opt, params, [grads[2]])
    alone = [np.full(2, -0.5)]
    train(fresh, alone, [[grads[2][1]]])
    np.testing.assert_array_equal(params[1], alone[0])
    assert opt.steps() == [3, 1]


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_empty_parameters(name: str, given: dict) -> None:
    shapes = [(0,), (2,), (0,)]
    opt = build(name, shapes, **given)
    params = [np.zeros(0), np.ones(2), np.zeros(0)]
    train(opt, params, random_grads(shapes, 2, seed=6))
    assert opt.steps() == [2, 2, 2]
    state = json.loads(json.dumps(opt.state_dict()))
    for key in opt.buffer_names():
        assert state[key][0] == [] and state[key][2] == []
    other = build(name, shapes, **given)
    other.load_state_dict(state)
    assert_same_state(opt, other)


def test_non_finite_delta_is_reported_in_delta() -> None:
    """A non-finite gradient gives a non-finite Δ for the caller to refuse (the trainer
    runs propose under np.errstate, as this test does)."""
    opt = build("adam", [(2,)])
    deltas = [np.empty(2)]
    with np.errstate(all="ignore"):
        opt.propose([np.zeros(2)], [np.array([np.inf, 1.0])], [True], deltas)
    assert not np.isfinite(deltas[0][0])
    assert opt.steps() == [0]


def test_hyper_changes_apply_from_the_next_update() -> None:
    opt = build("sgd", [(1,)], learning_rate=0.1)
    params = [np.array([1.0])]
    train(opt, params, [[np.array([1.0])]])
    opt.hyper["learning_rate"] = 0.5
    train(opt, params, [[np.array([1.0])]])
    assert params[0][0] == (1.0 + -0.1 * 1.0) + -0.5 * 1.0


def test_sgd_buffer_appears_with_momentum() -> None:
    """As in PyTorch, the buffer starts as a copy of the gradient the first time momentum is
    on, even after plain steps; until then it is saved as null."""
    opt = build("sgd", [(1,), (1,)], learning_rate=0.1, dampening=0.5)
    params = [np.array([1.0]), np.array([1.0])]
    train(opt, params, [[np.array([0.4]), np.array([0.4])]])
    assert opt.buffer_names() == ()
    opt.hyper["momentum"] = 0.9
    assert opt.buffer_names() == ("momentum_buffer",)
    assert opt.state_dict()["momentum_buffer"] == [None, None]
    train(opt, params, [[np.array([0.2]), np.array([0.2])]], trainable=[True, False])
    state = opt.state_dict()
    assert state["momentum_buffer"] == [[0.2], None]
    assert params[0][0] == (1.0 + -0.1 * 0.4) + -0.1 * 0.2
    again = build("sgd", [(1,), (1,)], learning_rate=0.1, dampening=0.5, momentum=0.9)
    again.load_state_dict(json.loads(json.dumps(state)))
    assert_same_state(opt, again)


def test_adagrad_initial_value_can_change_before_the_first_step() -> None:
    opt = build("adagrad", [(1,)])
    opt.hyper["initial_accumulator_value"] = 0.3
    assert opt.buffers()["sum"][0][0] == 0.3
    params = [np.array([1.0])]
    train(opt, params, [[np.array([0.4])]])
    assert params[0][0] == 1.0 + (-0.01 * 0.4) / (math.sqrt(0.3 + 0.4 * 0.4) + 1e-10)


def test_buffer_names() -> None:
    assert build("sgd", [(1,)]).buffer_names() == ()
    assert build("sgd", [(1,)], momentum=0.5).buffer_names() == ("momentum_buffer",)
    assert build("adagrad", [(1,)]).buffer_names() == ("sum",)
    assert build("rmsprop", [(1,)]).buffer_names() == ("square_avg",)
    assert build("rmsprop", [(1,)], centered=True, momentum=0.1).buffer_names() == (
        "square_avg",
        "grad_avg",
        "momentum_buffer",
    )
    assert build("adam", [(1,)]).buffer_names() == ("exp_avg", "exp_avg_sq")
    assert build("adam", [(1,)], amsgrad=True).buffer_names() == (
        "exp_avg",
        "exp_avg_sq",
        "max_exp_avg_sq",
    )
    assert build("adadelta", [(1,)]).buffer_names() == ("square_avg", "acc_delta")


def test_make_optimizer_classes() -> None:
    expected = {"sgd": SGD, "adagrad": Adagrad, "rmsprop": RMSprop, "adam": Adam}
    expected["adadelta"] = Adadelta
    for name, cls in expected.items():
        opt = build(name, [(1,)])
        assert type(opt) is cls and opt.name == name
        assert set(opt.hyper) == set(OPTIMIZER_DEFAULTS[name])
    with pytest.raises(ValueError, match="rho"):
        Adadelta({"rho": 2.0}, [(1,)])
    with pytest.raises(ValueError, match="unknown optimizer"):
        make_optimizer(OptimizerSpec("adamw", {}), [(1,)])


# --------------------------------------------------------------------------- saving, rewinding


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_state_dict_json_round_trip(name: str, given: dict) -> None:
    grads = random_grads(SHAPES, 6, seed=7)
    trainable = [True, False, True, True, True]
    a = build(name, SHAPES, **given)
    pa = [np.ones(s) for s in SHAPES]
    train(a, pa, grads[:3], trainable)
    text = json.dumps(a.state_dict())
    b = build(name, SHAPES, **given)
    b.load_state_dict(json.loads(text))
    assert b.state_dict() == a.state_dict()
    pb = [p.copy() for p in pa]
    train(a, pa, grads[3:])
    train(b, pb, grads[3:])
    for x, y in zip(pa, pb, strict=True):
        np.testing.assert_array_equal(x, y)
    assert_same_state(a, b)


def test_state_dict_is_plain_data() -> None:
    opt = build("adam", [(2, 1), (1,)], amsgrad=True)
    train(opt, [np.ones((2, 1)), np.ones(1)], random_grads([(2, 1), (1,)], 1, seed=8))
    state = opt.state_dict()
    assert set(state) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert state["step"] == [1, 1] and all(type(s) is int for s in state["step"])
    entry = state["exp_avg"][0]
    assert isinstance(entry, list) and len(entry) == 2 and type(entry[0][0]) is float


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_snapshot_restore(name: str, given: dict) -> None:
    grads = random_grads(SHAPES, 6, seed=9)
    opt = build(name, SHAPES, **given)
    params = [np.ones(s) for s in SHAPES]
    train(opt, params, grads[:2])
    snap = opt.snapshot()
    saved_params = [p.copy() for p in params]
    train(opt, params, grads[2:])
    first_run = [p.copy() for p in params]
    end_state = opt.state_dict()
    hyper = opt.hyper
    hyper["learning_rate"] = 123.0
    opt.restore(snap)
    assert opt.hyper is hyper and opt.hyper["learning_rate"] != 123.0
    params = saved_params
    train(opt, params, grads[2:])
    for x, y in zip(params, first_run, strict=True):
        np.testing.assert_array_equal(x, y)
    assert opt.state_dict() == end_state


def test_restore_refuses_foreign_snapshot() -> None:
    snap = build("adam", [(1,)]).snapshot()
    with pytest.raises(ValueError):
        build("adagrad", [(1,)]).restore(snap)
    with pytest.raises(ValueError):
        build("adam", [(2,)]).restore(snap)


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_reset(name: str, given: dict) -> None:
    grads = random_grads(SHAPES, 2, seed=10)
    opt = build(name, SHAPES, **given)
    train(opt, [np.ones(s) for s in SHAPES], grads)
    opt.reset()
    fresh = build(name, SHAPES, **given)
    assert_same_state(opt, fresh)
    pa = [np.ones(s) for s in SHAPES]
    pb = [np.ones(s) for s in SHAPES]
    train(opt, pa, grads)
    train(fresh, pb, grads)
    for x, y in zip(pa, pb, strict=True):
        np.testing.assert_array_equal(x, y)


def good_adam_state() -> dict:
    shapes = [(2,), (2, 2), (2, 2)]
    opt = build("adam", shapes)
    train(opt, [np.ones(s) for s in shapes], random_grads(shapes, 1, seed=11))
    return opt.state_dict()


@pytest.mark.parametrize(
    ("change", "place", "message"),
    [
        (
            lambda s: s["exp_avg"].__setitem__(2, [[1.0, 2.0]]),
            "exp_avg[2]",
            "expected shape (2, 2)",
        ),
        (lambda s: s["exp_avg"].__setitem__(0, [1.0, "x"]), "exp_avg[0]", "expected numbers"),
        (lambda s: s["exp_avg_sq"].__setitem__(1, [[1.0], [2.0, 3.0]]), "exp_avg_sq[1]", ""),
        (lambda s: s["exp_avg"].__setitem__(0, [1.0, math.nan]), "exp_avg[0]", "finite"),
        (lambda s: s["exp_avg"].__setitem__(0, None), "exp_avg[0]", "expected numbers"),
        (lambda s: s["exp_avg"].pop(), "exp_avg", "expected a list of 3"),
        (lambda s: s.pop("exp_avg_sq"), "exp_avg_sq", "missing"),
        (lambda s: s.__setitem__("max_exp_avg_sq", []), "max_exp_avg_sq", "unknown key"),
        (lambda s: s.__setitem__("step", [1, 1]), "step", "expected a list of 3"),
        (lambda s: s["step"].__setitem__(1, -1), "step[1]", "non-negative integer"),
        (lambda s: s["step"].__setitem__(1, 1.5), "step[1]", "non-negative integer"),
        (lambda s: s["step"].__setitem__(1, True), "step[1]", "non-negative integer"),
    ],
)
def test_load_state_dict_errors(change, place: str, message: str) -> None:
    shapes = [(2,), (2, 2), (2, 2)]
    opt = build("adam", shapes)
    train(opt, [np.ones(s) for s in shapes], random_grads(shapes, 2, seed=12))
    before = opt.state_dict()
    state = good_adam_state()
    change(state)
    with pytest.raises(OptimizerStateError) as caught:
        opt.load_state_dict(state)
    assert caught.value.place == place
    assert message in caught.value.message
    assert str(caught.value) == f"{place}: {caught.value.message}"
    assert opt.state_dict() == before  # nothing changed


def test_load_state_dict_refuses_non_mapping() -> None:
    with pytest.raises(OptimizerStateError):
        build("adam", [(1,)]).load_state_dict([1, 2])  # type: ignore[arg-type]


def test_optimizer_state_error_message() -> None:
    error = OptimizerStateError("exp_avg[2]", "expected shape (2, 2)")
    assert isinstance(error, ValueError)
    assert str(error) == "exp_avg[2]: expected shape (2, 2)"


# --------------------------------------------------------------------------- hyper-parameters


@pytest.mark.parametrize("name", list(OPTIMIZER_DEFAULTS))
def test_defaults_are_valid(name: str) -> None:
    spec = OptimizerSpec.with_defaults(name, **({"learning_rate": 0.1} if name == "sgd" else {}))
    assert hyper_problems(name, spec.hyper) == []
    assert hyper_problems(name, {"learning_rate": 0.1}) == []  # defaults may be left out


@pytest.mark.parametrize(
    ("name", "hyper", "problem"),
    [
        ("sgd", {"learning_rate": -0.1}, ("learning_rate", "must be at least 0, got -0.1")),
        (
            "sgd",
            {"learning_rate": 0.1, "momentum": -0.5},
            ("momentum", "must be at least 0, got -0.5"),
        ),
        (
            "sgd",
            {"learning_rate": 0.1, "weight_decay": -1},
            ("weight_decay", "must be at least 0, got -1"),
        ),
        (
            "sgd",
            {"learning_rate": 0.1, "nesterov": True},
            ("nesterov", "needs momentum > 0 and dampening 0"),
        ),
        (
            "sgd",
            {"learning_rate": 0.1, "nesterov": True, "momentum": 0.9, "dampening": 0.1},
            ("nesterov", "needs momentum > 0 and dampening 0"),
        ),
        ("sgd", {}, ("learning_rate", "is required (sgd has no default)")),
        ("adagrad", {"learning_rate": -1.0}, ("learning_rate", "must be at least 0, got -1.0")),
        ("adagrad", {"lr_decay": -0.1}, ("lr_decay", "must be at least 0, got -0.1")),
        ("adagrad", {"weight_decay": -0.1}, ("weight_decay", "must be at least 0, got -0.1")),
        (
            "adagrad",
            {"initial_accumulator_value": -0.1},
            ("initial_accumulator_value", "must be at least 0, got -0.1"),
        ),
        ("adagrad", {"eps": -1e-10}, ("eps", "must be at least 0, got -1e-10")),
        ("rmsprop", {"learning_rate": -0.1}, ("learning_rate", "must be at least 0, got -0.1")),
        ("rmsprop", {"alpha": -0.1}, ("alpha", "must be at least 0, got -0.1")),
        ("rmsprop", {"eps": -0.1}, ("eps", "must be at least 0, got -0.1")),
        ("rmsprop", {"momentum": -0.1}, ("momentum", "must be at least 0, got -0.1")),
        ("rmsprop", {"weight_decay": -0.1}, ("weight_decay", "must be at least 0, got -0.1")),
        ("adam", {"learning_rate": -0.1}, ("learning_rate", "must be at least 0, got -0.1")),
        ("adam", {"eps": -0.1}, ("eps", "must be at least 0, got -0.1")),
        ("adam", {"beta1": 1.0}, ("beta1", "must be in [0, 1), got 1.0")),
        ("adam", {"beta1": -0.1}, ("beta1", "must be in [0, 1), got -0.1")),
        ("adam", {"beta2": 1.0}, ("beta2", "must be in [0, 1), got 1.0")),
        ("adam", {"weight_decay": -0.1}, ("weight_decay", "must be at least 0, got -0.1")),
        ("adadelta", {"learning_rate": -0.1}, ("learning_rate", "must be at least 0, got -0.1")),
        ("adadelta", {"rho": 1.5}, ("rho", "must be between 0 and 1, got 1.5")),
        ("adadelta", {"rho": -0.5}, ("rho", "must be between 0 and 1, got -0.5")),
        ("adadelta", {"eps": -0.1}, ("eps", "must be at least 0, got -0.1")),
        ("adadelta", {"weight_decay": -0.1}, ("weight_decay", "must be at least 0, got -0.1")),
        ("adam", {"learning_rate": "fast"}, ("learning_rate", "must be a number, got 'fast'")),
        ("adam", {"eps": True}, ("eps", "must be a number, got true")),
        ("adam", {"amsgrad": 1}, ("amsgrad", "must be true or false, got 1")),
        ("rmsprop", {"centered": "yes"}, ("centered", "must be true or false, got 'yes'")),
        (
            "sgd",
            {"learning_rate": 0.1, "nesterov": None},
            ("nesterov", "must be true or false, got null"),
        ),
        (
            "adam",
            {"learning_rate": math.nan},
            ("learning_rate", "must be a finite number, got nan"),
        ),
        ("adam", {"eps": math.inf}, ("eps", "must be a finite number, got inf")),
        (
            "adam",
            {"lr": 0.1},
            (
                "lr",
                "unknown hyper-parameter 'lr'; expected one of learning_rate, beta1, beta2, eps, "
                "weight_decay, amsgrad",
            ),
        ),
    ],
)
def test_hyper_problems(name: str, hyper: dict, problem: tuple[str, str]) -> None:
    assert hyper_problems(name, hyper) == [problem]


def test_hyper_problems_accepts_what_pytorch_accepts() -> None:
    assert hyper_problems("adadelta", {"rho": 0.0}) == []
    assert hyper_problems("adadelta", {"rho": 1.0}) == []
    assert hyper_problems("adam", {"beta1": 0.0, "beta2": 0, "learning_rate": 0}) == []
    assert hyper_problems("rmsprop", {"alpha": 1.5}) == []  # PyTorch sets no upper bound
    assert hyper_problems("sgd", {"learning_rate": 1, "dampening": -0.5}) == []
    assert hyper_problems("sgd", {"learning_rate": 1, "momentum": 0.5, "nesterov": True}) == []
    assert (
        hyper_problems("adam", {"learning_rate": np.float64(0.1), "amsgrad": np.bool_(True)}) == []
    )


def test_hyper_problems_lists_every_problem() -> None:
    problems = hyper_problems("adam", {"learning_rate": -1, "beta2": 2.0, "foo": 1})
    assert [key for key, _ in problems] == ["foo", "learning_rate", "beta2"]


def test_hyper_problems_unknown_optimizer() -> None:
    assert hyper_problems("adamw", {}) == [
        ("name", "unknown optimizer 'adamw'; expected one of sgd, adagrad, rmsprop, adam, adadelta")
    ]


@settings(max_examples=60, deadline=None)
@given(
    lr=st.floats(0, 10),
    beta1=st.floats(0, 1, exclude_max=True),
    beta2=st.floats(0, 1, exclude_max=True),
    eps=st.floats(0, 1),
    weight_decay=st.floats(0, 1),
    amsgrad=st.booleans(),
    grads=st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=5),
)
def test_any_valid_adam_trains(
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    grads: list[float],
) -> None:
    """Whatever hyper_problems accepts, the optimizer takes, and save/load round-trips."""
    hyper = {
        "learning_rate": lr,
        "beta1": beta1,
        "beta2": beta2,
        "eps": eps,
        "weight_decay": weight_decay,
        "amsgrad": amsgrad,
    }
    assert hyper_problems("adam", hyper) == []
    opt = Adam(hyper, [(1,)])
    params = [np.array([0.5])]
    deltas = [np.empty(1)]
    for g in grads:
        with np.errstate(all="ignore"):
            opt.propose(params, [np.array([g])], [True], deltas)
        if np.isfinite(deltas[0]).all():
            params[0] += deltas[0]
            opt.commit()
    if all(np.isfinite(a).all() for arrays in opt.buffers().values() for a in arrays):
        other = Adam(hyper, [(1,)])
        other.load_state_dict(json.loads(json.dumps(opt.state_dict())))
        assert_same_state(opt, other)


# --------------------------------------------------------------------------- PyTorch


def _torch_optimizer(torch, name: str, hyper: Mapping[str, float | bool], params: list):
    kwargs = {("lr" if key == "learning_rate" else key): value for key, value in hyper.items()}
    if name == "adam":
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    cls = {
        "sgd": torch.optim.SGD,
        "adagrad": torch.optim.Adagrad,
        "rmsprop": torch.optim.RMSprop,
        "adam": torch.optim.Adam,
        "adadelta": torch.optim.Adadelta,
    }[name]
    return cls(params, foreach=False, **kwargs)


@pytest.mark.parametrize(("name", "given"), CONFIGS, ids=CONFIG_IDS)
def test_matches_pytorch(name: str, given: dict) -> None:
    """20 updates with random gradients, a parameter frozen for the first three, an empty
    parameter, and a learning-rate change half way.

    Not always bit-identical: PyTorch's vectorised kernels use fused multiply-adds and MKL
    square roots (see the module docstring). So the tolerance is 1e-14 relative to each
    array's largest value; an elementwise relative bound would fail for an element that a
    step happens to bring close to zero.
    """
    torch = pytest.importorskip("torch")
    shapes: list[tuple[int, ...]] = [(4, 3), (4,), (2, 4), (2,), (0,), (9,)]
    hyper = OptimizerSpec.with_defaults(name, **({"learning_rate": 0.1} | given)).hyper
    rng = np.random.default_rng(2024)
    ours = [rng.standard_normal(s) for s in shapes]
    theirs = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in ours]
    opt = make_optimizer(OptimizerSpec(name, dict(hyper)), shapes)
    reference = _torch_optimizer(torch, name, hyper, theirs)
    deltas = [np.empty(s) for s in shapes]

    def close(a: np.ndarray, b: np.ndarray) -> None:
        scale = float(np.max(np.abs(b), initial=0.0))
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-14 * scale)

    for step in range(20):
        if step == 10:
            opt.hyper["learning_rate"] = hyper["learning_rate"] / 2
            reference.param_groups[0]["lr"] = hyper["learning_rate"] / 2
        grads = [rng.standard_normal(s) for s in shapes]
        trainable = [not (step < 3 and i == 1) for i in range(len(shapes))]
        for tensor, g, on in zip(theirs, grads, trainable, strict=True):
            tensor.grad = torch.tensor(g) if on else None
        reference.step()
        opt.propose(ours, grads, trainable, deltas)
        for p, d in zip(ours, deltas, strict=True):
            p += d
        opt.commit()
        for p, tensor in zip(ours, theirs, strict=True):
            close(p, tensor.detach().numpy())
    for i, tensor in enumerate(theirs):
        state = reference.state[tensor]
        if "step" in state:
            assert opt.steps()[i] == int(state["step"])
        for key, arrays in opt.buffers().items():
            close(arrays[i], state[key].numpy())


def test_hyper_problems_agree_with_pytorch() -> None:
    torch = pytest.importorskip("torch")
    trials = [
        ("sgd", {"learning_rate": -0.1}),
        ("sgd", {"learning_rate": 0.1, "momentum": -0.1}),
        ("sgd", {"learning_rate": 0.1, "dampening": -3.0}),
        ("sgd", {"learning_rate": 0.1, "nesterov": True}),
        ("sgd", {"learning_rate": 0.1, "nesterov": True, "momentum": 0.5}),
        ("sgd", {"learning_rate": 0.1, "nesterov": True, "momentum": 0.5, "dampening": 0.5}),
        ("adagrad", {"lr_decay": -1.0}),
        ("adagrad", {"initial_accumulator_value": -1.0}),
        ("adagrad", {"eps": 0.0}),
        ("rmsprop", {"alpha": -0.1}),
        ("rmsprop", {"alpha": 1.5}),
        ("rmsprop", {"momentum": -0.1}),
        ("adam", {"beta1": 1.0}),
        ("adam", {"beta1": 0.0, "beta2": 0.0}),
        ("adam", {"beta2": -0.1}),
        ("adam", {"eps": -1.0}),
        ("adadelta", {"rho": 1.0}),
        ("adadelta", {"rho": 1.01}),
        ("adadelta", {"weight_decay": -1.0}),
    ]
    for name, overrides in trials:
        hyper = OptimizerSpec.with_defaults(name, **overrides).hyper
        ours_ok = hyper_problems(name, hyper) == []
        try:
            _torch_optimizer(torch, name, hyper, [torch.zeros(1, requires_grad=True)])
            theirs_ok = True
        except ValueError:
            theirs_ok = False
        assert ours_ok == theirs_ok, (name, overrides)
