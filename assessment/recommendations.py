"""Recommendations: what to do first, grouped by finding category.

From the gaps to the next operating mode (the lowest mode not yet achieved) each capability below its
target yields a recommendation — the model's own text for that capability — ranked by

    priority = shortfall × capability weight

(ties: larger shortfall, then model order). Perception findings from the survey (scales where
respondents disagree with the statements on average, or where business users and IT staff differ)
are attached to their finding category as supporting evidence; they do not change the ranking,
which stays traceable to the assessment alone.

The "first 100 days" cut is the short list to start with: every capability that blocks the next mode
on its own (more than one level short), then the highest-priority others, up to
``FIRST_100_DAYS_MAX`` items in all (blockers are never cut).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from capability_model.positioning import PositionResult
from capability_model.schema import CapabilityModel

FIRST_100_DAYS_MAX = 5


@dataclass(frozen=True)
class Recommendation:
    rank: int
    capability_id: str
    capability_name: str
    category_id: str
    category_name: str
    mode_id: str
    target: int
    consensus: float | None
    shortfall: float
    weight: float
    priority: float
    blocking: bool  # more than one level short: blocks the mode on its own
    first_100_days: bool
    text: str


@dataclass(frozen=True)
class PerceptionFinding:
    """A survey result worth acting on, e.g. a scale scored below neutral or where groups differ."""

    category_id: str
    scale_id: str
    scale_name: str
    statement: str
    recommendation: str = ""


@dataclass
class CategoryRecommendations:
    category_id: str
    category_name: str
    recommendations: list[Recommendation] = field(default_factory=list)
    findings: list[PerceptionFinding] = field(default_factory=list)

    @property
    def priority(self) -> float:
        return sum(r.priority for r in self.recommendations)


@dataclass(frozen=True)
class RecommendationPlan:
    next_mode_id: str | None  # None when every mode is achieved
    next_mode_name: str | None
    ranked: list[Recommendation]
    categories: list[CategoryRecommendations]  # highest total priority first; empty categories left out

    @property
    def first_100_days(self) -> list[Recommendation]:
        return [r for r in self.ranked if r.first_100_days]

    @property
    def first_100_days_tie(self) -> int:
        """How many gaps share the priority at which the first-100-days list was cut, when the cut falls
        inside them (0 otherwise): those taken are then the first in the model's order, not the most
        urgent — a board pack must say so."""
        chosen = [r for r in self.first_100_days if not r.blocking]
        if not chosen:
            return 0
        # the ranking breaks a tie in priority by the shortfall, then by the model's order: only gaps
        # equal in both were ordered by the model
        last = (chosen[-1].priority, chosen[-1].shortfall)
        tied = [r for r in self.ranked if not r.blocking and (r.priority, r.shortfall) == last]
        return len(tied) if any(not r.first_100_days for r in tied) else 0

    def first_100_days_tie_note(self) -> str | None:
        """The sentence a reader of the first-100-days list needs when its cut fell inside a tie."""
        tie = self.first_100_days_tie
        if not tie:
            return None
        last = [r for r in self.first_100_days if not r.blocking][-1]
        taken = sum(1 for r in self.first_100_days if not r.blocking and (r.priority, r.shortfall) == (last.priority, last.shortfall))
        # "2 of 7 … are in this list" above a list of 5 read as a contradiction: say which of the list they are
        last_in_list = f"The last {taken} in this list were" if taken > 1 else "The last in this list was"
        return (f"{last_in_list} picked from {tie} equally urgent gaps; which {'one' if taken == 1 else taken} follows the order "
                f"of the capability model, not a judgement: the other {tie - taken} {'is' if tie - taken == 1 else 'are'} "
                "just as urgent.")


def recommend(
    model: CapabilityModel,
    result: PositionResult,
    findings: list[PerceptionFinding] | None = None,
    first_100_days_max: int = FIRST_100_DAYS_MAX,
) -> RecommendationPlan:
    findings = findings or []
    next_mode = result.next_mode
    order = {cap_id: index for index, cap_id in enumerate(model.capability_ids)}
    ranked: list[Recommendation] = []
    if next_mode is not None:
        raw = []
        for gap in next_mode.gaps:
            capability = model.capability(gap.capability_id)
            raw.append((gap.shortfall * capability.weight, gap, capability))
        raw.sort(key=lambda item: (-item[0], -item[1].shortfall, order[item[1].capability_id]))
        blocking_ids = set(next_mode.blocking)  # too far short, or targeted and not assessed
        blockers = sum(1 for _, gap, _ in raw if gap.capability_id in blocking_ids)
        room = max(first_100_days_max, blockers)
        for rank, (priority, gap, capability) in enumerate(raw, start=1):
            blocking = gap.capability_id in blocking_ids
            ranked.append(Recommendation(
                rank=rank,
                capability_id=capability.id,
                capability_name=capability.name,
                category_id=capability.category,
                category_name=model.category_name(capability.category),
                mode_id=next_mode.id,
                target=gap.target,
                consensus=gap.consensus,
                shortfall=gap.shortfall,
                weight=capability.weight,
                priority=priority,
                blocking=blocking,
                first_100_days=False,
                text=(f"Assess {capability.name}: nobody has given it a level, so how far it is from level "
                      f"{gap.target} is not known." if gap.consensus is None
                      else capability.recommendation or f"Raise {capability.name} to level {gap.target}."),
            ))
        # Blockers first into the first-100-days list, then the highest priority others.
        chosen = [r.capability_id for r in ranked if r.blocking]
        chosen += [r.capability_id for r in ranked if not r.blocking][: max(0, room - len(chosen))]
        chosen_set = set(chosen)
        ranked = [_with_first(r, r.capability_id in chosen_set) for r in ranked]

    by_category: dict[str, CategoryRecommendations] = {}
    for category in model.categories:
        by_category[category.id] = CategoryRecommendations(category.id, category.name)
    for recommendation in ranked:
        by_category[recommendation.category_id].recommendations.append(recommendation)
    for finding in findings:
        if finding.category_id in by_category:
            by_category[finding.category_id].findings.append(finding)
    categories = [c for c in by_category.values() if c.recommendations or c.findings]
    categories.sort(key=lambda c: (-c.priority, [cat.id for cat in model.categories].index(c.category_id)))
    return RecommendationPlan(
        next_mode_id=next_mode.id if next_mode else None,
        next_mode_name=next_mode.name if next_mode else None,
        ranked=ranked,
        categories=categories,
    )


def _with_first(recommendation: Recommendation, first: bool) -> Recommendation:
    from dataclasses import replace

    return replace(recommendation, first_100_days=first)
