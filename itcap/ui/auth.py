"""Who is logged in, and the role check every page runs on every rerun.

Streamlit keeps ``st.session_state`` per browser session on the server; we keep only the account
id and timestamps there and re-read the account from the database on every run, so a disabled
account or a removed role takes effect at once. A login with a password also gives the browser a
session cookie (itcap.login_sessions), so that a reload — a new connection — carries on logged in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import streamlit as st

from itcap import accounts, login_sessions
from itcap.accounts import Account
from itcap.env import number_from_env
from itcap.storage import as_utc, session_scope, utcnow

SESSION_ACCOUNT = "itcap_account_id"
SESSION_LOGIN_AT = "itcap_login_at"
SESSION_SEEN_AT = "itcap_seen_at"
SESSION_KEPT_TEXT = "itcap_kept_text"
SESSION_CREDENTIAL = "itcap_credential"  # which password the session logged in with (a digest of its hash)
SESSION_TOKEN = "itcap_session_token"  # this tab's login_session token (the browser's cookie holds it too)
COOKIE_PENDING = "itcap_cookie_pending"  # a token to hand the browser on the next drawn run
SESSION_TOUCHED_AT = "itcap_session_touched_at"

# Text boxes whose words are saved only when the box is left (evidence) or a form is sent (a
# rationale). Typed through a long meeting, they are what a timeout would throw away: kept in this
# tab's server-side state and offered back to the same account after it logs in again.
KEPT_TEXT_PREFIXES = ("rate_evidence_", "cons_override_", "cons_withdraw_")


def idle_timeout() -> dt.timedelta:
    return dt.timedelta(minutes=number_from_env("ITCAP_SESSION_IDLE_MINUTES", 30, minimum=1))


def absolute_timeout() -> dt.timedelta:
    return dt.timedelta(hours=number_from_env("ITCAP_SESSION_MAX_HOURS", 12, minimum=0.1))


def session_cookie_enabled() -> bool:
    """ITCAP_SESSION_COOKIE=0: no cookie — a reload asks to log in again (nothing in the browser to replay)."""
    return number_from_env("ITCAP_SESSION_COOKIE", 1) != 0


def current_account() -> Account | None:
    """The logged-in account, or None (also after a timeout, a disabled account or a deleted one).

    Tabs of one browser that carried a login on after a reload share its session (one token): one
    tab's idle timeout does not end it while another tab uses it, and a password changed in one of
    them carries on in all of them — the session row, kept current by every tab, says so."""
    account_id = st.session_state.get(SESSION_ACCOUNT)
    if account_id is None:
        return _account_from_sso() or _account_from_cookie()
    now = utcnow()
    token = st.session_state.get(SESSION_TOKEN)
    with session_scope() as session:
        account = accounts.get_account(session, account_id)
        shared = login_sessions.find(session, token) if token is not None else None
        shared_seen = None if shared is None else as_utc(shared.seen_at)
        shared_credential = None if shared is None else shared.credential
    seen = st.session_state.get(SESSION_SEEN_AT) or now
    login_at = st.session_state.get(SESSION_LOGIN_AT) or now
    if now - login_at <= absolute_timeout() and now - seen > idle_timeout() and shared_seen is not None \
            and now - shared_seen <= idle_timeout():
        seen = now  # idle here, but the browser's session is in use in another of its tabs
    if now - seen > idle_timeout() or now - login_at > absolute_timeout():
        kept = _typed_text()
        log_out(reason="Your session timed out. Please log in again." if not kept else
                "Your session timed out. Please log in again in this tab: what you had typed but not saved yet is "
                "then put back for you to save.", end_sso=True)
        if kept:
            st.session_state[SESSION_KEPT_TEXT] = (account_id, kept)
        return None
    if token is not None and shared is None:
        log_out(reason="You were logged out (in another tab of this browser, or the session timed out).")
        return None
    if account is None or not account.is_active:
        log_out(reason="Your account is no longer active.")
        return None
    logged_in_with = st.session_state.get(SESSION_CREDENTIAL)
    if logged_in_with is not None and logged_in_with != credential(account):
        if shared_credential == credential(account):
            # changed in another tab of this browser's session, which carries on with the new password
            st.session_state[SESSION_CREDENTIAL] = shared_credential
        else:
            # the password was changed or reset since: a session opened with the old one (perhaps someone
            # else's, the reason for a reset) ends, as the Accounts page tells the administrator it does
            log_out(reason="The password of this account was changed. Please log in again.")
            return None
    if token is not None and now - st.session_state.get(SESSION_TOUCHED_AT, now) > login_sessions.SEEN_EVERY:
        with session_scope() as session:
            login_sessions.touch(session, token, now)
        st.session_state[SESSION_TOUCHED_AT] = now
    st.session_state[SESSION_SEEN_AT] = now
    return account


credential = login_sessions.account_credential


def keep_session_after_password_change(account: Account) -> None:
    """The person changed their own password in this tab: this session carries on (their others end)."""
    st.session_state[SESSION_CREDENTIAL] = credential(account)
    if token := st.session_state.get(SESSION_TOKEN):
        with session_scope() as session:
            login_sessions.renew(session, token, account)


def _browser_token() -> str | None:
    try:
        token = st.context.cookies.get(login_sessions.COOKIE)
    except Exception:  # noqa: BLE001 - no browser behind this run (a test harness)
        return None
    return token if isinstance(token, str) else None  # (a test harness hands back a stand-in object)


def _account_from_cookie() -> Account | None:
    """A reloaded tab (a new connection) that brings back this browser's session cookie carries on as
    its account, with the session's own login time (the absolute timeout runs on)."""
    token = _browser_token()
    if not token or not session_cookie_enabled():
        return None
    with session_scope() as session:
        resumed = login_sessions.resume(session, token, idle=idle_timeout(), absolute=absolute_timeout())
    if resumed is None:
        return None
    account, opened = resumed
    log_in(account, remember=False)
    st.session_state[SESSION_TOKEN] = token
    st.session_state[SESSION_LOGIN_AT] = opened
    return account


def hand_over_cookie() -> None:
    """Give the browser this session's token (after a login with a password), or take back a cookie
    that no longer opens anything (on the login form). Session cookie: gone when the browser closes;
    SameSite=Strict; Secure over HTTPS."""
    from itcap.ui.widgets import run_script

    name = login_sessions.COOKIE
    secure = "(location.protocol === 'https:' ? '; Secure' : '')"
    if token := st.session_state.pop(COOKIE_PENDING, None):
        # once, and the script then blanks its own text: the token is not left in the page, where
        # "Save page as" (a director keeping the dashboard) would carry it off
        run_script(f"document.cookie = '{name}={token}; path=/; SameSite=Strict' + {secure}; "
                   f"document.querySelectorAll('script').forEach(s => {{ if (s.textContent.includes('{name}=')) "
                   "s.textContent = ''; });")
    elif st.session_state.get(SESSION_ACCOUNT) is None and (stale := _browser_token()) and re.fullmatch(r"[\w-]+", stale):
        # only if the browser still holds that stale token: another tab may have logged in since and
        # put a good one there, which this tab's connection (opened with the old cookie) cannot see
        run_script(f"if (document.cookie.split('; ').includes('{name}={stale}')) "
                   f"document.cookie = '{name}=; path=/; max-age=0; SameSite=Strict' + {secure};")


def _account_from_sso() -> Account | None:
    """A person signed in with the identity provider becomes the matching itcap account."""
    from itcap.ui.sso import NO_EMAIL, UNVERIFIED, account_for_email, sso_email

    email = sso_email()
    if email is None:
        return None
    if email in (UNVERIFIED, NO_EMAIL):
        st.session_state["itcap_sso_unverified"] = email
        return None
    account = account_for_email(email)
    if account is None:
        st.session_state["itcap_sso_refused"] = email
        return None
    log_in(account, remember=False)
    return account


def _typed_text() -> dict[str, str]:
    return {key: value for key, value in st.session_state.items()
            if isinstance(key, str) and key.startswith(KEPT_TEXT_PREFIXES) and isinstance(value, str) and value.strip()}


def kept_text_keys() -> set[str]:
    """The boxes with words kept from a timed-out session, still to be put back."""
    kept = st.session_state.get(SESSION_KEPT_TEXT)
    return set(kept[1]) if kept else set()


def restore_typed_text(key: str, saved: str) -> bool:
    """Put back into text box ``key`` what was typed in it but not saved when the session timed out
    (call before the box is drawn). True when something was put back; it is then the user's to save."""
    kept = st.session_state.get(SESSION_KEPT_TEXT)
    if not kept or key not in kept[1]:
        return False
    text = kept[1].pop(key)
    if text == (saved or ""):
        return False
    st.session_state[key] = text
    return True


def log_in(account: Account, remember: bool = True) -> None:
    """``remember``: give this browser a session that a reload carries on (a login with a password;
    single sign-on has the identity provider's cookie for that)."""
    kept = st.session_state.get(SESSION_KEPT_TEXT)
    if kept and kept[0] != account.id:  # someone else's words are not theirs to see
        del st.session_state[SESSION_KEPT_TEXT]
    now = utcnow()
    st.session_state[SESSION_ACCOUNT] = account.id
    st.session_state[SESSION_CREDENTIAL] = credential(account)
    st.session_state[SESSION_LOGIN_AT] = now
    st.session_state[SESSION_SEEN_AT] = now
    st.session_state[SESSION_TOUCHED_AT] = now
    if remember and session_cookie_enabled():
        with session_scope() as session:
            token = login_sessions.start(session, account, idle=idle_timeout(), absolute=absolute_timeout(), now=now)
        st.session_state[SESSION_TOKEN] = st.session_state[COOKIE_PENDING] = token


def log_out(reason: str = "", end_sso: bool = False) -> None:
    if token := st.session_state.get(SESSION_TOKEN):
        with session_scope() as session:
            login_sessions.end(session, token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if reason:
        st.session_state["itcap_logout_reason"] = reason
    if end_sso:
        from itcap.ui.sso import end_login

        end_login()


class DownloadRefused(PermissionError):
    """A download clicked after the session ended, or by an account no longer allowed it."""


def checked_download(build: Callable[[], bytes], *roles: str) -> Callable[[], bytes]:
    """Wrap a download that is built on click (``st.download_button(data=callable)``).

    Streamlit runs such a callable outside any page run — no role check, no timeout — whenever the
    button is clicked, however long after the page was drawn. So the callable checks again what the
    page checked: the session has not timed out since the page was drawn (any action redraws it),
    and the account is still active and holds one of ``roles``. Refused, Streamlit shows "Failed to
    generate file" and nothing is built."""
    account_id = st.session_state.get(SESSION_ACCOUNT)
    login_at = st.session_state.get(SESSION_LOGIN_AT) or utcnow()
    logged_in_with = st.session_state.get(SESSION_CREDENTIAL)
    drawn_at = utcnow()

    def guarded() -> bytes:
        now = utcnow()
        if account_id is None or now - drawn_at > idle_timeout() or now - login_at > absolute_timeout():
            raise DownloadRefused("the session has ended: log in again to download")
        with session_scope() as session:
            account = accounts.get_account(session, account_id)
        if account is None or not account.is_active or (roles and not account.has_role(*roles)):
            raise DownloadRefused("this account may no longer download this file")
        if logged_in_with is not None and logged_in_with != credential(account):
            raise DownloadRefused("the password was changed since this page was drawn: log in again to download")
        return build()

    return guarded


def require_role(*roles: str) -> Account:
    """Stop the page unless the logged-in account holds one of ``roles``.

    Navigation already hides pages a role lacks; this second check runs inside every page so that a
    page is never served to the wrong role, whatever the URL or session state says.
    """
    account = current_account()
    if account is None:
        # Opened by link or reloaded before logging in: the form here, and logging in reruns onto
        # this page (if the account may see it), instead of a dead end.
        from itcap.ui.login_form import login_form

        st.title("itcap", anchor=False)
        st.caption("Please log in to see this page.")
        st.caption("A login lasts for one browser tab, so a reload or a new tab asks again; everything you saved is kept.")
        login_form()
        st.stop()
    if roles and not account.has_role(*roles):
        st.error("You do not have access to this page.")
        st.stop()
    return account
