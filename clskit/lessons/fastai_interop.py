"""fastai interop: clskit metrics, displays and live curves on a fastai ``Learner``.

* :func:`fastai_preds` returns ``(probs, targets)`` as plain tensors from ``learn.get_preds``, the
  input every clskit metric and Display takes.
* :class:`LiveCurvesCallback` is a fastai callback that feeds fastai's recorded losses and
  metrics, as clskit history rows, to the same live-curves view the clskit Learner uses.
* :func:`fastai_history` converts fastai's ``learn.recorder`` into clskit history rows, so
  :func:`clskit.views.widgets.curves.plot_history` draws both libraries' runs alike.

fastai is imported only here (``import clskit`` never imports it).
"""
from __future__ import annotations

import math
import time

import torch
from fastai.callback.core import Callback as FastaiCallback


def _plain(t) -> torch.Tensor:
    # fastai returns TensorBase subclasses; clskit works on plain tensors
    return t.as_subclass(torch.Tensor) if isinstance(t, torch.Tensor) else torch.as_tensor(t)


def fastai_preds(learn, ds_idx: int = 1, dl=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Probabilities and targets of a fastai Learner, ready for :mod:`clskit.metrics`.

    fastai's ``get_preds`` already applies the loss function's activation (softmax for
    ``CrossEntropyLossFlat``), so the predictions are probabilities.

    Args:
        learn: a fastai ``Learner``.
        ds_idx: 0 for the training set, 1 for validation (ignored when ``dl`` is given).
        dl: a fastai DataLoader to predict on instead.

    Returns:
        ``(probs (N, C) float tensor, targets (N,) long tensor)``.

    Example:
        >>> probs, targets = fastai_preds(flearn)            # doctest: +SKIP
        >>> clskit.accuracy(targets, probs)                   # doctest: +SKIP
    """
    probs, targets = learn.get_preds(ds_idx=ds_idx, dl=dl)
    probs, targets = _plain(probs).float(), _plain(targets)
    if probs.ndim != 2:
        raise ValueError(f"expected predictions of shape (N, num_classes); got {tuple(probs.shape)}. "
                         "Is the loss function a classification loss (CrossEntropyLossFlat)?")
    if not torch.allclose(probs.sum(1), torch.ones(len(probs)), atol=1e-3) and not torch.is_floating_point(targets):
        probs = probs.softmax(1)  # a plain loss without activation: get_preds returned logits
    return probs, targets.long() if not torch.is_floating_point(targets) else targets


def fastai_history(recorder) -> list[dict]:
    """fastai's ``learn.recorder`` as clskit history rows (``epoch``, ``train_loss``, ``valid_loss``, metrics).

    Example:
        >>> plot_history(fastai_history(flearn.recorder))     # doctest: +SKIP
    """
    names = list(recorder.metric_names)[1:-1]  # drop 'epoch' and 'time'
    rows = []
    for i, values in enumerate(recorder.values):
        row = {"epoch": i + 1}
        for name, v in zip(names, values):
            if v is not None:
                row[name] = float(v)
        rows.append(row)
    return rows


class LiveCurvesCallback(FastaiCallback):
    """A fastai callback that draws live curves with clskit's view (a widget in Jupyter).

    It subclasses fastai's ``Callback``, so it follows fastai's naming (``*Callback``, like
    ``ShowGraphCallback``); clskit's own callbacks are named ``*CB``.

    Args:
        view: as for :class:`clskit.training.callbacks.LiveCurvesCB` (default: a widget in Jupyter, a
            table at the end elsewhere).
        text_every: seconds between status-line updates.

    Example:
        >>> flearn = fastai.learner.Learner(dls, model, metrics=accuracy, cbs=LiveCurvesCallback())  # doctest: +SKIP
        >>> flearn.fit_one_cycle(5)                                                                  # doctest: +SKIP
    """

    order = 70  # after fastai's Recorder (50), which appends the epoch's values
    run_valid = False

    def __init__(self, view=None, text_every: float = 0.3):
        self._given_view, self.view, self.text_every = view, view, text_every
        self.history: list[dict] = []
        self._active = self._lr_find = False

    def before_fit(self):
        # fastai also fires before_fit/after_fit around get_preds and validate (no training):
        # the view opens at the first training phase instead, and not for lr_find
        self._active = False
        self._lr_find = any(type(cb).__name__ == "LRFinder" for cb in self.learn.cbs)

    def before_train(self):
        if self._active or self._lr_find:
            return
        if self._given_view is None or getattr(self._given_view, "closed", False):
            from clskit.views.widgets.curves import curves_view

            self.view = curves_view()
        else:
            self.view = self._given_view
        self.view.show()
        self._active, self._t = True, -math.inf

    def after_batch(self):
        if not self._active or not self.training:
            return
        now = time.perf_counter()
        if now - self._t >= self.text_every:
            self._t = now
            loss = float(getattr(self.learn, "smooth_loss", float("nan")))
            self.view.set_text(f"epoch {self.epoch + 1}/{self.n_epoch} &middot; batch {self.iter + 1}/{self.n_iter} "
                               f"&middot; train loss {loss:.4f}")

    def after_epoch(self):
        if not self._active:
            return
        self.history = fastai_history(self.learn.recorder)
        self.view.set_text(f"epoch {self.epoch + 1}/{self.n_epoch} done")
        self.view.update(self.history, n_epoch=self.n_epoch)

    def after_fit(self):
        if self._active and not getattr(self.view, "closed", False):
            self.view.close(final=True)
        self._active = False
