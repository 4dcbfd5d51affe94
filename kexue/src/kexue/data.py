"""Data every chapter can use without a network: scikit-learn's bundled digits and 2-D toy sets.

It also scores generators on the ring of Gaussians: `ring_coverage` counts the modes they cover.
"""

from collections import namedtuple
from numbers import Integral, Real

import numpy as np

from kexue.runtime import current_seed

Split = namedtuple("Split", "x_train y_train x_test y_test")
Ring = namedtuple("Ring", "points centres std")
Coverage = namedtuple("Coverage", "on_mode modes")

DIGITS_SPLIT_SEED = (
    0  # the split is the same for every KEXUE_SEED: seeds vary training only
)


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        raise ValueError(f"{name} must be a whole number >= {minimum}; got {value!r}.")
    return int(value)


def _check_positive(name, value, allow_zero=False):
    ok = isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {bound}; got {value!r}.")
    return float(value)


def _seed_or_book_seed(seed):
    if seed is None:
        return current_seed()
    return _check_count("seed", seed, 0)


def digits(*, binarize=False, test_fraction=0.3):
    """scikit-learn's 1797 8x8 digits, split once into train and test sets, stratified by class.

    Pixels are scaled from 0..16 to [0, 1] as float32 vectors of length 64; with `binarize=True` a
    pixel is 1.0 when its raw value is at least 8 (half of the range) and 0.0 otherwise. The split is
    fixed (seed 0) so that every chapter and every KEXUE_SEED sees the same test set.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not isinstance(binarize, bool):
        raise TypeError(f"binarize must be True or False; got {binarize!r}.")
    fraction = _check_positive("test_fraction", test_fraction)
    if not fraction < 1:
        raise ValueError(
            f"test_fraction must lie strictly between 0 and 1; got {test_fraction!r}."
        )

    raw = load_digits()
    x = (
        (raw.data >= 8).astype("float32")
        if binarize
        else (raw.data / 16.0).astype("float32")
    )
    y = raw.target.astype("int64")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=fraction, stratify=y, random_state=DIGITS_SPLIT_SEED
    )
    return Split(x_train, y_train, x_test, y_test)


def two_moons(n=2000, *, noise=0.05, seed=None):
    """`n` points of scikit-learn's two interleaving half-circles, as float32 of shape (n, 2).

    `seed=None` uses the book's seed, so the sample changes with KEXUE_SEED like everything else.
    """
    from sklearn.datasets import make_moons

    n = _check_count("n", n, 2)
    noise = _check_positive("noise", noise, allow_zero=True)
    points, _ = make_moons(
        n_samples=n, noise=noise, random_state=_seed_or_book_seed(seed)
    )
    return points.astype("float32")


def gaussian_ring(n=2000, *, modes=8, radius=2.0, std=0.05, seed=None):
    """`n` points from `modes` equal Gaussians whose centres sit evenly on a circle.

    Returns `Ring(points, centres, std)`: points of shape (n, 2) and the (modes, 2) centres, both
    float32, and the standard deviation `std` of every Gaussian as a float. `ring_coverage` uses the
    centres and `std` to count which modes a generator covers.
    """
    n = _check_count("n", n, 1)
    modes = _check_count("modes", modes, 1)
    radius = _check_positive("radius", radius)
    std = _check_positive("std", std)
    rng = np.random.default_rng(_seed_or_book_seed(seed))
    angles = 2 * np.pi * np.arange(modes) / modes
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    which = rng.integers(0, modes, size=n)
    points = centres[which] + std * rng.standard_normal((n, 2))
    return Ring(points.astype("float32"), centres.astype("float32"), std)


def _check_samples(samples):
    """`samples` as an (n, 2) array of finite numbers, n >= 1; float32 input stays float32."""
    if isinstance(samples, Ring):
        raise TypeError(
            "samples must be an array of shape (n, 2), but got a Ring: "
            "the call is ring_coverage(samples, ring), samples first."
        )
    try:
        x = np.asarray(samples)
    except (TypeError, ValueError) as error:
        raise ValueError(
            "samples must be an array of shape (n, 2), one row per 2-D point; "
            f"NumPy could not convert it ({error})."
        ) from None
    kind = x.dtype.kind
    if kind in "iu":
        x = x.astype("float64")
    elif kind != "f":
        raise TypeError(
            "samples must hold real numbers (an array of shape (n, 2)); "
            f"got an array of dtype {x.dtype}."
        )
    if x.ndim != 2 or x.shape[1] != 2 or x.shape[0] < 1:
        raise ValueError(
            "samples must be a 2-D array of shape (n, 2) with n >= 1, one row per point; "
            f"got shape {x.shape}. Reshape it, e.g. with .reshape(-1, 2), or draw more samples."
        )
    bad = ~np.isfinite(x).all(axis=1)
    if bad.any():
        raise ValueError(
            f"samples must be finite, but {int(bad.sum())} of its {len(x)} rows contain NaN or "
            "infinity: the generator has probably diverged. Check its training before scoring it."
        )
    return x


def ring_coverage(samples, ring, *, within=3.0, min_share=0.025):
    """How well `samples` cover the modes of `ring`, a `Ring` from `gaussian_ring`.

    A sample is *on a mode* when its distance to the nearest centre is below `within * ring.std`.
    Returns `Coverage(on_mode, modes)`: `on_mode` is the fraction of samples on a mode (a float),
    and `modes` the number of centres that are the nearest centre of at least
    `min_share * len(samples)` on-mode samples (an int). A generator collapsed onto one mode thus
    scores `modes == 1` with `on_mode` possibly near 1, so read the two numbers together.
    """
    x = _check_samples(samples)
    if not isinstance(ring, Ring):
        raise TypeError(
            f"ring must be a Ring, as returned by kexue.gaussian_ring(...); got {type(ring).__name__}."
        )
    centres = np.asarray(ring.centres)
    if centres.ndim != 2 or centres.shape[1] != 2 or centres.shape[0] < 1:
        raise ValueError(
            f"ring.centres must have shape (modes, 2) with modes >= 1; got shape {centres.shape}. "
            "Build the ring with kexue.gaussian_ring(...)."
        )
    std = _check_positive("ring.std", ring.std)
    within = _check_positive("within", within)
    share = _check_positive("min_share", min_share)
    if share > 1:
        raise ValueError(
            f"min_share must lie in (0, 1], a share of the samples; got {min_share!r}."
        )

    distance = np.linalg.norm(x[:, None, :] - centres[None], axis=2)
    on_mode = distance.min(axis=1) < within * std
    counts = np.bincount(distance.argmin(axis=1)[on_mode], minlength=len(centres))
    return Coverage(float(on_mode.mean()), int(np.sum(counts >= share * len(x))))
