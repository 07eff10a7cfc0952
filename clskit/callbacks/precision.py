"""Training mechanics on the GPU: mixed precision and gradient clipping."""
from __future__ import annotations

import contextlib
import functools

import torch

from .core import Callback


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
