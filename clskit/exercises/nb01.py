"""Checkers for notebook 01 (images, labels and splits)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


@exercise("01.1", "Softmax by hand")
def _softmax(probs, c):
    import torch

    logits = torch.tensor([2.0, 1.0, 0.1])
    want = torch.softmax(logits, 0).numpy()
    got = np.asarray(probs, dtype=np.float64).reshape(-1)
    if got.shape != (3,):
        c.fail(f"expected 3 probabilities, one per class; got shape {got.shape}")
        return "apply exp to each logit, then divide by the sum of the three"
    if np.allclose(got, want, atol=1e-4):
        c.ok(f"{np.round(got, 3).tolist()} matches torch.softmax, and it sums to 1")
        return ""
    c.fail(f"{np.round(got, 3).tolist()} is not the softmax of [2.0, 1.0, 0.1] (sum {got.sum():.3f})")
    if np.allclose(got, 1 / (1 + np.exp(-logits.numpy())), atol=1e-4):
        return "that is the sigmoid of each logit: it does not sum to 1. Softmax divides exp(z) by the sum of exp over all classes"
    return "softmax(z)_k = exp(z_k) / sum_j exp(z_j): the probabilities must sum to 1"


TASKS = {"chest x-ray: normal or abnormal": "binary",
         "dog photo: which of 120 breeds": "multiclass",
         "holiday photo: tags outdoor, daytime, people": "multilabel",
         "steel part: ok, scratch or spot": "multiclass"}


@exercise("01.2", "Binary, multiclass or multilabel?")
def _kinds(answer, c):
    if not isinstance(answer, dict):
        c.fail(f"expected a dict task -> kind; got {type(answer).__name__}")
        return "fill in the dict TASK_KINDS with 'binary', 'multiclass' or 'multilabel' for each task"
    for task, kind in TASKS.items():
        got = str(answer.get(task, "")).strip().lower()
        c.expect(got == kind, f"{task}: {kind}", f"{task}: {got or 'no answer'} is not right")
    return ("two classes is binary; three or more mutually exclusive classes is multiclass; "
            "labels that can be true together (not exclusive) make it multilabel")


@exercise("01.3", "A split without leaks")
def _group_split(splits, c):
    try:
        tr, va, te = splits
    except (TypeError, ValueError):
        c.fail("expected the three datasets (train, valid, test) returned by split_dataset")
        return "tr, va, te = split_dataset(views, ...); my_splits = (tr, va, te)"
    if any(getattr(d, "groups", None) is None for d in (tr, va, te)):
        c.fail("the splits carry no group ids; split the dataset that has them (views, the bursts of section 6)")
        return "split views = bursts(photos): its groups say which crops come from one photo"
    n = len(tr) + len(va) + len(te)
    shared = (set(tr.groups) & set(va.groups)) | (set(tr.groups) & set(te.groups)) | (set(va.groups) & set(te.groups))
    c.expect(not shared, "no source photo has crops in two splits",
             f"{len(shared)} source photos have crops in more than one split: a leak")
    c.expect(0.6 <= len(tr) / max(n, 1) <= 0.85, f"train holds {len(tr) / max(n, 1):.0%}",
             f"train holds {len(tr) / max(n, 1):.0%}; aim for 70-80%")
    return "split_dataset keeps the groups together unless you pass use_groups=False"


def _read_normalization(m):
    drop = m["own"] - m["imagenet"]
    said = (f"top-1 went {m['own']:.1%} -> {m['imagenet']:.1%} with ImageNet's mean/std ({-100 * drop:+.1f} points), "
            f"and {m['none']:.1%} with no normalization at all")
    if drop > 0.05:
        return "falls more than 5 points", (said + ": the weights were fitted to inputs in [-1, 1]; ImageNet's statistics "
                                            "stretch them about 2.2x and shift them, and every BatchNorm downstream then "
                                            "sees activations on the wrong scale")
    return "within 5 points", (said + ": this network tolerates the 2.2x stretch of ImageNet's statistics on these photos, "
                               "but the scale still matters (see the unnormalized row): always use the model's own "
                               "preprocessing, preprocess_for(model)")


predict_then_measure("01.4", "Normalize with the wrong statistics", ("falls more than 5 points", "within 5 points"),
                     _read_normalization)
