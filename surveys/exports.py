"""Exporting a campaign's responses: CSV (item codes), XLSX (data + codebook) and SPSS ``.sav``.

Two audiences:

*Privileged* (administrators; the CLI's default): every response with its random id, group, source,
quality flags and every item, free text included, ordered by group and id.

*Thresholded* (everyone else; ``--apply-threshold`` on the CLI) — DESIGN.md's reporting threshold k,
applied to row-level data:

1. groups with fewer than k responses are left out entirely, and so is the smallest other group while
   the left-out ones could be recovered by subtraction from a total shown elsewhere (the statistics
   engine's ``suppressed_groups`` rule, so exports and dashboards suppress alike);
2. no row ids and no ``source`` column (a few paper responses are a small, known set), rows in random
   order — so that two exports cannot be joined row by row;
3. the coded demographic (choice) items are quasi-identifiers: together with the group, every
   combination of their answers must cover at least k rows; while one does not, items are left out in
   a fixed order — most answer options first (:func:`demographic_leave_out_order`) — whole columns,
   never single cells, so nothing is silently altered. The order depends on the instrument alone, so
   any two thresholded exports of a campaign (with and without flagged responses, before and after k
   changes) leave out one the start of the other's list: joined on their answers, they show no
   combination of demographics that one of them did not already show;
4. free text never appears in the rows, where it could be tied to a person's other answers. A text
   item whose comments (among the rows exported) reach the campaign's comment threshold is listed on
   the XLSX ``comments`` sheet on its own, in random order; CSV and SAV carry no free text.

The export holds no totals; any view that shows a total must compute it over the groups shown, so
that subtraction cannot recover a suppressed group.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import math
import os
import random
import shutil
import stat
import tempfile
import textwrap
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sqlmodel import Session

from itcap import audit
from itcap.spreadsheet import safe_cell, write_xlsx_sheets
from itcap.storage import today
from itcap.validation import cannot_write
from surveys import quality
from surveys.campaigns import campaign_instrument, get_campaign
from surveys.errors import SurveyError
from surveys.instrument import Instrument, Item
from surveys.release import reported_only, settle_held
from surveys.stats import suppressed_groups
from surveys.tables import Campaign

FORMATS = ("csv", "xlsx", "sav")
META_COLUMNS = {
    "response_id": "Random response id (not linked to any invitation)",
    "group": "Respondent group",
    "source": "How the response arrived: web or import",
    "flags": "Data-quality flags: straightline, fast, out_of_range (space-separated)",
}
_SPSS_LABEL_MAX = 250
_SPSS_DOCUMENT_LINE = 80  # SPSS documents are lines of at most 80 bytes
_sysrandom = random.SystemRandom()


@dataclass
class ExportData:
    campaign: Campaign
    instrument: Instrument
    privileged: bool
    frame: pd.DataFrame  # the rows, in export column order
    items: list[Item]  # the item columns in ``frame``, in order
    suppressed_groups: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)  # item id → why it is not in the rows
    comments: dict[str, list[str]] = field(default_factory=dict)  # thresholded: item id → comments, random order
    notes: list[str] = field(default_factory=list)
    cut_cells: list[str] = field(default_factory=list)  # XLSX cells the last workbook written had to cut (too long)

    @property
    def meta_columns(self) -> list[str]:
        return [c for c in self.frame.columns if c in META_COLUMNS]


def _small_rows_counter(frame: pd.DataFrame, candidates: list[str], k: int):
    """``count(columns)``: how many rows fall in a (group + those columns) class of fewer than k rows.
    Each column's values become integer codes once (missing is a value of its own), so each count is
    one grouping of small integers: 50,000 rows take milliseconds, not a string join per row."""
    codes = pd.DataFrame({c: pd.factorize(frame[c], use_na_sentinel=False)[0] for c in ["group", *candidates]})

    def count(columns: list[str]) -> int:
        if not columns:
            return 0
        classes = codes.groupby(["group", *columns], sort=False).ngroup().to_numpy()
        sizes = np.bincount(classes)
        return int((sizes[classes] < k).sum())

    return count


def demographic_leave_out_order(instrument: Instrument) -> list[str]:
    """The choice items in the order a thresholded export leaves them out: most answer options first
    (the finest split identifies most), then as the instrument lists them. It depends on the
    instrument, never on the rows: a search that picks the column to drop from the data (the one
    whose removal helps most) can pick differently for two row sets of the same campaign — all
    responses, and the unflagged ones — and the two files, joined on the answers, would then give
    back the combination each left out."""
    choice = [item for item in instrument.items if item.type == "choice"]
    return [item.id for item in sorted(choice, key=lambda item: -len(item.options))]  # stable: ties keep their order


def _anonymous_choice_columns(frame: pd.DataFrame, ordered: list[str], k: int,
                              small_rows=None) -> tuple[list[str], list[str]]:
    """(kept, left out): the shortest start of ``ordered`` whose removal leaves every (group + kept
    choice items) class with at least k rows. ``small_rows``: the class counter (default
    :func:`_small_rows_counter`; the benchmark passes the plain string count)."""
    if frame.empty or not ordered:
        return list(ordered), []
    small_rows = small_rows or _small_rows_counter(frame, ordered, k)
    for cut in range(len(ordered)):
        if not small_rows(ordered[cut:]):
            return list(ordered[cut:]), list(ordered[:cut])
    return [], list(ordered)


def _reported_rows(frame: pd.DataFrame, instrument: Instrument, k: int) -> tuple[pd.DataFrame, list[str], dict[str, int]]:
    """Rows of the groups that may be reported: a group below k is left out. No complement is hidden:
    every total a non-administrator sees (the dashboard, the report, the download buttons) leaves the
    small groups out, so there is nothing to subtract the reported rows from. A group with no
    responses is named with the others under k, as the dashboard says "withheld" for both: naming
    only those with some would tell that someone in a group of two or three took part."""
    counts = {g.id: int((frame["group"] == g.id).sum()) for g in instrument.groups}
    suppressed = suppressed_groups(counts, k, total_shown=False)
    return frame[~frame["group"].isin(suppressed)], suppressed, counts


def _content_ordered(texts: list[str]) -> list[str]:
    """``texts`` in a random order that depends only on what was written, not on the order it was
    stored in: sorted by a hash of each text keyed with a hash of them all (SHA-256, so the same on
    every machine and Python version; repeated texts stay together, which no reader can tell)."""
    key = hashlib.sha256("\x00".join(sorted(texts)).encode("utf-8")).digest()
    return sorted(texts, key=lambda text: (hashlib.sha256(key + text.encode("utf-8")).digest(), text))


def counted_comments(texts: list[str]) -> list[tuple[str, int]]:
    """Identical comments once, with how many people wrote them, in the order of their first
    appearance ("Friendly and professional people." four times is one entry, 4): a list that repeats
    a comment reads as four voices where a count says it. Identical = the same text, but for spaces
    around it. The comment threshold still counts people (every comment), not different texts: the
    count tells no more than the four copies did."""
    counts: dict[str, int] = {}
    for text in texts:
        counts[text.strip()] = counts.get(text.strip(), 0) + 1
    return list(counts.items())


def _comments(frame: pd.DataFrame, items: list[Item], threshold: int) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Free-text items: those with at least ``threshold`` comments, each list in a random order drawn
    from the comments themselves (never the order they arrived in, which could point to who wrote
    them; the same on every call while they do not change, so every copy of a report quotes the same
    ones); and why each text item is not in the rows."""
    left_out: dict[str, str] = {}
    comments: dict[str, list[str]] = {}
    for item in items:
        if item.type != "text":
            continue
        given = [v for v in frame[item.id] if isinstance(v, str) and v.strip()]
        if len(given) >= threshold:
            comments[item.id] = _content_ordered(given)
            left_out[item.id] = (f"free text; the Excel (XLSX) export lists its {len(given)} comments "
                                 "apart, in random order")
        else:
            left_out[item.id] = f"free text: fewer than {threshold} comments, withheld"
    return comments, left_out


def prepare_export(session: Session, campaign_id: int, *, privileged: bool, exclude_flagged: bool | set[str] = False,
                   reported: bool = False) -> ExportData:
    """The rows and codebook of an export, with the reporting threshold applied unless ``privileged``.
    ``reported``: only the responses the dashboard's and report's figures use (surveys.release)."""
    campaign = get_campaign(session, campaign_id)
    instrument = campaign_instrument(session, campaign)
    if reported:  # a look at the figures, as the dashboard's: the batches due are released first (an export
        settle_held(session, campaign.id)  # before anyone opened the dashboard held back every response)
    frame = quality.responses_frame(session, campaign.id, exclude_flagged=exclude_flagged, reported=reported)
    items = list(instrument.items)
    notes = [f"campaign {campaign.id}: {campaign.name}", f"instrument {instrument.id} v{instrument.version}: {instrument.name}",
             f"exported on {today().isoformat()}"]
    if exclude_flagged:
        notes.append("responses with quality flags were left out on request")
    if reported and reported_only(campaign):
        notes.append("as reported: the campaign is open, and its newest responses, held back from the figures, are left out")
    if privileged:
        frame = frame.reset_index()[["response_id", "group", "source", "flags", *[i.id for i in items]]]
        notes.append("privileged export: every response, every group, free text included — handle as personal data")
        return ExportData(campaign, instrument, True, frame, items, notes=notes)

    k = campaign.min_group_size
    notes.append(f"reporting threshold k = {k}: groups with fewer than {k} responses are left out")
    frame, suppressed, counts = _reported_rows(frame, instrument, k)
    if suppressed:
        notes.append(f"left out (fewer than {k} responses): {', '.join(suppressed)}")

    if exclude_flagged:
        # Comments always come from every response, as on the dashboard: a comments sheet without
        # the flagged respondents', beside the dashboard's list with them, would single theirs out.
        everyone, _, _ = _reported_rows(quality.responses_frame(session, campaign.id, reported=reported), instrument, k)
        comments, left_out = _comments(everyone, items, campaign.comment_threshold)
        if comments:
            notes.append("comments: from every response, flagged ones included (leaving theirs out would single them out)")
    else:
        comments, left_out = _comments(frame, items, campaign.comment_threshold)
    _, dropped = _anonymous_choice_columns(frame, demographic_leave_out_order(instrument), k)
    for item_id in dropped:
        left_out[item_id] = f"some combinations of group and demographic answers had fewer than {k} responses"
    if left_out:
        notes.extend(f"{item_id} not in the rows: {reason}" for item_id, reason in left_out.items())

    kept_items = [i for i in items if i.id not in left_out]
    frame = frame.reset_index()[["group", "flags", *[i.id for i in kept_items]]]
    frame = frame.iloc[_sysrandom.sample(range(len(frame)), len(frame))].reset_index(drop=True)
    return ExportData(campaign, instrument, False, frame, kept_items, suppressed, left_out, comments, notes)


# -- writing ---------------------------------------------------------------------------------------
def _plain(value, item: Item | None):
    """A cell's value as written: whole numbers without '.0', blanks as None."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if item is not None and item.type != "text" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _plain_column(column: pd.Series, item: Item | None, text=None) -> list:
    """:func:`_plain` for a whole column at once (50,000 rows × 40 items cell by cell took seconds);
    ``text``: applied to each cell of a text column (the CSV's :func:`safe_cell`)."""
    if item is None or item.type == "text" or column.dtype.kind != "f":
        cells = [_plain(value, item) for value in column.tolist()]
        return [text(cell) for cell in cells] if text else cells
    values = column.to_numpy(dtype=float)
    out = np.full(len(values), None, dtype=object)
    present = ~np.isnan(values)
    whole = present & (np.floor(values) == values) & (np.abs(values) < 2**53)
    out[whole] = values[whole].astype(np.int64).tolist()
    fractional = present & ~whole
    out[fractional] = values[fractional].tolist()
    return out.tolist()


def _rows(data: ExportData, text=None):
    """The data rows as written (tuples; None = blank)."""
    items = {item.id: item for item in data.items}
    return zip(*(_plain_column(data.frame[c], items.get(c), text) for c in data.frame.columns))


def write_csv(data: ExportData, out) -> None:
    """CSV; text a spreadsheet would run as a formula gets an apostrophe in front (itcap.spreadsheet)."""
    writer = csv.writer(out, lineterminator="\n")  # writes None as an empty cell
    writer.writerow(list(data.frame.columns))
    writer.writerows(_rows(data, text=safe_cell))


def codebook_rows(data: ExportData) -> list[list]:
    """One row per column of the data: variable, label/text, type, scale, reverse, range, value labels."""
    instrument = data.instrument
    section_of = {item.id: section.id for section in instrument.sections for item in section.items}
    header = ["variable", "section", "text", "type", "scale", "reverse", "groups", "min", "max", "unit", "required", "value_labels"]
    rows = [header]
    for column in data.meta_columns:
        labels = "; ".join(f"{g.id}={g.name}" for g in instrument.groups) if column == "group" else ""
        rows.append([column, "", META_COLUMNS[column], "meta", "", "", "", "", "", "", "", labels])
    for item in data.items:
        lo, hi = instrument.item_range(item)
        labels = "; ".join(f"{code}={label}" for code, label in sorted(instrument.value_labels(item).items()))
        rows.append([item.id, section_of[item.id], item.text, item.type, item.scale or "", "yes" if item.reverse else "no",
                     " ".join(instrument.item_groups(item)), _plain(lo, item), _plain(hi, item), item.unit,
                     "yes" if item.required else "no", labels])
    return rows


def write_xlsx(data: ExportData, out) -> None:
    """Sheets data, codebook, comments (when there are any) and notes; text is always text. Text longer
    than a cell holds is cut with a marker, listed on the notes sheet and in ``data.cut_cells``."""
    sheets = [("data", itertools.chain([list(data.frame.columns)], _rows(data))), ("codebook", codebook_rows(data))]
    if data.comments:
        rows = [["item", "question", "comment"]]
        for item_id, comments in data.comments.items():
            text = data.instrument.item(item_id).text
            rows += [[item_id, text, comment] for comment in comments]
        sheets.append(("comments", rows))
    cut: list[str] = []

    def notes():
        yield from ([note] for note in data.notes)
        yield from ([f"Cut: {cell}"] for cell in cut)  # the sheets before are written by now

    sheets.append(("notes", notes()))
    # a thresholded export's only free text is on its comments sheet: the full text is in the privileged files
    where = "the CSV and SPSS exports hold the full text" if data.privileged else "an administrator's CSV export holds the full text"
    data.cut_cells = write_xlsx_sheets(sheets, out, full_text=where, cut=cut)


def _within_bytes(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def _spss_documents(notes: list[str]) -> list[str]:
    """The notes as SPSS document lines (at most 80 bytes each: narrower where a line has non-ASCII text)."""
    lines = []
    for note in notes:
        width = _SPSS_DOCUMENT_LINE
        wrapped = textwrap.wrap(note, width)
        while width > 20 and any(len(line.encode("utf-8")) > _SPSS_DOCUMENT_LINE for line in wrapped):
            width -= 10
            wrapped = textwrap.wrap(note, width)
        lines += [_within_bytes(line, _SPSS_DOCUMENT_LINE) for line in wrapped]
    return lines


def write_sav(data: ExportData, path: str | Path, *, shown_as: str | Path | None = None) -> None:
    """SPSS with variable labels (item text; reverse-keyed items say so), value labels (likert/choice),
    measurement levels, whole-number display formats for coded items (5, not 5.00) and the export's
    notes as the file's documents (SPSS: DISPLAY DOCUMENTS)."""
    import pyreadstat

    frame = data.frame.copy()
    labels, value_labels, measure, formats = {}, {}, {}, {}
    for column in data.meta_columns:
        labels[column] = META_COLUMNS[column]
        measure[column] = "nominal"
        frame[column] = frame[column].fillna("").astype(str)
    value_labels["group"] = {g.id: g.name for g in data.instrument.groups}
    for item in data.items:
        suffix = " (reverse-keyed)" if item.reverse else ""
        text = item.text if len(item.text) + len(suffix) <= _SPSS_LABEL_MAX else item.text[: _SPSS_LABEL_MAX - len(suffix) - 1] + "…"
        labels[item.id] = text + suffix
        if item.type == "text":
            frame[item.id] = frame[item.id].map(lambda v: v if isinstance(v, str) else "")
            measure[item.id] = "nominal"
            continue
        frame[item.id] = pd.to_numeric(frame[item.id], errors="coerce").astype(float)
        measure[item.id] = {"likert": "ordinal", "choice": "nominal", "numeric": "scale"}[item.type]
        codes = data.instrument.value_labels(item)
        if codes:
            value_labels[item.id] = {float(code): label for code, label in codes.items()}
        if item.type in ("likert", "choice"):  # whole codes: shown as 5, not 5.00
            lo, hi = data.instrument.item_range(item)
            if lo is not None and hi is not None:
                formats[item.id] = f"F{max(len(str(int(lo))), len(str(int(hi))))}.0"
    try:
        pyreadstat.write_sav(frame, str(path), file_label=_within_bytes(data.campaign.name, 64),
                             note=_spss_documents(data.notes),
                             column_labels=labels, variable_value_labels=value_labels, variable_measure=measure,
                             variable_format=formats)
    except Exception as exc:  # noqa: BLE001 - readstat's messages are terse; say what was being written
        raise SurveyError(f"{shown_as or path}: cannot write the SPSS file ({exc})") from None


def write_export(data: ExportData, fmt: str, path: str | Path, *, before_replace: Callable[[], None] | None = None) -> None:
    """Write the export to a file; the file is readable by its owner only when it holds privileged
    data. Written to a new file beside it, then renamed into place: a failure leaves no half file,
    an existing file is replaced with the new one's permissions (not kept world-readable), and a
    symbolic link at ``path`` is replaced, never followed to wherever it points.

    ``before_replace`` runs once the new file is complete and before it takes its place; if it
    raises, no file is left. The CLI commits the export's audit entry there: personal data is never
    on disk without its entry, whether the database is busy or the insert fails."""
    if fmt not in FORMATS:
        raise SurveyError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    shown, path = path, Path(path)
    if not path.name or path.is_dir():  # "./" has no name to put the part file's beside
        raise SurveyError(cannot_write(shown, IsADirectoryError(21, "Is a directory", str(path))))
    part = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.part")
    try:  # into a folder that exists: a typo in its name is said, not made a new folder
        if fmt == "csv":
            with _open_new(part, data.privileged, "w") as out:
                write_csv(data, out)
        elif fmt == "xlsx":
            with _open_new(part, data.privileged, "wb") as out:
                write_xlsx(data, out)
        else:
            _open_new(part, data.privileged, "wb").close()  # pyreadstat then writes into it, keeping its mode
            write_sav(data, part, shown_as=path)  # a problem names the file asked for, not the one in between
        if before_replace is not None:
            before_replace()
        if _is_stream(path):
            # a device or a named pipe (/dev/stdout, /dev/fd/63 of `>(gpg …)`, a FIFO), reached
            # through a link too: written into, as any program would — renamed over, it became a
            # plain file of every response where the device or the link was
            with open(part, "rb") as source, open(path, "wb") as target:
                shutil.copyfileobj(source, target)
        else:
            os.replace(part, path)
    except OSError as exc:
        raise SurveyError(cannot_write(shown, exc)) from None
    finally:
        try:
            part.unlink(missing_ok=True)
        except OSError:  # its folder is a file, or was never there: there is no part file to remove
            pass


def audit_privileged_export(session: Session, data: ExportData, fmt: str, actor: str, *, exclude_flagged: bool = False) -> None:
    """Who took every response of a campaign (personal data: free text, all groups), and when."""
    audit.record(session, actor, "responses.export", f"campaign:{data.campaign.id}",
                 f"{fmt}: every response ({len(data.frame):,}), free text included"
                 + (", flagged responses left out" if exclude_flagged else ""))


def export_bytes(data: ExportData, fmt: str) -> bytes:
    """The export as bytes (for a download button)."""
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        write_csv(data, buffer)
        return buffer.getvalue().encode("utf-8")
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(data, buffer)
        return buffer.getvalue()
    if fmt == "sav":
        with tempfile.TemporaryDirectory() as directory:
            path = Path(directory) / "export.sav"
            write_sav(data, path)
            return path.read_bytes()
    raise SurveyError(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")


def _is_stream(path: Path) -> bool:
    """A character device or a named pipe, directly or at the end of symbolic links."""
    try:
        mode = os.stat(path).st_mode  # (follows links: /dev/stdout → /proc/self/fd/1 → the terminal or pipe)
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _open_new(path: Path, private: bool, mode: str):
    """A new file (never an existing one, never through a link): 0600 when ``private``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600 if private else 0o666)
    return os.fdopen(fd, mode, **({"newline": "", "encoding": "utf-8"} if "b" not in mode else {}))


def reportable_comments(session: Session, campaign_id: int, *, exclude_flagged: bool | set[str] = False,
                        frame: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """The free-text comments every role may see (dashboard, report): per text item, only from
    groups of at least k (those whose scores are shown, the same groups as the thresholded export's
    rows and comments sheet), only when the item has at least the campaign's comment threshold of
    comments, in a random order drawn from their content (see :func:`_comments`). ``frame``: the
    campaign's :func:`surveys.quality.responses_frame`, if the caller already has it (the slow part)."""
    campaign = get_campaign(session, campaign_id)
    instrument = campaign_instrument(session, campaign)
    if frame is None:
        frame = quality.responses_frame(session, campaign.id, exclude_flagged=exclude_flagged, reported=True)
    rows, _, _ = _reported_rows(frame, instrument, campaign.min_group_size)
    comments, _ = _comments(rows, list(instrument.items), campaign.comment_threshold)
    return comments