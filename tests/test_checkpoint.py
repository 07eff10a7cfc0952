"""Checkpoints are plain data, loaded with ``weights_only=True``: a file carrying code is refused unrun."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch

from clskit.training.checkpoint import UnsafeCheckpointError, load_checkpoint, save_checkpoint, to_plain, upgrade_checkpoint
from clskit.models import create_model


class _Payload:
    """Unpickling this runs ``os.system("touch <marker>")``: what a malicious model file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch '{self.marker}'",)


def _malicious_checkpoint(path, marker):
    model = create_model("small_cnn", num_classes=2, in_chans=1)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    # a real clskit-looking checkpoint, with the payload hidden in its metadata
    torch.save({"state_dict": state, "format": "clskit-1", "classes": ["a", "b"], "history": [_Payload(marker)]}, path)
    return model


def test_the_payload_is_real(tmp_path):
    """Without the safe load, the file really runs code (so the next test tests something)."""
    marker = tmp_path / "pwned_unsafe"
    _malicious_checkpoint(tmp_path / "evil.pt", marker)
    torch.load(tmp_path / "evil.pt", weights_only=False)
    assert marker.exists()


@pytest.mark.parametrize("how", ["load_checkpoint", "Learner.load", "Predictor.load"])
def test_malicious_checkpoint_is_refused_without_running(tmp_path, how):
    from clskit.datasets import DataLoaders, ImageDataset
    from clskit.training.learner import Learner
    from clskit.inference.predict import Predictor

    marker, path = tmp_path / "pwned", tmp_path / "friend_model.pt"
    model = _malicious_checkpoint(path, marker)
    before = path.read_bytes()
    ds = ImageDataset(torch.zeros(4, 1, 8, 8, dtype=torch.uint8), torch.tensor([0, 1, 0, 1]), ["a", "b"])
    load = {"load_checkpoint": lambda: load_checkpoint(path, model),
            "Learner.load": lambda: Learner(model, DataLoaders.from_datasets(ds, ds), progress=False).load(path),
            "Predictor.load": lambda: Predictor.load(path)}[how]
    with pytest.raises(UnsafeCheckpointError, match="friend_model.pt") as e:
        load()
    assert "can run any code" in str(e.value) and "upgrade_checkpoint" in str(e.value)
    assert not marker.exists(), "the checkpoint's payload ran"
    assert path.read_bytes() == before


def test_checkpoints_hold_plain_data_only(tmp_path):
    m = create_model("small_cnn", num_classes=3, in_chans=1)
    meta = {"classes": ("a", "b", "c"), "acc": np.float32(0.75), "n": np.int64(3), "curve": np.arange(3.0),
            "history": [{"epoch": 1, "loss": 0.5}], "note": None}
    path = save_checkpoint(tmp_path / "m.pt", m, **meta)
    ckpt = torch.load(path, weights_only=True)  # torch's own safe loader accepts it
    assert ckpt["classes"] == ["a", "b", "c"] and type(ckpt["acc"]) is float and type(ckpt["n"]) is int
    assert torch.equal(ckpt["curve"], torch.arange(3.0, dtype=torch.float64)) and ckpt["note"] is None
    assert ckpt["format"] == "clskit-2"
    with pytest.raises(TypeError, match="transform is a function"):
        save_checkpoint(tmp_path / "bad.pt", m, transform=lambda x: x)
    assert not (tmp_path / "bad.pt").exists()
    assert to_plain({"size": (1, 2)}) == {"size": [1, 2]}


def test_old_pickled_checkpoint_gets_a_clear_error_and_a_way_to_convert(tmp_path):
    m = create_model("small_cnn", num_classes=2, in_chans=1)
    old = tmp_path / "old.pt"
    # what the old code could write: NumPy scalars in the metadata (not plain data)
    torch.save({"state_dict": m.state_dict(), "format": "clskit-1", "classes": ["a", "b"],
                "accuracy": np.float64(0.9)}, old)
    before = old.read_bytes()
    with pytest.raises(UnsafeCheckpointError, match="old.pt"):
        load_checkpoint(old)
    with pytest.raises(PermissionError, match="trust=True"):
        upgrade_checkpoint(old)
    new = upgrade_checkpoint(old, trust=True)
    assert new.name == "old.safe.pt" and old.read_bytes() == before
    assert load_checkpoint(new, m)["accuracy"] == 0.9


def test_cifar_batches_are_read_with_a_data_only_unpickler(tmp_path, monkeypatch):
    from clskit.datasets import remote
    from clskit.datasets.unpickle import restricted_load

    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(0)
    batch = {b"batch_label": b"testing batch 1 of 1", b"labels": [3, 1],
             b"data": rng.integers(0, 255, (2, 3072), dtype=np.uint8), b"filenames": [b"a.png", b"b.png"]}
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({k.decode(): v for k, v in batch.items()}, f, protocol=2)  # the official files: protocol 2
    monkeypatch.setattr(remote, "fetch", lambda name, download: tmp_path)
    monkeypatch.setattr(remote, "_files", lambda name, archive: tmp_path)
    ds = remote.cifar10(split="test")
    assert len(ds) == 2 and ds.targets.tolist() == [3, 1] and ds.image_shape == (3, 32, 32)
    # a batch file that smuggles a call is refused before it runs
    marker = tmp_path / "pwned"
    with open(folder / "test_batch", "wb") as f:
        pickle.dump({"data": _Payload(marker), "labels": [0]}, f, protocol=2)
    with pytest.raises(pickle.UnpicklingError, match="refused to load"):
        remote.cifar10(split="test")
    with open(folder / "test_batch", "rb") as f, pytest.raises(pickle.UnpicklingError):
        restricted_load(f)
    assert not marker.exists()
