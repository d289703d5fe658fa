"""CSV import: good files in their usual shapes, and every kind of bad file refused with a
message that names the place, never a traceback."""

from __future__ import annotations

import tempfile
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bpsim.datasets.csvfile as csvfile
from bpsim.datasets import DatasetError, load_csv

HOUSES = "size,rooms,price,kind\n1100,3,199000,flat\n1400,4,245000,house\n1425,4,319000,flat\n"


def write(tmp_path: Path, content: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def error(path: Path, inputs: list[str | int], targets: list[str | int], **kw: object) -> str:
    with pytest.raises(DatasetError) as e:
        load_csv(path, inputs, targets, **kw)  # type: ignore[arg-type]
    return str(e.value)


# --- good files ----------------------------------------------------------------------------


def test_columns_by_name(tmp_path: Path) -> None:
    path = write(tmp_path, HOUSES)
    d = load_csv(path, ["size", "rooms"], ["price"])
    np.testing.assert_array_equal(d.inputs, [[1100, 3], [1400, 4], [1425, 4]])
    np.testing.assert_array_equal(d.targets, [[199000], [245000], [319000]])
    assert d.inputs.dtype == np.float64 and d.targets.dtype == np.float64
    assert d.inputs.flags.c_contiguous and d.targets.flags.c_contiguous
    assert d.input_names == ["size", "rooms"]
    assert d.target_names == ["price"]
    assert d.source == {"csv": str(path), "inputs": ["size", "rooms"], "targets": ["price"]}


def test_columns_by_position_in_a_file_with_header(tmp_path: Path) -> None:
    d = load_csv(write(tmp_path, HOUSES), [1, 0], [2])
    np.testing.assert_array_equal(d.inputs[0], [3, 1100])
    assert d.input_names == ["rooms", "size"]


def test_file_without_header(tmp_path: Path) -> None:
    d = load_csv(write(tmp_path, "1,2,3\n4,5,6\n"), [0, 2], [1])
    np.testing.assert_array_equal(d.inputs, [[1, 3], [4, 6]])
    np.testing.assert_array_equal(d.targets, [[2], [5]])
    assert d.input_names is None and d.target_names is None


def test_header_and_values_may_be_quoted_and_padded(tmp_path: Path) -> None:
    text = '"house size, sq ft", "price"\r\n" 1100 ",  2.5e5\r\n\r\n1400,-3\r\n'
    d = load_csv(write(tmp_path, text), ["house size, sq ft"], ["price"])
    np.testing.assert_array_equal(d.inputs, [[1100], [1400]])
    np.testing.assert_array_equal(d.targets, [[250000], [-3]])


def test_byte_order_mark_and_blank_lines_are_ignored(tmp_path: Path) -> None:
    text = "\ufeffx,y\n\n1,2\n   \n3,4\n\n"
    d = load_csv(write(tmp_path, text), ["x"], ["y"])
    np.testing.assert_array_equal(d.inputs, [[1], [3]])
    assert d.input_names == ["x"]


def test_no_final_newline_and_str_path(tmp_path: Path) -> None:
    d = load_csv(str(write(tmp_path, "x,y\n1,2")), ["x"], ["y"])
    assert d.size == 1


def test_one_hot_text_classes_are_sorted(tmp_path: Path) -> None:
    text = "a,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n"
    d = load_csv(write(tmp_path, text), ["a"], ["species"], one_hot="species")
    assert d.target_names == ["setosa", "versicolor", "virginica"]
    np.testing.assert_array_equal(d.targets, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
    assert d.source["one_hot"] == "species"


def test_one_hot_numeric_classes_sort_by_value(tmp_path: Path) -> None:
    text = "a,digit\n1,10\n2,2\n3,2.0\n4,9\n"
    d = load_csv(write(tmp_path, text), ["a"], ["digit"], one_hot="digit")
    assert d.target_names == ["2", "9", "10"]
    np.testing.assert_array_equal(np.argmax(d.targets, axis=1), [2, 0, 0, 1])


def test_one_hot_among_other_targets_keeps_their_order(tmp_path: Path) -> None:
    d = load_csv(write(tmp_path, HOUSES), ["size"], ["price", "kind", "rooms"], one_hot="kind")
    assert d.target_names == ["price", "flat", "house", "rooms"]
    np.testing.assert_array_equal(d.targets[1], [245000, 0, 1, 4])


def test_one_hot_by_position_in_a_headerless_file(tmp_path: Path) -> None:
    """A text class column does not make the first row a header."""
    text = "5.1,3.5,setosa\n4.9,3.0,virginica\n"
    d = load_csv(write(tmp_path, text), [0, 1], [2], one_hot=2)
    np.testing.assert_array_equal(d.inputs, [[5.1, 3.5], [4.9, 3.0]])
    np.testing.assert_array_equal(d.targets, [[1, 0], [0, 1]])
    assert d.input_names is None
    assert d.target_names == ["setosa", "virginica"]


def test_standardize_scales_inputs_only(tmp_path: Path) -> None:
    text = "x,c,y\n1,5,10\n2,5,20\n3,5,30\n"
    d = load_csv(write(tmp_path, text), ["x", "c"], ["y"], standardize=True)
    np.testing.assert_allclose(d.inputs[:, 0], [-1.224744871391589, 0, 1.224744871391589])
    np.testing.assert_array_equal(d.inputs[:, 1], 0.0)  # a constant column is only shifted
    np.testing.assert_array_equal(d.targets[:, 0], [10, 20, 30])
    assert d.source["standardize"] is True


def test_standardize_huge_values_without_overflow(tmp_path: Path) -> None:
    text = "x,y\n1.7e308,0\n-1.7e308,0\n1e308,0\n"
    d = load_csv(write(tmp_path, text), ["x"], ["y"], standardize=True)
    assert np.all(np.isfinite(d.inputs))
    np.testing.assert_allclose(d.inputs.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(d.inputs.std(), 1.0)


def test_iris_file_through_the_csv_loader(tmp_path: Path) -> None:
    """The bundled iris file read as a user's CSV gives the built-in data set."""
    from bpsim.resources import resource

    from bpsim.datasets import load_builtin

    text = resource("data", "iris.csv").read_text().split("\n", 1)[1]
    path = write(tmp_path, "sl,sw,pl,pw,species\n" + text)
    d = load_csv(path, ["sl", "sw", "pl", "pw"], ["species"], one_hot="species", standardize=True)
    builtin = load_builtin("iris", {})
    np.testing.assert_allclose(d.inputs, builtin.inputs, rtol=1e-12)
    np.testing.assert_array_equal(d.targets, builtin.targets)
    assert d.target_names == ["0", "1", "2"]


# --- bad files -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    message = error(tmp_path / "nope.csv", [0], [1])
    assert message == f"csv: file not found: {tmp_path / 'nope.csv'}"


def test_folder_instead_of_file(tmp_path: Path) -> None:
    assert error(tmp_path, [0], [1]) == f"csv: {tmp_path} is a folder, not a regular file"


def test_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "x,y\n1,2\nCaf\xe9,3\n".encode("latin-1"))
    message = error(path, ["x"], ["y"])
    assert message.startswith("row 3: not UTF-8 text (byte 0xe9 at position 4)")
    assert "save the file as UTF-8" in message


def test_utf16_is_not_utf8(tmp_path: Path) -> None:
    path = write(tmp_path, "x,y\n1,2\n".encode("utf-16"))
    assert error(path, ["x"], ["y"]).startswith("row 1: not UTF-8 text")


@pytest.mark.parametrize("content", ["", "\n\n  \n", "\ufeff"])
def test_empty_file(tmp_path: Path, content: str) -> None:
    assert error(write(tmp_path, content), [0], [1]) == "csv: the file is empty"


def test_header_only(tmp_path: Path) -> None:
    assert error(write(tmp_path, "x,y\n"), ["x"], ["y"]) == "csv: no data rows after the header"


def test_ragged_rows(tmp_path: Path) -> None:
    text = "a,b,c,d,e\n" + "1,2,3,4,5\n" * 5 + "1,2,3\n"
    assert error(write(tmp_path, text), ["a"], ["b"]) == "row 7: 3 values; expected 5"
    text = "a,b\n1,2\n1,2,3\n"
    assert error(write(tmp_path, text), ["a"], ["b"]) == "row 3: 3 values; expected 2"


def test_row_numbers_count_blank_lines(tmp_path: Path) -> None:
    text = "a,b\n\n1,2\n\n3\n"
    assert error(write(tmp_path, text), ["a"], ["b"]) == "row 5: 1 value; expected 2"


def test_not_a_number(tmp_path: Path) -> None:
    text = "size,price\n1,2\nabc,3\n"
    assert error(write(tmp_path, text), ["size"], ["price"]) == (
        "row 3, column 'size': 'abc' is not a number"
    )
    text = "size,price\n1,2\n3,abc\n"
    assert error(write(tmp_path, text), ["size"], ["price"]) == (
        "row 3, column 'price': 'abc' is not a number"
    )
    assert error(write(tmp_path, "1,2\n3,x\n"), [0], [1]) == "row 2, column 1: 'x' is not a number"


def test_decimal_comma_is_caught(tmp_path: Path) -> None:
    text = 'x;y\n"1,5";2\n'
    assert error(write(tmp_path, text), [0], [1]).startswith("targets[0]: there is no column 1")


def test_empty_value(tmp_path: Path) -> None:
    text = "size,price\n1,2\n,3\n"
    assert error(write(tmp_path, text), ["size"], ["price"]) == (
        "row 3, column 'size': empty; expected a number"
    )


@pytest.mark.parametrize("bad", ["nan", "NaN", "inf", "-Infinity", "1e999"])
def test_non_finite_numbers(tmp_path: Path, bad: str) -> None:
    text = f"x,y\n1,2\n3,{bad}\n"
    assert error(write(tmp_path, text), ["x"], ["y"]) == (
        f"row 3, column 'y': '{bad}' is not a finite number"
    )


@pytest.mark.parametrize("bad", ["1_000", "１２", "٣", "0x10", "1e", "--1", " ", "1.2.3"])
def test_numbers_follow_the_one_grammar(tmp_path: Path, bad: str) -> None:
    # Python's float() takes '1_000', fullwidth and Arabic-Indic digits; a lesson does not
    text = f'x,y\n1,2\n3,"{bad}"\n'
    message = error(write(tmp_path, text), ["x"], ["y"])
    assert message.startswith("row 3, column 'y': ")
    assert message.endswith("is not a number") or message.endswith("empty; expected a number")


def test_the_decimal_comma_and_true_minus_are_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, 'x,y\n"0,5",−2\n1e-3,+4.\n')
    dataset = load_csv(path, ["x"], ["y"])
    assert dataset.inputs[:, 0].tolist() == [0.5, 0.001]
    assert dataset.targets[:, 0].tolist() == [-2.0, 4.0]


def test_unknown_column_lists_the_header(tmp_path: Path) -> None:
    message = error(write(tmp_path, HOUSES), ["size"], ["prize"])
    assert message == (
        "targets[0]: unknown column 'prize'; the header has 'size', 'rooms', 'price', 'kind'"
    )


def test_name_in_a_headerless_file(tmp_path: Path) -> None:
    message = error(write(tmp_path, "1,2\n3,4\n"), ["x"], [1])
    assert message.startswith("inputs[0]: unknown column 'x'")
    assert "no header: use 0-based column numbers" in message


def test_position_out_of_range(tmp_path: Path) -> None:
    assert error(write(tmp_path, HOUSES), [0], [9]) == (
        "targets[0]: there is no column 9; the file has 4 columns (0 to 3)"
    )


def test_duplicate_header_name(tmp_path: Path) -> None:
    message = error(write(tmp_path, "x,x,y\n1,2,3\n"), ["x"], ["y"])
    assert message == (
        "inputs[0]: the header has 2 columns named 'x' (columns 0, 1); choose one by number"
    )
    assert load_csv(write(tmp_path, "x,x,y\n1,2,3\n"), [1], ["y"]).inputs[0, 0] == 2


def test_column_chosen_twice(tmp_path: Path) -> None:
    path = write(tmp_path, HOUSES)
    assert error(path, ["size"], [0]) == "targets[0]: column 'size' is already chosen as inputs[0]"
    assert error(path, ["size", "size"], ["price"]) == (
        "inputs[1]: column 'size' is already chosen as inputs[0]"
    )


def test_one_hot_must_be_a_target(tmp_path: Path) -> None:
    path = write(tmp_path, HOUSES)
    assert error(path, ["size"], ["price"], one_hot="kind") == (
        "one_hot: column 'kind' must also be listed among the targets"
    )
    assert error(path, ["size"], ["price"], one_hot="nope").startswith(
        "one_hot: unknown column 'nope'"
    )


def test_one_hot_empty_label(tmp_path: Path) -> None:
    text = "x,kind\n1,a\n2,\n"
    assert error(write(tmp_path, text), ["x"], ["kind"], one_hot="kind") == (
        "row 3, column 'kind': no class label"
    )


def test_too_many_classes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_CLASSES", 3)
    text = "x,kind\n" + "".join(f"{i},{i}\n" for i in range(5))
    assert error(write(tmp_path, text), ["x"], ["kind"], one_hot="kind") == (
        "one_hot: column 'kind' has more than 3 different classes; is it the right column?"
    )


NOT_A_COLUMN = "expected a column name or a 0-based column number"


@pytest.mark.parametrize(
    ("inputs", "targets", "kw", "expected"),
    [
        ("size", ["price"], {}, "inputs: expected a list of columns; got 'size'"),
        (None, ["price"], {}, "inputs: expected a list of columns; got null"),
        ([], ["price"], {}, "inputs: expected at least one column"),
        (["size"], [], {}, "targets: expected at least one column"),
        ([-1], ["price"], {}, "inputs[0]: column numbers start at 0; got -1"),
        ([1.0], ["price"], {}, f"inputs[0]: {NOT_A_COLUMN}; got 1.0"),
        (["size"], [True], {}, f"targets[0]: {NOT_A_COLUMN}; got true"),
        (["size"], ["kind"], {"one_hot": 2.5}, f"one_hot: {NOT_A_COLUMN}; got 2.5"),
        (["size"], ["price"], {"standardize": 1}, "standardize: expected true or false; got 1"),
    ],
)  # fmt: skip
def test_bad_arguments(
    tmp_path: Path, inputs: object, targets: object, kw: dict[str, object], expected: str
) -> None:
    assert error(write(tmp_path, HOUSES), inputs, targets, **kw) == expected  # type: ignore[arg-type]


def test_bad_arguments_are_found_before_the_file_is_opened(tmp_path: Path) -> None:
    assert error(tmp_path / "missing.csv", [], [0]) == "inputs: expected at least one column"


def test_too_many_rows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_SAMPLES", 5)
    ok = "x,y\n" + "1,2\n" * 5
    assert load_csv(write(tmp_path, ok), ["x"], ["y"]).size == 5
    assert error(write(tmp_path, ok + "1,2\n"), ["x"], ["y"]) == "csv: more than 5 data rows"


def test_too_many_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_DATA_VALUES", 10)
    path = write(tmp_path, "a,b,c\n" + "1,2,3\n" * 4)
    assert error(path, ["a", "b"], ["c"]) == "csv: more than 10 values in the chosen columns"
    assert load_csv(path, ["a"], ["c"]).size == 4
    # One-hot columns count too, before the one-hot array is made.
    text = "a,k\n" + "".join(f"1,{k}\n" for k in "abcd")
    assert error(write(tmp_path, text), ["a"], ["k"], one_hot="k") == (
        "csv: 4 rows × 5 columns is more than 10 values"
    )


def test_overlong_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csvfile, "MAX_LINE_BYTES", 50)
    path = write(tmp_path, "x,y\n1,2\n" + "1," + "2" * 100 + "\n")
    assert error(path, ["x"], ["y"]) == "row 3: the line is longer than 50 bytes"


def test_broken_quotes(tmp_path: Path) -> None:
    message = error(write(tmp_path, 'x,y\n1,"2"3\n'), ["x"], ["y"])
    assert message.startswith("row 2: not valid CSV (")


def test_unterminated_quote(tmp_path: Path) -> None:
    message = error(write(tmp_path, 'x,y\n1,"2\n3,4\n'), ["x"], ["y"])
    assert message.startswith("row 3: not valid CSV (")


def test_memory_stays_near_the_values(tmp_path: Path) -> None:
    """Numbers go into a packed float64 buffer, not a Python float per value."""
    rows = 100_000
    path = write(tmp_path, "a,b,c\n" + "1.25,2.5,3.75\n" * rows)
    tracemalloc.start()
    try:
        d = load_csv(path, ["a", "b"], ["c"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    values_bytes = rows * 3 * 8
    assert d.size == rows
    assert peak < 3 * values_bytes  # a float object per value would need over 4×


# --- property: any bytes load or give a DatasetError ---------------------------------------


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "fuzz.csv"


SELECTIONS: list[tuple[list[str | int], list[str | int], str | int | None]] = [
    ([0], [1], None),
    ([0, 2], [1], 1),
    (["a"], ["b"], None),
    (["a", 2], ["b"], "b"),
]

CSV_ALPHABET = st.sampled_from([*"0123456789.,-+e \n\r\"'ab;\t", "nan", "inf", "é", "\x00"])


CSV_VALUE = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.integers(-(10**6), 10**6),
    st.floats(),
    st.sampled_from(["a", "b", "", " x "]),
)
#: Mostly well-formed rows of three values, some ragged.
CSV_ROW = (
    st.lists(CSV_VALUE, min_size=3, max_size=3) | st.lists(CSV_VALUE, min_size=1, max_size=4)
).map(lambda row: ",".join(map(str, row)))


def check_loads_or_refuses(path: Path, content: bytes, selection: int) -> None:
    path.write_bytes(content)
    inputs, targets, one_hot = SELECTIONS[selection]
    try:
        d = load_csv(path, inputs, targets, one_hot=one_hot, standardize=selection % 2 == 1)
    except DatasetError as e:
        assert str(e) == f"{e.place}: {e.message}"
        assert e.place and e.message
        return
    assert d.inputs.dtype == np.float64 and d.targets.dtype == np.float64
    assert d.inputs.ndim == 2 and d.targets.ndim == 2
    assert d.inputs.shape[0] == d.targets.shape[0] >= 1
    assert np.all(np.isfinite(d.inputs)) and np.all(np.isfinite(d.targets))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=300), selection=st.integers(0, len(SELECTIONS) - 1))
def test_random_bytes_load_or_raise_dataset_error(
    scratch: Path, content: bytes, selection: int
) -> None:
    check_loads_or_refuses(scratch, content, selection)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.text(max_size=300)
    | st.lists(CSV_ALPHABET, max_size=80).map("".join)
    | st.lists(CSV_ROW, max_size=6).map(lambda rows: "a,b,c\n" + "\n".join(rows)),
    selection=st.integers(0, len(SELECTIONS) - 1),
)
def test_random_text_loads_or_raises_dataset_error(
    scratch: Path, content: str, selection: int
) -> None:
    check_loads_or_refuses(scratch, content.encode("utf-8", "surrogatepass"), selection)
