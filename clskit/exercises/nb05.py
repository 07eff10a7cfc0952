"""Checkers for notebook 05 (transfer learning)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


def _blobs(seed: int):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (3, 6))
    x = np.concatenate([c + rng.normal(0, 1.5, (40, 6)) * rng.uniform(0.5, 3, 6) for c in centres])
    return x, np.repeat(np.arange(3), 40)


@exercise("05.1", "A linear probe on cached embeddings")
def _probe(fn, c):
    if not callable(fn):
        c.fail(f"expected a function probe_accuracy(emb_train, y_train, emb_valid, y_valid); got {type(fn).__name__}")
        return "define `def probe_accuracy(emb_train, y_train, emb_valid, y_valid): ...` and pass the function itself"
    from clskit.lessons.transfer import linear_probe

    x, y = _blobs(0)
    tr, va = np.arange(0, 120, 2), np.arange(1, 120, 2)
    want = linear_probe(x[tr], y[tr]).score(x[va], y[va])
    got = fn(x[tr], y[tr], x[va], y[va])
    if not isinstance(got, (float, np.floating)):
        c.fail(f"return the accuracy as a float; got {type(got).__name__}")
        return "end with `return float(probe.score(emb_valid, y_valid))`"
    if abs(float(got) - want) > 0.05:
        c.fail(f"on a test set of 3 classes your accuracy is {float(got):.3f}; linear_probe gives {want:.3f}")
        train_acc = linear_probe(x[tr], y[tr]).score(x[tr], y[tr])
        if abs(float(got) - train_acc) < 1e-9:
            return "you scored the training embeddings: fit on (emb_train, y_train), score on the validation pair"
        return "fit clskit.linear_probe(emb_train, y_train) and return probe.score(emb_valid, y_valid)"
    c.ok(f"your probe scores {float(got):.3f}, like clskit's linear_probe ({want:.3f})")
    return ""


@exercise("05.2", "Fold standardisation into the head")
def _fold(fn, c):
    if not callable(fn):
        c.fail(f"expected a function fold(W, b, mu, sigma) -> (W2, b2); got {type(fn).__name__}")
        return "define `def fold(W, b, mu, sigma): ...` returning the new weights and bias"
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(3, 5)), rng.normal(size=3)
    mu, sigma = rng.normal(size=5), rng.uniform(0.5, 2, 5)
    x = rng.normal(size=(10, 5))
    W2, b2 = (np.asarray(a, dtype=float) for a in fn(W, b, mu, sigma))
    want = ((x - mu) / sigma) @ W.T + b
    got = x @ W2.T + b2
    if W2.shape != W.shape or b2.shape != b.shape:
        c.fail(f"W2 must have shape {W.shape} and b2 {b.shape}; got {W2.shape} and {b2.shape}")
        return "divide each column of W by sigma; the bias changes by -(W / sigma) @ mu"
    if not np.allclose(got, want):
        c.fail("x @ W2.T + b2 differs from ((x - mu) / sigma) @ W.T + b")
        if np.allclose(x @ W2.T + b, want):
            return "the weights are right; the bias must also absorb the mean: b2 = b - W2 @ mu"
        return "expand W (x - mu) / sigma = (W / sigma) x - (W / sigma) mu: the new bias absorbs the mean"
    c.ok("one linear layer now does the standardisation and the probe in a single step")
    return ""


@exercise("05.3", "Trainable parameters of a frozen backbone")
def _count(answer, c):
    want = 1280 * 4 + 4
    if not isinstance(answer, (int, np.integer)):
        c.fail(f"answer with an integer; got {answer!r}")
        return "count with sum(p.numel() for p in model.parameters() if p.requires_grad)"
    c.expect(int(answer) == want, f"{want} parameters: a 1280 x 4 weight matrix and 4 biases",
             f"{answer} is not the number of trainable parameters after freeze_body")
    if int(answer) == 1280 * 1000 + 1000:
        return "that is the ImageNet head; with num_classes=4 the new head has 4 outputs"
    return "after freeze_body only the head trains: 1280 embedding features times 4 classes, plus 4 biases"


def _read_transfer_vs_scratch(m) -> tuple[str, str]:
    """Which option the sweep supports: compare the two accuracies by their 95% Wilson intervals."""
    from clskit.stats import wilson_interval

    p, s, n = float(m["probe_5"]), float(m["scratch_60"]), int(m["n_valid"])
    plo, phi = wilson_interval(round(p * n), n)
    slo, shi = wilson_interval(round(s * n), n)
    said = (f"the probe on 5 photos per class scored {p:.3f} (95% interval {plo:.3f}-{phi:.3f}), the CNN trained "
            f"from scratch on 60 per class {s:.3f} ({slo:.3f}-{shi:.3f}) on {n} validation photos")
    if plo > shi:
        return "transfer with 5 wins", (f"{said}: the intervals do not overlap, so 12 times fewer labels with "
                                        "pretrained features beat training from random weights")
    if slo > phi:
        return "scratch with 60 wins", f"{said}: the intervals do not overlap, in favour of the 60 labelled photos"
    return "too close to call", f"{said}: the intervals overlap, so this validation set cannot tell them apart"


predict_then_measure("05.4", "Five photos per class with transfer, or sixty from scratch?",
                     ("transfer with 5 wins", "scratch with 60 wins", "too close to call"), _read_transfer_vs_scratch)
