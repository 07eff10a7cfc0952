"""The linear probe: a logistic regression on frozen embeddings, and how to fold it into a linear head."""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from clskit.utils import to_numpy


# the bias of a class the probe never saw in training: a logit so low (softmax weight e^-10000 = 0) that
# the class is never predicted, yet finite, so losses and gradients stay finite
_UNSEEN_LOGIT = -1e4


def linear_probe(train_emb, train_y, *, C: float = 1.0, max_iter: int = 2000):
    """Fit a logistic regression on (standardised) embeddings: the classic linear probe.

    Args:
        train_emb: ``(N, D)`` embeddings.
        train_y: ``(N,)`` class indices.
        C: inverse L2 regularisation strength (smaller = stronger; helps with few images).
        max_iter: L-BFGS iterations.

    Returns:
        A fitted scikit-learn ``Pipeline(StandardScaler, LogisticRegression)``.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(40, 5)); y = (x[:, 0] > 0).astype(int)
        >>> linear_probe(x, y).score(x, y) > 0.9
        True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = to_numpy(train_emb), to_numpy(train_y)
    if len(np.unique(y)) < 2:
        raise ValueError(f"a linear probe needs at least 2 classes in the training labels; got {np.unique(y)}")
    return make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=max_iter)).fit(x, y)


def probe_to_linear(probe, num_classes: int | None = None) -> nn.Linear:
    """Fold a fitted ``StandardScaler + LogisticRegression`` probe into one ``nn.Linear`` layer.

    With ``z = (x - mu) / sigma`` and logits ``W z + b``, the layer has weights ``W / sigma`` and bias
    ``b - (W / sigma) mu``, so the probe becomes the head of the backbone and the whole model runs
    (and saves) as one ``nn.Module``. A binary probe becomes the logits ``[0, w x + b]``.

    Example:
        >>> rng = np.random.default_rng(0); x = rng.normal(size=(30, 4)); y = np.arange(30) % 3
        >>> p = linear_probe(x, y); lin = probe_to_linear(p)
        >>> np.allclose(torch.softmax(lin(torch.tensor(x, dtype=torch.float32)), 1).detach().numpy(),
        ...             p.predict_proba(x), atol=1e-4)
        True
    """
    scaler, lr = probe[0], probe[-1]
    w = lr.coef_ / scaler.scale_[None]                                    # (k, D)
    b = lr.intercept_ - w @ scaler.mean_
    classes = lr.classes_
    k = num_classes or int(classes.max()) + 1
    if len(classes) == 2 and w.shape[0] == 1:                              # binary: one logit
        w = np.concatenate([np.zeros_like(w), w])
        b = np.concatenate([[0.0], b])
    W, B = np.zeros((k, w.shape[1])), np.full(k, _UNSEEN_LOGIT)          # classes never seen: never predicted
    W[classes], B[classes] = w, b
    layer = nn.Linear(w.shape[1], k)
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(W, dtype=torch.float32))
        layer.bias.copy_(torch.as_tensor(B, dtype=torch.float32))
    return layer
