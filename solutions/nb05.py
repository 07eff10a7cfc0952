"""Solutions to the exercises of notebook 05 (try them yourself first)."""


def probe_accuracy(emb_train, y_train, emb_valid, y_valid):
    from clskit import linear_probe

    return float(linear_probe(emb_train, y_train).score(emb_valid, y_valid))


def probe_train_accuracy(emb_train, y_train, emb_valid, y_valid):
    from clskit import linear_probe

    return float(linear_probe(emb_train, y_train).score(emb_train, y_train))


def fold(W, b, mu, sigma):
    W2 = W / sigma[None]
    return W2, b - W2 @ mu


def fold_no_bias(W, b, mu, sigma):
    return W / sigma[None], b


def n_trainable():
    from clskit import create_model, freeze_body

    model = freeze_body(create_model("efficientnet_lite0", num_classes=4))
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


# 05.4 is "predict, then measure": the notebook's sweep supplies the measurement; these are numbers of
# the kind it prints (probe at 5 per class near 0.9, scratch at 60 per class near 0.5, 300 val photos)
SWEEP = {"probe_5": 0.92, "scratch_60": 0.50, "n_valid": 300}

SOLUTIONS = {"05.1": lambda: probe_accuracy, "05.2": lambda: fold, "05.3": n_trainable,
             "05.4": lambda: {"prediction": "transfer with 5 wins", "measured": SWEEP}}
WRONG = {"05.1": (lambda: probe_train_accuracy, "training"), "05.2": (lambda: fold_no_bias, "bias"),
         "05.3": (lambda: 1281000, "ImageNet head"),
         "05.4": (lambda: {"prediction": "scratch with 60 wins", "measured": SWEEP}, "intervals do not overlap")}
