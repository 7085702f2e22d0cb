"""AppTest: navigation per role, login, logout, timeouts, the account page."""

import datetime as dt

import pytest
from sqlalchemy import text

from itcap import accounts
from itcap.bootstrap import bootstrap
from itcap.storage import session_scope, utcnow
from itcap.ui.auth import SESSION_CREDENTIAL, SESSION_LOGIN_AT, SESSION_SEEN_AT
from tests.support import app_test

PASSWORD = "correct horse battery"


def _account(url, username, roles):
    with session_scope(url) as session:
        return accounts.create_account(session, username, PASSWORD, roles).id


def test_anonymous_visitor_sees_only_the_login_form(db_url):
    bootstrap(db_url)
    at = app_test().run()
    assert not at.exception
    labels = [w.label for w in at.text_input]
    assert labels == ["Username", "Password"]
    assert "Dashboard" not in [m.value for m in at.markdown]


def test_login_with_the_right_password_opens_the_role_home(db_url):
    bootstrap(db_url)
    _account(db_url, "lee", ["leadership"])
    at = app_test().run()
    at.text_input[0].input("lee")
    at.text_input[1].input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    account_id = at.session_state["itcap_account_id"]
    with session_scope(db_url) as session:  # a session a reload can carry on (its cookie: tests/test_browser_shell.py)
        assert session.execute(text("SELECT account_id FROM login_session")).scalars().all() == [account_id]
    # AppTest does not follow the st.rerun() that login ends with; a new run of the same session
    # state shows what the browser shows next (the browser test follows it for real).
    home = app_test(account_id).run()
    assert not home.exception
    assert [w.label for w in home.text_input] != ["Username", "Password"]


def test_wrong_password_shows_a_generic_error(db_url):
    bootstrap(db_url)
    _account(db_url, "lee", ["leadership"])
    at = app_test().run()
    at.text_input[0].input("lee")
    at.text_input[1].input("not the password")
    at.button[0].click().run()
    assert [e.value for e in at.error] == [accounts.LOGIN_REFUSED]
    assert "itcap_account_id" not in at.session_state


def test_idle_session_times_out(db_url):
    bootstrap(db_url)
    account_id = _account(db_url, "ana", ["assessor"])
    at = app_test(account_id)
    at.session_state[SESSION_SEEN_AT] = utcnow() - dt.timedelta(hours=2)
    at.run()
    assert "itcap_account_id" not in at.session_state
    assert any("timed out" in i.value for i in at.info)


def test_disabled_account_is_logged_out_on_the_next_run(db_url):
    bootstrap(db_url)
    account_id = _account(db_url, "ana", ["assessor"])
    at = app_test(account_id).run()
    assert "itcap_account_id" in at.session_state
    with session_scope(db_url) as session:
        account = accounts.get_account(session, account_id)
        account.is_active = False
        session.add(account)
    at.run()
    assert "itcap_account_id" not in at.session_state


def test_account_page_changes_the_password(db_url):
    bootstrap(db_url)
    account_id = _account(db_url, "ana", ["assessor"])
    at = app_test(account_id, page="pages/account.py").run()
    assert not at.exception
    at.text_input[0].input(PASSWORD)
    at.text_input[1].input("a brand new password")
    at.text_input[2].input("a brand new password")
    at.button[0].click().run()
    assert [s.value for s in at.success][0].startswith("Password changed. Other sessions of this account")
    with session_scope(db_url) as session:
        assert accounts.authenticate(session, "ana", "a brand new password").ok


def test_wrong_current_passwords_say_how_many_tries_are_left_and_then_that_the_account_is_locked(db_url):
    """They count towards the lockout, as logins do: the person is told so, and a right password
    typed during the lockout is never called wrong."""
    bootstrap(db_url)
    account_id = _account(db_url, "ana", ["assessor"])
    at = app_test(account_id, page="pages/account.py").run()

    def change(current: str) -> str:
        at.text_input[0].input(current)
        at.text_input[1].input("a brand new password")
        at.text_input[2].input("a brand new password")
        at.button[0].click().run()
        assert not at.exception
        return at.error[0].value

    assert change("wrong 1") == ("The current password is wrong. 4 more wrong tries and the account is locked for 15 minutes, "
                                 "as after wrong logins.")
    for attempt in range(2, 5):
        said = change(f"wrong {attempt}")
    assert said.startswith("The current password is wrong. 1 more wrong try and")
    assert change("wrong 5").startswith("After 5 wrong passwords in a row your account is locked for 15 minutes, until ")
    assert change(PASSWORD).startswith("After 5 wrong passwords in a row your account is locked")  # right, but locked
    with session_scope(db_url) as session:
        assert accounts.authenticate(session, "ana", "a brand new password").ok is False  # nothing changed


def _logged_in(username: str, password: str = PASSWORD):
    """A session that logged in through the form (as a browser does), then on its home page: AppTest
    does not follow the st.rerun() that login ends with, so a new AppTest carries its session on."""
    form = app_test().run()
    form.text_input[0].input(username)
    form.text_input[1].input(password)
    form.button[0].click().run()
    at = app_test(form.session_state["itcap_account_id"])
    at.session_state[SESSION_CREDENTIAL] = form.session_state[SESSION_CREDENTIAL]
    at.session_state[SESSION_LOGIN_AT] = form.session_state[SESSION_LOGIN_AT]
    return at.run()


def test_a_password_reset_ends_the_sessions_opened_with_the_old_password(db_url):
    """The reason for a reset may be a password someone else knows: their session must not carry on."""
    bootstrap(db_url)
    _account(db_url, "ana", ["assessor"])
    theirs = _logged_in("ana")
    with session_scope(db_url) as session:
        admin = accounts.get_by_username(session, "admin")
        accounts.reset_password(session, accounts.get_by_username(session, "ana"), actor=admin)
    theirs.run()
    assert "itcap_account_id" not in theirs.session_state
    assert any("password of this account was changed" in i.value for i in theirs.info)


def test_changing_one_s_own_password_keeps_this_session_and_ends_the_others(db_url):
    bootstrap(db_url)
    _account(db_url, "ana", ["assessor"])
    other_browser = _logged_in("ana")
    this_tab = _logged_in("ana")
    this_tab.switch_page("pages/account.py").run()
    this_tab.text_input[0].input(PASSWORD)
    this_tab.text_input[1].input("a brand new password")
    this_tab.text_input[2].input("a brand new password")
    this_tab.button[0].click().run()
    assert not this_tab.exception and this_tab.success
    this_tab.run()
    assert "itcap_account_id" in this_tab.session_state
    other_browser.run()
    assert "itcap_account_id" not in other_browser.session_state


def test_single_sign_on_button_only_when_configured(db_url):
    bootstrap(db_url)
    plain = app_test().run()
    assert not any(b.label == "Log in with single sign-on" for b in plain.button)
    configured = app_test()
    configured.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "itcap", "client_secret": "secret", "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    configured.run()
    assert not configured.exception
    assert any(b.label == "Log in with single sign-on" for b in configured.button)
    assert [w.label for w in configured.text_input] == ["Username", "Password"], "local accounts keep working"


@pytest.mark.parametrize(("identity", "said"), [
    ("unverified", "does not confirm that the e-mail address it gave is yours"),
    ("no e-mail", "sent no e-mail address (ask for the 'email' scope)"),
    ("nobody@example.org", "You are signed in as nobody@example.org, but there is no active itcap account"),
    ("ana@example.org", None),
])
def test_a_single_sign_on_identity_opens_only_its_own_active_account(db_url, monkeypatch, identity, said):
    from itcap.ui import sso

    bootstrap(db_url)
    _account(db_url, "ana@example.org", ["assessor"])
    monkeypatch.setattr(sso, "sso_email", lambda: identity)
    at = app_test().run()
    assert not at.exception
    if said is None:
        assert at.session_state["itcap_account_id"] and not at.error
        # the identity provider's cookie keeps the person signed in: itcap gives no cookie of its own
        with session_scope(db_url) as session:
            assert session.execute(text("SELECT count(*) FROM login_session")).scalar_one() == 0
    else:
        assert "itcap_account_id" not in at.session_state
        assert any(said in e.value for e in at.error), [e.value for e in at.error]


def test_sso_identity_maps_to_an_active_account_by_email_case_insensitively(db_url):
    from itcap.ui.sso import account_for_email

    bootstrap(db_url)
    _account(db_url, "Ana.Smith@example.org", ["assessor"])
    assert account_for_email("ana.smith@EXAMPLE.org").username == "Ana.Smith@example.org"
    assert account_for_email("someone.else@example.org") is None
    with session_scope(db_url) as session:
        account = accounts.get_by_username(session, "Ana.Smith@example.org")
        account.is_active = False
        session.add(account)
    assert account_for_email("ana.smith@example.org") is None


@pytest.mark.parametrize("look_alike", ["\ufb01ona.ross@example.org", "\uff26\uff29\uff2f\uff2e\uff21.ross@example.org",
                                        "fiona.ro\u017fs@example.org", "jeß@example.org", "JESS@example.org\u200b"])
def test_a_look_alike_address_from_the_identity_provider_never_opens_another_account(db_url, look_alike):
    """Unicode folding (NFKC + casefold) mapped "ﬁona…", full-width "ＦＩＯＮＡ…", "roſs" and "jeß" to
    fiona.ross's and jess's accounts: a provider account with such an address took them over."""
    from itcap.ui.sso import account_for_email

    bootstrap(db_url)
    _account(db_url, "fiona.ross@example.org", ["assessor"])
    _account(db_url, "jess@example.org", ["lead_assessor"])
    assert account_for_email("FIONA.Ross@example.org").username == "fiona.ross@example.org"
    assert account_for_email(look_alike) is None


def test_the_app_refuses_another_applications_database_and_says_so(tmp_path, monkeypatch):
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("create table invoices (id integer)")
    monkeypatch.setenv("ITCAP_DATABASE_URL", f"sqlite:///{other}")
    at = app_test().run()
    assert not at.exception
    assert "itcap cannot start" in at.error[0].value and "not an itcap database" in at.error[0].value
    assert not at.text_input  # no login form on a database that is not itcap's


def _stamp(url: str, revision: str) -> None:
    """The database as a newer release would leave it: a schema revision this release has never seen."""
    from sqlalchemy import text

    from itcap.storage import get_engine

    with get_engine(url).begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})


def test_a_database_a_newer_release_upgraded_is_named_not_a_crash(db_url):
    """A replica of the old release restarted during an upgrade (or the code rolled back alone):
    every page says what happened and what to do, instead of Alembic's 'Can't locate revision'."""
    bootstrap(db_url)
    _stamp(db_url, "9999_future")
    at = app_test().run()
    assert not at.exception
    [error] = [e.value for e in at.error]
    assert error.startswith("itcap cannot start: the database is at schema 9999_future, which this release of itcap")
    assert "restore the backup taken before the upgrade" in error
    assert not at.text_input


def test_a_database_that_cannot_be_reached_at_the_first_visit_is_said_plainly(monkeypatch):
    """The database down when a replica serves its first page: a plain message (and the next visit
    tries again), not Streamlit's crash page."""
    from tests.support import free_port

    monkeypatch.setenv("ITCAP_DATABASE_URL", f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/itcap")
    at = app_test().run(timeout=30)
    assert not at.exception
    assert [e.value for e in at.error] == ["itcap cannot reach its database just now. Please try again in a few minutes; "
                                           "nothing you have already saved or submitted is lost."]


def test_a_malformed_session_setting_falls_back_to_its_default(db_url, monkeypatch, capsys):
    """ITCAP_SESSION_IDLE_MINUTES=30m in an env file must not take every login down."""
    from itcap import env
    from itcap.ui import auth

    monkeypatch.setattr(env, "_warned", set())
    monkeypatch.setenv("ITCAP_SESSION_IDLE_MINUTES", "30m")
    monkeypatch.setenv("ITCAP_SESSION_MAX_HOURS", "0.05")
    # not a number: the default; stricter than allowed: as strict as allowed, never the looser default
    assert auth.idle_timeout() == dt.timedelta(minutes=30) and auth.absolute_timeout() == dt.timedelta(hours=0.1)
    auth.idle_timeout()
    err = capsys.readouterr().err
    assert err.count("ITCAP_SESSION_IDLE_MINUTES='30m' is not a number; using 30") == 1  # once
    assert "ITCAP_SESSION_MAX_HOURS='0.05' is below the least allowed; using 0.1" in err
    monkeypatch.setenv("ITCAP_SESSION_IDLE_MINUTES", "45")
    assert auth.idle_timeout() == dt.timedelta(minutes=45)
    bootstrap(db_url)
    account_id = _account(db_url, "ana", ["assessor"])
    monkeypatch.setenv("ITCAP_SESSION_IDLE_MINUTES", "thirty")
    at = app_test(account_id).run()
    assert not at.exception and at.session_state["itcap_account_id"] == account_id
