"""Optional single sign-on with Streamlit's OIDC login (``st.login``).

Configured entirely in ``.streamlit/secrets.toml`` ([auth] with redirect_uri, cookie_secret,
client_id, client_secret, server_metadata_url — see docs/authentication.md). The identity provider
proves who someone is; itcap still decides what they may do: a person signed in by SSO is matched
to the itcap account whose username is their verified e-mail address (ASCII letter case aside), and gets that
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


UNVERIFIED = "unverified"  # sso_email's answer when the provider signed someone in but vouches for no address
NO_EMAIL = "no e-mail"  # ... or sent no address at all (the app registration asks for no "email" scope)


def sso_email() -> str | None:
    """The verified e-mail address of the person signed in with the identity provider; None when
    nobody is; :data:`NO_EMAIL` when the provider sent no address, :data:`UNVERIFIED` when it does
    not say the address is theirs."""
    if not sso_configured():
        return None
    try:
        if not st.user.is_logged_in:
            return None
        email = st.user.get("email")
        verified = st.user.get("email_verified")
        domain_verified = st.user.get("xms_edov")  # Microsoft Entra ID's optional "domain owner verified" claim
    except Exception:  # noqa: BLE001 - st.user unavailable (bare mode, old cookie)
        return None
    if not email or not isinstance(email, str) or not email.strip():
        return NO_EMAIL
    return verified_email(email, verified, domain_verified) or UNVERIFIED


def _true(claim: object) -> bool:
    return claim is True or str(claim).strip().lower() == "true"


def verified_email(email: object, verified: object, domain_verified: object = None) -> str | None:
    """The address to match an account by, only when the identity provider vouches for it: OIDC's
    ``email_verified`` true, or Entra ID's ``xms_edov`` true (Entra sends no ``email_verified``,
    and its ``email`` claim is whatever a tenant's user or admin typed). A provider that lets
    people type any address would otherwise let them claim someone else's itcap account."""
    if not email or not isinstance(email, str) or not (_true(verified) or _true(domain_verified)):
        return None
    return email.strip() or None


def account_for_email(email: str) -> Account | None:
    """The active account whose username is this address, letter case aside (ASCII only): a
    look-alike address (a ligature "ﬁ", full-width letters, "ß" for "ss") never matches."""
    with session_scope() as session:
        account = accounts.get_by_email(session, email)
    return account if account is not None and account.is_active else None


def start_login() -> None:
    st.login()


def end_login() -> None:
    if sso_email() is not None:  # (unverified too: the provider's session is ended all the same)
        st.logout()
