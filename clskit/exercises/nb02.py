"""Checkers for notebook 02 (a CNN from scratch)."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


@exercise("02.1", "Output size of a convolution")
def _out_size(answer, c):
    # a 28x28 input, 5x5 kernel, stride 2, padding 1 -> (28 + 2 - 5) // 2 + 1 = 13
    c.expect(answer == 13, "13x13 is right", f"{answer!r} is not the output size")
    if answer == 12:
        return "off by one: the formula ends with + 1 (the kernel's first position counts too)"
    if answer in (11, 24, 12.5):
        return "remember the padding: out = (in + 2*padding - kernel) // stride + 1"
    return "out = (in + 2*padding - kernel) // stride + 1"


@exercise("02.2", "Parameters of a convolution layer")
def _params(answer, c):
    # nn.Conv2d(16, 32, kernel_size=3) with bias: 32 * 16 * 3 * 3 + 32
    c.expect(answer == 4640, "4,640 parameters is right", f"{answer!r} is not the parameter count")
    if answer == 4608:
        return "you forgot the bias: one per output channel"
    if answer in (288, 320, 144):
        return "every output channel has one 3x3 kernel per input channel: out * in * k * k (+ bias)"
    return "params = out_channels * in_channels * k * k + out_channels (bias)"


@exercise("02.3", "Receptive field of stacked 3x3 convolutions")
def _rf(answer, c):
    # three 3x3 convolutions (stride 1), then a 2x2 max-pool, then one more 3x3 convolution: 3, 5, 7, 8, 12
    c.expect(answer == 12, "12x12 input pixels is right", f"{answer!r} is not the receptive field")
    if answer == 9:
        return "each 3x3 layer adds 2 pixels times the jump; layers after a stride-2 pool add twice as much"
    if answer == 10:
        return "after the pool the jump is 2, so the last 3x3 convolution adds (3 - 1) * 2 = 4 pixels"
    return "rf grows by (k - 1) * jump per layer; jump multiplies by each stride (try clskit's receptive_field)"


def _read_shuffle(m):
    drop = m["cnn_original"] - m["cnn"]
    said = (f"the CNN went {m['cnn_original']:.1%} -> {m['cnn']:.1%} ({-100 * drop:+.1f} points) on shuffled pixels, "
            f"while the RBF SVM stayed at {m['svm']:.1%} (it only compares whole pixel vectors)")
    if drop > 0.03:
        return "drops more than 3 points", (said + ": its 3x3 filters and pooling assume that neighbouring pixels belong "
                                            "together, and after the shuffle that built-in assumption is wrong")
    return "stays within 3 points", (said + ": on 8x8 images the last stage's units see the whole digit, so the network "
                                     "can learn the shuffled layout from 1,257 images; the neighbourhood assumption is "
                                     "worth little at this size, much more on large photos")


predict_then_measure("02.4", "Shuffled pixels: what locality is worth", ("drops more than 3 points", "stays within 3 points"),
                     _read_shuffle)
