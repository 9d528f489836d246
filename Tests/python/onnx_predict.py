"""Foreground probabilities of a `unet export --format onnx` model computed by
onnxruntime on the CPU, after onnx.checker has checked the model: the raw
image is normalised as the model's metadata says (`normalization`),
mirror-padded by its `margin` (numpy's 'reflect', as `unet predict`
extends images) and run once as a batch of 1 and once as a batch of 2 (the
image twice), which must agree, and once with one more step of rows (a
rectangular input). The padded side must be a valid input size
(`input_size_minimum` + k `input_size_step`).

Usage: onnx_predict.py MODEL.onnx IMAGE.npy OUT.npy
writes OUT.npy (float32 H x W, the probability of class 1) and prints the
model's opset, operator types and metadata as JSON.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort


def normalize(image, normalization):
    """float32 C x H x W, each channel (v - low) / (high - low) in float64
    (v - low where high == low), as UNetKit's `Normalization` does."""
    x = np.asarray(image)
    x = x[None] if x.ndim == 2 else np.moveaxis(x, -1, 0)
    (kind, arguments), = normalization.items()
    out = np.empty(x.shape, np.float32)
    for c, channel in enumerate(x.astype(np.float64)):
        if kind == "percentile":
            low, high = np.percentile(channel, [arguments["lowPercent"], arguments["highPercent"]])
        elif kind == "range":
            low, high = 0.0, (1.0 if np.issubdtype(x.dtype, np.floating) else float(np.iinfo(x.dtype).max))
        else:
            low, high = 0.0, 1.0
        out[c] = (channel - low) / (high - low) if high > low else channel - low
    return out


model_path, image_path, out_path = sys.argv[1:4]
model = onnx.load(model_path)
onnx.checker.check_model(model, full_check=True)
metadata = {p.key: p.value for p in model.metadata_props}
margin = int(metadata["margin"])
minimum, step = int(metadata["input_size_minimum"]), int(metadata["input_size_step"])

image = normalize(np.load(image_path), json.loads(metadata["normalization"]))
padded = np.pad(image, ((0, 0), (margin, margin), (margin, margin)), mode="reflect")
for side in padded.shape[1:]:
    assert side >= minimum and (side - minimum) % step == 0, (side, minimum, step)

session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
one = session.run(["probabilities"], {"input": padded[None]})[0]
two = session.run(["probabilities"], {"input": np.stack([padded, padded])})[0]
assert one.shape == (1, one.shape[1]) + image.shape[1:], (one.shape, image.shape)
assert two.shape[0] == 2 and np.abs(two - one).max() <= 1e-6, np.abs(two - one).max()
assert np.abs(one.sum(axis=1) - 1).max() <= 1e-5
# Height and width are independent: a taller input (one more step of rows)
# gives the same probabilities in its common top rows, up to the rows
# whose input windows differ (the reflected bottom border).
tall = np.pad(image, ((0, 0), (margin, margin + step), (margin, margin)), mode="reflect")
taller = session.run(["probabilities"], {"input": tall[None]})[0]
assert taller.shape[2:] == (image.shape[1] + step, image.shape[2]), taller.shape
common = image.shape[1] - 2 * margin
assert np.abs(taller[:, :, :common] - one[:, :, :common]).max() <= 1e-5
np.save(out_path, one[0, 1].astype(np.float32))
print(json.dumps({
    "opset": max(o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
    "operators": sorted({n.op_type for n in model.graph.node}),
    "metadata": metadata,
}))
