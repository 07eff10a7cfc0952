"""Showing training as it runs: a progress bar and live training curves."""
from __future__ import annotations

import math
import time

from clskit.training.callbacks.core import Callback


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
    """Live training curves: the data side of the view in :mod:`clskit.views.widgets.curves`.

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
            (default: :func:`clskit.views.widgets.curves_view`, a widget in Jupyter).
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
            from clskit.views.widgets.curves import curves_view

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
