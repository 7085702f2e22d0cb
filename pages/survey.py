"""The respondent's survey, reached with ``/?token=…`` — no account, no navigation, no sidebar.

Welcome and privacy statement → one screen per section → review → submit → thank you. Every step is
saved through ``surveys.respondent`` (the rules live there), so closing the tab and opening the link
again resumes where the respondent was. Actions run in button callbacks; the page is then drawn from
what the database says. The page stores nothing about the respondent and never logs the token.
"""

from __future__ import annotations

import logging
import re

import streamlit as st

from itcap.storage import session_scope
from itcap.ui import survey_widgets as sw
from itcap.ui.text import md_escape
from surveys import campaigns, respondent
from surveys.instrument import Item
from surveys.invitations import TokenOutcome
from surveys.respondent import SurveyState, SurveyUnavailable

log = logging.getLogger(__name__)

PROBLEMS = "survey_problems"  # {"section": i, "problems": {item_id: message}} after a refused Next/Submit
DONE = "survey_done"  # {"token": …, "thank_you": …} once this browser session has submitted
SUBMITTING = "survey_submitting"  # the token whose Submit was clicked: a second click does nothing
NOTICE = "survey_notice"  # a friendly message when the database could not be reached
SHOWN_STEP = "survey_shown_step"  # the step drawn last, to scroll to the top when it changes
CHANGING = "survey_changing"  # the token whose respondent came from the review screen to change answers
# under every section's buttons: what is kept if the page is closed (a form: nothing before a button)
SAVED_WHEN = ("The answers on this page are saved when you leave it with one of the buttons above. After that you "
              "can close the page and carry on later with the same link.")
RETURNED_FROM = "survey_returned_from"  # the section a respondent changed on the way back to the review
VISITS = "survey_open_link_visits"  # open link → the visitor's own token, for the browser's back button
LAST_DRAWN = "survey_last_drawn"  # (token, state, thresholds) of the last screen drawn from the database
TROUBLE = ("Sorry — something went wrong on our side and your last step was not saved. Your answers are still "
           "on this page and the ones you saved before are safe: please try again in a moment.")
SUBMIT_TROUBLE = ("We could not reach our database just now, so your answers may not have been sent. Nothing is lost: "
                  "your answers are saved and still here. Please press “Submit my answers” again in a moment — "
                  "they are never counted twice.")


def _trouble(what: str, message: str = TROUBLE) -> None:
    # The exception, never the token: tracebacks carry no local variables.
    log.exception("survey page: %s failed", what)
    st.session_state[NOTICE] = message


# -- actions (button callbacks) --------------------------------------------------------------------
def _start(token: str) -> None:
    visit = st.session_state.get(VISITS, {}).get(token) or sw.STARTED_VISITS.once(token, lambda: _begin(token))
    if visit:  # an open link: this visitor's own token, so a reload or bookmark resumes (a second click: the same)
        st.session_state.setdefault(VISITS, {})[token] = visit
        st.query_params["token"] = visit


def _begin(token: str) -> str | None:
    """The visitor's own token when ``token`` is an open link (its start takes a place); else None."""
    try:
        with session_scope() as session:
            personal = respondent.begin(session, token)
    except SurveyUnavailable:
        return None  # the page explains why when it draws
    except Exception:  # noqa: BLE001 - the respondent gets a friendly message, the log the details
        _trouble("start")
        return None
    return personal if personal != token else None


def _continue_visit(personal: str) -> None:
    st.query_params["token"] = personal


def _save(token: str, section_index: int, items: tuple[Item, ...], move: str | int) -> None:
    answers = {item.id: sw.answer_from_widget(item, st.session_state.get(sw.widget_key(item))) for item in items}
    try:
        with session_scope() as session:
            result = respondent.save_section(session, token, section_index, answers, move=move)
    except SurveyUnavailable:
        return
    except Exception:  # noqa: BLE001
        _trouble("saving a section")
        return
    if result.problems:
        st.session_state[PROBLEMS] = {"section": section_index, "problems": result.problems, "scroll": True}
    else:
        st.session_state.pop(PROBLEMS, None)
        if isinstance(move, int) and not isinstance(move, bool):  # straight to the review: back at what was changed
            st.session_state[RETURNED_FROM] = section_index


def _go_to(token: str, section_index: int, changing: bool = False) -> None:
    st.session_state.pop(PROBLEMS, None)
    if changing:
        st.session_state[CHANGING] = token
    else:
        st.session_state.pop(CHANGING, None)
    try:
        with session_scope() as session:
            respondent.go_to_section(session, token, section_index)
    except SurveyUnavailable:
        return
    except Exception:  # noqa: BLE001
        _trouble("moving to a section")


def _submit(token: str, title: str, thresholds: dict[str, int]) -> None:
    if done := sw.SUBMITTED.once(token, lambda: _submit_once(token, title, thresholds)):
        st.session_state[DONE] = done


def _submit_once(token: str, title: str, thresholds: dict[str, int]) -> dict | None:
    """Submit; the thank-you screen's content, or None when the answers went back for a fix."""
    st.session_state[SUBMITTING] = token
    try:
        with session_scope() as session:
            result = respondent.submit(session, token)
        if not result.submitted:
            st.session_state.pop(SUBMITTING, None)
            index = result.section_index or 0
            with session_scope() as session:
                state = respondent.go_to_section(session, token, index)
            own = {item.id for item in state.sections[index].items} if index < len(state.sections) else set()
            st.session_state[PROBLEMS] = {"section": index, "scroll": True,
                                          "problems": {k: v for k, v in result.problems.items() if k in own or not k}}
            return None
    except SurveyUnavailable:
        return None  # used by another tab or device, or closed meanwhile: the page says which
    except Exception:  # noqa: BLE001
        st.session_state.pop(SUBMITTING, None)
        _trouble("submitting", SUBMIT_TROUBLE)
        return None
    return {"token": token, "title": title, "thank_you": sw.fill_thresholds(result.thank_you, thresholds)}


# -- drawing ---------------------------------------------------------------------------------------
def _is_new_step(step: object) -> bool:
    """Whether this run shows another screen than the last run did (Streamlit keeps the scroll
    position when the content changes, so a new screen must be scrolled to its top)."""
    if st.session_state.get(SHOWN_STEP) == step:
        return False
    first = SHOWN_STEP not in st.session_state
    st.session_state[SHOWN_STEP] = step
    return not first


def _paragraphs(text: str) -> None:
    """An instrument's prose (welcome, privacy, intros, thank-you) as typed, paragraph by paragraph:
    not markdown, so an uploaded instrument cannot put links or remote images before respondents."""
    for paragraph in re.split(r"\n\s*\n", text.strip()):
        if paragraph.strip():
            st.markdown(md_escape(paragraph))


def _show_unavailable(error: SurveyUnavailable) -> None:
    title = error.title or "Survey"  # an unknown link learns nothing, not even a survey's name
    st.set_page_config(page_title=title)
    st.title(md_escape(title), anchor=False)
    if error.outcome == TokenOutcome.USED:
        st.success(error.message, icon=":material/task_alt:")
    elif error.outcome in (TokenOutcome.CLOSED, TokenOutcome.NOT_OPEN_YET):
        st.info(error.message, icon=":material/event_busy:")
    else:
        st.warning(error.message, icon=":material/link_off:")


def _welcome(state: SurveyState, token: str, thresholds: dict[str, int]) -> None:
    instrument = state.instrument
    _paragraphs(sw.fill_thresholds(instrument.welcome, thresholds))
    with st.container(border=True):
        st.subheader("Your privacy", anchor=False)
        privacy = instrument.privacy_statement
        _paragraphs(sw.fill_thresholds(privacy, thresholds))
        actual = sw.thresholds_sentence(privacy, thresholds)
        if actual:
            st.markdown(actual)
    if state.is_open_link:  # the statement speaks of "your link": this one is the whole group's
        st.caption("This link is shared with everyone in your group. When you start, you get a link of your own: the "
                   "address bar shows it, and it brings you back to your answers until you submit them.")
    count = len(state.sections)
    # said before the first question, since a screen marks only the optional ones as such (WCAG 3.3.2)
    needed = {item.required for section in state.sections for item in section.items}
    required = ("" if True not in needed else " Every question needs an answer." if needed == {True}
                else " Every question needs an answer unless it is marked *optional*.")
    st.caption(f"{count} section{'s' if count != 1 else ''}, then a chance to check your answers before you submit."
               + required)
    visit = st.session_state.get(VISITS, {}).get(token) if state.is_open_link else None
    if visit:
        _back_to_open_link(visit)
    else:
        st.button("Start the survey", type="primary", icon=":material/arrow_forward:", on_click=_start, args=(token,),
                  key="survey_start")


def _back_to_open_link(visit: str) -> None:
    """Back (the browser's button) from this visitor's own link to the group's open link: carry on, or
    hear that the answers were sent — never start twice, and never "ask for a link" because the
    open link has since been withdrawn or has no places left."""
    done = st.session_state.get(DONE)
    if done and done["token"] == visit:
        st.success("Your answers from this window have been sent. Thank you for taking part.", icon=":material/task_alt:")
    else:
        st.info("You have already started this survey in this window.", icon=":material/history:")
        st.button("Carry on with my answers", type="primary", icon=":material/arrow_forward:", on_click=_continue_visit,
                  args=(visit,), key="survey_continue")


def _question_numbers(state: SurveyState) -> dict[str, int]:
    return {item.id: n for n, item in enumerate((i for s in state.sections for i in s.items), start=1)}


def _section(state: SurveyState, token: str, thresholds: dict[str, int]) -> None:
    section = state.current_section
    count = len(state.sections)
    st.progress((section.index + 1) / (count + 1), text=f"Section {section.index + 1} of {count}")
    st.header(md_escape(section.title), anchor=False)
    if section.intro:
        _paragraphs(sw.fill_thresholds(section.intro, thresholds))
    shown = st.session_state.get(PROBLEMS)
    problems = shown["problems"] if shown and shown["section"] == section.index else {}
    numbers = _question_numbers(state)
    if problems:
        st.error(sw.problems_summary(problems, numbers, respondent.REQUIRED_MESSAGE), icon=":material/error:")
    with st.form(f"survey_section_{section.id}", border=False, enter_to_submit=False):
        with st.container(key="survey_questions"):
            for item in section.items:
                sw.item_input(state.instrument, item, numbers[item.id], state.answers.get(item.id))
                if item.id in problems:
                    with st.container(key=f"survey_error_{item.id}"):
                        sw.question_problem(problems[item.id])
        last = section.index == count - 1
        with st.container(horizontal=True, key="survey_buttons"):
            if st.session_state.get(CHANGING) == token:  # came with "Change" from the review screen
                st.form_submit_button("Save and return to review", type="primary", key="survey_next",
                                      icon=":material/checklist:", on_click=_save,
                                      args=(token, section.index, section.items, count))
            else:
                if section.index > 0:
                    st.form_submit_button("Back", icon=":material/arrow_back:", on_click=_save, key="survey_back",
                                          args=(token, section.index, section.items, "back"))
                if not last and state.answered_after(section.index):
                    # been further before (e.g. "Change" on the review, then the tab closed): straight back there
                    st.form_submit_button("Save and go to review", key="survey_to_review", icon=":material/checklist:",
                                          on_click=_save, args=(token, section.index, section.items, count))
                st.form_submit_button("Review my answers" if last else "Next", type="primary", key="survey_next",
                                      icon=":material/arrow_forward:", on_click=_save,
                                      args=(token, section.index, section.items, "next"))
    st.caption(SAVED_WHEN)
    # the phone's decimal keyboard has no minus key: only for numbers that cannot be negative
    sw.run_script(sw.field_hints_script([i.id for i in section.items if i.required],
                                        [i.id for i in section.items
                                         if i.type == "numeric" and state.instrument.item_range(i)[0] >= 0]))
    if problems and shown.pop("scroll", False):
        sw.run_script(sw.SCROLL_TO_FIRST_ERROR)


def _review(state: SurveyState, token: str, thresholds: dict[str, int]) -> None:
    st.progress(1.0, text=f"All {len(state.sections)} sections done — last step")  # the heading says what it is
    st.header("Check your answers", anchor=False)
    st.markdown("Nothing has been sent yet. Look through your answers, change any you like, then submit.")
    numbers = _question_numbers(state)
    for section, rows in state.review_rows():
        with st.container(border=True, key=f"survey_review_{section.id}"):
            st.subheader(md_escape(section.title), anchor=False)
            for item, shown in rows:
                question = f"**{numbers[item.id]}.** {md_escape(item.text)}"
                if not shown and item.required:
                    st.markdown(question)
                    st.error("Not answered yet — this question needs an answer.", icon=":material/error:")
                elif not shown:
                    st.markdown(f"{question}  \n:gray[*Not answered*]")
                elif item.type == "text":
                    st.markdown(question)
                    st.text(shown)  # exactly as typed: never markdown, never HTML
                else:
                    st.markdown(f"{question}  \n**{md_escape(shown)}**")
            st.button(f"Change answers in “{md_escape(section.title)}”", icon=":material/edit:", on_click=_go_to,
                      args=(token, section.index, True), key=f"survey_change_{section.index}")
    st.markdown("When you submit, your answers are stored anonymously and this link stops working.")
    submitting = st.session_state.get(SUBMITTING) == token
    with st.container(horizontal=True, key="survey_submit_row"):
        st.button("Back", icon=":material/arrow_back:", on_click=_go_to, args=(token, len(state.sections) - 1),
                  key="survey_review_back", disabled=submitting)
        st.button("Submit my answers", type="primary", icon=":material/send:", on_click=_submit,
                  args=(token, state.instrument.name, thresholds), key="survey_submit", disabled=submitting)


def _thank_you(title: str, text: str) -> None:
    st.title(md_escape(title), anchor=False)
    st.header("Your answers have been sent", anchor=False)  # the new screen's own heading (focused, read out)
    first, _, rest = text.strip().partition("\n\n")
    st.success(md_escape(first) if first else "Thank you — your answers have been submitted.", icon=":material/task_alt:")
    _paragraphs(rest)
    st.caption("You can now close this page.")


# -- the page --------------------------------------------------------------------------------------
sw.style()
sw.SessionMemory.start_session()
sw.run_script(sw.LEAVE_GUARD)  # every run: what is on the screen now is saved (or there is nothing to lose)
token = st.query_params.get("token", "")
notice = st.session_state.pop(NOTICE, None)

done = st.session_state.get(DONE)
if done and done["token"] == token:
    st.set_page_config(page_title=f"Answers sent – {done['title']}")
    _thank_you(done["title"], done["thank_you"])
    if _is_new_step("done"):
        sw.run_script(sw.SCROLL_TO_TOP)
    st.stop()

try:
    with session_scope() as session:
        state = respondent.load_survey(session, token)
        campaign = campaigns.get_campaign(session, state.campaign_id)
        thresholds = {"min_group_size": campaign.min_group_size, "comment_threshold": campaign.comment_threshold}
except SurveyUnavailable as error:
    visit = st.session_state.get(VISITS, {}).get(token)
    if visit and error.outcome in (TokenOutcome.FULL, TokenOutcome.WITHDRAWN):
        st.set_page_config(page_title=error.title or "Survey")
        st.title(md_escape(error.title or "Survey"), anchor=False)
        _back_to_open_link(visit)
    else:
        _show_unavailable(error)
    st.stop()
except Exception:  # no technical detail for respondents; the log has it
    log.exception("survey page: loading the survey failed")
    last = st.session_state.get(LAST_DRAWN)
    if not last or last[0] != token:
        st.title("Survey", anchor=False)
        st.error("Sorry — the survey cannot be shown just now. Please try again in a few minutes; any answers you "
                 "saved are safe.")
        st.stop()
    # The database went away mid-visit (e.g. while submitting): draw the screen the respondent was on
    # again, so that what they see and typed stays on the page and they can simply try again.
    _, state, thresholds = last
    notice = notice or TROUBLE
else:
    st.session_state[LAST_DRAWN] = (token, state, thresholds)

# the browser tab (and a screen reader) says which screen this is
screen = ("Check your answers" if state.at_review else state.current_section.title) if state.started else None
st.set_page_config(page_title=f"{screen} – {state.instrument.name}" if screen else state.instrument.name)
step = "welcome" if not state.started else ("review" if state.at_review else state.section_index)
# The first screen of a visit that resumes saved answers says so — in the page, not as a toast,
# which would still float over the thank-you title if they submit straight away.
welcome_back = state.started and SHOWN_STEP not in st.session_state
new_step = _is_new_step(step)
st.title(md_escape(state.instrument.name), anchor=False)
if welcome_back:
    # "your saved answers" only when there are some: someone who pressed Start and left has none
    # (answers are saved when a section is left with a button: say so, or a page reloaded half-way
    # would seem to have lost what "saved answers" promised)
    st.info("Welcome back — your saved answers are here: those of every section you left with a button. Carry on where "
            "you left off." if state.answers else
            "Welcome back — carry on where you left off.", icon=":material/history:")
if notice:
    st.error(notice, icon=":material/error:")
if not state.started:
    _welcome(state, token, thresholds)
elif state.at_review:
    _review(state, token, thresholds)
else:
    _section(state, token, thresholds)
returned_from = st.session_state.pop(RETURNED_FROM, None)
if new_step and state.started and state.at_review and returned_from is not None and returned_from < len(state.sections):
    # back from changing a section: the review opens at that section, not 40 answers above it
    sw.run_script(sw.focus_heading_script(f"survey_review_{state.sections[returned_from].id}"))
elif new_step:  # last, so that the whole new screen is there when the script runs
    sw.run_script(sw.SCROLL_TO_TOP)
