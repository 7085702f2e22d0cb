"""Real browser: respondents answer surveys from their invitation links in Chromium.

One Streamlit server for the module, on a fresh SQLite file; each test makes its own campaign and
invitations in that database (the server reads them as any admin-made campaign). A small instrument
written here keeps most journeys quick; the shipped instrument is answered in full once. Screenshots
go to test-artifacts/ for a human to look at.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from itcap.bootstrap import bootstrap
from itcap.storage import dispose_engines, session_scope
from surveys import campaigns, invitations, respondent
from surveys.store import ensure_default_instrument
from surveys.tables import Invitation, InvitationCompletion, Response, SurveyDraft
from tests.support import ROOT, StreamlitServer, contrast_on_white, unpacked, wait_for_app
from tests.survey_testdata import complete, invite, make_campaign

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"
COMMENT = "<b>Wi-Fi</b> in **block C** drops <script>alert(1)</script>"

SMALL_YAML = """\
id: browser_survey
name: Staff IT survey
version: "1"
welcome: Thank you for taking part. Three short sections.
privacy_statement: Your answers are anonymous.
thank_you: |-
  Thank you — your answers have been submitted.

  Results will be shared in the spring.
groups:
  - {id: business, name: Business users}
  - {id: it_staff, name: IT staff}
response_scales:
  - id: agree5
    min: 1
    max: 5
    labels: {1: Strongly disagree, 2: Disagree, 3: Neither agree nor disagree, 4: Agree, 5: Strongly agree}
scales:
  - {id: reliability, name: Service reliability, mode: supplier}
  - {id: partnership, name: Business understanding, mode: business_partner}
sections:
  - id: services
    title: IT services
    intro: Think about the last three months.
    items:
      - {id: rel1, type: likert, text: The network is reliable., response_scale: agree5, scale: reliability, required: true}
      - {id: rel2, type: likert, text: I can log on quickly., response_scale: agree5, scale: reliability}
      - {id: logon_minutes, type: numeric, text: "How many minutes does it take to log on?", min: 0, max: 60, unit: minutes}
  - id: partnership
    title: Working together
    items:
      - {id: par1, type: likert, text: IT understands what my area needs., response_scale: agree5, scale: partnership, required: true}
      - {id: par2, type: likert, text: IT suggests new ways of working., response_scale: agree5, scale: partnership}
  - id: about
    title: About you
    items:
      - id: directorate
        type: choice
        text: Which directorate do you work in?
        demographic: true
        options: [{code: 1, label: Finance}, {code: 2, label: Operations}, {code: 3, label: Prefer not to say}]
      - {id: comments, type: text, text: "Any other comments?", max_length: 500}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-survey') / 'itcap.db'}"
    bootstrap(url)
    dispose_engines()
    with StreamlitServer(url) as running:
        running.db_url = url
        yield running


@pytest.fixture
def small(server):
    """A fresh open campaign of the small instrument, so that each test counts its own responses."""
    return make_campaign(server.db_url, yaml=SMALL_YAML, min_group_size=6, comment_threshold=11)


def _link(server, token: str) -> str:
    return f"{server.url}/?token={token}"


def _screenshot(page, name: str) -> None:
    """The whole page from its top (Streamlit scrolls inside its own container, so the window is made
    as tall as the content for the picture, then put back)."""
    ARTIFACTS.mkdir(exist_ok=True)
    size = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name))
    page.set_viewport_size(size)


def _open(page, server, token: str) -> None:
    page.goto(_link(server, token))
    wait_for_app(page)
    page.locator("h1").first.wait_for()


def _until(page, text: str) -> None:
    """Wait for the next screen (a click's rerun may not have started when wait_for_app returns)."""
    page.get_by_text(text, exact=True).first.wait_for()
    wait_for_app(page)


def _group(page, question: str):
    return page.get_by_role("radiogroup", name=re.compile(re.escape(question)))


def _choose(page, question: str, label: str) -> None:
    _group(page, question).get_by_text(label, exact=True).click()


def _checked(page, question: str, label: str) -> bool:
    return _group(page, question).get_by_role("radio", name=label, exact=True).is_checked()


def _click(page, button: str, then: str) -> None:
    page.get_by_role("button", name=button).click()
    _until(page, then)


def _start(page, server, token: str) -> None:
    _open(page, server, token)
    _click(page, "Start the survey", "Section 1 of 3")


def _answer_small_survey(page, comment: str = COMMENT, on_section=lambda page, number: None) -> None:
    """From section 1 of the small survey to its review screen (``on_section``: a check on each)."""
    on_section(page, 1)
    _choose(page, "1. The network is reliable.", "Agree")
    _choose(page, "2. I can log on quickly.", "Disagree")
    page.get_by_role("textbox", name=re.compile("How many minutes")).fill("7")
    _click(page, "Next", "Section 2 of 3")
    on_section(page, 2)
    _choose(page, "4. IT understands what my area needs.", "Strongly agree")
    _click(page, "Next", "Section 3 of 3")
    on_section(page, 3)
    _choose(page, "6. Which directorate do you work in?", "Operations")
    page.get_by_role("textbox", name=re.compile("Any other comments")).fill(comment)
    _click(page, "Review my answers", "Check your answers")


def _at_review(server, campaign_id: int) -> str:
    """A fresh invitation answered up to the review screen through the services (the journey through
    the screens is tested on its own; this keeps the submit tests quick)."""
    (token,) = invite(server.db_url, campaign_id)
    with session_scope(server.db_url) as session:
        respondent.begin(session, token)
    for index, answers in enumerate([{"rel1": 4, "logon_minutes": 7}, {"par1": 5}, {"comments": COMMENT}]):
        with session_scope(server.db_url) as session:
            assert respondent.save_section(session, token, index, answers).ok
    return token


def _responses(server, campaign_id: int) -> list[Response]:
    with session_scope(server.db_url) as session:
        return list(session.exec(select(Response).where(Response.campaign_id == campaign_id)))


# -- journeys ------------------------------------------------------------------------------------
def test_complete_the_shipped_survey_from_an_invitation_link(server, page):
    with session_scope(server.db_url) as session:
        record = ensure_default_instrument(session)
        campaign = campaigns.create_campaign(session, instrument_id=record.id, name="IT perception 2026", actor="test",
                                             min_group_size=5, comment_threshold=10)
        campaigns.open_campaign(session, campaign.id, "test")
        campaign_id = campaign.id
        (link,) = invitations.create_invitations(session, campaign_id, "business", 1, "test", base_url=server.url)

    # Every request the respondent's browser makes goes to the app: no font, icon or analytics host
    # learns who is answering (the tab icon once came from fonts.gstatic.com).
    elsewhere: list[str] = []
    page.on("request", lambda request: elsewhere.append(request.url)
            if not request.url.startswith((server.url, "data:", "blob:", "about:")) else None)
    page.goto(link.link)
    wait_for_app(page)
    page.get_by_role("heading", name="Your privacy").wait_for()
    assert page.title() == "IT perception survey"
    assert page.get_by_text("groups of at least 5 people").is_visible()
    _screenshot(page, "survey-welcome-desktop.png")
    page.get_by_role("button", name="Start the survey").click()

    count = None
    section = 1
    while True:
        progress = page.get_by_test_id("stProgress").get_by_text(re.compile(r"Section \d+ of \d+"))
        progress.wait_for()
        wait_for_app(page)
        count = count or int(progress.inner_text().split()[-1])
        assert progress.inner_text() == f"Section {section} of {count}"
        form = page.get_by_test_id("stForm")
        for n, group in enumerate(form.get_by_role("radiogroup").all()):
            options = group.locator('[data-testid="stRadioOption"]')
            options.nth((n + section) % min(options.count(), 5)).click()  # varied, never "No answer"
        for box in form.locator('[class*="st-key-survey_numeric_"] input').all():
            assert box.get_attribute("inputmode") == "decimal"  # the phone's number keyboard
            described_by = box.get_attribute("aria-describedby")  # the range is read out on entering the box
            assert described_by and "A number from" in page.locator(f"#{described_by}").inner_text()
            box.fill("4")
        for box in form.locator("textarea").all():
            box.fill(f"Section {section}: {COMMENT}")
        if section == 1:
            _screenshot(page, "survey-section-desktop.png")
        if section == count:
            _click(page, "Review my answers", "Check your answers")
            break
        page.get_by_role("button", name="Next").click()
        page.get_by_text(f"Section {section + 1} of {count}", exact=True).wait_for()
        section += 1

    assert page.get_by_text("4 minutes", exact=True).is_visible()
    typed = page.get_by_text(re.compile(r"^Section \d+: " + re.escape(COMMENT) + "$"))
    assert typed.count() == 2 and typed.first.is_visible()  # both comments, as typed: not rendered
    _screenshot(page, "survey-review-desktop.png")
    _click(page, "Submit my answers", "This link has now been used and will not open the survey again. Your answers "
           "will be combined with everyone else's to show how IT is seen across the organisation and where it should "
           "improve first.")
    assert page.get_by_text("Thank you — your answers have been submitted.").is_visible()
    _screenshot(page, "survey-thank-you-desktop.png")
    assert elsewhere == [], f"the survey made requests to other hosts: {elsewhere}"
    assert not page.get_by_test_id("stMainMenu").is_visible()  # no "Record screen", no "Made with Streamlit"

    # Exactly one response, and nothing in it or about it leads back to the invitation.
    (response,) = _responses(server, campaign_id)
    answers = unpacked(response.answers_json, campaign_id, server.db_url)
    assert len(answers) >= 35 and answers["logon_minutes"] == 4
    assert set(Response.__table__.columns.keys()) == {
        "id", "campaign_id", "group_id", "submitted_on", "duration_seconds", "answers_json", "quality_flags", "source",
        "release"}  # release: the batch of the open campaign's figures (≥ k per group; surveys.release)
    assert [fk.column.table.name for fk in Response.__table__.foreign_keys] == ["campaign"]
    assert link.token not in response.answers_json and link.token not in response.id
    with session_scope(server.db_url) as session:
        invitation = session.exec(select(Invitation).where(Invitation.token_hash == invitations.hash_token(link.token))).one()
        assert invitation.status == "completed"
        assert session.get(InvitationCompletion, invitation.id) is not None  # the link is used …
        assert session.get(SurveyDraft, invitation.id) is None  # … its answers in progress are gone …
    assert set(InvitationCompletion.__table__.columns.keys()) == {"invitation_id"}  # … and nothing ties the two
    assert link.token not in server.log_path.read_text(errors="replace")  # nor does the server log the link


def test_leaving_a_section_with_answers_not_yet_saved_asks_first(server, page, small):
    """A section's answers are saved by its buttons; the phone's back button, closing the tab or a
    reload would lose what is on the screen without a word. The browser asks first — and only while
    something unsaved is there."""
    (token,) = invite(server.db_url, small)
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    _start(page, server, token)
    page.close(run_before_unload=True)  # nothing answered yet: it closes without a question
    page.wait_for_event("close") if not page.is_closed() else None
    assert asked == []

    page = page.context.new_page()
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    _open(page, server, token)
    _until(page, "Section 1 of 3")
    _choose(page, "1. The network is reliable.", "Agree")
    page.close(run_before_unload=True)  # "Leave site?" — the respondent stays
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"] and not page.is_closed()
    assert _checked(page, "1. The network is reliable.", "Agree")
    _click(page, "Next", "Section 2 of 3")  # saved: nothing to lose now
    page.close(run_before_unload=True)
    page.wait_for_event("close") if not page.is_closed() else None
    assert asked == ["beforeunload"]


def test_reload_half_way_resumes_with_the_answers_selected(server, page, small):
    (token,) = invite(server.db_url, small)
    _start(page, server, token)
    _choose(page, "1. The network is reliable.", "Strongly agree")
    # a decimal comma, as much of Europe types it: 12.5 (a number box dropped the comma and saved 125)
    page.get_by_role("textbox", name=re.compile("How many minutes")).fill("12,5")
    _click(page, "Next", "Section 2 of 3")
    with session_scope(server.db_url) as session:
        assert respondent.load_survey(session, token).answers["logon_minutes"] == 12.5
    _choose(page, "5. IT suggests new ways of working.", "Agree")
    _click(page, "Next", "Please answer this question.")  # par1 is required: refused, but par2 is saved

    page.reload()  # a new browser session; nothing in this one remembers the answers
    wait_for_app(page)
    _until(page, "Section 2 of 3")
    assert page.get_by_text("Welcome back").first.is_visible()
    assert _checked(page, "5. IT suggests new ways of working.", "Agree")
    _click(page, "Back", "Section 1 of 3")
    assert _checked(page, "1. The network is reliable.", "Strongly agree")
    assert not _checked(page, "1. The network is reliable.", "Agree")
    assert page.get_by_role("textbox", name=re.compile("How many minutes")).input_value() == "12.5"

    page.goto("about:blank")  # closing the tab and opening the link again later
    _open(page, server, token)
    _until(page, "Section 1 of 3")
    assert _checked(page, "1. The network is reliable.", "Strongly agree")


def test_double_click_on_submit_makes_one_response(server, page, small):
    _open(page, server, _at_review(server, small))
    _until(page, "Check your answers")
    page.get_by_role("button", name="Submit my answers").dblclick()
    _until(page, "Results will be shared in the spring.")
    page.wait_for_timeout(500)  # let any second run finish
    assert len(_responses(server, small)) == 1
    assert page.get_by_text("already been used").count() == 0  # the respondent is thanked, not told off


def test_double_click_on_start_of_an_open_link_takes_one_place(server, page, small):
    """Each start of a capped open link takes a place: a double click must not take two."""
    with session_scope(server.db_url) as session:
        link = invitations.create_open_link(session, small, "business", "test", max_visits=3)
    _open(page, server, link.token)
    page.get_by_role("button", name="Start the survey").dblclick()
    _until(page, "Section 1 of 3")
    page.wait_for_timeout(500)  # let any second run finish
    with session_scope(server.db_url) as session:
        assert invitations.live_open_links(session, small) == {"business": 2}


def test_back_button_and_a_stale_tab_cannot_submit_twice(server, browser, small):
    token = _at_review(server, small)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        first = context.new_page()
        _open(first, server, token)
        _until(first, "Check your answers")
        second = context.new_page()  # the same link in another tab, also at the review screen
        _open(second, server, token)
        _until(second, "Check your answers")

        _click(first, "Submit my answers", "Results will be shared in the spring.")
        first.go_back()  # the browser's back button (to the page before the link), then forward again
        assert not first.url.startswith(server.url)
        first.go_forward()
        wait_for_app(first)
        first.get_by_text("already been used").wait_for()
        wait_for_app(first)
        assert first.get_by_role("heading", name="Staff IT survey").is_visible()  # the used link's page names the survey
        assert first.get_by_role("button", name="Submit my answers").count() == 0

        second.get_by_role("button", name="Submit my answers").click()  # the stale review screen submits again
        second.get_by_text("already been used").wait_for()
        wait_for_app(second)
        assert len(_responses(server, small)) == 1
    finally:
        context.close()


def test_a_used_link_says_so(server, page, small):
    (token,) = invite(server.db_url, small)
    assert complete(server.db_url, token, {0: {"rel1": 3}, 1: {"par1": 3}, 2: {}}).submitted
    _open(page, server, token)
    page.get_by_text("This link has already been used").wait_for()
    assert page.get_by_role("button", name=re.compile("Start|Submit|Next")).count() == 0
    _screenshot(page, "survey-used-link.png")


def test_a_closed_campaigns_link_says_it_has_closed(server, page, small):
    (token,) = invite(server.db_url, small)
    with session_scope(server.db_url) as session:
        campaigns.close_campaign(session, small, "test")
    _open(page, server, token)
    page.get_by_text("This survey has closed").wait_for()
    assert page.get_by_role("button", name=re.compile("Start|Submit|Next")).count() == 0
    page_text = page.get_by_test_id("stMain").inner_text()
    assert "Traceback" not in page_text and "Error" not in page_text


def test_the_whole_journey_on_a_375px_phone(server, browser, small):
    (token,) = invite(server.db_url, small)
    context = browser.new_context(viewport={"width": 375, "height": 812}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(30_000)

    def no_sideways_scrolling(where: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 380, f"{where}: the page scrolls sideways ({width}px wide)"

    try:
        _open(page, server, token)
        page.get_by_role("heading", name="Your privacy").wait_for()
        no_sideways_scrolling("welcome")
        assert page.get_by_text("at least 6 people").is_visible()  # the campaign's own thresholds
        _screenshot(page, "survey-welcome-375px.png")
        _click(page, "Start the survey", "Section 1 of 3")
        no_sideways_scrolling("section 1")
        # Likert answers one under the other, each label whole, inside the screen and legible.
        labels = _group(page, "1. The network is reliable.").locator('[data-testid="stRadioOption"]')
        tops = []
        for i in range(labels.count()):
            text = labels.nth(i).locator("p")
            box = text.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 375, text.inner_text()
            assert text.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), f"{text.inner_text()} is cut off"
            assert float(text.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px")) >= 14
            tops.append(box["y"])
        assert tops == sorted(tops) and len(set(tops)) == len(tops), "Likert options should stack on a phone"
        # the first answers start in the top part of the screen, not under a desktop-sized title
        # (about 260px down with the phone's smaller title and top margin, 440px without)
        first = _group(page, "1. The network is reliable.").bounding_box()
        assert first["y"] < 320, f"the first question's answers start {first['y']:.0f}px down the screen"
        for hint in ("A number from 0 to 60 minutes.", "The answers on this page are saved when you leave it"):
            ratio = contrast_on_white(page.get_by_text(hint, exact=False).first)
            assert ratio >= 4.5, f"{hint!r} has a contrast of {ratio:.2f}:1 (WCAG AA asks 4.5:1)"
        _click(page, "Next", "Please answer this question.")
        _screenshot(page, "survey-required-375px.png")
        page.get_by_text("Neither agree nor disagree").first.tap()
        _click(page, "Next", "Section 2 of 3")
        no_sideways_scrolling("section 2")
        _click(page, "Back", "Section 1 of 3")
        assert _checked(page, "1. The network is reliable.", "Neither agree nor disagree")
        _screenshot(page, "survey-section-375px.png")

        def big_enough_to_tap(page, section: int) -> None:
            """Every answer option at least 24 px tall (WCAG 2.2), a choice's as a likert's."""
            heights = page.locator('[data-testid="stRadioOption"]').evaluate_all(
                "options => options.map(o => o.getBoundingClientRect().height)")
            assert heights and min(heights) >= 24, f"section {section}: answer options {min(heights):.0f}px tall"

        _answer_small_survey(page, on_section=big_enough_to_tap)
        no_sideways_scrolling("review")
        assert page.get_by_text(COMMENT, exact=True).is_visible()
        _screenshot(page, "survey-review-375px.png")
        # changing a section from the review comes back to that section, not to the top of the review
        page.get_by_role("button", name="Change answers in “Working together”").click()
        _until(page, "Section 2 of 3")
        _click(page, "Save and return to review", "Check your answers")
        page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H3'")
        assert page.evaluate("document.activeElement.innerText") == "Working together"
        wait_for_app(page)
        page.wait_for_timeout(500)
        box = page.locator(".st-key-survey_review_partnership").bounding_box()
        assert 0 <= box["y"] <= 812 / 2, f"the changed section is not in view (y={box['y']})"
        _click(page, "Submit my answers", "Results will be shared in the spring.")
        # the thank-you screen is announced by its own heading, and the browser tab says it is done
        page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H2'")
        assert page.evaluate("document.activeElement.innerText") == "Your answers have been sent"
        assert page.title().startswith("Answers sent – ")
        no_sideways_scrolling("thank you")
        _screenshot(page, "survey-thank-you-375px.png")
    finally:
        context.close()
    assert len(_responses(server, small)) == 1


def test_a_section_by_keyboard_alone(server, page, small):
    (token,) = invite(server.db_url, small)
    _open(page, server, token)

    def focused() -> str:
        return page.evaluate("""() => {
            const e = document.activeElement;
            const group = e.closest('[role="radiogroup"]');
            if (group) return 'radio:' + group.getAttribute('aria-label');
            return e.tagName + ':' + (e.tagName === 'BUTTON' ? e.innerText : e.getAttribute('aria-label') || '');
        }""")

    main_stops = []

    def tab_to(wanted: str, limit: int = 12) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            # Streamlit's <main> is a tab stop with its outline removed: focus seemed to vanish there
            outline = page.evaluate("""() => { const e = document.activeElement; if (e.tagName !== 'MAIN') return null;
                const s = getComputedStyle(e); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }""")
            if outline is not None:
                main_stops.append(outline)
            if wanted in focused():
                return
        raise AssertionError(f"Tab never reached {wanted!r}; stopped at {focused()!r}")

    tab_to("Start the survey")
    assert main_stops and all(main_stops), "a tab stop without a visible focus outline"
    page.keyboard.press("Enter")
    _until(page, "Section 1 of 3")
    _group(page, "1. The network is reliable.").wait_for()
    # an optional question's "No answer" is set apart, not a sixth point of the scale
    no_answer = _group(page, "2. I can log on quickly.").locator('[data-testid="stRadioOption"]').last
    assert no_answer.inner_text().strip() == "No answer"
    assert no_answer.evaluate("e => getComputedStyle(e).borderLeftStyle") == "dashed"
    agree = _group(page, "2. I can log on quickly.").locator('[data-testid="stRadioOption"]').first
    assert agree.evaluate("e => getComputedStyle(e).borderLeftStyle") == "none"
    tab_to("radio:1. The network is reliable.")
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # arrows move the choice along the scale: Agree
    tab_to("radio:2. I can log on quickly.")
    page.keyboard.press("Space")  # the first option: Strongly disagree
    page.keyboard.press("Tab")
    page.keyboard.type("600")  # out of range: Next is refused, and the number box is where focus goes
    tab_to("Next")
    page.keyboard.press("Enter")
    page.get_by_text("Please check question 3 before going on.").wait_for()
    number_box = page.locator(".st-key-survey_numeric_logon_minutes input")
    page.wait_for_function("() => document.activeElement && document.activeElement.closest('.st-key-survey_numeric_logon_minutes')")
    page.wait_for_timeout(1000)  # the marks must survive Streamlit's redraw
    assert number_box.get_attribute("aria-invalid") == "true"
    assert number_box.get_attribute("inputmode") == "decimal" and number_box.get_attribute("aria-required") is None
    assert "from 0 to 60 minutes" in page.locator(f"#{number_box.get_attribute('aria-describedby')}").inner_text()
    page.keyboard.press("Control+A")
    page.keyboard.type("15")
    tab_to("Next")
    page.keyboard.press("Enter")
    _until(page, "Section 2 of 3")
    assert _checked(page, "4. IT understands what my area needs.", "Agree") is False

    with session_scope(server.db_url) as session:
        state = respondent.load_survey(session, token)
    assert state.answers == {"rel1": 4, "rel2": 1, "logon_minutes": 15} and state.section_index == 1
    # the new screen is announced by its own heading (focused) and the browser tab names it
    page.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'H2'")
    assert page.evaluate("document.activeElement.innerText") == "Working together"
    assert page.title().startswith("Working together – ")
    # Next refused by keyboard: focus goes to the question that needs an answer, which says so to a
    # screen reader (aria-invalid, and its message as the description)
    tab_to("Next")
    page.keyboard.press("Enter")
    page.get_by_text(respondent.REQUIRED_MESSAGE).first.wait_for()
    page.wait_for_function("() => document.activeElement && document.activeElement.closest('[role=\"radiogroup\"]')")
    assert focused() == "radio:4. IT understands what my area needs."
    group = _group(page, "4. IT understands what my area needs.")
    page.wait_for_timeout(1000)  # Streamlit redraws the fields after the script: the marks must survive it
    assert group.get_attribute("aria-invalid") == "true"
    assert group.get_attribute("aria-required") == "true"  # announced before anything is refused, too
    assert _group(page, "5. IT suggests new ways of working.").get_attribute("aria-required") is None
    described = page.locator(f"#{group.get_attribute('aria-describedby')}")
    assert respondent.REQUIRED_MESSAGE in described.inner_text()
