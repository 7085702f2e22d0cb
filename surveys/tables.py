"""Survey storage.

Anonymity is designed into the tables (DESIGN.md): a :class:`Response` has no foreign key to an
invitation or an account, no IP address and no exact timestamp; its id is random so that insertion
order cannot be matched against invitation status changes. One completed response per invitation is
enforced by :class:`InvitationCompletion`'s primary key, written in the same transaction as the
response — and that table, in turn, holds nothing about the response.

Both tables are ``WITHOUT ROWID`` on SQLite: stored in the order of their primary keys (the random
response id, the invitation id), not in the order rows were written, so the file's own row order
cannot pair a response with the completion written next to it. On PostgreSQL, closing a campaign
rewrites its rows for the same reason (``surveys.campaigns.anonymise_campaign``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from itcap.storage import utcnow

DEFAULT_MIN_GROUP_SIZE = 5
DEFAULT_COMMENT_THRESHOLD = 10


class InstrumentRecord(SQLModel, table=True):
    __tablename__ = "instrument"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_instrument_key_version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    version: str = Field(max_length=40)
    name: str = Field(max_length=300)
    source_yaml: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=80)


class Campaign(SQLModel, table=True):
    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    instrument_id: int = Field(sa_column=Column(Integer, ForeignKey("instrument.id"), nullable=False))
    status: str = Field(default="draft", max_length=20)  # draft | open | closed
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    min_group_size: int = DEFAULT_MIN_GROUP_SIZE  # reporting threshold k
    comment_threshold: int = DEFAULT_COMMENT_THRESHOLD
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=80)


class Invitation(SQLModel, table=True):
    """A one-time link (kind 'personal') or a group's open link (kind 'open'). Only the SHA-256 of the
    token is stored; the token itself exists only in the link handed to the respondent."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(sa_column=Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False, index=True))
    group_id: str = Field(max_length=64)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    kind: str = Field(default="personal", max_length=20)  # personal | open | open_visit
    status: str = Field(default="invited", max_length=20)  # invited | started | completed
    created_on: dt.date = Field(default_factory=lambda: utcnow().date())
    visits_left: int | None = None  # an open link's cap: how many more visitors may start; None = no cap


class SurveyDraft(SQLModel, table=True):
    """Answers in progress, so a respondent can close the tab and resume. Deleted on submit, in the
    same transaction that writes the anonymous Response."""

    __tablename__ = "survey_draft"

    invitation_id: int = Field(sa_column=Column(Integer, ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True))
    answers_json: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    section_index: int = 0
    started_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)


class InvitationCompletion(SQLModel, table=True):
    """One row per used invitation; the primary key makes a second completion impossible."""

    __tablename__ = "invitation_completion"
    __table_args__ = {"sqlite_with_rowid": False}  # stored in invitation-id order, not insertion order

    invitation_id: int = Field(sa_column=Column(Integer, ForeignKey("invitation.id", ondelete="CASCADE"), primary_key=True))


class Response(SQLModel, table=True):
    __tablename__ = "response"
    __table_args__ = (
        # Counts per group (response rates, thresholds) are read from this index alone, not from the
        # rows with their answers: at 50,000 responses that is the difference between ~0.3 s and ~5 ms.
        Index("ix_response_campaign_group", "campaign_id", "group_id"),
        Index("ix_response_campaign_release", "campaign_id", "release", "group_id"),  # held responses per group
        {"sqlite_with_rowid": False},  # stored in random-id order, not insertion order
    )

    id: str = Field(sa_column=Column(String(32), primary_key=True))  # random, not sequential
    campaign_id: int = Field(sa_column=Column(Integer, ForeignKey("campaign.id", ondelete="CASCADE"), nullable=False))
    group_id: str = Field(max_length=64)
    submitted_on: dt.date  # a date, never a time
    duration_seconds: int | None = None  # for the "implausibly fast" data-quality flag
    answers_json: str = Field(sa_column=Column(Text, nullable=False))  # [value, …] in instrument item order (surveys.answers.pack_answers)
    quality_flags: str = Field(default="", max_length=200)  # space-separated flag names
    source: str = Field(default="web", max_length=20)  # web | import
    # the batch of the open campaign's figures this response entered; None: held back (surveys.release)
    release: int | None = None
