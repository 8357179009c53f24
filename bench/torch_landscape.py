"""A 1D adversarial sweep in PyTorch, the workload of bench/landscape.ts: at each of 4 points
theta + alpha*d (filter-normalized d), PGD-10 (L-inf 8/255, step 2/255, random start) against
the perturbed model, then the loss, on 128 random images in eval mode.

Prints JSON: seconds per sweep for each model. Usage: python3 torch_landscape.py --threads N
"""
import argparse
import importlib.util
import json
import os
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("pgd", os.path.join(HERE, "torch_pgd.py"))
pgd_module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pgd_module)
models = pgd_module.models


def sweep(model, x, y, points=4):
    theta = {k: v.clone() for k, v in model.named_parameters()}
    direction = {}
    for k, w in theta.items():
        d = torch.randn_like(w)
        if w.dim() <= 1:
            d.zero_()
        else:
            for i in range(w.shape[0]):
                d[i] *= w[i].norm() / (d[i].norm() + 1e-10)
        direction[k] = d
    for i in range(points):
        alpha = -1 + 2 * i / (points - 1)
        with torch.no_grad():
            for k, p in model.named_parameters():
                p.copy_(theta[k] + alpha * direction[k])
        x_adv = pgd_module.pgd(model, x, y)
        with torch.no_grad():
            F.cross_entropy(model(x_adv), y).item()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name, (model, shape) in {
        "convnet": (models.SmallCNN(1, 32, 200, 10, 0.5, 28), (1, 28, 28)),
        "preact-resnet18 (width 16)": (models.PreActResNet18(16, 10), (3, 32, 32)),
    }.items():
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        x = torch.rand((128,) + shape)
        y = torch.arange(128) % 10
        start = time.perf_counter()
        sweep(model, x, y)
        out[name] = time.perf_counter() - start
    print(json.dumps(out))


if __name__ == "__main__":
    main()
