"""The dataset registry, loaders with samplers (weighted, oversampling)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from clskit.datasets import (ArrayLoader, DataLoaders, OverSampler, WeightedSampler, list_datasets, load_dataset,
                             split_dataset)

EXPECTED = {"digits", "shapes", "shapes_multilabel", "defects", "hymenoptera", "imagenette", "oxford_pets",
            "cifar10", "pneumoniamnist"}


def test_registry_lists_everything():
    assert EXPECTED <= set(list_datasets())
    with pytest.raises(KeyError, match="available"):
        load_dataset("no_such_set")


@pytest.mark.parametrize("name", ["digits", "shapes", "shapes_multilabel", "defects"])
def test_offline_sets_load_and_batch(name):
    kw = {"digits": {}, "shapes": {"n_per_class": 10}, "shapes_multilabel": {"n_images": 30},
          "defects": {"n_per_class": 10, "size": 32}}[name]
    ds = load_dataset(name, **kw)
    xb, yb = next(iter(ArrayLoader(ds, batch_size=8)))
    assert xb.dtype == torch.float32 and 0 <= float(xb.min()) and float(xb.max()) <= 1
    assert len(yb) == 8


def test_weighted_sampler_balances_classes():
    y = np.array([0] * 90 + [1] * 10)
    s = WeightedSampler.balanced(y, num_samples=4000, seed=0)
    drawn = y[list(s)]
    assert len(s) == 4000 and abs(drawn.mean() - 0.5) < 0.04
    assert list(WeightedSampler.balanced(y, seed=1)) == list(WeightedSampler.balanced(y, seed=1))
    with pytest.raises(ValueError, match="non-negative"):
        WeightedSampler([1.0, -1.0])


def test_weighted_sampler_matches_torch_probabilities():
    w = np.array([1.0, 2.0, 7.0])
    counts = np.bincount(list(WeightedSampler(w, num_samples=20000, seed=0)), minlength=3) / 20000
    np.testing.assert_allclose(counts, w / w.sum(), atol=0.015)


def test_oversampler_every_image_once_plus_repeats():
    y = np.array([0] * 6 + [1] * 2 + [2] * 3)
    s = OverSampler(y, seed=0)
    a, b = list(s), list(s)
    assert len(a) == len(s) == 18 and a != b                         # a new order each epoch
    assert set(a) == set(range(len(y)))                              # nobody left out
    assert np.bincount(y[a]).tolist() == [6, 6, 6]
    under = list(OverSampler(y, mode="under", seed=0))
    assert np.bincount(y[under]).tolist() == [2, 2, 2] and len(set(under)) == 6


def test_samplers_in_loaders_and_torch_dataloader():
    ds = load_dataset("shapes", n_per_class=40, imbalance=8)
    tr, va, _ = split_dataset(ds)
    sampler = OverSampler(tr.targets)
    dls = DataLoaders.from_datasets(tr, va, batch_size=16, sampler=sampler)
    ys = torch.cat([yb for _, yb in dls.train])
    assert len(ys) == len(sampler) and len(set(np.bincount(ys.numpy()).tolist())) == 1
    tl = torch.utils.data.DataLoader(tr, batch_size=16, sampler=WeightedSampler.balanced(tr.targets, seed=0))
    xb, yb = next(iter(tl))
    assert xb.shape == (16, 3, 32, 32)


def test_samplers_reject_multilabel():
    with pytest.raises(ValueError, match="multi-label"):
        OverSampler(np.zeros((4, 3)))
