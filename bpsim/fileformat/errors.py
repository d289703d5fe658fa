"""The one error a bad `.bpsim` file becomes, and the small helpers that word its messages.

Every problem is reported as ``FILE: PLACE: MESSAGE`` so a student (or the command line)
sees which file, where in it, and what was expected, from a single line of text.
:func:`escape` keeps such a line one line of plain text, whatever the file put in it
(the command line and the window both show messages through it).
"""

from __future__ import annotations

import re
from pathlib import Path

from bpsim.datasets.errors import show as show  # the one way a message shows a value

#: The place reported for problems with the top-level object itself (a missing key, …).
TOP = "(top level)"


class LessonFileError(ValueError):
    """A `.bpsim` file (or a lesson about to be written as one) breaks a rule of the format.

    ``place`` names where in the file (``layers[1].activation``), ``path`` which file;
    both may be empty. ``str(error)`` is ``"FILE: PLACE: MESSAGE"`` with empty parts left out.
    """

    def __init__(self, message: str, *, place: str = "", path: Path | None = None) -> None:
        self.message = message
        self.place = place
        self.path = path
        super().__init__(self._text())

    def _text(self) -> str:
        parts = [str(self.path) if self.path is not None else "", self.place, self.message]
        return ": ".join(part for part in parts if part)

    def __str__(self) -> str:
        # Computed on demand so ``with_path`` (which sets ``path`` later) shows up.
        return self._text()

    def __reduce__(self) -> tuple[object, ...]:
        # ValueError pickles only ``args``; keep the parts (multiprocessing, the CLI's workers).
        return (_rebuild, (self.message, self.place, self.path))

    def with_path(self, path: Path | None) -> LessonFileError:
        """The same problem, naming ``path`` as the file (used once the file is known)."""
        if path is None or self.path is not None:
            return self
        error = LessonFileError(self.message, place=self.place, path=path)
        error.__cause__ = self.__cause__
        return error


def _rebuild(message: str, place: str, path: Path | None) -> LessonFileError:
    return LessonFileError(message, place=place, path=path)


def key_place(parent: str, key: object) -> str:
    """The place of ``key`` inside the object at ``parent`` (``layers[1]`` + ``size``)."""
    if isinstance(key, str) and key.isidentifier():
        name = key
    else:
        name = f"[{show(key)}]"
        return f"{parent}{name}" if parent else name
    return f"{parent}.{name}" if parent else name


def index_place(parent: str, index: int) -> str:
    """The place of item ``index`` of the list at ``parent`` (``layers`` + 1)."""
    return f"{parent}[{index}]"


def counted(n: int, noun: str) -> str:
    """``"1 row"``, ``"2 rows"``, ``"3 biases"``: a count with its noun in the right number."""
    if n == 1:
        return f"{n} {noun}"
    return f"{n} {noun}es" if noun.endswith("s") else f"{n} {noun}s"


def one_of(choices: tuple[str, ...] | list[str]) -> str:
    """``"a, b, c"``: the allowed words, in the order the spec lists them."""
    return ", ".join(choices)


# Control characters (C0, DEL, C1), line and paragraph separators, the bidi controls
# that reorder what follows, and half characters (lone surrogates).
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def control_code(char: str) -> str:
    """One unsafe character as a visible escape (``\\x1b``, ``\\n``, ``\\u2028``)."""
    named = _NAMED.get(char)
    if named is not None:
        return named
    point = ord(char)
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def escape(text: object) -> str:
    """``text`` on one line with every control character visible (``\\x1b``, ``\\n``)."""
    return _UNSAFE.sub(lambda m: control_code(m.group()), str(text))
