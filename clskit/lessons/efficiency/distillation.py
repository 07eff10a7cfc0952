"""Knowledge distillation (Hinton, Vinyals & Dean 2015): a small student learns from a large teacher."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from clskit.training.callbacks import Callback


def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor, targets: torch.Tensor,
                      temperature: float = 4.0, alpha: float = 0.7) -> torch.Tensor:
    """Knowledge-distillation loss: ``alpha * T^2 * KL(p_T || q_T) + (1 - alpha) * CE(y, q)``.

    ``p_T = softmax(teacher / T)`` and ``q_T = softmax(student / T)`` are the "softened"
    distributions; their KL divergence carries the teacher's knowledge about which wrong classes
    are *almost* right. Its gradients shrink like ``1/T^2``, hence the ``T^2`` factor (Hinton et
    al. 2015, section 2), which keeps the two terms comparable as ``T`` changes.

    Args:
        student_logits, teacher_logits: ``(B, num_classes)``.
        targets: ``(B,)`` class indices (the hard labels).
        temperature: ``T >= 1``; higher spreads the teacher's probabilities more.
        alpha: weight of the soft (teacher) term; ``0`` is plain cross-entropy.

    Example:
        >>> s, t, y = torch.zeros(2, 3), torch.zeros(2, 3), torch.tensor([0, 1])
        >>> float(distillation_loss(s, t, y, alpha=1.0))   # same distributions: no KL
        0.0
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive; got {temperature}")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must lie in [0, 1]; got {alpha}")
    if student_logits.shape != teacher_logits.shape:
        raise ValueError(f"student logits {tuple(student_logits.shape)} and teacher logits "
                         f"{tuple(teacher_logits.shape)} differ; both must be (B, num_classes)")
    t = temperature
    soft = F.kl_div(F.log_softmax(student_logits / t, -1), F.log_softmax(teacher_logits / t, -1),
                    reduction="batchmean", log_target=True) * t * t
    hard = F.cross_entropy(student_logits, targets)
    return alpha * soft + (1 - alpha) * hard


class DistillationCB(Callback):
    """Train the Learner's model (the student) to match a frozen ``teacher`` as well as the labels.

    During training the loss becomes :func:`distillation_loss`; validation keeps the Learner's own
    loss so the numbers compare with a student trained without a teacher.

    Example:
        >>> from clskit import Learner                                   # doctest: +SKIP
        >>> learn = Learner(student, dls, cbs=[DistillationCB(teacher, temperature=4)])  # doctest: +SKIP
    """

    order = 5  # after the Learner computes its loss, before the recorder reads it

    def __init__(self, teacher: nn.Module, temperature: float = 4.0, alpha: float = 0.7):
        if not isinstance(teacher, nn.Module):
            raise TypeError(f"teacher must be an nn.Module; got {type(teacher).__name__}")
        self.teacher, self.temperature, self.alpha = teacher, temperature, alpha

    def before_fit(self):
        self.teacher.to(self.learn.device).eval()
        for p in self.teacher.parameters():
            p.requires_grad_(False)

    def after_loss(self):
        learn = self.learn
        if not learn.training:
            return
        with torch.no_grad():
            teacher_logits = self.teacher(learn.xb)
        learn.loss = distillation_loss(learn.preds, teacher_logits, learn.yb, self.temperature, self.alpha)
