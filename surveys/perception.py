"""The survey's reading of the operating mode, and perception findings for the recommendations.

Each scale (dimension) of an instrument may be tagged with the operating mode it evidences. From a
two-group comparison document (:func:`surveys.stats.compare_groups`), or — with nothing to compare —
one group's own (:func:`surveys.stats.describe_group`):

* a scale's **score** is the mean of the group means, so that each group's view counts equally
  however many of each answered (200 business users must not outvote 100 IT staff); with one
  group, that group's mean — the reading is then that group's view alone, and says so;
* a scale **supports** its mode when that score reaches the agreement threshold — by default
  5/8 of the way from the bottom to the top of the response scale, i.e. 3.5 on a 1–5 agreement
  scale: halfway between "neither" and "agree";
* the score's **95% confidence interval** treats the groups as independent samples: the variance of
  the mean of G group means is Σ(sd²/n)/G², with Welch–Satterthwaite degrees of freedom (for one
  group, the one-sample t interval; for two, half the width of Welch's interval for their
  difference). A threshold inside it is said to be within sampling error: other respondents
  from the same staff could put the score on either side;
* a mode is **supported** when it has at least one scale and every one of its scales supports it;
  the survey-based position is the highest mode such that it and every lower mode are supported
  (``"none"`` otherwise). A mode the instrument does not measure cannot be supported.

Findings for the recommendations: a scale scored below the midpoint of the response scale
(respondents lean towards disagreeing), or by one group below it; one on which the groups differ
(verdict ``differs``); and one that keeps the survey from reading its next mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from scipy import stats as sps

from assessment.recommendations import PerceptionFinding
from surveys.instrument import Instrument

AGREEMENT_FRACTION = 0.625


def agreement_threshold(lo: float, hi: float) -> float:
    """The score at which a scale supports its mode: 3.5 on a 1–5 scale (5/8 of the way up)."""
    return lo + AGREEMENT_FRACTION * (hi - lo)


def score_below(score: float, threshold: float) -> str:
    """A score under its threshold, with as many decimals as it takes not to read as reaching it
    (3.497 is not "3.50" beside "at least 3.50")."""
    for decimals in range(2, 10):
        text = f"{score:.{decimals}f}"
        if float(text) < threshold:
            return text
    return repr(score)


NO_POSITION = "none"


@dataclass(frozen=True)
class ScaleReading:
    id: str
    name: str
    mode: str | None
    score: float | None  # mean of group means; None when suppressed or unanswered
    group_means: dict[str, float | None]
    threshold: float
    supports: bool
    verdict: str | None
    missing: str | None = None  # why there is no score (None when there is one)
    ci95: tuple[float, float] | None = None  # of the score (score_interval); None when it has no score or no spread

    @property
    def within_sampling_error(self) -> bool:
        """Whether the threshold lies inside the score's 95% interval: the survey cannot tell which
        side of it the staff as a whole are."""
        return self.ci95 is not None and self.ci95[0] < self.threshold < self.ci95[1]


def score_interval(means: list[float], sds: list[float], ns: list[int], level: float = 0.95) -> tuple[float, float] | None:
    """The confidence interval of the mean of independent group means (see the module's docstring),
    or None when it is undefined: a group of fewer than two, a missing SD, or no spread at all."""
    if not means or len(means) != len(sds) or len(means) != len(ns):
        return None
    if any(m is None or sd is None or n is None or n < 2 or not math.isfinite(sd) for m, sd, n in zip(means, sds, ns)):
        return None
    variances = [sd * sd / n for sd, n in zip(sds, ns)]
    total = sum(variances)
    if total <= 0:
        return None
    df = total ** 2 / sum(v * v / (n - 1) for v, n in zip(variances, ns) if v > 0)
    half = float(sps.t.ppf(0.5 + level / 2, df)) * math.sqrt(total) / len(means)
    centre = sum(means) / len(means)
    return centre - half, centre + half


@dataclass(frozen=True)
class ModeReading:
    id: str
    scales: list[str]
    supported: bool


@dataclass(frozen=True)
class PerceptionReading:
    position: str  # mode id or "none"
    modes: list[ModeReading]
    scales: list[ScaleReading]
    note: str | None = None
    # scales tagged with a mode the model does not have (a typo, or another model's modes): left out
    unmatched: list[str] = field(default_factory=list)
    # the mode above ``position`` that the survey cannot judge: none of its scored scales falls short,
    # but some have no score — the reading is then "at least ``position``", not "no higher"
    undetermined: str | None = None

    @property
    def available(self) -> bool:
        return self.note is None

    def next_mode_shortfall(self) -> tuple[str, list[ScaleReading]] | None:
        """The lowest mode the survey does not support, with those of its scales that fall short
        (or have no score); None when every mode is supported."""
        for mode in self.modes:
            if not mode.supported:
                return mode.id, [s for s in self.scales if s.id in mode.scales and not s.supports]
        return None


def scale_range(instrument: Instrument, scale_id: str) -> tuple[float, float]:
    members = instrument.scale_items(scale_id)
    lo, hi = instrument.item_range(members[0])
    return float(lo), float(hi)


def _compared_groups(document: dict) -> list[str]:
    return [g for g in document.get("compared", []) if g in document.get("groups", {})]


def perception_reading(document: dict, instrument: Instrument, mode_order: list[str],
                       every_group: dict | None = None) -> PerceptionReading:
    """The survey-based position from a two-group comparison document — or, where there is nothing
    to compare, from one group's own document (:func:`surveys.stats.describe_group`): the scores
    are then that group's means, and the interval the one-sample t interval.

    ``every_group``: the many-group document of all groups with at least k responses (three or
    more); the scale scores are then the mean of all their means, so the reading is the
    organisation's, not that of whichever pair the dashboard compares (the verdicts stay the pair's)."""
    groups = _compared_groups(document)
    described = document.get("described") in document.get("groups", {})
    if (len(groups) != 2 and not described) or document.get("note"):
        note = document.get("note") or "the survey reading needs exactly two groups above the reporting threshold"
        return PerceptionReading(NO_POSITION, [], [], note=note)
    a, b = groups if not described else (None, None)
    # one group's own document (surveys.stats.describe_group) is read as the many-group one is
    every = {entry["id"]: entry for entry in (document if described else every_group or {}).get("scales", [])}
    scales: list[ScaleReading] = []
    for entry in document.get("scales", []):
        scale = instrument.scale(entry["id"])
        lo, hi = scale_range(instrument, scale.id)
        threshold = agreement_threshold(lo, hi)
        if entry["id"] in every:
            means = dict(every[entry["id"]].get("mean") or {})
            sds, ns = every[entry["id"]].get("sd") or {}, every[entry["id"]].get("n") or {}
        else:
            means = {a: entry.get("mean_a"), b: entry.get("mean_b")}
            sds, ns = {a: entry.get("sd_a"), b: entry.get("sd_b")}, {a: entry.get("n_a"), b: entry.get("n_b")}
        present = [m for m in means.values() if m is not None]
        score = sum(present) / len(present) if present and len(present) == len(means) else None
        interval = (score_interval(list(means.values()), [sds.get(g) for g in means], [ns.get(g) for g in means])
                    if score is not None else None)
        scales.append(ScaleReading(scale.id, scale.name, scale.mode, score, means, threshold,
                                   score is not None and score >= threshold, entry.get("verdict"),
                                   None if score is not None else _why_no_score(entry), interval))
    if scales and all(s.score is None for s in scales):
        # nothing to read: "not yet Supplier" would be a finding, and a disagreement with the assessment
        reasons = list(dict.fromkeys(s.missing for s in scales))
        if reasons == [NOBODY_HALF]:
            reasons = ["no respondent answered at least half the items of any scale"]
        return PerceptionReading(NO_POSITION, [], scales, note="no survey scale has a score to read: " + "; ".join(reasons))
    tagged = {s.mode for s in scales if s.mode}
    if mode_order and tagged and not tagged & set(mode_order):
        # e.g. the shipped survey beside a COBIT-style model: "not yet <first mode>" would be a
        # reading, and the dashboard would call it a disagreement with the assessment
        return PerceptionReading(NO_POSITION, [], scales, note=(
            f"the survey's scales evidence modes ({', '.join(sorted(tagged))}) that the capability model does not have "
            f"(its modes: {', '.join(mode_order)}), so the survey gives no reading against it"))
    unmatched = [s.name for s in scales if s.mode and s.mode not in mode_order]
    modes: list[ModeReading] = []
    position = NO_POSITION
    climbing = True
    undetermined = None
    for mode_id in mode_order:
        members = [s for s in scales if s.mode == mode_id]
        supported = bool(members) and all(s.supports for s in members)
        modes.append(ModeReading(mode_id, [s.id for s in members], supported))
        if climbing and supported:
            position = mode_id
        elif climbing:
            climbing = False
            scored = [s for s in members if s.score is not None]
            if not members or (len(scored) < len(members) and all(s.supports for s in scored)):
                undetermined = mode_id  # no scale evidences it, or only scales without a score stand in its way
    return PerceptionReading(position, modes, scales, unmatched=unmatched, undetermined=undetermined)


NOBODY_HALF = "no respondent answered at least half its items"  # a scale score needs half its items


def _why_no_score(entry: dict) -> str:
    """A scale's comparison note, said as the reason it has no score."""
    note = entry.get("note") or ""
    if note.startswith("answered by nobody"):
        return NOBODY_HALF
    return note.split(";")[0] or "a group was not reported"


def perception_findings(document: dict, instrument: Instrument, reading: PerceptionReading | None = None,
                        mode_names: dict[str, str] | None = None) -> list[PerceptionFinding]:
    """Scales worth acting on: scored below the midpoint, or by one group below it; where the two
    groups differ; and — given the ``reading`` the dashboard's banner shows — those that keep the
    survey from its next mode (the banner names them; a recommendation list without them left the
    board asking why). Scores and group means are the reading's, when given, so the two agree."""
    reading = reading if reading is not None and reading.available else perception_reading(document, instrument, [])
    found = reading.next_mode_shortfall() if reading.modes else None
    holding_back = {s.id: found[0] for s in found[1]} if found else {}
    pairs = {entry["id"]: entry for entry in document.get("scales", [])}
    verdicts = {scale_id: entry.get("verdict") for scale_id, entry in pairs.items()}
    compared = _compared_groups(document)
    findings: list[PerceptionFinding] = []
    for scale_reading in reading.scales:
        scale = instrument.scale(scale_reading.id)
        if not scale.category or scale_reading.score is None:
            continue
        lo, hi = scale_range(instrument, scale.id)
        midpoint = (lo + hi) / 2
        names = {g: instrument.group_name(g) for g in scale_reading.group_means}
        detail = ", ".join(f"{names[g]} {m:.2f}" for g, m in scale_reading.group_means.items() if m is not None)
        entry = pairs.get(scale_reading.id, {})  # the verdict is the compared pair's: their means, not every group's
        pair = ", ".join(f"{instrument.group_name(g)} {entry[key]:.2f}" for g, key in zip(compared, ("mean_a", "mean_b"))
                         if entry.get(key) is not None) or detail
        parts = []
        low = [g for g, m in scale_reading.group_means.items() if m is not None and round(m, 2) < midpoint]

        def near_neutral(groups: list[str]) -> str:
            """The compared groups below the midpoint whose mean's 95% CI still reaches it: a lean the
            data cannot tell from neutral is said as such (a board reads "lean" as a finding)."""
            spanning = [names[g] for g, side in zip(compared, ("a", "b")) if g in groups
                        and (entry.get(f"mean_ci95_{side}") or [None, None])[1] is not None
                        and entry[f"mean_ci95_{side}"][1] >= midpoint]
            return (f" — though within chance of neutral for {' and '.join(spanning)} (95% CI reaching {midpoint:g})"
                    if spanning else "")

        # below, as printed: 2.998 reads 3.00, which is not below 3
        answered = [g for g, m in scale_reading.group_means.items() if m is not None]
        # one group's own figures (nothing compared): "the mean of Business users 2.94" would say more than there is
        whose = f"the mean of {detail}" if len(scale_reading.group_means) > 1 else f"from {names[answered[0]]} alone"
        if round(scale_reading.score, 2) < midpoint and set(low) >= set(answered):
            parts.append(f"respondents lean towards disagreeing (score {scale_reading.score:.2f} on {lo:g}–{hi:g}, "
                         f"{whose}; {midpoint:g} is neither agree nor disagree){near_neutral(low)}")
        elif round(scale_reading.score, 2) < midpoint:
            # the groups fall either side: "respondents lean towards disagreeing" put it on those who do not
            who = " and ".join(names[g] for g in low)
            parts.append(f"{who} lean towards disagreeing, taking the score to {scale_reading.score:.2f} on {lo:g}–{hi:g} "
                         f"(the mean of {detail}; {midpoint:g} is neither agree nor disagree){near_neutral(low)}")
        elif low:
            who = " and ".join(names[g] for g in low)  # groups of people: "IT staff lean", "Finance lean"
            parts.append(f"{who} lean towards disagreeing "
                         f"({detail} on {lo:g}–{hi:g}; {midpoint:g} is neither agree nor disagree){near_neutral(low)}")
        if scale_reading.id in holding_back:
            mode = holding_back[scale_reading.id]
            mode_name = (mode_names or {}).get(mode, mode.replace("_", " ").title())
            parts.append(f"it keeps the survey from reading {mode_name}: its score {score_below(scale_reading.score, scale_reading.threshold)} is under the "
                         f"{scale_reading.threshold:g} each of that mode's scales needs")
        if verdicts.get(scale_reading.id, scale_reading.verdict) == "differs":
            parts.append(f"the groups differ ({pair})")
        if parts:
            findings.append(PerceptionFinding(scale.category, scale.id, scale.name,
                                              f"{scale.name}: " + "; ".join(parts) + ".", scale.recommendation))
    return findings
