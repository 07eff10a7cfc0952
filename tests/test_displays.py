"""Displays draw what the pure metric functions computed (checked on the artists), and return self."""
import numpy as np
import pytest
from sklearn import metrics as skm

from clskit import metrics as M
from clskit.views.displays import (ConfusionMatrixDisplay, PrecisionRecallDisplay, ReliabilityDisplay, RocCurveDisplay,
                             ThresholdDisplay)
from clskit.views.png import figure_to_png


@pytest.fixture
def binary():
    rng = np.random.default_rng(0)
    y = (rng.random(120) < 0.25).astype(int)
    return y, np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)


@pytest.fixture
def multiclass():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 90)
    lg = rng.normal(size=(90, 3)) + 2 * np.eye(3)[y]
    return y, np.exp(lg) / np.exp(lg).sum(1, keepdims=True)


@pytest.mark.parametrize("normalize", [None, "true", "pred"])
def test_confusion_matrix_display(agg_pyplot, multiclass, normalize):
    y, p = multiclass
    d = ConfusionMatrixDisplay.from_predictions(y, p, display_labels=["a", "b", "c"], normalize=normalize)
    assert d.plot() is d
    np.testing.assert_allclose(d.im_.get_array(), skm.confusion_matrix(y, p.argmax(1), normalize=normalize))
    assert [t.get_text() for t in d.ax_.get_xticklabels()] == ["a", "b", "c"]
    assert len(d.text_) == 9 and d.figure_ is d.ax_.figure
    with pytest.raises(ValueError, match="class names"):
        ConfusionMatrixDisplay(np.eye(3), ["a", "b"])


def test_roc_and_pr_displays(agg_pyplot, binary):
    y, s = binary
    roc = RocCurveDisplay.from_predictions(y, s, name="abnormal").plot(mark_threshold=0.5)
    fpr, tpr, _ = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(roc.lines_[0].get_xdata(), fpr)
    np.testing.assert_allclose(roc.lines_[0].get_ydata(), tpr)
    assert roc.curves[0]["auc"] == pytest.approx(skm.roc_auc_score(y, s))
    # the marked operating point is where score >= 0.5
    m = M.binary_metrics_at(y, s, 0.5)
    point = [ln for ln in roc.ax_.lines if ln.get_label().startswith("threshold")][0]
    assert point.get_xdata()[0] == pytest.approx(m["fpr"]) and point.get_ydata()[0] == pytest.approx(m["tpr"])
    pr = PrecisionRecallDisplay.from_predictions(y, s).plot(mark_threshold=0.5)
    assert pr.curves[0]["ap"] == pytest.approx(skm.average_precision_score(y, s))
    point = [ln for ln in pr.ax_.lines if ln.get_label().startswith("threshold")][0]
    assert point.get_xdata()[0] == pytest.approx(m["recall"]) and point.get_ydata()[0] == pytest.approx(m["precision"])


def test_one_vs_rest_curves(agg_pyplot, multiclass):
    y, p = multiclass
    roc = RocCurveDisplay.from_predictions(y, p, classes=["a", "b", "c"]).plot()
    assert [c["label"] for c in roc.curves] == ["a", "b", "c"]
    for c, k in zip(roc.curves, range(3)):
        assert c["auc"] == pytest.approx(skm.roc_auc_score(y == k, p[:, k]))
    assert len(PrecisionRecallDisplay.from_predictions(y, p).plot().lines_) == 3


def test_reliability_and_threshold_displays(agg_pyplot, multiclass, binary):
    y, p = multiclass
    d = ReliabilityDisplay.from_predictions(y, p, n_bins=10, name="cnn").plot()
    assert d.ece == pytest.approx(M.expected_calibration_error(y, p, n_bins=10))
    heights = [b.get_height() for b in d.ax_.patches]
    np.testing.assert_allclose(heights, d.data.accuracy)
    assert d.hist_ax_ is not None and any("ECE" in t.get_text() for t in d.ax_.get_legend().get_texts())
    yb, s = binary
    t = ThresholdDisplay.from_predictions(yb, s, target_recall=0.9).plot(current=0.5)
    assert t.best_f1_threshold == pytest.approx(M.threshold_sweep(yb, s).best_f1()[0])
    assert M.binary_metrics_at(yb, s, t.recall_threshold)["recall"] >= 0.9
    assert figure_to_png(t.figure_)[:4] == b"\x89PNG"


def test_confusion_matrix_display_takes_sklearn_names_and_labels(agg_pyplot):
    y, pred = [0, 1, 2, 2], [0, 2, 2, 1]
    d = ConfusionMatrixDisplay.from_labels(y, pred, display_labels=["a", "b", "c"]).plot()
    np.testing.assert_array_equal(d.confusion_matrix, skm.confusion_matrix(y, pred))
    assert d.display_labels == ["a", "b", "c"] and d.figure_ is not None
    p = np.eye(3)[pred]
    assert ConfusionMatrixDisplay.from_predictions(y, p, display_labels=list("abc")).display_labels == list("abc")
