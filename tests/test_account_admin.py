"""Administering accounts: the self-lockout and last-administrator rules, resets, unlocking, audit."""

import datetime as dt

import pytest

from itcap import accounts, audit
from itcap.accounts import ADMIN, ASSESSOR, LEADERSHIP, AccountError
from itcap.storage import session_scope, utcnow

PASSWORD = "correct horse battery"


def _make(session, username, roles, active=True):
    account = accounts.create_account(session, username, PASSWORD, roles)
    account.is_active = active
    session.add(account)
    session.flush()
    return account


def test_admin_cannot_remove_their_own_admin_role(any_db_url):
    with session_scope(any_db_url) as session:
        root = _make(session, "root", [ADMIN])
        _make(session, "other", [ADMIN])  # not the last admin: the self rule alone refuses it
        assert accounts.role_change_problem(session, root, root, [LEADERSHIP]).startswith("you cannot remove your own")
        with pytest.raises(AccountError, match="your own administrator role"):
            accounts.change_roles(session, root, [LEADERSHIP], actor=root)
        assert root.has_role(ADMIN)
        # Adding roles to oneself is fine.
        assert accounts.change_roles(session, root, [ADMIN, LEADERSHIP], actor=root)
        assert root.role_set == {ADMIN, LEADERSHIP}


def test_admin_cannot_disable_themselves(any_db_url):
    with session_scope(any_db_url) as session:
        root = _make(session, "root", [ADMIN])
        _make(session, "other", [ADMIN])
        with pytest.raises(AccountError, match="your own account"):
            accounts.set_active(session, root, False, actor=root)
        assert root.is_active


def test_last_active_admin_can_be_neither_disabled_nor_de_admined(db_url):
    with session_scope(db_url) as session:
        root = _make(session, "root", [ADMIN])
        last = _make(session, "last", [ADMIN, LEADERSHIP])
        # An active administrator acting on another one always leaves one behind, so the rule matters
        # for callers that are not themselves active administrators: a script, or an actor whose own
        # account was disabled a moment ago in another session.
        root.is_active = False
        session.add(root)
        session.flush()
        assert accounts.active_admin_count(session) == 1
        with pytest.raises(AccountError, match="last active administrator"):
            accounts.set_active(session, last, False, actor=root)
        with pytest.raises(AccountError, match="last active administrator"):
            accounts.change_roles(session, last, [LEADERSHIP], actor=root)
        assert last.is_active and last.has_role(ADMIN)


def test_an_admin_can_disable_and_demote_another_admin_while_one_remains(db_url):
    with session_scope(db_url) as session:
        root = _make(session, "root", [ADMIN])
        other = _make(session, "other", [ADMIN, ASSESSOR])
        assert accounts.change_roles(session, other, [ASSESSOR], actor=root)
        assert other.role_set == {ASSESSOR}
        assert accounts.set_active(session, other, False, actor=root)
        assert not other.is_active
        # Now root is the last active admin: the rules protect it from anyone, itself included.
        assert accounts.active_admin_count(session) == 1
        assert accounts.deactivation_problem(session, root, root) is not None


def test_inactive_admins_do_not_count_and_can_be_changed(db_url):
    with session_scope(db_url) as session:
        root = _make(session, "root", [ADMIN])
        dormant = _make(session, "dormant", [ADMIN], active=False)
        assert accounts.active_admin_count(session) == 1
        assert accounts.change_roles(session, dormant, [LEADERSHIP], actor=root)  # it was not active: no lockout
        assert accounts.set_active(session, dormant, True, actor=root)
        assert not accounts.set_active(session, dormant, True, actor=root)  # no change, nothing audited


def test_non_admin_accounts_are_never_blocked(db_url):
    with session_scope(db_url) as session:
        root = _make(session, "root", [ADMIN])
        ana = _make(session, "ana", [ASSESSOR])
        assert accounts.role_change_problem(session, root, ana, []) is None
        assert accounts.deactivation_problem(session, root, ana) is None


def test_every_administrative_change_is_audited_with_the_acting_admin(db_url):
    with session_scope(db_url) as session:
        root = _make(session, "root", [ADMIN])
        account, generated = accounts.add_account(session, "ana", [ASSESSOR], actor=root, display_name="Ana")
        assert generated and len(generated) == 16
        assert accounts.authenticate(session, "ana", generated).ok
        _, none = accounts.add_account(session, "ben", "assessor leadership", actor=root, password="a typed password")
        assert none is None and accounts.authenticate(session, "ben", "a typed password").ok
        accounts.change_roles(session, account, [ASSESSOR, LEADERSHIP], actor=root)
        assert not accounts.change_roles(session, account, [LEADERSHIP, ASSESSOR], actor=root)  # same set
        accounts.set_active(session, account, False, actor=root)
        accounts.set_active(session, account, True, actor=root)
        new = accounts.reset_password(session, account, actor=root)
        accounts.unlock(session, account, actor=root)
    with session_scope(db_url) as session:
        entries = list(reversed(audit.recent(session)))
        assert accounts.authenticate(session, "ana", new).ok
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("root", "account.create", "account:ana"),
        ("root", "account.create", "account:ben"),
        ("root", "account.roles", "account:ana"),
        ("root", "account.disable", "account:ana"),
        ("root", "account.enable", "account:ana"),
        ("root", "account.password_reset", "account:ana"),
        ("root", "account.unlock", "account:ana"),
    ]
    assert entries[2].detail == "assessor → assessor leadership"
    assert "generated" in entries[0].detail and "set by the administrator" in entries[1].detail
    assert all(generated not in e.detail and new not in e.detail for e in entries), "passwords never reach the log"


def test_unlock_lifts_a_lockout_and_reset_clears_it_too(db_url):
    start = utcnow()
    with session_scope(db_url) as session:
        _make(session, "root", [ADMIN])
        ana = _make(session, "ana", [ASSESSOR])
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            accounts.authenticate(session, "ana", "wrong password!", now=start)
        assert accounts.is_locked(ana, start) and not accounts.is_locked(ana, start + accounts.LOCKOUT + dt.timedelta(seconds=1))
    with session_scope(db_url) as session:  # read back (naive datetimes on SQLite)
        ana = accounts.get_by_username(session, "ana")
        assert accounts.is_locked(ana, start)
        accounts.unlock(session, ana, actor=accounts.get_by_username(session, "root"))
        assert not accounts.is_locked(ana) and ana.failed_attempts == 0
        assert accounts.authenticate(session, "ana", PASSWORD).ok
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            accounts.authenticate(session, "ana", "wrong password!")
        assert accounts.is_locked(ana)
        password = accounts.reset_password(session, ana, actor=accounts.get_by_username(session, "root"))
        assert not accounts.is_locked(ana)
        assert accounts.authenticate(session, "ana", password).ok


def test_bad_input_to_add_account_is_refused_and_nothing_is_audited(db_url):
    with session_scope(db_url) as session:
        root = _make(session, "root", [ADMIN])
        with pytest.raises(AccountError, match="at least"):
            accounts.add_account(session, "ana", [ASSESSOR], actor=root, password="short")
        with pytest.raises(AccountError, match="unknown role"):
            accounts.add_account(session, "ana", ["wizard"], actor=root)
        with pytest.raises(AccountError, match="already exists"):
            accounts.add_account(session, "root", [ASSESSOR], actor=root)
        assert audit.recent(session) == []


def test_two_administrators_disabling_each_other_at_once_leave_one_active(any_db_url):
    """Both checks could pass before either commits; the row locks (PostgreSQL) or the single
    writer (SQLite) make the second one fail instead, so someone can still administer accounts."""
    import threading

    from sqlalchemy.exc import OperationalError

    with session_scope(any_db_url) as session:
        for other in accounts.list_accounts(session):  # only ann and bob are active administrators
            other.is_active = False
            session.add(other)
        _make(session, "ann", [ADMIN])
        _make(session, "bob", [ADMIN])
    outcome: dict[str, str] = {}

    def bob_disables_ann():
        try:
            with session_scope(any_db_url) as s2:
                accounts.set_active(s2, accounts.get_by_username(s2, "ann"), False, actor=accounts.get_by_username(s2, "bob"))
            outcome["result"] = "committed"
        except (AccountError, OperationalError) as exc:
            outcome["result"] = type(exc).__name__

    ann_session = session_scope(any_db_url)
    s1 = ann_session.__enter__()
    accounts.set_active(s1, accounts.get_by_username(s1, "bob"), False, actor=accounts.get_by_username(s1, "ann"))
    s1.flush()  # ann's transaction holds its locks and bob's new state, not yet committed
    worker = threading.Thread(target=bob_disables_ann)
    worker.start()
    worker.join(1.0)  # bob's check runs (or waits) while ann's change is in flight
    ann_session.__exit__(None, None, None)  # ann commits
    worker.join(30)
    assert outcome["result"] in ("AccountError", "OperationalError")
    with session_scope(any_db_url) as session:
        assert accounts.active_admin_count(session) == 1
        assert accounts.get_by_username(session, "ann").is_active and not accounts.get_by_username(session, "bob").is_active
