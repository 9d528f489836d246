"""The unetkit Python package against the Python peers, in one process.

Times unetkit.weight_map against the scipy per-instance recipe
(../shared/bench/peers_preproc.py) and unetkit.elastic against
elasticdeform, MONAI's Rand2DElasticd / Rand3DElasticd and albumentations'
ElasticTransform (where they import), on 512x512 ISBI labels and images and
on a 64x256x256 volume; then two threads against one. Every peer runs on one
thread (OMP_NUM_THREADS=1, torch.set_num_threads(1)); unetkit computes on the
calling thread. One JSON line per measurement (median seconds per call).

Usage: python_bench.py BENCH_DIR LABELS_DIR IMAGES_DIR VOLUME_TIF [--no-3d-peer] [--threads-only]
(--threads-only: the two-threads-against-one part alone, which needs an idle machine)
"""
import json, statistics, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

bench_dir, labels_dir, images_dir, volume_path = sys.argv[1:5]
skip_3d_peer = "--no-3d-peer" in sys.argv
sys.path.insert(0, bench_dir)
sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers_preproc import weight_map_ref  # noqa: E402
from peer_volume import read_volume  # noqa: E402

import unetkit  # noqa: E402


def median_time(fn, reps, warm=1):
    for _ in range(warm):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return statistics.median(times)


def report(**fields):
    print(json.dumps(fields), flush=True)


def optional(name):
    try:
        return __import__(name)
    except Exception as error:  # noqa: BLE001 - any import failure means "not installed"
        report(peer=name, skipped=f"{type(error).__name__}: {error}")
        return None


labels = [np.array(Image.open(p)) for p in sorted(Path(labels_dir).glob("*.png"))]
images = [np.array(Image.open(p)).astype(np.float32) for p in sorted(Path(images_dir).glob("*.png"))]
instances = [ndimage.label(lab > 127)[0] for lab in labels]  # the recipe's own convention


def threads(task, calls):
    serial = median_time(lambda: [c() for c in calls], 3)
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = median_time(lambda: list(pool.map(lambda c: c(), calls)), 3)
    report(task=f"{task}: two threads against one", one_thread_s=serial, two_threads_s=pooled,
           speedup=serial / pooled)


def two_threads_against_one():
    """The same unetkit calls serially and from a pool of two threads."""
    count = min(8, len(labels), len(images))
    threads(f"weight_map, {count} ISBI labels", [lambda lab=lab: unetkit.weight_map(lab) for lab in labels[:count]])
    threads(f"elastic, {count} ISBI images+labels",
            [lambda i=i: unetkit.elastic(images[i], instances[i].astype(np.uint32), order=[3, 0], seed=i)
             for i in range(count)])


if "--threads-only" in sys.argv:
    two_threads_against_one()
    sys.exit(0)

# 1. 2-D weight maps: each of the ISBI labels, median over the labels.
ours = [median_time(lambda lab=lab: unetkit.weight_map(lab), 3) for lab in labels]
peer = [median_time(lambda inst=inst: weight_map_ref(inst), 1, warm=0) for inst in instances[:5]]
report(task="weight_map 2-D 512x512 ISBI", unetkit_s=statistics.median(ours), scipy_s=statistics.median(peer),
       labels=len(ours), peer_labels=len(peer), speedup=statistics.median(peer) / statistics.median(ours))

# 2. 2-D elastic: one image + its labels, 3x3 grid, sigma 10, cubic + nearest, mirror.
img, inst = images[0], instances[0].astype(np.uint32)
seeds = iter(range(10**6))
ours = median_time(lambda: unetkit.elastic(img, inst, order=[3, 0], sigma=10, grid=3, seed=next(seeds)), 20)
report(task="elastic 2-D 512x512 image+labels", peer="unetkit", s=ours)
peers = {}
elasticdeform = optional("elasticdeform")
if elasticdeform:
    peers["elasticdeform.deform_random_grid"] = lambda: elasticdeform.deform_random_grid(
        [img, inst.astype(np.float32)], sigma=10, points=3, order=[3, 0], mode="mirror")
monai_transforms = optional("monai.transforms")
if monai_transforms:
    import torch
    torch.set_num_threads(1)
    from monai.transforms import Rand2DElasticd
    rand2d = Rand2DElasticd(keys=["image", "label"], spacing=(256, 256), magnitude_range=(10, 10), prob=1.0,
                            mode=("bicubic", "nearest"), padding_mode="reflection")
    rand2d.set_random_state(seed=0)
    peers["monai.Rand2DElasticd"] = lambda: rand2d({"image": img[None], "label": inst[None].astype(np.float32)})
albumentations = optional("albumentations")
if albumentations:
    dense = albumentations.ElasticTransform(alpha=1, sigma=50, p=1.0)
    peers["albumentations.ElasticTransform"] = lambda: dense(image=img, mask=inst.astype(np.int32))
for name, fn in peers.items():
    s = median_time(fn, 10)
    report(task="elastic 2-D 512x512 image+labels", peer=name, s=s, speedup=s / ours)

# 3. 3-D: the volume of touching nuclei (64x256x256 in Benchmarks/python.sh).
volume_labels = read_volume(volume_path).astype(np.uint32)
vshape = "x".join(map(str, volume_labels.shape))
volume_image = (volume_labels > 0).astype(np.float32) + np.random.default_rng(0).random(volume_labels.shape,
                                                                                        dtype=np.float32)
ours = median_time(lambda: unetkit.weight_map(volume_labels), 3)
n = len(np.unique(volume_labels)) - 1
if skip_3d_peer:
    report(task=f"weight_map 3-D {vshape}", unetkit_s=ours, instances=n, scipy_s=None)
else:
    peer = median_time(lambda: weight_map_ref(volume_labels), 1, warm=0)
    report(task=f"weight_map 3-D {vshape}", unetkit_s=ours, instances=n, scipy_s=peer, speedup=peer / ours)
ours = median_time(lambda: unetkit.elastic(volume_image, volume_labels, order=[3, 0], sigma=10, seed=next(seeds)), 3)
report(task=f"elastic 3-D {vshape} image+labels", peer="unetkit", s=ours)
if elasticdeform:
    s = median_time(lambda: elasticdeform.deform_random_grid(
        [volume_image, volume_labels.astype(np.float32)], sigma=10, points=3, order=[3, 0], mode="mirror"), 1, warm=0)
    report(task=f"elastic 3-D {vshape} image+labels", peer="elasticdeform.deform_random_grid", s=s, speedup=s / ours)
if monai_transforms:
    from monai.transforms import Rand3DElasticd
    rand3d = Rand3DElasticd(keys=["image", "label"], sigma_range=(10, 10), magnitude_range=(10, 10), prob=1.0,
                            mode=("bilinear", "nearest"), padding_mode="reflection")
    rand3d.set_random_state(seed=0)
    s = median_time(lambda: rand3d({"image": volume_image[None], "label": volume_labels[None].astype(np.float32)}),
                    1, warm=0)
    report(task=f"elastic 3-D {vshape} image+labels", peer="monai.Rand3DElasticd (trilinear image)", s=s,
           speedup=s / ours)

# 4. Two threads against one: the same calls, serially and from a pool of two.
two_threads_against_one()


# 5. The GIL: how fast a pure-Python loop runs in the main thread while
# another thread is inside unetkit.weight_map (3-D), against the same loop
# alone. Near 0 would mean the GIL is held during the computation.
def loop_rate(seconds=None, until=None):
    count, start = 0, time.perf_counter()
    while (until is None or not until.is_set()) and (seconds is None or time.perf_counter() - start < seconds):
        count += 1
    return count / (time.perf_counter() - start)


import threading  # noqa: E402

alone = loop_rate(seconds=1.0)
done = threading.Event()
worker = threading.Thread(target=lambda: (unetkit.weight_map(volume_labels), done.set()))
worker.start()
during = loop_rate(until=done)
worker.join()
report(task=f"Python loop in the main thread during weight_map 3-D {vshape} in another thread",
       iterations_per_s_alone=alone, iterations_per_s_during=during, ratio=during / alone)
