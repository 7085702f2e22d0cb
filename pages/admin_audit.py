"""Audit log: every administrative action — who did what to which record, and when — newest first,
filterable by actor and action, downloadable as CSV. The entries are written by the domain code in
the same transaction as the change they describe; this page only reads them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from itcap import audit
from itcap.accounts import ADMIN
from itcap.storage import session_scope
from itcap.ui import auth, widgets
from itcap.ui.downloads import table_with_download

account = auth.require_role(ADMIN)

LIMITS = {1_000: "latest 1,000", 10_000: "latest 10,000", 100_000: "latest 100,000"}

st.title("Audit log", anchor=False)
st.caption("Administrative actions: accounts, models and instruments, assessments (including the lead assessor's "
           "overrides), campaigns, invitations and imports. Passwords, tokens and survey answers are never logged.")

actor_col, action_col, limit_col = st.columns([2, 2, 1])
actor_text = actor_col.text_input("Who (contains)", key="audit_actor", placeholder="e.g. admin")
action_text = action_col.text_input("What (contains)", key="audit_action", placeholder="e.g. account. or campaign.invite",
                                    help="Matches the action and the target, e.g. “campaign:3” or “account.password”.")
limit = limit_col.selectbox("Entries", list(LIMITS), format_func=LIMITS.get, key="audit_limit")

with session_scope() as session:
    entries = audit.recent(session, limit=limit)

if not entries:
    st.info("No administrative actions recorded yet. Creating accounts, loading models, creating assessments or "
            "campaigns and inviting people all appear here, with who did it and when.", icon=":material/info:")
    st.stop()

table = pd.DataFrame([{
    "When (UTC)": f"{e.at:%Y-%m-%d %H:%M:%S}", "Who": e.actor, "What": e.action, "Target": e.target, "Detail": e.detail,
} for e in entries])
shown = table
if actor_text.strip():
    shown = shown[shown["Who"].str.contains(actor_text.strip(), case=False, regex=False)]
if action_text.strip():
    needle = action_text.strip()
    shown = shown[shown["What"].str.contains(needle, case=False, regex=False)
                  | shown["Target"].str.contains(needle, case=False, regex=False)]

if len(entries) == limit:
    st.caption(f"Showing the {LIMITS[limit]} entries; choose more above to look further back.")
if shown.empty:
    st.warning("No entries match these filters.", icon=":material/filter_alt_off:")
else:
    st.caption(f"{len(shown):,} of {len(table):,} entries")
    wide, phone = widgets.wide_and_phone("audit")
    with wide:
        # tall enough to read 25 entries without scrolling inside the page (the page below it is empty)
        table_with_download(shown, "audit-log", key="audit_table", height=min(38 + 35 * len(shown), 38 + 35 * 25),
                            column_config={"Detail": st.column_config.TextColumn(width="large")})
    with phone:  # a table shows a phone its first three columns: the detail, what was done to whom, is off screen
        widgets.records_for_phone([(f"{r['When (UTC)']} · {r['Who']} · {r['What']} · {r['Target']}", r["Detail"])
                                   for r in shown.to_dict("records")])
