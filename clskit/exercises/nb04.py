"""Checkers for notebook 04 (vision transformers)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


@exercise("04.1", "Tokens of a ViT")
def _tokens(answer, c):
    want = (384 // 16) ** 2 + 1                       # 24 x 24 patches + the class token = 577
    c.expect(answer == want, f"{want} tokens is right", f"{answer!r} is not the number of tokens")
    if answer == want - 1:
        return "don't forget the class token"
    if answer in (24, 25):
        return "the patches form a 24 x 24 grid: square it"
    return "tokens = (image side / patch side) ** 2 patches + 1 class token"


@exercise("04.2", "Scaled dot-product attention by hand")
def _attention(fn, c):
    import torch
    import torch.nn.functional as F

    if not callable(fn):
        c.fail(f"expected a function my_attention(q, k, v); got {type(fn).__name__}")
        return "define `def my_attention(q, k, v): ...` and pass the function itself"
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 5, 8, generator=g) for _ in range(3))
    out = fn(q, k, v)
    ref = F.scaled_dot_product_attention(q, k, v)
    if not c.expect(tuple(out.shape) == tuple(ref.shape), "the output shape is right",
                    f"output shape {tuple(out.shape)} is not {tuple(ref.shape)}"):
        return "out = softmax(q @ k.transpose(-2, -1) / sqrt(d), dim=-1) @ v keeps (B, heads, T, d)"
    ok = torch.allclose(out, ref, atol=1e-5)
    c.expect(ok, "it matches F.scaled_dot_product_attention", "the values differ from F.scaled_dot_product_attention")
    if not ok:
        unscaled = (q @ k.transpose(-2, -1)).softmax(-1) @ v
        if torch.allclose(out, unscaled, atol=1e-5):
            return "divide the scores by sqrt(d) before the softmax (d = q.shape[-1])"
    return "softmax over the last axis (the keys) of q @ k^T / sqrt(d), then multiply by v"


@exercise("04.3", "Parameters of the patch embedding")
def _patch(answer, c):
    want = 64 * 1 * 2 * 2 + 64                         # 320 (the notebook's ViT: 2x2 patches of 8x8 digits)
    c.expect(answer == want, f"{want:,} is right", f"{answer!r} is not the parameter count")
    if answer == 64 * 4:
        return "add the bias: one per output channel (64)"
    if answer == 64 * 1 * 4 * 4 + 64:
        return "that is a 4x4 patch embedding; the notebook's ViT cuts its 8x8 digits into 2x2 patches"
    return "a 2x2 convolution from 1 to 64 channels: 64 * 1 * 2 * 2 weights + 64 biases"


def _read_gap_trend(measured):
    """``measured = {n: (cnn_accs, vit_accs)}`` for the smallest and largest training set (one accuracy per seed)."""
    from clskit.stats import spread

    sizes = sorted(measured)
    if len(sizes) < 2:
        raise ValueError("measured needs the accuracies at two training-set sizes (smallest and largest)")
    gap = {n: spread([c - v for c, v in zip(*measured[n])]) for n in (sizes[0], sizes[-1])}
    small, large = gap[sizes[0]], gap[sizes[-1]]
    outcome = ("narrows" if small.clearly_above(large) else "widens" if large.clearly_above(small)
               else "stays about the same")
    why = (f"the CNN-minus-ViT gap is {small.mean:+.3f} ± {small.std:.3f} with {sizes[0]} images and "
           f"{large.mean:+.3f} ± {large.std:.3f} with {sizes[-1]}: the CNN's built-in locality is worth most when "
           "data is scarce, and the ViT catches up as data teaches it what the convolution assumes")
    return outcome, why


predict_then_measure("04.4", "Does the CNN-ViT gap widen or narrow with more data?",
                     ("widens", "narrows", "stays about the same"), _read_gap_trend)
