"""Upgrades: a database made by an earlier release's migrations upgrades to the current one with no
data lost, and the app works on it — on SQLite and PostgreSQL.

Each test builds its fixture database in the test from the first migration (0001: accounts, models,
assessments, ratings, overrides) or from 0002 (surveys), fills it with realistic rows by raw SQL — the
schema as it was at that revision, not today's table classes — snapshots every table, upgrades to
head and compares. No database file is kept in the repository (they are built, not committed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import secrets
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from assessment import service as assessment_service
from itcap import accounts, insights
from itcap.bootstrap import bootstrap
from itcap.migrate import current_revision, upgrade
from itcap.storage import dispose_engines, get_engine, session_scope
from surveys import campaigns, respondent
from surveys.invitations import TokenOutcome, check_token

ROOT = Path(__file__).resolve().parent.parent
MODEL_YAML = (ROOT / "data" / "itil_aligned_model.yaml").read_text(encoding="utf-8")
SURVEY_YAML = (ROOT / "data" / "it_perception_survey.yaml").read_text(encoding="utf-8")
PG_ADMIN_URL = os.environ.get("ITCAP_TEST_DATABASE_URL", "").strip()
PASSWORD = "an old but good password"
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
EVIDENCE = "Interviewed the <b>service desk</b> lead; **wallboard** — ünïcode, 'quotes' and \"double\"\nsecond line"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path, monkeypatch):
    """An empty database (no migrations run) on SQLite and, when configured, PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old-release.db'}"
        monkeypatch.setenv("ITCAP_DATABASE_URL", url)
        yield url
        dispose_engines()
        return
    if not PG_ADMIN_URL:
        pytest.skip("ITCAP_TEST_DATABASE_URL is not set: PostgreSQL upgrade tests skipped")
    name = f"itcap_up_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("ITCAP_DATABASE_URL", url)
    try:
        yield url
    finally:
        dispose_engines()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- filling a database at an old revision, by raw SQL ------------------------------------------------------
def _insert(connection, table: str, rows: list[dict]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    connection.execute(text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"), rows)


def _move_sequences(connection, tables: tuple[str, ...]) -> None:
    """Rows inserted with explicit ids: on PostgreSQL, move the id sequences past them, as the app's
    own inserts would have."""
    if connection.dialect.name == "postgresql":
        for table in tables:
            connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))


def _fill_foundation(url: str) -> dict:
    """Accounts, the shipped model, an assessment with three assessors' ratings (one lead, two
    submitted), an override and audit entries — as release 0001 stored them."""
    import yaml

    model = yaml.safe_load(MODEL_YAML)
    capability_ids = [c["id"] for c in model["capabilities"]]
    rng = random.Random(11)
    with get_engine(url).begin() as connection:
        _insert(connection, "account", [
            {"id": i, "username": u, "display_name": d, "password_hash": accounts.hash_password(PASSWORD), "roles": r,
             "is_active": True, "failed_attempts": f, "locked_until": None, "created_at": NOW}
            for i, u, d, r, f in ((1, "admin", "Administrator", "admin", 0), (2, "lead", "Lea Lead", "assessor,lead_assessor", 0),
                                  (3, "ana", "Ana Ñúñez <b>", "assessor", 2), (4, "ben", "Ben", "assessor", 0),
                                  (5, "lee", "Lee Leader", "leadership", 0))])
        _insert(connection, "capability_model", [{"id": 1, "key": model["id"], "version": str(model["version"]), "name": model["name"],
                                                  "source_yaml": MODEL_YAML, "created_at": NOW, "created_by": "system"}])
        _insert(connection, "assessment", [{"id": 1, "name": "Review 2026-03", "org_unit": "Corporate IT", "model_id": 1,
                                            "assessed_on": dt.date(2026, 3, 1), "status": "open", "created_at": NOW, "created_by": "admin"}])
        _insert(connection, "assessment_assessor", [
            {"assessment_id": 1, "account_id": a, "is_lead": a == 2, "submitted_at": NOW if a in (2, 3) else None} for a in (2, 3, 4)])
        ratings = []
        for account_id in (2, 3, 4):
            for capability_id in capability_ids:
                if account_id == 4 and rng.random() < 0.2:
                    continue  # ben has not rated everything yet
                not_rated = (account_id, capability_id) == (3, capability_ids[1])  # at least one, whatever the draws
                level = None if rng.random() < 0.05 or not_rated else rng.randint(1, 4)
                ratings.append({"assessment_id": 1, "account_id": account_id, "capability_id": capability_id, "level": level,
                                "evidence": EVIDENCE if rng.random() < 0.3 else "", "confidence": rng.choice([None, "low", "medium", "high"]),
                                "updated_at": NOW})
        _insert(connection, "rating", ratings)
        _insert(connection, "consensus_override", [{"assessment_id": 1, "capability_id": capability_ids[0], "level": 3,
                                                    "rationale": "Evidence from the audit report, p. 12", "decided_by": "lead",
                                                    "decided_at": NOW}])
        _insert(connection, "audit_entry", [{"at": NOW, "actor": "admin", "action": "assessment.create", "target": "assessment:1",
                                             "detail": "Review 2026-03 of Corporate IT"}])
        _move_sequences(connection, ("account", "capability_model", "assessment"))
    return {"assessment_id": 1, "capabilities": capability_ids, "ratings": len(ratings)}


def _fill_surveys(url: str) -> dict:
    """The shipped instrument, a closed campaign with responses (web and imported, flags, comments)
    and an open one with invitations in every state: a draft in progress, completions, responses."""
    import yaml

    instrument = yaml.safe_load(SURVEY_YAML)
    rng = random.Random(5)
    tokens: dict[str, str] = {}
    with get_engine(url).begin() as connection:
        _insert(connection, "instrument", [{"id": 1, "key": instrument["id"], "version": str(instrument["version"]),
                                            "name": instrument["name"], "source_yaml": SURVEY_YAML, "created_at": NOW, "created_by": "system"}])
        _insert(connection, "campaign", [
            {"id": c, "name": n, "instrument_id": 1, "status": s, "opens_on": None, "closes_on": None, "min_group_size": 5,
             "comment_threshold": 10, "created_at": NOW, "created_by": "admin"}
            for c, n, s in ((1, "Perception 2025", "closed"), (2, "Perception 2026", "open"))])
        items = {g["id"]: [] for g in instrument["groups"]}
        for section in instrument["sections"]:
            for item in section["items"]:
                for g in item.get("groups") or list(items):
                    items[g].append(item)
        invitations, completions, responses, drafts = [], [], [], []
        invitation_id = 0
        for campaign_id, per_group in ((1, 30), (2, 12)):
            for group, asked in items.items():
                for n in range(per_group):
                    invitation_id += 1
                    token = secrets.token_urlsafe(32)
                    status = "completed" if n < per_group - 3 else ("started" if n == per_group - 3 else "invited")
                    tokens[f"{campaign_id}-{group}-{status}-{n}"] = token
                    invitations.append({"id": invitation_id, "campaign_id": campaign_id, "group_id": group,
                                        "token_hash": hashlib.sha256(token.encode("ascii")).hexdigest(), "kind": "personal",
                                        "status": status, "created_on": dt.date(2026, 2, 1)})
                    answers = {}
                    for item in asked:
                        if item["type"] == "likert":
                            answers[item["id"]] = rng.randint(1, 5)
                        elif item["type"] == "numeric":
                            answers[item["id"]] = rng.randint(0, 30)
                        elif item["type"] == "choice":
                            answers[item["id"]] = item["options"][0]["code"]
                        elif item["type"] == "text" and rng.random() < 0.5:
                            answers[item["id"]] = "Ünïcode & <i>markup</i> =1+1"
                    if status == "completed":
                        completions.append({"invitation_id": invitation_id})
                        responses.append({"id": uuid.uuid4().hex, "campaign_id": campaign_id, "group_id": group,
                                          "submitted_on": dt.date(2026, 2, 10), "duration_seconds": rng.randint(60, 900),
                                          "answers_json": json.dumps(answers, ensure_ascii=False),
                                          "quality_flags": "straightline" if n == 0 else "", "source": "web"})
                    elif status == "started":
                        drafts.append({"invitation_id": invitation_id, "answers_json": json.dumps(dict(list(answers.items())[:3])),
                                       "section_index": 1, "started_at": NOW, "updated_at": NOW})
            responses.append({"id": uuid.uuid4().hex, "campaign_id": campaign_id, "group_id": "business", "submitted_on": dt.date(2026, 2, 11),
                              "duration_seconds": None, "answers_json": json.dumps({items["business"][0]["id"]: 3}),
                              "quality_flags": "", "source": "import"})
        _insert(connection, "invitation", invitations)
        _insert(connection, "invitation_completion", completions)
        _insert(connection, "response", responses)
        _insert(connection, "survey_draft", drafts)
        _move_sequences(connection, ("instrument", "campaign", "invitation"))
    return {"tokens": tokens, "responses": len(responses)}


def _snapshot(url: str) -> dict[str, list[tuple]]:
    """Every row of every table (but Alembic's own), in primary-key order, as plain values."""
    engine = get_engine(url)
    schema = inspect(engine)
    out = {}
    with engine.connect() as connection:
        for table in sorted(schema.get_table_names()):
            if table == "alembic_version":
                continue
            key = schema.get_pk_constraint(table)["constrained_columns"]
            columns = [c["name"] for c in schema.get_columns(table)]
            rows = connection.execute(text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(key)}")).all()
            out[table] = [tuple(zip(columns, _plain(row))) for row in rows]
    return out


def _answers_unpacked(snapshot: dict[str, list[tuple]], url: str) -> dict[str, list[tuple]]:
    """The snapshot with each response's answers as {item_id: value}, whichever way they are stored
    (an object before migration 0005, an array in instrument order from it on)."""
    from surveys.answers import unpack_answers
    from surveys.campaigns import campaign_instrument

    with session_scope(url) as session:
        def row(values: tuple) -> tuple:
            fields = dict(values)
            fields["answers_json"] = unpack_answers(campaign_instrument(session, fields["campaign_id"]), fields["answers_json"])
            return tuple(fields.items())

        return {**snapshot, "response": [row(values) for values in snapshot.get("response", [])]}


def _plain(row) -> tuple:
    values = []
    for value in row:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)  # PostgreSQL gives aware, SQLite naive UTC
        values.append(value)
    return tuple(values)


def _position(url: str, assessment_id: int):
    with session_scope(url) as session:
        result = assessment_service.assessment_position(session, assessment_id)
        return result.position, result.confidence, dict(result.consensus), [(m.id, m.attainment, m.rating) for m in result.modes]


# Columns added to existing tables by migrations after 0002, checked apart (see each test).
ADDED_COLUMNS = {("invitation", "visits_left"),  # 0006: an open link's cap; NULL for the links already there
                 ("rating", "not_rated"),  # 0007: "not rated" chosen; true for the ratings stored with no level
                 ("rating", "level_changed_at"),  # 0007: when the level last changed; updated_at for those stored
                 ("response", "release"),  # 0009: the batch of an open campaign's figures; NULL (held) for those stored
                 ("consensus_override", "levels_at_decision")}  # 0010: the levels a decision was made on; NULL for those stored


def _without_added(snapshot: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """The snapshot without the columns later migrations added."""
    return {table: [tuple((c, v) for c, v in row if (table, c) not in ADDED_COLUMNS) for row in rows]
            for table, rows in snapshot.items()}


# -- the tests ----------------------------------------------------------------------------------------------------
def test_from_the_first_migration_to_head(empty_url):
    url = empty_url
    upgrade(url, "0001")
    assert current_revision(url) == "0001"
    filled = _fill_foundation(url)
    before = _snapshot(url)
    assert len(before["rating"]) == filled["ratings"] > 40
    position = _position(url, filled["assessment_id"])  # the code of today reads the old schema

    upgrade(url)
    assert current_revision(url) not in ("0001", None)
    after = _snapshot(url)
    for table, rows in before.items():
        assert _without_added(after)[table] == rows, f"{table} changed in the upgrade"
    # a rating stored with no level was "not rated" (the only meaning it had); every other is not
    assert any(dict(row)["level"] is None for row in after["rating"])
    assert all(bool(dict(row)["not_rated"]) == (dict(row)["level"] is None) for row in after["rating"])
    assert all(dict(row)["level_changed_at"] == dict(row)["updated_at"] for row in after["rating"])
    assert {"campaign", "response", "invitation_completion", "removed_level"} <= set(after)  # and the new tables exist, empty
    assert after["removed_level"] == []
    assert after["response"] == [] and after["campaign"] == []

    # the app works on the upgraded database
    assert _position(url, filled["assessment_id"]) == position
    result = bootstrap(url)
    assert not result.admin_created  # the old administrator is still the administrator
    with session_scope(url) as session:
        assert accounts.authenticate(session, "lead", PASSWORD).account is not None
        assert accounts.create_account(session, "newcomer", PASSWORD, ["assessor"]).id == 6
        assert len(assessment_service.consensus(session, filled["assessment_id"])) == len(filled["capabilities"])
        assert session.execute(text("SELECT count(*) FROM capability_model")).scalar_one() == 1  # not stored twice
        record = session.execute(text("SELECT id FROM instrument")).scalar_one()
        campaign = campaigns.create_campaign(session, instrument_id=record, name="First survey after the upgrade", actor="admin")
        assert campaign.id is not None
    upgrade(url)  # and again: nothing to do
    assert _without_added(_snapshot(url))["rating"] == before["rating"]




def test_from_the_survey_release_to_head(empty_url):
    url = empty_url
    upgrade(url, "0002")
    _fill_foundation(url)
    filled = _fill_surveys(url)
    before = _snapshot(url)
    with session_scope(url) as session:
        comparison = insights.campaign_insight(session, 1).comparison
    assert comparison is not None and comparison["groups"]

    upgrade(url)
    after = _snapshot(url)
    stored = [json.loads(dict(row)["answers_json"]) for row in after["response"]]
    assert stored and all(isinstance(answers, list) for answers in stored)  # packed by migration 0005
    before_answers, after_answers = _answers_unpacked(before, url), _answers_unpacked(after, url)
    for table, rows in before_answers.items():
        assert _without_added(after_answers)[table] == rows, f"{table} changed in the upgrade"
    assert after["invitation"] and all(dict(row)["visits_left"] is None for row in after["invitation"])
    # a closed campaign's responses are one batch (its figures used them all); an open one's wait for the rule
    releases = {(dict(row)["campaign_id"], dict(row)["release"]) for row in after["response"]}
    assert releases == {(1, 1), (2, None)}
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            for table in ("response", "invitation_completion"):
                sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar_one()
                assert "WITHOUT ROWID" in sql.upper()
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"

    # the same analysis, the same links, the same drafts; and it takes new responses
    with session_scope(url) as session:
        assert insights.campaign_insight(session, 1).comparison == comparison
        used = next(t for k, t in filled["tokens"].items() if k.startswith("2-business-completed"))
        assert check_token(session, used).outcome == TokenOutcome.USED
    started = next(t for k, t in filled["tokens"].items() if k.startswith("2-business-started"))
    with session_scope(url) as session:
        state = respondent.load_survey(session, started)
        assert state.started and len(state.answers) == 3 and state.section_index == 1
    with session_scope(url) as session:
        missing = state.missing_required()
        for index, section in enumerate(state.sections):
            answers = {i.id: (i.options[0].code if i.type == "choice" else 3 if i.type in ("likert", "numeric") else "ok")
                       for i in section.items if i.id in missing}
            if answers:
                respondent.save_section(session, started, index, answers, move="stay")
    with session_scope(url) as session:
        assert respondent.submit(session, started).submitted
    with session_scope(url) as session:
        assert session.execute(text("SELECT count(*) FROM response")).scalar_one() == filled["responses"] + 1
        campaigns.close_campaign(session, 2, "admin")  # the close-time rewrite works on upgraded tables
    with session_scope(url) as session:
        assert session.execute(text("SELECT count(*) FROM response WHERE campaign_id = 2")).scalar_one() == \
            sum(1 for row in before["response"] if dict(row)["campaign_id"] == 2) + 1
        assert session.execute(text("SELECT count(*) FROM invitation_completion")).scalar_one() == len(before["invitation_completion"]) + 1


def test_downgrade_of_the_storage_order_keeps_the_data(empty_url):
    url = empty_url
    upgrade(url, "0002")
    _fill_foundation(url)
    _fill_surveys(url)
    before = _snapshot(url)
    upgrade(url)
    from itcap.migrate import downgrade

    downgrade(url, "0002")
    assert current_revision(url) == "0002"
    assert _snapshot(url) == before  # the answers too: objects again, keys in instrument order
    upgrade(url)
    again = _without_added(_answers_unpacked(_snapshot(url), url))
    assert again.pop("removed_level") == []  # 0008's table, new and empty
    assert again.pop("login_session") == []  # 0011's
    assert again == _answers_unpacked(before, url)
