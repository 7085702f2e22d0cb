"""Alembic environment: one metadata for all domain tables, batch mode for SQLite.

Each migration runs in its own transaction, so an interrupted upgrade (a crash, a killed job, a lost
connection) leaves the database at the last completed revision and rerunning ``itcap init`` finishes
the job. PostgreSQL's DDL is transactional. SQLite's is too, but Python's sqlite3 module commits
before every DDL statement on its own, so a migration killed half-way would leave tables without
their revision — and every rerun would fail on "table … already exists". On SQLite, migrations
therefore run on a connection of their own where the driver's transaction handling is switched off
and SQLAlchemy emits BEGIN itself (the recipe in SQLAlchemy's pysqlite notes). The app's engine
is left alone. ``tests/test_faults.py`` kills upgrades at every step of the way to hold this.
"""

from alembic import context
from sqlalchemy import create_engine, event, text
from sqlalchemy.pool import NullPool

from itcap.storage import _configure_sqlite, get_engine, is_sqlite
from itcap.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")

# PostgreSQL: several replicas may start at once; an advisory lock makes exactly one migrate.
MIGRATION_LOCK_KEY = 7_242_019


def _sqlite_migration_engine():
    engine = create_engine(url, poolclass=NullPool, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, record):
        _configure_sqlite(dbapi_connection, record)
        dbapi_connection.isolation_level = None  # no implicit COMMIT before DDL …

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # … our own BEGIN instead; IMMEDIATE: the write lock up front

    return engine


def _release_lock(connection) -> None:
    """Unlock even when a migration failed: its transaction is aborted, and an unlock sent into it
    would fail too — hiding the migration's own error and leaving the lock held by a pooled
    connection, so that every later ``itcap init`` waits for ever. Roll back first; if the unlock
    still fails, close the connection for good (the server then drops its locks)."""
    try:
        if connection.in_transaction():
            connection.rollback()
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
        connection.commit()
    except Exception:  # the error that matters is the migration's, already on its way up
        connection.invalidate()


def run_migrations_online() -> None:
    sqlite = is_sqlite(url)
    engine = _sqlite_migration_engine() if sqlite else get_engine(url)
    try:
        with engine.connect() as connection:
            postgres = connection.dialect.name == "postgresql"
            if postgres:
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()
            try:
                context.configure(
                    connection=connection,
                    target_metadata=metadata,
                    render_as_batch=sqlite,
                    transactional_ddl=True,
                    transaction_per_migration=True,
                )
                # read under the lock: a run that waited for another's upgrade finds it done, and says so
                config.attributes["revision_before"] = context.get_context().get_current_revision()
                with context.begin_transaction():
                    context.run_migrations()
            finally:
                if postgres:
                    _release_lock(connection)
    finally:
        if sqlite:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("itcap migrations run online only (itcap init)")
run_migrations_online()
