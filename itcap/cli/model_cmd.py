"""itcap model validate | show | load | list."""

from __future__ import annotations

import argparse

from itcap.cli.common import output_file, set_handler, write_json


def register(subparsers: argparse._SubParsersAction) -> None:
    model = subparsers.add_parser("model", help="capability models: validate, show, load, list",
                                  description="Work with capability models (YAML).")
    sub = model.add_subparsers(dest="model_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("validate", help="check a model file", description=(
        "Check a capability model file. Exit 0 if valid; otherwise exit 1 printing every problem with "
        "its location (file, capability id, field)."))
    p.add_argument("file", help="capability model YAML file")
    set_handler(p, _validate)

    p = sub.add_parser("show", help="print a model as JSON", description="Validate a model file and write its summary as JSON.")
    p.add_argument("file", help="capability model YAML file")
    p.add_argument("--json", type=output_file, default="-", metavar="OUT", help="output file ('-' = stdout, the default)")
    set_handler(p, _show)

    p = sub.add_parser("load", help="validate a model file and store it in the database",
                       description="Validate a model file and store it so assessments can use it.")
    p.add_argument("file", help="capability model YAML file")
    set_handler(p, _load)

    p = sub.add_parser("list", help="list the models in the database", description=(
        "List the capability models stored in the database, tab-separated under a header line: id (what an "
        "assessment refers to), key, version and name. Each version of a model is stored apart."))
    set_handler(p, _list)


def _validate(args: argparse.Namespace) -> int:
    from capability_model.loader import load_model_file

    model = load_model_file(args.file)
    print(f"{args.file}: valid — {model.name} (v{model.version}): {len(model.capabilities)} capabilities in "
          f"{len(model.domains)} domains, {len(model.levels)} levels, modes {' < '.join(m.name for m in model.ordered_modes)}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from capability_model.loader import load_model_file

    write_json(load_model_file(args.file).to_show_json(), args.json)
    return 0


def _load(args: argparse.Namespace) -> int:
    from capability_model.store import list_models, save_model
    from itcap.cli.common import load_document

    return load_document("model", save_model, list_models, args.file)


def _list(args: argparse.Namespace) -> int:
    from capability_model.store import list_models
    from itcap.cli.common import open_database
    from itcap.storage import session_scope

    open_database()
    with session_scope() as session:
        print("id\tkey\tversion\tname")
        for record in list_models(session):
            print(f"{record.id}\t{record.key}\tv{record.version}\t{record.name}")
    return 0
