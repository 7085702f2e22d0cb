"""itcap report: the leadership report as HTML or PDF."""

from __future__ import annotations

import argparse
from pathlib import Path

from itcap.cli.common import CliError, output_file, set_handler
from itcap.validation import cannot_write


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", help="write the leadership report (HTML or PDF)", description=(
        "Write the leadership report: executive summary, charts, recommendations and a methods appendix, with the "
        "reporting threshold applied. ID is the assessment to report on (default: the newest with ratings); --campaign picks "
        "the survey campaign (default: the newest with results to report, as the dashboard opens on). The format follows the file name: .html or .pdf."))
    p.add_argument("id", nargs="?", type=int, metavar="ID", help="assessment id (default: the newest assessment with ratings)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--campaign", type=int, metavar="CAMPAIGN_ID", help="survey campaign id (default: the newest with results to report; an opened campaign before a draft)")
    which.add_argument("--no-campaign", action="store_true", help="report the assessment only")
    p.add_argument("--exclude-flagged", action="store_true",
                   help="leave out survey responses flagged for data quality (as the dashboard's toggle does)")
    p.add_argument("--out", type=output_file, required=True, metavar="report.html|report.pdf")
    set_handler(p, _report)


def _report(args: argparse.Namespace) -> int:
    from itcap.report import NothingToReport, build_report, write_report
    from itcap.cli.common import open_database
    from itcap.storage import session_scope

    out = Path(args.out)
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise CliError(f"{args.out}: the report is written as .html or .pdf; name the file accordingly")
    open_database()
    with session_scope() as session:
        if args.id is not None:
            from assessment.tables import Assessment

            if session.get(Assessment, args.id) is None:
                raise CliError(f"no assessment with id {args.id} (see 'itcap assess list')")
        if args.campaign is not None:
            from surveys.tables import Campaign

            if session.get(Campaign, args.campaign) is None:
                raise CliError(f"no campaign with id {args.campaign} (see 'itcap campaign list')")
        try:
            content = build_report(session, args.id, args.campaign, include_campaign=not args.no_campaign,
                                   exclude_flagged=args.exclude_flagged)
        except NothingToReport as exc:
            raise CliError(str(exc)) from None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_report(content, out)
    except OSError as exc:
        raise CliError(cannot_write(args.out, exc)) from None
    print(f"report written to {out}")
    return 0
