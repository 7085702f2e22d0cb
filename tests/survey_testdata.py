"""A small inline instrument and helpers shared by the tests of surveys/ (test_survey_*.py)."""

from __future__ import annotations

import datetime as dt

from itcap.storage import session_scope
from surveys import campaigns, invitations, respondent
from surveys.store import save_instrument

INSTRUMENT_YAML = """\
id: test_perception
name: Test IT perception survey
version: "1"
welcome: Welcome to the test survey.
privacy_statement: Your answers are anonymous.
thank_you: Thank you for taking part.
groups:
  - {id: business, name: Business users}
  - {id: it_staff, name: IT staff}
response_scales:
  - id: agree5
    min: 1
    max: 5
    labels: {1: Strongly disagree, 2: Disagree, 3: Neither agree nor disagree, 4: Agree, 5: Strongly agree}
scales:
  - {id: reliability, name: Service reliability, mode: supplier}
  - {id: partnership, name: Business understanding, mode: business_partner}
sections:
  - id: services
    title: IT services
    items:
      - {id: rel1, type: likert, text: The network is reliable., response_scale: agree5, scale: reliability, required: true}
      - {id: rel2, type: likert, text: I can log on quickly., response_scale: agree5, scale: reliability}
      - {id: rel3, type: likert, text: Outages disrupt my work., response_scale: agree5, scale: reliability, reverse: true}
      - {id: rel4, type: likert, text: The service desk fixes problems first time., response_scale: agree5, scale: reliability}
      - {id: logon_minutes, type: numeric, text: "How many minutes does it take to log on?", min: 0, max: 60, unit: minutes}
  - id: partnership
    title: Working together
    items:
      - {id: par1, type: likert, text: IT understands what my area needs., response_scale: agree5, scale: partnership, required: true}
      - {id: par2, type: likert, text: IT suggests new ways of working., response_scale: agree5, scale: partnership}
  - id: practice
    title: IT practice
    items:
      - {id: itp1, type: likert, text: I know the business priorities., response_scale: agree5, groups: [it_staff]}
  - id: about
    title: About you
    items:
      - id: directorate
        type: choice
        text: Which directorate do you work in?
        demographic: true
        options: [{code: 1, label: Finance}, {code: 2, label: Operations}, {code: 3, label: Digital}]
      - {id: comments, type: text, text: "Any other comments?", max_length: 500}
"""

ITEM_IDS = ["rel1", "rel2", "rel3", "rel4", "logon_minutes", "par1", "par2", "itp1", "directorate", "comments"]


def make_campaign(url: str, *, open_it: bool = True, min_group_size: int = 5, comment_threshold: int = 10,
                  opens_on: dt.date | None = None, closes_on: dt.date | None = None, yaml: str = INSTRUMENT_YAML) -> int:
    with session_scope(url) as s:
        record = save_instrument(s, yaml, actor="test")
        campaign = campaigns.create_campaign(s, instrument_id=record.id, name="Test campaign", actor="test",
                                             min_group_size=min_group_size, comment_threshold=comment_threshold,
                                             opens_on=opens_on, closes_on=closes_on)
        if open_it:
            campaigns.open_campaign(s, campaign.id, "test")
        return campaign.id


def invite(url: str, campaign_id: int, group: str = "business", count: int = 1) -> list[str]:
    with session_scope(url) as s:
        return [link.token for link in invitations.create_invitations(s, campaign_id, group, count, "test")]


FULL_ANSWERS = {
    0: {"rel1": 4, "rel2": 3, "rel3": 2, "rel4": 5, "logon_minutes": 7},
    1: {"par1": 4, "par2": 2},
    2: {"directorate": 2, "comments": "Fine."},
}


def complete(url: str, token: str, answers: dict[int, dict] | None = None) -> respondent.SubmitResult:
    """Answer every section of a business respondent's survey and submit."""
    answers = FULL_ANSWERS if answers is None else answers
    with session_scope(url) as s:
        token = respondent.begin(s, token)
    for index, section_answers in answers.items():
        with session_scope(url) as s:
            result = respondent.save_section(s, token, index, section_answers)
            assert result.ok, result.problems
    with session_scope(url) as s:
        return respondent.submit(s, token)


# Rows for import_and_close: one CSV line each under SEED_HEADER (every item of INSTRUMENT_YAML).
SEED_HEADER = "group,rel1,rel2,rel3,rel4,logon_minutes,par1,par2,itp1,directorate,comments\n"
# INSTRUMENT_YAML with a third group, under an id of its own
THREE_GROUPS_YAML = INSTRUMENT_YAML.replace(
    "  - {id: it_staff, name: IT staff}\n", "  - {id: it_staff, name: IT staff}\n  - {id: contractors, name: Contractors}\n"
).replace("id: test_perception", "id: test_three", 1)


# business users answer everything, IT staff no scale item: no scale has a score for IT staff
IT_STAFF_ANSWER_NO_SCALE_ITEM = ([f"business,{1 + i % 5},{2 + i % 3},{1 + i % 4},4,{3 + i},{1 + i % 5},{2 + i % 3},,1,"
                                  for i in range(8)] + [f"it_staff,,,,,{4 + i},,,{1 + i % 5},1," for i in range(8)])


def import_and_close(url: str, campaign_id: int, rows: list[str]) -> None:
    """Import ``rows`` (CSV lines under SEED_HEADER) into the campaign and close it, so that the
    figures use every response."""
    from surveys.imports import import_responses

    with session_scope(url) as session:
        import_responses(session, campaign_id, (SEED_HEADER + "\n".join(rows) + "\n").encode(), actor="t", where="seed.csv")
        campaigns.close_campaign(session, campaign_id, "t")
