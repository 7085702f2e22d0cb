"""Scoring survey answers: which items are analysed, reverse coding and scale scores.

Conventions (DESIGN.md, "Statistics contract"):

* analysed items are the ``likert`` and ``numeric`` items; ``text`` and ``choice`` items
  (comments, demographics) are never analysed;
* item statistics use the values **as answered**; reverse coding only enters scale scores and α;
* reverse coding of a likert item with response range min..max: ``x → min + max − x``;
* scale score of a respondent = mean of the scale's answered items after reverse coding, missing
  when fewer than half of the scale items that apply to the respondent's group were answered
  (an item restricted to other groups is not counted against a respondent who was never asked it).

All functions take a DataFrame with one row per respondent and one float column per item id
(NaN = missing), as produced by :func:`surveys.analysis_input.prepare_responses`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveys.instrument import Instrument, Item

__all__ = ["ANALYSED_TYPES", "analysed_items", "item_bounds", "reverse_code", "scale_scores", "scale_item_ids", "item_applies"]

ANALYSED_TYPES = ("likert", "numeric")


def analysed_items(instrument: Instrument) -> list[Item]:
    """The items the statistics engine analyses (likert and numeric), in instrument order."""
    return [item for item in instrument.items if item.type in ANALYSED_TYPES]


def item_bounds(instrument: Instrument, item: Item) -> tuple[float, float]:
    lo, hi = instrument.item_range(item)
    return (float("nan") if lo is None else float(lo), float("nan") if hi is None else float(hi))


def scale_item_ids(instrument: Instrument, scale_id: str) -> list[str]:
    """Ids of the likert items that belong to a scale, in instrument order."""
    return [item.id for item in instrument.scale_items(scale_id) if item.type == "likert"]


def reverse_code(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """A copy of ``frame`` with every reverse-coded item present recoded as min + max − x.

    Example: on a 1–5 agreement scale, 1 ↔ 5, 2 ↔ 4, 3 stays 3; missing stays missing.
    """
    out = frame.copy()
    for item in instrument.items:
        if item.reverse and item.id in out.columns:
            lo, hi = item_bounds(instrument, item)
            out[item.id] = (lo + hi) - out[item.id].astype(float)
    return out


def item_applies(instrument: Instrument, item_ids: list[str], groups: pd.Series) -> np.ndarray:
    """Boolean (respondents × items): was the item asked of the respondent's group?"""
    items = instrument.item_map()
    codes, uniques = pd.factorize(groups, use_na_sentinel=True)
    table = np.array([[g in instrument.item_groups(items[i]) for i in item_ids] for g in uniques],
                     dtype=bool).reshape(len(uniques), len(item_ids))
    out = np.ones((len(groups), len(item_ids)), dtype=bool)
    known = codes >= 0
    out[known] = table[codes[known]]
    return out


def scale_scores(frame: pd.DataFrame, instrument: Instrument, group_col: str | None = None,
                 reversed_frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Scale score per respondent (rows as ``frame``) and scale (columns = scale ids).

    Score = mean of the answered items of the scale after reverse coding; NaN when the respondent
    answered fewer than half of the scale's items that apply to their group (all the scale's items
    when ``group_col`` is None or every item is asked of everyone). Exactly half is enough: a
    four-item scale needs two answers. ``reversed_frame`` may be passed to save recoding twice.
    """
    recoded = reverse_code(frame, instrument) if reversed_frame is None else reversed_frame
    scores = {}
    for scale in instrument.scales:
        ids = [i for i in scale_item_ids(instrument, scale.id) if i in recoded.columns]
        if not ids:
            scores[scale.id] = np.full(len(frame), np.nan)
            continue
        values = recoded[ids].to_numpy(dtype=float)
        answered = ~np.isnan(values)
        n_answered = answered.sum(axis=1)
        if group_col is not None:
            n_applicable = item_applies(instrument, ids, frame[group_col]).sum(axis=1)
        else:
            n_applicable = np.full(len(frame), len(ids))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(answered, values, 0.0).sum(axis=1) / n_answered
        enough = (n_answered > 0) & (2 * n_answered >= n_applicable)
        scores[scale.id] = np.where(enough, mean, np.nan)
    return pd.DataFrame(scores, index=frame.index, columns=[s.id for s in instrument.scales], dtype=float)


def fewer_than(k: int, what: str) -> str:
    """A reporting threshold in words: "fewer than 5 answers" — or, when it is 1, "no answers"."""
    return f"fewer than {k} {what}" if k > 1 else f"no {what}"
