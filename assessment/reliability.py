"""Inter-rater reliability of assessors: the six Shrout–Fleiss ICC forms and Krippendorff's α.

Both statistics look at a capabilities × assessors matrix of levels (``NaN`` = not rated).

Missing ratings
---------------
* **ICC** needs a complete targets × raters matrix (a two-way ANOVA on balanced data). Capabilities
  not rated by every assessor are dropped *listwise*; the number actually used is reported
  (:attr:`ReliabilityReport.n_capabilities_icc`). This is pingouin's ``nan_policy="omit"``.
* **Krippendorff's α** uses every *pairable* value: a capability contributes when at least two
  assessors rated it, and all of its ratings are then used. Capabilities rated by fewer than two
  assessors carry no information about agreement and are left out (Krippendorff 2011, step 1).

Assessors who rated nothing at all are left out of both (and of ``n_assessors``), with a note: an
assessor assigned but not started would otherwise leave ICC no complete capability at all.

Degenerate data (one assessor, one capability, every rating identical) give ``None`` with a reason
in words instead of a number, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.stats import f as f_dist

from capability_model.positioning import unrated_note, without_unrated_assessors

ICC_TYPES = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
BEYOND_CHANCE = ("not defined for these ratings: the assessors disagree more than chance would make them (the formula "
                 "gives a value above 1, which no reliability can be)")
LEVELS_OF_MEASUREMENT = ("nominal", "ordinal", "interval", "ratio")


@dataclass(frozen=True)
class IccResult:
    """One ICC form. ``icc`` and ``ci95`` are None when the data cannot support it (see ``reason``)."""

    type: str
    icc: float | None
    ci95: tuple[float, float] | None
    f: float | None = None
    df1: float | None = None
    df2: float | None = None
    pval: float | None = None
    reason: str = ""

    def to_json(self) -> dict:
        return {"type": self.type, "icc": self.icc, "ci95": list(self.ci95) if self.ci95 is not None else None}


@dataclass(frozen=True)
class AlphaResult:
    """Krippendorff's α. ``alpha`` is None when undefined (see ``reason``)."""

    alpha: float | None
    level_of_measurement: str
    n_units: int  # units (capabilities) with two or more ratings, i.e. pairable
    n_values: int  # pairable values used
    reason: str = ""


@dataclass(frozen=True)
class ReliabilityReport:
    n_capabilities: int  # capabilities in the data
    n_assessors: int
    n_capabilities_icc: int  # capabilities rated by every assessor: the ones ICC uses
    icc: list[IccResult]
    alpha: AlphaResult
    notes: list[str] = field(default_factory=list)  # why something is missing, what was left out

    @property
    def icc_by_type(self) -> dict[str, IccResult]:
        return {result.type: result for result in self.icc}

    def to_json(self) -> dict:
        """The ``itcap assess reliability`` document (DESIGN.md's CLI contract)."""
        return {
            "n_capabilities": self.n_capabilities,
            "n_assessors": self.n_assessors,
            "n_capabilities_icc": self.n_capabilities_icc,
            "icc": [result.to_json() for result in self.icc],
            "krippendorff_alpha_ordinal": self.alpha.alpha,
        }


# -- ICC ------------------------------------------------------------------------------------------
def _null_iccs(reason: str) -> list[IccResult]:
    return [IccResult(type=t, icc=None, ci95=None, reason=reason) for t in ICC_TYPES]


def _finite(value: float) -> float | None:
    value = float(value)
    return value if np.isfinite(value) else None


def intraclass_correlations(ratings: np.ndarray, confidence: float = 0.95) -> list[IccResult]:
    r"""The six Shrout–Fleiss intraclass correlations with F-based confidence intervals.

    Parameters
    ----------
    ratings : array (n_targets, k_raters)
        A complete matrix (no NaN): one row per capability, one column per assessor.
    confidence : float
        Coverage of the intervals (0.95 → 95% CI).

    Returns
    -------
    list of :class:`IccResult` in the order ICC1, ICC2, ICC3, ICC1k, ICC2k, ICC3k.

    Notes
    -----
    From the two-way ANOVA of the matrix, with :math:`n` targets and :math:`k` raters:
    :math:`MS_R` (between targets), :math:`MS_C` (between raters), :math:`MS_E` (residual) and
    :math:`MS_W = (SS_C + SS_E) / (n(k-1))` (within targets),

    .. math::

        ICC1 = \frac{MS_R - MS_W}{MS_R + (k-1) MS_W}, \quad
        ICC2 = \frac{MS_R - MS_E}{MS_R + (k-1) MS_E + k (MS_C - MS_E)/n}, \quad
        ICC3 = \frac{MS_R - MS_E}{MS_R + (k-1) MS_E}

    and the average-measure forms ICC1k = (MS_R − MS_W)/MS_R, ICC2k = (MS_R − MS_E)/(MS_R + (MS_C −
    MS_E)/n), ICC3k = (MS_R − MS_E)/MS_R. Intervals: ICC1/ICC3 (and their k forms) from the F ratio
    :math:`MS_R/MS_W` (resp. :math:`MS_R/MS_E`) and the F quantiles; ICC2 from Satterthwaite's
    approximate degrees of freedom (McGraw & Wong 1996, Table 7), exactly as
    ``pingouin.intraclass_corr`` and R's ``psych::ICC`` compute them.

    When the residual is zero (assessors agree perfectly, up to a constant offset for ICC3) the
    point estimate is 1 and the intervals are their limits as the F ratio grows without bound.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
    reliability. Psychological Bulletin, 86(2), 420–428.
    McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
    coefficients. Psychological Methods, 1(1), 30–46.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets rated by four judges.

    >>> x = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> [round(r.icc, 2) for r in intraclass_correlations(x)]
    [0.17, 0.29, 0.71, 0.44, 0.62, 0.91]
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError("ratings must be a 2-D array (targets × raters)")
    if np.isnan(x).any():
        raise ValueError("ratings must be complete for ICC; drop incomplete targets first (see reliability())")
    n, k = x.shape
    if k < 2:
        return _null_iccs(f"ICC needs at least two assessors rating the same capabilities (found {k})")
    if n < 2:
        return _null_iccs(f"ICC needs at least two capabilities rated by every assessor (found {n})")

    grand = x.mean()
    row_means = x.mean(axis=1)
    col_means = x.mean(axis=0)
    ss_total = float(((x - grand) ** 2).sum())
    ss_rows = float(k * ((row_means - grand) ** 2).sum())
    ss_cols = float(n * ((col_means - grand) ** 2).sum())
    residuals = x - row_means[:, None] - col_means[None, :] + grand
    ss_error = float((residuals**2).sum())
    # Ratings are levels (whole or half numbers); anything this small is rounding, not variation.
    tiny = 1e-12 * max(ss_total, 1.0)
    if ss_total <= tiny:
        return _null_iccs("every rating is identical: with no variation between capabilities ICC is undefined")
    if ss_rows <= tiny:
        return _null_iccs("every capability has the same mean rating: with no variation between capabilities ICC is undefined")
    if ss_error <= tiny:
        ss_error = 0.0
    if ss_cols <= tiny:
        ss_cols = 0.0

    df_rows, df_cols, df_error, df_within = n - 1, k - 1, (n - 1) * (k - 1), n * (k - 1)
    # numpy scalars: a zero mean square gives inf/nan under errstate, never ZeroDivisionError
    msb = np.float64(ss_rows) / df_rows
    msj = np.float64(ss_cols) / df_cols
    mse = np.float64(ss_error) / df_error
    msw = np.float64(ss_cols + ss_error) / df_within
    alpha = 1.0 - confidence

    with np.errstate(divide="ignore", invalid="ignore"):
        icc1 = (msb - msw) / (msb + (k - 1) * msw)
        icc2 = (msb - mse) / (msb + (k - 1) * mse + k * (msj - mse) / n)
        icc3 = (msb - mse) / (msb + (k - 1) * mse)
        icc1k = (msb - msw) / msb
        icc2k = (msb - mse) / (msb + (msj - mse) / n)
        icc3k = (msb - mse) / msb

        f1 = msb / msw if msw > 0 else np.inf
        f3 = msb / mse if mse > 0 else np.inf
        p1 = float(f_dist.sf(f1, df_rows, df_within)) if np.isfinite(f1) else 0.0
        p3 = float(f_dist.sf(f3, df_rows, df_error)) if np.isfinite(f3) else 0.0

        # ICC1 and ICC3: F-based intervals (Shrout & Fleiss 1979, eqs. 5–6 and 12–13).
        def _f_interval(f_obs: float, df_den: float) -> tuple[float, float, float, float]:
            if not np.isfinite(f_obs):
                return 1.0, 1.0, 1.0, 1.0
            f_low = f_obs / f_dist.ppf(1 - alpha / 2, df_rows, df_den)
            f_up = f_obs * f_dist.ppf(1 - alpha / 2, df_den, df_rows)
            single = ((f_low - 1) / (f_low + (k - 1)), (f_up - 1) / (f_up + (k - 1)))
            average = (1 - 1 / f_low, 1 - 1 / f_up)
            return single[0], single[1], average[0], average[1]

        l1, u1, l1k, u1k = _f_interval(f1, df_within)
        l3, u3, l3k, u3k = _f_interval(f3, df_error)

        # ICC2: Satterthwaite degrees of freedom v (McGraw & Wong 1996, Table 7, case 2A).
        if msj == 0 and mse == 0:
            l2 = u2 = 1.0
        else:
            if mse > 0:
                fj = msj / mse
                vn = df_error * (k * icc2 * fj + n * (1 + (k - 1) * icc2) - k * icc2) ** 2
                vd = df_rows * k**2 * icc2**2 * fj**2 + (n * (1 + (k - 1) * icc2) - k * icc2) ** 2
                v = vn / vd
            else:
                v = df_error / df_rows  # the limit of vn/vd as MS_C/MS_E grows without bound
            f2u = f_dist.ppf(1 - alpha / 2, n - 1, v)
            f2l = f_dist.ppf(1 - alpha / 2, v, n - 1)
            l2 = n * (msb - f2u * mse) / (f2u * (k * msj + (k * n - k - n) * mse) + n * msb)
            u2 = n * (f2l * msb - mse) / (k * msj + (k * n - k - n) * mse + n * f2l * msb)
        l2k = l2 * k / (1 + l2 * (k - 1))
        u2k = u2 * k / (1 + u2 * (k - 1))

    def _result(name: str, value: float, low: float, high: float, f_obs: float, df2: float, p: float) -> IccResult:
        ci = (_finite(low), _finite(high))
        point = _finite(value)
        reason = ""
        if point is not None and point > 1 + 1e-9:
            # The formulas (pingouin's and R's alike) give 40 for two assessors who contradict each
            # other: past the pole of the mean-of-k form. A figure above 1 is no reliability at all.
            point, reason = None, BEYOND_CHANCE
        if point is None:
            reason = reason or "undefined for these data"
        elif None in ci or ci[0] > ci[1] + 1e-12 or not ci[0] - 1e-9 <= point <= ci[1] + 1e-9:
            # a bound past the same pole: [11.3, 0.95] around 0.13
            ci, reason = (None, None), ("the confidence interval is undefined for these data (a bound passes the pole of the "
                                        "mean-of-k form: the assessors may disagree more than chance would make them)")
        return IccResult(
            type=name,
            icc=point,
            ci95=None if point is None or None in ci else ci,  # type: ignore[arg-type]
            f=_finite(f_obs),
            df1=float(df_rows),
            df2=float(df2),
            pval=p,
            reason=reason,
        )

    return [
        _result("ICC1", icc1, l1, u1, f1, df_within, p1),
        _result("ICC2", icc2, l2, u2, f3, df_error, p3),
        _result("ICC3", icc3, l3, u3, f3, df_error, p3),
        _result("ICC1k", icc1k, l1k, u1k, f1, df_within, p1),
        _result("ICC2k", icc2k, l2k, u2k, f3, df_error, p3),
        _result("ICC3k", icc3k, l3k, u3k, f3, df_error, p3),
    ]


# -- Krippendorff's alpha ---------------------------------------------------------------------------
def _squared_distances(values: np.ndarray, n_c: np.ndarray, level: str) -> np.ndarray:
    """δ²(c, k) for every pair of values (Krippendorff 2011, section C)."""
    c = values[:, None]
    k = values[None, :]
    if level == "nominal":
        return (c != k).astype(float)
    if level == "interval":
        return (c - k) ** 2
    if level == "ratio":
        with np.errstate(divide="ignore", invalid="ignore"):
            d = ((c - k) / (c + k)) ** 2
        return np.nan_to_num(d, nan=0.0)
    # ordinal: (Σ_{g=c}^{k} n_g − (n_c + n_k)/2)², written with cumulative sums so that it is one
    # array expression; the sign flips for c > k but the square does not care.
    cumulative = np.cumsum(n_c)
    return (cumulative[None, :] - cumulative[:, None] + (n_c[:, None] - n_c[None, :]) / 2) ** 2


def krippendorff_alpha(ratings: np.ndarray, level_of_measurement: str = "ordinal") -> AlphaResult:
    r"""Krippendorff's α for a units × raters matrix with missing values (``NaN``).

    Parameters
    ----------
    ratings : array (n_units, n_raters)
        One row per capability (unit), one column per assessor (coder); ``NaN`` = not rated. Note
        the orientation: the ``krippendorff`` package takes the transpose (raters × units).
    level_of_measurement : "nominal", "ordinal", "interval" or "ratio"

    Notes
    -----
    With :math:`n_{uc}` the number of values :math:`c` in unit :math:`u` and :math:`m_u` the number
    of values in the unit, only units with :math:`m_u \ge 2` are pairable. The coincidence matrix is
    :math:`o_{ck} = \sum_u (n_{uc} n_{uk} - [c = k] n_{uc}) / (m_u - 1)`, :math:`n_c = \sum_k o_{ck}`,
    :math:`n = \sum_c n_c`, and

    .. math:: \alpha = 1 - (n - 1) \frac{\sum_{c,k} o_{ck}\, \delta^2_{ck}}{\sum_{c,k} n_c n_k\, \delta^2_{ck}}

    with the ordinal metric :math:`\delta^2_{ck} = (\sum_{g=c}^{k} n_g - (n_c + n_k)/2)^2`.

    References
    ----------
    Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. University of
    Pennsylvania, Annenberg School for Communication, Departmental Papers 43.

    Examples
    --------
    Krippendorff (2011), section B: four coders, twelve units, missing values (nominal α = 0.743).

    >>> nan = np.nan
    >>> coders = np.array([[1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...                    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...                    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...                    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]])
    >>> round(krippendorff_alpha(coders.T, "nominal").alpha, 3)
    0.743
    """
    if level_of_measurement not in LEVELS_OF_MEASUREMENT:
        raise ValueError(f"level_of_measurement must be one of {', '.join(LEVELS_OF_MEASUREMENT)}")
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError("ratings must be a 2-D array (units × raters)")
    present = ~np.isnan(x)
    values = np.unique(x[present])
    n_units, n_raters = x.shape
    if n_raters < 2:
        return AlphaResult(None, level_of_measurement, 0, 0, f"Krippendorff's α needs at least two assessors (found {n_raters})")

    # Value counts per unit (units × values) without a Python loop over units.
    unit_index = np.broadcast_to(np.arange(n_units)[:, None], x.shape)[present]
    value_index = np.searchsorted(values, x[present])
    counts = np.bincount(unit_index * len(values) + value_index, minlength=n_units * len(values)).reshape(n_units, len(values)).astype(float)
    m_u = counts.sum(axis=1)
    pairable = m_u >= 2
    if not pairable.any():
        return AlphaResult(None, level_of_measurement, 0, 0, "Krippendorff's α needs at least one capability rated by two or more assessors")
    counts = counts[pairable]
    weights = 1.0 / (m_u[pairable] - 1.0)
    coincidences = (counts * weights[:, None]).T @ counts - np.diag((counts * weights[:, None]).sum(axis=0))
    n_c = coincidences.sum(axis=1)
    n_total = n_c.sum()
    delta2 = _squared_distances(values, n_c, level_of_measurement)
    observed = float((coincidences * delta2).sum())
    expected = float((np.outer(n_c, n_c) * delta2).sum()) / (n_total - 1.0)
    n_pairable_units = int(pairable.sum())
    n_values = int(round(n_total))
    if n_pairable_units < 2:  # the formula gives 0 whatever the levels: read as "no agreement beyond chance"
        return AlphaResult(None, level_of_measurement, n_pairable_units, n_values,
                           "Krippendorff's α needs at least two capabilities rated by two or more assessors: with one it "
                           "is 0 whatever the levels (it weighs disagreement within capabilities against that across them)")
    if expected <= 1e-12 * max(1.0, observed):
        return AlphaResult(None, level_of_measurement, n_pairable_units, n_values,
                           "every pairable rating is the same level: with no variation α is undefined")
    return AlphaResult(float(1.0 - observed / expected), level_of_measurement, n_pairable_units, n_values)


# -- the report the CLI and the app show -----------------------------------------------------------
def reliability(ratings: np.ndarray) -> ReliabilityReport:
    """ICC (listwise complete capabilities) and Krippendorff's ordinal α (all pairable values).

    ``ratings`` is capabilities × assessors with ``NaN`` for not rated.
    """
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2:
        raise ValueError("ratings must be a 2-D array (capabilities × assessors)")
    notes: list[str] = []
    x, unrated = without_unrated_assessors(x)
    if unrated:
        notes.append(unrated_note(unrated))
    n_caps, n_assessors = x.shape
    complete = ~np.isnan(x).any(axis=1) if n_assessors else np.zeros(n_caps, dtype=bool)
    nobody = "no assessor has given a level yet"
    icc = intraclass_correlations(x[complete]) if n_assessors else _null_iccs(nobody)
    n_complete = int(complete.sum())
    if n_complete < n_caps and n_assessors >= 2:
        notes.append(f"ICC uses the {n_complete} of {n_caps} capabilities rated by every assessor (listwise deletion)")
    if icc[0].reason:
        notes.append(icc[0].reason)
    by_reason: dict[str, list[str]] = {}  # the forms that fail on their own (past the mean-of-k pole)
    for result in icc:
        if result.reason and result.reason != icc[0].reason:
            by_reason.setdefault(result.reason, []).append(result.type)
    notes += [f"{' and '.join(types)}: {reason}" for reason, types in by_reason.items()]
    alpha = krippendorff_alpha(x, "ordinal") if n_assessors else AlphaResult(None, "ordinal", 0, 0, nobody)
    if alpha.reason and alpha.reason not in notes:  # one note when both fail for the same reason
        notes.append(alpha.reason)
    elif alpha.n_units < n_caps and n_assessors:
        notes.append(f"Krippendorff's α uses the {alpha.n_units} of {n_caps} capabilities rated by two or more assessors")
    return ReliabilityReport(n_capabilities=n_caps, n_assessors=n_assessors, n_capabilities_icc=n_complete,
                             icc=icc, alpha=alpha, notes=notes)
