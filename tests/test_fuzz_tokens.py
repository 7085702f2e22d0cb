"""Hostile input to the token parser and the respondent's entry points.

``normalise_token`` takes any object and returns the token or None, never raising; ``check_token``
refuses a malformed token without a single database query (a session that fails on any use proves
it) and never raises; ``load_survey``, ``begin``, ``save_section``, ``go_to_section`` and ``submit``
raise only :class:`SurveyUnavailable`, whose message is one of the respondent messages.
"""

from __future__ import annotations

import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from itcap.storage import get_engine, session_scope
from surveys import respondent
from surveys.invitations import MESSAGES, TOKEN_LENGTH, TokenOutcome, check_token, normalise_token
from tests.survey_testdata import invite, make_campaign

FUZZ = settings(max_examples=150, deadline=5000, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

URLSAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


class _StrSubclass(str):
    pass


anything = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.binary(max_size=60), st.text(max_size=60),
    st.text(alphabet=URLSAFE, min_size=TOKEN_LENGTH - 2, max_size=TOKEN_LENGTH + 2),
    st.text(alphabet=URLSAFE + " \t\n\r\x00%=&?/+.", min_size=TOKEN_LENGTH - 1, max_size=TOKEN_LENGTH + 9),
    st.sampled_from([
        "x" * 1_000_000, "💥" * TOKEN_LENGTH, "' OR 1=1 --" + "a" * 32, "A" * TOKEN_LENGTH + "\x00", "\x00" * TOKEN_LENGTH,
        "Ａ" * TOKEN_LENGTH, "٣" * TOKEN_LENGTH, "A" * (TOKEN_LENGTH - 1) + "é", "%41" * 15, ["A" * TOKEN_LENGTH],
        {"token": "A" * TOKEN_LENGTH}, b"A" * TOKEN_LENGTH, bytearray(b"A" * TOKEN_LENGTH), object(), Ellipsis,
        _StrSubclass("B" * TOKEN_LENGTH),
    ]),
    st.lists(st.text(max_size=5), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


class NoDatabase:
    """A session that fails the test on any use: malformed tokens must be refused before any query."""

    def __getattr__(self, name):
        raise AssertionError(f"the database was used ({name}) for a malformed token")


def _well_formed(value) -> bool:
    return isinstance(value, str) and len(value.strip()) == TOKEN_LENGTH and all(c in URLSAFE for c in value.strip()) \
        and len(value) <= TOKEN_LENGTH + 8


@FUZZ
@given(value=anything)
def test_normalise_token_takes_anything(value):
    result = normalise_token(value)
    if _well_formed(value):
        assert result == value.strip()
    else:
        assert result is None


@FUZZ
@given(value=anything)
def test_malformed_tokens_never_reach_the_database(value):
    if _well_formed(value):
        return
    check = check_token(NoDatabase(), value)
    assert check.outcome == TokenOutcome.MALFORMED and check.message == MESSAGES[TokenOutcome.MALFORMED]
    assert not check.usable and check.invitation is None
    with pytest.raises(respondent.SurveyUnavailable) as caught:
        respondent.load_survey(NoDatabase(), value)
    assert caught.value.outcome == TokenOutcome.MALFORMED


@pytest.fixture(scope="module")
def token_db(sqlite_template, tmp_path_factory):
    import os
    import shutil

    from itcap.storage import dispose_engines

    path = tmp_path_factory.mktemp("fuzz-tokens") / "tokens.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    previous = os.environ.get("ITCAP_DATABASE_URL")
    os.environ["ITCAP_DATABASE_URL"] = url
    campaign_id = make_campaign(url)
    (token,) = invite(url, campaign_id)
    yield url, campaign_id, token
    dispose_engines()
    if previous is None:
        os.environ.pop("ITCAP_DATABASE_URL", None)
    else:
        os.environ["ITCAP_DATABASE_URL"] = previous


def _queries(url):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", count)
    return statements, lambda: event.remove(engine, "before_cursor_execute", count)


KNOWN_MESSAGES = set(MESSAGES.values()) | {"Please start the survey first."}


@FUZZ
@given(value=anything, which=st.sampled_from(["load", "begin", "save", "go", "submit"]))
def test_the_respondent_functions_raise_only_survey_unavailable(token_db, value, which):
    url = token_db[0]
    statements, stop = _queries(url)
    try:
        with session_scope(url) as session, pytest.raises(respondent.SurveyUnavailable) as caught:
            {
                "load": lambda: respondent.load_survey(session, value),
                "begin": lambda: respondent.begin(session, value),
                "save": lambda: respondent.save_section(session, value, 0, {"rel1": 3}),
                "go": lambda: respondent.go_to_section(session, value, 1),
                "submit": lambda: respondent.submit(session, value),
            }[which]()
    finally:
        stop()
    expected = TokenOutcome.UNKNOWN if _well_formed(value) else TokenOutcome.MALFORMED
    assert caught.value.outcome == expected and caught.value.message in KNOWN_MESSAGES
    if expected == TokenOutcome.MALFORMED:
        assert statements == []
    else:
        assert len(statements) == 1  # one indexed look-up of the hash


@pytest.mark.parametrize("wrap", [lambda t: t, lambda t: f"  {t}\n", lambda t: f"\t{t} "])
def test_a_real_token_with_pasting_whitespace_still_opens(token_db, wrap):
    url, campaign_id, token = token_db
    with session_scope(url) as session:
        assert check_token(session, wrap(token)).outcome == TokenOutcome.OK
        assert respondent.load_survey(session, wrap(token), campaign_id=campaign_id).campaign_id == campaign_id


def test_a_real_token_with_one_character_changed_is_unknown(token_db):
    url, _, token = token_db
    changed = token[:-1] + ("A" if token[-1] != "A" else "B")
    with session_scope(url) as session:
        assert check_token(session, changed).outcome == TokenOutcome.UNKNOWN
        assert check_token(session, secrets.token_urlsafe(32)).outcome == TokenOutcome.UNKNOWN
        assert check_token(session, token + "A").outcome == TokenOutcome.MALFORMED


@FUZZ
@given(text=st.one_of(st.text(max_size=300), st.lists(st.one_of(
    st.text(max_size=40), st.text(alphabet=URLSAFE, min_size=TOKEN_LENGTH, max_size=TOKEN_LENGTH).map(lambda t: f"https://x.org/?token={t}"),
    st.sampled_from(["email,group,link", "?token=" + "A" * 44, "token=" + "B" * TOKEN_LENGTH + "&x=1", "\ufeff", "💥"])),
    max_size=8).map("\n".join)))
def test_a_links_file_gives_well_formed_tokens_or_says_which_lines_hold_none(text):
    """What `campaign withdraw` reads: any text gives tokens every one of which is well formed, or a
    SurveyError naming the lines — never a traceback, never a token made of the wrong characters."""
    from surveys.errors import SurveyError
    from surveys.invitations import tokens_from_links

    try:
        tokens = tokens_from_links(text, "links.csv")
    except SurveyError as exc:
        assert exc.problems and all(p.startswith("links.csv: ") for p in exc.problems)
        return
    assert tokens and all(normalise_token(t) == t for t in tokens) and len(set(tokens)) == len(tokens)
