"""Small shared helpers: seeding, device choice, tensors to NumPy."""
from __future__ import annotations

import os
import random

import numpy as np
import torch
import torch.nn as nn

# Every BatchNorm layer type (SyncBatchNorm is what DistributedDataParallel training converts them to).
BATCHNORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and torch so a run repeats exactly on the same machine.

    Example:
        >>> seed_everything(0); a = torch.rand(1); seed_everything(0); bool(a == torch.rand(1))
        True
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))


def check_seed(seed, arg: str = "seed") -> int:
    """``seed`` as an ``int``, or a clear error (a seed given as a string or a float is a slip).

    It lives here, beside :func:`seed_everything`, so that every layer (datasets included) can use it.

    Example:
        >>> check_seed("42")
        Traceback (most recent call last):
        ...
        TypeError: seed must be a whole number such as 0 or 42; got '42' (a str). Pass seed=42
    """
    import numbers

    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        hint = f" Pass {arg}={int(seed)}" if isinstance(seed, str) and seed.strip().lstrip("-").isdigit() else \
            f" Pass {arg}={int(seed)}" if isinstance(seed, float) and seed.is_integer() else ""
        raise TypeError(f"{arg} must be a whole number such as 0 or 42; got {seed!r} (a {type(seed).__name__}).{hint}")
    return int(seed)


def default_device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def to_device(obj, device):
    """Move a tensor, or a tuple/list/dict of tensors, to ``device``."""
    if isinstance(obj, torch.Tensor):
        return obj.to(device, non_blocking=True)
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: to_device(v, device) for k, v in obj.items()}
    return obj


def to_numpy(a) -> np.ndarray:
    """A NumPy array from a tensor (detached, on the CPU) or anything ``np.asarray`` takes.

    Example:
        >>> to_numpy(torch.tensor([1.0, 2.0], requires_grad=True)).tolist()
        [1.0, 2.0]
    """
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def record_result(name: str, value: float, fmt: str = "{:.4f}") -> float:
    """Print a headline figure of a lesson, and log it for the course benchmark.

    When the environment variable ``CLSKIT_RESULTS_FILE`` names a file (the benchmark sets it),
    a JSON line ``{"name": ..., "value": ...}`` is appended to it; otherwise nothing is written.

    Example:
        >>> record_result("demo_accuracy", 0.5)
        demo_accuracy: 0.5000
        0.5
    """
    import json

    value = float(value)
    print(f"{name}: {fmt.format(value)}")
    path = os.environ.get("CLSKIT_RESULTS_FILE")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"name": name, "value": value}) + "\n")
    return value
