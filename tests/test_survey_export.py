"""Exports: CSV, XLSX and SPSS read back; the reporting threshold for non-privileged exports."""

import csv
import io

import pyreadstat
import pytest
from openpyxl import load_workbook

from sqlmodel import select

from itcap.storage import session_scope
from surveys.exports import export_bytes, prepare_export, write_export
from surveys.imports import import_responses
from surveys.tables import Response
from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

THREE_GROUPS = INSTRUMENT_YAML.replace("id: test_perception", "id: test_three", 1).replace(
    "  - {id: it_staff, name: IT staff}\n", "  - {id: it_staff, name: IT staff}\n  - {id: contractors, name: Contractors}\n")

HEADER = "group,rel1,rel2,rel3,rel4,logon_minutes,par1,itp1,directorate,comments\n"
ROWS = [  # six business users, four IT staff; k = 3, comment threshold 3
    "business,5,4,2,4,5,4,,1,=HYPERLINK(\"http://evil\")",
    "business,4,4,2,3,10,3,,1,<b>Good</b>",
    "business,3,3,2,3,15,2,,1,Slow logon",
    "business,4,2,2,4,7.5,4,,2,",
    "business,2,2,2,2,30,2,,2,",  # straightline in section 1
    "business,5,5,1,5,3,5,,3,",
    "it_staff,3,4,2,4,2,3,4,1,Short",
    "it_staff,4,4,3,4,2,4,5,1,",
    "it_staff,2,3,4,3,4,3,4,1,",
    "it_staff,5,4,1,4,1,4,5,1,",
]


def _campaign(url, rows=ROWS, yaml=INSTRUMENT_YAML, k=3, comments=3):
    campaign_id = make_campaign(url, min_group_size=k, comment_threshold=comments, yaml=yaml)
    with session_scope() as s:
        import_responses(s, campaign_id, (HEADER + "\n".join(rows) + "\n").encode(), actor="t", where="seed.csv")
    return campaign_id


def _closed(campaign_id):
    """Closed: the dashboard's and the report's comments then come from every response (while it is
    open, from the released ones only: test_comments_of_an_open_campaign_are_those_of_its_figures)."""
    from surveys.campaigns import close_campaign

    with session_scope() as s:
        close_campaign(s, campaign_id, "t")
    return campaign_id


def _csv(data):
    return list(csv.DictReader(io.StringIO(export_bytes(data, "csv").decode("utf-8"))))


def test_privileged_csv_has_every_response_and_item_codes(any_db_url):
    campaign_id = _campaign(any_db_url)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=True)
    rows = _csv(data)
    assert list(rows[0]) == ["response_id", "group", "source", "flags", "rel1", "rel2", "rel3", "rel4", "logon_minutes",
                             "par1", "par2", "itp1", "directorate", "comments"]
    assert len(rows) == 10 and [r["group"] for r in rows] == ["business"] * 6 + ["it_staff"] * 4
    first = next(r for r in rows if r["comments"] == "<b>Good</b>")
    assert (first["rel1"], first["logon_minutes"], first["directorate"], first["itp1"], first["source"]) == ("4", "10", "1", "", "import")
    assert {r["logon_minutes"] for r in rows} >= {"7.5"}
    assert sum(r["flags"] == "straightline" for r in rows) == 1


def test_csv_text_a_spreadsheet_would_run_as_a_formula_is_written_as_text(db_url):
    """A comment "=HYPERLINK(...)" gets an apostrophe in front (CSV injection); numbers stay numbers."""
    campaign_id = _campaign(db_url)
    with session_scope() as s:
        rows = _csv(prepare_export(s, campaign_id, privileged=True))
    comments = [r["comments"] for r in rows]
    assert "'=HYPERLINK(\"http://evil\")" in comments and "=HYPERLINK(\"http://evil\")" not in comments
    assert "<b>Good</b>" in comments  # other text unchanged
    assert {r["logon_minutes"] for r in rows} >= {"5", "7.5"}


@pytest.mark.parametrize("comment", ["Fine overall.\r=cmd|' /C calc'!A0", "\r=1+1", "two\r\nlines"])
def test_a_carriage_return_in_a_comment_keeps_the_response_one_csv_row_that_starts_no_formula(db_url, comment):
    campaign_id = _campaign(db_url, rows=[*ROWS[1:], ROWS[0].rsplit(",", 1)[0] + ',"' + comment + '"'])
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=True)
    text = export_bytes(data, "csv").decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == 11 and all(len(row) == len(rows[0]) for row in rows)
    assert not any(cell.startswith("=") for row in rows for cell in row)
    import pandas as pd

    assert len(pd.read_csv(io.StringIO(text), dtype=str)) == 10  # as an analyst's pandas reads it


def test_xlsx_has_data_codebook_and_notes_and_no_formulas(db_url, tmp_path):
    campaign_id = _campaign(db_url)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=True)
    write_export(data, "xlsx", tmp_path / "out.xlsx")
    book = load_workbook(tmp_path / "out.xlsx")
    assert book.sheetnames == ["data", "codebook", "notes"]
    data_rows = list(book["data"].iter_rows(values_only=True))
    assert data_rows[0][:4] == ("response_id", "group", "source", "flags") and len(data_rows) == 11
    cells = [c for row in book["data"].iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")]
    assert cells and all(c.data_type == "s" for c in cells)
    codebook = {row[0]: row for row in book["codebook"].iter_rows(values_only=True)}
    header = codebook["variable"]
    rel3 = dict(zip(header, codebook["rel3"]))
    assert (rel3["type"], rel3["scale"], rel3["reverse"], rel3["min"], rel3["max"]) == ("likert", "reliability", "yes", 1, 5)
    assert rel3["value_labels"].startswith("1=Strongly disagree; 2=Disagree")
    assert dict(zip(header, codebook["directorate"]))["value_labels"] == "1=Finance; 2=Operations; 3=Digital"
    assert dict(zip(header, codebook["itp1"]))["groups"] == "it_staff"
    assert dict(zip(header, codebook["group"]))["value_labels"] == "business=Business users; it_staff=IT staff"


def test_sav_has_variable_and_value_labels(any_db_url, tmp_path):
    campaign_id = _campaign(any_db_url)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=True)
    write_export(data, "sav", tmp_path / "out.sav")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "out.sav"))
    assert len(frame) == 10 and list(frame.columns)[:4] == ["response_id", "group", "source", "flags"]
    assert meta.column_names_to_labels["rel1"] == "The network is reliable."
    assert meta.variable_value_labels["rel1"][5.0] == "Strongly agree"
    assert meta.variable_value_labels["directorate"] == {1.0: "Finance", 2.0: "Operations", 3.0: "Digital"}
    assert meta.variable_value_labels["group"] == {"business": "Business users", "it_staff": "IT staff"}
    assert (meta.variable_measure["rel1"], meta.variable_measure["logon_minutes"], meta.variable_measure["directorate"]) == (
        "ordinal", "scale", "nominal")
    assert sorted(frame["logon_minutes"].tolist()) == [1, 2, 2, 3, 4, 5, 7.5, 10, 15, 30]
    assert frame["itp1"].isna().sum() == 6
    # what an SPSS user reads: coded answers shown as 5 (not 5.00), reverse keying in the label,
    # the export's notes as the file's documents
    formats = meta.original_variable_types
    assert (formats["rel1"], formats["directorate"], formats["logon_minutes"]) == ("F1.0", "F1.0", "F8.2")
    assert meta.column_names_to_labels["rel3"] == "Outages disrupt my work. (reverse-keyed)"
    assert any("privileged export" in note for note in meta.notes)


def test_sav_takes_long_non_ascii_names_and_notes(any_db_url, tmp_path):
    """SPSS caps the file label at 64 bytes and document lines at 80: é and — take two and three."""
    campaign_id = _campaign(any_db_url)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=True)
    data.campaign.name = "Enquête de perception — été 2026, directions régionales et services centraux"
    data.notes.append("Remarque : « les réponses signalées » — " * 8)
    write_export(data, "sav", tmp_path / "out.sav")
    _, meta = pyreadstat.read_sav(str(tmp_path / "out.sav"))
    assert meta.file_label.startswith("Enquête de perception — été 2026")
    assert all(len(line.encode("utf-8")) <= 80 for line in meta.notes)
    assert "".join(meta.notes).count("signalées") == 8


def test_thresholded_export_leaves_out_ids_text_and_identifying_demographics(any_db_url):
    campaign_id = _campaign(any_db_url)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=False)
    rows = _csv(data)
    assert list(rows[0]) == ["group", "flags", "rel1", "rel2", "rel3", "rel4", "logon_minutes", "par1", "par2", "itp1"]
    assert len(rows) == 10
    # directorate: business has 3×Finance, 2×Operations, 1×Digital — classes below k = 3
    assert "directorate" in data.left_out and "comments" in data.left_out
    assert sorted(data.comments["comments"]) == sorted(['=HYPERLINK("http://evil")', "<b>Good</b>", "Slow logon", "Short"])


def test_thresholded_xlsx_lists_comments_apart(db_url, tmp_path):
    campaign_id = _campaign(db_url)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=False)
    write_export(data, "xlsx", tmp_path / "t.xlsx")
    book = load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["data", "codebook", "comments", "notes"]
    comments = [row[2] for row in book["comments"].iter_rows(min_row=2, values_only=True)]
    assert len(comments) == 4
    notes = [row[0] for row in book["notes"].iter_rows(values_only=True)]
    assert any("reporting threshold k = 3" in n for n in notes)


def test_comments_below_their_threshold_are_withheld(db_url):
    campaign_id = _campaign(db_url, comments=5)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=False)
    assert data.comments == {} and "fewer than 5 comments" in data.left_out["comments"]


def test_a_small_group_is_left_out_and_the_groups_beside_it_are_kept(db_url):
    """No complement is hidden: no total a non-administrator sees counts the small group (the dashboard
    and the report leave it out of theirs), so the kept rows cannot be subtracted from one."""
    rows = ROWS + ["contractors,3,3,3,3,,3,,,", "contractors,4,4,4,4,,4,,,"]
    campaign_id = _campaign(db_url, rows, yaml=THREE_GROUPS)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=False)
        privileged = prepare_export(s, campaign_id, privileged=True)
    assert set(data.frame["group"]) == {"business", "it_staff"}
    assert any("contractors" in n and "fewer than 3" in n for n in data.notes)
    assert not any("subtraction" in n for n in data.notes)
    assert set(privileged.frame["group"]) == {"business", "it_staff", "contractors"}


def test_two_groups_one_small_keeps_the_other(db_url):
    campaign_id = _campaign(db_url, ROWS[:6] + ROWS[6:8])  # business 6, it_staff 2 < k
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=False)
    assert set(data.frame["group"]) == {"business"} and len(_csv(data)) == 6


def test_rows_keep_demographics_when_every_combination_is_large_enough(db_url):
    rows = [r for r in ROWS if r.startswith("it_staff")] + [r.replace("business", "it_staff") for r in ROWS[:3]]
    campaign_id = _campaign(db_url, rows)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=False)
    assert "directorate" in data.frame.columns and "directorate" not in data.left_out


def test_exclude_flagged(db_url):
    campaign_id = _campaign(db_url)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=True, exclude_flagged=True)
    assert len(data.frame) == 9 and not any(data.frame["flags"])


def test_unknown_format(db_url, tmp_path):
    from surveys.errors import SurveyError

    campaign_id = _campaign(db_url)
    with session_scope() as s:
        data = prepare_export(s, campaign_id, privileged=True)
    with pytest.raises(SurveyError, match="'pdf' is not one of csv, xlsx, sav"):
        write_export(data, "pdf", tmp_path / "x.pdf")


def test_reportable_comments_follow_the_thresholds(db_url):
    from surveys.exports import reportable_comments

    campaign_id = _closed(_campaign(db_url))
    with session_scope() as s:
        comments = reportable_comments(s, campaign_id)
    assert sorted(comments["comments"]) == sorted(['=HYPERLINK("http://evil")', "<b>Good</b>", "Slow logon", "Short"])
    campaign_id = _campaign(db_url, comments=5, yaml=THREE_GROUPS)
    with session_scope() as s:
        assert reportable_comments(s, campaign_id) == {}


def test_comments_come_in_the_same_order_for_the_same_comments_however_they_were_stored(db_url):
    """A report quotes its first 20 comments: two copies of it must quote the same ones, and the
    order must come from what was written, not from the order the responses arrived in."""
    from surveys.exports import reportable_comments

    texts = [f"Comment number {n}" for n in range(12)]
    rows = [f"business,3,3,3,3,5,3,,1,{t}" for t in texts] + ROWS[6:]
    first = _closed(_campaign(db_url, rows))
    second = _closed(_campaign(db_url, rows[:12][::-1] + ROWS[6:], yaml=THREE_GROUPS))
    with session_scope() as s:
        once, again = reportable_comments(s, first)["comments"], reportable_comments(s, first)["comments"]
        reversed_arrival = reportable_comments(s, second)["comments"]
    assert sorted(once) == sorted(texts + ["Short"])
    assert once == again == reversed_arrival
    assert once not in (texts + ["Short"], sorted(once))  # shuffled, neither arrival nor alphabetical order


def test_comments_of_a_group_whose_scores_are_shown_are_not_hidden_for_a_small_group_beside_it(db_url):
    """Two contractors answered (k = 3): their comments are withheld, the IT staff's — whose scores
    the dashboard shows — are not (a complement hid them, though no list holds the contractors')."""
    from surveys.exports import reportable_comments

    rows = ROWS[:6] + [r + "IT note" if r.endswith(",") else r for r in ROWS[6:]]  # four IT comments
    rows += ["contractors,3,3,3,3,5,3,,1,Contractor note", "contractors,2,2,2,2,5,2,,1,Contractor note 2"]
    campaign_id = _closed(_campaign(db_url, rows, yaml=THREE_GROUPS, comments=3))
    with session_scope() as s:
        comments = reportable_comments(s, campaign_id)["comments"]
    assert sum(c.startswith("IT note") or c == "Short" for c in comments) == 4
    assert not any(c.startswith("Contractor") for c in comments)


def test_comments_of_an_open_campaign_are_those_of_its_figures(db_url):
    """While the campaign is open, the dashboard's comments come from the responses its figures use:
    a comment that appeared with the next submit would be that respondent's (surveys.release)."""
    from surveys import release
    from surveys.exports import reportable_comments

    texts = [f"Comment number {n}" for n in range(12)]
    rows = [f"business,3,3,3,3,5,3,,1,{t}" for t in texts]  # 12 of one group, k = 3: 9 released, 3 held
    campaign_id = _campaign(db_url, rows, yaml=THREE_GROUPS, comments=3)
    with session_scope() as s:
        assert reportable_comments(s, campaign_id) == {}  # nothing released yet
        assert release.release_due(s, campaign_id) == {"business": 9}
    with session_scope() as s:
        shown = reportable_comments(s, campaign_id)["comments"]
        released = set(s.exec(select(Response.answers_json).where(Response.release.is_not(None))).all())
    assert len(shown) == 9 and set(shown) < set(texts)
    assert all(any(f'"{text}"' in answers for answers in released) for text in shown)


def _small_rows_by_joined_strings(frame, columns, k):
    """The plain reading of the rule: each row's (group, answers) as one string, counted."""
    keys = frame[["group", *columns]].astype(object).where(frame[["group", *columns]].notna(), "∅").astype(str).agg("|".join, axis=1)
    return int((keys.map(keys.value_counts()) < k).sum())


@pytest.mark.parametrize("seed", range(6))
def test_demographics_kept_leave_no_class_below_k_and_match_the_plain_string_count(seed):
    """The fixed-order suppression, counted on integer codes, decides as the row-string count does:
    the shortest start of the order whose removal leaves no (group + kept items) class below k."""
    import numpy as np
    import pandas as pd

    from surveys.exports import _anonymous_choice_columns

    rng = np.random.default_rng(seed)
    n, k = 400, 5
    frame = pd.DataFrame({
        "group": rng.choice(["business", "it"], n),
        "band": rng.choice(["a", "b", "c", None], n, p=[0.5, 0.3, 0.15, 0.05]),
        "site": rng.choice([f"s{i}" for i in range(12)], n),
        "role": rng.choice(["x", "y", np.nan], n, p=[0.6, 0.3, 0.1]).astype(object),
        "tenure": rng.choice([1, 2, 3, 4], n).astype(object),
    })
    order = ["site", "tenure", "band", "role"]
    kept, dropped = _anonymous_choice_columns(frame, order, k)
    assert dropped + kept == order
    assert _small_rows_by_joined_strings(frame, kept, k) == 0 if kept else True
    shortest = next(cut for cut in range(len(order) + 1)
                    if cut == len(order) or _small_rows_by_joined_strings(frame, order[cut:], k) == 0)
    assert dropped == order[:shortest]


TWO_DEMOGRAPHICS = INSTRUMENT_YAML.replace("id: test_perception", "id: test_two_demographics", 1).replace(
    "      - {id: comments, type: text,",
    "      - id: role_band\n"
    "        type: choice\n"
    "        text: Which best describes your role?\n"
    "        demographic: true\n"
    "        options: [{code: 1, label: Front line}, {code: 2, label: Team leader}, {code: 3, label: Manager}, "
    "{code: 4, label: Senior leader}]\n"
    "      - {id: comments, type: text,", 1)


def test_two_thresholded_exports_joined_on_their_answers_narrow_no_combination_below_k(db_url):
    """Leadership may download a closed campaign's rows with and without the flagged responses, and
    again after k is raised. Every row's answers are as good as unique, so two such files join row
    by row: if each left out a different demographic, the join would give back the combination both
    were hiding. Here the 20 unflagged respondents sit in directorates 1 and 2 with one manager
    each, and three flagged ones share directorate 3 — a search that picks, for each row set, the
    column whose removal helps most keeps role band for one file and directorate for the other."""
    import itertools
    import random

    from surveys.campaigns import close_campaign
    from surveys.tables import Campaign

    generator = random.Random(7)
    answers = generator.sample([a for a in itertools.product(range(1, 6), repeat=6) if len(set(a[:4])) > 1], 20)
    people = [(1, 1)] * 9 + [(1, 3)] + [(2, 2)] * 9 + [(2, 3)]
    rows = [f"business,{a[0]},{a[1]},{a[2]},{a[3]},{a[4]},{a[5]},{d},{r}" for a, (d, r) in zip(answers, people)]
    rows += [f"business,3,3,3,3,{p},{q},3,3" for p, q in ((1, 2), (2, 4), (5, 1))]  # straight-lined: flagged
    campaign_id = make_campaign(db_url, min_group_size=5, yaml=TWO_DEMOGRAPHICS)
    with session_scope() as s:
        header = "group,rel1,rel2,rel3,rel4,par1,par2,directorate,role_band\n"
        import_responses(s, campaign_id, (header + "\n".join(rows) + "\n").encode(), actor="t", where="seed.csv")
        close_campaign(s, campaign_id, "t")

    files = {}
    for k in (5, 8):
        with session_scope() as s:
            s.get(Campaign, campaign_id).min_group_size = k
        with session_scope() as s:
            for exclude in (False, True):
                frame = prepare_export(s, campaign_id, privileged=False, exclude_flagged=exclude).frame
                files[(k, exclude)] = (frame, k)
    assert not files[(5, False)][0].empty and "directorate" in files[(5, True)][0].columns  # not all hidden

    demographics = {"directorate", "role_band"}
    for (first, k1), (second, k2) in itertools.combinations(files.values(), 2):
        kept_first, kept_second = demographics & set(first.columns), demographics & set(second.columns)
        # Joined on their answers, two files show each common row with the demographics of both. That
        # is safe when one file's columns hold the other's, and that file alone has no class below its
        # k: the join then tells nothing that file did not. (The search by data kept role band in one
        # file and directorate in the other: joined, managers alone in their directorate.)
        assert kept_first <= kept_second or kept_second <= kept_first, (kept_first, kept_second)
        wider, k = (first, k1) if kept_second <= kept_first else (second, k2)
        together = sorted(kept_first | kept_second)
        if together:
            assert (wider.groupby(["group", *together]).size() >= k).all()


def test_a_group_with_no_responses_is_named_with_the_small_ones(db_url):
    """The dashboard says "withheld" alike for a group with no responses and one with a few: the
    export's notes must not tell them apart (naming only the second would say that one of two or
    three people took part)."""
    campaign_id = _campaign(db_url, ROWS[:6])  # business 6, it_staff none
    with session_scope() as s:
        none_at_all = prepare_export(s, campaign_id, privileged=False).notes
    campaign_id = _campaign(db_url, ROWS[:7])  # business 6, it_staff 1
    with session_scope() as s:
        one = prepare_export(s, campaign_id, privileged=False).notes
    left_out = "left out (fewer than 3 responses): it_staff"
    assert left_out in none_at_all and left_out in one
