"""CAMs against pytorch-grad-cam, saliency against torch.autograd.grad, rollout by hand."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn

from clskit.interpret import (GradCAM, GradCAMPlusPlus, attention_rollout, explain, last_conv_layer, overlay,
                              rollout_map, saliency, smoothgrad)
from clskit.models import create_model


def _small_cnn():
    torch.manual_seed(0)
    m = create_model("small_cnn", num_classes=5, in_chans=3).eval()
    # Non-trivial BatchNorm statistics, so the maps are not symmetric by accident.
    for bn in m.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.running_mean.uniform_(-0.2, 0.2)
            bn.running_var.uniform_(0.5, 1.5)
    return m, m.features[-5]  # the last conv_bn block's output (after its ReLU), 8x8 at 32 px input


def _resnet18():
    import torchvision

    torch.manual_seed(0)
    m = torchvision.models.resnet18(weights=None, num_classes=4).eval()
    return m, m.layer2  # 4x4 at 32 px input


MODELS = {"small_cnn": (_small_cnn, 32), "resnet18": (_resnet18, 32)}
PAIRS = [("gradcam", GradCAM, "GradCAM"), ("gradcam++", GradCAMPlusPlus, "GradCAMPlusPlus")]


@pytest.mark.parametrize("model_name", list(MODELS))
@pytest.mark.parametrize("name,ours,theirs", PAIRS)
def test_cam_matches_pytorch_grad_cam(model_name, name, ours, theirs):
    import pytorch_grad_cam
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

    make, size = MODELS[model_name]
    model, layer = make()
    x = torch.rand(2, 3, size, size, generator=torch.Generator().manual_seed(1))
    classes = [0, 3]
    with getattr(pytorch_grad_cam, theirs)(model=model, target_layers=[layer]) as ref_cam:
        ref = ref_cam(input_tensor=x, targets=[ClassifierOutputTarget(c) for c in classes])
    with ours(model, layer) as cam:
        got = cam(x, targets=classes).numpy()
    assert got.shape == ref.shape == (2, size, size)
    # pytorch-grad-cam resizes with OpenCV (bilinear, half-pixel centres) like F.interpolate(align_corners=False).
    np.testing.assert_allclose(got, ref, atol=2e-3)
    assert np.corrcoef(got.ravel(), ref.ravel())[0, 1] > 0.9999


def test_hooks_are_removed_after_use():
    model, layer = _small_cnn()
    with GradCAM(model, layer) as cam:
        assert len(layer._forward_hooks) == 1
        cam(torch.rand(1, 3, 32, 32))
    assert len(layer._forward_hooks) == 0
    cam = GradCAMPlusPlus(model)                      # default target layer
    assert len(last_conv_layer(model)._forward_hooks) == 1
    cam.release()
    cam.release()                                     # twice is fine
    assert len(last_conv_layer(model)._forward_hooks) == 0
    with pytest.raises(RuntimeError, match="released"):
        cam(torch.rand(1, 3, 32, 32))


def test_cam_defaults_to_predicted_class_and_records_logits():
    model, layer = _small_cnn()
    x = torch.rand(2, 3, 32, 32)
    with GradCAM(model, layer) as cam:
        default = cam(x)
        pred = cam.logits.argmax(1)
        explicit = cam(x, targets=pred)
    torch.testing.assert_close(default, explicit)
    assert float(default.min()) >= 0 and float(default.max()) <= 1 + 1e-6


def test_cam_rejects_bad_targets():
    model, layer = _small_cnn()
    with GradCAM(model, layer) as cam:
        with pytest.raises(ValueError, match="0..4"):
            cam(torch.rand(1, 3, 32, 32), targets=[7])
        with pytest.raises(ValueError, match="targets for 2 images"):
            cam(torch.rand(2, 3, 32, 32), targets=[0, 1, 2])


def test_saliency_is_the_absolute_input_gradient():
    model, _ = _small_cnn()
    x = torch.rand(2, 3, 32, 32)
    targets = torch.tensor([1, 4])
    xr = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(xr)[torch.arange(2), targets].sum(), xr)
    torch.testing.assert_close(saliency(model, x, targets), g.abs().amax(1))
    torch.testing.assert_close(saliency(model, x, targets, reduce="mean"), g.abs().mean(1))


def test_saliency_in_small_batches_equals_one_pass():
    # batches bound the memory of the backward pass; the maps must not depend on them
    model, _ = _small_cnn()
    x = torch.rand(5, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    one_pass = saliency(model, x, [0, 1, 2, 3, 4], batch_size=5)
    for batch_size in (1, 2, None):
        torch.testing.assert_close(saliency(model, x, [0, 1, 2, 3, 4], batch_size=batch_size), one_pass)
    torch.testing.assert_close(saliency(model, x, 3, batch_size=2), saliency(model, x, [3] * 5, batch_size=5))
    torch.testing.assert_close(saliency(model, x, batch_size=2), saliency(model, x, model(x).argmax(1), batch_size=5))
    with pytest.raises(ValueError, match="3 targets for 5 images"):
        saliency(model, x, [0, 1, 2], batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        saliency(model, x, batch_size=0)


def test_cam_backpropagates_from_the_target_layer_only():
    # the layers before the target record no graph: no weight gets a gradient, frozen or not, and the
    # maps equal those of a full backward pass (checked against pytorch-grad-cam above)
    model, layer = _small_cnn()
    with GradCAM(model, layer) as cam:
        maps = cam(torch.rand(2, 3, 32, 32), targets=[1, 2])
        assert all(p.grad is None for p in model.parameters())
        model(torch.rand(1, 3, 32, 32)).sum()        # a plain forward pass while the hook is on: untouched
    assert maps.shape == (2, 32, 32) and torch.is_grad_enabled()
    with torch.no_grad():                           # works inside no_grad too, and leaves it on
        with GradCAM(model, layer) as cam:
            torch.testing.assert_close(cam(torch.ones(1, 3, 32, 32), [1]), cam(torch.ones(1, 3, 32, 32), [1]))
        assert not torch.is_grad_enabled()
    frozen = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(4, 4, 3, padding=1),
                           nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    frozen.requires_grad_(False)                    # and an in-place ReLU right after the target layer
    with GradCAM(frozen, frozen[2]) as cam:
        assert cam(torch.rand(2, 3, 8, 8)).shape == (2, 8, 8)


def test_smoothgrad_averages_noisy_gradients_and_repeats():
    model, _ = _small_cnn()
    x = torch.rand(1, 3, 32, 32)
    # sigma = 0 gives the plain saliency
    torch.testing.assert_close(smoothgrad(model, x, [2], n=3, sigma=0.0), saliency(model, x, [2]))
    a = smoothgrad(model, x, [2], n=5, sigma=0.2, seed=3)
    b = smoothgrad(model, x, [2], n=5, sigma=0.2, seed=3)
    torch.testing.assert_close(a, b)
    # by hand: the same noise, averaged
    gen = torch.Generator().manual_seed(3)
    scale = 0.2 * (x.max() - x.min())
    total = torch.zeros_like(x)
    for _ in range(5):
        xn = (x + torch.randn(x.shape, generator=gen) * scale).requires_grad_(True)
        (g,) = torch.autograd.grad(model(xn)[0, 2], xn)
        total += g.abs()
    torch.testing.assert_close(a, (total / 5).amax(1))


def test_attention_rollout_hand_computed():
    # Two blocks, one image, 2 heads, 2 tokens.
    a1 = torch.tensor([[[[1.0, 0.0], [0.5, 0.5]], [[0.0, 1.0], [0.5, 0.5]]]])   # mean: [[.5,.5],[.5,.5]]
    a2 = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]]])   # mean: [[1,0],[.5,.5]]
    # + I and row-normalize: A1' = [[.75,.25],[.25,.75]], A2' = [[1,0],[.25,.75]]
    # rollout = A2' @ A1' = [[.75,.25],[.375,.625]]
    expected = torch.tensor([[[0.75, 0.25], [0.375, 0.625]]])
    torch.testing.assert_close(attention_rollout([a1, a2]), expected)
    # without the residual: [[1,0],[.5,.5]] @ [[.5,.5],[.5,.5]] = [[.5,.5],[.5,.5]]
    torch.testing.assert_close(attention_rollout([a1, a2], residual=False), torch.full((1, 2, 2), 0.5))
    # rows stay distributions
    r = attention_rollout([torch.softmax(torch.randn(3, 4, 5, 5), -1) for _ in range(3)])
    torch.testing.assert_close(r.sum(-1), torch.ones(3, 5))
    with pytest.raises(ValueError, match="heads, T, T"):
        attention_rollout([torch.rand(2, 5, 5)])


class _FakeViT(nn.Module):
    """A class token + 2x2 patches; block attentions are fixed so the rollout is known."""

    def forward(self, x):
        return torch.zeros(len(x), 3)

    def attention_maps(self, x):
        a = torch.zeros(len(x), 1, 5, 5)
        a[:, :, :, 4] = 1.0          # everyone attends to the last patch
        return [a]


def test_rollout_map_points_at_the_attended_patch():
    m = rollout_map(_FakeViT(), torch.rand(2, 1, 8, 8))
    assert m.shape == (2, 8, 8)
    # class-token row after + I and renormalize: patch 4 (bottom-right) gets 0.5, the others 0
    assert float(m[0, 6, 6]) == pytest.approx(1.0) and float(m[0, 1, 1]) == pytest.approx(0.0)
    with pytest.raises(TypeError, match="attention_maps"):
        rollout_map(nn.Linear(2, 2), torch.rand(1, 2))


def test_overlay_is_a_blend():
    img = torch.full((1, 4, 4), 0.5)
    out = overlay(img, torch.zeros(4, 4), alpha=0.0)
    np.testing.assert_allclose(out, 0.5)
    hot = overlay(img, torch.ones(4, 4), alpha=1.0, cmap="gray")
    np.testing.assert_allclose(hot, 1.0)
    with pytest.raises(ValueError, match="does not match"):
        overlay(img, torch.ones(3, 3))


def test_last_conv_layer_error_names_the_fix():
    with pytest.raises(ValueError, match="target_layer="):
        last_conv_layer(nn.Linear(3, 3))


def test_cam_viewer_is_driven_from_python():
    from clskit.views.widgets.cam import PREDICTED, CAMViewer, heatmap_for

    model, _ = _small_cnn()
    images = torch.rand(4, 3, 32, 32)
    classes = ["a", "b", "c", "d", "e"]
    v = CAMViewer(model, images, classes, targets=torch.tensor([0, 1, 2, 3]))
    first_png = v.image.value
    assert first_png[:4] == b"\x89PNG"
    assert len(v.top_predictions) == 3 and "true class: <b>a</b>" in v.info.value
    pred = int(model(images[:1]).argmax())
    assert v.top_predictions[0][0] == classes[pred]
    v.index.value = 2
    assert "true class: <b>c</b>" in v.info.value and v.image.value != first_png
    v.target.value = 4
    assert "map explains: <b>e</b>" in v.info.value
    torch.testing.assert_close(v.heatmap, heatmap_for(model, images[2], 4, "gradcam"))
    v.method.value = "saliency"
    s = saliency(model, images[2:3], [4])[0]
    torch.testing.assert_close(v.heatmap, (s - s.min()) / (s.max() - s.min()), atol=1e-5, rtol=1e-4)   # min-max
    v.target.value = PREDICTED
    assert all(len(m._forward_hooks) == 0 for m in model.modules())   # the viewer leaves no hooks behind
    assert "rollout" not in [name for _, name in v.method.options]
    vit_viewer = CAMViewer(_FakeViT(), torch.rand(1, 1, 8, 8), ["x", "y", "z"])
    assert ("attention rollout", "rollout") in vit_viewer.method.options   # titles from METHOD_TITLES


@pytest.mark.parametrize("method", ["gradcam", "gradcam++", "saliency", "smoothgrad"])
def test_explain_and_cams_leave_every_module_in_its_mode(method):
    from clskit.utils import BATCHNORM_TYPES

    model, _ = _small_cnn()
    model.train()
    for m in model.modules():                     # a training model with BatchNorm layers frozen in eval mode
        if isinstance(m, BATCHNORM_TYPES):
            m.eval()
    modes = {name: m.training for name, m in model.named_modules()}
    assert not all(modes.values())
    maps = explain(model, torch.rand(2, 3, 32, 32), method)
    assert maps.shape == (2, 32, 32) and float(maps.min()) >= 0 and float(maps.max()) <= 1
    assert {name: m.training for name, m in model.named_modules()} == modes
