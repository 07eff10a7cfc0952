"""The kit's one image reader: every image file the kit opens (folders, CSVs, ``Predictor``) goes
through :func:`read_image`, so a photo is trained on and predicted on exactly the same way.

Reading a file is: open it, take the first frame (animated GIF/WebP), turn it upright by its EXIF
orientation tag (phone photos store "rotate 90°" there instead of rotating the pixels), convert any
colour mode to 8-bit RGB (:func:`to_rgb`), then resize with one resampling filter
(:data:`RESAMPLE`, Pillow's antialiased bicubic). Files that are not images get an
:class:`ImageReadError` that says what the file is (empty, an HTML page, truncated) and what to do.

Example:
    >>> import tempfile, os; from PIL import Image
    >>> p = os.path.join(tempfile.mkdtemp(), "a.png"); Image.new("L", (10, 20)).save(p)
    >>> read_image(p, size=8).shape
    (3, 8, 8)
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
#: the one resampling filter of the kit's reader (Pillow antialiases when it shrinks)
RESAMPLE = "BICUBIC"


class ImageReadError(OSError, ValueError):
    """A file could not be read as an image; the message says why and what to do.

    It is both an ``OSError`` (a file problem) and a ``ValueError`` (bad input), so code that
    catches either keeps working. ``reason`` is the short diagnosis (listed when files are skipped),
    ``fix`` what to do about it.
    """

    def __init__(self, path, reason: str, fix: str):
        super().__init__(f"{Path(path).name} is {reason}; {fix}")
        self.path, self.reason, self.fix = Path(path), reason, fix


def is_image_name(p: Path) -> bool:
    """Whether ``p`` is a file the kit treats as an image: a known extension (any case), not hidden.

    Hidden files (``.DS_Store``, macOS ``._photo.jpg`` resource forks) are left out.

    Example:
        >>> is_image_name(Path("/no/such/IMG_1.JPG")), is_image_name(Path("/no/such/._IMG_1.jpg"))
        (False, False)
    """
    return p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".") and p.is_file()


def to_rgb(img) -> "PIL.Image.Image":  # noqa: F821
    """Convert a PIL image of any mode to 8-bit RGB (transparent parts over white).

    16-bit grey (``I;16``, and ``I`` with values up to 65535) is divided by 257, so 65535 is white;
    other integer and float images whose values do not fit 0-255 are scaled by their own range.
    Multi-frame images give their first frame.

    Example:
        >>> from PIL import Image
        >>> to_rgb(Image.new("LA", (4, 4))).mode
        'RGB'
    """
    from PIL import Image

    if getattr(img, "n_frames", 1) > 1:
        img.seek(0)
    mode = img.mode
    if mode.startswith("I;16") or mode in ("I", "F"):
        a = np.asarray(img, dtype=np.float64)
        lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
        if mode.startswith("I;16") or (mode == "I" and lo >= 0 and hi <= 65535 and hi > 255):
            a = a / 257.0
        elif mode == "F" and lo >= 0 and hi <= 1:
            a = a * 255.0
        elif not (lo >= 0 and hi <= 255):
            a = (a - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(a)
        return Image.fromarray(np.clip(a, 0, 255).round().astype(np.uint8), "L").convert("RGB")
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        mode = img.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return img.convert("RGB")


def check_size(size) -> tuple[int, int]:
    """``size`` (a side length or ``(H, W)``) as ``(H, W)`` of whole numbers of pixels, or a clear error.

    Example:
        >>> check_size(64), check_size((48, 64))
        ((64, 64), (48, 64))
    """
    import numbers

    hw = (size, size) if isinstance(size, numbers.Integral) else tuple(size) if isinstance(size, (tuple, list)) else None
    if hw is None or len(hw) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in hw):
        raise TypeError(f"size must be a whole number of pixels (64) or a pair (height, width); got {size!r}")
    if min(hw) < 1:
        raise ValueError(f"image size must be at least 1 pixel; got {size}")
    return int(hw[0]), int(hw[1])


def fit_image(img, size: int | tuple[int, int], resize: str = "crop"):
    """Resize a PIL image to ``size``: ``"crop"`` (shorter side to size, centre crop) or ``"squash"``.

    Memory stays bounded whatever the aspect ratio: a long strip is cropped before it is enlarged.

    Example:
        >>> from PIL import Image
        >>> fit_image(Image.new("RGB", (40, 20)), 10).size
        (10, 10)
    """
    from PIL import Image

    h, w = check_size(size)
    resample = getattr(Image.Resampling, RESAMPLE)
    if resize == "squash":
        return img.resize((w, h), resample)
    if resize != "crop":
        raise ValueError(f"resize must be 'crop' or 'squash'; got {resize!r}")
    scale = max(w / img.width, h / img.height)
    nw, nh = max(w, round(img.width * scale)), max(h, round(img.height * scale))
    if nw * nh > 4 * w * h:
        # an extreme aspect ratio (a 1,000,000x1 strip would become 32 million pixels wide before the crop):
        # resize only the source box that the centre crop keeps, so memory stays about the output's size
        bw, bh = w / scale, h / scale
        left, top = (img.width - bw) / 2, (img.height - bh) / 2
        return img.resize((w, h), resample, box=(left, top, left + bw, top + bh))
    img = img.resize((nw, nh), resample)
    left, top = (nw - w) // 2, (nh - h) // 2
    return img.crop((left, top, left + w, top + h))


def _what_is_it(head: bytes) -> tuple[str, str]:
    """A guess at what data that Pillow cannot open really is, from its first bytes: ``(reason, fix)``."""
    head = head[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head")) or b"<html" in head:
        return ("an HTML page saved with an image name, not a picture (the browser saved the web page)",
                "open the page, right-click the picture and use 'Save image as', or delete the file")
    if head.startswith(b"pk\x03\x04"):
        return "a zip archive with an image name", "unzip it first"
    return (f"not an image Pillow can read (supported: {' '.join(IMAGE_EXTENSIONS)})",
            "re-export it as JPEG or PNG, or delete it")


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(512)


def open_image(source: str | os.PathLike | bytes, name: str | None = None):
    """Open an image file (or its bytes, e.g. an upload) fully decoded, upright and in RGB (a PIL image).

    Args:
        source: a path, or the file's bytes.
        name: what to call it in error messages (default: the file name, or ``"the uploaded image"``).

    Raises:
        FileNotFoundError: no file at ``source``.
        ImageReadError: the file is empty, not an image, truncated or damaged.

    Example:
        >>> import tempfile, os; from PIL import Image
        >>> p = os.path.join(tempfile.mkdtemp(), "a.png"); Image.new("L", (10, 20)).save(p)
        >>> open_image(p).size
        (10, 20)
    """
    import io

    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        path, fp, head = Path(name or "the uploaded image"), io.BytesIO(data), data[:512]
        size = len(data)
    else:
        path = Path(source)
        if not path.is_file():
            raise FileNotFoundError(f"no image file at {path}" + (" (it is a folder)" if path.is_dir() else ""))
        fp, size, head = path, path.stat().st_size, None
        if name is not None:
            path = Path(name)
    if size == 0:
        raise ImageReadError(path, "an empty file (0 bytes), probably an interrupted copy or download",
                             "copy the photo again or delete the file")
    try:
        with Image.open(fp) as img:
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)  # animated GIF/WebP: the first frame
            img.load()       # decode fully now, so a truncated file fails here and not later
            img = ImageOps.exif_transpose(img)  # phone photos: the rotation lives in the EXIF tag
            return to_rgb(img)
    except UnidentifiedImageError:
        raise ImageReadError(path, *_what_is_it(head if head is not None else _head(fp))) from None
    except PermissionError:
        raise ImageReadError(path, "not readable (permission denied)", "check the file's permissions") from None
    except Image.DecompressionBombError as e:
        raise ImageReadError(path, f"too large to open safely ({e})", "shrink it first") from None
    except (OSError, SyntaxError, ValueError, EOFError) as e:  # Pillow's ways of saying "damaged"
        # Pillow's message may repeat the file's absolute path: name the file only (messages are shown in
        # notebooks, and a stored output must not carry a local path)
        detail = str(e)
        for where in {str(fp), str(Path(fp).resolve())} if isinstance(fp, Path) else ():
            detail = detail.replace(where, path.name)
        raise ImageReadError(path, f"truncated or damaged ({type(e).__name__}: {detail[:80]})",
                             "copy or download it again, or delete it") from None


def read_image(path: str | os.PathLike | bytes, size: int | tuple[int, int] | None = None,
               resize: str = "crop", name: str | None = None) -> np.ndarray:
    """Read one image file as uint8 RGB ``(3, H, W)``, upright, optionally resized.

    Args:
        path: an image file (JPEG, PNG, WebP, BMP, GIF, TIFF) in any colour mode, or its bytes
            (an uploaded photo).
        size: side length (or ``(H, W)``) to resize to; ``None`` keeps the file's size.
        resize: ``"crop"`` keeps the aspect ratio and crops the centre; ``"squash"`` stretches.
        name: what to call the image in error messages (for bytes).

    Raises:
        FileNotFoundError, ImageReadError: see :func:`open_image`.

    Example:
        >>> import tempfile, os; from PIL import Image
        >>> p = os.path.join(tempfile.mkdtemp(), "a.png"); Image.new("L", (10, 20)).save(p)
        >>> read_image(p, size=8).shape
        (3, 8, 8)
    """
    rgb = open_image(path, name)
    if size is not None:
        rgb = fit_image(rgb, size, resize)
    return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1).copy()


def find_images(folder: str | os.PathLike) -> list[Path]:
    """Every image file under ``folder``, recursively and sorted; hidden files and folders (``.DS_Store``,
    ``._x.jpg``, ``.thumbnails/``: the system's, not photos) are left out. The kit's one folder walk.

    Example:
        >>> find_images("my_photos/cats")     # doctest: +SKIP
        [PosixPath('my_photos/cats/a.jpg'), ...]
    """
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*") if is_image_name(p)
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def read_images(paths, size, resize: str = "crop") -> tuple[list[np.ndarray], list[int], list[tuple[Path, str]]]:
    """Read many files; returns the images, the positions that worked and ``(path, why)`` for the rest.

    Example:
        >>> read_images([], 8)
        ([], [], [])
    """
    images, kept, skipped = [], [], []
    for i, p in enumerate(paths):
        try:
            images.append(read_image(p, size, resize))
            kept.append(i)
        except ImageReadError as e:
            skipped.append((Path(p), e.reason))
        except FileNotFoundError:
            skipped.append((Path(p), "missing (moved or deleted while reading)"))
    return images, kept, skipped
