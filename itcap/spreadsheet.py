"""CSV cells that a spreadsheet will not run as formulas ("CSV injection").

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula, even in a CSV file: a survey comment such as
``=HYPERLINK("http://…","Click me")`` would become a live link in the analyst's spreadsheet. Every CSV
itcap writes passes its text through :func:`safe_cell`, which puts an apostrophe in front of such
text (the OWASP advice; spreadsheets show the text and hide the apostrophe). Numbers are never
changed, so a negative number stays a number. XLSX exports store text as text and need none of this.

A carriage return inside text is written as a line feed: the CSV writers end rows with ``\n`` and
quote a field holding one, but not a lone ``\r``, which spreadsheets and pandas read as the end of the
row — a comment "Fine.\r=cmd|…" would split its response in two and start a row with a formula.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def _formula_like(text: str) -> bool:
    """Starts like a formula, after any apostrophes: "=x", and also "'=x", whose apostrophe
    :func:`unescape_cell` would otherwise take for ours."""
    return text.lstrip("'").startswith(FORMULA_START)


def safe_cell(value: Any) -> Any:
    """``value`` with its line breaks as ``\n`` and an apostrophe in front if it is text a spreadsheet
    would read as a formula."""
    if isinstance(value, str):
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if _formula_like(value):
            return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """The inverse of :func:`safe_cell`, for CSV files read back (``itcap responses import`` of an
    export): an apostrophe before formula-like text is taken off again, so an export imported again
    holds the same comments."""
    if text.startswith("'") and _formula_like(text[1:]):
        return text[1:]
    return text


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are safe for a CSV download."""
    out = frame.rename(columns=lambda c: safe_cell(c) if isinstance(c, str) else c)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out


# -- XLSX -------------------------------------------------------------------------------------------
# The control characters XML 1.0 (and so XLSX) cannot hold; they are dropped from text.
_NOT_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_CELL_MAX = 32_767  # what an Excel cell holds, counted in UTF-16 units: an emoji counts two


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _cut_marker(cut: int, full_text: str) -> str:
    return f"… [cut: {cut:,} characters; {full_text or 'more than an Excel cell holds'}]"


def _cut_to_cell(text: str, full_text: str) -> tuple[str, int]:
    """``text`` cut to fit a cell, ending with a marker that says how many characters were cut (and
    ``full_text``: where the whole of it is); and that number. XlsxWriter would cut it silently."""
    room = XLSX_CELL_MAX - _utf16_units(_cut_marker(len(text), full_text))  # the marker at its longest
    kept = text.encode("utf-16-le", "surrogatepass")[: 2 * room].decode("utf-16-le", "ignore")  # (never half an emoji)
    cut = len(text) - len(kept)
    return kept + _cut_marker(cut, full_text), cut


def write_xlsx_sheets(sheets: Iterable[tuple[str, Iterable[Iterable[Any]]]], out, *, full_text: str = "",
                      cut: list[str] | None = None) -> list[str]:
    """Write an XLSX workbook to ``out`` (a path or a binary file): one sheet per (name, rows).

    Text is always written as text — a comment starting with ``=`` stays a comment, a URL stays
    plain text — numbers as numbers, ``None`` as an empty cell. XlsxWriter in constant-memory mode
    streams each row to a temporary file: 50,000 responses × 45 columns take a few seconds and
    little memory (openpyxl took 24 s; ``bench/bench_export.py``).

    Text longer than a cell holds (:data:`XLSX_CELL_MAX`) is cut, never silently: the cell ends with
    "… [cut: N characters; ``full_text``]", and the cells cut are returned, each said as "sheet data,
    cell F12 (column comments): …" (the column named by the sheet's first row) — and appended to
    ``cut`` as they are written, so that a later sheet (notes) can list them.
    """
    import xlsxwriter
    from xlsxwriter.utility import xl_col_to_name

    cut = [] if cut is None else cut
    name, header = "", []

    def fitted(r: int, c: int, text: str) -> str:
        """``text`` as it fits in cell (r, c) of the sheet being written."""
        if len(text) <= XLSX_CELL_MAX // 2 or _utf16_units(text) <= XLSX_CELL_MAX:
            return text
        kept, removed = _cut_to_cell(text, full_text)
        column = f" (column {header[c]})" if r and c < len(header) and isinstance(header[c], str) else ""
        units = _utf16_units(text)
        counted = f" ({units:,} as Excel counts them: an emoji counts two)" if units != len(text) else ""
        cut.append(f"sheet {name}, cell {xl_col_to_name(c)}{r + 1}{column}: {len(text):,} characters{counted}, more "
                   f"than an Excel cell holds ({XLSX_CELL_MAX:,}); the last {removed:,} are cut and the cell says so at its end")
        return kept

    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    try:
        for name, rows in sheets:
            sheet = workbook.add_worksheet(name)
            write_string, write_number, write_boolean = sheet.write_string, sheet.write_number, sheet.write_boolean
            header = []
            for r, row in enumerate(rows):
                if r == 0:  # the column names, for a cell that has to be cut
                    row = header = list(row)
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        if value:
                            write_string(r, c, fitted(r, c, _NOT_IN_XLSX.sub("", value)))
                    elif isinstance(value, (bool, np.bool_)):
                        write_boolean(r, c, bool(value))
                    elif isinstance(value, (int, float, np.integer, np.floating)):
                        if math.isfinite(value):
                            write_number(r, c, value)
                    else:  # dates and anything else: as people read them
                        write_string(r, c, fitted(r, c, _NOT_IN_XLSX.sub("", str(value))))
    finally:
        workbook.close()
    return cut
