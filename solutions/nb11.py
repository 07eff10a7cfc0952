"""Solutions to the exercises of notebook 11 (interpretability)."""
import torch


def _cam():
    A = torch.tensor([[[[1., 2.], [3., 4.]], [[4., 3.], [2., 1.]]]])
    dA = torch.stack([torch.ones(2, 2), -2 * torch.ones(2, 2)])[None]
    alpha = dA.mean(dim=(2, 3))                                   # one weight per channel
    return torch.relu((alpha[:, :, None, None] * A).sum(1))      # (1, 2, 2)


def _cam_without_relu():
    A = torch.tensor([[[[1., 2.], [3., 4.]], [[4., 3.], [2., 1.]]]])
    dA = torch.stack([torch.ones(2, 2), -2 * torch.ones(2, 2)])[None]
    return (dA.mean(dim=(2, 3))[:, :, None, None] * A).sum(1)


def my_saliency(model, image, c):
    x = image[None].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x)[0, c], x)
    return g[0].abs().amax(0)


def signed_saliency(model, image, c):
    x = image[None].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x)[0, c], x)
    return g[0].amax(0)


def my_rollout(attentions, residual=True):
    rollout = None
    for att in attentions:
        a = att.mean(1)                                           # average the heads: (B, T, T)
        if residual:
            a = a + torch.eye(a.shape[-1])
        a = a / a.sum(-1, keepdim=True)
        rollout = a if rollout is None else a @ rollout
    return rollout


# 11.4: the deletion test of section 6 (mean drop of the true class's probability on 30 photos).
DELETION = {"hottest cells": 0.38, "random cells": 0.18}

SOLUTIONS = {"11.1": _cam, "11.2": lambda: my_saliency, "11.3": lambda: my_rollout,
             "11.4": lambda: {"prediction": "hottest cells", "measured": DELETION}}
WRONG = {
    "11.1": (_cam_without_relu, "ReLU"),
    "11.2": (lambda: signed_saliency, "absolute"),
    "11.3": (lambda: (lambda atts: my_rollout(atts, residual=False)), "identity"),
    "11.4": (lambda: {"prediction": "about the same", "measured": DELETION}, "hottest"),
}
