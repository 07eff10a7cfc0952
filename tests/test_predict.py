"""Export a model with its preprocessing, load it back, and predict on image files."""
import numpy as np
import pytest
import torch

from clskit.checkpoint import save_checkpoint
from clskit.models import create_model
from clskit.models.pretrained import Preprocess
from clskit.predict import Predictor, export_model, image_files, load_image


@pytest.fixture
def photos(tmp_path):
    from PIL import Image

    rng = np.random.default_rng(0)
    folder = tmp_path / "new"
    folder.mkdir()
    for i, (h, w) in enumerate([(40, 60), (50, 30)]):
        Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).save(folder / f"img{i}.png")
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_export_load_predict_roundtrip(tmp_path, photos):
    torch.manual_seed(0)
    model = create_model("small_cnn", num_classes=3, widths=(8, 16)).eval()
    tfm = Preprocess(size=24)
    path = export_model(model, tmp_path / "m.pt", model_name="small_cnn", classes=["a", "b", "c"], transform=tfm,
                        model_kwargs={"widths": (8, 16)}, accuracy=0.5)
    pred = Predictor.load(path)
    assert pred.classes == ["a", "b", "c"] and pred.transform == tfm and pred.meta["accuracy"] == 0.5
    files = image_files(photos)
    assert [f.name for f in files] == ["img0.png", "img1.png"]
    rows = pred.predict(photos, k=2)
    x = torch.stack([load_image(f, size=24) for f in files])
    with torch.no_grad():
        want = torch.softmax(model(tfm(x)), 1)
    for row, p in zip(rows, want):
        assert row["label"] == ["a", "b", "c"][int(p.argmax())]
        assert row["probability"] == pytest.approx(float(p.max()), abs=1e-4) and len(row["top"]) == 2


def test_load_image_crops_to_square(photos):
    x = load_image(photos / "img0.png", size=16)
    assert x.shape == (3, 16, 16) and 0 <= x.min() and x.max() <= 1
    assert load_image(photos / "img0.png").shape == (3, 40, 60)
    with pytest.raises(ValueError, match="not an image"):
        load_image(photos / "notes.txt")
    with pytest.raises(FileNotFoundError):
        load_image(photos / "missing.jpg")


def test_plain_checkpoint_is_refused_with_a_fix(tmp_path):
    model = create_model("small_cnn", num_classes=2)
    path = save_checkpoint(tmp_path / "plain.pt", model, classes=["a", "b"])
    with pytest.raises(ValueError, match="export_model"):
        Predictor.load(path)
    with pytest.raises(TypeError, match="Preprocess"):
        export_model(model, tmp_path / "x.pt", model_name="small_cnn", classes=["a", "b"], transform=lambda x: x)
