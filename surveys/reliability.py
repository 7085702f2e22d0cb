"""Cronbach's α of a scale, its confidence interval, corrected item–total correlations and
α-if-item-deleted — all from one covariance matrix.

Missing data: **listwise**. α is computed on the respondents who answered every item of the scale
(after reverse coding), as SPSS RELIABILITY and ``psych::alpha(use="complete.obs")`` do and as
``pingouin.cronbach_alpha(data, nan_policy="listwise")`` does. Pairwise-complete covariances
(pingouin's default) can give a covariance matrix that is not positive semi-definite — α above 1 or
α-if-deleted that contradicts α — and leave the n of the confidence interval ill-defined, so the
engine does not use them. ``n`` (the number of complete respondents) is always reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import stats as sps

__all__ = ["AlphaResult", "cronbach_alpha"]


@dataclass(frozen=True)
class AlphaResult:
    """Cronbach's α of one scale for one set of respondents.

    ``alpha`` and ``ci95`` are NaN (and ``note`` says why) when α is undefined: fewer than two
    items, fewer than two complete respondents, or zero total-score variance. ``item_total`` maps
    item id → corrected item–total correlation (item vs the sum of the *other* items) and
    ``alpha_if_deleted`` item id → α of the scale without that item (NaN for a two-item scale,
    where one item is left and α is undefined).
    """

    alpha: float
    ci95: tuple[float, float]
    n: int
    k: int
    item_total: dict[str, float] = field(default_factory=dict)
    alpha_if_deleted: dict[str, float] = field(default_factory=dict)
    note: str | None = None


def _alpha_from_cov(trace: np.ndarray | float, total: np.ndarray | float, k: np.ndarray | int):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (k / (k - 1)) * (1 - trace / total)


def cronbach_alpha(items, confidence: float = 0.95) -> AlphaResult:
    r"""Cronbach's (1951) α with Feldt's confidence interval; item statistics from one covariance.

    ``items`` is a DataFrame (columns = the scale's items, already reverse-coded; NaN = missing).
    Rows with any missing item are left out (listwise). With C the k × k covariance matrix
    (ddof = 1) of the complete rows, :math:`S = \sum_{ij} C_{ij}` (the variance of the total
    score) and :math:`r_j = \sum_i C_{ij}`:

    .. math::
        \alpha = \frac{k}{k-1}\left(1 - \frac{\operatorname{tr} C}{S}\right)

    * 95% CI (Feldt, Woodruff & Salih 1987; as ``pingouin.cronbach_alpha``), with
      :math:`\nu_1 = n-1`, :math:`\nu_2 = (n-1)(k-1)`:
      :math:`[1 - (1-\alpha)F_{0.975}(\nu_1,\nu_2),\; 1 - (1-\alpha)F_{0.025}(\nu_1,\nu_2)]`;
    * corrected item–total correlation of item j (item vs the total of the other items):
      :math:`(r_j - C_{jj}) / \sqrt{C_{jj}(S - 2r_j + C_{jj})}`;
    * α if item j is deleted: :math:`\frac{k-1}{k-2}\left(1 - \frac{\operatorname{tr}C - C_{jj}}{S - 2r_j + C_{jj}}\right)`.

    On complete data α equals ICC(3,k) of Shrout & Fleiss (1979) with respondents as targets and
    items as raters; the tests check that identity with ``pingouin.intraclass_corr``.
    """
    columns = [str(c) for c in items.columns]
    k = len(columns)
    values = items.to_numpy(dtype=float)
    complete = values[~np.isnan(values).any(axis=1)]
    n = int(complete.shape[0])
    nan_items = {c: float("nan") for c in columns}
    nan_ci = (float("nan"), float("nan"))
    if k < 2:
        return AlphaResult(float("nan"), nan_ci, n, k, dict(nan_items), dict(nan_items), "α needs at least two items")
    if n < 2:
        return AlphaResult(float("nan"), nan_ci, n, k, dict(nan_items), dict(nan_items),
                           "α needs at least two respondents who answered every item of the scale")
    cov = np.cov(complete, rowvar=False, ddof=1)
    diag = np.diag(cov)
    total = float(cov.sum())
    trace = float(diag.sum())
    row = cov.sum(axis=0)
    rest_var = total - 2 * row + diag
    with np.errstate(divide="ignore", invalid="ignore"):
        item_total = (row - diag) / np.sqrt(diag * rest_var)
    item_total = np.where((diag > 0) & (rest_var > 0), item_total, np.nan)
    if k > 2:
        deleted = _alpha_from_cov(trace - diag, rest_var, k - 1)
        deleted = np.where(rest_var > 0, deleted, np.nan)
    else:
        deleted = np.full(k, np.nan)
    note = None
    constant = [c for c, v in zip(columns, diag) if not v > 0]
    if not total > 0:
        alpha = float("nan")
        ci = nan_ci
        note = "the total score does not vary (every item constant or the items cancel out): α undefined"
    else:
        alpha = float(_alpha_from_cov(trace, total, k))
        df1, df2 = n - 1, (n - 1) * (k - 1)
        tail = (1 - confidence) / 2
        ci = (float(1 - (1 - alpha) * sps.f.isf(tail, df1, df2)), float(1 - (1 - alpha) * sps.f.isf(1 - tail, df1, df2)))
        if constant:
            note = f"constant item(s) {', '.join(constant)}: no item–total correlation"
    return AlphaResult(
        alpha=alpha, ci95=ci, n=n, k=k,
        item_total={c: float(v) for c, v in zip(columns, item_total)},
        alpha_if_deleted={c: float(v) for c, v in zip(columns, deleted)},
        note=note,
    )
