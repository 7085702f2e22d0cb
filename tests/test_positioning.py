"""Positioning rules (DESIGN.md): attainment, ISO/IEC 33020 rating, achieved, position, gaps, confidence."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from capability_model.loader import parse_model
from capability_model.positioning import (
    NO_POSITION,
    bootstrap_positions,
    evaluate_consensus,
    iso33020_rating,
    level_for_display,
    median_levels,
    position,
)

nan = np.nan


def make_model(targets: dict[str, list[int]], *, low: int = 1, high: int = 5, weights: list[float] | None = None):
    """A small model: capabilities c0, c1, …; modes in the order given, with these targets."""
    n = len(next(iter(targets.values())))
    levels = list(range(low, high + 1))
    document = {
        "id": "test-model",
        "name": "Test model",
        "levels": [{"level": lv, "name": f"Level {lv}"} for lv in levels],
        "domains": [{"id": "d", "name": "Domain"}],
        "capabilities": [
            {"id": f"c{i}", "name": f"Capability {i}", "domain": "d", "category": "alignment",
             "weight": (weights[i] if weights else 1.0), "levels": {lv: f"descriptor {lv}" for lv in levels}}
            for i in range(n)
        ],
        "modes": [
            {"id": mode_id, "name": mode_id.title(), "order": order + 1, "targets": {f"c{i}": t for i, t in enumerate(values)}}
            for order, (mode_id, values) in enumerate(targets.items())
        ],
    }
    return parse_model(yaml.safe_dump(document), "<test model>")


def consensus_of(levels: list[float | None]) -> dict[str, float | None]:
    return {f"c{i}": level for i, level in enumerate(levels)}


THREE_MODES = make_model({"supplier": [2, 2, 2, 2], "partner": [3, 3, 3, 3], "leader": [4, 4, 4, 4]})


# -- the ISO/IEC 33020 scale ---------------------------------------------------------------------------
@pytest.mark.parametrize("attainment, rating", [
    (0.0, "N"), (0.15, "N"), (0.1500001, "P"), (0.5, "P"), (0.5000001, "L"),
    (0.85, "L"), (0.8500001, "F"), (1.0, "F"),
])
def test_iso33020_boundaries(attainment, rating):
    assert iso33020_rating(attainment) == rating


# Σ target = 20 on a 0–5 scale; the shortfalls put attainment exactly on each boundary.
BOUNDARY_MODEL = make_model({"supplier": [4, 4, 4, 4, 4]}, low=0)


@pytest.mark.parametrize("levels, attainment, rating", [
    ([0, 0, 0, 1, 2], 0.15, "N"),   # shortfall 17: 1 − 17/20 is 0.15000000000000002 in floating point
    ([0, 0, 0, 1, 3], 0.20, "P"),
    ([0, 2, 3, 3, 2], 0.50, "P"),   # shortfall 10
    ([1, 2, 3, 3, 2], 0.55, "L"),
    ([1, 4, 4, 4, 4], 0.85, "L"),   # shortfall 3
    ([1.5, 4, 4, 4, 4], 0.875, "F"),  # a fractional median just over the line
    ([4, 4, 4, 4, 4], 1.0, "F"),
])
def test_rating_boundaries_are_exact_on_real_sums(levels, attainment, rating):
    _, (mode,) = evaluate_consensus(BOUNDARY_MODEL, consensus_of(levels))
    assert mode.attainment == pytest.approx(attainment, abs=1e-15)
    assert mode.rating == rating


def test_naive_float_attainment_would_misrate_the_boundary():
    # Why the rating compares sums instead of the float: the naive formula crosses 15% and rates P.
    assert iso33020_rating(1 - 17 / 20) == "P"  # the naive float, rated: the trap
    _, (mode,) = evaluate_consensus(BOUNDARY_MODEL, consensus_of([0, 0, 0, 1, 2]))
    assert mode.rating == "N"  # rated from the exact sums


def test_attainment_formula_ignores_levels_above_target():
    # Over-achievement on one capability does not make up for a shortfall on another.
    _, modes = evaluate_consensus(THREE_MODES, consensus_of([5, 5, 1, 2]))
    supplier = modes[0]
    assert supplier.attainment == pytest.approx(1 - 1 / 8)


# -- achieved and position -------------------------------------------------------------------------
def test_all_targets_met_gives_the_highest_mode():
    chosen, modes = evaluate_consensus(THREE_MODES, consensus_of([4, 4, 4, 5]))
    assert chosen == "leader"
    assert [m.achieved for m in modes] == [True, True, True]
    assert all(m.rating == "F" and m.gaps == [] and m.reason == "" for m in modes)


def test_one_level_short_is_tolerated_when_rated_f():
    model = make_model({"supplier": [3] * 10})
    chosen, (mode,) = evaluate_consensus(model, consensus_of([2] + [3] * 9))
    assert mode.rating == "F" and mode.achieved and chosen == "supplier"


def test_one_capability_two_levels_short_blocks_the_mode_even_at_f():
    model = make_model({"supplier": [3] * 10})
    chosen, (mode,) = evaluate_consensus(model, consensus_of([1] + [3] * 9))
    assert mode.attainment == pytest.approx(28 / 30) and mode.rating == "F"
    assert not mode.achieved and chosen == NO_POSITION
    assert mode.more_than_one_level_short == ["c0"]
    assert "more than one level short: Capability 0" in mode.reason  # names, not ids: the reason is shown to people


def test_a_fractional_median_one_and_a_half_levels_short_blocks_the_mode():
    model = make_model({"supplier": [3] * 10})
    _, (mode,) = evaluate_consensus(model, consensus_of([1.5] + [3] * 9))
    assert mode.rating == "F" and not mode.achieved


def test_a_higher_mode_cannot_be_achieved_if_a_lower_one_is_not():
    # The lower mode asks little but c0 misses it entirely (rated N); the higher mode's own
    # attainment is F with nothing more than one level short — still not achieved.
    model = make_model({"supplier": [1] + [0] * 9, "partner": [1] + [5] * 9}, low=0)
    chosen, (supplier, partner) = evaluate_consensus(model, consensus_of([0] + [5] * 9))
    assert supplier.rating == "N" and not supplier.achieved
    assert partner.rating == "F" and partner.more_than_one_level_short == []
    assert not partner.achieved and "the lower mode Supplier is not achieved" in partner.reason
    assert chosen == NO_POSITION


def test_rated_l_is_not_achieved_and_position_is_the_mode_below():
    chosen, modes = evaluate_consensus(THREE_MODES, consensus_of([3, 3, 2, 2]))
    assert chosen == "supplier"
    partner = modes[1]
    assert partner.rating == "L" and not partner.achieved and "rated L" in partner.reason


# -- missing consensus and gaps ---------------------------------------------------------------------
def test_capability_without_consensus_counts_as_level_zero_and_is_reported():
    result = position(THREE_MODES, np.array([[2, 2], [2, 2], [2, 2], [nan, nan]]))
    assert result.missing == ["c3"]
    assert result.consensus["c3"] is None
    supplier = result.modes[0]
    assert supplier.attainment == pytest.approx(1 - 2 / 8)
    assert supplier.gaps[0].capability_id == "c3" and supplier.gaps[0].consensus is None
    assert result.position == NO_POSITION
    assert any("c3" in note for note in result.notes)
    assert result.to_json()["modes"][0]["gaps"][0] == {"capability_id": "c3", "target": 2, "consensus": None}


def test_a_capability_nobody_assessed_blocks_a_mode_even_when_its_target_is_only_one():
    """Level 0 is only one short of a target of 1, and 7/8 is F: by the shortfall rule alone the mode
    would be claimed on a capability no one looked at."""
    model = make_model({"supplier": [1] * 8, "partner": [2] * 8}, low=0)
    ratings = np.array([[1.0, 1.0]] * 7 + [[nan, nan]])
    result = position(model, ratings)
    supplier = result.modes[0]
    assert supplier.rating == "F" and supplier.more_than_one_level_short == []
    assert supplier.not_assessed == ["c7"] and supplier.blocking == ["c7"]
    assert not supplier.achieved and result.position == NO_POSITION
    assert "not assessed: Capability 7" in supplier.reason
    assert result.confidence == 1.0  # every resample misses it too


def test_a_capability_nobody_assessed_does_not_block_a_mode_that_asks_nothing_of_it():
    model = make_model({"supplier": [1] * 7 + [0]}, low=0)
    chosen, (supplier,) = evaluate_consensus(model, consensus_of([1] * 7 + [None]))
    assert supplier.achieved and supplier.not_assessed == [] and chosen == "supplier"


def test_a_resample_that_leaves_a_capability_unrated_blocks_the_mode_in_that_resample():
    model = make_model({"supplier": [1] * 4}, low=0)
    # only the second assessor rated c3: a draw without them has no level for it
    ratings = np.array([[1.0, 1.0], [1, 1], [1, 1], [nan, 1]])
    result = position(model, ratings)
    assert result.position == "supplier" and result.exact
    assert result.confidence == pytest.approx(3 / 4)  # of the 4 draws, only (first, first) misses c3


def test_gaps_rank_by_shortfall_then_weight_then_model_order():
    model = make_model({"supplier": [4, 4, 4, 4, 4]}, weights=[1, 1, 3, 2, 1])
    _, (mode,) = evaluate_consensus(model, consensus_of([3, 2, 3, 3, 4]))
    # c1 is 2 short; c0, c2, c3 are 1 short with weights 1, 3, 2; c4 meets its target.
    assert [g.capability_id for g in mode.gaps] == ["c1", "c2", "c3", "c0"]
    assert [g.shortfall for g in mode.gaps] == [2, 1, 1, 1]
    _, (same,) = evaluate_consensus(make_model({"supplier": [4, 4, 4]}), consensus_of([3, 3, 3]))
    assert [g.capability_id for g in same.gaps] == ["c0", "c1", "c2"]


def test_next_mode_is_the_lowest_not_achieved():
    result = position(THREE_MODES, np.array([[3, 3], [2, 2], [2, 2], [3, 3.0]]))
    assert result.position == "supplier" and result.position_mode.id == "supplier"
    assert result.next_mode.id == "partner" and result.next_mode.rating == "L"
    assert [g.capability_id for g in result.next_mode.gaps] == ["c1", "c2"]


# -- consensus ---------------------------------------------------------------------------------------
def test_median_ignores_not_rated_and_keeps_half_levels():
    ratings = np.array([[1, 2, 4], [2, 3, nan], [nan, nan, nan], [5, nan, nan], [1, 2, 2]])
    assert median_levels(ratings).tolist()[:2] == [2.0, 2.5]
    assert np.isnan(median_levels(ratings)[2])
    assert median_levels(ratings)[3] == 5.0 and median_levels(ratings)[4] == 2.0
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning, match="All-NaN"):
        expected = np.nanmedian(ratings, axis=1)
    np.testing.assert_array_equal(median_levels(ratings), expected)
    batch = np.random.default_rng(0).integers(1, 6, size=(50, 7, 4)).astype(float)
    batch[np.random.default_rng(1).random(batch.shape) < 0.3] = nan
    with pytest.warns(RuntimeWarning):
        np.testing.assert_array_equal(median_levels(batch), np.nanmedian(batch, axis=-1))


def test_half_level_consensus_is_shown_as_is_and_whole_levels_as_integers():
    result = position(THREE_MODES, np.array([[2, 3], [2, 2], [3, 3], [4, 4.0]]))
    assert result.to_json()["consensus"] == {"c0": 2.5, "c1": 2, "c2": 3, "c3": 4}
    assert level_for_display(2.0) == 2 and isinstance(level_for_display(2.0), int)
    assert level_for_display(None) is None and level_for_display(nan) is None


def test_override_replaces_the_median_and_holds_in_every_resample():
    ratings = np.array([[3, 3, 3], [3, 3, 3], [3, 3, 3], [1, 1, 4.0]])  # c3 median 1: two short of partner
    plain = position(THREE_MODES, ratings)
    assert plain.position == "supplier" and plain.consensus["c3"] == 1.0
    decided = position(THREE_MODES, ratings, {"c3": 3})
    assert decided.consensus["c3"] == 3.0 and decided.overridden == ["c3"]
    assert decided.position == "partner" and decided.confidence == 1.0
    with pytest.raises(ValueError, match="not in model"):
        position(THREE_MODES, ratings, {"nope": 2})


# -- bootstrap confidence -----------------------------------------------------------------------------
def _realistic_ratings(seed: int, n_caps: int = 20, n_assessors: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(2, 5, size=(n_caps, 1))
    ratings = np.clip(truth + rng.integers(-1, 2, size=(n_caps, n_assessors)), 1, 5).astype(float)
    ratings[rng.random(ratings.shape) < 0.05] = nan
    return ratings


TWENTY = make_model({"supplier": [2] * 20, "partner": [3] * 20, "leader": [4] * 20})


def test_confidence_is_reproducible_with_a_seed():
    ratings = _realistic_ratings(1)
    first = position(TWENTY, ratings, seed=7)
    again = position(TWENTY, ratings, seed=7)
    assert first.confidence == again.confidence
    assert 0.0 <= first.confidence <= 1.0
    boots = [bootstrap_positions(TWENTY, ratings, seed=s, resamples=200) for s in (1, 2)]
    assert not np.array_equal(*boots)  # different seeds, different resamples


def test_unanimous_assessors_give_confidence_one():
    ratings = np.repeat(np.array([[3], [3], [2], [4]] * 5, dtype=float), 3, axis=1)
    result = position(TWENTY, ratings)
    assert result.confidence == 1.0


def test_one_assessor_has_no_confidence():
    result = position(THREE_MODES, np.array([[3.0], [3], [3], [3]]))
    assert result.position == "partner" and result.confidence is None and result.resamples == 0


def test_bootstrap_matches_a_plain_loop():
    ratings = _realistic_ratings(3, n_caps=20, n_assessors=4)
    vectorised = bootstrap_positions(TWENTY, ratings, seed=11, resamples=300)
    draws = np.random.default_rng(11).integers(0, 4, size=(300, 4))
    mode_ids = [m.id for m in TWENTY.ordered_modes]
    expected = []
    for row in draws:
        sample = ratings[:, row]
        medians = [None if np.isnan(sample[i]).all() else float(np.nanmedian(sample[i])) for i in range(20)]
        chosen, _ = evaluate_consensus(TWENTY, consensus_of(medians))
        expected.append(-1 if chosen == NO_POSITION else mode_ids.index(chosen))
    assert vectorised.tolist() == expected


def test_an_assessor_who_rated_nothing_is_left_out_of_the_confidence():
    """Assigned but not started: drawn into a resample, they would blank out the others' levels."""
    ratings = _realistic_ratings(5, n_caps=20, n_assessors=3)
    with_empty = np.column_stack([ratings, np.full(20, nan)])
    expected = position(TWENTY, ratings, seed=3)
    result = position(TWENTY, with_empty, seed=3)
    assert (result.position, result.confidence, result.n_assessors) == (expected.position, expected.confidence, 3)
    assert "1 assessor has rated nothing yet and is left out" in result.notes
    lone = position(THREE_MODES, np.array([[3.0, nan], [3, nan], [3, nan], [3, nan]]))
    assert lone.confidence is None and lone.n_assessors == 1


def test_bad_shapes_and_resample_counts_are_refused():
    with pytest.raises(ValueError, match="one row per capability"):
        position(THREE_MODES, np.ones((3, 2)))
    with pytest.raises(ValueError, match="resamples"):
        position(THREE_MODES, np.ones((4, 2)), resamples=0)


def test_json_document_has_exactly_the_contract_keys():
    document = position(THREE_MODES, _realistic_ratings(2, n_caps=4)).to_json()
    assert list(document) == ["position", "confidence", "consensus", "modes"]
    assert [m["id"] for m in document["modes"]] == ["supplier", "partner", "leader"]
    for mode in document["modes"]:
        assert list(mode) == ["id", "attainment", "rating", "achieved", "gaps"]
        assert mode["rating"] in "NPLF" and isinstance(mode["achieved"], bool)
        for gap in mode["gaps"]:
            assert list(gap) == ["capability_id", "target", "consensus"]


def test_the_worked_example_in_the_docs():
    # docs/assessment.md, "Worked example": the rules applied by hand give these figures.
    model = make_model({"supplier": [2, 2, 2, 3, 3], "partner": [3, 3, 3, 3, 3], "leader": [4, 4, 4, 4, 4]}, weights=[1, 2, 1, 1, 1.5])
    ratings = np.array([[3, 2, 3], [1, 2, 3], [2, 3, nan], [3, 3, 4], [3, 4, 3]])
    result = position(model, ratings)
    assert result.consensus == {"c0": 3, "c1": 2, "c2": 2.5, "c3": 3, "c4": 3}
    assert [(m.attainment, m.rating, m.achieved) for m in result.modes] == [(1.0, "F", True), (0.9, "F", True), (0.675, "L", False)]
    assert result.position == "partner"
    assert [g.capability_id for g in result.next_mode.gaps] == ["c1", "c2", "c4", "c0", "c3"]
    # the figure quoted in the docs: three assessors, so all 27 draws, each once (counted by hand below)
    assert (result.confidence, result.resamples, result.exact) == (19 / 27, 27, True)


def test_with_few_assessors_every_possible_draw_is_taken_once_the_exact_bootstrap():
    """Three assessors have 27 equally likely draws; 1,000 random ones put 26/27 = 96.3% at 97.5%.
    Counted here with a plain loop over every draw, independently of the vectorised code."""
    import itertools

    ratings = _realistic_ratings(8, n_caps=20, n_assessors=3)
    result = position(TWENTY, ratings)
    same = 0
    for draw in itertools.product(range(3), repeat=3):
        sample = ratings[:, list(draw)]
        medians = [None if np.isnan(sample[i]).all() else float(np.nanmedian(sample[i])) for i in range(20)]
        chosen, _ = evaluate_consensus(TWENTY, consensus_of(medians))
        same += chosen == result.position
    assert result.exact and result.resamples == 27 and result.confidence == same / 27
    assert result.resampling == "all 27 possible resamples of the 3 assessors (every draw of 3 with repeats, each once)"
    assert position(TWENTY, ratings, seed=1).confidence == position(TWENTY, ratings, seed=2).confidence  # no chance left
    # four assessors: 256 draws, still fewer than 1,000; five: 3,125, so drawn at random unless more are asked for
    four = position(TWENTY, _realistic_ratings(8, n_caps=20, n_assessors=4))
    assert (four.exact, four.resamples) == (True, 256)
    five = _realistic_ratings(8, n_caps=20, n_assessors=5)
    drawn = position(TWENTY, five)
    assert (drawn.exact, drawn.resamples, drawn.seed) == (False, 1000, 20260101)
    assert drawn.resampling == "1,000 resamples of the 5 assessors (drawn at random with repeats, seed 20260101)"
    assert (position(TWENTY, five, resamples=5000).exact, position(TWENTY, five, resamples=5000).resamples) == (True, 3125)


def test_a_reason_never_rounds_attainment_onto_the_boundary_it_misses():
    """11 of 13 target levels is 84.6%: rated L, so the reason must not say "attainment 85%"."""
    model = make_model({"supplier": [3, 3, 3, 4], "partner": [4, 4, 4, 4], "leader": [5, 5, 5, 5]})
    result = position(model, np.array([[2.0], [2], [3], [4]]))
    supplier = next(m for m in result.modes if m.id == "supplier")
    assert supplier.rating == "L" and "attainment 84.6%; F needs more than 85%" in supplier.reason


def test_an_unassessed_capability_is_said_to_be_unassessed_whatever_its_target():
    """Level 0 is two short of a target of 2: the reason says why it blocks — nobody assessed it."""
    _, (mode,) = evaluate_consensus(make_model({"supplier": [2] * 4}), consensus_of([2, 2, 2, None]))
    assert mode.more_than_one_level_short == [] and mode.not_assessed == ["c3"] and mode.blocking == ["c3"]
    assert "not assessed: Capability 3" in mode.reason and "more than one level short" not in mode.reason


def _fewest_levels_by_search(model, levels: list[float], mode_index: int, limit: int = 12) -> int:
    """The plain reading: try every way of adding 0, 1, 2, … whole levels to the capabilities (up to
    level 5) until the mode is rated F with no capability more than one level short."""
    import itertools

    def meets(candidate) -> bool:
        _, modes = evaluate_consensus(model, consensus_of(list(candidate)))
        mode = modes[mode_index]
        return mode.rating == "F" and not mode.more_than_one_level_short

    for added in range(limit + 1):
        for split in itertools.product(range(added + 1), repeat=len(levels)):
            if sum(split) == added and all(lv + a <= 5 for lv, a in zip(levels, split)) \
                    and meets([lv + a for lv, a in zip(levels, split)]):
                return added
    raise AssertionError("not reachable within the limit")


@pytest.mark.parametrize("seed", range(25))
def test_levels_to_reach_a_mode_is_the_fewest_whole_levels_that_meet_its_conditions(seed):
    """"82% of target levels" reads as a share of capabilities; the headline says how many levels
    away the next mode is instead. Checked against trying every way of adding levels."""
    rng = np.random.default_rng(seed)
    targets = [int(t) for t in rng.integers(2, 6, 5)]
    model = make_model({"partner": targets})
    levels = [float(v) for v in rng.choice([1, 1.5, 2, 2.5, 3, 3.5, 4, 5], 5)]
    _, (mode,) = evaluate_consensus(model, consensus_of(levels))
    assert mode.levels_to_reach == _fewest_levels_by_search(model, levels, 0)


def test_levels_to_reach_the_directors_example_and_an_unassessed_capability():
    """Ten capabilities one level short of 56 target levels: 46/56 = 82% (L); two more levels make
    48/56 = 85.7% (F). A capability nobody assessed: no number of levels elsewhere reaches the mode."""
    targets = [3] * 12 + [4] * 5  # 36 + 20 = 56 over 17 capabilities
    model = make_model({"partner": targets})
    levels = [t - 1 for t in targets[:10]] + targets[10:]
    _, (mode,) = evaluate_consensus(model, consensus_of(levels))
    assert round(mode.attainment, 3) == round(46 / 56, 3) and mode.rating == "L"
    assert mode.levels_to_reach == 2
    _, (mode,) = evaluate_consensus(model, consensus_of([None] + levels[1:]))
    assert mode.levels_to_reach is None


def test_levels_to_reach_count_half_a_level_where_a_median_is_fractional():
    """Ten capabilities at 2.5 (two assessors, 2 and 3) against 3: 25/30 = 83% (L). A level added to
    one of them takes off half a level of shortfall: 25.5/30 = 85% exactly is still L, so two."""
    model = make_model({"partner": [3] * 10})
    _, (mode,) = evaluate_consensus(model, consensus_of([2.5] * 10))
    assert mode.rating == "L" and mode.levels_to_reach == 2 == _fewest_levels_by_search(model, [2.5] * 10, 0, limit=3)
