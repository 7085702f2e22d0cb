"""Alembic, driven from code: ``itcap init`` and app start call :func:`upgrade`."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _migrations_dir() -> Path:
    if MIGRATIONS_DIR.is_dir():  # a checkout or editable install
        return MIGRATIONS_DIR
    import itcap.migrations  # a regular install maps migrations/ to this package

    return Path(itcap.migrations.__file__).resolve().parent


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_migrations_dir()))
    # ConfigParser interpolation would choke on '%' in passwords.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> str | None:
    """Upgrade to ``revision``; returns the revision the database was at when this run got to it
    (None: no schema yet) — after any other run's upgrade it waited for."""
    config = alembic_config(url)
    command.upgrade(config, revision)
    return config.attributes.get("revision_before")


@functools.cache
def known_revisions() -> tuple[str, frozenset[str]]:
    """(the newest revision this release has, every revision it has) — read from the migration
    scripts once per process: they do not change under it."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return scripts.get_current_head(), frozenset(script.revision for script in scripts.walk_revisions())


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    from alembic.runtime.migration import MigrationContext

    from itcap.storage import get_engine

    with get_engine(url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
