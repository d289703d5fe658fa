"""A quick look at a big file's structure before it is parsed, so a small file cannot ask
for gigabytes.

Parsing JSON builds a Python object for every list and number: a 250 MB file of empty
lists becomes 7 GB, and 40 million inline rows hang the parser long before the row limit
could be checked on the result. So a file above :data:`PRESCAN_BYTES` is first walked by
a regular expression that sees only strings, keys and brackets (a flat list of numbers is
one token), counting as it goes and stopping at the first limit passed:

* ``layers`` may hold at most :data:`MAX_LAYERS` layers, any other list at most
  ``MAX_SAMPLES`` items that are lists or objects (``dataset.inputs`` rows), an object
  at most :data:`MAX_KEYS` keys, and nesting is at most ``MAX_DEPTH`` deep;
* the whole file at most :data:`MAX_CONTAINERS` lists and objects, more than the largest
  lesson the format allows can hold;
* and what parsing would take, estimated from the counts, must fit in this machine's free
  memory (:func:`bpsim.datasets.system.memory_budget`).

Each refusal names the place (``dataset.inputs``) and the figure.
"""

from __future__ import annotations

import json
import re

from bpsim.core.spec import MAX_LAYER_SIZE, MAX_SAMPLES
from bpsim.datasets.system import available_memory, memory_budget, size_text
from bpsim.fileformat.errors import TOP, LessonFileError, index_place, key_place

#: Files smaller than this are parsed directly: at worst they take a few hundred MB.
PRESCAN_BYTES = 4 * 2**20
#: Most layers a network may have (input and output included).
MAX_LAYERS = 1000
#: Most keys one object may have; a lesson's objects have a handful.
MAX_KEYS = 100_000
#: Most lists and objects in one file: every inline row twice (inputs and targets) and a
#: generous allowance for the rows of the weights, masks, starting weights and optimizer
#: state of the widest network allowed.
MAX_CONTAINERS = 2 * MAX_SAMPLES + 40 * MAX_LAYER_SIZE
#: Deepest nesting the scan follows (the parser's own limit is checked after parsing).
MAX_SCAN_DEPTH = 80

# Python's cost of parsed JSON, per item (a list or dict object and the pointer to it;
# a float or int object and its pointer), and per byte of text (the bytes and the str).
_CONTAINER_COST = 96
_VALUE_COST = 32
_TEXT_COST = 2

_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_FLAT = rb'\[[^\[\]{}"]*\]'
# A key; a string; a run of flat lists (matrix rows) with their commas, counted at C
# speed by their ']'s; one flat list; a bracket.
_TOKEN = re.compile(
    rb"("
    + _STRING
    + rb")\s*:|"
    + _STRING
    + rb"|(?:"
    + _FLAT
    + rb"\s*,\s*){1,4096}+|"
    + _FLAT
    + rb"|[\[\]{}]"
)


def estimated_parse_bytes(data: bytes) -> int:
    """Roughly what parsing ``data`` would take in memory (counted at C speed)."""
    containers = data.count(b"[") + data.count(b"{")
    values = data.count(b",") + 1
    return _TEXT_COST * len(data) + _CONTAINER_COST * containers + _VALUE_COST * values


def prescan(data: bytes) -> None:
    """Refuse ``data`` (a file's bytes) when parsing it would pass a limit; see the module."""
    if len(data) < PRESCAN_BYTES:
        return
    need = estimated_parse_bytes(data)
    budget = memory_budget()
    if need > budget:
        raise LessonFileError(
            f"reading this file would take about {size_text(need)} of memory; this machine "
            f"has {size_text(available_memory())} free, and a lesson may use half of that",
            place=TOP,
        )
    _walk(data)


class _Frame:
    """One open list or object: its place's last part, how many items it has so far."""

    __slots__ = ("cap", "count", "is_list", "key", "name", "parent")

    def __init__(self, parent: _Frame | None, name: str | int, is_list: bool, cap: int) -> None:
        self.parent = parent
        self.name = name
        self.is_list = is_list
        self.cap = cap
        self.count = 0
        self.key = ""


def _place(frame: _Frame | None) -> str:
    names: list[str | int] = []
    while frame is not None and frame.parent is not None:
        names.append(frame.name)
        frame = frame.parent
    place = ""
    for name in reversed(names):
        place = index_place(place, name) if isinstance(name, int) else key_place(place, name)
    return place or TOP


def _key(raw: bytes) -> str:
    try:
        key = json.loads(raw)
    except ValueError:
        return "?"
    return key if isinstance(key, str) else "?"


def _walk(data: bytes) -> None:
    top = _Frame(None, "", False, MAX_KEYS)
    frame = top
    depth = 0
    containers = 0
    started = False
    for match in _TOKEN.finditer(data):
        token = match.group()
        first = token[0]
        if first == 0x22:  # '"': a key (group 1) or a string value
            if match.group(1) is not None and not frame.is_list:
                frame.key = _key(match.group(1)) if depth <= 3 else "?"
                frame.count += 1
                if frame.count > frame.cap:
                    raise LessonFileError(
                        f"an object with more than {MAX_KEYS:,} keys", place=_place(frame)
                    )
            elif frame.is_list:
                frame.count += 1
            continue
        if first in (0x5D, 0x7D) and len(token) == 1:  # ']' or '}'
            if frame.parent is not None:
                frame = frame.parent
                depth -= 1
            continue
        items = 1
        if first == 0x5B and len(token) > 1 and token.rstrip().endswith(b","):
            items = token.count(b"]")  # a run of rows: each ends with the one ']'
        containers += items
        if containers > MAX_CONTAINERS:
            raise LessonFileError(
                f"more than {MAX_CONTAINERS:,} lists and objects; a lesson holds far fewer",
                place=_place(frame),
            )
        if not started:  # the document itself
            started = True
            if token == b"{":
                continue
            return  # not an object: the parser says so, cheaply
        if frame.is_list:
            name: str | int = frame.count
            frame.count += items
            if frame.count > frame.cap:
                what = "items that are lists or objects"
                if frame.cap == MAX_LAYERS:
                    what = "layers"
                elif frame.parent is not None and frame.parent.name == "dataset":
                    what = "rows"
                raise LessonFileError(
                    f"more than {frame.cap:,} {what}; at most {frame.cap:,} are allowed",
                    place=_place(frame),
                )
        else:
            name = frame.key
        if len(token) > 1:  # a flat list: one value, nothing opened
            continue
        depth += 1
        if depth > MAX_SCAN_DEPTH:
            raise LessonFileError(
                f"nested more than {MAX_SCAN_DEPTH} levels deep", place=_place(frame)
            )
        is_list = token == b"["
        cap = MAX_KEYS
        if is_list:
            cap = MAX_LAYERS if frame is top and name == "layers" else MAX_SAMPLES
        frame = _Frame(frame, name, is_list, cap)
