"""Checkers for notebook 03 (CNN architectures)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure

SPEED_OPTIONS = {
    "a": "the FLOP counter misses the depthwise convolutions",
    "b": "depthwise convolutions do little arithmetic per number read, and many small layers cost time to run",
    "c": "EfficientNet-B0 has more parameters than ResNet-50",
}


@exercise("03.1", "Why 11 times fewer FLOPs is only 2.5 times faster")
def _flops_not_time(answer, c):
    # cards: EfficientNet-B0 0.77 GFLOPs, 5.3 M parameters, 37.5 ms; ResNet-50 8.18 GFLOPs, 25.6 M, 94.5 ms (batch 1)
    key = str(answer).strip().lower()
    if key not in SPEED_OPTIONS:
        c.fail(f"{answer!r} is not one of {', '.join(map(repr, SPEED_OPTIONS))}")
        return "answer with the letter of one explanation"
    c.expect(key == "b", "time goes to moving data and running many small layers, which FLOPs do not count: a depthwise "
                         "3x3 convolution does 9 multiply-adds per input number it reads",
             f"({key}) does not explain it: {SPEED_OPTIONS[key]}")
    if key == "a":
        return ("section 3 counts a depthwise-separable block's multiply-adds with the same counter and they match the "
                "formula; the arithmetic is counted, so the time must go somewhere else")
    if key == "c":
        return "look at the params_m column: EfficientNet-B0 has 5.3 M parameters, ResNet-50 25.6 M"
    return ""


def _read_depth(m):
    """``m = {"8 layers": [final training losses], "20 layers": [...]}``, one per run, seed for seed."""
    shallow, deep = [float(v) for v in m["8 layers"]], [float(v) for v in m["20 layers"]]
    said = (f"final training losses, 8 layers {min(shallow):.4f} to {max(shallow):.4f}, 20 layers {min(deep):.4f} to "
            f"{max(deep):.4f}, over {len(deep)} runs each")
    if min(deep) > max(shallow):
        return "the 20-layer one", (said + ": every deep run ends above every shallow one, although the deep network "
                                    "could copy the shallow one; deep plain stacks are harder to optimise")
    if min(shallow) > max(deep):
        return "the 8-layer one", said + ": every shallow run ends above every deep one; what differs from He et al.'s setting?"
    return "no clear difference", said + ": the runs of the two networks overlap"


predict_then_measure("03.2", "Deeper plain networks, the same training", ("the 20-layer one", "the 8-layer one",
                                                                           "no clear difference"), _read_depth)


@exercise("03.3", "Find the bug in a residual block")
def _shortcut(block_class, c):
    import torch

    wrong_shape = False
    for c_in, c_out, stride in ((16, 32, 1), (16, 32, 2), (16, 16, 1)):
        want = (2, c_out, 8 // stride, 8 // stride)
        call = f"{getattr(block_class, '__name__', 'block')}({c_in}, {c_out}, stride={stride})"
        try:
            with torch.no_grad():
                out = block_class(c_in, c_out, stride).eval()(torch.randn(2, c_in, 8, 8))
        except RuntimeError as e:
            c.fail(f"{call} on (2, {c_in}, 8, 8) raised: {str(e).splitlines()[0][:160]}")
            wrong_shape = True
            continue
        if not c.expect(tuple(out.shape) == want, f"{call} gives {want}", f"{call} gives {tuple(out.shape)}, not {want}"):
            wrong_shape = True
    if wrong_shape:
        return ("compare the shapes the body and the shortcut give: the body's first convolution has stride=stride; "
                "the shortcut's 1x1 convolution must shrink the maps the same way, with stride=stride")
    return ""


@exercise("03.4", "Parameters of a depthwise-separable convolution")
def _separable(answer, c):
    depthwise, pointwise = 64 * 3 * 3, 128 * 64        # one 3x3 filter per input channel; then a 1x1 mix
    want = depthwise + pointwise                       # 8,768 (vs 73,728 for the standard convolution)
    c.expect(answer == want, f"{want:,} weights is right (8.4x fewer than 73,728)", f"{answer!r} is not the count")
    if answer == pointwise:
        return "add the depthwise part: 64 filters of 3x3"
    if answer == 128 * 3 * 3 + pointwise:
        return "the depthwise convolution has one 3x3 filter per *input* channel (64), not per output"
    return "depthwise: in_channels * 3 * 3; pointwise: out_channels * in_channels * 1 * 1; add them"
