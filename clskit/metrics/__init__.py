"""Metrics: pure functions on ``(targets, probs)`` (tensors or arrays), each checked against scikit-learn.

Conventions (the same in every function):

* ``targets`` are class indices ``(N,)`` (single-label) or 0/1 label vectors ``(N, L)`` (multi-label).
* ``probs`` are softmax outputs ``(N, K)``; for a binary task a 1-D ``(N,)`` score of the positive
  class also works. Multi-label ``probs`` are sigmoid outputs ``(N, L)``.
* Bad input raises a ``ValueError`` that says what is wrong (see :mod:`~clskit.metrics.validation`):
  different lengths, NaN or infinite probabilities, values outside ``[0, 1]``, thresholds outside
  ``[0, 1]``, and single-label rows that do not sum to 1 (logits passed by mistake?) unless you pass
  ``rescale=True``, which rescales them.
* A ratio with a zero denominator (precision of a class never predicted, recall of a class absent
  from the targets) is ``zero_division`` (default 0.0) without a warning; the report tables
  (:func:`per_class_metrics`, :func:`multilabel_per_label`) list such cases in their ``notes``.
* A ranking metric that is undefined (ROC AUC or average precision when the targets hold one class
  only) raises a ``ValueError``; in the per-class tables it is NaN with a note instead.

| module          | holds                                                                          |
|-----------------|--------------------------------------------------------------------------------|
| ``validation``  | ``check_single_label``, ``check_multilabel``, ``check_binary_scores``, ``check_threshold``, ``safe_div`` |
| ``single_label``| accuracy, confusion matrix, precision/recall/F1, top-k, log loss               |
| ``ranking``     | ROC and PR curves, ROC AUC, average precision, ``per_class_auc``               |
| ``calibration`` | reliability curve, ECE                                                         |
| ``thresholds``  | ``binary_metrics_at``, ``threshold_sweep``                                     |
| ``multilabel``  | subset accuracy, Hamming loss, multi-label F1, AUC and mAP                     |
| ``report``      | ``classification_report_df``                                                   |
| ``named``       | the metric names the Learner understands (``resolve_metrics``)                 |

Example:
    >>> y, p = [0, 1, 1, 0], [[0.8, 0.2], [0.3, 0.7], [0.6, 0.4], [0.9, 0.1]]
    >>> accuracy(y, p), recall(y, p, average="binary"), roc_auc(y, p)
    (0.75, 0.5, 1.0)
"""
from clskit import _lazy_submodules
from clskit.metrics.calibration import ReliabilityData, expected_calibration_error, reliability_curve
from clskit.metrics.multilabel import (LabelMetrics, hamming_loss, multilabel_average_precision, multilabel_f1,
                         multilabel_per_label, multilabel_roc_auc, subset_accuracy)
from clskit.metrics.named import resolve_metrics
from clskit.metrics.ranking import average_precision, per_class_auc, precision_recall_curve, roc_auc, roc_curve
from clskit.metrics.report import classification_report_df
from clskit.metrics.single_label import (ClassMetrics, accuracy, balanced_accuracy, confusion_matrix,
                           f1_score, log_loss, macro_f1, per_class_metrics, precision, predict_labels, recall,
                           top_k_accuracy)
from clskit.metrics.thresholds import ThresholdSweep, binary_metrics_at, threshold_sweep
from clskit.metrics.validation import (UndefinedMetricWarning, check_binary_scores, check_finite_probs, check_lengths,
                         check_multilabel, check_single_label, check_threshold, safe_div, to_numpy)

__all__ = ["ClassMetrics", "LabelMetrics", "ReliabilityData", "ThresholdSweep", "UndefinedMetricWarning",
           "accuracy", "average_precision", "balanced_accuracy", "binary_metrics_at", "check_binary_scores",
           "check_finite_probs", "check_lengths", "check_multilabel", "check_single_label", "check_threshold",
           "classification_report_df", "confusion_matrix", "expected_calibration_error", "f1_score",
           "hamming_loss", "log_loss", "macro_f1", "multilabel_average_precision", "multilabel_f1", "multilabel_per_label", "multilabel_roc_auc",
           "per_class_auc", "per_class_metrics", "precision", "precision_recall_curve", "predict_labels",
           "recall", "reliability_curve", "resolve_metrics", "roc_auc", "roc_curve", "safe_div",
           "subset_accuracy", "threshold_sweep", "to_numpy", "top_k_accuracy"]

__getattr__, __dir__ = _lazy_submodules(__name__, __path__)  # every other module, on first use
