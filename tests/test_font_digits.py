"""Synthetic font digits: made like scikit-learn's real digits, seeded, and usable as their stand-in."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from clskit.datasets import list_datasets, load_dataset
from clskit.datasets.font_digits import block_counts, font_files


def test_registered_with_the_real_digits_shape_classes_and_grey_levels():
    assert "font_digits" in list_datasets()
    syn, real = load_dataset("font_digits", n_per_class=5, seed=0), load_dataset("digits")
    assert syn.image_shape == real.image_shape and syn.classes == real.classes
    assert np.bincount(syn.targets.numpy()).tolist() == [5] * 10
    # the same 17 levels as the real set: round(count / 16 * 255) for counts 0..16
    levels = {round(c / 16 * 255) for c in range(17)}
    assert set(syn.images.unique().tolist()) <= levels
    assert set(real.images.unique().tolist()) <= levels


def test_seeded_and_varied():
    a, b = load_dataset("font_digits", n_per_class=4, seed=1), load_dataset("font_digits", n_per_class=4, seed=1)
    assert torch.equal(a.images, b.images)
    assert not torch.equal(a.images, load_dataset("font_digits", n_per_class=4, seed=2).images)
    ones = a.images[a.targets == 1].reshape(4, -1)
    assert len({tuple(r.tolist()) for r in ones}) == 4            # the warps make every copy different


def test_block_counts_is_the_optdigits_reduction():
    b = np.zeros((1, 32, 32), bool)
    b[0, :4, :4] = True                    # one full block
    b[0, 4:6, 0] = True                    # two pixels in the block below it
    c = block_counts(b)
    assert c.shape == (1, 8, 8) and c[0, 0, 0] == 16 and c[0, 1, 0] == 2 and c.sum() == 18
    with pytest.raises(ValueError, match=r"\(N, 32, 32\)"):
        block_counts(np.zeros((2, 16, 16), bool))


def test_a_model_trained_on_fonts_reads_real_handwriting_above_chance():
    from clskit import DataLoaders, Learner, create_model, split_dataset
    from clskit.inference import accuracy_of

    syn = load_dataset("font_digits", n_per_class=60, seed=0)
    _, _, test = split_dataset(load_dataset("digits"), seed=0)
    model = create_model("small_cnn", num_classes=10, in_chans=1, widths=(16, 32, 64))
    Learner(model, DataLoaders.from_datasets(syn, test, batch_size=32), lr=1e-2, seed=0, progress=False).fit(4)
    assert accuracy_of(model.cpu(), DataLoaders.from_datasets(test, test).valid) > 0.35   # chance: 0.10


def test_bad_options_are_named():
    with pytest.raises(ValueError, match="n_per_class"):
        load_dataset("font_digits", n_per_class=0)
    with pytest.raises(FileNotFoundError, match="matplotlib"):
        font_files(("NoSuchFont",))
    assert len(font_files()) >= 10
