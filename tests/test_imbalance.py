"""Threshold moving: thresholds chosen on data reach the F1 / recall they promise."""
import numpy as np
import pytest
from sklearn import metrics as skm

from clskit import metrics as M
from clskit.metrics.tuning import predict_with_thresholds, tune_class_thresholds, tune_label_thresholds, tune_threshold


def test_tune_threshold_f1_and_recall():
    rng = np.random.default_rng(0)
    y = (rng.random(300) < 0.05).astype(int)  # about 1:20
    s = np.round(np.clip(rng.normal(0.15 + 0.25 * y, 0.1), 0, 1), 2)
    t = tune_threshold(y, s)
    brute = max(skm.f1_score(y, (s >= u).astype(int)) for u in np.unique(s))
    assert skm.f1_score(y, (s >= t).astype(int)) == pytest.approx(brute)
    assert skm.f1_score(y, (s >= t).astype(int)) > skm.f1_score(y, (s >= 0.5).astype(int))
    t90 = tune_threshold(y, s, criterion="recall", target_recall=0.9)
    assert skm.recall_score(y, (s >= t90).astype(int)) >= 0.9
    with pytest.raises(ValueError, match="target_recall"):
        tune_threshold(y, s, criterion="recall")


def test_class_thresholds_generalise_the_binary_threshold():
    rng = np.random.default_rng(1)
    p1 = rng.random(50)
    p = np.stack([1 - p1, p1], 1)
    for t in (0.2, 0.5, 0.7):
        np.testing.assert_array_equal(predict_with_thresholds(p, [1 - t, t]), (p1 >= t).astype(int))
    assert predict_with_thresholds(p, [0.5, 0.5]).tolist() == p.argmax(1).tolist()
    with pytest.raises(ValueError, match="thresholds"):
        predict_with_thresholds(p, [0.5, 0.5, 0.5])


def test_tune_class_thresholds_improves_macro_f1_on_imbalanced_data():
    rng = np.random.default_rng(2)
    y = rng.choice(3, 400, p=[0.85, 0.1, 0.05])
    lg = rng.normal(size=(400, 3)) + 1.2 * np.eye(3)[y] + np.log([0.85, 0.1, 0.05]) * 0.8  # biased to the majority
    p = np.exp(lg) / np.exp(lg).sum(1, keepdims=True)
    t = tune_class_thresholds(y, p)
    before = skm.f1_score(y, p.argmax(1), average="macro")
    after = skm.f1_score(y, predict_with_thresholds(p, t), average="macro")
    assert after > before and t.sum() == pytest.approx(1)


def test_tune_label_thresholds():
    rng = np.random.default_rng(3)
    y = (rng.random((200, 3)) < [0.3, 0.1, 0.05]).astype(int)
    p = np.round(np.clip(rng.normal(0.2 + 0.3 * y, 0.12), 0, 1), 2)
    t = tune_label_thresholds(y, p)
    assert M.multilabel_f1(y, p, "macro", t) >= M.multilabel_f1(y, p, "macro", 0.5)
    for j in range(3):
        assert skm.f1_score(y[:, j], (p[:, j] >= t[j]).astype(int)) == pytest.approx(
            max(skm.f1_score(y[:, j], (p[:, j] >= u).astype(int)) for u in np.unique(p[:, j])))


def test_metrics_at_prevalence_equal_reweighted_test_set():
    from clskit.metrics.tuning import metrics_at_prevalence

    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(120, int), np.ones(80, int)]
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    for prev in (0.05, 0.5, 0.8):
        w = np.where(y == 1, prev / y.mean(), (1 - prev) / (1 - y.mean()))   # class shares prev : 1 - prev
        pred = (s >= 0.5).astype(int)
        m = metrics_at_prevalence(y, s, prev, threshold=0.5)
        assert m["precision"] == pytest.approx(skm.precision_score(y, pred, sample_weight=w))
        assert m["recall"] == pytest.approx(skm.recall_score(y, pred))           # within-class: no weight needed
        assert m["macro_f1"] == pytest.approx(skm.f1_score(y, pred, average="macro", sample_weight=w))
        assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred, sample_weight=w))
        assert m["npv"] == pytest.approx(skm.precision_score(1 - y, 1 - pred, sample_weight=w))
    # the same classifier: lower prevalence, lower precision
    assert metrics_at_prevalence(y, s, 0.05)["precision"] < metrics_at_prevalence(y, s, 0.5)["precision"]
    with pytest.raises(ValueError, match="prevalence"):
        metrics_at_prevalence(y, s, 1.0)
    with pytest.raises(ValueError, match="both classes"):
        metrics_at_prevalence(np.ones(5, int), np.ones(5) * 0.7, 0.5)


def test_tune_threshold_at_prevalence_maximises_reweighted_macro_f1():
    from clskit.metrics.tuning import tune_threshold_at_prevalence

    rng = np.random.default_rng(4)
    y = np.r_[np.zeros(100, int), np.ones(100, int)]
    s = np.round(np.clip(rng.normal(0.4 + 0.2 * y, 0.15), 0, 1), 2)
    for prev in (0.05, 0.5):
        w = np.where(y == 1, prev / 0.5, (1 - prev) / 0.5)
        t = tune_threshold_at_prevalence(y, s, prev)
        best = max(skm.f1_score(y, (s >= u).astype(int), average="macro", sample_weight=w) for u in np.unique(s))
        assert skm.f1_score(y, (s >= t).astype(int), average="macro", sample_weight=w) == pytest.approx(best)
    # rare positives: fewer false alarms pay off, so the threshold rises
    assert tune_threshold_at_prevalence(y, s, 0.05) > tune_threshold_at_prevalence(y, s, 0.5)
