"""Times the elastic-deformation peers on one 512x512 image + its labels,
one thread, as ../shared/bench/peers_preproc.py does: elasticdeform
(3x3 grid, sigma 10, cubic image + nearest labels, mirror) and
albumentations ElasticTransform and GridDistortion. One JSON line each:
the median seconds per call.

With --volume LABEL and IMAGE are TIFF z-stacks and the peer is
elasticdeform's 3-D deform_random_grid (points=3, sigma 10, order [3, 0],
mirror) on the (D, H, W) image + labels.

Usage: peer_augment.py [--volume] LABEL IMAGE [REPS]
"""
import json, statistics, sys, time

import numpy as np
from PIL import Image
from scipy import ndimage


def timeit(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


from peer_volume import read_volume as volume


args = sys.argv[1:]
if args and args[0] == "--volume":
    import elasticdeform
    lab, img = volume(args[1]).astype(np.float32), volume(args[2]).astype(np.float32)
    reps = int(args[3]) if len(args) > 3 else 5
    t = timeit(lambda: elasticdeform.deform_random_grid([img, lab], sigma=10, points=3, order=[3, 0], mode="mirror"), reps)
    print(json.dumps(dict(peer="elasticdeform", task="3-D elastic3x3x3 image(cubic)+labels(nearest)", shape=list(img.shape), s=t)), flush=True)
    sys.exit(0)

lab = np.array(Image.open(sys.argv[1]))
inst, n = ndimage.label(lab > 127) if lab.max() == 255 else (lab, int(lab.max()))
img = np.array(Image.open(sys.argv[2])).astype(np.float32)
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 20

import elasticdeform
t = timeit(lambda: elasticdeform.deform_random_grid([img, inst.astype(np.float32)], sigma=10, points=3, order=[3, 0], mode="mirror"), reps)
print(json.dumps(dict(peer="elasticdeform", task="elastic3x3 image(cubic)+labels(nearest)", s=t)), flush=True)
import albumentations as A
tr = A.ElasticTransform(alpha=1, sigma=50, p=1.0)
t = timeit(lambda: tr(image=img, mask=inst.astype(np.int32)), reps)
print(json.dumps(dict(peer="albumentations-ElasticTransform", task="elastic-dense", s=t)), flush=True)
tr = A.GridDistortion(num_steps=3, distort_limit=0.3, p=1.0)
t = timeit(lambda: tr(image=img, mask=inst.astype(np.int32)), reps)
print(json.dumps(dict(peer="albumentations-GridDistortion", task="grid3 (piecewise linear)", s=t)), flush=True)
