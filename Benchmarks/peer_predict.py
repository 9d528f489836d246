"""Overlap-tile prediction with onnxruntime, on the plan `unet predict` uses,
and helpers for Benchmarks/predict.sh.

  peer_predict.py weights OUT.safetensors BASE DEPTH TILE
      writes a weights file of He-initialised parameters (seed 0) that
      `unet predict` and `unet export` read: the timing does not depend on
      the values, and no training run is needed.
  peer_predict.py predict MODEL.onnx THREADS ROUNDS IMAGE... 
      predicts every image ROUNDS times with one onnxruntime session of
      THREADS intra-op threads and prints one JSON line per round: the
      seconds of the round (reading, normalising, tiling, running, stitching
      every image; the session's creation is timed apart), and the
      foreground probabilities of the last round in IMAGE's folder's
      sibling onnx/NAME.npy.

The plan is TiledPredictor's: the image normalised by its 1st and 99.8th
percentiles, tile origins on a grid of 2^depth pixels with a stride of the
output size rounded down to that grid, each input tile the window `margin`
pixels around its output mirrored at the image's edges (numpy's reflect),
tiles run one at a time (batch 1), class probabilities from the model's
softmax.
"""
import json
import os
import struct
import sys
import time

import numpy as np


def weights(out, base, depth, tile):
    ch = [base * 2 ** i for i in range(depth + 1)]
    specs = []
    def conv(name, cin, cout, k):
        specs.append((name + ".weight", [cout, cin, k, k], cin * k * k))
        specs.append((name + ".bias", [cout], 0))
    def block(name, cin, cout):
        conv(name + ".0", cin, cout, 3)
        conv(name + ".2", cout, cout, 3)
    for level in range(depth + 1):
        block(f"down.{level}", 1 if level == 0 else ch[level - 1], ch[level])
    for step in range(depth):
        level = depth - step
        specs.append((f"up.{step}.weight", [ch[level], ch[level - 1], 2, 2], ch[level]))
        specs.append((f"up.{step}.bias", [ch[level - 1]], 0))
        block(f"dec.{step}", 2 * ch[level - 1], ch[level - 1])
    conv("head", base, 2, 1)
    rng = np.random.default_rng(0)
    header, blobs, offset = {}, [], 0
    for name, shape, fan_in in specs:
        values = (rng.standard_normal(shape) * np.sqrt(2 / fan_in) if fan_in else np.zeros(shape)).astype("<f4")
        blob = values.tobytes()
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    architecture = {"baseChannels": base, "classes": 2, "depth": depth, "dropout": 0.5, "inputChannels": 1}
    header["__metadata__"] = {
        "format": "unetkit-weights", "architecture": json.dumps(architecture), "tile": str(tile),
        "normalization": json.dumps({"percentile": {"highPercent": 99.8, "lowPercent": 1}}),
    }
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def predict(model, threads, rounds, images):
    import onnx
    import onnxruntime as ort
    from PIL import Image

    meta = {p.key: p.value for p in onnx.load(model, load_external_data=False).metadata_props}
    margin, depth = int(meta["margin"]), json.loads(meta["architecture"])["depth"]
    tile = int(meta["tile"])
    output = tile - 2 * margin
    period = 2 ** depth
    stride = output // period * period if output >= period else output
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    start = time.perf_counter()
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    print(json.dumps({"session_s": time.perf_counter() - start}), flush=True)
    for r in range(rounds):
        start = time.perf_counter()
        results = []
        tiles = 0
        for path in images:
            raw = np.asarray(Image.open(path)).astype(np.float64)
            low, high = np.percentile(raw, [1, 99.8])
            x = ((raw - low) / (high - low) if high > low else raw - low).astype(np.float32)
            h, w = x.shape
            # Every tile's window lies inside the image mirrored by this much.
            pad = margin + stride + output
            padded = np.pad(x, pad, mode="reflect")
            probabilities = np.empty((h, w), np.float32)
            for y0 in range(0, h, stride):
                for x0 in range(0, w, stride):
                    window = padded[y0 - margin + pad:y0 - margin + pad + tile, x0 - margin + pad:x0 - margin + pad + tile]
                    p = session.run(None, {"input": window[None, None]})[0]
                    hh, ww = min(stride, h - y0), min(stride, w - x0)
                    probabilities[y0:y0 + hh, x0:x0 + ww] = p[0, 1, :hh, :ww]
                    tiles += 1
            results.append((path, probabilities))
        seconds = time.perf_counter() - start
        print(json.dumps({"round": r, "s": seconds, "tiles": tiles}), flush=True)
    for path, probabilities in results:
        folder = os.path.join(os.path.dirname(os.path.dirname(path)), "onnx")
        os.makedirs(folder, exist_ok=True)
        np.save(os.path.join(folder, os.path.splitext(os.path.basename(path))[0] + ".npy"), probabilities)


if sys.argv[1] == "weights":
    weights(sys.argv[2], *map(int, sys.argv[3:6]))
else:
    predict(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
