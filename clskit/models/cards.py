"""Model cards: size, compute and speed of the classic architectures beside their published accuracy.

The measuring functions (:func:`count_flops`, :func:`measure_latency`, :func:`measure_model`) work on
any model. ``benchmarks/model_cards.py`` runs them over AlexNet ... BEiT and caches the numbers in
``clskit/data/model_cards.json``; notebooks read that cache with :func:`load_model_cards` (measuring
VGG or ViT-B on a laptop CPU takes minutes, too long for a lesson).
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import torch
import torch.nn as nn

CARDS_PATH = Path(__file__).resolve().parent.parent / "data" / "model_cards.json"

# Columns of a card, with what they mean (shown by the notebook and the picker widget).
COLUMNS = {
    "name": "model",
    "family": "architecture family",
    "year": "year of the paper",
    "params_m": "parameters (millions)",
    "gflops": "GFLOPs per 224x224 image (multiply-adds count 2)",
    "latency_b1_ms": "CPU latency at batch 1 (ms per image)",
    "latency_b32_ms": "CPU latency at batch 32 (ms per image)",
    "top1": "published ImageNet-1k top-1 accuracy (%)",
}


def count_flops(model: nn.Module, x: torch.Tensor) -> int:
    """Floating-point operations of one forward pass on ``x``, counted by PyTorch's FlopCounterMode.

    A multiply-add counts as 2 FLOPs (papers often quote MACs = FLOPs / 2).

    Example:
        >>> count_flops(nn.Linear(10, 5), torch.zeros(1, 10))    # 10 * 5 multiply-adds
        100
    """
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    fastpath = torch.backends.mha.get_fastpath_enabled()
    # nn.MultiheadAttention's fused inference kernel hides its matmuls from the counter: turn it off
    torch.backends.mha.set_fastpath_enabled(False)
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        model.train(was_training)
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return int(counter.get_total_flops())


@torch.no_grad()
def measure_latency(model: nn.Module, x: torch.Tensor, repeats: int = 5, warmup: int = 1) -> float:
    """Median wall time of a forward pass on ``x``, in milliseconds **per image**.

    Args:
        model: the network (put in eval mode).
        x: a batch ``(B, C, H, W)``; the result is divided by ``B``.
        repeats: timed runs (the median is robust to a busy machine's outliers).
        warmup: untimed runs first (the first call allocates memory and picks kernels).

    Example:
        >>> ms = measure_latency(nn.Conv2d(3, 8, 3), torch.zeros(4, 3, 32, 32), repeats=3)
        >>> ms > 0
        True
    """
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1; got {repeats}")
    model.eval()
    for _ in range(warmup):
        model(x)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        model(x)
        times.append(time.perf_counter() - t0)
    times.sort()
    return 1000 * times[len(times) // 2] / len(x)


def measure_model(model: nn.Module, input_size: int = 224, batch_sizes: tuple[int, ...] = (1, 32),
                  repeats: dict[int, int] | int = 5) -> dict:
    """Parameters, GFLOPs and per-image latency of ``model`` on random ``input_size`` images.

    Returns:
        ``{"params_m", "gflops", "latency_b<B>_ms" for each batch size}``.

    Example:
        >>> card = measure_model(nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten()), input_size=16, repeats=1)
        >>> sorted(card)
        ['gflops', 'latency_b1_ms', 'latency_b32_ms', 'params_m']
    """
    x1 = torch.randn(1, 3, input_size, input_size)
    card = {"params_m": sum(p.numel() for p in model.parameters()) / 1e6,
            "gflops": count_flops(model, x1) / 1e9}
    for b in batch_sizes:
        n = repeats.get(b, 3) if isinstance(repeats, dict) else repeats
        card[f"latency_b{b}_ms"] = measure_latency(model, torch.randn(b, 3, input_size, input_size), repeats=n,
                                                   warmup=1 if b == 1 else 0)
    return card


def load_model_cards(path: str | Path | None = None) -> dict:
    """The cached measurements: ``{"meta": {...machine, date, torch...}, "models": [card, ...]}``.

    Example:
        >>> cards = load_model_cards()
        >>> {"ResNet-50", "ViT-B/16"} <= {c["name"] for c in cards["models"]}
        True
    """
    path = Path(path) if path is not None else CARDS_PATH
    if not path.exists():
        raise FileNotFoundError(f"no model cards at {path.name}; run `python benchmarks/model_cards.py` to measure them")
    return json.loads(path.read_text())


def cards_table(cards: dict | list[dict], columns: list[str] | None = None):
    """The cards as a pandas DataFrame (one row per model, rounded for reading).

    Example:
        >>> cards_table(load_model_cards()).loc["ResNet-50", "top1"]
        76.1
    """
    import pandas as pd

    rows = cards["models"] if isinstance(cards, dict) else cards
    columns = columns or list(COLUMNS)
    df = pd.DataFrame(rows)[columns].set_index("name")
    return df.round({"params_m": 1, "gflops": 2, "latency_b1_ms": 1, "latency_b32_ms": 1, "top1": 1})


def plot_cards(cards: dict | list[dict], x: str = "latency_b1_ms", names: list[str] | None = None, ax=None):
    """Scatter published top-1 accuracy against ``x`` (log scale) for the chosen models; returns the axes.

    Args:
        cards: from :func:`load_model_cards`.
        x: a numeric column: ``"latency_b1_ms"``, ``"latency_b32_ms"``, ``"params_m"`` or ``"gflops"``.
        names: models to show (default: all).
        ax: matplotlib axes to draw into.
    """
    import matplotlib.pyplot as plt

    if x not in ("latency_b1_ms", "latency_b32_ms", "params_m", "gflops"):
        raise ValueError(f"x must be latency_b1_ms, latency_b32_ms, params_m or gflops; got {x!r}")
    rows = cards["models"] if isinstance(cards, dict) else cards
    if names is not None:
        rows = [r for r in rows if r["name"] in set(names)]
    ax = ax or plt.subplots(figsize=(6, 4))[1]
    families = sorted({r["family"] for r in rows})
    colours = {f: plt.cm.tab10(i % 10) for i, f in enumerate(families)}
    for r in rows:
        ax.scatter(r[x], r["top1"], color=colours[r["family"]], s=40)
        ax.annotate(r["name"], (r[x], r["top1"]), fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel(COLUMNS[x] + " (log scale)")
    ax.set_ylabel(COLUMNS["top1"])
    ax.grid(alpha=0.3)
    return ax
