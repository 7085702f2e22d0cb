"""itcap survey validate | show | load | list."""

from __future__ import annotations

import argparse
import sys

from itcap.cli.common import output_file, set_handler, write_json


def register(subparsers: argparse._SubParsersAction) -> None:
    survey = subparsers.add_parser("survey", help="survey instruments: validate, show, load, list",
                                   description="Work with survey instruments (YAML).")
    sub = survey.add_subparsers(dest="survey_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("validate", help="check an instrument file", description=(
        "Check a survey instrument file. Exit 0 if valid; otherwise exit 1 printing every problem with "
        "its location (file, section, item id, field). A scale tagged with an operating mode or a finding "
        "category the capability model lacks (a typo such as 'suplier') is a warning on stderr: the survey's "
        "reading of the mode would leave that scale out, the recommendations its findings."))
    p.add_argument("file", help="survey instrument YAML file")
    p.add_argument("--model", metavar="FILE", help="capability model YAML whose modes and categories the scales should "
                   "name (default: the shipped ITIL-aligned model)")
    set_handler(p, _validate)

    p = sub.add_parser("show", help="print an instrument as JSON", description=(
        "Validate an instrument file and write its summary as JSON: "
        '{"id", "name", "groups":[{"id", "name"}], "scales":[{"id", "name", "mode"}], '
        '"items":[{"id", "type", "scale", "reverse", "min", "max", "groups"}]}.'))
    p.add_argument("file", help="survey instrument YAML file")
    p.add_argument("--json", type=output_file, default="-", metavar="OUT", help="output file ('-' = stdout, the default)")
    set_handler(p, _show)

    p = sub.add_parser("load", help="validate an instrument file and store it in the database", description=(
        "Validate an instrument file and store it so campaigns can use it. Loading the same id and version "
        "again is a no-op; different content under the same version is refused."))
    p.add_argument("file", help="survey instrument YAML file")
    set_handler(p, _load)

    p = sub.add_parser("list", help="list the instruments in the database", description=(
        "List the survey instruments stored in the database, tab-separated under a header line: id, key, version "
        "and name. Each version of an instrument is stored apart."))
    set_handler(p, _list)


def _validate(args: argparse.Namespace) -> int:
    from capability_model.loader import load_default_model, load_model_file
    from itcap.validation import read_text
    from surveys.instrument import model_fit_warnings, parse_instrument

    text = read_text(args.file)
    inst = parse_instrument(text, args.file)
    model = load_model_file(args.model) if args.model else load_default_model()
    for warning in model_fit_warnings(inst, [model], args.file, text):
        print(f"warning: {warning}", file=sys.stderr)
    print(f"{args.file}: valid — {inst.name} (v{inst.version}): {len(inst.items)} items in {len(inst.sections)} sections, "
          f"{len(inst.scales)} scales, groups {', '.join(inst.group_ids())}")
    if len(inst.group_ids()) > 2:
        print(f"note: {len(inst.group_ids())} groups: the dashboard and the report compare two at a time — the first "
              "two with enough responses unless another pair is chosen ('Groups compared'; itcap report --groups A B; "
              "itcap analyze --groups)", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    from surveys.instrument import load_instrument_file

    write_json(load_instrument_file(args.file).to_show_json(), args.json)
    return 0


def _load(args: argparse.Namespace) -> int:
    from itcap.cli.common import load_document
    from surveys.store import list_instruments, save_instrument

    return load_document("instrument", save_instrument, list_instruments, args.file)


def _list(args: argparse.Namespace) -> int:
    from itcap.cli.common import open_database
    from itcap.storage import session_scope
    from surveys.store import list_instruments

    open_database()
    with session_scope() as session:
        print("id\tkey\tversion\tname")
        for record in list_instruments(session):
            print(f"{record.id}\t{record.key}\tv{record.version}\t{record.name}")
    return 0
