"""One parameter's update written out with its optimizer's own rule and state, as data.

:func:`explain_update` repeats, for a single number, exactly the operations
:mod:`bpsim.core.optimizers` performs on the arrays (the same order, the same roundings:
Python floats are IEEE doubles as NumPy's are), so its ``after`` is bit for bit the value
the trainer's update gives. Each intermediate is returned as a line with its symbolic
formula, the formula with the numbers put in (formula text, as :mod:`bpsim.teaching.
formulas` typesets it: fractions stacked, ^{…} raised), and its value, for the window's
inspector and quiz; the arithmetic lives here so that the views only format.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from bpsim.text import fmt, fmtp


def _frac(numerator: str, denominator: str) -> str:
    """A fraction in formula text (the mark :func:`bpsim.teaching.formulas.frac` writes;
    spelt out here because the formulas package imports this module)."""
    return "\\frac{" + numerator + "}{" + denominator + "}"


@dataclass
class UpdateLine:
    """One formula of the update: ``symbol = formula = numbers = value``."""

    symbol: str
    formula: str
    numbers: str
    value: float


@dataclass
class UpdateExplanation:
    """How one parameter moves in one update: its value, gradient, the optimizer's state
    before (``state``) and after (``new_state``), the lines in between, Δ and the result."""

    name: str
    optimizer: str
    before: float
    gradient: float
    step: int  # the optimizer's step count t after this update
    state: dict[str, float]
    new_state: dict[str, float] = field(default_factory=dict)
    lines: list[UpdateLine] = field(default_factory=list)
    delta: float = 0.0
    after: float = 0.0

    @property
    def plain_sgd(self) -> bool:
        """Plain gradient descent: the update is just p ← p − η·∂E/∂p."""
        return self.optimizer == "sgd" and len(self.lines) == 1


def _lerp(start: float, end: float, weight: float) -> float:
    """torch.lerp on one number, with PyTorch's switch of formula at 0.5."""
    d = end - start
    if abs(weight) < 0.5:
        return start + d * weight
    return end - d * (1.0 - weight)


def explain_update(
    optimizer: str,
    hyper: Mapping[str, float | bool],
    name: str,
    value: float,
    gradient: float,
    state: Mapping[str, float],
    step: int,
    has_momentum_buffer: bool = True,
) -> UpdateExplanation:
    """The update of one parameter ``name`` (value ``value``, gradient ``gradient``) by
    ``optimizer`` with hyper-parameters ``hyper``, from its ``state`` before the update
    (buffer name → this parameter's entry) at step count ``step`` after it.

    ``has_momentum_buffer``: SGD with momentum has no buffer before its first momentum
    update (PyTorch's rule), and then starts it from the gradient itself.
    """
    value, gradient = float(value), float(gradient)
    out = UpdateExplanation(name, optimizer, value, gradient, int(step), dict(state))
    lines = out.lines
    p = name
    lr = float(hyper["learning_rate"])
    g = gradient
    grad_symbol = f"∂E/∂{p}"
    weight_decay = float(hyper.get("weight_decay", 0.0))
    if weight_decay != 0:
        decay = value * weight_decay
        g = gradient + decay
        lines.append(
            UpdateLine(
                "g",
                f"∂E/∂{p} + λ·{p}",
                f"{fmtp(gradient)} + {fmt(weight_decay)} × {fmtp(value)}",
                g,
            )
        )
        grad_symbol = "g"

    if optimizer == "sgd":
        delta = _sgd(out, hyper, lr, g, grad_symbol, has_momentum_buffer)
    elif optimizer == "adagrad":
        delta = _adagrad(out, hyper, lr, g, grad_symbol)
    elif optimizer == "rmsprop":
        delta = _rmsprop(out, hyper, lr, g, grad_symbol)
    elif optimizer == "adam":
        delta = _adam(out, hyper, lr, g, grad_symbol)
    elif optimizer == "adadelta":
        delta = _adadelta(out, hyper, lr, g, grad_symbol)
    else:
        raise ValueError(f"unknown optimizer {optimizer!r}")
    out.delta = delta
    out.after = value + delta
    return out


def _sgd(
    out: UpdateExplanation,
    hyper: Mapping[str, float | bool],
    lr: float,
    g: float,
    grad_symbol: str,
    has_buffer: bool,
) -> float:
    p = out.name
    momentum = float(hyper.get("momentum", 0.0))
    if momentum == 0:
        delta = g * -lr
        after = out.before + delta
        out.lines.append(
            UpdateLine(
                p,
                f"{p} − η·{grad_symbol}",
                f"{fmtp(out.before)} − {fmt(lr)} × {fmtp(g)}",
                after,
            )
        )
        return delta
    keep = 1.0 - float(hyper.get("dampening", 0.0))
    if has_buffer:
        old = float(out.state.get("momentum_buffer", 0.0))
        buf = old * momentum
        if keep == 1.0:
            buf = buf + g
            formula, numbers = f"μ·b + {grad_symbol}", f"{fmt(momentum)} × {fmtp(old)} + {fmtp(g)}"
        else:
            buf = buf + g * keep
            formula = f"μ·b + (1 − τ)·{grad_symbol}"
            numbers = f"{fmt(momentum)} × {fmtp(old)} + {fmt(keep)} × {fmtp(g)}"
    else:
        buf = g
        formula, numbers = f"{grad_symbol} (the first momentum step)", fmt(g)
    out.lines.append(UpdateLine("b", formula, numbers, buf))
    out.new_state["momentum_buffer"] = buf
    if bool(hyper.get("nesterov", False)):
        direction = g + buf * momentum
        out.lines.append(
            UpdateLine(
                "g′",
                f"{grad_symbol} + μ·b",
                f"{fmtp(g)} + {fmt(momentum)} × {fmtp(buf)}",
                direction,
            )
        )
        symbol = "g′"
    else:
        direction = buf
        symbol = "b"
    delta = direction * -lr
    out.lines.append(UpdateLine(f"Δ{p}", f"−η·{symbol}", f"−{fmt(lr)} × {fmtp(direction)}", delta))
    return delta


def _adagrad(
    out: UpdateExplanation, hyper: Mapping[str, float | bool], lr: float, g: float, gs: str
) -> float:
    p = out.name
    lr_decay = float(hyper.get("lr_decay", 0.0))
    eps = float(hyper.get("eps", 1e-10))
    clr = lr / (1 + (out.step - 1) * lr_decay)
    if lr_decay != 0:
        out.lines.append(
            UpdateLine(
                "ηₜ",
                _frac("η", "1 + (t − 1)·lr_decay"),
                _frac(fmt(lr), f"1 + {out.step - 1} × {fmt(lr_decay)}"),
                clr,
            )
        )
    old = float(out.state.get("sum", 0.0))
    total = old + g * g
    out.lines.append(UpdateLine("s", f"s + {gs}²", f"{fmtp(old)} + {fmtp(g)}²", total))
    out.new_state["sum"] = total
    std = math.sqrt(total) + eps
    delta = (g * -clr) / std
    eta = "ηₜ" if lr_decay != 0 else "η"
    out.lines.append(
        UpdateLine(
            f"Δ{p}",
            "−" + _frac(f"{eta}·{gs}", "√s + ε"),
            "−" + _frac(f"{fmt(clr)} × {fmtp(g)}", f"√{fmt(total)} + {fmt(eps)}"),
            delta,
        )
    )
    return delta


def _rmsprop(
    out: UpdateExplanation, hyper: Mapping[str, float | bool], lr: float, g: float, gs: str
) -> float:
    p = out.name
    alpha = float(hyper.get("alpha", 0.99))
    eps = float(hyper.get("eps", 1e-8))
    momentum = float(hyper.get("momentum", 0.0))
    old_v = float(out.state.get("square_avg", 0.0))
    v = old_v * alpha + (g * (1 - alpha)) * g
    out.lines.append(
        UpdateLine(
            "v",
            f"α·v + (1 − α)·{gs}²",
            f"{fmt(alpha)} × {fmtp(old_v)} + {fmt(1 - alpha)} × {fmtp(g)}²",
            v,
        )
    )
    out.new_state["square_avg"] = v
    if bool(hyper.get("centered", False)):
        old_avg = float(out.state.get("grad_avg", 0.0))
        grad_avg = _lerp(old_avg, g, 1 - alpha)
        out.lines.append(
            UpdateLine(
                "ḡ",
                f"α·ḡ + (1 − α)·{gs}",
                f"{fmt(alpha)} × {fmtp(old_avg)} + {fmt(1 - alpha)} × {fmtp(g)}",
                grad_avg,
            )
        )
        out.new_state["grad_avg"] = grad_avg
        avg = math.sqrt(v - grad_avg * grad_avg) + eps
        out.lines.append(
            UpdateLine("a", "√(v − ḡ²) + ε", f"√({fmt(v)} − {fmtp(grad_avg)}²) + {fmt(eps)}", avg)
        )
    else:
        avg = math.sqrt(v) + eps
        out.lines.append(UpdateLine("a", "√v + ε", f"√{fmt(v)} + {fmt(eps)}", avg))
    if momentum > 0:
        old_b = float(out.state.get("momentum_buffer", 0.0))
        buf = old_b * momentum + g / avg
        out.lines.append(
            UpdateLine(
                "b",
                "μ·b + " + _frac(gs, "a"),
                f"{fmt(momentum)} × {fmtp(old_b)} + " + _frac(fmt(g), fmt(avg)),
                buf,
            )
        )
        out.new_state["momentum_buffer"] = buf
        delta = buf * -lr
        out.lines.append(UpdateLine(f"Δ{p}", "−η·b", f"−{fmt(lr)} × {fmtp(buf)}", delta))
    else:
        delta = (g * -lr) / avg
        out.lines.append(
            UpdateLine(
                f"Δ{p}",
                "−" + _frac(f"η·{gs}", "a"),
                "−" + _frac(f"{fmt(lr)} × {fmtp(g)}", fmt(avg)),
                delta,
            )
        )
    return delta


def _adam(
    out: UpdateExplanation, hyper: Mapping[str, float | bool], lr: float, g: float, gs: str
) -> float:
    p = out.name
    beta1 = float(hyper.get("beta1", 0.9))
    beta2 = float(hyper.get("beta2", 0.999))
    eps = float(hyper.get("eps", 1e-8))
    old_m = float(out.state.get("exp_avg", 0.0))
    old_v = float(out.state.get("exp_avg_sq", 0.0))
    m = _lerp(old_m, g, 1 - beta1)
    out.lines.append(
        UpdateLine(
            "m",
            f"β₁·m + (1 − β₁)·{gs}",
            f"{fmt(beta1)} × {fmtp(old_m)} + {fmt(1 - beta1)} × {fmtp(g)}",
            m,
        )
    )
    v = old_v * beta2 + (g * (1 - beta2)) * g
    out.lines.append(
        UpdateLine(
            "v",
            f"β₂·v + (1 − β₂)·{gs}²",
            f"{fmt(beta2)} × {fmtp(old_v)} + {fmt(1 - beta2)} × {fmtp(g)}²",
            v,
        )
    )
    out.new_state["exp_avg"] = m
    out.new_state["exp_avg_sq"] = v
    t = float(out.step)
    bias_correction1 = 1 - beta1**t
    bias_correction2 = 1 - beta2**t
    step_size = lr / bias_correction1
    second = v
    if bool(hyper.get("amsgrad", False)):
        old_max = float(out.state.get("max_exp_avg_sq", 0.0))
        second = max(old_max, v)
        out.lines.append(UpdateLine("v̂", "max(v̂, v)", f"max({fmt(old_max)}, {fmt(v)})", second))
        out.new_state["max_exp_avg_sq"] = second
        second_symbol = "v̂"
    else:
        second_symbol = "v"
    denom = math.sqrt(second) / bias_correction2**0.5 + eps
    out.lines.append(
        UpdateLine(
            "d",
            _frac(f"√{second_symbol}", "√(1 − β₂ᵗ)") + " + ε",
            _frac(f"√{fmt(second)}", f"√(1 − {fmt(beta2)}^{{{out.step}}})") + f" + {fmt(eps)}",
            denom,
        )
    )
    delta = (m * -step_size) / denom
    out.lines.append(
        UpdateLine(
            f"Δ{p}",
            "−" + _frac("η", "1 − β₁ᵗ") + " · " + _frac("m", "d"),
            "−"
            + _frac(fmt(lr), f"1 − {fmt(beta1)}^{{{out.step}}}")
            + " × "
            + _frac(fmt(m), fmt(denom)),
            delta,
        )
    )
    return delta


def _adadelta(
    out: UpdateExplanation, hyper: Mapping[str, float | bool], lr: float, g: float, gs: str
) -> float:
    p = out.name
    rho = float(hyper.get("rho", 0.9))
    eps = float(hyper.get("eps", 1e-6))
    old_v = float(out.state.get("square_avg", 0.0))
    old_u = float(out.state.get("acc_delta", 0.0))
    v = old_v * rho + (g * (1 - rho)) * g
    out.lines.append(
        UpdateLine(
            "v",
            f"ρ·v + (1 − ρ)·{gs}²",
            f"{fmt(rho)} × {fmtp(old_v)} + {fmt(1 - rho)} × {fmtp(g)}²",
            v,
        )
    )
    std = math.sqrt(v + eps)
    step_delta = (math.sqrt(old_u + eps) / std) * g
    out.lines.append(
        UpdateLine(
            "d",
            _frac("√(u + ε)", "√(v + ε)") + f" · {gs}",
            _frac(f"√({fmt(old_u)} + {fmt(eps)})", f"√({fmt(v)} + {fmt(eps)})") + f" × {fmtp(g)}",
            step_delta,
        )
    )
    u = old_u * rho + (step_delta * (1 - rho)) * step_delta
    out.lines.append(
        UpdateLine(
            "u",
            "ρ·u + (1 − ρ)·d²",
            f"{fmt(rho)} × {fmtp(old_u)} + {fmt(1 - rho)} × {fmtp(step_delta)}²",
            u,
        )
    )
    out.new_state["square_avg"] = v
    out.new_state["acc_delta"] = u
    delta = step_delta * -lr
    out.lines.append(UpdateLine(f"Δ{p}", "−η·d", f"−{fmt(lr)} × {fmtp(step_delta)}", delta))
    return delta
