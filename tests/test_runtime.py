"""kexue.runtime: the book's seed, setup() and the chapter it records."""

import random
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
from kexue.runtime import current_chapter, current_seed, read_seed

import kexue

# ---------------------------------------------------------------- read_seed


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, 0),
        ({"KEXUE_SEED": ""}, 0),
        ({"KEXUE_SEED": "   "}, 0),
        ({"KEXUE_SEED": "3"}, 3),
        ({"KEXUE_SEED": " 7 "}, 7),
        ({"KEXUE_SEED": str(2**31 - 1)}, 2**31 - 1),
    ],
)
def test_read_seed_accepts_unset_empty_and_whole_numbers(environ, expected):
    """Unset or empty means the default seed 0; spaces around a number are forgiven."""
    assert read_seed(environ) == expected


def test_read_seed_reads_the_process_environment_by_default(monkeypatch):
    """Chapters call read_seed() with no argument: it must look at os.environ."""
    monkeypatch.setenv("KEXUE_SEED", "11")
    assert read_seed() == 11


@pytest.mark.parametrize("raw", ["abc", "1.5", "3 4", "seed"])
def test_read_seed_rejects_non_integers_with_a_fix(raw):
    """A typo in KEXUE_SEED must stop the run with a message that says how to fix it."""
    with pytest.raises(ValueError) as error:
        read_seed({"KEXUE_SEED": raw})
    message = str(error.value)
    assert "KEXUE_SEED" in message
    assert "integer" in message and "unset" in message


@pytest.mark.parametrize("raw", ["-1", "-100", str(2**31)])
def test_read_seed_rejects_out_of_range_seeds(raw):
    """Seeds must fit every library's seed type: 0 <= seed < 2**31."""
    with pytest.raises(ValueError, match="KEXUE_SEED"):
        read_seed({"KEXUE_SEED": raw})


# ---------------------------------------------------------------- setup: arguments


@pytest.mark.parametrize("chapter", [6181, "61", "61810", "abcd", "", None, "6181 "])
def test_setup_rejects_anything_but_a_four_digit_string(chapter):
    """A wrong id would file the claims under the wrong post: fail loudly at once."""
    with pytest.raises(ValueError) as error:
        kexue.setup(chapter)
    message = str(error.value)
    assert "four digits" in message
    assert repr(chapter) in message


def test_setup_without_tensorflow_says_how_to_install_it(monkeypatch):
    """kexue does not depend on TensorFlow (tensorflow or tensorflow-cpu): say which to install."""
    import sys

    monkeypatch.setitem(
        sys.modules, "tensorflow", None
    )  # what `import tensorflow` sees when absent
    with pytest.raises(ModuleNotFoundError, match=r"pip install tensorflow"):
        kexue.setup("6181")


def test_current_chapter_before_setup_tells_to_call_setup():
    """A claim checked before setup() has no chapter: the error names the fix."""
    with pytest.raises(RuntimeError, match=r"kexue\.setup"):
        current_chapter()


def test_current_seed_before_setup_is_the_environment_seed(monkeypatch):
    """Data helpers used before setup() still follow KEXUE_SEED."""
    monkeypatch.setenv("KEXUE_SEED", "4")
    assert current_seed() == 4


# ---------------------------------------------------------------- setup: the real thing


def _draws():
    """One draw from each random source a chapter may use."""
    import keras
    import tensorflow as tf

    return {
        "python": random.random(),
        "numpy": np.random.rand(3),
        "tensorflow": tf.random.uniform([3]).numpy(),
        "keras": keras.random.normal((3,)).numpy(),
    }


@pytest.fixture(scope="module")
def seeded_runs():
    """Run setup() three times (seed 5, seed 5 again, seed 6) and record what it did.

    setup() imports TensorFlow, which takes seconds: every test of its effects reads the
    results of this one fixture instead of calling setup() itself.
    """
    saved_state = dict(kexue.runtime._state)
    with pytest.MonkeyPatch.context() as mp, matplotlib.rc_context():
        mp.setenv("KEXUE_SEED", "5")
        first_seed = kexue.setup("6181")
        after_first = (current_chapter(), current_seed())
        first = _draws()
        again_seed = kexue.setup("6181")
        again = _draws()
        mp.setenv("KEXUE_SEED", "6")
        other_seed = kexue.setup("6181")
        other = _draws()
        spines_top = matplotlib.rcParams["axes.spines.top"]
        spines_right = matplotlib.rcParams["axes.spines.right"]
    kexue.runtime._state.clear()
    kexue.runtime._state.update(saved_state)
    return SimpleNamespace(
        seeds=(first_seed, again_seed, other_seed),
        after_first=after_first,
        first=first,
        again=again,
        other=other,
        spines=(spines_top, spines_right),
    )


def test_setup_returns_the_seed_from_kexue_seed(seeded_runs):
    """The chapter prints and uses the seed setup() returns: it must be KEXUE_SEED's."""
    assert seeded_runs.seeds == (5, 5, 6)


def test_setup_records_chapter_and_seed(seeded_runs):
    """Claims are filed under the chapter and seed that setup() recorded."""
    assert seeded_runs.after_first == ("6181", 5)


@pytest.mark.parametrize("source", ["python", "numpy", "tensorflow", "keras"])
def test_same_seed_gives_the_same_draws(seeded_runs, source):
    """Re-running a chapter with the same KEXUE_SEED reproduces every random draw."""
    np.testing.assert_array_equal(seeded_runs.first[source], seeded_runs.again[source])


@pytest.mark.parametrize("source", ["python", "numpy", "tensorflow", "keras"])
def test_another_seed_gives_other_draws(seeded_runs, source):
    """KEXUE_SEED must reach every random source, or seeds would not vary runs."""
    assert not np.array_equal(seeded_runs.first[source], seeded_runs.other[source])


def test_setup_applies_the_plot_style(seeded_runs):
    """Every chapter's figures share the book's style (no top or right spines)."""
    assert seeded_runs.spines == (False, False)
