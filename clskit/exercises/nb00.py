"""Checkers for notebook 00 (welcome)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


@exercise("00.1", "Accuracy from probabilities")
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


@exercise("00.2", "Size of a validation split")
def _split(n_valid, c):
    from clskit.datasets import load_dataset, split_indices

    _, va, _ = split_indices(load_dataset("digits").targets.numpy(), valid=0.2, test=0.1, seed=0)
    if n_valid == len(va):
        c.ok(f"{len(va)} images: 20% of 1,797 (rounded the way scikit-learn's splitter rounds)")
        return ""
    c.fail(f"{n_valid} is not the size of the validation split")
    if n_valid in (int(0.1 * 1797), round(0.1 * 1797) + 1, 180):
        return "that is the test split: the validation fraction is valid=0.2"
    return "call split_dataset(ds, valid=0.2, test=0.1, seed=0) and take len() of the second part"


@exercise("00.3", "The most confused digit")
def _worst(answer, c):
    worst, preds, targets = answer
    preds, targets = np.asarray(preds), np.asarray(targets)
    errors = np.bincount(targets[preds != targets], minlength=10)
    if errors.sum() == 0:
        c.ok("the model made no mistakes on this test set, so every digit is tied")
        return ""
    best = set(np.flatnonzero(errors == errors.max()).tolist())
    if int(worst) in best:
        c.ok(f"digit {int(worst)} has the most misclassified images ({errors.max()})")
        return ""
    c.fail(f"digit {worst} has {errors[int(worst)]} misclassified images; another digit has {errors.max()}")
    return "count, for each TRUE digit (row of the confusion matrix), the images predicted as something else: the off-diagonal sum of its row"


def _read_shift(m):
    drop = m["original"] - m["shifted"]
    said = (f"accuracy went {m['original']:.1%} -> {m['shifted']:.1%} for a 1-pixel shift "
            f"({m.get('shifted_2', float('nan')):.1%} for 2 pixels)")
    if drop > 0.10:
        return "falls more than 10 points", (said + ": convolutions are shift-equivariant (the maps move with the "
                                             "image), but padding, pooling windows and an 8-pixel image make the "
                                             "network only partly shift-invariant; augmentation with shifts (notebook 06) helps")
    return "within 10 points", (said + ": the shared filters and the pooling absorb a one-pixel shift here; "
                                "larger shifts, or a network without pooling, would show more of a loss")


predict_then_measure("00.4", "Is a CNN shift-invariant?", ("falls more than 10 points", "within 10 points"), _read_shift)
