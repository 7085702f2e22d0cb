"""Accounts: who can log in, with which roles; create, change roles, disable/enable, reset a
password, lift a lockout. The rules (no self-lockout, never without an active administrator) and
the audit entries live in ``itcap.accounts``; this page reads input and shows the outcome.

A generated password is shown once, on the run right after it was made, and is then gone from the
server: it is not stored in clear anywhere.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assessment import service as assessment_service
from itcap import accounts
from itcap.accounts import ADMIN, ROLE_LABELS, ROLES, AccountError
from itcap.names import NAME_MAX
from itcap.storage import session_scope
from itcap.ui import auth, widgets
from itcap.ui.text import md_code, md_escape

account = auth.require_role(ADMIN)

REVEAL_KEY = "admin_accounts_reveal"  # (username, password, why): popped as soon as it is shown


def _actor():
    """The acting administrator, re-read at the moment of the action (callbacks run before the page)."""
    actor = auth.current_account()
    if actor is None or actor.id != account.id or not actor.has_role(ADMIN):
        return None
    return actor


def _role_names(roles) -> str:
    return ", ".join(ROLE_LABELS[r] for r in ROLES if r in roles) or "no role"


def _create() -> None:
    actor = _actor()
    if actor is None:
        return
    state = st.session_state
    username = (state.get("acct_new_username") or "").strip()
    password = state.get("acct_new_password") or ""
    # After a refusal the form stays open on the fields to fix, but the passwords are emptied: hidden
    # behind dots, a kept password would be a surprise in the next attempt.
    if password and password != (state.get("acct_new_password2") or ""):
        widgets.flash("The two passwords do not match; nothing was created. Type the password twice again.", "error")
        st.session_state["acct_create_again"] = True
        state["acct_new_password"] = state["acct_new_password2"] = ""
        return
    try:
        with session_scope() as session:
            created, generated = accounts.add_account(session, username, state.get("acct_new_roles") or [], actor=actor,
                                                      display_name=state.get("acct_new_name") or "", password=password or None)
    except AccountError as exc:
        retype = " Type the password twice again." if password else ""
        widgets.flash(f"Not created: {md_escape(exc)}.{retype}", "error")
        st.session_state["acct_create_again"] = True
        state["acct_new_password"] = state["acct_new_password2"] = ""
        return
    # as code: a username that is an e-mail address is not made a mailto link
    widgets.flash(f"Account {md_code(created.username)} created ({_role_names(created.role_set)}).")
    if not created.role_set:  # allowed (roles can come later), but easy to miss
        widgets.flash("It has no role yet: the person can log in but sees only *My account*. Give it a role below.",
                      "warning")
    if generated:
        st.session_state[REVEAL_KEY] = (created.username, generated, "the new account")
    state["acct_selected"] = created.id  # ready for changes
    for key in ("acct_new_username", "acct_new_name", "acct_new_password", "acct_new_password2"):
        state[key] = ""
    state["acct_new_roles"] = []


def _act(account_id: int, action: str) -> None:
    """Change roles, disable, enable, reset the password or unlock the chosen account."""
    actor = _actor()
    if actor is None:
        return
    try:
        with session_scope() as session:
            target = accounts.get_account(session, account_id)
            if target is None:
                raise AccountError("that account no longer exists")
            name = md_escape(target.username)
            if action == "roles":
                roles = st.session_state.get(f"acct_roles_{account_id}") or []
                changed = accounts.change_roles(session, target, roles, actor=actor)
                message = f"**{name}** now has: {_role_names(target.role_set)}." if changed else f"**{name}**: roles unchanged."
            elif action in ("disable", "enable"):
                accounts.set_active(session, target, action == "enable", actor=actor)
                message = (f"**{name}** is enabled and can log in again." if action == "enable" else
                           f"**{name}** is disabled: they cannot log in, and an open session ends on their next click.")
            elif action == "reset":
                password = accounts.reset_password(session, target, actor=actor)
                if target.id == actor.id:  # one's own: this session carries on, to show the new password
                    auth.keep_session_after_password_change(target)
                st.session_state[REVEAL_KEY] = (target.username, password, "the new password")  # shown as code: as stored
                message = f"**{name}** has a new password; their old one no longer works."
            elif action == "rename":
                changed = accounts.rename(session, target, st.session_state.get(f"acct_name_{account_id}", ""), actor=actor.username)
                message = (f"**{name}** is now shown as **{md_escape(target.display_name)}**." if changed
                           else f"**{name}**: display name unchanged.")
            elif action == "unlock":
                accounts.unlock(session, target, actor=actor)
                message = f"**{name}** is unlocked and can try to log in again."
            else:
                raise AccountError(f"unknown action {action!r}")
        problems = []
        if action in ("roles", "disable"):  # what the change leaves undone in open assessments, said at once
            with session_scope() as session:
                target = accounts.get_account(session, account_id)
                problems = assessment_service.membership_problems(target, assessment_service.open_memberships(session, account_id))
    except AccountError as exc:
        if action in ("roles", "rename"):  # the form shows the stored value again, not the refused one
            st.session_state.pop(f"acct_{'roles' if action == 'roles' else 'name'}_{account_id}", None)
        widgets.flash(f"Not done: {md_escape(exc)}.", "error")
        return
    widgets.flash(message)
    for problem in problems:
        widgets.flash(f"**{md_escape(target.username)}** {md_escape(problem)} (Assessments page).", "warning")


st.title("Accounts", anchor=False)
st.caption("People who log in: administrators, lead assessors, assessors and leadership. Survey respondents never "
           "need an account.")
widgets.show_flash()

reveal = st.session_state.pop(REVEAL_KEY, None)
if reveal is not None:
    username, password, what = reveal
    with st.container(border=True, key="acct_reveal"):
        st.markdown(f":material/key: Password for {md_code(username)} — {what}:")
        st.code(password, language=None)
        st.warning("Copy it now (the box has a copy button: point at it, or tap it on a phone) and hand it over by a safe channel. "
                   "It is shown **only this once**: itcap keeps only a hash, and the password disappears as soon as "
                   "you do anything else on this page. They can change it under *My account*.", icon=":material/warning:")
    widgets.scroll_into_view("acct_reveal")

with session_scope() as session:
    everyone = accounts.list_accounts(session)
    admins_left = accounts.active_admin_count(session)

# Status second: on a phone only the first columns are in view, and a lockout is why someone calls
rows = [{
    "Username": a.username,
    "Status": ("disabled" if not a.is_active else f"locked until {widgets.when(a.locked_until)}" if accounts.is_locked(a)
               else "active"),
    "Roles": _role_names(a.role_set),
    "Name": a.display_name,
    "Failed logins": a.failed_attempts,
    "Created": widgets.when(a.created_at),
} for a in everyone]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="acct_table")
if len(everyone) == 1:
    st.info("You are the only account so far. Create one below for each assessor, lead assessor and member of "
            "leadership; they can then log in with the username and the password you hand them.", icon=":material/info:")

with (st.expander("Create an account", expanded=len(everyone) == 1 or st.session_state.pop("acct_create_again", False), icon=":material/person_add:"),
      st.form("acct_create", clear_on_submit=False, border=False)):
    left, right = st.columns(2)
    left.text_input("Username", key="acct_new_username", max_chars=accounts.USERNAME_MAX,
                    help="What they type to log in: no spaces. With single sign-on, use their e-mail address.")
    right.text_input("Display name", key="acct_new_name", max_chars=200, help="Shown in the app, e.g. “Ana Silva”.")
    st.multiselect("Roles", ROLES, key="acct_new_roles", format_func=ROLE_LABELS.get,
                   help="A person may hold several roles, e.g. lead assessor and assessor.")
    left, right = st.columns(2)
    left.text_input("Password (optional)", type="password", key="acct_new_password", autocomplete="new-password",
                    help=f"Leave blank to generate a strong one, shown once. At least {accounts.MIN_PASSWORD_LENGTH} characters.")
    right.text_input("Password again", type="password", key="acct_new_password2", autocomplete="new-password")
    st.form_submit_button("Create account", type="primary", icon=":material/person_add:", on_click=_create)

st.subheader("Change an account", anchor=False)
by_id = {a.id: a for a in everyone}
chosen_id = st.selectbox(
    "Account", list(by_id), key="acct_selected",
    format_func=lambda i: f"{by_id[i].username} · {by_id[i].display_name}" + ("" if by_id[i].is_active else " (disabled)"),
)
chosen = by_id[chosen_id]
myself = chosen.id == account.id
last_admin = chosen.has_role(ADMIN) and chosen.is_active and admins_left <= 1

with st.container(border=True):
    state = "active" if chosen.is_active else "disabled"
    locked = accounts.is_locked(chosen)
    st.markdown(f"**{md_escape(chosen.display_name)}** ({md_code(chosen.username)}) · {state}"
                + (f" · :orange[locked until {widgets.when(chosen.locked_until)}]" if locked else "")
                + (" · this is you" if myself else ""))
    with session_scope() as session:
        memberships = assessment_service.open_memberships(session, chosen.id)
    if memberships:
        led = sum(1 for _, lead in memberships if lead)
        st.caption(f"Assessor of {len(memberships)} open assessment{'s' if len(memberships) != 1 else ''}"
                   + (f", lead of {led}" if led else "") + ": "
                   + ", ".join(md_escape(a.name) for a, _ in memberships) + ".")
    for problem in assessment_service.membership_problems(chosen, memberships):
        st.warning(f"{md_escape(chosen.display_name)} {md_escape(problem)} (Assessments page).", icon=":material/warning:")
    with st.form(f"acct_roles_form_{chosen.id}", border=False):
        # named with the account: the "Create an account" form on the same page has a "Roles" and a "Display name"
        # too, and a screen reader moving between fields hears only the name
        st.multiselect(f"Roles of {chosen.username}", ROLES, default=[r for r in ROLES if chosen.has_role(r)], key=f"acct_roles_{chosen.id}",
                       format_func=ROLE_LABELS.get)
        if myself:
            st.caption("You cannot remove your own administrator role: another administrator has to.")
        elif last_admin:
            st.caption("This is the last active administrator: make someone else an administrator before removing the role.")
        st.form_submit_button("Save roles", on_click=_act, args=(chosen.id, "roles"))
    with st.form(f"acct_name_form_{chosen.id}", border=False):
        st.text_input(f"Display name of {chosen.username}", value=chosen.display_name, key=f"acct_name_{chosen.id}", max_chars=NAME_MAX,
                      help="How the person appears on pages, in the assessments and in reports (blank: the username).")
        st.form_submit_button("Save name", on_click=_act, args=(chosen.id, "rename"))

    actions = st.container(horizontal=True)
    asked = st.container()  # the confirmations, below the row of buttons
    who = f"**{md_escape(chosen.display_name)}**"
    if chosen.is_active:
        why_not = ("You cannot disable your own account." if myself else
                   "The last active administrator cannot be disabled." if last_admin else None)
        widgets.ask_first("Disable", key=f"acct_disable_{chosen.id}", icon=":material/block:", disabled=why_not is not None,
                          help=why_not or "They can no longer log in; their ratings and history are kept.",
                          question=f"Disable {who}? They are logged out on their next click and cannot log in until an "
                                   "administrator enables the account again.",
                          confirm_label="Disable the account", on_confirm=_act, args=(chosen.id, "disable"), at=actions, panel=asked)
    else:
        actions.button("Enable", icon=":material/check_circle:", key="acct_enable", on_click=_act, args=(chosen.id, "enable"))
    widgets.ask_first("Reset password", key=f"acct_reset_{chosen.id}", icon=":material/key:",
                      help="Generate a new password, shown once, and clear any lockout. The old password stops working.",
                      question=f"Give {who} a new password? Their current password stops working at once; the new one "
                               "is shown here once, for you to pass on.",
                      confirm_label="Reset the password", on_confirm=_act, args=(chosen.id, "reset"), at=actions, panel=asked)
    actions.button("Unlock", icon=":material/lock_open:", key="acct_unlock", disabled=not (locked or chosen.failed_attempts),
                   help=f"After {accounts.MAX_FAILED_ATTEMPTS} failed logins an account is locked for "
                        f"{int(accounts.LOCKOUT.total_seconds() // 60)} minutes; unlock it sooner here.",
                   on_click=_act, args=(chosen.id, "unlock"))
