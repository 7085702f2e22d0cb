"""Optional single sign-on with Streamlit's OIDC login (``st.login``).

Configured entirely in ``.streamlit/secrets.toml`` ([auth] with redirect_uri, cookie_secret,
client_id, client_secret, server_metadata_url — see docs/authentication.md). The identity provider
proves who someone is; itcap still decides what they may do: a person signed in by SSO is matched
to the itcap account whose username is their e-mail address (case-insensitive), and gets that
account's roles. No matching active account, no access. Local accounts keep working alongside.
"""

from __future__ import annotations

import streamlit as st

from itcap import accounts
from itcap.accounts import Account
from itcap.storage import session_scope


def sso_configured() -> bool:
    try:
        auth = st.secrets.get("auth")
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False
    return bool(auth) and bool(auth.get("client_id") or any(isinstance(v, dict) for v in auth.values()))


def sso_email() -> str | None:
    """The e-mail address of the person signed in with the identity provider, if any."""
    if not sso_configured():
        return None
    try:
        if not st.user.is_logged_in:
            return None
        email = st.user.get("email")
        verified = st.user.get("email_verified")
    except Exception:  # noqa: BLE001 - st.user unavailable (bare mode, old cookie)
        return None
    return verified_email(email, verified)


def verified_email(email: object, verified: object) -> str | None:
    """The address to match an account by — unless the identity provider says it has not verified
    it (OIDC's ``email_verified`` false): a provider that lets people type any address would
    otherwise let them claim someone else's itcap account. Absent, the provider's word is taken."""
    if not email or verified is False or str(verified).strip().lower() == "false":
        return None
    return str(email).strip()


def account_for_email(email: str) -> Account | None:
    with session_scope() as session:
        account = accounts.get_by_username_casefold(session, email)
    return account if account is not None and account.is_active else None


def start_login() -> None:
    st.login()


def end_login() -> None:
    if sso_email() is not None:
        st.logout()
