"""Solutions to the exercises of notebook 05 (try them yourself first)."""


def _standardised(emb_train, emb_valid):
    import numpy as np

    x_train, x_valid = np.asarray(emb_train, dtype=float), np.asarray(emb_valid, dtype=float)
    mu, sd = x_train.mean(0), x_train.std(0) + 1e-8
    return (x_train - mu) / sd, (x_valid - mu) / sd


def probe_accuracy(emb_train, y_train, emb_valid, y_valid):
    from sklearn.linear_model import LogisticRegression

    z_train, z_valid = _standardised(emb_train, emb_valid)
    return float(LogisticRegression(max_iter=2000).fit(z_train, y_train).score(z_valid, y_valid))


def probe_train_accuracy(emb_train, y_train, emb_valid, y_valid):
    from sklearn.linear_model import LogisticRegression

    z_train, _ = _standardised(emb_train, emb_valid)
    return float(LogisticRegression(max_iter=2000).fit(z_train, y_train).score(z_train, y_train))


def fold(W, b, mu, sigma):
    W2 = W / sigma[None]
    return W2, b - W2 @ mu


def fold_no_bias(W, b, mu, sigma):
    return W / sigma[None], b


def _sweep():
    from clskit import paired_difference

    # numbers of the kind the notebook measures: the probe gets 182 of 200 test photos right, the scratch CNN 128
    probe = [1] * 182 + [0] * 18
    scratch = [1] * 128 + [0] * 72
    return paired_difference(probe, scratch)


SOLUTIONS = {"05.1": lambda: {"prediction": "transfer with 5 wins", "measured": _sweep()},
             "05.2": lambda: "b", "05.3": lambda: fold, "05.4": lambda: probe_accuracy}
WRONG = {"05.1": (lambda: {"prediction": "scratch with 60 wins", "measured": _sweep()}, "interval excludes 0"),
         "05.2": (lambda: "a", "memorised"), "05.3": (lambda: fold_no_bias, "bias"),
         "05.4": (lambda: probe_train_accuracy, "training")}
