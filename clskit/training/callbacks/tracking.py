"""Remembering epochs: track and restore the best weights, stop early, save checkpoints, keep snapshots."""
from __future__ import annotations

import copy
import math
from pathlib import Path

from clskit.training.callbacks.core import Callback, CancelFitException


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


class SnapshotCB(Callback):
    """Keeps a copy of the model as it was at the end of chosen epochs, to look back at it after fit
    (the weights and the BatchNorm statistics of epoch 1, say, while training goes on to epoch 8).

    Args:
        epochs: the epochs to keep, counted from 1 as in ``learn.history``.

    After fit, ``models[epoch]`` is that epoch's copy, in eval mode. Each copy costs the model's memory.

    Example:
        >>> snap = SnapshotCB(epochs=[1])
        >>> learn.fit(8, cbs=[snap])                     # doctest: +SKIP
        >>> first = snap.models[1]                       # doctest: +SKIP
    """

    order = 20   # after the Recorder has written the epoch's row

    def __init__(self, epochs):
        epochs = [epochs] if isinstance(epochs, int) else list(epochs)
        if not epochs or any(isinstance(e, bool) or not isinstance(e, int) or e < 1 for e in epochs):
            raise ValueError(f"epochs must be whole numbers from 1 (as in learn.history); got {epochs!r}")
        self.epochs, self.models = set(epochs), {}

    def after_epoch(self):
        epoch = self.learn.history[-1]["epoch"]
        if epoch in self.epochs:
            self.models[epoch] = copy.deepcopy(self.learn.model).eval()
