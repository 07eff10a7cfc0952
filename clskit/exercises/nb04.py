"""Checkers for notebook 04 (vision transformers)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


def _read_shuffle(measured):
    """``measured = {"without": (outputs, outputs_shuffled), "with": (outputs, outputs_shuffled)}``: a ViT's
    outputs for some digits and for the same digits with their patches shuffled, without and with the position
    embedding."""
    import torch

    def change(pair):
        a, b = (torch.as_tensor(t, dtype=torch.float64) for t in pair)
        return float((a - b).abs().max() / a.abs().max())

    without = change(measured["without"])
    outcome = "not at all" if without < 1e-4 else "a little" if without < 0.1 else "a lot"
    why = (f"without the position embedding the largest change is {without:.0e} of the largest output (float "
           f"rounding); with it, {change(measured['with']):.2f}. LayerNorm and the MLP act on each token alone and "
           "attention compares every token with every other, so shuffling the patches only reorders the terms "
           "of the class token's weighted sum: without a position embedding a ViT sees a bag of patches")
    return outcome, why


predict_then_measure("04.1", "Shuffle the patches of a ViT without position embedding",
                     ("not at all", "a little", "a lot"), _read_shuffle)


def _read_gap_trend(measured):
    """``measured = {n: (cnn_right, vit_right)}`` for the smallest and largest training set: per test image, the
    share of seeds that got it right, in the same image order for both models and both sizes."""
    import numpy as np

    from clskit.stats import paired_difference

    sizes = sorted(measured)
    if len(sizes) < 2:
        raise ValueError("measured needs the per-image scores at two training-set sizes (smallest and largest)")
    gaps = {n: np.asarray(measured[n][0], dtype=float) - np.asarray(measured[n][1], dtype=float)
            for n in (sizes[0], sizes[-1])}
    small, large = gaps[sizes[0]], gaps[sizes[-1]]
    d = paired_difference(small, large)           # gap with few images minus gap with many, per test image
    outcome = {"better": "narrows", "worse": "widens"}.get(d.verdict, "stays about the same")
    why = (f"the CNN-minus-ViT gap is {100 * small.mean():+.1f} pts with {sizes[0]} images and "
           f"{100 * large.mean():+.1f} pts with {sizes[-1]}; the first minus the second is {d}. The CNN's built-in "
           "locality is worth most when data is scarce, and the ViT catches up as data teaches it what the "
           "convolution assumes")
    return outcome, why


predict_then_measure("04.2", "Does the CNN-ViT gap widen or narrow with more data?",
                     ("narrows", "widens", "stays about the same"), _read_gap_trend)


BUG_LINES = {
    "a": "the split into heads: reshape(B, heads, T, D // heads)",
    "b": "the scaled, softmaxed scores",
    "c": "the heads put side by side again",
}


@exercise("04.3", "Find the bug in multi-head attention")
def _bug(answer, c):
    key = str(answer).strip().lower()
    if key not in BUG_LINES:
        c.fail(f"{answer!r} is not one of {', '.join(map(repr, BUG_LINES))}")
        return "answer with the letter of one line"
    c.expect(key == "a", "line a: reshape reads (B, T, D) memory in order, so each head gets pieces of a few "
                         "tokens instead of 16 numbers of every token; view(B, T, heads, D // heads).transpose(1, 2) "
                         "splits each token first, then moves the head axis",
             f"line {key} ({BUG_LINES[key]}) is right as written")
    if key == "b":
        return ("line b is section 2's formula: softmax over the keys of q k^T / sqrt(d_head); look at how the "
                "numbers of each token reach the heads")
    if key == "c":
        return ("line c is the exact inverse of a correct split, (B, heads, T, d) back to (B, T, D); ask whether "
                "line a made that layout: print which token each row of head 1 came from")
    return ""


@exercise("04.4", "Tokens of a ViT with small patches")
def _tokens(answer, c):
    want = (224 // 8) ** 2 + 1                        # 28 x 28 patches + the class token = 785
    c.expect(answer == want, f"{want} tokens is right: about 4 times ViT-B/16's 197, so attention matrices about "
                             "16 times larger", f"{answer!r} is not the number of tokens")
    if answer == want - 1:
        return "don't forget the class token"
    if answer in (28, 29):
        return "the patches form a 28 x 28 grid: square it"
    return "tokens = (image side / patch side) ** 2 patches + 1 class token"
