"""Alembic environment: one metadata for all domain tables, batch mode for SQLite."""

from alembic import context
from sqlalchemy import text

from itcap.storage import get_engine
from itcap.tables import metadata

config = context.config
url = config.get_main_option("sqlalchemy.url")

# PostgreSQL: several replicas may start at once; an advisory lock makes exactly one migrate.
MIGRATION_LOCK_KEY = 7_242_019


def run_migrations_online() -> None:
    engine = get_engine(url)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                # Each migration in its own transaction: an interrupted upgrade leaves the
                # database at the last completed revision, and rerunning finishes the job.
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if postgres:
                connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                connection.commit()


if context.is_offline_mode():
    raise SystemExit("itcap migrations run online only (itcap init)")
run_migrations_online()
