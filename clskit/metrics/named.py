"""The metric names the Learner understands (``Learner(metrics=("accuracy", "macro_f1"))``)."""
from __future__ import annotations

from typing import Callable, Sequence

from clskit.metrics.calibration import expected_calibration_error
from clskit.metrics.multilabel import (_multilabel_accuracy, hamming_loss, multilabel_average_precision, multilabel_f1,
                         multilabel_roc_auc, subset_accuracy)
from clskit.metrics.ranking import average_precision, roc_auc
from clskit.metrics.single_label import accuracy, balanced_accuracy, f1_score, log_loss, macro_f1, precision, recall, top_k_accuracy

_NAMED: dict[str, Callable] = {
    "accuracy": accuracy,
    "balanced_accuracy": balanced_accuracy,
    "macro_f1": macro_f1,
    "weighted_f1": lambda y, p: f1_score(y, p, average="weighted"),
    "macro_precision": lambda y, p: precision(y, p, average="macro"),
    "macro_recall": lambda y, p: recall(y, p, average="macro"),
    "top3_accuracy": lambda y, p: top_k_accuracy(y, p, k=3),
    "top5_accuracy": lambda y, p: top_k_accuracy(y, p, k=5),
    "roc_auc": roc_auc,
    "average_precision": average_precision,
    "log_loss": log_loss,
    "ece": expected_calibration_error,
}

# the same names for sigmoid outputs (thresholded at 0.5) when the task is multi-label
_NAMED_MULTILABEL: dict[str, Callable] = {
    "accuracy": _multilabel_accuracy,
    "subset_accuracy": subset_accuracy,
    "hamming_loss": hamming_loss,
    "macro_f1": multilabel_f1,
    "micro_f1": lambda y, p: multilabel_f1(y, p, average="micro"),
    "samples_f1": lambda y, p: multilabel_f1(y, p, average="samples"),
    "roc_auc": multilabel_roc_auc,
    "average_precision": multilabel_average_precision,  # the mAP
}


def resolve_metrics(metrics: Sequence[Callable | str] | None, multilabel: bool = False) -> list[tuple[str, Callable]]:
    """Turn names or callables into ``(name, fn)`` pairs for the Learner.

    Example:
        >>> [name for name, fn in resolve_metrics(["accuracy", "macro_f1"])]
        ['accuracy', 'macro_f1']
    """
    table = _NAMED_MULTILABEL if multilabel else _NAMED
    out = []
    for m in metrics or ():
        if isinstance(m, str):
            if m not in table:
                kind = "multi-label" if multilabel else "single-label"
                raise KeyError(f"unknown {kind} metric {m!r}; named metrics: {', '.join(sorted(table))}, "
                               "or pass a function f(targets, probs) -> float")
            out.append((m, table[m]))
        elif callable(m):
            out.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"a metric must be a name or a function f(targets, probs); got {m!r}")
    return out
