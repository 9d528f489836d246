"""The border term of a 3-D weight map by the common scipy recipe (one
anisotropic Euclidean distance transform per instance,
`scipy.ndimage.distance_transform_edt(labels != k, sampling=spacing)`, the
two smallest per voxel), compared with `unet weights --volume` output.

Usage: weights_3d_scipy.py LABELS.tif WEIGHTS.npy Z,Y,X W0 SIGMA TAU
Prints one JSON line: the voxels compared, the largest difference where
the recipe's term is at least TAU, and the largest recipe term where
UNetKit wrote 0 (the term is dropped only below TAU).
"""
import json, sys

import numpy as np
from PIL import Image
from scipy import ndimage

labels_path, weights_path, spacing, w0, sigma, tau = sys.argv[1:7]
spacing = [float(v) for v in spacing.split(",")]
w0, sigma, tau = float(w0), float(sigma), float(tau)
im = Image.open(labels_path)
pages = []
for i in range(im.n_frames):
    im.seek(i)
    pages.append(np.array(im))
labels = np.stack(pages).astype(np.int64)
ours = np.load(weights_path).astype(np.float64)
assert ours.shape == labels.shape, (ours.shape, labels.shape)

ids = [k for k in np.unique(labels) if k != 0]
d1 = np.full(labels.shape, np.inf)
d2 = np.full(labels.shape, np.inf)
for k in ids:
    d = ndimage.distance_transform_edt(labels != k, sampling=spacing)
    d2 = np.where(d < d1, d1, np.minimum(d2, d))
    d1 = np.minimum(d1, d)
term = np.where(labels == 0, w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma ** 2)), 0.0)
kept = term >= tau
print(json.dumps({
    "voxels": int(labels.size),
    "instances": len(ids),
    "max_diff_kept": float(np.abs(ours - term)[kept].max()) if kept.any() else 0.0,
    "kept": int(kept.sum()),
    "max_dropped": float(term[(ours == 0) & (labels == 0)].max(initial=0.0)),
}))
