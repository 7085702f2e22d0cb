"""Audit log of administrative actions: who did what, when."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text
from sqlmodel import Field, Session, SQLModel, select

from itcap.storage import utcnow


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=80)
    target: str = Field(default="", max_length=200)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


def record(session: Session, actor: str, action: str, target: str = "", detail: str = "") -> None:
    """Add an entry in the caller's transaction, so the log and the change commit together."""
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))


def recent(session: Session, limit: int = 200) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
