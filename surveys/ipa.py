"""Importance–performance analysis (Martilla & James 1977) of the instrument's ``ipa_pairs``.

For each pair (an IT service with an importance item and a performance item) and each group:
mean importance and mean performance over the group's answers to each item (as answered, missing
left out), the gap = performance − importance (negative: the service falls short of how much it
matters), and a quadrant from the *data-centred* cross-hairs — the grand means, i.e. the mean over
the pairs of the group's mean importance and of its mean performance:

=====================  ==================  =====================
                        performance < mean  performance ≥ mean
importance ≥ mean       Concentrate here    Keep up the good work
importance < mean       Low priority        Possible overkill
=====================  ==================  =====================

A value exactly on a cross-hair counts as high. A pair/group cell where either item has fewer
than k answers is suppressed (means null, a note says why) and takes no part in the grand means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveys.group_tests import moments
from surveys.instrument import Instrument
from surveys.scoring import fewer_than

__all__ = ["QUADRANTS", "importance_performance", "quadrant"]

QUADRANTS = ("Concentrate here", "Keep up the good work", "Low priority", "Possible overkill")


def quadrant(importance: float, performance: float, importance_mean: float, performance_mean: float) -> str:
    high_importance = importance >= importance_mean
    high_performance = performance >= performance_mean
    if high_importance:
        return "Keep up the good work" if high_performance else "Concentrate here"
    return "Possible overkill" if high_performance else "Low priority"


def _num(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def importance_performance(frame: pd.DataFrame, instrument: Instrument, group_col: str, groups: list[str],
                           min_group_size: int = 5) -> dict:
    """IPA per pair and group.

    ``frame``: validated responses (see :func:`surveys.analysis_input.prepare_responses`);
    ``groups``: the groups to report (already past the group-level threshold).
    Returns ``{"pairs": [{"id", "name", "importance_item", "performance_item", "group",
    "importance", "performance", "gap", "n_importance", "n_performance", "quadrant", "note"}],
    "crosshairs": {group: {"importance", "performance"}}}`` — one row per pair and group.
    """
    rows: list[dict] = []
    crosshairs: dict[str, dict] = {}
    pairs = [p for p in instrument.ipa_pairs if p.importance in frame.columns and p.performance in frame.columns]
    if not pairs:
        return {"pairs": rows, "crosshairs": crosshairs}
    imp_ids = [p.importance for p in pairs]
    perf_ids = [p.performance for p in pairs]
    for g in groups:
        part = frame[frame[group_col] == g]
        imp = moments(part[imp_ids].to_numpy(dtype=float))
        perf = moments(part[perf_ids].to_numpy(dtype=float))
        ok = (imp.n >= min_group_size) & (perf.n >= min_group_size)
        imp_mean = float(np.mean(imp.mean[ok])) if ok.any() else float("nan")
        perf_mean = float(np.mean(perf.mean[ok])) if ok.any() else float("nan")
        crosshairs[g] = {"importance": _num(imp_mean), "performance": _num(perf_mean)}
        for j, pair in enumerate(pairs):
            row = {
                "id": pair.id, "name": pair.name, "importance_item": pair.importance,
                "performance_item": pair.performance, "group": g,
                "importance": None, "performance": None, "gap": None,
                "n_importance": None, "n_performance": None, "quadrant": None, "note": None,
            }
            if ok[j]:
                row.update(
                    importance=_num(imp.mean[j]), performance=_num(perf.mean[j]),
                    gap=_num(perf.mean[j] - imp.mean[j]),
                    n_importance=int(imp.n[j]), n_performance=int(perf.n[j]),
                    quadrant=quadrant(imp.mean[j], perf.mean[j], imp_mean, perf_mean),
                )
            else:
                row["note"] = f"{fewer_than(min_group_size, 'answers')} from group {g}: suppressed"
            rows.append(row)
    return {"pairs": rows, "crosshairs": crosshairs}
