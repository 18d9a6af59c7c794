"""Files from anywhere: saved networks, checkpoints and PNGs that are damaged, crafted or bombs.

Each is refused with a ValueError naming the file before anything large is allocated, inflated
or looped over, and nothing the user had (a network, a file) is changed.
"""

import io
import json
import os
import re
import stat
import struct
import threading
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastgd
from fastgd.files.npz import NpzReader
from fastgd.files.png import png_size, read_png, write_png

from conftest import copy_params, make_data

SIZES = [6, 4, 3]


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def write_npz(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name + ".npy", data if isinstance(data, bytes) else npy(data))


def unchanged(net, before):
    return all(
        a.tobytes() == b.tobytes() for a, b in zip(net.weights + net.biases, before[0] + before[1])
    )


# ---- saved networks -------------------------------------------------------------------------


def test_a_member_that_does_not_belong_is_refused_without_inflating_it(tmp_path):
    """A small file with 64 MiB of deflated zeros beside a good network (the issue's bomb:
    1 MB holding 1 GiB): refused by its name, before a byte of it is inflated."""
    path = tmp_path / "bomb.npz"
    fastgd.Network(SIZES, seed=0).save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("padding.npy", "w", force_zip64=True) as f:
            f.write(npy(np.zeros(0))[:128])
            zeros = bytes(1 << 20)
            for _ in range(64):
                f.write(zeros)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(
            ValueError,
            match=r"holds 'padding', which does not belong in a "
            r"saved network",
        ):
            fastgd.Network.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_a_member_declaring_more_than_its_compressed_bytes_can_hold_is_refused(tmp_path):
    """weights that belong, of the declared shape, but whose zip entry claims 1032 times more
    bytes than deflate can produce from its compressed size."""
    members = {k: v for k, v in fastgd.Network([3000, 3000, 2], seed=0)._arrays().items()}
    path = tmp_path / "liar.npz"
    write_npz(path, members, zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("weights_0.npy")
    for offset in _central_entries(data):
        name_length = struct.unpack_from("<H", data, offset + 28)[0]
        if data[offset + 46 : offset + 46 + name_length] == b"weights_0.npy":
            struct.pack_into("<I", data, offset + 20, 8)  # compressed size: 8 bytes
    path.write_bytes(bytes(data))
    assert info.file_size > 8 * 1032
    # The network's reader adds up what the sizes need against what the file holds, first;
    with pytest.raises(
        ValueError,
        match=r"sizes \[3000, 3000, 2\] in float64 need 72,072,016 bytes of weights and "
        r"biases, but the file holds [0-9,]+ bytes of them",
    ):
        fastgd.Network.load(path)
    # and the member's own check refuses it from the zip's directory alone.
    with (
        NpzReader(path) as npz,
        pytest.raises(
            ValueError,
            match=r"weights_0 declares 72000128 bytes, more than its 8 compressed bytes can hold",
        ),
    ):
        npz.read("weights_0", max_bytes=72000128)


def _central_entries(data):
    offset = data.find(b"PK\x01\x02")
    while offset >= 0:
        yield offset
        offset = data.find(b"PK\x01\x02", offset + 4)


@pytest.mark.parametrize(
    "field, value, match",
    [
        (8, 0x1, "weights_0 is encrypted; fastgd files never are"),
        (10, 99, "weights_0 is compressed with method 99; fastgd files are stored or deflated"),
    ],
)
def test_encrypted_or_strangely_compressed_members_are_value_errors(tmp_path, field, value, match):
    path = tmp_path / "odd.npz"
    fastgd.Network(SIZES, seed=0).save(path)
    data = bytearray(path.read_bytes())
    for offset in _central_entries(data):
        name_length = struct.unpack_from("<H", data, offset + 28)[0]
        if data[offset + 46 : offset + 46 + name_length] == b"weights_0.npy":
            old = struct.unpack_from("<H", data, offset + field)[0]
            struct.pack_into("<H", data, offset + field, old | value if field == 8 else value)
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=match):
        fastgd.Network.load(path)


@pytest.mark.parametrize("where", [(0, (1, 2)), (1, (0,))])
def test_non_finite_parameters_are_refused_on_load_naming_array_and_index(tmp_path, where):
    layer, index = where
    net = fastgd.Network(SIZES, seed=0)
    arrays = net.weights if len(index) == 2 else net.biases
    arrays[layer][index] = np.nan if layer == 0 else np.inf
    path = tmp_path / "nan.npz"
    name = f"{'weights' if len(index) == 2 else 'biases'}_{layer}"
    # save writes no file that load would refuse;
    with pytest.raises(ValueError, match=rf"cannot save to .*nan.npz: {name} holds (nan|inf)"):
        net.save(path)
    assert not path.exists()
    # a file written otherwise is refused by load.
    np.savez(path, **net._arrays())
    with pytest.raises(
        ValueError,
        match=rf"{name} holds (nan|inf) at index "
        rf"{re.escape(str(index))}; a network's parameters",
    ):
        fastgd.Network.load(path)


@pytest.mark.parametrize(
    "members, match",
    [
        (
            {
                "format": np.array("fastgd-network"),
                "version": np.array(1),
                "sizes": np.zeros((2, 2)),
                "dtype": np.array("float64"),
            },
            r"is of dtype float64, not a number|sizes",
        ),
        (
            {
                "format": np.array("fastgd-network"),
                "version": np.array(0),
                "sizes": np.array([2, 1]),
                "dtype": np.array("float64"),
            },
            "format version 0, which does not exist",
        ),
        ({"format": np.array("x" * 100)}, r"format has shape \(\), expected|more than such a file"),
    ],
)
def test_crafted_metadata(tmp_path, members, match):
    path = tmp_path / "meta.npz"
    write_npz(path, members)
    with pytest.raises(ValueError, match=match):
        fastgd.Network.load(path)


def test_missing_layer_arrays_are_named(tmp_path):
    arrays = fastgd.Network(SIZES, seed=0)._arrays()
    del arrays["biases_1"]
    path = tmp_path / "short.npz"
    write_npz(path, arrays)
    with pytest.raises(ValueError, match=r"a network of sizes \[6, 4, 3\] has no 'biases_1'"):
        fastgd.Network.load(path)


# ---- saving ---------------------------------------------------------------------------------


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_a_new_file_gets_the_umask_mode_and_an_old_one_keeps_its_own(tmp_path, umask_022):
    """As numpy.savez would: 0644 under umask 022 (not 0600), and an existing file's mode."""
    path = tmp_path / "net.npz"
    fastgd.Network(SIZES, seed=0).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    os.chmod(path, 0o640)
    fastgd.Network(SIZES, seed=1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert os.listdir(tmp_path) == ["net.npz"]


def test_saving_to_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "store" / "net.npz"
    target.parent.mkdir()
    link = tmp_path / "current.npz"
    link.symlink_to(target)
    net = fastgd.Network(SIZES, seed=0)
    net.save(link)
    assert link.is_symlink() and target.is_file()
    assert fastgd.Network.load(target).sizes == SIZES
    assert sorted(os.listdir(target.parent)) == ["net.npz"]


# ---- checkpoints ----------------------------------------------------------------------------


@pytest.fixture
def run(tmp_path):
    """A checkpoint after 2 of 4 epochs, and how to make and resume variants of it."""
    X, labels, _ = make_data(40, SIZES, seed=1)
    path = tmp_path / "run.npz"
    fastgd.Trainer(
        fastgd.Network(SIZES, seed=2),
        eta=1.0,
        mini_batch_size=5,
        epochs=2,
        seed=3,
        verbose=0,
        checkpoint_every=2,
        checkpoint_path=path,
    ).fit(X, labels)

    class Run:
        good = path

        @staticmethod
        def variant(change_state=None, change_arrays=None, name="variant.npz"):
            with np.load(path) as data:
                arrays = {k: data[k] for k in data.files}
            state = json.loads(str(arrays["trainer_state"]))
            if change_state:
                change_state(state)
            arrays["trainer_state"] = np.array(json.dumps(state))
            if change_arrays:
                change_arrays(arrays)
            out = tmp_path / name
            np.savez(out, **arrays)
            return out

        @staticmethod
        def resume(file, sizes=SIZES, dtype="float64"):
            """Resume from file into a fresh network; returns (network, its parameters before)."""
            net = fastgd.Network(sizes, seed=9, dtype=dtype)
            before = copy_params(net)
            trainer = fastgd.Trainer(net, eta=1.0, mini_batch_size=5, epochs=4, seed=3, verbose=0)
            try:
                trainer.fit(X, labels, resume=file)
            finally:
                Run.last = (net, before)

    return Run


def set_key(*keys, value):
    def change(state):
        target = state
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def del_key(key):
    return lambda state: state.pop(key)


@pytest.mark.parametrize(
    "change, match",
    [
        (del_key("rng"), "the shuffling generator's state"),
        (del_key("history"), "no history"),
        (set_key("epochs_done", value=-3), "epochs_done -3"),
        (set_key("epochs_done", value=2.9), "epochs_done 2.9"),
        (set_key("epochs_done", value="2"), "epochs_done '2'"),
        (set_key("epochs_done", value=True), "epochs_done True"),
        (set_key("epochs_done", value=3), "history epoch of 2 epochs, not 3"),
        (set_key("format", value="other"), "format 'other'"),
        (set_key("version", value=0), "version 0"),
        (set_key("version", value=7), "checkpoint of version 7, newer than this fastgd reads"),
        (set_key("rng", "state", "state", value="x"), "the shuffling generator's state"),
        (set_key("rng", "bit_generator", value="MT19937"), "the shuffling generator's state"),
        (set_key("history", "train_cost", value=["a", "b"]), "history train_cost"),
        (set_key("history", "epoch", value=[1, 0]), r"history epochs \[1, 0\]"),
        (
            set_key("history", "cost", value="cross_entropy"),
            "a history of the 'cross_entropy' cost",
        ),
        (set_key("settings", value=[]), r"settings \[\]"),
    ],
)
def test_a_damaged_trainer_state_changes_nothing(run, change, match):
    with pytest.raises(ValueError, match=match):
        run.resume(run.variant(change))
    assert unchanged(*run.last)


def test_deeply_nested_json_is_a_value_error(run):
    def nest(arrays):
        arrays["trainer_state"] = np.array("[" * 100000 + "]" * 100000)

    with pytest.raises(ValueError, match="trainer_state is not valid JSON"):
        run.resume(run.variant(change_arrays=nest))
    assert unchanged(*run.last)


def test_arrays_of_another_network_are_refused_not_broadcast(run):
    """Arrays of a [6, 1, 3] network under settings of [6, 4, 3]; float32 arrays in a float64
    run: refused, never broadcast or cast."""
    narrow = fastgd.Network([6, 1, 3], seed=0)._arrays()
    with pytest.raises(
        ValueError,
        match=r"holds a network of sizes \[6, 1, 3\] .* this "
        r"trainer's is of sizes \[6, 4, 3\]",
    ):
        run.resume(run.variant(change_arrays=lambda a: a.update(narrow)))
    assert unchanged(*run.last)
    single = fastgd.Network(SIZES, seed=0, dtype="float32")._arrays()
    with pytest.raises(ValueError, match="dtype float32; this trainer's is of sizes"):
        run.resume(run.variant(change_arrays=lambda a: a.update(single)))
    assert unchanged(*run.last)


def test_set_parameters_refuses_other_shapes_and_dtypes():
    net = fastgd.Network(SIZES, seed=0)
    before = copy_params(net)
    other = fastgd.Network([6, 1, 3], seed=1)
    with pytest.raises(ValueError, match="do not fit a network of sizes"):
        net._set_parameters(other.weights + other.biases)
    single = fastgd.Network(SIZES, seed=1, dtype="float32")
    with pytest.raises(ValueError, match="do not fit"):
        net._set_parameters(single.weights + single.biases)
    assert unchanged(net, before)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-3, 3) | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


def _same_number(a, b):
    """1 for 1.0 is the same setting, not a corruption (a bool is never a number here)."""
    numbers = (int, float)
    return (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
        and a == b
    )


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, prefix + (i,))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_corruptions_of_a_checkpoint_raise_and_change_nothing(run, data):
    """A value anywhere in the trainer state replaced by a JSON value of another type, an array
    replaced by one of another shape, dtype or with a NaN, a member added or removed, or the
    file cut short or a byte of a member's data changed: always a ValueError, and the network
    as it was."""
    kind = data.draw(st.sampled_from(["state", "array", "member", "truncate", "byte"]))
    if kind == "state":
        with np.load(run.good) as arrays:
            state = json.loads(str(arrays["trainer_state"]))
        paths = [p for p in _paths(state) if p]
        where = data.draw(st.sampled_from(paths))
        old = state
        for key in where:
            old = old[key]
        new = data.draw(
            JSON_VALUES.filter(lambda v: type(v) is not type(old) and not _same_number(v, old))
        )
        path = run.variant(set_key(*where, value=new))
    elif kind == "array":
        name = data.draw(st.sampled_from(["weights_0", "weights_1", "biases_0", "sizes"]))
        how = data.draw(st.sampled_from(["shape", "dtype", "nan"]))

        def change(arrays):
            a = arrays[name]
            if how == "shape":
                arrays[name] = np.zeros(a.shape + (1,), a.dtype)
            elif how == "dtype":
                arrays[name] = a.astype(np.float32 if a.dtype != np.float32 else np.int8)
            else:
                arrays[name] = np.full(a.shape, np.nan)

        path = run.variant(change_arrays=change)
    elif kind == "member":
        if data.draw(st.booleans()):
            path = run.variant(change_arrays=lambda a: a.update(extra=np.zeros(2)))
        else:
            victim = data.draw(st.sampled_from(["format", "sizes", "biases_1", "trainer_state"]))
            path = run.variant(change_arrays=lambda a: a.pop(victim))
    else:
        raw = bytearray(run.good.read_bytes())
        if kind == "truncate":
            raw = raw[: data.draw(st.integers(0, len(raw) - 1))]
        else:
            with zipfile.ZipFile(run.good) as archive:
                infos = archive.infolist()
            info = data.draw(st.sampled_from(infos))
            # (The local header's own name and extra lengths: its extra differs from the
            # central directory's.)
            name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)
            start = info.header_offset + 30 + name_length + extra_length
            at = data.draw(st.integers(start, start + info.compress_size - 1))
            raw[at] ^= data.draw(st.integers(1, 255))
        path = run.good.parent / "bytes.npz"
        path.write_bytes(bytes(raw))
    with pytest.raises(ValueError):
        run.resume(path)
    assert unchanged(*run.last)


# ---- PNG ------------------------------------------------------------------------------------


def chunk(kind, body):
    return (
        struct.pack(">I", len(body))
        + kind
        + body
        + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png(width, height, raw, depth=8, colour=0, extra=b""):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        SIGNATURE
        + chunk(b"IHDR", ihdr)
        + extra
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    "content, match",
    [
        (SIGNATURE + chunk(b"IHDR", bytes(12)), "13-byte IHDR"),
        (png(2**31 - 1, 2**31 - 1, b""), r"the image is 2147483647x2147483647, more than"),
        (png(28, 28, bytes(200 << 20)), "PNG image data larger than its 812-byte image allows"),
        (png(28, 28, bytes(1 << 16)), "inflates to more than the 812 bytes its header declares"),
        (png(28, 28, bytes(28 * 29 - 5)), "PNG image data has 807 bytes, expected 812"),
        (png(28, 28, bytes(28 * 29))[:-20], "truncated PNG"),
        (png(28, 28, bytes(28 * 29), depth=3), "colour type 0 and bit depth 3 is not"),
        (png(28, 28, bytes(28 * 29)).replace(b"IDAT", b"IDAX"), "fails its CRC check"),
        (
            SIGNATURE
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0))
            + chunk(b"tEXt", bytes(2 << 20)),
            "chunk b'tEXt' of 2097152 bytes is larger than",
        ),
    ],
)
def test_crafted_pngs_are_value_errors_before_the_work(tmp_path, content, match):
    path = tmp_path / "evil.png"
    path.write_bytes(content)
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match):
            read_png(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20


def test_a_big_image_is_refused_from_its_header_alone(tmp_path):
    """The issue's 21 KB 4000x4000 file: refused before its data is read or filtered."""
    path = tmp_path / "big.png"
    path.write_bytes(png(4000, 4000, bytes(4000 * 4001)))
    assert path.stat().st_size < 100_000
    assert png_size(path) == (4000, 4000)
    with pytest.raises(ValueError, match=r"the image is 4000x4000, more than the 1048576"):
        read_png(path)


def test_a_stream_is_refused_from_its_first_bytes():
    with pytest.raises(ValueError, match="not a PNG file"):
        read_png("/dev/zero")


def test_endless_empty_chunks_end_in_an_error(tmp_path):
    """From a pipe that never ends: zero-length chunks, each valid. The chunks' own bytes count
    against the budget, so reading stops."""
    fifo = tmp_path / "endless.png"
    os.mkfifo(fifo)

    def writer():
        try:
            with open(fifo, "wb") as f:
                f.write(SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", 28, 28, 8, 0, 0, 0, 0)))
                empty = chunk(b"tEXt", b"")
                while True:
                    f.write(empty * 1000)
        except (BrokenPipeError, OSError):
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    with pytest.raises(ValueError, match="more than 1048576 bytes besides its image"):
        read_png(fifo)
    thread.join(10)


def encode(width, height, depth, colour, rows, palette=None):
    raw = b"".join(b"\0" + row for row in rows)
    extra = chunk(b"PLTE", palette) if palette is not None else b""
    return png(width, height, raw, depth=depth, colour=colour, extra=extra)


def test_palette_and_low_bit_depth_greyscale_are_read(tmp_path):
    digit = np.zeros((4, 8), dtype=np.uint8)
    digit[1:3, 2:6] = 1
    one_bit = [np.packbits(row).tobytes() for row in digit]
    (tmp_path / "bits.png").write_bytes(encode(8, 4, 1, 0, one_bit))
    np.testing.assert_array_equal(read_png(tmp_path / "bits.png"), digit * 255)

    two_bit = [
        np.packbits(
            np.unpackbits((row * 3)[:, None].astype(np.uint8), axis=1)[:, 6:].ravel()
        ).tobytes()
        for row in digit
    ]
    (tmp_path / "two.png").write_bytes(encode(8, 4, 2, 0, two_bit))
    np.testing.assert_array_equal(read_png(tmp_path / "two.png"), digit * 255)

    palette = bytes([0, 0, 0, 255, 255, 255])
    (tmp_path / "palette.png").write_bytes(
        encode(8, 4, 8, 3, [row.tobytes() for row in digit], palette)
    )
    np.testing.assert_array_equal(read_png(tmp_path / "palette.png"), digit * 255)
    (tmp_path / "nopal.png").write_bytes(encode(8, 4, 8, 3, [row.tobytes() for row in digit]))
    with pytest.raises(ValueError, match="palette PNG without a palette"):
        read_png(tmp_path / "nopal.png")


def test_round_trip_still_exact(tmp_path):
    image = np.random.default_rng(0).integers(0, 256, (28, 28)).astype(np.uint8)
    write_png(tmp_path / "digit.png", image)
    np.testing.assert_array_equal(read_png(tmp_path / "digit.png"), image)
