"""The workloads of bench/workloads.ts in PyTorch, on this machine's CPU (for the ratio
weightscape / PyTorch in `npm run bench`). Batch 128 of random images, for the convnet
(28x28x1) and the narrow preact-resnet18 (width 16, 32x32x3):

  forward          eval-mode logits
  input gradient   d(summed cross-entropy)/dx, eval mode
  weight step      train-mode forward, backward to the weights, SGD step (momentum 0.9, wd 5e-4)
  pgd-10           PGD-10 (L-inf 8/255, step 2/255, random start), eval mode
  awp step         PGD-AT + AWP: PGD-10 in train mode, the AWP perturbation (one proxy ascent
                   step, gamma 0.01), the gradient at theta + v, SGD step, v removed
  trades+awp step  TRADES + AWP (trades.py as weightscape defines it): the KL attack (10 signed steps of
                   2/255 in the 8/255 ball from x + 0.001*N(0, 1), softmax f(x) taken once, eval mode), then
                   in train mode the AWP perturbation (gamma 0.01) of CE(f(x)) + 6*KL/N, its gradient at
                   theta + v, SGD step, v removed
  mart step        MART (mart.py): PGD-10 on the cross-entropy from x + 0.001*N(0, 1) in eval mode, then the
                   MART loss (beta 6) in train mode, its gradient, SGD step; no AWP
  landscape point  theta + alpha*d (filter-normalized d), the clean loss, PGD-10 against it, the adversarial
                   loss (eval): what `weightscape sample` records at a point
  parameter gradient
                   the mean cross-entropy's parameter gradients, train mode (BatchNorm batch
                   statistics), as weightscape's trainingGradients computes them
  parameter gradient (eval)
                   the same in eval mode (reference for the HVP/gradient ratio; not a weightscape row)
  hessian-vector product
                   H.v of the mean cross-entropy (eval mode), v a fixed random direction, by
                   float32 double backward: g = grad(L, params, create_graph), Hv = grad(<g, v>, params)

  clean grid point theta + alpha*d + beta*e (two filter-normalized directions), the clean loss (eval)

  apgd-ce          APGD-CE (L-inf 8/255, 100 iterations, 1 restart; fixtures/make_apgd_fixtures.py's
                   reference from a random start), eval mode, full-width preact-resnet18 only
  autoattack       the standard AutoAttack without FAB-T: APGD-CE, APGD-T (9 targets, the same reference),
                   Square L-inf (5000 queries, bench/torch_square.py), each on the examples still robust
  The attack workloads draw the convolutions He-normal as weightscape's initWeights does (the attacks'
  work depends on the margins), label the images with the model's own clean predictions (all are attacked), warm
  up with one forward and one input gradient, and report the examples fooled (per member and each
  member's ms for autoattack). WEIGHTSCAPE_BENCH_ATTACK_SMOKE=1: width 8, 16 images, 5 iterations,
  20 queries (a plumbing check, as bench/attack-workloads.ts).

With --full-width, also the full-width preact-resnet18 (width 64), second-order workloads only.
Prints JSON: {"torch": version, "threads": n, model: {workload: median ms}}.
Usage: python3 torch_workloads.py --threads N [--runs R] [--workloads a,b] [--full-width]

With --full-size MODEL --workload W (bench/full-size.ts, one workload per process so that its peak
memory is its own): "preact-resnet18 (width 64)" at batch 128 or "wide-resnet-34-10" at batch 32;
prints {"torch": version, "threads": n, "ms": median, "samples": [...], "peakRssMb": peak RSS}.
"""
import argparse
import importlib.util
import json
import math
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F

import torch_square as square

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, "..", "fixtures", path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


models = load("models", "make_model_fixtures.py")
apgd_reference = load("apgd_reference", "make_apgd_fixtures.py")
reference = load("train_reference", "make_train_fixtures.py")
landscape = load("landscape_reference", "make_landscape_fixtures.py")

EPS, STEP, STEPS = 8 / 255, 2 / 255, 10
LR, MOMENTUM, WD, GAMMA, BETA = 0.01, 0.9, 5e-4, 0.01, 6.0


def random_start(x):
    return (x + torch.empty_like(x).uniform_(-EPS, EPS)).clamp(0, 1)


def pgd10(model, x, y):
    return reference.pgd_from(model, x, y, random_start(x), EPS, STEP, STEPS)


def trades_start(x):
    return (x + 0.001 * torch.randn_like(x)).clamp(0, 1)


def mart_loss(model, x, x_adv, y, beta):
    """mart.py's loss (Wang et al. 2020), train mode."""
    logits, logits_adv = model(x), model(x_adv)
    adv_probs = F.softmax(logits_adv, dim=1)
    top2 = torch.argsort(adv_probs, dim=1)[:, -2:]
    new_y = torch.where(top2[:, -1] == y, top2[:, -2], top2[:, -1])
    loss_adv = F.cross_entropy(logits_adv, y) + F.nll_loss(torch.log(1.0001 - adv_probs + 1e-12), new_y)
    nat_probs = F.softmax(logits, dim=1)
    true_probs = torch.gather(nat_probs, 1, y.unsqueeze(1)).squeeze()
    kl = F.kl_div(torch.log(adv_probs + 1e-12), nat_probs, reduction="none").sum(dim=1)
    return loss_adv + beta * (kl * (1.0000001 - true_probs)).sum() / x.shape[0]


def workloads(model, x, y):
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WD)
    theta = {k: v.detach().clone() for k, v in model.named_parameters()}
    direction = landscape.filter_normalized_direction(model, torch.Generator().manual_seed(0))
    second = landscape.filter_normalized_direction(model, torch.Generator().manual_seed(1))

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

    def trades_awp_step():
        model.eval()  # TRADES makes its examples in eval mode
        x_adv = reference.trades_from(model, x, trades_start(x), EPS, STEP, STEPS)
        model.train()
        diff = reference.awp_diff(model, lambda m: reference.trades_loss(m, x, x_adv, y, BETA), GAMMA)
        reference.add_diff(model, diff, 1.0)
        optimizer.zero_grad()
        reference.trades_loss(model, x, x_adv, y, BETA).backward()
        optimizer.step()
        reference.add_diff(model, diff, -1.0)

    def mart_step():
        model.eval()  # MART makes its examples in eval mode
        x_adv = reference.pgd_from(model, x, y, trades_start(x), EPS, STEP, STEPS)
        model.train()
        optimizer.zero_grad()
        mart_loss(model, x, x_adv, y, BETA).backward()
        optimizer.step()

    def landscape_point():
        model.eval()
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(theta[name] + 0.5 * direction[name])
        # Both losses, as `weightscape sample` records at every point: clean, then adversarial.
        with torch.no_grad():
            F.cross_entropy(model(x), y).item()
        x_adv = pgd10(model, x, y)
        with torch.no_grad():
            F.cross_entropy(model(x_adv), y).item()

    def clean_grid_point():
        model.eval()
        with torch.no_grad():
            for name, p in model.named_parameters():
                p.copy_(theta[name] + 0.5 * direction[name] - 0.5 * second[name])
            F.cross_entropy(model(x), y).item()

    params = [p for p in model.parameters() if p.requires_grad]
    generator = torch.Generator().manual_seed(7)
    v = [torch.randn(p.shape, generator=generator) for p in params]

    def parameter_gradient(mode):
        def work():
            model.train(mode == "train")
            grads = torch.autograd.grad(F.cross_entropy(model(x), y), params, allow_unused=True)
            sum(g.sum() for g in grads if g is not None).item()
        return work

    def hessian_vector_product():
        model.eval()
        # WideResNet's unused sub_block1 has no gradient (allow_unused); the rest is the same.
        grads = torch.autograd.grad(F.cross_entropy(model(x), y), params, create_graph=True, allow_unused=True)
        used = [(g, u, p) for g, u, p in zip(grads, v, params) if g is not None]
        dot = sum((g * u).sum() for g, u, _ in used)
        hv = torch.autograd.grad(dot, [p for _, _, p in used])
        sum(h.sum() for h in hv).item()

    return {"forward": forward, "input gradient": input_gradient, "weight step": weight_step,
            "pgd-10": pgd, "awp step": awp_step,
            "trades+awp step": trades_awp_step, "mart step": mart_step, "landscape point": landscape_point,
            "clean grid point": clean_grid_point,
            "parameter gradient": parameter_gradient("train"),
            "parameter gradient (eval)": parameter_gradient("eval"),
            "hessian-vector product": hessian_vector_product}


SECOND_ORDER = ["parameter gradient", "parameter gradient (eval)", "hessian-vector product"]


def timed_ms(work, runs):
    work()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def median_ms(work, runs):
    return statistics.median(timed_ms(work, runs))


FULL_SIZE = {
    "preact-resnet18 (width 64)": (lambda: models.PreActResNet18(64, 10), 128),
    "wide-resnet-34-10": (lambda: models.WideResNet(34, 10, 10), 32),
}


ATTACK_WORKLOADS = ["apgd-ce", "autoattack", "square"]
# Square at a radius the random model survives, so every example takes every query (work per query
# does not depend on the radius); AutoAttack at 8/255 leaves Square nothing to do on random weights.
SQUARE_EPS = 1 / 255
SQUARE_QUERIES = 300


def attack_scale():
    """Width, batch, APGD iterations and Square queries: the issue's, or the smoke run's."""
    if os.environ.get("WEIGHTSCAPE_BENCH_ATTACK_SMOKE") == "1":
        return {"width": 8, "batch": 16, "steps": 5, "queries": 20}
    return {"width": 64, "batch": 128, "steps": 100, "queries": 5000}


def apgd_run(model, x, y, kind, options):
    """APGD-CE or APGD-T on (x, y) from a random start (a fresh one per call); which examples it fooled."""
    start = apgd_reference.make_start(x, "linf", EPS, int(torch.randint(0, 2 ** 31, (1,)).item()))
    clean_correct, acc, adv, _ = apgd_reference.apgd(model, x, y, start, kind, "linf", {"eps": EPS, **options})
    return adv, clean_correct & ~acc


def attack_work(workload, model, x, y, scale):
    """One run of an attack workload; returns (figures, adversarial batch)."""
    steps = scale["steps"]
    if workload == "apgd-ce":
        adv, fooled = apgd_run(model, x, y, "apgd", {"loss": "ce", "steps": steps, "restarts": 1})
        adv.sum().item()
        return {"attacked": len(y), "fooled": int(fooled.sum())}
    if workload == "square":
        queries = scale["queries"] if os.environ.get("WEIGHTSCAPE_BENCH_ATTACK_SMOKE") == "1" else SQUARE_QUERIES
        adv, fooled = square.square_linf(model, x, y, SQUARE_EPS, queries, 0.8)
        adv.sum().item()
        return {"attacked": len(y), "fooled": int(fooled.sum())}
    with torch.no_grad():
        robust = model(x).argmax(1) == y
    adv = x.clone()
    by_member, member_ms = [], []
    members = [
        lambda xs, ys: apgd_run(model, xs, ys, "apgd", {"loss": "ce", "steps": steps, "restarts": 1}),
        lambda xs, ys: apgd_run(model, xs, ys, "apgd-t", {"targets": 9, "steps": steps, "restarts": 1}),
        lambda xs, ys: square.square_linf(model, xs, ys, EPS, scale["queries"], 0.8),
    ]
    for member in members:
        began = time.perf_counter()
        idx = robust.nonzero().flatten()
        fooled_count = 0
        if idx.numel() > 0:
            member_adv, fooled = member(x[idx], y[idx])
            adv[idx[fooled]] = member_adv[fooled]
            robust[idx[fooled]] = False
            fooled_count = int(fooled.sum())
        by_member.append(fooled_count)
        member_ms.append((time.perf_counter() - began) * 1000)
    adv.sum().item()
    return {"attacked": len(y), "fooled": sum(by_member), "fooledByMember": by_member, "memberMs": member_ms}


def attack_full_size(workload, runs):
    """An attack workload: a light warm-up (one forward, one input gradient), then `runs` whole attacks."""
    scale = attack_scale()
    model = models.PreActResNet18(scale["width"], 10).eval()
    # weightscape's initWeights draws convolutions He-normal (fan-in); PyTorch's default is ~2.4x
    # narrower. The attacks' work depends on the logits' margins, so both sides draw alike.
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d):
                module.weight.normal_(0.0, math.sqrt(2.0 / module.weight[0].numel()))
    x = torch.rand((scale["batch"], 3, 32, 32))
    with torch.no_grad():
        y = model(x).argmax(1)
    apgd_reference.loss_and_grad(model, apgd_reference.ce_loss, x, y)[2].sum().item()
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        figures = attack_work(workload, model, x, y, scale)
        samples.append((time.perf_counter() - began) * 1000)
    for i, ms in enumerate(figures.get("memberMs", [])):
        print(f"{['apgd-ce', 'apgd-t', 'square'][i]}: fooled {figures['fooledByMember'][i]} in {ms / 1000:.1f} s",
              file=sys.stderr)
    return {"ms": statistics.median(samples), "samples": samples, **figures,
            "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def full_size(name, workload, runs):
    if workload in ATTACK_WORKLOADS:
        return attack_full_size(workload, runs)
    make, batch = FULL_SIZE[name]
    model = make()
    x = torch.rand((batch, 3, 32, 32))
    y = torch.arange(batch) % 10
    samples = timed_ms(workloads(model, x, y)[workload], runs)
    # ru_maxrss is in kilobytes on Linux.
    return {"ms": statistics.median(samples), "samples": samples,
            "peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workloads", default=None, help="comma-separated workload names (default: all)")
    parser.add_argument("--full-width", action="store_true")
    parser.add_argument("--full-size", choices=sorted(FULL_SIZE), default=None)
    parser.add_argument("--workload", default=None, help="with --full-size: the one workload to run")
    args = parser.parse_args()
    if args.full_size is not None:
        torch.set_num_threads(args.threads)
        torch.manual_seed(0)
        figures = full_size(args.full_size, args.workload, args.runs)
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), **figures}))
        return
    selected = None if args.workloads is None else args.workloads.split(",")
    if selected is not None and "parameter gradient" in selected:
        selected.append("parameter gradient (eval)")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    todo = {
        "convnet": (models.SmallCNN(1, 32, 200, 10, 0.5, 28), (1, 28, 28), selected),
        "preact-resnet18 (width 16)": (models.PreActResNet18(16, 10), (3, 32, 32), selected),
    }
    if args.full_width:
        todo["preact-resnet18 (width 64)"] = (models.PreActResNet18(64, 10), (3, 32, 32), SECOND_ORDER)
    for name, (model, shape, names) in todo.items():
        x = torch.rand((128,) + shape)
        y = torch.arange(128) % 10
        chosen = {w: f for w, f in workloads(model, x, y).items() if names is None or w in names}
        # The full-width model's workloads take seconds each: three timed runs, as weightscape's.
        runs = 3 if name.endswith("(width 64)") else args.runs
        out[name] = {w: median_ms(f, runs) for w, f in chosen.items()}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
