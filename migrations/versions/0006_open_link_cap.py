"""Open links may be capped: how many more visitors may start with the link

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

A group's open link (kind 'open') can carry a cap, so that a link leaked beyond the group cannot
bring in responses without end. ``visits_left`` counts down as visitors start; NULL (every existing
link, and a link made without a cap) means no cap. Other invitations leave it NULL.
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite has ADD and DROP COLUMN since 3.35), never a batch copy of the table: with
# foreign keys on, SQLite's drop of the old table would cascade to every draft and completion.
def upgrade() -> None:
    op.add_column('invitation', sa.Column('visits_left', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('invitation', 'visits_left')
