"""Accounts: argon2id hashes, lockout after repeated failures, roles."""

import datetime as dt

import pytest
from sqlalchemy import text

from itcap import accounts
from itcap.storage import get_engine, session_scope, utcnow


def _make(url, username="ana", password="correct horse battery", roles=("assessor",)):
    with session_scope(url) as session:
        accounts.create_account(session, username, password, list(roles))


def test_password_is_stored_as_an_argon2id_hash(any_db_url):
    _make(any_db_url)
    with get_engine(any_db_url).connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM account WHERE username = 'ana'")).scalar_one()
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored


def test_login_succeeds_with_the_right_password_only(any_db_url):
    _make(any_db_url)
    with session_scope(any_db_url) as session:
        assert accounts.authenticate(session, "ana", "correct horse battery").ok
        wrong = accounts.authenticate(session, "ana", "wrong password!")
        unknown = accounts.authenticate(session, "nobody", "correct horse battery")
    assert not wrong.ok and not unknown.ok
    assert wrong.message == unknown.message, "the message must not reveal whether the username exists"


def test_five_failures_lock_the_account_for_fifteen_minutes(any_db_url):
    _make(any_db_url)
    start = utcnow()
    with session_scope(any_db_url) as session:
        for attempt in range(accounts.MAX_FAILED_ATTEMPTS):
            assert not accounts.authenticate(session, "ana", "wrong password!", now=start).ok
        locked = accounts.authenticate(session, "ana", "correct horse battery", now=start + dt.timedelta(minutes=14))
        unknown = accounts.authenticate(session, "nobody", "correct horse battery", now=start + dt.timedelta(minutes=14))
        # the same words as for a name that does not exist: a lockout would tell that the name does
        assert not locked.ok and locked.message == unknown.message == accounts.LOGIN_REFUSED
        assert "locked for 15 minutes" in locked.message
        assert accounts.get_by_username(session, "ana").locked_until is not None
        later = accounts.authenticate(session, "ana", "correct horse battery", now=start + dt.timedelta(minutes=15, seconds=1))
        assert later.ok


def test_four_failures_do_not_lock_and_success_resets_the_count(any_db_url):
    _make(any_db_url)
    with session_scope(any_db_url) as session:
        for _ in range(4):
            accounts.authenticate(session, "ana", "wrong password!")
        assert accounts.authenticate(session, "ana", "correct horse battery").ok
        for _ in range(4):
            accounts.authenticate(session, "ana", "wrong password!")
        assert accounts.authenticate(session, "ana", "correct horse battery").ok


def test_duplicate_username_and_bad_roles_are_refused(db_url):
    _make(db_url)
    with pytest.raises(accounts.AccountError, match="already exists"):
        _make(db_url)
    with pytest.raises(accounts.AccountError, match="unknown role"):
        _make(db_url, username="bo", roles=("superuser",))
    with pytest.raises(accounts.AccountError, match="at least"):
        _make(db_url, username="cy", password="short")


def test_a_name_that_differs_only_in_capitals_is_the_same_account(any_db_url):
    """'ANA' beside 'ana' would be two people to anyone reading the audit log: refused; and 'Ana'
    typed at the login is ana."""
    _make(any_db_url)
    with pytest.raises(accounts.AccountError) as refused:
        _make(any_db_url, username="ANA")
    assert str(refused.value) == ("an account named 'ANA' already exists ('ana': names that differ only in capitals "
                                  "are the same)")
    with session_scope(any_db_url) as session:
        assert accounts.authenticate(session, "Ana", "correct horse battery").account.username == "ana"
        assert len(accounts.list_accounts(session)) == 1


def test_names_with_letters_beyond_ascii_are_one_name_whatever_their_capitals(any_db_url):
    """SQLite's lower() leaves Ä alone: 'Ärne' beside 'ärne' must still be refused, and found at login."""
    _make(any_db_url, username="ärne")
    with pytest.raises(accounts.AccountError, match="names that differ only in capitals are the same"):
        _make(any_db_url, username="ÄRNE")
    with session_scope(any_db_url) as session:
        assert accounts.authenticate(session, "Ärne", "correct horse battery").account.username == "ärne"
        assert [a.username for a in accounts.list_accounts(session)] == ["ärne"]


def test_a_person_may_hold_several_roles(db_url):
    _make(db_url, roles=("leadership", "assessor"))
    with session_scope(db_url) as session:
        account = accounts.get_by_username(session, "ana")
    assert account.role_set == {"leadership", "assessor"}
    assert account.has_role("assessor") and not account.has_role("admin")


def test_first_admin_is_created_once_with_a_generated_password(db_url):
    with session_scope(db_url) as session:
        created = accounts.ensure_first_admin(session, None)
    assert created is not None
    account, password = created
    assert account.has_role("admin") and len(password) >= 16
    with session_scope(db_url) as session:
        assert accounts.authenticate(session, "admin", password).ok
        assert accounts.ensure_first_admin(session, None) is None


def test_a_new_account_hears_every_problem_at_once(db_url):
    """A bad username, an unknown role and a short password: all three in one message, nothing stored."""
    from itcap.bootstrap import bootstrap
    from itcap.storage import session_scope

    bootstrap(db_url)
    with session_scope(db_url) as session, pytest.raises(accounts.AccountError) as err:
        accounts.create_account(session, "<b>bad name</b>", "short", ["wizard"])
    message = str(err.value)
    assert "username '<b>bad name</b>'" in message and "unknown role(s) wizard" in message and "at least 10 characters" in message
    with session_scope(db_url) as session:
        assert [a.username for a in accounts.list_accounts(session)] == ["admin"]
    with session_scope(db_url) as session:  # e-mail addresses and other alphabets are fine
        for name in ("Ana.Smith@example.org", "josé_müller", "obrien-2"):
            accounts.create_account(session, name, "a long enough password", ["assessor"])


def test_guesses_sent_at_the_same_moment_get_no_more_tries_than_one_after_another(any_db_url, monkeypatch):
    """Each attempt claims its slot in one UPDATE before the password is checked: 40 wrong passwords
    fired together check at most MAX_FAILED_ATTEMPTS of them against the real hash, then the account
    is locked — the right password included."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    _make(any_db_url)
    checked, lock = [], threading.Lock()
    start = threading.Barrier(20)

    class CountingHasher:  # argon2's PasswordHasher, counting the checks against a real hash
        def __init__(self, real):
            self.real = real

        def verify(self, stored, password):
            if stored != accounts._DUMMY_HASH:
                with lock:
                    checked.append(password)
            return self.real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(accounts, "_hasher", CountingHasher(accounts._hasher))

    def guess(i: int) -> bool:
        if i < 20:
            start.wait()
        with session_scope(any_db_url) as session:
            return accounts.authenticate(session, "ana", f"wrong password {i}").ok

    with ThreadPoolExecutor(20) as pool:
        assert not any(pool.map(guess, range(40)))
    assert len(checked) <= accounts.MAX_FAILED_ATTEMPTS
    with session_scope(any_db_url) as session:
        assert accounts.is_locked(accounts.get_by_username(session, "ana"))
        assert not accounts.authenticate(session, "ana", "correct horse battery").ok


def test_a_refused_password_change_still_counts_the_wrong_current_password(any_db_url):
    """The account page rolls its unit of work back when the current password is wrong; the failed
    attempt must stay counted, or the current password could be guessed there without limit."""
    _make(any_db_url)
    for _ in range(accounts.MAX_FAILED_ATTEMPTS):
        with pytest.raises(RuntimeError), session_scope(any_db_url) as session:
            assert not accounts.authenticate(session, "ana", "wrong password!").ok
            raise RuntimeError("the current password is wrong")  # as pages/account.py does
    with session_scope(any_db_url) as session:
        assert not accounts.authenticate(session, "ana", "correct horse battery").ok


def test_when_a_lockout_runs_out_guesses_at_the_same_moment_still_get_five_tries(any_db_url, monkeypatch):
    """The 'lockout over, count again' reset is decided on the row as it is, not as each attempt read it."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import update

    _make(any_db_url)
    with session_scope(any_db_url) as session:
        session.execute(update(accounts.Account.__table__).where(accounts.Account.username == "ana")
                        .values(failed_attempts=accounts.MAX_FAILED_ATTEMPTS, locked_until=utcnow() - dt.timedelta(seconds=1)))
    checked, lock, start = [], threading.Lock(), threading.Barrier(8, timeout=30)  # within the connection pool
    real = accounts._hasher

    class CountingHasher:
        def verify(self, stored, password):
            if stored != accounts._DUMMY_HASH:
                with lock:
                    checked.append(password)
            return real.verify(stored, password)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(accounts, "_hasher", CountingHasher())
    real_get = accounts.get_by_username

    def get_then_wait(session, username):  # everyone has read the expired lock before anyone resets it
        found = real_get(session, username)
        start.wait()
        return found

    monkeypatch.setattr(accounts, "get_by_username", get_then_wait)

    def guess(i: int) -> bool:
        with session_scope(any_db_url) as session:
            return accounts.authenticate(session, "ana", f"wrong password {i}").ok

    with ThreadPoolExecutor(8) as pool:
        assert not any(pool.map(guess, range(8)))
    assert len(checked) <= accounts.MAX_FAILED_ATTEMPTS


def test_an_attempt_that_dies_on_the_last_slot_leaves_a_lockout_that_runs_out(any_db_url, monkeypatch):
    _make(any_db_url)
    start = utcnow()
    with session_scope(any_db_url) as session:
        for _ in range(accounts.MAX_FAILED_ATTEMPTS - 1):
            accounts.authenticate(session, "ana", "wrong password!", now=start)
    real = accounts._hasher

    class DyingHasher:
        def verify(self, stored, password):
            raise RuntimeError("the process was killed here")

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(accounts, "_hasher", DyingHasher())
    with pytest.raises(RuntimeError), session_scope(any_db_url) as session:
        accounts.authenticate(session, "ana", "correct horse battery", now=start)
    monkeypatch.setattr(accounts, "_hasher", real)
    with session_scope(any_db_url) as session:
        assert not accounts.authenticate(session, "ana", "correct horse battery", now=start + dt.timedelta(minutes=1)).ok
        assert accounts.authenticate(session, "ana", "correct horse battery", now=start + dt.timedelta(minutes=16)).ok


def test_a_name_that_folds_to_an_existing_one_is_refused_whichever_is_typed_first(any_db_url):
    """'ｓａｍ' (full-width) folds to 'sam', 'straße' to 'strasse': one name, whichever came first."""
    _make(any_db_url, username="straße")
    with pytest.raises(accounts.AccountError, match="already exists"):
        _make(any_db_url, username="STRASSE")


@pytest.mark.parametrize("guessable", ["aaaaaaaaaa", "1234567890", "0987654321", "abcdefghij", "zyxwvutsrq", "1212121212",
                                       "abcabcabca", "Password123!", "P@ssw0rd2026", "qwertyuiop", "iloveyou12",
                                       "itcap-2026!", "fiona.ross1", "Fiona.Ross@example.org", "x" * 1025, "password//",
                                       "PASSWORD\'\'\'", "password password", "adminadmin", "itcapitcap", "Ross2026!!"])
def test_a_password_anyone_would_guess_first_is_refused_with_the_reason(any_db_url, guessable):
    """'aaaaaaaaaa', '1234567890' and 'director12' were accepted: ten characters was the only rule."""
    with session_scope(any_db_url) as session, pytest.raises(accounts.AccountError, match="pattern|guesses|at most 1,024"):
        accounts.create_account(session, "fiona.ross@example.org", guessable, ["assessor"])
    with session_scope(any_db_url) as session:
        assert accounts.get_by_username(session, "fiona.ross@example.org") is None


@pytest.mark.parametrize("fine", ["correct horse battery", "Tr0ub4dor&3x", "a brand new password",
                                  " ".join(f"word{n}" for n in range(300))[:1024], "tea at 4 in the annexe", "ΚαλημέραΚόσμε"])
def test_a_long_phrase_or_an_unusual_password_is_accepted(any_db_url, fine):
    with session_scope(any_db_url) as session:
        account = accounts.create_account(session, "fiona.ross@example.org", fine, ["assessor"])
        accounts.set_password(session, account, fine[::-1])  # a change goes through the same rules


@pytest.mark.parametrize("look_alike", ["аdmin", "pаul", "Ωmega"])
def test_a_username_mixing_alphabets_is_refused_as_it_can_pose_as_another(any_db_url, look_alike):
    """'аdmin' with a Cyrillic а was created with the Administrator role and read as admin everywhere."""
    with session_scope(any_db_url) as session, pytest.raises(accounts.AccountError, match="mixes letters of .* alphabets"):
        accounts.create_account(session, look_alike, "correct horse battery", ["admin"])


@pytest.mark.parametrize("name", ["josé_müller", "山田たろう", "김민준", "Ана", "ana.smith@example.org", "张伟@example.com",
                                  "田中taro", "日本語ｶﾀｶﾅ", "ʻokina@example.org"])
def test_a_username_in_one_alphabet_is_fine(any_db_url, name):
    with session_scope(any_db_url) as session:
        assert accounts.create_account(session, name, "correct horse battery", ["assessor"]).username == name
