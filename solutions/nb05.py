"""Solutions to the exercises of notebook 05 (try them yourself first)."""
import numpy as np


def probe_accuracy(emb_train, y_train, emb_valid, y_valid):
    from clskit.transfer import linear_probe

    return float(linear_probe(emb_train, y_train).score(emb_valid, y_valid))


def probe_train_accuracy(emb_train, y_train, emb_valid, y_valid):
    from clskit.transfer import linear_probe

    return float(linear_probe(emb_train, y_train).score(emb_train, y_train))


def fold(W, b, mu, sigma):
    W2 = W / sigma[None]
    return W2, b - W2 @ mu


def fold_no_bias(W, b, mu, sigma):
    return W / sigma[None], b


def n_trainable():
    from clskit.models import create_model
    from clskit.transfer import freeze_body

    model = freeze_body(create_model("efficientnet_lite0", num_classes=4))
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


SOLUTIONS = {"05.1": lambda: probe_accuracy, "05.2": lambda: fold, "05.3": n_trainable}
WRONG = {"05.1": (lambda: probe_train_accuracy, "training"), "05.2": (lambda: fold_no_bias, "bias"),
         "05.3": (lambda: 1281000, "ImageNet head")}
