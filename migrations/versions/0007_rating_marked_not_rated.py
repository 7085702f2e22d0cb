"""A rating says whether "not rated" was chosen, or no level has been chosen yet

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

An assessor who wrote evidence (or gave a confidence) before choosing a level was shown, and counted,
as having marked the capability "not rated". ``rating.not_rated`` is true only when "not rated" was
chosen; a rating with no level and ``not_rated`` false is still to do. Ratings already stored with no
level were saved as "not rated" by the page that offered only that meaning: they keep it.

``rating.level_changed_at`` is when the level (or "not rated") last changed — not the evidence or
the confidence — so the lead is told of a decision that a later level may have overtaken, and not of
every edit. Ratings already stored take their ``updated_at``.
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


# Plain ALTER TABLE, never a batch copy of the table (see 0006).
def upgrade() -> None:
    op.add_column('rating', sa.Column('not_rated', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('rating', sa.Column('level_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE rating SET not_rated = (level IS NULL), level_changed_at = updated_at")


def downgrade() -> None:
    op.drop_column('rating', 'level_changed_at')
    op.drop_column('rating', 'not_rated')
