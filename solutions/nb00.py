"""Solutions to the exercises of notebook 00 (try them yourself first)."""
import numpy as np

from clskit import paired_difference


def my_accuracy(targets, probs):
    return float((np.asarray(probs).argmax(1) == np.asarray(targets)).mean())


def error_rate(targets, probs):
    return float((np.asarray(probs).argmax(1) != np.asarray(targets)).mean())


def my_evaluate(model, x, y):
    import torch

    model.eval()                          # BatchNorm uses its running averages, and leaves them as they are
    with torch.no_grad():
        preds = model(x).argmax(1)
    return float((preds == y).float().mean())


def buggy_evaluate(model, x, y):
    preds = model(x).argmax(1)            # still in training mode: batch statistics, running averages updated
    return float((preds == y).float().mean())


BN = {"as_trained": 0.10, "re_estimated": 0.95}
# 100 test images: 98 right unshifted, 84 of them still right after the shift
SHIFT = {"original": 0.98, "shifted": 0.84,
         "difference": paired_difference([1] * 84 + [0] * 16, [1] * 98 + [0] * 2, over="images")}

SOLUTIONS = {"00.1": lambda: {"prediction": "rises above 50%", "measured": BN},
             "00.2": lambda: {"prediction": "falls clearly", "measured": SHIFT},
             "00.3": lambda: my_accuracy, "00.4": lambda: my_evaluate}
WRONG = {"00.1": (lambda: {"prediction": "stays below 50%", "measured": BN}, "running averages"),
         "00.2": (lambda: {"prediction": "no clear fall", "measured": SHIFT}, "pooling"),
         "00.3": (lambda: error_rate, "error rate"), "00.4": (lambda: buggy_evaluate, "model.eval()")}
