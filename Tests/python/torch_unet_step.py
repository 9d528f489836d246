"""One training step's loss, logits and parameter gradients of
examples/pytorch's U-Net module in float64, for comparison with UNetKit's
backend (Tests/UNetTests/VolumeNetworkTests.swift).

Input: a JSON file with `architecture` (the module's keyword arguments),
`parameters` (state-dict name -> flat list, every learnable tensor),
`input` (flat N x C x spatial), `labels` and `weights` (flat N x output),
`batch` and `extent` (the input's spatial sizes). Dropout must be 0.
Prints JSON: {"loss", "logits", "gradients" (name -> flat list)}.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "pytorch"))
import unet_module  # noqa: E402

torch.set_default_dtype(torch.float64)
run = json.load(open(sys.argv[1]))
model = unet_module.UNet(**run["architecture"])
model.train()
learnable = dict(model.named_parameters())
assert set(learnable) == set(run["parameters"]), sorted(set(learnable) ^ set(run["parameters"]))
with torch.no_grad():
    for name, p in learnable.items():
        p.copy_(torch.tensor(run["parameters"][name]).reshape(p.shape))
n, extent = run["batch"], run["extent"]
x = torch.tensor(run["input"]).reshape([n, -1] + extent)
logits = model(x)
out = list(logits.shape[2:])
labels = torch.tensor(run["labels"], dtype=torch.long).reshape([n] + out)
weights = torch.tensor(run["weights"]).reshape([n] + out)
loss = (F.cross_entropy(logits, labels, reduction="none") * weights).mean()
loss.backward()
json.dump({"loss": loss.item(), "logits": logits.detach().flatten().tolist(),
           "gradients": {name: p.grad.flatten().tolist() for name, p in learnable.items()}}, sys.stdout)
