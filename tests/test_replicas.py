"""Two app replicas on one PostgreSQL database, as docs/deploy.md sets them up (PostgreSQL only).

Two ``streamlit run app.py`` processes on different ports share one fresh database; the test plays
the load balancer, sending respondents to one replica or the other. Surveys are completed through
both, one is started on replica A and finished on replica B (answers live in the database, not in
the process), and one link is submitted from both replicas at once. Every response must land
exactly once. Replicas starting together against a brand-new database must all come up.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from capability_model.tables import CapabilityModelRecord
from itcap.accounts import Account
from itcap.bootstrap import bootstrap
from itcap.migrate import alembic_config, current_revision
from itcap.storage import dispose_engines, session_scope
from surveys import respondent
from surveys.tables import InstrumentRecord, Invitation, InvitationCompletion, Response
from tests.support import (
    ROOT,
    SHORT_SURVEY_THANKS,
    SHORT_SURVEY_YAML,
    StreamlitServer,
    answer_short_survey,
    checked,
    choose,
    click_then,
    scratch_pg_database,
    survey_link,
    wait_for_app,
    wait_text,
)
from tests.survey_testdata import invite, make_campaign

PG_ADMIN_URL = os.environ.get("ITCAP_TEST_DATABASE_URL", "").strip()
pytestmark = [pytest.mark.postgres,
              pytest.mark.skipif(not PG_ADMIN_URL, reason="ITCAP_TEST_DATABASE_URL is not set: replicas need PostgreSQL")]


def _count(url: str, table, *where) -> int:
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(table).where(*where))


def test_replicas_starting_together_on_a_new_database_all_come_up():
    """`itcap init` twice at once on an empty database (what replicas do on their first page):
    one migrates while the others wait on the advisory lock, one seeds while the others wait."""
    with scratch_pg_database(PG_ADMIN_URL) as url:
        env = {**os.environ, "ITCAP_DATABASE_URL": url, "ITCAP_ADMIN_PASSWORD": "replica-start-test"}
        starts = [subprocess.Popen([sys.executable, "-m", "itcap.cli", "init"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=180)[0] for p in starts]
        assert [p.returncode for p in starts] == [0, 0], outputs
        assert current_revision(url) == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert (_count(url, Account), _count(url, CapabilityModelRecord), _count(url, InstrumentRecord)) == (1, 1, 1)
        dispose_engines()


@pytest.mark.browser
@pytest.mark.slow
def test_surveys_through_two_replicas_land_exactly_once(pg_url, browser):
    bootstrap(pg_url)  # `itcap init` as a one-off job before the replicas start (docs/deploy.md)
    campaign_id = make_campaign(pg_url, yaml=SHORT_SURVEY_YAML)
    tokens = invite(pg_url, campaign_id, count=5)
    dispose_engines()
    a, b = StreamlitServer(pg_url), StreamlitServer(pg_url)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(StreamlitServer.start, [a, b]))
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    expected = []
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)

        # Whole journeys, one on each replica.
        for token, server, codes in [(tokens[0], a, (5, 4, 3)), (tokens[1], b, (1, 2, 3))]:
            answer_short_survey(page, server.url, token, codes)
            click_then(page, "Submit my answers", SHORT_SURVEY_THANKS)
            expected.append({"rel1": codes[0], "rel2": codes[1], "par1": codes[2]})

        # Started on A (a section saved), finished on B: the load balancer moved the respondent,
        # or A was replaced by a deploy. B finds the answers in the database.
        page.goto(survey_link(a.url, tokens[2]))
        wait_for_app(page, 60_000)
        click_then(page, "Start the survey", "Section 1 of 2")
        choose(page, "1. The network is reliable.", "Disagree")
        choose(page, "2. I can log on quickly.", "Strongly agree")
        click_then(page, "Next", "Section 2 of 2")
        page.goto(survey_link(b.url, tokens[2]))
        wait_text(page, "Section 2 of 2")
        click_then(page, "Back", "Section 1 of 2")
        assert checked(page, "1. The network is reliable.", "Disagree")
        assert checked(page, "2. I can log on quickly.", "Strongly agree")
        click_then(page, "Next", "Section 2 of 2")
        choose(page, "3. IT understands what my area needs.", "Agree")
        click_then(page, "Review my answers", "Check your answers")
        click_then(page, "Submit my answers", SHORT_SURVEY_THANKS)
        expected.append({"rel1": 2, "rel2": 5, "par1": 4})

        # One link at the review screen on both replicas (two devices); both press Submit.
        with session_scope(pg_url) as s:
            respondent.begin(s, tokens[3])
        for index, answers in enumerate([{"rel1": 3}, {"par1": 3}]):
            with session_scope(pg_url) as s:
                assert respondent.save_section(s, tokens[3], index, answers).ok
        on_a, on_b = page, context.new_page()
        on_b.set_default_timeout(60_000)
        for tab, server in [(on_a, a), (on_b, b)]:
            tab.goto(survey_link(server.url, tokens[3]))
            wait_text(tab, "Check your answers")
        on_a.get_by_role("button", name="Submit my answers").click()
        on_b.get_by_role("button", name="Submit my answers").click()
        outcomes = []
        for tab in (on_a, on_b):
            tab.get_by_text("spring").or_(tab.get_by_text("already been used")).first.wait_for()
            wait_for_app(tab, 60_000)
            outcomes.append("thanked" if tab.get_by_text(SHORT_SURVEY_THANKS).count() else "told it was used")
        assert sorted(outcomes) == ["thanked", "told it was used"]
        expected.append({"rel1": 3, "par1": 3})
    finally:
        context.close()
        a.stop()
        b.stop()

    completed = _count(pg_url, Invitation, Invitation.campaign_id == campaign_id, Invitation.status == "completed")
    invitation_ids = select(Invitation.id).where(Invitation.campaign_id == campaign_id)
    assert completed == 4
    assert _count(pg_url, Response, Response.campaign_id == campaign_id) == completed
    assert _count(pg_url, InvitationCompletion, InvitationCompletion.invitation_id.in_(invitation_ids)) == completed
    with session_scope(pg_url) as s:
        stored = [json.loads(x) for x in s.scalars(select(Response.answers_json).where(Response.campaign_id == campaign_id))]
    key = json.dumps
    assert sorted(stored, key=key) == sorted(expected, key=key)
    for server in (a, b):
        assert not any(token in server.log_path.read_text(errors="replace") for token in tokens)
