"""Integration tests: build tiny books with the real config and extension, in temp dirs.

Every test here is slow (a Jupyter Book build starts Sphinx and a kernel: about 8 s
each), so the books are as small as possible: an intro, one chapter and a
reproducibility page. The chapters never import TensorFlow; they set kexue's state
directly instead of calling setup().
Nothing is written to the real book: each build happens under pytest's tmp_path.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"
PREAMBLE = 'import kexue\nkexue.runtime._state.update(chapter="9999", seed=0)'
PASSING = (
    'kexue.claim("C1", "One is at most two.", 1.0, kexue.at_most(2), why="arithmetic")'
)
FAILING = (
    'kexue.claim("C7", "One is at most zero.", 1.0, kexue.at_most(0), why="arithmetic")'
)
TOC = """\
format: jb-book
root: intro
parts:
  - caption: "Part I: test"
    chapters:
      - file: chapters/9999-test
      - file: reproducibility
      - file: seed-study
      - file: errata
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def make_book(directory, *code_cells):
    """A minimal book using the real _config.yml, bibliography and catalogue."""
    (directory / "chapters").mkdir(parents=True)
    (directory / "assets").mkdir()
    shutil.copy(ROOT / "_config.yml", directory)
    shutil.copy(ROOT / "assets" / "references.bib", directory / "assets")
    shutil.copy(ROOT / "assets" / "catalogue.csv", directory / "assets")
    shutil.copy(ROOT / "assets" / "favicon.svg", directory / "assets")
    (directory / "_toc.yml").write_text(TOC, encoding="utf-8")
    (directory / "intro.md").write_text("# A test book\n", encoding="utf-8")
    (directory / "reproducibility.md").write_text(
        "# Reproducibility\n\n```{kexue-ledger}\n```\n", encoding="utf-8"
    )
    (directory / "errata.md").write_text(
        "# Errata\n\n```{kexue-errata}\n```\n", encoding="utf-8"
    )
    (directory / "seed-study.md").write_text(
        "# Seed study\n\n```{kexue-seed-study}\n```\n", encoding="utf-8"
    )
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# A test chapter\n\nSome math: $a^2$.")
    ]
    notebook.cells += [  # a string is a code cell; a cell made with nbformat is taken as it is
        cell if isinstance(cell, dict) else nbformat.v4.new_code_cell(cell)
        for cell in code_cells
    ]
    nbformat.write(notebook, directory / "chapters" / "9999-test.ipynb")
    return directory


def run_in(directory, command):
    """Run `command` in `directory` without KEXUE_SEED; return (exit code, output without colours)."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    env.pop("KEXUE_SEED", None)
    result = subprocess.run(
        [str(part) for part in command],
        check=False,  # the exit code is what the tests check
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return result.returncode, ANSI.sub("", result.stdout + result.stderr)


def build(directory):
    """Run the Makefile's strict build command directly."""
    command = [
        JUPYTER_BOOK,
        "build",
        directory,
        "--builder",
        "html",
        "-W",
        "--keep-going",
    ]
    return run_in(directory, command)


def snapshot(directory):
    return sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()
    )


@pytest.fixture(autouse=True)
def real_chapters_untouched():
    """The builds must leave the real book's chapters/ exactly as it was."""
    before = snapshot(ROOT / "chapters")
    yield
    assert snapshot(ROOT / "chapters") == before


# A cell whose stdout reaches the notebook in two pieces, and a number glued into the prose.
TWO_PIECES = 'import time\nprint("first piece", flush=True)\ntime.sleep(0.5)\nprint("second piece")'
GLUED = 'kexue.glue("ratio", 2 / 3, fmt=".3f")'
GLUED_PROSE = nbformat.v4.new_markdown_cell(
    "The ratio measured is {glue:text}`ratio` here."
)

ERRATUM = nbformat.v4.new_markdown_cell(
    ":::{erratum} The post says one exceeds two\n:source: code\n:shown-by: C1\n"
    "One is at most two, as C1 shows.\n:::"
)


def write_study(directory, seeds, measured=1.0):
    """Seed-study files for the tiny book's chapter, as `python -m kexue.study` writes them."""
    from kexue import study

    notebook = directory / "chapters" / "9999-test.ipynb"
    for seed in seeds:
        record = {
            "chapter": "9999",
            "id": "C1",
            "claim": "One is at most two.",
            "measured": measured + seed,
            "expected": "≤ 2",
            "status": "pass" if measured + seed <= 2 else "fail",
            "seed": seed,
        }
        path = study.result_path(directory / study.DEFAULT_OUT, "9999", seed)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            json.dumps(
                {
                    "chapter": "9999",
                    "seed": seed,
                    "chapter_hash": study.chapter_hash(notebook),
                    "environment_hash": study.environment_hash(directory),
                    "runtime_s": 1.5,
                    "error": None,
                    "stderr": [],
                    "records": [record],
                }
            ),
            encoding="utf-8",
        )


@pytest.fixture(scope="module")
def passing_book(tmp_path_factory):
    """One passing build, shared by every test that inspects a good build's output."""
    # Slow: a full Jupyter Book build with notebook execution (~8 s).
    directory = make_book(
        tmp_path_factory.mktemp("passing"),
        PREAMBLE,
        PASSING,
        TWO_PIECES,
        GLUED,
        GLUED_PROSE,
        ERRATUM,
    )
    write_study(directory, seeds=[0, 1])
    code, output = build(directory)
    return directory, code, output


def test_passing_chapter_builds(passing_book):
    """A chapter whose claims hold gives a clean strict build."""
    _, code, output = passing_book
    assert code == 0, output


def test_ledger_json_lists_the_passing_claim(passing_book):
    """ledger.json carries every claim with its status for outside tools."""
    directory, _, _ = passing_book
    ledger = json.loads((directory / "_build/html/ledger.json").read_text("utf-8"))
    assert ledger["9999"]["succeeded"] is True
    [record] = ledger["9999"]["claims"]
    assert record["id"] == "C1"
    assert record["status"] == "pass"
    assert record["claim"] == "One is at most two."


def test_reproducibility_page_shows_the_claim(passing_book):
    """The kexue-ledger directive renders the claims measured in this very build."""
    directory, _, _ = passing_book
    page = (directory / "_build/html/reproducibility.html").read_text("utf-8")
    assert "One is at most two." in page
    assert "✔ pass" in page


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        rel = (attrs.get("rel") or "").split()
        if tag == "link" and "stylesheet" in rel and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_built_pages_load_no_external_scripts_or_stylesheets(passing_book):
    """The site must work offline and load nothing from third parties."""
    directory, _, _ = passing_book
    html = directory / "_build" / "html"
    pages = [
        p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts
    ]
    assert len(pages) >= 3
    external = {}
    for page in pages:
        parser = _Assets()
        parser.feed(page.read_text("utf-8"))
        assert parser.urls or page.name == "index.html", page  # index is a redirect
        bad = [u for u in parser.urls if re.match(r"(https?:)?//", u)]
        if bad:
            external[str(page.relative_to(html))] = bad
    assert not external


def test_mathjax_is_served_from_the_site(passing_book):
    """Math renders offline from the local MathJax copy the extension installs."""
    directory, _, _ = passing_book
    html = directory / "_build" / "html"
    assert (html / "_static" / "mathjax" / "MathJax.js").is_file()
    page = (html / "chapters" / "9999-test.html").read_text("utf-8")
    assert "_static/mathjax/MathJax.js" in page


def test_failing_claim_fails_the_build_and_names_the_claim(tmp_path):
    """A claim that does not hold stops the book, and the report names the claim."""
    # Slow: a full Jupyter Book build with notebook execution (~8 s).
    directory = make_book(tmp_path / "book", PREAMBLE, FAILING)
    code, output = build(directory)
    assert code != 0, output
    reports = list((directory / "_build/html/reports").rglob("*.err.log"))
    text = output + "".join(ANSI.sub("", r.read_text("utf-8")) for r in reports)
    assert "ClaimFailed" in text
    assert "Claim C7 of chapter 9999 failed" in text
    assert reports, "the build should save the chapter's traceback under reports/"
    ledger = json.loads((directory / "_build/html/ledger.json").read_text("utf-8"))
    assert [r["status"] for r in ledger["9999"]["claims"]] == ["fail"]


def test_chapter_without_claims_fails_the_build(tmp_path):
    """Every chapter checks at least one claim; -W turns the warning into failure."""
    # Slow: a full Jupyter Book build with notebook execution (~8 s).
    directory = make_book(tmp_path / "book", PREAMBLE, "x = 1 + 1\nprint(x)")
    code, output = build(directory)
    assert code != 0, output
    assert "checks no claim" in output


def test_chapter_writing_to_stderr_fails_the_build(tmp_path):
    """Stray warnings or log lines must not slip into the published page."""
    # Slow: a full Jupyter Book build with notebook execution (~8 s).
    noisy = 'import sys\nprint("noise", file=sys.stderr)'
    directory = make_book(tmp_path / "book", PREAMBLE, noisy, PASSING)
    code, output = build(directory)
    assert code != 0, output
    assert "stderr" in output


def test_glued_number_appears_in_the_prose(passing_book):
    """{glue:text}`ratio` shows the number kexue.glue stored in this run, formatted as asked."""
    directory, _, _ = passing_book
    page = (directory / "_build/html/chapters/9999-test.html").read_text("utf-8")
    assert "The ratio measured is" in page
    assert "0.667" in page


def test_executed_notebook_keeps_each_stream_piece_once(passing_book):
    """myst-nb merged streams in place and saved the result: the tail appeared twice."""
    from kexue.book import repeated_streams

    directory, _, _ = passing_book
    executed = directory / "_build/jupyter_execute/chapters/9999-test.ipynb"
    notebook = json.loads(executed.read_text("utf-8"))
    outputs = json.dumps([c.get("outputs", []) for c in notebook["cells"]])
    assert outputs.count("second piece") == 1
    assert repeated_streams(notebook) == []
    page = (directory / "_build/html/chapters/9999-test.html").read_text("utf-8")
    assert "first piece" in page and "second piece" in page


def test_seed_study_page_shows_a_study_of_the_current_chapter(passing_book):
    """The page shows each claim's range over the seeds when the study matches this code."""
    directory, _, _ = passing_book
    page = (directory / "_build/html/seed-study.html").read_text("utf-8")
    assert "Seeds 0, 1" in page
    assert "One is at most two." in page
    assert "2 / 2" in page
    assert "No seed study was run" not in page


def test_erratum_is_a_box_in_the_chapter_and_a_linked_entry_on_the_errata_page(
    passing_book,
):
    directory, _, _ = passing_book
    chapter = (directory / "_build/html/chapters/9999-test.html").read_text("utf-8")
    assert 'id="erratum-1"' in chapter
    assert "Erratum in the post’s code: The post says one exceeds two" in chapter
    assert "Shown by C1." in chapter
    errata = (directory / "_build/html/errata.html").read_text("utf-8")
    assert 'href="chapters/9999-test.html#erratum-1"' in errata
    assert "shown by C1 (passed)" in errata


def test_erratum_naming_a_check_the_chapter_lacks_fails_the_build(tmp_path):
    """Slow (~8 s): an erratum 'shown by' a check that never ran would be a false promise."""
    wrong = nbformat.v4.new_markdown_cell(
        ":::{erratum} Something\n:source: post\n:shown-by: C4\nText.\n:::"
    )
    directory = make_book(tmp_path / "book", PREAMBLE, PASSING, wrong)
    code, output = build(directory)
    assert code != 0, output
    assert "shown by C4, which the chapter never checks" in output
