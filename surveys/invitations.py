"""Invitations: one-time survey links, open links per group, token checks and response rates.

A token is ``secrets.token_urlsafe(32)``: 256 random bits written as 43 URL-safe characters. The
database keeps only its SHA-256 (hex); the token itself exists only in the link handed out. A plain,
unsalted hash is enough because the input is 256 random bits — there is no dictionary to try.

Guessing is pointless, so there is no rate limit: with a million live tokens, an attacker making a
billion guesses a second would expect to wait about 10^54 years for one hit. Malformed tokens are
refused before any database query, so garbage costs no more than a string comparison.

E-mail addresses are never stored: :func:`links_csv` pairs them with links in the mail-merge file
only. That file is the one place a token meets a person — delete it once the mail merge is done.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, insert, update
from sqlmodel import Session, select

from itcap import audit
from itcap.names import line_problem
from itcap.spreadsheet import FORMULA_START, safe_cell
from itcap.storage import today
from surveys.campaigns import CLOSED, availability, campaign_instrument, get_campaign
from surveys.errors import SurveyError
from surveys.limits import MAX_INVITATIONS_PER_BATCH, MAX_OPEN_LINK_VISITS
from surveys.tables import Campaign, Invitation, Response

TOKEN_BYTES = 32
TOKEN_LENGTH = 43  # len(secrets.token_urlsafe(32))
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)
DEFAULT_PUBLIC_URL = "http://localhost:8501"
_INSERT_CHUNK = 5_000

PERSONAL, OPEN, OPEN_VISIT = "personal", "open", "open_visit"
INVITED, STARTED, COMPLETED, REVOKED = "invited", "started", "completed", "revoked"


# -- tokens ---------------------------------------------------------------------------------------
def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def normalise_token(token: object) -> str | None:
    """The token if it is well formed (43 URL-safe characters, surrounding spaces ignored), else None.

    Cheap by construction: the length is checked before anything looks at the characters, so a
    megabyte of junk or a string of emoji is refused at once, without touching the database.
    """
    if not isinstance(token, str) or len(token) > TOKEN_LENGTH + 8:
        return None
    token = token.strip()
    if len(token) != TOKEN_LENGTH or not _TOKEN_RE.fullmatch(token):
        return None
    return token


def public_url() -> str:
    """The address respondents reach the app at: ``ITCAP_PUBLIC_URL``, default http://localhost:8501."""
    return (os.environ.get("ITCAP_PUBLIC_URL", "").strip() or DEFAULT_PUBLIC_URL).rstrip("/")


def checked_base_url(base_url: str | None = None) -> str:
    """The address links start with (``base_url`` or :func:`public_url`), refused with a clear
    message unless it is a plain http(s) address: links are shown once and only their hashes are
    kept, so a bad address cannot be mended later."""
    from urllib.parse import urlsplit

    url = (base_url if base_url is not None else public_url()).strip().rstrip("/")
    source = "--base-url" if base_url is not None else "ITCAP_PUBLIC_URL"
    try:
        parts = urlsplit(url)
        valid_port = parts.port is None or parts.port > 0
    except ValueError:
        parts, valid_port = None, False
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not valid_port \
            or parts.query or parts.fragment or any(c.isspace() for c in url):
        raise SurveyError(f"{source}: {url[:100]!r} is not an address links can start with; give the app's "
                          "address as http(s)://host[:port][/path], without '?' or '#' (e.g. https://survey.example.org)")
    return url


def link_for(token: str, base_url: str | None = None) -> str:
    return f"{(base_url or public_url()).rstrip('/')}/?token={token}"


@dataclass(frozen=True)
class InvitationLink:
    group_id: str
    token: str
    link: str


# -- creating invitations --------------------------------------------------------------------------
def campaign_group(session: Session, campaign: Campaign, group: str) -> str:
    """The group's id, from its id or its name in any letter case ("IT", "it staff"), as the
    response import and `itcap analyze` read groups."""
    instrument = campaign_instrument(session, campaign)
    groups = instrument.group_ids()
    if group in groups:
        return group
    wanted = str(group).strip().casefold()
    for group_id in groups:
        if wanted in (group_id.casefold(), instrument.group_name(group_id).casefold()):
            return group_id
    raise SurveyError(f"group {group!r} is not a group of this campaign's instrument; groups: {', '.join(groups)}")


def _insert_invitations(session: Session, campaign_id: int, group_id: str, count: int, kind: str,
                        status: str = INVITED) -> list[str]:
    """Insert ``count`` invitations with fresh tokens in bulk (executemany, no per-row ORM work);
    returns the raw tokens, which are not kept anywhere else."""
    created = today()
    tokens = [new_token() for _ in range(count)]
    rows = [{"campaign_id": campaign_id, "group_id": group_id, "token_hash": hash_token(t), "kind": kind,
             "status": status, "created_on": created} for t in tokens]
    for start in range(0, len(rows), _INSERT_CHUNK):
        session.execute(insert(Invitation.__table__), rows[start:start + _INSERT_CHUNK])
    return tokens


def create_invitations(session: Session, campaign_id: int, group_id: str, count: int, actor: str, *,
                       base_url: str | None = None) -> list[InvitationLink]:
    """``count`` personal one-time links for a group. The links are returned once and never stored."""
    campaign = get_campaign(session, campaign_id)
    if campaign.status == CLOSED:
        raise SurveyError(f"campaign {campaign.id} is closed; reopen it before inviting more people")
    group_id = campaign_group(session, campaign, group_id)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_INVITATIONS_PER_BATCH:
        raise SurveyError(f"count: between 1 and {MAX_INVITATIONS_PER_BATCH:,} invitations at a time (got {count!r})")
    base_url = checked_base_url(base_url)
    tokens = _insert_invitations(session, campaign.id, group_id, count, PERSONAL)
    audit.record(session, actor, "campaign.invite", f"campaign:{campaign.id}", f"{count} personal invitations for group {group_id}")
    return [InvitationLink(group_id, t, link_for(t, base_url)) for t in tokens]


def create_open_link(session: Session, campaign_id: int, group_id: str, actor: str, *,
                     base_url: str | None = None, max_visits: int | None = None) -> InvitationLink:
    """The group's open link (one per group): anyone who has it may answer. Each visitor who starts
    gets a personal invitation of their own (see :func:`start_open_visit`), so they can resume.
    ``max_visits``: at most this many visitors may start with it (a leaked link cannot bring in
    responses without end); None for no cap.

    Only the hash is stored, so an existing link cannot be shown again: asking again withdraws the
    previous open link of the group and makes a new one (also the way to withdraw a leaked link).
    """
    campaign = get_campaign(session, campaign_id)
    if campaign.status == CLOSED:
        raise SurveyError(f"campaign {campaign.id} is closed; reopen it before making an open link")
    group_id = campaign_group(session, campaign, group_id)
    if max_visits is not None and (isinstance(max_visits, bool) or not isinstance(max_visits, int)
                                   or not 1 <= max_visits <= MAX_OPEN_LINK_VISITS):
        raise SurveyError(f"max visits: between 1 and {MAX_OPEN_LINK_VISITS:,} visitors, or no cap (got {max_visits!r})")
    base_url = checked_base_url(base_url)
    revoked = session.execute(
        update(Invitation.__table__)
        .where(Invitation.campaign_id == campaign.id, Invitation.group_id == group_id, Invitation.kind == OPEN,
               Invitation.status != REVOKED)
        .values(status=REVOKED)
    ).rowcount
    (token,) = _insert_invitations(session, campaign.id, group_id, 1, OPEN)
    if max_visits is not None:
        session.execute(update(Invitation.__table__).where(Invitation.token_hash == hash_token(token))
                        .values(visits_left=max_visits))
    cap = f" for at most {max_visits:,} visitor{'s' if max_visits != 1 else ''}" if max_visits is not None else ""
    audit.record(session, actor, "campaign.open_link", f"campaign:{campaign.id}",
                 f"open link for group {group_id}{cap}" + ("; previous link withdrawn" if revoked else ""))
    return InvitationLink(group_id, token, link_for(token, base_url))


def live_open_links(session: Session, campaign_id: int) -> dict[str, int | None]:
    """The groups of a campaign whose open link is live (not withdrawn), each with how many more
    visitors may start with it (None: no cap)."""
    rows = session.exec(select(Invitation.group_id, Invitation.visits_left).where(
        Invitation.campaign_id == campaign_id, Invitation.kind == OPEN, Invitation.status != REVOKED))
    return dict(rows.all())


def revoke_open_link(session: Session, campaign_id: int, group_id: str, actor: str) -> int:
    """Withdraw a group's open link; visitors who already started keep their own links."""
    campaign = get_campaign(session, campaign_id)
    revoked = session.execute(
        update(Invitation.__table__)
        .where(Invitation.campaign_id == campaign.id, Invitation.group_id == group_id, Invitation.kind == OPEN,
               Invitation.status != REVOKED)
        .values(status=REVOKED)
    ).rowcount
    if revoked:
        audit.record(session, actor, "campaign.open_link_withdrawn", f"campaign:{campaign.id}", f"group {group_id}")
    return revoked


def start_open_visit(session: Session, open_invitation: Invitation) -> str | None:
    """A fresh personal invitation (kind ``open_visit``, status ``started``) for one visitor of an
    open link; returns its token, which the page puts in the address so the visitor can resume. None
    when the link's cap is reached: the count goes down in one conditional update, so visitors
    starting at the same moment can never take more places than the cap leaves."""
    if open_invitation.visits_left is not None:
        taken = session.execute(update(Invitation.__table__)
                                .where(Invitation.id == open_invitation.id, Invitation.visits_left > 0)
                                .values(visits_left=Invitation.visits_left - 1)).rowcount
        if not taken:
            return None
    (token,) = _insert_invitations(session, open_invitation.campaign_id, open_invitation.group_id, 1, OPEN_VISIT, STARTED)
    return token


# -- the mail-merge file ---------------------------------------------------------------------------
_EMAIL_RE = re.compile(r"[^@\s,;<>\"']+@[^@\s,;<>\"']+\.[^@\s,;<>\"']+")


EMAIL_HEADERS = ("email", "e-mail", "email address", "e-mail address", "mail")
_NAMED_ADDRESS = re.compile(r"[^<>]*<([^<>]+)>\s*")  # "Ana Smith <ana@example.org>", as Outlook copies it


def parse_email_list(text: str, where: str = "<emails>") -> list[str]:
    """E-mail addresses, one per line, or a CSV (``,``, ``;`` or tab, as a spreadsheet saves it) with
    an 'email' column; an address may come as ``Name <address>``. Every bad or repeated address is
    reported with its line: a person with two links could answer twice."""
    from surveys.csv_text import separator

    lines = text.splitlines()
    column, delimiter = None, ","
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is not None and "@" not in lines[first]:
        delimiter = separator(lines[first])
        header = next(csv.reader([lines[first]], delimiter=delimiter))
        names = [h.strip().strip("\ufeff").casefold() for h in header]
        column = next((names.index(name) for name in EMAIL_HEADERS if name in names), None)
        if column is None:
            raise SurveyError(f"{where}: line {first + 1}: expected one e-mail address per line, or a header with an "
                              f"'email' column (found: {', '.join(repr(h.strip()) for h in header)[:200]})")
    problems, emails, seen = [], [], {}
    for number, value in _address_cells(text, lines, first, column, delimiter, where):
        named = _NAMED_ADDRESS.fullmatch(value)
        if named:
            value = named[1].strip()
        hidden = line_problem(value)
        if hidden:  # a NUL or a zero-width space pasted from a document: no mail server delivers to it
            problems.append(f"{where}: line {number}: {value[:80]!r} is not an e-mail address: it must be {hidden}")
        elif not _EMAIL_RE.fullmatch(value):
            problems.append(f"{where}: line {number}: {value[:80]!r} is not an e-mail address")
        elif value.startswith(FORMULA_START):  # the links CSV would have to put an apostrophe in front
            problems.append(f"{where}: line {number}: {value[:80]!r} starts with {value[0]!r}, which spreadsheets and "
                            "mail merges read as a formula: the links file cannot hold it as written; check the address")
        elif value.lower() in seen:
            problems.append(f"{where}: line {number}: {value!r} is repeated (first on line {seen[value.lower()]})")
        else:
            seen[value.lower()] = number
            emails.append(value)
    if not problems and not emails:
        problems.append(f"{where}: no e-mail addresses found")
    if len(emails) > MAX_INVITATIONS_PER_BATCH:  # said of the file, not as a --count nobody gave
        problems.append(f"{where}: {len(emails):,} e-mail addresses; at most {MAX_INVITATIONS_PER_BATCH:,} invitations can be "
                        f"made at a time: split the list into files of up to {MAX_INVITATIONS_PER_BATCH:,}")
    if problems:
        raise SurveyError(problems)
    return emails


def _address_cells(text: str, lines: list[str], first: int | None, column: int | None,
                   delimiter: str, where: str) -> Iterator[tuple[int, str]]:
    """(line number, cell) for every address: each non-blank line of a plain list; the email column of
    each CSV record after the header, read as records so that a quoted field holding a line break (a
    postal address exported from an HR system) stays in its record and the number is its first line."""
    if column is None:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line.strip()
        return
    reader = csv.reader(io.StringIO(text, newline=None), delimiter=delimiter)
    number = 1
    try:
        for fields in reader:
            if number > first + 1 and any(field.strip() for field in fields):
                yield number, (fields[column].strip() if column < len(fields) else "")
            number = reader.line_num + 1
    except csv.Error as error:
        raise SurveyError(f"{where}: line {number}: cannot be read as CSV ({error})") from None


def links_csv(links: list[InvitationLink], emails: list[str] | None = None) -> str:
    """The mail-merge CSV: columns email, group, link (email blank when no addresses are given)."""
    if emails is not None and len(emails) != len(links):
        raise SurveyError(f"{len(emails)} e-mail addresses for {len(links)} links; they must pair one to one")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["email", "group", "link"])
    for index, link in enumerate(links):
        writer.writerow([safe_cell(emails[index]) if emails else "", link.group_id, link.link])
    return buffer.getvalue()


# -- checking a token ------------------------------------------------------------------------------
class TokenOutcome(StrEnum):
    OK = "ok"
    OPEN_LINK = "open_link"  # a group's open link: a visit must be started first
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    OTHER_CAMPAIGN = "other_campaign"
    USED = "used"
    WITHDRAWN = "withdrawn"
    NOT_OPEN_YET = "not_open_yet"
    CLOSED = "closed"
    FULL = "full"  # an open link whose cap of visitors is reached


MESSAGES = {
    TokenOutcome.MALFORMED: "This survey link is incomplete or damaged. Please open the link from your invitation "
                            "again, or copy all of it into the address bar.",
    TokenOutcome.UNKNOWN: "We do not recognise this survey link. Please check that you copied the whole link from "
                          "your invitation.",
    TokenOutcome.OTHER_CAMPAIGN: "This link belongs to a different survey. Please use the link from the invitation "
                                 "for this survey.",
    TokenOutcome.USED: "This link has already been used: a response was submitted with it, and each link can be "
                       "used once. Thank you for taking part.",
    TokenOutcome.WITHDRAWN: "This open link has been withdrawn. Please ask the survey organiser for the current link.",
    TokenOutcome.NOT_OPEN_YET: "This survey is not open yet.",
    TokenOutcome.CLOSED: "This survey has closed, so answers can no longer be given. Thank you for your interest.",
    TokenOutcome.FULL: "This open link has been used by as many people as the survey organiser set it for, so it "
                       "cannot start another survey. If you have not answered yet, please ask them for a link.",
}


@dataclass(frozen=True)
class TokenCheck:
    outcome: TokenOutcome
    message: str = ""
    invitation: Invitation | None = None
    campaign: Campaign | None = None

    @property
    def usable(self) -> bool:
        return self.outcome in (TokenOutcome.OK, TokenOutcome.OPEN_LINK)


# -- withdrawing personal links ------------------------------------------------------------------------
_TOKEN_IN_TEXT = re.compile(r"(?:[?&]token=)([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])")


def tokens_from_links(text: str, where: str = "<links>") -> list[str]:
    """The tokens of the links in a file: the mail-merge CSV that `invite` wrote (or any text with one
    link per line — a column copied out of it). Every line that holds no link is reported."""
    lines = text.splitlines()
    tokens, problems, seen = [], [], set()
    for number, line in enumerate(lines, start=1):
        stripped = line.strip().strip("\ufeff")
        found = _TOKEN_IN_TEXT.findall(stripped) or ([stripped] if normalise_token(stripped) else [])
        if not stripped or (number == 1 and not found):  # blank, or the header row
            continue
        if not found:
            problems.append(f"{where}: line {number}: no invitation link (…?token=…) found")
            continue
        for token in found:
            if token not in seen:
                seen.add(token)
                tokens.append(token)
    if not tokens:  # not one line with a link: the wrong file, said once, not once per line
        raise SurveyError(f"{where}: no invitation links (…?token=…) found in {len(lines):,} line{'s' if len(lines) != 1 else ''}: "
                          "choose the links file that itcap wrote when the invitations were made")
    if problems:
        raise SurveyError(problems)
    return tokens


def _chunks(values: list, size: int) -> list[list]:
    return [values[i:i + size] for i in range(0, len(values), size)]


@dataclass(frozen=True)
class Withdrawal:
    withdrawn: dict[str, int]  # group → personal links withdrawn (not yet started)
    started: int  # left alone: someone is answering with them
    used: int  # a response was submitted with them
    already_withdrawn: int
    not_found: int  # not personal links of this campaign (another campaign's, an open link, a typo)

    @property
    def total(self) -> int:
        return sum(self.withdrawn.values())


def withdraw_invitations(session: Session, campaign_id: int, tokens: list[str], actor: str) -> Withdrawal:
    """Withdraw personal links sent by mistake (a wrong group, a batch made twice, links on a wrong
    address): those not yet started stop working and leave the "invited" count, so the response rate
    is of the people actually asked. Links already started or used are left as they are — someone is
    answering, or has — and counted in the result. The links are found by their tokens' hashes, as
    stored: nothing here learns more about a link than the link itself says."""
    campaign = get_campaign(session, campaign_id)
    hashes = {hash_token(t) for t in tokens if normalise_token(t)}
    found = []
    for chunk in _chunks(sorted(hashes), 900):  # under every database's parameter limit
        found += session.execute(select(Invitation.id, Invitation.group_id, Invitation.status).where(
            Invitation.campaign_id == campaign.id, Invitation.kind == PERSONAL, Invitation.token_hash.in_(chunk))).all()
    to_withdraw = [row.id for row in found if row.status == INVITED]
    withdrawn: dict[str, int] = {}
    done: set[int] = set()
    for chunk in _chunks(to_withdraw, 900):
        # the status is checked again in the UPDATE, and what it changed is what is counted: a link
        # started meanwhile is neither withdrawn under its respondent nor reported as withdrawn
        for invitation_id, group_id in session.execute(
                update(Invitation.__table__).where(Invitation.id.in_(chunk), Invitation.status == INVITED)
                .values(status=REVOKED).returning(Invitation.id, Invitation.group_id)).all():
            done.add(invitation_id)
            withdrawn[group_id] = withdrawn.get(group_id, 0) + 1
    started_meanwhile = len(to_withdraw) - len(done)
    result = Withdrawal(withdrawn=withdrawn, started=sum(1 for r in found if r.status == STARTED) + started_meanwhile,
                        used=sum(1 for r in found if r.status == COMPLETED),
                        already_withdrawn=sum(1 for r in found if r.status == REVOKED),
                        not_found=len(tokens) - len(found))
    if result.total:
        by_group = ", ".join(f"{g} {n:,}" for g, n in sorted(withdrawn.items()))
        audit.record(session, actor, "campaign.invitations_withdrawn", f"campaign:{campaign.id}",
                     f"{result.total:,} personal links withdrawn ({by_group}); {result.started:,} started and "
                     f"{result.used:,} used left as they were")
    return result


WITHDRAWN_PERSONAL = ("This link has been withdrawn by the survey organiser. If you think you should take part, "
                      "please ask them for a link.")


def check_token(session: Session, token: object, *, campaign_id: int | None = None, on: dt.date | None = None) -> TokenCheck:
    """What a token opens, or why it opens nothing — each case with its own friendly message.

    ``campaign_id``: the campaign a campaign-specific page expects (a token of another is refused).
    """
    token = normalise_token(token)
    if token is None:
        return TokenCheck(TokenOutcome.MALFORMED, MESSAGES[TokenOutcome.MALFORMED])
    invitation = session.exec(select(Invitation).where(Invitation.token_hash == hash_token(token))).first()
    if invitation is None:
        return TokenCheck(TokenOutcome.UNKNOWN, MESSAGES[TokenOutcome.UNKNOWN])
    if campaign_id is not None and invitation.campaign_id != campaign_id:
        return TokenCheck(TokenOutcome.OTHER_CAMPAIGN, MESSAGES[TokenOutcome.OTHER_CAMPAIGN])
    campaign = session.get(Campaign, invitation.campaign_id)
    if invitation.status == COMPLETED:
        return TokenCheck(TokenOutcome.USED, MESSAGES[TokenOutcome.USED], invitation, campaign)
    if invitation.status == REVOKED:
        message = MESSAGES[TokenOutcome.WITHDRAWN] if invitation.kind == OPEN else WITHDRAWN_PERSONAL
        return TokenCheck(TokenOutcome.WITHDRAWN, message, invitation, campaign)
    state = availability(campaign, on)
    if state in ("draft", "not_yet_open"):
        message = MESSAGES[TokenOutcome.NOT_OPEN_YET]
        if state == "not_yet_open":
            message += f" It opens on {campaign.opens_on:%d %B %Y}."
        return TokenCheck(TokenOutcome.NOT_OPEN_YET, message, invitation, campaign)
    if state in ("ended", "closed"):
        message = MESSAGES[TokenOutcome.CLOSED]
        if state == "ended":
            message = f"This survey closed on {campaign.closes_on:%d %B %Y}, so answers can no longer be given. Thank you for your interest."
        return TokenCheck(TokenOutcome.CLOSED, message, invitation, campaign)
    if invitation.kind == OPEN and invitation.visits_left is not None and invitation.visits_left <= 0:
        return TokenCheck(TokenOutcome.FULL, MESSAGES[TokenOutcome.FULL], invitation, campaign)
    outcome = TokenOutcome.OPEN_LINK if invitation.kind == OPEN else TokenOutcome.OK
    return TokenCheck(outcome, "", invitation, campaign)


def percent_text(share: float) -> str:
    """A rate as the app shows it everywhere: 62.5%, 40% (":.0%" rounded 62.5 to 62 in one place
    and not in another)."""
    return f"{100 * share:.1f}".rstrip("0").rstrip(".") + "%"


# -- response rates --------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupRates:
    """Per group: ``invited`` = personal invitations + open-link visitors; ``started`` = of those, the
    ones with saved answers or a submitted response; ``completed`` = submitted on the web;
    ``responses`` = stored responses including imported ones."""

    invited: int = 0
    started: int = 0
    completed: int = 0
    open_link_visits: int = 0
    responses: int = 0

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None

    @property
    def imported(self) -> int:
        """Responses that came without a link: imported (paper, another tool). Not in the funnel."""
        return max(0, self.responses - self.completed)

    def as_dict(self) -> dict[str, int | float | None]:
        return {"invited": self.invited, "started": self.started, "completed": self.completed,
                "open_link_visits": self.open_link_visits, "responses": self.responses,
                "completion_rate": self.completion_rate}


def response_rates(session: Session, campaign_id: int) -> dict[str, GroupRates]:
    """Invited / started / completed per group of the campaign's instrument (zeros included).

    Every group's counts, for administrators: the dashboard and the report leave out the counts of a
    group under k (:class:`itcap.insights.CampaignInsight`). Open links themselves are not people and
    are not counted; their visitors are.
    """
    campaign = get_campaign(session, campaign_id)
    groups = campaign_instrument(session, campaign).group_ids()
    counts: dict[str, dict[str, int]] = {g: {"invited": 0, "started": 0, "completed": 0, "open_link_visits": 0, "responses": 0} for g in groups}
    rows = session.execute(
        select(Invitation.group_id, Invitation.kind, Invitation.status, func.count())
        .where(Invitation.campaign_id == campaign.id, Invitation.kind != OPEN)
        .group_by(Invitation.group_id, Invitation.kind, Invitation.status)
    ).all()
    for group_id, kind, status, n in rows:
        if status == REVOKED:  # withdrawn before anyone used them: nobody was asked with these
            continue
        c = counts.setdefault(group_id, {"invited": 0, "started": 0, "completed": 0, "open_link_visits": 0, "responses": 0})
        c["invited"] += n
        if kind == OPEN_VISIT:
            c["open_link_visits"] += n
        if status in (STARTED, COMPLETED):
            c["started"] += n
        if status == COMPLETED:
            c["completed"] += n
    for group_id, n in session.execute(
        select(Response.group_id, func.count()).where(Response.campaign_id == campaign.id).group_by(Response.group_id)
    ).all():
        counts.setdefault(group_id, {"invited": 0, "started": 0, "completed": 0, "open_link_visits": 0, "responses": 0})["responses"] = n
    return {g: GroupRates(**c) for g, c in counts.items()}
