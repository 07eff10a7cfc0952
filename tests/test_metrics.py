"""clskit.metrics against scikit-learn on small seeded data, plus the edge cases."""
import warnings

import numpy as np
import pytest
import torch
from sklearn import metrics as skm
from sklearn.calibration import calibration_curve

from clskit import metrics as M


def _data(n=200, k=4, seed=0, skew=True):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + (1.5 * np.eye(k)[y] if skew else 0)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    return y, p


def _binary(n=150, seed=1, pos_rate=0.3, ties=False):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < pos_rate).astype(int)
    s = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    if ties:
        s = np.round(s, 1)
    return y, s


@pytest.mark.parametrize("k", [2, 3, 6])
@pytest.mark.parametrize("seed", [0, 1])
def test_single_label_scores_match_sklearn(k, seed):
    y, p = _data(k=k, seed=seed)
    pred = p.argmax(1)
    labels = list(range(k))
    assert M.accuracy(y, p) == pytest.approx(skm.accuracy_score(y, pred))
    assert M.balanced_accuracy(y, p) == pytest.approx(skm.balanced_accuracy_score(y, pred))
    for name, sk in [("precision", skm.precision_score), ("recall", skm.recall_score), ("f1_score", skm.f1_score)]:
        for avg in ["macro", "micro", "weighted"]:
            ours = getattr(M, name)(y, p, average=avg)
            assert ours == pytest.approx(sk(y, pred, average=avg, labels=labels, zero_division=0)), (name, avg)
    np.testing.assert_array_equal(M.confusion_matrix(y, p), skm.confusion_matrix(y, pred, labels=labels))
    for norm in ["true", "pred", "all"]:
        np.testing.assert_allclose(M.confusion_matrix(y, p, normalize=norm),
                                   skm.confusion_matrix(y, pred, labels=labels, normalize=norm))
    assert M.log_loss(y, p) == pytest.approx(skm.log_loss(y, p, labels=labels))
    if k > 2:
        for avg in ["macro", "weighted"]:
            assert M.roc_auc(y, p, average=avg) == pytest.approx(
                skm.roc_auc_score(y, p, multi_class="ovr", average=avg, labels=labels))
        onehot = np.eye(k)[y]
        assert M.average_precision(y, p) == pytest.approx(skm.average_precision_score(onehot, p, average="macro"))
        for top in [1, 2, k - 1]:
            assert M.top_k_accuracy(y, p, k=top) == pytest.approx(skm.top_k_accuracy_score(y, p, k=top, labels=labels))
    else:
        assert M.roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p[:, 1]))
        assert M.average_precision(y, p) == pytest.approx(skm.average_precision_score(y, p[:, 1]))


def test_per_class_matches_sklearn_and_binary_average():
    y, p = _data(k=3)
    m = M.per_class_metrics(y, p)
    pr, rc, f1, sup = skm.precision_recall_fscore_support(y, p.argmax(1), labels=[0, 1, 2], zero_division=0)
    np.testing.assert_allclose(m.precision, pr)
    np.testing.assert_allclose(m.recall, rc)
    np.testing.assert_allclose(m.f1, f1)
    np.testing.assert_array_equal(m.support, sup)
    yb, s = _binary()
    pred = (s >= 0.4).astype(int)
    assert M.f1_score(yb, s, average="binary", threshold=0.4) == pytest.approx(skm.f1_score(yb, pred))
    assert M.precision(yb, s, average="binary", threshold=0.4) == pytest.approx(skm.precision_score(yb, pred))


@pytest.mark.parametrize("ties", [False, True])
def test_curves_match_sklearn(ties):
    y, s = _binary(ties=ties)
    fpr, tpr, th = M.roc_curve(y, s)
    efpr, etpr, eth = skm.roc_curve(y, s, drop_intermediate=False)
    np.testing.assert_allclose(fpr, efpr)
    np.testing.assert_allclose(tpr, etpr)
    np.testing.assert_allclose(th[1:], eth[1:])
    prec, rec, th = M.precision_recall_curve(y, s)
    eprec, erec, eth = skm.precision_recall_curve(y, s)
    np.testing.assert_allclose(prec, eprec)
    np.testing.assert_allclose(rec, erec)
    np.testing.assert_allclose(th, eth)
    assert M.roc_auc(y, s) == pytest.approx(skm.roc_auc_score(y, s))
    assert M.average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s))
    # a (N, 2) probability matrix gives the same numbers as the positive-class column
    assert M.roc_auc(y, np.stack([1 - s, s], 1)) == pytest.approx(M.roc_auc(y, s))


def test_threshold_sweep_matches_pointwise_metrics():
    y, s = _binary(ties=True)
    sw = M.threshold_sweep(y, s)
    for i in range(1, len(sw.thresholds)):
        pred = (s >= sw.thresholds[i]).astype(int)
        assert sw.precision[i] == pytest.approx(skm.precision_score(y, pred, zero_division=1))
        assert sw.recall[i] == pytest.approx(skm.recall_score(y, pred))
        assert sw.f1[i] == pytest.approx(skm.f1_score(y, pred))
        tn, fp, fn, tp = skm.confusion_matrix(y, pred).ravel()
        assert sw.fpr[i] == pytest.approx(fp / (fp + tn))
    t, f1 = sw.best_f1()
    brute = max(skm.f1_score(y, (s >= t0).astype(int)) for t0 in np.unique(s))
    assert f1 == pytest.approx(brute)
    t90, row = sw.for_recall(0.9)
    assert row["recall"] >= 0.9
    # no higher threshold reaches the target recall
    higher = np.unique(s)[np.unique(s) > t90]
    assert all(skm.recall_score(y, (s >= h).astype(int)) < 0.9 for h in higher)
    m = M.binary_metrics_at(y, s, t90)
    assert m["recall"] == pytest.approx(row["recall"]) and m["precision"] == pytest.approx(row["precision"])


def test_reliability_and_ece():
    y, s = _binary(n=300)
    r = M.reliability_curve(y, s, n_bins=8)
    prob_true, prob_pred = calibration_curve(y, s, n_bins=8)
    np.testing.assert_allclose(r.accuracy, prob_true)
    np.testing.assert_allclose(r.confidence, prob_pred)
    # multi-class ECE against a direct loop over bins (Guo et al. 2017)
    yc, p = _data(k=5)
    conf, hit = p.max(1), p.argmax(1) == yc
    edges = np.linspace(0, 1, 11)
    ref = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        inb = (conf > lo) & (conf <= hi)
        if inb.any():
            ref += inb.mean() * abs(hit[inb].mean() - conf[inb].mean())
    assert M.expected_calibration_error(yc, p, n_bins=10) == pytest.approx(ref)


@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_multilabel_matches_sklearn(threshold):
    rng = np.random.default_rng(0)
    y = (rng.random((120, 4)) < [0.5, 0.3, 0.1, 0.6]).astype(int)
    p = np.clip(rng.normal(0.3 + 0.4 * y, 0.2), 0, 1)
    pred = (p >= threshold).astype(int)
    assert M.subset_accuracy(y, p, threshold) == pytest.approx(skm.accuracy_score(y, pred))
    assert M.hamming_loss(y, p, threshold) == pytest.approx(skm.hamming_loss(y, pred))
    for avg in ["macro", "micro", "samples"]:
        assert M.multilabel_f1(y, p, avg, threshold) == pytest.approx(skm.f1_score(y, pred, average=avg, zero_division=0))
    m = M.multilabel_per_label(y, p, threshold)
    np.testing.assert_allclose(m.precision, skm.precision_score(y, pred, average=None, zero_division=0))
    np.testing.assert_allclose(m.recall, skm.recall_score(y, pred, average=None))
    np.testing.assert_allclose(m.auc, skm.roc_auc_score(y, p, average=None))
    assert M.multilabel_roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p, average="macro"))
    np.testing.assert_allclose(M.multilabel_average_precision(y, p, None), skm.average_precision_score(y, p, average=None))
    assert M.multilabel_average_precision(y, p) == pytest.approx(skm.average_precision_score(y, p, average="macro"))
    # per-label thresholds
    t = [0.2, 0.5, 0.7, 0.4]
    assert M.hamming_loss(y, p, t) == pytest.approx(skm.hamming_loss(y, (p >= t).astype(int)))


def test_tensors_work_like_arrays():
    y, p = _data(k=3)
    assert M.macro_f1(torch.tensor(y), torch.tensor(p, dtype=torch.float32)) == pytest.approx(M.macro_f1(y, p), abs=1e-6)


# -- edge cases: a clear result or a clear error, never a storm of warnings ---------------------------
def test_class_never_predicted_gives_zero_and_a_note_without_warnings():
    y = np.array([0, 0, 1, 2, 2])
    p = np.tile([0.6, 0.1, 0.3], (5, 1))  # always class 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m = M.per_class_metrics(y, p, classes=["a", "b", "c"])
        f1 = M.f1_score(y, p)
    assert m.precision[1] == 0 and m.precision[2] == 0
    assert any("b is never predicted" in n for n in m.notes)
    assert f1 == pytest.approx(skm.f1_score(y, p.argmax(1), average="macro", zero_division=0))


def test_class_absent_from_targets():
    y = np.array([0, 0, 1, 1])
    p = np.array([[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])
    m = M.per_class_metrics(y, p)
    assert m.recall[2] == 0 and any("does not occur" in n for n in m.notes)
    with pytest.raises(ValueError, match="class 2"):
        M.roc_auc(y, p)


def test_single_class_auc_is_a_clear_error():
    with pytest.raises(ValueError, match="only negative"):
        M.roc_auc([0, 0, 0], [0.1, 0.5, 0.3])
    with pytest.raises(ValueError, match="undefined"):
        M.roc_curve([1, 1], [0.1, 0.5])
    with pytest.raises(ValueError, match="undefined"):
        M.multilabel_roc_auc([[1, 0], [1, 1]], [[0.9, 0.2], [0.8, 0.7]])
    with pytest.raises(ValueError, match="label 1"):
        M.multilabel_average_precision([[1, 0], [1, 0]], [[0.9, 0.2], [0.8, 0.7]])
    m = M.multilabel_per_label([[1, 0], [1, 1]], [[0.9, 0.2], [0.8, 0.7]])
    assert np.isnan(m.auc[0]) and any("undefined" in n for n in m.notes)


@pytest.mark.parametrize("fn", [M.accuracy, M.macro_f1, M.log_loss, M.roc_auc, M.expected_calibration_error])
def test_bad_inputs_raise_clear_errors(fn):
    y, p = _data(k=3, n=20)
    with pytest.raises(ValueError, match="different lengths"):
        fn(y[:-1], p)
    bad = p.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fn(y, bad)
    with pytest.raises(ValueError, match="sum to 1|logits"):
        fn(y, p * 3 - 1)  # logits-like values
    with pytest.raises(ValueError, match="sum to 1"):
        fn(y, p * 0.5)


def test_rescale_rescales_rows():
    y, p = _data(k=3, n=30)
    assert M.accuracy(y, p * 0.5, rescale=True) == pytest.approx(M.accuracy(y, p))
    assert M.log_loss(y, p * 0.5, rescale=True) == pytest.approx(M.log_loss(y, p))
    # confusion_matrix: normalize= (sklearn's: divide the counts) and rescale= (the probability rows) differ
    cm = M.confusion_matrix(y, p * 0.5, normalize="true", rescale=True)
    np.testing.assert_allclose(cm, M.confusion_matrix(y, p, normalize="true"))


def test_top_k_with_k_at_least_the_classes_warns_as_sklearn():
    y, p = _data(k=3, n=30)
    with pytest.warns(M.UndefinedMetricWarning, match="meaningless"):
        assert M.top_k_accuracy(y, p, k=3) == 1.0
    with pytest.warns(skm._ranking.UndefinedMetricWarning, match="meaningless"):  # what sklearn does
        assert skm.top_k_accuracy_score(y, p, k=3) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert M.top_k_accuracy(y, p, k=2) == pytest.approx(skm.top_k_accuracy_score(y, p, k=2))


def test_auc_without_np_trapezoid(monkeypatch):
    """numpy < 2 has np.trapz only; the kit's floor is numpy 1.24."""
    import importlib

    from clskit.metrics import ranking

    y, s = _binary()
    expected = M.roc_auc(y, s)
    trapz = getattr(np, "trapz", None) or (lambda yy, xx: float(np.sum(np.diff(xx) * (yy[1:] + yy[:-1]) / 2)))
    monkeypatch.delattr(np, "trapezoid", raising=False)
    monkeypatch.setattr(np, "trapz", trapz, raising=False)
    try:
        importlib.reload(ranking)
        assert ranking._trapezoid is trapz
        assert ranking._binary_auc(*M.check_binary_scores(y, s)) == pytest.approx(expected)
    finally:
        monkeypatch.undo()
        importlib.reload(ranking)


def test_per_class_auc_is_one_loop_for_all_tables():
    y, p = _data(k=4)
    onehot = np.eye(4, dtype=int)[y]
    aucs, notes = M.per_class_auc(onehot, p)
    np.testing.assert_allclose(aucs, skm.roc_auc_score(onehot, p, average=None))
    assert notes == []
    assert M.roc_auc(y, p) == pytest.approx(aucs.mean())
    df = M.classification_report_df(y, p)
    np.testing.assert_allclose(df["auc"].to_numpy(), aucs)
    onehot[:, 2] = 0  # a label that never occurs
    aucs, notes = M.per_class_auc(onehot, p, kind="label")
    assert np.isnan(aucs[2]) and notes == ["label 2: ROC AUC is undefined (all 200 samples are negative); shown as NaN"]
    np.testing.assert_allclose(M.multilabel_per_label(onehot, p).auc, aucs)


def test_thresholds_out_of_range_and_bad_k():
    y, s = _binary()
    for t in (-0.1, 1.5, float("nan")):
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            M.binary_metrics_at(y, s, t)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.hamming_loss([[1, 0]], [[0.2, 0.3]], threshold=[0.5, 2])
    with pytest.raises(ValueError, match="2 thresholds"):
        M.hamming_loss([[1, 0, 1]], [[0.2, 0.3, 0.1]], threshold=[0.5, 0.5])
    with pytest.raises(ValueError, match="k must be"):
        M.top_k_accuracy([0], [[1.0, 0.0]], k=0)
    with pytest.raises(ValueError, match="target recall"):
        M.threshold_sweep(y, s).for_recall(1.2)


def test_resolve_metrics_names():
    assert [n for n, _ in M.resolve_metrics(["accuracy", "macro_f1", "roc_auc"])] == ["accuracy", "macro_f1", "roc_auc"]
    fn = dict(M.resolve_metrics(["macro_f1"], multilabel=True))["macro_f1"]
    assert fn([[1, 0], [0, 1]], [[0.9, 0.2], [0.3, 0.6]]) == 1.0
    with pytest.raises(KeyError, match="subset_accuracy"):
        M.resolve_metrics(["subset_accuracy"])
    from clskit.metrics.named import _NAMED

    y, p = _data(k=6)
    for name, fn in M.resolve_metrics(list(_NAMED)):
        assert np.isfinite(fn(y, p)), name


def test_learner_accepts_named_metrics():
    from clskit.datasets import DataLoaders, ImageDataset
    from clskit.training.learner import Learner

    x = torch.rand(40, 1, 8, 8)
    y = torch.arange(40) % 2
    ds = ImageDataset((x * 255).to(torch.uint8), y, ["a", "b"])
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 2))
    learn = Learner(model, DataLoaders.from_datasets(ds, ds), metrics=("accuracy", "macro_f1", "roc_auc"),
                    progress=False, seed=0, device="cpu")
    learn.fit(1)
    row = learn.history[-1]
    probs, targets = learn.get_preds()
    assert row["macro_f1"] == pytest.approx(skm.f1_score(targets, probs.argmax(1), average="macro"), abs=1e-6)
    assert row["roc_auc"] == pytest.approx(skm.roc_auc_score(targets, probs[:, 1]), abs=1e-6)
