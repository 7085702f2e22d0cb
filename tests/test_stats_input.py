"""Responses validation (surveys.analysis_input): every kind of bad input gives a specific message
with the line (CSV) or row (DataFrame) and column — never a traceback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveys.analysis_input import AnalysisInputError, prepare_responses, read_responses_csv
from tests.test_stats_support import instrument, random_responses

ITEMS = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "n1", "n2", "imp_logon", "perf_logon", "imp_desk", "perf_desk", "logon_minutes"]


@pytest.fixture(scope="module")
def inst():
    return instrument()


def csv_text(rows: list[dict], columns: list[str] | None = None) -> str:
    columns = columns or ["group"] + ITEMS
    lines = [",".join(columns)]
    for row in rows:
        lines.append(",".join(str(row.get(c, "")) for c in columns))
    return "\n".join(lines) + "\n"


ASKED_OF_ONE_GROUP = {"q6": "business", "q7": "it"}


def good_row(group="business", **values):
    row = {"group": group, **{i: 3 for i in ITEMS}, "logon_minutes": 5}
    for item, asked in ASKED_OF_ONE_GROUP.items():  # left blank, as a survey leaves them
        if group.casefold() not in (asked, "it staff" if asked == "it" else asked):
            row[item] = ""
    row.update(values)
    return row


def problems(text, inst, **kwargs) -> list[str]:
    with pytest.raises(AnalysisInputError) as err:
        read_responses_csv(text, inst, "group", where="r.csv", **kwargs)
    return err.value.problems


def test_valid_csv_round_trip(inst):
    frame = random_responses(seed=1)
    text = frame.to_csv(index=False)
    table = read_responses_csv(text, inst, "group", where="r.csv")
    assert table.item_ids == ITEMS
    assert sorted(table.ignored_columns) == ["comment", "directorate"]
    np.testing.assert_array_equal(table.frame[ITEMS].to_numpy(), frame[ITEMS].to_numpy(dtype=float))
    assert list(table.frame["group"]) == list(frame["group"])


def test_non_numeric_cell_names_line_and_column(inst):
    text = csv_text([good_row(), good_row(q2="lots"), good_row(group="it", logon_minutes="ten")])
    found = problems(text, inst)
    assert found == [
        "r.csv: line 3, column q2: 'lots' is not a number or a label of its response scale (blank or NA for no answer)",
        "r.csv: line 4, column logon_minutes: 'ten' is not a number (blank or NA for no answer)",
    ]


def test_cell_problems_are_listed_as_the_file_reads_not_column_by_column(inst):
    text = csv_text([good_row(q2="lots"), good_row(q1=7), good_row(q2=9), good_row(q1="x")])
    assert [problem.split(",")[0] for problem in problems(text, inst)] == [
        "r.csv: line 2", "r.csv: line 3", "r.csv: line 4", "r.csv: line 5"]


def test_with_many_bad_cells_the_first_bad_lines_are_the_ones_listed(inst):
    from surveys.analysis_input import MAX_LISTED

    rows = [good_row(q2="early")] + [good_row(q1="x") for _ in range(MAX_LISTED + 5)]
    found = problems(csv_text(rows), inst)
    assert found[0].startswith("r.csv: line 2, column q2: 'early'")
    assert found[-1].startswith("r.csv: … and")


def test_labels_are_accepted_for_likert_items(inst):
    text = csv_text([good_row(q1="Strongly agree", q2=" agree "), good_row(group="it", q1="NA", q2="")])
    frame = read_responses_csv(text, inst, "group").frame
    assert frame["q1"].tolist()[0] == 5 and frame["q2"].tolist()[0] == 4
    assert np.isnan(frame["q1"].tolist()[1]) and np.isnan(frame["q2"].tolist()[1])


def test_out_of_range_values(inst):
    text = csv_text([good_row(q1=6), good_row(q3=2.5), good_row(n1=0), good_row(logon_minutes=400), good_row(q4=-1)])
    found = problems(text, inst)
    assert found == [
        "r.csv: line 2, column q1: 6 is out of range (expected a whole code from 1 to 5)",
        "r.csv: line 3, column q3: 2.5 is not a whole code (expected a whole code from 1 to 5)",
        "r.csv: line 6, column q4: -1 is out of range (expected a whole code from 1 to 5)",
    ]  # n1 = 0 is valid on its 0–6 scale; logon_minutes = 400 is left out, not an error (next test)


def test_a_code_that_is_not_whole_is_quoted_as_written(inst):
    """4.0000000001 printed as a number reads '4 is not a whole code': the cell is shown as the file has it."""
    text = csv_text([good_row(q1="4.0000000001"), good_row(q2="3.50"), good_row(q3="+6.0")])
    assert problems(text, inst) == [
        "r.csv: line 2, column q1: 4.0000000001 is not a whole code (expected a whole code from 1 to 5)",
        "r.csv: line 3, column q2: 3.50 is not a whole code (expected a whole code from 1 to 5)",
        "r.csv: line 4, column q3: +6.0 is out of range (expected a whole code from 1 to 5)",
    ]
    semicolons = csv_text([good_row(), good_row(q1="2,5")]).replace(",", ";").replace("2;5", "2,5")
    assert problems(semicolons, inst) == [
        "r.csv: line 3, column q1: 2,5 is not a whole code (expected a whole code from 1 to 5)"]
    frame = pd.DataFrame([good_row(q1=4.0000000001)])
    with pytest.raises(AnalysisInputError) as err:  # a DataFrame has no text: the number in its shortest exact form
        prepare_responses(frame, inst, "group", where="df")
    assert err.value.problems == ["df: row 0, column q1: 4.0000000001 is not a whole code (expected a whole code from 1 to 5)"]


def test_a_numeric_answer_outside_its_plausible_range_is_left_out_and_counted(inst):
    """The import keeps such answers, flagged out_of_range (docs/surveys.md); the analysis treats them
    as missing for that item only — one 500-minute logon must not stop the whole analysis."""
    from scipy import stats

    from surveys.stats import compare_groups

    rows = [good_row(logon_minutes=m) for m in (4, 6, 5, 7, 500, 3)] + [good_row("it", logon_minutes=m) for m in (2, 3, 4, 2, 3, -3)]
    table = read_responses_csv(csv_text(rows), inst, "group", where="r.csv")
    assert np.isnan(table.frame["logon_minutes"]).sum() == 2 and table.out_of_range.tolist() == [0] * 4 + [1] + [0] * 6 + [1]
    assert table.frame["q1"].notna().all()  # the rest of those rows is analysed
    doc = compare_groups(table, inst, min_group_size=5)
    assert doc["excluded"]["out_of_range_values"] == 2
    item = next(i for i in doc["items"] if i["id"] == "logon_minutes")
    expected = stats.ttest_ind([4, 6, 5, 7, 3], [2, 3, 4, 2, 3], equal_var=False)
    assert (item["n_a"], item["n_b"]) == (5, 5) and item["welch_p"] == pytest.approx(expected.pvalue, rel=1e-9)


def test_many_bad_cells_are_listed_up_to_a_limit(inst):
    text = csv_text([good_row(q1="x") for _ in range(30)])
    found = problems(text, inst)
    assert len(found) == 21 and found[-1] == "r.csv: … and 10 more cells with the problems above"


def test_group_typos_list_values_counts_and_expected_groups(inst):
    rows = [good_row()] * 3 + [good_row(group="Busness")] * 3 + [good_row(group="IT Staff"), good_row(group="ITT"),
                                                                 good_row(group="IT staf")]
    found = problems(csv_text(rows), inst)
    assert found == [
        "r.csv: group 'Busness' (3 rows, first at line 5) is not one of business, it, contractors (did you mean 'business'?)",
        "r.csv: group 'ITT' (1 row, first at line 9) is not one of business, it, contractors (did you mean 'it'?)",
        # a mistyped name gets the name
        "r.csv: group 'IT staf' (1 row, first at line 10) is not one of business, it, contractors (did you mean 'IT staff'?)",
    ]  # 'IT Staff' is the group's name: accepted


def test_blank_group(inst):
    found = problems(csv_text([good_row(), good_row(group="")]), inst)
    assert found == ["r.csv: the group column 'group' is blank in 1 row(s): line 3"]


def test_rows_with_every_cell_empty_are_skipped_and_counted_as_an_import_skips_them(inst):
    """A spreadsheet saves rows it once used as ',,,,' lines (of any width); an import skips them
    (surveys.imports), so the analysis does too, counts them, and keeps the line numbers of the rest."""
    from surveys.stats import compare_groups

    blank = "," * len(ITEMS)
    def text(bad_row: dict | None = None) -> str:
        rows = csv_text([good_row() for _ in range(5)] + [bad_row or good_row(group="it")]
                        + [good_row(group="it") for _ in range(4)]).splitlines()
        return "\n".join([*rows[:3], blank, ' , ,"",', "", *rows[3:], blank, blank[:3]]) + "\n"

    table = read_responses_csv(text(), inst, "group", where="r.csv")
    assert len(table.frame) == 10 and table.blank_rows == 4  # the empty line is no row
    assert compare_groups(table, inst)["excluded"]["blank_rows"] == 4
    assert problems(text(good_row(group="it", q1="x")), inst) == [
        "r.csv: line 10, column q1: 'x' is not a number or a label of its response scale (blank or NA for no answer)"]
    assert problems(text().splitlines()[0] + f"\n{blank}\n", inst) == [
        "r.csv: no responses (the file has a header line and only 1 row(s) with every cell empty)"]


def test_a_row_of_missing_codes_without_a_group_is_not_a_blank_row(inst):
    """'NA' is a value an import reads as missing, not an empty cell: such a row is refused, as an import refuses it."""
    text = csv_text([good_row(), {c: "NA" for c in ITEMS}])
    assert problems(text, inst) == ["r.csv: the group column 'group' is blank in 1 row(s): line 3"]


def test_missing_group_column(inst):
    text = csv_text([good_row()], columns=["grp"] + ITEMS).replace("grp", "team", 1)
    found = problems(text, inst)
    assert len(found) == 1  # 'team', the group column under another name, is not also called "not an item"
    assert found[0].startswith("r.csv: no group column 'group'; the columns are team, q1, q2")


def test_column_names_are_read_in_any_letter_case_as_an_import_reads_them(inst):
    """surveys.imports: 'group' in any case, an item id in any case (when one item has it), the
    metadata columns in any case; a name given twice in two cases is refused."""
    rows = [good_row(q1=1 + i % 5) for i in range(5)] + [good_row(group="it", q2=1 + i % 5) for i in range(5)]
    columns = ["Group", "Q1", *ITEMS[1:], "Response_ID", "DQ", "Note"]
    frame = pd.DataFrame(rows)
    frame["Group"], frame["Q1"], frame["Response_ID"], frame["DQ"], frame["Note"] = frame["group"], frame["q1"], range(10), "", "x"
    text = frame[columns].to_csv(index=False).replace("Q1", "Q1 ", 1)  # header names are stripped, too
    table = read_responses_csv(text, inst, "group", where="r.csv", flag_col="dq", ignore_columns=["NOTE"])
    assert table.frame["q1"].tolist() == [1, 2, 3, 4, 5, 3, 3, 3, 3, 3] and table.frame["group"].tolist()[-1] == "it"
    assert table.flag_col == "dq" and sorted(table.ignored_columns) == ["Note", "Response_ID"]
    bad = text.replace("\nbusiness,2,", "\nbusiness,7,", 1)  # messages name the column as the file does
    assert problems(bad, inst, flag_col="dq", ignore_columns=["Note"]) == [
        "r.csv: line 3, column Q1: 7 is out of range (expected a whole code from 1 to 5)"]
    twice = csv_text([good_row()], columns=["group", "q1", "Q1", *ITEMS[1:]])
    assert problems(twice, inst) == [
        "r.csv: line 1: column 'q1' appears more than once (as 'q1', 'Q1': names are read in any letter case)"]
    with pytest.raises(AnalysisInputError) as err:  # a DataFrame alike
        prepare_responses(pd.DataFrame([good_row()]).assign(GROUP="it"), inst, "group", where="df")
    assert err.value.problems == [
        "df: column 'group' appears more than once (as 'group', 'GROUP': names are read in any letter case)"]


def test_answers_to_an_item_the_group_is_not_asked_are_refused_at_their_cell(inst):
    """As an import refuses them: analysed, they would count in the group's scale score but not in its α."""
    rows = [good_row(), good_row(group="it", q6=4), good_row(group="IT staff"), good_row(q7=2)]
    assert problems(csv_text(rows), inst) == [
        "r.csv: line 3, column q6: item 'q6' is not asked of group 'it' (the instrument asks it of business)",
        "r.csv: line 5, column q7: item 'q7' is not asked of group 'business' (the instrument asks it of it)",
    ]


def test_unknown_and_missing_item_columns(inst):
    columns = ["group", "q1", "q2", "q99", "submitted_on"] + ITEMS[3:]
    found = problems(csv_text([good_row(q99=1, submitted_on="2026-01-01")], columns=columns), inst)
    assert found == [
        "r.csv: column 'q99' is not an item of instrument 'test_survey' "
        "(to skip a column that is not an item, name it in --ignore-cols)",
        "r.csv: instrument item 'q3' (likert) has no column",
    ]
    # ignored explicitly, and the missing item added: fine; text/choice items may be absent
    columns = ["group", "q99"] + ITEMS
    table = read_responses_csv(csv_text([good_row(q99=1)], columns=columns), inst, "group", ignore_columns=["q99"])
    assert table.ignored_columns == ["q99"]


def test_an_item_named_in_ignore_columns_is_refused_not_silently_analysed(inst):
    assert problems(csv_text([good_row(), good_row()]), inst, ignore_columns=["q1"]) == [
        "r.csv: --ignore-cols 'q1': an item of instrument 'test_survey' cannot be ignored (its scale and α would "
        "change); --ignore-cols is for columns that are not items"]


def test_duplicate_and_unnamed_columns(inst):
    assert problems("group,q1,q1\nbusiness,1,2\n", inst) == ["r.csv: line 1: column 'q1' appears more than once"]
    assert problems("group,,q1\nbusiness,1,2\n", inst) == [
        "r.csv: line 2, column 2: '1' is in a column with no name; name the column or remove it"]


def test_empty_unnamed_columns_a_spreadsheet_leaves_are_dropped(inst):
    """Excel writes its used range: columns after the last named one arrive with no name and no values."""
    rows = csv_text([good_row(), good_row()]).splitlines()
    text = "\r\n".join([rows[0] + ",,"] + [r + ",," for r in rows[1:]]) + "\r\n"
    table = read_responses_csv(text, inst, "group")
    assert list(table.frame.columns) == list(read_responses_csv(csv_text([good_row(), good_row()]), inst, "group").frame.columns)
    assert len(table.frame) == 2
    text = "\r\n".join([rows[0] + ",,"] + [rows[1] + ",,", rows[2] + ",,note"]) + "\r\n"
    assert problems(text, inst) == [
        f"r.csv: line 3, column {len(ITEMS) + 3}: 'note' is in a column with no name; name the column or remove it"]


def test_header_only_and_ragged_rows(inst):
    assert problems(csv_text([]), inst) == ["r.csv: no responses (the file has a header line and no data rows)"]
    text = csv_text([good_row()]) + "business," + ",".join(["3"] * (len(ITEMS) + 2)) + "\n"
    assert problems(text, inst) == [f"r.csv: line 3: {len(ITEMS) + 3} values, but the header has {len(ITEMS) + 1} columns"]


def test_short_rows_and_a_cut_off_file_are_refused_not_read_as_unanswered(inst):
    text = csv_text([good_row(), good_row()]) + "it,4,4\n"
    assert problems(text, inst) == [f"r.csv: line 4: 3 values, but the header has {len(ITEMS) + 1} columns"]
    whole = csv_text([good_row(), good_row()])
    assert problems(whole[: len(whole) - 6], inst)[0].startswith("r.csv: line 3: ")
    quoted = csv_text([good_row(comment='"fine, thanks"'), good_row()], columns=["group", "comment"] + ITEMS) + 'it,"x\n'
    assert problems(quoted, inst)[0].startswith("r.csv: line 4: ")


def test_rows_of_another_width_are_said_with_every_other_problem_of_the_file(inst):
    """The first short or long row stopped the check and was all that was said; an import lists every
    problem. The rows around it are still checked (a multi-line record counted as its lines)."""
    columns = ["group", "comment"] + ITEMS
    width = len(columns)
    text = csv_text([good_row(comment='"two\nlines"', q1=9), good_row(), good_row(group="finance")], columns=columns)
    text += "it,short\n" + csv_text([good_row(comment='"a, b\nc"', q2="x")], columns=columns).split("\n", 1)[1]
    text += 'business,"cut\noff",3\n' + "it,4,4\n"
    assert problems(text, inst) == [
        "r.csv: group 'finance' (1 row, first at line 5) is not one of business, it, contractors",
        "r.csv: line 2, column q1: 9 is out of range (expected a whole code from 1 to 5)",
        "r.csv: line 7, column q2: 'x' is not a number or a label of its response scale (blank or NA for no answer)",
        f"r.csv: line 6: 2 values, but the header has {width} columns",
        f"r.csv: line 9: 3 values, but the header has {width} columns",
        f"r.csv: line 11: 3 values, but the header has {width} columns",
    ]
    # as many listed as of any other problem, then how many more; a file of nothing else says only that
    short = csv_text([]) + "it,4,4\n" * 30
    said = problems(short, inst)
    assert len(said) == 21 and said[0] == f"r.csv: line 2: 3 values, but the header has {len(ITEMS) + 1} columns"
    assert said[-1] == "r.csv: … and 10 more rows with another number of values than the header has columns"
    assert problems(csv_text([good_row()]) + "it,4,4\n" + "it,4,4\n", inst) == [
        f"r.csv: line {n}: 3 values, but the header has {len(ITEMS) + 1} columns" for n in (3, 4)]


def test_an_unclosed_quote_is_named_at_its_line_and_a_long_cell_is_shortened(inst):
    columns = ["group", "comment"] + ITEMS
    text = csv_text([good_row(comment="ok"), good_row(comment='"never closed'), good_row(), good_row()], columns=columns)
    assert problems(text, inst) == ["r.csv: line 3: a quoted value starts on this line and its closing quote never comes"]
    text = csv_text([good_row(q1="x" * 5000)])
    (problem,) = problems(text, inst)
    assert problem.startswith("r.csv: line 2, column q1: 'xxxxxxxx") and "… (5,000 characters) is not a number" in problem
    assert len(problem) < 200


def test_a_cell_longer_than_the_csv_limit_is_named_as_such_not_as_a_quoting_problem(inst):
    columns = ["group", "comment"] + ITEMS
    text = csv_text([good_row(comment="ok"), good_row(comment='"' + "y, " * 70_000 + '"')], columns=columns)
    assert problems(text, inst) == ["r.csv: line 3: a value is longer than 131,072 characters: no answer or comment is "
                                    "that long (a quote left open would run on to the end of the file)"]


def test_line_numbers_count_quoted_line_breaks(inst):
    columns = ["group", "comment"] + ITEMS
    text = csv_text([good_row(comment='"one\ntwo\nthree"'), good_row(q1="bad")], columns=columns)
    assert problems(text, inst) == ["r.csv: line 5, column q1: 'bad' is not a number or a label of its response scale (blank or NA for no answer)"]


def test_missing_flag_column(inst):
    found = problems(csv_text([good_row()]), inst, flag_col="quality_flags")
    assert found[0].startswith("r.csv: no flag column 'quality_flags'")


def test_dataframe_problems_name_the_row_label(inst):
    frame = random_responses(seed=2).iloc[:5].copy()
    frame["q1"] = frame["q1"].astype(object)
    frame.loc[frame.index[2], "q1"] = "abc"
    frame.index = [f"r{i}" for i in range(5)]
    with pytest.raises(AnalysisInputError) as err:
        prepare_responses(frame, inst, "group", where="responses")
    assert err.value.problems == ["responses: row r2, column q1: 'abc' is not a number or a label of its response scale (blank or NA for no answer)"]


def test_numeric_dataframe_with_infinite_value(inst):
    frame = random_responses(seed=2).iloc[:5].copy()
    frame.loc[frame.index[1], "logon_minutes"] = np.inf
    with pytest.raises(AnalysisInputError) as err:
        prepare_responses(frame, inst, "group")
    assert err.value.problems[0].endswith("row 1, column logon_minutes: a number too large to be an answer (not a finite number)")


def test_a_number_too_large_for_a_float_is_said_as_such_not_as_inf(inst):
    """1e400 in a file reads as infinity: the message named 'inf', which nobody typed."""
    text = csv_text([good_row(), good_row(logon_minutes="1e400")])
    assert problems(text, inst) == [
        "r.csv: line 3, column logon_minutes: a number too large to be an answer (not a finite number)"]


def test_all_missing_rows_are_kept_by_validation(inst):
    # dropping them (and counting them) is the analysis' job; validation accepts them
    text = csv_text([good_row(), {"group": "it"}])
    frame = read_responses_csv(text, inst, "group").frame
    assert len(frame) == 2 and frame.iloc[1][ITEMS].isna().all()
    assert isinstance(frame, pd.DataFrame)


def test_a_semicolon_or_tab_separated_file_reads_as_its_comma_separated_twin(inst):
    frame = random_responses(seed=3)
    comma = read_responses_csv(frame.to_csv(index=False), inst, "group", where="r.csv")
    for sep in (";", "\t"):
        other = read_responses_csv(frame.to_csv(index=False, sep=sep), inst, "group", where="r.csv")
        pd.testing.assert_frame_equal(other.frame, comma.frame)


def test_a_semicolon_file_from_a_european_spreadsheet_reads_decimal_commas(inst):
    """Excel saves ";"-separated CSV exactly where the comma is the decimal mark."""
    frame = random_responses(seed=4)
    comma = read_responses_csv(frame.to_csv(index=False), inst, "group", where="r.csv")
    european = read_responses_csv(frame.to_csv(index=False, sep=";", decimal=","), inst, "group", where="r.csv")
    assert (frame["logon_minutes"] % 1 > 0).any()  # the data hold fractions: the test reads "7,5"
    pd.testing.assert_frame_equal(european.frame, comma.frame)
    # with "," as the separator, a quoted "7,5" stays an error
    assert problems(csv_text([good_row(logon_minutes='"7,5"')]), inst) == [
        "r.csv: line 2, column logon_minutes: '7,5' is not a number (blank or NA for no answer)"]


def test_a_point_grouping_thousands_in_a_semicolon_file_is_refused_not_read_as_a_decimal(inst):
    """Where the comma is the decimal mark, "1.000" is as likely a thousand as one: never silently 1."""
    rows = [good_row(logon_minutes="2,5"), good_row(logon_minutes="1.5"), good_row(logon_minutes="1.000")]
    text = csv_text(rows).replace(",", ";").replace("2;5", "2,5")
    assert problems(text, inst) == [
        "r.csv: line 4, column logon_minutes: '1.000' is ambiguous in a file separated by semicolons, where the decimal "
        "mark is a comma: write 1000 for a point that groups thousands, or 1 for a decimal point"]
    fine = read_responses_csv(text.replace("1.000", "1,000"), inst, "group", where="r.csv").frame  # as the message says
    assert fine["logon_minutes"].tolist() == [2.5, 1.5, 1.0]


def test_a_response_id_twice_is_named_with_its_lines(inst):
    rows = [good_row() | {"response_id": f"r{i}"} for i in range(6)] + [good_row() | {"response_id": "r2"}]
    assert problems(csv_text(rows, ["response_id", "group"] + ITEMS), inst) == [
        "r.csv: response_id 'r2' appears 2 times (line 4, line 8): each response once"]


def test_an_item_given_as_the_group_column_is_named_as_such(inst):
    text = csv_text([good_row(), good_row("it")])
    with pytest.raises(AnalysisInputError) as err:
        read_responses_csv(text, inst, "q1", where="r.csv")
    assert err.value.problems == ["r.csv: 'q1' is an item of instrument 'test_survey', so its answers are not groups; the group "
                                  "column is the one that holds each respondent's group ('group' here?)"]


def test_excel_s_separator_hint_line_is_named_as_an_import_names_it(inst):
    """Read as the header, 'sep=;' made every row "3 values, but the header has 1 column"."""
    assert problems("sep=;\r\ngroup;q1;q2\r\nbusiness;4;3\r\n", inst) == [
        "r.csv: line 1: 'sep=;' is Excel's separator hint, not the header row: delete that line "
        "(the separator is recognised from the header)"]


def test_a_missing_value_token_that_is_an_option_s_label_is_that_option_as_an_import_reads_it():
    """An option labelled 'N/A' (or 'NULL') is an answer, not a blank: import keeps it as the option."""
    from surveys.instrument import parse_instrument
    from tests.test_stats_support import INSTRUMENT_YAML

    labelled = parse_instrument(INSTRUMENT_YAML.replace("3: Neutral", "3: N/A", 1), "<test instrument>")
    table = read_responses_csv(csv_text([good_row(q1="N/A", q2="NA"), good_row(), good_row("it")]), labelled, "group",
                               where="r.csv")
    assert table.frame["q1"].iloc[0] == 3 and np.isnan(table.frame["q2"].iloc[0])
