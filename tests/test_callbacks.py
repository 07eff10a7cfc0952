"""Callbacks: the recorder, live curves (driven headless), early stopping, checkpoints, NaN guard."""
from __future__ import annotations

import math

import pytest
import torch

from clskit.training.callbacks import Callback, LiveCurvesCB


# -- recorder ---------------------------------------------------------------------------------
def test_recorder_rows_hold_losses_metrics_and_train_metrics(tiny_learner):
    learn = tiny_learner()
    learn.fit(2)
    assert [r["epoch"] for r in learn.history] == [1, 2]
    for row in learn.history:
        for key in ("train_loss", "valid_loss", "accuracy", "train_accuracy", "lr", "time"):
            assert key in row and math.isfinite(row[key])
    # the validation metric equals accuracy recomputed from get_preds
    probs, targets = learn.get_preds()
    assert learn.history[-1]["accuracy"] == pytest.approx(float((probs.argmax(1) == targets).float().mean()))


def test_recorder_train_metrics_can_be_switched_off(tiny_learner):
    learn = tiny_learner()
    learn.recorder.train_metrics = False
    learn.fit(1)
    assert "train_accuracy" not in learn.history[0]


# -- live curves: data side with a fake view -------------------------------------------------
def test_live_curves_feed_the_view_every_epoch_and_close_it(tiny_learner, fake_view):
    view = fake_view
    learn = tiny_learner(cbs=[LiveCurvesCB(view=view, text_every=0.0, max_overhead=1.0)])
    learn.fit(3)
    assert view.shown == 1 and view.closed
    assert view.n_updates == 3 and view.n_epoch == 3
    assert view.history == learn.history
    assert any("batch" in t for t in view.texts) and "epoch 3/3 done" in view.texts[-1]


def test_live_curves_text_is_throttled(tiny_learner, fake_view):
    view = fake_view
    learn = tiny_learner(cbs=[LiveCurvesCB(view=view, text_every=3600.0, max_overhead=1.0)])
    learn.fit(2)
    batch_texts = [t for t in view.texts if "batch" in t]
    assert len(batch_texts) == 1  # the first batch only: the next would be an hour later


def test_live_curves_never_skip_the_last_epoch_even_without_budget(tiny_learner, fake_view):
    view = fake_view
    learn = tiny_learner(cbs=[LiveCurvesCB(view=view, max_overhead=0.0)])
    learn.fit(3)
    assert view.history == learn.history


def test_live_curves_survive_an_interrupt_and_continue(tiny_learner, fake_view):
    class StopAfter(Callback):
        order = 70

        def after_epoch(self):
            if self.learn.epoch == 1:
                raise KeyboardInterrupt

    view = fake_view
    learn = tiny_learner(cbs=[LiveCurvesCB(view=view, max_overhead=1.0)])
    learn.fit(4, cbs=[StopAfter()])
    assert learn.interrupted and len(learn.history) == 2
    assert view.closed and view.history == learn.history  # the curves stay drawn
    learn.fit(1)  # a new fit continues the history, in a new view (a closed widget cannot reopen)
    assert len(learn.history) == 3 and learn.cb(LiveCurvesCB).view.history == learn.history


# -- live curves: the widget, driven from Python without a browser ----------------------------
def test_widget_shows_the_history_after_fit(tiny_learner):
    pytest.importorskip("ipywidgets")
    from clskit.views.widgets.curves import LiveCurvesWidget

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
    from clskit.views.widgets.curves import LiveCurvesWidget

    hist = [{"epoch": i, "train_loss": 2 / i, "valid_loss": 1.5 / i, "accuracy": 0.5 + i / 50} for i in range(1, 7)]
    w = LiveCurvesWidget()
    pngs = []
    for i in range(1, 7):
        w.update(hist[:i], n_epoch=6)
        pngs.append(bytes(w.image.value))
    assert w._renderer.full_draws == 1 and len(set(pngs)) == 6
    w.update(hist + [{"epoch": 7, "train_loss": 9.0, "valid_loss": 1.0, "accuracy": 0.7}], n_epoch=6)
    assert w._renderer.full_draws == 2  # a loss above the y limit and more epochs than planned: new axes


def test_static_fallback_prints_the_table(capsys, tiny_learner):
    from clskit.views.widgets.curves import StaticCurves

    learn = tiny_learner(cbs=[LiveCurvesCB(view=StaticCurves())])
    learn.fit(2)
    out = capsys.readouterr().out
    assert "train_loss" in out and "valid_loss" in out and len(out.strip().splitlines()) == 3


def test_learner_live_true_without_a_kernel_uses_the_static_view(capsys, monkeypatch, tiny_learner):
    monkeypatch.delenv("CLSKIT_LIVE", raising=False)
    learn = tiny_learner(live=True)
    learn.fit(1)
    from clskit.views.widgets.curves import StaticCurves

    assert isinstance(learn.cb(LiveCurvesCB).view, StaticCurves)
    assert "valid_loss" in capsys.readouterr().out


# -- plots ------------------------------------------------------------------------------------
def test_plot_history_is_a_view_of_plain_dicts(agg_pyplot):
    from clskit.views.widgets.curves import plot_history

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
    def after_cancel_backward(self): self.seen.append("after_cancel_backward")
    def after_cancel_step(self): self.seen.append("after_cancel_step")
    def after_step(self): self.seen.append("after_step")
    def before_validate(self): self.seen.append("before_validate")
    def after_epoch(self): self.seen.append("after_epoch")


def test_each_cancel_exception_is_caught_at_its_event(tiny_learner):
    from clskit.training.callbacks import (CancelBatchException, CancelEpochException, CancelFitException,
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
    from clskit.training.callbacks import CallbackNameWarning

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


# skipped steps still advance the schedule (as fastai does), which torch notes once with a warning
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`")
def test_backward_and_step_events_are_cancelled_on_their_own(tiny_learner):
    from clskit.training.callbacks import CancelBackwardException, CancelStepException

    backward = _CancelAt("before_backward", CancelBackwardException)  # no gradients, so nothing moves
    learn = tiny_learner()
    before = [p.detach().clone() for p in learn.model.parameters()]
    learn.fit(1, cbs=[backward])
    n = len(learn.dls.train)
    assert backward.seen.count("after_cancel_backward") == n and backward.seen.count("after_step") == n
    assert all(torch.equal(a, b) for a, b in zip(before, learn.model.parameters()))

    step = _CancelAt("before_step", CancelStepException)  # gradients, but no step
    learn = tiny_learner()
    before = [p.detach().clone() for p in learn.model.parameters()]
    learn.fit(1, cbs=[step])
    assert step.seen.count("after_cancel_step") == step.seen.count("after_step") == n  # after_step still runs
    assert "after_cancel_batch" not in step.seen and len(learn.history) == 1  # the batch itself went on
    assert all(torch.equal(a, b) for a, b in zip(before, learn.model.parameters()))


# -- mixed precision through the events, on the CPU (the CUDA path: benchmarks/gpu_check.py) ----------------
def _first_conv_dtype(learn) -> dict:
    seen = {}
    conv = next(m for m in learn.model.modules() if isinstance(m, torch.nn.Conv2d))

    def spy(module, inputs, output):  # which dtype did the convolution compute in?
        seen.setdefault("dtype", output.dtype)

    conv.register_forward_hook(spy)
    return seen


def test_bf16_autocast_runs_the_forward_pass_and_is_left_after_the_loss(tiny_learner):
    from clskit.training.callbacks import MixedPrecisionCB

    class Spy(Callback):
        order = 20

        def after_loss(self):
            self.pred_dtype, self.autocast_on = self.learn.preds.dtype, torch.is_autocast_enabled("cpu")

    mixed, spy = MixedPrecisionCB("bf16", device_types=("cpu",)), Spy()
    learn = tiny_learner(cbs=[mixed, spy])
    seen = _first_conv_dtype(learn)
    learn.fit(1)
    assert seen["dtype"] == torch.bfloat16 and mixed.scaler is None
    assert spy.pred_dtype == torch.float32 and not spy.autocast_on  # loss and metrics in float32
    assert not torch.is_autocast_enabled("cpu") and math.isfinite(learn.history[-1]["train_loss"])


def test_fp16_scaler_scales_the_loss_and_clipping_sees_unscaled_gradients(tiny_learner):
    from clskit.training.callbacks import GradientClipCB, MixedPrecisionCB

    class LossGrad(Callback):
        def after_backward(self):
            self.ratio = float(self.learn.loss_grad.detach() / self.learn.loss.detach())

    plain_clip = GradientClipCB(1e9)   # records the norm, never clips
    tiny_learner(cbs=[plain_clip]).fit(1)
    mixed, clip, ratio = MixedPrecisionCB("fp16", device_types=("cpu",)), GradientClipCB(1e9), LossGrad()
    learn = tiny_learner(cbs=[mixed, clip, ratio])
    seen = _first_conv_dtype(learn)
    learn.fit(1)
    assert seen["dtype"] == torch.float16
    assert ratio.ratio == pytest.approx(mixed.scaler.get_scale(), rel=1e-3) and ratio.ratio > 1000  # scaled
    # the clipping callback saw gradients of the same size as without the scaler, not 65536x larger
    assert clip.norms[0] == pytest.approx(plain_clip.norms[0], rel=0.05)
    assert len(mixed.scales) == len(learn.dls.train)


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`")
def test_an_overflowing_fp16_step_is_skipped_and_the_scale_lowered(tiny_learner):
    from clskit.training.callbacks import MixedPrecisionCB

    class Overflow(Callback):
        def before_fit(self):
            self.before = [p.detach().clone() for p in self.learn.model.parameters()]
            self.cancelled = 0

        def after_backward(self):  # an overflow on the first batch only
            if self.learn.iter == 0:
                next(self.learn.model.parameters()).grad[0] = float("inf")

        def after_cancel_step(self):
            self.cancelled += 1

        def after_batch(self):
            if self.learn.training and self.learn.iter == 0:
                self.unchanged = all(torch.equal(a, b) for a, b in zip(self.before, self.learn.model.parameters()))

    mixed, overflow = MixedPrecisionCB("fp16", device_types=("cpu",)), Overflow()
    learn = tiny_learner(cbs=[mixed, overflow])
    learn.fit(1)
    assert overflow.cancelled == 1 and overflow.unchanged
    assert mixed.scales[0] == mixed.scales[-1] == 65536.0 / 2  # halved once (torch's backoff_factor)
    assert all(bool(torch.isfinite(p).all()) for p in learn.model.parameters())


def test_mixed_precision_with_an_accelerator_names_the_fix(tiny_learner):
    with pytest.raises(ValueError, match="Accelerator\\(mixed_precision='fp16'\\)"):
        tiny_learner(mixed_precision=True, accelerator=object())


def test_callbacks_added_removed_or_replaced_during_a_fit_are_honoured(tiny_learner):
    """The Learner gathers each event's handlers once per list of callbacks; every change to the list counts."""
    class Count(Callback):
        order = 5
        def __init__(self): self.batches = 0
        def after_batch(self): self.batches += 1

    class Early(Callback):
        order = -5
        def __init__(self, log): self.log = log
        def after_batch(self): self.log.append("early")

    late = Count()

    class AddOnce(Callback):                       # attaches `late` after the first epoch, then removes itself
        def after_epoch(self):
            self.learn.add_cbs([late])
            self.learn.remove_cbs([self])

    learn = tiny_learner()
    n = len(learn.dls.train) + len(learn.dls.valid)
    learn.fit(3, cbs=[AddOnce()])
    assert late.batches == 2 * n                   # epochs 2 and 3 only
    log = []
    learn.cbs.append(Early(log))                   # appended by hand: the list's length changes
    learn.fit(1)                                   # `late` stays attached: add_cbs is for good, cbs= for one fit
    assert late.batches == 3 * n and log == ["early"] * n
    order = []
    learn.cbs = [c for c in learn.cbs if not isinstance(c, (Early, Count))] + [Early(order)]   # a new list
    learn.fit(1)
    assert late.batches == 3 * n and order == ["early"] * n
