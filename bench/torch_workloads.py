"""The workloads of bench/workloads.ts in PyTorch, on this machine's CPU (for the ratio
weightscape / PyTorch in `npm run bench`). Batch 128 of random images, for the convnet
(28x28x1) and the narrow preact-resnet18 (width 16, 32x32x3):

  forward          eval-mode logits
  input gradient   d(summed cross-entropy)/dx, eval mode
  weight step      train-mode forward, backward to the weights, SGD step (momentum 0.9, wd 5e-4)
  pgd-10           PGD-10 (L-inf 8/255, step 2/255, random start), eval mode
  awp step         PGD-AT + AWP: PGD-10 in train mode, the AWP perturbation (one proxy ascent
                   step, gamma 0.01), the gradient at theta + v, SGD step, v removed
  landscape point  theta + alpha*d (filter-normalized d), PGD-10 against it, the loss (eval)

Prints JSON: {"torch": version, "threads": n, model: {workload: median ms}}.
Usage: python3 torch_workloads.py --threads N [--runs R]
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


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "..", "fixtures", path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


models = load("models", "make_model_fixtures.py")
reference = load("train_reference", "make_train_fixtures.py")
landscape = load("landscape_reference", "make_landscape_fixtures.py")
EPS, STEP, STEPS = 8 / 255, 2 / 255, 10
LR, MOMENTUM, WD, GAMMA = 0.01, 0.9, 5e-4, 0.01


def random_start(x):
    return (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1)


def pgd10(model, x, y):
    return reference.pgd_from(model, x, y, random_start(x), EPS, STEP, STEPS)


def workloads(model, x, y):
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WD)
    theta = {k: v.detach().clone() for k, v in model.named_parameters()}
    direction = landscape.filter_normalized_direction(model, torch.Generator().manual_seed(0))

    def forward():
        model.eval()
        with torch.no_grad():
            model(x).sum().item()

    def input_gradient():
        model.eval()
        xg = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(model(xg), y, reduction="sum"), xg)
        grad.sum().item()

    def weight_step():
        model.train()
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    def pgd():
        model.eval()
        pgd10(model, x, y).sum().item()

    def awp_step():
        model.train()
        x_adv = pgd10(model, x, y)
        diff = reference.awp_diff(model, lambda m: F.cross_entropy(m(x_adv), y), GAMMA)
        reference.add_diff(model, diff, 1.0)
        optimizer.zero_grad()
        F.cross_entropy(model(x_adv), y).backward()
        optimizer.step()
        reference.add_diff(model, diff, -1.0)

    def landscape_point():
        model.eval()
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(theta[name] + 0.5 * direction[name])
        x_adv = pgd10(model, x, y)
        with torch.no_grad():
            F.cross_entropy(model(x_adv), y).item()

    return {"forward": forward, "input gradient": input_gradient, "weight step": weight_step,
            "pgd-10": pgd, "awp step": awp_step, "landscape point": landscape_point}


def median_ms(work, runs):
    work()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    for name, (model, shape) in {
        "convnet": (models.SmallCNN(1, 32, 200, 10, 0.5, 28), (1, 28, 28)),
        "preact-resnet18 (width 16)": (models.PreActResNet18(16, 10), (3, 32, 32)),
    }.items():
        x = torch.rand((128,) + shape)
        y = torch.arange(128) % 10
        out[name] = {w: median_ms(f, args.runs) for w, f in workloads(model, x, y).items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
