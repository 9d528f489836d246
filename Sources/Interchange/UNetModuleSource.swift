// The source of examples/pytorch/unet_module.py, which the BioImage Model Zoo
// package ships as the architecture of its pytorch_state_dict weights.
// InterchangeTests checks that it is the file (with its final newline, which
// `moduleFile` adds back); copy the file in again after changing it.
extension TorchStateDict {
  /// examples/pytorch/unet_module.py.
  public static var moduleFile: String { moduleSource + "\n" }

  static let moduleSource = #"""
"""The U-Net of Ronneberger, Fischer, Brox (MICCAI 2015, arXiv:1505.04597) as
a plain PyTorch module whose state-dict names and layouts are those that
`unet export` writes (see docs/pytorch.md), plus the few helpers around it:
tile geometry, He initialisation, and reading and writing weights as
safetensors with UNetKit's metadata.

Tensors are N x C x H x W. Convolutions are unpadded ("valid"): an input
tile of T pixels gives an output of `output_size(T, depth)` pixels, smaller
by 2 * `margin(depth)`.

With `dimensions=3` (`unet train` on a 3-D dataset) it is the 3-D U-Net of
Cicek et al. (MICCAI 2016, arXiv:1606.06650): N x C x D x H x W tensors,
Conv3d, 2 x 2 x 2 max pooling and ConvTranspose3d. With `inPlanePoolings=p`
the first p poolings (and the last p up-convolutions) have 1 x 2 x 2
windows, for volumes whose slices lie further apart than their pixels;
`output_size(T, depth, pooled_levels)` gives the slice axis's size.

With `normLayer="batch"` (`unet train --norm-layer batch`) each block is
Conv2d(bias=False), BatchNorm2d, ReLU, twice (state-dict indices 0, 1, 3,
4); BatchNorm2d's defaults (eps 1e-5, momentum 0.1) are UNetKit's. In eval
mode it normalises with the running statistics, as `unet predict` does.
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file


def block(cin, cout, norm_layer="none", dimensions=2):
    conv = nn.Conv3d if dimensions == 3 else nn.Conv2d
    norm = nn.BatchNorm3d if dimensions == 3 else nn.BatchNorm2d
    if norm_layer == "batch":
        return nn.Sequential(conv(cin, cout, 3, bias=False), norm(cout), nn.ReLU(inplace=True),
                             conv(cout, cout, 3, bias=False), norm(cout), nn.ReLU(inplace=True))
    if norm_layer != "none":
        raise ValueError(f"normLayer {norm_layer!r} is not none or batch")
    return nn.Sequential(conv(cin, cout, 3), nn.ReLU(inplace=True),
                         conv(cout, cout, 3), nn.ReLU(inplace=True))


def crop(x, *size):
    """The centre of x's spatial axes, `size` along each."""
    index = [slice(None), slice(None)]
    for axis, s in enumerate(size):
        d = (x.shape[2 + axis] - s) // 2
        index.append(slice(d, d + s))
    return x[tuple(index)]


def pooling_window(level, dimensions=2, inPlanePoolings=0):
    """The window of pooling `level` (0 the first) and of the up-convolution
    that undoes it."""
    if dimensions == 2:
        return (2, 2)
    return (1 if level < inPlanePoolings else 2, 2, 2)


class UNet(nn.Module):
    def __init__(self, inputChannels=1, classes=2, baseChannels=64, depth=4, dropout=0.5, normLayer="none",
                 dimensions=2, inPlanePoolings=0):
        super().__init__()
        if dimensions not in (2, 3):
            raise ValueError(f"dimensions {dimensions!r} is not 2 or 3")
        ch = [baseChannels * 2 ** i for i in range(depth + 1)]
        n, d = normLayer, dimensions
        self.windows = [pooling_window(level, d, inPlanePoolings) for level in range(depth)]
        up = nn.ConvTranspose3d if d == 3 else nn.ConvTranspose2d
        self.down = nn.ModuleList([block(inputChannels, ch[0], n, d)] + [block(ch[i - 1], ch[i], n, d) for i in range(1, depth + 1)])
        self.up = nn.ModuleList([up(ch[i], ch[i - 1], self.windows[i - 1], stride=self.windows[i - 1])
                                 for i in range(depth, 0, -1)])
        self.dec = nn.ModuleList([block(ch[i], ch[i - 1], n, d) for i in range(depth, 0, -1)])
        self.drop = nn.Dropout(dropout)
        self.head = (nn.Conv3d if d == 3 else nn.Conv2d)(ch[0], classes, 1)
        self.pool = F.max_pool3d if d == 3 else F.max_pool2d

    def forward(self, x):
        skips = []
        for i, b in enumerate(self.down):
            x = b(x)
            if i < len(self.down) - 1:
                skips.append(x); x = self.pool(x, self.windows[i])
        x = self.drop(x)
        for up, dec, s in zip(self.up, self.dec, reversed(skips)):
            x = up(x)
            x = dec(torch.cat([crop(s, *x.shape[2:]), x], 1))
        return self.head(x)


class UNetProbabilities(UNet):
    """The class probabilities (softmax over the channels) rather than the
    logits: what `unet predict` and the ONNX model of `unet export --format
    onnx` give; the callable of the BioImage Model Zoo package's
    pytorch_state_dict weights."""

    def forward(self, x):
        return torch.softmax(super().forward(x), dim=1)


def output_size(tile, depth, pooled_from=0):
    """The output side for an input tile of `tile` pixels, or None when some
    pooling would see an odd size (the same rule as `unet train --tile`).
    `pooled_from`: the first pooling that halves this axis (a 3-D network's
    inPlanePoolings for the slice axis, else 0)."""
    size = tile
    for level in range(depth):
        size -= 4
        if size <= 0:
            return None
        if level >= pooled_from:
            if size % 2:
                return None
            size //= 2
    size -= 4
    if size <= 0:
        return None
    for level in reversed(range(depth)):
        size = size * (2 if level >= pooled_from else 1) - 4
    return size if size > 0 else None


def margin(depth, pooled_from=0):
    """Pixels lost on each side between input and output (92 for depth 4)."""
    lost, scale = 0, 1
    for level in range(depth):
        lost += 4 * scale
        scale *= 2 if level >= pooled_from else 1
    lost += 4 * scale
    for level in reversed(range(depth)):
        scale //= 2 if level >= pooled_from else 1
        lost += 4 * scale
    return lost // 2


def in_plane_poolings(spacing, depth):
    """The poolings of a 3-D network of `depth` levels that leave the slice
    axis alone for volumes of `spacing` ({"z", "y", "x"}), by nnU-Net's rule
    as `unet train` applies it (Isensee et al. 2021): the slice axis is
    pooled only once its spacing is at most twice the in-plane one, each
    pooling doubling the spacing of the axes it halves."""
    z, plane = spacing["z"], min(spacing["y"], spacing["x"])
    for level in range(depth):
        if z <= 2 * min(z, plane):
            return level
        plane *= 2
    return depth


def he_init_(model):
    """The paper's initialisation, as `unet train` does it: weights from
    N(0, 2/N) with N the inputs feeding one output (C_in * k * k for a
    convolution, C_in for a 2 x 2 stride-2 up-convolution), biases 0;
    batch normalisations keep PyTorch's start (scale 1, shift 0)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Conv3d)):
            fan_in = m.in_channels * math.prod(m.kernel_size)
        elif isinstance(m, (nn.ConvTranspose2d, nn.ConvTranspose3d)):
            fan_in = m.in_channels
        else:
            continue
        nn.init.normal_(m.weight, 0.0, (2.0 / fan_in) ** 0.5)
        if m.bias is not None:
            nn.init.zeros_(m.bias)


def load(path):
    """A UNet and the file's metadata from a `unet export` file (or one that
    `save` wrote). The architecture comes from the metadata; the tensors must
    match it exactly."""
    with safe_open(path, "pt") as f:
        metadata = f.metadata() or {}
    if "architecture" not in metadata:
        raise ValueError(f"{path}: no 'architecture' metadata; is it a `unet export` file?")
    model = UNet(**json.loads(metadata["architecture"]))
    model.load_state_dict(load_file(path))
    return model, metadata


def save(model, path, architecture, **metadata):
    """Writes the state dict as safetensors with UNetKit's names and the
    metadata of `unet export` (`architecture` as JSON, other values as
    strings), so that `load` and the module in docs/pytorch.md read it.
    BatchNorm2d's buffers go with it (num_batches_tracked as I64); the
    architecture names `normLayer` only when it is not "none", and
    `dimensions` and `inPlanePoolings` only for a 3-D network, as UNetKit
    writes it."""
    defaults = {"normLayer": "none", "dimensions": 2, "inPlanePoolings": 0}
    architecture = {k: v for k, v in architecture.items() if not (k in defaults and v == defaults[k])}
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": "unetkit-weights",
            "architecture": json.dumps(architecture, sort_keys=True, separators=(",", ":"))}
    meta.update({k: str(v) for k, v in metadata.items() if v is not None})
    save_file(tensors, path, metadata=meta)
"""#
}
