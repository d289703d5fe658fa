"""The JSON layer: encodings, syntax errors, duplicate keys, NaN/Infinity, sizes, nesting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fileformat_helpers import EXAMPLE_TEXT, example

from bpsim.fileformat import LessonFileError, jsonio, load_lesson, parse_lesson


def error_of(data: str | bytes) -> LessonFileError:
    with pytest.raises(LessonFileError) as info:
        parse_lesson(data, path=Path("x.bpsim"))
    return info.value


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.bpsim"
    path.write_bytes(b"\xef\xbb\xbf" + EXAMPLE_TEXT.encode("utf-8"))
    assert load_lesson(path).sizes == [2, 2, 2]
    assert parse_lesson("\ufeff" + EXAMPLE_TEXT).sizes == [2, 2, 2]


def test_non_ascii_text_is_read() -> None:
    doc = example()
    doc["name"] = "Rückwärts – λ ✓ 🧠"
    lesson = parse_lesson(json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    assert lesson.name == "Rückwärts – λ ✓ 🧠"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"format": "bpsim", "name": "caf\xe9"}', "not UTF-8 text: byte 0xe9 at position 32"),
        (
            b"\xff\xfe{\x00}\x00",
            "not UTF-8 text: byte 0xff at position 0 (the file looks like UTF-16",
        ),
        (b"\xef\xbb\xbf{\xc3}", "not UTF-8 text: byte 0xc3 at position 4"),
        (b"\x80", "not UTF-8 text: byte 0x80 at position 0"),
    ],
)
def test_bad_encodings_name_the_byte(data: bytes, message: str) -> None:
    error = error_of(data)
    assert message in error.message
    assert error.place == ""
    assert str(error).startswith("x.bpsim: not UTF-8 text")


def test_latin1_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.bpsim"
    doc = example()
    doc["name"] = "Übung"
    path.write_bytes(json.dumps(doc, ensure_ascii=False).encode("latin-1"))
    with pytest.raises(LessonFileError, match=r"not UTF-8 text: byte 0xdc at position \d+"):
        load_lesson(path)


def test_syntax_error_names_line_and_column() -> None:
    text = '{\n  "format": "bpsim",\n  "version": 1\n  "layers": []\n}'
    error = error_of(text)
    assert error.place == "line 4, column 3"
    assert error.message == "invalid JSON: expecting ',' delimiter"
    assert str(error) == "x.bpsim: line 4, column 3: invalid JSON: expecting ',' delimiter"


@pytest.mark.parametrize(
    "text",
    [
        "{'format': 'bpsim'}",  # single quotes
        '{"format": "bpsim",}',  # trailing comma
        '{"a": 1} {"b": 2}',  # two documents
        '{"a": 01}',  # leading zero
        '{"a": .5}',
        '{"a": "tab\there"}',  # raw control character
        "// comment\n{}",
    ],
)
def test_syntax_errors(text: str) -> None:
    error = error_of(text)
    assert error.place.startswith("line ")
    assert error.message.startswith("invalid JSON: ")


@pytest.mark.parametrize("cut", [1, 10, 100, 300, len(EXAMPLE_TEXT) - 3])
def test_truncated_files_say_so(cut: int) -> None:
    error = error_of(EXAMPLE_TEXT[:cut])
    assert error.place.startswith("line ")
    assert "the file ends too early" in error.message


def test_every_truncation_is_a_lesson_file_error() -> None:
    data = EXAMPLE_TEXT.encode("utf-8").rstrip()
    for cut in range(len(data)):
        with pytest.raises(LessonFileError):
            parse_lesson(data[:cut])


@pytest.mark.parametrize("text", ["", "   \n\t ", "\ufeff"])
def test_empty_file(text: str) -> None:
    error = error_of(text)
    assert "the file is empty" in error.message


@pytest.mark.parametrize(
    ("text", "place", "key"),
    [
        ('{"format": "bpsim", "format": "bpsim"}', "(top level)", "format"),
        (
            EXAMPLE_TEXT.replace(
                '"bias": "shared", "labels": ["h1", "h2"]',
                '"bias": "shared", "bias": "none", "labels": ["h1", "h2"]',
            ),
            "layers[1]",
            "bias",
        ),
        ('{"format": "bpsim", "view": {"a": {"b": 1, "b": 2}}}', "view.a", "b"),
        ('{"format": "bpsim", "view": {"odd key": [{"x": 1, "x": 1}]}}', "view['odd key'][0]", "x"),
    ],
)
def test_duplicate_keys_are_refused(text: str, place: str, key: str) -> None:
    error = error_of(text)
    assert error.place == place
    assert error.message == f"duplicate key '{key}'; each key may appear once"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_with_their_place(constant: str) -> None:
    text = EXAMPLE_TEXT.replace("[0.18, 0.06]", f"[0.18, {constant}]")
    error = error_of(text)
    assert error.place == "parameters.weights[1][0][1]"
    assert error.message == f"{constant} is not allowed; every number must be finite"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_anywhere_even_in_view(constant: str) -> None:
    doc = example()
    doc["view"] = {"zoom": "PLACEHOLDER"}
    text = json.dumps(doc).replace('"PLACEHOLDER"', constant)
    error = error_of(text)
    assert error.place == "view.zoom"


@pytest.mark.parametrize(
    ("old", "new", "place"),
    [
        ("[0.95, 0.06]", "[0.95, 1e999]", "dataset.inputs[0][1]"),
        ("[0.05], [0.42]", "[-1e400], [0.42]", "parameters.biases[0][0]"),
        ('"learning_rate": 0.01', '"learning_rate": 1e309', "optimizer.learning_rate"),
    ],
)
def test_numbers_that_overflow_are_refused(old: str, new: str, place: str) -> None:
    error = error_of(EXAMPLE_TEXT.replace(old, new))
    assert error.place == place
    assert "finite" in error.message


def test_overflow_in_free_parts_is_refused() -> None:
    doc = example()
    doc["state"] = {"history": [1.0, "X"]}
    error = error_of(json.dumps(doc).replace('"X"', "1e999"))
    assert error.place == "state.history[1]"
    assert "Infinity is not allowed" in error.message


def test_very_long_integers_are_refused() -> None:
    doc = example()
    doc["view"] = {"n": "X"}
    error = error_of(json.dumps(doc).replace('"X"', "9" * 5000))
    assert error.place == "view.n"
    assert "5000-digit number is too long" in error.message


def test_deep_nesting_is_refused_not_a_crash() -> None:
    start, end = EXAMPLE_TEXT.rsplit("}", 1)
    for depth in (100, 5_000, 200_000):
        text = start + ', "view": {"deep": ' + "[" * depth + "]" * depth + "}}" + end
        with pytest.raises(LessonFileError, match="nested"):
            parse_lesson(text)


def test_file_size_is_checked_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.bpsim"
    path.write_text(EXAMPLE_TEXT, encoding="utf-8")
    monkeypatch.setattr(jsonio, "MAX_FILE_BYTES", 100)
    read: list[int] = []
    real_open = open

    def spy_open(*args: object, **kwargs: object) -> object:
        stream = real_open(*args, **kwargs)  # type: ignore[call-overload]
        real_read = stream.read

        def counting_read(n: int = -1) -> bytes:
            data = real_read(n)
            read.append(len(data))
            return data

        stream.read = counting_read
        return stream

    monkeypatch.setattr("builtins.open", spy_open)
    with pytest.raises(LessonFileError) as info:
        load_lesson(path)
    assert "at most 0 MB" in info.value.message or "may be at most" in info.value.message
    assert read == []  # refused from the size alone


def test_real_limit_is_1_gb() -> None:
    # above the largest lesson bpsim writes (the saver checks), so whatever it saves opens
    assert jsonio.MAX_FILE_BYTES == 1024 * 1024 * 1024


def test_sparse_huge_file_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "huge.bpsim"
    with open(path, "wb") as stream:
        stream.truncate(jsonio.MAX_FILE_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(LessonFileError, match="may be at most 1024 MB"):
        load_lesson(path)


def test_text_over_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonio, "MAX_FILE_BYTES", 100)
    with pytest.raises(LessonFileError, match="may be at most"):
        parse_lesson(EXAMPLE_TEXT)


def test_lone_surrogate_escapes_are_refused_at_their_place() -> None:
    doc = example()
    doc["name"] = "\ud800"
    with pytest.raises(LessonFileError, match="lone UTF-16 surrogate") as info:
        parse_lesson(json.dumps(doc))  # ensure_ascii escapes it: valid JSON, half a character
    assert info.value.place == "name"
    doc["name"] = "\U0001f9e0"  # a whole character written as a surrogate pair is fine
    assert parse_lesson(json.dumps(doc)).name == "\U0001f9e0"
