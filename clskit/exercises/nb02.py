"""Checkers for notebook 02 (a CNN from scratch)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


def _steps(step, n: int = 3):
    """The weights of a small linear model after ``n`` calls of ``step(model, opt, x, y)`` with plain SGD."""
    import torch
    import torch.nn as nn

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 4, generator=g), torch.randint(0, 3, (16,), generator=g)
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    start = [p.detach().clone() for p in model.parameters()]
    for _ in range(n):
        step(model, opt, x, y)
    return start, [p.detach().clone() for p in model.parameters()]


def _right_step(model, opt, x, y):
    import torch.nn.functional as F

    loss = F.cross_entropy(model(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def _step_without_zero_grad(model, opt, x, y):
    import torch.nn.functional as F

    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss.item()


@exercise("02.1", "Find the bug in a training step")
def _train_step(fn, c):
    import torch

    if not callable(fn):
        c.fail(f"expected a function my_train_step(model, opt, x, y); got {type(fn).__name__}")
        return "define `def my_train_step(model, opt, x, y): ...` and pass the function itself, without calling it"
    try:
        start, got = _steps(fn)
    except Exception as err:  # the learner's code may raise anything
        c.fail(f"my_train_step raised {type(err).__name__}: {err}")
        return "one step: loss = F.cross_entropy(model(x), y), then the optimiser's three calls, in an order that works"
    _, want = _steps(_right_step)
    if all(torch.allclose(g, w, atol=1e-6) for g, w in zip(got, want)):
        c.ok("after three steps the weights are exactly those of a correct step: the gradients are cleared before "
             "backward() fills them, and step() uses them")
        return ""
    if all(torch.equal(g, s) for g, s in zip(got, start)):
        c.fail("after three of your steps the weights have not moved at all")
        return ("backward() writes each weight's gradient into its .grad, and step() reads it from there: look at what "
                "happens to the gradients in between")
    _, accumulated = _steps(_step_without_zero_grad)
    c.fail("after three of your steps the weights differ from a correct step's")
    if all(torch.allclose(g, a, atol=1e-6) for g, a in zip(got, accumulated)):
        return ("PyTorch adds each new gradient to what .grad already holds: clear the gradients (opt.zero_grad()) "
                "before backward(), at every step")
    return "one forward pass, then zero_grad(), backward() and step(), once each, in that order"


def _read_shuffle(m):
    """``m = {"original": [test accuracy per seed], "shuffled": [...]}``, seed for seed."""
    from clskit.stats import paired_difference

    d = paired_difference(m["shuffled"], m["original"], over="seeds")
    said = f"shuffled minus original: {d}"
    why = (": from the fourth convolution on, the receptive field covers most of the 8x8 digit, so later layers can "
           "combine any pixels, and one fixed permutation is a layout the network can learn from 1,257 images")
    if d.verdict != "worse":
        return "no clear loss", said + why
    if d.low > -3 or (d.high >= -3 and d.diff > -3):
        return "a clear loss of less than 3 points", said + why
    return "a loss of more than 3 points", (said + ": here the 3x3 filters' view of neighbouring pixels mattered more "
                                            "than the receptive field of the later layers could make up for")


predict_then_measure("02.2", "Shuffled pixels: what locality is worth",
                     ("no clear loss", "a clear loss of less than 3 points", "a loss of more than 3 points"), _read_shuffle)


def _colleague_max_pool(x):
    b, c, h, w = x.shape
    return x.view(b, c, h // 2, w // 2, 2, 2).amax(dim=(4, 5))


@exercise("02.3", "Find the bug in a max pool")
def _max_pool(fn, c):
    import torch
    import torch.nn.functional as F

    if not callable(fn):
        c.fail(f"expected a function my_max_pool(x); got {type(fn).__name__}")
        return "define `def my_max_pool(x): ...` and pass the function itself, without calling it"
    g = torch.Generator().manual_seed(0)
    cases = [torch.arange(16.).view(1, 1, 4, 4), torch.randn(2, 3, 6, 8, generator=g), torch.randn(1, 2, 8, 4, generator=g)]
    for x in cases:
        want = F.max_pool2d(x, 2)
        try:
            got = fn(x.clone())
        except Exception as err:  # the learner's code may raise anything
            c.fail(f"on an input of shape {tuple(x.shape)} my_max_pool raised {type(err).__name__}: {err}")
            return "reshape to (b, c, h // 2, 2, w // 2, 2) and take the maximum over the two axes of size 2"
        if not isinstance(got, torch.Tensor) or got.shape != want.shape or not torch.equal(got, want):
            shape = tuple(got.shape) if isinstance(got, torch.Tensor) else type(got).__name__
            c.fail(f"on an input of shape {tuple(x.shape)} you return {shape}, not F.max_pool2d(x, 2)'s values")
            if isinstance(got, torch.Tensor) and got.shape == want.shape and torch.equal(got, _colleague_max_pool(x)):
                return ("view keeps the memory order, row by row: the last two axes of (h // 2, w // 2, 2, 2) step through "
                        "4 consecutive numbers of one row, not a 2x2 square. Put each window axis right after the axis "
                        "it splits")
            return "reshape to (b, c, h // 2, 2, w // 2, 2) and take the maximum over the two axes of size 2"
    c.ok("equal to F.max_pool2d(x, 2) on a 4x4 ramp and on random maps of 6x8 and 8x4")
    return ""


@exercise("02.4", "Parameters of a convolution layer")
def _params(answer, c):
    # nn.Conv2d(24, 48, kernel_size=5) with bias: 48 * 24 * 5 * 5 + 48
    c.expect(answer == 28848, "28,848 parameters is right", f"{answer!r} is not the parameter count")
    if answer == 28800:
        return "you forgot the bias: one per output channel (nn.Conv2d has bias=True unless told otherwise)"
    if answer in (1200, 1248, 600, 10368, 10416):
        return "every output channel has one 5x5 kernel per input channel: out * in * k * k (+ bias)"
    return "params = out_channels * in_channels * k * k + out_channels (bias)"
