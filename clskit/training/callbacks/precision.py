"""Training mechanics on the GPU: mixed precision and gradient clipping, both reached through the
Learner's events (as fastai's ``MixedPrecision`` and ``GradientClip``)."""
from __future__ import annotations

import torch

from clskit.training.callbacks.core import Callback, CancelStepException


class MixedPrecisionCB(Callback):
    """Automatic mixed precision on a CUDA GPU: forward passes under ``torch.autocast`` and, for
    float16, a ``GradScaler`` that scales the loss so small gradients do not underflow. On other
    devices it does nothing, so the same code runs everywhere. Added by ``Learner(mixed_precision=True)``.

    The events it uses (fastai's ``MixedPrecision``):

    * ``before_batch`` enters autocast, ``after_loss`` leaves it (the backward pass runs outside);
    * ``before_backward`` scales ``learn.loss_grad``;
    * ``before_step`` calls ``scaler.step`` with this callback as a stand-in optimiser: the scaler
      unscales the gradients and, if they are finite, calls our ``step``, which lets the Learner's own
      ``opt.step()`` run; if they overflowed it raises ``CancelStepException`` (the step is skipped).
      Callbacks later in ``before_step`` (``GradientClipCB``) therefore see unscaled gradients;
    * ``after_step`` (which runs after a skipped step too) updates the scale.

    Args:
        dtype: ``"fp16"`` (float16 + gradient scaler) or ``"bf16"`` (bfloat16, no scaler needed).
        device_types: the device types it acts on; ``("cuda", "cpu")`` lets it run on the CPU too
            (bfloat16 autocast is real there; for tests of the event logic).

    Example:
        >>> MixedPrecisionCB("bf16").dtype
        'bf16'
        >>> learn = Learner(model, dls, mixed_precision=True)     # doctest: +SKIP
    """

    order = -5  # after DeviceCB (the batch is on the GPU), before GradientClipCB (unscaled gradients)
    run_in_lr_find = True

    def __init__(self, dtype: str = "fp16", device_types: tuple[str, ...] = ("cuda",)):
        if dtype not in ("fp16", "bf16"):
            raise ValueError(f"dtype must be 'fp16' or 'bf16'; got {dtype!r}")
        self.dtype, self.device_types = dtype, tuple(device_types)
        self.scaler, self.active, self._autocast, self._stepped = None, False, None, False
        self.scales: list[float] = []  # the loss scale after every step (fp16)

    def before_fit(self):
        device_type = self.learn.device.type
        self.active = device_type in self.device_types
        if self.active and self.dtype == "fp16" and self.scaler is None:
            self.scaler = torch.amp.GradScaler(device_type)

    def before_batch(self):
        if self.active:
            dtype = torch.float16 if self.dtype == "fp16" else torch.bfloat16
            self._autocast = torch.autocast(self.learn.device.type, dtype=dtype)
            self._autocast.__enter__()

    def after_pred(self):
        if self._autocast is not None:  # losses and metrics in float32
            self.learn.preds = self.learn.preds.float()

    def after_loss(self):
        self._leave_autocast()

    def cleanup_batch(self):  # a callback cancelled the batch before after_loss
        self._leave_autocast()

    def _leave_autocast(self):
        if self._autocast is not None:
            self._autocast.__exit__(None, None, None)
            self._autocast = None

    def before_backward(self):
        if self.active and self.scaler is not None:
            self.learn.loss_grad = self.scaler.scale(self.learn.loss_grad)

    def before_step(self):
        self._stepped = False
        if not (self.active and self.scaler is not None):
            return
        self._skipped = True
        self.scaler.step(self)   # unscales learn.opt's gradients; calls self.step() only if they are finite
        self._stepped = True
        if self._skipped:
            raise CancelStepException("the float16 gradients overflowed: step skipped, loss scale lowered")

    # the stand-in optimiser for scaler.step: it unscales the gradients of these param_groups
    @property
    def param_groups(self):
        return self.learn.opt.param_groups

    def step(self, *args, **kwargs):
        self._skipped = False

    def after_step(self):
        if self._stepped:
            self.scaler.update()
            self.scales.append(float(self.scaler.get_scale()))
            self._stepped = False


class GradientClipCB(Callback):
    """Clips the gradient norm to ``max_norm`` before every optimiser step. ``norms`` records each
    step's norm before clipping. It runs after ``MixedPrecisionCB`` and ``AccelerateCB`` in
    ``before_step``, which unscale the gradients, so it clips the true gradients.

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
        params = [p for p in self.learn.model.parameters() if p.grad is not None]
        norm = torch.nn.utils.clip_grad_norm_(params, self.max_norm, self.norm_type)
        self.norms.append(float(norm))
