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

With `normLayer="batch"` (`unet train --norm-layer batch`) each block is
Conv2d(bias=False), BatchNorm2d, ReLU, twice (state-dict indices 0, 1, 3,
4); BatchNorm2d's defaults (eps 1e-5, momentum 0.1) are UNetKit's. In eval
mode it normalises with the running statistics, as `unet predict` does.
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file


def block(cin, cout, norm_layer="none"):
    if norm_layer == "batch":
        return nn.Sequential(nn.Conv2d(cin, cout, 3, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                             nn.Conv2d(cout, cout, 3, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
    if norm_layer != "none":
        raise ValueError(f"normLayer {norm_layer!r} is not none or batch")
    return nn.Sequential(nn.Conv2d(cin, cout, 3), nn.ReLU(inplace=True),
                         nn.Conv2d(cout, cout, 3), nn.ReLU(inplace=True))


def crop(x, h, w):
    dh, dw = (x.shape[2] - h) // 2, (x.shape[3] - w) // 2
    return x[:, :, dh:dh + h, dw:dw + w]


class UNet(nn.Module):
    def __init__(self, inputChannels=1, classes=2, baseChannels=64, depth=4, dropout=0.5, normLayer="none"):
        super().__init__()
        ch = [baseChannels * 2 ** i for i in range(depth + 1)]
        n = normLayer
        self.down = nn.ModuleList([block(inputChannels, ch[0], n)] + [block(ch[i - 1], ch[i], n) for i in range(1, depth + 1)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(ch[i], ch[i - 1], 2, stride=2) for i in range(depth, 0, -1)])
        self.dec = nn.ModuleList([block(ch[i], ch[i - 1], n) for i in range(depth, 0, -1)])
        self.drop = nn.Dropout(dropout)
        self.head = nn.Conv2d(ch[0], classes, 1)

    def forward(self, x):
        skips = []
        for i, b in enumerate(self.down):
            x = b(x)
            if i < len(self.down) - 1:
                skips.append(x); x = F.max_pool2d(x, 2)
        x = self.drop(x)
        for up, dec, s in zip(self.up, self.dec, reversed(skips)):
            x = up(x)
            x = dec(torch.cat([crop(s, x.shape[2], x.shape[3]), x], 1))
        return self.head(x)


class UNetProbabilities(UNet):
    """The class probabilities (softmax over the channels) rather than the
    logits: what `unet predict` and the ONNX model of `unet export --format
    onnx` give; the callable of the BioImage Model Zoo package's
    pytorch_state_dict weights."""

    def forward(self, x):
        return torch.softmax(super().forward(x), dim=1)


def output_size(tile, depth):
    """The output side for an input tile of `tile` pixels, or None when some
    pooling would see an odd size (the same rule as `unet train --tile`)."""
    size = tile
    for _ in range(depth):
        size -= 4
        if size <= 0 or size % 2:
            return None
        size //= 2
    size -= 4
    if size <= 0:
        return None
    for _ in range(depth):
        size = size * 2 - 4
    return size if size > 0 else None


def margin(depth):
    """Pixels lost on each side between input and output (92 for depth 4)."""
    return 4 * (2 ** depth - 1) + 2 * 2 ** depth


def he_init_(model):
    """The paper's initialisation, as `unet train` does it: weights from
    N(0, 2/N) with N the inputs feeding one output (C_in * k * k for a
    convolution, C_in for a 2 x 2 stride-2 up-convolution), biases 0;
    batch normalisations keep PyTorch's start (scale 1, shift 0)."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            fan_in = m.in_channels * m.kernel_size[0] * m.kernel_size[1]
        elif isinstance(m, nn.ConvTranspose2d):
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
    architecture names `normLayer` only when it is not "none", as UNetKit
    writes it."""
    architecture = {k: v for k, v in architecture.items() if not (k == "normLayer" and v == "none")}
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {"format": "unetkit-weights",
            "architecture": json.dumps(architecture, sort_keys=True, separators=(",", ":"))}
    meta.update({k: str(v) for k, v in metadata.items() if v is not None})
    save_file(tensors, path, metadata=meta)
"""#
}
