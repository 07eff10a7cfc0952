"""Domain shift: corrupt images on purpose, measure the accuracy drop, and try the fixes.

The corruption *types* are ImageNet-C's (Hendrycks & Dietterich 2019), but the severity scale is the
kit's own, not ImageNet-C's: its blur is 2.3 to 3.5 times stronger, its noise one level milder, and its
brightness is added to R, G and B rather than to the HSV value (this module's source lists every
difference beside its severity tables). Do not compare its accuracies with published ImageNet-C numbers. Each corruption has
a ``severity`` from 1 (mild) to 5 (strong) and works on float batches ``(B, C, H, W)`` in ``[0, 1]``.
The mitigations measured in
notebook 13 are: training with corruption augmentation (:class:`CorruptionAugment`), re-estimating
BatchNorm statistics on unlabelled target images (AdaBN, Li et al. 2016: :func:`adapt_bn`), and
fine-tuning on a few labelled target images (:func:`finetune_on_target`).

Example:
    >>> x = torch.rand(2, 3, 32, 32)
    >>> corrupt(x, "gaussian_blur", severity=3).shape
    torch.Size([2, 3, 32, 32])
"""
from __future__ import annotations

import copy
from typing import Callable, Sequence

import torch
import torch.nn as nn

from clskit.utils import BATCHNORM_TYPES

# Severity 1..5 parameters: the kit's own scale. ImageNet-C's values (Hendrycks & Dietterich 2019, the
# reference code github.com/hendrycks/robustness, packaged as `imagecorruptions`) for comparison:
#   gaussian_noise std    kit 0.04 0.08 0.12 0.18 0.26; ImageNet-C 0.08 0.12 0.18 0.26 0.38 (the kit is one level milder)
#   gaussian_blur sigma   kit 0.5 0.75 1 1.5 2 px per 32 px of image side, i.e. 2 3 4 6 8 px at 128 px;
#                         ImageNet-C 1 2 3 4 6 px at 224 px, i.e. 0.6 1.1 1.7 2.3 3.4 px at 128 px (the kit's is 2.3-3.5x)
#   brightness            the same 0.1 ... 0.5, added to R, G and B here, to the HSV value in ImageNet-C
#   contrast              the same factors, towards one mean per image here, each channel's mean in ImageNet-C
#   jpeg quality          25 18 15 10 7: ImageNet-C's values
_NOISE_STD = (0.04, 0.08, 0.12, 0.18, 0.26)
_BLUR_SIGMA = (0.5, 0.75, 1.0, 1.5, 2.0)
_BRIGHTNESS = (0.1, 0.2, 0.3, 0.4, 0.5)
_CONTRAST = (0.4, 0.3, 0.2, 0.1, 0.05)
_JPEG_QUALITY = (25, 18, 15, 10, 7)


def _check_severity(severity: int) -> int:
    if severity not in (1, 2, 3, 4, 5):
        raise ValueError(f"severity must be an integer from 1 (mild) to 5 (strong); got {severity!r}")
    return severity - 1


def gaussian_noise(x: torch.Tensor, severity: int = 3, generator: torch.Generator | None = None) -> torch.Tensor:
    """Add Gaussian sensor noise (std 0.04 to 0.26 of the full range; ImageNet-C's runs 0.08 to 0.38).

    Example: ``gaussian_noise(x, 2)``.
    """
    std = _NOISE_STD[_check_severity(severity)]
    noise = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    return (x + std * noise).clamp(0, 1)


def gaussian_blur(x: torch.Tensor, severity: int = 3, generator: torch.Generator | None = None) -> torch.Tensor:
    """Out-of-focus blur: a Gaussian kernel (sigma 0.5 to 2 pixels at 32x32, scaled with the size).

    Stronger than ImageNet-C's Gaussian blur (sigma 1 to 6 pixels at 224x224): at 128 px the kit's sigma
    is 2 to 8 pixels, ImageNet-C's would be 0.6 to 3.4.

    The same result as ``torchvision.transforms.v2.functional.gaussian_blur`` (reflect padding, the
    kernel over +-3 sigma), computed in two 1-D passes, since a Gaussian is separable: each pass is one
    matrix product with a banded matrix. At 128 px and severity 5 (a 49x49 kernel) that is about 20
    times faster on CPU than one 2-D convolution.
    """
    import torch.nn.functional as F

    sigma = _BLUR_SIGMA[_check_severity(severity)] * x.shape[-1] / 32
    k = 2 * int(3 * sigma) + 1  # the kernel covers +-3 sigma
    half = (k - 1) * 0.5
    t = torch.linspace(-half, half, steps=k, dtype=x.dtype, device=x.device)
    kernel = torch.exp(-0.5 * (t / sigma) ** 2)
    kernel = kernel / kernel.sum()                                          # (k,), as torchvision builds it
    shape = x.shape
    y = F.pad(x.reshape(-1, *shape[-3:]), [k // 2] * 4, mode="reflect")    # (B, C, H + k - 1, W + k - 1)
    y = y @ _band(kernel, shape[-1])                                        # along the rows: (B, C, H + k - 1, W)
    return (_band(kernel, shape[-2]).T @ y).reshape(shape)                 # along the columns: (B, C, H, W)


def _band(kernel: torch.Tensor, n: int) -> torch.Tensor:
    # (n + k - 1, n) matrix M with M[j + m, j] = kernel[m]: a padded row times M is the 1-D correlation
    k = len(kernel)
    rows = torch.arange(n, device=kernel.device)[None, :] + torch.arange(k, device=kernel.device)[:, None]   # (k, n)
    band = torch.zeros(n + k - 1, n, dtype=kernel.dtype, device=kernel.device)
    band[rows, torch.arange(n, device=kernel.device).expand(k, n)] = kernel[:, None].expand(k, n)
    return band


def brightness(x: torch.Tensor, severity: int = 3, generator: torch.Generator | None = None) -> torch.Tensor:
    """Over-exposure: add 0.1 to 0.5 to every pixel (clipped at white).

    ImageNet-C adds the same amounts to the HSV value instead, which keeps the colours' saturation.
    """
    return (x + _BRIGHTNESS[_check_severity(severity)]).clamp(0, 1)


def contrast(x: torch.Tensor, severity: int = 3, generator: torch.Generator | None = None) -> torch.Tensor:
    """Low contrast: pull every pixel towards the image mean (keeping 40% down to 5% of the contrast)."""
    c = _CONTRAST[_check_severity(severity)]
    mean = x.mean(dim=(-3, -2, -1), keepdim=True)
    return (x - mean) * c + mean


def jpeg(x: torch.Tensor, severity: int = 3, generator: torch.Generator | None = None) -> torch.Tensor:
    """JPEG compression artefacts (quality 25 down to 7), encoded and decoded with Pillow."""
    q = _JPEG_QUALITY[_check_severity(severity)]
    u8 = (x.clamp(0, 1) * 255).round().to(torch.uint8).cpu()
    if u8.shape[-3] not in (1, 3):
        raise ValueError(f"jpeg needs 1 or 3 channels; got {u8.shape[-3]}")
    out = torch.stack([_jpeg_roundtrip(img, q) for img in u8.reshape(-1, *u8.shape[-3:])])
    return out.reshape(u8.shape).to(x.device, x.dtype) / 255


def _jpeg_roundtrip(img: torch.Tensor, quality: int) -> torch.Tensor:
    import io

    import numpy as np
    from PIL import Image

    arr = img.permute(1, 2, 0).numpy()
    buf = io.BytesIO()
    Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr).save(buf, format="JPEG", quality=quality)
    out = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    return torch.from_numpy(out.copy()).reshape(arr.shape).permute(2, 0, 1)


CORRUPTIONS: dict[str, Callable] = {
    "gaussian_noise": gaussian_noise, "gaussian_blur": gaussian_blur, "brightness": brightness,
    "contrast": contrast, "jpeg": jpeg,
}


def corrupt(x: torch.Tensor, name: str, severity: int = 3, seed: int = 0) -> torch.Tensor:
    """Apply the corruption ``name`` (see ``CORRUPTIONS``) at ``severity`` 1-5 to a float batch in ``[0, 1]``.

    Example:
        >>> corrupt(torch.full((1, 3, 8, 8), 0.5), "brightness", 5).max().item()
        1.0
    """
    if name not in CORRUPTIONS:
        raise KeyError(f"unknown corruption {name!r}; available: {', '.join(CORRUPTIONS)}")
    if not torch.is_floating_point(x):
        raise TypeError(f"corrupt expects float images in [0, 1]; got {x.dtype}. Use ds.float_images().")
    return CORRUPTIONS[name](x, severity, torch.Generator().manual_seed(seed))


def corrupt_dataset(data, name: str, severity: int = 3, seed: int = 0, batch_size: int = 32):
    """A copy of an :class:`~clskit.datasets.ImageDataset` with every image corrupted (uint8 again).

    The images are corrupted ``batch_size`` at a time and stored as uint8 straight away, so only one
    batch is ever held as floats (100 photos at 128 px are 20 MB as float32, and a blur or the noise
    makes a few temporaries of that size). The result equals ``corrupt`` on the whole set at once: one
    generator, seeded once, serves the batches in order.

    Example:
        >>> from clskit.datasets import load_dataset
        >>> corrupt_dataset(load_dataset("shapes", n_per_class=5), "jpeg", 2).meta["corruption"]
        ('jpeg', 2)
    """
    from clskit.datasets import ImageDataset

    if name not in CORRUPTIONS:
        raise KeyError(f"unknown corruption {name!r}; available: {', '.join(CORRUPTIONS)}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1; got {batch_size}")
    gen = torch.Generator().manual_seed(seed)
    images = torch.empty_like(data.images, dtype=torch.uint8)
    for start in range(0, len(data), batch_size):
        x = CORRUPTIONS[name](data.float_images(slice(start, start + batch_size)), severity, gen)
        images[start:start + batch_size] = (x.clamp(0, 1) * 255).round().to(torch.uint8)
    return ImageDataset(images, data.targets.clone(), list(data.classes), data.multilabel, data.transform,
                        data.groups, {**data.meta, "corruption": (name, severity)})


class CorruptionAugment:
    """A training batch transform that corrupts each image with probability ``p`` (a random
    corruption from ``names`` at a random severity up to ``max_severity``).

    Training on corrupted copies makes a model robust to those corruptions, and often to related
    ones (AugMix, Hendrycks et al. 2020, is a stronger version). Seed it for repeatable runs.

    Example:
        >>> aug = CorruptionAugment(p=1.0, seed=0)
        >>> aug(torch.rand(4, 3, 16, 16)).shape
        torch.Size([4, 3, 16, 16])
    """

    def __init__(self, names: Sequence[str] = tuple(CORRUPTIONS), max_severity: int = 3, p: float = 0.5, seed: int = 0):
        unknown = [n for n in names if n not in CORRUPTIONS]
        if unknown:
            raise KeyError(f"unknown corruptions {unknown}; available: {', '.join(CORRUPTIONS)}")
        _check_severity(max_severity)
        if not 0 <= p <= 1:
            raise ValueError(f"p is a probability in [0, 1]; got {p}")
        self.names, self.max_severity, self.p = list(names), max_severity, p
        self.rng = torch.Generator().manual_seed(seed)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        out = x.clone()
        hit = torch.rand(len(x), generator=self.rng) < self.p
        for i in torch.nonzero(hit).flatten().tolist():
            name = self.names[int(torch.randint(len(self.names), (1,), generator=self.rng))]
            sev = int(torch.randint(1, self.max_severity + 1, (1,), generator=self.rng))
            out[i] = CORRUPTIONS[name](x[i:i + 1], sev, self.rng)[0]
        return out

    def __repr__(self) -> str:
        return f"CorruptionAugment(names={self.names}, max_severity={self.max_severity}, p={self.p})"


# -- AdaBN --------------------------------------------------------------------------------------
def adapt_bn(model: nn.Module, data, transform: Callable | None = None, batch_size: int = 64,
             inplace: bool = False) -> nn.Module:
    """Re-estimate BatchNorm running statistics on (unlabelled) target-domain images: AdaBN.

    A BatchNorm layer normalizes with the mean and variance it saw during training; under domain
    shift (blur, other colours) the features' statistics move, and normalizing with the old ones
    shifts every later layer. AdaBN (Li et al. 2016) recomputes the statistics on target images,
    with no labels and no gradient step: running stats are reset and averaged over all batches
    (``momentum=None``) while only the BN layers are in train mode.

    Args:
        model: a model with BatchNorm layers.
        data: an :class:`~clskit.datasets.ImageDataset` or float tensor ``(N, C, H, W)`` of target images.
        transform: batch preprocessing used by the model (the same as at evaluation).
        batch_size: images per forward pass. Every batch counts equally: with a size that divides
            the number of images the mean is that of the whole set, but the variance is the average of
            the batches' own variances, which leaves out how far the batch means differ. Shuffle images
            stored class by class, or pass them in one batch, for the variance of the whole set.
        inplace: change ``model`` itself; by default a copy is adapted and returned.

    Returns:
        The adapted model (in eval mode).

    Example:
        >>> m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        >>> m2 = adapt_bn(m, torch.rand(8, 3, 8, 8) + 1)
        >>> bool(m2[1].running_mean.abs().sum() > 0), bool(m[1].running_mean.abs().sum() == 0)
        (True, True)
    """
    from clskit.inference import channels_last, run_batches

    model = model if inplace else copy.deepcopy(model)
    bns = [m for m in model.modules() if isinstance(m, BATCHNORM_TYPES)]
    if not bns:
        raise ValueError(f"{type(model).__name__} has no BatchNorm layers; AdaBN only changes BatchNorm statistics")
    from clskit.checks import checked_channels

    data = data if hasattr(data, "float_images") else torch.as_tensor(data)
    shape = tuple(data.images.shape) if hasattr(data, "images") else tuple(data.shape)
    if len(shape) != 4 or shape[0] == 0:
        raise ValueError(f"adapt_bn needs target-domain images (N, C, H, W) with N >= 1; got shape "
                         f"{shape}. With no images it would reset the statistics to nothing; pass "
                         "the unlabelled target images (a few hundred give stable statistics)")
    saved = [bn.momentum for bn in bns]
    stats = [copy.deepcopy(bn.state_dict()) for bn in bns]   # put back if the images turn out unusable
    for bn in bns:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average: every batch counts equally
    try:
        with checked_channels(model, "data"):
            # the inference loop with the BatchNorm layers in train mode: each forward pass updates their statistics
            # (each batch channels-last: the same statistics up to rounding, faster on a CPU)
            for _ in run_batches(model, data, transform, batch_size=batch_size, batchnorm_train=True,
                                 forward=lambda m, x: m(channels_last(x))):
                pass
    except BaseException:
        for bn, state in zip(bns, stats):
            bn.load_state_dict(state)
        raise
    finally:
        for bn, m in zip(bns, saved):
            bn.momentum = m
    return model.eval()


def finetune_on_target(model: nn.Module, target_train, *, epochs: int = 10, lr: float = 1e-3,
                       transform: Callable | None = None, batch_size: int = 16, seed: int = 0,
                       train_transform: Callable | None = None) -> nn.Module:
    """Fine-tune a copy of ``model`` on a few labelled target-domain images (all layers, low lr).

    Example:
        >>> from clskit.datasets import load_dataset; from clskit.models import create_model
        >>> m = finetune_on_target(create_model("small_cnn", num_classes=4), load_dataset("shapes", n_per_class=4), epochs=1)
    """
    from clskit.datasets import DataLoaders
    from clskit.training.learner import Learner
    from clskit.datasets.transforms import Compose

    model = copy.deepcopy(model)
    train_tfm = Compose([train_transform, transform])
    dls = DataLoaders.from_datasets(target_train, target_train, batch_size=batch_size, seed=seed,
                                    train_transform=train_tfm, eval_transform=transform)
    dls.valid = None
    Learner(model, dls, lr=lr, progress=False, seed=seed).fit(epochs)
    return model.eval()


def shift_table(model: nn.Module, domains: dict, transform: Callable | None = None, reference: str | None = None) -> list[dict]:
    """Accuracy of ``model`` on each domain and its drop from the ``reference`` domain (default: the first).

    Example:
        >>> from clskit.datasets import load_dataset; from clskit.models import create_model
        >>> ds = load_dataset("shapes", n_per_class=5)
        >>> rows = shift_table(create_model("small_cnn", num_classes=4), {"clean": ds, "blur": corrupt_dataset(ds, "gaussian_blur")})
        >>> [r["domain"] for r in rows]
        ['clean', 'blur']
    """
    from clskit.inference import accuracy_of

    if not domains:
        raise ValueError("domains is empty; pass {'name': dataset, ...}")
    accs = {name: accuracy_of(model, ds, transform) for name, ds in domains.items()}
    ref = accs[reference if reference is not None else next(iter(accs))]
    return [{"domain": n, "accuracy": a, "drop": ref - a} for n, a in accs.items()]


@torch.no_grad()
def blend_bn(source: nn.Module, adapted: nn.Module, weight: float = 0.5) -> nn.Module:
    """Mix source and target BatchNorm statistics: ``weight`` of the target's, the rest of the source's.

    AdaBN (:func:`adapt_bn`) throws the source statistics away. When the target sample is small or
    narrow (a few hundred images of 10 classes, against the 1.28 million images of 1000 classes that
    set ImageNet's statistics), its statistics are a poor estimate. Schneider et al. (2020, "Improving
    robustness against common corruptions by covariate shift adaptation") keep the source statistics
    as a prior; this is their convex combination ``w * target + (1 - w) * source`` for the mean and
    the variance of every BatchNorm layer.

    Args:
        source: the model with the original statistics.
        adapted: the same architecture after :func:`adapt_bn` on target images.
        weight: the share of the target statistics, from 0 (source) to 1 (AdaBN).

    Returns:
        A new model (eval mode) with the source's weights and the blended statistics.

    Example:
        >>> m = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        >>> target = adapt_bn(m, torch.rand(8, 3, 8, 8) + 1)
        >>> half = blend_bn(m, target, 0.5)          # m's running mean is still 0
        >>> bool(torch.allclose(half[1].running_mean, target[1].running_mean / 2))
        True
    """
    if not 0 <= weight <= 1:
        raise ValueError(f"weight is the target's share, between 0 and 1; got {weight}")
    out = copy.deepcopy(source)
    src = [m for m in out.modules() if isinstance(m, BATCHNORM_TYPES)]
    tgt = [m for m in adapted.modules() if isinstance(m, BATCHNORM_TYPES)]
    if not src:
        raise ValueError(f"{type(source).__name__} has no BatchNorm layers; there are no statistics to blend")
    if len(src) != len(tgt) or any(a.num_features != b.num_features for a, b in zip(src, tgt)):
        raise ValueError("source and adapted must be the same architecture (adapted = adapt_bn(source, ...))")
    for a, b in zip(src, tgt):
        a.running_mean.mul_(1 - weight).add_(b.running_mean.to(a.running_mean), alpha=weight)
        a.running_var.mul_(1 - weight).add_(b.running_var.to(a.running_var), alpha=weight)
    return out.eval()
