r"""Benchmark: a survey window's rush — many respondents answering and submitting at the same moment.

    .venv/bin/python bench/bench_load.py [--respondents 1000] [--threads 12] [--duplicates 100] [--serial 200]
    ITCAP_BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/bench_load.py

SQLite always (a fresh file in a temporary directory); PostgreSQL too when ITCAP_BENCH_DATABASE_URL
is set: a scratch database is created from it, migrated, and dropped afterwards.

What is timed
-------------
``--respondents`` invitations of a two-section survey are created in bulk; then ``--threads``
worker threads — standing in for the app's script threads, across however many replicas — take
respondents one after the other through the respondent service exactly as the survey page does,
each step in its own transaction: ``begin``, ``save_section`` for both sections, ``submit``.
``--duplicates`` of the respondents submit a second time: half at the very same moment as their
first submit (two threads released by a barrier: a double click, two tabs, two replicas), half
after everything else (a back button, a stale tab). Every second submit must be refused as
"already used"; the responses must number exactly the respondents.

Printed: the submit latency (one ``submit`` call, commit included) p50/p95/max, the whole journey's
p50/p95, and throughput (journeys and submits per second of wall time) — and, against the obvious
alternative of one respondent at a time (``--serial`` more respondents on one thread), the ratio of
throughputs. The same driver runs, with
smaller numbers and exact-count assertions, in ``tests/test_load.py``.

No target is asserted: these numbers depend on the machine (the development machine is a shared
2-core box). Docs/deploy.md quotes them to size a deployment.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from itcap.storage import session_scope
from surveys import respondent
from surveys.invitations import TokenOutcome

SECTIONS = ({"rel1": 4, "rel2": 3}, {"par1": 5, "comments": "Fine."})  # tests.support.SHORT_SURVEY_YAML's items


@dataclass
class LoadResult:
    respondents: int = 0
    submitted: int = 0
    refused: int = 0  # second submits told "already used"
    duplicate_attempts: int = 0
    errors: list[str] = field(default_factory=list)
    submit_seconds: list[float] = field(default_factory=list)  # accepted submits
    journey_seconds: list[float] = field(default_factory=list)
    wall_seconds: float = 0.0

    @staticmethod
    def percentile(values: list[float], p: float) -> float:
        """Nearest-rank percentile (the smallest value with at least p % of the values at or below it)."""
        ordered = sorted(values)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")

    def summary(self, label: str) -> str:
        ms = 1000
        return (f"{label}: {self.respondents} respondents, {self.submitted} responses, "
                f"{self.refused}/{self.duplicate_attempts} duplicate submits refused, {len(self.errors)} errors\n"
                f"  submit   p50 {self.percentile(self.submit_seconds, 50) * ms:6.1f} ms   "
                f"p95 {self.percentile(self.submit_seconds, 95) * ms:6.1f} ms   "
                f"max {max(self.submit_seconds) * ms:6.1f} ms\n"
                f"  journey  p50 {self.percentile(self.journey_seconds, 50) * ms:6.1f} ms   "
                f"p95 {self.percentile(self.journey_seconds, 95) * ms:6.1f} ms   (begin + 2 sections + submit)\n"
                f"  wall {self.wall_seconds:.1f} s: {self.respondents / self.wall_seconds:.0f} journeys/s, "
                f"{(self.submitted + self.duplicate_attempts) / self.wall_seconds:.0f} submits/s")


def _submit(url: str, token: str) -> tuple[str, float]:
    started = time.perf_counter()
    try:
        with session_scope(url) as session:
            result = respondent.submit(session, token)
    except respondent.SurveyUnavailable as refused:
        return ("refused" if refused.outcome == TokenOutcome.USED else f"unavailable: {refused.outcome}"), 0.0
    if not result.submitted:
        return f"not submitted: {result.problems}", 0.0
    return "submitted", time.perf_counter() - started


def run_load(url: str, tokens: list[str], *, threads: int = 12, duplicates: int = 0) -> LoadResult:
    """Every token answered and submitted once by ``threads`` workers; the first ``duplicates``
    tokens submitted a second time (half at once, half afterwards). Returns counts and timings."""
    result = LoadResult(respondents=len(tokens))
    lock = threading.Lock()
    at_once = set(tokens[: duplicates // 2])
    later = tokens[duplicates // 2: duplicates]

    def record(outcome: str, seconds: float) -> None:
        with lock:
            if outcome == "submitted":
                result.submitted += 1
                result.submit_seconds.append(seconds)
            elif outcome == "refused":
                result.refused += 1
            else:
                result.errors.append(outcome)

    def journey(token: str) -> None:
        started = time.perf_counter()
        try:
            with session_scope(url) as session:
                respondent.begin(session, token)
            for index, answers in enumerate(SECTIONS):
                with session_scope(url) as session:
                    saved = respondent.save_section(session, token, index, answers)
                if not saved.ok:
                    record(f"section {index} refused: {saved.problems}", 0)
                    return
            if token in at_once:
                barrier = threading.Barrier(2)

                def click() -> tuple[str, float]:
                    barrier.wait()
                    return _submit(url, token)

                with ThreadPoolExecutor(2) as pair:
                    outcomes = list(pair.map(lambda _: click(), range(2)))
                with lock:
                    result.duplicate_attempts += 1
            else:
                outcomes = [_submit(url, token)]
            for outcome in outcomes:
                record(*outcome)
        except Exception as error:  # noqa: BLE001 - counted and shown, never hidden
            record(f"{type(error).__name__}: {error}", 0)
            return
        with lock:
            result.journey_seconds.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(journey, tokens))
    for token in later:
        result.duplicate_attempts += 1
        record(*_submit(url, token))
    result.wall_seconds = time.perf_counter() - started
    return result


def prepare(url: str, respondents: int) -> tuple[int, list[str]]:
    """A migrated database with an open campaign of the short survey and ``respondents`` invitations."""
    from itcap.migrate import upgrade
    from surveys import campaigns, invitations
    from surveys.store import save_instrument
    from tests.support import SHORT_SURVEY_YAML

    upgrade(url)
    with session_scope(url) as s:
        record = save_instrument(s, SHORT_SURVEY_YAML, actor="bench")
        campaign = campaigns.create_campaign(s, instrument_id=record.id, name="Load", actor="bench")
        campaigns.open_campaign(s, campaign.id, "bench")
        links = invitations.create_invitations(s, campaign.id, "business", respondents, "bench")
        return campaign.id, [link.token for link in links]


def count_rows(url: str, campaign_id: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from surveys.tables import Invitation, InvitationCompletion, Response, SurveyDraft

    with session_scope(url) as s:
        ids = select(Invitation.id).where(Invitation.campaign_id == campaign_id)
        return {
            "responses": s.scalar(select(func.count()).select_from(Response).where(Response.campaign_id == campaign_id)),
            "completions": s.scalar(select(func.count()).select_from(InvitationCompletion)
                                    .where(InvitationCompletion.invitation_id.in_(ids))),
            "completed": s.scalar(select(func.count()).select_from(Invitation)
                                  .where(Invitation.campaign_id == campaign_id, Invitation.status == "completed")),
            "drafts": s.scalar(select(func.count()).select_from(SurveyDraft).where(SurveyDraft.invitation_id.in_(ids))),
        }


def bench(url: str, label: str, args) -> None:
    campaign_id, tokens = prepare(url, args.respondents + args.serial)
    tokens, serial_tokens = tokens[: args.respondents], tokens[args.respondents:]
    result = run_load(url, tokens, threads=args.threads, duplicates=args.duplicates)
    print(result.summary(f"{label}, {args.threads} threads"))
    if serial_tokens:  # the obvious alternative: one respondent at a time
        serial = run_load(url, serial_tokens, threads=1)
        ratio = (result.respondents / result.wall_seconds) / (serial.respondents / serial.wall_seconds)
        print(f"  one thread, {serial.respondents} respondents: submit p50 "
              f"{serial.percentile(serial.submit_seconds, 50) * 1000:.1f} ms, "
              f"{serial.respondents / serial.wall_seconds:.0f} journeys/s → {args.threads} threads give {ratio:.1f}×")
        tokens = tokens + serial_tokens
    counts = count_rows(url, campaign_id)
    exact = (counts == {"responses": len(tokens), "completions": len(tokens), "completed": len(tokens), "drafts": 0}
             and result.refused == result.duplicate_attempts and not result.errors)
    print(f"  rows: {counts} → {'exact' if exact else 'NOT EXACT'}")
    for error in result.errors[:5]:
        print(f"  error: {error}")
    if not exact:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--respondents", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=12)
    parser.add_argument("--duplicates", type=int, default=100)
    parser.add_argument("--serial", type=int, default=200, help="respondents run one at a time, for comparison")
    args = parser.parse_args()

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from itcap.storage import dispose_engines

    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{Path(tmp) / 'load.db'}", "SQLite", args)
        dispose_engines()

    admin_url = os.environ.get("ITCAP_BENCH_DATABASE_URL", "").strip()
    if not admin_url:
        print("\n(PostgreSQL skipped: set ITCAP_BENCH_DATABASE_URL to run it too)")
        return
    name = f"itcap_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        bench(make_url(admin_url).set(database=name).render_as_string(hide_password=False), "PostgreSQL", args)
    finally:
        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
