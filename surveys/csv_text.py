"""How a responses CSV is read, the same for ``itcap analyze`` and for imports: its separator, its
quoting, and what counts as a number in a cell.

One reading for both, so that a file ``analyze`` accepts imports with the same values, and the
other way round.
"""

from __future__ import annotations

import csv
import re
import unicodedata

from itcap.validation import did_you_mean  # noqa: F401  (the readers' suggestion, shared with the YAML checks)

SEPARATORS = (",", ";", "\t")
# A number or code not given: the blank cell, and what R, pandas, SPSS exports, databases and
# spreadsheets write for it, in the spellings they use (exact: a label "None" of an option stays one).
MISSING_TOKENS = ("", "NA", "na", "N/A", "n/a", "NaN", "nan", "NAN", "#N/A", "NULL", "null")
MISSING_HINT = "blank or NA for no answer"


def separator(text: str) -> str:
    """The file's separator, from its header line: a comma if it has one, else ``;`` or a tab —
    whichever it holds (spreadsheets in many locales save CSV with ``;``)."""
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in SEPARATORS}
    if counts[","] or not max(counts.values()):
        return ","
    return max(counts, key=counts.get)


_SEPARATOR_HINT = re.compile(r"\ufeff?sep=(.)?\s*", re.IGNORECASE)


def width_problem(values: int, columns: int) -> str:
    """A row with another number of values than the header has columns, in words."""
    return (f"{values} value{'' if values == 1 else 's'}, but the header has {columns} "
            f"column{'' if columns == 1 else 's'}")


def separator_hint_problem(text: str) -> str | None:
    """"line 1: …" when the file starts with Excel's ``sep=;`` line, which is no header: read as one,
    every row was "50 values, but the header has 2 columns" and nothing said why."""
    first = text.split("\n", 1)[0].rstrip("\r")
    if not _SEPARATOR_HINT.fullmatch(first):
        return None
    return (f"line 1: {first.lstrip(chr(0xFEFF))!r} is Excel's separator hint, not the header row: delete that line "
            "(the separator is recognised from the header)")


_DECIMAL_COMMA = re.compile(r"([+-]?\d+),(\d+)")


def decimal_comma_to_point(cell: str) -> str:
    """``"5,9"`` → ``"5.9"``; any other cell as it is. For ``;``-separated files: a spreadsheet
    saves CSV with ``;`` exactly where the comma is the decimal mark (most of Europe), so there
    "5,9" is five point nine (and a comma never separates thousands)."""
    match = _DECIMAL_COMMA.fullmatch(cell.strip())
    return f"{match[1]}.{match[2]}" if match else cell


_THOUSANDS_POINT = re.compile(r"[+-]?[1-9]\d{0,2}\.\d{3}")


def thousands_point_problem(cell: str) -> str | None:
    """For ``;``-separated files, whose decimal mark is the comma: "1.000" there is as likely one
    thousand (a point grouping thousands, as those spreadsheets display it) as one, so it is refused
    with what to write, never read as 1. "1.5" (no group of three digits) is read as one and a half."""
    text = cell.strip()
    if not _THOUSANDS_POINT.fullmatch(text):
        return None
    thousands = text.replace(".", "")
    decimal = f"{float(text):g}".replace(".", ",")
    return (f"{shown_cell(cell)} is ambiguous in a file separated by semicolons, where the decimal mark is a comma: "
            f"write {thousands} for a point that groups thousands, or {decimal} for a decimal point")


def shown_cell(cell: str, limit: int = 40) -> str:
    """A cell as quoted in a message: in full if short, else its start."""
    return repr(cell) if len(cell) <= limit else repr(cell[:limit]) + f"… ({len(cell):,} characters)"


def quote_problem(exc: csv.Error) -> str:
    """What a strict CSV reader's error means, in the words a person fixing the file needs."""
    if "unexpected end of data" in str(exc):
        return "a quoted value starts on this line and its closing quote never comes"
    if "field larger than field limit" in str(exc):  # csv.field_size_limit(): 131,072 characters by default
        return (f"a value is longer than {csv.field_size_limit():,} characters: no answer or comment is that long "
                "(a quote left open would run on to the end of the file)")
    return f"a value that contains a quote (\") must be quoted as a whole, with the quote doubled ({exc})"


def parse_number(cell: str) -> float | None:
    """The number a cell holds, or None. Accepts what a person types or a spreadsheet writes:
    ``4``, ``+4``, ``4.00``, ``1e3``, full-width digits (``４``, from East Asian input methods).
    Refuses what is only a number to Python: ``1_000`` (a digit separator), ``inf`` and ``nan``
    (missing answers are blank cells)."""
    text = unicodedata.normalize("NFKC", cell).strip()
    if not text or "_" in text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def not_finite(cell: str) -> bool:
    """A cell Python reads as infinite or not-a-number (``1e400``, ``inf``, ``-Infinity``): a number,
    but none an answer can be — said as such, not as "not a label"."""
    try:
        number = float(unicodedata.normalize("NFKC", cell).strip())
    except ValueError:
        return False
    return number != number or number in (float("inf"), float("-inf"))
