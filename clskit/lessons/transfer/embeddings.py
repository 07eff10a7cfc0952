"""Embeddings through a frozen backbone, cached in memory and on disk."""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path
from typing import Callable

import torch
import torch.nn as nn

from clskit.models.heads import find_head

# -- embeddings ---------------------------------------------------------------------------------
_EMBEDDINGS: dict[str, torch.Tensor] = {}
# per (weights, transform): image hash -> its embedding row, so that a subset of images embedded
# before (a split of a folder, a sample per class) is looked up instead of computed again
_ROWS: dict[str, dict[str, torch.Tensor]] = {}


# cache keys are SHA-1 prefixes: 16 hex digits (64 bits) for images and weights, where millions of keys
# must not collide, 8 for the transform's repr, of which a session sees a handful
_KEY_DIGITS, _TRANSFORM_KEY_DIGITS = 16, 8


def _fingerprint(*tensors: torch.Tensor) -> str:
    h = hashlib.sha1()
    for t in tensors:
        t = t.detach().cpu().contiguous()
        h.update(str((tuple(t.shape), t.dtype)).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def dataset_fingerprint(images: torch.Tensor) -> str:
    """A short hash of an image tensor (shape, dtype and bytes): equal images, equal key."""
    return _fingerprint(images)[:_KEY_DIGITS]


def _image_keys(images: torch.Tensor) -> list[str]:
    """One hash per image (its shape, dtype and bytes)."""
    return [_fingerprint(im)[:_KEY_DIGITS] for im in images]


def _remember_rows(rows_key: str, image_keys: list[str], out: torch.Tensor) -> None:
    rows = _ROWS.setdefault(rows_key, {})
    for k, row in zip(image_keys, out):
        rows[k] = row


def _body_fingerprint(model: nn.Module) -> str:
    head = find_head(model)
    return _fingerprint(*[v for k, v in model.state_dict().items() if not k.startswith(head + ".")])[:_KEY_DIGITS]


def pre_logits(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The input of the model's head for a preprocessed batch: ``(B, D)`` embeddings.

    Named after timm's ``pre_logits``; timm models give it directly (``forward_head(..., pre_logits=True)``); for other models a hook
    catches what flows into the head layer.

    Example:
        >>> from clskit.models import create_model
        >>> pre_logits(create_model("small_cnn", num_classes=2).eval(), torch.zeros(1, 3, 16, 16)).shape
        torch.Size([1, 128])
    """
    if hasattr(model, "forward_head") and hasattr(model, "forward_features"):
        return model.forward_head(model.forward_features(x), pre_logits=True)
    caught = {}
    hook = model.get_submodule(find_head(model)).register_forward_pre_hook(
        lambda mod, args: caught.setdefault("x", args[0]))
    try:
        model(x)
    finally:
        hook.remove()
    return caught["x"].flatten(1)


def embed(model: nn.Module, data, *, transform: Callable | None = None, batch_size: int = 16,
          cache: bool = True, cache_dir: str | os.PathLike | bool | None = None, device=None) -> torch.Tensor:
    """Embeddings ``(N, D)`` of all images of ``data`` through a frozen backbone (eval mode, no gradients;
    the loop is :func:`clskit.inference.predict_logits`).

    Args:
        model: a backbone with a head (the head itself is skipped, see :func:`pre_logits`).
        data: an :class:`~clskit.datasets.ImageDataset` or a float tensor ``(N, C, H, W)`` in ``[0, 1]``.
        transform: batch preprocessing (e.g. :func:`~clskit.models.pretrained.preprocess_for`).
        batch_size: images per forward pass (at 224 px a batch of 32 holds about 700 MB of activations).
        cache: reuse embeddings computed before for the same weights, images and transform. Each
            image's embedding depends on that image alone, so rows are reused image by image too: a
            split or sample of images embedded before in this session costs no forward pass.
        cache_dir: also keep them on disk here across sessions and notebooks (default: ``CLSKIT_CACHE_DIR``,
            else ``~/.cache/clskit/embeddings``; ``False`` keeps them in memory only). Files hold plain
            tensors and are loaded with ``weights_only=True``.
        device: where to run; defaults to the best device (the model goes back where it was afterwards).

    Example:
        >>> from clskit.models import create_model
        >>> m = create_model("small_cnn", num_classes=2)
        >>> embed(m, torch.rand(5, 3, 16, 16)).shape
        torch.Size([5, 128])
    """
    images = data.images if hasattr(data, "images") else torch.as_tensor(data)
    body, tfm_key = _body_fingerprint(model), hashlib.sha1(repr(transform).encode()).hexdigest()[:_TRANSFORM_KEY_DIGITS]
    key = "-".join([body, dataset_fingerprint(images), tfm_key])
    rows_key = f"{body}-{tfm_key}"
    if cache_dir is None:
        cache_dir = os.environ.get("CLSKIT_CACHE_DIR") or (
            Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clskit" / "embeddings")
    path = Path(cache_dir) / f"emb-{key}.pt" if cache_dir else None
    if cache and key in _EMBEDDINGS:
        return _EMBEDDINGS[key].clone()
    if cache and path is not None and path.exists():
        out = _load_cached(path, len(images), _feature_dim(model))
        if out is not None:
            _EMBEDDINGS[key] = out
            _remember_rows(rows_key, _image_keys(images), out)
            return out.clone()
    # in eval mode each image's embedding depends on that image alone: reuse the rows seen before
    image_keys = _image_keys(images) if cache else []
    known = _ROWS.get(rows_key, {})
    todo = [i for i, k in enumerate(image_keys) if k not in known] if cache else list(range(len(images)))
    new_rows = _forward(model, images[todo] if len(todo) < len(images) else images, transform, batch_size, device)
    if len(todo) == len(images):
        out = new_rows
    else:
        fresh = dict(zip(todo, new_rows))
        out = torch.stack([fresh[i] if i in fresh else known[k] for i, k in enumerate(image_keys)])
    if cache:
        _EMBEDDINGS[key] = out
        _remember_rows(rows_key, image_keys, out)
        if path is not None:
            _save_cached(out, path)
    return out.clone()


class EmbeddingCacheWarning(UserWarning):
    """The on-disk embedding cache could not be used (a damaged file, a folder that cannot be written);
    the embeddings were computed instead, so the results are right, only not cached."""


_WARNED: set[tuple[str, str]] = set()   # each kind of cache problem, per folder, is reported once per session


def _warn_once(kind: str, folder: Path, message: str) -> None:
    if (kind, str(folder)) not in _WARNED:
        _WARNED.add((kind, str(folder)))
        warnings.warn(message, EmbeddingCacheWarning, stacklevel=3)


def _feature_dim(model: nn.Module) -> int | None:
    """The embedding width ``D`` when the head says it (a Linear head's ``in_features``), else ``None``."""
    head = model.get_submodule(find_head(model))
    return head.in_features if isinstance(head, nn.Linear) else None


def _load_cached(path: Path, n: int, dim: int | None) -> torch.Tensor | None:
    """The embeddings stored at ``path`` if they are a finite float ``(n, dim)`` tensor, else ``None``
    (with one warning): a truncated file, another object or another shape is recomputed, not trusted."""
    try:
        out = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:   # truncated or damaged: torch and pickle raise many kinds, none of them the user's fault
        problem = f"cannot be read ({type(e).__name__})"
    else:
        if not isinstance(out, torch.Tensor):
            problem = f"holds a {type(out).__name__}, not a tensor of embeddings"
        elif out.ndim != 2 or out.shape[0] != n or (dim is not None and out.shape[1] != dim) \
                or not out.is_floating_point():
            want = f"({n}, {dim if dim is not None else 'D'})"
            problem = f"holds a {out.dtype} tensor of shape {tuple(out.shape)}, not the {want} float embeddings"
        elif not bool(torch.isfinite(out).all()):
            problem = "holds NaN or infinite values"
        else:
            return out
    _warn_once("file", path.parent, f"the cached embeddings {path.name} in {path.parent} {problem}; they were "
               "computed again and the file replaced. If this repeats, delete that folder or pass cache_dir=False")
    return None


def _save_cached(out: torch.Tensor, path: Path) -> None:
    """Keep ``out`` at ``path``; a folder that cannot be written costs the cache, not the result."""
    from clskit.training.checkpoint import atomic_save

    try:
        atomic_save(out, path)
    except OSError as e:
        _warn_once("write", path.parent, f"cannot write the embedding cache in {path.parent} ({type(e).__name__}: "
                   f"{e.strerror or e}); the embeddings are kept in memory only. Set CLSKIT_CACHE_DIR to a "
                   "writable folder, or pass cache_dir=False")


def _forward(model: nn.Module, images: torch.Tensor, transform, batch_size: int, device) -> torch.Tensor:
    """Embeddings of ``images`` in batches: the inference loop with :func:`pre_logits` as the forward pass."""
    from clskit.inference import predict_logits
    from clskit.utils import default_device

    if len(images) == 0:   # every image was cached: an empty (0, D) block is never used
        return torch.empty(0)
    out, _ = predict_logits(model, images, transform, batch_size=batch_size, forward=_channels_last_features,
                            device=device if device is not None else default_device())
    return out


def _channels_last_features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    from clskit.inference import channels_last

    return pre_logits(model, channels_last(x))   # the same values, faster convolutions on a CPU


def clear_embedding_cache() -> None:
    """Forget the embeddings cached in memory, and which cache problems were reported (the disk cache stays)."""
    _EMBEDDINGS.clear()
    _ROWS.clear()
    _WARNED.clear()
