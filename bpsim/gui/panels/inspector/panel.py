"""The inspector: the numbers behind the link or neuron the student clicked, written out
the way the seeds write them by hand.

A link shows its gradient as the chain rule with the current numbers, e.g.
∂E/∂w₅ = ∂E/∂out_y1 · ∂out_y1/∂net_y1 · ∂net_y1/∂w₅ = 0.58371 × 0.232122 × 0.538424
= 0.072952, and then its update with the optimizer's own rule and state; a weight of a
hidden layer shows the sum over the paths through the next layer, as seed 000 writes
∂E/∂w₁. A neuron shows its net input as the weighted sum, its activation, the activation's
derivative and its delta. While stepping layer by layer the inspector follows the layer
just computed (unless "Follow the pass" is off).

Nothing is computed here: every value is read from the trainer's trace, parameters and
optimizer (through :mod:`bpsim.teaching.explain` and :mod:`bpsim.teaching.explain_update`);
this module only arranges the numbers into formulas with real subscripts and Greek
letters. :func:`explain_selection` and :func:`explain_layer` build the content as data
(tests compare its numbers with the engine's); :class:`Inspector` renders it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFont, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QTextBrowser, QVBoxLayout, QWidget

from bpsim.core.network import Network, Trace
from bpsim.core.trainer import Phase, Trainer
from bpsim.gui.state.rewind import PhaseMemory, UpdateState
from bpsim.gui.state.session import ParameterKey, Session
from bpsim.teaching.explain import (
    Names,
    names_for,
    neuron_backward,
    neuron_forward,
    weight_gradient,
)
from bpsim.teaching.explain_update import UpdateExplanation, explain_update
from bpsim.text import fmt, fmtp

MAX_TERMS = 6  # products written out per sum
MAX_NEURONS = 8  # neurons written out when following a layer
RUNNING_REFRESH_MS = 250  # while Run is on, the inspector redraws at most 4 times a second

FORWARD_COLOR = "#1f6fb4"
BACKWARD_COLOR = "#b5121b"
UPDATE_COLOR = "#2a7a36"
INFO_COLOR = "#555555"


# -- content as data --------------------------------------------------------------------


@dataclass
class Formula:
    """``lhs = rhs[0] = rhs[1] = … = value``: one derivation, each right-hand side a step
    (symbols first, then the numbers put in). ``factors`` are the numbers multiplied (for
    tests and the quiz); ``value`` None ends without a result."""

    lhs: str
    rhs: list[str]
    value: float | None
    key: str = ""
    factors: tuple[float, ...] = ()
    relation: str = "="  # between the left side and the first step ("←" for an update)


@dataclass
class Section:
    title: str
    color: str
    formulas: list[Formula] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class InspectorContent:
    """What the inspector shows: a title, a line under it, and sections of formulas."""

    title: str
    subtitle: str = ""
    sections: list[Section] = field(default_factory=list)

    def formula(self, key: str) -> Formula | None:
        """The first formula with ``key`` ("gradient", "update", "net", "out", "delta" …)."""
        for section in self.sections:
            for formula in section.formulas:
                if formula.key == key:
                    return formula
        return None

    def plain_text(self) -> str:
        """The content as plain text (no subscripts), one formula per line."""
        lines = [_plain(self.title)]
        if self.subtitle:
            lines.append(_plain(self.subtitle))
        for section in self.sections:
            lines.append(_plain(section.title))
            for formula in section.formulas:
                parts = [_plain(r) for r in formula.rhs]
                if formula.value is not None:
                    parts.append(fmt(formula.value))
                lines.append(f"{_plain(formula.lhs)} {formula.relation} " + " = ".join(parts))
            lines.extend(_plain(n) for n in section.notes)
        return "\n".join(lines)

    def to_html(self) -> str:
        out = [f"<p style='margin:0 0 2px 0; font-size:large'><b>{rich(self.title)}</b></p>"]
        if self.subtitle:
            out.append(f"<p style='margin:0 0 4px 0; color:{INFO_COLOR}'>{rich(self.subtitle)}</p>")
        for section in self.sections:
            out.append(
                f"<p style='margin:8px 0 2px 0; color:{section.color}'>"
                f"<b>{rich(section.title)}</b></p>"
            )
            if section.formulas:
                out.append("<table cellspacing='0' cellpadding='1'>")
                for formula in section.formulas:
                    out.extend(_formula_rows(formula))
                out.append("</table>")
            for note in section.notes:
                out.append(f"<p style='margin:3px 0; color:{INFO_COLOR}'>{rich(note)}</p>")
        return "\n".join(out)


def _formula_rows(formula: Formula) -> list[str]:
    """Aligned derivation: the left side once, then one '= …' per step."""
    steps = [rich(r) for r in formula.rhs]
    if formula.value is not None:
        steps.append(f"<b>{html.escape(fmt(formula.value))}</b>")
    if not steps:
        steps = [""]
    rows = []
    for n, step in enumerate(steps):
        left = f"<td align='right' valign='top'>{rich(formula.lhs)}</td>" if n == 0 else "<td></td>"
        relation = html.escape(formula.relation) if n == 0 else "="
        rows.append(f"<tr>{left}<td valign='top'>&nbsp;{relation}&nbsp;{step}</td></tr>")
    rows.append("<tr><td colspan='2' style='font-size:4px'>&nbsp;</td></tr>")
    return rows


_NAME_DIGITS = re.compile(r"(?<![\w.])([A-Za-z]{1,2})(\d+)\b")
_QUANTITY = re.compile(r"\b(out|net|δ|t)_([A-Za-z0-9_]+)")
_SUP = re.compile(r"\^\{([^}]*)\}")
_SUB = re.compile(r"_\{([^}]*)\}")


def rich(text: str) -> str:
    """Plain formula text as rich text: w5 → w<sub>5</sub>, out_h1 → out<sub>h1</sub>,
    ^{…} → superscript, _{…} → subscript (HTML is escaped first)."""
    escaped = html.escape(text, quote=False)
    escaped = _SUP.sub(r"<sup>\1</sup>", escaped)
    escaped = _SUB.sub(r"<sub>\1</sub>", escaped)
    escaped = _NAME_DIGITS.sub(r"\1<sub>\2</sub>", escaped)
    return _QUANTITY.sub(r"\1<sub>\2</sub>", escaped)


def _plain(text: str) -> str:
    text = _SUP.sub(r"^\1", text)
    return _SUB.sub(r"\1", text)


# -- reading the trainer -------------------------------------------------------------------


def live_trace(trainer: Trainer) -> Trace | None:
    """The pass on screen, or None when there is none for the current parameters."""
    if trainer.trace is None or trainer.phase is Phase.READY:
        return None
    return trainer.trace


def forward_reached(trace: Trace | None, layer: int) -> bool:
    return trace is not None and (layer == 0 or trace.forward_done >= layer)


def backward_reached(trace: Trace | None, depth: int, layer: int) -> bool:
    """Whether the backward pass has computed the deltas of ``layer`` (≥ 1)."""
    return trace is not None and layer >= 1 and trace.backward_done >= depth - layer + 1


def _out(names: Names, layer: int, index: int) -> str:
    """The output of a neuron as the seeds write it: x1 for an input, out_h1 otherwise."""
    name = names.neurons[layer][index]
    return name if layer == 0 else f"out_{name}"


def _kind(net: Network, layer: int) -> str:
    if layer == 0:
        return "input layer"
    if layer == net.depth:
        return "output layer"
    return f"hidden layer {layer}"


def _sample_note(trace: Trace) -> str:
    row = int(trace.indices[0]) + 1
    if trace.batch_size == 1:
        return ""
    return (
        f"Numbers of sample {row}, the first of a batch of {trace.batch_size}; the gradients "
        "are means over the batch."
    )


def _net_formula(net: Network, trace: Trace, names: Names, k: int, j: int) -> Formula:
    nf = neuron_forward(net, trace, names, k, j)
    shown = nf.terms[:MAX_TERMS]
    symbolic = " + ".join(
        f"{t.weight_name}·{_out(names, k - 1, _index(names, k - 1, t.input_name))}" for t in shown
    )
    numeric = " + ".join(f"{fmtp(t.weight)} × {fmtp(t.value)}" for t in shown)
    if len(nf.terms) > MAX_TERMS:
        symbolic += f" + … ({len(nf.terms) - MAX_TERMS} more)"
        numeric += " + …"
    if nf.bias_name:
        symbolic += f" + {nf.bias_name}"
        numeric += f" + {fmtp(nf.bias)}"
    factors = (*(v for t in nf.terms for v in (t.weight, t.value)), nf.bias)
    return Formula(f"net_{nf.name}", [symbolic, numeric], nf.net, "net", factors)


def _index(names: Names, layer: int, name: str) -> int:
    return names.neurons[layer].index(name)


def _out_formula(net: Network, trace: Trace, names: Names, k: int, j: int) -> Formula:
    name = names.neurons[k][j]
    act = net.layers[k].activation
    z = float(trace.z[k][0, j])
    out = float(trace.a[k][0, j])
    lhs = f"out_{name}"
    if act == "sigmoid":
        rhs = [f"σ(net_{name}) = 1 / (1 + e^{{−net_{name}}})", f"1 / (1 + e^{{−{fmtp(z)}}})"]
    elif act == "tanh":
        rhs = [f"tanh(net_{name})", f"tanh({fmt(z)})"]
    elif act == "relu":
        rhs = [f"max(0, net_{name})", f"max(0, {fmt(z)})"]
    elif act == "leaky_relu":
        rhs = [f"max(0.01·net_{name}, net_{name})", f"max(0.01 × {fmtp(z)}, {fmt(z)})"]
    elif act == "linear":
        rhs = [f"net_{name}"]
    elif act == "softmax":
        zs = trace.z[k][0]
        shown = ", ".join(fmt(float(v)) for v in zs[:MAX_TERMS])
        rhs = [
            f"e^{{net_{name}}} / Σₖ e^{{netₖ}}",
            f"e^{{{fmt(z)}}} / Σ e^{{net}} over the layer's net inputs ({shown}"
            + (", …)" if len(zs) > MAX_TERMS else ")"),
        ]
    else:
        rhs = [f"{act}(net_{name})"]
    return Formula(lhs, rhs, out, "out", (z,))


def _fprime_formula(net: Network, trace: Trace, names: Names, k: int, j: int) -> Formula:
    name = names.neurons[k][j]
    act = net.layers[k].activation
    z = float(trace.z[k][0, j])
    out = float(trace.a[k][0, j])
    value = float(trace.fprime[k][0, j])
    lhs = f"∂out_{name}/∂net_{name}"
    if act == "sigmoid":
        rhs = [f"out_{name}·(1 − out_{name})", f"{fmt(out)} × (1 − {fmtp(out)})"]
    elif act == "tanh":
        rhs = [f"1 − out_{name}^{{2}}", f"1 − {fmtp(out)}^{{2}}"]
    elif act == "relu":
        rhs = [f"1 if net_{name} > 0, else 0 (net_{name} = {fmt(z)})"]
    elif act == "leaky_relu":
        rhs = [f"1 if net_{name} > 0, else 0.01 (net_{name} = {fmt(z)})"]
    elif act == "linear":
        rhs = []
    elif act == "softmax":
        rhs = [
            f"out_{name}·(1 − out_{name}) (its effect on itself; softmax couples the layer)",
            f"{fmt(out)} × (1 − {fmtp(out)})",
        ]
    else:
        rhs = []
    return Formula(lhs, rhs, value, "fprime", (out,))


def _grad_out_formula(net: Network, trace: Trace, names: Names, j: int) -> Formula:
    """∂E/∂out of output neuron j, from the loss."""
    k = net.depth
    name = names.neurons[k][j]
    t = float(trace.targets[0, j])
    o = float(trace.a[k][0, j])
    size = net.sizes[k]
    loss = net.loss.name
    value = float(trace.grad_a[k][0, j])
    if loss == "half_sse":
        rhs = [f"−(t_{name} − out_{name})", f"−({fmt(t)} − {fmtp(o)})"]
    elif loss == "mse":
        rhs = [f"(2/K)·(out_{name} − t_{name})", f"(2/{size}) × ({fmt(o)} − {fmtp(t)})"]
    elif loss == "binary_cross_entropy":
        rhs = [
            f"(out_{name} − t_{name}) / (K·out_{name}·(1 − out_{name}))",
            f"({fmt(o)} − {fmtp(t)}) / ({size} × {fmt(o)} × (1 − {fmtp(o)}))",
        ]
    elif loss == "cross_entropy":
        rhs = [f"−t_{name} / out_{name}", f"−{fmtp(t)} / {fmtp(o)}"]
    else:
        rhs = []
    return Formula(f"∂E/∂out_{name}", rhs, value, "grad_out", (t, o))


def _fused_delta_rhs(net: Network, trace: Trace, names: Names, j: int) -> list[str]:
    k = net.depth
    name = names.neurons[k][j]
    t = float(trace.targets[0, j])
    o = float(trace.a[k][0, j])
    act, loss = net.layers[k].activation, net.loss.name
    if loss == "cross_entropy" and act == "softmax":
        total = float(trace.targets[0].sum())
        if total == 1.0:
            return [
                f"out_{name} − t_{name} (cross-entropy and softmax together)",
                f"{fmt(o)} − {fmtp(t)}",
            ]
        return [
            f"out_{name}·Σt − t_{name} (cross-entropy and softmax together)",
            f"{fmt(o)} × {fmt(total)} − {fmtp(t)}",
        ]
    if loss == "binary_cross_entropy" and act == "sigmoid":
        size = net.sizes[k]
        return [
            f"(out_{name} − t_{name}) / K (binary cross-entropy and sigmoid together)",
            f"({fmt(o)} − {fmtp(t)}) / {size}",
        ]
    return [f"Σₖ ∂E/∂outₖ · ∂outₖ/∂net_{name} (softmax couples every output)"]


def _paths_formula(net: Network, trace: Trace, names: Names, k: int, j: int) -> Formula:
    """∂E/∂out of hidden neuron j of layer k: the sum over the paths through layer k+1."""
    nb = neuron_backward(net, trace, names, k, j)
    name = nb.name
    paths = nb.paths[:MAX_TERMS]
    symbolic = " + ".join(f"δ_{p.neuron}·{p.weight_name}" for p in paths)
    numeric = " + ".join(f"{fmtp(p.delta)} × {fmtp(p.weight)}" for p in paths)
    if len(nb.paths) > MAX_TERMS:
        symbolic += f" + … ({len(nb.paths) - MAX_TERMS} more)"
        numeric += " + …"
    factors = tuple(v for p in nb.paths for v in (p.delta, p.weight))
    return Formula(f"∂E/∂out_{name}", [f"Σ {symbolic}", numeric], nb.grad_out, "grad_out", factors)


def _delta_formula(net: Network, trace: Trace, names: Names, k: int, j: int) -> Formula:
    nb = neuron_backward(net, trace, names, k, j)
    name = nb.name
    lhs = f"δ_{name} = ∂E/∂net_{name}"
    if nb.fused and k == net.depth:
        return Formula(lhs, _fused_delta_rhs(net, trace, names, j), nb.delta, "delta")
    rhs = [
        f"∂E/∂out_{name} · ∂out_{name}/∂net_{name}",
        f"{fmtp(nb.grad_out)} × {fmtp(nb.fprime)}",
    ]
    return Formula(lhs, rhs, nb.delta, "delta", (nb.grad_out, nb.fprime))


def _weight_gradient_formulas(
    net: Network, trace: Trace, names: Names, k: int, j: int, i: int
) -> list[Formula]:
    """The chain rule of weights[k][j][i] with the numbers of the first sample."""
    wg = weight_gradient(net, trace, names, k, j, i)
    w, target = wg.name, wg.target
    depth = net.depth
    nb_target = neuron_backward(net, trace, names, k + 1, j)
    tail_sym = f"∂out_{target}/∂net_{target} · ∂net_{target}/∂{w}"
    tail_num = f"{fmtp(wg.fprime)} × {fmtp(wg.input_value)}"
    if k + 1 == depth:
        if nb_target.fused:
            rhs = [
                f"∂E/∂net_{target} · ∂net_{target}/∂{w}",
                f"{fmtp(wg.delta)} × {fmtp(wg.input_value)}",
            ]
            factors: tuple[float, ...] = (wg.delta, wg.input_value)
        else:
            rhs = [f"∂E/∂out_{target} · {tail_sym}", f"{fmtp(wg.grad_out)} × {tail_num}"]
            factors = (wg.grad_out, wg.fprime, wg.input_value)
    else:
        # seed 000's ∂E/∂w1: every path from the hidden neuron through the next layer
        next_layer = k + 2
        expand = next_layer == depth and not neuron_backward(net, trace, names, next_layer, 0).fused
        terms_sym, terms_num = [], []
        for path in nb_target.paths[:MAX_TERMS]:
            m = _index(names, next_layer, path.neuron)
            if expand:
                g = float(trace.grad_a[next_layer][0, m])
                f = float(trace.fprime[next_layer][0, m])
                terms_sym.append(
                    f"∂E/∂out_{path.neuron}·∂out_{path.neuron}/∂net_{path.neuron}·∂net_{path.neuron}/∂out_{target}"
                )
                terms_num.append(f"{fmtp(g)} × {fmtp(f)} × {fmtp(path.weight)}")
            else:
                terms_sym.append(f"δ_{path.neuron}·∂net_{path.neuron}/∂out_{target}")
                terms_num.append(f"{fmtp(path.delta)} × {fmtp(path.weight)}")
        if len(nb_target.paths) > MAX_TERMS:
            terms_sym.append("…")
            terms_num.append("…")
        rhs = [
            f"({' + '.join(terms_sym)}) · {tail_sym}",
            f"({' + '.join(terms_num)}) × {tail_num}",
            f"{fmtp(wg.grad_out)} × {tail_num}",
        ]
        factors = (wg.grad_out, wg.fprime, wg.input_value)
    if trace.batch_size == 1:
        return [Formula(f"∂E/∂{w}", rhs, wg.gradient, "gradient", factors)]
    row = int(trace.indices[0]) + 1
    return [
        Formula(f"∂E/∂{w} (sample {row})", rhs, None, "sample_gradient", factors),
        Formula(
            f"∂E/∂{w}",
            [f"the mean of that product over the {trace.batch_size} samples of the batch"],
            wg.gradient,
            "gradient",
        ),
    ]


def _where_formulas(
    net: Network, trace: Trace, names: Names, k: int, j: int, i: int
) -> list[Formula]:
    """The factors of a weight's chain rule, each with where it comes from."""
    target = names.neurons[k + 1][j]
    w = names.weight(k, j, i)
    out: list[Formula] = []
    if k + 1 == net.depth:
        nb = neuron_backward(net, trace, names, k + 1, j)
        if nb.fused:
            out.append(_delta_formula(net, trace, names, k + 1, j))
        else:
            out.append(_grad_out_formula(net, trace, names, j))
            out.append(_fprime_formula(net, trace, names, k + 1, j))
    else:
        out.append(_paths_formula(net, trace, names, k + 1, j))
        out.append(_fprime_formula(net, trace, names, k + 1, j))
    value = float(trace.a[k][0, i])
    out.append(Formula(f"∂net_{target}/∂{w}", [_out(names, k, i)], value, "input", (value,)))
    return out


def _parameter_index(network: Network, key: ParameterKey) -> tuple[int, int]:
    """(parameter array, flat index) of a key."""
    array = 2 * key.k + int(key.bias)
    if key.bias:
        return array, key.j
    return array, key.j * network.weights[key.k].shape[1] + key.i


def _state_entry(buffers: dict[str, list[np.ndarray]], array: int, flat: int) -> dict[str, float]:
    return {name: float(arrays[array].reshape(-1)[flat]) for name, arrays in buffers.items()}


def _current_update(trainer: Trainer, name: str, array: int, flat: int) -> UpdateExplanation:
    """The update the next Update will make (the state as it is now)."""
    runner = trainer.optimizer
    buffers = runner.buffers()
    has_buffer = True
    if runner.name == "sgd" and "momentum_buffer" in buffers:
        entries = runner.state_dict().get("momentum_buffer", [])
        has_buffer = array < len(entries) and entries[array] is not None
    trace = trainer.trace
    assert trace is not None
    return explain_update(
        runner.name,
        runner.hyper,
        name,
        float(trainer.network.parameter_arrays()[array].reshape(-1)[flat]),
        float(trace.gradient_arrays()[array].reshape(-1)[flat]),
        _state_entry(buffers, array, flat),
        runner.steps()[array] + 1,
        has_buffer,
    )


def _past_update(
    trainer: Trainer, state: UpdateState, name: str, array: int, flat: int
) -> UpdateExplanation:
    trace = trainer.trace
    assert trace is not None
    return explain_update(
        state.optimizer,
        state.hyper,
        name,
        float(state.parameters[array].reshape(-1)[flat]),
        float(trace.gradient_arrays()[array].reshape(-1)[flat]),
        _state_entry(state.buffers, array, flat),
        state.steps[array] + 1,
        state.has_momentum_buffer[array] if array < len(state.has_momentum_buffer) else True,
    )


def update_formulas(explanation: UpdateExplanation) -> list[Formula]:
    """An optimizer's update as formulas: its state lines, then p ← p + Δp."""
    p = explanation.name
    formulas: list[Formula] = []
    for line in explanation.lines:
        if line.symbol == p:  # plain SGD: the one line is the update itself
            formulas.append(
                Formula(p, [line.formula, line.numbers], line.value, "update", relation="←")
            )
        else:
            key = "delta_update" if line.symbol == f"Δ{p}" else "state"
            formulas.append(Formula(line.symbol, [line.formula, line.numbers], line.value, key))
    if not explanation.plain_sgd:
        formulas.append(
            Formula(
                p,
                [f"{p} + Δ{p}", f"{fmtp(explanation.before)} + {fmtp(explanation.delta)}"],
                explanation.after,
                "update",
                (explanation.before, explanation.delta),
                relation="←",
            )
        )
    return formulas


def _update_section(
    trainer: Trainer, memory: PhaseMemory | None, key: ParameterKey, name: str
) -> Section:
    network = trainer.network
    array, flat = _parameter_index(network, key)
    trace = live_trace(trainer)
    runner = trainer.optimizer
    section = Section("Update", UPDATE_COLOR)
    if not network.trainable_flags()[array]:
        section.notes.append(
            f"{name} is frozen: its layer is not trained, so updates leave it alone."
        )
        return section
    rule = "plain gradient descent" if runner.name == "sgd" else runner.name
    if trainer.phase is Phase.BACKWARDED and trace is not None:
        section.title = f"The next update ({rule}, press U)"
        section.formulas = update_formulas(_current_update(trainer, name, array, flat))
        return section
    if trainer.phase is Phase.UPDATED and trace is not None:
        state = memory.update_before() if memory is not None else None
        current = float(network.parameter_arrays()[array].reshape(-1)[flat])
        if state is not None:
            explanation = _past_update(trainer, state, name, array, flat)
            if explanation.after == current:
                section.title = f"The update just made ({state.optimizer})"
                section.formulas = update_formulas(explanation)
                return section
        delta = float(trainer.last_update[array].reshape(-1)[flat])
        section.title = "The last update"
        section.formulas = [
            Formula(f"Δ{name}", ["its change in the last update"], delta, "delta_update")
        ]
        section.formulas.append(Formula(name, ["its value now"], current, "value"))
        return section
    section.notes.append(f"The update of {name} comes after the backward pass (F, then B, then U).")
    return section


# -- building the content ---------------------------------------------------------------


def explain_selection(
    trainer: Trainer, names: Names, key: object, memory: PhaseMemory | None = None
) -> InspectorContent:
    """The inspector's content for a link or bias (:class:`ParameterKey`) or a neuron
    (``("neuron", layer, index)``), read from the trainer as it stands."""
    if isinstance(key, ParameterKey):
        return (
            _explain_bias(trainer, names, key, memory)
            if key.bias
            else _explain_link(trainer, names, key, memory)
        )
    if isinstance(key, tuple) and len(key) == 3 and key[0] == "neuron":
        return _explain_neuron(trainer, names, int(key[1]), int(key[2]))
    return InspectorContent(
        "Inspector",
        "Click a link, a bias or a neuron in the network (or a row of the parameter table) "
        "to see its numbers: a link's gradient as the chain rule and its update, a neuron's "
        "weighted sum, activation, derivative and delta.",
    )


def _explain_link(
    trainer: Trainer, names: Names, key: ParameterKey, memory: PhaseMemory | None
) -> InspectorContent:
    net = trainer.network
    k, j, i = key.k, key.j, key.i
    w = names.weight(k, j, i)
    source, target = names.neurons[k][i], names.neurons[k + 1][j]
    value = float(net.weights[k][j, i])
    content = InspectorContent(
        f"{w}: the link {source} → {target}",
        f"{w} = {fmt(value)} (weights[{k}][{j}][{i}] in the file)",
    )
    mask = net.masks[k]
    if mask is not None and mask[j, i] == 0:
        content.sections.append(Section("Removed", INFO_COLOR, notes=["This link is masked out."]))
        return content
    trace = live_trace(trainer)
    gradient = Section("Gradient: the chain rule", BACKWARD_COLOR)
    if backward_reached(trace, net.depth, k + 1):
        assert trace is not None
        gradient.formulas = _weight_gradient_formulas(net, trace, names, k, j, i)
        gradient.formulas += _where_formulas(net, trace, names, k, j, i)
        note = _sample_note(trace)
        if note:
            gradient.notes.append(note)
    elif forward_reached(trace, k + 1):
        assert trace is not None
        value_in = float(trace.a[k][0, i])
        gradient.formulas.append(
            Formula(f"∂net_{target}/∂{w}", [_out(names, k, i)], value_in, "input", (value_in,))
        )
        gradient.notes.append(f"∂E/∂{w} appears when the backward pass reaches layer {k + 1} (B).")
    else:
        gradient.notes.append(f"∂E/∂{w} appears after a forward pass (F) and a backward pass (B).")
    content.sections.append(gradient)
    content.sections.append(_update_section(trainer, memory, key, w))
    return content


def _explain_bias(
    trainer: Trainer, names: Names, key: ParameterKey, memory: PhaseMemory | None
) -> InspectorContent:
    net = trainer.network
    k, j = key.k, key.j
    layer = net.layers[k + 1]
    shared = layer.bias == "shared"
    b = names.bias(k, j, shared)
    value = float(net.biases[k][j])
    feeds = ", ".join(names.neurons[k + 1]) if shared else names.neurons[k + 1][j]
    content = InspectorContent(
        f"{b}: the bias of {feeds}",
        f"{b} = {fmt(value)} (biases[{k}][{j}] in the file)"
        + (" — one bias shared by the whole layer" if shared else ""),
    )
    trace = live_trace(trainer)
    gradient = Section("Gradient", BACKWARD_COLOR)
    if backward_reached(trace, net.depth, k + 1):
        assert trace is not None
        total = float(trace.bias_grads[k][j])
        if shared:
            deltas = trace.delta[k + 1][0]
            targets = names.neurons[k + 1]
            sym = " + ".join(f"δ_{n}·∂net_{n}/∂{b}" for n in targets[:MAX_TERMS])
            num = " + ".join(f"{fmtp(float(d))} × 1" for d in deltas[:MAX_TERMS])
            if len(targets) > MAX_TERMS:
                sym += " + …"
                num += " + …"
            rhs = [sym, num]
        else:
            name = names.neurons[k + 1][j]
            delta = float(trace.delta[k + 1][0, j])
            rhs = [f"∂E/∂net_{name} · ∂net_{name}/∂{b} = δ_{name} · 1", f"{fmtp(delta)} × 1"]
        if trace.batch_size == 1:
            gradient.formulas.append(Formula(f"∂E/∂{b}", rhs, total, "gradient"))
        else:
            gradient.formulas.append(
                Formula(f"∂E/∂{b} (sample {int(trace.indices[0]) + 1})", rhs, None)
            )
            gradient.formulas.append(
                Formula(
                    f"∂E/∂{b}", [f"the mean over the {trace.batch_size} samples"], total, "gradient"
                )
            )
        for n in range(net.sizes[k + 1] if shared else 0):
            if n >= MAX_TERMS:
                break
            gradient.formulas.append(_delta_formula(net, trace, names, k + 1, n))
        if not shared:
            gradient.formulas.append(_delta_formula(net, trace, names, k + 1, j))
    else:
        gradient.notes.append(f"∂E/∂{b} appears after a forward pass (F) and a backward pass (B).")
    content.sections.append(gradient)
    content.sections.append(_update_section(trainer, memory, key, b))
    return content


def _explain_neuron(trainer: Trainer, names: Names, layer: int, index: int) -> InspectorContent:
    net = trainer.network
    name = names.neurons[layer][index]
    activation = net.layers[layer].activation if layer > 0 else ""
    content = InspectorContent(
        f"{name}: {_kind(net, layer)}, neuron {index + 1}",
        f"activation {activation}" if activation else "an input: it passes its value on",
    )
    trace = live_trace(trainer)
    if layer == 0:
        forward = Section("Value", FORWARD_COLOR)
        if trace is not None:
            forward.formulas.append(
                Formula(name, ["the input"], float(trace.a[0][0, index]), "out")
            )
        else:
            row = int(trainer.next_batch()[0])
            forward.formulas.append(
                Formula(
                    name,
                    [f"the input of sample {row + 1}, next"],
                    float(trainer.inputs[row, index]),
                    "out",
                )
            )
        content.sections.append(forward)
        return content
    forward = Section("Forward: weighted sum and activation", FORWARD_COLOR)
    if forward_reached(trace, layer):
        assert trace is not None
        forward.formulas.append(_net_formula(net, trace, names, layer, index))
        forward.formulas.append(_out_formula(net, trace, names, layer, index))
        forward.formulas.append(_fprime_formula(net, trace, names, layer, index))
        note = _sample_note(trace)
        if note:
            forward.notes.append(note)
    else:
        forward.notes.append(
            f"net_{name} and out_{name} appear when the forward pass reaches layer {layer} (F)."
        )
    content.sections.append(forward)
    backward = Section("Backward: the delta", BACKWARD_COLOR)
    if backward_reached(trace, net.depth, layer):
        assert trace is not None
        if layer == net.depth:
            nb = neuron_backward(net, trace, names, layer, index)
            if not nb.fused:
                backward.formulas.append(_grad_out_formula(net, trace, names, index))
        else:
            backward.formulas.append(_paths_formula(net, trace, names, layer, index))
        backward.formulas.append(_delta_formula(net, trace, names, layer, index))
    elif forward_reached(trace, layer):
        backward.notes.append(f"δ_{name} appears when the backward pass reaches layer {layer} (B).")
    content.sections.append(backward)
    return content


def explain_layer(trainer: Trainer, names: Names, layer: int, direction: str) -> InspectorContent:
    """The layer just computed while stepping layer by layer (``direction`` "forward" or
    "backward"): every neuron's formulas, and on the way back the incoming gradients."""
    net = trainer.network
    trace = live_trace(trainer)
    content = InspectorContent(
        f"Layer {layer} ({_kind(net, layer)}): {direction} pass",
        "Following the pass layer by layer; click a link or a neuron for its whole chain rule.",
    )
    if trace is None or not 1 <= layer <= net.depth:
        return content
    shown = range(min(net.sizes[layer], MAX_NEURONS))
    if direction == "forward":
        for j in shown:
            name = names.neurons[layer][j]
            section = Section(f"{name}", FORWARD_COLOR)
            section.formulas.append(_net_formula(net, trace, names, layer, j))
            section.formulas.append(_out_formula(net, trace, names, layer, j))
            content.sections.append(section)
    else:
        for j in shown:
            name = names.neurons[layer][j]
            section = Section(f"{name}", BACKWARD_COLOR)
            if layer == net.depth:
                if not neuron_backward(net, trace, names, layer, j).fused:
                    section.formulas.append(_grad_out_formula(net, trace, names, j))
            else:
                section.formulas.append(_paths_formula(net, trace, names, layer, j))
            section.formulas.append(_delta_formula(net, trace, names, layer, j))
            content.sections.append(section)
        gradients = Section(f"Gradients of the weights into layer {layer}", BACKWARD_COLOR)
        k = layer - 1
        w = net.weights[k]
        mask = net.masks[k]
        written = 0
        for j, i in np.ndindex(w.shape):
            if mask is not None and mask[j, i] == 0:
                continue
            if written >= MAX_NEURONS:
                gradients.notes.append(
                    f"… and {int(w.size) - written} more (see the parameter table)."
                )
                break
            wg = weight_gradient(net, trace, names, k, j, i)
            rhs = [f"δ_{wg.target} · {_out(names, k, i)}"]
            if trace.batch_size == 1:
                rhs.append(f"{fmtp(wg.delta)} × {fmtp(wg.input_value)}")
            else:
                rhs.append("the mean over the batch")
            gradients.formulas.append(Formula(f"∂E/∂{wg.name}", rhs, wg.gradient, "gradient"))
            written += 1
        content.sections.append(gradients)
    note = _sample_note(trace)
    if note:
        content.subtitle += " " + note
    return content


# -- the widget -------------------------------------------------------------------------


class Inspector(QWidget):
    """The dock's widget: a rich-text view of :func:`explain_selection` for the selected
    item, or of :func:`explain_layer` while following a layer-by-layer pass."""

    def __init__(
        self, session: Session, memory: PhaseMemory | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("inspector")
        self.session = session
        self.memory = memory if memory is not None else PhaseMemory(session, self)
        self._key: object | None = None
        self._layer: tuple[int, str] | None = None
        self._names = names_for(session.trainer.network, session.trainer.lesson.view)
        self._content = InspectorContent("Inspector")
        self._dirty = True
        self._scale = 1.0

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(4)
        row = QHBoxLayout()
        self.hint = QLabel("Click a link or a neuron")
        self.hint.setObjectName("inspector_hint")
        row.addWidget(self.hint, 1)
        self.follow = QCheckBox("Follow the pass")
        self.follow.setObjectName("inspector_follow")
        self.follow.setChecked(True)
        self.follow.setToolTip(
            "While stepping layer by layer (Shift+F, Shift+B), show the layer just computed"
        )
        self.follow.toggled.connect(self._follow_toggled)
        row.addWidget(self.follow)
        layout.addLayout(row)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("inspector_text")
        self.browser.setOpenLinks(False)
        self.browser.setReadOnly(True)
        layout.addWidget(self.browser, 1)
        self.browser.installEventFilter(self)
        self._apply_font()

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        session.traceChanged.connect(self._schedule)
        session.parametersChanged.connect(self._schedule)
        session.settingsChanged.connect(self._schedule)
        session.phaseFinished.connect(self._phase_finished)
        session.lessonReplaced.connect(self._lesson_replaced)
        self.refresh()

    # -- public ----------------------------------------------------------------------

    def show_key(self, key: object | None) -> None:
        """Show a link or bias (ParameterKey) or a neuron (("neuron", layer, index))."""
        self._key = key
        self._layer = None
        self.refresh()

    def selected_key(self) -> object | None:
        return self._key

    def shown_layer(self) -> int | None:
        """The layer being followed during layer-by-layer stepping, or None."""
        return self._layer[0] if self._layer is not None else None

    def content(self) -> InspectorContent:
        """What is on screen, as data (refreshed first if anything changed)."""
        if self._dirty:
            self.refresh(force=True)
        return self._content

    def plain_text(self) -> str:
        return self.browser.toPlainText()

    def refresh(self, force: bool = False) -> None:
        """Rebuild the content from the trainer (cheap: one item's numbers); a hidden
        inspector waits until it is shown."""
        self._timer.stop()
        if not (force or self.isVisible()):
            self._dirty = True
            return
        self._dirty = False
        trainer = self.session.trainer
        try:
            if self._layer is not None:
                layer, direction = self._layer
                self._content = explain_layer(trainer, self._names, layer, direction)
                self.hint.setText(f"Following layer {layer}")
            else:
                self._content = explain_selection(trainer, self._names, self._key, self.memory)
                self.hint.setText(
                    "Click a link or a neuron" if self._key is None else "Selected in the network"
                )
        except (IndexError, KeyError, ValueError):
            # a selection from a structure that has just changed: start afresh
            self._key, self._layer = None, None
            self._content = explain_selection(trainer, self._names, None)
        scroll = self.browser.verticalScrollBar().value()
        self.browser.setHtml(self._content.to_html())
        self.browser.verticalScrollBar().setValue(scroll)

    # -- following the session -----------------------------------------------------------

    def _schedule(self) -> None:
        self._dirty = True
        if self._timer.isActive():
            return
        self._timer.start(RUNNING_REFRESH_MS if self.session.running else 0)

    def _phase_finished(self, name: str) -> None:
        trace = live_trace(self.session.trainer)
        depth = self.session.trainer.network.depth
        if self.follow.isChecked() and trace is not None and name == "forward_layer":
            self._layer = (trace.forward_done, "forward")
        elif self.follow.isChecked() and trace is not None and name == "backward_layer":
            self._layer = (depth - trace.backward_done + 1, "backward")
        elif name not in ("run",):
            self._layer = None
        self._schedule()

    def _follow_toggled(self, on: bool) -> None:
        if not on:
            self._layer = None
            self.refresh()

    def _lesson_replaced(self) -> None:
        trainer = self.session.trainer
        self._names = names_for(trainer.network, trainer.lesson.view)
        self._key, self._layer = None, None
        self.refresh()

    # -- looks -----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.refresh(force=True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Larger text in a larger dock, so a projected inspector reads from the back."""
        super().resizeEvent(event)
        width = event.size().width()
        scale = min(max(round(width / 800 * 4) / 4, 1.0), 1.5)
        if scale != self._scale:
            self._scale = scale
            self._apply_font()

    def changeEvent(self, event: QEvent) -> None:
        """The window's zoom (View ▸ Zoom, presentation mode) changes the widget's font:
        the formulas follow it."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._apply_font()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.browser and event.type() == QEvent.Type.FontChange:
            self._apply_font()
        return super().eventFilter(watched, event)

    def _apply_font(self) -> None:
        base = self.browser.font()
        size = base.pointSizeF() if base.pointSizeF() > 0 else 10.0
        font = QFont(base)
        font.setPointSizeF(max(size, 9.0) * 1.2 * self._scale)
        self.browser.document().setDefaultFont(font)


__all__ = [
    "Formula",
    "Inspector",
    "InspectorContent",
    "Section",
    "explain_layer",
    "explain_selection",
    "rich",
    "update_formulas",
]
