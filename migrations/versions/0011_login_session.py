"""A login survives a reload: the sessions a browser's cookie can resume

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08

``login_session`` keeps, per login with a password, the SHA-256 of the token the browser holds in
a session cookie, the account, a digest of the password it was opened with, and when it was opened
and last used (itcap.login_sessions). No IP address or browser detail. A new table: replicas of the
release before it ignore it while the replicas roll (their users log in again after a reload, as before).
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('credential', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_index('ix_login_session_account_id', 'login_session', ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_login_session_account_id', table_name='login_session')
    op.drop_table('login_session')
