"""Just enough PNG for greyscale digits: read non-interlaced greyscale (1, 2, 4, 8 and 16 bits),
palette, grey+alpha, RGB and RGBA images, and write 8-bit greyscale ones. No dependency beyond
zlib.

The files may come from anywhere, so nothing is read, inflated or looped over beyond what the
header allows: the signature is checked on the first eight bytes; the IHDR chunk must come first,
13 bytes long with a correct CRC; the image's size is checked (png_size, max_pixels) before any
image data is read; the image data is inflated to at most the bytes that size implies, and more
is refused; every chunk is read against a budget, so a stream such as /dev/zero or a file of
endless chunks ends in a ValueError, not in reading forever.
"""

import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# colour type -> (samples per pixel, allowed bit depths)
_FORMATS = {
    0: (1, (1, 2, 4, 8, 16)),
    2: (3, (8, 16)),
    3: (1, (1, 2, 4, 8)),
    4: (2, (8, 16)),
    6: (4, (8, 16)),
}
# What a reader of grey digits accepts: a megapixel (a Python loop undoes some row filters).
MAX_PIXELS = 1 << 20
# Bytes of chunks other than image data that a file may hold (text, colour profiles, ...).
_MAX_OTHER_BYTES = 1 << 20
# Deflate's worst case is stored blocks: 5 bytes per 65,535, plus zlib's 6 and some slack.
_DEFLATE_SLACK = 1024


def _read(f, n, source, what):
    data = f.read(n)
    if len(data) != n:
        raise ValueError(f"{source}: truncated PNG ({what} cut short)")
    return data


def _chunk(f, source, budget):
    """The next chunk (kind, body), its CRC checked; budget: the most bytes its body may have."""
    length, kind = struct.unpack(">I4s", _read(f, 8, source, "a chunk header"))
    if length > budget:
        raise ValueError(
            f"{source}: PNG chunk {kind!r} of {length} bytes is larger than the "
            f"image it belongs to allows"
        )
    body = _read(f, length, source, f"chunk {kind!r}")
    (crc,) = struct.unpack(">I", _read(f, 4, source, f"the CRC of chunk {kind!r}"))
    if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
        raise ValueError(f"{source}: damaged PNG (chunk {kind!r} fails its CRC check)")
    return kind, body


def _header(f, source):
    """(width, height, depth, colour) from the signature and IHDR at the start of f."""
    if f.read(len(_SIGNATURE)) != _SIGNATURE:
        raise ValueError(f"{source}: not a PNG file")
    kind, body = _chunk(f, source, 13)
    if kind != b"IHDR" or len(body) != 13:
        raise ValueError(f"{source}: damaged PNG (it must start with a 13-byte IHDR chunk)")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", body
    )
    if width == 0 or height == 0:
        raise ValueError(f"{source}: PNG of {width}x{height} pixels holds no image")
    if colour not in _FORMATS or depth not in _FORMATS[colour][1] or compression or filtering:
        raise ValueError(
            f"{source}: PNG of colour type {colour} and bit depth {depth} is not "
            f"a format this reader knows; save it as 8-bit greyscale"
        )
    if interlace:
        raise ValueError(
            f"{source}: interlaced PNGs are not supported; save it without "
            f"interlacing, as 8-bit greyscale"
        )
    return width, height, depth, colour


def png_size(path):
    """(width, height) of the PNG at path, from its header alone."""
    with open(path, "rb") as f:
        width, height, _, _ = _header(f, path)
    return width, height


def read_png(path, max_pixels=MAX_PIXELS):
    """The image at path as a 2-D uint8 array of grey levels (colour converted by luminance,
    palette entries looked up, alpha ignored, bit depths scaled to 0..255). Raises ValueError
    for what is not a PNG this reader supports, or holds more than max_pixels pixels."""
    with open(path, "rb") as f:
        width, height, depth, colour = _header(f, path)
        if width * height > max_pixels:
            raise ValueError(
                f"{path}: the image is {width}x{height}, more than the "
                f"{max_pixels} pixels this reader takes"
            )
        channels = _FORMATS[colour][0]
        row_bytes = (width * channels * depth + 7) // 8
        raw_size = height * (row_bytes + 1)
        raw, palette = _image_data(f, path, raw_size, colour)
    bpp = max(1, channels * depth // 8)
    rows = _unfilter(raw, height, row_bytes, bpp, path)
    samples = _samples(rows, width * channels, depth).reshape(height, width, channels)
    if colour == 3:
        if palette is None:
            raise ValueError(f"{path}: palette PNG without a palette (PLTE chunk)")
        if samples.max() >= len(palette):
            raise ValueError(
                f"{path}: PNG pixel refers to palette entry {samples.max()} of {len(palette)}"
            )
        samples = palette[samples[..., 0]]
        channels = 3
    pixels = samples.astype(np.float64)
    if colour in (0, 4) and depth < 8:
        pixels *= 255 / (2**depth - 1)
    if channels >= 3:
        grey = pixels[..., 0] * 0.299 + pixels[..., 1] * 0.587 + pixels[..., 2] * 0.114
    else:
        grey = pixels[..., 0]
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8)


def _image_data(f, source, raw_size, colour):
    """The inflated image data (exactly raw_size bytes) and the palette (n x 3 uint8 or None),
    reading the chunks after IHDR within their budgets."""
    inflate = zlib.decompressobj()
    parts, size, other, palette, ended = [], 0, 0, None, False
    # The deflated image, and 12 bytes of chunk header per KiB of it (or per chunk of 64).
    idat_budget = raw_size + raw_size // 65535 * 5 + _DEFLATE_SLACK + 12 * (raw_size // 1024 + 64)
    while not ended:
        kind, body = _chunk(f, source, max(idat_budget, _MAX_OTHER_BYTES - other))
        # (A chunk's 12 bytes of length, kind and CRC count too: endless empty chunks end.)
        if kind == b"IDAT":
            idat_budget -= 12 + len(body)
            if idat_budget < 0:
                raise ValueError(
                    f"{source}: PNG image data larger than its {raw_size}-byte image allows"
                )
            try:
                part = inflate.decompress(body, raw_size - size + 1)
            except zlib.error as exc:
                raise ValueError(f"{source}: damaged PNG image data ({exc})") from exc
            size += len(part)
            if size > raw_size or inflate.unconsumed_tail:
                raise ValueError(
                    f"{source}: PNG image data inflates to more than the "
                    f"{raw_size} bytes its header declares"
                )
            parts.append(part)
        elif kind == b"IEND":
            ended = True
        else:
            other += 12 + len(body)
            if other > _MAX_OTHER_BYTES:
                raise ValueError(
                    f"{source}: PNG holds more than {_MAX_OTHER_BYTES} bytes besides its image"
                )
            if kind == b"PLTE" and colour == 3:
                if len(body) % 3 or not 3 <= len(body) <= 768:
                    raise ValueError(f"{source}: damaged PNG palette of {len(body)} bytes")
                palette = np.frombuffer(body, dtype=np.uint8).reshape(-1, 3)
    if size != raw_size:
        raise ValueError(f"{source}: PNG image data has {size} bytes, expected {raw_size}")
    return b"".join(parts), palette


def _samples(rows, n_samples, depth):
    """The n_samples samples of each row of bytes, of depth bits each, as integers."""
    if depth == 8:
        return rows[:, :n_samples]
    if depth == 16:
        return rows[:, : 2 * n_samples].reshape(len(rows), n_samples, 2)[..., 0]
    bits = np.unpackbits(rows, axis=1)[:, : n_samples * depth]
    weights = 1 << np.arange(depth - 1, -1, -1, dtype=np.uint8)
    return (bits.reshape(len(rows), n_samples, depth) * weights).sum(axis=2).astype(np.uint8)


def _unfilter(raw, height, row_bytes, bpp, source):
    """Undo PNG's per-row filters (none, sub, up, average, Paeth)."""
    out = np.zeros((height, row_bytes), dtype=np.uint8)
    stride = row_bytes + 1
    previous = np.zeros(row_bytes, dtype=np.int32)
    for y in range(height):
        kind = raw[y * stride]
        row = np.frombuffer(raw, dtype=np.uint8, count=row_bytes, offset=y * stride + 1)
        row = row.astype(np.int32)
        if kind == 0:
            cur = row
        elif kind == 2:
            cur = (row + previous) & 0xFF
        elif kind in (1, 3, 4):
            cur = row.copy()
            for x in range(row_bytes):
                left = cur[x - bpp] if x >= bpp else 0
                if kind == 1:
                    cur[x] = (cur[x] + left) & 0xFF
                elif kind == 3:
                    cur[x] = (cur[x] + (left + previous[x]) // 2) & 0xFF
                else:
                    up_left = previous[x - bpp] if x >= bpp else 0
                    p = left + previous[x] - up_left
                    pa, pb, pc = abs(p - left), abs(p - previous[x]), abs(p - up_left)
                    pred = left if pa <= pb and pa <= pc else (previous[x] if pb <= pc else up_left)
                    cur[x] = (cur[x] + pred) & 0xFF
        else:
            raise ValueError(f"{source}: unknown PNG filter type {kind}")
        out[y] = cur
        previous = cur
    return out


def write_png(path, image):
    """Write a 2-D uint8 array as an 8-bit greyscale PNG."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim != 2:
        raise ValueError(f"write_png takes a 2-D array of grey levels, got shape {image.shape}")
    height, width = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(height))

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    with open(path, "wb") as f:
        f.write(
            _SIGNATURE
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b"")
        )
