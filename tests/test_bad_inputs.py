"""The bad-input battery: every public entry point meets bad input with a clear error that names the
problem (raised by clskit itself, not from deep inside a library), or a handled result; and no file
the user made is corrupted."""
from __future__ import annotations

import hashlib
import traceback
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import clskit
import clskit.datasets
import clskit.lessons.fewshot
import clskit.metrics
import clskit.views.widgets.threshold


def _raised_by_clskit(excinfo) -> bool:
    frames = traceback.extract_tb(excinfo.tb)
    return "clskit" in frames[-1].filename.replace("\\", "/").split("/")


def _ds(n=12, classes=3, size=8, c=1):
    from clskit.datasets import ImageDataset

    g = torch.Generator().manual_seed(0)
    return ImageDataset(torch.randint(0, 255, (n, c, size, size), dtype=torch.uint8, generator=g),
                        torch.arange(n) % classes, [str(i) for i in range(classes)])


def _learner(classes=3, outputs=None, c=1, model_chans=1, device="cpu", **kw):
    from clskit.datasets import DataLoaders
    from clskit.training.learner import Learner
    from clskit.models import create_model

    ds = _ds(classes=classes, c=c)
    model = create_model("small_cnn", num_classes=outputs or classes, in_chans=model_chans, widths=(8,))
    return Learner(model, DataLoaders.from_datasets(ds, ds), progress=False, device=device, **kw)


CASES = {
    # datasets
    "dataset: images without a channel axis": (
        lambda: clskit.datasets.ImageDataset(torch.zeros(4, 8, 8), torch.zeros(4), ["a"]),
        ValueError, r"\(N, C, H, W\)"),
    "dataset: mismatched lengths": (
        lambda: clskit.datasets.ImageDataset(torch.zeros(4, 1, 8, 8), torch.zeros(3), ["a"]),
        ValueError, "different lengths"),
    "dataset: label out of range": (
        lambda: clskit.datasets.ImageDataset(torch.zeros(2, 1, 8, 8), torch.tensor([0, 5]), ["a", "b"]),
        ValueError, "targets must lie in"),
    "dataset: unknown name": (lambda: clskit.load_dataset("imagenet-22k"), KeyError, "unknown dataset"),
    "loader: empty dataset": (lambda: clskit.ArrayLoader(_ds().subset([])), ValueError, "empty dataset"),
    "loader: batch size 0": (lambda: clskit.ArrayLoader(_ds(), batch_size=0), ValueError, "batch_size"),
    "split: fractions over 1": (lambda: clskit.split_dataset(_ds(), valid=0.6, test=0.5), ValueError, "sum below 1"),
    "digits: size below 8": (lambda: clskit.load_dataset("digits", size=4), ValueError, "at least 8"),
    # models
    "model: unknown name": (lambda: clskit.create_model("resnet9000"), KeyError, "unknown model"),
    "model: zero classes": (lambda: clskit.create_model("small_cnn", num_classes=0), ValueError, "num_classes"),
    # learner
    "learner: not a module": (lambda: clskit.Learner("resnet", None), TypeError, "nn.Module"),
    "learner: zero epochs": (lambda: _learner().fit(0), ValueError, "n_epoch"),
    "learner: negative lr": (lambda: _learner().fit(1, lr=-1), ValueError, "lr must be positive"),
    "learner: predict on a 2-D tensor": (lambda: _learner().predict(torch.zeros(8, 8)), ValueError, r"\(C, H, W\)"),
    "learner: predict on a list": (lambda: _learner().predict([[0.0]]), TypeError, "tensor"),
    "learner: bad callback": (lambda: _learner().add_cbs([object()]), TypeError, "Callback"),
    # metrics
    "metrics: mismatched lengths": (lambda: clskit.accuracy([0, 1], [[0.5, 0.5]]), ValueError, "different lengths"),
    "metrics: unknown metric name": (lambda: clskit.metrics.resolve_metrics(["acuracy"]), KeyError, "unknown .*metric"),
    # more metrics and decisions
    "metrics: threshold above 1": (lambda: clskit.metrics.binary_metrics_at([0, 1], [0.2, 0.8], threshold=1.5),
                                   ValueError, r"\[0, 1\]"),
    "metrics: rows that do not sum to 1": (lambda: clskit.accuracy([0, 1], [[0.9, 0.9], [0.4, 0.6]]), ValueError, "sum to 1"),
    "metrics: AUC with one class": (lambda: clskit.metrics.roc_auc([1, 1], [0.2, 0.8]), ValueError, "undefined"),
    "widget: threshold widget with mismatched lengths": (
        lambda: clskit.views.widgets.threshold.ThresholdWidget([0, 1, 1], [0.2, 0.8]), ValueError, "different lengths"),
    # data on disk, transforms, shift, few-shot
    "folder: no class sub-folders": (lambda: clskit.load_image_folder(Path.cwd(), size=32),
                                     ValueError, "no class sub-folders"),
    "augment: unknown preset": (lambda: clskit.augment("wild"), KeyError, "unknown augmentation preset"),
    "augment: one image without a batch axis": (lambda: clskit.augment("standard")(torch.rand(3, 16, 16)),
                                                ValueError, r"\(B, C, H, W\)"),
    "shift: unknown corruption": (lambda: __import__("clskit.lessons.shift").lessons.shift.corrupt(torch.rand(2, 3, 16, 16), "fog", 1), KeyError, "unknown corruption"),
    "few-shot: embeddings and labels disagree": (
        lambda: clskit.lessons.fewshot.prototype_classify(torch.rand(4, 8), torch.tensor([0, 1, 0]), torch.rand(2, 8)),
        ValueError, "rows"),
    # interpretability and pretrained models
    "cam: a layer name the model lacks": (
        lambda: clskit.GradCAM(clskit.create_model("small_cnn", num_classes=3, in_chans=1), target_layer="nope"),
        ValueError, "no layer"),
    "pretrained: zero classes": (lambda: clskit.create_model("efficientnet_lite0", pretrained=True, num_classes=0),
                                 ValueError, "num_classes"),
    "split: too few samples": (lambda: clskit.split_dataset(_ds(n=2, classes=2)), ValueError, "at least 3"),
    # datasets: pixel conventions and class names
    "dataset: float images in 0-255": (lambda: _ImageDataset()(torch.rand(4, 1, 8, 8) * 255, torch.zeros(4), ["a"]),
                                       ValueError, "Divide by 255"),
    "dataset: normalized float images": (lambda: _ImageDataset()(torch.randn(4, 1, 8, 8) * 3, torch.zeros(4), ["a"]),
                                         ValueError, r"must lie in \[0, 1\]"),
    "dataset: NaN pixels": (lambda: _ImageDataset()(torch.full((4, 1, 8, 8), float("nan")), torch.zeros(4), ["a"]),
                            ValueError, "NaN"),
    "dataset: int64 images": (lambda: _ImageDataset()(torch.randint(0, 255, (4, 1, 8, 8)), torch.zeros(4), ["a"]),
                              TypeError, "uint8"),
    "dataset: duplicate class names": (lambda: _ImageDataset()(torch.zeros(4, 1, 8, 8), torch.tensor([0, 1, 2, 0]),
                                                               ["cat", "dog", "cat"]), ValueError, "distinct"),
    "loader: fractional batch size": (lambda: clskit.ArrayLoader(_ds(), batch_size=2.5), ValueError, "whole number"),
    "loaders: fractional batch size": (lambda: clskit.DataLoaders.from_datasets(_ds(), _ds(), batch_size=0.5),
                                       ValueError, "whole number"),
    # models
    "model: zero input channels": (lambda: clskit.create_model("small_cnn", in_chans=0), ValueError, "in_chans"),
    "model: fractional classes": (lambda: clskit.create_model("small_cnn", num_classes=2.5), TypeError, "whole number"),
    "model: a stem stride of 4": (lambda: clskit.create_model("small_cnn", stem_stride=4), ValueError, "stem_stride must be 1"),
    "model: timm name with zero channels": (lambda: clskit.create_model("resnet18", in_chans=0), ValueError, "in_chans"),
    # learner: the first batch tells a wrong model apart
    "learner: fewer outputs than classes": (lambda: _learner(classes=3, outputs=2).fit(1), ValueError, "num_classes=3"),
    "learner: more outputs than classes": (lambda: _learner(classes=3, outputs=10).fit(1), ValueError, "num_classes=3"),
    "learner: grey model, colour images": (lambda: _learner(c=3).fit(1), ValueError, "in_chans=3"),
    "learner: colour model, grey images in lr_find": (lambda: _learner(c=1, model_chans=3).lr_find(num_it=3), ValueError, "in_chans=1"),
    "learner: a device name that does not exist": (lambda: _learner(device="gpu"), ValueError, "device=None"),
    # export and prediction
    "export: class names for another number of outputs": (
        lambda: _export(classes=["a", "b", "c", "d"]), ValueError, "4 names"),
    "export: a model name create_model does not know": (lambda: _export(model_name="smal_cnn"), ValueError, "not a name create_model knows"),
    "export: model_kwargs that build another model": (lambda: _export(model_kwargs={"widths": (4, 8)}), ValueError, "different architecture"),
    "export: thresholds for a single-label model": (lambda: _export(thresholds=0.3), ValueError, "multilabel=True"),
    "export: one threshold per label, wrong count": (lambda: _export(multilabel=True, thresholds=[0.5, 0.5]), ValueError, "one per label"),
    "export: duplicate class names": (lambda: _export(classes=["a", "a", "b"]), ValueError, "distinct"),
    # found walking the entry points as a new user
    "dataset: (N, H, W, C) images": (lambda: _ImageDataset()(torch.zeros(4, 32, 32, 3, dtype=torch.uint8), torch.zeros(4), ["a"]),
                                     ValueError, r"permute\(0, 3, 1, 2\)"),
    "dataset: class names as targets": (lambda: _ImageDataset()(torch.zeros(2, 1, 8, 8, dtype=torch.uint8), ["cat", "dog"], ["cat", "dog"]),
                                        TypeError, "class indices"),
    "loaders: valid set with other classes": (
        lambda: clskit.DataLoaders.from_datasets(_ds(), _ImageDataset()(_ds().images, _ds().targets, ["0", "2", "1"])),
        ValueError, "differ from the training set"),
    "loader: a tensor instead of a dataset": (lambda: clskit.ArrayLoader(torch.zeros(4, 1, 8, 8)), TypeError, "ImageDataset"),
    "learner: a dataset instead of DataLoaders": (lambda: clskit.Learner(
        clskit.create_model("small_cnn", in_chans=1), _ds()), TypeError, "split it first"),
    "learner: fractional epochs": (lambda: _learner().fit(1.5), ValueError, "whole number"),
    "folder: a file instead of a folder": (lambda: clskit.load_image_folder(__file__), NotADirectoryError, "is a file"),
    "folder: size as a string": (lambda: clskit.load_image_folder(Path.cwd(), size="64"),
                                 TypeError, "whole number of pixels"),
    "export: a Learner instead of its model": (lambda: clskit.export_model(_learner(), "m.pt", model_name="small_cnn",
                                                                                         classes=["a", "b", "c"]), TypeError, "learn.model"),
    "checkpoint: a text file": (lambda: __import__("clskit.training.checkpoint").training.checkpoint.load_checkpoint(Path(__file__)), ValueError, "not a readable clskit checkpoint"),
    # round two (issue 25): numbers and tensors at every entry point
    "learner: lr=0": (lambda: _learner(lr=0), ValueError, r"lr must be positive .*got 0\. Pass lr=1e-3"),
    "learner: negative lr in Learner()": (lambda: _learner(lr=-1e-3), ValueError, "lr must be positive"),
    "learner: lr as a string": (lambda: _learner(lr="1e-3"), TypeError, "lr must be a number"),
    "learner: seed as a string": (lambda: _learner(seed="42"), TypeError, r"seed must be a whole number.*'42'.*seed=42"),
    "split: seed as a string": (lambda: __import__("clskit").split_dataset(_ds(), seed="0"), TypeError, r"seed=0"),
    "split: fractions that leave train empty": (lambda: __import__("clskit").split_dataset(_ds(n=12), valid=0.45, test=0.5),
                                                ValueError, r"leave the train split empty for 12 images"),
    "split: a stratified part smaller than the classes": (lambda: __import__("clskit").split_dataset(_ds(n=12), valid=0.1),
                                                          ValueError, r"test=0.15 gives 2 of 12 images .* 3 classes.*stratify=False"),
    "predictor: a grey image for an RGB model": (lambda: _predictor(transform=None).predict_tensor(torch.rand(1, 1, 16, 16)),
                                                 ValueError, r"x has 1 channel\(s\) .* expects 3 .*expand\(-1, 3, -1, -1\)"),
    "predictor: float pixels in 0-255": (lambda: _predictor().predict_tensor(torch.rand(1, 3, 16, 16) * 255),
                                         ValueError, r"0-255 values\?.*divide by 255"),
    "learner: predict on float pixels in 0-255": (lambda: _learner().predict(torch.rand(2, 1, 8, 8) * 255),
                                                  ValueError, "divide by 255"),
    "learner: predict on colour images for a grey model": (lambda: _learner().predict(torch.rand(2, 3, 8, 8)),
                                                           ValueError, r"3 channel\(s\) but the model's first layer expects 1"),
    "adapt_bn: grey images for an RGB model": (lambda: _shift().adapt_bn(_rgb_cnn(), torch.rand(4, 1, 16, 16)),
                                               ValueError, r"data has 1 channel\(s\).*expand"),
    "adapt_bn: no images": (lambda: _shift().adapt_bn(_rgb_cnn(), torch.zeros(0, 3, 16, 16)), ValueError, "N >= 1"),
    "report widget: fewer class names than columns": (
        lambda: __import__("clskit.views.widgets.report", fromlist=["x"]).ReportWidget([0, 1, 2], np.eye(3), ["a", "b"]),
        ValueError, r"classes has 2 names .* 3 columns"),
    "confusion widget: fewer class names than columns": (
        lambda: __import__("clskit.views.widgets.confusion", fromlist=["x"]).ConfusionMatrixWidget(
            torch.zeros(3, 1, 8, 8), [0, 1, 2], np.eye(3), ["a", "b"]), ValueError, "one name per column"),
    "ensemble: a Learner instead of its model": (lambda: __import__("clskit.lessons.ensemble", fromlist=["x"]).Ensemble([_learner()]),
                                                 TypeError, r"models\[0\] is a Learner.*learner\.model"),
    "quantize_dynamic: convolutions": (lambda: __import__("clskit.lessons.efficiency", fromlist=["x"]).quantize_dynamic(
        _rgb_cnn(), (torch.nn.Conv2d,)), ValueError, r"cannot quantise Conv2d.*quantize_static"),
    "prune_channels: a ViT": (lambda: __import__("clskit.lessons.efficiency", fromlist=["x"]).prune_channels(
        __import__("clskit").create_model("tiny_vit", num_classes=3), 0.5), ValueError, "cannot prune TinyViT consistently"),
    "few-shot: k_shot=0": (lambda: _episodes(k_shot=0), ValueError, "k_shot must be a whole number of at least 1"),
    "few-shot: episodes=0": (lambda: _episodes(episodes=0), ValueError, "episodes must be a whole number of at least 1"),
    "few-shot: embeddings and labels of different lengths": (lambda: _episodes(n=39), ValueError, r"40 labels.*same images"),
    "few-shot: non-finite embeddings": (lambda: _episodes(nan=True), ValueError, "NaN or infinite"),
    "model: a misspelt timm name": (lambda: __import__("clskit").create_model("resnt18"), KeyError, r"Did you mean 'resnet18'"),
}


def _predictor(transform="default"):
    from clskit.models.pretrained import Preprocess
    from clskit.inference.predict import Predictor

    return Predictor(_rgb_cnn(), ["a", "b", "c"], Preprocess(size=16) if transform == "default" else transform)


def _rgb_cnn():
    from clskit.models import create_model

    return create_model("small_cnn", num_classes=3, widths=(8,))


def _shift():
    import clskit.lessons.shift

    return clskit.lessons.shift


def _episodes(n=40, nan=False, **kw):
    from clskit.lessons.fewshot import evaluate_episodes

    emb = np.random.default_rng(0).normal(size=(n, 8))
    if nan:
        emb[3, 2] = np.nan
    return evaluate_episodes(emb, np.repeat(np.arange(4), 10), n_way=2, k_shot=kw.pop("k_shot", 1), n_query=3, **kw)


def _ImageDataset():
    from clskit.datasets import ImageDataset

    return ImageDataset


def _export(classes=("a", "b", "c"), model_name="small_cnn", model_kwargs=None, **kw):
    from clskit.models import create_model
    from clskit.inference.predict import export_model

    model = create_model("small_cnn", num_classes=3, in_chans=1, widths=(8, 16))
    return export_model(model, Path.cwd() / "m.pt", model_name=model_name, classes=list(classes),
                        in_chans=1, model_kwargs={"widths": (8, 16)} if model_kwargs is None else model_kwargs, **kw)


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_a_clear_error(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # each case runs in its own empty folder: Path.cwd() is where it may write
    fn, exc, pattern = CASES[case]
    with pytest.raises(exc, match=pattern) as excinfo:
        fn()
    assert _raised_by_clskit(excinfo), f"{case}: raised from {traceback.extract_tb(excinfo.tb)[-1].filename}"


def test_checkpoint_for_another_number_of_classes_is_refused_and_left_intact(tmp_path):
    from clskit.training.checkpoint import load_checkpoint, save_checkpoint
    from clskit.models import create_model

    path = tmp_path / "model.pt"
    save_checkpoint(path, create_model("small_cnn", num_classes=3, in_chans=1), classes=["a", "b", "c"])
    before = path.read_bytes()
    with pytest.raises(ValueError, match="number of classes"):
        load_checkpoint(path, create_model("small_cnn", num_classes=5, in_chans=1))
    assert path.read_bytes() == before


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    from clskit.training.checkpoint import load_checkpoint

    path = tmp_path / "broken.pt"
    path.write_bytes(b"PK\x03\x04 not really a checkpoint")
    with pytest.raises(ValueError, match="not a readable clskit checkpoint"):
        load_checkpoint(path)


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    from clskit.training import checkpoint
    from clskit.models import create_model

    path = tmp_path / "model.pt"
    m = create_model("small_cnn", num_classes=3, in_chans=1)
    checkpoint.save_checkpoint(path, m, classes=["a", "b", "c"])
    before = path.read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(checkpoint.torch, "save", boom)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint(path, m, classes=["a", "b", "c"])
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary file left behind


def test_nan_probabilities_do_not_pass_silently():
    from clskit import accuracy

    probs = np.array([[np.nan, 0.5], [0.2, 0.8]])
    with pytest.raises(ValueError, match="NaN"):
        accuracy([0, 1], probs)


def test_cuda_without_a_gpu_says_so_and_suggests_device_none(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="device=None") as excinfo:
        _learner(device="cuda")
    assert "no" in str(excinfo.value) and _raised_by_clskit(excinfo)


# -- what a learner's real photo folder holds ------------------------------------------------------
HTML = b"<!DOCTYPE html>\n<html><head><title>cute cat - Image Search</title></head><body><img src=x></body></html>"


def _messy_photo_folder(root: Path) -> dict[str, str]:
    """Two class folders with what real folders contain; returns {relative path: what it is}."""
    from PIL import Image

    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (24, 32, 3), dtype=np.uint8))
    kinds = {}
    for cls in ("cats", "dogs"):
        (root / cls).mkdir(parents=True)
        photo.save(root / cls / "plain.jpg")
        Image.new("CMYK", (32, 24), (0, 255, 255, 0)).save(root / cls / "cmyk.jpg")          # red in CMYK
        Image.fromarray(np.full((24, 32), 128 * 257, np.uint16)).save(root / cls / "sixteen.png")
        red, blue = Image.new("RGB", (32, 24), (255, 0, 0)), Image.new("RGB", (32, 24), (0, 0, 255))
        red.save(root / cls / "animated.gif", save_all=True, append_images=[blue], duration=100, loop=0)
        photo.save(root / cls / "UPPER.JPG")
        photo.save(root / cls / "SHOUT.PNG")
        photo.save(root / cls / "café_ñ.jpg")
        photo.save(root / cls / "写真.png")
        kinds.update({f"{cls}/{n}": "good" for n in ("plain.jpg", "cmyk.jpg", "sixteen.png", "animated.gif",
                                                     "UPPER.JPG", "SHOUT.PNG", "café_ñ.jpg", "写真.png")})
    (root / "cats" / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1" + bytes(64))
    (root / "cats" / "._plain.jpg").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
    (root / "cats" / ".thumbnails").mkdir()
    photo.save(root / "cats" / ".thumbnails" / "plain.jpg")
    (root / "cats" / "empty.jpg").write_bytes(b"")
    (root / "dogs" / "page.jpg").write_bytes(HTML)
    whole = (root / "cats" / "plain.jpg").read_bytes()
    (root / "dogs" / "truncated.jpg").write_bytes(whole[: len(whole) // 2])
    kinds.update({"cats/.DS_Store": "hidden", "cats/._plain.jpg": "hidden", "cats/.thumbnails/plain.jpg": "hidden",
                  "cats/empty.jpg": "empty file", "dogs/page.jpg": "HTML page", "dogs/truncated.jpg": "truncated"})
    return kinds


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _one_skip_warning(record) -> str:
    from clskit.datasets.folders import SkippedFilesWarning

    msgs = [str(w.message) for w in record if issubclass(w.category, SkippedFilesWarning)]
    assert len(msgs) == 1, msgs
    return msgs[0]


def test_real_folder_battery_loads_what_is_readable_and_changes_nothing(tmp_path):
    from clskit import load_image_folder
    from clskit.datasets.folders import ImageFolderDataset

    kinds = _messy_photo_folder(tmp_path)
    before = _snapshot(tmp_path)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        ds = load_image_folder(tmp_path, size=16)
    msg = _one_skip_warning(record)
    good = sorted(k for k, v in kinds.items() if v == "good")
    assert sorted(ds.meta["paths"]) == good and ds.classes == ["cats", "dogs"]
    for rel, kind in kinds.items():
        if kind in ("empty file", "HTML page", "truncated"):
            assert rel in msg and kind in msg, (rel, msg)
        if kind == "hidden":
            assert rel not in msg  # system files are not photos: left out silently
    x = {p: ds.images[i] for i, p in enumerate(ds.meta["paths"])}
    r, g, b = x["cats/cmyk.jpg"].float().mean((1, 2)).tolist()
    assert r > 200 and g < 60 and b < 60, "CMYK red should arrive as RGB red"
    assert x["cats/sixteen.png"].unique().tolist() == [128], "16-bit 128*257 is 8-bit 128"
    assert x["cats/animated.gif"][0].float().mean() > 200 and x["cats/animated.gif"][2].float().mean() < 50  # frame 0
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        lazy = ImageFolderDataset(tmp_path, size=16)
    assert all(n in _one_skip_warning(record) for n in ("empty file", "HTML page", "truncated"))
    assert sorted(str(p.relative_to(tmp_path)) for p in lazy.paths) == good
    assert _snapshot(tmp_path) == before, "a user file was changed, added or removed"


def test_predictor_on_the_battery_skips_with_one_warning_and_single_bad_files_are_clear(tmp_path):
    from clskit.datasets.images import ImageReadError
    from clskit.models import create_model
    from clskit.models.pretrained import Preprocess
    from clskit.inference.predict import Predictor

    kinds = _messy_photo_folder(tmp_path / "photos")
    before = _snapshot(tmp_path / "photos")
    pred = Predictor(create_model("small_cnn", num_classes=2, widths=(8,)), ["cat", "dog"], Preprocess(size=16))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        rows = pred.predict(tmp_path / "photos", k=1)
    msg = _one_skip_warning(record)
    assert sorted(r["file"] for r in rows) == sorted(Path(k).name for k, v in kinds.items() if v == "good")
    assert all(n in msg for n in ("empty.jpg", "page.jpg", "truncated.jpg")) and ".DS_Store" not in msg
    for rel, pattern in (("cats/empty.jpg", "empty file"), ("dogs/page.jpg", "HTML page.*Save image as"),
                         ("dogs/truncated.jpg", "truncated")):
        with pytest.raises(ImageReadError, match=pattern) as excinfo:
            pred.predict(tmp_path / "photos" / rel)
        assert isinstance(excinfo.value, ValueError) and _raised_by_clskit(excinfo)
    with pytest.raises(FileNotFoundError, match="no image file"):
        pred.predict(tmp_path / "photos" / "cats" / "gone.jpg")
    with pytest.raises(ValueError, match="k must be"):
        pred.predict(tmp_path / "photos", k=0)
    assert _snapshot(tmp_path / "photos") == before


def test_exported_model_files_are_plain_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # _export writes into the current folder, which must not be the clone
    path = _export()
    ckpt = torch.load(path, weights_only=True)
    assert ckpt["format_kind"] == "clskit-predictor" and ckpt["model_kwargs"] == {"widths": [8, 16]}


def test_uint8_images_are_scaled_like_float_ones_in_predict():
    learn, ds = _learner(), _ds()
    assert torch.allclose(learn.predict(ds.images[:3]), learn.predict(ds.float_images(slice(0, 3))))


def test_uploaded_bytes_go_through_the_same_reader(tmp_path):
    import io

    from PIL import Image

    from clskit.datasets.images import ImageReadError, read_image

    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8))
    img.save(tmp_path / "a.png")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    assert np.array_equal(read_image(buf.getvalue(), 16), read_image(tmp_path / "a.png", 16))
    with pytest.raises(ImageReadError, match="cat.jpg is an HTML page"):
        read_image(HTML, 16, name="cat.jpg")
    with pytest.raises(ImageReadError, match="empty"):
        read_image(b"", 16)


def test_damaged_file_error_names_the_file_not_its_absolute_path(tmp_path, monkeypatch):
    # some Pillow errors repeat the file's path; a message shown in a notebook must not carry a local path
    from PIL import Image

    from clskit.datasets.images import ImageReadError, read_image

    p = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 8)).save(p)

    def broken(fp, *a, **k):
        raise OSError(f"broken data stream when reading image file {fp}")

    monkeypatch.setattr(Image, "open", broken)
    with pytest.raises(ImageReadError) as e:
        read_image(p)
    assert str(e.value).startswith("photo.jpg is truncated or damaged") and str(tmp_path) not in str(e.value)
    assert "image file photo.jpg" in e.value.reason


# -- images of extreme shape ------------------------------------------------------------------------
_STRIP_SCRIPT = r"""
import io, resource, sys, warnings
from pathlib import Path
import torch
from PIL import Image
from clskit.datasets.folders import load_image_folder
from clskit.datasets.images import read_image
from clskit.models import create_model
from clskit.models.pretrained import Preprocess
from clskit.inference.predict import Predictor
from clskit.views.widgets.upload import image_from_bytes

root = Path(sys.argv[1])
pred = Predictor(create_model("small_cnn", num_classes=2, widths=(8,)), ["strips", "squares"], Preprocess(size=32))
upload = (root / "strips" / "wide.png").read_bytes()
read_image(root / "squares" / "0.png", 32)                       # warm up every code path once
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss       # peak resident memory so far, in kB
ds = load_image_folder(root, size=32)
squashed = load_image_folder(root, size=32, resize="squash")
rows = pred.predict(root, k=1)
up = image_from_bytes(upload, size=32)
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
print(len(ds), tuple(ds.image_shape), len(squashed), len(rows), tuple(up.shape), f"{grown:.0f}")
print(ds.images[ds.targets == 1].float().mean((0, 2, 3)).round().tolist())
"""


def test_images_of_extreme_aspect_ratio_are_cropped_first_in_bounded_memory(tmp_path):
    # a 1,000,000x1 PNG is 3 kB; resized whole before the centre crop it would take 3 GB
    import os
    import subprocess
    import sys

    from PIL import Image

    root = tmp_path / "photos"
    (root / "strips").mkdir(parents=True)
    (root / "squares").mkdir()
    Image.new("RGB", (1_000_000, 1), (200, 20, 40)).save(root / "strips" / "wide.png")
    Image.new("RGB", (1, 1_000_000), (200, 20, 40)).save(root / "strips" / "tall.png")
    Image.new("RGB", (48, 40), (10, 120, 250)).save(root / "squares" / "0.png")
    assert (root / "strips" / "wide.png").stat().st_size < 10_000
    before = _snapshot(root)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    out = subprocess.run([sys.executable, "-c", _STRIP_SCRIPT, str(root)], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    counts, colours = out.stdout.strip().splitlines()
    # every strip is read (folder, squashed folder, Predictor, upload), at the asked size, in its colour
    assert counts.startswith("3 (3, 32, 32) 3 3 (3, 32, 32)"), counts
    assert colours == "[200.0, 20.0, 40.0]", colours
    grown_mb = float(counts.split()[-1])
    assert grown_mb < 150, f"reading the strips raised peak memory by {grown_mb:.0f} MB"
    assert _snapshot(root) == before


def test_a_class_without_training_images_is_named_before_training():
    from clskit.datasets import DataLoaders, ImageDataset
    from clskit.training.learner import Learner
    from clskit.models import create_model

    g = torch.Generator().manual_seed(0)
    images = torch.randint(0, 255, (8, 1, 8, 8), dtype=torch.uint8, generator=g)
    train = ImageDataset(images, torch.tensor([0, 1, 0, 1, 0, 1, 0, 1]), ["cat", "dog", "bird"])
    learn = Learner(create_model("small_cnn", num_classes=3, in_chans=1, widths=(8,)),
                    DataLoaders.from_datasets(train, train, batch_size=4), progress=False, device="cpu")
    with pytest.warns(UserWarning, match=r"no images of class 'bird' \(index 2\).*never learn to predict it"):
        learn.fit(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # every class present: no warning
        full = ImageDataset(images, torch.arange(8) % 3, ["cat", "dog", "bird"])
        Learner(create_model("small_cnn", num_classes=3, in_chans=1, widths=(8,)),
                DataLoaders.from_datasets(full, full, batch_size=4), progress=False, device="cpu").fit(1)


def test_adapt_bn_that_fails_leaves_the_model_as_it_was():
    from clskit.lessons.shift import adapt_bn

    model = _rgb_cnn().eval()
    with torch.no_grad():
        model(torch.rand(8, 3, 16, 16))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(ValueError, match="channel"):
        adapt_bn(model, torch.rand(4, 1, 16, 16), inplace=True)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(m.momentum == 0.1 for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))


def test_grey_images_through_a_preprocessing_that_expands_them_still_predict():
    # Preprocess repeats one channel for an RGB model: the channel check looks at what reaches the conv
    probs = _predictor().predict_tensor(torch.rand(2, 1, 16, 16))
    assert probs.shape == (2, 3) and torch.allclose(probs.sum(1), torch.ones(2))


def test_photo_classifier_reads_uploads_at_the_exported_image_size_and_changes_no_file(tmp_path):
    import io

    from PIL import Image

    from clskit.models import create_model
    from clskit.models.pretrained import Preprocess
    from clskit.inference.predict import Predictor, export_model
    from clskit.views.widgets.upload import PhotoClassifier

    model = create_model("small_cnn", num_classes=2, widths=(8,))
    path = export_model(model, tmp_path / "m.pt", model_name="small_cnn", classes=["a", "b"],
                        transform=Preprocess(size=24), image_size=40, model_kwargs={"widths": (8,)})
    before = _snapshot(tmp_path)
    pred = Predictor.load(path)
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (50, 70, 3), dtype=np.uint8)).save(buf, "PNG")
    (tmp_path / "photo.png").write_bytes(buf.getvalue())
    rows = PhotoClassifier(pred).show([("photo.png", buf.getvalue())])
    assert pred.read_size == 40 and rows[0]["image"].shape == (3, 40, 40)     # as Predictor.predict reads files
    file_probs = pred.predict(tmp_path / "photo.png", k=2)[0]["top"]
    assert [c for c, _ in rows[0]["top"][:2]] == [c for c, _ in file_probs]
    assert rows[0]["top"][0][1] == pytest.approx(file_probs[0][1], abs=1e-3)
    assert {k: v for k, v in _snapshot(tmp_path).items() if k != "photo.png"} == before
