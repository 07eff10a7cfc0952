"""Small shared helpers: the kit's training defaults, seeding, device choice, tensors to NumPy."""
from __future__ import annotations

import ctypes
import functools
import os
import random
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

# -- the training defaults of the kit, in one place (airbench's ``hyp`` dict) ----------------------------------
# Each is used where its comment says; change it here, not at the call.
DEFAULTS = {
    # Learner's one-cycle schedule: the fraction of the steps spent warming up to the peak learning rate
    # (fastai's fit_one_cycle uses 0.25 too; shorter warm-ups diverge more often at high lr)
    "pct_start": 0.25,
    # evaluation loaders (DataLoaders.from_datasets) use this many times the training batch size:
    # no gradients are kept, so twice the batch fits in the same memory and takes half the steps
    "eval_batch_factor": 2,
    # Learner.lr_find: the smoothing of the recorded loss (an exponential moving average, as in fastai)...
    "lr_find_beta": 0.98,
    # ...and it stops once the smoothed loss exceeds this multiple of its minimum (the loss has diverged)
    "lr_find_stop_factor": 4.0,
    # train_transfer("fine_tune"): the unfrozen phase trains at this fraction of lr (the head gets lr/2 and
    # the body's groups lr/200 .. lr/20), since the probe's head is already good and large steps would
    # disturb the pretrained features
    "fine_tune_lr_factor": 0.5,
}

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


@functools.cache
def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim   # glibc only (Linux, Colab, Binder)
    except (OSError, AttributeError):
        return None


def release_memory() -> None:
    """Give the memory that freed tensors leave behind back to the operating system.

    glibc's allocator keeps freed blocks for reuse, so a process that has just embedded or trained holds
    100 MB or more it no longer uses (300 photos through EfficientNet-Lite0 at 160 px: about 110 MB); the
    kit calls this at the end of each training run and prediction pass, so a notebook's memory stays near
    what it really holds. Takes about a millisecond; does nothing where the C library is not glibc.

    Example:
        >>> release_memory()
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def default_device() -> torch.device:
    """The best available device: CUDA, then Apple's MPS, then the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def as_float_images(x: torch.Tensor) -> torch.Tensor:
    """Images as float32: uint8 ``0..255`` becomes ``[0, 1]``; any other dtype is only cast to float.

    The kit's one uint8 -> float conversion (datasets, inference, widgets and plots call it).

    Example:
        >>> as_float_images(torch.tensor([0, 51, 255], dtype=torch.uint8)).tolist()
        [0.0, 0.20000000298023224, 1.0]
        >>> as_float_images(torch.tensor([0.5], dtype=torch.float64)).dtype
        torch.float32
    """
    x = torch.as_tensor(x)
    return x.float().div_(255) if x.dtype == torch.uint8 else x.float()


def normalize_maps(maps: torch.Tensor, dims: int = 2) -> torch.Tensor:
    """Scale each map to ``[0, 1]``: subtract its minimum, divide by its new maximum (min-max).

    The kit's one map normaliser (CAMs, saliency, attention rollout, feature-map tiles), as
    pytorch-grad-cam scales its maps; an all-equal map becomes 0. The maximum is only kept from zero
    (not shifted by a constant), so maps of tiny gradients (``1e-5``) still reach 1.

    Args:
        maps: ``(..., H, W)`` maps; each map is the last ``dims`` axes.
        dims: how many trailing axes form one map (3 for a ``(C, h, w)`` colour tile).

    Example:
        >>> normalize_maps(torch.tensor([[[1.0, 3.0]], [[2.0, 2.0]]])).tolist()
        [[[0.0, 1.0]], [[0.0, 0.0]]]
    """
    maps = torch.as_tensor(maps).float()
    shape = maps.shape[:-dims] + (1,) * dims                   # one value per map, broadcast over it
    maps = maps - maps.flatten(-dims).min(-1).values.reshape(shape)
    return maps / maps.flatten(-dims).max(-1).values.reshape(shape).clamp_min(1e-12)


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


def record_result(name: str, value: float) -> float:
    """Log a headline figure of a lesson for the course benchmark; silent, so a lesson shows no plumbing.

    When the environment variable ``CLSKIT_RESULTS_FILE`` names a file (the benchmark sets it),
    a JSON line ``{"name": ..., "value": ...}`` is appended to it; otherwise nothing is written. The
    value is returned, so the lesson can use it.

    Example:
        >>> record_result("demo_accuracy", 0.5)
        0.5
    """
    import json

    value = float(value)
    path = os.environ.get("CLSKIT_RESULTS_FILE")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps({"name": name, "value": value}) + "\n")
    return value


# longer experiments the lessons cite, written by benchmarks/<name>.py; in the package, so a hosted notebook has them
STORED_RUNS = Path(__file__).resolve().parent / "data" / "runs"


def load_stored_run(name: str) -> dict:
    """A longer experiment a lesson cites, as ``python benchmarks/<name>.py`` stored it.

    Some controls take minutes (a longer schedule, other batchings, a sweep of strengths), more than a
    lesson's 90-second budget; their script runs them once and writes ``clskit/data/runs/<name>.json``,
    which ships with the package, so the lesson can show the figures on Colab as well as in a clone.
    Each file records the date and the torch version it was made with.

    Example:
        >>> load_stored_run("wd_choice")["settings"]["clean"]["picked"]
        1.0
    """
    path = STORED_RUNS / f"{name}.json"
    if not path.exists():
        stored = sorted(p.stem for p in STORED_RUNS.glob("*.json"))
        raise KeyError(f"no stored run {name!r}; stored: {', '.join(stored) or 'none'} "
                       f"(each is written by `python benchmarks/<name>.py` in a clone of the repository)")
    import json

    return json.loads(path.read_text())
