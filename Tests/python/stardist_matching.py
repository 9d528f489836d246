"""StarDist's object matching of label volumes, for comparison with
UNetKit's AveragePrecision.

Usage: stardist_matching.py THRESHOLDS TRUTH.npy PRED.npy [TRUTH.npy PRED.npy ...]
THRESHOLDS is a comma-separated list of IoU thresholds. Prints one JSON
object: "volumes", per pair the tp, fp, fn and accuracy of
`stardist.matching.matching(y_true, y_pred, thresh=THRESHOLDS,
criterion="iou")` at each threshold, and "dataset", those of
`matching_dataset(..., by_image=False)` over all pairs.
"""
import json, sys

import numpy as np
from stardist.matching import matching, matching_dataset

thresholds = [float(t) for t in sys.argv[1].split(",")]
paths = sys.argv[2:]
pairs = [(np.load(paths[i]).astype(np.int64), np.load(paths[i + 1]).astype(np.int64)) for i in range(0, len(paths), 2)]


def fields(stats):
    return {k: [getattr(s, k) for s in stats] for k in ("tp", "fp", "fn", "accuracy")}


volumes = [fields(matching(t, p, thresh=thresholds, criterion="iou")) for t, p in pairs]
dataset = matching_dataset([t for t, _ in pairs], [p for _, p in pairs], thresh=thresholds, criterion="iou",
                           by_image=False, show_progress=False)
print(json.dumps({"volumes": volumes, "dataset": fields(dataset)}, default=float))
