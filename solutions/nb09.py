"""Solutions to the exercises of notebook 09 (try them yourself first)."""
import numpy as np


def weights():
    counts = np.array([900, 90, 10])
    w = 1 / counts
    return (w / w.mean()).tolist()


SOLUTIONS = {"09.1": lambda: 2000 / 2100, "09.2": weights, "09.3": lambda: 1 / (1 - 0.9) ** 2}
WRONG = {"09.1": (lambda: 0.5, "balanced"),
         "09.2": (lambda: (1 / np.array([900, 90, 10])).tolist(), "mean"),
         "09.3": (lambda: 10.0, "squared")}
