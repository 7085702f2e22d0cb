"""Campaign lifecycle: create, open, close, reopen, dates, thresholds, audit (SQLite and PostgreSQL)."""

import datetime as dt

import pytest
from sqlmodel import select
from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

from itcap.audit import AuditEntry
from itcap.storage import session_scope, today
from surveys import campaigns
from surveys.errors import NotFound, SurveyError
from surveys.store import save_instrument


def test_create_has_defaults_and_starts_as_draft(any_db_url):
    campaign_id = make_campaign(any_db_url, open_it=False)
    with session_scope() as s:
        c = campaigns.get_campaign(s, campaign_id)
        assert (c.status, c.min_group_size, c.comment_threshold, c.opens_on, c.closes_on) == ("draft", 5, 10, None, None)
        assert not campaigns.is_accepting_responses(c)
        assert campaigns.campaign_instrument(s, c).id == "test_perception"


def test_bad_settings_are_all_reported(any_db_url):
    with session_scope() as s:
        record = save_instrument(s, INSTRUMENT_YAML, actor="test")
        with pytest.raises(SurveyError) as exc:
            campaigns.create_campaign(s, instrument_id=record.id, name=" ", actor="t", min_group_size=1,
                                      opens_on=dt.date(2030, 5, 2), closes_on=dt.date(2030, 5, 1))
        text = "\n".join(exc.value.problems)
        # in the form's words (and the CLI's --comment-threshold), not the columns' (min_group_size)
        assert "Name: a campaign needs a name" in text and "Reporting threshold k: must be a whole number from 2" in text
        assert "Dates: the campaign opens on 02 May 2030, after it closes on 01 May 2030" in text
        with pytest.raises(SurveyError, match="^Comment threshold: must be"):
            campaigns.create_campaign(s, instrument_id=record.id, name="x", actor="t", min_group_size=8, comment_threshold=5)
        with pytest.raises(SurveyError) as exc:  # the limit named, not "at least k" for a number far above k
            campaigns.create_campaign(s, instrument_id=record.id, name="x", actor="t", comment_threshold=100_001)
        assert exc.value.problems == ["Comment threshold: at most 100,000 (got 100,001)"]
        with pytest.raises(SurveyError, match="no stored instrument with id 999"):
            campaigns.create_campaign(s, instrument_id=999, name="x", actor="t")


def test_lifecycle_open_close_reopen_is_audited(any_db_url):
    campaign_id = make_campaign(any_db_url, open_it=False)
    with session_scope() as s:
        assert campaigns.open_campaign(s, campaign_id, "alice").status == "open"
        assert campaigns.is_accepting_responses(campaigns.get_campaign(s, campaign_id))
    with session_scope() as s:
        assert campaigns.open_campaign(s, campaign_id, "alice").status == "open"  # no-op
        assert campaigns.close_campaign(s, campaign_id, "alice").status == "closed"
        assert campaigns.availability(campaigns.get_campaign(s, campaign_id)) == "closed"
    with session_scope() as s:
        assert campaigns.open_campaign(s, campaign_id, "bob").status == "open"
    with session_scope() as s:
        actions = [(e.actor, e.action) for e in s.exec(select(AuditEntry).where(AuditEntry.target == f"campaign:{campaign_id}")
                                                      .order_by(AuditEntry.id))]
    assert actions == [("test", "campaign.create"), ("alice", "campaign.open"), ("alice", "campaign.close"), ("bob", "campaign.reopen")]


def test_dates_bound_acceptance_inclusively(any_db_url):
    start, end = dt.date(2030, 3, 1), dt.date(2030, 3, 31)
    campaign_id = make_campaign(any_db_url, open_it=False, opens_on=start, closes_on=end)
    with session_scope() as s:
        c = campaigns.open_campaign(s, campaign_id, "t", on=start)
        assert campaigns.availability(c, start - dt.timedelta(days=1)) == "not_yet_open"
        assert campaigns.is_accepting_responses(c, start) and campaigns.is_accepting_responses(c, end)
        assert campaigns.availability(c, end + dt.timedelta(days=1)) == "ended"


def test_cannot_open_after_the_closing_date(any_db_url):
    campaign_id = make_campaign(any_db_url, open_it=False, closes_on=today() - dt.timedelta(days=1))
    with session_scope() as s, pytest.raises(SurveyError, match="closing date .* has passed"):
        campaigns.open_campaign(s, campaign_id, "t")


def test_update_checks_and_audits(any_db_url):
    campaign_id = make_campaign(any_db_url)
    with session_scope() as s:
        c = campaigns.update_campaign(s, campaign_id, "t", min_group_size=7, comment_threshold=12, name=" Renamed ")
        assert (c.min_group_size, c.comment_threshold, c.name) == (7, 12, "Renamed")
        with pytest.raises(SurveyError, match="^Comment threshold: must be a whole number at least"):
            campaigns.update_campaign(s, campaign_id, "t", min_group_size=20)
    with session_scope() as s:
        detail = s.exec(select(AuditEntry).where(AuditEntry.action == "campaign.update")).one().detail
    # said in the page's words, not the columns' (min_group_size: 5 → 7)
    assert "reporting threshold k: 5 → 7" in detail and "comment threshold: 10 → 12" in detail and "name: '" in detail


def test_a_threshold_respondents_were_told_can_rise_but_never_fall(any_db_url):
    """The privacy statement tells respondents k and the comment threshold: lowering either after the
    campaign opened (or took paper responses) would break that promise for answers already given."""
    from surveys.imports import add_responses

    draft = make_campaign(any_db_url, open_it=False)
    with session_scope() as s:  # nobody has seen a draft: it can still be set up either way
        campaigns.update_campaign(s, draft, "t", min_group_size=3, comment_threshold=4)
        add_responses(s, draft, [{"group": "business", "answers": {"rel1": 3}}], actor="t", source="import")
    with session_scope() as s, pytest.raises(SurveyError) as exc:
        campaigns.update_campaign(s, draft, "t", min_group_size=2, comment_threshold=3)
    assert exc.value.problems == [
        "Reporting threshold k: cannot go down (3 → 2) once the campaign has been opened or has "
        "responses: respondents were promised results only for groups of at least 3; it can only go up",
        "Comment threshold: cannot go down (4 → 3) once the campaign has been opened or has "
        "responses: respondents were promised comments shown only when at least 4 people commented; it can only go up"]
    opened = make_campaign(any_db_url)
    with session_scope() as s:
        campaigns.close_campaign(s, opened, "t")
    with session_scope() as s, pytest.raises(SurveyError, match="cannot go down"):
        campaigns.update_campaign(s, opened, "t", min_group_size=4)
    with session_scope() as s:
        c = campaigns.update_campaign(s, opened, "t", min_group_size=8, comment_threshold=12)
        assert (c.min_group_size, c.comment_threshold) == (8, 12)


def test_a_campaign_s_dates_read_as_words_when_one_or_both_are_not_set():
    """'… to …' said nothing of a campaign with no dates."""
    assert campaigns.date_window(None, None) == "no dates set"
    assert campaigns.date_window(dt.date(2026, 3, 1), None) == "from 2026-03-01"
    assert campaigns.date_window(None, dt.date(2026, 3, 31)) == "until 2026-03-31"
    assert campaigns.date_window(dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == "2026-03-01 to 2026-03-31"


def test_unknown_campaign(any_db_url):
    with session_scope() as s, pytest.raises(NotFound, match="campaign 42 not found"):
        campaigns.open_campaign(s, 42, "t")
