"""Solutions to the exercises of notebook 11 (interpretability)."""
import torch

import clskit

# 11.1: the pointing game of section 2 (share of the 400 new images whose hottest pixel lies on the marker corner).
POINTING = {"Grad-CAM": 0.34, "saliency": 1.0}
# 11.2: section 3, every weight re-initialised: |rank correlation| with the image's own trained map minus |rank
# correlation| with another image's, paired over 100 images (x 100, as paired_difference reports it)
RANDOMISED = {"Grad-CAM": clskit.stats.PairedDifference(-1.0, -6.0, 3.0, 100, "images"),
              "saliency": clskit.stats.PairedDifference(5.0, 3.0, 8.0, 100, "images")}

# 11.5: section 4, 5x5 grid: area under the deletion curve, saliency's order minus Grad-CAM's, paired over 60 photos
DELETION = clskit.stats.PairedDifference(4.8, 1.3, 8.4, 60, "images")


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


SOLUTIONS = {"11.1": lambda: {"prediction": "saliency", "measured": POINTING},
             "11.2": lambda: {"prediction": "saliency", "measured": RANDOMISED},
             "11.3": _cam, "11.4": lambda: my_saliency,
             "11.5": lambda: {"prediction": "Grad-CAM", "measured": DELETION}}
WRONG = {
    "11.1": (lambda: {"prediction": "Grad-CAM", "measured": POINTING}, "receptive"),
    "11.2": (lambda: {"prediction": "neither", "measured": RANDOMISED}, "edges"),
    "11.3": (_cam_without_relu, "ReLU"),
    "11.4": (lambda: signed_saliency, "absolute"),
    "11.5": (lambda: {"prediction": "saliency", "measured": DELETION}, "coarse map"),
}
