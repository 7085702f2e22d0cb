"""itcap campaign create | update | open | close | anonymise | invite | open-link | status | list."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from itcap.cli.common import CliError, UsageError, check_output_folder, cli_actor, output_file, record_id, set_handler, whole_number, write_json
from itcap.validation import cannot_write
from surveys.limits import COMMENT_THRESHOLD_MAX, MAX_INVITATIONS_PER_BATCH, MAX_OPEN_LINK_VISITS, MIN_GROUP_SIZE_LIMITS

MIN_K, MAX_K = MIN_GROUP_SIZE_LIMITS


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    campaign = subparsers.add_parser("campaign", help=("survey campaigns: create, update, open, close, anonymise, invite, withdraw, "
                                           "open-link, status, list"),
                                     description="Run perception survey campaigns.")
    sub = campaign.add_subparsers(dest="campaign_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("create", help="create a campaign (prints its id)", description=(
        "Create a campaign in status 'draft' for an instrument file (stored in the database if it is not "
        "already) and print the new campaign's id, nothing else."))
    p.add_argument("--instrument", required=True, metavar="FILE", help="instrument YAML file")
    p.add_argument("--name", required=True, help="what people will see it called, e.g. \"IT perception survey 2026\"")
    # Out of range is a usage error (exit 2), as analyze --min-group-size and invite --count are; the
    # comment threshold's floor is k, which only the campaign service can check (update keeps the stored k).
    p.add_argument("--min-group-size", type=whole_number(MIN_K, MAX_K), default=5, metavar="K",
                   help=f"reporting threshold k: groups with fewer responses are suppressed (default 5; {MIN_K}–{MAX_K})")
    p.add_argument("--comment-threshold", type=whole_number(MIN_K, COMMENT_THRESHOLD_MAX), default=None, metavar="N",
                   help=f"free-text comments are shown only from N comments on (default 10; k–{COMMENT_THRESHOLD_MAX:,})")
    p.add_argument("--opens", type=_date, metavar="DATE", help="first day responses are accepted (YYYY-MM-DD)")
    p.add_argument("--closes", type=_date, metavar="DATE", help="last day responses are accepted (YYYY-MM-DD)")
    set_handler(p, _create)

    p = sub.add_parser("update", help="change a campaign's name, dates or thresholds", description=(
        "Change what is given and keep the rest. Once a campaign has been opened or holds responses, its "
        "thresholds can go up but never down: respondents were told them. A raised threshold applies to "
        "every figure at once, as figures are computed when they are shown."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    p.add_argument("--name", help="the campaign's name, as leadership and the audit log see it")
    p.add_argument("--min-group-size", type=whole_number(MIN_K, MAX_K), metavar="K",
                   help=f"reporting threshold k: groups with fewer responses are suppressed ({MIN_K}–{MAX_K})")
    p.add_argument("--comment-threshold", type=whole_number(MIN_K, COMMENT_THRESHOLD_MAX), metavar="N",
                   help=f"free-text comments are shown only from N comments on (k–{COMMENT_THRESHOLD_MAX:,})")
    opens = p.add_mutually_exclusive_group()
    opens.add_argument("--opens", type=_date, metavar="DATE", help="first day responses are accepted (YYYY-MM-DD)")
    opens.add_argument("--no-opens", action="store_true", help="remove the opening date")
    closes = p.add_mutually_exclusive_group()
    closes.add_argument("--closes", type=_date, metavar="DATE", help="last day responses are accepted (YYYY-MM-DD)")
    closes.add_argument("--no-closes", action="store_true", help="remove the closing date")
    set_handler(p, _update)

    p = sub.add_parser("open", help="open a campaign (or reopen a closed one)", description=(
        "Open a draft campaign, or reopen a closed one: its links work again from its opening date (if it has "
        "one) to its closing date. Opening an open campaign changes nothing."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    set_handler(p, _open)

    p = sub.add_parser("close", help="close a campaign: links stop working, answers in progress are kept", description=(
        "Close a campaign: its links say the survey has closed; answers in progress are kept but not counted; "
        "the stored rows are rewritten so that nothing in the database links a response to an invitation "
        "(see 'anonymise'). It can be reopened."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    set_handler(p, _close)

    p = sub.add_parser("anonymise", help="rewrite a closed campaign's stored rows so storage order links nothing",
                       description=(
        "Rewrite a closed (or draft) campaign's responses, invitations and completions so that the database's own "
        "bookkeeping (PostgreSQL transaction ids and row order; SQLite pages and write-ahead log) no longer shows "
        "which response was submitted with which invitation, then VACUUM. Closing a campaign does this already; "
        "run it for campaigns closed before itcap did, or again at any time (it is idempotent). Refused while the "
        "campaign is open."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    set_handler(p, _anonymise)

    p = sub.add_parser("invite", help="make one-time invitation links for a group", description=(
        "Create personal one-time links and write them as a mail-merge CSV with columns email, group, link. "
        "Tokens are stored only as hashes, so this file is the only copy of the links: keep it safe and "
        "delete it after the mail merge. With --emails, the addresses are paired with links in the file "
        "and never stored in the database. Links start with ITCAP_PUBLIC_URL (default http://localhost:8501)."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    p.add_argument("--group", required=True, metavar="G", help="the instrument's group, by id or name in any letter case (e.g. it, \"IT staff\")")
    how_many = p.add_mutually_exclusive_group(required=True)
    how_many.add_argument("--count", type=whole_number(1, MAX_INVITATIONS_PER_BATCH), metavar="N",
                          help=f"number of links, for a mail merge of your own (1–{MAX_INVITATIONS_PER_BATCH:,})")
    how_many.add_argument("--emails", metavar="FILE",
                          help="e-mail addresses, one per line (or a CSV with an 'email' column): one link each")
    p.add_argument("--out", type=output_file, required=True, metavar="LINKS.csv",
                   help="output CSV ('-' = stdout); never overwritten: an existing file may hold the only copy of earlier links. "
                        "Links that cannot all be written (a full disk, a closed stdout) create no invitations")
    p.add_argument("--base-url", metavar="URL", help="address of the app for the links (default ITCAP_PUBLIC_URL)")
    set_handler(p, _invite)

    p = sub.add_parser("withdraw", help="withdraw personal links sent by mistake", description=(
        "Withdraw the personal links listed in a file — the links CSV 'invite' wrote, or any file with one link per "
        "line — for a batch made for the wrong group, made twice, or sent to the wrong addresses. Links nobody has "
        "started stop working (their page says the link was withdrawn) and leave the 'invited' count, so response "
        "rates are of the people actually asked. Links already started or used are left as they are, and counted."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    p.add_argument("--links", required=True, metavar="LINKS.csv", help="the file of links to withdraw ('-' = stdin)")
    set_handler(p, _withdraw)

    p = sub.add_parser("open-link", help="make (or replace) a group's open link", description=(
        "Print a link anyone in the group may use; each visitor gets a personal link of their own when they "
        "start, so they can resume. Asking again replaces (withdraws) the previous open link of the group."))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    p.add_argument("--group", required=True, metavar="G", help="the instrument's group, by id or name in any letter case (e.g. it, \"IT staff\")")
    p.add_argument("--max-visits", type=whole_number(1, MAX_OPEN_LINK_VISITS), metavar="N",
                   help="at most N visitors may start with the link, so a link passed on beyond the group cannot bring "
                        "in responses without end; every start takes a place (one left unfinished, or begun again in "
                        "another browser, too): allow a margin over the group's headcount; default: no cap")
    p.add_argument("--base-url", metavar="URL", help="address of the app for the link (default ITCAP_PUBLIC_URL)")
    set_handler(p, _open_link)

    p = sub.add_parser("status", help="response rates per group (a table, or JSON with --json)", description=(
        "Print the campaign's state and response rates per group as a table; with --json, write "
        '{"id", "name", "status", "accepting", "groups":{g:{"invited", "started", "completed", '
        '"open_link_visits", "responses", "completion_rate" (completed ÷ invited)}}, "open_links":{g:{"visits_left"}}} instead '
        '(open_links: the groups whose open link is live; visits_left null = no cap).'))
    p.add_argument("id", type=record_id, help="campaign id (itcap campaign list)")
    p.add_argument("--json", type=output_file, metavar="OUT", help="write JSON to this file ('-' = stdout) instead of the table")
    set_handler(p, _status)

    p = sub.add_parser("list", help="list campaigns", description=(
        "List every campaign: id, status, whether it accepts responses now, dates, thresholds, instrument and "
        "response count."))
    set_handler(p, _list)


@contextmanager
def survey_errors():
    """Survey services raise SurveyError; the CLI prints its problems one per line and exits 1."""
    from surveys.errors import SurveyError

    try:
        yield
    except SurveyError as exc:
        raise CliError(exc.problems) from None


@contextmanager
def survey_session():
    from itcap.cli.common import open_database
    from itcap.storage import session_scope

    open_database()
    with survey_errors(), session_scope() as session:
        yield session


def _create(args: argparse.Namespace) -> int:
    from itcap.validation import read_text
    from surveys.campaigns import create_campaign, creation_notes
    from surveys.store import save_instrument
    from surveys.tables import DEFAULT_COMMENT_THRESHOLD

    text = read_text(args.instrument)
    threshold = args.comment_threshold if args.comment_threshold is not None else max(DEFAULT_COMMENT_THRESHOLD, args.min_group_size)
    with survey_session() as session:
        record = save_instrument(session, text, actor=cli_actor(), where=args.instrument)
        campaign = create_campaign(session, instrument_id=record.id, name=args.name, actor=cli_actor(), opens_on=args.opens,
                                   closes_on=args.closes, min_group_size=args.min_group_size, comment_threshold=threshold)
        print(campaign.id)
        for note in creation_notes(session, campaign):  # stdout stays the id alone, for scripts
            print(f"note: campaign {campaign.id}: {note}", file=sys.stderr)
    return 0


def _update(args: argparse.Namespace) -> int:
    from surveys.campaigns import update_campaign

    changes = {}
    if args.name is not None:
        changes["name"] = args.name
    if args.min_group_size is not None:
        changes["min_group_size"] = args.min_group_size
    if args.comment_threshold is not None:
        changes["comment_threshold"] = args.comment_threshold
    if args.opens is not None or args.no_opens:
        changes["opens_on"] = None if args.no_opens else args.opens
    if args.closes is not None or args.no_closes:
        changes["closes_on"] = None if args.no_closes else args.closes
    if not changes:
        raise UsageError("nothing to change: give --name, --opens, --closes, --min-group-size or --comment-threshold")
    with survey_session() as session:
        campaign = update_campaign(session, args.id, cli_actor(), **changes)
        print(f"campaign {campaign.id} updated")
    return 0


def _open(args: argparse.Namespace) -> int:
    from surveys.campaigns import OPEN, availability, get_campaign, open_campaign

    with survey_session() as session:
        was = get_campaign(session, args.id).status
        campaign = open_campaign(session, args.id, cli_actor())
        state = availability(campaign)
        if was == OPEN:
            print(f"campaign {campaign.id} is already open")
        else:
            print(f"campaign {campaign.id} is open" + ("" if state == "accepting" else f"; responses are accepted from {campaign.opens_on}"))
    return 0


def _close(args: argparse.Namespace) -> int:
    from surveys.campaigns import CLOSED, close_campaign, get_campaign

    with survey_session() as session:
        was = get_campaign(session, args.id).status
        campaign = close_campaign(session, args.id, cli_actor())
        campaign_id = campaign.id
    print(f"campaign {campaign_id} is {'already ' if was == CLOSED else ''}closed")
    _say_if_not_reclaimed(session, campaign_id)
    return 0


def _anonymise(args: argparse.Namespace) -> int:
    from surveys.campaigns import anonymise_campaign

    with survey_session() as session:
        campaign = anonymise_campaign(session, args.id, cli_actor())
        campaign_id = campaign.id
    if _say_if_not_reclaimed(session, campaign_id):
        return 1
    print(f"campaign {campaign_id}: stored responses rewritten and space reclaimed")
    return 0


def _say_if_not_reclaimed(session, campaign_id: int) -> bool:
    """After the commit: whether old pages (deleted drafts among them) are still on disk, said on stderr."""
    from surveys.campaigns import storage_not_reclaimed

    problem = storage_not_reclaimed(session)
    if problem:
        print(f"warning: campaign {campaign_id}: stored responses rewritten, but the space was not reclaimed: {problem}. "
              f"Old pages, with deleted drafts' answers, stay on disk until it is: stop what holds the database open "
              f"and run `itcap campaign anonymise {campaign_id}`", file=sys.stderr)
    return bool(problem)


def _write_private(path: str, text: str) -> Path | None:
    """The links file holds live tokens: created readable by its owner only, and whole or not at all —
    written under a temporary name beside it, then linked to its name (which never overwrites a file
    there). A full disk or a quota leaves no half file of links. Returns the file made (None: stdout)."""
    if path == "-":  # written and flushed before the commit: links nobody received are not kept
        if sys.stdout is None:
            raise CliError("standard output is closed: no invitations were created")
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except (BrokenPipeError, OSError) as exc:
            if isinstance(exc, BrokenPipeError):  # nothing more can go there, not even at exit
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise CliError("the links could not all be written to standard output (the program reading them stopped "
                           f"or failed: {exc.strerror or exc}): no invitations were created") from None
        return None
    target = Path(path)
    temporary = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)  # mode 0600
        temporary = Path(name)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: create the name exclusively and copy
            _copy_exclusive(text, target)
    except FileExistsError:
        raise CliError(_links_file_exists(path)) from None
    except OSError as exc:
        raise CliError(cannot_write(path, exc) + "; no invitations were created and no file was left") from None
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
    return target


def _copy_exclusive(text: str, target: Path) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _links_file_exists(path: str) -> str:
    return (f"{path} already exists: it may hold the only copy of earlier links (tokens are stored only as hashes), "
            "so it is not overwritten. Choose another file name; nothing was created.")


def _invite(args: argparse.Namespace) -> int:
    from itcap.cli.common import read_input_bytes
    from itcap.validation import decode_text
    from surveys.invitations import create_invitations, links_csv, parse_email_list

    if args.out != "-" and os.path.isdir(args.out):  # before any invitation is created
        raise CliError(cannot_write(args.out, IsADirectoryError(21, "Is a directory", args.out)))
    if args.out != "-" and os.path.lexists(args.out):
        raise CliError(_links_file_exists(args.out))
    check_output_folder(args.out)
    emails = None
    if args.emails:
        raw = read_input_bytes(args.emails, max_bytes=64 * 1024 * 1024)
        with survey_errors():
            emails = parse_email_list(decode_text(raw, args.emails), args.emails)
    count = args.count if args.count is not None else len(emails)
    written = None
    try:
        with survey_session() as session:
            links = create_invitations(session, args.id, args.group, count, cli_actor(), base_url=args.base_url)
            text = links_csv(links, emails)
            written = _write_private(args.out, text)  # inside the transaction: no file, no invitations
    except BaseException:
        if written is not None:  # the commit failed after the file was made: its links would lead nowhere
            written.unlink(missing_ok=True)
        raise
    if args.out != "-":
        print(f"{len(links)} invitation link{'' if len(links) == 1 else 's'} for group {links[0].group_id if links else args.group} written to {args.out}")
    _note_default_address(args)
    return 0


def _note_default_address(args: argparse.Namespace) -> None:
    """Links built on the default address reach nobody unless the app is served there: say so."""
    from surveys.invitations import public_url

    if args.base_url is None and not os.environ.get("ITCAP_PUBLIC_URL", "").strip():
        print(f"note: the links start with {public_url()}, the default; if respondents reach the app at another "
              "address (another port, a server name), make new links with --base-url URL or ITCAP_PUBLIC_URL",
              file=sys.stderr)


def _withdraw(args: argparse.Namespace) -> int:
    from itcap.cli.common import read_input_bytes
    from itcap.validation import decode_text
    from surveys.invitations import tokens_from_links, withdraw_invitations

    raw = read_input_bytes(args.links, max_bytes=64 * 1024 * 1024)
    with survey_errors():
        tokens = tokens_from_links(decode_text(raw, args.links), args.links)
    with survey_session() as session:
        result = withdraw_invitations(session, args.id, tokens, cli_actor())
    if result.not_found == len(tokens):
        raise CliError(f"{args.links}: none of its {len(tokens):,} link{'s' if len(tokens) != 1 else ''} is a personal link of "
                       f"campaign {args.id}: nothing was withdrawn (a file of another campaign?)")
    by_group = ", ".join(f"{g} {n:,}" for g, n in sorted(result.withdrawn.items()))
    print(f"{result.total:,} personal link{'' if result.total == 1 else 's'} withdrawn" + (f" ({by_group})" if by_group else ""))
    for count, what in ((result.started, "started: left working, someone is answering with it"),
                        (result.used, "already used: a response was submitted with it"),
                        (result.already_withdrawn, "withdrawn before"),
                        (result.not_found, "not a personal link of this campaign")):
        if count:
            print(f"note: {count:,} link{'' if count == 1 else 's'} {what}", file=sys.stderr)
    return 0


def _open_link(args: argparse.Namespace) -> int:
    from surveys.invitations import create_open_link

    with survey_session() as session:
        link = create_open_link(session, args.id, args.group, cli_actor(), base_url=args.base_url, max_visits=args.max_visits)
        print(link.link)
    _note_default_address(args)
    return 0


def _status(args: argparse.Namespace) -> int:
    from surveys.campaigns import availability, get_campaign
    from surveys.invitations import live_open_links, response_rates

    with survey_session() as session:
        campaign = get_campaign(session, args.id)
        rates = response_rates(session, args.id)
        open_links = live_open_links(session, args.id)
        document = {
            "id": campaign.id, "name": campaign.name, "status": campaign.status,
            "accepting": availability(campaign) == "accepting",
            "opens_on": campaign.opens_on.isoformat() if campaign.opens_on else None,
            "closes_on": campaign.closes_on.isoformat() if campaign.closes_on else None,
            "min_group_size": campaign.min_group_size, "comment_threshold": campaign.comment_threshold,
            "groups": {g: r.as_dict() for g, r in rates.items()},
            "open_links": {g: {"visits_left": left} for g, left in sorted(open_links.items())},
        }
    if args.json:
        write_json(document, args.json)
    else:
        print(_status_table(document))
    return 0


def _status_table(document: dict) -> str:
    """The status document as a few lines a person reads at a terminal."""
    from surveys.campaigns import date_window
    from surveys.invitations import percent_text

    state = "accepting responses" if document["accepting"] else "not accepting responses"

    window = date_window(document["opens_on"], document["closes_on"])
    lines = [f"Campaign {document['id']}: {document['name']}",
             f"{document['status']}, {state}; {window if window == 'no dates set' else 'dates ' + window}; "
             f"reporting threshold k={document['min_group_size']}",
             ""]
    header = ("group", "invited", "started", "completed", "rate", "responses")
    rows = [(g, str(r["invited"]), str(r["started"]), str(r["completed"]),
             "–" if r["completion_rate"] is None else percent_text(r["completion_rate"]), str(r["responses"]))
            for g, r in document["groups"].items()]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)).rstrip())
    lines.append("")
    for group, link in document["open_links"].items():
        left = link["visits_left"]
        lines.append(f"open link of {group}: live, " + ("no cap" if left is None else
                     "cap reached: it starts no more surveys" if left == 0 else f"{left:,} more visitor{'s' if left != 1 else ''} may start"))
    lines.append("'responses' includes imported ones; 'rate' is completed / invited (open-link visitors count as invited).")
    return "\n".join(lines)


def _list(args: argparse.Namespace) -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from surveys.campaigns import availability, date_window, list_campaigns
    from surveys.tables import InstrumentRecord, Response

    with survey_session() as session:
        counts = dict(session.exec(select(Response.campaign_id, func.count()).group_by(Response.campaign_id)).all())
        instruments = {r.id: f"{r.key} v{r.version}" for r in session.exec(select(InstrumentRecord))}
        print("id\tstatus\taccepting\tdates\tthresholds\tinstrument\tresponses\tname")
        listed = list_campaigns(session)
        if not listed:  # on stderr: the table stays a table for scripts
            import sys

            print("no campaigns yet: 'itcap campaign create --instrument FILE --name NAME' (or the Campaigns page) "
                  "makes one; 'itcap demo' loads an example", file=sys.stderr)
        for c in listed:
            dates = date_window(c.opens_on, c.closes_on)
            accepting = "yes" if availability(c) == "accepting" else "no"
            print(f"{c.id}\t{c.status}\t{accepting}\t{dates}\tk={c.min_group_size} comments={c.comment_threshold}\t"
                  f"{instruments.get(c.instrument_id, c.instrument_id)}\t{counts.get(c.id, 0)}\t{c.name}")
    return 0
