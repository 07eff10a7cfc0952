"""The callbacks every Learner adds itself: schedule stepping, device moves, the history recorder,
the NaN guard."""
from __future__ import annotations

import math
import time
import warnings

import torch

from clskit.utils import to_device
from clskit.training.callbacks.core import Callback, CancelFitException
from clskit.training.callbacks.precision import MixedPrecisionCB


class SchedulerCB(Callback):
    """Steps the learning-rate schedule after every optimiser step."""

    order = -20

    def after_step(self):
        if self.learn.scheduler is not None:
            self.learn.scheduler.step()


class DeviceCB(Callback):
    """Moves the model to the Learner's device before fitting and each batch as it arrives."""

    order = -10
    run_in_lr_find = True

    def before_fit(self):
        self.learn.model.to(self.learn.device)

    def before_batch(self):
        self.learn.batch = to_device(self.learn.batch, self.learn.device)


class Recorder(Callback):
    """Records losses and validation metrics: ``history`` is a list of plain dicts, one per epoch.

    Each row holds ``epoch``, ``train_loss``, ``valid_loss``, every metric by name (on the
    validation set), ``train_<metric>`` (on the training batches of the epoch, as the model was
    while it trained: dropout and augmentation on), ``lr`` (at the end of the epoch) and ``time``
    (seconds). ``batch_losses`` and ``lrs`` hold the per-batch training loss and learning rate.
    Plots are views of this data (``plot_history``), so the recorder needs no display.

    Args:
        train_metrics: also compute the metrics on the training batches (to see the
            train/validation gap).
    """

    order = 10

    def __init__(self, train_metrics: bool = True):
        self.train_metrics = train_metrics
        self.history: list[dict] = []
        self.batch_losses: list[float] = []
        self.lrs: list[float] = []
        self.before_epoch()

    def before_epoch(self):
        # one history row per epoch, so every sum starts here (even when a phase is cancelled early)
        self._sum, self._n, self._tlogits, self._ttargets = 0.0, 0, [], []
        self._vsum, self._vn, self._logits, self._targets = 0.0, 0, [], []

    def after_batch(self):
        learn = self.learn
        n = len(learn.yb)
        loss = float(learn.loss.detach())
        if learn.training:
            self._sum += loss * n
            self._n += n
            self.batch_losses.append(loss)
            self.lrs.append(learn.opt.param_groups[-1]["lr"])
            # (soft targets from MixUp/CutMix have no hard label to score: skip train metrics then)
            if self.train_metrics and learn.metrics and (learn.yb.ndim == 1 or learn.multilabel):
                self._tlogits.append(learn.preds.detach().float())
                self._ttargets.append(learn.yb.detach())
        else:
            self._vsum += loss * n
            self._vn += n
            self._logits.append(learn.preds.detach().float().cpu())
            self._targets.append(learn.yb.detach().cpu())

    @property
    def train_loss(self) -> float:
        """Mean training loss of the current epoch so far."""
        return self._sum / self._n if self._n else float("nan")

    def after_epoch(self):
        learn = self.learn
        row = {"epoch": len(self.history) + 1, "train_loss": self._sum / self._n if self._n else float("nan")}
        if self._tlogits:
            probs = learn.activation(torch.cat(self._tlogits)).cpu()
            targets = torch.cat(self._ttargets).cpu()
            for name, fn in learn.metrics:
                row[f"train_{name}"] = float(fn(targets, probs))
        if self._vn:
            row["valid_loss"] = self._vsum / self._vn
            probs = learn.activation(torch.cat(self._logits))
            targets = torch.cat(self._targets)
            for name, fn in learn.metrics:
                row[name] = float(fn(targets, probs))
        if learn.opt is not None:
            row["lr"] = learn.opt.param_groups[-1]["lr"]
        row["time"] = time.perf_counter() - learn.epoch_start
        self.history.append(row)

    def best(self, monitor: str = "valid_loss", mode: str | None = None) -> dict | None:
        """The history row with the best value of ``monitor``."""
        rows = [r for r in self.history if monitor in r and not math.isnan(r[monitor])]
        if not rows:
            return None
        mode = mode or ("min" if "loss" in monitor else "max")
        return (min if mode == "min" else max)(rows, key=lambda r: r[monitor])


class NonFiniteLossWarning(RuntimeWarning):
    """Training stopped because the loss became NaN or infinite."""


class TerminateOnNaNCB(Callback):
    """Stops training (with a :class:`NonFiniteLossWarning` saying why) when the loss is NaN or inf.

    A default callback of every Learner. The history so far is kept; a best-tracking callback
    (:class:`EarlyStoppingCB`, :class:`TrackBestCB`) restores its best weights. ``message`` holds
    the explanation after it fired.

    Example:
        >>> learn.fit(3, lr=100.0)     # warns: "the training loss became nan ..."   # doctest: +SKIP
        >>> learn.cb(TerminateOnNaNCB).message                                       # doctest: +SKIP
    """

    order = 5

    def __init__(self):
        self.message = ""

    def before_fit(self):
        self.message = ""

    def after_loss(self):
        learn = self.learn
        if bool(torch.isfinite(learn.loss.detach()).all()):
            return
        self.message = self._explain()
        warnings.warn(self.message, NonFiniteLossWarning, stacklevel=2)
        raise CancelFitException(self.message)

    def _explain(self) -> str:
        learn = self.learn
        phase = "training" if learn.training else "validation"
        where = f"{phase} loss became {float(learn.loss.detach().float().mean())} at epoch {learn.epoch + 1}, batch {learn.iter + 1}"
        x = learn.xb if isinstance(learn.xb, torch.Tensor) else None
        if x is not None and x.is_floating_point() and not bool(torch.isfinite(x).all()):
            return (f"Training stopped: the {where}. The input batch itself contains NaN or inf values: check the "
                    "data and the transforms (torch.isfinite(xb).all() on a batch of dls.train).")
        weights_bad = any(not bool(torch.isfinite(p).all()) for p in learn.model.parameters())
        lr = learn.opt.param_groups[-1]["lr"] if learn.opt is not None else learn.lr
        msg = (f"Training stopped: the {where}; the inputs are finite, so the learning rate is probably too high "
               f"(it was {lr:.3g}). Try a learning rate 10x smaller, learn.lr_find() to pick one, or gradient "
               "clipping: cbs=[GradientClipCB(1.0)].")
        if weights_bad:
            msg += (" The weights now contain NaN: rebuild the model (or attach EarlyStoppingCB/TrackBestCB, "
                    "which restore the best weights).")
        mixed = learn.cb(MixedPrecisionCB)
        if mixed is not None and mixed.scaler is not None:
            msg += " With float16 mixed precision an overflow is also possible: try mixed_precision='bf16' or False."
        return msg
