"""Real browser: logging in, per-role navigation and pages refused by URL."""

import pytest

from itcap import accounts
from itcap.bootstrap import bootstrap
from itcap.storage import dispose_engines, session_scope
from tests.support import StreamlitServer, contrast_on_white, login, wait_for_app

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('browser-shell') / 'itcap.db'}"
    bootstrap(url)
    with session_scope(url) as session:
        accounts.create_account(session, "ana", PASSWORD, ["assessor"], "Ana Assessor")
        accounts.create_account(session, "lee", PASSWORD, ["leadership"], "Lee Leader")
    dispose_engines()
    with StreamlitServer(url) as running:
        yield running


def test_wrong_password_is_refused_and_right_one_logs_in(server, page):
    login(page, server.url, "lee", "not the password")
    assert page.get_by_text("Unknown username or wrong password.").is_visible()
    assert page.title() == "Log in · itcap"  # the tab names the page (WCAG 2.4.2)
    # a text box's outline is what shows where to type: 3:1 at least (WCAG 1.4.11)
    box = page.get_by_label("Password", exact=True).locator("xpath=..")
    assert contrast_on_white(box, "borderTopColor") >= 3
    first_alert = page.get_by_role("alert").element_handle()
    page.get_by_label("Password", exact=True).fill("still not the password")
    page.get_by_role("button", name="Log in").click()
    wait_for_app(page)
    # the second refusal is a new alert, which a screen reader announces; the same element left in
    # place with the same words would be silent
    page.wait_for_function("el => !el.isConnected", arg=first_alert)
    assert page.get_by_role("alert").filter(has_text="Unknown username or wrong password.").count() == 1
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    wait_for_app(page)
    page.get_by_text("Signed in as").wait_for()
    assert page.get_by_text("Lee Leader").first.is_visible()
    assert page.title() == "Dashboard · itcap"


def test_assessor_cannot_reach_admin_pages_by_url(server, page):
    login(page, server.url, "ana", PASSWORD)
    page.get_by_text("Signed in as").wait_for()
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Accounts" not in nav and "Dashboard" not in nav
    # the session cookie arrives by a script run once the page is drawn: a person takes longer than
    # that to type an address, a test does not
    page.wait_for_function("document.cookie.includes('itcap_session=')")
    for path in ("/admin-accounts", "/dashboard", "/admin-audit"):
        # Typing the URL starts a new Streamlit session, which this browser's session cookie carries on
        # as Ana: the requested page is not one of hers, so Streamlit serves her home page instead.
        page.goto(server.url + path)
        wait_for_app(page)
        page.get_by_text("Signed in as").wait_for()
        assert page.get_by_text("You do not have access").count() == 0
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Accounts" not in nav and "Audit log" not in nav and "Dashboard" not in nav
        assert page.locator("h1", has_text="Accounts").count() == 0 and page.locator("h1", has_text="Dashboard").count() == 0
        assert page.locator("h1", has_text="Audit log").count() == 0
    # a browser without the cookie (another person's) gets only the log-in form there, nothing listed
    fresh = page.context.browser.new_context()
    try:
        other = fresh.new_page()
        for path in ("/admin-accounts", "/dashboard"):
            other.goto(server.url + path)
            wait_for_app(other)
            other.get_by_label("Username", exact=True).wait_for()
            assert other.locator('[data-testid="stSidebarNav"]').count() == 0
            assert other.locator("h1", has_text="Accounts").count() == 0 and other.locator("h1", has_text="Dashboard").count() == 0
    finally:
        fresh.close()


def test_a_reload_keeps_the_login_until_log_out(server, page):
    """A phone that reloads a sleeping tab (a new Streamlit session) is still logged in: the browser
    holds a session cookie whose token's hash is in login_session. Log out ends it — in the database
    too, so the same token sent again opens nothing."""
    from sqlalchemy import text

    from itcap import login_sessions

    login(page, server.url, "lee", PASSWORD)
    page.get_by_text("Signed in as").wait_for()
    page.wait_for_function("document.cookie.includes('itcap_session=')")
    [cookie] = [c for c in page.context.cookies() if c["name"] == login_sessions.COOKIE]
    assert cookie["sameSite"] == "Strict" and cookie["expires"] == -1  # gone when the browser closes
    token = cookie["value"]
    # nor is it left in the page, where "Save page as" would carry it off
    assert not page.evaluate("t => document.documentElement.outerHTML.includes(t)", token)
    with session_scope(server.env["ITCAP_DATABASE_URL"]) as session:
        stored = session.execute(text("SELECT token_hash FROM login_session")).scalars().all()
    assert login_sessions._digest(token) in stored and token not in stored  # only its hash is kept
    page.reload()
    wait_for_app(page)
    page.get_by_text("Signed in as").wait_for()
    assert page.get_by_label("Username", exact=True).count() == 0
    page.get_by_role("button", name="Log out").click()
    wait_for_app(page)
    page.get_by_label("Username", exact=True).wait_for()
    with session_scope(server.env["ITCAP_DATABASE_URL"]) as session:
        assert login_sessions._digest(token) not in session.execute(text("SELECT token_hash FROM login_session")).scalars().all()
    # the old token, sent again (copied before the log-out), opens nothing
    page.context.add_cookies([{**cookie, "value": token}])
    page.reload()
    wait_for_app(page)
    page.get_by_label("Username", exact=True).wait_for()
    assert page.get_by_text("Signed in as").count() == 0
    page.wait_for_function("!document.cookie.includes('itcap_session=')")  # the dead cookie is taken back
