"""Checkers for notebook 10 (multi-label classification)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure

# three images, three labels (outdoor, daytime, people)
TARGETS = np.array([[1, 1, 0], [1, 0, 1], [0, 0, 1]])
PROBS = np.array([[0.9, 0.6, 0.2], [0.7, 0.4, 0.3], [0.2, 0.1, 0.8]])


@exercise("10.1", "Hamming loss by hand")
def _hamming(answer, c):
    v = c.number(answer)
    if v is None:
        return "answer with one number between 0 and 1"
    want = float(((PROBS >= 0.5) != TARGETS).mean())
    if c.expect(abs(v - want) < 1e-3, f"{want:.4f}: one wrong decision among nine", f"{v} is not the Hamming loss"):
        return ""
    if abs(v - 1 / 3) < 1e-3:
        return "that is the share of images with any mistake; Hamming loss counts wrong (image, label) decisions"
    return "threshold every probability at 0.5, compare with the targets entry by entry, and take the fraction of wrong label decisions"


@exercise("10.3", "Find the bug: per-label thresholds")
def _predict(fn, c):
    if not callable(fn):
        c.fail(f"expected a function predict_sets(probs, thresholds); got {type(fn).__name__}")
        return "define `def predict_sets(probs, thresholds): ...` and pass the function itself"
    rng = np.random.default_rng(0)
    cases = [(PROBS, np.array([0.6, 0.5, 0.3]))]                           # the notebook's example: 3 images, 3 labels
    for n, k in [(20, 5), (4, 4), (300, 4)]:
        cases.append((np.round(rng.random((n, k)), 1), np.round(rng.uniform(0.2, 0.8, k), 1)))
    for p, t in cases:
        want = (p >= t).astype(int)
        try:
            got = np.asarray(fn(p, t))
        except Exception as e:                                               # noqa: BLE001 - a learner's bug
            c.fail(f"for probs of shape {p.shape} and {len(t)} thresholds your function raises {type(e).__name__}: {e}")
            return ("the 3 x 3 example let this mistake through: which axis of probs do your thresholds line up with? "
                    "A row is an image, a column a label")
        if got.shape != want.shape or not np.array_equal(got.astype(int), want):
            c.fail(f"for probs of shape {p.shape} your label sets differ from one threshold per label")
            if got.shape == want.shape and p.shape[0] == p.shape[1] and np.array_equal(got, (p >= t[:, None]).astype(int)):
                return ("find the wrong label set by hand, and for each of its entries ask which threshold it was compared "
                        "with. Then call your function on probs of shape (4, 3) and read what happens")
            return "labels are independent: compare each probability with its own label's threshold; do not take an argmax"
    c.ok("your label sets match one threshold per label, on the square example and on larger, non-square ones")
    return ("the colleague's thresholds[:, None] lined the thresholds up with the images; on a 3 x 3 example the shapes "
            "happen to fit, so test array code on an example with more rows than columns")


def _read_biggest_change(measured):
    """The score that moves most (in points) when the rare label is switched off (``{score: change}``)."""
    change = {str(k): abs(float(v)) for k, v in dict(measured).items()}
    biggest = max(change, key=change.get)
    ranked = ", ".join(f"{k} {v:.1f}" for k, v in sorted(change.items(), key=lambda kv: -kv[1]))
    return biggest, (f"change in points when the rare label is never predicted, largest first: {ranked}. Hamming "
                     "loss and micro F1 pool every (image, label) decision, so a label with few positives carries "
                     "few of them; macro F1 gives each label a quarter of the score whatever its frequency")


predict_then_measure("10.2", "Which score notices a rare label switched off?", ("Hamming loss", "micro F1", "macro F1"),
                     _read_biggest_change)


_TUNED = {"better": "sigmoid better", "worse": "softmax better", "no clear difference": "no clear difference"}


def _read_tuned_heads(measured):
    """``measured`` is the PairedDifference of the sigmoid head's subset accuracy minus the softmax head's, each with
    its thresholds tuned on validation, on the same test images: "better" only when the 95% interval excludes 0."""
    why = (f"sigmoid minus softmax, both tuned: {measured.diff:+.1f} pts, 95% interval {measured.low:+.1f} to "
           f"{measured.high:+.1f}, paired over {measured.n} test images")
    if measured.verdict == "better":
        why += ("; thresholds far below 0.5 rescue most of the softmax head but not all of it: how it shares one unit "
                "of probability does not always tell how many labels an image holds")
    elif measured.verdict == "no clear difference":
        why += ("; with thresholds far below 0.5 the softmax head can guess how many labels an image holds from how it "
                "shares one unit of probability, and on these images that guess is about as good as the sigmoid "
                "head's independent answers")
    else:
        why += "; the softmax head's thresholds, far below 0.5, guess how many labels an image holds better here"
    return _TUNED[measured.verdict], why


predict_then_measure("10.4", "Do tuned thresholds close the gap between a softmax and a sigmoid head?",
                     ("sigmoid better", "no clear difference", "softmax better"), _read_tuned_heads)
