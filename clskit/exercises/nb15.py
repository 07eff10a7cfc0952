"""Checkers for notebook 15 (fine-grained classification)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


def _verdict(m, a: str, b: str) -> str:
    """Which arm keeps more of its margin: ``a`` if the paired interval of (a - b) lies above 0, ``b`` if below."""
    if m["low"] > 0:
        return a
    if m["high"] < 0:
        return b
    return "about the same"


def _read_faster(m):
    why = (f"at {m['size']} px the exact class keeps {m['fine_kept']:.0%} of its margin over chance and the "
           f"WordNet group {m['coarse_kept']:.0%} (group - exact: 95% interval {m['low']:+.1f} to {m['high']:+.1f} pts)")
    faster = {"coarse-keeps-more": "fine-grained", "fine-keeps-more": "coarse", "about the same": "about the same"}
    return faster[_verdict(m, "coarse-keeps-more", "fine-keeps-more")], why


predict_then_measure("15.1", "Which credit loses its margin faster when the resolution drops?",
                     ("fine-grained", "coarse", "about the same"), _read_faster)


def _read_topk(m):
    top1_full, top1_low, top5_low = m["top1_full"], m["top1_low"], m["top5_low"]
    why = (f"top-1 is {top1_full:.0%} at full resolution and {top1_low:.0%} at low resolution, where top-5 is "
           f"{top5_low:.0%}")
    if top5_low >= top1_full:
        return "fully", why
    if top5_low > top1_low + 0.02:
        return "partly", why
    return "not at all", why


predict_then_measure("15.2", "Does top-5 win back what low resolution costs top-1?",
                     ("fully", "partly", "not at all"), _read_topk)


@exercise("15.3", "Top-k accuracy by hand")
def _topk(fn, c):
    if not callable(fn):
        c.fail(f"expected a function top_k(logits, targets, k) -> float; got {type(fn).__name__}")
        return "define `def top_k(logits, targets, k): ...` returning the fraction of rows whose target is among the k best"
    from sklearn.metrics import top_k_accuracy_score

    rng = np.random.default_rng(0)
    logits = rng.normal(size=(300, 20))
    y = rng.integers(0, 20, 300)
    for k in (1, 3, 5):
        want = top_k_accuracy_score(y, logits, k=k, labels=np.arange(20))
        got = float(fn(logits, y, k))
        if abs(got - want) > 1e-9:
            c.fail(f"for k={k} you returned {got:.3f}; scikit-learn's top_k_accuracy_score says {want:.3f}")
            if k > 1 and abs(got - top_k_accuracy_score(y, logits, k=1, labels=np.arange(20))) < 1e-9:
                return "you compare the target with the best class only: take the k largest scores (np.argsort or torch.topk)"
            return "a row counts when its target is one of the k columns with the largest scores"
    c.ok("your top-1, top-3 and top-5 accuracies match scikit-learn's top_k_accuracy_score")
    return ""


def _read_10way(m):
    why = (f"at {m['size']} px the 10-way decision keeps {m['ten_way_kept']:.0%} of its margin over chance and the "
           f"group credit {m['group_kept']:.0%} (10-way - group: 95% interval {m['low']:+.1f} to {m['high']:+.1f} pts); "
           "both are coarse, but the 10-way argmax chooses among 10 classes instead of 1000, and a noisy argmax "
           "over fewer alternatives keeps more right answers")
    return _verdict(m, "10-way", "group"), why


predict_then_measure("15.4", "Two coarse decisions: fewer alternatives, or a lenient credit?",
                     ("10-way", "group", "about the same"), _read_10way)
