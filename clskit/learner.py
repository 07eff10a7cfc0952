"""A small callback Learner: ``fit -> epoch -> (train, validate) -> batch``, after fastai's miniai.

Every step of the loop fires ``before_<event>`` / ``after_<event>`` on the callbacks (sorted by
their ``order``); a callback changes control flow by raising one of the ``Cancel*Exception`` s.

Example:
    >>> from clskit.datasets import DataLoaders, load_dataset, split_dataset
    >>> from clskit.models import create_model
    >>> dls = DataLoaders.from_datasets(*split_dataset(load_dataset("digits")))
    >>> learn = Learner(create_model("small_cnn", num_classes=10, in_chans=1), dls, progress=False)
    >>> learn.fit(1, lr=3e-3)            # doctest: +SKIP
"""
from __future__ import annotations

import time
from typing import Callable, Iterable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from .callbacks import Callback, DeviceCB, Recorder, TrainEvalCB
from .utils import default_device, seed_everything


class CancelFitException(Exception):
    """Raise in a callback to end ``fit`` cleanly (``after_fit`` still runs)."""


class CancelEpochException(Exception):
    """Raise to end the current epoch."""


class CancelTrainException(Exception):
    """Raise to skip the rest of the training phase of this epoch."""


class CancelValidateException(Exception):
    """Raise to skip the rest of the validation phase of this epoch."""


class CancelBatchException(Exception):
    """Raise to skip the rest of the current batch."""


EVENTS = ("fit", "epoch", "train", "validate", "batch")
_CANCEL = {"fit": CancelFitException, "epoch": CancelEpochException, "train": CancelTrainException,
           "validate": CancelValidateException, "batch": CancelBatchException}


class Learner:
    """Train a model on :class:`~clskit.datasets.DataLoaders` with callbacks.

    Args:
        model: any ``nn.Module`` returning logits ``(B, num_classes)``.
        dls: train/valid(/test) loaders; any iterables of ``(x, y)`` batches with ``classes`` and
            ``multilabel`` attributes (a :class:`~clskit.datasets.DataLoaders`).
        loss_func: defaults to cross-entropy (single-label) or BCE-with-logits (multi-label).
        lr: peak learning rate (of the one-cycle schedule by default).
        opt_func: optimiser class, called as ``opt_func(params, lr=lr, weight_decay=wd)``.
        wd: weight decay.
        metrics: functions ``metric(targets, probs) -> float`` (see :mod:`clskit.metrics`) evaluated
            on the validation set after every epoch; names or callables.
        cbs: extra callbacks.
        device: ``"cpu"``, ``"cuda"``, ``"mps"`` or ``None`` for the best available.
        sched: ``"one_cycle"`` (default), ``"cosine"``, ``"constant"``, or a function
            ``f(optimizer, total_steps) -> scheduler`` stepped every batch.
        seed: seed everything before building the optimiser, for reproducible runs.
        progress: show a progress bar.
        live: draw live training curves (a widget in Jupyter, a figure elsewhere).
    """

    def __init__(self, model: nn.Module, dls, loss_func: Callable | None = None, lr: float = 1e-3,
                 opt_func: Callable = torch.optim.AdamW, wd: float = 0.01,
                 metrics: Sequence[Callable | str] = ("accuracy",), cbs: Iterable[Callback] = (),
                 device: str | torch.device | None = None, sched: str | Callable = "one_cycle",
                 seed: int | None = None, progress: bool = True, live: bool = False):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
        self.model, self.dls, self.lr, self.opt_func, self.wd = model, dls, lr, opt_func, wd
        self.multilabel = bool(getattr(dls, "multilabel", False))
        self.loss_func = loss_func or (nn.BCEWithLogitsLoss() if self.multilabel else nn.CrossEntropyLoss())
        self.device = torch.device(device) if device is not None else default_device()
        self.sched, self.seed = sched, seed
        from .metrics import resolve_metrics
        self.metrics = resolve_metrics(metrics, multilabel=self.multilabel)
        self.opt = None
        self.epoch, self.n_epoch, self.iter, self.training = 0, 0, 0, False
        self.recorder = Recorder()
        self.cbs: list[Callback] = []
        base = [TrainEvalCB(), DeviceCB(), self.recorder]
        if progress:
            from .callbacks import ProgressCB
            base.append(ProgressCB())
        if live:
            from .callbacks import LiveCurvesCB
            base.append(LiveCurvesCB())
        self.add_cbs(base + list(cbs))

    # -- callbacks ------------------------------------------------------------------------
    def add_cbs(self, cbs: Iterable[Callback]) -> "Learner":
        for cb in cbs:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must subclass clskit.callbacks.Callback; got {type(cb).__name__}")
            cb.learn = self
            self.cbs.append(cb)
        return self

    def remove_cbs(self, cbs: Iterable[Callback]) -> "Learner":
        for cb in list(cbs):
            if cb in self.cbs:
                self.cbs.remove(cb)
        return self

    def cb(self, cls: type) -> Callback | None:
        """The first attached callback of class ``cls`` (or ``None``)."""
        return next((c for c in self.cbs if isinstance(c, cls)), None)

    def callback(self, name: str) -> None:
        for cb in sorted(self.cbs, key=lambda c: c.order):
            fn = getattr(cb, name, None)
            if fn is not None:
                fn()

    def _with_events(self, fn: Callable, name: str) -> None:
        try:
            self.callback(f"before_{name}")
            fn()
            self.callback(f"after_{name}")
        except _CANCEL[name]:
            self.callback(f"after_cancel_{name}")
        finally:
            self.callback(f"cleanup_{name}")

    # -- the loop -------------------------------------------------------------------------
    @property
    def history(self) -> list[dict]:
        """One plain dict per finished epoch: losses, metrics, time (see :class:`Recorder`)."""
        return self.recorder.history

    def fit(self, n_epoch: int = 1, lr: float | None = None, cbs: Iterable[Callback] = (),
            reset_opt: bool = False) -> "Learner":
        """Train for ``n_epoch`` epochs. Ctrl-C (the notebook's stop button) ends the fit cleanly:
        the history so far is kept and a later ``fit`` continues from the current weights.
        """
        if n_epoch < 1:
            raise ValueError(f"n_epoch must be at least 1; got {n_epoch}")
        if lr is not None:
            if not lr > 0:
                raise ValueError(f"lr must be positive; got {lr}")
            self.lr = lr
        if self.seed is not None:
            seed_everything(self.seed)
        extra = list(cbs)
        self.add_cbs(extra)
        self.n_epoch, self.epoch_offset = n_epoch, len(self.history)
        if self.opt is None or reset_opt or lr is not None:
            self.opt = self.opt_func(self._param_groups(), lr=self.lr, weight_decay=self.wd)
        self.scheduler = self._make_scheduler(n_epoch)
        self.interrupted = False
        try:
            self._with_events(self._do_fit, "fit")
        except KeyboardInterrupt:
            self.interrupted = True
            self.callback("after_interrupt")
            print(f"Training interrupted during epoch {self.epoch + 1}; kept the history of "
                  f"{len(self.history)} finished epochs. Call fit again to continue.")
        finally:
            self.remove_cbs(extra)
        return self

    def _param_groups(self):
        groups = getattr(self, "param_groups", None)  # set by discriminative learning rates
        return groups if groups is not None else [p for p in self.model.parameters() if p.requires_grad]

    def _make_scheduler(self, n_epoch: int):
        total = max(1, n_epoch * len(self.dls.train))
        if callable(self.sched):
            return self.sched(self.opt, total)
        if self.sched == "one_cycle":
            max_lr = [g.get("max_lr", self.lr) for g in self.opt.param_groups]
            return torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=max_lr, total_steps=total, pct_start=0.25)
        if self.sched == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(self.opt, T_max=total)
        if self.sched in (None, "constant"):
            return None
        raise ValueError(f"unknown sched {self.sched!r}; use 'one_cycle', 'cosine', 'constant' or a function")

    def _do_fit(self) -> None:
        for self.epoch in range(self.n_epoch):
            self._with_events(self._do_epoch, "epoch")

    def _do_epoch(self) -> None:
        self.epoch_start = time.perf_counter()
        self.training = True
        self.model.train()
        self.dl = self.dls.train
        self._with_events(self._all_batches, "train")
        if getattr(self.dls, "valid", None) is not None:
            self.training = False
            self.model.eval()
            self.dl = self.dls.valid
            with torch.inference_mode():
                self._with_events(self._all_batches, "validate")

    def _all_batches(self) -> None:
        for self.iter, self.batch in enumerate(self.dl):
            self._with_events(self._one_batch, "batch")

    def _one_batch(self) -> None:
        self.xb, self.yb = self.batch
        self.preds = self.model(self.xb)
        self.callback("after_pred")
        self.loss = self.loss_func(self.preds, self.yb)
        self.callback("after_loss")
        if self.training:
            self.callback("before_backward")
            self.loss.backward()
            self.callback("after_backward")
            self.callback("before_step")
            self.opt.step()
            self.callback("after_step")
            self.opt.zero_grad(set_to_none=True)

    # -- predictions ----------------------------------------------------------------------
    def activation(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits to probabilities: softmax (single-label) or sigmoid (multi-label)."""
        return torch.sigmoid(logits) if self.multilabel else F.softmax(logits, dim=-1)

    @torch.inference_mode()
    def get_preds(self, dl=None, with_logits: bool = False):
        """Probabilities and targets over a loader (default: validation).

        Returns:
            ``(probs, targets)`` as CPU tensors; ``probs`` is ``(N, num_classes)``.
        """
        dl = self.dls.valid if dl is None else dl
        if dl is None:
            raise ValueError("no loader to predict on: pass dl= or build DataLoaders with a validation set")
        self.model.to(self.device).eval()
        outs, ys = [], []
        for xb, yb in dl:
            outs.append(self.model(xb.to(self.device)).float().cpu())
            ys.append(yb)
        logits = torch.cat(outs)
        targets = torch.cat(ys)
        return (logits if with_logits else self.activation(logits)), targets

    @torch.inference_mode()
    def predict(self, x: torch.Tensor, transform: Callable | None = None) -> torch.Tensor:
        """Probabilities for images ``(C, H, W)`` or ``(B, C, H, W)`` in ``[0, 1]``."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"predict expects a float image tensor; got {type(x).__name__}")
        single = x.ndim == 3
        if single:
            x = x[None]
        if x.ndim != 4:
            raise ValueError(f"predict expects (C, H, W) or (B, C, H, W); got shape {tuple(x.shape)}")
        x = x.float()
        if transform is not None:
            x = transform(x)
        self.model.to(self.device).eval()
        p = self.activation(self.model(x.to(self.device)).float()).cpu()
        return p[0] if single else p

    # -- persistence ----------------------------------------------------------------------
    def save(self, path, **extra) -> None:
        """Save weights, class names and history atomically (a temporary file, then a rename)."""
        from .checkpoint import save_checkpoint
        save_checkpoint(path, self.model, classes=list(getattr(self.dls, "classes", [])),
                        multilabel=self.multilabel, history=self.history, **extra)

    def load(self, path) -> "Learner":
        """Load weights saved by :meth:`save` (checks the number of classes first)."""
        from .checkpoint import load_checkpoint
        load_checkpoint(path, self.model)
        return self
