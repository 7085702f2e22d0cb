"""A lead's decision keeps the assessors' levels it was made on

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

The lead was asked to check a decision whenever an assessor's level changed after it — also when
the level went back to what it was (an assessor moving through the levels with the arrow keys saves
each one). ``consensus_override.levels_at_decision`` holds the levels the decision rested on, as
JSON {account id: level}; a decision is overtaken when today's levels differ. NULL for the decisions
already stored: they keep the time rule. A nullable column: replicas of the release before it keep
recording decisions (NULL, the time rule) while the replicas roll.
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('consensus_override', sa.Column('levels_at_decision', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('consensus_override', 'levels_at_decision')
