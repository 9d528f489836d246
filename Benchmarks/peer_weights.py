"""Times the common scipy weight-map recipe (one distance transform per
instance, from ../shared/bench/peers_preproc.py) on label images.

Usage: peer_weights.py BENCH_DIR [--volume] LABEL...
Prints one JSON line per file and a summary line: median seconds per call,
one thread. With --volume each file is a multi-page TIFF z-stack read as one
(D, H, W) array (the recipe is the same: one 3-D transform per instance).
"""
import json, os, statistics, sys, time

bench_dir = sys.argv[1]
sys.path.insert(0, bench_dir)
import numpy as np
from PIL import Image
from scipy import ndimage
from peers_preproc import weight_map_ref

from peer_volume import read_volume as volume


args = sys.argv[2:]
volumes = "--volume" in args
args = [a for a in args if a != "--volume"]
times = []
for path in args:
    lab = volume(path) if volumes else np.array(Image.open(path))
    # The peer's own convention: a 0/255 mask becomes 4-connected components.
    inst, n = ndimage.label(lab > 127) if lab.max() == 255 else (lab, len(np.unique(lab)) - 1)
    t = time.perf_counter()
    weight_map_ref(inst)
    dt = time.perf_counter() - t
    times.append(dt)
    print(json.dumps(dict(peer="scipy-per-instance-edt", file=os.path.basename(path), instances=int(n), s=dt)), flush=True)
print(json.dumps(dict(peer="scipy-per-instance-edt", summary=True, files=len(times), median_s=statistics.median(times), total_s=sum(times))))
