"""Accounts, roles, argon2id passwords and login lockout.

Respondents never have accounts; everyone else does. A person may hold several roles.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Column, String, case, or_, update
from sqlmodel import Field, Session, SQLModel, select

from itcap.names import mixed_scripts, name_problem
from itcap.storage import as_utc, utcnow

ADMIN = "admin"
LEAD_ASSESSOR = "lead_assessor"
ASSESSOR = "assessor"
LEADERSHIP = "leadership"
ROLES = (ADMIN, LEAD_ASSESSOR, ASSESSOR, LEADERSHIP)
ROLE_LABELS = {
    ADMIN: "Administrator",
    LEAD_ASSESSOR: "Lead assessor",
    ASSESSOR: "Assessor",
    LEADERSHIP: "Leadership",
}

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes any length; a megabyte per attempt is a cheap way to load the server
USERNAME_MAX = 80
# Letters (any alphabet), digits and . _ - @ + : an e-mail address works; markup and spaces do not
# (usernames appear in the audit log, exports and pages).
USERNAME_PATTERN = re.compile(r"[\w.@+-]+")

# argon2-cffi's PasswordHasher is argon2id with RFC 9106 low-memory parameters by default.
_hasher = PasswordHasher()


class Account(SQLModel, table=True):
    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(sa_column=Column(String(USERNAME_MAX), unique=True, nullable=False))
    display_name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    roles: str = Field(default="", max_length=200)  # space-separated role names
    is_active: bool = True
    failed_attempts: int = 0
    locked_until: dt.datetime | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_set.intersection(roles))


class AccountError(ValueError):
    """A user-facing problem with account data (message is safe to show)."""


@dataclass(frozen=True)
class LoginResult:
    account: Account | None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.account is not None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str, username: str | None = None) -> None:
    """Length, and none of the first guesses of anyone trying passwords (NIST SP 800-63B's list:
    common passwords, repeated or sequential characters, the service's or the person's own name);
    no rules about character classes, which make passwords harder to remember, not to guess."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"password must be at most {MAX_PASSWORD_LENGTH:,} characters")
    folded = password.casefold()
    if len(set(folded)) < 4 or _repeats_a_pattern(folded) or _is_sequential(folded):
        raise AccountError("password is a repeated or sequential pattern (like aaaaaaaaaa or 1234567890): "
                           "choose a longer phrase of a few unrelated words")
    names = {"itcap"} | ({username.casefold().split("@")[0], username.casefold()} if username else set())
    # "Password123!", "password password", "admin2026" for admin: a guesser's words with digits and
    # symbols around or between them ("correct horse battery" has words no list starts with)
    words = [w for w in re.split(r"[^a-z]+", folded) if w]
    own = {part for name in names for part in re.split(r"[^a-z]+", name) if part}
    core = folded.strip("0123456789!@#$%^&*()_-+=.,;:?~/\\|<>'\"[]{} ")  # "P@ssw0rd2026" is "p@ssw0rd" to a guesser
    if core in COMMON_PASSWORDS or core in names or (words and all(w in COMMON_PASSWORDS or w in own for w in words)):
        raise AccountError("password is one of the first that anyone guesses (a common password, the username or the "
                           "service's name, with a few digits or symbols): choose a longer phrase of a few unrelated words")


def _repeats_a_pattern(text: str) -> bool:
    """"abcabcabca", "1212121212", "adminadmin": a piece repeated."""
    return any(text == (text[:size] * (len(text) // size + 1))[:len(text)] for size in range(1, len(text) // 2 + 1))


def _is_sequential(text: str) -> bool:
    """"1234567890", "abcdefghij", "9876543210": each character one after (or before) the last."""
    steps = {(ord(b) - ord(a)) % 10 if a.isdigit() and b.isdigit() else ord(b) - ord(a) for a, b in zip(text, text[1:])}
    return steps in ({1}, {-1}, {9})


# The most common passwords of public breach lists (10 characters or longer, or stems that become
# 10 with digits added), as a guesser tries them first.
COMMON_PASSWORDS = frozenset("""
password passw0rd p@ssw0rd p@ssword qwerty qwertyuiop qwertyuiop[] asdfghjkl zxcvbnm qwerty123 1q2w3e4r
1q2w3e4r5t 1qaz2wsx zaq12wsx zaq1zaq1 qazwsx qazwsxedc letmein welcome welcome1 iloveyou monkey dragon
football baseball basketball sunshine princess superman batman trustno1 starwars whatever shadow master
michael jennifer jordan hunter2 freedom charlie computer internet secret changeme default administrator
admin root login access passport summer winter autumn spring january february december monday
friday abcdef abc123 abcd1234 qwertyui 123qwe 123abc aa123456 a1b2c3d4 iloveyou1 lovely loveme
mypassword newpassword password1 password12 password123 password1234 passwords
""".split())


def normalise_roles(roles: list[str] | tuple[str, ...] | str) -> str:
    if isinstance(roles, str):
        roles = roles.replace(",", " ").split()
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise AccountError(f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}")
    return " ".join(r for r in ROLES if r in roles)


def create_account(
    session: Session,
    username: str,
    password: str,
    roles: list[str] | tuple[str, ...] | str,
    display_name: str = "",
) -> Account:
    username = username.strip()
    problems = []  # every problem at once, not one per attempt
    if not username or len(username) > USERNAME_MAX or not USERNAME_PATTERN.fullmatch(username):
        problems.append(f"username {username!r}: use 1–{USERNAME_MAX} letters, digits and . _ - @ + (no spaces)")
    elif scripts := mixed_scripts(username):  # "аdmin" with a Cyrillic а reads as admin in every list
        problems.append(f"username {username!r}: mixes letters of {' and '.join(s.capitalize() for s in scripts)} alphabets, "
                        "which can make it look like another name; use letters of one alphabet")
    try:
        normalised_roles = normalise_roles(roles)
    except AccountError as exc:
        problems.append(str(exc))
    try:
        check_password_rules(password, username)
    except AccountError as exc:
        problems.append(str(exc))
    if problem := name_problem("display name", display_name, required=False):
        problems.append(problem)
    if problems:
        raise AccountError("; ".join(problems))
    existing = get_by_username_casefold(session, username)
    if existing is not None:  # "LEAD" beside "lead" would be two people to a reader of the audit log
        same = "" if existing.username == username else f" ({existing.username!r}: names that differ only in capitals are the same)"
        raise AccountError(f"an account named {username!r} already exists{same}")
    account = Account(
        username=username,
        display_name=display_name.strip() or username,
        password_hash=hash_password(password),
        roles=normalised_roles,
    )
    session.add(account)
    session.flush()
    return account


def get_by_username(session: Session, username: str) -> Account | None:
    return session.exec(select(Account).where(Account.username == username.strip())).first()


def get_by_username_casefold(session: Session, username: str) -> Account | None:
    """Case-insensitive lookup (for e-mail addresses coming from single sign-on, and so that "Ärne"
    and "ärne" are one name). SQL's lower() is ASCII-only on SQLite, so a name with other letters is
    compared in Python, Unicode-normalised and case-folded."""
    from sqlalchemy import func

    wanted = username.strip()
    found = session.exec(select(Account).where(func.lower(Account.username) == wanted.lower())).first()
    if found is not None:
        return found
    key = _name_key(wanted)
    return next((a for a in session.exec(select(Account)) if _name_key(a.username) == key), None)


def get_by_email(session: Session, email: str) -> Account | None:
    """The account whose username is this e-mail address, ignoring the letter case of ASCII letters
    only (for single sign-on): no Unicode folding, so "ﬁona@…", "ＦＩＯＮＡ@…" or "jeß@…" from an
    identity provider never reach fiona's or jess's account."""
    from sqlalchemy import func

    wanted = email.strip()
    if not wanted.isascii():
        return session.exec(select(Account).where(Account.username == wanted)).first()
    return session.exec(select(Account).where(func.lower(Account.username) == wanted.lower())).first()


def _name_key(username: str) -> str:
    return unicodedata.normalize("NFKC", username).casefold()


def get_account(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def list_accounts(session: Session) -> list[Account]:
    return list(session.exec(select(Account).order_by(Account.username)))


def set_password(session: Session, account: Account, password: str) -> None:
    check_password_rules(password, account.username)
    account.password_hash = hash_password(password)
    account.failed_attempts = 0
    account.locked_until = None
    session.add(account)


def set_roles(session: Session, account: Account, roles: list[str] | str) -> None:
    """Give ``account`` exactly these roles. Raises AccountError (the caller's transaction then rolls
    back) when that would leave no active administrator, whoever asks: the app, the CLI, a script."""
    was_admin = account.is_active and account.has_role(ADMIN)
    account.roles = normalise_roles(roles)
    session.add(account)
    if was_admin and not account.has_role(ADMIN):
        _still_administered(session, account)


LOGIN_REFUSED = (f"Unknown username or wrong password. After {MAX_FAILED_ATTEMPTS} failed attempts in a row an "
                 f"account is locked for {LOCKOUT.seconds // 60} minutes; an administrator can unlock it sooner.")


def wrong_current_password(session: Session, account_id: int, now: dt.datetime | None = None) -> str:
    """What a logged-in person is told when the current password they typed (to change it) is refused:
    it counts towards the lockout as a login does, so they are told how many tries are left, and that
    the account is locked once it is — never "wrong" for a right password typed during the lockout.
    (Logged in, they know the account exists: saying so reveals nothing.)"""
    account = session.get(Account, account_id)
    session.refresh(account)
    minutes = LOCKOUT.seconds // 60
    if is_locked(account, now):
        until = as_utc(account.locked_until)
        return (f"After {MAX_FAILED_ATTEMPTS} wrong passwords in a row your account is locked for {minutes} minutes, until "
                f"{until:%H:%M} UTC: the password cannot be changed, nor can you log in elsewhere, until then (an "
                "administrator can unlock it sooner). This session carries on.")
    left = MAX_FAILED_ATTEMPTS - account.failed_attempts
    return (f"The current password is wrong. {left} more wrong "
            f"{'try' if left == 1 else 'tries'} and the account is locked for {minutes} minutes, as after wrong logins.")


def authenticate(session: Session, username: str, password: str, now: dt.datetime | None = None) -> LoginResult:
    """Check a login. After MAX_FAILED_ATTEMPTS failures the account is locked for LOCKOUT.

    The message never says whether the username exists: one message for an unknown name, a wrong
    password and a locked account (which says it is, once the lockout is known, to anyone who tries a
    name five times — and so whether the name exists). It states the lockout rule instead.

    Each attempt first claims one of the MAX_FAILED_ATTEMPTS slots in a single UPDATE and commits
    it, and only then checks the password (≈0.1 s of argon2): guesses sent at the same moment each
    need a slot, so no more than MAX_FAILED_ATTEMPTS are ever checked before the lock, however many
    arrive at once. A success gives the slots back. This function commits its own work — a caller's
    rollback (a refused password change) must not undo the count.
    """
    now = now or utcnow()
    generic = LOGIN_REFUSED
    # Typed as "Lead" for "lead": the same account (names are unique regardless of capitals).
    account = get_by_username(session, username) or get_by_username_casefold(session, username)
    if account is None or not account.is_active or is_locked(account, now):
        _hasher_dummy_verify(password)  # the same work as a real check: no timing difference
        return LoginResult(None, generic)
    table = Account.__table__
    slot = None
    if account.failed_attempts >= MAX_FAILED_ATTEMPTS:
        # A lockout that has run out: counting starts again — decided by the row as it is now, not
        # as it was read (another attempt may have locked it again meanwhile).
        slot = session.execute(
            update(table).where(table.c.id == account.id, table.c.failed_attempts >= MAX_FAILED_ATTEMPTS,
                                or_(table.c.locked_until.is_(None), table.c.locked_until <= now))
            .values(failed_attempts=1, locked_until=None).returning(table.c.failed_attempts)).scalar()
    if slot is None:
        # The last slot locks the account as it is claimed, not after its check: an attempt that
        # dies half-way (a killed process) then leaves a lockout that runs out, not a full count
        # that refuses every login for good. A success on that slot lifts the lock.
        slot = session.execute(
            update(table).where(table.c.id == account.id, table.c.failed_attempts < MAX_FAILED_ATTEMPTS)
            .values(failed_attempts=table.c.failed_attempts + 1,
                    locked_until=case((table.c.failed_attempts + 1 >= MAX_FAILED_ATTEMPTS, now + LOCKOUT),
                                      else_=table.c.locked_until))
            .returning(table.c.failed_attempts)).scalar()
    session.commit()
    if slot is None:  # every slot taken by attempts still being checked, or just locked
        _hasher_dummy_verify(password)
        return LoginResult(None, generic)
    session.refresh(account)
    try:
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        session.refresh(account)  # the last slot's lockout was set as it was claimed
        return LoginResult(None, generic)
    values = {"failed_attempts": 0, "locked_until": None}
    if _hasher.check_needs_rehash(account.password_hash):
        values["password_hash"] = hash_password(password)
    session.execute(update(table).where(table.c.id == account.id).values(**values))
    session.commit()
    session.refresh(account)
    return LoginResult(account)


_DUMMY_HASH = _hasher.hash("itcap-dummy-password")


def _hasher_dummy_verify(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except VerificationError:
        pass


def generate_password() -> str:
    """A random password a person can type: 16 characters from an unambiguous alphabet."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))


def ensure_first_admin(session: Session, password: str | None) -> tuple[Account, str | None] | None:
    """Create the first administrator when no account exists yet.

    Returns (account, password_to_print) — the password is returned only when it was generated, so
    the caller prints it exactly once — or None when accounts already exist.
    """
    if session.exec(select(Account.id).limit(1)).first() is not None:
        return None
    generated = None
    if not password:
        password = generated = generate_password()
    account = create_account(session, "admin", password, [ADMIN], display_name="Administrator")
    return account, generated


# -- administration: the rules that keep at least one administrator able to log in ----------------
# An administrator cannot lock themselves out (disable their own account or drop their own admin
# role), and the last active administrator can be neither disabled nor de-admined: there would be
# nobody left to manage accounts except through the database.


def is_locked(account: Account, now: dt.datetime | None = None) -> bool:
    """Locked out after too many failed logins, and the lockout has not yet run out."""
    if account.locked_until is None:
        return False
    return as_utc(account.locked_until) > (now or utcnow())


def active_admin_count(session: Session, *, lock: bool = False) -> int:
    """Active administrators. ``lock``: hold the active accounts' rows until the transaction ends
    (PostgreSQL ``FOR UPDATE``), so two administrators disabling each other at the same moment
    cannot both pass the "one must remain" check: the second waits, then counts again. SQLite has
    one writer at a time; the second transaction's write fails on its stale snapshot instead."""
    query = select(Account).where(Account.is_active.is_(True))
    if lock:
        query = query.with_for_update()
    return sum(1 for a in session.exec(query) if a.has_role(ADMIN))


def _is_self(actor: Account | str, account: Account) -> bool:
    """An administrator acting on their own account in the app; the command line (``actor`` a
    "cli:…" name) is nobody's account, and the way back in when no administrator can log in."""
    return isinstance(actor, Account) and actor.id == account.id


def role_change_problem(session: Session, actor: Account | str, account: Account,
                        roles: list[str] | tuple[str, ...] | str) -> str | None:
    """Why ``actor`` may not give ``account`` these roles, or None when the change is allowed."""
    new = frozenset(normalise_roles(roles).split())
    if ADMIN in new or not account.has_role(ADMIN):
        return None
    if _is_self(actor, account):
        return "you cannot remove your own administrator role; ask another administrator"
    if account.is_active and active_admin_count(session, lock=True) <= 1:
        return f"{account.username!r} is the last active administrator; make someone else an administrator first"
    return None


def deactivation_problem(session: Session, actor: Account | str, account: Account) -> str | None:
    """Why ``actor`` may not disable ``account``, or None when it is allowed."""
    if _is_self(actor, account):
        return "you cannot disable your own account; ask another administrator"
    if account.is_active and account.has_role(ADMIN) and active_admin_count(session, lock=True) <= 1:
        return f"{account.username!r} is the last active administrator; make someone else an administrator first"
    return None


def _audit(session: Session, actor: Account | str, action: str, account: Account, detail: str = "") -> None:
    from itcap import audit

    who = actor.username if isinstance(actor, Account) else actor
    audit.record(session, who, action, f"account:{account.username}", detail)


def add_account(
    session: Session,
    username: str,
    roles: list[str] | tuple[str, ...] | str,
    *,
    actor: Account | str,
    display_name: str = "",
    password: str | None = None,
) -> tuple[Account, str | None]:
    """An administrator (or the command line, ``actor`` "cli:…") creates an account. Without a
    password one is generated and returned (to be shown once and handed over); with one, None is
    returned in its place. Audited."""
    generated = None
    if not password:
        password = generated = generate_password()
    account = create_account(session, username, password, roles, display_name)
    _audit(session, actor, "account.create", account, f"roles: {account.roles or 'none'}; password "
           + ("generated" if generated else "set by the administrator"))
    return account, generated


def change_roles(session: Session, account: Account, roles: list[str] | tuple[str, ...] | str, *,
                 actor: Account | str) -> bool:
    """Give ``account`` exactly these roles (audited under ``actor``: an account, or the command
    line's "cli:…" name); False when nothing changed. Raises AccountError when the change would lock
    administrators out."""
    problem = role_change_problem(session, actor, account, roles)
    if problem:
        raise AccountError(problem)
    before = account.roles
    set_roles(session, account, roles)  # (recounts the administrators when this took one away)
    if account.roles == before:
        return False
    _audit(session, actor, "account.roles", account, f"{before or 'none'} → {account.roles or 'none'}")
    return True


def rename(session: Session, account: Account, display_name: str, *, actor: str) -> bool:
    """Give ``account`` a new display name (audited under ``actor``, a username or "cli:…"); False
    when it already had it. Blank: the username, as at creation."""
    if problem := name_problem("display name", display_name, required=False):
        raise AccountError(problem)
    new = display_name.strip() or account.username
    if new == account.display_name:
        return False
    from itcap import audit

    audit.record(session, actor, "account.rename", f"account:{account.username}", f"{account.display_name} → {new}")
    account.display_name = new
    session.add(account)
    return True


def set_active(session: Session, account: Account, active: bool, *, actor: Account | str) -> bool:
    """Enable or disable an account (audited under ``actor``, as for ``change_roles``); False when it
    already was. A disabled account cannot log in and is logged out on its next page run."""
    if account.is_active == active:
        return False
    if not active:
        problem = deactivation_problem(session, actor, account)
        if problem:
            raise AccountError(problem)
    was_admin = account.is_active and account.has_role(ADMIN)
    account.is_active = active
    session.add(account)
    if was_admin and not active:  # only taking an administrator away can leave none (none may be left already:
        _still_administered(session, account)  # then the command line is the way back, and disables others)
    _audit(session, actor, "account.enable" if active else "account.disable", account)
    return True


def _still_administered(session: Session, account: Account) -> None:
    """Count again after the change, inside its write: on SQLite the check before it may have read
    a moment before another administrator's change committed (pysqlite starts the transaction at the
    first write), and the count now sees it. Raising rolls the change back."""
    session.flush()
    if active_admin_count(session) == 0:
        raise AccountError(f"{account.username!r} is the last active administrator; make someone else an administrator first")


def reset_password(session: Session, account: Account, *, actor: Account) -> str:
    """Give ``account`` a new generated password (also clearing any lockout); returns it to be
    shown once. Audited, without the password."""
    password = generate_password()
    set_password(session, account, password)
    _audit(session, actor, "account.password_reset", account)
    return password


def unlock(session: Session, account: Account, *, actor: Account) -> None:
    """Lift a login lockout and forget the failed attempts (audited)."""
    account.failed_attempts = 0
    account.locked_until = None
    session.add(account)
    _audit(session, actor, "account.unlock", account)
