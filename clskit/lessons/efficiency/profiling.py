"""Measuring what a smaller model buys: accuracy, size and latency side by side (:func:`profile_models`).

It uses the measurements of :mod:`clskit.models.measure` (``count_parameters``, ``model_size_mb``,
``measure_latency``), shared with the model cards.
"""
from __future__ import annotations

import copy
from typing import Iterable

import torch
import torch.nn as nn

from clskit.inference import accuracy_of, channels_last
from clskit.models.measure import count_parameters, measure_latency, model_size_mb
from clskit.lessons.efficiency.pruning import sparsity


class ChannelsLast(nn.Module):
    """Run ``model`` in the channels-last memory layout (NHWC), which many CPU conv kernels prefer.

    The input is converted inside ``forward``, so measured latency includes that cost.

    Example:
        >>> m = ChannelsLast(nn.Conv2d(3, 4, 3))
        >>> m(torch.rand(1, 3, 8, 8)).shape
        torch.Size([1, 4, 6, 6])
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = copy.deepcopy(model).to(memory_format=torch.channels_last)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(channels_last(x))


def profile_models(models: dict[str, nn.Module], input_shape: tuple[int, ...], dl: Iterable | None = None,
                   batch_sizes: tuple[int, ...] = (1, 32), n_iter: int = 20, threads: int | None = 1,
                   extra: dict[str, dict] | None = None) -> list[dict]:
    """One row per model: parameters, size on disk, sparsity, accuracy (with ``dl``) and latency.

    Args:
        models: name -> model (float, quantized, pruned, wrapped in :class:`ChannelsLast`, ...).
        input_shape: one image's shape ``(C, H, W)``.
        dl: optional loader of ``(x, y)`` for the accuracy column.
        batch_sizes: a latency column (median ms per call) for each; throughput uses the largest.
        threads: torch threads while timing (1 by default: steadier on a shared machine).
        extra: name -> more columns to add to that model's row (e.g. training time).

    Returns:
        A list of plain dicts (one per model), ready for ``pandas.DataFrame`` or :class:`ProfileTable`.

    Example:
        >>> rows = profile_models({"conv": nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten())}, (1, 8, 8), n_iter=2)
        >>> sorted(rows[0])
        ['latency_b1_ms', 'latency_b32_ms', 'model', 'params', 'size_mb', 'sparsity', 'throughput_b32']
    """
    rows = []
    for name, model in models.items():
        row = {"model": name, "params": count_parameters(model), "size_mb": round(model_size_mb(model), 3)}
        try:
            row["sparsity"] = round(sparsity(model), 3)
        except ValueError:  # quantized layers keep no float weights
            row["sparsity"] = float("nan")
        if dl is not None:
            row["accuracy"] = round(accuracy_of(model, dl), 4)
        for bs in batch_sizes:
            r = measure_latency(model, input_shape, batch_size=bs, n_iter=n_iter, threads=threads)
            row[f"latency_b{bs}_ms"] = round(r["median_ms"], 3)
        biggest = max(batch_sizes)
        row[f"throughput_b{biggest}"] = round(biggest / row[f"latency_b{biggest}_ms"] * 1e3, 1)  # images/s
        row.update((extra or {}).get(name, {}))
        rows.append(row)
    return rows
