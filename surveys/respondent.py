"""The respondent's journey, as plain functions the survey page calls on every run.

    state = load_survey(session, token)            # raises SurveyUnavailable with a friendly message
    token = begin(session, token)                  # after the welcome screen; open links get a token of their own
    result = save_section(session, token, i, answers, move="next")   # result.problems: {item_id: message}
    state = go_to_section(session, token, i)       # "edit" from the review screen
    result = submit(session, token)                # exactly once per token, whatever the clicks

Sections are the instrument's sections that have items for the respondent's group, numbered from 0;
``len(state.sections)`` is the review step. Functions that write (``begin``, ``save_section``,
``go_to_section``, ``submit``) commit or roll back the session they are given, so pass one with no
other pending changes (a fresh ``session_scope()``).

Anonymity: the draft (answers in progress) is tied to the invitation so the respondent can resume;
``submit`` writes the anonymous :class:`~surveys.tables.Response` — random id, group, date, duration,
answers, flags; nothing that points back — claims the invitation in ``invitation_completion`` and
deletes the draft, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from itcap.storage import as_utc, insert_if_absent, today, utcnow
from surveys import quality
from surveys.answers import check_answer, display_answer, pack_answers
from surveys.campaigns import OPEN, campaign_instrument
from surveys.invitations import (COMPLETED, INVITED, MESSAGES, STARTED, TokenCheck, TokenOutcome, check_token, hash_token,
                                 start_open_visit)
from surveys.instrument import Instrument, Item
from surveys.tables import Campaign, Invitation, InvitationCompletion, Response, SurveyDraft

REQUIRED_MESSAGE = "Please answer this question."


class SurveyUnavailable(Exception):
    """The token opens no survey right now; ``message`` is written for the respondent."""

    def __init__(self, outcome: TokenOutcome, message: str, title: str | None = None):
        self.outcome = outcome
        self.message = message
        self.title = title  # the survey's name, when the link belongs to a campaign (used, closed, not open yet)
        super().__init__(message)


@dataclass(frozen=True)
class SectionView:
    index: int
    id: str
    title: str
    intro: str
    items: tuple[Item, ...]


@dataclass
class SurveyState:
    """Everything a survey page needs to draw the current step."""

    campaign_id: int
    campaign_name: str
    group_id: str
    group_name: str
    instrument: Instrument
    sections: list[SectionView]
    answers: dict[str, Any]
    section_index: int  # 0 … len(sections); len(sections) is the review step
    started: bool  # False before begin(): show the welcome and privacy statement
    is_open_link: bool = False

    @property
    def at_review(self) -> bool:
        return self.section_index >= len(self.sections)

    @property
    def current_section(self) -> SectionView | None:
        return None if self.at_review else self.sections[self.section_index]

    @property
    def progress(self) -> float:
        """Share of sections behind the respondent (0 at the first, 1 at review)."""
        return self.section_index / len(self.sections) if self.sections else 1.0

    def missing_required(self, section_index: int | None = None) -> dict[str, str]:
        """Required items without an answer, in one section or (None) the whole survey."""
        sections = self.sections if section_index is None else [self.sections[section_index]]
        return {item.id: REQUIRED_MESSAGE for s in sections for item in s.items if item.required and item.id not in self.answers}

    def answered_after(self, section_index: int) -> bool:
        """Whether any later section has answers: the respondent has been further (to the review,
        say) and came back — so the page offers the way straight back there."""
        return any(item.id in self.answers for s in self.sections[section_index + 1:] for item in s.items)

    def first_incomplete_section(self) -> int | None:
        for section in self.sections:
            if self.missing_required(section.index):
                return section.index
        return None

    def review_rows(self) -> list[tuple[SectionView, list[tuple[Item, str]]]]:
        """Each section with its items and the answers as people read them ('' = not answered)."""
        return [(s, [(item, display_answer(self.instrument, item, self.answers.get(item.id))) for item in s.items])
                for s in self.sections]


@dataclass
class SaveResult:
    state: SurveyState
    problems: dict[str, str] = field(default_factory=dict)  # item id → message shown at the item

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class SubmitResult:
    submitted: bool
    problems: dict[str, str] = field(default_factory=dict)
    section_index: int | None = None  # where to send the respondent to fix the problems
    thank_you: str = ""


# -- reading ---------------------------------------------------------------------------------------
def _usable(session: Session, token: object, campaign_id: int | None) -> TokenCheck:
    check = check_token(session, token, campaign_id=campaign_id)
    if not check.usable:
        title = campaign_instrument(session, check.campaign).name if check.campaign is not None else None
        raise SurveyUnavailable(check.outcome, check.message, title)
    return check


def _sections(instrument: Instrument, group_id: str) -> list[SectionView]:
    asked = {item.id for item in instrument.items_for_group(group_id)}
    views = []
    for section in instrument.sections:
        items = tuple(item for item in section.items if item.id in asked)
        if items:
            views.append(SectionView(len(views), section.id, section.title, section.intro, items))
    return views


def _state(session: Session, check: TokenCheck, draft: SurveyDraft | None) -> SurveyState:
    campaign, invitation = check.campaign, check.invitation
    instrument = campaign_instrument(session, campaign)
    sections = _sections(instrument, invitation.group_id)
    answers = json.loads(draft.answers_json) if draft is not None else {}
    index = min(max(draft.section_index, 0), len(sections)) if draft is not None else 0
    return SurveyState(
        campaign_id=campaign.id, campaign_name=campaign.name, group_id=invitation.group_id,
        group_name=instrument.group_name(invitation.group_id), instrument=instrument, sections=sections,
        answers=answers, section_index=index, started=draft is not None,
        is_open_link=check.outcome == TokenOutcome.OPEN_LINK,
    )


def load_survey(session: Session, token: object, *, campaign_id: int | None = None) -> SurveyState:
    """The survey a token opens, with the answers saved so far and the step to resume at.

    Read-only: safe to call on every page run. Raises :class:`SurveyUnavailable` (malformed, unknown,
    other campaign, used, withdrawn, not open yet, closed) with a message for the respondent.
    """
    check = _usable(session, token, campaign_id)
    draft = None if check.outcome == TokenOutcome.OPEN_LINK else session.get(SurveyDraft, check.invitation.id)
    return _state(session, check, draft)


# -- writing ---------------------------------------------------------------------------------------
def _ensure_draft(session: Session, invitation: Invitation) -> None:
    if session.get(SurveyDraft, invitation.id) is not None:
        return
    if session.get(InvitationCompletion, invitation.id) is not None:
        raise SurveyUnavailable(TokenOutcome.USED, MESSAGES[TokenOutcome.USED])
    now = utcnow()
    # Two tabs starting at once: the second insert quietly does nothing.
    insert_if_absent(session, SurveyDraft.__table__, {"invitation_id": invitation.id, "answers_json": "{}", "section_index": 0,
                                                      "started_at": now, "updated_at": now}, key=["invitation_id"])
    session.execute(update(Invitation.__table__).where(Invitation.id == invitation.id, Invitation.status == INVITED)
                    .values(status=STARTED))


def _commit(session: Session) -> None:
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise


def begin(session: Session, token: object, *, campaign_id: int | None = None) -> str:
    """Start (or continue) answering, after the welcome screen. Returns the token to use from now on:
    the same one for a personal link; for a group's open link, a fresh personal token for this visitor
    — put it in the address bar (``st.query_params``) so a reload or a bookmark resumes."""
    check = _usable(session, token, campaign_id)
    try:
        if check.outcome == TokenOutcome.OPEN_LINK:
            personal = start_open_visit(session, check.invitation)
            if personal is None:  # the cap was reached since the welcome screen was shown
                raise SurveyUnavailable(TokenOutcome.FULL, MESSAGES[TokenOutcome.FULL],
                                        campaign_instrument(session, check.campaign).name)
            visit = session.execute(select(Invitation).where(Invitation.token_hash == hash_token(personal))).scalar_one()
            _ensure_draft(session, visit)
        else:
            personal = str(token).strip()
            _ensure_draft(session, check.invitation)
        _commit(session)
    except BaseException:
        session.rollback()
        raise
    return personal


def _lock_draft(session: Session, invitation_id: int) -> SurveyDraft | None:
    """Take the draft for writing before reading it, so that two tabs saving at once cannot lose
    each other's answers (a write first: SQLite's write lock, PostgreSQL's row lock)."""
    touched = session.execute(update(SurveyDraft.__table__).where(SurveyDraft.invitation_id == invitation_id)
                              .values(updated_at=utcnow())).rowcount
    if not touched:
        return None
    return session.get(SurveyDraft, invitation_id, populate_existing=True)


def save_section(session: Session, token: object, section_index: int, answers: Mapping[str, Any], *,
                 move: Literal["next", "back", "stay"] | int = "next", campaign_id: int | None = None) -> SaveResult:
    """Save the answers given on one section's screen and move on.

    ``answers`` maps the section's item ids to values (None or '' clears an answer); items of other
    sections are refused. Every valid answer is saved, even when others are not; an invalid one keeps
    the answer saved before and comes back in ``problems`` with a message for the item. Moving
    ``"next"`` (or to a later index) also needs the section's required items answered; moving back
    never does. With problems, the respondent stays on the section.
    """
    check = _usable(session, token, campaign_id)
    if check.outcome == TokenOutcome.OPEN_LINK:
        raise SurveyUnavailable(TokenOutcome.OPEN_LINK, "Please start the survey first.")
    invitation = check.invitation
    try:
        draft = _lock_draft(session, invitation.id)
        if draft is None:
            _ensure_draft(session, invitation)
            draft = _lock_draft(session, invitation.id)
        state = _state(session, check, draft)
        if not 0 <= section_index < len(state.sections):
            raise ValueError(f"section index {section_index} out of range 0–{len(state.sections) - 1}")
        section = state.sections[section_index]
        items = {item.id: item for item in section.items}
        strangers = sorted(set(answers) - set(items))
        if strangers:
            raise ValueError(f"items {', '.join(strangers)} are not in section {section.id!r}")
        problems = {}
        for item_id, value in answers.items():
            stored, problem = check_answer(state.instrument, items[item_id], value)
            if problem:
                problems[item_id] = problem
            elif stored is None:
                state.answers.pop(item_id, None)
            else:
                state.answers[item_id] = stored
        target = {"next": section_index + 1, "back": section_index - 1, "stay": section_index}.get(move, move)
        if not isinstance(target, int) or isinstance(target, bool):
            raise ValueError(f"move must be 'next', 'back', 'stay' or a section index, not {move!r}")
        target = min(max(target, 0), len(state.sections))
        if target > section_index:
            problems.update({k: v for k, v in state.missing_required(section_index).items() if k not in problems})
        if problems:
            target = section_index
        state.section_index = target
        session.execute(update(SurveyDraft.__table__).where(SurveyDraft.invitation_id == invitation.id)
                        .values(answers_json=json.dumps(state.answers, ensure_ascii=False), section_index=target,
                                updated_at=utcnow()))
        _commit(session)
    except BaseException:
        session.rollback()
        raise
    return SaveResult(state, problems)


def go_to_section(session: Session, token: object, section_index: int, *, campaign_id: int | None = None) -> SurveyState:
    """Jump to a section (e.g. 'edit' on the review screen) or to review (``len(sections)``).

    Navigation only: nothing is checked here; required items are enforced by ``save_section`` moving
    forward and, finally, by ``submit``."""
    check = _usable(session, token, campaign_id)
    if check.outcome == TokenOutcome.OPEN_LINK:
        raise SurveyUnavailable(TokenOutcome.OPEN_LINK, "Please start the survey first.")
    try:
        draft = _lock_draft(session, check.invitation.id)
        if draft is None:
            _ensure_draft(session, check.invitation)
            draft = _lock_draft(session, check.invitation.id)
        state = _state(session, check, draft)
        state.section_index = min(max(int(section_index), 0), len(state.sections))
        session.execute(update(SurveyDraft.__table__).where(SurveyDraft.invitation_id == check.invitation.id)
                        .values(section_index=state.section_index))
        _commit(session)
    except BaseException:
        session.rollback()
        raise
    return state


def submit(session: Session, token: object, *, campaign_id: int | None = None, on: dt.date | None = None) -> SubmitResult:
    """Submit the saved answers as one anonymous response — exactly once per token.

    Every required item must be answered (else ``problems`` and the section to go back to). The
    invitation is claimed by inserting its ``invitation_completion`` row *first*: its primary key lets
    only one transaction through, however many clicks, tabs or servers submit at once; the others
    fail on the constraint, roll back everything and raise :class:`SurveyUnavailable` ``USED``.
    """
    check = _usable(session, token, campaign_id)
    if check.outcome == TokenOutcome.OPEN_LINK:
        raise SurveyUnavailable(TokenOutcome.OPEN_LINK, "Please start the survey first.")
    invitation = check.invitation
    draft = session.get(SurveyDraft, invitation.id)
    if draft is None and session.get(InvitationCompletion, invitation.id) is not None:
        # Another click or tab submitted between our token check and now.
        raise SurveyUnavailable(TokenOutcome.USED, MESSAGES[TokenOutcome.USED])
    state = _state(session, check, draft)
    problems = state.missing_required()
    if problems:
        return SubmitResult(False, problems, state.first_incomplete_section())
    if not state.answers:
        return SubmitResult(False, {"": "Please answer at least one question before submitting."}, 0)
    started = as_utc(draft.started_at) if draft is not None else utcnow()
    duration = max(0, int((utcnow() - started).total_seconds()))
    flags = quality.stored_flags(state.instrument, state.group_id, state.answers)
    try:
        # Closing a campaign locks its row FOR UPDATE while it rewrites the campaign's storage; this
        # share lock makes a submit either finish before that rewrite or see the campaign closed —
        # never land, unrewritten, in a campaign already closed (PostgreSQL; SQLite writers queue).
        status = session.execute(select(Campaign.status).where(Campaign.id == state.campaign_id).with_for_update(read=True)).scalar_one()
        if status != OPEN:
            session.rollback()
            raise SurveyUnavailable(TokenOutcome.CLOSED, MESSAGES[TokenOutcome.CLOSED])
        session.execute(insert(InvitationCompletion.__table__).values(invitation_id=invitation.id))
        session.execute(insert(Response.__table__).values(
            id=uuid.uuid4().hex, campaign_id=state.campaign_id, group_id=state.group_id, submitted_on=on or today(),
            duration_seconds=duration, answers_json=pack_answers(state.instrument, state.answers),
            quality_flags=flags, source="web"))
        session.execute(delete(SurveyDraft.__table__).where(SurveyDraft.invitation_id == invitation.id))
        session.execute(update(Invitation.__table__).where(Invitation.id == invitation.id).values(status=COMPLETED))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise SurveyUnavailable(TokenOutcome.USED, MESSAGES[TokenOutcome.USED]) from None
    except SurveyUnavailable:
        raise
    except BaseException:
        session.rollback()
        raise
    return SubmitResult(True, thank_you=state.instrument.thank_you)
