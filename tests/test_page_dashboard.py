"""AppTest: the leadership dashboard for each role, with data, without data, below the threshold."""

import io

import pytest

from tests import builders, download_capture
from tests.support import DASHBOARD, TEXT_KINDS, EveryTab, app_test, dashboard_test, show_tab
from tests.survey_testdata import IT_STAFF_ANSWER_NO_SCALE_ITEM, import_and_close

downloads = download_capture.downloads  # fixture: what the download buttons serve
PAGE = DASHBOARD


def _texts(at) -> str:
    parts = [e.value for kind in TEXT_KINDS for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def populated(db_url):
    ids = builders.people(db_url)
    builders.supplier_assessment(db_url, ids)
    builders.perception_campaign(db_url)
    return ids


def test_leadership_sees_position_survey_reading_and_every_tab(populated):
    first = dashboard_test(populated["lee"])
    # only the tab in view is drawn: the perception's tables and charts wait for their tab
    assert not first.exception and first.tabs[0].label == "Maturity"
    assert not [d for d in first.dataframe if "scale" in d.value.columns]
    assert "Business users and IT staff: scale scores with 95% confidence intervals" not in _texts(first)
    at = EveryTab.of(populated["lee"])
    text = _texts(at)
    assert "Where IT stands" in text
    headline = [s.value for s in at.subheader][0]
    assert headline.startswith("Supplier, stable in") and "below Business Partner's targets" in headline
    assert any(c.value.startswith("Short of Business Partner: ") for c in at.caption)  # why the survey reads no higher
    assert "SURVEY READING" in text
    assert "Business users and IT staff: scale scores with 95% confidence intervals" in text
    assert "First 100 days — towards Business Partner" in text
    assert "Where the assessors disagree" in text and "Inter-rater reliability" in text
    assert "Response rates" in text
    assert len(at.get("vega_lite_chart")) >= 6  # radar, gaps, perception, IPA, heatmap, rates
    import json

    # legends and axis labels in the page's text colour: Streamlit's theme grey is under WCAG AA on white
    for chart in at.get("vega_lite_chart"):
        config = json.loads(chart.proto.spec)["config"]
        assert config["legend"]["labelColor"] == config["axis"]["labelColor"] == "#31333F"
    # the reliability sentences wrap in a plain table instead of being cut off in a grid
    (irr,) = [t.value for t in at.table if "Statistic" in t.value.columns]
    assert list(irr["Statistic"])[-1] == "Krippendorff's α (ordinal)" and irr["95% CI"].iloc[-1] == "—"
    assert irr["Value"].str.fullmatch(r"-?\d\.\d\d|—").all() and "What it says" in irr.columns
    captions = [c.value for c in at.caption]
    assert len([c for c in captions if "ICC uses" in c or "ICC and α use" in c]) == 1
    # tables read as a board would read them: no field names, reasons as sentences
    (recs,) = [d.value for d in at.dataframe if "Recommendation" in d.value.columns]
    assert list(recs.columns)[:4] == ["Rank", "Capability", "First 100 days", "Blocks the mode"]  # in view beside the name
    assert not {"capability_id", "category_id", "mode_id"} & set(recs.columns)
    (modes,) = [d.value for d in at.dataframe if "mode" in d.value.columns]
    assert "why not achieved" not in modes.columns
    assert any(m.value.startswith("- **Business Partner** not achieved: ") for m in at.markdown)
    # the perception tables: named alike, p-values as a reader expects them (the CSV keeps every digit)
    scales, items = ([d.value for d in at.dataframe if key in d.value.columns] for key in ("scale", "item"))
    for (table,) in (scales, items):
        assert {"n Business users", "mean Business users", "Hedges g", "Welch p (Holm)", "TOST p"} <= set(table.columns)
        assert table["TOST p"].dropna().str.fullmatch(r"< 0\.001|0\.\d\d\d|1\.000|").all(), list(table["TOST p"])
    # the chart's table carries the confidence intervals it draws, so its CSV can rebuild the error bars
    (scale_table,) = scales
    assert {"95% CI low Business users", "95% CI high Business users", "95% CI low IT staff",
            "95% CI high IT staff"} <= set(scale_table.columns)


def test_a_consensus_set_by_the_lead_is_shown_with_who_and_why(populated, db_url):
    """Otherwise the radar's level contradicts the assessors' own levels with nothing to say why."""
    from assessment import service
    from itcap import accounts
    from itcap.storage import session_scope

    with session_scope(db_url) as session:
        (assessment,) = service.list_assessments(session)
        lead = accounts.get_account(session, populated["lead"])
        lead.display_name = "Lena Lead"
        median = next(c.median for c in service.consensus(session, assessment.id) if c.capability_id == "enterprise_architecture")
        service.override_consensus(session, assessment.id, "enterprise_architecture", 3,
                                   "Roadmap <b>seen</b> in the board pack", actor=lead)
    at = EveryTab.of(populated["lee"])
    assert not at.exception
    (overrides,) = [d.value for d in at.dataframe if "rationale" in d.value.columns]
    assert overrides.to_dict("records") == [{
        "capability": "Enterprise architecture", "decision": "override", "assessors' median": f"{median:g}",
        "consensus used": 3, "set by": "Lena Lead", "on": overrides["on"].iloc[0],
        "rationale": "Roadmap <b>seen</b> in the board pack"}]  # (no "check" column on screen: nothing to check)
    assert median != 3
    (gaps,) = [d.value for d in at.dataframe if "shortfall" in d.value.columns]
    assert "set by lead assessor" in gaps.columns
    assert any("set the consensus of 1 capability" in c.value for c in at.caption)


def test_a_decision_an_assessor_overtook_is_marked_and_a_confirmed_median_is_not_an_override(populated, db_url):
    """The lead's page warns when an assessor's level changes after a decision; the director's table
    of decisions must not show the old decision (and its rationale about the old levels) as current."""
    from assessment import service
    from itcap import accounts
    from itcap.storage import session_scope

    with session_scope(db_url) as session:
        (assessment,) = service.list_assessments(session)
        model = service.model_for(session, assessment)
        lead, ana, ben = (accounts.get_account(session, populated[name]) for name in ("lead", "ana", "ben"))
        confirmed_id, overridden_id = model.capability_ids[:2]
        for who, level in ((lead, 3), (ana, 2), (ben, 4)):  # two levels apart: flagged, median 3
            service.save_rating(session, assessment.id, who, confirmed_id, level)
        service.override_consensus(session, assessment.id, confirmed_id, 3, "Discussed: the median holds", actor=lead)
        for who in (lead, ana, ben):
            service.save_rating(session, assessment.id, who, overridden_id, 2)
        service.override_consensus(session, assessment.id, overridden_id, 4, "Board pack shows more", actor=lead)
        service.save_rating(session, assessment.id, ana, overridden_id, 3)  # after the decision
    at = EveryTab.of(populated["lee"])
    (overrides,) = [d.value for d in at.dataframe if "rationale" in d.value.columns]
    rows = {r["capability"]: r for r in overrides.to_dict("records")}
    confirmed, overridden = rows[model.capability(confirmed_id).name], rows[model.capability(overridden_id).name]
    assert confirmed["decision"] == "median confirmed" and confirmed["check"] == ""
    assert overridden["decision"] == "override"
    assert overridden["check"] == "an assessor's level changed after this decision: the lead assessor is asked to check it"
    assert any("1 of the lead assessor's decisions predates an assessor's change and is to be checked" in w.value
               for w in at.warning)


def test_comments_are_plain_text_and_over_their_threshold(populated):
    at = dashboard_test(populated["lee"], "Perception")
    comments = [c for d in at.dataframe if list(d.value.columns) == ["Comment"] for c in d.value["Comment"]]
    assert "<script>alert('x')</script> **faster** laptops" in comments
    assert sum(c.startswith("Comment number") for c in comments) == 11
    # the phone's list of the same comments: escaped, never markup
    [phone] = [h.value for h in at.html if "itcap-comments" in h.value]
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; **faster** laptops" in phone and "<script>" not in phone
    assert phone.count("<p ") == 12


def test_a_comment_several_people_wrote_is_listed_once_with_their_number(db_url):
    from itcap.storage import session_scope
    from surveys.campaigns import close_campaign

    ids = builders.people(db_url)
    texts = ["Friendly and professional people."] * 4 + [f"Comment number {n}" for n in range(8)]
    campaign_id = builders.perception_campaign(db_url, comment_texts=texts)
    with session_scope(db_url) as session:
        close_campaign(session, campaign_id, "admin")  # every comment in the figures
    at = dashboard_test(ids["lee"], "Perception")
    # the number in a column of its own, not in the words (a respondent can write "(40 people)" too)
    [table] = [d.value for d in at.dataframe if list(d.value.columns) == ["Comment", "People"]]
    assert sorted(zip(table["Comment"], table["People"])) == sorted([("Friendly and professional people.", 4)]
                                                                    + [(t, 1) for t in texts[4:]])
    [phone] = [h.value for h in at.html if "itcap-comments" in h.value]
    assert phone.count("<p ") == 9 and "<strong>4 people</strong>\nFriendly and professional people." in phone
    assert any(e.label.endswith("(12)") for e in at.expander)  # the question's count is of people
    assert "a comment several people wrote once, with their number" in _texts(at)


def test_admin_sees_the_dashboard_too(populated):
    at = app_test(populated["admin"], page="pages/dashboard.py").run()
    assert not at.exception and "Where IT stands" in _texts(at)


@pytest.mark.parametrize("username", ["ana", "lead"])
def test_assessors_are_not_served_thedashboard_test(populated, username):
    at = app_test(populated[username], page="pages/dashboard.py").run()
    assert not at.exception
    assert "Where IT stands" not in _texts(at)


def test_empty_database_explains_what_to_do(db_url):
    ids = builders.people(db_url)
    at = app_test(ids["lee"], page="pages/dashboard.py").run()
    assert not at.exception
    assert any("Nothing to show yet" in i.value and "itcap demo" in i.value for i in at.info)


def test_a_campaign_below_the_threshold_shows_no_numbers_and_says_why(db_url):
    ids = builders.people(db_url)
    builders.perception_campaign(db_url, n_business=30, n_it=3)
    at = dashboard_test(ids["lee"], "Perception")
    assert not at.exception
    text = _texts(at)
    # whose responses are missing, by name (never a count): business users had plenty
    assert ("Nothing to compare: IT staff has fewer than 5 responses to analyse (the campaign's reporting "
            "threshold), and a comparison needs two groups with at least 5.") in text
    # Business users' own figures instead, and none of IT staff's
    assert "Business users: scale scores with 95% confidence intervals" in text
    assert "IT staff and" not in text and "and IT staff:" not in text
    assert "No assessment yet" in text


def test_excluding_flagged_responses_is_offered_and_recomputes(populated, db_url):
    from itcap.storage import session_scope
    from surveys import campaigns
    from surveys.campaigns import close_campaign
    from surveys.imports import add_responses
    from surveys.instrument import load_default_instrument
    from surveys.quality import responses_frame

    with session_scope(db_url) as session:
        (campaign,) = campaigns.list_campaigns(session)
        flags = responses_frame(session, campaign.id)["flags"]
    straightlined = int((flags == "straightline").sum())
    assert straightlined and (flags.isin(["", "straightline"])).all()
    at = dashboard_test(populated["lee"], "Perception")
    # included by default, and the page says so: an analyst's first question
    assert (f"The figures include {straightlined} responses with data-quality flags ({straightlined} straight-lining (the same answer to a whole section))."
            in _texts(at))
    # open: figures without the flagged few would give their answers by difference, so they wait for the
    # close — the switch is off and cannot be turned on (not on and doing nothing), and the page says when
    toggle = at.toggle(key="dashboard_exclude_flagged")
    assert toggle.disabled and toggle.value is False and "Available once the survey closes" in toggle.help
    at.session_state["dashboard_exclude_flagged"] = True  # as a closed campaign chosen before left it
    at.run()
    assert not at.exception and at.toggle(key="dashboard_exclude_flagged").value is False
    assert "Flagged responses excluded." not in _texts(at)
    assert "The figures include" in _texts(at) and "They can be left out once the survey closes." in _texts(at)
    assert "in the sidebar leaves them out" not in _texts(at)

    # closed: every row is in the thresholded export, with its flags; leaving them out shows nothing new
    instrument = load_default_instrument()
    with session_scope(db_url) as session:
        add_responses(session, campaign.id, [
            {"group": group, "answers": {item.id: 4 for item in instrument.items_for_group(group) if item.type in ("likert", "numeric")},
             "duration_seconds": 600} for group in ("business", "it") for _ in range(5)], actor="admin", source="web")
        close_campaign(session, campaign.id, "admin")
    at = app_test(populated["lee"], page=PAGE)
    at.session_state["dashboard_exclude_flagged"] = True
    show_tab(at, "Perception")
    assert not at.exception and not any("not left out" in w.value for w in at.warning)
    assert "Flagged responses excluded." in _texts(at) and "The figures include" not in _texts(at)


def test_report_tab_offers_reports_and_threshold_respecting_data(populated, db_url):
    """The rows of the survey once it has closed: two downloads taken while responses arrive would,
    compared, give away each new respondent's answers."""
    from itcap.storage import session_scope
    from surveys.campaigns import close_campaign, list_campaigns

    at = dashboard_test(populated["lee"], "Report")
    labels = [b.label for b in at.get("download_button")]
    assert {"HTML report", "PDF report", "Ratings (CSV)", "All data (XLSX)"} <= set(labels)
    assert not {"Excel (XLSX)", "SPSS (SAV)"} & set(labels), "no rows while the campaign is open"
    assert any("can be downloaded here once the campaign has closed" in i.value for i in at.info)
    with session_scope(db_url) as session:
        close_campaign(session, list_campaigns(session)[0].id, "admin")
    at = dashboard_test(populated["lee"], "Report")
    labels = [b.label for b in at.get("download_button")]
    assert {"CSV", "Excel (XLSX)", "SPSS (SAV)"} <= set(labels)
    assert any("reporting threshold applied" in c.value for c in at.caption)
    assert not any("Every response" in c.value for c in at.caption), "the dashboard never offers the privileged export"


def _a_chart():
    """A chart in place of a builder that should not have been called (so the page still draws)."""
    import altair as alt
    import pandas as pd

    return alt.Chart(pd.DataFrame({"x": [1]})).mark_point().encode(x="x:Q")


CHART_BUILDERS = ("radar_chart", "maturity_rows_chart", "gap_chart", "perception_chart", "ipa_chart", "response_rate_chart",
                  "disagreement_heatmap", "attainment_trend_chart", "scale_trend_chart")


def test_warm_up_fills_the_caches_the_page_reads(populated, db_url, monkeypatch):
    """After the server's warm-up the first visitor neither analyses nor builds a chart: every chart
    the page draws (both trends' too) was built from the same definitions, under the same keys."""
    import datetime as dt

    from itcap import charts, insights
    from itcap.ui import dashboard_data

    builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2027, 10, 1), seed=5, uplift=1)
    newest = builders.perception_campaign(db_url, name="Perception survey 2027", seed=9)
    from itcap.storage import session_scope
    from surveys.invitations import create_invitations

    with session_scope(db_url) as session:  # invitations: the participation chart has bars to draw
        create_invitations(session, newest, "business", 80, "admin")
    dashboard_data._campaign.clear()
    dashboard_data._assessment.clear()
    dashboard_data._trends.clear()
    dashboard_data.warm_up()
    calls, built = [], []
    original = insights.campaign_insight
    monkeypatch.setattr(insights, "campaign_insight", lambda *a, **k: calls.append(1) or original(*a, **k))
    for name in CHART_BUILDERS:
        monkeypatch.setattr(charts, name, lambda *a, _name=name, **k: built.append(_name) or _a_chart())
    at = EveryTab.of(populated["lee"])
    assert "Where IT stands" in _texts(at)
    assert calls == [], "the page found the warmed-up analysis in the cache"
    assert built == [], "the page found every chart built by the warm-up"
    assert len(at.get("vega_lite_chart")) >= 12  # radar, gaps, heatmap, IPA (each with its phone version), perception, rates, two trends
    assert "##### Scale scores over survey campaigns" in [m.value for m in at.markdown]


def test_dashboard_with_invitations_in_every_state(populated, db_url):
    """Response rates come from invitations; their counts are part of the cache key."""
    from itcap.storage import session_scope
    from surveys.campaigns import list_campaigns
    from surveys.invitations import create_invitations
    from surveys.respondent import begin

    with session_scope(db_url) as session:
        campaign_id = list_campaigns(session)[0].id
        links = create_invitations(session, campaign_id, "business", 12, "admin")
    with session_scope(db_url) as session:
        begin(session, links[0].token)
    at = dashboard_test(populated["lee"], "Participation")
    assert not at.exception
    assert "Where IT stands" in _texts(at)
    rates = [d.value for d in at.dataframe if "invited" in d.value.columns]
    assert rates and int(rates[0].loc[rates[0]["group"] == "Business users", "invited"].iloc[0]) == 12
    # the builder's responses came without links: the bars leave them out, and a line says so, with
    # the same counts as the table, so the responses counted elsewhere add up
    table = rates[0].set_index("group")
    assert (table["responses"] == table["completed"] + table["imported"]).all() and table["imported"].sum() > 0
    total = int(table["responses"].sum())
    note = next(c.value for c in at.caption if "imported (" in c.value)
    assert note.startswith(f"The {total:,} responses include {int(table['imported'].sum()):,} imported (Business users "
                           f"{int(table.loc['Business users', 'imported']):,}")


def test_one_page_run_analyses_the_campaign_once_for_the_banner_the_tabs_and_the_trend(populated, monkeypatch):
    """At 50,000 responses an analysis takes a second: the trend asks for the chosen campaign too, and
    must find the page's own analysis rather than repeat it under another cache key."""
    from itcap import insights
    from itcap.ui import dashboard_data

    for cached in (dashboard_data._campaign, dashboard_data._trends, dashboard_data._assessment):
        cached.clear()
    calls = []
    original = insights.campaign_insight
    monkeypatch.setattr(insights, "campaign_insight", lambda *a, **k: calls.append(a[1]) or original(*a, **k))
    at = EveryTab.of(populated["lee"])
    assert "Where IT stands" in _texts(at)
    assert len(calls) == 1, calls


def test_trend_appears_with_a_second_assessment_and_campaign(populated, db_url):
    import datetime as dt

    at = dashboard_test(populated["lee"], "Trend")
    assert any("A trend appears once there is more than one" in i.value for i in at.info)
    builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2027, 10, 1), seed=5, uplift=1)
    builders.perception_campaign(db_url, name="Perception survey 2027", seed=9)
    at = dashboard_test(populated["lee"], "Trend")
    assert not at.exception
    headings = [m.value for m in at.markdown]
    assert "##### Attainment of each mode over assessments (%)" in headings
    assert "##### Scale scores over survey campaigns" in headings
    tables = [d.value for d in at.dataframe if {"when", "series", "value"} <= set(d.value.columns)]
    attainment = next(t for t in tables if set(t["series"]) == {"Supplier", "Business Partner", "Business Leader"})
    assert attainment["when"].nunique() == 2
    # Drawn in proportion: attainment on 0–100 with the "achieved" line, scale scores on the
    # response scale's whole 1–5 (not zoomed in on the difference).
    import json

    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    by_title = {layer["encoding"]["y"].get("title"): spec for spec in specs for layer in spec.get("layer", [])[:1]
                if "y" in layer.get("encoding", {})}
    assert by_title["Attainment %"]["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 100]
    assert any(layer.get("mark", {}).get("type") == "rule" for layer in by_title["Attainment %"]["layer"])
    assert by_title["Scale score"]["layer"][0]["encoding"]["y"]["scale"]["domain"] == [1.0, 5.0]


def test_a_rerun_draws_every_chart_from_what_the_first_run_built(populated, db_url, monkeypatch):
    """Building a chart through altair costs more than drawing it: a rerun (a widget touched, a tab
    opened) reuses the specs kept on the cached results — the trends' too."""
    import datetime as dt

    from itcap import charts

    builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2027, 10, 1), seed=5, uplift=1)
    builders.perception_campaign(db_url, name="Perception survey 2027", seed=9)
    session = app_test(populated["lee"], page=PAGE)
    drawn = len(EveryTab(session).get("vega_lite_chart"))
    built = []
    for name in CHART_BUILDERS:
        monkeypatch.setattr(charts, name, lambda *a, _name=name, **k: built.append(_name) or _a_chart())
    again = EveryTab(session)  # every tab opened again
    assert "##### Scale scores over survey campaigns" in [m.value for m in again.markdown]
    assert len(again.get("vega_lite_chart")) == drawn
    assert built == []


def test_an_assessment_and_a_survey_far_apart_in_time_are_said_to_be(populated, db_url):
    import datetime as dt

    from itcap.storage import session_scope
    from surveys import campaigns

    with session_scope(db_url) as session:
        (campaign,) = campaigns.list_campaigns(session)
        campaign.opens_on, campaign.closes_on = dt.date(2026, 10, 12), dt.date(2026, 11, 6)
    at = app_test(populated["lee"], page=PAGE).run()
    assert "read their agreement or difference" not in _texts(at)  # the assessment of 1 Oct 2026 is beside the survey
    older = builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2025, 10, 1), seed=5)
    at = app_test(populated["lee"], page=PAGE).run()
    at.selectbox(key="dashboard_assessment").select(older).run()
    assert not at.exception
    assert ("The assessment (01 Oct 2025) was 12 months before the survey (12 Oct 2026): read their agreement or "
            "difference with that in mind.") in _texts(at)
    # after the survey, the months are counted from its close — the date the sentence then shows
    later = builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2027, 10, 6), seed=6)
    at = app_test(populated["lee"], page=PAGE).run()
    at.selectbox(key="dashboard_assessment").select(later).run()
    assert ("The assessment (06 Oct 2027) was 11 months after the survey (closed 06 Nov 2026): read their agreement "
            "or difference with that in mind.") in _texts(at)


def test_a_trend_follows_one_organisation_unit_and_stops_at_the_selected_round(populated, db_url):
    """Another unit's assessment is not this function's progress, and an older selection shows the
    trend as it stood then."""
    import datetime as dt

    from itcap import insights
    from itcap.storage import session_scope

    first = builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2025, 10, 1), seed=5)
    builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2026, 4, 1), seed=6, org_unit="Schools IT")
    latest = builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2027, 10, 1), seed=7, uplift=1)
    with session_scope(db_url) as session:
        whole = insights.assessment_trend(session, latest)
        as_then = insights.assessment_trend(session, first)
    assert sorted(whole["when"].unique()) == [dt.date(2025, 10, 1), dt.date(2026, 10, 1), dt.date(2027, 10, 1)]
    assert list(as_then["when"].unique()) == [dt.date(2025, 10, 1)]

    at = dashboard_test(populated["lee"], "Trend")
    assert "##### Attainment of each mode over assessments (%)" in [m.value for m in at.markdown]  # (the newest's)
    at.selectbox(key="dashboard_assessment").select(first).run()
    assert not at.exception
    assert "##### Attainment of each mode over assessments (%)" not in [m.value for m in at.markdown]


def test_a_unit_spelt_with_other_letter_case_or_spaces_is_the_same_unit_in_the_trend(populated, db_url):
    """'corporate it' (or a no-break space pasted from a document) cut this year's round off from the
    earlier rounds of 'Corporate IT'."""
    import datetime as dt

    from itcap import insights
    from itcap.storage import session_scope

    unit = "Corporate IT"  # the builder's, as the populated assessment's
    builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2025, 10, 1), seed=5)
    latest = builders.supplier_assessment(db_url, populated, assessed_on=dt.date(2027, 10, 1), seed=7,
                                          org_unit="  " + unit.lower().replace(" ", "\u00a0"))
    with session_scope(db_url) as session:
        trend = insights.assessment_trend(session, latest)
    assert sorted(trend["when"].unique()) == [dt.date(2025, 10, 1), dt.date(2026, 10, 1), dt.date(2027, 10, 1)]


def test_a_trend_across_versions_of_the_model_says_which_version_each_round_used(populated, db_url):
    """A new version may add, drop or retarget capabilities: the rounds are not silently one series."""
    import datetime as dt

    from assessment import service
    from capability_model.loader import default_model_path
    from capability_model.store import save_model
    from itcap import accounts, insights
    from itcap.storage import session_scope

    source = default_model_path().read_text(encoding="utf-8")
    with session_scope(db_url) as session:
        newer = save_model(session, source.replace('version: "1.0"', 'version: "2.0"', 1), "admin").id
        admin = accounts.get_account(session, populated["admin"])
        latest = service.create_assessment(session, name="Review 2027", org_unit="Corporate IT", model_id=newer,
                                           assessed_on=dt.date(2027, 3, 1), assessor_ids=[populated["ana"]],
                                           lead_id=populated["lead"], actor=admin).id
        trend = insights.assessment_trend(session, latest)
        labels = list(dict.fromkeys(trend["label"]))
    assert labels[-1] == "Review 2027 (01 Mar 2027) · model v2.0"
    assert all(label.endswith("· model v1.0") for label in labels[:-1]) and len(labels) >= 2


def test_an_open_campaign_s_figures_are_held_for_the_refresh_interval(populated, db_url, monkeypatch):
    """While responses stream in, the dashboard recomputes at most once per interval — but a closed
    campaign or a changed reporting threshold shows at once."""
    from itcap.storage import session_scope
    from itcap.ui import dashboard_data
    from surveys.campaigns import close_campaign, list_campaigns
    from surveys.imports import add_responses
    from surveys.tables import Campaign

    now = [1_000_000.0]
    monkeypatch.setattr(dashboard_data.time, "time", lambda: now[0])
    monkeypatch.setenv("ITCAP_LIVE_REFRESH_SECONDS", "60")

    def key() -> tuple:
        with session_scope() as s:
            return dashboard_data._campaign_fingerprint(s, campaign_id)

    def add_one():
        with session_scope() as s:
            add_responses(s, campaign_id, [{"group": "business", "answers": {"rel_available": 4}}], actor="test")

    with session_scope() as s:
        campaign_id = list_campaigns(s)[0].id
    first = key()
    add_one()
    assert key() == first  # held: same interval
    now[0] += 61
    assert key() != first and key()[1] == first[1] + 1  # the next interval sees the new response
    held = key()
    add_one()
    with session_scope() as s:
        s.get(Campaign, campaign_id).min_group_size = 7
    assert key()[3] == 7 and key()[1] == held[1] + 1  # a new threshold is never held back
    monkeypatch.setenv("ITCAP_LIVE_REFRESH_SECONDS", "0")
    add_one()
    assert key()[1] == held[1] + 2  # 0 switches the hold off
    monkeypatch.setenv("ITCAP_LIVE_REFRESH_SECONDS", "60")
    at = app_test(populated["lee"], page=PAGE).run()
    assert "the campaign is open: new responses are looked for every minute" in _texts(at)
    with session_scope() as s:
        close_campaign(s, campaign_id, "test")
    assert key().status == "closed"
    at = app_test(populated["lee"], page=PAGE).run()
    assert not at.exception and "looked for every minute" not in _texts(at)


def test_a_campaign_without_results_says_why_it_has_no_trend(populated, db_url):
    """The newest campaign has no group with k responses: no survey reading, so no survey trend — and
    the Trend tab says why, rather than showing the earlier rounds' change as this one's."""
    builders.perception_campaign(db_url, name="Perception survey 2027", seed=9)
    small = builders.perception_campaign(db_url, name="Small pulse", n_business=4, n_it=3, seed=10)
    at = dashboard_test(populated["lee"], "Trend")
    at.selectbox(key="dashboard_campaign").select(small).run()
    assert not at.exception
    assert any(i.value.startswith("No survey trend: the trend ends at the campaign chosen in the sidebar, and “Small pulse” "
                                  "has no results to report") for i in at.info)
    assert not any("Since the previous survey" in m.value for m in at.markdown)


def test_a_campaign_of_one_reportable_group_trends_that_group_alone(populated, db_url):
    """The newest campaign's IT staff are under k: its figures are Business users' alone, and so is its
    trend — the earlier rounds' Business users means, not their mean of both groups (other people),
    and no "reading A → B" between a two-group reading and a one-group one."""
    from itcap import insights
    from itcap.storage import session_scope

    before = builders.perception_campaign(db_url, name="Perception survey 2027", seed=9)
    small = builders.perception_campaign(db_url, name="Small pulse", n_it=3, seed=10)
    with session_scope(db_url) as session:
        points = insights.campaign_trend(session, small)
        earlier = insights.campaign_insight(session, before)
    assert points.attrs["groups"] == "Business users alone"
    rows = points[points["label"] == "Perception survey 2027"].set_index("series")["value"]
    for scale in earlier.reading.scales:
        if scale.name in rows.index:
            assert rows[scale.name] == pytest.approx(scale.group_means["business"])
    assert points[points["label"] == "Perception survey 2027"]["position"].isna().all()
    at = dashboard_test(populated["lee"], "Trend")
    at.selectbox(key="dashboard_campaign").select(small).run()
    assert not at.exception
    [said] = [m.value for m in at.markdown if "Since the previous survey" in m.value]
    assert "Business users alone" in said and "reading" not in said


def test_a_campaign_just_set_up_does_not_hide_the_survey_with_results(populated, db_url):
    """The dashboard (and the report by default) opens on the newest campaign that has responses."""
    from itcap.report import build_report
    from itcap.storage import session_scope
    from surveys.campaigns import create_campaign, list_campaigns
    from surveys.store import ensure_default_instrument

    with session_scope(db_url) as session:
        with_results = max(c.id for c in list_campaigns(session))
        record = ensure_default_instrument(session)
        newer = create_campaign(session, instrument_id=record.id, name="Pulse B", actor="admin").id
    at = app_test(populated["lee"], page=PAGE).run()
    assert not at.exception and newer > with_results
    assert at.selectbox(key="dashboard_campaign").value == with_results
    assert "Pulse B (draft)" in at.selectbox(key="dashboard_campaign").options  # still there to pick
    with session_scope(db_url) as session:
        assert build_report(session).campaign.campaign.id == with_results


def test_an_assessment_just_set_up_or_a_one_group_campaign_does_not_replace_the_results(populated, db_url):
    """A new assessment with nothing rated would headline "0% attained"; a campaign of paper
    responses from one group has nothing to report: the dashboard and the report open on the newest
    assessment with ratings and the newest campaign with results."""
    import datetime as dt

    from assessment import service
    from itcap import accounts
    from itcap.report import build_report
    from itcap.storage import session_scope
    from surveys.campaigns import create_campaign, list_campaigns
    from surveys.imports import add_responses
    from surveys.store import ensure_default_instrument

    with session_scope(db_url) as session:
        rated = service.list_assessments(session)[0].id
        with_results = max(c.id for c in list_campaigns(session))
        admin = accounts.get_by_username(session, "admin")
        lead = accounts.get_by_username(session, "lead")
        empty = service.create_assessment(session, name="COBIT pilot", org_unit="Digital", model_id=service.get_assessment(session, rated).model_id,
                                          assessed_on=dt.date.today() + dt.timedelta(days=300),  # the newest date
                                          assessor_ids=[lead.id], lead_id=lead.id, actor=admin).id
        record = ensure_default_instrument(session)
        paper = create_campaign(session, instrument_id=record.id, name="Paper responses", actor="admin").id
        from surveys.instrument import load_default_instrument

        item = next(i.id for i in load_default_instrument().items_for_group("business") if i.type == "likert")
        add_responses(session, paper, [{"group": "business", "answers": {item: 4}, "duration_seconds": None}] * 20,
                      actor="admin", source="import")
    at = app_test(populated["lee"], page=PAGE).run()
    assert not at.exception
    assert at.selectbox(key="dashboard_assessment").value == rated and empty != rated
    newest = dt.date.today() + dt.timedelta(days=300)
    assert f"COBIT pilot — Digital, {newest:%d %b %Y}" in at.selectbox(key="dashboard_assessment").options  # still there to pick
    assert at.selectbox(key="dashboard_campaign").value == with_results and paper != with_results
    assert "Paper responses (draft)" in at.selectbox(key="dashboard_campaign").options
    with session_scope(db_url) as session:
        report = build_report(session)
        assert report.assessment.assessment.id == rated and report.campaign.campaign.id == with_results


def test_next_years_round_with_a_rating_or_two_does_not_replace_a_finished_assessment(populated, db_url):
    """Once an assessment is closed (or an assessor has submitted), a newer one set up with a rating
    saved is work in progress: the dashboard and the board report stay on the finished one until the
    new one has a submission of its own."""
    import datetime as dt

    from assessment import service
    from itcap import accounts, insights
    from itcap.report import build_report
    from itcap.storage import session_scope

    with session_scope(db_url) as session:
        finished = service.list_assessments(session)[0].id
        admin = accounts.get_by_username(session, "admin")
        lead = accounts.get_by_username(session, "lead")
        service.set_status(session, finished, "closed", actor=admin)
        model_id = service.get_assessment(session, finished).model_id
        started = service.create_assessment(session, name="Review 2027", org_unit="Corporate IT", model_id=model_id,
                                            assessed_on=dt.date.today() + dt.timedelta(days=30),
                                            assessor_ids=[lead.id], lead_id=lead.id, actor=admin).id
        capability = service.model_for(session, started).capabilities[0].id
        service.save_rating(session, started, lead, capability, 2)
    with session_scope(db_url) as session:
        assert insights.default_assessment_id(session) == finished != started
        assert build_report(session).assessment.assessment.id == finished
    at = app_test(populated["lee"], page=PAGE).run()
    assert not at.exception and at.selectbox(key="dashboard_assessment").value == finished


def test_a_draft_with_paper_responses_from_every_group_does_not_replace_the_survey_respondents_answered(populated, db_url):
    """Paper responses imported ahead of the opening made the draft the newest campaign with results:
    the dashboard headlined its 18 responses and said nothing of it being a draft."""
    from itcap.report import build_report
    from itcap.storage import session_scope
    from surveys.campaigns import create_campaign, list_campaigns
    from surveys.imports import add_responses
    from surveys.instrument import load_default_instrument
    from surveys.store import ensure_default_instrument

    instrument = load_default_instrument()
    with session_scope(db_url) as session:
        with_results = max(c.id for c in list_campaigns(session))
        record = ensure_default_instrument(session)
        draft = create_campaign(session, instrument_id=record.id, name="Paper round", actor="admin").id
        rows = [{"group": g, "answers": {next(i.id for i in instrument.items_for_group(g) if i.type == "likert"): 2}}
                for g in instrument.group_ids() for _ in range(12)]  # 7 of each in the figures (2k held back: 5)
        add_responses(session, draft, rows, actor="admin", source="import")
    at = app_test(populated["lee"], page=PAGE).run()
    assert not at.exception and draft > with_results
    assert at.selectbox(key="dashboard_campaign").value == with_results
    with session_scope(db_url) as session:
        assert build_report(session).campaign.campaign.id == with_results
    at.selectbox(key="dashboard_campaign").set_value(draft).run()
    assert any("Paper round" in c.value and "a draft: not yet opened to respondents" in c.value for c in at.caption)


def test_a_downloaded_chart_says_what_it_shows_and_what_it_rests_on(populated, downloads):
    """Pasted into a board pack, a chart keeps its title, its source (survey or assessment, how many
    responses or assessors) and the date; the table beside the radar holds the radar's own data."""
    from itcap.storage import today

    at = EveryTab.of(populated["lee"])
    svg = downloads.get("perception-by-scale.svg").decode()
    assert "Business users and IT staff: scale scores with 95% confidence intervals" in svg
    assert "responses" in svg and "verdicts: equivalent (TOST" in svg and f"itcap, {today():%d %b %Y}" in svg
    radar = downloads.get("maturity-radar.svg").decode()
    assert "Maturity: consensus against each mode" in radar and "assessors" in radar
    assert downloads.get("maturity-radar.png").startswith(b"\x89PNG")
    (table,) = [d.value for d in at.dataframe if "Business Partner target" in d.value.columns]
    assert list(table.columns)[:3] == ["capability", "domain", "consensus"] and "capability_id" not in table.columns


def test_the_heatmap_names_the_assessors_on_screen_and_numbers_them_in_a_downloaded_chart(populated, downloads, db_url):
    """The report numbers the assessors ("one person's levels are not the board's business"); the
    dashboard's PNG/SVG — made for board packs — named them, and set beside the report gave the
    numbers away. The files use the report's own numbers; the screen and the CSV keep the names."""
    import re

    import pandas as pd

    from itcap.report import HEATMAP_TITLE, assessor_numbers, build_report
    from itcap.storage import session_scope

    at = dashboard_test(populated["lee"], "Assessors")
    assert not at.exception
    with session_scope(db_url) as session:
        numbers = assessor_numbers(build_report(session).assessment)
    assert len(numbers) >= 3
    svg = downloads.get("assessor-disagreement.svg").decode()
    assert HEATMAP_TITLE.replace("–", "").split("(")[0].strip() in svg
    assert all(f"assessor: {number};" in svg for number in numbers.values())  # each column, by its number
    assert not any(re.search(rf"\b{re.escape(name)}\b", svg) for name in numbers)
    assert downloads.get("assessor-disagreement.png").startswith(b"\x89PNG")
    table = pd.read_csv(io.BytesIO(downloads.get("assessor-disagreement.csv")))
    assert set(table["assessor"]) == set(numbers)  # the data keep the names leadership may see


def test_the_reliability_csv_holds_the_numbers_not_the_rounded_text(db_url, downloads):
    """The table reads "0.83" and "[0.61, 0.94]"; an analyst reworking the CSV gets the numbers behind
    them (to the 10 significant digits every CSV download keeps), each ICC's F test, and empty cells
    where a value is undefined."""
    import pandas as pd

    from assessment.service import assessment_reliability
    from itcap.storage import session_scope

    ids = builders.people(db_url)
    assessment_id = builders.supplier_assessment(db_url, ids)
    at = dashboard_test(ids["lee"], "Assessors")
    assert not at.exception
    numbers = pd.read_csv(io.BytesIO(downloads.get("inter-rater-reliability.csv")))
    with session_scope(db_url) as session:
        expected = assessment_reliability(session, assessment_id)
    by_statistic = numbers.set_index("statistic")
    for icc in expected.icc:
        row = by_statistic.loc[icc.type]
        assert row["value"] == pytest.approx(icc.icc, abs=1e-9) and row["f"] == pytest.approx(icc.f, rel=1e-9)
        assert (row["ci95_low"], row["ci95_high"]) == pytest.approx(icc.ci95, abs=1e-9)
        assert (row["df1"], row["df2"]) == (icc.df1, icc.df2) and 0 <= row["p"] <= 1
    alpha = by_statistic.loc["krippendorff_alpha_ordinal"]
    assert alpha["value"] == pytest.approx(expected.alpha.alpha, abs=1e-9) and pd.isna(alpha["ci95_low"])
    assert round(alpha["value"], 4) != round(alpha["value"], 2)  # not the table's two places


def test_leaving_out_flagged_responses_never_changes_which_comments_are_shown(db_url):
    """Two comment lists that differ by the flagged respondents' comments would single them out (and
    the thresholded export carries the flagged rows with their answers): comments ignore the toggle."""
    import numpy as np

    from itcap.storage import session_scope
    from surveys.campaigns import close_campaign, create_campaign, open_campaign
    from surveys.imports import add_responses
    from surveys.instrument import load_default_instrument
    from surveys.store import ensure_default_instrument

    ids = builders.people(db_url)
    instrument = load_default_instrument()
    comment_item = next(i.id for i in instrument.items_for_group("business") if i.type == "text" and "improve" in i.id)
    rng = np.random.default_rng(7)
    rows = []
    for group, n in (("business", 15), ("it", 6)):
        for index in range(n):
            straight = group == "business" and index < 5  # k of them: leaving them out reveals no one by difference
            answers = {item.id: 4 if straight else int(rng.integers(1, 6))
                       for item in instrument.items_for_group(group) if item.type == "likert"}
            if group == "business":
                answers[comment_item] = "I am the one in room 4.12" if index == 0 else f"Comment {index}"
            rows.append({"group": group, "answers": answers, "duration_seconds": 600})
    with session_scope(db_url) as session:
        record = ensure_default_instrument(session)
        campaign = create_campaign(session, instrument_id=record.id, name="Small survey", actor="admin")
        open_campaign(session, campaign.id, "admin")
        add_responses(session, campaign.id, rows, actor="admin", source="web")
        close_campaign(session, campaign.id, "admin")  # every response in the figures (open: whole batches only)

    def shown_comments(at) -> set[str]:
        return {text for d in at.dataframe if list(d.value.columns) == ["Comment"] for text in d.value["Comment"]}

    at = dashboard_test(ids["lee"], "Perception")
    assert "flagged" in _texts(at)  # the straight-liner is flagged, so the toggle is offered
    before = shown_comments(at)
    assert "I am the one in room 4.12" in before and len(before) == 15
    at.toggle(key="dashboard_exclude_flagged").set_value(True).run()
    assert not at.exception and "Flagged responses excluded." in _texts(at)
    assert shown_comments(at) == before
    # nor does the Excel file leadership downloads beside it, with the flagged responses left out
    from openpyxl import load_workbook

    from itcap.ui.data_downloads import campaign_export_bytes

    workbook = load_workbook(io.BytesIO(campaign_export_bytes(campaign.id, "xlsx", privileged=False, exclude_flagged=True)))
    sheet = [str(row[-1]) for row in workbook["comments"].iter_rows(min_row=2, values_only=True)]
    assert set(sheet) == before


def test_a_download_clicked_after_the_session_ended_or_the_role_went_builds_nothing(populated, downloads, db_url, monkeypatch):
    """Files built on click run outside any page run: they check the session and the account again."""
    import datetime as dt

    from itcap import accounts
    from itcap.storage import session_scope, utcnow
    from itcap.ui import auth
    from surveys.campaigns import close_campaign, list_campaigns

    with session_scope(db_url) as session:  # leadership downloads rows of a closed campaign only
        close_campaign(session, list_campaigns(session)[0].id, "admin")
    dashboard_test(populated["lee"], "Report")
    lazy = [name for name in downloads.names() if callable(downloads.files[name])]
    report = next(name for name in lazy if name.endswith(".html"))
    data = next(name for name in lazy if name.endswith(".csv") and "thresholded" in name)
    assert downloads.get(report).startswith(b"<!doctype html") and downloads.get(data)

    later = utcnow() + dt.timedelta(minutes=31)  # the page was drawn, then left longer than the idle timeout
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    for name in (report, data):
        with pytest.raises(auth.DownloadRefused, match="session has ended"):
            downloads.get(name)
    monkeypatch.setattr(auth, "utcnow", utcnow)

    with session_scope(db_url) as session:
        accounts.set_roles(session, accounts.get_account(session, populated["lee"]), ["assessor"])
    for name in (report, data):
        with pytest.raises(auth.DownloadRefused, match="may no longer download"):
            downloads.get(name)


def test_an_assessment_nobody_has_rated_yet_is_not_said_to_agree_with_the_survey(db_url):
    """Both "not yet Supplier" — the survey's because people said so, the assessment's because nobody
    has rated anything — is no agreement: the dashboard and the report wait for the ratings."""
    import datetime as dt

    from assessment import service
    from capability_model.store import ensure_default_model
    from itcap import accounts
    from itcap.report import build_report, summary_points
    from itcap.storage import session_scope

    ids = builders.people(db_url)
    with session_scope(db_url) as session:
        assessment = service.create_assessment(
            session, name="Review 2026", org_unit="Corporate IT", model_id=ensure_default_model(session).id,
            assessed_on=dt.date(2026, 10, 1), assessor_ids=[ids["lead"], ids["ana"]], lead_id=ids["lead"],
            actor=accounts.get_account(session, ids["admin"]))
        assessment_id = assessment.id
        supplier_targets = len(service.model_for(session, assessment_id).mode("supplier").targets)
    campaign_id = builders.perception_campaign(db_url)
    waiting = f"{supplier_targets} capabilities that Supplier targets have no rating yet"

    at = app_test(ids["lee"], page="pages/dashboard.py").run()
    assert not at.exception
    assert any(waiting in i.value for i in at.info), [i.value for i in at.info]
    assert not any("agrees with the assessment" in s.value for s in at.success)
    assert not any("The survey reads" in w.value for w in at.warning)

    with session_scope(db_url) as session:
        [reading] = [p for p in summary_points(build_report(session, assessment_id, campaign_id)) if p.startswith("Survey reading")]
    assert waiting in reading and "agreement" not in reading and "differs" not in reading


def test_a_campaign_of_imported_responses_only_shows_no_bars_of_zeros(populated, db_url):
    """Paper responses only, nobody invited: the participation chart's axis ran from 0 to 0 and read
    "NaN". The table and the reason are shown instead, and the report leaves the chart out."""
    import json

    from itcap.report import build_report, render_html
    from itcap.storage import session_scope
    from surveys.campaigns import create_campaign, open_campaign
    from surveys.imports import add_responses
    from surveys.instrument import load_default_instrument
    from surveys.store import ensure_default_instrument

    instrument = load_default_instrument()
    with session_scope(db_url) as session:
        paper = create_campaign(session, instrument_id=ensure_default_instrument(session).id, name="Paper pulse", actor="admin").id
        open_campaign(session, paper, "admin")
        rows = [{"group": g, "answers": {i.id: 4 for i in instrument.items_for_group(g) if i.type == "likert"}}
                for g in instrument.group_ids() for _ in range(12)]
        add_responses(session, paper, rows, actor="admin", source="import")
    at = dashboard_test(populated["lee"], "Participation")
    at.selectbox(key="dashboard_campaign").set_value(paper).run()
    assert not at.exception
    assert any(d for d in at.dataframe if "invited" in d.value.columns)  # the participation tab is what is drawn
    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        assert "Response rates" not in json.dumps(spec.get("title", "")) and "People" not in json.dumps(spec), "a chart of zeros"
    assert any(c.value.startswith("All 24 responses were imported") for c in at.caption)
    with session_scope(db_url) as session:
        html = render_html(build_report(session, campaign_id=paper))
    assert "All 24 responses were imported" in html and "not in the bars" not in html


def test_the_perception_tables_say_what_their_columns_mean_and_which_items_are_reverse_keyed(populated):
    """A director met "Hedges g", "Welch p (Holm)" and "TOST p" with no word on what they are, and a
    reverse-keyed item's mean (agreeing is bad) looked like any other."""
    from surveys.instrument import load_default_instrument

    at = dashboard_test(populated["lee"], "Perception")
    assert any("**Hedges g** = the difference" in c.value and "**TOST p**" in c.value for c in at.caption)
    [items] = [d.value for d in at.dataframe if "reverse-keyed" in d.value.columns]
    reverse = {i.id for i in load_default_instrument().items if i.reverse}
    assert reverse and set(items.loc[items["reverse-keyed"] == "yes", "item"]) == reverse & set(items["item"])


def test_a_borderline_survey_reading_is_said_beside_it_and_in_the_report(populated, db_url, monkeypatch):
    """The wording is insights.reading_margin_note's (tests/test_perception.py); here, that the page
    and the report's summary both say it."""
    from itcap import insights
    from itcap.report import build_report, summary_points
    from itcap.storage import session_scope

    said = "Borderline: Service reliability 3.52 (95% CI 3.44–3.60) reaches 3.5 in these responses."
    monkeypatch.setattr(insights, "reading_margin_note", lambda reading, names: said if reading.available else None)
    at = dashboard_test(populated["lee"])
    assert any(c.value == f":material/info: {said}" for c in at.caption)
    with session_scope(db_url) as session:
        assert any(point.endswith(said) for point in summary_points(build_report(session)))


def test_the_report_tab_says_why_there_is_no_report_instead_of_a_button_that_fails(db_url, downloads):
    """An assessment nobody has rated yet and no survey: the Report tab offered 'HTML report' and
    'PDF report', whose click ended in Streamlit's bare 'Failed to generate file' (the report had
    nothing to say, and said so only on the command line)."""
    import datetime as dt

    from assessment import service
    from capability_model.store import ensure_default_model
    from itcap import accounts
    from itcap.storage import session_scope

    ids = builders.people(db_url)
    with session_scope(db_url) as session:
        assessment_id = service.create_assessment(
            session, name="Review 2026", org_unit="Corporate IT", model_id=ensure_default_model(session).id,
            assessed_on=dt.date(2026, 10, 1), assessor_ids=[ids["lead"], ids["ana"]], lead_id=ids["lead"],
            actor=accounts.get_account(session, ids["admin"])).id
    at = dashboard_test(ids["lee"], "Report")
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert "HTML report" not in labels and "PDF report" not in labels
    assert f"No report yet: assessment {assessment_id} has no ratings yet." in [i.value for i in at.info]
    assert not [name for name in downloads.names() if name.startswith("itcap-report")]


def test_the_item_table_says_a_numeric_item_s_margin_is_in_its_own_unit(populated):
    """The verdicts were said to use '±0.5 points'; a logon time's TOST margin is ±0.5 minutes, so
    'equivalent' beside it meant within half a minute, which nothing on the page said."""
    at = dashboard_test(populated["lee"], "Perception")
    [items] = [d.value for d in at.dataframe if "reverse-keyed" in d.value.columns]
    assert "logon_minutes" in set(items["item"])
    assert any("A numeric item's verdict uses the same margin in the item's own unit, not in points of agreement "
               "(logon_minutes: ±0.5 minutes)." in c.value for c in at.caption)


def test_the_banner_names_the_group_without_a_scale_score_not_its_id(db_url):
    """The SURVEY READING banner said '… no answers from group it_staff: no comparison.'"""
    from tests.survey_testdata import make_campaign

    ids = builders.people(db_url)
    campaign_id = make_campaign(db_url)
    import_and_close(db_url, campaign_id, IT_STAFF_ANSWER_NO_SCALE_ITEM)
    at = app_test(ids["lee"], page="pages/dashboard.py").run()
    assert not at.exception
    [said] = [m.value for m in at.markdown if m.value.startswith("No survey scale has a score to read")]
    assert "IT staff" in said and "it_staff" not in said


def test_the_scales_table_names_the_mode_each_scale_evidences_as_the_model_names_it(populated, db_url, monkeypatch):
    """A model's "value_driven" read "Value Driven" in the table beside a banner saying "Value-driven":
    the dashboard and the report use the model's names (title case only for a mode it lacks)."""
    from itcap import insights
    from itcap.report import build_report, render_html
    from itcap.storage import session_scope

    shipped = insights.reading_names

    def named(assessment):
        return {**shipped(assessment), "supplier": "Supplier (runs the basics)"}

    monkeypatch.setattr(insights, "reading_names", named)
    at = dashboard_test(populated["lee"], "Perception")
    (scales,) = [d.value for d in at.dataframe if "evidences" in d.value.columns]
    assert "Supplier (runs the basics)" in set(scales["evidences"]) and "Business Partner" in set(scales["evidences"])
    with session_scope(db_url) as session:
        html = render_html(build_report(session))
    assert "Supplier (runs the basics)" in html.split("<h3>Scales</h3>", 1)[1].split("</table>", 1)[0]
