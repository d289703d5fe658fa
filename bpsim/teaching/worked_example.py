"""``bpsim explain``: one training step as a worked example in Markdown, HTML or JSON.

The order is the seeds' order: the forward pass layer by layer (each net input as its
weighted sum, each activation), the loss, the backward pass from the output back (each
delta, each gradient as its chain-rule factors), then every parameter before and after
the update. Large layers are cut short in the text (the JSON always has everything).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from bpsim.core.network import Network, Trace, copy_trace
from bpsim.core.trainer import Trainer
from bpsim.teaching.explain import (
    Names,
    ParameterUpdate,
    names_for,
    neuron_backward,
    neuron_forward,
    parameter_updates,
    weight_gradient,
)
from bpsim.text import fmt, fmtp

MAX_NEURONS = 8  # neurons written out per layer
MAX_TERMS = 6  # products written out per weighted sum
MAX_SAMPLES = 2  # samples written out per batch

ACTIVATION_TEXT = {
    "sigmoid": "σ(net) = 1 / (1 + e^−({net}))",
    "tanh": "tanh({net})",
    "relu": "max(0, {net})",
    "leaky_relu": "leaky_relu({net})",
    "linear": "{net}",
    "softmax": "e^({net}) / Σ e^net",
}

LOSS_TEXT = {
    "half_sse": "E = ½ Σₖ (tₖ − oₖ)²",
    "mse": "E = (1/K) Σₖ (tₖ − oₖ)²",
    "binary_cross_entropy": "E = −(1/K) Σₖ [tₖ ln oₖ + (1 − tₖ) ln(1 − oₖ)]",
    "cross_entropy": "E = −Σₖ tₖ ln oₖ",
}

GRAD_OUT_TEXT = {
    "half_sse": "∂E/∂o = −(t − o)",
    "mse": "∂E/∂o = (2/K)·(o − t)",
    "binary_cross_entropy": "∂E/∂o = (o − t) / (K·o(1 − o))",
    "cross_entropy": "∂E/∂o = −t/o",
}


@dataclass
class WorkedExample:
    """Everything one explained step produced."""

    title: str
    description: str
    trainer: Trainer
    network: Network  # a copy holding the parameters as they were before the update
    trace: Trace  # the pass, frozen before the update
    names: Names
    updates: list[ParameterUpdate]
    before: list[np.ndarray]
    optimizer: str
    hyper: dict[str, float | bool]


def run_explained_step(trainer: Trainer) -> WorkedExample:
    """Perform one step on the next batch, keeping what the text needs."""
    net = trainer.network
    before = [a.copy() for a in net.parameter_arrays()]
    frozen = Network(net.layers, net.parameters(), net.loss.name)
    trainer.forward()
    trainer.backward()
    assert trainer.trace is not None
    trace = copy_trace(trainer.trace)
    gradients = [g.copy() for g in trainer.gradients()]
    hyper = dict(trainer.optimizer.hyper)
    trainer.update()
    names = names_for(net, trainer.lesson.view)
    updates = parameter_updates(net, names, before, gradients, trainer.last_update)
    return WorkedExample(
        title=trainer.lesson.name or "Worked example",
        description=trainer.lesson.description,
        trainer=trainer,
        network=frozen,
        trace=trace,
        names=names,
        updates=updates,
        before=before,
        optimizer=trainer.optimizer_spec.name,
        hyper=hyper,
    )


def _vector(values: np.ndarray) -> str:
    return "[" + ", ".join(fmt(float(v)) for v in values) + "]"


def _nested(arrays: list[np.ndarray]) -> list[Any]:
    return [a.tolist() for a in arrays]


def to_json(example: WorkedExample) -> str:
    """The step as one JSON object (full precision; lists shaped as in the file)."""
    net = example.trainer.network
    trace = example.trace
    after = net.parameters()
    data = {
        "name": example.title,
        "batch": [int(r) for r in trace.indices],
        "loss": trace.loss,
        "sample_losses": trace.sample_losses.tolist(),
        "targets": trace.targets.tolist(),
        "net_inputs": [z.tolist() for z in trace.z[1:]],
        "activations": [a.tolist() for a in trace.a],
        "deltas": [d.tolist() for d in trace.delta[1:]],
        "gradients": {
            "weights": _nested(trace.weight_grads),
            "biases": _nested(trace.bias_grads),
        },
        "parameters_before": {
            "weights": _nested(example.before[0::2]),
            "biases": _nested(example.before[1::2]),
        },
        "updates": {
            "weights": _nested(example.trainer.last_update[0::2]),
            "biases": _nested(example.trainer.last_update[1::2]),
        },
        "parameters": {"weights": _nested(after.weights), "biases": _nested(after.biases)},
        "optimizer": {"name": example.optimizer, **example.hyper},
        "loss_function": net.loss.name,
    }
    return json.dumps(data, indent=2, allow_nan=False)


class _Writer:
    """Collects Markdown lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, text: str = "") -> None:
        self.lines.append(text)

    def text(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def _update_rule(optimizer: str, hyper: dict[str, float | bool]) -> str:
    lr = fmt(float(hyper["learning_rate"]))
    if optimizer == "sgd" and not hyper.get("momentum") and not hyper.get("weight_decay"):
        return f"plain gradient descent: p ← p − η·∂E/∂p with η = {lr}"
    extras = ", ".join(f"{k} = {v}" for k, v in hyper.items() if k != "learning_rate")
    return f"{optimizer} with η = {lr} ({extras}); Δp is the optimizer's step"


def to_markdown(example: WorkedExample) -> str:
    """The step as a worked example in Markdown."""
    out = _Writer()
    net = example.network
    trace = example.trace
    names = example.names
    samples = min(trace.batch_size, MAX_SAMPLES)

    out(f"# {example.title}")
    out()
    if example.description.strip():
        out(example.description.strip())
        out()
    rows = ", ".join(str(int(r) + 1) for r in trace.indices[:10])
    more = "" if trace.batch_size <= 10 else f", … ({trace.batch_size} in all)"
    out(
        f"One step of training on the first batch (sample{'s' if trace.batch_size > 1 else ''} "
        f"{rows}{more}). Loss: {LOSS_TEXT[net.loss.name]}. Update: "
        f"{_update_rule(example.optimizer, example.hyper)}."
    )
    if trace.batch_size > 1:
        out()
        out(
            f"The batch loss is the mean of the {trace.batch_size} samples' losses, and each "
            "gradient is the mean of the samples' gradients. The chain rule is written out "
            f"for the first {samples} sample{'s' if samples > 1 else ''}."
        )
    out()

    # -- forward ----------------------------------------------------------------------
    out("## 1. Forward pass")
    out()
    for s in range(samples):
        x = trace.a[0][s]
        t = trace.targets[s]
        out(f"**Sample {int(trace.indices[s]) + 1}:** input {_vector(x)}, target {_vector(t)}.")
        out()
        for k in range(1, net.depth + 1):
            layer = net.layers[k]
            kind = "output layer" if k == net.depth else f"hidden layer {k}"
            out(f"### Layer {k} ({kind}, {layer.activation})")
            out()
            for j in range(min(layer.size, MAX_NEURONS)):
                nf = neuron_forward(net, trace, names, k, j, s)
                shown = nf.terms[:MAX_TERMS]
                symbolic = " + ".join(f"{t.weight_name}·{t.input_name}" for t in shown)
                numeric = " + ".join(f"{fmtp(t.weight)} × {fmtp(t.value)}" for t in shown)
                if len(nf.terms) > MAX_TERMS:
                    symbolic += f" + … ({len(nf.terms) - MAX_TERMS} more)"
                    numeric += " + …"
                if nf.bias_name:
                    symbolic += f" + {nf.bias_name}"
                    numeric += f" + {fmtp(nf.bias)}"
                out(f"- net_{nf.name} = {symbolic} = {numeric} = **{fmt(nf.net)}**")
                formula = ACTIVATION_TEXT[nf.activation].format(net=fmt(nf.net))
                out(f"  out_{nf.name} = {formula} = **{fmt(nf.out)}**")
            if layer.size > MAX_NEURONS:
                out(f"- … and {layer.size - MAX_NEURONS} more neurons")
            out()

    # -- loss -------------------------------------------------------------------------
    out("## 2. The loss")
    out()
    o = trace.a[net.depth]
    for s in range(samples):
        if net.loss.name == "half_sse" and o.shape[1] <= MAX_NEURONS:
            parts = [
                f"½({fmt(float(t))} − {fmtp(float(v))})²"
                for t, v in zip(trace.targets[s], o[s], strict=True)
            ]
            values = [
                fmt(0.5 * float(t - v) ** 2) for t, v in zip(trace.targets[s], o[s], strict=True)
            ]
            out(
                f"E = {' + '.join(parts)} = {' + '.join(values)} = "
                f"**{fmt(float(trace.sample_losses[s]))}**"
            )
        else:
            out(
                f"E (sample {int(trace.indices[s]) + 1}) = **{fmt(float(trace.sample_losses[s]))}**"
            )
        out()
    if trace.batch_size > 1:
        out(f"Batch loss (mean over {trace.batch_size} samples): **{fmt(trace.loss)}**")
        out()

    # -- backward ---------------------------------------------------------------------
    out("## 3. Backward pass")
    out()
    for s in range(samples):
        if trace.batch_size > 1:
            out(f"**Sample {int(trace.indices[s]) + 1}.**")
            out()
        for k in range(net.depth, 0, -1):
            layer = net.layers[k]
            kind = "output layer" if k == net.depth else f"hidden layer {k}"
            out(f"### Layer {k} ({kind})")
            out()
            for j in range(min(layer.size, MAX_NEURONS)):
                nb = neuron_backward(net, trace, names, k, j, s)
                n = nb.name
                if k == net.depth:
                    out(f"- ∂E/∂out_{n} = {fmt(nb.grad_out)}  ({GRAD_OUT_TEXT[net.loss.name]})")
                else:
                    paths = nb.paths[:MAX_TERMS]
                    sym = " + ".join(f"δ_{p.neuron}·{p.weight_name}" for p in paths)
                    num = " + ".join(f"{fmtp(p.delta)} × {fmtp(p.weight)}" for p in paths)
                    if len(nb.paths) > MAX_TERMS:
                        sym += " + …"
                        num += " + …"
                    out(f"- ∂E/∂out_{n} = Σ {sym} = {num} = {fmt(nb.grad_out)}")
                if nb.fused and k == net.depth:
                    out(
                        f"  δ_{n} = ∂E/∂net_{n} = **{fmt(nb.delta)}** (loss and "
                        f"{layer.activation} together: o − t form)"
                    )
                else:
                    out(
                        f"  ∂out_{n}/∂net_{n} = {fmt(nb.fprime)};  δ_{n} = ∂E/∂net_{n} = "
                        f"{fmtp(nb.grad_out)} × {fmtp(nb.fprime)} = **{fmt(nb.delta)}**"
                    )
            if layer.size > MAX_NEURONS:
                out(f"- … and {layer.size - MAX_NEURONS} more neurons")
            out()

    out("### Gradients")
    out()
    out(
        "Each weight's gradient is ∂E/∂w = ∂E/∂out · ∂out/∂net · ∂net/∂w "
        "= δ · (the input it carries)."
    )
    out()
    for k in range(net.depth - 1, -1, -1):
        w = net.weights[k]
        mask = net.masks[k]
        written = 0
        fused_layer = neuron_backward(net, trace, names, k + 1, 0).fused
        for j, i in np.ndindex(w.shape):
            if mask is not None and mask[j, i] == 0:
                continue
            if written >= MAX_NEURONS * 2:
                out(f"- … and {w.size - written} more weights into layer {k + 1}")
                break
            wg = weight_gradient(net, trace, names, k, j, i)
            if trace.batch_size == 1:
                chain = (
                    f"{fmtp(wg.delta)} × {fmtp(wg.input_value)}"
                    if fused_layer
                    else f"{fmtp(wg.grad_out)} × {fmtp(wg.fprime)} × {fmtp(wg.input_value)}"
                )
                out(
                    f"- ∂E/∂{wg.name} ({wg.source} → {wg.target}) = {chain} "
                    f"= **{fmt(wg.gradient)}**"
                )
            else:
                out(
                    f"- ∂E/∂{wg.name} ({wg.source} → {wg.target}) = mean over the batch "
                    f"= **{fmt(wg.gradient)}**"
                )
            written += 1
        gb = trace.bias_grads[k]
        layer = net.layers[k + 1]
        for j in range(min(gb.size, MAX_NEURONS)):
            shared = layer.bias == "shared"
            name = names.bias(k, j, shared)
            targets = names.neurons[k + 1]
            if shared:
                how = " + ".join(f"δ_{n}" for n in targets[:MAX_TERMS])
                if trace.batch_size == 1 and layer.size <= MAX_TERMS:
                    how += " = " + " + ".join(fmtp(float(d)) for d in trace.delta[k + 1][0])
            else:
                how = f"δ_{targets[j]}"
            if trace.batch_size > 1:
                how += " (mean over the batch)"
            out(f"- ∂E/∂{name} = {how} = **{fmt(float(gb[j]))}**")
        out()

    # -- update -----------------------------------------------------------------------
    out("## 4. Update")
    out()
    rule = _update_rule(example.optimizer, example.hyper)
    out(rule[0].upper() + rule[1:] + ".")
    out()
    lr = float(example.hyper["learning_rate"])
    plain_sgd = (
        example.optimizer == "sgd"
        and not example.hyper.get("momentum")
        and not example.hyper.get("weight_decay")
    )
    out("| parameter | before | ∂E/∂p | change | after |")
    out("|---|---|---|---|---|")
    for row in example.updates[:64]:
        change = (
            f"−{fmt(lr)} × {fmtp(row.gradient)} = {fmt(row.delta)}" if plain_sgd else fmt(row.delta)
        )
        out(
            f"| {row.name} | {fmt(row.before)} | {fmt(row.gradient)} | {change} "
            f"| {fmt(row.after)} |"
        )
    if len(example.updates) > 64:
        out(f"| … | {len(example.updates) - 64} more | | | |")
    out()
    loss_after = example.trainer.network.loss_on(trace.a[0], trace.targets)
    out(f"The same batch's loss after the update: {fmt(trace.loss)} → **{fmt(loss_after)}**.")
    return out.text()


def to_html(example: WorkedExample) -> str:
    """The Markdown above as a small standalone HTML page."""
    body: list[str] = []
    in_list = False
    table: list[list[str]] = []

    def inline(text: str) -> str:
        escaped = html.escape(text)
        return re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)

    def flush_table() -> None:
        if not table:
            return
        head, *rows = table
        body.append(
            "<table><thead><tr>"
            + "".join(f"<th>{inline(c)}</th>" for c in head)
            + "</tr></thead><tbody>"
        )
        for row in rows:
            body.append("<tr>" + "".join(f"<td>{inline(c)}</td>" for c in row) + "</tr>")
        body.append("</tbody></table>")
        table.clear()

    for line in to_markdown(example).splitlines():
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if not all(set(c) <= {"-"} for c in cells):
                table.append(cells)
            continue
        flush_table()
        if line.startswith("- ") or (line.startswith("  ") and in_list):
            if not in_list:
                body.append("<ul>")
                in_list = True
            if line.startswith("- "):
                body.append(f"<li>{inline(line[2:])}")
            else:
                body.append(f"<br>{inline(line.strip())}")
            continue
        if in_list:
            body.append("</ul>")
            in_list = False
        if line.startswith("### "):
            body.append(f"<h3>{inline(line[4:])}</h3>")
        elif line.startswith("## "):
            body.append(f"<h2>{inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{inline(line[2:])}</h1>")
        elif line.strip():
            body.append(f"<p>{inline(line)}</p>")
    flush_table()
    if in_list:
        body.append("</ul>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;line-height:1.5}"
        "table{border-collapse:collapse}"
        "td,th{border:1px solid #999;padding:.2em .5em;text-align:right}"
        "li{margin:.3em 0}"
    )
    title = html.escape(example.title)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )
