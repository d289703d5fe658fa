"""MNIST's IDX files: read exactly, and every broken or wrong file refused with a message
that names the file (and the byte, where it helps). The files are made here, small."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from bpsim.datasets import DatasetError
from bpsim.datasets.idx import load_idx, read_idx, read_idx_header


def idx_bytes(array: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file's bytes for ``array`` (big-endian numbers after the header)."""
    types = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    header = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">I", s) for s in array.shape)
    return header + np.asarray(array).astype(types[code]).tobytes()


Files = tuple[Path, Path, np.ndarray, np.ndarray]


def write(path: Path, data: bytes, compress: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def mnist_like(tmp_path: Path) -> Files:
    """Five 4×3 'images' with pixels 0–255 and their labels 0–9."""
    rng = np.random.default_rng(7)
    images = rng.integers(0, 256, size=(5, 4, 3), dtype=np.uint8)
    labels = np.array([3, 0, 9, 3, 1], dtype=np.uint8)
    return (
        write(tmp_path / "images-idx3-ubyte", idx_bytes(images)),
        write(tmp_path / "labels-idx1-ubyte", idx_bytes(labels)),
        images,
        labels,
    )


# -- reading ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E])
def test_every_number_type_reads_back_exactly(tmp_path: Path, code: int) -> None:
    values = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.float64)
    if code in (0x09, 0x0B, 0x0C, 0x0D, 0x0E):
        values[0, 0] = -7  # signed types keep their sign
    path = write(tmp_path / "a.idx", idx_bytes(values, code))
    array = read_idx(path)
    assert array.shape == (2, 3)
    np.testing.assert_array_equal(array, values)
    assert array.dtype.byteorder in ("=", "|")  # native: ready for arithmetic


def test_gzip_is_detected_from_the_content(tmp_path: Path) -> None:
    images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = write(tmp_path / "no-gz-suffix", idx_bytes(images), compress=True)
    np.testing.assert_array_equal(read_idx(path), images)
    assert read_idx_header(path) == ("unsigned bytes", (2, 3, 4))


def test_max_items_reads_only_the_first(tmp_path: Path) -> None:
    images = np.arange(60, dtype=np.uint8).reshape(5, 3, 4)
    path = write(tmp_path / "a.idx", idx_bytes(images))
    np.testing.assert_array_equal(read_idx(path, max_items=2), images[:2])
    np.testing.assert_array_equal(read_idx(path, max_items=50), images)


def test_load_idx_makes_scaled_inputs_and_one_hot_targets(mnist_like: Files) -> None:
    images_path, labels_path, images, labels = mnist_like
    dataset = load_idx(images_path, labels_path)
    assert dataset.inputs.shape == (5, 12)
    assert dataset.targets.shape == (5, 10)  # classes 0 … 9 (largest label 9)
    np.testing.assert_allclose(dataset.inputs, images.reshape(5, 12) / 255.0)
    np.testing.assert_array_equal(dataset.targets.argmax(axis=1), labels)
    assert dataset.targets.sum(axis=1).tolist() == [1.0] * 5
    assert dataset.input_names is not None and dataset.input_names[:4] == [
        "r1c1",
        "r1c2",
        "r1c3",
        "r2c1",
    ]
    assert dataset.target_names == [str(k) for k in range(10)]
    assert dataset.source == {}  # saved inline: the file format has no IDX form


def test_load_idx_size_and_unscaled(mnist_like: Files) -> None:
    images_path, labels_path, images, _ = mnist_like
    dataset = load_idx(images_path, labels_path, size=2, scale=False)
    assert dataset.inputs.shape == (2, 12)
    np.testing.assert_array_equal(dataset.inputs, images[:2].reshape(2, 12))


def test_two_dimensional_images_are_rows_of_features(tmp_path: Path) -> None:
    features = np.arange(6, dtype=np.uint8).reshape(3, 2)
    labels = np.array([0, 1, 0], dtype=np.uint8)
    dataset = load_idx(
        write(tmp_path / "x", idx_bytes(features)), write(tmp_path / "y", idx_bytes(labels))
    )
    assert dataset.inputs.shape == (3, 2) and dataset.targets.shape == (3, 2)
    assert dataset.input_names == ["x1", "x2"]


# -- refusing -----------------------------------------------------------------------------


def refused(path: Path, match: str, **kwargs: object) -> DatasetError:
    with pytest.raises(DatasetError, match=match) as info:
        read_idx(path, **kwargs)  # type: ignore[arg-type]
    assert path.name in str(info.value)  # the message names the file
    return info.value


def test_missing_file_and_folder(tmp_path: Path) -> None:
    refused(tmp_path / "nothing-here", "file not found")
    folder = tmp_path / "folder"
    folder.mkdir()
    refused(folder, "is a folder")


def test_empty_and_too_short(tmp_path: Path) -> None:
    refused(write(tmp_path / "empty", b""), "the file is empty")
    refused(write(tmp_path / "short", b"\x00\x00"), "too short for IDX")


def test_not_idx_says_what_it_looks_like(tmp_path: Path) -> None:
    error = refused(write(tmp_path / "data.csv", b"label,pixel0\n3,0\n"), "not an IDX file")
    assert "'label,pixel0" in error.message
    assert error.place == "data.csv, byte 1"
    zipped = refused(write(tmp_path / "mnist.zip", b"PK\x03\x04rest"), "zip archive")
    assert "unpack" in zipped.message


def test_unknown_type_code_and_bad_dimensions(tmp_path: Path) -> None:
    error = refused(write(tmp_path / "t", bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 5])), "0x0A")
    assert error.place == "t, byte 3"
    refused(write(tmp_path / "d0", bytes([0, 0, 0x08, 0])), "0 dimensions")
    refused(write(tmp_path / "d9", bytes([0, 0, 0x08, 9])), "9 dimensions")
    refused(write(tmp_path / "sizes", bytes([0, 0, 0x08, 3, 0, 0, 0, 2])), "before their sizes")


def test_truncated_download(tmp_path: Path) -> None:
    full = idx_bytes(np.zeros((10, 2, 2), dtype=np.uint8))
    error = refused(write(tmp_path / "cut", full[:-5]), "cut short")
    assert "10 items" in error.message and "only 8" in error.message


def test_truncated_gzip(tmp_path: Path) -> None:
    packed = gzip.compress(idx_bytes(np.arange(4000, dtype=np.uint8).reshape(1000, 4)))
    path = write(tmp_path / "cut.gz", packed[: len(packed) // 2])
    with pytest.raises(DatasetError, match=r"cut\.gz") as info:
        read_idx(path)
    assert "gzip" in info.value.message or "cut short" in info.value.message


def test_extra_bytes_after_the_data(tmp_path: Path) -> None:
    data = idx_bytes(np.zeros((2, 2), dtype=np.uint8)) + b"\x00junk"
    refused(write(tmp_path / "long", data), "more bytes after")


def test_too_many_values_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bpsim.datasets import idx

    monkeypatch.setattr(idx, "MAX_DATA_VALUES", 10)
    header_only = bytes([0, 0, 0x08, 2]) + struct.pack(">II", 4, 4)  # 16 values announced
    refused(write(tmp_path / "big", header_only), "import fewer samples")
    monkeypatch.setattr(idx, "MAX_SAMPLES", 3)
    refused(write(tmp_path / "many", header_only), "at most 3")


def test_bad_size_argument(tmp_path: Path) -> None:
    path = write(tmp_path / "a", idx_bytes(np.zeros((2, 2), dtype=np.uint8)))
    for bad in (0, -3, True):
        with pytest.raises(DatasetError, match="whole number"):
            read_idx(path, max_items=bad)


def test_images_and_labels_swapped(mnist_like: Files) -> None:
    images_path, labels_path, _, _ = mnist_like
    with pytest.raises(DatasetError, match="is it the labels file") as info:
        load_idx(labels_path, images_path)
    assert info.value.place == labels_path.name


def test_labels_that_do_not_belong_to_the_images(tmp_path: Path, mnist_like: Files) -> None:
    images_path, _, _, _ = mnist_like
    labels = write(tmp_path / "few-labels", idx_bytes(np.array([1, 2, 3], dtype=np.uint8)))
    with pytest.raises(DatasetError, match="3 labels for 5 images"):
        load_idx(images_path, labels)


def test_negative_and_fractional_and_huge_labels(tmp_path: Path, mnist_like: Files) -> None:
    images_path, _, _, _ = mnist_like
    negative = write(tmp_path / "neg", idx_bytes(np.array([1, 2, -1, 0, 0]), 0x09))
    with pytest.raises(DatasetError, match="labels start at 0") as info:
        load_idx(images_path, negative)
    assert info.value.place == "neg, item 3"
    fractional = write(tmp_path / "frac", idx_bytes(np.array([1, 2.5, 0, 0, 0]), 0x0D))
    with pytest.raises(DatasetError, match="whole numbers"):
        load_idx(images_path, fractional)
    huge = write(tmp_path / "huge", idx_bytes(np.array([1, 2, 0, 5000, 0]), 0x0C))
    with pytest.raises(DatasetError, match="more than 1000 classes"):
        load_idx(images_path, huge)


def test_no_images(tmp_path: Path) -> None:
    empty = write(tmp_path / "e", idx_bytes(np.zeros((0, 2, 2), dtype=np.uint8)))
    labels = write(tmp_path / "l", idx_bytes(np.zeros(0, dtype=np.uint8)))
    with pytest.raises(
        DatasetError, match="dimension 1 of 3 has size 0, so the file holds no items"
    ):
        load_idx(empty, labels)


@pytest.mark.parametrize("shape", [(3, 0, 2), (3, 2, 0), (0,)])
def test_an_empty_dimension_is_refused_at_the_header(
    tmp_path: Path, shape: tuple[int, ...]
) -> None:
    path = write(tmp_path / "zero", idx_bytes(np.zeros(shape, dtype=np.uint8)))
    zero = shape.index(0)
    with pytest.raises(DatasetError, match=f"dimension {zero + 1} of {len(shape)} has size 0"):
        read_idx_header(path)  # what the import dialog's preview reads: refused there already
    with pytest.raises(DatasetError) as info:
        read_idx(path)
    assert info.value.place == f"zero, byte {5 + 4 * zero}"
