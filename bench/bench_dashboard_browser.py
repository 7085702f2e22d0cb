"""The dashboard with 50,000 responses as the IT director sees it: in Chromium, from "Log in" to the
radar drawn (issue 5, item 7, measured in a browser; bench_dashboard.py measures server time).

Uses the database bench_dashboard.py builds (``--keep FILE.db``; built here if it is missing), starts
a real Streamlit server on a loopback port and times, in Debian's Chromium:

- cold: a server started without its warm-up, first login: every figure computed for this visit;
- warmed: a server whose start-up warm-up ran while the login page was open (as while a person types
  a password), then the first login;
- rerun: the page run again in the same tab (Streamlit's "R" key), every figure from the caches;
- switch tab: a click on Perception, then on Maturity (only the tab in view is drawn, so a switch
  is a run; on the cold server the first switch builds the perception charts).

Each time runs from the click on "Log in" until Streamlit reports the run finished and the radar has
been drawn. The obvious alternative, recomputing on every visit, is the cold time.

    python bench/bench_dashboard_browser.py [--keep /tmp/bench50k.db] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RADAR_DRAWN = '[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", metavar="FILE.db",
                        help="the SQLite file bench_dashboard.py --keep builds (built there if missing; default: a temporary one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm-wait", type=float, default=8.0, metavar="S",
                        help="seconds the login page stays open before logging in, for the warm-up (default 8)")
    args = parser.parse_args()

    from tests.support import CHROMIUM

    if not Path(CHROMIUM).exists():
        print(f"skipped: needs Debian's Chromium at {CHROMIUM} (apt-get install chromium)")
        return
    database = Path(args.keep or Path(tempfile.mkdtemp()) / "bench.db").resolve()
    if not database.exists():
        subprocess.run([sys.executable, str(ROOT / "bench" / "bench_dashboard.py"), "--keep", str(database), "--runs", "1"], check=True)
    url = f"sqlite:///{database}"

    from tests import builders
    from tests.support import StreamlitServer, chromium_browser, dismiss_dialog, wait_for_app

    RUN_ENDS = """() => {
      window.itcapRunsEnded = 0;
      const app = document.querySelector('[data-testid="stApp"]');
      new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') === 'notRunning') window.itcapRunsEnded += 1;
      }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }"""

    def log_in(browser, server: StreamlitServer, wait_before: float = 0.0):
        page = browser.new_context(viewport={"width": 1440, "height": 1200}).new_page()
        page.goto(server.url)
        wait_for_app(page, timeout=120_000)
        dismiss_dialog(page)
        page.wait_for_timeout(wait_before * 1000)
        page.get_by_label("Username", exact=True).fill("lee")
        page.get_by_label("Password", exact=True).fill(builders.PASSWORD)
        started = time.perf_counter()
        page.get_by_role("button", name="Log in").click()
        page.get_by_text("Where IT stands").wait_for(timeout=120_000)
        wait_for_app(page, timeout=120_000)
        page.locator(RADAR_DRAWN).first.wait_for(timeout=120_000)
        return page, time.perf_counter() - started

    cold, warmed, rerun, switch = [], [], [], []
    with chromium_browser() as browser:
        for _ in range(args.runs):
            with StreamlitServer(url, extra_env={"ITCAP_WARM_UP": "0"}) as server:
                page, seconds = log_in(browser, server)
                cold.append(seconds)
                for _ in range(2):
                    page.mouse.click(1000, 20)  # the "R" key needs the page, not a field, in focus
                    # a run that ends as the state is polled would be missed: the page counts the ends
                    page.evaluate(RUN_ENDS)
                    started = time.perf_counter()
                    page.keyboard.press("r")
                    page.wait_for_function("window.itcapRunsEnded > 0", timeout=10_000)
                    rerun.append(time.perf_counter() - started)
                for tab in ("Perception", "Maturity"):  # only the tab in view is drawn: a switch is a run
                    page.evaluate(RUN_ENDS)
                    started = time.perf_counter()
                    page.get_by_role("tab", name=tab).click()
                    page.wait_for_function("window.itcapRunsEnded > 0", timeout=30_000)
                    switch.append(time.perf_counter() - started)
                page.context.close()
            with StreamlitServer(url) as server:
                page, seconds = log_in(browser, server, wait_before=args.warm_wait)
                warmed.append(seconds)
                page.context.close()

    def line(name: str, values: list[float], target: str = "") -> str:
        return f"{name:<40} median {statistics.median(values):.2f} s  {['%.2f' % v for v in values]}  {target}"

    print(line("first login, cold (no warm-up):", cold))
    print(line("first login after the warm-up:", warmed))
    print(line("rerun in the same tab (cached):", rerun))
    print(line("switch tab (Perception, then back):", switch))
    print(f"ratio cold / warmed: {statistics.median(cold) / statistics.median(warmed):.1f}×")
    print("Times run from the click on 'Log in' to the run finished and the radar drawn, in Chromium on this machine.")


if __name__ == "__main__":
    main()
