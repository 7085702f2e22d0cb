"""itcap user add | list | password | roles."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import os
import sys
import warnings

from itcap.cli.common import CliError, cli_actor, set_handler


def register(subparsers: argparse._SubParsersAction) -> None:
    user = subparsers.add_parser("user", help="accounts: add, list, password, enable, disable, roles, rename",
                                 description="Manage accounts (administrators, lead assessors, assessors, leadership).")
    sub = user.add_subparsers(dest="user_command", metavar="SUBCOMMAND", required=True)
    roles_help = "roles, comma-separated: admin, lead_assessor, assessor, leadership"

    p = sub.add_parser("add", help="create an account", description=(
        "Create an account. The password is read from ITCAP_NEW_PASSWORD, or generated and printed once."))
    p.add_argument("username")
    p.add_argument("--roles", required=True, help=roles_help)
    p.add_argument("--name", default="", help="display name")
    set_handler(p, _add)

    p = sub.add_parser("list", help="list accounts", description=(
        "List every account, one per line, tab-separated: username, roles, active or disabled, display name."))
    set_handler(p, _list)

    p = sub.add_parser("password", help="set a new password (prompted, or ITCAP_NEW_PASSWORD); also lifts a lockout",
                       description=(
        "Set an account's password: typed twice at the prompt (not shown), or read from ITCAP_NEW_PASSWORD for "
        "scripts. It must meet the password rules (docs/authentication.md). Setting it also lifts a lockout after "
        "failed logins."))
    p.add_argument("username")
    set_handler(p, _password)

    p = sub.add_parser("enable", help="re-enable a disabled account (also the way back if no administrator can log in)",
                       description=(
        "Re-enable a disabled account, so it can log in again with its password. From the command line this is "
        "also the way back in when no administrator can log in."))
    p.add_argument("username")
    set_handler(p, _enable)

    p = sub.add_parser("disable", help="disable an account (refused for the last active administrator)", description=(
        "Disable an account: it can no longer log in, and what it did (ratings, audit entries) is kept. Refused "
        "for the last active administrator."))
    p.add_argument("username")
    set_handler(p, _disable)

    p = sub.add_parser("rename", help="change an account's display name", description=(
        "Change how the person appears on pages, in assessments and in reports (the username, which they log in "
        "with, stays). Audited."))
    p.add_argument("username")
    p.add_argument("name", help="the new display name: one line, at most 200 characters ('' = the username)")
    set_handler(p, _rename)

    p = sub.add_parser("roles", help="replace an account's roles", description=(
        "Replace an account's roles with those given (not added to them). Refused if it would leave no active "
        "administrator."))
    p.add_argument("username")
    p.add_argument("--roles", required=True, help=roles_help)
    set_handler(p, _roles)


def _session():
    from itcap.cli.common import open_database
    from itcap.storage import session_scope

    open_database()
    return session_scope()


@contextlib.contextmanager
def _named_account(username: str):
    """(session, the account named ``username``) in one transaction; no such account, or a change
    the account rules refuse (AccountError), ends the command with the reason (and rolls back)."""
    from itcap import accounts

    try:
        with _session() as session:
            account = accounts.get_by_username(session, username)
            if account is None:
                raise CliError(f"no account named {username!r}")
            yield session, account
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from None


def _add(args: argparse.Namespace) -> int:
    from itcap import accounts

    try:
        with _session() as session:
            account, generated = accounts.add_account(session, args.username, args.roles, actor=cli_actor(),
                                                      display_name=args.name,
                                                      password=os.environ.get("ITCAP_NEW_PASSWORD") or None)
    except accounts.AccountError as exc:
        raise CliError(str(exc)) from None
    print(f"created {args.username} ({account.roles or 'no role'})")
    _say_if_no_role(account)
    if generated:
        print(f"password (shown once): {generated}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from itcap import accounts

    with _session() as session:
        for account in accounts.list_accounts(session):
            state = "active" if account.is_active else "disabled"
            print(f"{account.username}\t{account.roles}\t{state}\t{account.display_name}")
    return 0


def _ask_password() -> str:
    """Typed twice, as a password nobody sees while typing must be: a typo would lock its owner out.
    Without a terminal (a pipe, </dev/null) getpass reads stdin and warns that it cannot hide the
    typing, with a line of its own source that reads like a traceback: that warning is left out."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            password = getpass.getpass("new password: ")
            if getpass.getpass("the same again: ") != password:
                raise CliError("the two passwords typed differ: nothing changed")
        return password
    except EOFError:  # no terminal and no ITCAP_NEW_PASSWORD
        print(file=sys.stderr)  # end the prompt's line: the error gets one of its own
        how = "type it at the prompt" if sys.stdin.isatty() else "there is no terminal to type it at (stdin is not one)"
        raise CliError(f"no password given: {how}; or set ITCAP_NEW_PASSWORD") from None


def _password(args: argparse.Namespace) -> int:
    from itcap import accounts, audit

    with _session() as session:  # the account first: no password asked for an account that is not there
        if accounts.get_by_username(session, args.username) is None:
            raise CliError(f"no account named {args.username!r}")
    password = os.environ.get("ITCAP_NEW_PASSWORD") or _ask_password()
    with _named_account(args.username) as (session, account):
        accounts.set_password(session, account, password)
        audit.record(session, cli_actor(), "account.password", f"account:{account.username}")
    print(f"password changed for {args.username}")
    return 0


def _rename(args: argparse.Namespace) -> int:
    from itcap import accounts

    with _named_account(args.username) as (session, account):
        changed = accounts.rename(session, account, args.name, actor=cli_actor())
        shown = account.display_name
    print(f"{args.username}: display name {shown!r}" + ("" if changed else " (unchanged)"))
    return 0


def _roles(args: argparse.Namespace) -> int:
    from itcap import accounts

    with _named_account(args.username) as (session, account):
        changed = accounts.change_roles(session, account, args.roles, actor=cli_actor())
        roles = account.roles
    print(f"{args.username}: {roles or 'no role'}" + ("" if changed else " (unchanged)"))
    _say_if_no_role(account)
    return 0


def _say_if_no_role(account) -> None:
    """An account without a role is allowed (as on the Accounts page: roles can come later), but
    easy to give by mistake (--roles '')."""
    if not account.roles:
        print(f"note: {account.username} has no role: they can log in but see only 'My account'; "
              f"give roles with: itcap user roles {account.username} --roles …", file=sys.stderr)


def _set_active(username: str, active: bool) -> int:
    from itcap import accounts

    with _named_account(username) as (session, account):
        # nothing changes, nothing is logged (as on the Accounts page)
        changed = accounts.set_active(session, account, active, actor=cli_actor())
    state = "enabled" if active else "disabled"
    print(f"{username}: {state}" if changed else f"{username}: already {state}; nothing changed")
    return 0


def _enable(args: argparse.Namespace) -> int:
    return _set_active(args.username, True)


def _disable(args: argparse.Namespace) -> int:
    return _set_active(args.username, False)
