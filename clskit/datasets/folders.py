"""Images from folders: ``root/<class>/*.jpg``, or a CSV of ``path,labels`` for multi-label data.

Any format Pillow reads (JPEG, PNG, WebP, BMP, GIF, TIFF) in any mode (grey, palette, alpha,
CMYK, 16-bit) arrives as 8-bit RGB. Files that cannot be read (corrupt, truncated, empty, not an
image) are skipped with one warning that lists them all.

- :func:`load_image_folder` / :func:`load_image_csv` read everything into memory at one size
  (an :class:`ImageDataset`: fast batches, fine up to tens of thousands of small images);
- :class:`ImageFolderDataset` reads lazily, one file per item (a torch ``Dataset`` for big folders).
"""
from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch

from clskit.datasets.base import ImageDataset
from clskit.utils import as_float_images
from clskit.datasets.images import IMAGE_EXTENSIONS, ImageReadError, check_size, find_images, is_image_name, read_image, read_images


class SkippedFilesWarning(UserWarning):
    """Some files could not be read as images and were left out."""



def warn_skipped(skipped: list[tuple[Path, str]], root: Path | None = None, stacklevel: int = 4) -> None:
    """One :class:`SkippedFilesWarning` listing the files that could not be read and why (nothing if none).

    The kit's one "skipped N files" message (the image folders and ``Predictor.predict`` use it).

    Args:
        skipped: ``(path, why)`` pairs, as :func:`~clskit.datasets.images.read_images` returns them.
        root: paths are shown relative to this folder (default: as given).
        stacklevel: as for ``warnings.warn``: the frame the warning points at (the user's call).
    """
    if not skipped:
        return
    lines = []
    for p, why in skipped:
        try:
            shown = p.relative_to(root) if root is not None else p
        except ValueError:
            shown = p.name
        lines.append(f"  {shown}: {why}")
    warnings.warn(f"skipped {len(skipped)} file(s) that could not be read as images:\n" + "\n".join(lines),
                  SkippedFilesWarning, stacklevel=stacklevel)


def _read_many(paths: Sequence[Path], size, resize, root: Path) -> tuple[list[np.ndarray], list[int]]:
    """Read files; returns images and the positions that worked (the rest are warned about once)."""
    images, kept, skipped = read_images(paths, size, resize)
    warn_skipped(skipped, root)
    return images, kept


def scan_image_folder(root, classes: Sequence[str] | None = None) -> tuple[list[Path], list[int], list[str]]:
    """Find ``root/<class>/<file>`` images (recursing into sub-folders of a class).

    Returns ``(paths, targets, classes)`` with classes sorted by name. Raises clear errors for a
    missing or empty root, a class folder without images, and a single class.

    Example:
        >>> from clskit.datasets.folders import scan_image_folder
        >>> scan_image_folder("datasets/shapes_folder")[2]   # doctest: +SKIP
        ['circle', 'square', 'triangle']
    """
    root = Path(root).expanduser()
    if root.is_file():
        raise NotADirectoryError(f"{str(root)!r} is a file; pass the folder that holds one sub-folder per class "
                                 "(root/<class name>/<image files>), or use Predictor.predict for single files")
    if not root.is_dir():
        raise FileNotFoundError(f"image folder {str(root)!r} does not exist; expected root/<class name>/<image files>")
    found = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if classes is None:
        classes = found
    else:
        missing = [c for c in classes if c not in found]
        if missing:
            raise FileNotFoundError(f"class folders {missing} not found in {root.name!r}; found {found}")
    if not classes:
        loose = [p.name for p in root.iterdir() if is_image_name(p)][:3]
        extra = f" (it has loose images such as {loose}: move them into one folder per class)" if loose else ""
        raise ValueError(f"folder {root.name!r} has no class sub-folders{extra}; expected root/<class name>/<images>")
    if len(classes) < 2:
        raise ValueError(f"folder {root.name!r} has a single class {list(classes)}; classification needs at least "
                         "two class folders (for one class plus 'everything else', add an 'other' folder)")
    paths, targets = [], []
    for k, c in enumerate(classes):
        # hidden files and folders (.DS_Store, ._x.jpg, .thumbnails/) are the system's, not photos
        files = find_images(root / c)
        if not files:
            raise ValueError(f"class folder '{root.name}/{c}' has no images; supported: {' '.join(IMAGE_EXTENSIONS)}")
        paths += files
        targets += [k] * len(files)
    return paths, targets, list(classes)


def load_image_folder(root, size: int | tuple[int, int] = 64, *, classes: Sequence[str] | None = None,
                      resize: str = "crop") -> ImageDataset:
    """Read ``root/<class>/*`` into memory as an :class:`ImageDataset` of RGB images at one size.

    Args:
        root: folder with one sub-folder per class.
        size: output side length (or ``(H, W)``).
        classes: class folders to use, in this order (default: all, sorted by name).
        resize: ``"crop"`` keeps the aspect ratio and crops the centre; ``"squash"`` stretches.

    Returns:
        The dataset; ``meta["paths"]`` holds each image's file path relative to ``root``.

    Example:
        >>> ds = load_image_folder("datasets/shapes_folder", size=32)   # doctest: +SKIP
        >>> ds.classes                                                    # doctest: +SKIP
        ['circle', 'square', 'triangle']
    """
    root = Path(root).expanduser()
    check_size(size)  # before reading thousands of files
    paths, targets, classes = scan_image_folder(root, classes)
    images, kept = _read_many(paths, size, resize, root)
    y = np.asarray(targets)[kept]
    empty = [c for k, c in enumerate(classes) if not (y == k).any()]
    if empty:
        raise ValueError(f"class folder(s) {empty} in {root.name!r} have no readable images (see the warning above)")
    rel = np.array([str(paths[i].relative_to(root)) for i in kept])
    return ImageDataset(torch.from_numpy(np.stack(images)), torch.from_numpy(y), classes, meta={"paths": rel})


def _split_labels(text: str) -> list[str]:
    for sep in (";", "|", ","):
        if sep in text:
            return [t.strip() for t in text.split(sep) if t.strip()]
    return text.split()


def load_image_csv(csv_path, size: int | tuple[int, int] = 64, *, root=None, classes: Sequence[str] | None = None,
                   multilabel: bool = True, resize: str = "crop") -> ImageDataset:
    """Read images listed in a CSV with columns ``path,labels`` (labels separated by spaces, ``;`` or ``|``).

    Args:
        csv_path: the CSV file (a header row ``path,labels`` is expected).
        size: output side length.
        root: folder the paths are relative to (default: the CSV's folder).
        classes: label names in order (default: all labels found, sorted).
        multilabel: ``False`` requires exactly one label per row (a single-label dataset).
        resize: ``"crop"`` or ``"squash"``.

    Example:
        >>> ds = load_image_csv("datasets/shapes_multilabel/labels.csv", size=32)   # doctest: +SKIP
        >>> ds.multilabel                                                 # doctest: +SKIP
        True
    """
    csv_path = Path(csv_path).expanduser()
    if not csv_path.is_file():
        raise FileNotFoundError(f"CSV file {str(csv_path)!r} does not exist")
    root = Path(root).expanduser() if root is not None else csv_path.parent
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"path", "labels"} <= set(rows[0]):
        raise ValueError(f"{csv_path.name} needs a header 'path,labels' and at least one row; "
                         f"got columns {list(rows[0]) if rows else []}")
    paths = [root / r["path"] for r in rows]
    missing = [(i + 2, r["path"]) for i, (r, p) in enumerate(zip(rows, paths)) if not p.is_file()]
    if missing:
        shown = ", ".join(f"line {n}: {p}" for n, p in missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise FileNotFoundError(f"{len(missing)} file(s) listed in {csv_path.name} do not exist under "
                                f"{root.name!r}: {shown}. Fix the paths or pass root=")
    labels = [_split_labels(r["labels"] or "") for r in rows]
    if not multilabel:
        bad = [(i + 2, lab) for i, lab in enumerate(labels) if len(lab) != 1]
        if bad:
            raise ValueError(f"single-label CSV rows need exactly one label; line {bad[0][0]} has {bad[0][1]}. "
                             "Pass multilabel=True for several labels per image.")
    names = list(classes) if classes is not None else sorted({t for lab in labels for t in lab})
    unknown = sorted({t for lab in labels for t in lab} - set(names))
    if unknown:
        raise ValueError(f"labels {unknown} are not in classes={names}")
    if len(names) < 2:
        raise ValueError(f"{csv_path.name} has a single label {names}; classification needs at least two")
    images, kept = _read_many(paths, size, resize, root)
    index = {c: k for k, c in enumerate(names)}
    if multilabel:
        y = np.zeros((len(rows), len(names)), np.float32)
        for i, lab in enumerate(labels):
            y[i, [index[t] for t in lab]] = 1
    else:
        y = np.array([index[lab[0]] for lab in labels])
    rel = np.array([rows[i]["path"] for i in kept])
    return ImageDataset(torch.from_numpy(np.stack(images)), torch.from_numpy(y[kept]), names,
                        multilabel=multilabel, meta={"paths": rel})


class ImageFolderDataset(torch.utils.data.Dataset):
    """A lazy ``root/<class>/*`` dataset: files are read when an item is asked for.

    Files are checked cheaply when the folder is scanned (the header must open; empty and
    non-image files are skipped with one warning). A file that is damaged further in raises an
    ``OSError`` naming it when read.

    Args:
        root: folder with one sub-folder per class.
        size: side length every image is resized to (needed to batch images of different sizes).
        transform: optional per-image transform on the float ``(3, size, size)`` tensor.
        classes: class folders to use (default: all, sorted).
        resize: ``"crop"`` or ``"squash"``.

    Example:
        >>> ds = ImageFolderDataset("datasets/shapes_folder", size=32)       # doctest: +SKIP
        >>> loader = torch.utils.data.DataLoader(ds, batch_size=16, shuffle=True)  # doctest: +SKIP
    """

    def __init__(self, root, size: int = 64, transform: Callable | None = None, classes: Sequence[str] | None = None,
                 resize: str = "crop"):
        from PIL import Image

        from clskit.datasets.images import _head, _what_is_it

        self.root = Path(root).expanduser()
        paths, targets, self.classes = scan_image_folder(self.root, classes)
        kept, skipped = [], []
        for i, p in enumerate(paths):
            if p.stat().st_size == 0:
                skipped.append((p, "an empty file (0 bytes)"))
                continue
            try:
                with Image.open(p) as img:
                    img.verify()
                kept.append(i)
            except Image.UnidentifiedImageError:
                skipped.append((p, _what_is_it(_head(p))[0]))
            except Exception as e:  # verify() raises several kinds for damaged files
                skipped.append((p, f"truncated or damaged ({type(e).__name__}: {str(e)[:80]})"))
        warn_skipped(skipped, self.root)
        self.paths = [paths[i] for i in kept]
        self.targets = torch.tensor([targets[i] for i in kept])
        self.size, self.transform, self.resize = size, transform, resize
        self.multilabel = False

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i: int):
        p = self.paths[i]
        try:
            x = as_float_images(torch.from_numpy(read_image(p, self.size, self.resize)))
        except ImageReadError as e:  # damaged further in than the header checked at scan time
            raise ImageReadError(p, f"{e.reason} (at {p.relative_to(self.root)})", e.fix) from None
        if self.transform is not None:
            x = self.transform(x)
        return x, self.targets[i]

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.targets.numpy(), minlength=len(self.classes))

    def load(self) -> ImageDataset:
        """Read every image into memory (an :class:`ImageDataset` for fast training)."""
        return load_image_folder(self.root, self.size, classes=self.classes, resize=self.resize)
