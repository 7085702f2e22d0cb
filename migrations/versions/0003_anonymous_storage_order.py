"""Anonymous storage order: response and invitation_completion become WITHOUT ROWID tables on SQLite

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

A SQLite table with a rowid stores rows in the order they were inserted, so the n-th response and the
n-th completion were written by the same submit. As ``WITHOUT ROWID`` tables they are stored in the
order of their primary keys — the random response id, the invitation id — which says nothing about
when a row was written. The tables are rebuilt with their rows copied in key order (so that not even
the order of cells within a page follows the old insertion order); nothing else changes.

PostgreSQL has no rowid to drop, so there is nothing to rebuild: its equivalent (transaction ids and
heap order) is dealt with when a campaign is closed (``surveys.campaigns.anonymise_campaign``). Run
``itcap campaign anonymise ID`` once for each campaign closed before this revision, on either database.
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def _response_columns() -> list:
    return [
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.String(length=64), nullable=False),
        sa.Column('submitted_on', sa.Date(), nullable=False),
        sa.Column('duration_seconds', sa.Integer(), nullable=True),
        sa.Column('answers_json', sa.Text(), nullable=False),
        sa.Column('quality_flags', sa.String(length=200), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    ]


def _completion_columns() -> list:
    return [
        sa.Column('invitation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['invitation_id'], ['invitation.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('invitation_id'),
    ]


def _rebuild(with_rowid: bool) -> None:
    """Recreate both tables (with or without rowid), copying the rows in primary-key order."""
    kwargs = {} if with_rowid else {'sqlite_with_rowid': False}
    for table, columns, key in (('response', _response_columns(), 'id'),
                                ('invitation_completion', _completion_columns(), 'invitation_id')):
        names = ', '.join(c.name for c in columns if isinstance(c, sa.Column))
        op.create_table(f'_new_{table}', *columns, **kwargs)
        op.execute(f'INSERT INTO _new_{table} ({names}) SELECT {names} FROM {table} ORDER BY {key}')
        op.drop_table(table)  # its indexes go with it
        op.rename_table(f'_new_{table}', table)
    op.create_index(op.f('ix_response_campaign_id'), 'response', ['campaign_id'], unique=False)


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild(with_rowid=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild(with_rowid=True)
