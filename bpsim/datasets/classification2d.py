"""Two-class problems in the plane, the shapes a student can see a decision boundary bend to.

Every set has inputs (size, 2) in about [-1, 1]² and a 0/1 target (or [1, 0]/[0, 1] with
``one_hot``). ``noise`` is the standard deviation of Gaussian jitter added to each input
after its class is decided, so a larger noise blurs the boundary without changing the
classes; the jitter is drawn even when noise is 0, so one seed gives the same points at
every noise level, only moved more or less.
"""

from __future__ import annotations

import math

import numpy as np

from bpsim.core.spec import Dataset
from bpsim.datasets.options import generator
from bpsim.datasets.targets import ONE_HOT_NAMES, balanced_labels, binary_targets

#: Radius whose disc covers half of the square [-1, 1]², so both classes are equally common.
CIRCLE_RADIUS = math.sqrt(2.0 / math.pi)
#: How many times each spiral arm winds around the centre.
SPIRAL_TURNS = 1.5


def _dataset(
    name: str,
    points: np.ndarray,
    labels: np.ndarray,
    rng: np.random.Generator,
    size: int,
    noise: float,
    seed: int,
    one_hot: bool,
) -> Dataset:
    inputs = points + noise * rng.standard_normal(points.shape)
    return Dataset(
        inputs=inputs,
        targets=binary_targets(labels, one_hot),
        source={"builtin": name, "size": size, "noise": noise, "seed": seed, "one_hot": one_hot},
        input_names=["x1", "x2"],
        target_names=list(ONE_HOT_NAMES) if one_hot else ["class"],
    )


def circle(
    *, size: int = 200, noise: float = 0.05, seed: int = 0, one_hot: bool = False
) -> Dataset:
    """Class 1 inside a circle around the origin, class 0 outside: needs a hidden layer."""
    rng = generator(seed)
    points = rng.uniform(-1.0, 1.0, (size, 2))
    labels = np.einsum("ij,ij->i", points, points) < CIRCLE_RADIUS**2
    return _dataset("circle", points, labels, rng, size, noise, seed, one_hot)


def gaussians(
    *, size: int = 200, noise: float = 0.3, seed: int = 0, one_hot: bool = False
) -> Dataset:
    """Two round blobs around (-0.5, -0.5) (class 0) and (0.5, 0.5) (class 1); ``noise`` is
    their spread. Linearly separable up to the overlap, so one neuron does well."""
    rng = generator(seed)
    labels = balanced_labels(size, rng)
    centre = np.where(labels, 0.5, -0.5)
    points = np.column_stack((centre, centre))
    return _dataset("gaussians", points, labels, rng, size, noise, seed, one_hot)


def xor_quadrants(
    *, size: int = 200, noise: float = 0.05, seed: int = 0, one_hot: bool = False
) -> Dataset:
    """XOR spread over the plane: class 1 where x1 and x2 have opposite signs."""
    rng = generator(seed)
    points = rng.uniform(-1.0, 1.0, (size, 2))
    labels = (points[:, 0] > 0.0) != (points[:, 1] > 0.0)
    return _dataset("xor_quadrants", points, labels, rng, size, noise, seed, one_hot)


def spiral(
    *, size: int = 200, noise: float = 0.05, seed: int = 0, one_hot: bool = False
) -> Dataset:
    """Two interleaved spiral arms from the centre out to radius 1, one per class: hard,
    needs several hidden neurons."""
    rng = generator(seed)
    labels = balanced_labels(size, rng)
    radius = rng.uniform(0.0, 1.0, size)
    angle = 2.0 * math.pi * SPIRAL_TURNS * radius + math.pi * labels
    points = radius[:, np.newaxis] * np.column_stack((np.cos(angle), np.sin(angle)))
    return _dataset("spiral", points, labels, rng, size, noise, seed, one_hot)


def moons(*, size: int = 200, noise: float = 0.1, seed: int = 0, one_hot: bool = False) -> Dataset:
    """Two interlocking half circles (as scikit-learn's ``make_moons``), rescaled from
    [-1, 2] × [-0.5, 1] to [-1, 1]²: class 0 the upper moon, class 1 the lower."""
    rng = generator(seed)
    labels = balanced_labels(size, rng)
    theta = rng.uniform(0.0, math.pi, size)
    x = np.where(labels, 1.0 - np.cos(theta), np.cos(theta))
    y = np.where(labels, 0.5 - np.sin(theta), np.sin(theta))
    points = np.column_stack(((x - 0.5) / 1.5, (y - 0.25) / 0.75))
    return _dataset("moons", points, labels, rng, size, noise, seed, one_hot)
