"""Your own photos in a widget: upload photos and see the model's top classes; train on a labelled folder.

Two thin views over pure functions (compute first, then draw):

- :class:`PhotoClassifier` wraps an ``ipywidgets.FileUpload``: every uploaded photo is decoded
  (:func:`image_from_bytes`), classified (:func:`classify_photos`) and shown beside its top classes.
- :class:`FolderTrainer` runs the whole own-photos path for a folder of labelled photos with one button:
  folder -> split -> embeddings (a progress bar) -> ``train_transfer("linear_probe")`` -> accuracy with
  its Wilson interval -> confusion matrix -> exported model -> a :class:`PhotoClassifier` for new photos
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

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import torch

from ..utils import as_float_images
from .view import WidgetView
from ._html import esc

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
        >>> import io
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.new("RGB", (40, 30), "red").save(buf, format="JPEG")
        >>> image_from_bytes(buf.getvalue(), size=16).shape
        torch.Size([3, 16, 16])
    """
    from ..datasets.images import read_image   # the kit's one image reader: EXIF, modes, resampling

    x = read_image(bytes(data), size, name=name)   # an unreadable upload: ImageReadError (a ValueError) naming it
    return as_float_images(torch.from_numpy(x))


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
    from ..models.pretrained import decode_predictions

    size = predictor.read_size   # what Predictor.predict reads files at: the exported model's image size
    rows = []
    for name, data in files:
        try:
            x = image_from_bytes(data, size=size, name=name)
        except ValueError as e:
            rows.append({"file": name, "error": str(e)})
            continue
        pairs = decode_predictions(predictor.predict_tensor(x[None]), k, predictor.classes)[0]
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
                       load_size: int | None = None, valid: float = 0.25, seed: int = 0,
                       backbone: str = "efficientnet_lite0", C: float = 1.0,
                       progress: ProgressFn | bool | None = None) -> FolderResult:
    """The own-photos path in one call: folder -> split -> ``train_transfer("linear_probe")`` -> validation.

    The training is :func:`clskit.transfer.train_transfer`'s linear probe; this function adds the
    folder, the split, progress while the photos are embedded (the embeddings are cached, so the
    probe reuses them) and the validation probabilities the confusion matrix shows.

    Args:
        folder: one sub-folder of photos per class (``my_photos/cats/*.jpg``).
        classes: the class folders to use (default: all).
        size: the side length the backbone sees (224: what EfficientNet-Lite0 was trained on).
        load_size: the side length photos are read at (default: ``size``).
        valid: fraction of each class held out for validation (stratified).
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
    from ..inference import activation
    from ..models import create_model
    from ..models.pretrained import preprocess_for
    from ..stats import wilson_interval
    from ..models.heads import find_head
    from ..transfer import embed, train_transfer

    if not 0 < valid < 1:
        raise ValueError(f"valid is the fraction of photos held out and must lie between 0 and 1; got {valid}")
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
    train, held_out, _ = split_dataset(photos, valid=valid, test=0.0, seed=seed)
    timings["load"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    if progress is not None:   # embed a chunk at a time to report progress; train_transfer finds them cached
        backbone_model = create_model(backbone, num_classes=len(photos.classes), pretrained=True)
        tfm = preprocess_for(backbone_model, size=size)
        embed_in_chunks(backbone_model, train, tfm, progress=progress, stage="embedding training photos")
        embed_in_chunks(backbone_model, held_out, tfm, progress=progress, stage="embedding validation photos")
    timings["embed"] = time.perf_counter() - t1
    r = train_transfer("linear_probe", train, held_out, backbone=backbone, size=size, C=C, seed=seed)
    # the validation probabilities: the cached embeddings through the probe's head
    with torch.inference_mode():
        logits = r.model.get_submodule(find_head(r.model))(embed(r.model, held_out, transform=r.transform))
    probs = activation(logits.float())
    correct = round(r.accuracy * len(held_out))
    return FolderResult(list(photos.classes), r.model, r.transform, train, held_out, probs, r.accuracy,
                        wilson_interval(correct, len(held_out)), time.perf_counter() - t0, backbone, timings)


def _top_html(row: dict) -> str:
    if "error" in row:
        return f"<b>{esc(row['file'])}</b><br><span style='color:crimson'>{esc(row['error'])}</span>"
    bars = "".join(
        f"<tr><td style='padding-right:6px'>{esc(c)}</td><td style='width:120px'>"
        f"<div style='background:#4c78a8;height:10px;width:{max(1, round(100 * p))}%'></div></td>"
        f"<td style='text-align:right;padding-left:6px'>{p:.2f}</td></tr>" for c, p in row["top"])
    return (f"<b>{esc(row['file'])}</b>: <b>{esc(row['label'])}</b> ({row['probability']:.2f})"
            f"<table style='font-size:12px'>{bars}</table>")


# -- views ------------------------------------------------------------------------------------
class PhotoClassifier(WidgetView):
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
        self.info = W.HTML(f"Upload photos to classify them as one of: {esc(', '.join(predictor.classes[:12]))}"
                           + (" ..." if len(predictor.classes) > 12 else ""))
        self.results = W.VBox()
        self.upload.observe(lambda change: self.show(uploaded_files(change["new"])), names="value")
        self.widget = W.VBox([W.HBox([self.upload, self.info]), self.results])

    def show(self, files: Sequence[tuple[str, bytes]]) -> list[dict]:
        """Classify ``(name, bytes)`` pairs and show them (what an upload does); returns the rows."""
        import ipywidgets as W

        from ..png import array_to_png

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


class FolderTrainer(WidgetView):
    """The own-photos path for a folder of labelled photos, behind one button.

    Clicking "train" (or calling :meth:`train`) reads the folder, splits it, embeds the photos with a
    progress bar, fits a linear probe, shows the validation accuracy with its 95% Wilson interval and a
    clickable confusion matrix, exports the model to ``export_to`` and adds a :class:`PhotoClassifier`
    for new photos.

    Args:
        folder: one sub-folder of photos per class.
        export_to: where to save the trained model (``export_model``).
        classes, size, valid, seed: as for :func:`train_folder_probe`.

    Attributes:
        button, progress (``IntProgress``), status (HTML), result (a :class:`FolderResult` after
        training), confusion (the :class:`~clskit.widgets.confusion.ConfusionMatrixWidget`),
        classifier (the :class:`PhotoClassifier`), widget.
    """

    def __init__(self, folder: str | os.PathLike, export_to: str | os.PathLike = "my_model.pt", *,
                 classes: Sequence[str] | None = None, size: int = 224, valid: float = 0.25, seed: int = 0):
        import ipywidgets as W

        self.folder, self.export_to = Path(folder), Path(export_to)
        self.options = dict(classes=classes, size=size, valid=valid, seed=seed)
        self.result: FolderResult | None = None
        self.confusion = self.classifier = None
        self.button = W.Button(description="train", button_style="primary", tooltip="train a linear probe on the folder")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="", layout=W.Layout(width="300px"))
        self.stage = W.HTML("")
        self.status = W.HTML(f"Folder <code>{esc(self.folder.name)}</code>: press train "
                             "(embedding a hundred photos at 224 px takes a few seconds on a laptop CPU).")
        self.output = W.VBox()
        self.button.on_click(lambda _: self.train())
        self.widget = W.VBox([W.HBox([self.button, self.progress, self.stage]), self.status, self.output])

    def _progress(self, stage: str, done: int, total: int) -> None:
        self.progress.max = max(total, 1)
        self.progress.value = done
        self.stage.value = f"{esc(stage)}: {done}/{total}"

    def train(self) -> FolderResult:
        """Run the whole path (what the button does); returns the :class:`FolderResult`."""
        from ..predict import Predictor, export_model
        from .confusion import ConfusionMatrixWidget

        self.button.disabled = True
        try:
            r = train_folder_probe(self.folder, progress=self._progress, **self.options)
        except (ValueError, FileNotFoundError) as e:
            self.status.value = f"<span style='color:crimson'>{esc(str(e))}</span>"
            raise
        finally:
            self.button.disabled = False
        self.result = r
        export_model(r.model, self.export_to, model_name=r.backbone, classes=r.classes, transform=r.transform,
                     accuracy=r.accuracy, interval=list(r.interval), n_valid=len(r.valid))
        lo, hi = r.interval
        self.status.value = (f"{len(r.classes)} classes, {len(r.train)} training / {len(r.valid)} validation photos: "
                             f"validation accuracy <b>{r.accuracy:.3f}</b> (95% interval {lo:.3f}-{hi:.3f}) "
                             f"in {r.seconds:.1f} s. Saved as <code>{esc(self.export_to.name)}</code>.")
        self.confusion = ConfusionMatrixWidget(r.valid.images, r.valid.targets, r.probs, r.classes)
        self.classifier = PhotoClassifier(Predictor.load(self.export_to))
        self.output.children = [self.confusion.widget, self.classifier.widget]
        return r
