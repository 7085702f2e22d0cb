"""The capability model schema.

A model is data (YAML): maturity levels, domains, finding categories, capabilities with a descriptor
per level, and ordered operating modes (e.g. Supplier < Business Partner < Business Leader) that each
set a target level per capability. Structural rules are checked by pydantic; the rules that relate one
part of the document to another are in :func:`cross_reference_problems`, which reports all of them.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from itcap.validation import Number, WholeNumber, did_you_mean, duplicate_id_problems

Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
RequiredLongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
Facet = Literal["people", "process", "tools", "governance"]

# The finding categories independent reviewers group recommendations by; a model may define its own.
MAX_CAPABILITIES = 500

DEFAULT_CATEGORIES = (
    ("alignment", "Business Alignment & Strategy"),
    ("architecture", "Enterprise Architecture"),
    ("organisation", "Organisation & Supply"),
    ("governance", "Management & Governance"),
    ("finance", "Finance & Portfolio Management"),
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Strict):
    level: WholeNumber = Field(ge=0, le=10)
    name: ShortText
    description: LongText = ""


class Domain(_Strict):
    id: Identifier
    name: ShortText
    description: LongText = ""


class Category(_Strict):
    id: Identifier
    name: ShortText


class Capability(_Strict):
    id: Identifier
    name: ShortText
    domain: Identifier
    category: Identifier
    description: LongText = ""
    # What an assessor would see at each level: {1: "...", 2: "...", ...}
    levels: dict[int, RequiredLongText]
    # Optional guidance on where to look, per facet.
    facets: dict[Facet, RequiredLongText] = Field(default_factory=dict)
    # Relative importance when ranking recommendations (gap × weight).
    weight: Number = Field(default=1.0, gt=0, le=10)
    # What to do when the capability falls short of a target.
    recommendation: LongText = ""


class Mode(_Strict):
    id: Identifier
    name: ShortText
    order: WholeNumber = Field(ge=1, le=100)
    # One sentence that defends the targets ("why these levels").
    description: LongText = ""
    targets: dict[str, WholeNumber]


class CapabilityModel(_Strict):
    id: Identifier
    name: ShortText
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = "1"
    description: LongText = ""
    source: LongText = ""
    levels: list[Level] = Field(min_length=3, max_length=11)
    domains: list[Domain] = Field(min_length=1)
    categories: list[Category] = Field(default_factory=lambda: [Category(id=i, name=n) for i, n in DEFAULT_CATEGORIES])
    capabilities: list[Capability] = Field(min_length=1, max_length=MAX_CAPABILITIES)
    modes: list[Mode] = Field(min_length=1, max_length=10)

    # -- convenience -----------------------------------------------------------------------------
    @property
    def level_values(self) -> list[int]:
        return [level.level for level in self.levels]

    @property
    def min_level(self) -> int:
        return min(self.level_values)

    @property
    def max_level(self) -> int:
        return max(self.level_values)

    @property
    def capability_ids(self) -> list[str]:
        return [c.id for c in self.capabilities]

    def capability(self, capability_id: str) -> Capability:
        for capability in self.capabilities:
            if capability.id == capability_id:
                return capability
        raise KeyError(capability_id)

    def mode(self, mode_id: str) -> Mode:
        for mode in self.modes:
            if mode.id == mode_id:
                return mode
        raise KeyError(mode_id)

    @property
    def ordered_modes(self) -> list[Mode]:
        return sorted(self.modes, key=lambda m: m.order)

    def level_name(self, level: int) -> str:
        for item in self.levels:
            if item.level == level:
                return item.name
        return str(level)

    def domain_name(self, domain_id: str) -> str:
        return next((d.name for d in self.domains if d.id == domain_id), domain_id)

    def category_name(self, category_id: str) -> str:
        return next((c.name for c in self.categories if c.id == category_id), category_id)

    def to_show_json(self) -> dict:
        """The ``itcap model show`` document (DESIGN.md's CLI contract)."""
        return {
            "id": self.id,
            "name": self.name,
            "levels": [{"level": lv.level, "name": lv.name, "description": lv.description} for lv in self.levels],
            "capabilities": [{"id": c.id, "name": c.name, "domain": c.domain} for c in self.capabilities],
            "modes": [
                {"id": m.id, "name": m.name, "order": m.order, "targets": {c.id: m.targets[c.id] for c in self.capabilities}}
                for m in self.ordered_modes
            ],
        }


def _duplicates(values: list[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


MAX_DOMAINS = MAX_CATEGORIES = 100


def new_model_problems(model: CapabilityModel, where: str) -> list[str]:
    """Checks of a model being loaded, not of one already stored (its assessments must keep opening
    it): bounds on its lists, and no empty domain (an empty heading on every page that lists
    capabilities by domain)."""
    problems = []
    for kind, values, most in (("domains", model.domains, MAX_DOMAINS), ("categories", model.categories, MAX_CATEGORIES)):
        if len(values) > most:
            problems.append(f"{where}: {kind}: {len(values):,} of them; at most {most} (a model has at most "
                            f"{MAX_CAPABILITIES} capabilities)")
    used = {capability.domain for capability in model.capabilities}
    if len(model.domains) <= MAX_DOMAINS:
        for index, domain in enumerate(model.domains):
            if domain.id not in used:
                problems.append(f"{where}: domains[{index}] (id {domain.id}): no capability is in this domain; "
                                "give it capabilities or leave it out")
    return problems


def _listed(ids: set[str], most: int = 12) -> str:
    """Known ids for a message: a few, not thousands (one message per capability repeats them)."""
    known = sorted(ids)
    return ", ".join(known[:most]) + (f", … ({len(known):,} in all)" if len(known) > most else "")


def cross_reference_problems(model: CapabilityModel, where: str) -> list[str]:
    """Every rule that relates one part of a model to another, each with its location."""
    problems: list[str] = []
    level_values = sorted(model.level_values)
    if _duplicates([str(v) for v in level_values]):
        problems.append(f"{where}: levels: level {', '.join(_duplicates([str(v) for v in level_values]))} is defined twice")
    elif level_values != list(range(level_values[0], level_values[0] + len(level_values))) or level_values[0] not in (0, 1):
        problems.append(f"{where}: levels: levels must be consecutive whole numbers starting at 0 or 1, found {level_values}")
    allowed = set(level_values)

    for kind, items in (("domains", model.domains), ("categories", model.categories), ("capabilities", model.capabilities), ("modes", model.modes)):
        problems += duplicate_id_problems(where, kind, [item.id for item in items])
    for dup in _duplicates([str(m.order) for m in model.modes]):
        problems.append(f"{where}: modes: order {dup} is used by more than one mode (modes must be strictly ordered)")

    domain_ids = {d.id for d in model.domains}
    category_ids = {c.id for c in model.categories}
    for index, capability in enumerate(model.capabilities):
        here = f"{where}: capabilities[{index}] (id {capability.id})"
        if capability.domain not in domain_ids:
            problems.append(f"{here} → domain: unknown domain {capability.domain!r}; known: {_listed(domain_ids)}"
                            f"{did_you_mean(capability.domain, domain_ids)}")
        if capability.category not in category_ids:
            problems.append(f"{here} → category: unknown category {capability.category!r}; known: {_listed(category_ids)}"
                            f"{did_you_mean(capability.category, category_ids)}")
        missing = [v for v in level_values if v not in capability.levels]
        extra = sorted(v for v in capability.levels if v not in allowed)
        if missing:
            problems.append(f"{here} → levels: no descriptor for level {', '.join(map(str, missing))}")
        if extra:
            problems.append(f"{here} → levels: level {', '.join(map(str, extra))} is not one of the model's levels {level_values}")

    capability_ids = list(dict.fromkeys(c.id for c in model.capabilities))  # a repeated id is reported once, above
    known = set(capability_ids)
    for index, mode in enumerate(model.modes):
        here = f"{where}: modes[{index}] (id {mode.id}) → targets"
        for cap_id in mode.targets:
            if cap_id not in known:  # the path ends at the key, so the line said is the typo's, not "targets:"
                problems.append(f"{here} → {cap_id}: unknown capability {cap_id!r}{did_you_mean(cap_id, known)}")
        for cap_id in capability_ids:
            if cap_id not in mode.targets:
                problems.append(f"{here}: no target for capability {cap_id!r}")
        for cap_id, target in mode.targets.items():
            if target not in allowed:
                problems.append(f"{here} → {cap_id}: target {target} is not one of the model's levels {level_values}")

    # A more demanding mode never asks for less than a less demanding one. Checked only once the modes
    # are strictly ordered: with two at one order, which is "lower" is arbitrary, and each of its
    # targets would be called wrong.
    ordered = model.ordered_modes if not _duplicates([str(m.order) for m in model.modes]) else []
    for lower, higher in zip(ordered, ordered[1:]):
        for cap_id in capability_ids:
            lo, hi = lower.targets.get(cap_id), higher.targets.get(cap_id)
            if lo in allowed and hi in allowed and hi < lo:  # (a target that is no level is reported as such)
                problems.append(
                    f"{where}: modes[{model.modes.index(higher)}] (id {higher.id}) → targets → {cap_id}: target {hi} is below the lower mode "
                    f"{lower.id}'s target {lo}"
                )
    return problems
