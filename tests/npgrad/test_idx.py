"""Tests for npgrad.idx: the IDX file format, encoded and parsed, and its errors."""

import gzip

import numpy as np
import pytest

from npgrad.idx import IDXError, encode_idx, parse_idx, read_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("shape", [(0,), (7,), (3, 4), (2, 3, 5)])
def test_idx_round_trip(dtype, shape):
    array = np.arange(np.prod(shape)).reshape(shape).astype(dtype)
    back = parse_idx(encode_idx(array), "x")
    assert back.dtype == np.dtype(dtype) and back.shape == shape
    np.testing.assert_array_equal(back, array)
    assert back.flags.writeable


def test_idx_header_is_big_endian():
    assert encode_idx(np.array([[1, 2, 3]], dtype=np.int32)) == bytes.fromhex(
        "0000 0c02 00000001 00000003 00000001 00000002 00000003"
    )


@pytest.mark.parametrize(
    "data, words",
    [
        (b"\x00\x01\x08\x01" + bytes(8), ["wrong magic number", "0x00010801"]),
        (b"\x00\x00\x07\x01" + bytes(8), ["wrong magic number", "0x00000701"]),
        (gzip.compress(bytes(12)), ["gzip-compressed", "gunzip"]),
        (b"\x00\x00", ["too short"]),
    ],
)
def test_idx_wrong_magic_number(data, words):
    with pytest.raises(IDXError) as caught:
        parse_idx(data, name="labels.idx")
    for word in ["labels.idx", *words]:
        assert word in str(caught.value)


@pytest.mark.parametrize("cut", [1, 5, 14])
def test_idx_truncated_file(cut):
    data = encode_idx(np.zeros((2, 3, 3), dtype=np.uint8))[:-cut]
    with pytest.raises(IDXError, match=r"images\.idx: .*truncated"):
        parse_idx(data, name="images.idx")


def test_idx_trailing_bytes():
    with pytest.raises(IDXError, match="trailing"):
        parse_idx(encode_idx(np.zeros(4, dtype=np.uint8)) + b"\x00", name="x")


def test_read_idx_of_a_truncated_gz_names_the_file(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(encode_idx(np.zeros(100, dtype=np.uint8)))[:-10])
    with pytest.raises(IDXError, match=r"train-labels-idx1-ubyte\.gz: not a complete gzip file"):
        read_idx(path)
    path.write_bytes(gzip.compress(encode_idx(np.arange(5, dtype=np.uint8))))
    np.testing.assert_array_equal(read_idx(path), np.arange(5))
