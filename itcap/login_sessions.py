"""Logged-in sessions that survive a reload of the page.

Streamlit keeps who is logged in with the browser tab's connection: a reload — or a phone that
reloads a tab it had put to sleep while the assessor read an e-mail — starts a new connection, and
the person had to log in again between two ratings. At login the browser is given a random token
(256 bits, in a cookie that lasts until the browser is closed); the database keeps only its SHA-256
and, with it, the account, the password it was opened with (a digest of the hash) and when it was
opened and last used. A new connection that brings the token back carries on as that account, under
the same rules as the tab it replaces: the idle and absolute timeouts run on, a disabled account or a
changed password ends it, and logging out deletes it. Nothing here is about respondents: a survey link
never opens one. No IP address or browser detail is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, delete
from sqlmodel import Field, Session, SQLModel, select

from itcap.accounts import Account
from itcap.storage import as_utc, utcnow

COOKIE = "itcap_session"
TOKEN_BYTES = 32
# Last use is written at most this often: every rerun (each click) writing it would be a write per click.
SEEN_EVERY = dt.timedelta(seconds=60)


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    account_id: int = Field(sa_column=Column(Integer, ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True))
    credential: str = Field(max_length=64)  # the password it was opened with (account_credential)
    created_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    seen_at: dt.datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


def account_credential(account: Account) -> str:
    """A digest of the account's password hash: changes whenever the password does."""
    return hashlib.sha256((account.password_hash or "").encode("utf-8")).hexdigest()[:32]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, account: Account, *, idle: dt.timedelta, absolute: dt.timedelta,
          now: dt.datetime | None = None) -> str:
    """A new session for ``account``; returns the token for the browser (the database keeps its hash).
    Sessions past either timeout, anyone's, are cleared on the way: none is kept longer than it works."""
    now = now or utcnow()
    session.exec(delete(LoginSession).where((LoginSession.created_at < now - absolute) | (LoginSession.seen_at < now - idle)))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(LoginSession(token_hash=_digest(token), account_id=account.id, credential=account_credential(account),
                             created_at=now, seen_at=now))
    return token


def resume(session: Session, token: str | None, *, idle: dt.timedelta, absolute: dt.timedelta,
           now: dt.datetime | None = None) -> tuple[Account, dt.datetime] | None:
    """The account a token brought back belongs to, and when its session was opened — or None: an
    unknown token, a session timed out (idle or absolute), an account disabled or deleted, or a
    password changed since. A session that can no longer be resumed is deleted."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == _digest(token))).first()
    if row is None:
        return None
    account = session.get(Account, row.account_id)
    created, seen = as_utc(row.created_at), as_utc(row.seen_at)
    if (account is None or not account.is_active or row.credential != account_credential(account)
            or now - seen > idle or now - created > absolute):
        session.delete(row)
        return None
    if now - seen > SEEN_EVERY:
        row.seen_at = now
    return account, created


def find(session: Session, token: str) -> LoginSession | None:
    """The session a token opens, as stored (None: ended, or never was)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    return session.exec(select(LoginSession).where(LoginSession.token_hash == _digest(token))).first()


def is_open(session: Session, token: str) -> bool:
    """Whether the session is still there (not logged out, not ended by a timeout or a password change)."""
    return session.exec(select(LoginSession.id).where(LoginSession.token_hash == _digest(token))).first() is not None


def renew(session: Session, token: str, account: Account) -> None:
    """The password was changed in this session: it carries on with the new one (the others end)."""
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == _digest(token))).first()
    if row is not None:
        row.credential = account_credential(account)


def touch(session: Session, token: str | None, now: dt.datetime | None = None) -> None:
    """The session was used just now (the tab that holds it reran): its idle time starts again."""
    if not token:
        return
    now = now or utcnow()
    row = session.exec(select(LoginSession).where(LoginSession.token_hash == _digest(token))).first()
    if row is not None and now - as_utc(row.seen_at) > SEEN_EVERY:
        row.seen_at = now


def end(session: Session, token: str | None) -> None:
    """Log out: the token no longer opens anything, wherever it is kept."""
    if token:
        session.exec(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))
