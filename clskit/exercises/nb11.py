"""Exercises of notebook 11 (interpretability): three predictions (which map finds a planted cue; which map survives
model randomisation; whose order wins a deletion test on photos), Grad-CAM on numbers and saliency by hand."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


def _read_pointing(measured) -> tuple[str, str]:
    """Which map's peak lands on the marker more often (pointing game, share of the 400 new images)."""
    gc, sal = float(measured["Grad-CAM"]), float(measured["saliency"])
    outcome = "saliency" if sal - gc > 0.1 else "Grad-CAM" if gc - sal > 0.1 else "about the same"
    why = (f"the hottest pixel lies on the marker corner for {gc:.0%} of the images with Grad-CAM on the last block "
           f"and for {sal:.0%} with saliency")
    if outcome == "saliency":
        why += ("; each cell of the last block has a receptive field of 32x32 pixels, so the marker's evidence can sit "
                "in any of the 25 cells of the map's top-left 5x5 block, up to about 15 pixels from the marker, and "
                "upsampling the 8x8 map cannot put it back on 4x4 pixels, while the pixel gradient can")
    return outcome, why


predict_then_measure("11.1", "Which map finds a 4x4 cue: Grad-CAM on the last block, or saliency?",
                     ("Grad-CAM", "about the same", "saliency"), _read_pointing)

def _read_randomised(measured) -> tuple[str, str]:
    """Which map is still tied to the image it explains once every weight is re-initialised. ``measured`` holds,
    per method, the PairedDifference over the images of |rank correlation| with the image's own trained map minus
    |rank correlation| with another image's trained map: "still tied" when its 95% interval lies above 0."""
    still = [name for name in ("Grad-CAM", "saliency") if measured[name].verdict == "better"]
    outcome = {0: "neither", 2: "both"}.get(len(still), still[0])
    why = "with every weight random, |rho| with the image's own trained map minus |rho| with another image's: " + ", ".join(
        f"{name} {d.diff / 100:+.2f} (95% interval {d.low / 100:+.2f} to {d.high / 100:+.2f})" for name, d in measured.items())
    if outcome == "saliency":
        why += ("; part of a gradient map is a picture of the image (its edges), which survives any weights, so only "
                "the rest of it explains the model. What Grad-CAM keeps is tied to no image: the edge stripe of the "
                "zero padding")
    return outcome, why


predict_then_measure("11.2", "Model randomisation: which map survives random weights?",
                     ("Grad-CAM", "saliency", "both", "neither"), _read_randomised)


def _read_deletion(measured) -> tuple[str, str]:
    """Whose order of greying lowers P(true class) faster on the 5x5 deletion grid. ``measured`` is the
    PairedDifference over the photos of the area under the deletion curve, saliency's order minus Grad-CAM's (lower
    area: the map found more of what the network needs), so "better" means Grad-CAM's order deletes faster."""
    outcome = {"better": "Grad-CAM", "worse": "saliency", "no clear difference": "no clear difference"}[measured.verdict]
    why = (f"area under the deletion curve, saliency's order minus Grad-CAM's: {measured.diff:+.1f} pts (95% interval "
           f"{measured.low:+.1f} to {measured.high:+.1f}, paired over {measured.n} photos)")
    if outcome == "Grad-CAM":
        why += ("; on a photo the evidence is an object that spans several 32x32 cells, and this grid's cells are "
                "exactly Grad-CAM's own, so its blobs rank them well, while saliency's specks are spread over many "
                "cells. A 4x4 cue favoured the pixel map; a grid cut to the coarse map's cells favours the coarse map")
    return outcome, why


predict_then_measure("11.5", "Deletion on photos: whose order lowers P(true class) faster?",
                     ("Grad-CAM", "no clear difference", "saliency"), _read_deletion)


def _cam_example():
    import torch

    a = torch.tensor([[[[1., 2.], [3., 4.]], [[4., 3.], [2., 1.]]]])
    da = torch.stack([torch.ones(2, 2), -2 * torch.ones(2, 2)])[None]
    return a, da


@exercise("11.3", "Grad-CAM on a tiny example")
def _(answer, c):
    import torch

    a, da = _cam_example()
    weights = da.mean(dim=(2, 3))                                        # (1, 2): 1 and -2
    expected = torch.relu((weights[:, :, None, None] * a).sum(1))        # [[0, 0], [0, 2]]
    answer = torch.as_tensor(answer, dtype=torch.float32)
    if not c.expect(tuple(answer.shape) == (1, 2, 2), "the shape is (1, 2, 2)",
                    f"the shape is {tuple(answer.shape)}, not (1, 2, 2)"):
        return "one map per image: sum the weighted channels, keep (B, h, w)"
    no_relu = (weights[:, :, None, None] * a).sum(1)
    summed = torch.relu((da.sum(dim=(2, 3))[:, :, None, None] * a).sum(1))
    c.expect(torch.allclose(answer, expected), "the map is right",
             f"got {answer.tolist()}")
    if torch.allclose(answer, no_relu):
        return "negative evidence is cut off: apply a ReLU to the weighted sum"
    if torch.allclose(answer, summed):
        return "the channel weight is the mean (average) of dA over the map, not the sum"
    return "alpha_k = mean of dA[k]; map = ReLU(sum_k alpha_k * A[k])"


def _tiny_model():
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Tanh(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)).eval()


@exercise("11.4", "Saliency by hand")
def _(answer, c):
    import torch

    model = _tiny_model()
    image = torch.rand(3, 6, 6, generator=torch.Generator().manual_seed(1))
    x = image[None].clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(x)[0, 2], x)
    expected = g[0].abs().amax(0)
    got = torch.as_tensor(answer(model, image.clone(), 2)).detach().float()
    if not c.expect(tuple(got.shape) == (6, 6), "the map has shape (H, W)", f"the map has shape {tuple(got.shape)}"):
        return "reduce the colour channels (dim 0 of the gradient of one image) with a max"
    c.expect(torch.allclose(got, expected, atol=1e-6), "the saliency map is right", "the values differ from |dy_c/dx| max over channels")
    if torch.allclose(got, g[0].amax(0), atol=1e-6):
        return "take the absolute value of the gradient before the max over channels"
    return "x = image[None].clone().requires_grad_(True); g = torch.autograd.grad(model(x)[0, c], x)[0]; g[0].abs().amax(0)"
