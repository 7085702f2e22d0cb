"""The log-in form: on the login page, and in place of any page opened by link or reloaded before
logging in (a bookmark, a phone that reloaded the tab), so that logging in lands on that page."""

from __future__ import annotations

import streamlit as st

from itcap import accounts
from itcap.storage import session_scope
from itcap.ui import auth
from itcap.ui.sso import NO_EMAIL, sso_configured, start_login
from itcap.ui.text import md_escape


def login_form() -> None:
    reason = st.session_state.pop("itcap_logout_reason", None)
    if reason:
        st.info(reason)
    refused = st.session_state.pop("itcap_sso_refused", None)
    if refused:
        st.error(f"You are signed in as {md_escape(refused)}, but there is no active itcap account for that address. "
                 "Ask an administrator to create one with your e-mail address as the username.")

    unusable = st.session_state.pop("itcap_sso_unverified", None)
    if unusable:
        said = ("sent no e-mail address (ask for the 'email' scope)" if unusable == NO_EMAIL else
                "does not confirm that the e-mail address it gave is yours (no email_verified claim)")
        st.error(f"You are signed in with single sign-on, but the identity provider {said}, so it cannot open an "
                 "itcap account. Ask an administrator: docs/authentication.md says what the provider must send.")

    if sso_configured():
        if st.button("Log in with single sign-on", type="primary", icon=":material/key:"):
            start_login()
        st.caption("Or log in with an itcap account:")

    with st.form("login", border=True):
        st.subheader("Log in", anchor=False)
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Log in", type="primary")

    if submitted:
        # each attempt's message in a container of its own: the same alert, left in place with the
        # same words, is not announced again by a screen reader (a second refusal, the lockout)
        attempt = st.session_state["itcap_login_attempt"] = st.session_state.get("itcap_login_attempt", 0) + 1
        message = st.container(key=f"login_message_{attempt}")
        if not username or not password:
            message.error("Enter your username and password.")
        else:
            with session_scope() as session:
                result = accounts.authenticate(session, username, password)
            if result.ok:
                auth.log_in(result.account)
                st.rerun()
            else:
                message.error(result.message)
