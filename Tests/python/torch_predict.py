"""Foreground probabilities of a `unet export` file computed in PyTorch with
the module and helpers of examples/pytorch: the raw image is normalised as
the file's metadata says, mirror-padded by the network's margin (numpy's
'reflect', as `unet predict` extends images), run through the module in
eval mode and turned into probabilities by a softmax over the classes.
The image's padded side must be a valid tile, so that one forward pass
covers it.

Usage: torch_predict.py EXAMPLES_DIR WEIGHTS.safetensors IMAGE.npy OUT.npy
writes OUT.npy: float32 H x W, the probability of class 1.
"""
import json
import sys

import numpy as np
import torch

sys.path.insert(0, sys.argv[1])
import unet_data  # noqa: E402
import unet_module  # noqa: E402

weights, image_path, out_path = sys.argv[2:5]
model, metadata = unet_module.load(weights)
model.eval()
depth = json.loads(metadata["architecture"])["depth"]
m = unet_module.margin(depth)
image = unet_data.normalize(np.load(image_path), metadata["normalization"])
padded = np.pad(image, ((0, 0), (m, m), (m, m)), mode="reflect")
assert unet_module.output_size(padded.shape[1], depth) == image.shape[1], (padded.shape, image.shape)
with torch.no_grad():
    logits = model(torch.from_numpy(padded)[None])
probabilities = torch.softmax(logits, dim=1)[0, 1].numpy().astype(np.float32)
assert probabilities.shape == image.shape[1:], (probabilities.shape, image.shape)
np.save(out_path, probabilities)
