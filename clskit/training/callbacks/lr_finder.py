"""The learning-rate finder (Smith 2015, "Cyclical Learning Rates"; fastai's ``lr_find``): train briefly
with an exponentially growing learning rate, record the smoothed loss, and suggest the rate where it
falls fastest. ``Learner.lr_find`` calls :func:`lr_find`; the weights and optimiser are restored after.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Sequence

from clskit.utils import DEFAULTS
from clskit.training.callbacks.core import Callback, CancelFitException


class LRFinderCB(Callback):
    """Raises the learning rate exponentially every batch and records the smoothed loss (an
    exponential moving average with bias correction, as in fastai). Added by ``Learner.lr_find``.

    Args:
        start_lr, end_lr: the range of learning rates tried.
        num_it: number of batches.
        stop_div: stop once the smoothed loss exceeds ``stop_factor`` times its minimum.
        beta, stop_factor: see ``clskit.utils.DEFAULTS`` (``lr_find_beta``, ``lr_find_stop_factor``).

    Example:
        >>> cb = LRFinderCB(1e-4, 1.0, num_it=5)
        >>> [round(cb.lr_at(i), 4) for i in range(5)]
        [0.0001, 0.001, 0.01, 0.1, 1.0]
    """

    order = 0

    def __init__(self, start_lr: float, end_lr: float, num_it: int, stop_div: bool = True,
                 beta: float = DEFAULTS["lr_find_beta"], stop_factor: float = DEFAULTS["lr_find_stop_factor"]):
        self.start_lr, self.end_lr, self.num_it, self.stop_div = start_lr, end_lr, num_it, stop_div
        self.beta, self.stop_factor = beta, stop_factor
        self.lrs: list[float] = []
        self.losses: list[float] = []

    def lr_at(self, i: int) -> float:
        """The learning rate of batch ``i``: geometric from ``start_lr`` (batch 0) to ``end_lr`` (the last)."""
        return self.start_lr * (self.end_lr / self.start_lr) ** (i / (self.num_it - 1))

    def before_fit(self):
        self._i, self._avg, self._best = 0, 0.0, math.inf

    def before_batch(self):
        self._lr = self.lr_at(self._i)
        for g in self.learn.opt.param_groups:
            g["lr"] = self._lr

    def after_batch(self):
        loss = float(self.learn.loss.detach())
        if not math.isfinite(loss):
            raise CancelFitException("the loss diverged")
        self._i += 1
        self._avg = self.beta * self._avg + (1 - self.beta) * loss
        smooth = self._avg / (1 - self.beta ** self._i)
        self.lrs.append(self._lr)
        self.losses.append(smooth)
        self._best = min(self._best, smooth)
        if self._i >= self.num_it or (self.stop_div and smooth > self.stop_factor * self._best):
            raise CancelFitException("done")


def lr_find(learn, start_lr: float = 1e-7, end_lr: float = 10.0, num_it: int = 100,
            stop_div: bool = True) -> "LRFinderResult":
    """Run the finder on ``learn`` (see ``Learner.lr_find``) and put its weights and optimiser back."""
    if not 0 < start_lr < end_lr:
        raise ValueError(f"need 0 < start_lr < end_lr; got start_lr={start_lr}, end_lr={end_lr}")
    if num_it < 2:
        raise ValueError(f"num_it must be at least 2; got {num_it}")
    saved_model = copy.deepcopy(learn.model.state_dict())
    saved = (learn.opt, learn.scheduler, learn.cbs, learn.n_epoch, learn.epoch, learn.epoch_offset)
    finder = LRFinderCB(start_lr, end_lr, num_it, stop_div)
    # only the training mechanics (device, mixed precision, clipping) take part: no recording, no progress
    learn.cbs = [cb for cb in learn.cbs if cb.run_in_lr_find]
    learn.add_cbs([finder])
    learn.opt = learn.make_optimizer(lr=start_lr)
    learn.scheduler = None
    learn.n_epoch, learn.epoch_offset = math.ceil(num_it / max(len(learn.dls.train), 1)), len(learn.history)

    def train_epochs():
        learn.training = True
        learn.model.train()
        learn.dl = learn.dls.train
        for learn.epoch in range(learn.n_epoch):
            learn._with_events(learn._all_batches, "train")

    try:
        learn._with_events(train_epochs, "fit")
    finally:
        learn.model.load_state_dict(saved_model)
        learn.opt, learn.scheduler, learn.cbs, learn.n_epoch, learn.epoch, learn.epoch_offset = saved
    return LRFinderResult(finder.lrs, finder.losses)


@dataclass
class LRFinderResult:
    """What :meth:`Learner.lr_find` measured: learning rates, smoothed losses and a suggestion.

    ``suggestion`` is the learning rate where the smoothed loss falls fastest (the steepest
    negative slope of loss against log learning rate), a good maximum for a one-cycle schedule.
    Unpacks as ``lrs, losses, suggestion``.

    Example:
        >>> r = LRFinderResult([1e-4, 1e-3, 1e-2, 1e-1, 1.0], [2.3, 2.2, 1.5, 1.2, 4.0])
        >>> r.suggestion
        0.001
    """

    lrs: list[float]
    losses: list[float]
    suggestion: float = field(init=False)

    def __post_init__(self):
        self.suggestion = suggest_lr(self.lrs, self.losses)

    def __iter__(self):
        return iter((self.lrs, self.losses, self.suggestion))

    def plot(self, ax=None):
        """Loss against learning rate (log scale) with the suggestion marked; returns the Axes."""
        if ax is None:
            import matplotlib.pyplot as plt

            _, ax = plt.subplots(figsize=(5, 3.2))
        ax.plot(self.lrs, self.losses)
        ax.set_xscale("log")
        ax.set(xlabel="learning rate", ylabel="loss (smoothed)", title="learning-rate finder")
        if math.isfinite(self.suggestion):
            ax.axvline(self.suggestion, color="C3", ls="--", label=f"suggestion {self.suggestion:.1e}")
            ax.legend()
        ax.grid(alpha=0.3)
        return ax


def suggest_lr(lrs: Sequence[float], losses: Sequence[float]) -> float:
    """The learning rate of steepest loss descent (before the minimum of the loss), measured over
    windows of a tenth of the points after skipping the first tenth.

    Example:
        >>> suggest_lr([1e-3, 1e-2, 1e-1, 1.0], [2.0, 1.9, 1.0, 3.0])
        0.01
    """
    if len(lrs) != len(losses):
        raise ValueError(f"lrs and losses differ in length ({len(lrs)} vs {len(losses)})")
    pts = [(lr, loss) for lr, loss in zip(lrs, losses) if math.isfinite(loss)]
    if len(pts) < 3:
        return float("nan")
    stop = min(range(len(pts)), key=lambda i: pts[i][1]) + 1  # up to the minimum
    # skip the first tenth (the moving average is still noisy there) and measure slopes over a
    # window of a tenth of the points, so one noisy step cannot win
    skip, k = len(pts) // 10, max(1, len(pts) // 10)
    pts = pts[skip:max(stop, skip + k + 1)]
    # slope of loss against log10(lr) across the window starting at i
    slopes = [(pts[i + k][1] - pts[i][1]) / (math.log10(pts[i + k][0]) - math.log10(pts[i][0]))
              for i in range(len(pts) - k)]
    i = min(range(len(slopes)), key=lambda j: slopes[j])
    return float(pts[i + k // 2][0])
