"""Checkers for notebook 03 (CNN architectures)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


@exercise("03.1", "Parameters of a depthwise-separable convolution")
def _separable(answer, c):
    depthwise, pointwise = 64 * 3 * 3, 128 * 64        # one 3x3 filter per input channel; then a 1x1 mix
    want = depthwise + pointwise                       # 8,768 (vs 73,728 for the standard convolution)
    c.expect(answer == want, f"{want:,} weights is right (8.4x fewer than 73,728)", f"{answer!r} is not the count")
    if answer == pointwise:
        return "add the depthwise part: 64 filters of 3x3"
    if answer == 128 * 3 * 3 + pointwise:
        return "the depthwise convolution has one 3x3 filter per *input* channel (64), not per output"
    return "depthwise: in_channels * 3 * 3; pointwise: out_channels * in_channels * 1 * 1; add them"


@exercise("03.2", "The most accurate small model")
def _best_small(answer, c):
    from clskit.models.cards import load_model_cards

    small = [m for m in load_model_cards()["models"] if m["params_m"] < 10]
    best = max(small, key=lambda m: m["top1"])["name"]
    c.expect(answer == best, f"{best} is right", f"{answer!r} is not the most accurate model under 10 M parameters")
    if answer == max(load_model_cards()["models"], key=lambda m: m["top1"])["name"]:
        return "that one is the most accurate overall; keep only params_m < 10 first"
    return "filter: [m for m in cards['models'] if m['params_m'] < 10], then max(..., key=lambda m: m['top1'])"


@exercise("03.3", "Replace a ResNet head by hand")
def _head(model, c):
    import torch
    import torch.nn as nn

    fc = getattr(model, "fc", None)
    if not c.expect(isinstance(fc, nn.Linear), "model.fc is a Linear layer", f"model.fc is {type(fc).__name__}"):
        return "model.fc = nn.Linear(model.fc.in_features, 3)"
    c.expect(fc.in_features == 512, "it takes the 512 pooled features", f"in_features is {fc.in_features}, not 512")
    c.expect(fc.out_features == 3, "it outputs 3 logits", f"out_features is {fc.out_features}, not 3")
    if fc.in_features == 512 and fc.out_features == 3:
        with torch.no_grad():
            c.expect(model.eval()(torch.zeros(1, 3, 64, 64)).shape == (1, 3), "the model gives (1, 3) logits",
                     "the model's output is not (1, 3)")
    return "in_features must match what the backbone gives (model.fc.in_features, 512 for ResNet-18)"


def _read_depth(m):
    from clskit.stats import spread

    plain, residual = spread(m["plain"]), spread(m["residual"])
    said = (f"final training loss: plain {plain.mean:.3f} ± {plain.std:.3f}, residual {residual.mean:.3f} ± "
            f"{residual.std:.3f} over {len(plain.values)} seeds")
    if plain.clearly_above(residual):
        return "residual lower", (said + ": with the same layers, the shortcuts let the gradient reach the early layers "
                                  "through the identity path, so the deep network optimises faster")
    if residual.clearly_above(plain):
        return "plain lower", said + ": here the plain stack optimised faster; what is different from He et al.'s setting?"
    return "no clear difference", (said + ": the gap is within the seed spread; at this depth and with BatchNorm the "
                                   "plain stack still trains")


predict_then_measure("03.4", "Depth with and without shortcuts", ("plain lower", "no clear difference", "residual lower"),
                     _read_depth)
