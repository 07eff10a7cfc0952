"""Measuring a model: parameters, size on disk, FLOPs and latency (one function for each).

The model cards (:mod:`clskit.models.cards`), the profiling table (:mod:`clskit.lessons.efficiency`) and
the from-scratch notebooks all call these, so a number means the same everywhere.

Example:
    >>> import torch.nn as nn
    >>> count_parameters(nn.Linear(3, 2)), sorted(measure_latency(nn.Linear(3, 2), (3,), n_iter=2))
    (8, ['batch_size', 'median_ms', 'min_ms', 'ms_per_image', 'throughput'])
"""
from __future__ import annotations

import io
import time
from contextlib import contextmanager

import torch
import torch.nn as nn


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (weights and biases) of ``model``.

    Quantised layers keep their weights packed (not in ``parameters()``); they are counted too,
    as not trainable.

    Args:
        trainable_only: count only parameters with ``requires_grad`` (what an optimiser updates).

    Example:
        >>> count_parameters(nn.Conv2d(3, 8, 3))   # 8 * 3 * 3 * 3 weights + 8 biases
        224
    """
    n = sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
    if not trainable_only:
        for m in model.modules():
            w = getattr(m, "weight", None)
            if callable(w) and not isinstance(w, torch.Tensor):  # quantized layers keep packed weights
                bias = m.bias()
                n += w().numel() + (bias.numel() if bias is not None else 0)
    return n


def model_size_mb(model: nn.Module) -> float:
    """Size of the saved ``state_dict`` in megabytes (10^6 bytes): what the file on disk would take.

    Example:
        >>> round(model_size_mb(nn.Linear(1000, 1000)), 1)
        4.0
    """
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    return buf.getbuffer().nbytes / 1e6


def count_flops(model: nn.Module, x: torch.Tensor) -> int:
    """Floating-point operations of one forward pass on ``x``, counted by PyTorch's FlopCounterMode.

    A multiply-add counts as 2 FLOPs (papers often quote MACs = FLOPs / 2).

    Example:
        >>> count_flops(nn.Linear(10, 5), torch.zeros(1, 10))    # 10 * 5 multiply-adds
        100
    """
    from torch.utils.flop_counter import FlopCounterMode

    from clskit.inference import running

    fastpath = torch.backends.mha.get_fastpath_enabled()
    # nn.MultiheadAttention's fused inference kernel hides its matmuls from the counter: turn it off
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with running(model), torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(x)
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
    return int(counter.get_total_flops())


@contextmanager
def num_threads(n: int | None):
    """Temporarily set torch's intra-op thread count (``None`` leaves it alone).

    Example:
        >>> with num_threads(1):
        ...     torch.get_num_threads()
        1
    """
    old = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def is_quantized(model: nn.Module) -> bool:
    """Whether any tensor of the model's state is quantized (such models run on the CPU only)."""
    return any(getattr(v, "is_quantized", False) for v in model.state_dict().values() if isinstance(v, torch.Tensor))


def measure_latency(model: nn.Module, input_shape: tuple[int, ...] | torch.Tensor, batch_size: int = 1,
                    n_iter: int = 20, warmup: int = 3, threads: int | None = None) -> dict:
    """Wall-clock latency of ``model`` on the CPU, without autograd: the median of ``n_iter`` calls.

    The median ignores the occasional slow call when other programs share the machine; ``warmup``
    untimed calls come first (the first call allocates memory and picks kernels).

    Args:
        model: the network (moved to the CPU unless quantized, and put in eval mode).
        input_shape: one image's shape ``(C, H, W)`` (a seeded random batch of ``batch_size`` is
            made), or a batch tensor ``(B, C, H, W)`` to time (then ``batch_size`` is ``B``).
        batch_size: images per call (with a shape).
        n_iter: timed calls.
        warmup: untimed calls first.
        threads: torch intra-op threads during the measurement (``None``: the current setting).

    Returns:
        ``{"batch_size", "median_ms", "min_ms", "ms_per_image", "throughput"}``: milliseconds per
        call, per image (``median_ms / batch_size``) and images per second at the median.

    Example:
        >>> r = measure_latency(nn.Conv2d(1, 4, 3), (1, 8, 8), n_iter=3, warmup=1)
        >>> sorted(r)
        ['batch_size', 'median_ms', 'min_ms', 'ms_per_image', 'throughput']
    """
    if isinstance(input_shape, torch.Tensor):
        x = input_shape.cpu()
        batch_size = len(x)
    else:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1; got {batch_size}")
        x = torch.rand(batch_size, *input_shape, generator=torch.Generator().manual_seed(0))
    if n_iter < 1:
        raise ValueError(f"n_iter must be at least 1; got {n_iter}")
    model = model.cpu().eval() if not is_quantized(model) else model.eval()
    times = []
    with num_threads(threads), torch.inference_mode():
        for _ in range(warmup):
            model(x)
        for _ in range(n_iter):
            t0 = time.perf_counter()
            model(x)
            times.append(time.perf_counter() - t0)
    times.sort()
    median = times[len(times) // 2] * 1e3
    return {"batch_size": batch_size, "median_ms": median, "min_ms": times[0] * 1e3,
            "ms_per_image": median / batch_size, "throughput": batch_size / (median / 1e3)}
