"""itcap user: add, list, password, enable/disable, roles — exit codes and effects."""

from itcap import accounts
from itcap.bootstrap import bootstrap
from itcap.cli import main
from itcap.storage import session_scope


def test_add_prints_a_one_time_password_that_works(db_url, capsys):
    bootstrap(db_url)
    assert main(["user", "add", "ana", "--roles", "assessor,leadership", "--name", "Ana"]) == 0
    out = capsys.readouterr().out
    password = out.split("password (shown once): ")[1].strip()
    with session_scope(db_url) as session:
        result = accounts.authenticate(session, "ana", password)
    assert result.ok and result.account.role_set == {"assessor", "leadership"}


def test_bad_roles_and_duplicates_exit_1_with_a_message(db_url, capsys):
    bootstrap(db_url)
    assert main(["user", "add", "ana", "--roles", "wizard"]) == 1
    assert "unknown role" in capsys.readouterr().err
    assert main(["user", "add", "admin", "--roles", "admin"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_the_last_active_administrator_cannot_be_disabled_but_others_can_be_re_enabled(db_url, capsys):
    bootstrap(db_url)
    assert main(["user", "disable", "admin"]) == 1
    assert "last active administrator" in capsys.readouterr().err
    with session_scope(db_url) as session:
        accounts.create_account(session, "bo", "correct horse battery", ["admin"])
    assert main(["user", "disable", "admin"]) == 0
    with session_scope(db_url) as session:
        assert not accounts.get_by_username(session, "admin").is_active
    assert main(["user", "enable", "admin"]) == 0
    with session_scope(db_url) as session:
        assert accounts.get_by_username(session, "admin").is_active
    assert main(["user", "enable", "nobody"]) == 1


def test_disabling_a_disabled_account_says_so_and_logs_nothing(db_url, capsys):
    from itcap import audit

    bootstrap(db_url)
    with session_scope(db_url) as session:
        accounts.create_account(session, "bo", "correct horse battery", ["assessor"])
    assert main(["user", "disable", "bo"]) == 0
    assert main(["user", "disable", "bo"]) == 0
    assert capsys.readouterr().out == "bo: disabled\nbo: already disabled; nothing changed\n"
    assert main(["user", "enable", "admin"]) == 0
    assert capsys.readouterr().out == "admin: already enabled; nothing changed\n"
    with session_scope(db_url) as session:
        logged = [e.action for e in audit.recent(session) if e.target in ("account:bo", "account:admin")]
    assert logged.count("account.disable") == 1 and "account.enable" not in logged


def test_the_last_active_administrator_keeps_the_admin_role(db_url, capsys):
    bootstrap(db_url)
    for roles in ("assessor", ""):
        assert main(["user", "roles", "admin", "--roles", roles]) == 1
        assert "'admin' is the last active administrator" in capsys.readouterr().err
        with session_scope(db_url) as session:
            assert accounts.get_by_username(session, "admin").role_set == {"admin"}  # nothing changed
    with session_scope(db_url) as session:
        accounts.create_account(session, "bo", "correct horse battery", ["admin"])
    assert main(["user", "roles", "admin", "--roles", "assessor"]) == 0
    assert capsys.readouterr().out == "admin: assessor\n"
    assert main(["user", "roles", "admin", "--roles", "assessor"]) == 0
    assert capsys.readouterr().out == "admin: assessor (unchanged)\n"
    from itcap import audit

    with session_scope(db_url) as session:  # logged as the Accounts page logs it, once, with who ran it
        [entry] = [e for e in audit.recent(session) if e.action == "account.roles"]
    assert (entry.target, entry.detail) == ("account:admin", "admin → assessor") and entry.actor.startswith("cli:")


def test_an_account_given_no_role_is_said_to_have_none(db_url, capsys):
    bootstrap(db_url)
    assert main(["user", "add", "ana", "--roles", ""]) == 0
    captured = capsys.readouterr()
    assert "created ana (no role)" in captured.out
    assert "note: ana has no role: they can log in but see only 'My account'" in captured.err


def test_password_checks_the_account_before_asking_and_needs_a_password(db_url, capsys, monkeypatch):
    import getpass

    asked = []
    monkeypatch.delenv("ITCAP_NEW_PASSWORD", raising=False)
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": asked.append(prompt) or (_ for _ in ()).throw(EOFError()))
    assert main(["user", "password", "nobodyhere"]) == 1
    assert "no account named 'nobodyhere'" in capsys.readouterr().err and asked == []
    assert main(["user", "add", "ana", "--roles", "assessor"]) == 0
    capsys.readouterr()
    assert main(["user", "password", "ana"]) == 1  # no terminal, no ITCAP_NEW_PASSWORD
    assert "no password given" in capsys.readouterr().err and len(asked) == 1


def test_password_typed_at_the_prompt_is_asked_twice(db_url, capsys, monkeypatch):
    import getpass

    from itcap import accounts
    from itcap.storage import session_scope

    monkeypatch.delenv("ITCAP_NEW_PASSWORD", raising=False)
    assert main(["user", "add", "ana", "--roles", "assessor"]) == 0
    typed = iter(["Correct-horse-2026", "Correct-horse-2062"])  # a typo in the second
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    assert main(["user", "password", "ana"]) == 1
    assert "differ" in capsys.readouterr().err
    with session_scope(db_url) as session:
        assert not accounts.authenticate(session, "ana", "Correct-horse-2026").account
    typed = iter(["Correct-horse-2026"] * 2)
    assert main(["user", "password", "ana"]) == 0
    with session_scope(db_url) as session:
        assert accounts.authenticate(session, "ana", "Correct-horse-2026").account


def test_password_with_no_terminal_says_so_without_getpass_s_warning(db_url, tmp_path):
    """`itcap user password bob </dev/null` printed Python's GetPassWarning and a line of getpass's
    source ("passwd = fallback_getpass(prompt, stream)"), which reads like a traceback."""
    import os
    import subprocess
    import sys

    from tests.support import ROOT

    bootstrap(db_url)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "default"}
    env.pop("ITCAP_NEW_PASSWORD", None)
    done = subprocess.run([sys.executable, "-m", "itcap.cli", "user", "password", "admin"], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path, env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert "Warning:" not in done.stderr.replace("Warning: Password input may be echoed.", "")
    assert "getpass" not in done.stderr and "passwd" not in done.stderr
    assert done.stderr.splitlines()[-1] == ("error: no password given: there is no terminal to type it at (stdin is not "
                                            "one); or set ITCAP_NEW_PASSWORD")


def test_a_display_name_can_be_corrected_and_is_audited(db_url, capsys):
    from itcap import audit

    bootstrap(db_url)
    assert main(["user", "add", "ana", "--roles", "assessor", "--name", "Ana Patle"]) == 0
    capsys.readouterr()
    assert main(["user", "rename", "ana", "Ana Patel"]) == 0
    assert capsys.readouterr().out == "ana: display name 'Ana Patel'\n"
    assert main(["user", "rename", "ana", "Ana\nPatel"]) == 1
    assert "display name: one line of text, without a line break" in capsys.readouterr().err
    with session_scope(db_url) as session:
        assert accounts.get_by_username(session, "ana").display_name == "Ana Patel"
        (entry,) = [e for e in audit.recent(session) if e.action == "account.rename"]
    assert (entry.target, entry.detail) == ("account:ana", "Ana Patle → Ana Patel")


def test_with_no_active_administrator_the_command_line_still_manages_other_accounts(db_url, capsys):
    """The command line is the way back when no administrator can log in: disabling or changing a
    non-administrator then is not refused as if it took the last administrator away."""
    from sqlalchemy import text

    bootstrap(db_url)
    with session_scope(db_url) as session:
        accounts.create_account(session, "bo", "correct horse battery", ["assessor"])
        session.execute(text("UPDATE account SET is_active = false WHERE username = 'admin'"))
    assert main(["user", "disable", "bo"]) == 0
    assert main(["user", "roles", "bo", "--roles", "leadership"]) == 0
    assert main(["user", "enable", "admin"]) == 0
    capsys.readouterr()
    with session_scope(db_url) as session:
        assert not accounts.get_by_username(session, "bo").is_active
        assert accounts.get_by_username(session, "admin").is_active
