"""``itcap demo``: what it creates, that its story holds, and what a second run does."""

from __future__ import annotations

import re

import numpy as np
import pytest

from assessment import service
from itcap import accounts
from itcap.bootstrap import bootstrap
from itcap.cli import main
from itcap.demo import ASSESSOR_USERNAMES, DEMO_ACCOUNTS, DemoRefused, load_demo
from itcap.storage import session_scope
from tests.support import app_test, dashboard_test


def _passwords(report: str) -> dict[str, str]:
    found = {}
    for username, *_ in DEMO_ACCOUNTS:
        match = re.search(rf"^  {username}\s+(\S+)\s", report, re.MULTILINE)
        assert match, f"no password line for {username} in:\n{report}"
        found[username] = match.group(1)
    return found


def _demo_assessment(session):
    """This year's assessment (the newest; last year's is the other one)."""
    lead = accounts.get_by_username(session, "lead")
    this_year, last_year = service.list_assessments(session, account_id=lead.id)
    return this_year


def test_demo_creates_accounts_with_one_time_passwords(db_url):
    bootstrap(db_url)
    report = load_demo(seed=2026)
    passwords = _passwords(report)
    with session_scope(db_url) as session:
        for username, name, roles in DEMO_ACCOUNTS:
            account = accounts.get_by_username(session, username)
            assert account.display_name == name and account.role_set == frozenset(roles)
            assert passwords[username] not in account.password_hash
            assert account.password_hash.startswith("$argon2id$")
            assert accounts.authenticate(session, username, passwords[username]).ok
    assert len(set(passwords.values())) == len(passwords)


def test_demo_assessment_tells_the_story_it_says(db_url):
    bootstrap(db_url)
    report = load_demo(seed=2026)
    with session_scope(db_url) as session:
        assessment = _demo_assessment(session)
        assert assessment.org_unit == "Corporate IT" and assessment.name.startswith("IT capability review ")
        model = service.model_for(session, assessment)
        assert model.id == "itil-aligned"
        progress = {p.username: p for p in service.progress(session, assessment.id)}
        assert sorted(progress) == sorted(ASSESSOR_USERNAMES)
        assert progress["lead"].is_lead and not progress["lead"].submitted
        assert progress["lead"].rated == len(model.capabilities) - 2
        assert progress["assessor1"].submitted and progress["assessor2"].submitted
        assert progress["assessor1"].rated == progress["assessor2"].rated == len(model.capabilities)

        consensus = service.consensus(session, assessment.id)
        flagged = [c.capability_id for c in consensus if c.flagged]
        assert 2 <= len(flagged) <= 3
        [overridden] = [c for c in consensus if c.overridden]
        assert overridden.flagged and overridden.override.decided_by == "lead"
        assert overridden.override.rationale.strip() and overridden.override.level != overridden.median

        ratings = service.all_ratings(session, assessment.id)
        assert all(r.evidence.strip() and r.confidence in ("low", "medium", "high") for r, _ in ratings)
        levels = service.ratings_matrix(session, assessment.id).levels
        assert np.nanmin(levels) >= 1 and np.nanmax(levels) <= 5
        # Not a copy of one profile: the assessors disagree somewhere, mostly by one level.
        spreads = np.nanmax(levels, axis=1) - np.nanmin(levels, axis=1)
        assert (spreads == 1).sum() >= 2

        result = service.assessment_position(session, assessment.id)
    assert result.position == "supplier"
    assert result.confidence is not None and 0.6 <= result.confidence <= 1
    assert result.next_mode.id == "business_partner" and result.next_mode.gaps
    assert f"position: Supplier (stable in {result.confidence:.0%} of resamples of the assessors)" in report
    for capability_id in flagged:
        assert capability_id in report


def test_same_seed_same_demo_and_other_seeds_tell_the_same_story(sqlite_template, tmp_path, monkeypatch):
    import shutil

    from itcap.storage import dispose_engines

    matrices = {}
    for run, seed in (("a", 7), ("b", 7), ("c", 12345)):
        target = tmp_path / f"{run}.db"
        shutil.copyfile(sqlite_template, target)
        url = f"sqlite:///{target}"
        monkeypatch.setenv("ITCAP_DATABASE_URL", url)
        bootstrap(url)
        load_demo(seed=seed)
        with session_scope(url) as session:
            assessment = _demo_assessment(session)
            matrices[run] = service.ratings_matrix(session, assessment.id).levels
            assert service.assessment_position(session, assessment.id).position == "supplier"
        dispose_engines()
    np.testing.assert_array_equal(matrices["a"], matrices["b"])
    assert not np.array_equal(np.nan_to_num(matrices["a"]), np.nan_to_num(matrices["c"]))


def test_running_the_demo_twice_changes_nothing_and_says_so(db_url, capsys):
    bootstrap(db_url)
    assert main(["demo", "--seed", "3"]) == 0
    first = capsys.readouterr().out
    assert first.startswith("itcap demo loaded (seed 3)")
    with session_scope(db_url) as session:
        before = (len(accounts.list_accounts(session)), len(service.list_assessments(session)))
    assert main(["demo"]) == 0
    second = capsys.readouterr().out
    assert second.startswith("demo already loaded")
    assert not any(password in second for password in _passwords(first).values())
    with session_scope(db_url) as session:
        assert (len(accounts.list_accounts(session)), len(service.list_assessments(session))) == before


def test_demo_refuses_when_its_usernames_belong_to_real_accounts(db_url, capsys):
    bootstrap(db_url)
    with session_scope(db_url) as session:
        accounts.create_account(session, "director", "a real person's password", ["leadership"], "Real Director")
    with pytest.raises(DemoRefused, match="director"):
        load_demo()
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot load the demo") and "director" in err
    with session_scope(db_url) as session:  # all or nothing
        assert [a.username for a in accounts.list_accounts(session)] == ["admin", "director"]
        assert service.list_assessments(session) == []


def test_demo_refuses_a_database_in_use_unless_forced(db_url, capsys):
    """`itcap demo` on the organisation's own database added four accounts with printed passwords and
    made the demo survey the dashboard's default."""
    from surveys import campaigns
    from surveys.store import ensure_default_instrument

    bootstrap(db_url)
    with session_scope(db_url) as session:
        record = ensure_default_instrument(session)
        campaigns.create_campaign(session, instrument_id=record.id, name="Perception 2027", actor="admin")
        accounts.create_account(session, "kim", "a real person's password", ["assessor"], "Kim")
    assert main(["demo"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot load the demo: this database is in use (1 campaign, 1 account besides admin)")
    assert "--force" in err
    with session_scope(db_url) as session:  # nothing added
        assert [a.username for a in accounts.list_accounts(session)] == ["admin", "kim"]
        assert len(campaigns.list_campaigns(session)) == 1
    assert main(["demo", "--force"]) == 0
    with session_scope(db_url) as session:
        assert "director" in [a.username for a in accounts.list_accounts(session)]


def test_demo_pages_open_for_its_accounts(db_url):
    bootstrap(db_url)
    load_demo()
    with session_scope(db_url) as session:
        ids = {a.username: a.id for a in accounts.list_accounts(session)}
    rate = app_test(ids["lead"], page="pages/rate.py").run()
    assert not rate.exception
    assert "16 of 18" in rate.get("progress")[0].proto.text
    submitted = app_test(ids["assessor1"], page="pages/rate.py").run()
    assert any(s.value.startswith("Submitted on ") for s in submitted.success)
    consensus = app_test(ids["lead"], page="pages/consensus.py").run()
    assert not consensus.exception
    metrics = {m.label: m.value for m in consensus.metric}
    assert metrics["Submitted"] == "2 of 3" and metrics["Position"] == "Supplier" and metrics["Overrides in force"] == "1"
    dashboard = app_test(ids["director"], page="pages/dashboard.py").run()
    assert not dashboard.exception
    assert [s.value for s in dashboard.subheader][:2] == [
        next(s.value for s in dashboard.subheader if s.value.startswith("Supplier, stable in")), "Supplier"]
    assert any("The survey agrees with the assessment." in s.value for s in dashboard.success)


def test_demo_survey_tells_a_defensible_story(db_url):
    from itcap import insights
    from itcap.bootstrap import bootstrap

    bootstrap(db_url)
    load_demo(seed=2026)
    from itcap.storage import session_scope
    from surveys.campaigns import list_campaigns

    with session_scope(db_url) as session:
        [campaign] = [c for c in list_campaigns(session) if c.status == "open"]  # this year's
        assert campaign.status == "open"
        a = insights.assessment_insight(session, _demo_assessment(session).id)
        c = insights.campaign_insight(session, campaign.id, mode_order=[m.id for m in a.model.ordered_modes])
    # open: the figures hold back the newest k of each group (surveys.release); the participation counts do not
    k = campaign.min_group_size
    assert {g: v["n"] for g, v in c.comparison["groups"].items()} == {"business": 200 - k, "it": 100 - k}
    assert {g: r.responses for g, r in c.rates.items()} == {"business": 200, "it": 100}
    # beside the participation counts (200, 100), the n the comparison uses (195, 95), and why
    assert c.participation_note() == ("These counts are every response; the comparison, the charts and the report use "
                                      f"{300 - 2 * k} of 300 responses ({2 * k} held back until the survey closes).")
    verdicts = {s["id"]: s["verdict"] for s in c.comparison["scales"]}
    assert verdicts["business_understanding"] == "differs" and verdicts["innovation"] == "differs"
    assert verdicts["service_reliability"] == "equivalent" and verdicts["responsiveness"] == "equivalent"
    assert all(s["alpha"] > 0.7 for s in c.comparison["scales"]), "the scales hang together"
    assert c.reading.position == a.result.position == "supplier", "survey and assessment agree in the demo"
    rates = c.rates["business"]
    assert (rates.invited, rates.completed) == (320, 200) and rates.started > rates.completed
    quadrants = {p["id"]: p["quadrant"] for p in c.comparison["ipa"]["pairs"] if p["group"] == "business"}
    assert quadrants["logon"] == "Concentrate here"
    with session_scope(db_url) as session:
        from surveys.quality import responses_frame

        flags = " ".join(responses_frame(session, campaign.id)["flags"])
    assert "fast" in flags and "straightline" in flags, "the data-quality flags have something to show"


def test_demo_has_last_years_round_so_the_trend_shows_progress(db_url):
    """Last year's assessment and campaign: closed, a year earlier, and worse than this year's, so the
    Trend tab has a story (not yet Supplier → Supplier; service reliability up)."""
    import datetime as dt

    from sqlmodel import func, select

    from itcap import insights
    from itcap.storage import today
    from surveys.campaigns import list_campaigns
    from surveys.tables import Response

    bootstrap(db_url)
    report = load_demo(seed=2026)
    with session_scope(db_url) as session:
        lead = accounts.get_by_username(session, "lead")
        this_year, last_year = service.list_assessments(session, account_id=lead.id)
        assert last_year.status == "closed" and this_year.status == "open"
        assert last_year.assessed_on == today() - dt.timedelta(days=364)
        assert all(p.submitted for p in service.progress(session, last_year.id))
        # dated as last year's: its pages do not say it was submitted, or rated, today
        assert {a.submitted_at.date() for a in service.assessors(session, last_year.id)} == {last_year.assessed_on - dt.timedelta(days=1)}
        assert all(r.updated_at.date() < last_year.assessed_on
                   for r in service.ratings_of(session, last_year.id, lead.id).values())
        before = service.assessment_position(session, last_year.id)
        now = service.assessment_position(session, this_year.id)
        assert before.position == "none" and now.position == "supplier"
        assert before.modes[0].attainment < now.modes[0].attainment

        previous, current = sorted(list_campaigns(session), key=lambda c: c.id)
        assert previous.status == "closed" and current.status == "open"
        assert previous.opens_on < previous.closes_on < current.opens_on
        counts = {c.id: session.exec(select(func.count()).select_from(Response).where(Response.campaign_id == c.id)).one()
                  for c in (previous, current)}
        assert 0 < counts[previous.id] < counts[current.id]
        # last year's answers are dated within last year's campaign, spread over its weeks
        dates = session.exec(select(Response.submitted_on).where(Response.campaign_id == previous.id)).all()
        assert previous.opens_on <= min(dates) and max(dates) <= previous.closes_on and len(set(dates)) > 7

        attainment = insights.assessment_trend(session, this_year.id)
        perception = insights.campaign_trend(session, current.id)
        assert insights.assessment_trend(session, last_year.id)["when"].nunique() == 1  # nothing before last year
    supplier = attainment[attainment.series == "Supplier"].sort_values("when")
    assert len(supplier) == 2 and supplier.value.iloc[0] < 85 < supplier.value.iloc[1]
    reliability = perception[perception.series == "Service reliability"].sort_values("when")
    assert len(reliability) == 2 and reliability.value.iloc[0] < reliability.value.iloc[1]
    assert "last year's round" in report and "position: none (not yet Supplier)" in report
    [assessment_sentence, survey_sentence] = insights.progress_sentences(attainment, perception)
    assert assessment_sentence.startswith(f"Since the previous assessment, {last_year.name} ({last_year.assessed_on:%d %b %Y}): "
                                          "position not yet Supplier → Supplier; attainment Supplier ")
    assert assessment_sentence.endswith("The latest assessment is still open, so its figures are provisional.")
    # the survey's own reading moved too (Responsiveness 3.47 kept last year's from Supplier)
    assert survey_sentence.startswith(f"Since the previous survey, {previous.name}: reading not yet Supplier → Supplier; "
                                      "scale scores (on 1–5) Service reliability ")
    assert "Flagged" not in survey_sentence  # both rounds as they are: like with like

    # Flagged responses left out: last year's round (closed) loses its flagged ones, this year's (open)
    # keeps them until it closes, and the sentence says the rounds are not alike in that.
    with session_scope(db_url) as session:
        without_flagged = insights.campaign_trend(session, current.id, exclude_flagged=True)
        kept_flagged = [insights.campaign_insight(session, c.id, exclude_flagged=True) for c in (previous, current)]
    assert [i.excluded_flagged for i in kept_flagged] == [True, False] and kept_flagged[1].n_flagged > 0
    assert "flagged left out" in kept_flagged[0].participation_note()  # closed, flagged left out: said
    with session_scope(db_url) as session:  # closed, every response in: nothing to explain
        assert insights.campaign_insight(session, previous.id).participation_note() is None
    assert without_flagged.attrs["flagged_kept"] == [current.name]
    [_, survey_sentence] = insights.progress_sentences(attainment, without_flagged)
    assert (f"Flagged responses are left out of the closed rounds only; still counted in {current.name}, which is open."
            in survey_sentence)


def test_demo_dashboard_opens_on_this_years_round_with_a_trend(db_url):
    from surveys.campaigns import list_campaigns

    bootstrap(db_url)
    load_demo()
    with session_scope(db_url) as session:
        director = accounts.get_by_username(session, "director").id
        newest_assessment = _demo_assessment(session).id
        newest_campaign = max(c.id for c in list_campaigns(session) if c.status == "open")
    at = dashboard_test(director, "Trend")
    assert not at.exception
    assert at.selectbox(key="dashboard_assessment").value == newest_assessment
    assert at.selectbox(key="dashboard_campaign").value == newest_campaign
    assert not any("A trend appears once" in i.value for i in at.info)
    assert "##### Attainment of each mode over assessments (%)" in [m.value for m in at.markdown]
    # The lead has two capabilities to go and has not submitted: the position is provisional.
    assert any(w.value.startswith("Provisional: the assessment is still open — 1 of 3 assessors has not submitted, "
                                  "with 2 ratings still to give; the levels given so far count in the position.")
               for w in at.warning)


def test_assessors_appear_by_name_and_namesakes_stay_apart(db_url):
    from types import SimpleNamespace

    from itcap import insights

    bootstrap(db_url)
    load_demo()
    with session_scope(db_url) as session:
        insight = insights.assessment_insight(session, _demo_assessment(session).id)
    assert set(insight.heatmap_frame()["assessor"]) == {"Lee Ward", "Ana Patel", "Chris Okafor"}
    people = [SimpleNamespace(username=u, display_name=n) for u, n in (("ana1", "Ana Patel"), ("ana2", "Ana Patel"), ("bo", ""))]
    assert insights.AssessmentInsight.assessor_names(SimpleNamespace(progress=people)) == {
        "ana1": "Ana Patel (ana1)", "ana2": "Ana Patel (ana2)", "bo": "bo"}
