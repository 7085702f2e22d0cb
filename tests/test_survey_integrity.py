"""Anonymity and integrity (DESIGN.md): one response per token under concurrent submits; responses
carry no link to the invitation — checked on the migrated schema of both databases."""

import threading

from sqlalchemy import Date, DateTime, func, inspect, select

from itcap.storage import get_engine, session_scope
from surveys import respondent
from surveys.invitations import TokenOutcome
from surveys.tables import InvitationCompletion, Response, SurveyDraft
from tests.survey_testdata import complete, invite, make_campaign

THREADS = 8


def _race(target, count=THREADS):
    barrier = threading.Barrier(count)
    outcomes, errors = [], []

    def run(i):
        try:
            barrier.wait(timeout=30)
            outcomes.append(target(i))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes, errors


def test_concurrent_submits_of_one_token_make_exactly_one_response(any_db_url):
    campaign_id = make_campaign(any_db_url)
    (token,) = invite(any_db_url, campaign_id)
    with session_scope() as s:
        respondent.begin(s, token)
    for index, answers in {0: {"rel1": 4, "rel2": 2}, 1: {"par1": 3}}.items():
        with session_scope() as s:
            assert respondent.save_section(s, token, index, answers).ok

    def submit(_):
        with session_scope() as s:
            return respondent.submit(s, token)

    outcomes, errors = _race(submit)
    assert [o.submitted for o in outcomes] == [True]
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, respondent.SurveyUnavailable) and e.outcome == TokenOutcome.USED for e in errors), errors
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Response)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(InvitationCompletion)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(SurveyDraft)).scalar_one() == 0


def test_concurrent_saves_of_two_sections_keep_both(any_db_url):
    campaign_id = make_campaign(any_db_url)
    (token,) = invite(any_db_url, campaign_id)
    with session_scope() as s:
        respondent.begin(s, token)
    answers = {0: {"rel1": 4}, 1: {"par1": 2}, 2: {"directorate": 3}, 3: {"rel2": 5}}

    def save(i):
        section = 0 if i == 3 else i
        with session_scope() as s:
            return respondent.save_section(s, token, section, answers[i], move="stay")

    outcomes, errors = _race(save, 4)
    assert not errors and len(outcomes) == 4
    with session_scope() as s:
        assert respondent.load_survey(s, token).answers == {"rel1": 4, "par1": 2, "directorate": 3, "rel2": 5}


def test_double_click_then_back_button_gives_one_response(any_db_url):
    campaign_id = make_campaign(any_db_url)
    (token,) = invite(any_db_url, campaign_id)
    assert complete(any_db_url, token).submitted
    for _ in range(3):
        try:
            with session_scope() as s:
                respondent.submit(s, token)
        except respondent.SurveyUnavailable as exc:
            assert exc.outcome == TokenOutcome.USED
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Response)).scalar_one() == 1


def test_response_table_holds_nothing_that_points_back(any_db_url):
    schema = inspect(get_engine(any_db_url))
    columns = {c["name"]: c for c in schema.get_columns("response")}
    assert set(columns) == {"id", "campaign_id", "group_id", "submitted_on", "duration_seconds", "answers_json",
                            "quality_flags", "source", "release"}  # release: a batch of ≥ k (surveys.release)
    assert isinstance(columns["submitted_on"]["type"], Date) and not isinstance(columns["submitted_on"]["type"], DateTime)
    assert not any(isinstance(c["type"], DateTime) for c in columns.values())
    for name in columns:
        assert not any(word in name for word in ("token", "invitation", "ip", "email", "account", "user", "time", "_at"))
    assert [(fk["referred_table"], fk["constrained_columns"]) for fk in schema.get_foreign_keys("response")] == [("campaign", ["campaign_id"])]
    completion = [c["name"] for c in schema.get_columns("invitation_completion")]
    assert completion == ["invitation_id"]
    assert schema.get_pk_constraint("invitation_completion")["constrained_columns"] == ["invitation_id"]
    assert [fk["referred_table"] for fk in schema.get_foreign_keys("invitation_completion")] == ["invitation"]
    invitation = {c["name"] for c in schema.get_columns("invitation")}
    assert not invitation & {"email", "token", "ip", "name", "completed_at"}


def test_response_ids_are_random_not_sequential(any_db_url):
    campaign_id = make_campaign(any_db_url)
    for token in invite(any_db_url, campaign_id, count=4):
        complete(any_db_url, token)
    with session_scope() as s:
        ids = s.execute(select(Response.id)).scalars().all()
    assert len(set(ids)) == 4 and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len({i[:8] for i in ids}) == 4  # uuid4 hex: no shared, increasing prefix


def test_two_tabs_beginning_at_once_share_one_draft(any_db_url):
    campaign_id = make_campaign(any_db_url)
    (token,) = invite(any_db_url, campaign_id)

    def first_save(i):
        with session_scope() as s:
            return respondent.save_section(s, token, 0, {"rel1": 1 + i % 5}, move="stay")

    outcomes, errors = _race(first_save, 6)
    assert not errors and len(outcomes) == 6
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(SurveyDraft)).scalar_one() == 1
        assert respondent.load_survey(s, token).answers["rel1"] in {1, 2, 3, 4, 5}


def test_visitors_starting_at_once_never_take_more_places_than_an_open_links_cap(any_db_url):
    from surveys import invitations
    from surveys.tables import Invitation

    campaign_id = make_campaign(any_db_url)
    with session_scope() as s:
        link = invitations.create_open_link(s, campaign_id, "business", "admin", max_visits=3)

    def start(_):
        with session_scope() as s:
            return respondent.begin(s, link.token)

    outcomes, errors = _race(start)
    assert len(outcomes) == 3 and len(set(outcomes)) == 3
    assert len(errors) == THREADS - 3
    assert all(isinstance(e, respondent.SurveyUnavailable) and e.outcome == TokenOutcome.FULL for e in errors), errors
    with session_scope() as s:
        visits = s.execute(select(func.count()).select_from(Invitation).where(Invitation.kind == "open_visit")).scalar_one()
        assert visits == 3 and s.execute(select(func.count()).select_from(SurveyDraft)).scalar_one() == 3
        assert invitations.live_open_links(s, campaign_id) == {"business": 0}
