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

import numpy as np
import torch
import torch.nn as nn

from clskit.datasets.images import IMAGE_EXTENSIONS, ImageReadError, find_images, read_image, read_images
from clskit.utils import as_float_images



def load_image(path: str | os.PathLike, size: int | None = None) -> torch.Tensor:
    """Read an image file as float RGB ``(3, H, W)`` in ``[0, 1]``, upright, with the kit's one reader.

    The same reader (:func:`clskit.datasets.images.read_image`) loads training folders, so a photo
    is predicted on exactly as it was trained on: EXIF orientation applied, any colour mode made
    RGB, resized with the same filter.

    Args:
        path: an image file (JPEG, PNG, BMP, GIF, WebP, TIFF).
        size: optionally resize so the shorter side is ``size`` and centre-crop a square.

    Raises:
        FileNotFoundError: no such file.
        ImageReadError: (a ``ValueError``) empty, truncated, or not an image; the message says which.

    Example:
        >>> load_image("photo.jpg", size=96).shape     # doctest: +SKIP
        torch.Size([3, 96, 96])
    """
    return as_float_images(torch.from_numpy(read_image(path, size)))


def image_files(folder: str | os.PathLike) -> list[Path]:
    """All image files under ``folder`` (recursively, any case of extension, hidden files left out), sorted.

    Example:
        >>> image_files("my_photos")     # doctest: +SKIP
        [PosixPath('my_photos/a.jpg'), ...]
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder at {folder}")
    files = find_images(folder)
    if not files:
        raise ValueError(f"folder {folder} has no images; supported: {' '.join(IMAGE_EXTENSIONS)}")
    return files


# the side of the blank image that the export's trial forward pass uses when neither image_size= nor the
# transform names one (any size a small CNN accepts; a model fixed to another size is left to the weight check)
_TRIAL_SIZE = 64


def _check_fits(model: nn.Module, model_name: str, classes: list[str], in_chans: int, model_kwargs: dict,
                size: int | None) -> None:
    """Refuse at save time what :meth:`Predictor.load` would fail on later."""
    from clskit.models import create_model

    if size is not None:  # a forward pass tells how many outputs the model really has
        from clskit.inference import predict_logits

        try:
            out, _ = predict_logits(model, torch.zeros(1, in_chans, size, size))
        except (RuntimeError, ValueError, AssertionError):  # e.g. a ViT built for another size: the weight check below decides
            out = None
        if isinstance(out, torch.Tensor) and out.ndim == 2 and out.shape[1] != len(classes):
            raise ValueError(f"the model has {out.shape[1]} outputs but classes= lists {len(classes)} names; "
                             "pass the class names in output order (for example train.classes), or give the "
                             f"model {len(classes)} outputs with create_model(..., num_classes={len(classes)})")
    try:
        rebuilt = create_model(model_name, num_classes=len(classes), pretrained=False, in_chans=in_chans, **model_kwargs)
    except KeyError:
        raise ValueError(f"model_name={model_name!r} is not a name create_model knows, so Predictor.load could not "
                         "rebuild the model; pass the name the model was created with (see clskit.list_models())") from None
    except (TypeError, ValueError) as e:  # bad model_kwargs (an unknown or wrong argument) or in_chans
        raise ValueError(f"create_model({model_name!r}, num_classes={len(classes)}, in_chans={in_chans}, "
                         f"**{model_kwargs}) fails ({type(e).__name__}: {e}); Predictor.load would fail the same way. "
                         "Pass the in_chans= and model_kwargs= the model was built with") from None
    own, want = model.state_dict(), rebuilt.state_dict()
    bad = [f"{k}: model {tuple(v.shape)} vs rebuilt {tuple(want[k].shape)}"
           for k, v in own.items() if k in want and want[k].shape != v.shape]
    missing = sorted(set(want) - set(own))
    if bad or missing:
        raise ValueError(f"create_model({model_name!r}, num_classes={len(classes)}, in_chans={in_chans}, **{model_kwargs}) "
                         "builds a different architecture than this model, so Predictor.load could not load it: "
                         + "; ".join(bad[:3] + [f"missing {k}" for k in missing[:3]])
                         + ". Check classes=, in_chans= and model_kwargs=")


def export_model(model: nn.Module, path: str | os.PathLike, *, model_name: str, classes: Sequence[str],
                 transform=None, in_chans: int = 3, model_kwargs: dict | None = None, multilabel: bool = False,
                 thresholds: float | Sequence[float] | None = None, image_size: int | None = None,
                 **extra) -> Path:
    """Save a model with everything needed to predict later: name, classes and preprocessing.

    Before writing, the model is rebuilt with ``create_model(model_name, ...)`` and compared with
    the one given, so a wrong name, class count or ``model_kwargs`` fails now, not weeks later in
    :meth:`Predictor.load`. Everything is stored as plain data (no pickled objects).

    Args:
        model: the trained model (a ``create_model`` model, possibly with a new head).
        path: where to write the checkpoint (atomically).
        model_name: the ``create_model`` name that rebuilds the architecture (``"efficientnet_lite0"``).
        classes: class names in output order.
        transform: the evaluation preprocessing (a :class:`~clskit.models.pretrained.Preprocess`).
        in_chans: input channels the model expects.
        model_kwargs: extra ``create_model`` arguments used when building it.
        multilabel: a multi-label model (each output is an independent yes/no, read with a sigmoid).
        thresholds: for multi-label models, the probability at or above which a label is predicted:
            one number for all labels or one per label (default 0.5).
        image_size: side length the training images were read at (``load_image_folder(size=...)``);
            the Predictor reads files at this size and then applies ``transform``, as in training.
            Default: ``transform.size`` (or 224 without a transform).
        **extra: more metadata to store (for example the validation accuracy), as plain data.

    Example:
        >>> from clskit.models import create_model
        >>> p = export_model(create_model("small_cnn", num_classes=2), "/tmp/m.pt", model_name="small_cnn", classes=["a", "b"])   # doctest: +SKIP
    """
    from clskit.training.checkpoint import save_checkpoint
    from clskit.models.pretrained import Preprocess

    if not isinstance(model, nn.Module):
        hint = " (for a Learner pass learn.model)" if hasattr(model, "model") else ""
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}{hint}")
    if transform is not None and not isinstance(transform, Preprocess):
        raise TypeError(f"transform must be a clskit Preprocess (it is saved as plain numbers); got "
                        f"{type(transform).__name__}. Build one with preprocess_for(model, size=...)")
    classes = [str(c) for c in classes]
    if len(classes) < 1 or len(set(classes)) != len(classes):
        dup = sorted({c for c in classes if classes.count(c) > 1})
        raise ValueError(f"classes must be distinct names, one per output; got {len(classes)} with duplicates {dup}")
    if thresholds is not None and not multilabel:
        raise ValueError("thresholds= is for multi-label models; pass multilabel=True (single-label models "
                         "predict the most probable class)")
    if multilabel:
        t = 0.5 if thresholds is None else thresholds
        t = [float(t)] * len(classes) if isinstance(t, (int, float)) else [float(v) for v in t]
        if len(t) != len(classes) or not all(0 <= v <= 1 for v in t):
            raise ValueError(f"thresholds must be one number or one per label ({len(classes)}), each in [0, 1]; got {thresholds}")
        thresholds = t
    size = image_size if image_size is not None else (transform.size if transform is not None else None)
    model_kwargs = dict(model_kwargs or {})
    _check_fits(model, model_name, classes, in_chans, model_kwargs, size or _TRIAL_SIZE)
    pre = asdict(transform) if transform is not None else None
    return save_checkpoint(path, model, format_kind="clskit-predictor", model_name=model_name,
                           classes=classes, in_chans=in_chans, preprocess=pre, model_kwargs=model_kwargs,
                           multilabel=bool(multilabel), thresholds=thresholds, image_size=image_size, **extra)


class Predictor:
    """A saved model ready to classify image files (see :func:`export_model`).

    Single-label models give each file its most probable class (softmax over the outputs);
    multi-label models give each label its own probability (a sigmoid) and predict the labels at
    or above their thresholds.

    Example:
        >>> pred = Predictor.load("my_model.pt")           # doctest: +SKIP
        >>> pred.predict(image_files("new_photos"), k=2)   # doctest: +SKIP
    """

    def __init__(self, model: nn.Module, classes: Sequence[str], transform=None, meta: dict | None = None, *,
                 multilabel: bool = False, thresholds: Sequence[float] | None = None, image_size: int | None = None):
        self.model, self.classes, self.transform, self.meta = model.eval(), list(classes), transform, meta or {}
        self.multilabel = bool(multilabel)
        self.thresholds = torch.as_tensor(thresholds if thresholds is not None else [0.5] * len(self.classes),
                                          dtype=torch.float32)
        self.image_size = image_size

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Predictor":
        """Rebuild the model from a checkpoint written by :func:`export_model` (no network needed).

        The file is loaded safely (plain data only, see :func:`clskit.training.checkpoint.load_checkpoint`).
        """
        from clskit.training.checkpoint import load_checkpoint, load_weights
        from clskit.models import create_model
        from clskit.models.pretrained import Preprocess

        meta = load_checkpoint(path)
        if meta.get("format_kind") != "clskit-predictor":
            raise ValueError(f"{path} was not saved with export_model (it lacks the model name and "
                             "preprocessing); save it with clskit.inference.predict.export_model(model, path, model_name=..., classes=...)")
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["model_kwargs"].items()}
        model = create_model(meta["model_name"], num_classes=len(meta["classes"]), pretrained=False,
                             in_chans=meta["in_chans"], **kwargs)
        load_weights(model, meta, Path(path).name)
        pre = meta.get("preprocess")
        if pre:
            pre = Preprocess(**{k: tuple(v) if isinstance(v, list) else v for k, v in pre.items()})
        return cls(model, meta["classes"], pre, meta, multilabel=meta.get("multilabel", False),
                   thresholds=meta.get("thresholds"), image_size=meta.get("image_size"))

    @property
    def read_size(self) -> int:
        """The side length image files are read at: the size the model was trained at (``image_size``),
        else its preprocessing's size, else 224. Every reader of files and uploads for this model uses it."""
        return self.image_size or (getattr(self.transform, "size", None) if self.transform is not None else None) or 224

    def predict_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """Probabilities ``(B, num_classes)`` for float images ``(B, C, H, W)`` in ``[0, 1]`` (or uint8
        0-255): a softmax over the classes, or for a multi-label model one sigmoid per label.

        The loop is :func:`clskit.inference.predict_probs` (eval mode, no gradients, the model's device).
        """
        from clskit.checks import check_pixel_scale, checked_channels
        from clskit.inference import predict_probs

        if not isinstance(x, torch.Tensor) or x.ndim not in (3, 4):
            raise ValueError(f"predict_tensor expects an image tensor (C, H, W) or (B, C, H, W); got "
                             f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
        check_pixel_scale(x)
        x = x[None] if x.ndim == 3 else x
        with checked_channels(self.model):   # what reaches the first conv (a transform may expand grey to RGB)
            return predict_probs(self.model, x, self.transform, multilabel=self.multilabel, batch_size=max(len(x), 1))

    def predict(self, files: Sequence[str | os.PathLike] | str | os.PathLike, k: int = 3,
                batch_size: int = 32) -> list[dict]:
        """Top-``k`` classes for each image file (or every image in a folder).

        A folder or a list of files skips the files that cannot be read, with one warning listing
        them (as :func:`~clskit.datasets.folders.load_image_folder` does); a single file that cannot
        be read is a clear error.

        Returns:
            One dict per readable file: ``file`` (its name), ``top`` (a list of ``(class, probability)``
            pairs), and for single-label models ``label`` and ``probability`` (the top class), for
            multi-label models ``labels`` (those at or above their threshold) and ``probabilities``
            (``{label: probability}`` for every label).
        """
        from clskit.datasets.folders import warn_skipped

        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise ValueError(f"k must be a whole number of at least 1; got {k!r}")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number of at least 1; got {batch_size!r}")
        if isinstance(files, (str, os.PathLike)):
            many = Path(files).expanduser().is_dir()
            files = image_files(files) if many else [Path(files).expanduser()]
        else:
            files, many = [Path(f).expanduser() for f in files], True
            if not files:
                raise ValueError("no files to predict on: pass a folder, a file, or a non-empty list of files")
        # every file is read like the training images, at the size they were read at
        size = self.read_size
        rows, skipped = [], []
        for start in range(0, len(files), batch_size):
            chunk = files[start:start + batch_size]
            if many:
                images, kept, bad = read_images(chunk, size)
                skipped += bad
                chunk = [chunk[i] for i in kept]
            else:
                images = [read_image(chunk[0], size)]  # one file: a clear error if it cannot be read
            if not images:
                continue
            probs = self.predict_tensor(torch.from_numpy(np.stack(images)))   # uint8: made float in the loop
            rows += self._rows(chunk, probs, k)
        warn_skipped(skipped, stacklevel=3)
        if not rows:
            raise ImageReadError(files[0], f"one of {len(files)} file(s), none of which could be read as an image "
                                 "(see the warning)", "check that the files are photos")
        return rows

    def _rows(self, files: list[Path], probs: torch.Tensor, k: int) -> list[dict]:
        from clskit.models.pretrained import decode_predictions

        rows = []
        for f, p, pairs in zip(files, probs, decode_predictions(probs, k, self.classes)):
            if self.multilabel:
                row = {"file": f.name, "labels": [c for c, v, t in zip(self.classes, p, self.thresholds) if v >= t],
                       "probabilities": {c: round(float(v), 4) for c, v in zip(self.classes, p)}}
            else:
                row = {"file": f.name, "label": pairs[0][0], "probability": pairs[0][1]}
            rows.append({**row, "top": pairs})
        return rows
