"""Checkers for notebook 05 (transfer learning)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


def _read_transfer_vs_scratch(measured) -> tuple[str, str]:
    """``measured``: the :class:`~clskit.stats.PairedDifference` of the probe with 5 photos per class minus
    the scratch CNN with 60, paired over the same test photos."""
    outcome = {"better": "transfer with 5 wins", "worse": "scratch with 60 wins"}.get(measured.verdict,
                                                                                       "too close to call")
    why = f"probe with 5 per class minus scratch CNN with 60: {measured}"
    if outcome == "transfer with 5 wins":
        why += ("; the interval excludes 0: 12 times fewer labels on pretrained features beat a network that "
                "had to learn its features from 600 photos")
    elif outcome == "scratch with 60 wins":
        why += "; the interval excludes 0, in favour of the 60 labelled photos per class"
    else:
        why += "; the interval includes 0, so these test photos cannot tell the two apart"
    return outcome, why


predict_then_measure("05.1", "Five photos per class with transfer, or sixty from scratch?",
                     ("transfer with 5 wins", "scratch with 60 wins", "too close to call"), _read_transfer_vs_scratch)

ZERO_SHOT_OPTIONS = {
    "a": "score the same head on the 600 training photos, which ImageNet's training set contains",
    "b": "keep the backbone and the same ten outputs, give the head random weights, and score the same test photos",
    "c": "fit the linear probe on all 60 labelled photos per class and score the same test photos",
}


@exercise("05.2", "Design the control: does the ten-way choice make the task easy?")
def _zero_shot(answer, c):
    # The objection: "with only ten outputs left, any network would score high". The control changes only what the
    # objection says does not matter (the head's ImageNet-trained weights) and keeps everything else.
    key = str(answer).strip().lower()
    if key not in ZERO_SHOT_OPTIONS:
        c.fail(f"{answer!r} is not one of {', '.join(map(repr, ZERO_SHOT_OPTIONS))}")
        return "answer with the letter of one measurement"
    c.expect(key == "b", "a random head keeps the backbone, the ten outputs and the test photos, and removes only what "
                         "the objection calls irrelevant: the head's training on ImageNet's labels for these classes",
             f"({key}) does not test the objection: {ZERO_SHOT_OPTIONS[key]}")
    if key == "a":
        return ("that asks whether the network memorised photos it trained on, a different question; to test the "
                "objection, change only the thing it says does not matter and see whether the score survives")
    if key == "c":
        return ("the probe measures what our labels add on top of the features, not whether the head's score needs "
                "its ImageNet training; change only the thing the objection says does not matter")
    return ""


def _blobs(seed: int):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (3, 6))
    x = np.concatenate([c + rng.normal(0, 1.5, (40, 6)) * rng.uniform(0.5, 3, 6) for c in centres])
    return x, np.repeat(np.arange(3), 40)


@exercise("05.3", "Fold standardisation into the head")
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


@exercise("05.4", "A linear probe by hand")
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
        return "end with `return float(model.score(z_valid, y_valid))`"
    if abs(float(got) - want) > 0.05:
        c.fail(f"on a test set of 3 classes your accuracy is {float(got):.3f}; clskit's linear_probe gives {want:.3f}")
        train_acc = linear_probe(x[tr], y[tr]).score(x[tr], y[tr])
        if abs(float(got) - train_acc) < 1e-9:
            return "you scored the training embeddings: fit on (emb_train, y_train), score on the validation pair"
        return ("z = (x - mean) / std with the training mean and std for both sets; "
                "LogisticRegression(max_iter=2000).fit(z_train, y_train).score(z_valid, y_valid)")
    c.ok(f"your probe scores {float(got):.3f}, like clskit's linear_probe ({want:.3f})")
    return ""
