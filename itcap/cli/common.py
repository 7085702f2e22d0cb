"""Helpers every command shares: error handling, JSON output, reading CSV files."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from itcap.validation import DocumentInvalid, cannot_write, decode_text


class CliError(Exception):
    """Bad input: the handler prints each problem on its own line and exits 1."""

    def __init__(self, problems: str | Iterable[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class UsageError(CliError):
    """The command line itself is wrong (options that do not go together, or none given): exit 2."""


def cli_actor() -> str:
    """Who the audit log names for a command-line action: "cli:" and the operating-system account
    that ran it (the database has no itcap login for the CLI; this is the next best "who")."""
    import getpass

    try:
        user = getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this uid (a container): say so rather than fail
        user = "unknown"
    return f"cli:{user}"[:80]


def load_document(noun: str, save: Callable[..., Any], listed: Callable[[Any], list], path: str) -> int:
    """``itcap model load`` / ``itcap survey load``: store the file through ``save`` and say whether it
    was new, or already there with exactly this content (a repeat load changes nothing)."""
    from itcap.storage import session_scope
    from itcap.validation import read_text

    text = read_text(path)
    open_database()
    with session_scope() as session:
        before = {record.id for record in listed(session)}
        record = save(session, text, actor=cli_actor(), where=path)
        if record.id in before:
            print(f"{noun} {record.key} v{record.version} is already stored with exactly this content as id {record.id}: nothing changed")
        else:
            print(f"{noun} {record.key} v{record.version} stored as id {record.id}")
    return 0


def whole_number(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type``: a whole number within [low, high]; anything else is a usage error (exit 2)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = (f"between {low:,} and {high:,}" if low is not None and high is not None
                      else f"at least {low:,}" if low is not None else f"at most {high:,}")
            raise argparse.ArgumentTypeError(f"must be {bounds}, not {value:,}")
        return value
    return parse


# Campaigns, assessments and the rest are keyed by PostgreSQL INTEGER: a larger id names no row on
# either database, and asked for, PostgreSQL refused it as "integer out of range" and SQLite
# overflowed. Every id argument parses through this, so it is a usage error naming the argument.
MAX_ID = 2**31 - 1
record_id = whole_number(1, MAX_ID)


def set_handler(parser: argparse.ArgumentParser, handler: Callable[[argparse.Namespace], int | None]) -> None:
    parser.set_defaults(handler=handler)


def run_handler(args: argparse.Namespace) -> int:
    handler = getattr(args, "handler", None)
    if handler is None:  # a command group given without its subcommand
        print("itcap: error: missing subcommand (see --help)", file=sys.stderr)
        return 2
    try:
        refuse_writing_over_inputs(args)
        result = handler(args)
        sys.stdout.flush()  # here, so that a reader gone away (… | head) is caught below, not at exit
    except BrokenPipeError:
        # the reader took what it wanted and closed the pipe: not a failure of this command
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # as a process ended by SIGPIPE
    except (CliError, DocumentInvalid) as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the contract is "never a traceback"
        from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

        from itcap.bootstrap import BootstrapError
        from itcap.storage import NotAnItcapDatabase

        if isinstance(exc, (NotAnItcapDatabase, BootstrapError)):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        if isinstance(exc, DatabaseError) and "locked" in str(exc.orig or exc).lower():
            print("error: the database is busy: another program is writing to it or holds it open (the app, "
                  "another itcap command, a backup); try again in a moment", file=sys.stderr)
            return 1
        if isinstance(exc, DatabaseError):  # cannot connect, or a file that is not a database
            from itcap.storage import database_url, is_sqlite

            if is_sqlite(database_url()) and "not a database" in str(exc.orig or exc):
                # 'itcap init' would fail on that file the same way: say what does help
                where = Path(database_url().split("///", 1)[-1]).expanduser().resolve()
                print(f"error: {where} is not a SQLite database ({_first_line(exc.orig or exc)}): point "
                      "ITCAP_DATABASE_URL at itcap's database, or move that file away and run 'itcap init' to create "
                      "a new one there", file=sys.stderr)
                return 1
            print(f"error: cannot use the database ({_first_line(exc.orig or exc)}{_url_hint(database_url())}); check "
                  "ITCAP_DATABASE_URL and run 'itcap init'", file=sys.stderr)
            return 1
        if isinstance(exc, (ArgumentError, NoSuchModuleError)):
            from itcap.storage import database_url

            print(f"error: {_bad_url_message(database_url(), exc)}", file=sys.stderr)
            return 1
        print(f"error: unexpected failure: {type(exc).__name__}: {_first_line(exc)}", file=sys.stderr)
        return 1
    return int(result or 0)


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def to_jsonable(value: Any) -> Any:
    """NaN/inf become null (JSON has no NaN); numpy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


class OutputPath(str):
    """A file name given to an output option (``output_file``): told apart from the command's inputs,
    which are plain strings in the parsed arguments."""


def output_file(value: str) -> str:
    """An argparse type for ``--out``/``--json``: a file name or ``-``. A name ending in a slash is a
    folder's (``foo.json/`` was written as a file ``foo.json``)."""
    if value == "-":
        return OutputPath(value)
    if not value.strip():
        raise argparse.ArgumentTypeError("no file name given")
    trimmed = value.rstrip("/" + os.sep)
    if trimmed != value and trimmed not in ("", ".", "..") and not Path(trimmed).is_dir():  # a folder: said when writing
        raise argparse.ArgumentTypeError(f"{value!r} ends with '/', which names a folder; give a file name "
                                         f"(did you mean {trimmed!r}?)")
    return OutputPath(value)


def refuse_writing_over_inputs(args: argparse.Namespace) -> None:
    """Before any work: no output option names a file the command reads (``survey show i.yaml --json
    i.yaml`` left the instrument holding JSON) or the SQLite database itself and its journal files
    (``--out itcap.db`` replaced every response with a CSV of them)."""
    def same(a: str | Path, b: str | Path) -> bool:  # (a file that cannot be looked at is not the same file)
        try:
            return os.path.samefile(a, b)
        except OSError:
            return False

    values = [v for value in vars(args).values() for v in (value if isinstance(value, list) else [value])]
    outputs = [v for v in values if isinstance(v, OutputPath) and v != "-" and os.path.exists(v)]
    if not outputs:
        return
    inputs = [v for v in values if isinstance(v, str) and not isinstance(v, OutputPath) and v != "-" and os.path.isfile(v)]
    from itcap.storage import database_url, sqlite_file

    database = sqlite_file(database_url())
    kept = [] if database is None else [Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm", "-journal")]
    problems = []
    for out in outputs:
        if clash := next((i for i in inputs if same(out, i)), None):
            problems.append(f"{out}: is also this command's input{'' if clash == out else f' ({clash})'}; writing there "
                            "would destroy it — give the output another file name")
        elif any(same(out, f) for f in kept):
            problems.append(f"{out}: is the itcap database ({database}); writing there would destroy it — give the "
                            "output another file name")
    if problems:
        raise CliError(problems)


def check_output_folder(out: str) -> None:
    """The folder ``out`` goes in is there: said before the work whose result it takes, not after."""
    if out != "-" and not Path(out).parent.is_dir():
        raise CliError(cannot_write(out, FileNotFoundError(2, "No such file or directory", out)))


def write_text(text: str, out: str) -> None:
    """``text`` to the file ``out`` (in a folder that exists: none is created), or to stdout for ``-``;
    a failure is a CliError."""
    if out == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(out).write_text(text, encoding="utf-8", newline="")
    except OSError as exc:
        raise CliError(cannot_write(out, exc)) from None


def write_json(document: Any, out: str) -> None:
    write_text(json.dumps(to_jsonable(document), indent=2, ensure_ascii=False, allow_nan=False) + "\n", out)


MAX_INPUT_BYTES = 512 * 1024 * 1024


def read_input_bytes(path: str, max_bytes: int | None = None) -> bytes:
    """Bytes of an input file ('-' = stdin), with file-level errors phrased for people; at most
    ``max_bytes`` (default :data:`MAX_INPUT_BYTES`), from a pipe or a device too."""
    from itcap.validation import read_at_most, too_large

    max_bytes = MAX_INPUT_BYTES if max_bytes is None else max_bytes
    if path == "-":
        raw = read_at_most(sys.stdin.buffer, max_bytes)
        if len(raw) > max_bytes:
            raise CliError(f"<stdin>: {too_large(None, max_bytes)}")
        return raw
    p = Path(path)
    if not p.exists():
        raise CliError(f"{path}: file not found")
    if p.is_dir():
        raise CliError(f"{path}: is a directory, not a file")
    size = p.stat().st_size
    if size > max_bytes:
        raise CliError(f"{path}: {too_large(size, max_bytes)}")
    try:
        with p.open("rb") as stream:
            raw = read_at_most(stream, max_bytes)
    except OSError as exc:
        raise CliError(f"{path}: cannot read ({exc.strerror})") from None
    if len(raw) > max_bytes:  # a pipe, a device or <(…): its size said 0
        raise CliError(f"{path}: {too_large(None, max_bytes)}")
    return raw


def decode_csv_bytes(raw: bytes, where: str) -> str:
    """CSV text: UTF-8 (with or without BOM); anything else is refused (:func:`decode_text`)."""
    try:
        return decode_text(raw, where, save_as="CSV UTF-8")
    except DocumentInvalid as exc:
        raise CliError(exc.problems) from None


def open_database() -> None:
    """Upgrade the database the command works on — but never create one by accident: run from the
    wrong directory, the default ``sqlite:///itcap.db`` names a file that is not there, and a new
    empty database would answer "campaign 1 not found" instead of saying what is wrong. An empty
    PostgreSQL database, or an empty SQLite file, is no itcap database either: only ``itcap init``
    and ``itcap demo`` set one up."""

    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from itcap.storage import database_url, get_engine, sqlite_file

    url = database_url()
    from_env = " (from ITCAP_DATABASE_URL)" if os.environ.get("ITCAP_DATABASE_URL", "").strip() else ""
    if (file := sqlite_file(url)) is not None:
        if not file.exists():
            where = file
            if from_env:
                raise CliError(f"no itcap database at {where} (from ITCAP_DATABASE_URL): check the path, or run "
                               "'itcap init' to create a new one there")
            raise CliError(f"no itcap database at {where}: run 'itcap init' to create one there, or set "
                           "ITCAP_DATABASE_URL to the app's database (without it, itcap uses itcap.db in the current "
                           "directory)")
        if file.stat().st_size == 0:  # said before connecting writes to it
            raise CliError(f"no itcap database at {file}{from_env}: the file is empty; "
                           "run 'itcap init' to create one there, or check the path")
    check_database_url(url)
    with get_engine(url).connect() as connection:
        empty = not inspect(connection).get_table_names()
    if empty:
        raise CliError(f"no itcap database at {make_url(url).render_as_string(hide_password=True)}{from_env}: the "
                       "database is empty; run 'itcap init' to create one there, or check ITCAP_DATABASE_URL")
    _check_schema(url, from_env)


def _check_schema(url: str, from_env: str) -> None:
    """Commands other than ``itcap init`` and ``itcap demo`` never change the schema: an upgrade is
    the administrator's step, taken once, after a backup, with the replicas stopped when the release
    notes ask (docs/deploy.md) — not a side effect of a status check or a cron job."""
    from sqlalchemy.engine import make_url

    from itcap.migrate import current_revision, known_revisions
    from itcap.storage import NotAnItcapDatabase, newer_schema_problem, refuse_foreign_tables

    refuse_foreign_tables(url)  # (run_handler says why)
    current = current_revision(url)
    if problem := newer_schema_problem(current):
        raise NotAnItcapDatabase(problem)
    head, _ = known_revisions()
    if current != head:
        where = make_url(url).render_as_string(hide_password=True)
        raise CliError(f"the database at {where}{from_env} is at schema {current}; this release of itcap needs {head}: "
                       "back it up, then run 'itcap init' to upgrade it (docs/deploy.md, Upgrades)")


def check_database_url(url: str) -> None:
    """A typo in the URL (scheme, port, an unencoded '@') said as such, before connecting."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise CliError(_bad_url_message(url, exc)) from None
    if parsed.drivername not in SUPPORTED_DRIVERS:  # e.g. mysql://: a dialect SQLAlchemy knows, a driver not installed
        backend = parsed.get_backend_name()
        why = (f"itcap talks to PostgreSQL through psycopg 3, not {parsed.get_driver_name()}" if backend == "postgresql"
               else f"itcap runs on SQLite and PostgreSQL, not {backend}")
        raise CliError(_bad_url_message(url, why))


SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")


def _url_hint(url: str) -> str:
    """A password with '@' in it, not percent-encoded: the host or port then reads as nonsense."""
    if url.split("//", 1)[-1].split("/", 1)[0].count("@") > 1:
        return "; a password containing @, :, / or % must be percent-encoded in the URL (@ as %40)"
    return ""


def _bad_url_message(url: str, exc: object) -> str:
    scheme = url.split(":", 1)[0][:30]
    return (f"ITCAP_DATABASE_URL: {scheme!r} is not a database itcap can use ({_first_line(exc)}{_url_hint(url)}); use "
            "sqlite:///path/to/itcap.db or postgresql+psycopg://user@host:5432/dbname")
