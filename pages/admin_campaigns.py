"""Campaigns: create a perception survey campaign, open and close it, invite people (the links CSV
for the mail merge, open links), watch response rates, import responses collected elsewhere and
export the data.

Everything here calls the survey services (``surveys.campaigns``, ``invitations``, ``imports``,
``exports``), which check the input and write the audit log. Tokens are never stored: the links
CSV and an open link exist only in what this page hands over, on the run right after they were
made, and are then gone from the server.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from itcap.accounts import ADMIN
from itcap.storage import session_scope
from itcap.ui import auth, widgets
from itcap.ui.data_downloads import campaign_downloads
from itcap.ui.downloads import table_with_download
from itcap.ui.text import md_code, md_escape
from itcap.validation import DocumentInvalid, decode_upload
from surveys import campaigns, imports, invitations
from surveys.campaigns import CLOSED, DRAFT, MIN_GROUP_SIZE_LIMITS, OPEN
from surveys.limits import COMMENT_THRESHOLD_MAX
from surveys.errors import SurveyError
from surveys.store import list_instruments
from surveys.tables import DEFAULT_COMMENT_THRESHOLD, DEFAULT_MIN_GROUP_SIZE

account = auth.require_role(ADMIN)

DEFAULT_LINK_COUNT = 50
LINKS_KEY = "camp_links_once"  # the links CSV just made: kept (in this tab's server memory) until dismissed
OPEN_LINK_KEY = "camp_open_link_once"
IMPORT_OUTCOME = "camp_import_outcome"
IMPORT_CHECKED = "camp_import_checked"  # a file that passed every check, waiting for "Import them"
STATUS_TEXT = {DRAFT: ":gray[:material/edit_note: **Draft**]", OPEN: ":green[:material/play_circle: **Open**]",
               CLOSED: ":red[:material/stop_circle: **Closed**]"}
AVAILABILITY_TEXT = {
    "accepting": "accepting responses",
    "draft": "links say the survey has not started",
    "not_yet_open": "its opening date has not come: links say so until then",
    "ended": "its closing date has passed: links say the survey has ended",
    "closed": "links say the survey has closed",
}
# The table's one status column: the stored status, and for an open campaign outside its dates, that
# it takes no answers now.
STATUS_NOW = {"accepting": "open", "draft": "draft", "not_yet_open": "open, not started", "ended": "open, date passed",
              "closed": "closed"}


def _actor():
    actor = auth.current_account()
    if actor is None or actor.id != account.id or not actor.has_role(ADMIN):
        return None
    return actor


def _problems(prefix: str, exc: SurveyError) -> None:
    widgets.flash(prefix + "\n\n" + "\n".join(f"- {md_escape(p)}" for p in exc.problems), "error")


def _number(value) -> int | None:
    return None if value is None else int(value)


# -- callbacks ---------------------------------------------------------------------------------------------
def _create() -> None:
    actor = _actor()
    if actor is None:
        return
    state = st.session_state
    try:
        with session_scope() as session:
            created = campaigns.create_campaign(
                session, instrument_id=state.get("camp_new_instrument"), name=state.get("camp_new_name") or "",
                actor=actor.username, opens_on=state.get("camp_new_opens"), closes_on=state.get("camp_new_closes"),
                min_group_size=_number(state.get("camp_new_k")), comment_threshold=_number(state.get("camp_new_comments")))
            created_id, name = created.id, created.name
            notes = campaigns.creation_notes(session, created)
    except SurveyError as exc:
        _problems("The campaign was not created:", exc)
        st.session_state["camp_create_again"] = True  # keep the form open on the fields to fix
        return
    widgets.flash(f"Campaign **{md_escape(name)}** created as a draft. Prepare invitations, then open it.")
    for note in notes:
        widgets.flash(md_escape(note[0].upper() + note[1:]) + ".", "warning")
    state["camp_selected"] = created_id
    state["camp_new_name"] = ""


def _update(campaign_id: int) -> None:
    actor = _actor()
    if actor is None:
        return
    state = st.session_state
    try:
        with session_scope() as session:
            campaigns.update_campaign(
                session, campaign_id, actor.username, name=state.get(f"camp_set_name_{campaign_id}") or "",
                opens_on=state.get(f"camp_set_opens_{campaign_id}"), closes_on=state.get(f"camp_set_closes_{campaign_id}"),
                min_group_size=_number(state.get(f"camp_set_k_{campaign_id}")),
                comment_threshold=_number(state.get(f"camp_set_comments_{campaign_id}")))
    except SurveyError as exc:
        _problems("The settings were not changed:", exc)
        return
    widgets.flash("Settings saved.")


def _status(campaign_id: int, action: str) -> None:
    actor = _actor()
    if actor is None:
        return
    try:
        with session_scope() as session:
            if action == OPEN:
                campaigns.open_campaign(session, campaign_id, actor.username)
            else:
                campaigns.close_campaign(session, campaign_id, actor.username)
    except SurveyError as exc:
        st.session_state.pop(f"camp_confirm_close_{campaign_id}", None)
        _problems("Not done:", exc)
        return
    st.session_state.pop(f"camp_confirm_close_{campaign_id}", None)
    widgets.flash("The campaign is open: links work while today lies within its dates." if action == OPEN else
                  "The campaign is closed: links now say the survey has closed. Answers in progress are kept, "
                  "so reopening lets people carry on.")
    if action != OPEN and (problem := campaigns.storage_not_reclaimed(session)):
        widgets.flash(f"Closed, but the space of deleted drafts was not reclaimed: {problem}. Their answers stay on "
                      f"disk until it is: run `itcap campaign anonymise {campaign_id}` on the server once nothing "
                      "else holds the database open.", kind="warning")


INVITE_MODES = {"count": "a number of people (you send the links)", "emails": "these e-mail addresses (a mail merge)"}


def _invite(campaign_id: int) -> None:
    actor = _actor()
    if actor is None:
        return
    state = st.session_state
    if state.get(LINKS_KEY) is not None:
        # A batch whose links are still waiting to be downloaded — or the second click of a double
        # click: another batch now would make links nobody ever sees, counted as invited for good.
        _problems("No invitations were created:", SurveyError(
            "the links of the batch just created are still waiting above: download them and press "
            "'I have saved the links' first"))
        return
    group = state.get(f"camp_inv_group_{campaign_id}")
    emails_text = state.get(f"camp_inv_emails_{campaign_id}") or ""
    upload = state.get(f"camp_inv_file_{campaign_id}_{state.get('camp_inv_counter', 0)}")
    try:
        emails = None
        if upload is not None and emails_text.strip():
            raise SurveyError("give the e-mail addresses either in the box or as a file, not both")
        if upload is not None:
            try:
                emails = invitations.parse_email_list(decode_upload(upload.getvalue(), upload.name, max_bytes=10 * 1024 * 1024),
                                                      where=upload.name)
            except DocumentInvalid as exc:  # not UTF-8, or too large
                raise SurveyError(exc.problems) from None
        elif emails_text.strip():
            emails = invitations.parse_email_list(emails_text, where="e-mail addresses")
        by_address = state.get(f"camp_inv_mode_{campaign_id}") == "emails"
        if by_address and emails is None:
            raise SurveyError("no e-mail addresses given: paste them in the box or choose a file — a file is read once its "
                              "name shows under the box (wait for a large one to finish uploading)")
        if not by_address and emails is not None:
            raise SurveyError(f"addresses were given, but 'Links for' says {INVITE_MODES['count']!r}: choose "
                              f"{INVITE_MODES['emails']!r} to pair each link with an address")
        count = len(emails) if emails is not None else _number(state.get(f"camp_inv_count_{campaign_id}"))
        with session_scope() as session:
            links = invitations.create_invitations(session, campaign_id, group, count, actor.username,
                                                   base_url=widgets.app_address()[0])
            text = invitations.links_csv(links, emails)
    except SurveyError as exc:
        _problems("No invitations were created:", exc)
        return
    state[LINKS_KEY] = {"campaign_id": campaign_id, "group": group, "count": len(links), "with_emails": emails is not None,
                        "csv": text.encode("utf-8")}
    state[f"camp_inv_emails_{campaign_id}"] = ""
    state.pop(f"camp_inv_count_{campaign_id}", None)  # back to the default: not 10,000 again on the next press
    state["camp_links_new"] = True
    state["camp_inv_counter"] = state.get("camp_inv_counter", 0) + 1  # empties the file uploader


def _withdraw_links(campaign_id: int) -> None:
    actor = _actor()
    if actor is None:
        return
    state = st.session_state
    upload = state.get(f"camp_withdraw_file_{campaign_id}_{state.get('camp_withdraw_counter', 0)}")
    if upload is None:
        widgets.flash("Choose the links file first.", "error")
        return
    try:
        try:
            text = decode_upload(upload.getvalue(), upload.name, max_bytes=20 * 1024 * 1024)
        except DocumentInvalid as exc:  # not UTF-8, or too large
            raise SurveyError(exc.problems) from None
        tokens = invitations.tokens_from_links(text, upload.name)
        with session_scope() as session:
            result = invitations.withdraw_invitations(session, campaign_id, tokens, actor.username)
            chosen = campaigns.get_campaign(session, campaign_id)
            names = {g.id: g.name for g in campaigns.campaign_instrument(session, chosen).groups}
            result_campaign = chosen.name
    except SurveyError as exc:
        _problems("Nothing withdrawn:", exc)
        return
    state["camp_withdraw_counter"] = state.get("camp_withdraw_counter", 0) + 1  # empties the file uploader
    if result.not_found == len(tokens):
        widgets.flash(f"Nothing withdrawn: none of the {len(tokens):,} links in {md_escape(upload.name)} is a personal "
                      f"link of **{md_escape(result_campaign)}** — a file of another campaign?", "warning")
        return
    by_group = ", ".join(f"{md_escape(names.get(g, g))} {n:,}" for g, n in sorted(result.withdrawn.items()))
    left = [f"{n:,} {what}" for n, what in ((result.started, "started (left working: someone is answering)"),
                                           (result.used, "already used"), (result.already_withdrawn, "withdrawn before"),
                                           (result.not_found, "not personal links of this campaign")) if n]
    widgets.flash(f"**{result.total:,}** personal link{'' if result.total == 1 else 's'} withdrawn"
                  + (f" ({by_group})" if by_group else "") + (f"; {'; '.join(left)}." if left else "."),
                  "success" if result.total else "info")


def _open_link(campaign_id: int, withdraw: bool) -> None:
    actor = _actor()
    if actor is None:
        return
    group = st.session_state.get(f"camp_open_group_{campaign_id}")
    try:
        with session_scope() as session:
            if withdraw:
                revoked = invitations.revoke_open_link(session, campaign_id, group, actor.username)
            else:
                cap = st.session_state.get(f"camp_open_cap_{campaign_id}")
                link = invitations.create_open_link(session, campaign_id, group, actor.username,
                                                    base_url=widgets.app_address()[0],
                                                    max_visits=int(cap) if cap is not None else None)
            st.session_state[f"camp_open_cap_{campaign_id}"] = None  # not carried over to the next group's link
    except SurveyError as exc:
        _problems("Not done:", exc)
        return
    if withdraw:
        widgets.flash(f"The open link of group {md_code(group)} is withdrawn: it now says so. People who already started keep going."
                      if revoked else f"Group {md_code(group)} had no open link to withdraw.", "success" if revoked else "info")
    else:
        st.session_state[OPEN_LINK_KEY] = {"campaign_id": campaign_id, "group": group, "link": link.link,
                                           "cap": int(cap) if cap is not None else None}


def _import(campaign_id: int, confirmed: bool = False) -> None:
    """First press: every check, nothing kept — then the count, the groups and the campaign are put to
    the administrator, since imported responses cannot be taken out again (wrong campaign, last
    year's file). "Import them" stores that same file."""
    actor = _actor()
    if actor is None:
        return
    state = st.session_state
    checked = state.pop(IMPORT_CHECKED, None)
    upload = state.get(f"camp_import_{campaign_id}_{state.get('camp_import_counter', 0)}")
    if upload is None:
        state[IMPORT_OUTCOME] = {"campaign_id": campaign_id, "problems": ["Choose a CSV file first."], "name": ""}
        return
    raw = upload.getvalue()
    allow_repeats = bool(state.get(f"camp_import_repeats_{campaign_id}"))
    # another file (or the repeats box changed) since the check: check again, never store unseen rows
    confirmed = (confirmed and checked is not None and checked["campaign_id"] == campaign_id
                 and checked["digest"] == _digest(raw, allow_repeats))
    try:
        with session_scope() as session:
            result = imports.import_responses(session, campaign_id, raw, actor=actor.username, where=upload.name,
                                              allow_repeats=allow_repeats)
            names = {g.id: g.name for g in campaigns.campaign_instrument(session, campaign_id).groups}
            if not confirmed:
                session.rollback()  # a trial run: the rows and the audit entry go
    except SurveyError as exc:
        # the total, not the lines listed: a capped list ends with a "… and N more" line of its own
        state[IMPORT_OUTCOME] = {"campaign_id": campaign_id, "problems": exc.problems, "name": upload.name,
                                 "total": getattr(exc, "total", len(exc.problems))}
        return
    if not confirmed:
        state[IMPORT_CHECKED] = {"campaign_id": campaign_id, "name": upload.name, "count": result.imported,
                                 "by_group": result.by_group, "digest": _digest(raw, allow_repeats)}
        return
    # the groups as every other line names them ("Business users 12"), not their ids ("business 12")
    groups = ", ".join(f"{names.get(g, g)} {n:,}" for g, n in sorted(result.by_group.items()))
    message = f"Imported **{result.imported:,}** response{'' if result.imported == 1 else 's'} from {md_escape(upload.name)} ({md_escape(groups)})."
    if result.flagged:
        message += " Flagged: " + ", ".join(f"{flag} {n:,}" for flag, n in sorted(result.flagged.items())) + " (kept; exports and analyses can leave them out)."
    if result.ignored_columns:
        message += " Ignored columns: " + md_escape(", ".join(result.ignored_columns)) + "."
    widgets.flash(message)
    state["camp_import_counter"] = state.get("camp_import_counter", 0) + 1
    state.pop(f"camp_import_repeats_{campaign_id}", None)  # for that file only: the next one is checked again


def _digest(raw: bytes, allow_repeats: bool) -> str:
    return hashlib.sha256(raw).hexdigest() + ("+repeats" if allow_repeats else "")


# -- the page --------------------------------------------------------------------------------------------------
st.title("Campaigns", anchor=False)
st.caption("A campaign puts one survey instrument to its groups (e.g. business users and IT staff) between two dates. "
           f"Results are shown only for groups of at least k responses (default {DEFAULT_MIN_GROUP_SIZE}).")
widgets.show_flash()

with session_scope() as session:
    instruments = list_instruments(session)
    all_campaigns = campaigns.list_campaigns(session)
    rates = {c.id: invitations.response_rates(session, c.id) for c in all_campaigns}
# newest first: after an upgrade loads a new version of the shipped instrument, that is the one offered
instrument_names = {r.id: f"{r.name} · {r.key} v{r.version}" for r in sorted(instruments, key=lambda r: -r.id)}

with st.expander("Create a campaign", expanded=not all_campaigns or st.session_state.pop("camp_create_again", False),
                 icon=":material/add_circle:"):
    if not instruments:
        st.info("A campaign needs a survey instrument. Upload one under Administration → Models & instruments "
                "(or restart the app to load the shipped one), then come back here.", icon=":material/info:")
    else:
        with st.form("camp_create", border=False):
            # a row of columns per pair of fields: on a phone they stack in reading order (two dates together)
            left, right = st.columns(2)
            left.text_input("Name", key="camp_new_name", max_chars=campaigns.NAME_MAX, placeholder="e.g. IT perception survey 2026")
            right.selectbox("Survey instrument", list(instrument_names), format_func=instrument_names.get, key="camp_new_instrument")
            left, right = st.columns(2)
            left.date_input("Opens on (optional)", value=None, key="camp_new_opens", format="DD/MM/YYYY",
                            help="Links say “not open yet” before this date. Leave empty to open as soon as you press Open.")
            right.date_input("Closes on (optional)", value=None, key="camp_new_closes", format="DD/MM/YYYY",
                             help="Links say the survey has ended after this date (inclusive). You can change it later.")
            left, right = st.columns(2)
            left.number_input("Reporting threshold k", min_value=MIN_GROUP_SIZE_LIMITS[0], max_value=MIN_GROUP_SIZE_LIMITS[1],
                              value=DEFAULT_MIN_GROUP_SIZE, step=1, key="camp_new_k",
                              help="Any group, filter or cross-tab with fewer than k responses is suppressed everywhere.")
            right.number_input("Comment threshold", min_value=1, max_value=COMMENT_THRESHOLD_MAX, value=DEFAULT_COMMENT_THRESHOLD,
                               step=1, key="camp_new_comments",
                               help="Free-text comments are shown only when at least this many were given (at least k).")
            st.form_submit_button("Create campaign", type="primary", icon=":material/add_circle:", on_click=_create)

if not all_campaigns:
    st.info("No campaigns yet. Create the first one above; it starts as a draft, so you can prepare invitations "
            "before opening it.", icon=":material/info:")
    st.stop()

st.subheader("All campaigns", anchor=False)
instrument_keys = {r.id: f"{r.key} v{r.version}" for r in instruments}


def _dates(c) -> str:
    if c.opens_on is None and c.closes_on is None:
        return "any time"
    opens = f"{c.opens_on:%d %b %Y}" if c.opens_on else "…"
    closes = f"{c.closes_on:%d %b %Y}" if c.closes_on else "…"
    return f"{opens} – {closes}"


st.dataframe(pd.DataFrame([{  # what an administrator looks for first comes first: a narrow screen cuts the end
    "Id": c.id, "Name": c.name, "Status": STATUS_NOW[campaigns.availability(c)],
    "Responses": sum(r.responses for r in rates[c.id].values()), "Invited": sum(r.invited for r in rates[c.id].values()),
    "Dates": _dates(c), "Instrument": instrument_keys.get(c.instrument_id, c.instrument_id),
    "k": c.min_group_size, "Comments ≥": c.comment_threshold,
} for c in all_campaigns]), hide_index=True, width="stretch", key="camp_table",
    # every column in view on a laptop: the numbers need little room
    column_config={"Id": st.column_config.NumberColumn(width=40), "Name": st.column_config.TextColumn(width=170),
                   "Instrument": st.column_config.TextColumn(width=125), "Status": st.column_config.TextColumn(width=105),
                   "Comments ≥": st.column_config.NumberColumn(width=95, help="Comments are shown once at least this many people wrote one"),
                   "k": st.column_config.NumberColumn(width=40, help="Results are shown only for groups of at least k responses"),
                   "Invited": st.column_config.NumberColumn(width=80, format="localized"),
                   "Responses": st.column_config.NumberColumn(width=85, format="localized")})

st.subheader("Manage a campaign", anchor=False)
by_id = {c.id: c for c in all_campaigns}
if st.session_state.get("camp_selected") not in by_id:
    st.session_state["camp_selected"] = all_campaigns[-1].id
# No status in the label: Streamlit keeps a selected option's old label when its text changes
# (streamlit#13788), so "(draft)" would stay after Open. The status is on the line below.
chosen_id = st.selectbox("Campaign", list(by_id), key="camp_selected",
                         format_func=lambda i: f"{by_id[i].name} (id {i})")
campaign = by_id[chosen_id]
with session_scope() as session:
    instrument = campaigns.campaign_instrument(session, campaign)
groups = {g.id: g.name for g in instrument.groups}
group_rates = rates[chosen_id]

# What was just made and exists nowhere else: kept until the administrator says it is saved, whatever
# else they do meanwhile (another tab of this page, a settings change): lost links stay "invited" for good.
links = st.session_state.get(LINKS_KEY)
if links is not None and links["campaign_id"] != chosen_id:
    st.warning(f"The links of the batch just created for campaign {links['campaign_id']} are waiting to be "
               "downloaded: choose that campaign to download them.", icon=":material/warning:")
if links is not None and links["campaign_id"] == chosen_id:
    with st.container(border=True, key="camp_links_panel"):
        st.success(f"**{links['count']:,}** personal invitation links created for **{md_escape(groups.get(links['group'], links['group']))}**"
                   + (", each paired with an e-mail address." if links["with_emails"] else "."), icon=":material/check_circle:")
        st.download_button("Download the links CSV", data=links["csv"], type="primary", icon=":material/download:",
                           file_name=f"campaign-{chosen_id}-{links['group']}-links.csv", mime="text/csv",
                           key="camp_links_download", on_click="ignore")
        st.warning("**Download it now.** The links exist only in this file — itcap keeps just a fingerprint of each "
                   "one — and once you press *I have saved the links* (or close this tab or log out) they cannot be "
                   "shown again. Use it for the mail merge (columns `email, group, link`), then **delete it**: it is "
                   "the one place where a link meets a person's address.", icon=":material/warning:")
        st.button("I have saved the links", icon=":material/done:", key="camp_links_done",
                  on_click=lambda: st.session_state.pop(LINKS_KEY, None))
    if st.session_state.pop("camp_links_new", False):
        widgets.scroll_into_view("camp_links_panel")  # the button that made them is far below, off a phone's screen
open_link = st.session_state.pop(OPEN_LINK_KEY, None)
if open_link is not None and open_link["campaign_id"] == chosen_id:
    with st.container(border=True, key="camp_open_link_panel"):
        st.markdown(f":material/link: Open link for **{md_escape(groups.get(open_link['group'], open_link['group']))}** "
                    "(anyone with it may answer" + (f", at most {open_link['cap']:,} visitors" if open_link.get("cap") else "")
                    + "; each visitor gets a link of their own to resume):")
        st.code(open_link["link"], language=None)
        st.warning("Copy it now (the box has a copy button: point at it, or tap it on a phone): it is shown **only this once**. Making a "
                   "new open link for this group withdraws this one.", icon=":material/warning:")
    widgets.scroll_into_view("camp_open_link_panel")

availability = campaigns.availability(campaign)
status_line, buttons = st.columns([3, 2], vertical_alignment="center")
asked = st.container()  # confirmations, below the status line
status_line.markdown(f"{STATUS_TEXT[campaign.status]} · {AVAILABILITY_TEXT[availability]}")
with buttons.container(horizontal=True, horizontal_alignment="right"):
    if campaign.status == DRAFT:
        st.button("Open", type="primary", icon=":material/play_arrow:", key=f"camp_open_{chosen_id}", on_click=_status, args=(chosen_id, OPEN))
        widgets.ask_first("Close (abandon)", key=f"camp_close_{chosen_id}", icon=":material/stop:", panel=asked,
                          question="Abandon this draft? It is closed without ever opening; reopening it later opens it "
                                   "to respondents at once.",
                          confirm_label="Close the draft", on_confirm=_status, args=(chosen_id, CLOSED))
    elif campaign.status == OPEN:
        # Closing stops every live link at once: ask first, as submitting ratings does.
        st.button("Close…", icon=":material/stop:", key=f"camp_close_{chosen_id}",
                  on_click=lambda: st.session_state.update({f"camp_confirm_close_{chosen_id}": True}))
    else:
        widgets.ask_first("Reopen", key=f"camp_open_{chosen_id}", icon=":material/replay:", panel=asked,
                          question="Reopen this campaign to respondents? Every unused invitation and live open link "
                                   "works again at once, and new responses are added to its results.",
                          confirm_label="Reopen the campaign", on_confirm=_status, args=(chosen_id, OPEN))

if campaign.status == OPEN and st.session_state.get(f"camp_confirm_close_{chosen_id}"):
    with st.container(border=True):
        in_progress = sum(r.started - r.completed for r in rates[chosen_id].values())
        halfway = (f"the {in_progress:,} {'person' if in_progress == 1 else 'people'} half-way through "
                   f"{'is' if in_progress == 1 else 'are'} stopped until it is reopened (their answers so far are kept)"
                   if in_progress else "nobody is half-way through now")
        responses = sum(r.responses for r in rates[chosen_id].values())
        st.warning(f"Closing stops every invitation and open link of this campaign at once: {halfway}. It has "
                   f"{responses:,} response{'' if responses == 1 else 's'}. Closing also rewrites the stored "
                   "responses so that nothing links them to invitations.", icon=":material/warning:")
        confirm, cancel = st.columns(2)
        confirm.button("Close the campaign", type="primary", key=f"camp_close_confirm_{chosen_id}", width="stretch",
                       on_click=_status, args=(chosen_id, CLOSED))
        cancel.button("Cancel", key=f"camp_close_cancel_{chosen_id}", width="stretch",
                      on_click=lambda: st.session_state.pop(f"camp_confirm_close_{chosen_id}", None))

with (st.expander("Settings: name, dates and thresholds", icon=":material/tune:"),
      st.form(f"camp_settings_{chosen_id}", border=False)):
    with session_scope() as session:
        promised = campaigns.thresholds_promised(session, campaign)
    left, right = st.columns(2)
    left.text_input("Name", value=campaign.name, key=f"camp_set_name_{chosen_id}", max_chars=campaigns.NAME_MAX)
    right.caption(f"Instrument: {md_escape(instrument_names.get(campaign.instrument_id))} (fixed once created)")
    left, right = st.columns(2)
    left.date_input("Opens on", value=campaign.opens_on, key=f"camp_set_opens_{chosen_id}", format="DD/MM/YYYY")
    right.date_input("Closes on", value=campaign.closes_on, key=f"camp_set_closes_{chosen_id}", format="DD/MM/YYYY")
    left, right = st.columns(2)
    left.number_input("Reporting threshold k", min_value=campaign.min_group_size if promised else MIN_GROUP_SIZE_LIMITS[0],
                      max_value=MIN_GROUP_SIZE_LIMITS[1], value=campaign.min_group_size, step=1, key=f"camp_set_k_{chosen_id}")
    right.number_input("Comment threshold", min_value=campaign.comment_threshold if promised else 1,
                       max_value=max(COMMENT_THRESHOLD_MAX, campaign.comment_threshold),
                       value=campaign.comment_threshold, step=1, key=f"camp_set_comments_{chosen_id}")
    if promised:
        st.caption("The survey's privacy statement tells respondents both thresholds: now that the campaign has been "
                   "opened or holds responses, they can go up, never down.")
    st.form_submit_button("Save settings", on_click=_update, args=(chosen_id,))

invite_tab, rates_tab, import_tab, export_tab = st.tabs(
    ["Invitations", "Response rates", "Import responses", "Export data"], key=f"camp_tabs_{chosen_id}")

with invite_tab:
    if campaign.status == CLOSED:
        st.info("This campaign is closed: reopen it to invite more people.", icon=":material/lock:")
    st.markdown("**Personal links** — one per person, usable once.")
    address, configured = widgets.app_address()
    if configured:
        st.caption(f"Links start with `{address}/?token=` (`ITCAP_PUBLIC_URL`).")
    else:
        # links are shown once and only their hashes kept: a wrong address cannot be mended later
        local = (urlsplit(address).hostname or "") in ("localhost", "127.0.0.1", "::1")
        (st.warning if local else st.caption)(
            f"Links start with `{address}/?token=` — the address you are using now"
            + (", which works only on this computer" if local else "")
            + ". If respondents reach the app at another address, set `ITCAP_PUBLIC_URL` to it and restart the app "
            "before creating links.", **({"icon": ":material/warning:"} if local else {}))
    counter = st.session_state.get("camp_inv_counter", 0)
    with st.form(f"camp_invite_{chosen_id}", border=False):
        left, right = st.columns(2)
        left.selectbox("Group", list(groups), format_func=lambda g: f"{groups[g]} ({g})", key=f"camp_inv_group_{chosen_id}")
        right.number_input("How many links", min_value=1, max_value=invitations.MAX_INVITATIONS_PER_BATCH, value=DEFAULT_LINK_COUNT, step=1,
                           key=f"camp_inv_count_{chosen_id}", help="Ignored when you give e-mail addresses: one link each.")
        # Said, not guessed from whether addresses arrived: a press while the file was still uploading
        # made the number of links, none paired with an address.
        st.radio("Links for", list(INVITE_MODES), format_func=INVITE_MODES.get, key=f"camp_inv_mode_{chosen_id}", horizontal=True)
        st.text_area("E-mail addresses (one per line)", key=f"camp_inv_emails_{chosen_id}", height=100,
                     placeholder="ana@example.org\nben@example.org",
                     help="Paired with the links in the CSV for the mail merge and never stored. Repeated or malformed "
                          "addresses are refused with their line numbers.")
        st.file_uploader("…or a file of addresses (one per line, or a CSV with an `email` column)", type=None,
                         key=f"camp_inv_file_{chosen_id}_{counter}", max_upload_size=10)
        st.form_submit_button("Create invitations", type="primary", icon=":material/forward_to_inbox:",
                              disabled=campaign.status == CLOSED, on_click=_invite, args=(chosen_id,))
    with st.expander("Withdraw links sent by mistake", icon=":material/link_off:"):
        st.caption("A batch for the wrong group, made twice, or sent to the wrong addresses: upload its links file. Links "
                   "nobody has started stop working and leave the *invited* count; links being answered or already used "
                   "are left as they are. Only the links in the file are touched.")
        withdraw_counter = st.session_state.get("camp_withdraw_counter", 0)
        st.file_uploader("Links file (the CSV of the batch)", type=None,
                         key=f"camp_withdraw_file_{chosen_id}_{withdraw_counter}", max_upload_size=20)
        withdraw_asked = st.container()
        widgets.ask_first("Withdraw these links", key=f"camp_withdraw_{chosen_id}", icon=":material/link_off:",
                          panel=withdraw_asked,
                          disabled=st.session_state.get(f"camp_withdraw_file_{chosen_id}_{withdraw_counter}") is None,
                          question="Withdraw every link in this file that nobody has started? People who open one are "
                                   "told it was withdrawn. This cannot be undone.",
                          confirm_label="Withdraw the links", on_confirm=_withdraw_links, args=(chosen_id,))
    st.divider()
    st.markdown("**Open link** — one per group, for anyone in it (an intranet page, a team channel). Not one response "
                "per person: use personal links where that matters.")
    left, middle, right = st.columns([2, 1, 3], vertical_alignment="bottom")
    open_group = left.selectbox("Group", list(groups), format_func=lambda g: f"{groups[g]} ({g})", key=f"camp_open_group_{chosen_id}")
    middle.number_input("Most visitors", min_value=1, max_value=invitations.MAX_OPEN_LINK_VISITS, value=None, step=1,
                        placeholder="no cap", key=f"camp_open_cap_{chosen_id}",
                        help="At most this many visitors may start with the new link, so a link passed on beyond the group "
                             "cannot bring in responses without end. Each start takes a place, also one left unfinished "
                             "or begun again in another browser: allow a margin over the group's headcount. Empty: no cap.")
    with session_scope() as session:
        live = invitations.live_open_links(session, chosen_id)
    if open_group in live:
        left_visits = live[open_group]
        st.caption(f"{md_escape(groups[open_group])} has a live open link: " + (
            "no cap." if left_visits is None else
            "its cap is reached, it starts no more surveys (replace it to let more people in)." if left_visits == 0 else
            f"{left_visits:,} more visitor{'s' if left_visits != 1 else ''} may start with it."))
    link_asked = st.container()
    with right.container(horizontal=True):
        if open_group in live:  # replacing stops the link already published (intranet, team channel)
            widgets.ask_first("Replace open link", key=f"camp_open_link_{chosen_id}_{open_group}", icon=":material/add_link:",
                              disabled=campaign.status == CLOSED, panel=link_asked,
                              question=f"{md_escape(groups[open_group])} already has an open link. A new one withdraws it: "
                                       "wherever it was published it stops working (visitors who started keep their "
                                       "own links).",
                              confirm_label="Replace the open link", on_confirm=_open_link, args=(chosen_id, False))
            widgets.ask_first("Withdraw open link", key=f"camp_revoke_link_{chosen_id}_{open_group}", icon=":material/link_off:",
                              panel=link_asked,
                              question=f"Withdraw the open link of {md_escape(groups[open_group])}? Wherever it was "
                                       "published it stops working (visitors who started keep their own links).",
                              confirm_label="Withdraw the open link", on_confirm=_open_link, args=(chosen_id, True))
        else:
            st.button("Create open link", icon=":material/add_link:", key=f"camp_open_link_{chosen_id}_{open_group}",
                      disabled=campaign.status == CLOSED, help="Shown once: copy it when it appears.",
                      on_click=_open_link, args=(chosen_id, False))

with rates_tab:
    table = pd.DataFrame([{
        "Group": groups.get(g, g), "Invited": r.invited, "Started": r.started, "Completed": r.completed,
        "Response rate": r.completion_rate, "Open-link visitors": r.open_link_visits, "Imported": r.imported,
        "Responses": r.responses,
    } for g, r in group_rates.items()])
    if not any(r.invited or r.responses for r in group_rates.values()):
        st.info("Nobody has been invited yet. Create personal links or an open link under *Invitations*.", icon=":material/info:")
    table_with_download(table, f"campaign-{chosen_id}-response-rates", key=f"camp_rates_{chosen_id}",
                        column_config={"Response rate": st.column_config.NumberColumn(format="percent"),
                                       **{column: st.column_config.NumberColumn(format="localized")  # 16,000, not 16000
                                          for column in ("Invited", "Started", "Completed", "Open-link visitors", "Imported",
                                                         "Responses")}})
    st.caption("Invited = personal links + open-link visitors who pressed Start; started = of those, with saved answers; "
               "completed = submitted on the web; imported = responses that came without a link (paper, another tool); "
               "responses = completed + imported, what the analyses count. Administrators see every count here; the "
               "dashboard and the report show a group with fewer than k responses without them.")

with import_tab:
    st.markdown("Responses collected on paper or with another tool: a CSV with a `group` column and one column per item id "
                "(codes or labels; blank = not answered). **All or nothing**: if any row has a problem, nothing is stored.")
    if closed := campaign.status == CLOSED:  # said before a file is chosen, not after it is refused
        st.info("This campaign is closed: reopen it to import responses.", icon=":material/lock:")
    import_counter = st.session_state.get("camp_import_counter", 0)
    # Any file (type=None, as every uploader here): a workbook picked by mistake is then refused with what to do.
    # A type filter marked it red without a word and left the file chosen before it to be imported.
    # The server refuses a larger upload outright (HTTP 413, shown as "AxiosError"): the widget says its limit instead.
    largest = min(200, int(st.get_option("server.maxUploadSize")))
    st.file_uploader("Responses CSV (UTF-8)", type=None, key=f"camp_import_{chosen_id}_{import_counter}", max_upload_size=largest,
                     disabled=closed,
                     help=f"Up to {largest} MB here (about {largest * 9_000:,} rows of 40 answers); a larger file goes in with "
                          "`itcap responses import ID FILE.csv` on the server.")
    chosen_file = st.session_state.get(f"camp_import_{chosen_id}_{import_counter}")
    st.checkbox("Allow rows that repeat stored answers", key=f"camp_import_repeats_{chosen_id}",
                help="Off (the default): a row that gives exactly the answers of a stored response, or of another row — "
                     f"{imports.REPEAT_MIN_ANSWERS} or more rated and numeric answers, not all alike — is refused as the same "
                     "person counted twice (a batch that overlaps one imported before). On: for different people who "
                     "really answered alike. A file most of whose rows the campaign already holds is refused either way.")
    checked = st.session_state.get(IMPORT_CHECKED)
    # the question is about the file checked: another one chosen since is checked first (Import them
    # checks the bytes too, for a file of the same name)
    if checked is not None and checked["campaign_id"] == chosen_id and chosen_file is not None \
            and chosen_file.name == checked["name"] and not closed:
        with st.container(border=True):
            by_group = ", ".join(f"{md_escape(groups.get(g, g))} {n:,}" for g, n in sorted(checked["by_group"].items()))
            st.warning(f"**{md_escape(checked['name'])}** has no problems. Import its **{checked['count']:,}** "
                       f"response{'' if checked['count'] == 1 else 's'} ({by_group}) into **{md_escape(campaign.name)}**? "
                       "Imported responses cannot be removed again.", icon=":material/warning:")
            yes, no = st.columns(2)
            yes.button("Import them", type="primary", key=f"camp_import_yes_{chosen_id}", width="stretch", on_click=_import,
                       args=(chosen_id, True))
            no.button("Cancel", key=f"camp_import_no_{chosen_id}", width="stretch",
                      on_click=lambda: st.session_state.pop(IMPORT_CHECKED, None))
    else:
        st.button("Check and import…", icon=":material/upload:", key=f"camp_import_btn_{chosen_id}", on_click=_import,
                  args=(chosen_id,), disabled=closed or chosen_file is None,
                  help="Reopen the campaign first." if closed else "The file is checked first; nothing is stored "
                  "until you confirm." if chosen_file else "Choose a CSV file above first.")
    outcome = st.session_state.pop(IMPORT_OUTCOME, None)
    if outcome is not None and outcome["campaign_id"] == chosen_id:
        count = outcome.get("total", len(outcome["problems"]))
        st.error(f"**{md_escape(outcome['name'] or 'The upload')}** was not imported — nothing was stored. "
                 f"{count} problem{'s' if count != 1 else ''} to fix:\n\n" + "\n".join(f"- {md_code(p)}" for p in outcome["problems"]),
                 icon=":material/error:")
    with st.expander("Columns this campaign accepts"):
        st.dataframe(pd.DataFrame([{"Column": "group", "Values": ", ".join(f"{g} ({n})" for g, n in groups.items())}] + [{
            "Column": item.id, "Values": "; ".join(f"{c}={lab}" for c, lab in instrument.value_labels(item).items())
            or {"numeric": "a number", "text": "any text"}.get(item.type, ""),
        } for item in instrument.items]), hide_index=True, width="stretch", key=f"camp_import_columns_{chosen_id}")

with export_tab:
    st.markdown("All responses of this campaign, one row per response, with a codebook (Excel) or value labels (SPSS).")
    # on by default: the file a first tap downloads (on a shared or mobile device too) is the one without personal data
    apply_threshold = st.checkbox(
        "Apply the reporting threshold (what leadership may download)", value=True, key=f"camp_export_threshold_{chosen_id}",
        help="On: small groups, identifying answers and ids are left out, and comments appear apart, as for any other "
             "role. Off: every response with its id and free text — administrators only, and each download is logged.")
    exclude_flagged = st.checkbox("Leave out responses with quality flags", key=f"camp_export_flagged_{chosen_id}",
                                  help="Straight-lining, implausibly fast completion, out-of-range numbers. Nothing is deleted.")
    campaign_downloads(chosen_id, privileged=not apply_threshold, exclude_flagged=exclude_flagged, key="camp_export")
