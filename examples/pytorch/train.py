"""Trains the U-Net of Ronneberger et al. 2015 in PyTorch on a dataset that
`unet augment` wrote, in one process or in many (DistributedDataParallel).

    python train.py --shards DIR --out model.safetensors
    torchrun --nproc_per_node N train.py --shards DIR --out model.safetensors

The recipe is `unet train`'s: one output-sized region per sample at a random
place, its context mirrored at the sample's borders; the pixel-wise softmax
cross-entropy weighted by the sample's weight map and averaged over the
step's pixels; no normalisation layers, or batch normalisation after each
3x3 convolution (--norm-layer batch, as `unet train`'s); SGD with momentum
0.99 (or --optimizer adam/adamw, as `unet train --optimizer`, with the same
--schedule and --warmup rules); He initialisation (or the weights of
`--init`, a `unet export` file). Under torchrun each process trains on its
share of the shards (gloo on the CPU, NCCL on GPUs, one GPU per process) and
DDP averages the gradients, so a step sees N x --batch tiles (each
process's batch normalisations use its own tiles' statistics, PyTorch's
BatchNorm2d under DDP; the running statistics saved are rank 0's, which DDP
broadcasts at every step).

On a 3-D dataset (`unet augment --volume`: the manifest says "dimensions":
3) it trains the 3-D U-Net of Cicek et al. 2016 as `unet train` does:
--tile WxHxD (default: the valid tile nearest 116x116x44), the first
poolings in-plane as the manifest's voxel spacing asks (nnU-Net's rule, or
--in-plane-poolings), output-sized regions cut with mirrored context along
all three axes; the weights carry the spacing, which `unet predict
--volume` checks.

The result is a safetensors state dict with `unet export`'s names and
metadata: `unet_module.load` (or docs/pytorch.md) reads it, and --init of a
later run continues from it.
"""
import argparse
import json
import math
import os
import time

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

import unet_data
import unet_module


def make_optimizer(parameters, args):
    """`unet train`'s optimisers: torch.optim's, with its weight-decay defaults."""
    if args.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=args.lr, momentum=args.momentum, nesterov=args.nesterov,
                               weight_decay=args.weight_decay or 0.0)
    beta1, beta2 = (float(b) for b in args.betas.split(","))
    if args.optimizer == "adam":
        return torch.optim.Adam(parameters, lr=args.lr, betas=(beta1, beta2), eps=args.eps,
                                weight_decay=args.weight_decay or 0.0)
    decay = 0.01 if args.weight_decay is None else args.weight_decay
    return torch.optim.AdamW(parameters, lr=args.lr, betas=(beta1, beta2), eps=args.eps, weight_decay=decay)


def rate_factor(step, steps, schedule, warmup):
    """The learning rate of step `step` (from 1) over the base rate, as
    `TrainingConfiguration.learningRate(atStep:)` computes it."""
    factor = 1.0
    if schedule == "cosine":
        factor = 0.5 * (1 + math.cos(math.pi * (step - 1) / max(1, steps - 1)))
    elif schedule == "step":
        factor = 0.01 if step > steps * 85 // 100 else 0.1 if step > steps * 6 // 10 else 1.0
    elif schedule == "poly":
        factor = max(0.0, 1 - (step - 1) / steps) ** 0.9
    if warmup > 0 and step <= warmup:
        factor *= step / warmup
    return factor


def tile_geometry(tile, architecture):
    """The input tile and its output: sides in 2-D, (W, H, D) in 3-D, from
    the --tile text (or a default). Exits with the nearest valid sizes when
    some pooling would see an odd size, as `unet train --tile` does."""
    depth = architecture["depth"]
    if architecture.get("dimensions", 2) == 2:
        tile = int(tile or 572)
        output = unet_module.output_size(tile, depth)
        if output is None:
            raise SystemExit(f"error: tile {tile} is not valid for depth {depth}: every pooling needs an even size")
        return tile, output
    pooled_from = [0, 0, architecture.get("inPlanePoolings", 0)]  # W, H, D

    def nearest(target, axis):
        below = next((t for t in range(target, 0, -1) if unet_module.output_size(t, depth, pooled_from[axis])), None)
        above = next((t for t in range(target + 1, target + 2 ** (depth + 2) + 400)
                      if unet_module.output_size(t, depth, pooled_from[axis])), None)
        return below, above

    if tile is None:
        tile = [nearest(t, axis)[0] or nearest(t, axis)[1] for axis, t in enumerate((116, 116, 44))]
    else:
        try:
            tile = [int(t) for t in str(tile).split("x")]
        except ValueError:
            tile = []
        if len(tile) != 3:
            raise SystemExit(f"error: a 3-D network takes --tile WxHxD, got {tile}")
    output = [unet_module.output_size(t, depth, pooled_from[axis]) for axis, t in enumerate(tile)]
    for axis, (t, o) in enumerate(zip(tile, output)):
        if o is None:
            near = " or ".join(str(n) for n in nearest(t, axis) if n)
            raise SystemExit(f"error: tile side {t} ({'WHD'[axis]}) is not valid for depth {depth}: try {near}")
    return tile, output


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shards", required=True, help="dataset folder written by unet augment")
    p.add_argument("--out", required=True, help="output .safetensors file")
    p.add_argument("--init", help="initial weights (a unet export file); its architecture replaces the options below")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--time-limit", type=float, metavar="MINUTES",
                   help="stop once training has taken this many minutes (the steps' wall time, as unet train "
                        "--time-limit counts it: without start-up), or at --steps, whichever comes first")
    p.add_argument("--lr", type=float, default=0.001)
    p.add_argument("--optimizer", choices=["sgd", "adam", "adamw"], default="sgd")
    p.add_argument("--momentum", type=float, default=0.99, help="SGD's")
    p.add_argument("--nesterov", action="store_true", help="Nesterov momentum for SGD")
    p.add_argument("--weight-decay", type=float, help="L2 for sgd and adam, decoupled for adamw (default 0; adamw 0.01)")
    p.add_argument("--betas", default="0.9,0.999", help="Adam's and AdamW's beta1,beta2")
    p.add_argument("--eps", type=float, default=1e-8, help="Adam's and AdamW's epsilon")
    p.add_argument("--schedule", choices=["constant", "cosine", "step", "poly"], default="constant")
    p.add_argument("--warmup", type=int, default=0, help="steps of linear learning-rate warm-up")
    p.add_argument("--tile", help="input tile side, or WxHxD on a 3-D dataset "
                                  "(default: --init's training tile, else 572, or near 116x116x44 in 3-D)")
    p.add_argument("--in-plane-poolings", type=int,
                   help="3-D: how many of the first poolings leave the slice axis alone (default from the "
                        "dataset's voxel spacing)")
    p.add_argument("--batch", type=int, default=1, help="tiles per step and process")
    p.add_argument("--base-channels", type=int, default=64)
    p.add_argument("--depth", type=int, default=4)
    p.add_argument("--classes", type=int, default=2)
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--norm-layer", choices=["none", "batch"], default="none",
                   help="normalisation after each 3x3 convolution (unet train's --norm-layer)")
    p.add_argument("--shuffle-buffer", type=int, default=16, help="decoded samples to shuffle among")
    p.add_argument("--workers", type=int, default=2, help="DataLoader worker processes per process")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--cpu", action="store_true", help="train on the CPU even where CUDA is available")
    return p.parse_args(argv)


def main():
    args = parse_args()
    distributed = "LOCAL_RANK" in os.environ  # set by torchrun
    cuda = torch.cuda.is_available() and not args.cpu
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if cuda:
        torch.cuda.set_device(local_rank)
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    device = torch.device("cuda", local_rank) if cuda else torch.device("cpu")

    manifest = unet_data.read_manifest(args.shards)
    dimensions = manifest["parameters"].get("dimensions", 2)
    spacing = manifest["parameters"].get("spacing") if dimensions == 3 else None
    normalization = manifest["parameters"]["augment"].get("normalization")
    normalization_json = (None if normalization is None
                          else json.dumps(normalization, sort_keys=True, separators=(",", ":")))
    channels = 1 if dimensions == 3 else unet_data.input_channels(args.shards)
    start_step = 0
    if args.init:
        model, meta = unet_module.load(args.init)
        architecture = json.loads(meta["architecture"])
        if architecture.get("dimensions", 2) != dimensions:
            raise SystemExit(f"error: {args.init} holds a {architecture.get('dimensions', 2)}-D network, "
                             f"the dataset is {dimensions}-D")
        tile = args.tile or meta.get("tile")
        start_step = int(meta.get("step", 0))
        if "normalization" in meta and json.loads(meta["normalization"]) != normalization and rank == 0:
            print(f"warning: {args.init} was trained on images normalised as {meta['normalization']}, "
                  f"the dataset's are {normalization_json}", flush=True)
    else:
        architecture = {"inputChannels": channels, "classes": args.classes, "baseChannels": args.base_channels,
                        "depth": args.depth, "dropout": args.dropout}
        if args.norm_layer != "none":
            architecture["normLayer"] = args.norm_layer
        if dimensions == 3:
            architecture["dimensions"] = 3
            architecture["inPlanePoolings"] = (unet_module.in_plane_poolings(spacing, args.depth)
                                               if args.in_plane_poolings is None else args.in_plane_poolings)
        tile = args.tile
        torch.manual_seed(args.seed)  # the same initial weights on every rank
        model = unet_module.UNet(**architecture)
        unet_module.he_init_(model)
    if architecture["inputChannels"] != channels:
        raise SystemExit(f"error: the model takes {architecture['inputChannels']} channels, the images have {channels}")
    tile, output = tile_geometry(tile, architecture)

    model.to(device)
    net = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None) if distributed else model
    torch.manual_seed(args.seed + 1 + rank)  # dropout differs between ranks
    optimizer = make_optimizer(net.parameters(), args)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda t: rate_factor(t + 1, args.steps, args.schedule, args.warmup))
    if dimensions == 3:
        # (D, H, W) for the cutting; the files and messages say WxHxD.
        tiles = unet_data.volume_tiles(args.shards, tile[::-1], output[::-1], seed=args.seed, buffer=args.shuffle_buffer)
        tile, output = "x".join(map(str, tile)), "x".join(map(str, output))
    else:
        tiles = unet_data.tiles(args.shards, tile, output, seed=args.seed, buffer=args.shuffle_buffer)
    loader = DataLoader(tiles,
                        batch_size=args.batch, num_workers=args.workers, pin_memory=cuda)
    if rank == 0:
        norm = ", batch norm" if architecture.get("normLayer", "none") == "batch" else ""
        if dimensions == 3:
            norm += f", 3-D, {architecture['inPlanePoolings']} in-plane poolings"
        print(f"train: {architecture['baseChannels']} base channels, depth {architecture['depth']}{norm}, "
              f"tile {tile} -> {output}, {world} x batch {args.batch}, lr {args.lr} ({args.schedule}, "
              f"warm-up {args.warmup}), {args.optimizer}, "
              f"{device.type}{' (DDP, ' + dist.get_backend() + ')' if distributed else ''}, "
              f"{manifest['totals']['samples']} samples in {manifest['totals']['shards']} shards", flush=True)

    net.train()
    batches = iter(loader)
    start = time.time()
    limit = None if args.time_limit is None else args.time_limit * 60
    steps_done = 0
    for step in range(1, args.steps + 1):
        image, labels, weights = (t.to(device, non_blocking=True) for t in next(batches))
        logits = net(image)
        assert logits.shape[2:] == labels.shape[1:], (logits.shape, labels.shape)
        loss = (F.cross_entropy(logits, labels, reduction="none") * weights).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        steps_done = step
        # Every rank stops at the same step: rank 0's clock decides.
        stop = limit is not None and time.time() - start >= limit
        if limit is not None and distributed:
            flag = torch.tensor([1.0 if stop else 0.0], device=device)
            dist.broadcast(flag, 0)
            stop = flag.item() > 0
        if step % args.log_every == 0 or step == args.steps or stop:
            mean = loss.detach().clone()
            if distributed:
                dist.all_reduce(mean)
                mean /= world
            if rank == 0:
                print(f"step {step}/{args.steps}  loss {mean.item():.4f}  "
                      f"{(time.time() - start) / step:.3f} s/step  {(time.time() - start) / 60:.2f} min",
                      flush=True)
        if stop:
            break

    if rank == 0:
        temporary = args.out + ".tmp"
        unet_module.save(model, temporary, architecture, tile=tile, step=start_step + steps_done,
                         normalization=normalization_json,
                         spacing=spacing and json.dumps(spacing, sort_keys=True, separators=(",", ":")))
        os.replace(temporary, args.out)
        print(f"train: {steps_done} steps in {time.time() - start:.1f} s -> {args.out}", flush=True)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
