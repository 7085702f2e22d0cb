"""The ``itcap`` command line (DESIGN.md's CLI contract).

Exit status: 0 success, 1 bad input (one line per problem, never a traceback), 2 usage error.
Each command group lives in its own module with a ``register(subparsers)`` function.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from itcap.cli import analyze_cmd, assess_cmd, campaign_cmd, core_cmd, model_cmd, report_cmd, responses_cmd, survey_cmd, user_cmd
from itcap.cli.common import CliError, run_handler

COMMAND_MODULES = (core_cmd, user_cmd, model_cmd, assess_cmd, survey_cmd, campaign_cmd, responses_cmd, analyze_cmd, report_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="itcap",
        description=(
            "IT capability maturity assessment and IT perception surveys. "
            "The database is chosen by ITCAP_DATABASE_URL (default: SQLite file itcap.db in the current directory)."
        ),
        epilog="Exit status: 0 success, 1 bad input (one line per problem), 2 usage error.",
    )
    parser.add_argument("--version", action=_VersionAction)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


class _VersionAction(argparse.Action):
    """``itcap --version``: the release and the schema revision it brings the database to — two
    releases of one version number differ in the second, which is what an upgrade has to know. Worked
    out only when asked (Alembic's scripts are not read on every command)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                 help="print the release and its database schema revision, and exit"):
        super().__init__(option_strings=option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from itcap.migrate import known_revisions

        head, _ = known_revisions()
        print(f"itcap {_version()} (database schema {head})")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("itcap")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_handler(args)


__all__ = ["CliError", "build_parser", "main"]

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
