"""AppTest: the assessor's "Score capabilities" page."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from assessment import service
from itcap import accounts
from itcap.bootstrap import bootstrap
from itcap.storage import dispose_engines, session_scope
from tests.support import ROOT, app_test, database_copy, log_in_on_page

PASSWORD = "correct horse battery"
PAGE = "pages/rate.py"
HOSTILE = '<script>alert("x")</script> <b>bold?</b> **not bold** [link](http://example.com)'


@pytest.fixture(scope="module")
def populated(sqlite_template, tmp_path_factory):
    """Built once per module, copied for each test: a lead, an assessor, a leadership account, an
    assessor without an assessment and one assessment of the default model (lead + assessor)."""
    path = tmp_path_factory.mktemp("rate") / "populated.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    bootstrap(url)
    with session_scope(url) as session:
        lead = accounts.create_account(session, "lee", PASSWORD, ["lead_assessor", "assessor"], "Lee Lead")
        ana = accounts.create_account(session, "ana", PASSWORD, ["assessor"], "Ana Assessor")
        boss = accounts.create_account(session, "dir", PASSWORD, ["leadership"], "Dana Director")
        idle = accounts.create_account(session, "ida", PASSWORD, ["assessor"], "Ida Idle")
        from capability_model.store import ensure_default_model

        model_id = ensure_default_model(session).id
        assessment = service.create_assessment(
            session, name="Review 2026", org_unit="Corporate IT", model_id=model_id, assessed_on=dt.date(2026, 3, 1),
            assessor_ids=[ana.id], lead_id=lead.id, actor=lead)
        model = service.model_for(session, assessment)
        ids = {"lee": lead.id, "ana": ana.id, "dir": boss.id, "ida": idle.id}
    dispose_engines()
    return path, {"ids": ids, "assessment": assessment.id, "model": model}


@pytest.fixture
def setup(populated, tmp_path, monkeypatch):
    path, info = populated
    with database_copy(path, tmp_path, monkeypatch) as url:
        yield {**info, "url": url}


def _keys(setup, capability_id):
    a = setup["assessment"]
    return f"rate_level_{a}_{capability_id}", f"rate_evidence_{a}_{capability_id}", f"rate_confidence_{a}_{capability_id}"


def _rating(setup, username, capability_id):
    with session_scope(setup["url"]) as session:
        return service.ratings_of(session, setup["assessment"], setup["ids"][username]).get(capability_id)


def test_page_is_refused_to_an_account_without_the_role(setup):
    # Not served through the navigation …
    at = app_test(setup["ids"]["dir"], page=PAGE).run()
    assert not at.exception
    assert "Score capabilities" not in [t.value for t in at.title]
    # … and refused by the page itself, whatever the session says.
    direct = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    from itcap.storage import utcnow
    from itcap.ui.auth import SESSION_ACCOUNT, SESSION_LOGIN_AT, SESSION_SEEN_AT

    direct.session_state[SESSION_ACCOUNT] = setup["ids"]["dir"]
    direct.session_state[SESSION_LOGIN_AT] = utcnow()
    direct.session_state[SESSION_SEEN_AT] = utcnow()
    direct.run()
    assert [e.value for e in direct.error] == ["You do not have access to this page."]
    assert not direct.radio


def test_assessor_without_an_assessment_is_told_whom_to_ask(setup):
    at = app_test(setup["ids"]["ida"], page=PAGE).run()
    assert not at.exception
    assert any("not an assessor of any assessment" in i.value and "administrator" in i.value for i in at.info)
    assert not at.radio


def test_assessor_sees_the_first_capability_with_its_descriptors(setup):
    model = setup["model"]
    first = model.capabilities[0]
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Score capabilities"
    assert at.subheader[0].value == first.name
    level_key, evidence_key, confidence_key = _keys(setup, first.id)
    radio = at.radio(key=level_key)
    assert radio.value is None  # nothing chosen yet
    assert list(radio.options)[: len(model.levels)] == [f"**{lv.level} · {lv.name}**" for lv in model.levels]
    assert "Not rated" in radio.options
    assert at.text_area(key=evidence_key).value == ""
    assert at.segmented_control(key=confidence_key).value is None
    assert "0 of 18" in at.get("progress")[0].proto.text


def test_choosing_a_level_evidence_and_confidence_saves_each_at_once(setup):
    cap = setup["model"].capabilities[0].id
    level_key, evidence_key, confidence_key = _keys(setup, cap)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.radio(key=level_key).set_value(3).run()
    assert not at.exception
    saved = _rating(setup, "ana", cap)
    assert saved.level == 3 and saved.evidence == "" and saved.confidence is None
    name = setup["model"].capabilities[0].name
    assert [t.proto.body for t in at.toast] == [f"Level 3 saved for {name}"]
    # said to screen readers too, from a live region a script fills (a toast is not announced)
    assert any(f'"Level 3 saved for {name}"' in h.proto.body and "aria-live" in h.proto.body for h in at.get("html"))

    at.text_area(key=evidence_key).input("Account plans for 3 of 9 directorates.\n  Indented line.").run()
    assert not at.toast  # (evidence saves at every pause in typing: no toast each time)
    at.segmented_control(key=confidence_key).set_value("medium").run()
    assert [t.proto.body for t in at.toast] == [f"Confidence saved for {name}"]
    saved = _rating(setup, "ana", cap)
    assert (saved.level, saved.evidence, saved.confidence) == (3, "Account plans for 3 of 9 directorates.\n  Indented line.", "medium")

    # A new session (a reload) shows what was saved.
    again = app_test(setup["ids"]["ana"], page=PAGE).run()
    again.button(key=f"rate_jump_{cap}").click().run()
    assert again.radio(key=level_key).value == 3
    assert again.text_area(key=evidence_key).value == "Account plans for 3 of 9 directorates.\n  Indented line."
    assert again.segmented_control(key=confidence_key).value == "medium"
    assert "1 of 18" in again.get("progress")[0].proto.text


def test_not_rated_is_saved_as_no_level(setup):
    cap = setup["model"].capabilities[0].id
    level_key, *_ = _keys(setup, cap)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.radio(key=level_key).set_value("not rated").run()
    saved = _rating(setup, "ana", cap)
    assert saved is not None and saved.level is None and saved.not_rated
    # a decision, not work left: the progress says so (the bar alone stayed short of done for good)
    assert at.get("progress")[0].proto.text == "**0 of 18** capabilities rated, 1 marked not rated"
    assert any(e.label == "My ratings (0 of 18 rated, 1 marked not rated)" for e in at.expander)


def test_a_second_tab_saves_only_what_it_changed_and_never_wipes_the_first_tabs_level(setup):
    """Laptop and phone on the same capability: the phone, opened first, set only a confidence —
    and wrote its own empty level and evidence back over what the laptop had saved."""
    cap = setup["model"].capabilities[0].id
    level_key, evidence_key, confidence_key = _keys(setup, cap)
    phone = app_test(setup["ids"]["ana"], page=PAGE).run()  # open since before the laptop's changes
    laptop = app_test(setup["ids"]["ana"], page=PAGE).run()
    laptop.radio(key=level_key).set_value(2).run()
    laptop.text_area(key=evidence_key).input("Sampled 8 requirement documents").run()
    phone.segmented_control(key=confidence_key).set_value("high").run()
    saved = _rating(setup, "ana", cap)
    assert (saved.level, saved.evidence, saved.confidence) == (2, "Sampled 8 requirement documents", "high")
    # the stale tab, drawn again, shows the evidence saved since (nothing was typed in its box)
    assert phone.text_area(key=evidence_key).value == "Sampled 8 requirement documents"
    # and "Save evidence" pressed there with nothing typed puts nothing old back
    phone.button(key=f"rate_save_evidence_{cap}").click().run()
    assert _rating(setup, "ana", cap).evidence == "Sampled 8 requirement documents"


def test_typing_in_a_stale_tab_does_not_replace_evidence_saved_since_from_another(setup):
    """Evidence begun on the phone, then a laptop tab left open since before: typing there (saved at the
    first pause) replaced the phone's evidence, unseen."""
    cap = setup["model"].capabilities[0].id
    _, evidence_key, _ = _keys(setup, cap)
    laptop = app_test(setup["ids"]["ana"], page=PAGE).run()  # open since before the phone's save
    phone = app_test(setup["ids"]["ana"], page=PAGE).run()
    phone.text_area(key=evidence_key).input("Interviewed the CIO: no demand process").run()
    laptop.text_area(key=evidence_key).input("Sampled 8 requirement documents").run()
    assert not laptop.exception
    assert _rating(setup, "ana", cap).evidence == "Interviewed the CIO: no demand process"
    [error] = [e.value for e in laptop.error]
    assert error.startswith("Not saved: other evidence was saved for this capability from another tab or device")
    assert "Interviewed the CIO: no demand process" in [t.value for t in laptop.text]  # shown, to merge
    assert laptop.text_area(key=evidence_key).value == "Sampled 8 requirement documents"  # what was typed is kept
    assert not laptop.toast
    # typing on (a pause, leaving the box) still does not replace it: the message stays
    merged = "Interviewed the CIO: no demand process. Sampled 8 requirement documents"
    laptop.text_area(key=evidence_key).input(merged).run()
    assert _rating(setup, "ana", cap).evidence == "Interviewed the CIO: no demand process"
    assert [e.value for e in laptop.error] == [error]
    # nor is it lost going to the next capability and back (a box not drawn loses its value)
    laptop.button(key="rate_next").click().run()
    laptop.button(key="rate_prev").click().run()
    assert laptop.text_area(key=evidence_key).value == merged
    assert [e.value for e in laptop.error] == [error]
    # Save evidence, pressed once it has been shown, replaces it with what the box holds
    laptop.button(key=f"rate_save_evidence_{cap}").click().run()
    assert _rating(setup, "ana", cap).evidence == merged
    assert not laptop.error
    # said to screen readers; no toast: evidence saves at every pause in typing, and a toast each time
    # covered the page (the card's "✓ Saved" line says it)
    assert not laptop.toast
    assert any(f'"Evidence saved for {setup["model"].capabilities[0].name}"' in h.proto.body for h in laptop.get("html"))


def test_evidence_written_before_a_level_is_kept_and_the_capability_is_still_to_do_not_not_rated(setup):
    caps = setup["model"].capabilities
    level_key, evidence_key, _ = _keys(setup, caps[0].id)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.text_area(key=evidence_key).input("Interviewed the account managers").run()
    saved = _rating(setup, "ana", caps[0].id)
    assert (saved.level, saved.not_rated, saved.evidence) == (None, False, "Interviewed the account managers")
    again = app_test(setup["ids"]["ana"], page=PAGE).run()  # a new tab resumes there: nothing is decided yet
    assert again.subheader[0].value == caps[0].name
    assert again.radio(key=level_key).value is None  # "Not rated" is not chosen for the assessor
    jump = again.button(key=f"rate_jump_{caps[0].id}")
    assert "not rated" not in jump.label and "radio_button_unchecked" in jump.proto.icon
    with session_scope(setup["url"]) as session:
        ana = next(p for p in service.progress(session, setup["assessment"]) if p.username == "ana")
    assert (ana.rated, ana.not_rated) == (0, 0)
    again.radio(key=level_key).set_value("not rated").run()  # chosen now: counted as marked not rated
    saved = _rating(setup, "ana", caps[0].id)
    assert (saved.level, saved.not_rated, saved.evidence) == (None, True, "Interviewed the account managers")
    with session_scope(setup["url"]) as session:
        assert next(p for p in service.progress(session, setup["assessment"]) if p.username == "ana").not_rated == 1


def test_next_and_previous_move_through_the_capabilities(setup):
    caps = setup["model"].capabilities
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert at.button(key="rate_prev").disabled
    at.button(key="rate_next").click().run()
    assert at.subheader[0].value == caps[1].name
    at.button(key="rate_next").click().run()
    at.button(key="rate_prev").click().run()
    assert at.subheader[0].value == caps[1].name
    at.button(key=f"rate_jump_{caps[-1].id}").click().run()
    assert at.subheader[0].value == caps[-1].name
    assert at.button(key="rate_next").disabled


def test_page_resumes_at_the_first_capability_not_yet_rated(setup):
    caps = setup["model"].capabilities
    with session_scope(setup["url"]) as session:
        ana = accounts.get_by_username(session, "ana")
        for cap in caps[:2]:
            service.save_rating(session, setup["assessment"], ana, cap.id, 2)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert at.subheader[0].value == caps[2].name
    jump = at.button(key=f"rate_jump_{caps[0].id}")
    assert jump.label.endswith("· 2") and "check_circle" in jump.proto.icon


def test_submit_asks_for_confirmation_lists_unrated_and_locks(setup):
    caps = setup["model"].capabilities
    with session_scope(setup["url"]) as session:
        ana = accounts.get_by_username(session, "ana")
        for cap in caps[:-3]:
            service.save_rating(session, setup["assessment"], ana, cap.id, 3, evidence=HOSTILE if cap is caps[0] else "")
        service.save_rating(session, setup["assessment"], ana, caps[-3].id, None)  # "Not rated", chosen
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.button(key="rate_submit_start").click().run()
    # a capability marked "not rated" is a decision, not work left to do: counted apart, not listed as to do
    assert any("2 of 18 capabilities have no level yet (and 1 you marked not rated)" in w.value for w in at.warning)
    listed = "\n".join(m.value for m in at.markdown)
    assert f"- {caps[-2].name}" in listed and f"- {caps[-1].name}" in listed and f"- {caps[-3].name}" not in listed
    with session_scope(setup["url"]) as session:  # nothing is locked before the confirmation
        assert all(p.submitted_at is None for p in service.progress(session, setup["assessment"]))

    at.button(key="rate_submit_confirm").click().run()
    assert not at.exception
    with session_scope(setup["url"]) as session:
        mine = next(p for p in service.progress(session, setup["assessment"]) if p.username == "ana")
    assert mine.submitted_at is not None

    # The next run shows the ratings read-only, with the date, and refuses changes.
    locked = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert not locked.exception
    assert any(s.value.startswith("Submitted on ") for s in locked.success)
    assert not locked.radio and not locked.text_area and not locked.segmented_control
    assert not [b for b in locked.button if b.key and b.key.startswith("rate_submit")]
    with session_scope(setup["url"]) as session, pytest.raises(service.AssessmentError, match="locked"):
        service.save_rating(session, setup["assessment"], accounts.get_by_username(session, "ana"), caps[-1].id, 2)


def test_cancelling_the_submission_changes_nothing(setup):
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.button(key="rate_submit_start").click().run()
    at.button(key="rate_submit_cancel").click().run()
    assert at.button(key="rate_submit_start")
    with session_scope(setup["url"]) as session:
        assert all(p.submitted_at is None for p in service.progress(session, setup["assessment"]))


def test_evidence_with_html_and_markdown_is_shown_as_plain_text(setup):
    first = setup["model"].capabilities[0]
    with session_scope(setup["url"]) as session:
        ana = accounts.get_by_username(session, "ana")
        service.save_rating(session, setup["assessment"], ana, first.id, 2, evidence=HOSTILE, confidence="low")
        service.submit(session, setup["assessment"], ana)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.button(key=f"rate_jump_{first.id}").click().run()
    assert HOSTILE in [t.value for t in at.text]
    rendered = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert not any("<script>" in value or "**not bold**" in value for value in rendered)
    assert HOSTILE in at.dataframe[0].value["Evidence"].tolist()  # a table cell is data, not markup


def test_summary_table_lists_every_capability_with_the_assessors_levels(setup):
    caps = setup["model"].capabilities
    with session_scope(setup["url"]) as session:
        ana = accounts.get_by_username(session, "ana")
        service.save_rating(session, setup["assessment"], ana, caps[1].id, 4, confidence="high")
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    table = at.dataframe[0].value
    assert len(table) == len(caps)
    row = table[table["Capability"] == caps[1].name].iloc[0]
    assert row["Level"] == "4 · Managed" and row["Confidence"] == "high"
    assert table[table["Capability"] == caps[0].name].iloc[0]["Level"] == "—"
    # a phone gets the same rows as a list: the capability with its whole level, then what was written
    phone = next(h.value for h in at.get("html") if "itcap-records" in h.value)
    assert f"<strong>{caps[1].name} · 4 · Managed</strong>" in phone.replace("&amp;", "&") and "Confidence: high" in phone
    with session_scope(setup["url"]) as session:  # evidence written, no level chosen yet: not "not rated"
        service.update_rating(session, setup["assessment"], ana, caps[2].id, evidence="Reading the audit")
    table = app_test(setup["ids"]["ana"], page=PAGE).run().dataframe[0].value
    assert table[table["Capability"] == caps[2].name].iloc[0]["Level"] == "—"


def test_lead_assessor_rates_on_the_same_page(setup):
    cap = setup["model"].capabilities[0].id
    level_key, *_ = _keys(setup, cap)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not at.exception
    at.radio(key=level_key).set_value(2).run()
    assert _rating(setup, "lee", cap).level == 2
    assert _rating(setup, "ana", cap) is None


def test_a_save_refused_because_the_assessment_closed_meanwhile_says_so_and_keeps_the_typed_evidence(setup):
    """The page redraws read-only once the assessment is closed: evidence typed in the box vanished with
    it, and the message ("reopen it first") asked the assessor for what only the lead can do."""
    cap = setup["model"].capabilities[0]
    level_key, evidence_key, _ = _keys(setup, cap.id)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    with session_scope(setup["url"]) as session:  # the lead closes the assessment meanwhile
        service.set_status(session, setup["assessment"], service.CLOSED, actor=accounts.get_by_username(session, "lee"))
    at.text_area(key=evidence_key).input("Sampled <b>12</b> changes; 3 had no approval").run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("Not saved to **") and cap.name in error
    assert "closed meanwhile; only the lead assessor or an administrator can reopen it" in error
    assert "Sampled <b>12</b> changes; 3 had no approval" in [t.value for t in at.text]  # to keep, exactly as typed
    assert _rating(setup, "ana", cap.id) is None
    assert not at.toast


def test_a_reopened_assessor_is_told_who_reopened_their_ratings_and_to_submit_again(setup):
    """Reopened, the page looked as if nothing had been submitted: nothing said the lead expected a new submission."""
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert not any("reopened" in i.value for i in at.info)
    with session_scope(setup["url"]) as session:
        ana = accounts.get_by_username(session, "ana")
        service.submit(session, setup["assessment"], ana)
        service.reopen_submission(session, setup["assessment"], ana.id, actor=accounts.get_by_username(session, "lee"))
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert not at.exception
    [notice] = [i.value for i in at.info if "reopened" in i.value]
    assert notice.startswith("Your submitted ratings were reopened by Lee Lead on ")
    assert "then **submit again** (below): until then your ratings count as not submitted." in notice
    # submitted again: the lock notice, and no word of the reopening
    at.button(key="rate_submit_start").click().run()
    at.button(key="rate_submit_confirm").click().run()
    assert not any("reopened" in i.value for i in at.info)
    assert any(s.value.startswith("Submitted on ") for s in at.success)


def test_a_closed_assessment_says_so_at_the_start_of_its_name_in_the_choice(setup):
    """'… · 08 Dec 2025 — closed' was cut off before '— closed' in a phone's selectbox."""
    with session_scope(setup["url"]) as session:
        lee = accounts.get_by_username(session, "lee")
        old = service.create_assessment(
            session, name="Review 2025", org_unit="Corporate IT", model_id=service.get_assessment(session, setup["assessment"]).model_id, assessed_on=dt.date(2025, 3, 1),
            assessor_ids=[setup["ids"]["ana"]], lead_id=lee.id, actor=lee)
        service.set_status(session, old.id, service.CLOSED, actor=lee)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    [choice] = at.selectbox
    assert choice.options == ["Review 2026 · Corporate IT · 01 Mar 2026",
                                                               "Closed — Review 2025 · Corporate IT · 01 Mar 2025"]


def test_closed_assessment_is_read_only(setup):
    with session_scope(setup["url"]) as session:
        service.set_status(session, setup["assessment"], service.CLOSED, actor=accounts.get_by_username(session, "lee"))
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert any("closed" in i.value for i in at.info)
    assert not at.radio


def test_once_closed_an_assessor_sees_where_their_levels_ended_up(setup):
    caps = setup["model"].capabilities
    with session_scope(setup["url"]) as session:
        ana, lee = accounts.get_by_username(session, "ana"), accounts.get_by_username(session, "lee")
        service.save_rating(session, setup["assessment"], ana, caps[0].id, 1)
        service.save_rating(session, setup["assessment"], lee, caps[0].id, 4)
        service.save_rating(session, setup["assessment"], ana, caps[1].id, 2)
        service.save_rating(session, setup["assessment"], lee, caps[1].id, 2)
        service.override_consensus(session, setup["assessment"], caps[0].id, 3, "Records seen in the review.", actor=lee)
    open_page = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert not [i for i in open_page.info if "Final consensus" in i.value]  # nothing to sway anyone while open
    with session_scope(setup["url"]) as session:
        service.set_status(session, setup["assessment"], service.CLOSED, actor=accounts.get_by_username(session, "lee"))
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.button(key=f"rate_jump_{caps[0].id}").click().run()
    assert any(i.value == "**Final consensus:** 3 · Defined — set by the lead assessor." for i in at.info)
    at.button(key=f"rate_jump_{caps[1].id}").click().run()
    assert any(i.value == "**Final consensus:** 2 · Repeatable — the median of the panel's levels." for i in at.info)


@pytest.mark.parametrize("who_logs_in", ["ana", "lee"])
def test_evidence_typed_when_the_session_timed_out_is_put_back_for_the_same_account_only(setup, who_logs_in):
    from itcap.storage import utcnow
    from itcap.ui.auth import SESSION_SEEN_AT

    cap = setup["model"].capabilities[0]
    _, evidence_key, _ = _keys(setup, cap.id)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    typed = "Sampled 12 change records in the meeting; 3 lacked approval."
    at.text_area(key=evidence_key).input(typed)
    at.session_state[SESSION_SEEN_AT] = utcnow() - dt.timedelta(hours=2)  # the meeting ran long
    at.run()
    assert any("timed out" in i.value and "put back" in i.value for i in at.info)
    assert _rating(setup, "ana", cap.id) is None  # nothing is saved by a timed-out session
    log_in_on_page(at, who_logs_in, PASSWORD)
    assert not at.exception
    if who_logs_in == "lee":  # someone else in the same tab never sees Ana's words
        assert all(box.value != typed for box in at.text_area)
        return
    assert at.text_area(key=evidence_key).value == typed
    assert any("timed out before this evidence was saved" in w.value for w in at.warning)
    at.button(key=f"rate_save_evidence_{cap.id}").click().run()
    assert _rating(setup, "ana", cap.id).evidence == typed


def test_save_evidence_button_saves_the_box(setup):
    cap = setup["model"].capabilities[0]
    _, evidence_key, _ = _keys(setup, cap.id)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.text_area(key=evidence_key).set_value("Interviewed the service desk lead.")
    at.button(key=f"rate_save_evidence_{cap.id}").click().run()
    assert _rating(setup, "ana", cap.id).evidence == "Interviewed the service desk lead."


def test_a_new_tab_resumes_at_the_capability_changed_last_once_all_are_rated(setup):
    caps = setup["model"].capabilities
    with session_scope(setup["url"]) as session:
        ana = accounts.get_by_username(session, "ana")
        for cap in caps:
            service.save_rating(session, setup["assessment"], ana, cap.id, 3)
        service.save_rating(session, setup["assessment"], ana, caps[7].id, 4)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    assert at.subheader[0].value == caps[7].name


def test_submit_mentions_levels_without_evidence_or_confidence_and_who_can_reopen(setup):
    caps = setup["model"].capabilities
    with session_scope(setup["url"]) as session:
        ana = accounts.get_by_username(session, "ana")
        for i, cap in enumerate(caps):
            service.save_rating(session, setup["assessment"], ana, cap.id, 3, evidence="" if i < 2 else "seen",
                                confidence=None if i == 2 else "high")
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.button(key="rate_submit_start").click().run()
    assert any("2 have no evidence written and 1 has no confidence given" in i.value for i in at.info)
    lacking = f"- {caps[0].name}: no evidence\n- {caps[1].name}: no evidence\n- {caps[2].name}: no confidence"
    assert any(m.value == lacking for m in at.markdown)
    assert any("only the lead assessor or an administrator can reopen them" in m.value for m in at.markdown)
    at.button(key="rate_submit_confirm").click().run()
    [locked] = [s.value for s in at.success if s.value.startswith("Submitted on ")]
    assert "ask the lead assessor, Lee Lead, or an administrator to reopen them" in locked


def test_after_a_timeout_the_page_opens_where_evidence_was_left_unsaved(setup):
    """The usual case: a level chosen (saved at once), evidence typed through a meeting, a timeout.
    Logging in again opens that capability, not the first one still to rate."""
    from itcap.storage import utcnow
    from itcap.ui.auth import SESSION_SEEN_AT

    caps = setup["model"].capabilities
    target = caps[4]
    _, evidence_key, _ = _keys(setup, target.id)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    at.button(key=f"rate_jump_{target.id}").click().run()
    at.radio(key=_keys(setup, target.id)[0]).set_value(3).run()
    assert _rating(setup, "ana", target.id).level == 3
    at.text_area(key=evidence_key).input("Notes from the meeting with the service owner.")
    at.session_state[SESSION_SEEN_AT] = utcnow() - dt.timedelta(hours=2)
    at.run()
    log_in_on_page(at, "ana", PASSWORD)
    assert at.subheader[0].value == target.name
    assert at.text_area(key=evidence_key).value == "Notes from the meeting with the service owner."
    assert any("timed out before this evidence was saved" in w.value for w in at.warning)


def test_a_submitted_lead_is_pointed_to_the_consensus_page_only_while_they_can_open_it(setup):
    with session_scope(setup["url"]) as session:
        lee = accounts.get_by_username(session, "lee")
        service.submit(session, setup["assessment"], lee)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert any("As lead assessor you can reopen them on the **Consensus** page" in s.value for s in at.success)
    with session_scope(setup["url"]) as session:  # the lead assessor role taken away: the page is not theirs now
        accounts.set_roles(session, accounts.get_by_username(session, "lee"), ["assessor"])
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not at.exception
    [locked] = [s.value for s in at.success if s.value.startswith("Submitted on")]
    assert "Consensus" not in locked and "ask the lead assessor" in locked and "an administrator to reopen them" in locked


def test_once_closed_a_submitted_assessor_is_told_it_is_closed_not_to_ask_for_a_reopening(setup):
    """Submitted, then closed: the notice still said to ask for the ratings to be reopened, which the
    closed assessment refuses, and nothing on the page said it was closed."""
    with session_scope(setup["url"]) as session:
        ana, lee = accounts.get_by_username(session, "ana"), accounts.get_by_username(session, "lee")
        service.submit(session, setup["assessment"], ana)
        service.submit(session, setup["assessment"], lee)
        service.set_status(session, setup["assessment"], service.CLOSED, actor=lee)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    [locked] = [s.value for s in at.success if s.value.startswith("Submitted on")]
    assert locked.endswith("The assessment is closed: ratings can no longer change unless the lead assessor, Lee Lead, "
                           "or an administrator reopens it.")
    lead = app_test(setup["ids"]["lee"], page=PAGE).run()
    [locked] = [s.value for s in lead.success if s.value.startswith("Submitted on")]
    assert locked.endswith("The assessment is closed: you can reopen it on the **Consensus** page if something needs to change.")


def test_an_assessor_removed_while_typing_is_told_which_assessment_and_gets_their_text_back(setup):
    cap = setup["model"].capabilities[0]
    _, evidence_key, _ = _keys(setup, cap.id)
    at = app_test(setup["ids"]["ana"], page=PAGE).run()
    with session_scope(setup["url"]) as session:  # an administrator removes Ana meanwhile
        service.remove_assessor(session, setup["assessment"], setup["ids"]["ana"],
                                actor=accounts.get_by_username(session, "admin"))
    at.text_area(key=evidence_key).input("Interviewed the service owner <b>twice</b>")
    at.button(key=f"rate_save_evidence_{cap.id}").click().run()
    assert not at.exception
    [refused] = [e.value for e in at.error]
    assert refused.startswith(f"Not saved to **Review 2026**, {cap.name}: 'ana' is not (or no longer) an assessor")
    assert "Interviewed the service owner <b>twice</b>" in [t.value for t in at.text]  # as typed, plain
    assert "not an assessor of any assessment" in at.info[0].value  # the page itself says where she stands now
