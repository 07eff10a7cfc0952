"""Solutions to the exercises of notebook 01 (try them yourself first)."""
import numpy as np


def softmax():
    z = np.array([2.0, 1.0, 0.1])
    e = np.exp(z - z.max())          # subtracting the max changes nothing and avoids overflow
    return e / e.sum()


def sigmoid():
    return 1 / (1 + np.exp(-np.array([2.0, 1.0, 0.1])))


def kinds():
    return {"chest x-ray: normal or abnormal": "binary", "dog photo: which of 120 breeds": "multiclass",
            "holiday photo: tags outdoor, daytime, people": "multilabel", "steel part: ok, scratch or spot": "multiclass"}


def all_multiclass():
    return {k: "multiclass" for k in kinds()}


def group_split(use_groups=True):
    from clskit.datasets import load_dataset, split_dataset

    return split_dataset(load_dataset("shapes", n_per_class=30, views=3), use_groups=use_groups)


SOLUTIONS = {"01.1": softmax, "01.2": kinds, "01.3": group_split}
WRONG = {"01.1": (sigmoid, "sigmoid"), "01.2": (all_multiclass, "exclusive"),
         "01.3": (lambda: group_split(use_groups=False), "use_groups")}
