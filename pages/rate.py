"""Score capabilities: an assessor rates each capability against its level descriptors.

Every change is saved as soon as the widget reports it (callbacks call ``assessment.service.update_rating``
with the one field changed):
a level at once, evidence text at each pause in typing and when the box loses focus (Tab, a click
elsewhere, Next, or leaving the page: switching app or tab blurs the box first; closing or reloading
with typing not yet saved asks the browser's "Leave site?" question). Submitting locks the ratings;
the page then shows them read-only.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assessment import service
from assessment.service import AssessmentError
from assessment.tables import CONFIDENCES
from itcap.accounts import ASSESSOR, LEAD_ASSESSOR
from itcap.storage import session_scope
from itcap.ui import auth, widgets
from itcap.ui.text import md_escape

account = auth.require_role(ASSESSOR, LEAD_ASSESSOR)

NOT_RATED = "not rated"
FACET_LABELS = {"people": "People", "process": "Process", "tools": "Tools", "governance": "Governance"}


def _keys(assessment_id: int, capability_id: str) -> tuple[str, str, str]:
    return (f"rate_level_{assessment_id}_{capability_id}", f"rate_evidence_{assessment_id}_{capability_id}",
            f"rate_confidence_{assessment_id}_{capability_id}")


def _save(assessment_id: int, capability_id: str, capability_name: str, changed: str, replace: bool = False) -> None:
    """Widget callback: save the one field (``level``, ``evidence``, ``confidence``) its widget
    changed — not all three: a second tab, open since before a change made in the first, would
    write its stale level and evidence back over it. ``replace``: Save evidence pressed, which
    replaces evidence another tab saved once this one has shown it."""
    actor = auth.current_account()
    if actor is None or actor.id != account.id:
        return
    level_key, evidence_key, confidence_key = _keys(assessment_id, capability_id)
    if changed == "level":
        level = st.session_state.get(level_key)
        if level is None:  # the choice cleared (never by a click on an option): nothing to save
            return
        fields = {"level": None if level == NOT_RATED else int(level)}
    elif changed == "evidence":
        typed = st.session_state.get(evidence_key) or ""
        filled = st.session_state.get(f"{evidence_key}__from")
        if typed == filled:  # nothing typed since the box was filled:
            return  # nothing to save (from a stale tab, "Save evidence" would put back older evidence)
        # typing in a stale tab (a laptop left open, the phone used since) replaced the newer evidence unseen;
        # once shown, only Save evidence replaces it (not a pause in typing on, perhaps not looking)
        was = st.session_state.get(f"{evidence_key}__newer", filled) if replace else filled
        fields = {"evidence": typed} | ({} if was is None else {"evidence_was": was})
    else:
        fields = {"confidence": st.session_state.get(confidence_key)}
    try:
        with session_scope() as session:
            service.update_rating(session, assessment_id, actor, capability_id, **fields)
        if changed == "evidence":
            st.session_state[f"{evidence_key}__from"] = fields["evidence"]  # what the box now holds is saved
            st.session_state.pop(f"{evidence_key}__newer", None)
            st.session_state.pop(f"{evidence_key}__unsaved", None)
        what = {"level": "Not rated" if fields.get("level") is None else f"Level {fields.get('level')}",
                "evidence": "Evidence", "confidence": "Confidence"}[changed]
        st.session_state["rate_saved"] = f"{what} saved for {capability_name}"
    except service.EvidenceChanged as exc:
        # The box keeps what was typed (kept apart too: a box not drawn, another capability open, loses its
        # value); the newer evidence is shown under it, for Save evidence to replace.
        st.session_state[f"{evidence_key}__newer"] = exc.saved
        st.session_state[f"{evidence_key}__unsaved"] = fields["evidence"]
    except service.NotAllowed as exc:  # no longer an assessor of it: the page may now show another assessment
        _refused(assessment_id, capability_name, md_escape(exc), st.session_state.get(evidence_key) if changed == "evidence" else None)
    except AssessmentError as exc:
        with session_scope() as session:
            closed = service.get_assessment(session, assessment_id).status != service.OPEN
            mine = next((a for a in service.assessors(session, assessment_id) if a.account_id == actor.id), None)
        if closed or (mine is not None and mine.submitted_at is not None):
            # closed (or submitted from another tab) meanwhile: the page now draws read-only, and the text in
            # the box would vanish with it — said at the top, with the typed evidence to keep elsewhere
            why = ("the assessment has been closed meanwhile; only the lead assessor or an administrator can reopen it"
                   if closed else "your ratings have been submitted meanwhile (from another tab or device)")
            _refused(assessment_id, capability_name, why, st.session_state.get(evidence_key) if changed == "evidence" else None)
        else:
            st.session_state["rate_error"] = (capability_id, f"Not saved: {exc}")


def _refused(assessment_id: int, capability_name: str, why: str, unsaved: str | None) -> None:
    """A save refused in a way that changes the page (it may now show another assessment, or draw
    read-only): said at the top, with the evidence that was being typed, to keep elsewhere."""
    st.session_state["rate_refused"] = (f"Not saved to **{md_escape(_assessment_name(assessment_id))}**, "
                                        f"{md_escape(capability_name)}: {why}.", unsaved)


def _assessment_name(assessment_id: int) -> str:
    with session_scope() as session:
        return service.get_assessment(session, assessment_id).name


def _decided(rating) -> bool:
    """A level chosen, or "Not rated" chosen — not evidence or a confidence alone."""
    return rating is not None and rating.decided


def _go(position_key: str, capability_id: str) -> None:
    if st.session_state.get(position_key) != capability_id:
        st.session_state["rate_scroll_to_capability"] = True
    st.session_state[position_key] = capability_id
    st.session_state.pop("rate_confirm_submit", None)


JUST_SUBMITTED, LOCK_NOTICE = "rate_just_submitted", "rate_lock_notice"
UNSAVED = "rate_unsaved_evidence"  # drawn while typed evidence is not saved over newer evidence


def _submit(assessment_id: int) -> None:
    actor = auth.current_account()
    if actor is None or actor.id != account.id:
        return
    try:
        with session_scope() as session:
            result = service.submit(session, assessment_id, actor)
        # The page's lock notice says the rest; only what is easy to miss is flashed.
        if result.unrated:
            widgets.flash(f"Submitted with {len(result.unrated)} capabilit{'y' if len(result.unrated) == 1 else 'ies'} "
                          "not rated.", "warning")
        else:  # nothing flashed: the lock notice is brought into view instead (the button was far below it)
            st.session_state[JUST_SUBMITTED] = True
    except AssessmentError as exc:
        widgets.flash(md_escape(exc), "error")
    st.session_state.pop("rate_confirm_submit", None)


st.title("Score capabilities", anchor=False)
refused = st.session_state.pop("rate_refused", None)
if refused is not None:  # said at the top: the capability it was about may no longer be on this page
    st.error(refused[0], icon=":material/block:")
    if refused[1] and refused[1].strip():
        st.caption("The evidence you had typed, to keep elsewhere:")
        widgets.plain_text(refused[1])

with session_scope() as session:
    assessments = service.list_assessments(session, account_id=account.id)
if not assessments:
    st.info("You are not an assessor of any assessment yet. Ask an administrator (or a lead assessor) to add "
            "you to an assessment on the **Assessments** page; it will then appear here.")
    st.stop()

assessment = widgets.pick_assessment(assessments, key="rate_assessment")
with session_scope() as session:
    model = service.model_for(session, assessment)
    mine = service.ratings_of(session, assessment.id, account.id)
    people = service.assessors(session, assessment.id)
    lead_now = service.is_lead(session, assessment.id, account)  # the role too: the Consensus page needs it
    reopened = service.reopened(session, assessment.id, account.id)
    # Once the assessment is closed the panel's result is final: each assessor sees where their
    # levels ended up (while it is open, the others' levels are not shown, so as not to sway anyone).
    final = {c.capability_id: c for c in service.consensus(session, assessment.id)} if assessment.status != service.OPEN else {}
me = next(a for a in people if a.account_id == account.id)
lead = next((a for a in people if a.is_lead), None)

widgets.show_flash()
saved = st.session_state.pop("rate_saved", None)
# Drawn on every run, filled only after a save: an element added above the evidence box on some runs
# only would move the box, and Streamlit would draw it anew — out of focus, mid-sentence after a
# pause in typing saved it.
announcement = st.empty()
if saved:
    if not saved.startswith("Evidence saved"):  # evidence saves at every pause in typing: a toast each time
        st.toast(md_escape(saved), icon=":material/check:")  # covered the page; its "✓ Saved" line says it
    # a toast is not announced (and is hidden on phones): a screen reader hears it from a live region
    with announcement:
        widgets.run_script(widgets.announce_script(saved))
# On a phone the toast lands over the next levels to tap; the card's own "✓ Saved" line says it there.
st.html(f"<style>@media (max-width: {widgets.PHONE_SCREEN - 1}px) {{ [data-testid='stToastContainer'] {{ display: none; }} }}</style>")

locked = me.submitted_at is not None or assessment.status != service.OPEN
capabilities = model.capabilities
ids = model.capability_ids
rated = [c for c in ids if c in mine and mine[c].level is not None]
# "Not rated" chosen is a decision, not work left: said, or the bar stays short of done for good
marked_not_rated = sum(1 for c in ids if c not in rated and _decided(mine.get(c)))
st.progress(len(rated) / len(ids), text=f"**{len(rated)} of {len(ids)}** capabilities rated"
            + (f", {marked_not_rated} marked not rated" if marked_not_rated else ""))
if me.submitted_at is not None:
    lead_name = f"the lead assessor, {md_escape(lead.display_name)}," if lead is not None else "the lead assessor"
    # closed, a submission cannot be reopened (the assessment must be first): said, not "ask to reopen them"
    if assessment.status != service.OPEN:
        who = ("The assessment is closed: you can reopen it on the **Consensus** page if something needs to change."
               if lead_now else f"The assessment is closed: ratings can no longer change unless {lead_name} or an "
                                "administrator reopens it.")
    elif lead_now:
        who = "As lead assessor you can reopen them on the **Consensus** page if something needs to change."
    else:
        who = f"If something needs to change, ask {lead_name} or an administrator to reopen them."
    with st.container(key=LOCK_NOTICE):
        st.success(f"Submitted on {widgets.when(me.submitted_at)}. Your ratings are locked. {who}", icon=":material/lock:")
    if st.session_state.pop(JUST_SUBMITTED, False):
        widgets.scroll_into_view(LOCK_NOTICE)
elif assessment.status != service.OPEN:
    st.info("This assessment is closed: ratings can no longer change.", icon=":material/lock:")
elif reopened is not None:
    # a reopened assessor saw an ordinary page, not told that until they submit again their ratings
    # count as not submitted (the lead's "Submitted" stays short of everyone)
    st.info(f"Your submitted ratings were reopened by {md_escape(reopened[0])} on {widgets.when(reopened[1])}. Change what "
            "you need, then **submit again** (below): until then your ratings count as not submitted.",
            icon=":material/lock_open:")

with st.expander("What the levels mean"):
    for item in model.levels:
        st.markdown(f"**{item.level} · {md_escape(item.name)}** — {md_escape(item.description)}")

position_key = f"rate_pos_{assessment.id}"
kept = [c for c in capabilities if _keys(assessment.id, c.id)[1] in auth.kept_text_keys()]
if kept and len(kept) > 1:
    st.info("Your session timed out with evidence not yet saved for " + ", ".join(f"**{md_escape(c.name)}**" for c in kept)
            + ": open each of them to check and save it.", icon=":material/history:")
if st.session_state.get(position_key) not in ids or (kept and not st.session_state.get("rate_kept_shown")):
    # A new tab (a reload, a login after a timeout) resumes where the work is: evidence kept from a
    # timed-out session first, else the first capability not yet rated, or, once all are, the one
    # changed last.
    latest = max(mine.values(), key=lambda r: r.updated_at).capability_id if mine else ids[0]
    st.session_state[position_key] = (kept[0].id if kept else
                                      next((c for c in ids if not _decided(mine.get(c))), latest if latest in ids else ids[0]))
    st.session_state["rate_kept_shown"] = bool(kept)
index = ids.index(st.session_state[position_key])
capability = capabilities[index]
rating = mine.get(capability.id)

card, jump = st.columns([3, 1.25], gap="large")

with card:
    st.caption(f"{md_escape(model.domain_name(capability.domain))} · capability {index + 1} of {len(ids)}")
    st.subheader(md_escape(capability.name), anchor=False)
    if capability.description:
        st.markdown(md_escape(capability.description))
    if capability.facets:
        with st.expander("Where to look for evidence", icon=":material/search:"):
            for facet, text in capability.facets.items():
                st.markdown(f"**{FACET_LABELS.get(facet, facet)}** — {md_escape(text)}")

    conflict = None  # evidence saved elsewhere that what is typed here was not saved over
    options: list = [*model.level_values, NOT_RATED]
    captions = [md_escape(capability.levels[v]) for v in model.level_values] + ["No evidence to judge this capability; it is left out of the median."]
    level_key, evidence_key, confidence_key = _keys(assessment.id, capability.id)
    if locked:
        level = rating.level if rating else None
        given = widgets.level_text(model, level) if _decided(rating) else "no level given"  # evidence alone is not "not rated"
        st.markdown(f"**Your level:** {md_escape(given)}")
        if level is not None:
            st.caption(md_escape(capability.levels[level]))
        st.markdown("**Evidence**")
        widgets.plain_text(rating.evidence if rating else "", empty="No evidence written.")
        st.markdown(f"**Confidence:** {(rating.confidence or 'not given') if rating else 'not given'}")
        outcome = final.get(capability.id)
        if outcome is not None and outcome.effective is not None:
            how = ("set by the lead assessor" if outcome.overridden and not outcome.median_confirmed
                   else "the median of the panel's levels" + (", confirmed by the lead assessor" if outcome.median_confirmed else ""))
            st.info(f"**Final consensus:** {md_escape(widgets.level_text(model, outcome.effective))} — {how}.",
                    icon=":material/groups:")
    else:
        # no level yet (evidence written first) leaves the choice open: "Not rated" only when chosen
        current = None if not _decided(rating) else (NOT_RATED if rating.level is None else rating.level)
        save_args = (assessment.id, capability.id, capability.name)
        levels_box = st.container(key="rate_levels")
        with levels_box:
            widgets.highlight_chosen_option("rate_levels")
            widgets.caption_selects_option("rate_levels")
        levels_box.markdown("**Level**", help="Choose the level whose description best matches what you saw. Saved as soon "
                                              "as you choose.")
        levels_box.radio(
            # the visible heading says "Level"; the group's accessible name carries the capability, so a
            # screen reader moving into it hears what is being scored
            f"Level for {md_escape(capability.name)}", options, index=options.index(current) if current in options else None,
            label_visibility="collapsed",
            format_func=lambda v: "Not rated" if v == NOT_RATED else f"**{v} · {md_escape(model.level_name(v))}**",
            captions=captions, key=level_key, on_change=_save, args=(*save_args, "level"),
        )
        saved_evidence = rating.evidence if rating else ""
        newer_key, unsaved_key = f"{evidence_key}__newer", f"{evidence_key}__unsaved"
        if evidence_key not in st.session_state and unsaved_key in st.session_state:
            st.session_state[evidence_key] = st.session_state[unsaved_key]  # back at evidence not saved over newer
        put_back = auth.restore_typed_text(evidence_key, saved_evidence)
        filled_from = f"{evidence_key}__from"  # what the box was filled with, from the database
        if evidence_key not in st.session_state:  # the box starts from what is saved (seeded, so a put-back text can win)
            st.session_state[evidence_key] = st.session_state[filled_from] = saved_evidence
        elif st.session_state[evidence_key] == st.session_state.get(filled_from) != saved_evidence:
            # nothing typed here, and another tab has saved other evidence since: show that, not the old text
            st.session_state[evidence_key] = st.session_state[filled_from] = saved_evidence
        if newer_key in st.session_state:  # typed here, not saved over evidence saved meanwhile from elsewhere
            if st.session_state[evidence_key] == saved_evidence:
                st.session_state.pop(newer_key)
                st.session_state.pop(unsaved_key, None)
            else:
                st.session_state[newer_key] = conflict = saved_evidence  # the newest, if it changed again
                st.session_state[unsaved_key] = st.session_state[evidence_key]
        if put_back:
            st.warning("Your session timed out before this evidence was saved. It is back in the box: check it, then "
                       "press **Save evidence**.", icon=":material/history:")
        st.text_area(
            "Evidence", key=evidence_key, on_change=_save, args=(*save_args, "evidence"),
            max_chars=service.MAX_EVIDENCE_CHARS, height=140,
            placeholder="What did you see? Documents, records sampled, interviews, measures…",
            help="Saved as you type, whenever you pause for two seconds, and when you leave the box (a tap or click "
                 "elsewhere, Tab, Ctrl+Enter, Save evidence, or switching to another app or tab). Shown to the lead "
                 "assessor exactly as typed.",
        )
        widgets.run_script(widgets.save_typing_when_leaving("rate_evidence_", unsaved_marker=UNSAVED))
        # A pause or leaving the box saves it; a button is still what a person looks for to be sure.
        # Pressing it blurs the box (its change is saved first); the click then saves what is in the box.
        st.button("Save evidence", icon=":material/save:", key=f"rate_save_evidence_{capability.id}", on_click=_save,
                  args=(*save_args, "evidence"), kwargs={"replace": True},
                  help="Evidence also saves by itself as you pause and when you leave the box.")
        st.segmented_control(
            "Confidence", list(CONFIDENCES), default=rating.confidence if rating else None,
            format_func=str.capitalize, key=confidence_key, on_change=_save, args=(*save_args, "confidence"),
            help="How sure you are of this level, given the evidence you could find.",
        )
    problem = st.session_state.pop("rate_error", None)
    if conflict is not None:
        with st.container(key=UNSAVED):  # while it is drawn, closing the tab asks first
            st.error("Not saved: other evidence was saved for this capability from another tab or device after this "
                     "box was filled. Your text is still in the box; the evidence saved meanwhile is below. Put what you "
                     "need into the box, then press **Save evidence** to replace it.", icon=":material/error:")
            widgets.plain_text(conflict, empty="(The evidence saved meanwhile is empty.)")  # exactly as typed there
    elif problem is not None:
        st.error(md_escape(problem[1]), icon=":material/error:")
    elif rating is not None:
        st.caption(f"✓ Saved {widgets.when(rating.updated_at)}")  # (a material icon is read out by its name)

    pager = st.container(horizontal=True)
    pager.button("Previous", icon=":material/arrow_back:", disabled=index == 0, key="rate_prev", width="stretch",
                on_click=_go, args=(position_key, ids[max(index - 1, 0)]))
    pager.button("Next", icon=":material/arrow_forward:", icon_position="right", disabled=index == len(ids) - 1,
                   key="rate_next", width="stretch", type="primary", on_click=_go, args=(position_key, ids[min(index + 1, len(ids) - 1)]))

with jump.container(key="rate_jumplist"):
    widgets.left_align_buttons("rate_jumplist")
    st.markdown("**Capabilities**")
    for domain in model.domains:
        members = [c for c in capabilities if c.domain == domain.id]
        if not members:
            continue
        group = st.container(gap=None)
        group.caption(md_escape(domain.name))
        for member in members:
            saved_rating = mine.get(member.id)
            if saved_rating is not None and saved_rating.level is not None:
                icon, label = ":material/check_circle:", f"{md_escape(member.name)} · {saved_rating.level}"
            elif _decided(saved_rating):
                icon, label = ":material/do_not_disturb_on:", f"{md_escape(member.name)} · not rated"
            else:
                icon, label = ":material/radio_button_unchecked:", md_escape(member.name)
            if member.id == capability.id:
                label = f"**{label}**"
            group.button(label, icon=icon, key=f"rate_jump_{member.id}", type="tertiary", wrap=True,
                         on_click=_go, args=(position_key, member.id))
    # the one on screen is bold, which a screen reader does not say: it hears "current page" instead
    widgets.run_script(widgets.mark_current_script("rate_jumplist", f"rate_jump_{capability.id}"))

st.divider()
if not locked:
    st.subheader("Submit", anchor=False)
    unrated = [c for c in capabilities if c.id not in rated]
    if not st.session_state.get("rate_confirm_submit"):
        st.caption("When you have rated what you can, submit: your ratings are then locked and count as final.")
        st.button("Submit my ratings…", icon=":material/send:", key="rate_submit_start",
                  on_click=lambda: st.session_state.update(rate_confirm_submit=True))
    else:
        with st.container(border=True):
            # "Not rated" chosen is a decision; no level at all is work still to do: said apart
            marked = [c for c in unrated if _decided(mine.get(c.id))]
            todo = [c for c in unrated if c not in marked]
            also = f" (and {len(marked)} you marked not rated)" if marked else ""
            if todo:
                st.warning(f"{len(todo)} of {len(ids)} capabilities {'has' if len(todo) == 1 else 'have'} no level yet{also}. "
                           "You can submit anyway if you have no evidence for them; they are left out of the consensus.",
                           icon=":material/warning:")
                st.markdown("\n".join(f"- {md_escape(c.name)}" for c in todo))
            elif marked:
                st.info(f"{len(marked)} capabilit{'y' if len(marked) == 1 else 'ies'} marked not rated: left out of the "
                        "consensus.", icon=":material/do_not_disturb_on:")
            # The lead reads the evidence beside each level when assessors disagree; a bare level is hard to weigh.
            levelled = [c for c in capabilities if c.id in rated]
            no_evidence = [c for c in levelled if not (mine[c.id].evidence or "").strip()]
            no_confidence = [c for c in levelled if not mine[c.id].confidence]
            if no_evidence or no_confidence:
                parts = []
                if no_evidence:
                    parts.append(f"{len(no_evidence)} ha{'s' if len(no_evidence) == 1 else 've'} no evidence written")
                if no_confidence:
                    parts.append(f"{len(no_confidence)} ha{'s' if len(no_confidence) == 1 else 've'} no confidence given")
                st.info(f"Of the capabilities you rated, {' and '.join(parts)}. The lead assessor weighs each level by "
                        "its evidence when assessors disagree.", icon=":material/info:")
                lacking = [(c, [what for what, missing in (("evidence", c in no_evidence), ("confidence", c in no_confidence))
                                if missing]) for c in levelled]
                st.markdown("\n".join(f"- {md_escape(c.name)}: no {' and no '.join(what)}" for c, what in lacking if what))
            reopen = ("you can reopen them on the **Consensus** page" if me.is_lead
                      else "only the lead assessor or an administrator can reopen them")
            st.markdown(f"Submitting **locks** your ratings: {reopen}.")
            confirm, cancel = st.columns(2)
            confirm.button("Submit and lock", type="primary", key="rate_submit_confirm", width="stretch",
                           on_click=_submit, args=(assessment.id,))
            cancel.button("Cancel", key="rate_submit_cancel", width="stretch",
                          on_click=lambda: st.session_state.pop("rate_confirm_submit", None))

with st.expander(f"My ratings ({len(rated)} of {len(ids)} rated" + (f", {marked_not_rated} marked not rated)" if marked_not_rated else ")"), expanded=locked, icon=":material/table:"):
    rows = []
    for c in capabilities:
        r = mine.get(c.id)
        rows.append({  # the capability and its level first: a phone shows two columns
            "Capability": c.name,
            "Level": widgets.level_text(model, r.level) if _decided(r) else "—",  # evidence alone: no level yet
            "Confidence": (r.confidence or "") if r else "",
            "Evidence": r.evidence if r else "",
            "Domain": model.domain_name(c.domain),
        })
    wide, phone = widgets.wide_and_phone("rate-summary")
    wide.dataframe(pd.DataFrame(rows), hide_index=True, key="rate_summary", height=38 + 35 * len(rows),
                   column_config={"Evidence": st.column_config.TextColumn(width="large")})
    with phone:  # a phone shows a table's first column and a cut-off level; this list shows it all
        widgets.records_for_phone([(f"{row['Capability']} · {row['Level']}",
                                    "\n".join(filter(None, [f"Confidence: {row['Confidence']}" if row["Confidence"] else "",
                                                             row["Evidence"]])))
                                   for row in rows])

if st.session_state.pop("rate_scroll_to_capability", False):  # last, once the new capability is drawn
    widgets.run_script(widgets.SCROLL_TO_CAPABILITY)
