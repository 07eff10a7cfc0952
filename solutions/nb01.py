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


def bursts(n_photos=60, seed=0):
    """The bursts of notebook 01, section 6: three 128x128 crops of each of 60 validation photos."""
    import torch

    from clskit import ImageDataset, load_dataset

    ds = load_dataset("imagenette_mini", split="valid", size=160)
    chosen = np.random.default_rng(seed).choice(len(ds), n_photos, replace=False)
    crops = [ds.images[i][:, o:o + 128, o:o + 128] for i in chosen for o in (0, 16, 32)]
    return ImageDataset(torch.stack(crops), ds.targets[np.repeat(chosen, 3)], ds.classes, groups=np.repeat(chosen, 3))


def group_split(use_groups=True):
    from clskit import split_dataset

    return split_dataset(bursts(), valid=0.15, test=0.15, use_groups=use_groups)


NORMALIZATION = {"own": 0.88, "imagenet": 0.70, "none": 0.40}   # a measurement for which a large fall is right


SOLUTIONS = {"01.1": softmax, "01.2": kinds, "01.3": group_split,
             "01.4": lambda: {"prediction": "falls more than 5 points", "measured": NORMALIZATION}}
WRONG = {"01.1": (sigmoid, "sigmoid"), "01.2": (all_multiclass, "exclusive"),
         "01.3": (lambda: group_split(use_groups=False), "use_groups"),
         "01.4": (lambda: {"prediction": "within 5 points", "measured": NORMALIZATION}, "BatchNorm")}
