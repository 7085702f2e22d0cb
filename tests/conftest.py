"""Shared fixtures.

Databases: every test that touches storage gets a fresh, fully migrated database. ``db_url`` is
SQLite only (fast); ``any_db_url`` runs the test on SQLite and — when ITCAP_TEST_DATABASE_URL points
at a PostgreSQL server (``.ci/run`` sets it) — on PostgreSQL too. Fresh databases are copies of a
template migrated once per test session (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on
PostgreSQL), so migrations are exercised without paying for them in every test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from itcap.storage import dispose_engines

PG_ADMIN_URL = os.environ.get("ITCAP_TEST_DATABASE_URL", "").strip()
# The dashboard's start-up warm-up thread would outlive each test's database; tests that want it
# (the dashboard browser test) turn it back on for their server.
os.environ.setdefault("ITCAP_WARM_UP", "0")
ROOT = Path(__file__).resolve().parent.parent


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# -- SQLite ---------------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    from itcap.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    dispose_engines()
    return path


def _fresh_sqlite(template: Path, directory: Path) -> str:
    target = directory / f"itcap-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


# -- PostgreSQL -----------------------------------------------------------------------------------
def _pg_admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_url_for(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template():
    if not PG_ADMIN_URL:
        pytest.skip("ITCAP_TEST_DATABASE_URL is not set: PostgreSQL storage tests skipped")
    from itcap.migrate import upgrade

    name = f"itcap_tmpl_{_worker()}_{os.getpid()}"
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    upgrade(_pg_url_for(name))
    dispose_engines()  # a template must have no open connections
    yield name
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _fresh_pg(template: str) -> tuple[str, str]:
    name = f"itcap_t_{uuid.uuid4().hex[:12]}"
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    engine.dispose()
    return name, _pg_url_for(name)


def _drop_pg(name: str) -> None:
    engine = _pg_admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


# -- the fixtures tests use ----------------------------------------------------------------------
@pytest.fixture
def db_url(sqlite_template, tmp_path, monkeypatch) -> str:
    """A fresh migrated SQLite database, also set as ITCAP_DATABASE_URL."""
    url = _fresh_sqlite(sqlite_template, tmp_path)
    monkeypatch.setenv("ITCAP_DATABASE_URL", url)
    yield url
    dispose_engines()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db_url(request, tmp_path, monkeypatch) -> str:
    """A fresh migrated database on SQLite and on PostgreSQL (when configured)."""
    if request.param == "sqlite":
        url = _fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path)
        monkeypatch.setenv("ITCAP_DATABASE_URL", url)
        yield url
        dispose_engines()
        return
    template = request.getfixturevalue("pg_template")
    name, url = _fresh_pg(template)
    monkeypatch.setenv("ITCAP_DATABASE_URL", url)
    try:
        yield url
    finally:
        dispose_engines()
        _drop_pg(name)


@pytest.fixture
def pg_url(pg_template, monkeypatch) -> str:
    """A fresh migrated PostgreSQL database only (skipped when not configured)."""
    name, url = _fresh_pg(pg_template)
    monkeypatch.setenv("ITCAP_DATABASE_URL", url)
    try:
        yield url
    finally:
        dispose_engines()
        _drop_pg(name)


# -- real browser ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright. Skipped where it is not installed, except in CI
    (ITCAP_REQUIRE_BROWSER=1), where a missing browser is a failure."""
    from tests.support import CHROMIUM, chromium_browser

    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("ITCAP_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    with chromium_browser() as instance:
        yield instance


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


# -- the heavy tests run alone -----------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _heavy_tests_run_alone(request, tmp_path_factory):
    """Under ``make test``'s two workers, a load, fault or replica test (``slow``: twenty browsers at
    once, servers killed) never runs beside a browser test: it starved one on the other worker past
    its 30-second wait on CI's two cores. Slow tests take an exclusive lock, browser tests a shared
    one (they may run side by side), the rest none. Uncontended in a single process."""
    import fcntl

    slow = request.node.get_closest_marker("slow") is not None
    if not slow and "browser" not in request.fixturenames:
        yield
        return
    # the workers' temporary folders share a parent (pytest-N/popen-gwK); one process: its own folder
    folder = tmp_path_factory.getbasetemp()
    lock_path = (folder.parent if os.environ.get("PYTEST_XDIST_WORKER") else folder) / "heavy-tests.lock"
    with open(lock_path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX if slow else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
