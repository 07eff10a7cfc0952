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
from functools import partial
from typing import Callable, Iterable, Sequence

import torch
import torch.nn as nn

from clskit.training.callbacks import (AFTER_EVEN_IF_CANCELLED, CANCEL, Callback, DeviceCB, LiveCurvesCB, MixedPrecisionCB, ProgressCB, Recorder,
                        SchedulerCB, TerminateOnNaNCB)
from clskit.training.callbacks.lr_finder import LRFinderResult, lr_find
from clskit.checks import FirstBatchCheckCB, check_dls, check_lr, resolve_device
from clskit.training.distributed import AccelerateCB
from clskit.inference import activation
from clskit.metrics import resolve_metrics
from clskit.utils import DEFAULTS, check_seed, release_memory, seed_everything

# AdamW updating every weight in one call per step instead of a Python loop over the weights: bitwise the same
# weights as PyTorch's default on a CPU (tests/test_learner.py), and faster for the course's small networks, whose
# steps are short (about 0.1-0.2 ms less per step, benchmarks/optim_step.py)
ADAMW = partial(torch.optim.AdamW, foreach=True)


class Learner:
    """Train a model on :class:`~clskit.datasets.DataLoaders` with callbacks.

    Args:
        model: any ``nn.Module`` returning logits ``(B, num_classes)``.
        dls: train/valid(/test) loaders; any iterables of ``(x, y)`` batches with ``classes`` and
            ``multilabel`` attributes (a :class:`~clskit.datasets.DataLoaders`).
        loss_func: defaults to cross-entropy (single-label) or BCE-with-logits (multi-label).
        lr: peak learning rate (of the one-cycle schedule by default).
        opt_func: optimiser class, called as ``opt_func(params, lr=lr, weight_decay=wd)``. The default is
            :data:`ADAMW`, AdamW updating all weights in one call (``foreach=True``).
        wd: weight decay.
        metrics: functions ``metric(targets, probs) -> float`` (see :mod:`clskit.metrics`) evaluated
            on the validation set after every epoch; names or callables.
        cbs: extra callbacks.
        device: ``"cpu"``, ``"cuda"``, ``"mps"`` or ``None`` for the best available.
        sched: ``"one_cycle"`` (default), ``"cosine"``, ``"constant"``, or a function
            ``f(optimizer, total_steps) -> scheduler`` stepped every batch.
        seed: seed everything (and the training loader's shuffling) at the start of every ``fit``,
            so two runs from the same initial weights give the same history.
        progress: show a progress bar (not with ``live``, whose status line shows the same).
        live: draw live training curves (a widget in Jupyter, a table at the end elsewhere).
        mixed_precision: on a GPU, run forward passes under ``torch.autocast`` (float16 with a
            gradient scaler, or ``"bf16"``); a no-op on the CPU. Adds a :class:`MixedPrecisionCB`.
        accelerator: a Hugging Face ``accelerate.Accelerator``: the model is prepared for its
            device/processes, each process trains on its share of every batch and gradients are
            averaged across processes. Adds an :class:`~clskit.training.distributed.AccelerateCB`.
        param_groups: optimiser parameter groups (dicts with ``params``, ``lr`` and ``max_lr``, e.g.
            from :func:`~clskit.lessons.transfer.discriminative_param_groups`) instead of all trainable
            parameters at one rate; ``fit(param_groups=...)`` sets them for one fit.

    Example:
        >>> learn = Learner(model, dls, lr=3e-3, live=True)      # doctest: +SKIP
        >>> learn.fit(5).history[-1]["accuracy"]                  # doctest: +SKIP
    """

    def __init__(self, model: nn.Module, dls, loss_func: Callable | None = None, lr: float = 1e-3,
                 opt_func: Callable = ADAMW, wd: float = 0.01,
                 metrics: Sequence[Callable | str] = ("accuracy",), cbs: Iterable[Callback] = (),
                 device: str | torch.device | None = None, sched: str | Callable = "one_cycle",
                 seed: int | None = None, progress: bool = True, live: bool = False,
                 mixed_precision: bool | str = False, accelerator=None, param_groups: list[dict] | None = None):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
        if mixed_precision and accelerator is not None:
            raise ValueError("mixed_precision with an accelerator: set it on the Accelerator instead, "
                             "Accelerator(mixed_precision='fp16'), and leave Learner(mixed_precision=False)")
        check_dls(dls)  # clear errors for honest mistakes
        lr, seed = check_lr(lr), None if seed is None else check_seed(seed)
        self.model, self.dls, self.lr, self.opt_func, self.wd = model, dls, lr, opt_func, wd
        self.multilabel = bool(getattr(dls, "multilabel", False))
        self.loss_func = loss_func or (nn.BCEWithLogitsLoss() if self.multilabel else nn.CrossEntropyLoss())
        self.device = resolve_device(device)  # a clear error for device="cuda" without a GPU
        self.sched, self.seed, self.param_groups = sched, seed, param_groups
        self.metrics = resolve_metrics(metrics, multilabel=self.multilabel)
        self.opt = self.scheduler = None
        self.epoch, self.n_epoch, self.iter, self.training, self.epoch_offset = 0, 0, 0, False, 0
        self.interrupted = False
        self.recorder = Recorder()
        self.cbs: list[Callback] = []
        self._handlers: dict[str, list[Callable]] = {}   # event -> the attached callbacks' methods, in order
        self._handlers_of: tuple | None = None           # which list of callbacks those were gathered from
        self.add_cbs([SchedulerCB(), DeviceCB(), self.recorder, TerminateOnNaNCB(), FirstBatchCheckCB()])
        if accelerator is not None:
            self.add_cbs([AccelerateCB(accelerator)])
            if not accelerator.is_main_process:
                progress = live = False  # one bar and one plot: the main process's
        if mixed_precision:
            self.add_cbs([MixedPrecisionCB("bf16" if mixed_precision == "bf16" else "fp16")])
        if live:
            self.add_cbs([LiveCurvesCB()])
        elif progress:
            self.add_cbs([ProgressCB()])
        self.add_cbs(cbs)

    def __repr__(self) -> str:
        name = type(getattr(self.model, "module", self.model)).__name__
        return (f"Learner({name}, {len(getattr(self.dls, 'classes', []))} classes, "
                f"{len(self.history)} epochs trained, device={self.device.type})")

    # -- callbacks ------------------------------------------------------------------------
    def add_cbs(self, cbs: Iterable[Callback]) -> "Learner":
        for cb in cbs:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must subclass clskit.training.callbacks.Callback; got {type(cb).__name__}")
            cb.learn = self
            self.cbs.append(cb)
        self._handlers_of = None
        return self

    def remove_cbs(self, cbs: Iterable[Callback]) -> "Learner":
        for cb in list(cbs):
            if cb in self.cbs:
                self.cbs.remove(cb)
        self._handlers_of = None
        return self

    def cb(self, cls: type) -> Callback | None:
        """The first attached callback of class ``cls`` (or ``None``)."""
        return next((c for c in self.cbs if isinstance(c, cls)), None)

    def callback(self, name: str) -> None:
        """Call method ``name`` of every attached callback that has one, lowest ``order`` first."""
        # a step fires about ten events: the handlers are gathered once per list of callbacks, not sorted at
        # every event (add_cbs and remove_cbs start over, and so does a new list or a change in its length)
        of = (id(self.cbs), len(self.cbs))
        if of != self._handlers_of:
            self._handlers, self._handlers_of = {}, of
        handlers = self._handlers.get(name)
        if handlers is None:
            handlers = self._handlers[name] = [fn for cb in sorted(self.cbs, key=lambda c: c.order)
                                               if (fn := getattr(cb, name, None)) is not None]
        for fn in handlers:
            fn()

    def _with_events(self, fn: Callable, name: str) -> None:
        try:
            self.callback(f"before_{name}")
            fn()
            self.callback(f"after_{name}")
        except CANCEL[name]:
            self.callback(f"after_cancel_{name}")
            if name in AFTER_EVEN_IF_CANCELLED:
                self.callback(f"after_{name}")
        finally:
            self.callback(f"cleanup_{name}")

    # -- the loop -------------------------------------------------------------------------
    @property
    def history(self) -> list[dict]:
        """One plain dict per finished epoch: losses, metrics, time (see :class:`Recorder`)."""
        return self.recorder.history

    def fit(self, n_epoch: int = 1, lr: float | None = None, cbs: Iterable[Callback] = (),
            reset_opt: bool = False, param_groups: list[dict] | None = None) -> "Learner":
        """Train for ``n_epoch`` epochs. Ctrl-C (the notebook's stop button) ends the fit cleanly:
        the history so far is kept and a later ``fit`` continues from the current weights.

        Args:
            n_epoch: epochs to train.
            lr: peak learning rate (a new optimiser is made when given).
            cbs: callbacks for this fit only.
            reset_opt: start from a fresh optimiser (its moments forgotten).
            param_groups: parameter groups for this fit's (new) optimiser, e.g. discriminative
                learning rates; each group's ``max_lr`` is its one-cycle peak.
        """
        if isinstance(n_epoch, bool) or not isinstance(n_epoch, int) or n_epoch < 1:
            raise ValueError(f"n_epoch must be a whole number of at least 1; got {n_epoch!r}")
        if lr is not None:
            self.lr = check_lr(lr)
        if self.seed is not None:
            seed_everything(self.seed)
            generator = getattr(self.dls.train, "generator", None)
            if isinstance(generator, torch.Generator):  # the loader's own shuffling RNG
                generator.manual_seed(self.seed)
        extra = list(cbs)
        self.add_cbs(extra)
        self.n_epoch, self.epoch_offset = n_epoch, len(self.history)
        if self.opt is None or reset_opt or lr is not None or param_groups is not None:
            self.opt = self.make_optimizer(param_groups=param_groups)
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
            release_memory()   # the freed activations and gradients go back to the system
        return self

    def make_optimizer(self, lr: float | None = None, param_groups: list[dict] | None = None):
        """A new optimiser over ``param_groups`` (default: the Learner's, or every trainable parameter)."""
        groups = param_groups if param_groups is not None else self.param_groups
        if groups is None:
            groups = [p for p in self.model.parameters() if p.requires_grad]
        return self.opt_func(groups, lr=self.lr if lr is None else lr, weight_decay=self.wd)

    def _make_scheduler(self, n_epoch: int):
        # OneCycleLR divides by (pct_start * total - 1): fewer than 5 steps (tiny data) would divide by 0
        total = max(5, n_epoch * len(self.dls.train))
        if callable(self.sched):
            return self.sched(self.opt, total)
        if self.sched == "one_cycle":
            max_lr = [g.get("max_lr", self.lr) for g in self.opt.param_groups]
            return torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=max_lr, total_steps=total,
                                                       pct_start=DEFAULTS["pct_start"])
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
        if not self.training:
            return
        self.loss_grad = self.loss  # what backward() runs on: a callback may scale it (mixed precision)
        self._with_events(self._backward, "backward")
        self._with_events(self._step, "step")
        self.opt.zero_grad(set_to_none=True)

    def _backward(self) -> None:
        self.loss_grad.backward()

    def _step(self) -> None:
        self.opt.step()

    # -- learning-rate finder ------------------------------------------------------------
    def lr_find(self, start_lr: float = 1e-7, end_lr: float = 10.0, num_it: int = 100,
                stop_div: bool = True) -> LRFinderResult:
        """Train briefly with an exponentially growing learning rate and record the loss (Smith 2015).

        The weights and optimiser are restored afterwards, so this does not change the model
        (see :mod:`clskit.training.callbacks.lr_finder`).

        Args:
            start_lr, end_lr: the range of learning rates tried.
            num_it: number of batches (the training loader is cycled if it is shorter).
            stop_div: stop once the smoothed loss exceeds 4x its minimum
                (``clskit.utils.DEFAULTS["lr_find_stop_factor"]``).

        Returns:
            An :class:`~clskit.training.callbacks.LRFinderResult`: ``lrs``, ``losses`` (smoothed), ``suggestion``
            and ``plot()``; it unpacks as ``lrs, losses, suggestion``.

        Example:
            >>> res = learn.lr_find()                     # doctest: +SKIP
            >>> learn.fit(3, lr=res.suggestion)           # doctest: +SKIP
        """
        return lr_find(self, start_lr, end_lr, num_it, stop_div)

    # -- predictions ----------------------------------------------------------------------
    def activation(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits to probabilities, wherever this Learner reports them (metrics, ``get_preds``, ``predict``):
        :func:`clskit.inference.activation` (softmax, or a sigmoid per label when ``multilabel``).

        Override it in a subclass for another output layer, as fastai's ``loss_func.activation`` allows;
        notebook 10 trains a softmax head on label sets this way.
        """
        return activation(logits, self.multilabel)

    @torch.inference_mode()
    def get_preds(self, dl=None, with_logits: bool = False):
        """Probabilities and targets over a loader (default: validation).

        Returns:
            ``(probs, targets)`` as CPU tensors; ``probs`` is ``(N, num_classes)``.
        """
        dl = self.dls.valid if dl is None else dl
        if dl is None:
            raise ValueError("no loader to predict on: pass dl= or build DataLoaders with a validation set")
        from clskit.inference import predict_logits

        logits, targets = predict_logits(self.model, dl, device=self.device)
        return (logits if with_logits else self.activation(logits)), targets

    @torch.inference_mode()
    def predict(self, x: torch.Tensor, transform: Callable | None = None) -> torch.Tensor:
        """Probabilities for images ``(C, H, W)`` or ``(B, C, H, W)`` in ``[0, 1]`` (or uint8 0-255)."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"predict expects a float image tensor; got {type(x).__name__}")
        single = x.ndim == 3
        if single:
            x = x[None]
        if x.ndim != 4:
            raise ValueError(f"predict expects (C, H, W) or (B, C, H, W); got shape {tuple(x.shape)}")
        from clskit.checks import check_pixel_scale, checked_channels
        from clskit.inference import predict_logits   # the one prediction loop (eval mode, no gradients)

        check_pixel_scale(x)
        self.model.to(self.device)
        with checked_channels(self.model):
            logits, _ = predict_logits(self.model, x, transform)
        p = self.activation(logits).cpu()
        return p[0] if single else p

    # -- persistence ----------------------------------------------------------------------
    def save(self, path, **extra) -> None:
        """Save weights, class names and history atomically (a temporary file, then a rename)."""
        from clskit.training.checkpoint import save_checkpoint
        model = getattr(self.model, "module", self.model)  # a DistributedDataParallel wrapper holds it as .module
        save_checkpoint(path, model, classes=list(getattr(self.dls, "classes", [])),
                        multilabel=self.multilabel, history=self.history, **extra)

    def load(self, path) -> "Learner":
        """Load weights saved by :meth:`save` (checks the number of classes first)."""
        from clskit.training.checkpoint import load_checkpoint
        load_checkpoint(path, self.model)
        return self
