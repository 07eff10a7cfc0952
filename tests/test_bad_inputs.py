"""The bad-input battery: every public entry point meets bad input with a clear error that names the
problem (raised by clskit itself, not from deep inside a library), or a handled result; and no file
the user made is corrupted."""
from __future__ import annotations

import traceback

import numpy as np
import pytest
import torch


def _raised_by_clskit(excinfo) -> bool:
    frames = traceback.extract_tb(excinfo.tb)
    return "clskit" in frames[-1].filename.replace("\\", "/").split("/")


def _ds(n=12, classes=3, size=8, c=1):
    from clskit.datasets import ImageDataset

    g = torch.Generator().manual_seed(0)
    return ImageDataset(torch.randint(0, 255, (n, c, size, size), dtype=torch.uint8, generator=g),
                        torch.arange(n) % classes, [str(i) for i in range(classes)])


def _learner(classes=3):
    from clskit.datasets import DataLoaders
    from clskit.learner import Learner
    from clskit.models import create_model

    ds = _ds(classes=classes)
    return Learner(create_model("small_cnn", num_classes=classes, in_chans=1), DataLoaders.from_datasets(ds, ds),
                   progress=False, device="cpu")


CASES = {
    # datasets
    "dataset: images without a channel axis": (
        lambda: __import__("clskit.datasets", fromlist=["x"]).ImageDataset(torch.zeros(4, 8, 8), torch.zeros(4), ["a"]),
        ValueError, r"\(N, C, H, W\)"),
    "dataset: mismatched lengths": (
        lambda: __import__("clskit.datasets", fromlist=["x"]).ImageDataset(torch.zeros(4, 1, 8, 8), torch.zeros(3), ["a"]),
        ValueError, "different lengths"),
    "dataset: label out of range": (
        lambda: __import__("clskit.datasets", fromlist=["x"]).ImageDataset(torch.zeros(2, 1, 8, 8), torch.tensor([0, 5]), ["a", "b"]),
        ValueError, "targets must lie in"),
    "dataset: unknown name": (lambda: __import__("clskit").load_dataset("imagenet-22k"), KeyError, "unknown dataset"),
    "loader: empty dataset": (lambda: __import__("clskit").ArrayLoader(_ds().subset([])), ValueError, "empty dataset"),
    "loader: batch size 0": (lambda: __import__("clskit").ArrayLoader(_ds(), batch_size=0), ValueError, "batch_size"),
    "split: fractions over 1": (lambda: __import__("clskit").split_dataset(_ds(), val=0.6, test=0.5), ValueError, "sum below 1"),
    "digits: size below 8": (lambda: __import__("clskit").load_dataset("digits", size=4), ValueError, "at least 8"),
    # models
    "model: unknown name": (lambda: __import__("clskit").create_model("resnet9000"), KeyError, "unknown model"),
    "model: zero classes": (lambda: __import__("clskit").create_model("small_cnn", num_classes=0), ValueError, "num_classes"),
    # learner
    "learner: not a module": (lambda: __import__("clskit").Learner("resnet", None), TypeError, "nn.Module"),
    "learner: zero epochs": (lambda: _learner().fit(0), ValueError, "n_epoch"),
    "learner: negative lr": (lambda: _learner().fit(1, lr=-1), ValueError, "lr must be positive"),
    "learner: predict on a 2-D tensor": (lambda: _learner().predict(torch.zeros(8, 8)), ValueError, r"\(C, H, W\)"),
    "learner: predict on a list": (lambda: _learner().predict([[0.0]]), TypeError, "tensor"),
    "learner: bad callback": (lambda: _learner().add_cbs([object()]), TypeError, "Callback"),
    # metrics
    "metrics: mismatched lengths": (lambda: __import__("clskit").accuracy([0, 1], [[0.5, 0.5]]), ValueError, "different lengths"),
    "metrics: unknown metric name": (lambda: __import__("clskit.metrics", fromlist=["x"]).resolve_metrics(["acuracy"]), KeyError, "unknown .*metric"),
    # more metrics and decisions
    "metrics: threshold above 1": (lambda: __import__("clskit.metrics", fromlist=["x"]).binary_metrics_at([0, 1], [0.2, 0.8], threshold=1.5),
                                   ValueError, r"\[0, 1\]"),
    "metrics: rows that do not sum to 1": (lambda: __import__("clskit").accuracy([0, 1], [[0.9, 0.9], [0.4, 0.6]]), ValueError, "sum to 1"),
    "metrics: AUC with one class": (lambda: __import__("clskit.metrics", fromlist=["x"]).roc_auc([1, 1], [0.2, 0.8]), ValueError, "undefined"),
    "widget: threshold widget with mismatched lengths": (
        lambda: __import__("clskit.widgets.threshold", fromlist=["x"]).ThresholdWidget([0, 1, 1], [0.2, 0.8]), ValueError, "different lengths"),
    # data on disk, transforms, shift, few-shot
    "folder: no class sub-folders": (lambda: __import__("clskit").load_image_folder(__import__("tempfile").mkdtemp(), size=32),
                                     ValueError, "no class sub-folders"),
    "augment: unknown preset": (lambda: __import__("clskit").augment("wild"), KeyError, "unknown augmentation preset"),
    "augment: one image without a batch axis": (lambda: __import__("clskit").augment("standard")(torch.rand(3, 16, 16)),
                                                ValueError, r"\(B, C, H, W\)"),
    "shift: unknown corruption": (lambda: __import__("clskit").corrupt(torch.rand(2, 3, 16, 16), "fog", 1), KeyError, "unknown corruption"),
    "few-shot: embeddings and labels disagree": (
        lambda: __import__("clskit.fewshot", fromlist=["x"]).prototype_classify(torch.rand(4, 8), torch.tensor([0, 1, 0]), torch.rand(2, 8)),
        ValueError, "rows"),
    # interpretability and pretrained models
    "cam: a layer name the model lacks": (
        lambda: __import__("clskit").GradCAM(__import__("clskit").create_model("small_cnn", num_classes=3, in_chans=1), target_layer="nope"),
        ValueError, "no layer"),
    "pretrained: zero classes": (lambda: __import__("clskit").create_model("efficientnet_lite0", pretrained=True, num_classes=0),
                                 ValueError, "num_classes"),
    "split: too few samples": (lambda: __import__("clskit").split_dataset(_ds(n=2, classes=2)), ValueError, "at least 3"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_gets_a_clear_error(case):
    fn, exc, pattern = CASES[case]
    with pytest.raises(exc, match=pattern) as excinfo:
        fn()
    assert _raised_by_clskit(excinfo), f"{case}: raised from {traceback.extract_tb(excinfo.tb)[-1].filename}"


def test_checkpoint_for_another_number_of_classes_is_refused_and_left_intact(tmp_path):
    from clskit.checkpoint import load_checkpoint, save_checkpoint
    from clskit.models import create_model

    path = tmp_path / "model.pt"
    save_checkpoint(path, create_model("small_cnn", num_classes=3, in_chans=1), classes=["a", "b", "c"])
    before = path.read_bytes()
    with pytest.raises(ValueError, match="number of classes"):
        load_checkpoint(path, create_model("small_cnn", num_classes=5, in_chans=1))
    assert path.read_bytes() == before


def test_truncated_checkpoint_is_a_clear_error(tmp_path):
    from clskit.checkpoint import load_checkpoint

    path = tmp_path / "broken.pt"
    path.write_bytes(b"PK\x03\x04 not really a checkpoint")
    with pytest.raises(ValueError, match="not a readable clskit checkpoint"):
        load_checkpoint(path)


def test_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    from clskit import checkpoint
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
