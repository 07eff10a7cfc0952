"""Your own labelled photos, end to end: folder -> split -> linear probe -> accuracy -> exported model.

:func:`train_folder_probe` does the work (the training is
:func:`clskit.lessons.transfer.train_transfer`'s linear probe); :class:`FolderTrainer` puts it behind one
button: embeddings with a progress bar, the accuracy with its Wilson interval, a clickable confusion
matrix, the exported model and a :class:`~clskit.views.widgets.upload.PhotoClassifier` for new photos.
Drive it from Python with ``trainer.train()`` and read ``trainer.result``.

Example:
    >>> from clskit.datasets import data_path
    >>> t = FolderTrainer(data_path("imagenette_mini") / "train", "my_model.pt")   # doctest: +SKIP
    >>> t.train().accuracy                                                         # doctest: +SKIP
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch

from clskit.views.widgets._html import esc
from clskit.views.widgets.upload import PhotoClassifier
from clskit.views.widgets.view import WidgetView

ProgressFn = Callable[[str, int, int], None]   # (stage, done, total)


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
    """:func:`clskit.lessons.transfer.embed` a chunk at a time, reporting ``progress(stage, done, total)``.

    Each chunk is cached like any embedding, so a second run is instant.

    Example:
        >>> from clskit.models import create_model
        >>> embed_in_chunks(create_model("small_cnn", num_classes=2), torch.rand(5, 3, 16, 16), None, chunk=2).shape
        torch.Size([5, 128])
    """
    from clskit.lessons.transfer import embed

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

    The training is :func:`clskit.lessons.transfer.train_transfer`'s linear probe; this function adds the
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
    from clskit.datasets.folders import load_image_folder
    from clskit.datasets.splits import split_dataset
    from clskit.inference import activation
    from clskit.models import create_model
    from clskit.models.pretrained import preprocess_for
    from clskit.stats import wilson_interval
    from clskit.models.heads import find_head
    from clskit.lessons.transfer import embed, train_transfer

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
        training), confusion (the :class:`~clskit.views.widgets.confusion.ConfusionMatrixWidget`),
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
        from clskit.inference.predict import Predictor, export_model
        from clskit.views.widgets.confusion import ConfusionMatrixWidget

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
