"""Invitations: bulk tokens, hashes only, token outcomes, open links, mail-merge CSV, response rates."""

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import event, func, inspect, select, text

from itcap.storage import get_engine, session_scope
from surveys import campaigns, invitations, respondent
from surveys.errors import SurveyError
from surveys.invitations import TokenOutcome, check_token, create_invitations, hash_token, normalise_token
from surveys.tables import Invitation
from tests.survey_testdata import complete, invite, make_campaign


def test_ten_thousand_invitations_in_one_go(any_db_url):
    campaign_id = make_campaign(any_db_url)
    with session_scope() as s:
        links = create_invitations(s, campaign_id, "business", 10_000, "admin", base_url="https://survey.example.org/")
    tokens = [link.token for link in links]
    assert len(set(tokens)) == 10_000
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", t) for t in tokens)
    assert links[0].link == f"https://survey.example.org/?token={tokens[0]}"
    with session_scope() as s:
        hashes = s.execute(select(Invitation.token_hash).where(Invitation.campaign_id == campaign_id)).scalars().all()
    assert len(hashes) == len(set(hashes)) == 10_000
    assert set(hashes) == {hash_token(t) for t in tokens}


def test_public_url_comes_from_the_environment(db_url, monkeypatch):
    campaign_id = make_campaign(db_url)
    monkeypatch.setenv("ITCAP_PUBLIC_URL", "https://itcap.example.com/")
    with session_scope() as s:
        (link,) = create_invitations(s, campaign_id, "it_staff", 1, "admin")
    assert link.link == f"https://itcap.example.com/?token={link.token}"
    monkeypatch.delenv("ITCAP_PUBLIC_URL")
    assert invitations.link_for("x") == "http://localhost:8501/?token=x"


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "not a url", "https://x.org/path?q=1", "https://x.org/#top",
                                 "ftp://x.org", "https://", "http://host:0"])
def test_links_start_only_with_a_plain_web_address(db_url, monkeypatch, bad):
    """Links are shown once and only their hashes are kept: a bad address could not be mended."""
    campaign_id = make_campaign(db_url)
    with session_scope() as s:
        with pytest.raises(SurveyError, match="--base-url: .* is not an address links can start with"):
            create_invitations(s, campaign_id, "business", 2, "admin", base_url=bad)
        with pytest.raises(SurveyError, match="--base-url"):
            invitations.create_open_link(s, campaign_id, "business", "admin", base_url=bad)
    monkeypatch.setenv("ITCAP_PUBLIC_URL", bad)
    with session_scope() as s:
        with pytest.raises(SurveyError, match="ITCAP_PUBLIC_URL"):
            create_invitations(s, campaign_id, "business", 2, "admin")
    with session_scope() as s:
        assert s.execute(select(func.count()).select_from(Invitation)).scalar_one() == 0
        (link,) = create_invitations(s, campaign_id, "business", 1, "admin", base_url="https://x.org/survey/")
    assert link.link == f"https://x.org/survey/?token={link.token}"


def _all_stored_text(url: str) -> str:
    """Every value of every table, as one string."""
    engine = get_engine(url)
    chunks = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):
                chunks.extend(str(v) for v in row)
    return "\n".join(chunks)


def test_raw_tokens_and_emails_are_never_stored(any_db_url):
    campaign_id = make_campaign(any_db_url)
    with session_scope() as s:
        links = create_invitations(s, campaign_id, "business", 30, "admin")
        open_link = invitations.create_open_link(s, campaign_id, "it_staff", "admin")
        emails = [f"person{i}@example.org" for i in range(30)]
        mail_merge = invitations.links_csv(links, emails)
    assert "person7@example.org" in mail_merge
    complete(any_db_url, links[0].token)  # a draft, a completion and a response on the way
    with session_scope() as s:
        visit = respondent.begin(s, open_link.token)
        respondent.save_section(s, visit, 0, {"rel1": 3})
    stored = _all_stored_text(any_db_url)
    for token in [link.token for link in links] + [open_link.token, visit]:
        assert token not in stored
    assert "@example.org" not in stored
    assert hash_token(links[1].token) in stored


@pytest.mark.parametrize("token", [
    None, 42, "", "short", "a" * 42, "a" * 44, "a" * 10_000_000, "é" * 43, "a" * 42 + "=", "a" * 42 + "!",
    "../../etc/passwd", "' OR 1=1 --" + "a" * 32, "a" * 20 + "\x00" + "a" * 22, "ａ" * 43,
])
def test_malformed_tokens_are_refused_without_a_query(db_url, token):
    queries = []
    engine = get_engine(db_url)
    listener = lambda *args: queries.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with session_scope() as s:
            check = check_token(s, token)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert check.outcome == TokenOutcome.MALFORMED and "incomplete or damaged" in check.message
    assert queries == []


def test_surrounding_whitespace_is_forgiven():
    token = invitations.new_token()
    assert normalise_token(f"  {token}\n") == token


def test_each_token_problem_has_its_own_outcome(any_db_url):
    campaign_id = make_campaign(any_db_url)
    other_id = make_campaign(any_db_url)
    good, used = invite(any_db_url, campaign_id, count=2)
    (other,) = invite(any_db_url, other_id)
    assert complete(any_db_url, used).submitted
    with session_scope() as s:
        assert check_token(s, good).outcome == TokenOutcome.OK
        assert check_token(s, good, campaign_id=campaign_id).outcome == TokenOutcome.OK
        assert check_token(s, other, campaign_id=campaign_id).outcome == TokenOutcome.OTHER_CAMPAIGN
        assert check_token(s, invitations.new_token()).outcome == TokenOutcome.UNKNOWN
        assert check_token(s, used).outcome == TokenOutcome.USED
        campaigns.close_campaign(s, campaign_id, "admin")
    with session_scope() as s:
        closed = check_token(s, good)
        assert closed.outcome == TokenOutcome.CLOSED and "closed" in closed.message
        assert check_token(s, used).outcome == TokenOutcome.USED  # used beats closed: "thank you", not "too late"
    messages = {outcome: invitations.MESSAGES[outcome] for outcome in invitations.MESSAGES}
    assert len(set(messages.values())) == len(messages)


def test_dates_give_not_yet_open_and_ended(any_db_url):
    campaign_id = make_campaign(any_db_url, opens_on=dt.date(2031, 1, 10), closes_on=dt.date(2031, 1, 20))
    (token,) = invite(any_db_url, campaign_id)
    with session_scope() as s:
        early = check_token(s, token, on=dt.date(2031, 1, 9))
        assert early.outcome == TokenOutcome.NOT_OPEN_YET and "10 January 2031" in early.message
        assert check_token(s, token, on=dt.date(2031, 1, 20)).outcome == TokenOutcome.OK
        late = check_token(s, token, on=dt.date(2031, 1, 21))
        assert late.outcome == TokenOutcome.CLOSED and "closed on 20 January 2031" in late.message
    draft_id = make_campaign(any_db_url, open_it=False)
    (token,) = invite(any_db_url, draft_id)
    with session_scope() as s:
        assert check_token(s, token).outcome == TokenOutcome.NOT_OPEN_YET


def test_invitation_arguments_are_checked(any_db_url):
    campaign_id = make_campaign(any_db_url)
    with session_scope() as s:
        with pytest.raises(SurveyError, match="group 'nobody' is not a group"):
            create_invitations(s, campaign_id, "nobody", 3, "admin")
        with pytest.raises(SurveyError, match="count"):
            create_invitations(s, campaign_id, "business", 0, "admin")
        campaigns.close_campaign(s, campaign_id, "admin")
        with pytest.raises(SurveyError, match="closed; reopen it"):
            create_invitations(s, campaign_id, "business", 3, "admin")


def test_open_link_gives_each_visitor_a_personal_link(any_db_url):
    campaign_id = make_campaign(any_db_url)
    with session_scope() as s:
        first = invitations.create_open_link(s, campaign_id, "it_staff", "admin")
    with session_scope() as s:
        state = respondent.load_survey(s, first.token)
        assert state.is_open_link and not state.started and state.group_id == "it_staff"
        assert check_token(s, first.token).outcome == TokenOutcome.OPEN_LINK
    with session_scope() as s:
        visit_a = respondent.begin(s, first.token)
    with session_scope() as s:
        visit_b = respondent.begin(s, first.token)
    assert len({first.token, visit_a, visit_b}) == 3
    with session_scope() as s:
        respondent.save_section(s, visit_a, 0, {"rel1": 5, "rel2": 4})
    with session_scope() as s:  # the visitor reloads: their own link resumes their answers
        resumed = respondent.load_survey(s, visit_a)
        assert resumed.answers == {"rel1": 5, "rel2": 4} and resumed.section_index == 1 and not resumed.is_open_link
    with session_scope() as s:
        second = invitations.create_open_link(s, campaign_id, "it_staff", "admin")
    with session_scope() as s:
        assert check_token(s, first.token).outcome == TokenOutcome.WITHDRAWN
        assert check_token(s, second.token).outcome == TokenOutcome.OPEN_LINK
        assert check_token(s, visit_a).outcome == TokenOutcome.OK  # started visitors keep going
        rates = invitations.response_rates(s, campaign_id)["it_staff"]
    assert (rates.invited, rates.started, rates.completed, rates.open_link_visits) == (2, 2, 0, 2)


def test_an_open_links_cap_lets_that_many_visitors_start_and_then_says_so(any_db_url):
    campaign_id = make_campaign(any_db_url)
    with session_scope() as s:
        for bad in (0, -1, True, 2.5, "3", 1_000_001):
            with pytest.raises(SurveyError, match="max visits: between 1 and 1,000,000 visitors, or no cap"):
                invitations.create_open_link(s, campaign_id, "business", "admin", max_visits=bad)
        link = invitations.create_open_link(s, campaign_id, "business", "admin", max_visits=2)
        uncapped = invitations.create_open_link(s, campaign_id, "it_staff", "admin")
    visits = []
    for _ in range(2):
        with session_scope() as s:
            assert check_token(s, link.token).outcome == TokenOutcome.OPEN_LINK
            visits.append(respondent.begin(s, link.token))
    with session_scope() as s:
        full = check_token(s, link.token)
        assert full.outcome == TokenOutcome.FULL and not full.usable
        assert "used by as many people as the survey organiser set it for" in full.message
        with pytest.raises(respondent.SurveyUnavailable) as refused:
            respondent.load_survey(s, link.token)
        assert refused.value.outcome == TokenOutcome.FULL and refused.value.title == "Test IT perception survey"
        assert all(check_token(s, v).outcome == TokenOutcome.OK for v in visits)  # those who started keep going
        assert invitations.live_open_links(s, campaign_id) == {"business": 0, "it_staff": None}
        visitors = s.execute(select(func.count()).select_from(Invitation).where(Invitation.kind == "open_visit")).scalar_one()
    assert visitors == 2
    with session_scope() as s:
        respondent.begin(s, uncapped.token)
        replaced = invitations.create_open_link(s, campaign_id, "business", "admin", max_visits=1)  # a new link, a new cap
    with session_scope() as s:
        assert check_token(s, link.token).outcome == TokenOutcome.WITHDRAWN
        assert invitations.live_open_links(s, campaign_id) == {"business": 1, "it_staff": None}
        respondent.begin(s, replaced.token)
        assert check_token(s, replaced.token).outcome == TokenOutcome.FULL


def test_mail_merge_csv_pairs_emails_with_links(db_url):
    campaign_id = make_campaign(db_url)
    with session_scope() as s:
        links = create_invitations(s, campaign_id, "business", 2, "admin")
    rows = list(csv.DictReader(io.StringIO(invitations.links_csv(links, ["a@example.org", "b@example.org"]))))
    assert [(r["email"], r["group"], r["link"]) for r in rows] == [
        ("a@example.org", "business", links[0].link), ("b@example.org", "business", links[1].link)]
    rows = list(csv.DictReader(io.StringIO(invitations.links_csv(links))))
    assert [r["email"] for r in rows] == ["", ""]
    with pytest.raises(SurveyError, match="1 e-mail addresses for 2 links"):
        invitations.links_csv(links, ["a@example.org"])


def test_email_lists_report_every_bad_line():
    assert invitations.parse_email_list("a@example.org\n\nB@Example.org\n") == ["a@example.org", "B@Example.org"]
    assert invitations.parse_email_list("name,email\nAnn,ann@example.org\nBo,bo@example.org\n") == ["ann@example.org", "bo@example.org"]
    with pytest.raises(SurveyError) as exc:
        invitations.parse_email_list("a@example.org\nnot an address\nA@example.org\n=cmd|x@example.org\n"
                                     "+1@example.org\n", "list.txt")
    formula = "which spreadsheets and mail merges read as a formula: the links file cannot hold it as written"
    assert exc.value.problems == ["list.txt: line 2: 'not an address' is not an e-mail address",
                                  "list.txt: line 3: 'A@example.org' is repeated (first on line 1)",
                                  f"list.txt: line 4: '=cmd|x@example.org' starts with '=', {formula}; check the address",
                                  f"list.txt: line 5: '+1@example.org' starts with '+', {formula}; check the address"]


def test_an_email_list_longer_than_one_batch_is_said_of_the_file(monkeypatch):
    monkeypatch.setattr(invitations, "MAX_INVITATIONS_PER_BATCH", 3)
    with pytest.raises(SurveyError) as exc:
        invitations.parse_email_list("".join(f"p{i}@example.org\n" for i in range(4)), "staff.txt")
    assert exc.value.problems == ["staff.txt: 4 e-mail addresses; at most 3 invitations can be made at a time: split the "
                                  "list into files of up to 3"]


def test_email_lists_as_spreadsheets_and_mail_programs_give_them():
    """A European Excel saves ';' CSV with an 'Email' column; Outlook copies 'Name <address>'."""
    assert invitations.parse_email_list("\ufeffName;Email;Dept\nAna Smith;ana@example.org;Finance\nBo;bo@example.org;IT\n") == [
        "ana@example.org", "bo@example.org"]
    assert invitations.parse_email_list("Name\tE-mail\nAna\tana@example.org\n") == ["ana@example.org"]
    assert invitations.parse_email_list("Ana Smith <ana@example.org>\n\"Bo, B.\" <bo@example.org>\n") == [
        "ana@example.org", "bo@example.org"]
    with pytest.raises(SurveyError) as exc:
        invitations.parse_email_list("Name;Dept\nAna;Finance\n", "staff.csv")
    assert exc.value.problems == ["staff.csv: line 1: expected one e-mail address per line, or a header with an "
                                  "'email' column (found: 'Name', 'Dept')"]


def test_an_hr_export_with_a_line_break_inside_a_quoted_field_keeps_its_records():
    """An HR system's CSV may hold a postal address over two lines in quotes; the address column is read
    per record, and a problem's line is where its record starts (old Mac line ends too)."""
    text = 'Name,Address,Email\n"Ana","1 High St\nTown",ana@example.org\nBo,"2 Low Rd",bo@example.org\n'
    assert invitations.parse_email_list(text) == ["ana@example.org", "bo@example.org"]
    assert invitations.parse_email_list(text.replace("\n", "\r")) == ["ana@example.org", "bo@example.org"]
    with pytest.raises(SurveyError) as exc:
        invitations.parse_email_list(text.replace("bo@example.org", "bo@example"), "hr.csv")
    assert exc.value.problems == ["hr.csv: line 4: 'bo@example' is not an e-mail address"]


def test_an_address_with_an_invisible_or_control_character_is_refused_with_where_it_is():
    """A zero-width space pasted from a web page or a NUL from a broken export looks right and bounces."""
    with pytest.raises(SurveyError) as exc:
        invitations.parse_email_list("a@example.org\nb@exa\u200bmple.org\nc@example.org\x00\n", "list.txt")
    assert [problem.split(": it must be")[0] for problem in exc.value.problems] == [
        "list.txt: line 2: 'b@exa\\u200bmple.org' is not an e-mail address",
        "list.txt: line 3: 'c@example.org\\x00' is not an e-mail address"]
    assert "U+200B (at character 6)" in exc.value.problems[0] and "U+0000" in exc.value.problems[1]


def test_response_rates_per_group(any_db_url):
    campaign_id = make_campaign(any_db_url)
    tokens = invite(any_db_url, campaign_id, "business", 5)
    invite(any_db_url, campaign_id, "it_staff", 3)
    complete(any_db_url, tokens[0])
    complete(any_db_url, tokens[1])
    with session_scope() as s:
        respondent.begin(s, tokens[2])
    with session_scope() as s:
        rates = invitations.response_rates(s, campaign_id)
        assert s.execute(select(func.count()).select_from(Invitation)).scalar_one() == 8
    assert rates["business"].as_dict() == {"invited": 5, "started": 3, "completed": 2, "open_link_visits": 0,
                                           "responses": 2, "completion_rate": 0.4}
    assert (rates["it_staff"].invited, rates["it_staff"].started, rates["it_staff"].completed) == (3, 0, 0)


def test_links_sent_by_mistake_are_withdrawn_and_leave_the_invited_count(any_db_url):
    """A batch of 5 made for the wrong group: the 3 nobody started stop working and are no longer
    'invited'; the one being answered and the one used are left, and counted."""
    campaign_id = make_campaign(any_db_url)
    keep = invite(any_db_url, campaign_id, "business", 2)
    wrong = invite(any_db_url, campaign_id, "business", 5)
    other = make_campaign(any_db_url)
    elsewhere = invite(any_db_url, other, "business", 1)
    complete(any_db_url, wrong[0])
    with session_scope() as s:
        respondent.begin(s, wrong[1])
    links = "email,group,link\n" + "".join(f",business,https://survey.example.org/?token={t}\n" for t in wrong + elsewhere)
    with session_scope() as s:
        tokens = invitations.tokens_from_links(links, "links.csv")
        result = invitations.withdraw_invitations(s, campaign_id, tokens, "admin")
    assert (result.withdrawn, result.started, result.used, result.not_found) == ({"business": 3}, 1, 1, 1)
    with session_scope() as s:
        rates = invitations.response_rates(s, campaign_id)["business"]
        assert (rates.invited, rates.started, rates.completed) == (4, 2, 1)
        gone = check_token(s, wrong[4])
        assert gone.outcome == TokenOutcome.WITHDRAWN and gone.message.startswith("This link has been withdrawn by the survey organiser")
        assert check_token(s, keep[0]).outcome == TokenOutcome.OK and check_token(s, wrong[1]).outcome == TokenOutcome.OK
        assert check_token(s, elsewhere[0]).outcome == TokenOutcome.OK  # another campaign's link is not touched
        again = invitations.withdraw_invitations(s, campaign_id, tokens, "admin")
    assert (again.total, again.already_withdrawn) == (0, 3)


def test_a_file_of_links_is_read_line_by_line_with_every_bad_line_reported():
    token = "A" * 43
    assert invitations.tokens_from_links(f"link\nhttps://x.org/?token={token}\n{token}\n\n", "l.csv") == [token]
    with pytest.raises(SurveyError) as caught:
        invitations.tokens_from_links(f"link\nhttps://x.org/?token={token}\nann@example.org\nhttps://x.org/?token=short\n", "l.csv")
    assert caught.value.problems == ["l.csv: line 3: no invitation link (…?token=…) found",
                                     "l.csv: line 4: no invitation link (…?token=…) found"]
    with pytest.raises(SurveyError, match=r"no invitation links \(…\?token=…\) found in 1 line: choose the links file"):
        invitations.tokens_from_links("email,group,link\n", "l.csv")


def test_a_wrong_file_chosen_for_links_or_addresses_is_said_in_a_few_lines_not_one_per_line():
    """A 150,000-row responses CSV picked as the links file gave 150,000 lines of "no invitation link"
    (9 MB of text that froze the admin's browser); 300,000 bad addresses, 15 MB."""
    responses = "group,rel1\n" + "business,3\n" * 150_000
    with pytest.raises(SurveyError) as caught:
        invitations.tokens_from_links(responses, "responses.csv")
    assert caught.value.problems == ["responses.csv: no invitation links (…?token=…) found in 150,001 lines: choose the "
                                     "links file that itcap wrote when the invitations were made"]
    with pytest.raises(SurveyError) as caught:
        invitations.parse_email_list("email\n" + "x\n" * 300_000, "addresses.csv")
    problems = caught.value.problems
    assert len(problems) == 101 and problems[0] == "addresses.csv: line 2: 'x' is not an e-mail address"
    assert problems[-1] == "… and 299,900 more problems like these (300,000 in all): is this the right file?"


def test_a_file_of_bare_tokens_keeps_its_first_line():
    first, second = "A" * 43, "B" * 43
    assert invitations.tokens_from_links(f"{first}\n{second}\n", "t.txt") == [first, second]
    assert invitations.tokens_from_links(f"{first}\n", "t.txt") == [first]


def test_a_rate_reads_the_same_in_the_cli_table_as_in_the_app():
    """`campaign status` printed 62% where the app said 62.5% (":.0%" rounds half to even)."""
    from surveys.invitations import percent_text

    assert [percent_text(x) for x in (0.625, 0.4, 0.0, 1 / 3, 1.0)] == ["62.5%", "40%", "0%", "33.3%", "100%"]
