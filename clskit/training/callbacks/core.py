"""The callback protocol of :class:`~clskit.training.learner.Learner`: the base class, the event names and the
``Cancel*Exception`` s that change control flow (as in fastai's ``callback/core.py``).

Events (each as ``before_<e>`` / ``after_<e>``, plus ``after_cancel_<e>`` and ``cleanup_<e>``):
``fit``, ``epoch``, ``train``, ``validate``, ``batch``, and in a training batch ``backward`` and
``step``; inside a batch also ``after_pred`` and ``after_loss``; and ``after_interrupt`` when the
user stops training (Ctrl-C / the stop button). A batch runs

    before_batch -> forward -> after_pred -> loss -> after_loss
      -> before_backward -> learn.loss_grad.backward() -> after_backward
      -> before_step -> learn.opt.step() -> after_step -> zero_grad -> after_batch

so mixed precision (scale ``loss_grad`` in ``before_backward``, step with the scaler in
``before_step``) and Accelerate (its own ``backward``) are callbacks, as in fastai.

Cancelling an event skips the rest of it, ``after_<e>`` included, and runs ``after_cancel_<e>``;
for ``backward`` and ``step`` only the work is skipped and ``after_<e>`` still runs (as in fastai:
the gradients a callback made itself are there, the schedule still advances past a skipped step).

A callback method whose name is close to an event but is none (``befor_fit``, ``after_epochs``)
would never run; defining one warns with :class:`CallbackNameWarning`.
"""
from __future__ import annotations

import difflib
import warnings

EVENTS = ("fit", "epoch", "train", "validate", "batch", "backward", "step")
# every method name the Learner calls on a callback
CALLBACK_METHODS = frozenset(
    [f"{when}_{e}" for e in EVENTS for when in ("before", "after", "after_cancel", "cleanup")]
    + ["after_pred", "after_loss", "after_interrupt"])


class CancelFitException(Exception):
    """Raise in a callback to end ``fit`` cleanly (``after_cancel_fit`` and ``cleanup_fit`` still run)."""


class CancelEpochException(Exception):
    """Raise to end the current epoch (the next epoch starts)."""


class CancelTrainException(Exception):
    """Raise to skip the rest of the training phase of this epoch (validation still runs)."""


class CancelValidateException(Exception):
    """Raise to skip the rest of the validation phase of this epoch."""


class CancelBatchException(Exception):
    """Raise to skip the rest of the current batch (for example its backward pass and step)."""


class CancelBackwardException(Exception):
    """Raise in ``before_backward`` to skip ``loss_grad.backward()`` and go to ``after_backward``
    (a callback did its own backward)."""


class CancelStepException(Exception):
    """Raise in ``before_step`` to skip ``opt.step()`` and go to ``after_step`` (the step must be skipped)."""


# which exception cancels which event (the Learner catches it around that event)
CANCEL = {"fit": CancelFitException, "epoch": CancelEpochException, "train": CancelTrainException,
          "validate": CancelValidateException, "batch": CancelBatchException,
          "backward": CancelBackwardException, "step": CancelStepException}
# the events whose after_<e> runs even when they were cancelled (only their work is skipped)
AFTER_EVEN_IF_CANCELLED = frozenset({"backward", "step"})


class CallbackNameWarning(UserWarning):
    """A callback defines a method whose name is close to an event name but is none (a typo)."""


class Callback:
    """Base class. ``self.learn`` is set when the callback is attached to a Learner.

    Lower ``order`` runs first. Example:
        >>> class PrintEpoch(Callback):
        ...     def after_epoch(self): print("epoch", self.learn.epoch)
    """

    order = 0
    learn = None
    run_in_lr_find = False  # whether Learner.lr_find keeps this callback (training mechanics only)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in vars(cls):
            if name.startswith("_") or name in CALLBACK_METHODS or not callable(vars(cls)[name]):
                continue
            close = difflib.get_close_matches(name, CALLBACK_METHODS, n=1, cutoff=0.85)
            if close or name.startswith(("before_", "after_", "cleanup_")):
                hint = f"did you mean {close[0]!r}? " if close else ""
                warnings.warn(f"{cls.__name__}.{name} is not a callback event, so the Learner never calls it; "
                              f"{hint}events are {', '.join(sorted(CALLBACK_METHODS))}",
                              CallbackNameWarning, stacklevel=2)
