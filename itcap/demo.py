"""The demo organisation (``itcap demo``): a populated app a newcomer can log in to within a minute.

What it creates, in one transaction (all or nothing):

* demo accounts — ``lead`` (lead assessor and assessor), ``assessor1``, ``assessor2`` (assessors)
  and ``director`` (leadership) — with random passwords that appear only in the returned report
  (the database keeps argon2id hashes, as for every account);
* an assessment "IT capability review <year>" of "Corporate IT" against the shipped default model,
  rated by the three assessors. The ratings are drawn from a seeded ``numpy.random.Generator``
  around a "true" profile of an IT function that is solidly Supplier with gaps to Business Partner:
  operations (service desk, incidents, change, infrastructure, security) around level 3,
  relationships, architecture, portfolio, analysis and innovation around 2. Each assessor adds
  noise (mostly 0 or ±1, occasionally ±2), two or three capabilities end up flagged (levels two or
  more apart), ``assessor1`` and ``assessor2`` have submitted, the lead has two capabilities to go
  and has overridden one flagged capability's consensus with a written rationale;
* a perception survey campaign of the shipped instrument, open, with invitations and about 200
  business-user and 100 IT-staff responses (see :func:`_demo_campaign`): scales that hang together
  (a respondent's general view plus a view per scale plus noise), both groups agreeing on most
  scales, IT staff rating IT's business understanding and innovation clearly higher than users do,
  importance/performance pairs with a clear "concentrate here" service, free-text comments, a few
  speeders and straight-liners for the data-quality flags, and some people who started but did not
  finish.

* last year's round, so the Trend tab has something to show: "IT capability review <year-1>", dated a
  year earlier, rated and submitted by all three assessors and closed, with operations still below
  the Supplier targets in the operational basics (so last year's position is "not yet Supplier"); and
  a closed, anonymised "IT perception survey <year-1>" with fewer responses and somewhat lower scale
  scores. It is drawn from its own generator (seeded from the seed), so adding it did not change
  this year's demo.

Draws that do not tell that story (another position, too many or too few flags) are redrawn from the
same generator, so every seed gives the same kind of demo and the same seed gives the same demo.

Running it again on a database that has the demo reports "demo already loaded" and changes nothing;
on a database where some demo usernames are taken by real accounts it refuses, naming them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlmodel import Session, select

from itcap import accounts
from itcap.accounts import ASSESSOR, LEAD_ASSESSOR, LEADERSHIP, ROLE_LABELS, Account
from itcap.cli.common import CliError
from itcap.storage import session_scope, today

ORG_UNIT = "Corporate IT"
ASSESSMENT_NAME = "IT capability review {year}"

# username, display name, roles — the lead first: it creates the assessment.
DEMO_ACCOUNTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("lead", "Lee Ward", (LEAD_ASSESSOR, ASSESSOR)),
    ("assessor1", "Ana Patel", (ASSESSOR,)),
    ("assessor2", "Chris Okafor", (ASSESSOR,)),
    ("director", "Dana Brooks", (LEADERSHIP,)),
)
ASSESSOR_USERNAMES = ("lead", "assessor1", "assessor2")
SUBMITTED = ("assessor1", "assessor2")
LEAD_STILL_TO_RATE = 2  # the lead works through the model in order and has this many left

# The "true" maturity of the demo IT function (default model ids; others fall back to level 2).
TRUE_PROFILE: dict[str, int] = {
    "business_relationship_management": 2,
    "technology_strategy_innovation": 2,
    "enterprise_architecture": 2,
    "data_management": 2,
    "portfolio_management": 2,
    "programme_project_management": 3,
    "business_analysis": 2,
    "service_desk": 3,
    "incident_management": 3,
    "change_enablement": 3,
    "service_level_management": 3,
    "service_continuity": 2,
    "technology_infrastructure": 3,
    "supplier_management": 3,
    "workforce_skills": 2,
    "it_governance": 3,
    "it_financial_management": 2,
    "information_security": 3,
}
NOISE = ((-1, 0.15), (0, 0.70), (1, 0.15))
TARGET_POSITION = "supplier"
MIN_CONFIDENCE = 0.6
MAX_DRAWS = 500

# Last year's "true" maturity: the operational basics (service desk, incidents, change, infrastructure,
# security) a level below the Supplier target of 3, so Supplier was only largely achieved (attainment
# counts levels: 6 of the 39 target levels short is under 85%); a few others a level lower than now.
PREVIOUS_PROFILE: dict[str, int] = {
    **TRUE_PROFILE,
    "service_desk": 2,
    "technology_infrastructure": 2,
    "incident_management": 2,
    "change_enablement": 2,
    "information_security": 2,
    "service_level_management": 2,
    "programme_project_management": 2,
    "it_governance": 2,
    "data_management": 1,
}
PREVIOUS_DAYS = 364  # last year's round took place this many days before today's

# Evidence an assessor might write at each level; generic on purpose ({cap} = capability name).
EVIDENCE = {
    1: (
        ("Interviews only: people described how {cap} is done, but nothing is written down and it depends on who is "
        "involved. Asked for reports or records and none exist."),
        "No owner for {cap}. Two managers gave different accounts of the process; no documents or measures seen.",
    ),
    2: (
        ("Some teams have their own templates for {cap}; practice differs between teams and nobody checks it. "
        "Saw examples from two teams, not consistent with each other."),
        ("{Cap}: a draft procedure from last year, followed in the central team only. No regular reporting; "
        "the directorates we spoke to did not know it existed."),
    ),
    3: (
        ("Documented {cap} process with a named owner, used across the organisation. Sampled ten recent records "
        "and nine followed it. Monthly report seen, but the figures are not used to steer."),
        ("{Cap}: agreed standard and templates on the intranet, owner interviewed, staff could describe the "
        "process. Reporting is regular; no targets yet."),
    ),
    4: (
        ("{Cap} is measured against targets; trend reports are reviewed at the monthly management meeting and "
        "exceptions are acted on (minutes and action log seen)."),
        "Targets and dashboards for {cap}; two recent decisions cited the data. Measures are reviewed quarterly.",
    ),
    5: (
        ("{Cap} improves from evidence: a year of improvement actions traced to measures, and business leaders "
        "gave examples of the value it added."),
        "{Cap} is benchmarked with peers and adapts as needs change; the business recognises it as a strength.",
    ),
}
OVERRIDE_RATIONALE = (
    "Assessors were {spread} levels apart ({levels}). We reviewed the evidence together: the higher ratings "
    "relied on the new {cap} procedure, but the records we sampled show it is followed in the central team "
    "only, so the panel agreed level {level} ({level_name}) until it is used across the organisation."
)


@dataclass
class DemoReport:
    """What ``itcap demo`` prints: the accounts with their one-time passwords, then what was created."""

    seed: int
    passwords: list[tuple[str, str, str, str]] = field(default_factory=list)  # username, name, roles, password
    sections: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"itcap demo loaded (seed {self.seed})", "",
                 "Demo accounts — passwords are shown only now and are not stored in clear; note them:"]
        width = max((len(u) for u, *_ in self.passwords), default=8)
        for username, name, roles, password in self.passwords:
            lines.append(f"  {username:<{width}}  {password}  {name} ({roles})")
        for section in self.sections:
            lines += ["", section]
        lines += ["", "Log in with one of the accounts above (if the app is not running yet, start it with `itcap serve`)."]
        return "\n".join(lines)


class DemoRefused(CliError):
    """The database already holds accounts with the demo's usernames that are not the demo's, or an
    organisation's own assessments, campaigns or accounts."""


def load_demo(seed: int = 2026, url: str | None = None, *, force: bool = False) -> str:
    """Load the demo organisation into the database (``url`` or ``ITCAP_DATABASE_URL``) and return
    the printable report, passwords included. The database must be bootstrapped (``itcap init``).
    A database in use (assessments, campaigns, accounts beyond the first administrator) is refused
    unless ``force``: the demo's accounts and survey would mix with real ones, and its campaign
    would become the dashboard's default."""
    with session_scope(url) as session:
        existing = _existing_demo(session)
        if existing is not None:
            return existing
        in_use = _in_use(session)
        if in_use and not force:
            raise DemoRefused(f"cannot load the demo: this database is in use ({in_use}); the demo's accounts, "
                              "assessment and survey would mix with them. Load it into a fresh database (set "
                              "ITCAP_DATABASE_URL to a new SQLite file), or add --force to load it here anyway")
        rng = np.random.default_rng(seed)
        report = DemoReport(seed)
        people = _demo_accounts(session, report)
        # Last year first, so that this year's assessment and campaign are the newest (the dashboard's default).
        history_rng = np.random.default_rng([seed, 1])
        _previous_assessment(session, history_rng, people, report)
        _demo_campaign(session, history_rng, report, previous=True)
        _demo_assessment(session, rng, people, report)
        _demo_campaign(session, rng, report)
    return report.text()


def _in_use(session: Session) -> str:
    """What makes the database an organisation's own ("2 assessments, 1 campaign"), or ''."""
    from sqlalchemy import func

    from assessment.tables import Assessment
    from surveys.tables import Campaign

    found = []
    for table, noun in ((Assessment, "assessment"), (Campaign, "campaign")):
        n = session.exec(select(func.count()).select_from(table)).one()
        if n:
            found.append(f"{n} {noun}{'s' if n != 1 else ''}")
    others = session.exec(select(func.count()).select_from(Account).where(Account.username != "admin")).one()
    if others:
        found.append(f"{others} account{'s' if others != 1 else ''} besides admin")
    return ", ".join(found)


def _existing_demo(session: Session) -> str | None:
    """The "already loaded" message, None for a database without the demo; refuses a clash."""
    usernames = [username for username, *_ in DEMO_ACCOUNTS]
    taken = [a.username for a in session.exec(select(Account).where(Account.username.in_(usernames)))]  # type: ignore[attr-defined]
    if not taken:
        return None
    if sorted(taken) == sorted(usernames):
        from assessment.service import list_assessments

        lead = accounts.get_by_username(session, "lead")
        demo = [a for a in list_assessments(session, account_id=lead.id) if a.org_unit == ORG_UNIT]
        if demo:
            return (f"demo already loaded: accounts {', '.join(usernames)} and assessment #{demo[0].id} "
                    f"({demo[0].name}, {demo[0].org_unit}) exist; nothing changed. The passwords were printed "
                    "when the demo was first loaded; set a new one with 'itcap user password NAME' (or, as an "
                    "administrator, on the Accounts page).")
    raise DemoRefused(
        f"cannot load the demo: this database already has account(s) {', '.join(sorted(taken))} that the demo "
        "would create; load the demo into a fresh database (set ITCAP_DATABASE_URL to a new SQLite file)")


def _demo_accounts(session: Session, report: DemoReport) -> dict[str, Account]:
    people: dict[str, Account] = {}
    for username, name, roles in DEMO_ACCOUNTS:
        password = accounts.generate_password()
        people[username] = accounts.create_account(session, username, password, list(roles), name)
        report.passwords.append((username, name, ", ".join(ROLE_LABELS[r] for r in roles), password))
    return people


@dataclass(frozen=True)
class _Panel:
    levels: np.ndarray  # capabilities × assessors (ASSESSOR_USERNAMES order), NaN = not rated
    noise: np.ndarray  # the noise each level carries (for confidence)
    override_capability: str
    override_level: int


def _draw_panel(rng: np.random.Generator, capability_ids: list[str], truth: np.ndarray,
                min_level: int, max_level: int) -> _Panel:
    n_caps, n_assessors = len(capability_ids), len(ASSESSOR_USERNAMES)
    steps, weights = zip(*NOISE)
    noise = rng.choice(steps, size=(n_caps, n_assessors), p=weights)
    # The lead's override: two assessors read the policy, not the practice, and rate one and two
    # levels above what the records show; the lead rates what the records show.
    rated_by_all = n_caps - LEAD_STILL_TO_RATE
    candidates = [i for i in range(rated_by_all) if truth[i] + 2 <= max_level]
    override = int(rng.choice(candidates))
    noise[override] = (0, *rng.permutation([1, 2]))
    # One or two more contested capabilities: one assessor two levels off.
    others = [i for i in range(rated_by_all) if i != override]
    for i in rng.choice(others, size=int(rng.integers(1, 3)), replace=False):
        noise[i] = 0
        noise[i, rng.integers(n_assessors)] = rng.choice([-2, 2])
    levels = np.clip(truth[:, None] + noise, min_level, max_level).astype(float)
    # The lead (column 0) has not reached the last capabilities yet.
    levels[n_caps - LEAD_STILL_TO_RATE:, 0] = np.nan
    return _Panel(levels, np.abs(levels - truth[:, None]), capability_ids[override], int(truth[override]))


def _story_holds(model, panel: _Panel) -> bool:
    from assessment.service import DISAGREEMENT_SPREAD
    from capability_model.positioning import position

    lo, hi = np.nanmin(panel.levels, axis=1), np.nanmax(panel.levels, axis=1)
    flagged = int(np.sum(hi - lo >= DISAGREEMENT_SPREAD))
    if not 2 <= flagged <= 3:
        return False
    result = position(model, panel.levels, {panel.override_capability: panel.override_level}, resamples=200, seed=0)
    return result.position == TARGET_POSITION and (result.confidence or 0) >= MIN_CONFIDENCE


def _save_ratings(session: Session, rng: np.random.Generator, assessment_id: int, model, people: dict[str, Account],
                  panel: _Panel) -> None:
    """Each assessor's ratings of the panel, with evidence in words and a confidence that is lower the
    further the rating is from the truth."""
    from assessment import service

    confidence_p = {0: (0.15, 0.5, 0.35), 1: (0.3, 0.5, 0.2), 2: (0.6, 0.3, 0.1)}
    for j, username in enumerate(ASSESSOR_USERNAMES):
        for i, cap in enumerate(model.capability_ids):
            level = panel.levels[i, j]
            if np.isnan(level):
                continue
            capability = model.capability(cap)
            evidence = str(rng.choice(EVIDENCE.get(int(level), EVIDENCE[3]))).format(
                cap=capability.name.lower(), Cap=capability.name)
            off = int(min(panel.noise[i, j], 2))
            confidence = str(rng.choice(("low", "medium", "high"), p=confidence_p[off]))
            service.save_rating(session, assessment_id, people[username], cap, int(level),
                                evidence=evidence, confidence=confidence)


def _dated_as_last_year(session: Session, assessment_id: int, assessed_on) -> None:
    """Last year's round made today reads as such on its pages ("Submitted 7 Dec 2026" on the 2025
    review, "✓ Saved" today): its set-up, ratings and submissions are dated around its own date.
    (The audit log keeps when the demo wrote them: it records, it does not tell a story.)"""
    import datetime as dt

    from sqlmodel import update

    from assessment.tables import Assessment, AssessmentAssessor, Rating

    day = dt.datetime.combine(assessed_on, dt.time(9, 0), tzinfo=dt.timezone.utc)
    session.exec(update(Assessment).where(Assessment.id == assessment_id).values(created_at=day - dt.timedelta(days=14)))
    session.exec(update(Rating).where(Rating.assessment_id == assessment_id).values(updated_at=day - dt.timedelta(days=2)))
    session.exec(update(AssessmentAssessor).where(AssessmentAssessor.assessment_id == assessment_id)
                 .values(submitted_at=day - dt.timedelta(days=1)))


def _previous_assessment(session: Session, rng: np.random.Generator, people: dict[str, Account],
                         report: DemoReport) -> int:
    """Last year's review: every assessor rated everything and submitted, and the lead closed it."""
    import datetime as dt

    from assessment import service
    from capability_model.positioning import position
    from capability_model.store import ensure_default_model

    record = ensure_default_model(session)
    lead = people["lead"]
    assessed_on = today() - dt.timedelta(days=PREVIOUS_DAYS)
    assessment = service.create_assessment(
        session, name=ASSESSMENT_NAME.format(year=assessed_on.year), org_unit=ORG_UNIT, model_id=record.id,
        assessed_on=assessed_on, assessor_ids=[people[u].id for u in ASSESSOR_USERNAMES], lead_id=lead.id, actor=lead)
    model = service.model_for(session, assessment)
    truth = np.array([min(max(PREVIOUS_PROFILE.get(cap, 2), model.min_level), model.max_level)
                      for cap in model.capability_ids], dtype=float)
    steps, weights = zip(*NOISE)
    for _ in range(MAX_DRAWS):  # redraw until last year's position is "not yet Supplier", as the story says
        levels = np.clip(truth[:, None] + rng.choice(steps, size=(len(truth), len(ASSESSOR_USERNAMES)), p=weights),
                         model.min_level, model.max_level)
        if position(model, levels, resamples=1).position == "none":
            break
    _save_ratings(session, rng, assessment.id, model, people, _Panel(levels, np.abs(levels - truth[:, None]), "", 0))
    for username in ASSESSOR_USERNAMES:
        service.submit(session, assessment.id, people[username])
    service.set_status(session, assessment.id, service.CLOSED, actor=lead)
    _dated_as_last_year(session, assessment.id, assessed_on)
    result = service.assessment_position(session, assessment.id)
    position_name = model.mode(result.position).name if result.position != "none" else "none (not yet Supplier)"
    report.sections.append(f"Assessment #{assessment.id}: {assessment.name} — last year's round, "
                           f"{assessed_on:%d %b %Y}, submitted by all and closed; position: {position_name}")
    return assessment.id


def _demo_assessment(session: Session, rng: np.random.Generator, people: dict[str, Account], report: DemoReport) -> int:
    from assessment import service
    from capability_model.store import ensure_default_model

    record = ensure_default_model(session)
    lead = people["lead"]
    assessment = service.create_assessment(
        session, name=ASSESSMENT_NAME.format(year=today().year), org_unit=ORG_UNIT, model_id=record.id,
        assessed_on=today(), assessor_ids=[people[u].id for u in ASSESSOR_USERNAMES], lead_id=lead.id, actor=lead)
    model = service.model_for(session, assessment)
    ids = model.capability_ids
    truth = np.array([min(max(TRUE_PROFILE.get(cap, 2), model.min_level), model.max_level) for cap in ids], dtype=float)

    panel = None
    for _ in range(MAX_DRAWS):
        panel = _draw_panel(rng, ids, truth, model.min_level, model.max_level)
        if _story_holds(model, panel):
            break

    _save_ratings(session, rng, assessment.id, model, people, panel)
    for username in SUBMITTED:
        service.submit(session, assessment.id, people[username])

    i = ids.index(panel.override_capability)
    given = [int(v) for v in panel.levels[i] if not np.isnan(v)]
    service.override_consensus(
        session, assessment.id, panel.override_capability, panel.override_level,
        OVERRIDE_RATIONALE.format(spread=max(given) - min(given), levels=", ".join(map(str, sorted(given))),
                                  cap=model.capability(panel.override_capability).name.lower(),
                                  level=panel.override_level, level_name=model.level_name(panel.override_level)),
        actor=lead)

    result = service.assessment_position(session, assessment.id)
    flagged = [c.capability_id for c in service.consensus(session, assessment.id) if c.flagged]
    position_name = model.mode(result.position).name if result.position != "none" else "none"
    confidence = "n/a" if result.confidence is None else f"{result.confidence:.0%}"
    lines = [
        f"Assessment #{assessment.id}: {assessment.name} — {ORG_UNIT}, model {model.name} (v{model.version})",
        (f"  assessors: lead (lead assessor, {len(ids) - LEAD_STILL_TO_RATE} of {len(ids)} rated, not submitted), "
         f"{', '.join(SUBMITTED)} (submitted)"),
        f"  flagged for the lead (levels 2+ apart): {', '.join(flagged) or 'none'}",
        f"  consensus override by lead: {panel.override_capability} → level {panel.override_level}",
        f"  position: {position_name} (stable in {confidence} of resamples of the assessors)",
    ]
    next_mode = result.next_mode
    if next_mode is not None:
        lines.append(f"  next mode {next_mode.name}: rated {next_mode.rating} ({next_mode.attainment:.0%} attained), "
                     f"{len(next_mode.gaps)} capabilities below target")
    report.sections.append("\n".join(lines))
    return assessment.id


# -- the perception survey ------------------------------------------------------------------------
CAMPAIGN_NAME = "IT perception survey {year}"
# Invited, completed and started-but-not-finished per group.
SURVEY_SIZES = {"business": (320, 200, 18), "it": (140, 100, 9)}
PREVIOUS_SURVEY_SIZES = {"business": (300, 160, 0), "it": (130, 80, 0)}
PREVIOUS_SURVEY_WEEKS = 4  # last year's campaign was open this long
# Mean answer per scale (1–5 agreement, before reverse-wording) for business users and IT staff.
SCALE_MEANS = {
    "service_reliability": (3.85, 3.9),
    "responsiveness": (3.75, 3.8),
    "business_understanding": (2.75, 3.45),
    "communication": (3.0, 3.05),
    "strategic_contribution": (2.6, 2.7),
    "innovation": (2.55, 3.15),
}
# How much lower each scale's mean was last year (reliability and responsiveness improved most).
PREVIOUS_SCALE_DROP = {"service_reliability": 0.35, "responsiveness": 0.3, "communication": 0.15}
PREVIOUS_SCALE_DROP_OTHERS = 0.05
# Importance and performance (means) of the IT services of the instrument's pairs.
SERVICE_MEANS = {
    "logon": (4.6, 3.1), "network": (4.5, 3.9), "service_desk": (4.3, 3.7),
    "remote_access": (4.1, 2.9), "project_delivery": (3.7, 2.8), "technology_advice": (3.2, 2.6),
}
DEMO_SEED_DETAILS = 7
COMMENTS = {
    "comment_does_well": (
        "The service desk staff are patient and explain what they are doing.",
        "Laptops are replaced quickly when they fail.",
        "The network is very reliable these days.",
        "When something big breaks, IT keep us informed.",
        "Password resets are quick and easy now.",
        "Good at keeping the basics running.",
        "The new video meeting rooms work well.",
        "Security awareness training was clear and useful.",
        "Floor walkers during the upgrade were a great help.",
        "Projects that IT run themselves are well organised.",
        "Quick to answer the phone.",
        "Friendly and professional people.",
    ),
    "comment_improve_first": (
        "Logging on in the morning takes far too long.",
        "Talk to us before choosing systems we have to use every day.",
        "Remote access drops out several times a day when working from home.",
        "Tell us what is happening with our requests without us having to chase.",
        "Involve the business earlier in projects; we hear about changes too late.",
        "Explain new technology in plain English and what it means for our service.",
        "The approval process for new software takes months.",
        "IT should come to our management meetings now and then.",
        "Fix the printers! <b>Every</b> week something jams.",
        "Give us a simple catalogue of what IT can do for us.",
        "Mobile access to case files would save hours of travel.",
        "Stop treating every request as an incident.",
        "Publish how IT is performing against what was promised.",
    ),
}


# A second sentence some people add, so that 40-odd comments drawn from a dozen are not word for word
# the same (drawn from a generator of their own: the answers stay those of the same seed).
COMMENT_DETAILS = {
    "comment_does_well": ("", "", "", " Thank you.", " Much better than two years ago.", " Keep it up.",
                          " We noticed the difference in our team.", " It makes a real difference to our day."),
    "comment_improve_first": ("", "", "", " It has been like this for months.", " Especially on Monday mornings.",
                              " Our team loses hours every week because of it.", " Other councils seem to manage it.",
                              " Please tell us when it is fixed."),
}


def _likert(rng: np.random.Generator, centre: np.ndarray, low: int = 1, high: int = 5) -> np.ndarray:
    return np.clip(np.rint(centre), low, high).astype(int)


def _demo_campaign(session: Session, rng: np.random.Generator, report: DemoReport, previous: bool = False) -> int:
    """An open campaign of the shipped instrument with invitations, drafts and responses; with
    ``previous``, last year's: closed (and so anonymised), smaller, lower on most scales, no drafts.

    Responses are generated, not typed, so they are stored with ``surveys.imports.add_responses``
    (checked like any import, as web responses with durations); the invitations they stand for are
    marked completed in bulk, and a few others get a partly answered draft ("started").
    """
    from sqlalchemy import insert, update

    from surveys.campaigns import create_campaign, open_campaign
    from surveys.imports import add_responses
    from surveys.instrument import parse_instrument_cached
    from surveys.invitations import create_invitations
    from surveys.store import ensure_default_instrument
    from surveys.tables import Invitation, InvitationCompletion, SurveyDraft

    import datetime as dt

    record = ensure_default_instrument(session)
    instrument = parse_instrument_cached(record.source_yaml)
    opens_on = today() - dt.timedelta(days=PREVIOUS_DAYS) if previous else today()
    closes_on = opens_on + dt.timedelta(weeks=PREVIOUS_SURVEY_WEEKS) if previous else None
    campaign = create_campaign(session, instrument_id=record.id, name=CAMPAIGN_NAME.format(year=opens_on.year),
                               actor="demo", opens_on=opens_on, closes_on=closes_on)
    open_campaign(session, campaign.id, "demo", on=opens_on)
    sizes = PREVIOUS_SURVEY_SIZES if previous else SURVEY_SIZES

    responses = []
    detail_rng = np.random.default_rng([DEMO_SEED_DETAILS, int(previous)])
    for g_index, (group, (invited, completed, started)) in enumerate(sizes.items()):
        create_invitations(session, campaign.id, group, invited, "demo")
        items = instrument.items_for_group(group)
        n = completed
        general = rng.normal(0, 0.45, n)  # how positive a person is about IT overall
        scale_views = {scale.id: rng.normal(0, 0.4, n) for scale in instrument.scales}
        answers: list[dict] = [{} for _ in range(n)]
        ipa = {pair.importance: (pair.id, 0) for pair in instrument.ipa_pairs}
        ipa.update({pair.performance: (pair.id, 1) for pair in instrument.ipa_pairs})
        for item in items:
            if item.type == "likert":
                if item.scale:
                    centre = SCALE_MEANS.get(item.scale, (3.2, 3.2))[g_index] + general + scale_views[item.scale]
                    if previous:
                        centre = centre - PREVIOUS_SCALE_DROP.get(item.scale, PREVIOUS_SCALE_DROP_OTHERS)
                    value = _likert(rng, centre + rng.normal(0, 0.6, n))
                    if item.reverse:  # negatively worded: people who agree with the scale disagree here
                        value = 6 - value
                elif item.id in ipa:
                    service, which = ipa[item.id]
                    mean = SERVICE_MEANS.get(service, (3.5, 3.2))[which]
                    value = _likert(rng, mean + (0.5 * general if which else 0) + rng.normal(0, 0.7, n))
                else:
                    value = _likert(rng, 3.6 + general + rng.normal(0, 0.7, n))
                skipped = rng.random(n) < (0.0 if item.required else 0.04)
                for i in range(n):
                    if not skipped[i]:
                        answers[i][item.id] = int(value[i])
            elif item.type == "numeric":
                low, high = instrument.item_range(item)
                minutes = np.clip(np.rint(rng.lognormal(np.log(6 if group == "business" else 4), 0.6, n)), low, high)
                for i in range(n):
                    if rng.random() > 0.05:
                        answers[i][item.id] = int(minutes[i])
            elif item.type == "choice":
                codes = [o.code for o in item.options]
                weights = np.array([1.0] * (len(codes) - 1) + [0.3])
                picks = rng.choice(codes, size=n, p=weights / weights.sum())
                for i in range(n):
                    answers[i][item.id] = int(picks[i])
            elif item.type == "text":
                pool, details = COMMENTS.get(item.id, ()), COMMENT_DETAILS.get(item.id, ("",))
                for i in range(n):
                    if pool and rng.random() < 0.22:
                        answers[i][item.id] = str(rng.choice(pool)) + str(detail_rng.choice(details))
        durations = np.rint(rng.lognormal(np.log(480), 0.35, n)).astype(int)
        speeders = rng.choice(n, size=max(1, n // 60), replace=False)
        durations[speeders] = rng.integers(45, 110, size=len(speeders))
        for i in rng.choice(n, size=max(1, n // 80), replace=False):  # straight-liners: all 4s
            for item in items:
                if item.type == "likert" and item.scale:
                    answers[i][item.id] = 4
        responses += [{"group": group, "answers": answers[i], "duration_seconds": int(durations[i])} for i in range(n)]

        # The invitations these people used: completed; a few more started and stopped half-way.
        ids = [row[0] for row in session.execute(
            select(Invitation.id).where(Invitation.campaign_id == campaign.id, Invitation.group_id == group).order_by(Invitation.id)).all()]
        chosen = [int(x) for x in rng.choice(ids, size=completed + started, replace=False)]
        done, begun = chosen[:completed], chosen[completed:]
        session.execute(update(Invitation).where(Invitation.id.in_(done)).values(status="completed"))
        session.execute(insert(InvitationCompletion), [{"invitation_id": i} for i in done])
        if begun:
            import json

            session.execute(update(Invitation).where(Invitation.id.in_(begun)).values(status="started"))
            first_section = {item.id: 3 for item in instrument.sections[0].items
                             if item.type == "likert" and group in instrument.item_groups(item)}
            session.execute(insert(SurveyDraft), [{"invitation_id": i, "answers_json": json.dumps(first_section),
                                                   "section_index": 1} for i in begun])
    order = rng.permutation(len(responses))
    result = add_responses(session, campaign.id, [responses[i] for i in order], actor="demo", source="web")
    totals = ", ".join(f"{instrument.group_name(g)} {n}" for g, n in result.by_group.items())
    if previous:
        from surveys.campaigns import close_campaign
        from surveys.tables import Response

        # Answered while last year's campaign was open, not today: spread over its weeks.
        stored = session.execute(select(Response.id).where(Response.campaign_id == campaign.id).order_by(Response.id)).scalars().all()
        days = rng.integers(0, PREVIOUS_SURVEY_WEEKS * 7, size=len(stored))
        for day in np.unique(days):
            chosen = [stored[i] for i in np.flatnonzero(days == day)]
            session.execute(update(Response).where(Response.id.in_(chosen))
                            .values(submitted_on=opens_on + dt.timedelta(days=int(day))))
        close_campaign(session, campaign.id, "demo")
        report.sections.append(
            f"Perception survey #{campaign.id} ({campaign.name}), last year's, closed: {result.imported} responses "
            f"({totals}) of {sum(v[0] for v in sizes.values())} invited.")
        return campaign.id
    report.sections.append(
        f"Perception survey #{campaign.id} ({campaign.name}), open: {result.imported} responses ({totals}); "
        f"invited {sum(v[0] for v in SURVEY_SIZES.values())}, of whom {sum(v[2] for v in SURVEY_SIZES.values())} started "
        "without finishing. Log in as 'director' to see the dashboard.")
    return campaign.id
