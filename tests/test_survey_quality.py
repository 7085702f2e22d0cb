"""Data-quality flags (straightline, fast, out_of_range) and answer checks."""

import json
import uuid

import pytest
from sqlalchemy import insert

from itcap.storage import session_scope, today
from surveys import quality
from surveys.answers import check_answer, display_answer, pack_answers, unpack_answers
from surveys.instrument import parse_instrument
from surveys.tables import Response
from tests.survey_testdata import INSTRUMENT_YAML, make_campaign

INSTRUMENT = parse_instrument(INSTRUMENT_YAML)
SECTIONS = quality.likert_sections(INSTRUMENT, "business")


@pytest.mark.parametrize("answers, flagged", [
    ({"rel1": 3, "rel2": 3, "rel3": 3, "rel4": 3}, [0]),           # four identical: flagged
    ({"rel1": 3, "rel2": 3, "rel3": 3}, []),                        # three are not enough
    ({"rel1": 3, "rel2": 3, "rel3": 3, "rel4": 4}, []),
    ({"rel1": 5, "rel2": 5, "rel3": 5, "rel4": 5, "logon_minutes": 5}, [0]),  # numeric items do not count
    ({"par1": 2, "par2": 2}, []),                                    # a section with two likert items never counts
])
def test_straightline_needs_four_identical_likert_answers_in_a_section(answers, flagged):
    assert quality.straightlined_sections(SECTIONS, answers) == flagged


def test_stored_flags():
    assert quality.stored_flags(INSTRUMENT, "business", {"rel1": 1, "rel2": 1, "rel3": 1, "rel4": 1, "logon_minutes": 90}) == \
        "straightline out_of_range"
    assert quality.stored_flags(INSTRUMENT, "business", {"rel1": 1, "logon_minutes": 60}) == ""


def test_fast_threshold_is_a_third_of_the_median():
    assert quality.fast_threshold([300, 600, 900, 1200, 1500]) == pytest.approx(300)
    assert quality.fast_threshold([300, 600, 900, 1200]) is None  # too few to judge
    assert quality.fast_threshold([None, 10, 20, 30, 40, 50]) == pytest.approx(10)


def _add(campaign_id, group, duration, source="web", flags="", answers=None):
    return {"id": uuid.uuid4().hex, "campaign_id": campaign_id, "group_id": group, "submitted_on": today(),
            "duration_seconds": duration, "answers_json": pack_answers(INSTRUMENT, answers or {"rel1": 3}), "quality_flags": flags,
            "source": source}


def test_fast_is_computed_when_responses_are_read(any_db_url):
    campaign_id = make_campaign(any_db_url)
    rows = [_add(campaign_id, "business", d) for d in (600, 660, 720, 540, 199, 200)]
    rows.append(_add(campaign_id, "it_staff", None, source="import", flags="out_of_range"))
    with session_scope() as s:
        s.execute(insert(Response.__table__), rows)
    with session_scope() as s:
        frame = quality.responses_frame(s, campaign_id)
    # median of the six web durations = 570; a third = 190 → nobody is fast yet
    assert sorted(frame["flags"]) == ["", "", "", "", "", "", "out_of_range"]
    with session_scope() as s:
        s.execute(insert(Response.__table__), [_add(campaign_id, "business", 120), _add(campaign_id, "business", 900)])
    with session_scope() as s:
        frame = quality.responses_frame(s, campaign_id)
        # median of eight = 570 still … 199, 200 above 190; 120 below
        assert (frame["flags"] == "fast").sum() == 1
        assert frame.loc[frame["flags"] == "fast", "duration_seconds"].tolist() == [120]
        assert len(quality.responses_frame(s, campaign_id, exclude_flagged=True)) == 7
        assert len(quality.responses_frame(s, campaign_id, exclude_flagged={"fast"})) == 8
        assert len(quality.responses_frame(s, campaign_id, exclude_flagged={"out_of_range"})) == 8
        with pytest.raises(ValueError, match="unknown quality flag"):
            quality.responses_frame(s, campaign_id, exclude_flagged={"slow"})


def test_responses_frame_shape(db_url):
    campaign_id = make_campaign(db_url)
    with session_scope() as s:
        s.execute(insert(Response.__table__), [_add(campaign_id, "business", 300, answers={"rel1": 4, "comments": "<i>hi</i>"})])
    with session_scope() as s:
        frame = quality.responses_frame(s, campaign_id)
    assert list(frame.columns[:5]) == ["group", "source", "submitted_on", "duration_seconds", "flags"]
    assert frame.index.name == "response_id" and frame["rel1"].iloc[0] == 4.0 and frame["comments"].iloc[0] == "<i>hi</i>"
    assert frame["rel2"].isna().all() and frame["comments"].dtype == object


def test_answers_are_stored_packed_in_instrument_order():
    packed = pack_answers(INSTRUMENT, {"comments": "<i>hi</i>", "rel2": 5})
    values = json.loads(packed)
    assert len(values) == len(INSTRUMENT.items) and values[INSTRUMENT.item_ids.index("rel2")] == 5
    assert values.count(None) == len(values) - 2
    assert unpack_answers(INSTRUMENT, packed) == {"rel2": 5, "comments": "<i>hi</i>"}
    with pytest.raises(ValueError, match="nope"):
        pack_answers(INSTRUMENT, {"rel1": 3, "nope": 1})
    with pytest.raises(ValueError, match="2 answers where the instrument has"):
        unpack_answers(INSTRUMENT, "[1, 2]")


def test_rows_written_before_packing_are_still_read(any_db_url):
    """During a rolling upgrade a replica still on the old code may write an answers object after
    migration 0005 has run: the reader takes both forms, and gives the same frame."""
    campaign_id = make_campaign(any_db_url)
    answers = {"rel1": 4, "rel2": 2, "logon_minutes": 12, "comments": "ok"}
    old_style = {**_add(campaign_id, "business", 300), "answers_json": json.dumps(answers)}
    with session_scope() as s:
        s.execute(insert(Response.__table__), [old_style, _add(campaign_id, "business", 300, answers=answers)])
    with session_scope() as s:
        frame = quality.responses_frame(s, campaign_id)
    columns = ["rel1", "rel2", "rel3", "logon_minutes", "comments"]
    assert frame[columns].iloc[0].tolist()[:2] == [4.0, 2.0]
    assert frame[columns].iloc[0].equals(frame[columns].iloc[1])


def test_a_response_that_does_not_fit_the_instrument_is_reported(db_url):
    campaign_id = make_campaign(db_url)
    with session_scope() as s:
        s.execute(insert(Response.__table__), [{**_add(campaign_id, "business", 300), "answers_json": "[1, 2, 3]"}])
    with session_scope() as s, pytest.raises(ValueError, match="do not match the campaign's instrument"):
        quality.responses_frame(s, campaign_id)


def test_empty_campaign_gives_an_empty_frame(db_url):
    campaign_id = make_campaign(db_url)
    with session_scope() as s:
        frame = quality.responses_frame(s, campaign_id, exclude_flagged=True)
    assert frame.empty and "rel1" in frame.columns


@pytest.mark.parametrize("item_id, value, stored, problem", [
    ("rel1", 4, 4, None), ("rel1", "4", 4, None), ("rel1", 4.0, 4, None), ("rel1", True, None, "choose"),
    ("rel1", 0, None, "choose"), ("rel1", 4.5, None, "choose"), ("rel1", None, None, None), ("rel1", "", None, None),
    ("logon_minutes", "12.5", 12.5, None), ("logon_minutes", 60, 60, None), ("logon_minutes", -1, None, "from 0 to 60"),
    ("logon_minutes", float("nan"), None, None), ("logon_minutes", "inf", None, "a number"),
    ("directorate", 3, 3, None), ("directorate", 4, None, "choose"),
    ("comments", "  <script>x</script>  ", "  <script>x</script>  ", None), ("comments", "   ", None, None),
    ("comments", 5, None, "text"),
])
def test_check_answer(item_id, value, stored, problem):
    got, message = check_answer(INSTRUMENT, INSTRUMENT.item(item_id), value)
    assert got == stored and type(got) is type(stored)
    assert (message is None) if problem is None else (problem in message.lower() or problem in message)


def test_display_answer():
    assert display_answer(INSTRUMENT, INSTRUMENT.item("rel1"), 2) == "2 — Disagree"
    assert display_answer(INSTRUMENT, INSTRUMENT.item("logon_minutes"), 2.5) == "2.5 minutes"
    assert display_answer(INSTRUMENT, INSTRUMENT.item("comments"), "<b>") == "<b>"
    assert display_answer(INSTRUMENT, INSTRUMENT.item("directorate"), None) == ""
    assert display_answer(INSTRUMENT, INSTRUMENT.item("directorate"), 2) == "Operations"  # a code is only a code


def test_responses_added_in_the_same_session_are_read(db_url):
    campaign_id = make_campaign(db_url)
    with session_scope() as s:
        s.add(Response(**_add(campaign_id, "business", 300, answers={"rel1": 5})))
        frame = quality.responses_frame(s, campaign_id)  # not flushed yet: read as Session.execute would
    assert frame["rel1"].tolist() == [5.0]
