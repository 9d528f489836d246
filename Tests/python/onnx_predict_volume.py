"""Class-1 probabilities of a 3-D `unet export --format onnx` model computed
by onnxruntime on the CPU, after onnx.checker has checked the model: the
normalised volume is mirror-padded by the network's margins (numpy's
'reflect', as `unet predict --volume` extends volumes) and run as one
input, whose padded sizes must be valid.

Usage: onnx_predict_volume.py MODEL.onnx VOLUME.npy MZ MY MX OUT.npy
(VOLUME float32 (D, H, W), normalised; MZ, MY, MX the margins) writes OUT.npy:
float32 (D, H, W), the probability of class 1.
"""
import sys

import numpy as np
import onnx
import onnxruntime as ort

model_path, volume_path = sys.argv[1:3]
margins = [int(m) for m in sys.argv[3:6]]
out_path = sys.argv[6]
onnx.checker.check_model(onnx.load(model_path), full_check=True)
volume = np.load(volume_path).astype(np.float32)
padded = np.pad(volume, [(m, m) for m in margins], mode="reflect")
session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
probabilities = session.run(None, {name: padded[None, None]})[0]
assert probabilities.shape[2:] == volume.shape, (probabilities.shape, volume.shape)
np.save(out_path, probabilities[0, 1].astype(np.float32))
