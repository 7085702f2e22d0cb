"""AppTest: the Campaigns page — create (with the validator's messages), open/close/reopen, settings,
personal invitations and their links CSV (shown once), open links, response rates, all-or-nothing
imports, exports (privileged for admins, threshold on request) — and the data downloads helper."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from itcap import audit
from itcap.storage import dispose_engines, session_scope, utcnow
from itcap.ui.auth import SESSION_ACCOUNT, SESSION_LOGIN_AT, SESSION_SEEN_AT
from surveys import campaigns, invitations, respondent
from surveys.instrument import load_default_instrument
from surveys.tables import Invitation, Response
from tests import download_capture
from tests.builders import people, perception_campaign
from tests.support import app_test, database_copy

downloads = download_capture.downloads  # fixture: what the download buttons serve
PAGE = "pages/admin_campaigns.py"


@pytest.fixture(scope="module")
def populated(sqlite_template, tmp_path_factory):
    """People and one open campaign with 60 business and 30 IT responses (12 comments)."""
    path = tmp_path_factory.mktemp("admin-campaigns") / "itcap.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    ids = people(url)
    ids["campaign"] = perception_campaign(url)
    dispose_engines()
    return path, ids


@pytest.fixture
def setup(populated, tmp_path, monkeypatch):
    path, ids = populated
    monkeypatch.setenv("ITCAP_PUBLIC_URL", "https://survey.example.org")
    with database_copy(path, tmp_path, monkeypatch) as url:
        yield {"url": url, **ids}


def _page(setup, account="admin"):
    at = app_test(setup[account], page=PAGE).run()
    assert not at.exception
    return at


def _submit(at, label):
    next(b for b in at.form_submit_button if b.label == label).click().run()
    assert not at.exception
    return at


def _campaign(setup, campaign_id=None):
    with session_scope(setup["url"]) as session:
        return campaigns.get_campaign(session, campaign_id or setup["campaign"])


def _log(setup, prefix="campaign."):
    with session_scope(setup["url"]) as session:
        return [(e.actor, e.action, e.detail) for e in reversed(audit.recent(session)) if e.action.startswith(prefix)]


def _invitations(setup, campaign_id=None):
    with session_scope(setup["url"]) as session:
        return invitations.response_rates(session, campaign_id or setup["campaign"])


# -- creating and managing -------------------------------------------------------------------------
def test_lists_campaigns_with_status_and_counts(setup):
    at = _page(setup)
    listing = at.dataframe[0].value
    row = listing.iloc[0]
    assert [row["Name"], row["Status"], row["k"], row["Comments ≥"], row["Responses"]] == [
        "Perception survey", "open", 5, 10, 90]
    assert "accepting responses" in " ".join(m.value for m in at.markdown)


def test_create_shows_every_validation_message_then_creates_a_draft(setup):
    at = _page(setup)
    at.text_input(key="camp_new_name").input("   ")
    at.number_input(key="camp_new_comments").set_value(3)
    at.date_input(key="camp_new_opens").set_value(dt.date(2027, 3, 31))
    at.date_input(key="camp_new_closes").set_value(dt.date(2027, 3, 1))
    _submit(at, "Create campaign")
    (error,) = [e.value for e in at.error]
    assert error.startswith("The campaign was not created:")
    assert "Name: a campaign needs a name" in error
    assert "Comment threshold: must be a whole number at least the reporting threshold k = 5" in error
    assert "Dates: the campaign opens on 31 Mar 2027, after it closes on 01 Mar 2027" in error
    with session_scope(setup["url"]) as session:
        assert len(campaigns.list_campaigns(session)) == 1

    at.text_input(key="camp_new_name").input("IT perception 2027")
    at.number_input(key="camp_new_k").set_value(8)
    at.number_input(key="camp_new_comments").set_value(12)
    at.date_input(key="camp_new_opens").set_value(dt.date(2027, 3, 1))
    at.date_input(key="camp_new_closes").set_value(dt.date(2027, 3, 31))
    _submit(at, "Create campaign")
    assert not at.error
    new_id = at.selectbox(key="camp_selected").value
    created = _campaign(setup, new_id)
    assert (created.name, created.status, created.min_group_size, created.comment_threshold) == ("IT perception 2027", "draft", 8, 12)
    assert (created.opens_on, created.closes_on) == (dt.date(2027, 3, 1), dt.date(2027, 3, 31))
    assert _log(setup)[-1][:2] == ("admin", "campaign.create")

    # allowed (last year's paper round), but said: a closing date gone by, and a name already used
    at.text_input(key="camp_new_name").input("it perception 2027")
    at.date_input(key="camp_new_opens").set_value(dt.date(2020, 1, 1))
    at.date_input(key="camp_new_closes").set_value(dt.date(2020, 1, 31))
    _submit(at, "Create campaign")
    warnings = [w.value for w in at.warning]
    assert "Its closing date, 31 Jan 2020, has passed: it cannot be opened to respondents, though it can take imported " \
           "responses — change the closing date if that was a slip." in warnings
    assert f"Campaign {new_id} has the same name: give one another name to tell them apart." in warnings


def test_close_reopen_and_open_a_draft(setup):
    from surveys import respondent

    c = setup["campaign"]
    with session_scope(setup["url"]) as session:  # two people half-way through
        for link in invitations.create_invitations(session, c, "business", 3, "admin")[:2]:
            respondent.begin(session, link.token)
    at = _page(setup)
    at.button(key=f"camp_close_{c}").click().run()  # "Close…" asks first, saying what closing stops
    (question,) = [w.value for w in at.warning if "stops every invitation" in w.value]
    assert "the 2 people half-way through are stopped until it is reopened" in question and "It has 90 responses" in question
    assert _campaign(setup).status == "open"
    at.button(key=f"camp_close_cancel_{c}").click().run()
    assert _campaign(setup).status == "open" and not any("stops every invitation" in w.value for w in at.warning)
    at.button(key=f"camp_close_{c}").click().run()
    at.button(key=f"camp_close_confirm_{c}").click().run()
    assert _campaign(setup).status == "closed"
    assert any("links now say the survey has closed" in s.value for s in at.success)
    at.button(key=f"camp_open_{c}").click().run()  # "Reopen…" asks first: every unused link works again
    assert _campaign(setup).status == "closed" and any("works again at once" in w.value for w in at.warning)
    at.button(key=f"camp_open_{c}__yes").click().run()
    assert _campaign(setup).status == "open"
    assert [a for _, a, _ in _log(setup)[-2:]] == ["campaign.close", "campaign.reopen"]


def test_opening_after_the_closing_date_is_refused_with_the_reason_and_settings_fix_it(setup):
    c = setup["campaign"]
    with session_scope(setup["url"]) as session:
        campaigns.close_campaign(session, c, "admin")
        campaigns.update_campaign(session, c, "admin", closes_on=dt.date(2020, 1, 31))
    at = _page(setup)
    at.button(key=f"camp_open_{c}").click().run()
    at.button(key=f"camp_open_{c}__yes").click().run()
    (error,) = [e.value for e in at.error]
    assert "closing date 31 Jan 2020 has passed; change the closing date before opening it" in error
    assert _campaign(setup).status == "closed"
    at.date_input(key=f"camp_set_closes_{c}").set_value(None)
    at.text_input(key=f"camp_set_name_{c}").input("Perception survey (extended)")
    _submit(at, "Save settings")
    assert _campaign(setup).closes_on is None and _campaign(setup).name == "Perception survey (extended)"
    at.button(key=f"camp_open_{c}").click().run()
    at.button(key=f"camp_open_{c}__yes").click().run()
    assert _campaign(setup).status == "open"


def test_settings_refuse_a_comment_threshold_below_k(setup):
    c = setup["campaign"]
    at = _page(setup)
    at.number_input(key=f"camp_set_k_{c}").set_value(20)
    _submit(at, "Save settings")
    assert at.error and "Comment threshold: must be a whole number at least the reporting threshold k = 20" in at.error[0].value
    assert _campaign(setup).min_group_size == 5


def test_thresholds_respondents_were_told_cannot_be_lowered_in_the_settings(setup):
    """The campaign is open: its privacy statement has told respondents k and the comment threshold."""
    c = setup["campaign"]
    at = _page(setup)
    k, comments = at.number_input(key=f"camp_set_k_{c}"), at.number_input(key=f"camp_set_comments_{c}")
    assert (k.min, comments.min) == (5, 10)
    assert any("they can go up, never down" in caption.value for caption in at.caption)
    k.set_value(7)
    _submit(at, "Save settings")
    assert _campaign(setup).min_group_size == 7 and at.number_input(key=f"camp_set_k_{c}").min == 7


# -- invitations ---------------------------------------------------------------------------------------
def _invite(at, campaign_id, *, group="business", count=None, emails=None, file=None, mode=None):
    at.selectbox(key=f"camp_inv_group_{campaign_id}").set_value(group)
    if count is not None:
        at.number_input(key=f"camp_inv_count_{campaign_id}").set_value(count)
    if emails is not None:
        at.text_area(key=f"camp_inv_emails_{campaign_id}").input(emails)
    if file is not None:
        next(u for u in at.file_uploader if u.label.startswith("…or a file of addresses")).upload(*file)
    at.radio(key=f"camp_inv_mode_{campaign_id}").set_value(mode or ("emails" if emails is not None or file is not None else "count"))
    return _submit(at, "Create invitations")


def test_invitations_give_a_links_csv_until_saved_and_store_only_hashes(setup, downloads):
    c = setup["campaign"]
    at = _invite(_page(setup), c, group="it", count=7)
    assert [s.value for s in at.success] == ["**7** personal invitation links created for **IT staff**."]
    assert any("cannot be shown again" in w.value and "delete it" in w.value for w in at.warning)
    assert at.number_input(key=f"camp_inv_count_{c}").value == 50  # not 7 (or 10,000) again on the next press
    name = f"campaign-{c}-it-links.csv"
    rows = list(csv.DictReader(io.StringIO(downloads.get(name).decode("utf-8"))))
    assert len(rows) == 7 and {r["group"] for r in rows} == {"it"} and {r["email"] for r in rows} == {""}
    assert all(r["link"].startswith("https://survey.example.org/?token=") for r in rows)
    tokens = [r["link"].split("token=")[1] for r in rows]
    with session_scope(setup["url"]) as session:
        assert all(invitations.check_token(session, t).outcome == "ok" for t in tokens)
        stored = session.exec(select(Invitation.token_hash)).all()
    assert not set(tokens) & set(stored)  # only hashes in the database
    assert _invitations(setup)["it"].invited == 7
    assert _log(setup)[-1][:2] == ("admin", "campaign.invite")
    # Doing something else on the page first does not lose the links (they would count as invited for
    # good) ...
    downloads.clear()
    at.run()
    assert any(b.label == "Download the links CSV" for b in at.download_button) and name in downloads.names()
    # ... and no second batch is made while they wait: a double click, or a press meant for the first.
    at = _submit(at, "Create invitations")
    assert any("still waiting above" in e.value for e in at.error)
    assert _invitations(setup)["it"].invited == 7
    # Saved: gone from the server for good.
    at.button(key="camp_links_done").click().run()
    downloads.clear()
    at.run()
    assert not any(b.label == "Download the links CSV" for b in at.download_button)
    assert name not in downloads.names()
    assert all(tokens[0] not in str(at.session_state[k]) for k in at.session_state if not k.startswith("$$"))


@pytest.mark.parametrize(("mode", "emails", "said"), [
    ("emails", None, "no e-mail addresses given: paste them in the box or choose a file"),
    ("count", "ana@example.org", "addresses were given, but 'Links for' says"),
])
def test_links_for_addresses_with_none_arrived_make_nothing(setup, mode, emails, said):
    """Create invitations pressed while the address file was still uploading made 50 links with no
    address: the admin now says which, and addresses that did not arrive stop the batch."""
    c = setup["campaign"]
    at = _invite(_page(setup), c, emails=emails, mode=mode)
    assert any(said in e.value for e in at.error), [e.value for e in at.error]
    assert _invitations(setup)["business"].invited == 0


def test_invitations_paired_with_pasted_addresses(setup, downloads):
    c = setup["campaign"]
    at = _invite(_page(setup), c, emails="ana@example.org\n\nben@example.org\ncy@example.org\n", count=99)
    assert [s.value for s in at.success] == [
        "**3** personal invitation links created for **Business users**, each paired with an e-mail address."]
    rows = list(csv.DictReader(io.StringIO(downloads.get(f"campaign-{c}-business-links.csv").decode("utf-8"))))
    assert [r["email"] for r in rows] == ["ana@example.org", "ben@example.org", "cy@example.org"]
    assert at.text_area(key=f"camp_inv_emails_{c}").value == ""  # the addresses do not linger in the form
    assert _invitations(setup)["business"].invited == 3


def test_invitations_from_an_uploaded_address_file(setup, downloads):
    c = setup["campaign"]
    at = _invite(_page(setup), c, file=("staff.csv", b"name,email\nAna,ana@example.org\nBen,ben@example.org\n", "text/csv"))
    assert not at.error
    rows = list(csv.DictReader(io.StringIO(downloads.get(f"campaign-{c}-business-links.csv").decode("utf-8"))))
    assert [r["email"] for r in rows] == ["ana@example.org", "ben@example.org"]


def test_bad_addresses_are_refused_with_line_numbers_and_nothing_is_created(setup):
    c = setup["campaign"]
    at = _invite(_page(setup), c, emails="ana@example.org\nnot-an-address\nANA@example.org\n")
    (error,) = [e.value for e in at.error]
    assert error.startswith("No invitations were created:")
    assert "e-mail addresses: line 2: 'not-an-address' is not an e-mail address" in error
    assert "e-mail addresses: line 3: 'ANA@example.org' is repeated (first on line 1)" in error
    assert _invitations(setup)["business"].invited == 0
    assert not any(b.label == "Download the links CSV" for b in at.download_button)


def test_a_closed_campaign_cannot_invite(setup):
    c = setup["campaign"]
    with session_scope(setup["url"]) as session:
        campaigns.close_campaign(session, c, "admin")
    at = _page(setup)
    assert any("reopen it to invite more people" in i.value for i in at.info)
    assert next(b for b in at.form_submit_button if b.label == "Create invitations").disabled
    # nor import: said before a file is chosen, and the button is off
    assert any("reopen it to import responses" in i.value for i in at.info)
    assert at.button(key=f"camp_import_btn_{c}").disabled


def test_an_open_link_can_be_given_a_cap_and_the_page_counts_the_places_down(setup):
    c = setup["campaign"]
    at = _page(setup)
    at.selectbox(key=f"camp_open_group_{c}").set_value("it").run()
    at.number_input(key=f"camp_open_cap_{c}").set_value(2).run()
    at.button(key=f"camp_open_link_{c}_it").click().run()
    (link,) = [code.value for code in at.code]
    assert any("at most 2 visitors" in m.value for m in at.markdown)
    assert any("has a live open link: 2 more visitors may start with it." in cap.value for cap in at.caption)
    with session_scope(setup["url"]) as session:
        campaigns.open_campaign(session, c, "admin")
    for _ in range(2):
        with session_scope(setup["url"]) as session:
            respondent.begin(session, link.split("token=")[1])
    at.run()
    assert any("its cap is reached, it starts no more surveys" in cap.value for cap in at.caption)


def test_open_link_is_shown_once_and_can_be_withdrawn(setup):
    c = setup["campaign"]
    at = _page(setup)
    at.selectbox(key=f"camp_open_group_{c}").set_value("it").run()
    at.button(key=f"camp_open_link_{c}_it").click().run()
    (link,) = [code.value for code in at.code]
    token = link.split("token=")[1]
    with session_scope(setup["url"]) as session:
        assert invitations.check_token(session, token).outcome == "open_link"
    at.run()
    assert not at.code
    # A second link would withdraw the one already published: asked first.
    at.button(key=f"camp_open_link_{c}_it").click().run()
    assert not at.code and any("already has an open link" in w.value for w in at.warning)
    at.button(key=f"camp_open_link_{c}_it__no").click().run()
    # a question asked for one group never shows up, unasked, for another that has an open link too
    with session_scope(setup["url"]) as session:
        invitations.create_open_link(session, c, "business", "admin")
    at.button(key=f"camp_revoke_link_{c}_it").click().run()
    at.selectbox(key=f"camp_open_group_{c}").set_value("business").run()
    assert not any("open link" in w.value for w in at.warning)
    at.selectbox(key=f"camp_open_group_{c}").set_value("it").run()
    at.button(key=f"camp_revoke_link_{c}_it__no").click().run()
    at.button(key=f"camp_revoke_link_{c}_it").click().run()
    with session_scope(setup["url"]) as session:  # asked, not yet done
        assert invitations.check_token(session, token).outcome == "open_link"
    at.button(key=f"camp_revoke_link_{c}_it__yes").click().run()
    assert any("open link of group `it` is withdrawn" in s.value for s in at.success)
    with session_scope(setup["url"]) as session:
        assert invitations.check_token(session, token).outcome == "withdrawn"
    assert not [b for b in at.button if b.key == f"camp_revoke_link_{c}_it"]  # nothing left to withdraw


def test_response_rates_per_group(setup, downloads):
    c = setup["campaign"]
    with session_scope(setup["url"]) as session:
        invitations.create_invitations(session, c, "business", 40, "admin")
    at = _page(setup)
    rates = at.dataframe[1].value.set_index("Group")
    assert rates.loc["Business users", "Invited"] == 40 and rates.loc["Business users", "Completed"] == 0
    # the setup's responses came without links: imported, and so counted apart from the funnel
    assert (rates.loc["Business users", "Imported"], rates.loc["Business users", "Responses"]) == (60, 60)
    assert (rates.loc["IT staff", "Imported"], rates.loc["IT staff", "Responses"]) == (30, 30)
    assert f"campaign-{c}-response-rates.csv" in downloads.names()


# -- import ----------------------------------------------------------------------------------------------
def _likert_for_both_groups():
    instrument = load_default_instrument()
    return next(i.id for i in instrument.items if i.type == "likert" and i.groups is None)


def _responses(setup, c=None):
    with session_scope(setup["url"]) as session:
        return session.exec(select(func.count()).select_from(Response).where(Response.campaign_id == (c or setup["campaign"]))).one()


def _import(at, campaign_id, raw: bytes, name="paper.csv", confirm=True):
    next(u for u in at.file_uploader if u.label == "Responses CSV (UTF-8)").upload(name, raw, "text/csv")
    at.run()  # a browser reruns the page on upload: the Import button is enabled then
    at.button(key=f"camp_import_btn_{campaign_id}").click().run()
    assert not at.exception
    if confirm and not at.error:  # a file without problems is put to the administrator first
        at.button(key=f"camp_import_yes_{campaign_id}").click().run()
        assert not at.exception
    return at


def test_an_import_says_what_it_will_store_and_where_and_stores_nothing_before_the_confirmation(setup):
    """Imported responses cannot be taken out again: one press on Import stored the file at once, into
    whichever campaign happened to be chosen (last year's, say), without a word of how many or where."""
    c, item = setup["campaign"], _likert_for_both_groups()
    before = _responses(setup)
    at = _import(_page(setup), c, f"group,{item}\nbusiness,4\nIT staff,Agree\nit,2\n".encode(), confirm=False)
    (question,) = [w.value for w in at.warning if "cannot be removed again" in w.value]
    with session_scope(setup["url"]) as session:
        name = campaigns.get_campaign(session, c).name
    assert "Import its **3** responses (Business users 1, IT staff 2)" in question and f"into **{name}**" in question
    assert _responses(setup) == before and not _log(setup, "responses.import")  # checked, nothing kept
    at.button(key=f"camp_import_no_{c}").click().run()
    assert _responses(setup) == before and not [w for w in at.warning if "cannot be removed again" in w.value]
    at.button(key=f"camp_import_btn_{c}").click().run()
    # another file chosen after the check: checked and put again, not stored unseen
    next(u for u in at.file_uploader if u.label == "Responses CSV (UTF-8)").upload("other.csv", f"group,{item}\nit,5\n".encode(), "text/csv")
    at.run()
    assert not [w for w in at.warning if "cannot be removed again" in w.value]
    at.button(key=f"camp_import_btn_{c}").click().run()
    assert _responses(setup) == before
    (question,) = [w.value for w in at.warning if "cannot be removed again" in w.value]
    assert "**other.csv**" in question and "Import its **1** response (IT staff 1)" in question
    at.button(key=f"camp_import_yes_{c}").click().run()
    assert not at.exception and _responses(setup) == before + 1
    assert any(s.value.startswith("Imported **1** response from other.csv") for s in at.success)


def test_a_bad_import_lists_the_problems_with_line_numbers_and_stores_nothing(setup):
    c, item = setup["campaign"], _likert_for_both_groups()
    before = _responses(setup)
    at = _import(_page(setup), c, f"group,{item},when\nbusiness,4,2026-01-01\nbusiness,9,\ncontractors,3,\n".encode())
    (error,) = [e.value for e in at.error]
    assert error.startswith("**paper.csv** was not imported — nothing was stored.")
    assert "paper.csv: line 1" in error and "when" in error
    assert f"paper.csv: line 3, column {item}: 9 is outside the scale 1–5" in error
    assert "paper.csv: line 4: group 'contractors' is not a group of this instrument" in error
    assert _responses(setup) == before
    assert not _log(setup, "responses.import")


def test_a_long_list_of_problems_is_counted_in_full_not_by_the_lines_shown(setup):
    c, item = setup["campaign"], _likert_for_both_groups()
    at = _import(_page(setup), c, (f"group,{item}\n" + "business,9\n" * 172).encode())
    (error,) = [e.value for e in at.error]
    assert "172 problems to fix" in error and "… and 122 more problems (172 in all" in error


def test_a_good_import_is_stored_and_audited(setup):
    c, item = setup["campaign"], _likert_for_both_groups()
    before = _responses(setup)
    at = _import(_page(setup), c, f"group,{item}\nbusiness,4\nIT staff,Agree\nit,2\n".encode())
    assert not at.error
    assert any(s.value.startswith("Imported **3** responses from paper.csv (Business users 1, IT staff 2).") for s in at.success)
    assert _responses(setup) == before + 3
    assert _log(setup, "responses.")[-1][:2] == ("admin", "responses.import")


def test_the_imported_file_s_name_is_shown_as_typed(setup):
    c, item = setup["campaign"], _likert_for_both_groups()
    at = _import(_page(setup), c, f"group,{item}\nbusiness,4\n".encode(), name="ok **BOLD** [x](https://evil.example).csv")
    (message,) = [s.value for s in at.success if s.value.startswith("Imported")]
    assert "**BOLD**" not in message and "ok \\*\\*BOLD\\*\\* \\[x\\]" in message  # bold and link inert


def test_a_workbook_chosen_by_mistake_is_refused_with_what_to_do(setup):
    """The uploader filtered on .csv: an .xlsx was marked red without a reason, and Import then
    imported the file chosen before it. Every file is taken now, and a workbook is named as one."""
    import io

    from openpyxl import Workbook

    c = setup["campaign"]
    at = _page(setup)
    uploader = next(u for u in at.file_uploader if u.label == "Responses CSV (UTF-8)")
    assert list(uploader.proto.type) == []  # no filter in the browser: the server says what is wrong
    book = io.BytesIO()
    Workbook().save(book)
    before = _responses(setup)
    at = _import(at, c, book.getvalue(), name="responses.xlsx")
    (error,) = [e.value for e in at.error]
    assert "responses.xlsx: the file is an Excel workbook (XLSX) or another ZIP archive, not text; save it as CSV UTF-8" in error
    assert _responses(setup) == before


def test_import_waits_for_a_file(setup):
    button = _page(setup).button(key=f"camp_import_btn_{setup['campaign']}")
    assert button.disabled and button.help == "Choose a CSV file above first."


def test_the_import_uploader_takes_no_more_than_the_server_accepts(setup):
    """It promised 200 MB while the server takes 50: a 60 MB file failed with "AxiosError … 413"."""
    from streamlit import config

    at = _page(setup)
    [uploader] = [u for u in at.get("file_uploader") if u.proto.label == "Responses CSV (UTF-8)"]
    assert uploader.proto.max_upload_size_mb == config.get_option("server.maxUploadSize") == 50
    assert "itcap responses import" in uploader.proto.help


# -- export ------------------------------------------------------------------------------------------------
def test_admin_export_applies_the_threshold_unless_it_is_unticked(setup, downloads):
    c = setup["campaign"]
    at = _page(setup)
    # the file a first tap downloads is the one without personal data
    assert set(downloads.names()) >= {f"campaign-{c}-thresholded.{f}" for f in ("csv", "xlsx", "sav")}
    assert not any("all-responses" in n for n in downloads.names())
    downloads.clear()
    at.checkbox(key=f"camp_export_threshold_{c}").uncheck().run()
    names = downloads.names()
    assert {f"campaign-{c}-all-responses.{f}" for f in ("csv", "xlsx", "sav")} <= set(names)
    assert not _log(setup, "responses.export")  # nothing is logged for a button not clicked
    privileged = list(csv.DictReader(io.StringIO(downloads.get(f"campaign-{c}-all-responses.csv").decode("utf-8"))))
    assert len(privileged) == 90 and "response_id" in privileged[0]
    # personal data taken: who, which campaign, what, and when (the log's own time)
    assert _log(setup, "responses.export") == [("admin", "responses.export", "csv: every response (90), free text included")]
    assert any("Every response" in cap.value and "personal data" in cap.value for cap in at.caption)
    assert not any("Excel file takes about" in cap.value for cap in at.caption)  # 90 responses: quick

    downloads.clear()
    at.checkbox(key=f"camp_export_threshold_{c}").check().run()
    assert set(downloads.names()) >= {f"campaign-{c}-thresholded.{f}" for f in ("csv", "xlsx", "sav")}
    rows = list(csv.DictReader(io.StringIO(downloads.get(f"campaign-{c}-thresholded.csv").decode("utf-8"))))
    assert len(rows) == 90 and "response_id" not in rows[0]
    book = openpyxl.load_workbook(io.BytesIO(downloads.get(f"campaign-{c}-thresholded.xlsx")))
    assert "comments" in book.sheetnames and "notes" in book.sheetnames
    assert len(_log(setup, "responses.export")) == 1  # thresholded files are not personal data: not logged


def test_a_large_campaign_is_told_the_excel_file_is_slow(setup, monkeypatch):
    from itcap.ui import data_downloads

    monkeypatch.setattr(data_downloads, "LARGE_EXPORT", 50)
    at = _page(setup)
    assert any("With 90 responses the Excel file takes about 10 seconds" in cap.value for cap in at.caption)


def test_nothing_to_export_says_why(setup):
    with session_scope(setup["url"]) as session:
        record_id = campaigns.get_campaign(session, setup["campaign"]).instrument_id
        empty = campaigns.create_campaign(session, instrument_id=record_id, name="Empty", actor="admin").id
    at = _page(setup)
    at.selectbox(key="camp_selected").set_value(empty).run()
    assert any("No responses yet" in i.value for i in at.info)
    assert any("Nobody has been invited yet" in i.value for i in at.info)


# -- the downloads helper the dashboard uses ------------------------------------------------------------
def _helper_app(account_id: int, campaign_id: int, privileged: bool) -> AppTest:
    def script(campaign_id: int, privileged: bool):
        from itcap.ui.data_downloads import campaign_downloads

        campaign_downloads(campaign_id, privileged)

    at = AppTest.from_function(script, kwargs={"campaign_id": campaign_id, "privileged": privileged}, default_timeout=60)
    now = utcnow()
    at.session_state[SESSION_ACCOUNT] = account_id
    at.session_state[SESSION_LOGIN_AT] = now
    at.session_state[SESSION_SEEN_AT] = now
    return at.run()


def _close(setup) -> None:
    """Leadership gets rows only of a closed campaign (two downloads while it is open would, compared,
    give away each new respondent)."""
    with session_scope(setup["url"]) as session:
        campaigns.close_campaign(session, setup["campaign"], "admin")


def test_leadership_gets_no_rows_of_an_open_campaign_and_the_administrator_is_warned(setup, downloads):
    at = _helper_app(setup["lee"], setup["campaign"], privileged=False)
    assert any("can be downloaded here once the campaign has closed" in i.value for i in at.info)
    assert not downloads.names()
    admin = _helper_app(setup["admin"], setup["campaign"], privileged=False)
    assert any("The campaign is still open:" in c.value for c in admin.caption) and len(downloads.names()) == 3


def test_a_leadership_download_drawn_while_closed_is_refused_once_the_campaign_is_reopened(setup, downloads):
    from itcap.ui import auth

    _close(setup)
    _helper_app(setup["lee"], setup["campaign"], privileged=False)
    name = f"campaign-{setup['campaign']}-thresholded.csv"
    assert downloads.get(name)
    with session_scope(setup["url"]) as session:
        campaigns.open_campaign(session, setup["campaign"], "admin")
    with pytest.raises(auth.DownloadRefused, match="open again"):
        downloads.get(name)


def test_leadership_never_gets_a_privileged_export_whatever_the_caller_asks(setup, downloads):
    c = setup["campaign"]
    _close(setup)
    at = _helper_app(setup["lee"], c, privileged=True)
    assert not at.exception
    assert not any("all-responses" in n for n in downloads.names())
    rows = list(csv.DictReader(io.StringIO(downloads.get(f"campaign-{c}-thresholded.csv").decode("utf-8"))))
    assert rows and "response_id" not in rows[0] and "source" not in rows[0]


def test_the_size_a_leadership_download_states_leaves_a_small_group_out(setup, downloads, monkeypatch):
    """'With 50,003 responses' beside the dashboard's '50,000 responses' gave the small group's 3."""
    from itcap.ui import data_downloads

    monkeypatch.setattr(data_downloads, "LARGE_EXPORT", 10)
    with session_scope(setup["url"]) as session:  # IT staff (30) under k, business (60) kept
        campaigns.update_campaign(session, setup["campaign"], "admin", min_group_size=31, comment_threshold=31)
    _close(setup)
    at = _helper_app(setup["lee"], setup["campaign"], privileged=False)
    (size,) = [c.value for c in at.caption if c.value.startswith("With ")]
    assert size.startswith("With 60 responses the Excel file takes about")
    admin = _helper_app(setup["admin"], setup["campaign"], privileged=True)
    assert any(c.value.startswith("With 90 responses") for c in admin.caption)  # administrators: every response


def test_leadership_gets_nothing_when_every_group_is_below_k(setup, downloads):
    with session_scope(setup["url"]) as session:
        campaigns.update_campaign(session, setup["campaign"], "admin", min_group_size=61, comment_threshold=61)
    _close(setup)
    at = _helper_app(setup["lee"], setup["campaign"], privileged=False)  # business 60, IT 30: both under k
    assert any("Nothing can be downloaded yet" in i.value and "61" in i.value for i in at.info)
    assert not downloads.names()
    admin = _helper_app(setup["admin"], setup["campaign"], privileged=True)  # the admin still gets everything
    assert not admin.info and len(downloads.names()) == 3


def test_a_new_campaign_is_offered_the_newest_version_of_an_instrument_first(setup):
    """After an upgrade loads a new version of the shipped instrument, the superseded one was preselected."""
    from itcap.storage import session_scope
    from surveys.instrument import default_instrument_path
    from surveys.store import save_instrument

    newer = default_instrument_path().read_text(encoding="utf-8").replace('version: "1.2"', 'version: "1.3"')
    with session_scope(setup["url"]) as session:
        newest = save_instrument(session, newer, "admin").id
    at = _page(setup)
    box = at.selectbox(key="camp_new_instrument")
    assert box.value == newest and "v1.3" in box.options[0] and len(box.options) == 2


def test_links_sent_by_mistake_are_withdrawn_from_their_file_after_a_confirmation(setup):
    c = setup["campaign"]
    with session_scope(setup["url"]) as session:
        made = invitations.create_invitations(session, c, "business", 4, "admin")
        before = invitations.response_rates(session, c)["business"].invited
    links = invitations.links_csv(made).encode("utf-8")
    at = _page(setup)
    next(u for u in at.file_uploader if u.label == "Links file (the CSV of the batch)").upload("links.csv", links, "text/csv")
    at.run()
    at.button(key=f"camp_withdraw_{c}").click().run()
    assert any("Withdraw every link in this file that nobody has started?" in w.value for w in at.warning)
    assert _invitations(setup)["business"].invited == before  # nothing yet: asked first
    at.button(key=f"camp_withdraw_{c}__yes").click().run()
    assert not at.exception
    assert any(s.value.startswith("**4** personal links withdrawn (Business users 4)") for s in at.success)
    assert _invitations(setup)["business"].invited == before - 4
    assert _log(setup)[-1][:2] == ("admin", "campaign.invitations_withdrawn")
