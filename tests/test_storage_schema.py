"""The migrations and the table definitions agree, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from itcap.migrate import current_revision, upgrade
from itcap.storage import get_engine
from itcap.tables import metadata


def test_migrated_schema_matches_the_tables(any_db_url):
    with get_engine(any_db_url).connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), metadata)
    assert diff == [], f"tables and migrations disagree; write a migration: {diff}"


def test_upgrade_is_idempotent(any_db_url):
    before = current_revision(any_db_url)
    upgrade(any_db_url)
    assert current_revision(any_db_url) == before is not None
