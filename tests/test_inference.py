"""One inference loop (clskit.inference) and the places that now call it."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from clskit.datasets import DataLoaders, ImageDataset
from clskit.inference import accuracy_of, activation, model_device, predict_logits, predict_probs
from clskit.models import create_model


def _data(n=20, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, 1, 8, 8, generator=g) * 255).to(torch.uint8)
    y = torch.arange(n) % 3
    return ImageDataset(x, y, ["a", "b", "c"])


def _model():
    torch.manual_seed(0)
    return create_model("small_cnn", num_classes=3, in_chans=1, widths=(4, 8))


def test_dataset_tensor_and_loader_give_the_same_probabilities():
    ds, m = _data(), _model()
    by_ds = predict_probs(m, ds, batch_size=7)
    by_tensor = predict_probs(m, ds.images)                 # uint8 images become floats in [0, 1]
    by_loader = predict_probs(m, DataLoaders.from_datasets(ds, ds, batch_size=6).valid)
    with torch.no_grad():
        expected = torch.softmax(m.eval()(ds.images.float() / 255), 1)
    for p in (by_ds, by_tensor, by_loader):
        torch.testing.assert_close(p, expected, atol=1e-5, rtol=1e-4)
    logits, y = predict_logits(m, ds)
    assert torch.equal(y, ds.targets) and predict_logits(m, ds.images)[1] is None
    assert accuracy_of(m, ds) == pytest.approx(float((expected.argmax(1) == ds.targets).float().mean()))


def test_transform_multilabel_and_mode():
    ds, m = _data(), _model()
    m.train()
    p = predict_probs(m, ds, transform=lambda x: x * 0, multilabel=True)
    assert m.training                                        # put back in the mode it was in
    with torch.no_grad():
        expected = torch.sigmoid(m.eval()(torch.zeros(1, 1, 8, 8)))
    torch.testing.assert_close(p, expected.expand(len(ds), -1), atol=1e-5, rtol=1e-4)
    torch.testing.assert_close(activation(torch.zeros(1, 4)), torch.full((1, 4), 0.25))


def test_device_and_errors():
    m = nn.Linear(4, 2)
    assert model_device(m).type == "cpu" and model_device(nn.ReLU()).type == "cpu"
    predict_probs(m, [(torch.rand(2, 4), torch.tensor([0, 1]))], device="cpu")
    with pytest.raises(ValueError, match="no images"):
        predict_probs(m, [])
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        predict_probs(m, torch.rand(3, 4))
    with pytest.raises(TypeError, match="ImageDataset"):
        predict_probs(m, 3)
    with pytest.raises(TypeError):
        predict_probs(m, torch.rand(1, 1, 2, 2), None, 64)      # batch_size is keyword-only
    with pytest.raises(ValueError, match="targets"):
        accuracy_of(m, torch.rand(2, 1, 1, 4))


def test_learner_transfer_efficiency_and_shift_share_the_loop():
    from clskit.lessons import efficiency, shift
    from clskit.training.learner import Learner

    ds, m = _data(), _model()
    dls = DataLoaders.from_datasets(ds, ds, batch_size=8)
    probs, targets = Learner(m, dls, progress=False, device="cpu").get_preds()
    torch.testing.assert_close(probs, predict_probs(m, ds), atol=1e-5, rtol=1e-4)
    assert torch.equal(targets, ds.targets)
    acc = accuracy_of(m, ds)
    assert accuracy_of(m, dls.valid) == pytest.approx(acc)
    assert efficiency.profile_models({"m": m}, (1, 8, 8), dl=dls.valid, batch_sizes=(1,), n_iter=1)[0]["accuracy"] \
        == pytest.approx(acc, abs=1e-4)
    assert shift.shift_table(m, {"clean": ds})[0]["accuracy"] == pytest.approx(acc)


def test_the_loop_leaves_every_module_as_it_was_and_makes_any_batch_float():
    from clskit.inference import running, run_batches
    from clskit.utils import BATCHNORM_TYPES

    m = _model().train()
    for bn in m.modules():                              # BatchNorm frozen in eval mode inside a training model
        if isinstance(bn, BATCHNORM_TYPES):
            bn.eval()
    modes = [mod.training for mod in m.modules()]
    x = torch.rand(6, 1, 8, 8, dtype=torch.float64)     # a loader of float64 batches: cast like uint8 ones
    p = predict_probs(m, [(x, torch.zeros(6, dtype=torch.long))], batch_size=4)
    assert p.dtype == torch.float32 and [mod.training for mod in m.modules()] == modes
    def failing(model, xb):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):      # restored also when the forward pass fails
        predict_logits(m, x.float(), forward=failing)
    assert [mod.training for mod in m.modules()] == modes
    with running(m, batchnorm_train=True):               # AdaBN's mode: only the BatchNorm layers train
        assert [type(mod) for mod in m.modules() if mod.training] == \
            [type(mod) for mod in m.modules() if isinstance(mod, BATCHNORM_TYPES)]
    assert [mod.training for mod in m.modules()] == modes
    outs = [out for out, _ in run_batches(m, x, batch_size=4, forward=lambda model, xb: xb.shape[0])]
    assert outs == [4, 2]
