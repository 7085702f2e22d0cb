"""The respondent's journey through the service API: load, begin, save, resume, review, submit."""


import pytest
from sqlalchemy import func, select

from itcap.storage import session_scope, today
from surveys import campaigns, respondent
from surveys.invitations import TokenOutcome
from surveys.respondent import SurveyUnavailable
from surveys.tables import Invitation, InvitationCompletion, Response, SurveyDraft
from tests.support import unpacked
from tests.survey_testdata import complete, invite, make_campaign


@pytest.fixture
def survey(any_db_url):
    campaign_id = make_campaign(any_db_url)
    return any_db_url, campaign_id, invite(any_db_url, campaign_id, "business", 3), invite(any_db_url, campaign_id, "it_staff", 1)


def test_state_before_begin_shows_the_welcome(survey):
    _, campaign_id, (token, *_), _ = survey
    with session_scope() as s:
        state = respondent.load_survey(s, token)
    assert (state.started, state.section_index, state.answers, state.is_open_link) == (False, 0, {}, False)
    assert (state.campaign_id, state.group_id, state.group_name) == (campaign_id, "business", "Business users")
    assert state.instrument.welcome == "Welcome to the test survey."
    assert [s.id for s in state.sections] == ["services", "partnership", "about"]  # 'practice' is IT staff only


def test_sections_follow_the_group(survey):
    _, _, _, (it_token,) = survey
    with session_scope() as s:
        state = respondent.load_survey(s, it_token)
    assert [s.id for s in state.sections] == ["services", "partnership", "practice", "about"]
    assert [i.id for i in state.sections[2].items] == ["itp1"]


def test_begin_marks_the_invitation_started(survey):
    _, _, (token, *_), _ = survey
    with session_scope() as s:
        assert respondent.begin(s, token) == token
    with session_scope() as s:
        assert respondent.begin(s, token) == token  # a second tab, a reload: harmless
        state = respondent.load_survey(s, token)
        assert state.started
        assert s.execute(select(Invitation.status).where(Invitation.id == 1)).scalar_one() == "started"
        assert s.execute(select(func.count()).select_from(SurveyDraft)).scalar_one() == 1


def test_invalid_answers_get_a_message_at_the_item_and_valid_ones_are_saved(survey):
    _, _, (token, *_), _ = survey
    with session_scope() as s:
        result = respondent.save_section(s, token, 0, {"rel1": 6, "rel2": 4, "rel3": "x", "logon_minutes": 61})
    assert not result.ok and result.state.section_index == 0
    assert set(result.problems) == {"rel1", "rel3", "logon_minutes"}
    assert "1 (Strongly disagree)" in result.problems["rel1"]
    assert result.problems["logon_minutes"] == "Please enter a number from 0 to 60 minutes."
    with session_scope() as s:
        result = respondent.save_section(s, token, 0, {"logon_minutes": "soon"})
    assert result.problems == {"logon_minutes": "Please enter a number, such as 12 or 2.5.", "rel1": "Please answer this question."}
    with session_scope() as s:
        assert respondent.load_survey(s, token).answers == {"rel2": 4}
    with session_scope() as s:
        result = respondent.save_section(s, token, 2, {"directorate": 9, "comments": "x" * 501})
    assert "1 (Finance)" in result.problems["directorate"] and "500 characters" in result.problems["comments"]


def test_required_items_block_next_but_not_back(survey):
    _, _, (token, *_), _ = survey
    with session_scope() as s:
        result = respondent.save_section(s, token, 1, {"par2": 3}, move="next")
    assert result.problems == {"par1": "Please answer this question."} and result.state.section_index == 1
    with session_scope() as s:
        result = respondent.save_section(s, token, 1, {"par2": 2}, move="back")
    assert result.ok and result.state.section_index == 0 and result.state.answers == {"par2": 2}


def test_close_the_tab_and_resume_where_you_left_off(survey):
    url, _, (token, *_), _ = survey
    with session_scope() as s:
        respondent.begin(s, token)
    with session_scope() as s:
        respondent.save_section(s, token, 0, {"rel1": 4, "rel2": 5, "logon_minutes": 2.5})
    with session_scope() as s:  # a new request, a new session: everything comes from the database
        respondent_state = respondent.load_survey(s, token)
    assert respondent_state.section_index == 1 and respondent_state.progress == pytest.approx(1 / 3)
    assert respondent_state.answers == {"rel1": 4, "rel2": 5, "logon_minutes": 2.5}
    assert respondent_state.current_section.id == "partnership"


def test_clearing_an_answer_removes_it(survey):
    _, _, (token, *_), _ = survey
    with session_scope() as s:
        respondent.save_section(s, token, 0, {"rel1": 4, "rel2": 5})
    with session_scope() as s:
        result = respondent.save_section(s, token, 0, {"rel2": None}, move="stay")
    assert result.state.answers == {"rel1": 4}


def test_items_of_another_section_are_a_programming_error(survey):
    _, _, (token, *_), _ = survey
    with session_scope() as s, pytest.raises(ValueError, match="not in section 'services'"):
        respondent.save_section(s, token, 0, {"par1": 3})
    with session_scope() as s, pytest.raises(ValueError, match="section index 7"):
        respondent.save_section(s, token, 7, {})


def test_review_and_go_to_section(survey):
    _, _, (token, *_), _ = survey
    with session_scope() as s:
        respondent.save_section(s, token, 0, {"rel1": 4, "logon_minutes": 12})
    with session_scope() as s:
        state = respondent.go_to_section(s, token, 99)
    assert state.at_review and state.section_index == 3
    rows = dict((section.id, dict((item.id, shown) for item, shown in items)) for section, items in state.review_rows())
    assert rows["services"]["rel1"] == "4 — Agree" and rows["services"]["logon_minutes"] == "12 minutes"
    assert rows["services"]["rel2"] == ""
    assert state.missing_required() == {"par1": "Please answer this question."}
    with session_scope() as s:
        assert respondent.go_to_section(s, token, 1).current_section.id == "partnership"


def test_submit_needs_the_required_items(survey):
    _, _, (token, *_), _ = survey
    with session_scope() as s:
        respondent.save_section(s, token, 0, {"rel1": 4})
    with session_scope() as s:
        result = respondent.submit(s, token)
    assert not result.submitted and result.problems == {"par1": "Please answer this question."} and result.section_index == 1
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Response)).scalar_one() == 0


def test_submit_writes_one_anonymous_response_and_ends_the_draft(survey):
    url, campaign_id, (token, *_), _ = survey
    script = '<script>alert("hi")</script> **bold** <b>x</b>'
    result = complete(url, token, {0: {"rel1": 4, "rel2": 4, "rel3": 4, "rel4": 4, "logon_minutes": 7},
                                   1: {"par1": 5}, 2: {"comments": script}})
    assert result.submitted and result.thank_you == "Thank you for taking part."
    with session_scope() as s:
        (response,) = s.execute(select(Response)).scalars().all()
        assert response.campaign_id == campaign_id and response.group_id == "business" and response.source == "web"
        assert response.submitted_on == today() and 0 <= response.duration_seconds < 60
        assert unpacked(response.answers_json, campaign_id) == {"rel1": 4, "rel2": 4, "rel3": 4, "rel4": 4, "logon_minutes": 7,
                                                     "par1": 5, "comments": script}
        assert response.quality_flags == "straightline"
        assert s.execute(select(func.count()).select_from(SurveyDraft)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(InvitationCompletion)).scalar_one() == 1
        assert s.execute(select(Invitation.status).where(Invitation.id == 1)).scalar_one() == "completed"


def test_control_characters_pasted_into_a_comment_are_dropped_and_line_breaks_kept(survey):
    """A NUL (or another control character) pasted in is invisible to the respondent, cuts the text short
    in an SPSS file and makes the CSV export unreadable to an import; tabs and line breaks are text."""
    url, _, (token, *_), _ = survey
    typed = "first line\r\nsecond\tpart\x00 and\x07 the rest\x1b"
    result = complete(url, token, {0: {"rel1": 4, "rel2": 3, "rel3": 4, "rel4": 4, "logon_minutes": 7},
                                   1: {"par1": 5}, 2: {"comments": typed}})
    assert result.submitted
    with session_scope() as s:
        (response,) = s.execute(select(Response)).scalars().all()
        stored = unpacked(response.answers_json, response.campaign_id)["comments"]
    assert stored == "first line\r\nsecond\tpart and the rest"


def test_double_submit_and_later_saves_say_the_link_is_used(survey):
    url, _, (token, *_), _ = survey
    assert complete(url, token).submitted
    for call in (lambda s: respondent.submit(s, token), lambda s: respondent.load_survey(s, token),
                 lambda s: respondent.save_section(s, token, 0, {"rel1": 1}), lambda s: respondent.begin(s, token)):
        with session_scope() as s, pytest.raises(SurveyUnavailable) as exc:
            call(s)
        assert exc.value.outcome == TokenOutcome.USED and "already been used" in exc.value.message
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Response)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(SurveyDraft)).scalar_one() == 0


def test_nothing_to_submit(survey):
    _, _, (token, *_), _ = survey
    with session_scope() as s:
        result = respondent.submit(s, token)
    assert not result.submitted and "par1" in result.problems


def test_closing_mid_survey_stops_saving_but_keeps_the_draft(survey):
    url, campaign_id, (token, *_), _ = survey
    with session_scope() as s:
        respondent.save_section(s, token, 0, {"rel1": 2})
    with session_scope() as s:
        campaigns.close_campaign(s, campaign_id, "admin")
    with session_scope() as s, pytest.raises(SurveyUnavailable) as exc:
        respondent.save_section(s, token, 1, {"par1": 2})
    assert exc.value.outcome == TokenOutcome.CLOSED
    with session_scope() as s:
        campaigns.open_campaign(s, campaign_id, "admin")
    with session_scope() as s:
        assert respondent.load_survey(s, token).answers == {"rel1": 2}


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 43])
def test_bad_tokens_raise_with_a_message(survey, token):
    with session_scope() as s, pytest.raises(SurveyUnavailable) as exc:
        respondent.load_survey(s, token)
    assert exc.value.outcome in (TokenOutcome.MALFORMED, TokenOutcome.UNKNOWN) and exc.value.message
