"""Responses in, a clean numeric table out — shared by ``itcap analyze``, the app and the report.

A responses table has one row per respondent, a group column and one column per item id. This
module checks it against the instrument and says exactly what is wrong and where (line numbers for
CSV files, row labels for DataFrames):

* column names are read in any letter case, as an import reads them (surveys.imports);
* the group column exists, is never blank and holds instrument groups (ids; a group's id or name
  in any letter case is accepted and mapped to the id); typos are listed with their row counts;
* an item asked of some groups only has no answers from the others (as an import refuses them);
* every column is an instrument item, the group column, the flag column, a known metadata column
  (:data:`METADATA_COLUMNS`) or explicitly ignored; every likert/numeric item has a column
  (text and choice items may be absent — the analysis ignores them);
* cells are blank (or one of :data:`surveys.csv_text.MISSING_TOKENS`: ``NA``, ``n/a``, ``#N/A``,
  ``NULL`` …, missing — unless it is one of the item's own option labels) or numbers; likert cells may also hold
  the exact label of a response option (any letter case) and must be whole codes within the
  response scale; numeric cells must lie within the item's min–max;
* a CSV row with every cell empty (``,,,,``, what a spreadsheet saves for rows it once used) is
  skipped and counted, as an import skips it.

Everything found is reported at once (up to :data:`MAX_LISTED` cell problems plus a count, and as
many rows with another number of values than the header, which the rest is checked without), as an
:class:`AnalysisInputError` — a :class:`itcap.validation.DocumentInvalid`, so the CLI prints one
line per problem and exits 1.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from itcap.validation import DocumentInvalid
from surveys.answers import unpack_answers
from surveys.csv_text import (MISSING_HINT, MISSING_TOKENS, decimal_comma_to_point, did_you_mean, parse_number, quote_problem, thousands_point_problem,
                              separator, separator_hint_problem, shown_cell, width_problem)
from surveys.instrument import Instrument
from surveys.scoring import ANALYSED_TYPES, item_bounds

__all__ = [
    "AnalysisInputError", "ResponsesTable", "METADATA_COLUMNS", "MISSING_TOKENS", "read_responses_csv",
    "prepare_responses", "responses_to_frame",
]

# Columns an export or a survey tool typically adds; skipped unless they are instrument items.
METADATA_COLUMNS = frozenset({
    "response_id", "respondent", "respondent_id", "id", "campaign", "campaign_id", "submitted_on",
    "submitted", "date", "duration_seconds", "duration", "quality_flags", "flags", "source",
})
MAX_LISTED = 20


class AnalysisInputError(DocumentInvalid):
    """The responses table cannot be analysed; ``problems`` lists every reason, one line each."""


@dataclass
class ResponsesTable:
    """A validated responses table.

    ``frame`` has the group column (instrument group ids, str), one float column per analysed item
    (likert and numeric, instrument order; NaN = missing) and, when asked for, the flag column
    (str, '' = not flagged). The row index is kept from the input. ``ignored_columns`` lists the
    input columns that were skipped (text/choice items, metadata, explicitly ignored).
    ``out_of_range`` counts, per row, the numeric answers outside the item's plausible range that
    were set to missing: they are kept in storage and flagged ``out_of_range`` at import
    (docs/surveys.md), so they are data, not errors, but a 500-minute logon is not averaged in.
    ``blank_rows`` counts the CSV rows with every cell empty that were skipped (not in ``frame``).
    """

    frame: pd.DataFrame
    group_col: str
    item_ids: list[str]
    ignored_columns: list[str] = field(default_factory=list)
    flag_col: str | None = None
    out_of_range: np.ndarray | None = None
    blank_rows: int = 0


# -- CSV -----------------------------------------------------------------------------------------
def read_responses_csv(
    text: str,
    instrument: Instrument,
    group_col: str,
    *,
    where: str = "<responses>",
    flag_col: str | None = None,
    ignore_columns: Sequence[str] = (),
) -> ResponsesTable:
    """Parse and validate a responses CSV (text already decoded); errors carry file line numbers."""
    if hint := separator_hint_problem(text):
        raise AnalysisInputError([f"{where}: {hint}"])
    sep = separator(text)
    header = _csv_header(text, where, sep)
    dupes = _repeated(header)
    # A column with no name is what a spreadsheet leaves after its last used column: dropped while
    # it stays empty (checked once the cells are read), named here so pandas can read it.
    unnamed = {f"\0column {i + 1}": i for i, c in enumerate(header) if not c}
    header = [c or f"\0column {i + 1}" for i, c in enumerate(header)]
    if dupes:
        raise AnalysisInputError([f"{where}: line 1: {c}" for c in dupes])
    text, blank_rows = _without_blank_rows(text, sep)
    text, shape_problems, other_widths = _check_record_shapes(text, len(header), where, sep)
    try:
        table = _read_records(text, header, unnamed, sep, instrument, group_col, where, flag_col, ignore_columns,
                              blank_rows=blank_rows, rows_left_out=other_widths)
    except AnalysisInputError as exc:
        if not shape_problems:
            raise
        # the rest of the file was checked without those rows: every problem is said at once, as an import says them
        raise AnalysisInputError([*exc.problems, *shape_problems]) from None
    if shape_problems:
        raise AnalysisInputError(shape_problems)
    table.blank_rows = blank_rows
    return table


def _read_records(text: str, header: list[str], unnamed: dict[str, int], sep: str, instrument: Instrument, group_col: str,
                  where: str, flag_col: str | None, ignore_columns: Sequence[str], *, blank_rows: int,
                  rows_left_out: int) -> ResponsesTable:
    """The records of a CSV whose every row is as wide as its header (``rows_left_out`` others made empty
    lines), read and checked."""
    names = _column_names(header, instrument, group_col, flag_col)
    string_cols = {c for c in header if names[c] not in _analysed_ids(instrument)}
    try:
        frame = pd.read_csv(
            io.StringIO(text, newline=""),
            header=0,
            names=header,
            sep=sep,
            # a ;-separated file is read as text throughout: its numbers are checked for a thousands point below
            dtype=str if sep == ";" else {c: str for c in string_cols},
            # a token that is one of the item's own labels ("N/A" as an option) is that option, as an import reads it
            na_values={c: [t for t in MISSING_TOKENS if t.lower() not in _label_texts(instrument, names[c])]
                       for c in header if c not in string_cols},
            keep_default_na=False,
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        raise AnalysisInputError([_parser_problem(str(exc), where)]) from None
    except (ValueError, csv.Error) as exc:
        raise AnalysisInputError([f"{where}: not a readable CSV file ({exc})"]) from None
    if frame.empty:
        if rows_left_out:  # every row has another number of values than the header: that is what is said
            raise AnalysisInputError([])
        rows = f"only {blank_rows} row(s) with every cell empty" if blank_rows else "no data rows"
        raise AnalysisInputError([f"{where}: no responses (the file has a header line and {rows})"])
    for c in string_cols & set(frame.columns):
        frame[c] = frame[c].fillna("")
    lines: list[int] | None = None
    offsets: list[int] | None = None

    def line_of(position: int) -> str:
        nonlocal lines
        if lines is None:
            lines = _record_start_lines(text, sep)
        line = lines[position] if position < len(lines) else position + 2
        return f"line {line}"

    def as_written(position: int, column: str) -> str | None:
        """The cell as the file has it (pandas has made "4.0000000001" the number 4.0000000001, which
        prints as 4): its record parsed again, for the few cells a message quotes."""
        nonlocal offsets
        line_of(position)
        if offsets is None:
            offsets = [0]
            for physical in io.StringIO(text, newline=""):
                offsets.append(offsets[-1] + len(physical))
        if position >= len(lines) or column not in header:
            return None
        first = lines[position] - 1
        end = offsets[lines[position + 1] - 1] if position + 1 < len(lines) else len(text)
        record = next(csv.reader(io.StringIO(text[offsets[first]:end], newline=""), delimiter=sep), [])
        index = header.index(column)
        return record[index].strip() if index < len(record) else None

    problems = []
    for name, index in unnamed.items():
        filled = np.flatnonzero(frame[name].str.strip().to_numpy() != "")
        if len(filled):
            problems.append(f"{where}: {line_of(int(filled[0]))}, column {index + 1}: {shown_cell(frame[name].iat[filled[0]])} "
                            f"is in a column with no name; name the column or remove it")
    if sep == ";":  # "5,9" is five point nine there (csv_text.decimal_comma_to_point); "1.000" is refused
        for c in [c for c in header if c not in string_cols]:
            cells = frame[c]
            present = cells.notna().to_numpy()
            for position in np.flatnonzero(present & cells.str.contains(".", regex=False).fillna(False).to_numpy()):
                if len(problems) < MAX_LISTED and (problem := thousands_point_problem(cells.iat[position])):
                    problems.append(f"{where}: {line_of(int(position))}, column {c}: {problem}")
            frame[c] = cells.map(lambda v: decimal_comma_to_point(v) if isinstance(v, str) else v)
    if problems:
        raise AnalysisInputError(problems)
    frame = frame.drop(columns=list(unnamed))

    return prepare_responses(
        frame, instrument, group_col, where=where, flag_col=flag_col, ignore_columns=ignore_columns, locate=line_of,
        as_written=as_written,
    )


# A line that holds nothing but separators, blanks and quotes: where a row with every cell empty can be.
_MAYBE_BLANK = {sep: re.compile(rf'\n(?:[^\S\r\n]|["{re.escape(sep)}])*\r?\n|\n(?:[^\S\r\n]|["{re.escape(sep)}])+\r?\Z')
                for sep in (",", ";", "\t")}


def _without_blank_rows(text: str, sep: str) -> tuple[str, int]:
    """The text with every data row whose cells are all empty (``,,,,``: what a spreadsheet saves
    for rows it once used) made an empty line, and how many such rows there were. An import skips
    them (surveys.imports); pandas skips empty lines, and the line numbers of the rows after them
    stay as they are. Empty lines themselves are not counted: they are not rows."""
    pattern = _MAYBE_BLANK.get(sep)
    if pattern is not None and not pattern.search(text):  # the usual file: no candidate line at all
        return text, 0
    lines = io.StringIO(text, newline="").readlines()  # split as csv.reader counts lines
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    blank = 0
    end = 0
    try:
        for number, record in enumerate(reader):
            start, end = end, reader.line_num
            if number and record and all(not cell.strip() for cell in record):
                blank += 1
                for i in range(start, end):  # the record's physical lines, down to their line breaks
                    lines[i] = lines[i][len(lines[i].rstrip("\r\n")):]
    except csv.Error:  # an unclosed quote: _check_record_shapes says where
        return text, 0
    return ("".join(lines), blank) if blank else (text, 0)


def _check_record_shapes(text: str, width: int, where: str, sep: str = ",") -> tuple[str, list[str], int]:
    """Every record has as many fields as the header, and every quote is closed. pandas fills a short
    row with blanks (a cut-off file would pass as unanswered questions) and lets an unclosed quote
    swallow the rest of the file into one cell; both are refused with their line. A row of another
    width is made an empty line (pandas skips it; the line numbers after it stay), so the rest of the
    file is still checked and every problem said at once, as an import does: returns the text, the
    problems (the first :data:`MAX_LISTED` and how many more) and how many such rows. An unclosed
    quote is refused at once: nothing after it can be read."""
    bad: list[tuple[int, int, int]] = []  # (first physical line, last + 1, values), 0-based lines
    if '"' not in text:  # the usual export: a field count per line is enough, and fast
        lines = text.split("\n")
        for index in range(1, len(lines)):
            line = lines[index]
            if line.strip() and line.count(sep) + 1 != width:
                bad.append((index, index + 1, line.count(sep) + 1))
    else:
        lines = io.StringIO(text, newline="").readlines()  # split as csv.reader counts lines
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True)
        start = 1
        try:
            next(reader)
            start = reader.line_num + 1
            for row in reader:
                if row and any(cell.strip() for cell in row) and len(row) != width:
                    bad.append((start - 1, reader.line_num, len(row)))
                start = reader.line_num + 1
        except csv.Error as exc:
            raise AnalysisInputError([*_width_problems(bad, width, where), f"{where}: line {start}: {quote_problem(exc)}"]) from None
    if not bad:
        return text, [], 0
    for first, end, _ in bad:
        for i in range(first, end):  # the record's physical lines, down to their line breaks
            lines[i] = lines[i][len(lines[i].rstrip("\r\n")):]
    return ("\n" if '"' not in text else "").join(lines), _width_problems(bad, width, where), len(bad)


def _width_problems(bad: list[tuple[int, int, int]], width: int, where: str) -> list[str]:
    problems = [f"{where}: line {first + 1}: {width_problem(values, width)}" for first, _, values in bad[:MAX_LISTED]]
    if len(bad) > MAX_LISTED:
        problems.append(f"{where}: … and {len(bad) - MAX_LISTED:,} more rows with another number of values than the "
                        f"header has columns")
    return problems


def _csv_header(text: str, where: str, sep: str = ",") -> list[str]:
    try:
        header = next(csv.reader(io.StringIO(text, newline=""), delimiter=sep), None)
    except csv.Error as exc:
        raise AnalysisInputError([f"{where}: line 1: cannot read the header ({exc})"]) from None
    if not header or not any(h.strip() for h in header):
        raise AnalysisInputError([f"{where}: line 1: no header line (expected the group column and one column per item id)"])
    return [h.strip() for h in header]


def _parser_problem(message: str, where: str) -> str:
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if match:
        expected, line, saw = match.groups()
        return f"{where}: line {line}: {saw} fields, but the header has {expected}"
    return f"{where}: not a readable CSV file ({message.strip().splitlines()[-1]})"


def _record_start_lines(text: str, sep: str = ",") -> list[int]:
    """Physical line on which each data record starts (records may span lines inside quotes)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    starts = []
    previous_end = 0
    for number, record in enumerate(reader):
        start = previous_end + 1
        previous_end = reader.line_num
        if number == 0 or not record:  # header; pandas skips blank lines
            continue
        starts.append(start)
    return starts


# -- any DataFrame -------------------------------------------------------------------------------
def _label_texts(instrument: Instrument, item_id: str) -> set[str]:
    """An item's option labels, lower-cased (empty for items without labels or unknown ids)."""
    try:
        item = instrument.item(item_id)
    except KeyError:
        return set()
    return {label.strip().lower() for label in instrument.value_labels(item).values()}


def _analysed_ids(instrument: Instrument) -> list[str]:
    return [item.id for item in instrument.items if item.type in ANALYSED_TYPES]


def _repeated(columns: Sequence[str]) -> list[str]:
    """Problems of column names given twice, in any letter case (as an import reads them)."""
    spellings: dict[str, list[str]] = {}
    for c in columns:
        if c:
            spellings.setdefault(c.lower(), []).append(c)
    found = []
    for same in spellings.values():
        if len(same) > 1:
            how = "" if len(set(same)) == 1 else f" (as {', '.join(map(repr, same))}: names are read in any letter case)"
            found.append(f"column {same[0]!r} appears more than once{how}")
    return found


def _item_for(name: str, instrument: Instrument) -> str | None:
    """The item a column name stands for, as an import reads it (surveys.imports): the item of that
    id, else the one item whose id it is in another letter case."""
    items = instrument.item_map()
    if name in items:
        return name
    same = [item_id for item_id in items if item_id.lower() == name.lower()]
    return same[0] if len(same) == 1 else None


def _column_names(columns: Sequence[str], instrument: Instrument, group_col: str, flag_col: str | None) -> dict[str, str]:
    """Each column's name as the analysis uses it: names are read in any letter case, as an import
    reads them — the group and flag columns, an item's id (:func:`_item_for`), a metadata column in
    lower case; other names as they are."""
    names = {}
    for c in columns:
        low = c.lower()
        if low == group_col.lower():
            names[c] = group_col
        elif flag_col is not None and low == flag_col.lower():
            names[c] = flag_col
        else:
            item_id = _item_for(c, instrument)
            names[c] = item_id or (low if low in METADATA_COLUMNS else c)
    return names


def prepare_responses(
    frame: pd.DataFrame,
    instrument: Instrument,
    group_col: str,
    *,
    where: str = "<responses>",
    flag_col: str | None = None,
    ignore_columns: Sequence[str] = (),
    locate: Callable[[int], str] | None = None,
    as_written: Callable[[int, str], str | None] | None = None,
) -> ResponsesTable:
    """Validate a responses DataFrame against the instrument and return the clean table.

    ``locate(position)`` names the row at 0-based position for messages (default: ``row <index
    label>``); ``as_written(position, column)`` gives a cell as its file has it, for messages
    (default: the value read, in its shortest form). Raises :class:`AnalysisInputError` listing every problem found.
    """
    if locate is None:
        labels = frame.index

        def locate(position: int) -> str:
            return f"row {labels[position]}"

    problems: list[str] = []
    written_names = [str(c) for c in frame.columns]
    repeated = _repeated(written_names)
    if repeated:
        raise AnalysisInputError([f"{where}: {c}" for c in repeated])
    items = instrument.item_map()
    analysed = _analysed_ids(instrument)
    ignore = {c.lower() for c in ignore_columns}

    if _item_for(group_col, instrument):
        guess = next((c for c in written_names if c.casefold() == "group"), None)
        raise AnalysisInputError([f"{where}: {group_col!r} is an item of instrument {instrument.id!r}, so its answers are "
                                  "not groups; the group column is the one that holds each respondent's group"
                                  + (f" ({guess!r} here?)" if guess else "")])
    # Column names in any letter case, as an import reads them: from here on, by the names the analysis uses.
    names = _column_names(written_names, instrument, group_col, flag_col)
    as_in_file = {names[c]: c for c in written_names}
    columns = [names[c] for c in written_names]
    frame = frame.copy()
    frame.columns = columns
    if group_col not in columns:
        problems.append(f"{where}: no group column {group_col!r}; the columns are {_listing(written_names)}")
        # The real group column, under another name, would only be reported as "not an item".
        raise AnalysisInputError(problems)
    if flag_col is not None and flag_col not in columns:
        problems.append(f"{where}: no flag column {flag_col!r}; the columns are {_listing(written_names)}")
    for c in ignore_columns:  # it was silently analysed all the same
        if _item_for(c, instrument) in analysed:
            problems.append(f"{where}: --ignore-cols {c!r}: an item of instrument {instrument.id!r} cannot be ignored "
                            "(its scale and α would change); --ignore-cols is for columns that are not items")
    ignored: list[str] = []
    for c in columns:
        if c in (group_col, flag_col):
            continue
        if c in items:
            if items[c].type not in ANALYSED_TYPES:
                ignored.append(as_in_file[c])
            continue
        if c.lower() in ignore or c in METADATA_COLUMNS:
            ignored.append(as_in_file[c])
            continue
        problems.append(
            f"{where}: column {c!r} is not an item of instrument {instrument.id!r}"
            f"{did_you_mean(c, list(items))} (to skip a column that is not an item, name it in --ignore-cols)"
        )
    for item_id in analysed:
        if item_id not in columns:
            problems.append(f"{where}: instrument item {item_id!r} ({items[item_id].type}) has no column")
    if problems:
        raise AnalysisInputError(problems)

    groups = _check_groups(frame[group_col], instrument, group_col, where, locate, problems)
    if "response_id" in columns and "response_id" not in items:
        _check_unique_ids(frame["response_id"], where, locate, problems)
    cell_problems: list[str] = []
    n_cell_problems = 0
    out = {group_col: groups}
    out_of_range = np.zeros(len(frame), dtype=int)
    for item_id in analysed:
        name = as_in_file[item_id]  # messages name the column as the file does
        written = None if as_written is None else (lambda position, c=name: as_written(position, c))
        values, found, count = _check_item(frame[item_id], instrument, item_id, where, locate, written, name)
        if items[item_id].type == "numeric":
            implausible = _implausible(values, instrument, items[item_id])
            values[implausible] = np.nan
            out_of_range += implausible
        not_asked = _answered_though_not_asked(values, groups, items[item_id])
        for position in not_asked[: max(0, MAX_LISTED - len(found))]:
            found.append(f"{where}: {locate(int(position))}, column {name}: item {item_id!r} is not asked of group "
                         f"{groups.iloc[position]!r} (the instrument asks it of {', '.join(items[item_id].groups)})")
        count += len(not_asked)
        out[item_id] = values
        n_cell_problems += count
        cell_problems.extend(found)  # each column's first MAX_LISTED at most: the file's first ones are among them
    # As the file reads, not column by column; sorted before the cut, so the first bad lines are the ones listed.
    cell_problems = sorted(cell_problems, key=_line_number)[:MAX_LISTED]
    problems.extend(cell_problems)
    if n_cell_problems > len(cell_problems):
        problems.append(f"{where}: … and {n_cell_problems - len(cell_problems)} more cells with the problems above")
    if problems:
        raise AnalysisInputError(problems)
    if flag_col is not None:
        flags = frame[flag_col].astype(object)  # a column of blanks reads as float NaN; fillna("") on it is deprecated
        out[flag_col] = flags.where(flags.notna(), "").astype(str).str.strip()
    clean = pd.DataFrame(out, index=frame.index)
    return ResponsesTable(frame=clean, group_col=group_col, item_ids=analysed, ignored_columns=ignored, flag_col=flag_col,
                          out_of_range=out_of_range)


def _answered_though_not_asked(values: np.ndarray, groups: pd.Series, item) -> np.ndarray:
    """Positions of answers from groups the instrument does not ask the item of: an import refuses
    them, and analysed they would count in a group's scale score but not in its α."""
    if item.groups is None:
        return np.array([], dtype=int)
    asked = groups.isin(item.groups).to_numpy() | groups.isna().to_numpy()
    return np.flatnonzero(~asked & ~np.isnan(values))


def _implausible(values: np.ndarray, instrument: Instrument, item) -> np.ndarray:
    lo, hi = item_bounds(instrument, item)
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & ((values < lo) | (values > hi))


def _listing(values: Iterable[str], limit: int = 12) -> str:
    values = list(values)
    shown = ", ".join(values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")


_LINE = re.compile(r": line (\d+)")


def _line_number(problem: str) -> int:
    match = _LINE.search(problem)
    return int(match[1]) if match else 0


def _check_groups(column: pd.Series, instrument: Instrument, group_col: str, where: str,
                  locate: Callable[[int], str], problems: list[str]) -> pd.Series:
    raw = column.astype(object).where(column.notna(), "").astype(str).str.strip()
    lookup: dict[str, str] = {g.name.casefold(): g.id for g in instrument.groups}
    lookup.update({g.id.casefold(): g.id for g in instrument.groups})  # an id wins over another group's name
    lookup.update({g.id: g.id for g in instrument.groups})
    codes, uniques = pd.factorize(raw)  # map each distinct value once, not each row
    mapped_uniques = np.array([lookup.get(v, lookup.get(v.casefold())) for v in uniques], dtype=object)
    mapped = pd.Series(mapped_uniques[codes] if len(uniques) else np.array([], dtype=object), index=raw.index, dtype=object)
    blank = np.flatnonzero((raw == "").to_numpy())
    if len(blank):
        where_blank = ", ".join(locate(int(p)) for p in blank[:5]) + (" …" if len(blank) > 5 else "")
        problems.append(f"{where}: the group column {group_col!r} is blank in {len(blank)} row(s): {where_blank}")
    unknown = raw[mapped.isna() & (raw != "")]
    if len(unknown):
        expected = ", ".join(instrument.group_ids())
        positions = {v: np.flatnonzero((raw == v).to_numpy())[0] for v in unknown.unique()}
        for value, count in unknown.value_counts(sort=False).items():
            problems.append(
                f"{where}: group {shown_cell(value)} ({count} row{'s' if count != 1 else ''}, first at {locate(int(positions[value]))}) "
                f"is not one of {expected}{did_you_mean(value, [*instrument.group_ids(), *(g.name for g in instrument.groups)])}"
            )
    return mapped.astype(object)


def _check_unique_ids(column: pd.Series, where: str, locate: Callable[[int], str], problems: list[str]) -> None:
    """A response id twice means a response pasted twice (two exports joined): it would count twice."""
    ids = column.astype(object).where(column.notna(), "").astype(str).str.strip().to_numpy()
    repeated = pd.Series(ids)[(ids != "") & pd.Series(ids).duplicated(keep=False).to_numpy()]
    for value, positions in list(repeated.groupby(repeated, sort=False).groups.items())[:MAX_LISTED]:
        shown = ", ".join(locate(int(p)) for p in positions[:5]) + (" …" if len(positions) > 5 else "")
        problems.append(f"{where}: response_id {shown_cell(value)} appears {len(positions)} times ({shown}): each response once")


def _shortest(value: float) -> str:
    """A number in the fewest digits that give it back exactly (4.0000000001, not 4; 9, not 9.0)."""
    shown = repr(float(value))
    return shown[:-2] if shown.endswith(".0") else shown


def _check_item(column: pd.Series, instrument: Instrument, item_id: str, where: str,
                locate: Callable[[int], str],
                as_written: Callable[[int], str | None] | None = None,
                name: str | None = None) -> tuple[np.ndarray, list[str], int]:
    item = instrument.item(item_id)
    name = name or item_id
    text = None
    lo, hi = item_bounds(instrument, item)
    problems: list[str] = []
    count = 0
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = np.array(column.to_numpy(dtype=float, na_value=np.nan), dtype=float)  # a writable copy
    else:
        text = column.astype(object).where(column.notna(), "").astype(str).str.strip()
        missing = text.isin([t for t in MISSING_TOKENS if t.lower() not in _label_texts(instrument, item_id)])
        values = np.array(pd.to_numeric(text.where(~missing, None), errors="coerce"), dtype=float)
        bad = np.flatnonzero(np.isnan(values) & ~missing.to_numpy())
        if len(bad):
            labels = {label.casefold(): code for code, label in instrument.value_labels(item).items()}
            for position in bad:
                cell = text.iloc[position]
                code = labels.get(cell.casefold())
                if code is None:
                    code = parse_number(cell)  # "４", "+4": read as an import reads them (surveys.csv_text)
                if code is not None:
                    values[position] = code
                    continue
                count += 1
                if len(problems) < MAX_LISTED:
                    hint = " or a label of its response scale" if labels else ""
                    problems.append(f"{where}: {locate(int(position))}, column {name}: {shown_cell(cell)} is not a number{hint} "
                                    f"({MISSING_HINT})")
    with np.errstate(invalid="ignore"):
        outside = np.isinf(values)
        if item.type == "likert":  # a numeric answer outside its range is left out, not an error (prepare_responses)
            outside |= (values < lo) | (values > hi) | (np.isfinite(values) & (np.floor(values) != values))
    for position in np.flatnonzero(outside):
        count += 1
        if len(problems) < MAX_LISTED:
            if np.isinf(values[position]):  # 1e400 in the file: say what it is, not "inf", which nobody typed
                problems.append(f"{where}: {locate(int(position))}, column {name}: a number too large to be an answer "
                                f"(not a finite number)")
                continue
            value = values[position]
            rule = f"a whole code from {lo:g} to {hi:g}" if item.type == "likert" else f"within {lo:g}–{hi:g}"
            what = "is not a whole code" if lo <= value <= hi else "is out of range"  # 3.5 on a 1–5 scale is in range
            # as written: 4.0000000001 printed with :g reads "4 is not a whole code"
            shown = as_written(int(position)) if as_written is not None else None
            if not shown:
                shown = text.iloc[position] if text is not None else _shortest(value)
            problems.append(f"{where}: {locate(int(position))}, column {name}: {shown} {what} (expected {rule})")
    return values, problems, count


# -- stored responses ----------------------------------------------------------------------------
def responses_to_frame(records: Iterable[Any], instrument: Instrument, group_col: str = "group",
                       flag_col: str | None = "quality_flags") -> pd.DataFrame:
    """A responses DataFrame from stored responses, ready for :func:`prepare_responses`.

    Each record is a mapping or an object with ``group_id``, ``answers`` (a mapping item id →
    value) or ``answers_json`` (as stored: :func:`surveys.answers.unpack_answers`), and optionally
    ``quality_flags``. Only analysed items become columns (text answers never enter the statistics).
    """
    analysed = _analysed_ids(instrument)
    groups: list[str] = []
    flags: list[str] = []
    rows: list[Mapping[str, Any]] = []
    for record in records:
        get = record.get if isinstance(record, Mapping) else (lambda k, d=None, r=record: getattr(r, k, d))
        answers = get("answers")
        if answers is None:
            answers = unpack_answers(instrument, get("answers_json") or "{}")
        groups.append(get("group_id", get("group", "")))
        flags.append(get("quality_flags", "") or "")
        rows.append(answers)
    frame = pd.DataFrame.from_records(rows, columns=analysed) if rows else pd.DataFrame(columns=analysed)
    frame.insert(0, group_col, groups)
    if flag_col is not None:
        frame[flag_col] = flags
    return frame
