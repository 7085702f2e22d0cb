"""Small, realistic data for tests of the dashboard, report and exports (not the demo)."""

from __future__ import annotations

import datetime as dt

import numpy as np

from assessment import service
from capability_model.store import ensure_default_model
from itcap import accounts
from itcap.bootstrap import bootstrap
from itcap.storage import session_scope
from surveys.campaigns import create_campaign, open_campaign
from surveys.imports import add_responses
from surveys.instrument import load_default_instrument
from surveys.store import ensure_default_instrument
from surveys.tables import Response

PASSWORD = "correct horse battery"


def people(url: str) -> dict[str, int]:
    """admin (from bootstrap) plus lead, two assessors and a leader; returns username → id."""
    bootstrap(url)
    ids = {}
    with session_scope(url) as session:
        for username, roles in (("lead", ["lead_assessor", "assessor"]), ("ana", ["assessor"]), ("ben", ["assessor"]),
                                ("lee", ["leadership"])):
            existing = accounts.get_by_username(session, username)
            ids[username] = existing.id if existing else accounts.create_account(session, username, PASSWORD, roles).id
        ids["admin"] = accounts.get_by_username(session, "admin").id
    return ids


def supplier_assessment(url: str, ids: dict[str, int], *, assessed_on: dt.date = dt.date(2026, 10, 1), seed: int = 1,
                        uplift: int = 0, org_unit: str = "Corporate IT") -> int:
    """An assessment of the default model that lands in Supplier: Supplier targets met, most Business
    Partner targets one level short and two capabilities two levels short."""
    rng = np.random.default_rng(seed)
    with session_scope(url) as session:
        model_id = ensure_default_model(session).id
        admin = accounts.get_account(session, ids["admin"])
        assessment = service.create_assessment(
            session, name=f"Review {assessed_on:%Y-%m}", org_unit=org_unit, model_id=model_id, assessed_on=assessed_on,
            assessor_ids=[ids["lead"], ids["ana"], ids["ben"]], lead_id=ids["lead"], actor=admin)
        model = service.model_for(session, assessment.id)
        partner = model.mode("business_partner").targets
        supplier = model.mode("supplier").targets
        for username in ("lead", "ana", "ben"):
            assessor = accounts.get_account(session, ids[username])
            for cap in model.capabilities:
                base = max(supplier[cap.id], partner[cap.id] - 1) + uplift
                if cap.id in ("enterprise_architecture", "technology_strategy_innovation"):
                    base = supplier[cap.id] + uplift
                level = int(np.clip(base + (rng.random() < 0.15) * rng.choice([-1, 1]), model.min_level, model.max_level))
                service.save_rating(session, assessment.id, assessor, cap.id, max(level, supplier[cap.id]) if uplift == 0 else level,
                                    evidence=f"Seen by {username} <b>in interviews</b>", confidence="medium")
        return assessment.id


def perception_campaign(url: str, *, n_business: int = 60, n_it: int = 30, seed: int = 2, differing_scale: str = "communication",
                        comments: int = 12, name: str = "Perception survey", min_group_size: int = 5,
                        comment_threshold: int = 10, comment_texts: list[str] | None = None) -> int:
    """An open campaign of the default instrument with responses: groups agree except on
    ``differing_scale``, where IT staff rate a full point higher; ``comments`` free-text comments (one
    contains HTML), or ``comment_texts`` as given.

    The figures stand as the dashboard's first look leaves them (surveys.release): a group of at
    least 2k has all but k responses in them; here the k held back are the group's last, which carry
    no comment, so every comment is shown (set here; the rule itself draws which stay held)."""
    rng = np.random.default_rng(seed)
    if comment_texts is not None:
        comments = len(comment_texts)
    instrument = load_default_instrument()
    with session_scope(url) as session:
        record = ensure_default_instrument(session)
        campaign = create_campaign(session, instrument_id=record.id, name=name, actor="admin", min_group_size=min_group_size,
                                   comment_threshold=comment_threshold)
        open_campaign(session, campaign.id, "admin")
        campaign_id = campaign.id
    responses = []
    count = 0
    for group, n in (("business", n_business), ("it", n_it)):
        for _ in range(n):
            person = rng.normal(0, 0.5)
            answers = {}
            for item in instrument.items_for_group(group):
                if item.type == "likert":
                    if item.scale is None:
                        centre = 3.4
                    else:
                        centre = 3.6 if instrument.scale(item.scale).mode == "supplier" else 3.0
                    if item.scale == differing_scale and group == "it":
                        centre += 1.0
                    value = centre + person + rng.normal(0, 0.7)
                    if item.reverse:
                        value = 6 - value
                    answers[item.id] = int(np.clip(round(value), 1, 5))
                elif item.type == "numeric":
                    answers[item.id] = int(rng.integers(1, 15))
                elif item.type == "choice":
                    answers[item.id] = item.options[int(rng.integers(0, len(item.options)))].code
                elif item.type == "text" and count < comments and "improve" in item.id:
                    answers[item.id] = (comment_texts[count] if comment_texts is not None else
                                        "<script>alert('x')</script> **faster** laptops" if count == 0 else f"Comment number {count}")
                    count += 1
            responses.append({"group": group, "answers": answers, "duration_seconds": int(rng.integers(300, 900))})
    released, held = [], []
    for group, n in (("business", n_business), ("it", n_it)):
        rows = [r for r in responses if r["group"] == group]
        cut = n - min_group_size if n >= 2 * min_group_size else 0
        released += rows[:cut]
        held += rows[cut:]
    table = Response.__table__
    with session_scope(url) as session:
        add_responses(session, campaign_id, released, actor="admin", source="web")
        session.execute(table.update().where(table.c.campaign_id == campaign_id).values(release=1))
        add_responses(session, campaign_id, held, actor="admin", source="web")
    return campaign_id
