"""Shared fixtures: seeded tiny data, a headless matplotlib, and the repository root."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# Headless plots in the test process only. (Not through MPLBACKEND: the notebook kernels that nbval
# starts inherit the environment and must keep the inline backend, or figures vanish from their outputs.)
import matplotlib  # noqa: E402

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parent.parent


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
