"""PNG bytes of figures, arrays and image galleries: the one renderer behind every ``ipywidgets.Image``.

Displays and widgets compute first, then turn the picture into PNG bytes here: a matplotlib figure
(:func:`figure_to_png`), an array (:func:`array_to_png`: RGB, RGBA, or values in ``[0, 1]`` coloured with
a colormap) or a gallery of captioned images (:func:`gallery_png`). matplotlib and PIL are imported
inside the functions, so importing this module stays light.

Example:
    >>> array_to_png(np.zeros((4, 4, 3)), scale=2)[:4]
    b'\\x89PNG'
"""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np
import torch

from clskit.utils import as_float_images


def figure_to_png(fig, dpi: int = 80, close: bool = True) -> bytes:
    """PNG bytes of a matplotlib figure (for an ``ipywidgets.Image``).

    Args:
        fig: a ``matplotlib.figure.Figure`` (a bare ``Figure()``, which never auto-displays, or a pyplot one).
        dpi: resolution of the PNG.
        close: close a pyplot figure afterwards, so that it is not also shown below the cell (a bare
            ``Figure`` has nothing to close).

    Example:
        >>> from matplotlib.figure import Figure
        >>> figure_to_png(Figure(figsize=(1, 1)))[:4]
        b'\\x89PNG'
    """
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    if close and fig.canvas.manager is not None:   # only pyplot figures have a manager (and a window to close)
        import matplotlib.pyplot as plt

        plt.close(fig)
    return buf.getvalue()


def array_to_png(image: np.ndarray, scale: int = 1, cmap: str | None = "viridis", compress_level: int = 6) -> bytes:
    """PNG bytes of an image array, enlarged ``scale`` times with nearest-neighbour so pixels stay sharp.

    Args:
        image: ``(h, w, 3)`` RGB floats in ``[0, 1]``; ``(h, w)`` values in ``[0, 1]`` coloured with ``cmap``;
            or ``(h, w, 3|4)`` uint8 RGB(A) as it is (a matplotlib canvas's ``buffer_rgba()``).
        scale: enlargement factor.
        cmap: the matplotlib colormap of a 2-D array.
        compress_level: zlib level (1 is several times faster than the default 6 and ~30 % larger).

    Example:
        >>> array_to_png(np.zeros((4, 4)), scale=2)[:4]
        b'\\x89PNG'
    """
    from PIL import Image

    image = np.asarray(image)
    if image.dtype != np.uint8:
        if image.ndim == 2:
            from matplotlib import colormaps

            image = colormaps[cmap](np.clip(image, 0, 1))[..., :3]
        image = (np.clip(image, 0, 1) * 255).round().astype(np.uint8)
    img = Image.fromarray(image)
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=compress_level)
    return buf.getvalue()


def gallery_png(sections: Sequence[tuple[str | None, torch.Tensor, Sequence[str]]], ncols: int = 6,
                tile: int = 84) -> bytes:
    """One PNG of captioned images: for each ``(title, images, captions)`` section a title line, then its
    images in rows of ``ncols``, each enlarged to ``tile`` pixels (nearest neighbour) with its caption beneath.

    The kit's grid of images for widgets, drawn with PIL rather than matplotlib, so that a moved
    slider or a clicked cell redraws in a few milliseconds.

    Args:
        sections: ``(title or None, n images (C, H, W) uint8 or float in [0, 1], n captions)``; the
            images are a tensor ``(n, C, H, W)`` or a list; a titled section with no images shows ``"title: none"``.
        ncols: images per row (the width of the PNG).
        tile: side length of each image, in pixels.

    Example:
        >>> png = gallery_png([("cats", torch.rand(3, 3, 8, 8), ["a", "b", "c"]), ("dogs", torch.rand(0, 3, 8, 8), [])])
        >>> png[:4]
        b'\\x89PNG'
    """
    from PIL import Image, ImageDraw

    pad, head, foot = 4, 16, 14          # pixels: around tiles, for a section title, for a caption
    rows = [max(1, -(-len(images) // ncols)) for _, images, _ in sections]
    height = sum(n * (tile + foot + pad) + (head if title is not None else 0) for n, (title, _, _) in zip(rows, sections))
    canvas = Image.new("RGB", (ncols * (tile + pad) + pad, height + pad), "white")
    draw = ImageDraw.Draw(canvas)
    y0 = pad
    for n_rows, (title, images, captions) in zip(rows, sections):
        if len(captions) != len(images):
            raise ValueError(f"section {title!r} has {len(images)} images but {len(captions)} captions; pass one each")
        if title is not None:
            draw.text((pad, y0), title if len(images) else f"{title}: none", fill="black")
            y0 += head
        for k, (x, caption) in enumerate(zip(images, captions)):
            r, c = divmod(k, ncols)
            a = (as_float_images(x).clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)
            im = Image.fromarray(a[..., 0] if a.shape[-1] == 1 else a).convert("RGB").resize((tile, tile), Image.NEAREST)
            x0, top = pad + c * (tile + pad), y0 + r * (tile + foot + pad)
            canvas.paste(im, (x0, top))
            draw.text((x0, top + tile + 1), caption, fill="black")
        y0 += n_rows * (tile + foot + pad)
    buf = io.BytesIO()
    canvas.save(buf, format="PNG")
    return buf.getvalue()


LIGHTER_ABOVE = 150_000   # bytes: a larger PNG (a grid of photos) is stored as a JPEG


def lighter_image(fmt: str, raw: bytes) -> tuple[str, bytes]:
    """A large PNG of photos as a JPEG (quality 85, several times smaller), so that a notebook's stored copy
    stays light; a small PNG (a plot, a table) is kept as it is, sharp. Used for the static copy of widget
    views and, by ``tools.notebooks``, for every large figure a notebook stores.

    Example:
        >>> lighter_image("png", b"tiny")
        ('png', b'tiny')
    """
    if fmt != "png" or len(raw) <= LIGHTER_ABOVE:
        return fmt, raw
    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(raw)).convert("RGB").save(out, format="JPEG", quality=85)
    return ("jpeg", out.getvalue()) if out.tell() < len(raw) else (fmt, raw)
