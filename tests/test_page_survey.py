"""AppTest: the respondent's survey page (``/?token=…``), from the welcome screen to the thank-you.

Each AppTest is one browser tab; a new AppTest with the same token is the respondent closing the tab
and opening the link again.
"""

from __future__ import annotations

import datetime as dt
import html
import re
import shutil

import pytest
from sqlmodel import select

from itcap.bootstrap import bootstrap
from itcap.storage import dispose_engines, session_scope
from itcap.ui import survey_widgets as sw
from surveys import campaigns, invitations, respondent
from surveys.tables import Response
from tests.support import app_test, database_copy, unpacked
from tests.survey_testdata import INSTRUMENT_YAML, complete, invite, make_campaign

HOSTILE = '<script>alert("x")</script> <b>bold?</b> **not bold** [link](http://example.com)'
MALFORMED_MESSAGE = "incomplete or damaged"


@pytest.fixture(scope="module")
def populated(sqlite_template, tmp_path_factory):
    """Built once per module, copied for each test: a bootstrapped database with an open campaign of
    the small test instrument (k = 7, comments at 12) and a closed one."""
    path = tmp_path_factory.mktemp("survey-page") / "populated.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    bootstrap(url)
    open_id = make_campaign(url, min_group_size=7, comment_threshold=12)
    closed_id = make_campaign(url)
    with session_scope(url) as session:
        campaigns.close_campaign(session, closed_id, "test")
    dispose_engines()
    return path, {"open": open_id, "closed": closed_id}


@pytest.fixture
def setup(populated, tmp_path, monkeypatch):
    path, ids = populated
    with database_copy(path, tmp_path, monkeypatch) as url:
        yield {**ids, "url": url}


def _open(token: str):
    at = app_test(query={"token": token}).run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> str:
    """Everything the respondent can read on the page, as one string."""
    parts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "text", "error", "warning",
                                  "info", "success") for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def _in_order(node) -> list[tuple[str, object]]:
    """The widgets (by key) and messages (by text) of a page, top to bottom."""
    found = []
    for child in getattr(node, "children", {}).values():
        if child.type in ("radio", "text_input", "text_area"):
            found.append((child.type, child.key))
        elif child.type in ("error", "alert") or type(child).__name__ == "Error":
            found.append(("error", child.value))
        elif child.type == "html" and "survey-problem" in child.value:
            found.append(("problem", _problem_text(child.value)))
        found.extend(_in_order(child))
    return found


def _problem_text(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", body)).removeprefix("↑ ")


def _problems(at) -> list[str]:
    """The messages under the questions Next refused (shown as text, not alerts)."""
    return [_problem_text(h.value) for h in at.html if "survey-problem" in h.value]


def _draft(url: str, token: str) -> respondent.SurveyState:
    with session_scope(url) as session:
        return respondent.load_survey(session, token)


def _responses(url: str) -> list[Response]:
    with session_scope(url) as session:
        return list(session.exec(select(Response)))


def _start(token: str):
    at = _open(token)
    at.button(key="survey_start").click().run()
    assert not at.exception, at.exception
    return at


def _click(at, key: str):
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def _to_review(url: str, token: str) -> None:
    """Answer every section through the services, ending at the review step (not submitted)."""
    with session_scope(url) as session:
        respondent.begin(session, token)
    _to_review_from(url, token)


def _to_review_from(url: str, token: str) -> None:
    """Answer every section of a survey already begun, ending at the review step."""
    answers = [{"rel1": 4, "rel2": 3, "logon_minutes": 7}, {"par1": 5}, {"directorate": 2, "comments": HOSTILE}]
    for index, section in enumerate(answers):
        with session_scope(url) as session:
            assert respondent.save_section(session, token, index, section).ok


# -- welcome -------------------------------------------------------------------------------------
def test_welcome_shows_the_instrument_texts_and_the_campaigns_thresholds(setup):
    (token,) = invite(setup["url"], setup["open"])
    at = _open(token)
    assert [t.value for t in at.title] == ["Test IT perception survey"]
    text = _texts(at)
    assert "Welcome to the test survey." in text
    assert "Your answers are anonymous." in text
    # The test instrument's privacy statement quotes no numbers: the campaign's real ones are added.
    assert "at least 7 people" in text and "at least 12 people have commented" in text
    assert [b.label for b in at.button] == ["Start the survey"]
    # told up front which questions must be answered (the screens mark only the optional ones)
    assert any(c.value.endswith("Every question needs an answer unless it is marked *optional*.") for c in at.caption)
    # Respondents have no account: no login form, no navigation, nothing in the sidebar.
    assert not at.text_input and not at.sidebar.children
    assert "Log in" not in text


def test_threshold_placeholders_are_filled_with_the_campaigns_numbers(setup):
    yaml = (INSTRUMENT_YAML.replace("id: test_perception", "id: placeholder_test")
            .replace("privacy_statement: Your answers are anonymous.",
                     "privacy_statement: Groups under {min_group_size} people and fewer than {comment_threshold} "
                     "comments are never shown.")
            .replace("    title: IT services\n", "    title: IT services\n    intro: Shown for {min_group_size} or more.\n"))
    campaign_id = make_campaign(setup["url"], yaml=yaml, min_group_size=6, comment_threshold=15)
    (token,) = invite(setup["url"], campaign_id)
    at = _open(token)
    text = _texts(at)
    assert "Groups under 6 people and fewer than 15 comments are never shown." in text
    assert "{min_group_size}" not in text and "For this survey" not in text
    _click(at, "survey_start")  # a section's introduction gets the campaign's numbers too
    assert "Shown for 6 or more." in _texts(at) and "{min_group_size}" not in _texts(at)


def test_threshold_texts():
    thresholds = {"min_group_size": 5, "comment_threshold": 10}
    assert sw.fill_thresholds("at least {min_group_size}; {comment_threshold}; {other}", thresholds) == "at least 5; 10; {other}"
    shipped_style = "groups of at least 5 people … when at least 10 people have commented"
    assert sw.thresholds_sentence(shipped_style, thresholds) is None  # already says the true numbers
    assert "at least 8 people" in sw.thresholds_sentence(shipped_style, {"min_group_size": 8, "comment_threshold": 10})
    both = "groups of at least {min_group_size} … once at least {comment_threshold} people have commented"
    assert sw.thresholds_sentence(both, {"min_group_size": 8, "comment_threshold": 10}) is None
    # one placeholder (the other misspelt, or left out) leaves a threshold unsaid: the sentence says both
    assert "at least 8 people" in sw.thresholds_sentence("at least {min_grp_size} … at least {comment_threshold}",
                                                         {"min_group_size": 8, "comment_threshold": 10})
    assert "at least 10 people have commented" in sw.thresholds_sentence("at least {min_group_size}",
                                                                          {"min_group_size": 8, "comment_threshold": 10})
    # Comments shown from 5 while the text promises 10: the real number is said.
    assert "at least 5 people have commented" in sw.thresholds_sentence(shipped_style, {"min_group_size": 5, "comment_threshold": 5})


# -- sections ------------------------------------------------------------------------------------
def test_start_answer_a_section_and_move_on(setup):
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    assert [h.value for h in at.header] == ["IT services"]
    assert at.get("progress")[0].proto.text == "Section 1 of 3"
    # Optional Likert items can be left or set back to "no answer"; required ones cannot.
    assert at.radio(key="survey_item_rel2").options[-1] == "No answer"
    assert "No answer" not in at.radio(key="survey_item_rel1").options
    assert at.radio(key="survey_item_rel1").value is None  # nothing chosen for the respondent
    at.radio(key="survey_item_rel1").set_value(4)
    at.radio(key="survey_item_rel2").set_value(sw.NO_ANSWER)
    at.text_input(key="survey_item_logon_minutes").set_value("12")
    _click(at, "survey_next")
    assert [h.value for h in at.header] == ["Working together"]
    assert at.get("progress")[0].proto.text == "Section 2 of 3"
    state = _draft(setup["url"], token)
    assert state.answers == {"rel1": 4, "logon_minutes": 12} and state.section_index == 1


def test_numeric_item_shows_its_range_and_unit(setup):
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    number = at.text_input(key="survey_item_logon_minutes")
    assert "(minutes, optional)" in number.label
    assert number.value == "" and number.placeholder == "Type a number"  # range checked on Next
    assert "A number from 0 to 60 minutes." in _texts(at)


def test_an_optional_number_once_given_can_be_withdrawn(setup):
    """A number box created with the saved value refilled itself when emptied: the answer could not
    be taken back. The box is created empty and the saved answer comes in through the session state."""
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    at.radio(key="survey_item_rel1").set_value(4)
    at.text_input(key="survey_item_logon_minutes").set_value("3")
    _click(at, "survey_next")
    _click(at, "survey_back")
    number = at.text_input(key="survey_item_logon_minutes")
    assert number.value == "3"  # shown, and clearable in the browser
    number.set_value("")
    _click(at, "survey_next")
    assert _draft(setup["url"], token).answers == {"rel1": 4}


def test_a_comment_over_its_limit_is_kept_with_a_message_not_dropped(setup):
    """With max_chars the browser dropped a pasted text that was too long, whole and without a word."""
    (token,) = invite(setup["url"], setup["open"])
    with session_scope(setup["url"]) as session:
        respondent.begin(session, token)
        respondent.save_section(session, token, 0, {"rel1": 4}, move="next")
        respondent.save_section(session, token, 1, {"par1": 4}, move="next")
    at = _open(token)
    box = at.text_area(key="survey_item_comments")
    assert box.max_chars in (None, 0) and "up to 500 characters" in box.placeholder
    long_text = "Ça va 👍 " * 70  # 560 characters
    box.set_value(long_text)
    _click(at, "survey_next")
    assert [h.value for h in at.header] == ["About you"]
    assert "Please keep this answer to 500 characters (it has 560)." in _problems(at)
    assert at.text_area(key="survey_item_comments").value == long_text  # still there to shorten
    assert "comments" not in _draft(setup["url"], token).answers


def test_a_number_out_of_range_gets_a_message_at_the_item(setup):
    """The range is checked on Next, with a message at the question: a widget min/max would only
    turn the box red in the browser and leave Next doing nothing."""
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    at.radio(key="survey_item_rel1").set_value(4)
    at.text_input(key="survey_item_logon_minutes").set_value("200")
    _click(at, "survey_next")
    assert [h.value for h in at.header] == ["IT services"]
    order = _in_order(at.main)
    message = order[order.index(("text_input", "survey_item_logon_minutes")) + 1]
    assert message == ("problem", "Please enter a number from 0 to 60 minutes.")
    assert _draft(setup["url"], token).answers == {"rel1": 4}  # the bad number is not stored


@pytest.mark.parametrize("typed, stored, message", [
    ("2,5", 2.5, None),  # a decimal comma: a number box made this 25, without a word
    (" 12 ", 12, None),
    ("１２", 12, None),  # full-width digits, from an East Asian input method
    ("1,500", None, "Please write 1,500 without the comma (1500), or with a point if you meant a decimal (1.5)."),
    ("abc", None, "Please enter a number, such as 12 or 2.5."),  # a number box emptied it and went on
    ("-5", None, "Please enter a number from 0 to 60 minutes."),
])
def test_a_typed_number_is_read_as_a_person_means_it_or_refused_with_a_message(setup, typed, stored, message):
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    at.radio(key="survey_item_rel1").set_value(4)
    at.text_input(key="survey_item_logon_minutes").set_value(typed)
    _click(at, "survey_next")
    answers = _draft(setup["url"], token).answers
    if message is None:
        assert [h.value for h in at.header] == ["Working together"] and answers == {"rel1": 4, "logon_minutes": stored}
    else:
        assert [h.value for h in at.header] == ["IT services"] and "logon_minutes" not in answers
        assert message in _problems(at)
        assert at.text_input(key="survey_item_logon_minutes").value == typed  # kept, to correct


def test_required_questions_are_announced_and_number_boxes_ask_for_the_number_keyboard(setup):
    """What the widgets cannot say themselves goes on by a script of the page's own."""
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    (script,) = [h.value for h in at.get("html") if "aria-required" in h.value]
    assert 'const required = ["rel1"], numeric = ["logon_minutes"];' in script
    # a number that may be negative: no decimal keyboard, which has no minus key on an iPhone
    below_zero = INSTRUMENT_YAML.replace("min: 0, max: 60", "min: -10, max: 60").replace("id: test_perception", "id: test_minus", 1)
    (token,) = invite(setup["url"], make_campaign(setup["url"], yaml=below_zero))
    (script,) = [h.value for h in _start(token).get("html") if "aria-required" in h.value]
    assert 'const required = ["rel1"], numeric = [];' in script


def test_a_required_item_gets_a_message_and_the_respondent_stays(setup):
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    at.text_input(key="survey_item_logon_minutes").set_value("9")
    _click(at, "survey_next")
    assert [h.value for h in at.header] == ["IT services"]
    # one alert, naming the question by its number; the message itself sits directly under the question
    assert [e.value for e in at.error] == ["Please answer question 1 before going on."]
    order = _in_order(at.main)
    rel1 = order.index(("radio", "survey_item_rel1"))
    assert order[rel1 + 1] == ("problem", respondent.REQUIRED_MESSAGE)
    state = _draft(setup["url"], token)
    assert state.section_index == 0 and state.answers == {"logon_minutes": 9}  # valid answers are kept
    at.radio(key="survey_item_rel1").set_value(2)
    _click(at, "survey_next")
    assert [h.value for h in at.header] == ["Working together"] and not at.error


def test_back_never_needs_the_required_items(setup):
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    at.radio(key="survey_item_rel1").set_value(4)
    _click(at, "survey_next")
    _click(at, "survey_back")  # par1 (required) left blank
    assert [h.value for h in at.header] == ["IT services"] and not at.error
    assert at.radio(key="survey_item_rel1").value == 4


def test_someone_who_only_pressed_start_is_not_told_of_saved_answers_when_they_come_back(setup):
    (token,) = invite(setup["url"], setup["open"])
    _start(token)
    again = _open(token)
    assert [i.value for i in again.info if i.value.startswith("Welcome back")] == ["Welcome back — carry on where you left off."]


def test_closing_the_tab_and_opening_the_link_again_resumes(setup):
    (token,) = invite(setup["url"], setup["open"])
    at = _start(token)
    at.radio(key="survey_item_rel1").set_value(5)
    at.radio(key="survey_item_rel3").set_value(2)
    at.text_input(key="survey_item_logon_minutes").set_value("3")
    _click(at, "survey_next")
    at.radio(key="survey_item_par2").set_value(4)
    _click(at, "survey_next")  # refused: par1 is required, but par2 is saved

    again = _open(token)  # a new browser session: no welcome, straight back to the saved section
    assert [h.value for h in again.header] == ["Working together"]
    assert again.radio(key="survey_item_par2").value == 4
    assert [i.value for i in again.info if i.value.startswith("Welcome back — your saved answers are here")]
    _click(again, "survey_back")
    assert not [i.value for i in again.info if i.value.startswith("Welcome back")]  # said once, not on every screen
    assert again.radio(key="survey_item_rel1").value == 5
    assert again.radio(key="survey_item_rel3").value == 2
    assert again.radio(key="survey_item_rel2").value is None
    assert again.text_input(key="survey_item_logon_minutes").value == "3"


# -- review and submit ---------------------------------------------------------------------------
def test_review_lists_every_answer_and_change_goes_to_the_section(setup):
    (token,) = invite(setup["url"], setup["open"])
    _to_review(setup["url"], token)
    at = _open(token)
    assert [h.value for h in at.header] == ["Check your answers"]
    # the bar above says how far they are, not the heading's words again
    assert [p.proto.text for p in at.get("progress")] == ["All 3 sections done — last step"]
    text = _texts(at)
    for shown in ("4 — Agree", "3 — Neither agree nor disagree", "7 minutes", "5 — Strongly agree", "Operations"):
        assert shown in text.replace("\\", ""), shown
    assert "2 — Operations" not in text.replace("\\", "")  # a choice shows its label, not its code
    assert "Not answered" in text  # rel3, rel4 were left out
    _click(at, "survey_change_1")
    assert [h.value for h in at.header] == ["Working together"]
    assert at.radio(key="survey_item_par1").value == 5
    assert [b.label for b in at.button] == ["Save and return to review"]  # straight back, not through every section
    at.radio(key="survey_item_par1").set_value(2)
    _click(at, "survey_next")
    assert [h.value for h in at.header] == ["Check your answers"]
    assert "2 — Disagree" in _texts(at)
    _click(at, "survey_review_back")  # an ordinary step back to the last section: ordinary buttons again
    assert [h.value for h in at.header] == ["About you"]
    assert [b.label for b in at.button] == ["Back", "Review my answers"]


def test_a_respondent_who_changes_an_answer_and_comes_back_later_can_go_straight_to_the_review(setup):
    """"Change" on the review, then the tab closed: opening the link again lands on that section, and
    the way back to the review is still there (not eight sections of Next)."""
    (token,) = invite(setup["url"], setup["open"])
    _to_review(setup["url"], token)
    _click(_open(token), "survey_change_0")
    at = _open(token)  # a new tab: what the page kept in memory is gone
    assert [h.value for h in at.header] == ["IT services"]
    assert [b.label for b in at.button] == ["Save and go to review", "Next"]
    at.radio(key="survey_item_rel1").set_value(2)
    _click(at, "survey_to_review")
    assert [h.value for h in at.header] == ["Check your answers"] and "2 — Disagree" in _texts(at)
    # someone on their first way through has no such button: nothing of theirs lies further on
    (fresh,) = invite(setup["url"], setup["open"])
    assert [b.label for b in _start(fresh).button] == ["Next"]


def test_what_people_type_is_shown_back_as_plain_text(setup):
    (token,) = invite(setup["url"], setup["open"])
    _to_review(setup["url"], token)
    at = _open(token)
    assert HOSTILE in [t.value for t in at.text]  # st.text: no markdown, no HTML
    assert not any("<script>" in m.value or "not bold" in m.value for m in at.markdown)
    # Stored exactly as typed.
    assert _draft(setup["url"], token).answers["comments"] == HOSTILE


def test_submit_shows_the_thank_you_and_the_link_is_then_used(setup):
    (token,) = invite(setup["url"], setup["open"])
    _to_review(setup["url"], token)
    at = _open(token)
    _click(at, "survey_submit")
    assert [t.value for t in at.title] == ["Test IT perception survey"]
    assert [s.value for s in at.success] == ["Thank you for taking part."]
    assert not at.button
    (response,) = _responses(setup["url"])
    assert unpacked(response.answers_json, response.campaign_id, setup["url"])["comments"] == HOSTILE
    at.run()  # any later run of the same tab still thanks the respondent
    assert [s.value for s in at.success] == ["Thank you for taking part."]

    later = _open(token)  # the link opened again
    assert "already been used" in _texts(later)
    assert not later.button and not later.radio
    assert len(_responses(setup["url"])) == 1


def test_a_second_tab_submitting_the_same_link_is_told_it_was_used(setup):
    (token,) = invite(setup["url"], setup["open"])
    _to_review(setup["url"], token)
    first, second = _open(token), _open(token)  # two tabs (or back button to a stale review screen)
    _click(first, "survey_submit")
    _click(second, "survey_submit")
    assert "Thank you for taking part." in _texts(first)
    assert "already been used" in _texts(second)
    assert len(_responses(setup["url"])) == 1


def test_a_click_run_twice_at_the_same_time_does_its_work_once():
    """A double click on a loaded server ran Submit's (and Start's) callback in two script threads of
    one browser session at once: the work is done by the first, the second waits for its result."""
    import threading
    import time

    memory = sw.SessionMemory()
    memory._session_key = lambda: "one tab"
    calls, results = [], []

    def work():
        calls.append(1)
        time.sleep(0.2)  # the submit's database round trip, on a slow server
        return {"thank_you": "Thanks"}

    threads = [threading.Thread(target=lambda: results.append(memory.once("token", work))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == [1] and results == [{"thank_you": "Thanks"}] * 2
    assert memory.once("token", work) == {"thank_you": "Thanks"} and calls == [1]  # a later click: the same result
    # refused work (answers sent back for a fix) is not kept: the next click tries again
    assert memory.once("other", lambda: None) is None
    assert memory.once("other", work) == {"thank_you": "Thanks"} and calls == [1, 1]
    memory._session_key = lambda: "another tab"  # another browser session does its own work
    assert memory.once("token", work) == {"thank_you": "Thanks"} and calls == [1, 1, 1]


def test_submit_with_a_gap_sends_the_respondent_to_the_section(setup):
    (token,) = invite(setup["url"], setup["open"])
    with session_scope(setup["url"]) as session:
        respondent.begin(session, token)
    with session_scope(setup["url"]) as session:
        respondent.save_section(session, token, 0, {"rel1": 4})
    with session_scope(setup["url"]) as session:
        respondent.go_to_section(session, token, 3)  # review, par1 (required) unanswered
    at = _open(token)
    assert "Not answered yet — this question needs an answer." in _texts(at)
    _click(at, "survey_submit")
    assert [h.value for h in at.header] == ["Working together"]
    assert respondent.REQUIRED_MESSAGE in _problems(at)
    assert not _responses(setup["url"])


def test_open_link_visitors_get_their_own_link_in_the_address(setup):
    with session_scope(setup["url"]) as session:
        link = invitations.create_open_link(session, setup["open"], "business", "test")
    at = _open(link.token)
    assert [b.label for b in at.button] == ["Start the survey"]
    _click(at, "survey_start")
    personal = at.query_params["token"]
    personal = personal[0] if isinstance(personal, list) else personal
    assert personal != link.token
    assert [h.value for h in at.header] == ["IT services"]
    assert [h.value for h in _open(personal).header] == ["IT services"]  # a reload resumes
    assert [b.label for b in _open(link.token).button] == ["Start the survey"]  # the next visitor starts afresh

    # The browser's back button returns this visitor to the open link: they carry on, not start again.
    at.query_params["token"] = link.token
    at.run()
    assert [b.label for b in at.button] == ["Carry on with my answers"]
    _click(at, "survey_continue")
    assert [h.value for h in at.header] == ["IT services"]
    with session_scope(setup["url"]) as session:
        assert invitations.response_rates(session, setup["open"])["business"].open_link_visits == 1


def test_open_link_says_whose_link_it_is_and_after_submitting_back_says_the_answers_were_sent(setup):
    """The privacy statement speaks of "your link", which works once; back from the thank-you page
    the open link offered to carry on with answers already sent."""
    with session_scope(setup["url"]) as session:
        link = invitations.create_open_link(session, setup["open"], "business", "test")
    at = _open(link.token)
    assert "This link is shared with everyone in your group. When you start, you get a link of your own" in _texts(at)
    _click(at, "survey_start")
    personal = at.query_params["token"]
    personal = personal[0] if isinstance(personal, list) else personal
    assert "This link is shared" not in _texts(_open(personal))
    _to_review_from(setup["url"], personal)
    at.run()
    _click(at, "survey_submit")
    assert "Thank you" in _texts(at)
    at.query_params["token"] = link.token  # the browser's back button, to the group's open link
    at.run()
    assert "Your answers from this window have been sent. Thank you for taking part." in [s.value for s in at.success]
    assert not [b for b in at.button if b.key in ("survey_continue", "survey_start")]


def test_back_to_an_open_link_that_has_no_places_left_carries_on_not_turns_away(setup):
    """The visitor who took the last place pressed Back to the group's link and was told to ask for one."""
    with session_scope(setup["url"]) as session:
        link = invitations.create_open_link(session, setup["open"], "business", "test", max_visits=1)
    at = _open(link.token)
    _click(at, "survey_start")
    assert [h.value for h in at.header] == ["IT services"]
    assert "used by as many people" in _texts(_open(link.token))  # a new visitor: no places left
    at.query_params["token"] = link.token  # this visitor, back to the group's link
    at.run()
    assert "You have already started this survey in this window." in [i.value for i in at.info]
    _click(at, "survey_continue")
    assert [h.value for h in at.header] == ["IT services"]
    with session_scope(setup["url"]) as session:
        invitations.revoke_open_link(session, setup["open"], "business", "test")
    at.query_params["token"] = link.token  # withdrawn since: still their answers, not "ask for a link"
    at.run()
    assert [b.key for b in at.button] == ["survey_continue"]


# -- links that open nothing ---------------------------------------------------------------------
@pytest.mark.parametrize("case", ["used", "closed", "expired", "not_open_yet", "unknown", "malformed", "junk"])
def test_links_that_open_nothing_get_a_friendly_message(setup, case):
    url = setup["url"]
    if case == "used":
        (token,) = invite(url, setup["open"])
        assert complete(url, token).submitted
        expected = "already been used"
    elif case == "closed":
        with session_scope(url) as session:
            campaigns.open_campaign(session, setup["closed"], "test")
        (token,) = invite(url, setup["closed"])
        with session_scope(url) as session:
            campaigns.close_campaign(session, setup["closed"], "test")
        expected = "This survey has closed"
    elif case == "expired":
        campaign_id = make_campaign(url)
        (token,) = invite(url, campaign_id)
        with session_scope(url) as session:
            campaigns.update_campaign(session, campaign_id, "test", closes_on=dt.date.today() - dt.timedelta(days=2))
        expected = "This survey closed on"
    elif case == "not_open_yet":
        token = invite(url, make_campaign(url, open_it=False))[0]
        expected = "not open yet"
    elif case == "unknown":
        token = invitations.new_token()
        expected = "We do not recognise this survey link"
    elif case == "malformed":
        token = invite(url, setup["open"])[0][:-3]  # a link cut short by a mail client
        expected = MALFORMED_MESSAGE
    else:
        token = "'; DROP TABLE response; -- <script>alert(1)</script>" + "x" * 5000
        expected = MALFORMED_MESSAGE
    at = _open(token)
    text = _texts(at)
    assert expected in text
    # the survey's name where the link belongs to a campaign; an unknown link learns nothing
    known = case in ("used", "closed", "expired", "not_open_yet")
    assert [t.value for t in at.title] == (["Test IT perception survey"] if known else ["Survey"])
    assert not at.button and not at.radio and not at.text_area
    for technical in ("Traceback", "Error", "token_hash", "SELECT", "sqlite", "DROP"):
        assert technical not in text, technical


def test_a_database_failure_shows_a_friendly_message(setup, monkeypatch):
    (token,) = invite(setup["url"], setup["open"])

    def broken(*args, **kwargs):
        raise RuntimeError("connection to server at 10.0.0.5 failed: password authentication failed")

    monkeypatch.setattr(respondent, "load_survey", broken)
    at = _open(token)
    text = _texts(at)
    assert "cannot be shown just now" in text
    assert "10.0.0.5" not in text and "password" not in text


@pytest.mark.parametrize(("problems", "summary"), [
    ({"rel1": respondent.REQUIRED_MESSAGE}, "Please answer question 1 before going on."),
    ({"par1": respondent.REQUIRED_MESSAGE, "rel1": respondent.REQUIRED_MESSAGE, "rel4": respondent.REQUIRED_MESSAGE},
     "Please answer questions 1, 4 and 6 before going on."),
    ({"rel1": respondent.REQUIRED_MESSAGE, "logon_minutes": "Please enter a number from 0 to 60 minutes."},
     "Please check questions 1 and 5 before going on."),
    ({"": "This survey has closed."}, "This survey has closed."),
])
def test_the_summary_names_the_questions_to_put_right(problems, summary):
    numbers = {item_id: n for n, item_id in enumerate(["rel1", "rel2", "rel3", "rel4", "logon_minutes", "par1"], start=1)}
    assert sw.problems_summary(problems, numbers, respondent.REQUIRED_MESSAGE) == summary


def test_a_question_s_message_is_plain_text_not_markup(monkeypatch):
    body = []
    monkeypatch.setattr(sw.st, "html", body.append)
    sw.question_problem("<b>x</b> *y*")
    assert "&lt;b&gt;x&lt;/b&gt; *y*" in body[0] and "<b>x" not in body[0]
