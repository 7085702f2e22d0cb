"""How figures are worded for a board: no rounding that contradicts the rule printed beside it."""

from __future__ import annotations

import pytest

from assessment.reliability import ICC_TYPES, AlphaResult, IccResult, ReliabilityReport
from capability_model.positioning import iso33020_rating
from itcap.insights import attainment_percent, confidence_percent, icc_band, reliability_verdict


@pytest.mark.parametrize(("percent", "shown"), [
    (84.6, "84.6%"), (85.4, "85.4%"), (84.96, "84.96%"), (15.04, "15.04%"), (49.5, "49.5%"), (15.3, "15.3%"),
    (85.0, "85%"), (50.0, "50%"), (84.4, "84%"), (100.0, "100%"), (0.0, "0%"), (61.33, "61%"),
])
def test_attainment_near_a_rating_boundary_keeps_a_decimal(percent, shown):
    assert attainment_percent(percent) == shown


def test_a_shown_attainment_never_reads_as_the_other_side_of_its_rating():
    """Every attainment a model can give, shown, sits on the same side of 15/50/85 as the rating says."""
    for tenths in range(0, 1001):
        percent = tenths / 10 + 0.04
        shown = float(attainment_percent(percent).rstrip("%"))
        rating = iso33020_rating(percent / 100)
        assert rating == "F" or shown <= {"N": 15, "P": 50, "L": 85}[rating], (percent, shown, rating)
        assert rating == "N" or shown > {"P": 15, "L": 50, "F": 85}[rating], (percent, shown, rating)


@pytest.mark.parametrize(("confidence", "shown"), [(1.0, "100%"), (0.997, "more than 99%"), (0.975, "98%"), (0.5, "50%")])
def test_confidence_is_never_rounded_up_to_certainty(confidence, shown):
    assert confidence_percent(confidence) == shown


def _reliability(icc2k: float | None, ci: tuple[float, float] | None, alpha: float | None) -> ReliabilityReport:
    iccs = [IccResult(type=t, icc=icc2k if t == "ICC2k" else 0.5, ci95=ci if t == "ICC2k" else None) for t in ICC_TYPES]
    return ReliabilityReport(n_capabilities=18, n_assessors=3, n_capabilities_icc=18, icc=iccs,
                             alpha=AlphaResult(alpha=alpha, level_of_measurement="ordinal", n_units=18, n_values=54))


@pytest.mark.parametrize(("icc", "band"), [(0.95, "excellent"), (0.9, "excellent"), (0.78, "good"), (0.75, "good"),
                                           (0.6, "moderate"), (0.5, "moderate"), (0.49, "poor"), (-0.2, "poor")])
def test_icc_bands_are_koo_and_li(icc, band):
    assert icc_band(icc) == band


def test_reliability_verdict_reads_icc2k_over_its_whole_ci_and_alpha_against_krippendorff():
    text = reliability_verdict(_reliability(0.78, (0.55, 0.91), 0.64))
    # Koo & Li read the interval as a range of bands; the lower band alone ("at least poor") says nothing
    assert text.startswith("Taken together, the reliability of the assessors' levels is good (ICC2k 0.78, 95% CI 0.55–0.91: "
                           "anywhere from moderate to excellent on the evidence so far")
    assert "Between single assessors, Krippendorff's α 0.64 is below 0.667" in text
    same_band = reliability_verdict(_reliability(0.92, (0.91, 0.97), 0.85))
    assert "is excellent (ICC2k 0.92, 95% CI 0.91–0.97; Koo & Li" in same_band
    assert "anywhere" not in same_band
    assert "α 0.85 is at or above 0.8" in same_band
    assert "tentative conclusions only" in reliability_verdict(_reliability(0.6, None, 0.7))


def test_reliability_verdict_is_silent_when_nothing_was_computed():
    assert reliability_verdict(_reliability(None, None, None)) is None
    assert reliability_verdict(_reliability(None, None, 0.9)).startswith("Between single assessors, Krippendorff's α 0.90")


def test_analysis_notes_name_groups_and_flag_counts_say_when_they_overlap():
    from types import SimpleNamespace

    from itcap.insights import CampaignInsight

    groups = SimpleNamespace(group_names=lambda: {"it": "IT staff", "it_contractors": "Contractors", "business": "Business users"})
    assert CampaignInsight.readable_note(groups, "not asked of group it") == "not asked of IT staff"
    assert (CampaignInsight.readable_note(groups, "fewer than 5 respondents of group it_contractors answered")
            == "fewer than 5 respondents of Contractors answered")
    assert CampaignInsight.readable_note(groups, None) is None
    assert CampaignInsight.readable_note(groups, "not asked of group business, it: no comparison") == \
        "not asked of Business users, IT staff: no comparison"
    assert CampaignInsight.readable_note(groups, "only some groups answer q7 (it), q8 (nobody compared)") == \
        "only some groups answer q7 (IT staff), q8 (nobody compared)"
    odd = SimpleNamespace(group_names=lambda: {"it": "IT\\Ops \\1"})  # a name is never a regex template
    assert CampaignInsight.readable_note(odd, "not asked of group it") == "not asked of IT\\Ops \\1"
    flags = SimpleNamespace(excluded_flagged=False, n_flagged=26, flag_counts={"straightline": 24, "fast": 3})
    assert CampaignInsight.flagged_note(flags).endswith("(24 straight-lining (the same answer to a whole section), "
                                                        "3 implausibly fast; a response can have more than one).")
    flags.flag_counts = {"straightline": 23, "fast": 3}
    assert "more than one" not in CampaignInsight.flagged_note(flags)


def test_the_headline_says_why_the_next_mode_is_not_reached():
    """"10 capabilities are below Business Partner's targets" beside "0 blocking" left a board asking
    why Business Partner is not achieved: it says the attainment rule, or the blocking levels."""
    from types import SimpleNamespace

    import numpy as np

    from capability_model.positioning import position
    from itcap.insights import position_headline
    from tests.test_positioning import make_model

    model = make_model({"supplier": [2] * 6, "partner": [3] * 6, "leader": [4] * 6})

    def headline(levels):
        result = position(model, np.array([[float(v)] * 2 for v in levels]))
        names = {m.id: m.name for m in model.ordered_modes}
        rated = [SimpleNamespace(effective=float(v)) for v in levels]
        return position_headline(SimpleNamespace(result=result, model=model, consensus=rated,
                                                 position_name=lambda: names[result.position]))

    # five of six one level short: 13 of 18 target levels reached, 72.2% — not F
    # (16 of 18 = 88.9% is F: three more levels)
    assert headline([2, 2, 2, 2, 2, 3]) == ("Supplier, stable in 100% of resamples of the assessors; 5 of 6 capabilities "
                                            "are below Partner's targets (the levels reached add up to 72% of its target "
                                            "levels, where more than 85% is needed; 3 more levels in total, across the "
                                            "capabilities short, would reach it).")
    # one capability two levels short of Partner: F on attainment (16 of 18), blocked all the same
    assert headline([1, 3, 3, 3, 3, 3]) == ("Supplier, stable in 100% of resamples of the assessors; 1 of 6 capabilities "
                                            "is below Partner's targets (1 of them more than one level short, enough to "
                                            "block it; 1 more level in total, across the capabilities short, would reach it).")
    # an assessment nobody has rated yet is not "Not yet Supplier; 6 of 6 below its targets (0% …)"
    nobody = position(model, np.full((6, 2), np.nan))
    unrated = SimpleNamespace(result=nobody, model=model, consensus=[SimpleNamespace(effective=None)] * 6,
                              position_name=lambda: "none")
    assert position_headline(unrated) == "No position yet: none of the 6 capabilities has been rated."


def test_the_survey_reading_says_which_scales_keep_it_from_the_next_mode():
    """"Not yet Supplier" alone: Responsiveness averaged 3.47 against 3.5, and nothing said so."""
    from surveys.perception import ModeReading, PerceptionReading, ScaleReading

    from itcap.insights import reading_reason

    def scale(id_, score, mode="supplier"):
        return ScaleReading(id_, id_.title(), mode, score, {}, 3.5, score is not None and score >= 3.5, None)

    names = {"supplier": "Supplier", "partner": "Business Partner", "none": "not yet Supplier"}
    scales = [scale("reliability", 3.8), scale("responsiveness", 3.4971), scale("understanding", 3.0, "partner")]
    reading = PerceptionReading("none", [ModeReading("supplier", ["reliability", "responsiveness"], False),
                                         ModeReading("partner", ["understanding"], False)], scales)
    # 3.4971 is not "3.50" beside "at least 3.50"
    assert reading_reason(reading, names) == "Short of Supplier: Responsiveness 3.497; each needs at least 3.5."
    supplier = PerceptionReading("supplier", [ModeReading("supplier", ["reliability"], True),
                                              ModeReading("partner", ["understanding"], False)], scales)
    assert reading_reason(supplier, names) == "Short of Business Partner: Understanding 3.00; each needs at least 3.5."
    every = PerceptionReading("partner", [ModeReading("supplier", ["reliability"], True)], scales)
    assert reading_reason(every, names) is None


def test_a_reading_stopped_by_unscored_scales_says_so_and_is_not_called_a_disagreement():
    """Both groups were reported, but Responsiveness had no score: "no score: a group was not
    reported" was untrue, and "this differs from the assessment" was a finding made of nothing."""
    from types import SimpleNamespace

    from surveys.perception import ModeReading, PerceptionReading, ScaleReading

    from itcap.insights import AGREES, CANNOT_COMPARE, DIFFERS, reading_reason, survey_against_assessment

    names = {"supplier": "Supplier", "partner": "Business Partner", "leader": "Business Leader", "none": "not yet Supplier"}
    scales = [ScaleReading("reliability", "Reliability", "supplier", 3.8, {}, 3.5, True, "equivalent"),
              ScaleReading("understanding", "Understanding", "partner", None, {}, 3.5, False, None,
                           "no respondent answered at least half its items")]
    modes = [ModeReading("supplier", ["reliability"], True), ModeReading("partner", ["understanding"], False),
             ModeReading("leader", [], False)]
    reading = PerceptionReading("supplier", modes, scales, undetermined="partner")
    assert reading_reason(reading, names) == ("The survey cannot say whether it reaches Business Partner: Understanding "
                                              "(no score: no respondent answered at least half its items).")

    def assessed(position):
        model = SimpleNamespace(ordered_modes=[SimpleNamespace(id=m) for m in ("supplier", "partner", "leader")])
        return SimpleNamespace(result=SimpleNamespace(position=position), model=model)

    assert survey_against_assessment(reading, assessed("supplier")) == AGREES
    assert survey_against_assessment(reading, assessed("leader")) == CANNOT_COMPARE  # "at least Supplier"
    assert survey_against_assessment(reading, assessed("none")) == DIFFERS  # the survey reads higher
    decided = PerceptionReading("supplier", modes, scales)  # a scored scale fell short: "no higher than Supplier"
    assert survey_against_assessment(decided, assessed("leader")) == DIFFERS


def test_the_dashboard_scale_table_says_when_the_pooled_alpha_is_one_group_s_alone():
    """α is listwise: with no IT respondent answering every item, "all groups" is business's α."""
    from itcap.insights import CampaignInsight
    from surveys.instrument import load_default_instrument

    instrument = load_default_instrument()
    scale = instrument.scales[0]
    comparison = {"compared": ["business", "it"], "groups": {"business": {"n": 40}, "it": {"n": 12}},
                  "scales": [{"id": scale.id, "name": scale.name, "n_a": 40, "n_b": 12, "mean_a": 3.1, "mean_b": 3.4,
                              "verdict": "inconclusive", "alpha": 0.81, "note": None,
                              "alpha_note": "no respondent of group it answered every item, so this is the α of group "
                                            "business alone"}]}
    insight = CampaignInsight(campaign=None, instrument=instrument, rates={}, n_responses=52, excluded_flagged=False,
                              comparison=comparison)
    (note,) = insight.scale_table()["note"]
    assert note == "α: no respondent of IT staff answered every item, so this is the α of Business users alone"


def test_the_assessment_progress_sentence_gives_each_mode_the_rating_the_position_used():
    """17 levels short of 20 is 15% exactly — rated N by the position's exact sums — but
    100·(1 − 17/20) is 15.000000000000002 in floating point, which rated afresh reads P: the sentence
    shows the mode's own rating, so it never contradicts the mode table beside it."""
    import datetime as dt

    import pandas as pd

    from itcap import insights

    value = 100 * (1 - 17 / 20)
    assert iso33020_rating(value / 100) == "P"  # the trap
    points = pd.DataFrame([
        {"when": dt.date(2025, 3, 1), "label": "Review 2025", "series": "Business Leader", "value": value,
         "position": "Supplier", "provisional": False, "rating": "N"},
        {"when": dt.date(2026, 3, 1), "label": "Review 2026", "series": "Business Leader", "value": value,
         "position": "Supplier", "provisional": False, "rating": "N"},
    ], columns=[*insights.TREND_COLUMNS, "rating"])
    (sentence,) = insights.progress_sentences(points, None)
    assert "Business Leader 15% (N) → 15% (N)" in sentence


def test_the_survey_reading_rule_is_said_in_the_instrument_s_own_numbers(db_url):
    """A 1–7 agreement scale supports its mode from 4.75, not "3.5 of 5" (as the dashboard once said
    whatever the instrument)."""
    import numpy as np

    from itcap import insights
    from itcap.storage import session_scope
    from surveys.campaigns import close_campaign
    from surveys.imports import add_responses
    from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

    seven = INSTRUMENT_YAML.replace("    max: 5\n    labels: {1: Strongly disagree, 2: Disagree, 3: Neither agree nor disagree, "
                                    "4: Agree, 5: Strongly agree}",
                                    "    max: 7\n    labels: {1: Strongly disagree, 2: Disagree, 3: Somewhat disagree, 4: Neither agree nor "
                                    "disagree, 5: Somewhat agree, 6: Agree, 7: Strongly agree}")
    assert seven != INSTRUMENT_YAML
    for yaml_text, said in ((INSTRUMENT_YAML, "at least 3.5 on 1–5"), (seven, "at least 4.75 on 1–7")):
        campaign_id = make_campaign(db_url, yaml=yaml_text.replace("id: test_perception", f"id: test_{said[9:13].replace('.', '_')}"))
        rng = np.random.default_rng(2)
        rows = [{"group": g, "answers": {"rel1": int(rng.integers(2, 5)), "par1": int(rng.integers(2, 5))}}
                for g in ("business", "it_staff") for _ in range(12)]
        with session_scope(db_url) as session:
            add_responses(session, campaign_id, rows, actor="test")
            close_campaign(session, campaign_id, "test")
            insight = insights.campaign_insight(session, campaign_id)
        assert insights.reading_threshold_text(insight) == said
