"""Augmentation for float image batches ``(B, C, H, W)`` in ``[0, 1]``, and MixUp / CutMix.

Every transform here is a batch-level callable ``f(x) -> x``, ready for
``DataLoaders.from_datasets(train_transform=f)``. Each image in a batch gets its *own* random
parameters: a torchvision v2 transform called on a batch tensor would use one set of parameters
for the whole batch (every image flipped, or none), which is much weaker augmentation.

- :class:`Augment` draws per-image flips, rotations, zooms, shifts, colour changes and cutouts in
  a few vectorised tensor operations (one ``grid_sample`` for all geometry), so it costs little.
- :class:`PerSample` wraps any ``torchvision.transforms.v2`` transform and applies it image by
  image; AutoAugment, RandAugment and TrivialAugment work on uint8, so it converts for them.
- :func:`augment` builds a named preset: ``"flip"``, ``"geometric"``, ``"colour"``, ``"cutout"``,
  ``"standard"``, ``"strong"``, ``"autoaugment"``, ``"randaugment"``, ``"trivialaugment"``.
- :class:`MixUp` and :class:`CutMix` mix pairs of images and their labels (soft targets);
  :func:`with_mixing` applies them to the training loader only, so validation metrics see hard labels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Callable

import torch
import torch.nn.functional as F

from clskit.utils import as_float_images


def _check_batch(x: torch.Tensor) -> None:
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"batch transforms expect a float tensor (B, C, H, W); got {shape}. "
                         "Add a batch axis with x[None] for one image.")


def _uniform(n: int, lo: float, hi: float, g: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, generator=g) * (hi - lo) + lo


@dataclass
class Augment:
    """Per-image random augmentation of a float batch, vectorised.

    Args:
        flip: probability of a horizontal flip.
        vflip: probability of a vertical flip (for images without an "up": textures, microscopy).
        rotate: maximum rotation in degrees (uniform in ``[-rotate, rotate]``).
        scale: zoom range: the scale is uniform in ``[1 - scale, 1 + scale]``.
        translate: maximum shift as a fraction of the image size.
        brightness, contrast, saturation: maximum relative change (factor in ``[1 - v, 1 + v]``).
        hue: maximum hue rotation as a fraction of the colour wheel (0.5 = half way round).
        erase: probability of a Cutout rectangle (random erasing, DeVries & Taylor 2017).
        erase_area: the erased fraction of the image when a cutout is drawn.
        seed: seed of an own generator (``None`` uses torch's global generator, which
            ``seed_everything`` and ``Learner(seed=...)`` control).

    Example:
        >>> aug = Augment(flip=0.5, rotate=10, brightness=0.2, seed=0)
        >>> aug(torch.rand(8, 3, 32, 32)).shape
        torch.Size([8, 3, 32, 32])
    """

    flip: float = 0.0
    vflip: float = 0.0
    rotate: float = 0.0
    scale: float = 0.0
    translate: float = 0.0
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0
    erase: float = 0.0
    erase_area: float = 0.15
    seed: int | None = None

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name != "seed" and (not isinstance(v, (int, float)) or v < 0):
                raise ValueError(f"{f.name} must be a non-negative number; got {v!r}")
        for name in ("flip", "vflip", "erase"):
            if getattr(self, name) > 1:
                raise ValueError(f"{name} is a probability and must be at most 1; got {getattr(self, name)}")
        if self.scale >= 1:
            raise ValueError(f"scale must be below 1 (the zoom factor is 1 +- scale); got {self.scale}")
        self.generator = None if self.seed is None else torch.Generator().manual_seed(self.seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _check_batch(x)
        x = x.float()
        if self.flip or self.vflip or self.rotate or self.scale or self.translate:
            x = self._geometry(x)
        if self.brightness or self.contrast or self.saturation or self.hue:
            x = self._colour(x)
        if self.erase:
            x = self._cutout(x)
        return x

    def _geometry(self, x: torch.Tensor) -> torch.Tensor:
        # One affine matrix per image (rotation, zoom, shift, flips), one grid_sample for the batch.
        b, g = len(x), self.generator
        ang = _uniform(b, -self.rotate, self.rotate, g) * math.pi / 180
        s = 1 / _uniform(b, 1 - self.scale, 1 + self.scale, g)        # sampling-grid scale = 1 / zoom
        fx = torch.where(torch.rand(b, generator=g) < self.flip, -1.0, 1.0)
        fy = torch.where(torch.rand(b, generator=g) < self.vflip, -1.0, 1.0)
        t = _uniform(2 * b, -self.translate, self.translate, g).view(b, 2) * 2  # normalized coords span 2
        cos, sin = torch.cos(ang) * s, torch.sin(ang) * s
        theta = torch.stack([torch.stack([cos * fx, -sin * fy, t[:, 0]], 1),
                             torch.stack([sin * fx, cos * fy, t[:, 1]], 1)], 1)   # (B, 2, 3)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    def _colour(self, x: torch.Tensor) -> torch.Tensor:
        b, g = len(x), self.generator
        shape = (b, 1, 1, 1)
        x = x * _uniform(b, 1 - self.brightness, 1 + self.brightness, g).view(shape)
        grey = x.mean(1, keepdim=True) if x.shape[1] == 3 else x
        c = _uniform(b, 1 - self.contrast, 1 + self.contrast, g).view(shape)
        x = (x - grey.mean((2, 3), keepdim=True)) * c + grey.mean((2, 3), keepdim=True)
        if x.shape[1] == 3:
            s = _uniform(b, 1 - self.saturation, 1 + self.saturation, g).view(shape)
            grey = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
            x = (x - grey) * s + grey
            if self.hue:
                x = _rotate_hue(x, _uniform(b, -self.hue, self.hue, g) * 2 * math.pi)
        return x.clamp(0, 1)

    def _cutout(self, x: torch.Tensor) -> torch.Tensor:
        b, _, h, w = x.shape
        g = self.generator
        side_h = max(1, round(h * math.sqrt(self.erase_area)))
        side_w = max(1, round(w * math.sqrt(self.erase_area)))
        top = (torch.rand(b, generator=g) * (h - side_h + 1)).long().view(b, 1, 1)
        left = (torch.rand(b, generator=g) * (w - side_w + 1)).long().view(b, 1, 1)
        rows, cols = torch.arange(h).view(1, h, 1), torch.arange(w).view(1, 1, w)
        box = (rows >= top) & (rows < top + side_h) & (cols >= left) & (cols < left + side_w)
        box &= (torch.rand(b, generator=g) < self.erase).view(b, 1, 1)
        return x.masked_fill(box[:, None], 0.0)

    def scaled(self, strength: float) -> "Augment":
        """The same augmentation with every magnitude times ``strength`` (probabilities capped at 1)."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        for k in kw:
            if k not in ("seed", "erase_area"):
                kw[k] = kw[k] * strength
        for k in ("flip", "vflip", "erase"):
            kw[k] = min(1.0, kw[k])
        kw["scale"] = min(kw["scale"], 0.9)
        return Augment(**kw)


def _rotate_hue(x: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rotate hue by ``angle`` (radians, one per image) in YIQ space: Y (brightness) is kept."""
    to_yiq = torch.tensor([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
    from_yiq = torch.linalg.inv(to_yiq)
    c, s = torch.cos(angle), torch.sin(angle)
    rot = torch.zeros(len(x), 3, 3)
    rot[:, 0, 0] = 1
    rot[:, 1, 1], rot[:, 1, 2], rot[:, 2, 1], rot[:, 2, 2] = c, -s, s, c
    m = from_yiq @ rot @ to_yiq                                  # (B, 3, 3)
    return torch.einsum("bij,bjhw->bihw", m, x)


class PerSample:
    """Apply a ``torchvision.transforms.v2`` transform to each image of a batch separately.

    Args:
        transform: a v2 transform (or any callable on one ``(C, H, W)`` tensor).
        uint8: convert to uint8 first and back to float after; AutoAugment, RandAugment and
            TrivialAugment need it (they work on 0-255 integer images).

    Example:
        >>> from torchvision.transforms import v2
        >>> PerSample(v2.RandAugment(), uint8=True)(torch.rand(4, 3, 32, 32)).dtype
        torch.float32
    """

    def __init__(self, transform: Callable, uint8: bool = False):
        self.transform, self.uint8 = transform, uint8

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _check_batch(x)
        if self.uint8:
            xu = (x.clamp(0, 1) * 255).round().to(torch.uint8)
            return as_float_images(torch.stack([self.transform(xi) for xi in xu]))
        return torch.stack([self.transform(xi) for xi in x.float()])

    def __repr__(self) -> str:
        return f"PerSample({self.transform!r}, uint8={self.uint8})"


class Compose:
    """Apply batch transforms in order (``None`` entries are skipped, so optional steps need no ``if``).

    Example:
        >>> Compose([Augment(flip=1.0), None, Normalize([0.5] * 3, [0.5] * 3)])(torch.ones(2, 3, 4, 4)).max().item()
        1.0
    """

    def __init__(self, transforms):
        self.transforms = [t for t in transforms if t is not None]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        return "Compose(" + ", ".join(repr(t) for t in self.transforms) + ")"


def normalize(x: torch.Tensor, mean, std) -> torch.Tensor:
    """``(x - mean) / std`` per channel of a batch ``(B, C, H, W)``, in the batch's dtype and device.

    The one normalization of the kit: :class:`Normalize` and the pretrained models'
    :class:`~clskit.models.pretrained.Preprocess` call it.

    Example:
        >>> normalize(torch.ones(1, 2, 1, 1), [0.5, 0.0], [0.5, 2.0]).flatten().tolist()
        [1.0, 0.5]
    """
    mean = torch.as_tensor(mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    std = torch.as_tensor(std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    return (x - mean) / std


class Normalize:
    """Subtract a per-channel mean and divide by a std (for pretrained models: ImageNet statistics).

    Example:
        >>> Normalize([0.5], [0.25])(torch.ones(1, 1, 2, 2)).flatten().tolist()
        [2.0, 2.0, 2.0, 2.0]
    """

    def __init__(self, mean, std):
        self.mean = torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1)
        self.std = torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _check_batch(x)
        return normalize(x, self.mean, self.std)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.flatten().tolist()}, std={self.std.flatten().tolist()})"


PRESETS: dict[str, dict] = {
    "none": {},
    "flip": dict(flip=0.5),
    "geometric": dict(flip=0.5, rotate=15, scale=0.15, translate=0.1),
    "colour": dict(brightness=0.3, contrast=0.3, saturation=0.3, hue=0.05),
    "cutout": dict(erase=0.5, erase_area=0.15),
    "standard": dict(flip=0.5, rotate=10, scale=0.1, translate=0.1, brightness=0.2, contrast=0.2, saturation=0.2),
    "strong": dict(flip=0.5, rotate=20, scale=0.2, translate=0.15, brightness=0.3, contrast=0.3,
                   saturation=0.3, hue=0.05, erase=0.5),
}
_POLICIES = ("autoaugment", "randaugment", "trivialaugment")


def augment(preset: str = "standard", strength: float = 1.0, seed: int | None = None, **overrides) -> Callable:
    """A batch augmentation by name; ``strength`` scales every magnitude; keywords override one setting.

    Presets (vectorised :class:`Augment`): ``none``, ``flip``, ``geometric``, ``colour``, ``cutout``,
    ``standard`` (geometric + mild colour), ``strong`` (all of them). Learned/random policies from
    torchvision, applied per image on uint8 (slower): ``autoaugment`` (ImageNet policy), ``randaugment``
    (2 ops; magnitude 9 x strength), ``trivialaugment``.

    Example:
        >>> f = augment("geometric", strength=0.5, rotate=5)   # half of every magnitude and probability
        >>> f.rotate, f.flip, f.scale
        (5, 0.25, 0.075)
    """
    name = preset.lower().replace("_", "").replace("color", "colour")
    if name in _POLICIES:
        from torchvision.transforms import v2

        if overrides:
            raise ValueError(f"preset {preset!r} takes no overrides; got {sorted(overrides)}")
        if seed is not None:
            torch.manual_seed(seed)
        policy = {"autoaugment": lambda: v2.AutoAugment(v2.AutoAugmentPolicy.IMAGENET),
                  "randaugment": lambda: v2.RandAugment(num_ops=2, magnitude=max(0, min(30, round(9 * strength)))),
                  "trivialaugment": lambda: v2.TrivialAugmentWide()}[name]()
        return PerSample(policy, uint8=True)
    if name not in PRESETS:
        raise KeyError(f"unknown augmentation preset {preset!r}; choose from {', '.join(list(PRESETS) + list(_POLICIES))}")
    base = Augment(**PRESETS[name]).scaled(strength)
    kw = {f.name: getattr(base, f.name) for f in fields(base)}
    unknown = set(overrides) - set(kw)
    if unknown:
        raise TypeError(f"unknown Augment settings {sorted(unknown)}; available: {', '.join(kw)}")
    kw.update(overrides, seed=seed)
    return Augment(**kw)


# -- MixUp and CutMix ---------------------------------------------------------------------------
def _soft_targets(y: torch.Tensor, num_classes: int | None) -> torch.Tensor:
    if y.dtype.is_floating_point and y.ndim == 2:
        return y                                   # multi-label vectors or already soft
    if num_classes is None:
        raise ValueError("MixUp/CutMix need num_classes to one-hot encode integer labels; pass num_classes=")
    return F.one_hot(y.long(), num_classes).float()


class MixUp:
    """MixUp (Zhang et al. 2018): ``x = lam * x_i + (1 - lam) * x_j`` and the same mix of the labels.

    One ``lam ~ Beta(alpha, alpha)`` per batch; the partner ``j`` is a random permutation of the batch.
    Returns soft targets ``(B, K)``: ``nn.CrossEntropyLoss`` accepts class probabilities as targets,
    and ``BCEWithLogitsLoss`` soft label vectors (multi-label).

    Args:
        alpha: Beta concentration; small values (0.2-0.4) mostly mix a little.
        num_classes: needed for integer labels.
        p: probability of mixing a batch at all.

    Example:
        >>> x, y = MixUp(num_classes=3)(torch.rand(4, 3, 8, 8), torch.tensor([0, 1, 2, 0]))
        >>> y.shape, torch.allclose(y.sum(1), torch.ones(4))
        (torch.Size([4, 3]), True)
    """

    def __init__(self, alpha: float = 0.4, num_classes: int | None = None, p: float = 1.0,
                 generator: torch.Generator | None = None):
        if alpha <= 0:
            raise ValueError(f"alpha must be positive; got {alpha}")
        self.alpha, self.num_classes, self.p, self.generator = alpha, num_classes, p, generator
        self.lam = 1.0

    def _draw(self, b: int) -> tuple[float, torch.Tensor]:
        g = self.generator
        if torch.rand(1, generator=g).item() >= self.p:
            return 1.0, torch.arange(b)
        # torch's Beta sampler takes no generator; draw lam with NumPy, seeded from the torch generator
        # (or torch's global one), so seed_everything / generator= make runs repeat.
        import numpy as np

        lam = np.random.default_rng(int(torch.randint(2**31, (1,), generator=g))).beta(self.alpha, self.alpha)
        return float(lam), torch.randperm(b, generator=g)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_batch(x)
        y = _soft_targets(y, self.num_classes).to(x.device)
        lam, perm = self._draw(len(x))
        perm = perm.to(x.device)
        self.lam = lam
        return lam * x + (1 - lam) * x[perm], lam * y + (1 - lam) * y[perm]


class CutMix(MixUp):
    """CutMix (Yun et al. 2019): paste a random box from a partner image; labels mix by the box's area.

    The box covers a fraction ``1 - lam`` of the image (``lam ~ Beta(alpha, alpha)``), clipped at the
    borders; the label weight is the area actually pasted. For multi-label vectors the labels are
    mixed by area too (an approximation: a pasted object may be cut off).

    Example:
        >>> x, y = CutMix(num_classes=2)(torch.rand(4, 3, 16, 16), torch.tensor([0, 1, 1, 0]))
        >>> bool(((y == 0) | (y == 1) | ((y > 0) & (y < 1))).all())
        True
    """

    def __init__(self, alpha: float = 1.0, num_classes: int | None = None, p: float = 1.0,
                 generator: torch.Generator | None = None):
        super().__init__(alpha, num_classes, p, generator)

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _check_batch(x)
        y = _soft_targets(y, self.num_classes).to(x.device)
        lam, perm = self._draw(len(x))
        perm = perm.to(x.device)
        h, w = x.shape[-2:]
        cut = math.sqrt(1 - lam)
        ch, cw = int(round(h * cut)), int(round(w * cut))
        cy = int(torch.randint(h, (1,), generator=self.generator))
        cx = int(torch.randint(w, (1,), generator=self.generator))
        top, bottom = max(cy - ch // 2, 0), min(cy + ch - ch // 2, h)
        left, right = max(cx - cw // 2, 0), min(cx + cw - cw // 2, w)
        x = x.clone()
        x[:, :, top:bottom, left:right] = x[perm, :, top:bottom, left:right]
        lam = 1 - (bottom - top) * (right - left) / (h * w)     # the area really pasted
        self.lam = lam
        return x, lam * y + (1 - lam) * y[perm]


class MixUpCutMix(MixUp):
    """Per batch, either MixUp or CutMix (with probability ``switch`` CutMix), as in timm's Mixup.

    Example:
        >>> x, y = MixUpCutMix(num_classes=2)(torch.rand(2, 3, 8, 8), torch.tensor([0, 1]))
        >>> y.shape
        torch.Size([2, 2])
    """

    def __init__(self, mixup_alpha: float = 0.4, cutmix_alpha: float = 1.0, switch: float = 0.5,
                 num_classes: int | None = None, generator: torch.Generator | None = None):
        super().__init__(mixup_alpha, num_classes, 1.0, generator)
        self.mixup = MixUp(mixup_alpha, num_classes, generator=generator)
        self.cutmix = CutMix(cutmix_alpha, num_classes, generator=generator)
        self.switch = switch

    def __call__(self, x, y):
        use_cut = torch.rand(1, generator=self.generator).item() < self.switch
        return (self.cutmix if use_cut else self.mixup)(x, y)


class MixedLoader:
    """A training loader whose batches are mixed by ``mix`` (MixUp/CutMix); same length as ``loader``.

    Example:
        >>> from clskit.datasets import ImageDataset, ArrayLoader
        >>> ds = ImageDataset(torch.zeros(4, 1, 8, 8, dtype=torch.uint8), torch.tensor([0, 1, 0, 1]), ["a", "b"])
        >>> xb, yb = next(iter(MixedLoader(ArrayLoader(ds, 4), MixUp(num_classes=2))))
        >>> yb.shape
        torch.Size([4, 2])
    """

    def __init__(self, loader, mix: Callable):
        self.loader, self.mix = loader, mix

    def __iter__(self):
        for xb, yb in self.loader:
            yield self.mix(xb, yb)

    def __len__(self) -> int:
        return len(self.loader)

    def __getattr__(self, name):  # dataset, batch_size, ... of the wrapped loader
        if name in ("loader", "mix"):
            raise AttributeError(name)
        return getattr(self.loader, name)


def with_mixing(dls, mix: Callable | str = "mixup", **kw):
    """A copy of ``dls`` whose *training* loader mixes batches; validation and test stay untouched,
    so the Learner's metrics see hard labels. The default loss (cross-entropy, or BCE for multi-label)
    accepts the soft targets.

    Args:
        dls: a :class:`~clskit.datasets.DataLoaders`.
        mix: ``"mixup"``, ``"cutmix"``, ``"both"`` or a callable ``(x, y) -> (x, y_soft)``.
        **kw: options of :class:`MixUp` / :class:`CutMix` (``alpha``, ``p``).

    Example:
        >>> from clskit.datasets import DataLoaders, load_dataset, split_dataset
        >>> dls = with_mixing(DataLoaders.from_datasets(*split_dataset(load_dataset("digits"))), "cutmix")
        >>> xb, yb = next(iter(dls.train)); yb.shape
        torch.Size([64, 10])
    """
    import dataclasses

    k = len(dls.classes)
    if isinstance(mix, str):
        makers = {"mixup": lambda: MixUp(num_classes=k, **kw), "cutmix": lambda: CutMix(num_classes=k, **kw),
                  "both": lambda: MixUpCutMix(num_classes=k, **kw)}
        if mix not in makers:
            raise ValueError(f"mix must be 'mixup', 'cutmix', 'both' or a callable; got {mix!r}")
        mix = makers[mix]()
    return dataclasses.replace(dls, train=MixedLoader(dls.train, mix))
