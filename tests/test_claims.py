"""kexue.claims: expectations, claim() and observe(), which every chapter relies on."""

import math

import numpy as np
import pytest
from kexue.claims import (
    ClaimFailed,
    at_least,
    at_most,
    between,
    claim,
    close_to,
    ledger,
    observe,
)

import kexue

RECORD_FIELDS = {
    "chapter",
    "id",
    "claim",
    "measured",
    "expected",
    "tolerance",
    "why",
    "seed",
    "status",
}

# ---------------------------------------------------------------- expectations


@pytest.mark.parametrize(
    ("expectation", "accepted", "rejected"),
    [
        (at_most(0.05), [0.05, 0.0, -1e9], [0.0500001, 1.0]),
        (at_least(0.9), [0.9, 0.95, 1e9], [0.8999999, -1.0]),
        (between(0, 1), [0.0, 0.5, 1.0], [-1e-9, 1.0000001]),
        (close_to(1, tol=0.25), [0.75, 1.0, 1.25], [0.7499999, 1.2500001]),
        (close_to(2, rel=0.25), [1.5, 2.0, 2.5], [1.4999999, 2.5000001]),
        (close_to(-2, rel=0.25), [-2.5, -2.0, -1.5], [-2.5000001, -1.4999999, 1.5]),
    ],
    ids=["at_most", "at_least", "between", "close_to_tol", "close_to_rel", "rel_neg"],
)
def test_expectations_accept_and_reject_including_boundaries(
    expectation, accepted, rejected
):
    """Bounds are inclusive, and a relative tolerance scales with |target|."""
    for value in accepted:
        assert expectation.holds(value), value
    for value in rejected:
        assert not expectation.holds(value), value


@pytest.mark.parametrize(
    ("expectation", "text"),
    [
        (at_most(0.05), "≤ 0.05"),
        (at_least(0.9), "≥ 0.9"),
        (between(0, 1), "in [0, 1]"),
        (close_to(1, tol=0.01), "1 ± 0.01"),
        (close_to(2, rel=0.05), "2 ± 5%"),
        (close_to(0.123456, tol=1e-3), "0.1235 ± 0.001"),
    ],
)
def test_expectations_describe_themselves_readably(expectation, text):
    """The ledger and the failure message show this text to a reader."""
    assert expectation.describe() == text


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda: between(2, 1), ValueError),
        (lambda: close_to(1), ValueError),
        (lambda: close_to(1, tol=0.1, rel=0.1), ValueError),
        (lambda: close_to(1, tol=0), ValueError),
        (lambda: close_to(1, tol=-0.1), ValueError),
        (lambda: close_to(1, rel=0), ValueError),
        (lambda: close_to(0, rel=0.1), ValueError),
        (lambda: at_most(math.nan), ValueError),
        (lambda: at_least(math.inf), ValueError),
        (lambda: between(math.nan, 1), ValueError),
        (lambda: close_to(math.nan, tol=0.1), ValueError),
        (lambda: at_most("0.05"), TypeError),
        (lambda: at_least(True), TypeError),
    ],
    ids=[
        "between_reversed",
        "close_to_neither",
        "close_to_both",
        "tol_zero",
        "tol_negative",
        "rel_zero",
        "rel_around_zero",
        "nan_bound",
        "inf_bound",
        "nan_low",
        "nan_target",
        "string_bound",
        "bool_bound",
    ],
)
def test_invalid_expectations_are_refused(make, error):
    """An expectation that accepts nothing, or everything, is a bug in the chapter."""
    with pytest.raises(error):
        make()


# ---------------------------------------------------------------- claim()


def test_passing_claim_returns_and_records_the_full_record(chapter_9999):
    """The ledger page is built from the recorded fields: all must be present."""
    claim("C1", "Loss is small.", 0.01, at_most(0.05), why="three seeds")
    [record] = ledger()
    assert set(record) == RECORD_FIELDS
    assert record == {
        "chapter": "9999",
        "id": "C1",
        "claim": "Loss is small.",
        "measured": 0.01,
        "expected": "≤ 0.05",
        "tolerance": None,
        "why": "three seeds",
        "seed": 0,
        "status": "pass",
    }
    assert ledger("9999") == [record]


def test_claim_and_observe_return_nothing(chapter_9999):
    """A claim ending a notebook cell must not echo its record as an extra output."""
    assert claim("C1", "One.", 1, at_most(2), why="w") is None
    assert observe("O1", "Two.", 2, note="n") is None


def test_close_to_claim_records_its_tolerance(chapter_9999):
    """A target-with-tolerance claim keeps the tolerance for the ledger."""
    claim("C2", "Mean is one.", 1.004, close_to(1, tol=0.01), why="MC error")
    [record] = ledger()
    assert record["tolerance"] == 0.01
    assert record["expected"] == "1 ± 0.01"


def test_failing_claim_raises_with_a_message_naming_everything(chapter_9999):
    """A failed build says which chapter and claim, what was measured and expected."""
    with pytest.raises(ClaimFailed) as error:
        claim("C3", "Accuracy is high.", 0.5, at_least(0.9), why="five seeds")
    message = str(error.value)
    for part in ("9999", "C3", "Accuracy is high.", "0.5", "≥ 0.9"):
        assert part in message


def test_claim_failed_is_an_assertion_error():
    """Tests and notebooks treat a failed claim like a failed assert."""
    assert issubclass(ClaimFailed, AssertionError)


def test_failing_claim_is_still_in_the_ledger(chapter_9999):
    """The reproducibility page shows failed claims too, not only passing ones."""
    with pytest.raises(ClaimFailed):
        claim("C3", "Accuracy is high.", 0.5, at_least(0.9), why="five seeds")
    [record] = ledger()
    assert record["status"] == "fail"
    assert record["id"] == "C3"
    assert record["measured"] == 0.5


def test_ledger_keeps_claims_in_order_per_chapter(chapter_9999):
    """Records are listed in the order checked, and only for their own chapter."""
    claim("C1", "One.", 1, at_most(2), why="w")
    observe("O1", "Two.", 2, note="n")
    claim("C2", "Three.", 3, at_least(2), why="w")
    assert [r["id"] for r in ledger()] == ["C1", "O1", "C2"]
    assert ledger("1234") == []


@pytest.mark.parametrize(
    "measured",
    [
        0.5,
        1,
        np.float32(0.5),
        np.float64(0.5),
        np.int64(1),
        np.array(0.5),
        np.array([0.5]),
        np.array([[0.5]], dtype=np.float32),
    ],
    ids=["float", "int", "f32", "f64", "i64", "0d", "1elem", "1x1"],
)
def test_claim_accepts_any_real_scalar(chapter_9999, measured):
    """Chapters measure with Python, NumPy or reduced tensors: all become a float."""
    claim("C1", "Small.", measured, at_most(2), why="w")
    [record] = ledger()
    assert type(record["measured"]) is float
    assert record["measured"] == float(np.asarray(measured).reshape(()))


@pytest.mark.parametrize(
    ("measured", "error"),
    [
        (True, TypeError),
        (np.bool_(False), TypeError),
        ("0.5", TypeError),
        (np.array([0.5, 0.6]), TypeError),
        (np.array([]), TypeError),
        ([0.5], TypeError),
        (None, TypeError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (np.float32("-inf"), ValueError),
        (np.array([math.nan]), ValueError),
    ],
    ids=[
        "bool",
        "np_bool",
        "str",
        "array",
        "empty",
        "list",
        "none",
        "nan",
        "inf",
        "np_neginf",
        "nan_array",
    ],
)
def test_claim_rejects_values_that_are_not_one_finite_number(
    chapter_9999, measured, error
):
    """A vector, a flag or a diverged NaN cannot pass or fail a claim meaningfully."""
    with pytest.raises(error):
        claim("C1", "Small.", measured, at_most(2), why="w")
    assert ledger() == []


@pytest.mark.parametrize("claim_id", ["1", "c1", "X1", "", "C", "C1B", "O1", 1])
def test_claim_rejects_malformed_ids(chapter_9999, claim_id):
    """Ids match the chapter's numbered list of claims: C1, C2, C3b."""
    with pytest.raises(ValueError, match="ids look like"):
        claim(claim_id, "Small.", 0.5, at_most(2), why="w")


@pytest.mark.parametrize("claim_id", ["C1", "C12", "C3b"])
def test_claim_accepts_well_formed_ids(chapter_9999, claim_id):
    """Sub-claims such as C3b are allowed."""
    claim(claim_id, "Small.", 0.5, at_most(2), why="w")
    assert [r["id"] for r in ledger()] == [claim_id]


@pytest.mark.parametrize(
    ("text", "why"), [("", "w"), ("   ", "w"), ("Small.", ""), ("Small.", " \n")]
)
def test_claim_requires_text_and_why(chapter_9999, text, why):
    """Every claim says what it checks and where its tolerance comes from."""
    with pytest.raises(ValueError, match="non-empty"):
        claim("C1", text, 0.5, at_most(2), why=why)


def test_claim_requires_an_expectation(chapter_9999):
    """A bare number as expectation is ambiguous (bound? target?): refuse it."""
    with pytest.raises(TypeError, match="at_most"):
        claim("C1", "Small.", 0.5, 2, why="w")


def test_claim_before_setup_raises():
    """Without setup() the claim has no chapter to be filed under."""
    with pytest.raises(RuntimeError, match=r"kexue\.setup"):
        claim("C1", "Small.", 0.5, at_most(2), why="w")


def test_claim_prints_a_readable_line_outside_ipython(chapter_9999, capsys):
    """Run as a script (no IPython), a chapter still shows each check as text."""
    claim("C1", "Loss is small.", 0.01, at_most(0.05), why="three seeds")
    out = capsys.readouterr().out
    assert "C1 ✔ passed: Loss is small." in out
    assert "measured 0.01, expected ≤ 0.05 (seed 0)" in out
    assert "Tolerance: three seeds" in out


def test_failing_claim_prints_failed_before_raising(chapter_9999, capsys):
    """The readable line appears even when the claim raises."""
    with pytest.raises(ClaimFailed):
        claim("C2", "Accuracy is high.", 0.5, at_least(0.9), why="five seeds")
    out = capsys.readouterr().out
    assert "C2 ✘ FAILED: Accuracy is high." in out
    assert "measured 0.5, expected ≥ 0.9" in out


def test_claim_records_the_seed_setup_chose(chapter_9999):
    """The ledger shows which seed produced each number."""
    kexue.runtime._state.update(seed=42)
    claim("C1", "Small.", 0.5, at_most(2), why="w")
    assert ledger()[0]["seed"] == 42


# ---------------------------------------------------------------- observe()


def test_observe_records_one_number(chapter_9999):
    """Observations are numbers shown without asserting anything about them."""
    observe("O1", "Rate at λ=1.", np.float32(0.25), note="one seed only")
    [record] = ledger()
    assert record["status"] == "observed"
    assert record["measured"] == 0.25
    assert record["expected"] is None
    assert record["note"] == "one seed only"
    assert record["chapter"] == "9999"


def test_observe_records_a_dict_of_numbers(chapter_9999, capsys):
    """A sweep is reported as one observation with named values."""
    observe("O2", "Accuracy per λ.", {"0.1": 0.9, 1: np.float64(0.8)}, note="n")
    [record] = ledger()
    assert record["measured"] == {"0.1": 0.9, "1": 0.8}
    assert "0.1: 0.9, 1: 0.8" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"observation_id": "C1"}, ValueError),
        ({"observation_id": "o1"}, ValueError),
        ({"observation_id": ""}, ValueError),
        ({"note": ""}, ValueError),
        ({"note": "  "}, ValueError),
        ({"text": ""}, ValueError),
        ({"measured": {}}, ValueError),
        ({"measured": {"a": math.nan}}, ValueError),
        ({"measured": {"a": "x"}}, TypeError),
        ({"measured": [1.0, 2.0]}, TypeError),
        ({"measured": True}, TypeError),
    ],
)
def test_observe_rejects_bad_input(chapter_9999, kwargs, error):
    """Same hygiene as claim(): O-style ids, a note, finite numbers only."""
    arguments = {"observation_id": "O1", "text": "T.", "measured": 1.0, "note": "n"}
    arguments.update(kwargs)
    with pytest.raises(error):
        observe(
            arguments["observation_id"],
            arguments["text"],
            arguments["measured"],
            note=arguments["note"],
        )


def test_observe_before_setup_raises():
    """Like claims, observations belong to a chapter."""
    with pytest.raises(RuntimeError):
        observe("O1", "T.", 1.0, note="n")


# ---------------------------------------------------------------- glue


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (2 / 3, None, "0.6667"),
        (2 / 3, ".3f", "0.667"),
        (0.0421, ".1%", "4.2%"),
        (1734.9, ",.0f", "1,735"),
        (np.float32(1.5), ".2g", "1.5"),
        (7, None, "7"),
        (12000, ",d", "12,000"),
        (np.int64(42), "d", "42"),
        ("several thousand", None, "several thousand"),
    ],
)
def test_glue_formats_and_stores_the_text(value, fmt, text):
    """The prose gets exactly the text the code formatted, from this run."""
    kexue.glue("measured", value, fmt=fmt)
    assert kexue.glued()["measured"] == text


def test_glue_shows_a_hidden_output_in_myst_nb_format(monkeypatch):
    """Inside a kernel, glue displays a hidden output that myst-nb's {glue:text} role reads."""
    import IPython
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython, "get_ipython", lambda: object())
    monkeypatch.setattr(
        IPython.display, "display", lambda *args, **kwargs: shown.append((args, kwargs))
    )
    kexue.glue("tan2_max", 1734.9, fmt=".3g")
    [(args, kwargs)] = shown
    assert args == ({"application/papermill.record/text/plain": "1.73e+03"},)
    assert kwargs["raw"] is True
    assert kwargs["metadata"] == {
        "scrapbook": {
            "name": "tan2_max",
            "mime_prefix": "application/papermill.record/",
        }
    }


@pytest.mark.parametrize(
    ("name", "value", "fmt", "error", "message"),
    [
        ("2x", 1.0, None, ValueError, "glue names"),
        ("has space", 1.0, None, ValueError, "glue names"),
        ("x", float("nan"), None, ValueError, "finite"),
        ("x", [1.0, 2.0], None, TypeError, "real number"),
        ("x", 1.0, ".3q", ValueError, "format spec"),
        ("x", 1.5, "d", ValueError, "format spec"),
        ("x", "text", ".3f", ValueError, "as it is"),
    ],
)
def test_glue_refuses_bad_names_values_and_formats(name, value, fmt, error, message):
    with pytest.raises(error, match=message):
        kexue.glue(name, value, fmt=fmt)
