"""itcap init | demo | serve."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from itcap.cli.common import set_handler, whole_number


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("init", help="create or upgrade the database", description=(
        "Create or upgrade the database schema (Alembic), load the shipped capability model and survey "
        "instrument, and create the first administrator 'admin' if no account exists. The password is "
        "ITCAP_ADMIN_PASSWORD if set, otherwise a random one printed once."))
    set_handler(p, _init)

    p = subparsers.add_parser("demo", help="load a demo organisation", description=(
        "Load a demo organisation: the default model, an assessment with three assessors whose ratings "
        "disagree realistically, a perception survey campaign with responses, and demo accounts whose "
        "passwords are printed once. Meant for a fresh database: one already in use (assessments, campaigns, "
        "other accounts) is refused unless --force; run again on a database that has the demo, it says "
        "'demo already loaded' and changes nothing (exit 0)."))
    p.add_argument("--seed", type=whole_number(0, 2**32 - 1), default=2026, help="random seed for the generated data (default 2026)")
    p.add_argument("--force", action="store_true",
                   help="load it into a database already in use (assessments, campaigns, other accounts); refused without")
    set_handler(p, _demo)

    p = subparsers.add_parser("serve", help="run the web app (streamlit)", description=(
        "Run the Streamlit app (settings in .streamlit/config.toml). Streamlit options go after '--', e.g. "
        "'itcap serve -- --server.fileWatcherType auto' to reload on save while developing."))
    p.add_argument("--port", type=whole_number(1, 65535), default=8501, help="port to serve on (default 8501)")
    p.add_argument("--address", default="127.0.0.1", help="address to bind (default 127.0.0.1; use 0.0.0.0 behind a proxy)")
    p.add_argument("streamlit_options", nargs="*", metavar="-- STREAMLIT_OPTION", help="passed to 'streamlit run' as given")
    set_handler(p, _serve)


def _init(args: argparse.Namespace) -> int:
    from itcap.bootstrap import bootstrap
    from itcap.cli.common import check_database_url
    from itcap.storage import database_url

    check_database_url(database_url())
    _report_setup(bootstrap())
    return 0


def _report_setup(result) -> None:
    """What ``init`` (and ``demo`` on a new database) did: the database, how its schema moved, the
    first administrator's password when one was generated — the only time it is ever shown."""
    from itcap.bootstrap import safe_url
    from itcap.storage import sqlite_file

    print(f"database ready: {safe_url(result.url)} ({result.schema_change})")
    if result.readable_by_others:
        print(f"note: {sqlite_file(result.url)} can be read by other accounts on this machine (mode "
              f"{result.readable_by_others}); it holds password hashes and survey answers: chmod 600 it "
              "(and its -wal and -shm files)")
    if result.admin_created:
        if result.generated_admin_password:
            print("created administrator 'admin' with password (shown once, store it now):")
            print(f"  {result.generated_admin_password}")
        else:
            print("created administrator 'admin' with the password from ITCAP_ADMIN_PASSWORD")


def _demo(args: argparse.Namespace) -> int:
    from itcap.bootstrap import bootstrap
    from itcap.demo import load_demo

    from itcap.cli.common import check_database_url
    from itcap.storage import database_url

    check_database_url(database_url())
    setup = bootstrap()
    if setup.admin_created:  # a new database: its administrator's password is shown here or never
        _report_setup(setup)
    report = load_demo(seed=args.seed, force=args.force)
    print(report)
    return 0


def _project_config_options(project: Path) -> list[str]:
    """The project's ``.streamlit/config.toml`` as command-line options, when serving from another
    directory: Streamlit reads that file only from the working directory, and without it the server
    would show error details, watch files and accept any upload size. A config.toml in the working
    directory is the deployer's own and is left to Streamlit."""
    import tomllib

    config_file = project / ".streamlit" / "config.toml"
    if (Path.cwd() / ".streamlit" / "config.toml").exists() or not config_file.exists():
        return []
    with open(config_file, "rb") as file:
        config = tomllib.load(file)
    return [option for section, values in config.items() for key, value in values.items()
            for option in (f"--{section}.{key}", str(value).lower() if isinstance(value, bool) else str(value))]


def _address_problem(address: str, port: int) -> str | None:
    """Why the server could not listen on ``address``:``port``, said before it starts (Streamlit
    itself ends a bad address with a traceback); None when it can."""
    import errno
    import socket

    try:
        found = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        return f"--address {address!r}: not an address of this machine or a name that resolves ({getattr(exc, 'strerror', None) or exc})"
    family, kind, protocol, _, where = found[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(where)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {address} is in use by another program: choose another with --port"
            return f"cannot listen on {address} port {port}: {exc.strerror or exc}"
    return None


# Streamlit takes an app with a pages/ folder for an old-style multipage app until app.py has called
# st.navigation once in the process: a server's first visitors who open a page's address (a bookmark,
# a reloaded tab after a restart) rather than / got the page file run on its own — every file in pages/
# listed in the sidebar (admin ones too), no sidebar of the app's (Log out), not its wide layout — until
# someone opened /. itcap is navigation-only: that is set before the server starts (the tests' servers
# start the same way).
STREAMLIT_MAIN = ("from streamlit.runtime.pages_manager import PagesManager; PagesManager.uses_pages_directory = False; "
           "from streamlit.web.cli import main; main(prog_name='streamlit')")


def _serve(args: argparse.Namespace) -> int:
    app = Path(__file__).resolve().parents[2] / "app.py"
    if not app.exists():
        print("error: app.py not found next to the itcap package; run from a checkout (pip install -e .)", file=sys.stderr)
        return 1
    if problem := _address_problem(args.address, args.port):
        print(f"error: {problem}", file=sys.stderr)
        return 1
    # -P: no working directory on sys.path. "python -m" puts it first, so a stray html.py (or any
    # module named like one the server imports) in the folder the server is started from would
    # shadow the standard library, and run. app.py's own imports resolve from its folder, which
    # "streamlit run" puts on the path itself.
    command = [sys.executable, "-P", "-c", STREAMLIT_MAIN, "run", str(app), "--server.port", str(args.port),
               "--server.address", args.address, "--browser.gatherUsageStats", "false",
               *_project_config_options(app.parent), *args.streamlit_options]
    sys.stdout.flush()
    sys.stderr.flush()
    # The server replaces this process (same pid): a stop signal from kill, Docker or a supervisor
    # reaches Streamlit itself, instead of ending a parent that left the server running.
    os.execv(sys.executable, command)
    return 0  # not reached
