"""itcap assess reliability | position | export | list."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from itcap.cli.common import CliError, decode_csv_bytes, output_file, read_input_bytes, record_id, set_handler, whole_number, write_json, write_text

RATINGS_HELP = ("long-format CSV with columns capability_id,assessor,level (blank level = not rated; "
                "other columns are ignored); '-' = stdin")


def register(subparsers: argparse._SubParsersAction) -> None:
    from capability_model.positioning import DEFAULT_RESAMPLES, DEFAULT_SEED, MAX_RESAMPLES

    assess = subparsers.add_parser("assess", help="assessor ratings: reliability, position, export, list",
                                   description="Inter-rater reliability and positioning from assessor ratings; stored assessments.")
    sub = assess.add_subparsers(dest="assess_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("reliability", help="inter-rater reliability of assessors (ICC, Krippendorff's alpha)", description=(
        "The six Shrout–Fleiss ICC forms with 95% CIs (capabilities not rated by every assessor are left out) and "
        "Krippendorff's alpha, ordinal (all capabilities rated by two or more assessors); an assessor with no level at "
        "all is left out. Writes "
        '{"n_capabilities", "n_assessors", "n_capabilities_icc", "icc":[{"type", "icc", "ci95"}], '
        '"krippendorff_alpha_ordinal"} (n_capabilities_icc: the capabilities ICC used); '
        "a statistic the data cannot support is null, with the reason on stderr."))
    p.add_argument("ratings", metavar="RATINGS.csv", help=RATINGS_HELP)
    p.add_argument("--json", type=output_file, default="-", metavar="OUT", help="output file ('-' = stdout, the default)")
    p.add_argument("--model", metavar="FILE", help="optional capability model: check capability ids and the level range against it")
    set_handler(p, _reliability)

    p = sub.add_parser("position", help="operating mode achieved, with bootstrap confidence and gaps", description=(
        "Consensus (median per capability), attainment and ISO/IEC 33020 rating per operating mode, the position "
        "(highest achieved mode or 'none'), its bootstrap confidence and the ranked gaps. Writes "
        '{"position", "confidence", "consensus", "modes":[{"id", "attainment", "rating", "achieved", "gaps"}]}. '
        "Capabilities nobody rated count as level 0 (listed on stderr)."))
    p.add_argument("ratings", metavar="RATINGS.csv", help=RATINGS_HELP)
    p.add_argument("--model", required=True, metavar="FILE", help="capability model YAML (its capabilities, levels and mode targets)")
    p.add_argument("--json", type=output_file, default="-", metavar="OUT", help="output file ('-' = stdout, the default)")
    p.add_argument("--seed", type=whole_number(0), default=DEFAULT_SEED, help=f"bootstrap random seed (default {DEFAULT_SEED})")
    p.add_argument("--resamples", type=whole_number(1, MAX_RESAMPLES), default=DEFAULT_RESAMPLES,
                   help=f"bootstrap resamples (default {DEFAULT_RESAMPLES}, at most {MAX_RESAMPLES:,}); when n assessors "
                        "have no more than this many possible draws (nⁿ: 27 for three, 256 for four), every draw is "
                        "taken once instead — the exact bootstrap, the same for any seed")
    p.add_argument("--overrides", metavar="FILE", help=(
        "optional CSV of the lead assessor's consensus overrides (capability_id,level[,…]) as written by "
        "'itcap assess export --overrides'"))
    set_handler(p, _position)

    p = sub.add_parser("export", help="write a stored assessment's ratings as long-format CSV", description=(
        "Write the ratings of a stored assessment as capability_id,assessor,level (the format 'assess position' "
        "and 'assess reliability' read), so the app's figures can be reproduced headless."))
    p.add_argument("assessment_id", metavar="ASSESSMENT_ID", type=record_id)
    p.add_argument("--out", type=output_file, required=True, metavar="FILE.csv", help="output file ('-' = stdout)")
    p.add_argument("--overrides", type=output_file, metavar="FILE.csv", help="also write the consensus overrides in force to this file")
    p.add_argument("--model", type=output_file, metavar="FILE.yaml", help="also write the assessment's capability model (its YAML, as stored)")
    set_handler(p, _export)

    p = sub.add_parser("list", help="list the stored assessments", description=(
        "List the assessments, tab-separated under a header line: id (what 'assess export' and 'report' take), "
        "date, status, name, organisation unit, capability model and version, how many assessors have submitted, "
        "and the lead assessor's username."))
    set_handler(p, _list)


def _read_ratings(path: str, model=None):
    from assessment.ratings_csv import parse_ratings_csv

    where = "<stdin>" if path == "-" else path
    text = decode_csv_bytes(read_input_bytes(path), where)
    return parse_ratings_csv(text, where, model=model)


def _warn(lines: list[str]) -> None:
    for line in lines:
        print(f"note: {line}", file=sys.stderr)


def _reliability(args: argparse.Namespace) -> int:
    from assessment.reliability import reliability

    model = None
    if args.model:
        from capability_model.loader import load_model_file

        model = load_model_file(args.model)
    table = _read_ratings(args.ratings, model)
    # The targets are the capabilities that appear in the file, not every capability of the model.
    row_of = {cap: row for row, cap in enumerate(table.capability_ids)}  # (list.index per row: quadratic)
    rows = [row_of[cap] for cap in table.listed]
    report = reliability(table.levels[rows])
    write_json(report.to_json(), args.json)
    _warn(report.notes)
    return 0


def _position(args: argparse.Namespace) -> int:
    from assessment.ratings_csv import parse_overrides_csv
    from capability_model.loader import load_model_file
    from capability_model.positioning import position

    model = load_model_file(args.model)
    table = _read_ratings(args.ratings, model)
    overrides = None
    if args.overrides:
        overrides = parse_overrides_csv(decode_csv_bytes(read_input_bytes(args.overrides), args.overrides), args.overrides, model=model)
    result = position(model, table.levels, overrides, seed=args.seed, resamples=args.resamples)
    write_json(result.to_json(), args.json)
    _warn(result.notes)
    return 0


def _export(args: argparse.Namespace) -> int:
    from assessment.ratings_csv import write_overrides_csv, write_ratings_csv
    from assessment.service import AssessmentError, export_overrides, export_rows, get_assessment
    from capability_model.store import get_record
    from itcap.cli.common import check_output_folder, open_database
    from itcap.storage import session_scope

    # Two outputs on one file: the one written last would silently replace the other (as responses
    # export --instrument, refused).
    taken: dict[object, str] = {}
    for option, out in (("--out", args.out), ("--overrides", args.overrides), ("--model", args.model)):
        if out is None:
            continue
        key = out if out == "-" else Path(out).resolve()
        if key in taken:
            raise CliError(f"{option} {out}: name a file of its own (not the {taken[key]} file"
                           + (", which is stdout" if out == "-" else "") + ")")
        taken[key] = option
        check_output_folder(out)
    open_database()
    try:
        with session_scope() as session:
            rows = export_rows(session, args.assessment_id)
            text = write_ratings_csv(rows)
            overrides = write_overrides_csv(export_overrides(session, args.assessment_id)) if args.overrides else None
            model = get_record(session, get_assessment(session, args.assessment_id).model_id).source_yaml if args.model else None
    except AssessmentError as exc:
        raise CliError(str(exc)) from None
    # All files or none: the extra files are written first, so a failure leaves no ratings file
    # behind that would be read as the whole export.
    extras = [(content, path) for content, path in ((model, args.model), (overrides, args.overrides)) if content is not None]
    written: list[str] = []
    try:
        for content, path in [*extras, (text, args.out)]:
            write_text(content, path)
            written.append(path)
    except CliError:
        for path in written:
            if path != "-":
                Path(path).unlink(missing_ok=True)
        raise
    # say what was written, as the other exports do (on stderr when the ratings go to stdout)
    extra = [path for path in written[:-1] if path != "-"]
    also = f"; also written: {', '.join(extra)}" if extra else ""
    if args.out != "-":
        given = sum(1 for *_, level in rows if level is not None)
        blank = f" and {len(rows) - given:,} not rated (blank)" if len(rows) > given else ""
        print(f"{given:,} ratings{blank} written to {args.out}{also}")
    elif extra:
        print(also.removeprefix("; "), file=sys.stderr)
    return 0


def _list(args: argparse.Namespace) -> int:
    from assessment.service import assessment_summary, list_assessments
    from capability_model.tables import CapabilityModelRecord
    from itcap.cli.common import open_database
    from itcap.storage import session_scope

    open_database()
    with session_scope() as session:
        print("id\tdate\tstatus\tname\tunit\tmodel\tsubmitted\tlead assessor")
        listed = list_assessments(session)
        if not listed:  # on stderr: the table stays a table for scripts
            import sys

            print("no assessments yet: an administrator creates one on the Assessments page; 'itcap demo' loads "
                  "an example", file=sys.stderr)
        for assessment in listed:
            record = session.get(CapabilityModelRecord, assessment.model_id)
            facts = assessment_summary(session, assessment.id)
            model = f"{record.key} v{record.version}" if record else f"model {assessment.model_id}"
            print(f"{assessment.id}\t{assessment.assessed_on.isoformat()}\t{assessment.status}\t{assessment.name}\t"
                  f"{assessment.org_unit}\t{model}\t{facts['submitted']}/{facts['assessors']} submitted\t{facts['lead'] or '-'}")
    return 0
