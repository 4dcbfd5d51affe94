"""The seed study (kexue.study): fingerprints, summaries, the reader the book uses, and the command.

The command test executes two tiny chapters (no TensorFlow) for three seeds each: a few seconds.
"""

import json
import subprocess
import sys

import nbformat
import pytest

from kexue import study

PREAMBLE = 'import os\nimport kexue\nkexue.runtime._state.update(chapter="{id}", seed=int(os.environ["KEXUE_SEED"]))'


def record(claim_id, measured, status, seed, claim="A claim."):
    return {
        "chapter": "9999",
        "id": claim_id,
        "claim": claim,
        "measured": measured,
        "expected": None if status == "observed" else "≤ 2",
        "status": status,
        "seed": seed,
    }


def result(seed, records, error=None, stderr=()):
    return {
        "chapter": "9999",
        "seed": seed,
        "runtime_s": 2.0 + seed,
        "error": error,
        "stderr": list(stderr),
        "records": records,
    }


def write_chapter(book, post, *cells):
    (book / "chapters").mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    notebook.cells = [nbformat.v4.new_code_cell(PREAMBLE.format(id=post))]
    notebook.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    path = book / "chapters" / f"{post}-test.ipynb"
    nbformat.write(notebook, path)
    return path


# ---------------------------------------------------------------- summaries


def test_values_by_claim_gives_min_median_max_and_failed_seeds():
    results = [
        result(0, [record("C1", 1.0, "pass", 0)]),
        result(1, [record("C1", 3.0, "fail", 1)]),
        result(2, [record("C1", 2.0, "pass", 2)]),
    ]
    [row] = study.values_by_claim(results)
    assert (row["low"], row["median"], row["high"]) == (1.0, 2.0, 3.0)
    assert row["failed"] == [1]
    assert row["values"] == {0: 1.0, 1: 3.0, 2: 2.0}


def test_an_observation_of_named_numbers_gives_one_row_per_name():
    results = [
        result(s, [record("O1", {"adam": s, "sgd": 10 + s}, "observed", s)])
        for s in (0, 1)
    ]
    rows = study.values_by_claim(results)
    assert [r["id"] for r in rows] == ["O1 adam", "O1 sgd"]
    assert rows[1]["high"] == 11
    assert all(r["kind"] == "observation" for r in rows)


def test_failures_name_chapter_claim_and_seed():
    results = [
        result(0, [record("C1", 1.0, "pass", 0)]),
        result(4, [record("C1", 3.0, "fail", 4)], error="ClaimFailed: ..."),
        result(5, [], error="LinAlgError: Singular matrix"),
        result(6, [record("C1", 1.0, "pass", 6)], stderr=["RuntimeWarning: overflow"]),
    ]
    lines = study.failures(results)
    assert lines[0].startswith("chapter 9999, seed 4: claim C1 failed: measured 3")
    assert "seed 5: the chapter stopped with LinAlgError: Singular matrix" in lines[1]
    assert "seed 6: wrote to stderr" in lines[2] and "overflow" in lines[2]
    assert (
        len(lines) == 3
    )  # the ClaimFailed error is the failed claim itself, named once
    assert study.failures(results[:1]) == []


def test_summary_lists_every_claim_with_its_verdict():
    results = [
        result(s, [record("C1", 1.0 + s, "pass" if s < 1 else "fail", s)])
        for s in (0, 1)
    ]
    text = study.summary(results)
    assert "9999  seeds 0 1" in text
    assert "FAILED on seeds 1" in text


# ---------------------------------------------------------------- fingerprints and the book's reader


def test_current_results_keep_only_studies_of_this_code(tmp_path):
    notebook = write_chapter(tmp_path, "9999", "x = 1")
    (tmp_path / "requirements.txt").write_text("numpy==2\n")
    fresh = {
        **result(0, []),
        "chapter_hash": study.chapter_hash(notebook),
        "environment_hash": study.environment_hash(tmp_path),
    }
    stale_chapter = {**fresh, "seed": 1, "chapter_hash": "0" * 16}
    stale_pins = {**fresh, "seed": 2, "environment_hash": "0" * 16}
    for item in (fresh, stale_chapter, stale_pins):
        path = study.result_path(tmp_path / study.DEFAULT_OUT, "9999", item["seed"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(item))
    assert [r["seed"] for r in study.current_results(tmp_path)["9999"]] == [0]

    (tmp_path / "requirements.txt").write_text(
        "numpy==3\n"
    )  # new pins: nothing is current
    assert study.current_results(tmp_path) == {}


def test_chapter_hash_follows_the_code_and_not_the_prose(tmp_path):
    notebook = write_chapter(tmp_path, "9999", "x = 1")
    before = study.chapter_hash(notebook)
    cells = nbformat.read(notebook, as_version=4)
    cells.cells.append(
        nbformat.v4.new_markdown_cell("A sentence cannot change a number.")
    )
    nbformat.write(cells, notebook)
    assert study.chapter_hash(notebook) == before
    write_chapter(tmp_path, "9999", "x = 2")
    assert study.chapter_hash(notebook) != before


def test_unknown_chapter_is_a_clear_error(tmp_path):
    write_chapter(tmp_path, "9999", "x = 1")
    with pytest.raises(
        SystemExit, match="No chapter with id 1234; the chapters are 9999"
    ):
        study.chapter_notebooks(tmp_path, ["1234"])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seeds", "-1"], "0 <= seed"),
        (["--jobs", "0"], "at least 1"),
        (["--seeds"], "at least one seed"),
    ],
)
def test_bad_arguments_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        study.main(argv)
    assert message in capsys.readouterr().err


# ---------------------------------------------------------------- the command, end to end


def test_study_runs_every_seed_and_names_the_failing_claim_and_seed(tmp_path):
    """Slow (six small kernels): seed 2 breaks chapter 9998's claim, chapter 9999 holds throughout."""
    seed_dependent = 'kexue.claim("C1", "The seed is below two.", float(os.environ["KEXUE_SEED"]), kexue.at_most(1), why="test")'
    always = (
        'kexue.claim("C1", "One is at most two.", 1.0, kexue.at_most(2), why="test")'
    )
    write_chapter(tmp_path, "9998", seed_dependent)
    write_chapter(tmp_path, "9999", always)
    command = [
        sys.executable,
        "-m",
        "kexue.study",
        "--book",
        str(tmp_path),
        "--seeds",
        "0",
        "1",
        "2",
    ]
    completed = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=300
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 1, output
    assert "chapter 9998, seed 2: claim C1 failed: measured 2" in output
    assert "9999" in output and "chapter 9999, seed" not in output
    saved = json.loads((tmp_path / "_build/seeds/9999/seed-1.json").read_text())
    assert saved["seed"] == 1 and saved["error"] is None
    assert [r["status"] for r in saved["records"]] == ["pass"]
    assert saved["chapter_hash"] == study.chapter_hash(
        tmp_path / "chapters/9999-test.ipynb"
    )
    assert set(study.current_results(tmp_path)) == {"9998", "9999"}


# ---------------------------------------------------------------- the build's parallel pre-execution


def test_prefill_executes_the_chapters_of_the_toc_in_its_order(tmp_path):
    from kexue.prefill import toc_chapters

    write_chapter(tmp_path, "9999", "x = 1")
    write_chapter(tmp_path, "9998", "x = 1")
    write_chapter(tmp_path, "9997", "x = 1")  # not in the toc: never executed
    (tmp_path / "intro.md").write_text("# Intro\n")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: intro\nparts:\n  - caption: A\n    chapters:\n"
        "      - file: chapters/9999-test\n      - file: chapters/9998-test\n"
    )
    assert [p.name for p in toc_chapters(tmp_path)] == [
        "9999-test.ipynb",
        "9998-test.ipynb",
    ]
