"""A submit racing the close of its campaign either lands before the close's storage rewrite or is
refused as closed — it never lands, unrewritten, in a closed campaign (PostgreSQL row locks)."""

import threading

import pytest
from sqlalchemy import text

from itcap.storage import get_engine, session_scope
from surveys import respondent
from surveys.respondent import SurveyUnavailable
from tests import survey_testdata as data


@pytest.mark.postgres
def test_a_submit_waiting_on_a_closing_campaign_is_refused_once_it_closes(pg_url):
    campaign_id = data.make_campaign(pg_url)
    (token,) = data.invite(pg_url, campaign_id)
    with session_scope(pg_url) as s:
        token = respondent.begin(s, token)
    for index, answers in data.FULL_ANSWERS.items():
        with session_scope(pg_url) as s:
            assert respondent.save_section(s, token, index, answers).ok

    closer = get_engine(pg_url).connect()
    closing = closer.begin()
    # What close_campaign does first: lock the campaign row and mark it closed (not yet committed).
    closer.execute(text("SELECT id FROM campaign WHERE id = :c FOR UPDATE"), {"c": campaign_id})
    closer.execute(text("UPDATE campaign SET status = 'closed' WHERE id = :c"), {"c": campaign_id})

    outcome: dict = {}

    def submit() -> None:
        try:
            with session_scope(pg_url) as s:
                outcome["result"] = respondent.submit(s, token)
        except SurveyUnavailable as exc:
            outcome["refused"] = exc.outcome

    worker = threading.Thread(target=submit)
    worker.start()
    worker.join(timeout=3)
    assert worker.is_alive(), "the submit must wait for the closing transaction"
    closing.commit()
    closer.close()
    worker.join(timeout=30)
    assert outcome == {"refused": "closed"}
    with session_scope(pg_url) as s:
        assert s.execute(text("SELECT count(*) FROM response")).scalar_one() == 0
        assert s.execute(text("SELECT count(*) FROM invitation_completion")).scalar_one() == 0
