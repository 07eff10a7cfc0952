"""Splits (stratified, multi-label, grouped), class-count tables, and the leak check."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from clskit.datasets import (ImageDataset, class_count_table, find_leaks, load_dataset,
                             plot_class_counts, split_dataset, split_indices, thumbnails)


def test_stratified_proportions():
    y = np.repeat([0, 1, 2], [500, 300, 200])
    tr, va, te = split_indices(y, valid=0.15, test=0.15, seed=0)
    assert len(tr) + len(va) + len(te) == 1000 and not (set(tr) & set(va)) and not (set(va) & set(te))
    for part in (tr, va, te):
        np.testing.assert_allclose(np.bincount(y[part]) / len(part), [0.5, 0.3, 0.2], atol=0.01)


def test_multilabel_split_keeps_rare_label_everywhere():
    ds = load_dataset("shapes_multilabel", n_images=300, p_label=0.3)
    tr, va, te = split_dataset(ds, seed=0)
    for part in (tr, va, te):
        assert (part.class_counts() > 0).all()


def test_group_split_keeps_groups_together():
    ds = load_dataset("shapes", n_per_class=30, views=3)
    tr, va, te = split_dataset(ds, seed=1)
    assert not set(tr.groups) & set(va.groups) and not set(tr.groups) & set(te.groups)
    assert len(tr) + len(va) + len(te) == len(ds)


def test_class_count_table_and_plot(agg_pyplot):
    tr, va, te = split_dataset(load_dataset("shapes", n_per_class=40, imbalance=4))
    t = class_count_table({"train": tr, "valid": va, "test": te})
    assert t.loc["total", "train"] == len(tr) and t.loc["circle", "test"] == te.class_counts()[0]
    assert abs(t.loc["circle", "train %"] - 70) < 3
    ax = plot_class_counts([tr, va, te])
    assert len(ax.patches) == 3 * 4 and ax.get_legend() is not None


def test_thumbnails_match_a_direct_computation():
    ds = load_dataset("shapes", n_per_class=3, size=32)
    t = thumbnails(ds, size=4)
    direct = ds.float_images().reshape(len(ds), 3, 4, 8, 4, 8).mean((3, 5)).flatten(1)   # 8x8 block means
    assert torch.allclose(t, direct, atol=1e-6)


def test_find_leaks_catches_planted_duplicates():
    ds = load_dataset("shapes", n_per_class=30, size=32, seed=2)
    tr, va = ds.subset(range(0, 100)), ds.subset(range(100, 120))
    # Plant two leaks: an exact copy and a re-encoded (slightly brightened) copy of training images.
    imgs = va.images.clone()
    imgs[0] = tr.images[5]
    imgs[1] = (tr.images[7].int() + 3).clamp(0, 255).to(torch.uint8)
    va = ImageDataset(imgs, va.targets, va.classes)
    leaks = find_leaks({"train": tr, "valid": va})
    found = set(zip(leaks.index_a, leaks.index_b))
    assert {(5, 0), (7, 1)} <= found
    assert found == {(5, 0), (7, 1)}                 # different images do not collide
    assert list(leaks.columns) == ["split_a", "index_a", "split_b", "index_b", "distance"]


def test_split_errors():
    with pytest.raises(ValueError, match="fractions"):
        split_indices(np.zeros(10), valid=0.6, test=0.5)
