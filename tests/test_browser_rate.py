"""Real browser: an assessor rates a capability, reloads, and finds the rating still there; the page
works on a 375 px phone; the lead assessor overrides a flagged consensus. Screenshots go to
test-artifacts/ for a human to look at."""

from __future__ import annotations

import datetime as dt
import re
import time
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from assessment import service
from itcap import accounts
from itcap.bootstrap import bootstrap
from itcap.storage import dispose_engines, session_scope
from tests.support import ROOT, StreamlitServer, contrast_on_white, login, wait_for_app

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
ARTIFACTS = ROOT / "test-artifacts"
EVIDENCE = "Account plans for 4 of 9 directorates; <b>no</b> satisfaction survey.\nInterviewed two directors."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-rate') / 'itcap.db'}"
    bootstrap(url)
    with session_scope(url) as session:
        lead = accounts.create_account(session, "lee", PASSWORD, ["lead_assessor", "assessor"], "Lee Lead")
        ana = accounts.create_account(session, "ana", PASSWORD, ["assessor"], "Ana Assessor")
        phil = accounts.create_account(session, "phil", PASSWORD, ["assessor"], "Phil Phone")
        sam = accounts.create_account(session, "sam", PASSWORD, ["assessor"], "Sam Switcher")
        from capability_model.store import ensure_default_model

        assessment = service.create_assessment(
            session, name="IT capability review 2026", org_unit="Corporate IT", model_id=ensure_default_model(session).id,
            assessed_on=dt.date(2026, 3, 1), assessor_ids=[ana.id, phil.id, sam.id], lead_id=lead.id, actor=lead)
        model = service.model_for(session, assessment)
        # The lead and Phil disagree by two levels on the last capability: flagged on the consensus page.
        last = model.capability_ids[-1]
        service.save_rating(session, assessment.id, lead, last, 3, evidence="Policy approved, <i>used</i> widely", confidence="high")
        service.save_rating(session, assessment.id, phil, last, 1, evidence="No risk register seen", confidence="medium")
    dispose_engines()
    with StreamlitServer(url) as running:
        running.db_url = url
        running.assessment_id = assessment.id
        running.model = model
        yield running


def _level(page, text: str):
    return page.get_by_role("radiogroup", name="Level").locator('[data-testid="stRadioOption"]').filter(has_text=text)


def _confidence(page, text: str):
    return page.get_by_role("radiogroup", name="Confidence").get_by_role("radio", name=text)


@contextmanager
def _phone(browser, width: int, height: int):
    """A page in a phone's browser (touch, mobile viewport), closed afterwards."""
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def _screenshot(page, name: str, width: int, height: int) -> None:
    """The page from its top in a tall window (Streamlit scrolls inside its own container)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    page.evaluate("document.querySelector('[data-testid=\"stMain\"]')?.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name))


def test_rating_saves_on_change_and_survives_a_reload(server, page):
    first = server.model.capabilities[0]
    login(page, server.url, "ana", PASSWORD)
    page.get_by_role("heading", name="Score capabilities").wait_for()
    page.get_by_role("heading", name=first.name).wait_for()  # (drawn after the title: waited for, not assumed)
    page.get_by_text(first.levels[3][:40]).wait_for()  # the level descriptors are on screen

    # a screen reader entering the levels hears which capability they are for
    assert page.get_by_role("radiogroup", name=f"Level for {first.name}", exact=True).count() == 1
    _level(page, "3 · Defined").click()
    wait_for_app(page)
    page.get_by_role("textbox", name="Evidence").fill(EVIDENCE)
    page.get_by_role("textbox", name="Evidence").press("Tab")  # leaving the box saves it
    wait_for_app(page)
    _confidence(page, "Medium").click()
    wait_for_app(page)
    page.get_by_text(re.compile(r"Saved \d")).wait_for()
    page.get_by_test_id("stProgress").get_by_text("1 of 18").wait_for()
    _screenshot(page, "rate-desktop.png", 1280, 1900)

    with session_scope(server.db_url) as session:
        ana = accounts.get_by_username(session, "ana")
        saved = service.ratings_of(session, server.assessment_id, ana.id)[first.id]
    assert (saved.level, saved.evidence, saved.confidence) == (3, EVIDENCE, "medium")

    # A reload starts a new Streamlit session, which the browser's session cookie carries on: no
    # log-in. The page resumes at the next capability to rate; the jump list shows the first one
    # rated, and opening it shows everything as saved.
    page.reload()
    wait_for_app(page)
    page.get_by_role("heading", name="Score capabilities").wait_for()
    assert page.get_by_label("Username", exact=True).count() == 0
    page.get_by_role("heading", name=server.model.capabilities[1].name).wait_for()
    page.get_by_role("button", name=f"{first.name} · 3").click()
    wait_for_app(page)
    page.get_by_role("heading", name=first.name).wait_for()
    # the jump list tells a screen reader which capability is on screen (it shows it in bold)
    expect(page.locator(".st-key-rate_jumplist button[aria-current='page']")).to_have_count(1)
    assert first.name in page.locator(".st-key-rate_jumplist button[aria-current='page']").inner_text()
    assert _level(page, "3 · Defined").locator("input").is_checked()
    assert not _level(page, "2 · Repeatable").locator("input").is_checked()
    assert page.get_by_role("textbox", name="Evidence").input_value() == EVIDENCE
    assert _confidence(page, "Medium").get_attribute("aria-checked") == "true"
    assert page.get_by_test_id("stProgress").get_by_text("1 of 18").is_visible()


def _no_toast_over_the_levels(page) -> None:
    """Nothing floats over the level options after a save: on a phone a "Saved" toast covered the
    next levels to tap for four seconds (the card's own "Saved" line says it instead)."""
    page.wait_for_timeout(300)  # a toast slides in
    options = [page.locator('.st-key-rate_levels [data-testid="stRadioOption"]').nth(i).bounding_box() for i in range(5)]
    for toast in page.get_by_test_id("stToast").all():
        if not toast.is_visible():
            continue
        box = toast.bounding_box()
        for option in options:
            apart = (box["x"] + box["width"] <= option["x"] or option["x"] + option["width"] <= box["x"]
                     or box["y"] + box["height"] <= option["y"] or option["y"] + option["height"] <= box["y"])
            assert apart, f"a toast ({box}) covers a level option ({option})"


def test_descriptors_are_readable_on_a_375px_phone(server, browser):
    with _phone(browser, 375, 812) as page:
        login(page, server.url, "phil", PASSWORD)
        page.get_by_role("heading", name="Score capabilities").wait_for()
        first = server.model.capabilities[0]
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375 + 2, f"the page scrolls sideways: {width}px wide"
        for level in (1, 5):
            descriptor = page.get_by_text(first.levels[level][:40])
            descriptor.scroll_into_view_if_needed()
            box = descriptor.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375 + 1
            size = float(descriptor.evaluate("e => getComputedStyle(e).fontSize").removesuffix("px"))
            assert size >= 13, f"descriptor text is {size}px"
        # a tap on a level's description chooses it, as a tap on its one-line name does
        page.get_by_text(first.levels[4][:40]).tap()
        wait_for_app(page)
        page.get_by_text(re.compile(r"Saved \d")).wait_for()
        # the toast is hidden on a phone; a screen reader hears the save from the live region
        expect(page.get_by_role("status").filter(has_text=f"Level 4 saved for {first.name}")).to_have_count(1)
        _no_toast_over_the_levels(page)
        assert _level(page, "4 · Managed").locator("input").is_checked()
        with session_scope(server.db_url) as session:
            phil = accounts.get_by_username(session, "phil")
            assert service.ratings_of(session, server.assessment_id, phil.id)[first.id].level == 4
        _level(page, "2 · Repeatable").click()
        expect(_level(page, "2 · Repeatable").locator("input")).to_be_checked()
        wait_for_app(page)
        # an unchosen level's circle is visible on white: 3:1 at least (WCAG 1.4.11)
        circle = _level(page, "5 · Optimising").locator(":scope > div > div").first
        assert contrast_on_white(circle, "borderTopColor") >= 3
        # the chosen level's descriptor stands out from the others (darker, not only the tinted box)
        captions = page.locator('.st-key-rate_levels [data-testid="stRadioCaption"] p')
        chosen, other = contrast_on_white(captions.nth(1)), contrast_on_white(captions.nth(2))
        assert chosen > other + 3, f"the chosen descriptor ({chosen:.1f}:1) reads like the others ({other:.1f}:1)"
        _screenshot(page, "rate-375px.png", 375, 2600)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 2
        # Next sits below the card: after it the next capability is shown from its name, not from
        # where the page was scrolled to (Streamlit keeps the scroll position)
        page.set_viewport_size({"width": 375, "height": 812})  # a phone's screen again, after the tall screenshot
        page.get_by_role("button", name="Next").click()
        second = page.get_by_role("heading", name=server.model.capabilities[1].name)
        second.wait_for()
        wait_for_app(page)
        page.wait_for_timeout(500)
        box = second.bounding_box()
        # at the top of the screen, so its levels follow in view (from the page's top they began a screen down)
        assert 60 <= box["y"] <= 250, f"the next capability's name is not at the top of the screen (y={box['y']})"


def test_keyboard_focus_is_never_left_under_the_header_on_a_phone(server, browser):
    """Shift+Tab back up the page on a phone: each control focused scrolls into view below the
    sticky header, not under it (WCAG 2.4.11) — "What the levels mean" was wholly hidden there."""
    with _phone(browser, 375, 740) as page:
        login(page, server.url, "phil", PASSWORD)
        page.get_by_role("heading", name="Score capabilities").wait_for()
        header = page.get_by_test_id("stHeader").bounding_box()
        page.get_by_role("radiogroup", name="Level").get_by_role("radio").last.focus()
        reached = False
        for _ in range(12):
            page.keyboard.press("Shift+Tab")
            page.wait_for_timeout(150)
            top = page.evaluate("document.activeElement.getBoundingClientRect().top")
            name = page.evaluate("document.activeElement.innerText || document.activeElement.getAttribute('aria-label') || ''")
            assert top >= header["y"] + header["height"] - 1, f"{name!r} is focused under the header (top {top})"
            if "What the levels mean" in name:
                reached = True
                break
        assert reached, "Shift+Tab from the levels never reached 'What the levels mean'"


# whether leaving the page now would ask "Leave site?": a handler cancels the beforeunload event
ASKS_BEFORE_LEAVING = ("() => { const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); "
                       "return e.defaultPrevented; }")


def test_lead_overrides_a_flagged_consensus_with_a_rationale(server, page):
    last = server.model.capabilities[-1]
    login(page, server.url, "lee", PASSWORD)
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Consensus").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Consensus").first.wait_for()
    flagged = page.locator('[data-testid="stExpander"]').first
    assert last.name in flagged.locator("summary").inner_text()
    assert flagged.get_by_text("Policy approved, <i>used</i> widely").is_visible()  # as typed, not rendered
    form = flagged.locator('[data-testid="stForm"]').first
    form.get_by_role("button", name="Set consensus").click()
    wait_for_app(page)
    # the message by the form (the same words also go to the live region, for a screen reader)
    page.get_by_test_id("stAlertContentError").get_by_text("a consensus decision needs a written rationale").wait_for()

    form = page.locator('[data-testid="stExpander"]').first.locator('[data-testid="stForm"]').first
    level = form.get_by_role("combobox", name="Consensus level")
    level.scroll_into_view_if_needed()
    level.click()
    level.press_sequentially("Initial")  # type to filter, then choose
    page.get_by_role("option").filter(has_text="1 · Initial").click()
    form.get_by_role("textbox", name="Rationale (required)").fill("No risk register or policy reviews in the records sampled.")
    # a rationale typed but not yet sent: closing or reloading the tab would ask "Leave site?" first
    assert page.evaluate(ASKS_BEFORE_LEAVING) is True
    form.get_by_role("button", name="Set consensus").click()
    wait_for_app(page)
    page.get_by_test_id("stAlertContentSuccess").get_by_text(f"{last.name}: consensus set to level 1.").wait_for()
    assert page.evaluate(ASKS_BEFORE_LEAVING) is False  # sent: nothing to ask about
    assert "consensus 1 (override)" in page.locator('[data-testid="stExpander"]', has_text=last.name).first.locator("summary").inner_text()
    with session_scope(server.db_url) as session:
        [row] = service.override_history(session, server.assessment_id, last.id)
    assert (row.level, row.decided_by) == (1, "lee")
    _screenshot(page, "consensus-desktop.png", 1280, 2400)
    # on a phone the radar gives way to a row per capability that fits the screen
    page.set_viewport_size({"width": 375, "height": 900})
    page.wait_for_timeout(1000)
    assert not page.locator(".st-key-cons_radar-wide").is_visible()
    rows = page.locator(".st-key-cons_radar-phone [data-testid='stVegaLiteChart']")
    rows.scroll_into_view_if_needed()
    drawn = rows.locator("canvas, svg").first.bounding_box()
    assert drawn["x"] >= 0 and drawn["x"] + drawn["width"] <= 375


def test_a_reloaded_consensus_page_asks_to_log_in_there_and_keeps_names_in_view_on_a_phone(server, page):
    """A phone reloads the tab: the log-in form is on the page, and logging in lands on it again.
    The side-by-side table pins the capability, which Streamlit only does for pinned columns up to
    60% of the table's width."""
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto(f"{server.url}/consensus")
    wait_for_app(page)
    page.get_by_text("Please log in to see this page.").wait_for()
    page.get_by_label("Username", exact=True).fill("lee")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    wait_for_app(page)
    page.get_by_role("heading", name="Consensus").first.wait_for()
    assert page.url.endswith("/consensus")
    expect(page.locator(".st-key-cons-table-wide")).to_be_hidden()  # (its style may land a moment after the table)
    table = page.locator(".st-key-cons-table-phone [data-testid='stDataFrame']")
    table.scroll_into_view_if_needed()
    pinned = 170  # the phone table's Capability column (pages/consensus.py)
    assert pinned <= 0.6 * table.bounding_box()["width"]


def test_after_submitting_on_a_phone_the_message_is_in_view_below_the_header(server, browser):
    """Last in this module: Phil locks his ratings. The warning about what he left unrated is scrolled
    into view — below Streamlit's fixed header, not under it — and the level descriptors he read are
    dark enough to read (WCAG AA, 4.5:1)."""
    with _phone(browser, 390, 844) as page:
        login(page, server.url, "phil", PASSWORD)
        page.get_by_role("heading", name="Score capabilities").wait_for()
        descriptor = page.locator('[data-testid="stRadioCaption"] p').nth(2)  # of whichever capability it opens on
        descriptor.wait_for()
        ratio = contrast_on_white(descriptor)
        assert ratio >= 4.5, f"level descriptors have a contrast of {ratio:.2f}:1"
        _submit_and_find_in_view(page, page.get_by_text(re.compile(r"Submitted with \d+ capabilities not rated")), "warning", 844)


def _submit_and_find_in_view(page, message, what: str, screen_height: int) -> None:
    """Submit and lock; ``message`` is then on the screen, below Streamlit's fixed header, not under it."""
    page.get_by_role("button", name="Submit my ratings…").click()
    wait_for_app(page)
    page.get_by_role("button", name="Submit and lock").click()
    wait_for_app(page)
    message.wait_for()
    page.wait_for_timeout(800)  # the scroll is made again once the run has ended
    header = page.locator('[data-testid="stHeader"]').bounding_box()
    box = message.bounding_box()
    assert box["y"] >= header["y"] + header["height"] - 1, f"the {what} is under the header (y={box['y']})"
    assert box["y"] + box["height"] <= screen_height, f"the {what} is below the screen (y={box['y']})"


def test_submitting_everything_on_a_phone_brings_the_lock_notice_into_view(server, browser):
    """Nothing is left unrated, so no warning is flashed: the page still scrolls from the submit button,
    far below, to the notice that the ratings are locked (otherwise the phone shows empty space)."""
    with session_scope(server.db_url) as session:
        ana = accounts.get_by_username(session, "ana")
        for capability_id in server.model.capability_ids:
            service.save_rating(session, server.assessment_id, ana, capability_id, 3)
    with _phone(browser, 390, 844) as page:
        login(page, server.url, "ana", PASSWORD)
        page.get_by_role("heading", name="Score capabilities").wait_for()
        _submit_and_find_in_view(page, page.get_by_text("Your ratings are locked."), "notice", 844)


def _evidence_of(server, username: str, capability_id: str) -> str | None:
    with session_scope(server.db_url) as session:
        who = accounts.get_by_username(session, username)
        rating = service.ratings_of(session, server.assessment_id, who.id).get(capability_id)
    return rating.evidence if rating else None


def _open_capability(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name=name).wait_for()


def _focused_label(page) -> str | None:
    return page.evaluate("document.activeElement && document.activeElement.getAttribute('aria-label')")


def test_evidence_being_typed_is_saved_at_a_pause_when_switching_away_and_before_the_tab_closes(server, browser):
    """Between meetings an assessor types evidence on a phone: a pause in typing saves it with the
    keyboard still up, and more typed meanwhile is not lost; switching app without leaving the box
    saves it. Closing the tab mid-sentence asks "Leave site?" (staying saves what was typed), and
    once a pause has saved it, closes without asking."""
    paused, switched, closed = (server.model.capabilities[i] for i in (3, 4, 5))
    with _scoring_on_a_desktop(server, browser, "sam") as page:
        _open_capability(page, paused.name)
        page.get_by_role("textbox", name="Evidence").fill("Interviewed the service desk lead")
        assert _evidence_of(server, "sam", paused.id) is None  # typing: not yet paused
        _wait_for(lambda: _evidence_of(server, "sam", paused.id) == "Interviewed the service desk lead")
        assert _focused_label(page) == "Evidence"  # saved in place: the box (and a phone's keyboard) stays
        page.keyboard.type("; no backlog report")  # typed on while the save ran
        _wait_for(lambda: _evidence_of(server, "sam", paused.id) == "Interviewed the service desk lead; no backlog report")
        assert _focused_label(page) == "Evidence"

        _open_capability(page, switched.name)
        page.get_by_role("textbox", name="Evidence").fill("Sampled 12 change records; 3 had no approval")
        # the page goes out of view at once: what the browser does when the phone switches to another app
        page.evaluate("Object.defineProperty(document, 'visibilityState', {value: 'hidden', configurable: true});"
                      "document.dispatchEvent(new Event('visibilitychange'))")
        _wait_for(lambda: _evidence_of(server, "sam", switched.id) == "Sampled 12 change records; 3 had no approval")
        page.evaluate("Object.defineProperty(document, 'visibilityState', {value: 'visible', configurable: true})")
        wait_for_app(page)

        _open_capability(page, closed.name)
        page.get_by_role("textbox", name="Evidence").fill("Supplier register out of date")
        with page.expect_event("dialog") as asked:
            page.close(run_before_unload=True)  # at once, before a pause could save it
        assert asked.value.type == "beforeunload"
        asked.value.dismiss()  # stay: what was typed goes out
        _wait_for(lambda: _evidence_of(server, "sam", closed.id) == "Supplier register out of date")
        wait_for_app(page)
        page.get_by_role("textbox", name="Evidence").fill("Supplier register out of date since March")
        _wait_for(lambda: _evidence_of(server, "sam", closed.id) == "Supplier register out of date since March")
        asked_again: list = []
        page.on("dialog", lambda dialog: (asked_again.append(dialog.type), dialog.accept()))
        with page.expect_event("close"):
            page.close(run_before_unload=True)
        assert asked_again == []  # nothing unsaved: no question


@contextmanager
def _scoring_on_a_desktop(server, browser, username: str):
    """A page of a desktop browser of its own, logged in as ``username`` on Score capabilities."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        login(page, server.url, username, PASSWORD)
        page.get_by_role("heading", name="Score capabilities").wait_for()
        yield page
    finally:
        context.close()


def _wait_for(condition, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not saved in time"
        time.sleep(0.1)


def test_evidence_not_saved_over_newer_evidence_asks_before_the_tab_closes(server, browser):
    """Typed in a stale tab, evidence is refused (other evidence was saved since from the phone) and
    kept in the box: closing the tab then lost it without a word, the pause that sent it having
    cleared the 'still typing' mark the Leave site? question goes by."""
    cap = server.model.capabilities[6]
    with _scoring_on_a_desktop(server, browser, "sam") as page:
        _open_capability(page, cap.name)
        with session_scope(server.db_url) as session:  # the phone saves meanwhile
            service.update_rating(session, server.assessment_id, accounts.get_by_username(session, "sam"), cap.id,
                                  evidence="Roadmap seen on the phone")
        page.get_by_role("textbox", name="Evidence").fill("Typed on the laptop")
        page.get_by_text("Not saved: other evidence was saved for this capability").wait_for()  # at the pause
        assert _evidence_of(server, "sam", cap.id) == "Roadmap seen on the phone"
        with page.expect_event("dialog") as asked:
            page.close(run_before_unload=True)
        assert asked.value.type == "beforeunload"
        asked.value.dismiss()  # stay: the text is still there to merge
        assert page.get_by_role("textbox", name="Evidence").input_value() == "Typed on the laptop"
