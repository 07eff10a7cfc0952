"""Exercises of notebook 12 (efficiency): the distillation loss, int8 storage, channel-pruning arithmetic, TTA views."""
from __future__ import annotations

from . import exercise, predict_then_measure


@exercise("12.1", "The distillation loss")
def _(answer, c):
    import torch
    import torch.nn.functional as F

    from ..efficiency import distillation_loss

    gen = torch.Generator().manual_seed(0)
    s, t = torch.randn(8, 5, generator=gen), torch.randn(8, 5, generator=gen) * 2
    y = torch.randint(0, 5, (8,), generator=gen)
    ok = True
    for T, alpha in [(4.0, 0.7), (2.0, 0.5), (1.0, 1.0)]:
        got = float(answer(s.clone(), t.clone(), y.clone(), T, alpha))
        want = float(distillation_loss(s, t, y, T, alpha))
        ok &= abs(got - want) < 1e-4 * max(1.0, abs(want))
    c.expect(ok, "matches alpha * T^2 * KL(p_T || q_T) + (1 - alpha) * CE", "the loss differs from the reference")
    if ok:
        return ""
    T, alpha = 4.0, 0.7
    got = float(answer(s.clone(), t.clone(), y.clone(), T, alpha))
    kl = F.kl_div(F.log_softmax(s / T, -1), F.softmax(t / T, -1), reduction="batchmean")
    if abs(got - float(alpha * kl + (1 - alpha) * F.cross_entropy(s, y))) < 1e-4:
        return "multiply the KL term by T squared (T * T): its gradients shrink like 1/T^2"
    if abs(got - float(F.cross_entropy(s, y))) < 1e-4:
        return "add the soft term: the KL divergence between the softened teacher and student distributions"
    return "KL(p || q) = sum p * (log p - log q) with p = softmax(teacher / T), log q = log_softmax(student / T)"


@exercise("12.2", "int8 storage")
def _(answer, c):
    value = float(answer)
    c.expect(abs(value - 4) < 0.25, "4 bytes per float32 weight vs 1 byte per int8 weight: about 4x",
             f"{value} is not the factor")
    return "count the bytes: a float32 number takes 4 bytes, an int8 number 1 byte"


@exercise("12.3", "Channel pruning arithmetic")
def _(answer, c):
    value = float(answer)
    before = 3 * 64 * 9 + 64 * 128 * 9 + 128 * 128 * 9
    after = 3 * 32 * 9 + 32 * 64 * 9 + 64 * 64 * 9
    factor = before / after                                   # 3.97
    c.expect(abs(value - factor) < 0.3, f"about {factor:.2f}x: each layer loses half its outputs and half its inputs",
             f"{value} is not the factor ({before:,} weights before)")
    return ("a conv has c_in * c_out * 3 * 3 weights; halving the channels halves the inputs of the next layer too, "
            "so most layers shrink 4x")


def _read_mirror(measured) -> tuple[str, str]:
    """Did adding the mirror view to shift-TTA help, hurt, or not clearly change accuracy (paired over seeds)?"""
    from ..stats import spread

    shifts, mirror = list(measured["shifts only"]), list(measured["mirror + shifts"])
    if len(shifts) != len(mirror) or not shifts:
        raise ValueError("measured needs one accuracy per seed under both keys, the same seeds in the same order")
    diff = spread([m - s for m, s in zip(mirror, shifts)])       # paired: the same student with and without the mirror
    zero = spread([0.0])
    outcome = "helps" if diff.clearly_above(zero) else "hurts" if zero.clearly_above(diff) else "no clear difference"
    why = (f"over {len(shifts)} seeds, adding the mirror view changed accuracy by {diff.mean:+.1%} ± {diff.std:.1%} "
           f"(mean ± std of the paired differences)")
    if outcome == "no clear difference":
        why += ("; averaged with five other views, one odd view rarely flips a prediction, so the mirror's "
                "effect is within seed noise here")
    elif outcome == "hurts":
        why += "; a mirrored digit is often another symbol, so that view votes for the wrong class"
    return outcome, why


predict_then_measure("12.4", "Does a mirror view help test-time augmentation on digits?",
                     ("helps", "no clear difference", "hurts"), _read_mirror)
