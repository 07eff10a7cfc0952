"""Shapes drawn as signed distances, for the synthetic datasets (:mod:`clskit.datasets.synthetic`).

Everything works on whole batches with NumPy: one call draws one shape in each of ``k`` images.
"""
from __future__ import annotations

import numpy as np

SHAPES = ("circle", "square", "triangle", "cross", "ring", "star", "bar", "crescent")


# -- shapes as signed distances ---------------------------------------------------------------
# Each function takes local coordinates (u, v) of shape (k, H, W), in units of the object's radius,
# and returns an approximate signed distance (negative inside). Anti-aliased coverage is then
# clip(0.5 - d * radius_px, 0, 1): one pixel of soft edge whatever the size.
def box(u, v, a, b):
    return np.maximum(np.abs(u) - a, np.abs(v) - b)


def signed_distance(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    if shape == "circle":
        return np.hypot(u, v) - 0.9
    if shape == "square":
        return box(u, v, 0.75, 0.75)
    if shape == "triangle":  # equilateral, inradius 0.55
        return np.maximum(np.maximum(v, 0.866 * u - 0.5 * v), -0.866 * u - 0.5 * v) - 0.55
    if shape == "cross":
        return np.minimum(box(u, v, 0.95, 0.3), box(u, v, 0.3, 0.95))
    if shape == "ring":
        return np.abs(np.hypot(u, v) - 0.72) - 0.22
    if shape == "star":  # five points; not an exact distance, scaled so edges stay about one pixel
        rr, phi = np.hypot(u, v), np.arctan2(v, u)
        return 0.6 * (rr - (0.62 + 0.38 * np.cos(5 * phi)))
    if shape == "bar":
        return box(u, v, 1.0, 0.28)
    if shape == "crescent":
        return np.maximum(np.hypot(u, v) - 0.95, 0.75 - np.hypot(u - 0.45, v))
    raise ValueError(f"unknown shape {shape!r}; choose from {', '.join(SHAPES)}")


def pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    c = np.arange(size, dtype=np.float32) + 0.5  # pixel centres
    return c[None, :, None], c[None, None, :]   # ys (1, H, 1), xs (1, 1, W)


def coverage(shape, size, cx, cy, r, theta, edge: float = 1.0) -> np.ndarray:
    """Anti-aliased coverage ``(k, H, W)`` in [0, 1] of one shape per image (k parameters each).

    ``edge`` is the width of the soft edge in pixels: 1 is crisp, larger values look out of focus
    (the deployment "blur", at no cost compared with convolving every image).
    """
    ys, xs = pixel_grid(size)
    dx, dy = xs - cx[:, None, None], ys - cy[:, None, None]
    c, s = np.cos(theta)[:, None, None], np.sin(theta)[:, None, None]
    rr = r[:, None, None]
    u, v = (dx * c + dy * s) / rr, (-dx * s + dy * c) / rr
    return np.clip(0.5 - signed_distance(shape, u, v) * rr / edge, 0, 1).astype(np.float32)


# -- backgrounds, colours, corruption -----------------------------------------------------------


def segment_distance(xs, ys, p0, p1) -> np.ndarray:
    """Distance ``(k, H, W)`` from every pixel to the segments p0[k] -> p1[k]."""
    ax, ay = p0[:, 0, None, None], p0[:, 1, None, None]
    bx, by = p1[:, 0, None, None], p1[:, 1, None, None]
    dx, dy = bx - ax, by - ay
    t = np.clip(((xs - ax) * dx + (ys - ay) * dy) / (dx * dx + dy * dy + 1e-9), 0, 1)
    return np.hypot(xs - ax - t * dx, ys - ay - t * dy)
