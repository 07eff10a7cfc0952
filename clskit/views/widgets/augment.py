"""An augmentation playground: pick an image, move one slider per transform, see a grid of samples.

Built once: sliders, a policy menu, a "new samples" button and one ``ipywidgets.Image`` whose
PNG bytes are replaced on every change (no output clearing, no flicker). The pure function
:func:`augment_grid` does the work, so tests drive the widget by setting ``.value`` on its controls
and read ``.transform`` / ``.grid``.

Example:
    >>> from clskit.datasets import load_dataset
    >>> pg = AugmentPlayground(load_dataset("shapes", n_per_class=5, size=64))   # doctest: +SKIP
    >>> pg.sliders["rotate"].value = 30; pg.grid.shape                            # doctest: +SKIP
    (136, 270, 3)
"""
from __future__ import annotations

import numpy as np
import torch

from clskit.datasets.transforms import Augment, augment
from clskit.views.png import array_to_png
from clskit.utils import as_float_images
from clskit.views.widgets.view import WidgetView
from clskit.views.widgets._display import tooltip

# slider name -> (max value, step, what it does)
SLIDERS = {
    "flip": (1.0, 0.05, "probability of a horizontal flip"),
    "rotate": (45.0, 1.0, "max rotation (degrees)"),
    "scale": (0.5, 0.02, "zoom range (1 +- scale)"),
    "translate": (0.3, 0.01, "max shift (fraction of size)"),
    "brightness": (0.8, 0.05, "brightness change"),
    "contrast": (0.8, 0.05, "contrast change"),
    "saturation": (1.0, 0.05, "saturation change"),
    "hue": (0.5, 0.01, "hue rotation"),
    "erase": (1.0, 0.05, "probability of a cutout"),
}
POLICIES = ("none", "autoaugment", "randaugment", "trivialaugment")


def augment_grid(image: torch.Tensor, transform, n: int = 8, cols: int = 4, seed: int = 0,
                 pad: int = 2) -> np.ndarray:
    """``n`` augmented copies of one float image ``(C, H, W)`` tiled in a grid, the original first.

    Returns a float array ``(rows * (H + pad) - pad, cols * (W + pad) - pad, 3)`` in [0, 1].

    Example:
        >>> augment_grid(torch.rand(3, 8, 8), Augment(flip=1.0), n=4, cols=2).shape
        (18, 18, 3)
    """
    if image.ndim != 3:
        raise ValueError(f"augment_grid takes one image (C, H, W); got shape {tuple(image.shape)}")
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # the same slider values give the same grid
    try:
        batch = image[None].float().repeat(n - 1, 1, 1, 1)
        out = torch.cat([image[None].float(), transform(batch).clamp(0, 1)]) if n > 1 else image[None].float()
    finally:
        torch.random.set_rng_state(state)
    if out.shape[1] == 1:
        out = out.repeat(1, 3, 1, 1)
    c, h, w = out.shape[1:]
    rows = -(-n // cols)
    grid = np.ones((rows * (h + pad) - pad, cols * (w + pad) - pad, 3), np.float32)
    for k, img in enumerate(out.permute(0, 2, 3, 1).numpy()):
        r, q = divmod(k, cols)
        grid[r * (h + pad): r * (h + pad) + h, q * (w + pad): q * (w + pad) + w] = img
    return grid




class AugmentPlayground(WidgetView):
    """Sliders for every :class:`~clskit.datasets.transforms.Augment` setting, a policy menu, and a sample grid.

    Args:
        images: an :class:`~clskit.datasets.ImageDataset` or a float/uint8 tensor ``(N, C, H, W)``.
        n: samples in the grid (the first is the original).
        cols: grid columns.
        scale: on-screen magnification of the pixels.
        preset: starting slider values, a name from :data:`clskit.datasets.transforms.PRESETS`.
    """

    def __init__(self, images, n: int = 12, cols: int = 6, scale: int = 2, preset: str = "standard"):
        import ipywidgets as W

        from clskit.datasets.transforms import PRESETS

        self.images = images.float_images() if hasattr(images, "float_images") else as_float_images(images)
        if self.images.ndim != 4 or len(self.images) == 0:
            raise ValueError(f"images must be a non-empty (N, C, H, W) tensor or ImageDataset; got {tuple(self.images.shape)}")
        self.n, self.cols, self.scale, self.seed = n, cols, scale, 0
        start = PRESETS[preset]
        self.index = W.IntSlider(0, 0, len(self.images) - 1, description="image")
        self.sliders = {name: W.FloatSlider(value=float(start.get(name, 0.0)), min=0.0, max=mx, step=step,
                                            description=name, continuous_update=False, **tooltip(tip))
                        for name, (mx, step, tip) in SLIDERS.items()}
        self.policy = W.Dropdown(options=POLICIES, value="none", description="policy")
        self.resample = W.Button(description="new samples", icon="refresh")
        self.image = W.Image(format="png")
        self.status = W.HTML()
        for w in [self.index, self.policy, *self.sliders.values()]:
            w.observe(self._changed, names="value")
        self.resample.on_click(self._new_samples)
        left = W.VBox([self.index, self.policy, *self.sliders.values(), self.resample])
        self.widget = W.HBox([left, W.VBox([self.image, self.status])])
        self.grid = None
        self.update()

    @property
    def transform(self):
        """The transform the controls describe (an ``Augment``, or a policy when one is chosen)."""
        if self.policy.value != "none":
            return augment(self.policy.value)
        return Augment(**{k: s.value for k, s in self.sliders.items()})

    def update(self) -> None:
        """Recompute the grid and replace the image's bytes (called on every control change)."""
        t = self.transform
        self.grid = augment_grid(self.images[self.index.value], t, self.n, self.cols, self.seed)
        self.image.value = array_to_png(self.grid, self.scale)
        active = "policy " + self.policy.value if self.policy.value != "none" else (
            ", ".join(f"{k}={s.value:g}" for k, s in self.sliders.items() if s.value) or "no augmentation")
        self.status.value = f"<small>first tile: original; {active}; sample set {self.seed}</small>"

    def _changed(self, change) -> None:
        self.update()

    def _new_samples(self, _button=None) -> None:
        self.seed += 1
        self.update()
