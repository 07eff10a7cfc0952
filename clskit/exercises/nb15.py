"""Checkers for notebook 15 (fine-grained classification)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


def _retention(accs, chance: float) -> float:
    """Share of the full-resolution accuracy above chance that is left at the lowest resolution."""
    a = [float(v) for v in accs]
    return (a[-1] - chance) / max(a[0] - chance, 1e-9)


def _read_faster(m):
    fine, coarse = _retention(m["fine"], m["fine_chance"]), _retention(m["coarse"], m["coarse_chance"])
    why = (f"from {m['sizes'][0]} to {m['sizes'][-1]} px the exact 1000-class accuracy keeps {fine:.0%} of its "
           f"margin over chance, the 10-way decision {coarse:.0%}")
    if abs(fine - coarse) < 0.05:
        return "about the same", why
    return ("fine-grained" if fine < coarse else "coarse"), why


predict_then_measure("15.1", "Which falls faster when the resolution drops?",
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
