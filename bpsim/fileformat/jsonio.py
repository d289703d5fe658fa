"""JSON text in and out: strict reading (the rules JSON itself leaves loose) and compact writing.

Python's ``json`` accepts NaN, Infinity, duplicate keys and numbers that overflow to
infinity; a `.bpsim` file may hold none of them, so reading closes each door and says
where. Writing is hand-made so matrices stay one row a line and floats use ``repr``
(the shortest text that reads back as the very same float).
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from bpsim.datasets.system import NAME_MAX, NotRegularFile, long_name, open_regular
from bpsim.fileformat.errors import TOP, LessonFileError, index_place, key_place, show

#: Files larger than this are refused before a byte is read. It is above the largest lesson
#: bpsim writes (the saver checks), so whatever bpsim saves, it can open; what a big file
#: would cost to parse is checked against the machine's memory by :mod:`.prescan`.
MAX_FILE_BYTES = 1024 * 1024 * 1024
#: Deepest nesting accepted in the free-form parts (``state``, ``view``); the schema is shallow.
MAX_DEPTH = 64
#: Longest run of digits in a whole number; Python refuses to convert longer ones anyway.
MAX_INT_DIGITS = 1000
#: Widest line the writer puts a small object or list on before breaking it up.
LINE_WIDTH = 100

_BOM = b"\xef\xbb\xbf"
_BLANK = re.compile(r"[ \t\n\r]*")
#: A ``\\uD800``-style escape: the parsed text may hold a lone surrogate (half a character).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


# ----------------------------------------------------------------------------- reading


def read_file_bytes(path: Path) -> bytes:
    """The file's bytes, refusing a file too large to be a lesson before reading it, and
    anything but a regular file (a FIFO would block the read forever, a device never end)."""
    bad = long_name(path)
    if bad is not None:
        raise LessonFileError(_too_long(bad))
    try:
        with open_regular(path) as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise LessonFileError(_too_large(size))
            data = stream.read(MAX_FILE_BYTES + 1)  # the file may grow while we read
    except NotRegularFile as error:
        raise LessonFileError(str(error.strerror)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise LessonFileError(f"cannot read the file: {reason}") from error
    if len(data) > MAX_FILE_BYTES:
        raise LessonFileError(_too_large(len(data)))
    return data


def _too_long(name: str) -> str:
    return f"the name {show(name)} is {len(os.fsencode(name))} bytes long; at most {NAME_MAX} fit"


def _too_large(size: int) -> str:
    return (
        f"the file is {size / 2**20:,.1f} MB; a lesson file may be at most "
        f"{MAX_FILE_BYTES // 2**20} MB"
    )


def decode(data: bytes) -> str:
    """UTF-8 text of ``data`` (a leading byte-order mark is dropped); names the first bad byte."""
    skip = len(_BOM) if data.startswith(_BOM) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as error:
        position = error.start + skip
        byte = data[position]
        hint = ""
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = " (the file looks like UTF-16; save it as UTF-8)"
        raise LessonFileError(
            f"not UTF-8 text: byte 0x{byte:02x} at position {position}{hint}"
        ) from None


class _NotFinite:
    """Stands in for NaN/Infinity while parsing, so the checker can say where it was."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Duplicates(dict[str, Any]):
    """An object that had a key twice; remembers which, so the checker can name it."""

    duplicate: str = ""


def loads(text: str) -> Any:
    """Parse ``text`` as strict JSON: no NaN/Infinity, no duplicate keys, finite numbers.

    Problems are raised as :class:`LessonFileError` naming the line and column (syntax) or
    the place in the document (a duplicate key, a non-finite number).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if len(text) > MAX_FILE_BYTES:
        raise LessonFileError(_too_large(len(text)))
    if _BLANK.fullmatch(text):
        raise LessonFileError("the file is empty; expected a JSON object")
    flagged = False

    def on_constant(name: str) -> _NotFinite:
        nonlocal flagged
        flagged = True
        return _NotFinite(name)

    def on_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal flagged
        result: dict[str, Any] = dict(pairs)
        if len(result) != len(pairs):
            flagged = True
            seen: set[str] = set()
            duplicate = ""
            for key, _ in pairs:
                if key in seen:
                    duplicate = key
                    break
                seen.add(key)
            marked = _Duplicates(result)
            marked.duplicate = duplicate
            return marked
        return result

    def on_int(digits: str) -> int | _NotFinite:
        if len(digits) > MAX_INT_DIGITS:
            nonlocal flagged
            flagged = True
            return _NotFinite(f"a {len(digits)}-digit number")
        return int(digits)

    try:
        value = json.loads(
            text, parse_constant=on_constant, object_pairs_hook=on_pairs, parse_int=on_int
        )
    except json.JSONDecodeError as error:
        raise LessonFileError(
            _syntax_message(error), place=f"line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise LessonFileError("the JSON is nested too deeply to read") from None
    except ValueError as error:  # e.g. a number Python will not convert
        raise LessonFileError(f"invalid JSON: {error}") from None
    if flagged:
        _raise_first_flag(value)
    if _SURROGATE_ESCAPE.search(text):
        _refuse_surrogates(value)
    return value


def _refuse_surrogates(value: Any) -> None:
    """A lone surrogate cannot be written as UTF-8 (nor shown): refuse it where it is."""
    for item, place, _ in _walk(value, ""):
        if isinstance(item, Mapping):
            for key in item:
                if isinstance(key, str) and _SURROGATE.search(key):
                    raise LessonFileError(
                        "a key holds half a character (a lone UTF-16 surrogate such as "
                        "\\ud800); write the whole character",
                        place=place or TOP,
                    )
        elif isinstance(item, str) and _SURROGATE.search(item):
            raise LessonFileError(
                "the text holds half a character (a lone UTF-16 surrogate such as \\ud800); "
                "write the whole character",
                place=place or TOP,
            )


def _syntax_message(error: json.JSONDecodeError) -> str:
    message = error.msg[:1].lower() + error.msg[1:]
    if message.endswith(" at"):  # "unterminated string starting at": the place follows
        message = message[: -len(" at")] + " here"
    # A string left open also runs to the end: both mean the text stops too soon.
    if error.pos >= len(error.doc.rstrip()) or message.startswith("unterminated string"):
        return f"invalid JSON: {message} (the file ends too early; is it cut short?)"
    return f"invalid JSON: {message}"


def _walk(value: Any, place: str) -> Iterator[tuple[Any, str, int]]:
    """Every value inside ``value`` in document order, with its place and nesting depth.

    Iterative, so deep nesting cannot overflow Python's stack.
    """
    stack: list[tuple[Any, str, int]] = [(value, place, 0)]
    while stack:
        item, where, depth = stack.pop()
        yield item, where, depth
        if isinstance(item, Mapping):
            children = [(v, key_place(where, k), depth + 1) for k, v in item.items()]
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            stack.extend(
                (item[i], index_place(where, i), depth + 1) for i in range(len(item) - 1, -1, -1)
            )


def _raise_first_flag(value: Any) -> None:
    for item, place, _ in _walk(value, ""):
        if isinstance(item, _NotFinite):
            if item.text.startswith("a "):
                raise LessonFileError(f"{item.text} is too long to be read", place=place or TOP)
            raise LessonFileError(
                f"{item.text} is not allowed; every number must be finite", place=place or TOP
            )
        if isinstance(item, _Duplicates):
            raise LessonFileError(
                f"duplicate key '{item.duplicate}'; each key may appear once", place=place or TOP
            )


#: Types a flat JSON list may hold; such lists are checked and copied in bulk.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def flat_scalars(items: list[Any] | tuple[Any, ...]) -> bool:
    """True when every item is exactly a JSON scalar type (the common, fast case)."""
    return set(map(type, items)) <= _SCALARS


def first_non_finite(items: list[Any] | tuple[Any, ...]) -> int | None:
    """Index of the first NaN/infinite float in a flat list, or None; fast when all finite."""
    try:
        if all(map(math.isfinite, items)):
            return None
    except (TypeError, OverflowError):  # strings, None, huge ints: look at the floats alone
        pass
    for n, item in enumerate(items):
        if isinstance(item, float) and not math.isfinite(item):
            return n
    return None


def check_free_json(value: Any, place: str) -> Any:
    """Check a free-form part (``state``, ``view``) and return it as plain JSON data.

    Accepts only JSON's types with string keys and finite numbers, nested at most
    :data:`MAX_DEPTH` deep (so it can always be written back), and copies it so later
    changes to the caller's object do not leak into the lesson. Iterative, and flat lists
    are checked in bulk, so large saved states cost little.
    """
    stack: list[tuple[Any, str, int]] = [(value, place, 0)]
    while stack:
        item, where, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LessonFileError(f"nested more than {MAX_DEPTH} levels deep", place=where)
        if isinstance(item, Mapping):
            children = []
            for key, sub in item.items():
                if not isinstance(key, str):
                    raise LessonFileError(f"keys must be strings; got {show(key)}", place=where)
                children.append((sub, key_place(where, key), depth + 1))
            stack.extend(reversed(children))
        elif isinstance(item, list | tuple):
            if flat_scalars(item):
                bad = first_non_finite(item)
                if bad is not None:
                    raise LessonFileError(
                        f"{show(item[bad])} is not allowed; every number must be finite",
                        place=index_place(where, bad),
                    )
                continue
            stack.extend(
                (item[n], index_place(where, n), depth + 1) for n in range(len(item) - 1, -1, -1)
            )
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise LessonFileError(
                    f"{show(item)} is not allowed; every number must be finite", place=where
                )
        elif not (isinstance(item, str | int) or item is None):
            raise LessonFileError(f"expected a JSON value, got {show(item)}", place=where)
    return _plain_copy(value)


def _plain_copy(value: Any) -> Any:
    """A copy made of dict/list/str/int/float/bool/None only (depth already bounded)."""
    if isinstance(value, Mapping):
        return {str(k): _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if flat_scalars(value):
            return list(value)
        return [_plain_copy(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    return float(value)


# ----------------------------------------------------------------------------- writing


def dumps(value: Any) -> str:
    """JSON text, indented by 2, with every flat list (a matrix row, labels) on one line.

    Small objects and lists that fit in :data:`LINE_WIDTH` columns stay on one line too.
    Floats are written with ``repr``; NaN or infinity anywhere is refused with its place,
    as is anything that is not JSON data. NumPy arrays and scalars are written as lists
    and numbers.
    """
    parts: list[str] = []
    try:
        _write(value, "", 0, parts)
    except RecursionError:
        raise LessonFileError("nested too deeply to be written") from None
    parts.append("\n")
    return "".join(parts)


def _write(value: Any, place: str, indent: int, out: list[str], lead: int = 0) -> None:
    """Append ``value``'s text; ``lead`` is how much of the line a key already takes."""
    value = _jsonable(value, place)
    if not isinstance(value, dict | list):
        out.append(_scalar(value, place))
        return
    if not value:
        out.append("{}" if isinstance(value, dict) else "[]")
        return
    if isinstance(value, list):
        flat = _flat_list(value, place)
        if flat is not None:
            out.append(flat)
            return
    compact = _compact(value, place, LINE_WIDTH - indent - lead - 1)
    if compact is not None:
        out.append(compact)
        return
    inner = " " * (indent + 2)
    if isinstance(value, dict):
        out.append("{\n")
        for n, (key, item) in enumerate(value.items()):
            if not isinstance(key, str):
                raise LessonFileError(f"keys must be strings; got {show(key)}", place=place or TOP)
            text = _string(key)
            out.append(f"{inner}{text}: ")
            _write(item, key_place(place, key), indent + 2, out, len(text) + 2)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(" " * indent + "}")
    else:
        out.append("[\n")
        for n, item in enumerate(value):
            out.append(inner)
            _write(item, index_place(place, n), indent + 2, out)
            out.append(",\n" if n < len(value) - 1 else "\n")
        out.append(" " * indent + "]")


def _jsonable(value: Any, place: str) -> Any:
    """NumPy and other container types turned into JSON's own (dict, list, float, …)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return dict(value)
    return value


def _flat_list(value: list[Any], place: str) -> str | None:
    """``[1.0, 2.5, …]`` on one line when every item is a number, string, bool or null."""
    kinds = set(map(type, value))
    if kinds <= {float}:
        text = ", ".join(map(float.__repr__, value))
        if "n" in text:  # only 'inf' and 'nan' contain an n; finite reprs never do
            _refuse_non_finite(value, place)
        return f"[{text}]"
    if kinds <= {float, int}:
        text = ", ".join(float.__repr__(v) if type(v) is float else int.__repr__(v) for v in value)
        if "n" in text:
            _refuse_non_finite(value, place)
        return f"[{text}]"
    if any(isinstance(v, dict | list | tuple | np.ndarray | Mapping) for v in value):
        return None
    return "[" + ", ".join(_scalar(_jsonable(v, p), p) for v, p in _indexed(value, place)) + "]"


def _indexed(value: list[Any], place: str) -> Iterator[tuple[Any, str]]:
    for n, item in enumerate(value):
        yield item, index_place(place, n)


def _refuse_non_finite(value: list[Any], place: str) -> None:
    for n, item in enumerate(value):
        if isinstance(item, float) and not math.isfinite(item):
            raise LessonFileError(
                f"{show(item)} cannot be written; every number must be finite",
                place=index_place(place, n),
            )


def _compact(value: Any, place: str, budget: int) -> str | None:
    """``value`` on one line if that takes at most ``budget`` characters, else None."""
    parts: list[str] = []
    used = 0
    stack: list[tuple[Any, str | None]] = [(value, place)]
    # Iterative and stopping early, so a huge matrix costs nothing here.
    while stack:
        item, where = stack.pop()
        if isinstance(item, str) and where is None:  # a piece of punctuation
            parts.append(item)
            used += len(item)
        else:
            where = where or TOP  # only punctuation comes without a place
            item = _jsonable(item, where)
            if isinstance(item, dict):
                if len(item) * 4 > budget:
                    return None
                pieces: list[tuple[Any, str | None]] = [("{", None)]
                for n, (key, sub) in enumerate(item.items()):
                    if not isinstance(key, str):
                        raise LessonFileError(
                            f"keys must be strings; got {show(key)}", place=where or TOP
                        )
                    pieces.append((_string(key) + ": ", None))
                    pieces.append((sub, key_place(where, key)))
                    if n < len(item) - 1:
                        pieces.append((", ", None))
                pieces.append(("}", None))
                stack.extend(reversed(pieces))
            elif isinstance(item, list):
                if len(item) * 3 > budget:
                    return None
                pieces = [("[", None)]
                for n, sub in enumerate(item):
                    pieces.append((sub, index_place(where, n)))
                    if n < len(item) - 1:
                        pieces.append((", ", None))
                pieces.append(("]", None))
                stack.extend(reversed(pieces))
            else:
                text = _scalar(item, where)
                parts.append(text)
                used += len(text)
        if used > budget:
            return None
    return "".join(parts)


def _scalar(value: Any, place: str) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise LessonFileError(
                f"{show(value)} cannot be written; every number must be finite", place=place or TOP
            )
        return float.__repr__(value)
    raise LessonFileError(f"{show(value)} cannot be written as JSON", place=place or TOP)


def _string(text: str) -> str:
    """A JSON string, non-ASCII kept readable; a lone surrogate (which no file may hold)
    becomes the replacement character."""
    if text.isascii():
        return json.dumps(text)
    if _SURROGATE.search(text):  # half a character: written as U+FFFD, so the file loads
        text = _SURROGATE.sub("\ufffd", text)
    return json.dumps(text, ensure_ascii=False)
