"""Saving and loading models safely and atomically.

Safe: a checkpoint holds only plain data (tensors, numbers, strings, ``None``, lists and dicts),
and is read with ``torch.load(weights_only=True)``, which refuses anything else. A ``.pt`` file is
a pickle, and a pickle can run any code while it loads; with ``weights_only=True`` a file from a
stranger cannot. Atomic: a save writes a temporary file, then renames it over the target, so an
interrupted save never leaves a half-written checkpoint behind.

Example:
    >>> import tempfile, os; from clskit.models import create_model
    >>> m = create_model("small_cnn", num_classes=3, in_chans=1)
    >>> p = save_checkpoint(os.path.join(tempfile.mkdtemp(), "m.pt"), m, classes=["a", "b", "c"])
    >>> load_checkpoint(p, m)["classes"]
    ['a', 'b', 'c']
"""
from __future__ import annotations

import numbers
import os
import pickle
import tempfile
from pathlib import Path

import torch

FORMAT = "clskit-2"  # plain data only; "clskit-1" files that hold only plain data load too


class UnsafeCheckpointError(ValueError):
    """A checkpoint holds Python objects other than plain data, so it was not loaded."""


def to_plain(obj, where: str = "checkpoint"):
    """``obj`` as plain data a safe load accepts: tensors, numbers, strings, ``None``, lists, dicts.

    Tuples become lists, NumPy scalars and arrays become numbers and tensors, dataclasses become
    dicts; anything else (functions, transforms, arbitrary objects) raises a ``TypeError`` naming
    where it sits, since it could only be loaded back by running code.

    Example:
        >>> to_plain({"mean": (0.5, 0.5), "n": 3})
        {'mean': [0.5, 0.5], 'n': 3}
    """
    import dataclasses

    import numpy as np

    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f"{where} is a NumPy array of Python objects; store a list of strings or numbers")
        return torch.from_numpy(np.ascontiguousarray(obj))
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        return float(obj)
    if isinstance(obj, (list, tuple)):
        return [to_plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        bad = [k for k in obj if not isinstance(k, (str, int))]
        if bad:
            raise TypeError(f"{where} has a key {bad[0]!r} of type {type(bad[0]).__name__}; use string keys")
        return {k: to_plain(v, f"{where}[{k!r}]") for k, v in obj.items()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return to_plain(dataclasses.asdict(obj), where)
    raise TypeError(f"{where} is a {type(obj).__name__}, which a checkpoint cannot store safely (only tensors, "
                    "numbers, strings, None, lists and dicts load without running code); store its settings "
                    "as plain values instead")


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
    """Save ``model``'s weights with metadata (class names, history, ...) atomically, as plain data.

    Raises:
        TypeError: a metadata value is not plain data (see :func:`to_plain`); nothing is written.

    Example:
        >>> import tempfile, os; from clskit.models import create_model
        >>> m = create_model("small_cnn", num_classes=3, in_chans=1)
        >>> p = save_checkpoint(os.path.join(tempfile.mkdtemp(), "m.pt"), m, classes=["a", "b", "c"])
        >>> load_checkpoint(p, m)["classes"]
        ['a', 'b', 'c']
    """
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    plain = {k: to_plain(v, k) for k, v in meta.items()}
    return atomic_save({"state_dict": state, "format": FORMAT, **plain}, path)


def _safe_load(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e).lower()
        if "weights only" not in msg or not ("global" in msg or "unsupported class" in msg):
            # not a pickle torch can read at all: a damaged file, or not a checkpoint
            raise ValueError(f"{path} is not a readable clskit checkpoint (UnpicklingError: {str(e)[:200]})") from None
        # torch refused a global it does not allow: the file carries Python objects (code could run)
        raise UnsafeCheckpointError(
            f"{path} holds Python objects besides tensors, numbers, strings, lists and dicts, so clskit "
            f"refused to load it: loading such a file can run any code hidden in it. ({str(e).splitlines()[-1][:200]})\n"
            "If a stranger sent it, delete it. If you saved it yourself with an older clskit (before "
            "checkpoints held only plain data) and trust it, convert it once with "
            f"clskit.training.checkpoint.upgrade_checkpoint({str(path)!r}, trust=True), which writes a safe copy beside it."
        ) from None
    except Exception as e:  # truncated or not a torch file
        raise ValueError(f"{path} is not a readable clskit checkpoint ({type(e).__name__}: {str(e)[:200]})") from None


def load_checkpoint(path, model: torch.nn.Module | None = None) -> dict:
    """Load a checkpoint safely; with ``model``, copy its weights in after checking that the shapes match.

    Only plain data is unpickled (``torch.load(weights_only=True)``): a file carrying anything else
    is refused with :class:`UnsafeCheckpointError` before any of it runs.

    Example:
        >>> load_checkpoint("model.pt", model)["classes"]     # doctest: +SKIP
        ['ants', 'bees']
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}; save one with Learner.save(path)")
    ckpt = _safe_load(path)
    if not isinstance(ckpt, dict) or not isinstance(ckpt.get("state_dict"), dict):
        raise ValueError(f"{path} is not a clskit checkpoint (no 'state_dict'); was it saved with Learner.save?")
    not_tensors = [k for k, v in ckpt["state_dict"].items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise ValueError(f"{path} is not a clskit checkpoint: its state_dict holds non-tensors at {not_tensors[:3]}")
    if model is not None:
        load_weights(model, ckpt, path.name)
    return ckpt


def load_weights(model: torch.nn.Module, ckpt: dict, name: str = "the checkpoint") -> torch.nn.Module:
    """Copy a loaded checkpoint's weights into ``model`` after checking that every shape matches.

    Example:
        >>> load_weights(model, load_checkpoint("model.pt"))     # doctest: +SKIP
    """
    own = model.state_dict()
    bad = [f"{k}: checkpoint {tuple(v.shape)} vs model {tuple(own[k].shape)}"
           for k, v in ckpt["state_dict"].items() if k in own and own[k].shape != v.shape]
    if bad:
        raise ValueError(f"{name} does not fit this model (a different number of classes or "
                         "architecture?): " + "; ".join(bad[:5]))
    missing = set(own) - set(ckpt["state_dict"])
    if missing:
        raise ValueError(f"{name} lacks {len(missing)} weights of this model, e.g. {sorted(missing)[:3]}")
    model.load_state_dict(ckpt["state_dict"])
    return model


def upgrade_checkpoint(path, dst=None, *, trust: bool = False) -> Path:
    """Convert a checkpoint saved by an older clskit (that may hold Python objects) to plain data.

    This one function loads with ``weights_only=False``, which **runs whatever code the file
    carries**: use it only on files you made yourself. The original is left untouched; the safe
    copy goes to ``dst`` (default: ``<name>.safe.pt`` beside it).

    Args:
        path: the old checkpoint.
        dst: where to write the converted copy.
        trust: must be ``True``, to say that you made the file yourself.

    Example:
        >>> upgrade_checkpoint("old_model.pt", trust=True)     # doctest: +SKIP
        PosixPath('old_model.safe.pt')
    """
    path = Path(path)
    if not trust:
        raise PermissionError(f"upgrade_checkpoint runs any code inside {path.name}; pass trust=True only "
                              "for a file you saved yourself")
    dst = Path(dst) if dst is not None else path.with_name(path.stem + ".safe" + path.suffix)
    if dst.resolve() == path.resolve():
        raise ValueError("dst must differ from path: the original is kept")
    ckpt = torch.load(path, map_location="cpu", weights_only=False)  # trusted by the caller
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise ValueError(f"{path} is not a clskit checkpoint (no 'state_dict')")
    plain = {k: to_plain(v, k) for k, v in ckpt.items() if k not in ("state_dict", "format")}
    state = {k: v.detach().cpu() for k, v in ckpt["state_dict"].items()}
    return atomic_save({"state_dict": state, "format": FORMAT, **plain}, dst)
