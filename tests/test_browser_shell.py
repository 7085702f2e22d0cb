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
    for path in ("/admin-accounts", "/dashboard", "/admin-audit"):
        # Typing the URL starts a new session: the page draws only the log-in form. Once logged in
        # as an assessor, the requested page is not one of theirs: Streamlit serves their home page.
        page.goto(server.url + path)
        wait_for_app(page)
        page.get_by_label("Username", exact=True).wait_for()
        assert page.locator("h1", has_text="Accounts").count() == 0 and page.locator("h1", has_text="Dashboard").count() == 0
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # nothing listed
        login(page, server.url, "ana", PASSWORD, path=path)
        page.get_by_text("Signed in as").wait_for()
        assert page.get_by_text("You do not have access").count() == 0
        nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
        assert "Accounts" not in nav and "Audit log" not in nav and "Dashboard" not in nav
        assert page.locator("h1", has_text="Accounts").count() == 0
