"""Vectorised group tests: every function works on all items at once.

Conventions shared by every function here:

* a sample is a 2-D float array shaped ``(respondents, items)`` (a 1-D array is one item);
  ``NaN`` is a missing answer and is left out of that item only (available-case analysis);
* results are arrays with one value per item; a statistic that is undefined for an item (too few
  answers, zero variance) is ``NaN`` — the caller (:mod:`surveys.stats`) turns that into ``null``
  plus a note saying why;
* group A is the first sample, group B the second; differences are A − B.

Nothing here loops over respondents in Python; the only Python loops are over groups (two, or a
handful). Each function names the reference implementation the tests compare it with.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy import stats as sps

__all__ = [
    "Moments", "moments", "welch_from_moments", "welch_ttest", "hedges_g", "hedges_g_from_moments",
    "tost_welch", "tost_from_moments", "RankSums", "rank_sums", "mann_whitney", "holm", "benjamini_hochberg",
    "welch_anova", "kruskal_wallis", "mean_ci", "group_medians",
]


def _as_2d(x) -> np.ndarray:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError("a sample must be a 1-D or 2-D array (respondents × items)")
    return arr


def _quiet():
    # 0/0 and x/0 are expected for degenerate items; they become NaN/inf and are reported as such.
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


# -- moments -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Moments:
    """Per-item count, mean and unbiased variance (ddof = 1) of one group, missing values left out."""

    n: np.ndarray
    mean: np.ndarray
    var: np.ndarray

    @property
    def sd(self) -> np.ndarray:
        return np.sqrt(self.var)


def moments(x) -> Moments:
    """Count, mean and variance (ddof = 1) per column, ignoring NaN.

    Two passes (mean, then squared deviations) rather than the sum-of-squares shortcut; a column
    whose answers are all equal gets exactly that value as mean and exactly 0 as variance (summing
    0.1 three times and dividing by 3 does not give 0.1), so constant items are recognised exactly.
    """
    x = _as_2d(x)
    observed = ~np.isnan(x)
    n = observed.sum(axis=0)
    with _quiet():
        mean = np.where(observed, x, 0.0).sum(axis=0) / n
        dev = np.where(observed, x - mean, 0.0)
        var = (dev * dev).sum(axis=0) / (n - 1)
    lo = np.fmin.reduce(x, axis=0) if x.shape[0] else np.full(x.shape[1], np.nan)
    hi = np.fmax.reduce(x, axis=0) if x.shape[0] else np.full(x.shape[1], np.nan)
    constant = lo == hi
    mean = np.where(n > 0, np.where(constant, lo, mean), np.nan)
    var = np.where(n > 1, np.where(constant, 0.0, var), np.nan)
    return Moments(n=n.astype(float), mean=mean, var=var)


def group_medians(x) -> np.ndarray:
    """Median per column ignoring NaN (``numpy.nanmedian``); NaN for a column with no answers."""
    x = _as_2d(x)
    out = np.full(x.shape[1], np.nan)
    answered = (~np.isnan(x)).any(axis=0)
    if answered.any():
        with _quiet():
            out[answered] = np.nanmedian(x[:, answered], axis=0)
    return out


def mean_ci(m: Moments, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """t-based confidence interval of a group mean: mean ± t(1 − (1−c)/2, n − 1) · sd / √n."""
    with _quiet():
        half = sps.t.ppf(0.5 + confidence / 2, m.n - 1) * np.sqrt(m.var / m.n)
    return m.mean - half, m.mean + half


# -- Welch t -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WelchResult:
    t: np.ndarray
    df: np.ndarray
    p: np.ndarray
    diff: np.ndarray
    se: np.ndarray


def welch_from_moments(a: Moments, b: Moments) -> WelchResult:
    r"""Welch's unequal-variances t-test (two-sided), A − B.

    .. math::
        t = \frac{\bar x_A - \bar x_B}{\sqrt{s_A^2/n_A + s_B^2/n_B}}, \quad
        \nu = \frac{(s_A^2/n_A + s_B^2/n_B)^2}{\frac{(s_A^2/n_A)^2}{n_A-1} + \frac{(s_B^2/n_B)^2}{n_B-1}}

    p = 2·P(T_ν > |t|). Same as ``scipy.stats.ttest_ind(a, b, equal_var=False)`` and R's
    ``t.test(a, b)`` (Welch, B. L. (1947), Biometrika 34, 28–35). Undefined (NaN) when a group has
    fewer than two answers or both groups have zero variance (se = 0).
    """
    with _quiet():
        va = a.var / a.n
        vb = b.var / b.n
        se2 = va + vb
        se = np.sqrt(se2)
        diff = a.mean - b.mean
        t = diff / se
        df = se2 * se2 / (va * va / (a.n - 1) + vb * vb / (b.n - 1))
        p = 2.0 * sps.t.sf(np.abs(t), df)
    bad = ~(se > 0)
    t = np.where(bad, np.nan, t)
    df = np.where(bad, np.nan, df)
    p = np.where(bad, np.nan, p)
    return WelchResult(t=t, df=df, p=np.minimum(p, 1.0), diff=diff, se=se)


def welch_ttest(a, b) -> WelchResult:
    """Welch t-test per column of two samples (NaN = missing); see :func:`welch_from_moments`."""
    return welch_from_moments(moments(a), moments(b))


# -- Hedges' g -----------------------------------------------------------------------------------
def hedges_g_from_moments(a: Moments, b: Moments, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Hedges' g of A − B with a confidence interval for the population standardised difference δ.

    .. math::
        d = \frac{\bar x_A - \bar x_B}{s_p},\quad s_p = \sqrt{\frac{(n_A-1)s_A^2 + (n_B-1)s_B^2}{n_A+n_B-2}},
        \quad g = d\left(1 - \frac{3}{4(n_A+n_B) - 9}\right)

    (Hedges & Olkin 1985's approximate small-sample correction, as ``pingouin.compute_effsize(a, b,
    eftype='hedges')``.) The CI inverts the noncentral t distribution of the pooled t statistic
    t = d/√(1/n_A + 1/n_B) on n_A + n_B − 2 df (Steiger & Fouladi 1997; ``MBESS::ci.smd``): the
    noncentrality parameters λ with P(T ≤ t | λ) = 0.975 and 0.025, times √(1/n_A + 1/n_B). It covers δ
    95% of the time at any n under normality; the large-sample g ± t·SE interval that
    ``pingouin.compute_esci`` gives covers it 98% of the time at five a group (too wide: it could
    include 0 beside a Welch test saying the groups differ).

    Returns ``(g, lower, upper)``; NaN where the pooled sd is 0 or a group has < 2 answers.
    """
    with _quiet():
        dof = a.n + b.n - 2
        pooled = np.sqrt(((a.n - 1) * a.var + (b.n - 1) * b.var) / dof)
        d = (a.mean - b.mean) / pooled
        g = d * (1 - 3 / (4 * (a.n + b.n) - 9))
        scale = np.sqrt(1 / a.n + 1 / b.n)
    bad = ~(pooled > 0) | (a.n < 2) | (b.n < 2) | ~np.isfinite(d)
    lower, upper = np.full(np.shape(g), np.nan), np.full(np.shape(g), np.nan)
    if (~bad).any():
        t = d[~bad] / scale[~bad]
        ncp_lower, ncp_upper = noncentrality_interval(t, dof[~bad].astype(float), confidence)
        lower[~bad], upper[~bad] = ncp_lower * scale[~bad], ncp_upper * scale[~bad]
    return np.where(bad, np.nan, g), lower, upper


def noncentrality_interval(t: np.ndarray, dof: np.ndarray, confidence: float = 0.95,
                           iterations: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """The noncentrality parameters λ_lo, λ_hi of Student's t with ``dof`` df at which the observed ``t``
    is the upper and lower (1 − confidence)/2 quantile — every item at once, by bisection (P(T ≤ t | λ)
    falls as λ grows). The bracket, t ± 10·(1 + √(1 + t²/2df)), is ten times the spread of T around λ."""
    tail = (1 - confidence) / 2
    spread = 1 + np.sqrt(1 + t * t / (2 * dof))
    bounds = []
    for target in (1 - tail, tail):
        low, high = t - 10 * spread, t + 10 * spread
        for _ in range(iterations):  # the bracket halves each time: 60 steps leave ~1e-16 of it
            middle = (low + high) / 2
            probability = sps.nct.cdf(t, dof, middle)
            # scipy answers NaN far in either tail (e.g. t = −1, λ = 30, where it is ~0): by the side λ is on
            probability = np.where(np.isnan(probability), (middle < t).astype(float), probability)
            below = probability > target
            low, high = np.where(below, middle, low), np.where(below, high, middle)
        bounds.append((low + high) / 2)
    return bounds[0], bounds[1]


def hedges_g(a, b, confidence: float = 0.95):
    """Hedges' g per column with its CI; see :func:`hedges_g_from_moments`."""
    return hedges_g_from_moments(moments(a), moments(b), confidence)


# -- TOST ----------------------------------------------------------------------------------------
def tost_from_moments(a: Moments, b: Moments, margin: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Two one-sided Welch t-tests (Schuirmann 1987) for equivalence within ±margin, A − B.

    .. math::
        t_L = \frac{(\bar x_A - \bar x_B) + m}{SE},\ p_L = P(T_\nu > t_L);\qquad
        t_U = \frac{(\bar x_A - \bar x_B) - m}{SE},\ p_U = P(T_\nu < t_U)

    with the Welch SE and ν of :func:`welch_from_moments`; ``tost_p = max(p_L, p_U)``. Equals
    ``pingouin.tost(a, b, bound=m, correction=True)`` (pingouin's default, ``correction=False``,
    is the Student pooled-variance version). Returns ``(tost_p, p_lower, p_upper)``; NaN where the
    Welch test is undefined.
    """
    w = welch_from_moments(a, b)
    with _quiet():
        p_lower = sps.t.sf((w.diff + margin) / w.se, w.df)
        p_upper = sps.t.cdf((w.diff - margin) / w.se, w.df)
    bad = np.isnan(w.df)
    p_lower = np.where(bad, np.nan, p_lower)
    p_upper = np.where(bad, np.nan, p_upper)
    return np.maximum(p_lower, p_upper), p_lower, p_upper


def tost_welch(a, b, margin: float):
    """TOST per column; see :func:`tost_from_moments`."""
    return tost_from_moments(moments(a), moments(b), margin)


# -- ranks and Mann–Whitney ----------------------------------------------------------------------
# Columns whose answers are integers spanning at most this many values are ranked by counting
# (bincount), which is ~20× faster than sorting; anything else is ranked by sorting.
_COUNTING_MAX_SPAN = 4096


@dataclass(frozen=True)
class RankSums:
    """Per-column rank sums of the pooled observed answers, by group.

    ``sums[g, j]`` is the sum of the average ranks (1-based; ties share the mean of the ranks they
    span) of group g's answers in column j, ranking all groups' observed answers of column j
    together; ``tie_term[j]`` = Σ(t³ − t) over the groups of tied values of column j; ``n[g, j]`` the
    number of group g's observed answers.
    """

    sums: np.ndarray
    tie_term: np.ndarray
    n: np.ndarray


def rank_sums(samples: list[np.ndarray]) -> RankSums:
    """Rank sums per group and column with missing answers left out (see :class:`RankSums`).

    The same numbers as ranking each column's observed answers with ``scipy.stats.rankdata`` and
    adding up each group's ranks — computed for all columns at once. Integer-valued columns with a
    modest range (Likert items, minutes) are counted: with c_v answers equal to v and C_v answers
    below v, every answer v has average rank C_v + (c_v + 1)/2. Other columns are sorted once
    (missing last) and each run of equal values gets the average of its first and last position.
    """
    samples = [_as_2d(s) for s in samples]
    n_cols = samples[0].shape[1]
    pooled = np.vstack(samples)
    codes = np.concatenate([np.full(len(s), g, dtype=np.int64) for g, s in enumerate(samples)])
    n_groups = len(samples)
    sums = np.zeros((n_groups, n_cols))
    tie_term = np.zeros(n_cols)
    n = np.stack([(~np.isnan(s)).sum(axis=0) for s in samples]).astype(float)

    observed = ~np.isnan(pooled)
    lo = np.fmin.reduce(pooled, axis=0)  # fmin/fmax skip NaN; NaN only for an all-missing column
    hi = np.fmax.reduce(pooled, axis=0)
    with _quiet():
        integral = ((np.floor(pooled) == pooled) | ~observed).all(axis=0)
    countable = integral & np.isfinite(lo) & np.isfinite(hi) & (hi - lo < _COUNTING_MAX_SPAN)
    if countable.any():
        cols = np.flatnonzero(countable)
        s, t = _rank_sums_counting(pooled[:, cols], observed[:, cols], codes, n_groups, lo[cols], hi[cols])
        sums[:, cols] = s
        tie_term[cols] = t
    if (~countable).any():
        cols = np.flatnonzero(~countable)
        s, t = _rank_sums_sorting(pooled[:, cols], codes, n_groups)
        sums[:, cols] = s
        tie_term[cols] = t
    return RankSums(sums=sums, tie_term=tie_term, n=n)


def _rank_sums_counting(x, observed, codes, n_groups, lo, hi):
    n_rows, n_cols = x.shape
    span = int((hi - lo).max()) + 1
    # one bin per (group, column, value); missing answers go to a discarded extra bin
    base = (codes[:, None] * n_cols + np.arange(n_cols)[None, :]) * span - lo[None, :]
    with _quiet():
        flat = np.where(observed, x + base, n_groups * n_cols * span).astype(np.int64)
    counts = np.bincount(flat.ravel(), minlength=n_groups * n_cols * span + 1)[:-1]
    counts = counts.reshape(n_groups, n_cols, span).astype(float)
    total = counts.sum(axis=0)  # (cols, values)
    below = np.cumsum(total, axis=1) - total
    average_rank = below + (total + 1) / 2
    sums = (counts * average_rank[None]).sum(axis=2)
    tie_term = (total**3 - total).sum(axis=1)
    return sums, tie_term


def _rank_sums_sorting(x, codes, n_groups):
    n_rows = x.shape[0]
    xt = np.ascontiguousarray(x.T)  # sorting along contiguous rows is faster
    order = np.argsort(xt, axis=1)
    s = np.take_along_axis(xt, order, axis=1)
    observed = ~np.isnan(s)
    new_run = np.ones(s.shape, dtype=bool)
    new_run[:, 1:] = s[:, 1:] != s[:, :-1]  # NaN != NaN: every missing value is its own run
    last_of_run = np.ones(s.shape, dtype=bool)
    last_of_run[:, :-1] = new_run[:, 1:]
    position = np.arange(n_rows, dtype=np.int64)[None, :]
    run_start = np.maximum.accumulate(np.where(new_run, position, 0), axis=1)
    run_end = np.minimum.accumulate(np.where(last_of_run, position, n_rows)[:, ::-1], axis=1)[:, ::-1]
    ranks = np.where(observed, (run_start + run_end) / 2.0 + 1.0, 0.0)
    size = (run_end - run_start + 1).astype(float)
    tie_term = np.where(new_run & observed, size**3 - size, 0.0).sum(axis=1)
    codes_sorted = codes[order]
    sums = np.stack([np.where(codes_sorted == g, ranks, 0.0).sum(axis=1) for g in range(n_groups)])
    return sums, tie_term


@dataclass(frozen=True)
class MannWhitneyResult:
    u: np.ndarray  # U of group A
    p: np.ndarray  # two-sided, asymptotic, tie- and continuity-corrected
    rank_biserial: np.ndarray  # 2·U_A/(n_A·n_B) − 1: positive when A tends higher
    n_a: np.ndarray
    n_b: np.ndarray


def _mwu_from_rank_sum(r_a, n_a, n_b, tie_term) -> MannWhitneyResult:
    with _quiet():
        u_a = r_a - n_a * (n_a + 1) / 2
        u_b = n_a * n_b - u_a
        u_max = np.maximum(u_a, u_b)
        n = n_a + n_b
        s = np.sqrt(n_a * n_b / 12 * ((n + 1) - tie_term / (n * (n - 1))))
        z = (u_max - n_a * n_b / 2 - 0.5) / s
        p = np.clip(2.0 * special.ndtr(-z), 0.0, 1.0)
        r = 2.0 * u_a / (n_a * n_b) - 1.0
    empty = (n_a < 1) | (n_b < 1)
    nan = np.nan
    return MannWhitneyResult(
        u=np.where(empty, nan, u_a), p=np.where(empty, nan, p), rank_biserial=np.where(empty, nan, r),
        n_a=n_a, n_b=n_b,
    )


def mann_whitney(a, b, ranks: RankSums | None = None) -> MannWhitneyResult:
    r"""Mann–Whitney U per column, as ``scipy.stats.mannwhitneyu(a, b, method="asymptotic")``.

    Ranks of the pooled observed answers (average ranks for ties), :math:`U_A = R_A - n_A(n_A+1)/2`,
    two-sided p from the normal approximation with tie correction and continuity correction:

    .. math::
        \sigma = \sqrt{\frac{n_A n_B}{12}\left((N+1) - \frac{\sum (t^3 - t)}{N(N-1)}\right)},\quad
        z = \frac{\max(U_A, U_B) - n_A n_B/2 - 1/2}{\sigma},\quad p = \min(1, 2\,\Phi(-z))

    (so an item where every answer is the same gives p = 1, as scipy does), and the rank-biserial
    correlation :math:`r = 2U_A/(n_A n_B) - 1` (Wendt 1972; +1 when every A answer is above every
    B answer). ``ranks`` may be passed if ``rank_sums([a, b])`` is already known.
    """
    if ranks is None:
        ranks = rank_sums([a, b])
    return _mwu_from_rank_sum(ranks.sums[0], ranks.n[0], ranks.n[1], ranks.tie_term)


# -- multiplicity --------------------------------------------------------------------------------
def holm(p) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values, NaN left out of the family and kept as NaN.

    Sorted ascending, p_(i) → max_{j≤i} min(1, (m − j + 1)·p_(j)). Same as
    ``statsmodels.stats.multitest.multipletests(p, method="holm")``.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    keep = ~np.isnan(p)
    m = int(keep.sum())
    if m:
        values = p[keep]
        order = np.argsort(values, kind="stable")
        adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * values[order]))
        result = np.empty(m)
        result[order] = adjusted
        out[keep] = result
    return out


def benjamini_hochberg(p) -> np.ndarray:
    """Benjamini & Hochberg (1995) step-up adjusted p-values (FDR), NaN left out of the family.

    Sorted ascending, p_(i) → min_{j≥i} min(1, m·p_(j)/j). Same as
    ``multipletests(p, method="fdr_bh")``; an item is a discovery at level q when its adjusted p ≤ q.
    """
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    keep = ~np.isnan(p)
    m = int(keep.sum())
    if m:
        values = p[keep]
        order = np.argsort(values, kind="stable")
        scaled = values[order] * m / np.arange(1, m + 1)
        adjusted = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
        result = np.empty(m)
        result[order] = adjusted
        out[keep] = result
    return out


# -- more than two groups ------------------------------------------------------------------------
@dataclass(frozen=True)
class WelchAnovaResult:
    f: np.ndarray
    df1: np.ndarray
    df2: np.ndarray
    p: np.ndarray


def welch_anova(groups: list[Moments]) -> WelchAnovaResult:
    r"""Welch's (1951) heteroscedastic one-way ANOVA per column, as ``pingouin.welch_anova``.

    With :math:`w_i = n_i/s_i^2`, :math:`\tilde x = \sum w_i\bar x_i/\sum w_i`, r groups:

    .. math::
        F = \frac{\sum w_i(\bar x_i - \tilde x)^2/(r-1)}{1 + \frac{2(r-2)}{3}\Lambda},\quad
        \Lambda = \frac{3\sum (1 - w_i/\sum w)^2/(n_i - 1)}{r^2 - 1},\quad
        \nu_1 = r - 1,\ \nu_2 = 1/\Lambda

    NaN where a group has fewer than two answers or zero variance (weights undefined).
    """
    r = len(groups)
    n = np.stack([g.n for g in groups])
    mean = np.stack([g.mean for g in groups])
    var = np.stack([g.var for g in groups])
    with _quiet():
        w = n / var
        w_sum = w.sum(axis=0)
        grand = (w * mean).sum(axis=0) / w_sum
        ms = (w * (mean - grand) ** 2).sum(axis=0) / (r - 1)
        lam = 3 * ((1 - w / w_sum) ** 2 / (n - 1)).sum(axis=0) / (r * r - 1)
        f = ms / (1 + 2 * lam * (r - 2) / 3)
        df2 = 1 / lam
        p = sps.f.sf(f, r - 1, df2)
    bad = ((n < 2) | ~(var > 0)).any(axis=0)
    nan = np.nan
    return WelchAnovaResult(
        f=np.where(bad, nan, f), df1=np.where(bad, nan, float(r - 1)), df2=np.where(bad, nan, df2), p=np.where(bad, nan, p)
    )


@dataclass(frozen=True)
class KruskalResult:
    h: np.ndarray
    df: np.ndarray
    p: np.ndarray


def kruskal_wallis(samples: list[np.ndarray], ranks: RankSums | None = None) -> KruskalResult:
    r"""Kruskal–Wallis H per column with tie correction, as ``scipy.stats.kruskal``.

    .. math::
        H = \frac{\frac{12}{N(N+1)}\sum_i R_i^2/n_i - 3(N+1)}{1 - \sum(t^3-t)/(N^3-N)},\quad
        p = P(\chi^2_{g-1} > H)

    where g counts the groups with at least one answer for the column. NaN when every answer of
    the column is the same (scipy also returns NaN there) or fewer than two groups answered.
    """
    if ranks is None:
        ranks = rank_sums(samples)
    n_i = ranks.n
    big_n = n_i.sum(axis=0)
    with _quiet():
        h = 12.0 / (big_n * (big_n + 1)) * np.where(n_i > 0, ranks.sums**2 / n_i, 0.0).sum(axis=0) - 3 * (big_n + 1)
        h = h / (1 - ranks.tie_term / (big_n**3 - big_n))
        df = (n_i > 0).sum(axis=0) - 1.0
        p = sps.chi2.sf(h, df)
    bad = ~np.isfinite(h) | (df < 1)
    return KruskalResult(h=np.where(bad, np.nan, h), df=np.where(bad, np.nan, df), p=np.where(bad, np.nan, p))
