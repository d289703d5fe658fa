"""Whatever the input, loading either gives a lesson or raises LessonFileError: no other
exception (no KeyError, TypeError, MemoryError, RecursionError…) ever escapes."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from fileformat_helpers import EXAMPLE_TEXT, example
from fileformat_strategies import json_values, valid_docs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsim.core.spec import Lesson
from bpsim.fileformat import LessonFileError, dumps_lesson, parse_lesson

#: More examples for a long hunt: BPSIM_FUZZ_EXAMPLES=20000 pytest tests/fileformat
FUZZ = settings(
    max_examples=int(os.environ.get("BPSIM_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def load_or_refuse(data: Any) -> Lesson | None:
    """Parse; a LessonFileError is fine, anything else fails the test. A lesson that loads
    must also write and read back."""
    try:
        lesson = parse_lesson(data, path=Path("fuzz.bpsim"))
    except LessonFileError as error:
        assert str(error).startswith("fuzz.bpsim: ")
        assert error.message
        return None
    parse_lesson(dumps_lesson(lesson))
    return lesson


def builtin_doc() -> dict[str, Any]:
    doc = example()
    doc["layers"][2] = {"size": 1}
    doc["parameters"]["weights"][1] = [[0.5, -0.5]]
    doc["parameters"]["biases"][1] = [0.0]
    doc["dataset"] = {"builtin": "xor", "one_hot": False}
    return doc


@FUZZ
@given(json_values)
def test_random_json_values(value: Any) -> None:
    load_or_refuse(
        value if isinstance(value, dict) else {"format": "bpsim", "version": 1, "x": value}
    )
    load_or_refuse(json.dumps(value))


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "format",
                "version",
                "layers",
                "loss",
                "optimizer",
                "dataset",
                "parameters",
                "init",
                "training",
                "state",
                "view",
            ]
        ),
        json_values,
    )
)
def test_random_values_under_real_keys(doc: dict[str, Any]) -> None:
    doc.setdefault("format", "bpsim")
    doc.setdefault("version", 1)
    load_or_refuse(doc)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value`` (keys and indexes)."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            out += paths(item, (*prefix, n))
    return out


def mutate(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    """One to three random edits: replace a value, delete a key or item, add a key."""
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        candidates = paths(doc)[1:]
        path = data.draw(st.sampled_from(candidates))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        action = data.draw(st.sampled_from(["replace", "delete", "add", "tweak"]))
        if action == "replace":
            parent[path[-1]] = data.draw(json_values)
        elif action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[data.draw(st.text(max_size=8))] = data.draw(json_values)
        elif action == "add":
            parent.insert(path[-1], data.draw(json_values))
        else:  # a near miss: the sort of value a person might write instead
            old = parent[path[-1]]
            parent[path[-1]] = data.draw(
                st.sampled_from(
                    [
                        0,
                        1,
                        -1,
                        2,
                        1.5,
                        -0.0,
                        True,
                        False,
                        None,
                        "",
                        "full",
                        [],
                        {},
                        [[]],
                        [0],
                        str(old),
                        [old],
                        10**30,
                        2**64,
                        1e308,
                        -1e308,
                        5e-324,
                        100_000,
                        100_001,
                    ]
                )
            )
    return doc


@FUZZ
@given(st.data())
def test_mutated_example(data: st.DataObject) -> None:
    doc = mutate(example(), data)
    load_or_refuse(doc)
    load_or_refuse(json.dumps(doc))


@FUZZ
@given(st.data())
def test_mutated_builtin_lesson(data: st.DataObject) -> None:
    load_or_refuse(mutate(builtin_doc(), data))


@FUZZ
@given(valid_docs(), st.data())
def test_mutated_generated_networks(doc: dict[str, Any], data: st.DataObject) -> None:
    assert load_or_refuse(doc) is not None  # the generator makes valid files
    load_or_refuse(mutate(doc, data))


@FUZZ
@given(st.data())
def test_mutated_bytes(data: st.DataObject) -> None:
    raw = bytearray(EXAMPLE_TEXT.encode("utf-8"))
    for _ in range(data.draw(st.integers(1, 4))):
        where = data.draw(st.integers(0, len(raw)))
        action = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        byte = data.draw(
            st.sampled_from([*b'{}[],:"0123456789-+.eE \ntruefalsnul\\', 0x00, 0x80, 0xC3, 0xFF])
        )
        if action == "insert":
            raw.insert(where, byte)
        elif action == "delete" and where < len(raw):
            del raw[where]
        elif where < len(raw):
            raw[where] = byte
    load_or_refuse(bytes(raw))


@FUZZ
@given(st.binary(max_size=200))
def test_random_bytes(raw: bytes) -> None:
    load_or_refuse(raw)
    load_or_refuse(b'{"format": "bpsim", "version": 1, ' + raw)
