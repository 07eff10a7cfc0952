"""Synthetic digits rendered from fonts, made the way scikit-learn's real digits were made.

scikit-learn's digits are UCI's *optdigits*: handwritten digits scanned into 32x32 black-and-white
bitmaps, cut into non-overlapping 4x4 blocks, and each block replaced by its number of black pixels
(0-16), giving 8x8 images of 17 grey levels. This generator does the same to digits *typed* in the
fonts that ship with matplotlib (DejaVu, STIX, Computer Modern), each randomly rotated, sheared,
thickened and squeezed, so that a model can be trained on the generator and tested on real files:
the "synthetic data" remedy for a small real dataset, with its typed-vs-handwritten gap in plain view.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from clskit.datasets.base import ImageDataset
from clskit.datasets.registry import register_dataset

# Text fonts in matplotlib's mpl-data/fonts/ttf that draw all ten digits (the STIX size variants,
# STIXNonUni and the Computer Modern symbol fonts do not).
FONTS = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
         "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique",
         "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic",
         "STIXGeneral", "STIXGeneralBol", "STIXGeneralItalic", "STIXGeneralBolIta",
         "cmr10", "cmss10", "cmtt10", "cmb10", "cmmi10", "cmti10")

_RENDER = 64      # glyphs are drawn at this size, then warped and reduced to the 32x32 bitmap


def font_files(names: tuple[str, ...] = FONTS) -> list[Path]:
    """The ``.ttf`` files of ``names`` in matplotlib's font folder (the ones that exist there)."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    found = [folder / f"{n}.ttf" for n in names if (folder / f"{n}.ttf").is_file()]
    if not found:
        raise FileNotFoundError(f"none of the fonts {', '.join(names)} is in {folder.name}/ of matplotlib's data; "
                                f"reinstall matplotlib (pip install --force-reinstall matplotlib)")
    return found


def _glyph(font, char: str, stroke: int):
    """The digit drawn in white on black, cropped to its ink, as a float array in [0, 1]."""
    from PIL import Image, ImageDraw

    img = Image.new("L", (2 * _RENDER, 2 * _RENDER), 0)
    ImageDraw.Draw(img).text((_RENDER // 2, _RENDER // 4), char, fill=255, font=font,
                             stroke_width=stroke, stroke_fill=255)
    a = np.asarray(img, dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(a.max(1) > 0.5), np.flatnonzero(a.max(0) > 0.5)
    return a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _bitmap(glyph: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Warp one glyph at random and fit it into a 32x32 black-and-white bitmap, as optdigits did
    (the character scaled to fill the box's height, centred)."""
    from PIL import Image

    angle = rng.uniform(-12, 12)
    shear = rng.uniform(-0.25, 0.25)
    squeeze = rng.uniform(0.75, 1.25)                           # width / height, relative to the font's
    img = Image.fromarray((glyph * 255).astype(np.uint8))
    h, w = glyph.shape
    img = img.resize((max(1, round(w * squeeze)), h), Image.BILINEAR)
    w = img.width
    pad = max(h, w)                                             # room to rotate and shear without clipping
    canvas = Image.new("L", (w + 2 * pad, h + 2 * pad), 0)
    canvas.paste(img, (pad, pad))
    cx, cy = canvas.width / 2, canvas.height / 2
    canvas = canvas.transform(canvas.size, Image.AFFINE, (1, shear, -shear * cy, 0, 1, 0), Image.BILINEAR)
    canvas = canvas.rotate(angle, resample=Image.BILINEAR, center=(cx, cy))
    a = np.asarray(canvas, dtype=np.float32) / 255.0
    rows, cols = np.flatnonzero(a.max(1) > 0.5), np.flatnonzero(a.max(0) > 0.5)
    a = a[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    h, w = a.shape
    fill = rng.uniform(0.85, 1.0)                               # how much of the height it takes
    scale = 32 * fill / max(h, w * 32 / 30)                     # fit the height; never wider than 30 px
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray((a * 255).astype(np.uint8)).resize((nw, nh), Image.BILINEAR)) / 255.0
    out = np.zeros((32, 32), np.float32)
    top = (32 - nh) // 2 + int(rng.integers(-1, 2))
    left = (32 - nw) // 2 + int(rng.integers(-2, 3))
    top, left = min(max(top, 0), 32 - nh), min(max(left, 0), 32 - nw)
    out[top:top + nh, left:left + nw] = small
    return out > 0.5


def block_counts(bitmaps: np.ndarray) -> np.ndarray:
    """optdigits' reduction: ``(N, 32, 32)`` booleans -> ``(N, 8, 8)`` counts of on pixels per 4x4 block (0-16).

    Example:
        >>> int(block_counts(np.ones((1, 32, 32), bool)).max())
        16
    """
    b = np.asarray(bitmaps)
    if b.ndim != 3 or b.shape[1:] != (32, 32):
        raise ValueError(f"bitmaps must have shape (N, 32, 32); got {b.shape}")
    return b.reshape(len(b), 8, 4, 8, 4).sum(axis=(2, 4))


@register_dataset
def font_digits(n_per_class: int = 100, *, seed: int = 0, fonts: tuple[str, ...] = FONTS) -> ImageDataset:
    """Digits 0-9 typed in matplotlib's fonts and reduced like scikit-learn's handwritten digits.

    The same shape, grey levels and class names as ``load_dataset("digits")`` (``(N, 1, 8, 8)``,
    counts 0-16 stored as ``round(count / 16 * 255)``), so a model trained on one runs on the other.
    Each image picks a font, a stroke thickness and a random warp (rotation within ±12°, shear,
    width squeeze, placement); the same ``seed`` gives the same images.

    Args:
        n_per_class: images per digit.
        seed: seeds the fonts and warps.
        fonts: font names (files in matplotlib's ``mpl-data/fonts/ttf``); the default is every text
            font there that draws the ten digits.

    Example:
        >>> ds = font_digits(n_per_class=2)
        >>> len(ds), ds.image_shape, ds.classes[:3]
        (20, (1, 8, 8), ['0', '1', '2'])
    """
    from PIL import ImageFont

    if not isinstance(n_per_class, (int, np.integer)) or n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive whole number; got {n_per_class!r}")
    files = font_files(tuple(fonts))
    loaded = [ImageFont.truetype(str(f), _RENDER) for f in files]
    rng = np.random.default_rng(seed)
    glyphs: dict[tuple[int, int, int], np.ndarray] = {}
    bitmaps, labels = [], []
    for digit in range(10):
        for _ in range(n_per_class):
            key = (int(rng.integers(len(loaded))), digit, int(rng.integers(0, 4)))   # font, digit, stroke
            if key not in glyphs:
                glyphs[key] = _glyph(loaded[key[0]], str(digit), key[2])
            bitmaps.append(_bitmap(glyphs[key], rng))
            labels.append(digit)
    counts = block_counts(np.stack(bitmaps))
    images = torch.from_numpy(np.round(counts / 16.0 * 255.0).astype(np.uint8))[:, None]
    return ImageDataset(images, torch.tensor(labels), [str(i) for i in range(10)])
