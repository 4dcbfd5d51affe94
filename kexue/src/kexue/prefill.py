"""Execute the book's chapters in parallel into jupyter-cache, so that the build only reads them.

    python -m kexue.prefill [--book .] [--jobs N]

Chapters are independent, so `make book` runs this before Sphinx: the chapters in `_toc.yml` that the
cache does not hold yet are executed `--jobs` at a time (default: one per core), in their own folder as
the build would, with the per-cell timeout of `_config.yml`, and cached exactly as myst-nb caches them.
The build then takes every chapter from the cache. A chapter that fails here is not cached: the build
executes it again and fails naming it, with its traceback in `_build/html/reports/`, so nothing stale
or broken is ever served. The run times the book shows are the ones measured here, with the chapters
sharing the cores.
"""

import argparse
import logging
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import yaml


def toc_chapters(book):
    """The notebooks the table of contents lists, in its order."""
    toc = yaml.safe_load(Path(book, "_toc.yml").read_text(encoding="utf-8"))
    files = []

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return [
        Path(book, f"{name}.ipynb")
        for name in files
        if Path(book, f"{name}.ipynb").exists()
    ]


def _settings(book):
    config = yaml.safe_load(Path(book, "_config.yml").read_text(encoding="utf-8"))
    execute = config.get("execute", {})
    return (
        Path(book, execute.get("cache", "_build/.jupyter_cache")),
        int(execute.get("timeout", 30)),
    )


def _execute(path, cache_path, timeout):
    """Execute one chapter and cache it as myst-nb does; return (path, seconds, error or None)."""
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from jupyter_cache.executors.utils import single_nb_execution

    cache = get_cache(str(cache_path))
    notebook = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        notebook,
        cwd=str(Path(path).parent),
        allow_errors=False,
        timeout=timeout,
        meta_override=True,
    )
    if result.err is not None:
        return str(path), result.time, f"{type(result.err).__name__}: {result.err}"
    stage = cache.add_nb_to_project(str(path))
    cache.cache_notebook_bundle(
        CacheBundleIn(notebook, stage.uri, data={"execution_seconds": result.time}),
        check_validity=False,
        overwrite=True,
    )
    return str(path), result.time, None


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m kexue.prefill", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--book", default=".")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    arguments = parser.parse_args(argv)
    if arguments.jobs < 1:
        parser.error("--jobs must be at least 1.")
    logging.getLogger("traitlets").setLevel(logging.ERROR)

    import nbformat
    from jupyter_cache import get_cache

    book = Path(arguments.book).resolve()
    cache_path, timeout = _settings(book)
    cache = get_cache(str(cache_path))
    waiting = []
    for path in toc_chapters(book):
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
        except KeyError:
            waiting.append(path)
    if not waiting:
        print("Every chapter is already executed and cached.")
        return 0
    print(
        f"Executing {len(waiting)} chapter(s), {min(arguments.jobs, len(waiting))} at a time:",
        flush=True,
    )
    started = time.perf_counter()
    failed = []
    with ProcessPoolExecutor(max_workers=arguments.jobs) as pool:
        jobs = [pool.submit(_execute, path, cache_path, timeout) for path in waiting]
        for job in jobs:
            path, seconds, error = job.result()
            name = Path(path).relative_to(book)
            print(
                f"  {name}: {'FAILED' if error else 'ok'} in {seconds:.1f} s",
                flush=True,
            )
            if error:
                failed.append(f"{name}: {error.splitlines()[0][:300]}")
    print(f"Executed in {time.perf_counter() - started:.0f} s.")
    if failed:
        print(
            "These chapters failed; the build runs them again and reports them:",
            *failed,
            sep="\n  ",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
