"""Who is logged in, and the role check every page runs on every rerun.

Streamlit keeps ``st.session_state`` per browser session on the server; we keep only the account
id and timestamps there and re-read the account from the database on every run, so a disabled
account or a removed role takes effect at once.
"""

from __future__ import annotations

import datetime as dt
import os

import streamlit as st

from itcap import accounts
from itcap.accounts import Account
from itcap.storage import session_scope, utcnow

SESSION_ACCOUNT = "itcap_account_id"
SESSION_LOGIN_AT = "itcap_login_at"
SESSION_SEEN_AT = "itcap_seen_at"


def idle_timeout() -> dt.timedelta:
    return dt.timedelta(minutes=float(os.environ.get("ITCAP_SESSION_IDLE_MINUTES", "30")))


def absolute_timeout() -> dt.timedelta:
    return dt.timedelta(hours=float(os.environ.get("ITCAP_SESSION_MAX_HOURS", "12")))


def current_account() -> Account | None:
    """The logged-in account, or None (also after a timeout, a disabled account or a deleted one)."""
    account_id = st.session_state.get(SESSION_ACCOUNT)
    if account_id is None:
        return _account_from_sso()
    now = utcnow()
    seen = st.session_state.get(SESSION_SEEN_AT) or now
    login_at = st.session_state.get(SESSION_LOGIN_AT) or now
    if now - seen > idle_timeout() or now - login_at > absolute_timeout():
        log_out(reason="Your session timed out. Please log in again.", end_sso=True)
        return None
    with session_scope() as session:
        account = accounts.get_account(session, account_id)
    if account is None or not account.is_active:
        log_out(reason="Your account is no longer active.")
        return None
    st.session_state[SESSION_SEEN_AT] = now
    return account


def _account_from_sso() -> Account | None:
    """A person signed in with the identity provider becomes the matching itcap account."""
    from itcap.ui.sso import account_for_email, sso_email

    email = sso_email()
    if email is None:
        return None
    account = account_for_email(email)
    if account is None:
        st.session_state["itcap_sso_refused"] = email
        return None
    log_in(account)
    return account


def log_in(account: Account) -> None:
    now = utcnow()
    st.session_state[SESSION_ACCOUNT] = account.id
    st.session_state[SESSION_LOGIN_AT] = now
    st.session_state[SESSION_SEEN_AT] = now


def log_out(reason: str = "", end_sso: bool = False) -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    if reason:
        st.session_state["itcap_logout_reason"] = reason
    if end_sso:
        from itcap.ui.sso import end_login

        end_login()


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
        login_form()
        st.stop()
    if roles and not account.has_role(*roles):
        st.error("You do not have access to this page.")
        st.stop()
    return account
