"""itcap responses import | export."""

from __future__ import annotations

import argparse

from itcap.cli.common import cli_actor, output_file, record_id, set_handler



def register(subparsers: argparse._SubParsersAction) -> None:
    responses = subparsers.add_parser("responses", help="survey responses: import from CSV, export",
                                      description="Import and export a campaign's survey responses.")
    sub = responses.add_subparsers(dest="responses_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("import", help="import responses collected elsewhere (all or nothing)", description=(
        "Import responses from a UTF-8 CSV: a 'group' column (group id or name) and one column per item id; "
        "answers as codes or labels (any capitalisation), blank = not answered. Columns response_id, source "
        "and flags (as written by export) are ignored; any other column is refused. Every problem is "
        "reported with its line number and nothing is stored unless the whole file is valid."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    p.add_argument("file", metavar="FILE.csv", help="CSV file ('-' = stdin)")
    from surveys.limits import REPEAT_MIN_ANSWERS

    p.add_argument("--allow-repeats", action="store_true",
                   help="import rows that repeat a stored response (or another row) in every rated and numeric answer; "
                        f"without it they are refused as the same people counted twice (when {REPEAT_MIN_ANSWERS} or more "
                        "such answers, not all alike, coincide). A file most of whose rows a campaign already holds "
                        "(an export coming back) is refused either way")
    set_handler(p, _import)

    p = sub.add_parser("export", help="export responses as CSV, XLSX or SPSS", description=(
        "Export a campaign's responses. csv: item codes, one row per response (text a spreadsheet would run as a formula gets an apostrophe in front; import takes it off again); xlsx: a data sheet, a codebook "
        "sheet (item text, type, scale, reverse, value labels) and notes (a text longer than an Excel cell holds, 32,767 "
        "characters, is cut with a marker saying so and a warning; CSV and SPSS hold it whole); sav: SPSS with variable and value "
        "labels. By default the export is privileged (administrator: every response, ids, free text); "
        "--apply-threshold writes what other roles get: groups below the reporting threshold k left out, "
        "demographics that would single people out left out, no row ids, free text only on the xlsx comments "
        "sheet when there are enough comments."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    p.add_argument("--format", required=True, choices=("csv", "xlsx", "sav"))
    p.add_argument("--out", type=output_file, required=True, metavar="FILE", help="output file ('-' = stdout)")
    p.add_argument("--apply-threshold", action="store_true", help="apply the reporting threshold (non-admin export)")
    p.add_argument("--exclude-flagged", action="store_true", help="leave out responses with data-quality flags")
    p.add_argument("--as-reported", action="store_true",
                   help="only the responses the dashboard's and report's figures use: while the campaign is open, its "
                        "newest responses are held back in batches (docs/surveys.md); once it is closed, every response")
    p.add_argument("--instrument", type=output_file, metavar="FILE.yaml",
                   help="also write the campaign's instrument (its YAML, as stored), for 'itcap analyze --instrument'")
    set_handler(p, _export)


def _import(args: argparse.Namespace) -> int:
    from itcap.cli.campaign_cmd import survey_session
    from itcap.cli.common import CliError, read_input_bytes
    from surveys.imports import ImportInvalid, import_responses

    raw = read_input_bytes(args.file)
    where = "<stdin>" if args.file == "-" else args.file
    try:
        with survey_session() as session:
            result = import_responses(session, args.id, raw, actor=cli_actor(), where=where, allow_repeats=args.allow_repeats)
    except CliError as exc:
        if isinstance(exc.__context__, ImportInvalid):  # said once, after the problems
            exc.problems.append("nothing was imported: fix the problems above and import the whole file again")
        raise
    groups = ", ".join(f"{g} {n}" for g, n in sorted(result.by_group.items()))
    print(f"imported {result.imported} response{'' if result.imported == 1 else 's'} into campaign {args.id} ({groups})")
    if result.flagged:
        print("flagged (kept): " + ", ".join(f"{flag} {n}" for flag, n in sorted(result.flagged.items())))
    if result.ignored_columns:
        print("ignored columns: " + ", ".join(result.ignored_columns))
    return 0


def _export(args: argparse.Namespace) -> int:
    import sys

    from pathlib import Path

    from itcap.cli.campaign_cmd import survey_session
    from itcap.cli.common import CliError, check_output_folder, write_text
    from surveys.exports import audit_privileged_export, export_bytes, prepare_export, write_export
    from surveys.tables import InstrumentRecord

    suffix = Path(args.out).suffix.lower().lstrip(".")
    if args.out != "-" and suffix in ("csv", "xlsx", "sav", "xls") and suffix != args.format:
        # a .xlsx that holds CSV opens as garbage (or not at all) in Excel
        raise CliError(f"--out {args.out}: the name ends in .{suffix} but --format is {args.format}; "
                       f"name it .{args.format} or ask for --format {suffix if suffix != 'xls' else 'xlsx'}")
    for out in (args.out, args.instrument or "-"):  # before the export is prepared, or a file written
        check_output_folder(out)
    with survey_session() as session:
        data = prepare_export(session, args.id, privileged=not args.apply_threshold, exclude_flagged=args.exclude_flagged,
                              reported=args.as_reported)
        if args.instrument:
            if args.instrument == "-" or Path(args.instrument).resolve() == Path(args.out).resolve():
                raise CliError(f"--instrument {args.instrument}: name a file of its own (not '-', not the --out file)")
            write_text(session.get(InstrumentRecord, data.campaign.instrument_id).source_yaml, args.instrument)

        def audited() -> None:
            # committed before the data leaves (stdout) or takes its place (a file): a busy database or
            # a failed insert ends the command with no personal data out and no entry missing
            if data.privileged:
                audit_privileged_export(session, data, args.format, cli_actor(), exclude_flagged=args.exclude_flagged)
                session.commit()

        if args.out == "-":
            payload = export_bytes(data, args.format)
            audited()
            sys.stdout.flush()
            sys.stdout.buffer.write(payload)
            sys.stdout.buffer.flush()
        else:
            write_export(data, args.format, args.out, before_replace=audited)
    report = sys.stderr if args.out == "-" else sys.stdout  # keep stdout for the data
    print(f"{len(data.frame)} responses written to {args.out}", file=report)
    for cell in data.cut_cells:  # (xlsx) a text longer than an Excel cell holds
        print(f"warning: {args.out}: {cell}", file=sys.stderr)
    for note in data.notes[3:]:
        print(f"note: {note}", file=report)
    from surveys.campaigns import CLOSED, OPEN

    if not data.privileged and data.campaign.status != CLOSED:
        state = "still open" if data.campaign.status == OPEN else "a draft, not yet closed (imports may still add to it)"
        print(f"note: the campaign is {state}: two thresholded files taken at different times, compared, show the "
              "answers of whoever responded in between; share one taken after it closes (the dashboard offers "
              "leadership the rows only then)", file=report)
    return 0
