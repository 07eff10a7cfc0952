"""Checkers for notebook 00 (welcome)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


def _read_bn(m):
    said = (f"with every weight left as it was after epoch 1, re-estimating the BatchNorm statistics on the "
            f"training images moves the validation accuracy from {m['as_trained']:.1%} to {m['re_estimated']:.1%}")
    if m["re_estimated"] > 0.5:
        return "rises above 50%", (said + ": the weights had learned; the running averages used in evaluation "
                                   "had not caught up with them")
    return "stays below 50%", (said + ": here the weights themselves had not learned enough yet")


predict_then_measure("00.1", "Untrained weights or stale statistics?", ("stays below 50%", "rises above 50%"), _read_bn)


def _read_shift(m):
    d = m["difference"]
    said = (f"accuracy went {m['original']:.1%} -> {m['shifted']:.1%} for a 1-pixel shift, a difference of {d}")
    if d.high < 0:
        return "falls clearly", (said + ": convolutions are shift-equivariant (their maps move with the image), "
                                 "but three 2x2 poolings take an 8-pixel image down to one value per channel, and "
                                 "one pixel is an eighth of the image: the network is not shift-invariant")
    return "no clear fall", (said + ": on this run the network absorbs a one-pixel shift")


predict_then_measure("00.2", "Is a CNN shift-invariant?", ("falls clearly", "no clear fall"), _read_shift)


@exercise("00.3", "Accuracy from probabilities")
def _accuracy(fn, c):
    if not callable(fn):
        c.fail(f"expected a function my_accuracy(targets, probs); got {type(fn).__name__}")
        return "define `def my_accuracy(targets, probs): ...` and pass the function itself, without calling it"
    from sklearn.metrics import accuracy_score

    rng = np.random.default_rng(0)
    cases = [(np.array([0, 1, 1]), np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]))]
    for n, k in [(50, 3), (200, 10)]:
        cases.append((rng.integers(0, k, n), rng.dirichlet(np.ones(k), n)))
    for y, p in cases:
        want = accuracy_score(y, p.argmax(1))
        got = fn(y, p)
        if not isinstance(got, (float, np.floating)) or abs(float(got) - want) > 1e-9:
            c.fail(f"for {len(y)} samples and {p.shape[1]} classes you returned {got!r}; the accuracy is {want:.4f}")
            if isinstance(got, (float, np.floating)) and abs(float(got) - (1 - want)) < 1e-9:
                return "you returned the error rate: count the rows where argmax(probs) == target"
            return "take probs.argmax(1) (the predicted class of every row), compare with targets, and average the matches"
    c.ok("your accuracy matches scikit-learn's accuracy_score on three test cases")
    return ""


def _one_digit_batch():
    """A model with a BatchNorm layer whose running statistics are right, and a batch of images of one class.

    In eval mode the model gets every image right. In train mode BatchNorm normalises with the batch's own
    mean, which removes exactly what the images of one class have in common, and it overwrites the running
    statistics with that batch's.
    """
    import torch
    import torch.nn as nn

    g = torch.Generator().manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.BatchNorm1d(3))
    model[1].running_mean.copy_(torch.tensor([1.0, 1.0, 1.0]))
    model[1].running_var.copy_(torch.tensor([1.0, 1.0, 1.0]))
    x = torch.tensor([3.0, 1.0, 1.0]) + 0.3 * torch.randn(40, 3, generator=g)    # 40 images of class 0
    y = torch.zeros(40, dtype=torch.long)
    return model, x.view(40, 1, 1, 3), y


@exercise("00.4", "Find the bug in an evaluation")
def _evaluate(fn, c):
    if not callable(fn):
        c.fail(f"expected a function my_evaluate(model, x, y); got {type(fn).__name__}")
        return "define `def my_evaluate(model, x, y): ...` and pass the function itself, without calling it"
    import torch

    model, x, y = _one_digit_batch()
    model.train()                                   # as a model is between the epochs of a training loop
    before = {k: v.clone() for k, v in model.state_dict().items()}
    got = fn(model, x, y)
    changed = [k for k, v in model.state_dict().items() if k != "1.num_batches_tracked" and not torch.equal(v, before[k])]
    model.load_state_dict(before)
    model.eval()
    with torch.no_grad():
        want = float((model(x).argmax(1) == y).float().mean())
    try:
        got = float(got)
    except (TypeError, ValueError):
        c.fail(f"my_evaluate returned {got!r}; it should return the accuracy as a float")
        return "return float((preds == y).float().mean()), as the colleague's function does"
    ok = c.expect(abs(got - want) < 1e-6, f"on a batch of 40 images of one class you report {got:.1%}, as the model "
                  "in evaluation mode scores", f"on a batch of 40 images of one class you report {got:.1%}; the model "
                  f"in evaluation mode scores {want:.1%}")
    kept = c.expect(not changed, "the model's BatchNorm statistics are unchanged after your evaluation",
                    f"your evaluation changed the model's {', '.join(changed)}")
    if ok and kept:
        return ""
    return ("in training mode BatchNorm normalises with the statistics of the batch in front of it (here 40 images "
            "of one class) and updates its running averages with them: call model.eval() before the forward pass, "
            "and do it under torch.no_grad()")
