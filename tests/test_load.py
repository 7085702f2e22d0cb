"""Load, bounded and on loopback only: many respondents in the survey at the same time.

* **Browsers**: 20 real Chromium respondents (one browser, 20 contexts, driven concurrently with
  Playwright's async API) take the short survey on one Streamlit server at the same moment — start,
  two sections, review, submit. All 20 pages are open and working at once; nothing is staggered.
* **Service level**: 1,000 respondents through the respondent service (``begin``, ``save_section``
  ×2, ``submit``, each its own transaction, as the page does) from 12 threads, on SQLite and on
  PostgreSQL, with 100 duplicate submits (50 at the very same moment as the first, 50 afterwards).
  The driver is ``bench/bench_load.py``'s, which prints the same numbers for bigger runs.

Counts are asserted exactly; latencies are printed (``pytest -s``), never asserted: they depend on
the machine and on whatever else it is running.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
import sys
import threading
import time

import pytest

from itcap.storage import dispose_engines
from tests.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LIKERT_LABELS,
    ROOT,
    SHORT_SURVEY_THANKS,
    SHORT_SURVEY_YAML,
    StreamlitServer,
    stored_answers,
    survey_link,
)
from tests.survey_testdata import invite, make_campaign

pytestmark = pytest.mark.slow
BROWSERS = 20


def _bench_load():
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench" / "bench_load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


# -- service level ----------------------------------------------------------------------------------
def test_a_thousand_respondents_submitting_at_once_land_exactly_once(any_db_url):
    load = _bench_load()
    campaign_id, tokens = load.prepare(any_db_url, 1000)
    result = load.run_load(any_db_url, tokens, threads=12, duplicates=100)
    label = "SQLite" if any_db_url.startswith("sqlite") else "PostgreSQL"
    print("\n" + result.summary(f"{label}, 12 threads"))
    assert result.errors == []
    assert result.submitted == len(tokens) == 1000
    assert result.duplicate_attempts == 100 and result.refused == 100  # every second submit refused
    assert load.count_rows(any_db_url, campaign_id) == {"responses": 1000, "completions": 1000, "completed": 1000,
                                                        "drafts": 0}


# -- real browsers ----------------------------------------------------------------------------------
async def _settled(page) -> None:
    done = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    await page.wait_for_selector(done)
    await page.wait_for_timeout(150)
    await page.wait_for_selector(done)


async def _click_then(page, button: str, text: str) -> None:
    await page.get_by_role("button", name=button).click()
    await page.get_by_text(text, exact=True).first.wait_for()
    await _settled(page)


async def _choose(page, question: str, code: int) -> None:
    group = page.get_by_role("radiogroup", name=re.compile(re.escape(question)))
    await group.get_by_text(LIKERT_LABELS[code - 1], exact=True).click()


async def _respondent(context, url: str, token: str, codes: tuple[int, int, int], go: asyncio.Event) -> dict:
    page = await context.new_page()
    try:
        page.set_default_timeout(150_000)
        await go.wait()  # everyone starts together
        started = time.monotonic()
        await page.goto(survey_link(url, token))
        await _settled(page)
        await _click_then(page, "Start the survey", "Section 1 of 2")
        await _choose(page, "1. The network is reliable.", codes[0])
        await _choose(page, "2. I can log on quickly.", codes[1])
        await _click_then(page, "Next", "Section 2 of 2")
        await _choose(page, "3. IT understands what my area needs.", codes[2])
        await _click_then(page, "Review my answers", "Check your answers")
        clicked = time.monotonic()
        await _click_then(page, "Submit my answers", SHORT_SURVEY_THANKS)
        return {"submit": time.monotonic() - clicked, "journey": time.monotonic() - started}
    finally:
        await page.close()


async def _crowd(url: str, tokens: list[str], answers: list[tuple[int, int, int]]) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # One context, a page per respondent: each page is its own Streamlit session (its own
            # WebSocket and session state); the pages share only the browser's cache of Streamlit's
            # static files, so that the machine spends its time on the survey, not on parsing them.
            context = await browser.new_context(viewport={"width": 1024, "height": 800})
            go = asyncio.Event()
            crowd = [asyncio.create_task(_respondent(context, url, token, codes, go))
                     for token, codes in zip(tokens, answers, strict=True)]
            await asyncio.sleep(0.5)  # contexts created
            go.set()
            return await asyncio.gather(*crowd)
        finally:
            await browser.close()


def _in_a_thread(coroutine):
    """asyncio.run on a thread of its own: the session's sync Playwright owns this thread's loop."""
    box = {}

    def run():
        try:
            box["value"] = asyncio.run(coroutine)
        except BaseException as error:  # noqa: BLE001 - re-raised below
            box["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


@pytest.mark.browser
def test_twenty_browser_respondents_at_the_same_time(any_db_url, browser):
    del browser  # the session's browser fixture: skips (or fails in CI) where Chromium is missing
    url = any_db_url
    campaign_id = make_campaign(url, yaml=SHORT_SURVEY_YAML)
    tokens = invite(url, campaign_id, count=BROWSERS)
    dispose_engines()
    answers = [(1 + i % 5, 1 + (i // 5) % 5, 5 - i % 5) for i in range(BROWSERS)]
    with StreamlitServer(url) as server:
        started = time.monotonic()
        timings = _in_a_thread(_crowd(server.url, tokens, answers))
        wall = time.monotonic() - started
    submit = sorted(t["submit"] for t in timings)
    journey = sorted(t["journey"] for t in timings)
    print(f"\n{BROWSERS} browsers at once on {'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}: submit (click → thank-you shown) p50 {submit[len(submit) // 2]:.1f} s, "
          f"p95 {submit[-1 - len(submit) // 20]:.1f} s; journey p50 {journey[len(journey) // 2]:.1f} s, "
          f"max {journey[-1]:.1f} s; wall {wall:.1f} s")

    stored = [answers for (answers,) in stored_answers(url, campaign_id)]
    expected = [{"rel1": a, "rel2": b, "par1": c} for a, b, c in answers]
    assert sorted(stored, key=json.dumps) == sorted(expected, key=json.dumps)  # each once, none lost, none mixed up
