"""AppTest: the Assessments page — create, list with progress, assessors and lead, close/reopen,
unlock a submission, and the data downloads (CSV as the CLI writes it, XLSX)."""

from __future__ import annotations

import io
import shutil

import openpyxl
import pytest

from assessment import service
from itcap import accounts, audit
from itcap.storage import dispose_engines, session_scope
from tests import download_capture
from tests.builders import people, supplier_assessment
from tests.support import app_test, database_copy

downloads = download_capture.downloads  # fixture: what the download buttons serve
PAGE = "pages/admin_assessments.py"


@pytest.fixture(scope="module")
def populated(sqlite_template, tmp_path_factory):
    """People, a second lead assessor (kim) and an idle assessor (ida); one assessment by lead, ana, ben."""
    path = tmp_path_factory.mktemp("admin-assessments") / "itcap.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    ids = people(url)
    with session_scope(url) as session:
        ids["kim"] = accounts.create_account(session, "kim", "correct horse battery", ["lead_assessor"], "Kim Lead").id
        ids["ida"] = accounts.create_account(session, "ida", "correct horse battery", ["assessor"], "Ida Idle").id
    ids["assessment"] = supplier_assessment(url, ids)
    dispose_engines()
    return path, ids


@pytest.fixture
def setup(populated, tmp_path, monkeypatch):
    path, ids = populated
    with database_copy(path, tmp_path, monkeypatch) as url:
        yield {"url": url, **ids}


def _page(setup):
    at = app_test(setup["admin"], page=PAGE).run()
    assert not at.exception
    return at


def _members(setup, assessment_id=None):
    with session_scope(setup["url"]) as session:
        return {a.username: a for a in service.assessors(session, assessment_id or setup["assessment"])}


def _actions(setup):
    with session_scope(setup["url"]) as session:
        return [(e.actor, e.action, e.detail) for e in reversed(audit.recent(session)) if e.action.startswith("assessment.")]


def test_lists_assessments_with_their_progress(setup):
    at = _page(setup)
    listing = at.dataframe[0].value
    assert listing[["Name", "Organisation unit", "Status", "Lead", "Assessors", "Submitted"]].iloc[0].tolist() == [
        "Review 2026-10", "Corporate IT", "open", "lead", 3, "0 of 3"]
    assert listing["Ratings saved"].iloc[0] == 54
    progress = at.dataframe[1].value
    assert progress["Username"].tolist() == ["ana", "ben", "lead"]
    assert progress["Rated"].tolist() == [18, 18, 18] and progress["Lead"].tolist() == [False, False, True]
    assert progress["Still to do"].tolist() == [0, 0, 0] and progress["Marked not rated"].tolist() == [0, 0, 0]


def test_create_an_assessment(setup):
    at = _page(setup)
    at.text_input(key="asmt_new_name").input("Second review")
    at.text_input(key="asmt_new_unit").input("Shared services")
    at.multiselect(key="asmt_new_assessors").set_value([setup["ana"], setup["ida"]])
    at.selectbox(key="asmt_new_lead").set_value(setup["kim"])
    next(b for b in at.form_submit_button if b.label == "Create assessment").click().run()
    assert not at.exception and not at.error
    assert any("Assessment **Second review** created" in s.value for s in at.success)
    with session_scope(setup["url"]) as session:
        created = next(a for a in service.list_assessments(session) if a.name == "Second review")
    assert created.org_unit == "Shared services" and created.created_by == "admin"
    assert {u: m.is_lead for u, m in _members(setup, created.id).items()} == {"ana": False, "ida": False, "kim": True}
    assert at.selectbox(key="asmt_selected").value == created.id  # the new one is chosen for managing
    assert _actions(setup)[-1][:2] == ("admin", "assessment.create")


@pytest.mark.parametrize("name, unit, lead, message", [
    ("", "IT", True, "Not created: give it a name."),
    ("Review", "", True, "Not created: give its organisation unit."),
    ("Review", "IT", False, "Not created: choose a lead assessor."),
    ("", " ", False, "Not created: give it a name; give its organisation unit; choose a lead assessor."),  # all at once
])
def test_create_refuses_incomplete_input(setup, name, unit, lead, message):
    at = _page(setup)
    at.text_input(key="asmt_new_name").input(name)
    at.text_input(key="asmt_new_unit").input(unit)
    if lead:
        at.selectbox(key="asmt_new_lead").set_value(setup["kim"])
    next(b for b in at.form_submit_button if b.label == "Create assessment").click().run()
    assert [e.value for e in at.error] == [message]
    # the form stays open on the fields to fix (it collapsed, hiding them)
    assert next(e for e in at.expander if e.label == "Create an assessment").proto.expanded
    with session_scope(setup["url"]) as session:
        assert len(service.list_assessments(session)) == 1


def test_add_an_assessor_and_change_the_lead(setup):
    a = setup["assessment"]
    at = _page(setup)
    assert set(at.selectbox(key=f"asmt_add_{a}").options) == {"Ida Idle (ida)", "Kim Lead (kim)"}
    at.selectbox(key=f"asmt_add_{a}").set_value(setup["kim"])
    at.button(key=f"asmt_add_btn_{a}").click().run()
    assert [s.value for s in at.success] == ["Kim Lead is now an assessor of this assessment."]
    at.selectbox(key=f"asmt_lead_{a}").set_value(setup["kim"])
    at.button(key=f"asmt_lead_btn_{a}").click().run()
    assert [s.value for s in at.success] == ["Kim Lead now leads this assessment."]
    assert {u: m.is_lead for u, m in _members(setup).items()} == {"ana": False, "ben": False, "kim": True, "lead": False}
    assert [x[1:] for x in _actions(setup)[-2:]] == [("assessment.add_assessor", "kim"),
                                                     ("assessment.set_lead", "kim (in place of lead)")]


def test_remove_an_assessor_asks_first_and_deletes_their_ratings(setup):
    a = setup["assessment"]
    at = _page(setup)
    assert "lead (lead)" not in at.selectbox(key=f"asmt_remove_{a}").options  # the lead cannot be removed
    assert at.button(key=f"asmt_remove_btn_{a}").disabled  # nobody chosen yet
    at.selectbox(key=f"asmt_remove_{a}").set_value(setup["ana"]).run()
    at.button(key=f"asmt_remove_btn_{a}").click().run()
    assert ["(ana)? Their" in w.value for w in at.warning] == [True]
    # choosing someone else after "Remove…" asks again, about them: the confirmation never moves on to another person
    at.selectbox(key=f"asmt_remove_{a}").set_value(setup["ben"]).run()
    assert not at.warning and not at.button(key=f"asmt_remove_btn_{a}").disabled
    at.button(key=f"asmt_remove_btn_{a}").click().run()
    (question,) = [w.value for w in at.warning]
    assert question.startswith("Remove **") and "(ben)? Their 18 ratings of this assessment" in question
    assert question.endswith("will be deleted. This cannot be undone.")
    assert "ben" in _members(setup) and "ana" in _members(setup)  # nothing happened yet
    at.button(key=f"asmt_remove_yes_{a}").click().run()
    assert [s.value for s in at.success] == ["ben is no longer an assessor; 18 of their ratings were deleted."]
    assert "ben" not in _members(setup)


def test_close_and_reopen(setup):
    a = setup["assessment"]
    at = _page(setup)
    at.button(key=f"asmt_close_{a}").click().run()
    with session_scope(setup["url"]) as session:  # asked first
        assert service.get_assessment(session, a).status == "open"
    at.button(key=f"asmt_close_{a}__yes").click().run()
    with session_scope(setup["url"]) as session:
        assert service.get_assessment(session, a).status == "closed"
    assert at.selectbox(key=f"asmt_add_{a}").disabled
    at.button(key=f"asmt_reopen_assessment_{a}").click().run()
    with session_scope(setup["url"]) as session:
        assert service.get_assessment(session, a).status == "open"
    assert [x[1] for x in _actions(setup)[-2:]] == ["assessment.close", "assessment.reopen"]


def test_unlock_a_submission(setup):
    a = setup["assessment"]
    with session_scope(setup["url"]) as session:
        service.submit(session, a, accounts.get_account(session, setup["ana"]))
    at = _page(setup)
    assert at.dataframe[0].value["Submitted"].iloc[0] == "1 of 3"
    at.selectbox(key=f"asmt_unlock_{a}").set_value(setup["ana"])
    at.button(key=f"asmt_reopen_btn_{a}").click().run()
    assert [s.value for s in at.success] == ["ana's ratings are unlocked: they can change them and submit again."]
    assert _members(setup)["ana"].submitted_at is None


def test_downloads_are_the_cli_csv_and_the_workbook(setup, downloads):
    a = setup["assessment"]
    _page(setup)
    assert set(downloads.names()) == {f"assessment-{a}-ratings.csv", f"assessment-{a}-overrides.csv",
                                      f"assessment-{a}-model.yaml", f"assessment-{a}.xlsx"}
    ratings = downloads.get(f"assessment-{a}-ratings.csv").decode("utf-8")
    with session_scope(setup["url"]) as session:
        rows = service.export_rows(session, a)
    assert ratings.splitlines()[0] == "capability_id,assessor,level" and len(ratings.splitlines()) == len(rows) + 1
    book = openpyxl.load_workbook(io.BytesIO(downloads.get(f"assessment-{a}.xlsx")))
    assert book.sheetnames == ["ratings", "consensus", "overrides", "evidence", "assessment"]
    assert book["evidence"].cell(2, 6).value == "Seen by ana <b>in interviews</b>"


def test_without_a_lead_assessor_account_the_page_says_what_is_missing(db_url):
    from itcap.bootstrap import bootstrap

    bootstrap(db_url)
    with session_scope(db_url) as session:
        admin_id = accounts.get_by_username(session, "admin").id
        accounts.create_account(session, "ana", "correct horse battery", ["assessor"])
    at = app_test(admin_id, page=PAGE).run()
    assert not at.exception
    assert any("lead assessor" in i.value and "Administration → Accounts" in i.value for i in at.info)
    assert not at.form_submit_button


def test_a_new_assessment_defaults_to_the_newest_version_of_a_model(setup):
    from capability_model.loader import default_model_path
    from capability_model.store import list_models, save_model

    source = default_model_path().read_text(encoding="utf-8")
    with session_scope(setup["url"]) as session:
        [old] = list_models(session)
        newer = save_model(session, source.replace(f'version: "{old.version}"', 'version: "99"', 1), "admin").id
    at = _page(setup)
    box = at.selectbox(key="asmt_new_model")
    assert box.value == newer
    assert box.options[0].endswith("v99") and box.options[1].endswith(f"v{old.version} (an older version)")


def test_the_three_downloads_reproduce_the_position_with_the_cli(setup, downloads, tmp_path, capsys):
    """What the caption promises: ratings, overrides and model as downloaded give the app's position."""
    import json

    from itcap.cli import main

    a = setup["assessment"]
    _page(setup)
    for kind in ("ratings.csv", "overrides.csv", "model.yaml"):
        (tmp_path / kind).write_bytes(downloads.get(f"assessment-{a}-{kind}"))
    capsys.readouterr()
    assert main(["assess", "position", str(tmp_path / "ratings.csv"), "--model", str(tmp_path / "model.yaml"),
                 "--overrides", str(tmp_path / "overrides.csv"), "--json", "-"]) == 0
    printed = json.loads(capsys.readouterr().out)
    with session_scope(setup["url"]) as session:
        expected = service.assessment_position(session, a)
    assert (printed["position"], printed["confidence"]) == (expected.position, expected.confidence)


def test_an_assessment_s_name_unit_and_date_can_be_corrected_and_the_change_is_audited(setup):
    import datetime as dt

    a = setup["assessment"]
    at = _page(setup)
    at.text_input(key=f"asmt_name_{a}").input("Review 2026 (spring)")
    at.date_input(key=f"asmt_date_{a}").set_value(dt.date(2026, 4, 2))
    next(b for b in at.form_submit_button if b.label == "Save details").click().run()
    assert not at.exception and [s.value for s in at.success] == ["The assessment's details are saved."]
    with session_scope(setup["url"]) as session:
        stored = service.get_assessment(session, a)
    assert (stored.name, stored.org_unit, stored.assessed_on) == ("Review 2026 (spring)", "Corporate IT", dt.date(2026, 4, 2))
    actor, action, detail = _actions(setup)[-1]
    assert (actor, action) == ("admin", "assessment.update")
    assert detail == "name: Review 2026-10 → Review 2026 (spring); date: 2026-10-01 → 2026-04-02"


def test_a_date_decades_ahead_is_refused_as_a_likely_typo(setup):
    import datetime as dt

    with session_scope(setup["url"]) as session:
        admin = accounts.get_account(session, setup["admin"])
        with pytest.raises(service.AssessmentError, match="more than a year ahead"):
            service.update_details(session, setup["assessment"], name="x", org_unit="IT",
                                   assessed_on=dt.date(2062, 1, 1), actor=admin)
        with pytest.raises(service.AssessmentError, match="is the year right"):
            service.create_assessment(session, name="x", org_unit="IT", model_id=1, assessed_on=dt.date(2062, 1, 1),
                                      assessor_ids=[], lead_id=setup["lead"], actor=admin)


def test_assessors_whose_accounts_changed_are_marked(setup):
    with session_scope(setup["url"]) as session:
        admin = accounts.get_account(session, setup["admin"])
        accounts.set_active(session, accounts.get_account(session, setup["ana"]), False, actor=admin)
        accounts.set_roles(session, accounts.get_account(session, setup["lead"]), ["assessor"])
    at = _page(setup)
    progress = at.dataframe[1].value.set_index("Username")
    assert progress.loc["ana", "Account"] == "account disabled"
    assert progress.loc["lead", "Account"] == "lead without the lead assessor role"
    assert progress.loc["ben", "Account"] == ""
    assert any(w.value.startswith("Some assessors' accounts changed since they were added") for w in at.warning)


def test_corrected_details_change_the_dashboard_s_cache_key(setup):
    """The dashboard caches an assessment's analysis on a fingerprint: a corrected name, unit or date
    must reach it (the trend is grouped by unit and ordered by date)."""
    import datetime as dt

    from itcap import insights

    with session_scope(setup["url"]) as session:
        before = insights.assessment_fingerprint(session, setup["assessment"])
        service.update_details(session, setup["assessment"], name="Review 2026-10", org_unit="Shared IT",
                               assessed_on=dt.date(2026, 10, 1), actor=accounts.get_account(session, setup["admin"]))
    with session_scope(setup["url"]) as session:
        assert insights.assessment_fingerprint(session, setup["assessment"]) != before
