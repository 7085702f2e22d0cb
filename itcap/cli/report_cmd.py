"""itcap report: the leadership report as HTML or PDF."""

from __future__ import annotations

import argparse
from pathlib import Path

from itcap.cli.common import CliError, check_output_folder, output_file, record_id, set_handler
from itcap.validation import cannot_write


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("report", help="write the leadership report (HTML or PDF)", description=(
        "Write the leadership report: executive summary, charts, recommendations and a methods appendix, with the "
        "reporting threshold applied. ID is the assessment to report on (default: the newest with ratings); --campaign picks "
        "the survey campaign (default: the newest with results to report, as the dashboard opens on). The format follows the file name: .html or .pdf."))
    p.add_argument("id", nargs="?", type=record_id, metavar="ID", help="assessment id (default: the newest assessment with ratings)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--campaign", type=record_id, metavar="CAMPAIGN_ID", help="survey campaign id (default: the newest with results to report; an opened campaign before a draft)")
    which.add_argument("--no-campaign", action="store_true", help="report the assessment only")
    p.add_argument("--groups", nargs=2, metavar=("A", "B"),
                   help="the two survey groups to compare, by id or name (default: the instrument's first two with at "
                        "least k responses; as the dashboard's 'Groups compared')")
    p.add_argument("--exclude-flagged", action="store_true",
                   help="leave out survey responses flagged for data quality (as the dashboard's toggle does)")
    p.add_argument("--out", type=output_file, required=True, metavar="report.html|report.pdf")
    set_handler(p, _report)


def _report(args: argparse.Namespace) -> int:
    from itcap.report import NothingToReport, build_report, write_report
    from itcap.cli.common import open_database
    from itcap.storage import session_scope

    out = Path(args.out)
    if out.is_dir():  # before the suffix: "./" is no badly named file
        raise CliError(cannot_write(args.out, IsADirectoryError(21, "Is a directory", args.out)))
    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise CliError(f"{args.out}: the report is written as .html or .pdf; name the file accordingly")
    check_output_folder(args.out)  # before the report is built, which takes a while
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
        groups = _groups(session, args) if args.groups else None
        try:
            content = build_report(session, args.id, args.campaign, include_campaign=not args.no_campaign,
                                   exclude_flagged=args.exclude_flagged, groups=groups)
        except NothingToReport as exc:
            raise CliError(str(exc)) from None
    try:
        write_report(content, out)
    except OSError as exc:
        raise CliError(cannot_write(args.out, exc)) from None
    print(f"report written to {out}")
    if groups and content.campaign is not None and content.campaign.comparison is not None \
            and set(content.campaign.compared) != set(groups):
        import sys

        names = " and ".join(content.campaign.instrument.group_name(g) for g in content.campaign.compared)
        print(f"note: {' or '.join(groups)} has fewer responses than the reporting threshold; the report compares {names}",
              file=sys.stderr)
    return 0


def _groups(session, args: argparse.Namespace) -> list[str]:
    """--groups as the campaign's group ids (by id or name in any letter case), in instrument order."""
    from itcap import insights
    from surveys.campaigns import get_campaign
    from surveys.errors import SurveyError
    from surveys.invitations import campaign_group

    if args.no_campaign:
        raise CliError("--groups compares survey groups: it does not go with --no-campaign")
    campaign_id = args.campaign if args.campaign is not None else insights.default_campaign_id(session)
    if campaign_id is None:
        raise CliError("--groups: there is no survey campaign with results to compare groups in")
    campaign = get_campaign(session, campaign_id)
    try:
        ids = [campaign_group(session, campaign, g) for g in args.groups]
    except SurveyError as exc:
        raise CliError(f"--groups: {exc}") from None
    if ids[0] == ids[1]:
        raise CliError(f"--groups: {args.groups[0]!r} and {args.groups[1]!r} are the same group; name two different ones")
    return ids
