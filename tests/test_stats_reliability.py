"""Cronbach's α, its CI, corrected item–total correlations and α-if-item-deleted, against pingouin
(listwise), pandas and the Shrout & Fleiss (1979) α = ICC(3,k) identity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats as sps

from surveys.reliability import cronbach_alpha

TOL = 1e-9

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges. Published: ICC(3,1) = .71,
# ICC(3,4) = .91 (Table 4).
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], dtype=float)


def scale_frame(seed: int, n: int = 120, k: int = 5, missing: float = 0.08) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 1))
    values = np.clip(np.round(3 + latent + rng.normal(scale=0.9, size=(n, k))), 1, 5)
    values[rng.random(values.shape) < missing] = np.nan
    return pd.DataFrame(values, columns=[f"i{j}" for j in range(k)])


def test_shrout_fleiss_alpha_equals_icc3k():
    frame = pd.DataFrame(SHROUT_FLEISS, columns=["j1", "j2", "j3", "j4"])
    result = cronbach_alpha(frame)
    assert round(result.alpha, 2) == 0.91  # the published ICC(3,4)
    long = frame.reset_index().melt(id_vars="index", var_name="judge", value_name="rating")
    icc = pg.intraclass_corr(long, targets="index", raters="judge", ratings="rating").set_index("Type")
    icc3k = icc.loc["ICC(C,k)" if "ICC(C,k)" in icc.index else "ICC3k", "ICC"]
    assert abs(result.alpha - icc3k) < TOL
    assert result.n == 6 and result.k == 4


@pytest.mark.parametrize("seed", range(6))
def test_alpha_and_ci_match_pingouin_listwise(seed):
    frame = scale_frame(seed)
    result = cronbach_alpha(frame)
    ref_alpha, _ = pg.cronbach_alpha(frame, nan_policy="listwise")
    assert abs(result.alpha - ref_alpha) < TOL
    assert result.n == len(frame.dropna())
    # pingouin takes n for the CI *before* listwise deletion (see the trap test below), so its CI
    # is compared on the complete rows; pingouin rounds its CI to 3 decimals
    _, ref_ci = pg.cronbach_alpha(frame.dropna())
    np.testing.assert_allclose(result.ci95, ref_ci, atol=5e-4 + 1e-12)
    # the unrounded Feldt interval
    n, k = result.n, result.k
    f_hi, f_lo = sps.f.ppf(0.975, n - 1, (n - 1) * (k - 1)), sps.f.ppf(0.025, n - 1, (n - 1) * (k - 1))
    assert abs(result.ci95[0] - (1 - (1 - ref_alpha) * f_hi)) < TOL
    assert abs(result.ci95[1] - (1 - (1 - ref_alpha) * f_lo)) < TOL


def test_trap_pingouin_listwise_ci_uses_n_before_deletion():
    """pingouin.cronbach_alpha(nan_policy="listwise") drops incomplete rows for α but takes
    n = len(data) for the F-based CI; ours uses the respondents α was computed on."""
    frame = scale_frame(0, missing=0.15)
    result = cronbach_alpha(frame)
    _, ref_ci = pg.cronbach_alpha(frame, nan_policy="listwise")
    assert result.n < len(frame)
    assert result.ci95[1] - result.ci95[0] > ref_ci[1] - ref_ci[0]  # fewer respondents, wider CI


@pytest.mark.parametrize("seed", range(4))
def test_item_total_and_alpha_if_deleted_match_direct_computation(seed):
    frame = scale_frame(seed, k=6)
    result = cronbach_alpha(frame)
    complete = frame.dropna()
    for item in frame.columns:
        rest = complete.drop(columns=item)
        r = np.corrcoef(complete[item], rest.sum(axis=1))[0, 1]
        assert abs(result.item_total[item] - r) < TOL
        ref, _ = pg.cronbach_alpha(rest)  # on the same (listwise-complete) respondents
        assert abs(result.alpha_if_deleted[item] - ref) < TOL


def test_reverse_keyed_item_shows_negative_item_total_correlation():
    frame = scale_frame(1, k=4).dropna()
    frame["i3"] = 6 - frame["i3"]  # forgot to reverse-code
    result = cronbach_alpha(frame)
    assert result.item_total["i3"] < 0
    assert result.alpha_if_deleted["i3"] > result.alpha


def test_two_item_scale_has_no_alpha_if_deleted():
    result = cronbach_alpha(scale_frame(2, k=2))
    assert np.isfinite(result.alpha)
    assert all(np.isnan(v) for v in result.alpha_if_deleted.values())


def test_constant_item_keeps_alpha_defined_but_has_no_item_total():
    frame = scale_frame(3, k=4).dropna()
    frame["i2"] = 3.0
    result = cronbach_alpha(frame)
    ref, _ = pg.cronbach_alpha(frame)
    assert abs(result.alpha - ref) < TOL
    assert np.isnan(result.item_total["i2"]) and "i2" in result.note


def test_all_items_constant_gives_no_alpha_and_says_why():
    frame = pd.DataFrame({"a": [3.0] * 10, "b": [4.0] * 10, "c": [2.0] * 10})
    result = cronbach_alpha(frame)
    assert np.isnan(result.alpha) and np.isnan(result.ci95[0]) and "does not vary" in result.note


def test_too_few_complete_respondents():
    frame = pd.DataFrame({"a": [1.0, np.nan, 3], "b": [np.nan, 2.0, 3]})
    result = cronbach_alpha(frame)
    assert result.n == 1 and np.isnan(result.alpha) and "two respondents" in result.note


def test_single_item_has_no_alpha():
    result = cronbach_alpha(pd.DataFrame({"a": [1.0, 2, 3]}))
    assert np.isnan(result.alpha) and "two items" in result.note
