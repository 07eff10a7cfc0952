"""Saving and loading models atomically: write a temporary file, then rename it over the target,
so an interrupted save never leaves a half-written checkpoint behind."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch


def atomic_save(obj, path) -> Path:
    """``torch.save`` to ``path`` via a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def save_checkpoint(path, model: torch.nn.Module, **meta) -> Path:
    """Save ``model``'s weights with metadata (class names, history, ...) atomically.

    Example:
        >>> import tempfile, os; from clskit.models import create_model
        >>> m = create_model("small_cnn", num_classes=3, in_chans=1)
        >>> p = save_checkpoint(os.path.join(tempfile.mkdtemp(), "m.pt"), m, classes=["a", "b", "c"])
        >>> load_checkpoint(p, m)["classes"]
        ['a', 'b', 'c']
    """
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return atomic_save({"state_dict": state, "format": "clskit-1", **meta}, path)


def load_checkpoint(path, model: torch.nn.Module | None = None) -> dict:
    """Load a checkpoint; with ``model``, copy its weights in after checking that the shapes match."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}; save one with Learner.save(path)")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as e:  # truncated or not a torch file
        raise ValueError(f"{path} is not a readable clskit checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ValueError(f"{path} is not a clskit checkpoint (no 'state_dict'); was it saved with Learner.save?")
    if model is not None:
        own = model.state_dict()
        bad = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
               for k, v in ckpt["state_dict"].items() if k in own and own[k].shape != v.shape]
        if bad:
            raise ValueError("checkpoint does not fit this model (a different number of classes or "
                             "architecture?): " + "; ".join(bad[:5]))
        missing = set(own) - set(ckpt["state_dict"])
        if missing:
            raise ValueError(f"checkpoint lacks {len(missing)} weights of this model, e.g. {sorted(missing)[:3]}")
        model.load_state_dict(ckpt["state_dict"])
    return ckpt
