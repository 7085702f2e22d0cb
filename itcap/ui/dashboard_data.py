"""Cached data for the dashboard: recomputed only when ratings or responses change.

The cache key is a cheap fingerprint read from the database on every run (counts and latest change
times), so a rerun costs two small queries; a new rating or response changes the key. While a
campaign is open, responses arrive all the time: its key is held for ITCAP_LIVE_REFRESH_SECONDS
(default 60), so the dashboard recomputes at most once a minute instead of on every rerun.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from assessment import service as assessment_service
from capability_model.positioning import FULLY_ACHIEVED_PERCENT
from itcap import insights
from itcap.env import number_from_env
from itcap.storage import database_url, session_scope
from surveys.campaigns import CLOSED, get_campaign, list_campaigns


@st.cache_resource(show_spinner="Computing the position…", max_entries=32)
def _assessment(assessment_id: int, fingerprint: tuple) -> insights.AssessmentInsight:
    with session_scope() as session:
        return insights.assessment_insight(session, assessment_id)


@st.cache_resource(show_spinner="Reading the survey responses…", max_entries=8)
def _responses(campaign_id: int, fingerprint: tuple) -> pd.DataFrame:
    from surveys.quality import responses_frame

    with session_scope() as session:
        return responses_frame(session, campaign_id, reported=True)  # an open campaign's released responses


@st.cache_resource(show_spinner="Analysing the survey responses…", max_entries=32)
def _campaign(campaign_id: int, mode_order: tuple[str, ...], exclude_flagged: bool, fingerprint: tuple,
              groups: tuple[str, ...] = ()) -> insights.CampaignInsight:
    frame = _responses(campaign_id, _frame_key(fingerprint))
    with session_scope() as session:
        return insights.campaign_insight(session, campaign_id, mode_order=list(mode_order), exclude_flagged=exclude_flagged,
                                         frame=frame, groups=groups or None)


@st.cache_resource(show_spinner=False, max_entries=32)
def _comments(campaign_id: int, frame_key: tuple) -> dict[str, list[str]]:
    """Every respondent's comments, flagged or not, whatever the "leave out flagged" toggle says: two
    lists that differ by the flagged respondents' comments would single those out — below the
    comment threshold, and next to the thresholded export's flagged rows with their answers."""
    from surveys.exports import reportable_comments

    frame = _responses(campaign_id, frame_key)
    with session_scope() as session:
        return reportable_comments(session, campaign_id, frame=frame)


@dataclass(eq=False)
class Trends:
    """The two trends, unpacked as ``assessment_points, campaign_points``; an object (not a tuple) so
    that their charts can be kept on it between runs, as on the other cached results."""
    assessment: pd.DataFrame
    campaign: pd.DataFrame

    def __iter__(self):
        return iter((self.assessment, self.campaign))


@st.cache_resource(show_spinner=False, max_entries=16)
def _trends(assessment_id: int | None, campaign_id: int | None, exclude_flagged: bool,
            fingerprint: tuple, groups: tuple[str, ...] = ()) -> Trends:
    empty = pd.DataFrame(columns=insights.TREND_COLUMNS)
    with session_scope() as session:
        fingerprints = {c.id: _key(_campaign_fingerprint(session, c.id)) for c in list_campaigns(session)}
        return Trends(
            insights.assessment_trend(session, assessment_id) if assessment_id is not None else empty,
            insights.campaign_trend(session, campaign_id, insight_of=lambda cid: _campaign(cid, (), exclude_flagged, fingerprints[cid], groups))
            if campaign_id is not None else empty)


_held_lock = threading.Lock()
_held: dict[tuple, insights.CampaignFingerprint] = {}  # (database, campaign id, interval number) → the fingerprint first seen in it


def live_refresh_seconds() -> int:
    return int(number_from_env("ITCAP_LIVE_REFRESH_SECONDS", 60))


def _campaign_fingerprint(session, campaign_id: int) -> insights.CampaignFingerprint:
    """The campaign's fingerprint; while it is open, the first one seen in the current refresh interval."""
    fingerprint = insights.campaign_fingerprint(session, campaign_id)
    interval = live_refresh_seconds()
    if interval == 0 or fingerprint.status != "open":
        return fingerprint
    slot = (database_url(), campaign_id, int(time.time() // interval))
    with _held_lock:
        held = _held.get(slot)
        # Only the response counts are held: a changed threshold or status takes effect at once.
        if held is None or held.settings != fingerprint.settings:
            for old in [k for k in _held if k[:2] == slot[:2]]:
                del _held[old]
            _held[slot] = held = fingerprint
        return held


def live_note(status: str) -> str:
    """What the page says about a campaign's status: a draft's, or the held figures of an open one."""
    if status == "draft":  # responses imported into a campaign not yet opened: not the survey's results yet
        return " · a draft: not yet opened to respondents"
    interval = live_refresh_seconds()
    if status != "open" or interval == 0:
        return ""
    every = "every minute" if interval == 60 else f"every {interval} seconds" if interval < 120 else f"every {interval // 60} minutes"
    return f" · the campaign is open: new responses are looked for {every}"  # how they join: the release note


def _frame_key(key: tuple) -> tuple:
    """The part of a campaign's cache key (see _key) the responses read for its figures depend on:
    what has been released (an open campaign's figures change only then; new submits, counted in
    the full key, do not change them), the status and the thresholds — not every new response."""
    url, campaign_id, _responses_in, _invitations, k, comment_threshold, status, released = key
    return (url, campaign_id, status, released, k, comment_threshold)


def _key(fingerprint: tuple) -> tuple:
    """A cache key: the data's fingerprint in this database (one process may serve one database, but
    tests run many databases in one process, whose ids and counts can coincide)."""
    return (database_url(), *fingerprint)


def cached_assessment(assessment_id: int) -> insights.AssessmentInsight:
    with session_scope() as session:
        fingerprint = insights.assessment_fingerprint(session, assessment_id)
    return _assessment(assessment_id, _key(fingerprint))


GROUPS_KEY = "dashboard_groups"  # the pair of groups chosen, as "a|b"; absent: the default pair
GROUPS_WIDGET = "dashboard_groups_widget"  # the selector (offered with three or more groups)
DASHBOARD_TAB = "dashboard_tab"  # the tab in view (its label); only it is drawn


def choose_groups(default_pair: str) -> None:
    """The selector's callback: the pair chosen, or none when it is the default pair — whose analysis
    is cached (and warmed up at start) under "no pair asked"."""
    value = st.session_state.get(GROUPS_WIDGET)
    if not value or value == default_pair:
        st.session_state.pop(GROUPS_KEY, None)
    else:
        st.session_state[GROUPS_KEY] = value


def chosen_groups() -> tuple[str, ...]:
    """The pair of groups the dashboard's selector asks for (empty: the default pair)."""
    value = st.session_state.get(GROUPS_KEY)
    return tuple(value.split("|")) if isinstance(value, str) and value else ()


def cached_campaign(campaign_id: int, mode_order: tuple[str, ...], exclude_flagged: bool | None = None,
                    groups: tuple[str, ...] = ()) -> insights.CampaignInsight:
    if exclude_flagged is None:
        exclude_flagged = bool(st.session_state.get("dashboard_exclude_flagged", False))
    if tuple(mode_order) == insights.default_mode_order():
        mode_order = ()  # as the trend asks for it: one analysis, not two, when the model's modes are the default ones
    with session_scope() as session:
        fingerprint = _campaign_fingerprint(session, campaign_id)
    return _campaign(campaign_id, tuple(mode_order), exclude_flagged, _key(fingerprint), tuple(groups))


def cached_trends(assessment_id: int | None, campaign_id: int | None,
                  exclude_flagged: bool = False, groups: tuple[str, ...] = ()) -> Trends:
    """The selected assessment's and campaign's trends (with their earlier rounds), each survey
    round with or without its flagged responses as the dashboard's toggle asks."""
    with session_scope() as session:
        keys = [insights.assessment_fingerprint(session, a.id) for a in assessment_service.list_assessments(session)]
        keys += [_campaign_fingerprint(session, c.id) for c in list_campaigns(session)]
    return _trends(assessment_id, campaign_id, exclude_flagged, _key(tuple(keys)), tuple(groups))


def choose_assessment() -> int | None:
    with session_scope() as session:
        options = [(a.id, f"{a.name} — {a.org_unit}, {a.assessed_on:%d %b %Y}") for a in assessment_service.list_assessments(session)]
    return _choose("Assessment", options, "dashboard_assessment", insights.default_assessment_id)


def choose_campaign() -> int | None:
    with session_scope() as session:
        options = [(c.id, f"{c.name} ({c.status})")  # the latest fieldwork first, as the default is chosen
                   for c in sorted(list_campaigns(session), key=lambda c: (insights.campaign_start(c), c.id), reverse=True)]
    return _choose("Survey campaign", options, "dashboard_campaign", insights.default_campaign_id)


def is_closed(campaign_id: int) -> bool:
    """Whether the campaign is closed (its figures may then leave flagged responses out)."""
    with session_scope() as session:
        return get_campaign(session, campaign_id).status == CLOSED


def _choose(label: str, options: list[tuple[int, str]], key: str, default_of) -> int | None:
    """The sidebar's choice; ``default_of(session)`` picks the first one, and only then (it reads the
    responses of each campaign in turn: not on every rerun)."""
    if not options:
        return None
    labels = dict(options)
    ids = [o[0] for o in options]
    # The choice is kept under a key of its own: a label that changes (a campaign closed or renamed, an
    # assessment's date corrected) makes Streamlit see a new widget, whose value would fall back to the
    # default — and the whole dashboard would silently turn to another campaign.
    chosen = f"{key}__chosen"
    if st.session_state.get(chosen) in ids:
        st.session_state[key] = st.session_state[chosen]
    elif st.session_state.get(key) not in ids:
        with session_scope() as session:
            default = default_of(session)
        st.session_state[key] = default if default in ids else ids[0]
    with st.sidebar:
        return st.selectbox(label, ids, format_func=labels.get, key=key,
                            on_change=lambda: st.session_state.update({chosen: st.session_state.get(key)}))


def cached_comments(campaign_id: int) -> dict[str, list[str]]:
    """Comments over the comment threshold, in a fresh random order on every run."""
    import random

    with session_scope() as session:
        fingerprint = _campaign_fingerprint(session, campaign_id)
    rng = random.SystemRandom()
    return {item: rng.sample(texts, len(texts)) for item, texts in _comments(campaign_id, _frame_key(_key(fingerprint))).items()}


def report_bytes(assessment_id: int | None, campaign_id: int | None, fmt: str, exclude_flagged: bool = False,
                 groups: tuple[str, ...] = ()) -> bytes:
    from itcap.report import build_report, render_html, render_pdf

    with session_scope() as session:
        content = build_report(session, assessment_id, campaign_id,
                               include_assessment=assessment_id is not None, include_campaign=campaign_id is not None,
                               exclude_flagged=exclude_flagged, groups=groups or None)
    return render_pdf(content) if fmt == "pdf" else render_html(content).encode("utf-8")


# -- the dashboard's charts ----------------------------------------------------------------------------
# One definition for the page and the warm-up: each chart the page draws from a cached result, by the
# key it is kept under on that result ("KEY-phone": its phone version; "KEY-download": its PNG/SVG version, when that differs), and only when the page shows
# it. The warm-up builds exactly these, so the first visitor after a start builds none.
ChartBuilders = dict[str, Callable[[], object]]


def assessment_charts(assessment: insights.AssessmentInsight) -> ChartBuilders:
    from itcap import charts
    from itcap.report import numbered_heatmap

    model = assessment.model
    made: ChartBuilders = {
        "radar": lambda: charts.radar_chart(assessment.capability_labels(), assessment.radar_series(), model.max_level,
                                            min_level=min(0, model.min_level - 1)),
        "radar-phone": lambda: charts.maturity_rows_chart(assessment.capability_labels(), assessment.radar_series(),
                                                          model.max_level, min_level=model.min_level),
    }
    next_mode = assessment.result.next_mode
    gaps = assessment.gaps_frame() if next_mode is not None else None
    if gaps is not None and len(gaps):
        levels = (model.min_level, model.max_level)
        made["gaps"] = lambda: charts.gap_chart(gaps, next_mode.name, levels=levels)
        made["gaps-phone"] = lambda: charts.gap_chart(gaps, next_mode.name, compact=True, levels=levels)
    heat = assessment.heatmap_frame()
    made["heatmap"] = lambda: charts.disagreement_heatmap(heat, model.max_level)
    made["heatmap-phone"] = lambda: charts.disagreement_heatmap(heat, model.max_level, compact=True)
    made["heatmap-download"] = lambda: numbered_heatmap(assessment)[1]
    return made


def campaign_charts(campaign: insights.CampaignInsight) -> ChartBuilders:
    from itcap import charts

    made: ChartBuilders = {"rates": lambda: charts.response_rate_chart(campaign.rates_frame())}
    if campaign.figures is None:
        return made
    instrument = campaign.instrument
    scale_frame = campaign.scale_frame()
    if len(scale_frame):
        low, high = instrument.item_range(instrument.scale_items(instrument.scales[0].id)[0])
        made["perception"] = lambda: charts.perception_chart(scale_frame, low, high)
    ipa, crosshairs = campaign.ipa_frame(), campaign.ipa_crosshairs()
    if len(ipa) and crosshairs:
        low_ipa, high_ipa = instrument.item_range(instrument.item(instrument.ipa_pairs[0].importance))
        made["ipa"] = lambda: charts.ipa_chart(ipa, crosshairs, low_ipa, high_ipa)
        made["ipa-phone"] = lambda: charts.ipa_chart(ipa, crosshairs, low_ipa, high_ipa, compact=True)
    return made


def trend_charts(trends: Trends) -> ChartBuilders:
    from itcap import charts

    made: ChartBuilders = {}
    if insights.trend_rounds(trends.assessment) > 1:
        made["trend-a"] = lambda: charts.attainment_trend_chart(trends.assessment, FULLY_ACHIEVED_PERCENT)
    if insights.trend_rounds(trends.campaign) > 1:
        made["trend-c"] = lambda: charts.scale_trend_chart(trends.campaign)
    return made


def warm_up() -> None:
    """Compute what the dashboard opens with — the newest assessment and campaign — so that the first
    person to open it after a (re)start does not wait for 50,000 responses to be read and analysed.
    Runs in a background thread at server start; the results land in the same caches the page uses."""
    import logging

    # Cached functions called outside a page run make Streamlit warn "missing ScriptRunContext" once
    # per call; expected here, so this thread's warnings are dropped rather than filling the log.
    me = threading.current_thread().name
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: record.threadName != me)
    try:
        with session_scope() as session:
            default_assessment = insights.default_assessment_id(session)
            assessments = [a for a in assessment_service.list_assessments(session) if a.id == default_assessment]
            default_campaign = insights.default_campaign_id(session)
            campaigns = [c for c in list_campaigns(session) if c.id == default_campaign]
        from itcap.ui.downloads import keep_chart_specs

        mode_order: tuple[str, ...] = ()
        if assessments:
            assessment = cached_assessment(assessments[0].id)
            mode_order = tuple(m.id for m in assessment.model.ordered_modes)
            keep_chart_specs(assessment_charts(assessment), assessment)
        if campaigns:
            campaign = cached_campaign(campaigns[0].id, mode_order, exclude_flagged=False)
            keep_chart_specs(campaign_charts(campaign), campaign)
            with session_scope() as session:
                fingerprint = _campaign_fingerprint(session, campaigns[0].id)
            _comments(campaigns[0].id, _frame_key(_key(fingerprint)))
        trends = cached_trends(assessments[0].id if assessments else None, campaigns[0].id if campaigns else None)
        keep_chart_specs(trend_charts(trends), trends)
    except Exception:  # noqa: BLE001 - a warm-up must never take the app down; the page computes on demand
        logging.getLogger(__name__).warning("dashboard warm-up failed", exc_info=True)
