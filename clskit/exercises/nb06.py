"""Checkers for notebook 06 (augmentation)."""
from __future__ import annotations

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


SAFE_FOR_DIGITS = {"small rotation", "brightness", "small shift"}
ALL_AUGS = {"horizontal flip", "small rotation", "rotation by 180 degrees", "brightness", "small shift"}


@exercise("06.2", "Augmentations that keep a digit's label")
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


@exercise("06.3", "Find the bug in a MixUp")
def _mixup(fn, c):
    import torch

    if not callable(fn):
        c.fail(f"expected a function my_mixup(x, y, lam, num_classes); got {type(fn).__name__}")
        return "define `def my_mixup(x, y, lam, num_classes): ...` and pass the function itself"
    torch.manual_seed(0)
    x, y, lam, k = torch.rand(64, 3, 4, 4), torch.randint(0, 5, (64,)), 0.7, 5
    out = fn(x.clone(), y.clone(), lam, k)
    if not (isinstance(out, tuple) and len(out) == 2 and all(isinstance(t, torch.Tensor) for t in out)):
        c.fail("my_mixup must return two tensors: the mixed images and the mixed targets")
        return "return x_mixed, y_mixed"
    xm, ym = out
    if xm.shape != x.shape or tuple(ym.shape) != (len(x), k):
        c.fail(f"shapes {tuple(xm.shape)} and {tuple(ym.shape)}; expected {tuple(x.shape)} and {(len(x), k)}")
        return "keep the images' shape; the targets are one row of class probabilities per image"
    # the pixels say who each image's partner j is: x_mixed[i] = lam * x[i] + (1 - lam) * x[j]
    partner_pixels = (xm - lam * x) / (1 - lam)
    dist = torch.cdist(partner_pixels.flatten(1), x.flatten(1), compute_mode="donot_use_mm_for_euclid_dist")
    best, partner = dist.min(1)
    if not c.expect(bool((best < 1e-3).all()), "every image is lam * itself + (1 - lam) * one partner image",
                    "some images are not lam * the image + (1 - lam) * another image of the batch"):
        return "keep the image mixing as it was: lam * x + (1 - lam) * x[perm]"
    c.expect(float((partner != torch.arange(len(x))).float().mean()) > 0.5, "the partners are shuffled",
             "most images are mixed with themselves: shuffle the partners")
    one_hot = torch.nn.functional.one_hot(y, k).float()
    want = lam * one_hot + (1 - lam) * one_hot[partner]
    agree = (ym - want).abs().amax(1) < 1e-5
    c.expect(bool(agree.all()), "each target mixes the labels of the same two images as its pixels, with the same lam",
             f"{int((~agree).sum())} of {len(x)} targets mix a different partner's label than the pixels do")
    return ("one permutation, drawn once and used for the images and the labels: the second randperm gave each "
            "image a partner for its label that is not the partner in its pixels")


def _read_probe(measured):
    """``measured = {"originals": per-image 1/0, "originals + augmented copies": per-image 1/0}``, each the
    mean over seeds, on the same validation photos in the same order."""
    from clskit.stats import paired_difference

    d = paired_difference(measured["originals + augmented copies"], measured["originals"], over="images")
    outcome = {"better": "help", "worse": "hurt"}.get(d.verdict, "no clear difference")
    why = (f"copies minus originals only: {d}; the next cells measure how far a copy's embedding lies from its "
           "original's")
    return outcome, why


predict_then_measure("06.4", "Do augmented copies help a linear probe on pretrained embeddings?",
                     ("help", "hurt", "no clear difference"), _read_probe)
