"""Callbacks for :class:`~clskit.learner.Learner`: plain classes with an ``order`` and event methods.

Events (each as ``before_<e>`` / ``after_<e>``, plus ``after_cancel_<e>`` and ``cleanup_<e>``):
``fit``, ``epoch``, ``train``, ``validate``, ``batch``; inside a batch also ``after_pred``,
``after_loss``, ``before_backward``, ``after_backward``, ``before_step``, ``after_step``; and
``after_interrupt`` when the user stops training (Ctrl-C / the stop button).
"""
from __future__ import annotations

import math
import time

import torch

from .utils import to_device


class Callback:
    """Base class. ``self.learn`` is set when the callback is attached to a Learner.

    Lower ``order`` runs first. Example:
        >>> class PrintEpoch(Callback):
        ...     def after_epoch(self): print("epoch", self.learn.epoch)
    """

    order = 0
    learn = None


class TrainEvalCB(Callback):
    """Steps the learning-rate schedule after every optimiser step."""

    order = -20

    def after_step(self):
        if self.learn.scheduler is not None:
            self.learn.scheduler.step()


class DeviceCB(Callback):
    """Moves the model to the Learner's device before fitting and each batch as it arrives."""

    order = -10

    def before_fit(self):
        self.learn.model.to(self.learn.device)

    def before_batch(self):
        self.learn.batch = to_device(self.learn.batch, self.learn.device)


class Recorder(Callback):
    """Records losses and validation metrics: ``history`` is a list of plain dicts, one per epoch.

    Each row holds ``epoch``, ``train_loss``, ``valid_loss``, every metric by name, and ``time``
    (seconds). ``batch_losses`` and ``lrs`` hold the per-batch training loss and learning rate.
    Plots are views of this data (``plot_history``), so the recorder needs no display.
    """

    order = 10

    def __init__(self):
        self.history: list[dict] = []
        self.batch_losses: list[float] = []
        self.lrs: list[float] = []

    def before_train(self):
        self._sum, self._n = 0.0, 0

    def before_validate(self):
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
        else:
            self._vsum += loss * n
            self._vn += n
            self._logits.append(learn.preds.detach().float().cpu())
            self._targets.append(learn.yb.detach().cpu())

    @property
    def train_loss(self) -> float:
        """Mean training loss of the current epoch so far."""
        return self._sum / max(self._n, 1) if hasattr(self, "_sum") else float("nan")

    def after_epoch(self):
        learn = self.learn
        row = {"epoch": len(self.history) + 1, "train_loss": self._sum / max(self._n, 1)}
        if getattr(self, "_vn", 0):
            row["valid_loss"] = self._vsum / self._vn
            probs = learn.activation(torch.cat(self._logits))
            targets = torch.cat(self._targets)
            for name, fn in learn.metrics:
                row[name] = float(fn(targets, probs))
        row["time"] = time.perf_counter() - learn.epoch_start
        self.history.append(row)
        self._vn = 0

    def best(self, monitor: str = "valid_loss", mode: str | None = None) -> dict | None:
        """The history row with the best value of ``monitor``."""
        rows = [r for r in self.history if monitor in r and not math.isnan(r[monitor])]
        if not rows:
            return None
        mode = mode or ("min" if "loss" in monitor else "max")
        return (min if mode == "min" else max)(rows, key=lambda r: r[monitor])


class ProgressCB(Callback):
    """A tqdm progress bar over the batches of each epoch (the notebook bar in Jupyter, text elsewhere)."""

    order = 50

    def before_fit(self):
        from tqdm.auto import tqdm

        self._tqdm = tqdm
        self.bar = None

    def before_train(self):
        self.bar = self._tqdm(total=len(self.learn.dl), desc=f"epoch {self.learn.epoch + 1}/{self.learn.n_epoch}",
                              leave=False, mininterval=0.25)

    def after_batch(self):
        if self.learn.training and self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{self.learn.recorder.train_loss:.3f}", refresh=False)

    def after_train(self):
        self._close()

    def cleanup_fit(self):
        self._close()

    def _close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
