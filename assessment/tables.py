"""Assessment storage: who assesses what, their ratings, and the lead assessor's overrides."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Column, ForeignKey, Integer, Text, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from itcap.storage import utcnow

CONFIDENCES = ("low", "medium", "high")


class Assessment(SQLModel, table=True):
    __tablename__ = "assessment"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    org_unit: str = Field(max_length=200)  # the organisation unit assessed, e.g. "Corporate IT"
    model_id: int = Field(sa_column=Column(Integer, ForeignKey("capability_model.id"), nullable=False))
    assessed_on: dt.date
    status: str = Field(default="open", max_length=20)  # open | closed
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=80)


class AssessmentAssessor(SQLModel, table=True):
    __tablename__ = "assessment_assessor"

    assessment_id: int = Field(sa_column=Column(Integer, ForeignKey("assessment.id", ondelete="CASCADE"), primary_key=True))
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id"), primary_key=True))
    is_lead: bool = False
    submitted_at: dt.datetime | None = None  # set when the assessor submits; their ratings are then locked


class Rating(SQLModel, table=True):
    __tablename__ = "rating"
    __table_args__ = (UniqueConstraint("assessment_id", "account_id", "capability_id", name="uq_rating_assessor_capability"),)

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(sa_column=Column(Integer, ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False, index=True))
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id"), nullable=False))
    capability_id: str = Field(max_length=64)
    level: int | None = None  # None = no level: "not rated" if not_rated, else not chosen yet
    evidence: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    confidence: str | None = Field(default=None, max_length=10)  # low | medium | high
    updated_at: dt.datetime = Field(default_factory=utcnow)
    # "not rated" chosen (no evidence to judge by), as against evidence written before any level
    not_rated: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, default=False, server_default=false()))
    level_changed_at: dt.datetime | None = None  # the level (or "not rated") last changed; not evidence or confidence

    @property
    def decided(self) -> bool:
        """A level chosen, or "not rated" chosen — not evidence or a confidence alone (still to do)."""
        return self.level is not None or self.not_rated


class ConsensusOverride(SQLModel, table=True):
    """The lead assessor's decision on a capability's consensus level. Rows are never edited: the
    newest row per capability is in force, earlier ones are the history (who, when, why)."""

    __tablename__ = "consensus_override"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(sa_column=Column(Integer, ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False, index=True))
    capability_id: str = Field(max_length=64)
    level: int | None = None  # None = withdrawn, back to the median
    rationale: str = Field(sa_column=Column(Text, nullable=False))
    decided_by: str = Field(max_length=80)
    decided_at: dt.datetime = Field(default_factory=utcnow)
    # The assessors' levels the decision was made on, as JSON {account id: level}: the decision is
    # overtaken when they differ, not whenever a level was touched (an assessor arrowing 3 → 4 → 3
    # through the levels leaves it standing). NULL for decisions recorded before migration 0010.
    levels_at_decision: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class RemovedLevel(SQLModel, table=True):
    """A level an assessor had given, kept when they were removed from the assessment (their ratings
    go with them): the lead is told of decisions that the removal may have overtaken, and the record
    of what was assessed stays."""

    __tablename__ = "removed_level"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(sa_column=Column(Integer, ForeignKey("assessment.id", ondelete="CASCADE"), nullable=False, index=True))
    capability_id: str = Field(max_length=64)
    assessor: str = Field(max_length=80)  # the username, as in consensus_override.decided_by
    level: int
    removed_at: dt.datetime = Field(default_factory=utcnow)
    removed_by: str = Field(max_length=80)
