"""PGD-10 in PyTorch on the models of bench/attacks.ts (eval mode, batch 128, random images).

Prints JSON: median milliseconds per attack for each model name.
Usage: python3 torch_pgd.py --threads N
"""
import argparse
import importlib.util
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("models", os.path.join(HERE, "..", "fixtures", "make_model_fixtures.py"))
models = importlib.util.module_from_spec(spec)
spec.loader.exec_module(models)


def pgd(model, x, y, eps=8 / 255, step=2 / 255, steps=10):
    delta = torch.empty_like(x).uniform_(-eps, eps)
    delta = (x + delta).clamp(0, 1) - x
    for _ in range(steps):
        delta.requires_grad_(True)
        loss = F.cross_entropy(model(x + delta), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, delta)
        with torch.no_grad():
            delta = (delta + step * grad.sign()).clamp(-eps, eps)
            delta = (x + delta).clamp(0, 1) - x
    return (x + delta).detach()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    workloads = {
        "convnet": (models.SmallCNN(1, 32, 200, 10, 0.5, 28), (1, 28, 28)),
        "preact-resnet18 (width 16)": (models.PreActResNet18(16, 10), (3, 32, 32)),
    }
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name, (model, shape) in workloads.items():
        model.eval()
        for p in model.parameters():
            p.requires_grad_(False)
        x = torch.rand((128,) + shape)
        y = torch.arange(128) % 10
        pgd(model, x, y)
        samples = []
        for _ in range(3):
            start = time.perf_counter()
            pgd(model, x, y).sum().item()
            samples.append((time.perf_counter() - start) * 1000)
        out[name] = statistics.median(samples)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
