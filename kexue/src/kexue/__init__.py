"""Plumbing for the book *Scientific Spaces, Reproduced*.

Only what several chapters share lives here: one seed and quiet logs (`setup`), bundled or generated
data (`digits`, `two_moons`, `gaussian_ring`), the mode coverage of a generator on that ring
(`ring_coverage`, returning a `Coverage`), the checks of a post's claims (`claim`, `observe`) and
numbers measured in the run handed to the prose (`glue`). `kexue.text` (extra `kexue[text]`)
generates Chinese sentences with their true segmentation from jieba's bundled dictionary. `python -m kexue.study` runs the seed study.
Model code stays in the chapters, where the reader sees it.
"""

import os

# TensorFlow reads these when it is first imported, so they must be set before any chapter imports
# it; importing kexue first is enough. Values a reader set explicitly are kept.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from kexue.claims import (
    ClaimFailed,
    Expectation,
    at_least,
    at_most,
    between,
    claim,
    close_to,
    glue,
    glued,
    ledger,
    observe,
)
from kexue.data import Coverage, Split, digits, gaussian_ring, ring_coverage, two_moons
from kexue.runtime import current_chapter, current_seed, read_seed, setup

__all__ = [
    "ClaimFailed",
    "Coverage",
    "Expectation",
    "Split",
    "at_least",
    "at_most",
    "between",
    "claim",
    "close_to",
    "current_chapter",
    "current_seed",
    "digits",
    "gaussian_ring",
    "glue",
    "glued",
    "ledger",
    "observe",
    "read_seed",
    "ring_coverage",
    "setup",
    "two_moons",
]
__version__ = "0.1.0"
