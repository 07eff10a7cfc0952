"""Distillation loss by hand, quantized outputs close to float, pruning checked against masks."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from clskit.training.callbacks import Callback
from clskit.lessons.efficiency import (ChannelsLast, DistillationCB, distillation_loss, profile_models, prune_channels,
                               prune_unstructured, quantize_dynamic, quantize_static, sparsity)
from clskit.inference import accuracy_of
from clskit.models.measure import count_parameters, measure_latency, model_size_mb
from clskit.models import create_model


def _cnn(widths=(8, 16), seed=0):
    torch.manual_seed(seed)
    m = create_model("small_cnn", num_classes=4, in_chans=1, widths=widths).eval()
    for bn in m.modules():
        if isinstance(bn, nn.BatchNorm2d):
            bn.weight.data.uniform_(0.5, 1.5)
            bn.running_var.uniform_(0.5, 1.5)
    return m


def test_distillation_loss_by_hand():
    torch.manual_seed(0)
    s, t, y = torch.randn(6, 5), torch.randn(6, 5), torch.randint(0, 5, (6,))
    T, alpha = 3.0, 0.6
    p = torch.softmax(t / T, -1)                        # teacher, softened
    log_q = torch.log_softmax(s / T, -1)                # student, softened
    kl = (p * (p.log() - log_q)).sum(-1).mean()         # KL(p || q), averaged over the batch
    ce = -torch.log_softmax(s, -1)[torch.arange(6), y].mean()
    expected = alpha * T * T * kl + (1 - alpha) * ce
    torch.testing.assert_close(distillation_loss(s, t, y, temperature=T, alpha=alpha), expected)
    torch.testing.assert_close(distillation_loss(s, t, y, alpha=0.0), F.cross_entropy(s, y))
    with pytest.raises(ValueError, match="differ"):
        distillation_loss(s, t[:, :3], y)
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(s, t, y, temperature=0)


class _Spy(Callback):
    order = 6  # right after DistillationCB

    def __init__(self, teacher):
        self.teacher, self.checked = teacher, 0

    def after_loss(self):
        learn = self.learn
        if learn.training:
            with torch.no_grad():
                expected = distillation_loss(learn.preds, self.teacher(learn.xb), learn.yb, 2.0, 0.5)
            torch.testing.assert_close(learn.loss.detach(), expected)
            self.checked += 1
        else:  # validation keeps the plain loss
            torch.testing.assert_close(learn.loss, F.cross_entropy(learn.preds, learn.yb))


def test_distillation_callback_replaces_the_training_loss():
    from clskit.datasets import DataLoaders, ImageDataset
    from clskit.training.learner import Learner

    g = torch.Generator().manual_seed(0)
    ds = ImageDataset(torch.randint(0, 256, (48, 1, 8, 8), dtype=torch.uint8, generator=g),
                      torch.randint(0, 4, (48,), generator=g), list("abcd"))
    dls = DataLoaders.from_datasets(ds, ds.subset(range(16)), batch_size=16)
    teacher = _cnn(seed=1)
    spy = _Spy(teacher)
    learn = Learner(_cnn(), dls, cbs=[DistillationCB(teacher, temperature=2.0, alpha=0.5), spy],
                    progress=False, device="cpu")
    learn.fit(1, lr=1e-3)
    assert spy.checked == 3
    assert not any(p.requires_grad for p in teacher.parameters())


def test_dynamic_quantization_of_linear_layers():
    m = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)).eval()
    q = quantize_dynamic(m)
    assert q[0]._get_name() == "DynamicQuantizedLinear"
    assert type(m[0]) is nn.Linear                        # the original is untouched
    x = torch.randn(8, 16)
    torch.testing.assert_close(q(x), m(x), atol=0.05, rtol=0.05)
    assert model_size_mb(q) < model_size_mb(m)
    assert count_parameters(q) == count_parameters(m)


def test_static_quantization_is_close_and_smaller():
    m = _cnn(widths=(16, 32))
    calib = [torch.rand(32, 1, 16, 16, generator=torch.Generator().manual_seed(i)) for i in range(4)]
    q = quantize_static(m, calib)
    names = {type(mod).__name__ for mod in q.modules()}
    assert any("Quantized" in n or n.startswith("ConvReLU2d") for n in names), names
    x = torch.rand(16, 1, 16, 16)
    ref, out = m(x), q(x)
    assert (out - ref).abs().max() < 0.1 * ref.abs().max()          # int8: a few per cent
    assert (out.argmax(1) == ref.argmax(1)).float().mean() >= 0.8
    assert model_size_mb(q) < 0.5 * model_size_mb(m)
    with pytest.raises(ValueError, match="no batches"):
        quantize_static(m, [])


def test_unstructured_pruning_removes_the_smallest_weights_globally():
    m = _cnn()
    p = prune_unstructured(m, 0.6)
    assert sparsity(p) == pytest.approx(0.6, abs=1e-3)
    assert sparsity(m) == 0.0                                        # a copy was pruned
    weights = torch.cat([mod.weight.detach().abs().flatten() for mod in m.modules()
                         if isinstance(mod, (nn.Conv2d, nn.Linear))])
    threshold = weights.kthvalue(int(0.6 * len(weights))).values
    for a, b in zip(m.modules(), p.modules()):
        if isinstance(a, (nn.Conv2d, nn.Linear)):
            kept = b.weight != 0
            assert torch.all(a.weight.abs()[kept] >= threshold)
            torch.testing.assert_close(b.weight[kept], a.weight[kept])
            assert not b._forward_pre_hooks                            # masks folded in
    with pytest.raises(ValueError, match="amount"):
        prune_unstructured(m, 1.0)


def _kept_filters(orig: torch.Tensor, pruned: torch.Tensor, in_keep: torch.Tensor | None) -> list[int]:
    src = orig if in_keep is None else orig[:, in_keep]
    return [j for j in range(len(src)) if any(torch.equal(src[j], row) for row in pruned)]


def test_channel_pruning_equals_masking_the_dropped_filters():
    m = _cnn()
    for bn in m.modules():  # zero shift: a dropped filter then contributes exactly 0 after BN and ReLU
        if isinstance(bn, nn.BatchNorm2d):
            bn.bias.data.zero_()
            bn.running_mean.zero_()
    small = prune_channels(m, 0.5, example_input=torch.rand(2, 1, 16, 16))
    convs_m = [c for c in m.modules() if isinstance(c, nn.Conv2d)]
    convs_s = [c for c in small.modules() if isinstance(c, nn.Conv2d)]
    assert [c.out_channels for c in convs_s] == [4, 4, 8, 8]
    # the first conv keeps the filters of largest L1 norm
    norms = convs_m[0].weight.detach().abs().flatten(1).sum(1)
    keep0 = _kept_filters(convs_m[0].weight.detach(), convs_s[0].weight.detach(), None)
    assert sorted(keep0) == sorted(norms.topk(4).indices.tolist())
    # reference: the original model with the dropped filters zeroed
    ref = _cnn()
    ref.load_state_dict(m.state_dict())
    in_keep = None
    for cm, cs, cr in zip(convs_m, convs_s, [c for c in ref.modules() if isinstance(c, nn.Conv2d)]):
        keep = _kept_filters(cm.weight.detach(), cs.weight.detach(), in_keep)
        drop = [j for j in range(cm.out_channels) if j not in keep]
        cr.weight.data[drop] = 0
        in_keep = torch.tensor(keep)
    x = torch.rand(4, 1, 16, 16)
    torch.testing.assert_close(small(x), ref(x), atol=1e-5, rtol=1e-4)
    assert count_parameters(small) < count_parameters(m) / 3


def test_channel_pruning_refuses_branches():
    import torchvision

    with pytest.raises(ValueError, match="plain chains"):
        prune_channels(torchvision.models.resnet18(weights=None, num_classes=3), 0.5)


def test_channels_last_and_measurements():
    m = _cnn()
    x = torch.rand(3, 1, 16, 16)
    torch.testing.assert_close(ChannelsLast(m)(x), m(x), atol=1e-5, rtol=1e-4)
    r = measure_latency(m, (1, 16, 16), batch_size=4, n_iter=3, warmup=1)
    assert r["median_ms"] >= r["min_ms"] > 0 and r["throughput"] == pytest.approx(4 / r["median_ms"] * 1e3)
    dl = [(torch.rand(10, 1, 16, 16), torch.randint(0, 4, (10,))) for _ in range(2)]
    from sklearn.metrics import accuracy_score

    preds = torch.cat([m(xb).argmax(1) for xb, _ in dl])
    assert accuracy_of(m, dl) == pytest.approx(accuracy_score(torch.cat([y for _, y in dl]), preds))
    rows = profile_models({"float": m, "pruned": prune_unstructured(m, 0.5)}, (1, 16, 16), dl=dl,
                          batch_sizes=(1, 8), n_iter=2, extra={"float": {"note": "baseline"}})
    assert [r["model"] for r in rows] == ["float", "pruned"]
    assert rows[0]["note"] == "baseline" and rows[1]["sparsity"] == pytest.approx(0.5, abs=1e-3)
    assert rows[0]["throughput_b8"] == pytest.approx(8 / rows[0]["latency_b8_ms"] * 1e3, rel=1e-2)
    assert rows[0]["accuracy"] == pytest.approx(accuracy_of(m, dl), abs=1e-4)


def test_profile_table_sorts_and_filters():
    from clskit.views.widgets.profile import ProfileTable, sort_filter_rows

    rows = [{"model": "float", "ms": 3.0, "acc": 0.9}, {"model": "int8 static", "ms": 1.0, "acc": 0.88},
            {"model": "int8 dynamic", "ms": float("nan"), "acc": 0.9}]
    assert [r["model"] for r in sort_filter_rows(rows, "ms", ascending=False)] == ["float", "int8 static", "int8 dynamic"]
    t = ProfileTable(rows)
    assert [r["model"] for r in t.shown_rows] == ["float", "int8 static", "int8 dynamic"]
    t.sort_by.value = "ms"
    assert [r["model"] for r in t.shown_rows] == ["int8 static", "float", "int8 dynamic"]
    t.query.value = "INT8"
    assert [r["model"] for r in t.shown_rows] == ["int8 static", "int8 dynamic"]
    assert "float" not in t.table.value and "int8 static" in t.table.value
    t.order.value = "descending"
    t.sort_by.value = "acc"
    assert [r["model"] for r in t.shown_rows] == ["int8 dynamic", "int8 static"]
    with pytest.raises(ValueError, match="columns"):
        ProfileTable(rows, sort_by="nope")


def test_bn_recalibration_after_pruning_uses_the_pruned_features():
    """Pruning's step 0 is AdaBN (clskit.lessons.shift.adapt_bn): every BatchNorm of the pruned net then normalises
    with the mean and variance of the features the *pruned* layers produce, not the ones the full net did."""
    from clskit.lessons.shift import adapt_bn

    m = _cnn()
    images = torch.rand(32, 1, 8, 8)
    small = prune_unstructured(m, 0.8)  # the same BN layers, now fed by sparser convolutions
    fixed = adapt_bn(small, images, batch_size=32)  # one batch: the statistics of exactly these images
    seen = {}
    bns = [b for b in fixed.modules() if isinstance(b, nn.BatchNorm2d)]
    hooks = [b.register_forward_hook(lambda mod, inp, out, i=i: seen.__setitem__(i, inp[0])) for i, b in enumerate(bns)]
    with torch.no_grad():
        fixed(images)
    for h in hooks:
        h.remove()
    for i, bn in enumerate(bns):
        feats = seen[i].transpose(0, 1).flatten(1)             # (channels, N*H*W)
        torch.testing.assert_close(bn.running_mean, feats.mean(1), atol=1e-4, rtol=1e-3)
        torch.testing.assert_close(bn.running_var, feats.var(1), atol=1e-4, rtol=1e-3)   # unbiased, as BN keeps it
    stale = [b for b in small.modules() if isinstance(b, nn.BatchNorm2d)]
    assert not torch.allclose(stale[-1].running_mean, bns[-1].running_mean)   # the copy, not the pruned model, changed
