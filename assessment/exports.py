"""All the data of an assessment as files: the ratings and overrides CSVs that the CLI reads, and one
XLSX workbook for people.

* ``ratings_csv`` is byte for byte what ``itcap assess export ID --out r.csv`` writes
  (``capability_id,assessor,level``, model order then username), and ``overrides_csv`` what
  ``--overrides o.csv`` writes, so a downloaded pair reproduces the app's figures with
  ``itcap assess position r.csv --model M --overrides o.csv``.
* ``workbook_bytes`` writes the sheets of :func:`export_tables`:

  ============ ================================================================================
  ratings      one row per saved rating: capability_id, assessor, level (blank = not rated),
               confidence, updated_at — the first three columns are the CLI's long format
  consensus    one row per capability (model order): each assessor's level, n rated, median,
               spread, flagged (spread ≥ 2), the override in force, the consensus used, and the
               target level of every operating mode
  overrides    every override decision, oldest first, withdrawals included (level blank), with
               in_force, rationale, decided_by, decided_at
  evidence     the ratings that carry evidence text, verbatim
  assessment   what was assessed, against which model, by whom, and when it was exported
  ============ ================================================================================

Assessors are named: assessment data is not anonymous (unlike survey responses), so no reporting
threshold applies. Text goes into cells as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import io

from sqlmodel import Session

from assessment import service
from assessment.ratings_csv import write_overrides_csv, write_ratings_csv
from capability_model.tables import CapabilityModelRecord
from itcap.spreadsheet import write_xlsx_sheets
from itcap.storage import as_utc, today

SHEETS = ("ratings", "consensus", "overrides", "evidence", "assessment")


def ratings_csv(session: Session, assessment_id: int) -> str:
    """The ratings in the CLI's long format (``itcap assess export``)."""
    return write_ratings_csv(service.export_rows(session, assessment_id))


def overrides_csv(session: Session, assessment_id: int) -> str:
    """The overrides in force as ``itcap assess export --overrides`` writes them."""
    return write_overrides_csv(service.export_overrides(session, assessment_id))


def _iso(moment: dt.datetime | None) -> str:
    if moment is None:
        return ""
    return as_utc(moment).isoformat(timespec="seconds")


def _number(value: float | None):
    if value is None:
        return None
    return int(value) if float(value).is_integer() else float(value)


def export_tables(session: Session, assessment_id: int) -> dict[str, list[list]]:
    """Sheet name → rows (the first row is the header), in :data:`SHEETS` order."""
    assessment = service.get_assessment(session, assessment_id)
    model = service.model_for(session, assessment)
    order = {cap: i for i, cap in enumerate(model.capability_ids)}
    names = {c.id: c.name for c in model.capabilities}
    ratings = sorted(((r, user) for r, user in service.all_ratings(session, assessment_id) if r.capability_id in order),
                     key=lambda pair: (order[pair[0].capability_id], pair[1]))

    rating_rows = [["capability_id", "assessor", "level", "confidence", "updated_at"]]
    rating_rows += [[r.capability_id, user, r.level, r.confidence or "", _iso(r.updated_at)] for r, user in ratings]

    people = service.assessors(session, assessment_id)
    modes = model.ordered_modes
    consensus_rows = [["capability_id", "capability", "domain", "category", "weight", *[p.username for p in people],
                       "n_rated", "median", "spread", "flagged", "override", "consensus", *[f"target_{m.id}" for m in modes]]]
    for row in service.consensus(session, assessment_id):
        capability = model.capability(row.capability_id)
        rated = [v for v in row.levels.values() if v is not None]
        consensus_rows.append([
            capability.id, capability.name, model.domain_name(capability.domain), model.category_name(capability.category),
            _number(capability.weight), *[row.levels.get(p.username) for p in people], len(rated), _number(row.median),
            row.spread, "yes" if row.flagged else "no", row.override.level if row.override is not None else None,
            _number(row.effective), *[m.targets.get(capability.id) for m in modes],
        ])

    in_force = {o.id for o in service.overrides_in_force(session, assessment_id).values()}
    override_rows = [["capability_id", "capability", "level", "in_force", "rationale", "decided_by", "decided_at"]]
    for o in service.override_history(session, assessment_id):
        override_rows.append([o.capability_id, names.get(o.capability_id, ""), o.level, "yes" if o.id in in_force else "no",
                              o.rationale, o.decided_by, _iso(o.decided_at)])

    evidence_rows = [["capability_id", "capability", "assessor", "level", "confidence", "evidence"]]
    evidence_rows += [[r.capability_id, names[r.capability_id], user, r.level, r.confidence or "", r.evidence]
                      for r, user in ratings if r.evidence and r.evidence.strip()]

    record = session.get(CapabilityModelRecord, assessment.model_id)
    about = [
        ["field", "value"],
        ["assessment_id", assessment.id],
        ["name", assessment.name],
        ["organisation_unit", assessment.org_unit],
        ["assessed_on", assessment.assessed_on.isoformat()],
        ["status", assessment.status],
        ["model", f"{record.key} v{record.version}: {record.name}" if record else str(assessment.model_id)],
        ["created_by", assessment.created_by],
        ["exported_on", today().isoformat()],
        [],
        ["assessor", "display_name", "lead", "submitted_at"],
        *[[p.username, p.display_name, "yes" if p.is_lead else "no", _iso(p.submitted_at)] for p in people],
    ]
    return {"ratings": rating_rows, "consensus": consensus_rows, "overrides": override_rows,
            "evidence": evidence_rows, "assessment": about}


def write_workbook(tables: dict[str, list[list]], out) -> None:
    """One sheet per table; a rationale or evidence starting with '=' stays text, never a formula."""
    write_xlsx_sheets(tables.items(), out)


def workbook_bytes(session: Session, assessment_id: int) -> bytes:
    """The XLSX workbook (see the module docstring for its sheets)."""
    buffer = io.BytesIO()
    write_workbook(export_tables(session, assessment_id), buffer)
    return buffer.getvalue()
