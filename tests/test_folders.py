"""Image folders and CSVs: every format and mode arrives as RGB; bad files are skipped with one warning."""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from clskit.datasets.folders import ImageFolderDataset, SkippedFilesWarning, load_image_csv, load_image_folder
from clskit.datasets.images import read_image, to_rgb

ROOT = Path(__file__).resolve().parent.parent


def _odd_images(rng) -> dict[str, Image.Image]:
    rgb = Image.fromarray(rng.integers(0, 255, (20, 30, 3), dtype=np.uint8))
    return {
        "rgb.jpg": rgb,
        "grey.png": rgb.convert("L"),
        "la.png": rgb.convert("LA"),
        "palette.gif": rgb.convert("P"),
        "rgba.webp": rgb.convert("RGBA"),
        "cmyk.jpg": rgb.convert("CMYK"),
        "bitmap.bmp": rgb,
        "sixteen.png": Image.fromarray((rng.integers(0, 65535, (20, 30))).astype(np.uint16)),
        "UPPER.JPEG": rgb,
    }


@pytest.fixture
def messy_folder(tmp_path):
    """Two classes with images in every mode, plus corrupt, truncated, empty and non-image files."""
    rng = np.random.default_rng(0)
    for cls in ("cats", "dogs"):
        d = tmp_path / cls
        d.mkdir()
        for name, img in _odd_images(rng).items():
            img.save(d / name)
    good = tmp_path / "cats" / "rgb.jpg"
    (tmp_path / "cats" / "truncated.jpg").write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    (tmp_path / "cats" / "empty.png").write_bytes(b"")
    (tmp_path / "dogs" / "notes.png").write_text("this is not an image")
    (tmp_path / "dogs" / "readme.txt").write_text("ignored: not an image extension")
    (tmp_path / "dogs" / ".hidden.jpg").write_bytes(b"")
    return tmp_path


def test_modes_become_rgb():
    rng = np.random.default_rng(1)
    for name, img in _odd_images(rng).items():
        assert to_rgb(img).mode == "RGB", name
    rgba = Image.new("RGBA", (2, 2), (255, 0, 0, 0))          # fully transparent: white after compositing
    assert to_rgb(rgba).getpixel((0, 0)) == (255, 255, 255)
    sixteen = Image.fromarray(np.array([[0, 65535]], dtype=np.uint16))
    assert to_rgb(sixteen).getpixel((1, 0)) == (255, 255, 255)


def test_load_folder_skips_bad_files_with_one_warning(messy_folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_image_folder(messy_folder, size=16)
    skipped = [w for w in caught if issubclass(w.category, SkippedFilesWarning)]
    assert len(skipped) == 1
    msg = str(skipped[0].message)
    for bad in ("truncated.jpg", "empty.png", "notes.png"):
        assert bad in msg
    assert "rgb.jpg" not in msg and str(messy_folder) not in msg
    assert ds.classes == ["cats", "dogs"] and len(ds) == 18
    assert ds.images.dtype == torch.uint8 and ds.image_shape == (3, 16, 16)
    assert ds.class_counts().tolist() == [9, 9]
    assert "cats/grey.png" in set(ds.meta["paths"])


def test_resize_crop_and_squash(tmp_path):
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 10, 20))                       # red strip on the left quarter
    img.save(tmp_path / "wide.png")
    crop = read_image(tmp_path / "wide.png", size=10, resize="crop")
    squash = read_image(tmp_path / "wide.png", size=10, resize="squash")
    assert crop.shape == squash.shape == (3, 10, 10)
    assert crop[0, 5, 0] < 50 and squash[0, 5, 0] > 200         # the centre crop drops the red strip


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_image_folder(tmp_path / "nope")
    with pytest.raises(ValueError, match="no class sub-folders"):
        load_image_folder(tmp_path)
    (tmp_path / "only").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "only" / "a.png")
    with pytest.raises(ValueError, match="single class"):
        load_image_folder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match="has no images"):
        load_image_folder(tmp_path)


def test_class_with_only_broken_files(tmp_path):
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "a" / "ok.png")
    (tmp_path / "b" / "bad.jpg").write_text("garbage")
    with pytest.warns(SkippedFilesWarning), pytest.raises(ValueError, match="no readable images"):
        load_image_folder(tmp_path)


def test_lazy_dataset_matches_in_memory(messy_folder):
    with pytest.warns(SkippedFilesWarning) as rec:
        lazy = ImageFolderDataset(messy_folder, size=16)
    assert len(rec) == 1
    # The lazy scan only checks headers, so the truncated JPEG is caught when read, with its name.
    names = [p.name for p in lazy.paths]
    assert "empty.png" not in names and "notes.png" not in names
    good = [i for i, p in enumerate(lazy.paths) if p.name != "truncated.jpg"]
    x, y = lazy[good[0]]
    assert x.shape == (3, 16, 16) and x.dtype == torch.float32 and 0 <= float(x.min()) <= float(x.max()) <= 1
    if "truncated.jpg" in names:
        with pytest.raises(OSError, match="truncated.jpg"):
            lazy[names.index("truncated.jpg")]
    with pytest.warns(SkippedFilesWarning):
        mem = load_image_folder(messy_folder, size=16)
    mem_by_path = dict(zip(mem.meta["paths"], range(len(mem))))
    rel = str(lazy.paths[good[0]].relative_to(messy_folder))
    assert torch.allclose(mem.float_images(mem_by_path[rel]), x)
    loader = torch.utils.data.DataLoader(torch.utils.data.Subset(lazy, good), batch_size=4)
    xb, yb = next(iter(loader))
    assert xb.shape == (4, 3, 16, 16)


def test_csv_multilabel(tmp_path):
    for i in range(3):
        Image.new("RGB", (8, 8), (i * 80, 0, 0)).save(tmp_path / f"{i}.png")
    (tmp_path / "labels.csv").write_text("path,labels\n0.png,cat dog\n1.png,dog\n2.png,bird;cat\n")
    ds = load_image_csv(tmp_path / "labels.csv", size=8)
    assert ds.multilabel and ds.classes == ["bird", "cat", "dog"]
    assert ds.targets.tolist() == [[0, 1, 1], [0, 0, 1], [1, 1, 0]]
    (tmp_path / "single.csv").write_text("path,labels\n0.png,cat\n1.png,dog\n")
    single = load_image_csv(tmp_path / "single.csv", size=8, multilabel=False)
    assert single.targets.tolist() == [0, 1]
    (tmp_path / "missing.csv").write_text("path,labels\n0.png,cat\nnope.png,dog\n")
    with pytest.raises(FileNotFoundError, match="line 3: nope.png"):
        load_image_csv(tmp_path / "missing.csv")
    with pytest.raises(ValueError, match="exactly one label"):
        load_image_csv(tmp_path / "labels.csv", multilabel=False)


def test_embedded_folder_sets_open():
    folder = ROOT / "datasets" / "shapes_folder"
    with pytest.warns(SkippedFilesWarning, match="square_99_truncated.jpg"):   # damaged on purpose
        ds = load_image_folder(folder, size=32)
    assert len(ds) >= 24 and len(ds.classes) >= 3
    ml = load_image_csv(ROOT / "datasets" / "shapes_multilabel" / "labels.csv", size=32)
    assert ml.multilabel and len(ml) >= 12
