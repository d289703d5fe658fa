"""The formulas model (Formula, Section, Content), its typesetting (rich HTML with
sub/sup, plain Unicode) and when a pass has computed what. NumPy and the standard library
only."""

from __future__ import annotations

import html
import re
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
                    out.extend(_formula_rows(formula))
                out.append("</table>")
            for note in section.notes:
                out.append(f"<p style='margin:3px 0; color:{info}'>{rich(note)}</p>")
        return "\n".join(out)


#: The name the inspector has always used for its content.
InspectorContent = Content


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


# -- the rules, in formula text ----------------------------------------------------------

#: Each loss, E in terms of the targets t and outputs out (K outputs).
LOSS_FORMULAS = {
    "half_sse": "E = ½ Σₖ (tₖ − outₖ)^{2}",
    "mse": "E = (1/K) Σₖ (tₖ − outₖ)^{2}",
    "binary_cross_entropy": "E = −(1/K) Σₖ [tₖ ln outₖ + (1 − tₖ) ln(1 − outₖ)]",
    "cross_entropy": "E = −Σₖ tₖ ln outₖ",
}
#: Each loss's derivative with respect to one output.
GRAD_OUT_FORMULAS = {
    "half_sse": "∂E/∂out = −(t − out)",
    "mse": "∂E/∂out = (2/K)·(out − t)",
    "binary_cross_entropy": "∂E/∂out = (out − t) / (K·out·(1 − out))",
    "cross_entropy": "∂E/∂out = −t / out",
}
#: Each activation as a function of ``net`` (replace the word for a neuron's own net).
ACTIVATION_FORMULAS = {
    "sigmoid": "σ(net) = 1 / (1 + e^{−net})",
    "tanh": "tanh(net)",
    "relu": "max(0, net)",
    "leaky_relu": "max(0.01·net, net)",
    "linear": "net",
    "softmax": "e^{net} / Σₖ e^{netₖ}",
}


def activation_formula(activation: str, net: str = "net") -> str:
    """The activation's rule with ``net`` named, e.g. σ(net_h1) = 1 / (1 + e^{−net_h1})."""
    text = ACTIVATION_FORMULAS.get(activation, f"{activation}(net)")
    return re.sub(r"\bnet\b(?!ₖ)", net, text)


# -- typesetting formula text -------------------------------------------------------------

_NAME_DIGITS = re.compile(r"(?<![\w.])([A-Za-z]{1,2})(\d+)\b")
_QUANTITY = re.compile(r"\b(out|net|δ|t)_([A-Za-z0-9_]+)")
_SUP = re.compile(r"(\S?)\^\{([^}]*)\}")
_SUB = re.compile(r"_\{([^}]*)\}")
_SUPERSCRIPTS = str.maketrans("0123456789−+()nt", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺⁽⁾ⁿᵗ")


def rich(text: str) -> str:
    """Formula text as HTML: w5 → w<sub>5</sub>, out_h1 → out<sub>h1</sub>, ^{…} → a
    superscript, _{…} → a subscript (the text is escaped first)."""
    escaped = html.escape(text, quote=False)
    escaped = _SUP.sub(r"\1<sup>\2</sup>", escaped)
    escaped = _SUB.sub(r"<sub>\1</sub>", escaped)
    escaped = _NAME_DIGITS.sub(r"\1<sub>\2</sub>", escaped)
    return _QUANTITY.sub(r"\1<sub>\2</sub>", escaped)


def _plain_power(match: re.Match[str]) -> str:
    base, exponent = match.group(1), match.group(2)
    if base == "e":  # always exp(…), so e^{0} and e^{−0.154} read alike
        return f"exp({exponent})"
    if all(c in "0123456789−+()nt" for c in exponent):
        return base + exponent.translate(_SUPERSCRIPTS)
    return f"{base}^({exponent})"


def plain(text: str) -> str:
    """Formula text as Unicode for Markdown and the terminal: out^{2} → out², e^{−0.154} →
    exp(−0.154), 0.999^{3} → 0.999³ (another power: ^(…)); names keep the seeds' spelling
    (net_h1, w5)."""
    text = _SUP.sub(_plain_power, text)
    return _SUB.sub(r"\1", text)


def formula_text(formula: Formula, bold: bool = False) -> str:
    """One formula on one line: ``lhs = step = step = value`` (the value in Markdown bold
    when ``bold``)."""
    parts = [plain(r) for r in formula.rhs]
    if formula.value is not None:
        parts.append(f"**{fmt(formula.value)}**" if bold else fmt(formula.value))
    if not parts:
        return plain(formula.lhs)
    return f"{plain(formula.lhs)} {formula.relation} " + " = ".join(parts)


def formula_html(formula: Formula) -> str:
    """One formula on one line as HTML (the value in <strong>)."""
    parts = [rich(r) for r in formula.rhs]
    if formula.value is not None:
        parts.append(f"<strong>{html.escape(fmt(formula.value))}</strong>")
    if not parts:
        return rich(formula.lhs)
    relation = html.escape(formula.relation)
    return f"{rich(formula.lhs)} {relation} " + " = ".join(parts)


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
