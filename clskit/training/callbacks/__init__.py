"""Callbacks for :class:`~clskit.training.learner.Learner`: plain classes with an ``order`` and event methods.

| module        | holds                                                                   |
|---------------|-------------------------------------------------------------------------|
| ``core``      | :class:`Callback`, the event names, the ``Cancel*Exception`` s          |
| ``defaults``  | what every Learner adds: :class:`SchedulerCB`, :class:`DeviceCB`, :class:`Recorder`, NaN guard |
| ``lr_finder`` | :class:`LRFinderCB`, :class:`LRFinderResult`, :func:`suggest_lr` (``Learner.lr_find``) |
| ``progress``  | :class:`ProgressCB`, :class:`LiveCurvesCB`                              |
| ``precision`` | :class:`MixedPrecisionCB`, :class:`GradientClipCB`                      |
| ``tracking``  | :class:`TrackBestCB`, :class:`EarlyStoppingCB`, :class:`CheckpointCB`, :class:`SnapshotCB` |

Every name is importable from ``clskit.training.callbacks`` itself.
"""
from clskit.training.callbacks.core import (AFTER_EVEN_IF_CANCELLED, CALLBACK_METHODS, CANCEL, EVENTS, Callback, CallbackNameWarning, CancelBackwardException,
                   CancelBatchException, CancelEpochException, CancelFitException, CancelStepException,
                   CancelTrainException, CancelValidateException)
from clskit.training.callbacks.defaults import DeviceCB, NonFiniteLossWarning, Recorder, SchedulerCB, TerminateOnNaNCB
from clskit.training.callbacks.lr_finder import LRFinderCB, LRFinderResult, suggest_lr
from clskit.training.callbacks.precision import GradientClipCB, MixedPrecisionCB
from clskit.training.callbacks.progress import LiveCurvesCB, ProgressCB
from clskit.training.callbacks.tracking import CheckpointCB, EarlyStoppingCB, SnapshotCB, TrackBestCB

__all__ = ["AFTER_EVEN_IF_CANCELLED", "CALLBACK_METHODS", "CANCEL", "EVENTS", "Callback", "CallbackNameWarning", "CancelBackwardException",
           "CancelBatchException", "CancelEpochException", "CancelFitException", "CancelStepException",
           "CancelTrainException", "CancelValidateException", "CheckpointCB", "DeviceCB", "EarlyStoppingCB",
           "GradientClipCB", "LRFinderCB", "LRFinderResult", "LiveCurvesCB", "MixedPrecisionCB",
           "NonFiniteLossWarning", "ProgressCB", "Recorder", "SchedulerCB", "SnapshotCB", "TerminateOnNaNCB", "TrackBestCB",
           "suggest_lr"]
