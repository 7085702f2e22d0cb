"""Altair chart builders shared by the app and the report (no streamlit here).

Every builder takes plain DataFrames so that the same chart appears on the dashboard, in the HTML
report and — rendered by vl-convert — in the PDF and PNG/SVG downloads.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

# Colour-blind-safe (Okabe–Ito) colours; the consensus line is the one to read first.
MODE_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#F0E442"]
CONSENSUS_COLOUR = "#000000"
GROUP_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
VERDICT_COLOURS = {"equivalent": "#009E73", "differs": "#D55E00", "inconclusive": "#999999"}


def radar_chart(
    capabilities: list[tuple[str, str]],
    series: dict[str, dict[str, float | None]],
    max_level: int,
    min_level: int = 0,
    size: int = 560,
    title: str = "",
) -> alt.LayerChart:
    """A radar (spider) chart: one spoke per capability, one closed polygon per series.

    ``capabilities`` is [(id, label)] in spoke order; ``series`` maps a series name (the first is the
    consensus, drawn black and thick; the rest are mode targets) to {capability_id: level}. Missing
    values are drawn at the centre and listed in the tooltip as "not rated".
    Altair has no polar line mark, so the polygons are computed in Cartesian coordinates here.
    """
    n = len(capabilities)
    angles = {cap_id: math.pi / 2 - 2 * math.pi * i / n for i, (cap_id, _) in enumerate(capabilities)}
    span = max(max_level - min_level, 1)
    radius_of = lambda level: (level - min_level) / span  # noqa: E731

    rows = []
    names = list(series)
    for order_index, name in enumerate(names):
        values = series[name]
        points = list(capabilities) + [capabilities[0]]  # close the polygon
        for step, (cap_id, label) in enumerate(points):
            value = values.get(cap_id)
            r = radius_of(value) if value is not None else 0.0
            rows.append({
                "series": name, "series_order": order_index, "step": step, "capability": label,
                "level": value, "level_text": "not rated" if value is None else f"{value:g}",
                "x": r * math.cos(angles[cap_id]), "y": r * math.sin(angles[cap_id]),
            })
    data = pd.DataFrame(rows)

    grid_rows = []
    for level in range(min_level, max_level + 1):
        r = radius_of(level)
        for step in range(n + 1):
            cap_id = capabilities[step % n][0]
            grid_rows.append({"level": level, "step": step, "x": r * math.cos(angles[cap_id]), "y": r * math.sin(angles[cap_id])})
    grid = pd.DataFrame(grid_rows)
    spokes = pd.DataFrame([
        {"capability": label, "x": 0.0, "y": 0.0, "x2": math.cos(angles[cap_id]), "y2": math.sin(angles[cap_id])}
        for cap_id, label in capabilities
    ])
    labels = pd.DataFrame([
        {"capability": label, "x": 1.13 * math.cos(angles[cap_id]), "y": 1.13 * math.sin(angles[cap_id]),
         "align": "center" if abs(math.cos(angles[cap_id])) < 0.2 else ("left" if math.cos(angles[cap_id]) > 0 else "right")}
        for cap_id, label in capabilities
    ])
    level_labels = pd.DataFrame([
        {"text": str(level), "x": 0.02, "y": radius_of(level)} for level in range(min_level + 1, max_level + 1)
    ])

    domain = [-1.45, 1.45]
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=domain))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=domain))
    colours = [CONSENSUS_COLOUR] + MODE_COLOURS[: max(0, len(names) - 1)]

    grid_layer = alt.Chart(grid).mark_line(color="#dddddd", strokeWidth=1).encode(x=x, y=y, detail="level:N", order="step:Q")
    spoke_layer = alt.Chart(spokes).mark_rule(color="#dddddd").encode(x=x, y=y, x2="x2:Q", y2="y2:Q")
    level_layer = alt.Chart(level_labels).mark_text(color="#888888", fontSize=10, align="left", dy=-4).encode(x=x, y=y, text="text:N")
    label_layers = [
        alt.Chart(labels[labels["align"] == align]).mark_text(fontSize=11, align=align, color="#333333").encode(x=x, y=y, text="capability:N")
        for align in ("left", "right", "center") if (labels["align"] == align).any()
    ]
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=colours), legend=alt.Legend(orient="bottom", columns=2))
    lines = alt.Chart(data).mark_line(strokeWidth=1.8).encode(
        x=x, y=y, color=colour, order="step:Q",
        strokeDash=alt.condition(alt.datum.series_order == 0, alt.value([1, 0]), alt.value([5, 3])),
        strokeWidth=alt.condition(alt.datum.series_order == 0, alt.value(3), alt.value(1.6)),
    )
    points = alt.Chart(data[data["step"] < n]).mark_point(filled=True, size=40).encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("capability:N", title="Capability"), alt.Tooltip("level_text:N", title="Level")],
    )
    chart = alt.layer(grid_layer, spoke_layer, level_layer, *label_layers, lines, points).properties(width=size, height=size)
    if title:
        chart = chart.properties(title=title)
    return chart.configure_view(stroke=None)


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_json(), scale=scale)


def to_svg(chart: alt.TopLevelMixin) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_json())
