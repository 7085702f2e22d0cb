"""Faults: a server killed mid-survey, the database lost during a submit, an interrupted upgrade.

Every fault here is real, not mocked, except in the one AppTest that checks the page's wording:

* **Server crash**: the Streamlit process gets SIGKILL while a respondent is half-way through, and a
  new one is started on the same port; the respondent opens their link again.
* **Database lost**: the app reaches PostgreSQL through a TCP proxy run by the test
  (``tests.support.TcpProxy``). Stopping it drops every pooled connection and refuses new ones, as
  when the database host goes away. At the service level the proxy also cuts one connection exactly
  at its ``COMMIT`` — before the server gets it, or after the server has committed but before the
  answer comes back (the case where the client cannot know what happened).
* **Interrupted upgrade**: ``itcap init`` runs in a subprocess that SIGKILLs itself at a chosen
  step of the upgrade (a hook installed by the test through SQLAlchemy's engine events, nothing in
  the app): half-way through each migration's statements, and just before the last one's COMMIT.
  Rerunning ``itcap init`` must finish the job with the data intact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from itcap.bootstrap import bootstrap
from itcap.storage import dispose_engines, session_scope
from surveys import respondent
from surveys.invitations import TokenOutcome
from surveys.tables import Invitation, InvitationCompletion, Response, SurveyDraft
from tests.support import (
    ROOT,
    SHORT_SURVEY_THANKS,
    SHORT_SURVEY_YAML,
    StreamlitServer,
    TcpProxy,
    answer_short_survey,
    app_test,
    checked,
    choose,
    click_then,
    scratch_pg_database,
    stored_answers,
    survey_link,
    wait_for_app,
    wait_text,
)
from tests.survey_testdata import invite, make_campaign

PG_ADMIN_URL = os.environ.get("ITCAP_TEST_DATABASE_URL", "").strip()
needs_pg = pytest.mark.skipif(not PG_ADMIN_URL, reason="ITCAP_TEST_DATABASE_URL is not set")
SUBMIT_TROUBLE = "so your answers may not have been sent. Nothing is lost"  # what the page says (pages/survey.py)


def _counts(url: str, campaign_id: int) -> dict[str, int]:
    def count(table, *where) -> int:
        return s.scalar(select(func.count()).select_from(table).where(*where))

    with session_scope(url) as s:
        invitation_ids = select(Invitation.id).where(Invitation.campaign_id == campaign_id)
        return {
            "responses": count(Response, Response.campaign_id == campaign_id),
            "completions": count(InvitationCompletion, InvitationCompletion.invitation_id.in_(invitation_ids)),
            "completed": count(Invitation, Invitation.campaign_id == campaign_id, Invitation.status == "completed"),
            "drafts": count(SurveyDraft, SurveyDraft.invitation_id.in_(invitation_ids)),
        }


def _answers(url: str, campaign_id: int) -> list[dict]:
    return [answers for (answers,) in stored_answers(url, campaign_id)]


def _through(proxy: TcpProxy, url: str) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)


def _proxy_for(url: str) -> TcpProxy:
    target = make_url(url)
    return TcpProxy(target.host or "127.0.0.1", target.port or 5432)


# -- the server is killed mid-survey --------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.slow
def test_a_server_killed_mid_survey_comes_back_with_the_saved_answers(tmp_path, page):
    url = f"sqlite:///{tmp_path / 'itcap.db'}"
    bootstrap(url)
    campaign_id = make_campaign(url, yaml=SHORT_SURVEY_YAML)
    (token,) = invite(url, campaign_id)
    dispose_engines()

    server = StreamlitServer(url).start()
    try:
        page.goto(survey_link(server.url, token))
        wait_for_app(page, 60_000)
        click_then(page, "Start the survey", "Section 1 of 2")
        choose(page, "1. The network is reliable.", "Agree")
        choose(page, "2. I can log on quickly.", "Disagree")
        click_then(page, "Next", "Section 2 of 2")  # section 1 is saved
        choose(page, "3. IT understands what my area needs.", "Strongly agree")  # on screen only

        server.kill()  # SIGKILL: no shutdown, no cleanup
        assert server.process.returncode == -9
        with session_scope(url) as s:
            state = respondent.load_survey(s, token)
        assert state.answers == {"rel1": 4, "rel2": 2} and state.section_index == 1

        server = StreamlitServer(url, port=server.port).start()  # the same address, a new process
        page.goto(survey_link(server.url, token))  # the respondent opens their link again
        wait_text(page, "Section 2 of 2")
        assert page.get_by_text("Welcome back").first.is_visible()
        # What was only on the screen went with the process; everything saved is back.
        assert not checked(page, "3. IT understands what my area needs.", "Strongly agree")
        click_then(page, "Back", "Section 1 of 2")
        assert checked(page, "1. The network is reliable.", "Agree")
        assert checked(page, "2. I can log on quickly.", "Disagree")
        click_then(page, "Next", "Section 2 of 2")
        choose(page, "3. IT understands what my area needs.", "Strongly agree")
        click_then(page, "Review my answers", "Check your answers")
        click_then(page, "Submit my answers", SHORT_SURVEY_THANKS)
    finally:
        server.stop()
    assert _answers(url, campaign_id) == [{"rel1": 4, "rel2": 2, "par1": 5}]
    assert _counts(url, campaign_id) == {"responses": 1, "completions": 1, "completed": 1, "drafts": 0}


# -- the database is lost during a submit -----------------------------------------------------------
@pytest.mark.browser
@pytest.mark.postgres
@pytest.mark.slow
@needs_pg
def test_the_database_lost_during_submit_keeps_the_answers_and_a_retry_submits_once(pg_url, page):
    bootstrap(pg_url)
    campaign_id = make_campaign(pg_url, yaml=SHORT_SURVEY_YAML)
    (token,) = invite(pg_url, campaign_id)
    proxy = _proxy_for(pg_url).start()
    server = StreamlitServer(_through(proxy, pg_url)).start()
    try:
        answer_short_survey(page, server.url, token, (4, 2, 5), comment="Printers jam.")
        proxy.stop()  # the database host goes away while the respondent reads their answers
        page.get_by_role("button", name="Submit my answers").click()
        page.get_by_text(SUBMIT_TROUBLE).wait_for(timeout=60_000)
        wait_for_app(page, 60_000)
        # Still the review screen, with the answers, and Submit can be pressed again.
        assert page.get_by_role("heading", name="Check your answers").is_visible()
        assert page.get_by_text("Printers jam.", exact=True).is_visible()
        assert page.get_by_text("5 — Strongly agree", exact=True).is_visible()
        assert page.get_by_role("button", name="Submit my answers").is_enabled()
        main = page.get_by_test_id("stMain").inner_text()
        assert "OperationalError" not in main and "Traceback" not in main and str(proxy.port) not in main
        assert _counts(pg_url, campaign_id)["responses"] == 0  # nothing got through
        (ROOT / "test-artifacts").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "test-artifacts" / "survey-submit-database-lost.png"), full_page=True)

        proxy.start()  # the database is back
        click_then(page, "Submit my answers", SHORT_SURVEY_THANKS)
    finally:
        server.stop()
        proxy.stop()
    assert _answers(pg_url, campaign_id) == [{"rel1": 4, "rel2": 2, "par1": 5, "comments": "Printers jam."}]
    assert _counts(pg_url, campaign_id) == {"responses": 1, "completions": 1, "completed": 1, "drafts": 0}
    assert token not in server.log_path.read_text(errors="replace")


@pytest.mark.postgres
@needs_pg
@pytest.mark.parametrize("commit_arrives", [False, True], ids=["commit-lost", "commit-done-answer-lost"])
def test_a_connection_cut_at_commit_never_loses_or_doubles_a_response(pg_url, commit_arrives):
    campaign_id = make_campaign(pg_url, yaml=SHORT_SURVEY_YAML)
    (token,) = invite(pg_url, campaign_id)
    with _proxy_for(pg_url) as proxy:
        proxied = _through(proxy, pg_url)
        with session_scope(proxied) as s:
            respondent.begin(s, token)
        for index, answers in enumerate([{"rel1": 3}, {"par1": 4}]):
            with session_scope(proxied) as s:
                assert respondent.save_section(s, token, index, answers).ok

        proxy.cut_at(b"COMMIT", forward=commit_arrives)
        with pytest.raises(DBAPIError), session_scope(proxied) as s:
            respondent.submit(s, token)
        assert proxy.cuts == 1
        expected = 1 if commit_arrives else 0
        assert _counts(pg_url, campaign_id) == {"responses": expected, "completions": expected, "completed": expected,
                                                "drafts": 1 - expected}

        # The respondent presses Submit again (the page keeps the review screen and says so).
        with session_scope(proxied) as s:
            if commit_arrives:  # it had gone through: the retry is told the link is used, nothing more
                with pytest.raises(respondent.SurveyUnavailable) as refused:
                    respondent.submit(s, token)
                assert refused.value.outcome == TokenOutcome.USED
            else:
                assert respondent.submit(s, token).submitted
    assert _counts(pg_url, campaign_id) == {"responses": 1, "completions": 1, "completed": 1, "drafts": 0}
    assert _answers(pg_url, campaign_id) == [{"rel1": 3, "par1": 4}]


def test_the_page_keeps_the_review_screen_when_the_database_fails(db_url, monkeypatch):
    """The same journey in AppTest, with the failure injected, for the page's own behaviour."""
    from sqlalchemy.exc import OperationalError

    campaign_id = make_campaign(db_url, yaml=SHORT_SURVEY_YAML)
    (token,) = invite(db_url, campaign_id)
    with session_scope(db_url) as s:
        respondent.begin(s, token)
    for index, answers in enumerate([{"rel1": 4}, {"par1": 2, "comments": "Fine."}]):
        with session_scope(db_url) as s:
            respondent.save_section(s, token, index, answers)
    with session_scope(db_url) as s:
        respondent.go_to_section(s, token, 2)
    at = app_test(query={"token": token}).run()
    assert [h.value for h in at.header] == ["Check your answers"]

    def unreachable(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection to server at 10.1.2.3 refused"))

    real_submit, real_load = respondent.submit, respondent.load_survey
    monkeypatch.setattr(respondent, "submit", unreachable)
    monkeypatch.setattr(respondent, "load_survey", unreachable)
    at.button(key="survey_submit").click().run()
    shown = " ".join(e.value for e in at.error)
    assert SUBMIT_TROUBLE in shown and "10.1.2.3" not in shown
    assert [h.value for h in at.header] == ["Check your answers"]
    assert not at.button(key="survey_submit").disabled
    assert _counts(db_url, campaign_id)["responses"] == 0

    monkeypatch.setattr(respondent, "submit", real_submit)
    monkeypatch.setattr(respondent, "load_survey", real_load)
    at.button(key="survey_submit").click().run()
    assert any("Thank you" in s.value for s in at.success)
    assert _counts(db_url, campaign_id) == {"responses": 1, "completions": 1, "completed": 1, "drafts": 0}


def test_a_failed_statement_names_no_answers_in_its_message(any_db_url):
    """Pages log a failure's message; a statement's parameters are answers and free text."""
    from sqlalchemy.exc import IntegrityError

    from itcap.storage import get_engine

    campaign_id = make_campaign(any_db_url, yaml=SHORT_SURVEY_YAML)
    comment = "My manager, J. Smith in Finance, shouts at people"
    with pytest.raises(IntegrityError) as failed, get_engine(any_db_url).begin() as conn:
        for _ in range(2):  # the same id twice
            conn.execute(Response.__table__.insert().values(
                id="r1", campaign_id=campaign_id, group_id="business", submitted_on=dt.date(2026, 3, 2), duration_seconds=60,
                answers_json=json.dumps({"comments": comment}), quality_flags="", source="web"))
    assert "response" in str(failed.value) and comment not in str(failed.value)


# -- an upgrade is interrupted ------------------------------------------------------------------------
# Runs `itcap init` with a hook on every SQL statement and every COMMIT: it appends each step to a
# trace file, and SIGKILLs the process just before step KILL_AT (0 = never).
KILLER = r"""
import json, os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine

kill_at, trace = int(sys.argv[1]), open(sys.argv[2], "a", encoding="utf-8")
steps = 0

def step(kind, what=""):
    global steps
    steps += 1
    trace.write(json.dumps([kind, what.strip().split("\n")[0][:120]]) + "\n")
    trace.flush()
    if steps == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)

event.listen(Engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: step("sql", statement))
event.listen(Engine, "commit", lambda conn: step("commit"))
from itcap.cli import main
sys.exit(main(["init"]))
"""


def _init(url: str, kill_at: int, trace) -> subprocess.CompletedProcess:
    env = {**os.environ, "ITCAP_DATABASE_URL": url, "ITCAP_ADMIN_PASSWORD": "not-used-accounts-exist"}
    return subprocess.run([sys.executable, "-c", KILLER, str(kill_at), str(trace)], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _rows(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            accounts = conn.execute(text("SELECT username, display_name, roles FROM account ORDER BY username"))
            audit = conn.execute(text("SELECT actor, action, target, detail FROM audit_entry "
                                      "WHERE actor = 'before-upgrade' ORDER BY id"))
            return [tuple(row) for row in [*accounts, *audit]]
    finally:
        engine.dispose()


def _first_release(url: str) -> None:
    """A database of the first migration only, with accounts and audit entries in it."""
    import datetime as dt

    from itcap.migrate import upgrade

    upgrade(url, "0001")
    dispose_engines()
    engine = create_engine(url)
    now = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)
    with engine.begin() as conn:
        for name in ("admin", "ana.smith@example.org"):
            conn.execute(text("INSERT INTO account (username, display_name, password_hash, roles, is_active, "
                              "failed_attempts, created_at) VALUES (:u, :d, 'argon2-hash', 'admin', :a, 0, :t)"),
                         {"u": name, "d": name.title(), "a": True, "t": now})
        for i in range(3):
            conn.execute(text("INSERT INTO audit_entry (at, actor, action, target, detail) "
                              "VALUES (:t, 'before-upgrade', 'test', :g, :d)"), {"t": now, "g": f"row {i}", "d": "{}"})
    engine.dispose()


def _kill_points(trace: list[list[str]]) -> list[tuple[int, str, int]]:
    """(step, what, revisions committed by then) to kill at: half-way through each pending migration's
    statements, and just before the last one's COMMIT (all done and stamped, nothing committed; the
    same for every migration, since env.py stamps each inside its own transaction)."""
    stamps = [i for i, (kind, what) in enumerate(trace) if kind == "sql" and "alembic_version" in what
              and what.split()[0] in ("INSERT", "UPDATE")]
    assert stamps, "the upgrade stamped no revision: is the database not at the first revision?"
    commits = [next(j for j in range(i, len(trace)) if trace[j][0] == "commit") for i in stamps]
    first = max(i for i, (kind, what) in enumerate(trace[:stamps[0]]) if kind == "sql" and "alembic_version" in what)
    points = []
    for n, stamp in enumerate(stamps):
        begin = first + 1 if n == 0 else commits[n - 1] + 1
        statements = [i for i in range(begin, stamp) if trace[i][0] == "sql"]
        if statements:
            middle = statements[len(statements) // 2]
            points.append((middle + 1, f"migration {n + 1} of {len(stamps)}, before {trace[middle][1][:60]!r}", n))
    points.append((commits[-1] + 1, f"migration {len(stamps)} of {len(stamps)}, before its COMMIT", len(stamps) - 1))
    return points


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, needs_pg])])
def test_an_interrupted_upgrade_completes_when_rerun(database, tmp_path):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from itcap.migrate import alembic_config
    from itcap.tables import metadata

    with contextlib.ExitStack() as cleanup:
        if database == "sqlite":
            origin = tmp_path / "release1.db"
            origin_url = f"sqlite:///{origin}"

            def copy():
                target = tmp_path / f"copy-{uuid.uuid4().hex[:6]}.db"
                shutil.copyfile(origin, target)
                return contextlib.nullcontext(f"sqlite:///{target}")
        else:
            origin_url = cleanup.enter_context(scratch_pg_database(PG_ADMIN_URL))

            def copy():
                return scratch_pg_database(PG_ADMIN_URL, template=make_url(origin_url).database)

        _first_release(origin_url)
        before_rows, before_tables = _rows(origin_url), _tables(origin_url)
        scripts = ScriptDirectory.from_config(alembic_config(origin_url))
        head = scripts.get_current_head()
        revisions = [script.revision for script in reversed(list(scripts.walk_revisions()))]

        with copy() as url:  # an uninterrupted run, traced, to know where to cut
            done = _init(url, 0, tmp_path / "trace.jsonl")
            assert done.returncode == 0, done.stderr
        trace = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()]

        for kill_at, what, committed in _kill_points(trace):
            with copy() as url:
                killed = _init(url, kill_at, tmp_path / "killed.jsonl")
                assert killed.returncode == -9, (what, killed.stdout, killed.stderr)
                # Atomic: the database is at the last committed revision, with nothing half-done.
                assert _revision(url) == revisions[committed], what
                if committed == 0:
                    assert _tables(url) == before_tables, what
                rerun = subprocess.run([sys.executable, "-m", "itcap.cli", "init"], check=False, cwd=ROOT,
                                       capture_output=True, text=True, env={**os.environ, "ITCAP_DATABASE_URL": url},
                                       timeout=120)
                assert rerun.returncode == 0, (what, rerun.stdout, rerun.stderr)
                assert _revision(url) == head, what
                assert _rows(url) == before_rows, what
                assert not [t for t in _tables(url) if t.startswith("_alembic_tmp")], what
                engine = create_engine(url)
                try:
                    with engine.connect() as conn:
                        assert compare_metadata(MigrationContext.configure(conn), metadata) == [], what
                finally:
                    engine.dispose()


@pytest.mark.postgres
@needs_pg
def test_a_failed_migration_reports_its_own_error_and_leaves_no_lock_behind():
    """A replica whose migration fails must neither hide why nor keep the migration lock: otherwise
    every later `itcap init` would wait for ever on a lock held by an idle pooled connection. Here the
    database was restored as another owner, so the app's role may not read the revision table."""
    from itcap.migrate import upgrade

    role = f"itcap_ro_{uuid.uuid4().hex[:8]}"
    with scratch_pg_database(PG_ADMIN_URL) as url:
        upgrade(url, "0001")
        dispose_engines()
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        as_role = make_url(url).set(username=role, password=None).render_as_string(hide_password=False)
        try:
            with pytest.raises(DBAPIError, match="permission denied for table alembic_version"):
                upgrade(as_role)
            with engine.connect() as conn:
                held = conn.execute(text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 7242019 "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")).scalar()
            assert held == 0
            done = subprocess.run([sys.executable, "-c", "import sys; from itcap.cli import main; sys.exit(main(['init']))"],
                                  cwd=ROOT, capture_output=True, text=True, timeout=60,
                                  env={**os.environ, "ITCAP_DATABASE_URL": url, "ITCAP_ADMIN_PASSWORD": "a-long-enough-password"})
            assert done.returncode == 0, done.stderr
        finally:
            dispose_engines()
            with engine.begin() as conn:
                conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
            engine.dispose()
