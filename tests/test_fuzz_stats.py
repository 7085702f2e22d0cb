"""Hostile input to the statistics entry points.

``compare_groups`` (and ``describe_group``, one group's own figures) on random frames — NaNs, infinities, constant columns, empty or tiny groups,
strings, labels, out-of-range codes, missing columns — returns a document or raises
:class:`AnalysisInputError`; never another exception. A document is strict JSON (no NaN or
infinity: undefined statistics are null), and the reporting threshold holds in it.

``suppressed_groups``: nothing under k is shown, and while any group is shown, the suppressed
groups' combined count (total − shown) never pins down a single group, nor fewer than k people.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.analysis_input import AnalysisInputError, prepare_responses
from surveys.stats import compare_groups, describe_group, suppressed_groups
from tests.test_stats_support import instrument

FUZZ = settings(max_examples=50, deadline=10_000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
INSTRUMENT = instrument()
ANALYSED = [i.id for i in INSTRUMENT.items if i.type in ("likert", "numeric")]
GROUPS = INSTRUMENT.group_ids()

cell = st.one_of(
    st.integers(0, 6).map(float), st.integers(0, 6).map(float), st.just(np.nan), st.just(np.inf), st.just(-np.inf),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["", "3", "Agree", "agree", "x", " 4 ", "NA", "2.5", "1e400"]),
)
group_cell = st.sampled_from([*GROUPS, *GROUPS, "Business users", "IT STAFF", "", None, np.nan, "nobody", 3])


@st.composite
def frames(draw):
    n = draw(st.integers(0, 40))
    kind = draw(st.sampled_from(["clean", "clean", "dirty", "constant"]))
    group_pool = st.sampled_from(draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=3, unique=True)))
    columns = {"group": [draw(group_cell) if kind == "dirty" else draw(group_pool) for _ in range(n)]}
    for item_id in ANALYSED:
        if kind == "constant":
            value = draw(st.sampled_from([1.0, 3.0, np.nan]))
            columns[item_id] = [value] * n
        elif kind == "clean":
            lo, hi = (0, 6) if item_id in ("n1", "n2") else (1, 5)
            if item_id == "logon_minutes":
                lo, hi = 0, 120
            columns[item_id] = [draw(st.one_of(st.integers(lo, hi).map(float), st.just(np.nan))) for _ in range(n)]
        else:
            columns[item_id] = [draw(cell) for _ in range(n)]
    frame = pd.DataFrame(columns)
    if draw(st.booleans()):
        frame["flags"] = [draw(st.sampled_from(["", "", "", "fast", "straightline", np.nan])) for _ in range(n)]
    if kind == "dirty" and draw(st.booleans()) and ANALYSED:
        frame = frame.drop(columns=[draw(st.sampled_from(ANALYSED))])
    if draw(st.booleans()):
        frame["extra"] = 1
    return frame


def _finite_everywhere(value, path="document"):
    if isinstance(value, float):
        assert np.isfinite(value), f"{path} = {value}"
    elif isinstance(value, dict):
        for key, inner in value.items():
            _finite_everywhere(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _finite_everywhere(inner, f"{path}[{index}]")


def _threshold_holds(document: dict, k: int) -> None:
    for g, info in document["groups"].items():
        assert info["n"] >= k, (g, info)
    for kind in ("items", "scales"):
        for row in document[kind]:
            for key in ("n_a", "n_b"):
                if row.get(key) is not None:
                    assert row[key] >= k, row
            if "n" in row:  # three or more groups
                for g, n in row["n"].items():
                    assert n is None or n >= k, row
            for side, other in (("a", "b"), ("b", "a")):
                if row.get(f"mean_{side}") is None:
                    continue
                assert row[f"n_{side}"] is not None and row[f"n_{side}"] >= k, row
                if row.get(f"mean_{other}") is None:
                    # one side only: the other was not asked or nobody in it answered (nothing to hide
                    # by subtraction), and nothing is compared — never a side of 1 to k − 1 answers
                    assert row["note"].startswith(("not asked of group", "no answers from group")), row
                    assert row.get("welch_p") is None and row.get("verdict") is None, row
                else:
                    assert row[f"n_{other}"] is not None and row[f"n_{other}"] >= k, row


@FUZZ
@given(frame=frames(), k=st.integers(1, 8), groups=st.sampled_from([None, None, ["business", "it"], GROUPS, ["it", "contractors"]]),
       margin=st.sampled_from([0.5, 0.5, 1e-9, 3.0]), use_flags=st.booleans())
def test_compare_groups_gives_a_document_or_a_specific_error(frame, k, groups, margin, use_flags):
    flag_col = "flags" if use_flags and "flags" in frame.columns else None
    ignore = [c for c in ("extra", "flags") if c in frame.columns and c != flag_col]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # numpy warnings would mean NaNs leaking through
        try:
            document = compare_groups(frame, INSTRUMENT, "group", groups, min_group_size=k, margin=margin, flag_col=flag_col,
                                      ignore_columns=ignore)
        except AnalysisInputError as exc:
            assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
            return
    json.dumps(document, allow_nan=False)  # strict JSON: undefined statistics are null, never NaN
    _finite_everywhere(document)
    _threshold_holds(document, k)
    if document["note"] is None:
        assert len(document["groups"]) >= 2


@FUZZ
@given(frame=frames(), k=st.integers(1, 8), group=st.sampled_from(GROUPS), use_flags=st.booleans())
def test_describe_group_gives_a_document_or_a_specific_error(frame, k, group, use_flags):
    flag_col = "flags" if use_flags and "flags" in frame.columns else None
    ignore = [c for c in ("extra", "flags") if c in frame.columns and c != flag_col]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            table = prepare_responses(frame, INSTRUMENT, "group", flag_col=flag_col, ignore_columns=ignore)
        except AnalysisInputError as exc:
            assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
            return
        document = describe_group(table, INSTRUMENT, group, min_group_size=k)
    json.dumps(document, allow_nan=False)
    _finite_everywhere(document)
    if document["note"] is not None:  # under k: nothing but why
        assert document["groups"] == {} and document["items"] == document["scales"] == []
        return
    assert list(document["groups"]) == [group] and document["groups"][group]["n"] >= k
    for row in (*document["items"], *document["scales"]):
        assert list(row["n"]) == [group]  # nothing of any other group
        assert (row["n"][group] is None) == (row["mean"][group] is None)
        assert row["n"][group] is None or row["n"][group] >= k, row


@FUZZ
@given(k=st.sampled_from([0, -1, 2.5, "5", None, True]), margin=st.sampled_from([0.5, 0.0, -1.0, float("nan"), float("inf")]))
def test_bad_thresholds_and_margins_are_specific_errors(k, margin):
    frame = pd.DataFrame({"group": ["business", "it"] * 3, **{i: [3.0, 4.0] * 3 for i in ANALYSED}})
    try:
        compare_groups(frame, INSTRUMENT, "group", min_group_size=k, margin=margin)
    except AnalysisInputError as exc:
        assert exc.problems
    else:
        assert isinstance(k, int) and k >= 1 and margin == 0.5


# -- suppressed_groups -------------------------------------------------------------------------------------
counts_strategy = st.dictionaries(st.sampled_from(list("abcdefg")), st.integers(0, 30), min_size=1, max_size=7)


@settings(max_examples=400, deadline=None)
@given(counts=counts_strategy, k=st.integers(1, 12))
def test_suppressed_groups_with_a_total_shown(counts, k):
    hidden = set(suppressed_groups(counts, k, total_shown=True))
    shown = [g for g in counts if g not in hidden]
    assert all(counts[g] >= k for g in shown), "a group under k is shown"
    assert hidden >= {g for g, n in counts.items() if n < k}
    if shown:
        nonempty_hidden = [g for g in hidden if counts[g] > 0]
        remainder = sum(counts[g] for g in hidden)  # = total − Σ shown, for anyone who sees the total
        if nonempty_hidden:
            assert len(nonempty_hidden) >= 2, f"{nonempty_hidden[0]} = total − shown"
            assert remainder >= k, "the hidden groups together are fewer than k"
    # complementary suppression takes the smallest shown groups, never a larger one before a smaller
    extra = [g for g in hidden if counts[g] >= k]
    if extra:
        assert max(counts[g] for g in extra) <= min([counts[g] for g in shown], default=np.inf)


@settings(max_examples=200, deadline=None)
@given(counts=counts_strategy, k=st.integers(1, 12))
def test_suppressed_groups_without_a_total_is_the_primary_rule(counts, k):
    assert suppressed_groups(counts, k, total_shown=False) == [g for g, n in counts.items() if n < k]
