"""Replays an optimiser run with torch.optim: reads a JSON file with the
optimiser (its checkpoint form), the initial parameters, the gradients and
learning rate of each step, and prints the parameters after the last step
as JSON. Float32 throughout, as UNetKit computes."""
import json
import sys

import torch

run = json.load(open(sys.argv[1]))
o = run["optimizer"]
params = [torch.nn.Parameter(torch.tensor(p, dtype=torch.float32)) for p in run["parameters"]]
if o["name"] == "sgd":
    opt = torch.optim.SGD(params, lr=1.0, momentum=o["momentum"], nesterov=o.get("nesterov", False),
                          weight_decay=o.get("weight_decay", 0.0))
else:
    kind = torch.optim.Adam if o["name"] == "adam" else torch.optim.AdamW
    opt = kind(params, lr=1.0, betas=(o["beta1"], o["beta2"]), eps=o["epsilon"], weight_decay=o["weight_decay"])
for lr, grads in zip(run["rates"], run["gradients"]):
    for group in opt.param_groups:
        group["lr"] = lr
    for p, g in zip(params, grads):
        p.grad = torch.tensor(g, dtype=torch.float32)
    opt.step()
print(json.dumps([p.detach().tolist() for p in params]))
