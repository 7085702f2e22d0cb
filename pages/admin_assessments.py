"""Assessments: create one (organisation unit, model, date, assessors, lead), follow the assessors'
progress, change who assesses and who leads, close or reopen it, and download all its data.

The rules — who may do what, and when — are ``assessment.service``'s; every change it makes is
audited there. This page reads input and shows the outcome.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from assessment import service
from assessment.service import CLOSED, OPEN, AssessmentError
from capability_model.store import list_models
from itcap import accounts
from itcap.accounts import ADMIN, ASSESSOR, LEAD_ASSESSOR
from itcap.storage import session_scope, today
from itcap.ui import auth, widgets
from itcap.ui.data_downloads import assessment_downloads
from itcap.ui.text import md_escape

account = auth.require_role(ADMIN)


def _actor():
    actor = auth.current_account()
    if actor is None or actor.id != account.id or not actor.has_role(ADMIN):
        return None
    return actor


def _create() -> None:
    actor = _actor()
    if actor is None:
        return
    state = st.session_state
    assessor_ids = list(state.get("asmt_new_assessors") or [])
    lead_id = state.get("asmt_new_lead")
    missing = [what for what, given in (("give it a name", (state.get("asmt_new_name") or "").strip()),
                                        ("give its organisation unit", (state.get("asmt_new_unit") or "").strip()),
                                        ("choose a lead assessor", lead_id is not None)) if not given]
    if missing:  # all at once, not one per press
        widgets.flash(f"Not created: {'; '.join(missing)}.", "error")
        st.session_state["asmt_create_again"] = True  # keep the form open on the fields to fix
        return
    try:
        with session_scope() as session:
            created = service.create_assessment(
                session, name=state.get("asmt_new_name") or "", org_unit=state.get("asmt_new_unit") or "",
                model_id=state.get("asmt_new_model"), assessed_on=state.get("asmt_new_date") or today(),
                assessor_ids=assessor_ids, lead_id=lead_id, actor=actor)
            created_id, name = created.id, created.name
    except AssessmentError as exc:
        widgets.flash(f"Not created: {md_escape(exc)}.", "error")
        st.session_state["asmt_create_again"] = True
        return
    widgets.flash(f"Assessment **{md_escape(name)}** created. Its assessors now see it under *Score capabilities*.")
    state["asmt_selected"] = created_id
    state["asmt_new_name"] = ""
    state["asmt_new_assessors"] = []


def _pick(session, account_id: int | None, missing: str):
    person = accounts.get_account(session, account_id) if account_id is not None else None
    if person is None:
        raise AssessmentError(missing)
    return person


def _change(assessment_id: int, action: str) -> None:
    actor = _actor()
    if actor is None:
        return
    state = st.session_state
    try:
        with session_scope() as session:
            if action == "add":
                person = _pick(session, state.get(f"asmt_add_{assessment_id}"), "choose an account to add")
                service.add_assessor(session, assessment_id, person.id, actor=actor)
                message = f"{md_escape(person.display_name)} is now an assessor of this assessment."
            elif action == "remove":
                chosen = state.get(f"asmt_remove_{assessment_id}")
                if chosen != state.get(f"asmt_confirm_remove_{assessment_id}"):  # the choice changed after "Remove…"
                    raise AssessmentError("the assessor chosen changed after Remove… was pressed; nobody was removed")
                person = _pick(session, chosen, "choose an assessor to remove")
                deleted = service.remove_assessor(session, assessment_id, person.id, actor=actor)
                message = f"{md_escape(person.display_name)} is no longer an assessor; {deleted} of their ratings were deleted."
            elif action == "lead":
                person = _pick(session, state.get(f"asmt_lead_{assessment_id}"), "choose the new lead assessor")
                service.set_lead(session, assessment_id, person.id, actor=actor)
                message = f"{md_escape(person.display_name)} now leads this assessment."
            elif action in (OPEN, CLOSED):
                service.set_status(session, assessment_id, action, actor=actor)
                message = ("The assessment is closed: ratings, submissions and overrides can no longer change."
                           if action == CLOSED else "The assessment is open again.")
            elif action == "details":
                service.update_details(session, assessment_id, name=state.get(f"asmt_name_{assessment_id}") or "",
                                       org_unit=state.get(f"asmt_unit_{assessment_id}") or "",
                                       assessed_on=state.get(f"asmt_date_{assessment_id}"), actor=actor)
                message = "The assessment's details are saved."
            elif action == "reopen_submission":
                person = _pick(session, state.get(f"asmt_unlock_{assessment_id}"), "choose whose submission to reopen")
                service.reopen_submission(session, assessment_id, person.id, actor=actor)
                message = f"{md_escape(person.display_name)}'s ratings are unlocked: they can change them and submit again."
            else:
                raise AssessmentError(f"unknown action {action!r}")
    except AssessmentError as exc:
        widgets.flash(f"Not done: {md_escape(exc)}.", "error")
        return
    for key in ("confirm_remove", "add", "remove", "lead", "unlock"):
        state.pop(f"asmt_{key}_{assessment_id}", None)  # the choices made no longer apply
    widgets.flash(message)


st.title("Assessments", anchor=False)
st.caption("An assessment scores one organisation unit against a capability model on a date. Its assessors rate "
           "every capability; its lead assessor reconciles disagreements on the *Consensus* page.")
widgets.show_flash()

with session_scope() as session:
    models = list_models(session)
    people = [a for a in accounts.list_accounts(session) if a.is_active]
    assessments = service.list_assessments(session)
    # the newest version of each model first (the default choice); older ones say so
    newest = {m.key: m.id for m in models}  # listed oldest first within a key
    model_names = {m.id: f"{m.name} · {m.key} v{m.version}" + ("" if newest[m.key] == m.id else " (an older version)")
                   for m in sorted(models, key=lambda m: (m.key, m.id != newest[m.key], -m.id))}
    model_keys = {m.id: f"{m.key} v{m.version}" for m in models}
eligible = {a.id: a for a in people if a.has_role(ASSESSOR, LEAD_ASSESSOR)}
leads = {a.id: a for a in people if a.has_role(LEAD_ASSESSOR)}


def _person(i: int) -> str:
    a = eligible.get(i) or leads.get(i)
    return f"{a.display_name} ({a.username})" if a else str(i)


# -- create ---------------------------------------------------------------------------------------------
with st.expander("Create an assessment", expanded=not assessments or st.session_state.pop("asmt_create_again", False),
                 icon=":material/add_circle:"):
    missing = []
    if not models:
        missing.append("a **capability model** (Administration → Models & instruments)")
    if not leads:
        missing.append("an account with the **lead assessor** role (Administration → Accounts)")
    if missing:
        st.info("An assessment needs " + " and ".join(missing) + ". Add it first, then come back here.",
                icon=":material/info:")
    else:
        with st.form("asmt_create", border=False):
            # a row of columns per pair of fields: on a phone they stack in reading order
            left, right = st.columns(2)
            left.text_input("Name", key="asmt_new_name", max_chars=200, placeholder="e.g. IT capability review 2026")
            right.text_input("Organisation unit", key="asmt_new_unit", max_chars=200, placeholder="e.g. Corporate IT")
            left, right = st.columns(2)
            left.selectbox("Capability model", list(model_names), format_func=model_names.get, key="asmt_new_model")
            right.date_input("Assessment date", value=today(), key="asmt_new_date", format="DD/MM/YYYY",
                             max_value=today() + dt.timedelta(days=service.MAX_DAYS_AHEAD))
            left, right = st.columns(2)
            left.multiselect("Assessors", list(eligible), format_func=_person, key="asmt_new_assessors",
                             help="Accounts with the assessor or lead assessor role. Three or more give reliable "
                                  "agreement statistics.")
            right.selectbox("Lead assessor", list(leads), format_func=_person, key="asmt_new_lead", index=None,
                            placeholder="Choose the lead",
                            help="Reconciles disagreements and may override the consensus with a written rationale. "
                                 "Added as an assessor if not chosen above.")
            st.form_submit_button("Create assessment", type="primary", icon=":material/add_circle:", on_click=_create)
        if len(eligible) < 2:
            st.caption("Tip: only one account can assess so far. Give more people the assessor role under "
                       "Administration → Accounts.")

if not assessments:
    st.info("No assessments yet. Create the first one above: choose the model, the date, the assessors and the lead. "
            "The assessors then score the capabilities on *Score capabilities*.", icon=":material/info:")
    st.stop()

# -- list -------------------------------------------------------------------------------------------------
st.subheader("All assessments", anchor=False)
with session_scope() as session:
    summaries = {a.id: service.assessment_summary(session, a.id) for a in assessments}
st.dataframe(pd.DataFrame([{
    # status and progress first: on a phone only the first columns are in view
    "Id": a.id, "Name": a.name, "Status": a.status,
    "Submitted": f"{summaries[a.id]['submitted']} of {summaries[a.id]['assessors']}",
    "Organisation unit": a.org_unit, "Date": a.assessed_on, "Model": model_keys.get(a.model_id, a.model_id),
    "Lead": summaries[a.id]["lead"] or "", "Assessors": summaries[a.id]["assessors"], "Ratings saved": summaries[a.id]["ratings"],
} for a in assessments]), hide_index=True, width="stretch", key="asmt_table",
    column_config={"Date": st.column_config.DateColumn(format="D MMM YYYY")})

# -- one assessment ----------------------------------------------------------------------------------------
st.subheader("Manage an assessment", anchor=False)
by_id = {a.id: a for a in assessments}
if st.session_state.get("asmt_selected") not in by_id:
    st.session_state["asmt_selected"] = assessments[0].id
chosen_id = st.selectbox("Assessment", list(by_id), format_func=lambda i: widgets.assessment_label(by_id[i]), key="asmt_selected")
assessment = by_id[chosen_id]
with session_scope() as session:
    progress = service.progress(session, chosen_id)
    every_account = {a.id: a for a in accounts.list_accounts(session)}
is_open = assessment.status == OPEN


def _standing(p: service.Progress) -> str:
    """What stops an assessor of this assessment from acting, if anything (their account changed since)."""
    who = every_account.get(p.account_id)
    if who is None or not who.is_active:
        return "account disabled"
    if not who.has_role(ASSESSOR, LEAD_ASSESSOR):
        return "no assessor role"
    if p.is_lead and not who.has_role(LEAD_ASSESSOR):
        return "lead without the lead assessor role"
    return ""

status, action = st.columns([3, 1], vertical_alignment="center")
asked = st.container()  # the confirmation, below the status line
if is_open:
    status.markdown(f":green[:material/lock_open: **Open**] · {sum(p.submitted for p in progress)} of {len(progress)} "
                    "assessors have submitted")
    widgets.ask_first("Close assessment", key=f"asmt_close_{chosen_id}", icon=":material/lock:", at=action, panel=asked,
                      help="No more ratings, submissions or overrides. You can reopen it.",
                      question="Close this assessment? Ratings, submissions and the consensus are frozen as they are "
                               f"({sum(p.submitted for p in progress)} of {len(progress)} assessors have submitted); "
                               "an administrator can reopen it.",
                      confirm_label="Close the assessment", on_confirm=_change, args=(chosen_id, CLOSED))
else:
    status.markdown(":gray[:material/lock: **Closed**] · ratings and consensus are frozen")
    action.button("Reopen assessment", icon=":material/lock_open:", key=f"asmt_reopen_assessment_{chosen_id}", width="stretch",
                  on_click=_change, args=(chosen_id, OPEN))

st.dataframe(pd.DataFrame([{
    "Assessor": p.display_name, "Username": p.username, "Lead": p.is_lead, "Rated": p.rated, "Marked not rated": p.not_rated,
    "Still to do": p.total - p.rated - p.not_rated, "Of": p.total, "Progress": p.share, "Submitted": widgets.when(p.submitted_at) if p.submitted_at else "",
    "Account": _standing(p),
} for p in progress]), hide_index=True, width="stretch", key=f"asmt_progress_{chosen_id}",
    column_config={"Lead": st.column_config.CheckboxColumn(), "Progress": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)})

with st.expander("Name, organisation unit and date", icon=":material/edit:"):
    # the unit and date place it in a trend and decide which assessment the dashboard opens on: a typo matters
    with st.form(f"asmt_details_{chosen_id}", border=False):
        left, middle, right = st.columns(3)
        left.text_input("Name", value=assessment.name, key=f"asmt_name_{chosen_id}", max_chars=200)
        units = sorted({a.org_unit for a in assessments})
        middle.selectbox("Organisation unit", units, index=units.index(assessment.org_unit), key=f"asmt_unit_{chosen_id}",
                         accept_new_options=True,
                         help="Assessments of the same unit and model form the dashboard's trend: pick the unit as "
                              "written before, or type a new one.")
        right.date_input("Assessment date", value=assessment.assessed_on, key=f"asmt_date_{chosen_id}", format="DD/MM/YYYY",
                         max_value=today() + dt.timedelta(days=service.MAX_DAYS_AHEAD))
        st.form_submit_button("Save details", icon=":material/save:", on_click=_change, args=(chosen_id, "details"))

stuck = [f"{md_escape(p.display_name)} ({_standing(p)})" for p in progress if _standing(p)]
if stuck and is_open:
    st.warning("Some assessors' accounts changed since they were added: " + "; ".join(stuck) + ". Their saved ratings "
               "still count. Remove them below, make another assessor lead, or restore the account on the Accounts page.",
               icon=":material/warning:")

members = {p.account_id: p for p in progress}
# Keyed, with its state tracked: a message drawn above it (after Add, Remove…) would otherwise
# remount it closed, hiding the buttons just used.
with st.expander("Assessors and lead", icon=":material/group:", expanded=False, key=f"asmt_members_{chosen_id}",
                 on_change="rerun"):
    if not is_open:
        st.caption("The assessment is closed: reopen it to change its assessors.")
    add_col, remove_col = st.columns(2, gap="large")
    candidates = [i for i in eligible if i not in members]
    with add_col:
        st.selectbox("Add an assessor", candidates, format_func=_person, key=f"asmt_add_{chosen_id}", index=None,
                     placeholder="Choose an account" if candidates else "Everyone who can assess is already in",
                     disabled=not (is_open and candidates))
        st.button("Add", icon=":material/person_add:", key=f"asmt_add_btn_{chosen_id}", disabled=not (is_open and candidates),
                  on_click=_change, args=(chosen_id, "add"))
    with remove_col:
        removable = [i for i, p in members.items() if not p.is_lead]
        st.selectbox("Remove an assessor", removable, format_func=lambda i: f"{members[i].display_name} ({members[i].username})",
                     key=f"asmt_remove_{chosen_id}", index=None, placeholder="Choose an assessor",
                     disabled=not (is_open and removable),
                     help="Their ratings of this assessment are deleted. The lead cannot be removed: make someone else lead first.")
        confirm_key = f"asmt_confirm_remove_{chosen_id}"  # holds whom "Remove…" was pressed for
        to_remove = st.session_state.get(f"asmt_remove_{chosen_id}")
        if st.session_state.get(confirm_key) not in (None, to_remove):
            st.session_state.pop(confirm_key)  # another assessor chosen since: ask again, about them
        if st.session_state.get(confirm_key) is None or to_remove not in members:
            st.button("Remove…", icon=":material/person_remove:", key=f"asmt_remove_btn_{chosen_id}",
                      disabled=not (is_open and to_remove in members),
                      on_click=lambda k=confirm_key, who=to_remove: st.session_state.update({k: who}))
        else:
            who = members[to_remove]
            given = who.rated + who.not_rated
            submitted = f", submitted {widgets.when(who.submitted_at)}," if who.submitted_at else ""
            ratings = (f"Their {given} rating{'s' if given != 1 else ''} of this assessment{submitted} will be deleted"
                       if given else "They have rated nothing yet")
            st.warning(f"Remove **{md_escape(who.display_name)}** ({md_escape(who.username)})? {ratings}. "
                       "This cannot be undone.", icon=":material/warning:")
            yes, no = st.columns(2)
            yes.button("Remove and delete ratings", type="primary", key=f"asmt_remove_yes_{chosen_id}",
                       on_click=_change, args=(chosen_id, "remove"))
            no.button("Cancel", key=f"asmt_remove_no_{chosen_id}", on_click=lambda k=confirm_key: st.session_state.pop(k, None))
    lead_col, reopen_col = st.columns(2, gap="large")
    with lead_col:
        lead_options = [i for i, p in members.items() if i in leads and not p.is_lead]
        st.selectbox("Make lead", lead_options, format_func=lambda i: f"{members[i].display_name} ({members[i].username})",
                     key=f"asmt_lead_{chosen_id}", index=None,
                     placeholder="Choose an assessor" if lead_options else "No other assessor has the lead assessor role",
                     disabled=not (is_open and lead_options))
        st.button("Change lead", icon=":material/star:", key=f"asmt_lead_btn_{chosen_id}", disabled=not (is_open and lead_options),
                  on_click=_change, args=(chosen_id, "lead"))
    with reopen_col:
        submitted = [i for i, p in members.items() if p.submitted]
        st.selectbox("Reopen a submission", submitted, format_func=lambda i: f"{members[i].display_name} ({members[i].username})",
                     key=f"asmt_unlock_{chosen_id}", index=None, placeholder="Choose an assessor who submitted",
                     disabled=not (is_open and submitted))
        st.button("Unlock their ratings", icon=":material/lock_open:", key=f"asmt_reopen_btn_{chosen_id}",
                  disabled=not (is_open and submitted), on_click=_change, args=(chosen_id, "reopen_submission"))

st.subheader("Download all data", anchor=False)
assessment_downloads(chosen_id, key="asmt_downloads")
