"""Anonymity audit: nothing in the database links a response to its invitation, and the reporting
threshold (with differencing protection) holds in every view the app offers.

1. **Schema** (both databases): the response table has no column or foreign key that could point to
   an invitation, account or token, and no time of day; ``invitation_completion`` holds only the
   invitation id; nothing references a response. On SQLite both tables are ``WITHOUT ROWID``.
2. **Data**, after realistic submissions interleaved across groups:
   (a) response ids are random, not in submission order;
   (b) physical order — SQLite: no rowid, rows stored in key order; after closing, the file is
       rebuilt (no freed pages, empty WAL, no remnant of an overwritten draft). PostgreSQL: before
       closing, each response shares its transaction id (``xmin``) with its completion — the risk
       is real; after closing no response shares an ``xmin`` with any invitation or completion,
       heap order (``ctid``) follows the random ids, not submissions or invitation ids, old row
       versions are vacuumed away (checked with ``pageinspect``), and another campaign's rows are
       untouched.
3. **Thresholds**: group sizes around k (k−1, k, k+1), two groups and three with one small, through
   every filter the UI offers — dashboard (campaign × exclude flagged), comments, exports
   (thresholded × exclude flagged), report — and the CLI (``itcap analyze --min-group-size``,
   ``itcap responses export --apply-threshold``).

Differencing across the *exclude flagged* filter: the two views differ by the flagged rows of each
shown group, so subtracting one from the other gives those rows' answers. Those rows are row-level
data the thresholded export — which every role that sees the dashboard may download — already
carries, with their group and flags (docs/surveys.md), so the difference reveals nothing new; what
must hold in each view is that no group under k is shown and none can be recovered from a total.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from scipy import stats as sps
from sqlalchemy import inspect, text

from itcap import insights
from itcap.cli import main
from itcap.report import build_report, methods_points
from itcap.storage import get_engine, session_scope
from surveys import campaigns, exports, respondent
from surveys.imports import add_responses
from surveys.invitations import hash_token
from surveys.quality import responses_frame
from surveys.stats import suppressed_groups
from tests.support import stored_answers
from tests.survey_testdata import INSTRUMENT_YAML, invite, make_campaign

# -- 1. schema ---------------------------------------------------------------------------------------------
# release: the batch (of at least k per group) in which an open campaign's figures took the response in —
# coarser than its date (surveys.release)
RESPONSE_COLUMNS = {"id", "campaign_id", "group_id", "submitted_on", "duration_seconds", "answers_json", "quality_flags", "source",
                    "release"}
IDENTIFYING = ("invitation", "token", "account", "user", "email", "mail", "ip", "agent", "session", "draft")


def test_schema_holds_no_link_from_a_response(any_db_url):
    engine = get_engine(any_db_url)
    schema = inspect(engine)
    columns = {c["name"]: c for c in schema.get_columns("response")}
    assert set(columns) == RESPONSE_COLUMNS
    assert not [name for name in columns if any(word in name for word in IDENTIFYING)]
    assert [fk["referred_table"] for fk in schema.get_foreign_keys("response")] == ["campaign"]
    times = [name for name, c in columns.items() if "TIME" in str(c["type"]).upper()]
    assert times == [], f"a time of day on response: {times}"
    assert str(columns["submitted_on"]["type"]).upper() == "DATE"

    assert [c["name"] for c in schema.get_columns("invitation_completion")] == ["invitation_id"]
    assert [fk["referred_table"] for fk in schema.get_foreign_keys("invitation_completion")] == ["invitation"]
    for table in schema.get_table_names():
        assert all(fk["referred_table"] != "response" for fk in schema.get_foreign_keys(table)), table
        if table != "response":
            assert not any(c["name"] in ("response_id", "response") for c in schema.get_columns(table)), table
    invitation = {c["name"] for c in schema.get_columns("invitation")}
    assert not invitation & {"email", "token", "submitted_at", "completed_at", "used_at", "ip"}
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            for table in ("response", "invitation_completion"):
                sql = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = :t"), {"t": table}).scalar_one()
                assert "WITHOUT ROWID" in sql.upper(), table


# -- 2. data -----------------------------------------------------------------------------------------------------
N_PER_GROUP = 20
DRAFT_MARKER = "DRAFT-ONLY-7f3c1e"


def _answer_and_submit(url: str, token: str, marker: int, *, overwrite_draft: bool = False) -> None:
    with session_scope(url) as s:
        token = respondent.begin(s, token)
    if overwrite_draft:  # a comment saved, then replaced: the first text exists only in dead space
        with session_scope(url) as s:
            state = respondent.load_survey(s, token)
        last = len(state.sections) - 1
        with session_scope(url) as s:
            respondent.save_section(s, token, last, {"comments": DRAFT_MARKER}, move="stay")
        with session_scope(url) as s:
            respondent.save_section(s, token, last, {"comments": "final words"}, move="stay")
    with session_scope(url) as s:
        respondent.save_section(s, token, 0, {"rel1": 1 + marker % 5, "rel2": 1 + (marker // 5) % 5, "logon_minutes": marker})
    with session_scope(url) as s:
        respondent.save_section(s, token, 1, {"par1": 1 + (marker * 7) % 5})
    with session_scope(url) as s:
        assert respondent.submit(s, token).submitted


@pytest.fixture
def submitted(any_db_url):
    """40 respondents of two groups: all start, then submit in a shuffled, interleaved order. Each
    answers logon_minutes = its submission number, which identifies its response in the test."""
    url = any_db_url
    campaign_id = make_campaign(url)
    tokens = [(g, t) for g in ("business", "it_staff") for t in invite(url, campaign_id, g, N_PER_GROUP)]
    random.Random(7).shuffle(tokens)
    with session_scope(url) as s:
        invitation_of = {t: s.execute(text("SELECT id FROM invitation WHERE token_hash = :h"), {"h": hash_token(t)}).scalar_one()
                         for _, t in tokens}
    submissions = []  # (submission number, invitation id)
    for number, (_, token) in enumerate(tokens):
        _answer_and_submit(url, token, number, overwrite_draft=number == 3)
        submissions.append((number, invitation_of[token]))
    return url, campaign_id, submissions


def _responses_by_marker(url: str, campaign_id: int, extra: str = "") -> dict[int, tuple]:
    columns = ("id", *(c.strip() for c in extra.split(",") if c.strip()))
    return {answers["logon_minutes"]: tuple(rest) for answers, *rest in stored_answers(url, campaign_id, *columns)}


def _rho(a, b) -> float:
    return float(sps.spearmanr(a, b).statistic)


def test_response_ids_are_random_not_in_submission_order(submitted):
    url, campaign_id, submissions = submitted
    by_marker = _responses_by_marker(url, campaign_id)
    ids = [by_marker[n][0] for n, _ in submissions]
    assert len(set(ids)) == len(ids) == 2 * N_PER_GROUP
    assert all(len(i) == 32 and i[12] == "4" for i in ids)  # UUID4 hex: random
    assert ids != sorted(ids)
    assert abs(_rho(range(len(ids)), [sorted(ids).index(i) for i in ids])) < 0.6  # fails by chance with p < 1e-4


def test_sqlite_stores_responses_in_random_id_order_and_close_rebuilds_the_file(submitted):
    url, campaign_id, submissions = submitted
    engine = get_engine(url)
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite storage order")
    with engine.connect() as connection:
        with pytest.raises(Exception, match="rowid"):
            connection.execute(text("SELECT rowid FROM response")).all()
        # answers_json is in no index, so this reads the table itself: its storage order
        scanned = [r[0] for r in connection.execute(text("SELECT id, answers_json FROM response"))]
        completions = [r[0] for r in connection.execute(text("SELECT invitation_id FROM invitation_completion"))]
    by_marker = _responses_by_marker(url, campaign_id)
    in_submission_order = [by_marker[n][0] for n, _ in submissions]
    assert scanned == sorted(scanned) != in_submission_order
    assert completions == sorted(completions) != [inv for _, inv in submissions]
    path = Path(url.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    remnant = DRAFT_MARKER.encode() in path.read_bytes() or (wal.exists() and DRAFT_MARKER.encode() in wal.read_bytes())
    assert remnant, "the overwritten draft text should still be in the file or its WAL before closing"

    with session_scope(url) as s:
        campaigns.close_campaign(s, campaign_id, "test")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA freelist_count")).scalar_one() == 0
    assert not wal.exists() or wal.stat().st_size == 0
    assert DRAFT_MARKER.encode() not in path.read_bytes()
    with session_scope(url) as s:  # nothing lost
        assert s.execute(text("SELECT count(*) FROM response")).scalar_one() == len(submissions)


def test_sqlite_close_says_when_a_reader_keeps_the_old_pages_in_the_log(submitted, capsys):
    """A connection in a long read (a backup, a report) keeps SQLite from emptying the write-ahead log,
    which still holds the deleted drafts: the close says so instead of passing in silence, anonymise
    does not claim the space was reclaimed, and once the reader is gone it finishes the job."""
    import sqlite3

    url, campaign_id, _ = submitted
    if get_engine(url).dialect.name != "sqlite":
        pytest.skip("SQLite's write-ahead log")
    path = Path(url.removeprefix("sqlite:///"))
    wal = path.with_name(path.name + "-wal")
    reader = sqlite3.connect(path, isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM campaign").fetchall()  # holds a snapshot from here
        capsys.readouterr()
        assert main(["campaign", "close", str(campaign_id)]) == 0
        out, err = capsys.readouterr()
        assert f"campaign {campaign_id} is closed" in out
        assert "the space was not reclaimed" in err and f"itcap campaign anonymise {campaign_id}" in err
        assert DRAFT_MARKER.encode() in wal.read_bytes()
        assert main(["campaign", "anonymise", str(campaign_id)]) == 1
        out, err = capsys.readouterr()
        assert "space reclaimed" not in out and "the space was not reclaimed" in err
    finally:
        reader.close()
    assert main(["campaign", "anonymise", str(campaign_id)]) == 0
    assert "stored responses rewritten and space reclaimed" in capsys.readouterr().out
    assert not wal.exists() or DRAFT_MARKER.encode() not in wal.read_bytes()
    assert DRAFT_MARKER.encode() not in path.read_bytes()


def _xmins(session, sql: str, params: dict) -> dict:
    return {row[0]: int(row[1]) for row in session.execute(text(sql), params)}


def _pageinspect(url: str) -> bool:
    try:
        with get_engine(url).connect() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
            connection.commit()
        return True
    except Exception:  # noqa: BLE001 - not installed, or not a superuser
        return False


def _heap_xids(url: str, table: str) -> set[int]:
    """Every t_xmin and t_xmax of tuples still stored in the table's pages, dead ones included."""
    sql = (f"SELECT t_xmin, t_xmax FROM generate_series(0, (pg_relation_size('{table}') / 8192)::int - 1) AS b, "
           f"LATERAL heap_page_items(get_raw_page('{table}', b)) WHERE t_xmin IS NOT NULL")
    with get_engine(url).connect() as connection:
        return {int(x) for row in connection.execute(text(sql)) for x in row if x is not None and int(x) != 0}


def test_postgresql_close_rewrites_xmin_and_heap_order(submitted):
    url, campaign_id, submissions = submitted
    if get_engine(url).dialect.name != "postgresql":
        pytest.skip("PostgreSQL bookkeeping")
    # another campaign, still open, with a response of its own: closing the first must not touch it
    other = make_campaign(url)
    (other_token,) = invite(url, other)
    _answer_and_submit(url, other_token, 59)
    other_before = _responses_by_marker(url, other, ", xmin::text::bigint, ctid::text")

    # before closing: each response shares its transaction id with its invitation's completion
    by_marker = _responses_by_marker(url, campaign_id, ", xmin::text::bigint")
    with session_scope(url) as s:
        completion_xmin = _xmins(s, "SELECT invitation_id, xmin::text::bigint FROM invitation_completion", {})
    linked = sum(by_marker[n][1] == completion_xmin[inv] for n, inv in submissions)
    assert linked == len(submissions), "the risk the close removes is not there to begin with?"
    submit_xids = {completion_xmin[inv] for _, inv in submissions}
    inspectable = _pageinspect(url)

    with session_scope(url) as s:
        campaigns.close_campaign(s, campaign_id, "test")

    after = _responses_by_marker(url, campaign_id, ", xmin::text::bigint, ctid::text")
    assert sorted(after) == sorted(by_marker)  # nothing lost
    with session_scope(url) as s:
        completions = _xmins(s, "SELECT c.invitation_id, c.xmin::text::bigint FROM invitation_completion c "
                                "JOIN invitation i ON i.id = c.invitation_id WHERE i.campaign_id = :c", {"c": campaign_id})
        invitations = _xmins(s, "SELECT id, xmin::text::bigint FROM invitation WHERE campaign_id = :c", {"c": campaign_id})
    response_xmins = {x for _, x, _ in after.values()}
    assert len(response_xmins) == 1  # every response of the campaign: the same transaction
    assert not response_xmins & (set(completions.values()) | set(invitations.values()))
    assert sorted(completions) == sorted(inv for _, inv in submissions)
    assert not (response_xmins | set(completions.values()) | set(invitations.values())) & submit_xids

    def ctid_key(ctid: str) -> tuple[int, int]:
        block, offset = ctid.strip("()").split(",")
        return int(block), int(offset)

    markers = [n for n, _ in submissions]
    physical = sorted(markers, key=lambda n: ctid_key(after[n][2]))
    assert [after[n][0] for n in physical] == sorted(after[n][0] for n in markers)  # heap order = random-id order
    rank = {n: i for i, n in enumerate(physical)}
    invitation_of = dict(submissions)
    assert abs(_rho([rank[n] for n in markers], markers)) < 0.6  # vs submission order
    assert abs(_rho([rank[n] for n in markers], [invitation_of[n] for n in markers])) < 0.6  # vs invitation id

    assert _responses_by_marker(url, other, ", xmin::text::bigint, ctid::text") == other_before
    if inspectable:  # the old row versions, with the submitting transactions' ids, are vacuumed away
        for table in ("response", "invitation_completion", "invitation", "survey_draft"):
            assert not _heap_xids(url, table) & submit_xids, table


def test_anonymise_is_refused_while_open_and_is_idempotent(submitted):
    url, campaign_id, _ = submitted
    from surveys.errors import SurveyError

    with session_scope(url) as s, pytest.raises(SurveyError, match="close it first"):
        campaigns.anonymise_campaign(s, campaign_id, "test")
    with session_scope(url) as s:
        campaigns.close_campaign(s, campaign_id, "test")
    before = _responses_by_marker(url, campaign_id, ", answers_json")
    for _ in range(2):
        assert main(["campaign", "anonymise", str(campaign_id)]) == 0
    assert _responses_by_marker(url, campaign_id, ", answers_json") == before
    with session_scope(url) as s:
        actions = [a for (a,) in s.execute(text("SELECT action FROM audit_entry WHERE target = :t ORDER BY id"),
                                           {"t": f"campaign:{campaign_id}"})]
    assert actions[-3:] == ["campaign.close", "campaign.anonymise", "campaign.anonymise"]


# -- 3. thresholds through every view -------------------------------------------------------------------------------
THREE_GROUPS = INSTRUMENT_YAML.replace("  - {id: it_staff, name: IT staff}\n",
                                       "  - {id: it_staff, name: IT staff}\n  - {id: contractors, name: Contractors}\n")
K = 5


def _response(group: str, rng: random.Random, flagged: bool) -> dict:
    if flagged:  # four Likert answers with one code in a section: straight-lining
        answers = {"rel1": 3, "rel2": 3, "rel3": 3, "rel4": 3, "par1": 3}
    else:
        answers = {"rel1": rng.randint(1, 5), "rel2": rng.randint(1, 5), "rel3": rng.randint(1, 2), "rel4": rng.randint(4, 5),
                   "par1": rng.randint(1, 5), "par2": rng.randint(1, 5), "logon_minutes": rng.randint(0, 60)}
    answers["comments"] = f"{group} comment {rng.random():.6f}"
    return {"group": group, "answers": answers, "duration_seconds": 600}


def _campaign_with(url: str, counts: dict[str, int], flagged: dict[str, int], yaml: str) -> int:
    """A closed campaign with these responses: its figures use every one of them, so each group is
    exactly at the count given around k (an open campaign's figures take responses in batches:
    tests/test_release.py)."""
    campaign_id = make_campaign(url, min_group_size=K, comment_threshold=K, yaml=yaml)
    rng = random.Random(sum(counts.values()))
    rows = [_response(g, rng, i < flagged.get(g, 0)) for g, n in counts.items() for i in range(n)]
    rng.shuffle(rows)
    with session_scope(url) as s:
        add_responses(s, campaign_id, rows, actor="test", source="web")
        campaigns.close_campaign(s, campaign_id, "test")
    return campaign_id


def _kept_counts(counts, flagged, exclude):
    return {g: n - (flagged.get(g, 0) if exclude else 0) for g, n in counts.items()}


def _check_not_recoverable(shown: set[str], counts: dict[str, int]) -> None:
    """Every group shown has ≥ k. No complement is needed: no total a non-administrator sees counts
    a group under k (checked in _check_dashboard), so nothing can be subtracted to find one."""
    assert all(counts[g] >= K for g in shown), (shown, counts)


def _check_counts(insight, everyone: dict[str, int]) -> None:
    """A group under k shows no count of people who took part, and no total counts it (DESIGN.md:
    suppressed everywhere; a total with it would give its count by subtraction)."""
    small = {insight.instrument.group_name(g) for g, n in everyone.items() if 0 < n < K}
    counted = sum(n for n in everyone.values() if n >= K)
    table = insight.rates_table().set_index("group")
    for name in small:
        assert table.loc[name, ["started", "completed", "imported", "responses", "response rate %"]].isna().all()
    bars = insight.rates_frame()
    assert set(bars[bars["group"].isin(small)]["stage"]) <= {"invited"}
    assert insight.counted_responses == counted
    for said in filter(None, (insight.responses_note(), insight.source_line(), insight.imported_note())):
        if small:
            assert f"{sum(everyone.values()):,} " not in said or sum(everyone.values()) == counted, said


def _check_dashboard(url, campaign_id, kept, exclude):
    with session_scope(url) as s:
        frame = responses_frame(s, campaign_id)
        insight = insights.campaign_insight(s, campaign_id, exclude_flagged=exclude, frame=frame)
        # the dashboard's comments come from every response whatever the toggle (pages/dashboard.py)
        comments = exports.reportable_comments(s, campaign_id, frame=frame)
        everyone = {g: int(n) for g, n in frame["group"].value_counts().items()}
    _check_counts(insight, {g: everyone.get(g, 0) for g in kept})
    if insight.comparison is None:
        assert sum(n >= K for n in kept.values()) < 2 or insight.problem
    else:
        groups = insight.comparison["groups"]
        assert all(info["n"] >= K for info in groups.values())
        assert all(kept[g] >= K for g in groups)
        for kind in ("items", "scales"):
            for row in insight.comparison[kind]:
                assert all(row[key] is None or row[key] >= K for key in ("n_a", "n_b")), row
        for frame_ in (insight.scale_table(), insight.item_table()):
            for column in [c for c in frame_.columns if c.startswith(("n ", "n_"))]:
                values = frame_[column].dropna()
                assert (values >= K).all(), (column, list(values))
    # comments: only from groups of at least k, and only over their threshold
    everyone = {g: everyone.get(g, 0) for g in kept}
    reported = {g for g in everyone if g not in suppressed_groups(everyone, K, total_shown=False)}
    for texts in comments.values():
        assert len(texts) >= K and all(t.split(" comment ")[0] in reported for t in texts)
    return insight


def _check_exports(url, campaign_id, kept, exclude):
    with session_scope(url) as s:
        data = exports.prepare_export(s, campaign_id, privileged=False, exclude_flagged=exclude)
        privileged = exports.prepare_export(s, campaign_id, privileged=True, exclude_flagged=exclude)
    present = data.frame["group"].value_counts().to_dict()
    _check_not_recoverable(set(present), kept)
    assert present == {g: kept[g] for g in present}  # whole groups, never parts of one
    assert set(present) == {g for g in kept if kept[g] >= K}
    assert "response_id" not in data.frame.columns and "comments" not in data.frame.columns
    assert len(privileged.frame) == sum(kept.values())  # administrators: everything, by design


SIZES = [(b, i) for b in (K - 1, K, K + 1) for i in (K - 1, K, K + 1)]


@pytest.mark.parametrize(("n_business", "n_it"), SIZES)
def test_two_groups_around_k_through_dashboard_comments_and_exports(db_url, n_business, n_it):
    counts = {"business": n_business, "it_staff": n_it}
    flagged = {"business": 1}  # leaving flagged responses out takes business from k to k − 1, or k + 1 to k
    campaign_id = _campaign_with(db_url, counts, flagged, INSTRUMENT_YAML)
    for exclude in (False, True):
        kept = _kept_counts(counts, flagged, exclude)
        insight = _check_dashboard(db_url, campaign_id, kept, exclude)
        shown = set(insight.comparison["groups"]) if insight.comparison else set()
        assert shown == ({"business", "it_staff"} if min(kept.values()) >= K else set())
        _check_exports(db_url, campaign_id, kept, exclude)


@pytest.mark.parametrize("small", [1, K - 1, K])
def test_three_groups_one_small_through_dashboard_exports_and_report(db_url, small):
    counts = {"business": 3 * K, "it_staff": K + 1, "contractors": small}
    flagged = {"it_staff": 1, "contractors": 1}
    campaign_id = _campaign_with(db_url, counts, flagged, THREE_GROUPS)
    for exclude in (False, True):
        kept = _kept_counts(counts, flagged, exclude)
        insight = _check_dashboard(db_url, campaign_id, kept, exclude)
        assert "contractors" not in (insight.comparison or {}).get("groups", {})  # the dashboard compares two groups
        _check_exports(db_url, campaign_id, kept, exclude)
    with session_scope(db_url) as s:
        content = build_report(s, campaign_id=campaign_id, include_assessment=False)
    points = " ".join(methods_points(content))
    for group, n in counts.items():
        name = {"business": "Business users", "it_staff": "IT staff", "contractors": "Contractors"}[group]
        assert (f"{name} n = {n}" in points) == (group in content.campaign.comparison["groups"])
        if n < K:
            assert f"{name} n = " not in points


def test_dashboard_page_when_leaving_flagged_out_takes_a_group_under_k(db_url):
    """The dashboard drew a one-group 'comparison' (IndexError) when the toggle left a group under k."""
    from tests import builders
    from tests.support import app_test, show_tab

    ids = builders.people(db_url)
    _campaign_with(db_url, {"business": K, "it_staff": K}, {"business": 1}, INSTRUMENT_YAML)
    at = show_tab(app_test(ids["lee"]), "Perception")
    assert not at.exception and any("scale scores with 95% confidence intervals" in m.value for m in at.markdown)
    at.toggle(key="dashboard_exclude_flagged").set_value(True).run()
    assert not at.exception
    # IT staff's own figures, nothing of Business users'
    assert [m.value for m in at.markdown if "scale scores with 95% confidence intervals" in m.value] == [
        "##### IT staff: scale scores with 95% confidence intervals"]
    assert any(i.value.startswith("Nothing to compare once flagged responses are left out: Business users has fewer than")
               for i in at.info)
    assert not any("Business users" in str(c) for d in at.dataframe for c in d.value.columns)
    # the participation table says why: the group fell under k once its flagged response was left out
    show_tab(at, "Participation")
    [rates] = [d.value for d in at.dataframe if "results" in d.value.columns]
    results = dict(zip(rates["group"] if "group" in rates.columns else rates.index, rates["results"]))
    assert results["Business users"] == f"withheld (fewer than {K} responses once flagged responses are left out)"
    assert results["IT staff"] == "reported on its own (no other group to compare it with)"


def _cli(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize(("n_business", "n_it", "small"), [(K + 1, K - 1, 0), (K, K, 0), (3 * K, K + 1, K - 1), (3 * K, K + 1, 1)])
def test_cli_analyze_and_thresholded_export_apply_k(db_url, tmp_path, capsys, n_business, n_it, small):
    counts = {"business": n_business, "it_staff": n_it, "contractors": small}
    campaign_id = _campaign_with(db_url, counts, {}, THREE_GROUPS)
    instrument = tmp_path / "survey.yaml"
    instrument.write_text(THREE_GROUPS, encoding="utf-8")

    everything = tmp_path / "all.csv"
    assert _cli(capsys, "responses", "export", str(campaign_id), "--format", "csv", "--out", str(everything))[0] == 0
    groups = [g for g, n in counts.items() if n]
    code, output = _cli(capsys, "analyze", str(everything), "--instrument", str(instrument), "--group-col", "group",
                        "--groups", *groups, "--min-group-size", str(K), "--json", str(tmp_path / "a.json"))
    shown = [g for g in groups if counts[g] >= K]
    if len(shown) >= 2:
        assert code == 0, output
        document = json.loads((tmp_path / "a.json").read_text())
        assert set(document["groups"]) == set(shown) and all(v["n"] >= K for v in document["groups"].values())
        assert set(document["suppressed"]) == {g for g in groups if counts[g] < K}
        for row in document["items"] + document["scales"]:
            assert all(n is None or n >= K for n in (row.get("n") or {}).values())
    else:
        assert code == 1 and "nothing to compare" in output

    thresholded = tmp_path / "t.csv"
    code, output = _cli(capsys, "responses", "export", str(campaign_id), "--format", "csv", "--apply-threshold",
                        "--out", str(thresholded))
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(thresholded.read_text(encoding="utf-8"))))
    present = {g: sum(r["group"] == g for r in rows) for g in {r["group"] for r in rows}}
    _check_not_recoverable(set(present), counts)
    assert set(present) == {g for g in counts if counts[g] >= K}
    assert rows == [] or "response_id" not in rows[0]
    assert np.all([present[g] == counts[g] for g in present])


def _figures(insight) -> dict:
    """Every count and mean the comparison shows, by item or scale and group."""
    return {(row["id"], side): (row[f"n_{side}"], row[f"mean_{side}"])
            for kind in ("items", "scales") for row in insight.comparison[kind] for side in "ab"}


def test_a_small_group_with_no_responses_looks_like_one_with_a_few(db_url):
    """Contractors with 0, 1 or k − 1 responses: every view leadership gets — the participation table,
    the responses line, the report's text — is the same, so nobody learns whether one of a handful of
    people has answered (DESIGN.md: a group under k is suppressed everywhere, its count included)."""
    from itcap.report import render_html

    rng = random.Random(3)
    everyone = [_response(g, rng, False) for g in ("business", "it_staff") for _ in range(2 * K)]
    views = []
    for contractors in (0, 1, K - 1):
        campaign_id = make_campaign(db_url, min_group_size=K, comment_threshold=K, yaml=THREE_GROUPS)
        with session_scope(db_url) as s:
            add_responses(s, campaign_id, everyone + [_response("contractors", rng, False) for _ in range(contractors)],
                          actor="test", source="web")
            campaigns.close_campaign(s, campaign_id, "test")
        with session_scope(db_url) as s:
            insight = insights.campaign_insight(s, campaign_id)
            name = insight.campaign.name
            page = render_html(build_report(s, campaign_id=campaign_id, include_assessment=False))
        table = insight.rates_table()
        assert table.loc[table.group == "Contractors", ["started", "completed", "responses"]].isna().all(axis=None)
        assert "groups with fewer than 5 responses are not counted" in insight.responses_note()
        # the report's own words, less its dates, its name and its id (in the reproduce commands)
        text = re.sub(r"data:image/[^\"']+", "CHART", " ".join(page.split())).replace(name, "NAME")  # charts carry the name
        text = re.sub(rf"\b(campaign|export|status) {campaign_id}\b", r"\1 N", text)
        views.append((table.drop(columns=["invited"]).astype(object).fillna("–").to_dict("records"), insight.responses_note(), text))
    for part in range(3):
        assert views[0][part] == views[1][part] == views[2][part]

    # open, with no group at k: the same words whether nobody or a few have answered
    problems = []
    for rows in ([], [_response("business", random.Random(1), False)]):
        campaign_id = make_campaign(db_url, min_group_size=K, comment_threshold=K, yaml=THREE_GROUPS)
        with session_scope(db_url) as s:
            add_responses(s, campaign_id, rows, actor="test", source="web")
        with session_scope(db_url) as s:
            problems.append(insights.campaign_insight(s, campaign_id).problem)
    assert problems[0] == problems[1] == "No group has 5 responses yet."


def _open_campaign_with(url: str, rows: list[dict]) -> int:
    """An open campaign whose figures hold every one of ``rows`` (released as one batch)."""
    campaign_id = make_campaign(url, min_group_size=K, comment_threshold=K, yaml=INSTRUMENT_YAML)
    with session_scope(url) as s:
        add_responses(s, campaign_id, rows, actor="test", source="web")
        s.execute(text("UPDATE response SET release = 1 WHERE campaign_id = :c"), {"c": campaign_id})
    return campaign_id


def test_flagged_responses_are_left_out_of_an_open_campaign_s_figures_only_once_it_closes(db_url):
    """Open, with 2 flagged business responses: n·mean with them minus n·mean without gave those two
    people's answers; and figures without flagged responses grow, batch to batch, by however many of
    a batch were not flagged — one person, in a batch of k − 1 straight-liners and them. While the
    campaign is open the figures stay everyone's, and say why; closed, the exclusion applies."""
    rng = random.Random(5)
    rows = [_response(g, rng, flagged=g == "business" and i < 2) for g, n in (("business", 3 * K), ("it_staff", 2 * K))
            for i in range(n)]
    campaign_id = _open_campaign_with(db_url, rows)
    with session_scope(db_url) as s:
        everyone = insights.campaign_insight(s, campaign_id)
        asked = insights.campaign_insight(s, campaign_id, exclude_flagged=True)
    assert not asked.excluded_flagged and _figures(asked) == _figures(everyone)
    assert asked.exclusion_refused.startswith("Flagged responses are left out once the survey closes.")
    assert "2" not in asked.exclusion_refused  # the count is not given away either
    with session_scope(db_url) as s:
        campaigns.close_campaign(s, campaign_id, "test")
    with session_scope(db_url) as s:
        closed = insights.campaign_insight(s, campaign_id, exclude_flagged=True)
    assert closed.excluded_flagged and closed.exclusion_refused is None
    assert closed.comparison["groups"]["business"]["n"] == 3 * K - 2


def test_a_campaign_without_flagged_responses_says_nothing_about_leaving_them_out(db_url):
    rng = random.Random(6)
    campaign_id = _open_campaign_with(db_url, [_response(g, rng, False) for g in ("business", "it_staff") for _ in range(2 * K)])
    with session_scope(db_url) as s:
        asked = insights.campaign_insight(s, campaign_id, exclude_flagged=True)
    assert asked.comparison is not None and asked.exclusion_refused is None and asked.n_flagged == 0


def test_the_dashboard_and_report_say_why_flagged_responses_stayed_in(db_url):
    from tests import builders
    from tests.support import app_test

    ids = builders.people(db_url)
    rng = random.Random(7)
    campaign_id = _open_campaign_with(db_url, [_response(g, rng, flagged=g == "business" and i < 2)
                                               for g, n in (("business", 3 * K), ("it_staff", 2 * K)) for i in range(n)])
    at = app_test(ids["lee"])
    at.session_state["dashboard_exclude_flagged"] = True
    at.run()
    assert not at.exception  # open: the switch is off and disabled on the page; the report asked directly says why
    assert at.toggle(key="dashboard_exclude_flagged").disabled and at.toggle(key="dashboard_exclude_flagged").value is False
    with session_scope(db_url) as s:
        content = build_report(s, campaign_id=campaign_id, include_assessment=False, exclude_flagged=True)
    points = " ".join(methods_points(content))
    assert "Flagged responses are left out once the survey closes." in points
    assert " --exclude-flagged" not in points  # the reproduce command: the figures shown


def test_a_pair_the_flagged_exclusion_takes_under_k_falls_back_to_two_groups_that_still_have_k(db_url):
    """Leaving flagged responses out took the chosen pair's second group under k: the whole survey
    went blank ("each group needs at least k") though two other groups still had enough."""
    counts = {"business": 3 * K, "it_staff": K + 1, "contractors": K + 1}
    campaign_id = _campaign_with(db_url, counts, {"contractors": 2}, THREE_GROUPS)
    with session_scope(db_url) as s:
        chosen = insights.campaign_insight(s, campaign_id, groups=("business", "contractors"))
        kept = insights.campaign_insight(s, campaign_id, groups=("business", "contractors"), exclude_flagged=True)
    assert chosen.compared == ["business", "contractors"]
    assert kept.problem is None and kept.compared == ["business", "it_staff"]
    assert "contractors" not in kept.comparable and "contractors" not in kept.comparison["groups"]
    results = kept.rates_table().set_index("group")["results"]
    assert results["Contractors"] == f"withheld (fewer than {K} responses once flagged responses are left out)"
    assert results["Business users"] == results["IT staff"] == "reported"
