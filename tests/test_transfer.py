"""Transfer strategies, frozen BatchNorm, discriminative learning rates, embedding cache, linear probe."""
import numpy as np
import pytest
import torch

from clskit.lessons import transfer
from clskit.datasets import DataLoaders, load_dataset
from clskit.inference import accuracy_of
from clskit.training.learner import Learner
from clskit.models import create_model
from clskit.models.heads import find_head
from clskit.lessons.transfer import (FreezeBNCB, discriminative_param_groups, embed, freeze_body,
                             linear_probe, pre_logits, probe_to_linear, sample_per_class,
                             set_frozen_bn_eval, train_transfer, unfreeze)


@pytest.fixture(scope="module")
def data():
    train = sample_per_class(load_dataset("shapes", n_per_class=30, size=32, seed=0), 6)
    valid = load_dataset("shapes", n_per_class=10, size=32, seed=1)
    return train, valid


def bn_buffers(model):
    return {k: v.clone() for k, v in model.state_dict().items() if "running" in k}


def test_find_head_and_freeze_body():
    m = create_model("efficientnet_lite0", num_classes=3)
    assert find_head(m) == "classifier"
    freeze_body(m)
    assert {n for n, p in m.named_parameters() if p.requires_grad} == {"classifier.weight", "classifier.bias"}
    m.train()
    assert set_frozen_bn_eval(m) > 40 and not m.bn1.training and m.training
    unfreeze(m)
    assert all(p.requires_grad for p in m.parameters())


def test_frozen_bn_keeps_running_stats_while_head_trains(data):
    train, _ = data
    m = create_model("efficientnet_lite0", pretrained=True, num_classes=4)
    freeze_body(m)
    before, head_before = bn_buffers(m), m.classifier.weight.clone()
    dls = DataLoaders.from_datasets(train, train, batch_size=8, eval_transform=None)
    dls.valid = None
    Learner(m, dls, lr=1e-2, cbs=[FreezeBNCB()], progress=False, seed=0).fit(1)
    after = bn_buffers(m)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert not torch.equal(head_before, m.classifier.weight)
    # without the callback, train mode updates the running statistics of the frozen layers
    Learner(m, dls, lr=1e-2, progress=False, seed=0).fit(1)
    assert not torch.equal(after["bn1.running_mean"], m.bn1.running_mean)


def test_discriminative_groups_cover_params_and_reach_the_scheduler(data):
    m = create_model("small_cnn", num_classes=4)
    groups = discriminative_param_groups(m, lr=1e-2, n_groups=3, div=100)
    ids = [id(p) for g in groups for p in g["params"]]
    assert sorted(ids) == sorted(id(p) for p in m.parameters()) and len(set(ids)) == len(ids)
    assert [g["max_lr"] for g in groups] == pytest.approx([1e-4, 1e-3, 1e-2])
    assert {id(p) for p in groups[-1]["params"]} == {id(m.head[2].weight), id(m.head[2].bias)}
    dls = DataLoaders.from_datasets(*data, batch_size=8)
    learn = Learner(m, dls, progress=False, seed=0)
    learn.fit(1, param_groups=groups)
    # one-cycle starts every group at its own max_lr / 25 (torch's div_factor)
    assert [g["initial_lr"] for g in learn.opt.param_groups] == pytest.approx([4e-6, 4e-5, 4e-4])
    with pytest.raises(ValueError, match="n_groups"):
        discriminative_param_groups(m, lr=1e-2, n_groups=1)


def test_pre_logits_timm_and_hook_paths():
    x = torch.rand(2, 3, 32, 32)
    m = create_model("efficientnet_lite0", num_classes=3).eval()
    with torch.no_grad():
        assert torch.allclose(pre_logits(m, x), m.forward_head(m.forward_features(x), pre_logits=True))
        cnn = create_model("small_cnn", num_classes=3).eval()
        assert torch.allclose(pre_logits(cnn, x), cnn.pool(cnn.features(x)).flatten(1))


def test_embedding_cache_memory_and_disk(tmp_path, monkeypatch):
    transfer.clear_embedding_cache()
    m = create_model("small_cnn", num_classes=3)
    x = torch.rand(6, 3, 16, 16)
    calls = []
    real = transfer.pre_logits
    monkeypatch.setattr(transfer.embeddings, "pre_logits", lambda model, xb: calls.append(len(xb)) or real(model, xb))
    a = embed(m, x, cache_dir=tmp_path)
    b = embed(m, x, cache_dir=tmp_path)
    assert torch.equal(a, b) and calls == [6]
    assert len(list(tmp_path.glob("emb-*.pt"))) == 1
    transfer.clear_embedding_cache()
    assert torch.equal(embed(m, x, cache_dir=tmp_path), a) and calls == [6]  # read back from disk
    embed(m, x + 0.01, cache_dir=tmp_path)                                  # other images: a new key
    assert calls == [6, 6]
    m.head[2].reset_parameters()                                            # the head does not matter
    embed(m, x)
    assert calls == [6, 6]


def test_embedding_cache_reuses_rows_of_images_seen_before(tmp_path, monkeypatch):
    transfer.clear_embedding_cache()
    m = create_model("small_cnn", num_classes=3)
    x = (torch.rand(8, 3, 16, 16) * 255).to(torch.uint8)
    calls = []
    real = transfer.pre_logits
    monkeypatch.setattr(transfer.embeddings, "pre_logits", lambda model, xb: calls.append(len(xb)) or real(model, xb))
    whole = embed(m, x, cache_dir=tmp_path)
    part = embed(m, x[[5, 1, 2]], cache_dir=tmp_path)                     # a subset: no forward pass
    assert calls == [8] and torch.equal(part, whole[[5, 1, 2]])
    more = torch.cat([x[:2], (torch.rand(3, 3, 16, 16) * 255).to(torch.uint8)])
    mixed = embed(m, more, cache_dir=tmp_path)                            # only the 3 new images run
    assert calls == [8, 3] and torch.equal(mixed[:2], whole[:2])
    assert torch.allclose(mixed, embed(m, more, cache=False), atol=1e-5)  # same values as computed afresh
    embed(m, x[:3], transform=lambda b: b * 0.5, cache_dir=tmp_path)      # another transform: computed
    assert calls[-1] == 3
    transfer.clear_embedding_cache()
    embed(m, x[:4], cache_dir=tmp_path)                                   # memory cleared: computed again
    assert calls[-1] == 4


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probe_folds_into_a_linear_layer(n_classes):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 5)) * [1, 2, 3, 4, 5] + 3
    y = np.arange(60) % n_classes
    x[:, 0] += y * 2
    probe = linear_probe(x, y, C=0.5)
    layer = probe_to_linear(probe)
    with torch.no_grad():
        p = torch.softmax(layer(torch.tensor(x, dtype=torch.float32)), 1).numpy()
    np.testing.assert_allclose(p, probe.predict_proba(x), atol=1e-4)


def test_sample_per_class_nested_and_errors():
    ds = load_dataset("digits")
    small, big = sample_per_class(ds, 3, seed=1), sample_per_class(ds, 6, seed=1)
    assert small.class_counts().tolist() == [3] * 10
    rows = lambda d: {tuple(r) for r in d.images.flatten(1).tolist()}
    assert rows(small) <= rows(big)
    with pytest.raises(ValueError, match="smallest class"):
        sample_per_class(ds, 1000)


def test_linear_probe_strategy_beats_chance_and_model_agrees(data):
    train, valid = data
    res = train_transfer("linear_probe", train, valid, size=64)
    assert res.accuracy > 0.6  # 4 classes: chance is 0.25
    assert accuracy_of(res.model, valid, res.transform) == pytest.approx(res.accuracy, abs=0.02)


@pytest.mark.parametrize("strategy", ["head", "fine_tune", "full", "scratch"])
def test_trained_strategies_run_and_report_accuracy(data, strategy):
    train, valid = data
    kw = {"scratch_model": "small_cnn"} if strategy == "scratch" else {}
    small = sample_per_class(train, 3)
    res = train_transfer(strategy, small, valid, size=32, epochs=1, head_epochs=1, batch_size=12, lr=1e-3, **kw)
    assert 0 <= res.accuracy <= 1 and res.n_train == 12 and res.history
    assert accuracy_of(res.model, valid, res.transform) == pytest.approx(res.accuracy)
    trainable = {n: p.requires_grad for n, p in res.model.named_parameters()}
    if strategy == "head":
        assert sum(trainable.values()) == 2
    elif strategy == "fine_tune":   # all but BatchNorm (frozen by default for small-data fine-tuning)
        assert not trainable["bn1.weight"] and trainable["conv_stem.weight"] and trainable["classifier.weight"]
    else:
        assert all(trainable.values())


def test_fine_tune_starts_from_the_probe_or_a_trained_head(data):
    train, valid = data
    small = sample_per_class(train, 3)
    probe = train_transfer("linear_probe", small, valid, size=32)
    # with zero learning-rate steps the LP-FT model is the probe itself
    ft = train_transfer("fine_tune", small, valid, size=32, epochs=1, lr=1e-12, batch_size=12)
    assert ft.accuracy == pytest.approx(probe.accuracy, abs=0.03)
    tr = train_transfer("fine_tune", small, valid, size=32, epochs=1, head_epochs=1, head_init="train",
                        freeze_bn=False, batch_size=12)
    assert all(p.requires_grad for p in tr.model.parameters())
    with pytest.raises(ValueError, match="head_init"):
        train_transfer("fine_tune", small, valid, head_init="zeros")


def test_unknown_strategy():
    with pytest.raises(ValueError, match="linear_probe"):
        train_transfer("magic", None, None)


def _damage(path, how: str) -> None:
    if how == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "wrong object":
        torch.save({"embeddings": torch.zeros(6, 128)}, path)
    elif how == "wrong rows":
        torch.save(torch.zeros(5, 128), path)
    elif how == "wrong width":
        torch.save(torch.zeros(6, 64), path)
    elif how == "not finite":
        torch.save(torch.full((6, 128), float("nan")), path)


@pytest.mark.parametrize("how", ["truncated", "wrong object", "wrong rows", "wrong width", "not finite"])
def test_a_damaged_embedding_cache_file_is_recomputed_with_one_warning(tmp_path, how):
    from clskit.lessons.transfer.embeddings import EmbeddingCacheWarning

    transfer.clear_embedding_cache()
    torch.manual_seed(0)
    m = create_model("small_cnn", num_classes=3)
    x = torch.rand(6, 3, 16, 16)
    right = embed(m, x, cache=False)
    embed(m, x, cache_dir=tmp_path)
    (path,) = tmp_path.glob("emb-*.pt")
    _damage(path, how)
    transfer.clear_embedding_cache()
    with pytest.warns(EmbeddingCacheWarning, match=f"{path.name} .*computed again") as record:
        got = embed(m, x, cache_dir=tmp_path)
        embed(m, x[:3], cache_dir=tmp_path)             # the memory cache now answers: no second warning
    assert len(record) == 1
    assert torch.allclose(got, right, atol=1e-5)
    transfer.clear_embedding_cache()
    assert torch.allclose(torch.load(path, weights_only=True), right, atol=1e-5)   # the file was healed


def test_an_unwritable_cache_folder_costs_the_cache_not_the_result(tmp_path):
    import warnings

    from clskit.lessons.transfer.embeddings import EmbeddingCacheWarning

    transfer.clear_embedding_cache()
    (tmp_path / "a_file").write_text("not a folder")
    m = create_model("small_cnn", num_classes=3)
    x = torch.rand(6, 3, 16, 16)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        got = embed(m, x, cache_dir=tmp_path / "a_file" / "cache")
        again = embed(m, x + 0.5, cache_dir=tmp_path / "a_file" / "cache")
    msgs = [str(w.message) for w in record if issubclass(w.category, EmbeddingCacheWarning)]
    assert len(msgs) == 1 and "cannot write the embedding cache" in msgs[0] and "CLSKIT_CACHE_DIR" in msgs[0]
    assert torch.allclose(got, embed(m, x, cache=False), atol=1e-5) and again.shape == (6, 128)
    assert (tmp_path / "a_file").read_text() == "not a folder"
