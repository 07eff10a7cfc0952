"""Solutions to the exercises of notebook 01 (try them yourself first)."""

from clskit import paired_difference


def kinds():
    return {"weld seam photo: good or faulty": "binary", "dog photo: which of 120 breeds": "multiclass",
            "street photo: which of car, bicycle, pedestrian appear": "multilabel",
            "steel part: ok, or its single worst defect (scratch or spot)": "multiclass"}


def all_multiclass():
    return {k: "multiclass" for k in kinds()}


def my_tags(logits, threshold=0.5):
    import torch

    return torch.sigmoid(logits) > threshold        # each tag its own probability: several can pass


def softmax_tags(logits, threshold=0.5):
    import torch

    return torch.softmax(logits, dim=-1) > threshold   # the colleague's bug: the tags compete


# measurements for which the stated prediction is right (the notebook passes its own)
NORMALISATION = {"own": 0.80, "imagenet": 0.50,   # 100 photos: 80% right with its own scaling, 50% with ImageNet's
                 "difference": paired_difference([1] * 50 + [0] * 50, [1] * 80 + [0] * 20, over="images")}
COMPETITION = {"recovered": 0, "pairs": 20}
BURSTS = {"found": 0, "leaking": 40}

SOLUTIONS = {"01.1": lambda: {"prediction": "falls clearly", "measured": NORMALISATION},
             "01.2": lambda: {"prediction": "stays low", "measured": COMPETITION},
             "01.3": lambda: {"prediction": "misses most", "measured": BURSTS},
             "01.4": kinds, "01.5": lambda: my_tags}
WRONG = {"01.1": (lambda: {"prediction": "no clear fall", "measured": NORMALISATION}, "2.2 times"),
         "01.2": (lambda: {"prediction": "comes back", "measured": COMPETITION}, "logit"),
         "01.3": (lambda: {"prediction": "catches most", "measured": BURSTS}, "group ids"),
         "01.4": (all_multiclass, "exclusive"), "01.5": (lambda: softmax_tags, "sigmoid")}
