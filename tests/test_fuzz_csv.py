"""Hostile input to the CSV readers: responses import, assessor ratings, analysis input.

Random bytes, other encodings, byte-order marks, NULs, quotes and line breaks inside cells, random
headers and cells: each reader succeeds or raises its own documented error with specific problems —
never another exception. The import is all or nothing: when it refuses a file, the response table
has exactly the rows it had before, inside the transaction and after it.
"""

from __future__ import annotations

import shutil
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from assessment.ratings_csv import RatingsInvalid, parse_overrides_csv, parse_ratings_csv
from capability_model.loader import load_default_model
from itcap.cli.common import CliError, decode_csv_bytes
from itcap.storage import dispose_engines, session_scope
from surveys.analysis_input import AnalysisInputError, read_responses_csv
from surveys.imports import ImportInvalid, import_responses
from surveys.tables import Response
from tests.survey_testdata import ITEM_IDS, make_campaign
from tests.test_stats_support import instrument as stats_instrument

FUZZ = settings(max_examples=80, deadline=10_000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WHERE = "fuzz.csv"

# -- building blocks -------------------------------------------------------------------------------
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252", "utf-32"]
weird_cells = st.sampled_from([
    "", " ", "1", "5", "3.0", "3.5", "-1", "0", "6", "99999999999999999999999", "1e400", "-1e400", "nan", "NaN", "inf", "NA",
    "N/A", "Agree", "STRONGLY AGREE", "agree ", "Finance", "business", "IT staff", "it_staff", "nobody", "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>", "**bold**", '"', '""', "a,b", "a;b", "line\nbreak", "\r\n", "\x00", "\ufeff", "é", "٣", "１",
    "x" * 3000, "9" * 5000, "\u202e", "\t",
])
cells = weird_cells | st.text(max_size=20)
header_names = st.sampled_from(["group", "GROUP", "Group ", "response_id", "source", "flags", "", "email", "timestamp",
                                "group", *ITEM_IDS]) | st.text(max_size=10)


def _csv_line(values: list[str], delimiter: str = ",") -> str:
    out = []
    for v in values:
        if any(c in v for c in (delimiter, '"', "\n", "\r")):
            v = '"' + v.replace('"', '""') + '"'
        out.append(v)
    return delimiter.join(out)


@st.composite
def csv_files(draw, names=header_names, min_columns=1):
    """A CSV text with a random header and rows of random cells (sometimes ragged, sometimes broken quoting)."""
    header = draw(st.lists(names, min_size=min_columns, max_size=8))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    lines = [_csv_line(header, delimiter)]
    for _ in range(draw(st.integers(0, 6))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        lines.append(_csv_line([draw(cells) for _ in range(max(width, 0))], delimiter))
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines) + draw(st.sampled_from(["", "\n", "\n\n", '"']))
    return text


@st.composite
def encoded(draw, texts):
    """Bytes of a CSV text in a random encoding, maybe with a BOM, NULs or truncation."""
    text = draw(texts)
    encoding = draw(st.sampled_from(ENCODINGS))
    raw = text.encode(encoding, errors="replace")
    action = draw(st.sampled_from(["none", "none", "bom", "nul", "truncate", "flip"]))
    if action == "bom":
        raw = b"\xef\xbb\xbf" + raw
    elif action == "nul" and raw:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + b"\x00" + raw[at:]
    elif action == "truncate" and raw:
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif action == "flip" and raw:
        at = draw(st.integers(0, len(raw) - 1))
        raw = raw[:at] + bytes([raw[at] ^ 0x80]) + raw[at + 1:]
    return raw


def _specific(problems: list[str]) -> None:
    assert problems and all(isinstance(p, str) and p.strip() for p in problems), problems


# -- responses import: all or nothing ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def import_db(sqlite_template, tmp_path_factory):
    """One database with a campaign of the test instrument and two stored responses, for every example."""
    import os

    path = tmp_path_factory.mktemp("fuzz-import") / f"fuzz-{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    previous = os.environ.get("ITCAP_DATABASE_URL")
    os.environ["ITCAP_DATABASE_URL"] = url
    campaign_id = make_campaign(url)
    with session_scope(url) as session:
        import_responses(session, campaign_id, b"group,rel1,par1\nbusiness,3,4\nit_staff,2,2\n", actor="setup")
    yield url, campaign_id
    dispose_engines()
    if previous is None:
        os.environ.pop("ITCAP_DATABASE_URL", None)
    else:
        os.environ["ITCAP_DATABASE_URL"] = previous


def _count(session) -> int:
    return session.execute(select(func.count()).select_from(Response)).scalar_one()


def _try_import(url: str, campaign_id: int, raw: bytes) -> None:
    with session_scope(url) as session:
        before = _count(session)
    try:
        with session_scope(url) as session:
            try:
                result = import_responses(session, campaign_id, raw, actor="fuzz", where=WHERE)
            except ImportInvalid as exc:
                _specific(exc.problems)
                assert _count(session) == before  # nothing added to the transaction either
                raise
            assert result.imported >= 1 and _count(session) == before + result.imported
            session.rollback()  # keep the database as it was for the next example
    except ImportInvalid:
        pass
    with session_scope(url) as session:
        assert _count(session) == before


@FUZZ
@given(raw=st.binary(max_size=600))
def test_import_random_bytes(import_db, raw):
    _try_import(*import_db, raw)


@FUZZ
@given(raw=encoded(csv_files()))
def test_import_random_csv_in_random_encodings(import_db, raw):
    _try_import(*import_db, raw)


@FUZZ
@given(text=csv_files(names=st.sampled_from(["group", *ITEM_IDS]), min_columns=2))
def test_import_plausible_files(import_db, text):
    _try_import(*import_db, text.encode("utf-8"))


def test_a_bad_row_at_the_end_of_a_big_file_stores_nothing(import_db):
    url, campaign_id = import_db
    rows = ["group,rel1,rel2,par1"] + ["business,4,3,2"] * 2000 + ["business,4,3,banana"]
    with pytest.raises(ImportInvalid):
        _try_import(url, campaign_id, "\n".join(rows).encode())
        raise ImportInvalid(["not refused"])  # reached only if the import succeeded


# -- assessor ratings -----------------------------------------------------------------------------------------
MODEL = load_default_model()
rating_names = st.sampled_from(["capability_id", "assessor", "level", "Level", "evidence", "", "capability_id"]) | st.text(max_size=8)
rating_cells = weird_cells | st.sampled_from(MODEL.capability_ids) | st.sampled_from(["ana", "ben", "3", "4", "+2", "2.000"])


@st.composite
def ratings_files(draw):
    header = draw(st.lists(rating_names, min_size=1, max_size=5))
    if draw(st.booleans()):
        header = ["capability_id", "assessor", "level", *header[:2]]
    lines = [_csv_line(header)]
    for _ in range(draw(st.integers(0, 8))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, -1, 1]))
        lines.append(_csv_line([draw(rating_cells) for _ in range(max(width, 0))]))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", '"']))


def _ratings(text: str, **kwargs) -> None:
    try:
        table = parse_ratings_csv(text, WHERE, **kwargs)
    except RatingsInvalid as exc:
        _specific(exc.problems)
        return
    assert table.levels.shape == (len(table.capability_ids), len(table.assessors))


@FUZZ
@given(text=ratings_files(), with_model=st.booleans())
def test_ratings_random_files(text, with_model):
    _ratings(text, model=MODEL if with_model else None)


@FUZZ
@given(raw=encoded(ratings_files()))
def test_ratings_random_bytes_through_the_cli_decoder(raw):
    try:
        text = decode_csv_bytes(raw, WHERE)
    except CliError:
        return
    _ratings(text, model=MODEL)


@FUZZ
@given(text=ratings_files())
def test_overrides_random_files(text):
    try:
        parse_overrides_csv(text, WHERE, model=MODEL)
    except RatingsInvalid as exc:
        _specific(exc.problems)


@pytest.mark.parametrize("level", ["9" * 400, "9" * 5000, "-" + "9" * 400, "1" * 400 + ".0"])
def test_huge_levels_are_out_of_range_not_a_crash(level):
    """float('9' * 400) is inf and int(inf) raises OverflowError — it used to escape parse_level."""
    with pytest.raises(RatingsInvalid) as caught:
        parse_ratings_csv(f"capability_id,assessor,level\nservice_desk,ana,{level}\n", WHERE, model=MODEL)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{WHERE}: line 2: level") and "from 1 to 5" in problem and len(problem) < 300


# -- analysis input (itcap analyze) -------------------------------------------------------------------------
STATS_INSTRUMENT = stats_instrument()
STATS_ITEMS = [i.id for i in STATS_INSTRUMENT.items]
analysis_names = st.sampled_from(["group", "group", "response_id", "flags", "", *STATS_ITEMS]) | st.text(max_size=8)


def _analysis(text: str, group_col: str = "group", **kwargs) -> None:
    try:
        table = read_responses_csv(text, STATS_INSTRUMENT, group_col, where=WHERE, **kwargs)
    except AnalysisInputError as exc:
        _specific(exc.problems)
        return
    assert set(table.item_ids) <= set(table.frame.columns)


@FUZZ
@given(text=csv_files(names=analysis_names))
def test_analysis_random_files(text):
    _analysis(text)


@FUZZ
@given(text=csv_files(names=st.sampled_from(["group", *STATS_ITEMS]), min_columns=3))
def test_analysis_files_with_every_column_some_rows(text):
    header = ",".join(["group", *STATS_ITEMS])
    _analysis(header + "\n" + text.split("\n", 1)[-1] if "\n" in text else header + "\n" + text)


@FUZZ
@given(raw=encoded(csv_files(names=analysis_names)), flag_col=st.sampled_from([None, "flags", "missing"]))
def test_analysis_random_bytes_through_the_cli_decoder(raw, flag_col):
    try:
        text = decode_csv_bytes(raw, WHERE)
    except CliError:
        return
    _analysis(text, flag_col=flag_col)
