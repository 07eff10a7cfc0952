"""Use a trained model on your own photos: save it with what it needs, load it back, predict on files.

``export_model`` writes one checkpoint holding the weights, the model's name (to rebuild it with
``create_model``), the class names and the preprocessing. ``Predictor.load(path)`` rebuilds it with
no network and no training code, and ``predictor.predict(["cat.jpg", ...])`` returns the top classes.

Example:
    >>> export_model(result.model, "my_model.pt", model_name="efficientnet_lite0",
    ...              classes=train.classes, transform=result.transform)     # doctest: +SKIP
    >>> Predictor.load("my_model.pt").predict(["photo.jpg"])               # doctest: +SKIP
    [{'file': 'photo.jpg', 'label': 'ants', 'probability': 0.93, 'top': [...]}]
"""
from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

import torch
import torch.nn as nn

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def load_image(path: str | os.PathLike, size: int | None = None) -> torch.Tensor:
    """Read an image file as float RGB ``(3, H, W)`` in ``[0, 1]``, turned upright by its EXIF tag.

    Args:
        path: an image file (JPEG, PNG, BMP, GIF, WebP, TIFF).
        size: optionally resize so the shorter side is ``size`` and centre-crop a square.

    Example:
        >>> load_image("photo.jpg", size=96).shape     # doctest: +SKIP
        torch.Size([3, 96, 96])
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no image file at {path}")
    try:
        with Image.open(path) as im:
            im = ImageOps.exif_transpose(im).convert("RGB")  # phone photos store rotation in EXIF
            if size is not None:
                im = ImageOps.fit(im, (size, size), Image.Resampling.BILINEAR)
            x = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).reshape(im.height, im.width, 3)
    except UnidentifiedImageError:
        raise ValueError(f"{path} is not an image file Pillow can read; supported: {' '.join(IMAGE_SUFFIXES)}") from None
    return x.permute(2, 0, 1).float() / 255


def image_files(folder: str | os.PathLike) -> list[Path]:
    """All image files under ``folder`` (recursively), sorted.

    Example:
        >>> image_files("my_photos")     # doctest: +SKIP
        [PosixPath('my_photos/a.jpg'), ...]
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder at {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not files:
        raise ValueError(f"folder {folder} has no images; supported: {' '.join(IMAGE_SUFFIXES)}")
    return files


def export_model(model: nn.Module, path: str | os.PathLike, *, model_name: str, classes: Sequence[str],
                 transform=None, in_chans: int = 3, model_kwargs: dict | None = None, **extra) -> Path:
    """Save a model with everything needed to predict later: name, classes and preprocessing.

    Args:
        model: the trained model (a ``create_model`` model, possibly with a new head).
        path: where to write the checkpoint (atomically).
        model_name: the ``create_model`` name that rebuilds the architecture (``"efficientnet_lite0"``).
        classes: class names in output order.
        transform: the evaluation preprocessing (a :class:`~clskit.models.pretrained.Preprocess`).
        in_chans: input channels the model expects.
        model_kwargs: extra ``create_model`` arguments used when building it.
        **extra: more metadata to store (for example the validation accuracy).

    Example:
        >>> from clskit.models import create_model
        >>> p = export_model(create_model("small_cnn", num_classes=2), "/tmp/m.pt", model_name="small_cnn", classes=["a", "b"])   # doctest: +SKIP
    """
    from .checkpoint import save_checkpoint
    from .models.pretrained import Preprocess

    if transform is not None and not isinstance(transform, Preprocess):
        raise TypeError(f"transform must be a clskit Preprocess (it is saved as plain numbers); got "
                        f"{type(transform).__name__}. Build one with preprocess_for(model, size=...)")
    pre = asdict(transform) if transform is not None else None
    return save_checkpoint(path, model, format_kind="clskit-predictor", model_name=model_name,
                           classes=list(classes), in_chans=in_chans, preprocess=pre,
                           model_kwargs=dict(model_kwargs or {}), **extra)


class Predictor:
    """A saved model ready to classify image files (see :func:`export_model`).

    Example:
        >>> pred = Predictor.load("my_model.pt")           # doctest: +SKIP
        >>> pred.predict(image_files("new_photos"), k=2)   # doctest: +SKIP
    """

    def __init__(self, model: nn.Module, classes: Sequence[str], transform=None, meta: dict | None = None):
        self.model, self.classes, self.transform, self.meta = model.eval(), list(classes), transform, meta or {}

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Predictor":
        """Rebuild the model from a checkpoint written by :func:`export_model` (no network needed)."""
        from .checkpoint import load_checkpoint
        from .models import create_model
        from .models.pretrained import Preprocess

        meta = load_checkpoint(path)
        if meta.get("format_kind") != "clskit-predictor":
            raise ValueError(f"{path} was not saved with export_model (it lacks the model name and "
                             "preprocessing); save it with clskit.predict.export_model(model, path, model_name=..., classes=...)")
        model = create_model(meta["model_name"], num_classes=len(meta["classes"]), pretrained=False,
                             in_chans=meta["in_chans"], **meta["model_kwargs"])
        load_checkpoint(path, model)
        pre = meta.get("preprocess")
        return cls(model, meta["classes"], Preprocess(**pre) if pre else None, meta)

    @torch.inference_mode()
    def predict_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities ``(B, num_classes)`` for float images ``(B, C, H, W)`` in ``[0, 1]``."""
        if x.ndim == 3:
            x = x[None]
        x = self.transform(x) if self.transform is not None else x
        return torch.softmax(self.model(x).float(), dim=1)

    def predict(self, files: Sequence[str | os.PathLike] | str | os.PathLike, k: int = 3,
                batch_size: int = 32) -> list[dict]:
        """Top-``k`` classes for each image file (or every image in a folder).

        Returns:
            One dict per file: ``file`` (its name), ``label``, ``probability`` and ``top`` (a list of
            ``(class, probability)`` pairs).
        """
        if isinstance(files, (str, os.PathLike)):
            files = image_files(files) if Path(files).is_dir() else [files]
        size = self.transform.size if self.transform is not None else None
        rows = []
        for start in range(0, len(files), batch_size):
            chunk = list(files[start:start + batch_size])
            # square centre crops at the model's size (photos differ in size and aspect ratio)
            x = torch.stack([load_image(f, size=size or 224) for f in chunk])
            probs = self.predict_tensor(x)
            top = probs.topk(min(k, len(self.classes)), dim=1)
            for f, vs, ix in zip(chunk, top.values, top.indices):
                pairs = [(self.classes[int(i)], round(float(v), 4)) for v, i in zip(vs, ix)]
                rows.append({"file": Path(f).name, "label": pairs[0][0], "probability": pairs[0][1], "top": pairs})
        return rows
