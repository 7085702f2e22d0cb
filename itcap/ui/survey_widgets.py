"""Streamlit pieces of the respondent's survey page: one input per item type, texts with the
campaign's thresholds, and the few styles that make the survey read well on a phone.

Drawing only — which answers are valid, what is required and what is stored is decided in
``surveys/`` (``surveys.respondent``, ``surveys.answers``).
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from itcap.ui.text import md_escape

from itcap.ui.widgets import checked_key, run_script, scroll_to_top_script  # noqa: F401 (run_script: the survey page's scripts go through here)
from surveys.answers import format_number
from surveys.instrument import PLACEHOLDERS, Instrument, Item

NO_ANSWER = "no_answer"  # the last option of an optional Likert item: withdraws a choice made by mistake
NO_ANSWER_LABEL = "No answer"
WIDGET_PREFIX = "survey_item_"

_PLACEHOLDER_RE = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")


def widget_key(item: Item) -> str:
    return WIDGET_PREFIX + item.id


class SessionMemory:
    """A click's work done once per browser session and token, whatever runs the click starts.

    A double click on a loaded server can run a button's callback twice *at the same time* for one
    browser session: Streamlit starts a new script thread for the second click while the first is
    still in its callback (seen in the tests: a double click on Start took two places of a capped
    open link, and a double-clicked Submit ended on "this link has already been used" instead of
    the thanks; the database side held — a link submits once). ``st.session_state`` cannot guard
    that, as both threads read it before either writes. :meth:`once` can: the first caller does the
    work, a concurrent or later one waits for it and gets its result. A result of None (refused,
    failed) is not kept, so the respondent can try again. Bounded: the oldest entries go first.
    """

    KEY = "survey_session_key"  # set by the page's body on its first run

    def __init__(self, size: int = 10_000):
        self._size = size
        self._lock = threading.Lock()
        self._kept: OrderedDict[tuple[str, str], tuple[threading.Event, list]] = OrderedDict()

    @classmethod
    def start_session(cls) -> None:
        """Give this browser session its key: call from the page's body, on every run."""
        if cls.KEY not in st.session_state:
            st.session_state[cls.KEY] = secrets.token_hex(16)

    def _session_key(self) -> str:
        return str(st.session_state.get(self.KEY, ""))

    def once(self, token: str, work: Callable[[], Any], wait_seconds: float = 60) -> Any:
        key = (self._session_key(), token)
        with self._lock:
            entry = self._kept.get(key)
            first = entry is None
            if first:
                entry = self._kept[key] = (threading.Event(), [None])
                while len(self._kept) > self._size:
                    self._kept.popitem(last=False)
        done, result = entry
        if not first:
            done.wait(wait_seconds)
            return result[0]
        try:
            result[0] = work()
        finally:
            if result[0] is None:
                with self._lock:
                    self._kept.pop(key, None)
            done.set()
        return result[0]


# What Start and Submit did in each browser session (in this module: a page script's own globals are
# made anew on every run): an open link's token → the visitor's own; a token → its thank-you screen.
STARTED_VISITS = SessionMemory()
SUBMITTED = SessionMemory()


def fill_thresholds(text: str, thresholds: Mapping[str, int]) -> str:
    """Replace ``{min_group_size}`` and ``{comment_threshold}`` with the campaign's numbers; other
    braces are left alone (the texts are prose, not format strings)."""
    return _PLACEHOLDER_RE.sub(lambda m: str(thresholds[m.group(1)]), text)


def thresholds_sentence(privacy_statement: str, thresholds: Mapping[str, int]) -> str | None:
    """A sentence with the campaign's real thresholds, for a privacy statement that neither uses both
    placeholders nor quotes exactly the campaign's numbers ("at least 5 …", "at least 10 …", as the
    shipped instrument does for the default thresholds); else None. A statement quoting any other
    number gets the sentence, so the page never shows only a promise the campaign does not keep."""
    k, c = thresholds["min_group_size"], thresholds["comment_threshold"]
    used = set(_PLACEHOLDER_RE.findall(privacy_statement))
    if used == set(PLACEHOLDERS):
        return None
    quoted = {int(n) for n in re.findall(r"\bat least (\d+)\b", privacy_statement, flags=re.IGNORECASE)}
    if not used and quoted == {k, c}:
        return None
    return (f"**For this survey:** results are shown only for groups of at least {k} people, and written comments "
            f"only once at least {c} people have commented.")


def style() -> None:
    """Survey styles: a readable column on wide screens; Likert answers side by side in equal
    columns where there is room, one under the other on a phone."""
    likert = '.st-key-survey_questions [class*="st-key-survey_likert_"]'
    st.html(f"""<style>
    .stMainBlockContainer {{ max-width: 54rem; }}
    .st-key-survey_questions [data-testid="stWidgetLabel"] p {{ font-size: 1rem; font-weight: 600; }}
    /* every answer option a comfortable tap target (WCAG 2.2: 24 px at least), choices as likert ones */
    .st-key-survey_questions [data-testid="stRadioOption"] {{ padding: 0.2rem 0; }}
    @media (max-width: 639.98px) {{  /* a phone: the first question in view, not under the survey's name */
      .stMainBlockContainer {{ padding-top: 4rem; }}
      .stMainBlockContainer [data-testid="stHeading"] h1 {{ font-size: 1.5rem; line-height: 1.25; padding-bottom: 0.5rem; }}
      .stMainBlockContainer [data-testid="stHeading"] h2 {{ font-size: 1.35rem; }}
    }}
    @media (min-width: 640px) {{
      {likert} [role="radiogroup"] {{
        display: grid; grid-template-columns: repeat(var(--survey-options), minmax(0, 1fr)); gap: 0.25rem 0.5rem;
        width: 100%; align-items: start;
      }}
      {likert} [role="radiogroup"] > div {{ margin: 0; width: 100%; }}
      {likert} [data-testid="stRadioOption"] {{ width: 100%; justify-content: center; align-items: flex-start; margin: 0; }}
      {likert} [data-testid="stRadioOption"] > div {{
        flex-direction: column; align-items: center; text-align: center; gap: 0.3rem;
      }}
    }}
    @media (max-width: 639.98px) {{
      {likert} [role="radiogroup"] {{ flex-direction: column; align-items: flex-start; gap: 0.15rem; }}
    }}
    </style>""")


def focus_heading_script(container_key: str) -> str:
    """Scroll the keyed container to the top of the screen and focus its heading (a script of our
    own: the key is checked, no user text goes in)."""
    checked_key(container_key)
    return f"""
  const box = document.querySelector('.st-key-{container_key}');
  const heading = box && box.querySelector('h1, h2, h3');
  if (box) box.scrollIntoView({{block: 'start'}});
  if (heading) {{ heading.setAttribute('tabindex', '-1'); heading.focus({{preventScroll: true}}); }}
"""


# A new screen: focus on its own heading (the section's, "Check your answers"), not on the survey's
# title, which is the same on every screen.
SCROLL_TO_TOP = scroll_to_top_script("h2", "h1")
# A section's answers are saved by its buttons (a form: nothing is sent before one). Leaving the page
# another way — the phone's back button, closing the tab, a reload — would lose them without a word:
# once an answer on the screen changes, the browser asks first. Each run of the page (a button pressed:
# the answers saved, or refused with the valid ones saved) starts the screen clean again.
LEAVE_GUARD = """
  const guard = window.itcapLeaveGuard || (window.itcapLeaveGuard = {dirty: false});
  if (!guard.listening) {
    guard.listening = true;
    // Streamlit's radio buttons send no 'change' event: a click or a key inside a question is the sign
    const mark = (event) => {
      const target = event.target;
      if (!target || !target.closest || !target.closest('.st-key-survey_questions')) return;
      if (event.type === 'keydown' && !/^(Arrow|Space| )/.test(event.key)) return;
      if (event.type === 'click' && !target.closest('[role="radiogroup"]')) return;
      guard.dirty = true;
    };
    for (const type of ['input', 'change', 'click', 'keydown']) document.addEventListener(type, mark, true);
    window.addEventListener('beforeunload', (event) => {
      if (guard.dirty) { event.preventDefault(); event.returnValue = ''; }
    });
  }
  guard.dirty = false;
"""
# Next refused: every flagged question is marked invalid and tied to its message (aria-describedby),
# and focus goes to the first one, so that the keyboard carries on where the problem is.
SCROLL_TO_FIRST_ERROR = """
  // the question is what comes just before the message's (wrapped) container
  const before = (error) => {
    let node = error;
    while (node && !node.previousElementSibling && !node.classList.contains('st-key-survey_questions')) node = node.parentElement;
    return node ? node.previousElementSibling : null;
  };
  const flagged = () => Array.from(document.querySelectorAll('[class*="st-key-survey_error_"]'));
  const mark = () => flagged().forEach((error, index) => {
    const question = before(error);
    const field = question && question.querySelector('[role="radiogroup"], input, textarea');
    if (!field) return;
    error.id = error.id || 'survey-error-' + index;
    if (field.getAttribute('aria-invalid') !== 'true') field.setAttribute('aria-invalid', 'true');
    if (field.getAttribute('aria-describedby') !== error.id) field.setAttribute('aria-describedby', error.id);
  });
  mark();
  // React redraws the fields and drops attributes it does not manage: mark them again when it does
  const root = document.querySelector('.st-key-survey_questions');
  if (root && !root.surveyMarks) {
    root.surveyMarks = new MutationObserver(mark);
    root.surveyMarks.observe(root, {subtree: true, childList: true, attributes: true,
                                    attributeFilter: ['aria-invalid', 'aria-describedby']});
  }
  const errors = flagged();
  const question = errors.length ? before(errors[0]) : null;
  (question || errors[0])?.scrollIntoView({block: 'center'});
  const input = question && (question.querySelector('input:checked') || question.querySelector('input, textarea'));
  if (input) input.focus({preventScroll: true});
"""


def field_hints_script(required: list[str], numeric: list[str]) -> str:
    """What the widgets cannot say themselves: which questions are required (aria-required, read
    out by screen readers; on screen, the others say "optional"), and that a number box wants the
    phone's number keyboard (inputmode) and is described by its range (aria-describedby). Kept on
    through React's redraws, as SCROLL_TO_FIRST_ERROR keeps its marks. The item ids are checked keys, put in as JSON."""
    for item_id in [*required, *numeric]:
        checked_key(WIDGET_PREFIX + item_id)
    return f"""
  const required = {json.dumps(required)}, numeric = {json.dumps(numeric)};
  const field = (id) => document.querySelector('.st-key-{WIDGET_PREFIX}' + id + ' [role="radiogroup"], '
                                               + '.st-key-{WIDGET_PREFIX}' + id + ' input, .st-key-{WIDGET_PREFIX}' + id + ' textarea');
  const hint = () => {{
    required.forEach((id) => {{ const f = field(id); if (f && f.getAttribute('aria-required') !== 'true') f.setAttribute('aria-required', 'true'); }});
    numeric.forEach((id) => {{
      const f = field(id);
      if (!f) return;
      if (f.getAttribute('inputmode') !== 'decimal') f.setAttribute('inputmode', 'decimal');
      // the range under the box ("A number from 0 to 120 minutes.") is its description, read out on
      // entering it — not only after Next refuses a number (a refusal's message then takes its place)
      const caption = document.querySelector('.st-key-survey_numeric_' + id + ' [data-testid="stCaptionContainer"]');
      if (caption && !f.getAttribute('aria-describedby')) {{
        caption.id = caption.id || 'survey-range-' + id;
        f.setAttribute('aria-describedby', caption.id);
      }}
    }});
  }};
  hint();
  const root = document.querySelector('.st-key-survey_questions');
  if (root) {{
    if (root.surveyHints) root.surveyHints.disconnect();
    root.surveyHints = new MutationObserver(hint);
    root.surveyHints.observe(root, {{subtree: true, childList: true, attributes: true,
                                    attributeFilter: ['aria-required', 'inputmode', 'aria-describedby']}});
  }}
"""


def _number_bounds(item: Item) -> tuple[Any, Any, Any]:
    """Whole-number ranges ask for whole numbers (step 1); others accept decimals."""
    lo, hi = item.min, item.max
    if lo is not None and hi is not None and float(lo).is_integer() and float(hi).is_integer():
        return int(lo), int(hi), 1
    return lo, hi, None


def range_hint(item: Item) -> str:
    lo, hi, _ = _number_bounds(item)
    unit = f" {item.unit}" if item.unit else ""
    return f"A number from {lo:g} to {hi:g}{unit}."


def item_input(instrument: Instrument, item: Item, number: int, saved: Any) -> None:
    """Draw the input for one item, prefilled with the saved answer. Its value is read back with
    :func:`answer_from_widget` (the section's form submit callback)."""
    notes = ([item.unit] if item.type == "numeric" and item.unit else []) + ([] if item.required else ["optional"])
    # an instrument's texts are shown as typed: a widget's label, help and options are markdown too
    # (the number stays as it is: a label is one line of inline markdown, "1." never starts a list there,
    # and the accessible name is read from the label as written)
    label = f"{number}. " + md_escape(item.text + (f" ({', '.join(notes)})" if notes else ""))
    help_text = md_escape(item.help) if item.help else None
    key = widget_key(item)
    if item.type == "likert":
        labels = instrument.value_labels(item)
        options: list[Any] = list(labels)
        if not item.required:
            options.append(NO_ANSWER)
        index = options.index(saved) if saved in options else None
        with st.container(key=f"survey_likert_{item.id}"):
            apart = "" if item.required else (  # "No answer" set apart: not a sixth point of the scale
                f'.st-key-survey_likert_{item.id} [role="radiogroup"] > div:last-child [data-testid="stRadioOption"] '
                '{ border-left: 1px dashed rgba(128, 128, 128, 0.6); font-style: italic; }'
                '@media (max-width: 639.98px) { '
                f'.st-key-survey_likert_{item.id} [role="radiogroup"] > div:last-child [data-testid="stRadioOption"] '
                '{ border-left: none; border-top: 1px dashed rgba(128, 128, 128, 0.6); padding-top: 0.35rem; } }')
            st.html(f'<style>.st-key-survey_likert_{item.id} {{ --survey-options: {len(options)}; }}{apart}</style>')
            st.radio(label, options, index=index, key=key, horizontal=True, help=help_text, width="stretch",
                     format_func=lambda code: NO_ANSWER_LABEL if code == NO_ANSWER else md_escape(labels[code]))
    elif item.type == "choice":
        labels = instrument.value_labels(item)
        options = list(labels)
        st.radio(label, options, index=options.index(saved) if saved in options else None, key=key,
                 help=help_text, format_func=lambda code: md_escape(labels[code]))
    elif item.type == "numeric":
        # A text box, read by surveys.answers.read_typed_number: a number box dropped the comma of a
        # typed "2,5" and saved 25 without a word, and turned "abc" into an empty answer. The phone's
        # number keyboard comes with inputmode (FIELD_HINTS). No min/max on the box: the range is
        # checked on Next, with a message at the question. The saved answer comes in through the
        # session state, so that it can be emptied again (an optional number once given withdrawn).
        if key not in st.session_state:
            st.session_state[key] = "" if saved is None else format_number(float(saved))
        # box and hint in one container: a message under the question then follows the container, and
        # the script that ties messages to their questions (SCROLL_TO_FIRST_ERROR) finds the box in it
        with st.container(key=f"survey_numeric_{item.id}", gap="small"):
            st.text_input(label, key=key, placeholder="Type a number", max_chars=40, autocomplete="off")
            st.caption(md_escape(" ".join(filter(None, [item.help, range_hint(item)]))))
    else:
        # No max_chars: the browser would drop a pasted text that is too long, silently and whole (and
        # counts an emoji as two). Too long is refused on Next, with the text kept and a message here.
        st.text_area(label, value=saved or "", key=key, help=help_text,
                     placeholder=f"Write as much or as little as you like (up to {item.max_length:,} characters).")


def question_problem(message: str) -> None:
    """The message under a question that Next refused. Not an alert: the one summary above the form
    is announced, and each question carries its own message as its description (aria-describedby,
    SCROLL_TO_FIRST_ERROR), so a screen reader hears it on reaching the question, not all at once."""
    st.html('<p class="survey-problem" style="margin: 0; padding: 0.5rem 0.75rem; border-left: 4px solid #b3261e; '
            'background: #fdecea; color: #8c1d18; border-radius: 0.25rem;">'
            f'<span aria-hidden="true">↑ </span><span>{html.escape(message)}</span></p>')


def problems_summary(problems: Mapping[str, str], numbers: Mapping[str, int], required_message: str) -> str:
    """The one message above a refused section, naming the questions: "Please answer questions 2, 4
    and 5 before going on." (the same words as the review screen's numbering)."""
    marked = sorted(numbers[item_id] for item_id in problems if item_id)
    if not marked:
        return problems.get("", "")
    verb = "answer" if {m for i, m in problems.items() if i} <= {required_message} else "check"
    names = [str(n) for n in marked]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Please {verb} question{'s' if len(names) > 1 else ''} {listed} before going on."


def answer_from_widget(item: Item, value: Any) -> Any:
    """The answer to save for a widget's value (None = not answered); a number box's text goes on
    as typed, for surveys.answers.check_answer to read or refuse with a message."""
    if value == NO_ANSWER:
        return None
    if item.type == "numeric" and isinstance(value, str) and not value.strip():
        return None
    return value
