"""How figures are worded for a board: no rounding that contradicts the rule printed beside it."""

from __future__ import annotations

import pytest

from capability_model.positioning import iso33020_rating
from itcap.insights import attainment_percent, confidence_percent


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
