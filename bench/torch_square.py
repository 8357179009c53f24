"""Square Attack, L-inf, untargeted, in PyTorch: the benchmark's reference for AutoAttack's last member.

Written from Andriushchenko, Croce, Flammarion & Hein, "Square Attack: a query-efficient black-box
adversarial attack via random search" (ECCV 2020), Algorithm 1 with the L-inf sampling of its
Algorithm 2, in the form the standard AutoAttack runs it (fra31/auto-attack's square.py, read for
these facts, not copied):
  - start: x + eps * s clipped to [0, 1], s a random sign per (image, channel, column): vertical stripes;
  - loss: the margin z_y - max_{j != y} z_j (the example is fooled when it is <= 0);
  - the loop runs `queries` iterations after the start's query, each on the examples not yet fooled;
    at iteration i the square covers a fraction p(i) of the pixels, p_init halved at iterations
    10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 (the schedule is not rescaled to the budget),
    its side max(round(sqrt(p h w)), 1), its corner uniform in [0, h - s) x [0, w - s), one corner
    and one sign per channel shared by all images of the iteration;
  - the square's pixels move by 2 eps times the channel's sign from the best point, then back into
    the eps-ball around x and [0, 1]; a proposal is kept when its margin is lower (with the margin
    as the loss, a misclassified proposal is always lower).
"""
import math

import torch


def square_fraction(p_init, iteration):
    """The fraction of pixels a square covers at an iteration (upstream's schedule, not rescaled)."""
    halvings = sum(iteration > bound for bound in (10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000))
    return p_init / 2 ** halvings


def margins(model, x, y):
    """z_y - max_{j != y} z_j per example."""
    logits = model(x)
    rows = torch.arange(x.shape[0])
    correct = logits[rows, y].clone()
    logits[rows, y] = -float("inf")
    return correct - logits.max(dim=1)[0]


def random_sign(shape):
    return torch.sign(2 * torch.rand(shape) - 1)


def square_linf(model, x, y, eps, queries=5000, p_init=0.8):
    """One restart on images x [N, C, H, W] (eval mode); returns the best points and which are fooled."""
    with torch.no_grad():
        n, c, h, w = x.shape
        best = (x + eps * random_sign([n, c, 1, w])).clamp(0.0, 1.0)
        margin = margins(model, best, y)
        for iteration in range(queries):
            todo = (margin > 0).nonzero().flatten()
            if todo.numel() == 0:
                break
            x_todo, best_todo = x[todo], best[todo]
            s = max(int(round(math.sqrt(square_fraction(p_init, iteration) * h * w))), 1)
            vh = int((h - s) * torch.rand(1).item())
            vw = int((w - s) * torch.rand(1).item())
            step = torch.zeros([c, h, w])
            step[:, vh:vh + s, vw:vw + s] = 2.0 * eps * random_sign([c, 1, 1])
            proposal = torch.min(torch.max(best_todo + step, x_todo - eps), x_todo + eps).clamp(0.0, 1.0)
            proposed = margins(model, proposal, y[todo])
            better = proposed < margin[todo]
            margin[todo] = torch.where(better, proposed, margin[todo])
            best[todo] = torch.where(better.view(-1, 1, 1, 1), proposal, best_todo)
        return best, margin <= 0
