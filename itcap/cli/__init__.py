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
    parser.add_argument("--version", action="version", version=f"itcap {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


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
