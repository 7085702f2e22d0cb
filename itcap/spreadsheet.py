"""CSV cells that a spreadsheet will not run as formulas ("CSV injection").

Excel, LibreOffice and Google Sheets treat a cell that starts with ``=``, ``+``, ``-`` or ``@`` (or a
tab or carriage return before one) as a formula, even in a CSV file: a survey comment such as
``=HYPERLINK("http://…","Click me")`` would become a live link in the analyst's spreadsheet. Every CSV
itcap writes passes its text through :func:`safe_cell`, which puts an apostrophe in front of such
text (the OWASP advice; spreadsheets show the text and hide the apostrophe). Numbers are never
changed, so a negative number stays a number. XLSX exports store text as text and need none of this.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with an apostrophe in front if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) are safe for a CSV download."""
    out = frame.rename(columns=lambda c: safe_cell(c) if isinstance(c, str) else c)
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell)
    return out
