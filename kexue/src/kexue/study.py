"""The seed study: chapters executed for many seeds, outside Sphinx, in parallel.

    python -m kexue.study [--seeds 0 1 2] [--chapters 5617 6181] [--jobs N] [--book .] [--out DIR]

(`make seeds SEEDS="0 1 2" CHAPTERS="5617 6181"` runs exactly this.) Every (chapter, seed) pair runs
in a kernel of its own, in an empty temporary folder, with KEXUE_SEED set. Its claim records, run
time, error and any stderr output go to `<out>/<chapter>/seed-<seed>.json`, together with the
fingerprint of what ran: the chapter's notebook, the helper package and the pins. The command prints
every claim's minimum, median and maximum over the seeds with the seeds on which it failed, and exits
non-zero, naming chapter, claim and seed, when a claim fails, a chapter errors or writes to stderr
(which fails the book build).

The book's Seed study page (`{kexue-seed-study}`, in `kexue.book`) reads the same files and shows
only those whose fingerprint matches the current chapter, helper and pins.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from kexue.claims import records_from_notebook

DEFAULT_SEEDS = tuple(range(10))
DEFAULT_OUT = "_build/seeds"
# Seconds per cell: generous, because the study shares the cores between chapters.
CELL_TIMEOUT = 300
# The build's own tooling: chapters never import these, so a change to them leaves a study valid.
TOOLING = ("book.py", "study.py", "prefill.py")


# ---------------------------------------------------------------- fingerprints
def _digest(paths, root):
    sha = hashlib.sha256()
    for path in paths:
        sha.update(Path(path).relative_to(root).as_posix().encode())
        sha.update(b"\0")
        sha.update(Path(path).read_bytes())
        sha.update(b"\0")
    return sha.hexdigest()[:16]


def environment_hash(book):
    """A hash of what every chapter runs on: the helper package (less the build's tooling) and the pins."""
    book = Path(book)
    files = [
        path
        for path in sorted((book / "kexue" / "src").rglob("*.py"))
        if path.name not in TOOLING
    ]
    if (book / "requirements.txt").exists():
        files.append(book / "requirements.txt")
    return _digest(files, book)


def chapter_hash(notebook, content=None):
    """A hash of what a chapter executes: its code cells and kernel (from the file, or `content`).

    Its prose cannot change a measured number, so an edit to the text keeps its study valid.
    """
    notebook = Path(notebook)
    content = notebook.read_bytes() if content is None else content
    cells = json.loads(content.decode("utf-8"))
    code = [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
        for c in cells.get("cells", [])
        if c.get("cell_type") == "code"
    ]
    kernel = cells.get("metadata", {}).get("kernelspec", {}).get("name", "")
    text = json.dumps([notebook.name[:4], kernel, code])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- finding chapters
def _chapters_in(book):
    pattern = "[0-9][0-9][0-9][0-9]-*.ipynb"
    return {p.name[:4]: p for p in sorted(Path(book, "chapters").glob(pattern))}


def chapter_notebooks(book, chapters=None):
    """{post id: notebook path} for `chapters` (all of them when None), with a clear error otherwise."""
    found = _chapters_in(book)
    if not found:
        raise SystemExit(f"No chapters found in {Path(book, 'chapters')}.")
    if not chapters:
        return found
    unknown = [c for c in chapters if c not in found]
    if unknown:
        raise SystemExit(
            f"No chapter with id {', '.join(unknown)}; the chapters are {', '.join(found)}. "
            'Give post ids, such as CHAPTERS="5617 6181".'
        )
    return {c: found[c] for c in chapters}


# ---------------------------------------------------------------- running one chapter for one seed
def result_path(out, chapter, seed):
    return Path(out, chapter, f"seed-{seed}.json")


def execute(notebook, seed, destination, book, timeout=CELL_TIMEOUT):
    """Execute `notebook` with KEXUE_SEED=`seed` (in this process's environment) and write its result."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import (
        CellExecutionError,
        CellTimeoutError,
        DeadKernelError,
    )

    notebook = Path(notebook)
    content = (
        notebook.read_bytes()
    )  # hashed as read: the file may change while the study runs
    environment = environment_hash(book)
    cells = nbformat.reads(content.decode("utf-8"), as_version=4)
    error = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kexue-seed-") as folder:
        client = NotebookClient(
            cells,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": folder}},
        )
        try:
            client.execute()
        except CellExecutionError as failure:
            error = f"{failure.ename}: {failure.evalue}"
        except (
            CellTimeoutError,
            DeadKernelError,
            RuntimeError,
        ) as failure:  # still a result
            error = f"{type(failure).__name__}: {failure}"
    runtime = time.perf_counter() - started
    stderr = [
        output["text"]
        for cell in cells.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    ]
    result = {
        "chapter": notebook.name[:4],
        "seed": seed,
        "notebook": notebook.name,
        "chapter_hash": chapter_hash(notebook, content),
        "environment_hash": environment,
        "runtime_s": round(runtime, 2),
        "error": error,
        "stderr": stderr,
        "records": records_from_notebook(cells),
    }
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def _run_job(book, notebook, seed, out, timeout):
    """One (chapter, seed) pair in a fresh Python process, so kernels and memory never mix."""
    destination = result_path(out, notebook.name[:4], seed)
    destination.unlink(missing_ok=True)
    env = {**os.environ, "KEXUE_SEED": str(seed)}
    command = [sys.executable, "-m", "kexue.study", "--execute-one", str(notebook)]
    command += ["--seed", str(seed), "--book", str(book), "--out", str(out)]
    command += ["--timeout", str(timeout)]
    completed = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True
    )
    if destination.exists():
        return json.loads(destination.read_text(encoding="utf-8"))
    return {  # the runner itself failed (for example, no kernel): report it as this pair's error
        "chapter": notebook.name[:4],
        "seed": seed,
        "error": f"the runner failed: {(completed.stderr or completed.stdout).strip()[-800:]}",
        "stderr": [],
        "records": [],
        "runtime_s": None,
    }


# ---------------------------------------------------------------- summaries
def values_by_claim(results):
    """{(chapter, row id): row} with every seed's value, in the order the chapter checks them.

    A claim gives one row; an observation of several named numbers gives one row per name,
    with the id "O2 adam".
    """
    rows = {}
    for result in sorted(results, key=lambda r: (r["chapter"], r["seed"])):
        for record in result["records"]:
            measured = record["measured"]
            named = (
                measured.items() if isinstance(measured, dict) else [(None, measured)]
            )
            for name, value in named:
                row_id = record["id"] if name is None else f"{record['id']} {name}"
                row = rows.setdefault(
                    (result["chapter"], row_id),
                    {
                        "chapter": result["chapter"],
                        "id": row_id,
                        "claim": record["claim"],
                        "kind": "observation"
                        if record["status"] == "observed"
                        else "claim",
                        "expected": record.get("expected"),
                        "values": {},
                        "failed": [],
                    },
                )
                row["values"][result["seed"]] = value
                if record["status"] == "fail":
                    row["failed"].append(result["seed"])
    for row in rows.values():
        values = list(row["values"].values())
        row.update(low=min(values), median=statistics.median(values), high=max(values))
    return list(rows.values())


def failures(results):
    """One line per failure, naming chapter, claim and seed."""
    lines = []
    for result in sorted(results, key=lambda r: (r["chapter"], r["seed"])):
        where = f"chapter {result['chapter']}, seed {result['seed']}"
        for record in result["records"]:
            if record["status"] == "fail":
                lines.append(
                    f"{where}: claim {record['id']} failed: measured {record['measured']:.4g}, "
                    f"expected {record['expected']} ({record['claim']})"
                )
        if result["error"] and not any(
            r["status"] == "fail" for r in result["records"]
        ):
            lines.append(f"{where}: the chapter stopped with {result['error'][:600]}")
        for text in result["stderr"]:
            lines.append(
                f"{where}: wrote to stderr (the book build fails on it): {text.strip()[:300]}"
            )
    return lines


def _fmt(x):
    return f"{x:.4g}"


def summary(results):
    """The printed summary: per chapter, its seeds and run times, then one line per claim."""
    lines = []
    rows = values_by_claim(results)
    for chapter in sorted({r["chapter"] for r in results}):
        mine = [r for r in results if r["chapter"] == chapter]
        times = [r["runtime_s"] for r in mine if r["runtime_s"] is not None]
        seeds = " ".join(str(r["seed"]) for r in sorted(mine, key=lambda r: r["seed"]))
        span = f", {min(times):.0f}-{max(times):.0f} s each" if times else ""
        lines.append(f"{chapter}  seeds {seeds}{span}")
        for row in (r for r in rows if r["chapter"] == chapter):
            verdict = (
                "observed"
                if row["kind"] == "observation"
                else f"FAILED on seeds {' '.join(map(str, row['failed']))}"
                if row["failed"]
                else f"passed {len(row['values'])}/{len(row['values'])}"
            )
            lines.append(
                f"  {row['id']:<12} min {_fmt(row['low']):>10}  median {_fmt(row['median']):>10}  "
                f"max {_fmt(row['high']):>10}  {verdict}"
            )
    return "\n".join(lines)


# ---------------------------------------------------------------- reading a study for the book
def current_results(book, out=DEFAULT_OUT):
    """{post id: [results]} of the study files that match the current chapters, helper and pins."""
    book = Path(book)
    out = Path(book, out) if not Path(out).is_absolute() else Path(out)
    environment = environment_hash(book)
    found = {}
    for chapter, notebook in _chapters_in(book).items():
        expected = chapter_hash(notebook)
        for path in sorted(Path(out, chapter).glob("seed-*.json")):
            try:
                result = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if (
                result.get("chapter_hash") == expected
                and result.get("environment_hash") == environment
            ):
                found.setdefault(chapter, []).append(result)
    return found


# ---------------------------------------------------------------- command line
def _arguments(argv):
    parser = argparse.ArgumentParser(
        prog="python -m kexue.study",
        description="Execute chapters for several seeds and summarise every claim.",
    )
    parser.add_argument("--seeds", nargs="*", type=int, default=list(DEFAULT_SEEDS))
    parser.add_argument(
        "--chapters", nargs="*", default=None, help="post ids; all if none"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--book", default=".", help="the book's root folder")
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help="where results go, under the book"
    )
    parser.add_argument(
        "--timeout", type=int, default=CELL_TIMEOUT, help="seconds per cell"
    )
    parser.add_argument("--execute-one", metavar="NOTEBOOK", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if any(not 0 <= s < 2**31 for s in arguments.seeds):
        parser.error("seeds are whole numbers with 0 <= seed < 2**31.")
    if not arguments.seeds:
        parser.error("give at least one seed, such as --seeds 0 1 2.")
    if arguments.jobs < 1:
        parser.error("--jobs must be at least 1.")
    return arguments


def main(argv=None):
    arguments = _arguments(argv)
    book = Path(arguments.book).resolve()
    out = Path(book, arguments.out)
    if arguments.execute_one:
        notebook = Path(arguments.execute_one)
        destination = result_path(out, notebook.name[:4], arguments.seed)
        execute(notebook, arguments.seed, destination, book, arguments.timeout)
        return 0
    notebooks = chapter_notebooks(book, arguments.chapters)
    seeds = list(dict.fromkeys(arguments.seeds))
    jobs = [(notebook, seed) for notebook in notebooks.values() for seed in seeds]
    print(
        f"Seed study: {len(notebooks)} chapter(s) x {len(seeds)} seed(s), "
        f"{min(arguments.jobs, len(jobs))} at a time; results in {out}",
        flush=True,
    )
    started = time.perf_counter()
    results = []
    with ThreadPoolExecutor(max_workers=arguments.jobs) as pool:
        futures = [
            pool.submit(_run_job, book, nb, seed, out, arguments.timeout)
            for nb, seed in jobs
        ]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            state = "ok" if not failures([result]) else "FAILED"
            took = (
                ""
                if result["runtime_s"] is None
                else f" in {result['runtime_s']:.0f} s"
            )
            print(
                f"  {result['chapter']} seed {result['seed']}: {state}{took}",
                flush=True,
            )
    print(f"\n{summary(results)}\n")
    print(f"The study took {time.perf_counter() - started:.0f} s.")
    problems = failures(results)
    if problems:
        print(f"\n{len(problems)} failure(s):", *problems, sep="\n  ")
        return 1
    print("Every claim held for every seed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
