"""The one way bpsim writes and reads numbers, for every panel, the command line and files.

Writing: :func:`fmt` gives at most ``digits`` significant digits without noise and a true
minus sign (0.1792704… → 0.17927, −0.5); :func:`full` gives the shortest text that reads
back as the same float.

Reading: :func:`parse_number` takes what a person types, with one grammar everywhere: ASCII
digits, an optional sign (``-``, ``+`` or the true minus ``−``), one decimal separator
(a point, or a comma for people whose keyboards write one), and an optional exponent.
Nothing else: no ``1_000``, no fullwidth or Arabic-Indic digits, no ``inf`` or ``nan``.
So ``0,5`` is one half in the toolbar, the table, the editor, the data panel and a CSV
cell alike.
"""

from __future__ import annotations

import math
import re

import numpy as np

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")

# One grammar for every number a person types: sign, digits with one separator, exponent.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]+)?")
# What could still become a number while it is being typed ("-", "1e", "0,").
_NUMBER_PREFIX = re.compile(r"[+-]?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]*)?(?:[eE][+-]?[0-9]*)?")
_MINUSES = str.maketrans({"−": "-", "–": "-"})


def fmt(value: float, digits: int = 6) -> str:
    """A number as a person writes it: at most ``digits`` significant digits, no noise
    (0.05 stays 0.05, 0.1792704… becomes 0.17927), and a true minus sign."""
    if value == 0:
        return "0"
    if not np.isfinite(value):
        return str(value)
    if abs(value) >= 1e7 or abs(value) < 1e-4:
        mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
        mantissa = mantissa.rstrip("0").rstrip(".")
        text = f"{mantissa}·10{str(int(exponent)).translate(SUPERSCRIPT)}"
    else:
        text = np.format_float_positional(
            value, precision=digits, unique=True, fractional=False, trim="-"
        )
    return text.replace("-", "−")


def fmtp(value: float, digits: int = 6) -> str:
    """:func:`fmt`, in parentheses when negative, for use inside a product or sum."""
    text = fmt(value, digits)
    return f"({text})" if value < 0 else text


def full(value: float) -> str:
    """Full precision for tooltips: the shortest text that gives back the same float."""
    return repr(float(value)).replace("-", "−")


def _normalized(text: str) -> str:
    return text.strip().translate(_MINUSES)


def parse_number(value: object) -> float:
    """A finite float from what a person typed, or ValueError with a message for them.

    Accepts ``0.5``, ``0,5``, ``-2``, ``−2``, ``1e-3``; see the module's grammar.
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        text = _normalized(str(value))
        if not text:
            raise ValueError("enter a number")
        if not _NUMBER.fullmatch(text):
            raise ValueError(f"“{text}” is not a number; write it like 0.5, -2 or 1e-3")
        number = float(text.replace(",", "."))
    if not math.isfinite(number):
        raise ValueError("enter a finite number")
    return number


def is_number(text: str) -> bool:
    """Whether ``text`` reads as a finite number in the one grammar of :func:`parse_number`."""
    try:
        parse_number(text)
    except ValueError:
        return False
    return True


def number_text_state(text: str) -> str:
    """``"acceptable"``, ``"intermediate"`` (could still become a number) or ``"invalid"``
    for an editor's text; what the editors' validators report."""
    text = _normalized(text)
    if _NUMBER.fullmatch(text):
        return "acceptable" if math.isfinite(float(text.replace(",", "."))) else "intermediate"
    if _NUMBER_PREFIX.fullmatch(text):
        return "intermediate"
    return "invalid"
