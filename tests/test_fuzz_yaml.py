"""Hostile input to the YAML loaders (capability models and survey instruments).

Whatever bytes or structures arrive — random text, YAML-shaped junk, the shipped files with keys
deleted, types swapped, huge strings, deep nesting, alias bombs — the loaders give a valid model or
raise :class:`DocumentInvalid` with at least one problem that names the file. Never another
exception, never a hang. Bounded: every test has a small ``max_examples`` and a deadline.
"""

from __future__ import annotations

import copy
import re
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capability_model.loader import parse_model, parse_model_bytes
from itcap.validation import MAX_YAML_DEPTH, MAX_YAML_NODES, DocumentInvalid, parse_yaml
from surveys.instrument import parse_instrument, parse_instrument_bytes

ROOT = Path(__file__).resolve().parent.parent
MODEL_TEXT = (ROOT / "data" / "itil_aligned_model.yaml").read_text(encoding="utf-8")
SURVEY_TEXT = (ROOT / "data" / "it_perception_survey.yaml").read_text(encoding="utf-8")
MODEL_DATA = yaml.safe_load(MODEL_TEXT)
SURVEY_DATA = yaml.safe_load(SURVEY_TEXT)

FUZZ = settings(max_examples=60, deadline=10_000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ_SHIPPED = settings(FUZZ, max_examples=30)  # each example parses a whole shipped file
WHERE = "fuzz.yaml"
PARSERS = {"model": parse_model, "instrument": parse_instrument}
BYTE_PARSERS = {"model": parse_model_bytes, "instrument": parse_instrument_bytes}


def outcome(parse, *args) -> object:
    """A parsed document, or the DocumentInvalid it raised (checked to be well formed)."""
    try:
        return parse(*args)
    except DocumentInvalid as exc:
        assert exc.problems, "DocumentInvalid without problems"
        for problem in exc.problems:
            assert isinstance(problem, str) and problem.startswith(WHERE), problem
        return exc


# -- values ------------------------------------------------------------------------------------------
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(["", "1", "likert", "supplier", "x" * 300, "<script>alert(1)</script>", "2026-02-30", "0x1F",
                     "~", "yes", "NaN", ".inf", "null", "&a", "*a", "!!python/object:os.system"]),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12) | st.integers(-3, 12), children, max_size=5),
    max_leaves=30,
)


# -- 1. arbitrary text and bytes -----------------------------------------------------------------------
@FUZZ
@given(kind=st.sampled_from(sorted(PARSERS)), text=st.text(max_size=400))
def test_arbitrary_text(kind, text):
    outcome(PARSERS[kind], text, WHERE)


@FUZZ
@given(kind=st.sampled_from(sorted(PARSERS)), raw=st.binary(max_size=400))
def test_arbitrary_bytes(kind, raw):
    outcome(BYTE_PARSERS[kind], raw, WHERE)


YAML_ALPHABET = st.sampled_from(list("abc:-[]{}&*!?|>'\"#%@`,.0123456789 \n\t") + ["<<", "!!int ", "!!timestamp ", "!!bool ",
                                                                                  "!!float ", "!!binary ", "!!set ", "---\n", "...\n"])


@FUZZ
@given(kind=st.sampled_from(sorted(PARSERS)), pieces=st.lists(YAML_ALPHABET, max_size=120))
def test_yaml_punctuation_soup(kind, pieces):
    outcome(PARSERS[kind], "".join(pieces), WHERE)


# -- 2. YAML-shaped structures ---------------------------------------------------------------------------
@FUZZ
@given(kind=st.sampled_from(sorted(PARSERS)), data=st.dictionaries(st.text(max_size=15), values, max_size=8))
def test_arbitrary_structures(kind, data):
    outcome(PARSERS[kind], yaml.safe_dump(data, allow_unicode=True), WHERE)


@FUZZ
@given(kind=st.sampled_from(sorted(PARSERS)),
       data=st.fixed_dictionaries({}, optional={
           "id": values, "name": values, "version": values, "levels": values, "domains": values, "categories": values,
           "capabilities": values, "modes": values, "groups": values, "response_scales": values, "scales": values,
           "sections": values, "ipa_pairs": values}))
def test_the_right_keys_with_junk_values(kind, data):
    outcome(PARSERS[kind], yaml.safe_dump(data, allow_unicode=True), WHERE)


# -- 3. mutations of the shipped files ----------------------------------------------------------------------
def _paths(node, prefix=()):
    """Every path into a parsed document (dict keys and list indexes)."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


MODEL_PATHS = [p for p in _paths(MODEL_DATA) if p]
SURVEY_PATHS = [p for p in _paths(SURVEY_DATA) if p]


def _deep(depth: int):
    value: object = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"k": value}
    return value


replacements = st.one_of(
    values,
    st.just("x" * 100_000),  # huge string
    st.integers(min_value=10, max_value=45).map(_deep),  # deep nesting (within the depth limit or just over)
    st.just([{"id": "dup"}] * 50),
    st.just({1: "a", "1": "b"}),
)


@st.composite
def mutated(draw, kind: str):
    data = copy.deepcopy(MODEL_DATA if kind == "model" else SURVEY_DATA)
    paths = MODEL_PATHS if kind == "model" else SURVEY_PATHS
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        parent = data
        try:
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            parent[last]  # the path may be gone after an earlier mutation
        except (KeyError, IndexError, TypeError):
            continue
        action = draw(st.sampled_from(["delete", "replace", "duplicate"]))
        if action == "delete":
            del parent[last]
        elif action == "replace":
            parent[last] = draw(replacements)
        elif isinstance(parent, list):
            parent.insert(last, copy.deepcopy(parent[last]))
        else:
            parent[last] = [parent[last], parent[last]]
    return data


@FUZZ_SHIPPED
@given(data=mutated("model"))
def test_mutated_model(data):
    outcome(parse_model, yaml.safe_dump(data, allow_unicode=True, sort_keys=False), WHERE)


@FUZZ_SHIPPED
@given(data=mutated("instrument"))
def test_mutated_instrument(data):
    outcome(parse_instrument, yaml.safe_dump(data, allow_unicode=True, sort_keys=False), WHERE)


@st.composite
def text_mutations(draw, kind: str):
    lines = (MODEL_TEXT if kind == "model" else SURVEY_TEXT).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "indent", "dedent", "insert", "truncate"]))
        if action == "drop":
            del lines[at]
        elif action == "indent":
            lines[at] = "  " + lines[at]
        elif action == "dedent":
            lines[at] = lines[at].lstrip()
        elif action == "insert":
            lines.insert(at, "".join(draw(st.lists(YAML_ALPHABET, max_size=20))) + "\n")
        else:
            lines = lines[:at]
    return "".join(lines)


@FUZZ_SHIPPED
@given(text=text_mutations("model"))
def test_model_text_mutations(text):
    outcome(parse_model, text, WHERE)


@FUZZ_SHIPPED
@given(text=text_mutations("instrument"))
def test_instrument_text_mutations(text):
    outcome(parse_instrument, text, WHERE)


# -- 4. aliases, anchors and other YAML features -----------------------------------------------------------
def billion_laughs(width: int, depth: int) -> str:
    lines = ["a0: &a0 [" + ", ".join(['"lol"'] * width) + "]"]
    for level in range(1, depth + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize(("width", "depth"), [(9, 9), (10, 12), (2, 60), (1000, 3), (50, 4)])
def test_alias_bombs_are_refused_quickly(kind, width, depth):
    start = time.perf_counter()
    with pytest.raises(DocumentInvalid) as caught:
        PARSERS[kind](billion_laughs(width, depth), WHERE)
    assert time.perf_counter() - start < 5
    assert "not valid YAML" in caught.value.problems[0] or "expected" in caught.value.problems[0]


def test_an_alias_bomb_inside_a_real_field_is_refused_before_validation():
    """Polynomial growth through the schema's own lists: sections × items × options, each list made of
    aliases — pydantic would validate every copy; the node limit refuses it first."""
    text = SURVEY_TEXT + "\n".join([
        "x_option: &o {code: 1, label: A}",
        "x_item: &i {id: q, type: choice, text: Q, options: [" + ", ".join(["*o"] * 200) + "]}",
        "x_section: &s {id: s, title: S, items: [" + ", ".join(["*i"] * 200) + "]}",
        "x_sections: [" + ", ".join(["*s"] * 200) + "]",
    ]) + "\n"
    start = time.perf_counter()
    with pytest.raises(DocumentInvalid, match="expands to more than"):
        parse_instrument(text, WHERE)
    assert time.perf_counter() - start < 5


def test_self_referencing_aliases_are_refused():
    for text in ("a: &x [*x]", "a: &x {b: *x}", "id: &x [1, [2, *x]]"):
        with pytest.raises(DocumentInvalid, match="refers to a node that contains it"):
            parse_yaml(text, WHERE)


def test_a_few_aliases_are_still_fine():
    data = parse_yaml("base: &b {name: shared}\none: *b\ntwo: [*b, *b]\n", WHERE)
    assert data["two"][1]["name"] == "shared"


def test_deep_nesting_is_refused_with_a_location():
    deep = "a: " + "[" * (MAX_YAML_DEPTH + 5) + "]" * (MAX_YAML_DEPTH + 5)
    with pytest.raises(DocumentInvalid, match=r"line 1, column \d+: not valid YAML: nested more than"):
        parse_yaml(deep, WHERE)
    # beyond Python's recursion limit while composing: the place is found by scanning instead
    with pytest.raises(DocumentInvalid, match=r"line 1, column 51: not valid YAML: nested more than"):
        parse_yaml("[" * 5000 + "]" * 5000, WHERE)
    indented = "top:\n" + "".join(" " * level + "k:\n" for level in range(1, 3000))
    with pytest.raises(DocumentInvalid, match=rf"line {MAX_YAML_DEPTH + 1}, column {MAX_YAML_DEPTH + 1}: not valid YAML"):
        parse_yaml(indented, WHERE)


def test_node_limit_is_generous_for_real_documents():
    assert MAX_YAML_NODES >= 100 * 1000  # the shipped model is ~900 nodes; 500 capabilities stay far below
    parse_model(MODEL_TEXT, WHERE)
    parse_instrument(SURVEY_TEXT, WHERE)


@pytest.mark.parametrize(("text", "message"), [
    ("a: 2026-13-45", "'2026-13-45' is not a valid date or time"),
    ("a: 2026-02-30", "is not a valid date or time"),
    ("a: " + "1" * 5000, "is not a valid whole number"),
    ("a: !!int twelve", "'twelve' is not a valid whole number"),
    ("a: !!float abc", "'abc' is not a valid number"),
    ("a: !!bool maybe", "'maybe' is not a valid true/false value"),
    ("a: !!timestamp soon", "'soon' is not a valid date or time"),
    ("a: {<<: {b: 1}}", "merge keys ('<<') are not supported"),
    ("a: !!python/object:os.system ls", "could not determine a constructor"),
    ("a: !!binary 'abc'", "failed to decode base64"),
    ("? [1, 2]\n: x", "a mapping key must be a plain value"),
    ("a: 1\na: 2", "duplicate key 'a'"),
    ("a: 1\nb: \x07x", "line 2, column 4: not valid YAML: the character U+0007 is not allowed in YAML"),
    ("a: 1\nb: x\uffff", "line 2, column 5: not valid YAML: the character U+FFFF is not allowed in YAML"),
])
def test_scalars_pyyaml_cannot_build_are_yaml_errors_with_a_position(text, message):
    """PyYAML raises plain ValueError/KeyError/AttributeError for these; they used to escape the loaders."""
    with pytest.raises(DocumentInvalid) as caught:
        parse_yaml(text, WHERE)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{WHERE}: line ") and message in problem


@pytest.mark.parametrize("field", ["min", "max"])
@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_numeric_items_need_finite_ranges(field, value):
    text = SURVEY_TEXT.replace("type: numeric", "type: numeric", 1)
    data = yaml.safe_load(text)
    item = next(i for s in data["sections"] for i in s["items"] if i["type"] == "numeric")
    item[field] = float(value.replace(".", "")) if value != ".nan" else float("nan")
    with pytest.raises(DocumentInvalid) as caught:
        parse_instrument(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), WHERE)
    assert any("finite" in p for p in caught.value.problems), caught.value.problems


def test_an_unclosed_quote_is_placed_where_it_opens_not_at_the_end_of_the_file():
    text = "name: x\nversion: \"1\n" + "other: 2\n" * 40
    with pytest.raises(DocumentInvalid) as caught:
        parse_yaml(text, WHERE)
    assert "quoted scalar that starts at line 2, column 10" in caught.value.problems[0]


def _unlined(problems: list[str]) -> list[str]:
    """The problems without the file lines they end with (test_problems_name_the_line_of_the_file
    checks those): here the documents are dumped by yaml, whose layout is its own."""
    return [re.sub(r"(: lines? [\d, and]+\)$| \(lines? [\d, and]+\)$)", lambda m: ")" if m[0].startswith(":") else "", p)
            for p in problems]


def test_a_document_with_schema_problems_also_names_its_duplicate_ids():
    """Schema problems stop the cross-checks: duplicates showed up only on the next upload."""
    survey = copy.deepcopy(SURVEY_DATA)
    survey["sections"][0]["items"][2]["type"] = "slider"
    survey["sections"][1]["items"][0]["id"] = survey["sections"][0]["items"][0]["id"]  # across sections
    survey["groups"].append(dict(survey["groups"][0]))
    with pytest.raises(DocumentInvalid) as caught:
        parse_instrument(yaml.safe_dump(survey), WHERE)
    problems = _unlined(caught.value.problems)
    assert any("items[2]" in p and "type" in p for p in problems)
    second = len(survey["sections"][0]["items"]) + 1  # items are counted through the sections, in order
    assert (f"{WHERE}: items: id {survey['sections'][0]['items'][0]['id']!r} is used more than once "
            f"(the 1st and {second}th items)") in problems
    last = len(survey["groups"])
    assert f"{WHERE}: groups: id {survey['groups'][0]['id']!r} is used more than once (the 1st and {last}{'nd' if last == 2 else 'rd' if last == 3 else 'th'} groups)" in problems

    model = copy.deepcopy(MODEL_DATA)
    model["capabilities"][2]["weight"] = "heavy"
    model["capabilities"][3]["id"] = model["capabilities"][0]["id"]
    with pytest.raises(DocumentInvalid) as caught:
        parse_model(yaml.safe_dump(model), WHERE)
    assert any("weight: must be a number" in p for p in caught.value.problems)
    assert (f"{WHERE}: capabilities: id {model['capabilities'][0]['id']!r} is used more than once "
            "(the 1st and 4th capabilities)") in _unlined(caught.value.problems)
    assert len(caught.value.problems) == len(set(caught.value.problems))  # said once, by whichever check found it


@pytest.mark.parametrize(("magic", "kind"), [(b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff\xe0", "a JPEG image"),
                                             (b"%PDF-1.7", "a PDF document")])
def test_a_picture_or_document_renamed_yaml_is_named(magic, kind):
    with pytest.raises(DocumentInvalid) as caught:
        parse_model_bytes(magic + b"\x00" * 64, WHERE)
    assert caught.value.problems == [f"{WHERE}: the file is {kind}, not text; save it as UTF-8"]


def test_follow_on_messages_are_not_repeated_or_invented():
    """A repeated capability id printed each target problem twice; two modes at one order made every
    target of one of them "below the lower mode" (which is lower was arbitrary)."""
    model = copy.deepcopy(MODEL_DATA)
    first = model["modes"][0]
    first["targets"][model["capabilities"][0]["id"]] = 9
    model["capabilities"][3]["id"] = model["capabilities"][0]["id"]
    with pytest.raises(DocumentInvalid) as caught:
        parse_model(yaml.safe_dump(model), WHERE)
    problems = caught.value.problems
    assert len(problems) == len(set(problems))
    model = copy.deepcopy(MODEL_DATA)
    model["modes"][1]["order"] = model["modes"][0]["order"]
    with pytest.raises(DocumentInvalid) as caught:
        parse_model(yaml.safe_dump(model), WHERE)
    assert [p for p in caught.value.problems if "is used by more than one mode" in p]
    assert not [p for p in caught.value.problems if "is below the lower mode" in p], caught.value.problems


def test_a_bad_required_text_no_longer_hides_the_problems_behind_it():
    """A name or a level descriptor that is not text (a number, a list) stopped every cross-check:
    one run said 3 problems, the next run the other 3."""
    model = copy.deepcopy(MODEL_DATA)
    model["capabilities"][4]["name"] = ["not", "text"]
    model["capabilities"][3]["levels"][1] = {"a": 1}
    model["capabilities"][6]["domain"] = "nodomain"
    model["modes"][1]["targets"][model["capabilities"][0]["id"]] = 9
    with pytest.raises(DocumentInvalid) as caught:
        parse_model(yaml.safe_dump(model), WHERE)
    problems = _unlined(caught.value.problems)
    cap = model["capabilities"]
    assert any(p.startswith(f"{WHERE}: capabilities[4] (id {cap[4]['id']}) → name: ") for p in problems)
    assert any(p.startswith(f"{WHERE}: capabilities[3] (id {cap[3]['id']}) → levels → 1: ") for p in problems)
    assert f"{WHERE}: capabilities[6] (id {cap[6]['id']}) → domain: unknown domain 'nodomain'" in "\n".join(problems)
    assert any(f"→ targets → {cap[0]['id']}: target 9 is not one of the model's levels" in p for p in problems)
    assert not any("placeholder" in p for p in problems)  # what stood in for the bad text is never reported
    assert len(problems) == 4, problems


def test_a_value_outside_its_set_or_a_missing_field_no_longer_hides_the_problems_behind_it():
    """An item's type "slider" or a capability without a name stopped every cross-check: the unknown
    scale or the target out of range came only on the next upload."""
    survey = copy.deepcopy(SURVEY_DATA)
    survey["sections"][0]["items"][2]["type"] = "slider"
    survey["sections"][1]["items"][0]["scale"] = "nonscale"
    del survey["sections"][1]["items"][1]["text"]
    with pytest.raises(DocumentInvalid) as caught:
        parse_instrument(yaml.safe_dump(survey), WHERE)
    problems = _unlined(caught.value.problems)
    items = survey["sections"][0]["items"], survey["sections"][1]["items"]
    assert (f"{WHERE}: sections[0] (id {survey['sections'][0]['id']}) → items[2] (id {items[0][2]['id']}) → type: "
            "'slider' is not one of 'likert', 'numeric', 'text' or 'choice'") in problems
    assert any(p.endswith(f"items[1] (id {items[1][1]['id']}) → text: required field is missing") for p in problems)
    assert any(p.endswith(f"items[0] (id {items[1][0]['id']}) → scale: unknown scale 'nonscale'") for p in problems)
    assert len(problems) == 3, problems

    model = copy.deepcopy(MODEL_DATA)
    del model["capabilities"][4]["name"]
    model["capabilities"][6]["domain"] = "nodomain"
    model["modes"][1]["targets"][model["capabilities"][0]["id"]] = 9
    with pytest.raises(DocumentInvalid) as caught:
        parse_model(yaml.safe_dump(model), WHERE)
    problems = _unlined(caught.value.problems)
    cap = model["capabilities"]
    assert f"{WHERE}: capabilities[4] (id {cap[4]['id']}) → name: required field is missing" in problems
    assert any(p.startswith(f"{WHERE}: capabilities[6] (id {cap[6]['id']}) → domain: unknown domain 'nodomain'") for p in problems)
    assert any(f"→ targets → {cap[0]['id']}: target 9 is not one of the model's levels" in p for p in problems)
    assert not any("placeholder" in p for p in problems) and len(problems) == 3, problems


def test_a_target_of_the_wrong_type_does_not_hide_the_out_of_range_targets_of_the_same_mode():
    """Every problem in one run: a target "three" beside targets 7 and -1 of the same mode used to hide
    those two until it was fixed (the whole mode's cross-checks were set aside)."""
    model = copy.deepcopy(MODEL_DATA)
    cap = [c["id"] for c in model["capabilities"]]
    targets = model["modes"][1]["targets"]
    targets[cap[0]], targets[cap[1]], targets[cap[2]] = "three", 7, -1
    with pytest.raises(DocumentInvalid) as caught:
        parse_model(yaml.safe_dump(model), WHERE)
    problems = _unlined(caught.value.problems)
    assert any(p.endswith(f"targets → {cap[0]}: must be a whole number, not 'three'") for p in problems)
    assert any(p.endswith(f"targets → {cap[1]}: target 7 is not one of the model's levels [1, 2, 3, 4, 5]") for p in problems)
    assert any(p.endswith(f"targets → {cap[2]}: target -1 is not one of the model's levels [1, 2, 3, 4, 5]") for p in problems)
    assert len(problems) == 3, problems  # nothing about the target taken out to check the rest (a "missing" one)


def test_problems_name_the_line_of_the_file():
    """A path such as "sections[1] (id s2) → items[1] (id n1)" counts from 0 across a long file; the
    line is what an editor jumps to. A missing field: the line of the element it is missing from; an
    id used twice: both lines."""
    text = (
        "id: lines\nname: Lines\nversion: '1'\nwelcome: w\nprivacy_statement: p\nthank_you: t\n"   # 1-6
        "groups:\n  - {id: business, name: Business users}\n"                                         # 7-8
        "response_scales:\n  - {id: agree5, min: 1, max: 5, labels: {1: a, 2: b, 3: c, 4: d, 5: e}}\n"  # 9-10
        "scales:\n  - {id: rel, name: Rel, mode: supplier}\n"                                         # 11-12
        "sections:\n  - id: s1\n    title: S1\n    items:\n"                                        # 13-16
        "      - {id: q1, type: likert, text: One., response_scale: agree5, scale: rel}\n"            # 17
        "      - {id: q2, type: likert, text: Two., response_scale: agree7, scale: rel}\n"            # 18
        "  - id: s2\n    title: S2\n    items:\n"                                                    # 19-21
        "      - {id: q1, type: likert, text: Again., response_scale: agree5, scale: rel}\n"          # 22
        "      - id: n1\n        type: numeric\n        text: Minutes?\n")                          # 23-25
    with pytest.raises(DocumentInvalid) as caught:
        parse_instrument(text, WHERE)
    assert sorted(caught.value.problems) == sorted([
        f"{WHERE}: items: id 'q1' is used more than once (the 1st and 3rd items: lines 17 and 22)",
        f"{WHERE}: sections[0] (id s1) → items[1] (id q2) → response_scale: unknown response scale 'agree7' (did you mean 'agree5'?) (line 18)",
        f"{WHERE}: sections[1] (id s2) → items[1] (id n1): a numeric item needs min and max (the plausible range) (line 23)",
    ])


def test_an_unknown_id_an_instrument_refers_to_is_said_at_its_line_with_the_id_it_is_close_to():
    """A group in a list written one per line was said at the line of 'groups:'; no reference said
    which id was probably meant."""
    text = (
        "id: refs\nname: Refs\nversion: '1'\n"                                                       # 1-3
        "groups:\n  - {id: business, name: Business users}\n  - {id: it, name: IT staff}\n"         # 4-6
        "response_scales:\n  - {id: agree5, min: 1, max: 5, labels: {1: a, 2: b, 3: c, 4: d, 5: e}}\n"  # 7-8
        "scales:\n  - {id: reliability, name: Rel}\n"                                                # 9-10
        "sections:\n  - id: s1\n    title: S1\n    items:\n"                                        # 11-14
        "      - {id: imp_logon, type: likert, text: One., response_scale: agree5, scale: reliability}\n"  # 15
        "      - {id: perf_logon, type: likert, text: Two., response_scale: agree_5, scale: reliabilty}\n"  # 16
        "      - id: q3\n        type: likert\n        text: Three.\n        response_scale: agree5\n"  # 17-20
        "        groups:\n          - business\n          - busines\n"                             # 21-23
        "ipa_pairs:\n  - {id: logon, name: Logging on, importance: imp_logon, performance: perf_logn}\n")  # 24-25
    with pytest.raises(DocumentInvalid) as caught:
        parse_instrument(text, WHERE)
    problems = caught.value.problems
    here = f"{WHERE}: sections[0] (id s1) → items"
    for expected in (
        f"{here}[1] (id perf_logon) → response_scale: unknown response scale 'agree_5' (did you mean 'agree5'?) (line 16)",
        f"{here}[1] (id perf_logon) → scale: unknown scale 'reliabilty' (did you mean 'reliability'?) (line 16)",
        f"{here}[2] (id q3) → groups[1]: unknown group 'busines'; known: business, it (did you mean 'business'?) (line 23)",
        f"{WHERE}: ipa_pairs[0] (id logon) → performance: unknown item 'perf_logn' (did you mean 'perf_logon'?) (line 25)",
    ):
        assert expected in problems, problems


def test_an_id_used_twice_in_a_top_level_list_names_both_entries_lines():
    """Not the line of the list's key ("capabilities:"), which the path alone would find."""
    text = (Path(__file__).resolve().parents[1] / "data" / "itil_aligned_model.yaml").read_text(encoding="utf-8")
    text = text.replace("  - id: technology_strategy_innovation\n", "  - id: business_relationship_management\n", 1)
    first, second = [i for i, line in enumerate(text.splitlines(), 1)
                     if line.startswith("  - id: business_relationship_management")]
    with pytest.raises(DocumentInvalid) as caught:
        parse_model(text, WHERE)
    assert (f"{WHERE}: capabilities: id 'business_relationship_management' is used more than once (the 1st and 2nd "
            f"capabilities: lines {first} and {second})") in caught.value.problems
