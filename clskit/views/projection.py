"""Embeddings projected to two dimensions (PCA or t-SNE, from scikit-learn) for plotting.

Example:
    >>> project_2d(np.random.default_rng(0).normal(size=(30, 8))).shape
    (30, 2)
"""
from __future__ import annotations

import numpy as np

from clskit.utils import to_numpy


def project_2d(embeddings, method: str = "pca", seed: int = 0) -> np.ndarray:
    """Embeddings projected to 2-D with scikit-learn's PCA or t-SNE, for plotting.

    Example:
        >>> project_2d(np.random.default_rng(0).normal(size=(30, 8))).shape
        (30, 2)
    """
    from sklearn.decomposition import PCA

    x = to_numpy(embeddings).astype(np.float32)
    if method == "pca":
        return PCA(n_components=2, random_state=seed).fit_transform(x)
    if method == "tsne":
        from sklearn.manifold import TSNE
        return TSNE(n_components=2, perplexity=min(30.0, (len(x) - 1) / 3), init="pca", random_state=seed).fit_transform(x)
    raise ValueError(f"method must be 'pca' or 'tsne'; got {method!r}")
