"""My account: who I am, change my password."""

import streamlit as st

from itcap import accounts, audit
from itcap.accounts import ROLE_LABELS
from itcap.storage import session_scope
from itcap.ui import auth
from itcap.ui.text import md_code, md_escape

account = auth.require_role()
st.title("My account", anchor=False)
st.write(f"**{md_escape(account.display_name)}** — username {md_code(account.username)}")
st.write("Roles: " + (", ".join(ROLE_LABELS[r] for r in sorted(account.role_set)) or "none yet — ask an administrator"))

with st.form("change_password"):
    st.subheader("Change password", anchor=False)
    current = st.text_input("Current password", type="password", autocomplete="current-password")
    new = st.text_input(f"New password (at least {accounts.MIN_PASSWORD_LENGTH} characters)", type="password", autocomplete="new-password")
    repeat = st.text_input("New password again", type="password", autocomplete="new-password")
    if st.form_submit_button("Change password"):
        if new != repeat:
            st.error("The new passwords do not match.")
        else:
            try:
                with session_scope() as session:
                    check = accounts.authenticate(session, account.username, current)
                    if not check.ok:
                        raise accounts.AccountError(accounts.wrong_current_password(session, account.id))
                    accounts.set_password(session, check.account, new)
                    audit.record(session, account.username, "account.password", f"account:{account.username}")
                    auth.keep_session_after_password_change(check.account)
                st.success("Password changed. Other sessions of this account (another browser, a tab logged in "
                           "separately) end on their next click.")
            except accounts.AccountError as exc:
                st.error(str(exc))
