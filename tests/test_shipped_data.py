"""The shipped data files: default capability model, default perception survey, COBIT-style example.

These tests read the real files, so they fail if a file stops validating or loses content the issues
promise (coverage of capabilities, levels, modes, scales, IPA pairs, demographics …).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from capability_model.loader import default_model_path, load_default_model, load_model_file
from capability_model.schema import DEFAULT_CATEGORIES
from itcap.cli import main
from surveys.instrument import default_instrument_path, load_instrument_file

ROOT = Path(__file__).resolve().parent.parent
MODEL_FILE = ROOT / "data" / "itil_aligned_model.yaml"
SURVEY_FILE = ROOT / "data" / "it_perception_survey.yaml"
COBIT_FILE = ROOT / "docs" / "examples" / "cobit_style_model.yaml"

# The capability topics issue 2 requires, by the ids the shipped model uses for them.
REQUIRED_CAPABILITIES = {
    "business_relationship_management",
    "enterprise_architecture",
    "portfolio_management",
    "programme_project_management",
    "technology_infrastructure",
    "supplier_management",
    "service_desk",
    "incident_management",
    "change_enablement",
    "it_governance",
    "it_financial_management",
    "information_security",
    "business_analysis",
    "technology_strategy_innovation",
}
MODE_ORDER = ["supplier", "business_partner", "business_leader"]
OPERATIONS = ["service_desk", "incident_management", "change_enablement", "technology_infrastructure", "information_security"]
FACETS = {"people", "process", "tools", "governance"}


@pytest.fixture(scope="module")
def model():
    return load_model_file(MODEL_FILE)


@pytest.fixture(scope="module")
def survey():
    return load_instrument_file(SURVEY_FILE)


@pytest.fixture(scope="module")
def cobit():
    return load_model_file(COBIT_FILE)


# -- capability model ----------------------------------------------------------------------------
def test_default_model_is_the_shipped_file(model):
    assert default_model_path().resolve() == MODEL_FILE.resolve()
    assert load_default_model().id == model.id == "itil-aligned"
    assert model.version == "1.0"


def test_model_levels_are_one_to_five_with_names_and_descriptions(model):
    assert model.level_values == [1, 2, 3, 4, 5]
    assert model.levels[0].name == "Initial"
    assert model.levels[-1].name == "Optimising"
    for level in model.levels:
        assert level.description.strip()


def test_model_coverage(model):
    assert len(model.capabilities) >= 14
    assert len(model.domains) >= 4
    missing = REQUIRED_CAPABILITIES - set(model.capability_ids)
    assert not missing, f"required capabilities missing: {sorted(missing)}"
    # every domain is used, so none is an empty heading
    assert {c.domain for c in model.capabilities} == {d.id for d in model.domains}


def test_every_capability_is_complete(model):
    default_category_ids = {cid for cid, _ in DEFAULT_CATEGORIES}
    assert {c.id for c in model.categories} == default_category_ids
    for capability in model.capabilities:
        where = capability.id
        assert capability.category in default_category_ids, where
        assert sorted(capability.levels) == model.level_values, where
        for level, text in capability.levels.items():
            assert len(text) >= 80, f"{where} level {level}: descriptor too thin to assess against"
        # descriptors differ from level to level
        assert len(set(capability.levels.values())) == len(capability.levels), where
        assert len(capability.description) >= 40, where
        assert len(capability.recommendation) >= 80, where
        assert set(capability.facets) == FACETS, where


def test_all_finding_categories_are_used(model):
    assert {c.category for c in model.capabilities} == {cid for cid, _ in DEFAULT_CATEGORIES}


def test_weights_favour_the_business_partner_capabilities(model):
    for cap_id in ("business_relationship_management", "portfolio_management", "enterprise_architecture", "it_governance"):
        assert model.capability(cap_id).weight == 1.5
    heavy = [c.id for c in model.capabilities if c.weight > 1.0]
    assert len(heavy) <= len(model.capabilities) // 3, "weights only mean something if few are raised"


def test_modes_are_ordered_and_complete(model):
    assert [m.id for m in model.ordered_modes] == MODE_ORDER
    assert [m.order for m in model.ordered_modes] == [1, 2, 3]
    for mode in model.modes:
        assert mode.description.strip(), mode.id
        assert set(mode.targets) == set(model.capability_ids), mode.id
    for lower, higher in zip(model.ordered_modes, model.ordered_modes[1:]):
        for cap_id in model.capability_ids:
            assert higher.targets[cap_id] >= lower.targets[cap_id], (higher.id, cap_id)
        # each higher mode asks for more somewhere
        assert sum(higher.targets.values()) > sum(lower.targets.values())


def test_mode_target_profile_is_sensible(model):
    supplier, partner, leader = (model.mode(m).targets for m in MODE_ORDER)
    for cap_id in OPERATIONS:
        assert supplier[cap_id] == 3, cap_id
        assert 3 <= partner[cap_id] <= 4, cap_id
    for cap_id in ("business_relationship_management", "enterprise_architecture", "technology_strategy_innovation"):
        assert supplier[cap_id] <= 2, cap_id
        assert leader[cap_id] >= 4, cap_id
    for cap_id in ("business_relationship_management", "portfolio_management", "it_governance",
                   "it_financial_management", "business_analysis"):
        assert partner[cap_id] == 3, cap_id
    assert all(3 <= v <= 4 for v in partner.values())
    assert all(v >= 4 for v in leader.values())


def test_model_validate_cli(capsys):
    assert main(["model", "validate", str(MODEL_FILE)]) == 0
    out = capsys.readouterr().out
    assert "valid" in out and "Supplier < Business Partner < Business Leader" in out


def test_model_show_cli_gives_the_design_keys(capsys, model):
    assert main(["model", "show", str(MODEL_FILE), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"id", "name", "levels", "capabilities", "modes"}
    assert doc["id"] == "itil-aligned"
    assert len(doc["levels"]) == 5
    assert all(set(c) >= {"id", "name", "domain"} for c in doc["capabilities"])
    assert [c["id"] for c in doc["capabilities"]] == model.capability_ids
    assert [m["id"] for m in doc["modes"]] == MODE_ORDER
    for mode in doc["modes"]:
        assert set(mode) >= {"id", "name", "order", "targets"}
        assert set(mode["targets"]) == set(model.capability_ids)
    assert main(["model", "show", str(MODEL_FILE)]) == 0  # without --json: the same document on stdout
    assert json.loads(capsys.readouterr().out) == doc


def test_a_broken_copy_of_the_model_is_rejected(tmp_path, capsys):
    """Guard against the tests passing vacuously: removing one target must fail validation."""
    text = MODEL_FILE.read_text(encoding="utf-8")
    broken = text.replace("      information_security: 4\n", "", 1)
    assert broken != text
    path = tmp_path / "broken.yaml"
    path.write_text(broken, encoding="utf-8")
    assert main(["model", "validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "business_leader" in err and "information_security" in err


# -- COBIT-style example -------------------------------------------------------------------------
def test_cobit_style_example_is_valid(cobit, capsys):
    assert cobit.level_values == [0, 1, 2, 3, 4, 5]
    assert len(cobit.domains) == 3
    assert 6 <= len(cobit.capabilities) <= 12
    assert 2 <= len(cobit.modes) <= 3
    for capability in cobit.capabilities:
        assert sorted(capability.levels) == cobit.level_values, capability.id
    assert main(["model", "validate", str(COBIT_FILE)]) == 0
    capsys.readouterr()
    assert main(["model", "show", str(COBIT_FILE), "--json", "-"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["id"] == "cobit-style-example"


# -- perception survey ---------------------------------------------------------------------------
def test_default_instrument_is_the_shipped_file(survey):
    assert default_instrument_path().resolve() == SURVEY_FILE.resolve()
    assert survey.version == "1.2"
    assert survey.group_ids() == ["business", "it"]
    assert survey.welcome and survey.privacy_statement and survey.thank_you


def test_response_scales(survey):
    expected = {
        "agree5": ("Strongly disagree", "Strongly agree"),
        "importance5": ("Not at all important", "Essential"),
        "performance5": ("Very poor", "Excellent"),
    }
    for rs_id, (low, high) in expected.items():
        rs = survey.response_scale(rs_id)
        assert (rs.min, rs.max) == (1, 5)
        assert rs.labels[1] == low and rs.labels[5] == high


def test_instrument_size(survey):
    assert len(survey.items) >= 35
    assert 6 <= len(survey.sections) <= 10
    for group in survey.group_ids():
        assert 35 <= len(survey.items_for_group(group)) <= 55, group


def test_scales_have_enough_items_and_a_mode(survey, model):
    required = {
        "service_reliability": "supplier", "responsiveness": "supplier",
        "business_understanding": "business_partner", "communication": "business_partner",
        "strategic_contribution": "business_leader", "innovation": "business_leader",
    }
    assert {s.id: s.mode for s in survey.scales if s.id in required} == required
    mode_ids = {m.id for m in model.modes}
    for scale in survey.scales:
        items = survey.scale_items(scale.id)
        assert 4 <= len(items) <= 6, scale.id
        assert scale.mode in mode_ids, scale.id
        assert any(i.reverse for i in items), f"{scale.id}: no reverse-coded item"
        assert not all(i.reverse for i in items), scale.id
        for item in items:
            # scales are compared between groups, so every scale item is asked of both
            assert item.type == "likert" and item.response_scale == "agree5", item.id
            assert item.groups is None, item.id
            assert item.required, item.id


def test_some_items_are_for_one_group_only(survey):
    one_group = [i for i in survey.items if i.groups is not None and len(i.groups) == 1 and not i.demographic]
    assert {g for i in one_group for g in i.groups} == {"business", "it"}
    assert all(i.scale is None for i in one_group)
    assert any("contributes to the organisation" in i.text for i in one_group if i.groups == ["it"])


def test_importance_performance_pairs(survey):
    assert len(survey.ipa_pairs) >= 6
    for pair in survey.ipa_pairs:
        importance, performance = survey.item(pair.importance), survey.item(pair.performance)
        assert importance.response_scale == "importance5", pair.id
        assert performance.response_scale == "performance5", pair.id
        assert importance.scale is None and performance.scale is None, pair.id
    names = " ".join(p.name.lower() for p in survey.ipa_pairs)
    for topic in ("logging on", "network", "service desk", "remote", "project", "new technology"):
        assert topic in names, topic


def test_numeric_text_and_demographic_items(survey):
    numeric = [i for i in survey.items if i.type == "numeric"]
    assert numeric
    logon = survey.item("logon_minutes")
    assert (logon.min, logon.max, logon.unit) == (0, 120, "minutes")

    text_items = [i for i in survey.items if i.type == "text"]
    assert len(text_items) == 2
    assert all(not i.required and i.max_length == 2000 for i in text_items)

    demographics = [i for i in survey.items if i.demographic]
    assert {i.id for i in demographics} >= {"directorate", "role_band"}
    for item in demographics:
        assert item.type == "choice", item.id
        assert not item.required, item.id
        assert item.options[-1].label == "Prefer not to say", item.id
    assert 6 <= len(survey.item("directorate").options) <= 9
    # demographics are never free-form: no text item is marked demographic
    assert not [i for i in survey.items if i.demographic and i.type != "choice"]


def test_only_scale_items_are_required(survey):
    for item in survey.items:
        assert item.required == (item.scale is not None), item.id


def test_item_texts_are_short_and_distinct(survey):
    texts = [i.text for i in survey.items]
    assert len(set(texts)) == len(texts)
    for item in survey.items:
        if item.type == "likert":
            assert len(item.text) <= 90, item.id


def test_privacy_statement_makes_the_promises(survey):
    text = survey.privacy_statement.lower()
    for phrase in ("ip address", "only the date", "at least {min_group_size}", "at least {comment_threshold}",
                   "random order", "works once", "comments included", "deleted"):
        assert phrase in text, phrase
    # every number a respondent reads about thresholds is the campaign's own: no literal 5 or 10 left
    texts = [survey.privacy_statement, survey.welcome] + [s.intro or "" for s in survey.sections]
    assert not any(re.search(r"\b(?:at least|fewer than) \d", t) for t in texts)


def test_survey_show_json_follows_design(survey):
    doc = survey.to_show_json()
    assert set(doc) >= {"id", "name", "groups", "scales", "items"}
    assert all(set(i) >= {"id", "type", "scale", "reverse", "min", "max", "groups"} for i in doc["items"])
    assert doc["items"][0]["min"] == 1 and doc["items"][0]["max"] == 5


def test_survey_validate_cli(capsys):
    code = main(["survey", "validate", str(SURVEY_FILE)])
    assert code == 0


# -- releases ------------------------------------------------------------------------------------------
# Every version of a shipped file that a database may hold, by its sha256. A database that loaded
# (id, version) refuses other content under the same version ("already loaded with different content"),
# so a shipped file whose text changes must get a new version — and its hash recorded here.
RELEASED = {
    ("it_perception", "1.1"): "57dbbe5eba5854d41afe332b6852287d8f013c6d8ee8a4ff69a1fa3838b46188",
    ("it_perception", "1.2"): "b55430a934275b7b0a1d5240a94418ce479dd7afb7ec08bf1854b20c0a0f36ed",
    ("itil-aligned", "1.0"): "63e8a7a2aa66cee5c837cf7cd2520b95b565bbf4b98bcf045816500a34c42b8e",
}


@pytest.mark.parametrize("path", [MODEL_FILE, SURVEY_FILE], ids=["model", "instrument"])
def test_a_shipped_file_never_changes_under_a_released_version(path):
    import hashlib

    loaded = load_model_file(path) if path == MODEL_FILE else load_instrument_file(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    released = RELEASED.get((loaded.id, loaded.version))
    assert released is not None, (f"{path.name}: {loaded.id} v{loaded.version} is not recorded in RELEASED; "
                                  f"add it with sha256 {digest}")
    assert digest == released, (f"{path.name} changed under version {loaded.version}, which databases may already "
                                f"hold: they would refuse it. Give it a new version, and record that version here.")
