"""Reading MNIST's IDX files (``train-images-idx3-ubyte`` and friends) into a data set.

MNIST does not ship with bpsim (it is 50 MB), but a student who has downloaded it can
train seed 002's 784-20-20-10 network on it. The IDX format is a tiny header and then
raw big-endian numbers:

* bytes 0–1 are zero, byte 2 says the number type (0x08 unsigned byte, 0x09 signed
  byte, 0x0B 16-bit, 0x0C 32-bit integers, 0x0D 32-bit, 0x0E 64-bit floats) and byte 3
  the number of dimensions;
* then each dimension's size as a 4-byte big-endian integer;
* then the numbers, the last dimension varying fastest.

Files may be gzip-compressed as they are downloaded (``….gz``); that is detected from
the first bytes, not the name. Every problem is a :class:`DatasetError` naming the file
and, where it helps, the byte: a wrong file (a zip, a CSV, the labels chosen as the
images), a truncated download, images and labels that do not belong together.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path
from typing import IO

import numpy as np

from bpsim.core.spec import MAX_DATA_VALUES, MAX_SAMPLES, Dataset
from bpsim.datasets.errors import DatasetError
from bpsim.datasets.system import NotRegularFile, open_regular

__all__ = ["IDX_TYPES", "load_idx", "read_idx", "read_idx_header"]

#: Type code → (big-endian dtype, name for messages).
IDX_TYPES: dict[int, tuple[str, str]] = {
    0x08: (">u1", "unsigned bytes"),
    0x09: (">i1", "signed bytes"),
    0x0B: (">i2", "16-bit integers"),
    0x0C: (">i4", "32-bit integers"),
    0x0D: (">f4", "32-bit floats"),
    0x0E: (">f8", "64-bit floats"),
}
#: At most this many dimensions: MNIST has 3 (images) and 1 (labels).
MAX_DIMENSIONS = 8
#: Most classes a labels file may have (labels are 0 … classes − 1).
MAX_CLASSES = 1000
_GZIP_MAGIC = b"\x1f\x8b"
_READ_CHUNK = 1 << 22


def _describe_start(head: bytes) -> str:
    """What the first bytes of a file that is not IDX look like, to help pick the right one."""
    shown = " ".join(f"{b:02x}" for b in head[:4])
    if head.startswith(b"PK"):
        return f"it starts with bytes {shown}: a zip archive; unpack it first"
    if head[:1].isascii() and head[:4].decode("ascii", "replace").isprintable():
        return f"it starts with the text {head[:12].decode('ascii', 'replace')!r}, not IDX bytes"
    return f"it starts with bytes {shown}; an IDX file starts with 00 00"


class _Reader:
    """Reads a (possibly gzip-compressed) file and turns its failures into DatasetErrors."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.name = path.name
        try:
            raw = open_regular(path)
        except FileNotFoundError:
            raise DatasetError(self.name, f"file not found: {path}") from None
        except NotRegularFile as e:
            raise DatasetError(self.name, f"{path} {e.strerror}") from None
        except OSError as e:
            raise DatasetError(self.name, f"cannot open {path}: {e.strerror or e}") from None
        try:
            magic = raw.read(2)
            raw.seek(0)
        except OSError as e:
            raw.close()
            raise DatasetError(self.name, f"cannot read {path}: {e.strerror or e}") from None
        self.compressed = magic == _GZIP_MAGIC
        self.file: IO[bytes] = raw
        if self.compressed:  # GzipFile reads bytes as IO[bytes] does; typeshed does not say so
            self.file = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
        self._raw = raw
        self.offset = 0  # bytes of (uncompressed) content read so far

    def close(self) -> None:
        self.file.close()
        self._raw.close()

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes (fewer only at the end of the file)."""
        parts: list[bytes] = []
        left = count
        try:
            while left > 0:
                piece = self.file.read(min(left, _READ_CHUNK))
                if not piece:
                    break
                parts.append(piece)
                left -= len(piece)
        except (OSError, EOFError, zlib.error) as e:
            what = "the gzip data is damaged or cut short" if self.compressed else "read error"
            raise DatasetError(
                f"{self.name}, byte {self.offset + count - left}", f"{what} ({e})"
            ) from None
        data = b"".join(parts)
        self.offset += len(data)
        return data

    def at_end(self) -> bool:
        return not self.read(1)


def _header(reader: _Reader) -> tuple[np.dtype, str, tuple[int, ...]]:
    name = reader.name
    head = reader.read(4)
    if len(head) < 4:
        if not head:
            raise DatasetError(name, "the file is empty")
        raise DatasetError(name, f"the file is {len(head)} bytes long; too short for IDX")
    if head[0] != 0 or head[1] != 0:
        head += reader.read(12)  # a little more to show what the file is instead
        raise DatasetError(f"{name}, byte 1", f"not an IDX file: {_describe_start(head)}")
    code, ndim = head[2], head[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise DatasetError(f"{name}, byte 3", f"unknown number type 0x{code:02X}; IDX has {known}")
    if not 1 <= ndim <= MAX_DIMENSIONS:
        raise DatasetError(f"{name}, byte 4", f"{ndim} dimensions; expected 1 to {MAX_DIMENSIONS}")
    sizes_raw = reader.read(4 * ndim)
    if len(sizes_raw) < 4 * ndim:
        raise DatasetError(
            name,
            f"the header announces {ndim} dimensions but the file ends at byte "
            f"{4 + len(sizes_raw)}, before their sizes",
        )
    shape = tuple(int(v) for v in np.frombuffer(sizes_raw, dtype=">u4"))
    for k, size in enumerate(shape):
        if size == 0:  # no items, or items of no numbers: nothing a network can learn from
            what = "items" if k == 0 else "numbers in each item"
            raise DatasetError(
                f"{name}, byte {5 + 4 * k}",
                f"dimension {k + 1} of {ndim} has size 0, so the file holds no {what}",
            )
    dtype_text, type_name = IDX_TYPES[code]
    return np.dtype(dtype_text), type_name, shape


def read_idx_header(path: Path | str) -> tuple[str, tuple[int, ...]]:
    """The number type's name and the shape an IDX file announces (for a dialog's preview),
    without reading the numbers."""
    reader = _Reader(Path(path))
    try:
        _, type_name, shape = _header(reader)
    finally:
        reader.close()
    return type_name, shape


def read_idx(path: Path | str, max_items: int | None = None) -> np.ndarray:
    """The numbers of an IDX file as an array of its shape (native byte order).

    ``max_items`` reads only the first items along the first dimension (the first images
    of 60,000), so a quick lesson does not pay for the whole file. A file shorter than
    its header says, or longer, is refused: both mean a broken download or a wrong file.
    """
    if not isinstance(path, str | Path):
        raise DatasetError("idx", f"expected a file path; got {type(path).__name__}")
    if max_items is not None and (isinstance(max_items, bool) or max_items < 1):
        raise DatasetError("size", f"expected a whole number ≥ 1; got {max_items!r}")
    reader = _Reader(Path(path))
    try:
        dtype, type_name, shape = _header(reader)
        name = reader.name
        if shape[0] > MAX_SAMPLES:
            raise DatasetError(name, f"{shape[0]:,} items; at most {MAX_SAMPLES:,} are allowed")
        items = shape[0] if max_items is None else min(shape[0], max_items)
        per_item = math.prod(shape[1:])
        values = items * per_item
        if values > MAX_DATA_VALUES:
            raise DatasetError(
                name,
                f"{items:,} items of {per_item:,} numbers is more than {MAX_DATA_VALUES:,} "
                "values; import fewer samples",
            )
        expected = values * dtype.itemsize
        data = reader.read(expected)
        if len(data) < expected:
            whole = len(data) // max(per_item * dtype.itemsize, 1)
            raise DatasetError(
                name,
                f"the file is cut short: the header announces {shape[0]:,} items of "
                f"{' × '.join(map(str, shape[1:])) or '1'} {type_name}, but it holds only "
                f"{whole:,} (a download that did not finish?)",
            )
        if items == shape[0] and not reader.at_end():
            raise DatasetError(
                name,
                f"there are more bytes after the {shape[0]:,} items the header announces; "
                "not an IDX file, or a damaged one",
            )
    finally:
        reader.close()
    array = np.frombuffer(data, dtype=dtype).reshape((items, *shape[1:]))
    return array.astype(dtype.newbyteorder("="))


def load_idx(
    images: Path | str,
    labels: Path | str,
    *,
    size: int | None = None,
    scale: bool = True,
) -> Dataset:
    """MNIST-style images and labels as a data set: one input per pixel (row by row) and
    one one-hot target per class.

    ``size`` keeps the first samples. ``scale`` divides byte pixels by 255, so inputs lie
    in [0, 1] as the digits lesson's do. The classes are 0 … (largest label), at least
    two; MNIST's labels give the ten digits.
    """
    pixels = read_idx(images, size)
    classes = read_idx(labels, size)
    image_name, label_name = Path(images).name, Path(labels).name
    if pixels.ndim < 2:
        raise DatasetError(
            image_name,
            f"holds a list of {pixels.shape[0]:,} single numbers, not images; "
            "is it the labels file?",
        )
    if classes.ndim != 1:
        raise DatasetError(
            label_name,
            f"holds items of shape {' × '.join(map(str, classes.shape[1:]))}, "
            "not one label each; is it the images file?",
        )
    if classes.dtype.kind == "f" and not np.all(
        np.isfinite(classes) & (classes == np.round(classes))
    ):
        raise DatasetError(label_name, "labels must be whole numbers")
    if pixels.shape[0] == 0:
        raise DatasetError(image_name, "the file holds no images")
    if pixels.shape[0] != classes.shape[0]:
        raise DatasetError(
            label_name,
            f"{classes.shape[0]:,} labels for {pixels.shape[0]:,} images; "
            "choose the labels file that belongs to the images",
        )
    codes = classes.astype(np.int64)
    if codes.size and codes.min() < 0:
        row = int(np.argmin(codes))
        raise DatasetError(
            f"{label_name}, item {row + 1}", f"label {codes[row]}; labels start at 0"
        )
    count = max(2, int(codes.max()) + 1 if codes.size else 2)
    if count > MAX_CLASSES:
        row = int(np.argmax(codes))
        raise DatasetError(
            f"{label_name}, item {row + 1}",
            f"label {codes[row]}: more than {MAX_CLASSES} classes; is it a labels file?",
        )
    inputs = pixels.reshape(pixels.shape[0], -1).astype(np.float64)
    if scale and pixels.dtype == np.uint8:
        inputs /= 255.0
    if not np.all(np.isfinite(inputs)):
        bad = int(np.argwhere(~np.isfinite(inputs))[0][0])
        raise DatasetError(f"{image_name}, item {bad + 1}", "a pixel is not a finite number")
    targets = (codes[:, np.newaxis] == np.arange(count)).astype(np.float64)
    if pixels.ndim == 3:
        height, width = pixels.shape[1:]
        input_names = [f"r{r + 1}c{c + 1}" for r in range(height) for c in range(width)]
    else:
        input_names = [f"x{i + 1}" for i in range(inputs.shape[1])]
    return Dataset(
        inputs=inputs,
        targets=targets,
        source={},  # no file form for IDX: a saved lesson holds the rows
        input_names=input_names,
        target_names=[str(k) for k in range(count)],
    )
