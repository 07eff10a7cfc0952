"""Exercises of notebook 11 (interpretability): Grad-CAM on numbers, saliency and rollout by hand, a deletion test."""
from __future__ import annotations

from clskit.exercises import exercise, predict_then_measure


def _cam_example():
    import torch

    a = torch.tensor([[[[1., 2.], [3., 4.]], [[4., 3.], [2., 1.]]]])
    da = torch.stack([torch.ones(2, 2), -2 * torch.ones(2, 2)])[None]
    return a, da


@exercise("11.1", "Grad-CAM on a tiny example")
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


@exercise("11.2", "Saliency by hand")
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


@exercise("11.3", "Attention rollout by hand")
def _(answer, c):
    import torch

    from clskit.interpret import attention_rollout

    gen = torch.Generator().manual_seed(0)
    atts = [torch.softmax(torch.randn(2, 3, 5, 5, generator=gen) * 2, -1) for _ in range(3)]
    expected = attention_rollout(atts)
    got = torch.as_tensor(answer([a.clone() for a in atts])).float()
    if not c.expect(tuple(got.shape) == (2, 5, 5), "the shape is (B, T, T)", f"the shape is {tuple(got.shape)}"):
        return "average over the heads (dim 1) so each block gives (B, T, T)"
    c.expect(torch.allclose(got, expected, atol=1e-5), "the rollout is right", "the rollout differs from the reference")
    if torch.allclose(got, attention_rollout(atts, residual=False), atol=1e-5):
        return "add the identity for the residual connection before renormalizing"
    reverse = attention_rollout(atts[::-1])
    if torch.allclose(got, reverse, atol=1e-5):
        return "multiply in order: R = A_3' @ A_2' @ A_1' (later blocks on the left)"
    return "for each block: a = att.mean(1) + I; a = a / a.sum(-1, keepdim=True); R = a @ R"


def _read_deletion(measured) -> tuple[str, str]:
    """Which greying hurt the true class more: the 5 hottest Grad-CAM cells or 5 random ones (mean drops)."""
    hot, rnd = float(measured["hottest cells"]), float(measured["random cells"])
    outcome = "hottest cells" if hot - rnd > 0.05 else "random cells" if rnd - hot > 0.05 else "about the same"
    why = (f"greying the 5 hottest Grad-CAM cells lowered the true class's probability by {hot:.2f} on average, "
           f"5 random cells of the same area by {rnd:.2f}")
    if outcome == "hottest cells":
        why += "; the map points at pixels the network needs, which is what a faithful explanation should do"
    elif outcome == "about the same":
        why += "; the map is no better than chance at finding the pixels the network needs here"
    return outcome, why


predict_then_measure("11.4", "Deletion test: does the heat map point at what matters?",
                     ("hottest cells", "about the same", "random cells"), _read_deletion)
