"""The dashboard's perception figures when there is nothing to compare: one group's own view."""

from __future__ import annotations

import streamlit as st

from itcap import charts
from itcap.insights import CampaignInsight, possessive
from itcap.ui.downloads import chart_with_downloads, table_with_download
from itcap.ui.text import md_escape


def one_group_figures(campaign: CampaignInsight, built: dict, mode_names: dict[str, str], closed: bool) -> None:
    """Scale scores with 95% CIs, α and every item for the one group with enough responses — said to
    be that group's alone, with why nothing is compared (no verdicts, no tests)."""
    name = campaign.instrument.group_name(campaign.described_group)
    st.info(md_escape(campaign.problem or ""), icon=":material/compare_arrows:")
    st.markdown(f"##### {md_escape(name)}: scale scores with 95% confidence intervals")
    flagged = campaign.flagged_note()
    st.caption(md_escape(campaign.described_note() or "")
               + (" Flagged responses excluded." if campaign.excluded_flagged else "")
               + (f" {md_escape(flagged)}" + (" *Exclude flagged responses* in the sidebar leaves them out." if closed else
                                               " They can be left out once the survey closes.") if flagged else ""))
    if "perception" in built:
        instrument = campaign.instrument
        low, high = instrument.item_range(instrument.scale_items(instrument.scales[0].id)[0])
        line = charts.agreement_line_note(low, high, f"{possessive(name)} mean")
        chart_with_downloads(built["perception"], campaign.described_scale_table(mode_names), "perception by scale",
                             "perception", cache_owner=campaign, stretch=True,
                             title=f"{name}: scale scores with 95% confidence intervals",
                             source=f"{campaign.source_line()} · {name} alone, nothing compared · {line}")
        st.caption(f"The {md_escape(line)}; n = the responses analysed.")
    st.caption("In the table: **SD** = the standard deviation of the scale scores; **alpha** = Cronbach's α, how "
               "consistently a scale's items are answered.")
    with st.expander("Every item", icon=":material/list:"):
        table_with_download(campaign.described_item_table(), "perception by item", "items")
        st.caption("Means are on the answers as given: for a **reverse-keyed** item, agreeing is the unfavourable "
                   "answer (its scale score reverses it).")
