"""Static checks of the real book: notebooks, setup cells, toc, catalogue, citations.

These read files only (no execution), so they run in well under a second and catch the
mistakes a build would report late or not at all.
"""

import csv
import json
import re

import pytest
import yaml
from conftest import ROOT

CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
CHAPTER_NAME = re.compile(r"(\d{4})-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb")
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
SHARED_CATALOGUE = ROOT.parent / "shared" / "CATALOGUE.md"


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell):
    text = cell["source"]
    return text if isinstance(text, str) else "".join(text)


def catalogue_rows():
    with open(ROOT / "assets" / "catalogue.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def chapter_id(path):
    return path.name[:4]


def toc_parts():
    """(caption, [file, ...]) for every part of _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [
        (part["caption"], [entry["file"] for entry in part.get("chapters", [])])
        for part in toc["parts"]
    ]


def part_numeral(caption):
    match = re.match(r"Part ([IVXLC]+):", caption)
    return match.group(1) if match else None


chapter_params = pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)


def test_there_is_at_least_one_chapter():
    """The parametrised checks below would pass vacuously on an empty chapters/."""
    assert CHAPTERS


# ---------------------------------------------------------------- notebooks


@chapter_params
def test_chapter_is_committed_without_outputs(path):
    """Outputs come from the build, never from a stale run on someone's machine."""
    notebook = load(path)
    for number, cell in enumerate(notebook["cells"], start=1):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"{path.name}: cell {number} has outputs"
        assert cell.get("execution_count") is None, (
            f"{path.name}: cell {number} has an execution count"
        )


@chapter_params
def test_chapter_file_name_is_id_and_slug_from_the_catalogue(path):
    """chapters/<id>-<slug>.ipynb: the id links a chapter to its post and its row."""
    assert CHAPTER_NAME.fullmatch(path.name), (
        f"{path.name} should look like 6181-vib-forgetting.ipynb"
    )
    ids = {row["id"] for row in catalogue_rows()}
    assert chapter_id(path) in ids, f"{path.name}: id not in assets/catalogue.csv"


def test_each_post_has_at_most_one_chapter():
    """Two notebooks for one post would both claim its ledger entry."""
    ids = [chapter_id(p) for p in CHAPTERS]
    assert len(ids) == len(set(ids))


@chapter_params
def test_first_code_cell_is_the_setup_cell(path):
    """In Colab the first cell installs kexue from the book's own repository and branch,
    and everywhere it calls kexue.setup with the chapter's own id."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    repository = config["repository"]
    url = f"git+{repository['url']}@{repository['branch']}#subdirectory=kexue"
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    assert code, f"{path.name} has no code cell"
    lines = source(code[0]).splitlines()

    colab = [
        i for i, line in enumerate(lines) if 'if "google.colab" in sys.modules:' in line
    ]
    assert colab, (
        f'{path.name}: no `if "google.colab" in sys.modules:` in the first cell'
    )
    assert any(line.strip() == "import sys" for line in lines[: colab[0]])

    pips = [
        i for i, line in enumerate(lines) if line.strip().startswith("%pip install")
    ]
    assert len(pips) == 1, f"{path.name}: expected one %pip install line"
    pip = lines[pips[0]]
    assert pips[0] > colab[0], (
        f"{path.name}: %pip install must come after the Colab check"
    )
    indent = len(pip) - len(pip.lstrip())
    assert indent > len(lines[colab[0]]) - len(lines[colab[0]].lstrip()), (
        f"{path.name}: %pip install must be inside the Colab check"
    )
    urls = re.findall(r"git\+[^\s\"']+", pip)
    assert urls == [url], f"{path.name}: install URL {urls} does not follow _config.yml"

    setups = [
        i
        for i, line in enumerate(lines)
        if f'kexue.setup("{chapter_id(path)}")' in line
    ]
    assert setups, (
        f'{path.name}: first cell must call kexue.setup("{chapter_id(path)}")'
    )
    assert setups[0] > pips[0]
    assert all(
        i in setups or "kexue.setup(" not in line for i, line in enumerate(lines)
    )


@chapter_params
def test_setup_is_called_only_in_the_first_code_cell(path):
    """A second setup() call would reset the seeds mid-chapter."""
    code = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    for cell in code[1:]:
        assert "kexue.setup(" not in source(cell)


FIGURE_ONLY_EXCEPTIONS = (
    "def ",
    "class ",
    "kexue.claim(",
    "kexue.observe(",
    "kexue.glue(",
    ".fit(",
)


@chapter_params
def test_cells_that_only_draw_a_figure_are_folded(path):
    """A figure-only cell is tagged hide-input, so the figure sits next to its text; model code and
    checks stay visible (a cell that also defines, trains, checks or glues is not figure-only)."""
    for number, cell in enumerate(load(path)["cells"], start=1):
        text = source(cell)
        if cell["cell_type"] != "code" or "plt.show()" not in text:
            continue
        if any(marker in text for marker in FIGURE_ONLY_EXCEPTIONS):
            continue
        assert "hide-input" in cell["metadata"].get("tags", []), (
            f"{path.name}: cell {number} only draws a figure; tag it hide-input"
        )


# ---------------------------------------------------------------- table of contents


@chapter_params
def test_chapter_is_in_the_toc_under_its_catalogue_part(path):
    """With only_build_toc_files, a chapter missing from _toc.yml is never built."""
    part = {row["id"]: row["part"] for row in catalogue_rows()}[chapter_id(path)]
    document = f"chapters/{path.stem}"
    homes = [caption for caption, files in toc_parts() if document in files]
    assert len(homes) == 1, f"{document} appears under {homes} in _toc.yml"
    assert part_numeral(homes[0]) == part, (
        f"{document} is under {homes[0]!r}; the catalogue puts it in part {part}"
    )


def test_every_toc_chapter_file_exists():
    """A toc entry without a notebook is a typo in a slug."""
    for _, files in toc_parts():
        for file in files:
            if file.startswith("chapters/"):
                assert (ROOT / f"{file}.ipynb").exists(), f"{file} is in _toc.yml only"


def test_toc_parts_follow_the_catalogue_order():
    """Part I comes before Part II and so on, each once; the book's parts come first."""
    captions = [caption for caption, _ in toc_parts()]
    numerals = [part_numeral(c) for c in captions]
    numbered = [n for n in numerals if n is not None]
    catalogue_order = list(dict.fromkeys(row["part"] for row in catalogue_rows()))
    assert all(n in catalogue_order for n in numbered)
    positions = [catalogue_order.index(n) for n in numbered]
    assert positions == sorted(set(positions)), f"parts out of order: {numbered}"
    assert numerals[: len(numbered)] == numbered, (
        "unnumbered parts go after the book's parts"
    )


# ---------------------------------------------------------------- catalogue


def test_catalogue_rows_have_exactly_five_fields():
    """An unquoted comma in a title shifts every later column of its row."""
    with open(ROOT / "assets" / "catalogue.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    bad = [(number, row) for number, row in enumerate(rows, start=1) if len(row) != 5]
    assert not bad, f"assets/catalogue.csv rows without exactly 5 fields: {bad}"


def test_catalogue_ids_are_unique_and_fields_well_formed():
    """The id keys chapters and ledger entries; dates and parts are shown as is."""
    rows = catalogue_rows()
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids))
    for row in rows:
        assert re.fullmatch(r"\d{4}", row["id"]), row
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row["date"]), row
        assert row["part"] in ROMAN, row


def shared_catalogue():
    """({numeral: caption}, [(id, part, date, title), ...]) read from CATALOGUE.md."""
    parts, rows, part = {}, [], None
    for line in SHARED_CATALOGUE.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"## (Part ([IVXLC]+): .*)", line)
        if heading:
            part = heading.group(2)
            parts[part] = heading.group(1).strip()
            continue
        if line.startswith("## "):
            part = None
            continue
        if part and re.match(r"\|\s*\d{4}\s*\|", line):
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            post_id, date, title = (
                " ".join(c.replace("\\|", "|").split()) for c in cells[:3]
            )
            rows.append((post_id, part, date, title))
    return parts, rows


needs_shared_catalogue = pytest.mark.skipif(
    not SHARED_CATALOGUE.exists(),
    reason=f"{SHARED_CATALOGUE} is not present (it is in CI, not in every clone)",
)


@needs_shared_catalogue
def test_catalogue_csv_agrees_with_the_shared_catalogue():
    """assets/catalogue.csv copies CATALOGUE.md's parts I-VII: ids, dates, titles."""
    _, expected = shared_catalogue()
    assert len(expected) == 33
    actual = [
        (r["id"], r["part"], r["date"], " ".join((r["original_title"] or "").split()))
        for r in catalogue_rows()
    ]
    assert actual == expected


@needs_shared_catalogue
def test_toc_part_captions_match_the_shared_catalogue():
    """Part captions in _toc.yml are CATALOGUE.md's part headings, word for word."""
    parts, _ = shared_catalogue()
    for caption, _ in toc_parts():
        numeral = part_numeral(caption)
        if numeral is not None:
            assert caption == parts[numeral]


# ---------------------------------------------------------------- citations


def bib_keys():
    text = (ROOT / "assets" / "references.bib").read_text(encoding="utf-8")
    return set(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", text))


@chapter_params
def test_every_cited_key_is_in_the_bibliography(path):
    """An unknown {cite} key is only a warning deep in a long build log."""
    keys = bib_keys()
    for cell in load(path)["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for group in re.findall(r"\{cite(?::[a-z]+)?\}`([^`]*)`", source(cell)):
            for key in group.split(","):
                assert key.strip() in keys, (
                    f"{path.name} cites unknown key {key.strip()!r}"
                )


# ---------------------------------------------------------------- numbers glued from the run

GLUE_ROLE = re.compile(r"\{glue(?::text|:any|:md)?\}`([^`:]+)(?::[^`]*)?`")
GLUE_CALL = re.compile(r"kexue\.glue\(\s*[\"']([A-Za-z][A-Za-z0-9_-]*)[\"']")


@chapter_params
def test_every_glued_name_in_the_prose_is_glued_by_the_code_before_it(path):
    """{glue:text}`name` needs a kexue.glue("name", ...) in an earlier code cell of the chapter.

    The build would stop on a missing name; this says which one, without running anything, and
    keeps the sentence after the cell that measured its number, where a notebook reader expects it.
    """
    glued = set()
    for number, cell in enumerate(load(path)["cells"], start=1):
        text = source(cell)
        if cell["cell_type"] == "code":
            glued.update(GLUE_CALL.findall(text))
            continue
        for name in GLUE_ROLE.findall(text):
            assert name in glued, (
                f"{path.name}: markdown cell {number} shows {{glue:text}}`{name}`, but no code cell "
                f'before it calls kexue.glue("{name}", ...)'
            )


# ---------------------------------------------------------------- errata

ERRATUM_BLOCK = re.compile(
    r"^:::\{erratum\}(.*?)\n(.*?)^:::\s*$", re.DOTALL | re.MULTILINE
)
CHECK_CALL = re.compile(r"kexue\.(?:claim|observe)\(\s*[\"']([CO]\d+[a-z]?)[\"']")


@chapter_params
def test_every_erratum_says_what_it_concerns_and_names_checks_the_chapter_runs(path):
    """The Errata page is built from these boxes: each one must be complete and truthful."""
    cells = load(path)["cells"]
    checks = set()
    for cell in cells:
        if cell["cell_type"] == "code":
            checks.update(CHECK_CALL.findall(source(cell)))
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for title, body in ERRATUM_BLOCK.findall(source(cell)):
            assert title.strip(), f"{path.name}: an erratum without a one-line title"
            options = dict(re.findall(r"^:([a-z-]+):\s*(.*)$", body, re.MULTILINE))
            assert options.get("source") in {"post", "code", "paper"}, (
                f"{path.name}: erratum {title.strip()!r} needs :source: post, code or paper"
            )
            for check in filter(
                None, map(str.strip, options.get("shown-by", "").split(","))
            ):
                assert check in checks, (
                    f"{path.name}: erratum {title.strip()!r} is shown by {check}, "
                    "which no kexue.claim or kexue.observe in the chapter checks"
                )
