"""Campaigns: one instrument put to its groups between two dates, with its reporting thresholds.

Lifecycle: ``draft`` → ``open`` → ``closed``. A closed campaign may be reopened (closing by mistake, or
extending the fieldwork, happens); every change is written to the audit log in the same transaction.
A campaign accepts responses only while it is open *and* today (UTC) lies within its dates, both
inclusive; either date may be left open.

Closing also *anonymises the storage* of the campaign (:func:`anonymise_campaign`): the database's
own bookkeeping — PostgreSQL's transaction ids (``xmin``) and physical row order, the pages SQLite
wrote — would otherwise still say which response was written together with which invitation.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Literal

from sqlalchemy import event, func, text
from sqlmodel import Session, select

from itcap import audit
from itcap.names import name_problem
from itcap.storage import today, vacuum
from surveys.errors import NotFound, SurveyError
from surveys.instrument import Instrument
from surveys.limits import COMMENT_THRESHOLD_MAX, MIN_GROUP_SIZE_LIMITS
from surveys.store import load_stored_instrument
from surveys.tables import (DEFAULT_COMMENT_THRESHOLD, DEFAULT_MIN_GROUP_SIZE, Campaign, InstrumentRecord, Invitation,
                            InvitationCompletion, Response)

DRAFT, OPEN, CLOSED = "draft", "open", "closed"


def _day(date: dt.date) -> str:
    """A date in a message: "31 Mar 2027" reads the same whatever order the form's date fields use."""
    return f"{date:%d %b %Y}"
NAME_MAX = 200

Availability = Literal["accepting", "draft", "not_yet_open", "ended", "closed"]


def lock_campaign(session: Session, campaign_id: int) -> str:
    """Take the campaign's write lock until the transaction ends and return its status as it now is.
    A no-op update rather than SELECT … FOR UPDATE: it locks the row on PostgreSQL and, as the first
    write of the transaction, takes SQLite's database write lock too (SQLite has no row locks, and
    a read before it would not hold anything)."""
    table = Campaign.__table__
    session.execute(table.update().where(table.c.id == campaign_id).values(status=table.c.status))
    return session.execute(select(table.c.status).where(table.c.id == campaign_id)).scalar_one()


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} not found")
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    return list(session.exec(select(Campaign).order_by(Campaign.id)))


def campaign_instrument(session: Session, campaign: Campaign | int) -> Instrument:
    """The instrument (parsed, cached) a campaign puts to its respondents."""
    if isinstance(campaign, int):
        campaign = get_campaign(session, campaign)
    return load_stored_instrument(session, campaign.instrument_id)


SETTING_LABELS = {"name": "name", "opens_on": "opens on", "closes_on": "closes on", "min_group_size": "reporting threshold k",
                  "comment_threshold": "comment threshold"}


def _setting(value: object) -> str:
    """A setting's value in the audit log: a date as in messages, no date as "none", a name quoted."""
    if value is None:
        return "none"
    if isinstance(value, dt.date):
        return _day(value)
    return repr(value) if isinstance(value, str) else str(value)


def _check_settings(name: str, opens_on: dt.date | None, closes_on: dt.date | None,
                    min_group_size: int, comment_threshold: int) -> list[str]:
    problems = []
    if not name.strip():
        problems.append("Name: a campaign needs a name")
    elif problem := name_problem("Name", name, NAME_MAX):
        problems.append(problem)
    lo, hi = MIN_GROUP_SIZE_LIMITS
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, int) or not lo <= min_group_size <= hi:
        problems.append(f"Reporting threshold k: must be a whole number from {lo} to {hi:,} (got {min_group_size!r})")
    elif isinstance(comment_threshold, bool) or not isinstance(comment_threshold, int) or comment_threshold < min_group_size:
        problems.append(f"Comment threshold: must be a whole number at least the reporting threshold k = {min_group_size} "
                        f"(comments are more identifying than scores; got {comment_threshold!r})")
    elif comment_threshold > COMMENT_THRESHOLD_MAX:
        problems.append(f"Comment threshold: at most {COMMENT_THRESHOLD_MAX:,} (got {comment_threshold:,})")
    if opens_on is not None and closes_on is not None and opens_on > closes_on:
        problems.append(f"Dates: the campaign opens on {_day(opens_on)}, after it closes on {_day(closes_on)}")
    return problems


def create_campaign(
    session: Session,
    *,
    instrument_id: int,
    name: str,
    actor: str,
    opens_on: dt.date | None = None,
    closes_on: dt.date | None = None,
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE,
    comment_threshold: int = DEFAULT_COMMENT_THRESHOLD,
) -> Campaign:
    """A new campaign in status ``draft`` (invitations can be prepared before it opens)."""
    problems = _check_settings(name, opens_on, closes_on, min_group_size, comment_threshold)
    record = session.get(InstrumentRecord, instrument_id)
    if record is None:
        problems.insert(0, f"instrument: no stored instrument with id {instrument_id}")
    if problems:
        raise SurveyError(problems)
    campaign = Campaign(name=name.strip(), instrument_id=instrument_id, opens_on=opens_on, closes_on=closes_on,
                        min_group_size=min_group_size, comment_threshold=comment_threshold, created_by=actor)
    session.add(campaign)
    session.flush()
    audit.record(session, actor, "campaign.create", f"campaign:{campaign.id}",
                 f"{campaign.name!r} with instrument {record.key} v{record.version}; k={min_group_size}, "
                 f"comments≥{comment_threshold}, dates {_dates(campaign)}")
    return campaign


def creation_notes(session: Session, campaign: Campaign) -> list[str]:
    """What is worth saying about a campaign just created, though it is allowed: a closing date that
    has passed (right for last year's paper round, imported for the trend; a slip otherwise), and
    other campaigns with the same name (the pickers would show them alike)."""
    notes = []
    if campaign.closes_on is not None and campaign.closes_on < today():
        notes.append(f"its closing date, {_day(campaign.closes_on)}, has passed: it cannot be opened to respondents, "
                     "though it can take imported responses — change the closing date if that was a slip")
    key = campaign.name.strip().casefold()
    namesakes = [c.id for c in list_campaigns(session) if c.id != campaign.id and c.name.strip().casefold() == key]
    if namesakes:
        notes.append(f"campaign{'s' if len(namesakes) > 1 else ''} {', '.join(map(str, namesakes))} "
                     f"{'have' if len(namesakes) > 1 else 'has'} the same name: give one another name to tell them apart")
    return notes


_UNSET = object()


def update_campaign(session: Session, campaign_id: int, actor: str, *, name=_UNSET, opens_on=_UNSET, closes_on=_UNSET,
                    min_group_size=_UNSET, comment_threshold=_UNSET) -> Campaign:
    """Change a campaign's name, dates or thresholds (only the arguments given; ``None`` clears a date)."""
    campaign = get_campaign(session, campaign_id)
    new = {
        "name": campaign.name if name is _UNSET else name,
        "opens_on": campaign.opens_on if opens_on is _UNSET else opens_on,
        "closes_on": campaign.closes_on if closes_on is _UNSET else closes_on,
        "min_group_size": campaign.min_group_size if min_group_size is _UNSET else min_group_size,
        "comment_threshold": campaign.comment_threshold if comment_threshold is _UNSET else comment_threshold,
    }
    problems = _check_settings(new["name"], new["opens_on"], new["closes_on"], new["min_group_size"], new["comment_threshold"])
    problems += _lowered_promises(session, campaign, new["min_group_size"], new["comment_threshold"])
    if problems:
        raise SurveyError(problems)
    new["name"] = new["name"].strip()
    changes = [f"{SETTING_LABELS[field]}: {_setting(getattr(campaign, field))} → {_setting(value)}"
               for field, value in new.items() if getattr(campaign, field) != value]
    for field, value in new.items():
        setattr(campaign, field, value)
    session.add(campaign)
    if changes:
        audit.record(session, actor, "campaign.update", f"campaign:{campaign.id}", "; ".join(changes))
    return campaign


def thresholds_promised(session: Session, campaign: Campaign) -> bool:
    """Whether respondents may have been told the thresholds: the privacy statement states both, so
    once the campaign has been opened or holds responses (imported ones too), they may rise, never fall."""
    return campaign.status != DRAFT or session.exec(
        select(Response.id).where(Response.campaign_id == campaign.id).limit(1)).first() is not None


def _lowered_promises(session: Session, campaign: Campaign, min_group_size: object, comment_threshold: object) -> list[str]:
    """A threshold lowered below what respondents were told (see :func:`thresholds_promised`)."""
    if not thresholds_promised(session, campaign):
        return []
    problems = []
    for field, label, promise, value in (
            ("min_group_size", "Reporting threshold k", "results only for groups of at least {n}", min_group_size),
            ("comment_threshold", "Comment threshold", "comments shown only when at least {n} people commented",
             comment_threshold)):
        before = getattr(campaign, field)
        if isinstance(value, int) and not isinstance(value, bool) and value < before:
            problems.append(f"{label}: cannot go down ({before} → {value}) once the campaign has been "
                            f"opened or has responses: respondents were promised {promise.format(n=before)}; it can "
                            "only go up")
    return problems


def open_campaign(session: Session, campaign_id: int, actor: str, on: dt.date | None = None) -> Campaign:
    """Open a draft campaign, or reopen a closed one. Opening an open campaign changes nothing."""
    campaign = get_campaign(session, campaign_id)
    if campaign.status == OPEN:
        return campaign
    on = on or today()
    if campaign.closes_on is not None and campaign.closes_on < on:
        raise SurveyError(f"campaign {campaign.id}: its closing date {_day(campaign.closes_on)} has passed; "
                          "change the closing date before opening it")
    previous = campaign.status
    campaign.status = OPEN
    session.add(campaign)
    audit.record(session, actor, "campaign.reopen" if previous == CLOSED else "campaign.open", f"campaign:{campaign.id}",
                 f"{previous} → open; dates: {_dates(campaign)}")
    return campaign


def close_campaign(session: Session, campaign_id: int, actor: str) -> Campaign:
    """Stop accepting responses (from a draft too: a campaign abandoned before it opened). Closing a
    closed campaign changes nothing. Drafts in progress are kept, so a reopened campaign can resume.

    In the same transaction the campaign's stored rows are rewritten so that nothing in the storage
    links a response to its invitation any more, and once it commits the freed space is reclaimed
    (see :func:`anonymise_campaign`)."""
    campaign = get_campaign(session, campaign_id)
    if campaign.status == CLOSED:
        return campaign
    previous = campaign.status
    campaign.status = CLOSED
    session.add(campaign)
    # Closed, the figures use every response: mark the held ones as the last batch, so that a
    # campaign reopened later (paper responses) keeps them in its figures — dropping them again would
    # take fewer than k out of the view (surveys.release).
    table = Response.__table__
    last = session.execute(select(func.max(table.c.release)).where(table.c.campaign_id == campaign.id)).scalar() or 0
    session.execute(table.update().where(table.c.campaign_id == campaign.id, table.c.release.is_(None)).values(release=last + 1))
    _rewrite_storage(session, campaign.id)
    audit.record(session, actor, "campaign.close", f"campaign:{campaign.id}",
                 f"{previous} → closed; stored responses rewritten so that storage order and transaction ids no "
                 "longer follow the submissions")
    _reclaim_after_commit(session)
    return campaign


def anonymise_campaign(session: Session, campaign_id: int, actor: str) -> Campaign:
    """Rewrite a campaign's responses, invitations and completions so that the database's bookkeeping
    no longer records which response was submitted with which invitation; closing does this too.

    Submitting writes a response, an ``invitation_completion`` row and the invitation's new status in
    one transaction. The tables hold no link between them (DESIGN.md), but the storage does:

    * **PostgreSQL** stamps every row version with the id of the transaction that wrote it (``xmin``,
      readable by anyone who may read the table) and places new rows one after another (``ctid``).
      Here the campaign's responses are copied aside, deleted and inserted again **in the order of
      their random ids**, in one subtransaction; the invitations are rewritten and the completions
      reinserted in invitation-id order in another. Afterwards every response of the campaign has the
      same ``xmin``, different from that of every invitation and completion, and the physical order
      follows the random ids. Only the campaign's rows are touched, under row locks: the campaign row
      is locked ``FOR UPDATE`` first, so a submit in flight (which holds a key-share lock on it
      through the response's foreign key) finishes before the rewrite or waits for it. ``CLUSTER``
      would reorder too, but it rewrites the whole table under an exclusive lock, stopping every
      other campaign's respondents while it runs.
    * **SQLite** keeps ``response`` and ``invitation_completion`` as ``WITHOUT ROWID`` tables, ordered
      by the random id and the invitation id (migration 0003), so there is no insertion order to
      rewrite; what remains is in the pages themselves (cell order within a page, freed pages with
      deleted drafts, the write-ahead log), and the reclaiming step below removes it.

    After the transaction commits, the space is reclaimed outside it: ``VACUUM`` of the four survey
    tables on PostgreSQL (old row versions — with the submitting transaction's id, and the deleted
    drafts with their answers — are removed), ``VACUUM`` and a truncating WAL checkpoint on SQLite
    (the file is rebuilt). That step is best effort: if it cannot run (e.g. another connection holds
    a long transaction), a warning is logged and autovacuum, or running this again, finishes the job.

    Refused while the campaign is open: responses submitted afterwards would be linkable again.
    Idempotent — run it again at any time (``itcap campaign anonymise ID``).
    """
    campaign = get_campaign(session, campaign_id)
    if campaign.status == OPEN:
        raise SurveyError(f"campaign {campaign.id} is open; close it first (closing anonymises its storage too) — "
                          "responses submitted after anonymising would be linkable again")
    _rewrite_storage(session, campaign.id)
    audit.record(session, actor, "campaign.anonymise", f"campaign:{campaign.id}",
                 "stored responses rewritten so that storage order and transaction ids no longer follow the submissions")
    _reclaim_after_commit(session)
    return campaign


_log = logging.getLogger(__name__)
SURVEY_TABLES = ("response", "invitation_completion", "invitation", "survey_draft")


def _rewrite_storage(session: Session, campaign_id: int) -> None:
    """PostgreSQL: give the campaign's responses, invitations and completions new row versions, in
    random-id order, in two subtransactions (see :func:`anonymise_campaign`). SQLite: nothing to do
    in the transaction."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.flush()
    run = session.execute
    run(text("SELECT id FROM campaign WHERE id = :c FOR UPDATE"), {"c": campaign_id})
    columns = ", ".join(c.name for c in Response.__table__.columns)
    with session.begin_nested():  # subtransaction 1: the responses
        run(text(f"CREATE TEMP TABLE itcap_anon_response AS SELECT {columns} FROM response WHERE campaign_id = :c"),
            {"c": campaign_id})
        run(text("DELETE FROM response WHERE campaign_id = :c"), {"c": campaign_id})
        run(text(f"INSERT INTO response ({columns}) SELECT {columns} FROM itcap_anon_response ORDER BY id"))
        run(text("DROP TABLE itcap_anon_response"))
    with session.begin_nested():  # subtransaction 2: the invitations and their completions
        run(text("UPDATE invitation SET status = status WHERE campaign_id = :c"), {"c": campaign_id})
        run(text("CREATE TEMP TABLE itcap_anon_completion AS SELECT c.invitation_id FROM invitation_completion c "
                 "JOIN invitation i ON i.id = c.invitation_id WHERE i.campaign_id = :c"), {"c": campaign_id})
        run(text("DELETE FROM invitation_completion WHERE invitation_id IN (SELECT invitation_id FROM itcap_anon_completion)"))
        run(text("INSERT INTO invitation_completion (invitation_id) "
                 "SELECT invitation_id FROM itcap_anon_completion ORDER BY invitation_id"))
        run(text("DROP TABLE itcap_anon_completion"))
    for instance in list(session.identity_map.values()):  # loaded copies of rewritten rows are stale
        if isinstance(instance, (Response, Invitation, InvitationCompletion)):
            session.expire(instance)


def _reclaim_after_commit(session: Session) -> None:
    """Once the session commits, reclaim the space of the old row versions (outside any transaction)."""
    engine = session.get_bind()

    def reclaim(_session) -> None:
        session.info.pop(STORAGE_NOT_RECLAIMED, None)
        try:
            reclaim_storage(engine)
        except Exception as exc:  # noqa: BLE001 - the close itself succeeded; say what is left to do
            session.info[STORAGE_NOT_RECLAIMED] = str(exc)  # for the caller to say (the CLI does)
            _log.warning("itcap: the campaign's storage was rewritten, but reclaiming space failed (%s); autovacuum "
                         "will finish the job, or run `itcap campaign anonymise ID` again", exc)

    event.listen(session, "after_commit", reclaim, once=True)
    # A rolled-back close must not leave the listener waiting for some later, unrelated commit.
    event.listen(session, "after_rollback", lambda _s: _remove(session, reclaim), once=True)


# session.info key: why the space of a close or an anonymise could not be reclaimed after its commit
STORAGE_NOT_RECLAIMED = "itcap_storage_not_reclaimed"


def storage_not_reclaimed(session: Session) -> str | None:
    """Why the last close or anonymise on ``session`` left old pages behind (None: reclaimed)."""
    return session.info.get(STORAGE_NOT_RECLAIMED)


def _remove(session: Session, listener) -> None:
    if event.contains(session, "after_commit", listener):
        event.remove(session, "after_commit", listener)


def reclaim_storage(engine) -> None:
    """Reclaim the space of the survey tables' old row versions (see :func:`itcap.storage.vacuum`)."""
    vacuum(engine, SURVEY_TABLES)


def availability(campaign: Campaign, on: dt.date | None = None) -> Availability:
    """Whether a campaign takes answers today, and if not, why (for the respondent's message)."""
    on = on or today()
    if campaign.status == DRAFT:
        return "draft"
    if campaign.status != OPEN:
        return "closed"
    if campaign.opens_on is not None and on < campaign.opens_on:
        return "not_yet_open"
    if campaign.closes_on is not None and on > campaign.closes_on:
        return "ended"
    return "accepting"


def is_accepting_responses(campaign: Campaign, on: dt.date | None = None) -> bool:
    return availability(campaign, on) == "accepting"


def _dates(campaign: Campaign) -> str:
    return date_window(campaign.opens_on, campaign.closes_on)


def date_window(opens_on: dt.date | str | None, closes_on: dt.date | str | None) -> str:
    """A campaign's dates in a line: "2026-03-01 to 2026-03-31", "from 2026-03-01", "until …", or
    "no dates set" (… to … said nothing)."""
    if not opens_on and not closes_on:
        return "no dates set"
    if not closes_on:
        return f"from {opens_on}"
    if not opens_on:
        return f"until {closes_on}"
    return f"{opens_on} to {closes_on}"
