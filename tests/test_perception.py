import pytest

"""The survey's reading of the operating mode and the perception findings."""

from surveys.instrument import load_default_instrument
from surveys.perception import perception_findings, perception_reading

MODES = ["supplier", "business_partner", "business_leader"]


def _document(means: dict[str, tuple[float | None, float | None]], verdicts: dict[str, str] | None = None):
    verdicts = verdicts or {}
    return {
        "compared": ["business", "it"],
        "groups": {"business": {"n": 200}, "it": {"n": 100}},
        "note": None,
        "scales": [
            {"id": sid, "mean_a": a, "mean_b": b, "verdict": verdicts.get(sid, "equivalent")}
            for sid, (a, b) in means.items()
        ],
    }


INSTRUMENT = load_default_instrument()
ALL_SCALES = [s.id for s in INSTRUMENT.scales]


def _means(value_by_mode: dict[str, float]):
    return {s.id: (value_by_mode[s.mode], value_by_mode[s.mode]) for s in INSTRUMENT.scales}


def test_supplier_scales_agreed_partner_scales_not_reads_supplier():
    reading = perception_reading(_document(_means({"supplier": 3.8, "business_partner": 3.1, "business_leader": 2.4})), INSTRUMENT, MODES)
    assert reading.position == "supplier"
    assert [m.supported for m in reading.modes] == [True, False, False]


def test_each_group_counts_equally_and_the_threshold_is_three_and_a_half():
    means = _means({"supplier": 4.0, "business_partner": 4.0, "business_leader": 2.0})
    means["service_reliability"] = (3.9, 3.1)  # mean of means 3.5: exactly at the threshold → supports
    assert perception_reading(_document(means), INSTRUMENT, MODES).position == "business_partner"
    means["service_reliability"] = (3.9, 3.09)  # just below
    assert perception_reading(_document(means), INSTRUMENT, MODES).position == "none"


def test_a_higher_mode_is_not_read_when_a_lower_one_is_not_supported():
    reading = perception_reading(_document(_means({"supplier": 3.0, "business_partner": 4.5, "business_leader": 4.5})), INSTRUMENT, MODES)
    assert reading.position == "none"
    assert [m.supported for m in reading.modes] == [False, True, True]


def test_a_suppressed_group_leaves_no_reading():
    document = _document(_means({"supplier": 4.0, "business_partner": 4.0, "business_leader": 4.0}))
    document["groups"] = {"business": {"n": 200}}
    reading = perception_reading(document, INSTRUMENT, MODES)
    assert not reading.available and reading.position == "none"


def test_findings_name_low_scores_and_group_differences_with_their_category():
    means = _means({"supplier": 3.6, "business_partner": 3.6, "business_leader": 3.6})
    means["innovation"] = (2.2, 2.6)
    document = _document(means, verdicts={"communication": "differs"})
    document["scales"][[s["id"] for s in document["scales"]].index("communication")].update(mean_a=3.0, mean_b=4.0)
    findings = {f.scale_id: f for f in perception_findings(document, INSTRUMENT)}
    assert set(findings) == {"innovation", "communication"}
    assert findings["innovation"].category_id == INSTRUMENT.scale("innovation").category
    assert ("Innovation: respondents lean towards disagreeing (score 2.40 on 1–5, the mean of Business users 2.20, "
            "IT staff 2.60; 3 is neither agree nor disagree).") == findings["innovation"].statement
    assert "groups differ" in findings["communication"].statement and "Business users 3.00" in findings["communication"].statement


def test_a_score_that_reads_as_the_midpoint_is_not_said_to_lean_towards_disagreeing():
    """2.998 is printed 3.00: the report said "lean towards disagreeing (score 3.00 …; 3 is neither …)"."""
    means = _means({"supplier": 3.6, "business_partner": 3.6, "business_leader": 3.6})
    means["innovation"] = (2.996, 3.0)  # scale score 2.998, and each group's mean reads 3.00
    assert "innovation" not in {f.scale_id for f in perception_findings(_document(means), INSTRUMENT)}
    means["innovation"] = (2.98, 3.0)  # 2.99: below, as printed
    (finding,) = [f for f in perception_findings(_document(means), INSTRUMENT) if f.scale_id == "innovation"]
    assert "Business users lean towards disagreeing, taking the score to 2.99 on 1–5" in finding.statement


def test_one_group_leaning_towards_disagreeing_is_a_finding_though_the_mean_of_both_is_not():
    """Business users 2.97, IT staff 3.05: the scale scores 3.01, yet the people IT serves disagree."""
    means = _means({"supplier": 3.6, "business_partner": 3.6, "business_leader": 3.6})
    means["innovation"] = (2.97, 3.05)
    (finding,) = [f for f in perception_findings(_document(means), INSTRUMENT) if f.scale_id == "innovation"]
    assert finding.statement == ("Innovation: Business users lean towards disagreeing (Business users 2.97, IT staff "
                                 "3.05 on 1–5; 3 is neither agree nor disagree).")


def test_when_the_groups_fall_either_side_the_finding_names_the_group_that_disagrees():
    """Business users 2.53, IT staff 3.11: "respondents lean towards disagreeing" put IT staff, who lean
    towards agreeing, among those who disagree."""
    means = _means({"supplier": 3.6, "business_partner": 3.6, "business_leader": 3.6})
    means["innovation"] = (2.53, 3.11)
    (finding,) = [f for f in perception_findings(_document(means), INSTRUMENT) if f.scale_id == "innovation"]
    assert finding.statement == ("Innovation: Business users lean towards disagreeing, taking the score to 2.82 on 1–5 "
                                 "(the mean of Business users 2.53, IT staff 3.11; 3 is neither agree nor disagree).")


def test_a_score_just_under_the_threshold_is_not_printed_as_reaching_it():
    """3.4992 printed "3.50 is under the 3.5": as many decimals as it takes (as the banner does)."""
    means = _means({"supplier": 3.8, "business_partner": 3.8, "business_leader": 3.8})
    means["communication"] = (3.4984, 3.5)
    document = _document(means)
    reading = perception_reading(document, INSTRUMENT, MODES)
    (finding,) = [f for f in perception_findings(document, INSTRUMENT, reading, {"business_partner": "Business Partner"})
                  if f.scale_id == "communication"]
    assert "its score 3.499 is under the 3.5" in finding.statement


def test_a_scale_that_keeps_the_survey_from_its_next_mode_is_a_finding():
    """The banner says "Short of Business Partner: Communication 3.01"; the recommendations must
    name it too (it scores above the midpoint and the groups agree, so no other rule does)."""
    means = _means({"supplier": 3.8, "business_partner": 3.8, "business_leader": 3.8})
    means["communication"] = (3.0, 3.02)
    document = _document(means)
    reading = perception_reading(document, INSTRUMENT, MODES)
    assert reading.position == "supplier"
    assert "communication" not in {f.scale_id for f in perception_findings(document, INSTRUMENT)}
    (finding,) = [f for f in perception_findings(document, INSTRUMENT, reading, {"business_partner": "Business Partner"})
                  if f.scale_id == "communication"]
    assert finding.statement == ("Communication: it keeps the survey from reading Business Partner: its score 3.01 is "
                                 "under the 3.5 each of that mode's scales needs.")
    assert finding.category_id == INSTRUMENT.scale("communication").category


def test_an_imported_implausible_number_does_not_take_down_the_campaign_s_analysis(db_url):
    """An import keeps a 500-minute logon (flagged out_of_range); the dashboard and the report still
    have their comparison, with that answer left out and counted."""
    from itcap import insights
    from itcap.storage import session_scope
    from surveys.campaigns import close_campaign
    from surveys.imports import add_responses
    from tests import builders

    builders.people(db_url)
    campaign_id = builders.perception_campaign(db_url)
    with session_scope(db_url) as session:
        answers = {item.id: 3 for item in load_default_instrument().items_for_group("business") if item.type == "likert"}
        result = add_responses(session, campaign_id, [{"group": "business", "answers": {**answers, "logon_minutes": 500}}],
                               actor="admin", source="import")
        assert result.imported == 1
        close_campaign(session, campaign_id, "admin")  # every response in the figures (open: whole batches only)
    with session_scope(db_url) as session:
        for exclude_flagged in (False, True):
            insight = insights.campaign_insight(session, campaign_id, exclude_flagged=exclude_flagged)
            assert insight.problem is None and insight.comparison is not None
            assert insight.comparison["excluded"]["out_of_range_values"] == (0 if exclude_flagged else 1)


def test_a_campaign_that_cannot_be_analysed_says_so_without_naming_responses(db_url, monkeypatch):
    """The analysis errors list stored rows by response id; leadership pages and the report must not."""
    from itcap import insights
    from itcap.storage import session_scope
    from surveys.analysis_input import AnalysisInputError
    from tests import builders

    builders.people(db_url)
    campaign_id = builders.perception_campaign(db_url)

    def broken(*args, **kwargs):
        raise AnalysisInputError(["<responses>: row b946fcc9e1, column q1: 9 is out of range"])

    monkeypatch.setattr(insights, "compare_groups", broken)
    with session_scope(db_url) as session:
        insight = insights.campaign_insight(session, campaign_id)
    assert insight.comparison is None and "cannot be analysed" in insight.problem
    assert "b946fcc9e1" not in insight.problem and f"itcap responses export {campaign_id}" in insight.problem


def test_the_response_count_says_what_the_figures_rest_on():
    """With flagged responses left out, the dashboard's count is of the responses analysed, not all."""
    from itcap.insights import CampaignInsight

    insight = CampaignInsight(campaign=None, instrument=None, rates={}, n_responses=300, excluded_flagged=True)
    assert insight.responses_note() == "300 responses"  # no comparison (yet): all there are
    insight.comparison = {"groups": {"b": {"n": 184}, "i": {"n": 92}}, "excluded": {"flagged_rows": 24, "empty_rows": 0}}
    assert insight.responses_note() == "276 of 300 responses (24 flagged left out)"
    insight.comparison = {"groups": {"b": {"n": 200}, "i": {"n": 96}}, "excluded": {"flagged_rows": 0, "empty_rows": 1}}
    assert insight.responses_note() == "296 of 300 responses (1 empty, 3 in groups not compared left out)"
    insight.comparison = {"groups": {"b": {"n": 200}, "i": {"n": 100}}, "excluded": {}}
    assert insight.responses_note() == "300 responses"


def test_a_model_whose_modes_the_survey_does_not_evidence_gives_no_reading_rather_than_none():
    """The shipped survey beside a COBIT-style model: "not yet Compliant" would be a reading, and the
    dashboard would call it a disagreement with the assessment."""
    document = _document(_means({"supplier": 4.5, "business_partner": 4.5, "business_leader": 4.5}))
    reading = perception_reading(document, INSTRUMENT, ["compliant", "assured", "value_driven"])
    assert not reading.available and reading.position == "none"
    assert reading.note == ("the survey's scales evidence modes (business_leader, business_partner, supplier) that the "
                            "capability model does not have (its modes: compliant, assured, value_driven), so the survey "
                            "gives no reading against it")


def test_scales_tagged_with_a_mode_the_model_lacks_are_named_not_silently_dropped():
    instrument = INSTRUMENT.model_copy(update={"scales": [
        s.model_copy(update={"mode": "suplier"}) if s.id == "service_reliability" else s for s in INSTRUMENT.scales]})
    means = _means({"supplier": 4.0, "business_partner": 3.0, "business_leader": 3.0})
    reading = perception_reading(_document(means), instrument, MODES)
    assert reading.available and reading.position == "supplier"
    assert reading.unmatched == [instrument.scale("service_reliability").name]


def test_without_an_assessment_the_reading_follows_the_shipped_model_s_modes(db_url):
    """No assessment, no model: every reading was "none" whatever the respondents said."""
    from itcap import insights
    from itcap.storage import session_scope
    from tests import builders

    campaign_id = builders.perception_campaign(db_url)
    with session_scope(db_url) as session:
        without = insights.campaign_insight(session, campaign_id)
        with_model = insights.campaign_insight(session, campaign_id, mode_order=MODES)
    assert list(insights.default_mode_order()) == MODES
    assert without.reading.position == with_model.reading.position == "supplier"


def test_a_survey_of_one_group_says_there_is_no_one_to_compare_with(db_url):
    """With one group at or above k, nothing falls short: "Not enough responses:  have fewer than 5" was
    both broken and untrue. Its own figures, and the reading from them, are shown instead."""
    from itcap import insights
    from itcap.storage import session_scope
    from surveys.imports import add_responses
    from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

    one_group = (INSTRUMENT_YAML.replace("  - {id: it_staff, name: IT staff}\n", "")
                 .replace(", groups: [it_staff]}", "}"))
    campaign_id = make_campaign(db_url, yaml=one_group)
    with session_scope(db_url) as session:
        add_responses(session, campaign_id, [{"group": "business", "answers": {"rel1": 4, "rel2": 4, "par1": 3}}] * 12,
                      actor="admin", source="import")
        insight = insights.campaign_insight(session, campaign_id)
    assert insight.comparison is None and insight.described_group == "business"
    assert insight.reading is not None and insight.reading.scales[0].group_means == {"business": 4.0}
    assert insight.problem == "Nothing to compare: this survey has one group (Business users), and a comparison needs two."
    assert insight.described_note() == ("The figures are Business users', the survey's one group: there is no other "
                                        "group to compare them with.")


def test_a_difference_is_said_with_the_compared_pair_s_means_when_more_groups_are_read():
    """The verdict is the pair's; the reading's scores are every group's. "The groups differ
    (Business users 3.10, IT staff 4.20, Contractors 3.90)" named a group the verdict is not about."""
    means = _means({"supplier": 3.8, "business_partner": 3.8, "business_leader": 3.8})
    means["communication"] = (3.1, 4.2)
    document = _document(means, verdicts={"communication": "differs"})
    every = {"scales": [{"id": sid, "mean": {"business": a, "it": b, "contractors": 3.9}} for sid, (a, b) in means.items()]}
    reading = perception_reading(document, INSTRUMENT, MODES, every_group=every)
    (finding,) = [f for f in perception_findings(document, INSTRUMENT, reading) if f.scale_id == "communication"]
    assert finding.statement.endswith("the groups differ (Business users 3.10, IT staff 4.20).")


def _unscored(document: dict, *scale_ids: str, note: str = "answered by nobody") -> dict:
    for entry in document["scales"]:
        if entry["id"] in scale_ids:
            entry.update(mean_a=None, mean_b=None, verdict=None, note=note)
    return document


def test_a_survey_whose_scales_have_no_score_gives_no_reading_rather_than_not_yet_supplier():
    """30 imported responses answering two items of the whole survey: no scale has a score, and
    "not yet Supplier" would be a finding — and a disagreement with the assessment."""
    document = _unscored(_document(_means({"supplier": 4.0, "business_partner": 4.0, "business_leader": 4.0})), *ALL_SCALES)
    reading = perception_reading(document, INSTRUMENT, MODES)
    assert not reading.available
    assert reading.note == "no survey scale has a score to read: no respondent answered at least half the items of any scale"


def test_a_mode_whose_only_shortfall_is_an_unscored_scale_is_undetermined_not_failed():
    by_mode = {s.mode: [x.id for x in INSTRUMENT.scales if x.mode == s.mode] for s in INSTRUMENT.scales}
    document = _means({"supplier": 4.0, "business_partner": 4.0, "business_leader": 4.0})
    reading = perception_reading(_unscored(_document(document), by_mode["business_partner"][0]), INSTRUMENT, MODES)
    assert (reading.position, reading.undetermined) == ("supplier", "business_partner")
    missing = next(s for s in reading.scales if s.id == by_mode["business_partner"][0])
    assert missing.score is None and missing.missing == "no respondent answered at least half its items"

    # a scored scale of the same mode that falls short decides it: no higher, not "cannot say"
    document[by_mode["business_partner"][1]] = (3.0, 3.0)
    reading = perception_reading(_unscored(_document(document), by_mode["business_partner"][0]), INSTRUMENT, MODES)
    assert (reading.position, reading.undetermined) == ("supplier", None)


def test_a_lean_whose_confidence_interval_reaches_neutral_is_said_to_be_within_chance():
    """Business users 2.96 with a 95% CI of [2.86, 3.05]: a board reads "lean towards disagreeing" as a
    finding, which the data cannot tell from neutral — said so; a CI wholly below 3 is not qualified."""
    means = _means({"supplier": 3.6, "business_partner": 3.6, "business_leader": 3.6})
    means["innovation"] = (2.96, 3.05)
    document = _document(means)
    innovation = next(s for s in document["scales"] if s["id"] == "innovation")
    innovation["mean_ci95_a"], innovation["mean_ci95_b"] = [2.86, 3.05], [2.95, 3.15]
    (finding,) = [f for f in perception_findings(document, INSTRUMENT) if f.scale_id == "innovation"]
    assert finding.statement.endswith("; 3 is neither agree nor disagree) — though within chance of neutral for "
                                      "Business users (95% CI reaching 3).")
    innovation["mean_ci95_a"] = [2.90, 2.99]
    (finding,) = [f for f in perception_findings(document, INSTRUMENT) if f.scale_id == "innovation"]
    assert "within chance" not in finding.statement


# -- the scale score's confidence interval -------------------------------------------------------------
def test_the_score_interval_of_one_group_is_the_one_sample_t_interval():
    import numpy as np
    from scipy import stats as sps

    from surveys.perception import score_interval

    x = np.random.default_rng(3).integers(1, 6, 40).astype(float)
    expected = sps.ttest_1samp(x, 3.5).confidence_interval(0.95)
    assert score_interval([x.mean()], [x.std(ddof=1)], [len(x)]) == pytest.approx((expected.low, expected.high), abs=1e-9)


def test_the_score_interval_of_two_groups_is_half_the_welch_interval_of_their_difference():
    """The mean of two means, (a + b) / 2, has the standard error and degrees of freedom of Welch's
    a − b halved: its interval is half as wide, centred on the mean of the means."""
    import numpy as np
    from scipy import stats as sps

    from surveys.perception import score_interval

    rng = np.random.default_rng(11)
    a, b = rng.integers(1, 6, 200).astype(float), rng.integers(2, 6, 37).astype(float)
    welch = sps.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    low, high = score_interval([a.mean(), b.mean()], [a.std(ddof=1), b.std(ddof=1)], [len(a), len(b)])
    assert (low + high) / 2 == pytest.approx((a.mean() + b.mean()) / 2, abs=1e-12)
    assert (high - low) == pytest.approx((welch.high - welch.low) / 2, abs=1e-9)


def test_the_score_interval_of_equal_groups_uses_their_pooled_degrees_of_freedom():
    """G groups of n with one SD: Welch–Satterthwaite gives G(n − 1) degrees of freedom and the
    standard error sd / √(G n) — the textbook values."""
    from scipy import stats as sps

    from surveys.perception import score_interval

    low, high = score_interval([3.2, 3.6, 3.9], [0.8, 0.8, 0.8], [25, 25, 25])
    half = sps.t.ppf(0.975, 3 * 24) * 0.8 / (3 * 25) ** 0.5
    assert (low, high) == pytest.approx((3.5666666666666667 - half, 3.5666666666666667 + half), abs=1e-12)


@pytest.mark.parametrize(("sds", "ns"), [([0.0, 0.0], [30, 30]), ([0.7, None], [30, 30]), ([0.7, 0.7], [30, 1])])
def test_the_score_interval_is_undefined_without_spread_or_without_two_in_a_group(sds, ns):
    from surveys.perception import score_interval

    assert score_interval([3.4, 3.6], sds, ns) is None


def _with_spread(document: dict, scale_id: str, sd: float, n: tuple[int, int] = (200, 100)) -> dict:
    entry = next(s for s in document["scales"] if s["id"] == scale_id)
    entry.update(sd_a=sd, sd_b=sd, n_a=n[0], n_b=n[1])
    return document


def test_a_score_whose_interval_straddles_the_threshold_is_said_to_be_within_sampling_error():
    """Service reliability at 3.52 with a wide spread: the survey reads Supplier in these responses,
    but other respondents from the same staff could fall short — the dashboard and the report say so;
    a scale short of the next mode by less than its sampling error says so in the reason too."""
    from itcap import insights

    names = {"supplier": "Supplier", "business_partner": "Business Partner", "business_leader": "Business Leader",
             "none": "not yet Supplier"}
    means = _means({"supplier": 3.9, "business_partner": 3.0, "business_leader": 2.5})
    means["service_reliability"] = (3.50, 3.54)
    means["business_understanding"] = (3.46, 3.46)
    document = _with_spread(_with_spread(_document(means), "service_reliability", 1.1), "business_understanding", 1.0)
    for scale in document["scales"]:
        scale.setdefault("sd_a", 0.2), scale.setdefault("sd_b", 0.2), scale.setdefault("n_a", 200), scale.setdefault("n_b", 100)
    reading = perception_reading(document, INSTRUMENT, MODES)
    assert reading.position == "supplier"
    reliability = next(s for s in reading.scales if s.id == "service_reliability")
    assert reliability.within_sampling_error and reliability.ci95[0] < 3.5 < reliability.ci95[1]
    note = insights.reading_margin_note(reading, names)
    assert note.startswith(f"Borderline: Service reliability 3.52 (95% CI {reliability.ci95[0]:.2f}–{reliability.ci95[1]:.2f}) "
                           "reaches 3.5 in these responses")
    assert note.endswith("so the survey's support for Supplier is within sampling error.")
    understanding = next(s for s in reading.scales if s.id == "business_understanding")
    reason = insights.reading_reason(reading, names)
    assert (f"Business understanding 3.46 (95% CI {understanding.ci95[0]:.2f}–{understanding.ci95[1]:.2f}, within sampling "
            "error of 3.5)") in reason
    # tight intervals: neither is said
    for scale in document["scales"]:
        scale.update(sd_a=0.01, sd_b=0.01)
    tight = perception_reading(document, INSTRUMENT, MODES)
    assert insights.reading_margin_note(tight, names) is None and "sampling error" not in insights.reading_reason(tight, names)
