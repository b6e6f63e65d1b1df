"""The built-in "Shapes" data set: figures drawn on the fly from a seed.

Needs only NumPy (no TensorFlow, no files, no network), so the Data page can
preview it instantly and tests can make any amount. Each image holds one
figure at a random position, size, rotation and colour, over a random
background with noise. Where a figure sits changes every pixel a dense
network sees, while a convolution finds the same edges anywhere: that is the
difference this data set is built to show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASS_NAMES = ("circle", "square", "triangle", "cross", "ring", "bar")
SQRT3 = np.sqrt(3.0)


@dataclass(frozen=True)
class ShapesSpec:
    """What to generate; the same spec always gives the same arrays."""

    count: int = 6000
    height: int = 28
    width: int = 28
    channels: int = 1
    seed: int = 0
    noise: float = 0.08
    classes: int = len(CLASS_NAMES)  # the first N kinds: 2 gives circle and square

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"count must be at least 1, got {self.count}")
        if self.height < 8 or self.width < 8:
            raise ValueError(f"images must be at least 8x8 pixels to hold a figure, got "
                             f"{self.height}x{self.width}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (grey) or 3 (colour), got {self.channels}")


def _masks(u: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
    """Each class's figure in its own unit frame (u, v in about [-1, 1])."""
    radius = np.sqrt(u * u + v * v)
    return [
        radius <= 0.9,                                                    # circle
        np.maximum(np.abs(u), np.abs(v)) <= 0.75,                         # square
        (v <= 0.55) & (SQRT3 * u - v <= 1.05) & (-SQRT3 * u - v <= 1.05),  # triangle
        ((np.abs(u) <= 0.28) & (np.abs(v) <= 0.95))
        | ((np.abs(v) <= 0.28) & (np.abs(u) <= 0.95)),                     # cross
        (radius <= 0.95) & (radius >= 0.55),                              # ring
        (np.abs(u) <= 0.95) & (np.abs(v) <= 0.3),                         # bar
    ]


def generate(spec: ShapesSpec, batch: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W, C) uint8 in 0..255 and integer labels (N,), balanced by class."""
    rng = np.random.default_rng(spec.seed)
    n, h, w = spec.count, spec.height, spec.width
    labels = np.arange(n) % spec.classes
    rng.shuffle(labels)
    images = np.empty((n, h, w, spec.channels), dtype=np.uint8)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    short = min(h, w)
    for start in range(0, n, batch):
        stop = min(start + batch, n)
        m = stop - start
        size = rng.uniform(0.18, 0.34, m) * short          # figure radius in pixels
        cx = rng.uniform(size, w - 1 - size)
        cy = rng.uniform(size, h - 1 - size)
        angle = rng.uniform(0, 2 * np.pi, m)
        cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        dx = (xs[None] - cx[:, None, None]) / size[:, None, None]
        dy = (ys[None] - cy[:, None, None]) / size[:, None, None]
        u = cos * dx + sin * dy
        v = -sin * dx + cos * dy
        all_masks = np.stack(_masks(u, v), axis=1)         # (m, classes, h, w)
        mask = all_masks[np.arange(m), labels[start:stop]]  # (m, h, w)
        background, foreground = _colours(rng, m, spec.channels)
        picture = np.where(mask[..., None], foreground[:, None, None, :],
                           background[:, None, None, :])
        picture = picture + rng.normal(0, spec.noise, picture.shape)
        images[start:stop] = np.clip(picture * 255 + 0.5, 0, 255).astype(np.uint8)
    return images, labels.astype(np.int64)


def _colours(rng: np.random.Generator, m: int, channels: int) -> tuple[np.ndarray, np.ndarray]:
    """Background and figure colours in 0..1 that always differ clearly in brightness."""
    background = rng.uniform(0.0, 0.35, (m, channels))
    foreground = rng.uniform(0.6, 1.0, (m, channels))
    swap = rng.random(m) < 0.3  # some dark figures on light ground
    background[swap], foreground[swap] = 1 - background[swap], 1 - foreground[swap]
    return background, foreground
