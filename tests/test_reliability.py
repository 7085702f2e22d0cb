"""Inter-rater reliability: checked against pingouin, the krippendorff package and published examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

import krippendorff
from assessment.reliability import ICC_TYPES, intraclass_correlations, krippendorff_alpha, reliability

nan = np.nan

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges, and the published values (Table 4).
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
SHROUT_FLEISS_PUBLISHED = {"ICC1": 0.17, "ICC2": 0.29, "ICC3": 0.71, "ICC1k": 0.44, "ICC2k": 0.62, "ICC3k": 0.91}

# Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", section B: 4 observers × 12 units.
KRIPPENDORFF_2011 = np.array([
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],
])
KRIPPENDORFF_2011_PUBLISHED = {"nominal": 0.743, "interval": 0.849, "ratio": 0.797}
PINGOUIN_TYPES = dict(zip(ICC_TYPES, ["ICC(1,1)", "ICC(A,1)", "ICC(C,1)", "ICC(1,k)", "ICC(A,k)", "ICC(C,k)"]))


@pytest.fixture
def unrounded_pingouin(monkeypatch):
    # pingouin rounds its CI95 column to 2 decimals by default; compare with the full values.
    monkeypatch.setitem(pg.options, "round.column.CI95", None)
    monkeypatch.setitem(pg.options, "round", None)


def _pingouin_icc(matrix: np.ndarray) -> pd.DataFrame:
    n, k = matrix.shape
    long = pd.DataFrame({"target": np.repeat(np.arange(n), k), "rater": np.tile(np.arange(k), n), "score": matrix.ravel()})
    return pg.intraclass_corr(data=long, targets="target", raters="rater", ratings="score").set_index("Type")


def test_shrout_fleiss_table_2_published_values():
    results = {r.type: r for r in intraclass_correlations(SHROUT_FLEISS)}
    for name, published in SHROUT_FLEISS_PUBLISHED.items():
        assert round(results[name].icc, 2) == published, name


@pytest.mark.parametrize("seed", range(8))
def test_icc_and_intervals_match_pingouin(seed, unrounded_pingouin):
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(3, 40)), int(rng.integers(2, 7))
    # levels 1–5 with a target effect so that ICCs are not all near zero
    matrix = np.clip(rng.integers(1, 4, size=(n, 1)) + rng.integers(-1, 3, size=(n, k)), 1, 5).astype(float)
    ours = {r.type: r for r in intraclass_correlations(matrix)}
    theirs = _pingouin_icc(matrix)
    for name, pg_name in PINGOUIN_TYPES.items():
        assert ours[name].icc == pytest.approx(theirs.at[pg_name, "ICC"], abs=1e-9), name
        assert np.allclose(ours[name].ci95, theirs.at[pg_name, "CI95"], atol=1e-9, rtol=0), name
        assert ours[name].f == pytest.approx(theirs.at[pg_name, "F"], rel=1e-9)
        assert ours[name].pval == pytest.approx(theirs.at[pg_name, "pval"], abs=1e-9)


@pytest.mark.parametrize("matrix", [
    np.array([[1, 3], [1, 2], [3, 1], [1, 3.0]]),  # two assessors contradicting each other
    np.array([[2, 1, 4], [5, 5, 3], [3, 5, 1], [2, 1, 3.0]]),  # a small panel disagreeing at random
])
def test_figures_past_the_pole_of_the_mean_of_k_form_are_never_given(matrix, unrounded_pingouin):
    """pingouin gives ICC2k = 40 for the first and an interval [11.3, 0.95] around 0.13 for the second:
    the formulas past their pole. Such a figure is no reliability; the rest still match pingouin."""
    ours = {r.type: r for r in intraclass_correlations(matrix)}
    theirs = _pingouin_icc(matrix)
    for name, pg_name in PINGOUIN_TYPES.items():
        result, point, (low, high) = ours[name], theirs.at[pg_name, "ICC"], theirs.at[pg_name, "CI95"]
        if point > 1:
            assert result.icc is None and result.ci95 is None and "disagree more than chance" in result.reason, name
        elif low > high:
            assert result.icc == pytest.approx(point, abs=1e-9) and result.ci95 is None and "pole" in result.reason, name
        else:
            assert result.icc == pytest.approx(point, abs=1e-9) and np.allclose(result.ci95, (low, high), atol=1e-9), name
    assert ours["ICC2k"].icc is None or ours["ICC2k"].ci95 is None  # each case trips one of the two
    report = reliability(matrix)
    assert any(note.startswith("ICC2k: ") for note in report.notes)


def test_the_verdict_never_calls_contradicting_assessors_reliable():
    from itcap.insights import reliability_verdict

    said = reliability_verdict(reliability(np.array([[1, 3], [1, 2], [3, 1], [1, 3.0]])))
    assert "excellent" not in said and "no reliability to speak of: they disagree more than chance" in said


def test_icc_continuous_data_matches_pingouin(unrounded_pingouin):
    matrix = np.random.default_rng(99).normal(size=(25, 3)) + np.linspace(0, 3, 25)[:, None]
    ours = {r.type: r for r in intraclass_correlations(matrix)}
    theirs = _pingouin_icc(matrix)
    for name, pg_name in PINGOUIN_TYPES.items():
        assert ours[name].icc == pytest.approx(theirs.at[pg_name, "ICC"], abs=1e-9)
        assert np.allclose(ours[name].ci95, theirs.at[pg_name, "CI95"], atol=1e-9, rtol=0)


def test_perfect_agreement_up_to_an_offset_is_the_limit_of_pingouin(unrounded_pingouin):
    # Residual exactly zero: ICC3 = 1 and ICC2's interval uses the limit of Satterthwaite's df.
    matrix = np.array([[1, 2], [2, 3], [3, 4], [4, 5.0]])
    ours = {r.type: r for r in intraclass_correlations(matrix)}
    assert ours["ICC3"].icc == 1.0 and ours["ICC3"].ci95 == (1.0, 1.0)
    nudged = matrix + np.array([[1e-7, 0], [0, 0], [0, 0], [0, 0]])
    theirs = _pingouin_icc(nudged)
    for name in ("ICC1", "ICC2", "ICC2k"):
        assert ours[name].icc == pytest.approx(theirs.at[PINGOUIN_TYPES[name], "ICC"], abs=1e-5)
        assert np.allclose(ours[name].ci95, theirs.at[PINGOUIN_TYPES[name], "CI95"], atol=1e-5)


def test_identical_assessors_give_icc_one():
    matrix = np.array([[1, 1, 1], [3, 3, 3], [4, 4, 4.0]])
    for result in intraclass_correlations(matrix):
        assert result.icc == 1.0 and result.ci95 == (1.0, 1.0)


@pytest.mark.parametrize("matrix, words", [
    (np.array([[1.0], [2.0], [3.0]]), "at least two assessors"),
    (np.array([[1.0, 2.0, 3.0]]), "at least two capabilities"),
    (np.full((4, 3), 3.0), "identical"),
    (np.array([[1, 2], [2, 1.0]]), "same mean rating"),
])
def test_icc_degenerate_data_is_null_with_a_reason(matrix, words):
    results = intraclass_correlations(matrix)
    assert [r.type for r in results] == list(ICC_TYPES)
    for result in results:
        assert result.icc is None and result.ci95 is None
        assert words in result.reason


def test_krippendorff_2011_worked_example_published_values():
    units_by_coders = KRIPPENDORFF_2011.T
    for level, published in KRIPPENDORFF_2011_PUBLISHED.items():
        assert round(krippendorff_alpha(units_by_coders, level).alpha, 3) == published, level


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_2011_example_matches_the_package(level):
    expected = krippendorff.alpha(reliability_data=KRIPPENDORFF_2011, level_of_measurement=level)
    assert krippendorff_alpha(KRIPPENDORFF_2011.T, level).alpha == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_krippendorff_ordinal_with_missing_matches_the_package(seed):
    rng = np.random.default_rng(100 + seed)
    n_units, n_raters = int(rng.integers(5, 60)), int(rng.integers(2, 6))
    data = np.clip(rng.integers(1, 5, size=(n_units, 1)) + rng.integers(-1, 2, size=(n_units, n_raters)), 1, 5).astype(float)
    data[rng.random(data.shape) < 0.25] = nan
    if (~np.isnan(data)).sum(axis=1).max() < 2:
        data[0, :2] = [1, 2]
    ours = krippendorff_alpha(data, "ordinal")
    expected = krippendorff.alpha(reliability_data=data.T, level_of_measurement="ordinal")
    assert ours.alpha == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("data, words", [
    (np.array([[1.0], [2.0], [3.0]]), "at least two assessors"),
    (np.array([[1, nan], [nan, 2], [3, nan]]), "two or more assessors"),
    (np.array([[3, 3, nan], [3, 3, 3.0]]), "no variation"),
    (np.full((3, 2), nan), "two or more assessors"),
    (np.array([[2, 3, 4.0]]), "at least two capabilities"),  # one capability: the formula gives 0, always
    (np.array([[3, 3, 4.0], [nan, 2, nan]]), "at least two capabilities"),
])
def test_krippendorff_degenerate_data_is_null_with_a_reason(data, words):
    result = krippendorff_alpha(data, "ordinal")
    assert result.alpha is None
    assert words in result.reason


def test_report_drops_incomplete_capabilities_for_icc_and_keeps_pairable_ones_for_alpha():
    data = np.array([[1, 2, 2], [3, 3, 4], [4, 5, 5], [2, nan, 3], [5, nan, nan]], dtype=float)
    report = reliability(data)
    assert report.n_capabilities == 5 and report.n_assessors == 3
    assert report.n_capabilities_icc == 3
    complete = {r.type: r.icc for r in intraclass_correlations(data[:3])}
    assert {r.type: r.icc for r in report.icc} == complete
    assert report.alpha.n_units == 4  # the last capability has one rating: not pairable
    assert report.alpha.alpha == pytest.approx(krippendorff.alpha(reliability_data=data.T, level_of_measurement="ordinal"), abs=1e-12)
    assert any("3 of 5" in note for note in report.notes)
    document = report.to_json()
    assert list(document) == ["n_capabilities", "n_assessors", "n_capabilities_icc", "icc", "krippendorff_alpha_ordinal"]
    assert document["n_capabilities_icc"] == 3
    assert [entry["type"] for entry in document["icc"]] == list(ICC_TYPES)
    assert all(set(entry) == {"type", "icc", "ci95"} for entry in document["icc"])


def test_an_assessor_who_rated_nothing_is_left_out():
    """Assigned but not started: kept, they would leave ICC no complete capability at all."""
    data = np.array([[1, 2, 2], [3, 3, 4], [4, 5, 5], [2, nan, 3]], dtype=float)
    report = reliability(np.column_stack([data, np.full(4, nan)]))
    expected = reliability(data)
    assert (report.n_assessors, report.n_capabilities_icc) == (3, 3)
    assert [r.icc for r in report.icc] == [r.icc for r in expected.icc] and report.icc[0].icc is not None
    assert report.alpha.alpha == expected.alpha.alpha
    assert "1 assessor has rated nothing yet and is left out" in report.notes


def test_report_with_one_assessor_or_no_data_does_not_crash():
    one = reliability(np.array([[1.0], [2.0]]))
    assert all(r.icc is None for r in one.icc) and one.alpha.alpha is None and one.notes
    empty = reliability(np.empty((0, 0)))
    assert empty.n_capabilities == 0 and all(r.icc is None for r in empty.icc) and empty.alpha.alpha is None


def test_assessors_who_have_rated_nothing_give_one_plain_note_not_a_repeated_one():
    report = reliability(np.full((5, 3), np.nan))
    assert report.n_assessors == 0 and report.icc[0].icc is None and report.alpha.alpha is None
    assert report.notes == ["3 assessors have rated nothing yet and are left out", "no assessor has given a level yet"]
