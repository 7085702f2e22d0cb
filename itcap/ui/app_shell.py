"""What app.py needs: database bootstrap once per process, navigation per role, the sidebar."""

from __future__ import annotations

import os
import sys

import streamlit as st

from itcap.accounts import ROLE_LABELS
from itcap.ui import auth
from itcap.ui.navigation import ACCOUNT_PAGE, LOGIN_PAGE, ROLE_PAGES, SURVEY_PAGE, PageSpec, pages_for
from itcap.ui.text import md_escape


@st.cache_resource(show_spinner=False)
def _bootstrap_once(url: str) -> None:
    from itcap.bootstrap import bootstrap, safe_url

    result = bootstrap(url)
    # Which database this replica serves, in its log: one that lost its environment would otherwise
    # answer "ok" on /_stcore/health from a new SQLite file of its own.
    print(f"itcap: serving database {safe_url(result.url)} ({result.schema_change})", file=sys.stderr, flush=True)
    if result.readable_by_others:
        print(f"itcap: warning: the database file can be read by other accounts on this machine (mode "
              f"{result.readable_by_others}): chmod 600 it", file=sys.stderr, flush=True)
    if result.generated_admin_password:
        # The server console is the only place this password ever appears.
        print(f"itcap: created administrator 'admin' with password (shown once): {result.generated_admin_password}",
              file=sys.stderr, flush=True)
    if os.environ.get("ITCAP_WARM_UP", "1") != "0":
        import threading

        from itcap.ui.dashboard_data import warm_up

        threading.Thread(target=warm_up, name="itcap-dashboard-warm-up", daemon=True).start()


@st.cache_resource(show_spinner=False)
def app_icon():
    """The browser tab's icon, drawn here (a small radar in the theme's blue). A Material icon name
    would make every browser — respondents' included — fetch it from fonts.gstatic.com, a third
    party that would see their address; an image is served by the app itself."""
    from PIL import Image, ImageDraw

    size = 64
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((2, 2, size - 3, size - 3), fill=(11, 83, 148, 255))
    draw.polygon([(32, 10), (52, 26), (44, 50), (20, 48), (14, 24)], fill=(255, 255, 255, 255))
    return image


# Styles every page needs, respondents' included:
# - charts drawn at their own size (radar, dot plots, IPA, heatmap) scroll sideways on a narrow
#   screen instead of being cut off; the stretched ones fit the width anyway;
# - small grey text people must read (level descriptors, hints, "Saved …") at 4.5:1 or better
#   against white (WCAG AA; Streamlit's own grey is about 3.9:1);
# - a keyboard user sees which radio option has focus, on every page (Streamlit shows only a faint tint);
# - a container scrolled into view after an action stops below the fixed page header, not under it.
APP_CSS = """<style>
[data-testid='stVegaLiteChart'] { overflow-x: auto; max-width: 100%; }
[data-testid='stCaptionContainer'], [data-testid='stRadioCaption'], [data-testid='stRadioCaption'] *,
[data-testid='stWidgetLabel'] small { color: #5f5c59; opacity: 1; }
[data-testid='stRadioOption']:has(input:focus-visible) {
  outline: 2px solid currentColor; outline-offset: 2px; border-radius: 0.25rem;
}
[class*='st-key-'] { scroll-margin-top: 4.5rem; }
/* what keyboard focus scrolls into view is not left under the sticky header (WCAG 2.4.11) */
[data-testid='stMain'] { scroll-padding-top: 4.5rem; }
/* Streamlit's <main> is a tab stop (tabindex 0) with its outline removed: focus seemed to vanish there */
[data-testid='stMain']:focus-visible { outline: 2px solid currentColor !important; outline-offset: -3px; }
[data-testid='stElementContainer']:has(.itcap-app-css) { display: none; }
</style><span class="itcap-app-css"></span>"""
# Drawn with st.markdown, not st.html: st.html sends style-only HTML to Streamlit's event container,
# which does not keep what is drawn before navigation.run(), and strips <style> from other HTML — so
# these rules never reached the browser. The <span> lets the rule above hide the element's empty box.


def page_setup() -> None:
    st.set_page_config(page_title="itcap", page_icon=app_icon(), layout="wide")
    st.markdown(APP_CSS, unsafe_allow_html=True)


def title_page(page: st.Page) -> None:
    """The browser tab (and a screen reader arriving on the page) names the page: "Rate · itcap",
    not "itcap" on every page (WCAG 2.4.2)."""
    st.set_page_config(page_title=f"{page.title} · itcap")


def ensure_database() -> None:
    from itcap.bootstrap import BootstrapError
    from itcap.storage import NotAnItcapDatabase, database_url

    from sqlalchemy.exc import OperationalError

    try:
        _bootstrap_once(database_url())
    except (NotAnItcapDatabase, BootstrapError) as exc:  # the administrator's setup, said plainly instead of a traceback
        st.error(f"itcap cannot start: {exc}.", icon=":material/database:")
        st.stop()
    except OperationalError as exc:  # the database is down or unreachable: not cached, the next visit tries again
        print(f"itcap: cannot reach the database: {str(exc.orig or exc).strip().splitlines()[0]}", file=sys.stderr, flush=True)
        st.error("itcap cannot reach its database just now. Please try again in a few minutes; nothing you have "
                 "already saved or submitted is lost.", icon=":material/cloud_off:")
        st.stop()


def _st_page(spec: PageSpec, default: bool = False) -> st.Page:
    return st.Page(spec.path, title=spec.title, icon=spec.icon, url_path=spec.url_path, default=default)


def build_navigation():
    if st.query_params.get("token"):
        return st.navigation([_st_page(SURVEY_PAGE, default=True)], position="hidden")
    account = auth.current_account()
    if account is None:
        # Every page is reachable by its URL (a bookmark, a reloaded tab) but draws only the log-in
        # form until someone logs in (auth.require_role, the first line of each page); logging in
        # there reruns onto that page if the account may see it. Nothing is listed.
        return st.navigation([_st_page(LOGIN_PAGE, default=True)] + [_st_page(spec) for spec in (*ROLE_PAGES, ACCOUNT_PAGE)],
                             position="hidden")
    specs = pages_for(account.role_set)
    sections: dict[str, list[st.Page]] = {}
    for index, spec in enumerate(specs):
        sections.setdefault(spec.section, []).append(_st_page(spec, default=index == 0))
    sections.setdefault(ACCOUNT_PAGE.section, []).append(_st_page(ACCOUNT_PAGE, default=not specs))
    return st.navigation(sections)


def sidebar() -> None:
    if st.query_params.get("token"):
        return
    account = auth.current_account()
    if account is None:
        auth.hand_over_cookie()  # (a dead cookie taken back; in the main column: no sidebar to open for it)
        return
    with st.sidebar:
        auth.hand_over_cookie()
        roles = ", ".join(ROLE_LABELS[r] for r in sorted(account.role_set))
        st.caption(f"Signed in as **{md_escape(account.display_name)}** ({roles or 'no role'})")
        if st.button("Log out", icon=":material/logout:", key="itcap_logout",
                     help="Ends this session: this tab, and any tab of this browser that carried it on after a reload. "
                          "A session you logged in to elsewhere stays until you log out there or it times out; changing "
                          "your password (Account) ends every other session."):
            auth.log_out(end_sso=True)
            st.rerun()
