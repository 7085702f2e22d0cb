"""itcap analyze: exit codes 0/1/2, the JSON document of DESIGN.md, the table, progress."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from itcap.cli import analyze_cmd, main
from surveys.stats import compare_groups
from tests.test_stats_support import INSTRUMENT_YAML, instrument, random_responses

ITEM_KEYS = ["id", "n_a", "n_b", "mean_a", "mean_b", "sd_a", "sd_b", "welch_t", "welch_df", "welch_p", "hedges_g",
             "hedges_g_ci95", "mwu_u", "mwu_p", "rank_biserial", "p_holm", "p_bh", "tost_p", "verdict"]


@pytest.fixture
def files(tmp_path):
    inst = tmp_path / "instrument.yaml"
    inst.write_text(INSTRUMENT_YAML, encoding="utf-8")
    frame = random_responses(seed=1, sizes={"business": 70, "it": 50}, shift=0.4)
    frame.loc[frame.index[:2], "q4"] = np.nan
    responses = tmp_path / "responses.csv"
    frame.to_csv(responses, index=False)
    return {"instrument": str(inst), "responses": str(responses), "frame": frame, "dir": tmp_path}


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def analyze(files, *extra):
    return ["analyze", files["responses"], "--instrument", files["instrument"], "--group-col", "group", *extra]


def test_json_document(files, capsys):
    out_path = files["dir"] / "result.json"
    code, out, err = run(analyze(files, "--json", str(out_path)), capsys)
    assert code == 0, err
    doc = json.loads(out_path.read_text(encoding="utf-8"))
    assert doc["groups"]["business"]["n"] == 70 and doc["groups"]["it"]["n"] == 50
    assert doc["suppressed"] == []
    for row in doc["items"]:
        assert set(ITEM_KEYS) <= set(row)
    for row in doc["scales"]:
        assert set(ITEM_KEYS + ["alpha", "alpha_ci95", "alpha_a", "alpha_b"]) <= set(row)
    # the same numbers as the engine (the CLI adds nothing of its own)
    engine = compare_groups(files["frame"], instrument(), "group")
    assert doc["items"] == json.loads(json.dumps(engine["items"]))
    assert doc["scales"][0]["alpha"] == pytest.approx(engine["scales"][0]["alpha"], abs=1e-12)
    assert {r["verdict"] for r in doc["items"] if r["verdict"]} <= {"equivalent", "differs", "inconclusive"}


def test_json_to_stdout_and_options(files, capsys):
    code, out, err = run(analyze(files, "--json", "-", "--groups", "it", "business", "--margin", "0.25",
                                 "--min-group-size", "10"), capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["compared"] == ["it", "business"] and doc["margin"] == 0.25 and doc["min_group_size"] == 10
    q1 = next(r for r in doc["items"] if r["id"] == "q1")
    assert q1["n_a"] == doc["items"][0]["n_a"] and q1["mean_a"] > q1["mean_b"]  # A is now IT (shifted up)


def test_nan_becomes_null(files, capsys, tmp_path):
    frame = files["frame"].copy()
    frame["q5"] = 3.0
    path = tmp_path / "constant.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(["analyze", str(path), "--instrument", files["instrument"], "--group-col", "group", "--json", "-"], capsys)
    assert code == 0, err
    assert "NaN" not in out
    q5 = next(r for r in json.loads(out)["items"] if r["id"] == "q5")
    assert q5["welch_t"] is None and q5["hedges_g"] is None and q5["note"].startswith("constant in every group")


def test_table_when_no_json(files, capsys):
    code, out, err = run(analyze(files), capsys)
    assert code == 0, err
    assert "Groups: business (Business users) n=70 · it (IT staff) n=50" in out
    assert "Items (A = business, B = it)" in out and "Reliability (Cronbach's α, listwise)" in out
    assert "Importance–performance" in out and "not asked of group it" in out
    # reverse-keyed items are marked (a low mean there is good news), ids are never cut short
    assert "(R) = reverse-keyed" in out and any(line.startswith("q3 (R) ") for line in out.splitlines())
    assert any(line.startswith("logon_minutes ") for line in out.splitlines())
    assert err == ""  # small input, not a terminal: no progress lines


def test_the_empty_rows_a_spreadsheet_leaves_at_the_end_are_skipped_and_said(files, capsys, tmp_path):
    """Excel saves rows it once used as ',,,,' lines; 'itcap responses import' skips them, so analyze does."""
    width = len(files["frame"].columns)
    path = write(tmp_path, files["frame"].to_csv(index=False) + ("," * (width - 1) + "\n") * 3)
    code, out, err = run(["analyze", path, "--instrument", files["instrument"], "--group-col", "group"], capsys)
    assert code == 0, err
    assert "Groups: business (Business users) n=70 · it (IT staff) n=50" in out
    assert "Skipped: 3 row(s) with every cell empty" in out
    code, out, err = run(["analyze", path, "--instrument", files["instrument"], "--group-col", "group", "--json", "-"], capsys)
    assert code == 0 and json.loads(out)["excluded"]["blank_rows"] == 3


def test_progress_on_large_inputs(files, capsys, monkeypatch):
    monkeypatch.setattr(analyze_cmd, "PROGRESS_ROWS", 10)
    code, out, err = run(analyze(files, "--json", str(files["dir"] / "o.json")), capsys)
    assert code == 0
    assert "reading" in err and "items: 14 items × 120 responses" in err and "done" in err
    code, out, err = run(analyze(files, "--json", str(files["dir"] / "o.json"), "--quiet"), capsys)
    assert err == ""


def test_several_groups(files, capsys, tmp_path):
    # IT answers a point higher: some pairs differ, others do not
    frame = random_responses(seed=3, sizes={"business": 40, "it": 30, "contractors": 20}, shift=1.0)
    path = tmp_path / "three.csv"
    frame.to_csv(path, index=False)
    base = ["analyze", str(path), "--instrument", files["instrument"], "--group-col", "group", "--groups", "business", "it", "contractors"]
    code, out, err = run(base + ["--json", "-"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert list(doc["groups"]) == ["business", "it", "contractors"]
    assert doc["items"][0]["welch_anova_p"] is not None and len(doc["items"][0]["pairwise"]) == 3
    code, out, err = run(base, capsys)
    assert code == 0 and "ANOVA p" in out and "Holm = the ANOVA p adjusted across the rows" in out
    # each group's n and mean under a letter, named in the title: a long group name is never cut short
    lines = out.splitlines()
    title = lines.index("Items (A = business, B = it, C = contractors)")
    assert lines[title + 1].split()[:5] == ["id", "n", "A", "mean", "A"]
    q1 = doc["items"][0]
    names = ("business", "it", "contractors")
    assert lines[title + 2].split()[:7] == [q1["id"]] + [v for g in names for v in (str(q1["n"][g]), f"{q1['mean'][g]:.2f}")]
    # the pairs column names exactly the pairs the JSON finds different after Holm, higher mean first —
    # and only on rows where the groups differ at all (the ANOVA's p, Holm across rows, under .05)
    letter, differing, gated = dict(zip(names, "ABC")), 0, 0
    for row, line in zip(doc["items"], lines[title + 2:]):
        expected = sorted(
            f"{letter[p['a']]}>{letter[p['b']]}" if p["mean_diff"] > 0 else f"{letter[p['b']]}>{letter[p['a']]}"
            for p in row["pairwise"] if p["welch_p_holm"] < 0.05 and row["p_holm"] < 0.05)
        gated += any(p["welch_p_holm"] < 0.05 for p in row["pairwise"]) and row["p_holm"] is not None and row["p_holm"] >= 0.05
        label = row["id"] + (" (R)" if row.get("reverse") else "")
        shown = line.split("   (")[0][len(label):].split()[2 * 3 + 3:]  # after n and mean per group, three p columns
        if row["welch_anova_p"] is None:  # not compared (asked of one group only): no pairs to name
            expected = ["–"]
        assert sorted(shown) == (expected or ["none"]), (row["id"], line)
        differing += len(expected) * (expected != ["–"])
    assert differing > 0
    # a pair under .05 on a row whose ANOVA is not: said nowhere (this data has such rows)
    assert gated > 0
    # and the reliability of each scale, overall and per group, as with two groups
    rel = lines.index("Reliability (Cronbach's α, listwise)")
    assert lines[rel + 1].split()[-6:] == ["α", "A", "α", "B", "α", "C"]
    scale = doc["scales"][0]
    row = next(line for line in lines[rel + 2:] if line.startswith(scale["id"] + " "))
    assert f"{scale['alpha']:.3f} [{scale['alpha_ci95'][0]:.3f}, {scale['alpha_ci95'][1]:.3f}]" in row
    assert row.split()[-3:] == [f"{scale['alpha_by_group'][g]['alpha']:.3f}" for g in names]


def test_a_blank_alpha_in_the_table_says_why(files, capsys, tmp_path):
    frame = random_responses(seed=4, sizes={"business": 40, "it": 30})
    scale_items = [c for c in frame.columns if c.startswith("q")]
    frame.loc[frame["group"] == "it", scale_items[0]] = None  # nobody in IT answers every item of q1's scale
    path = tmp_path / "blank.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(["analyze", str(path), "--instrument", files["instrument"], "--group-col", "group", "--json", "-"], capsys)
    doc = json.loads(out)
    blank = [s for s in doc["scales"] if s["alpha_by_group"]["it"]["alpha"] is None]
    assert blank, "the fixture should leave IT's α undefined on some scale"
    code, out, err = run(["analyze", str(path), "--instrument", files["instrument"], "--group-col", "group"], capsys)
    assert code == 0, err
    for scale in blank:
        assert f"   {scale['id']}: " in out and f"it: {scale['alpha_by_group']['it']['note']}" in out
    # the α for all groups is there, but it is business's alone: the table says so
    assert f"   {blank[0]['id']}: all groups: no respondent of group it answered every item, so this is the α of group business alone" in out


def test_the_table_never_cuts_a_long_service_name(files, capsys, tmp_path):
    long_name = "Service desk and remote access support"
    inst = tmp_path / "long.yaml"
    inst.write_text(INSTRUMENT_YAML.replace("name: Service desk,", f"name: {long_name},"), encoding="utf-8")
    code, out, err = run(["analyze", files["responses"], "--instrument", str(inst), "--group-col", "group"], capsys)
    assert code == 0, err
    assert any(line.startswith(f"{long_name} business ") for line in out.splitlines())


def test_a_third_group_left_out_by_default_is_named_not_dropped_silently(files, capsys, tmp_path):
    frame = random_responses(seed=3, sizes={"business": 40, "it": 30, "contractors": 20})
    path = tmp_path / "three.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(["analyze", str(path), "--instrument", files["instrument"], "--group-col", "group", "--json", "-", "--quiet"], capsys)
    assert code == 0 and json.loads(out)["compared"] == ["business", "it"]
    assert err.strip() == ("note: the file also has group(s) contractors, not compared: without --groups the instrument's "
                           "first two groups with at least 5 responses are compared; name the groups to compare, e.g. --groups "
                           "business it contractors")


def test_the_hint_for_a_third_group_never_suggests_one_under_the_threshold(files, capsys, tmp_path):
    frame = random_responses(seed=3, sizes={"business": 40, "it": 30, "contractors": 4})
    path = tmp_path / "three.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(["analyze", str(path), "--instrument", files["instrument"], "--group-col", "group", "--json", "-", "--quiet"], capsys)
    assert code == 0
    assert err.strip() == ("note: the file also has group(s) contractors, not compared: without --groups the instrument's "
                           "first two groups with at least 5 responses are compared (each has fewer than 5 responses to "
                           "analyse, so it would be suppressed)")


def test_exclude_flagged(files, capsys, tmp_path):
    frame = files["frame"].copy()
    frame["dq"] = ""
    frame.loc[frame.index[:5], "dq"] = "too_fast"
    path = tmp_path / "flagged.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(["analyze", str(path), "--instrument", files["instrument"], "--group-col", "group",
                          "--exclude-flagged", "dq", "--json", "-"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["excluded"]["flagged_rows"] == 5
    assert sum(g["n"] for g in doc["groups"].values()) == 115


def test_stdin(files, capsys, monkeypatch):
    data = open(files["responses"], "rb").read()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, err = run(["analyze", "-", "--instrument", files["instrument"], "--group-col", "group", "--json", "-"], capsys)
    assert code == 0, err
    assert json.loads(out)["groups"]["it"]["n"] == 50


# -- exit 1: bad input, one line per problem -----------------------------------------------------
def write(tmp_path, text, name="bad.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def bad(files, capsys, path, *extra):
    code, out, err = run(["analyze", path, "--instrument", files["instrument"], "--group-col", "group", *extra], capsys)
    assert code == 1
    assert "Traceback" not in err
    return err.strip().splitlines()


def test_bad_cells_and_groups(files, capsys, tmp_path):
    frame = files["frame"].copy()
    frame["q2"] = frame["q2"].astype(object)
    frame.loc[frame.index[3], "q2"] = "often"
    frame.loc[frame.index[5], "q1"] = 9
    frame.loc[frame.index[7:10], "group"] = "Busness"
    path = write(tmp_path, frame.to_csv(index=False))
    lines = bad(files, capsys, path)
    assert lines == [
        f"error: {path}: group 'Busness' (3 rows, first at line 9) is not one of business, it, contractors (did you mean 'business'?)",
        f"error: {path}: line 5, column q2: 'often' is not a number or a label of its response scale (blank or NA for no answer)",
        f"error: {path}: line 7, column q1: 9.0 is out of range (expected a whole code from 1 to 5)",  # as pandas wrote it
    ]


FIVE_ITEMS_YAML = """
id: five
name: Five items
groups: [{id: business, name: Business users}, {id: it, name: IT staff}]
response_scales: [{id: agree, min: 1, max: 5, labels: {1: Never, 2: Rarely, 3: Sometimes, 4: Often, 5: Always}}]
scales: [{id: reliability, name: Service reliability, mode: supplier}]
sections:
  - id: s
    title: S
    items:
      - {id: q1, type: likert, text: A, response_scale: agree, scale: reliability}
      - {id: q2, type: likert, text: B, response_scale: agree, scale: reliability}
      - {id: q3, type: likert, text: C, response_scale: agree, scale: reliability}
      - {id: q4, type: likert, text: D, response_scale: agree, scale: reliability}
      - {id: num, type: numeric, text: Minutes, min: 0, max: 120, unit: minutes}
"""


def test_a_short_row_is_said_with_every_other_problem_as_an_import_says_them(capsys, tmp_path):
    """It was all analyze said ("line 6: 3 values, but the header has 6 columns"), where an import of the
    same file lists the bad code, the label, the number, the unknown group and the blank one too."""
    instrument_path = write(tmp_path, FIVE_ITEMS_YAML, "five.yaml")
    path = write(tmp_path, "group,q1,q2,q3,q4,num\nbusiness,9,x,3,4,5\nit,1,2,3,4,1e400\nfoo,1,1,1,1,1\n,1,1,1,1,1\n"
                           "business,1,2\n")
    lines = bad({"instrument": instrument_path}, capsys, path)
    assert lines == [
        f"error: {path}: the group column 'group' is blank in 1 row(s): line 5",
        f"error: {path}: group 'foo' (1 row, first at line 4) is not one of business, it",
        f"error: {path}: line 2, column q1: 9 is out of range (expected a whole code from 1 to 5)",
        f"error: {path}: line 2, column q2: 'x' is not a number or a label of its response scale (blank or NA for no answer)",
        f"error: {path}: line 3, column num: a number too large to be an answer (not a finite number)",
        f"error: {path}: line 6: 3 values, but the header has 6 columns",
    ]


def test_group_under_k(files, capsys, tmp_path):
    frame = random_responses(seed=4, sizes={"business": 30, "it": 3})
    lines = bad(files, capsys, write(tmp_path, frame.to_csv(index=False)))
    assert len(lines) == 1
    assert "group 'it': fewer than 5 responses (the reporting threshold); it is suppressed, so there is nothing to compare" in lines[0]


def test_by_default_the_first_two_groups_with_k_responses_are_compared_as_on_the_dashboard(files, capsys, tmp_path):
    """A first group under k is passed over, not compared into "nothing to compare"; rows with a group
    and no answer are not responses, so they do not lift a group to k."""
    frame = random_responses(seed=4, sizes={"business": 3, "it": 25, "contractors": 40})
    no_answers = pd.DataFrame({"group": ["business", "business"]})
    path = write(tmp_path, pd.concat([frame, no_answers], ignore_index=True).to_csv(index=False))
    code, out, err = run(["analyze", path, "--instrument", files["instrument"], "--group-col", "group", "--json", "-", "--quiet"], capsys)
    assert code == 0, err
    document = json.loads(out)
    assert document["compared"] == ["it", "contractors"]
    assert err.strip() == ("note: the file also has group(s) business, not compared: without --groups the instrument's first "
                           "two groups with at least 5 responses are compared (each has fewer than 5 responses to analyse, "
                           "so it would be suppressed)")


def test_one_group_only(files, capsys, tmp_path):
    frame = random_responses(seed=4, sizes={"business": 30})
    lines = bad(files, capsys, write(tmp_path, frame.to_csv(index=False)))
    assert lines == [f"error: {tmp_path / 'bad.csv'}: a comparison needs two groups in the data; found only: business "
                     "(--groups business gives that group's own figures)"]


@pytest.mark.parametrize(("given", "said"), [
    ("finance", "--groups: 'finance' is not a group of {instrument} (business, it, contractors)"),
    ("busines", "--groups: 'busines' is not a group of {instrument} (business, it, contractors) (did you mean 'business'?)"),
    ("IT staf", "--groups: 'IT staf' is not a group of {instrument} (business, it, contractors) (did you mean 'IT staff'?)"),
])
def test_a_group_argument_not_in_the_instrument_is_a_usage_error(files, capsys, given, said):
    code, _, err = run(analyze(files, "--groups", "business", given), capsys)
    assert (code, err) == (2, f"error: {said.format(instrument=files['instrument'])}\n")


def test_wrong_group_column(files, capsys):
    code, out, err = run(["analyze", files["responses"], "--instrument", files["instrument"], "--group-col", "team"], capsys)
    assert code == 1 and "no group column 'team'" in err


def test_file_problems(files, capsys, tmp_path):
    assert bad(files, capsys, str(tmp_path / "missing.csv")) == [f"error: {tmp_path / 'missing.csv'}: file not found"]
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("group,q1\nbusiness,caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in bad(files, capsys, str(latin1))[0]
    assert bad(files, capsys, write(tmp_path, "", "empty.csv")) == [f"error: {tmp_path / 'empty.csv'}: the file is empty"]
    code, out, err = run(["analyze", files["responses"], "--instrument", str(tmp_path / "nope.yaml"), "--group-col", "group"], capsys)
    assert code == 1 and "nope.yaml: file not found" in err


# -- exit 2: usage -------------------------------------------------------------------------------
@pytest.mark.parametrize("extra", [["--margin", "-1"], ["--margin", "x"], ["--min-group-size", "0"],
                                   ["--min-group-size", "1"], ["--groups"]])
def test_usage_errors(files, extra):
    with pytest.raises(SystemExit) as exc:
        main(analyze(files, *extra))
    assert exc.value.code == 2


@pytest.mark.parametrize(("groups", "said"), [(["business", "business"], "--groups: 'business' given more than once")])
def test_groups_that_cannot_make_a_comparison_are_a_usage_error(files, capsys, groups, said):
    code, _, err = run(analyze(files, "--groups", *groups), capsys)
    assert (code, err) == (2, f"error: {said}\n")


def test_missing_required_options(files):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", files["responses"], "--instrument", files["instrument"]])
    assert exc.value.code == 2


def test_help(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--help"])
    assert exc.value.code == 0
    assert "--group-col" in capsys.readouterr().out


def test_numbers_out_of_their_range_are_left_out_with_a_word_on_stderr(files, capsys, tmp_path):
    frame = files["frame"].copy()
    frame.loc[frame.index[:3], "logon_minutes"] = [-5, 1e308, 500]
    path = tmp_path / "outliers.csv"
    frame.to_csv(path, index=False)
    code, out, err = run(["analyze", str(path), "--instrument", files["instrument"], "--group-col", "group", "--json", "-"], capsys)
    assert code == 0 and json.loads(out)["excluded"]["out_of_range_values"] == 3
    assert "note: 3 numeric answer(s) outside their item's range were treated as missing" in err
