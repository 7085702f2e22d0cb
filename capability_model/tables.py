"""Stored capability models. The YAML source is kept verbatim; it is the model's single truth."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from itcap.storage import utcnow


class CapabilityModelRecord(SQLModel, table=True):
    __tablename__ = "capability_model"
    __table_args__ = (UniqueConstraint("key", "version", name="uq_capability_model_key_version"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)  # the model's own id
    version: str = Field(max_length=40)
    name: str = Field(max_length=200)
    source_yaml: str = Field(sa_column=Column(Text, nullable=False))
    created_at: dt.datetime = Field(default_factory=utcnow)
    created_by: str = Field(default="", max_length=80)
