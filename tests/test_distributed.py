"""Distributed training with Accelerate, for real: 2 CPU processes (gloo) against one process."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from clskit.training.callbacks import Callback
from clskit.datasets import DataLoaders, ImageDataset
from clskit.training.distributed import ShardedLoader, cpu_launch
from clskit.training.learner import Learner

pytest.importorskip("accelerate")


def make_dls() -> DataLoaders:
    g = torch.Generator().manual_seed(0)
    y = torch.arange(64) % 2
    x = (torch.rand(64, 1, 8, 8, generator=g) * 120 + 100 * y[:, None, None, None]).to(torch.uint8)
    ds = ImageDataset(x, y, ["a", "b"])
    # 48 training images in batches of 16: every batch splits evenly between 2 processes
    return DataLoaders.from_datasets(ds.subset(range(48)), ds.subset(range(48, 64)), batch_size=16, seed=0)


def make_model() -> nn.Module:
    torch.manual_seed(0)  # no BatchNorm: per-process batch statistics would differ from one process
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 2))


def train(out_dir, accelerate: bool):
    torch.set_num_threads(1)
    acc = None
    if accelerate:
        from accelerate import Accelerator

        acc = Accelerator(cpu=True)
    learn = Learner(make_model(), make_dls(), lr=0.05, opt_func=torch.optim.SGD, wd=0.0, sched="constant",
                    progress=False, device="cpu", accelerator=acc)
    seen = []

    class CountRows(Callback):
        order = -1  # before AccelerateCB.after_step gathers the batch back

        def after_backward(self):
            seen.append(len(self.learn.xb))

    learn.fit(2, cbs=[CountRows()])
    rank = acc.process_index if acc is not None else 0
    model = acc.unwrap_model(learn.model) if acc is not None else learn.model
    torch.save({"state": {k: v.clone() for k, v in model.state_dict().items()}, "history": learn.history,
                "seen": seen, "world": acc.num_processes if acc is not None else 1},
               f"{out_dir}/{'ddp' if accelerate else 'single'}_{rank}.pt")


def test_sharded_loader_splits_batches_into_disjoint_rows():
    batches = [(torch.arange(6.0)[:, None], torch.arange(6))]
    parts = [next(iter(ShardedLoader(batches, r, 3)))[1].tolist() for r in range(3)]
    assert parts == [[0, 3], [1, 4], [2, 5]]
    with pytest.raises(ValueError, match="cannot be shared"):
        next(iter(ShardedLoader([(torch.zeros(1, 1), torch.zeros(1))], 0, 2)))


def test_two_processes_train_like_one(tmp_path):
    train(tmp_path, accelerate=False)
    cpu_launch(train, args=(tmp_path, True), num_processes=2)
    single = torch.load(tmp_path / "single_0.pt", weights_only=False)
    ranks = [torch.load(tmp_path / f"ddp_{r}.pt", weights_only=False) for r in range(2)]
    assert all(r["world"] == 2 for r in ranks)
    # both ranks trained, each on half of every batch of 16
    assert ranks[0]["seen"] == ranks[1]["seen"] == [8] * 6
    assert single["seen"] == [16] * 6
    for r in ranks:
        # gradients were averaged: both ranks hold the single-process weights
        for k, v in single["state"].items():
            torch.testing.assert_close(r["state"][k], v, rtol=1e-5, atol=1e-6)
        for a, b in zip(r["history"], single["history"]):
            for key in ("train_loss", "valid_loss", "accuracy", "train_accuracy"):
                assert a[key] == pytest.approx(b[key], rel=1e-5, abs=1e-6)
