"""``bpsim explain`` and the handouts: one training step as a worked example in Markdown,
HTML or JSON.

The order is the seeds' order: the forward pass layer by layer (each net input as its
weighted sum, each activation), the loss, the backward pass from the output back (each
delta, each gradient as its chain-rule factors), then every parameter before and after
the update. The formulas are :mod:`bpsim.teaching.formulas`' (the Inspector's and the
quiz's too), collected here as a list of :class:`Block` and typeset twice: Markdown in
plain Unicode (``exp(−0.154)``, ``out²``) and HTML with real sub- and superscripts, which
Qt also prints to PDF. A large network (a layer wider than :data:`MAX_NEURONS`, or more
than :data:`MAX_WEIGHTS` weights) is summarised per layer: one neuron and one weight
written out as the example, the rest as ranges, so a digits handout stays a few pages
(the JSON always has everything).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bpsim.core.network import Network, Trace, copy_trace
from bpsim.core.trainer import Trainer
from bpsim.teaching.explain import Names, ParameterUpdate, names_for, parameter_updates
from bpsim.teaching.formulas import (
    LOSS_FORMULAS,
    Formula,
    delta_formula,
    formula_html,
    formula_text,
    fprime_formula,
    grad_out_formula,
    gradient_summary,
    net_formula,
    out_formula,
    paths_formula,
    plain,
    rich,
)
from bpsim.text import fmt, fmtp

MAX_NEURONS = 8  # neurons written out per layer
MAX_TERMS = 6  # products written out per weighted sum
MAX_SAMPLES = 2  # samples written out per batch

MAX_WEIGHTS = 64  # more weights than this: the network is summarised per layer
MAX_UPDATE_ROWS = 64  # rows of the update table
SUMMARY_TERMS = 3  # products written out per sum when the network is summarised
SUMMARY_ROWS = 2  # update-table rows per parameter array when summarised


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


# -- the worked example as blocks -------------------------------------------------------


@dataclass
class Block:
    """One piece of the worked example: a heading (``h1``–``h3``), a paragraph (``p``, in
    the lesson's light Markdown: **strong**, *emphasis*), a list of ``items`` (each item
    one or more formulas, or a note), or a ``table`` (the first row its head)."""

    kind: str
    text: str = ""
    items: list[list[Formula | str]] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def is_large(network: Network) -> bool:
    """Whether the worked example summarises the network per layer."""
    weights = sum(int(w.size) for w in network.weights)
    return max(network.sizes) > MAX_NEURONS or weights > MAX_WEIGHTS


def _kind(net: Network, k: int) -> str:
    return "output layer" if k == net.depth else f"hidden layer {k}"


def _range_note(what: str, values: np.ndarray, skipped: int) -> str:
    """One line for the neurons not written out: the range of their values."""
    return (
        f"The other {skipped} neurons work the same way; {what} over the layer runs from "
        f"{fmt(float(values.min()))} to {fmt(float(values.max()))}."
    )


def _update_rule(optimizer: str, hyper: dict[str, float | bool]) -> str:
    lr = fmt(float(hyper["learning_rate"]))
    if optimizer == "sgd" and not hyper.get("momentum") and not hyper.get("weight_decay"):
        return f"plain gradient descent: p ← p − η·∂E/∂p with η = {lr}"
    extras = ", ".join(f"{k} = {v}" for k, v in hyper.items() if k != "learning_rate")
    return f"{optimizer} with η = {lr} ({extras}); Δp is the optimizer's step"


def _plain_sgd(example: WorkedExample) -> bool:
    hyper = example.hyper
    return (
        example.optimizer == "sgd" and not hyper.get("momentum") and not hyper.get("weight_decay")
    )


def blocks(example: WorkedExample) -> list[Block]:
    """The worked example in the seeds' order, as blocks for any renderer."""
    net = example.network
    trace = example.trace
    large = is_large(net)
    samples = min(trace.batch_size, 1 if large else MAX_SAMPLES)
    shown_neurons = 1 if large else MAX_NEURONS
    out: list[Block] = [Block("h1", example.title)]
    for paragraph in example.description.strip().split("\n\n"):
        if paragraph.strip():
            out.append(Block("p", paragraph.strip()))
    rows = ", ".join(str(int(r) + 1) for r in trace.indices[:10])
    more = "" if trace.batch_size <= 10 else f", … ({trace.batch_size} in all)"
    out.append(
        Block(
            "p",
            f"One step of training on the first batch (sample{'s' if trace.batch_size > 1 else ''} "
            f"{rows}{more}). Loss: {LOSS_FORMULAS[net.loss.name]}. Update: "
            f"{_update_rule(example.optimizer, example.hyper)}.",
        )
    )
    if trace.batch_size > 1:
        out.append(
            Block(
                "p",
                f"The batch loss is the mean of the {trace.batch_size} samples' losses, and each "
                "gradient is the mean of the samples' gradients. The chain rule is written out "
                + (
                    "for the first sample." if samples == 1 else f"for the first {samples} samples."
                ),
            )
        )
    if large:
        out.append(
            Block(
                "p",
                f"A network of {' → '.join(str(n) for n in net.sizes)} neurons: each layer is "
                "summarised, with its first neuron and first weight written out as the example.",
            )
        )
    terms = SUMMARY_TERMS if large else MAX_TERMS
    out += _forward_blocks(example, samples, shown_neurons, terms)
    out += _loss_blocks(example, samples)
    out += _backward_blocks(example, samples, shown_neurons, terms)
    out += _gradient_blocks(example, large)
    out += _update_blocks(example, large)
    return out


def _forward_blocks(example: WorkedExample, samples: int, shown: int, terms: int) -> list[Block]:
    net, trace, names = example.network, example.trace, example.names
    out = [Block("h2", "1. Forward pass")]
    for s in range(samples):
        x, t = trace.a[0][s], trace.targets[s]
        out.append(
            Block(
                "p",
                f"**Sample {int(trace.indices[s]) + 1}:** input {_vector(x[: MAX_NEURONS * 2])}"
                f"{' …' if x.size > MAX_NEURONS * 2 else ''}, target {_vector(t)}.",
            )
        )
        for k in range(1, net.depth + 1):
            layer = net.layers[k]
            out.append(Block("h3", f"Layer {k} ({_kind(net, k)}, {layer.activation})"))
            items: list[list[Formula | str]] = [
                [
                    net_formula(net, trace, names, k, j, s, terms),
                    out_formula(net, trace, names, k, j, s),
                ]
                for j in range(min(layer.size, shown))
            ]
            if layer.size > shown:
                items.append([_range_note("out", trace.a[k][s], layer.size - shown)])
            out.append(Block("list", items=items))
    return out


def _loss_blocks(example: WorkedExample, samples: int) -> list[Block]:
    net, trace = example.network, example.trace
    out = [Block("h2", "2. The loss")]
    o = trace.a[net.depth]
    items: list[list[Formula | str]] = []
    for s in range(samples):
        loss = float(trace.sample_losses[s])
        if net.loss.name == "half_sse" and o.shape[1] <= MAX_NEURONS:
            pairs = list(zip(trace.targets[s], o[s], strict=True))
            parts = " + ".join(f"½({fmt(float(t))} − {fmtp(float(v))})^{{2}}" for t, v in pairs)
            values = " + ".join(fmt(0.5 * float(t - v) ** 2) for t, v in pairs)
            items.append([Formula("E", [parts, values], loss, "loss")])
        else:
            items.append([Formula(f"E (sample {int(trace.indices[s]) + 1})", [], loss, "loss")])
    if trace.batch_size > 1:
        items.append(
            [Formula(f"E (the batch: the mean over {trace.batch_size} samples)", [], trace.loss)]
        )
    out.append(Block("list", items=items))
    return out


def _backward_blocks(example: WorkedExample, samples: int, shown: int, terms: int) -> list[Block]:
    net, trace, names = example.network, example.trace, example.names
    out = [Block("h2", "3. Backward pass")]
    for s in range(samples):
        if trace.batch_size > 1:
            out.append(Block("p", f"**Sample {int(trace.indices[s]) + 1}.**"))
        for k in range(net.depth, 0, -1):
            layer = net.layers[k]
            out.append(Block("h3", f"Layer {k} ({_kind(net, k)})"))
            items: list[list[Formula | str]] = []
            for j in range(min(layer.size, shown)):
                delta = delta_formula(net, trace, names, k, j, s)
                if k == net.depth:
                    if delta.factors:  # not the fused o − t form
                        items.append(
                            [
                                grad_out_formula(net, trace, names, j, s),
                                fprime_formula(net, trace, names, k, j, s),
                                delta,
                            ]
                        )
                    else:
                        items.append([delta])
                else:
                    items.append(
                        [
                            paths_formula(net, trace, names, k, j, s, terms),
                            fprime_formula(net, trace, names, k, j, s),
                            delta,
                        ]
                    )
            if layer.size > shown:
                items.append([_range_note("δ", trace.delta[k][s], layer.size - shown)])
            out.append(Block("list", items=items))
    return out


def _gradient_blocks(example: WorkedExample, large: bool) -> list[Block]:
    net, trace, names = example.network, example.trace, example.names
    out = [
        Block("h3", "Gradients"),
        Block(
            "p",
            "Each weight's gradient is ∂E/∂w = ∂E/∂out · ∂out/∂net · ∂net/∂w "
            "= δ · (the input it carries).",
        ),
    ]
    limit = 1 if large else MAX_NEURONS * 2
    for k in range(net.depth - 1, -1, -1):
        w = net.weights[k]
        mask = net.masks[k]
        links = [(j, i) for j, i in np.ndindex(w.shape) if mask is None or mask[j, i] != 0]
        items: list[list[Formula | str]] = []
        for j, i in links[:limit]:
            items.append([gradient_summary(net, trace, names, k, j, i)])
        if len(links) > limit:
            g = np.abs(trace.weight_grads[k])
            items.append(
                [
                    f"… and {len(links) - limit} more weights into layer {k + 1}: |∂E/∂w| from "
                    f"{fmt(float(g.min()))} to {fmt(float(g.max()))}, mean {fmt(float(g.mean()))}."
                ]
            )
        items += _bias_items(example, k, large)
        out.append(Block("list", items=items))
    return out


def _bias_items(example: WorkedExample, k: int, large: bool) -> list[list[Formula | str]]:
    net, trace, names = example.network, example.trace, example.names
    gb = trace.bias_grads[k]
    layer = net.layers[k + 1]
    shared = layer.bias == "shared"
    targets = names.neurons[k + 1]
    limit = 1 if large else MAX_NEURONS
    items: list[list[Formula | str]] = []
    for j in range(min(gb.size, limit)):
        name = names.bias(k, j, shared)
        if shared:
            rhs = [" + ".join(f"δ_{n}" for n in targets[:MAX_TERMS])]
            if trace.batch_size == 1 and layer.size <= MAX_TERMS:
                rhs.append(" + ".join(fmtp(float(d)) for d in trace.delta[k + 1][0]))
        else:
            rhs = [f"δ_{targets[j]}"]
        if trace.batch_size > 1:
            rhs[-1] += " (mean over the batch)"
        items.append([Formula(f"∂E/∂{name}", rhs, float(gb[j]), "gradient")])
    if gb.size > limit:
        items.append(
            [
                f"… and {gb.size - limit} more biases of layer {k + 1}: ∂E/∂b from "
                f"{fmt(float(gb.min()))} to {fmt(float(gb.max()))}."
            ]
        )
    return items


def _update_blocks(example: WorkedExample, large: bool) -> list[Block]:
    trace = example.trace
    rule = _update_rule(example.optimizer, example.hyper)
    out = [Block("h2", "4. Update"), Block("p", rule[0].upper() + rule[1:] + ".")]
    lr = float(example.hyper["learning_rate"])
    plain_sgd = _plain_sgd(example)
    rows = [["parameter", "before", "∂E/∂p", "change", "after"]]
    chosen = _update_rows(example, large)
    for row in chosen:
        if isinstance(row, str):
            rows.append([row, "", "", "", ""])
            continue
        change = (
            f"−{fmt(lr)} × {fmtp(row.gradient)} = {fmt(row.delta)}" if plain_sgd else fmt(row.delta)
        )
        rows.append([row.name, fmt(row.before), fmt(row.gradient), change, fmt(row.after)])
    out.append(Block("table", rows=rows))
    loss_after = example.trainer.network.loss_on(trace.a[0], trace.targets)
    out.append(
        Block(
            "p",
            f"The same batch's loss after the update: {fmt(trace.loss)} → **{fmt(loss_after)}**.",
        )
    )
    return out


def _update_rows(example: WorkedExample, large: bool) -> list[ParameterUpdate | str]:
    """The update table's rows: every parameter, or for a large network the first few of
    each array and a line for the rest."""
    updates = example.updates
    if not large:
        rows: list[ParameterUpdate | str] = list(updates[:MAX_UPDATE_ROWS])
        if len(updates) > MAX_UPDATE_ROWS:
            rows.append(f"… {len(updates) - MAX_UPDATE_ROWS} more")
        return rows
    rows = []
    start = 0
    for array in example.before:
        count = int(array.size)
        part = updates[start : start + count]
        start += count
        rows.extend(part[:SUMMARY_ROWS])
        if len(part) > SUMMARY_ROWS:
            rows.append(f"… {len(part) - SUMMARY_ROWS} more")
    return rows


# -- Markdown ----------------------------------------------------------------------------


def to_markdown(example: WorkedExample) -> str:
    """The step as a worked example in Markdown (plain Unicode formulas, values in bold)."""
    lines: list[str] = []
    for block in blocks(example):
        if block.kind in ("h1", "h2", "h3"):
            lines += ["#" * int(block.kind[1]) + " " + block.text, ""]
        elif block.kind == "p":
            lines += [plain(block.text), ""]
        elif block.kind == "list":
            for item in block.items:
                for n, part in enumerate(item):
                    text = formula_text(part, bold=True) if isinstance(part, Formula) else part
                    lines.append(("- " if n == 0 else "  ") + text)
            lines.append("")
        elif block.kind == "table":
            head, *rows = block.rows
            lines.append("| " + " | ".join(head) + " |")
            lines.append("|" + "---|" * len(head))
            lines += ["| " + " | ".join(plain(c) for c in row) + " |" for row in rows]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# -- HTML --------------------------------------------------------------------------------

_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EMPHASIS = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")

#: The page's look; every text colour passes 4.5:1 on white (tests measure them).
HTML_COLORS = {"text": "#1a1a1a", "heading": "#1a5f9e", "muted": "#505050", "rule": "#767676"}
HTML_STYLE = (
    f"body{{font-family:'DejaVu Sans',system-ui,sans-serif;max-width:60em;margin:2em auto;"
    f"padding:0 1em;line-height:1.45;color:{HTML_COLORS['text']};background:#ffffff}}"
    f"h1,h2,h3{{color:{HTML_COLORS['heading']};line-height:1.2}}"
    "h2{margin-top:1.4em}h3{margin:1em 0 .3em}"
    "table{border-collapse:collapse;margin:.5em 0}"
    "table.formula{margin:.15em 0}"
    "ul{padding-left:1.2em}li{margin:.35em 0}sub,sup{line-height:0}"
    f".note{{color:{HTML_COLORS['muted']}}}"
)


def prose_html(text: str) -> str:
    """A paragraph of the lesson's light Markdown as HTML: **strong**, *emphasis*, and
    the formula marks of :func:`~bpsim.teaching.formulas.rich` (never a raw asterisk)."""
    escaped = rich(text)
    escaped = _STRONG.sub(r"<strong>\1</strong>", escaped)
    return _EMPHASIS.sub(r"<em>\1</em>", escaped)


def html_body(example: WorkedExample) -> list[str]:
    """The page's body, one element a line (headings, paragraphs, lists, the table)."""
    body: list[str] = []
    for block in blocks(example):
        if block.kind in ("h1", "h2", "h3"):
            body.append(f"<{block.kind}>{html.escape(block.text)}</{block.kind}>")
        elif block.kind == "p":
            body.append(f"<p>{prose_html(block.text)}</p>")
        elif block.kind == "list":
            body.append("<ul>")
            for item in block.items:
                parts = [
                    formula_html(p, HTML_COLORS["text"])
                    if isinstance(p, Formula)
                    else f"<span class='note'>{rich(p)}</span>"
                    for p in item
                ]
                joined = parts[0]
                for part in parts[1:]:  # a table (stacked fractions) is a line of its own
                    joined += part if part.startswith("<table") else "<br>" + part
                body.append(f"<li>{joined}</li>")
            body.append("</ul>")
        elif block.kind == "table":
            head, *rows = block.rows
            cell = f"border:1px solid {HTML_COLORS['rule']}; padding:2px 6px"
            body.append(
                "<table><thead><tr>"
                + "".join(f"<th style='{cell}'>{rich(c)}</th>" for c in head)
                + "</tr></thead><tbody>"
            )
            for row in rows:
                if not any(row[1:]):  # "… 398 more": one cell across the table
                    body.append(
                        f"<tr><td colspan='{len(row)}' align='left' class='note' "
                        f"style='{cell}'>{rich(row[0])}</td></tr>"
                    )
                    continue
                first, *rest = row
                cells = f"<td align='left' style='{cell}'>{rich(first)}</td>" + "".join(
                    f"<td align='right' style='{cell}'>{rich(c)}</td>" for c in rest
                )
                body.append(f"<tr>{cells}</tr>")
            body.append("</tbody></table>")
    return body


def to_html(example: WorkedExample) -> str:
    """The step as a small standalone HTML page (real sub- and superscripts)."""
    title = html.escape(example.title)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{HTML_STYLE}</style></head><body>\n"
        + "\n".join(html_body(example))
        + "\n</body></html>\n"
    )
