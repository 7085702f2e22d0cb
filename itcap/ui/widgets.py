"""Small Streamlit helpers the assessment pages share (drawing only; the rules live in assessment/)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from assessment.tables import Assessment
from capability_model.schema import CapabilityModel
from itcap.storage import as_utc
from itcap.ui.text import md_escape

FLASH_KEY = "itcap_flash"


# -- addresses ------------------------------------------------------------------------------------------
def app_address() -> tuple[str, bool]:
    """The address invitation links start with, and whether it was configured: ``ITCAP_PUBLIC_URL``
    when set, else the address this browser reaches the app at (``itcap serve --port 8711`` made
    links to port 8501 that led nowhere), else the default."""
    import os
    from urllib.parse import urlsplit

    from surveys.invitations import public_url

    if os.environ.get("ITCAP_PUBLIC_URL", "").strip():
        return public_url(), True
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # noqa: BLE001 - no browser behind this run (a test harness)
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        return public_url(), False
    base_path = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"{parts.scheme}://{parts.netloc}" + (f"/{base_path}" if base_path else ""), False


# -- scripts -------------------------------------------------------------------------------------------
def run_script(js: str) -> None:
    """Run one of itcap's own scripts in the page (never anything a user typed). Each call is
    numbered so that the browser runs it again even when the script is the same."""
    count = st.session_state.get("itcap_script_runs", 0) + 1
    st.session_state["itcap_script_runs"] = count
    st.html(f'<script data-run="{count}">(function () {{{js}}})();</script>', unsafe_allow_javascript=True)


def key_class(key: str) -> str:
    """The CSS class Streamlit gives the element keyed ``key``: ``st-key-`` and the key with every
    character but letters, digits, '_' and '-' made '-' (a capability id may hold a '.')."""
    return "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key)


def mark_current_script(list_key: str, current_key: str) -> str:
    """A script that marks the button keyed ``current_key`` in the keyed list as the current one
    (``aria-current``), and no other (WCAG 1.3.1: the list shows it in bold only). The keys reach
    the script as class names: letters, digits, '_' and '-' only."""
    return (f"document.querySelectorAll('.{key_class(list_key)} button[aria-current]')"
            ".forEach(b => b.removeAttribute('aria-current'));"
            f"document.querySelector('.{key_class(current_key)} button')?.setAttribute('aria-current', 'page');")


def announce_script(message: str) -> str:
    """A script that says ``message`` to screen readers (WCAG 4.1.3) through one visually hidden
    live region kept outside Streamlit's own elements, so that it outlives reruns: a region created
    with its text, or text left unchanged, is not announced. Emptied first, so the same words twice
    (two saves in a row) are said twice."""
    # the message may hold a name: a JavaScript string, with no '<' that could end the script or
    # open a comment in the HTML around it
    text = json.dumps(message).replace("<", "\\u003c")
    return ("let r = document.getElementById('itcap-status');"
            "if (!r) { r = document.createElement('div'); r.id = 'itcap-status';"
            " r.setAttribute('role', 'status'); r.setAttribute('aria-live', 'polite');"
            " r.style.cssText = 'position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;"
            "clip:rect(0 0 0 0);white-space:nowrap;border:0;padding:0';"
            " document.body.appendChild(r); }"
            f"r.textContent = ''; setTimeout(() => {{ r.textContent = {text}; }}, 150);")


def scroll_to_top_script(*headings: str) -> str:
    """A script that scrolls the page to its top and moves keyboard focus to its first heading of
    the first of ``headings`` the page has (h2, then h1, …). Streamlit keeps the scroll position when
    the content changes, so a new screen (a survey section, another capability) would otherwise open
    where the last one was scrolled to; and a screen reader hears what the new screen is about."""
    lookups = " || ".join(f"document.querySelector('[data-testid=\"stMain\"] {h}')" for h in headings)
    return f"""
  const main = document.querySelector('[data-testid="stMain"]');
  if (main) main.scrollTo(0, 0);
  window.scrollTo(0, 0);
  const heading = {lookups};
  if (heading) {{ heading.setAttribute('tabindex', '-1'); heading.focus({{preventScroll: true}}); }}
"""


TYPING_PAUSE_MS = 2000  # a pause in typing this long saves what is in an evidence box


def save_typing_when_leaving(key_prefix: str, unsaved_marker: str | None = None) -> str:
    """A script for text boxes that save when they lose focus (an ``on_change`` outside a form), keyed
    ``key_prefix…``. Streamlit sends a box's value when it loses focus or on Ctrl+Enter; a phone user
    who switches to another app mid-sentence, or a desktop user who closes or reloads the tab, never
    leaves the box. So what is typed is also sent after a pause in typing (TYPING_PAUSE_MS), as
    Ctrl+Enter sends it: the box keeps the focus (a phone keeps its keyboard up). Leaving the page
    blurs the box first, while the connection is still open; closing or reloading with typing not yet
    sent asks the browser's "Leave site?" question. (The value blurred out then goes out only as the
    question is answered, and Streamlit drops a save not yet started when the tab's connection
    closes: the pause-save is what keeps a closed tab's evidence, all but its last two seconds.)
    ``unsaved_marker``: the key of a container the page draws while typed text was sent but not saved
    (refused, kept in the box): closing or reloading then asks too."""
    marker = f"document.querySelector('.{key_class(checked_key(unsaved_marker))}')" if unsaved_marker else "false"
    return f"""
  const flag = 'itcapSaveTyping_{key_prefix}';
  if (window[flag]) return;
  window[flag] = true;
  const ours = (box) => box && box.tagName === 'TEXTAREA' && box.closest('[class*="st-key-{key_prefix}"]');
  const typing = new WeakSet();
  const pauses = new WeakMap();
  const send = (box) => {{  // Streamlit's own Ctrl+Enter: the value goes out, the focus stays
    typing.delete(box);
    box.dispatchEvent(new KeyboardEvent('keydown', {{key: 'Enter', code: 'Enter', keyCode: 13, ctrlKey: true,
                                                    bubbles: true, cancelable: true}}));
  }};
  document.addEventListener('input', (e) => {{
    const box = e.target;
    if (!ours(box)) return;
    typing.add(box);
    clearTimeout(pauses.get(box));
    pauses.set(box, setTimeout(() => {{
      if (document.activeElement === box && typing.has(box) && box.isConnected) send(box);
    }}, {TYPING_PAUSE_MS}));
  }}, true);
  document.addEventListener('focusout', (e) => {{ typing.delete(e.target); clearTimeout(pauses.get(e.target)); }}, true);
  document.addEventListener('visibilitychange', () => {{
    const box = document.activeElement;
    if (document.visibilityState === 'hidden' && ours(box)) box.blur();
  }});
  window.addEventListener('beforeunload', (e) => {{
    const box = document.activeElement;
    const typed = ours(box) && typing.has(box);
    if (typed) box.blur();
    if (typed || {marker}) {{ e.preventDefault(); e.returnValue = ''; }}
  }});
"""


def ask_before_leaving_unsent(*key_prefixes: str) -> str:
    """A script for text boxes in forms (keyed ``key_prefix…``): their text goes to the server only
    with the form's button, so a tab closed or reloaded with words typed in one (a rationale, half
    written, while the lead checks another app) asks the browser's "Leave site?" first. A press of
    a button of the box's form takes it off the list. (Not save_typing_when_leaving: in a form,
    its Ctrl+Enter would submit.)"""
    for prefix in key_prefixes:
        checked_key(prefix)
    selector = ", ".join(f'[class*="st-key-{prefix}"]' for prefix in key_prefixes)
    return f"""
  const flag = 'itcapAskBeforeLeaving_{"_".join(key_prefixes)}';
  if (window[flag]) return;
  window[flag] = true;
  const typed = new Set();
  document.addEventListener('input', (e) => {{
    const box = e.target;
    if (box && box.tagName === 'TEXTAREA' && box.closest('{selector}')) typed.add(box);
  }}, true);
  document.addEventListener('click', (e) => {{
    const form = e.target.closest && e.target.closest('[data-testid="stForm"]');
    if (!form || !e.target.closest('button')) return;
    for (const box of [...typed]) if (form.contains(box)) typed.delete(box);
  }}, true);
  window.addEventListener('beforeunload', (e) => {{
    for (const box of [...typed]) {{
      if (!box.isConnected) {{ typed.delete(box); continue; }}
      if (box.value.trim()) {{ e.preventDefault(); e.returnValue = ''; return; }}
    }}
  }});
"""


PHONE_SCREEN = 640  # px: narrower screens get the phone version of a chart or table


# On a phone the capability list and Next sit below the card: the next capability opens at its name,
# brought to the top of the screen (below Streamlit's fixed header, its domain line in view) — from
# the page's top, its levels began more than a screen further down.
# On a wide screen, the page's top (with the progress bar) is in view with it: scrolled to the top.
SCROLL_TO_CAPABILITY = f"""
  const heading = document.querySelector('[data-testid="stMain"] h3');
  const narrow = window.innerWidth < {PHONE_SCREEN};
  if (heading && narrow) {{
    heading.style.scrollMarginTop = '6rem';
    heading.scrollIntoView({{block: 'start'}});
  }} else {{
    document.querySelector('[data-testid="stMain"]')?.scrollTo(0, 0);
    window.scrollTo(0, 0);
  }}
  if (heading) {{ heading.setAttribute('tabindex', '-1'); heading.focus({{preventScroll: true}}); }}
"""


# -- messages that survive the rerun after an action -------------------------------------------------
def flash(message: str, kind: str = "success") -> None:
    """Show ``message`` on the next run (after a callback or an st.rerun())."""
    st.session_state.setdefault(FLASH_KEY, []).append((kind, message))


def show_flash() -> None:
    """The messages of the last action, brought into view: the button that caused them is often far
    down the page (or below the fold on a phone), and Streamlit keeps the scroll position."""
    messages = st.session_state.pop(FLASH_KEY, [])
    if not messages:
        return
    with st.container(key="itcap_flash"):
        for kind, message in messages:
            {"success": st.success, "error": st.error, "warning": st.warning, "info": st.info}.get(kind, st.info)(message)
    scroll_into_view("itcap_flash")


def checked_key(container_key: str) -> str:
    """A container key safe to put into a script of our own (letters, digits, _ and -: no user text)."""
    if not container_key.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"not a container key: {container_key!r}")
    return container_key


def scroll_into_view(container_key: str) -> None:
    """Scroll the keyed container into view once it is drawn (a script of our own, no user text)."""
    checked_key(container_key)
    # Again once the run has ended: the previous run's elements are removed then, which moves what
    # lies below them (on a slow server, the target scrolled above the screen).
    run_script(f"""
  const scroll = () => {{
    const target = document.querySelector('.st-key-{container_key}');
    if (target) target.scrollIntoView({{block: 'start'}});
  }};
  scroll();
  let waited = 0;
  const timer = setInterval(() => {{
    waited += 100;
    const app = document.querySelector('[data-testid="stApp"]');
    if ((app && app.getAttribute('data-test-script-state') === 'notRunning') || waited > 5000) {{
      clearInterval(timer);
      scroll();
    }}
  }}, 100);
""")


# -- words and numbers --------------------------------------------------------------------------------
def _browser_zone() -> dt.tzinfo:
    try:
        name = st.context.timezone
    except Exception:  # noqa: BLE001 - no browser context (AppTest, bare mode)
        name = None
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return dt.UTC


def when(moment: dt.datetime | None) -> str:
    """A stored UTC time in the browser's time zone (UTC when unknown), e.g. "27 Nov 2026, 14:05"."""
    if moment is None:
        return ""
    zone = _browser_zone()
    local = as_utc(moment).astimezone(zone)
    suffix = " UTC" if zone is dt.UTC else ""
    return f"{local.day} {local:%b %Y, %H:%M}{suffix}"


def level_text(model: CapabilityModel, level: float | None) -> str:
    """3 → "3 · Defined"; 2.5 → "2.5 (between Repeatable and Defined)"; None → "not rated"."""
    if level is None:
        return "not rated"
    level = float(level)
    if level.is_integer():
        return f"{int(level)} · {model.level_name(int(level))}"
    return f"{level:g} (between {model.level_name(int(level))} and {model.level_name(int(level) + 1)})"


def assessment_label(assessment: Assessment) -> str:
    # "Closed" first: a phone's selectbox cuts the label off at about 40 characters, and the end with it
    closed = "" if assessment.status == "open" else "Closed — "
    return f"{closed}{assessment.name} · {assessment.org_unit} · {assessment.assessed_on:%d %b %Y}"


def pick_assessment(assessments: Sequence[Assessment], key: str) -> Assessment:
    """A selectbox when there is a choice (open assessments first); a caption when there is one."""
    if len(assessments) == 1:
        st.caption(f"Assessment: **{md_escape(assessment_label(assessments[0]))}**")
        return assessments[0]
    ordered = sorted(assessments, key=lambda a: a.status != "open")  # stable: newest first within each
    by_id = {a.id: a for a in ordered}
    chosen = st.selectbox("Assessment", list(by_id), format_func=lambda i: assessment_label(by_id[i]), key=key)
    return by_id[chosen]


def plain_text(text: str, empty: str = "—") -> None:
    """User-written text (evidence, rationales) exactly as typed: never markdown, never HTML."""
    if text and text.strip():
        st.text(text)
    else:
        st.caption(empty)


def left_align_buttons(container_key: str) -> None:
    """Buttons in the keyed container read as a list: label left-aligned, wrapping under itself."""
    st.html(f"<style>.st-key-{container_key} button {{justify-content: flex-start; text-align: left;}}"
            f".st-key-{container_key} button div {{justify-content: flex-start; text-align: left;}}</style>")


def highlight_chosen_option(container_key: str) -> None:
    """In the keyed container, the chosen radio option and its caption stand out from the others."""
    chosen = f'.st-key-{container_key} div:has(> [data-testid="stRadioOption"] input:checked)'
    st.html(f"<style>{chosen} {{background: rgba(28, 131, 225, 0.08); border-radius: 0.5rem;"
            f" box-shadow: 0 0 0 0.35rem rgba(28, 131, 225, 0.08);}}"
            f'{chosen} [data-testid="stRadioCaption"], {chosen} [data-testid="stRadioCaption"] * {{color: inherit; opacity: 1;}}'
            '</style>')


def caption_selects_option(container_key: str) -> None:
    """In the keyed container, a tap or click on a radio option's caption (a level's description,
    three lines on a phone) chooses that option, as one on its label does: Streamlit puts the
    caption beside the label, not in it, so only the one-line label answered (a script of our own,
    the key checked)."""
    key = checked_key(container_key)
    st.html(f'<style>.st-key-{key} [data-testid="stRadioCaption"] {{ cursor: pointer; }}</style>')
    run_script(f"""
  if (!window.itcapCaptionPicks) window.itcapCaptionPicks = new Set();
  if (window.itcapCaptionPicks.has('{key}')) return;
  window.itcapCaptionPicks.add('{key}');
  document.addEventListener('click', (event) => {{
    const caption = event.target.closest('.st-key-{key} [data-testid="stRadioCaption"]');
    if (!caption || event.target.closest('a') || String(window.getSelection() || '')) return;  // not while selecting text
    const option = caption.parentElement && caption.parentElement.querySelector('[data-testid="stRadioOption"]');
    if (option) option.click();
  }});
""")




# The page's main column as a CSS container: what fits is decided by its width, not the screen's —
# a tablet with the sidebar open has a 488-pixel column on an 820-pixel screen.
MAIN_CONTAINER_STYLE = ".stMainBlockContainer { container-type: inline-size; container-name: itcap-main; }"


def wide_and_phone(key: str):
    """Two containers: the first shown where the page's main column is ``PHONE_SCREEN`` px or
    wider, the second where it is narrower (a phone, or a tablet with the sidebar open: CSS
    container queries; both are sent, the browser shows one)."""
    st.html(f"<style>{MAIN_CONTAINER_STYLE}"
            f"@container itcap-main (max-width: {PHONE_SCREEN - 1}px) {{ .st-key-{key}-wide {{ display: none; }} }}"
            f"@container itcap-main (min-width: {PHONE_SCREEN}px) {{ .st-key-{key}-phone {{ display: none; }} }}"
            # a browser without container queries (Safari before 16) goes by the screen, as before
            f"@supports not (container-type: inline-size) {{"
            f"@media (max-width: {PHONE_SCREEN - 1}px) {{ .st-key-{key}-wide {{ display: none; }} }}"
            f"@media (min-width: {PHONE_SCREEN}px) {{ .st-key-{key}-phone {{ display: none; }} }} }}</style>")
    return st.container(key=f"{key}-wide"), st.container(key=f"{key}-phone")


PHONE_COMMENTS = 300  # comments listed per question on a phone; the table (wider screens) and the exports hold all


def records_for_phone(records: list[tuple[str, str]], *, css_class: str = "itcap-records") -> None:
    """Rows of a table as a wrapped, scrollable list for a phone, where only a table's first columns
    are in view: each a bold heading line (may be empty) over its text, escaped, never markup."""
    import html

    shown = records[:PHONE_COMMENTS]
    items = "".join('<p style="margin:0 0 .6rem;padding-bottom:.6rem;border-bottom:1px solid #e6e6e6;'
                    'white-space:pre-wrap;overflow-wrap:anywhere">'
                    + (f"<strong>{html.escape(heading)}</strong>\n" if heading else "") + f"{html.escape(text)}</p>"
                    for heading, text in shown)
    more = (f'<p style="color:#5f5c59;font-size:.875rem">The first {len(shown):,} of {len(records):,}; a wider screen '
            "shows them all in a table.</p>") if len(records) > len(shown) else ""
    st.html(f'<div class="{css_class}" style="max-height:60vh;overflow-y:auto">{items}</div>{more}')


def ask_first(label: str, *, key: str, question: str, confirm_label: str, on_confirm, args: tuple = (),
              icon: str | None = None, help: str | None = None, disabled: bool = False, at=None, panel=None) -> None:
    """A button for something that cannot be undone, in two steps: "Label…" shows ``question`` with
    ``confirm_label`` and Cancel (in ``panel``, below a row of buttons; default where the button is),
    and only the confirmation acts. ``at``: the container for the first button."""
    at = at if at is not None else st
    pending = f"{key}__asked"
    if not st.session_state.get(pending):
        at.button(f"{label}…", key=key, icon=icon, help=help, disabled=disabled,
                  on_click=lambda: st.session_state.update({pending: True}))
        return
    with (panel if panel is not None else at).container(border=True):
        st.warning(question, icon=":material/warning:")
        yes, no = st.columns(2)
        yes.button(confirm_label, type="primary", key=f"{key}__yes", width="stretch", on_click=_confirmed,
                   args=(pending, on_confirm, args))
        no.button("Cancel", key=f"{key}__no", width="stretch", on_click=lambda: st.session_state.pop(pending, None))


def _confirmed(pending: str, on_confirm, args: tuple) -> None:
    st.session_state.pop(pending, None)
    on_confirm(*args)
