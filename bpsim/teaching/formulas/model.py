"""The formulas model (Formula, Section, Content), its typesetting (rich HTML with
sub/sup, plain Unicode) and when a pass has computed what. NumPy and the standard library
only."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from bpsim.core.network import Trace
from bpsim.core.trainer import Phase, Trainer
from bpsim.text import fmt

MAX_TERMS = 6  # products written out per sum
MAX_NEURONS = 8  # neurons written out when following a layer

# -- content as data --------------------------------------------------------------------


class ParameterRef(Protocol):
    """A weight (``bias`` False: matrix k, to neuron j, from neuron i) or a bias (matrix
    k's layer, index j); the window's ParameterKey is one."""

    k: int
    j: int
    i: int
    bias: bool


class UpdateRecord(Protocol):
    """The parameters and optimizer state just before one update (the window keeps one)."""

    parameters: list[np.ndarray]
    buffers: dict[str, list[np.ndarray]]
    steps: list[int]
    optimizer: str
    hyper: dict[str, float | bool]
    has_momentum_buffer: list[bool]


class UpdateMemory(Protocol):
    """Whatever remembers the state before the last update (the window's PhaseMemory)."""

    def update_before(self) -> UpdateRecord | None: ...


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


#: What a section is about; a renderer gives each role its colour.
ROLES = ("forward", "backward", "update", "info")


@dataclass
class Section:
    title: str
    role: str  # one of ROLES
    formulas: list[Formula] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Colors:
    """The colours of rendered formulas: body text and one per role. Each passes WCAG AA
    (4.5:1) on ``background`` (tests/teaching/test_formulas.py measures them)."""

    text: str = "#1a1a1a"
    background: str = "#ffffff"
    forward: str = "#1a5f9e"
    backward: str = "#a3111a"
    update: str = "#23692e"
    info: str = "#505050"
    good: str = "#1b6b2a"  # a right answer in the quiz
    bad: str = "#a3111a"  # a wrong answer or a refused input

    def pairs(self) -> dict[str, tuple[str, str]]:
        """Every text colour with the background it is drawn on (for contrast checks)."""
        names = ("text", "forward", "backward", "update", "info", "good", "bad")
        return {name: (str(getattr(self, name)), self.background) for name in names}

    def role(self, role: str) -> str:
        return str(getattr(self, role, self.text))


LIGHT = Colors()


@dataclass
class Content:
    """What a view shows: a title, a line under it, and sections of formulas."""

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
        """The content as Unicode text, one formula per line."""
        lines = [plain(self.title)]
        if self.subtitle:
            lines.append(plain(self.subtitle))
        for section in self.sections:
            lines.append(plain(section.title))
            lines.extend(formula_text(f) for f in section.formulas)
            lines.extend(plain(n) for n in section.notes)
        return "\n".join(lines)

    def to_html(self, colors: Colors = LIGHT) -> str:
        """Rich text for Qt's QTextBrowser (tables for alignment, sub/sup for indices)."""
        info = colors.info
        out = [f"<p style='margin:0 0 2px 0; font-size:large'><b>{rich(self.title)}</b></p>"]
        if self.subtitle:
            out.append(f"<p style='margin:0 0 4px 0; color:{info}'>{rich(self.subtitle)}</p>")
        for section in self.sections:
            out.append(
                f"<p style='margin:8px 0 2px 0; color:{colors.role(section.role)}'>"
                f"<b>{rich(section.title)}</b></p>"
            )
            if section.formulas:
                out.append("<table cellspacing='0' cellpadding='1'>")
                for formula in section.formulas:
                    out.extend(_formula_rows(formula, colors.text))
                out.append("</table>")
            for note in section.notes:
                out.append(f"<p style='margin:3px 0; color:{info}'>{rich(note)}</p>")
        return "\n".join(out)


#: The name the inspector has always used for its content.
InspectorContent = Content


def _formula_rows(formula: Formula, rule: str) -> list[str]:
    """Aligned derivation: the left side once, then one '= …' per step (fractions
    stacked, their line in ``rule``)."""
    steps: list[str | None] = list(formula.rhs)
    if formula.value is not None:
        steps.append(None)  # the value
    if not steps:
        steps = [""]
    rows = []
    for n, step in enumerate(steps):
        left = (
            f"<td align='right' valign='middle'>{rich(formula.lhs)}</td>" if n == 0 else "<td></td>"
        )
        relation = formula.relation if n == 0 else "="
        if step is None:
            value = html.escape(fmt(formula.value or 0.0))
            shown = f"&nbsp;{html.escape(relation)}&nbsp;<b>{value}</b>"
        elif has_fraction(step):
            shown = rich_block(f" {relation} {step}", rule)
        else:
            shown = f"&nbsp;{html.escape(relation)}&nbsp;{rich(step)}"
        rows.append(f"<tr>{left}<td valign='middle'>{shown}</td></tr>")
    rows.append("<tr><td colspan='2' style='font-size:4px'>&nbsp;</td></tr>")
    return rows


# -- the rules, in formula text ----------------------------------------------------------

#: Each loss, E in terms of the targets t and outputs out (K outputs).
LOSS_FORMULAS = {
    "half_sse": "E = ½ Σₖ (tₖ − outₖ)^{2}",
    "mse": "E = \\frac{1}{K} Σₖ (tₖ − outₖ)^{2}",
    "binary_cross_entropy": "E = −\\frac{1}{K} Σₖ [tₖ ln outₖ + (1 − tₖ) ln(1 − outₖ)]",
    "cross_entropy": "E = −Σₖ tₖ ln outₖ",
}
#: Each loss's derivative with respect to one output.
GRAD_OUT_FORMULAS = {
    "half_sse": "∂E/∂out = −(t − out)",
    "mse": "∂E/∂out = \\frac{2}{K}·(out − t)",
    "binary_cross_entropy": "∂E/∂out = \\frac{out − t}{K·out·(1 − out)}",
    "cross_entropy": "∂E/∂out = −\\frac{t}{out}",
}
#: Each activation as a function of ``net`` (replace the word for a neuron's own net).
ACTIVATION_FORMULAS = {
    "sigmoid": "σ(net) = \\frac{1}{1 + e^{−net}}",
    "tanh": "tanh(net)",
    "relu": "max(0, net)",
    "leaky_relu": "max(0.01·net, net)",
    "linear": "net",
    "softmax": "\\frac{e^{net}}{Σₖ e^{netₖ}}",
}


def activation_formula(activation: str, net: str = "net") -> str:
    """The activation's rule with ``net`` named, e.g. σ(net_h1) = 1 / (1 + e^{−net_h1})."""
    text = ACTIVATION_FORMULAS.get(activation, f"{activation}(net)")
    return re.sub(r"\bnet\b(?!ₖ)", net, text)


# -- typesetting formula text -------------------------------------------------------------

_NAME_DIGITS = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-z]{1,2})([0-9]+)(?![A-Za-z0-9_])")
_QUANTITY = re.compile(r"\b(out|net|δ|t)_([A-Za-z0-9_]+)")
_SUP = re.compile(r"(\S?)\^\{([^}]*)\}")
_SUB = re.compile(r"_\{([^}]*)\}")
_SUPERSCRIPTS = str.maketrans("0123456789−+()nt", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾ⁿᵗ")


def frac(numerator: str, denominator: str) -> str:
    """Formula text for a fraction, set stacked where the renderer can (``\\frac{a}{b}``)."""
    return "\\frac{" + numerator + "}{" + denominator + "}"


def _braced(text: str, open_at: int) -> tuple[str, int]:
    """The text inside the braces opening at ``open_at`` and the index after them (−1
    when they do not close)."""
    depth = 0
    for n in range(open_at, len(text)):
        if text[n] == "{":
            depth += 1
        elif text[n] == "}":
            depth -= 1
            if depth == 0:
                return text[open_at + 1 : n], n + 1
    return "", -1


def split_fractions(text: str) -> list[str | tuple[str, str]]:
    """Formula text cut into plain runs and (numerator, denominator) pairs."""
    parts: list[str | tuple[str, str]] = []
    start = search = 0
    while (at := text.find("\\frac{", search)) >= 0:
        numerator, after = _braced(text, at + 5)
        if after < 0 or after >= len(text) or text[after] != "{":
            search = at + 6
            continue
        denominator, end = _braced(text, after)
        if end < 0:
            search = at + 6
            continue
        if at > start:
            parts.append(text[start:at])
        parts.append((numerator, denominator))
        start = search = end
    if start < len(text) or not parts:
        parts.append(text[start:])
    return parts


def _grouped(plain_text: str, typeset: str) -> str:
    """A fraction's part written inline: in parentheses when it is an expression."""
    return f"({typeset})" if " " in plain_text.strip() else typeset


def _inline(text: str, run: Callable[[str], str]) -> str:
    """Fractions written on one line (a / (b + c)), every run typeset by ``run``."""
    out = []
    parts = split_fractions(text)
    for n, part in enumerate(parts):
        if isinstance(part, str):
            out.append(run(part))
            continue
        numerator, denominator = part
        top = _grouped(_plain_runs(numerator), _inline(numerator, run))
        bottom = _grouped(_plain_runs(denominator), _inline(denominator, run))
        after = parts[n + 1] if n + 1 < len(parts) else ""
        factor = isinstance(after, str) and not re.match(r"^(\s*$|\s*[=+−,;)])", after)
        if factor:  # (1/K) Σₖ …: the fraction multiplies what follows
            out.append(f"({top}/{bottom})" if top == top.strip("()") else f"({top} / {bottom})")
        else:
            out.append(f"{top} / {bottom}")
    return "".join(out)


def _plain_runs(text: str) -> str:
    return _inline(text, lambda run: run)


def _rich_run(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = _SUP.sub(r"\1<sup>\2</sup>", escaped)
    escaped = _SUB.sub(r"<sub>\1</sub>", escaped)
    escaped = _NAME_DIGITS.sub(r"\1<sub>\2</sub>", escaped)
    return _QUANTITY.sub(r"\1<sub>\2</sub>", escaped)


def rich(text: str) -> str:
    """Formula text as inline HTML: w5 → w<sub>5</sub>, out_h1 → out<sub>h1</sub>, ^{…} → a
    superscript, _{…} → a subscript, a fraction on one line (the text is escaped first).
    :func:`rich_block` sets fractions stacked."""
    return _inline(text, _rich_run)


def _cell_text(html_text: str) -> str:
    """A run in a table cell keeps its spaces at either end (a cell would drop them)."""
    stripped = html_text.strip(" ")
    left = "&nbsp;" if html_text.startswith(" ") else ""
    right = "&nbsp;" if html_text.endswith(" ") else ""
    return f"{left}{stripped}{right}"


def rich_block(text: str, rule: str = "#1a1a1a", tail: str = "") -> str:
    """Formula text as HTML with stacked fractions: a one-row table of runs and fractions
    (each a two-row table, the line between them in ``rule``), which Qt's rich text and
    browsers both lay out. Without a fraction, :func:`rich` and ``tail`` inline."""
    parts = split_fractions(text)
    if all(isinstance(part, str) for part in parts):
        return rich(text) + tail
    cells = []
    for part in parts:
        if isinstance(part, str):
            cells.append(f"<td valign='middle'>{_cell_text(_rich_run(part))}</td>")
            continue
        numerator, denominator = part
        stacked = (
            "<table cellspacing='0' cellpadding='0'>"
            f"<tr><td align='center' style='padding:0 3px 1px 3px'>"
            f"{rich_block(numerator, rule)}</td></tr>"
            f"<tr><td align='center' style='border-top:1px solid {rule}; padding:1px 3px 0 3px'>"
            f"{rich_block(denominator, rule)}</td></tr></table>"
        )
        cells.append(f"<td valign='middle'>{stacked}</td>")
    if tail:
        cells.append(f"<td valign='middle'>{_cell_text(tail)}</td>")
    return (
        "<table class='formula' cellspacing='0' cellpadding='0' style='margin:2px 0'>"
        f"<tr>{''.join(cells)}</tr></table>"
    )


def has_fraction(text: str) -> bool:
    return any(not isinstance(part, str) for part in split_fractions(text))


def _plain_power(match: re.Match[str]) -> str:
    base, exponent = match.group(1), match.group(2)
    if base == "e":  # always exp(…), so e^{0} and e^{−0.154} read alike
        return f"exp({exponent})"
    if all(c in "0123456789−+()nt" for c in exponent):
        return base + exponent.translate(_SUPERSCRIPTS)
    return f"{base}^({exponent})"


def _plain_run(text: str) -> str:
    text = _SUP.sub(_plain_power, text)
    return _SUB.sub(r"\1", text)


def plain(text: str) -> str:
    """Formula text as Unicode for Markdown and the terminal: out^{2} → out², e^{−0.154} →
    exp(−0.154), 0.999^{3} → 0.999³ (another power: ^(…)), a fraction a / (b + c); names
    keep the seeds' spelling (net_h1, w5)."""
    return _inline(text, _plain_run)


def formula_text(formula: Formula, bold: bool = False) -> str:
    """One formula on one line: ``lhs = step = step = value`` (the value in Markdown bold
    when ``bold``)."""
    parts = [plain(r) for r in formula.rhs]
    if formula.value is not None:
        parts.append(f"**{fmt(formula.value)}**" if bold else fmt(formula.value))
    if not parts:
        return plain(formula.lhs)
    return f"{plain(formula.lhs)} {formula.relation} " + " = ".join(parts)


def formula_html(formula: Formula, rule: str = "#1a1a1a") -> str:
    """One formula as HTML (the value in <strong>), fractions stacked."""
    value = (
        f"<strong>{html.escape(fmt(formula.value))}</strong>" if formula.value is not None else ""
    )
    if not formula.rhs:
        return rich(formula.lhs) + (f" {html.escape(formula.relation)} {value}" if value else "")
    text = f"{formula.lhs} {formula.relation} " + " = ".join(formula.rhs)
    return rich_block(text, rule, f" = {value}" if value else "")


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
