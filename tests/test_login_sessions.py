"""Logins that survive a reload (itcap.login_sessions), on SQLite and PostgreSQL: only the token's
hash is stored; the idle and absolute timeouts, a disabled or deleted account, a changed password
and logging out each end a session for good. The browser side is in tests/test_browser_shell.py."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import text

from itcap import accounts, login_sessions
from itcap.storage import session_scope, utcnow

IDLE, ABSOLUTE = dt.timedelta(minutes=30), dt.timedelta(hours=12)
PASSWORD = "correct horse battery"


def _account(url: str, username: str = "ana") -> int:
    with session_scope(url) as session:
        return accounts.create_account(session, username, PASSWORD, ["assessor"], "Ana").id


def _start(url: str, account_id: int, now: dt.datetime) -> str:
    with session_scope(url) as session:
        return login_sessions.start(session, session.get(accounts.Account, account_id), idle=IDLE, absolute=ABSOLUTE, now=now)


def _resume(url: str, token: str | None, now: dt.datetime):
    with session_scope(url) as session:
        found = login_sessions.resume(session, token, idle=IDLE, absolute=ABSOLUTE, now=now)
        return None if found is None else (found[0].id, found[1])


def _rows(url: str) -> list[str]:
    with session_scope(url) as session:
        return list(session.execute(text("SELECT token_hash FROM login_session")).scalars())


def test_only_the_token_s_hash_is_stored_and_it_resumes_the_account(any_db_url):
    ana = _account(any_db_url)
    now = utcnow()
    token = _start(any_db_url, ana, now)
    assert len(token) >= 43  # 256 bits, URL-safe base64
    assert _rows(any_db_url) == [hashlib.sha256(token.encode()).hexdigest()]
    account_id, opened = _resume(any_db_url, token, now + dt.timedelta(minutes=5))
    assert account_id == ana and abs(opened - now) < dt.timedelta(seconds=1)  # the absolute timeout runs from the login
    assert _resume(any_db_url, token[:-1] + ("A" if token[-1] != "A" else "B"), now) is None
    assert _resume(any_db_url, "", now) is None and _resume(any_db_url, None, now) is None
    assert _resume(any_db_url, "x" * 10_000, now) is None and _resume(any_db_url, 12345, now) is None


def test_the_idle_timeout_counts_from_the_last_use(any_db_url):
    ana = _account(any_db_url)
    now = utcnow()
    token = _start(any_db_url, ana, now)
    # used 25 minutes in (a rerun in the tab touches it), so 50 minutes in it is 25 minutes idle
    with session_scope(any_db_url) as session:
        login_sessions.touch(session, token, now + dt.timedelta(minutes=25))
    assert _resume(any_db_url, token, now + dt.timedelta(minutes=50)) is not None
    assert _resume(any_db_url, token, now + dt.timedelta(minutes=50) + IDLE + dt.timedelta(seconds=1)) is None
    assert _rows(any_db_url) == []  # ended for good: deleted, not just refused


def test_the_absolute_timeout_ends_a_session_however_busy(any_db_url):
    ana = _account(any_db_url)
    now = utcnow()
    token = _start(any_db_url, ana, now)
    moment = now
    while moment < now + ABSOLUTE - dt.timedelta(minutes=20):
        moment += dt.timedelta(minutes=20)
        assert _resume(any_db_url, token, moment) is not None
    assert _resume(any_db_url, token, now + ABSOLUTE + dt.timedelta(minutes=1)) is None
    # and a new login clears the sessions past either timeout, resumed or not (none is kept longer than it works)
    stale = _start(any_db_url, ana, now)
    _start(any_db_url, ana, now + ABSOLUTE - IDLE)  # used once, then left idle
    with session_scope(any_db_url) as session:
        login_sessions.touch(session, stale, now + ABSOLUTE - dt.timedelta(minutes=1))  # busy to the end
    fresh = _start(any_db_url, ana, now + ABSOLUTE + dt.timedelta(minutes=5))
    assert _rows(any_db_url) == [hashlib.sha256(fresh.encode()).hexdigest()]  # not stale's, not idle's


def test_a_disabled_account_or_a_changed_password_ends_it(any_db_url):
    ana, bob = _account(any_db_url), _account(any_db_url, "bob")
    now = utcnow()
    for_ana, for_bob = _start(any_db_url, ana, now), _start(any_db_url, bob, now)
    with session_scope(any_db_url) as session:
        session.get(accounts.Account, ana).is_active = False
        accounts.set_password(session, session.get(accounts.Account, bob), "another long passphrase")
    assert _resume(any_db_url, for_ana, now) is None and _resume(any_db_url, for_bob, now) is None
    assert _rows(any_db_url) == []


def test_the_session_that_changed_the_password_carries_on(any_db_url):
    ana = _account(any_db_url)
    now = utcnow()
    mine, other = _start(any_db_url, ana, now), _start(any_db_url, ana, now)
    with session_scope(any_db_url) as session:
        account = session.get(accounts.Account, ana)
        accounts.set_password(session, account, "another long passphrase")
        login_sessions.renew(session, mine, account)
    assert _resume(any_db_url, mine, now) is not None
    assert _resume(any_db_url, other, now) is None  # "changing your password ends every other session"


def test_log_out_and_a_deleted_account_end_it(any_db_url):
    ana = _account(any_db_url)
    now = utcnow()
    token = _start(any_db_url, ana, now)
    with session_scope(any_db_url) as session:
        assert login_sessions.is_open(session, token)
        login_sessions.end(session, token)
        assert not login_sessions.is_open(session, token)
    assert _resume(any_db_url, token, now) is None
    again = _start(any_db_url, ana, now)
    with session_scope(any_db_url) as session:
        session.execute(text("DELETE FROM account WHERE id = :id"), {"id": ana})
    assert _resume(any_db_url, again, now) is None and _rows(any_db_url) == []  # the rows go with the account


def test_a_tab_logged_out_elsewhere_is_told_so(db_url):
    """Two tabs of a browser share a session (one carried it on after a reload): logging out in one
    ends the other on its next click."""
    from itcap.ui import auth
    from tests import builders
    from tests.support import app_test

    ids = builders.people(db_url)
    with session_scope(db_url) as session:
        token = login_sessions.start(session, session.get(accounts.Account, ids["lee"]), idle=IDLE, absolute=ABSOLUTE)
    at = app_test(ids["lee"], page="pages/account.py")
    at.session_state[auth.SESSION_TOKEN] = token
    at.run()
    assert not at.exception and "Roles: Leadership" in [m.value for m in at.markdown]
    with session_scope(db_url) as session:
        login_sessions.end(session, token)  # "Log out" in the other tab
    at.run()
    assert any(i.value.startswith("You were logged out") for i in at.info)
    assert "Roles: Leadership" not in [m.value for m in at.markdown]


def test_with_the_cookie_turned_off_nothing_is_given_or_resumed(db_url, monkeypatch):
    from itcap.ui import auth
    from tests import builders

    ids = builders.people(db_url)
    with session_scope(db_url) as session:
        token = login_sessions.start(session, session.get(accounts.Account, ids["lee"]), idle=IDLE, absolute=ABSOLUTE)
    monkeypatch.setattr(auth, "_browser_token", lambda: token)
    monkeypatch.setattr(auth.st, "session_state", {})
    assert auth._account_from_cookie().id == ids["lee"]  # on: the cookie's token resumes the account
    monkeypatch.setattr(auth.st, "session_state", {})
    monkeypatch.setenv("ITCAP_SESSION_COOKIE", "0")
    assert auth._account_from_cookie() is None


# -- tabs of one browser share its session ----------------------------------------------------------------
class _Tab:
    """One browser tab's server-side state, for auth's functions (Streamlit keeps one per tab)."""

    def __init__(self, monkeypatch, token_in_cookie):
        self.state, self.monkeypatch, self.cookie = {}, monkeypatch, token_in_cookie

    def __enter__(self):
        from itcap.ui import auth

        self.monkeypatch.setattr(auth.st, "session_state", self.state)
        self.monkeypatch.setattr(auth, "_browser_token", lambda: self.cookie())
        return auth

    def __exit__(self, *_):
        return False


def _two_tabs(db_url, monkeypatch):
    """Tab A logs in with the password; tab B is the same browser after a reload (the cookie's token)."""
    from tests import builders

    ids = builders.people(db_url)
    cookie = {}
    a, b = _Tab(monkeypatch, lambda: cookie.get("token")), _Tab(monkeypatch, lambda: cookie.get("token"))
    with a as auth, session_scope(db_url) as session:
        auth.log_in(session.get(accounts.Account, ids["lee"]))
    cookie["token"] = a.state[auth.SESSION_TOKEN]
    with b as auth:
        assert auth.current_account().id == ids["lee"]  # carried on from the cookie
    return ids, a, b


def test_a_password_changed_in_one_tab_carries_on_in_the_others(db_url, monkeypatch):
    ids, a, b = _two_tabs(db_url, monkeypatch)
    with a as auth, session_scope(db_url) as session:
        account = session.get(accounts.Account, ids["lee"])
        accounts.set_password(session, account, "another long passphrase")
        auth.keep_session_after_password_change(account)
    with b as auth:
        assert auth.current_account() is not None  # not "the password was changed": it was changed here
    with a as auth:
        assert auth.current_account() is not None
    with session_scope(db_url) as session:  # a reset by an administrator still ends it, in every tab
        accounts.set_password(session, session.get(accounts.Account, ids["lee"]), "a reset passphrase here")
    for tab in (a, b):
        with tab as auth:
            assert auth.current_account() is None
            assert tab.state["itcap_logout_reason"].startswith(("The password of this account was changed", "You were logged out"))


def test_one_idle_tab_does_not_end_the_session_another_tab_uses(db_url, monkeypatch):
    ids, a, b = _two_tabs(db_url, monkeypatch)
    with a as auth:
        a.state[auth.SESSION_SEEN_AT] = utcnow() - IDLE - dt.timedelta(minutes=5)  # tab A left alone
        a.state[auth.SESSION_TOUCHED_AT] = utcnow() - IDLE
    with b as auth:
        assert auth.current_account() is not None  # tab B in use: it touches the shared session
    with a as auth:
        assert auth.current_account() is not None  # the browser's session is in use: A carries on
    with b as auth:
        assert auth.current_account() is not None
    # the whole browser left alone: the timeout ends it for good
    with session_scope(db_url) as session:
        session.execute(text("UPDATE login_session SET seen_at = :t"), {"t": utcnow() - IDLE - dt.timedelta(minutes=1)})
    with a as auth:
        a.state[auth.SESSION_SEEN_AT] = utcnow() - IDLE - dt.timedelta(minutes=1)
        assert auth.current_account() is None and a.state["itcap_logout_reason"].startswith("Your session timed out")
    assert _rows(db_url) == []
