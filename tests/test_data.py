"""kexue.data: the bundled digits and the 2-D toy sets every chapter may use."""

import numpy as np
import pytest
from kexue.data import Coverage, Ring, digits, gaussian_ring, ring_coverage, two_moons

import kexue

# ---------------------------------------------------------------- digits


@pytest.fixture(scope="module")
def split():
    """One default split, shared: loading and splitting is cheap but not free."""
    return digits()


def test_digits_has_every_image_once_with_a_30_percent_test_set(split):
    """All 1797 images are used, and the default test fraction 0.3 gives 540 of them."""
    assert len(split.x_train) + len(split.x_test) == 1797
    assert len(split.x_test) == 540
    assert split.x_train.shape == (1257, 64)
    assert split.x_test.shape == (540, 64)
    assert split.y_train.shape == (1257,)
    assert split.y_test.shape == (540,)


def test_digits_are_float32_in_the_unit_interval(split):
    """Models expect float32 inputs scaled to [0, 1], not raw 0..16 pixel counts."""
    for x in (split.x_train, split.x_test):
        assert x.dtype == np.float32
        assert x.min() >= 0.0
        assert x.max() <= 1.0
    assert split.x_train.max() == 1.0  # scaled by 16, not by some larger number


def test_digits_test_set_is_stratified(split):
    """Each class's share of the test set matches its share of the whole data set."""
    y_all = np.concatenate([split.y_train, split.y_test])
    expected = np.bincount(y_all, minlength=10) * 0.3
    observed = np.bincount(split.y_test, minlength=10)
    assert np.all(np.abs(observed - expected) <= 1)


def test_digits_binarized_has_only_zeros_and_ones():
    """binarize=True gives Bernoulli-ready pixels, as the VAE chapters need."""
    binary = digits(binarize=True)
    for x in (binary.x_train, binary.x_test):
        assert x.dtype == np.float32
        assert set(np.unique(x)) == {0.0, 1.0}


def test_digits_split_is_the_same_on_every_call(split):
    """Chapters compare numbers across runs: the test set must never move."""
    again = digits()
    for a, b in zip(split, again):
        np.testing.assert_array_equal(a, b)


def test_digits_split_does_not_depend_on_kexue_seed(split, monkeypatch):
    """Seeds vary training only: every KEXUE_SEED evaluates on the same test set."""
    monkeypatch.setenv("KEXUE_SEED", "17")
    kexue.runtime._state.update(chapter="9999", seed=17)
    other = digits()
    for a, b in zip(split, other):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"binarize": "yes"}, "binarize"),
        ({"binarize": 1}, "binarize"),
        ({"test_fraction": 0}, "test_fraction"),
        ({"test_fraction": 1}, "test_fraction"),
        ({"test_fraction": 1.5}, "test_fraction"),
        ({"test_fraction": -0.1}, "test_fraction"),
        ({"test_fraction": "x"}, "test_fraction"),
        ({"test_fraction": float("nan")}, "test_fraction"),
    ],
)
def test_digits_rejects_invalid_arguments_clearly(kwargs, words):
    """A wrong argument names the parameter and the value it got."""
    with pytest.raises((ValueError, TypeError)) as error:
        digits(**kwargs)
    message = str(error.value)
    assert words in message
    assert repr(next(iter(kwargs.values()))) in message


# ---------------------------------------------------------------- two_moons


def test_two_moons_shape_and_dtype():
    """n points in the plane, as float32 for Keras."""
    points = two_moons(300, seed=0)
    assert points.shape == (300, 2)
    assert points.dtype == np.float32


def test_two_moons_is_reproducible_per_seed():
    """The same seed gives the same sample; another seed another one."""
    np.testing.assert_array_equal(two_moons(200, seed=1), two_moons(200, seed=1))
    assert not np.array_equal(two_moons(200, seed=1), two_moons(200, seed=2))


def test_two_moons_without_seed_follows_kexue_seed(monkeypatch):
    """seed=None must use the book's seed, so that KEXUE_SEED varies the data too."""
    monkeypatch.setenv("KEXUE_SEED", "3")
    np.testing.assert_array_equal(two_moons(200), two_moons(200, seed=3))
    monkeypatch.setenv("KEXUE_SEED", "4")
    np.testing.assert_array_equal(two_moons(200), two_moons(200, seed=4))


def test_two_moons_without_seed_follows_the_seed_setup_chose(monkeypatch):
    """After setup(), the seed it recorded wins, as for every other random source."""
    monkeypatch.setenv("KEXUE_SEED", "3")
    kexue.runtime._state.update(chapter="9999", seed=8)
    np.testing.assert_array_equal(two_moons(200), two_moons(200, seed=8))


def test_two_moons_noise_zero_lies_on_the_half_circles():
    """noise=0 is allowed and gives exact points of the two unit half-circles."""
    points = two_moons(100, noise=0, seed=0)
    upper = np.hypot(points[:, 0], points[:, 1])
    lower = np.hypot(points[:, 0] - 1, points[:, 1] - 0.5)
    assert np.all(np.isclose(upper, 1, atol=1e-5) | np.isclose(lower, 1, atol=1e-5))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 0},
        {"n": 1},
        {"n": 1.5},
        {"n": True},
        {"n": "100"},
        {"noise": -1},
        {"noise": float("inf")},
        {"noise": "0.1"},
        {"seed": -1},
        {"seed": 1.5},
    ],
)
def test_two_moons_rejects_invalid_arguments(kwargs):
    """Bad sizes, noise levels and seeds are refused with the parameter's name."""
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        two_moons(**kwargs)


# ---------------------------------------------------------------- gaussian_ring


def test_gaussian_ring_shapes_and_centres_on_the_circle():
    """Centres sit evenly on a circle of the given radius: modes are counted by them."""
    ring = gaussian_ring(500, modes=6, radius=3.0, std=0.1, seed=0)
    assert ring.points.shape == (500, 2)
    assert ring.centres.shape == (6, 2)
    assert ring.points.dtype == np.float32
    assert ring.centres.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ring.centres, axis=1), 3.0, rtol=1e-6)
    angles = np.sort(
        np.mod(np.arctan2(ring.centres[:, 1], ring.centres[:, 0]), 2 * np.pi)
    )
    np.testing.assert_allclose(np.diff(angles), 2 * np.pi / 6, rtol=1e-5)


def test_gaussian_ring_points_stay_near_a_centre():
    """Every point is within 6 standard deviations of its nearest centre."""
    std = 0.05
    ring = gaussian_ring(2000, modes=8, radius=2.0, std=std, seed=0)
    distances = np.linalg.norm(ring.points[:, None, :] - ring.centres[None], axis=2)
    assert distances.min(axis=1).max() < 6 * std


def test_gaussian_ring_uses_every_mode():
    """With many points every mode gets some: generators' coverage is measured on it."""
    ring = gaussian_ring(2000, modes=8, seed=0)
    distances = np.linalg.norm(ring.points[:, None, :] - ring.centres[None], axis=2)
    assert set(distances.argmin(axis=1)) == set(range(8))


def test_gaussian_ring_returns_the_std_it_used():
    """Ring.std is the spread of every mode, as a float: ring_coverage measures distances in it."""
    ring = gaussian_ring(10, std=0.1, seed=0)
    assert ring._fields == ("points", "centres", "std")
    assert ring.std == 0.1
    assert type(ring.std) is float
    assert gaussian_ring(10, seed=0).std == 0.05
    assert (
        type(gaussian_ring(10, std=1, seed=0).std) is float
    )  # an int std is stored as a float


def test_gaussian_ring_is_reproducible_and_follows_kexue_seed(monkeypatch):
    """Same seed, same points; seed=None uses KEXUE_SEED."""
    a = gaussian_ring(100, seed=1).points
    np.testing.assert_array_equal(a, gaussian_ring(100, seed=1).points)
    assert not np.array_equal(a, gaussian_ring(100, seed=2).points)
    monkeypatch.setenv("KEXUE_SEED", "1")
    np.testing.assert_array_equal(a, gaussian_ring(100).points)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n": 0},
        {"n": 2.5},
        {"n": False},
        {"modes": 0},
        {"modes": 2.0},
        {"radius": 0},
        {"radius": -1.0},
        {"radius": float("nan")},
        {"std": 0},
        {"std": -0.1},
        {"seed": -3},
    ],
)
def test_gaussian_ring_rejects_invalid_arguments(kwargs):
    """Bad sizes, radii, spreads and seeds are refused with the parameter's name."""
    name = next(iter(kwargs))
    with pytest.raises(ValueError, match=name):
        gaussian_ring(**kwargs)


# ---------------------------------------------------------------- ring_coverage


@pytest.fixture(scope="module")
def ring():
    """The book's default ring: 8 modes of std 0.05 on a circle of radius 2."""
    return gaussian_ring(4000, seed=0)


def test_ring_coverage_is_exported_from_kexue():
    """Chapters call kexue.ring_coverage and read a kexue.Coverage."""
    assert kexue.ring_coverage is ring_coverage
    assert kexue.Coverage is Coverage
    assert {"ring_coverage", "Coverage"} <= set(kexue.__all__)


def test_ring_coverage_of_the_ring_itself_covers_every_mode(ring):
    """A perfect generator: all 8 modes, and about 99% of points within 3 std (Rayleigh tail e^-4.5)."""
    coverage = ring_coverage(ring.points, ring)
    assert isinstance(coverage, Coverage)
    assert coverage.modes == 8
    assert type(coverage.modes) is int
    assert type(coverage.on_mode) is float
    assert 0.98 < coverage.on_mode <= 1.0
    assert coverage.on_mode == pytest.approx(1 - np.exp(-4.5), abs=0.01)


def test_ring_coverage_of_a_collapsed_generator_is_one_mode_fully_on_it(ring):
    """Every sample on one centre: one mode covered, yet every sample is on a mode."""
    samples = np.repeat(ring.centres[3:4], 500, axis=0)
    assert ring_coverage(samples, ring) == Coverage(1.0, 1)


def test_ring_coverage_of_samples_far_from_the_ring_is_zero(ring):
    """Points off the ring (far away, or at its centre) are on no mode, so they cover none."""
    assert ring_coverage(np.full((300, 2), 10.0), ring) == Coverage(0.0, 0)
    assert ring_coverage(np.zeros((300, 2)), ring) == Coverage(0.0, 0)


def test_ring_coverage_min_share_counts_all_samples_and_is_inclusive(ring):
    """A mode counts with at least min_share * len(samples) on-mode samples; off-mode ones count in n."""
    samples = np.concatenate(
        [
            np.repeat(ring.centres[0:1], 10, axis=0),
            np.repeat(ring.centres[1:2], 10, axis=0),
            np.full((20, 2), 10.0),  # off the ring, but part of len(samples) = 40
        ]
    )
    assert ring_coverage(samples, ring, min_share=0.25) == Coverage(0.5, 2)  # 10 >= 10
    assert ring_coverage(samples, ring, min_share=0.26) == Coverage(0.5, 0)  # 10 < 10.4
    assert ring_coverage(samples[:20], ring, min_share=0.5).modes == 2
    assert ring_coverage(samples[:10], ring, min_share=1).modes == 1


def test_ring_coverage_within_is_measured_in_ring_std(ring):
    """A point 2 std from a centre is on the mode for within=3 but not for within=1.5."""
    point = ring.centres[:1] + np.array([[2 * ring.std, 0.0]])
    assert ring_coverage(point, ring).on_mode == 1.0
    assert ring_coverage(point, ring, within=1.5).on_mode == 0.0
    wide = ring._replace(std=1.0)  # the same centres, 20 times wider modes
    assert ring_coverage(point + 1.0, wide).on_mode == 1.0


def test_ring_coverage_matches_the_chapters_inline_score(ring):
    """Same numbers as the code it replaced in chapters 5716 and 6110, on float32 samples."""
    rng = np.random.default_rng(1)
    samples = (ring.points[:2000] + 0.08 * rng.standard_normal((2000, 2))).astype(
        "float32"
    )
    distance = np.linalg.norm(samples[:, None, :] - ring.centres[None], axis=2)
    near = distance.min(axis=1) < 3 * 0.05
    counts = np.bincount(distance.argmin(axis=1)[near], minlength=len(ring.centres))
    expected = (float(near.mean()), int(np.sum(counts >= 0.025 * len(samples))))
    assert tuple(ring_coverage(samples, ring)) == expected
    assert 0 < expected[0] < 1  # the noise puts the threshold to work


def test_ring_coverage_accepts_lists_and_integer_arrays(ring):
    """Anything np.asarray turns into an (n, 2) array of numbers will do."""
    assert ring_coverage(ring.centres.tolist(), ring) == Coverage(1.0, 8)
    assert ring_coverage([[2, 0], [0, 2]], ring) == Coverage(1.0, 2)


@pytest.mark.parametrize(
    ("samples", "words"),
    [
        (np.zeros((10, 3)), "shape (n, 2)"),
        (np.zeros(10), "shape (n, 2)"),
        (np.zeros((4, 5, 2)), "shape (n, 2)"),
        (np.zeros((0, 2)), "n >= 1"),
        ([[0.0, 0.0], [1.0]], "samples"),
        (np.array([[0.0, 0.0], [np.nan, 1.0]]), "NaN"),
        (np.array([[0.0, np.inf]]), "infinity"),
        (np.array([["a", "b"]]), "real numbers"),
        (np.array([[True, False]]), "real numbers"),
    ],
)
def test_ring_coverage_rejects_invalid_samples(ring, samples, words):
    """Wrong shapes, diverged (NaN) generators and non-numbers are refused, naming samples."""
    with pytest.raises((ValueError, TypeError)) as error:
        ring_coverage(samples, ring)
    message = str(error.value)
    assert "samples" in message
    assert words in message


def test_ring_coverage_says_when_the_arguments_are_swapped(ring):
    """ring_coverage(ring, samples) is a likely slip: the message says which goes first."""
    with pytest.raises(TypeError, match="samples first"):
        ring_coverage(ring, ring.points)


@pytest.mark.parametrize(
    "bad_ring",
    [
        None,
        (np.zeros((5, 2)), np.zeros((8, 2)), 0.05),  # a plain tuple, not a Ring
        np.zeros((8, 2)),  # the centres alone
    ],
)
def test_ring_coverage_requires_a_ring(bad_ring):
    """The ring must be a Ring, so that its std travels with its centres."""
    with pytest.raises(TypeError, match="ring must be a Ring"):
        ring_coverage(np.zeros((5, 2)), bad_ring)


@pytest.mark.parametrize(
    ("bad_ring", "words"),
    [
        (Ring(np.zeros((5, 2)), np.zeros((8, 3)), 0.05), "ring.centres"),
        (Ring(np.zeros((5, 2)), np.zeros((0, 2)), 0.05), "ring.centres"),
        (Ring(np.zeros((5, 2)), np.zeros((8, 2)), 0.0), "ring.std"),
        (Ring(np.zeros((5, 2)), np.zeros((8, 2)), float("nan")), "ring.std"),
        (Ring(np.zeros((5, 2)), np.zeros((8, 2)), None), "ring.std"),
    ],
)
def test_ring_coverage_rejects_a_malformed_ring(bad_ring, words):
    """A hand-made Ring with bad centres or std is refused, naming the field."""
    with pytest.raises(ValueError, match=words):
        ring_coverage(np.zeros((5, 2)), bad_ring)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"within": 0},
        {"within": -3.0},
        {"within": float("nan")},
        {"within": float("inf")},
        {"within": "3"},
        {"within": True},
        {"min_share": 0},
        {"min_share": -0.1},
        {"min_share": 1.5},
        {"min_share": float("nan")},
        {"min_share": "0.025"},
    ],
)
def test_ring_coverage_rejects_invalid_thresholds(ring, kwargs):
    """Bad within and min_share values are refused with the parameter's name and value."""
    with pytest.raises(ValueError) as error:
        ring_coverage(ring.points, ring, **kwargs)
    message = str(error.value)
    name, value = next(iter(kwargs.items()))
    assert name in message
    assert repr(value) in message
