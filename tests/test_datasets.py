import gzip
import shutil

import numpy as np
import pytest

import fastgd
from fastgd.datasets import MNIST_FILES, cache_dir, parse_idx


def idx_bytes(array):
    """An unsigned-byte IDX file holding array."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_fake_mnist(directory, n_train=5, n_test=3, compress=False):
    """MNIST-format files under MNIST's names, but with other content (so other digests)."""
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    directory.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        data = idx_bytes(array)
        if compress:
            (directory / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return arrays


@pytest.fixture
def no_env_data(monkeypatch, tmp_path):
    """No $FASTGD_DATA and an empty cache, so only what a test passes is found."""
    monkeypatch.delenv("FASTGD_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache-home"))


def test_real_mnist(mnist):
    (train_X, train_y), (test_X, test_y) = mnist
    assert train_X.shape == (60000, 784) and test_X.shape == (10000, 784)
    assert train_X.dtype == np.float64 and train_X.flags.c_contiguous
    assert train_y.shape == (60000,) and test_y.shape == (10000,) and train_y.dtype == np.uint8
    assert train_X.min() == 0 and train_X.max() == 1
    assert set(np.unique(train_y)) == set(range(10))
    # The first training image is a 5, the first test image a 7, as everyone who met MNIST knows.
    assert train_y[0] == 5 and test_y[0] == 7


def test_float32_and_raw_files_give_the_same_data(mnist, mnist_dir, tmp_path, no_env_data):
    for name in MNIST_FILES:
        with gzip.open(mnist_dir / (name + ".gz")) as src, open(tmp_path / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
    (train_X, train_y), (test_X, test_y) = fastgd.load_mnist(tmp_path, dtype="float32")
    assert train_X.dtype == np.float32
    np.testing.assert_array_equal(train_X, mnist[0][0].astype(np.float32))
    np.testing.assert_array_equal(test_y, mnist[1][1])


def test_wrong_digest_is_refused_unless_verify_is_off(tmp_path, no_env_data):
    arrays = write_fake_mnist(tmp_path, compress=True)
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz: SHA-256 .* verify=False"):
        fastgd.load_mnist(tmp_path)
    (train_X, train_y), (test_X, test_y) = fastgd.load_mnist(tmp_path, verify=False)
    assert train_X.shape == (5, 784) and test_X.shape == (3, 784)
    np.testing.assert_array_equal(train_X, arrays["train-images-idx3-ubyte"].reshape(5, 784) / 255)
    np.testing.assert_array_equal(test_y, arrays["t10k-labels-idx1-ubyte"])


def test_search_order_path_then_env_then_cache(tmp_path, monkeypatch, no_env_data):
    write_fake_mnist(tmp_path / "given", n_train=2)
    write_fake_mnist(tmp_path / "env", n_train=3)
    write_fake_mnist(cache_dir(), n_train=4)
    monkeypatch.setenv("FASTGD_DATA", str(tmp_path / "env"))
    assert len(fastgd.load_mnist(tmp_path / "given", verify=False)[0][0]) == 2
    assert len(fastgd.load_mnist(verify=False)[0][0]) == 3
    monkeypatch.delenv("FASTGD_DATA")
    assert len(fastgd.load_mnist(verify=False)[0][0]) == 4


def test_missing_files_say_where_they_were_looked_for(tmp_path, monkeypatch, no_env_data):
    monkeypatch.setenv("FASTGD_DATA", str(tmp_path / "env"))
    (tmp_path / "given").mkdir()
    (tmp_path / "given" / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as info:
        fastgd.load_mnist(tmp_path / "given")
    message = str(info.value)
    assert str(tmp_path / "given") in message and str(tmp_path / "env") in message
    assert str(cache_dir()) in message
    assert "missing train-labels-idx1-ubyte" in message and "FASTGD_DATA" in message


def test_truncated_gzip_is_a_clear_error(tmp_path, no_env_data):
    write_fake_mnist(tmp_path, compress=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="cannot be read as a gzip file"):
        fastgd.load_mnist(tmp_path, verify=False)


def test_bad_dtype():
    with pytest.raises(TypeError, match="dtype must be"):
        fastgd.load_mnist(dtype="int8")


@pytest.mark.parametrize("data, match", [
    (b"", "truncated: the file ends inside the IDX header"),
    (b"\x01\x00\x08\x01" + (3).to_bytes(4, "big") + b"abc", "not an IDX file"),
    (b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"abcdefghijkl", "type code 0x0d"),
    (b"\x00\x00\x08\x00", "declares 0 dimensions"),
    (b"\x00\x00\x08\x03" + (3).to_bytes(4, "big"), "ends inside the 3 dimensions"),
    (b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc",
     r"shape \(5,\), which needs 13 bytes, but the file has 11"),
    (b"\x00\x00\x08\x01" + (2).to_bytes(4, "big") + b"abc", "needs 10 bytes, but the file has more"),
])
def test_malformed_idx(data, match):
    with pytest.raises(ValueError, match=match):
        parse_idx(data)


def test_idx_roundtrip():
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(idx_bytes(array)), array)
