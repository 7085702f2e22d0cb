"""Shared test data for the statistics engine (imported by the other test_stats_* modules), and the
tests of scoring: reverse coding and the scale-score missing-data rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveys.instrument import parse_instrument
from surveys.scoring import analysed_items, reverse_code, scale_scores

INSTRUMENT_YAML = """
id: test_survey
name: Test perception survey
groups:
  - {id: business, name: Business users}
  - {id: it, name: IT staff}
  - {id: contractors, name: Contractors}
response_scales:
  - id: agree
    min: 1
    max: 5
    labels: {1: Strongly disagree, 2: Disagree, 3: Neutral, 4: Agree, 5: Strongly agree}
  - id: importance
    min: 1
    max: 5
    labels: {1: Not important, 2: Slightly important, 3: Moderately important, 4: Very important, 5: Essential}
  - id: seven
    min: 0
    max: 6
    labels: {0: a, 1: b, 2: c, 3: d, 4: e, 5: f, 6: g}
scales:
  - {id: reliability, name: Service reliability, mode: supplier}
  - {id: understanding, name: Business understanding, mode: business_partner}
  - {id: innovation, name: Innovation, mode: business_leader}
sections:
  - id: services
    title: Services
    items:
      - {id: q1, type: likert, text: Systems are available, response_scale: agree, scale: reliability}
      - {id: q2, type: likert, text: Outages are rare, response_scale: agree, scale: reliability}
      - {id: q3, type: likert, text: I lose work to failures, response_scale: agree, scale: reliability, reverse: true}
      - {id: q4, type: likert, text: IT understands my business, response_scale: agree, scale: understanding}
      - {id: q5, type: likert, text: IT speaks our language, response_scale: agree, scale: understanding}
      - {id: q6, type: likert, text: IT knows our priorities, response_scale: agree, scale: understanding, groups: [business]}
      - {id: q7, type: likert, text: We know business priorities, response_scale: agree, scale: understanding, groups: [it]}
      - {id: n1, type: likert, text: New ideas, response_scale: seven, scale: innovation}
      - {id: n2, type: likert, text: Lagging behind, response_scale: seven, scale: innovation, reverse: true}
      - {id: imp_logon, type: likert, text: Logging on matters, response_scale: importance}
      - {id: perf_logon, type: likert, text: Logging on works, response_scale: agree}
      - {id: imp_desk, type: likert, text: Service desk matters, response_scale: importance}
      - {id: perf_desk, type: likert, text: Service desk works, response_scale: agree}
      - {id: logon_minutes, type: numeric, text: Minutes to log on, min: 0, max: 120, unit: minutes}
      - id: directorate
        type: choice
        text: Directorate
        demographic: true
        options: [{code: 1, label: Finance}, {code: 2, label: Operations}]
      - {id: comment, type: text, text: "Anything else?"}
ipa_pairs:
  - {id: logon, name: Logging on, importance: imp_logon, performance: perf_logon}
  - {id: desk, name: Service desk, importance: imp_desk, performance: perf_desk}
"""

LIKERT_1_5 = ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "imp_logon", "perf_logon", "imp_desk", "perf_desk"]
LIKERT_0_6 = ["n1", "n2"]


def instrument():
    return parse_instrument(INSTRUMENT_YAML, "<test instrument>")


def random_responses(seed: int = 0, sizes: dict[str, int] | None = None, missing: float = 0.1, shift: float = 0.0) -> pd.DataFrame:
    """A responses DataFrame for the test instrument: ties (Likert), missing answers, items asked
    of one group only left blank for the others, and group ``it`` shifted by ``shift`` points."""
    rng = np.random.default_rng(seed)
    sizes = sizes or {"business": 60, "it": 45}
    group = np.concatenate([np.full(n, g, dtype=object) for g, n in sizes.items()])
    rng.shuffle(group)
    n = len(group)
    latent = rng.normal(size=n)
    frame = pd.DataFrame({"group": group})
    for item in LIKERT_1_5:
        raw = 3 + 0.9 * latent + rng.normal(size=n) + shift * (group == "it")
        if item == "q3":
            raw = 6 - raw
        frame[item] = np.clip(np.round(raw), 1, 5)
    for item in LIKERT_0_6:
        raw = 3 + latent + rng.normal(size=n)
        frame[item] = np.clip(np.round(6 - raw if item == "n2" else raw), 0, 6)
    frame["logon_minutes"] = np.round(rng.gamma(2.0, 3.0, n) + 2 * (group == "it"), 1)
    values = frame.drop(columns="group")
    values = values.mask(rng.random(values.shape) < missing)
    frame[values.columns] = values
    frame.loc[frame.group != "business", "q6"] = np.nan
    frame.loc[frame.group != "it", "q7"] = np.nan
    frame["directorate"] = rng.integers(1, 3, n)
    frame["comment"] = ""
    return frame


# -- scoring -------------------------------------------------------------------------------------
def test_analysed_items_are_likert_and_numeric_only():
    ids = [i.id for i in analysed_items(instrument())]
    assert "directorate" not in ids and "comment" not in ids
    assert ids[:3] == ["q1", "q2", "q3"] and "logon_minutes" in ids


def test_reverse_coding_is_min_plus_max_minus_x():
    inst = instrument()
    frame = pd.DataFrame({"q3": [1.0, 2, 3, 4, 5, np.nan], "n2": [0.0, 1, 3, 5, 6, np.nan], "q1": [1.0, 2, 3, 4, 5, np.nan]})
    out = reverse_code(frame, inst)
    assert out["q3"].tolist()[:5] == [5, 4, 3, 2, 1] and np.isnan(out["q3"].iloc[5])
    assert out["n2"].tolist()[:5] == [6, 5, 3, 1, 0]  # 0–6 scale: 0 + 6 − x
    assert out["q1"].tolist()[:5] == [1, 2, 3, 4, 5]  # not reverse-coded: untouched
    assert frame["q3"].tolist()[0] == 1  # the input is not modified


def test_scale_score_is_mean_of_answered_items_after_reverse_coding():
    inst = instrument()
    frame = pd.DataFrame({
        "group": ["business"] * 4,
        "q1": [5, 5, np.nan, np.nan], "q2": [4, np.nan, np.nan, np.nan], "q3": [1, 2, 2, np.nan],
        "q4": [np.nan] * 4, "q5": [np.nan] * 4, "q6": [np.nan] * 4, "q7": [np.nan] * 4,
        "n1": [6, 0, np.nan, np.nan], "n2": [0, np.nan, np.nan, np.nan],
    })
    scores = scale_scores(frame, inst, "group")
    # row 0: q1 5, q2 4, q3 1 → 5  ⇒ (5+4+5)/3
    assert scores.loc[0, "reliability"] == pytest.approx(14 / 3, abs=1e-12)
    # row 1: q1 5, q3 2 → 4: two of three answered (≥ half) ⇒ 4.5
    assert scores.loc[1, "reliability"] == 4.5
    # row 2: one of three answered (< half) ⇒ missing; row 3: nothing answered
    assert np.isnan(scores.loc[2, "reliability"]) and np.isnan(scores.loc[3, "reliability"])
    # innovation on 0–6: n1 6, n2 0 → 6 ⇒ 6; row 1: one of two = exactly half ⇒ enough
    assert scores.loc[0, "innovation"] == 6 and scores.loc[1, "innovation"] == 0


def test_scale_score_counts_only_items_asked_of_the_respondents_group():
    inst = instrument()
    # understanding = q4, q5, q6 (business only), q7 (it only): each group is asked three items
    frame = pd.DataFrame({
        "group": ["business", "it", "business", "it"],
        "q4": [4, 4, 4, np.nan], "q5": [np.nan, np.nan, 2, np.nan], "q6": [np.nan, np.nan, np.nan, np.nan],
        "q7": [np.nan, np.nan, np.nan, 3],
    })
    scores = scale_scores(frame, inst, "group")
    # one answer of three applicable ⇒ missing for both groups
    assert np.isnan(scores.loc[0, "understanding"]) and np.isnan(scores.loc[1, "understanding"])
    assert scores.loc[2, "understanding"] == 3.0
    assert np.isnan(scores.loc[3, "understanding"])
    # without groups, all four items count: two of four answered is enough
    assert scale_scores(frame, inst).loc[2, "understanding"] == 3.0


def test_scale_scores_match_a_plain_row_by_row_computation():
    inst = instrument()
    frame = random_responses(seed=3, missing=0.3)
    scores = scale_scores(frame, inst, "group")
    recoded = reverse_code(frame, inst)
    for index, row in recoded.iterrows():
        items = ["q1", "q2", "q3"]
        answered = [row[i] for i in items if not np.isnan(row[i])]
        expected = np.mean(answered) if 2 * len(answered) >= 3 else np.nan
        got = scores.loc[index, "reliability"]
        assert (np.isnan(expected) and np.isnan(got)) or got == pytest.approx(expected, abs=1e-12)
