"""Two app replicas on one PostgreSQL database, as docs/deploy.md sets them up (PostgreSQL only).

Two ``streamlit run app.py`` processes on different ports share one fresh database; the test plays
the load balancer, sending respondents to one replica or the other. Surveys are completed through
both, one is started on replica A and finished on replica B (answers live in the database, not in
the process), and one link is submitted from both replicas at once. Every response must land
exactly once. Replicas starting together against a brand-new database must all come up.

Where nginx is installed, the guide's nginx configuration — taken from docs/deploy.md itself — is
put in front of the two replicas: browsers without a routing cookie are spread over both, a
browser with one stays on its replica (WebSocket included), and no token reaches nginx's logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from capability_model.tables import CapabilityModelRecord
from itcap.accounts import Account
from itcap.bootstrap import bootstrap
from itcap.migrate import alembic_config, current_revision
from itcap.storage import dispose_engines, session_scope
from surveys import respondent
from surveys.tables import InstrumentRecord, Invitation, InvitationCompletion, Response
from tests.support import (
    ROOT,
    SHORT_SURVEY_THANKS,
    SHORT_SURVEY_YAML,
    StreamlitServer,
    answer_short_survey,
    checked,
    choose,
    click_then,
    free_port,
    scratch_pg_database,
    stored_answers,
    survey_link,
    wait_for_app,
    wait_text,
)
from tests.survey_testdata import invite, make_campaign

PG_ADMIN_URL = os.environ.get("ITCAP_TEST_DATABASE_URL", "").strip()
pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_ADMIN_URL, reason="replicas need PostgreSQL: "
                                                                               "ITCAP_TEST_DATABASE_URL is not set")]


def _count(url: str, table, *where) -> int:
    with session_scope(url) as s:
        return s.scalar(select(func.count()).select_from(table).where(*where))


def test_replicas_starting_together_on_a_new_database_all_come_up():
    """`itcap init` twice at once on an empty database (what replicas do on their first page):
    one migrates while the other waits on the advisory lock, then one seeds while the other waits."""
    with scratch_pg_database(PG_ADMIN_URL) as url:
        env = {**os.environ, "ITCAP_DATABASE_URL": url, "ITCAP_ADMIN_PASSWORD": "replica-start-test"}
        starts = [subprocess.Popen([sys.executable, "-m", "itcap.cli", "init"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        outputs = [p.communicate(timeout=180)[0] for p in starts]
        assert [p.returncode for p in starts] == [0, 0], outputs
        assert current_revision(url) == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert (_count(url, Account), _count(url, CapabilityModelRecord), _count(url, InstrumentRecord)) == (1, 1, 1)
        dispose_engines()


@pytest.fixture(scope="module")
def replicas():
    """Replicas A and B on one new PostgreSQL database, set up as docs/deploy.md says: `itcap init`
    once as a one-off job, then the replicas."""
    with scratch_pg_database(PG_ADMIN_URL) as url:
        bootstrap(url)
        dispose_engines()
        a, b = StreamlitServer(url), StreamlitServer(url)
        try:
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(StreamlitServer.start, [a, b]))
            yield url, a, b
        finally:
            a.stop()
            b.stop()
            dispose_engines()


@pytest.mark.browser
@pytest.mark.slow
def test_surveys_through_two_replicas_land_exactly_once(replicas, browser):
    pg_url, a, b = replicas
    campaign_id = make_campaign(pg_url, yaml=SHORT_SURVEY_YAML)
    tokens = invite(pg_url, campaign_id, count=5)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    expected = []
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)

        # Whole journeys, one on each replica.
        for token, server, codes in [(tokens[0], a, (5, 4, 3)), (tokens[1], b, (1, 2, 3))]:
            answer_short_survey(page, server.url, token, codes)
            click_then(page, "Submit my answers", SHORT_SURVEY_THANKS)
            expected.append({"rel1": codes[0], "rel2": codes[1], "par1": codes[2]})

        # Started on A (a section saved), finished on B: the load balancer moved the respondent,
        # or A was replaced by a deploy. B finds the answers in the database.
        page.goto(survey_link(a.url, tokens[2]))
        wait_for_app(page, 60_000)
        click_then(page, "Start the survey", "Section 1 of 2")
        choose(page, "1. The network is reliable.", "Disagree")
        choose(page, "2. I can log on quickly.", "Strongly agree")
        click_then(page, "Next", "Section 2 of 2")
        page.goto(survey_link(b.url, tokens[2]))
        wait_text(page, "Section 2 of 2")
        click_then(page, "Back", "Section 1 of 2")
        assert checked(page, "1. The network is reliable.", "Disagree")
        assert checked(page, "2. I can log on quickly.", "Strongly agree")
        click_then(page, "Next", "Section 2 of 2")
        choose(page, "3. IT understands what my area needs.", "Agree")
        click_then(page, "Review my answers", "Check your answers")
        click_then(page, "Submit my answers", SHORT_SURVEY_THANKS)
        expected.append({"rel1": 2, "rel2": 5, "par1": 4})

        # One link at the review screen on both replicas (two devices); both press Submit.
        with session_scope(pg_url) as s:
            respondent.begin(s, tokens[3])
        for index, answers in enumerate([{"rel1": 3}, {"par1": 3}]):
            with session_scope(pg_url) as s:
                assert respondent.save_section(s, tokens[3], index, answers).ok
        on_a, on_b = page, context.new_page()
        on_b.set_default_timeout(60_000)
        for tab, server in [(on_a, a), (on_b, b)]:
            tab.goto(survey_link(server.url, tokens[3]))
            wait_text(tab, "Check your answers")
        on_a.get_by_role("button", name="Submit my answers").click()
        on_b.get_by_role("button", name="Submit my answers").click()
        outcomes = []
        for tab in (on_a, on_b):
            tab.get_by_text("spring").or_(tab.get_by_text("already been used")).first.wait_for()
            wait_for_app(tab, 60_000)
            outcomes.append("thanked" if tab.get_by_text(SHORT_SURVEY_THANKS).count() else "told it was used")
        assert sorted(outcomes) == ["thanked", "told it was used"]
        expected.append({"rel1": 3, "par1": 3})
    finally:
        context.close()

    completed = _count(pg_url, Invitation, Invitation.campaign_id == campaign_id, Invitation.status == "completed")
    invitation_ids = select(Invitation.id).where(Invitation.campaign_id == campaign_id)
    assert completed == 4
    assert _count(pg_url, Response, Response.campaign_id == campaign_id) == completed
    assert _count(pg_url, InvitationCompletion, InvitationCompletion.invitation_id.in_(invitation_ids)) == completed
    stored = [answers for (answers,) in stored_answers(pg_url, campaign_id)]
    key = json.dumps
    assert sorted(stored, key=key) == sorted(expected, key=key)
    database = make_url(pg_url).render_as_string(hide_password=True)
    for server in (a, b):
        log = server.log_path.read_text(errors="replace")
        assert not any(token in log for token in tokens)
        # what docs/deploy.md tells operators to look for: which database the replica serves
        assert f"itcap: serving database {database} (schema " in log


# -- the nginx example of docs/deploy.md ---------------------------------------------------------------
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


def _doc_block(starting: str) -> str:
    text = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```nginx\n(.*?)```", text, flags=re.DOTALL)
    (block,) = [b for b in blocks if b.lstrip().startswith(starting)]
    return textwrap.dedent(block)


def nginx_test_config(directory: Path, port: int, replicas: list[str]) -> str:
    """docs/deploy.md's configuration as it stands, changed only where a test must: a loopback port
    without TLS (so no Secure cookie flag either), the test's replicas, log files in ``directory``;
    plus the documented token-stripping log format on a second access log."""
    site = _doc_block("# /etc/nginx/conf.d/itcap.conf")
    site = re.sub(r"\n\s*server 10\.0\.0\.\d+:8501[^\n]*", "", site)
    site = site.replace("hash $itcap_route consistent;", "hash $itcap_route consistent;\n" + "\n".join(
        f"    server {replica} max_fails=3 fail_timeout=10s;" for replica in replicas))
    site = site.replace("listen 80;", f"listen 127.0.0.1:{free_port()};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    site = re.sub(r"\n\s*ssl_certificate[^\n]*", "", site)
    site = site.replace("Secure; ", "")
    site = site.replace("/var/log/nginx/", f"{directory}/")
    site = site.replace("    access_log " + f"{directory}/itcap-access.log itcap_private;",
                        f"    access_log {directory}/itcap-access.log itcap_private;\n"
                        f"    access_log {directory}/itcap-stripped.log itcap_stripped;")
    assert "10.0.0." not in site and "ssl" not in site and "itcap-stripped.log" in site
    temp = "\n".join(f"    {kind}_temp_path {directory}/{kind};" for kind in
                     ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"daemon off;\nmaster_process off;\npid {directory}/nginx.pid;\nerror_log {directory}/main-error.log;\n"
            f"events {{}}\nhttp {{\n    access_log {directory}/default-access.log;\n{temp}\n"
            f"{_doc_block('map $request_uri')}\n{site}\n}}\n")


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.skipif(not Path(NGINX).exists() and os.environ.get("ITCAP_REQUIRE_BROWSER") != "1",
                    reason="nginx is not installed (apt-get install nginx-light); in CI it is required")
def test_the_nginx_example_balances_sticky_and_logs_no_tokens(replicas, page, tmp_path):
    pg_url, a, b = replicas
    campaign_id = make_campaign(pg_url, yaml=SHORT_SURVEY_YAML)
    tokens = invite(pg_url, campaign_id, count=2)
    port = free_port()
    config = tmp_path / "nginx.conf"
    config.write_text(nginx_test_config(tmp_path, port, [f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"]))
    nginx = subprocess.Popen([NGINX, "-c", str(config), "-e", str(tmp_path / "startup-error.log")],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    public = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert nginx.poll() is None, nginx.stdout.read().decode()
            with contextlib.suppress(OSError), urllib.request.urlopen(f"{public}/_stcore/health", timeout=5) as r:
                headers = r.headers
                break
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.2)
        assert headers["Referrer-Policy"] == "no-referrer"
        assert any(re.fullmatch(r"itcap_route=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax", cookie)
                   for cookie in headers.get_all("Set-Cookie"))

        for _ in range(20):  # browsers without the cookie yet are spread over both replicas
            with urllib.request.urlopen(f"{public}/", timeout=30) as r:
                assert r.status == 200
        log = tmp_path / "itcap-access.log"
        logged_by = time.monotonic() + 30
        while log.read_text().count("\n") < 20:  # nginx logs a request just after answering it
            assert time.monotonic() < logged_by, log.read_text()
            time.sleep(0.1)
        first_lines = log.read_text()
        assert set(re.findall(r"upstream=(\S+)", first_lines)) == {f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"}

        for token, codes in zip(tokens, [(5, 5, 4), (2, 3, 1)], strict=True):  # two respondents, one browser
            answer_short_survey(page, public, token, codes)
            click_then(page, "Submit my answers", SHORT_SURVEY_THANKS)
        try:  # a download's address (it fetches the file without a login) stays out of the log
            urllib.request.urlopen(f"{public}/media/0123456789abcdef.csv", timeout=30)
        except urllib.error.HTTPError as missing:
            assert missing.code == 404
    finally:
        nginx.terminate()
        nginx.wait(10)

    assert _count(pg_url, Response, Response.campaign_id == campaign_id) == 2
    access = log.read_text()[len(first_lines):]  # the browser's requests
    assert "/_stcore/stream" in access and '"GET / HTTP/1.1" 200' in access
    assert "GET /media/" not in access  # (the app's own fonts are under /static/media/)
    upstreams = set(re.findall(r"upstream=(\S+)", access))
    assert len(upstreams) == 1, f"one browser, one replica: {upstreams}"  # sticky, WebSocket included
    stripped = (tmp_path / "itcap-stripped.log").read_text()
    assert '"GET /? HTTP/1.1"' in stripped  # the documented map keeps the path, drops the token
    for log in tmp_path.glob("*.log"):
        assert not any(token in log.read_text() for token in tokens), log.name
