"""The leadership report: a self-contained HTML file and a PDF with the same content.

Executive summary (position, confidence, key gaps, perception verdicts), charts, recommendations and
a methods appendix (tests used, thresholds, n per group, suppressed groups, how to reproduce every
figure from the CLI). The reporting threshold is applied by :mod:`itcap.insights`, the comment
threshold by :func:`surveys.exports.reportable_comments`; every piece of text that came from a
person (names, evidence, comments) is escaped in the HTML and written as plain text in the PDF.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import hashlib
import shlex
import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from assessment.recommendations import RecommendationPlan
from capability_model.positioning import FULLY_ACHIEVED_PERCENT, level_for_display
from itcap import charts, insights
from itcap.storage import utcnow
from surveys.exports import counted_comments, reportable_comments
from surveys.release import reported_only


class NothingToReport(ValueError):
    """There is no assessment or survey to report on (message is user-facing)."""


@dataclass
class ReportContent:
    generated_at: dt.datetime
    assessment: insights.AssessmentInsight | None
    campaign: insights.CampaignInsight | None
    plan: RecommendationPlan | None
    comments: dict[str, list[str]] = field(default_factory=dict)
    # This round and the earlier ones (insights.assessment_trend / campaign_trend); one round = no trend.
    assessment_trend: pd.DataFrame | None = None
    campaign_trend: pd.DataFrame | None = None

    @property
    def title(self) -> str:
        if self.assessment:
            return f"IT capability and perception review — {self.assessment.assessment.org_unit}"
        return f"IT perception survey — {self.campaign.campaign.name}"


def build_report(session: Session, assessment_id: int | None = None, campaign_id: int | None = None,
                 *, include_assessment: bool = True, include_campaign: bool = True,
                 exclude_flagged: bool = False, groups: tuple[str, str] | list[str] | None = None) -> ReportContent:
    """Assemble what the report says. Default: the newest assessment with ratings and the newest
    campaign with results (insights.default_assessment_id / default_campaign_id), as the dashboard.
    ``exclude_flagged``: the survey's figures without responses flagged for data quality.
    ``groups``: the two groups of the survey to compare (default: its first two with k responses)."""
    if assessment_id is None and include_assessment:
        assessment_id = insights.default_assessment_id(session)
    if campaign_id is None and include_campaign:
        campaign_id = insights.default_campaign_id(session)
    if assessment_id is None and campaign_id is None:
        raise NothingToReport("nothing to report: there is no assessment and no survey campaign yet "
                              "(create one, or load the demo with 'itcap demo')")
    assessment = insights.assessment_insight(session, assessment_id) if assessment_id is not None else None
    mode_order = [m.id for m in assessment.model.ordered_modes] if assessment else []
    campaign = (insights.campaign_insight(session, campaign_id, mode_order=mode_order, exclude_flagged=exclude_flagged,
                                          groups=groups) if campaign_id is not None else None)
    if reason := nothing_to_report(assessment, campaign):
        raise NothingToReport(f"nothing to report: {reason}")
    plan = insights.recommendations(assessment, campaign) if assessment else None
    comments = reportable_comments(session, campaign_id) if campaign is not None and campaign.figures is not None else {}
    assessment_points = insights.assessment_trend(session, assessment_id) if assessment is not None else None
    campaign_points = (insights.campaign_trend(
        session, campaign_id, exclude_flagged=exclude_flagged,  # the chosen campaign is analysed already
        insight_of=lambda cid: campaign if cid == campaign_id else insights.campaign_insight(session, cid, exclude_flagged=exclude_flagged,
                                                                                             groups=groups))
        if campaign is not None else None)
    return ReportContent(utcnow(), assessment, campaign, plan, comments, assessment_points, campaign_points)


def nothing_to_report(assessment: insights.AssessmentInsight | None, campaign: insights.CampaignInsight | None) -> str | None:
    """Why a report of these would be empty — an assessment nobody has rated and a campaign without
    results — or None. The dashboard asks before it offers the report's buttons."""
    if assessment is not None and not any(level is not None for level in assessment.result.consensus.values()):
        if campaign is None or campaign.figures is None:
            return (f"assessment {assessment.assessment.id} has no ratings yet"
                    + ("" if campaign is None else f" and campaign {campaign.campaign.id} has no reportable results"))
    if assessment is None and campaign is not None and campaign.figures is None:
        problem = (campaign.problem or "no results").rstrip(".")
        return (f"there is no assessment with ratings, and campaign {campaign.campaign.id} "
                f"has no results: {problem[:1].lower() + problem[1:]}")
    return None


def progress_points(content: ReportContent) -> list[str]:
    return insights.progress_sentences(content.assessment_trend, content.campaign_trend)



# -- what the summary says (shared by HTML and PDF) ------------------------------------------------
def summary_points(content: ReportContent) -> list[str]:
    points = []
    a, c = content.assessment, content.campaign
    if c and c.reading is not None and c.reading.note:
        points.append(f"Survey reading: none — {c.readable_note(c.reading.note)}.")  # groups by name, not id
    elif c and c.reading is not None:
        names = insights.reading_names(a)
        reading = names.get(c.reading.position, c.reading.position)
        text = f"Survey reading: {reading}"
        if reason := insights.reading_reason(c.reading, names):
            text += f" ({reason[0].lower() + reason[1:].rstrip('.')})"
        if a:
            if unrated := insights.unrated_for_comparison(a):
                text += f". {unrated}"
            else:
                text += {insights.AGREES: " — in agreement with the assessment.",
                         insights.DIFFERS: " — this differs from the assessment; see the perception section.",
                         insights.CANNOT_COMPARE: " — so it can neither confirm nor contradict the assessment."
                         }[insights.survey_against_assessment(c.reading, a)]
            if apart := insights.months_apart_note(a, c):
                text += " " + apart
        if c.reading.unmatched:
            text += (" Left out of the reading, as tagged with a mode this model does not have: "
                     + ", ".join(c.reading.unmatched) + ".")
        if borderline := insights.reading_margin_note(c.reading, names):
            text += ("" if text.endswith(".") else ".") + " " + borderline
        points.append(text)
    if a and a.result.next_mode is not None and a.result.next_mode.gaps:
        ranked = a.gaps_frame()
        top = ranked.head(5)
        gaps = "; ".join(f"{row.capability} (level {row.consensus}, target {row.target})" for row in top.itertuples())
        # "largest" overclaimed where every gap is one level; the order is the gap table's (the glossary says so)
        points.append(f"Gaps to {a.result.next_mode.name}, the furthest short first (levels short, then the capability's "
                      f"weight in the model){_cut_tie(ranked, len(top))}: {gaps}.")
    if c and c.figures is None:
        points.append(f"Survey '{c.campaign.name}': no results reported. {c.problem}")
    if c and c.described is not None:
        g = c.described_group
        points.append(f"Survey '{c.campaign.name}' ({c.campaign.status}), responses analysed: {c.instrument.group_name(g)} "
                      f"{c.described['groups'][g]['n']:,} — {c.responses_note()}. {c.problem} {c.described_note()}")
    if c and c.comparison is not None:
        analysed = ", ".join(f"{c.instrument.group_name(g)} {v['n']:,}" for g, v in c.comparison["groups"].items())
        points.append(f"Survey '{c.campaign.name}' ({c.campaign.status}), responses analysed: {analysed} — "
                      f"{c.responses_note()}.")
        verdicts = [s.get("verdict") for s in c.comparison["scales"]]
        counts = {v: verdicts.count(v) for v in ("equivalent", "differs", "inconclusive")}
        groups = " and ".join(c.instrument.group_name(g) for g in c.comparison["groups"])
        margin = f"±{c.comparison['margin']:g} points"
        text = (f"Perception ({groups}): of {len(verdicts)} scales, {counts['equivalent']} equivalent (within {margin}), "
                f"{counts['differs']} differ, {counts['inconclusive']} inconclusive")
        if unjudged := len(verdicts) - sum(counts.values()):
            text += f", {unjudged} without a verdict (no comparison: see the perception section)"
        text += "."
        a_id, b_id = c.compared_groups()
        a_name, b_name = c.instrument.group_name(a_id), c.instrument.group_name(b_id)

        def which_way(scale: dict) -> str:  # the board's question: who rates IT lower, and by how much
            if scale.get("mean_a") is None or scale.get("mean_b") is None:
                return scale["name"]
            high, low = ((a_name, scale["mean_a"]), (b_name, scale["mean_b"]))
            if low[1] > high[1]:
                high, low = low, high
            return f"{scale['name']} ({high[0]} rate it higher: mean score {high[1]:.2f} against {low[1]:.2f})"

        differing = [which_way(s) for s in c.comparison["scales"] if s.get("verdict") == "differs"]
        if differing:
            text += " The groups differ on: " + "; ".join(differing) + "."
        elif counts["equivalent"] == len(verdicts) and verdicts:
            text += f" On every scale the two groups' means are within {margin} of each other."
        # with thousands of respondents a difference well inside the margin is still significant: the
        # verdict says it is too small to matter, and the board should hear both
        small_but_real = [s for s in c.comparison["scales"] if s.get("verdict") == "equivalent"
                          and s.get("p_holm") is not None and s["p_holm"] < 0.05]
        if small_but_real:
            a_id, b_id = c.compared_groups()
            a_name, b_name = c.instrument.group_name(a_id), c.instrument.group_name(b_id)
            text += (" Equivalent, yet statistically significant (Holm p < .05): "
                     + "; ".join(f"{s['name']} ({a_name} {s['mean_a']:.2f}, {b_name} {s['mean_b']:.2f})" for s in small_but_real)
                     + f" — a real difference, smaller than the equivalence margin of {margin} set for this analysis.")
        points.append(text)
        every = c.all_groups_table()
        if len(every):  # the pair is two of several groups: where the others stand, in one line
            divided = [row for row in every.to_dict("records") if row["groups differ"] == "yes"]
            points.append(f"All {len(c.all_groups['groups'])} groups at once (Welch's ANOVA, Holm p < .05): "
                          + ("the means differ on " + "; ".join(
                              f"{row['scale']}" + _all_groups_detail(row) for row in divided) if divided else "no scale divides them") + ".")
    points += progress_points(content)
    if content.plan and content.plan.first_100_days:
        tie = content.plan.first_100_days_tie_note()
        points.append("First 100 days: " + "; ".join(r.capability_name for r in content.plan.first_100_days) + "."
                      + (f" {tie}" if tie else ""))
    return points


def _all_groups_detail(row: dict) -> str:
    """What follows a scale the groups differ on in the summary's all-groups line: the pairs that
    differ and, where Welch's ANOVA is undefined (a group whose answers do not vary), that the
    rank test decided — the line is headed 'Welch's ANOVA', which has no value there."""
    said = [row["pairs that differ"]] if row["pairs that differ"] else []
    if pd.isna(row["Welch ANOVA F"]):
        said.append("by Kruskal–Wallis, Holm p < .05: Welch's ANOVA is undefined where a group's answers do not vary")
    return f" ({'; '.join(said)})" if said else ""


def _gap_words(rec) -> str:
    """A recommendation's gap as a board reads it — "level 2 → 3", "level 2.5 → 4, weighted 1.5×" —
    not its ranking number ("priority 1.5")."""
    level = "not rated" if rec.consensus is None else f"level {level_for_display(rec.consensus):g}"
    weight = f", weighted {level_for_display(rec.weight):g}×" if rec.weight != 1 else ""
    return f"{level} → {rec.target}{weight}"


def _cut_tie(ranked: pd.DataFrame, shown: int) -> str:
    """Said when the first ``shown`` of the ranked gaps end inside a tie (the same shortfall and
    weight), so the cut, not the ranking, chose among them: "(10 gaps; the last 2 named were taken
    in the model's order from 7 equally pressing: 1 level short, weight 1)"."""
    if len(ranked) <= shown:
        return ""
    key = (ranked["shortfall"].iloc[shown - 1], ranked["weight"].iloc[shown - 1])
    if (ranked["shortfall"].iloc[shown], ranked["weight"].iloc[shown]) != key:
        return ""
    in_tie = (ranked["shortfall"] == key[0]) & (ranked["weight"] == key[1])
    named = int(in_tie.head(shown).sum())
    which = "all named" if named == shown else f"the last {named} named"
    return (f" ({len(ranked)} gaps; {which} were taken in the model's order from {int(in_tie.sum())} equally pressing: "
            f"{key[0]:g} level{'s' if key[0] != 1 else ''} short, weight {key[1]:g})")


def reading_guide(content: ReportContent) -> list[tuple[str, str]]:
    """The terms the summary uses, in plain words (term, what it means) — for a board member who reads
    only the first two pages."""
    a, c = content.assessment, content.campaign
    guide = []
    if a:
        modes = a.model.ordered_modes
        guide.append(("Operating modes", f"{', '.join(m.name for m in modes)}: each sets a target level "
                      f"({a.model.min_level}–{a.model.max_level}) for every capability, and they build on each other."))
        guide += [(m.name, m.description) for m in modes if m.description]  # one each: run together they read as one
        guide.append(("Attainment and N / P / L / F", "how much of a mode's targets the assessed levels reach (100% = every "
                      "target met), rated as in ISO/IEC 33020: N not achieved (up to 15%), P partially (up to 50%), "
                      "L largely (up to 85%), F fully (over 85%). A mode is achieved when it is rated F, no capability is "
                      "more than one level short of its target or left unassessed, and every lower mode is achieved too."))
        guide.append(("Stable in …%", f"how stable the position is: the share of {a.result.resampling} that give the "
                      "same position. It is not a statistical "
                      "confidence level: with few assessors it can be high while they still differ — see 'How far the "
                      "assessors agree'." if a.result.confidence is not None and a.result.resamples else
                      "how stable the position is when the assessors are resampled; it needs at least two assessors, so "
                      "none is given here."))
        guide.append(("Gaps, weight and priority", "a gap is a capability below the next mode's target. The gap table ranks "
                      "them by levels short, then by the capability's weight (how much it matters in the model); the "
                      "recommendations by priority = levels short × weight, then by levels short. What is still equal "
                      "after that keeps the model's order: a tie, not a ranking. The tables group capabilities by domain "
                      "(what they are about); the recommendations group them by finding category (the kind of action "
                      "they need)."))
    if c and c.described is not None and c.reading is not None and c.reading.scales:
        guide.append(("Survey reading", f"a survey scale supports the mode it is evidence for when "
                      f"{insights.possessive(c.instrument.group_name(c.described_group))} average score is "
                      f"{insights.reading_threshold_text(c)} (five eighths of the way up); the reading is the highest mode "
                      "whose scales all do, with every lower mode supported too — here one group's view, as no other "
                      "group's can be reported."))
    if c and c.comparison is not None:
        a_id, b_id = c.compared_groups()
        a_name, b_name = c.instrument.group_name(a_id), c.instrument.group_name(b_id)
        margin = c.comparison["margin"]
        if c.reading is not None and c.reading.scales:
            whose = (f"of all {len(c.all_groups['groups'])} groups with enough responses (not only the two compared)"
                     if c.all_groups else f"of {a_name} and of {b_name}")
            guide.append(("Survey reading", f"a survey scale supports the mode it is evidence for when the mean of the "
                          f"average scores {whose} is {insights.reading_threshold_text(c)} "
                          "(five eighths of the way up; each group counts equally, whatever its size); the reading is the "
                          "highest mode whose scales all do, with every lower mode supported too."))
        guide.append(("Equivalent, differs, inconclusive", f"equivalent: the two groups' means are shown to be within "
                      f"±{margin:g} points of each other (TOST, p < .05); differs: not shown equivalent, and the "
                      "difference is statistically significant (Welch t-test, Holm-adjusted p < .05); inconclusive: the "
                      "data show neither. Hedges' g is "
                      f"the difference {a_name} − {b_name} in standard deviations (about 0.2 small, 0.5 medium, 0.8 large)."))
        guide.append(("The scales table's columns", "evidences: the operating mode the scale is evidence for; Welch p "
                      "(Holm): the chance of a difference at least this large if the groups did not differ, adjusted "
                      "for testing several scales at once; TOST p: the same for the groups lying further apart than "
                      f"±{margin:g} points (small = shown equivalent); alpha: Cronbach's α, how consistently the scale's "
                      "questions measure one thing (0.7 or more is usually taken as adequate), for both groups together "
                      "and then for each group on its own — where the groups differ in level, the joint α reads higher "
                      "than either group's, so read each group's too."))
    return guide


def _decisions(a: insights.AssessmentInsight) -> str:
    """The lead assessor's decisions in force, a level set in place of the median apart from the median
    confirmed: "2 in force: Supplier management set in place of the median; Service level management,
    the median confirmed — see '…'". """
    decided = [c for c in a.consensus if c.override is not None]
    if not decided:
        return "none in force"
    parts = [f"{a.model.capability(c.capability_id).name}, "
             + ("the median confirmed" if c.median_confirmed else "set in place of the median") for c in decided]
    return f"{len(decided)} in force: {'; '.join(parts)} — see '{insights.OVERRIDES_HEADING}'"


def methods_points(content: ReportContent) -> list[str]:
    points = []
    a, c = content.assessment, content.campaign
    if a:
        result = a.result
        points += [
            f"Assessment '{a.assessment.name}' of {a.assessment.org_unit} on {a.assessment.assessed_on:%d %B %Y} against "
            f"{a.model.name} (v{a.model.version}), {len(a.model.capabilities)} capabilities, {len(a.assessors)} "
            f"assessor{'' if len(a.assessors) == 1 else 's'}.",
            "Consensus per capability = median of the assessors' levels (not-rated left out); the lead assessor's "
            f"decisions replace it ({_decisions(a)}). Decided levels keep their level in every bootstrap resample.",
            "Attainment of a mode = 1 − Σ max(0, target − consensus) / Σ target, rated on the ISO/IEC 33020 scale "
            "(N ≤ 15% < P ≤ 50% < L ≤ 85% < F). A mode is achieved when rated F, no capability is more than one level "
            "short, and every lower mode is achieved. Position = the highest achieved mode.",
            (f"Stability (\"stable in …%\"; `confidence` in itcap's JSON) = share of {result.resampling} giving the same "
             "position (bootstrap)."
             if result.confidence is not None and result.resamples else
             "Stability: none (a bootstrap of the assessors needs at least two)."),
        ]
        rel = a.reliability
        icc = rel.icc_by_type
        parts = [f"{t} = {icc[t].icc:.2f}" for t in ("ICC1", "ICC2k", "ICC3k") if t in icc and icc[t].icc is not None]
        alpha = rel.alpha.alpha
        points.append("Inter-rater reliability (Shrout–Fleiss ICC with 95% CIs under 'How far the assessors agree'; Krippendorff's α ordinal): "
                      + (", ".join(parts) or "not computable") + (f"; α = {alpha:.2f}" if alpha is not None else "")
                      + f". ICC used the {rel.n_capabilities_icc} capabilities rated by every assessor.")
    if c:
        k = c.k
        points.append(f"Survey '{c.campaign.name}': reporting threshold k = {k} — results are shown only for groups with at "
                      f"least {k} responses. A smaller group is withheld everywhere: its scores, and even how many of it "
                      f"responded (only how many were personally invited is shown); no total includes it, so it cannot be "
                      f"worked out by subtraction. Written comments are shown only once at least "
                      f"{c.campaign.comment_threshold} people have commented, in random order.")
        if method := c.release_method():
            points.append(method)
        if c.comparison is not None:
            comp = c.comparison
            n = ", ".join(f"{c.instrument.group_name(g)} n = {v['n']}" for g, v in comp["groups"].items())
            points.append(f"Responses analysed: {n}. Excluded: {comp['excluded']['flagged_rows']} flagged, "
                          f"{comp['excluded']['empty_rows']} empty."
                          + (f" {flagged}" if (flagged := c.flagged_note()) else "")
                          + (f" {c.exclusion_refused}" if c.exclusion_refused else "")
                          + (f" {comp['excluded']['out_of_range_values']} numeric answer(s) outside the item's plausible "
                             "range were left out of that item." if comp["excluded"].get("out_of_range_values") else ""))
            if comp["suppressed"]:
                points.append("Suppressed groups: " + "; ".join(f"{c.instrument.group_name(g)} ({comp['suppressed_reasons'][g]})" for g in comp["suppressed"]) + ".")
            elif not c.small_groups:
                points.append(f"No group was suppressed: every group that answered had at least {k} responses.")
            withheld = [g for g in c.small_groups if g not in comp["suppressed"]]
            if withheld:  # named, never counted: a group of the survey the comparison does not show
                points.append(f"Withheld, fewer than {k} responses: " + ", ".join(c.instrument.group_name(g) for g in withheld)
                              + ". Their responses are in no figure of this report.")
            others = [g for g in c.instrument.group_ids() if g not in comp["groups"] and g not in c.small_groups
                      and g not in comp["suppressed"] and c.rates.get(g) is not None and c.rates[g].responses]
            if others:
                points.append("Also answered but not in the comparison (it compares two groups): "
                              + ", ".join(c.instrument.group_name(g) for g in others) + ".")
            points.append(
                "Per item and scale: Welch t-test (two-sided); Hedges' g with 95% CI; Mann–Whitney U (asymptotic, tie- and "
                "continuity-corrected) with rank-biserial r; Holm- and Benjamini–Hochberg-adjusted p across items (and "
                f"separately across scales); TOST equivalence with Welch t and margin ±{comp['margin']:g} points. Verdict: "
                "equivalent if TOST p < .05, else differs if Holm-adjusted Welch p < .05 (the Holm-adjusted Mann–Whitney p "
                "where each group gave a single answer and Welch is undefined), else inconclusive (TOST p is per "
                "item and not adjusted for multiplicity, so with many items an occasional 'equivalent' is expected by "
                "chance; 'differs' is Holm-adjusted). Scale score = "
                "mean of answered items after reverse coding, missing if fewer than half answered. Cronbach's α over the "
                "respondents who answered every item of the scale (listwise); its 95% CI (Feldt) is in the itcap analyze output. "
                "This report shows the scale results; the item results, the Mann–Whitney and Benjamini–Hochberg figures and "
                "the confidence intervals of g and α are in the dashboard's tables and their CSV downloads, and in the "
                "output of the 'Reproduce:' commands below.")
            if c.reading is not None and c.reading.available:
                points.append("Survey reading: a scale supports its operating mode when its score — the mean of the group "
                              "means, each group counting equally — reaches 5/8 of its range (3.5 on 1–5); the reading is the "
                              "highest mode all of whose scales, and those of every lower mode, do. A score is called "
                              "borderline (within sampling error) when its 95% confidence interval, from the groups as "
                              "independent samples with Welch–Satterthwaite degrees of freedom, contains that threshold.")
        elif c.described is not None:
            doc, g = c.described, c.described_group
            points.append(f"Responses analysed: {c.instrument.group_name(g)} n = {doc['groups'][g]['n']}, on its own — "
                          f"{c.problem[0].lower() + c.problem[1:]} Excluded: {doc['excluded']['flagged_rows']} flagged, "
                          f"{doc['excluded']['empty_rows']} empty."
                          + (f" {flagged}" if (flagged := c.flagged_note()) else "")
                          + (f" {c.exclusion_refused}" if c.exclusion_refused else ""))
            if withheld := [x for x in c.instrument.group_ids() if x != g and c.results_of(x, c.rates[x].responses if x in c.rates else 0) != "reported"]:
                points.append("Not in the figures: " + ", ".join(f"{c.instrument.group_name(x)} ({c.results_of(x, c.rates[x].responses if x in c.rates else 0)})"
                                                                 for x in withheld) + ".")
            points.append("Per item and scale: the group's mean with its t-based 95% confidence interval, standard deviation and "
                          "median; no tests and no verdicts, as there is no other group to compare with. Scale score = mean of "
                          "answered items after reverse coding, missing if fewer than half answered. Cronbach's α over the "
                          "respondents who answered every item of the scale (listwise).")
            if c.reading is not None and c.reading.available:
                points.append("Survey reading: a scale supports its operating mode when the group's mean score reaches 5/8 of "
                              "its range (3.5 on 1–5); the reading is the highest mode all of whose scales, and those of every "
                              "lower mode, do — one group's view, not a balance of the groups'. A score is called borderline "
                              "(within sampling error) when its 95% confidence interval contains that threshold.")
        elif c.problem:
            points.append(f"No survey results are reported: {c.problem[0].lower() + c.problem[1:]}")
    if insights.trend_rounds(content.assessment_trend) > 1 or insights.trend_rounds(content.campaign_trend) > 1:
        points.append("Progress compares each round's own figures: earlier assessments of the same organisation unit against "
                      "the same model, earlier campaigns of the same survey (scale score = mean of the group means). It is "
                      "descriptive: the rounds are not tested against each other, so a change of a few hundredths of a "
                      "point is within what a different sample of people could give.")
    reproduce = []
    if a:
        reproduce.append(f"itcap assess export {a.assessment.id} --out ratings.csv --overrides overrides.csv --model model.yaml && "
                         "itcap assess position ratings.csv --model model.yaml --overrides overrides.csv --json -")
    if c:
        flagged = " --exclude-flagged" if c.excluded_flagged else ""
        flagged += " --as-reported" if reported_only(c.campaign) else ""  # open: the released responses only
        # the groups named: with a third group in the data, analyze would pick the first two present
        groups = (" --groups " + " ".join(shlex.quote(g) for g in c.compared_groups()) if c.comparison
                  else f" --groups {shlex.quote(c.described_group)}" if c.described is not None else "")
        reproduce.append(f"itcap responses export {c.campaign.id} --format csv --out responses.csv --instrument instrument.yaml{flagged} && "
                         f"itcap analyze responses.csv --instrument instrument.yaml --group-col group{groups} "
                         f"--min-group-size {c.k} --json -")
        if c.all_groups:  # the all-groups table and the survey reading come from every group at once, not the pair
            every = " ".join(shlex.quote(g) for g in c.all_groups["groups"])
            every_group = (f"itcap analyze responses.csv --instrument instrument.yaml --group-col group --groups {every} "
                           f"--min-group-size {c.k} --json -")
    points += [f"Reproduce: {command}" for command in reproduce]
    if c and c.all_groups:
        points.append(f"Reproduce 'All {len(c.all_groups['groups'])} groups at once' and the survey reading (the same "
                      f"responses.csv): {every_group}")
    versions = ", ".join(f"{name} {_version(name)}" for name in ("itcap", "scipy", "pingouin", "pandas", "numpy"))
    points.append(f"Generated {content.generated_at:%d %B %Y %H:%M} UTC with {versions}.")
    return points


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


def report_charts(content: ReportContent) -> list[tuple[str, object]]:
    """(title, altair chart) in report order."""
    out = []
    a, c = content.assessment, content.campaign
    if a:
        out.append(("Maturity: consensus against each mode's targets",
                    charts.radar_chart(a.capability_labels(), a.radar_series(), a.model.max_level, min_level=min(0, a.model.min_level - 1))))
        if a.result.next_mode is not None and a.result.next_mode.gaps:
            out.append((f"Gaps to {a.result.next_mode.name}", charts.gap_chart(a.gaps_frame(), a.result.next_mode.name,
                                                                                levels=(a.model.min_level, a.model.max_level))))
    if c and c.figures is not None:
        frame = c.scale_frame()
        if len(frame):
            first = c.instrument.scale_items(c.instrument.scales[0].id)[0]
            low, high = c.instrument.item_range(first)
            what = ("means with 95% CIs, verdicts" if c.described is None
                    else f"{c.instrument.group_name(c.described_group)} alone: means with 95% CIs")
            line = (charts.agreement_line_note(low, high) if c.described is None
                    else charts.agreement_line_note(low, high, f"{insights.possessive(c.instrument.group_name(c.described_group))} mean"))
            out.append((f"Perception by scale ({what}; {line})",
                        charts.perception_chart(frame, low, high)))
        ipa, cross = c.ipa_frame(), c.ipa_crosshairs()
        if len(ipa) and cross:
            pair = c.instrument.ipa_pairs[0]
            low, high = c.instrument.item_range(c.instrument.item(pair.importance))
            out.append((f"Importance and performance of IT services ({charts.ipa_lines_note(list(dict.fromkeys(ipa['group'])))})",
                        charts.ipa_chart(ipa, cross, low, high)))
    if c and c.has_invitation_bars():
        out.append(("Response rates", charts.response_rate_chart(c.rates_frame())))
    def still_open(points: pd.DataFrame) -> str:  # the dashboard says it under its trends; the report, in the title
        open_rounds = "provisional" in points and points["provisional"].fillna(False).astype(bool).any()
        return " Hollow points are rounds still open: their figures can still change." if open_rounds else ""

    if insights.trend_rounds(content.assessment_trend) > 1:
        out.append((f"Progress: attainment of each mode over assessments (%). {charts.ATTAINMENT_REFERENCE_NOTE}"
                    + still_open(content.assessment_trend),
                    charts.attainment_trend_chart(content.assessment_trend, FULLY_ACHIEVED_PERCENT)))
    if insights.trend_rounds(content.campaign_trend) > 1:
        out.append(("Progress: scale scores over survey campaigns." + still_open(content.campaign_trend),
                    charts.scale_trend_chart(content.campaign_trend)))
    return out


# -- HTML -------------------------------------------------------------------------------------------
_CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#222;max-width:960px;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.8rem;margin-bottom:.2rem}h2{border-bottom:2px solid #0b5394;padding-bottom:.2rem;margin-top:2.2rem}
.lead{font-size:1.25rem;font-weight:600;background:#eef4fb;border-left:6px solid #0b5394;padding:.8rem 1rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.6rem 0}.table{overflow-x:auto}.prose{min-width:16rem}@media (max-width:640px){table{display:block;overflow-x:auto}}th,td{border:1px solid #ccc;padding:.3rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3}.muted{color:#666;font-size:.9rem}.chart{margin:1rem 0;overflow-x:auto}.chart img{max-width:100%}.rec{border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.5rem 0}
.provisional{background:#fff4e5;border-left:6px solid #e69f00;padding:.5rem 1rem}
.comment{white-space:pre-wrap;border-left:3px solid #ccc;padding-left:.6rem;margin:.4rem 0}
@media print{.chart{page-break-inside:avoid}h2{page-break-after:avoid}}
/* a phone: charts at their drawn size, scrolled sideways (shrunk to the screen, their labels were
   too small to read); definitions not indented by half the screen */
@media (max-width:640px){body{margin:1rem auto}.chart img{max-width:none}dd{margin-left:.8rem}}
"""


# C0 controls (but tab and newlines) and DEL: a NUL in a comment made the HTML file invalid
_CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _e(value: object) -> str:
    return html.escape(_CONTROL_CHARACTERS.sub(" ", "" if value is None else str(value)), quote=True)


REPORT_COMMENTS = 20  # comments per question in the report; all of them are in the data export


def _more_comments(shown: int, counted: list[tuple[str, int]]) -> str:
    """What a question's list leaves out; ``counted``: its comments, as :func:`counted_comments`."""
    people = sum(n for _, n in counted)
    total = f"{len(counted)} comments" if people == len(counted) else f"{len(counted)} different comments (by {people:,} people)"
    return (f"{shown} of {total}, picked at random (the same ones in every copy while the comments "
            "do not change); all of them are in the campaign's Excel export (comments sheet), which leadership can "
            "download once the campaign is closed.")


# Scores, effect sizes and reliabilities: two decimal places, the same in every row (as APA tables
# give them); other numbers (levels, weights, percentages) to three significant figures.
_CELL_PADDING = 2.5  # mm: fpdf's cell padding both sides


def _least_width(pdf, column, texts: list[str]) -> float:
    """The width (mm) a PDF table column needs for its longest word, header included."""
    pdf.set_font("DejaVu", "B", 7.5)
    header_words = [pdf.get_string_width(w) for w in str(column).split()] or [0.0]
    pdf.set_font("DejaVu", "", 7.5)
    words = [pdf.get_string_width(w) for t in texts for w in t.split()] or [0.0]
    return max(header_words + words) + _CELL_PADDING


def _parts_that_fit(pdf, frame: pd.DataFrame, keep: list[str], total: float) -> list[pd.DataFrame]:
    """A table too wide for the page as consecutive tables that each fit, every one led by the
    ``keep`` columns (the row's name): the all-groups table has a mean column per group, and with
    eight directorates it broke 'Business' and 'ANOVA' mid-word in the PDF; the scales table, with
    two long group names in six of its headers, broke a p-value ('0.154' as '0.15' over '4')."""
    need = {column: _least_width(pdf, column, [insights.readable_cell(column, v) for v in frame[column]])
            for column in frame.columns}
    base = sum(need[c] for c in keep)
    parts: list[list[str]] = [[]]
    for column in (c for c in frame.columns if c not in keep):
        if parts[-1] and base + sum(need[c] for c in parts[-1]) + need[column] > total:
            parts.append([])
        parts[-1].append(column)
    return [frame[keep + part] for part in parts]


def _column_widths(pdf, columns, cells: list[list[str]], total: float) -> list[float]:
    """PDF table column widths (mm) summing to ``total``: every column at least as wide as its
    longest word, so no word or number is broken across lines while that fits; what is left goes
    to the columns whose text wants more room (long names, sentences), in proportion to how much.
    """
    longest_line = 60.0  # mm: wider text wraps anyway
    least, wanted = [], []
    for j, column in enumerate(columns):
        texts = [row[j] for row in cells]
        least.append(_least_width(pdf, column, texts))
        pdf.set_font("DejaVu", "", 7.5)
        whole = [pdf.get_string_width(t) for t in texts] or [0.0]
        wanted.append(max(least[-1], min(max(whole), longest_line) + _CELL_PADDING))
    if sum(wanted) <= total:
        spare = total - sum(wanted)
        return [w + spare * w / sum(wanted) for w in wanted]
    if sum(least) >= total:  # even single words do not fit: shrink evenly (some will break)
        return [w * total / sum(least) for w in least]
    spare, more = total - sum(least), [w - m for w, m in zip(wanted, least)]
    return [m + spare * extra / sum(more) for m, extra in zip(least, more)]


ALL_GROUPS_NOTE = ("Per scale: each group's mean; Welch's ANOVA, whether the means differ at all (p Holm-adjusted "
                   "across scales); and the pairs whose difference holds (Welch t, Holm-adjusted across the pairs).")


def _row_notes(frame: pd.DataFrame) -> list[str]:
    """A table's notes as lines under it ("Business understanding: no variation within group …"): the
    tables are printed without their note column, which does not fit a page's width, and a blank
    F or p beside "groups differ: yes" must still say why."""
    if "note" not in frame.columns:
        return []
    return [f"{row['scale']}: {row['note']}" for row in frame.to_dict("records") if isinstance(row["note"], str) and row["note"]]


EVERY_MODE_ACHIEVED = "Every operating mode is achieved: no capability is below any mode's target, so there are no gaps to rank."


def _comments_caption(c) -> str:
    """Above the comments. With flagged responses left out of the figures the comments still hold
    theirs (surveys.exports.reportable_comments: leaving them out would single those people out), as
    the dashboard says — the report left a reader to assume the comments followed the figures."""
    return (f"Shown because at least {c.campaign.comment_threshold} people commented; in random order; a comment several "
            "people wrote once, with their number."
            + (" Unlike the figures, the comments include those of responses flagged for data quality (leaving theirs out "
               "would single them out)." if c.excluded_flagged else ""))


def _perception_heading(c) -> str:
    """The survey section's title: the two groups it compares, by name."""
    names = [c.instrument.group_name(g) for g in (c.compared or c.instrument.group_ids()[:2])]
    if c.described is not None:
        return f"What {c.instrument.group_name(c.described_group)} say"
    return f"What {names[0]} and {names[1]} say" if len(names) == 2 else "What the survey says"


def _table_html(frame: pd.DataFrame) -> str:
    if frame is None or frame.empty:
        return "<p class='muted'>No data.</p>"
    texts = [[insights.readable_cell(column, value) for column, value in zip(frame.columns, record)]
             for record in frame.itertuples(index=False)]
    # a column of sentences ("why not achieved") keeps a readable width on a phone, where the table
    # scrolls sideways; squeezed to its share of 375 px it ran a page tall
    prose = {i for i in range(len(frame.columns)) if any(len(str(row[i])) > 60 for row in texts)}
    head = "".join(f"<th{' class=prose' if i in prose else ''}>{_e(c)}</th>" for i, c in enumerate(frame.columns))
    rows = ["<tr>" + "".join(f"<td{' class=prose' if i in prose else ''}>{_e(text)}</td>" for i, text in enumerate(row)) + "</tr>"
            for row in texts]
    # in a frame of its own that scrolls sideways: a table wider than the page (long group names, a note
    # column) otherwise ran past its right edge and squeezed the note to a word a line
    return f"<div class='table'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def render_html(content: ReportContent) -> str:
    a, c, plan = content.assessment, content.campaign, content.plan
    parts = [f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(content.title)}</title>",
             f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{_CSS}</style></head><body>",
             f"<h1>{_e(content.title)}</h1><p class='muted'>Generated {content.generated_at:%d %B %Y} by itcap</p>"]
    parts.append("<h2>Executive summary</h2>")
    if a:
        parts.append(f"<p class='lead'>{_e(insights.position_headline(a))}</p>")
        if confidence := insights.confidence_note(a):
            parts.append(f"<p class='muted'>{_e(confidence)}</p>")
        if note := a.provisional_note():
            parts.append(f"<p class='provisional'><strong>{_e(note)}</strong></p>")
        elif note := a.closed_incomplete_note():
            parts.append(f"<p class='muted'>{_e(note)}</p>")
    parts.append("<ul>" + "".join(f"<li>{_e(p)}</li>" for p in summary_points(content)) + "</ul>")
    if guide := reading_guide(content):
        parts.append("<h2>How to read this report</h2><dl>"
                     + "".join(f"<dt><strong>{_e(term)}</strong></dt><dd>{_e(text)}</dd>" for term, text in guide) + "</dl>")
    chart_list = report_charts(content)
    if a:
        parts.append("<h2>Maturity and position</h2>")
        parts.append(_table_html(a.modes_frame()))
        for title, chart in chart_list:
            if title.startswith(("Maturity", "Gaps")):
                parts.append(_chart_html(title, chart))
        if a.result.next_mode is None:  # no gaps to show: said, not a heading over 'No data.'
            parts.append(f"<p>{_e(EVERY_MODE_ACHIEVED)}</p>")
        else:
            parts.append(f"<h3>Gaps to {_e(a.result.next_mode.name)}</h3>")
            parts.append(_table_html(a.gaps_frame().drop(columns=["capability_id"])))
        overrides = a.overrides_frame()
        if len(overrides):
            parts.append(f"<h3>{insights.OVERRIDES_HEADING}</h3><p>{_e(insights.OVERRIDES_NOTE)}</p>" + _table_html(overrides))
        verdict = insights.reliability_verdict(a.reliability)
        parts.append("<h3>How far the assessors agree</h3>" + (f"<p>{_e(verdict)}</p>" if verdict else "")
                     + _table_html(insights.reliability_table(a.reliability)))
        parts += [f"<p class='muted'>{_e(note)}</p>" for note in a.reliability.notes]
    if c:
        parts.append(f"<h2>{_e(_perception_heading(c))}</h2>")
        if c.figures is None:
            parts.append(f"<p>{_e(c.problem)}</p>")
        else:
            if c.described is not None:
                parts.append(f"<p>{_e(c.problem)} {_e(c.described_note())}</p>")
            for title, chart in chart_list:
                if title.startswith(("Perception", "Importance")):
                    parts.append(_chart_html(title, chart))
            scales = c.figures_scale_table(mode_names=insights.reading_names(content.assessment))
            if "note" in scales.columns and scales["note"].isna().all():
                scales = scales.drop(columns=["note"])
            parts.append("<h3>Scales</h3>" + _table_html(scales))
            every = c.all_groups_table()
            if len(every):
                parts.append(f"<h3>All {len(c.all_groups['groups'])} groups at once</h3><p class='muted'>"
                             f"{_e(ALL_GROUPS_NOTE)}</p>" + _table_html(every.drop(columns=['note'], errors='ignore')))
                parts += [f"<p class='muted'>{_e(note)}</p>" for note in _row_notes(every)]
            if content.comments:
                parts.append(f"<h3>Comments</h3><p class='muted'>{_e(_comments_caption(c))}</p>")
                items = c.instrument.item_map()
                for item_id, texts in content.comments.items():
                    parts.append(f"<h4>{_e(items[item_id].text if item_id in items else item_id)}</h4>")
                    counted = counted_comments(texts)  # a comment written by several people once, with their number
                    # the number apart from the words, in its own style: a respondent can write "(40 people)" too
                    parts.extend(f"<div class='comment'>{_e(t)}" + (f" <span class='muted'>— {n:,} people</span>" if n > 1 else "")
                                 + "</div>" for t, n in counted[:REPORT_COMMENTS])
                    if len(counted) > REPORT_COMMENTS:
                        parts.append(f"<p class='muted'>{_e(_more_comments(REPORT_COMMENTS, counted))}</p>")
        parts.append("<h3>Participation</h3>")
        for title, chart in chart_list:
            if title == "Response rates":
                parts.append(_chart_html(title, chart))
        parts.append(_table_html(c.rates_table()))
        for note in filter(None, (c.imported_note(), c.participation_note())):
            parts.append(f"<p class='muted'>{_e(note)}</p>")
    if any(title.startswith("Progress") for title, _ in chart_list):
        parts.append("<h2>Progress since earlier rounds</h2>")
        parts.append("<ul>" + "".join(f"<li>{_e(p)}</li>" for p in progress_points(content)) + "</ul>")
        for title, chart in chart_list:
            if title.startswith("Progress"):
                parts.append(_chart_html(title, chart))
    if plan is not None:
        parts.append("<h2>Recommendations</h2>")
        if plan.next_mode_id is None:
            parts.append("<p>Every operating mode is achieved.</p>")
        else:
            parts.append(f"<h3>First 100 days — towards {_e(plan.next_mode_name)}</h3>")
            if tie := plan.first_100_days_tie_note():
                parts.append(f"<p class='muted'>{_e(tie)}</p>")
            for rec in plan.first_100_days:
                level = "not rated" if rec.consensus is None else f"{level_for_display(rec.consensus):g}"
                parts.append(f"<div class='rec'><strong>{rec.rank}. {_e(rec.capability_name)}</strong> — {_e(rec.category_name)}, "
                             f"level {_e(level)} → {rec.target}<br>{_e(rec.text)}</div>")
            for category in plan.categories:
                parts.append(f"<h3>{_e(category.category_name)}</h3><ul>")
                for rec in category.recommendations:
                    parts.append(f"<li><strong>{_e(rec.capability_name)}</strong> ({_e(_gap_words(rec))}): {_e(rec.text)}</li>")
                for finding in category.findings:
                    parts.append(f"<li><em>What people say:</em> {_e(finding.statement)} {_e(finding.recommendation)}</li>")
                parts.append("</ul>")
    if a:
        parts.append("<h2>Assessors</h2>")
        parts.append(_chart_html(*numbered_heatmap(a)))
    parts.append("<h2>Methods</h2><ul>" + "".join(f"<li>{_e(p)}</li>" for p in methods_points(content)) + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


HEATMAP_TITLE = "Where the assessors disagree (⚑ two or more levels apart; – not rated; assessors numbered, not named)"


def assessor_numbers(a: insights.AssessmentInsight) -> dict[str, str]:
    """The heatmap's label of each assessor → "Assessor n". Not by username (or name): in
    alphabetical order the numbers would give the names away. Nor drawn afresh at every render, or
    two copies of a report (a second download, another replica, the CLI) number them differently:
    ordered by an HMAC-SHA-256 of the assessor's account id, keyed with the moment the assessment was
    created, to the microsecond — stored, the same every time, and shown nowhere — so the numbers
    are the same in every copy, and a reader who knows the (small, sequential) account ids, or the
    order accounts were made in, still cannot work them out. Whoever can read the database can; they
    can read the ratings too. A rating by someone no longer on the panel is placed by their username."""
    import hmac

    labels = a.assessor_names()
    accounts = {p.username: p.account_id for p in a.progress}
    secret = f"assessment {a.assessment.id} created {a.assessment.created_at.isoformat()}".encode("utf-8")

    def key(username: str) -> str:
        who = f"account {accounts[username]}" if username in accounts else f"user {username}"
        return hmac.new(secret, who.encode("utf-8"), hashlib.sha256).hexdigest()

    usernames = sorted({u for item in a.consensus for u in item.levels}, key=key)  # the heatmap's columns
    return {labels.get(u, u): f"Assessor {n}" for n, u in enumerate(usernames, start=1)}


def numbered_heatmap(a: insights.AssessmentInsight) -> tuple[str, object]:
    """The disagreement heatmap with the assessors numbered, not named: board papers are often
    published, and one person's levels are not the board's business (the dashboard shows names to
    those who may see them). Numbered by :func:`assessor_numbers`: not in the names' order, and the
    same in every copy."""
    levels = a.heatmap_frame()
    numbers = assessor_numbers(a)
    return HEATMAP_TITLE, charts.disagreement_heatmap(levels.assign(assessor=levels["assessor"].map(numbers)), a.model.max_level)


def _chart_html(title: str, chart) -> str:
    svg = charts.to_svg(chart)
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    # An <img> of the SVG: self-contained, and nothing in the chart can run as script in the page.
    return f"<figure class='chart'><img alt='{_e(title)}' src='data:image/svg+xml;base64,{encoded}'><figcaption class='muted'>{_e(title)}</figcaption></figure>"


# -- PDF --------------------------------------------------------------------------------------------
def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


MISSING_GLYPH = "□"


def render_pdf(content: ReportContent) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    class ReportPdf(FPDF):
        """Text the font cannot draw (Chinese, Arabic… in a comment) shows as □ and is said, instead of
        vanishing without a word; control characters (a tab, a NUL) become spaces. (The characters are
        collected, not counted: fpdf normalises a text again to measure it.)"""
        unshown: set[str] = set()

        def normalize_text(self, text: str) -> str:
            cmap = self.current_font.cmap if self.is_ttf_font and self.current_font is not None else None
            if cmap is not None:
                out = []
                for char in text:
                    if char in "\n\r":
                        out.append(char)
                    elif ord(char) < 32 or 0x7F <= ord(char) < 0xA0:
                        out.append(" ")
                    elif ord(char) in cmap:
                        out.append(char)
                    else:
                        out.append(MISSING_GLYPH)
                        self.unshown.add(char)
                text = "".join(out)
            return super().normalize_text(text)

    pdf = ReportPdf(format="A4")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(fonts / "DejaVuSans-Oblique.ttf"))
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(content.title)
    pdf.set_creator("itcap")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def heading(text: str, size: int = 15, keep: float = 0) -> None:
        # not stranded at the foot of a page, apart from what it heads (``keep``: the height in mm of
        # what follows and must stay with it, such as a chart)
        if pdf.get_y() > pdf.h - 50 or pdf.get_y() + 12 + keep > pdf.h - 20:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(width, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def para(text: str, style: str = "", size: int = 10) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(width, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)

    def bullet(text: str) -> None:
        pdf.set_font("DejaVu", "", 10)
        pdf.cell(5, 5, "•")
        pdf.multi_cell(width - 5, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rendered(chart) -> tuple[bytes, float, float]:
        """The chart as PNG, with the width and height in mm it takes on the page."""
        png = charts.to_png(chart, scale=2)
        from PIL import Image

        with Image.open(io.BytesIO(png)) as im:
            w_px, h_px = im.size
        w_mm = min(width, w_px / 2 * 0.2646)  # 96 dpi at scale 2
        return png, w_mm, h_px / w_px * w_mm

    def image(title: str, chart) -> None:
        png, w_mm, h_mm = chart if isinstance(chart, tuple) else rendered(chart)
        if pdf.get_y() + h_mm > pdf.h - 20:
            pdf.add_page()
        pdf.image(io.BytesIO(png), x=pdf.l_margin + (width - w_mm) / 2, w=w_mm, h=h_mm)
        para(title, "I", 9)

    def table(frame: pd.DataFrame) -> None:
        if frame is None or frame.empty:
            para("No data.", "I")
            return
        # too wide for the page even at a word a line (long group names): several tables, each led by the
        # first column, rather than columns shrunk until '0.154' reads '0.15' over '4'
        for part in _parts_that_fit(pdf, frame, [frame.columns[0]], width):
            one_table(part)

    def one_table(frame: pd.DataFrame) -> None:
        pdf.set_font("DejaVu", "", 7.5)
        cells = [[insights.readable_cell(column, value) for column, value in zip(frame.columns, record)] for record in frame.itertuples(index=False)]
        widths = _column_widths(pdf, frame.columns, cells, width)
        # a table that fits on a page is not split across two (one row left behind reads as a separate table):
        # rows measured at their wrapped height, roughly
        lines = [max(1 + int(pdf.get_string_width(v) // max(w - 2, 1)) for v, w in zip(row, widths)) for row in [list(map(str, frame.columns)), *cells]]
        height = sum(4 * n + 1 for n in lines)
        if pdf.get_y() + height > pdf.h - pdf.b_margin and height < pdf.h - pdf.t_margin - pdf.b_margin - 20:
            pdf.add_page()
        with pdf.table(text_align="LEFT", line_height=4, col_widths=tuple(widths)) as t:
            row = t.row()
            for column in frame.columns:
                row.cell(str(column))
            for values in cells:
                row = t.row()
                for value in values:
                    row.cell(value)
        pdf.ln(2)

    a, c, plan = content.assessment, content.campaign, content.plan
    pdf.set_font("DejaVu", "B", 18)
    pdf.multi_cell(width, 9, content.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    para(f"Generated {content.generated_at:%d %B %Y} by itcap", "I", 9)
    heading("Executive summary")
    if a:
        para(insights.position_headline(a), "B", 12)
        if confidence := insights.confidence_note(a):
            para(confidence, "I", 9)
        if note := a.provisional_note():
            para(note, "B", 10)
        elif note := a.closed_incomplete_note():
            para(note, "I", 9)
    for point in summary_points(content):
        bullet(point)
    if guide := reading_guide(content):
        heading("How to read this report", 12)
        for term, text in guide:
            para(term, "B", 10)
            para(text, "", 9)
    chart_list = dict(report_charts(content))
    if a:
        heading("Maturity and position")
        table(a.modes_frame().drop(columns=["why not achieved"]))
        for mode in a.result.modes:
            if mode.reason:
                bullet(f"{mode.name}: {mode.reason}")
        for title, chart in chart_list.items():
            if title.startswith(("Maturity", "Gaps")):
                image(title, chart)
        if a.result.next_mode is None:  # a bare 'No data.' under the radar's caption read as the chart's
            para(EVERY_MODE_ACHIEVED)
        else:
            if a.result.next_mode.gaps:  # the table gets its own title: it may start a page
                heading(f"Gaps to {a.result.next_mode.name}", 12)
            table(a.gaps_frame().drop(columns=["capability_id"]))
        overrides = a.overrides_frame()
        if len(overrides):
            heading(insights.OVERRIDES_HEADING, 12)
            para(insights.OVERRIDES_NOTE)
            table(overrides)
        heading("How far the assessors agree", 12)
        if verdict := insights.reliability_verdict(a.reliability):
            para(verdict)
        table(insights.reliability_table(a.reliability))
        for note in a.reliability.notes:
            para(note, "I", 9)
    if c:
        drawn = [] if c.figures is None else [(title, rendered(chart)) for title, chart in chart_list.items()
                                                 if title.startswith(("Perception", "Importance"))]
        heading(_perception_heading(c), keep=drawn[0][1][2] if drawn else 0)  # with its first chart, on one page
        if c.figures is None:
            para(c.problem or "No results.")
        else:
            if c.described is not None:
                para(f"{c.problem} {c.described_note()}")
            for title, chart in drawn:
                image(title, chart)
            heading("Scales", 12)
            scales = c.figures_scale_table(mode_names=insights.reading_names(content.assessment))
            table(scales.drop(columns=["note"], errors="ignore"))
            for note in _row_notes(scales):
                para(note, "I", 9)
            every = c.all_groups_table()
            if len(every):
                heading(f"All {len(c.all_groups['groups'])} groups at once", 12)
                para(ALL_GROUPS_NOTE, "I", 9)
                table(every.drop(columns=["note", "Kruskal–Wallis p (Holm)"], errors="ignore"))
                for note in _row_notes(every):
                    para(note, "I", 9)
            if content.comments:
                heading("Comments", 12)
                para(_comments_caption(c), "I", 9)
                items = c.instrument.item_map()
                for item_id, texts in content.comments.items():
                    para(items[item_id].text if item_id in items else item_id, "B")
                    counted = counted_comments(texts)
                    for text, people in counted[:REPORT_COMMENTS]:
                        bullet(text)
                        if people > 1:  # on a line of its own, in italics: not part of what was written
                            para(f"      {people:,} people wrote this", "I", 8)
                    if len(counted) > REPORT_COMMENTS:
                        para(_more_comments(REPORT_COMMENTS, counted), "I", 9)
        heading("Participation", 12)
        for title, chart in chart_list.items():
            if title == "Response rates":
                image(title, chart)
        table(c.rates_table())
        for note in filter(None, (c.imported_note(), c.participation_note())):
            para(note, "I", 9)
    if any(title.startswith("Progress") for title in chart_list):
        heading("Progress since earlier rounds")
        for point in progress_points(content):
            bullet(point)
        for title, chart in chart_list.items():
            if title.startswith("Progress"):
                image(title, chart)
    if plan is not None:
        heading("Recommendations")
        if plan.next_mode_id is None:
            para("Every operating mode is achieved.")
        else:
            heading(f"First 100 days — towards {plan.next_mode_name}", 12)
            if tie := plan.first_100_days_tie_note():
                para(tie, "I", 9)
            for rec in plan.first_100_days:
                level = "not rated" if rec.consensus is None else f"{level_for_display(rec.consensus):g}"
                para(f"{rec.rank}. {rec.capability_name} — {rec.category_name}, level {level} → {rec.target}", "B")
                para(rec.text)
            for category in plan.categories:
                heading(category.category_name, 11)
                for rec in category.recommendations:
                    bullet(f"{rec.capability_name} ({_gap_words(rec)}): {rec.text}")
                for finding in category.findings:
                    bullet(f"What people say: {finding.statement} {finding.recommendation}")
    if a:  # as in the HTML report: the PDF went from Recommendations straight to Methods
        heading("Assessors")
        image(*numbered_heatmap(a))
    heading("Methods")
    for point in methods_points(content):
        bullet(point)
    if pdf.unshown:
        para(f"Characters this PDF's font cannot draw (in people's comments, typically) appear as {MISSING_GLYPH}; "
             "the HTML report shows every character.", "I", 9)
    return bytes(pdf.output())


def write_report(content: ReportContent, path: str | Path) -> None:
    path = Path(path)
    if path.suffix.lower() == ".pdf":
        path.write_bytes(render_pdf(content))
    elif path.suffix.lower() in (".html", ".htm"):
        path.write_text(render_html(content), encoding="utf-8")
    else:
        raise ValueError(f"{path}: the report is written as .html or .pdf")
