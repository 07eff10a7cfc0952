"""Solutions to the exercises of notebook 06 (try them yourself first)."""
import torch


def my_flip(x):
    flip = torch.rand(len(x)) < 0.5                 # one coin per image
    return torch.where(flip[:, None, None, None], x.flip(-1), x)


def batch_flip(x):
    return x.flip(-1) if torch.rand(1).item() < 0.5 else x   # one coin for the whole batch: wrong


# 06.4: validation accuracy of the linear probe per seed, as the notebook measures it
PROBE = {"originals": [0.92, 0.943, 0.93], "originals + augmented copies": [0.923, 0.937, 0.927]}

SOLUTIONS = {"06.4": lambda: {"prediction": "no clear difference", "measured": PROBE},
             "06.1": lambda: my_flip, "06.2": lambda: [0.7, 0.0, 0.3],
             "06.3": lambda: {"small rotation", "brightness", "small shift"}}
WRONG = {"06.1": (lambda: batch_flip, "each image"), "06.2": (lambda: [1.0, 0.0, 0.0], "lam"),
         "06.4": (lambda: {"prediction": "help", "measured": PROBE}, "embeddings"),
         "06.3": (lambda: {"horizontal flip", "small rotation", "rotation by 180 degrees", "brightness", "small shift"},
                  "6")}
