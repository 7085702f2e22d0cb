"""Responses of an open campaign reach the figures in batches

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

Figures of an open campaign that follow every submit give away each new respondent's answers to
anyone who compares two views (n·mean before and after). ``response.release`` says which batch
of the campaign's figures a response entered (NULL: held back); surveys.release moves a group's
held responses into the figures only when at least k would remain held and at least k go in. The
index counts the held responses per group without reading the answers. A nullable column:
replicas of the release before it keep inserting (NULL, held) while the replicas roll.
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('response', sa.Column('release', sa.Integer(), nullable=True))
    op.create_index('ix_response_campaign_release', 'response', ['campaign_id', 'release', 'group_id'], unique=False)
    # A closed campaign's figures used every response: as one batch, so that reopening it keeps them
    # (as closing does from now on); an open campaign's wait for the rule.
    op.execute("UPDATE response SET release = 1 WHERE release IS NULL AND campaign_id IN "
               "(SELECT id FROM campaign WHERE status = 'closed')")


def downgrade() -> None:
    op.drop_index('ix_response_campaign_release', table_name='response')
    op.drop_column('response', 'release')
