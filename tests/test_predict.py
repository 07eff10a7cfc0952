"""Export a model with its preprocessing, load it back, and predict on image files."""
import numpy as np
import pytest
import torch

from clskit.training.checkpoint import save_checkpoint
from clskit.models import create_model
from clskit.models.pretrained import Preprocess
from clskit.inference.predict import Predictor, export_model, image_files, load_image


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


class _Spy(torch.nn.Module):
    """Records the batch it is given and returns fixed logits: shows exactly what a model sees."""

    def __init__(self, logits):
        super().__init__()
        self.logits, self.seen = torch.as_tensor(logits, dtype=torch.float32), None
        self.anchor = torch.nn.Parameter(torch.zeros(1))

    def forward(self, x):
        self.seen = x.clone()
        return self.logits.expand(len(x), -1)


def test_phone_photo_with_exif_orientation_is_upright_in_training_and_prediction(tmp_path):
    """A sideways-stored phone photo (EXIF Orientation=6) is read upright by folders and Predictor alike."""
    from PIL import Image

    from clskit import load_image_folder

    # stored 48 wide x 24 high: left half red, right half blue; the tag says "rotate 90° clockwise to view"
    stored = np.zeros((24, 48, 3), np.uint8)
    stored[:, :24] = (255, 0, 0)
    stored[:, 24:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        Image.fromarray(stored).save(tmp_path / cls / "phone.jpg", exif=exif, quality=95)
    before = (tmp_path / "a" / "phone.jpg").read_bytes()
    upright = load_image(tmp_path / "a" / "phone.jpg")
    assert upright.shape == (3, 48, 24), "portrait after applying the tag"
    top, bottom = upright[:, :20].mean((1, 2)), upright[:, -20:].mean((1, 2))
    assert top[0] > 0.8 and top[2] < 0.2 and bottom[2] > 0.8 and bottom[0] < 0.2  # the left side is now on top

    train = load_image_folder(tmp_path, size=16)
    spy = _Spy([[0.0, 1.0]])
    Predictor(spy, ["a", "b"], transform=None, image_size=16).predict([tmp_path / "a" / "phone.jpg"])
    assert torch.equal(spy.seen[0], train.float_images(0)), "training and prediction see the same pixels"
    assert train.float_images(0)[0, :4].mean() > 0.8 and train.float_images(0)[2, -4:].mean() > 0.8
    assert (tmp_path / "a" / "phone.jpg").read_bytes() == before


def test_multilabel_predictor_uses_sigmoids_and_per_label_thresholds(tmp_path, photos):
    torch.manual_seed(0)
    model = create_model("small_cnn", num_classes=3, widths=(8,)).eval()
    last = [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]
    with torch.no_grad():  # a head whose logits are fixed: 2, 0, -1 for every image
        last.weight.zero_()
        last.bias.copy_(torch.tensor([2.0, 0.0, -1.0]))
    path = export_model(model, tmp_path / "ml.pt", model_name="small_cnn", classes=["sky", "tree", "car"],
                        transform=Preprocess(size=24), model_kwargs={"widths": (8,)}, multilabel=True,
                        thresholds=[0.5, 0.6, 0.2])
    pred = Predictor.load(path)
    assert pred.multilabel and pred.thresholds.tolist() == pytest.approx([0.5, 0.6, 0.2])
    rows = pred.predict(photos, k=3)
    want = torch.sigmoid(torch.tensor([2.0, 0.0, -1.0]))  # 0.88, 0.5, 0.27: not a softmax (would sum to 1)
    for row in rows:
        assert row["probabilities"] == pytest.approx(dict(zip(["sky", "tree", "car"], want.tolist())), abs=1e-4)
        assert row["labels"] == ["sky", "car"]  # tree's 0.5 is below its 0.6 threshold, car's 0.27 above 0.2
        assert "label" not in row
    single = Predictor.load(export_model(model, tmp_path / "sl.pt", model_name="small_cnn", classes=["sky", "tree", "car"],
                                         transform=Preprocess(size=24), model_kwargs={"widths": (8,)}))
    assert sum(p for _, p in single.predict(photos, k=3)[0]["top"]) == pytest.approx(1, abs=1e-3)


def test_predictor_reads_at_the_training_image_size(tmp_path, photos):
    spy = _Spy([[0.0, 1.0]])
    Predictor(spy, ["a", "b"], transform=Preprocess(size=24, mean=(0, 0, 0), std=(1, 1, 1)), image_size=12).predict(photos)
    # read at 12 (as the training images were), then resized to 24 by the transform
    assert spy.seen.shape == (2, 3, 24, 24)
    want = torch.nn.functional.interpolate(load_image(photos / "img0.png", size=12)[None], size=(24, 24),
                                           mode="bilinear", antialias=True)
    assert torch.allclose(spy.seen[:1], want, atol=1e-5)
