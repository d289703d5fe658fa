"""A training step's formulas as data, and the renderers that typeset them.

One model serves every view that writes backprop out the way the seeds write it by hand:
the Inspector, the quiz, ``bpsim explain`` and the handouts. A :class:`Formula` is one
derivation ``lhs = symbols = numbers = value`` (its ``factors`` the numbers multiplied); a
:class:`Section` groups formulas under a title with a role (forward, backward, update,
info) that a renderer turns into a colour; a :class:`Content` is what one view shows.

Nothing is computed here that the engine did not compute: every value is read from the
trainer's trace, parameters and optimizer (through :mod:`bpsim.teaching.explain` and
:mod:`bpsim.teaching.explain_update`). For seed 000's w5, :func:`chain_rule` gives the
factors 0.58371 × 0.232122 × 0.538424 and the result 0.072952.

Formula text is plain Unicode with three marks the renderers understand: ``^{…}`` an
exponent, ``_{…}`` a subscript, and the seeds' names (``w5``, ``out_h1``, ``δ_y1``) whose
index is set as a subscript. :func:`rich` gives HTML with ``<sub>``/``<sup>`` (what Qt's
rich text and the handouts print), :func:`plain` gives Unicode text for Markdown and the
terminal (``exp(−0.154)``, ``out²``), never raw markup.

NumPy and the standard library only: no Qt.
"""

from bpsim.teaching.formulas.model import (
    ACTIVATION_FORMULAS,
    GRAD_OUT_FORMULAS,
    LIGHT,
    LOSS_FORMULAS,
    MAX_NEURONS,
    MAX_TERMS,
    ROLES,
    Colors,
    Content,
    Formula,
    InspectorContent,
    ParameterRef,
    Section,
    UpdateMemory,
    UpdateRecord,
    activation_formula,
    backward_reached,
    formula_html,
    formula_text,
    forward_reached,
    frac,
    has_fraction,
    live_trace,
    plain,
    rich,
    rich_block,
    split_fractions,
)
from bpsim.teaching.formulas.step import (
    ChainRule,
    chain_rule,
    delta_formula,
    explain_layer,
    explain_selection,
    fprime_formula,
    grad_out_formula,
    gradient_summary,
    net_formula,
    out_formula,
    paths_formula,
)
from bpsim.teaching.formulas.update import update_formulas

__all__ = [
    "ACTIVATION_FORMULAS",
    "GRAD_OUT_FORMULAS",
    "LIGHT",
    "LOSS_FORMULAS",
    "MAX_NEURONS",
    "MAX_TERMS",
    "ROLES",
    "ChainRule",
    "Colors",
    "Content",
    "Formula",
    "InspectorContent",
    "ParameterRef",
    "Section",
    "UpdateMemory",
    "UpdateRecord",
    "activation_formula",
    "backward_reached",
    "chain_rule",
    "delta_formula",
    "explain_layer",
    "explain_selection",
    "formula_html",
    "formula_text",
    "forward_reached",
    "fprime_formula",
    "frac",
    "grad_out_formula",
    "gradient_summary",
    "has_fraction",
    "live_trace",
    "net_formula",
    "out_formula",
    "paths_formula",
    "plain",
    "rich",
    "rich_block",
    "split_fractions",
    "update_formulas",
]
