"""Just enough PNG for greyscale digits: read 8-bit (and 16-bit) grey, grey+alpha, RGB and RGBA
images that are not interlaced, and write 8-bit greyscale ones. No dependency beyond zlib."""
import struct
import zlib

import numpy as np

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}  # colour type -> samples per pixel


def _chunks(data, source):
    pos = len(_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise ValueError(f"{source}: truncated PNG (chunk {kind!r} cut short)")
        yield kind, body
        pos += 12 + length


def _unfilter(raw, height, row_bytes, bpp, source):
    """Undo PNG's per-row filters (none, sub, up, average, Paeth)."""
    out = np.zeros((height, row_bytes), dtype=np.uint8)
    stride = row_bytes + 1
    if len(raw) != height * stride:
        raise ValueError(f"{source}: PNG image data has {len(raw)} bytes, expected "
                         f"{height * stride}")
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


def read_png(path):
    """The image at path as a 2-D uint8 array of grey levels (colour converted by luminance,
    alpha ignored). Raises ValueError for what is not a PNG this reader supports."""
    with open(path, "rb") as f:
        data = f.read()
    if not data.startswith(_SIGNATURE):
        raise ValueError(f"{path}: not a PNG file")
    header, idat = None, []
    for kind, body in _chunks(data, path):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    if header is None or not idat:
        raise ValueError(f"{path}: PNG without a header or image data")
    width, height, depth, colour, _, _, interlace = header
    if colour not in _CHANNELS or depth not in (8, 16) or interlace:
        raise ValueError(f"{path}: PNG of colour type {colour}, bit depth {depth}"
                         f"{', interlaced' if interlace else ''} is not supported; save it as "
                         f"8-bit greyscale")
    channels = _CHANNELS[colour]
    bpp = channels * depth // 8
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as exc:
        raise ValueError(f"{path}: damaged PNG image data ({exc})") from exc
    pixels = _unfilter(raw, height, width * bpp, bpp, path)
    if depth == 16:
        pixels = pixels.reshape(height, width * channels, 2)[..., 0]
    pixels = pixels.reshape(height, width, channels).astype(np.float64)
    if channels >= 3:
        grey = pixels[..., 0] * 0.299 + pixels[..., 1] * 0.587 + pixels[..., 2] * 0.114
    else:
        grey = pixels[..., 0]
    return np.clip(np.rint(grey), 0, 255).astype(np.uint8)


def write_png(path, image):
    """Write a 2-D uint8 array as an 8-bit greyscale PNG."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim != 2:
        raise ValueError(f"write_png takes a 2-D array of grey levels, got shape {image.shape}")
    height, width = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(height))

    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    with open(path, "wb") as f:
        f.write(_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
