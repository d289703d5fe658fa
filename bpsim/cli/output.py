"""What the command line writes, made safe for any terminal, pipe or console.

* :func:`escape` turns every character that could move the cursor, clear the screen or
  break a line (ESC, CR, LF, U+2028, bidi overrides, a lone surrogate) into a visible
  escape, so a message built from a file name or a key stays one line of plain text.
* :class:`SafeStream` wraps stdout and stderr: a console that cannot encode ∂, σ or a
  subscript gets a plain-ASCII spelling instead of a UnicodeEncodeError; a reader that
  went away (``| head -1``) raises :class:`OutputClosed`, which ends quietly as Unix tools
  do; a full device raises :class:`OutputFailed`, one ``error:`` line and exit 2.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import unicodedata
from typing import TextIO

from bpsim.fileformat.errors import control_code as _code

# The same, but a terminal's own line breaks and tabs stay (for documents, not messages).
_UNSAFE_IN_TEXT = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)

#: Plain spellings for the mathematics bpsim writes, for consoles such as cp1252.
_ASCII = str.maketrans(
    {
        "∂": "d",
        "σ": "sigma",
        "Σ": "sum",
        "η": "eta",
        "δ": "delta",
        "Δ": "Delta",
        "λ": "lambda",
        "ε": "eps",
        "β": "beta",
        "ρ": "rho",
        "α": "alpha",
        "−": "-",
        "–": "-",
        "—": "-",
        "→": "->",
        "←": "<-",
        "·": "*",
        "×": "x",
        "≈": "~",
        "≤": "<=",
        "≥": ">=",
        "≠": "!=",
        "√": "sqrt",
        "…": "...",
        "✗": "x",
        "✓": "ok",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "⁻": "^-",
        "▸": ">",
    }
)


def escape_document(text: str) -> str:
    """A document for a terminal: its lines kept, every other control made visible."""
    return _UNSAFE_IN_TEXT.sub(lambda m: _code(m.group()), text)


def ascii_form(text: str, encoding: str) -> str:
    """``text`` spelled so ``encoding`` can write it: the mathematics in plain letters
    (∂ → d, σ → sigma, subscripts → digits), anything else left as ``?``."""
    text = text.translate(_ASCII)
    out: list[str] = []
    for char in text:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", char)  # ₁ → 1, ² → 2, é → e + ´
            kept = "".join(c for c in folded if _encodable(c, encoding))
            out.append(kept or "?")
        else:
            out.append(char)
    return "".join(out)


def _encodable(char: str, encoding: str) -> bool:
    if unicodedata.combining(char):
        return False
    try:
        char.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


class OutputClosed(Exception):
    """The reader of the output went away (a broken pipe): stop writing, quietly."""


class OutputFailed(Exception):
    """The output cannot be written (a full device): one ``error:`` line, exit 2."""

    def __init__(self, what: str, error: OSError) -> None:
        reason = error.strerror or str(error)
        super().__init__(f"cannot write to the {what}: {reason}")


class SafeStream:
    """A text stream that never raises UnicodeEncodeError, BrokenPipeError or a raw
    OSError: see the module. ``terminal`` output has its control characters escaped."""

    def __init__(self, inner: TextIO, what: str) -> None:
        self.inner = inner
        self.what = what
        self.closed_by_reader = False
        encoding = getattr(inner, "encoding", None) or "utf-8"
        self.encoding = encoding
        try:
            "∂σ₁−→".encode(encoding)
            self.unicode = True
        except (UnicodeEncodeError, LookupError):
            self.unicode = False
        try:
            self.terminal = bool(inner.isatty())
        except (OSError, ValueError, AttributeError):
            self.terminal = False

    def isatty(self) -> bool:
        return self.terminal

    def fileno(self) -> int:
        return self.inner.fileno()

    def write(self, text: str) -> int:
        if self.closed_by_reader:
            return len(text)
        shown = escape_document(text) if self.terminal else text
        if not self.unicode:
            shown = ascii_form(shown, self.encoding)
        try:
            try:
                self.inner.write(shown)
            except UnicodeEncodeError:
                self.inner.write(ascii_form(shown, self.encoding))
        except OSError as error:
            self._failed(error)
        return len(text)

    def flush(self) -> None:
        if self.closed_by_reader:
            return
        try:
            self.inner.flush()
        except OSError as error:
            self._failed(error)

    def _failed(self, error: OSError) -> None:
        """Stop writing for good (so exit's own flush is silent), then say why."""
        self.closed_by_reader = True
        _silence(self.inner)
        if isinstance(error, BrokenPipeError) or error.errno in (errno.EPIPE, errno.EINVAL):
            raise OutputClosed() from None
        raise OutputFailed(self.what, error) from None


def _silence(stream: TextIO) -> None:
    """Point the stream's file descriptor at the null device and drop what it buffered,
    so the interpreter's flush at exit cannot fail a second time."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, stream.fileno())
        os.close(null)
    with contextlib.suppress(Exception):
        stream.flush()  # what is still buffered goes to the null device now


def install() -> tuple[TextIO, TextIO]:
    """Wrap ``sys.stdout`` and ``sys.stderr``; returns the originals for :func:`restore`."""
    originals = (sys.stdout, sys.stderr)
    # A stream closed before bpsim started (``>&-``) is None: its output goes nowhere.
    if not isinstance(sys.stdout, SafeStream):
        inner = sys.stdout if sys.stdout is not None else _nowhere()
        sys.stdout = SafeStream(inner, "standard output")
    if not isinstance(sys.stderr, SafeStream):
        inner = sys.stderr if sys.stderr is not None else _nowhere()
        sys.stderr = SafeStream(inner, "standard error")
    return originals


def restore(originals: tuple[TextIO, TextIO]) -> None:
    for stream in (sys.stdout, sys.stderr):
        inner = getattr(stream, "inner", None)
        if inner is not None and getattr(inner, "name", None) == os.devnull:
            with contextlib.suppress(OSError):
                inner.close()
    sys.stdout, sys.stderr = originals


def _nowhere() -> TextIO:
    return open(os.devnull, "w", encoding="utf-8")  # closed by restore()


def say(text: str, stream: TextIO | None = None) -> None:
    """One line of a message on stderr (already escaped by the caller), never raising."""
    target = sys.stderr if stream is None else stream
    with contextlib.suppress(OutputClosed, OutputFailed, OSError):
        target.write(text + "\n")
        target.flush()
