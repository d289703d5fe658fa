"""The formulas of a forward and a backward pass, read from the trainer: a neuron's
weighted sum, activation, derivative and delta, a weight's chain rule (with the sum over
the next layer for a hidden weight), and what the inspector shows for a selection or a
layer. Every value is the engine's, read from the trace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np

from bpsim.core.network import Network, Trace
from bpsim.core.trainer import Trainer
from bpsim.teaching.explain import (
    Names,
    names_for,
    neuron_backward,
    neuron_forward,
    weight_gradient,
)
from bpsim.teaching.formulas.model import (
    MAX_NEURONS,
    MAX_TERMS,
    Content,
    Formula,
    ParameterRef,
    Section,
    UpdateMemory,
    backward_reached,
    forward_reached,
    frac,
    live_trace,
)
from bpsim.teaching.formulas.update import update_section
from bpsim.text import fmt, fmtp


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


def net_formula(
    net: Network, trace: Trace, names: Names, k: int, j: int, s: int = 0, terms: int = MAX_TERMS
) -> Formula:
    """net = Σ w·in + b of neuron j of layer k on sample s (``terms`` products written out)."""
    nf = neuron_forward(net, trace, names, k, j, s)
    shown = nf.terms[:terms]
    symbolic = " + ".join(
        f"{t.weight_name}·{_out(names, k - 1, _index(names, k - 1, t.input_name))}" for t in shown
    )
    numeric = " + ".join(f"{fmtp(t.weight)} × {fmtp(t.value)}" for t in shown)
    if len(nf.terms) > terms:
        symbolic += f" + … ({len(nf.terms) - terms} more)"
        numeric += " + …"
    if nf.bias_name:
        symbolic += f" + {nf.bias_name}"
        numeric += f" + {fmtp(nf.bias)}"
    factors = (*(v for t in nf.terms for v in (t.weight, t.value)), nf.bias)
    return Formula(f"net_{nf.name}", [symbolic, numeric], nf.net, "net", factors)


def _index(names: Names, layer: int, name: str) -> int:
    return names.neurons[layer].index(name)


def out_formula(net: Network, trace: Trace, names: Names, k: int, j: int, s: int = 0) -> Formula:
    name = names.neurons[k][j]
    act = net.layers[k].activation
    z = float(trace.z[k][s, j])
    out = float(trace.a[k][s, j])
    lhs = f"out_{name}"
    if act == "sigmoid":
        # e^{−(−0.45)} is written e^{0.45}: one sign, as a student would write it
        power = fmt(abs(z)) if z <= 0 else f"−{fmt(z)}"
        rhs = [
            f"σ(net_{name}) = " + frac("1", f"1 + e^{{−net_{name}}}"),
            frac("1", f"1 + e^{{{power}}}"),
        ]
    elif act == "tanh":
        rhs = [f"tanh(net_{name})", f"tanh({fmt(z)})"]
    elif act == "relu":
        rhs = [f"max(0, net_{name})", f"max(0, {fmt(z)})"]
    elif act == "leaky_relu":
        rhs = [f"max(0.01·net_{name}, net_{name})", f"max(0.01 × {fmtp(z)}, {fmt(z)})"]
    elif act == "linear":
        rhs = [f"net_{name}"]
    elif act == "softmax":
        zs = trace.z[k][s]
        shown = ", ".join(fmt(float(v)) for v in zs[:MAX_TERMS])
        rhs = [
            frac(f"e^{{net_{name}}}", "Σₖ e^{netₖ}"),
            frac(f"e^{{{fmt(z)}}}", "Σₖ e^{netₖ}")
            + f", the sum over the layer's net inputs ({shown}"
            + (", …)" if len(zs) > MAX_TERMS else ")"),
        ]
    else:
        rhs = [f"{act}(net_{name})"]
    return Formula(lhs, rhs, out, "out", (z,))


def fprime_formula(net: Network, trace: Trace, names: Names, k: int, j: int, s: int = 0) -> Formula:
    name = names.neurons[k][j]
    act = net.layers[k].activation
    z = float(trace.z[k][s, j])
    out = float(trace.a[k][s, j])
    value = float(trace.fprime[k][s, j])
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


def grad_out_formula(net: Network, trace: Trace, names: Names, j: int, s: int = 0) -> Formula:
    """∂E/∂out of output neuron j, from the loss."""
    k = net.depth
    name = names.neurons[k][j]
    t = float(trace.targets[s, j])
    o = float(trace.a[k][s, j])
    size = net.sizes[k]
    loss = net.loss.name
    value = float(trace.grad_a[k][s, j])
    if loss == "half_sse":
        rhs = [f"−(t_{name} − out_{name})", f"−({fmt(t)} − {fmtp(o)})"]
    elif loss == "mse":
        rhs = [
            frac("2", "K") + f"·(out_{name} − t_{name})",
            frac("2", str(size)) + f" × ({fmt(o)} − {fmtp(t)})",
        ]
    elif loss == "binary_cross_entropy":
        rhs = [
            frac(f"out_{name} − t_{name}", f"K·out_{name}·(1 − out_{name})"),
            frac(f"{fmt(o)} − {fmtp(t)}", f"{size} × {fmt(o)} × (1 − {fmtp(o)})"),
        ]
    elif loss == "cross_entropy":
        rhs = ["−" + frac(f"t_{name}", f"out_{name}"), "−" + frac(fmt(t), fmt(o))]
    else:
        rhs = []
    return Formula(f"∂E/∂out_{name}", rhs, value, "grad_out", (t, o))


def _fused_delta_rhs(net: Network, trace: Trace, names: Names, j: int, s: int = 0) -> list[str]:
    k = net.depth
    name = names.neurons[k][j]
    t = float(trace.targets[s, j])
    o = float(trace.a[k][s, j])
    act, loss = net.layers[k].activation, net.loss.name
    if loss == "cross_entropy" and act == "softmax":
        total = float(trace.targets[s].sum())
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
            frac(f"out_{name} − t_{name}", "K") + " (binary cross-entropy and sigmoid together)",
            frac(f"{fmt(o)} − {fmtp(t)}", str(size)),
        ]
    return [f"Σₖ ∂E/∂outₖ · ∂outₖ/∂net_{name} (softmax couples every output)"]


def paths_formula(
    net: Network, trace: Trace, names: Names, k: int, j: int, s: int = 0, terms: int = MAX_TERMS
) -> Formula:
    """∂E/∂out of hidden neuron j of layer k: the sum over the paths through layer k+1."""
    nb = neuron_backward(net, trace, names, k, j, s)
    name = nb.name
    paths = nb.paths[:terms]
    symbolic = " + ".join(f"δ_{p.neuron}·{p.weight_name}" for p in paths)
    numeric = " + ".join(f"{fmtp(p.delta)} × {fmtp(p.weight)}" for p in paths)
    if len(nb.paths) > terms:
        symbolic += f" + … ({len(nb.paths) - terms} more)"
        numeric += " + …"
    factors = tuple(v for p in nb.paths for v in (p.delta, p.weight))
    return Formula(f"∂E/∂out_{name}", [symbolic, numeric], nb.grad_out, "grad_out", factors)


def delta_formula(net: Network, trace: Trace, names: Names, k: int, j: int, s: int = 0) -> Formula:
    nb = neuron_backward(net, trace, names, k, j, s)
    name = nb.name
    lhs = f"δ_{name} = ∂E/∂net_{name}"
    if nb.fused and k == net.depth:
        return Formula(lhs, _fused_delta_rhs(net, trace, names, j, s), nb.delta, "delta")
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


def gradient_summary(
    net: Network, trace: Trace, names: Names, k: int, j: int, i: int, s: int = 0
) -> Formula:
    """A weight's gradient on one line for a list: ``∂E/∂w5 (h1 → y1) = 0.58371 ×
    0.232122 × 0.538424 = 0.072952`` (for a batch: the mean over its samples)."""
    wg = weight_gradient(net, trace, names, k, j, i, s)
    lhs = f"∂E/∂{wg.name} ({wg.source} → {wg.target})"
    if trace.batch_size > 1:
        return Formula(lhs, ["mean over the batch"], wg.gradient, "gradient")
    if k + 1 == net.depth and neuron_backward(net, trace, names, k + 1, j).fused:
        factors: tuple[float, ...] = (wg.delta, wg.input_value)
    else:
        factors = (wg.grad_out, wg.fprime, wg.input_value)
    numbers = " × ".join(fmtp(f) for f in factors)
    return Formula(lhs, [numbers], wg.gradient, "gradient", factors)


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
            out.append(delta_formula(net, trace, names, k + 1, j))
        else:
            out.append(grad_out_formula(net, trace, names, j))
            out.append(fprime_formula(net, trace, names, k + 1, j))
    else:
        out.append(paths_formula(net, trace, names, k + 1, j))
        out.append(fprime_formula(net, trace, names, k + 1, j))
    value = float(trace.a[k][0, i])
    out.append(Formula(f"∂net_{target}/∂{w}", [_out(names, k, i)], value, "input", (value,)))
    return out


# -- building the content ---------------------------------------------------------------


def _is_parameter(key: object) -> bool:
    return all(hasattr(key, name) for name in ("k", "j", "i", "bias"))


def explain_selection(
    trainer: Trainer, names: Names, key: object, memory: UpdateMemory | None = None
) -> Content:
    """The inspector's content for a link or bias (:class:`ParameterRef`) or a neuron
    (``("neuron", layer, index)``), read from the trainer as it stands."""
    if _is_parameter(key):
        ref = cast(ParameterRef, key)
        return (
            _explain_bias(trainer, names, ref, memory)
            if ref.bias
            else _explain_link(trainer, names, ref, memory)
        )
    if isinstance(key, tuple) and len(key) == 3 and key[0] == "neuron":
        return _explain_neuron(trainer, names, int(key[1]), int(key[2]))
    return Content(
        "Inspector",
        "Click a link, a bias or a neuron in the network (or a row of the parameter table) "
        "to see its numbers: a link's gradient as the chain rule and its update, a neuron's "
        "weighted sum, activation, derivative and delta.",
    )


def _explain_link(
    trainer: Trainer, names: Names, key: ParameterRef, memory: UpdateMemory | None
) -> Content:
    net = trainer.network
    k, j, i = key.k, key.j, key.i
    w = names.weight(k, j, i)
    source, target = names.neurons[k][i], names.neurons[k + 1][j]
    value = float(net.weights[k][j, i])
    content = Content(
        f"{w}: the link {source} → {target}",
        f"{w} = {fmt(value)} (weights[{k}][{j}][{i}] in the file)",
    )
    mask = net.masks[k]
    if mask is not None and mask[j, i] == 0:
        content.sections.append(Section("Removed", "info", notes=["This link is masked out."]))
        return content
    trace = live_trace(trainer)
    gradient = Section("Gradient: the chain rule", "backward")
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
    content.sections.append(update_section(trainer, memory, key, w))
    return content


def _explain_bias(
    trainer: Trainer, names: Names, key: ParameterRef, memory: UpdateMemory | None
) -> Content:
    net = trainer.network
    k, j = key.k, key.j
    layer = net.layers[k + 1]
    shared = layer.bias == "shared"
    b = names.bias(k, j, shared)
    value = float(net.biases[k][j])
    feeds = ", ".join(names.neurons[k + 1]) if shared else names.neurons[k + 1][j]
    content = Content(
        f"{b}: the bias of {feeds}",
        f"{b} = {fmt(value)} (biases[{k}][{j}] in the file)"
        + (" — one bias shared by the whole layer" if shared else ""),
    )
    trace = live_trace(trainer)
    gradient = Section("Gradient", "backward")
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
            gradient.formulas.append(delta_formula(net, trace, names, k + 1, n))
        if not shared:
            gradient.formulas.append(delta_formula(net, trace, names, k + 1, j))
    else:
        gradient.notes.append(f"∂E/∂{b} appears after a forward pass (F) and a backward pass (B).")
    content.sections.append(gradient)
    content.sections.append(update_section(trainer, memory, key, b))
    return content


def _explain_neuron(trainer: Trainer, names: Names, layer: int, index: int) -> Content:
    net = trainer.network
    name = names.neurons[layer][index]
    activation = net.layers[layer].activation if layer > 0 else ""
    content = Content(
        f"{name}: {_kind(net, layer)}, neuron {index + 1}",
        f"activation {activation}" if activation else "an input: it passes its value on",
    )
    trace = live_trace(trainer)
    if layer == 0:
        forward = Section("Value", "forward")
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
    forward = Section("Forward: weighted sum and activation", "forward")
    if forward_reached(trace, layer):
        assert trace is not None
        forward.formulas.append(net_formula(net, trace, names, layer, index))
        forward.formulas.append(out_formula(net, trace, names, layer, index))
        forward.formulas.append(fprime_formula(net, trace, names, layer, index))
        note = _sample_note(trace)
        if note:
            forward.notes.append(note)
    else:
        forward.notes.append(
            f"net_{name} and out_{name} appear when the forward pass reaches layer {layer} (F)."
        )
    content.sections.append(forward)
    backward = Section("Backward: the delta", "backward")
    if backward_reached(trace, net.depth, layer):
        assert trace is not None
        if layer == net.depth:
            nb = neuron_backward(net, trace, names, layer, index)
            if not nb.fused:
                backward.formulas.append(grad_out_formula(net, trace, names, index))
        else:
            backward.formulas.append(paths_formula(net, trace, names, layer, index))
        backward.formulas.append(delta_formula(net, trace, names, layer, index))
    elif forward_reached(trace, layer):
        backward.notes.append(f"δ_{name} appears when the backward pass reaches layer {layer} (B).")
    content.sections.append(backward)
    return content


def explain_layer(trainer: Trainer, names: Names, layer: int, direction: str) -> Content:
    """The layer just computed while stepping layer by layer (``direction`` "forward" or
    "backward"): every neuron's formulas, and on the way back the incoming gradients."""
    net = trainer.network
    trace = live_trace(trainer)
    content = Content(
        f"Layer {layer} ({_kind(net, layer)}): {direction} pass",
        "Following the pass layer by layer; click a link or a neuron for its whole chain rule.",
    )
    if trace is None or not 1 <= layer <= net.depth:
        return content
    shown = range(min(net.sizes[layer], MAX_NEURONS))
    if direction == "forward":
        for j in shown:
            name = names.neurons[layer][j]
            section = Section(f"{name}", "forward")
            section.formulas.append(net_formula(net, trace, names, layer, j))
            section.formulas.append(out_formula(net, trace, names, layer, j))
            content.sections.append(section)
    else:
        for j in shown:
            name = names.neurons[layer][j]
            section = Section(f"{name}", "backward")
            if layer == net.depth:
                if not neuron_backward(net, trace, names, layer, j).fused:
                    section.formulas.append(grad_out_formula(net, trace, names, j))
            else:
                section.formulas.append(paths_formula(net, trace, names, layer, j))
            section.formulas.append(delta_formula(net, trace, names, layer, j))
            content.sections.append(section)
        gradients = Section(f"Gradients of the weights into layer {layer}", "backward")
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


# -- the chain rule of one weight, for a strip or a slide ---------------------------------


@dataclass(frozen=True)
class ChainRule:
    """∂E/∂w as the product of its factors with the engine's numbers (first sample of the
    batch): ``factors`` are (symbol, value) pairs, ``result`` the engine's gradient (the
    batch mean; the product of the factors for a batch of one)."""

    weight: str
    source: str
    target: str
    factors: tuple[tuple[str, float], ...]
    result: float
    batch_size: int

    @property
    def symbol(self) -> str:
        return f"∂E/∂{self.weight}"

    def text(self) -> str:
        """``∂E/∂w5 = 0.58371 × 0.232122 × 0.538424 = 0.072952`` (Unicode, one line)."""
        product = " × ".join(fmtp(value) for _, value in self.factors)
        if self.batch_size > 1:
            mean = f"the mean over {self.batch_size} samples of ({product}, …)"
            return f"{self.symbol} = {mean} = {fmt(self.result)}"
        return f"{self.symbol} = {product} = {fmt(self.result)}"


def chain_rule(
    trainer: Trainer, layer: int, j: int, i: int, names: Names | None = None
) -> ChainRule | None:
    """The chain rule of ``weights[layer][j][i]`` (the link from neuron i of layer
    ``layer`` to neuron j of layer ``layer + 1``, as the file counts them), or None until
    the backward pass has reached it (or for a masked link)."""
    net = trainer.network
    trace = live_trace(trainer)
    if not 0 <= layer < net.depth or not backward_reached(trace, net.depth, layer + 1):
        return None
    assert trace is not None
    mask = net.masks[layer]
    if mask is not None and mask[j, i] == 0:
        return None
    names = names if names is not None else names_for(net, trainer.lesson.view)
    wg = weight_gradient(net, trace, names, layer, j, i)
    target, w = wg.target, wg.name
    into = f"∂net_{target}/∂{w}"
    factors: tuple[tuple[str, float], ...]
    if layer + 1 == net.depth and neuron_backward(net, trace, names, layer + 1, j).fused:
        factors = ((f"∂E/∂net_{target}", wg.delta), (into, wg.input_value))
    else:
        factors = (
            (f"∂E/∂out_{target}", wg.grad_out),
            (f"∂out_{target}/∂net_{target}", wg.fprime),
            (into, wg.input_value),
        )
    return ChainRule(w, wg.source, target, factors, wg.gradient, trace.batch_size)
