"""A survey of three or more groups: the comparison is of two, chosen on the dashboard (and with
``itcap report --groups``), and the groups left out are named wherever the figures are."""

from __future__ import annotations

import numpy as np
import pytest

from itcap import accounts, insights
from itcap.cli import main
from itcap.report import build_report, render_html
from itcap.storage import session_scope
from surveys.campaigns import close_campaign
from surveys.imports import add_responses
from tests.support import dashboard_test
from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

THREE_GROUPS = INSTRUMENT_YAML.replace("  - {id: it_staff, name: IT staff}\n",
                                       "  - {id: it_staff, name: IT staff}\n  - {id: finance, name: Finance directorate}\n")


@pytest.fixture
def campaign(db_url) -> int:
    """Business 30, IT staff 30, Finance 30 (Finance answers a point higher), and 3 from nobody else;
    closed, so the figures use every response (while open they take them in batches: test_release)."""
    assert THREE_GROUPS != INSTRUMENT_YAML
    campaign_id = make_campaign(db_url, yaml=THREE_GROUPS)
    rng = np.random.default_rng(4)
    rows = []
    for group, shift in (("business", 0), ("it_staff", 0), ("finance", 1)):
        for _ in range(30):
            base = int(np.clip(rng.integers(2, 4) + shift, 1, 5))
            rows.append({"group": group, "answers": {"rel1": base, "rel2": base, "rel4": base, "par1": base, "par2": base}})
    with session_scope(db_url) as session:
        add_responses(session, campaign_id, rows, actor="test")
        close_campaign(session, campaign_id, "test")
    return campaign_id


def test_the_default_pair_is_the_first_two_groups_and_the_third_is_named(db_url, campaign):
    with session_scope(db_url) as session:
        insight = insights.campaign_insight(session, campaign)
    assert insight.comparable == ["business", "it_staff", "finance"]
    assert insight.compared == ["business", "it_staff"] and insight.not_compared == ["finance"]
    assert list(insight.comparison["groups"]) == ["business", "it_staff"]
    # not "left out": the survey reading and 'All 3 groups at once' take Finance in (they said so two lines up)
    assert insight.responses_note() == ("60 of 90 responses (30 in Finance directorate, outside the pair compared — in the "
                                        "survey reading and 'All 3 groups at once' only)")
    assert insight.participation_note().startswith("These counts are every response; the comparison of the pair and its "
                                                   "charts use 60 of 90 responses")
    assert insight.not_compared_note().startswith("Compared: Business users and IT staff. Not in this comparison: "
                                                  "Finance directorate")


def test_another_pair_is_compared_when_asked_in_the_instrument_s_order(db_url, campaign):
    with session_scope(db_url) as session:
        insight = insights.campaign_insight(session, campaign, groups=("finance", "business"))
    assert list(insight.comparison["groups"]) == ["business", "finance"] and insight.not_compared == ["it_staff"]
    # finance answers a point higher: the comparison the default pair hid
    assert any(s["verdict"] == "differs" for s in insight.comparison["scales"])


def test_a_pair_with_a_group_below_the_threshold_falls_back_to_the_default(db_url, campaign):
    with session_scope(db_url) as session:
        insight = insights.campaign_insight(session, campaign, groups=("business", "nobody"))
    assert insight.compared == ["business", "it_staff"]


def test_a_response_with_nothing_to_analyse_does_not_count_a_group_up_to_the_threshold(db_url):
    """IT staff sent 5 responses but one holds only a comment: 4 to analyse, under k = 5. The pair is
    then business and finance, whose 30 each are compared — not "not enough responses" for all,
    as when the 5 counted and the comparison then suppressed IT staff."""
    campaign_id = make_campaign(db_url, yaml=THREE_GROUPS)
    rows = [{"group": g, "answers": {"rel1": 2 + (i % 3), "par1": 3}} for g in ("business", "finance") for i in range(30)]
    rows += [{"group": "it_staff", "answers": {"rel1": 4, "par1": 4}} for _ in range(4)]
    rows += [{"group": "it_staff", "answers": {"comments": "Only a comment."}}]
    with session_scope(db_url) as session:
        add_responses(session, campaign_id, rows, actor="test")
        close_campaign(session, campaign_id, "test")
        insight = insights.campaign_insight(session, campaign_id)
    assert insight.problem is None
    assert insight.compared == ["business", "finance"] and list(insight.comparison["groups"]) == ["business", "finance"]
    assert insight.comparison["groups"]["business"]["n"] == 30
    # the response rates say why IT staff's five are not in the figures (not "not compared", as if they could be)
    rates = insight.rates_table().set_index("group")
    assert rates.loc["IT staff", "results"] == "withheld (fewer than 5 responses with answers to analyse)"


def test_the_report_compares_the_pair_asked_and_names_the_group_left_out(db_url, campaign):
    with session_scope(db_url) as session:
        page = render_html(build_report(session, None, campaign, include_assessment=False, groups=("it_staff", "finance")))
    assert "IT staff and Finance directorate" in page
    assert "Also answered but not in the comparison (it compares two groups): Business users." in page
    assert "--groups it_staff finance" in page  # the reproduce command compares the same pair


def test_itcap_report_groups_by_name_and_refuses_unknown_or_repeated_ones(db_url, campaign, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", "--campaign", str(campaign), "--groups", "Finance directorate", "IT", "--out", str(out)]) == 1
    assert "--groups: group 'IT' is not a group" in capsys.readouterr().err
    assert main(["report", "--campaign", str(campaign), "--groups", "finance", "FINANCE", "--out", str(out)]) == 1
    assert "are the same group" in capsys.readouterr().err
    assert main(["report", "--campaign", str(campaign), "--groups", "Finance directorate", "it staff", "--out", str(out)]) == 0
    assert "IT staff and Finance directorate" in out.read_text(encoding="utf-8")


def test_the_dashboard_offers_the_pairs_and_compares_the_one_chosen(db_url, campaign):
    with session_scope(db_url) as session:
        director = accounts.create_account(session, "dir", "correct horse battery", ["leadership"], "Dana Director").id
    at = dashboard_test(director, "Perception")
    assert not at.exception
    box = at.selectbox(key="dashboard_groups_widget")
    assert box.options == ["Business users and IT staff", "Business users and Finance directorate",
                           "IT staff and Finance directorate"]
    assert any(i.value.startswith("Compared: Business users and IT staff. Not in this comparison: Finance directorate")
               for i in at.info)
    assert "dashboard_groups" not in at.session_state  # the default pair: analysed (and cached) as "no pair asked"
    box.set_value("it_staff|finance").run()
    assert not at.exception
    assert "##### IT staff and Finance directorate: scale scores with 95% confidence intervals" in [m.value for m in at.markdown]
    assert any("Not in this comparison: Business users" in i.value for i in at.info)
    at.selectbox(key="dashboard_groups_widget").set_value("business|it_staff").run()
    assert "dashboard_groups" not in at.session_state
    assert "##### Business users and IT staff: scale scores with 95% confidence intervals" in [m.value for m in at.markdown]


def test_validating_an_instrument_of_three_groups_says_they_are_compared_two_at_a_time(tmp_path, capsys):
    path = tmp_path / "three.yaml"
    path.write_text(THREE_GROUPS, encoding="utf-8")
    assert main(["survey", "validate", str(path)]) == 0
    assert "note: 3 groups: the dashboard and the report compare two at a time" in capsys.readouterr().err


def test_a_trend_follows_the_pair_compared_and_leaves_out_rounds_that_could_not_compare_it(db_url, campaign):
    """Last year Finance had too few responses: a trend of IT staff against Finance has no round then,
    rather than one of business against IT staff passed off as the same measure."""
    import datetime as dt

    from surveys.campaigns import close_campaign
    from surveys.tables import Campaign

    earlier = make_campaign(db_url, yaml=THREE_GROUPS)
    fuller = make_campaign(db_url, yaml=THREE_GROUPS)  # the year before, every group answered
    rows = [{"group": g, "answers": {"rel1": 3, "rel2": 3, "rel4": 3, "par1": 3, "par2": 3}}
            for g in ["business"] * 10 + ["it_staff"] * 10 + ["finance"] * 2]
    with session_scope(db_url) as session:
        add_responses(session, earlier, rows, actor="test")
        add_responses(session, fuller, [{"group": g, "answers": {"rel1": level, "rel2": level, "rel4": level, "par1": level, "par2": level}}
                                        for g, level in (("business", 2), ("it_staff", 3), ("finance", 5)) for _ in range(10)],
                      actor="test")
        for campaign_id, opened, name in ((fuller, dt.date(2024, 3, 1), "Survey 2024"), (earlier, dt.date(2025, 3, 1), "Survey 2025"),
                                          (campaign, dt.date(2026, 3, 1), "Survey 2026")):
            if campaign_id != campaign:
                close_campaign(session, campaign_id, "test")
            session.get(Campaign, campaign_id).opens_on = opened
            session.get(Campaign, campaign_id).name = name
    with session_scope(db_url) as session:
        default = insights.campaign_trend(session, campaign)
        chosen = insights.campaign_trend(session, campaign, groups=("it_staff", "finance"))
        now = insights.campaign_insight(session, campaign)
    # this year's reading is the mean of all three groups' means; 2025's Finance was under k, so its
    # mean of two groups would be other people's: left out, and said. 2024 had all three: kept, same groups.
    assert sorted(default["when"].unique()) == [dt.date(2024, 3, 1), dt.date(2026, 3, 1)]
    assert default.attrs["rounds_left_out"] == ["Survey 2025"]
    then = default[default["when"] == dt.date(2024, 3, 1)]
    assert set(then["value"]) == {(2 + 3 + 5) / 3}
    latest = default[default["when"] == dt.date(2026, 3, 1)].set_index("series")["value"]
    assert all(latest[s.name] == s.score for s in now.reading.scales if s.score is not None)  # the banner's figures
    assert sorted(chosen["when"].unique()) == [dt.date(2024, 3, 1), dt.date(2026, 3, 1)]
    assert chosen.attrs["groups"] == "IT staff and Finance directorate; Business users not compared"
    assert chosen.attrs["rounds_left_out"] == ["Survey 2025"]


def test_every_group_at_once_is_welch_s_anova_per_scale_with_the_pairs_that_differ(db_url, campaign):
    """The table beside the pair: the scale means of all three groups and Welch's ANOVA, checked
    against pingouin on the same scale scores; Finance (a point higher) is in the pairs that differ."""
    import pandas as pd
    import pingouin as pg

    from surveys.quality import responses_frame
    from surveys.scoring import scale_scores

    with session_scope(db_url) as session:
        insight = insights.campaign_insight(session, campaign)
        frame = responses_frame(session, campaign)
    table = insight.all_groups_table().set_index("scale")
    assert list(insight.all_groups["groups"]) == ["business", "it_staff", "finance"]
    scale = insight.instrument.scales[0]
    scores = scale_scores(frame, insight.instrument, group_col="group")[scale.id]
    data = pd.DataFrame({"score": scores, "group": frame["group"]}).dropna()
    expected = pg.welch_anova(data=data, dv="score", between="group")
    row = table.loc[scale.name]
    assert row["Welch ANOVA F"] == pytest.approx(expected["F"].iloc[0], rel=1e-9)
    assert row["mean Finance directorate"] == pytest.approx(data.loc[data.group == "finance", "score"].mean(), rel=1e-12)
    assert row["groups differ"] == "yes" and "Finance directorate" in row["pairs that differ"]
    assert "Business users – IT staff" not in row["pairs that differ"]


def test_the_dashboard_shows_every_group_at_once_beside_the_pair(db_url, campaign):
    with session_scope(db_url) as session:
        director = accounts.create_account(session, "dir", "correct horse battery", ["leadership"], "Dana Director").id
    at = dashboard_test(director, "Perception")
    assert not at.exception
    assert any(e.label == "All 3 groups at once" for e in at.expander)
    table = next(d.value for d in at.dataframe if "Welch ANOVA F" in d.value.columns)
    assert {"mean Business users", "mean IT staff", "mean Finance directorate"} <= set(table.columns)


def test_the_report_names_the_pair_in_its_heading_and_shows_every_group_at_once(db_url, campaign):
    import io

    from pypdf import PdfReader

    from itcap.report import render_pdf

    with session_scope(db_url) as session:
        content = build_report(session, None, campaign, include_assessment=False, groups=("business", "finance"))
    page = render_html(content)
    assert "<h2>What Business users and Finance directorate say</h2>" in page
    assert "<h3>All 3 groups at once</h3>" in page and "Welch ANOVA F" in page
    assert "All 3 groups at once (Welch&#x27;s ANOVA, Holm p &lt; .05): the means differ on " in page
    assert "(Business users – Finance directorate; IT staff – Finance directorate)" in page
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(render_pdf(content))).pages)
    assert "What Business users and Finance directorate say" in text and "All 3 groups at once" in text


def test_the_default_campaign_is_the_latest_fieldwork_not_the_latest_entered(db_url, campaign):
    """A past round entered afterwards (higher id, opened a year earlier) is not this year's survey."""
    import datetime as dt

    from surveys.tables import Campaign

    backfilled = make_campaign(db_url, yaml=THREE_GROUPS)
    rows = [{"group": g, "answers": {"rel1": 3, "rel2": 3, "rel4": 3, "par1": 3, "par2": 3}}
            for g in ["business"] * 10 + ["it_staff"] * 10]
    with session_scope(db_url) as session:
        add_responses(session, backfilled, rows, actor="test")
        session.get(Campaign, backfilled).opens_on = dt.date(2025, 3, 1)
        session.get(Campaign, campaign).opens_on = dt.date(2026, 3, 1)
    with session_scope(db_url) as session:
        assert backfilled > campaign and insights.default_campaign_id(session) == campaign


def test_the_survey_progress_sentence_says_which_groups_it_follows_and_which_rounds_it_left_out():
    import datetime as dt

    import pandas as pd

    points = pd.DataFrame([
        {"when": dt.date(2025, 3, 1), "label": "Survey 2025", "series": "Reliability", "value": 3.1, "position": None, "provisional": False},
        {"when": dt.date(2026, 3, 1), "label": "Survey 2026", "series": "Reliability", "value": 3.4, "position": None, "provisional": False},
    ], columns=insights.TREND_COLUMNS)
    points.attrs.update(value_range=(1, 5), groups="IT staff and Finance directorate; Business users not compared",
                        rounds_left_out=["Pulse 2025"])
    (sentence,) = insights.progress_sentences(None, points)
    assert sentence.startswith("Since the previous survey, Survey 2025: scale scores (on 1–5; IT staff and Finance "
                               "directorate; Business users not compared) Reliability 3.10 → 3.40.")
    assert sentence.endswith("could not compare the same groups (one had fewer responses than the reporting threshold, "
                             "or was not asked): Pulse 2025.")


def test_the_survey_reading_is_the_organisation_s_whichever_pair_is_compared(db_url, campaign):
    """The reading beside the assessment's position rests on every group with enough responses: a
    viewing choice (the pair compared) must not move it."""
    with session_scope(db_url) as session:
        default = insights.campaign_insight(session, campaign)
        other = insights.campaign_insight(session, campaign, groups=("finance", "business"))
    assert default.compared != other.compared
    scores = {s.id: s.score for s in default.reading.scales}
    assert scores == {s.id: s.score for s in other.reading.scales}
    assert default.reading.position == other.reading.position
    for scale in default.all_groups["scales"]:
        means = scale["mean"]
        assert set(means) == {"business", "it_staff", "finance"}
        assert scores[scale["id"]] == pytest.approx(sum(means.values()) / 3, abs=1e-12)
    with session_scope(db_url) as session:  # and the report's guide says whose means they are
        page = render_html(build_report(session, campaign_id=campaign, include_assessment=False))
    assert "the mean of the average scores of all 3 groups with enough responses (not only the two compared)" in page


def test_the_scales_table_gives_each_group_s_alpha_beside_the_pooled_one(db_url):
    """Pooled over groups that differ in level, α reads higher than either group's own: the table
    (dashboard, report, CSV) shows both groups' α too, as the analysis document has them."""
    import pandas as pd
    import pingouin as pg

    campaign_id = make_campaign(db_url)
    rng = np.random.default_rng(8)
    rows = []
    for group, level in (("business", 2), ("it_staff", 4)):  # IT staff two levels higher throughout
        for _ in range(40):
            true = level + rng.normal(0, 0.5)
            rows.append({"group": group, "answers": {f"par{i}": int(np.clip(round(true + rng.normal(0, 0.8)), 1, 5))
                                                     for i in (1, 2)} | {"rel1": 3}})
    with session_scope(db_url) as session:
        add_responses(session, campaign_id, rows, actor="test")
        close_campaign(session, campaign_id, "test")
        insight = insights.campaign_insight(session, campaign_id)
    row = insight.scale_table().set_index("scale").loc["Business understanding"]
    answers = pd.DataFrame([{"group": r["group"], **r["answers"]} for r in rows])
    own = {g: pg.cronbach_alpha(answers.loc[answers["group"] == g, ["par1", "par2"]])[0] for g in ("business", "it_staff")}
    pooled = pg.cronbach_alpha(answers[["par1", "par2"]])[0]
    assert row["alpha Business users"] == pytest.approx(own["business"], abs=1e-9)
    assert row["alpha IT staff"] == pytest.approx(own["it_staff"], abs=1e-9)
    assert row["alpha"] == pytest.approx(pooled, abs=1e-9) and pooled > max(own.values())  # why both are shown
