"""The Makefile's reuse rules, on a tiny copy of the book (slow: five small builds).

`make book` may reuse executed chapters only while the helper package, the pins and the
build config are unchanged, and must never reuse a failed build. These tests run the real
Makefile in a temporary folder with the real .venv, so nothing is left in the book.
"""

import shutil
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from test_build import FAILING, PASSING, PREAMBLE, make_book, run_in

VENV = Path(sys.executable).parent.parent
EXECUTED = "Executed notebook"


def make(directory):
    """`make book` in `directory` with the real environment (never reinstalled here)."""
    return run_in(
        directory, ["make", "book", f"VENV={VENV}", "-o", f"{VENV}/.installed"]
    )


def copy_of_the_book(directory, *cells):
    make_book(directory, *cells)
    for name in ("Makefile", "requirements.txt"):
        shutil.copy(ROOT / name, directory)
    shutil.copytree(
        ROOT / "kexue",
        directory / "kexue",
        ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"),
    )
    return directory


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_unchanged_book_reuses_outputs_and_helper_change_reexecutes(tmp_path):
    """Second build executes nothing; a change to the helper package executes again."""
    book = copy_of_the_book(tmp_path, PREAMBLE, PASSING)
    code, output = make(book)
    assert code == 0, output
    assert EXECUTED in output

    code, output = make(book)
    assert code == 0, output
    assert EXECUTED not in output, "an unchanged book must reuse its executed chapters"

    with open(book / "kexue/src/kexue/data.py", "a", encoding="utf-8") as source:
        source.write("\n# a change to the helper package\n")
    code, output = make(book)
    assert code == 0, output
    assert "executed again" in output
    assert EXECUTED in output, "a helper change must invalidate every executed output"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_failed_build_is_never_reused(tmp_path):
    """Building a failing book twice fails twice: the failure is not cached away."""
    book = copy_of_the_book(tmp_path, PREAMBLE, FAILING)
    for attempt in ("first", "second"):
        code, output = make(book)
        assert code != 0, f"{attempt} build of a failing chapter passed:\n{output}"
        assert "ClaimFailed" in output and "C7" in output, output
