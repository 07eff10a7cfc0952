"""Displays in the scikit-learn style: compute with a pure function of :mod:`clskit.metrics`, draw with a thin object.

``XDisplay.from_predictions(targets, probs, ...)`` computes; ``.plot(ax=None)`` draws, sets ``ax_``
and ``figure_`` and returns the display. matplotlib is imported only inside ``plot``.
:func:`project_2d` (embeddings to 2-D with PCA or t-SNE) is here too, for :class:`EmbeddingDisplay`.

Example:
    >>> disp = ConfusionMatrixDisplay.from_predictions([0, 1, 1], [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    >>> disp.confusion_matrix.tolist()
    [[1, 0], [1, 1]]
    >>> disp = disp.plot()              # doctest: +SKIP
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from clskit import metrics as M
from clskit.utils import to_numpy


def _axes(ax, figsize=(4.5, 4)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=figsize)
    return ax, ax.figure


class ConfusionMatrixDisplay:
    """A confusion matrix as a heat map: true class down, predicted class across.

    Args:
        confusion_matrix: ``(K, K)`` counts or normalized rates.
        display_labels: class names.
        normalize: how it was normalized (``None``, ``"true"``, ``"pred"``, ``"all"``), for the title.

    Example:
        >>> probs = [[0.9, 0.1], [0.6, 0.4]]
        >>> d = ConfusionMatrixDisplay.from_predictions([0, 1], probs, display_labels=["cat", "dog"], normalize="true")
        >>> d.confusion_matrix.tolist(), d.display_labels
        ([[1.0, 0.0], [1.0, 0.0]], ['cat', 'dog'])
    """

    def __init__(self, confusion_matrix: np.ndarray, display_labels: Sequence[str] | None = None,
                 normalize: str | None = None):
        self.confusion_matrix = np.asarray(confusion_matrix)
        k = len(self.confusion_matrix)
        self.display_labels = list(display_labels) if display_labels is not None else [str(i) for i in range(k)]
        if len(self.display_labels) != k:
            raise ValueError(f"got {len(self.display_labels)} class names for a {k}x{k} confusion matrix")
        self.normalize = normalize

    @classmethod
    def from_predictions(cls, targets, probs, display_labels: Sequence[str] | None = None,
                         normalize: str | None = None, threshold: float | None = None) -> "ConfusionMatrixDisplay":
        """Compute the matrix with :func:`clskit.metrics.confusion_matrix` (see there for the arguments).

        ``display_labels`` are the class names, as in scikit-learn. Unlike scikit-learn's, this takes
        probabilities; for predicted labels use :meth:`from_labels`.
        """
        cm = M.confusion_matrix(targets, probs, normalize=normalize, threshold=threshold)
        return cls(cm, display_labels, normalize)

    @classmethod
    def from_labels(cls, targets, predicted, display_labels: Sequence[str] | None = None,
                    normalize: str | None = None) -> "ConfusionMatrixDisplay":
        """The matrix from predicted class indices (what scikit-learn's ``from_predictions`` takes).

        Example:
            >>> ConfusionMatrixDisplay.from_labels([0, 1, 2], [0, 2, 2]).confusion_matrix.tolist()
            [[1, 0, 0], [0, 0, 1], [0, 0, 1]]
        """
        y, pred = to_numpy(targets).astype(np.int64), to_numpy(predicted).astype(np.int64)
        k = len(display_labels) if display_labels is not None else int(max(y.max(), pred.max())) + 1
        return cls.from_predictions(y, np.eye(k)[pred], display_labels, normalize)

    def plot(self, ax=None, cmap: str = "Blues", values: bool = True, colorbar: bool = False,
             xticks_rotation: float = 45, title: str | None = None) -> "ConfusionMatrixDisplay":
        """Draw the heat map with the value in each cell (omitted for more than 20 classes)."""
        cm, k = self.confusion_matrix, len(self.confusion_matrix)
        ax, fig = _axes(ax, figsize=(max(3.5, 0.45 * k + 2), max(3, 0.45 * k + 1.5)))
        self.im_ = ax.imshow(cm, cmap=cmap, vmin=0, vmax=max(cm.max(), 1e-12))
        self.text_ = []
        if values and k <= 20:
            fmt = "{:.2f}" if self.normalize else "{:d}"
            mid = cm.max() / 2
            for i in range(k):
                for j in range(k):
                    v = cm[i, j] if self.normalize else int(cm[i, j])
                    self.text_.append(ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=8,
                                              color="white" if cm[i, j] > mid else "black"))
        ax.set(xticks=range(k), yticks=range(k), xlabel="predicted", ylabel="true")
        ax.set_xticklabels(self.display_labels, rotation=xticks_rotation, ha="right" if xticks_rotation else "center")
        ax.set_yticklabels(self.display_labels)
        ax.set_title(title if title is not None else
                     {None: "counts", "true": "rows sum to 1 (recall)", "pred": "columns sum to 1 (precision)",
                      "all": "fraction of all samples"}[self.normalize], fontsize=9)
        if colorbar:
            fig.colorbar(self.im_, ax=ax)
        self.ax_, self.figure_ = ax, fig
        return self


class RocCurveDisplay:
    """ROC curve(s): true-positive rate against false-positive rate, with the AUC in the legend.

    Binary scores give one curve; ``(N, K)`` probabilities with ``K > 2`` give one one-vs-rest curve per class.

    Example:
        >>> d = RocCurveDisplay.from_predictions([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> d.curves[0]["auc"]
        0.75
    """

    def __init__(self, curves: list[dict]):
        self.curves = curves  # each: {"label", "fpr", "tpr", "thresholds", "auc"}

    @classmethod
    def from_predictions(cls, targets, probs, classes: Sequence[str] | None = None, name: str | None = None
                         ) -> "RocCurveDisplay":
        curves = []
        for label, y, s in _one_vs_rest(targets, probs, classes, name):
            fpr, tpr, th = M.roc_curve(y, s)
            curves.append({"label": label, "fpr": fpr, "tpr": tpr, "thresholds": th, "auc": M.roc_auc(y, s)})
        return cls(curves)

    def plot(self, ax=None, chance: bool = True, mark_threshold: float | None = None) -> "RocCurveDisplay":
        """Draw the curves; ``mark_threshold`` puts a dot where a binary classifier operates at that threshold."""
        ax, fig = _axes(ax)
        self.lines_ = [ax.plot(c["fpr"], c["tpr"], label=f"{c['label']} (AUC {c['auc']:.3f})")[0] for c in self.curves]
        if chance:
            ax.plot([0, 1], [0, 1], "k:", lw=1, label="chance (AUC 0.5)")
        if mark_threshold is not None:
            c = self.curves[0]
            i = _index_at(c["thresholds"], mark_threshold)
            ax.plot(c["fpr"][i], c["tpr"][i], "o", color="crimson", label=f"threshold {mark_threshold:.2f}")
        ax.set(xlabel="false-positive rate (1 - specificity)", ylabel="true-positive rate (recall)",
               xlim=(-0.01, 1.01), ylim=(-0.01, 1.01), aspect="equal")
        ax.legend(fontsize=7, loc="lower right")
        self.ax_, self.figure_ = ax, fig
        return self


class PrecisionRecallDisplay:
    """Precision-recall curve(s) with average precision; the dotted line is a random classifier (the positive rate).

    Example:
        >>> d = PrecisionRecallDisplay.from_predictions([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> round(d.curves[0]["ap"], 4), d.curves[0]["prevalence"]
        (0.8333, 0.5)
    """

    def __init__(self, curves: list[dict]):
        self.curves = curves  # each: {"label", "precision", "recall", "thresholds", "ap", "prevalence"}

    @classmethod
    def from_predictions(cls, targets, probs, classes: Sequence[str] | None = None, name: str | None = None
                         ) -> "PrecisionRecallDisplay":
        curves = []
        for label, y, s in _one_vs_rest(targets, probs, classes, name):
            prec, rec, th = M.precision_recall_curve(y, s)
            curves.append({"label": label, "precision": prec, "recall": rec, "thresholds": th,
                           "ap": M.average_precision(y, s), "prevalence": float(np.mean(y))})
        return cls(curves)

    def plot(self, ax=None, chance: bool = True, mark_threshold: float | None = None) -> "PrecisionRecallDisplay":
        ax, fig = _axes(ax)
        self.lines_ = [ax.step(c["recall"], c["precision"], where="post", label=f"{c['label']} (AP {c['ap']:.3f})")[0]
                       for c in self.curves]
        if chance and len(self.curves) == 1:
            ax.axhline(self.curves[0]["prevalence"], color="k", ls=":", lw=1,
                       label=f"chance (AP {self.curves[0]['prevalence']:.2f})")
        if mark_threshold is not None:
            c = self.curves[0]
            th = c["thresholds"]  # ascending; the last precision/recall point has no threshold
            i = int(np.searchsorted(th, mark_threshold, side="left"))
            ax.plot(c["recall"][i], c["precision"][i], "o", color="crimson", label=f"threshold {mark_threshold:.2f}")
        ax.set(xlabel="recall", ylabel="precision", xlim=(-0.01, 1.01), ylim=(-0.01, 1.05))
        ax.legend(fontsize=7, loc="lower left")
        self.ax_, self.figure_ = ax, fig
        return self


class ReliabilityDisplay:
    """Reliability diagram: accuracy against confidence per bin; the diagonal is perfect calibration.

    Bars sit on their bins; red dots mark each bin's mean confidence. Bars below the diagonal mean
    over-confidence, above it under-confidence. The lower panel (if ``hist=True``) shows how many
    predictions fall in each bin.

    Example:
        >>> d = ReliabilityDisplay.from_predictions([0, 1, 1, 1], [[0.9, 0.1], [0.1, 0.9], [0.2, 0.8], [0.6, 0.4]], n_bins=5)
        >>> round(d.ece, 3)
        0.25
    """

    def __init__(self, data: M.ReliabilityData, name: str | None = None):
        self.data, self.name = data, name
        self.ece = data.ece

    @classmethod
    def from_predictions(cls, targets, probs, n_bins: int = 10, name: str | None = None) -> "ReliabilityDisplay":
        return cls(M.reliability_curve(targets, probs, n_bins=n_bins), name)

    def plot(self, ax=None, hist: bool = True) -> "ReliabilityDisplay":
        import matplotlib.pyplot as plt

        d = self.data
        if ax is None:
            if hist:
                fig, (ax, hax) = plt.subplots(2, 1, figsize=(4.2, 5), height_ratios=(3, 1), sharex=True)
            else:
                fig, ax = plt.subplots(figsize=(4.2, 4))
                hax = None
        else:
            fig, hax = ax.figure, None
        width = np.diff(d.bin_edges)[0]
        bins = d.bins if d.bins is not None else np.minimum((d.confidence / width).astype(int), len(d.bin_edges) - 2)
        centers = d.bin_edges[bins] + width / 2
        label = f"{self.name + ': ' if self.name else ''}ECE {self.ece:.3f}"
        ax.bar(centers, d.accuracy, width=width * 0.95, alpha=0.7, edgecolor="k", label=label)
        ax.plot(d.confidence, d.accuracy, "o", color="crimson", ms=3, label="mean confidence in bin")
        ax.plot([0, 1], [0, 1], "k:", lw=1, label="perfectly calibrated")
        ax.set(ylabel="accuracy in bin", xlim=(0, 1), ylim=(0, 1))
        ax.legend(fontsize=7, loc="upper left")
        if hax is not None:
            hax.bar(centers, d.count, width=width * 0.95, color="grey")
            hax.set(xlabel="confidence", ylabel="count")
        else:
            ax.set_xlabel("confidence")
        self.ax_, self.hist_ax_, self.figure_ = ax, hax, fig
        return self


class ThresholdDisplay:
    """Precision, recall and F1 against the decision threshold of a binary classifier.

    Marks the threshold with the best F1, the one that reaches ``target_recall`` and (optionally) the current one.

    Example:
        >>> d = ThresholdDisplay.from_predictions([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], target_recall=1.0)
        >>> d.best_f1_threshold, d.recall_threshold
        (0.35, 0.35)
    """

    def __init__(self, sweep: M.ThresholdSweep, target_recall: float | None = None):
        self.sweep, self.target_recall = sweep, target_recall
        self.best_f1_threshold, self.best_f1 = sweep.best_f1()
        self.recall_threshold = sweep.for_recall(target_recall)[0] if target_recall is not None else None

    @classmethod
    def from_predictions(cls, targets, scores, target_recall: float | None = 0.9) -> "ThresholdDisplay":
        return cls(M.threshold_sweep(targets, scores), target_recall)

    def plot(self, ax=None, current: float | None = None) -> "ThresholdDisplay":
        ax, fig = _axes(ax, figsize=(5, 3.5))
        sw = self.sweep
        t = sw.thresholds[1:]  # drop the inf row
        for name in ("precision", "recall", "f1"):
            ax.step(t, getattr(sw, name)[1:], where="post", label=name)
        ax.axvline(self.best_f1_threshold, color="green", ls="--", lw=1, label=f"best F1 at {self.best_f1_threshold:.2f}")
        if self.recall_threshold is not None:
            ax.axvline(min(self.recall_threshold, 1), color="purple", ls="--", lw=1,
                       label=f"recall ≥ {self.target_recall:g} at {self.recall_threshold:.2f}")
        if current is not None:
            ax.axvline(current, color="crimson", lw=1.5, label=f"current {current:.2f}")
        ax.set(xlabel="threshold (predict positive if score ≥ threshold)", ylabel="value", xlim=(0, 1), ylim=(0, 1.02))
        ax.legend(fontsize=7, loc="lower left")
        self.ax_, self.figure_ = ax, fig
        return self


class EmbeddingDisplay:
    """A 2-D scatter of embeddings coloured by class (PCA or t-SNE), sklearn-Display style.

    Example:
        >>> disp = EmbeddingDisplay.from_embeddings(np.random.rand(20, 5), np.arange(20) % 2, ["a", "b"])
        >>> disp.points.shape
        (20, 2)
    """

    def __init__(self, points: np.ndarray, targets: np.ndarray, classes=None, method: str = "pca"):
        self.points, self.targets, self.method = points, targets, method
        self.classes = list(classes) if classes is not None else [str(c) for c in np.unique(targets)]

    @classmethod
    def from_embeddings(cls, embeddings, targets, classes=None, method: str = "pca", seed: int = 0) -> "EmbeddingDisplay":
        return cls(project_2d(embeddings, method, seed), to_numpy(targets), classes, method)

    def plot(self, ax=None, title: str | None = None, **scatter_kw) -> "EmbeddingDisplay":
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(4.5, 4))
        for i, name in enumerate(self.classes):
            sel = self.targets == i
            ax.scatter(self.points[sel, 0], self.points[sel, 1], s=12, label=name, alpha=0.8, **scatter_kw)
        ax.set_title(title or f"embeddings ({self.method.upper()})")
        ax.set_xticks([]), ax.set_yticks([])
        ax.legend(fontsize=7, markerscale=1.5, loc="best")
        self.ax_, self.figure_ = ax, ax.figure
        return self


def _one_vs_rest(targets, probs, classes, name):
    """Yield ``(label, binary targets, scores)``: one binary task, or one per class for ``K > 2``."""
    p = M.to_numpy(probs)
    if p.ndim == 1 or p.shape[1] == 2:
        y, s = M.check_binary_scores(targets, p)
        label = name or (str(classes[1]) if classes is not None else "positive class")
        yield label, y, s
        return
    y, p = M.check_single_label(targets, p)
    names = list(classes) if classes is not None else [str(i) for i in range(p.shape[1])]
    for c in range(p.shape[1]):
        yield names[c], (y == c).astype(np.int64), p[:, c]


def _index_at(thresholds_desc: np.ndarray, t: float) -> int:
    """Index of the operating point ``score >= t`` in a descending threshold array (``roc_curve``'s)."""
    return int(np.sum(thresholds_desc >= t) - 1) if np.any(thresholds_desc >= t) else 0


# -- embeddings in two dimensions ---------------------------------------------------------------
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
