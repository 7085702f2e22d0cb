"""AppTest: the lead assessor's "Consensus" page."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import delete
from streamlit.testing.v1 import AppTest

from assessment import service
from assessment.tables import Rating
from itcap import accounts, audit
from itcap.bootstrap import bootstrap
from itcap.storage import dispose_engines, session_scope, utcnow
from itcap.ui.auth import SESSION_ACCOUNT, SESSION_LOGIN_AT, SESSION_SEEN_AT
from tests.support import ROOT, app_test, database_copy, log_in_on_page

PASSWORD = "correct horse battery"
PAGE = "pages/consensus.py"
HOSTILE = '<img src=x onerror=alert(1)> **not bold** <b>raw</b>'


@pytest.fixture(scope="module")
def populated(sqlite_template, tmp_path_factory):
    """Built once, copied per test: lead ``lee`` with assessors ``ana`` and ``bob``; ``lou`` holds the
    lead_assessor role but leads nothing; ``dir`` is leadership; ``admin`` from bootstrap.

    Ratings: the first capability 1/3/3 (flagged, Ana's evidence hostile markup), the second
    2/2/2, the rest 2/3/2; Ana has submitted."""
    path = tmp_path_factory.mktemp("consensus") / "populated.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    bootstrap(url)
    with session_scope(url) as session:
        lee = accounts.create_account(session, "lee", PASSWORD, ["lead_assessor", "assessor"], "Lee Lead")
        ana = accounts.create_account(session, "ana", PASSWORD, ["assessor"], "Ana Assessor")
        bob = accounts.create_account(session, "bob", PASSWORD, ["assessor"], "Bob Assessor")
        accounts.create_account(session, "lou", PASSWORD, ["lead_assessor"], "Lou Otherlead")
        accounts.create_account(session, "dir", PASSWORD, ["leadership"], "Dana Director")
        from capability_model.store import ensure_default_model

        model_id = ensure_default_model(session).id
        assessment = service.create_assessment(
            session, name="Review 2026", org_unit="Corporate IT", model_id=model_id, assessed_on=dt.date(2026, 3, 1),
            assessor_ids=[ana.id, bob.id], lead_id=lee.id, actor=lee)
        model = service.model_for(session, assessment)
        caps = model.capability_ids
        for i, cap in enumerate(caps):
            levels = {"ana": 1, "bob": 3, "lee": 3} if i == 0 else ({"ana": 2, "bob": 2, "lee": 2} if i == 1 else {"ana": 2, "bob": 3, "lee": 2})
            for who, level in levels.items():
                person = {"ana": ana, "bob": bob, "lee": lee}[who]
                evidence = HOSTILE if (i == 0 and who == "ana") else f"{who} saw level {level}"
                service.save_rating(session, assessment.id, person, cap, level, evidence=evidence,
                                    confidence="low" if who == "ana" else "high")
        service.submit(session, assessment.id, ana)
        ids = {a.username: a.id for a in accounts.list_accounts(session)}
    dispose_engines()
    return path, {"ids": ids, "assessment": assessment.id, "model": model, "model_id": model_id}


@pytest.fixture
def setup(populated, tmp_path, monkeypatch):
    path, info = populated
    with database_copy(path, tmp_path, monkeypatch) as url:
        yield {**info, "url": url}


def _direct(account_id: int) -> AppTest:
    """The page file on its own (no navigation), so its own role check is what is tested."""
    at = AppTest.from_file(str(ROOT / PAGE), default_timeout=60)
    at.session_state[SESSION_ACCOUNT] = account_id
    at.session_state[SESSION_LOGIN_AT] = utcnow()
    at.session_state[SESSION_SEEN_AT] = utcnow()
    return at


def _prefix(setup, kind: str, cap: str) -> str:
    return f"cons_{kind}_{setup['assessment']}_{cap}"


def _decide(at: AppTest, prefix: str, level: int, rationale: str) -> None:
    """Fill in a capability's consensus form and send it."""
    at.selectbox(key=f"{prefix}_level").set_value(level)
    at.text_area(key=f"{prefix}_rationale").input(rationale)
    at.button(key=f"{prefix}_submit").click().run()


def _history(setup, cap):
    with session_scope(setup["url"]) as session:
        return service.override_history(session, setup["assessment"], cap)


@pytest.mark.parametrize("username", ["dir", "ana"])
def test_page_is_refused_without_lead_or_admin_role(setup, username):
    at = app_test(setup["ids"][username], page=PAGE).run()
    assert not at.exception
    assert "Consensus" not in [t.value for t in at.title]
    direct = _direct(setup["ids"][username]).run()
    assert [e.value for e in direct.error] == ["You do not have access to this page."]
    assert not direct.dataframe


def test_lead_assessor_role_without_an_assessment_to_lead(setup):
    at = app_test(setup["ids"]["lou"], page=PAGE).run()
    assert not at.exception
    assert any("not the lead assessor of any assessment" in i.value for i in at.info)
    assert not at.dataframe


def test_lead_sees_levels_side_by_side_flagged_first(setup):
    model = setup["model"]
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Consensus"
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Submitted"] == "1 of 3" and metrics["Flagged"] == "1" and metrics["Overrides in force"] == "0"
    assert metrics["Position"] in {m.name for m in model.modes} | {"None"}
    table = at.dataframe[0].value
    first = table.iloc[0]
    assert first["Capability"] == model.capabilities[0].name and first["Flag"] == "⚠"
    assert (first["Ana Assessor"], first["Bob Assessor"], first["Lee Lead"]) == ("1", "3", "3")
    assert (first["Median"], first["Spread"], first["Consensus"]) == ("3", "2", "3")
    assert (table["Flag"] == "⚠").sum() == 1
    # The flagged capability's expander comes first, open, with a warning icon.
    assert at.expander[0].label.startswith(model.capabilities[0].name)


def test_assessors_who_share_a_name_or_are_called_like_a_column_keep_their_own_columns(setup):
    """Two "Sam Same"s and a lead called "Median": each assessor's level stays in a column of its own,
    and the Median column still shows the median."""
    with session_scope(setup["url"]) as session:
        for username, name in (("ana", "Sam Same"), ("bob", "Sam Same"), ("lee", "median")):
            accounts.get_by_username(session, username).display_name = name
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not at.exception
    first = at.dataframe[0].value.iloc[0]
    assert (first["Sam Same (ana)"], first["Sam Same (bob)"], first["median (lee)"]) == ("1", "3", "3")
    assert first["Median"] == "3"
    names = [m.value for m in at.markdown if m.value.startswith("**Sam Same")]
    assert names and all("(ana)" in n or "(bob)" in n for n in names)


def test_evidence_and_confidence_of_each_assessor_shown_as_plain_text(setup):
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    texts = [t.value for t in at.text]
    assert HOSTILE in texts
    assert "bob saw level 3" in texts
    markdown = [m.value for m in at.markdown]
    assert "**Ana Assessor** — 1 · Initial · confidence low" in markdown
    assert not any("<img" in value for value in markdown + [c.value for c in at.caption])


def test_an_assessor_who_wrote_evidence_but_chose_no_level_is_not_shown_as_not_rated(setup):
    first = setup["model"].capability_ids[0]
    with session_scope(setup["url"]) as session:
        session.execute(delete(Rating).where(Rating.account_id == setup["ids"]["bob"], Rating.capability_id == first))
        bob = accounts.get_by_username(session, "bob")
        service.update_rating(session, setup["assessment"], bob, first, evidence="Still reading the audit")
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    markdown = [m.value for m in at.markdown]
    assert "**Bob Assessor** — no level yet" in markdown
    with session_scope(setup["url"]) as session:
        service.update_rating(session, setup["assessment"], bob, first, level=None)  # now chosen
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert "**Bob Assessor** — not rated" in [m.value for m in at.markdown]


def test_the_lead_is_told_when_ratings_change_after_a_decision(setup):
    """A confirmed median of 3 silently became an 'override' once a late rating moved the median."""
    first = setup["model"].capability_ids[0]
    with session_scope(setup["url"]) as session:
        lee = accounts.get_by_username(session, "lee")
        service.override_consensus(session, setup["assessment"], first, 3, "Discussed: 3 holds", actor=lee)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not any("after this decision" in w.value for w in at.warning)
    with session_scope(setup["url"]) as session:
        bob = accounts.get_by_username(session, "bob")
        service.update_rating(session, setup["assessment"], bob, first, level=5)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    name = setup["model"].capabilities[0].name
    assert any(w.value.startswith("**An assessor's level changed, or an assessor was removed, after that decision:** " + name
                                  + ". Check that it still holds (below)") for w in at.warning)
    assert any("An assessor's level for this capability changed, or an assessor was removed, after this decision" in w.value for w in at.warning)
    # "Check … (below)": the decision's capability is open and marked, not one closed box among many
    [box] = [e for e in at.expander if e.label.startswith(name + " —")]
    assert box.label.endswith("· check: levels changed") and box.proto.expanded
    # deciding the same level again, with a rationale, says it still holds: the warning goes
    with session_scope(setup["url"]) as session:
        service.override_consensus(session, setup["assessment"], first, 3, "Bob's 5 discussed: 3 still holds", actor=lee)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not any("after this decision" in w.value or "after that decision" in w.value for w in at.warning)
    assert not any("check:" in e.label for e in at.expander)
    # evidence or confidence changed, or a save that changes nothing: not a level, so no warning
    with session_scope(setup["url"]) as session:
        service.update_rating(session, setup["assessment"], bob, first, evidence="Re-read the audit", confidence="low")
        service.update_rating(session, setup["assessment"], bob, first, level=5)  # the same level again
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not any("after this decision" in w.value or "after that decision" in w.value for w in at.warning)


def test_the_lead_is_told_when_an_assessor_removed_after_a_decision_took_their_levels_with_them(setup):
    """Ana 1, Bob 3, Lee 3: the lead confirms 3. Removing Bob leaves 1 and 3 (median 2): the confirmed
    median is now a level 'set in place of' another, and the lead is told; the levels Bob had given
    are kept in the audit log."""
    first = setup["model"].capability_ids[0]
    with session_scope(setup["url"]) as session:
        lee = accounts.get_by_username(session, "lee")
        service.override_consensus(session, setup["assessment"], first, 3, "Discussed: 3 holds", actor=lee)
        admin = accounts.get_by_username(session, "admin")
        service.remove_assessor(session, setup["assessment"], setup["ids"]["bob"], actor=admin)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not at.exception
    name = setup["model"].capabilities[0].name
    assert any(w.value.startswith("**An assessor's level changed, or an assessor was removed, after that decision:** " + name)
               for w in at.warning)
    with session_scope(setup["url"]) as session:
        [entry] = [e for e in audit.recent(session) if e.action == "assessment.remove_assessor"]
    assert entry.detail.startswith(f"bob; {len(setup['model'].capability_ids)} rating(s) deleted; levels they had given: {first} 3, ")
    # an assessor removed before they gave any level moves no median: no warning
    with session_scope(setup["url"]) as session:
        service.override_consensus(session, setup["assessment"], first, 3, "Bob gone: 3 still holds", actor=lee)
        lou = accounts.create_account(session, "newbie", PASSWORD, ["assessor"], "New Bie")
        service.add_assessor(session, setup["assessment"], lou.id, actor=admin)
        service.remove_assessor(session, setup["assessment"], lou.id, actor=admin)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert not any("after this decision" in w.value or "after that decision" in w.value for w in at.warning)


def test_override_requires_a_rationale_then_is_kept_with_who_and_when(setup):
    cap = setup["model"].capabilities[0]
    prefix = _prefix(setup, "override", cap.id)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    at.selectbox(key=f"{prefix}_level").set_value(2)
    at.text_area(key=f"{prefix}_rationale").input("   ")
    at.button(key=f"{prefix}_submit").click().run()
    # said by the form that was used, not at the top of a long page
    [expander] = [e for e in at.expander if e.label.startswith(cap.name)]
    assert any("rationale" in e.value for e in expander.error)
    assert any(f'"{cap.name}: ' in h.proto.body and "rationale" in h.proto.body and "aria-live" in h.proto.body
               for h in at.get("html"))
    assert _history(setup, cap.id) == []

    at.selectbox(key=f"{prefix}_level").set_value(2)
    at.text_area(key=f"{prefix}_rationale").input("Records show the process is followed by one team only.")
    at.button(key=f"{prefix}_submit").click().run()
    assert not at.exception
    assert any("consensus set to level 2" in s.value for s in at.success)
    # said to a screen reader too: the page reran, and focus left the button for the page itself
    assert any(f'"{cap.name}: consensus set to level 2."' in h.proto.body and "aria-live" in h.proto.body for h in at.get("html"))
    [row] = _history(setup, cap.id)
    assert (row.level, row.decided_by, row.rationale) == (2, "lee", "Records show the process is followed by one team only.")

    after = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert {m.label: m.value for m in after.metric}["Overrides in force"] == "1"
    assert after.dataframe[0].value.iloc[0]["Consensus"] == "2 (override)"
    assert any(m.value.startswith("**Consensus in force: 2 · Repeatable** — set in place of the median, 3 · Defined, by Lee Lead")
               for m in after.markdown)
    assert {m.label: m.delta for m in after.metric}["Flagged"] == "1 decided"
    [entry] = [m.value for m in after.markdown if m.value.endswith("· **2 · Repeatable** · Lee Lead")]
    # the rationale, as typed, under the consensus in force and under its history entry
    assert [t.value for t in after.text].count("Records show the process is followed by one team only.") == 2


def test_a_stale_tab_does_not_overwrite_a_decision_it_never_saw(setup):
    """Two tabs open on the page: the first decides level 2; the second, not reloaded, asks for 4.
    The second is refused with who decided what, its rationale is kept, and level 2 stays in force."""
    cap = setup["model"].capabilities[0]
    prefix = _prefix(setup, "override", cap.id)
    tab_a = app_test(setup["ids"]["lee"], page=PAGE).run()
    tab_b = app_test(setup["ids"]["lee"], page=PAGE).run()
    tab_a.selectbox(key=f"{prefix}_level").set_value(2)
    tab_a.text_area(key=f"{prefix}_rationale").input("Evidence says 2.")
    tab_a.button(key=f"{prefix}_submit").click().run()
    assert any("consensus set to level 2" in s.value for s in tab_a.success)

    tab_b.selectbox(key=f"{prefix}_level").set_value(4)
    tab_b.text_area(key=f"{prefix}_rationale").input("Evidence says 4.")
    tab_b.button(key=f"{prefix}_submit").click().run()
    assert not tab_b.exception
    [expander] = [e for e in tab_b.expander if e.label.startswith(cap.name)]
    assert any("lee set level 2" in e.value and "nothing was saved" in e.value for e in expander.error)
    assert tab_b.text_area(key=f"{prefix}_rationale").value == "Evidence says 4."
    assert [(row.level, row.rationale) for row in _history(setup, cap.id)] == [(2, "Evidence says 2.")]
    # having now seen it, the same tab may decide again
    tab_b.button(key=f"{prefix}_submit").click().run()
    assert any("consensus set to level 4" in s.value for s in tab_b.success)
    assert [row.level for row in _history(setup, cap.id)] == [2, 4]


def test_withdrawing_an_override_needs_a_rationale_and_returns_to_the_median(setup):
    cap = setup["model"].capabilities[0]
    with session_scope(setup["url"]) as session:
        service.override_consensus(session, setup["assessment"], cap.id, 2, "first decision",
                                   actor=accounts.get_by_username(session, "lee"))
    prefix = _prefix(setup, "withdraw", cap.id)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    level_box = f"{_prefix(setup, 'override', cap.id)}_level"
    assert at.selectbox(key=level_box).value == 2  # the override in force
    at.button(key=f"{prefix}_submit").click().run()
    assert any("rationale" in e.value for e in at.error)
    at.text_area(key=f"{prefix}_rationale").input("New evidence supports the median.")
    at.button(key=f"{prefix}_submit").click().run()
    assert any("decision withdrawn, back to the median" in s.value for s in at.success)
    assert at.selectbox(key=level_box).value == 3  # back to the median, not the withdrawn level
    assert [(o.level, o.rationale) for o in _history(setup, cap.id)] == [(2, "first decision"), (None, "New evidence supports the median.")]
    after = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert after.dataframe[0].value.iloc[0]["Consensus"] == "3"
    entries = [m.value.split(" · ", 1)[1] for m in after.markdown if m.value.endswith("· Lee Lead")]
    assert entries == ["**withdrawn** · Lee Lead", "**2 · Repeatable** · Lee Lead"]  # newest first


def test_lead_reopens_a_submission(setup):
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert [b.key for b in at.button if b.key and b.key.startswith("cons_reopen_")] == [f"cons_reopen_{setup['ids']['ana']}"]
    at.button(key=f"cons_reopen_{setup['ids']['ana']}").click().run()
    # one tap only asks: reopening cannot be undone by the lead (only the assessor can submit again)
    assert any("Reopen **Ana Assessor**'s ratings?" in m.value for m in at.markdown)
    with session_scope(setup["url"]) as session:
        assert sum(p.submitted_at is not None for p in service.progress(session, setup["assessment"])) == 1
    at.button(key=f"cons_reopen_cancel_{setup['ids']['ana']}").click().run()
    assert not any("Reopen **Ana Assessor**'s ratings?" in m.value for m in at.markdown)
    at.button(key=f"cons_reopen_{setup['ids']['ana']}").click().run()
    at.button(key=f"cons_reopen_confirm_{setup['ids']['ana']}").click().run()
    assert not at.exception
    assert any("reopened" in s.value for s in at.success)
    with session_scope(setup["url"]) as session:
        assert all(p.submitted_at is None for p in service.progress(session, setup["assessment"]))


def test_admin_sees_everything_read_only_but_may_reopen(setup):
    at = app_test(setup["ids"]["admin"], page=PAGE).run()
    assert not at.exception
    assert any("viewing as an administrator" in i.value and "Lee Lead" in i.value for i in at.info)
    assert not at.text_area  # no override or withdraw forms
    assert at.button(key=f"cons_reopen_{setup['ids']['ana']}")
    assert HOSTILE in [t.value for t in at.text]


def test_reliability_says_what_to_conclude(setup):
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    with session_scope(setup["url"]) as session:
        report = service.assessment_reliability(session, setup["assessment"])
    icc2k = report.icc_by_type["ICC2k"].icc
    [verdict] = [m.value for m in at.markdown if m.value.startswith("Taken together, the reliability of the assessors' levels is")]
    assert f"ICC2k {icc2k:.2f}" in verdict and "Krippendorff's α" in verdict


def test_reliability_table_has_the_six_icc_forms_and_alpha(setup):
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    table = at.table[0].value
    assert list(table.index) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k", "Krippendorff's α (ordinal)"]
    with session_scope(setup["url"]) as session:
        report = service.assessment_reliability(session, setup["assessment"])
    icc2 = report.icc_by_type["ICC2"]
    assert table.loc["ICC2", "Value"] == f"{icc2.icc:.2f}"
    low, high = icc2.ci95
    assert table.loc["ICC2", "95% CI"] == (f"{low:.2f}–{high:.2f}" if low >= 0 else f"{low:.2f} to {high:.2f}")
    assert table.loc["Krippendorff's α (ordinal)", "Value"] == f"{report.alpha.alpha:.2f}"
    assert any(e.label == "What the numbers mean" for e in at.expander)
    # three assessors: every one of the 27 draws, not "1,000 resamples" drawn at random
    assert any("the share of all 27 possible resamples of the 3 assessors" in m.value for m in at.markdown)


def test_reliability_says_why_when_it_cannot_be_computed(setup):
    with session_scope(setup["url"]) as session:
        lee = accounts.get_by_username(session, "lee")
        solo = service.create_assessment(session, name="Solo", org_unit="Digital", model_id=setup["model_id"], assessed_on=dt.date(2026, 9, 1),
                                         assessor_ids=[], lead_id=lee.id, actor=lee)
        service.save_rating(session, solo.id, lee, setup["model"].capability_ids[0], 3)
        solo_id = solo.id
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    at.selectbox(key="cons_assessment").set_value(solo_id).run()
    assert not at.exception
    table = at.table[0].value
    assert (table["Value"] == "—").all()
    assert all("not computed" in text for text in table["What it says"])
    meaning = next(m.value for m in at.markdown if "Stability of the position" in m.value)
    assert "needs at least two assessors who have rated, so none is given yet" in meaning and "0 resamples" not in meaning


def test_lead_confirms_the_median_of_a_flagged_capability_with_a_rationale(setup):
    """The panel discussed a disagreement and kept the median: that decision is recorded and settles the flag."""
    cap = setup["model"].capabilities[0]  # 1/3/3: flagged, median 3
    prefix = _prefix(setup, "override", cap.id)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert {m.label: m.delta for m in at.metric}["Flagged"] == "0 decided"
    _decide(at, prefix, 3, "Ana saw one team only; the other two saw the whole service.")
    assert not at.exception
    assert any("the median, level 3, is confirmed" in s.value for s in at.success)
    assert [(o.level, o.rationale) for o in _history(setup, cap.id)] == [(3, "Ana saw one team only; the other two saw the whole service.")]
    after = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert {m.label: m.delta for m in after.metric}["Flagged"] == "1 decided"
    assert {m.label: m.value for m in after.metric}["Overrides in force"] == "0"  # a decision, not an override
    assert after.dataframe[0].value.iloc[0]["Consensus"] == "3 (median confirmed)"
    assert any(e.label.startswith(cap.name) and e.label.endswith("· median confirmed") for e in after.expander)
    assert any(m.value.startswith("**Consensus in force: 3 · Defined** — the median, confirmed by Lee Lead") for m in after.markdown)
    withdraw = after.text_area(key=f"{_prefix(setup, 'withdraw', cap.id)}_rationale")
    assert withdraw.label == "Why withdraw the decision? (required)"  # not "the override": there is none


def test_an_override_that_changes_nothing_is_refused(setup):
    """Setting an unflagged capability's consensus to its median (or any to the override already in
    force) would count as an override without changing or deciding anything."""
    cap = setup["model"].capabilities[1]  # 2/2/2: agreement
    with session_scope(setup["url"]) as session:
        median = next(c.median for c in service.consensus(session, setup["assessment"]) if c.capability_id == cap.id)
    assert median is not None and float(median).is_integer()
    prefix = _prefix(setup, "override", cap.id)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    at.selectbox(key=f"{prefix}_level").set_value(int(median))
    at.text_area(key=f"{prefix}_rationale").input("We agree with the median.")
    at.button(key=f"{prefix}_submit").click().run()
    [expander] = [e for e in at.expander if e.label.startswith(cap.name)]
    assert any(f"level {int(median)} is the median" in e.value for e in expander.error)
    assert _history(setup, cap.id) == []
    other = int(median) + 1 if median < setup["model"].max_level else int(median) - 1
    with session_scope(setup["url"]) as session:
        lee = accounts.get_account(session, setup["ids"]["lee"])
        service.override_consensus(session, setup["assessment"], cap.id, other, "the records say so", actor=lee)
    with session_scope(setup["url"]) as session, pytest.raises(service.AssessmentError, match="already level"):
        service.override_consensus(session, setup["assessment"], cap.id, other, "again", actor=accounts.get_account(session, setup["ids"]["lee"]))


def test_a_rationale_typed_when_the_session_timed_out_is_put_back(setup):
    cap = setup["model"].capabilities[0]
    prefix = _prefix(setup, "override", cap.id)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    at.session_state[SESSION_SEEN_AT] = utcnow() - dt.timedelta(hours=2)  # the next run finds the session timed out
    _decide(at, prefix, 2, "Long discussion: the records show one team only.")
    assert _history(setup, cap.id) == []  # a timed-out session decides nothing
    log_in_on_page(at, "lee", PASSWORD)
    assert at.text_area(key=f"{prefix}_rationale").value == "Long discussion: the records show one team only."
    assert any("timed out before this rationale was sent" in w.value for w in at.warning)


def test_the_lead_closes_the_assessment_when_the_panel_is_done_and_may_reopen_it(setup):
    key = f"cons_close_{setup['assessment']}"
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    assert [b for b in at.button if b.label == "Set consensus"]
    at.button(key=key).click().run()
    # asked first, with what it would freeze unfinished: the submissions, and a disagreement nobody decided
    cap = setup["model"].capabilities[0].name
    assert any(w.value.endswith(f"— 2 of 3 assessors have not submitted; 1 flagged capability has no decision ({cap}).")
               for w in at.warning)
    at.button(key=f"{key}__yes").click().run()
    assert not at.exception
    assert any("The assessment is closed" in s.value for s in at.success)
    with session_scope(setup["url"]) as session:
        assert service.get_assessment(session, setup["assessment"]).status == service.CLOSED
        assert [e.actor for e in audit.recent(session) if e.action == "assessment.close"] == ["lee"]
    assert not [b for b in at.button if b.label == "Set consensus"]  # no more decisions
    at.button(key=f"cons_reopen_assessment_{setup['assessment']}").click().run()
    with session_scope(setup["url"]) as session:
        assert service.get_assessment(session, setup["assessment"]).status == service.OPEN
        # decided, then a level moved: closing would freeze a decision the lead has not checked
        service.override_consensus(session, setup["assessment"], setup["model"].capability_ids[0], 3, "Discussed: 3",
                                   actor=accounts.get_by_username(session, "lee"))
        service.update_rating(session, setup["assessment"], accounts.get_by_username(session, "bob"),
                              setup["model"].capability_ids[0], level=5)
    at = app_test(setup["ids"]["lee"], page=PAGE).run()
    at.button(key=key).click().run()
    assert any(w.value.endswith("— 2 of 3 assessors have not submitted; 1 decision is to check: levels changed after it.")
               for w in at.warning)
    # an administrator watching sees the consensus read-only, and no close button of the lead's
    admin = app_test(setup["ids"]["admin"], page=PAGE).run()
    assert not [b for b in admin.button if b.key == key]


def test_an_assessment_closed_before_everyone_submitted_says_so_on_the_dashboard(setup):
    with session_scope(setup["url"]) as session:
        service.set_status(session, setup["assessment"], service.CLOSED, actor=accounts.get_by_username(session, "lee"))
    at = app_test(setup["ids"]["dir"], page="pages/dashboard.py").run()
    assert not at.exception
    assert any(c.value.startswith("Closed with 2 of 3 assessors not submitted: their saved ratings count as they stood")
               for c in at.caption)
    assert not any("Provisional" in w.value for w in at.warning)
