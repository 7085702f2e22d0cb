"""Every CSV itcap writes keeps free text from running as a spreadsheet formula (CSV injection)."""

import pandas as pd
import pytest

from assessment.ratings_csv import write_overrides_csv
from itcap.spreadsheet import safe_cell, safe_frame


@pytest.mark.parametrize("text", ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\n=1"])
def test_formula_text_gets_an_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(("text", "written"), [("Fine.\r=cmd|' /C calc'!A0", "Fine.\n=cmd|' /C calc'!A0"),
                                               ("\r=1+1", "'\n=1+1"), ("one\r\ntwo", "one\ntwo")])
def test_a_carriage_return_is_written_as_a_line_feed(text, written):
    """A lone CR is not quoted by the CSV writers (rows end in LF) and would end the row there."""
    assert safe_cell(text) == written


@pytest.mark.parametrize("value", ["Slow logon", "", "<b>x</b>", "a=b", -3, 2.5, None])
def test_everything_else_is_unchanged(value):
    assert safe_cell(value) == value


def test_a_download_table_keeps_numbers_and_defuses_text():
    frame = pd.DataFrame({"comment": ["=HYPERLINK(\"http://x\")", "fine"], "score": [-1.5, 3.0], "n": [-2, 5]})
    safe = safe_frame(frame)
    assert safe["comment"].tolist() == ["'=HYPERLINK(\"http://x\")", "fine"]
    assert safe["score"].tolist() == [-1.5, 3.0] and safe["n"].tolist() == [-2, 5]
    assert frame["comment"][0].startswith("=")  # the caller's frame is not changed


def test_an_override_rationale_is_written_as_text():
    text = write_overrides_csv([("service_desk", 3, "=IMPORTXML(\"http://x\")", "lead", "2026-11-27T10:00:00Z")])
    assert "'=IMPORTXML" in text and ",3," in text


@pytest.mark.parametrize("text", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=1", "plain", "'quoted", "'", "'=x", "''=x"])
def test_reading_back_undoes_the_apostrophe_and_nothing_else(text):
    from itcap.spreadsheet import unescape_cell

    assert unescape_cell(safe_cell(text)) == text


def test_dashboard_csv_downloads_give_numbers_as_people_read_them():
    import pandas as pd

    from itcap.ui.downloads import _csv

    text = _csv(pd.DataFrame({"mean": [3.852999999999999, 0.1 + 0.2], "n": [200, 100], "name": ["=cmd", "ok"]})).decode()
    assert text.splitlines() == ["mean,n,name", "3.853,200,'=cmd", "0.3,100,ok"]


def test_text_longer_than_an_excel_cell_is_cut_visibly_never_silently():
    """XlsxWriter cuts a string of more than 32,767 UTF-16 units (an emoji counts two) and says so only
    in a return value that was ignored. Cut here: the cell ends saying how much, and the cell is named."""
    import io

    from openpyxl import load_workbook

    from itcap.spreadsheet import XLSX_CELL_MAX, write_xlsx_sheets

    def units(text: str) -> int:
        return len(text.encode("utf-16-le")) // 2

    fits, over, emoji = "b" * XLSX_CELL_MAX, "a" * 40_000, "x" + "😀" * (XLSX_CELL_MAX // 2 + 1)  # 32,767 fit; 32,769 not
    buffer = io.BytesIO()
    cut = write_xlsx_sheets([("data", [["id", "comments"], [1, fits], [2, over], [3, emoji]])], buffer, full_text="see the CSV")
    cells = [row[1] for row in load_workbook(buffer)["data"].iter_rows(min_row=2, values_only=True)]
    assert cells[0] == fits
    removed = []
    for written, given in zip(cells[1:], (over, emoji)):
        kept, marker = written.rsplit("… [cut: ", 1)
        removed.append(len(given) - len(kept))
        assert given.startswith(kept) and marker == f"{removed[-1]:,} characters; see the CSV]"
        assert XLSX_CELL_MAX - 100 < units(written) <= XLSX_CELL_MAX  # (never half an emoji: it would not decode)
    assert cut == [
        f"sheet data, cell B3 (column comments): 40,000 characters, more than an Excel cell holds (32,767); the last "
        f"{removed[0]:,} are cut and the cell says so at its end",
        f"sheet data, cell B4 (column comments): 16,385 characters (32,769 as Excel counts them: an emoji counts two), more "
        f"than an Excel cell holds (32,767); the last {removed[1]:,} are cut and the cell says so at its end",
    ]
