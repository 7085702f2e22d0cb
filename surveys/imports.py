"""Importing responses collected elsewhere (paper, another survey tool) from CSV.

The file: UTF-8 text (a byte-order mark is fine; ``;`` or tab separators are recognised — with ``;``,
a decimal comma too), a header
row, one row per respondent. Columns:

- ``group`` (required; any capitalisation): the group id or the group's name;
- one column per item id (blank, ``NA``, ``N/A`` or ``NaN`` = not answered, as ``itcap analyze``
  reads them; :mod:`surveys.csv_text`): likert/choice items take the code (``4``) or the label
  (``Agree``, any capitalisation); numeric items a number; text items any text, kept verbatim;
- ``response_id``, ``source`` and ``flags`` — the metadata columns ``itcap responses export`` writes —
  are ignored, so an export can be imported into another campaign: every imported response gets a
  new random id and its flags are recomputed. A ``response_id`` that appears twice is refused (a
  response pasted twice would count twice).

Any other column is refused, including timestamps, IP or e-mail addresses: responses are stored
anonymously, so identifying columns must be removed before import, deliberately, by a person.

Every problem of the file is collected — with its line number, column and item — and nothing is
stored unless there are none. Numeric answers outside an item's plausible range are not errors: they
are stored as given and flagged ``out_of_range`` (see :mod:`surveys.quality`).
"""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sqlalchemy import insert, select
from sqlmodel import Session

from itcap import audit
from itcap.storage import today
from surveys import quality
from itcap.spreadsheet import unescape_cell
from itcap.validation import DocumentInvalid, decode_text
from surveys.answers import answer_packer, check_answer
from surveys.csv_text import (MISSING_HINT, MISSING_TOKENS, decimal_comma_to_point, did_you_mean, not_finite, parse_number, thousands_point_problem,
                              quote_problem, separator, separator_hint_problem, shown_cell,
                              width_problem)
from surveys.campaigns import CLOSED, campaign_instrument, get_campaign, lock_campaign
from surveys.errors import SurveyError
from surveys.limits import REPEAT_MIN_ANSWERS
from surveys.instrument import Instrument, Item
from surveys.tables import Response

GROUP_COLUMN = "group"
IGNORED_COLUMNS = ("response_id", "source", "flags")
MAX_REPORTED_PROBLEMS = 50
_INSERT_CHUNK = 5_000
_IDENTIFYING_HINTS = ("time", "date", "ip", "mail", "name", "address", "user", "login", "phone")


class ImportInvalid(SurveyError):
    """The file cannot be imported; nothing was stored. ``problems`` lists them (capped), and
    ``total`` says how many there were in all."""

    def __init__(self, problems: list[str], total: int | None = None):
        self.total = len(problems) if total is None else total
        shown = _every_kind_first(problems, MAX_REPORTED_PROBLEMS)
        if self.total > len(shown):
            kinds = len({_problem_kind(p) for p in problems})
            listed = ("the first of each kind are listed" if kinds <= MAX_REPORTED_PROBLEMS
                      else f"the first problem of each of {MAX_REPORTED_PROBLEMS} kinds is listed")
            shown = shown + [f"… and {self.total - len(shown):,} more problems ({self.total:,} in all, of {kinds:,} kind"
                             f"{'s' if kinds != 1 else ''}; {listed})"]
        super().__init__(shown)


def _problem_kind(problem: str) -> str:
    """What a problem is about, without where: its column ("column q3"), else its wording with line
    numbers and quoted values taken out ("no group given")."""
    column = re.search(r"column ([^:,]+)", problem)
    if column and not column.group(1).isdigit():  # a header's "column 11" is a place, not what it is about
        return f"column {column.group(1)}"
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "", problem.split(": ", 1)[-1])


def _every_kind_first(problems: list[str], limit: int) -> list[str]:
    """At most ``limit`` problems, taken in turn from each kind (then in file order): 48,000 rows with a
    typo'd label in one column must not hide the blank group on the last line behind 50 lines of it."""
    if len(problems) <= limit:
        return problems
    seen: dict[str, int] = {}
    ranked = []
    for index, problem in enumerate(problems):
        kind = _problem_kind(problem)
        seen[kind] = seen.get(kind, 0) + 1
        ranked.append((seen[kind], index))
    chosen = sorted(index for _, index in sorted(ranked)[:limit])
    return [problems[i] for i in chosen]


@dataclass
class ImportResult:
    imported: int
    by_group: dict[str, int] = field(default_factory=dict)
    flagged: dict[str, int] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)


def decode_csv(raw: bytes, where: str) -> str:
    try:
        return decode_text(raw, where, save_as="CSV UTF-8")
    except DocumentInvalid as exc:
        raise ImportInvalid(exc.problems) from None


class _Column:
    """How one item column's cells become stored answers (one dict lookup for coded items)."""

    def __init__(self, instrument: Instrument, item: Item, name: str):
        self.item = item
        self.name = name
        self.lookup: dict[str, int] = {}
        self.lo, self.hi = instrument.item_range(item)
        if item.type in ("likert", "choice"):
            labels = instrument.value_labels(item)
            # labels first, then codes: should a label read as another option's code (an instrument
            # stored before the instrument checks refused that), the code wins, as it is what exports write
            for code, label in labels.items():
                self.lookup[label.strip().lower()] = code
            for code in labels:
                self.lookup[str(code)] = code
                self.lookup[f"{code}.0"] = code
            self.labels = labels

    def parse(self, cell: str) -> tuple[object, str | None]:
        item = self.item
        if item.type in ("likert", "choice"):
            code = self.lookup.get(cell.strip().lower())
            if code is not None:
                return code, None
            text = cell.strip()
            number = parse_number(text)
            scale = f"{min(self.labels)}–{max(self.labels)}"
            if number is not None:
                if number.is_integer() and int(number) in self.labels:  # "+4", "4.00", a full-width "４"
                    return int(number), None
                if item.type == "likert" and number.is_integer():
                    return None, f"{text} is outside the scale {scale}"
                return None, f"{text} is not a code of this item (codes: {', '.join(map(str, sorted(self.labels)))})"
            if not_finite(text):
                return None, f"{text[:60]!r} is not a finite number; use a code {scale}"
            labels = "; ".join(self.labels.values())
            return None, f"{text[:60]!r} is not a label of this item; use a code {scale} or one of: {labels}; {MISSING_HINT}"
        if item.type == "numeric":
            text = cell.strip()
            number = parse_number(text)
            if number is None:
                if not_finite(text):
                    return None, f"{text[:60]!r} is not a finite number"
                return None, f"{text[:60]!r} is not a number ({MISSING_HINT})"
            return (int(number) if number.is_integer() and abs(number) < 2**53 else number), None
        cell = unescape_cell(cell)  # an itcap CSV export's "'=…" is the respondent's "=…"
        if len(cell) > item.max_length:
            return None, f"the text has {len(cell):,} characters; this item takes at most {item.max_length:,}"
        return cell, None


def parse_responses_csv(instrument: Instrument, text: str, where: str) -> tuple[list[tuple[str, dict]], list[str], list[str]]:
    """Rows as ``(group_id, answers)``, the ignored columns, and every problem found (uncapped)."""
    rows, ignored, problems, _, _ = _parse(instrument, text, where)
    return rows, ignored, problems


def _parse(instrument: Instrument, text: str, where: str
           ) -> tuple[list[tuple[str, dict]], list[str], list[str], dict[str, list[int]], list[int]]:
    """:func:`parse_responses_csv`, the lines each ``response_id`` is on (read in the same pass) and
    the line each row starts on."""
    problems: list[str] = []
    # strict: an unclosed quote is an error, not a value that swallows the rest of the file
    if hint := separator_hint_problem(text):
        raise ImportInvalid([f"{where}: {hint}"])
    sep = separator(text)
    decimal_comma = sep == ";"  # "5,9" in a ;-separated file is five point nine (csv_text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportInvalid([f"{where}: the file is empty"]) from None
    except csv.Error as exc:
        raise ImportInvalid([f"{where}: line 1: {quote_problem(exc)}"]) from None
    names = [h.strip() for h in header]
    if not any(names):
        raise ImportInvalid([f"{where}: line 1: the header row is empty; the first row must name the columns"])

    items = instrument.item_map()
    items_folded = {}
    for item_id in items:
        items_folded.setdefault(item_id.lower(), []).append(item_id)
    group_index = id_index = None
    columns: list[tuple[int, _Column]] = []
    ignored: list[str] = []
    # A column with no name is what a spreadsheet leaves after its last used column: harmless while
    # it stays empty; a value under it is reported (once per column) on the line where it appears.
    unnamed: dict[int, int | None] = {}
    for dup, n in Counter(n.lower() for n in names if n).items():
        if n > 1:
            problems.append(f"{where}: line 1: column {dup!r} appears {n} times")
    seen: set[str] = set()
    for index, name in enumerate(names):
        here = f"{where}: line 1, column {index + 1}"
        if not name:
            unnamed[index] = None
            continue
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        if name.lower() == GROUP_COLUMN:
            group_index = index
        elif name in items or len(items_folded.get(name.lower(), [])) == 1:
            item = items[name] if name in items else items[items_folded[name.lower()][0]]
            columns.append((index, _Column(instrument, item, name)))
        elif name.lower() in IGNORED_COLUMNS:
            ignored.append(name)
            if name.lower() == "response_id":
                id_index = index
        else:
            hint = ""
            if any(h in name.lower() for h in _IDENTIFYING_HINTS):
                hint = ("; if it identifies people or times (timestamps, IP or e-mail addresses, names), remove it: "
                        "responses are stored anonymously")
            problems.append(f"{here}: {name[:60]!r} is not an item of instrument {instrument.id!r}"
                            f"{hint or did_you_mean(name, [*items, GROUP_COLUMN])}")
    if group_index is None:
        problems.append(f"{where}: line 1: no {GROUP_COLUMN!r} column; every row needs the respondent's group "
                        f"({', '.join(instrument.group_ids())})")
    elif not columns and not problems:  # a response of a group and nothing else is no answer at all
        problems.append(f"{where}: line 1: no item column (the header has {', '.join(repr(h[:40]) for h in names[:5] if h)}"
                        f"{', …' if len(names) > 5 else ''}): each row needs answers under the instrument's item ids, "
                        f"e.g. {', '.join(i.id for i in instrument.items[:3])}")

    groups = {g.name.strip().lower(): g.id for g in instrument.groups}
    groups.update({g.id.lower(): g.id for g in instrument.groups})  # an id wins over another group's name
    asked = {g: {item.id for item in instrument.items_for_group(g)} for g in instrument.group_ids()}
    width = len(header)
    rows: list[tuple[str, dict]] = []
    row_lines: list[int] = []
    id_lines: dict[str, list[int]] = {}
    line = 1
    while True:
        start = line + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{where}: line {start}: {quote_problem(exc)}")
            break
        line = reader.line_num
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != width:
            problems.append(f"{where}: line {start}: {width_problem(len(row), width)}")
            continue
        for index, first in unnamed.items():
            if first is None and row[index].strip():
                unnamed[index] = start
                problems.append(f"{where}: line {start}, column {index + 1}: {shown_cell(row[index])} is in a column with no "
                                "name; name the column or remove it")
        if id_index is not None and row[id_index].strip():
            id_lines.setdefault(row[id_index].strip(), []).append(start)
        group_id = None
        if group_index is not None:
            cell = row[group_index].strip()
            if not cell:
                problems.append(f"{where}: line {start}: no group given")
            else:
                group_id = groups.get(cell.lower())
                if group_id is None:
                    problems.append(f"{where}: line {start}: group {cell[:60]!r} is not a group of this instrument "
                                    f"({', '.join(instrument.group_ids())}){did_you_mean(cell, [*instrument.group_ids(), *(g.name for g in instrument.groups)])}")
        answers = {}
        given = 0
        for index, column in columns:
            cell = row[index]
            if not cell or cell.isspace() or (column.item.type != "text" and cell.strip() in MISSING_TOKENS
                                              and cell.strip().lower() not in column.lookup):
                continue  # not answered (a text answer "N/A", or an option so labelled, is kept)
            given += 1
            if group_id is not None and column.item.id not in asked[group_id]:
                problems.append(f"{where}: line {start}, column {column.name}: item {column.item.id!r} is not asked of group {group_id!r}")
                continue
            value = column.lookup.get(cell)  # the common case, a plain code: one dict lookup
            problem = None
            if value is None:
                if decimal_comma and column.item.type != "text":
                    problem = thousands_point_problem(cell)  # "1.000": one thousand or one? refused, never read as 1
                    cell = decimal_comma_to_point(cell)
                if not problem:
                    value, problem = column.parse(cell)
            if problem:
                problems.append(f"{where}: line {start}, column {column.name}: {problem}")
            else:
                answers[column.item.id] = value
        if not given and columns:
            problems.append(f"{where}: line {start}: no answers in this row")
            continue
        if group_id is not None:
            rows.append((group_id, answers))
            row_lines.append(start)
    for response_id, lines in id_lines.items():
        if len(lines) > 1:  # the same response pasted twice would count twice
            problems.append(f"{where}: response_id {response_id[:40]!r} appears {len(lines)} times (lines {_first_five(lines)}): "
                            "each response once")
    if not rows and not problems:
        problems.append(f"{where}: no responses in the file (only a header row)")
    return rows, ignored, problems, id_lines, row_lines


def _store(session: Session, campaign_id: int, instrument: Instrument, rows: list[tuple[str, dict, int | None]],
           source: str) -> tuple[dict[str, int], dict[str, int]]:
    submitted = today()
    sections = {g: quality.likert_sections(instrument, g) for g in instrument.group_ids()}
    ranges = quality.numeric_ranges(instrument)
    pack = answer_packer(instrument)
    records = []
    flagged: Counter[str] = Counter()
    by_group: Counter[str] = Counter()
    for group_id, answers, duration in rows:
        flags = quality.stored_flags(instrument, group_id, answers, sections[group_id], ranges)
        flagged.update(flags.split())
        by_group[group_id] += 1
        records.append({"id": uuid.uuid4().hex, "campaign_id": campaign_id, "group_id": group_id, "submitted_on": submitted,
                        "duration_seconds": duration, "answers_json": pack(answers),
                        "quality_flags": flags, "source": source})
    # In random-id order: the response table is stored by id (WITHOUT ROWID on SQLite), so inserting in
    # key order appends instead of splitting pages all over the table — 2–3× faster for 50,000 rows.
    records.sort(key=lambda record: record["id"])
    for start in range(0, len(records), _INSERT_CHUNK):
        session.execute(insert(Response.__table__), records[start:start + _INSERT_CHUNK])
    return dict(by_group), dict(flagged)


def add_responses(session: Session, campaign_id: int, responses: Iterable[Mapping[str, Any]], *, actor: str,
                  source: str = "import") -> ImportResult:
    """Store responses given as data — ``{"group": id, "answers": {item_id: value}, "duration_seconds":
    n or None}`` — checked like an import, all or nothing (for the demo, tests and other tools).

    ``source="web"`` with durations makes responses that take part in the ``fast`` flag. Answers are
    checked with the web rules, except that numeric answers outside the plausible range are kept and
    flagged ``out_of_range``, as in an import.
    """
    campaign = get_campaign(session, campaign_id)
    instrument = campaign_instrument(session, campaign)
    if source not in ("web", "import"):
        raise ImportInvalid([f"source: {source!r} is not 'web' or 'import'"])
    asked = {g: {item.id: item for item in instrument.items_for_group(g)} for g in instrument.group_ids()}
    problems: list[str] = []
    rows: list[tuple[str, dict, int | None]] = []
    for index, response in enumerate(responses):
        here = f"responses[{index}]"
        group_id = response.get("group")
        if group_id not in asked:
            problems.append(f"{here}: group {group_id!r} is not a group of this instrument ({', '.join(asked)})")
            continue
        answers = {}
        for item_id, value in (response.get("answers") or {}).items():
            item = asked[group_id].get(item_id)
            if item is None:
                problems.append(f"{here}: item {item_id!r} is not asked of group {group_id!r}")
                continue
            stored, problem = check_answer(instrument, item, value)
            if problem and item.type == "numeric" and isinstance(value, (int, float)) and not isinstance(value, bool) \
                    and math.isfinite(value):
                stored, problem = (int(value) if float(value).is_integer() else float(value)), None
            if problem:
                problems.append(f"{here}, item {item_id}: {problem}")
            elif stored is not None:
                answers[item_id] = stored
        if not answers:
            problems.append(f"{here}: no answers")
        duration = response.get("duration_seconds")
        if duration is not None and (isinstance(duration, bool) or not isinstance(duration, int) or duration < 0):
            problems.append(f"{here}: duration_seconds must be a whole number of seconds (got {duration!r})")
        rows.append((group_id, answers, duration))
    if problems:
        raise ImportInvalid(problems)
    by_group, flagged = _store(session, campaign.id, instrument, rows, source)
    audit.record(session, actor, "responses.add", f"campaign:{campaign.id}", f"{len(rows)} {source} response{'' if len(rows) == 1 else 's'}")
    return ImportResult(len(rows), by_group, flagged)


def _refuse_responses_already_stored(session: Session, campaign_id: int, id_lines: dict[str, list[int]], where: str) -> None:
    """An export of this campaign imported back would count every response twice: the export's
    response ids give it away (imported rows get new ids, so only a re-import can match)."""
    ids = {response_id: lines[0] for response_id, lines in id_lines.items()}
    found: list[str] = []
    keys = list(ids)
    for start in range(0, len(keys), 900):  # within every database's limit on bound parameters
        chunk = keys[start:start + 900]
        found += session.execute(select(Response.id).where(Response.campaign_id == campaign_id,
                                                           Response.id.in_(chunk))).scalars().all()
    if found:
        lines = sorted(ids[i] for i in found)
        raise ImportInvalid([f"{where}: {len(found):,} rows (lines {_first_five(lines)}) are responses this campaign already holds "
                             "(their response_id is stored): this looks like an export of the campaign, or a file already "
                             "imported, being imported again."])


# Rows of a file that repeat stored responses' answers exactly: from this many on, and at least half of
# the file, it is an export of the campaign coming back (by chance, 30+ answers rarely coincide).
SAME_ANSWERS_MIN_ROWS = 10
# REPEAT_MIN_ANSWERS (surveys.limits): a single row is taken for a person counted twice when it repeats
# a stored response (or an earlier row) in at least that many rated and numeric answers, its ratings
# not all alike: real people agree that exactly only by copying. Fewer answers, or one rating given
# throughout, coincide by chance.


def _refuse_answers_already_stored(session: Session, campaign_id: int, instrument: Instrument,
                                   rows: list[tuple[str, dict]], where: str, lines: list[int] | None = None,
                                   allow_repeats: bool = False) -> None:
    """The dashboard's export has no response ids (its rows are shuffled, and free text is listed
    apart), so an import of it is recognised by its answers: group and every rated and numeric answer
    the same as a stored response's, for most of the file. Free text and demographic questions are
    left out of the comparison, because that export leaves them out of its rows.

    Then row by row (``lines``: the line each row starts on): a row that repeats a stored response,
    or an earlier row of the file, in :data:`REPEAT_MIN_ANSWERS` or more varied answers is the same
    person twice — a second batch of paper forms that overlaps the first — unless ``allow_repeats``."""
    ids = [item.id for item in instrument.items if item.type in ("likert", "numeric")]
    if not ids or not rows:
        return
    wanted = set(ids)
    positions = [i for i, item_id in enumerate(instrument.item_ids) if item_id in wanted]

    def key_of_stored(group_id: str, stored: str) -> tuple:
        values = orjson.loads(stored)
        if isinstance(values, dict):  # the form before migration 0005
            return (group_id, *(_same(values.get(i)) for i in ids))
        return (group_id, *(_same(values[p]) for p in positions))

    stored = Counter(key_of_stored(g, a) for g, a in session.execute(
        select(Response.group_id, Response.answers_json).where(Response.campaign_id == campaign_id)))
    keys = [(g, *(_same(answers.get(i)) for i in ids)) for g, answers in rows]
    if stored and len(rows) >= SAME_ANSWERS_MIN_ROWS:
        same = sum(min(n, stored[key]) for key, n in Counter(keys).items() if key in stored)
        if same >= SAME_ANSWERS_MIN_ROWS and 2 * same >= len(rows):
            raise ImportInvalid([f"{where}: {same:,} of the file's {len(rows):,} rows give exactly the answers of responses "
                                 "this campaign already holds: this looks like a file already imported, or an export of the "
                                 "campaign (the dashboard's or the administrators'), being imported again, which would "
                                 "count those people twice. Nothing was imported."])
    if allow_repeats or len(ids) < REPEAT_MIN_ANSWERS:
        return
    lines = lines or list(range(2, len(rows) + 2))
    left = dict(stored)  # each stored response matches one row; a second row like it repeats that row
    first_line: dict[tuple, int] = {}
    repeated_stored, repeated_row = [], []
    rated = [i for i, item_id in enumerate(ids, start=1) if instrument.item(item_id).type == "likert"]
    for key, line in zip(keys, lines):
        if sum(v is not None for v in key[1:]) < REPEAT_MIN_ANSWERS or len({key[i] for i in rated} - {None}) < 2:
            continue  # few answers, or one rating throughout (straight-lining): such rows coincide by chance
        if left.get(key):
            left[key] -= 1
            repeated_stored.append(line)
        elif key in first_line:
            repeated_row.append((line, first_line[key]))
        else:
            first_line[key] = line
    problems = []
    if repeated_stored:
        problems.append(f"{where}: {_lines(repeated_stored)} give{'s' if len(repeated_stored) == 1 else ''} exactly the "
                        f"answers of a response this campaign already holds (every rated and numeric answer, "
                        f"{REPEAT_MIN_ANSWERS} or more of them)")
    if repeated_row:
        shown = _first_five([f"{line} repeats {first}" for line, first in repeated_row])
        problems.append(f"{where}: {len(repeated_row):,} row{'' if len(repeated_row) == 1 else 's'} repeat{'s' if len(repeated_row) == 1 else ''} "
                        f"an earlier row of the file answer for answer (line {shown})")
    if problems:
        problems.append(f"{where}: the same people counted twice? A file that overlaps one imported before: take those rows "
                        "out. Different people who really answered alike: import again allowing repeated answers "
                        "(itcap responses import --allow-repeats; on the Campaigns page, the box above the button)")
        raise ImportInvalid(problems)


def _first_five(things: list) -> str:
    """"4, 9, 12, 20, 31 …": the first five of a list a message names."""
    return ", ".join(map(str, things[:5])) + (" …" if len(things) > 5 else "")


def _lines(lines: list[int]) -> str:
    """"line 4" or "3 rows (lines 4, 9, 12 …)"."""
    if len(lines) == 1:
        return f"line {lines[0]}"
    return f"{len(lines):,} rows (lines {_first_five(lines)})"


def _same(value: Any) -> Any:
    """An answer as compared: 4 and 4.0 alike."""
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _refuse_closed(status: str, campaign) -> None:
    if status == CLOSED:
        # Closing rewrites the stored rows for anonymity and ends the collection: rows added later
        # would be dated after the close and slip past that rewrite. Not ImportInvalid: the file is
        # not at fault, and fixing it would change nothing.
        raise SurveyError(f"campaign {campaign.id} ({campaign.name}) is closed: it takes no more responses; to import "
                          "responses collected on paper, reopen it first and close it again afterwards")


def import_responses(session: Session, campaign_id: int, raw: bytes, *, actor: str, where: str = "<upload>",
                     allow_repeats: bool = False) -> ImportResult:
    """Validate a responses CSV against the campaign's instrument and store every row, or nothing.
    ``allow_repeats``: rows that repeat a stored response (or another row) answer for answer are
    people who answered alike, not the same people twice (see :func:`_refuse_answers_already_stored`).

    Raises :class:`ImportInvalid` listing the problems (line numbers, columns); the rows are added to
    the caller's transaction in bulk, so they commit together with the audit entry."""
    campaign = get_campaign(session, campaign_id)
    _refuse_closed(campaign.status, campaign)  # before the file is read: no point in checking it
    instrument = campaign_instrument(session, campaign)
    text = decode_csv(raw, where)
    rows, ignored, problems, id_lines, row_lines = _parse(instrument, text, where)
    if problems:
        raise ImportInvalid(problems)
    # From here to the commit, this import holds the campaign: a close (which locks the row first)
    # waits for it, or went first and is seen below; a second import of the same file waits, then
    # finds these rows (the checks below would otherwise both pass and both imports be stored).
    _refuse_closed(lock_campaign(session, campaign.id), campaign)
    if id_lines:
        _refuse_responses_already_stored(session, campaign.id, id_lines, where)
    _refuse_answers_already_stored(session, campaign.id, instrument, rows, where, row_lines, allow_repeats)
    by_group, flagged = _store(session, campaign.id, instrument, [(g, a, None) for g, a in rows], "import")
    summary = ", ".join(f"{g} {n}" for g, n in sorted(by_group.items()))
    audit.record(session, actor, "responses.import", f"campaign:{campaign.id}", f"{len(rows)} response{'' if len(rows) == 1 else 's'} from {where} ({summary})")
    return ImportResult(len(rows), by_group, flagged, ignored)
