"""Checks of a post's claims against numbers measured in the same run.

`claim()` compares a measured value with an expectation, shows a pass/fail line in the page, records
the result in the chapter's ledger and raises `ClaimFailed` when the claim does not hold, so that the
book build fails and names it. `observe()` records a number the chapter reports without asserting it
(a claim that does not hold at our scale, or one our seeds cannot settle). `glue()` hands a number
measured in this run to the chapter's prose, so that no measured number is ever typed there.

Every record travels in its output's metadata under the key `LEDGER_KEY`; the book's Sphinx
extension (`kexue.book`) collects them from the executed notebooks into the reproducibility page.
"""

import html
import math
import re
from dataclasses import dataclass
from numbers import Real

import numpy as np

from kexue.runtime import current_chapter, current_seed

LEDGER_KEY = "kexue_claim"
# myst-nb's glue format: a hidden output whose metadata names it; {glue:text}`name` in markdown
# prints its text/plain. Written here so that chapters need no myst-nb in Colab or JupyterLab.
GLUE_KEY = "scrapbook"
GLUE_PREFIX = "application/papermill.record/"

_ledgers = {}  # chapter id -> {claim id -> record}, for the current kernel
_glued = {}  # glue name -> text, for the current kernel


class ClaimFailed(AssertionError):
    """A claim's measured value does not meet its expectation."""


def _number(name, value):
    """A finite float from a Python or NumPy real scalar (or a one-element array)."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(()).item()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"{name} must be a real number; got {type(value).__name__} {value!r}. "
            "Reduce arrays or tensors to one number first (for example with float(...))."
        )
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(
            f"{name} must be finite; got {value}. The computation that produced it diverged."
        )
    return value


def _fmt(x):
    return f"{x:.4g}"


@dataclass(frozen=True)
class Expectation:
    """What a claim expects of its measured value: a bound, an interval, or a target with a tolerance."""

    low: float = -math.inf
    high: float = math.inf
    target: float | None = None
    tolerance: float | None = None
    relative: bool = False

    def holds(self, measured):
        return self.low <= measured <= self.high

    def describe(self):
        if self.target is not None:
            tol = (
                f"{_fmt(self.tolerance * 100)}%"
                if self.relative
                else _fmt(self.tolerance)
            )
            return f"{_fmt(self.target)} ± {tol}"
        if self.low == -math.inf:
            return f"≤ {_fmt(self.high)}"
        if self.high == math.inf:
            return f"≥ {_fmt(self.low)}"
        return f"in [{_fmt(self.low)}, {_fmt(self.high)}]"


def at_most(bound):
    """Expect measured <= bound."""
    return Expectation(high=_number("bound", bound))


def at_least(bound):
    """Expect measured >= bound."""
    return Expectation(low=_number("bound", bound))


def between(low, high):
    """Expect low <= measured <= high."""
    low, high = _number("low", low), _number("high", high)
    if low > high:
        raise ValueError(
            f"between(low, high) needs low <= high; got low={low}, high={high}."
        )
    return Expectation(low=low, high=high)


def close_to(target, *, tol=None, rel=None):
    """Expect |measured - target| <= tol, or <= rel * |target|: give exactly one of tol and rel."""
    target = _number("target", target)
    if (tol is None) == (rel is None):
        raise ValueError(
            "close_to() takes exactly one of tol= (absolute) and rel= (relative)."
        )
    size = _number("tol" if tol is not None else "rel", tol if tol is not None else rel)
    if size <= 0:
        raise ValueError(f"the tolerance must be positive; got {size}.")
    if rel is not None and target == 0:
        raise ValueError(
            "a relative tolerance around target 0 accepts nothing: use tol= instead."
        )
    half_width = size * abs(target) if rel is not None else size
    return Expectation(
        low=target - half_width,
        high=target + half_width,
        target=target,
        tolerance=size,
        relative=rel is not None,
    )


def _check_id(kind, value, letter):
    if not isinstance(value, str) or not re.fullmatch(letter + r"\d+[a-z]?", value):
        raise ValueError(
            f"{kind} ids look like {letter}1, {letter}2 or {letter}3b; got {value!r}."
        )


def _check_text(name, value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty sentence; got {value!r}.")
    return value.strip()


_COLOURS = {"pass": "#e6f4ea", "fail": "#fce8e6", "observed": "#eef2f7"}
_MARKS = {"pass": "✔ passed", "fail": "✘ FAILED", "observed": "● observed"}


def _show(record):
    """Display the record as one readable line, carrying the machine-readable record along."""
    status = record["status"]
    head = f"{record['id']} {_MARKS[status]}: {record['claim']}"
    if status == "observed":
        detail = f"measured {record['measured_text']} (seed {record['seed']})"
        note = record["note"]
    else:
        detail = (
            f"measured {_fmt(record['measured'])}, expected {record['expected']} "
            f"(seed {record['seed']})"
        )
        note = f"Tolerance: {record['why']}"
    text = f"{head}\n    {detail}\n    {note}"
    body = (
        f'<div class="kexue-claim kexue-{status}" style="background:{_COLOURS[status]};'
        f'padding:0.4em 0.7em;border-radius:4px;margin:0.2em 0;">'
        f"<strong>{html.escape(head)}</strong><br>{html.escape(detail)}"
        f'<br><span style="opacity:0.75">{html.escape(note)}</span></div>'
    )
    bundle = {"text/plain": text, "text/html": body}
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: print the readable line
        print(text)
        return
    if get_ipython() is None:
        print(text)
    else:
        display(bundle, raw=True, metadata={LEDGER_KEY: record})


def _record(entry):
    _ledgers.setdefault(entry["chapter"], {})[entry["id"]] = entry
    _show(entry)
    return entry


def claim(claim_id, text, measured, expected, *, why):
    """Check one claim of the post against a measured value.

    claim_id: "C1", "C2", ... as numbered in the chapter's list of claims.
    text:     the claim, in one sentence of our words.
    measured: the number this run produced.
    expected: at_most(b), at_least(b), between(lo, hi) or close_to(target, tol=... | rel=...).
    why:      one line on where the tolerance comes from (seeds tried, Monte Carlo error, ...).

    Shows a pass/fail line, records it (see ledger()), and raises ClaimFailed when the claim does not
    hold. Returns nothing, so that a claim at the end of a cell adds no output of its own.
    """
    _check_id("claim", claim_id, "C")
    text = _check_text("text", text)
    why = _check_text("why", why)
    if not isinstance(expected, Expectation):
        raise TypeError(
            "expected must come from at_most, at_least, between or close_to; "
            f"got {type(expected).__name__}."
        )
    measured = _number("measured", measured)
    chapter = current_chapter()
    passed = expected.holds(measured)
    entry = _record(
        {
            "chapter": chapter,
            "id": claim_id,
            "claim": text,
            "measured": measured,
            "expected": expected.describe(),
            "tolerance": expected.tolerance,
            "why": why,
            "seed": current_seed(),
            "status": "pass" if passed else "fail",
        }
    )
    if not passed:
        raise ClaimFailed(
            f"Claim {claim_id} of chapter {chapter} failed: {text} "
            f"Measured {_fmt(measured)}, expected {expected.describe()} (seed {entry['seed']})."
        )


def observe(observation_id, text, measured, *, note):
    """Record a number the chapter reports but does not assert.

    measured is one number or a dict of named numbers (for example accuracy per setting); note says
    why it is an observation rather than a claim (for example: "3 test images; seeds disagree").
    Returns nothing; the record is in ledger().
    """
    _check_id("observation", observation_id, "O")
    text = _check_text("text", text)
    note = _check_text("note", note)
    if isinstance(measured, dict):
        if not measured:
            raise ValueError("measured must name at least one value.")
        values = {str(k): _number(f"measured[{k!r}]", v) for k, v in measured.items()}
        shown = ", ".join(f"{k}: {_fmt(v)}" for k, v in values.items())
    else:
        values = _number("measured", measured)
        shown = _fmt(values)
    _record(
        {
            "chapter": current_chapter(),
            "id": observation_id,
            "claim": text,
            "measured": values,
            "measured_text": shown,
            "expected": None,
            "tolerance": None,
            "note": note,
            "seed": current_seed(),
            "status": "observed",
        }
    )


def ledger(chapter=None):
    """The records of this kernel's chapter (or of `chapter`), in the order they were checked."""
    chapter = current_chapter() if chapter is None else chapter
    return list(_ledgers.get(chapter, {}).values())


def glue(name, value, fmt=None):
    """Hand a value measured in this run to the chapter's prose.

    In a markdown cell, {glue:text}`name` then shows the value as the book build renders it; in
    Colab or JupyterLab the role stays as written, and the value is in the code cell's variables.
    `value` is a number (formatted with `fmt`, a format spec such as ".3g", ".1%" or ",.0f"; by
    default 4 significant digits) or a string, shown as it is. Returns nothing and shows nothing.
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", name):
        raise ValueError(
            f"glue names are a letter followed by letters, digits, _ or -, such as 'tan2_max'; "
            f"got {name!r}."
        )
    if isinstance(value, str):
        if fmt is not None:
            raise ValueError("fmt= formats numbers; a string is glued as it is.")
        text = value
    else:
        number = _number(f"the value glued as {name!r}", value)
        try:
            text = _fmt(number) if fmt is None else _format_number(number, fmt)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"fmt={fmt!r} is not a format spec for a number ({error}); try '.3g' or '.1%'."
            ) from None
    _glued[name] = text
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        return
    if get_ipython() is not None:
        display(
            {GLUE_PREFIX + "text/plain": text},
            raw=True,
            metadata={GLUE_KEY: {"name": name, "mime_prefix": GLUE_PREFIX}},
        )


def _format_number(number, fmt):
    """format() with a whole number also accepting integer specs such as "d" or ",d"."""
    try:
        return format(number, fmt)
    except ValueError:
        if not float(number).is_integer():
            raise
        return format(int(number), fmt)


def glued():
    """The texts glued in this kernel so far, by name."""
    return dict(_glued)


def records_from_notebook(notebook):
    """The claim records an executed notebook's outputs carry, in order (`notebook`: parsed JSON)."""
    found = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            record = output.get("metadata", {}).get(LEDGER_KEY)
            if record is not None:
                found.append(record)
    return found
