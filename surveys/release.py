"""While a campaign is open, its figures take in new responses in batches of at least k per group.

Figures that follow every submit give away each new respondent's answers: anyone who notes an item's
n and mean on the dashboard (or keeps two reports) and looks again after one more person of a group
has answered gets that person's answer as n₂·mean₂ − n₁·mean₁ — differencing over time, which the
reporting threshold k alone does not stop. So the dashboard and the report of an open campaign use
only its *released* responses (``response.release`` set), and a group's held responses are released
only when at least 2k are held, all but k of them (at least k):

* two views of an open campaign differ, per group, by whole batches of at least k people;
* at least k of each group stay held, so the view at the close (every response) differs from the
  last open view by at least k people of each group that changed — the last few answers before
  the close are not singled out either.

The price is a lag: while the campaign is open a group's figures leave out its newest k to 2k−1
responses, and a group shows nothing until it has 2k. Closing the campaign ends the holding: the
figures then use every response. Counts (the response rates) are not answers and stay live.

Which responses go in and which stay held is a fresh random draw at each release, never by who or
when they answered. Someone who can submit responses (an open link) and reads the figures can still
fill a batch with their own answers around one newcomer's; docs/surveys.md says what that means for
open links.
"""

from __future__ import annotations

import logging
import secrets

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from itcap.storage import holds_write_lock, lock_wait
from surveys.campaigns import CLOSED, lock_campaign
from surveys.tables import Campaign, Response

_draw = secrets.SystemRandom()
LOCK_WAIT_MS = 1000  # how long a reader waits for the campaign's lock before leaving the release for later


def held_counts(session: Session, campaign_id: int) -> dict[str, int]:
    """Responses per group not yet in the figures (read from the index, not the answers)."""
    rows = session.execute(select(Response.group_id, func.count()).where(Response.campaign_id == campaign_id,
                                                                       Response.release.is_(None))
                           .group_by(Response.group_id)).all()
    return {group: int(n) for group, n in rows}


def _due(held: dict[str, int], k: int) -> dict[str, int]:
    """How many of each group's held responses go into the figures now: all but k, once 2k are held."""
    return {group: n - k for group, n in held.items() if n >= 2 * k}


def release_due(session: Session, campaign_id: int) -> dict[str, int]:
    """Release the batches that are due (see the module docstring) in the caller's transaction;
    returns how many responses of each group went in. Cheap when nothing is due: one count on the
    index. Under the campaign's lock, so two dashboards releasing at once cannot split a batch."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status == CLOSED:
        return {}
    if not _due(held_counts(session, campaign_id), campaign.min_group_size):
        return {}
    if lock_campaign(session, campaign_id) == CLOSED:
        return {}
    due = _due(held_counts(session, campaign_id), campaign.min_group_size)  # again, under the lock
    batch = 1 + (session.execute(select(func.max(Response.release)).where(Response.campaign_id == campaign_id)).scalar() or 0)
    table = Response.__table__
    k = campaign.min_group_size
    for group in due:  # all but k go in: draw the k that stay held
        waiting = table.c.campaign_id == campaign_id, table.c.group_id == group, table.c.release.is_(None)
        held = sorted(session.execute(select(table.c.id).where(*waiting)).scalars())
        # A fresh draw, not the lowest ids: with a fixed order the held ones drifted to the highest
        # ids, so the next batch was mostly the newest responses — one person and a flood of
        # open-link submissions made a batch that gave that person's answers.
        kept = _draw.sample(held, k)
        session.execute(table.update().where(*waiting, table.c.id.not_in(kept)).values(release=batch))
    return due


def settle_held(session: Session, campaign_id: int) -> dict[str, int]:
    """Release what is due and return how many responses of each group are still held back.

    The release is :func:`release_due` in a transaction of its own, committed at once: the campaign's lock (and,
    on SQLite, the database's write lock) is then held for the release only, not for the rest of the
    reader's work — a report takes seconds, and submits would wait for it. A SQLite session that has
    written already holds the database's write lock: a second connection would wait for it, so the
    release is made in that session instead."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.status == CLOSED:
        return {}  # closed: every response is in the figures
    held = held_counts(session, campaign_id)
    if not _due(held, campaign.min_group_size):
        return held  # the common case, on every dashboard run: one count on the index, no second connection
    if holds_write_lock(session):
        release_due(session, campaign_id)
        return held_counts(session, campaign_id)
    # Best effort: a writer holding the lock (an import, a close, another campaign's write on SQLite)
    # must not stall a dashboard for as long as it runs. Skipping only delays the figures.
    with Session(session.get_bind()) as apart:
        try:
            with lock_wait(apart, LOCK_WAIT_MS):
                if release_due(apart, campaign_id):
                    held = held_counts(apart, campaign_id)
                apart.commit()
        except OperationalError:
            apart.rollback()
            logging.getLogger(__name__).info("campaign %s: release skipped, the campaign is locked by a writer", campaign_id)
    return held


def reported_only(campaign: Campaign) -> bool:
    """Whether the campaign's figures leave held responses out (while it is not closed)."""
    return campaign.status != CLOSED
