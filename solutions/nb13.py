"""Solutions to the exercises of notebook 13 (try them yourself first)."""
import numpy as np

import clskit


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


# 13.1 and 13.2: the paired differences of the notebook's default run (AdaBN minus no adaptation, in points)
CLEAN_IMAGENET_STATS = clskit.stats.PairedDifference(-30.0, -36.5, -23.5, 200, "images")
BLUR_OWN_STATS = clskit.stats.PairedDifference(27.0, 19.5, 34.5, 200, "images")

# 13.6: the drop at severity 3 of the notebook's default run, one row per corruption
import pandas as pd  # noqa: E402

DROP = pd.DataFrame({"change (pts)": [-43.0, -10.0, -2.0, -8.0], "verdict": ["worse"] * 4},
                    index=["gaussian_blur", "gaussian_noise", "brightness", "jpeg"])
# 13.7: one shot (5-way, cosine) against the zero-shot head
ONE_SHOT = {"one shot": 0.775, "zero-shot": 0.914}

SOLUTIONS = {"13.1": lambda: {"prediction": "worse", "measured": CLEAN_IMAGENET_STATS},
             "13.2": lambda: {"prediction": "better", "measured": BLUR_OWN_STATS},
             "13.3": lambda: bn_stats, "13.4": lambda: nearest_mean, "13.5": lambda: ci95,
             "13.6": lambda: {"prediction": {"costs the most": "gaussian_blur", "brightness": "worse"}, "measured": DROP},
             "13.7": lambda: {"prediction": "no", "measured": ONE_SHOT}}
WRONG = {"13.1": (lambda: {"prediction": "no clear difference", "measured": CLEAN_IMAGENET_STATS}, "worse"),
         "13.2": (lambda: {"prediction": "worse", "measured": BLUR_OWN_STATS}, "better"),
         "13.3": (lambda: bn_stats_per_sample, "channel"), "13.4": (lambda: nearest_sample, "mean"),
         "13.5": (lambda: ci95_no_sqrt, "sqrt"),
         "13.6": (lambda: {"prediction": {"costs the most": "gaussian_noise", "brightness": "no clear difference"},
                           "measured": DROP}, "edges"),
         "13.7": (lambda: {"prediction": "yes", "measured": ONE_SHOT}, "1300")}
