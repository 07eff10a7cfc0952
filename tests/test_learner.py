"""Learner: reproducible seeded fits, lr_find, clipping, mixed precision (CPU no-op), NaN stop,
best-weight restoring on early stop and Ctrl-C, checkpoints, predictions."""
from __future__ import annotations

import math
import warnings

import pytest
import torch

from clskit.training.callbacks import (Callback, CheckpointCB, EarlyStoppingCB, GradientClipCB, LiveCurvesCB, LRFinderResult,
                              MixedPrecisionCB, NonFiniteLossWarning, ProgressCB, TerminateOnNaNCB, TrackBestCB,
                              suggest_lr)
from clskit.training.checkpoint import load_checkpoint
from clskit.training.learner import Learner



def strip_time(history):
    return [{k: v for k, v in r.items() if k != "time"} for r in history]


def weights(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def same_weights(a, b) -> bool:
    return all(torch.equal(a[k], b[k]) for k in a)


class Snapshots(Callback):
    """Keeps a copy of the weights after every epoch."""

    order = 30

    def __init__(self):
        self.states = {}

    def after_epoch(self):
        self.states[self.learn.history[-1]["epoch"]] = weights(self.learn.model)


def test_two_seeded_fits_give_identical_history(tiny_dls):
    dls = tiny_dls()
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        from clskit.models import create_model

        model = create_model("small_cnn", num_classes=2, in_chans=1, widths=(8, 16), dropout=0.2)
        learn = Learner(model, dls, lr=1e-2, seed=3, progress=False, device="cpu")  # the same dls object
        learn.fit(2)
        runs.append((strip_time(learn.history), weights(model)))
    assert runs[0][0] == runs[1][0]
    assert same_weights(runs[0][1], runs[1][1])


def test_default_optimiser_gives_the_weights_of_plain_adamw(tiny_dls):
    """The default optimiser (AdamW in one call per step, foreach=True) is a speed-up only: the same seeded fit
    with PyTorch's plain AdamW, which loops over the weights on a CPU, ends with bitwise the same weights."""
    from clskit.models import create_model
    from clskit.training.learner import ADAMW

    dls, ends = tiny_dls(), []
    for opt_func in (ADAMW, torch.optim.AdamW):
        torch.manual_seed(0)
        model = create_model("small_cnn", num_classes=2, in_chans=1, widths=(8, 16))
        learn = Learner(model, dls, lr=1e-2, wd=0.1, seed=3, progress=False, device="cpu", opt_func=opt_func)
        learn.fit(2)
        ends.append(weights(model))
    assert Learner(model, dls, progress=False).opt_func is ADAMW and ADAMW.keywords == {"foreach": True}
    assert same_weights(*ends)


def test_lr_find_restores_weights_and_suggests_a_rate_in_range(agg_pyplot, tiny_learner):
    learn = tiny_learner()
    before = weights(learn.model)
    res = learn.lr_find(start_lr=1e-5, end_lr=10, num_it=12)  # longer than one epoch (5 batches)
    assert same_weights(before, weights(learn.model))
    assert learn.history == [] and learn.opt is None
    assert 2 <= len(res.lrs) == len(res.losses) <= 12
    assert res.lrs == sorted(res.lrs) and res.lrs[0] == pytest.approx(1e-5)
    assert 1e-5 <= res.suggestion <= 10
    lrs, losses, suggestion = res
    assert suggestion == res.suggestion
    ax = res.plot()
    assert ax.get_xscale() == "log"
    learn.fit(1, lr=res.suggestion)  # the learner still trains normally afterwards
    assert len(learn.history) == 1


def test_suggest_lr_picks_the_steepest_descent():
    lrs = [10 ** e for e in range(-5, 1)]
    losses = [2.3, 2.29, 2.0, 1.0, 0.9, 5.0]
    assert suggest_lr(lrs, losses) == pytest.approx(1e-3)
    assert math.isnan(LRFinderResult([1e-3], [1.0]).suggestion)


def test_gradient_clipping_bounds_the_norm(tiny_learner):
    class Norm(Callback):
        order = 1  # after GradientClipCB (order 0), before the step

        def __init__(self):
            self.norms = []

        def before_step(self):
            grads = [p.grad for p in self.learn.model.parameters() if p.grad is not None]
            self.norms.append(float(torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))))

    clip, norm = GradientClipCB(0.05), Norm()
    learn = tiny_learner(cbs=[clip, norm])
    learn.fit(1)
    assert len(clip.norms) == len(norm.norms) == 5
    assert max(clip.norms) > 0.05  # clipping was needed ...
    assert max(norm.norms) <= 0.05 * (1 + 1e-4)  # ... and the step saw the clipped gradients


def test_mixed_precision_is_a_no_op_on_cpu(tiny_learner):
    a = tiny_learner(seed=0)
    a.fit(1)
    b = tiny_learner(seed=0, mixed_precision=True)
    b.fit(1)
    assert strip_time(a.history) == strip_time(b.history)
    assert b.cb(MixedPrecisionCB).scaler is None and not b.cb(MixedPrecisionCB).active


def test_nan_loss_from_a_high_learning_rate_stops_with_advice(tiny_learner):
    learn = tiny_learner(lr=1e9)
    with pytest.warns(NonFiniteLossWarning, match="learning rate"):
        learn.fit(3)
    assert len(learn.history) < 3
    assert "lr_find" in learn.cb(TerminateOnNaNCB).message


def test_nan_inputs_are_named_as_the_cause(tiny_dls, tiny_learner):
    dls = tiny_dls()
    dls.train.transform = lambda x: x.masked_fill(torch.rand_like(x) < 0.05, float("nan"))
    learn = Learner(tiny_learner().model, dls, progress=False, device="cpu")
    with pytest.warns(NonFiniteLossWarning, match="input batch itself contains NaN"):
        learn.fit(1)
    assert learn.history == []


def test_early_stopping_restores_the_best_weights(capsys, tiny_learner):
    snaps = Snapshots()
    # a large constant lr makes the validation loss bounce, so there is something to stop on
    stop = EarlyStoppingCB("valid_loss", patience=2)
    learn = tiny_learner(lr=0.3, sched="constant", cbs=[stop, snaps])
    learn.fit(12)
    losses = [r["valid_loss"] for r in learn.history]
    best = 1 + losses.index(min(losses))
    assert stop.best_epoch == best and stop.best == min(losses)
    assert stop.stopped_epoch == best + 2 == len(learn.history)
    assert same_weights(weights(learn.model), snaps.states[best])


def test_ctrl_c_keeps_best_weights_and_history_and_fit_continues(tiny_learner):
    class CtrlC(Callback):
        def after_batch(self):
            if self.learn.epoch == 2 and self.learn.iter == 1 and self.learn.training:
                raise KeyboardInterrupt

    snaps, best = Snapshots(), TrackBestCB("accuracy")
    learn = tiny_learner(cbs=[best, snaps])
    learn.fit(5, cbs=[CtrlC()])
    assert learn.interrupted and len(learn.history) == 2
    assert same_weights(weights(learn.model), snaps.states[best.best_epoch])
    learn.fit(1)
    assert not learn.interrupted and [r["epoch"] for r in learn.history] == [1, 2, 3]


def test_checkpoint_saves_the_best_atomically(tmp_path, tiny_learner):
    snaps = Snapshots()
    ck = CheckpointCB(tmp_path / "best.pt", monitor="valid_loss")
    learn = tiny_learner(lr=0.3, sched="constant", cbs=[ck, snaps])
    learn.fit(4)
    ckpt = load_checkpoint(tmp_path / "best.pt")
    assert ckpt["epoch"] == ck.best_epoch and ckpt["value"] == ck.best
    assert same_weights(ckpt["state_dict"], snaps.states[ck.best_epoch])
    assert [p.name for p in tmp_path.iterdir()] == ["best.pt"]  # no temporary files left


def test_monitoring_an_unknown_key_says_what_exists(tiny_learner):
    learn = tiny_learner(cbs=[EarlyStoppingCB("val_acc")])
    with pytest.raises(KeyError, match="valid_loss"):
        learn.fit(1)


def test_predictions_and_default_callbacks(tiny_learner):
    learn = tiny_learner()
    learn.fit(2)
    probs, targets = learn.get_preds()
    assert probs.shape == (24, 2) and torch.allclose(probs.sum(1), torch.ones(24))
    x = learn.dls.valid.dataset.float_images(slice(0, 3))
    assert torch.allclose(learn.predict(x), probs[:3], atol=1e-6)
    raw = learn.dls.valid.dataset.images[:3]                          # uint8 0-255: the same probabilities
    assert torch.allclose(learn.predict(raw), learn.predict(raw.float() / 255), atol=1e-6)
    assert learn.predict(raw[0]).shape == (2,) and not learn.model.training
    assert learn.cb(ProgressCB) is None and learn.cb(TerminateOnNaNCB) is not None
    live = tiny_learner(live=True, progress=True)
    assert live.cb(LiveCurvesCB) is not None and live.cb(ProgressCB) is None  # the status line replaces the bar


def test_progress_bar_runs_in_a_plain_script(capsys, tiny_learner):
    learn = tiny_learner(progress=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        learn.fit(1)
    assert len(learn.history) == 1


def test_a_subclass_changes_the_activation_everywhere_probabilities_are_reported(tiny_learner):
    from clskit.training.learner import Learner

    class Halved(Learner):   # an output layer of its own (notebook 10 trains a softmax head on label sets so)
        def activation(self, logits):
            return torch.softmax(logits, dim=1) / 2

    seen = []

    def row_sum(targets, probs):
        seen.append(float(probs.sum(1).mean()))
        return 0.0

    learn = tiny_learner()
    halved = Halved(learn.model, learn.dls, device="cpu", progress=False, metrics=[row_sum])
    halved.fit(1)
    assert seen and all(abs(s - 0.5) < 1e-5 for s in seen)            # the metrics saw its probabilities
    probs, _ = halved.get_preds()
    x = halved.dls.valid.dataset.float_images(slice(0, 2))
    assert torch.allclose(probs.sum(1), torch.full((len(probs),), 0.5))
    assert torch.allclose(halved.predict(x).sum(1), torch.full((2,), 0.5))
    assert torch.allclose(learn.get_preds()[0].sum(1), torch.ones(len(probs)))   # the base class: softmax


def test_snapshot_keeps_the_model_of_a_chosen_epoch_apart_from_later_training(tiny_learner):
    from clskit.training.callbacks import SnapshotCB

    snap = SnapshotCB(epochs=[1])
    learn = tiny_learner()
    learn.fit(3, cbs=[snap])
    assert sorted(snap.models) == [1]
    first, final = snap.models[1], learn.model
    assert not first.training and first is not final
    # the copy holds epoch 1's weights and BatchNorm statistics, not the final ones
    changed = [not torch.equal(a, b) for a, b in zip(first.state_dict().values(), final.state_dict().values())
               if a.is_floating_point()]
    assert any(changed)
    with pytest.raises(ValueError, match="whole numbers from 1"):
        SnapshotCB(epochs=[0])
