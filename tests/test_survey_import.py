"""Importing responses from CSV: every bad case with its line number, all or nothing."""


import numpy as np
import pytest
from sqlalchemy import select

from itcap.storage import session_scope
from surveys.imports import MAX_REPORTED_PROBLEMS, ImportInvalid, import_responses
from surveys.errors import SurveyError
from surveys.tables import Response
from tests.support import unpacked
from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

GOOD = (
    "group,rel1,rel2,rel3,rel4,logon_minutes,par1,itp1,directorate,comments\n"
    "business,4,Agree,strongly DISAGREE,3,5,4,,Finance,Fine\n"
    "IT staff,2,2,2,2,250,1,5,3,\n"
    "it_staff,1,,,,,2,Neither agree nor disagree,,\"two\nlines\"\n"
)


def _import(url, campaign_id, text_or_bytes):
    raw = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    with session_scope() as s:
        return import_responses(s, campaign_id, raw, actor="analyst", where="r.csv")


def _stored(url):
    with session_scope() as s:
        return s.execute(select(Response).order_by(Response.group_id)).scalars().all()


def _problems(url, campaign_id, text):
    with pytest.raises(ImportInvalid) as exc:
        _import(url, campaign_id, text)
    assert _stored(url) == []  # nothing stored
    return exc.value.problems


def test_codes_labels_and_group_names_are_imported(any_db_url):
    campaign_id = make_campaign(any_db_url)
    result = _import(any_db_url, campaign_id, GOOD)
    assert (result.imported, result.by_group, result.flagged) == (3, {"business": 1, "it_staff": 2},
                                                                 {"straightline": 1, "out_of_range": 1})
    rows = _stored(any_db_url)
    business = unpacked(rows[0].answers_json, campaign_id, any_db_url)
    assert business == {"rel1": 4, "rel2": 4, "rel3": 1, "rel4": 3, "logon_minutes": 5, "par1": 4, "directorate": 1,
                        "comments": "Fine"}
    it_rows = [unpacked(r.answers_json, campaign_id, any_db_url) for r in rows[1:]]
    assert {"rel1": 2, "rel2": 2, "rel3": 2, "rel4": 2, "logon_minutes": 250, "par1": 1, "itp1": 5, "directorate": 3} in it_rows
    assert {"rel1": 1, "par1": 2, "itp1": 3, "comments": "two\nlines"} in it_rows
    assert all(r.source == "import" and r.duration_seconds is None and len(r.id) == 32 for r in rows)
    flags = sorted(r.quality_flags for r in rows)
    assert flags == ["", "", "straightline out_of_range"]


def test_html_and_script_are_kept_verbatim(db_url):
    campaign_id = make_campaign(db_url)
    script = '<script>alert(1)</script> =HYPERLINK("x") <b>bold</b>'
    _import(db_url, campaign_id, 'group,rel1,comments\nbusiness,3,"' + script.replace('"', '""') + '"\n')
    assert unpacked(_stored(db_url)[0].answers_json, campaign_id, db_url)["comments"] == script


def test_export_columns_are_ignored_and_bom_and_semicolons_accepted(db_url):
    campaign_id = make_campaign(db_url)
    text = "\ufeffresponse_id;group;source;flags;rel1\nabc;business;web;fast;5\n"
    result = _import(db_url, campaign_id, text)
    assert result.imported == 1 and result.ignored_columns == ["response_id", "source", "flags"]
    (row,) = _stored(db_url)
    assert row.id != "abc" and row.source == "import" and row.quality_flags == ""


def test_a_semicolon_file_reads_decimal_commas_and_keeps_text_as_typed(db_url):
    campaign_id = make_campaign(db_url)
    _import(db_url, campaign_id, "group;rel1;logon_minutes;comments\nbusiness;4;7,5;3,5 stars\nbusiness;2;12;2,5\n")
    answers = sorted((unpacked(r.answers_json, campaign_id, db_url) for r in _stored(db_url)), key=lambda a: a["rel1"])
    assert [(a["logon_minutes"], a["comments"]) for a in answers] == [(12, "2,5"), (7.5, "3,5 stars")]


def test_a_point_grouping_thousands_in_a_semicolon_file_is_refused(db_url):
    campaign_id = make_campaign(db_url)
    assert _problems(db_url, campaign_id, "group;rel1;logon_minutes\nbusiness;4;7,5\nbusiness;2;1.000\n") == [
        "r.csv: line 3, column logon_minutes: '1.000' is ambiguous in a file separated by semicolons, where the decimal "
        "mark is a comma: write 1000 for a point that groups thousands, or 1 for a decimal point"]
    assert _stored(db_url) == []


def test_every_bad_cell_is_reported_with_its_line(any_db_url):
    campaign_id = make_campaign(any_db_url)
    problems = _problems(any_db_url, campaign_id,
        "group,rel1,rel2,logon_minutes,itp1,directorate,comments\n"
        "business,6,Agre,abc,,,\n"          # line 2: out of range, bad label, not a number
        "business,3,,,4,,\n"                # line 3: itp1 is not asked of business
        ",3,,,,,\n"                         # line 4: no group
        "contractors,3,,,,,\n"              # line 5: unknown group
        "business,,,,,Marketing,\n"         # line 6: bad choice label
        "business,,,,,,\n"                  # line 7: no answers → but the whole row is blank except group
        "business,3,4\n"                    # line 8: too few values
        "it_staff,2.5,,,,7,\n")             # line 9: not a code; choice code 7
    assert problems == [
        "r.csv: line 2, column rel1: 6 is outside the scale 1–5",
        "r.csv: line 2, column rel2: 'Agre' is not a label of this item; use a code 1–5 or one of: Strongly disagree; "
        "Disagree; Neither agree nor disagree; Agree; Strongly agree; blank or NA for no answer",
        "r.csv: line 2, column logon_minutes: 'abc' is not a number (blank or NA for no answer)",
        "r.csv: line 3, column itp1: item 'itp1' is not asked of group 'business'",
        "r.csv: line 4: no group given",
        "r.csv: line 5: group 'contractors' is not a group of this instrument (business, it_staff)",
        "r.csv: line 6, column directorate: 'Marketing' is not a label of this item; use a code 1–3 or one of: Finance; Operations; "
        "Digital; blank or NA for no answer",
        "r.csv: line 7: no answers in this row",
        "r.csv: line 8: 3 values, but the header has 7 columns",
        "r.csv: line 9, column rel1: 2.5 is not a code of this item (codes: 1, 2, 3, 4, 5)",
        "r.csv: line 9, column directorate: 7 is not a code of this item (codes: 1, 2, 3)",
    ]


def test_line_numbers_count_multiline_records(db_url):
    campaign_id = make_campaign(db_url)
    problems = _problems(db_url, campaign_id, 'group,rel1,comments\nbusiness,3,"one\ntwo\nthree"\nbusiness,9,\n')
    assert problems == ["r.csv: line 5, column rel1: 9 is outside the scale 1–5"]


def test_header_problems(any_db_url):
    campaign_id = make_campaign(any_db_url)
    problems = _problems(any_db_url, campaign_id, "rel1,rel1,colour,,Timestamp,ip_address\n3,3,red,x,2024-01-01,1.2.3.4\n")
    assert problems[0] == "r.csv: line 1: column 'rel1' appears 2 times"
    assert "r.csv: line 1, column 3: 'colour' is not an item of instrument 'test_perception'" in problems
    assert "r.csv: line 2, column 4: 'x' is in a column with no name; name the column or remove it" in problems
    assert any(p.startswith("r.csv: line 1, column 5: 'Timestamp' is not an item") and "anonymously" in p for p in problems)
    assert any(p.startswith("r.csv: line 1, column 6: 'ip_address'") and "anonymously" in p for p in problems)
    assert "r.csv: line 1: no 'group' column; every row needs the respondent's group (business, it_staff)" in problems


def test_empty_unnamed_columns_a_spreadsheet_leaves_are_skipped(any_db_url):
    """Excel writes its used range: columns after the last named one arrive with no name and no values.
    A value under such a column is reported once, on the first line it is on."""
    campaign_id = make_campaign(any_db_url)
    padded = "\r\n".join(line + ",," for line in GOOD.replace('"two\nlines"', "two").splitlines()) + "\r\n"
    assert _import(any_db_url, campaign_id, padded).imported == 3
    text = "group,rel1,,\nbusiness,3,,\nbusiness,4,,see me\nbusiness,5,,again\n"
    with pytest.raises(ImportInvalid) as exc:
        _import(any_db_url, campaign_id, text)
    assert exc.value.problems == ["r.csv: line 3, column 4: 'see me' is in a column with no name; name the column or remove it"]


def test_missing_group_column(db_url):
    campaign_id = make_campaign(db_url)
    assert _problems(db_url, campaign_id, "rel1,rel2\n3,4\n") == [
        "r.csv: line 1: no 'group' column; every row needs the respondent's group (business, it_staff)"]


@pytest.mark.parametrize("raw, message", [
    (b"", "r.csv: the file is empty"),
    (b"  \n\n", "r.csv: the file is empty"),
    (b"\xef\xbb\xbf\r\n", "r.csv: the file is empty"),  # a byte-order mark and nothing else
    ("group,rel1,comments\nbusiness,3,café\n".encode("latin-1"), "r.csv: line 2: not UTF-8 text (byte 0xe9)"),
    ("group,rel1\n".encode("utf-16"), "r.csv: the file is UTF-16 text"),
    ("group,rel1\nbusiness,3\n".encode("utf-16-le"), "r.csv: the file looks like UTF-16 text (every other byte is zero)"),
    (b"group,rel1\nbusiness,3\nit\x00,4\n", "r.csv: line 3: contains a NUL character"),
    (b"group,rel1\n", "r.csv: no responses in the file (only a header row)"),
])
def test_file_level_problems(db_url, raw, message):
    campaign_id = make_campaign(db_url)
    problems = _problems(db_url, campaign_id, raw)
    assert len(problems) == 1 and problems[0].startswith(message)


def test_too_long_text_is_refused(db_url):
    campaign_id = make_campaign(db_url)
    problems = _problems(db_url, campaign_id, "group,comments\nbusiness," + "x" * 501 + "\n")
    assert problems == ["r.csv: line 2, column comments: the text has 501 characters; this item takes at most 500"]


def test_one_bad_row_among_many_stores_nothing_and_the_list_is_capped(any_db_url):
    campaign_id = make_campaign(any_db_url)
    rows = ["business,3"] * 500 + ["business,7"] * 80 + ["business,4"] * 10
    problems = _problems(any_db_url, campaign_id, "group,rel1\n" + "\n".join(rows) + "\n")
    assert len(problems) == MAX_REPORTED_PROBLEMS + 1
    assert problems[0] == "r.csv: line 502, column rel1: 7 is outside the scale 1–5"
    assert problems[-1] == "… and 30 more problems (80 in all, of 1 kind; the first of each kind are listed)"


def test_a_capped_list_shows_every_kind_of_problem_not_only_the_commonest(db_url):
    """80 out-of-range values in one column first, then a typo'd label and a blank group: all three kinds
    are in the list, in file order."""
    campaign_id = make_campaign(db_url)
    rows = ["business,3,2"] * 5 + ["business,7,2"] * 80 + ["business,3,Agreee", ",3,2"]
    problems = _problems(db_url, campaign_id, "group,rel1,rel2\n" + "\n".join(rows) + "\n")
    assert len(problems) == MAX_REPORTED_PROBLEMS + 1
    assert problems[-1] == "… and 32 more problems (82 in all, of 3 kinds; the first of each kind are listed)"
    assert any(p.startswith("r.csv: line 87, column rel2:") and "Agreee" in p for p in problems)
    assert problems[-2] == "r.csv: line 88: no group given"


def test_many_unknown_header_columns_are_one_kind_of_problem_said_plainly(db_url):
    """10,000 unknown columns were "of 10000 kinds; the first of 50 of them are listed": a header's
    "column 11" is a place, and every unknown column is the same kind of problem."""
    from surveys.imports import ImportInvalid

    campaign_id = make_campaign(db_url)
    header = "group,rel1," + ",".join(f"x{i}" for i in range(120))
    problems = _problems(db_url, campaign_id, header + "\nbusiness,3" + "," * 120 + "\n")
    assert problems[-1] == "… and 70 more problems (120 in all, of 1 kind; the first of each kind are listed)"
    many = ImportInvalid([f"r.csv: line {n}: problem number {'x' * n}" for n in range(2, 1_302)]).problems
    assert many[-1] == ("… and 1,250 more problems (1,300 in all, of 1,300 kinds; the first problem of each of 50 kinds "
                        "is listed)")


def test_blank_rows_are_skipped(db_url):
    campaign_id = make_campaign(db_url)
    assert _import(db_url, campaign_id, "group,rel1\n\nbusiness,3\n,\n\n").imported == 1


@pytest.mark.parametrize("content", ["group\r\nbusiness\r\nit_staff\r\n", "group,response_id\nbusiness,r1\n"])
def test_a_file_with_no_item_column_is_refused_not_stored_as_empty_responses(db_url, content):
    """'group' and nothing else imported two responses with no answers (counted in every rate)."""
    campaign_id = make_campaign(db_url)
    with pytest.raises(ImportInvalid) as refused:
        _import(db_url, campaign_id, content)
    assert "line 1: no item column (the header has 'group'" in str(refused.value) and "e.g. rel1" in str(refused.value)
    with session_scope(db_url) as s:
        assert s.exec(select(Response)).all() == []


def test_add_responses_as_data_for_the_demo(any_db_url):
    from surveys.imports import add_responses
    from surveys.quality import responses_frame

    campaign_id = make_campaign(any_db_url)
    web = [{"group": "business", "answers": {"rel1": 4, "par1": 3}, "duration_seconds": d} for d in (400, 420, 380, 500, 450)]
    web.append({"group": "it_staff", "answers": {"rel1": 2, "rel2": 2, "rel3": 2, "rel4": 2, "itp1": 5, "logon_minutes": 95},
                "duration_seconds": 60})
    with session_scope() as s:
        result = add_responses(s, campaign_id, web, actor="demo", source="web")
    assert result.imported == 6 and result.by_group == {"business": 5, "it_staff": 1}
    assert result.flagged == {"straightline": 1, "out_of_range": 1}
    with session_scope() as s:
        frame = responses_frame(s, campaign_id)
    assert frame.loc[frame["group"] == "it_staff", "flags"].tolist() == ["straightline fast out_of_range"]
    bad = [{"group": "nobody", "answers": {"rel1": 1}}, {"group": "business", "answers": {"itp1": 3, "rel1": 9}},
           {"group": "business", "answers": {}, "duration_seconds": -1}]
    with session_scope() as s, pytest.raises(ImportInvalid) as exc:
        add_responses(s, campaign_id, bad, actor="demo")
    assert exc.value.problems[0].startswith("responses[0]: group 'nobody' is not a group")
    assert "responses[1]: item 'itp1' is not asked of group 'business'" in exc.value.problems
    assert any(p.startswith("responses[1], item rel1: Please choose") for p in exc.value.problems)
    assert "responses[2]: no answers" in exc.value.problems and any("duration_seconds" in p for p in exc.value.problems)
    assert len(_stored(any_db_url)) == 6


def test_a_code_written_another_way_is_the_same_code(db_url):
    """'+4', '4.00' and a full-width '４' are the number 4: taken as code 4, not called out of range."""
    campaign_id = make_campaign(db_url)
    _import(db_url, campaign_id, "group,rel1,rel2,rel3\nbusiness,+4,4.00,４\n")
    (row,) = _stored(db_url)
    assert unpacked(row.answers_json, campaign_id, db_url) == {"rel1": 4, "rel2": 4, "rel3": 4}


def test_an_unclosed_quote_is_refused_at_its_line_not_left_to_swallow_the_rows_after_it(any_db_url):
    """A comment with no closing quote made the rest of the file one comment: 31 respondents lost,
    one imported, exit 0."""
    campaign_id = make_campaign(any_db_url)
    rows = "".join(f"business,{1 + i % 5},\n" for i in range(30))
    problems = _problems(any_db_url, campaign_id, 'group,rel1,comments\nbusiness,3,"he said ""hi\n' + rows)
    assert problems == ["r.csv: line 2: a quoted value starts on this line and its closing quote never comes"]


def test_a_response_id_twice_in_the_file_is_refused(db_url):
    campaign_id = make_campaign(db_url)
    rows = "".join(f"r{i},business,3\n" for i in range(5)) + "r1,business,4\nr1,business,5\n"
    problems = _problems(db_url, campaign_id, "response_id,group,rel1\n" + rows)
    assert problems == ["r.csv: response_id 'r1' appears 3 times (lines 3, 7, 8): each response once"]


def test_a_file_of_another_kind_is_named(db_url):
    campaign_id = make_campaign(db_url)
    problems = _problems(db_url, campaign_id, b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 100)
    assert problems == ["r.csv: the file is an Excel workbook (XLSX) or another ZIP archive, not text; save it as CSV UTF-8"]


CELLS = ["4", "+4", "4.00", " 4 ", "４", "Agree", "agree", "NA", "N/A", "nan", "1_000", "inf", "0x10", "4,5", "abc", "9"]


@pytest.mark.parametrize("cell", CELLS)
def test_analyze_and_import_read_a_cell_alike(db_url, cell):
    """A file 'itcap analyze' reads is imported with the same answers, and what one refuses the other
    refuses: one reading of cells (surveys.csv_text), for a likert and a numeric item."""
    from surveys.analysis_input import AnalysisInputError, read_responses_csv
    from surveys.instrument import parse_instrument
    from tests.survey_testdata import INSTRUMENT_YAML

    instrument = parse_instrument(INSTRUMENT_YAML)
    analysed = ["rel1", "rel2", "rel3", "rel4", "logon_minutes", "par1", "par2", "itp1"]
    for column in ("rel1", "logon_minutes"):
        answers = {item: "3" for item in analysed} | {column: f'"{cell}"'}
        text = "group," + ",".join(analysed) + "\nit_staff," + ",".join(answers[i] for i in analysed) + "\n"
        try:
            table = read_responses_csv(text, instrument, "group", where="r.csv")
            value = table.frame[column].iloc[0]
            analysed_as = None if np.isnan(value) else float(value)
            analysed_ok = True
        except AnalysisInputError:
            analysed_ok, analysed_as = False, None
        campaign_id = make_campaign(db_url)
        try:
            _import(db_url, campaign_id, text)
            imported_ok = True
        except ImportInvalid:
            imported_ok = False
        assert analysed_ok == imported_ok, f"{cell!r} in {column}: analyze {analysed_ok}, import {imported_ok}"
        if imported_ok:
            with session_scope() as s:
                (row,) = s.execute(select(Response).where(Response.campaign_id == campaign_id)).scalars().all()
                stored = unpacked(row.answers_json, campaign_id, db_url).get(column)
            assert (None if stored is None else float(stored)) == analysed_as, f"{cell!r} in {column}"


def _varied_rows(n: int, seed: int) -> str:
    import random

    rng = random.Random(seed)
    return "".join(f"{rng.choice(['business', 'it_staff'])},{rng.randint(1, 5)},{rng.randint(1, 5)},{rng.randint(1, 5)},"
                   f"{rng.randint(1, 5)},{rng.randint(0, 30)},{rng.randint(1, 5)},{rng.choice(['', 'ok', 'slow'])}\n"
                   for _ in range(n))


VARIED_HEADER = "group,rel1,rel2,rel3,rel4,logon_minutes,par1,comments\n"


def test_the_dashboards_export_imported_into_its_own_campaign_is_refused(any_db_url):
    """That export has no response ids (shuffled rows, comments listed apart): recognised by its
    answers, as it would count every response twice."""
    from surveys.exports import export_bytes, prepare_export

    campaign_id = make_campaign(any_db_url, comment_threshold=100)
    _import(any_db_url, campaign_id, VARIED_HEADER + _varied_rows(40, seed=1))
    with session_scope() as s:
        exported = export_bytes(prepare_export(s, campaign_id, privileged=False), "csv")
    assert b"response_id" not in exported and b"slow" not in exported  # (what makes it hard to recognise)
    with pytest.raises(ImportInvalid) as exc:
        _import(any_db_url, campaign_id, exported)
    (problem,) = exc.value.problems
    assert problem.startswith("r.csv: 40 of the file's 40 rows give exactly the answers of responses this campaign already holds")
    assert len(_stored(any_db_url)) == 40
    other = make_campaign(any_db_url)
    assert _import(any_db_url, other, exported).imported == 40  # into another campaign: its own data


LONG_SURVEY = INSTRUMENT_YAML.replace("id: test_perception", "id: test_long", 1).replace(
    "  - id: practice\n", "  - id: more\n    title: More\n    items:\n" + "".join(
        f"      - {{id: m{i}, type: likert, text: Statement {i}., response_scale: agree5, scale: reliability}}\n"
        for i in range(1, 9)) + "  - id: practice\n", 1)
LONG_HEADER = "group,rel1,rel2,rel3,rel4,logon_minutes,par1,par2," + ",".join(f"m{i}" for i in range(1, 9)) + "\n"


def _paper_forms(n: int, seed: int) -> list[str]:
    """Rows of the 16-answer survey (15 rated, one number), as different people fill them in."""
    import random

    rng = random.Random(seed)
    return [",".join(["business", *(str(rng.randint(1, 5)) for _ in range(4)), str(rng.randint(0, 30)),
                      *(str(rng.randint(1, 5)) for _ in range(10))]) + "\n" for _ in range(n)]


def test_a_second_batch_that_overlaps_the_first_is_refused_with_the_lines_counted_twice(db_url):
    """14 forms of the first batch scanned again among 40 new ones: too few for "a file already
    imported", but 16 identical answers are one person, not two who answered alike."""
    campaign_id = make_campaign(db_url, yaml=LONG_SURVEY)
    first = _paper_forms(30, seed=5)
    _import(db_url, campaign_id, LONG_HEADER + "".join(first))
    second = _paper_forms(40, seed=6)
    second[3:3] = first[:14]  # lines 5–18 of the second file
    with pytest.raises(ImportInvalid) as exc:
        _import(db_url, campaign_id, LONG_HEADER + "".join(second))
    assert exc.value.problems[0] == ("r.csv: 14 rows (lines 5, 6, 7, 8, 9 …) give exactly the answers of a response this "
                                     "campaign already holds (every rated and numeric answer, 10 or more of them)")
    assert "--allow-repeats" in exc.value.problems[-1]
    assert len(_stored(db_url)) == 30
    with session_scope() as s:
        assert import_responses(s, campaign_id, (LONG_HEADER + "".join(second)).encode(), actor="analyst",
                                where="r.csv", allow_repeats=True).imported == 54


def test_a_form_entered_twice_in_one_file_is_refused(db_url):
    campaign_id = make_campaign(db_url, yaml=LONG_SURVEY)
    forms = _paper_forms(6, seed=8)
    forms.append(forms[1])
    problems = _problems(db_url, campaign_id, LONG_HEADER + "".join(forms))
    assert problems[0] == "r.csv: 1 row repeats an earlier row of the file answer for answer (line 8 repeats 3)"


def test_answers_that_coincide_by_chance_are_not_taken_for_repeats(db_url):
    """The same answer throughout (straight-lining), or fewer than 10 answers, coincide by chance."""
    campaign_id = make_campaign(db_url, yaml=LONG_SURVEY)
    straight = "business," + ",".join(["3"] * 4) + ",5," + ",".join(["3"] * 10) + "\n"
    few = "business,4,2,5,1" + "," * 11 + "\n"  # four answers
    _import(db_url, campaign_id, LONG_HEADER + straight + few)
    assert _import(db_url, campaign_id, LONG_HEADER + straight * 2 + few * 2).imported == 4


def test_the_same_paper_file_imported_twice_is_said_to_be_one_already_imported(db_url):
    campaign_id = make_campaign(db_url)
    paper = VARIED_HEADER + _varied_rows(20, seed=4)
    _import(db_url, campaign_id, paper)
    with pytest.raises(ImportInvalid) as exc:
        _import(db_url, campaign_id, paper)
    assert "this looks like a file already imported, or an export of the campaign" in exc.value.problems[0]
    assert len(_stored(db_url)) == 20


def test_a_few_answers_like_stored_ones_are_not_taken_for_an_export(db_url):
    campaign_id = make_campaign(db_url)
    first = _varied_rows(40, seed=2)
    _import(db_url, campaign_id, VARIED_HEADER + first)
    again = "".join(first.splitlines(keepends=True)[:9]) + _varied_rows(30, seed=3)  # 9 coincide
    assert _import(db_url, campaign_id, VARIED_HEADER + again).imported == 39


def test_a_code_wins_over_a_label_that_reads_as_another_code():
    """Instruments stored before the checks refused such labels still import what an export wrote:
    the codes (the label "1" of code 2 must not turn every code 1 into a 2)."""
    from surveys.imports import _Column
    from surveys.instrument import parse_instrument
    from tests.survey_testdata import INSTRUMENT_YAML

    instrument = parse_instrument(INSTRUMENT_YAML)
    item = instrument.item("directorate")
    legacy = item.model_copy(update={"options": [o.model_copy(update={"label": str(o.code - 1)}) for o in item.options]})
    column = _Column(instrument, legacy, "directorate")
    assert [column.parse(cell)[0] for cell in ("1", "2", "3", "1.0")] == [1, 2, 3, 1]


def test_an_import_the_campaign_closed_under_is_refused_and_stores_nothing(any_db_url, monkeypatch):
    """The close lands while the file is being read (a 60,000-row file takes seconds): the import
    must not add rows to a campaign closed — and anonymised — under it."""
    from surveys import campaigns, imports

    campaign_id = make_campaign(any_db_url)
    parse = imports._parse

    def parse_then_close(*args, **kwargs):
        parsed = parse(*args, **kwargs)
        with session_scope() as other:
            campaigns.close_campaign(other, campaign_id, "admin")
        return parsed

    monkeypatch.setattr(imports, "_parse", parse_then_close)
    with pytest.raises(SurveyError, match=f"campaign {campaign_id} \\(Test campaign\\) is closed: it takes no more responses"):
        _import(any_db_url, campaign_id, GOOD)
    assert _stored(any_db_url) == []


def test_two_imports_of_one_file_at_once_store_it_once(any_db_url, monkeypatch):
    """The second import waits for the first and then finds its rows, as it does one after the other."""
    import threading

    from surveys import imports

    campaign_id = make_campaign(any_db_url)
    header, *rows = GOOD.splitlines(keepends=True)
    rows = [rows[0], rows[1], "".join(rows[2:])]  # (the last row's comment runs over two lines)
    file = header + "".join(rows * (imports.SAME_ANSWERS_MIN_ROWS // 3 + 1))  # big enough to be recognised
    check = imports._refuse_answers_already_stored
    outcome: dict = {}

    def second_import() -> None:
        try:
            outcome["imported"] = _import(any_db_url, campaign_id, file).imported
        except ImportInvalid as exc:
            outcome["refused"] = exc.problems

    worker = threading.Thread(target=second_import)

    def check_then_start_the_second(*args, **kwargs):
        check(*args, **kwargs)
        if not worker.is_alive() and "started" not in outcome:  # only from the first import
            outcome["started"] = True
            worker.start()
            worker.join(timeout=2)  # the second must now wait for this one (it would otherwise pass its check)

    monkeypatch.setattr(imports, "_refuse_answers_already_stored", check_then_start_the_second)
    first = _import(any_db_url, campaign_id, file).imported
    worker.join(timeout=60)
    assert "imported" not in outcome, "both imports were stored"
    assert any("already holds" in p for p in outcome["refused"])
    assert len(_stored(any_db_url)) == first


def test_a_mistyped_group_or_column_is_matched_to_what_was_probably_meant(db_url):
    campaign_id = make_campaign(db_url)
    problems = _problems(db_url, campaign_id, "group,rel_1,par1\nBusness,3,4\nIT staf,2,2\n")
    assert "r.csv: line 1, column 2: 'rel_1' is not an item of instrument 'test_perception' (did you mean 'rel1'?)" in problems
    assert ("r.csv: line 2: group 'Busness' is not a group of this instrument (business, it_staff) "
            "(did you mean 'business'?)") in problems
    assert ("r.csv: line 3: group 'IT staf' is not a group of this instrument (business, it_staff) "
            "(did you mean 'IT staff'?)") in problems


def test_missing_answers_in_the_spellings_tools_write_and_numbers_no_answer_can_be(db_url):
    """R and pandas write NA, SPSS and spreadsheets #N/A or n/a, databases NULL: all no answer. A
    number too large for a float is said to be one, not "not a label"."""
    campaign_id = make_campaign(db_url)
    spellings = ["na", "n/a", "NAN", "#N/A", "NULL", "null"]
    rows = "".join(f"business,{s},4,{s}\n" for s in spellings)
    assert _import(db_url, campaign_id, "group,rel1,par1,logon_minutes\n" + rows).imported == len(spellings)
    assert all(unpacked(r.answers_json, campaign_id, db_url).get("rel1") is None for r in _stored(db_url))
    with pytest.raises(ImportInvalid) as exc:
        _import(db_url, campaign_id, "group,rel1,par1,logon_minutes\nbusiness,1e400,4,inf\n")
    assert exc.value.problems == ["r.csv: line 2, column rel1: '1e400' is not a finite number; use a code 1–5",
                        "r.csv: line 2, column logon_minutes: 'inf' is not a finite number"]


def test_excel_s_separator_hint_line_is_named_not_read_as_the_header(db_url):
    campaign_id = make_campaign(db_url)
    problems = _problems(db_url, campaign_id, "sep=;\ngroup;rel1;par1\nbusiness;4;3\n")
    assert problems == ["r.csv: line 1: 'sep=;' is Excel's separator hint, not the header row: delete that line "
                        "(the separator is recognised from the header)"]


def test_a_row_of_one_value_is_said_in_the_singular(db_url):
    campaign_id = make_campaign(db_url)
    assert _problems(db_url, campaign_id, "group,rel1\nbusiness\n") == ["r.csv: line 2: 1 value, but the header has 2 columns"]
