"""Report tables: per-class (or per-label) metrics as a pandas DataFrame with notes on undefined values."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from clskit.metrics.multilabel import hamming_loss, multilabel_per_label, subset_accuracy
from clskit.metrics.ranking import per_class_auc
from clskit.metrics.single_label import per_class_metrics, predict_labels
from clskit.metrics.validation import check_single_label, to_numpy


def classification_report_df(targets, probs, classes: Sequence[str] | None = None,
                             threshold: float | Sequence[float] | None = None, zero_division: float = 0.0):
    """Per-class (or per-label) precision, recall, F1, ROC AUC, support and predicted count as a DataFrame.

    Single-label ``(N,)`` targets: one row per class (AUC one-vs-rest); ``threshold`` applies to binary
    tasks. Multi-label ``(N, L)`` targets: one row per label, thresholded at ``threshold`` (default 0.5,
    or one per label). Undefined values are NaN or ``zero_division``; ``df.attrs["notes"]`` says why,
    and ``df.attrs["summary"]`` holds accuracy (subset accuracy for multi-label) and the macro and
    weighted averages.

    Example:
        >>> df = classification_report_df([0, 0, 1, 1], [[0.8, 0.2], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8]], ["ok", "defect"])
        >>> df[["precision", "recall", "support"]].round(3).to_dict("index")["defect"]
        {'precision': 0.667, 'recall': 1.0, 'support': 2}
    """
    import pandas as pd

    from clskit.checks import check_class_names

    y = to_numpy(targets)
    if y.ndim == 2:
        if classes is not None:
            classes = check_class_names(classes, to_numpy(probs).shape[-1], what="labels")
        t = 0.5 if threshold is None else threshold
        m = multilabel_per_label(targets, probs, t, zero_division, classes)
        auc = m.auc
        summary = {"subset_accuracy": subset_accuracy(targets, probs, t), "hamming_loss": hamming_loss(targets, probs, t)}
    else:
        y, p = check_single_label(targets, probs)
        if classes is not None:
            classes = check_class_names(classes, p.shape[1])
        m = per_class_metrics(y, p, threshold, zero_division, classes)
        auc, auc_notes = per_class_auc(np.eye(p.shape[1], dtype=np.int64)[y], p, classes)
        m.notes.extend(auc_notes)
        summary = {"accuracy": float((predict_labels(p, threshold) == y).mean())}
    names = list(classes) if classes is not None else [str(i) for i in range(len(m.f1))]
    df = pd.DataFrame({"precision": m.precision, "recall": m.recall, "f1": m.f1, "auc": np.asarray(auc, dtype=float),
                       "support": m.support.astype(int), "predicted": m.predicted.astype(int)},
                      index=pd.Index(names, name="class"))
    w = df["support"] / max(df["support"].sum(), 1)
    for col in ("precision", "recall", "f1"):
        summary[f"macro_{col}"] = float(df[col].mean())
        summary[f"weighted_{col}"] = float((df[col] * w).sum())
    df.attrs["summary"], df.attrs["notes"] = summary, list(m.notes)
    return df
