"""Solutions to the exercises of notebook 06 (try them yourself first)."""
import torch


def my_flip(x):
    flip = torch.rand(len(x)) < 0.5                 # one coin per image
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def batch_flip(x):
    return x.flip(-1) if torch.rand(1).item() < 0.5 else x   # one coin for the whole batch: wrong


SOLUTIONS = {"06.1": lambda: my_flip, "06.2": lambda: [0.7, 0.0, 0.3],
             "06.3": lambda: {"small rotation", "brightness", "small shift"}}
WRONG = {"06.1": (lambda: batch_flip, "each image"), "06.2": (lambda: [1.0, 0.0, 0.0], "lam"),
         "06.3": (lambda: {"horizontal flip", "small rotation", "rotation by 180 degrees", "brightness", "small shift"},
                  "6")}
