"""Batch augmentation (per-image randomness), torchvision policies on float batches, MixUp/CutMix,
their use with the Learner, and the augmentation playground widget."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torchvision.transforms import v2

from clskit.datasets.transforms import (PRESETS, Augment, Compose, CutMix, MixUp, MixUpCutMix, Normalize, PerSample, augment,
                               with_mixing)


def _batch(b=16, c=3, s=16):
    torch.manual_seed(0)
    return torch.rand(b, c, s, s)


def test_flip_is_per_image_and_matches_torch():
    x = _batch()
    out = Augment(flip=0.5, seed=0)(x)
    flipped = torch.tensor([torch.allclose(o, xi.flip(-1), atol=1e-5) for o, xi in zip(out, x)])
    same = torch.tensor([torch.allclose(o, xi, atol=1e-5) for o, xi in zip(out, x)])
    assert (flipped | same).all() and 0 < flipped.sum() < len(x)        # some flipped, not all
    assert torch.allclose(Augment(flip=1.0)(x), x.flip(-1), atol=1e-5)


def test_rotation_matches_torchvision_rotate():
    # Rotation about the centre, compared with torchvision's functional rotate (bilinear) away from the borders.
    x = _batch(1, 3, 32)
    ours = Augment(rotate=30, seed=0)
    angle = float(torch.rand(1, generator=torch.Generator().manual_seed(0)) * 60 - 30)
    out = ours(x)
    ref = v2.functional.rotate(x, -angle, interpolation=v2.InterpolationMode.BILINEAR)
    inner = (slice(None), slice(None), slice(10, 22), slice(10, 22))
    assert (out[inner] - ref[inner]).abs().mean() < 0.02


def test_colour_brightness_matches_torchvision():
    x = _batch(8)
    out = Augment(brightness=0.5, seed=0)(x)
    factors = torch.rand(8, generator=torch.Generator().manual_seed(0)) + 0.5
    expected = torch.stack([v2.functional.adjust_brightness(xi, float(f)) for xi, f in zip(x, factors)])
    assert torch.allclose(out, expected, atol=1e-5)
    sat = Augment(saturation=0.5, hue=0.1, seed=1)(x)
    assert sat.shape == x.shape and (sat >= 0).all() and (sat <= 1).all()


def test_cutout_erases_one_box_per_image():
    x = torch.ones(6, 3, 20, 20)
    out = Augment(erase=1.0, erase_area=0.25, seed=0)(x)
    zeros = (out == 0).all(1).flatten(1).sum(1)
    assert (zeros == 100).all()                                          # a 10x10 box in each image


def test_presets_and_strength():
    x = _batch()
    for name in PRESETS:
        y = augment(name, seed=0)(x)
        assert y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1
    assert torch.equal(augment("none")(x), x)
    assert augment("strong", strength=0.0)(x).allclose(x, atol=1e-5)
    with pytest.raises(KeyError, match="unknown augmentation preset"):
        augment("nope")
    with pytest.raises(ValueError, match="non-negative"):
        Augment(rotate=-1)


@pytest.mark.parametrize("name", ["autoaugment", "randaugment", "trivialaugment"])
def test_policies_work_on_float_batches(name):
    x = _batch(6, 3, 32)
    y = augment(name, seed=0)(x)
    assert y.dtype == torch.float32 and y.shape == x.shape and 0 <= float(y.min()) and float(y.max()) <= 1
    # values are on the uint8 grid: the policy ran on uint8 images
    assert torch.allclose(y * 255, (y * 255).round(), atol=1e-3)


def test_per_sample_draws_independently():
    x = torch.arange(16.0).view(1, 1, 4, 4).repeat(32, 3, 1, 1) / 16
    out = PerSample(v2.RandomHorizontalFlip(0.5))(x)
    n_flipped = sum(torch.equal(o, x[0].flip(-1)) for o in out)
    assert 0 < n_flipped < 32


def test_compose_and_normalize():
    x = torch.full((2, 3, 4, 4), 0.5)
    out = Compose([Augment(flip=1.0), Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])])(x)
    assert torch.allclose(out, torch.zeros_like(out))


def test_mixup_mixes_images_and_labels_alike():
    torch.manual_seed(0)
    x, y = torch.rand(8, 3, 4, 4), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    m = MixUp(alpha=1.0, num_classes=3, generator=torch.Generator().manual_seed(0))
    xm, ym = m(x, y)
    lam = m.lam
    assert 0 < lam < 1 and ym.shape == (8, 3) and torch.allclose(ym.sum(1), torch.ones(8))
    onehot = F.one_hot(y, 3).float()
    # every mixed image is lam * x_i + (1 - lam) * x_j, and its label mixes the same j
    for i in range(8):
        j = next(j for j in range(8) if torch.allclose(xm[i], lam * x[i] + (1 - lam) * x[j], atol=1e-6))
        assert torch.allclose(ym[i], lam * onehot[i] + (1 - lam) * onehot[j], atol=1e-6)


def test_cutmix_label_weight_is_the_pasted_area():
    x = torch.zeros(6, 1, 10, 10)
    x[1] = 1.0                                       # only image 1 is white, and only it has label 1
    y = torch.tensor([0, 1, 0, 0, 0, 0])
    for seed in range(5):
        xm, ym = CutMix(alpha=1.0, num_classes=2, generator=torch.Generator().manual_seed(seed))(x, y)
        for i in range(6):
            if i != 1:                               # the white fraction pasted = the weight of label 1
                assert abs(ym[i, 1].item() - float(xm[i].mean())) < 1e-6


def test_multilabel_mix_keeps_vectors():
    y = torch.tensor([[1.0, 0, 1], [0, 1, 0]])
    _, ym = MixUpCutMix(num_classes=3)(torch.rand(2, 3, 8, 8), y)
    assert ym.shape == (2, 3) and (ym >= 0).all() and (ym <= 1).all()


def test_with_mixing_trains_and_validates_on_hard_labels():
    from clskit.datasets import DataLoaders, load_dataset, split_dataset
    from clskit.training.learner import Learner
    from clskit.models import create_model

    tr, va, _ = split_dataset(load_dataset("shapes", n_per_class=24, size=16))
    dls = with_mixing(DataLoaders.from_datasets(tr, va, batch_size=16), "both")
    xb, yb = next(iter(dls.train))
    assert yb.dtype == torch.float32 and yb.shape == (16, 4)
    assert next(iter(dls.valid))[1].dtype == torch.long and len(dls.train) == len(dls.train.loader)
    learn = Learner(create_model("small_cnn", num_classes=4, widths=(8, 16)), dls, progress=False, seed=0)
    learn.fit(1)
    h = learn.history[-1]
    assert np.isfinite(h["train_loss"]) and 0 <= h["accuracy"] <= 1


def test_playground_driven_from_python():
    pytest.importorskip("ipywidgets")
    from clskit.datasets import load_dataset
    from clskit.views.widgets.augment import AugmentPlayground, augment_grid

    ds = load_dataset("shapes", n_per_class=3, size=16)
    pg = AugmentPlayground(ds, n=6, cols=3, scale=1, preset="none")
    first = pg.image.value
    assert pg.grid.shape == (2 * 18 - 2, 3 * 18 - 2, 3)
    assert np.allclose(pg.grid[:16, :16], ds.float_images(0).permute(1, 2, 0).numpy())  # first tile: original
    assert np.allclose(pg.grid[:16, 18:34], pg.grid[:16, :16])          # no augmentation: copies
    pg.sliders["flip"].value = 1.0
    assert pg.transform.flip == 1.0 and pg.image.value != first
    assert np.allclose(pg.grid[:16, 18:34], pg.grid[:16, :16][:, ::-1], atol=1e-5)
    before = pg.image.value
    pg.resample.click()
    assert pg.seed == 1
    pg.policy.value = "randaugment"
    assert isinstance(pg.transform, PerSample) and "randaugment" in pg.status.value
    pg.index.value = 2
    assert pg.image.value != before
    g = augment_grid(ds.float_images(0), Augment(), n=1, cols=1)
    assert g.shape == (16, 16, 3)


def _photo_playground():
    pytest.importorskip("ipywidgets")
    from clskit.datasets import load_dataset
    from clskit.views.widgets.augment import AugmentPlayground

    photos = load_dataset("imagenette_mini", split="valid", size=160)
    return photos, AugmentPlayground(photos, n=8, cols=4, scale=1, preset="standard")


def test_playground_on_real_photos_redraws():
    photos, pg = _photo_playground()
    assert pg.grid.shape == (2 * 162 - 2, 4 * 162 - 2, 3)
    assert np.allclose(pg.grid[:160, :160], photos.float_images(0).permute(1, 2, 0).numpy())  # the photo itself first
    before = pg.image.value
    pg.sliders["rotate"].value = 30.0
    assert pg.transform.rotate == 30.0 and pg.image.value != before


@pytest.mark.benchmark
def test_playground_on_real_photos_redraws_within_a_second():
    """A timing: opt-in (CLSKIT_BENCHMARKS=1), since CPU time on a shared machine is not the code's."""
    import time

    _, pg = _photo_playground()
    start = time.process_time()
    pg.sliders["rotate"].value = 30.0
    cpu = time.process_time() - start
    assert cpu < 1.0, f"one redraw took {cpu:.2f} s of CPU; the playground must answer within a second"
