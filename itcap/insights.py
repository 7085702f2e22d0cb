"""Everything the leadership dashboard and the report show, assembled from the domain packages.

No streamlit here: the page caches these results, the report renders them, and the CLI can
reproduce each number (``itcap assess position``, ``itcap analyze``).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from assessment import service as assessment_service
from assessment.recommendations import PerceptionFinding, RecommendationPlan, recommend
from assessment.reliability import BEYOND_CHANCE, ICC_TYPES, ReliabilityReport
from assessment.tables import Assessment, AssessmentAssessor, Rating
from capability_model.positioning import (FULLY_ACHIEVED_PERCENT, PositionResult, attainment_percent, level_for_display)
from capability_model.schema import CapabilityModel
from itcap.names import same_name_key
from surveys.analysis_input import AnalysisInputError, prepare_responses
from surveys.campaigns import campaign_instrument, get_campaign, list_campaigns
from surveys.instrument import Instrument
from surveys.invitations import GroupRates, response_rates
from surveys.perception import NO_POSITION, PerceptionReading, perception_findings, perception_reading, scale_range, score_below
from surveys.quality import FAST, FLAGS, OUT_OF_RANGE, STRAIGHTLINE, responses_frame
from surveys.release import held_counts, reported_only, settle_held
from surveys.stats import (DEFAULT_MARGIN, answered_rows, compare_groups, describe_group, differing_pairs, groups_differ,
                           suppressed_groups)
from surveys.tables import Campaign, Response


# -- assessment ------------------------------------------------------------------------------------
ICC_READING = {
    "ICC1": "one assessor's level, assessors treated as interchangeable (one-way model)",
    "ICC2": "one assessor's level agrees in absolute terms with another's — the one to read for a single assessor",
    "ICC3": "one assessor ranks capabilities like the others, ignoring that some rate higher overall",
    "ICC1k": "the mean of all assessors, one-way model",
    "ICC2k": "the panel's mean level agrees in absolute terms — the one to read for the consensus",
    "ICC3k": "the panel's mean ranks capabilities consistently, ignoring overall severity",
}


def _two_places(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _interval(low: float, high: float) -> str:
    """"0.28–0.80" (short enough not to wrap on a phone); "-0.07 to 0.09" when a dash would read as minus."""
    return f"{low:.2f}–{high:.2f}" if low >= 0 else f"{low:.2f} to {high:.2f}"


_TWO_DECIMALS = ("mean ", "hedges g", "alpha", "welch anova f")


def is_p_column(column: str) -> bool:
    """A p-value column of the tables: "TOST p", "Welch p (Holm)"."""
    return " p " in f" {column} "


def has_two_decimals(column: str) -> bool:
    """A column of means, effect sizes, α or F: two decimals, as statistics are reported (and the dashboard shows them)."""
    return column.lower().startswith(_TWO_DECIMALS)


OVERRIDES_HEADING = "Consensus set by the lead assessor"
OVERRIDES_NOTE = ("Where the assessors disagreed, the lead assessor may set the consensus level in place of the median "
                  "of their levels (an override), or confirm the median after discussion, with a written rationale; "
                  "these levels are the ones the position uses.")
OVERRIDE, MEDIAN_CONFIRMED = "override", "median confirmed"
DECISION_OUTDATED = "an assessor's level changed after this decision: the lead assessor is asked to check it"


FLAG_WORDS = {STRAIGHTLINE: "straight-lining (the same answer to a whole section)", FAST: "implausibly fast",
              OUT_OF_RANGE: "with an out-of-range number"}


def stability_text(confidence: float) -> str:
    """The bootstrap share that gives the same position, in words that do not pass for a statistical
    confidence level (a board repeats "96% confidence" and is challenged on it): "stable in 96% of
    resamples of the assessors"."""
    return f"stable in {confidence_percent(confidence)} of resamples of the assessors"


def confidence_percent(confidence: float) -> str:
    """A confidence as a whole percent; never "100%" unless every resample agreed."""
    if confidence < 1 and round(100 * confidence) >= 100:
        return "more than 99%"
    return f"{100 * confidence:.0f}%"


def readable_cell(column: str, value) -> str:
    """A table cell as a board reads it (report, dashboard): yes/no, p-values to three places
    (< 0.001), statistics to two decimals, other numbers to three significant figures."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, float):
        if is_p_column(column):
            return "< 0.001" if value < 0.001 else f"{value:.3f}"
        if has_two_decimals(column):
            return f"{round(value, 2) + 0.0:.2f}"  # (never "-0.00")
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def reliability_table(reliability: ReliabilityReport) -> pd.DataFrame:
    """The six ICC forms and Krippendorff's α as people read them (consensus page, dashboard, report)."""
    rows = []
    by_type = reliability.icc_by_type
    for icc_type in ICC_TYPES:
        result = by_type[icc_type]
        rows.append({
            "Statistic": icc_type, "Value": _two_places(result.icc),
            "95% CI": "—" if result.ci95 is None else _interval(*result.ci95),
            "What it says": ICC_READING[icc_type] + (f" — not computed: {result.reason}" if result.reason else ""),
        })
    alpha = reliability.alpha
    rows.append({"Statistic": "Krippendorff's α (ordinal)", "Value": _two_places(alpha.alpha), "95% CI": "—",
                 "What it says": "agreement beyond chance on the ordered levels, missing ratings allowed"
                                 + (f" — not computed: {alpha.reason}" if alpha.reason else "")})
    return pd.DataFrame(rows)


def reliability_numbers(reliability: ReliabilityReport) -> pd.DataFrame:
    """The same statistics at full precision, one per row, for a CSV an analyst reworks: the
    F test behind each ICC (Shrout & Fleiss), and empty cells (not "—") where a value is undefined."""
    rows = [{"statistic": r.type, "value": r.icc, "ci95_low": None if r.ci95 is None else r.ci95[0],
             "ci95_high": None if r.ci95 is None else r.ci95[1], "f": r.f, "df1": r.df1, "df2": r.df2,
             "p": r.pval, "n_capabilities": reliability.n_capabilities_icc, "not_computed_because": r.reason}
            for r in (reliability.icc_by_type[t] for t in ICC_TYPES)]
    alpha = reliability.alpha
    rows.append({"statistic": "krippendorff_alpha_ordinal", "value": alpha.alpha, "ci95_low": None, "ci95_high": None,
                 "f": None, "df1": None, "df2": None, "p": None, "n_capabilities": alpha.n_units,
                 "not_computed_because": alpha.reason})
    return pd.DataFrame(rows)


ICC_BANDS = ((0.9, "excellent"), (0.75, "good"), (0.5, "moderate"))  # Koo & Li (2016); below 0.5 poor
ALPHA_RELIABLE, ALPHA_TENTATIVE = 0.8, 0.667  # Krippendorff (2004)


def icc_band(value: float) -> str:
    return next((name for bound, name in ICC_BANDS if value >= bound), "poor")


def reliability_verdict(reliability: ReliabilityReport) -> str | None:
    """What a lead assessor should conclude from the table, in one or two plain sentences (None when
    nothing could be computed). ICC2k is the reliability of the assessors' levels taken together, read
    with its whole CI as Koo & Li advise ("moderate to excellent"), not only at the point estimate;
    Krippendorff's α is the agreement between single assessors, against his thresholds. The two can
    disagree, so each sentence says which of the two it is about."""
    parts = []
    icc = reliability.icc_by_type.get("ICC2k")
    if icc is not None and icc.icc is not None:
        text = f"Taken together, the reliability of the assessors' levels is {icc_band(icc.icc)} (ICC2k {icc.icc:.2f}"
        if icc.ci95 is not None:
            low_band, high_band = icc_band(icc.ci95[0]), icc_band(icc.ci95[1])
            text += f", 95% CI {_interval(*icc.ci95)}"
            if low_band != high_band:
                text += f": anywhere from {low_band} to {high_band} on the evidence so far"
        parts.append(text + "; Koo & Li 2016).")
    elif icc is not None and icc.reason == BEYOND_CHANCE:  # never "excellent" for assessors who contradict each other
        parts.append("Taken together, the assessors' levels have no reliability to speak of: they disagree more than chance "
                     "would make them (ICC2k is not defined for these ratings).")
    alpha = reliability.alpha.alpha
    if alpha is not None:
        between = f"Between single assessors, Krippendorff's α {alpha:.2f}"
        if alpha >= ALPHA_RELIABLE:
            parts.append(f"{between} is at or above {ALPHA_RELIABLE}: one assessor's level can be relied on.")
        elif alpha >= ALPHA_TENTATIVE:
            parts.append(f"{between} allows tentative conclusions only (it lies between Krippendorff's thresholds of "
                         f"{ALPHA_TENTATIVE} and {ALPHA_RELIABLE}): "
                         "discuss where the assessors differ before relying on single levels.")
        else:
            parts.append(f"{between} is below {ALPHA_TENTATIVE}, the least Krippendorff accepts even for "
                         "tentative conclusions: go through where the assessors differ, and the level descriptors, with "
                         "them before relying on single levels.")
    return " ".join(parts) or None


def still_to_submit(assessment: Assessment, progress: list[assessment_service.Progress]) -> list[assessment_service.Progress]:
    """The assessors whose ratings may still change the position: those who have not submitted, while
    the assessment is open (none once it is closed)."""
    return [p for p in progress if p.submitted_at is None] if assessment.status == "open" else []


@dataclass
class AssessmentInsight:
    assessment: Assessment
    model: CapabilityModel
    result: PositionResult
    reliability: ReliabilityReport
    consensus: list[assessment_service.CapabilityConsensus]
    assessors: list[str]  # display names, in the order of the ratings matrix
    progress: list[assessment_service.Progress] = field(default_factory=list)
    # decisions in force that an assessor's level changed after (capability id → when)
    outdated: dict[str, dt.datetime] = field(default_factory=dict)

    def provisional_note(self) -> str | None:
        """Why the position may still change (None once the lead assessor has closed the assessment):
        a director must not present a draft to the board as the result. Everyone having submitted is
        not the end: the lead can still decide the consensus, and reopen a submission."""
        if self.assessment.status != assessment_service.OPEN:
            return None
        waiting = still_to_submit(self.assessment, self.progress)
        if waiting:
            unrated = sum(p.total - p.rated - p.not_rated for p in waiting)
            text = (f"Provisional: the assessment is still open — {len(waiting)} of {len(self.progress)} assessors "
                    f"{'have' if len(waiting) != 1 else 'has'} not submitted")
            if unrated:
                text += f", with {unrated} rating{'s' if unrated != 1 else ''} still to give"
            # their draft levels are in the figures: a board must not think them left out
            text += "; the levels given so far count in the position"
        else:
            text = ("Provisional: the assessment is still open — every assessor has submitted, and the lead assessor "
                    "can still decide the consensus")
        if self.outdated:
            n = len(self.outdated)
            text += (f"; {n} of the lead assessor's decisions {'predate' if n != 1 else 'predates'} an assessor's change "
                     f"and {'are' if n != 1 else 'is'} to be checked")
        return text + ". The position can change until the lead assessor closes the assessment."

    def closed_incomplete_note(self) -> str | None:
        """A closed assessment that some assessors never submitted: final, but the board should know
        it rests on unfinished ratings (None when closed complete, or still open)."""
        if self.assessment.status != "closed":
            return None
        unfinished = [p for p in self.progress if p.submitted_at is None]
        if not unfinished:
            return None
        missing = sum(p.total - p.rated - p.not_rated for p in unfinished)
        return (f"Closed with {len(unfinished)} of {len(self.progress)} assessors not submitted"
                + (f" ({missing} rating{'s' if missing != 1 else ''} never given)" if missing else "")
                + ": their saved ratings count as they stood.")

    def source_line(self) -> str:
        """What a figure rests on, for a chart taken out of the app: e.g. "IT capability review 2026 ·
        Corporate IT · 27 Nov 2026 · 3 assessors (open: provisional)"."""
        a = self.assessment
        state = " (open: provisional)" if self.provisional_note() else ""
        n = len(self.assessors)
        return f"{a.name} · {a.org_unit} · {a.assessed_on:%d %b %Y} · {n} assessor{'' if n == 1 else 's'}{state}"

    @property
    def mode_names(self) -> dict[str, str]:
        return {m.id: m.name for m in self.model.ordered_modes}

    def position_name(self) -> str:
        return self.mode_names.get(self.result.position, "None of the modes")

    def radar_series(self) -> dict[str, dict[str, float | None]]:
        series = {"Consensus": dict(self.result.consensus)}
        for mode in self.model.ordered_modes:
            series[f"{mode.name} target"] = {c: float(t) for c, t in mode.targets.items()}
        return series

    def capability_labels(self) -> list[tuple[str, str]]:
        return [(c.id, c.name) for c in self.model.capabilities]

    def gaps_frame(self, mode_id: str | None = None) -> pd.DataFrame:
        """The ranked gaps to a mode (default: the next mode not achieved)."""
        mode = next((m for m in self.result.modes if m.id == mode_id), None) if mode_id else self.result.next_mode
        columns = ["rank", "capability_id", "capability", "domain", "target", "consensus", "set by lead assessor",
                   "shortfall", "weight", "blocking"]
        if mode is None:
            return pd.DataFrame(columns=columns)
        rows = []
        for rank, gap in enumerate(mode.gaps, start=1):
            capability = self.model.capability(gap.capability_id)
            rows.append({
                "rank": rank, "capability_id": gap.capability_id, "capability": capability.name,
                "domain": self.model.domain_name(capability.domain), "target": gap.target,
                "consensus": "not rated" if gap.consensus is None else f"{level_for_display(gap.consensus):g}",
                "set by lead assessor": gap.capability_id in self.result.overridden,
                "shortfall": gap.shortfall, "weight": gap.weight, "blocking": gap.capability_id in mode.blocking,
            })
        return pd.DataFrame(rows, columns=columns)

    def modes_frame(self) -> pd.DataFrame:
        return pd.DataFrame([
            {"mode": m.name, "attainment %": round(100 * m.attainment, 1), "rating": m.rating, "achieved": m.achieved,
             "capabilities short": len(m.gaps), "blocking (more than one level short, or not assessed)": len(m.blocking),
             "why not achieved": m.reason}
            for m in self.result.modes
        ])

    def radar_table(self) -> pd.DataFrame:
        """The radar's data, as the chart shows it: per capability the consensus level and each mode's
        target (each assessor's own levels are the disagreement heatmap's table)."""
        rows = []
        for capability_id, name in self.capability_labels():
            consensus = self.result.consensus.get(capability_id)
            row = {"capability": name, "domain": self.model.domain_name(self.model.capability(capability_id).domain),
                   "consensus": level_for_display(consensus),
                   "set by lead assessor": capability_id in self.result.overridden}
            row.update({f"{mode.name} target": mode.targets.get(capability_id) for mode in self.model.ordered_modes})
            rows.append(row)
        return pd.DataFrame(rows)

    def overrides_frame(self) -> pd.DataFrame:
        """The consensus levels the lead assessor set in place of the assessors' median, with who,
        when and why: the figures a board member cannot reconcile with the ratings otherwise."""
        names = self.assessor_names()
        rows = []
        for item in self.consensus:
            if item.override is None:
                continue
            o = item.override
            rows.append({
                "capability": self.model.capability(item.capability_id).name,
                "decision": MEDIAN_CONFIRMED if item.median_confirmed else OVERRIDE,
                "assessors' median": "not rated" if item.median is None else f"{level_for_display(item.median):g}",
                "consensus used": o.level, "set by": names.get(o.decided_by, o.decided_by),
                "on": f"{o.decided_at:%d %b %Y}", "rationale": o.rationale,
                "check": DECISION_OUTDATED if item.capability_id in self.outdated else "",
            })
        frame = pd.DataFrame(rows, columns=["capability", "decision", "assessors' median", "consensus used", "set by", "on",
                                            "rationale", "check"])
        # an empty "check" column in the board pack raised the question it exists to answer
        return frame if (frame["check"] != "").any() else frame.drop(columns=["check"])

    def assessor_names(self) -> dict[str, str]:
        """username → the name people know them by (as everywhere else), with the username added
        where two assessors share a name, so their columns stay apart."""
        return assessment_service.assessor_labels(self.progress, reserved=("capability",))

    def heatmap_frame(self) -> pd.DataFrame:
        rows = []
        names = self.assessor_names()
        for order, item in enumerate(self.consensus):
            name = self.model.capability(item.capability_id).name
            for assessor, level in item.levels.items():
                rows.append({"capability": name, "assessor": names.get(assessor, assessor), "level": level, "spread": item.spread,
                             "flagged": item.flagged, "order": order})
        return pd.DataFrame(rows, columns=["capability", "assessor", "level", "spread", "flagged", "order"])


MONTHS_APART_TO_SAY = 6


def campaign_start(campaign: Campaign) -> dt.date:
    """When a campaign's fieldwork began: its opening date, or the day it was set up."""
    return campaign.opens_on or campaign.created_at.date()


def unrated_for_comparison(assessment: AssessmentInsight) -> str | None:
    """Why the survey's reading cannot yet be set against the assessment's position: capabilities the
    next mode targets have no rating, so the position may rise once they are rated — an unrated
    assessment "agreeing" with a survey that reads "not yet Supplier" would be agreement with nothing."""
    upcoming = assessment.result.next_mode
    if upcoming is None or not upcoming.not_assessed:
        return None
    count = len(upcoming.not_assessed)
    return (f"{count} capabilit{'y' if count == 1 else 'ies'} that {upcoming.name} targets "
            f"{'has' if count == 1 else 'have'} no rating yet: the survey is set against the assessment once "
            f"{'it is' if count == 1 else 'they are'} rated.")


AGREES, DIFFERS, CANNOT_COMPARE = "agrees", "differs", "cannot compare"


def survey_against_assessment(reading: PerceptionReading, assessment: AssessmentInsight) -> str:
    """Whether the survey's reading agrees with the assessment's position. A reading that stops
    below a mode it cannot judge (no scale for it, or its scales have no score) says "at least" its
    position: it differs only from an assessment below that, and cannot confirm one above."""
    if reading.position == assessment.result.position:
        return AGREES
    if reading.undetermined is None:
        return DIFFERS
    order = [NO_POSITION] + [m.id for m in assessment.model.ordered_modes]
    if reading.position in order and assessment.result.position in order and \
            order.index(assessment.result.position) < order.index(reading.position):
        return DIFFERS
    return CANNOT_COMPARE


def reading_threshold_text(campaign: CampaignInsight) -> str:
    """What a survey scale must average to support its mode, in the instrument's own numbers: "at
    least 3.5 on 1–5" (five eighths of the way up; a 1–7 instrument's is 4.75) — or, when the scales
    differ in range, the rule itself."""
    scales = campaign.reading.scales if campaign.reading is not None else []
    cuts = {(s.threshold, *scale_range(campaign.instrument, s.id)) for s in scales}
    if len(cuts) == 1:
        threshold, lo, hi = cuts.pop()
        return f"at least {threshold:g} on {lo:g}–{hi:g}"
    return "at least five eighths of the way up its range"


def months_apart_note(assessment: AssessmentInsight, campaign: CampaignInsight) -> str | None:
    """When the assessment and the survey are far apart in time (the sidebar lets a director pick a
    2025 assessment beside a 2026 survey), a sentence that says so: their agreement or disagreement
    may then be change over time."""
    c = campaign.campaign
    start = campaign_start(c)
    end = max(c.closes_on or start, start)
    assessed = assessment.assessment.assessed_on
    gap = start - assessed if assessed < start else (assessed - end if assessed > end else None)
    if gap is None:
        return None
    months = round(gap.days / 30.44)
    if months < MONTHS_APART_TO_SAY:
        return None
    order = "before" if assessed < start else "after"
    # the survey's date the gap is counted from: its opening, or its close when the assessment came after
    survey = f"{start:%d %b %Y}" if assessed < start or end == start else f"closed {end:%d %b %Y}"
    return (f"The assessment ({assessed:%d %b %Y}) was {months} months {order} the survey ({survey}): "
            "read their agreement or difference with that in mind.")


def position_headline(insight: AssessmentInsight) -> str:
    """One sentence for the banner, e.g. "Supplier, stable in 85% of resamples of the assessors; 4 of 18 capabilities are below
    Business Partner's targets (2 of them more than one level short, each enough to block it; 3 more
    levels would reach it)"."""
    result = insight.result
    if insight.consensus and all(c.effective is None for c in insight.consensus):
        # "Not yet Supplier; 18 of 18 capabilities below its targets (0% …)" read as a verdict on the IT
        # function; it is an assessment nobody has rated yet
        return f"No position yet: none of the {len(insight.model.capabilities)} capabilities has been rated."
    if result.position == "none":
        first = insight.model.ordered_modes[0].name
        text = f"Not yet {first}"
    else:
        text = insight.position_name()
    if result.confidence is not None:  # "Not yet Supplier, stable in 100% …" as an aside: not a boast
        text += (f" ({stability_text(result.confidence)})" if result.position == "none"
                 else f", {stability_text(result.confidence)}")
    next_mode = result.next_mode
    if next_mode is None:
        return text + "; every operating mode is achieved."
    short = len(next_mode.gaps)
    blocking = len(next_mode.more_than_one_level_short)
    unassessed = len(next_mode.not_assessed)
    # "of 18": beside "82% of its target levels", a bare "10" let the percentage pass for a share of capabilities
    text += (f"; {short} of {len(insight.model.capabilities)} capabilities {'is' if short == 1 else 'are'} below "
             f"{next_mode.name}'s targets")
    # why the mode is not achieved, in the headline: "10 below, none blocking" left a board asking why not
    reasons = []
    if next_mode.rating != "F":
        # "82% of its target levels reached" beside "10 of 18 below" read as a share of capabilities
        reasons.append(f"the levels reached add up to {attainment_percent(100 * next_mode.attainment)} of its target levels, "
                       f"where more than {FULLY_ACHIEVED_PERCENT}% is needed")
    if blocking:
        reasons.append(f"{blocking} of them more than one level short, {'enough' if blocking == 1 else 'each enough'} to block it")
    if unassessed:
        reasons.append(f"{unassessed} of them not assessed by anyone, and a mode is not claimed on capabilities nobody assessed")
    elif (levels := next_mode.levels_to_reach) is not None:  # how far it is, in the unit assessors score in
        # "2 more levels" read as two maturity levels; it is one-level steps, over the capabilities short
        reasons.append(f"{levels} more level{'' if levels == 1 else 's'} in total, across the capabilities short, would reach it")
    return text + (f" ({'; '.join(reasons)})" if reasons else "") + "."


def confidence_note(insight: AssessmentInsight) -> str | None:
    """What the headline's confidence is, said beside it: a board reads "100% confidence" as certainty."""
    result = insight.result
    if result.confidence is None:
        return None
    return (f"Stable in … = the share of {result.resampling} that give the same position: how much the position depends "
            "on which assessors rated, not a statistical confidence level — with few assessors it can be high while "
            "they still differ (see how far the assessors agree).")


def assessment_insight(session: Session, assessment_id: int) -> AssessmentInsight:
    assessment = assessment_service.get_assessment(session, assessment_id)
    model = assessment_service.model_for(session, assessment_id)
    matrix = assessment_service.ratings_matrix(session, assessment_id)
    return AssessmentInsight(
        assessment=assessment,
        model=model,
        result=assessment_service.assessment_position(session, assessment_id),
        reliability=assessment_service.assessment_reliability(session, assessment_id),
        consensus=assessment_service.consensus(session, assessment_id),
        assessors=list(matrix.assessors),
        progress=assessment_service.progress(session, assessment_id),
        outdated=assessment_service.outdated_decisions(session, assessment_id),
    )


# -- survey campaign -------------------------------------------------------------------------------
# "group a, b" or "(a, b)" in the analysis notes: lists of group ids
_GROUP_LIST = re.compile(r"(\bgroups? |\()([\w-]+(?:, [\w-]+)*)")


def _negative_alpha(entry: dict, name_a: str, name_b: str) -> str | None:
    """Said beside an α below zero, which the reading guide's "0.7 or more is adequate" does not
    explain: the items pull against each other (psych::alpha warns so too), most often an item
    worded the other way round and not marked reverse."""
    below = [who for key, who in (("alpha", "both groups together"), ("alpha_a", name_a), ("alpha_b", name_b))
             if entry.get(key) is not None and entry[key] < 0]
    if not below:
        return None
    return (f"α below 0 ({', '.join(below)}): the scale's items pull in opposite directions, so its score does not "
            "measure one thing — check for an item worded the other way round and not marked reverse")


@dataclass
class CampaignInsight:
    campaign: Campaign
    instrument: Instrument
    rates: dict[str, GroupRates]
    n_responses: int
    excluded_flagged: bool
    comparison: dict | None = None  # the compare_groups document
    reading: PerceptionReading | None = None
    findings: list[PerceptionFinding] = field(default_factory=list)
    problem: str | None = None  # why there are no numbers
    # responses of the compared groups per data-quality flag, when they are analysed with the rest
    flag_counts: dict[str, int] = field(default_factory=dict)
    n_flagged: int = 0
    # groups the comparison withheld when it found fewer than two left (flagged or empty rows left out)
    withheld_after_exclusions: list[str] = field(default_factory=list)
    comparable: list[str] = field(default_factory=list)  # groups with at least k responses, instrument order
    # responses per group with an answer to analyse (None until counted): one holding only a comment
    # is a response in the rates, but gives the comparison nothing
    answered: dict[str, int] | None = None
    compared: list[str] = field(default_factory=list)  # the two of them compared
    all_groups: dict | None = None  # with three or more comparable groups: the many-group document (Welch ANOVA)
    held: dict[str, int] = field(default_factory=dict)  # per group, responses not yet in the figures (open campaign)
    exclusion_refused: str | None = None  # why flagged responses were asked to be left out and are not
    # with nothing to compare (one group, or the others under k): the one reportable group's own figures
    # (surveys.stats.describe_group), so 200 business users' answers are not blank for want of IT staff
    described: dict | None = None

    @property
    def figures(self) -> dict | None:
        """The document the figures come from: the comparison, or the one group's own."""
        return self.comparison if self.comparison is not None else self.described

    @property
    def described_group(self) -> str | None:
        return self.described["described"] if self.described is not None else None

    def reading_basis(self) -> str:
        """What a survey reading's scores are the mean of, in words."""
        if self.described is not None:
            return f"{possessive(self.instrument.group_name(self.described_group))} means alone"
        return "mean of the group means" + (f", all {len(self.all_groups['groups'])} groups with enough responses" if self.all_groups else "")

    def described_note(self) -> str | None:
        """Whose figures these are, when they are one group's alone — said wherever they are shown, so
        nobody takes Business users' view for the organisation's."""
        if self.described is None:
            return None
        name = self.instrument.group_name(self.described_group)
        if len(self.instrument.group_ids()) == 1:
            return f"The figures are {possessive(name)}, the survey's one group: there is no other group to compare them with."
        others = " and ".join(self.instrument.group_name(g) for g in self.instrument.group_ids() if g != self.described_group)
        return (f"The figures are {possessive(name)} alone: {others} {'is' if ' and ' not in others else 'are'} not in them "
                f"(see Participation), so nothing is compared and there are no verdicts.")

    @property
    def not_compared(self) -> list[str]:
        """Groups with enough responses that this comparison leaves out (a third directorate, say):
        named wherever the figures are, so nobody reads two groups' verdicts as everyone's."""
        return [g for g in self.comparable if g not in self.compared]

    def not_compared_note(self) -> str | None:
        if not self.not_compared or self.comparison is None:
            return None
        names = lambda ids: " and ".join(self.instrument.group_name(g) for g in ids)  # noqa: E731
        return (f"Compared: {names(self.compared)}. Not in this comparison: {names(self.not_compared)} — "
                "choose another pair of groups to compare them.")

    @property
    def k(self) -> int:
        return self.campaign.min_group_size

    @property
    def small_groups(self) -> list[str]:
        """Groups with fewer than k responses, none included: DESIGN.md suppresses such a group
        everywhere, its count included, and every total leadership sees leaves it out (so no
        subtraction finds it). A group with none is shown as one with a few: told apart, "none" and
        "some" would say whether one of a handful of people has answered."""
        return [g for g, r in self.rates.items() if r.responses < self.k]

    @property
    def counted_responses(self) -> int:
        """The responses a total may show: those of the groups with at least k."""
        small = set(self.small_groups)
        return sum(r.responses for g, r in self.rates.items() if g not in small) if self.rates else self.n_responses

    @property
    def held_back(self) -> int:
        """Responses not yet in the figures (held back while the campaign is open), counted over the groups a
        total may show — a small group's held count would give its size away."""
        small = set(self.small_groups)
        return sum(n for g, n in self.held.items() if g not in small)

    def release_note(self) -> str | None:
        """One line on why an open campaign's figures lag its response count (None once nothing is
        held); :meth:`release_method` says how, for the methods and a "why" tooltip."""
        if not self.held_back or not reported_only(self.campaign):
            return None
        return (f"New responses join the figures in batches until the survey closes, so that no two views of it differ "
                f"by fewer than {self.k} people; every response is in once it closes.")

    def release_method(self) -> str | None:
        if not self.held_back or not reported_only(self.campaign):
            return None
        k = self.k
        return (f"Until the survey closes, the figures take in new responses in batches: a group's waiting responses "
                f"are added once {2 * k} are waiting, all but {k} of them (a random {k} stay), so that comparing two views of this page (or two "
                f"reports) never shows the answers of fewer than {k} people. {self.held_back:,} responses are held back "
                "now; every response is in the figures once the campaign closes.")

    def _not_counted(self) -> str:
        if not self.small_groups:
            return ""
        if not self.counted_responses:
            return f" in groups of at least {self.k} (no group has {self.k} yet)"
        return f"; groups with fewer than {self.k} responses are not counted"

    def flagged_note(self) -> str | None:
        """That flagged responses are in the figures, how many and why — e.g. "The figures include 24
        responses with data-quality flags (20 straight-lining, 4 implausibly fast)": an analyst's
        first question, and excluding them is one switch away."""
        if self.excluded_flagged or not self.n_flagged:
            return None
        kinds = ", ".join(f"{count:,} {FLAG_WORDS.get(flag, flag)}" for flag, count in self.flag_counts.items() if count)
        plural = "s" if self.n_flagged != 1 else ""
        several = "; a response can have more than one" if sum(self.flag_counts.values()) > self.n_flagged else ""
        return f"The figures include {self.n_flagged:,} response{plural} with data-quality flags ({kinds}{several})."

    def source_line(self) -> str:
        """What a figure rests on, for a chart taken out of the app: e.g. "IT perception survey 2026
        (open) · 300 responses"."""
        return f"{self.campaign.name} ({self.campaign.status}) · {self.responses_note()}"

    def responses_note(self) -> str:
        """How many responses the figures rest on: all of them, or those left once flagged
        responses (and empty ones) are taken out — e.g. "276 of 300 responses (24 flagged left out)"."""
        total = self.counted_responses
        held = self.held_back
        if not self.figures:
            return f"{total:,} responses{self._not_counted()}"
        analysed = self._analysed()
        if analysed == total:
            return f"{total:,} responses{self._not_counted()}"
        excluded = self.figures.get("excluded", {})
        left_out = [f"{excluded[key]:,} {what}" for key, what in (("flagged_rows", "flagged"), ("empty_rows", "empty"))
                    if excluded.get(key)]
        unreported = total - analysed - held - sum(excluded.get(k, 0) for k in ("flagged_rows", "empty_rows"))
        outside = []
        if unreported > 0 and self.all_groups and self.not_compared:
            # not left out of everything: the survey reading and the all-groups table take every group with k,
            # and saying "left out" beside a reading of all of them contradicted it
            named = " and ".join(self.instrument.group_name(g) for g in self.not_compared)
            outside.append(f"{unreported:,} in {named}, outside the pair compared — in the survey reading and "
                           f"'All {len(self.all_groups['groups'])} groups at once' only")
        elif unreported > 0:  # a third group, or one below k once flagged are out
            named = " and ".join(self.instrument.group_name(g) for g in self.not_compared)
            left_out.append(f"{unreported:,} in groups not compared — {named} —" if named else f"{unreported:,} in groups not compared")
        said = ([f"{', '.join(left_out)} left out"] if left_out else []) + outside + (
            [f"{held:,} held back until the survey closes"] if held else [])
        return f"{analysed:,} of {total:,} responses" + (f" ({'; '.join(said)})" if said else "") + self._not_counted()

    def _analysed(self) -> int:
        """The responses the comparison used (its groups' n)."""
        return sum(int(g.get("n", 0)) for g in self.figures["groups"].values())

    def participation_note(self) -> str | None:
        """Why the participation counts exceed the n of the comparison (held back, flagged or empty
        responses left out), said beside them: "completed 200" here and "n = 195" on the next tab
        otherwise disagree without a word. None when they are the same."""
        if not self.figures:
            return None
        if self._analysed() == self.counted_responses:
            return None
        users = ("the comparison of the pair and its charts use" if self.all_groups and self.not_compared
                 else "the figures, the charts and the report use" if self.described is not None
                 else "the comparison, the charts and the report use")
        return f"These counts are every response; {users} {self.responses_note()}."

    def rates_frame(self) -> pd.DataFrame:
        """The participation chart's bars; a group with fewer than k responses shows only how many were
        invited (how many took part is suppressed with the rest of it)."""
        small = set(self.small_groups)
        rows = []
        for group_id, rates in self.rates.items():
            for stage in ("invited",) if group_id in small else ("invited", "started", "completed"):
                count = self._invited(group_id, rates) if stage == "invited" else getattr(rates, stage)
                rows.append({"group": self.instrument.group_name(group_id), "stage": stage, "count": count})
        return pd.DataFrame(rows, columns=["group", "stage", "count"])

    def _invited(self, group_id: str, rates: GroupRates) -> int:
        """Invited, as shown: for a group under k, personal invitations only — its open-link visitors
        pressed Start, so they count people who took part."""
        return rates.invited - rates.open_link_visits if group_id in self.small_groups else rates.invited

    def rates_table(self) -> pd.DataFrame:
        """Participation per group, the last column saying plainly whose results the threshold
        withholds. A group with fewer than k responses shows how many were invited and nothing of how
        many took part (blank): DESIGN.md suppresses it everywhere, its count included."""
        small = set(self.small_groups)

        def row(g: str, r: GroupRates) -> dict:
            hidden = g in small
            return {"group": self.instrument.group_name(g), "invited": self._invited(g, r),
                    "started": None if hidden else r.started, "completed": None if hidden else r.completed,
                    "response rate %": None if hidden or r.completion_rate is None else round(100 * r.completion_rate, 1),  # completed ÷ invited
                    "imported": None if hidden else r.imported, "responses": None if hidden else r.responses,
                    "results": self.results_of(g, r.responses)}

        return pd.DataFrame([row(g, r) for g, r in self.rates.items()])

    def results_of(self, group_id: str, responses: int) -> str:
        """Whether a group's results are in the figures, as the comparison actually made them."""
        k = self.campaign.min_group_size
        if self.comparison is not None and group_id in self.comparison["groups"]:
            return "reported"
        if self.described is not None and group_id in self.described["groups"]:
            return "reported on its own (no other group to compare it with)"
        withheld = [*(self.comparison.get("suppressed", []) if self.comparison is not None else []), *self.withheld_after_exclusions]
        if responses >= k and self.held.get(group_id) and group_id not in self.comparable:
            # enough answered, not yet released (surveys.release): not "too few", not "not compared"
            return f"not yet in the figures (held back until {2 * k} are waiting or the survey closes)"
        if group_id in withheld or responses < k:
            left_out = " once flagged responses are left out" if self.excluded_flagged and responses >= k else ""
            return f"withheld (fewer than {k} responses{left_out})"
        if self.answered is not None and self.answered.get(group_id, 0) < k:  # k responses, not k with answers
            return f"withheld (fewer than {k} responses with answers to analyse)"
        return "not reported (no other group to compare it with)" if self.comparison is None else "not compared"

    def imported_note(self) -> str | None:
        """Why the responses counted elsewhere exceed the bars: those that came without a link —
        e.g. "The 606 responses include 300 imported (Business users 200, IT staff 100): collected
        on paper or with another tool, they had no invitation, so they are not in the bars." """
        small = set(self.small_groups)
        imported = {self.instrument.group_name(g): r.imported for g, r in self.rates.items() if r.imported and g not in small}
        if not imported:
            return None
        total = self.counted_responses
        by_group = ", ".join(f"{name} {n:,}" for name, n in imported.items())
        if not self.has_invitation_bars():
            return (f"All {total:,} responses were imported ({by_group}): collected on paper or with another tool, without "
                    "invitations, so there is no chart of invitations to show.")
        return (f"The {total:,} responses include {sum(imported.values()):,} imported ({by_group}): collected on paper or "
                "with another tool, they had no invitation, so they are not in the bars.")

    def has_invitation_bars(self) -> bool:
        """Whether the participation chart has anything to draw: with every response imported and
        nobody invited, its bars are all zero (an axis from 0 to 0 read "NaN")."""
        return bool(self.rates_frame()["count"].sum() > 0)

    def compared_groups(self) -> tuple[str, str]:
        """Groups A and B of the comparison (ids; every difference is A − B)."""
        a, b = [g for g in self.comparison["compared"] if g in self.comparison["groups"]][:2]
        return a, b

    def group_names(self) -> dict[str, str]:
        return {g: self.instrument.group_name(g) for g in self.instrument.group_ids()}

    def readable_note(self, note: str | None) -> str | None:
        """An analysis note with the groups' names for their ids: "not asked of group it" → "not asked of
        IT staff", "only some groups answer q7 (it, business)" → "… q7 (IT staff, Business users)"."""
        if not note:
            return note
        names = self.group_names()

        def named(match: re.Match) -> str:
            ids = match.group(2).split(", ")
            if not all(i in names for i in ids):
                return match.group(0)
            return ("(" if match.group(1) == "(" else "") + ", ".join(names[i] for i in ids)

        return _GROUP_LIST.sub(named, note)

    def scale_frame(self) -> pd.DataFrame:
        """Long frame for the perception chart: scale × group with mean and 95% CI."""
        columns = ["scale", "group", "mean", "ci_low", "ci_high", "verdict", "order"]
        if self.described is not None:
            return self._described_scale_frame(columns)
        if not self.comparison or len(self.comparison.get("groups", {})) < 2:
            return pd.DataFrame(columns=columns)
        a, b = self.compared_groups()
        rows = []
        for order, entry in enumerate(self.comparison["scales"]):
            for side, group_id in (("a", a), ("b", b)):
                mean, ci = entry.get(f"mean_{side}"), entry.get(f"mean_ci95_{side}")
                if mean is None:
                    continue
                rows.append({"scale": entry["name"], "group": self.instrument.group_name(group_id), "mean": mean,
                             "ci_low": ci[0] if ci else mean, "ci_high": ci[1] if ci else mean,
                             "verdict": entry.get("verdict") or "not tested", "order": order, "n": entry.get(f"n_{side}")})
        frame = pd.DataFrame(rows, columns=columns + ["n"])
        # each group's responses analysed, for the chart's legend
        frame.attrs["group_n"] = {self.instrument.group_name(g): self.comparison["groups"][g]["n"] for g in (a, b)}
        return frame

    def _described_scale_frame(self, columns: list[str]) -> pd.DataFrame:
        g = self.described_group
        name = self.instrument.group_name(g)
        rows = [{"scale": entry["name"], "group": name, "mean": entry["mean"][g],
                 "ci_low": (entry["mean_ci95"][g] or [entry["mean"][g]])[0], "ci_high": (entry["mean_ci95"][g] or [None, entry["mean"][g]])[1],
                 "verdict": "", "order": order, "n": entry["n"][g]}
                for order, entry in enumerate(self.described["scales"]) if entry["mean"][g] is not None]
        frame = pd.DataFrame(rows, columns=columns + ["n"])
        frame.attrs["group_n"] = {name: self.described["groups"][g]["n"]}
        return frame

    def described_scale_table(self, mode_names: dict[str, str] | None = None) -> pd.DataFrame:
        """Per scale, the one group's n, mean with its 95% CI, SD and Cronbach's α — the table view of
        its chart (no tests: there is nothing to compare)."""
        if self.described is None:
            return pd.DataFrame()
        g = self.described_group
        name = self.instrument.group_name(g)
        rows = []
        for entry in self.described["scales"]:
            ci = entry["mean_ci95"][g] or (None, None)
            rows.append({
                "scale": entry["name"], "evidences": ((mode_names or {}).get(entry.get("mode") or "")
                                                      or (entry.get("mode") or "").replace("_", " ").title() or None),
                f"n {name}": entry["n"][g], f"mean {name}": entry["mean"][g],
                f"95% CI low {name}": ci[0], f"95% CI high {name}": ci[1], f"SD {name}": entry["sd"][g],
                "alpha": entry.get("alpha"),
                "note": "; ".join(part for part in (self.readable_note(entry.get("note")),
                                                    entry.get("alpha_note") and "α: " + self.readable_note(entry["alpha_note"]))
                                  if part) or None,
            })
        return pd.DataFrame(rows)

    def figures_scale_table(self, mode_names: dict[str, str] | None = None) -> pd.DataFrame:
        """The scales table of whatever the figures are: the comparison's, or the one group's."""
        return self.described_scale_table(mode_names) if self.described is not None else self.scale_table(mode_names=mode_names)

    def described_item_table(self) -> pd.DataFrame:
        """Per item, the one group's n, mean, SD and median (answers as given)."""
        if self.described is None:
            return pd.DataFrame()
        g = self.described_group
        name = self.instrument.group_name(g)
        items = self.instrument.item_map()
        return pd.DataFrame([{
            "item": entry["id"], "text": items[entry["id"]].text, "scale": entry.get("scale"),
            "reverse-keyed": "yes" if entry.get("reverse") else "",
            f"n {name}": entry["n"][g], f"mean {name}": entry["mean"][g], f"SD {name}": entry["sd"][g],
            f"median {name}": entry["median"][g], "note": self.readable_note(entry.get("note")),
        } for entry in self.described["items"]])

    def scale_table(self, with_ci: bool = False, mode_names: dict[str, str] | None = None) -> pd.DataFrame:
        """Per scale: n and mean per group, effect, tests, verdict, α. ``with_ci``: each mean's 95% CI
        too — the bounds the perception chart draws, so its table view and CSV can rebuild it."""
        if not self.comparison or not self.comparison.get("scales"):
            return pd.DataFrame()
        names = self.group_names()
        a, b = self.compared_groups()
        rows = []
        for entry in self.comparison["scales"]:
            def mean_of(side: str, group_id: str) -> dict:
                out = {f"n {names[group_id]}": entry.get(f"n_{side}"), f"mean {names[group_id]}": entry.get(f"mean_{side}")}
                if with_ci:
                    ci = entry.get(f"mean_ci95_{side}") or (None, None)
                    out |= {f"95% CI low {names[group_id]}": ci[0], f"95% CI high {names[group_id]}": ci[1]}
                return out

            rows.append({
                # the mode by its model's name ("Value-driven"), as the banner says it; title case without one
                "scale": entry["name"], "evidences": ((mode_names or {}).get(entry.get("mode") or "")
                                                      or (entry.get("mode") or "").replace("_", " ").title() or None),
                **mean_of("a", a), **mean_of("b", b),
                "Hedges g": entry.get("hedges_g"), "Welch p (Holm)": entry.get("p_holm"), "TOST p": entry.get("tost_p"),
                "verdict": entry.get("verdict"), "alpha": entry.get("alpha"),
                # each group's own α beside the pooled one: pooled over two groups that differ in level,
                # α takes in the difference between them and reads higher than either group's
                f"alpha {names[a]}": entry.get("alpha_a"), f"alpha {names[b]}": entry.get("alpha_b"),
                # α's own note too: a pooled α that is one group's alone must not pass for everyone's
                "note": "; ".join(part for part in (self.readable_note(entry.get("note")),
                                                    entry.get("alpha_note") and "α: " + self.readable_note(entry["alpha_note"]),
                                                    _negative_alpha(entry, names[a], names[b]))
                                  if part) or None,
            })
        return pd.DataFrame(rows)

    def all_groups_table(self) -> pd.DataFrame:
        """Per scale, every comparable group at once: its mean, Welch's ANOVA (Holm-adjusted across
        scales), Kruskal–Wallis, and the pairs whose difference holds after Holm's correction across
        the pairs — where, among three or more directorates, to look with the pair selector."""
        if not self.all_groups or not self.all_groups.get("scales"):
            return pd.DataFrame()
        name = self.instrument.group_name
        rows = []
        for entry in self.all_groups["scales"]:
            differ = [f"{name(p['a'])} – {name(p['b'])}" for p in differing_pairs(entry)]
            rows.append({
                "scale": entry["name"],
                **{f"mean {name(g)}": entry["mean"].get(g) for g in self.all_groups["groups"]},
                "Welch ANOVA F": entry.get("welch_anova_f"), "p (Holm)": entry.get("p_holm"),
                "Kruskal–Wallis p (Holm)": entry.get("kruskal_p_holm"),
                "groups differ": {None: None, True: "yes", False: "no"}[groups_differ(entry)],
                "pairs that differ": "; ".join(differ),
                "note": self.readable_note(entry.get("note")),
            })
        return pd.DataFrame(rows)

    def item_table(self) -> pd.DataFrame:
        if not self.comparison or not self.comparison.get("items"):
            return pd.DataFrame()
        items = self.instrument.item_map()
        names = self.group_names()
        a, b = self.compared_groups()
        rows = []
        for entry in self.comparison["items"]:  # the scale table's column names, so the two read alike
            rows.append({
                "item": entry["id"], "text": items[entry["id"]].text,
                "reverse-keyed": "yes" if items[entry["id"]].reverse else "",
                f"n {names[a]}": entry.get("n_a"), f"mean {names[a]}": entry.get("mean_a"),
                f"n {names[b]}": entry.get("n_b"), f"mean {names[b]}": entry.get("mean_b"),
                "Hedges g": entry.get("hedges_g"), "Welch p (Holm)": entry.get("p_holm"), "TOST p": entry.get("tost_p"),
                "verdict": entry.get("verdict"), "note": self.readable_note(entry.get("note")),
            })
        return pd.DataFrame(rows)

    def numeric_margin_note(self) -> str | None:
        """The equivalence margin of the numeric items, in their own units: the verdicts are said to use
        "±0.5 points", but a 'minutes' item's TOST margin is ±0.5 minutes (docs/statistics.md), which
        a reader of "equivalent" beside a logon time would not guess."""
        if not self.comparison:
            return None
        items = self.instrument.item_map()
        numeric = [items[e["id"]] for e in self.comparison.get("items", []) if items[e["id"]].type == "numeric"]
        if not numeric:
            return None
        margin = f"±{self.comparison['margin']:g}"
        said = "; ".join(f"{item.id}: {margin} {item.unit or 'in its own unit'}" for item in numeric)
        return (f"A numeric item's verdict uses the same margin in the item's own unit, not in points of agreement "
                f"({said}).")

    def ipa_frame(self) -> pd.DataFrame:
        """The IPA chart's points, with what each quadrant is read against: the group's dividing lines
        (its means over the services) and the n behind each mean — a service 0.015 below its group's
        line is "Low priority", and the table lets a reader see how close that call is."""
        columns = ["service", "group", "importance", "performance", "gap", "quadrant", "importance line",
                   "performance line", "n importance", "n performance"]
        if not self.figures:
            return pd.DataFrame(columns=columns)
        lines = (self.figures.get("ipa", {}).get("crosshairs") or {})
        rows = [
            {"service": p["name"], "group": self.instrument.group_name(p["group"]), "importance": p["importance"],
             "performance": p["performance"], "gap": p["gap"], "quadrant": p["quadrant"],
             "importance line": (lines.get(p["group"]) or {}).get("importance"),
             "performance line": (lines.get(p["group"]) or {}).get("performance"),
             "n importance": p.get("n_importance"), "n performance": p.get("n_performance")}
            for p in self.figures.get("ipa", {}).get("pairs", []) if p.get("importance") is not None and p.get("performance") is not None
        ]
        return pd.DataFrame(rows, columns=columns)

    def ipa_crosshairs(self) -> dict[str, dict[str, float]] | None:
        """Each group's grand means (by group name), the cross-hairs its quadrants are read against."""
        crosshairs = (self.figures or {}).get("ipa", {}).get("crosshairs") or {}
        lines = {self.instrument.group_name(g): {"importance": v["importance"], "performance": v["performance"]}
                 for g, v in crosshairs.items() if v and v.get("importance") is not None and v.get("performance") is not None}
        return lines or None


def assessment_fingerprint(session: Session, assessment_id: int) -> tuple:
    """Changes whenever a rating, a submission or an override of the assessment changes, or its
    details (name, unit, date, model: the dashboard's labels and its trend) are corrected (cache key)."""
    from assessment.tables import AssessmentAssessor, ConsensusOverride, Rating

    ratings = session.exec(select(func.count(), func.max(Rating.updated_at)).where(Rating.assessment_id == assessment_id)).one()
    overrides = session.exec(select(func.count(), func.max(ConsensusOverride.id)).where(ConsensusOverride.assessment_id == assessment_id)).one()
    submitted = session.exec(select(func.count(AssessmentAssessor.submitted_at), func.count()).where(AssessmentAssessor.assessment_id == assessment_id)).one()
    assessment = session.get(Assessment, assessment_id)
    details = (assessment.status, assessment.name, assessment.org_unit, assessment.assessed_on, assessment.model_id) if assessment else None
    return (assessment_id, tuple(ratings), tuple(overrides), tuple(int(n) for n in submitted), details)


class CampaignFingerprint(NamedTuple):
    """A campaign's cache key: what responses have come in, then the settings results depend on."""

    campaign_id: int
    responses: int | None
    invitations: tuple
    min_group_size: int | None
    comment_threshold: int | None
    status: str | None
    released: int | None = None  # responses in the figures while it is open (surveys.release)

    @property
    def settings(self) -> tuple:
        return (self.min_group_size, self.comment_threshold, self.status)


def campaign_fingerprint(session: Session, campaign_id: int) -> CampaignFingerprint:
    """Changes whenever responses are added or released into the figures, or the campaign's
    thresholds or status change (cache key). Releases the batches that are due first (in a short
    transaction of its own): the dashboard reads this on every run."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        return CampaignFingerprint(campaign_id, None, (), None, None, None)
    held = settle_held(session, campaign_id)
    from surveys.tables import Invitation

    # plain (str, int) pairs: cache keys must be hashable by Streamlit, which database rows are not
    invitations = tuple(sorted((str(status), int(n)) for status, n in session.exec(
        select(Invitation.status, func.count()).where(Invitation.campaign_id == campaign_id).group_by(Invitation.status)).all()))
    responses = response_count(session, campaign_id)
    released = responses - sum(held.values())  # the held are few: counted on a short index range
    return CampaignFingerprint(campaign_id, responses, invitations, campaign.min_group_size,
                               campaign.comment_threshold, campaign.status, released)


def response_count(session: Session, campaign_id: int) -> int:
    """A cheap figure that changes whenever responses are added (responses are never edited)."""
    return int(session.exec(select(func.count()).select_from(Response).where(Response.campaign_id == campaign_id)).one())


def default_campaign_id(session: Session) -> int | None:
    """The campaign to show when none is chosen: the newest with results to report (two groups at
    the reporting threshold), else the newest with a group at the threshold, else the newest — a campaign an
    administrator has only just set up, or one of paper responses from one group, would otherwise
    hide the survey that has results. Within each of these, a campaign respondents have seen comes
    before a draft (paper responses imported ahead of the opening are not yet the survey's results).
    Newest = the latest fieldwork (opening date, else the day it was set up), not the latest set up:
    a past round entered afterwards is not this year's survey."""
    campaigns = sorted(list_campaigns(session), key=lambda c: (c.status != "draft", campaign_start(c), c.id), reverse=True)
    with_results, with_responses = [], []
    for campaign in campaigns:
        counts = {g: r.responses for g, r in response_rates(session, campaign.id).items()}
        if not any(n >= campaign.min_group_size for n in counts.values()):
            continue  # no group to report: preferring it would say that a small group has answered
        hidden = suppressed_groups(counts, campaign.min_group_size, total_shown=False)
        if sum(1 for g, n in counts.items() if n and g not in hidden) >= 2:
            if campaign.status != "draft":
                return campaign.id
            with_results.append(campaign.id)
        with_responses.append(campaign.id)
    return next(iter(with_results + with_responses), campaigns[0].id if campaigns else None)


def default_assessment_id(session: Session) -> int | None:
    """The assessment to show when none is chosen: the newest that is closed or that at least one
    assessor has submitted; else the newest with ratings; else the newest. Next year's round, set up
    and with a rating or two saved, would otherwise put "not yet Supplier, 5% attained" where the
    position was — and on the board report, which takes the same default."""
    assessments = assessment_service.list_assessments(session)  # newest first
    submitted = set(session.exec(select(AssessmentAssessor.assessment_id)
                                 .where(AssessmentAssessor.submitted_at.is_not(None))).all())
    settled = next((a.id for a in assessments if a.status == "closed" or a.id in submitted), None)
    if settled is not None:
        return settled
    rated = select(func.count()).select_from(Rating).where(Rating.level.is_not(None))
    return next((a.id for a in assessments if session.exec(rated.where(Rating.assessment_id == a.id)).one()),
                assessments[0].id if assessments else None)


@functools.lru_cache(maxsize=1)
def default_modes() -> tuple[tuple[str, str], ...]:
    """The shipped model's modes (id, name), lowest first: the survey's reading when no assessment
    gives a model (without any, every reading would be "none", whatever the respondents said)."""
    from capability_model.loader import default_model_path, load_default_model

    return tuple((m.id, m.name) for m in load_default_model().ordered_modes) if default_model_path().exists() else ()


def default_mode_order() -> tuple[str, ...]:
    return tuple(mode_id for mode_id, _ in default_modes())


def reading_reason(reading: PerceptionReading, names: dict[str, str]) -> str | None:
    """Why the survey reads no higher: the next mode's scales that fall short, with their scores —
    "Not yet Supplier" alone left a board to guess that Responsiveness averaged 3.47 against 3.5."""
    found = reading.next_mode_shortfall() if reading.available else None
    if found is None:
        return None
    mode_id, short = found
    name = names.get(mode_id, mode_id)
    if not short:
        return f"No survey scale evidences {name}, so the survey cannot read it."
    unscored = [f"{s.name} (no score: {s.missing})" for s in short if s.score is None]
    if reading.undetermined == mode_id:
        return f"The survey cannot say whether it reaches {name}: " + ", ".join(unscored) + "."
    scored = [s for s in short if s.score is not None]
    parts = [f"{s.name} {score_below(s.score, s.threshold)}" + (f" (needs at least {s.threshold:g})"
             if len({x.threshold for x in scored}) > 1 else "")
             + (f" ({interval_text(s.ci95)}, within sampling error of {s.threshold:g})" if s.within_sampling_error else "")
             for s in scored]
    parts += unscored
    needs = f"; each needs at least {scored[0].threshold:g}" if scored and len({x.threshold for x in scored}) == 1 else ""
    return f"Short of {name}: " + ", ".join(parts) + f"{needs}."


def interval_text(ci95: tuple[float, float]) -> str:
    return f"95% CI {ci95[0]:.2f}–{ci95[1]:.2f}"


def reading_margin_note(reading: PerceptionReading, names: dict[str, str]) -> str | None:
    """The scales the reading rests on whose score reaches the threshold in these responses while
    its 95% interval reaches below it: a board told "the survey reads Business Partner" should hear
    that other respondents from the same staff could have read it lower."""
    if not reading.available or reading.position == NO_POSITION:
        return None
    held = {scale_id for mode in reading.modes for scale_id in mode.scales if mode.supported}
    modes_up_to = [m.id for m in reading.modes][: [m.id for m in reading.modes].index(reading.position) + 1]
    borderline = [s for s in reading.scales if s.id in held and s.mode in modes_up_to and s.within_sampling_error]
    if not borderline:
        return None
    parts = ", ".join(f"{s.name} {s.score:.2f} ({interval_text(s.ci95)})" for s in borderline)
    one = len(borderline) == 1
    thresholds = sorted({s.threshold for s in borderline})
    return (f"Borderline: {parts} {'reaches' if one else 'reach'} {' / '.join(f'{t:g}' for t in thresholds)} in these "
            f"responses, but {'its' if one else 'their'} 95% confidence interval{'' if one else 's'} "
            f"{'goes' if one else 'go'} below it: another sample of the same staff could fall short, so the survey's "
            f"support for {' and '.join(dict.fromkeys(names.get(s.mode, s.mode) for s in borderline))} is within sampling error.")


def reading_names(assessment: AssessmentInsight | None) -> dict[str, str]:
    """Names of the survey reading's positions: the assessment's model's modes, or the shipped
    model's when there is no assessment; "none" is "not yet <lowest mode>"."""
    modes = [(m.id, m.name) for m in assessment.model.ordered_modes] if assessment else list(default_modes())
    names = dict(modes)
    names["none"] = f"not yet {modes[0][1] if modes else 'Supplier'}"
    return names


def _cannot_analyse(insight: CampaignInsight, campaign_id: int, exc: AnalysisInputError) -> CampaignInsight:
    """The details name stored rows (response ids), which leadership pages and the report must not
    show; they go to the log, and the message says where an administrator finds them."""
    logging.getLogger(__name__).error("campaign %s: stored responses cannot be analysed: %s", campaign_id, "; ".join(exc.problems))
    insight.problem = (f"The stored responses of this campaign cannot be analysed ({len(exc.problems)} problem(s)); "
                       f"an administrator sees them with: itcap responses export {campaign_id} --format csv --out "
                       f"responses.csv && itcap analyze responses.csv --instrument INSTRUMENT.yaml --group-col group")
    return insight


def campaign_insight(session: Session, campaign_id: int, *, mode_order: list[str] | None = None,
                     exclude_flagged: bool = False, margin: float = DEFAULT_MARGIN,
                     frame: pd.DataFrame | None = None, groups: tuple[str, str] | list[str] | None = None) -> CampaignInsight:
    """Response rates, the group comparison (reporting threshold applied) and the survey's reading.

    ``frame``: the campaign's :func:`surveys.quality.responses_frame`, if the caller has it already.
    ``groups``: the two groups to compare (ids); default, and when either has fewer than k
    responses, the first two of the instrument that have k.
    ``exclude_flagged``: without the flagged responses — once the campaign is closed. While it is
    open, the figures with and without them differ by the flagged few (two views, n·mean apart,
    give their answers), and figures without them grow, batch to batch, by however many of a
    batch were not flagged — one person, when the rest of the batch was flagged. Non-administrators
    can download no rows of an open campaign to work either out from, so the exclusion waits for
    the close (``exclusion_refused`` says so); a closed campaign's thresholded export holds every
    row with its flags, from which the figures without them are anyone's to compute.
    """
    if frame is None:
        settle_held(session, campaign_id)  # what is due goes in, before the figures read the responses
        frame = responses_frame(session, campaign_id, reported=True)
    campaign = get_campaign(session, campaign_id)
    refused = exclude_flagged and reported_only(campaign)
    insight = _campaign_insight(session, campaign_id, mode_order=mode_order, exclude_flagged=exclude_flagged and not refused,
                                margin=margin, frame=frame, groups=groups)
    if refused and insight.n_flagged:
        insight.exclusion_refused = (
            "Flagged responses are left out once the survey closes. While it is open, the figures take in new responses "
            "in batches, and figures without the flagged ones could change by fewer than "
            f"{insight.k} people (the reporting threshold) — from one view to the next, or against the figures with "
            "them — which would give those people's answers.")
    return insight


def _campaign_insight(session: Session, campaign_id: int, *, mode_order: list[str] | None, exclude_flagged: bool,
                      margin: float, frame: pd.DataFrame, groups) -> CampaignInsight:
    campaign = get_campaign(session, campaign_id)
    instrument = campaign_instrument(session, campaign)
    rates = response_rates(session, campaign_id)
    n_responses = response_count(session, campaign_id)
    insight = CampaignInsight(campaign, instrument, rates, n_responses, exclude_flagged)
    if not any(r.responses >= campaign.min_group_size for r in rates.values()):
        # one message whether no one or a few in some group have answered (a few's count is suppressed)
        insight.problem = f"No group has {campaign.min_group_size} responses yet."
        return insight
    if reported_only(campaign):  # (what was due is released: campaign_insight, the dashboard's cache)
        insight.held = held_counts(session, campaign_id)
        if frame.empty and len(instrument.group_ids()) > 1:  # (one group: "nothing to compare" says more)
            k = campaign.min_group_size
            insight.problem = (f"There are responses, but none is in the figures yet: until the survey closes, a "
                               f"group's responses are added in batches once {2 * k} are waiting (all but {k} of "
                               f"them), so that comparing two views never shows one person's answers. Every response "
                               "is in the figures once the campaign closes.")
            return insight
    try:
        table = prepare_responses(frame, instrument, "group", flag_col="flags" if exclude_flagged else None,
                                  ignore_columns=["source", "submitted_on", "duration_seconds"] + ([] if exclude_flagged else ["flags"]))
    except AnalysisInputError as exc:
        return _cannot_analyse(insight, campaign_id, exc)
    # A response with nothing to analyse (only comments, or only an out-of-range number) is left out
    # of the analysis, so it does not count towards k here either: counted, it made a group of four
    # look reportable, the pair fell through, and the whole survey was blanked.
    answered = answered_rows(table, instrument)
    counts = insight.answered = {str(g): int(n) for g, n in table.frame.loc[answered, "group"].value_counts().items()}
    hidden = suppressed_groups({g: int(counts.get(g, 0)) for g in instrument.group_ids()}, campaign.min_group_size, total_shown=False)
    shown = [g for g in instrument.group_ids() if g not in hidden]
    if exclude_flagged and len(shown) > 2:
        # A group the exclusion takes under k cannot be compared: the pair is chosen among the others
        # (the chosen pair falling short used to blank the whole survey though two groups had k).
        unflagged = (table.frame["flags"].fillna("").astype(str).str.strip() == "").to_numpy()
        kept = table.frame.loc[unflagged & answered, "group"].value_counts()
        still = [g for g in shown if kept.get(g, 0) >= campaign.min_group_size]
        if len(still) >= 2:
            insight.withheld_after_exclusions = [g for g in shown if g not in still]
            shown = still
    insight.comparable = shown
    pair = [g for g in shown if g in set(groups or ())]
    insight.compared = pair if len(pair) == 2 else shown[:2]
    if len(shown) < 2:
        k = campaign.min_group_size
        live = {g: (insight.rates[g].responses if g in insight.rates else 0) for g in instrument.group_ids()}
        # hidden because its responses wait for a batch (surveys.release), not because too few answered
        waiting = [g for g in instrument.group_ids() if g in hidden and insight.held.get(g) and live[g] >= k]
        short = [instrument.group_name(g) for g in instrument.group_ids() if g in hidden and g not in waiting]
        batches = (f"until the survey closes, a group's responses enter the figures in batches, once {2 * k} are waiting "
                   f"(all but {k} of them)")
        if len(instrument.group_ids()) == 1:  # however many answered, there is no one to compare with
            insight.problem = (f"Nothing to compare: this survey has one group ({instrument.group_name(instrument.group_ids()[0])}), "
                               "and a comparison needs two.")
        elif waiting and (shown or not short):
            names = " and ".join(instrument.group_name(g) for g in waiting)
            insight.problem = (f"Nothing to {'compare' if shown else 'report'} yet: {names} {'has' if len(waiting) == 1 else 'have'} enough responses, "
                               f"not yet in the figures — {batches}."
                               + (f" {' and '.join(short)} {'has' if len(short) == 1 else 'have'} fewer than {k}." if short else ""))
        elif shown:  # say whose responses are missing (names, never counts), not that every group falls short
            insight.problem = (f"Nothing to compare: {' and '.join(short)} "
                               f"{'has' if len(short) == 1 else 'have'} fewer than {k} responses to analyse (the campaign's "
                               "reporting threshold), "
                               f"and a comparison needs two groups with at least {k}.")
        else:
            insight.problem = (f"Not enough responses to report: each group needs at least {k} (the campaign's reporting "
                               "threshold) before any result is shown."
                               + (f" Besides, {batches}." if any(insight.held.values()) else ""))
        if len(shown) == 1:
            _describe_alone(insight, table, shown[0], frame, mode_order)
        return insight
    try:
        insight.comparison = compare_groups(table, instrument, "group", insight.compared, margin=margin,
                                            min_group_size=campaign.min_group_size)
    except AnalysisInputError as exc:
        return _cannot_analyse(insight, campaign_id, exc)
    if insight.comparison.get("note"):
        # Fewer than two groups left after the exclusions (flagged, empty rows): nothing to compare,
        # and a document with one group must not be drawn as a comparison.
        insight.problem = (f"Not enough responses to report{' once flagged responses are left out' if exclude_flagged else ''}: "
                           f"each group needs at least {campaign.min_group_size} (the campaign's reporting threshold) "
                           "before any result is shown.")
        insight.withheld_after_exclusions = list(insight.comparison.get("suppressed", []))
        left = [g for g in insight.compared if g in insight.comparison["groups"]]
        insight.comparison = None
        if len(left) == 1:
            short = " and ".join(instrument.group_name(g) for g in insight.withheld_after_exclusions)
            if short:
                insight.problem = (f"Nothing to compare{' once flagged responses are left out' if exclude_flagged else ''}: "
                                   f"{short} {'has' if len(insight.withheld_after_exclusions) == 1 else 'have'} fewer than "
                                   f"{campaign.min_group_size} responses to analyse (the campaign's reporting threshold), and "
                                   f"a comparison needs two groups with at least {campaign.min_group_size}.")
            _describe_alone(insight, table, left[0], frame, mode_order)
        return insight
    _count_flags(insight, frame)
    if len(insight.comparable) > 2:
        # every group at once as well: which scales divide the directorates, before choosing a pair
        try:
            every = compare_groups(table, instrument, "group", insight.comparable, margin=margin,
                                   min_group_size=campaign.min_group_size)
            insight.all_groups = every if len(every.get("groups", {})) > 2 else None
        except AnalysisInputError:
            insight.all_groups = None
    insight.reading = perception_reading(insight.comparison, instrument, list(mode_order or default_mode_order()),
                                         every_group=insight.all_groups)
    insight.findings = perception_findings(insight.comparison, instrument, insight.reading, dict(default_modes()))
    return insight


def _count_flags(insight: CampaignInsight, frame: pd.DataFrame) -> None:
    """Responses of the reported groups with data-quality flags, by flag, while they are in the figures."""
    if insight.excluded_flagged:
        return
    flags = frame.loc[frame["group"].isin(list(insight.figures["groups"])), "flags"].fillna("").astype(str)
    insight.n_flagged = int((flags.str.strip() != "").sum())
    # split once, and only the flagged few: splitting every response per flag cost 0.5 s at 50,000
    flagged = [set(names.split()) for names in flags[flags.str.strip() != ""]]
    insight.flag_counts = {flag: sum(flag in names for names in flagged) for flag in FLAGS}


def _describe_alone(insight: CampaignInsight, table, group: str, frame: pd.DataFrame, mode_order: list[str] | None) -> None:
    """With nothing to compare, the one group with at least k responses gets its own figures and the
    survey reading from them (``insight.problem`` still says why nothing is compared). Nothing shown
    is a total over groups, so the others' answers cannot be had by subtraction."""
    try:
        described = describe_group(table, insight.instrument, group, min_group_size=insight.k)
    except AnalysisInputError:  # (the table is validated already; nothing to add to insight.problem)
        return
    if described.get("note"):
        return
    insight.described = described
    insight.compared = [group]  # what the figures are of (a trend of them goes back through this group's means)
    _count_flags(insight, frame)
    insight.reading = perception_reading(described, insight.instrument, list(mode_order or default_mode_order()))
    insight.findings = perception_findings(described, insight.instrument, insight.reading, dict(default_modes()))


def possessive(name: str) -> str:
    """ "Business users'" and "Finance's": a group's name as the owner of its figures."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


# -- recommendations and trends ---------------------------------------------------------------------
def recommendations(assessment: AssessmentInsight, campaign: CampaignInsight | None = None) -> RecommendationPlan:
    return recommend(assessment.model, assessment.result, campaign.findings if campaign else None)


def recommendations_table(plan: RecommendationPlan) -> pd.DataFrame:
    """Every recommendation, ranked, with column names a reader understands (not field names)."""
    return pd.DataFrame([{
        "Rank": r.rank, "Capability": r.capability_name, "Category": r.category_name,
        "Consensus": "not rated" if r.consensus is None else f"{level_for_display(r.consensus):g}",
        "Target": r.target, "Levels short": level_for_display(r.shortfall), "Weight": level_for_display(r.weight),
        "Priority": level_for_display(r.priority),
        "Blocks the mode": "yes" if r.blocking else "no", "First 100 days": "yes" if r.first_100_days else "no",
        "Recommendation": r.text,
    # what a director scans for next to the name; at 1280 px the last columns of eleven are off-screen
    } for r in plan.ranked], columns=["Rank", "Capability", "First 100 days", "Blocks the mode", "Consensus", "Target",
                                      "Levels short", "Weight", "Priority", "Category", "Recommendation"])


TREND_COLUMNS = ["when", "label", "series", "value", "position", "provisional"]


def assessment_trend(session: Session, assessment_id: int) -> pd.DataFrame:
    """Attainment of each mode (%) at this assessment and the earlier ones of the same organisation
    unit against the same model (oldest first): rounds of one function, measured the same way."""
    this = assessment_service.get_assessment(session, assessment_id)
    model_id = assessment_service.model_for(session, this).id
    rows, versions = [], set()
    unit = same_name_key(this.org_unit)  # "corporate it" typed this year is last year's "Corporate IT"
    for item in reversed(assessment_service.list_assessments(session)):  # oldest first
        if same_name_key(item.org_unit) != unit or (item.assessed_on, item.id) > (this.assessed_on, this.id):
            continue
        model = assessment_service.model_for(session, item)
        if model.id != model_id:
            continue
        versions.add(model.version)
        result = assessment_service.assessment_position(session, item.id, resamples=200)
        position = model.mode(result.position).name if result.position != "none" else f"not yet {model.ordered_modes[0].name}"
        provisional = item.status == assessment_service.OPEN  # final only once the lead closes it
        for mode in result.modes:
            rows.append({"when": item.assessed_on, "label": f"{item.name} ({item.assessed_on:%d %b %Y})",
                         "series": mode.name, "value": 100 * mode.attainment, "position": position,
                         "provisional": provisional, "version": model.version,
                         # the mode's own rating (from exact sums): 100·(1 − 17/20) is 15.000000000000002 in
                         # floating point, which rated afresh would be P where the position's rating is N
                         "rating": mode.rating})
    frame = pd.DataFrame(rows, columns=[*TREND_COLUMNS, "version", "rating"])
    if len(versions) > 1:  # a new version may add, drop or retarget capabilities: each round says which it used
        frame["label"] = frame["label"].str.cat(frame["version"].map(lambda v: f"model v{v}"), sep=" · ")
    return frame[[*TREND_COLUMNS, "rating"]]


def campaign_trend(session: Session, campaign_id: int, insight_of=None, *, exclude_flagged: bool = False,
                   groups: tuple[str, str] | None = None) -> pd.DataFrame:
    """Scale scores (mean of group means) at this campaign and the earlier ones of the same survey
    instrument (oldest first). ``attrs["value_range"]`` is the response scale's range (e.g. 1–5).

    ``insight_of(campaign_id)``: where to get each campaign's insight (the dashboard passes its cache).
    ``exclude_flagged``: every round without its flagged responses (as the dashboard's toggle asks).
    """
    def opened(campaign: Campaign) -> tuple:
        return (campaign_start(campaign), campaign.id)

    this = get_campaign(session, campaign_id)
    instrument_id = campaign_instrument(session, this).id
    rows, bounds = [], []
    given = insight_of or (lambda cid: campaign_insight(session, cid, exclude_flagged=exclude_flagged, groups=groups))
    seen: dict[int, CampaignInsight] = {}

    def insight_of(cid: int) -> CampaignInsight:  # each campaign analysed once (the chosen one is asked twice)
        if cid not in seen:
            seen[cid] = given(cid)
        return seen[cid]

    if insight_of(campaign_id).reading is None:
        # The trend ends at the campaign chosen: without a reading of its own, the last two earlier
        # rounds would be presented as "since the previous survey" — another campaign's change.
        frame = pd.DataFrame(rows, columns=TREND_COLUMNS)
        frame.attrs.update(value_range=None, no_reading=this.name)
        return frame
    chosen = insight_of(campaign_id)
    pair = set(chosen.compared)

    def read_over(insight: CampaignInsight) -> set[str]:
        """The groups whose means a round's scale scores average (all with k responses, with three or more)."""
        return set(insight.all_groups["groups"]) if insight.all_groups else set(insight.compared)

    # every round's scores over the chosen round's groups: last year's two groups beside this year's
    # four (or a group under k then) would be other people's mean, not progress
    groups_read = read_over(chosen)
    shipped_names = reading_names(None)
    left_out = []
    with_flagged, without_flagged = [], []  # asked to leave flagged out: a round still open keeps them
    for campaign in sorted(list_campaigns(session), key=opened):
        if opened(campaign) > opened(this):
            continue
        instrument = campaign_instrument(session, campaign)
        if instrument.id != instrument_id:
            continue
        insight = insight_of(campaign.id)
        if insight.reading is None:
            continue
        if (chosen.described is None and set(insight.compared) != pair) or not groups_read <= read_over(insight):
            # a round that compared other groups, or lacked one read now (below k then), measured other people;
            # one group's own figures (nothing compared) go back through the rounds that have that group
            left_out.append(campaign.name)
            continue
        # the survey's reading of each round (against the shipped model's modes, as its campaign_insight
        # reads it), so the trend can say "not yet Supplier → Supplier", not only the scores
        reading = shipped_names.get(insight.reading.position) if insight.reading.available else None
        if chosen.described is not None and insight.described_group != chosen.described_group:
            reading = None  # that round's reading weighed in other groups: not this group's to compare with
        if insight.excluded_flagged:
            without_flagged.append(campaign.name)
        elif exclude_flagged and insight.n_flagged:  # n_flagged counts only flagged responses analysed
            with_flagged.append(campaign.name)
        for scale in insight.reading.scales:
            means = [scale.group_means.get(g) for g in groups_read]
            if scale.score is not None and all(m is not None for m in means):
                rows.append({"when": opened(campaign)[0], "label": campaign.name, "series": scale.name,
                             "value": sum(means) / len(means), "position": reading, "provisional": campaign.status == "open"})
                bounds.append(scale_range(instrument, scale.id))
    frame = pd.DataFrame(rows, columns=TREND_COLUMNS)
    # The response scale's whole range (1–5), so that the chart shows changes in proportion.
    frame.attrs["value_range"] = (min(lo for lo, _ in bounds), max(hi for _, hi in bounds)) if bounds else None
    if with_flagged and without_flagged:  # not like with like: say which rounds still count them
        frame.attrs["flagged_kept"] = with_flagged
    if chosen.described is not None:  # one group's view over the rounds, not the balance of groups an earlier round had
        frame.attrs["groups"] = f"{chosen.instrument.group_name(chosen.described_group)} alone"
    elif chosen.not_compared:  # a trend of two of several groups says which two, and which rounds could not compare them
        names = chosen.instrument.group_name
        frame.attrs["groups"] = (f"{' and '.join(names(g) for g in chosen.compared)}; "
                                 f"{' and '.join(names(g) for g in chosen.not_compared)} not compared")
    if left_out:
        frame.attrs["rounds_left_out"] = left_out
    return frame


def trend_rounds(points: pd.DataFrame | None) -> int:
    """How many rounds a trend frame holds (a trend needs two)."""
    return 0 if points is None or points.empty else len(points[["when", "label"]].drop_duplicates())


def progress_sentences(assessment_points: pd.DataFrame | None, campaign_points: pd.DataFrame | None) -> list[str]:
    """What changed since the previous round, in words, for the dashboard and the report. Descriptive:
    the rounds are not tested against each other (the report's methods say so)."""
    sentences = []
    for points, what in ((assessment_points, "assessment"), (campaign_points, "survey")):
        if trend_rounds(points) < 2:
            continue
        rounds = list(points.groupby(["when", "label"], sort=False))  # the frames are oldest first
        (_, before_label), before = rounds[-2]
        now = rounds[-1][1]
        earlier = dict(zip(before["series"], before["value"]))
        # each mode's rating as the position made it (assessment rounds only: survey rounds have none)
        rated_before, rated_now = ({} if "rating" not in frame else dict(zip(frame["series"], frame["rating"]))
                                   for frame in (before, now))
        changes = []
        for series, value in zip(now["series"], now["value"]):
            if series not in earlier:
                continue
            if what == "assessment":  # with the ISO rating, and 84.6% as such: "85%" would read as F
                changes.append(f"{series} {attainment_percent(earlier[series])} ({rated_before[series]}) → "
                               f"{attainment_percent(value)} ({rated_now[series]})")
            else:
                changes.append(f"{series} {earlier[series]:.2f} → {value:.2f}")
        if what == "assessment":
            text = (f"Since the previous assessment, {before_label}: position {before['position'].iloc[0]} → "
                    f"{now['position'].iloc[0]}; attainment " + "; ".join(changes) + ".")
            if bool(now["provisional"].iloc[0]):
                text += " The latest assessment is still open, so its figures are provisional."
        else:
            scale = points.attrs.get("value_range")  # "3.57 → 3.86" alone says nothing of the scale it is on
            said = ([f"on {scale[0]:g}–{scale[1]:g}"] if scale else []) + ([points.attrs["groups"]] if points.attrs.get("groups") else [])
            on = f" ({'; '.join(said)})" if said else ""
            readings = before["position"].iloc[0], now["position"].iloc[0]
            moved = (f"reading {readings[0]} → {readings[1]}; " if all(isinstance(r, str) for r in readings) else "")
            text = f"Since the previous survey, {before_label}: {moved}scale scores{on} " + "; ".join(changes) + "."
            if points.attrs.get("rounds_left_out"):
                text += (" Not in this trend, as they could not compare the same groups (one had fewer responses "
                         "than the reporting threshold, or was not asked): " + ", ".join(points.attrs["rounds_left_out"]) + ".")
            if points.attrs.get("flagged_kept"):
                text += (" Flagged responses are left out of the closed rounds only; still counted in "
                         + ", ".join(points.attrs["flagged_kept"])
                         + (", which is open." if len(points.attrs["flagged_kept"]) == 1 else ", which are open."))
            if bool(now["provisional"].iloc[0]):
                text += " The latest campaign is still open: its figures change as responses come in, in batches."
        sentences.append(text)
    return sentences
