"""Ratings in long CSV format — ``capability_id,assessor,level`` — read, checked and written.

This is the format ``itcap assess reliability``/``position`` read and ``itcap assess export``
writes, so every figure the app shows can be reproduced from the command line. A blank level (or
``NA``, ``N/A``, ``NaN``) means "not rated". Other columns (evidence, confidence …) are allowed and ignored.

Every problem is reported with its line number, all at once (up to a limit), never a traceback.
Assessors and capabilities are put in a fixed order — capabilities in the model's order (or first
appearance without a model), assessors sorted by name — so that the bootstrap, which resamples
assessor columns, gives the same confidence whatever order the rows come in.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from capability_model.schema import CapabilityModel
from itcap.spreadsheet import safe_cell
from itcap.validation import DocumentInvalid
from surveys.csv_text import MISSING_TOKENS, separator

COLUMNS = ("capability_id", "assessor", "level")
# Without a model the widest scale the model schema allows is accepted.
DEFAULT_LEVEL_RANGE = (0, 10)
MAX_PROBLEMS = 50
_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")


class RatingsInvalid(DocumentInvalid):
    """The ratings file has problems; ``problems`` has one line each, with the line number."""


@dataclass(frozen=True)
class RatingsTable:
    """Ratings as a capabilities × assessors matrix of levels (``NaN`` = not rated)."""

    capability_ids: list[str]  # rows: the model's capabilities, or those in the file without a model
    assessors: list[str]  # columns, sorted by name
    levels: np.ndarray
    listed: list[str]  # capabilities that appear in the file, in order of first appearance

    @property
    def n_ratings(self) -> int:
        return int((~np.isnan(self.levels)).sum())


def _suggest(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_level(text: str) -> int | None:
    """'3' → 3, '3.0' → 3; '' and what R, pandas and spreadsheets write for a missing value (``NA``,
    ``N/A``, ``NaN``, as ``itcap analyze`` reads them) → None; anything else raises ValueError."""
    text = text.strip()
    if text in MISSING_TOKENS:
        return None
    if not _INTEGER.match(text):
        try:
            float(text)
        except ValueError:
            raise ValueError(f"level {text!r} is not a number") from None
        raise ValueError(f"level {text!r} is not a whole number")
    number = float(text)
    if not math.isfinite(number):  # hundreds of digits: float() gives inf, and int(inf) would raise OverflowError
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise ValueError(f"level {shown!r} is far out of range")
    return int(number)


def parse_ratings_csv(
    text: str,
    where: str = "<ratings>",
    *,
    model: CapabilityModel | None = None,
    level_range: tuple[int, int] | None = None,
) -> RatingsTable:
    """Read long-format ratings, checking every line.

    With a ``model``: capability ids must be the model's, levels within its scale, and the table
    has one row per capability of the model in model order (capabilities without ratings are rows
    of ``NaN``). Without: levels within ``level_range`` (default 0–10) and capabilities in order of
    first appearance.

    Raises :class:`RatingsInvalid` listing every problem with its line number.
    """
    if not text.strip():
        raise RatingsInvalid([f"{where}: the file is empty"])
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise RatingsInvalid([f"{where}: line {line}: contains a NUL character; this is not a text CSV file"])
    if level_range is None:
        level_range = (model.min_level, model.max_level) if model is not None else DEFAULT_LEVEL_RANGE
    low, high = level_range
    known = model.capability_ids if model is not None else None
    known_set = set(known) if known is not None else None

    # ";" or tab as a responses file may have them (spreadsheets in many locales save CSV with ";")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))
    problems: list[str] = []
    try:
        header = next(reader)
    except csv.Error as exc:
        raise RatingsInvalid([f"{where}: line 1: not valid CSV ({exc})"]) from None
    names = [name.strip().lower() for name in header]
    missing = [column for column in COLUMNS if column not in names]
    if missing:
        found = ", ".join(repr(h) for h in header) or "nothing"
        raise RatingsInvalid([f"{where}: line 1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                              f"the header must include {','.join(COLUMNS)} (found {found})"])
    duplicated = sorted({n for n in names if names.count(n) > 1 and n in COLUMNS})
    if duplicated:
        raise RatingsInvalid([f"{where}: line 1: column {', '.join(duplicated)} appears more than once"])
    position = {column: names.index(column) for column in COLUMNS}

    seen: dict[tuple[str, str], int] = {}
    entries: list[tuple[str, str, int | None]] = []
    capability_order: dict[str, None] = {}
    rows = 0
    while True:
        start = reader.line_num + 1  # the row's first line: a quoted level can run over two
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"{where}: line {start}: not valid CSV ({exc})")
            break
        line = start
        if not row or all(not cell.strip() for cell in row):
            continue  # blank lines are harmless
        rows += 1
        if len(row) != len(header):
            problems.append(f"{where}: line {line}: expected {len(header)} fields as in the header, found {len(row)}")
            continue
        capability = row[position["capability_id"]].strip()
        assessor = row[position["assessor"]].strip()
        raw_level = row[position["level"]]
        bad = False
        if not capability:
            problems.append(f"{where}: line {line}: capability_id is blank")
            bad = True
        elif known_set is not None and capability not in known_set:
            problems.append(f"{where}: line {line}: unknown capability {capability!r}: not in model {model.id!r}{_suggest(capability, known)}")
            bad = True
        if not assessor:
            problems.append(f"{where}: line {line}: assessor is blank")
            bad = True
        try:
            level = parse_level(raw_level)
        except ValueError as exc:
            problems.append(f"{where}: line {line}: {exc}; use a whole number from {low} to {high}, or leave it blank for not rated")
            bad = True
            level = None
        else:
            if level is not None and not low <= level <= high:
                problems.append(f"{where}: line {line}: level {level} is out of range; levels run from {low} to {high}")
                bad = True
        if capability and assessor:
            first = seen.get((capability, assessor))
            if first is not None:
                problems.append(f"{where}: line {line}: duplicate rating of capability {capability!r} by assessor {assessor!r} (first given on line {first})")
                bad = True
            else:
                seen[(capability, assessor)] = line
        if len(problems) > MAX_PROBLEMS:
            break
        if not bad:
            entries.append((capability, assessor, level))
            capability_order.setdefault(capability, None)

    if problems:
        if len(problems) > MAX_PROBLEMS:
            problems = problems[:MAX_PROBLEMS] + [f"{where}: … stopped after {MAX_PROBLEMS} problems"]
        raise RatingsInvalid(problems)
    if rows == 0:
        raise RatingsInvalid([f"{where}: no ratings: the file has a header but no rows"])
    if all(level is None for _, _, level in entries):
        raise RatingsInvalid([f"{where}: no ratings: every level is blank ('not rated'); there is nothing to "
                              "position or compare"])

    capability_ids = list(known) if known is not None else list(capability_order)
    assessors = sorted({assessor for _, assessor, _ in entries})
    row_of = {cap: i for i, cap in enumerate(capability_ids)}
    column_of = {name: j for j, name in enumerate(assessors)}
    levels = np.full((len(capability_ids), len(assessors)), np.nan)
    for capability, assessor, level in entries:
        if level is not None:
            levels[row_of[capability], column_of[assessor]] = level
    return RatingsTable(capability_ids, assessors, levels, list(capability_order))


def write_ratings_csv(rows: Iterable[tuple[str, str, int | None]]) -> str:
    """Long-format CSV text (``capability_id,assessor,level``; None → blank)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for capability, assessor, level in rows:
        writer.writerow((capability, safe_cell(assessor), "" if level is None else int(level)))
    return buffer.getvalue()


OVERRIDE_COLUMNS = ("capability_id", "level")


def parse_overrides_csv(text: str, where: str, *, model: CapabilityModel) -> dict[str, int]:
    """Consensus overrides ``capability_id,level[,rationale,…]`` as written by ``itcap assess export``."""
    if not text.strip():
        raise RatingsInvalid([f"{where}: the file is empty"])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))  # ";" or tab, as the ratings file
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as exc:
        raise RatingsInvalid([f"{where}: line 1: not valid CSV ({exc})"]) from None
    missing = [column for column in OVERRIDE_COLUMNS if column not in header]
    if missing:
        raise RatingsInvalid([f"{where}: line 1: missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                              f"the header must include {','.join(OVERRIDE_COLUMNS)}"])
    cap_at, level_at = header.index("capability_id"), header.index("level")
    known = model.capability_ids
    overrides: dict[str, int] = {}
    first_line: dict[str, int] = {}
    problems: list[str] = []
    try:
        end = reader.line_num
        for row in reader:
            line, end = end + 1, reader.line_num  # the row's first line: a rationale can run over several
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(f"{where}: line {line}: expected {len(header)} fields as in the header, found {len(row)}")
                continue
            capability = row[cap_at].strip()
            if capability not in known:
                problems.append(f"{where}: line {line}: unknown capability {capability!r}: not in model {model.id!r}{_suggest(capability, known)}")
                continue
            try:
                level = parse_level(row[level_at])
            except ValueError as exc:
                problems.append(f"{where}: line {line}: {exc}")
                continue
            if level is None:
                problems.append(f"{where}: line {line}: level is blank; an override needs a level")
                continue
            if not model.min_level <= level <= model.max_level:
                problems.append(f"{where}: line {line}: level {level} is out of range; levels run from {model.min_level} to {model.max_level}")
                continue
            if capability in first_line:
                problems.append(f"{where}: line {line}: a second override for capability {capability!r} (first on line {first_line[capability]})")
                continue
            first_line[capability] = line
            overrides[capability] = level
    except csv.Error as exc:
        problems.append(f"{where}: line {reader.line_num}: not valid CSV ({exc})")
    if problems:
        raise RatingsInvalid(problems[:MAX_PROBLEMS])
    return overrides


def write_overrides_csv(rows: Iterable[tuple[str, int, str, str, str]]) -> str:
    """``capability_id,level,rationale,decided_by,decided_at`` — the overrides in force."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("capability_id", "level", "rationale", "decided_by", "decided_at"))
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])  # the rationale is free text
    return buffer.getvalue()
