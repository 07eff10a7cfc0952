"""The own-photos widgets driven from plain Python, on real photos from imagenette_mini."""
from __future__ import annotations

import io
import shutil

import pytest
import torch

from clskit.datasets import data_path
from clskit.lessons.own_photos import FolderTrainer, embed_in_chunks, train_folder_probe
from clskit.views.widgets.upload import PhotoClassifier, classify_photos, image_from_bytes, uploaded_files

PHOTOS = data_path("imagenette_mini")


def _jpeg(cls: str, split: str = "val", i: int = 0) -> tuple[str, bytes]:
    """A real JPEG file's bytes, re-encoded through Pillow as a browser upload of a phone photo would be."""
    from PIL import Image

    path = sorted((PHOTOS / split / cls).glob("*.jpg"))[i]
    buf = io.BytesIO()
    with Image.open(path) as im:
        im.convert("RGB").save(buf, format="JPEG", quality=90)
    return path.name, buf.getvalue()


def _upload_value(*files: tuple[str, bytes]) -> tuple[dict, ...]:
    # what ipywidgets 8's FileUpload holds after a browser upload
    import datetime as dt

    return tuple({"name": n, "type": "image/jpeg", "size": len(b), "content": memoryview(b),
                  "last_modified": dt.datetime.now(dt.timezone.utc)} for n, b in files)


def _browser_upload(upload, *files: tuple[str, bytes]) -> None:
    """What a browser upload does to a ``FileUpload`` of the installed ipywidgets (7: Colab's; 8)."""
    import ipywidgets

    if ipywidgets.__version__.startswith("7."):
        # 7 syncs the files' metadata and bytes, then a counter; the widget builds its read-only value from them
        upload.metadata = [{"name": n, "type": "image/jpeg", "size": len(b), "lastModified": 0} for n, b in files]
        upload.data = [b for _, b in files]
        upload._counter += 1
    else:
        upload.value = _upload_value(*files)


@pytest.fixture(scope="module")
def imagenet_predictor():
    """The pretrained 1000-class model as a Predictor: no training needed, and it knows 'church'."""
    from clskit.models import create_model
    from clskit.models.pretrained import preprocess_for
    from clskit.inference.predict import Predictor

    model = create_model("efficientnet_lite0", pretrained=True, num_classes=1000)
    classes = model.pretrained_cfg["label_names"]
    return Predictor(model, classes, preprocess_for(model, size=128))


def test_image_from_bytes_decodes_crops_and_rejects_non_images():
    name, data = _jpeg("church")
    x = image_from_bytes(data, size=96, name=name)
    assert x.shape == (3, 96, 96) and x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    assert image_from_bytes(data).shape == (3, 160, 160)   # the stored photos are 160 x 160
    with pytest.raises(ValueError, match="notes.txt.*not an image"):
        image_from_bytes(b"hello, not a photo", name="notes.txt")
    assert uploaded_files(_upload_value((name, data))) == [(name, data)]                           # ipywidgets 8
    assert uploaded_files({name: {"metadata": {"name": name}, "content": data}}) == [(name, data)]  # ipywidgets 7


def test_uploading_real_photos_shows_top_classes_and_the_image(agg_pyplot, imagenet_predictor):
    w = PhotoClassifier(imagenet_predictor, k=3)
    church, golf = _jpeg("church", i=1), _jpeg("golf ball", i=0)   # photos the 1000-class head gets right
    _browser_upload(w.upload, church, golf, ("broken.jpg", b"\xff\xd8 truncated"))
    assert [r["file"] for r in w.rows] == [church[0], golf[0], "broken.jpg"]
    assert w.rows[0]["label"] == "church" and w.rows[1]["label"] == "golf ball"
    for r in w.rows[:2]:
        probs = [p for _, p in r["top"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1.0001
    assert "error" in w.rows[2] and "not an image" in w.rows[2]["error"]
    # what the view shows: per photo an image (PNG of the crop) beside its classes with probabilities
    first = w.results.children[0]
    image, text = first.children
    assert image.value[:4] == b"\x89PNG" and "church" in text.value and f"{w.rows[0]['probability']:.2f}" in text.value
    assert "not an image" in w.results.children[2].value
    assert "3 photo(s)" in w.info.value
    # the same predictions as the Predictor gives for the same crops
    direct = imagenet_predictor.predict_tensor(torch.stack([w.rows[0]["image"], w.rows[1]["image"]]))
    assert direct.argmax(1).tolist() == [imagenet_predictor.classes.index(c) for c in ("church", "golf ball")]
    assert classify_photos(imagenet_predictor, [golf], k=1)[0]["top"][0][0] == "golf ball"


def test_embed_in_chunks_reports_progress_and_matches_embed():
    from clskit.models import create_model
    from clskit.lessons.transfer import embed

    model = create_model("small_cnn", num_classes=2)
    x = torch.rand(7, 3, 16, 16)
    seen = []
    out = embed_in_chunks(model, x, None, chunk=3, progress=lambda stage, done, total: seen.append((done, total)))
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]
    torch.testing.assert_close(out, embed(model, x, cache=False))


@pytest.fixture
def photo_folder(tmp_path):
    """A real two-class photo folder: 10 church and 10 golf-ball photos from imagenette_mini's train split."""
    for cls in ("church", "golf ball"):
        (tmp_path / "photos" / cls).mkdir(parents=True)
        for p in sorted((PHOTOS / "train" / cls).glob("*.jpg"))[:10]:
            shutil.copy2(p, tmp_path / "photos" / cls / p.name)
    return tmp_path / "photos"


def test_folder_trainer_runs_the_whole_path(agg_pyplot, photo_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CLSKIT_CACHE_DIR", str(tmp_path / "cache"))
    t = FolderTrainer(photo_folder, tmp_path / "model.pt", size=96, valid=0.3)
    t.button.click()                                            # what a click does
    r = t.result
    assert r is not None and r.classes == ["church", "golf ball"]
    assert len(r.train) == 14 and len(r.valid) == 6
    correct = int((r.probs.argmax(1) == r.valid.targets).sum())
    assert r.accuracy == correct / 6 and r.interval[0] <= r.accuracy <= r.interval[1]
    assert r.accuracy >= 5 / 6                                   # churches and golf balls: the backbone knows both
    assert t.progress.value == t.progress.max == 6 and "validation photos: 6/6" in t.stage.value
    assert f"{r.accuracy:.3f}" in t.status.value and "model.pt" in t.status.value
    assert t.confusion.counts.sum() == 6 and (tmp_path / "model.pt").exists()
    # the exported model classifies a new photo uploaded into the classifier under the matrix
    _browser_upload(t.classifier.upload, _jpeg("golf ball", "val", 1))
    assert t.classifier.rows[0]["label"] == "golf ball"
    assert t.output.children == (t.confusion.widget, t.classifier.widget)


def test_folder_probe_names_the_problem(tmp_path):
    (tmp_path / "few" / "a").mkdir(parents=True)
    (tmp_path / "few" / "b").mkdir(parents=True)
    for i, p in enumerate(sorted((PHOTOS / "train" / "church").glob("*.jpg"))[:6]):
        shutil.copy2(p, tmp_path / "few" / ("a" if i < 4 else "b") / p.name)
    with pytest.raises(ValueError, match=r"\['b'\] have fewer than 4 photos"):
        train_folder_probe(tmp_path / "few", size=64)
    with pytest.raises(ValueError, match="between 0 and 1"):
        train_folder_probe(tmp_path / "few", valid=1.5)
    with pytest.raises(FileNotFoundError):
        FolderTrainer(tmp_path / "missing", tmp_path / "m.pt").train()
