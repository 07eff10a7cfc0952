"""Solutions to the exercises of notebook 06 (try them yourself first)."""
import numpy as np
import torch
import torch.nn.functional as F


def my_flip(x):
    flip = torch.rand(len(x)) < 0.5                 # one coin per image
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def batch_flip(x):
    return x.flip(-1) if torch.rand(1).item() < 0.5 else x   # one coin for the whole batch: wrong


def my_mixup(x, y, lam, num_classes):
    one_hot = F.one_hot(y, num_classes).float()
    perm = torch.randperm(len(x))                   # one permutation for the pixels and the labels
    return lam * x + (1 - lam) * x[perm], lam * one_hot + (1 - lam) * one_hot[perm]


def buggy_mixup(x, y, lam, num_classes):
    one_hot = F.one_hot(y, num_classes).float()
    x_mixed = lam * x + (1 - lam) * x[torch.randperm(len(x))]
    y_mixed = lam * one_hot + (1 - lam) * one_hot[torch.randperm(len(x))]   # a second permutation: the bug
    return x_mixed, y_mixed


# 06.4: per validation photo, the share of seeds whose probe got it right (here: 300 photos, 3 seeds)
_RIGHT = np.r_[np.ones(280), np.zeros(20)]
PROBE = {"originals": _RIGHT, "originals + augmented copies": _RIGHT.copy()}
PROBE["originals + augmented copies"][[0, 290]] = [0.0, 1.0]

SOLUTIONS = {"06.4": lambda: {"prediction": "no clear difference", "measured": PROBE},
             "06.1": lambda: my_flip, "06.2": lambda: {"small rotation", "brightness", "small shift"},
             "06.3": lambda: my_mixup}
WRONG = {"06.1": (lambda: batch_flip, "each image"),
         "06.2": (lambda: {"horizontal flip", "small rotation", "rotation by 180 degrees", "brightness", "small shift"},
                  "6"),
         "06.3": (lambda: buggy_mixup, "permutation"),
         "06.4": (lambda: {"prediction": "help", "measured": PROBE}, "embedding")}
