"""Data-quality flags. Flagged responses are kept and reported; analyses may leave them out on request.

``straightline``
    In at least one section, the respondent answered four or more Likert items and gave every one of
    them the same answer (raw codes, before reverse coding). Sections with fewer than four answered
    Likert items never count: three identical answers are often honest. Stored at submit/import.
``out_of_range``
    A numeric answer outside the item's plausible range (its min/max). Web answers are checked as
    they are typed, so only imported responses can carry it. Stored at import.
``fast``
    Completed in less than a third of the median duration of the campaign's web responses. It depends
    on every other response, so it is never stored (a stored flag would go stale as responses
    arrive); it is computed whenever responses are read (:func:`responses_frame`), and only once
    there are at least ``FAST_MIN_RESPONSES`` web durations to take a median of. Imported responses
    have no duration and are never ``fast``.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import numpy as np
import orjson
import pandas as pd
from sqlalchemy import String, type_coerce
from sqlmodel import Session, select

from itcap.storage import on_sqlite
from surveys.campaigns import campaign_instrument, get_campaign
from surveys.release import reported_only
from surveys.instrument import Instrument
from surveys.tables import Response

STRAIGHTLINE = "straightline"
OUT_OF_RANGE = "out_of_range"
FAST = "fast"
FLAGS = (STRAIGHTLINE, FAST, OUT_OF_RANGE)
STRAIGHTLINE_MIN_ITEMS = 4
FAST_FRACTION = 1 / 3
FAST_MIN_RESPONSES = 5


def likert_sections(instrument: Instrument, group_id: str) -> list[list[str]]:
    """The Likert item ids of each section, as asked of a group (precomputed once for many rows)."""
    asked = {item.id for item in instrument.items_for_group(group_id)}
    return [[item.id for item in section.items if item.type == "likert" and item.id in asked] for section in instrument.sections]


def straightlined_sections(sections: list[list[str]], answers: Mapping[str, Any]) -> list[int]:
    """Indexes of the sections where ≥ 4 Likert items were answered, all with the same code."""
    flagged = []
    for index, item_ids in enumerate(sections):
        values = [answers[i] for i in item_ids if i in answers]
        if len(values) >= STRAIGHTLINE_MIN_ITEMS and len(set(values)) == 1:
            flagged.append(index)
    return flagged


def numeric_ranges(instrument: Instrument) -> dict[str, tuple[float | None, float | None]]:
    return {item.id: instrument.item_range(item) for item in instrument.items if item.type == "numeric"}


def out_of_range_items(instrument: Instrument, answers: Mapping[str, Any],
                       ranges: dict[str, tuple[float | None, float | None]] | None = None) -> list[str]:
    """Numeric answers outside their item's plausible range (min/max)."""
    ranges = numeric_ranges(instrument) if ranges is None else ranges
    found = []
    for item_id, (lo, hi) in ranges.items():
        value = answers.get(item_id)
        if isinstance(value, (int, float)) and ((lo is not None and value < lo) or (hi is not None and value > hi)):
            found.append(item_id)
    return found


def stored_flags(instrument: Instrument, group_id: str, answers: Mapping[str, Any],
                 sections: list[list[str]] | None = None,
                 ranges: dict[str, tuple[float | None, float | None]] | None = None) -> str:
    """The flags kept with a response (space-separated): ``straightline`` and ``out_of_range``.
    ``sections`` (:func:`likert_sections`) and ``ranges`` (:func:`numeric_ranges`) may be computed
    once for many responses."""
    flags = []
    if straightlined_sections(sections if sections is not None else likert_sections(instrument, group_id), answers):
        flags.append(STRAIGHTLINE)
    if out_of_range_items(instrument, answers, ranges):
        flags.append(OUT_OF_RANGE)
    return " ".join(flags)


def fast_threshold(durations: Iterable[float | int | None]) -> float | None:
    """A third of the median duration, or None when fewer than ``FAST_MIN_RESPONSES`` durations."""
    values = np.asarray([d for d in durations if d is not None and d >= 0], dtype=float)
    if len(values) < FAST_MIN_RESPONSES:
        return None
    return float(np.median(values)) * FAST_FRACTION


def add_fast_flag(frame: pd.DataFrame) -> pd.DataFrame:
    """Recompute ``fast`` on a responses frame (columns ``source``, ``duration_seconds``, ``flags``).

    Only rows whose flags change are rewritten: at 50,000 responses this runs on every dashboard
    load, and most rows carry no flag at all.
    """
    frame = frame.copy()
    stored = frame["flags"].astype(object).where(frame["flags"].notna(), "")
    web = (frame["source"] == "web").to_numpy()
    durations = frame["duration_seconds"].to_numpy(dtype=float)
    threshold = fast_threshold(durations[web & ~np.isnan(durations)].tolist())
    fast = web & ~np.isnan(durations) & (durations < threshold) if threshold is not None else np.zeros(len(frame), dtype=bool)
    had_fast = stored.str.contains(FAST, regex=False).to_numpy()
    result = stored.to_numpy(dtype=object).copy()
    for position in np.flatnonzero(fast | had_fast):
        names = [n for n in str(result[position]).split() if n != FAST] + ([FAST] if fast[position] else [])
        result[position] = " ".join(sorted(names, key=lambda n: FLAGS.index(n) if n in FLAGS else len(FLAGS)))
    frame["flags"] = pd.Series(result, index=frame.index, dtype=object)
    return frame


@contextmanager
def _collector_paused():
    """Pause the cyclic garbage collector while millions of small, acyclic objects (the decoded answers)
    are made: otherwise it runs thousands of times over them for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _answer_matrix(instrument: Instrument, decoded: list) -> np.ndarray:
    """Stored answers (one array per response, in instrument order) as a responses × items object matrix."""
    ids = instrument.item_ids
    if any(isinstance(values, dict) for values in decoded):  # the form before migration 0005
        decoded = [[values.get(i) for i in ids] if isinstance(values, dict) else values for values in decoded]
    matrix = np.array(decoded, dtype=object) if decoded else np.empty((0, len(ids)), dtype=object)
    if matrix.ndim != 2 or matrix.shape[1] != len(ids):
        raise ValueError(f"stored responses do not match the campaign's instrument ({len(ids)} items): "
                         "is the database's schema up to date (itcap init)?")
    return matrix


def _item_column(item_type: str, values: np.ndarray) -> np.ndarray | pd.Series:
    """One item's answers as a column: floats (NaN = not answered) for coded and numeric items, text
    (None = not answered) for the rest."""
    if item_type not in ("likert", "choice", "numeric"):
        return pd.Series(values, dtype=object)  # object, not pandas' inferred string dtype: None stays None
    try:
        return values.astype(float)  # None becomes NaN
    except (TypeError, ValueError):  # a stray non-numeric value: it counts as not answered
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)


def responses_frame(session: Session, campaign_id: int, *,
                    exclude_flagged: bool | Iterable[str] = False,
                    groups: Iterable[str] | None = None, reported: bool = False) -> pd.DataFrame:
    """The campaign's responses, one row each, indexed by the random response id.

    Columns: ``group``, ``source`` (web | import), ``submitted_on`` (date), ``duration_seconds``,
    ``flags`` (space-separated, ``fast`` computed now), then one column per item of the instrument in
    instrument order (codes for likert/choice, numbers, text; NaN/None = not answered).

    ``exclude_flagged``: True leaves out every flagged response; a collection of flag names leaves out
    those with any of the named flags (e.g. ``{"fast"}``). Nothing is ever deleted.
    ``reported``: only the responses the figures of an open campaign may use (every response once it
    is closed; see :mod:`surveys.release`) — for the dashboard and the report.
    """
    campaign = get_campaign(session, campaign_id)
    instrument = campaign_instrument(session, campaign)
    campaign_column = Response.campaign_id
    if on_sqlite(session):
        # Reading a whole campaign: a table scan is twice as fast as 50,000 lookups through the
        # (campaign, group) index, which SQLite's planner prefers; "+ 0" keeps it off the index.
        campaign_column = Response.campaign_id + 0
    # submitted_on is read as stored and converted in one go below: SQLAlchemy's per-row date parsing
    # on SQLite costs more than the rest of the fetch at 50,000 rows.
    query = select(Response.id, Response.group_id, Response.source, type_coerce(Response.submitted_on, String),
                   Response.duration_seconds, Response.quality_flags, Response.answers_json).where(campaign_column == campaign.id)
    if groups is not None:
        query = query.where(Response.group_id.in_(list(groups)))
    if reported and reported_only(campaign):
        query = query.where(Response.release.is_not(None))
    # A Core query (no ORM rows) and the sort in Python: ORDER BY makes the database sort every row
    # with its answers' text, where sorting the fetched tuples by (group, id) costs 30 ms at 50,000.
    session.flush()  # as Session.execute would: responses added through the ORM and not yet flushed count
    rows = session.connection().execute(query).all()
    rows.sort(key=itemgetter(1, 0))
    # The answers' JSON text never goes into a DataFrame: turning 50,000 long strings into a string
    # column costs more than decoding them.
    meta = pd.DataFrame.from_records(
        [r[:6] for r in rows], columns=["response_id", "group", "source", "submitted_on", "duration_seconds", "flags"])
    meta["submitted_on"] = pd.to_datetime(meta["submitted_on"]).dt.date if len(meta) else meta["submitted_on"]
    with _collector_paused():
        # One JSON document for all rows, decoded by orjson, straight into a responses × items matrix
        # (answers are stored as arrays in instrument order): bench/bench_dashboard.py.
        decoded = orjson.loads("[" + ",".join(r[6] for r in rows) + "]") if rows else []
        matrix = _answer_matrix(instrument, decoded)
    answers = pd.DataFrame({item.id: _item_column(item.type, matrix[:, position]) for position, item in enumerate(instrument.items)},
                           columns=instrument.item_ids, index=meta.index)
    frame = pd.concat([meta, answers], axis=1).set_index("response_id")
    frame["duration_seconds"] = frame["duration_seconds"].astype("Float64").astype(float)
    frame = add_fast_flag(frame)
    if exclude_flagged:
        names = set(FLAGS) if exclude_flagged is True else set(exclude_flagged)
        unknown = names - set(FLAGS)
        if unknown:
            raise ValueError(f"unknown quality flag(s) {', '.join(sorted(unknown))}; flags are {', '.join(FLAGS)}")
        keep = [not names.intersection(flags.split()) for flags in frame["flags"]]
        frame = frame[pd.Series(keep, index=frame.index, dtype=bool)]
    return frame
