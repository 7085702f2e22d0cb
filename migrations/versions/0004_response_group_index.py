"""Responses indexed by (campaign, group): counts per group without reading the answers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

Response rates and the reporting threshold need the number of responses per group; with an index on
(campaign_id, group_id) the database counts them from the index instead of scanning every row with
its answers. The single-column campaign index it replaces is a prefix of the new one.
"""

from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_response_campaign_group', 'response', ['campaign_id', 'group_id'], unique=False)
    op.drop_index('ix_response_campaign_id', table_name='response')


def downgrade() -> None:
    op.create_index('ix_response_campaign_id', 'response', ['campaign_id'], unique=False)
    op.drop_index('ix_response_campaign_group', table_name='response')
