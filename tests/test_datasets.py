import gzip
import http.server
import pickle
import re
import shutil
import threading
import time

import numpy as np
import pytest

import fastgd
from fastgd.files.idx import parse_idx
from fastgd.files.mnist import MNIST_FILES, DownloadError, cache_dir


def idx_bytes(array):
    """An unsigned-byte IDX file holding array."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
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
    monkeypatch.delenv("FASTGD_CACHE_DIR", raising=False)
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
    # MNIST's shapes are known: a file that declares another is refused from its header.
    arrays = write_fake_mnist(tmp_path, compress=True)
    with pytest.raises(
        ValueError,
        match=r"train-images-idx3-ubyte.gz: IDX header declares shape \(5, 28, 28\); the file "
        r"of this name has shape \(60000, 28, 28\).* verify=False",
    ):
        fastgd.load_mnist(tmp_path)
    # Of MNIST's shape, other pixels: the digest tells.
    same_shape = tmp_path / "same-shape"
    write_fake_mnist(same_shape, compress=True)
    images = np.zeros((60000, 28, 28), dtype=np.uint8)
    (same_shape / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(images), 1))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz: SHA-256 .* verify=False"):
        fastgd.load_mnist(same_shape)
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


def test_a_path_given_is_the_only_place_looked_in(tmp_path, monkeypatch, mnist_dir):
    """A typo in a path (or a Fashion-MNIST directory missing a file) must not quietly load
    MNIST from $FASTGD_DATA, nor download it."""
    monkeypatch.setenv("FASTGD_DATA", str(mnist_dir))
    with pytest.raises(
        FileNotFoundError,
        match=r"/no/such is not a directory \(a path given "
        r"is the only place looked in\)",
    ):
        fastgd.load_mnist("/no/such", verify=False, download=False)
    (tmp_path / "given").mkdir()
    (tmp_path / "given" / "train-images-idx3-ubyte.gz").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as info:
        fastgd.load_mnist(tmp_path / "given", download=True, mirrors=["http://0.0.0.0:9/"])
    message = str(info.value)
    assert str(tmp_path / "given") in message and str(mnist_dir) not in message
    assert "missing train-labels-idx1-ubyte" in message and "0.0.0.0" not in message


def test_without_a_path_missing_files_say_where_they_were_looked_for(
    tmp_path, monkeypatch, no_env_data
):
    monkeypatch.setenv("FASTGD_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("FASTGD_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(FileNotFoundError) as info:
        fastgd.load_mnist(download=False)
    message = str(info.value)
    assert str(tmp_path / "env") in message and str(tmp_path / "cache") in message
    assert "missing train-images-idx3-ubyte" in message and "--data" in message


def test_truncated_gzip_is_a_clear_error(tmp_path, no_env_data):
    write_fake_mnist(tmp_path, compress=True)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="cannot be read as a gzip file"):
        fastgd.load_mnist(tmp_path, verify=False)


def test_bad_dtype():
    with pytest.raises(TypeError, match="dtype must be"):
        fastgd.load_mnist(dtype="int8")


@pytest.mark.parametrize(
    "data, match",
    [
        (b"", "truncated: the file ends inside the IDX header"),
        (b"\x01\x00\x08\x01" + (3).to_bytes(4, "big") + b"abc", "not an IDX file"),
        (b"\x00\x00\x0d\x01" + (3).to_bytes(4, "big") + b"abcdefghijkl", "type code 0x0d"),
        (b"\x00\x00\x08\x00", "declares 0 dimensions"),
        (b"\x00\x00\x08\x03" + (3).to_bytes(4, "big"), "ends inside the 3 dimensions"),
        (
            b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc",
            r"shape \(5,\), which needs 13 bytes, but the file has 11",
        ),
        (
            b"\x00\x00\x08\x01" + (2).to_bytes(4, "big") + b"abc",
            "needs 10 bytes, but the file has more",
        ),
    ],
)
def test_malformed_idx(data, match):
    with pytest.raises(ValueError, match=match):
        parse_idx(data)


def test_idx_roundtrip():
    array = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    np.testing.assert_array_equal(parse_idx(idx_bytes(array)), array)


# ---- downloads, against a server on 127.0.0.1 started here ------------------------------------


class Mirrors:
    """A local HTTP server whose first path segment says how it behaves: good/ serves the real
    MNIST .gz files, down/ answers 503, truncated/ stops halfway through a file, wrong/ serves a
    valid gzip file of other content, hang/ never answers. It records every request."""

    def __init__(self, mnist_dir):
        self.requests = []
        mirrors = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                mirrors.requests.append(self.path)
                kind, name = self.path.strip("/").split("/", 1)
                if kind == "hang":
                    time.sleep(3)
                    return
                if kind == "down":
                    self.send_error(503)
                    return
                body = (mnist_dir / name).read_bytes()
                if kind == "wrong":
                    body = gzip.compress(b"not MNIST" * 1000)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if kind == "truncated" else body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, kind):
        return f"http://127.0.0.1:{self.server.server_address[1]}/{kind}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def mirrors(mnist_dir):
    server = Mirrors(mnist_dir)
    yield server
    server.close()


def cache_files(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_download_from_a_good_mirror(mirrors, tmp_path, no_env_data, mnist):
    cache = tmp_path / "cache"
    (train_X, train_y), (test_X, test_y) = fastgd.load_mnist(
        cache_dir=cache, mirrors=[mirrors.url("good")]
    )
    assert cache_files(cache) == sorted([name + ".gz" for name in MNIST_FILES] + ["decoded"])
    np.testing.assert_array_equal(train_X, mnist[0][0])
    np.testing.assert_array_equal(test_y, mnist[1][1])
    assert len(mirrors.requests) == 4
    # Offline from now on: the files are found, no request is made.
    fastgd.load_mnist(cache_dir=cache, mirrors=[mirrors.url("good")])
    assert len(mirrors.requests) == 4


def test_a_mirror_that_is_down_is_skipped(mirrors, tmp_path, no_env_data, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("FASTGD_CACHE_DIR", str(cache))
    fastgd.load_mnist(mirrors=[mirrors.url("down"), mirrors.url("good")], dtype="float32")
    assert cache_files(cache) == sorted([name + ".gz" for name in MNIST_FILES] + ["decoded"])
    assert sum(r.startswith("/down/") for r in mirrors.requests) == 4


@pytest.mark.parametrize(
    "kind, reason",
    [
        ("truncated", "IncompleteRead|got .* of .* bytes"),
        ("wrong", "SHA-256 of the decompressed file is"),
        ("hang", "timed out"),
        ("down", "503"),
    ],
)
def test_a_failed_download_leaves_nothing_and_says_why(
    mirrors, tmp_path, no_env_data, kind, reason
):
    cache = tmp_path / "cache"
    with pytest.raises(DownloadError) as info:
        fastgd.load_mnist(cache_dir=cache, mirrors=[mirrors.url(kind)], timeout=0.5)
    message = str(info.value)
    assert "could not download train-images-idx3-ubyte" in message
    assert mirrors.url(kind) + "train-images-idx3-ubyte.gz" in message
    assert re.search(reason, message)
    assert "set FASTGD_DATA to it" in message and "--data" in message
    assert cache_files(cache) == []


def test_no_download_when_asked_not_to(mirrors, tmp_path, no_env_data):
    with pytest.raises(FileNotFoundError, match="MNIST not found. Looked in"):
        fastgd.load_mnist(
            cache_dir=tmp_path / "cache", mirrors=[mirrors.url("good")], download=False
        )
    assert mirrors.requests == []


# ---- any IDX pair, validation split, the book's pickle -------------------------------------------


@pytest.mark.parametrize("shape", [(5, 28, 28), (4, 7, 9)])
def test_load_idx_any_image_size(tmp_path, shape):
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, shape)
    labels = rng.integers(0, 10, shape[0])
    (tmp_path / "images.gz").write_bytes(gzip.compress(idx_bytes(images)))
    (tmp_path / "labels").write_bytes(idx_bytes(labels))
    X, y = fastgd.load_idx(tmp_path / "images.gz", tmp_path / "labels", dtype="float32")
    assert X.dtype == np.float32 and X.shape == (shape[0], shape[1] * shape[2])
    np.testing.assert_array_equal(X, (images.reshape(shape[0], -1) / 255).astype(np.float32))
    np.testing.assert_array_equal(y, labels)


@pytest.mark.parametrize(
    "images, labels, match",
    [
        (idx_bytes(np.zeros((3, 2, 2))), idx_bytes(np.zeros(4)), "holds 3 images but .* 4 labels"),
        (b"\x00\x00\x09\x03" + b"\x00" * 12, idx_bytes(np.zeros(3)), "type code 0x09"),
        (
            idx_bytes(np.zeros((3, 2, 2)))[:-1],
            idx_bytes(np.zeros(3)),
            "needs 28 bytes, but the file has 27",
        ),
        (b"", idx_bytes(np.zeros(3)), "ends inside the IDX header"),
        (idx_bytes(np.zeros(3)), idx_bytes(np.zeros(3)), "at least 2 dimensions"),
        (idx_bytes(np.zeros((3, 2))), idx_bytes(np.zeros((3, 1))), "a label file has 1 dimension"),
    ],
)
def test_load_idx_refuses_malformed_files(tmp_path, images, labels, match):
    (tmp_path / "images").write_bytes(images)
    (tmp_path / "labels").write_bytes(labels)
    with pytest.raises(ValueError, match=match):
        fastgd.load_idx(tmp_path / "images", tmp_path / "labels")


@pytest.mark.parametrize("compress", [False, True])
def test_huge_declared_dimensions_are_refused_before_allocating(tmp_path, compress):
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (2**31, 2**31, 2**31))
    data = header + b"\x00" * 100
    path = tmp_path / "evil"
    path.write_bytes(gzip.compress(data) if compress else data)
    with pytest.raises(ValueError, match="more than the file can hold"):
        fastgd.load_idx(path, path)


def test_validation_split_is_the_books(mnist_dir, mnist):
    train, validation, test = fastgd.load_mnist(mnist_dir, validation_size=10000)
    assert train[0].shape == (50000, 784) and validation[0].shape == (10000, 784)
    assert test[0].shape == (10000, 784)
    np.testing.assert_array_equal(validation[0], mnist[0][0][50000:])
    np.testing.assert_array_equal(train[1], mnist[0][1][:50000])
    again = fastgd.load_mnist(mnist_dir, validation_size=10000)
    np.testing.assert_array_equal(again[1][1], validation[1])
    assert train[0].base is validation[0].base  # views of one array, no copy
    for bad in (-1, 60000, 2.5, True):
        with pytest.raises(ValueError, match="validation_size"):
            fastgd.load_mnist(mnist_dir, validation_size=bad)


def test_the_books_pickle_only_when_allowed(tmp_path):
    rng = np.random.default_rng(2)
    parts = tuple(
        (rng.random((n, 784)).astype(np.float32), rng.integers(0, 10, n)) for n in (5, 3, 2)
    )
    path = tmp_path / "mnist.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(parts, f, protocol=2)
    with pytest.raises(ValueError, match="allow_pickle=True"):
        fastgd.load_book_pickle(path)
    loaded = fastgd.load_book_pickle(path, allow_pickle=True)
    for (X, y), (X0, y0) in zip(loaded, parts):
        assert X.dtype == np.float64 and y.dtype == np.uint8
        np.testing.assert_array_equal(X, X0)
        np.testing.assert_array_equal(y, y0)


def test_load_idx_names_a_missing_file_and_reads_an_empty_set(tmp_path):
    with pytest.raises(FileNotFoundError, match="no-such-images"):
        fastgd.load_idx(tmp_path / "no-such-images", tmp_path / "no-such-labels")
    images = tmp_path / "images"
    labels = tmp_path / "labels"
    images.write_bytes(
        bytes([0, 0, 8, 3])
        + (0).to_bytes(4, "big")
        + (28).to_bytes(4, "big")
        + (28).to_bytes(4, "big")
    )
    labels.write_bytes(bytes([0, 0, 8, 1]) + (0).to_bytes(4, "big"))
    X, y = fastgd.load_idx(images, labels)
    assert X.shape == (0, 784) and y.shape == (0,)


def test_mnist_as_bytes_is_the_floats_times_255(mnist_dir):
    (X, y), (Xt, yt) = fastgd.load_mnist(mnist_dir, dtype="uint8")
    assert X.dtype == np.uint8 and X.shape == (60000, 784) and X.nbytes == 47040000
    (Xf, _), _ = fastgd.load_mnist(mnist_dir, dtype="float32")
    assert (X.astype(np.float32) / 255 == Xf).all()
    with pytest.raises(
        TypeError, match="dtype must be 'uint8' .*, 'float32' or 'float64', got 'int16'"
    ):
        fastgd.load_mnist(mnist_dir, dtype="int16")


@pytest.fixture
def gzip_mnist(mnist_dir, tmp_path):
    """A directory with the real MNIST files, gzip-compressed (as downloaded)."""
    directory = tmp_path / "mnist"
    directory.mkdir()
    for name in MNIST_FILES:
        if (mnist_dir / (name + ".gz")).exists():
            (directory / (name + ".gz")).symlink_to(mnist_dir / (name + ".gz"))
        else:
            data = (mnist_dir / name).read_bytes()
            (directory / (name + ".gz")).write_bytes(gzip.compress(data, compresslevel=1))
    return directory


def test_decoded_images_are_kept_checked_and_redone_when_damaged(gzip_mnist, tmp_path, mnist):
    """Decompressing the images takes tenths of a second: the verified bytes are kept in the
    cache, read instead next time (verified again), and a damaged copy is decoded anew."""
    cache = tmp_path / "cache"
    first = fastgd.load_mnist(gzip_mnist, dtype="uint8", cache_dir=cache)
    kept = sorted((cache / "decoded").iterdir())
    assert [p.name.rsplit("-", 1)[0] for p in kept] == [
        "t10k-images-idx3-ubyte",
        "train-images-idx3-ubyte",
    ]

    def kept_right():
        return all(
            parse_idx(path.read_bytes()).reshape(len(X), -1).tobytes() == X.tobytes()
            for path, (X, _) in zip(kept, reversed(first))
        )

    assert kept_right()

    def damage(path):
        data = bytearray(path.read_bytes())
        data[-1] ^= 1
        path.write_bytes(data)

    damage(kept[1])
    again = fastgd.load_mnist(gzip_mnist, dtype="uint8", cache_dir=cache)
    assert all((X == X0).all() for (X, _), (X0, _) in zip(again, first))
    assert kept_right()
    # Read from the cache: the compressed files are not decompressed again.
    for name in ("train-images-idx3-ubyte", "t10k-images-idx3-ubyte"):
        (gzip_mnist / (name + ".gz")).unlink()
        (gzip_mnist / (name + ".gz")).write_bytes(gzip.compress(b"not MNIST"))
    again = fastgd.load_mnist(gzip_mnist, dtype="float64", cache_dir=cache)
    for (X, y), (Xf, yf) in zip(mnist, again):
        assert Xf.tobytes() == X.tobytes() and (yf == y).all()
    # A damaged copy is dropped; the source is read and checked as without a cache.
    damage(kept[1])
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: not an IDX file"):
        fastgd.load_mnist(gzip_mnist, dtype="uint8", cache_dir=cache)
    assert not kept[1].exists()


def test_a_cache_that_cannot_be_written_is_not_used(gzip_mnist, tmp_path, mnist):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("in the way")
    (X, y), _ = fastgd.load_mnist(gzip_mnist, cache_dir=not_a_directory)
    assert X.tobytes() == mnist[0][0].tobytes()
    assert not_a_directory.read_text() == "in the way"


def test_without_verification_nothing_is_kept(gzip_mnist, tmp_path):
    fastgd.load_mnist(gzip_mnist, verify=False, dtype="uint8", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists()
