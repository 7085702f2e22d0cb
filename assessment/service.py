"""Assessments: assessors, ratings, submission, consensus and the lead assessor's overrides.

Every function takes the caller's ``Session`` and never commits: callers wrap a unit of work in
``itcap.storage.session_scope()`` so that a change and its audit entry commit together or not at all.

Who may do what
---------------
* create an assessment: an administrator or a lead assessor (role);
* add/remove assessors, change the lead, reopen an assessor's submission, close/reopen the
  assessment: an administrator or the assessment's lead assessor;
* save ratings and submit: the assessor themself, while their ratings are not submitted and the
  assessment is open;
* override a capability's consensus: the assessment's lead assessor, with a written rationale.

Every change made by a lead or an administrator is written to the audit log (``itcap.audit``).

Consensus
---------
Median of the assessors' levels, not-rated left out (all saved ratings count, submitted or not, so
the lead can watch consensus form; :func:`progress` says who has submitted). Capabilities whose
levels differ by two or more are flagged for the lead. The newest override row per capability is
in force unless its level is None (withdrawn); effective consensus = override if in force, else
the median. On a flagged capability the lead may also record the median itself as the decision
("median confirmed", with its rationale); on an unflagged one the median needs no decision.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, func
from sqlmodel import Session, select

from assessment.reliability import ReliabilityReport, reliability
from assessment.tables import CONFIDENCES, Assessment, AssessmentAssessor, ConsensusOverride, Rating, RemovedLevel
from capability_model.positioning import DEFAULT_RESAMPLES, DEFAULT_SEED, PositionResult, median_levels, position
from capability_model.schema import CapabilityModel
from capability_model.store import load_stored_model
from capability_model.tables import CapabilityModelRecord
from itcap import audit
from itcap.accounts import ADMIN, ASSESSOR, LEAD_ASSESSOR, Account
from itcap.names import name_problem
from itcap.storage import as_utc, insert_if_absent, utcnow

DISAGREEMENT_SPREAD = 2  # levels apart before the lead assessor is asked to look
MAX_EVIDENCE_CHARS = 20_000
MAX_RATIONALE_CHARS = 5_000
OPEN, CLOSED = "open", "closed"


class AssessmentError(ValueError):
    """A problem a person can fix; the message is safe to show as is."""


class NotAllowed(AssessmentError):
    """The account may not do this."""


class DecisionChanged(AssessmentError):
    """A consensus decision was recorded after the page asking for another one was drawn."""


class EvidenceChanged(AssessmentError):
    """Evidence was saved (another tab or device) after the box now saving was filled: ``saved`` holds it."""

    def __init__(self, message: str, saved: str):
        super().__init__(message)
        self.saved = saved


# -- read models ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AssessorInfo:
    account_id: int
    username: str
    display_name: str
    is_lead: bool
    submitted_at: dt.datetime | None


@dataclass(frozen=True)
class Progress:
    account_id: int
    username: str
    display_name: str
    is_lead: bool
    rated: int  # capabilities with a level
    not_rated: int  # capabilities explicitly saved as "not rated"
    total: int  # capabilities in the model
    submitted_at: dt.datetime | None

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def share(self) -> float:
        return self.rated / self.total if self.total else 0.0


@dataclass(frozen=True)
class SubmitResult:
    submitted_at: dt.datetime
    unrated: list[str]  # capability ids left without a level (allowed; shown as a warning)

    @property
    def warning(self) -> str:
        if not self.unrated:
            return ""
        return f"submitted with {len(self.unrated)} capabilit{'y' if len(self.unrated) == 1 else 'ies'} not rated: {', '.join(self.unrated)}"


@dataclass(frozen=True)
class CapabilityConsensus:
    capability_id: str
    levels: dict[str, int | None]  # username → level (None = not rated); every assessor
    median: float | None  # None = nobody rated it
    spread: int | None  # max − min of the levels given
    flagged: bool  # spread ≥ DISAGREEMENT_SPREAD
    override: ConsensusOverride | None  # the override in force, if any
    history: list[ConsensusOverride] = field(default_factory=list)  # oldest first, withdrawals included

    @property
    def effective(self) -> float | None:
        if self.override is not None and self.override.level is not None:
            return float(self.override.level)
        return self.median

    @property
    def overridden(self) -> bool:
        return self.override is not None

    @property
    def median_confirmed(self) -> bool:
        """The lead kept the median of a flagged capability, by a recorded decision."""
        return self.override is not None and self.median is not None and self.override.level == self.median

    @property
    def decided(self) -> bool:
        """Flagged and settled by the lead assessor (an override in force, the median confirmed included)."""
        return self.flagged and self.override is not None


@dataclass(frozen=True)
class RatingsMatrix:
    capability_ids: list[str]  # model order
    assessors: list[str]  # usernames, sorted (the CSV export's order, so the bootstrap matches)
    levels: np.ndarray  # capabilities × assessors, NaN = not rated
    overrides: dict[str, int]  # overrides in force


# -- helpers --------------------------------------------------------------------------------------
def _actor_name(actor: Account) -> str:
    return actor.username


def get_assessment(session: Session, assessment_id: int) -> Assessment:
    assessment = session.get(Assessment, assessment_id)
    if assessment is None:
        raise AssessmentError(f"no assessment with id {assessment_id}")
    return assessment


def model_for(session: Session, assessment: Assessment | int) -> CapabilityModel:
    if isinstance(assessment, int):
        assessment = get_assessment(session, assessment)
    return load_stored_model(session, assessment.model_id)


def _membership(session: Session, assessment_id: int, account_id: int) -> AssessmentAssessor | None:
    return session.get(AssessmentAssessor, (assessment_id, account_id))


def _require_membership(session: Session, assessment_id: int, account_id: int) -> AssessmentAssessor:
    member = _membership(session, assessment_id, account_id)
    if member is None:
        account = session.get(Account, account_id)
        who = repr(account.username) if account is not None else f"account {account_id}"
        raise NotAllowed(f"{who} is not (or no longer) an assessor of this assessment")
    return member


def _require_rater(session: Session, assessment_id: int, account: Account) -> AssessmentAssessor:
    """An assessor of this assessment who still holds an assessor role: a role removed takes effect
    on the next action, not only on the next page view."""
    member = _require_membership(session, assessment_id, account.id)
    if not account.has_role(ASSESSOR, LEAD_ASSESSOR):
        raise NotAllowed("this account no longer holds an assessor role")
    return member


def is_lead(session: Session, assessment_id: int, account: Account) -> bool:
    """The assessment's lead assessor — who must also still hold the lead assessor role."""
    member = _membership(session, assessment_id, account.id)
    return bool(member and member.is_lead and account.has_role(LEAD_ASSESSOR))


def _require_lead_or_admin(session: Session, assessment_id: int, actor: Account, doing: str) -> None:
    if actor.has_role(ADMIN) or is_lead(session, assessment_id, actor):
        return
    raise NotAllowed(f"only an administrator or the lead assessor of this assessment may {doing}")


def _require_open(assessment: Assessment) -> None:
    if assessment.status != OPEN:
        raise AssessmentError(f"assessment {assessment.id} ({assessment.name}) is closed; reopen it first")


def _check_assessor_account(account: Account | None, account_id: int, lead: bool = False) -> Account:
    if account is None:
        raise AssessmentError(f"no account with id {account_id}")
    if not account.is_active:
        raise AssessmentError(f"account {account.username!r} is deactivated")
    if lead and not account.has_role(LEAD_ASSESSOR):
        raise AssessmentError(f"account {account.username!r} cannot lead an assessment: it needs the lead_assessor role")
    if not account.has_role(ASSESSOR, LEAD_ASSESSOR):
        raise AssessmentError(f"account {account.username!r} cannot assess: it needs the assessor or lead_assessor role")
    return account


# -- assessments ----------------------------------------------------------------------------------
def create_assessment(
    session: Session,
    *,
    name: str,
    org_unit: str,
    model_id: int,
    assessed_on: dt.date,
    assessor_ids: Sequence[int],
    lead_id: int,
    actor: Account,
) -> Assessment:
    """A new open assessment with its assessors; ``lead_id`` must be one of them (it is added if not)."""
    if not actor.has_role(ADMIN, LEAD_ASSESSOR):
        raise NotAllowed("only an administrator or a lead assessor may create assessments")
    name, org_unit = _checked_details(name, org_unit, assessed_on)
    if session.get(CapabilityModelRecord, model_id) is None:
        raise AssessmentError(f"no capability model with id {model_id}")
    ids = list(dict.fromkeys([*assessor_ids, lead_id]))
    for account_id in ids:
        _check_assessor_account(session.get(Account, account_id), account_id, lead=account_id == lead_id)
    assessment = Assessment(name=name, org_unit=org_unit, model_id=model_id, assessed_on=assessed_on,
                            status=OPEN, created_by=_actor_name(actor))
    session.add(assessment)
    session.flush()
    for account_id in ids:
        session.add(AssessmentAssessor(assessment_id=assessment.id, account_id=account_id, is_lead=account_id == lead_id))
    session.flush()
    usernames = [session.get(Account, i).username for i in ids]
    audit.record(session, _actor_name(actor), "assessment.create", f"assessment:{assessment.id}",
                 f"{name} ({org_unit}, {assessed_on.isoformat()}), model {model_id}; assessors {', '.join(usernames)}; "
                 f"lead {session.get(Account, lead_id).username}")
    return assessment


MAX_DAYS_AHEAD = 366  # an assessment planned for next year is fine; "2062" is a typo that would lead the dashboard


def _checked_details(name: str, org_unit: str, assessed_on: dt.date) -> tuple[str, str]:
    name, org_unit = name.strip(), org_unit.strip()
    if not name or len(name) > 200:
        raise AssessmentError("the assessment needs a name of 1–200 characters")
    if not org_unit or len(org_unit) > 200:
        raise AssessmentError("the assessment needs an organisation unit of 1–200 characters")
    problems = [p for p in (name_problem("name", name), name_problem("organisation unit", org_unit)) if p]
    if problems:
        raise AssessmentError("; ".join(problems))
    if not isinstance(assessed_on, dt.date):
        raise AssessmentError("the assessment date must be a date")
    latest = utcnow().date() + dt.timedelta(days=MAX_DAYS_AHEAD)
    if assessed_on > latest:
        raise AssessmentError(f"the assessment date {assessed_on:%d %b %Y} is more than a year ahead (latest "
                              f"{latest:%d %b %Y}): is the year right?")
    return name, org_unit


def update_details(session: Session, assessment_id: int, *, name: str, org_unit: str, assessed_on: dt.date,
                   actor: Account) -> Assessment:
    """Correct an assessment's name, organisation unit or date (open or closed: they describe it, they
    are not its ratings). The organisation unit and date decide the trend it belongs to and which
    assessment the dashboard opens on; the audit log keeps what they were."""
    assessment = get_assessment(session, assessment_id)
    _require_lead_or_admin(session, assessment_id, actor, "change the assessment's details")
    name, org_unit = _checked_details(name, org_unit, assessed_on)
    before = (assessment.name, assessment.org_unit, assessment.assessed_on)
    after = (name, org_unit, assessed_on)
    if before == after:
        return assessment
    changes = [f"{what}: {old!s} → {new!s}" for what, old, new in zip(("name", "unit", "date"), before, after) if old != new]
    assessment.name, assessment.org_unit, assessment.assessed_on = after
    session.add(assessment)
    session.flush()
    audit.record(session, _actor_name(actor), "assessment.update", f"assessment:{assessment_id}", "; ".join(changes))
    return assessment


def open_memberships(session: Session, account_id: int) -> list[tuple[Assessment, bool]]:
    """The open assessments the account is an assessor of, with whether they lead it: what a change
    of their roles, or disabling them, leaves without a rater or a lead."""
    rows = session.exec(select(Assessment, AssessmentAssessor.is_lead)
                        .join(AssessmentAssessor, AssessmentAssessor.assessment_id == Assessment.id)
                        .where(AssessmentAssessor.account_id == account_id, Assessment.status == OPEN)
                        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc()))
    return [(assessment, bool(is_lead)) for assessment, is_lead in rows]


def membership_problems(account: Account, memberships: Sequence[tuple[Assessment, bool]]) -> list[str]:
    """What the account can no longer do in the open assessments it belongs to, in words (empty: nothing)."""
    if not memberships:
        return []
    names = lambda pairs: ", ".join(f"“{a.name}”" for a, _ in pairs)  # noqa: E731
    led = [(a, lead) for a, lead in memberships if lead]
    if not account.is_active:
        problems = [f"is disabled but still an assessor of {names(memberships)}: their saved ratings count; "
                    "remove them there, or enable the account, so the assessment can be completed"]
        if led:
            problems.append(f"leads {names(led)}: make another assessor lead there")
        return problems
    problems = []
    if not account.has_role(ASSESSOR, LEAD_ASSESSOR):
        problems.append(f"is an assessor of {names(memberships)} but no longer holds an assessor role: they cannot "
                        "rate or submit there; their saved ratings still count")
    if led and not account.has_role(LEAD_ASSESSOR):
        problems.append(f"leads {names(led)} without the lead assessor role: nobody can decide the consensus there "
                        "until they have the role again or another assessor is made lead")
    return problems


def list_assessments(session: Session, *, account_id: int | None = None) -> list[Assessment]:
    """All assessments (newest first), or those the account is an assessor of."""
    query = select(Assessment)
    if account_id is not None:
        query = query.join(AssessmentAssessor, AssessmentAssessor.assessment_id == Assessment.id).where(
            AssessmentAssessor.account_id == account_id)
    return list(session.exec(query.order_by(Assessment.assessed_on.desc(), Assessment.id.desc())))


def set_status(session: Session, assessment_id: int, status: str, *, actor: Account) -> Assessment:
    """Close an assessment (no more ratings, submissions or overrides) or reopen it."""
    if status not in (OPEN, CLOSED):
        raise AssessmentError(f"status must be {OPEN} or {CLOSED}")
    assessment = get_assessment(session, assessment_id)
    _require_lead_or_admin(session, assessment_id, actor, f"{'close' if status == CLOSED else 'reopen'} the assessment")
    if assessment.status != status:
        assessment.status = status
        session.add(assessment)
        audit.record(session, _actor_name(actor), f"assessment.{'close' if status == CLOSED else 'reopen'}", f"assessment:{assessment_id}")
    return assessment


def assessor_labels(people: Sequence[AssessorInfo | Progress], reserved: Sequence[str] = ()) -> dict[str, str]:
    """username → the name people know an assessor by, made unique: the username is added where two
    assessors share a name, or where a name is one of ``reserved`` (a table's own column names, such
    as "Median"), so no assessor's column is merged with or mistaken for another."""
    names = {p.username: (p.display_name or p.username).strip() or p.username for p in people}
    uses = Counter(names.values())
    taken = {r.casefold() for r in reserved}
    return {u: f"{n} ({u})" if uses[n] > 1 or n.casefold() in taken else n for u, n in names.items()}


def assessors(session: Session, assessment_id: int) -> list[AssessorInfo]:
    """The assessment's assessors, sorted by username."""
    rows = session.exec(
        select(AssessmentAssessor, Account).join(Account, Account.id == AssessmentAssessor.account_id)
        .where(AssessmentAssessor.assessment_id == assessment_id).order_by(Account.username)
    ).all()
    return [AssessorInfo(a.id, a.username, a.display_name, m.is_lead, m.submitted_at) for m, a in rows]


def add_assessor(session: Session, assessment_id: int, account_id: int, *, actor: Account) -> AssessmentAssessor:
    assessment = get_assessment(session, assessment_id)
    _require_lead_or_admin(session, assessment_id, actor, "add assessors")
    _require_open(assessment)
    account = _check_assessor_account(session.get(Account, account_id), account_id)
    if _membership(session, assessment_id, account_id) is not None:
        raise AssessmentError(f"{account.username!r} is already an assessor of this assessment")
    member = AssessmentAssessor(assessment_id=assessment_id, account_id=account_id, is_lead=False)
    session.add(member)
    session.flush()
    audit.record(session, _actor_name(actor), "assessment.add_assessor", f"assessment:{assessment_id}", account.username)
    return member


def remove_assessor(session: Session, assessment_id: int, account_id: int, *, actor: Account) -> int:
    """Remove an assessor and their ratings; returns how many ratings were deleted. The lead cannot
    be removed (make someone else lead first)."""
    assessment = get_assessment(session, assessment_id)
    _require_lead_or_admin(session, assessment_id, actor, "remove assessors")
    _require_open(assessment)
    member = _require_membership(session, assessment_id, account_id)
    if member.is_lead:
        raise AssessmentError("the lead assessor cannot be removed; make another assessor lead first")
    username = session.get(Account, account_id).username
    levels = session.exec(select(Rating.capability_id, Rating.level).where(
        Rating.assessment_id == assessment_id, Rating.account_id == account_id, Rating.level.is_not(None))).all()
    deleted = session.exec(
        delete(Rating).where(Rating.assessment_id == assessment_id, Rating.account_id == account_id)  # type: ignore[call-overload]
    ).rowcount
    session.delete(member)
    removed_at = utcnow()
    for capability_id, level in levels:  # the medians they were part of may move: kept, and the lead told
        session.add(RemovedLevel(assessment_id=assessment_id, capability_id=capability_id, assessor=username,
                                 level=level, removed_at=removed_at, removed_by=_actor_name(actor)))
    session.flush()
    order = {cap: i for i, cap in enumerate(model_for(session, assessment).capability_ids)}
    given = ", ".join(f"{cap} {level}" for cap, level in sorted(levels, key=lambda r: order.get(r[0], len(order))))
    # the levels go with the ratings: the audit log keeps what they were, for the record
    audit.record(session, _actor_name(actor), "assessment.remove_assessor", f"assessment:{assessment_id}",
                 f"{username}; {deleted} rating(s) deleted" + (f"; levels they had given: {given}" if given else ""))
    return int(deleted or 0)


def set_lead(session: Session, assessment_id: int, account_id: int, *, actor: Account) -> None:
    """Make an assessor of the assessment its (only) lead — while it is open, as for its other
    members: a closed assessment's record of who led it stays as it was."""
    _require_open(get_assessment(session, assessment_id))
    _require_lead_or_admin(session, assessment_id, actor, "change the lead assessor")
    member = _require_membership(session, assessment_id, account_id)
    account = _check_assessor_account(session.get(Account, account_id), account_id, lead=True)
    previous = [a.username for a in assessors(session, assessment_id) if a.is_lead and a.account_id != account_id]
    for other in session.exec(select(AssessmentAssessor).where(AssessmentAssessor.assessment_id == assessment_id)):
        other.is_lead = other.account_id == account_id
        session.add(other)
    member.is_lead = True
    session.flush()
    audit.record(session, _actor_name(actor), "assessment.set_lead", f"assessment:{assessment_id}",
                 account.username + (f" (in place of {', '.join(previous)})" if previous else ""))


# -- ratings --------------------------------------------------------------------------------------
UNCHANGED: Any = object()  # update_rating: a field left as it is stored
UNCHECKED: Any = object()  # override_consensus, update_rating: no check that the caller saw the newest decision, evidence


def save_rating(
    session: Session,
    assessment_id: int,
    assessor: Account,
    capability_id: str,
    level: int | None,
    *,
    evidence: str = "",
    confidence: str | None = None,
) -> Rating:
    """Save (insert or update) the assessor's whole rating of one capability.

    ``level`` None = not rated. ``evidence`` is stored exactly as given — it is data, never markup.
    Refused once the assessor has submitted, or when the assessment is closed.
    """
    return update_rating(session, assessment_id, assessor, capability_id, level=level, evidence=evidence,
                         confidence=confidence)


def update_rating(
    session: Session,
    assessment_id: int,
    assessor: Account,
    capability_id: str,
    *,
    level: Any = UNCHANGED,
    evidence: Any = UNCHANGED,
    confidence: Any = UNCHANGED,
    evidence_was: Any = UNCHECKED,
) -> Rating:
    """Change only the fields given of the assessor's rating of one capability (the page saves the
    one a widget changed: a second tab, open since before another change, saved all three and wiped
    the level and evidence given in the first). ``level`` None = "not rated" chosen; a rating made
    by evidence or confidence alone has no level and is still to do, not "not rated".

    ``evidence_was``: the evidence the box being saved was filled with. When the stored evidence is
    no longer that (another tab or device saved other words since), EvidenceChanged is raised and
    nothing is saved: typing in a stale tab replaced the newer evidence, unseen."""
    assessment = get_assessment(session, assessment_id)
    member = _require_rater(session, assessment_id, assessor)
    _require_open(assessment)
    if member.submitted_at is not None:
        raise AssessmentError(
            f"your ratings were submitted on {member.submitted_at:%Y-%m-%d %H:%M} UTC and are locked; "
            "ask the lead assessor to reopen them")
    model = model_for(session, assessment)
    if capability_id not in model.capability_ids:
        raise AssessmentError(f"unknown capability {capability_id!r}: not in model {model.id!r}")
    changes: dict[str, Any] = {}
    if level is not UNCHANGED:
        if level is not None:
            if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
                raise AssessmentError(f"level must be a whole number from {model.min_level} to {model.max_level}, or not rated")
            level = int(level)
            if not model.min_level <= level <= model.max_level:
                raise AssessmentError(f"level {level} is out of range for {capability_id!r}: levels run from {model.min_level} to {model.max_level}")
        changes.update(level=level, not_rated=level is None)
    if confidence is not UNCHANGED:
        if confidence == "":
            confidence = None
        if confidence is not None and confidence not in CONFIDENCES:
            raise AssessmentError(f"confidence must be one of {', '.join(CONFIDENCES)} (or none), not {confidence!r}")
        changes["confidence"] = confidence
    if evidence is not UNCHANGED:
        evidence = evidence or ""
        if len(evidence) > MAX_EVIDENCE_CHARS:
            raise AssessmentError(f"evidence is {len(evidence):,} characters; the limit is {MAX_EVIDENCE_CHARS:,}")
        changes["evidence"] = evidence

    # Insert-if-absent, then update: a concurrent save of the same rating (double click, two tabs)
    # finds it there instead of failing.
    now = utcnow()
    values = dict(assessment_id=assessment_id, account_id=assessor.id, capability_id=capability_id,
                  level=None, evidence="", confidence=None, not_rated=False, updated_at=now,
                  level_changed_at=now if "level" in changes else None)
    inserted = insert_if_absent(session, Rating.__table__, {**values, **changes},
                                key=["assessment_id", "account_id", "capability_id"], returning=Rating.id) is not None
    rating = session.exec(
        select(Rating).where(Rating.assessment_id == assessment_id, Rating.account_id == assessor.id,
                             Rating.capability_id == capability_id).execution_options(populate_existing=True)
    ).one()
    if inserted:
        return rating
    if (evidence_was is not UNCHECKED and "evidence" in changes
            and (rating.evidence or "") not in ((evidence_was or ""), changes["evidence"])):
        raise EvidenceChanged("other evidence was saved for this capability (from another tab or device) after "
                              "this box was filled", rating.evidence or "")
    changed = {name: value for name, value in changes.items() if getattr(rating, name) != value}
    if not changed:  # a save that changes nothing (a second press of Save evidence) leaves the times alone
        return rating
    for name, value in changed.items():
        setattr(rating, name, value)
    rating.updated_at = now
    if "level" in changed or "not_rated" in changed:  # what a lead's decision rests on
        rating.level_changed_at = now
    session.add(rating)
    session.flush()
    return rating


def ratings_of(session: Session, assessment_id: int, account_id: int) -> dict[str, Rating]:
    """One assessor's saved ratings by capability id."""
    rows = session.exec(select(Rating).where(Rating.assessment_id == assessment_id, Rating.account_id == account_id))
    return {r.capability_id: r for r in rows}


def all_ratings(session: Session, assessment_id: int) -> list[tuple[Rating, str]]:
    """Every saved rating with its assessor's username."""
    rows = session.exec(
        select(Rating, Account.username).join(Account, Account.id == Rating.account_id)
        .where(Rating.assessment_id == assessment_id).order_by(Rating.capability_id, Account.username))
    return [(rating, username) for rating, username in rows]


def progress(session: Session, assessment_id: int) -> list[Progress]:
    """Per assessor: capabilities rated out of the model's total, and whether submitted."""
    assessment = get_assessment(session, assessment_id)
    model = model_for(session, assessment)
    total = len(model.capabilities)
    known = set(model.capability_ids)
    counts: dict[int, list[int]] = {}
    for rating in session.exec(select(Rating).where(Rating.assessment_id == assessment_id)):
        if rating.capability_id in known:
            slot = counts.setdefault(rating.account_id, [0, 0])
            if rating.decided:  # evidence alone, no level yet: still to do
                slot[0 if rating.level is not None else 1] += 1
    return [
        Progress(a.account_id, a.username, a.display_name, a.is_lead, counts.get(a.account_id, [0, 0])[0],
                 counts.get(a.account_id, [0, 0])[1], total, a.submitted_at)
        for a in assessors(session, assessment_id)
    ]


def submit(session: Session, assessment_id: int, assessor: Account) -> SubmitResult:
    """Lock the assessor's ratings. Capabilities left unrated are allowed (an assessor may have no
    evidence for some) and listed in the result so the page can warn."""
    assessment = get_assessment(session, assessment_id)
    member = _require_rater(session, assessment_id, assessor)
    _require_open(assessment)
    if member.submitted_at is not None:
        raise AssessmentError(f"already submitted on {member.submitted_at:%Y-%m-%d %H:%M} UTC")
    model = model_for(session, assessment)
    rated = {cap for cap, r in ratings_of(session, assessment_id, assessor.id).items() if r.level is not None}
    unrated = [cap for cap in model.capability_ids if cap not in rated]
    member.submitted_at = utcnow()
    session.add(member)
    session.flush()
    audit.record(session, assessor.username, "assessment.submit", f"assessment:{assessment_id}",
                 f"{len(rated)} of {len(model.capabilities)} capabilities rated")
    return SubmitResult(member.submitted_at, unrated)


def reopen_submission(session: Session, assessment_id: int, account_id: int, *, actor: Account) -> None:
    """Unlock an assessor's submitted ratings (administrator or lead assessor; audited)."""
    assessment = get_assessment(session, assessment_id)
    _require_lead_or_admin(session, assessment_id, actor, "reopen an assessor's submission")
    _require_open(assessment)
    member = _require_membership(session, assessment_id, account_id)
    if member.submitted_at is None:
        raise AssessmentError("these ratings are not submitted; there is nothing to reopen")
    member.submitted_at = None
    session.add(member)
    session.flush()
    audit.record(session, _actor_name(actor), "assessment.reopen_submission", f"assessment:{assessment_id}",
                 session.get(Account, account_id).username)


def reopened(session: Session, assessment_id: int, account_id: int) -> tuple[str, dt.datetime] | None:
    """Who reopened the assessor's submission (display name) and when, while it is still open again:
    the latest reopening in the audit log; None when their ratings are submitted or were never
    reopened."""
    member = _require_membership(session, assessment_id, account_id)
    account = session.get(Account, account_id)
    if member.submitted_at is not None or account is None:
        return None
    entry = session.exec(
        select(audit.AuditEntry).where(audit.AuditEntry.action == "assessment.reopen_submission",
                                       audit.AuditEntry.target == f"assessment:{assessment_id}",
                                       audit.AuditEntry.detail == account.username)
        .order_by(audit.AuditEntry.id.desc()).limit(1)).first()
    if entry is None:
        return None
    by = session.exec(select(Account).where(Account.username == entry.actor)).first()
    return (by.display_name if by is not None else entry.actor), entry.at


# -- consensus ------------------------------------------------------------------------------------
def override_history(session: Session, assessment_id: int, capability_id: str | None = None) -> list[ConsensusOverride]:
    """Override rows, oldest first (the newest per capability is in force)."""
    query = select(ConsensusOverride).where(ConsensusOverride.assessment_id == assessment_id)
    if capability_id is not None:
        query = query.where(ConsensusOverride.capability_id == capability_id)
    return list(session.exec(query.order_by(ConsensusOverride.id)))


def outdated_decisions(session: Session, assessment_id: int) -> dict[str, dt.datetime]:
    """Decisions in force (overrides and confirmed medians) whose assessors' levels are no longer the
    ones they were made on — a level changed, was given or taken back, or an assessor with a level was
    removed: capability id → when the latest such change was. A confirmed median may no longer be
    the median; the lead is told, and may decide again (the same level, with a rationale, says it
    holds). A level changed and changed back leaves the decision standing. Decisions recorded before
    the levels were kept with them (migration 0010) count any level change after them."""
    in_force = overrides_in_force(session, assessment_id)
    if not in_force:
        return {}
    latest = dict(session.exec(select(Rating.capability_id, func.max(Rating.level_changed_at))
                               .where(Rating.assessment_id == assessment_id).group_by(Rating.capability_id)).all())
    removed = dict(session.exec(select(RemovedLevel.capability_id, func.max(RemovedLevel.removed_at))
                                .where(RemovedLevel.assessment_id == assessment_id).group_by(RemovedLevel.capability_id)).all())
    levels_now = _levels_by_capability(session, assessment_id)
    outdated = {}
    for cap, decision in in_force.items():
        decided_at = as_utc(decision.decided_at)
        changes = [as_utc(when) for when in (latest.get(cap), removed.get(cap)) if when is not None and as_utc(when) > decided_at]
        if decision.levels_at_decision is None:
            if changes:
                outdated[cap] = max(changes)
        elif _decoded_levels(decision.levels_at_decision) != levels_now.get(cap, {}):
            outdated[cap] = max(changes, default=decided_at)
    return outdated


def _levels_by_capability(session: Session, assessment_id: int, capability_id: str | None = None) -> dict[str, dict[int, int]]:
    """The levels given now: capability id → {account id: level} (not-rated and unrated left out)."""
    query = select(Rating.capability_id, Rating.account_id, Rating.level).where(
        Rating.assessment_id == assessment_id, Rating.level.is_not(None))
    if capability_id is not None:
        query = query.where(Rating.capability_id == capability_id)
    levels: dict[str, dict[int, int]] = {}
    for cap, account_id, level in session.exec(query):
        levels.setdefault(cap, {})[int(account_id)] = int(level)
    return levels


def _encoded_levels(levels: dict[int, int]) -> str:
    return json.dumps({str(account_id): level for account_id, level in sorted(levels.items())}, separators=(",", ":"))


def _decoded_levels(text: str) -> dict[int, int]:
    return {int(account_id): int(level) for account_id, level in json.loads(text).items()}


def overrides_in_force(session: Session, assessment_id: int) -> dict[str, ConsensusOverride]:
    latest: dict[str, ConsensusOverride] = {}
    for row in override_history(session, assessment_id):
        latest[row.capability_id] = row
    return {cap: row for cap, row in latest.items() if row.level is not None}


def ratings_matrix(session: Session, assessment_id: int) -> RatingsMatrix:
    """Capabilities (model order) × assessors (usernames sorted), with the overrides in force."""
    assessment = get_assessment(session, assessment_id)
    model = model_for(session, assessment)
    people = sorted(assessors(session, assessment_id), key=lambda a: a.username)
    column = {a.account_id: j for j, a in enumerate(people)}
    row = {cap: i for i, cap in enumerate(model.capability_ids)}
    levels = np.full((len(row), len(people)), np.nan)
    # only the columns the matrix needs: also readable by this code before a migration adds others
    given = session.exec(select(Rating.capability_id, Rating.account_id, Rating.level)
                         .where(Rating.assessment_id == assessment_id, Rating.level.is_not(None)))
    for capability_id, account_id, level in given:
        if capability_id in row and account_id in column:
            levels[row[capability_id], column[account_id]] = level
    newest: dict[str, int | None] = {}  # the newest decision per capability is in force (None: withdrawn)
    for capability_id, level in session.exec(select(ConsensusOverride.capability_id, ConsensusOverride.level)
                                             .where(ConsensusOverride.assessment_id == assessment_id).order_by(ConsensusOverride.id)):
        newest[capability_id] = level
    overrides = {cap: int(level) for cap, level in newest.items() if level is not None and cap in row}
    return RatingsMatrix(model.capability_ids, [a.username for a in people], levels, overrides)


def consensus(session: Session, assessment_id: int) -> list[CapabilityConsensus]:
    """Per capability (model order): every assessor's level, the median, the spread, the
    disagreement flag, the override in force and the override history."""
    matrix = ratings_matrix(session, assessment_id)
    medians = median_levels(matrix.levels)
    history: dict[str, list[ConsensusOverride]] = {}
    for row in override_history(session, assessment_id):
        history.setdefault(row.capability_id, []).append(row)
    result = []
    for i, cap in enumerate(matrix.capability_ids):
        given = matrix.levels[i][~np.isnan(matrix.levels[i])]
        spread = int(given.max() - given.min()) if given.size else None
        rows = history.get(cap, [])
        in_force = rows[-1] if rows and rows[-1].level is not None else None
        result.append(CapabilityConsensus(
            capability_id=cap,
            levels={name: (None if np.isnan(v) else int(v)) for name, v in zip(matrix.assessors, matrix.levels[i])},
            median=None if np.isnan(medians[i]) else float(medians[i]),
            spread=spread,
            flagged=spread is not None and spread >= DISAGREEMENT_SPREAD,
            override=in_force,
            history=rows,
        ))
    return result


def override_consensus(
    session: Session,
    assessment_id: int,
    capability_id: str,
    level: int | None,
    rationale: str,
    *,
    actor: Account,
    seen_decision_id: int | None | object = UNCHECKED,
) -> ConsensusOverride:
    """Record the lead assessor's consensus level for a capability (``level`` None withdraws the
    override in force, back to the median). A written rationale is required either way; every
    decision is a new row, so the history of who decided what, when and why is kept.

    ``seen_decision_id``: the id of the newest decision on this capability when the lead's page was
    drawn (None: there was none). If another decision has been recorded since — the lead's other
    tab, or a second lead — this one is refused (:class:`DecisionChanged`) rather than silently
    replacing a decision its author never saw."""
    assessment = get_assessment(session, assessment_id)
    if not is_lead(session, assessment_id, actor):
        raise NotAllowed("only the lead assessor of this assessment may override the consensus")
    _require_open(assessment)
    model = model_for(session, assessment)
    if capability_id not in model.capability_ids:
        raise AssessmentError(f"unknown capability {capability_id!r}: not in model {model.id!r}")
    if seen_decision_id is not UNCHECKED:
        # one decision at a time per assessment (PostgreSQL row lock; SQLite writes one at a time anyway),
        # so two submits from pages that saw the same decision cannot both pass the check below
        session.exec(select(Assessment.id).where(Assessment.id == assessment_id).with_for_update()).one()
        history = override_history(session, assessment_id, capability_id)
        newest = history[-1] if history else None
        if newest is None and seen_decision_id is not None:
            raise DecisionChanged("the decision this page showed is not on record: nothing was saved; reload the page")
        if newest is not None and newest.id != seen_decision_id:
            what = "withdrew the decision" if newest.level is None else f"set level {newest.level}"
            raise DecisionChanged(f"{newest.decided_by} {what} on {as_utc(newest.decided_at).astimezone(dt.timezone.utc):%d %b %Y at %H:%M} UTC, after this page "
                                  "was opened: nothing was saved. Read that decision (now shown) and decide again if "
                                  "it should change.")
    if not rationale or not rationale.strip():
        raise AssessmentError("a consensus decision needs a written rationale: cite the evidence for this level "
                              "(for a level other than the median, why it should differ; for the median, why it stands)")
    if len(rationale) > MAX_RATIONALE_CHARS:
        raise AssessmentError(f"the rationale is {len(rationale):,} characters; the limit is {MAX_RATIONALE_CHARS:,}")
    if level is None:
        if capability_id not in overrides_in_force(session, assessment_id):
            raise AssessmentError(f"there is no override in force for {capability_id!r} to withdraw")
    else:
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)):
            raise AssessmentError(f"level must be a whole number from {model.min_level} to {model.max_level}")
        level = int(level)
        if not model.min_level <= level <= model.max_level:
            raise AssessmentError(f"level {level} is out of range for {capability_id!r}: levels run from {model.min_level} to {model.max_level}")
        # An override that changes nothing would still count as one ("overrides in force").
        current = next(c for c in consensus(session, assessment_id) if c.capability_id == capability_id)
        # ... unless a level changed after it: deciding the same again, with a new rationale, says it still holds
        same_as_decided = current.overridden and current.override.level == level
        restated = same_as_decided and capability_id in outdated_decisions(session, assessment_id)
        if same_as_decided and not restated:
            raise AssessmentError(f"the consensus is already level {level} by override; nothing to change")
        # On a flagged capability the lead may keep the median after discussing it: that decision,
        # with its rationale, is recorded like any other (and settles the flag). Elsewhere the
        # median needs no decision — except to say that an overtaken decision still holds (the page
        # asks for exactly that), which is restating it, whatever the median now is.
        if current.median is not None and current.median == level and not current.flagged and not restated:
            raise AssessmentError(f"level {level} is the median of the assessors' levels: "
                                  + ("withdraw the override to return to it" if current.overridden
                                     else "an override sets a different level (agreement needs no override)"))
    levels = _levels_by_capability(session, assessment_id, capability_id).get(capability_id, {})
    row = ConsensusOverride(assessment_id=assessment_id, capability_id=capability_id, level=level,
                            rationale=rationale.strip(), decided_by=_actor_name(actor), decided_at=utcnow(),
                            levels_at_decision=_encoded_levels(levels))
    session.add(row)
    session.flush()
    what = f"{capability_id}: override withdrawn" if level is None else f"{capability_id}: consensus set to {level}"
    audit.record(session, _actor_name(actor), "assessment.override_consensus", f"assessment:{assessment_id}",
                 f"{what}; rationale: {rationale.strip()}")
    return row


# -- figures (the same code the CLI runs on an exported CSV) --------------------------------------
def assessment_position(session: Session, assessment_id: int, *, seed: int | None = DEFAULT_SEED,
                        resamples: int = DEFAULT_RESAMPLES) -> PositionResult:
    """Position, confidence, consensus and gaps, with the overrides in force.

    ``itcap assess export ID --out r.csv --overrides o.csv`` then ``itcap assess position r.csv
    --model M --overrides o.csv`` gives the same figures.
    """
    matrix = ratings_matrix(session, assessment_id)
    return position(model_for(session, assessment_id), matrix.levels, matrix.overrides, seed=seed, resamples=resamples)


def assessment_reliability(session: Session, assessment_id: int) -> ReliabilityReport:
    return reliability(ratings_matrix(session, assessment_id).levels)


def export_rows(session: Session, assessment_id: int) -> list[tuple[str, str, int | None]]:
    """Every capability × assessor who has rated anything, as (capability_id, assessor username,
    level), in model order, then username; level None (a blank cell) where not rated. The whole grid,
    not only the ratings given: a capability nobody has rated yet still counts in the app's figures
    ("ICC uses 15 of 18"), and ``itcap assess reliability`` on the file must say the same. (An
    assessor who has rated nothing is left out of both.)"""
    matrix = ratings_matrix(session, assessment_id)
    rating = [j for j in range(len(matrix.assessors)) if not np.isnan(matrix.levels[:, j]).all()]
    return [(cap, matrix.assessors[j], None if np.isnan(matrix.levels[i, j]) else int(matrix.levels[i, j]))
            for i, cap in enumerate(matrix.capability_ids) for j in rating]


def export_overrides(session: Session, assessment_id: int) -> list[tuple[str, int, str, str, str]]:
    """Overrides in force as (capability_id, level, rationale, decided_by, decided_at ISO)."""
    return [(cap, int(o.level), o.rationale, o.decided_by, _iso(o.decided_at))
            for cap, o in sorted(overrides_in_force(session, assessment_id).items())]


def _iso(moment: dt.datetime) -> str:
    return as_utc(moment).isoformat(timespec="seconds")


def assessment_summary(session: Session, assessment_id: int) -> dict:
    """A few facts for listings: assessors, submitted, ratings saved."""
    people = assessors(session, assessment_id)
    n_ratings = session.exec(select(func.count()).select_from(Rating).where(Rating.assessment_id == assessment_id)).one()
    return {
        "assessors": len(people),
        "submitted": sum(1 for p in people if p.submitted_at is not None),
        "lead": next((p.username for p in people if p.is_lead), None),
        "ratings": int(n_ratings),
    }
