"""Group comparison of survey responses: the engine behind ``itcap analyze``, the leadership page
and the report (DESIGN.md, "Statistics contract"; methods and conventions in docs/statistics.md).

Entry point: :func:`compare_groups` — a validated or raw responses DataFrame plus the instrument in,
a JSON-ready document out (``None`` wherever a statistic is undefined or suppressed, with a
``note`` saying why). Two groups give the contract's two-group document; three or more give Welch
ANOVA / Kruskal–Wallis with Holm-corrected pairwise follow-ups.

The arithmetic lives in :mod:`surveys.group_tests` (vectorised over items),
:mod:`surveys.reliability` (Cronbach's α), :mod:`surveys.ipa` (importance–performance) and
:mod:`surveys.scoring` (reverse coding, scale scores); this module applies the reporting
threshold and assembles the document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import combinations

import numpy as np
import pandas as pd

from surveys.analysis_input import AnalysisInputError, ResponsesTable, prepare_responses
from surveys.csv_text import did_you_mean
from surveys.group_tests import (
    benjamini_hochberg, group_medians, hedges_g_from_moments, holm, kruskal_wallis, mann_whitney, mean_ci, moments,
    rank_sums, tost_from_moments, welch_anova, welch_from_moments,
)
from surveys.instrument import Instrument
from surveys.ipa import importance_performance
from surveys.reliability import cronbach_alpha
from surveys.scoring import analysed_items, fewer_than, reverse_code, scale_item_ids, scale_scores

__all__ = [
    "DEFAULT_MARGIN", "DEFAULT_MIN_GROUP_SIZE", "SIGNIFICANCE", "compare_groups", "describe_group", "suppressed_groups", "verdict",
    "responses_fingerprint",
]

DEFAULT_MARGIN = 0.5
DEFAULT_MIN_GROUP_SIZE = 5
SIGNIFICANCE = 0.05

Progress = Callable[[str], None]


# -- the reporting threshold ---------------------------------------------------------------------
def suppressed_groups(counts: Mapping[str, int], k: int, *, total_shown: bool = True) -> list[str]:
    """Groups whose results must be suppressed under reporting threshold ``k``.

    Primary suppression: every group with fewer than k responses. Differencing: when a total
    across the groups is shown (``total_shown``), the suppressed groups' combined count is
    total − Σ shown counts; so while the suppressed groups are a single group with responses, or
    together hold fewer than k responses, the smallest shown group is suppressed as well
    (complementary suppression). Groups with no responses reveal nobody and need no complement.

    >>> suppressed_groups({"business": 120, "it": 3}, 5)
    ['business', 'it']
    >>> suppressed_groups({"business": 120, "it": 60, "contractors": 3}, 5)
    ['it', 'contractors']
    >>> suppressed_groups({"business": 120, "it": 3}, 5, total_shown=False)
    ['it']
    """
    hidden = {g for g, n in counts.items() if n < k}
    if total_shown:
        while True:
            hidden_total = sum(counts[g] for g in hidden)
            if hidden_total == 0 or (len(hidden) > 1 and hidden_total >= k):
                break
            shown = sorted((n, i, g) for i, (g, n) in enumerate(counts.items()) if g not in hidden)
            if not shown:
                break
            hidden.add(shown[0][2])
    return [g for g in counts if g in hidden]


def verdict(tost_p: float | None, p_holm: float | None, level: float = SIGNIFICANCE) -> str:
    """``equivalent`` if tost_p < level; else ``differs`` if the Holm-adjusted Welch p < level;
    else ``inconclusive`` (also when a p-value is undefined)."""
    if tost_p is not None and np.isfinite(tost_p) and tost_p < level:
        return "equivalent"
    if p_holm is not None and np.isfinite(p_holm) and p_holm < level:
        return "differs"
    return "inconclusive"


def responses_fingerprint(frame: pd.DataFrame) -> str:
    """A short content hash of a responses DataFrame — a cache key that changes when responses do."""
    import hashlib

    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    digest.update("\x1f".join(map(str, frame.columns)).encode())
    return digest.hexdigest()[:16]


# -- small helpers -------------------------------------------------------------------------------
def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _pair(lo, hi) -> list[float | None] | None:
    lo, hi = _num(lo), _num(hi)
    return None if lo is None or hi is None else [lo, hi]


def _say(progress: Progress | None, message: str) -> None:
    if progress is not None:
        progress(message)


# -- the entry point -----------------------------------------------------------------------------
def compare_groups(
    frame: pd.DataFrame | ResponsesTable,
    instrument: Instrument,
    group_col: str = "group",
    groups: Sequence[str] | None = None,
    *,
    margin: float = DEFAULT_MARGIN,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    flag_col: str | None = None,
    ignore_columns: Sequence[str] = (),
    where: str = "<responses>",
    progress: Progress | None = None,
) -> dict:
    """Compare groups on every analysed item and scale; the ``itcap analyze`` JSON document.

    Parameters
    ----------
    frame : a responses DataFrame (group column + one column per item id) or a
        :class:`~surveys.analysis_input.ResponsesTable` already validated.
    groups : the groups to compare (instrument group ids or names); default: the instrument's first
        two groups with at least k responses after the exclusions, as in the app (with fewer such
        groups, the first two in the data, reported as suppressed). Two groups → the two-group document of DESIGN.md;
        three or more → Welch ANOVA / Kruskal–Wallis per item and scale with pairwise follow-ups.
    margin : the TOST equivalence margin, ± raw scale points (item units for numeric items).
    min_group_size : the reporting threshold k. A group with fewer than k responses (after the
        exclusions) is listed in ``suppressed`` and never analysed; an item or scale where a group
        has fewer than k answers gets no statistics, only a ``note``.
    flag_col : a data-quality flag column; rows where it is non-blank are excluded and counted.

    Raises :class:`~surveys.analysis_input.AnalysisInputError` for input that cannot be analysed
    (unknown items or groups, non-numeric or out-of-range cells, fewer than two groups in the data).
    """
    if not isinstance(min_group_size, (int, np.integer)) or min_group_size < 1:
        raise AnalysisInputError([f"the reporting threshold k must be a whole number ≥ 1, not {min_group_size!r}"])
    if not np.isfinite(margin) or margin <= 0:
        raise AnalysisInputError([f"the equivalence margin must be a positive number, not {margin!r}"])
    k = int(min_group_size)
    _say(progress, "checking responses")
    if isinstance(frame, ResponsesTable):
        table = frame
    else:
        table = prepare_responses(frame, instrument, group_col, where=where, flag_col=flag_col, ignore_columns=ignore_columns)
    group_col = table.group_col
    data = table.frame
    # exclusions, counted per group so that suppressed groups' figures never show
    flagged, empty = _excluded_rows(table, instrument, flag_col)
    item_ids = [i.id for i in analysed_items(instrument)]
    group_values = data[group_col].to_numpy()
    compared = _choose_groups(data[group_col], instrument, groups, where, _kept_counts(group_values, flagged, empty), k)
    in_compared = data[group_col].isin(compared).to_numpy()
    counts, n_flagged, n_empty = {}, {}, {}
    for g in compared:
        rows = group_values == g
        n_flagged[g] = int((rows & flagged).sum())
        n_empty[g] = int((rows & ~flagged & empty).sum())
        counts[g] = int((rows & ~flagged & ~empty).sum())
    hidden = suppressed_groups(counts, k, total_shown=False)
    analysed = [g for g in compared if g not in hidden]
    keep = in_compared & ~flagged & ~empty & np.isin(group_values, analysed)
    work = data.loc[keep]

    document: dict = {
        "instrument": instrument.id,
        "group_col": group_col,
        # the groups actually compared, A first: those asked for (or the default pair) less the suppressed
        "compared": analysed if len(analysed) >= 2 else [],
        "margin": float(margin),
        "min_group_size": k,
        "groups": {g: {"n": counts[g], "name": instrument.group_name(g)} for g in analysed},
        "suppressed": list(hidden),
        "suppressed_reasons": {
            g: ("no responses" if counts[g] == 0 else f"fewer than {k} responses (the reporting threshold)") for g in hidden
        },
        "excluded": {"flagged_rows": sum(n_flagged[g] for g in analysed), "empty_rows": sum(n_empty[g] for g in analysed),
                     # numeric answers outside the plausible range, left out of their item (see ResponsesTable)
                     "out_of_range_values": int(table.out_of_range[keep].sum()) if table.out_of_range is not None else 0,
                     # CSV rows with every cell empty, skipped as an import skips them: no group, so no one's count
                     "blank_rows": table.blank_rows},
        "items": [],
        "scales": [],
        "ipa": {"pairs": [], "crosshairs": {}},
        "note": None,
    }
    if len(analysed) < 2:
        document["note"] = (
            "nothing to compare: " + "; ".join(f"group {g}: {document['suppressed_reasons'][g]}" for g in hidden)
        )
        return document

    _say(progress, f"items: {len(item_ids)} items × {len(work)} responses")
    work_groups = work[group_col].to_numpy()
    masks = {g: work_groups == g for g in analysed}
    item_values = work[item_ids].to_numpy(dtype=float)
    samples = {g: item_values[masks[g]] for g in analysed}
    item_meta = [
        {"id": i.id, "type": i.type, "scale": i.scale, "reverse": i.reverse, "asked": instrument.item_groups(i)}
        for i in analysed_items(instrument)
    ]
    recoded = reverse_code(work, instrument)
    scores = scale_scores(work, instrument, group_col, reversed_frame=recoded)
    score_values = scores.to_numpy(dtype=float)
    scale_samples = {g: score_values[masks[g]] for g in analysed}
    scale_meta = [
        {"id": s.id, "name": s.name, "mode": s.mode, "n_items": len(scale_item_ids(instrument, s.id)),
         "asked": _scale_groups(instrument, s.id)}
        for s in instrument.scales
    ]
    if len(analysed) == 2:
        a, b = analysed
        document["items"] = _two_group_rows(samples[a], samples[b], item_meta, a, b, k, margin)
        _say(progress, f"scales: {len(scale_meta)} scales, reliability")
        document["scales"] = _two_group_rows(scale_samples[a], scale_samples[b], scale_meta, a, b, k, margin)
    else:
        document["items"] = _several_group_rows([samples[g] for g in analysed], item_meta, analysed, k)
        _say(progress, f"scales: {len(scale_meta)} scales, reliability")
        document["scales"] = _several_group_rows([scale_samples[g] for g in analysed], scale_meta, analysed, k)
    for row in document["scales"]:
        mixed = _mixed_item_sets(instrument, row["id"], analysed)
        if mixed:
            row["note"] = f"{row['note']}; {mixed}" if row["note"] else mixed
    _add_reliability(document["scales"], recoded, masks, instrument, analysed, k)
    _say(progress, "importance–performance")
    document["ipa"] = importance_performance(work, instrument, group_col, analysed, k)
    return document


def describe_group(table: ResponsesTable, instrument: Instrument, group: str, *,
                   min_group_size: int = DEFAULT_MIN_GROUP_SIZE, flag_col: str | None = None) -> dict:
    """One group's own figures, for a survey with nothing to compare them with: a one-group
    survey, or one whose other groups are under the reporting threshold.

    The document has the several-group shape with a single group — per item and scale ``n``,
    ``mean``, ``sd``, ``median`` and ``mean_ci95`` keyed by the group, Cronbach's α per scale, the
    group's importance–performance pairs — and ``described`` naming the group; ``compared`` is
    empty, since nothing is compared, and there are no tests and no verdicts. Under k responses
    after the exclusions, or an item (scale) with fewer than k answers: no figures, a ``note``.
    Nothing here is a total over groups, so a suppressed group's answers cannot be worked out by
    subtraction.
    """
    k = int(min_group_size)
    group_col = table.group_col
    data = table.frame
    flagged, empty = _excluded_rows(table, instrument, flag_col)
    rows = (data[group_col] == group).to_numpy()
    keep = rows & ~flagged & ~empty
    n = int(keep.sum())
    document: dict = {
        "instrument": instrument.id, "group_col": group_col, "described": group, "compared": [],
        "min_group_size": k, "groups": {}, "suppressed": [], "suppressed_reasons": {},
        "excluded": {"flagged_rows": int((rows & flagged).sum()), "empty_rows": int((rows & ~flagged & empty).sum()),
                     "out_of_range_values": int(table.out_of_range[keep].sum()) if table.out_of_range is not None else 0,
                     "blank_rows": table.blank_rows},
        "items": [], "scales": [], "ipa": {"pairs": [], "crosshairs": {}}, "note": None,
    }
    if n < k:
        document["suppressed"] = [group]
        document["suppressed_reasons"] = {group: "no responses" if n == 0 else f"fewer than {k} responses (the reporting threshold)"}
        document["note"] = f"nothing to describe: group {group}: {document['suppressed_reasons'][group]}"
        return document
    document["groups"] = {group: {"n": n, "name": instrument.group_name(group)}}
    work = data.loc[keep]
    items = analysed_items(instrument)
    item_meta = [{"id": i.id, "type": i.type, "scale": i.scale, "reverse": i.reverse, "asked": instrument.item_groups(i)}
                 for i in items]
    recoded = reverse_code(work, instrument)
    scores = scale_scores(work, instrument, group_col, reversed_frame=recoded)
    scale_meta = [{"id": s.id, "name": s.name, "mode": s.mode, "n_items": len(scale_item_ids(instrument, s.id)),
                   "asked": _scale_groups(instrument, s.id)} for s in instrument.scales]
    document["items"] = _one_group_rows(work[[i.id for i in items]].to_numpy(dtype=float), item_meta, group, k)
    document["scales"] = _one_group_rows(scores.to_numpy(dtype=float), scale_meta, group, k)
    _add_reliability(document["scales"], recoded, {group: np.ones(len(work), dtype=bool)}, instrument, [group], k)
    document["ipa"] = importance_performance(work, instrument, group_col, [group], k)
    return document


def _one_group_rows(x: np.ndarray, meta: list[dict], group: str, k: int) -> list[dict]:
    """Per column, the group's count, mean, SD, median and the mean's t-based 95% CI — or, under k
    answers (or not asked of the group), a note instead."""
    mom = moments(x)
    medians = group_medians(x)
    low, high = mean_ci(mom)
    rows = []
    for j, m in enumerate(meta):
        row = {key: m[key] for key in m if key != "asked"}
        row.update({"n": {group: None}, "mean": {group: None}, "sd": {group: None}, "median": {group: None},
                    "mean_ci95": {group: None}, "note": None})
        answers = int(mom.n[j])
        if group not in m["asked"]:
            row["note"] = f"not asked of group {group}"
        elif answers == 0:
            row["note"] = "answered by nobody"
        elif answers < k:
            row["note"] = f"{fewer_than(k, 'answers')} from group {group}: suppressed"
        else:
            row.update({"n": {group: answers}, "mean": {group: _num(mom.mean[j])}, "sd": {group: _num(mom.sd[j])},
                        "median": {group: _num(medians[j])}, "mean_ci95": {group: _pair(low[j], high[j])}})
            if answers < 2 or mom.var[j] == 0:
                row["note"] = ("one answer: no SD or confidence interval" if answers < 2
                               else f"constant (every answer is {float(mom.mean[j]):g}): no spread, the interval is the value itself")
        rows.append(row)
    return rows


def _excluded_rows(table: ResponsesTable, instrument: Instrument, flag_col: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Rows left out of the analysis: flagged (when a flag column is named) and with no answer to any
    analysed item."""
    data = table.frame
    flagged = np.zeros(len(data), dtype=bool)
    flag = flag_col or table.flag_col
    if flag is not None and flag in data.columns:
        flagged = (data[flag].fillna("").astype(str).str.strip() != "").to_numpy()
    item_ids = [i.id for i in analysed_items(instrument)]
    empty = np.isnan(data[item_ids].to_numpy(dtype=float)).all(axis=1) if item_ids else np.ones(len(data), dtype=bool)
    return flagged, empty


def groups_differ(row: dict, alpha: float = 0.05) -> bool | None:
    """Whether a several-group row (item or scale) says the groups differ at all: Welch's ANOVA p,
    Holm-adjusted across the rows, under ``alpha``. Where Welch's ANOVA is undefined — a group with no
    variation weighs n/0 — the Kruskal–Wallis p, adjusted across the rows the same way, decides. None
    when neither has a value (the row is suppressed or empty)."""
    gate = row.get("p_holm") if row.get("p_holm") is not None else row.get("kruskal_p_holm")
    return None if gate is None else gate < alpha


def differing_pairs(row: dict, alpha: float = 0.05) -> list[dict]:
    """The pairs of a several-group row (item or scale) said to differ: only where the groups differ
    at all (:func:`groups_differ`), and then the pairs whose Welch p stays under ``alpha`` after Holm
    across that row's pairs — or, for a pair of groups that each gave one answer, different ones
    (Welch's t infinite, no p), whose Mann–Whitney p does. The gate keeps the error controlled across
    rows: 40 items × 3 pairs, each tested on its own, would find differences that are not there. The
    app, the report and ``itcap analyze`` all read the rows so."""
    if not groups_differ(row, alpha):
        return []

    def holds(pair: dict) -> bool:
        if pair.get("mean_diff") is None:
            return False
        if pair.get("welch_p_holm") is not None:
            return pair["welch_p_holm"] < alpha
        separated = (row.get("sd") or {}).get(pair["a"]) == 0 == (row.get("sd") or {}).get(pair["b"]) and pair["mean_diff"] != 0
        return separated and pair.get("mwu_p_holm") is not None and pair["mwu_p_holm"] < alpha

    return [pair for pair in row.get("pairwise") or [] if holds(pair)]


def answered_rows(table: ResponsesTable, instrument: Instrument) -> np.ndarray:
    """Which rows answer at least one analysed item (the others are left out of every analysis)."""
    return ~_excluded_rows(table, instrument, None)[1]


def analysable_counts(table: ResponsesTable, instrument: Instrument, flag_col: str | None = None) -> dict[str, int]:
    """Each group's responses left to analyse after the exclusions, as the reporting threshold counts them."""
    flagged, empty = _excluded_rows(table, instrument, flag_col)
    return _kept_counts(table.frame[table.group_col].to_numpy(), flagged, empty)


def _kept_counts(group_values: np.ndarray, flagged: np.ndarray, empty: np.ndarray) -> dict[str, int]:
    kept = group_values[~flagged & ~empty]
    return {str(g): int(n) for g, n in pd.Series(kept, dtype=object).value_counts().items()}


def _choose_groups(values: pd.Series, instrument: Instrument, groups: Sequence[str] | None, where: str,
                   analysable: dict[str, int], k: int) -> list[str]:
    """The groups asked for; by default, as in the app, the instrument's first two groups with at least
    k responses left after the exclusions (else the first two present, which are then suppressed)."""
    present = set(values.dropna().unique())
    if groups is None:
        reportable = [g for g in instrument.group_ids() if analysable.get(g, 0) >= k]
        chosen = reportable[:2] if len(reportable) >= 2 else [g for g in instrument.group_ids() if g in present][:2]
        if not present:
            raise AnalysisInputError([f"{where}: no responses to analyse"])
        if len(chosen) < 2:
            found = ", ".join(sorted(present))
            hint = f" (--groups {found} gives that group's own figures)" if len(present) == 1 else ""
            raise AnalysisInputError([f"{where}: a comparison needs two groups in the data; found only: {found}{hint}"])
        return chosen
    lookup = {g.name.casefold(): g.id for g in instrument.groups}
    lookup.update({g.id.casefold(): g.id for g in instrument.groups})  # an id wins over another group's name
    lookup.update({g.id: g.id for g in instrument.groups})
    chosen, problems = [], []
    for g in groups:
        gid = lookup.get(g, lookup.get(str(g).casefold()))
        if gid is None:
            problems.append(f"group {g!r} is not one of {', '.join(instrument.group_ids())}"
                            f"{did_you_mean(str(g), [*instrument.group_ids(), *(x.name for x in instrument.groups)])}")
        elif gid in chosen:
            problems.append(f"group {g!r} is given more than once")
        else:
            chosen.append(gid)
    if not problems and len(chosen) < 2:
        problems.append("a comparison needs at least two groups")
    if problems:
        raise AnalysisInputError(problems)
    return chosen


def _scale_groups(instrument: Instrument, scale_id: str) -> list[str]:
    """Groups asked at least one item of the scale."""
    items = instrument.item_map()
    asked: list[str] = []
    for item_id in scale_item_ids(instrument, scale_id):
        for g in instrument.item_groups(items[item_id]):
            if g not in asked:
                asked.append(g)
    return asked


def _mixed_item_sets(instrument: Instrument, scale_id: str, analysed: list[str]) -> str | None:
    """Say so when the compared groups were asked different items of a scale."""
    items = instrument.item_map()
    only = {}
    for item_id in scale_item_ids(instrument, scale_id):
        asked = [g for g in analysed if g in instrument.item_groups(items[item_id])]
        if len(asked) < len(analysed):
            only[item_id] = asked
    if not only:
        return None
    parts = ", ".join(f"{i} ({', '.join(g) or 'nobody compared'})" for i, g in only.items())
    return f"the groups were asked different items of this scale — only some groups answer {parts}; scale scores use each respondent's own items"


def _suppression_notes(n_by_group: dict[str, np.ndarray], meta: list[dict], k: int) -> list[str | None]:
    notes: list[str | None] = []
    for j, m in enumerate(meta):
        not_asked = [g for g in n_by_group if g not in m["asked"]]
        none = [g for g in n_by_group if g not in not_asked and n_by_group[g][j] == 0]
        few = [g for g in n_by_group if g not in not_asked and 0 < n_by_group[g][j] < k]
        if not_asked:
            notes.append(f"not asked of group {', '.join(not_asked)}: no comparison")
        elif len(none) == len(n_by_group):
            notes.append("answered by nobody")
        elif few:
            notes.append(f"{fewer_than(k, 'answers')} from group {', '.join(few)}: suppressed")
        elif none:  # nothing to hide: nobody there answered it
            notes.append(f"no answers from group {', '.join(none)}: no comparison")
        else:
            notes.append(None)
    return notes


def _one_sided(meta: dict, names, counts, k: int) -> bool:
    """An item some group was not asked (or, asked, nobody in it answered), with every group that
    answered it at k answers or more: those groups' own descriptives are shown (there is nothing to
    compare them with, but what IT staff say about their own tools is a finding). The other groups
    hold no answers, so no remainder can be worked out by subtraction; an item with a group under k
    stays wholly suppressed."""
    answered = [n for g, n in zip(names, counts) if g in meta["asked"] and n > 0]
    return 0 < len(answered) < len(counts) and all(n >= k for n in answered)


TWO_GROUP_UNDEFINED = "Welch t, Hedges' g and TOST undefined"
SEVERAL_GROUP_UNDEFINED = "Welch's ANOVA and the pairwise Welch t and Hedges' g undefined"


def _degenerate_note(names: list[str], mom: list, j: int, undefined: str = TWO_GROUP_UNDEFINED) -> str | None:
    """Why the mean-based tests have no value for item (scale) ``j``, or None when they have one."""
    if any(m.n[j] < 2 for m in mom):
        few = [g for g, m in zip(names, mom) if m.n[j] < 2]
        return f"fewer than two answers in group {', '.join(few)}: {undefined.replace('Welch t', 't')}"
    constant = [m.var[j] == 0 for m in mom]
    if all(constant):
        values = {float(m.mean[j]) for m in mom}
        # The verdict stays inconclusive (DESIGN.md's rule needs the Welch and TOST p-values), so the
        # note says what the data plainly show: the groups agree exactly, or do not overlap at all.
        verdict = undefined == TWO_GROUP_UNDEFINED  # several groups get no verdict
        if len(values) == 1:
            return (f"constant in every group (every answer is {values.pop():g}): {undefined}"
                    + (", so the verdict is inconclusive although the groups answered identically" if verdict else ""))
        shown = ", ".join(f"{g}: {float(m.mean[j]):g}" for g, m in zip(names, mom))
        return (f"constant within each group ({shown}): {undefined}"
                + ("; the groups do not overlap at all, so the verdict is the rank test's (Holm-adjusted Mann–Whitney "
                   "p < .05: differs)" if verdict else ""))
    if any(constant) and len(mom) > 2:  # Welch's ANOVA weighs each group by n/s²: infinite here
        shown = ", ".join(f"{g} (every answer {float(m.mean[j]):g})" for g, m, c in zip(names, mom, constant) if c)
        return (f"no variation within group {shown}: Welch's ANOVA undefined, so Kruskal–Wallis says whether the groups "
                "differ, and the pairwise tests which pairs")
    return None


def _two_group_rows(x_a: np.ndarray, x_b: np.ndarray, meta: list[dict], a: str, b: str, k: int, margin: float) -> list[dict]:
    ma, mb = moments(x_a), moments(x_b)
    notes = _suppression_notes({a: ma.n, b: mb.n}, meta, k)
    ok = np.array([n is None for n in notes], dtype=bool)
    welch = welch_from_moments(ma, mb)
    g, g_lo, g_hi = hedges_g_from_moments(ma, mb)
    tost_p, tost_lo, tost_up = tost_from_moments(ma, mb, margin)
    mwu = mann_whitney(x_a, x_b)
    med_a, med_b = group_medians(x_a), group_medians(x_b)
    ci_a, ci_b = mean_ci(ma), mean_ci(mb)
    welch_p = np.where(ok, welch.p, np.nan)
    # Every answer the same in both groups: the rank test's p = 1 (as scipy gives it) carries no
    # information, so it stays out of the adjustment, as degenerate items do (docs/statistics.md).
    all_tied = (ma.var == 0) & (mb.var == 0) & (ma.mean == mb.mean)
    mwu_p = np.where(ok & ~all_tied, mwu.p, np.nan)
    p_holm, p_bh = holm(welch_p), benjamini_hochberg(welch_p)
    mwu_holm, mwu_bh = holm(mwu_p), benjamini_hochberg(mwu_p)
    rows = []
    for j, m in enumerate(meta):
        row = {key: m[key] for key in m if key != "asked"}
        row.update({
            "n_a": None, "n_b": None, "mean_a": None, "mean_b": None, "sd_a": None, "sd_b": None,
            "median_a": None, "median_b": None, "mean_ci95_a": None, "mean_ci95_b": None, "mean_diff": None,
            "welch_t": None, "welch_df": None, "welch_p": None, "hedges_g": None, "hedges_g_ci95": None,
            "mwu_u": None, "mwu_p": None, "rank_biserial": None, "p_holm": None, "p_bh": None,
            "mwu_p_holm": None, "mwu_p_bh": None, "tost_p": None, "tost_p_lower": None, "tost_p_upper": None,
            "verdict": None, "note": notes[j],
        })
        if not ok[j]:
            # shown: counts of groups at or above k only (a count below k is itself suppressed)
            if ma.n[j] >= k:
                row["n_a"] = int(ma.n[j])
            if mb.n[j] >= k:
                row["n_b"] = int(mb.n[j])
            if _one_sided(m, (a, b), (ma.n[j], mb.n[j]), k):
                side, mo, med, ci = ("a", ma, med_a, ci_a) if ma.n[j] >= k else ("b", mb, med_b, ci_b)
                row.update({f"mean_{side}": _num(mo.mean[j]), f"sd_{side}": _num(mo.sd[j]),
                            f"median_{side}": _num(med[j]), f"mean_ci95_{side}": _pair(ci[0][j], ci[1][j])})
            rows.append(row)
            continue
        row.update({
            "n_a": int(ma.n[j]), "n_b": int(mb.n[j]),
            "mean_a": _num(ma.mean[j]), "mean_b": _num(mb.mean[j]),
            "sd_a": _num(ma.sd[j]), "sd_b": _num(mb.sd[j]),
            "median_a": _num(med_a[j]), "median_b": _num(med_b[j]),
            "mean_ci95_a": _pair(ci_a[0][j], ci_a[1][j]), "mean_ci95_b": _pair(ci_b[0][j], ci_b[1][j]),
            "mean_diff": _num(welch.diff[j]),
            "welch_t": _num(welch.t[j]), "welch_df": _num(welch.df[j]), "welch_p": _num(welch.p[j]),
            "hedges_g": _num(g[j]), "hedges_g_ci95": _pair(g_lo[j], g_hi[j]),
            "mwu_u": _num(mwu.u[j]), "mwu_p": _num(mwu.p[j]), "rank_biserial": _num(mwu.rank_biserial[j]),
            "p_holm": _num(p_holm[j]), "p_bh": _num(p_bh[j]),
            "mwu_p_holm": _num(mwu_holm[j]), "mwu_p_bh": _num(mwu_bh[j]),
            "tost_p": _num(tost_p[j]), "tost_p_lower": _num(tost_lo[j]), "tost_p_upper": _num(tost_up[j]),
            "note": _degenerate_note([a, b], [ma, mb], j),
        })
        row["verdict"] = verdict(row["tost_p"], row["p_holm"])
        if ma.var[j] == 0 and mb.var[j] == 0 and ma.mean[j] != mb.mean[j]:
            # Each group gave one answer, different ones: Welch's t is infinite (no p), yet the groups
            # do not overlap at all; the rank test, adjusted across the items as Welch's would be, decides.
            row["verdict"] = verdict(None, row["mwu_p_holm"])
        rows.append(row)
    return rows


def _several_group_rows(samples: list[np.ndarray], meta: list[dict], names: list[str], k: int) -> list[dict]:
    mom = [moments(x) for x in samples]
    notes = _suppression_notes({g: m.n for g, m in zip(names, mom)}, meta, k)
    ok = np.array([n is None for n in notes], dtype=bool)
    anova = welch_anova(mom)
    kw = kruskal_wallis(samples)
    medians = [group_medians(x) for x in samples]
    cis = [mean_ci(m) for m in mom]
    anova_p = np.where(ok, anova.p, np.nan)
    kw_p = np.where(ok, kw.p, np.nan)
    p_holm, p_bh = holm(anova_p), benjamini_hochberg(anova_p)
    kw_holm, kw_bh = holm(kw_p), benjamini_hochberg(kw_p)
    pairs = list(combinations(range(len(names)), 2))
    pair_stats = []
    for i, j in pairs:
        welch = welch_from_moments(mom[i], mom[j])
        g, g_lo, g_hi = hedges_g_from_moments(mom[i], mom[j])
        mwu = mann_whitney(samples[i], samples[j], rank_sums([samples[i], samples[j]]))
        pair_stats.append((welch, g, g_lo, g_hi, mwu))
    rows = []
    for col, m in enumerate(meta):
        row = {key: m[key] for key in m if key != "asked"}
        row.update({
            "n": {g: (int(mo.n[col]) if mo.n[col] >= k else None) for g, mo in zip(names, mom)},
            "mean": {g: None for g in names}, "sd": {g: None for g in names}, "median": {g: None for g in names},
            "mean_ci95": {g: None for g in names},
            "welch_anova_f": None, "welch_anova_df1": None, "welch_anova_df2": None, "welch_anova_p": None,
            "kruskal_h": None, "kruskal_df": None, "kruskal_p": None,
            "p_holm": None, "p_bh": None, "kruskal_p_holm": None, "kruskal_p_bh": None,
            "pairwise": [], "note": notes[col],
        })
        if not ok[col]:
            if _one_sided(m, names, [mo.n[col] for mo in mom], k):
                for g, mo, md, ci in zip(names, mom, medians, cis):
                    if mo.n[col] >= k:
                        row["mean"][g], row["sd"][g] = _num(mo.mean[col]), _num(mo.sd[col])
                        row["median"][g], row["mean_ci95"][g] = _num(md[col]), _pair(ci[0][col], ci[1][col])
            rows.append(row)
            continue
        row.update({
            "mean": {g: _num(mo.mean[col]) for g, mo in zip(names, mom)},
            "sd": {g: _num(mo.sd[col]) for g, mo in zip(names, mom)},
            "median": {g: _num(md[col]) for g, md in zip(names, medians)},
            "mean_ci95": {g: _pair(ci[0][col], ci[1][col]) for g, ci in zip(names, cis)},
            "welch_anova_f": _num(anova.f[col]), "welch_anova_df1": _num(anova.df1[col]),
            "welch_anova_df2": _num(anova.df2[col]), "welch_anova_p": _num(anova.p[col]),
            "kruskal_h": _num(kw.h[col]), "kruskal_df": _num(kw.df[col]), "kruskal_p": _num(kw.p[col]),
            "p_holm": _num(p_holm[col]), "p_bh": _num(p_bh[col]),
            "kruskal_p_holm": _num(kw_holm[col]), "kruskal_p_bh": _num(kw_bh[col]),
            "note": _degenerate_note(names, mom, col, SEVERAL_GROUP_UNDEFINED),
        })
        welch_ps = np.array([s[0].p[col] for s in pair_stats])
        # a pair whose every answer is the same has the uninformative p = 1: out of the family, as in two groups
        mwu_ps = np.array([np.nan if mom[i].var[col] == 0 == mom[j].var[col] and mom[i].mean[col] == mom[j].mean[col]
                           else s[4].p[col] for (i, j), s in zip(pairs, pair_stats)])
        welch_holm, mwu_holm = holm(welch_ps), holm(mwu_ps)
        for n_pair, ((i, j), (welch, g, g_lo, g_hi, mwu)) in enumerate(zip(pairs, pair_stats)):
            row["pairwise"].append({
                "a": names[i], "b": names[j], "mean_diff": _num(welch.diff[col]),
                "welch_t": _num(welch.t[col]), "welch_df": _num(welch.df[col]), "welch_p": _num(welch.p[col]),
                "welch_p_holm": _num(welch_holm[n_pair]),
                "hedges_g": _num(g[col]), "hedges_g_ci95": _pair(g_lo[col], g_hi[col]),
                "mwu_u": _num(mwu.u[col]), "mwu_p": _num(mwu.p[col]), "mwu_p_holm": _num(mwu_holm[n_pair]),
                "rank_biserial": _num(mwu.rank_biserial[col]),
            })
        rows.append(row)
    return rows


def _alpha_fields(result, k: int) -> tuple[float | None, list | None, int | None, str | None]:
    if result.n == 0:  # nobody to protect: undefined, not withheld
        return None, None, None, "no respondent answered every item of the scale: α undefined"
    if result.n < k:
        return None, None, None, f"fewer than {k} respondents answered every item: α suppressed"
    return _num(result.alpha), _pair(*result.ci95), result.n, result.note


def _add_reliability(scale_rows: list[dict], recoded: pd.DataFrame, masks: dict[str, np.ndarray],
                     instrument: Instrument, analysed: list[str], k: int) -> None:
    """Cronbach's α per scale: pooled over the analysed groups on the items asked of all of them,
    and per group on the items asked of that group (listwise; see surveys.reliability)."""
    items = instrument.item_map()
    labels = ["a", "b"] if len(analysed) == 2 else None
    for row in scale_rows:
        ids = scale_item_ids(instrument, row["id"])
        common = [i for i in ids if all(g in instrument.item_groups(items[i]) for g in analysed)]
        by_group, too_few, none_complete = {}, [], []
        for g in analysed:
            own = [i for i in ids if g in instrument.item_groups(items[i])]
            result = cronbach_alpha(recoded.loc[masks[g], own])
            g_alpha, g_ci, g_n, g_note = _alpha_fields(result, k)
            by_group[g] = {"alpha": g_alpha, "ci95": g_ci, "n": g_n, "note": g_note}
            # what the pooled α would give away by subtraction is the group's count on the *common*
            # items (its own may include items asked only of it); none at all gives no number away
            common_n = result.n if own == common else cronbach_alpha(recoded.loc[masks[g], common]).n
            if 0 < common_n < k or 0 < result.n < k:
                too_few.append(g)
            if common_n == 0:
                none_complete.append(g)
        overall = cronbach_alpha(recoded[common])
        alpha, ci, n, note = _alpha_fields(overall, k)
        if too_few and alpha is not None:
            # The pooled n (and the CI, which depends on it) minus the other groups' n would give the
            # suppressed group's number: the figure for everyone is withheld as well.
            alpha, ci, n = None, None, None
            note = (f"suppressed: fewer than {k} respondents of group {', '.join(too_few)} answered every item, "
                    "and the figure for all groups would give their number by subtraction")
        elif none_complete and alpha is not None:
            # α is listwise: a group none of whose respondents answered every item adds no one to the
            # pooled α, which is then the other groups' alone (with two groups, the other group's α)
            others = [g for g in analysed if g not in none_complete]
            alone = (f"so this is the α of group {others[0]} alone" if len(others) == 1
                     else f"so this is the α of groups {', '.join(others)} only")
            said = f"no respondent of group {', '.join(none_complete)} answered every item, {alone}"
            note = f"{said}; {note}" if note else said
        row.update({"alpha": alpha, "alpha_ci95": ci, "alpha_n": n, "alpha_items": common, "alpha_note": note})
        row["item_analysis"] = [
            {"id": i, "r_corrected": _num(overall.item_total[i]) if alpha is not None else None,
             "alpha_if_deleted": _num(overall.alpha_if_deleted[i]) if alpha is not None else None}
            for i in common
        ]
        row["alpha_by_group"] = by_group
        if labels:
            for label, g in zip(labels, analysed):
                row[f"alpha_{label}"] = by_group[g]["alpha"]
                row[f"alpha_{label}_ci95"] = by_group[g]["ci95"]
                row[f"alpha_{label}_n"] = by_group[g]["n"]
