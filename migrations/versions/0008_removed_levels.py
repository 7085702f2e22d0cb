"""Levels of an assessor removed from an assessment are kept apart

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Removing an assessor deletes their ratings and so can move the median of every capability they
rated: a lead assessor's decision taken before (an override, or a confirmed median) may no longer
mean what it said. ``removed_level`` keeps each level they had given, with when and by whom they
were removed, so such decisions are flagged for the lead like those a changed level overtook. A
new table: replicas of the release before it ignore it while the replicas roll.
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('removed_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('capability_id', sa.String(length=64), nullable=False),
    sa.Column('assessor', sa.String(length=80), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_removed_level_assessment_id', 'removed_level', ['assessment_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_removed_level_assessment_id', table_name='removed_level')
    op.drop_table('removed_level')
