"""kexue.book without running Sphinx: the catalogue reader and the record reader."""

import json

import nbformat
import pytest
from kexue.book import CATALOGUE_COLUMNS, read_catalogue
from kexue.claims import LEDGER_KEY, records_from_notebook

HEADER = ",".join(CATALOGUE_COLUMNS)
GOOD_ROW = '6181,I,2018-11-27,原题,"An English title, with a comma"'


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- read_catalogue


def test_read_catalogue_reads_all_33_posts_of_the_real_catalogue(root):
    """The intro's catalogue table lists the 33 posts of parts I to VII."""
    rows = read_catalogue(root / "assets" / "catalogue.csv")
    assert len(rows) == 33


def test_read_catalogue_reads_a_good_file(tmp_path):
    """Quoted fields with commas come back whole."""
    path = write(tmp_path / "c.csv", f"{HEADER}\n{GOOD_ROW}\n")
    [row] = read_catalogue(path)
    assert row["english_title"] == "An English title, with a comma"
    assert row["id"] == "6181"


def test_read_catalogue_rejects_a_wrong_header_naming_the_file(tmp_path):
    """A renamed column would silently empty the table: refuse it and say where."""
    path = write(tmp_path / "c.csv", f"id,part,date,title,english_title\n{GOOD_ROW}\n")
    with pytest.raises(ValueError) as error:
        read_catalogue(path)
    assert str(path) in str(error.value)
    assert HEADER in str(error.value)


@pytest.mark.parametrize(
    "bad_row",
    [
        "6181,I,2018-11-27,原题",  # a field missing
        "6181,I,,原题,Title",  # a field empty
        "618,I,2018-11-27,原题,Title",  # id of three digits
    ],
)
def test_read_catalogue_rejects_a_bad_row_naming_file_and_line(tmp_path, bad_row):
    """The error points the author to the exact line to fix."""
    path = write(tmp_path / "c.csv", f"{HEADER}\n{GOOD_ROW}\n{bad_row}\n")
    with pytest.raises(ValueError) as error:
        read_catalogue(path)
    assert str(path) in str(error.value)
    assert "line 3" in str(error.value)


def test_read_catalogue_rejects_a_row_with_too_many_fields(tmp_path):
    """An unquoted comma in a title shifts the columns: the row must be refused."""
    path = write(
        tmp_path / "c.csv",
        f"{HEADER}\n{GOOD_ROW}\n6784,VII,2019-07-06,前半,后半,Title\n",
    )
    with pytest.raises(ValueError) as error:
        read_catalogue(path)
    assert str(path) in str(error.value)
    assert "line 3" in str(error.value)


# ---------------------------------------------------------------- records_from_notebook


def test_records_from_notebook_reads_the_ledger_metadata_in_order(tmp_path):
    """The ledger page is built from exactly these records, in the chapter's order."""
    first = {"chapter": "9999", "id": "C1", "status": "pass"}
    second = {"chapter": "9999", "id": "O1", "status": "observed"}
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell(
            "x = 1",
            outputs=[
                nbformat.v4.new_output("stream", name="stdout", text="unrelated\n"),
                nbformat.v4.new_output(
                    "display_data",
                    data={"text/plain": "C1 passed"},
                    metadata={LEDGER_KEY: first},
                ),
            ],
        ),
        nbformat.v4.new_code_cell(
            "y = 2",
            outputs=[
                nbformat.v4.new_output(
                    "display_data", data={"text/plain": "other"}, metadata={"x": 1}
                ),
                nbformat.v4.new_output(
                    "display_data",
                    data={"text/plain": "O1 observed"},
                    metadata={LEDGER_KEY: second},
                ),
            ],
        ),
    ]
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)  # read back as the build reads it: plain JSON
    assert records_from_notebook(json.loads(path.read_text("utf-8"))) == [first, second]


def test_records_from_notebook_without_outputs_is_empty():
    """An unexecuted chapter carries no records (the build then warns: no claim)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    assert records_from_notebook(json.loads(json.dumps(nb))) == []
