"""Solutions to the exercises of notebook 12 (efficiency)."""
import torch.nn.functional as F


def my_kd_loss(student_logits, teacher_logits, targets, T, alpha):
    log_q = F.log_softmax(student_logits / T, dim=-1)
    p = F.softmax(teacher_logits / T, dim=-1)
    kl = (p * (p.log() - log_q)).sum(-1).mean()
    return alpha * T * T * kl + (1 - alpha) * F.cross_entropy(student_logits, targets)


def kd_without_t_squared(student_logits, teacher_logits, targets, T, alpha):
    log_q = F.log_softmax(student_logits / T, dim=-1)
    p = F.softmax(teacher_logits / T, dim=-1)
    kl = (p * (p.log() - log_q)).sum(-1).mean()
    return alpha * kl + (1 - alpha) * F.cross_entropy(student_logits, targets)


# 12.4: a measurement shaped like notebook 12's (accuracy per seed); here the mirror costs a clear point.
MIRROR = {"shifts only": [0.93, 0.92, 0.94], "mirror + shifts": [0.92, 0.91, 0.925]}

SOLUTIONS = {
    "12.1": lambda: my_kd_loss,
    "12.2": lambda: 4,
    # (3*64 + 64*128 + 128*128) * 9 weights before, (3*32 + 32*64 + 64*64) * 9 after
    "12.3": lambda: (3 * 64 + 64 * 128 + 128 * 128) / (3 * 32 + 32 * 64 + 64 * 64),
    "12.4": lambda: {"prediction": "hurts", "measured": MIRROR},
}
WRONG = {
    "12.1": (lambda: kd_without_t_squared, "squared"),
    "12.2": (lambda: 2, "bytes"),
    "12.3": (lambda: 2, "inputs"),
    "12.4": (lambda: {"prediction": "helps", "measured": MIRROR}, "mirrored"),
}
