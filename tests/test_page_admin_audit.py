"""AppTest: the audit log — who did what to which record, when; filters; CSV download."""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from sqlalchemy import delete

from itcap import accounts, audit
from itcap.audit import AuditEntry
from itcap.storage import dispose_engines, session_scope
from tests import download_capture
from tests.builders import people
from tests.support import app_test, database_copy

downloads = download_capture.downloads  # fixture: what the download buttons serve
PAGE = "pages/admin_audit.py"


@pytest.fixture(scope="module")
def populated(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("admin-audit") / "itcap.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    ids = people(url)
    with session_scope(url) as session:
        admin = accounts.get_by_username(session, "admin")
        accounts.change_roles(session, accounts.get_by_username(session, "ana"), ["assessor", "leadership"], actor=admin)
        accounts.reset_password(session, accounts.get_by_username(session, "ben"), actor=admin)
        audit.record(session, "lead", "assessment.override_consensus", "assessment:1", "brm: consensus set to 3; rationale: =cmd|x")
    dispose_engines()
    return path, ids


@pytest.fixture
def setup(populated, tmp_path, monkeypatch):
    path, ids = populated
    with database_copy(path, tmp_path, monkeypatch) as url:
        yield {"url": url, **ids}


def test_lists_entries_newest_first_with_who_what_target_when(setup):
    at = app_test(setup["admin"], page=PAGE).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["When (UTC)", "Who", "What", "Target", "Detail"]
    assert table[["Who", "What", "Target"]].values.tolist()[:3] == [
        ["lead", "assessment.override_consensus", "assessment:1"],
        ["admin", "account.password_reset", "account:ben"],
        ["admin", "account.roles", "account:ana"],
    ]
    assert table["When (UTC)"].str.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$").all()


def test_a_phone_reads_each_entry_whole_detail_included(setup):
    """On a phone a table shows its first three columns; the list gives each entry's detail too, as text."""
    with session_scope(setup["url"]) as session:
        audit.record(session, "admin", "campaign.update", "campaign:2", "name: <b>Pulse</b> → Pulse 2")
    at = app_test(setup["admin"], page=PAGE).run()
    (listing,) = [h.proto.body for h in at.get("html") if "itcap-records" in h.proto.body]
    assert "<strong>" in listing and " · admin · campaign.update · campaign:2</strong>" in listing
    assert "name: &lt;b&gt;Pulse&lt;/b&gt; → Pulse 2" in listing  # plain text, never markup
    assert "brm: consensus set to 3; rationale: =cmd|x" in listing


def test_filters_by_actor_and_by_action_or_target(setup):
    at = app_test(setup["admin"], page=PAGE).run()
    at.text_input(key="audit_actor").input("ADM").run()
    assert set(at.dataframe[0].value["Who"]) == {"admin"}
    at.text_input(key="audit_action").input("account:ana").run()
    assert at.dataframe[0].value["What"].tolist() == ["account.roles"]
    assert [c.value for c in at.caption][1:] == ["1 of 5 entries"]
    at.text_input(key="audit_actor").input("nobody").run()
    assert [w.value for w in at.warning] == ["No entries match these filters."]
    assert not at.dataframe


def test_csv_download_has_the_filtered_rows(setup, downloads):
    at = app_test(setup["admin"], page=PAGE).run()
    at.text_input(key="audit_action").input("override").run()
    rows = list(csv.DictReader(io.StringIO(downloads.get("audit-log.csv").decode("utf-8"))))
    assert [(r["Who"], r["What"], r["Detail"]) for r in rows] == [
        ("lead", "assessment.override_consensus", "brm: consensus set to 3; rationale: =cmd|x")]


def test_empty_log_says_what_will_appear(setup):
    with session_scope(setup["url"]) as session:
        session.exec(delete(AuditEntry))
    at = app_test(setup["admin"], page=PAGE).run()
    assert not at.exception
    assert any("No administrative actions recorded yet" in i.value for i in at.info)
