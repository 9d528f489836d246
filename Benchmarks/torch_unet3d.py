"""The 3-D U-Net (Cicek et al. 2016) training step in PyTorch, timed as
../shared/bench/torch_unet_ref.py times the 2-D one: examples/pytorch's
UNet(dimensions=3) (nn.Conv3d, max_pool3d, ConvTranspose3d, valid
convolutions; the network `unet bench --tile WxHxD` trains), pixel-weighted
softmax cross-entropy, SGD with momentum 0.99, batch 1, random data.

    torch_unet3d.py --tile 116x116x52 --base 16 --depth 3 --in-plane-poolings 1

Prints one JSON line: the median seconds per step (step_s) over --steps
after --warm untimed ones.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "pytorch"))
import unet_module  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tile", default="116x116x52", help="WxHxD")
    ap.add_argument("--base", type=int, default=16)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--in-plane-poolings", type=int, default=0)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warm", type=int, default=1)
    a = ap.parse_args()
    w, h, d = (int(s) for s in a.tile.split("x"))
    torch.manual_seed(0)
    model = unet_module.UNet(baseChannels=a.base, depth=a.depth, dimensions=3, inPlanePoolings=a.in_plane_poolings)
    unet_module.he_init_(model)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.99)
    x = torch.randn(1, 1, d, h, w)
    with torch.no_grad():
        out = model(x).shape[2:]
    y = torch.randint(0, 2, (1, *out))
    weights = torch.rand(1, *out) + 0.5

    def step():
        opt.zero_grad(set_to_none=True)
        loss = (F.cross_entropy(model(x), y, reduction="none") * weights).mean()
        loss.backward()
        opt.step()

    times = []
    for i in range(a.warm + a.steps):
        t0 = time.perf_counter()
        step()
        if i >= a.warm:
            times.append(time.perf_counter() - t0)
    print(json.dumps({"tile": a.tile, "out": "x".join(map(str, reversed(out))), "base": a.base, "depth": a.depth,
                      "inPlanePoolings": a.in_plane_poolings, "step_s": statistics.median(times),
                      "min_s": min(times), "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
