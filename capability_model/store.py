"""Saving and loading capability models in the database."""

from __future__ import annotations

from functools import lru_cache

from sqlmodel import Session, select

from capability_model.loader import default_model_path, parse_model, parse_stored_model
from capability_model.schema import CapabilityModel
from capability_model.tables import CapabilityModelRecord
from itcap import audit
from itcap.storage import version_conflict
from itcap.validation import DocumentInvalid


def save_model(session: Session, source_yaml: str, actor: str, where: str = "<upload>") -> CapabilityModelRecord:
    """Validate and store a model. Loading the same id and version again with identical text is a
    no-op; with different text it is refused (assessments refer to a model version and must not
    change underneath)."""
    model = parse_model(source_yaml, where)
    existing = session.exec(
        select(CapabilityModelRecord).where(CapabilityModelRecord.key == model.id, CapabilityModelRecord.version == model.version)
    ).first()
    if existing is not None:
        if existing.source_yaml == source_yaml:
            return existing
        raise DocumentInvalid([stored_conflict(session, model, source_yaml, where)])
    record = CapabilityModelRecord(key=model.id, version=model.version, name=model.name, source_yaml=source_yaml, created_by=actor)
    session.add(record)
    session.flush()
    audit.record(session, actor, "model.load", f"capability_model:{record.id}", f"{model.id} v{model.version}: {model.name}")
    return record


def stored_conflict(session: Session, model: CapabilityModel, source_yaml: str, where: str) -> str | None:
    """Why ``model`` could not be stored (its id and version hold other content), or None."""
    return version_conflict(session, CapabilityModelRecord, "model", model, source_yaml, where)


def ensure_default_model(session: Session, actor: str = "system") -> CapabilityModelRecord:
    """Store the shipped model unless its id and version are already there. A stored copy is never
    replaced on start-up: assessments refer to it, and a shipped edit comes with a new version."""
    model = parse_model(default_model_path().read_text(encoding="utf-8"), str(default_model_path()))
    existing = session.exec(
        select(CapabilityModelRecord).where(CapabilityModelRecord.key == model.id, CapabilityModelRecord.version == model.version)
    ).first()
    return existing or save_model(session, default_model_path().read_text(encoding="utf-8"), actor, str(default_model_path()))


def list_models(session: Session) -> list[CapabilityModelRecord]:
    return list(session.exec(select(CapabilityModelRecord).order_by(CapabilityModelRecord.key, CapabilityModelRecord.id)))


def get_record(session: Session, record_id: int) -> CapabilityModelRecord | None:
    return session.get(CapabilityModelRecord, record_id)


@lru_cache(maxsize=64)
def _parse_cached(source_yaml: str) -> CapabilityModel:
    return parse_stored_model(source_yaml)


def load_stored_model(session: Session, record_id: int) -> CapabilityModel:
    record = session.get(CapabilityModelRecord, record_id)
    if record is None:
        raise KeyError(f"no capability model with id {record_id}")
    return _parse_cached(record.source_yaml)
