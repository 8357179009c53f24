"""The benchmark's small CNN in PyTorch (same layers and sizes as bench/workloads/small-cnn.ts).

Prints JSON: median milliseconds of a forward pass, an input gradient and a weight gradient.
Usage: python3 torch_small_cnn.py --threads N [--batch 64] [--width 16]
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class SmallCnn(nn.Module):
    def __init__(self, in_channels, width, classes):
        super().__init__()
        w2 = 2 * width
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, w2, 3, stride=2, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(w2)
        self.shortcut = nn.Conv2d(width, w2, 1, stride=2, bias=False)
        self.conv3 = nn.Conv2d(w2, w2, 3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(w2)
        self.fc = nn.Linear(w2, classes)

    def forward(self, x):
        h1 = F.relu(self.bn1(self.conv1(x)))
        h2 = F.relu(self.bn2(self.conv2(h1)) + self.shortcut(h1))
        h3 = F.relu(self.bn3(self.conv3(F.max_pool2d(h2, 2))))
        return self.fc(F.adaptive_avg_pool2d(h3, 1).flatten(1))


def median_ms(work, warmup=2, runs=7):
    for _ in range(warmup):
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
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--size", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = SmallCnn(3, args.width, 10).train()
    x = torch.rand(args.batch, 3, args.size, args.size)
    labels = torch.arange(args.batch) % 10

    def forward():
        with torch.no_grad():
            F.cross_entropy(model(x), labels).item()

    def input_gradient():
        xg = x.clone().requires_grad_(True)
        (grad,) = torch.autograd.grad(F.cross_entropy(model(xg), labels), xg)
        grad.sum().item()

    def weight_gradient():
        grads = torch.autograd.grad(F.cross_entropy(model(x), labels), list(model.parameters()))
        sum(g.sum() for g in grads).item()

    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "forward": median_ms(forward),
        "input gradient": median_ms(input_gradient),
        "weight gradient": median_ms(weight_gradient),
    }))


if __name__ == "__main__":
    main()
