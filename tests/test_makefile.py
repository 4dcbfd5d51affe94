"""The Makefile's reuse rules, on a tiny copy of the book (slow: seven small builds).

`make book` may reuse executed chapters only while the helper package, the pins and the
build config are unchanged, and must never reuse a failed build. These tests run the real
Makefile in a temporary folder with the real .venv, so nothing is left in the book.
"""

import json
import shutil
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from test_build import FAILING, PASSING, PREAMBLE, make_book, run_in

VENV = Path(sys.executable).parent.parent
EXECUTED = "Executing 1 chapter(s)"  # kexue.prefill executes what the cache lacks


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


@pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")
def test_prose_edit_reuses_outputs_and_keeps_the_claims(tmp_path):
    """Editing only a chapter's text re-renders it from the cache, with its claims.

    myst-nb writes the chapter's jupyter_execute copy without outputs when it reuses the cache;
    the ledger must still find the claims (it once reported "checks no claim" here).
    """
    book = copy_of_the_book(tmp_path, PREAMBLE, PASSING)
    code, output = make(book)
    assert code == 0, output

    path = book / "chapters" / "9999-test.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source += "\n\nA sentence added later."
    nbformat.write(notebook, path)
    code, output = make(book)
    assert code == 0, output
    assert EXECUTED not in output, "a prose edit must not execute the chapter again"
    ledger = json.loads((book / "_build/html/ledger.json").read_text("utf-8"))
    assert [r["id"] for r in ledger["9999"]["claims"]] == ["C1"]
    page = (book / "_build/html/chapters/9999-test.html").read_text("utf-8")
    assert "A sentence added later." in page
