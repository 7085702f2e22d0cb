"""Benchmark: bulk invitations and bulk response import against per-row ORM inserts.

    /tmp/venv/bin/python bench/bench_survey_bulk.py [--invitations 10000] [--responses 50000] [--items 40]
        [--orm-invitations 1000] [--orm-responses 2000] [--repeat 3]

SQLite always (a fresh file in a temporary directory); PostgreSQL too when ITCAP_BENCH_DATABASE_URL
is set (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``): a scratch database is
created from it, migrated, and dropped afterwards.

What is timed
-------------
* invitations: ``surveys.invitations.create_invitations`` for ``--invitations`` links in one
  transaction (token generation, SHA-256, executemany inserts, commit). Best and median of
  ``--repeat`` runs.
* import: ``surveys.imports.import_responses`` for ``--responses`` rows × ``--items`` Likert items
  (CSV text already in memory: decode, parse, validate every cell, flags, bulk insert, commit), and
  separately its parse/validate part, so the insert part can be compared on its own.
* responses_frame: reading the stored responses back into a DataFrame (what analyses and exports do).
* a second import into the campaign that holds the first (its answers are compared with the stored
  ones, which catches an export of the campaign imported back), as a ratio to the first.
* the obvious alternative, per-row ORM ``session.add(...)`` + ``session.flush()``: run on a **smaller
  batch** (``--orm-invitations``, ``--orm-responses`` rows) and **extrapolated linearly** to the full
  size — per-row inserts cost the same for every row, and running them at full size would only make
  the benchmark slow. The import ratio compares like with like: the same parse/validate time plus the
  extrapolated per-row insert, against the measured bulk import.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from itcap.migrate import upgrade  # noqa: E402
from itcap.storage import dispose_engines, session_scope, today  # noqa: E402
from surveys import campaigns, invitations  # noqa: E402
from surveys.answers import pack_answers  # noqa: E402
from surveys.imports import decode_csv, import_responses, parse_responses_csv  # noqa: E402
from surveys.instrument import parse_instrument  # noqa: E402
from surveys.quality import responses_frame  # noqa: E402
from surveys.store import save_instrument  # noqa: E402
from surveys.tables import Invitation, Response  # noqa: E402


def bench_instrument(n_items: int) -> str:
    lines = [
        "id: bench_survey", "name: Benchmark survey", "groups:",
        "  - {id: business, name: Business users}", "  - {id: it_staff, name: IT staff}",
        "response_scales:", "  - id: agree", "    min: 1", "    max: 5",
        "    labels: {1: Strongly disagree, 2: Disagree, 3: Neutral, 4: Agree, 5: Strongly agree}",
        "sections:",
    ]
    per_section = 8
    for s in range(0, n_items, per_section):
        lines += [f"  - id: s{s // per_section}", f"    title: Section {s // per_section + 1}", "    items:"]
        for i in range(s, min(s + per_section, n_items)):
            lines.append(f"      - {{id: q{i + 1}, type: likert, text: Statement {i + 1}, response_scale: agree}}")
    return "\n".join(lines) + "\n"


def responses_csv(n_rows: int, n_items: int, seed: int = 7) -> bytes:
    rng = np.random.default_rng(seed)
    codes = rng.integers(1, 6, size=(n_rows, n_items))
    blanks = rng.random(size=(n_rows, n_items)) < 0.05
    groups = np.where(rng.random(n_rows) < 2 / 3, "business", "it_staff")
    header = "group," + ",".join(f"q{i + 1}" for i in range(n_items))
    out = [header]
    for g, row, blank in zip(groups, codes, blanks):
        out.append(g + "," + ",".join("" if b else str(c) for c, b in zip(row, blank)))
    return ("\n".join(out) + "\n").encode()


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def run(url: str, label: str, args) -> None:
    print(f"\n== {label}")
    with session_scope(url) as s:
        record = save_instrument(s, bench_instrument(args.items), actor="bench")
        campaign = campaigns.create_campaign(s, instrument_id=record.id, name="bench", actor="bench")
        campaign_id = campaign.id

    def bulk_invitations():
        with session_scope(url) as s:
            invitations.create_invitations(s, campaign_id, "business", args.invitations, "bench")

    best, median = timed(bulk_invitations, args.repeat)

    def orm_invitations():
        with session_scope(url) as s:
            created = today()
            for _ in range(args.orm_invitations):
                token = invitations.new_token()
                s.add(Invitation(campaign_id=campaign_id, group_id="business", token_hash=invitations.hash_token(token),
                                 created_on=created))
                s.flush()

    orm_best, _ = timed(orm_invitations, 1)
    orm_full = orm_best * args.invitations / args.orm_invitations
    print(f"invitations: {args.invitations:,} bulk in {best:.2f} s (median {median:.2f} s of {args.repeat}); "
          f"per-row ORM add+flush {args.orm_invitations:,} in {orm_best:.2f} s → {orm_full:.1f} s extrapolated "
          f"to {args.invitations:,}; ratio {orm_full / best:.0f}×")

    raw = responses_csv(args.responses, args.items)
    instrument = parse_instrument(bench_instrument(args.items))

    def parse_only():
        rows, _, problems = parse_responses_csv(instrument, decode_csv(raw, "bench.csv"), "bench.csv")
        assert not problems and len(rows) == args.responses

    parse_best, _ = timed(parse_only, 1)
    import_times = []
    for _ in range(args.repeat):
        with session_scope(url) as s:  # fresh campaign each time, same instrument
            c = campaigns.create_campaign(s, instrument_id=record.id, name="bench import", actor="bench")
        start = time.perf_counter()
        with session_scope(url) as s:
            result = import_responses(s, c.id, raw, actor="bench", where="bench.csv")
        import_times.append(time.perf_counter() - start)
        assert result.imported == args.responses
    import_best, import_median = min(import_times), statistics.median(import_times)

    def orm_responses():
        with session_scope(url) as s:
            submitted = today()
            answers = pack_answers(instrument, {f"q{i + 1}": 3 for i in range(args.items)})
            for _ in range(args.orm_responses):
                s.add(Response(id=uuid.uuid4().hex, campaign_id=campaign_id, group_id="business", submitted_on=submitted,
                               answers_json=answers, source="import"))
                s.flush()

    orm_r_best, _ = timed(orm_responses, 1)
    orm_r_full = orm_r_best * args.responses / args.orm_responses
    insert_part = import_best - parse_best
    print(f"import: {args.responses:,} rows × {args.items} items in {import_best:.2f} s (median {import_median:.2f} s); "
          f"of which parse+validate {parse_best:.2f} s, flags+bulk insert+commit {insert_part:.2f} s")
    print(f"  per-row ORM add+flush {args.orm_responses:,} in {orm_r_best:.2f} s → {orm_r_full:.1f} s extrapolated to "
          f"{args.responses:,}; insert ratio {orm_r_full / max(insert_part, 1e-9):.0f}×, whole-import ratio "
          f"{(parse_best + orm_r_full) / import_best:.1f}×")

    with session_scope(url) as s:
        start = time.perf_counter()
        frame = responses_frame(s, c.id)
        elapsed = time.perf_counter() - start
    print(f"responses_frame: {len(frame):,} responses read back in {elapsed:.2f} s")

    # A second file into a campaign that holds the first: the import then compares its answers with
    # the stored ones (an export of the campaign coming back is refused), against the first import.
    other = responses_csv(args.responses, args.items, seed=8)
    start = time.perf_counter()
    with session_scope(url) as s:
        assert import_responses(s, c.id, other, actor="bench", where="bench2.csv").imported == args.responses
    second = time.perf_counter() - start
    print(f"import into a campaign holding {args.responses:,}: {second:.2f} s, {second / import_best:.1f}× the import into an "
          "empty one (the stored answers compared, so a re-imported export is caught)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--responses", type=int, default=50_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--orm-invitations", type=int, default=1_000)
    parser.add_argument("--orm-responses", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        upgrade(url)
        run(url, "SQLite", args)
        dispose_engines()

    admin_url = os.environ.get("ITCAP_BENCH_DATABASE_URL", "").strip()
    if admin_url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"itcap_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            run(url, "PostgreSQL", args)
        finally:
            dispose_engines()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        print("\n(PostgreSQL skipped: set ITCAP_BENCH_DATABASE_URL to run it too)")


if __name__ == "__main__":
    main()
