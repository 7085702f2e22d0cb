"""Each vectorised statistic against scipy / pingouin / statsmodels (randomised data with ties and
missing values, to 1e-9) and against published worked examples; and the known traps."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from statsmodels.stats.multitest import multipletests

from surveys.group_tests import (
    benjamini_hochberg, group_medians, hedges_g, holm, kruskal_wallis, mann_whitney, mean_ci, moments, rank_sums,
    tost_welch, welch_anova, welch_ttest,
)

TOL = 1e-9


def likert_pair(seed: int, n_a: int = 80, n_b: int = 55, items: int = 6, missing: float = 0.15, levels: int = 5):
    """Two groups of Likert answers (heavy ties), different spreads, NaN for missing answers."""
    rng = np.random.default_rng(seed)
    a = rng.integers(1, levels + 1, (n_a, items)).astype(float)
    b = np.clip(rng.integers(1, levels + 1, (n_b, items)) + rng.integers(-1, 2, (n_b, items)), 1, levels).astype(float)
    a[rng.random(a.shape) < missing] = np.nan
    b[rng.random(b.shape) < missing] = np.nan
    return a, b


def observed(column: np.ndarray) -> np.ndarray:
    return column[~np.isnan(column)]


def close(x, y, tol=TOL):
    return abs(float(x) - float(y)) <= tol * max(1.0, abs(float(y)))


SEEDS = range(6)


# -- descriptive ---------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_moments_and_medians_match_pandas(seed):
    a, _ = likert_pair(seed)
    m = moments(a)
    frame = pd.DataFrame(a)
    np.testing.assert_allclose(m.n, frame.count(), rtol=0, atol=0)
    np.testing.assert_allclose(m.mean, frame.mean(), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(m.sd, frame.std(ddof=1), rtol=TOL, atol=TOL)
    np.testing.assert_allclose(group_medians(a), frame.median(), rtol=0, atol=0)
    lo, hi = mean_ci(m)
    for j in range(a.shape[1]):
        ref = sps.t.interval(0.95, m.n[j] - 1, loc=m.mean[j], scale=sps.sem(observed(a[:, j])))
        assert close(lo[j], ref[0]) and close(hi[j], ref[1])


def test_constant_column_has_zero_variance_exactly():
    m = moments(np.array([[0.1, 3.0], [0.1, 3.0], [0.1, np.nan]]))
    assert m.var.tolist() == [0.0, 0.0]


# -- Welch t -------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_welch_matches_scipy_ttest_ind(seed):
    a, b = likert_pair(seed)
    w = welch_ttest(a, b)
    for j in range(a.shape[1]):
        ref = sps.ttest_ind(observed(a[:, j]), observed(b[:, j]), equal_var=False)
        assert close(w.t[j], ref.statistic) and close(w.p[j], ref.pvalue) and close(w.df[j], ref.df)


def test_welch_matches_pingouin_with_correction_true():
    a, b = likert_pair(11, n_a=40, n_b=40)
    w = welch_ttest(a, b)
    for j in range(a.shape[1]):
        ref = pg.ttest(observed(a[:, j]), observed(b[:, j]), correction=True)
        assert close(w.t[j], ref["T"].iloc[0]) and close(w.df[j], ref["dof"].iloc[0]) and close(w.p[j], ref["p_val"].iloc[0])


def test_trap_pingouin_auto_correction_is_student_for_equal_n():
    """pingouin's ttest(correction='auto') only applies Welch when n differ: with equal n and
    unequal variances it is Student's t — our Welch result must differ from it."""
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, 30)
    y = rng.normal(0.4, 4, 30)
    ours = welch_ttest(x, y)
    auto = pg.ttest(x, y)  # correction="auto"
    student = sps.ttest_ind(x, y, equal_var=True)
    assert close(auto["dof"].iloc[0], 58) and close(auto["p_val"].iloc[0], student.pvalue)
    assert abs(ours.df[0] - 58) > 5  # Welch–Satterthwaite df, far from n_A + n_B − 2
    assert not close(ours.p[0], auto["p_val"].iloc[0], tol=1e-6)
    # with equal n the t statistics coincide; only df (and so p) differ
    assert close(ours.t[0], student.statistic)


@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")  # scipy, on the constant group
def test_welch_is_undefined_when_both_groups_are_constant():
    w = welch_ttest(np.array([3.0, 3, 3]), np.array([3.0, 3]))
    assert np.isnan(w.t[0]) and np.isnan(w.p[0]) and np.isnan(w.df[0])
    w = welch_ttest(np.array([5.0, 5, 5]), np.array([1.0, 1]))
    assert np.isnan(w.t[0]) and np.isnan(w.p[0])
    w = welch_ttest(np.array([5.0, 5, 5]), np.array([1.0, 2, 3]))  # one constant group is fine
    ref = sps.ttest_ind([5, 5, 5], [1, 2, 3], equal_var=False)
    assert close(w.t[0], ref.statistic) and close(w.p[0], ref.pvalue)


# -- Hedges' g -----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_hedges_g_matches_pingouin_and_its_ci_inverts_the_noncentral_t(seed):
    """g as pingouin; the CI as MBESS::ci.smd: the λ at which scipy's noncentral t puts the observed
    pooled t at its 97.5% and 2.5% points (found here by brentq, item by item), times √(1/n_A + 1/n_B)."""
    from scipy import special
    from scipy.optimize import brentq

    a, b = likert_pair(seed)
    g, lo, hi = hedges_g(a, b)
    for j in range(a.shape[1]):
        x, y = observed(a[:, j]), observed(b[:, j])
        ref = pg.compute_effsize(x, y, eftype="hedges")
        assert close(g[j], ref)
        t = sps.ttest_ind(x, y).statistic  # Student's pooled t
        df, scale = len(x) + len(y) - 2, math.sqrt(1 / len(x) + 1 / len(y))
        for bound, quantile in ((lo[j], 0.975), (hi[j], 0.025)):
            # bracketed around CDFLIB's own inversion (scipy.special.nctdtrinc, good to ~1e-4 here)
            start = special.nctdtrinc(df, quantile, t)
            ncp = brentq(lambda nc: sps.nct.cdf(t, df, nc) - quantile, start - 0.5, start + 0.5, xtol=1e-13)
            assert close(bound, ncp * scale, tol=1e-9)
        assert lo[j] <= g[j] <= hi[j]


def test_hedges_g_ci_covers_the_true_difference_95_percent_of_the_time_at_small_n():
    """Five a group, as the reporting threshold allows: 4,000 normal samples with δ = 0.8. The exact
    interval covers δ 95% of the time (binomial sd 0.34%); the large-sample g ± t·SE covered it 98%."""
    rng = np.random.default_rng(20261207)
    a, b = rng.normal(0.8, 1, (5, 4000)), rng.normal(0, 1, (5, 4000))
    _, lo, hi = hedges_g(a, b)
    coverage = np.mean((lo <= 0.8) & (0.8 <= hi))
    assert 0.94 <= coverage <= 0.96


def test_hedges_g_ci_agrees_with_a_significant_pooled_t_test():
    """A = 3,4,4,5,5 against B = 2,3,3,3,4: the pooled t-test's p < .05, so the exact 95% interval
    excludes 0 (the large-sample one gave [−0.23, 3.03])."""
    a, b = np.array([[3.0, 4, 4, 5, 5]]).T, np.array([[2.0, 3, 3, 3, 4]]).T
    assert sps.ttest_ind(a[:, 0], b[:, 0]).pvalue < 0.05
    g, lo, hi = hedges_g(a, b)
    assert 0 < lo[0] < g[0] < hi[0]


def test_hedges_g_sign_is_a_minus_b_and_matches_the_textbook_formula():
    a = np.array([5.0, 4, 5, 4, 5])
    b = np.array([2.0, 3, 2, 1, 2, 3])
    g, lo, hi = hedges_g(a, b)
    sp = math.sqrt((4 * np.var(a, ddof=1) + 5 * np.var(b, ddof=1)) / 9)
    d = (a.mean() - b.mean()) / sp
    expected = d * (1 - 3 / (4 * 11 - 9))
    assert close(g[0], expected) and g[0] > 0 and lo[0] < g[0] < hi[0]


# -- Mann–Whitney --------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("levels", [3, 5, 7])
def test_mann_whitney_matches_scipy_asymptotic(seed, levels):
    a, b = likert_pair(seed, levels=levels)
    r = mann_whitney(a, b)
    for j in range(a.shape[1]):
        x, y = observed(a[:, j]), observed(b[:, j])
        ref = sps.mannwhitneyu(x, y, method="asymptotic")
        assert r.u[j] == ref.statistic
        assert close(r.p[j], ref.pvalue)
        assert close(r.rank_biserial[j], 2 * ref.statistic / (len(x) * len(y)) - 1)


def test_mann_whitney_sorting_path_matches_scipy_on_continuous_values_with_ties():
    """Non-integer answers (e.g. scale scores) are ranked by sorting instead of counting."""
    rng = np.random.default_rng(9)
    a = np.round(rng.normal(3, 1, (70, 4)), 1)
    b = np.round(rng.normal(3.3, 1.5, (50, 4)), 1)
    a[rng.random(a.shape) < 0.1] = np.nan
    b[rng.random(b.shape) < 0.1] = np.nan
    b[:, 3] *= 1000.7  # a wide-range column
    r = mann_whitney(a, b)
    for j in range(4):
        ref = sps.mannwhitneyu(observed(a[:, j]), observed(b[:, j]), method="asymptotic")
        assert r.u[j] == ref.statistic and close(r.p[j], ref.pvalue)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    a=st.lists(st.one_of(st.none(), st.integers(1, 5), st.sampled_from([1.5, 2.25, 100.0])), min_size=1, max_size=40),
    b=st.lists(st.one_of(st.none(), st.integers(1, 5), st.sampled_from([1.5, 2.25, -7.0])), min_size=1, max_size=40),
)
def test_mann_whitney_matches_scipy_on_arbitrary_samples(a, b):
    x = np.array([np.nan if v is None else v for v in a], dtype=float)
    y = np.array([np.nan if v is None else v for v in b], dtype=float)
    if not len(observed(x)) or not len(observed(y)):
        return
    r = mann_whitney(x, y)
    ref = sps.mannwhitneyu(observed(x), observed(y), method="asymptotic")
    assert r.u[0] == ref.statistic
    assert (np.isnan(ref.pvalue) and np.isnan(r.p[0])) or close(r.p[0], ref.pvalue)


def test_mann_whitney_all_answers_equal_gives_p_one_like_scipy():
    r = mann_whitney(np.array([3.0, 3, 3]), np.array([3.0, 3]))
    ref = sps.mannwhitneyu([3, 3, 3], [3, 3], method="asymptotic")
    assert r.u[0] == ref.statistic == 3 and r.p[0] == ref.pvalue == 1.0 and r.rank_biserial[0] == 0


def test_hollander_wolfe_example_from_r_wilcox_test_documentation():
    """R's ?wilcox.test: x = permeability constants at term, y = 12–26 weeks (Hollander & Wolfe
    1973, p. 69). R reports W = 35 (the U of x) and, exact, two-sided p = 0.2544. Our engine uses
    the normal approximation with continuity correction (R: exact = FALSE, correct = TRUE): with no
    ties σ = √(n_x n_y (N+1)/12) = √(200/3), z = (35 − 25 − ½)/σ, p = 2(1 − Φ(z)) = 0.2446."""
    x = np.array([0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46])
    y = np.array([1.15, 0.88, 0.90, 0.74, 1.21])
    r = mann_whitney(x, y)
    assert r.u[0] == 35
    z = (35 - 25 - 0.5) / math.sqrt(10 * 5 * 16 / 12)
    assert close(r.p[0], math.erfc(z / math.sqrt(2)))
    assert round(float(r.p[0]), 4) == 0.2446
    # the published exact p of the same U, to show the U convention is R's W
    assert round(sps.mannwhitneyu(x, y, method="exact").pvalue, 4) == 0.2544
    assert r.rank_biserial[0] == pytest.approx(2 * 35 / 50 - 1)


def test_rank_biserial_is_positive_when_a_dominates():
    a = np.array([4.0, 5, 5, 4, 5, 5])
    b = np.array([1.0, 2, 1, 2, 3])
    r = mann_whitney(a, b)
    assert r.u[0] == 30 and r.rank_biserial[0] == 1.0
    assert mann_whitney(b, a).rank_biserial[0] == -1.0
    # pingouin's RBC changed sign convention between versions: compare magnitudes only, and
    # check our sign against the definition, not against pingouin
    ref = pg.mwu(a, b, method="asymptotic")
    assert abs(ref["RBC"].iloc[0]) == pytest.approx(1.0)


def test_rank_sums_match_scipy_rankdata():
    a, b = likert_pair(21, items=3)
    c = np.round(np.random.default_rng(1).normal(3, 1, (30, 3)), 2)
    sums = rank_sums([a, b, c])
    pooled = np.vstack([a, b, c])
    for j in range(3):
        col = pooled[:, j]
        keep = ~np.isnan(col)
        ranks = np.full(len(col), np.nan)
        ranks[keep] = sps.rankdata(col[keep])
        bounds = np.cumsum([0, len(a), len(b), len(c)])
        for g in range(3):
            assert close(sums.sums[g, j], np.nansum(ranks[bounds[g]:bounds[g + 1]]))
        _, counts = np.unique(col[keep], return_counts=True)
        assert sums.tie_term[j] == float((counts**3 - counts).sum())


# -- TOST ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("margin", [0.2, 0.5, 1.0])
def test_tost_matches_pingouin_with_welch_correction(seed, margin):
    a, b = likert_pair(seed)
    p, p_lower, p_upper = tost_welch(a, b, margin)
    for j in range(a.shape[1]):
        x, y = observed(a[:, j]), observed(b[:, j])
        ref = pg.tost(x, y, bound=margin, correction=True)
        assert close(p[j], ref["pval"].iloc[0])
        # and against two one-sided scipy Welch tests
        lower = sps.ttest_ind(x + margin, y, equal_var=False, alternative="greater").pvalue
        upper = sps.ttest_ind(x - margin, y, equal_var=False, alternative="less").pvalue
        assert close(p_lower[j], lower) and close(p_upper[j], upper) and close(p[j], max(lower, upper))


def test_trap_pingouin_tost_default_is_student():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 0.5, 25)
    y = rng.normal(0.1, 2.0, 60)
    ours = tost_welch(x, y, 0.5)[0][0]
    student = pg.tost(x, y, bound=0.5)["pval"].iloc[0]  # correction=False by default
    welch = pg.tost(x, y, bound=0.5, correction=True)["pval"].iloc[0]
    assert close(ours, welch) and not close(ours, student, tol=1e-4)


# -- multiplicity --------------------------------------------------------------------------------
BH_1995 = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.3240, 0.4262, 0.5719,
           0.6528, 0.7590, 1.000]


def test_benjamini_hochberg_1995_worked_example():
    """Benjamini & Hochberg (1995), section 4: 15 p-values; at q = 0.05 the FDR procedure rejects
    the four smallest (p ≤ 0.0095, since 0.0095 ≤ 4/15·0.05 and 0.0201 > 5/15·0.05), while a
    Bonferroni bound (0.05/15 = 0.0033) — and Holm's step-down — reject only three."""
    p = np.array(BH_1995)
    bh = benjamini_hochberg(p)
    assert (bh <= 0.05).sum() == 4 and (bh[:4] <= 0.05).all()
    assert (p <= 0.05 / 15).sum() == 3
    assert (holm(p) <= 0.05).sum() == 3
    np.testing.assert_allclose(bh, multipletests(p, method="fdr_bh")[1], rtol=0, atol=1e-15)
    np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=0, atol=1e-15)


@pytest.mark.parametrize("seed", range(16))  # statsmodels' holm takes ~40 ms a call
def test_holm_and_bh_match_statsmodels_leaving_nan_out(seed):
    rng = np.random.default_rng(seed)
    m = int(rng.integers(1, 30))
    p = rng.choice([rng.random(), 0.01, 0.05, 1.0, 0.0], size=m) if seed % 4 == 0 else rng.random(m) ** 3
    p[rng.random(m) < 0.2] = np.nan
    keep = ~np.isnan(p)
    ours_holm, ours_bh = holm(p), benjamini_hochberg(p)
    assert np.isnan(ours_holm[~keep]).all() and np.isnan(ours_bh[~keep]).all()
    if keep.any():
        np.testing.assert_allclose(ours_holm[keep], multipletests(p[keep], method="holm")[1], rtol=TOL, atol=1e-15)
        np.testing.assert_allclose(ours_bh[keep], multipletests(p[keep], method="fdr_bh")[1], rtol=TOL, atol=1e-15)


# -- more than two groups ------------------------------------------------------------------------
@pytest.mark.parametrize("seed", SEEDS)
def test_welch_anova_matches_pingouin(seed):
    rng = np.random.default_rng(seed)
    samples = [rng.integers(1, 6, (n, 4)).astype(float) + shift for n, shift in ((40, 0), (25, 0.3), (60, -0.2))]
    for s in samples:
        s[rng.random(s.shape) < 0.1] = np.nan
    res = welch_anova([moments(s) for s in samples])
    for j in range(4):
        long = pd.DataFrame({
            "y": np.concatenate([observed(s[:, j]) for s in samples]),
            "g": np.concatenate([[i] * len(observed(s[:, j])) for i, s in enumerate(samples)]),
        })
        ref = pg.welch_anova(data=long, dv="y", between="g")
        assert close(res.f[j], ref["F"].iloc[0]) and close(res.df2[j], ref["ddof2"].iloc[0])
        assert close(res.p[j], ref["p_unc"].iloc[0]) and res.df1[j] == 2


@pytest.mark.parametrize("seed", SEEDS)
def test_kruskal_wallis_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    samples = [rng.integers(1, 6, (n, 5)).astype(float) for n in (30, 22, 41, 9)]
    samples[3][:, 4] = np.nan  # one group did not answer this item at all
    for s in samples:
        s[rng.random(s.shape) < 0.1] = np.nan
    res = kruskal_wallis(samples)
    for j in range(5):
        ref = sps.kruskal(*[observed(s[:, j]) for s in samples if len(observed(s[:, j]))])
        assert close(res.h[j], ref.statistic) and close(res.p[j], ref.pvalue)
    assert res.df[4] == 2 and res.df[0] == 3


def test_kruskal_wallis_all_equal_is_undefined_like_scipy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = sps.kruskal([2, 2, 2], [2, 2], [2])
    res = kruskal_wallis([np.array([2.0, 2, 2]), np.array([2.0, 2]), np.array([2.0])])
    assert np.isnan(ref.statistic) and np.isnan(res.h[0]) and np.isnan(res.p[0])
