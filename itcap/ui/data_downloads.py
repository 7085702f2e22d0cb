"""Data downloads: a campaign's responses and an assessment's ratings as files, for any page.

The files are built only when a button is clicked (lazy ``data`` callables, ``on_click="ignore"``:
no rerun, nothing computed for people who do not download). The callables run outside the script
run — whenever clicked, however long after the page was drawn — so they open their own database
session, never touch ``st.*``, and check the session and the account again when clicked
(``auth.checked_download``).

Survey responses: ``privileged=True`` (administrators) gives every response with its id, source,
flags and free text; otherwise the reporting threshold is applied as ``surveys.exports.prepare_export``
describes (small groups and identifying columns left out, no ids, rows shuffled, comments apart).
A privileged download is refused unless the logged-in account is an administrator, whatever the
caller passes — pages can get this wrong, the data must not leak because of it.
"""

from __future__ import annotations

import streamlit as st

from assessment import exports as assessment_exports
from itcap.accounts import ADMIN, LEADERSHIP
from itcap.storage import session_scope
from itcap.ui import auth
from surveys import campaigns, exports, invitations
from surveys.stats import suppressed_groups

_MIME = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}
LARGE_EXPORT = 10_000  # responses from which the page warns that the Excel file is slow to build
_LABEL = {"csv": "CSV", "xlsx": "Excel (XLSX)", "sav": "SPSS (SAV)"}


def campaign_export_bytes(campaign_id: int, fmt: str, *, privileged: bool, exclude_flagged: bool = False,
                          actor: str | None = None) -> bytes:
    """One campaign export as bytes (what the download buttons serve). A privileged export — every
    response with its free text, personal data — is written to the audit log as ``actor``'s."""
    with session_scope() as session:
        data = exports.prepare_export(session, campaign_id, privileged=privileged, exclude_flagged=exclude_flagged)
        if privileged:
            exports.audit_privileged_export(session, data, fmt, actor or "unknown", exclude_flagged=exclude_flagged)
    return exports.export_bytes(data, fmt)


def _campaign_file(campaign_id: int, fmt: str, privileged: bool, exclude_flagged: bool, actor: str,
                   closed_only: bool = False):
    def build() -> bytes:
        if closed_only:  # checked again on the click: the campaign may have been reopened since the page was drawn
            with session_scope() as session:
                if campaigns.get_campaign(session, campaign_id).status != campaigns.CLOSED:
                    raise auth.DownloadRefused("the campaign is open again: its rows are offered once it has closed")
        return campaign_export_bytes(campaign_id, fmt, privileged=privileged, exclude_flagged=exclude_flagged, actor=actor)
    return build


def campaign_downloads(campaign_id: int, privileged: bool, *, exclude_flagged: bool = False,
                       key: str = "campaign-downloads") -> None:
    """CSV, XLSX and SPSS downloads of a campaign's responses (see the module docstring)."""
    account = auth.current_account()
    if privileged and (account is None or not account.has_role(ADMIN)):
        privileged = False  # only administrators get row-level data below the threshold
    with session_scope() as session:
        campaign = campaigns.get_campaign(session, campaign_id)
        counts = {g: rates.responses for g, rates in invitations.response_rates(session, campaign_id).items()}
    n = sum(counts.values())
    if n == 0:
        st.info("No responses yet: there is nothing to download. Responses appear here as people submit "
                "the survey (or an administrator imports them).", icon=":material/info:")
        return
    # closed, not just past its closing date: an administrator may still import into it, or move the date
    still_open = campaign.status != campaigns.CLOSED
    administrator = account is not None and account.has_role(ADMIN)
    if not privileged and still_open and not administrator:
        # Rows taken at two moments differ by the people who answered in between: compared, two such
        # files give away each new respondent's answers (differencing over time). The figures above
        # are aggregates; the rows wait until no more can arrive.
        st.info("The responses can be downloaded here once the campaign has closed: two downloads taken while "
                "responses arrive, compared with each other, would show the answers of each person who responded in "
                "between. Meanwhile the figures and charts on this page take in new responses in batches, for the same "
                "reason.", icon=":material/schedule:")
        return
    if not privileged:
        # what the thresholded file holds: a size said from every group would give away the small ones' count
        small = suppressed_groups(counts, campaign.min_group_size, total_shown=False)
        n = sum(c for g, c in counts.items() if g not in small)
        if n == 0:
            st.info(f"Nothing can be downloaded yet: every group has fewer than {campaign.min_group_size} responses "
                    "(the reporting threshold).", icon=":material/lock:")
            return
    kind = "all-responses" if privileged else "thresholded"
    if privileged:
        st.caption(f"**Every response** ({n:,}) with its id, group, source, quality flags and free text. "
                   "Handle these files as personal data.")
    else:
        st.caption(f"Responses with the reporting threshold applied (k = {campaign.min_group_size}): groups with "
                   f"fewer than {campaign.min_group_size} responses and answers that could single someone out are "
                   "left out, rows carry no ids and are shuffled; free text is only in the Excel file's *comments* "
                   f"sheet, when an item has at least {campaign.comment_threshold} comments. The Excel file's "
                   "*notes* sheet says what was left out and why."
                   + (" **The campaign is still open:** two such files taken at different times, compared, show "
                      "the answers of whoever responded in between — share one taken after it closes." if still_open else ""))
    if n >= LARGE_EXPORT:
        # The Excel writer manages about 180,000 cells a second (bench/bench_export.py): 50,000
        # responses × 45 columns take 12 s as Excel, well under 2 s as CSV.
        seconds = n * 45 / 180_000
        took = f"{seconds / 60:.0f} minutes" if seconds >= 90 else f"{max(10, round(seconds, -1)):.0f} seconds"
        st.caption(f"With {n:,} responses the Excel file takes about {took} to build after the click; "
                   "CSV and SPSS take a few seconds.")
    columns = st.columns(3)
    for column, fmt in zip(columns, ("csv", "xlsx", "sav")):
        column.download_button(
            _LABEL[fmt], data=auth.checked_download(
                _campaign_file(campaign_id, fmt, privileged, exclude_flagged, account.username if account else "",
                               closed_only=not privileged and not administrator),
                *((ADMIN,) if privileged else (LEADERSHIP, ADMIN))),
            file_name=f"campaign-{campaign_id}-{kind}{'-unflagged' if exclude_flagged else ''}.{fmt}",
            mime=_MIME[fmt], key=f"{key}-{campaign_id}-{fmt}-{int(privileged)}-{int(exclude_flagged)}",
            # a click refused because the campaign was reopened meanwhile redraws the page, which says why
            on_click="rerun" if not privileged and not administrator else "ignore", icon=":material/download:", width="stretch",
        )


def _assessment_file(assessment_id: int, what: str):
    def build() -> bytes:
        with session_scope() as session:
            if what == "ratings":
                return assessment_exports.ratings_csv(session, assessment_id).encode("utf-8")
            if what == "overrides":
                return assessment_exports.overrides_csv(session, assessment_id).encode("utf-8")
            if what == "model":  # as stored: the file 'itcap assess position --model' reads
                from assessment.service import get_assessment
                from capability_model.store import get_record

                return get_record(session, get_assessment(session, assessment_id).model_id).source_yaml.encode("utf-8")
            return assessment_exports.workbook_bytes(session, assessment_id)
    return build


def assessment_downloads(assessment_id: int, *, key: str = "assessment-downloads") -> None:
    """The assessment's ratings CSV and overrides CSV (the CLI's formats) and an XLSX workbook."""
    st.caption("The two CSV files and the model are what `itcap assess export` writes: `itcap assess position "
               "ratings.csv --model model.yaml --overrides overrides.csv` reproduces the position the app shows. The "
               "Excel workbook has the ratings, consensus, overrides (with their history), evidence and the assessors.")
    ratings, overrides, model, workbook = st.columns(4)
    ratings.download_button("Ratings (CSV)", data=auth.checked_download(_assessment_file(assessment_id, "ratings"), LEADERSHIP, ADMIN),
                            file_name=f"assessment-{assessment_id}-ratings.csv", mime="text/csv",
                            key=f"{key}-{assessment_id}-ratings", on_click="ignore", icon=":material/download:",
                            width="stretch")
    overrides.download_button("Overrides (CSV)", data=auth.checked_download(_assessment_file(assessment_id, "overrides"), LEADERSHIP, ADMIN),
                              file_name=f"assessment-{assessment_id}-overrides.csv", mime="text/csv",
                              key=f"{key}-{assessment_id}-overrides", on_click="ignore", icon=":material/download:",
                              width="stretch")
    model.download_button("Model (YAML)", data=auth.checked_download(_assessment_file(assessment_id, "model"), LEADERSHIP, ADMIN),
                          file_name=f"assessment-{assessment_id}-model.yaml", mime="application/yaml", key=f"{key}-{assessment_id}-model",
                          on_click="ignore", icon=":material/download:", width="stretch")
    workbook.download_button("All data (XLSX)", data=auth.checked_download(_assessment_file(assessment_id, "xlsx"), LEADERSHIP, ADMIN),
                             file_name=f"assessment-{assessment_id}.xlsx", mime=_MIME["xlsx"],
                             key=f"{key}-{assessment_id}-xlsx", on_click="ignore", icon=":material/download:",
                             width="stretch")
