"""Shared fixtures: seeded tiny data and a tiny Learner, a fake live-curves view, a headless matplotlib,
and the repository root."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# Headless plots in the test process only. (Not through MPLBACKEND: the notebook kernels that nbval
# starts inherit the environment and must keep the inline backend, or figures vanish from their outputs.)
import matplotlib  # noqa: E402

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parent.parent


def pytest_collection_modifyitems(config, items):
    """Timing assertions (``@pytest.mark.benchmark``) run only when asked: CLSKIT_BENCHMARKS=1."""
    if os.environ.get("CLSKIT_BENCHMARKS") == "1":
        return
    skip = pytest.mark.skip(reason="a timing; set CLSKIT_BENCHMARKS=1 to run it")
    for item in items:
        if "benchmark" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Tests use tiny models: one torch thread is faster than two fighting over 2 cores (and far
    faster when the machine is shared). Notebook kernels are separate processes and keep the default."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(autouse=True)
def _seed():
    import torch

    torch.manual_seed(0)
    yield


@pytest.fixture
def agg_pyplot():
    """matplotlib.pyplot on the Agg backend; closes every figure afterwards."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


@pytest.fixture(scope="session")
def digits_splits():
    """digits split 70/15/15 (stratified, seed 0)."""
    from clskit.datasets import load_dataset, split_dataset

    return split_dataset(load_dataset("digits"), seed=0)


@pytest.fixture
def repo_root() -> Path:
    return ROOT


# -- seeded tiny data and a tiny Learner (the callback and Learner tests) -------------------------------------
def make_tiny_dls(n: int = 96, seed: int = 0):
    """Two separable classes of 8x8 grey images (bright top half vs bright bottom half)."""
    import torch

    from clskit.datasets import DataLoaders, ImageDataset

    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.rand(n, 1, 8, 8, generator=g) * 80
    x[y == 0, :, :4] += 150
    x[y == 1, :, 4:] += 150
    ds = ImageDataset(x.clamp(0, 255).to(torch.uint8), y, ["top", "bottom"])
    tr, va = ds.subset(range(0, n * 3 // 4)), ds.subset(range(n * 3 // 4, n))
    return DataLoaders.from_datasets(tr, va, batch_size=16, seed=seed)


def make_tiny_learner(**kw):
    import torch

    from clskit.training.learner import Learner
    from clskit.models import create_model

    torch.manual_seed(0)
    model = create_model("small_cnn", num_classes=2, in_chans=1, widths=(8, 16))
    kw.setdefault("progress", False)
    kw.setdefault("lr", 1e-2)
    return Learner(model, make_tiny_dls(), device="cpu", **kw)


class FakeView:
    """Records what the live-curves callback asks of a view."""

    def __init__(self):
        self.history, self.texts, self.n_updates, self.closed, self.shown = [], [], 0, False, 0

    def show(self):
        self.shown += 1

    def set_text(self, text):
        self.texts.append(text)

    def update(self, history, n_epoch=None):
        self.history, self.n_epoch = [dict(r) for r in history], n_epoch
        self.n_updates += 1

    def close(self, final=True):
        self.closed = final


@pytest.fixture
def tiny_dls():
    """``tiny_dls(n=96, seed=0)``: two separable classes of 8x8 grey images in DataLoaders."""
    return make_tiny_dls


@pytest.fixture
def tiny_learner():
    """``tiny_learner(**learner_kwargs)``: a seeded small CNN Learner on the CPU over ``tiny_dls()``."""
    return make_tiny_learner


@pytest.fixture
def fake_view():
    """A :class:`FakeView` that records what the live-curves callback asks of it."""
    return FakeView()
