"""Decision thresholds you can move: a binary threshold slider and per-label sliders for multi-label tasks.

Moving a slider calls the pure functions of :mod:`clskit.metrics` and updates the widget in place
(one figure re-rendered into an ``ipywidgets.Image``, an HTML table); from Python set
``w.slider.value`` and read ``w.metrics``.

Example:
    >>> w = ThresholdWidget(targets, scores, target_recall=0.9)     # doctest: +SKIP
    >>> w.slider.value = w.best_f1_threshold; w.metrics["f1"]       # doctest: +SKIP
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from clskit import metrics as M
from clskit.views.displays import ConfusionMatrixDisplay, PrecisionRecallDisplay, RocCurveDisplay, _index_at
from clskit.views.png import figure_to_png, gallery_png
from clskit.views.widgets.view import WidgetView


def _metrics_html(m: dict, extra: dict | None = None) -> str:
    rows = [("precision", m["precision"]), ("recall (TPR)", m["recall"]), ("F1", m["f1"]),
            ("false-positive rate", m["fpr"]), ("accuracy", m["accuracy"])]
    rows += list((extra or {}).items())
    cells = "".join(f"<tr><td>{k}</td><td style='text-align:right'><b>{v:.3f}</b></td></tr>" for k, v in rows)
    counts = f"TP {m['tp']} · FP {m['fp']} · FN {m['fn']} · TN {m['tn']}"
    return f"<table style='font-size:13px'>{cells}</table><div style='font-size:12px'>{counts}</div>"


class ThresholdWidget(WidgetView):
    """A binary threshold slider: confusion matrix, precision/recall/F1, and the operating point on ROC and PR curves.

    Args:
        targets: ``(N,)`` labels; ``pos_label`` marks the positive class (for example "abnormal").
        scores: ``(N,)`` positive-class probabilities or ``(N, 2)`` probabilities.
        classes: names of the negative and positive class.
        target_recall: the recall the "meet recall" button and marker aim for.
        threshold: starting threshold.
        images: optional ``(N, C, H, W)`` images aligned with ``targets``: the widget then also shows the
            mistakes nearest the threshold (the missed positives closest to being caught and the false
            alarms closest to being cleared: the images the next moves of the slider change).
        max_images: images shown per kind of mistake.

    Attributes:
        metrics: the metrics at the current threshold (see :func:`clskit.metrics.binary_metrics_at`).
        best_f1_threshold: the threshold with the highest F1 on this data.
        recall_threshold: the highest threshold whose recall reaches ``target_recall``.
        shown_missed, shown_false_alarms: indices of the images in the gallery (with ``images``).
        slider, summary (HTML), figure (Image), gallery (Image, with ``images``), widget (the whole view).
    """

    def __init__(self, targets, scores, classes: Sequence[str] = ("negative", "positive"), target_recall: float = 0.9,
                 threshold: float = 0.5, pos_label: int = 1, images=None, max_images: int = 6):
        import ipywidgets as W

        self.y, self.s = M.check_binary_scores(targets, scores, pos_label)
        self.classes = list(classes)
        if images is not None and not isinstance(images, torch.Tensor):
            images = torch.as_tensor(np.asarray(images))
        self.images = images
        if self.images is not None and len(self.images) != len(self.y):
            raise ValueError(f"got {len(self.images)} images for {len(self.y)} targets; pass the images the scores "
                             "were computed on, in the same order")
        self.max_images = max_images
        self.shown_missed = self.shown_false_alarms = np.array([], dtype=np.int64)
        self.sweep = M.threshold_sweep(self.y, self.s)
        self.best_f1_threshold, self.best_f1 = self.sweep.best_f1()
        self.target_recall = target_recall
        # rounded down to the slider's step, so the rounded threshold still reaches the recall
        self.recall_threshold = float(np.floor(min(self.sweep.for_recall(target_recall)[0], 1.0) * 100) / 100)
        self.roc = RocCurveDisplay.from_predictions(self.y, self.s, name=self.classes[1])
        self.pr = PrecisionRecallDisplay.from_predictions(self.y, self.s, name=self.classes[1])

        self.slider = W.FloatSlider(value=float(M.check_threshold(threshold)), min=0, max=1, step=0.01,
                                    description="threshold", continuous_update=False, readout_format=".2f",
                                    layout=W.Layout(width="420px"))
        self.best_button = W.Button(description=f"best F1 ({self.best_f1_threshold:.2f})")
        self.recall_button = W.Button(description=f"recall ≥ {target_recall:g} ({self.recall_threshold:.2f})")
        self.best_button.on_click(lambda _: setattr(self.slider, "value", round(self.best_f1_threshold, 2)))
        self.recall_button.on_click(lambda _: setattr(self.slider, "value", self.recall_threshold))
        self.summary = W.HTML()
        self.figure = W.Image(format="png", layout=W.Layout(max_width="900px"))
        self.slider.observe(lambda _: self.update(), names="value")
        self.gallery = W.Image(format="png", layout=W.Layout(max_width="900px"))
        rows = [W.HBox([self.slider, self.best_button, self.recall_button]), W.HBox([self.figure, self.summary])]
        self.widget = W.VBox(rows + ([self.gallery] if self.images is not None else []))
        self._build_figure()
        self.update()

    @classmethod
    def from_learner(cls, learn, dl=None, pos_label: int = 1, **kwargs) -> "ThresholdWidget":
        """Predict with ``learn`` on ``dl`` (default: validation) and build the widget for class ``pos_label``."""
        probs, targets = learn.get_preds(dl)
        classes = getattr(learn.dls, "classes", None)
        names = ("rest", classes[pos_label]) if classes else ("negative", "positive")
        return cls((targets == pos_label).long(), probs[:, pos_label], classes=names, **kwargs)

    @property
    def threshold(self) -> float:
        return float(self.slider.value)

    def _build_figure(self) -> None:
        from matplotlib.figure import Figure

        self.fig = Figure(figsize=(10.5, 3.3))
        self.ax_cm, self.ax_roc, self.ax_pr = self.fig.subplots(1, 3)
        self.roc.plot(ax=self.ax_roc)
        self.pr.plot(ax=self.ax_pr)
        # the current operating point (moved in place) and the two reference thresholds
        (self.roc_point,) = self.ax_roc.plot([], [], "o", color="crimson", ms=8, label="current")
        (self.pr_point,) = self.ax_pr.plot([], [], "o", color="crimson", ms=8, label="current")
        for t, color, name in ((self.best_f1_threshold, "green", "best F1"),
                               (self.recall_threshold, "purple", f"recall ≥ {self.target_recall:g}")):
            self.ax_roc.plot(*self._roc_xy(t), "s", color=color, ms=6, mfc="none", label=name)
            self.ax_pr.plot(*self._pr_xy(t), "s", color=color, ms=6, mfc="none", label=name)
        self.ax_roc.legend(fontsize=7, loc="lower right")
        self.ax_pr.legend(fontsize=7, loc="lower left")
        self.fig.subplots_adjust(wspace=0.45, left=0.06, right=0.98, bottom=0.16)

    def _roc_xy(self, t: float):
        c = self.roc.curves[0]
        i = _index_at(c["thresholds"], t)
        return [c["fpr"][i]], [c["tpr"][i]]

    def _pr_xy(self, t: float):
        m = M.binary_metrics_at(self.y, self.s, t)
        prec = m["precision"] if m["tp"] + m["fp"] else 1.0
        return [m["recall"]], [prec]

    def update(self) -> None:
        """Recompute the metrics at the slider's threshold and redraw (called when the slider moves)."""
        t = self.threshold
        self.metrics = M.binary_metrics_at(self.y, self.s, t)
        self.roc_point.set_data([self.metrics["fpr"]], [self.metrics["tpr"]])
        self.pr_point.set_data(*self._pr_xy(t))
        self.ax_cm.clear()
        cm = np.array([[self.metrics["tn"], self.metrics["fp"]], [self.metrics["fn"], self.metrics["tp"]]])
        ConfusionMatrixDisplay(cm, self.classes).plot(ax=self.ax_cm, xticks_rotation=0,
                                                      title=f"threshold {t:.2f}")
        self.figure.value = figure_to_png(self.fig, close=False)
        self.summary.value = _metrics_html(self.metrics)
        if self.images is not None:
            self._update_gallery(t)

    def _update_gallery(self, t: float) -> None:
        pred = self.s >= t
        missed, alarms = np.flatnonzero(~pred & (self.y == 1)), np.flatnonzero(pred & (self.y == 0))
        # nearest the threshold first: the cases the next step of the slider flips
        self.shown_missed = missed[np.argsort(-self.s[missed], kind="stable")][: self.max_images]
        self.shown_false_alarms = alarms[np.argsort(self.s[alarms], kind="stable")][: self.max_images]
        rows = [(f"missed {self.classes[1]} (nearest the threshold first)", self.shown_missed),
                (f"false alarms: true {self.classes[0]} (nearest first)", self.shown_false_alarms)]
        self.gallery.value = gallery_png([(title, [self.images[int(i)] for i in idx],
                                           [f"#{int(i)} s={self.s[int(i)]:.2f}" for i in idx]) for title, idx in rows],
                                         ncols=self.max_images)



class MultiLabelThresholdWidget(WidgetView):
    """One threshold slider per label of a multi-label classifier, with per-label and overall metrics.

    Args:
        targets: ``(N, L)`` 0/1 label vectors.
        probs: ``(N, L)`` sigmoid outputs.
        labels: label names.
        thresholds: starting thresholds (default 0.5 each).

    Attributes:
        thresholds: the current thresholds ``(L,)``.
        table: per-label DataFrame at the current thresholds (:func:`clskit.metrics.classification_report_df`).
        metrics: subset accuracy, Hamming loss, macro and micro F1 at the current thresholds.
        sliders, tune_button (sets every slider to its label's best-F1 threshold), summary (HTML), widget.
    """

    def __init__(self, targets, probs, labels: Sequence[str] | None = None, thresholds: Sequence[float] | None = None):
        import ipywidgets as W

        self.y, self.p = M.check_multilabel(targets, probs)
        n_labels = self.y.shape[1]
        self.labels = list(labels) if labels is not None else [str(j) for j in range(n_labels)]
        start = np.full(n_labels, 0.5) if thresholds is None else M.check_threshold(thresholds)
        self.sliders = [W.FloatSlider(value=float(t), min=0, max=1, step=0.01, description=name,
                                      continuous_update=False, readout_format=".2f")
                        for name, t in zip(self.labels, start)]
        self.tune_button = W.Button(description="best F1 per label")
        self.tune_button.on_click(lambda _: self.tune())
        self.summary = W.HTML()
        for s in self.sliders:
            s.observe(lambda _: self.update(), names="value")
        self.widget = W.HBox([W.VBox(self.sliders + [self.tune_button]), self.summary])
        self.update()

    @property
    def thresholds(self) -> np.ndarray:
        return np.array([s.value for s in self.sliders])

    def tune(self) -> np.ndarray:
        """Set every slider to the threshold that maximises its label's F1 on this data (validation data!)."""
        from clskit.metrics.tuning import tune_label_thresholds

        best = tune_label_thresholds(self.y, self.p)
        self._hold = True
        for s, t in zip(self.sliders, best):
            s.value = round(float(t), 2)
        self._hold = False
        self.update()
        return best

    def update(self) -> None:
        if getattr(self, "_hold", False):
            return
        t = self.thresholds
        self.table = M.classification_report_df(self.y, self.p, self.labels, threshold=t)
        self.metrics = {"subset_accuracy": M.subset_accuracy(self.y, self.p, t),
                        "hamming_loss": M.hamming_loss(self.y, self.p, t),
                        "macro_f1": M.multilabel_f1(self.y, self.p, "macro", t),
                        "micro_f1": M.multilabel_f1(self.y, self.p, "micro", t)}
        overall = " · ".join(f"{k} {v:.3f}" for k, v in self.metrics.items())
        table = self.table.assign(threshold=t).round(3).to_html(classes="clskit-table", border=0)
        self.summary.value = f"<div style='font-size:12px'>{table}<p>{overall}</p></div>"
