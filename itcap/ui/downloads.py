"""Charts and tables with their downloads: every chart has a table view and PNG/SVG downloads,
every table a CSV download. Images are rendered only when a download is clicked."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from itcap import insights
from itcap.charts import to_png, to_svg
from itcap.spreadsheet import safe_frame
from itcap.storage import today
from itcap.ui.text import md_escape
from itcap.ui.widgets import wide_and_phone




def _csv(table: pd.DataFrame) -> bytes:
    """A table as CSV: formula-safe cells, and floats to 10 significant digits (3.853, not the
    3.852999999999999 binary arithmetic leaves) — more than any statistic here is worth."""
    return safe_frame(table).to_csv(index=False, float_format="%.10g").encode("utf-8")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "download"


def table_with_download(table: pd.DataFrame, name: str, key: str, *, static: bool = False,
                        csv: pd.DataFrame | None = None, **dataframe_args) -> None:
    """A table with its CSV download. ``static``: a plain table whose text wraps (for a few rows of
    sentences, which an interactive grid would cut off); otherwise a sortable, scrollable grid.
    ``csv``: what the download holds when the table shows rounded, formatted text (full-precision
    numbers an analyst can rework); by default the table itself."""
    if static:
        st.table(table, hide_index=True)
    else:
        own = dataframe_args.pop("column_config", {})
        shown, formats = readable(table, formatted=own)
        st.dataframe(shown, hide_index=True, width="stretch", column_config=formats | own, **dataframe_args)
    st.download_button(
        "Download CSV", data=lambda: _csv(table if csv is None else csv), file_name=f"{_slug(name)}.csv",
        mime="text/csv", key=f"{key}-csv", on_click="ignore", icon=":material/download:",
    )


def chart_with_downloads(chart: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin], table: pd.DataFrame, name: str, key: str,
                         *, cache_owner: object | None = None, stretch: bool = False,
                         phone: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin] | None = None,
                         title: str | None = None, source: str | None = None,
                         download: alt.TopLevelMixin | Callable[[], alt.TopLevelMixin] | None = None,
                         download_title: str | None = None) -> None:
    """Draw a chart with PNG/SVG/CSV downloads and a table view.

    ``chart`` may be a builder; with ``cache_owner`` (a cached, immutable result object such as an
    insight) the Vega-Lite spec is built once and kept on that object, so a rerun draws without
    rebuilding or re-validating the chart. ``stretch``: a plain chart (bars, lines) takes the page's
    width, so it fits a phone too; the PNG/SVG keep the chart's own size. ``phone``: a version of a
    chart drawn at its own size (radar, IPA, heatmap) for a main column narrower than
    ``widgets.PHONE_SCREEN`` (a phone, a tablet with the sidebar open); both are sent and CSS shows
    the one that fits, so nothing is cut off or needs sideways scrolling. Downloads are of the full-size chart, with ``title`` above it and
    ``source`` (what it rests on) and the date under the title: a chart pasted into a board pack
    says what it shows and where it comes from. ``download`` (with ``download_title``): a version of
    the chart for the PNG/SVG files in place of the one on screen (the assessors' heatmap numbers
    the assessors in a file, as the report does, and names them on screen).
    """
    spec = _spec(chart, key, cache_owner)
    phone_spec = None if phone is None else _spec(phone, f"{key}-phone", cache_owner)
    if title:  # what a screen reader names the chart by, in place of a run of its axis labels (WCAG 1.1.1)
        described = f"Chart: {title}. Its values are in the table view and the CSV download under it."
        spec = {**spec, "description": described}
        phone_spec = None if phone_spec is None else {**phone_spec, "description": described}
    chart_for_screen(spec, key, stretch=stretch, phone=phone_spec)
    if download is None:
        exported = titled(spec, title, source)
    else:
        exported = titled(_spec(download, f"{key}-download", cache_owner), download_title or title, source)
    # one row of three small buttons, on a phone too (columns would stack them, a row each)
    buttons = st.container(horizontal=True, key=f"{key}-downloads")
    buttons.download_button("PNG", data=lambda: to_png(exported), file_name=f"{_slug(name)}.png", mime="image/png",
                        key=f"{key}-png", on_click="ignore", icon=":material/image:")
    buttons.download_button("SVG", data=lambda: to_svg(exported).encode("utf-8"), file_name=f"{_slug(name)}.svg",
                        mime="image/svg+xml", key=f"{key}-svg", on_click="ignore", icon=":material/image:")
    buttons.download_button("CSV", data=lambda: _csv(table), file_name=f"{_slug(name)}.csv",
                        mime="text/csv", key=f"{key}-csv", on_click="ignore", icon=":material/table:")
    with st.expander(f"Table: {md_escape(name)}", icon=":material/table_view:"):
        shown, formats = _kept(cache_owner, f"{key}-table", lambda: readable(table))
        st.dataframe(shown, hide_index=True, width="stretch", column_config=formats)


SUBTITLE_LINE = 80  # characters


def titled(spec: dict, title: str | None, source: str | None) -> dict:
    """The chart's spec with a title block: ``title``, then "source · itcap, <date>" under it."""
    if not title:
        return spec
    parts = [piece for part in (source or "").split(" · ") if part for piece in textwrap.wrap(part, SUBTITLE_LINE)]
    parts.append(f"itcap, {today():%d %b %Y}")
    lines = [parts[0]]
    for part in parts[1:]:  # lines of about 80 characters, broken between parts: the narrowest chart is ~480 px
        if len(lines[-1]) + 3 + len(part) > SUBTITLE_LINE:
            lines.append(part)
        else:
            lines[-1] += " · " + part
    return {**spec, "title": {"text": title, "subtitle": lines, "anchor": "start", "fontSize": 14, "subtitleFontSize": 11,
                              "subtitleColor": "#555555", "offset": 12}}


def readable(table: pd.DataFrame, formatted: Iterable[str] = ()) -> tuple[pd.DataFrame, dict]:
    """A table as shown on screen (its CSV keeps every digit): p-values to three places or "< 0.001",
    means, effect sizes and α to two decimals — as the report prints them (insights.readable_cell) —
    other decimals to two, whole numbers as whole numbers, blanks for missing text; ids beside their
    names, sort keys and empty columns stay in the CSV only. ``formatted``: columns the caller
    formats itself (left exactly as they are)."""
    shown, formats = table.copy(), {}
    for column in table.columns:
        values = table[column]
        if column in formatted:
            continue
        if insights.is_p_column(str(column)):
            shown[column] = [insights.readable_cell(str(column), v) for v in values]
            formats[column] = st.column_config.TextColumn(help="p-value; < 0.001 when smaller")
        elif pd.api.types.is_float_dtype(values) and not pd.api.types.is_bool_dtype(values):
            present = values.dropna()
            if insights.has_two_decimals(str(column)) or not (present == present.round()).all():
                shown[column] = values.round(2) + 0.0  # (+ 0.0: never "-0.00")
                formats[column] = st.column_config.NumberColumn(format="%.1f" if str(column).endswith("%") else "%.2f")
            else:  # counts that are floats only because some are missing: 200, not 200.00
                formats[column] = st.column_config.NumberColumn(format="%d")
        elif not pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values) and values.isna().any():
            shown[column] = values.astype(object).where(values.notna(), "")  # an empty cell, not a grey "None"
    hidden = [c for c in shown.columns if c not in formatted and (str(c).endswith("_id") or c == "order" or (len(shown) and _empty(shown[c])))]
    return shown.drop(columns=hidden), {c: f for c, f in formats.items() if c not in hidden}


def _empty(values: pd.Series) -> bool:
    """Nothing in the column: missing everywhere, or blank text (safe with pd.NA)."""
    return bool((values.isna() | values.map(lambda v: isinstance(v, str) and not v.strip())).all())


# Streamlit's chart theme draws legend and axis labels in a grey of about 3.7:1 on white, under
# WCAG AA's 4.5:1; a chart's own config wins over the theme, so its text is set to the page's.
TEXT_COLOUR = "#31333F"


def readable_chart(spec: dict) -> dict:
    """The spec with its legend and axis text in the page's text colour (where the chart sets none)."""
    config = dict(spec.get("config") or {})
    for part, keys in (("legend", ("labelColor", "titleColor")), ("axis", ("labelColor", "titleColor"))):
        config[part] = {**{key: TEXT_COLOUR for key in keys}, **(config.get(part) or {})}
    return {**spec, "config": config}


def chart_for_screen(chart: alt.TopLevelMixin | dict, key: str, *, stretch: bool = False,
                     phone: alt.TopLevelMixin | dict | None = None) -> None:
    """Draw a chart (``stretch``: at the page's width); with ``phone``, also its phone version, and
    CSS shows the one that fits the main column (below ``widgets.PHONE_SCREEN``: the phone version)."""
    spec = readable_chart(chart if isinstance(chart, dict) else _spec(chart, key, None))
    if phone is None:
        st.vega_lite_chart(spec, width="stretch" if stretch else "content")
        return
    phone_spec = readable_chart(phone if isinstance(phone, dict) else _spec(phone, f"{key}-phone", None))
    wide, narrow = wide_and_phone(key)
    with wide:
        st.vega_lite_chart(spec, width="stretch" if stretch else "content")
    with narrow:
        fits = phone_spec.get("autosize", {}).get("type") == "fit-x"
        st.vega_lite_chart(phone_spec, width="stretch" if fits else "content")


def _kept(cache_owner: object | None, key: str, make: Callable[[], Any]) -> Any:
    """``make()``, kept on ``cache_owner`` (a cached, immutable result) under ``key`` for later runs."""
    if cache_owner is None:
        return make()
    store = cache_owner.__dict__.setdefault("_chart_specs", {})
    if key not in store:
        store[key] = make()
    return store[key]


def keep_chart_specs(builders: dict[str, Callable[[], alt.TopLevelMixin]], cache_owner: object) -> None:
    """Build the charts' specs ahead of the page (the server's warm-up), kept where the page finds them."""
    for key, build in builders.items():
        _spec(build, key, cache_owner)


def _spec(chart, key: str, cache_owner: object | None) -> dict:
    def build() -> dict:
        built = chart() if callable(chart) and not isinstance(chart, alt.TopLevelMixin) else chart
        # Validating against the Vega-Lite schema costs more than building the chart; the builders are
        # validated once in the tests (tests/test_charts.py), so the app skips it.
        spec = built.to_dict(validate=False)
        # Draw at the chart's own size, as in the PNG/SVG, instead of letting Streamlit squeeze it.
        spec.setdefault("autosize", {"type": "pad"})
        return spec

    return _kept(cache_owner, key, build)
