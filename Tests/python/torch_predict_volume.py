"""Foreground probabilities of a 3-D weights file computed in PyTorch with
the module and helpers of examples/pytorch: the raw volume is normalised
as the file's metadata says (over the whole volume), mirrored by the
network's margin along each axis (numpy's 'reflect', as `unet predict
--volume` extends volumes), run through the module once in eval mode and
turned into probabilities by a softmax over the classes. The padded volume
must be a valid tile, so that one forward pass covers it.

Usage: torch_predict_volume.py EXAMPLES_DIR WEIGHTS.safetensors VOLUME.npy DEPTH OUT.npy
VOLUME.npy holds the raw slices stacked, (DEPTH * H) x W; writes OUT.npy:
float32 (DEPTH * H) x W, the probability of class 1.
"""
import json
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[1])
import unet_data  # noqa: E402
import unet_module  # noqa: E402

weights, volume_path, slices, out_path = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
model, metadata = unet_module.load(weights)
model.eval()
architecture = json.loads(metadata["architecture"])
depth, pooled_from = architecture["depth"], architecture.get("inPlanePoolings", 0)
flat = unet_data.normalize(np.load(volume_path), metadata["normalization"])[0]
volume = flat.reshape(slices, -1, flat.shape[1])
margins = [unet_module.margin(depth, pooled_from), unet_module.margin(depth), unet_module.margin(depth)]
padded = np.pad(volume, [(m, m) for m in margins], mode="reflect")
for axis, pooled in enumerate([pooled_from, 0, 0]):
    assert unet_module.output_size(padded.shape[axis], depth, pooled) == volume.shape[axis], (padded.shape, axis)
with torch.no_grad():
    logits = model(torch.from_numpy(np.ascontiguousarray(padded))[None, None])
probabilities = torch.softmax(logits, dim=1)[0, 1].numpy().astype(np.float32)
assert probabilities.shape == volume.shape, (probabilities.shape, volume.shape)
np.save(out_path, probabilities.reshape(flat.shape))
