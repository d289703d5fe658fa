"""Reading a user's CSV file into a data set, refusing bad files with a message that names
the row and column instead of a traceback.

Rules, in the order they are applied:

* The file is UTF-8 text (a leading byte-order mark is dropped), values separated by
  commas, fields may be quoted as in Excel's CSV. Blank lines are skipped.
* Rows are numbered as lines of the file, from 1 (the header is row 1), which is what an
  editor or a spreadsheet shows.
* A column is chosen by its name in the header row or by its 0-based position (an int is
  always a position, even when a header name looks like a number).
* The first row is a header when any column is chosen by name, or when a column that must
  hold numbers has something else there; otherwise the file has no header and only
  positions can be used.
* Every row has as many values as the first row. The chosen columns hold finite numbers,
  except the ``one_hot`` class column, whose values are class labels (any text; classes
  sorted by number when every label is a number, else alphabetically).

Memory stays close to what the chosen values need: the file is read line by line, numbers
go straight into a packed float64 buffer, class labels into a small table, and reading
stops as soon as a limit (``MAX_SAMPLES`` rows, ``MAX_DATA_VALUES`` values, a line of
``MAX_LINE_BYTES``) is passed.
"""

from __future__ import annotations

import csv
import itertools
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from bpsim.core.spec import MAX_DATA_VALUES, MAX_SAMPLES, Dataset
from bpsim.datasets.errors import DatasetError, show
from bpsim.datasets.system import NotRegularFile, open_regular
from bpsim.text import parse_number

#: Longest line read; longer ones are refused rather than read into memory whole.
MAX_LINE_BYTES = 4_000_000
#: Most distinct labels in a ``one_hot`` column: more is surely the wrong column.
MAX_CLASSES = 10_000

Column = str | int


@dataclass
class _Line:
    """The number of the line last read, for messages (csv.reader counts differently)."""

    number: int = 0


def _decoded_lines(f: BinaryIO, line: _Line) -> Iterator[str]:
    """The file's lines as text, each checked for length and UTF-8 before csv sees it."""
    while True:
        raw = f.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        line.number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise DatasetError(
                f"row {line.number}", f"the line is longer than {MAX_LINE_BYTES:,} bytes"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise DatasetError(
                f"row {line.number}",
                f"not UTF-8 text (byte 0x{raw[e.start]:02x} at position {e.start + 1}); "
                "save the file as UTF-8 (CSV UTF-8 in Excel)",
            ) from None
        if line.number == 1:
            text = text.removeprefix("\ufeff")
        yield text


def _rows(f: BinaryIO, line: _Line) -> Iterator[list[str]]:
    """Non-blank CSV rows; ``line.number`` is the row's (last) line."""
    reader = csv.reader(_decoded_lines(f, line), strict=True, skipinitialspace=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise DatasetError(f"row {line.number}", f"not valid CSV ({e})") from None
        if row and any(field.strip() for field in row):
            yield row


def _number(text: str) -> float | None:
    """The finite number a field holds, or None: bpsim's one grammar for numbers
    (:func:`bpsim.text.parse_number`), so ``1_000``, ``１２`` or ``inf`` are not numbers."""
    try:
        return parse_number(text)
    except ValueError:
        return None


def _check_columns(place: str, columns: Sequence[Column]) -> list[Column]:
    """The chosen columns as a list, each a name or a position, before the file is opened."""
    if isinstance(columns, str | bytes) or not isinstance(columns, Sequence):
        raise DatasetError(place, f"expected a list of columns; got {show(columns)}")
    if not columns:
        raise DatasetError(place, "expected at least one column")
    for k, column in enumerate(columns):
        _check_column(f"{place}[{k}]", column)
    return list(columns)


def _check_column(place: str, column: object) -> None:
    if isinstance(column, bool) or not isinstance(column, str | int):
        raise DatasetError(
            place, f"expected a column name or a 0-based column number; got {show(column)}"
        )
    if isinstance(column, int) and column < 0:
        raise DatasetError(place, f"column numbers start at 0; got {column}")


@dataclass
class _Layout:
    """What the first row told: the header names (None without a header) and the width."""

    names: list[str] | None
    width: int

    def label(self, index: int) -> str:
        """How messages name column ``index``."""
        return f"column {self.names[index]!r}" if self.names is not None else f"column {index}"

    def name(self, index: int) -> str:
        return self.names[index] if self.names is not None else f"column {index}"

    def find(self, place: str, column: Column) -> int:
        """The position of a chosen column, or a message that helps pick the right one."""
        if isinstance(column, int):
            if column >= self.width:
                raise DatasetError(
                    place,
                    f"there is no column {column}; the file has {self.width} "
                    f"column{'s' if self.width != 1 else ''} (0 to {self.width - 1})",
                )
            return column
        if self.names is None:  # not reached: a name makes the first row a header
            raise DatasetError(place, f"column {column!r}: the file has no header row")
        matches = [i for i, name in enumerate(self.names) if name == column.strip()]
        if len(matches) > 1:
            raise DatasetError(
                place,
                f"the header has {len(matches)} columns named {column!r} "
                f"(columns {', '.join(map(str, matches))}); choose one by number",
            )
        if not matches:
            shown = ", ".join(repr(name) for name in self.names[:12])
            more = ", …" if len(self.names) > 12 else ""
            hint = (
                "; the first row looks like data, so the file seems to have no header: "
                "use 0-based column numbers"
                if all(_number(name) is not None for name in self.names)
                else ""
            )
            raise DatasetError(
                place, f"unknown column {column!r}; the header has {shown}{more}{hint}"
            )
        return matches[0]


def _resolve(
    layout: _Layout,
    inputs: list[Column],
    targets: list[Column],
    one_hot: Column | None,
) -> tuple[list[int], list[int], int | None]:
    """Positions of the input and target columns and of the class column; a column may be
    chosen only once, and the class column must be one of the targets."""
    seen: dict[int, str] = {}
    positions: dict[str, list[int]] = {"inputs": [], "targets": []}
    for group, columns in (("inputs", inputs), ("targets", targets)):
        for k, column in enumerate(columns):
            place = f"{group}[{k}]"
            index = layout.find(place, column)
            if index in seen:
                raise DatasetError(
                    place, f"{layout.label(index)} is already chosen as {seen[index]}"
                )
            seen[index] = place
            positions[group].append(index)
    class_index = None
    if one_hot is not None:
        class_index = layout.find("one_hot", one_hot)
        if class_index not in positions["targets"]:
            raise DatasetError(
                "one_hot", f"{layout.label(class_index)} must also be listed among the targets"
            )
    return positions["inputs"], positions["targets"], class_index


def _open(path: Path) -> BinaryIO:
    """Only a regular file: a FIFO named as the csv would wait forever for a writer."""
    try:
        return open_regular(path)
    except FileNotFoundError:
        raise DatasetError("csv", f"file not found: {path}") from None
    except NotRegularFile as e:
        raise DatasetError("csv", f"{path} {e.strerror}") from None
    except OSError as e:
        raise DatasetError("csv", f"cannot open {path}: {e.strerror or e}") from None


def _class_order(labels: list[str]) -> tuple[np.ndarray, list[str]]:
    """For labels in first-seen order: the sorted class of each, and the class names.

    All numbers: sorted by value, and "1" and "1.0" are one class (named "1"). Otherwise
    sorted as text."""
    values = [v for v in map(_number, labels) if v is not None]
    if len(values) == len(labels):
        distinct = sorted(set(values))
        value_rank = {v: k for k, v in enumerate(distinct)}
        names = [str(int(v)) if v.is_integer() else repr(v) for v in distinct]
        return np.array([value_rank[v] for v in values], dtype=np.intp), names
    names = sorted(labels)
    rank = {label: k for k, label in enumerate(names)}
    return np.array([rank[label] for label in labels], dtype=np.intp), names


def load_csv(
    path: Path | str,
    inputs: Sequence[Column],
    targets: Sequence[Column],
    *,
    one_hot: Column | None = None,
    standardize: bool = False,
) -> Dataset:
    """Read the chosen columns of a CSV file as a data set.

    ``one_hot`` names a target column holding class labels; it becomes one target per
    class (classes sorted, ``target_names`` the labels). ``standardize`` shifts and scales
    every input column to zero mean and unit variance (a constant column is only shifted),
    as ``iris`` does; targets are left as they are. ``source`` records the call as a
    file's ``{"csv": …}`` object would; a file loader holding a relative path should put
    its own dict there. Every problem is a ``DatasetError``.
    """
    if not isinstance(path, str | Path):
        raise DatasetError("csv", f"expected a file path; got {show(path)}")
    path = Path(path)
    input_columns = _check_columns("inputs", inputs)
    target_columns = _check_columns("targets", targets)
    if one_hot is not None:
        _check_column("one_hot", one_hot)
    if not isinstance(standardize, bool):
        raise DatasetError("standardize", f"expected true or false; got {show(standardize)}")
    source: dict[str, object] = {
        "csv": str(path),
        "inputs": input_columns,
        "targets": target_columns,
    }
    if one_hot is not None:
        source["one_hot"] = one_hot
    if standardize:
        source["standardize"] = True

    line = _Line()
    with _open(path) as f:
        try:
            rows = _rows(f, line)
            first = next(rows, None)
            if first is None:
                raise DatasetError("csv", "the file is empty")
            width = len(first)
            named = any(isinstance(c, str) for c in [*input_columns, *target_columns, one_hot])
            numeric_needed = [
                c for c in [*input_columns, *target_columns] if isinstance(c, int) and c != one_hot
            ]
            has_header = named or any(
                c < width and _number(first[c]) is None for c in numeric_needed
            )
            layout = _Layout([name.strip() for name in first] if has_header else None, width)
            in_idx, tg_idx, class_idx = _resolve(layout, input_columns, target_columns, one_hot)
            numeric = in_idx + [i for i in tg_idx if i != class_idx]
            data, classes, count = _read_values(
                rows if has_header else itertools.chain([first], rows),
                line,
                layout,
                numeric,
                class_idx,
            )
        except OSError as e:
            raise DatasetError("csv", f"cannot read {path}: {e.strerror or e}") from None

    if count == 0:
        raise DatasetError("csv", "no data rows after the header")
    n_in = len(in_idx)
    x = data[:, :n_in].copy()
    numeric_targets = data[:, n_in:]
    names_out: list[str] = []
    pieces: list[np.ndarray] = []
    class_of_row, class_names = classes if classes is not None else (None, [])
    width_out = len(tg_idx) - (1 if class_idx is not None else 0) + len(class_names)
    if count * (n_in + width_out) > MAX_DATA_VALUES:
        raise DatasetError(
            "csv",
            f"{count:,} rows × {n_in + width_out} columns is more than {MAX_DATA_VALUES:,} values",
        )
    k = 0
    for index in tg_idx:
        if index == class_idx:
            assert class_of_row is not None
            pieces.append(
                (class_of_row[:, np.newaxis] == np.arange(len(class_names))).astype(float)
            )
            names_out.extend(class_names)
        else:
            pieces.append(numeric_targets[:, k : k + 1])
            names_out.append(layout.name(index))
            k += 1
    y = np.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0].copy()
    if standardize:
        x = _standardized(x)
    return Dataset(
        inputs=x,
        targets=y,
        source=source,
        input_names=[layout.name(i) for i in in_idx] if layout.names is not None else None,
        target_names=names_out if layout.names is not None or class_idx is not None else None,
    )


def _standardized(x: np.ndarray) -> np.ndarray:
    """Zero mean and unit variance per column; a constant column is only shifted.

    Each column is first divided by its largest magnitude (z-scores do not change), so
    values near the float64 limit cannot overflow the mean or the variance."""
    peak = np.abs(x).max(axis=0)
    x = x / np.where(peak > 0.0, peak, 1.0)
    std = x.std(axis=0)
    return (x - x.mean(axis=0)) / np.where(std > 0.0, std, 1.0)


def _read_values(
    rows: Iterator[list[str]],
    line: _Line,
    layout: _Layout,
    numeric: list[int],
    class_idx: int | None,
) -> tuple[np.ndarray, tuple[np.ndarray, list[str]] | None, int]:
    """The numeric columns as a (rows, len(numeric)) array, the class column's classes,
    and the row count; stops at the first bad value or the first limit passed."""
    values = array("d")
    codes = array("q")
    labels: dict[str, int] = {}
    per_row = len(numeric) + (1 if class_idx is not None else 0)
    count = 0
    for row in rows:
        if len(row) != layout.width:
            raise DatasetError(
                f"row {line.number}",
                f"{len(row)} value{'s' if len(row) != 1 else ''}; expected {layout.width}",
            )
        count += 1
        if count > MAX_SAMPLES:
            raise DatasetError("csv", f"more than {MAX_SAMPLES:,} data rows")
        if count * per_row > MAX_DATA_VALUES:
            raise DatasetError("csv", f"more than {MAX_DATA_VALUES:,} values in the chosen columns")
        for index in numeric:
            value = _number(row[index])
            if value is None:
                raise _bad_number(line.number, layout, index, row[index])
            values.append(value)
        if class_idx is not None:
            label = row[class_idx].strip()
            if not label:
                raise DatasetError(
                    f"row {line.number}, {layout.label(class_idx)}", "no class label"
                )
            code = labels.setdefault(label, len(labels))
            if len(labels) > MAX_CLASSES:
                raise DatasetError(
                    "one_hot",
                    f"{layout.label(class_idx)} has more than {MAX_CLASSES:,} different "
                    "classes; is it the right column?",
                )
            codes.append(code)
    if count == 0:
        return np.empty((0, len(numeric))), None, 0
    data = np.frombuffer(values, dtype=np.float64).reshape(count, len(numeric))
    classes = None
    if class_idx is not None:
        order, names = _class_order(list(labels))
        classes = (order[np.frombuffer(codes, dtype=np.int64)], names)
    return data, classes, count


def _bad_number(number: int, layout: _Layout, index: int, text: str) -> DatasetError:
    place = f"row {number}, {layout.label(index)}"
    stripped = text.strip()
    if not stripped:
        return DatasetError(place, "empty; expected a number")
    if stripped.lower().lstrip("+-") in ("nan", "inf", "infinity"):
        return DatasetError(place, f"{show(stripped)} is not a finite number")
    try:
        parse_number(stripped)
    except ValueError as error:
        if "finite" in str(error):  # in the grammar, but it overflows ('1e999')
            return DatasetError(place, f"{show(stripped)} is not a finite number")
    return DatasetError(place, f"{show(stripped)} is not a number")
