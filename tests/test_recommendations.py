"""Recommendations: ranked by shortfall × weight, grouped by finding category, first-100-days cut."""

import numpy as np
import yaml

from assessment.recommendations import PerceptionFinding, recommend
from capability_model.loader import load_default_model, parse_model
from capability_model.positioning import position


def _model(categories, weights, supplier, partner):
    levels = [1, 2, 3, 4, 5]
    document = {
        "id": "m", "name": "M",
        "levels": [{"level": lv, "name": f"L{lv}"} for lv in levels],
        "domains": [{"id": "d", "name": "D"}],
        "capabilities": [
            {"id": f"c{i}", "name": f"Cap {i}", "domain": "d", "category": cat, "weight": w,
             "levels": {lv: "x" for lv in levels}, "recommendation": f"Do something about cap {i}."}
            for i, (cat, w) in enumerate(zip(categories, weights))
        ],
        "modes": [
            {"id": "supplier", "name": "Supplier", "order": 1, "targets": {f"c{i}": t for i, t in enumerate(supplier)}},
            {"id": "partner", "name": "Partner", "order": 2, "targets": {f"c{i}": t for i, t in enumerate(partner)}},
        ],
    }
    return parse_model(yaml.safe_dump(document), "<test>")


def _position(model, levels):
    return position(model, np.array([[lv] for lv in levels], dtype=float), resamples=10)


def test_gaps_to_the_next_mode_rank_by_shortfall_times_weight():
    model = _model(["alignment", "governance", "finance", "alignment"], [1.0, 1.5, 1.0, 2.0], [2, 2, 2, 2], [3, 4, 4, 3])
    result = _position(model, [3, 3, 2, 2])  # supplier achieved; partner gaps: c1 1×1.5, c2 2×1, c3 1×2
    assert result.position == "supplier"
    plan = recommend(model, result)
    assert plan.next_mode_id == "partner"
    assert [(r.capability_id, r.priority) for r in plan.ranked] == [("c2", 2.0), ("c3", 2.0), ("c1", 1.5)]
    # equal priority: the larger shortfall first (c2 is 2 levels short, c3 one)
    assert [r.rank for r in plan.ranked] == [1, 2, 3]
    assert plan.ranked[0].blocking and not plan.ranked[1].blocking
    assert plan.ranked[0].text == "Do something about cap 2."


def test_categories_are_grouped_and_ordered_by_total_priority():
    model = _model(["alignment", "governance", "finance", "alignment"], [1.0, 1.5, 1.0, 2.0], [2, 2, 2, 2], [3, 4, 4, 3])
    plan = recommend(model, _position(model, [2, 3, 2, 2]))  # c0 1, c1 1.5, c2 2, c3 2
    names = [(c.category_id, [r.capability_id for r in c.recommendations]) for c in plan.categories]
    assert names == [("alignment", ["c3", "c0"]), ("finance", ["c2"]), ("governance", ["c1"])]


def test_first_100_days_keeps_every_blocker_and_fills_up_to_the_cap():
    n = 8
    model = _model(["alignment"] * n, [1.0] * n, [1] * n, [4] * n)
    levels = [1, 1, 3, 3, 3, 3, 3, 3]  # c0, c1 three short (blockers), the rest one short
    plan = recommend(model, _position(model, levels), first_100_days_max=4)
    first = [r.capability_id for r in plan.first_100_days]
    assert first[:2] == ["c0", "c1"] and len(first) == 4
    many_blockers = recommend(model, _position(model, [1] * n), first_100_days_max=3)
    assert len(many_blockers.first_100_days) == n, "blockers are never cut"


def test_a_first_100_days_list_cut_inside_a_tie_says_so():
    """Ten gaps of one level and equal weight: five are taken in the model's order, and the reader is told."""
    n = 10
    model = _model(["alignment"] * n, [1.0] * n, [1] * n, [3] * n)
    plan = recommend(model, _position(model, [2] * n))
    assert [r.capability_id for r in plan.first_100_days] == ["c0", "c1", "c2", "c3", "c4"]
    assert plan.first_100_days_tie == 10
    assert plan.first_100_days_tie_note() == ("The last 5 in this list were picked from 10 equally urgent gaps; which 5 "
                                              "follows the order of the capability model, not a judgement: the other 5 "
                                              "are just as urgent.")
    weights = [2.0] * 5 + [1.0] * 5  # the cut falls between priorities: nothing to say
    plan = recommend(_model(["alignment"] * n, weights, [1] * n, [3] * n), _position(model, [2] * n))
    assert plan.first_100_days_tie == 0 and plan.first_100_days_tie_note() is None


def test_when_every_mode_is_achieved_there_is_nothing_to_recommend():
    model = _model(["alignment"] * 2, [1.0, 1.0], [2, 2], [3, 3])
    plan = recommend(model, _position(model, [5, 5]))
    assert plan.next_mode_id is None and plan.ranked == [] and plan.categories == []


def test_perception_findings_attach_to_their_category_without_changing_ranks():
    model = _model(["alignment", "governance"], [1.0, 1.0], [2, 2], [3, 4])
    finding = PerceptionFinding("finance", "value", "Value for money", "Both groups disagree that IT is good value.")
    plan = recommend(model, _position(model, [2, 2]), [finding])
    by_id = {c.category_id: c for c in plan.categories}
    assert by_id["finance"].findings == [finding] and by_id["finance"].recommendations == []
    assert [r.capability_id for r in plan.ranked] == ["c1", "c0"]


def test_every_capability_of_the_shipped_model_has_recommendation_text():
    model = load_default_model()
    plan = recommend(model, _position(model, [1] * len(model.capabilities)))
    assert plan.next_mode_id == "supplier"
    assert len(plan.ranked) == sum(1 for t in model.mode("supplier").targets.values() if t > 1)
    assert all(model.capability(c).recommendation for c in model.capability_ids)
    assert all(len(r.text) > 40 for r in plan.ranked)


def test_a_capability_nobody_assessed_is_a_blocker_whose_first_step_is_to_assess_it():
    model = _model(["alignment"] * 4, [1.0] * 4, [1, 1, 1, 1], [2, 2, 2, 2])
    result = _position(model, [1, 1, 1, np.nan])  # by levels alone c3 is one short of 1: not a blocker
    assert result.position == "none"
    plan = recommend(model, result)
    assert plan.next_mode_id == "supplier"
    (only,) = plan.ranked
    assert only.capability_id == "c3" and only.blocking and only in plan.first_100_days
    assert only.text.startswith("Assess Cap 3: nobody has given it a level")
