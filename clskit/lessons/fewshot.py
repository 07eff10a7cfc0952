"""Few-shot classification with prototypes: a class is the mean of its few embeddings.

With a good pretrained embedding, K labelled images per class are enough to classify by the nearest
class mean ("prototypical networks", Snell et al. 2017, without the meta-training). Accuracy is
measured on many random N-way K-shot *episodes* (N classes, K support images each, a few query
images each) and reported with a 95% confidence interval over episodes.

Example:
    >>> rng = np.random.default_rng(0)
    >>> emb = np.concatenate([rng.normal(c * 3, 1, (20, 8)) for c in range(5)]); y = np.repeat(np.arange(5), 20)
    >>> res = evaluate_episodes(emb, y, n_way=5, k_shot=1, episodes=50, metric="euclidean")
    >>> res.mean > 0.9
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from clskit.utils import to_numpy


def prototypes(support_emb, support_y, metric: str = "cosine") -> tuple[np.ndarray, np.ndarray]:
    """Class prototypes: the mean embedding of each class's support images.

    Args:
        support_emb: ``(n, D)`` embeddings of the labelled images.
        support_y: ``(n,)`` their labels (any integers).
        metric: ``"cosine"`` L2-normalizes the embeddings first (the prototype is the mean of unit
            vectors, not rescaled to length 1); ``"euclidean"`` averages them as they are (Snell et al.).

    Returns:
        ``(classes, protos)``: the sorted labels ``(C,)`` and their prototypes ``(C, D)``.

    Example:
        >>> prototypes([[0., 2.], [0., 4.], [3., 0.]], [1, 1, 0], metric="euclidean")[1].tolist()
        [[3.0, 0.0], [0.0, 3.0]]
    """
    x, y = _prep(support_emb, metric), to_numpy(support_y)
    if len(x) != len(y):
        raise ValueError(f"support_emb has {len(x)} rows but support_y has {len(y)} labels")
    classes = np.unique(y)
    return classes, np.stack([x[y == c].mean(0) for c in classes])


def _prep(emb, metric: str) -> np.ndarray:
    x = to_numpy(emb).astype(np.float64)
    if x.ndim != 2:
        raise ValueError(f"embeddings must have shape (n, D); got {x.shape}")
    if metric == "cosine":
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    if metric == "euclidean":
        return x
    raise ValueError(f"metric must be 'cosine' or 'euclidean'; got {metric!r}")


def prototype_classify(support_emb, support_y, query_emb, metric: str = "cosine") -> np.ndarray:
    """Label each query with the class of its nearest prototype (smallest squared Euclidean distance).

    With ``metric="cosine"`` the query and the support embeddings are scaled to length 1 first, so the
    distance compares directions; with ``"euclidean"`` it is Snell et al.'s squared Euclidean distance on
    the raw embeddings.

    Example:
        >>> prototype_classify([[0., 1.], [1., 0.]], [7, 3], [[0.1, 0.9], [2., 0.1]]).tolist()
        [7, 3]
    """
    classes, protos = prototypes(support_emb, support_y, metric)
    q = _prep(query_emb, metric)
    # squared distances (n_query, C): |q|^2 - 2 q.p + |p|^2
    d = (q ** 2).sum(1)[:, None] - 2 * q @ protos.T + (protos ** 2).sum(1)[None]
    return classes[d.argmin(1)]


def sample_episode(targets, n_way: int, k_shot: int, n_query: int, rng: np.random.Generator):
    """Indices of one episode: ``n_way`` random classes, ``k_shot`` support and ``n_query`` query images each.

    Returns:
        ``(support_idx, query_idx)`` arrays of indices into ``targets``.

    Example:
        >>> s, q = sample_episode(np.repeat(np.arange(4), 10), 3, 2, 5, np.random.default_rng(0))
        >>> len(s), len(q)
        (6, 15)
    """
    y = to_numpy(targets)
    classes, counts = np.unique(y, return_counts=True)
    eligible = classes[counts >= k_shot + n_query]
    if len(eligible) < n_way:
        raise ValueError(f"a {n_way}-way {k_shot}-shot episode with {n_query} queries needs {n_way} classes "
                         f"with at least {k_shot + n_query} images; only {len(eligible)} have that many. "
                         "Lower n_way, k_shot or n_query.")
    support, query = [], []
    for c in rng.choice(eligible, n_way, replace=False):
        idx = rng.permutation(np.flatnonzero(y == c))[:k_shot + n_query]
        support.append(idx[:k_shot])
        query.append(idx[k_shot:])
    return np.concatenate(support), np.concatenate(query)


@dataclass
class EpisodeResult:
    """Mean accuracy over episodes with its 95% confidence interval (``mean ± ci95``)."""

    n_way: int
    k_shot: int
    accuracies: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.accuracies.mean())

    @property
    def ci95(self) -> float:
        """Half-width of the 95% confidence interval of the mean: 1.96 standard errors."""
        n = len(self.accuracies)
        return float(1.96 * self.accuracies.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan")

    def __repr__(self) -> str:
        return (f"{self.n_way}-way {self.k_shot}-shot: {100 * self.mean:.1f}% ± {100 * self.ci95:.1f}% "
                f"({len(self.accuracies)} episodes)")


def evaluate_episodes(embeddings, targets, *, n_way: int = 5, k_shot: int = 1, n_query: int = 15,
                      episodes: int = 200, metric: str = "cosine", seed: int = 0) -> EpisodeResult:
    """Prototype accuracy on ``episodes`` random N-way K-shot episodes.

    Args:
        embeddings: ``(N, D)`` embeddings (for example from :func:`clskit.lessons.transfer.embed`).
        targets: ``(N,)`` labels.
        n_way, k_shot, n_query: classes per episode, labelled images per class, queries per class.
        episodes: how many episodes to average (the interval shrinks like ``1/sqrt(episodes)``).
        metric: ``"cosine"`` or ``"euclidean"`` (see :func:`prototypes`).
        seed: seeds the episode sampler.

    Example:
        >>> emb = np.eye(4).repeat(10, 0); y = np.repeat(np.arange(4), 10)
        >>> evaluate_episodes(emb, y, n_way=4, k_shot=2, n_query=3, episodes=10).mean
        1.0
    """
    x, y = to_numpy(embeddings), to_numpy(targets)
    for arg, value in (("n_way", n_way), ("k_shot", k_shot), ("n_query", n_query), ("episodes", episodes)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{arg} must be a whole number of at least 1; got {value!r}"
                             + (" (a 0-shot episode has no labelled image to build a prototype from)"
                                if arg == "k_shot" else ""))
    if x.ndim != 2 or len(x) != len(y):
        raise ValueError(f"embeddings (shape {x.shape}) and targets ({len(y)} labels) must describe the same images: "
                         "one (D,) embedding row per label; embed the images the labels belong to")
    if not np.isfinite(x).all():
        bad = np.flatnonzero(~np.isfinite(x).all(1))
        raise ValueError(f"embeddings hold NaN or infinite values in {len(bad)} row(s) (first: {bad[0]}); "
                         "recompute them (a NaN in the model's weights or inputs?) or drop those rows")
    rng = np.random.default_rng(seed)
    accs = np.empty(episodes)
    for e in range(episodes):
        s, q = sample_episode(y, n_way, k_shot, n_query, rng)
        accs[e] = (prototype_classify(x[s], y[s], x[q], metric) == y[q]).mean()
    return EpisodeResult(n_way, k_shot, accs)
