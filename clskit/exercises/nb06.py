"""Checkers for notebook 06 (augmentation)."""
from __future__ import annotations

import numpy as np

from clskit.exercises import exercise, predict_then_measure


@exercise("06.1", "A flip for each image")
def _flip(fn, c):
    import torch

    if not callable(fn):
        c.fail(f"expected a function my_flip(x) on a batch (B, C, H, W); got {type(fn).__name__}")
        return "define `def my_flip(x): ...` and pass the function itself"
    torch.manual_seed(0)
    x = torch.rand(200, 3, 8, 8)
    out = fn(x.clone())
    if not isinstance(out, torch.Tensor) or out.shape != x.shape:
        c.fail(f"my_flip must return a tensor of shape {tuple(x.shape)}")
        return "return the batch with some images flipped along the last axis (width)"
    same = torch.tensor([torch.allclose(o, xi) for o, xi in zip(out, x)])
    flipped = torch.tensor([torch.allclose(o, xi.flip(-1)) for o, xi in zip(out, x)])
    if not (same | flipped).all():
        c.fail("some images are neither unchanged nor mirrored left-right")
        return "flip along the width: x[i].flip(-1) (the last axis)"
    frac = float(flipped.float().mean())
    c.expect(0.35 <= frac <= 0.65, f"{frac:.0%} of the images are flipped, each one independently",
             f"{frac:.0%} of the images are flipped; with probability 0.5 per image about half should be")
    return "draw one random number for each image (torch.rand(len(x)) < 0.5), not one for the whole batch"


@exercise("06.2", "The target of a MixUp pair")
def _mix_target(target, c):
    want = np.array([0.7, 0.0, 0.3])
    got = np.asarray(target, dtype=np.float64).reshape(-1)
    if got.shape == (3,) and np.allclose(got, want, atol=1e-6):
        c.ok("0.7 of class 0 and 0.3 of class 2: the labels mix with the same lam as the pixels")
        return ""
    c.fail(f"{got.tolist()} is not the mixed target")
    return "mixed target = lam * one_hot(0) + (1 - lam) * one_hot(2) with lam = 0.7 and 3 classes"


SAFE_FOR_DIGITS = {"small rotation", "brightness", "small shift"}
ALL_AUGS = {"horizontal flip", "small rotation", "rotation by 180 degrees", "brightness", "small shift"}


@exercise("06.3", "Augmentations that keep a digit's label")
def _safe(answer, c):
    got = {str(a).strip().lower() for a in answer} if isinstance(answer, (set, list, tuple)) else set()
    unknown = got - ALL_AUGS
    if unknown:
        c.fail(f"{sorted(unknown)} are not among the choices {sorted(ALL_AUGS)}")
    for a in sorted(ALL_AUGS):
        if a in SAFE_FOR_DIGITS:
            c.expect(a in got, f"{a} keeps the label", f"{a} keeps the label: include it")
        else:
            c.expect(a not in got, f"{a} can change the label: left out",
                     f"{a} can change the label (a mirrored 2 or 7 is not a digit, a 6 turned round is a 9)")
    return "augment only with changes that keep the class: ask whether a 6 still reads as a 6 afterwards"


def _read_probe(measured):
    """``measured = {"originals": [val accuracies], "originals + augmented copies": [val accuracies]}`` per seed."""
    from clskit.stats import spread

    orig, both = spread(measured["originals"]), spread(measured["originals + augmented copies"])
    outcome = "help" if both.clearly_above(orig) else "hurt" if orig.clearly_above(both) else "no clear difference"
    why = (f"the probe scored {orig.mean:.3f} ± {orig.std:.3f} on originals and {both.mean:.3f} ± {both.std:.3f} with "
           "augmented copies; the pretrained backbone was trained with flips, crops and colour jitter, so its embeddings "
           "barely change under them and the copies add little that is new")
    return outcome, why


predict_then_measure("06.4", "Do augmented copies help a linear probe on pretrained embeddings?",
                     ("help", "hurt", "no clear difference"), _read_probe)
