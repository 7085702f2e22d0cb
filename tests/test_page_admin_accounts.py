"""AppTest: the Accounts page — list, create (generated password shown once, or typed), change roles,
disable/enable, reset a password, unlock; the self-lockout rules; every action audited."""

from __future__ import annotations

import shutil

import pytest

from itcap import accounts, audit
from itcap.bootstrap import bootstrap
from itcap.storage import dispose_engines, session_scope
from tests.builders import PASSWORD, people
from tests.support import app_test, database_copy

PAGE = "pages/admin_accounts.py"


@pytest.fixture(scope="module")
def populated(sqlite_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("admin-accounts") / "itcap.db"
    shutil.copyfile(sqlite_template, path)
    ids = people(f"sqlite:///{path}")
    dispose_engines()
    return path, ids


@pytest.fixture
def setup(populated, tmp_path, monkeypatch):
    path, ids = populated
    with database_copy(path, tmp_path, monkeypatch) as url:
        yield {"url": url, **ids}


def _page(setup):
    return app_test(setup["admin"], page=PAGE).run()


def _account(setup, username):
    with session_scope(setup["url"]) as session:
        return accounts.get_by_username(session, username)


def _log(setup):
    with session_scope(setup["url"]) as session:
        return [(e.actor, e.action, e.target) for e in reversed(audit.recent(session)) if e.action.startswith("account.")]


def _choose(at, setup, username):
    at.selectbox(key="acct_selected").set_value(setup[username]).run()
    assert not at.exception
    return at


def _submit(at, label):
    next(b for b in at.form_submit_button if b.label == label).click().run()
    assert not at.exception
    return at


def test_lists_every_account_with_roles_state_and_lockout(setup):
    with session_scope(setup["url"]) as session:
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            accounts.authenticate(session, "ben", "wrong password!")
    at = _page(setup)
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["Username", "Status", "Roles", "Name", "Failed logins", "Created"]
    assert list(table["Username"]) == ["admin", "ana", "ben", "lead", "lee"]
    rows = table.set_index("Username")
    assert rows.loc["lead", "Roles"] == "Lead assessor, Assessor"
    assert rows.loc["admin", "Roles"] == "Administrator"
    assert rows.loc["ben", "Status"].startswith("locked until ") and rows.loc["ana", "Status"] == "active"


def test_only_account_gets_a_hint_to_create_the_others(db_url):
    bootstrap(db_url)
    with session_scope(db_url) as session:
        admin_id = accounts.get_by_username(session, "admin").id
    at = app_test(admin_id, page=PAGE).run()
    assert any("only account so far" in i.value for i in at.info)


def test_create_with_a_generated_password_shows_it_once(setup):
    at = _page(setup)
    at.text_input(key="acct_new_username").input("zoe")
    at.text_input(key="acct_new_name").input("Zoe Zed")
    at.multiselect(key="acct_new_roles").set_value(["assessor", "leadership"])
    _submit(at, "Create account")
    assert [s.value for s in at.success] == ["Account `zoe` created (Assessor, Leadership)."]
    shown = [c.value for c in at.code]
    assert len(shown) == 1 and len(shown[0]) == 16
    assert any("only this once" in w.value for w in at.warning)
    created = _account(setup, "zoe")
    assert created.role_set == {"assessor", "leadership"} and created.display_name == "Zoe Zed"
    with session_scope(setup["url"]) as session:
        assert accounts.authenticate(session, "zoe", shown[0]).ok
    # The form is emptied, and the next run no longer has the password anywhere.
    assert at.text_input(key="acct_new_username").value == ""
    at.run()
    assert not at.code
    assert all(shown[0] not in str(at.session_state[k]) for k in at.session_state if not k.startswith("$$"))
    assert _log(setup)[-1] == ("admin", "account.create", "account:zoe")


def test_an_e_mail_address_as_username_is_shown_as_typed_not_as_a_mail_link(setup):
    at = _page(setup)
    at.text_input(key="acct_new_username").input("ana.b@example.org")
    _submit(at, "Create account")
    assert [s.value for s in at.success] == ["Account `ana.b@example.org` created (no role)."]  # a code span: never autolinked
    assert any(m.value.startswith(":material/key: Password for `ana.b@example.org` —") for m in at.markdown)


def test_an_account_created_without_a_role_is_pointed_out(setup):
    at = _page(setup)
    at.text_input(key="acct_new_username").input("norole")
    _submit(at, "Create account")
    assert [s.value for s in at.success] == ["Account `norole` created (no role)."]
    assert any("no role yet" in w.value and "My account" in w.value for w in at.warning)


def test_create_with_a_typed_password(setup):
    at = _page(setup)
    at.text_input(key="acct_new_username").input("zoe")
    at.multiselect(key="acct_new_roles").set_value(["assessor"])
    at.text_input(key="acct_new_password").input("a typed password")
    at.text_input(key="acct_new_password2").input("a typed passwort")
    _submit(at, "Create account")
    assert [e.value for e in at.error] == ["The two passwords do not match; nothing was created. Type the password twice again."]
    assert _account(setup, "zoe") is None
    # the rest of the form is kept to fix; the hidden passwords are not, so none is carried over unseen
    assert at.text_input(key="acct_new_username").value == "zoe" and at.multiselect(key="acct_new_roles").value == ["assessor"]
    assert at.text_input(key="acct_new_password").value == "" and at.text_input(key="acct_new_password2").value == ""
    at.text_input(key="acct_new_username").input("zoe")
    at.text_input(key="acct_new_password").input("a typed password")
    at.text_input(key="acct_new_password2").input("a typed password")
    _submit(at, "Create account")
    assert not at.error and not at.code  # nothing to reveal: the admin chose it
    with session_scope(setup["url"]) as session:
        assert accounts.authenticate(session, "zoe", "a typed password").ok


@pytest.mark.parametrize("username, password, message", [
    ("ana", "", "already exists"),
    ("has space", "", "(no spaces)"),
    ("<script>", "", "letters, digits and"),
    ("zoe", "short", "at least 10 characters"),
])
def test_create_refuses_bad_input_with_the_reason(setup, username, password, message):
    at = _page(setup)
    at.text_input(key="acct_new_username").input(username)
    at.text_input(key="acct_new_password").input(password)
    at.text_input(key="acct_new_password2").input(password)
    _submit(at, "Create account")
    assert len(at.error) == 1 and message in at.error[0].value and at.error[0].value.startswith("Not created:")
    assert not at.code
    create = next(e for e in at.expander if e.label == "Create an account")
    assert create.proto.expanded  # the form stays open on the fields to fix
    with session_scope(setup["url"]) as session:
        assert len(accounts.list_accounts(session)) == 5


def test_change_roles_of_another_account(setup):
    at = _choose(_page(setup), setup, "ana")
    at.multiselect(key=f"acct_roles_{setup['ana']}").set_value(["lead_assessor", "assessor"])
    _submit(at, "Save roles")
    assert "**ana** now has: Lead assessor, Assessor." in [s.value for s in at.success]
    assert _account(setup, "ana").role_set == {"lead_assessor", "assessor"}
    assert _log(setup)[-1] == ("admin", "account.roles", "account:ana")


def test_fields_to_change_an_account_are_named_apart_from_the_create_form_s(setup):
    """"Display name" and "Roles" twice on one page: a screen reader heard the same name for both."""
    at = _choose(_page(setup), setup, "ana")
    labels = [w.label for w in [*at.text_input, *at.multiselect]]
    assert len(labels) == len(set(labels)), labels
    assert {"Roles", "Display name", "Roles of ana", "Display name of ana"} <= set(labels)


def test_taking_the_lead_role_from_the_lead_of_an_open_assessment_says_what_that_leaves_undone(setup):
    from tests.builders import supplier_assessment

    supplier_assessment(setup["url"], setup)  # lead leads it; ana and ben assess
    at = _choose(_page(setup), setup, "lead")
    assert any(c.value.startswith("Assessor of 1 open assessment, lead of 1: Review 2026-10") for c in at.caption)
    assert not at.warning
    at.multiselect(key=f"acct_roles_{setup['lead']}").set_value(["assessor"])
    _submit(at, "Save roles")
    assert any(w.value.startswith("**lead** leads “Review 2026-10” without the lead assessor role: nobody can decide "
                                  "the consensus there") for w in at.warning)
    at = _choose(_page(setup), setup, "lead")  # and it stays in view on the account until it is resolved
    assert any("without the lead assessor role" in w.value for w in at.warning)
    # disabling an assessor: their ratings still count, and the page says so
    at = _choose(_page(setup), setup, "ana")
    at.button(key=f"acct_disable_{setup['ana']}").click().run()
    at.button(key=f"acct_disable_{setup['ana']}__yes").click().run()
    assert any(w.value.startswith("**ana** is disabled but still an assessor of “Review 2026-10”") for w in at.warning)


def test_admin_cannot_remove_their_own_admin_role_nor_disable_themselves(setup):
    at = _choose(_page(setup), setup, "admin")
    assert at.button(key=f"acct_disable_{setup['admin']}").disabled
    assert any("cannot remove your own administrator role" in c.value for c in at.caption)
    at.multiselect(key=f"acct_roles_{setup['admin']}").set_value(["leadership"])
    _submit(at, "Save roles")
    assert [e.value for e in at.error] == ["Not done: you cannot remove your own administrator role; ask another administrator."]
    assert _account(setup, "admin").role_set == {"admin"}
    assert _log(setup) == []
    # the form shows the roles the account has, not the refused ones a second admin might read as done
    assert at.multiselect(key=f"acct_roles_{setup['admin']}").value == ["admin"]


def test_the_last_admin_is_protected_while_a_second_admin_can_be_removed(setup):
    with session_scope(setup["url"]) as session:
        root = accounts.get_by_username(session, "admin")
        accounts.change_roles(session, accounts.get_by_username(session, "lee"), ["admin", "leadership"], actor=root)
    at = _choose(_page(setup), setup, "lee")
    assert not at.button(key=f"acct_disable_{setup['lee']}").disabled
    at.multiselect(key=f"acct_roles_{setup['lee']}").set_value(["leadership"])
    _submit(at, "Save roles")
    assert not at.error
    assert _account(setup, "lee").role_set == {"leadership"}


def test_disable_then_enable_another_account(setup):
    ana_session = app_test(setup["ana"]).run()
    assert ana_session.session_state["itcap_account_id"] == setup["ana"]
    at = _choose(_page(setup), setup, "ana")
    at.button(key=f"acct_disable_{setup['ana']}").click().run()
    # asks first: she would be logged out at once
    assert any(w.value.startswith("Disable **") and "logged out" in w.value for w in at.warning) and _account(setup, "ana").is_active
    at.button(key=f"acct_disable_{setup['ana']}__no").click().run()
    assert _account(setup, "ana").is_active and at.button(key=f"acct_disable_{setup['ana']}")
    at.button(key=f"acct_disable_{setup['ana']}").click().run()
    at.button(key=f"acct_disable_{setup['ana']}__yes").click().run()
    assert any("**ana** is disabled" in s.value for s in at.success)
    assert not _account(setup, "ana").is_active
    ana_session.run()  # her open session ends on her next click
    assert "itcap_account_id" not in ana_session.session_state
    with session_scope(setup["url"]) as session:
        assert not accounts.authenticate(session, "ana", PASSWORD).ok
    assert at.dataframe[0].value.set_index("Username").loc["ana", "Status"] == "disabled"
    at.button(key="acct_enable").click().run()
    assert _account(setup, "ana").is_active
    assert [a for _, a, _ in _log(setup)] == ["account.disable", "account.enable"]


def test_reset_password_shows_the_new_one_once(setup):
    at = _choose(_page(setup), setup, "ben")
    at.button(key=f"acct_reset_{setup['ben']}").click().run()
    with session_scope(setup["url"]) as session:  # asked, not yet done: the old password still works
        assert accounts.authenticate(session, "ben", PASSWORD).ok
    at.button(key=f"acct_reset_{setup['ben']}__yes").click().run()
    assert not at.exception
    (new,) = [c.value for c in at.code]
    with session_scope(setup["url"]) as session:
        assert accounts.authenticate(session, "ben", new).ok
        assert not accounts.authenticate(session, "ben", PASSWORD).ok
    at.run()
    assert not at.code
    assert _log(setup)[-1] == ("admin", "account.password_reset", "account:ben")


def test_the_new_password_is_shown_with_the_username_exactly_as_stored(setup):
    """Markdown escapes ("\\_") inside a code span show as written: "j_@example.org" must not read
    "j\\_@example.org", a login that does not exist."""
    with session_scope(setup["url"]) as session:
        odd = accounts.create_account(session, "j_@example.org", PASSWORD, ["assessor"]).id
    at = _page(setup)
    at.selectbox(key="acct_selected").set_value(odd).run()
    at.button(key=f"acct_reset_{odd}").click().run()
    at.button(key=f"acct_reset_{odd}__yes").click().run()
    assert not at.exception
    assert any(m.value.startswith(":material/key: Password for `j_@example.org` — the new password") for m in at.markdown)


def test_an_administrator_resetting_their_own_password_stays_logged_in_to_read_it(setup):
    """A reset ends the sessions opened with the old password — but not the one that asked for it,
    which must still show the new password (the only copy)."""
    from itcap.ui.auth import SESSION_CREDENTIAL, credential

    at = app_test(setup["admin"], page=PAGE)
    with session_scope(setup["url"]) as session:
        at.session_state[SESSION_CREDENTIAL] = credential(accounts.get_account(session, setup["admin"]))
    at = _choose(at.run(), setup, "admin")
    at.button(key=f"acct_reset_{setup['admin']}").click().run()
    at.button(key=f"acct_reset_{setup['admin']}__yes").click().run()
    assert not at.exception
    (new,) = [c.value for c in at.code]
    assert "itcap_account_id" in at.session_state
    at.run()
    assert "itcap_account_id" in at.session_state  # and on the next click too
    with session_scope(setup["url"]) as session:
        assert accounts.authenticate(session, "admin", new).ok


def test_unlock_a_locked_account(setup):
    with session_scope(setup["url"]) as session:
        for _ in range(accounts.MAX_FAILED_ATTEMPTS):
            accounts.authenticate(session, "ben", "wrong password!")
    at = _choose(_page(setup), setup, "ana")
    assert at.button(key="acct_unlock").disabled  # nothing to unlock
    _choose(at, setup, "ben")
    assert any("locked until" in m.value for m in at.markdown)
    at.button(key="acct_unlock").click().run()
    assert any("**ben** is unlocked" in s.value for s in at.success)
    assert not accounts.is_locked(_account(setup, "ben"))
    with session_scope(setup["url"]) as session:
        assert accounts.authenticate(session, "ben", PASSWORD).ok
    assert _log(setup)[-1] == ("admin", "account.unlock", "account:ben")


def test_a_display_name_is_corrected_on_the_page(setup):
    at = _choose(_page(setup), setup, "ben")
    at.text_input(key=f"acct_name_{setup['ben']}").input("Ben <b>Okafor</b>")
    _submit(at, "Save name")
    assert not at.exception
    assert _account(setup, "ben").display_name == "Ben <b>Okafor</b>"  # stored as typed, shown as text
    assert _log(setup)[-1][:2] == ("admin", "account.rename")
    at.text_input(key=f"acct_name_{setup['ben']}").input("\u202eneB")
    _submit(at, "Save name")
    assert any("invisible formatting character U+202E" in e.value for e in at.error)
    assert _account(setup, "ben").display_name == "Ben <b>Okafor</b>"
