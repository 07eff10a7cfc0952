"""Callbacks for :class:`~clskit.learner.Learner`: plain classes with an ``order`` and event methods.

| module        | holds                                                                   |
|---------------|-------------------------------------------------------------------------|
| ``core``      | :class:`Callback`, the event names, the ``Cancel*Exception`` s          |
| ``defaults``  | what every Learner adds: schedule, device, :class:`Recorder`, NaN guard; the LR finder's callback |
| ``progress``  | :class:`ProgressCB`, :class:`LiveCurvesCB`                              |
| ``precision`` | :class:`MixedPrecisionCB`, :class:`GradientClipCB`                      |
| ``tracking``  | :class:`TrackBestCB`, :class:`EarlyStoppingCB`, :class:`CheckpointCB`   |

Every name is importable from ``clskit.callbacks`` itself.
"""
from .core import (CALLBACK_METHODS, CANCEL, EVENTS, Callback, CallbackNameWarning, CancelBatchException,
                   CancelEpochException, CancelFitException, CancelTrainException, CancelValidateException)
from .defaults import DeviceCB, LRFinderCB, NonFiniteLossWarning, Recorder, TerminateOnNaNCB, TrainEvalCB
from .precision import GradientClipCB, MixedPrecisionCB
from .progress import LiveCurvesCB, ProgressCB
from .tracking import CheckpointCB, EarlyStoppingCB, TrackBestCB

__all__ = ["CALLBACK_METHODS", "CANCEL", "EVENTS", "Callback", "CallbackNameWarning", "CancelBatchException",
           "CancelEpochException", "CancelFitException", "CancelTrainException", "CancelValidateException",
           "CheckpointCB", "DeviceCB", "EarlyStoppingCB", "GradientClipCB", "LRFinderCB", "LiveCurvesCB",
           "MixedPrecisionCB", "NonFiniteLossWarning", "ProgressCB", "Recorder", "TerminateOnNaNCB",
           "TrackBestCB", "TrainEvalCB"]
