"""compare_groups: the analysis document — contract keys, values against scipy/pingouin/statsmodels,
verdicts, the reporting threshold and differencing, degenerate items, several groups, IPA."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from surveys.analysis_input import AnalysisInputError, responses_to_frame
from surveys.answers import pack_answers
from surveys.ipa import quadrant
from surveys.reliability import cronbach_alpha
from surveys.scoring import reverse_code, scale_scores
from surveys.stats import compare_groups, responses_fingerprint, suppressed_groups, verdict
from tests.test_stats_support import instrument, random_responses

TOL = 1e-9
CONTRACT_KEYS = ["id", "n_a", "n_b", "mean_a", "mean_b", "sd_a", "sd_b", "welch_t", "welch_df", "welch_p", "hedges_g",
                 "hedges_g_ci95", "mwu_u", "mwu_p", "rank_biserial", "p_holm", "p_bh", "tost_p", "verdict"]
SCALE_KEYS = CONTRACT_KEYS + ["alpha", "alpha_ci95", "alpha_a", "alpha_b"]


def close(x, y, tol=TOL):
    return abs(float(x) - float(y)) <= tol * max(1.0, abs(float(y)))


def by_id(rows):
    return {r["id"]: r for r in rows}


@pytest.fixture(scope="module")
def inst():
    return instrument()


@pytest.fixture(scope="module")
def frame():
    return random_responses(seed=1, sizes={"business": 80, "it": 60}, shift=0.3)


@pytest.fixture(scope="module")
def document(frame, inst):
    return compare_groups(frame, inst, "group")


# -- the document --------------------------------------------------------------------------------
def test_document_has_the_contract_keys(document):
    assert set(document) >= {"groups", "suppressed", "items", "scales"}
    assert document["groups"] == {"business": {"n": 80, "name": "Business users"}, "it": {"n": 60, "name": "IT staff"}}
    assert document["suppressed"] == []
    assert [r["id"] for r in document["items"]] == [
        "q1", "q2", "q3", "q4", "q5", "q6", "q7", "n1", "n2", "imp_logon", "perf_logon", "imp_desk", "perf_desk", "logon_minutes"]
    for row in document["items"]:
        assert set(CONTRACT_KEYS) <= set(row)
    assert [r["id"] for r in document["scales"]] == ["reliability", "understanding", "innovation"]
    for row in document["scales"]:
        assert set(SCALE_KEYS) <= set(row)
    json.dumps(document, allow_nan=False)  # plain JSON: no NaN anywhere


def test_item_statistics_match_scipy_pingouin(document, frame):
    rows = by_id(document["items"])
    a_rows = frame[frame.group == "business"]
    b_rows = frame[frame.group == "it"]
    for item in ["q1", "q3", "n2", "perf_desk", "logon_minutes"]:
        row = rows[item]
        x, y = a_rows[item].dropna().to_numpy(), b_rows[item].dropna().to_numpy()
        assert row["n_a"] == len(x) and row["n_b"] == len(y)
        assert close(row["mean_a"], x.mean()) and close(row["sd_b"], y.std(ddof=1))
        assert row["median_a"] == np.median(x)
        t = sps.ttest_ind(x, y, equal_var=False)
        assert close(row["welch_t"], t.statistic) and close(row["welch_p"], t.pvalue) and close(row["welch_df"], t.df)
        assert close(row["hedges_g"], pg.compute_effsize(x, y, eftype="hedges"))
        u = sps.mannwhitneyu(x, y, method="asymptotic")
        assert row["mwu_u"] == u.statistic and close(row["mwu_p"], u.pvalue)
        assert close(row["rank_biserial"], 2 * u.statistic / (len(x) * len(y)) - 1)
        assert close(row["tost_p"], pg.tost(x, y, bound=0.5, correction=True)["pval"].iloc[0])
        assert row["verdict"] == verdict(row["tost_p"], row["p_holm"])


def test_adjusted_p_values_are_across_the_analysed_items_only(document):
    tested = [r for r in document["items"] if r["welch_p"] is not None]
    assert {r["id"] for r in document["items"]} - {r["id"] for r in tested} == {"q6", "q7"}  # one group each
    p = np.array([r["welch_p"] for r in tested])
    np.testing.assert_allclose([r["p_holm"] for r in tested], multipletests(p, method="holm")[1], rtol=TOL)
    np.testing.assert_allclose([r["p_bh"] for r in tested], multipletests(p, method="fdr_bh")[1], rtol=TOL)
    mwu = np.array([r["mwu_p"] for r in tested])
    np.testing.assert_allclose([r["mwu_p_holm"] for r in tested], multipletests(mwu, method="holm")[1], rtol=TOL)
    # scales form their own family
    scale_p = np.array([r["welch_p"] for r in document["scales"]])
    np.testing.assert_allclose([r["p_holm"] for r in document["scales"]], multipletests(scale_p, method="holm")[1], rtol=TOL)


def test_scale_rows_use_scale_scores_and_alpha_from_reverse_coded_items(document, frame, inst):
    scores = scale_scores(frame, inst, "group")
    row = by_id(document["scales"])["reliability"]
    x = scores.loc[frame.group == "business", "reliability"].dropna()
    y = scores.loc[frame.group == "it", "reliability"].dropna()
    t = sps.ttest_ind(x, y, equal_var=False)
    assert row["n_a"] == len(x) and close(row["welch_t"], t.statistic)
    assert close(row["mwu_p"], sps.mannwhitneyu(x, y, method="asymptotic").pvalue)
    recoded = reverse_code(frame, inst)
    overall = cronbach_alpha(recoded[["q1", "q2", "q3"]])
    assert close(row["alpha"], overall.alpha) and row["alpha_n"] == overall.n
    assert close(row["alpha_a"], cronbach_alpha(recoded.loc[frame.group == "business", ["q1", "q2", "q3"]]).alpha)
    assert close(row["alpha_b"], row["alpha_by_group"]["it"]["alpha"])
    assert row["alpha"] > 0.5  # the generator makes the items hang together once q3 is reversed
    assert [i["id"] for i in row["item_analysis"]] == ["q1", "q2", "q3"]
    assert all(i["r_corrected"] > 0 for i in row["item_analysis"])


def test_scale_with_items_for_one_group_only_says_so(document):
    row = by_id(document["scales"])["understanding"]
    assert "different items" in row["note"] and "q6" in row["note"]
    assert row["alpha_items"] == ["q4", "q5"]  # overall α only on the items everyone was asked
    assert row["alpha_by_group"]["business"]["alpha"] is not None


# -- verdicts ------------------------------------------------------------------------------------
def test_verdict_rule():
    assert verdict(0.01, 0.01) == "equivalent"  # TOST first
    assert verdict(0.2, 0.01) == "differs"
    assert verdict(0.2, 0.2) == "inconclusive"
    assert verdict(None, None) == "inconclusive"
    assert verdict(0.05, 0.049) == "differs" and verdict(0.049, 1) == "equivalent"


def test_verdicts_on_clear_data(inst):
    n = 400
    frame = random_responses(seed=4, sizes={"business": n, "it": n}, missing=0.0)
    frame.loc[frame.group == "it", "q1"] = np.clip(frame.loc[frame.group == "it", "q1"] - 2, 1, 5)  # a real gap
    small = random_responses(seed=5, sizes={"business": 6, "it": 6}, missing=0.0)
    doc = by_id(compare_groups(frame, inst, "group")["items"])
    assert doc["q1"]["verdict"] == "differs" and doc["q1"]["mean_diff"] > 1
    assert doc["q2"]["verdict"] == "equivalent"
    small_doc = by_id(compare_groups(small, inst, "group")["items"])
    assert small_doc["q2"]["verdict"] == "inconclusive"


# -- the reporting threshold ---------------------------------------------------------------------
def test_group_under_k_is_suppressed_and_never_analysed(inst):
    frame = random_responses(seed=2, sizes={"business": 40, "it": 4})
    doc = compare_groups(frame, inst, "group", min_group_size=5)
    assert doc["suppressed"] == ["it"] and "it" not in doc["groups"]
    assert doc["items"] == [] and doc["scales"] == [] and "nothing to compare" in doc["note"]
    assert "4" not in doc["suppressed_reasons"]["it"]  # the count itself is not shown
    doc = compare_groups(frame, inst, "group", min_group_size=4)
    assert doc["suppressed"] == [] and doc["groups"]["it"]["n"] == 4


def test_compared_lists_the_groups_actually_compared_not_the_suppressed_ones(inst):
    """Three groups asked for, one under k: the document is the two-group one (n_a/n_b), and
    `compared` says which two — A first — while `suppressed` names the third."""
    frame = random_responses(seed=2, sizes={"business": 40, "it": 30, "contractors": 3})
    doc = compare_groups(frame, inst, "group", groups=["business", "it", "contractors"])
    assert doc["compared"] == ["business", "it"] == list(doc["groups"]) and doc["suppressed"] == ["contractors"]
    assert "n_a" in doc["items"][0]
    nothing = compare_groups(frame, inst, "group", groups=["it", "contractors"])
    assert nothing["compared"] == [] and nothing["suppressed"] == ["contractors"] and nothing["note"]


def test_empty_group_is_reported_as_no_responses(inst):
    frame = random_responses(seed=2, sizes={"business": 40, "it": 30})
    doc = compare_groups(frame, inst, "group", groups=["business", "contractors"])
    assert doc["suppressed"] == ["contractors"] and doc["suppressed_reasons"]["contractors"] == "no responses"


def test_item_where_a_group_has_fewer_than_k_answers_gets_only_a_reason(inst):
    frame = random_responses(seed=3, sizes={"business": 30, "it": 20}, missing=0.0)
    it_rows = frame.index[frame.group == "it"]
    frame.loc[it_rows[3:], "q2"] = np.nan  # 3 IT answers left
    row = by_id(compare_groups(frame, inst, "group")["items"])["q2"]
    assert row["note"] == "fewer than 5 answers from group it: suppressed"
    assert row["n_a"] == 30 and row["n_b"] is None and row["mean_b"] is None
    assert row["welch_p"] is None and row["verdict"] is None and row["p_holm"] is None


def test_item_answered_by_nobody(inst):
    frame = random_responses(seed=3)
    frame["n1"] = np.nan
    doc = compare_groups(frame, inst, "group")
    row = by_id(doc["items"])["n1"]
    assert row["note"] == "answered by nobody" and row["welch_t"] is None and row["n_a"] is None


@pytest.mark.parametrize(
    ("counts", "k", "total_shown", "expected"),
    [
        ({"business": 120, "it": 60}, 5, True, []),
        ({"business": 120, "it": 3}, 5, True, ["business", "it"]),  # total − 120 = 3
        ({"business": 120, "it": 3}, 5, False, ["it"]),
        ({"business": 120, "it": 60, "contractors": 3}, 5, True, ["it", "contractors"]),
        ({"business": 120, "it": 2, "contractors": 2}, 5, True, ["business", "it", "contractors"]),  # 2 + 2 < 5
        ({"business": 120, "it": 3, "contractors": 4}, 5, True, ["it", "contractors"]),  # 3 + 4 ≥ 5, two groups
        ({"business": 120, "it": 0}, 5, True, ["it"]),  # an empty group reveals nobody
        ({"business": 5, "it": 5}, 5, True, []),
        ({"a": 4}, 5, True, ["a"]),
    ],
)
def test_suppressed_groups_with_differencing(counts, k, total_shown, expected):
    assert suppressed_groups(counts, k, total_shown=total_shown) == expected


def test_several_groups_with_one_under_k_analyses_the_others(inst):
    frame = random_responses(seed=6, sizes={"business": 40, "it": 30, "contractors": 3})
    doc = compare_groups(frame, inst, "group", groups=["business", "it", "contractors"])
    assert doc["suppressed"] == ["contractors"] and list(doc["groups"]) == ["business", "it"]
    assert doc["items"][0]["welch_t"] is not None  # two groups remain: the two-group document


# -- bad and degenerate data ---------------------------------------------------------------------
def test_constant_items(inst):
    frame = random_responses(seed=7, sizes={"business": 30, "it": 20}, missing=0.0)
    frame["q4"] = 4.0  # everyone agrees
    frame.loc[frame.group == "business", "q5"] = 5.0
    frame.loc[frame.group == "it", "q5"] = 1.0
    frame.loc[frame.group == "business", "q1"] = 3.0  # constant in one group only: fine
    rows = by_id(compare_groups(frame, inst, "group")["items"])
    same = rows["q4"]
    assert same["note"].startswith("constant in every group (every answer is 4)")
    assert same["note"].endswith("so the verdict is inconclusive although the groups answered identically")
    assert same["welch_t"] is None and same["welch_p"] is None and same["hedges_g"] is None and same["tost_p"] is None
    assert same["mean_a"] == 4 and same["sd_a"] == 0 and same["mwu_p"] == 1.0 and same["rank_biserial"] == 0
    assert same["verdict"] == "inconclusive" and same["p_holm"] is None
    apart = rows["q5"]
    assert apart["note"].startswith("constant within each group (business: 5, it: 1)")
    assert "do not overlap at all" in apart["note"]
    assert apart["welch_t"] is None and apart["rank_biserial"] == 1.0 and apart["mwu_p"] < 0.001
    # no overlap at all: the rank test decides, Holm-adjusted across the items as the Welch p would be
    reference = sps.mannwhitneyu(frame.q5[frame.group == "business"], frame.q5[frame.group == "it"], method="asymptotic")
    assert apart["mwu_p"] == pytest.approx(reference.pvalue, rel=1e-12) and apart["mwu_p_holm"] < 0.05
    assert apart["verdict"] == "differs" and apart["p_holm"] is None
    assert "the verdict is the rank test's" in apart["note"]
    one = rows["q1"]
    assert one["note"] is None and one["welch_t"] is not None and one["sd_a"] == 0


def test_two_people_a_group_who_do_not_overlap_are_not_enough_to_say_the_groups_differ(inst):
    """Each group constant and different, two answers a group: Mann–Whitney's p is 0.12 (scipy), so the
    verdict stays inconclusive — no overlap among four people is not evidence of a difference."""
    frame = random_responses(seed=7, sizes={"business": 2, "it": 2}, missing=0.0)
    frame.loc[frame.group == "business", "q5"] = 5.0
    frame.loc[frame.group == "it", "q5"] = 1.0
    row = by_id(compare_groups(frame, inst, "group", min_group_size=2)["items"])["q5"]
    assert row["mwu_p"] == pytest.approx(sps.mannwhitneyu([5, 5], [1, 1], method="asymptotic").pvalue, rel=1e-12)
    assert row["mwu_p"] > 0.05 and row["verdict"] == "inconclusive"


def test_items_where_every_answer_is_the_same_stay_out_of_the_rank_tests_adjustment(inst):
    """Their Mann–Whitney p = 1 says nothing: Holm and BH adjust over the other items only, as
    statsmodels does over those items' p-values (a p = 1 counted in would inflate every other Holm p)."""
    frame = random_responses(seed=11, sizes={"business": 30, "it": 20}, missing=0.0)
    frame["q4"] = 4.0
    frame["q5"] = 2.0
    rows = compare_groups(frame, inst, "group")["items"]
    tied = [r for r in rows if r["id"] in ("q4", "q5")]
    assert [(r["mwu_p"], r["mwu_p_holm"], r["mwu_p_bh"]) for r in tied] == [(1.0, None, None)] * 2
    tested = [r for r in rows if r["mwu_p"] is not None and r["id"] not in ("q4", "q5")]
    mwu = [r["mwu_p"] for r in tested]
    np.testing.assert_allclose([r["mwu_p_holm"] for r in tested], multipletests(mwu, method="holm")[1], rtol=TOL)
    np.testing.assert_allclose([r["mwu_p_bh"] for r in tested], multipletests(mwu, method="fdr_bh")[1], rtol=TOL)


def test_constant_scale_gets_no_alpha_and_a_reason(inst):
    frame = random_responses(seed=8, sizes={"business": 30, "it": 20}, missing=0.0)
    frame[["q1", "q2", "q3"]] = 3.0
    row = by_id(compare_groups(frame, inst, "group")["scales"])["reliability"]
    assert row["alpha"] is None and "does not vary" in row["alpha_note"]
    assert row["welch_t"] is None and row["note"].startswith("constant in every group")


def test_alpha_for_everyone_is_withheld_when_a_group_s_alpha_is_suppressed(inst):
    """Pooled n − the other group's n would give the suppressed group's count (DESIGN.md: no hidden
    remainder by subtraction); the CI depends on n, so it goes too."""
    frame = random_responses(seed=12, sizes={"business": 30, "it": 20}, missing=0.0)
    it_rows = frame.index[frame.group == "it"]
    frame.loc[it_rows[3:], "q1"] = np.nan  # three IT respondents answer every reliability item
    row = by_id(compare_groups(frame, inst, "group", min_group_size=5)["scales"])["reliability"]
    assert (row["alpha_b"], row["alpha_b_n"]) == (None, None)
    assert (row["alpha"], row["alpha_ci95"], row["alpha_n"]) == (None, None, None)
    assert "by subtraction" in row["alpha_note"] and "group it" in row["alpha_note"]
    assert all(entry["r_corrected"] is None for entry in row["item_analysis"])
    assert row["alpha_a_n"] == 30 and row["alpha_a"] is not None
    shown = by_id(compare_groups(frame, inst, "group", min_group_size=3)["scales"])["reliability"]
    assert shown["alpha_n"] == 33 and shown["alpha"] is not None  # at k = 3 the three are reportable


def test_all_missing_rows_are_dropped_and_counted(inst):
    frame = random_responses(seed=9, sizes={"business": 30, "it": 20})
    items = [c for c in frame.columns if c not in ("group", "directorate", "comment")]
    blank = frame.iloc[:3].copy()
    blank[items] = np.nan
    doc = compare_groups(pd.concat([frame, blank], ignore_index=True), inst, "group")
    assert doc["excluded"]["empty_rows"] == 3
    assert doc["groups"]["business"]["n"] + doc["groups"]["it"]["n"] == 50


def test_group_with_a_single_answer_when_k_is_one(inst):
    frame = random_responses(seed=13, sizes={"business": 20, "it": 1}, missing=0.0)
    row = by_id(compare_groups(frame, inst, "group", min_group_size=1)["items"])["q1"]
    assert row["note"] == "fewer than two answers in group it: t, Hedges' g and TOST undefined"
    assert row["welch_t"] is None and row["hedges_g"] is None and row["tost_p"] is None
    assert row["n_b"] == 1 and row["mwu_p"] is not None and row["verdict"] == "inconclusive"


def test_instrument_without_scales_or_ipa_pairs():
    from surveys.instrument import parse_instrument

    tiny = parse_instrument("""
id: tiny
name: Tiny
groups: [{id: a, name: A}, {id: b, name: B}]
response_scales: [{id: r, min: 1, max: 3, labels: {1: x, 2: y, 3: z}}]
sections: [{id: s, title: S, items: [{id: i1, type: likert, text: t, response_scale: r}]}]
""")
    frame = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 6, "i1": [1, 2, 3, 1, 2, 3, 3, 3, 3, 2, 2, 1]})
    doc = compare_groups(frame, tiny, "g")
    assert doc["scales"] == [] and doc["ipa"] == {"pairs": [], "crosshairs": {}}
    assert doc["items"][0]["mwu_u"] == sps.mannwhitneyu([1, 2, 3, 1, 2, 3], [3, 3, 3, 2, 2, 1]).statistic
    with pytest.raises(AnalysisInputError, match="no responses to analyse"):
        compare_groups(frame.iloc[:0], tiny, "g")


def test_flagged_rows_are_excluded_and_counted(inst):
    frame = random_responses(seed=10, sizes={"business": 30, "it": 20})
    frame["quality_flags"] = ""
    frame.loc[frame.index[:4], "quality_flags"] = "straight_lining"
    doc = compare_groups(frame, inst, "group", flag_col="quality_flags")
    assert doc["excluded"]["flagged_rows"] == 4
    assert doc["groups"]["business"]["n"] + doc["groups"]["it"]["n"] == 46
    unflagged = compare_groups(frame, inst, "group")  # without the option nothing is excluded
    assert unflagged["excluded"]["flagged_rows"] == 0


def test_group_choice(inst):
    frame = random_responses(seed=11, sizes={"it": 20, "contractors": 20, "business": 20})
    assert compare_groups(frame, inst, "group")["compared"] == ["business", "it"]  # instrument order
    assert compare_groups(frame, inst, "group", groups=["IT staff", "Business"])["compared"] == ["it", "business"]
    with pytest.raises(AnalysisInputError) as err:
        compare_groups(frame, inst, "group", groups=["busness", "it"])
    assert err.value.problems[0] == "group 'busness' is not one of business, it, contractors (did you mean 'business'?)"
    with pytest.raises(AnalysisInputError, match="two groups"):
        compare_groups(frame[frame.group == "it"], inst, "group")
    # by default the first two groups with k responses, as the app reads a campaign: one under k is passed over
    small = random_responses(seed=11, sizes={"business": 4, "it": 20, "contractors": 20})
    assert compare_groups(small, inst, "group")["compared"] == ["it", "contractors"]
    # with fewer than two such groups, the first two in the data, reported as suppressed
    smaller = random_responses(seed=11, sizes={"business": 4, "it": 20, "contractors": 3})
    document = compare_groups(smaller, inst, "group")
    assert (document["compared"], document["suppressed"]) == ([], ["business"])


def test_bad_parameters(inst, frame):
    with pytest.raises(AnalysisInputError, match="threshold"):
        compare_groups(frame, inst, "group", min_group_size=0)
    with pytest.raises(AnalysisInputError, match="margin"):
        compare_groups(frame, inst, "group", margin=-1)


# -- more than two groups ------------------------------------------------------------------------
def test_several_groups_match_pingouin_and_scipy(inst):
    frame = random_responses(seed=12, sizes={"business": 50, "it": 35, "contractors": 25}, shift=0.5)
    doc = compare_groups(frame, inst, "group", groups=["business", "it", "contractors"])
    assert list(doc["groups"]) == ["business", "it", "contractors"]
    rows = by_id(doc["items"])
    for item in ["q1", "n1", "logon_minutes"]:
        row = rows[item]
        data = frame[["group", item]].dropna()
        ref = pg.welch_anova(data=data, dv=item, between="group")
        assert close(row["welch_anova_f"], ref["F"].iloc[0]) and close(row["welch_anova_p"], ref["p_unc"].iloc[0])
        kw = sps.kruskal(*[data.loc[data.group == g, item] for g in ["business", "it", "contractors"]])
        assert close(row["kruskal_h"], kw.statistic) and close(row["kruskal_p"], kw.pvalue)
        assert [(p["a"], p["b"]) for p in row["pairwise"]] == [("business", "it"), ("business", "contractors"), ("it", "contractors")]
        welch_ps = []
        for pair in row["pairwise"]:
            x = data.loc[data.group == pair["a"], item]
            y = data.loc[data.group == pair["b"], item]
            t = sps.ttest_ind(x, y, equal_var=False)
            assert close(pair["welch_p"], t.pvalue)
            assert close(pair["mwu_p"], sps.mannwhitneyu(x, y, method="asymptotic").pvalue)
            welch_ps.append(t.pvalue)
        np.testing.assert_allclose([p["welch_p_holm"] for p in row["pairwise"]], multipletests(welch_ps, method="holm")[1], rtol=TOL)
    tested = [r for r in doc["items"] if r["welch_anova_p"] is not None]
    np.testing.assert_allclose([r["p_holm"] for r in tested],
                               multipletests([r["welch_anova_p"] for r in tested], method="holm")[1], rtol=TOL)
    assert rows["q6"]["note"].startswith("not asked of group it, contractors")
    lo, hi = rows["q1"]["mean_ci95"]["it"]
    assert lo < rows["q1"]["mean"]["it"] < hi
    assert doc["scales"][0]["alpha_by_group"]["contractors"]["alpha"] is not None
    json.dumps(doc, allow_nan=False)


def test_an_item_asked_of_one_group_shows_that_groups_answers_and_compares_nothing(inst):
    """q6 is asked of business users only: their mean, SD, median and 95% CI are a finding (checked
    against scipy), no test is run, and with fewer than k answers the item stays wholly suppressed."""
    frame = random_responses(seed=16, sizes={"business": 40, "it": 30, "contractors": 20})
    answers = frame.loc[frame.group == "business", "q6"].dropna()
    lo, hi = sps.t.interval(0.95, len(answers) - 1, loc=answers.mean(), scale=sps.sem(answers))
    two = by_id(compare_groups(frame, inst, "group", groups=["business", "it"])["items"])["q6"]
    assert two["n_a"] == len(answers) and close(two["mean_a"], answers.mean()) and close(two["sd_a"], answers.std(ddof=1))
    assert close(two["median_a"], answers.median()) and np.allclose(two["mean_ci95_a"], [lo, hi], rtol=TOL)
    assert (two["n_b"], two["mean_b"], two["sd_b"], two["mean_ci95_b"]) == (None, None, None, None)
    assert (two["welch_p"], two["mwu_p"], two["hedges_g"], two["verdict"]) == (None, None, None, None)
    assert two["note"].startswith("not asked of group it")
    several = by_id(compare_groups(frame, inst, "group", groups=["business", "it", "contractors"])["items"])["q6"]
    assert close(several["mean"]["business"], answers.mean()) and several["mean"]["it"] is None
    assert several["welch_anova_p"] is None and several["pairwise"] == []

    # asked of both groups, answered by one: said so (not "fewer than 5 … suppressed"), and the
    # group that answered is described as above
    silent = frame.copy()
    silent.loc[silent.group == "it", "q1"] = np.nan
    row = by_id(compare_groups(silent, inst, "group", groups=["business", "it"])["items"])["q1"]
    assert row["note"] == "no answers from group it: no comparison" and row["verdict"] is None
    assert close(row["mean_a"], silent.loc[silent.group == "business", "q1"].mean()) and row["mean_b"] is None

    few = frame.copy()
    few.loc[few.group == "business", "q6"] = [1.0, 2.0, 3.0] + [np.nan] * 37
    row = by_id(compare_groups(few, inst, "group", groups=["business", "it"], min_group_size=5)["items"])["q6"]
    assert (row["n_a"], row["mean_a"], row["sd_a"], row["median_a"]) == (None, None, None, None)


def test_several_groups_say_why_welchs_anova_is_missing(inst):
    """pingouin refuses Welch's ANOVA when a group does not vary (its weight n/s² is infinite); the
    row then says so, and that Kruskal–Wallis still stands — in several-group words, not two-group ones."""
    frame = random_responses(seed=14, sizes={"business": 30, "it": 20, "contractors": 12}, missing=0.0)
    frame.loc[frame.group == "contractors", "q1"] = 3.0
    frame["q2"] = 4.0
    rows = by_id(compare_groups(frame, inst, "group", groups=["business", "it", "contractors"])["items"])
    one = rows["q1"]
    assert one["welch_anova_p"] is None and one["kruskal_p"] is not None
    assert one["note"] == ("no variation within group contractors (every answer 3): Welch's ANOVA undefined, so "
                           "Kruskal–Wallis says whether the groups differ, and the pairwise tests which pairs")
    assert rows["q2"]["note"] == ("constant in every group (every answer is 4): Welch's ANOVA and the pairwise Welch t "
                                  "and Hedges' g undefined")


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy's t-test on the constant groups
def test_with_welchs_anova_undefined_kruskal_wallis_gates_and_the_pairs_that_differ_are_listed(inst):
    """Two groups all answer 4, the third answers lower: Welch's ANOVA has no value, but Kruskal–Wallis
    (Holm-adjusted across the items, as scipy + statsmodels give it) says the groups differ, and the
    pairs with the third group hold by their Welch p (Holm across the pairs); the pair that answered
    identically stays out of the rank tests' family, as in two groups."""
    from surveys.stats import differing_pairs, groups_differ

    frame = random_responses(seed=21, sizes={"business": 20, "it": 20, "contractors": 20}, missing=0.0)
    frame.loc[frame.group != "contractors", "q1"] = 4.0
    frame.loc[frame.group == "contractors", "q1"] = np.resize([1.0, 2.0, 2.0, 3.0], 20)
    names = ["business", "it", "contractors"]
    doc = compare_groups(frame, inst, "group", groups=names)
    row = by_id(doc["items"])["q1"]
    assert row["welch_anova_p"] is None and row["p_holm"] is None
    compared = [r["id"] for r in doc["items"] if r["note"] is None or r["id"] == "q1"]  # asked of all three
    kw = [sps.kruskal(*[frame.loc[frame.group == g, item] for g in names]).pvalue for item in compared]
    expected = multipletests(kw, method="holm")[1][compared.index("q1")]
    assert row["kruskal_p_holm"] == pytest.approx(expected, rel=1e-9) and groups_differ(row) is True
    answers = {g: frame.loc[frame.group == g, "q1"] for g in names}
    welch = [sps.ttest_ind(answers[a], answers[b], equal_var=False).pvalue for a, b in (("business", "contractors"),
                                                                                      ("it", "contractors"))]
    pairs = {(p["a"], p["b"]): p for p in differing_pairs(row)}
    assert set(pairs) == {("business", "contractors"), ("it", "contractors")}
    assert [pairs[("business", "contractors")]["welch_p_holm"], pairs[("it", "contractors")]["welch_p_holm"]] == \
        pytest.approx(list(multipletests(welch, method="holm")[1]), rel=1e-9)
    mwu = [sps.mannwhitneyu(answers[a], answers[b], method="asymptotic").pvalue
           for a, b in (("business", "contractors"), ("it", "contractors"))]
    assert [p["mwu_p_holm"] for p in row["pairwise"] if p["b"] == "contractors"] == \
        pytest.approx(list(multipletests(mwu, method="holm")[1]), rel=1e-9)
    assert [p["mwu_p_holm"] for p in row["pairwise"] if p["b"] == "it"] == [None]


def test_several_groups_that_each_gave_one_answer_differ_by_the_rank_test(inst):
    from surveys.stats import differing_pairs

    frame = random_responses(seed=22, sizes={"business": 20, "it": 20, "contractors": 20}, missing=0.0)
    for group, answer in (("business", 5.0), ("it", 5.0), ("contractors", 1.0)):
        frame.loc[frame.group == group, "q1"] = answer
    row = by_id(compare_groups(frame, inst, "group", groups=["business", "it", "contractors"])["items"])["q1"]
    assert {(p["a"], p["b"]) for p in differing_pairs(row)} == {("business", "contractors"), ("it", "contractors")}


def test_a_threshold_of_one_says_no_answers_not_fewer_than_one(inst):
    frame = random_responses(seed=15, sizes={"business": 20, "it": 3}, missing=0.0)
    frame.loc[frame.group == "it", "q1"] = np.nan
    frame.loc[frame.group == "it", "q2"] = np.nan  # nobody in it answers every item of the scale
    doc = compare_groups(frame, inst, "group", min_group_size=1)
    # nobody in it answered q1: nothing there to hide, and nothing to compare
    assert by_id(doc["items"])["q1"]["note"] == "no answers from group it: no comparison"
    notes = [group["note"] for scale in doc["scales"] for group in scale["alpha_by_group"].values()]
    assert "no respondent answered every item of the scale: α undefined" in notes
    assert not any("fewer than 1" in str(n) for n in notes)


def test_a_scale_nobody_answered_whole_is_undefined_not_withheld_for_privacy(inst):
    """An item nobody answered: α is undefined, and saying it was suppressed blamed the threshold."""
    frame = random_responses(seed=16, sizes={"business": 30, "it": 20}, missing=0.0)
    frame["q1"] = np.nan
    doc = compare_groups(frame, inst, "group", min_group_size=5)
    scale = next(s for s in doc["scales"] if "q1" in s["alpha_items"])
    assert scale["alpha"] is None and scale["alpha_note"] == "no respondent answered every item of the scale: α undefined"
    assert {g["note"] for g in scale["alpha_by_group"].values()} == {scale["alpha_note"]}


# -- importance–performance ----------------------------------------------------------------------
def test_quadrants():
    assert quadrant(4.5, 2.0, 4.0, 3.0) == "Concentrate here"
    assert quadrant(4.5, 3.5, 4.0, 3.0) == "Keep up the good work"
    assert quadrant(3.0, 2.0, 4.0, 3.0) == "Low priority"
    assert quadrant(3.0, 3.5, 4.0, 3.0) == "Possible overkill"
    assert quadrant(4.0, 3.0, 4.0, 3.0) == "Keep up the good work"  # on the cross-hairs counts as high


def test_ipa_means_gap_and_crosshairs(document, frame):
    ipa = document["ipa"]
    business = [r for r in ipa["pairs"] if r["group"] == "business"]
    assert [r["id"] for r in business] == ["logon", "desk"]
    rows = frame[frame.group == "business"]
    logon = business[0]
    assert close(logon["importance"], rows["imp_logon"].mean()) and close(logon["performance"], rows["perf_logon"].mean())
    assert close(logon["gap"], logon["performance"] - logon["importance"])
    cross = ipa["crosshairs"]["business"]
    assert close(cross["importance"], np.mean([r["importance"] for r in business]))
    for r in business:
        assert r["quadrant"] == quadrant(r["importance"], r["performance"], cross["importance"], cross["performance"])


# -- for the app ---------------------------------------------------------------------------------
def test_responses_to_frame_from_stored_records(inst):
    records = [
        {"group_id": "business", "answers": {"q1": 4, "q2": 5, "comment": "<b>hi</b>"}, "quality_flags": ""},
        {"group_id": "it", "answers_json": json.dumps({"q1": 2, "logon_minutes": 7.5}), "quality_flags": "too_fast"},
        {"group_id": "it", "answers_json": pack_answers(inst, {"q1": 3, "logon_minutes": 9}), "quality_flags": ""},
    ]
    frame = responses_to_frame(records, inst)
    assert list(frame["group"]) == ["business", "it", "it"] and frame.loc[1, "logon_minutes"] == 7.5
    assert frame.loc[2, "q1"] == 3 and frame.loc[2, "logon_minutes"] == 9
    assert "comment" not in frame.columns and list(frame["quality_flags"]) == ["", "too_fast", ""]
    assert np.isnan(frame.loc[0, "n1"])


def test_fingerprint_changes_with_the_responses(frame):
    changed = frame.copy()
    changed.loc[changed.index[0], "q1"] = 5 if changed.loc[changed.index[0], "q1"] != 5 else 4
    assert responses_fingerprint(frame) == responses_fingerprint(frame.copy())
    assert responses_fingerprint(frame) != responses_fingerprint(changed)


def test_alpha_for_everyone_says_so_when_a_group_adds_nobody_to_it(inst):
    """α is listwise: with no IT respondent answering every item, the α for all groups is business's
    α alone; the note says so instead of leaving a figure that looks pooled."""
    frame = random_responses(seed=12, sizes={"business": 30, "it": 20}, missing=0.0)
    frame.loc[frame.group == "it", "q1"] = np.nan
    row = by_id(compare_groups(frame, inst, "group")["scales"])["reliability"]
    assert row["alpha_b"] is None and row["alpha"] == row["alpha_a"] and row["alpha_n"] == row["alpha_a_n"] == 30
    assert row["alpha_note"] == "no respondent of group it answered every item, so this is the α of group business alone"
    three = random_responses(seed=12, sizes={"business": 30, "it": 20, "contractors": 20}, missing=0.0)
    three.loc[three.group == "it", "q1"] = np.nan
    several = by_id(compare_groups(three, inst, "group", groups=["business", "it", "contractors"])["scales"])["reliability"]
    assert several["alpha_n"] == 50 and several["alpha_note"] == (
        "no respondent of group it answered every item, so this is the α of groups business, contractors only")


def test_a_group_with_no_complete_answers_on_its_own_items_still_protects_its_count_on_the_common_ones():
    """IT left an IT-only item blank (own count 0) while 3 of IT answered every common item: the
    pooled α's n minus business's n gave those 3 away."""
    from tests.test_stats_support import instrument, random_responses

    inst = instrument()
    frame = random_responses(seed=3, sizes={"business": 30, "it": 20}, missing=0.0)
    it = frame["group"] == "it"
    frame.loc[it, "q7"] = np.nan  # the IT-only item of the scale: nobody in IT answered it
    frame.loc[frame.index[it][3:], "q4"] = np.nan  # only 3 of IT answered every common item
    doc = compare_groups(frame, inst, "group", groups=["business", "it"], min_group_size=5)
    scale = next(s for s in doc["scales"] if s["id"] == "understanding")
    assert "q7" not in scale["alpha_items"] and "q4" in scale["alpha_items"]
    assert scale["alpha"] is None and scale["alpha_n"] is None
    assert scale["alpha_note"].startswith("suppressed: fewer than 5 respondents of group it answered every item")
