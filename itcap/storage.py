"""The one place that knows how to reach the database.

Every domain package gets its engine and sessions from here, so that SQLite (the default, one file)
and PostgreSQL (``ITCAP_DATABASE_URL``) behave the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import Session, create_engine

DEFAULT_DATABASE_URL = "sqlite:///itcap.db"
_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def database_url() -> str:
    """The URL in ``ITCAP_DATABASE_URL``, or a SQLite file ``itcap.db`` in the working directory."""
    url = os.environ.get("ITCAP_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    # Accept the URL form most PostgreSQL tools print; SQLAlchemy needs the driver spelled out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def is_sqlite(url: str | None = None) -> bool:
    return (url or database_url()).startswith("sqlite")


SQLITE_BUSY_TIMEOUT_MS = 30000  # how long a SQLite statement waits for another writer's lock


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (dashboards) run while a respondent submits; busy_timeout turns lock
    # contention between threads or processes into waiting instead of "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def get_engine(url: str | None = None) -> Engine:
    """A process-wide engine per URL (engines pool connections; one per URL is enough).

    ``hide_parameters``: a failed statement's error message (which pages log) names the SQL but not
    the values — those are respondents' answers and free text, which have no place in a log."""
    url = url or database_url()
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            if is_sqlite(url):
                _ensure_sqlite_directory(url)
                engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                                       hide_parameters=True)
                event.listen(engine, "connect", _configure_sqlite)
            else:
                engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True)
            _engines[url] = engine
        return engine


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None: in memory, or not SQLite)."""
    if not is_sqlite(url):
        return None
    try:
        path = make_url(url).database  # not the query string (?timeout=5); None or "" for sqlite://
    except (ArgumentError, ValueError):  # a malformed URL: the CLI's check_database_url says what is wrong
        return None
    return Path(path).expanduser().resolve() if path and path != ":memory:" and not path.startswith("file:") else None


def _ensure_sqlite_directory(url: str) -> None:
    path = sqlite_file(url)
    if path is not None:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)


def create_private_sqlite_file(url: str) -> None:
    """A new SQLite database file, created readable and writable by its owner only (0600) — it holds
    password hashes, free text and, while a campaign is open, answers not yet released — instead of
    the umask's usual 0644. SQLite gives the -wal and -shm files the database file's permissions.
    An existing file is left as it is (:func:`readable_by_others` tells)."""
    path = sqlite_file(url)
    if path is None or path.exists():
        return
    try:
        _ensure_sqlite_directory(url)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # another process created it in between: theirs stands
        pass
    except OSError as exc:  # /proc, a read-only disk, no permission: said as such, not as "unexpected failure"
        raise NotAnItcapDatabase(f"cannot create the database file {path}: {exc.strerror or exc}") from None


def readable_by_others(url: str) -> str | None:
    """The SQLite file's permissions (e.g. '644') when accounts other than its owner may read it."""
    path = sqlite_file(url)
    if path is None or not path.exists():
        return None
    mode = path.stat().st_mode & 0o777
    return f"{mode:o}" if mode & 0o044 else None


def dispose_engines() -> None:
    """Close every pooled connection (tests switch databases; forked workers must not share sockets)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commits when the block ends, rolls everything back if it raises."""
    session = Session(get_engine(url), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# -- the few statements that differ between SQLite and PostgreSQL ----------------------------------
def on_sqlite(session: Session) -> bool:
    """Whether the session's database is SQLite: which spelling of a statement the helpers below use
    (and a query plan hint in surveys.quality)."""
    return session.get_bind().dialect.name == "sqlite"


def insert_if_absent(session: Session, table, values: dict, *, key: Sequence[str], returning=None):
    """``INSERT … ON CONFLICT (key) DO NOTHING``: a concurrent insert of the same row (a double click,
    two tabs) meets the unique constraint as "already there" inside the caller's transaction, not as
    an error. Returns ``returning``'s value for a row this call made, None when it was there already
    (RETURNING, because a rowcount is -1 on some drivers)."""
    insert = sqlite_insert if on_sqlite(session) else postgresql_insert
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=list(key))
    if returning is None:
        session.execute(statement)
        return None
    return session.execute(statement.returning(returning)).scalar_one_or_none()


@contextmanager
def lock_wait(session: Session, milliseconds: int) -> Iterator[None]:
    """Within the block, a statement of this session waits at most ``milliseconds`` for another
    writer's lock, then raises ``OperationalError`` (SQLite's busy timeout; PostgreSQL's
    lock_timeout, for the rest of the session's transaction). Afterwards the pooled connection has
    its usual wait again."""
    if on_sqlite(session):
        raw = session.connection().connection.dbapi_connection
        raw.execute(f"PRAGMA busy_timeout = {int(milliseconds)}")
        try:
            yield
        finally:
            raw.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    else:
        session.execute(text(f"SET LOCAL lock_timeout = '{int(milliseconds)}ms'"))
        yield


def holds_write_lock(session: Session) -> bool:
    """SQLite: whether the session's connection is in a transaction that has written (it then holds
    the database's write lock, and a second connection that writes would wait for this one).
    Always False on PostgreSQL, whose writers lock rows, not the database."""
    if not on_sqlite(session):
        return False
    return bool(session.connection().connection.dbapi_connection.in_transaction)


def vacuum(engine: Engine, postgresql_tables: Sequence[str]) -> None:
    """Reclaim the space of deleted and rewritten rows: VACUUM the named tables (PostgreSQL) or the
    whole file plus a truncating WAL checkpoint (SQLite, where a busy file waits 5 s at most and is
    vacuumed next time). On a connection of its own in autocommit mode: neither database vacuums
    inside a transaction."""
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"VACUUM {', '.join(postgresql_tables)}")
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA busy_timeout = 5000")
            try:
                connection.exec_driver_sql("VACUUM")
                busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
            finally:  # the pooled connection goes back with the engine's own wait, a failure or not
                connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if busy:  # SQLite reports a blocked checkpoint in its result, not as an error
                raise StorageNotReclaimed("another connection is still reading the database, so its write-ahead "
                                          "log (the -wal file, which still holds the old pages) could not be emptied")


class StorageNotReclaimed(RuntimeError):
    """The space of deleted rows could not be reclaimed now (another connection held the file)."""


def utcnow() -> dt.datetime:
    """Timezone-aware UTC: every timestamp column stores and returns UTC."""
    return dt.datetime.now(dt.timezone.utc)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A stored time, timezone-aware: SQLite hands back naive datetimes, which were stored as UTC."""
    return moment.replace(tzinfo=dt.timezone.utc) if moment.tzinfo is None else moment


def today() -> dt.date:
    return utcnow().date()


class NotAnItcapDatabase(RuntimeError):
    """itcap cannot use the database: it holds tables but none of itcap's (it belongs to something
    else), its schema is one this release does not know, or its file cannot be created."""


def newer_schema_problem(current: str | None) -> str | None:
    """Why this release cannot use a database at revision ``current`` — its schema was upgraded by a
    newer release (a replica of the old release restarted during an upgrade, or a rollback of the
    code alone) — or None. Said plainly, instead of Alembic's "Can't locate revision" on every page."""
    from itcap.migrate import known_revisions

    head, known = known_revisions()
    if current is None or current in known:
        return None
    return (f"the database is at schema {current}, which this release of itcap (schema {head}) does not know: a newer "
            "release has upgraded it. Run that release; to go back to this one, restore the backup taken before the "
            "upgrade (docs/deploy.md, Upgrades)")


def upgrade_database(url: str | None = None) -> str | None:
    """Create or upgrade the schema to the newest migration (idempotent; safe to run on every start).
    Returns the revision the database was at (None: it had no schema yet).

    Refuses (NotAnItcapDatabase) a database with tables but no migration record: itcap's tables
    would be written into another application's database; and one a newer release has upgraded.
    An empty database is set up."""
    from itcap.migrate import current_revision, upgrade

    url = url or database_url()
    refuse_foreign_tables(url)
    if problem := newer_schema_problem(current_revision(url)):
        raise NotAnItcapDatabase(problem)
    return upgrade(url)


def refuse_foreign_tables(url: str) -> None:
    """Raise NotAnItcapDatabase for a database with tables but no migration record: itcap's tables
    would be written into another application's database."""
    from sqlalchemy import inspect

    with get_engine(url).connect() as connection:
        tables = set(inspect(connection).get_table_names())
    if tables and "alembic_version" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (" …" if len(tables) > 5 else "")
        raise NotAnItcapDatabase(
            f"{make_url(url).render_as_string(hide_password=True)} is not an itcap database (it holds other tables: "
            f"{shown}); nothing was changed. Point ITCAP_DATABASE_URL at itcap's database, or at a new one")


def version_conflict(session, record_class, noun: str, document, source_yaml: str, where: str) -> str | None:
    """Why a model or instrument (``document``, stored as ``record_class`` rows keyed by id and
    version) could not be stored — its id and version are taken by other content — or None, so that
    checking an upload says what storing it would."""
    from sqlmodel import select

    existing = session.exec(select(record_class.source_yaml).where(record_class.key == document.id,
                                                                   record_class.version == document.version)).first()
    if existing is None or existing == source_yaml:
        return None
    return (f"{where}: {noun} {document.id!r} version {document.version!r} is already loaded with different content; "
            "change 'version' to load it as a new version")
