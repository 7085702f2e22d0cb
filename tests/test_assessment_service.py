"""Assessment storage on SQLite and PostgreSQL: ratings, submission, consensus, overrides, audit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pytest
from sqlmodel import select

from assessment import service
from assessment.service import AssessmentError, NotAllowed
from assessment.tables import ConsensusOverride, Rating
from capability_model.store import save_model
from itcap.accounts import Account
from itcap.audit import AuditEntry
from itcap.storage import as_utc, session_scope

MODEL_YAML = """\
id: svc-model
name: Service test model
levels:
  - {level: 1, name: Initial}
  - {level: 2, name: Repeatable}
  - {level: 3, name: Defined}
  - {level: 4, name: Managed}
  - {level: 5, name: Optimising}
domains:
  - {id: d, name: Domain}
capabilities:
  - {id: brm, name: Business relationship management, domain: d, category: alignment, levels: {1: a, 2: b, 3: c, 4: d, 5: e}}
  - {id: arch, name: Enterprise architecture, domain: d, category: architecture, levels: {1: a, 2: b, 3: c, 4: d, 5: e}}
  - {id: sm, name: Service management, domain: d, category: governance, levels: {1: a, 2: b, 3: c, 4: d, 5: e}}
modes:
  - {id: supplier, name: Supplier, order: 1, targets: {brm: 2, arch: 2, sm: 2}}
  - {id: partner, name: Business Partner, order: 2, targets: {brm: 3, arch: 3, sm: 3}}
"""


@dataclass
class World:
    url: str
    model_id: int
    admin: Account
    lead: Account
    ann: Account
    bob: Account
    outsider: Account
    assessment_id: int


def _account(session, username: str, roles: str) -> Account:
    # Rows written directly: argon2 hashing is not what these tests are about and costs time.
    account = Account(username=username, display_name=username.title(), password_hash="-", roles=roles)
    session.add(account)
    session.flush()
    return account


@pytest.fixture
def world(any_db_url) -> World:
    with session_scope(any_db_url) as session:
        model_id = save_model(session, MODEL_YAML, actor="test").id
        admin = _account(session, "admin", "admin")
        lead = _account(session, "lena", "lead_assessor assessor")
        ann = _account(session, "ann", "assessor")
        bob = _account(session, "bob", "assessor")
        outsider = _account(session, "olga", "leadership")
        assessment = service.create_assessment(
            session, name="IT review 2026", org_unit="Corporate IT", model_id=model_id, assessed_on=dt.date(2026, 3, 1),
            assessor_ids=[ann.id, bob.id], lead_id=lead.id, actor=admin)
        return World(any_db_url, model_id, admin, lead, ann, bob, outsider, assessment.id)


def _audit_actions(url: str) -> list[tuple[str, str]]:
    with session_scope(url) as session:
        return [(e.actor, e.action) for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]


# -- creating assessments -------------------------------------------------------------------------
def test_create_assessment_adds_the_lead_and_is_audited(world):
    with session_scope(world.url) as session:
        people = service.assessors(session, world.assessment_id)
        assessment = service.get_assessment(session, world.assessment_id)
    assert [(p.username, p.is_lead) for p in people] == [("ann", False), ("bob", False), ("lena", True)]
    assert assessment.status == "open" and assessment.created_by == "admin"
    assert ("admin", "assessment.create") in _audit_actions(world.url)


def test_create_assessment_refusals(world):
    with session_scope(world.url) as session:
        common = dict(name="x", org_unit="y", model_id=world.model_id, assessed_on=dt.date(2026, 1, 1), assessor_ids=[world.ann.id])
        with pytest.raises(NotAllowed):
            service.create_assessment(session, **common, lead_id=world.lead.id, actor=world.ann)
        with pytest.raises(AssessmentError, match="lead_assessor role"):
            service.create_assessment(session, **common, lead_id=world.bob.id, actor=world.admin)
        with pytest.raises(AssessmentError, match="cannot assess"):
            service.create_assessment(session, **{**common, "assessor_ids": [world.outsider.id]}, lead_id=world.lead.id, actor=world.admin)
        with pytest.raises(AssessmentError, match="no capability model"):
            service.create_assessment(session, **{**common, "model_id": 9999}, lead_id=world.lead.id, actor=world.admin)
        with pytest.raises(AssessmentError, match="name"):
            service.create_assessment(session, **{**common, "name": "  "}, lead_id=world.lead.id, actor=world.admin)


# -- ratings --------------------------------------------------------------------------------------
def test_rating_upsert_survives_a_new_session_and_keeps_evidence_verbatim(world):
    evidence = "  <script>alert('x')</script> **bold** & <b>tags</b>\nsecond line  "
    with session_scope(world.url) as session:
        service.save_rating(session, world.assessment_id, world.ann, "brm", 2, evidence="first", confidence="low")
    with session_scope(world.url) as session:
        service.save_rating(session, world.assessment_id, world.ann, "brm", 4, evidence=evidence, confidence="high")
        service.save_rating(session, world.assessment_id, world.ann, "brm", 3, evidence=evidence, confidence="medium")
    with session_scope(world.url) as session:
        rows = list(session.exec(select(Rating).where(Rating.assessment_id == world.assessment_id)))
        mine = service.ratings_of(session, world.assessment_id, world.ann.id)
    assert len(rows) == 1
    assert mine["brm"].level == 3 and mine["brm"].confidence == "medium"
    assert mine["brm"].evidence == evidence


def test_not_rated_is_saved_and_counted_apart(world):
    with session_scope(world.url) as session:
        service.save_rating(session, world.assessment_id, world.ann, "brm", 2)
        service.save_rating(session, world.assessment_id, world.ann, "arch", None, evidence="no evidence seen")
        progress = {p.username: p for p in service.progress(session, world.assessment_id)}
    assert (progress["ann"].rated, progress["ann"].not_rated, progress["ann"].total) == (1, 1, 3)
    assert (progress["bob"].rated, progress["bob"].total) == (0, 3)
    assert progress["ann"].share == pytest.approx(1 / 3) and not progress["ann"].submitted


@pytest.mark.parametrize("capability, level, confidence, words", [
    ("nope", 2, None, "unknown capability 'nope'"),
    ("brm", 6, None, "out of range"),
    ("brm", 0, None, "out of range"),
    ("brm", 2.5, None, "whole number"),
    ("brm", True, None, "whole number"),
    ("brm", 2, "very", "confidence must be one of low, medium, high"),
])
def test_bad_ratings_are_refused_with_specific_errors(world, capability, level, confidence, words):
    with session_scope(world.url) as session:
        with pytest.raises(AssessmentError, match=words):
            service.save_rating(session, world.assessment_id, world.ann, capability, level, confidence=confidence)


def test_only_assessors_of_the_assessment_can_rate(world):
    with session_scope(world.url) as session:
        with pytest.raises(NotAllowed):
            service.save_rating(session, world.assessment_id, world.outsider, "brm", 2)
        with pytest.raises(AssessmentError, match="no assessment"):
            service.save_rating(session, 424242, world.ann, "brm", 2)


# -- submission -----------------------------------------------------------------------------------
def test_submitted_ratings_are_locked_until_the_lead_reopens_them(world):
    with session_scope(world.url) as session:
        service.save_rating(session, world.assessment_id, world.ann, "brm", 2)
        result = service.submit(session, world.assessment_id, world.ann)
    assert result.unrated == ["arch", "sm"] and "2 capabilities not rated" in result.warning
    with session_scope(world.url) as session:
        with pytest.raises(AssessmentError, match="locked"):
            service.save_rating(session, world.assessment_id, world.ann, "brm", 3)
        with pytest.raises(AssessmentError, match="already submitted"):
            service.submit(session, world.assessment_id, world.ann)
        with pytest.raises(NotAllowed):
            service.reopen_submission(session, world.assessment_id, world.ann.id, actor=world.bob)
        assert {p.username: p.submitted for p in service.progress(session, world.assessment_id)}["ann"]
    with session_scope(world.url) as session:
        service.reopen_submission(session, world.assessment_id, world.ann.id, actor=world.lead)
    with session_scope(world.url) as session:
        service.save_rating(session, world.assessment_id, world.ann, "brm", 3)
        assert service.ratings_of(session, world.assessment_id, world.ann.id)["brm"].level == 3
    assert ("lena", "assessment.reopen_submission") in _audit_actions(world.url)


def test_a_failed_unit_of_work_leaves_nothing_behind(world):
    with pytest.raises(RuntimeError):
        with session_scope(world.url) as session:
            service.save_rating(session, world.assessment_id, world.ann, "brm", 2)
            service.override_consensus(session, world.assessment_id, "brm", 4, "seen the evidence", actor=world.lead)
            raise RuntimeError("the page crashed")
    with session_scope(world.url) as session:
        assert service.ratings_of(session, world.assessment_id, world.ann.id) == {}
        assert service.override_history(session, world.assessment_id) == []


def test_a_decision_made_without_seeing_the_newest_one_is_refused(world):
    """seen_decision_id says which decision the lead's page showed; a newer one is not overwritten."""
    with session_scope(world.url) as session:
        with pytest.raises(service.DecisionChanged):  # the page saw a decision that never existed
            service.override_consensus(session, world.assessment_id, "brm", 4, "x", actor=world.lead, seen_decision_id=99)
        first = service.override_consensus(session, world.assessment_id, "brm", 4, "first", actor=world.lead,
                                           seen_decision_id=None)
    with session_scope(world.url) as session:
        with pytest.raises(service.DecisionChanged, match="set level 4 on .* after this page was opened"):
            service.override_consensus(session, world.assessment_id, "brm", 2, "stale", actor=world.lead,
                                       seen_decision_id=None)
        service.override_consensus(session, world.assessment_id, "brm", None, "withdrawn", actor=world.lead,
                                   seen_decision_id=first.id)
    with session_scope(world.url) as session:
        assert [(o.level, o.rationale) for o in service.override_history(session, world.assessment_id)] == [
            (4, "first"), (None, "withdrawn")]


def test_evidence_saved_from_a_box_filled_before_newer_evidence_is_refused_and_changes_nothing(world):
    """evidence_was is what the box was filled with: a stale tab's typing never replaces evidence saved
    since; the same words again, or a box filled with what is stored, save as before (both databases)."""
    with session_scope(world.url) as session:
        service.update_rating(session, world.assessment_id, world.ann, "brm", evidence="From the phone", evidence_was="")
    with session_scope(world.url) as session:
        with pytest.raises(service.EvidenceChanged) as refused:
            service.update_rating(session, world.assessment_id, world.ann, "brm", evidence="From the laptop", evidence_was="")
        assert refused.value.saved == "From the phone"
    with session_scope(world.url) as session:
        assert service.ratings_of(session, world.assessment_id, world.ann.id)["brm"].evidence == "From the phone"
        service.update_rating(session, world.assessment_id, world.ann, "brm", evidence="From the phone", evidence_was="")
        service.update_rating(session, world.assessment_id, world.ann, "brm", evidence="From the phone, and more",
                              evidence_was="From the phone")
        service.update_rating(session, world.assessment_id, world.ann, "brm", evidence="Pressed Save evidence")  # unchecked
    with session_scope(world.url) as session:
        assert service.ratings_of(session, world.assessment_id, world.ann.id)["brm"].evidence == "Pressed Save evidence"


def test_closed_assessment_refuses_changes(world):
    with session_scope(world.url) as session:
        service.set_status(session, world.assessment_id, "closed", actor=world.lead)
    with session_scope(world.url) as session:
        with pytest.raises(AssessmentError, match="closed"):
            service.save_rating(session, world.assessment_id, world.ann, "brm", 2)
        with pytest.raises(NotAllowed):
            service.set_status(session, world.assessment_id, "open", actor=world.ann)
        # the lead too: the page said "closed: reopen it to change its assessors" and let it change
        with pytest.raises(AssessmentError, match="closed; reopen it first"):
            service.set_lead(session, world.assessment_id, world.ann.id, actor=world.admin)
        service.set_status(session, world.assessment_id, "open", actor=world.admin)
    with session_scope(world.url) as session:
        service.save_rating(session, world.assessment_id, world.ann, "brm", 2)


# -- assessors ------------------------------------------------------------------------------------
def test_add_remove_assessors_and_change_the_lead(world):
    with session_scope(world.url) as session:
        extra = _account(session, "cy", "assessor lead_assessor")
        service.add_assessor(session, world.assessment_id, extra.id, actor=world.lead)
        service.save_rating(session, world.assessment_id, extra, "brm", 4)
        with pytest.raises(AssessmentError, match="already an assessor"):
            service.add_assessor(session, world.assessment_id, extra.id, actor=world.lead)
        with pytest.raises(NotAllowed):
            service.add_assessor(session, world.assessment_id, world.outsider.id, actor=world.ann)
        with pytest.raises(AssessmentError, match="lead assessor cannot be removed"):
            service.remove_assessor(session, world.assessment_id, world.lead.id, actor=world.admin)
    with session_scope(world.url) as session:
        assert service.remove_assessor(session, world.assessment_id, extra.id, actor=world.admin) == 1
        assert [p.username for p in service.assessors(session, world.assessment_id)] == ["ann", "bob", "lena"]
        assert service.ratings_matrix(session, world.assessment_id).levels.shape == (3, 3)
        service.add_assessor(session, world.assessment_id, extra.id, actor=world.admin)
        service.set_lead(session, world.assessment_id, extra.id, actor=world.lead)
        leads = [p.username for p in service.assessors(session, world.assessment_id) if p.is_lead]
    assert leads == ["cy"]
    actions = [a for _, a in _audit_actions(world.url)]
    assert {"assessment.add_assessor", "assessment.remove_assessor", "assessment.set_lead"} <= set(actions)


# -- consensus ------------------------------------------------------------------------------------
def _rate(world, table: dict[str, dict[str, int | None]]) -> None:
    people = {"ann": world.ann, "bob": world.bob, "lena": world.lead}
    with session_scope(world.url) as session:
        for username, levels in table.items():
            for capability, level in levels.items():
                service.save_rating(session, world.assessment_id, people[username], capability, level)


def test_consensus_is_the_median_with_disagreements_flagged(world):
    _rate(world, {"ann": {"brm": 1, "arch": 2, "sm": 3}, "bob": {"brm": 3, "arch": 3, "sm": None}, "lena": {"brm": 2, "arch": 3}})
    with session_scope(world.url) as session:
        rows = {c.capability_id: c for c in service.consensus(session, world.assessment_id)}
    assert rows["brm"].median == 2 and rows["brm"].spread == 2 and rows["brm"].flagged
    assert rows["arch"].median == 3 and rows["arch"].spread == 1 and not rows["arch"].flagged
    assert rows["sm"].median == 3 and rows["sm"].levels == {"ann": 3, "bob": None, "lena": None}
    assert rows["brm"].effective == 2 and not rows["brm"].overridden


def test_even_number_of_levels_gives_a_half_level_median(world):
    _rate(world, {"ann": {"brm": 2}, "bob": {"brm": 3}})
    with session_scope(world.url) as session:
        row = service.consensus(session, world.assessment_id)[0]
    assert row.median == 2.5 and row.effective == 2.5


def test_a_confirmed_median_overtaken_by_a_new_level_can_be_restated_though_the_median_is_now_agreed(world):
    """Flagged (5, 3, 3): the lead confirms 3. An assessor then moves 5 → 4: no flag, median 3. The page
    asks the lead to decide again — the same level says the decision holds — and the service refused
    it as "the median … withdraw the override"."""
    _rate(world, {"ann": {"brm": 5}, "bob": {"brm": 3}, "lena": {"brm": 3}})
    with session_scope(world.url) as session:
        service.override_consensus(session, world.assessment_id, "brm", 3, "Ann's 5 discussed: 3.", actor=world.lead)
    _rate(world, {"ann": {"brm": 4}})
    with session_scope(world.url) as session:
        assert "brm" in service.outdated_decisions(session, world.assessment_id)
        row = next(c for c in service.consensus(session, world.assessment_id) if c.capability_id == "brm")
        assert (row.median, row.flagged) == (3, False)
        service.override_consensus(session, world.assessment_id, "brm", 3, "Ann now says 4: 3 still holds.", actor=world.lead)
    with session_scope(world.url) as session:
        assert "brm" not in service.outdated_decisions(session, world.assessment_id)
        with pytest.raises(AssessmentError, match="already level 3"):  # once restated, the same again changes nothing
            service.override_consensus(session, world.assessment_id, "brm", 3, "again", actor=world.lead)


def test_a_decision_stands_when_a_level_goes_back_to_what_it_was_made_on(world):
    """An assessor moving through the levels with the arrow keys saves each level passed (3 → 4 → 3):
    the lead was asked to check a decision whose levels were the same as when it was made."""
    _rate(world, {"ann": {"brm": 1, "arch": 1}, "bob": {"brm": 4, "arch": 4}, "lena": {"brm": 2, "arch": 2}})
    with session_scope(world.url) as session:
        service.override_consensus(session, world.assessment_id, "brm", 3, "Workshop evidence: 3.", actor=world.lead)
        service.override_consensus(session, world.assessment_id, "arch", 3, "Roadmap seen: 3.", actor=world.lead)
    _rate(world, {"bob": {"brm": 5}})
    _rate(world, {"bob": {"brm": 4}})
    with session_scope(world.url) as session:
        assert service.outdated_decisions(session, world.assessment_id) == {}
    _rate(world, {"bob": {"arch": 5}})  # a level that stays changed: the lead is asked, with when it changed
    with session_scope(world.url) as session:
        outdated = service.outdated_decisions(session, world.assessment_id)
        changed_at = session.exec(select(Rating.level_changed_at).where(Rating.capability_id == "arch",
                                                                        Rating.account_id == world.bob.id)).one()
    assert list(outdated) == ["arch"] and as_utc(outdated["arch"]) == as_utc(changed_at)
    _rate(world, {"ann": {"brm": None}})  # a level taken back ("no level") changes what the decision rested on
    with session_scope(world.url) as session:
        assert set(service.outdated_decisions(session, world.assessment_id)) == {"brm", "arch"}
    _rate(world, {"ann": {"brm": 1}})
    with session_scope(world.url) as session:
        assert set(service.outdated_decisions(session, world.assessment_id)) == {"arch"}
        service.remove_assessor(session, world.assessment_id, world.ann.id, actor=world.lead)
    with session_scope(world.url) as session:  # a removed assessor's level is no longer among them
        assert set(service.outdated_decisions(session, world.assessment_id)) == {"brm", "arch"}


def test_a_decision_recorded_before_levels_were_kept_counts_any_level_change_after_it(world):
    """Decisions stored before migration 0010 have no levels with them: any level change after them
    still asks the lead to check, as it did when they were made."""
    _rate(world, {"ann": {"brm": 1}, "bob": {"brm": 4}, "lena": {"brm": 2}})
    with session_scope(world.url) as session:
        decision = service.override_consensus(session, world.assessment_id, "brm", 3, "Workshop evidence: 3.", actor=world.lead)
        decision.levels_at_decision = None
        session.add(decision)
    with session_scope(world.url) as session:
        assert service.outdated_decisions(session, world.assessment_id) == {}
    _rate(world, {"bob": {"brm": 5}})
    _rate(world, {"bob": {"brm": 4}})
    with session_scope(world.url) as session:
        assert list(service.outdated_decisions(session, world.assessment_id)) == ["brm"]


def test_override_needs_a_rationale_and_keeps_history(world):
    _rate(world, {"ann": {"brm": 1}, "bob": {"brm": 4}, "lena": {"brm": 2}})
    with session_scope(world.url) as session:
        for blank in ("", "   \n"):
            with pytest.raises(AssessmentError, match="rationale"):
                service.override_consensus(session, world.assessment_id, "brm", 3, blank, actor=world.lead)
        with pytest.raises(NotAllowed):
            service.override_consensus(session, world.assessment_id, "brm", 3, "because", actor=world.ann)
        with pytest.raises(NotAllowed):  # administrators are not the lead assessor
            service.override_consensus(session, world.assessment_id, "brm", 3, "because", actor=world.admin)
        with pytest.raises(AssessmentError, match="out of range"):
            service.override_consensus(session, world.assessment_id, "brm", 9, "because", actor=world.lead)
        with pytest.raises(AssessmentError, match="no override in force"):
            service.override_consensus(session, world.assessment_id, "brm", None, "nothing to withdraw", actor=world.lead)
    with session_scope(world.url) as session:
        service.override_consensus(session, world.assessment_id, "brm", 3, "Workshop evidence supports 3.", actor=world.lead)
    with session_scope(world.url) as session:
        service.override_consensus(session, world.assessment_id, "brm", 4, "Portfolio reviews seen.", actor=world.lead)
    with session_scope(world.url) as session:
        row = service.consensus(session, world.assessment_id)[0]
        assert row.median == 2 and row.effective == 4 and row.override.decided_by == "lena"
        assert service.ratings_matrix(session, world.assessment_id).overrides == {"brm": 4}
        service.override_consensus(session, world.assessment_id, "brm", None, "Back to the assessors' median.", actor=world.lead)
    with session_scope(world.url) as session:
        row = service.consensus(session, world.assessment_id)[0]
        history = service.override_history(session, world.assessment_id, "brm")
        assert session.exec(select(ConsensusOverride)).all().__len__() == 3
    assert row.effective == 2 and not row.overridden
    assert [(h.level, h.rationale) for h in history] == [
        (3, "Workshop evidence supports 3."), (4, "Portfolio reviews seen."), (None, "Back to the assessors' median.")]
    assert all(h.decided_by == "lena" and h.decided_at is not None for h in history)
    assert history[0].decided_at <= history[1].decided_at <= history[2].decided_at
    assert [a for _, a in _audit_actions(world.url)].count("assessment.override_consensus") == 3


def test_a_removed_role_stops_the_next_action_not_only_the_next_page_view(world):
    """The lead (and an assessor) whose role is taken away mid-session can no longer act through a
    form still on their screen: the service checks the role, not only membership of the assessment."""
    _rate(world, {"ann": {"brm": 1}, "bob": {"brm": 4}, "lena": {"brm": 2}})
    with session_scope(world.url) as session:
        lead, ann = session.get(Account, world.lead.id), session.get(Account, world.ann.id)
        lead.roles, ann.roles = "assessor", "leadership"
        with pytest.raises(NotAllowed, match="only the lead assessor"):
            service.override_consensus(session, world.assessment_id, "brm", 3, "decided before the change", actor=lead)
        with pytest.raises(NotAllowed, match="no longer holds an assessor role"):
            service.save_rating(session, world.assessment_id, ann, "brm", 2, evidence="typed before the change")
        with pytest.raises(NotAllowed, match="no longer holds an assessor role"):
            service.submit(session, world.assessment_id, ann)
        assert not service.is_lead(session, world.assessment_id, lead)


def test_the_median_of_a_flagged_capability_can_be_confirmed_but_agreement_needs_no_decision(world):
    _rate(world, {"ann": {"brm": 1, "arch": 2}, "bob": {"brm": 3, "arch": 3}, "lena": {"brm": 2, "arch": 3}})
    with session_scope(world.url) as session:
        service.override_consensus(session, world.assessment_id, "brm", 2, "Discussed: Ann saw one team.", actor=world.lead)
        with pytest.raises(AssessmentError, match="agreement needs no override"):
            service.override_consensus(session, world.assessment_id, "arch", 3, "We agree.", actor=world.lead)
        with pytest.raises(AssessmentError, match="already level 2"):
            service.override_consensus(session, world.assessment_id, "brm", 2, "Again.", actor=world.lead)
    with session_scope(world.url) as session:
        rows = {c.capability_id: c for c in service.consensus(session, world.assessment_id)}
        assert service.ratings_matrix(session, world.assessment_id).overrides == {"brm": 2}
    brm = rows["brm"]
    assert brm.flagged and brm.decided and brm.median_confirmed and brm.effective == 2
    assert not rows["arch"].overridden and not rows["arch"].decided


def test_position_and_reliability_of_a_stored_assessment(world):
    _rate(world, {"ann": {"brm": 3, "arch": 2, "sm": 3}, "bob": {"brm": 3, "arch": 3, "sm": 4}, "lena": {"brm": 2, "arch": 3, "sm": 3}})
    with session_scope(world.url) as session:
        result = service.assessment_position(session, world.assessment_id, seed=3, resamples=200)
        report = service.assessment_reliability(session, world.assessment_id)
        matrix = service.ratings_matrix(session, world.assessment_id)
        rows = service.export_rows(session, world.assessment_id)
    assert result.consensus == {"brm": 3.0, "arch": 3.0, "sm": 3.0}
    assert result.position == "partner" and 0 < result.confidence <= 1
    assert report.n_capabilities == 3 and report.n_assessors == 3
    assert matrix.assessors == ["ann", "bob", "lena"]
    np.testing.assert_array_equal(matrix.levels, [[3, 3, 2], [2, 3, 3], [3, 4, 3]])
    assert rows[:3] == [("brm", "ann", 3), ("brm", "bob", 3), ("brm", "lena", 2)]


def test_list_assessments_for_an_assessor(world):
    with session_scope(world.url) as session:
        assert [a.id for a in service.list_assessments(session, account_id=world.ann.id)] == [world.assessment_id]
        assert service.list_assessments(session, account_id=world.outsider.id) == []
        summary = service.assessment_summary(session, world.assessment_id)
    assert summary == {"assessors": 3, "submitted": 0, "lead": "lena", "ratings": 0}
