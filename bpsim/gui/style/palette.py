"""Colours and pens that turn numbers into pictures, the same way in every panel.

Everything here is a pure mapping of a value to a :class:`QColor` or :class:`QPen`; no
maths of the network happens here. The scales are colour-blind safe: signs are shown by
blue (negative) against orange (positive), the Okabe–Ito pair that stays distinct for the
common kinds of colour blindness, and wherever the sign matters without colour (a
projector washes colours out) a second cue is added: negative weights are dashed.

Gradients are red, as seed 001 draws them; they are always drawn with a second cue too
(arrowheads pointing backwards, ∂E/∂… labels), so red never has to be told from orange
by colour alone.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPen

#: Negative end of every diverging scale (Okabe–Ito blue).
NEGATIVE = QColor(0, 114, 178)
#: Positive end of every diverging scale (Okabe–Ito orange).
POSITIVE = QColor(230, 159, 0)
#: The middle (zero) of the diverging scales: almost white, so black text stays readable.
MIDDLE = QColor(247, 247, 247)
#: Lines need a darker orange than fills to stand out on white.
POSITIVE_LINE = QColor(214, 128, 0)
NEGATIVE_LINE = QColor(0, 100, 160)
#: A weight or value that is exactly zero, or not a number.
ZERO_LINE = QColor(150, 150, 150)
#: Gradients flowing backwards.
GRADIENT = QColor(200, 16, 46)
#: A neuron whose value is not known yet (before a forward pass).
NEUTRAL_FILL = QColor(236, 236, 236)
#: Outlines and ordinary text.
INK = QColor(33, 33, 33)
#: Secondary text: captions, bias values.
MUTED_INK = QColor(95, 95, 95)
#: The soft background behind the layer being computed.
HIGHLIGHT_FILL = QColor(255, 236, 153, 150)
HIGHLIGHT_EDGE = QColor(214, 170, 0)
#: Selection rings.
SELECTION = QColor(106, 61, 154)
#: Label backgrounds on top of lines: white, a little see-through.
LABEL_BACKGROUND = QColor(255, 255, 255, 225)
#: The editor's background.
BACKGROUND = QColor(255, 255, 255)
#: Text on a light or a dark fill (the same in every theme: fills do not change).
ON_LIGHT = QColor(33, 33, 33)
ON_DARK = QColor(255, 255, 255)
#: Every line width is multiplied by this: the window's zoom (see :func:`use_scheme`).
LINE_SCALE = 1.0

#: Activations whose outputs lie in [0, 1] and are centred on 0.5 (f(0) = 0.5).
UNIT_CENTRED = frozenset({"sigmoid"})
#: Activations whose outputs are probabilities: 0 is "nothing", so 0 is the white middle.
PROBABILITIES = frozenset({"softmax"})
#: Activations with outputs in [−1, 1].
SYMMETRIC_UNIT = frozenset({"tanh"})

MIN_WEIGHT_WIDTH = 0.8
MAX_WEIGHT_WIDTH = 9.0
MIN_GRADIENT_WIDTH = 1.6
MAX_GRADIENT_WIDTH = 5.0


def _finite(value: float) -> bool:
    return value is not None and math.isfinite(value)


def lerp_color(a: QColor, b: QColor, t: float) -> QColor:
    """The colour a fraction ``t`` (0…1, clamped) of the way from ``a`` to ``b``."""
    t = min(max(t, 0.0), 1.0)
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
        round(a.alpha() + (b.alpha() - a.alpha()) * t),
    )


def diverging_color(t: float) -> QColor:
    """The diverging scale at ``t`` in [−1, 1] (clamped): blue, white at 0, orange.
    Not-a-number gives the neutral grey so a broken value never looks like a real one."""
    if not _finite(t):
        return QColor(NEUTRAL_FILL)
    if t < 0:
        return lerp_color(MIDDLE, NEGATIVE, -t)
    return lerp_color(MIDDLE, POSITIVE, t)


def activation_scale(values: np.ndarray, activation: str | None) -> float:
    """The |value| that maps to a full colour for one layer's values.

    Bounded activations have a fixed range (so colours compare across steps); unbounded
    ones (inputs, linear, ReLU) are scaled by the layer's largest |value| so the layer
    always uses the whole scale.
    """
    if activation in UNIT_CENTRED or activation in PROBABILITIES or activation in SYMMETRIC_UNIT:
        return 1.0
    finite = np.abs(values[np.isfinite(values)]) if values.size else values
    peak = float(finite.max()) if finite.size else 0.0
    return peak if peak > 0 else 1.0


def activation_position(value: float, activation: str | None, scale: float = 1.0) -> float:
    """Where ``value`` sits on the diverging scale, in [−1, 1].

    sigmoid: 0 → −1, 0.5 → 0, 1 → +1 (its outputs are centred on 0.5);
    softmax: 0 → 0, 1 → +1 (a probability of nothing is white);
    tanh: itself; anything else (inputs, linear, ReLU): value / scale.
    """
    if not _finite(value):
        return math.nan
    if activation in UNIT_CENTRED:
        t = 2.0 * value - 1.0
    elif activation in PROBABILITIES or activation in SYMMETRIC_UNIT:
        t = value
    else:
        t = value / scale if scale > 0 else 0.0
    return min(max(t, -1.0), 1.0)


def activation_color(value: float, activation: str | None, scale: float = 1.0) -> QColor:
    """Fill colour of a neuron whose output is ``value`` (see :func:`activation_position`;
    ``activation`` is None for inputs)."""
    return diverging_color(activation_position(value, activation, scale))


def text_color_for(fill: QColor) -> QColor:
    """Black or white, whichever reads better on ``fill`` (by relative luminance)."""
    r, g, b = (c / 255.0 for c in (fill.red(), fill.green(), fill.blue()))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return QColor(ON_LIGHT) if luminance > 0.22 else QColor(ON_DARK)


def weight_width(w: float, max_abs: float, max_width: float | None = None) -> float:
    """Line width for a weight: proportional to |w| / ``max_abs``, clamped to a range that
    keeps small weights visible and large ones from swallowing the picture (None: the
    theme's :data:`MAX_WEIGHT_WIDTH`), times the zoom's :data:`LINE_SCALE`."""
    if max_width is None:
        max_width = MAX_WEIGHT_WIDTH
    if not _finite(w) or not _finite(max_abs) or max_abs <= 0:
        return MIN_WEIGHT_WIDTH * LINE_SCALE
    frac = min(abs(w) / max_abs, 1.0)
    return (MIN_WEIGHT_WIDTH + (max_width - MIN_WEIGHT_WIDTH) * frac) * LINE_SCALE


def weight_color(w: float) -> QColor:
    """Orange for positive, blue for negative, grey for zero or not-a-number."""
    if not _finite(w) or w == 0:
        return QColor(ZERO_LINE)
    return QColor(POSITIVE_LINE if w > 0 else NEGATIVE_LINE)


def weight_pen(w: float, max_abs: float, max_width: float | None = None, alpha: int = 255) -> QPen:
    """The pen of a link: width ∝ |w| (normalised by ``max_abs``, the layer's largest
    |w|), colour by sign, and dashed when negative so the sign is not told by colour only.
    Crowded drawings pass a smaller ``max_width`` and some transparency (``alpha``)."""
    color = weight_color(w)
    color.setAlpha(alpha)
    pen = QPen(color, weight_width(w, max_abs, max_width))
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    if _finite(w) and w < 0:
        pen.setStyle(Qt.PenStyle.CustomDashLine)
        # Dash lengths are in pen widths: thin lines get longer dashes so they stay visible.
        width = pen.widthF()
        dash = max(2.0, 10.0 / width)
        pen.setDashPattern([dash, dash * 0.6])
    return pen


def masked_pen() -> QPen:
    """A removed (masked) link: faint and dotted, still there to be restored."""
    pen = QPen(QColor(190, 190, 190), 1.0)
    pen.setStyle(Qt.PenStyle.DotLine)
    return pen


def gradient_width(
    g: float,
    max_abs: float,
    min_width: float | None = None,
    max_width: float | None = None,
) -> float:
    """Width of a gradient arrow: ∝ |g| / ``max_abs``, clamped so every arrow shows
    (None: the theme's widths), times the zoom's :data:`LINE_SCALE`."""
    if min_width is None:
        min_width = MIN_GRADIENT_WIDTH
    if max_width is None:
        max_width = MAX_GRADIENT_WIDTH
    if not _finite(g) or not _finite(max_abs) or max_abs <= 0:
        return min_width * LINE_SCALE
    frac = min(abs(g) / max_abs, 1.0)
    return (min_width + (max_width - min_width) * frac) * LINE_SCALE


def gradient_pen(g: float, max_abs: float) -> QPen:
    """The red pen of a gradient flowing backwards along a link."""
    pen = QPen(QColor(GRADIENT), gradient_width(g, max_abs))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


#: What a theme may change (see :func:`use_scheme`), and the light theme's values.
THEMEABLE: tuple[str, ...] = (
    "NEGATIVE",
    "POSITIVE",
    "MIDDLE",
    "POSITIVE_LINE",
    "NEGATIVE_LINE",
    "ZERO_LINE",
    "GRADIENT",
    "NEUTRAL_FILL",
    "INK",
    "MUTED_INK",
    "HIGHLIGHT_FILL",
    "HIGHLIGHT_EDGE",
    "SELECTION",
    "LABEL_BACKGROUND",
    "BACKGROUND",
    "MIN_WEIGHT_WIDTH",
    "MAX_WEIGHT_WIDTH",
    "MIN_GRADIENT_WIDTH",
    "MAX_GRADIENT_WIDTH",
    "LINE_SCALE",
)
DEFAULT_SCHEME: dict[str, QColor | float] = {name: globals()[name] for name in THEMEABLE}


def use_scheme(scheme: dict[str, QColor | float] | None = None) -> None:
    """Draw with a theme's colours and line widths from now on; names not given take the
    light theme's values (None: the light theme). There is one theme for the whole
    application, so these stay module values; views read them when they build or
    refresh their items (the editor rebuilds after a change of theme or zoom)."""
    scheme = scheme or {}
    unknown = sorted(set(scheme) - set(THEMEABLE))
    if unknown:
        raise ValueError(f"not a themeable palette name: {', '.join(unknown)}")
    values = globals()
    for name in THEMEABLE:
        value = scheme.get(name, DEFAULT_SCHEME[name])
        values[name] = QColor(value) if isinstance(value, QColor) else float(value)


#: Significant digits numbers are shown with on the canvas, in the table and in the
#: Inspector (full precision stays in the tooltips): 6, as the seed lessons write them.
DEFAULT_PRECISION = 6
MIN_PRECISION, MAX_PRECISION = 2, 12
_precision = DEFAULT_PRECISION


def precision() -> int:
    """The significant digits every view shows numbers with (one setting for the canvas,
    the parameter table and the Inspector, so they never disagree)."""
    return _precision


def set_precision(digits: int) -> None:
    """Show numbers with ``digits`` significant digits from now on (views read it when
    they refresh); outside 2…12 is refused with a message naming the range."""
    global _precision
    if not isinstance(digits, int) or not MIN_PRECISION <= digits <= MAX_PRECISION:
        raise ValueError(
            f"precision: expected {MIN_PRECISION} to {MAX_PRECISION} significant digits, "
            f"got {digits}"
        )
    _precision = digits
