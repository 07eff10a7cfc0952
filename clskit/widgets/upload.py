"""Your own photos in a widget: upload photos and see the model's top classes; train on a labelled folder.

Two thin views over pure functions (compute first, then draw):

- :class:`PhotoClassifier` wraps an ``ipywidgets.FileUpload``: every uploaded photo is decoded
  (:func:`image_from_bytes`), classified (:func:`classify_photos`) and shown beside its top classes.
- :class:`FolderTrainer` runs the whole own-photos path for a folder of labelled photos with one button:
  folder -> split -> embeddings (a progress bar) -> linear probe -> accuracy with its Wilson interval ->
  confusion matrix -> exported model -> a :class:`PhotoClassifier` for new photos
  (:func:`train_folder_probe` does the work).

Both can be driven from Python (the tests do): give ``w.upload`` the files a browser would send (ipywidgets
8: set its ``value``; 7: its ``metadata``, ``data`` and ``_counter``), or call ``trainer.train()``, then
read ``w.rows``, ``w.results`` or ``trainer.result``.

Example:
    >>> from clskit.predict import Predictor
    >>> w = PhotoClassifier(Predictor.load("my_model.pt"))               # doctest: +SKIP
    >>> w.show([("church.jpg", open("church.jpg", "rb").read())])[0]["label"]   # doctest: +SKIP
    'church'
"""
from __future__ import annotations

import html
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch

from ._display import widget_bundle

ProgressFn = Callable[[str, int, int], None]   # (stage, done, total)


# -- pure functions -----------------------------------------------------------------------------
def image_from_bytes(data: bytes, size: int | None = None, name: str = "upload") -> torch.Tensor:
    """Decode an image file's bytes into float RGB ``(3, H, W)`` in ``[0, 1]``, upright by its EXIF tag.

    Args:
        data: the file's content (JPEG, PNG, WebP, ...; what ``FileUpload`` delivers).
        size: optionally resize the shorter side to ``size`` and centre-crop a square, with the same
            reader and resampling as :class:`~clskit.predict.Predictor` and the image folders.
        name: the file name, used in the error message.

    Example:
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.new("RGB", (40, 30), "red").save(buf, format="JPEG")
        >>> image_from_bytes(buf.getvalue(), size=16).shape
        torch.Size([3, 16, 16])
    """
    from ..datasets.images import read_image   # the kit's one image reader: EXIF, modes, resampling

    x = read_image(bytes(data), size, name=name)   # an unreadable upload: ImageReadError (a ValueError) naming it
    return torch.from_numpy(x).float() / 255


def uploaded_files(value) -> list[tuple[str, bytes]]:
    """``(name, bytes)`` pairs from a ``FileUpload.value`` of either ipywidgets version, or from pairs already.

    ipywidgets 8 holds a tuple of dicts with ``name`` and ``content`` (a memoryview); ipywidgets 7 (Colab's)
    a dict keyed by file name whose entries hold ``content`` (bytes) and ``metadata``.

    Example:
        >>> uploaded_files([{"name": "a.jpg", "content": memoryview(b"xy")}])                  # ipywidgets 8
        [('a.jpg', b'xy')]
        >>> uploaded_files({"a.jpg": {"metadata": {"name": "a.jpg"}, "content": b"xy"}})      # ipywidgets 7
        [('a.jpg', b'xy')]
    """
    if isinstance(value, Mapping):
        return [(str(name), bytes(entry["content"])) for name, entry in value.items()]
    out = []
    for item in value or ():
        if isinstance(item, Mapping):
            out.append((str(item["name"]), bytes(item["content"])))
        else:
            name, content = item
            out.append((str(name), bytes(content)))
    return out


def classify_photos(predictor, files: Sequence[tuple[str, bytes]], k: int = 3) -> list[dict]:
    """Decode and classify uploaded photos with a :class:`~clskit.predict.Predictor`.

    Args:
        predictor: a Predictor (``Predictor.load(path)`` or ``Predictor(model, classes, transform)``).
        files: ``(name, bytes)`` pairs (see :func:`uploaded_files`).
        k: how many top classes to keep.

    Returns:
        One dict per file, like :meth:`Predictor.predict`: ``file``, ``label``, ``probability``, ``top``
        (``(class, probability)`` pairs) and ``image`` (the ``(3, s, s)`` crop the model saw); a file that
        is not an image gets ``error`` instead.

    Example:
        >>> classify_photos(predictor, [("dog.jpg", data)], k=2)[0]["top"]      # doctest: +SKIP
        [('English springer', 0.97), ('golf ball', 0.01)]
    """
    size = getattr(predictor.transform, "size", None) or 224
    rows = []
    for name, data in files:
        try:
            x = image_from_bytes(data, size=size, name=name)
        except ValueError as e:
            rows.append({"file": name, "error": str(e)})
            continue
        probs = predictor.predict_tensor(x[None])[0]
        top = probs.topk(min(k, len(predictor.classes)))
        pairs = [(predictor.classes[int(i)], round(float(v), 4)) for v, i in zip(top.values, top.indices)]
        rows.append({"file": name, "label": pairs[0][0], "probability": pairs[0][1], "top": pairs, "image": x})
    return rows


@dataclass
class FolderResult:
    """What :func:`train_folder_probe` returns: the model, the split, and how well it did."""

    classes: list[str]
    model: torch.nn.Module
    transform: object
    train: object
    valid: object
    probs: torch.Tensor          # (n_valid, K) validation probabilities
    accuracy: float
    interval: tuple[float, float]
    seconds: float
    backbone: str = "efficientnet_lite0"
    timings: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        lo, hi = self.interval
        return (f"FolderResult({len(self.classes)} classes, {len(self.train)} training / {len(self.valid)} validation "
                f"photos: accuracy {self.accuracy:.3f}, 95% interval {lo:.3f}-{hi:.3f}, {self.seconds:.1f} s)")


def embed_in_chunks(model, data, transform, chunk: int = 32, progress: ProgressFn | None = None,
                    stage: str = "embedding") -> torch.Tensor:
    """:func:`clskit.transfer.embed` a chunk at a time, reporting ``progress(stage, done, total)``.

    Each chunk is cached like any embedding, so a second run is instant.

    Example:
        >>> from clskit.models import create_model
        >>> embed_in_chunks(create_model("small_cnn", num_classes=2), torch.rand(5, 3, 16, 16), None, chunk=2).shape
        torch.Size([5, 128])
    """
    from ..transfer import embed

    images = data.images if hasattr(data, "images") else torch.as_tensor(data)
    n, out = len(images), []
    if progress is not None:
        progress(stage, 0, n)
    for start in range(0, n, chunk):
        out.append(embed(model, images[start:start + chunk], transform=transform))
        if progress is not None:
            progress(stage, min(start + chunk, n), n)
    return torch.cat(out)


def tqdm_progress() -> ProgressFn:
    """A ``progress(stage, done, total)`` callback drawing a ``tqdm.auto`` bar per stage."""
    from tqdm.auto import tqdm

    bars: dict[str, object] = {}

    def update(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="photo")
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def train_folder_probe(folder: str | os.PathLike, *, classes: Sequence[str] | None = None, size: int = 224,
                       load_size: int | None = None, val: float = 0.25, seed: int = 0,
                       backbone: str = "efficientnet_lite0", C: float = 1.0,
                       progress: ProgressFn | bool | None = None) -> FolderResult:
    """The own-photos path in one call: folder -> split -> embeddings -> linear probe -> validation.

    Args:
        folder: one sub-folder of photos per class (``my_photos/cats/*.jpg``).
        classes: the class folders to use (default: all).
        size: the side length the backbone sees (224: what EfficientNet-Lite0 was trained on).
        load_size: the side length photos are read at (default: ``size``).
        val: fraction of each class held out for validation (stratified).
        seed: seeds the split.
        backbone: a pretrained model name.
        C: regularisation of the linear probe.
        progress: ``progress(stage, done, total)`` called while embedding; ``True`` draws tqdm bars.

    Returns:
        A :class:`FolderResult` with the model (backbone + probe as its head), the validation
        probabilities, and the accuracy with its 95% Wilson interval.

    Example:
        >>> from clskit.datasets import data_path
        >>> r = train_folder_probe(data_path("imagenette_mini") / "train", classes=["church", "golf ball"])  # doctest: +SKIP
        >>> r.accuracy, r.interval                                                                        # doctest: +SKIP
    """
    from ..datasets.folders import load_image_folder
    from ..datasets.splits import split_dataset
    from ..models import create_model
    from ..models.pretrained import preprocess_for
    from ..stats import wilson_interval
    from ..transfer import head_name, linear_probe, probe_to_linear, predict_probs

    if not 0 < val < 1:
        raise ValueError(f"val is the fraction of photos held out and must lie between 0 and 1; got {val}")
    if progress is True:
        progress = tqdm_progress()
    t0 = time.perf_counter()
    timings = {}
    photos = load_image_folder(folder, size=load_size or size, classes=classes)
    counts = photos.class_counts()
    if counts.min() < 4:
        small = [c for c, n in zip(photos.classes, counts) if n < 4]
        raise ValueError(f"class folder(s) {small} have fewer than 4 photos; add photos (20 or more per class "
                         "give a usable number) so that each class has some to train on and some to validate")
    train, valid, _ = split_dataset(photos, val=val, test=0.0, seed=seed)
    timings["load"] = time.perf_counter() - t0
    model = create_model(backbone, num_classes=len(photos.classes), pretrained=True)
    tfm = preprocess_for(model, size=size)
    t1 = time.perf_counter()
    emb_train = embed_in_chunks(model, train, tfm, progress=progress, stage="embedding training photos")
    emb_valid = embed_in_chunks(model, valid, tfm, progress=progress, stage="embedding validation photos")
    timings["embed"] = time.perf_counter() - t1
    probe = linear_probe(emb_train, train.targets, C=C)
    model.set_submodule(head_name(model), probe_to_linear(probe, len(photos.classes)))
    model.eval()
    probs = torch.from_numpy(probe.predict_proba(emb_valid.numpy())).float()
    probs = _full_probs(probs, probe[-1].classes_, len(photos.classes))
    correct = int((probs.argmax(1) == valid.targets).sum())
    return FolderResult(list(photos.classes), model, tfm, train, valid, probs, correct / len(valid),
                        wilson_interval(correct, len(valid)), time.perf_counter() - t0, backbone, timings)


def _full_probs(probs: torch.Tensor, seen: np.ndarray, k: int) -> torch.Tensor:
    out = torch.zeros(len(probs), k)
    out[:, torch.as_tensor(seen)] = probs
    return out


def _top_html(row: dict) -> str:
    if "error" in row:
        return f"<b>{html.escape(row['file'])}</b><br><span style='color:crimson'>{html.escape(row['error'])}</span>"
    bars = "".join(
        f"<tr><td style='padding-right:6px'>{html.escape(c)}</td><td style='width:120px'>"
        f"<div style='background:#4c78a8;height:10px;width:{max(1, round(100 * p))}%'></div></td>"
        f"<td style='text-align:right;padding-left:6px'>{p:.2f}</td></tr>" for c, p in row["top"])
    return (f"<b>{html.escape(row['file'])}</b>: <b>{html.escape(row['label'])}</b> ({row['probability']:.2f})"
            f"<table style='font-size:12px'>{bars}</table>")


# -- views ------------------------------------------------------------------------------------
class PhotoClassifier:
    """Upload one or more photos and see the model's top classes with their probabilities beside each photo.

    Args:
        predictor: a :class:`~clskit.predict.Predictor` (from ``Predictor.load`` after ``export_model``).
        k: how many top classes to show.
        max_photos: photos shown from one upload (the first ones).
        thumb: side length of the photos shown, in pixels.

    Attributes:
        upload: the ``ipywidgets.FileUpload`` (give it files as a browser does to drive the widget from Python).
        rows: what is shown, one dict per photo (see :func:`classify_photos`).
        results: a ``VBox`` with one ``HBox(Image, HTML)`` per photo.
        widget: the whole view.
    """

    def __init__(self, predictor, k: int = 3, max_photos: int = 8, thumb: int = 128):
        import ipywidgets as W

        self.predictor, self.k, self.max_photos, self.thumb = predictor, k, max_photos, thumb
        self.rows: list[dict] = []
        self.upload = W.FileUpload(accept="image/*", multiple=True, description="photos")
        self.info = W.HTML(f"Upload photos to classify them as one of: {html.escape(', '.join(predictor.classes[:12]))}"
                           + (" ..." if len(predictor.classes) > 12 else ""))
        self.results = W.VBox()
        self.upload.observe(lambda change: self.show(uploaded_files(change["new"])), names="value")
        self.widget = W.VBox([W.HBox([self.upload, self.info]), self.results])

    def show(self, files: Sequence[tuple[str, bytes]]) -> list[dict]:
        """Classify ``(name, bytes)`` pairs and show them (what an upload does); returns the rows."""
        import ipywidgets as W

        from ._image import array_to_png

        files = list(files)
        self.rows = classify_photos(self.predictor, files[: self.max_photos], k=self.k)
        children = []
        for row in self.rows:
            text = W.HTML(_top_html(row))
            if "image" in row:
                png = array_to_png(row["image"].permute(1, 2, 0).numpy())
                img = W.Image(value=png, format="png", layout=W.Layout(width=f"{self.thumb}px", height=f"{self.thumb}px"))
                children.append(W.HBox([img, text]))
            else:
                children.append(text)
        self.results.children = children
        shown = len(self.rows)
        self.info.value = (f"{shown} photo(s) classified" + (f" (the first {shown} of {len(files)})"
                                                              if len(files) > shown else ""))
        return self.rows

    def _repr_mimebundle_(self, **kwargs):
        return widget_bundle(self.widget)


class FolderTrainer:
    """The own-photos path for a folder of labelled photos, behind one button.

    Clicking "train" (or calling :meth:`train`) reads the folder, splits it, embeds the photos with a
    progress bar, fits a linear probe, shows the validation accuracy with its 95% Wilson interval and a
    clickable confusion matrix, exports the model to ``export_to`` and adds a :class:`PhotoClassifier`
    for new photos.

    Args:
        folder: one sub-folder of photos per class.
        export_to: where to save the trained model (``export_model``).
        classes, size, val, seed: as for :func:`train_folder_probe`.

    Attributes:
        button, progress (``IntProgress``), status (HTML), result (a :class:`FolderResult` after
        training), confusion (the :class:`~clskit.widgets.confusion.ConfusionMatrixWidget`),
        classifier (the :class:`PhotoClassifier`), widget.
    """

    def __init__(self, folder: str | os.PathLike, export_to: str | os.PathLike = "my_model.pt", *,
                 classes: Sequence[str] | None = None, size: int = 224, val: float = 0.25, seed: int = 0):
        import ipywidgets as W

        self.folder, self.export_to = Path(folder), Path(export_to)
        self.options = dict(classes=classes, size=size, val=val, seed=seed)
        self.result: FolderResult | None = None
        self.confusion = self.classifier = None
        self.button = W.Button(description="train", button_style="primary", tooltip="train a linear probe on the folder")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="", layout=W.Layout(width="300px"))
        self.stage = W.HTML("")
        self.status = W.HTML(f"Folder <code>{html.escape(self.folder.name)}</code>: press train "
                             "(embedding a hundred photos at 224 px takes a few seconds on a laptop CPU).")
        self.output = W.VBox()
        self.button.on_click(lambda _: self.train())
        self.widget = W.VBox([W.HBox([self.button, self.progress, self.stage]), self.status, self.output])

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.stage.value = f"{html.escape(stage)}: {done}/{total}"

    def train(self) -> FolderResult:
        """Run the whole path (what the button does); returns the :class:`FolderResult`."""
        from ..predict import Predictor, export_model
        from .confusion import ConfusionMatrixWidget

        self.button.disabled = True
        try:
            r = train_folder_probe(self.folder, progress=self._progress, **self.options)
        except (ValueError, FileNotFoundError) as e:
            self.status.value = f"<span style='color:crimson'>{html.escape(str(e))}</span>"
            raise
        finally:
            self.button.disabled = False
        self.result = r
        export_model(r.model, self.export_to, model_name=r.backbone, classes=r.classes, transform=r.transform,
                     accuracy=r.accuracy, interval=list(r.interval), n_valid=len(r.valid))
        lo, hi = r.interval
        self.status.value = (f"{len(r.classes)} classes, {len(r.train)} training / {len(r.valid)} validation photos: "
                             f"validation accuracy <b>{r.accuracy:.3f}</b> (95% interval {lo:.3f}-{hi:.3f}) "
                             f"in {r.seconds:.1f} s. Saved as <code>{html.escape(self.export_to.name)}</code>.")
        self.confusion = ConfusionMatrixWidget(r.valid.images, r.valid.targets, r.probs, r.classes)
        self.classifier = PhotoClassifier(Predictor.load(self.export_to))
        self.output.children = [self.confusion.widget, self.classifier.widget]
        return r

    def _repr_mimebundle_(self, **kwargs):
        return widget_bundle(self.widget)
