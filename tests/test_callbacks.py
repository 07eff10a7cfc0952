"""Callbacks: the recorder, live curves (driven headless), early stopping, checkpoints, NaN guard."""
from __future__ import annotations

import math

import pytest
import torch

from clskit.callbacks import Callback, LiveCurvesCB, Recorder
from clskit.datasets import DataLoaders, ImageDataset
from clskit.learner import Learner
from clskit.models import create_model


def tiny_dls(n: int = 96, seed: int = 0) -> DataLoaders:
    """Two separable classes of 8x8 grey images (bright top half vs bright bottom half)."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.rand(n, 1, 8, 8, generator=g) * 80
    x[y == 0, :, :4] += 150
    x[y == 1, :, 4:] += 150
    ds = ImageDataset(x.clamp(0, 255).to(torch.uint8), y, ["top", "bottom"])
    tr, va = ds.subset(range(0, n * 3 // 4)), ds.subset(range(n * 3 // 4, n))
    return DataLoaders.from_datasets(tr, va, batch_size=16, seed=seed)


def tiny_learner(**kw) -> Learner:
    torch.manual_seed(0)
    model = create_model("small_cnn", num_classes=2, in_chans=1, widths=(8, 16))
    kw.setdefault("progress", False)
    kw.setdefault("lr", 1e-2)
    return Learner(model, tiny_dls(), device="cpu", **kw)


class FakeView:
    """Records what the live-curves callback asks of a view."""

    def __init__(self):
        self.history, self.texts, self.n_updates, self.closed, self.shown = [], [], 0, False, 0

    def show(self):
        self.shown += 1

    def set_text(self, text):
        self.texts.append(text)

    def update(self, history, n_epoch=None):
        self.history, self.n_epoch = [dict(r) for r in history], n_epoch
        self.n_updates += 1

    def close(self, final=True):
        self.closed = final


# -- recorder ---------------------------------------------------------------------------------
def test_recorder_rows_hold_losses_metrics_and_train_metrics():
    learn = tiny_learner()
    learn.fit(2)
    assert [r["epoch"] for r in learn.history] == [1, 2]
    for row in learn.history:
        for key in ("train_loss", "valid_loss", "accuracy", "train_accuracy", "lr", "time"):
            assert key in row and math.isfinite(row[key])
    # the validation metric equals accuracy recomputed from get_preds
    probs, targets = learn.get_preds()
    assert learn.history[-1]["accuracy"] == pytest.approx(float((probs.argmax(1) == targets).float().mean()))


def test_recorder_train_metrics_can_be_switched_off():
    learn = tiny_learner()
    learn.recorder.train_metrics = False
    learn.fit(1)
    assert "train_accuracy" not in learn.history[0]


# -- live curves: data side with a fake view -------------------------------------------------
def test_live_curves_feed_the_view_every_epoch_and_close_it():
    view = FakeView()
    learn = tiny_learner(cbs=[LiveCurvesCB(view=view, text_every=0.0, max_overhead=1.0)])
    learn.fit(3)
    assert view.shown == 1 and view.closed
    assert view.n_updates == 3 and view.n_epoch == 3
    assert view.history == learn.history
    assert any("batch" in t for t in view.texts) and "epoch 3/3 done" in view.texts[-1]


def test_live_curves_text_is_throttled():
    view = FakeView()
    learn = tiny_learner(cbs=[LiveCurvesCB(view=view, text_every=3600.0, max_overhead=1.0)])
    learn.fit(2)
    batch_texts = [t for t in view.texts if "batch" in t]
    assert len(batch_texts) == 1  # the first batch only: the next would be an hour later


def test_live_curves_never_skip_the_last_epoch_even_without_budget():
    view = FakeView()
    learn = tiny_learner(cbs=[LiveCurvesCB(view=view, max_overhead=0.0)])
    learn.fit(3)
    assert view.history == learn.history


def test_live_curves_survive_an_interrupt_and_continue():
    class StopAfter(Callback):
        order = 70

        def after_epoch(self):
            if self.learn.epoch == 1:
                raise KeyboardInterrupt

    view = FakeView()
    learn = tiny_learner(cbs=[LiveCurvesCB(view=view, max_overhead=1.0)])
    learn.fit(4, cbs=[StopAfter()])
    assert learn.interrupted and len(learn.history) == 2
    assert view.closed and view.history == learn.history  # the curves stay drawn
    learn.fit(1)  # a new fit continues the history, in a new view (a closed widget cannot reopen)
    assert len(learn.history) == 3 and learn.cb(LiveCurvesCB).view.history == learn.history


# -- live curves: the widget, driven from Python without a browser ----------------------------
def test_widget_shows_the_history_after_fit():
    pytest.importorskip("ipywidgets")
    from clskit.widgets.curves import LiveCurvesWidget

    widget = LiveCurvesWidget()
    learn = tiny_learner(cbs=[LiveCurvesCB(view=widget, max_overhead=1.0)])
    learn.fit(2)
    assert widget.closed and bytes(widget.image.value).startswith(b"\x89PNG")
    assert "epoch 2/2 done" in widget.label.value
    # the drawn lines hold exactly the recorded values
    lines = {ln.get_gid(): ln for ax in widget._renderer.axes for ln in ax.get_lines()}
    assert set(lines) == {"train_loss", "valid_loss", "train_accuracy", "accuracy"}
    for key, line in lines.items():
        assert list(line.get_ydata()) == pytest.approx([r[key] for r in learn.history])


def test_widget_redraws_only_lines_while_limits_hold():
    pytest.importorskip("ipywidgets")
    from clskit.widgets.curves import LiveCurvesWidget

    hist = [{"epoch": i, "train_loss": 2 / i, "valid_loss": 1.5 / i, "accuracy": 0.5 + i / 50} for i in range(1, 7)]
    w = LiveCurvesWidget()
    pngs = []
    for i in range(1, 7):
        w.update(hist[:i], n_epoch=6)
        pngs.append(bytes(w.image.value))
    assert w._renderer.full_draws == 1 and len(set(pngs)) == 6
    w.update(hist + [{"epoch": 7, "train_loss": 9.0, "valid_loss": 1.0, "accuracy": 0.7}], n_epoch=6)
    assert w._renderer.full_draws == 2  # a loss above the y limit and more epochs than planned: new axes


def test_static_fallback_prints_the_table(capsys):
    from clskit.widgets.curves import StaticCurves

    learn = tiny_learner(cbs=[LiveCurvesCB(view=StaticCurves())])
    learn.fit(2)
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_loss" in out and len(out.strip().splitlines()) == 3


def test_learner_live_true_without_a_kernel_uses_the_static_view(capsys, monkeypatch):
    monkeypatch.delenv("CLSKIT_LIVE", raising=False)
    learn = tiny_learner(live=True)
    learn.fit(1)
    from clskit.widgets.curves import StaticCurves

    assert isinstance(learn.cb(LiveCurvesCB).view, StaticCurves)
    assert "valid_loss" in capsys.readouterr().out


# -- plots ------------------------------------------------------------------------------------
def test_plot_history_is_a_view_of_plain_dicts(agg_pyplot):
    from clskit.plots import plot_history

    hist = [{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.2, "accuracy": 0.6, "train_accuracy": 0.7},
            {"epoch": 2, "train_loss": 0.5, "valid_loss": 0.9, "accuracy": 0.7, "train_accuracy": 0.9}]
    loss_ax, metric_ax = plot_history(hist)
    got = {ln.get_gid(): list(ln.get_ydata()) for ax in (loss_ax, metric_ax) for ln in ax.get_lines()}
    assert got == {"train_loss": [1.0, 0.5], "valid_loss": [1.2, 0.9], "accuracy": [0.6, 0.7],
                   "train_accuracy": [0.7, 0.9]}
    _, ax = agg_pyplot.subplots()
    (only,) = plot_history(hist, ax=ax)
    assert [ln.get_gid() for ln in only.get_lines()] == ["train_loss", "valid_loss"]


# -- the Cancel* exceptions: each one skips exactly its event ---------------------------------------
class _CancelAt(Callback):
    """Raises ``exc`` from ``event`` and counts the events that ran."""

    def __init__(self, event: str, exc: type, when=lambda learn: True):
        self.event, self.exc, self.when, self.seen = event, exc, when, []
        setattr(self, event, self._raise)

    def _raise(self):
        self.seen.append(self.event)
        if self.when(self.learn):
            raise self.exc()

    def after_cancel_fit(self): self.seen.append("after_cancel_fit")
    def after_cancel_epoch(self): self.seen.append("after_cancel_epoch")
    def after_cancel_train(self): self.seen.append("after_cancel_train")
    def after_cancel_validate(self): self.seen.append("after_cancel_validate")
    def after_cancel_batch(self): self.seen.append("after_cancel_batch")
    def after_step(self): self.seen.append("after_step")
    def before_validate(self): self.seen.append("before_validate")
    def after_epoch(self): self.seen.append("after_epoch")


def test_each_cancel_exception_is_caught_at_its_event():
    from clskit.callbacks import (CancelBatchException, CancelEpochException, CancelFitException,
                                  CancelTrainException, CancelValidateException)

    fit = _CancelAt("before_epoch", CancelFitException)
    tiny_learner().fit(2, cbs=[fit])
    assert fit.seen.count("before_epoch") == 1 and "after_cancel_fit" in fit.seen and "after_step" not in fit.seen

    epoch = _CancelAt("before_train", CancelEpochException)
    tiny_learner().fit(2, cbs=[epoch])
    assert epoch.seen.count("after_cancel_epoch") == 2 and "before_validate" not in epoch.seen
    assert "after_epoch" not in epoch.seen  # the epoch ended early

    train = _CancelAt("before_train", CancelTrainException)
    learn = tiny_learner()
    learn.fit(1, cbs=[train])
    assert "after_cancel_train" in train.seen and "before_validate" in train.seen and "after_step" not in train.seen

    valid = _CancelAt("before_validate", CancelValidateException)
    tiny_learner().fit(1, cbs=[valid])
    assert "after_cancel_validate" in valid.seen and "after_epoch" in valid.seen

    batch = _CancelAt("before_step", CancelBatchException)  # skip every optimiser step
    learn = tiny_learner()
    before = [p.detach().clone() for p in learn.model.parameters()]
    learn.fit(1, cbs=[batch])
    assert "after_step" not in batch.seen and batch.seen.count("after_cancel_batch") == len(learn.dls.train)
    assert all(torch.equal(a, b.cpu()) for a, b in zip(before, learn.model.parameters()))


def test_misspelt_callback_method_warns():
    from clskit.callbacks import CallbackNameWarning

    with pytest.warns(CallbackNameWarning, match="did you mean 'before_fit'"):
        class Typo(Callback):
            def befor_fit(self):
                pass
    with pytest.warns(CallbackNameWarning, match="not a callback event"):
        class Unknown(Callback):
            def after_everything(self):
                pass
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")

        class Fine(Callback):
            def before_fit(self):
                pass

            def helper(self):
                pass
