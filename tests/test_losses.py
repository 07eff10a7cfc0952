"""clskit.training.losses against reference computations (torchvision's sigmoid focal loss, the paper's formula)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss as tv_sigmoid_focal_loss

from clskit.training.losses import FocalLoss, class_weights, focal_loss, sigmoid_focal_loss, weighted_bce


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
@pytest.mark.parametrize("alpha", [None, 0.25, 0.9])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_sigmoid_focal_matches_torchvision(gamma, alpha, reduction):
    torch.manual_seed(0)
    x, y = torch.randn(16, 5) * 3, (torch.rand(16, 5) < 0.3).float()
    ref = tv_sigmoid_focal_loss(x, y, alpha=-1 if alpha is None else alpha, gamma=gamma, reduction=reduction)
    torch.testing.assert_close(sigmoid_focal_loss(x, y, gamma, alpha, reduction), ref)
    torch.testing.assert_close(FocalLoss(gamma, alpha, reduction)(x, y), ref)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("use_alpha", [False, True])
def test_softmax_focal_matches_direct_formula(gamma, use_alpha):
    torch.manual_seed(1)
    x, y = torch.randn(20, 4) * 2, torch.randint(0, 4, (20,))
    alpha = torch.tensor([0.5, 1.0, 2.0, 0.5]) if use_alpha else None
    p = F.softmax(x.double(), 1)[torch.arange(20), y]
    ref = -(1 - p) ** gamma * torch.log(p)
    if use_alpha:
        ref = ref * alpha.double()[y]
    torch.testing.assert_close(focal_loss(x, y, gamma, alpha, "none").double(), ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(FocalLoss(gamma, alpha)(x, y).double(), ref.mean(), rtol=1e-5, atol=1e-6)


def test_focal_with_gamma_zero_is_cross_entropy_and_has_gradients():
    torch.manual_seed(2)
    x, y = torch.randn(10, 3, requires_grad=True), torch.randint(0, 3, (10,))
    w = torch.tensor([1.0, 2.0, 0.5])
    # per-sample weighted CE (our mean is over samples, not normalized by the weights like F.cross_entropy)
    torch.testing.assert_close(focal_loss(x, y, 0.0, w), (F.cross_entropy(x, y, reduction="none") * w[y]).mean())
    focal_loss(x, y).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


def test_focal_down_weights_easy_examples():
    x = torch.tensor([[4.0, 0.0], [0.2, 0.0]])  # one easy, one hard example of class 0
    y = torch.tensor([0, 0])
    ce, fl = F.cross_entropy(x, y, reduction="none"), focal_loss(x, y, 2.0, reduction="none")
    assert (fl[0] / ce[0]) < 0.01 < (fl[1] / ce[1])


def test_class_weights():
    counts = np.array([1000, 50, 200])
    w = class_weights(counts, "inverse")
    assert float(w.mean()) == pytest.approx(1.0)
    np.testing.assert_allclose(w.numpy(), (1 / counts) / (1 / counts).mean(), rtol=1e-6)
    # sklearn's "balanced" weights are proportional to inverse frequency
    from sklearn.utils.class_weight import compute_class_weight
    y = np.repeat([0, 1, 2], counts)
    sk = compute_class_weight("balanced", classes=np.arange(3), y=y)
    np.testing.assert_allclose(class_weights(y, num_classes=3).numpy(), sk / sk.mean(), rtol=1e-6)
    beta = 0.99
    eff = (1 - beta) / (1 - beta ** counts)
    np.testing.assert_allclose(class_weights(counts, "effective", beta).numpy(), eff / eff.mean(), rtol=1e-6)
    assert torch.allclose(class_weights(counts, "effective", beta=0.0), torch.ones(3))
    assert class_weights(counts, "sqrt_inverse")[1] < w[1]


def test_errors_are_clear():
    with pytest.raises(ValueError, match="at least one sample"):
        class_weights([10, 0, 3])
    with pytest.raises(ValueError, match="method"):
        class_weights([10, 3], method="log")
    with pytest.raises(ValueError, match="same shape"):
        sigmoid_focal_loss(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(ValueError, match="one weight per class"):
        focal_loss(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), alpha=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="reduction"):
        focal_loss(torch.zeros(3, 2), torch.zeros(3, dtype=torch.long), reduction="avg")


def test_weighted_bce_pos_weight():
    crit = weighted_bce([10, 50], n=100)
    x, y = torch.randn(4, 2), torch.tensor([[1.0, 0], [0, 1], [1, 1], [0, 0]])
    ref = F.binary_cross_entropy_with_logits(x, y, pos_weight=torch.tensor([9.0, 1.0]))
    torch.testing.assert_close(crit(x, y), ref)
