"""Real browser: an administrator creates invitations and downloads the links CSV, then the XLSX and
SPSS exports (opened with openpyxl and pyreadstat); a leadership user downloads the
threshold-respecting CSV. A screenshot of the Campaigns page is kept in test-artifacts/."""

from __future__ import annotations

import csv
import io
import shutil

import openpyxl
import pyreadstat
import pytest

from itcap import accounts
from itcap.storage import dispose_engines, session_scope
from surveys import campaigns, exports, invitations
from surveys.instrument import load_default_instrument
from tests.builders import PASSWORD, people, perception_campaign
from tests.support import ROOT, StreamlitServer, wait_for_app

pytestmark = pytest.mark.browser
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def database(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("browser-admin") / "itcap.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    people(url)
    with session_scope(url) as session:
        accounts.set_password(session, accounts.get_by_username(session, "admin"), PASSWORD)
    campaign_id = perception_campaign(url)
    dispose_engines()
    return url, campaign_id


@pytest.fixture(scope="module")
def server(database):
    url, _ = database
    # no ITCAP_PUBLIC_URL: links start with the address the administrator's browser uses
    with StreamlitServer(url, extra_env={"ITCAP_PUBLIC_URL": ""}) as running:
        yield running


SLOW = 120_000  # ms: logging in lands on the dashboard, which computes its figures first; CI machines are busy


def _login(page, base_url: str, username: str) -> None:
    page.goto(base_url)
    wait_for_app(page, timeout=SLOW)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log in").wait_for(state="detached", timeout=SLOW)
    wait_for_app(page, timeout=SLOW)


def _download(page, button_name: str):
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name, exact=True).click()
    download = info.value
    return download.suggested_filename, download.path().read_bytes()


def test_admin_invites_and_downloads_links_xlsx_and_sav(server, database, browser):
    url, campaign_id = database
    context = browser.new_context(viewport={"width": 1280, "height": 1400}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _login(page, server.url, "admin")
        page.locator('[data-testid="stSidebarNav"]').get_by_text("Campaigns", exact=True).click()
        wait_for_app(page, timeout=SLOW)
        page.get_by_role("heading", name="Campaigns", exact=True).wait_for()

        # Personal invitations → the links CSV, downloaded once. On a phone's screen the button is far
        # below the panel with the links: the page brings the panel into view.
        page.set_viewport_size({"width": 375, "height": 800})
        # a loopback address makes links that work only here: said before any link is made
        page.get_by_text(f"Links start with {server.url}/?token= — the address you are using now, which works "
                         "only on this computer").wait_for()
        page.get_by_label("How many links", exact=True).fill("5")
        page.get_by_role("button", name="Create invitations").click()
        wait_for_app(page, timeout=SLOW)
        page.get_by_text("personal invitation links created").wait_for(timeout=SLOW)
        page.wait_for_timeout(500)
        panel = page.locator(".st-key-camp_links_panel").bounding_box()
        assert 0 <= panel["y"] < 800, f"the links panel is off screen (y={panel['y']})"
        page.set_viewport_size({"width": 1280, "height": 1400})
        name, data = _download(page, "Download the links CSV")
        assert name == f"campaign-{campaign_id}-business-links.csv"
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        assert len(rows) == 5 and {r["group"] for r in rows} == {"business"}
        assert all(r["link"].startswith(f"{server.url}/?token=") for r in rows)
        with session_scope(url) as session:
            assert {invitations.check_token(session, r["link"].split("token=")[1]).outcome for r in rows} == {"ok"}
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "admin-campaigns.png"), full_page=True)

        # The privileged exports, built when clicked.
        page.get_by_role("tab", name="Export data").click()
        page.get_by_role("button", name="Excel (XLSX)").wait_for(timeout=SLOW)
        page.get_by_text("Apply the reporting threshold").click()  # on by default: every response needs it off
        wait_for_app(page, timeout=SLOW)
        page.screenshot(path=str(ARTIFACTS / "admin-campaigns-export.png"), full_page=True)
        name, data = _download(page, "Excel (XLSX)")
        assert name == f"campaign-{campaign_id}-all-responses.xlsx"
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        assert book.sheetnames[:2] == ["data", "codebook"] and "notes" in book.sheetnames
        sheet = list(book["data"].iter_rows(values_only=True))
        assert sheet[0][:4] == ("response_id", "group", "source", "flags") and len(sheet) == 91
        assert {r[1] for r in sheet[1:]} == {"business", "it"}
        codebook = list(book["codebook"].iter_rows(values_only=True))
        assert any("Strongly disagree" in str(cell) for row in codebook for cell in row)

        name, data = _download(page, "SPSS (SAV)")
        assert name == f"campaign-{campaign_id}-all-responses.sav"
        sav = ARTIFACTS / "browser-admin-export.sav"
        sav.write_bytes(data)
        frame, meta = pyreadstat.read_sav(str(sav))
        sav.unlink()
        assert len(frame) == 90 and "response_id" in frame.columns
        instrument = load_default_instrument()
        likert = next(i for i in instrument.items if i.type == "likert" and i.groups is None)
        assert meta.column_names_to_labels[likert.id] == likert.text[: len(meta.column_names_to_labels[likert.id])]
        labels = meta.variable_value_labels[likert.id]
        assert labels[1.0] == "Strongly disagree" and labels[5.0] == "Strongly agree"
        assert set(frame[likert.id].dropna().unique()) <= {1.0, 2.0, 3.0, 4.0, 5.0}
    finally:
        context.close()


def test_leadership_downloads_the_threshold_respecting_csv(server, database, browser):
    """From the dashboard's Report tab — the only place leadership gets survey data — once the
    campaign has closed (rows taken while responses arrive would, compared, single out newcomers)."""
    url, campaign_id = database
    with session_scope(url) as session:  # the last test of the module: the campaign may close
        campaigns.close_campaign(session, campaign_id, "admin")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        _login(page, server.url, "lee")
        page.get_by_text("Where IT stands").wait_for(timeout=SLOW)
        page.get_by_role("tab", name="Report").click()
        page.get_by_text("Responses with the reporting threshold applied").wait_for()  # (is_visible() does not wait)
        assert page.get_by_text("Every response").count() == 0
        name, data = _download(page, "CSV")
    finally:
        context.close()
    assert name == f"campaign-{campaign_id}-thresholded.csv"
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    with session_scope(url) as session:
        expected = exports.prepare_export(session, campaign_id, privileged=False)
    assert list(rows[0]) == list(expected.frame.columns)
    assert "response_id" not in rows[0] and "source" not in rows[0]
    assert not any(item.type == "text" for item in expected.items)  # free text never in the rows
    assert len(rows) == len(expected.frame) == 90
