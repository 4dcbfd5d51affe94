"""The book's Sphinx extension: catalogue table, reproducibility ledger, time budget, offline math.

Loaded by `_config.yml` (sphinx.extra_extensions). It adds two directives:

- `{kexue-catalogue}`: the table of every post in `assets/catalogue.csv`, linking the chapters that
  exist and marking the others "planned".
- `{kexue-ledger}`: every chapter's claims (measured, expected, pass/fail) and execution time. The
  records are read from the executed notebooks of this very build (the outputs that `kexue.claim`
  displayed), so the page and the chapters always show the same numbers.
- `{kexue-seed-study}`: every claim's range over the seeds of the seed study (`kexue.study`), shown
  only for chapters whose study ran on exactly the current code cells, helper and pins.
- `{erratum}` (in a chapter): one place where the post, its code or a paper is wrong or incomplete,
  shown as a box in the chapter; `{kexue-errata}` lists every chapter's errata with links to them.

It also warns (an error under `-W`) when a chapter runs over its time budget, checks no claim or
carries a repeated output stream, serves MathJax from a local copy so the site works offline, keeps
myst-nb from writing merged streams back into the executed notebooks, and writes the ledger to
`<html>/ledger.json`.
"""

import csv
import json
import posixpath
import re
import shutil
from pathlib import Path
from typing import ClassVar

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from kexue import study
from kexue.claims import records_from_notebook

logger = logging.getLogger(__name__)

CHAPTER_DOC = re.compile(r"chapters/(\d{4})-[a-z0-9-]+")
CATALOGUE_COLUMNS = ["id", "part", "date", "original_title", "english_title"]
MATHJAX_DIR = "mathjax"  # under _static
# The book's tables wrap their text, so that the ledger and the seed study fit a 1280 px window, and
# code is set at 12 px, so that a line of 88 characters (ruff's limit) fits the code column there;
# the rare longer line (a URL, a long f-string) wraps instead of scrolling sideways.
STYLE_FILE = "kexue.css"  # under _static, written at the end of the build
STYLE = """\
table.kexue-table { table-layout: fixed; width: 100%; font-size: 0.85em; }
table.kexue-table th, table.kexue-table td { white-space: normal; overflow-wrap: anywhere; }
div.cell_input pre { font-size: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }
.MJX_Assistive_MathML [mathvariant] { font-family: inherit !important; }
"""
# The last rule: MathJax 2 copies each formula into hidden MathML for screen readers, and its
# MathML output's stylesheet maps mathvariant="script" (or "double-struck", ...) to TeX web fonts
# that the offline copy does not ship; the hidden copy needs no font, so nothing is requested.


# ---------------------------------------------------------------- collecting claims from notebooks
def _rendered_notebook(env):
    """The current chapter with the outputs this build rendered, or None.

    myst-nb writes them to `jupyter_execute/<doc>.ipynb` when it executes the chapter in this build
    (with the partial outputs if execution failed). When it reuses jupyter-cache instead (the
    chapter's code did not change), it writes that file without outputs, so then the outputs are
    taken from the cache, exactly as myst-nb took them.
    """
    config = env.mystnb_config
    executed = Path(config.output_folder, env.docname + ".ipynb")
    notebook = (
        json.loads(executed.read_text(encoding="utf-8")) if executed.exists() else None
    )
    has_outputs = notebook is not None and any(
        c.get("outputs") for c in notebook["cells"]
    )
    if has_outputs or config.execution_mode != "cache":
        return notebook
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(config.execution_cache_path or ".jupyter_cache")
    source = nbformat.read(env.doc2path(env.docname), as_version=4)
    try:
        return cache.merge_match_into_notebook(source)[1]
    except KeyError:  # not cached: nothing ran successfully
        return notebook


def _collect(app, doctree):
    env = app.env
    match = CHAPTER_DOC.fullmatch(env.docname)
    if not match:
        return
    notebook = _rendered_notebook(env)
    records = records_from_notebook(notebook) if notebook is not None else []
    for record in records:
        if record.get("chapter") != match.group(1):
            logger.warning(
                f"{env.docname}: claim {record.get('id')} was recorded for chapter "
                f"{record.get('chapter')!r}; call kexue.setup({match.group(1)!r}) in this chapter.",
                location=env.docname,
            )
    _ledger(env)[env.docname] = records
    if notebook is not None:
        for cell_index in repeated_streams(notebook):
            logger.warning(
                f"{env.docname}: code cell {cell_index} has an output stream that repeats the end of "
                "an earlier one; the executed notebook would show that output twice.",
                location=env.docname,
            )


def repeated_streams(notebook):
    """Indices of the cells in which a stream's text is the tail of an earlier stream of the same name.

    That is the trace of merging a cell's streams in place and saving the notebook afterwards (see
    `_merge_stream_copies`): the first stream then holds all of them and the others remain.
    """
    cells = []
    for index, cell in enumerate(notebook.get("cells", [])):
        streams = [
            (o.get("name"), "".join(o.get("text", "")).strip())
            for o in cell.get("outputs", [])
            if o.get("output_type") == "stream"
        ]
        if any(
            name == later_name and later and text.endswith(later) and text != later
            for i, (name, text) in enumerate(streams)
            for later_name, later in streams[i + 1 :]
        ):
            cells.append(index)
    return cells


def _ledger(env):
    if not hasattr(env, "kexue_ledger"):
        env.kexue_ledger = {}
    return env.kexue_ledger


def _purge(app, env, docname):
    _ledger(env).pop(docname, None)
    _errata(env).pop(docname, None)
    _table_pages(env).discard(docname)


def _table_pages(env):
    """Documents holding a catalogue or ledger table: they read every chapter."""
    if not hasattr(env, "kexue_table_pages"):
        env.kexue_table_pages = set()
    return env.kexue_table_pages


def _merge(app, env, docnames, other):
    for docname in docnames:
        if docname in _ledger(other):
            _ledger(env)[docname] = _ledger(other)[docname]
        if docname in _errata(other):
            _errata(env)[docname] = _errata(other)[docname]
    _table_pages(env).update(_table_pages(other) & set(docnames))


def _exec_data(env, docname):
    return getattr(env, "nb_metadata", {}).get(docname, {}).get("exec_data") or {}


def _check_chapters(app, env):
    """After reading: every chapter checks claims and stays within its time budget."""
    budget = app.config.kexue_chapter_budget
    for docname in sorted(env.found_docs):
        if not CHAPTER_DOC.fullmatch(docname):
            continue
        data = _exec_data(env, docname)
        runtime = data.get("runtime")
        if runtime is not None and runtime > budget:
            logger.warning(
                f"{docname} took {runtime:.1f} s to execute, over the budget of {budget} s per "
                "chapter: make its experiment smaller.",
                location=docname,
            )
        checked = {r["id"] for r in _ledger(env).get(docname, [])}
        for erratum in _errata(env).get(docname, []):
            missing = [i for i in erratum["shown_by"] if i not in checked]
            if data.get("succeeded") and missing:
                logger.warning(
                    f'{docname}: the erratum "{erratum["title"]}" is shown by '
                    f"{', '.join(missing)}, which the chapter never checks.",
                    location=docname,
                )
        if data.get("succeeded") and not any(
            r["status"] != "observed" for r in _ledger(env).get(docname, [])
        ):
            logger.warning(
                f"{docname} checks no claim: every chapter tests the post's claims with kexue.claim.",
                location=docname,
            )
    # The table pages read every chapter: re-write them on every build so they are never stale.
    return sorted(_table_pages(env))


# ---------------------------------------------------------------- directives
class CatalogueNode(nodes.General, nodes.Element):
    """Placeholder, replaced by the catalogue table once all documents are known."""


class LedgerNode(nodes.General, nodes.Element):
    """Placeholder, replaced by the claims ledger once all notebooks have executed."""


class SeedStudyNode(nodes.General, nodes.Element):
    """Placeholder, replaced by the seed study's tables for the current chapters."""


class CatalogueDirective(SphinxDirective):
    def run(self):
        _table_pages(self.env).add(self.env.docname)
        return [CatalogueNode()]


class LedgerDirective(SphinxDirective):
    def run(self):
        _table_pages(self.env).add(self.env.docname)
        return [LedgerNode()]


ERRATUM_SOURCES = {
    "post": "the post",
    "code": "the post's code",
    "paper": "a paper the post follows",
}


class ErrataNode(nodes.General, nodes.Element):
    """Placeholder, replaced by the list of every chapter's errata."""


class ErratumDirective(SphinxDirective):
    """An erratum in a chapter:

    :::{erratum} One line: what is wrong, and what is true instead
    :source: post | code | paper
    :shown-by: C9, O2      (the checks that show it; leave out when the chapter argues it)
    The explanation, in markdown.
    :::
    """

    required_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec: ClassVar = {"source": str, "shown-by": str}

    def run(self):
        source = (self.options.get("source") or "").strip()
        if source not in ERRATUM_SOURCES:
            raise self.error(
                f"an erratum needs ':source:' set to one of {', '.join(ERRATUM_SOURCES)} "
                f"(what is wrong: the post's text, its code, or a paper); got {source!r}."
            )
        shown_by = [
            s.strip() for s in self.options.get("shown-by", "").split(",") if s.strip()
        ]
        bad = [s for s in shown_by if not re.fullmatch(r"[CO]\d+[a-z]?", s)]
        if bad:
            raise self.error(
                f"':shown-by:' lists the ids of checks, such as 'C9, O2'; got {', '.join(bad)}."
            )
        errata = _errata(self.env).setdefault(self.env.docname, [])
        target = f"erratum-{len(errata) + 1}"
        box = nodes.admonition(classes=["kexue-erratum", "warning"], ids=[target])
        title = nodes.title(
            text=f"Erratum in {ERRATUM_SOURCES[source]}: {self.arguments[0]}"
        )
        box += title
        self.state.nested_parse(self.content, self.content_offset, box)
        how = (
            f"Shown by {', '.join(shown_by)}."
            if shown_by
            else "Argued in the chapter, not checked by a run."
        )
        box += nodes.paragraph(text=how, classes=["kexue-erratum-how"])
        errata.append(
            {
                "target": target,
                "title": self.arguments[0],
                "source": source,
                "shown_by": shown_by,
            }
        )
        return [box]


class ErrataDirective(SphinxDirective):
    def run(self):
        _table_pages(self.env).add(self.env.docname)
        return [ErrataNode()]


def _errata(env):
    if not hasattr(env, "kexue_errata"):
        env.kexue_errata = {}
    return env.kexue_errata


class SeedStudyDirective(SphinxDirective):
    def run(self):
        _table_pages(self.env).add(self.env.docname)
        return [SeedStudyNode()]


def read_catalogue(path):
    """The catalogue's rows, checked: a clear error names the file and row that is wrong."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != CATALOGUE_COLUMNS:
            raise ValueError(
                f"{path}: the header must be {','.join(CATALOGUE_COLUMNS)}; "
                f"got {','.join(reader.fieldnames or [])}."
            )
        rows = []
        for row in reader:
            if None in row:
                raise ValueError(
                    f"{path}, line {reader.line_num}: too many fields; quote titles that contain commas."
                )
            if not re.fullmatch(r"\d{4}", row["id"] or "") or not all(row.values()):
                raise ValueError(
                    f"{path}, line {reader.line_num}: every field is required and id has 4 digits."
                )
            rows.append(row)
    return rows


def _table(headers, rows, widths):
    table = nodes.table(classes=["colwidths-given", "kexue-table"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    row = nodes.row()
    for name in headers:
        row += nodes.entry("", nodes.paragraph(text=name))
    head += row
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            paragraph = nodes.paragraph()
            paragraph += cell if isinstance(cell, nodes.Node) else nodes.Text(str(cell))
            row += nodes.entry("", paragraph)
        body += row
    return table


def _doc_link(from_doc, to_doc, text):
    link = pending_xref(
        refdoc=from_doc,
        reftarget=posixpath.relpath(to_doc, posixpath.dirname(from_doc)),
        reftype="doc",
        refdomain="std",
        refexplicit=True,
        refwarn=True,
        classes=["xref", "doc"],
    )
    link += nodes.inline(text=text)
    return link


def _chapter_docs(env):
    return {
        m.group(1): d for d in sorted(env.found_docs) if (m := CHAPTER_DOC.fullmatch(d))
    }


def _fmt(value):
    return f"{value:.4g}"


class KexueTables(SphinxPostTransform):
    default_priority = (
        8  # before references are resolved, so our links get resolved too
    )

    def run(self, **kwargs):
        env, here = self.env, self.env.docname
        chapters = _chapter_docs(env)
        for node in list(self.document.findall(CatalogueNode)):
            path = Path(env.srcdir, env.config.kexue_catalogue)
            rows = []
            for post in read_catalogue(path):
                doc = chapters.get(post["id"])
                original = nodes.reference(
                    "",
                    post["original_title"],
                    refuri=f"https://kexue.fm/archives/{post['id']}",
                )
                chapter = _doc_link(here, doc, "read the chapter") if doc else "planned"
                rows.append(
                    [
                        post["part"],
                        post["date"],
                        original,
                        post["english_title"],
                        chapter,
                    ]
                )
            headers = ["Part", "Date", "Original post", "In English", "Chapter"]
            node.replace_self(_table(headers, rows, [6, 12, 32, 34, 16]))
        for node in list(self.document.findall(LedgerNode)):
            node.replace_self(self._ledger_tables(env, here, chapters))
        for node in list(self.document.findall(SeedStudyNode)):
            node.replace_self(self._seed_study(env, here, chapters))
        for node in list(self.document.findall(ErrataNode)):
            node.replace_self(self._errata_list(env, here, chapters))

    def _errata_list(self, env, here, chapters):
        """Per chapter, each erratum linked to its box, what it concerns and how it is shown."""
        out = []
        for post, doc in chapters.items():
            errata = _errata(env).get(doc, [])
            if not errata:
                continue
            section = nodes.section(ids=[f"errata-{post}"])
            title = nodes.title()
            title += _doc_link(here, doc, f"Chapter {post}: {env.titles[doc].astext()}")
            section += title
            items = nodes.bullet_list()
            records = {r["id"]: r for r in _ledger(env).get(doc, [])}
            for erratum in errata:
                paragraph = nodes.paragraph()
                uri = self.app.builder.get_relative_uri(here, doc)
                link = nodes.reference(
                    "",
                    erratum["title"],
                    refuri=f"{uri}#{erratum['target']}",
                    internal=True,
                )
                paragraph += link
                states = {"pass": "passed", "fail": "FAILED", "observed": "observed"}
                shown = [
                    f"{i} ({states[records[i]['status']] if i in records else 'not run'})"
                    for i in erratum["shown_by"]
                ]
                how = f"shown by {', '.join(shown)}" if shown else "argued"
                paragraph += nodes.Text(
                    f" — in {ERRATUM_SOURCES[erratum['source']]}; {how}."
                )
                items += nodes.list_item("", paragraph)
            section += items
            out.append(section)
        if not out:
            out.append(nodes.paragraph(text="No chapter states an erratum yet."))
        return out

    def _seed_study(self, env, here, chapters):
        """Per chapter: the seeds of the study that ran on its current code, and every claim's range."""
        results = study.current_results(env.srcdir, env.config.kexue_seed_study)
        out = []
        for post, doc in chapters.items():
            section = nodes.section(ids=[f"seed-study-{post}"])
            title = nodes.title()
            title += _doc_link(here, doc, f"Chapter {post}")
            section += title
            mine = results.get(post, [])
            if not mine:
                section += nodes.paragraph(
                    text="No seed study was run for this version of the chapter, its helper "
                    "and its pins."
                )
                out.append(section)
                continue
            seeds = sorted(r["seed"] for r in mine)
            times = [r["runtime_s"] for r in mine if r.get("runtime_s") is not None]
            broken = study.failures(mine)
            verdict = (
                "every claim held for every seed."
                if not broken
                else f"{len(broken)} failure(s): " + "; ".join(broken)
            )
            section += nodes.paragraph(
                text=f"Seeds {', '.join(map(str, seeds))}; run time "
                f"{min(times):.0f}–{max(times):.0f} s per seed (while sharing the cores); "
                + verdict
            )
            rows = []
            for row in study.values_by_claim(mine):
                count = len(row["values"])
                passed = (
                    "observed"
                    if row["kind"] == "observation"
                    else f"{count - len(row['failed'])} / {count}"
                )
                rows.append(
                    [
                        row["id"],
                        row["claim"],
                        row["expected"] or "(not asserted)",
                        _fmt(row["low"]),
                        _fmt(row["median"]),
                        _fmt(row["high"]),
                        passed,
                    ]
                )
            section += _table(
                ["Id", "Claim", "Expected", "Min", "Median", "Max", "Passed"],
                rows,
                [7, 43, 14, 9, 9, 9, 9],
            )
            out.append(section)
        return out

    def _ledger_tables(self, env, here, chapters):
        summary, details = [], []
        for post, doc in chapters.items():
            data, records = _exec_data(env, doc), _ledger(env).get(doc, [])
            counts = {
                s: sum(r["status"] == s for r in records)
                for s in ("pass", "fail", "observed")
            }
            runtime = data.get("runtime")
            ran = data.get("succeeded") and not counts["fail"]
            status = "✔ ran" if ran else "✘ FAILED"
            seeds = sorted({r["seed"] for r in records}) or ["-"]
            summary.append(
                [
                    _doc_link(here, doc, post),
                    ", ".join(map(str, seeds)),
                    f"{counts['pass']} / {counts['pass'] + counts['fail']}",
                    counts["observed"],
                    "-" if runtime is None else f"{runtime:.1f}",
                    status,
                ]
            )
            for r in records:
                marks = {"pass": "✔ pass", "fail": "✘ FAIL", "observed": "observed"}
                details.append(
                    [
                        _doc_link(here, doc, post),
                        r["id"],
                        r["claim"],
                        # measured_text keeps an observation's values in the chapter's order
                        r.get("measured_text") or _fmt(r["measured"]),
                        r["expected"] or "(not asserted)",
                        marks[r["status"]],
                    ]
                )
        return [
            _table(
                [
                    "Chapter",
                    "Seed",
                    "Claims passed",
                    "Observations",
                    "Run time (s)",
                    "Status",
                ],
                summary,
                [14, 10, 18, 18, 20, 20],
            ),
            nodes.rubric(text="Every claim and observation"),
            _table(
                ["Chapter", "Id", "Claim", "Measured", "Expected", "Result"],
                details,
                [9, 6, 45, 14, 14, 12],
            ),
        ]


# ---------------------------------------------------------------- offline MathJax and ledger file
def _mathjax_source():
    import jupyter_server_mathjax

    return Path(jupyter_server_mathjax.__file__).parent / "static"


def _configure(app, config):
    # The theme's colour mode follows the reader's system; left empty, its script logs an error.
    config.html_context = {"default_mode": "auto", **config.html_context}
    # MathJax 2 from the jupyter-server-mathjax package: the site renders math with no network.
    # That copy ships the "-full" combined config and only the STIX-Web fonts.
    config.mathjax_path = f"{MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
    config.mathjax3_config = None
    # myst would write a MathJax 3 config, which MathJax 2 misreads as its own.
    config.myst_update_mathjax = False
    config.mathjax2_config = {
        "tex2jax": {
            "inlineMath": [["\\(", "\\)"]],
            "displayMath": [["\\[", "\\]"]],
            # Notebook pages are marked tex2jax_ignore; math and outputs are opted back in by class.
            "processClass": "tex2jax_process|mathjax_process|math|output_area",
        },
        "HTML-CSS": {
            "availableFonts": [],
            "preferredFont": None,
            "webFont": "STIX-Web",
            "imageFont": None,
            # MathJax 2 measures fonts against a blank one loaded from about:blank, which Chromium
            # now refuses with a console error; an empty data: font measures the same.
            "styles": {
                "@font-face": {"font-family": "MathJax_Blank", "src": "url('data:,')"}
            },
        },
        "messageStyle": "none",
    }


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    # Jupyter Book 1 registers some inline scripts twice (thebe, togglebutton); the second copy of
    # `const THEBE_JS_URL` is a JavaScript error on every page.
    unique, seen = [], set()
    for script in context.get("script_files", []):
        name = getattr(script, "filename", script) or ""  # inline scripts: None or ""
        key = (name, tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def _finish(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir, "_static", MATHJAX_DIR)
    if not target.exists():
        shutil.copytree(_mathjax_source(), target)
    Path(app.outdir, "_static", STYLE_FILE).write_text(STYLE, encoding="utf-8")
    chapters = _chapter_docs(app.env)
    ledger = {
        post: {
            "document": doc,
            "runtime_s": _exec_data(app.env, doc).get("runtime"),
            "succeeded": _exec_data(app.env, doc).get("succeeded"),
            "claims": _ledger(app.env).get(doc, []),
        }
        for post, doc in chapters.items()
    }
    Path(app.outdir, "ledger.json").write_text(
        json.dumps(ledger, indent=1), encoding="utf-8"
    )


def _merge_stream_copies():
    """Make myst-nb merge copies of a cell's streams, never the outputs it saves.

    myst-nb 1.4 merges a cell's stdout pieces in place before rendering (`nb_merge_streams`) and then
    writes the same notebook to `jupyter_execute/`: the first stream holds every piece and the later
    pieces remain, so the executed notebook shows their text twice. Rendering a merged copy keeps the
    page as it was and the saved notebook as the kernel sent it.
    """
    import copy

    from myst_nb.core import render

    merge = render.coalesce_streams
    if getattr(merge, "merges_copies", False):
        return

    def merge_copies(outputs):
        return merge(copy.deepcopy(outputs))

    merge_copies.merges_copies = True
    render.coalesce_streams = merge_copies


def setup(app):
    _merge_stream_copies()
    app.add_css_file(STYLE_FILE)
    app.add_config_value("kexue_catalogue", "assets/catalogue.csv", "env")
    app.add_config_value("kexue_seed_study", study.DEFAULT_OUT, "env")
    app.add_config_value("kexue_chapter_budget", 90, "env")
    app.add_node(CatalogueNode)
    app.add_node(LedgerNode)
    app.add_node(SeedStudyNode)
    app.add_node(ErrataNode)
    app.add_directive("kexue-catalogue", CatalogueDirective)
    app.add_directive("kexue-ledger", LedgerDirective)
    app.add_directive("kexue-seed-study", SeedStudyDirective)
    app.add_directive("kexue-errata", ErrataDirective)
    app.add_directive("erratum", ErratumDirective)
    app.add_post_transform(KexueTables)
    app.connect("config-inited", _configure)
    app.connect("doctree-read", _collect)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-updated", _check_chapters)
    app.connect("html-page-context", _drop_duplicate_scripts, priority=900)
    app.connect("build-finished", _finish)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
