"""Bringing a database to a usable state: schema, shipped model and instrument, first administrator.

Run by ``itcap init`` and on every app start; safe to repeat.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy import text

from itcap import accounts
from itcap.storage import (create_private_sqlite_file, database_url, is_sqlite, readable_by_others, session_scope,
                           upgrade_database)

# PostgreSQL: replicas starting at once against a new database would each find no default model and
# no administrator and insert them, and all but one would fail on the unique constraints. The first
# to take this lock seeds; the others wait, then find everything there. (SQLite serves one app process.)
SEED_LOCK_KEY = 7_242_020


@dataclass(frozen=True)
class BootstrapResult:
    url: str
    admin_created: bool
    generated_admin_password: str | None  # shown once, never stored in clear
    schema_before: str | None = None  # migration revision found (None: a new database)
    schema_after: str | None = None  # revision now
    readable_by_others: str | None = None  # a SQLite file's mode when other accounts may read it ('644')

    @property
    def schema_change(self) -> str:
        """How the schema moved, for the operator: "created at 0005", "0004 → 0005", "0005, up to date"."""
        if self.schema_before is None:
            return f"created at schema {self.schema_after}"
        if self.schema_before != self.schema_after:
            return f"schema upgraded {self.schema_before} → {self.schema_after}"
        return f"schema {self.schema_after}, up to date"


class BootstrapError(Exception):
    """The setup cannot start as configured (said before anything is written)."""


def bootstrap(url: str | None = None) -> BootstrapResult:
    url = url or database_url()
    admin_password = os.environ.get("ITCAP_ADMIN_PASSWORD") or None
    # refused before the schema is touched, not half-way through — and only when it is to be used:
    # left in a replica's environment after the first start, it must not keep the app from starting
    if admin_password is not None and not _has_accounts(url):
        try:
            accounts.check_password_rules(admin_password, "admin")
        except accounts.AccountError as exc:
            raise BootstrapError(f"ITCAP_ADMIN_PASSWORD: {exc}; nothing was changed") from None
    from itcap.migrate import current_revision

    create_private_sqlite_file(url)  # before anything connects: sqlite3 would create it 0644
    before = upgrade_database(url)  # None: no schema yet (read under the migration lock: not another run's "before")
    after = current_revision(url)
    from capability_model.store import ensure_default_model
    from surveys.store import ensure_default_instrument

    with session_scope(url) as session:
        if not is_sqlite(url):
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEED_LOCK_KEY})  # until commit
        ensure_default_model(session)
        ensure_default_instrument(session)
        created = accounts.ensure_first_admin(session, admin_password)
    if created is None:
        return BootstrapResult(url, False, None, before, after, readable_by_others(url))
    return BootstrapResult(url, True, created[1], before, after, readable_by_others(url))


def _has_accounts(url: str) -> bool:
    """Whether the database already has accounts (so no first administrator will be created)."""
    from sqlalchemy import inspect

    from itcap.storage import get_engine, sqlite_file

    if (file := sqlite_file(url)) is not None and not file.exists():  # (connecting would create it 0644)
        return False
    with get_engine(url).connect() as connection:
        if "account" not in inspect(connection).get_table_names():
            return False
        return connection.execute(text("SELECT 1 FROM account LIMIT 1")).first() is not None


def safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return "<database>"
