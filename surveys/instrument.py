"""The survey instrument schema and its YAML loader.

An instrument is data: respondent groups, labelled response scales, the scales (dimensions) items
belong to — each tagged with the operating mode it evidences — sections of items, and
importance/performance pairs for IT services.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from capability_model.loader import data_path
from itcap.validation import (Number, WholeNumber, decode_upload, did_you_mean, duplicate_id_problems, one_line_field_problems, parse_document,
                              parse_yaml, read_text, with_lines)

if TYPE_CHECKING:
    from capability_model.schema import CapabilityModel

DEFAULT_INSTRUMENT_FILE = "it_perception_survey.yaml"

Identifier = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_]*$"),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
ItemType = Literal["likert", "numeric", "text", "choice"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Group(_Strict):
    id: Identifier
    name: ShortText
    description: LongText = ""


class ResponseScale(_Strict):
    id: Identifier
    min: WholeNumber = Field(ge=-10, le=100)
    max: WholeNumber = Field(ge=-10, le=100)
    labels: dict[int, ShortText]


class Scale(_Strict):
    id: Identifier
    name: ShortText
    description: LongText = ""
    mode: Identifier | None = None  # the operating mode this dimension evidences
    # The finding category (as in the capability model) a weak result on this scale belongs to, and
    # what to do about it; used by the recommendations.
    category: Identifier | None = None
    recommendation: LongText = ""


class Option(_Strict):
    code: WholeNumber
    label: ShortText


class Item(_Strict):
    id: Identifier
    type: ItemType
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
    help: LongText = ""
    required: bool = False
    groups: list[Identifier] | None = None  # None: asked of every group
    # likert
    response_scale: Identifier | None = None
    scale: Identifier | None = None
    reverse: bool = False
    # numeric
    min: Number | None = None
    max: Number | None = None
    unit: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""
    # choice (coarse demographics only — never free-form)
    options: list[Option] = Field(default_factory=list)
    demographic: bool = False
    # text
    max_length: WholeNumber = Field(default=2000, ge=1, le=20000)


class Section(_Strict):
    id: Identifier
    title: ShortText
    intro: LongText = ""
    items: list[Item] = Field(min_length=1)


class IpaPair(_Strict):
    id: Identifier
    name: ShortText  # the IT service, e.g. "Logging on"
    importance: Identifier
    performance: Identifier


class Instrument(_Strict):
    id: Identifier
    name: ShortText
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = "1"
    description: LongText = ""
    welcome: LongText = ""
    privacy_statement: LongText = ""
    thank_you: LongText = ""
    groups: list[Group] = Field(min_length=1)
    response_scales: list[ResponseScale] = Field(default_factory=list)
    scales: list[Scale] = Field(default_factory=list)
    sections: list[Section] = Field(min_length=1)
    ipa_pairs: list[IpaPair] = Field(default_factory=list)

    # -- convenience -----------------------------------------------------------------------------
    @property
    def items(self) -> list[Item]:
        return [item for section in self.sections for item in section.items]

    @property
    def item_ids(self) -> list[str]:
        """Item ids in instrument order: the order of a stored response's answers."""
        return [item.id for section in self.sections for item in section.items]

    def item(self, item_id: str) -> Item:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def item_map(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    def response_scale(self, scale_id: str) -> ResponseScale:
        for rs in self.response_scales:
            if rs.id == scale_id:
                return rs
        raise KeyError(scale_id)

    def scale(self, scale_id: str) -> Scale:
        for scale in self.scales:
            if scale.id == scale_id:
                return scale
        raise KeyError(scale_id)

    def group_ids(self) -> list[str]:
        return [g.id for g in self.groups]

    def group_name(self, group_id: str) -> str:
        return next((g.name for g in self.groups if g.id == group_id), group_id)

    def item_groups(self, item: Item) -> list[str]:
        return list(item.groups) if item.groups is not None else self.group_ids()

    def items_for_group(self, group_id: str) -> list[Item]:
        return [item for item in self.items if group_id in self.item_groups(item)]

    def scale_items(self, scale_id: str) -> list[Item]:
        return [item for item in self.items if item.scale == scale_id]

    def item_range(self, item: Item) -> tuple[float | None, float | None]:
        """The allowed (min, max) of an item's answers; (None, None) for text."""
        if item.type == "likert" and item.response_scale:
            rs = self.response_scale(item.response_scale)
            return rs.min, rs.max
        if item.type == "numeric":
            return item.min, item.max
        if item.type == "choice" and item.options:
            codes = [o.code for o in item.options]
            return min(codes), max(codes)
        return None, None

    def value_labels(self, item: Item) -> dict[int, str]:
        """Code → label, for likert and choice items (exports, SPSS value labels, imports by label)."""
        if item.type == "likert" and item.response_scale:
            return dict(self.response_scale(item.response_scale).labels)
        if item.type == "choice":
            return {o.code: o.label for o in item.options}
        return {}

    def to_show_json(self) -> dict:
        """The ``itcap survey show`` document (DESIGN.md's CLI contract)."""
        items = []
        for item in self.items:
            lo, hi = self.item_range(item)
            items.append({
                "id": item.id, "type": item.type, "scale": item.scale, "reverse": item.reverse,
                "min": lo, "max": hi, "groups": self.item_groups(item),
            })
        return {
            "id": self.id,
            "name": self.name,
            "groups": [{"id": g.id, "name": g.name} for g in self.groups],
            "scales": [{"id": s.id, "name": s.name, "mode": s.mode} for s in self.scales],
            "items": items,
        }


def _duplicates(values: list[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


# Columns of the response exports and imports beside the items: an item may not take their names.
RESERVED_COLUMNS = frozenset({"response_id", "group", "source", "flags", "submitted_on", "duration_seconds"})


def label_problems(here: str, labels: dict[int, str]) -> list[str]:
    """Labels an import could confuse: it reads a cell as a code or, failing that, as a label (case
    and spaces ignored), so two options may not share a label, and no label may read as another
    option's code ("1" as the label of code 2) — either would store a different answer than given."""
    problems = []
    by_label: dict[str, list[int]] = {}
    for code, label in labels.items():
        by_label.setdefault(label.strip().casefold(), []).append(code)
    for label, codes in by_label.items():
        if len(codes) > 1:
            problems.append(f"{here}: label {labels[codes[0]]!r} is used for {len(codes)} codes "
                            f"({', '.join(map(str, codes))}); each option needs its own label")
    for code, label in labels.items():
        text = label.strip()
        try:
            as_number = float(text)
        except ValueError:
            continue
        if as_number.is_integer() and int(as_number) in labels and int(as_number) != code:
            problems.append(f"{here}: the label {text!r} of code {code} reads as code {int(as_number)}; an import "
                            "could not tell them apart — use codes that match such labels, or words")
    return problems


# Placeholders the respondent texts (welcome, privacy statement, section intros, thank-you) may use:
# the survey page puts the campaign's thresholds in their place.
PLACEHOLDERS = ("min_group_size", "comment_threshold")
_PLACEHOLDER_LIKE = re.compile(r"\{([a-z][a-z0-9_]*)\}")  # what a misspelt placeholder looks like; prose braces hold spaces


def placeholder_problems(inst: Instrument, where: str) -> list[str]:
    """A ``{word}`` that is no placeholder would reach respondents as written — and a privacy statement
    with ``{min_grp_size}`` would promise no threshold at all."""
    texts = [("welcome", inst.welcome), ("privacy_statement", inst.privacy_statement), ("thank_you", inst.thank_you)]
    texts += [(f"sections[{index}] (id {section.id}) → intro", section.intro) for index, section in enumerate(inst.sections)]
    known = " and ".join(f"{{{name}}}" for name in PLACEHOLDERS)
    return [f"{where}: {field}: unknown placeholder {{{name}}}: the placeholders are {known}"
            for field, text in texts for name in dict.fromkeys(_PLACEHOLDER_LIKE.findall(text)) if name not in PLACEHOLDERS]


def cross_reference_problems(inst: Instrument, where: str) -> list[str]:
    problems: list[str] = []
    for kind, values in (
        ("groups", [g.id for g in inst.groups]),
        ("response_scales", [r.id for r in inst.response_scales]),
        ("scales", [s.id for s in inst.scales]),
        ("sections", [s.id for s in inst.sections]),
        ("items", [i.id for i in inst.items]),
        ("ipa_pairs", [p.id for p in inst.ipa_pairs]),
    ):
        problems += duplicate_id_problems(where, kind, values)

    for index, rs in enumerate(inst.response_scales):
        here = f"{where}: response_scales[{index}] (id {rs.id})"
        if rs.min >= rs.max:
            problems.append(f"{here}: min ({rs.min}) must be below max ({rs.max})")
            continue
        missing = [v for v in range(rs.min, rs.max + 1) if v not in rs.labels]
        extra = sorted(v for v in rs.labels if not rs.min <= v <= rs.max)
        if missing:
            problems.append(f"{here} → labels: no label for {', '.join(map(str, missing))}")
        if extra:
            problems.append(f"{here} → labels: {', '.join(map(str, extra))} outside {rs.min}–{rs.max}")
        problems += label_problems(f"{here} → labels", rs.labels)

    group_ids = set(inst.group_ids())
    response_scales = {r.id: r for r in inst.response_scales}
    scale_ids = {s.id for s in inst.scales}
    scale_ranges: dict[str, set[tuple]] = {}
    for s_index, section in enumerate(inst.sections):
        for i_index, item in enumerate(section.items):
            here = f"{where}: sections[{s_index}] (id {section.id}) → items[{i_index}] (id {item.id})"
            if item.id.casefold() in RESERVED_COLUMNS:
                problems.append(f"{here} → id: {item.id!r} is the name of a column every response export and import "
                                f"already has ({', '.join(sorted(RESERVED_COLUMNS))}); choose another id")
            for g_index, g in enumerate(item.groups or []):
                if g not in group_ids:  # groups[1], not groups: the line of the entry, in a list written one per line
                    problems.append(f"{here} → groups[{g_index}]: unknown group {g!r}; known: {', '.join(sorted(group_ids))}"
                                    f"{did_you_mean(g, group_ids)}")
            if item.groups is not None and not item.groups:
                problems.append(f"{here} → groups: an empty list asks nobody; leave 'groups' out to ask everyone")
            if item.type == "likert":
                if not item.response_scale:
                    problems.append(f"{here} → response_scale: a likert item needs a response_scale")
                elif item.response_scale not in response_scales:
                    problems.append(f"{here} → response_scale: unknown response scale {item.response_scale!r}"
                                    f"{did_you_mean(item.response_scale, response_scales)}")
                else:
                    rs = response_scales[item.response_scale]
                    if item.scale:
                        scale_ranges.setdefault(item.scale, set()).add((rs.min, rs.max))
            else:
                for field in ("response_scale", "scale"):
                    if getattr(item, field):
                        problems.append(f"{here} → {field}: only likert items have a {field}")
                if item.reverse:
                    problems.append(f"{here} → reverse: only likert items can be reverse-coded")
            if item.scale and item.scale not in scale_ids:
                problems.append(f"{here} → scale: unknown scale {item.scale!r}{did_you_mean(item.scale, scale_ids)}")
            if item.type == "numeric":
                if item.min is None or item.max is None:
                    problems.append(f"{here}: a numeric item needs min and max (the plausible range)")
                elif not (math.isfinite(item.min) and math.isfinite(item.max)):
                    problems.append(f"{here}: min and max must be finite numbers (got {item.min:g} and {item.max:g})")
                elif item.min >= item.max:
                    problems.append(f"{here}: min ({item.min:g}) must be below max ({item.max:g})")
            elif item.min is not None or item.max is not None:
                problems.append(f"{here}: only numeric items have min/max")
            if item.type == "choice":
                if len(item.options) < 2:
                    problems.append(f"{here} → options: a choice item needs at least two options")
                for dup in _duplicates([str(o.code) for o in item.options]):
                    problems.append(f"{here} → options: code {dup} is used more than once")
                codes_once = {code for code, n in Counter(o.code for o in item.options).items() if n == 1}
                problems += label_problems(f"{here} → options", {o.code: o.label for o in item.options
                                                                   if o.code in codes_once})
            elif item.options:
                problems.append(f"{here} → options: only choice items have options")
            if item.demographic and item.type != "choice":
                # the thresholded export coarsens demographics by their options; an exact age or a
                # free text beside them would single people out
                problems.append(f"{here} → demographic: demographics are coarse — a choice item with bands "
                                f"(e.g. age 16–29, 30–49, 50+), not a {item.type} item")

    for index, scale in enumerate(inst.scales):
        members = inst.scale_items(scale.id)
        here = f"{where}: scales[{index}] (id {scale.id})"  # indexed: the file's line is found by this path
        if len(members) < 2:
            problems.append(f"{here}: a scale needs at least two likert items, found {len(members)}")
        if len(scale_ranges.get(scale.id, set())) > 1:
            problems.append(f"{here}: its items use response scales with different ranges; a scale score needs one range")

    items = inst.item_map()
    for index, pair in enumerate(inst.ipa_pairs):
        here = f"{where}: ipa_pairs[{index}] (id {pair.id})"
        for field in ("importance", "performance"):
            item_id = getattr(pair, field)
            if item_id not in items:
                problems.append(f"{here} → {field}: unknown item {item_id!r}{did_you_mean(item_id, items)}")
            elif items[item_id].type != "likert":
                problems.append(f"{here} → {field}: item {item_id!r} must be a likert item")
        if pair.importance == pair.performance:
            problems.append(f"{here}: importance and performance must be different items")
    return problems


def group_name_problems(inst: Instrument, where: str) -> list[str]:
    """A group is named by its id or its name in any letter case (imports, --group, analyze): two
    groups one word could mean would file rows under the wrong one. (New documents only: a stored
    instrument keeps opening; the readers let an id win.)"""
    problems: list[str] = []
    said: dict[str, str] = {}
    for index, group in enumerate(inst.groups):
        other = said.setdefault(group.id.casefold(), group.id)
        if other != group.id:
            problems.append(f"{where}: groups[{index}] (id {group.id}): the same id as group {other!r} but for letter case: "
                            "an import or a --group could not tell them apart; give each group an id of its own")
    for index, group in enumerate(inst.groups):
        key = group.name.strip().casefold()
        other = said.get(key)
        if other is not None and other != group.id:
            problems.append(f"{where}: groups[{index}] (id {group.id}) → name: {group.name!r} is also what group "
                            f"{other!r} is called (its id or name, in any letter case): an import or a --group "
                            "could not tell them apart; give each group a name of its own")
        said.setdefault(key, group.id)
    return problems


def _new_document_problems(inst: Instrument, where: str) -> list[str]:
    return (one_line_field_problems(inst, where) + placeholder_problems(inst, where) + group_name_problems(inst, where)
            + cross_reference_problems(inst, where))


def model_fit_warnings(inst: Instrument, models: Sequence[CapabilityModel], where: str, text: str | None = None) -> list[str]:
    """Scales tagged with an operating mode, or a finding category, that none of ``models`` has —
    most often a typo ('suplier'). Warnings, not errors: an instrument is independent of any model,
    and one may be written for a model loaded later. Unwarned, such a scale is silently left out of
    the survey's reading of the mode, and its findings out of the recommendations. With the file's
    ``text``, each warning gives its line."""
    if not models:
        return []
    names = " or ".join(dict.fromkeys(m.name for m in models))
    modes = list(dict.fromkeys(mode.id for m in models for mode in m.ordered_modes))
    categories = list(dict.fromkeys(c.id for m in models for c in m.categories))
    warnings: list[str] = []
    for index, scale in enumerate(inst.scales):
        here = f"{where}: scales[{index}] (id {scale.id})"
        if scale.mode and scale.mode not in modes:
            warnings.append(f"{here} → mode: {scale.mode!r} is not an operating mode of {names} ({', '.join(modes)})"
                            f"{did_you_mean(scale.mode, modes)}; the survey's reading of the mode leaves this scale out")
        if scale.category and scale.category not in categories:
            warnings.append(f"{here} → category: {scale.category!r} is not a finding category of {names} ({', '.join(categories)})"
                            f"{did_you_mean(scale.category, categories)}; a weak result on this scale would be left out of "
                            "the recommendations")
    return with_lines(warnings, where, parse_yaml(text, where)) if warnings and text is not None else warnings


def parse_instrument(text: str, where: str = "<instrument>") -> Instrument:
    return parse_document(text, where, "instrument", Instrument, _new_document_problems)


def parse_instrument_bytes(raw: bytes, where: str) -> Instrument:
    return parse_instrument(decode_upload(raw, where), where)


def load_instrument_file(path: str | Path) -> Instrument:
    return parse_instrument(read_text(path), str(path))


def default_instrument_path() -> Path:
    return data_path(DEFAULT_INSTRUMENT_FILE)


@lru_cache(maxsize=1)
def load_default_instrument() -> Instrument:
    return load_instrument_file(default_instrument_path())


@lru_cache(maxsize=64)
def parse_instrument_cached(source_yaml: str) -> Instrument:
    # A stored instrument was checked when it was stored; a check added since (unknown placeholders)
    # must not lock its campaigns out of it.
    return parse_document(source_yaml, "<stored instrument>", "instrument", Instrument, cross_reference_problems)
