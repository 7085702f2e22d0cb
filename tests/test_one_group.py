"""One group's own figures, where there is nothing to compare (surveys.stats.describe_group): a
survey of business users only, or one whose IT staff are still under the reporting threshold. The
statistics against scipy/pingouin; the survey reading from them; what the dashboard, the report and
``itcap analyze --groups G`` show — and that the group under k stays out of all of it."""

from __future__ import annotations

import json

import numpy as np
import pingouin as pg
import pytest
from scipy import stats as sps

from surveys.analysis_input import prepare_responses
from surveys.perception import perception_reading
from surveys.scoring import reverse_code, scale_scores
from surveys.stats import describe_group
from tests.test_stats_support import instrument, random_responses

TOL = 1e-9


def close(x, y, tol=TOL):
    return abs(float(x) - float(y)) <= tol * max(1.0, abs(float(y)))


@pytest.fixture(scope="module")
def inst():
    return instrument()


@pytest.fixture(scope="module")
def frame():
    return random_responses(seed=5, sizes={"business": 70, "it": 3})


@pytest.fixture(scope="module")
def document(frame, inst):
    table = prepare_responses(frame, inst, "group", ignore_columns=["directorate", "comment"])
    return describe_group(table, inst, "business", min_group_size=5)


def test_item_figures_match_scipy(document, frame):
    business = frame[frame.group == "business"]
    rows = {r["id"]: r for r in document["items"]}
    for item in ("q1", "q3", "n1", "logon_minutes"):
        x = business[item].dropna().to_numpy()
        row = rows[item]
        assert row["n"] == {"business": len(x)}
        assert close(row["mean"]["business"], x.mean())
        assert close(row["sd"]["business"], x.std(ddof=1))
        assert close(row["median"]["business"], np.median(x))
        low, high = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
        assert close(row["mean_ci95"]["business"][0], low) and close(row["mean_ci95"]["business"][1], high)
    # an item asked only of IT staff: nothing, and said why
    assert rows["q7"]["mean"] == {"business": None} and rows["q7"]["note"] == "not asked of group business"


def test_scale_scores_and_alpha_match_pingouin(document, frame, inst):
    business = frame[frame.group == "business"]
    scores = scale_scores(business, inst, "group")
    recoded = reverse_code(business, inst)
    row = {r["id"]: r for r in document["scales"]}["reliability"]
    x = scores["reliability"].dropna().to_numpy()
    assert row["n"]["business"] == len(x) and close(row["mean"]["business"], x.mean())
    items = row["alpha_items"]
    alpha, ci = pg.cronbach_alpha(recoded[items], nan_policy="listwise")
    assert close(row["alpha"], alpha)
    assert row["alpha_by_group"]["business"]["alpha"] == row["alpha"]


def test_the_document_holds_nothing_of_the_other_group(document, frame, inst):
    assert document["described"] == "business" and document["compared"] == []
    assert document["groups"] == {"business": {"n": 70, "name": "Business users"}}
    text = json.dumps(document, allow_nan=False)
    assert '"it"' not in text  # no key, count or mean of the group under k
    assert not any(key in row for row in document["items"] for key in ("welch_p", "verdict", "tost_p"))


def test_a_group_under_k_is_not_described(frame, inst):
    table = prepare_responses(frame, inst, "group", ignore_columns=["directorate", "comment"])
    small = describe_group(table, inst, "it", min_group_size=5)
    assert small["groups"] == {} and small["items"] == [] and small["scales"] == []
    assert small["note"] == "nothing to describe: group it: fewer than 5 responses (the reporting threshold)"
    # and an item with fewer than k answers in a described group is withheld, not shown
    few = frame.copy()
    few.loc[few.group == "business", "q2"] = np.nan
    few.loc[few.index[few.group == "business"][:3], "q2"] = 4
    row = {r["id"]: r for r in describe_group(prepare_responses(few, inst, "group", ignore_columns=["directorate", "comment"]),
                                               inst, "business", min_group_size=5)["items"]}["q2"]
    assert row["n"] == {"business": None} and row["mean"] == {"business": None}
    assert row["note"] == "fewer than 5 answers from group business: suppressed"


def test_the_survey_reading_of_one_group_is_its_own_means_with_the_one_sample_interval(document, inst):
    reading = perception_reading(document, inst, ["supplier", "business_partner", "business_leader"])
    assert reading.available
    for scale in reading.scales:
        entry = {r["id"]: r for r in document["scales"]}[scale.id]
        assert scale.score == entry["mean"]["business"]
        assert scale.group_means == {"business": entry["mean"]["business"]}
        low, high = entry["mean_ci95"]["business"]
        assert close(scale.ci95[0], low) and close(scale.ci95[1], high)
        assert scale.supports == (scale.score >= scale.threshold)


# -- the app, the report, the CLI -------------------------------------------------------------------
def _small_it_campaign(db_url):
    from tests import builders

    ids = builders.people(db_url)
    builders.supplier_assessment(db_url, ids)
    return ids, builders.perception_campaign(db_url, n_business=40, n_it=4)


def test_insight_describes_business_users_and_keeps_it_staff_out(db_url):
    from itcap import insights
    from itcap.storage import session_scope

    _, campaign_id = _small_it_campaign(db_url)
    with session_scope(db_url) as session:
        insight = insights.campaign_insight(session, campaign_id)
    assert insight.comparison is None and insight.described_group == "business"
    assert insight.problem.startswith("Nothing to compare: IT staff has fewer than 5 responses to analyse")
    assert insight.described_note() == ("The figures are Business users' alone: IT staff is not in them (see Participation), "
                                        "so nothing is compared and there are no verdicts.")
    assert insight.reading is not None and insight.reading.available
    assert insight.reading_basis() == "Business users' means alone"
    table = insight.described_scale_table()
    assert "mean Business users" in table.columns and not any("IT staff" in c for c in table.columns)
    results = insight.rates_table().set_index("group")["results"]
    assert results["Business users"] == "reported on its own (no other group to compare it with)"
    assert results["IT staff"] == "withheld (fewer than 5 responses)"
    assert set(insight.ipa_frame()["group"]) == {"Business users"}
    # the recommendations hear what business users say, said as theirs alone
    leaning = [f.statement for f in insight.findings if "lean towards disagreeing" in f.statement]
    assert leaning and all("from Business users alone;" in s and "the mean of" not in s for s in leaning)


def test_dashboard_shows_one_group_s_figures_and_reading(db_url):
    from tests.support import dashboard_test

    ids, _ = _small_it_campaign(db_url)
    at = dashboard_test(ids["lee"], "Perception")
    assert not at.exception
    text = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.info, *at.subheader])
    assert "Business users: scale scores with 95% confidence intervals" in text
    assert "Nothing to compare: IT staff has fewer than 5 responses" in text
    assert "Business users' means alone" in text  # the banner's reading says whose it is
    assert "The figures are Business users' alone" in text
    assert "in the survey reading when Business users' mean reaches it" in text  # not "the mean of the group means"
    frames = [d.value for d in at.dataframe]
    assert any("mean Business users" in f.columns for f in frames)
    assert not any(any("IT staff" in str(c) for c in f.columns) for f in frames if "invited" not in f.columns)


def test_report_of_one_group(db_url):
    from itcap.report import build_report, render_html
    from itcap.storage import session_scope

    _, campaign_id = _small_it_campaign(db_url)
    with session_scope(db_url) as session:
        content = build_report(session, campaign_id=campaign_id)
    page = render_html(content)
    assert "What Business users say" in page and "mean Business users" in page
    assert "Business users alone: means with 95% CIs; dashed line at 3.5: a scale supports its operating mode in the survey reading when Business users&#x27; mean reaches it" in page
    assert "IT staff n =" not in page and "mean IT staff" not in page
    assert "Responses analysed: Business users n = " in page and "on its own" in page
    assert "--groups business" in page  # the reproduce command gives these figures
    from tests.test_report import _pdf_text
    from itcap.report import render_pdf

    pdf = _pdf_text(render_pdf(content))
    assert "What Business users say" in pdf and "The figures are Business users' alone" in pdf
    assert "mean IT staff" not in pdf and "IT staff n =" not in pdf


def test_analyze_one_group(tmp_path, capsys, inst):
    from itcap.cli import main
    from tests.test_stats_support import INSTRUMENT_YAML

    frame = random_responses(seed=5, sizes={"business": 70, "it": 3})
    responses, spec = tmp_path / "r.csv", tmp_path / "i.yaml"
    frame.drop(columns=["directorate", "comment"]).to_csv(responses, index=False)
    spec.write_text(INSTRUMENT_YAML, encoding="utf-8")
    base = ["analyze", str(responses), "--instrument", str(spec), "--group-col", "group", "--quiet"]
    assert main([*base, "--groups", "Business users", "--json", str(tmp_path / "out.json")]) == 0
    document = json.loads((tmp_path / "out.json").read_text())
    table = prepare_responses(frame, inst, "group", ignore_columns=["directorate", "comment"])
    assert document == json.loads(json.dumps(describe_group(table, inst, "business")))
    capsys.readouterr()
    assert main([*base, "--groups", "business"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Group: business (Business users) n=70")
    assert "reliability" in out and "α [95% CI]" in out
    assert main([*base, "--groups", "it"]) == 1
    assert "group 'it': fewer than 5 responses (the reporting threshold); it is suppressed, so there is nothing to describe" in capsys.readouterr().err


def test_a_trend_of_one_group_left_by_the_flagged_exclusion_is_that_group_s(db_url):
    """IT staff fall under k only once their flagged responses are left out: the figures are Business
    users' alone, and so is the trend — this round included, the earlier one by its Business users
    mean (not the mean of both groups, which measured other people)."""
    from itcap import insights
    from itcap.storage import session_scope
    from tests.test_anonymity_audit import INSTRUMENT_YAML, K, _campaign_with

    earlier = _campaign_with(db_url, {"business": 40, "it_staff": 30}, {}, INSTRUMENT_YAML)
    later = _campaign_with(db_url, {"business": 40, "it_staff": K + 1}, {"it_staff": 2}, INSTRUMENT_YAML)
    from surveys.campaigns import update_campaign

    with session_scope(db_url) as session:
        update_campaign(session, earlier, "admin", name="Survey 2025")
        update_campaign(session, later, "admin", name="Survey 2026")
    with session_scope(db_url) as session:
        chosen = insights.campaign_insight(session, later, exclude_flagged=True)
        before = insights.campaign_insight(session, earlier, exclude_flagged=True)
        points = insights.campaign_trend(session, later, exclude_flagged=True)
    assert chosen.described_group == "business" and before.comparison is not None
    assert points.attrs["groups"] == "Business users alone"
    assert sorted(set(points["label"])) == sorted({before.campaign.name, chosen.campaign.name})
    for insight in (before, chosen):
        rows = points[points["label"] == insight.campaign.name].set_index("series")["value"]
        for scale in insight.reading.scales:
            if scale.name in rows.index:
                assert rows[scale.name] == pytest.approx(scale.group_means["business"])
