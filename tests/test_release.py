"""An open campaign's figures take in responses in batches of at least k per group, with at least k
held back (surveys.release): no two views of the dashboard or the report — the last one before the
close and the final one included — differ by fewer than k people of a group."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from itcap import insights
from itcap.storage import session_scope
from surveys import release
from surveys.campaigns import close_campaign, open_campaign
from surveys.imports import add_responses
from surveys.quality import responses_frame
from surveys.tables import Response
from tests.support import app_test, show_tab
from tests.survey_testdata import make_campaign

K = 5


def _add(url, campaign_id, group: str, n: int = 1) -> None:
    with session_scope(url) as s:
        add_responses(s, campaign_id, [{"group": group, "answers": {"rel1": 1 + i % 5, "par1": 3}} for i in range(n)],
                      actor="test", source="web")


def _view(url, campaign_id) -> dict[str, frozenset[str]]:
    """What a dashboard run sees: the batches due released, then the responses its figures use."""
    with session_scope(url) as s:
        insights.campaign_fingerprint(s, campaign_id)  # as every dashboard run does
    with session_scope(url) as s:
        frame = responses_frame(s, campaign_id, reported=True)
    return {g: frozenset(frame.index[frame["group"] == g]) for g in ("business", "it_staff")}


def test_a_group_s_responses_go_in_once_2k_are_waiting_all_but_k(any_db_url):
    campaign_id = make_campaign(any_db_url, min_group_size=K)
    _add(any_db_url, campaign_id, "business", 2 * K - 1)
    assert _view(any_db_url, campaign_id)["business"] == frozenset()  # 9 waiting: nothing yet
    _add(any_db_url, campaign_id, "business")
    assert len(_view(any_db_url, campaign_id)["business"]) == K  # 10 waiting: 5 go in, 5 stay
    _add(any_db_url, campaign_id, "business", K - 1)
    assert len(_view(any_db_url, campaign_id)["business"]) == K  # 9 waiting again
    _add(any_db_url, campaign_id, "business", 3 * K)
    assert len(_view(any_db_url, campaign_id)["business"]) == K + 19  # 9 + 15 = 24 waiting: 19 go in
    with session_scope(any_db_url) as s:
        assert release.held_counts(s, campaign_id) == {"business": K}
        batches = s.execute(select(Response.release, func.count()).where(Response.campaign_id == campaign_id)
                            .group_by(Response.release).order_by(Response.release)).all()
    assert [(b, n) for b, n in batches if b is not None] == [(1, K), (2, 19)]


def test_which_responses_stay_held_is_drawn_afresh_not_the_highest_ids(any_db_url):
    """Releasing the lowest ids left the highest held, so each next batch was mostly the newest
    responses: one person plus k − 1 open-link submissions of a known answer made a batch that gave
    that person's answers. Three releases that each keep exactly the k highest ids happen by chance
    with p = (1/252)³."""
    campaign_id = make_campaign(any_db_url, min_group_size=K)
    kept_the_highest = []
    _add(any_db_url, campaign_id, "business", K)
    for _ in range(3):
        _add(any_db_url, campaign_id, "business", K)  # 2k waiting: k go in
        with session_scope(any_db_url) as s:
            waiting = set(s.execute(select(Response.id).where(Response.campaign_id == campaign_id,
                                                              Response.release.is_(None))).scalars())
        assert len(waiting) == 2 * K
        released = _view(any_db_url, campaign_id)["business"]
        still = waiting - released
        assert len(still) == K and still < waiting
        kept_the_highest.append(still == set(sorted(waiting)[K:]))
    assert not all(kept_the_highest)


def test_an_as_reported_export_before_anyone_opened_the_dashboard_is_what_the_dashboard_would_show(any_db_url):
    """`responses export --as-reported` on a fresh demo wrote 0 responses: nothing had been released
    because nobody had looked yet. The export is a look too: it releases what is due, as a run would."""
    from surveys.exports import prepare_export

    campaign_id = make_campaign(any_db_url, min_group_size=K)
    _add(any_db_url, campaign_id, "business", 4 * K)
    _add(any_db_url, campaign_id, "it_staff", 3 * K)
    with session_scope(any_db_url) as s:
        exported = prepare_export(s, campaign_id, privileged=True, reported=True).frame
    assert exported["group"].value_counts().to_dict() == {"business": 3 * K, "it_staff": 2 * K}
    assert {g: len(ids) for g, ids in _view(any_db_url, campaign_id).items()} == {"business": 3 * K, "it_staff": 2 * K}


def test_no_two_views_differ_by_fewer_than_k_of_a_group_through_the_close(any_db_url):
    """Responses of two groups arrive one at a time, in a random order, with a look at the dashboard
    after each; then the campaign closes. Compared, any two of those views — consecutive or not —
    differ by nobody or by at least k people of each group, so no subtraction isolates fewer."""
    campaign_id = make_campaign(any_db_url, min_group_size=K)
    rng = random.Random(7)
    arrivals = ["business"] * 37 + ["it_staff"] * 23
    rng.shuffle(arrivals)
    views = []
    for group in arrivals:
        _add(any_db_url, campaign_id, group)
        views.append(_view(any_db_url, campaign_id))
    assert 0 < len(views[-1]["business"]) < 37 and len(views[-1]["it_staff"]) < 23  # some held back while open
    with session_scope(any_db_url) as s:
        close_campaign(s, campaign_id, "test")
    views.append(_view(any_db_url, campaign_id))
    assert {g: len(ids) for g, ids in views[-1].items()} == {"business": 37, "it_staff": 23}  # closed: everyone
    distinct = list(dict.fromkeys(tuple(sorted(v.items())) for v in views))
    for i, first in enumerate(distinct):
        for second in distinct[i + 1:]:
            for (group, before), (_, after) in zip(first, second):
                assert before <= after  # a response once in the figures stays in them
                assert not 0 < len(after - before) < K, (group, len(after - before))


def test_a_reopened_campaign_keeps_what_its_closed_figures_showed(any_db_url):
    """Reopened (to import paper responses, say), a campaign must not drop from its figures the few
    responses its closed figures had and an open one would hold back: that difference would single
    them out. New ones wait for a batch as before."""
    campaign_id = make_campaign(any_db_url, min_group_size=K)
    _add(any_db_url, campaign_id, "business", 3 * K)
    _add(any_db_url, campaign_id, "it_staff", 3 * K)
    before_close = _view(any_db_url, campaign_id)  # 10 of each in, 5 held
    with session_scope(any_db_url) as s:
        close_campaign(s, campaign_id, "test")
    closed = _view(any_db_url, campaign_id)
    assert {g: len(ids) for g, ids in closed.items()} == {"business": 3 * K, "it_staff": 3 * K}
    with session_scope(any_db_url) as s:
        open_campaign(s, campaign_id, "test")
    assert _view(any_db_url, campaign_id) == closed  # nothing dropped on reopening
    _add(any_db_url, campaign_id, "business", 2 * K - 1)
    assert _view(any_db_url, campaign_id) == closed  # 9 new ones wait
    _add(any_db_url, campaign_id, "business")
    reopened = _view(any_db_url, campaign_id)
    assert closed["business"] < reopened["business"] and len(reopened["business"] - closed["business"]) == K
    for group in ("business", "it_staff"):
        assert before_close[group] <= closed[group] <= reopened[group]


def test_the_dashboard_says_why_its_figures_lag_the_response_count(db_url):
    from tests import builders

    ids = builders.people(db_url)
    campaign_id = make_campaign(db_url, min_group_size=K)
    _add(db_url, campaign_id, "business", 4 * K)
    _add(db_url, campaign_id, "it_staff", 2 * K + 2)
    at = app_test(ids["lee"], page="pages/dashboard.py").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    with session_scope(db_url) as s:
        assert release.held_counts(s, campaign_id) == {"business": K, "it_staff": K}  # 20: 15 in; 12: 7 in
    assert "22 of 32 responses (10 held back until the survey closes)" in captions
    # why, in one line (once: the Perception tab does not repeat it), and how, in its tooltip
    (why,) = [c for c in at.caption if "New responses join the figures in batches" in c.value]
    assert "no two views of it differ by fewer than 5 people" in why.value
    assert "10 responses are held back now" in why.proto.help and "a random 5 stay" in why.proto.help
    show_tab(at, "Perception")
    assert len([c for c in at.caption if "New responses join the figures in batches" in c.value]) == 1


def test_a_closed_campaign_holds_nothing_back(db_url):
    campaign_id = make_campaign(db_url, min_group_size=K)
    _add(db_url, campaign_id, "business", K + 1)
    _add(db_url, campaign_id, "it_staff", K + 1)
    with session_scope(db_url) as s:
        close_campaign(s, campaign_id, "test")
        insight = insights.campaign_insight(s, campaign_id)
    assert {g: v["n"] for g, v in insight.comparison["groups"].items()} == {"business": K + 1, "it_staff": K + 1}
    assert insight.release_note() is None and "held back" not in insight.responses_note()


def test_a_reader_that_has_written_already_releases_in_its_own_transaction(db_url):
    """SQLite: a session holding the write lock (responses added, not committed) must not wait for a
    second connection's release — it would wait for itself."""
    campaign_id = make_campaign(db_url, min_group_size=K)
    with session_scope(db_url) as s:
        add_responses(s, campaign_id, [{"group": g, "answers": {"rel1": 3}} for g in ("business", "it_staff") for _ in range(3 * K)],
                      actor="test", source="web")
        insight = insights.campaign_insight(s, campaign_id)  # not committed yet
    assert {g: v["n"] for g, v in insight.comparison["groups"].items()} == {"business": 2 * K, "it_staff": 2 * K}


def test_a_dashboard_does_not_wait_for_a_writer_holding_the_campaign(any_db_url):
    """An import holds the campaign's lock from its checks to its commit (on SQLite, the database's
    write lock): a dashboard run with a batch due leaves the release for later instead of waiting."""
    import time

    from sqlalchemy import text

    from itcap.storage import get_engine

    campaign_id = make_campaign(any_db_url, min_group_size=K)
    _add(any_db_url, campaign_id, "business", 2 * K)
    writer = get_engine(any_db_url).connect()
    holding = writer.begin()
    writer.execute(text("UPDATE campaign SET status = status WHERE id = :c"), {"c": campaign_id})  # as lock_campaign
    try:
        started = time.monotonic()
        with session_scope(any_db_url) as s:
            fingerprint = insights.campaign_fingerprint(s, campaign_id)
        waited = time.monotonic() - started
    finally:
        holding.rollback()
        writer.close()
    assert fingerprint.released == 0 and waited < 10  # not the 30 s a statement would wait
    assert len(_view(any_db_url, campaign_id)["business"]) == K  # released on the next look


def test_a_group_with_enough_answers_not_yet_released_is_not_called_too_small(db_url):
    campaign_id = make_campaign(db_url, min_group_size=K)
    _add(db_url, campaign_id, "business", 4 * K)
    _add(db_url, campaign_id, "it_staff", K + 3)  # 8: over k, but fewer than 2k waiting
    with session_scope(db_url) as s:
        insight = insights.campaign_insight(s, campaign_id)
    assert insight.comparison is None and insight.described_group == "business"  # Business users' own figures meanwhile
    assert insight.problem.startswith("Nothing to compare yet: IT staff has enough responses, not yet in the figures — "
                                      "until the survey closes, a group's responses enter the figures in batches")
    assert "fewer than" not in insight.problem
    results = insight.rates_table().set_index("group")["results"]
    assert results["IT staff"] == f"not yet in the figures (held back until {2 * K} are waiting or the survey closes)"


def test_a_draft_with_paper_responses_is_not_said_to_be_open(db_url):
    """Paper responses imported ahead of the opening: the figures hold them back as they would while
    open, and the words say "until the survey closes" — "while the survey is open" said of a draft."""
    campaign_id = make_campaign(db_url, min_group_size=K, open_it=False)
    _add(db_url, campaign_id, "business", K + 1)
    _add(db_url, campaign_id, "it_staff", K + 1)
    with session_scope(db_url) as s:
        insight = insights.campaign_insight(s, campaign_id)
    assert insight.campaign.status == "draft" and insight.comparison is None
    assert "until the survey closes" in insight.problem and "open" not in insight.problem
