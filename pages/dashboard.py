"""Leadership dashboard: where IT stands, why, what users and IT staff say, and what to do first."""

import itertools

import pandas as pd
import streamlit as st

from capability_model.positioning import level_for_display

from itcap import charts, insights
from itcap.accounts import ADMIN, LEADERSHIP
from itcap.report import HEATMAP_TITLE, nothing_to_report
from itcap.ui import auth, widgets
from itcap.ui.dashboard_data import (
    DASHBOARD_TAB, GROUPS_WIDGET, assessment_charts, cached_assessment, cached_campaign, cached_comments, cached_trends, campaign_charts, choose_assessment,
    choose_campaign, choose_groups, chosen_groups, is_closed, live_note, report_bytes, trend_charts,
)
from itcap.ui.data_downloads import assessment_downloads, campaign_downloads
from itcap.ui.downloads import chart_with_downloads, table_with_download
from itcap.ui.perception_views import one_group_figures
from itcap.ui.text import md_escape
from surveys.exports import counted_comments

account = auth.require_role(LEADERSHIP, ADMIN)
st.title("Where IT stands", anchor=False)

assessment_id = choose_assessment()
campaign_id = choose_campaign()
campaign_closed = campaign_id is not None and is_closed(campaign_id)
if campaign_id is not None:
    if not campaign_closed:  # shown off, not on and doing nothing
        st.session_state["dashboard_exclude_flagged"] = False
    st.sidebar.toggle("Exclude flagged responses", key="dashboard_exclude_flagged", disabled=not campaign_closed,
                      help="Leave out responses flagged for straight-lining, implausibly fast completion or "
                           "out-of-range numbers. Flagged responses are never deleted."
                           + ("" if campaign_closed else " Available once the survey closes: while it is open, figures "
                              "without them could give a few people's answers away."))
if assessment_id is None and campaign_id is None:
    st.info(
        "Nothing to show yet. An administrator creates an **assessment** (Administration → Assessments) "
        "and assessors score the capabilities; a **survey campaign** (Administration → Campaigns) collects "
        "what business users and IT staff think. To explore with sample data, run `itcap demo`."
    )
    st.stop()

assessment = cached_assessment(assessment_id) if assessment_id is not None else None
mode_order = [m.id for m in assessment.model.ordered_modes] if assessment else None
exclude_flagged = campaign_closed and bool(st.session_state.get("dashboard_exclude_flagged", False))
group_pair = chosen_groups()
campaign = cached_campaign(campaign_id, tuple(mode_order or ()), exclude_flagged, group_pair) if campaign_id is not None else None
# each chart by its key, as the server's warm-up builds them (dashboard_data): built once per cached result
assessment_chart = assessment_charts(assessment) if assessment is not None else {}
campaign_chart = campaign_charts(campaign) if campaign is not None else {}
if campaign is not None and len(campaign.comparable) > 2:
    # three or more groups with results (directorates, say): the comparison is of two, chosen here
    pairs = {f"{a}|{b}": f"{campaign.instrument.group_name(a)} and {campaign.instrument.group_name(b)}"
             for a, b in itertools.combinations(campaign.comparable, 2)}
    shown_pair = "|".join(campaign.compared)
    if st.session_state.get(GROUPS_WIDGET) != shown_pair:  # another campaign's pair, or none chosen yet
        st.session_state[GROUPS_WIDGET] = shown_pair
    st.sidebar.selectbox("Groups compared", list(pairs), format_func=pairs.get, key=GROUPS_WIDGET,
                         on_change=choose_groups, args=("|".join(campaign.comparable[:2]),),
                         help="The survey compares two groups at a time: every verdict, chart and the report are about "
                              "the pair chosen here.")

# -- the position banner -------------------------------------------------------------------------
# Side by side where the main column has room; one above the other where it has not — a phone, and a
# tablet with the sidebar open, whose 488-pixel column broke "Supplier" into "Supplie r".
st.html(f"<style>{widgets.MAIN_CONTAINER_STYLE}"
        "@container itcap-main (max-width: 719px) { .st-key-banner > div > [data-testid='stHorizontalBlock'] { flex-direction: column; row-gap: 1rem; }"
        ".st-key-banner > div > [data-testid='stHorizontalBlock'] > [data-testid='stColumn'] { width: 100% !important; "
        "flex: 1 1 auto !important; } }</style>")
assessed, perceived = st.container(key="banner").columns([3, 2], gap="large")
with assessed.container(border=True):
    st.caption("ASSESSED POSITION")
    if assessment is None:
        st.write("No assessment yet.")
    else:
        st.subheader(md_escape(insights.position_headline(assessment)), anchor=False)
        if note := assessment.provisional_note():
            st.warning(md_escape(note), icon=":material/pending:")
        elif note := assessment.closed_incomplete_note():
            st.caption(md_escape(note))
        # The three modes side by side on every screen, to be read against each other (on a phone,
        # stacked, they pushed the tabs a screen further down): their names wrap and the figures
        # shrink rather than end in "…".
        st.html("<style>.st-key-mode-metrics [data-testid='stMetricValue'] { font-size: clamp(1.25rem, 3.2vw, 2.25rem); }"
                ".st-key-mode-metrics .stMarkdownEllipsis, .st-key-mode-metrics .stMarkdownEllipsis p "
                "{ white-space: normal; overflow: visible; text-overflow: clip; }"
                ".st-key-mode-metrics [data-testid='stHorizontalBlock'] { flex-wrap: nowrap; gap: 0.75rem; }"
                ".st-key-mode-metrics [data-testid='stColumn'] { min-width: 0 !important; flex: 1 1 0 !important; }</style>")
        cols = st.container(key="mode-metrics").columns(len(assessment.result.modes))
        for col, mode in zip(cols, assessment.result.modes):
            col.metric(md_escape(mode.name), f"{insights.attainment_percent(100 * mode.attainment)} · {mode.rating}",
                       help="Attainment of the mode's targets, rated N (≤15%), P (≤50%), L (≤85%) or F (>85%) on the "
                            "ISO/IEC 33020 scale. Achieved = F, no capability more than one level short or unassessed, lower modes achieved.")
            col.markdown(":green[:material/check_circle: achieved]" if mode.achieved else ":gray[:material/cancel: not achieved]")
        st.caption(
            f"{md_escape(assessment.assessment.name)} · {md_escape(assessment.assessment.org_unit)} · {assessment.assessment.assessed_on:%d %B %Y} · "
            f"{len(assessment.assessors)} assessors"
            + (f" · {md_escape(note)}" if (note := insights.confidence_note(assessment)) else "")
        )
with perceived.container(border=True):
    st.caption("SURVEY READING")
    if campaign is None:
        st.write("No survey campaign yet.")
    elif campaign.reading is None:
        st.write(md_escape(campaign.problem or "No survey reading available."))
    elif campaign.reading.note:
        why = campaign.readable_note(campaign.reading.note)  # groups by name, not id
        st.write(md_escape(why[0].upper() + why[1:]) + ".")
        st.caption(f"{md_escape(campaign.campaign.name)} · {campaign.responses_note()}" + live_note(campaign.campaign.status))
    else:
        names = insights.reading_names(assessment)
        reading_name = names.get(campaign.reading.position, campaign.reading.position.replace("_", " ").title())
        st.subheader(md_escape(reading_name[0].upper() + reading_name[1:]), anchor=False)
        st.caption(f"The highest mode whose survey scales all average {insights.reading_threshold_text(campaign)} "
                   f"({md_escape(campaign.reading_basis())}), with every lower mode supported too.")
        if alone := campaign.described_note():
            st.caption(f":material/person: {md_escape(alone)}")
        if reason := insights.reading_reason(campaign.reading, names):
            st.caption(md_escape(reason))
        if borderline := insights.reading_margin_note(campaign.reading, names):
            st.caption(f":material/info: {md_escape(borderline)}")
        st.caption(f"{md_escape(campaign.campaign.name)} · {campaign.responses_note()}" + live_note(campaign.campaign.status))
        if note := campaign.release_note():
            st.caption(f":material/schedule: {md_escape(note)}", help=campaign.release_method())
        if campaign.reading.unmatched:
            st.caption(":material/info: Left out of the reading, as tagged with a mode this model does not have: "
                       + md_escape(", ".join(campaign.reading.unmatched)) + ".")
        if assessment is not None:
            if unrated := insights.unrated_for_comparison(assessment):
                st.info(md_escape(unrated), icon=":material/pending:")
            elif (against := insights.survey_against_assessment(campaign.reading, assessment)) == insights.AGREES:
                st.success("The survey agrees with the assessment.", icon=":material/check_circle:")
            elif against == insights.CANNOT_COMPARE:
                st.info("The survey cannot read as high as the assessment, so it neither confirms nor contradicts it.",
                        icon=":material/help:")
            else:
                assessed_name = assessment.position_name() if assessment.result.position != "none" else names["none"]
                st.warning(f"The survey reads **{md_escape(reading_name)}**, the assessment **{md_escape(assessed_name)}**: "
                           "look at the perception tab before presenting either.", icon=":material/warning:")
            if apart := insights.months_apart_note(assessment, campaign):
                st.caption(f":material/schedule: {md_escape(apart)}")

# Only the tab in view is drawn (the others on a switch, a rerun from the cache): all seven at once
# sent the browser ten charts and their phone versions to draw on every run.
tabs = st.tabs(["Maturity", "Perception", "Recommendations", "Assessors", "Participation", "Trend", "Report"],
               key=DASHBOARD_TAB, on_change="rerun")

# -- maturity ----------------------------------------------------------------------------------------
with tabs[0]:
    if tabs[0].open:
        if assessment is None:
            st.info("No assessment yet: an administrator creates one under Administration → Assessments.")
        else:
            st.markdown("##### Maturity: consensus against each mode's targets")
            chart_with_downloads(assessment_chart["radar"], assessment.radar_table(), "maturity radar", "radar", cache_owner=assessment,
                                 title="Maturity: consensus against each mode's targets", source=assessment.source_line(),
                                 phone=assessment_chart["radar-phone"])
            st.markdown("##### Operating modes")
            modes = assessment.modes_frame()
            table_with_download(modes.drop(columns=["why not achieved"]), "operating modes", "modes")
            for mode in assessment.result.modes:
                if mode.reason:
                    st.markdown(f"- **{md_escape(mode.name)}** not achieved: {md_escape(mode.reason)}")
            next_mode = assessment.result.next_mode
            if next_mode is not None:
                st.markdown(f"##### Gaps to {md_escape(next_mode.name)}")
                st.caption("Ranked by how many levels short, then by the capability's weight in the model, then in model order.")
                if "gaps" in assessment_chart:
                    chart_with_downloads(assessment_chart["gaps"], assessment.gaps_frame(), f"gaps to {next_mode.name}",
                                         "gaps", stretch=True, cache_owner=assessment, phone=assessment_chart["gaps-phone"],
                                         title=f"Gaps to {next_mode.name}", source=assessment.source_line())
                else:
                    st.write(f"No capability is below {md_escape(next_mode.name)}'s targets.")
            overrides = assessment.overrides_frame()
            if len(overrides):
                st.markdown(f"##### {insights.OVERRIDES_HEADING}")
                st.caption(insights.OVERRIDES_NOTE)
                table_with_download(overrides, "consensus overrides", "overrides")
            for note in assessment.result.notes:
                st.caption(f"Note: {md_escape(note)}")

# -- perception ----------------------------------------------------------------------------------------
with tabs[1]:
    if tabs[1].open:
        if campaign is None:
            st.info("No survey campaign yet: an administrator creates one under Administration → Campaigns.")
        elif campaign.figures is None:
            st.warning(md_escape(campaign.problem or "No results to show."), icon=":material/visibility_off:")
        else:
            if campaign.exclusion_refused:
                st.warning(md_escape(campaign.exclusion_refused), icon=":material/flag:")
            if campaign.described is not None:
                one_group_figures(campaign, campaign_chart, insights.reading_names(assessment), campaign_closed)
            else:
                comparison = campaign.comparison
                groups = [campaign.instrument.group_name(g) for g in comparison["groups"]]
                st.markdown(f"##### {md_escape(groups[0])} and {md_escape(groups[1])}: scale scores with 95% confidence intervals")
                if note := campaign.not_compared_note():
                    st.info(md_escape(note) + " (*Groups compared*, in the sidebar)", icon=":material/compare_arrows:")
                every = campaign.all_groups_table()
                if len(every):
                    with st.expander(f"All {len(campaign.all_groups['groups'])} groups at once", icon=":material/groups:"):
                        st.caption("Per scale: each group's mean; Welch's ANOVA (do the means differ at all? Holm-adjusted across "
                                   "scales), Kruskal–Wallis on the ranks as a check, and the pairs whose difference holds (Welch, "
                                   "Holm-adjusted across the pairs). Choose a pair under *Groups compared* for its verdicts.")
                        table_with_download(every, "perception of all groups", "all-groups")
                st.caption(
                    f"Verdict per scale: **equivalent** (TOST, margin ±{comparison['margin']:g} points, p < .05), "
                    "**differs** (Welch t-test, Holm-adjusted p < .05) or **inconclusive**. "
                    + (f"Not shown (fewer than {campaign.k} responses): {md_escape(', '.join(comparison['suppressed']))}. " if comparison["suppressed"] else "")
                    + ("Flagged responses excluded." if campaign.excluded_flagged else "")
                    + (f"{flagged}" + (" *Exclude flagged responses* in the sidebar leaves them out." if campaign_closed else
                                        " They can be left out once the survey closes.")
                       if (flagged := campaign.flagged_note()) else "")
                )
                if "perception" in campaign_chart:
                    instrument = campaign.instrument
                    low, high = instrument.item_range(instrument.scale_items(instrument.scales[0].id)[0])
                    chart_with_downloads(campaign_chart["perception"], campaign.scale_table(with_ci=True, mode_names=insights.reading_names(assessment)), "perception by scale",
                                         "perception", cache_owner=campaign, stretch=True,
                                         title=f"{groups[0]} and {groups[1]}: scale scores with 95% confidence intervals",
                                         source=f"{campaign.source_line()} · verdicts: equivalent (TOST, ±{comparison['margin']:g}, "
                                                f"p < .05), differs (Welch, Holm p < .05), inconclusive · {charts.agreement_line_note(low, high)}")
                    st.caption(f"The {md_escape(charts.agreement_line_note(low, high))}; n = the responses of each group analysed.")
                # the tables' column names are the analyst's; the board's reader gets them in words (as the report's glossary)
                st.caption(f"In the tables: **Hedges g** = the difference {md_escape(groups[0])} − {md_escape(groups[1])} in "
                           "standard deviations (about 0.2 small, 0.5 medium, 0.8 large); **Welch p (Holm)** = the t-test's p, "
                           "adjusted for the number of scales (items) tested; **TOST p** = the equivalence test's p, below .05 when "
                           "the difference is shown to lie within the margin; **alpha** = Cronbach's α, how consistently a "
                           "scale's items are answered.")
                with st.expander("Every item", icon=":material/list:"):
                    table_with_download(campaign.item_table(), "perception by item", "items")
                    st.caption("Means are on the answers as given: for a **reverse-keyed** item, agreeing is the unfavourable "
                               "answer (its scale score reverses it)."
                               + (f" {md_escape(margins)}" if (margins := campaign.numeric_margin_note()) else ""))
            comments = cached_comments(campaign_id)
            if comments:
                st.markdown("##### What people said")
                st.caption(f"Shown because at least {campaign.campaign.comment_threshold} people commented; in random order; "
                           "a comment several people wrote once, with their number; "
                           "every comment, flagged responses included (leaving theirs out would single them out).")
                items = campaign.instrument.item_map()
                for item_id, said in comments.items():
                    # a comment several people wrote, once with their number (the expander counts people)
                    counted = counted_comments(said)
                    texts = [text for text, _ in counted]
                    with st.expander(f"{md_escape(items[item_id].text)} ({len(said)})", icon=":material/chat:"):
                        wide, phone = widgets.wide_and_phone(f"comments-{item_id}")
                        # a table cell shows people's words as plain text, never as markup, and a long list
                        # stays one scrollable, searchable element; on a phone, where a cell shows one cut-off
                        # line, a wrapped list instead
                        # the number in a column (on a phone, a heading line) of its own, never in the words:
                        # a respondent can write "(40 people)" too
                        several = any(people > 1 for _, people in counted)
                        table = {"Comment": texts} | ({"People": [people for _, people in counted]} if several else {})
                        wide.dataframe(pd.DataFrame(table), hide_index=True, width="stretch",
                                       row_height=60 if max(map(len, texts)) > 120 else None)
                        with phone:
                            widgets.records_for_phone([(f"{people:,} people" if people > 1 else "", text) for text, people in counted],
                                                      css_class="itcap-comments")
            if "ipa" in campaign_chart:
                ipa = campaign.ipa_frame()
                st.markdown("##### Importance and performance of IT services")
                lines_note = charts.ipa_lines_note(list(dict.fromkeys(ipa["group"])))
                st.caption(f"Each group's mean importance and performance per service; {md_escape(lines_note)}, in the "
                           "group's colour.")
                chart_with_downloads(campaign_chart["ipa"], ipa, "importance performance", "ipa",
                                     cache_owner=campaign, phone=campaign_chart["ipa-phone"],
                                     title="Importance and performance of IT services",
                                     source=f"{campaign.source_line()} · {lines_note}")

# -- recommendations ------------------------------------------------------------------------------------
with tabs[2]:
    if tabs[2].open:
        if assessment is None:
            st.info("Recommendations come from an assessment's gaps; none yet.")
        else:
            plan = insights.recommendations(assessment, campaign)
            if plan.next_mode_id is None:
                st.success("Every operating mode is achieved: keep the capabilities at their levels.")
            else:
                st.markdown(f"##### First 100 days — towards {md_escape(plan.next_mode_name)}")
                if tie := plan.first_100_days_tie_note():
                    st.caption(tie)
                for rec in plan.first_100_days:
                    with st.container(border=True):
                        label = "blocks the mode" if rec.blocking else "below target"
                        level = "not rated" if rec.consensus is None else f"{level_for_display(rec.consensus):g}"
                        st.markdown(f"**{rec.rank}. {md_escape(rec.capability_name)}** — {md_escape(rec.category_name)} · level {level} → {rec.target} ({label})")
                        st.text(rec.text)
                st.markdown("##### All recommendations by finding category")
                st.caption("Finding categories group the capabilities by the kind of action they need; the Maturity tab "
                           "groups the same capabilities by domain, by what they are about.")
                for category in plan.categories:
                    below, heard = len(category.recommendations), len(category.findings)
                    what = [f"{below} capabilit{'y' if below == 1 else 'ies'} below target"] if below else []
                    what += [f"{heard} survey finding{'' if heard == 1 else 's'}"] if heard else []
                    with st.expander(f"{md_escape(category.category_name)} — {', '.join(what)}", expanded=False):
                        for rec in category.recommendations:
                            st.markdown(f"**{md_escape(rec.capability_name)}** (priority {rec.priority:g} = {rec.shortfall:g} level"
                                        f"{'s' if rec.shortfall != 1 else ''} short × weight {rec.weight:g})")
                            st.text(rec.text)
                        for finding in category.findings:
                            st.markdown("**What people say:**")
                            st.text(finding.statement)
                            if finding.recommendation:
                                st.text(finding.recommendation)
                st.markdown("##### Every recommendation, ranked")
                table_with_download(insights.recommendations_table(plan), "recommendations", "recs",
                                    column_config={"Capability": st.column_config.TextColumn(pinned=True),
                                                   "Blocks the mode": st.column_config.TextColumn(width=125),
                                                   "First 100 days": st.column_config.TextColumn(width=120),
                                                   "Recommendation": st.column_config.TextColumn(width="large")})

# -- assessors --------------------------------------------------------------------------------------
with tabs[3]:
    if tabs[3].open:
        if assessment is None:
            st.info("No assessment yet.")
        else:
            st.markdown("##### Where the assessors disagree")
            st.caption("⚑ marks capabilities where assessors are two or more levels apart; the lead assessor reconciles them.")
            decided = [c for c in assessment.consensus if c.override is not None]
            if decided:  # a level set in place of the median is not the median confirmed
                moved = sum(1 for c in decided if not c.median_confirmed)
                kept = len(decided) - moved
                said = [f"set the consensus of {moved} capabilit{'y' if moved == 1 else 'ies'} in place of the median of "
                        "these levels"] if moved else []
                said += [f"confirmed the median of {kept}"] if kept else []
                st.caption(f"The lead assessor {' and '.join(said)}: see *{insights.OVERRIDES_HEADING}* under Maturity.")
            heat = assessment.heatmap_frame()
            # named here, numbered in the PNG/SVG as in the report: a chart for a board pack names no one
            chart_with_downloads(assessment_chart["heatmap"], heat, "assessor disagreement",
                                 "heatmap", cache_owner=assessment, title="Where the assessors disagree (⚑ two or more levels apart)",
                                 source=assessment.source_line(), phone=assessment_chart["heatmap-phone"],
                                 download=assessment_chart["heatmap-download"], download_title=HEATMAP_TITLE)
            st.caption("The PNG and SVG number the assessors, as the report does (the same numbers); the screen, the table "
                       "and the CSV name them.")
            st.markdown("##### Inter-rater reliability")
            rel = assessment.reliability
            if verdict := insights.reliability_verdict(rel):
                st.markdown(md_escape(verdict))
            table_with_download(insights.reliability_table(rel), "inter-rater reliability", "irr", static=True,
                                csv=insights.reliability_numbers(rel))
            st.caption(md_escape(" ".join(note.rstrip(".") + "." for note in rel.notes)) if rel.notes else
                       f"ICC and α use all {rel.n_capabilities} capabilities: every assessor rated every one.")

# -- participation ------------------------------------------------------------------------------------
with tabs[4]:
    if tabs[4].open:
        if campaign is None:
            st.info("No survey campaign yet.")
        else:
            st.markdown(f"##### Response rates — {md_escape(campaign.campaign.name)}")
            if note := live_note(campaign.campaign.status):
                st.caption(note.removeprefix(" · ").capitalize() + ".")
            if campaign.has_invitation_bars():
                chart_with_downloads(campaign_chart["rates"], campaign.rates_table(), "response rates",
                                     "rates", cache_owner=campaign, stretch=True, title=f"Response rates — {campaign.campaign.name}",
                                     source=" · ".join(filter(None, (campaign.source_line(), campaign.imported_note()))))
            else:  # nobody invited (every response imported): bars of zeros say nothing
                table_with_download(campaign.rates_table(), "response rates", "rates")
            if note := campaign.imported_note():
                st.caption(md_escape(note))
            if note := campaign.participation_note():
                st.caption(md_escape(note))

# -- trend ------------------------------------------------------------------------------------------------
with tabs[5]:
    if tabs[5].open:
        trends = cached_trends(assessment_id, campaign_id, exclude_flagged, group_pair)
        assessment_points, campaign_points = trends
        trend_chart = trend_charts(trends)
        shown = False
        sentences = insights.progress_sentences(assessment_points, campaign_points)
        for sentence in sentences:
            st.markdown(f"- {md_escape(sentence)}")
        if sentences:
            st.caption("Each round's own figures, compared as they are: the rounds are not tested against each other.")
        if "trend-a" in trend_chart:
            st.markdown("##### Attainment of each mode over assessments (%)")
            st.caption(charts.ATTAINMENT_REFERENCE_NOTE)
            chart_with_downloads(trend_chart["trend-a"], assessment_points,
                                 "attainment trend", "trend-a", stretch=True, cache_owner=trends, title="Attainment of each mode over assessments (%)",
                                 source=assessment.source_line() if assessment else None)
            shown = True
        if "trend-c" in trend_chart:
            st.markdown("##### Scale scores over survey campaigns")
            chart_with_downloads(trend_chart["trend-c"], campaign_points, "perception trend", "trend-c",
                                 stretch=True, cache_owner=trends,
                                 title="Scale scores over survey campaigns", source=campaign.source_line() if campaign else None)
            shown = True
        if shown and any(points is not None and "provisional" in points and points["provisional"].fillna(False).astype(bool).any()
                         for points in (assessment_points, campaign_points)):
            st.caption("Hollow points are rounds still open: their figures can still change.")
        no_reading = campaign_points is not None and campaign_points.attrs.get("no_reading")
        if no_reading:
            st.info(f"No survey trend: the trend ends at the campaign chosen in the sidebar, and "
                    f"“{md_escape(no_reading)}” has no results to report (see Perception). "
                    "Choose a campaign with results to see how the scores moved up to it.")
        elif not shown:
            st.info("A trend appears once there is more than one round up to the one selected (a trend stops at the round "
                    "chosen in the sidebar): an earlier assessment of the same organisation unit against the same model, or "
                    "an earlier campaign of the same survey.")

# -- report -----------------------------------------------------------------------------------------------
with tabs[6]:
    if tabs[6].open:
        st.markdown("##### Board report")
        st.write("A self-contained report of what this dashboard shows — executive summary, charts, recommendations and "
                 "a methods appendix — with the reporting threshold applied. The same report comes from "
                 "`itcap report` on the command line.")
        html_col, pdf_col, _ = st.columns([1, 1, 3])
        if empty := nothing_to_report(assessment, campaign):  # a button would only fail with "Failed to generate file"
            st.info(f"No report yet: {md_escape(empty)}.", icon=":material/hourglass_empty:")
        else:
            html_col.download_button("HTML report", data=auth.checked_download(lambda: report_bytes(assessment_id, campaign_id, "html", exclude_flagged, group_pair), LEADERSHIP, ADMIN),
                                     file_name="itcap-report.html", mime="text/html", key="report-html", on_click="ignore",
                                     icon=":material/description:", type="primary")
            pdf_col.download_button("PDF report", data=auth.checked_download(lambda: report_bytes(assessment_id, campaign_id, "pdf", exclude_flagged, group_pair), LEADERSHIP, ADMIN),
                                    file_name="itcap-report.pdf", mime="application/pdf", key="report-pdf", on_click="ignore",
                                    icon=":material/picture_as_pdf:")
        st.markdown("##### Data behind the dashboard")
        if assessment_id is not None:
            st.markdown("**Assessment**")
            assessment_downloads(assessment_id, key="dashboard-assessment")
        if campaign_id is not None:
            st.markdown("**Survey responses**")
            campaign_downloads(campaign_id, privileged=False, exclude_flagged=campaign.excluded_flagged, key="dashboard-campaign")
