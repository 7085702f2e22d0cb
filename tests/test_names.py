"""Names people type (campaign, assessment, organisation unit, display name) are one line of text."""

import datetime as dt

import pytest

from itcap import accounts
from itcap.names import name_problem
from itcap.storage import session_scope


@pytest.mark.parametrize(("value", "said"), [
    ("Staff survey 2026", None),
    ("Équipe — 2026 <b>", None),  # any printable text, markup included (shown as text everywhere)
    ("line1\nline2", "name: one line of text, without a line break (at character 6)"),
    ("a\tb", "name: one line of text, without a tab (at character 2)"),
    ("a\x00b", "name: one line of text, without the control character U+0000 (at character 2)"),
    ("x" * 201, "name: at most 200 characters (got 201)"),
    ("   ", "name: must not be empty"),
    ("\u200b", "name: without the invisible formatting character U+200B (at character 1): it changes how the text displays "
                "without being seen"),
    ("\u202eadmin\u202c", "name: without the invisible formatting character U+202E (at character 1): it changes how the "
                          "text displays without being seen"),
    ("\u00ad", "name: has no visible character"),  # a soft hyphen alone
    ("می\u200cخواهم", None),  # the zero-width non-joiner Persian needs is kept
])
def test_a_name_is_one_line_of_bounded_text(value, said):
    assert name_problem("name", value) == said


def test_campaign_names_with_a_line_break_are_refused_on_create_and_update(db_url, tmp_path, capsys):
    from itcap.cli import main
    from tests.survey_testdata import INSTRUMENT_YAML

    survey = tmp_path / "survey.yaml"
    survey.write_text(INSTRUMENT_YAML, encoding="utf-8")
    assert main(["campaign", "create", "--instrument", str(survey), "--name", "line1\nline2"]) == 1
    assert "Name: one line of text, without a line break" in capsys.readouterr().err
    assert main(["campaign", "create", "--instrument", str(survey), "--name", "Staff survey"]) == 0
    campaign_id = capsys.readouterr().out.strip()
    assert main(["campaign", "update", campaign_id, "--name", "a\tb"]) == 1
    assert "without a tab" in capsys.readouterr().err
    assert main(["campaign", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[1].endswith("\tStaff survey")  # unchanged


def test_display_names_are_one_line_of_at_most_200_characters(db_url, capsys):
    from itcap.bootstrap import bootstrap
    from itcap.cli import main

    bootstrap(db_url)
    assert main(["user", "add", "carol", "--roles", "assessor", "--name", "Carol\nevil\tx"]) == 1
    assert "display name: one line of text, without a line break" in capsys.readouterr().err
    assert main(["user", "add", "dave", "--roles", "assessor", "--name", "d" * 5000]) == 1
    assert "display name: at most 200 characters (got 5,000)" in capsys.readouterr().err
    with session_scope(db_url) as session:
        assert accounts.get_by_username(session, "carol") is None and accounts.get_by_username(session, "dave") is None


def test_assessment_name_and_unit_are_one_line(db_url):
    from assessment import service
    from capability_model.store import ensure_default_model
    from itcap.bootstrap import bootstrap

    bootstrap(db_url)
    with session_scope(db_url) as session:
        admin = accounts.get_by_username(session, "admin")
        model_id = ensure_default_model(session).id
        with pytest.raises(service.AssessmentError, match="organisation unit: one line of text, without a line break"):
            service.create_assessment(session, name="Review", org_unit="Corporate\nIT", model_id=model_id,
                                      assessed_on=dt.date(2026, 10, 1), assessor_ids=[admin.id], lead_id=admin.id, actor=admin)


def test_names_titles_and_versions_in_a_new_model_or_survey_are_one_line(tmp_path):
    import yaml

    from capability_model.loader import default_model_path, parse_model, parse_stored_model
    from itcap.validation import DocumentInvalid
    from surveys.instrument import default_instrument_path, parse_instrument

    model = yaml.safe_load(default_model_path().read_text(encoding="utf-8"))
    model["name"], model["version"] = "COBIT\nsecond line", "0.1\t2"
    text = yaml.safe_dump(model)
    with pytest.raises(DocumentInvalid) as caught:
        parse_model(text, "m.yaml")
    said = [p.split(" (line")[0] for p in caught.value.problems]
    assert said == ["m.yaml: name: one line of text, without a line break (at character 6)",
                    "m.yaml: version: one line of text, without a tab (at character 4)"]
    assert parse_stored_model(text).name == "COBIT\nsecond line"  # one stored before the rule still opens

    survey = yaml.safe_load(default_instrument_path().read_text(encoding="utf-8"))
    survey["groups"][0]["name"] = "Business\nusers"
    with pytest.raises(DocumentInvalid) as caught:
        parse_instrument(yaml.safe_dump(survey), "s.yaml")
    group = survey["groups"][0]["id"]
    assert [p.split(" (line")[0] for p in caught.value.problems] == [
        f"s.yaml: groups[0] (id {group}) → name: one line of text, without a line break (at character 9)"]
