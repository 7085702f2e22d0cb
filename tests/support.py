"""Test support: AppTest construction and a real Streamlit server for browser tests."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from streamlit.testing.v1 import AppTest

from itcap.cli.core_cmd import STREAMLIT_MAIN
from itcap.ui.dashboard_data import DASHBOARD_TAB

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]


def app_test(account_id: int | None = None, query: dict[str, str] | None = None, page: str | None = None) -> AppTest:
    """An AppTest of the whole app (navigation included), optionally logged in as ``account_id``."""
    from itcap.storage import utcnow
    from itcap.ui.auth import SESSION_ACCOUNT, SESSION_LOGIN_AT, SESSION_SEEN_AT

    at = AppTest.from_file(str(APP), default_timeout=60)
    if account_id is not None:
        now = utcnow()
        at.session_state[SESSION_ACCOUNT] = account_id
        at.session_state[SESSION_LOGIN_AT] = now
        at.session_state[SESSION_SEEN_AT] = now
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(page)
    return at


# -- the dashboard: only the tab in view is drawn ------------------------------------------------------
DASHBOARD = "pages/dashboard.py"
DASHBOARD_TABS = ("Maturity", "Perception", "Recommendations", "Assessors", "Participation", "Trend", "Report")
TEXT_KINDS = ("title", "subheader", "markdown", "caption", "info", "warning", "success", "error", "text")


def dashboard_test(user_id: int, tab: str = "Maturity"):
    """The dashboard as ``user_id`` sees it with ``tab`` in view (only that tab is drawn)."""
    at = app_test(user_id, page=DASHBOARD)
    at.session_state[DASHBOARD_TAB] = tab
    return at.run()


def show_tab(at, tab: str):
    """The same session with another tab in view, as a click on it does."""
    at.session_state[DASHBOARD_TAB] = tab
    return at.run()


class EveryTab:
    """What one session of the dashboard shows in all its tabs, one after the other: each element
    kind (``markdown``, ``dataframe``, ``vega_lite_chart``, …) is the list of every tab's, and what
    is drawn above the tabs is taken once."""

    KINDS = (*TEXT_KINDS, "dataframe", "table", "html", "expander", "download_button", "vega_lite_chart")

    def __init__(self, at: AppTest):
        self.at = at
        self._seen: dict[str, list] = {kind: [] for kind in self.KINDS}
        for index, tab in enumerate(DASHBOARD_TABS):
            show_tab(at, tab)
            assert not at.exception, (tab, at.exception)
            # the first tab with the banner and the sidebar above it; then each tab's own
            where = at if index == 0 else next(block for block in at.tabs if block.label == tab)
            for kind in self.KINDS:
                self._seen[kind] += list(where.get(kind)) if kind in ("vega_lite_chart", "download_button") else list(getattr(where, kind))

    def __getattr__(self, kind: str) -> list:
        if kind in self.KINDS:
            return self._seen[kind]
        raise AttributeError(kind)

    def get(self, kind: str) -> list:
        return self._seen[kind]

    @classmethod
    def of(cls, user_id: int) -> EveryTab:
        return cls(app_test(user_id, page=DASHBOARD))

    @property
    def exception(self) -> list:
        return self.at.exception  # (every tab's run was checked for one)


def log_in_on_page(at, username: str, password: str) -> None:
    """Log in through the form a page shows in place of itself (a reload, a timeout), then run."""
    boxes = {box.label: box for box in at.text_input}
    boxes["Username"].input(username)
    boxes["Password"].input(password)
    [log_in] = [b for b in at.button if b.label == "Log in"]
    log_in.click().run()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    """``streamlit run app.py`` on a free loopback port, against the database in ``env``, started as
    ``itcap serve`` starts it (STREAMLIT_MAIN)."""

    def __init__(self, database_url: str, extra_env: dict[str, str] | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "ITCAP_DATABASE_URL": database_url, "ITCAP_PUBLIC_URL": self.url, **(extra_env or {})}
        self.process: subprocess.Popen | None = None
        self.log_path = ROOT / "test-artifacts" / f"streamlit-{self.port}.log"

    def start(self, timeout: float = 60) -> StreamlitServer:
        self.log_path.parent.mkdir(exist_ok=True)
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-c", STREAMLIT_MAIN, "run", str(APP), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return self
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"streamlit did not become healthy in {timeout}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def chromium_browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_app(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script for what is on screen."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)
    # The attribute can flip back to running right after a rerun is requested; settle once more.
    page.wait_for_timeout(150)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout)


def login(page, base_url: str, username: str, password: str, path: str = "/") -> None:
    page.goto(base_url + path)
    wait_for_app(page)
    dismiss_dialog(page)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    wait_for_app(page)


def contrast_on_white(locator, colour: str = "color") -> float:
    """WCAG contrast ratio of an element's text colour (or another ``colour`` property, such as
    "borderTopColor") against the white page, blended by the colour's alpha and the opacity of the
    element and its ancestors (Streamlit greys captions so)."""
    r, g, b, a = locator.evaluate("""(e, colour) => {
        const m = getComputedStyle(e)[colour].match(/[\\d.]+/g).map(Number);
        let alpha = m.length > 3 ? m[3] : 1;
        for (let n = e; n; n = n.parentElement) alpha *= Number(getComputedStyle(n).opacity);
        return [m[0], m[1], m[2], alpha];
    }""", colour)

    def luminance(channel: float) -> float:
        c = (channel * a + 255 * (1 - a)) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    text = 0.2126 * luminance(r) + 0.7152 * luminance(g) + 0.0722 * luminance(b)
    return 1.05 / (text + 0.05)


def dismiss_dialog(page) -> bool:
    """Close a Streamlit modal (e.g. "Page not found") if one is open; True if there was one."""
    dialog = page.get_by_role("dialog")
    if dialog.count() and dialog.first.is_visible():
        page.keyboard.press("Escape")
        dialog.first.wait_for(state="hidden")
        return True
    return False


# -- scale-out and fault tests (test_replicas.py, test_load.py, test_faults.py) ---------------------
class TcpProxy:
    """A loopback TCP proxy in front of a server (PostgreSQL), to take the database away for real.

    ``stop()`` closes the listening socket and every connection through it: the app's pooled
    connections drop and new ones are refused, as when a database host goes down. ``start()`` listens
    on the same port again. ``cut_at(marker, forward=…)`` drops the connection that next sends bytes
    containing ``marker`` (e.g. ``b"COMMIT"``): before they reach the server (``forward=False``), or
    after they have, before the answer comes back (``forward=True``) — the client cannot tell which.
    """

    def __init__(self, target_host: str, target_port: int, port: int | None = None):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._cut: tuple[bytes, bool] | None = None
        self._muted: set[socket.socket] = set()
        self.cuts = 0  # connections dropped by cut_at

    def start(self) -> TcpProxy:
        self._listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: same port again
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, set()
            listener, self._listener = self._listener, None
        for s in [listener, *sockets]:
            if s is not None:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def cut_at(self, marker: bytes | None, forward: bool = False) -> None:
        self._cut = None if marker is None else (marker, forward)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    server.close()
                    return
                self._sockets |= {client, server}
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _drop(self, *sockets: socket.socket) -> None:
        with self._lock:
            self._sockets.difference_update(sockets)
            self._muted.difference_update(sockets)
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _pump(self, source: socket.socket, target: socket.socket, upstream: bool) -> None:
        try:
            while data := source.recv(65536):
                if not upstream and target in self._muted:
                    break  # the server has answered a cut message: the answer never reaches the client
                cut = self._cut if upstream else None
                if cut and cut[0] in data:
                    self._cut = None
                    self.cuts += 1
                    if cut[1]:
                        self._muted.add(source)
                        target.sendall(data)
                        deadline = time.monotonic() + 10
                        while target in self._sockets and time.monotonic() < deadline:
                            time.sleep(0.01)  # until the server's answer shows it acted on the message
                    break
                target.sendall(data)
        except OSError:
            pass
        self._drop(source, target)

    def __enter__(self) -> TcpProxy:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# A short survey for journeys repeated many times: two sections, then review and submit.
SHORT_SURVEY_YAML = """\
id: short_survey
name: Short IT survey
version: "1"
welcome: Two short sections.
privacy_statement: Your answers are anonymous.
thank_you: |-
  Thank you — your answers have been submitted.

  Results will be shared in the spring.
groups:
  - {id: business, name: Business users}
  - {id: it_staff, name: IT staff}
response_scales:
  - id: agree5
    min: 1
    max: 5
    labels: {1: Strongly disagree, 2: Disagree, 3: Neither agree nor disagree, 4: Agree, 5: Strongly agree}
scales:
  - {id: performance, name: IT performance, mode: supplier}
sections:
  - id: services
    title: IT services
    items:
      - {id: rel1, type: likert, text: The network is reliable., response_scale: agree5, scale: performance, required: true}
      - {id: rel2, type: likert, text: I can log on quickly., response_scale: agree5, scale: performance}
  - id: partnership
    title: Working together
    items:
      - {id: par1, type: likert, text: IT understands what my area needs., response_scale: agree5, scale: performance, required: true}
      - {id: comments, type: text, text: "Any other comments?", max_length: 500}
"""
SHORT_SURVEY_THANKS = "Results will be shared in the spring."
LIKERT_LABELS = ("Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree")


def survey_link(base_url: str, token: str) -> str:
    return f"{base_url}/?token={token}"


def wait_text(page, text: str, timeout: float = 60_000) -> None:
    """Wait for a screen showing ``text`` and for its script run to finish."""
    page.get_by_text(text, exact=True).first.wait_for(timeout=timeout)
    wait_for_app(page, timeout)


def click_then(page, button: str, text: str, timeout: float = 60_000) -> None:
    page.get_by_role("button", name=button).click()
    wait_text(page, text, timeout)


def choose(page, question: str, label: str) -> None:
    """Pick ``label`` in the radio group whose label contains ``question``."""
    page.get_by_role("radiogroup", name=re.compile(re.escape(question))).get_by_text(label, exact=True).click()


def checked(page, question: str, label: str) -> bool:
    group = page.get_by_role("radiogroup", name=re.compile(re.escape(question)))
    return group.get_by_role("radio", name=label, exact=True).is_checked()


def answer_short_survey(page, base_url: str, token: str, codes: tuple[int, int, int], comment: str = "") -> None:
    """Open the link, start, answer both sections of SHORT_SURVEY_YAML and stop at the review
    screen. ``codes``: the Likert codes (1–5) for rel1, rel2, par1."""
    page.goto(survey_link(base_url, token))
    wait_for_app(page, 60_000)
    click_then(page, "Start the survey", "Section 1 of 2")
    choose(page, "1. The network is reliable.", LIKERT_LABELS[codes[0] - 1])
    choose(page, "2. I can log on quickly.", LIKERT_LABELS[codes[1] - 1])
    click_then(page, "Next", "Section 2 of 2")
    choose(page, "3. IT understands what my area needs.", LIKERT_LABELS[codes[2] - 1])
    if comment:
            page.get_by_role("textbox", name=re.compile("Any other comments")).fill(comment)
    click_then(page, "Review my answers", "Check your answers")


@contextlib.contextmanager
def scratch_pg_database(admin_url: str, template: str | None = None) -> Iterator[str]:
    """A new, empty PostgreSQL database (or a copy of ``template``) on the server of ``admin_url``,
    dropped afterwards; yields its URL."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"itcap_s_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def stored_answers(url: str | None, campaign_id: int, *columns: str) -> list[tuple]:
    """Each stored response of a campaign as (answers as {item_id: value}, *columns) — answers are
    stored packed in instrument order (surveys.answers.pack_answers)."""
    from sqlalchemy import text

    from itcap.storage import session_scope
    from surveys.answers import unpack_answers
    from surveys.campaigns import campaign_instrument

    extra = "".join(f", {c}" for c in columns)
    with session_scope(url) as s:
        instrument = campaign_instrument(s, campaign_id)
        rows = s.execute(text(f"SELECT answers_json{extra} FROM response WHERE campaign_id = :c"), {"c": campaign_id}).all()
    return [(unpack_answers(instrument, row[0]), *row[1:]) for row in rows]


def unpacked(stored: str, campaign_id: int, url: str | None = None) -> dict:
    """One stored response's answers_json as {item_id: value}."""
    from itcap.storage import session_scope
    from surveys.answers import unpack_answers
    from surveys.campaigns import campaign_instrument

    with session_scope(url) as s:
        return unpack_answers(campaign_instrument(s, campaign_id), stored)


@contextlib.contextmanager
def database_copy(template: Path | str, tmp_path: Path, monkeypatch) -> Iterator[str]:
    """A private copy of a prepared SQLite database that the app under test uses (ITCAP_DATABASE_URL);
    each test gets its own, so tests cannot see each other's writes. Yields the copy's URL."""
    import shutil

    from itcap.storage import dispose_engines

    target = Path(tmp_path) / "itcap.db"
    shutil.copyfile(template, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("ITCAP_DATABASE_URL", url)
    try:
        yield url
    finally:
        dispose_engines()
