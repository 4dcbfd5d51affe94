"""Shared fixtures: the repository root and a clean kexue state for every test."""

from pathlib import Path

import kexue.claims
import kexue.runtime
import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def root():
    """The repository root, for tests that read the real book."""
    return ROOT


@pytest.fixture(autouse=True)
def clean_kexue_state(monkeypatch):
    """Each test starts with no chapter set up, an empty ledger and KEXUE_SEED unset.

    kexue keeps module-level state (the chapter, the seed and the claims recorded so
    far), and a reader may run the tests with KEXUE_SEED set: neither may leak into a
    test's result.
    """
    monkeypatch.delenv("KEXUE_SEED", raising=False)
    saved_state = dict(kexue.runtime._state)
    saved_ledgers = {k: dict(v) for k, v in kexue.claims._ledgers.items()}
    kexue.runtime._state.update(chapter=None, seed=None)
    kexue.claims._ledgers.clear()
    kexue.claims._glued.clear()
    yield
    kexue.runtime._state.clear()
    kexue.runtime._state.update(saved_state)
    kexue.claims._ledgers.clear()
    kexue.claims._ledgers.update(saved_ledgers)


@pytest.fixture
def chapter_9999():
    """Chapter '9999', seed 0, as setup() leaves it, without importing TensorFlow."""
    kexue.runtime._state.update(chapter="9999", seed=0)
    return "9999"
