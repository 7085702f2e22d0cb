"""Saving and loading survey instruments in the database."""

from __future__ import annotations

from sqlmodel import Session, select

from itcap import audit
from itcap.storage import version_conflict
from itcap.validation import DocumentInvalid
from surveys.instrument import Instrument, default_instrument_path, parse_instrument, parse_instrument_cached
from surveys.tables import InstrumentRecord


def save_instrument(session: Session, source_yaml: str, actor: str, where: str = "<upload>") -> InstrumentRecord:
    """Validate and store an instrument (same id+version with identical text is a no-op; with
    different text it is refused — campaigns refer to an instrument version)."""
    instrument = parse_instrument(source_yaml, where)
    existing = session.exec(
        select(InstrumentRecord).where(InstrumentRecord.key == instrument.id, InstrumentRecord.version == instrument.version)
    ).first()
    if existing is not None:
        if existing.source_yaml == source_yaml:
            return existing
        raise DocumentInvalid([stored_conflict(session, instrument, source_yaml, where)])
    record = InstrumentRecord(key=instrument.id, version=instrument.version, name=instrument.name, source_yaml=source_yaml, created_by=actor)
    session.add(record)
    session.flush()
    audit.record(session, actor, "instrument.load", f"instrument:{record.id}", f"{instrument.id} v{instrument.version}: {instrument.name}")
    return record


def stored_conflict(session: Session, instrument: Instrument, source_yaml: str, where: str) -> str | None:
    """Why ``instrument`` could not be stored (its id and version hold other content), or None."""
    return version_conflict(session, InstrumentRecord, "instrument", instrument, source_yaml, where)


def ensure_default_instrument(session: Session, actor: str = "system") -> InstrumentRecord | None:
    """Store the shipped instrument unless its id and version are already there (see
    ensure_default_model: stored copies are never replaced on start-up)."""
    path = default_instrument_path()
    if not path.exists():
        return None
    text = path.read_text(encoding="utf-8")
    instrument = parse_instrument(text, str(path))
    existing = session.exec(
        select(InstrumentRecord).where(InstrumentRecord.key == instrument.id, InstrumentRecord.version == instrument.version)
    ).first()
    return existing or save_instrument(session, text, actor, str(path))


def list_instruments(session: Session) -> list[InstrumentRecord]:
    return list(session.exec(select(InstrumentRecord).order_by(InstrumentRecord.key, InstrumentRecord.id)))


def load_stored_instrument(session: Session, record_id: int) -> Instrument:
    record = session.get(InstrumentRecord, record_id)
    if record is None:
        raise KeyError(f"no instrument with id {record_id}")
    return parse_instrument_cached(record.source_yaml)
