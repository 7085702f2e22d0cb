"""AppTest: the five administration pages are served to administrators only, and draw their empty
states on a fresh database without crashing."""

from __future__ import annotations

import shutil

import pytest
from streamlit.testing.v1 import AppTest

from itcap.storage import dispose_engines, utcnow
from itcap.ui.auth import SESSION_ACCOUNT, SESSION_LOGIN_AT, SESSION_SEEN_AT
from tests.builders import PASSWORD, people
from tests.support import ROOT, app_test, database_copy

PAGES = {
    "pages/admin_accounts.py": "Accounts",
    "pages/admin_models.py": "Models & instruments",
    "pages/admin_assessments.py": "Assessments",
    "pages/admin_campaigns.py": "Campaigns",
    "pages/admin_audit.py": "Audit log",
}


@pytest.fixture(scope="module")
def fresh(sqlite_template, tmp_path_factory):
    """Bootstrapped (shipped model and instrument, admin) plus a lead, two assessors and a leader."""
    path = tmp_path_factory.mktemp("admin-access") / "itcap.db"
    shutil.copyfile(sqlite_template, path)
    ids = people(f"sqlite:///{path}")
    dispose_engines()
    return path, ids


@pytest.fixture
def setup(fresh, tmp_path, monkeypatch):
    path, ids = fresh
    with database_copy(path, tmp_path, monkeypatch):
        yield ids


def _direct(account_id: int, page: str) -> AppTest:
    """The page file run on its own, whatever the navigation says: the page's own check must hold."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    now = utcnow()
    at.session_state[SESSION_ACCOUNT] = account_id
    at.session_state[SESSION_LOGIN_AT] = now
    at.session_state[SESSION_SEEN_AT] = now
    return at.run()


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("username", ["ana", "lee", "lead"])
def test_non_admins_get_no_admin_content(setup, page, username):
    # Not in their navigation: asking for the page serves their own home page instead …
    at = app_test(setup[username], page=page).run()
    assert not at.exception
    assert PAGES[page] not in [t.value for t in at.title]
    # … and the page itself refuses them, before drawing anything.
    direct = _direct(setup[username], page)
    assert not direct.exception
    assert [e.value for e in direct.error] == ["You do not have access to this page."]
    assert not direct.title and not direct.dataframe and not direct.button and not direct.text_input
    assert not direct.download_button and not direct.file_uploader and not direct.selectbox


EVERY_PAGE_WITH_A_ROLE = [*PAGES, "pages/dashboard.py", "pages/rate.py", "pages/consensus.py", "pages/account.py"]


@pytest.mark.parametrize("page", EVERY_PAGE_WITH_A_ROLE)
def test_a_visitor_who_is_not_logged_in_is_asked_to_log_in(setup, page):
    at = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
    assert not at.exception
    assert "Please log in to see this page." in [c.value for c in at.caption]
    assert [t.value for t in at.title] == ["itcap"] and not at.dataframe and not at.download_button
    assert [t.label for t in at.text_input] == ["Username", "Password"]  # the form is here, not a dead end
    # logging in there still serves the page only to a role that may see it
    at.text_input[0].input("ana")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    at.run()  # the form's st.rerun
    if page in ("pages/rate.py", "pages/account.py"):  # an assessor's own pages
        assert not at.error and "Username" not in [t.label for t in at.text_input]
    else:
        assert [e.value for e in at.error] == ["You do not have access to this page."]
        assert not at.dataframe


def test_logging_in_on_a_page_opened_by_link_lands_on_that_page(setup):
    """A bookmark, or a phone that reloaded the tab: the log-in form is on the page, and after it the page."""
    at = AppTest.from_file(str(ROOT / "pages/consensus.py"), default_timeout=60).run()
    at.text_input[0].input("lead")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Consensus"] and not at.text_input


@pytest.mark.parametrize("page", PAGES)
def test_admin_sees_every_page_on_a_fresh_database(setup, page):
    at = app_test(setup["admin"], page=page).run()
    assert not at.exception
    assert [t.value for t in at.title] == [PAGES[page]]
    assert not at.error


def test_empty_states_say_what_to_do_next(setup):
    assessments = app_test(setup["admin"], page="pages/admin_assessments.py").run()
    assert any("No assessments yet" in i.value and "Create the first one" in i.value for i in assessments.info)
    campaigns = app_test(setup["admin"], page="pages/admin_campaigns.py").run()
    assert any("No campaigns yet" in i.value for i in campaigns.info)
    models = app_test(setup["admin"], page="pages/admin_models.py").run()
    captions = " ".join(c.value for c in models.caption)
    assert "Only the shipped ITIL-aligned model is stored" in captions and "cobit_style_model.yaml" in captions
    assert "Only the shipped IT perception survey is stored" in captions
