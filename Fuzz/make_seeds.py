#!/usr/bin/env python3
"""Writes the seed corpora in Fuzz/Corpus/ (tiny valid files of each kind).

Standard library and numpy only. Run from anywhere; rewrites the seeds.
"""
import hashlib
import io
import json
import os
import struct
import tarfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "Corpus")


def put(harness, name, data):
    folder = os.path.join(CORPUS, harness)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# MARK: - PNG

def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def png(width, height, depth, color, rows, extra=b"", interlace=0):
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def png_seeds():
    w, h = 5, 3
    g8 = [bytes((x * 40 + y) & 255 for x in range(w)) for y in range(h)]
    put("FuzzPNG", "gray8.png", png(w, h, 8, 0, g8))
    g16 = [b"".join(struct.pack(">H", x * 9000 + y) for x in range(w)) for y in range(h)]
    put("FuzzPNG", "gray16.png", png(w, h, 16, 0, g16))
    g1 = [bytes([0b10110000]) for _ in range(h)]
    put("FuzzPNG", "gray1.png", png(w, h, 1, 0, g1))
    rgb = [bytes(v for x in range(w) for v in (x * 50, y * 80, 7)) for y in range(h)]
    put("FuzzPNG", "rgb8.png", png(w, h, 8, 2, rgb))
    rgba16 = [b"".join(struct.pack(">HHHH", x, y, 300, 65535) for x in range(w)) for y in range(h)]
    put("FuzzPNG", "rgba16.png", png(w, h, 16, 6, rgba16))
    ga = [bytes(v for x in range(w) for v in (x * 50, 255)) for y in range(h)]
    put("FuzzPNG", "graya8.png", png(w, h, 8, 4, ga))
    plte = chunk(b"PLTE", bytes([0, 0, 0, 255, 0, 0, 0, 255, 0])) + chunk(b"tRNS", b"\x00")
    pal = [bytes([(x + y) % 3 for x in range(w)]) for y in range(h)]
    put("FuzzPNG", "palette8.png", png(w, h, 8, 3, pal, extra=plte))
    # Adam7: a 1x1 image has a single pass holding its one pixel.
    put("FuzzPNG", "interlaced.png", png(1, 1, 8, 0, [b"\x80"], interlace=1))


# MARK: - TIFF (little-endian, classic)

def tiff(pages):
    """pages: list of (tags, data_blobs); tags: list of (tag, type, values),
    where a value of ('blob', i) is replaced by the offset of data_blobs[i]."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    ifd_links = [4]
    sizes = {3: 2, 4: 4}
    for tags, blobs in pages:
        offsets = []
        for blob in blobs:
            if len(out) % 2:
                out += b"\x00"
            offsets.append(len(out))
            out += blob
        if len(out) % 2:
            out += b"\x00"
        struct.pack_into("<I", out, ifd_links[-1], len(out))
        entries = sorted(tags)
        ifd = bytearray(struct.pack("<H", len(entries)))
        overflow = bytearray()
        overflow_base = len(out) + 2 + 12 * len(entries) + 4
        for tag, typ, values in entries:
            values = [offsets[v[1]] if isinstance(v, tuple) else v for v in values]
            fmt = "<" + ("H" if typ == 3 else "I") * len(values)
            packed = struct.pack(fmt, *values)
            if len(packed) <= 4:
                ifd += struct.pack("<HHI", tag, typ, len(values)) + packed.ljust(4, b"\x00")
            else:
                ifd += struct.pack("<HHII", tag, typ, len(values), overflow_base + len(overflow))
                overflow += packed
        link = len(out) + len(ifd)
        ifd += b"\x00\x00\x00\x00"
        out += ifd + overflow
        ifd_links.append(link)
    return bytes(out)


def strip_page(width, height, bits, spp, data, compression=1, fmt=1, rows_per_strip=None):
    rows_per_strip = rows_per_strip or height
    row = width * spp * bits // 8
    strips = [data[i * row:(i + rows_per_strip) * row] for i in range(0, height, rows_per_strip)]
    if compression == 8:
        strips = [zlib.compress(s) for s in strips]
    tags = [
        (256, 4, [width]), (257, 4, [height]), (258, 3, [bits] * spp), (259, 3, [compression]),
        (262, 3, [1 if spp == 1 else 2]), (273, 4, [("blob", i) for i in range(len(strips))]),
        (277, 3, [spp]), (278, 4, [rows_per_strip]), (279, 4, [len(s) for s in strips]),
        (284, 3, [1]), (339, 3, [fmt]),
    ]
    return tags, strips


def tile_page(width, height, data, tile=16):
    tiles = []
    for ty in range(0, height, tile):
        for tx in range(0, width, tile):
            block = bytearray(tile * tile)
            for r in range(tile):
                y = ty + r
                if y < height:
                    part = data[y * width + tx:y * width + min(tx + tile, width)]
                    block[r * tile:r * tile + len(part)] = part
            tiles.append(bytes(block))
    tags = [
        (256, 4, [width]), (257, 4, [height]), (258, 3, [8]), (259, 3, [1]), (262, 3, [1]),
        (277, 3, [1]), (284, 3, [1]), (322, 3, [tile]), (323, 3, [tile]),
        (324, 4, [("blob", i) for i in range(len(tiles))]), (325, 4, [len(t) for t in tiles]),
    ]
    return tags, tiles


def tiff_seeds():
    g8 = bytes(range(4 * 3))
    put("FuzzTIFF", "strip_gray8.tif", tiff([strip_page(4, 3, 8, 1, g8)]))
    put("FuzzTIFF", "strips_gray8.tif", tiff([strip_page(4, 3, 8, 1, g8, rows_per_strip=1)]))
    g16 = struct.pack("<12H", *[i * 5000 for i in range(12)])
    put("FuzzTIFF", "strip_gray16.tif", tiff([strip_page(4, 3, 16, 1, g16)]))
    f32 = struct.pack("<12f", *[i / 3 for i in range(12)])
    put("FuzzTIFF", "strip_float32.tif", tiff([strip_page(4, 3, 32, 1, f32, fmt=3)]))
    rgb = bytes(range(36))
    put("FuzzTIFF", "strip_rgb8.tif", tiff([strip_page(4, 3, 8, 3, rgb)]))
    put("FuzzTIFF", "deflate_gray8.tif", tiff([strip_page(4, 3, 8, 1, g8, compression=8)]))
    put("FuzzTIFF", "multipage_gray8.tif",
        tiff([strip_page(4, 3, 8, 1, g8), strip_page(4, 3, 8, 1, bytes(reversed(g8)))]))
    t = bytes(i % 251 for i in range(20 * 18))
    put("FuzzTIFF", "tiled_gray8.tif", tiff([tile_page(20, 18, t)]))


# MARK: - NPY

def npy(array, version):
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (
        array.dtype.str, repr(tuple(array.shape)))
    prefix = 10 if version == 1 else 12
    pad = (64 - (prefix + len(header) + 1) % 64) % 64
    header = (header + " " * pad + "\n").encode("utf-8" if version == 3 else "latin1")
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header + array.tobytes()


def npy_seeds():
    put("FuzzNPY", "v1_u1.npy", npy(np.arange(12, dtype="<u1").reshape(3, 4), 1))
    put("FuzzNPY", "v1_u2_hwc.npy", npy(np.arange(24, dtype="<u2").reshape(3, 4, 2), 1))
    put("FuzzNPY", "v2_f4.npy", npy(np.linspace(0, 1, 12, dtype="<f4").reshape(3, 4), 2))
    put("FuzzNPY", "v3_i4.npy", npy(np.arange(-6, 6, dtype="<i4").reshape(3, 4), 3))
    put("FuzzNPY", "v1_u4_rgb.npy", npy(np.arange(36, dtype="<u4").reshape(3, 4, 3), 1))


# MARK: - Shards and manifest

def shard(samples):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for key, fields in samples:
            for field, data in fields:
                info = tarfile.TarInfo(f"{key}.{field}")
                info.size, info.mtime, info.mode = len(data), 0, 0o644
                info.uname = info.gname = ""
                tar.addfile(info, io.BytesIO(data))
    data = out.getvalue()
    return data.rstrip(b"\x00").ljust(((len(data.rstrip(b"\x00")) + 511) // 512 + 2) * 512, b"\x00")


def tar_seeds():
    image = npy(np.arange(12, dtype="<u1").reshape(3, 4), 1)
    one = shard([("sample000000", [("image.npy", image), ("label.npy", image), ("json", b'{"i":0}')])])
    put("FuzzTar", "one_sample.tar", one)
    two = shard([("sample000000", [("image.npy", image)]), ("sample000001", [("image.npy", image), ("cls", b"3")])])
    put("FuzzTar", "two_samples.tar", two)
    put("FuzzTar", "empty.tar", b"\x00" * 1024)
    return [one, two]


def manifest_seeds(shards):
    entries = [
        {"bytes": len(s), "file": f"train-{i:06d}.tar", "index": i, "samples": n,
         "sha256": hashlib.sha256(s).hexdigest()}
        for i, (s, n) in enumerate(zip(shards, [1, 2]))
    ]
    manifest = {
        "formatVersion": 1,
        "parameters": {"seed": 42, "sigma": 10.5, "names": ["a", "b\u00e9"], "flip": True, "none": None},
        "plan": {"name": "train", "samplesPerShard": 2, "shardCount": 2, "totalSamples": 3},
        "shards": entries,
        "tool": {"name": "unet", "version": "0.1.0"},
        "totals": {"bytes": sum(len(s) for s in shards), "samples": 3, "shards": 2},
    }
    put("FuzzManifest", "manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    part = dict(manifest, partition={"count": 2, "index": 1}, shards=entries[1:])
    put("FuzzManifest", "manifest.part-0001-of-0002.json", (json.dumps(part, indent=2, sort_keys=True) + "\n").encode())


if __name__ == "__main__":
    png_seeds()
    tiff_seeds()
    npy_seeds()
    manifest_seeds(tar_seeds())
