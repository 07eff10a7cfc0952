"""Callbacks for :class:`~clskit.learner.Learner`: plain classes with an ``order`` and event methods.

Events (each as ``before_<e>`` / ``after_<e>``, plus ``after_cancel_<e>`` and ``cleanup_<e>``):
``fit``, ``epoch``, ``train``, ``validate``, ``batch``; inside a batch also ``after_pred``,
``after_loss``, ``before_backward``, ``after_backward``, ``before_step``, ``after_step``; and
``after_interrupt`` when the user stops training (Ctrl-C / the stop button).
"""
from __future__ import annotations

import contextlib
import functools
import math
import time
import warnings
from pathlib import Path

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
    run_in_lr_find = False  # whether Learner.lr_find keeps this callback (training mechanics only)


class TrainEvalCB(Callback):
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

    def before_train(self):
        self._sum, self._n, self._tlogits, self._ttargets = 0.0, 0, [], []

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
        return self._sum / max(self._n, 1) if hasattr(self, "_sum") else float("nan")

    def after_epoch(self):
        learn = self.learn
        row = {"epoch": len(self.history) + 1, "train_loss": self._sum / max(self._n, 1)}
        if getattr(self, "_tlogits", None):
            probs = learn.activation(torch.cat(self._tlogits)).cpu()
            targets = torch.cat(self._ttargets).cpu()
            for name, fn in learn.metrics:
                row[f"train_{name}"] = float(fn(targets, probs))
            self._tlogits, self._ttargets = [], []
        if getattr(self, "_vn", 0):
            row["valid_loss"] = self._vsum / self._vn
            probs = learn.activation(torch.cat(self._logits))
            targets = torch.cat(self._targets)
            for name, fn in learn.metrics:
                row[name] = float(fn(targets, probs))
        if learn.opt is not None:
            row["lr"] = learn.opt.param_groups[-1]["lr"]
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
        # the notebook bar is a widget (closed at the end of each epoch: nothing left in a saved
        # notebook); the text bar turns itself off when stderr is not a terminal (logs, CI)
        self._disable = None if tqdm.__module__.startswith("tqdm.std") else False
        self.bar = None

    def before_train(self):
        self.bar = self._tqdm(total=_safe_len(self.learn.dl), desc=f"epoch {self.learn.epoch + 1}/{self.learn.n_epoch}",
                              leave=False, mininterval=0.25, disable=self._disable)

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


class LiveCurvesCB(Callback):
    """Live training curves: the data side of the view in :mod:`clskit.widgets.curves`.

    After every epoch the view is redrawn from ``learn.history`` (in place: one widget, its image
    replaced); during an epoch a status line (epoch, batch, loss) changes at most every
    ``text_every`` seconds. When fit ends (or is interrupted) the widget is closed and the final
    figure is displayed as a plain image, so it stays in a saved notebook. Without a widget front
    end (a script) the history table is printed at the end instead.

    A redraw costs about 10 ms (the first one, which lays out the axes, a few hundred); if epochs
    are so short that redrawing after each would cost more than ``max_overhead`` of the fit time,
    some epochs are not drawn until it fits (the last one always is). ``draw_seconds`` is the
    time spent redrawing in the last fit.

    Args:
        view: an object with ``show()``, ``set_text(str)``, ``update(history)``, ``close(final)``
            (default: :func:`clskit.widgets.curves_view`, a widget in Jupyter).
        text_every: seconds between status-line updates.
        max_overhead: largest fraction of the training time spent redrawing.

    Example:
        >>> learn = Learner(model, dls, live=True)    # doctest: +SKIP
        >>> learn.fit(5)                               # doctest: +SKIP
    """

    order = 60

    def __init__(self, view=None, text_every: float = 0.3, max_overhead: float = 0.04):
        self.view, self.text_every, self.max_overhead = view, text_every, max_overhead
        self._own_view = view is None
        self.draw_seconds = 0.0

    def before_fit(self):
        if self._own_view or self.view is None or getattr(self.view, "closed", False):
            from .widgets.curves import curves_view

            self.view = curves_view()
        self.view.show()
        self._t_text = -math.inf
        self._t_fit = time.perf_counter()
        self.draw_seconds = 0.0  # time spent redrawing in this fit
        self._draw_cost = 0.0  # seconds of the last redraw
        self._first_cost = None  # the first redraw lays out the axes (slow); later ones only draw lines
        if self.learn.history:  # a continued fit: show what is there
            self._draw()

    def after_batch(self):
        now = time.perf_counter()
        if not self.learn.training or now - self._t_text < self.text_every:
            return
        self._t_text = now
        learn = self.learn
        n = _safe_len(learn.dl)
        self.view.set_text(
            f"epoch {learn.epoch + 1}/{learn.n_epoch} &middot; batch {learn.iter + 1}/{n or '?'} "
            f"&middot; train loss {learn.recorder.train_loss:.4f}"
        )

    def after_epoch(self):
        learn = self.learn
        row = learn.history[-1] if learn.history else {}
        parts = [f"{k} {v:.4f}" for k, v in row.items() if k not in ("epoch", "time") and isinstance(v, float)]
        self.view.set_text(f"epoch {learn.epoch + 1}/{learn.n_epoch} done &middot; " + " &middot; ".join(parts))
        # keep the redraw time (beyond the first, slow one) under max_overhead of the fit time
        budget = self.max_overhead * (time.perf_counter() - self._t_fit) + (self._first_cost or 0.0)
        if learn.epoch + 1 >= learn.n_epoch or self.draw_seconds + self._draw_cost <= budget:
            self._draw()

    def _draw(self):
        t = time.perf_counter()
        self.view.update(self.learn.history, n_epoch=self.learn.epoch_offset + self.learn.n_epoch)
        self._draw_cost = time.perf_counter() - t
        self.draw_seconds += self._draw_cost
        if self._first_cost is None:
            self._first_cost, self._draw_cost = self._draw_cost, 0.0

    def cleanup_fit(self):
        # runs after a normal end, a cancel, an error or Ctrl-C: the curves stay drawn
        if self.view is None or getattr(self.view, "closed", False):
            return
        if len(self.view.history) != len(self.learn.history):
            self._draw()
        self.view.close(final=True)


def _safe_len(obj) -> int | None:
    try:
        return len(obj)
    except TypeError:
        return None



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
        from .learner import CancelFitException

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
        if learn.scaler is not None:
            msg += " With float16 mixed precision an overflow is also possible: try mixed_precision='bf16' or False."
        return msg


class MixedPrecisionCB(Callback):
    """Automatic mixed precision on a CUDA GPU: forward passes under ``torch.autocast`` and, for
    float16, a ``GradScaler`` that scales the loss so small gradients do not underflow. On the CPU
    (or MPS) it does nothing, so the same code runs everywhere. Added by ``Learner(mixed_precision=True)``.

    Args:
        dtype: ``"fp16"`` (float16 + gradient scaler) or ``"bf16"`` (bfloat16, no scaler needed).

    Example:
        >>> learn = Learner(model, dls, mixed_precision=True)     # doctest: +SKIP
    """

    order = -5
    run_in_lr_find = True

    def __init__(self, dtype: str = "fp16"):
        if dtype not in ("fp16", "bf16"):
            raise ValueError(f"dtype must be 'fp16' or 'bf16'; got {dtype!r}")
        self.dtype, self.scaler, self.active = dtype, None, False

    def before_fit(self):
        learn = self.learn
        self.active = learn.device.type == "cuda" and learn.accelerator is None  # Accelerate has its own
        if not self.active:
            return
        dtype = torch.float16 if self.dtype == "fp16" else torch.bfloat16
        learn.autocast = functools.partial(torch.autocast, "cuda", dtype=dtype)
        if self.dtype == "fp16":
            self.scaler = self.scaler or torch.amp.GradScaler("cuda")
            learn.scaler = self.scaler

    def cleanup_fit(self):
        if self.active:
            self.learn.autocast, self.learn.scaler = contextlib.nullcontext, None


class GradientClipCB(Callback):
    """Clips the gradient norm to ``max_norm`` before every optimiser step (after unscaling with
    mixed precision). ``norms`` records each step's norm before clipping.

    Example:
        >>> learn.fit(3, cbs=[GradientClipCB(1.0)])     # doctest: +SKIP
    """

    order = 0
    run_in_lr_find = True

    def __init__(self, max_norm: float = 1.0, norm_type: float = 2.0):
        if not max_norm > 0:
            raise ValueError(f"max_norm must be positive; got {max_norm}")
        self.max_norm, self.norm_type, self.norms = max_norm, norm_type, []

    def before_step(self):
        learn = self.learn
        learn.unscale_grads()
        params = [p for p in learn.model.parameters() if p.grad is not None]
        if learn.accelerator is not None:
            norm = learn.accelerator.clip_grad_norm_(params, self.max_norm, self.norm_type)
        else:
            norm = torch.nn.utils.clip_grad_norm_(params, self.max_norm, self.norm_type)
        self.norms.append(float(norm))


class LRFinderCB(Callback):
    """Used by :meth:`Learner.lr_find`: raises the learning rate exponentially every batch and
    records the smoothed loss (an exponential moving average with bias correction, as in fastai)."""

    order = 0

    def __init__(self, start_lr: float, end_lr: float, num_it: int, stop_div: bool = True, beta: float = 0.98):
        self.start_lr, self.end_lr, self.num_it, self.stop_div, self.beta = start_lr, end_lr, num_it, stop_div, beta
        self.lrs: list[float] = []
        self.losses: list[float] = []

    def before_fit(self):
        self._i, self._avg, self._best = 0, 0.0, math.inf

    def before_batch(self):
        lr = self.start_lr * (self.end_lr / self.start_lr) ** (self._i / (self.num_it - 1))
        for g in self.learn.opt.param_groups:
            g["lr"] = lr
        self._lr = lr

    def after_batch(self):
        from .learner import CancelFitException

        loss = float(self.learn.loss.detach())
        if not math.isfinite(loss):
            raise CancelFitException("the loss diverged")
        self._i += 1
        self._avg = self.beta * self._avg + (1 - self.beta) * loss
        smooth = self._avg / (1 - self.beta ** self._i)
        self.lrs.append(self._lr)
        self.losses.append(smooth)
        self._best = min(self._best, smooth)
        if self._i >= self.num_it or (self.stop_div and smooth > 4 * self._best):
            raise CancelFitException("done")


class TrackBestCB(Callback):
    """Remembers the weights of the best epoch by ``monitor`` and puts them back when fit ends
    (also after early stopping, a NaN stop or Ctrl-C).

    Args:
        monitor: a history key, e.g. ``"valid_loss"`` or ``"accuracy"``.
        mode: ``"min"`` or ``"max"``; default ``"min"`` for losses, ``"max"`` otherwise.
        min_delta: the smallest change that counts as an improvement.
        restore_best: load the best weights into the model at the end of fit.

    Example:
        >>> learn.fit(10, cbs=[TrackBestCB("accuracy")])     # doctest: +SKIP
    """

    order = 20

    def __init__(self, monitor: str = "valid_loss", mode: str | None = None, min_delta: float = 0.0,
                 restore_best: bool = True):
        mode = mode or ("min" if "loss" in monitor else "max")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max'; got {mode!r}")
        self.monitor, self.mode, self.min_delta, self.restore_best = monitor, mode, abs(min_delta), restore_best
        self.best, self.best_epoch, self.best_state = None, None, None

    def _is_better(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best is None:
            return True
        return value < self.best - self.min_delta if self.mode == "min" else value > self.best + self.min_delta

    def before_epoch(self):
        self._epoch_done = False

    def after_epoch(self):
        self._epoch_done = True  # fit may now end with the model exactly as this epoch left it
        row = self.learn.history[-1]
        if self.monitor not in row:
            keys = [k for k in row if k not in ("epoch", "time")]
            raise KeyError(f"{type(self).__name__} monitors {self.monitor!r}, which is not in the history; "
                           f"use one of {keys} (validation metrics need a validation set)")
        value = row[self.monitor]
        if self._is_better(value):
            self.best, self.best_epoch = value, row["epoch"]
            self.best_state = {k: v.detach().to("cpu", copy=True) for k, v in self.learn.model.state_dict().items()}
            self.improved()
        else:
            self.not_improved()

    def improved(self) -> None:
        """Called after an epoch that improved ``monitor`` (the best weights are already stored)."""

    def not_improved(self) -> None:
        """Called after an epoch that did not improve ``monitor``."""

    def cleanup_fit(self):
        learn = self.learn
        if not self.restore_best or self.best_state is None:
            return
        if getattr(self, "_epoch_done", False) and learn.history[-1]["epoch"] == self.best_epoch:
            return  # the model already holds the best weights
        learn.model.load_state_dict(self.best_state)
        print(f"Restored the weights of epoch {self.best_epoch} ({self.monitor} {self.best:.4f}).")


class EarlyStoppingCB(TrackBestCB):
    """Stops training when ``monitor`` has not improved for ``patience`` epochs, then restores the
    best weights.

    Args:
        monitor, mode, min_delta, restore_best: as in :class:`TrackBestCB`.
        patience: epochs without improvement before stopping.

    Example:
        >>> learn.fit(50, cbs=[EarlyStoppingCB("valid_loss", patience=3)])     # doctest: +SKIP
    """

    def __init__(self, monitor: str = "valid_loss", patience: int = 3, mode: str | None = None,
                 min_delta: float = 0.0, restore_best: bool = True):
        if patience < 1:
            raise ValueError(f"patience must be at least 1; got {patience}")
        super().__init__(monitor, mode, min_delta, restore_best)
        self.patience, self.wait, self.stopped_epoch = patience, 0, None

    def before_fit(self):
        self.wait, self.stopped_epoch = 0, None

    def improved(self):
        self.wait = 0

    def not_improved(self):
        from .learner import CancelFitException

        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = self.learn.history[-1]["epoch"]
            print(f"Early stopping after epoch {self.stopped_epoch}: {self.monitor} has not improved for "
                  f"{self.patience} epochs (best {self.best:.4f} at epoch {self.best_epoch}).")
            raise CancelFitException("early stopping")


class CheckpointCB(TrackBestCB):
    """Saves the model (weights, classes, history) to ``path`` atomically whenever ``monitor``
    improves, or after every epoch with ``every_epoch=True``. A crash or Ctrl-C mid-save never
    leaves a broken file: the checkpoint is written to a temporary file and renamed over the old one.

    Args:
        path: the checkpoint file.
        monitor, mode, min_delta: as in :class:`TrackBestCB`.
        every_epoch: save after every epoch instead of only on improvement.
        restore_best: also load the best weights into the model when fit ends.

    Example:
        >>> learn.fit(10, cbs=[CheckpointCB("models/best.pt", monitor="accuracy")])   # doctest: +SKIP
        >>> learn.load("models/best.pt")                                              # doctest: +SKIP
    """

    def __init__(self, path, monitor: str = "valid_loss", mode: str | None = None, min_delta: float = 0.0,
                 every_epoch: bool = False, restore_best: bool = False):
        super().__init__(monitor, mode, min_delta, restore_best)
        self.path, self.every_epoch, self.saved = Path(path), every_epoch, []

    def _save(self):
        row = self.learn.history[-1]
        self.learn.save(self.path, epoch=row["epoch"], monitor=self.monitor, value=row.get(self.monitor))
        self.saved.append(row["epoch"])

    def improved(self):
        self._save()

    def not_improved(self):
        if self.every_epoch:
            self._save()
