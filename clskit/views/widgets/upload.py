"""Your own photos in a widget: upload photos and see the model's top classes.

:class:`PhotoClassifier` is a thin view over pure functions (compute first, then draw): it wraps an
``ipywidgets.FileUpload``; every uploaded photo is decoded (:func:`image_from_bytes`), classified
(:func:`classify_photos`) and shown beside its top classes. Training on a labelled folder of your own
photos is the lesson helper :mod:`clskit.lessons.own_photos` (``FolderTrainer``).

It can be driven from Python (the tests do): give ``w.upload`` the files a browser would send (ipywidgets
8: set its ``value``; 7: its ``metadata``, ``data`` and ``_counter``), then read ``w.rows`` or ``w.results``.

Example:
    >>> from clskit.inference.predict import Predictor
    >>> w = PhotoClassifier(Predictor.load("my_model.pt"))               # doctest: +SKIP
    >>> w.show([("church.jpg", open("church.jpg", "rb").read())])[0]["label"]   # doctest: +SKIP
    'church'
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch

from clskit.utils import as_float_images
from clskit.views.widgets.view import WidgetView
from clskit.views.widgets._html import esc


# -- pure functions -----------------------------------------------------------------------------
def image_from_bytes(data: bytes, size: int | None = None, name: str = "upload") -> torch.Tensor:
    """Decode an image file's bytes into float RGB ``(3, H, W)`` in ``[0, 1]``, upright by its EXIF tag.

    Args:
        data: the file's content (JPEG, PNG, WebP, ...; what ``FileUpload`` delivers).
        size: optionally resize the shorter side to ``size`` and centre-crop a square, with the same
            reader and resampling as :class:`~clskit.inference.predict.Predictor` and the image folders.
        name: the file name, used in the error message.

    Example:
        >>> import io
        >>> from PIL import Image
        >>> buf = io.BytesIO(); Image.new("RGB", (40, 30), "red").save(buf, format="JPEG")
        >>> image_from_bytes(buf.getvalue(), size=16).shape
        torch.Size([3, 16, 16])
    """
    from clskit.datasets.images import read_image   # the kit's one image reader: EXIF, modes, resampling

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
    """Decode and classify uploaded photos with a :class:`~clskit.inference.predict.Predictor`.

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
    from clskit.models.pretrained import decode_predictions

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
        predictor: a :class:`~clskit.inference.predict.Predictor` (from ``Predictor.load`` after ``export_model``).
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

        from clskit.views.png import array_to_png

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
