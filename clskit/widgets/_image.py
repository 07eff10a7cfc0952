"""Arrays to PNG bytes for ``ipywidgets.Image`` views (shared by the image-showing widgets)."""
from __future__ import annotations

import io

import numpy as np


def array_to_png(image: np.ndarray, scale: int = 1, cmap: str | None = "viridis") -> bytes:
    """PNG bytes of an ``(h, w, 3)`` RGB array, or an ``(h, w)`` array coloured with ``cmap``, values in
    ``[0, 1]``; enlarged ``scale`` times with nearest-neighbour so pixels stay sharp.

    Example:
        >>> array_to_png(np.zeros((4, 4, 3)), scale=2)[:4]
        b'\\x89PNG'
    """
    from PIL import Image

    if image.ndim == 2:
        from matplotlib import colormaps

        image = colormaps[cmap](np.clip(image, 0, 1))[..., :3]
    img = Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8))
    if scale > 1:
        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
