"""Model cards: size, compute and speed of the classic architectures beside their published accuracy.

The measuring functions (:func:`~clskit.models.measure.count_flops`,
:func:`~clskit.models.measure.measure_latency`, :func:`measure_model`) work on any model.
``benchmarks/model_cards.py`` runs them over AlexNet ... BEiT and caches the numbers in
``clskit/data/model_cards.json``; notebooks read that cache with :func:`load_model_cards` (measuring
VGG or ViT-B on a laptop CPU takes minutes, too long for a lesson).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn as nn

from clskit.models.measure import count_flops, count_parameters, measure_latency

CARDS_PATH = Path(__file__).resolve().parent.parent / "data" / "model_cards.json"

# Columns of a card, with what they mean (shown by the notebook and the picker widget).
COLUMNS = {
    "name": "model",
    "family": "architecture family",
    "year": "year of the paper",
    "input_size": "side of the square input image the model was measured at (pixels)",
    "params_m": "parameters (millions)",
    "gflops": "GFLOPs per image at its input size (multiply-adds count 2)",
    "latency_b1_ms": "CPU latency at batch 1 (ms per image)",
    "latency_b32_ms": "CPU latency at batch 32 (ms per image)",
    "top1": "published ImageNet-1k top-1 accuracy (%)",
}


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
    card = {"params_m": count_parameters(model) / 1e6, "gflops": count_flops(model, x1) / 1e9}
    for b in batch_sizes:
        n = repeats.get(b, 3) if isinstance(repeats, dict) else repeats
        if n < 1:
            raise ValueError(f"repeats must be at least 1; got {n}")
        r = measure_latency(model, torch.randn(b, 3, input_size, input_size), n_iter=n, warmup=1 if b == 1 else 0)
        card[f"latency_b{b}_ms"] = r["ms_per_image"]
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
        >>> float(cards_table(load_model_cards()).loc["ResNet-50", "top1"])
        76.1
    """
    import pandas as pd

    rows = cards["models"] if isinstance(cards, dict) else cards
    columns = columns or [c for c in COLUMNS if any(c in r for r in rows)]      # cards without input_size: no column
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
    placed = []
    for r in sorted(rows, key=lambda r: r[x]):
        ax.scatter(r[x], r["top1"], color=colours[r["family"]], s=40)
        size = r.get("input_size", 224)
        label = r["name"] if size == 224 else f"{r['name']} ({size} px)"     # compute and time grow with the pixels
        # a label just right of a point would run into the label of a close neighbour on its left: put it below
        crowded = any(abs(math.log10(r[x] / px)) < 0.3 and abs(r["top1"] - py) < 0.5 for px, py in placed)
        ax.annotate(label, (r[x], r["top1"]), fontsize=8, xytext=(3, -11 if crowded else 3), textcoords="offset points")
        placed.append((r[x], r["top1"]))
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter

    ax.set_xscale("log")
    if rows:                                  # plain-number ticks at 1-2-5 steps (10, 20, 50, ...), none crowded
        lo, hi = min(r[x] for r in rows), max(r[x] for r in rows)
        ticks = [m * 10.0 ** k for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1) for m in (1, 2, 5)]
        ax.xaxis.set_major_locator(FixedLocator([t for t in ticks if lo / 1.5 <= t <= hi * 1.5]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(COLUMNS[x] + " (log scale)")
    ax.set_ylabel(COLUMNS["top1"])
    ax.grid(alpha=0.3)
    return ax
