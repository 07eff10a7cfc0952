"""Solutions to the exercises of notebook 00 (try them yourself first)."""
import numpy as np


def my_accuracy(targets, probs):
    return float((np.asarray(probs).argmax(1) == np.asarray(targets)).mean())


def error_rate(targets, probs):
    return float((np.asarray(probs).argmax(1) != np.asarray(targets)).mean())


def n_valid():
    from clskit import load_dataset, split_dataset

    return len(split_dataset(load_dataset("digits"), valid=0.2, test=0.1, seed=0)[1])


def _preds():
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 10, 300)
    preds = targets.copy()
    wrong = rng.choice(300, 30, replace=False)
    preds[wrong] = (targets[wrong] + 1) % 10
    preds[targets == 7] = 1  # digit 7 is always wrong
    return preds, targets


def worst():
    preds, targets = _preds()
    return (7, preds, targets)


def worst_wrong():
    preds, targets = _preds()
    return (1, preds, targets)  # the most common *predicted* digit, not the worst true one


SHIFT = {"original": 0.99, "shifted": 0.97, "shifted_2": 0.85}     # a small loss for one pixel

SOLUTIONS = {"00.1": lambda: my_accuracy, "00.2": n_valid, "00.3": worst,
             "00.4": lambda: {"prediction": "within 10 points", "measured": SHIFT}}
WRONG = {"00.1": (lambda: error_rate, "error rate"), "00.2": (lambda: 180, "test split"),
         "00.3": (worst_wrong, "TRUE digit"),
         "00.4": (lambda: {"prediction": "falls more than 10 points", "measured": SHIFT}, "pooling")}
