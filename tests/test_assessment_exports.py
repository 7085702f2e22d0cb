"""assessment/exports.py: the CSVs are the CLI's, the XLSX read back with openpyxl holds all the data."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import numpy as np
import pytest

from assessment import exports, service
from assessment.ratings_csv import parse_overrides_csv, parse_ratings_csv
from capability_model.positioning import position
from itcap import accounts
from itcap.cli import main
from itcap.storage import session_scope
from tests.builders import people, supplier_assessment

FORMULA = "=HYPERLINK(\"http://evil.example\",\"click\")"


@pytest.fixture
def assessment(db_url):
    ids = people(db_url)
    assessment_id = supplier_assessment(db_url, ids)
    with session_scope(db_url) as session:
        lead = accounts.get_account(session, ids["lead"])
        ana = accounts.get_account(session, ids["ana"])
        model = service.model_for(session, assessment_id)
        first, second = model.capability_ids[:2]
        # Evidence that must survive verbatim: a formula, markup, a control character XLSX cannot hold.
        service.save_rating(session, assessment_id, ana, first, 2, evidence=FORMULA + "\x07 <b>x</b>", confidence="low")
        service.save_rating(session, assessment_id, ana, second, None, evidence="", confidence=None)  # not rated
        service.override_consensus(session, assessment_id, first, 3, "Seen in the board minutes.", actor=lead)
        service.override_consensus(session, assessment_id, second, 4, FORMULA, actor=lead)
        service.override_consensus(session, assessment_id, second, None, "Withdrawn: the minutes were a draft.", actor=lead)
        service.submit(session, assessment_id, lead)
    return {"url": db_url, "ids": ids, "id": assessment_id, "first": first, "second": second}


def _read(data: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {name: [tuple(row) for row in book[name].iter_rows(values_only=True)] for name in book.sheetnames}


def test_ratings_and_overrides_csv_are_exactly_what_the_cli_writes(assessment, tmp_path, capsys):
    with session_scope(assessment["url"]) as session:
        ratings, overrides = exports.ratings_csv(session, assessment["id"]), exports.overrides_csv(session, assessment["id"])
    r, o = tmp_path / "r.csv", tmp_path / "o.csv"
    assert main(["assess", "export", str(assessment["id"]), "--out", str(r), "--overrides", str(o)]) == 0
    capsys.readouterr()
    assert ratings == r.read_text(encoding="utf-8")
    assert overrides == o.read_text(encoding="utf-8")
    assert ratings.splitlines()[0] == "capability_id,assessor,level"
    assert f"{assessment['second']},ana," in ratings  # not rated stays blank
    assert len(overrides.splitlines()) == 2  # the withdrawn override is not in force


def test_the_downloaded_csvs_reproduce_the_app_position(assessment):
    with session_scope(assessment["url"]) as session:
        model = service.model_for(session, assessment["id"])
        expected = service.assessment_position(session, assessment["id"], seed=3, resamples=200).to_json()
        table = parse_ratings_csv(exports.ratings_csv(session, assessment["id"]), "r.csv", model=model)
        overrides = parse_overrides_csv(exports.overrides_csv(session, assessment["id"]), "o.csv", model=model)
    assert overrides == {assessment["first"]: 3}
    assert position(model, table.levels, overrides, seed=3, resamples=200).to_json() == expected


def test_workbook_has_every_sheet_with_the_stored_data(assessment):
    with session_scope(assessment["url"]) as session:
        data = exports.workbook_bytes(session, assessment["id"])
        rows = service.export_rows(session, assessment["id"])
        consensus = service.consensus(session, assessment["id"])
        model = service.model_for(session, assessment["id"])
        history = service.override_history(session, assessment["id"])
    sheets = _read(data)
    assert list(sheets) == list(exports.SHEETS)

    ratings = sheets["ratings"]
    assert ratings[0] == ("capability_id", "assessor", "level", "confidence", "updated_at")
    assert [r[:3] for r in ratings[1:]] == rows  # the CLI's long format, same order
    first_by_ana = next(r for r in ratings[1:] if r[0] == assessment["first"] and r[1] == "ana")
    assert first_by_ana[2:4] == (2, "low") and first_by_ana[4].endswith("+00:00")

    header, *body = sheets["consensus"]
    assert header[:5] == ("capability_id", "capability", "domain", "category", "weight")
    assert header[5:9] == ("ana", "ben", "lead", "n_rated")
    assert header[-3:] == tuple(f"target_{m.id}" for m in model.ordered_modes)
    assert [r[0] for r in body] == model.capability_ids
    column = {name: i for i, name in enumerate(header)}
    for row, expected in zip(body, consensus):
        assert row[column["median"]] == expected.median
        assert row[column["spread"]] == expected.spread
        assert row[column["flagged"]] == ("yes" if expected.flagged else "no")
        assert row[column["consensus"]] == expected.effective
        assert [row[column[u]] for u in ("ana", "ben", "lead")] == [expected.levels[u] for u in ("ana", "ben", "lead")]
    first = body[0]
    assert first[column["override"]] == 3 and first[column["consensus"]] == 3
    second = body[1]
    assert second[column["ana"]] is None and second[column["n_rated"]] == 2 and second[column["override"]] is None
    capability = model.capability(assessment["first"])
    assert first[1:3] == (capability.name, model.domain_name(capability.domain))
    assert first[column["target_supplier"]] == model.mode("supplier").targets[capability.id]

    overrides = sheets["overrides"]
    assert overrides[0] == ("capability_id", "capability", "level", "in_force", "rationale", "decided_by", "decided_at")
    assert [(r[0], r[2], r[3], r[5]) for r in overrides[1:]] == [
        (assessment["first"], 3, "yes", "lead"), (assessment["second"], 4, "no", "lead"), (assessment["second"], None, "no", "lead")]
    assert overrides[2][4] == FORMULA  # a rationale starting with '=' stays text
    assert len(overrides) - 1 == len(history)

    evidence = sheets["evidence"]
    assert evidence[0] == ("capability_id", "capability", "assessor", "level", "confidence", "evidence")
    ana_first = next(r for r in evidence[1:] if r[0] == assessment["first"] and r[2] == "ana")
    assert ana_first[5] == FORMULA + " <b>x</b>"  # verbatim, minus the one character XLSX cannot hold
    assert all(r[5] for r in evidence[1:])
    assert not any(r[0] == assessment["second"] and r[2] == "ana" for r in evidence[1:])  # no evidence, no row

    about = {r[0]: r[1] for r in sheets["assessment"][1:9]}
    assert about["name"] == "Review 2026-10" and about["organisation_unit"] == "Corporate IT"
    assert about["status"] == "open" and about["model"].startswith("itil-aligned v")
    people_rows = sheets["assessment"][sheets["assessment"].index(("assessor", "display_name", "lead", "submitted_at")) + 1:]
    assert [(r[0], r[2]) for r in people_rows] == [("ana", "no"), ("ben", "no"), ("lead", "yes")]
    assert people_rows[2][3] and not people_rows[0][3]  # only the lead has submitted


def test_formulas_are_never_formulas_in_the_workbook(assessment):
    with session_scope(assessment["url"]) as session:
        data = exports.workbook_bytes(session, assessment["id"])
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} became a formula"


def test_an_assessment_without_ratings_exports_headers_only(db_url):
    ids = people(db_url)
    with session_scope(db_url) as session:
        from capability_model.store import ensure_default_model

        admin = accounts.get_account(session, ids["admin"])
        empty = service.create_assessment(session, name="Empty", org_unit="IT", model_id=ensure_default_model(session).id,
                                          assessed_on=dt.date(2026, 1, 5), assessor_ids=[ids["ana"]],
                                          lead_id=ids["lead"], actor=admin)
        assert exports.ratings_csv(session, empty.id) == "capability_id,assessor,level\n"
        assert exports.overrides_csv(session, empty.id) == "capability_id,level,rationale,decided_by,decided_at\n"
        sheets = _read(exports.workbook_bytes(session, empty.id))
    assert len(sheets["ratings"]) == 1 and len(sheets["overrides"]) == 1 and len(sheets["evidence"]) == 1
    assert all(r[-4] is None for r in sheets["consensus"][1:])  # no consensus without ratings (column "consensus")


def test_unknown_assessment_is_a_clear_error(db_url):
    people(db_url)
    with session_scope(db_url) as session, pytest.raises(service.AssessmentError, match="no assessment with id 99"):
        exports.workbook_bytes(session, 99)


def test_a_level_written_as_r_or_pandas_write_a_missing_value_is_not_rated():
    """R's write.csv writes NA for a missing level; `itcap analyze` reads NA as missing, and so do the ratings."""
    blank = parse_ratings_csv("capability_id,assessor,level\nEA,A,3\nEA,B,\nSM,A,2\nSM,B,4\n", "r.csv")
    for token in ("NA", "N/A", "NaN", " NA "):
        table = parse_ratings_csv(f"capability_id,assessor,level\nEA,A,3\nEA,B,{token}\nSM,A,2\nSM,B,4\n", "r.csv")
        np.testing.assert_array_equal(table.levels, blank.levels)
        assert table.n_ratings == 3
