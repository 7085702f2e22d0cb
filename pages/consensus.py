"""Consensus: the lead assessor reconciles the assessors' ratings.

Per capability the assessors' levels side by side with median, spread and the disagreement flag
(flagged first), their evidence and confidence; overrides with a written rationale and their
history; who has submitted (and reopening a submission); inter-rater reliability. Administrators
see everything and may reopen submissions; only the assessment's lead assessor may override.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assessment import service
from assessment.service import DISAGREEMENT_SPREAD, AssessmentError
from itcap import insights
from itcap.accounts import ADMIN, LEAD_ASSESSOR
from capability_model.positioning import RATING_NAMES, attainment_percent
from itcap.charts import maturity_rows_chart, radar_chart
from itcap.storage import session_scope
from itcap.ui import auth, widgets
from itcap.ui.downloads import chart_for_screen
from itcap.ui.text import md_escape

account = auth.require_role(LEAD_ASSESSOR, ADMIN)

def _reopen(assessment_id: int, account_id: int, name: str) -> None:
    st.session_state.pop("cons_confirm_reopen", None)
    actor = auth.current_account()
    if actor is None or actor.id != account.id:
        return
    try:
        with session_scope() as session:
            service.reopen_submission(session, assessment_id, account_id, actor=actor)
        widgets.flash(f"{md_escape(name)}'s ratings are reopened: they can change them and submit again.")
    except AssessmentError as exc:
        widgets.flash(md_escape(exc), "error")


def _set_status(assessment_id: int, status: str) -> None:
    actor = auth.current_account()
    if actor is None or actor.id != account.id:
        return
    try:
        with session_scope() as session:
            service.set_status(session, assessment_id, status, actor=actor)
        widgets.flash("The assessment is closed: ratings, submissions and the consensus are final." if status == service.CLOSED
                      else "The assessment is open again: assessors can rate and you can decide.")
    except AssessmentError as exc:
        widgets.flash(md_escape(exc), "error")


_PUT_BACK = "Your session timed out before this rationale was sent. It is back in the box: check it, then send it."


def _decision_mark(c: service.CapabilityConsensus) -> str:
    if not c.overridden:
        return ""
    return " (median confirmed)" if c.median_confirmed else " (override)"


def _decide(assessment_id: int, capability_id: str, capability_name: str, withdraw: bool, seen_decision_id: int | None,
            median: float | None = None) -> None:
    """Form callback: record an override (or its withdrawal) with the rationale typed."""
    actor = auth.current_account()
    if actor is None or actor.id != account.id:
        return
    prefix = f"cons_{'withdraw' if withdraw else 'override'}_{assessment_id}_{capability_id}"
    level = None if withdraw else st.session_state.get(f"{prefix}_level")
    rationale = st.session_state.get(f"{prefix}_rationale") or ""
    # The outcome is shown by the form, not at the top of a long page where nobody would see it.
    outcome = f"cons_outcome_{assessment_id}_{capability_id}"
    try:
        with session_scope() as session:
            service.override_consensus(session, assessment_id, capability_id, level, rationale, actor=actor,
                                       seen_decision_id=seen_decision_id)
    except AssessmentError as exc:
        st.session_state[outcome] = ("error", f"{md_escape(capability_name)}: {md_escape(exc)}", f"{capability_name}: {exc}")
        return
    if withdraw:
        done = "decision withdrawn, back to the median."  # an override or a confirmed median
    elif median == level:
        done = f"the median, level {level}, is confirmed as the consensus."
    else:
        done = f"consensus set to level {level}."
    st.session_state[outcome] = ("success", f"{md_escape(capability_name)}: {done}", f"{capability_name}: {done}")
    st.session_state[f"{prefix}_rationale"] = ""
    if withdraw:  # the level box shows the consensus again (the median), not the withdrawn level
        st.session_state.pop(f"cons_override_{assessment_id}_{capability_id}_level", None)


st.title("Consensus", anchor=False)

with session_scope() as session:
    if account.has_role(ADMIN):
        assessments = service.list_assessments(session)
    else:
        assessments = [a for a in service.list_assessments(session, account_id=account.id)
                       if service.is_lead(session, a.id, account)]
if not assessments:
    if account.has_role(ADMIN):
        st.info("There are no assessments yet. Create one on the **Assessments** page.")
    else:
        st.info("You are not the lead assessor of any assessment. An administrator can make you the lead of an "
                "assessment on the **Assessments** page.")
    st.stop()

assessment = widgets.pick_assessment(assessments, key="cons_assessment")
with session_scope() as session:
    model = service.model_for(session, assessment)
    people = service.assessors(session, assessment.id)
    progress = service.progress(session, assessment.id)
    capability_consensus = service.consensus(session, assessment.id)
    # decisions in force that a level changed, or an assessor's removal, came after: the lead is told; nothing changes by itself
    outdated = service.outdated_decisions(session, assessment.id)
    ratings = service.all_ratings(session, assessment.id)
    reliability = service.assessment_reliability(session, assessment.id)
    position = service.assessment_position(session, assessment.id)
    is_lead = service.is_lead(session, assessment.id, account)

is_open = assessment.status == service.OPEN
can_override = is_lead and is_open
can_reopen = (is_lead or account.has_role(ADMIN)) and is_open
# unique labels: two "John Smith"s, or an assessor called "Median", each keep their own column
names = service.assessor_labels(people, reserved=("Capability", "Flag", "Consensus", "Median", "Spread"))
lead_name = next((p.display_name for p in people if p.is_lead), "—")
evidence = {(r.capability_id, username): r for r, username in ratings}
submitted_names = {p.username for p in progress if p.submitted}
capabilities = {c.id: c for c in model.capabilities}

widgets.show_flash()
if not is_open:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.info("This assessment is closed: the consensus can no longer change.", icon=":material/lock:", width="stretch")
        if is_lead:
            st.button("Reopen assessment", icon=":material/lock_open:", key=f"cons_reopen_assessment_{assessment.id}",
                      on_click=_set_status, args=(assessment.id, service.OPEN))
elif not is_lead:
    st.info(f"You are viewing as an administrator. Only the lead assessor, **{md_escape(lead_name)}**, can override the "
            "consensus; you can reopen an assessor's submission.", icon=":material/visibility:")

flagged = [c for c in capability_consensus if c.flagged]
decided = sum(1 for c in flagged if c.decided)
submitted = sum(1 for p in progress if p.submitted)
# a mode's name comes from an uploaded model: escaped, as every typed text shown through markdown
position_name = md_escape(model.mode(position.position).name) if position.position != "none" else "None"
metrics = st.container(horizontal=True)
metrics.metric("Submitted", f"{submitted} of {len(progress)}", border=True)
metrics.metric("Flagged", len(flagged), border=True, delta=f"{decided} decided" if flagged else None, delta_color="off",
               delta_arrow="off",
               help=f"Capabilities whose levels are {DISAGREEMENT_SPREAD} or more apart. Decided = the lead assessor has "
                    "set the consensus with a rationale (or confirmed the median).")
metrics.metric("Overrides in force", sum(1 for c in capability_consensus if c.overridden and not c.median_confirmed),
               border=True, help="Levels set in place of the assessors' median. A median confirmed after discussion is a "
                                 "decision, not an override: it counts under Flagged → decided.")
metrics.metric("Position", position_name, border=True,
               delta=None if position.confidence is None else insights.stability_text(position.confidence), delta_color="off",
               delta_arrow="off",
               help="The highest operating mode achieved on the current consensus (overrides included). Stable in … = "
                    "the share of bootstrap resamples of the assessors that give the same position (not a statistical "
                    "confidence level).")
if outdated and is_open:
    which = "that decision" if len(outdated) == 1 else f"{len(outdated)} of the lead assessor's decisions"
    st.warning(f"**An assessor's level changed, or an assessor was removed, after {which}:** "
               + ", ".join(md_escape(capabilities[cap].name) for cap in sorted(outdated, key=model.capability_ids.index))
               + f". Check that {'it' if len(outdated) == 1 else 'each'} still holds (below): decide again — the same level, with a rationale, says it "
                 "does — or withdraw it.", icon=":material/update:")

if can_override:  # the lead says when the panel is done: the dashboard calls the position provisional until then
    waiting = len(progress) - submitted
    text, action = st.columns([3, 1], vertical_alignment="center")
    close_asked = st.container()  # the question at the page's width, below the row (not in the narrow column)
    text.caption("When the panel is done, close the assessment: the position stops being provisional on the "
                 "dashboard and in the report, and nothing can change any more (you can reopen it).")
    # what closing would freeze unfinished, said before it is frozen (a disagreement nobody decided stays so)
    undecided = [c for c in flagged if not c.decided]
    unfinished = ([f"{waiting} of {len(progress)} assessors {'has' if waiting == 1 else 'have'} not submitted"] if waiting else []) + (
        [f"{len(undecided)} flagged capabilit{'y has' if len(undecided) == 1 else 'ies have'} no decision ("
         + ", ".join(md_escape(capabilities[c.capability_id].name) for c in undecided) + ")"] if undecided else []) + (
        [f"{len(outdated)} decision{' is' if len(outdated) == 1 else 's are'} to check: levels changed after "
         f"{'it' if len(outdated) == 1 else 'them'}"] if outdated else [])
    widgets.ask_first("Close assessment", key=f"cons_close_{assessment.id}", icon=":material/lock:", at=action,
                      panel=close_asked,
                      question="Close this assessment? Ratings, submissions and the consensus are frozen as they are"
                               + (" — " + "; ".join(unfinished) + "." if unfinished else "."),
                      confirm_label="Close the assessment", on_confirm=_set_status, args=(assessment.id, service.CLOSED))

# -- assessors ----------------------------------------------------------------------------------------
st.subheader("Assessors", anchor=False)
for person in progress:
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        lead_mark = ", the lead assessor" if person.is_lead else ""  # not "(lead · lead assessor)" for a user called lead
        st.markdown(f"**{md_escape(person.display_name)}** ({md_escape(person.username)}){lead_mark}", width="stretch")
        extra = f", {person.not_rated} marked not rated" if person.not_rated else ""
        st.markdown(f"{person.rated} of {person.total} rated{extra}", width="stretch")
        if person.submitted:
            st.markdown(f":green[:material/lock: Submitted {widgets.when(person.submitted_at)}]", width="stretch")
            if can_reopen and st.session_state.get("cons_confirm_reopen") != person.account_id:
                st.button("Reopen…", key=f"cons_reopen_{person.account_id}", icon=":material/lock_open:",
                          help="Unlock this assessor's ratings so they can change them (recorded in the audit log).",
                          on_click=lambda who: st.session_state.update(cons_confirm_reopen=who), args=(person.account_id,))
        else:
            st.markdown(":orange[:material/edit: In progress]", width="stretch")
    if person.submitted and can_reopen and st.session_state.get("cons_confirm_reopen") == person.account_id:
        with st.container(border=True):
            st.markdown(f"Reopen **{md_escape(person.display_name)}**'s ratings? They go back to *in progress*: "
                        f"{md_escape(person.display_name)} can change them and must submit again, and neither you nor an "
                        "administrator can lock them in their place.")
            confirm, cancel = st.columns(2)
            confirm.button("Reopen their ratings", type="primary", key=f"cons_reopen_confirm_{person.account_id}",
                           width="stretch", on_click=_reopen, args=(assessment.id, person.account_id, person.display_name))
            cancel.button("Cancel", key=f"cons_reopen_cancel_{person.account_id}", width="stretch",
                          on_click=lambda: st.session_state.pop("cons_confirm_reopen", None))

# -- capabilities side by side -----------------------------------------------------------------------
st.subheader("Ratings side by side", anchor=False)
st.caption(f"Flagged capabilities first (levels {DISAGREEMENT_SPREAD} or more apart). Consensus = the median of the "
           "levels given, unless the lead assessor has set it; the assessors' own levels follow.")
ordered = sorted(capability_consensus, key=lambda c: not c.flagged)  # stable: model order within each
table = []
for c in ordered:
    # The decision columns before the assessors' own: on a phone they are the ones in view.
    row = {"Capability": capabilities[c.capability_id].name, "Flag": "⚠" if c.flagged else ""}
    row["Consensus"] = "—" if c.effective is None else f"{c.effective:g}" + _decision_mark(c)
    row["Median"] = "—" if c.median is None else f"{c.median:g}"
    row["Spread"] = "—" if c.spread is None else str(c.spread)
    for username, name in names.items():
        level = c.levels.get(username)
        row[name] = "—" if level is None else str(level)
    table.append(row)
# The capability stays in view when the assessors' columns scroll sideways. Streamlit unpins columns
# wider than 60% of the table, so a phone gets a narrower one (long names end in "…"; a tap shows them).
for container, width, suffix in zip(widgets.wide_and_phone("cons-table"), (290, 170), ("", "_phone")):
    container.dataframe(pd.DataFrame(table), hide_index=True, key=f"cons_table{suffix}", height=38 + 35 * len(table),
                        column_config={"Capability": st.column_config.TextColumn(width=width, pinned=True),
                                       "Flag": st.column_config.TextColumn(width=45, help=f"⚠ = levels {DISAGREEMENT_SPREAD} or more apart")})

st.subheader("Evidence and decisions", anchor=False)
said = None  # what a decision came to, for a screen reader too
for c in ordered:
    capability = capabilities[c.capability_id]
    median = "no ratings" if c.median is None else f"median {c.median:g}"
    label = f"{md_escape(capability.name)} — {median}" + ("" if c.spread is None else f", spread {c.spread}")
    if c.overridden:
        label += " · median confirmed" if c.median_confirmed else f" · consensus {c.override.level} (override)"
    # a decision the levels have moved on from: said at the top, and findable (open, marked) here
    recheck = c.capability_id in outdated and is_open
    if recheck:
        label += " · check: levels changed"
        icon = ":material/update:"
    elif c.flagged and not c.decided:
        icon = ":material/warning:"
    elif c.overridden:
        icon = ":material/gavel:"
    else:
        icon = ":material/check:" if c.median is not None else ":material/hourglass_empty:"
    outcome = st.session_state.pop(f"cons_outcome_{assessment.id}_{c.capability_id}", None)
    with st.expander(label, icon=icon, expanded=(c.flagged and not c.overridden) or recheck or outcome is not None):
        st.caption(f"{md_escape(model.domain_name(capability.domain))} · {md_escape(capability.description)}")
        for username, name in names.items():
            rating = evidence.get((c.capability_id, username))
            level = None if rating is None else rating.level
            confidence = f" · confidence {md_escape(rating.confidence)}" if rating is not None and rating.confidence else ""
            # "not rated" only when chosen; evidence without a level, or nothing yet, is work still to do
            shown = (widgets.level_text(model, level) if rating is not None and rating.decided
                     else "no level given" if username in submitted_names else "no level yet")
            st.markdown(f"**{md_escape(name)}** — {md_escape(shown)}{confidence}")
            widgets.plain_text(rating.evidence if rating else "", empty="No evidence written.")
        if c.overridden:
            o = c.override
            how = ("the median, confirmed" if c.median_confirmed
                   else f"set in place of the median, {md_escape(widgets.level_text(model, c.median))},")
            st.markdown(f"**Consensus in force: {md_escape(widgets.level_text(model, o.level))}** — {how} by "
                        f"{md_escape(names.get(o.decided_by, o.decided_by))} on {widgets.when(o.decided_at)}. Rationale:")
            widgets.plain_text(o.rationale)
            if c.capability_id in outdated and is_open:
                st.warning(f"An assessor's level for this capability changed, or an assessor was removed, after this decision (last on "
                           f"{widgets.when(outdated[c.capability_id])}): check that it still holds.", icon=":material/update:")
        if outcome is not None:  # right above the button that was pressed
            (st.error if outcome[0] == "error" else st.success)(outcome[1])
            said = outcome[2]
        if can_override:
            seen = c.history[-1].id if c.history else None  # a decision recorded after this is not overwritten
            prefix = f"cons_override_{assessment.id}_{c.capability_id}"
            if auth.restore_typed_text(f"{prefix}_rationale", ""):
                st.warning(_PUT_BACK, icon=":material/history:")
            with st.form(prefix, border=True):
                start = c.effective if c.effective is not None else model.min_level
                levels = model.level_values
                default = min(levels, key=lambda v: (abs(v - start), v))
                st.selectbox("Consensus level", levels, index=levels.index(default), key=f"{prefix}_level",
                             format_func=lambda v: widgets.level_text(model, v))
                st.text_area("Rationale (required)", key=f"{prefix}_rationale", max_chars=service.MAX_RATIONALE_CHARS,
                             placeholder=("Why this level? Cite the evidence. To keep the median after discussing it, "
                                          "choose its level and say why." if c.flagged and not c.decided
                                          else "Why should the consensus differ from the median? Cite the evidence."))
                st.form_submit_button("Set consensus", key=f"{prefix}_submit", on_click=_decide,
                                      args=(assessment.id, c.capability_id, capability.name, False, seen, c.median))
            if c.overridden:
                prefix = f"cons_withdraw_{assessment.id}_{c.capability_id}"
                if auth.restore_typed_text(f"{prefix}_rationale", ""):
                    st.warning(_PUT_BACK, icon=":material/history:")
                with st.form(prefix, border=True):
                    # a confirmed median is a decision, not an override: the words say which is withdrawn
                    what = "decision" if c.median_confirmed else "override"
                    st.text_area(f"Why withdraw the {what}? (required)", key=f"{prefix}_rationale",
                                 max_chars=service.MAX_RATIONALE_CHARS)
                    st.form_submit_button(f"Withdraw {what}", key=f"{prefix}_submit", on_click=_decide,
                                          args=(assessment.id, c.capability_id, capability.name, True, seen))
        if c.history:
            # a list, not a table: a rationale is a paragraph, and a table column cuts it off on a phone
            st.markdown("**History**, newest first")
            for o in reversed(c.history):
                decision = "withdrawn" if o.level is None else md_escape(widgets.level_text(model, o.level))
                st.markdown(f"{widgets.when(o.decided_at)} · **{decision}** · "
                            f"{md_escape(names.get(o.decided_by, o.decided_by))}")
                widgets.plain_text(o.rationale)

# a rationale goes to the server only with its form's button: closing the tab with one half written asks first
widgets.run_script(widgets.ask_before_leaving_unsent("cons_override_", "cons_withdraw_"))
if said is not None:
    # the message is not announced (the page reran, focus went to the page): said from a live region
    widgets.run_script(widgets.announce_script(said))

# -- reliability ----------------------------------------------------------------------------------------
st.subheader("Inter-rater reliability", anchor=False)
st.caption(f"{reliability.n_assessors} assessor{'s' if reliability.n_assessors != 1 else ''} with ratings, "
           f"{reliability.n_capabilities} capabilities; ICC uses the "
           f"{reliability.n_capabilities_icc} rated by every assessor, Krippendorff's α uses every capability rated "
           "by at least two.")
if verdict := insights.reliability_verdict(reliability):
    st.markdown(md_escape(verdict))
st.table(insights.reliability_table(reliability).set_index("Statistic"))
for note in reliability.notes:
    st.caption(note)
with st.expander("What the numbers mean", icon=":material/help:"):
    st.markdown(
        f"- **Median** — the middle of the levels given (not rated left out); 2.5 means between 2 and 3.\n"
        f"- **Spread** — highest minus lowest level given; {DISAGREEMENT_SPREAD} or more is flagged for discussion.\n"
        "- **ICC** — how much of the difference between levels comes from real differences between capabilities "
        "rather than from the assessors; below 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, above 0.9 excellent "
        "(Koo & Li 2016).\n"
        "- **95% CI** — the range the ICC plausibly lies in; with few assessors it is wide, so read its lower end.\n"
        "- **Krippendorff's α** — 1 is perfect agreement, 0 is what chance would give; 0.8 or more is reliable, "
        "0.667–0.8 allows tentative conclusions (Krippendorff 2004).\n"
        + (f"- **Stability of the position** (\"stable in …%\") — the share of {position.resampling} that give the same operating mode."
           if position.confidence is not None else
           "- **Stability of the position** — how often resamples of the assessors give the same operating mode; it "
           "needs at least two assessors who have rated, so none is given yet."))

# -- consensus against the modes' targets ----------------------------------------------------------------
st.subheader("Consensus against the operating modes", anchor=False)
next_mode = position.next_mode
summary = f"On the current consensus the IT function achieves **{position_name}**"
if position.confidence is not None:
    summary += f" ({insights.stability_text(position.confidence)})"
summary += "."
if next_mode is not None:
    summary += (f" Next mode: **{md_escape(next_mode.name)}**, rated {next_mode.rating} — {RATING_NAMES[next_mode.rating].lower()}, "
                f"{attainment_percent(100 * next_mode.attainment)} of its targets attained — with "
                f"{len(next_mode.gaps)} capabilit{'y' if len(next_mode.gaps) == 1 else 'ies'} below target.")
st.markdown(summary)
series = {"Consensus": position.consensus}
for mode in model.ordered_modes:
    series[f"{mode.name} target"] = {cap: float(level) for cap, level in mode.targets.items()}
# Full names, wrapped by the chart as on the dashboard (not cut short: "Business relationship m…").
spokes = [(c.id, c.name) for c in model.capabilities]
chart_for_screen(radar_chart(spokes, series, model.max_level, min(0, model.min_level - 1)), "cons_radar",
                 phone=maturity_rows_chart(spokes, series, model.max_level, model.min_level))
