"""Synthetic images the kit owns: coloured shapes on textured backgrounds, and textured surfaces with defects.

Everything is drawn with vectorised NumPy (no per-image Python loop), so 2,000 images of 64x64
take well under a second, and the same ``seed`` always gives the same images. Each generator
plants, on request, the problems real data has, and records where it planted them in ``ds.meta``:

- ``imbalance``: the ratio of the largest to the smallest class (class 0 is the largest);
- ``label_noise``: a fraction of labels flipped to another class (``meta["flipped"]``, and the
  true labels in ``meta["clean_targets"]``);
- ``shift``: a domain shift for a "deployment" set (other backgrounds, faded colours, blur, noise);
- ``spurious``: a small coloured marker in the top-left corner whose colour matches the class with
  this probability (``meta["marker"]`` holds the class index the marker's colour stands for);
- ``views``: several images rendered from one source object (``ds.groups`` holds the object id).

Registered names: ``"shapes"`` (single-label), ``"shapes_multilabel"`` (several shapes per image,
a 0/1 label vector) and ``"defects"`` (quality control: surfaces that are ok, scratched or spotted).
"""
from __future__ import annotations

import math

import numpy as np
import torch

from clskit.datasets.base import ImageDataset
from clskit.datasets.registry import register_dataset
from clskit.datasets.sdf import SHAPES, coverage, pixel_grid, segment_distance

DEFECT_KINDS = ("ok", "scratch", "spot")
# Marker colours of the spurious cue: one per class (saturated, easy to see in a corner).
MARKER_COLOURS = np.array([[1, 0, 0], [0, 0.8, 0], [0, 0.3, 1], [1, 0.9, 0], [1, 0, 1], [0, 1, 1],
                           [1, 0.5, 0], [1, 1, 1]], dtype=np.float32)

# -- every constant of the generators, in one place (airbench's ``hyp``) ------------------------------------
# Lengths are fractions of the image side unless the comment says pixels; colours are in [0, 1].
# A range (lo, hi) is drawn uniformly per image; (offset, span) means offset + span * U(0, 1).
# Changing a value changes the images every seed gives (tests/test_synthetic.py pins them).
HYP = {
    "colour": {
        "dark": (0.05, 0.35),        # (offset, span) of a dark colour channel
        "light": (0.6, 0.35),        # (offset, span) of a light one: always >= 0.25 apart from a dark one
        "shift_fade": 0.5,           # under shift s, colours move s * this of the way to their grey
        "shift_contrast": 0.3,       # ... and the object/background contrast drops by s * this
    },
    "texture": {
        "cycles": (1, 4),            # stripes per image side
        "amplitude": (0.02, 0.12),   # stripe strength around the background colour
        # under shift, checkerboards replace stripes: this peak-to-peak, cells of size // 16 to size // 4 px
        "checker_amplitude": 0.2, "checker_cells": (16, 4),
    },
    "edge_blur": 1.2,  # soft-edge width grows by shift * this * size / 32 pixels (defocus)
    "noise": 0.03, "shift_noise": 0.05,  # sensor noise std (shapes), + shift * shift_noise
    "shapes": {
        "radius": (0.16, 0.3),       # object radius
        "centre": (0.3, 0.7),        # object centre (x and y)
        "view_scale": 0.1,           # views of one object: radius x U(1 - this, 1 + this) ...
        "view_shift": 0.08,          # ... centre moved by up to this ...
        "view_turn": 0.5,            # ... and turned by up to this many radians
        "texture_on_object": 0.5,    # how much of the background texture shows through the object
        "marker": 8,                 # the spurious marker's side is size // this pixels (at least 2)
    },
    "multilabel": {
        "centre_in_cell": (0.4, 0.6),  # object centre within its grid cell (fractions of the cell)
        "radius": (0.3, 0.42),         # object radius in cells
        "dark_max": 0.4,               # an object on a light background has channels <= this ...
        "light_min": 0.6,              # ... and on a dark one >= this
    },
    "defects": {
        "base": (0.35, 0.65),        # grey level of the metal
        "streak_angle": 0.3,         # brushing direction: +-this radians around 0 or 90 degrees
        "streak_amplitude": (0.01, 0.04),  # each of 3 streak sine waves
        "streak_cycles": (0.5, 2.5),       # their frequency (x 64 / size, radians per pixel)
        "light_gradient": 0.1,       # a light gradient of up to +-this across the image
        "scratch_start": (0.15, 0.85), "scratch_length": (0.3, 0.6),  # start (x and y) and length
        "scratch_width": (0.5, 1.0),       # x size / 64, + 0.3 pixels
        "scratch_dark": 0.7,               # probability that a scratch is darker than the surface
        "scratch_depth": (0.12, 0.25),
        "spot_centre": (0.15, 0.85), "spot_radius": (0.03, 0.06),  # radius x (1 + shift / 2)
        "spot_dark": 0.8,                  # probability that a spot is darker than the surface
        "spot_depth": (0.15, 0.3),
        "shift_contrast": 0.4,       # under shift s, defects and streaks fade by s * this
        "tint": 0.04,                # steel is slightly blue or warm: each channel x (1 +- this)
        "noise": 0.02,               # sensor noise std; + shift * HYP["shift_noise"]
    },
}


def _colours(rng, n, shift):
    """Background and object colours (n, 3) with a random light/dark polarity and clear contrast."""
    hyp = HYP["colour"]
    (dark, dark_span), (light, light_span) = hyp["dark"], hyp["light"]
    light_bg = rng.random(n) < 0.5
    lo, hi = dark + dark_span * rng.random((n, 3), np.float32), light + light_span * rng.random((n, 3), np.float32)
    bg = np.where(light_bg[:, None], hi, lo).astype(np.float32)
    fg = np.where(light_bg[:, None], dark + dark_span * rng.random((n, 3)), light + light_span * rng.random((n, 3)))
    fg = fg.astype(np.float32)
    if shift > 0:  # deployment: faded colours (towards grey) and less contrast
        grey_bg, grey_fg = bg.mean(1, keepdims=True), fg.mean(1, keepdims=True)
        bg = bg + hyp["shift_fade"] * shift * (grey_bg - bg)
        fg = fg + hyp["shift_fade"] * shift * (grey_fg - fg)
        fg = bg + (fg - bg) * (1 - hyp["shift_contrast"] * shift)
    return bg, fg


def _texture(rng, n, size, shift) -> np.ndarray:
    """Background texture ``(n, H, W)`` around 0: stripes, or (under shift) checkerboards."""
    hyp = HYP["texture"]
    ys, xs = pixel_grid(size)
    f32 = lambda a: np.asarray(a, dtype=np.float32)[:, None, None]
    ang = rng.uniform(0, np.pi, n)
    freq = f32(rng.uniform(*hyp["cycles"], n) * 2 * np.pi / size)
    phase, amp = f32(rng.uniform(0, 2 * np.pi, n)), f32(rng.uniform(*hyp["amplitude"], n))
    tex = amp * np.sin(freq * (xs * f32(np.cos(ang)) + ys * f32(np.sin(ang))) + phase)
    if shift > 0:
        checker = np.flatnonzero(rng.random(n) < shift)
        small, large = hyp["checker_cells"]
        cell = f32(rng.integers(max(2, size // small), max(3, size // large), len(checker)))
        tex[checker] = ((((xs // cell) + (ys // cell)) % 2 - 0.5) * hyp["checker_amplitude"]).astype(np.float32)
    return tex


def _edge(size: int, shift: float) -> float:
    """Soft-edge width in pixels: crisp in the training domain, out of focus under shift."""
    return 1.0 + HYP["edge_blur"] * shift * size / 32


def _finish(rng, canvas: np.ndarray, size: int, shift: float, noise: float = HYP["noise"]) -> torch.Tensor:
    """Sensor noise (stronger under shift), then uint8 ``(n, 3, H, W)``."""
    x = torch.from_numpy(canvas)
    std = noise + HYP["shift_noise"] * shift
    x = x + torch.from_numpy(rng.standard_normal(canvas.shape, dtype=np.float32)) * std
    return (x.clamp(0, 1) * 255).round().to(torch.uint8)


def _counts(n_per_class: int, n_classes: int, imbalance: float) -> np.ndarray:
    """Images per class: geometric from ``n_per_class`` (class 0) down to ``n_per_class / imbalance``."""
    if imbalance < 1:
        raise ValueError(f"imbalance is the ratio largest/smallest class and must be >= 1; got {imbalance}")
    steps = np.arange(n_classes) / max(n_classes - 1, 1)
    return np.maximum(1, np.round(n_per_class * imbalance ** -steps)).astype(int)


def _flip_labels(rng, y: np.ndarray, n_classes: int, rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Corrupt exactly ``round(rate * n)`` images' labels; returns the noisy labels and which were hit.

    Class indices ``y`` (n,) move to a different random class; a multi-label 0/1 matrix ``y``
    (n, n_classes) gets one random label bit flipped per image hit.
    """
    if not 0 <= rate < 1:
        raise ValueError(f"label_noise must be a fraction in [0, 1); got {rate}")
    flipped = np.zeros(len(y), bool)
    flipped[rng.choice(len(y), int(round(rate * len(y))), replace=False)] = True
    rows = np.flatnonzero(flipped)
    noisy = y.copy()
    if y.ndim == 1:
        noisy[rows] = (y[rows] + rng.integers(1, n_classes, len(rows))) % n_classes
    else:
        bits = rng.integers(0, n_classes, len(rows))
        noisy[rows, bits] = 1 - noisy[rows, bits]
    return noisy, flipped


def _check(n_per_class, size, shift):
    if n_per_class < 1:
        raise ValueError(f"n_per_class must be at least 1; got {n_per_class}")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels so shapes stay recognisable; got {size}")
    if not 0 <= shift <= 1:
        raise ValueError(f"shift is a strength in [0, 1] (0 = training domain); got {shift}")


# -- the registered generators ------------------------------------------------------------------
@register_dataset
def shapes(n_classes: int = 4, n_per_class: int = 500, size: int = 32, *, imbalance: float = 1.0,
           label_noise: float = 0.0, shift: float = 0.0, spurious: float | None = None, views: int = 1,
           seed: int = 0) -> ImageDataset:
    """Coloured shapes (one per image) at random position, size and rotation on striped backgrounds.

    Colours and light/dark polarity are random and independent of the class, so a linear model
    on pixels does poorly while a small CNN learns the task in a few epochs.

    Args:
        n_classes: 2 to 8 classes, taken in order from ``SHAPES`` (circle, square, triangle, cross,
            ring, star, bar, crescent).
        n_per_class: images of the largest class.
        size: side length in pixels (at least 16).
        imbalance: largest/smallest class ratio; class sizes fall geometrically (1 = balanced).
        label_noise: fraction of labels flipped to a wrong class (see ``meta["flipped"]``).
        shift: domain-shift strength in [0, 1] for a deployment set (checkerboard backgrounds,
            faded colours, blur, noise); use another ``seed`` too.
        spurious: ``None`` for no marker; a probability p: every image gets a corner marker whose
            colour is the class colour with probability p (else a random class's colour). Train with
            0.95 and test with 0.0 to build a model that is right for the wrong reason.
        views: images rendered from each source object (jittered pose, same colours); ``ds.groups``
            holds the object ids so :func:`split_dataset` keeps an object's views together.
        seed: the images depend only on the arguments and this seed.

    Returns:
        An :class:`ImageDataset` (uint8, ``(N, 3, size, size)``) with ``meta`` keys ``clean_targets``,
        ``flipped``, ``marker`` (-1 without markers) and ``shift``.

    Example:
        >>> ds = shapes(n_per_class=10, size=32, label_noise=0.1)
        >>> len(ds), ds.classes, int(ds.meta["flipped"].sum())
        (40, ['circle', 'square', 'triangle', 'cross'], 4)
    """
    _check(n_per_class, size, shift)
    if not 2 <= n_classes <= len(SHAPES):
        raise ValueError(f"n_classes must be between 2 and {len(SHAPES)}; got {n_classes}")
    if views < 1:
        raise ValueError(f"views (images per source object) must be at least 1; got {views}")
    if spurious is not None and not 0 <= spurious <= 1:
        raise ValueError(f"spurious is a probability in [0, 1] (or None for no marker); got {spurious}")
    hyp = HYP["shapes"]
    rng = np.random.default_rng(seed)
    counts = _counts(n_per_class, n_classes, imbalance)
    # Source objects: class, colour, pose; each rendered `views` times with a jittered pose.
    n_obj = [int(math.ceil(c / views)) for c in counts]
    obj_y = np.repeat(np.arange(n_classes), n_obj)
    m = len(obj_y)
    bg, fg = _colours(rng, m, shift)
    r_obj = rng.uniform(*hyp["radius"], m) * size
    pos_obj = rng.uniform(*hyp["centre"], (m, 2)) * size
    th_obj = rng.uniform(0, 2 * np.pi, m)
    # Expand objects to images: the first counts[c] views of class c's objects.
    idx = np.concatenate([np.flatnonzero(obj_y == c).repeat(views)[:counts[c]] for c in range(n_classes)])
    n = len(idx)
    y = obj_y[idx]
    jit = 0.0 if views == 1 else 1.0
    scale, move, turn = hyp["view_scale"], hyp["view_shift"], hyp["view_turn"]
    r = r_obj[idx] * rng.uniform(1 - scale * jit, 1 + scale * jit, n)
    cx = pos_obj[idx, 0] + jit * rng.uniform(-move, move, n) * size
    cy = pos_obj[idx, 1] + jit * rng.uniform(-move, move, n) * size
    th = th_obj[idx] + jit * rng.uniform(-turn, turn, n)
    r, cx, cy, th = (a.astype(np.float32) for a in (r, cx, cy, th))  # float64 would double the work

    tex = _texture(rng, n, size, shift)
    canvas = bg[idx][:, :, None, None] + tex[:, None]                    # (n, 3, H, W)
    for c in range(n_classes):
        sel = np.flatnonzero(y == c)
        a = coverage(SHAPES[c], size, cx[sel], cy[sel], r[sel], th[sel], _edge(size, shift))[:, None]  # (k, 1, H, W)
        obj = fg[idx[sel]][:, :, None, None] + hyp["texture_on_object"] * tex[sel, None]
        canvas[sel] = canvas[sel] * (1 - a) + obj * a
    marker = np.full(n, -1)
    if spurious is not None:
        follows = rng.random(n) < spurious
        marker = np.where(follows, y, rng.integers(0, n_classes, n))
        ms = max(2, size // hyp["marker"])
        canvas[:, :, 1:1 + ms, 1:1 + ms] = MARKER_COLOURS[marker % len(MARKER_COLOURS)][:, :, None, None]
    images = _finish(rng, canvas, size, shift)

    noisy, flipped = _flip_labels(rng, y, n_classes, label_noise)
    order = rng.permutation(n)  # mix the classes so any prefix is a fair sample
    groups = idx[order] if views > 1 else None
    meta = {"clean_targets": y[order], "flipped": flipped[order], "marker": marker[order], "shift": shift}
    return ImageDataset(images[torch.from_numpy(order)], torch.from_numpy(noisy[order]),
                        list(SHAPES[:n_classes]), groups=groups, meta=meta)


@register_dataset
def shapes_multilabel(n_labels: int = 4, n_images: int = 2000, size: int = 32, *, p_label: float = 0.4,
                      label_noise: float = 0.0, shift: float = 0.0, seed: int = 0,
                      prevalence: dict[str, float] | None = None) -> ImageDataset:
    """Several shapes per image (each label present with probability ``p_label``; at least one).

    Shapes sit in separate cells of a grid (2x2 for up to 4 labels, 3x3 above), each with its own
    colour, size and rotation; the target is a 0/1 vector over ``SHAPES[:n_labels]``.

    Args:
        n_labels: 2 to 8 possible labels.
        n_images: number of images.
        size: side length in pixels.
        p_label: probability that each label is present.
        label_noise: fraction of images with one label bit flipped (``meta["flipped"]``).
        shift: domain-shift strength in [0, 1], as in :func:`shapes`.
        seed: random seed.
        prevalence: presence probabilities that replace ``p_label`` for the labels named, e.g.
            ``{"triangle": 0.05}`` for a rare label. An image drawn with no label then gets one chosen in
            proportion to these probabilities, so a rare label stays rare.

    Example:
        >>> ds = shapes_multilabel(n_images=20)
        >>> ds.multilabel, tuple(ds.targets.shape), bool((ds.meta["clean_targets"].sum(1) >= 1).all())
        (True, (20, 4), True)
    """
    _check(n_images, size, shift)
    if not 2 <= n_labels <= len(SHAPES):
        raise ValueError(f"n_labels must be between 2 and {len(SHAPES)}; got {n_labels}")
    if not 0 < p_label <= 1:
        raise ValueError(f"p_label must be a probability in (0, 1]; got {p_label}")
    hyp = HYP["multilabel"]
    p = np.full(n_labels, p_label)
    for name, value in (prevalence or {}).items():
        if name not in SHAPES[:n_labels] or not 0 < value <= 1:
            raise ValueError(f"prevalence must map label names among {list(SHAPES[:n_labels])} to probabilities in "
                             f"(0, 1]; got {name!r}: {value!r}")
        p[SHAPES.index(name)] = value
    rng = np.random.default_rng(seed)
    n = n_images
    y = (rng.random((n, n_labels)) < p).astype(np.float32)
    empty = y.sum(1) == 0
    fill = rng.integers(0, n_labels, empty.sum()) if prevalence is None else rng.choice(n_labels, empty.sum(), p=p / p.sum())
    y[np.flatnonzero(empty), fill] = 1
    g = 2 if n_labels <= 4 else 3
    cell = size / g
    # Each image assigns its labels to distinct grid cells (a random permutation of cells per image).
    cells = np.argsort(rng.random((n, g * g)), axis=1)[:, :n_labels]
    bg, _ = _colours(rng, n, shift)
    tex = _texture(rng, n, size, shift)
    canvas = bg[:, :, None, None] + tex[:, None]
    for j in range(n_labels):
        sel = np.flatnonzero(y[:, j] > 0)
        k = len(sel)
        _, fg = _colours(rng, k, shift)
        # Reuse the image's polarity: pick the object colour to contrast with this background.
        light = bg[sel].mean(1, keepdims=True) > 0.5
        fg = np.where(light, np.minimum(fg, hyp["dark_max"]), np.maximum(fg, hyp["light_min"])).astype(np.float32)
        row, col = cells[sel, j] // g, cells[sel, j] % g
        cx = ((col + rng.uniform(*hyp["centre_in_cell"], k)) * cell).astype(np.float32)
        cy = ((row + rng.uniform(*hyp["centre_in_cell"], k)) * cell).astype(np.float32)
        r = (rng.uniform(*hyp["radius"], k) * cell).astype(np.float32)
        th = rng.uniform(0, 2 * np.pi, k).astype(np.float32)
        a = coverage(SHAPES[j], size, cx, cy, r, th, _edge(size, shift))[:, None]
        canvas[sel] = canvas[sel] * (1 - a) + fg[:, :, None, None] * a
    images = _finish(rng, canvas, size, shift)
    noisy, flipped = _flip_labels(rng, y, n_labels, label_noise)
    meta = {"clean_targets": y, "flipped": flipped, "shift": shift}
    return ImageDataset(images, torch.from_numpy(noisy), list(SHAPES[:n_labels]), multilabel=True, meta=meta)


@register_dataset
def defects(n_per_class: int = 300, size: int = 64, *, kinds: tuple[str, ...] = DEFECT_KINDS,
            imbalance: float = 1.0, label_noise: float = 0.0, shift: float = 0.0, seed: int = 0) -> ImageDataset:
    """Textured surfaces (brushed metal) that are ``ok`` or carry a ``scratch`` or a ``spot``.

    A quality-control case study: the defects are small and low-contrast, the texture varies,
    and real lines have far fewer defects than good parts (set ``imbalance``, e.g. 10).

    Args:
        n_per_class: images of the largest class (the first kind, normally ``"ok"``).
        size: side length in pixels.
        kinds: classes, a subset of ``("ok", "scratch", "spot")`` in any order, or ``("ok", "defect")``
            for a binary task where a defect is a scratch or a spot.
        imbalance: largest/smallest class ratio (sizes fall geometrically in the order of ``kinds``).
        label_noise: fraction of labels flipped (``meta["flipped"]``).
        shift: domain shift in [0, 1] (another camera: blur, noise, faded contrast).
        seed: random seed.

    Example:
        >>> ds = defects(n_per_class=5, size=32, kinds=("ok", "defect"))
        >>> ds.classes, len(ds)
        (['ok', 'defect'], 10)
    """
    _check(n_per_class, size, shift)
    kinds = tuple(kinds)
    allowed = set(DEFECT_KINDS) | {"defect"}
    if len(kinds) < 2 or len(set(kinds)) != len(kinds) or not set(kinds) <= allowed:
        raise ValueError(f"kinds must be 2 or more distinct names from {sorted(allowed)}; got {kinds}")
    hyp = HYP["defects"]
    rng = np.random.default_rng(seed)
    counts = _counts(n_per_class, len(kinds), imbalance)
    y = np.repeat(np.arange(len(kinds)), counts)
    n = len(y)
    kind = np.array(kinds)[y]
    if "defect" in kinds:  # a binary task: each defect image is a scratch or a spot
        is_def = kind == "defect"
        kind = kind.astype("<U8")
        kind[is_def] = np.where(rng.random(is_def.sum()) < 0.5, "scratch", "spot")
    ys, xs = pixel_grid(size)
    # Brushed metal: a grey level, fine streaks along a random direction, a soft light gradient.
    u = lambda lo, hi, shape: rng.uniform(lo, hi, shape).astype(np.float32)
    base = u(*hyp["base"], (n, 1, 1))
    turn, grad = hyp["streak_angle"], hyp["light_gradient"]
    ang = u(-turn, turn, (n, 1, 1)) + np.where(rng.random((n, 1, 1)) < 0.5, 0, np.pi / 2).astype(np.float32)
    across = -xs * np.sin(ang) + ys * np.cos(ang)
    streak = sum(u(*hyp["streak_amplitude"], (n, 1, 1))
                 * np.sin(across * (u(*hyp["streak_cycles"], (n, 1, 1)) * 64 / size) + u(0, 6.3, (n, 1, 1)))
                 for _ in range(3))
    light = u(-grad, grad, (n, 1, 1)) * (xs / size - 0.5) + u(-grad, grad, (n, 1, 1)) * (ys / size - 0.5)
    surf = (base + streak + light).astype(np.float32)
    # Scratches: a thin line segment, darker or lighter than the surface.
    sel = np.flatnonzero(kind == "scratch")
    if len(sel):
        k = len(sel)
        p0 = u(*hyp["scratch_start"], (k, 2)) * size
        a = rng.uniform(0, np.pi, k)
        length = rng.uniform(*hyp["scratch_length"], k) * size
        p1 = np.clip(p0 + length[:, None] * np.stack([np.cos(a), np.sin(a)], 1), 1, size - 1).astype(np.float32)
        d = segment_distance(xs, ys, p0, p1)
        width = u(*hyp["scratch_width"], (k, 1, 1)) * size / 64 + 0.3
        cover = np.clip((width - d) / _edge(size, shift) + 0.5, 0, 1)
        sign = np.where(rng.random((k, 1, 1)) < hyp["scratch_dark"], -1, 1).astype(np.float32)
        surf[sel] += sign * u(*hyp["scratch_depth"], (k, 1, 1)) * cover
    # Spots: a small soft blob, usually darker (a stain or a pit).
    sel = np.flatnonzero(kind == "spot")
    if len(sel):
        k = len(sel)
        c = u(*hyp["spot_centre"], (k, 2)) * size
        rad = u(*hyp["spot_radius"], (k, 1, 1)) * size * (1 + 0.5 * shift)
        d2 = (xs - c[:, 0, None, None]) ** 2 + (ys - c[:, 1, None, None]) ** 2
        blob = np.exp(-0.5 * d2 / rad ** 2)
        sign = np.where(rng.random((k, 1, 1)) < hyp["spot_dark"], -1, 1).astype(np.float32)
        surf[sel] += sign * u(*hyp["spot_depth"], (k, 1, 1)) * blob
    if shift > 0:
        surf = base + (surf - base) * (1 - hyp["shift_contrast"] * shift)
    tint = (1 + rng.uniform(-hyp["tint"], hyp["tint"], (n, 3))).astype(np.float32)
    canvas = np.ascontiguousarray(surf[:, None] * tint[:, :, None, None])
    images = _finish(rng, canvas, size, shift, noise=hyp["noise"])
    noisy, flipped = _flip_labels(rng, y, len(kinds), label_noise)
    order = rng.permutation(n)
    meta = {"clean_targets": y[order], "flipped": flipped[order], "kind": kind[order], "shift": shift}
    return ImageDataset(images[torch.from_numpy(order)], torch.from_numpy(noisy[order]), list(kinds), meta=meta)
