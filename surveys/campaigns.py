"""Campaigns: one instrument put to its groups between two dates, with its reporting thresholds.

Lifecycle: ``draft`` → ``open`` → ``closed``. A closed campaign may be reopened (closing by mistake, or
extending the fieldwork, happens); every change is written to the audit log in the same transaction.
A campaign accepts responses only while it is open *and* today (UTC) lies within its dates, both
inclusive; either date may be left open.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from sqlmodel import Session, select

from itcap import audit
from itcap.storage import today
from surveys.errors import NotFound, SurveyError
from surveys.instrument import Instrument
from surveys.store import load_stored_instrument
from surveys.tables import DEFAULT_COMMENT_THRESHOLD, DEFAULT_MIN_GROUP_SIZE, Campaign, InstrumentRecord

DRAFT, OPEN, CLOSED = "draft", "open", "closed"
STATUSES = (DRAFT, OPEN, CLOSED)
# k = 1 would publish single answers; 2 is the smallest threshold that means anything.
MIN_GROUP_SIZE_LIMITS = (2, 1000)
COMMENT_THRESHOLD_MAX = 100_000
NAME_MAX = 200

Availability = Literal["accepting", "draft", "not_yet_open", "ended", "closed"]


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


def _check_settings(name: str, opens_on: dt.date | None, closes_on: dt.date | None,
                    min_group_size: int, comment_threshold: int) -> list[str]:
    problems = []
    if not name.strip():
        problems.append("name: a campaign needs a name")
    elif len(name.strip()) > NAME_MAX:
        problems.append(f"name: at most {NAME_MAX} characters (got {len(name.strip())})")
    lo, hi = MIN_GROUP_SIZE_LIMITS
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, int) or not lo <= min_group_size <= hi:
        problems.append(f"min_group_size: the reporting threshold k must be a whole number from {lo} to {hi} (got {min_group_size!r})")
    elif isinstance(comment_threshold, bool) or not isinstance(comment_threshold, int) or not min_group_size <= comment_threshold <= COMMENT_THRESHOLD_MAX:
        problems.append(f"comment_threshold: must be a whole number at least the reporting threshold k = {min_group_size} "
                        f"(comments are more identifying than scores; got {comment_threshold!r})")
    if opens_on is not None and closes_on is not None and opens_on > closes_on:
        problems.append(f"dates: the campaign opens on {opens_on.isoformat()}, after it closes on {closes_on.isoformat()}")
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
    if problems:
        raise SurveyError(problems)
    new["name"] = new["name"].strip()
    changes = [f"{field}: {getattr(campaign, field)} → {value}" for field, value in new.items() if getattr(campaign, field) != value]
    for field, value in new.items():
        setattr(campaign, field, value)
    session.add(campaign)
    if changes:
        audit.record(session, actor, "campaign.update", f"campaign:{campaign.id}", "; ".join(changes))
    return campaign


def open_campaign(session: Session, campaign_id: int, actor: str, on: dt.date | None = None) -> Campaign:
    """Open a draft campaign, or reopen a closed one. Opening an open campaign changes nothing."""
    campaign = get_campaign(session, campaign_id)
    if campaign.status == OPEN:
        return campaign
    on = on or today()
    if campaign.closes_on is not None and campaign.closes_on < on:
        raise SurveyError(f"campaign {campaign.id}: its closing date {campaign.closes_on.isoformat()} has passed; "
                          "change the closing date before opening it")
    previous = campaign.status
    campaign.status = OPEN
    session.add(campaign)
    audit.record(session, actor, "campaign.reopen" if previous == CLOSED else "campaign.open", f"campaign:{campaign.id}",
                 f"{previous} → open; dates {_dates(campaign)}")
    return campaign


def close_campaign(session: Session, campaign_id: int, actor: str) -> Campaign:
    """Stop accepting responses (from a draft too: a campaign abandoned before it opened). Closing a
    closed campaign changes nothing. Drafts in progress are kept, so a reopened campaign can resume."""
    campaign = get_campaign(session, campaign_id)
    if campaign.status == CLOSED:
        return campaign
    previous = campaign.status
    campaign.status = CLOSED
    session.add(campaign)
    audit.record(session, actor, "campaign.close", f"campaign:{campaign.id}", f"{previous} → closed")
    return campaign


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
    opens = campaign.opens_on.isoformat() if campaign.opens_on else "…"
    closes = campaign.closes_on.isoformat() if campaign.closes_on else "…"
    return f"{opens} to {closes}"
