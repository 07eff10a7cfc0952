"""Solutions to the exercises of notebook 13 (try them yourself first)."""
import numpy as np


def ci95(accuracies):
    a = np.asarray(accuracies)
    return 1.96 * a.std(ddof=1) / np.sqrt(len(a))


def ci95_no_sqrt(accuracies):
    return 1.96 * np.asarray(accuracies).std(ddof=1)


def nearest_mean(support, support_y, query):
    classes = np.unique(support_y)
    means = np.stack([support[support_y == k].mean(0) for k in classes])
    d = ((query[:, None] - means[None]) ** 2).sum(-1)
    return classes[d.argmin(1)]


def nearest_sample(support, support_y, query):
    d = ((query[:, None] - support[None]) ** 2).sum(-1)
    return support_y[d.argmin(1)]


def bn_stats(x):
    return x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False)


def bn_stats_per_sample(x):
    return x.mean((1, 2, 3)), x.var((1, 2, 3))


# 13.4: accuracies at severity 5 in which blur hurts most
AT_SEVERITY_5 = {"gaussian_blur": 0.20, "gaussian_noise": 0.62, "brightness": 0.85, "jpeg": 0.82}

SOLUTIONS = {"13.1": lambda: ci95, "13.2": lambda: nearest_mean, "13.3": lambda: bn_stats,
             "13.4": lambda: {"prediction": "gaussian_blur", "measured": AT_SEVERITY_5}}
WRONG = {"13.1": (lambda: ci95_no_sqrt, "sqrt"), "13.2": (lambda: nearest_sample, "mean"),
         "13.3": (lambda: bn_stats_per_sample, "channel"),
         "13.4": (lambda: {"prediction": "jpeg", "measured": AT_SEVERITY_5}, "gaussian_blur")}
