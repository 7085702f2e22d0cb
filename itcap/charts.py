"""Altair chart builders shared by the app and the report (no streamlit here).

Every builder takes plain DataFrames so that the same chart appears on the dashboard, in the HTML
report and — rendered by vl-convert — in the PDF and PNG/SVG downloads.
"""

from __future__ import annotations

import math
import textwrap

import altair as alt
import pandas as pd

from surveys.invitations import percent_text

# Colour-blind-safe (Okabe–Ito) colours; the consensus line is the one to read first.
MODE_COLOURS = ["#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#F0E442"]
CONSENSUS_COLOUR = "#000000"
GROUP_COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9"]
SERIES_COLOURS = GROUP_COLOURS + ["#000000", "#999999"]  # many lines on white: no yellow
LEGEND_SHORT_NAME = 16  # characters: names up to this long sit two to a legend row, longer ones one per row
# The width given is the whole chart's, axis labels and legend included: drawn at the page's width
# (the dashboard stretches bar charts), nothing then runs off the right-hand side.
FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")
LABEL_LINE = 18  # characters per line of a radar label
# Phone versions of the charts drawn at their own size (the dashboard shows them below 640 px):
PHONE_WIDTH = 340  # px, a 375 px screen less the page's margins
PHONE_LABEL_LIMIT = 150  # px for a line of a capability's name on a phone
# On a phone a long name goes on two lines, broken at the last space within its first 24 characters
# ("Business relationship / management"), instead of ending in "…" at 150 px. Such labels are taller
# than Vega's overlap check allows in Streamlit's theme, which then hid every other one: no check.
PHONE_LABEL_LINES = ("length(datum.label) > 24 && lastindexof(slice(datum.label, 0, 25), ' ') > 0 ? "
                     "[slice(datum.label, 0, lastindexof(slice(datum.label, 0, 25), ' ')), "
                     "slice(datum.label, lastindexof(slice(datum.label, 0, 25), ' ') + 1)] : datum.label")
PHONE_ROW = 34  # px per capability on a phone: room for a name on two lines
PERCEPTION_LABEL_LIMIT = 150  # px for a scale's name: on a phone the plot keeps most of the width
VERDICT_X = 6  # px between the scale names (and verdicts) and the plot
# Verdicts under the scales' names, in colours no group of the chart has (the vermillion "differs"
# was the IT staff's colour) and each with its own sign, so they are not told apart by colour alone.
VERDICT_COLOURS = {"equivalent": "#007A5A", "differs": "#7B3294", "inconclusive": "#6B6B6B"}
VERDICT_SIGNS = {"equivalent": "≈", "differs": "≠"}
AGREEMENT_LINE_COLOUR = "#666666"


def radar_chart(
    capabilities: list[tuple[str, str]],
    series: dict[str, dict[str, float | None]],
    max_level: int,
    min_level: int = 0,
    size: int = 400,
    title: str = "",
) -> alt.LayerChart:
    """A radar (spider) chart: one spoke per capability, one closed polygon per series.

    ``capabilities`` is [(id, label)] in spoke order; ``series`` maps a series name (the first is the
    consensus, drawn black and thick; the rest are mode targets) to {capability_id: level}. Missing
    values are drawn at the centre and listed in the tooltip as "not rated".
    Altair has no polar line mark, so the polygons are computed in Cartesian coordinates here.
    """
    label_line, label_size = LABEL_LINE, 11
    n = len(capabilities)
    domain = [-1.2, 1.2]
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
    # Labels wrapped onto lines of at most LABEL_LINE characters: a long name on one line needs
    # ~230 px of padding on each side, more than a phone's whole screen.
    labels = pd.DataFrame([
        {"capability": "\n".join(textwrap.wrap(label, label_line)) or label,
         "x": 1.13 * math.cos(angles[cap_id]), "y": 1.13 * math.sin(angles[cap_id]),
         "align": "center" if abs(math.cos(angles[cap_id])) < 0.2 else ("left" if math.cos(angles[cap_id]) > 0 else "right")}
        for cap_id, label in capabilities
    ])
    level_labels = pd.DataFrame([
        {"text": str(level), "x": 0.02, "y": radius_of(level)} for level in range(min_level + 1, max_level + 1)
    ])

    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=domain))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=domain))
    colours = [CONSENSUS_COLOUR] + MODE_COLOURS[: max(0, len(names) - 1)]

    grid_layer = alt.Chart(grid).mark_line(color="#dddddd", strokeWidth=1).encode(x=x, y=y, detail=alt.Detail("level:N"), order=alt.Order("step:Q"))
    spoke_layer = alt.Chart(spokes).mark_rule(color="#dddddd").encode(x=x, y=y, x2=alt.X2("x2:Q"), y2=alt.Y2("y2:Q"))
    level_layer = alt.Chart(level_labels).mark_text(color="#888888", fontSize=10, align="left", dy=-4).encode(x=x, y=y, text=alt.Text("text:N"))
    # Above the centre a label grows upwards from its anchor, below it downwards, so no label runs
    # into the rings.
    labels["baseline"] = ["bottom" if y > 0.3 else "top" if y < -0.3 else "middle" for y in labels["y"]]
    # Vega lays the lines of a label downwards from the anchor whatever the baseline: lift the upper
    # labels by their extra lines (13 px each, in data units).
    line_height = (label_size + 2) * (domain[1] - domain[0]) / size
    lines = labels["capability"].str.count("\n")
    labels.loc[labels["baseline"] == "bottom", "y"] += lines * line_height
    labels.loc[labels["baseline"] == "middle", "y"] += lines * line_height / 2
    label_layers = [
        alt.Chart(part).mark_text(fontSize=label_size, align=align, baseline=baseline, color="#333333", lineBreak="\n").encode(
            x=x, y=y, text=alt.Text("capability:N"))
        for (align, baseline), part in labels.groupby(["align", "baseline"])
    ]
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=colours), legend=alt.Legend(orient="bottom", columns=2))
    lines = alt.Chart(data).mark_line(strokeWidth=1.8).encode(
        x=x, y=y, color=colour, order=alt.Order("step:Q"),
        strokeDash=alt.condition(alt.datum.series_order == 0, alt.value([1, 0]), alt.value([5, 3])),
        strokeWidth=alt.condition(alt.datum.series_order == 0, alt.value(3), alt.value(1.6)),
    )
    points = alt.Chart(data[data["step"] < n]).mark_point(filled=True, size=40).encode(
        x=x, y=y, color=colour,
        tooltip=[alt.Tooltip("series:N", title="Series"), alt.Tooltip("capability:N", title="Capability"), alt.Tooltip("level_text:N", title="Level")],
    )
    # Capability labels sit outside the plotting area; autosize "pad" grows the canvas to hold them
    # wherever the chart is drawn (the app, a PNG), instead of Streamlit fitting them inside `size`.
    chart = alt.layer(grid_layer, spoke_layer, level_layer, *label_layers, lines, points).properties(
        width=size, height=size, padding={"left": 10, "right": 10, "top": 30, "bottom": 10},
        autosize=alt.AutoSizeParams(type="pad"))
    if title:
        chart = chart.properties(title=title)
    return chart.configure_view(stroke=None)


def maturity_rows_chart(
    capabilities: list[tuple[str, str]],
    series: dict[str, dict[str, float | None]],
    max_level: int,
    min_level: int = 0,
) -> alt.LayerChart:
    """The radar's content for a phone: a row per capability (in the radar's order), the consensus
    as a black dot and each mode's target as a coloured tick on a level axis. Eighteen names
    around a wheel do not fit a 375 px screen; eighteen rows do. Same arguments as :func:`radar_chart`.
    """
    names = list(series)
    rows = [{"capability": label, "order": i, "series": name, "level": series[name].get(cap_id)}
            for i, (cap_id, label) in enumerate(capabilities) for name in names]
    data = pd.DataFrame(rows)
    data["level_text"] = data["level"].map(lambda v: "not rated" if v is None or pd.isna(v) else f"{v:g}")
    y = alt.Y("capability:N", sort=alt.EncodingSortField("order", order="ascending"), title=None,
              axis=alt.Axis(labelLimit=PHONE_LABEL_LIMIT, labelFontSize=11, labelExpr=PHONE_LABEL_LINES, labelOverlap=False))
    x = alt.X("level:Q", title="Level", scale=alt.Scale(domain=[max(min_level, 0.5), max_level + 0.5]),
              axis=alt.Axis(values=list(range(max(min_level, 1), max_level + 1)), format="d"))
    colours = [CONSENSUS_COLOUR] + MODE_COLOURS[: max(0, len(names) - 1)]
    colour = alt.Color("series:N", title=None, scale=alt.Scale(domain=names, range=colours),
                       legend=alt.Legend(orient="bottom", columns=1, labelLimit=0, symbolType="circle"))
    tooltip = [alt.Tooltip("capability:N", title="Capability"), alt.Tooltip("series:N", title="Series"),
               alt.Tooltip("level_text:N", title="Level")]
    # each mode's target on its own line within the row, so equal targets do not hide each other —
    # close about the row's middle: spread over the whole step, a row's top tick sat as near the row
    # above as its own, and read as the other row's
    # (the outer padding keeps the three within the middle third or so of the row)
    targets = alt.Chart(data[data["series"] != names[0]].dropna(subset=["level"])).mark_tick(thickness=4, size=7).encode(
        x=x, y=y, yOffset=alt.YOffset("series:N", scale=alt.Scale(domain=names[1:], paddingOuter=1)),
        color=colour, tooltip=tooltip)
    consensus = alt.Chart(data[data["series"] == names[0]].dropna(subset=["level"])).mark_point(
        filled=True, size=110, opacity=0.55).encode(x=x, y=y, color=colour, tooltip=tooltip)
    # the targets over the consensus dot: a target equal to the consensus stays visible on it
    return alt.layer(consensus, targets).properties(width=PHONE_WIDTH, height=PHONE_ROW * len(capabilities), autosize=FIT_WIDTH)


def for_phone(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """The chart at a phone's width, axis labels included (drawn stretched, it fits any screen)."""
    return chart.properties(width=PHONE_WIDTH, autosize=FIT_WIDTH)


def to_png(chart: alt.TopLevelMixin | dict, scale: float = 2.0) -> bytes:
    """PNG of a chart (or of its Vega-Lite spec as a dict), via vl-convert."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart if isinstance(chart, dict) else chart.to_dict(), scale=scale)


def to_svg(chart: alt.TopLevelMixin | dict) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart if isinstance(chart, dict) else chart.to_dict())


BLOCKING_GAP = "blocks the mode: more than one level short, or not assessed"
SMALL_GAP = "1 level short or less"
GAP_COLOURS = {BLOCKING_GAP: "#D55E00", SMALL_GAP: "#999999"}
GAP_LABEL_LIMIT = 170  # pixels for a capability's name beside its row
TARGET_COLOUR = "#0072B2"  # a target's diamond; the consensus dot is CONSENSUS_COLOUR, as on the radar


def gap_chart(gaps: pd.DataFrame, mode_name: str, compact: bool = False,
              levels: tuple[float, float] | None = None) -> alt.LayerChart:
    """Per capability short of ``mode_name``, its consensus level (black dot) and the mode's target
    (blue diamond) joined by a line — a dumbbell — in the gap table's order (``rank``). Where each
    stands on the level scale says more than bars of "levels short", which are all 1 when most gaps
    are one level. The line is orange where the gap blocks the mode, grey otherwise; a capability
    nobody rated is drawn at level 0 (as the position counts it), "not rated" in its tooltip.

    ``gaps`` columns: capability, shortfall, target, consensus (text: "2", "2.5", "not rated"),
    blocking (bool), rank. ``levels``: the model's (lowest, highest) level, for an axis of whole
    levels over the model's whole range (default: the levels in the data). ``compact``: the phone
    version — long names on two lines of up to GAP_LABEL_LIMIT px, legends one entry a line under
    the chart, so the whole chart fits 375 px; otherwise names are shown in full.
    """
    target_name = f"{mode_name} target"
    series = ["Consensus level", target_name]
    data = gaps.assign(kind=gaps["blocking"].map({True: BLOCKING_GAP, False: SMALL_GAP}),
                       level=pd.to_numeric(gaps["consensus"], errors="coerce").fillna(0.0),
                       target=pd.to_numeric(gaps["target"], errors="coerce"))
    data = data.assign(consensus_text=gaps["consensus"].astype(str).replace({"not rated": "not rated (counts as 0)"}))
    values = list(data["level"]) + list(data["target"].dropna())
    bounds = values + (list(levels) if levels else [])
    low, high = math.floor(min(bounds, default=0)), math.ceil(max(bounds, default=1))
    x_scale = alt.Scale(domain=[low - 0.5, high + 0.5])
    x_axis = alt.Axis(values=list(range(low, high + 1)), format="d", title="Level")
    y = alt.Y("capability:N", sort=alt.EncodingSortField("rank", order="ascending"), title=None,
              axis=alt.Axis(labelLimit=GAP_LABEL_LIMIT, labelExpr=PHONE_LABEL_LINES, labelOverlap=False) if compact
              else alt.Axis(labelLimit=320))
    tooltip = [alt.Tooltip("capability:N", title="Capability"), alt.Tooltip("consensus_text:N", title="Consensus"),
               alt.Tooltip("target:Q", title=target_name), alt.Tooltip("shortfall:Q", title=f"Levels short of {mode_name}")]
    # One legend (two side by side ran off a phone): the dots' series and the kinds of gap there are
    # (fixed colours, so orange always means blocking), the kinds drawn as lines.
    kinds = [kind for kind in (BLOCKING_GAP, SMALL_GAP) if kind in set(data["kind"])] or [SMALL_GAP]
    keys = series + kinds
    colour = alt.Color("key:N", scale=alt.Scale(domain=keys, range=[CONSENSUS_COLOUR, TARGET_COLOUR] + [GAP_COLOURS[k] for k in kinds]),
                       legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0, title=None, symbolStrokeWidth=3))
    lines = alt.Chart(data.assign(key=data["kind"])).mark_rule(strokeWidth=3).encode(
        x=alt.X("level:Q", scale=x_scale, axis=x_axis), x2=alt.X2("target:Q"), y=y, color=colour, tooltip=tooltip)
    ends = pd.concat([data.assign(key=series[0], at=data["level"]), data.assign(key=series[1], at=data["target"])])
    dots = alt.Chart(ends).mark_point(filled=True, size=110, opacity=1).encode(
        x=alt.X("at:Q", scale=x_scale, axis=x_axis), y=y, color=colour,
        shape=alt.Shape("key:N", scale=alt.Scale(domain=keys, range=["circle", "diamond"] + ["stroke"] * len(kinds)),
                        legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=0, title=None, symbolStrokeWidth=3)),
        tooltip=tooltip)
    height = max(60, (PHONE_ROW if compact else 26) * len(data))
    return (alt.layer(lines, dots)
            .properties(width=PHONE_WIDTH if compact else 520, height=height, autosize=FIT_WIDTH,
                        padding={"left": 5, "top": 5, "right": 5, "bottom": 5}))  # an object: Streamlit adds to it


def agreement_line_name(low: float, high: float) -> str:
    """The perception chart's dashed line, short enough for a phone's legend (the caption says more)."""
    from surveys.perception import agreement_threshold

    return f"{agreement_threshold(low, high):g}: a scale supports its mode"


def agreement_line_note(low: float, high: float, score: str = "the mean of the group means (every group with enough responses)") -> str:
    """What the perception chart's dashed line is, for its caption; ``score``: what reaches it (one
    group's own figures: "Business users' mean")."""
    from surveys.perception import agreement_threshold

    return (f"dashed line at {agreement_threshold(low, high):g}: a scale supports its operating mode in the survey "
            f"reading when {score} reaches it")


def perception_chart(scales: pd.DataFrame, low: float, high: float) -> alt.LayerChart:
    """Per scale, each group's mean with its 95% CI; the verdict under the scale's name; a dashed
    line where a scale supports its mode in the survey reading (surveys.perception: 5/8 of the way
    up the response scale, 3.5 on 1–5 — read on the mean of the group means, so the line is a guide,
    not a verdict on each group's dot).

    ``scales`` columns: scale, group, mean, ci_low, ci_high, verdict, order, and optionally n (the
    group's responses behind that scale's score, in the tooltip); ``scales.attrs["group_n"]``:
    {group: responses analysed}, shown in the legend (without it, each group's largest n). One chart
    (no side column for the verdicts) so that, stretched to the page, it fits a phone: the axis keeps
    the whole scale (a cut axis would make small differences look large).
    """
    from surveys.perception import agreement_threshold

    scales = scales.copy()
    if "n" not in scales.columns:
        scales["n"] = None
    group_n = dict(scales.attrs.get("group_n") or {})
    for group, ns in pd.to_numeric(scales["n"], errors="coerce").groupby(scales["group"]):
        if group not in group_n and ns.notna().any():
            group_n[group] = int(ns.max())
    scales["group_label"] = [f"{g} (n = {group_n[g]:,})" if g in group_n else g for g in scales["group"]]
    y = alt.Y("scale:N", sort=alt.EncodingSortField("order", order="ascending"), title=None,
              axis=alt.Axis(labelLimit=PERCEPTION_LABEL_LIMIT, ticks=False, labelPadding=VERDICT_X,
                            labelOffset=-7, labelFontSize=11, labelColor="#333333"))
    groups = list(dict.fromkeys(scales["group_label"]))
    colour = alt.Color("group_label:N", title=None, scale=alt.Scale(domain=groups, range=GROUP_COLOURS[: len(groups)]),
                       legend=alt.Legend(orient="bottom", labelLimit=0, columns=1))  # one per line: long names fit a phone
    offset = alt.YOffset("group_label:N", scale=alt.Scale(domain=groups))
    x_scale = alt.Scale(domain=[low, high])
    height = max(80, 44 * scales["scale"].nunique())
    bars = alt.Chart(scales).mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", scale=x_scale, title=f"Mean scale score ({low:g}–{high:g}) with 95% CI",
                axis=alt.Axis(format="~g", values=_half_points(low, high))),
        x2=alt.X2("ci_high:Q"), y=y, yOffset=offset, color=colour)
    points = alt.Chart(scales).mark_point(filled=True, size=70, opacity=1).encode(
        x=alt.X("mean:Q", scale=x_scale), y=y, yOffset=offset, color=colour,
        tooltip=[alt.Tooltip("scale:N", title="Scale"), alt.Tooltip("group:N", title="Group"), alt.Tooltip("n:Q", title="n"),
                 alt.Tooltip("mean:Q", format=".2f", title="Mean"),
                 alt.Tooltip("ci_low:Q", format=".2f", title="95% CI from"), alt.Tooltip("ci_high:Q", format=".2f", title="to"),
                 alt.Tooltip("verdict:N", title="Verdict")],
    )
    # Right-aligned where the axis labels end, a line below the name the axis draws.
    named = scales.drop_duplicates("scale").assign(
        verdict_colour=lambda f: f["verdict"].map(VERDICT_COLOURS).fillna("#333333"),
        verdict_text=lambda f: [f"{VERDICT_SIGNS[v]} {v}" if v in VERDICT_SIGNS else v for v in f["verdict"]])
    verdicts = alt.Chart(named).mark_text(align="right", baseline="middle", dy=8, fontSize=11,
                                                                    fontWeight="bold").encode(
        x=alt.XValue(-VERDICT_X), y=y, text=alt.Text("verdict_text:N"),
        color=alt.Color("verdict_colour:N", scale=None))
    # the survey reading's bar, named in a legend of its own above the plot (a label in the plot
    # would sit on the dots of the scales near it)
    agreement = agreement_threshold(low, high)
    line_name = agreement_line_name(low, high)
    line = alt.Chart(pd.DataFrame({"at": [agreement], "line": [line_name]})).mark_rule(color=AGREEMENT_LINE_COLOUR).encode(
        x=alt.X("at:Q", scale=x_scale),
        strokeDash=alt.StrokeDash("line:N", title=None, scale=alt.Scale(domain=[line_name], range=[[4, 4]]),
                                  legend=alt.Legend(orient="top", symbolType="stroke", symbolSize=300, labelLimit=0,
                                                    symbolStrokeColor=AGREEMENT_LINE_COLOUR)))
    return (alt.layer(line, bars, points, verdicts)
            .properties(width=620, height=height, autosize=FIT_WIDTH).configure_view(stroke=None))


def _half_points(low: float, high: float) -> list[float]:
    """Axis ticks at whole and half points of a rating scale (at most a dozen)."""
    step = 0.5 if high - low <= 6 else max(1, math.ceil((high - low) / 10))
    return [low + i * step for i in range(int((high - low) / step) + 1)]


IPA_WIDTH, IPA_HEIGHT = 480, 420  # px, the plot (the phone version: PHONE_WIDTH less the axis)
IPA_AXIS_WIDTH = 60  # px left of a phone's plot: the performance axis's labels and title
IPA_LABEL_FONT = 10  # px
IPA_QUADRANT_FONT = 11  # px
_LABEL_GAP = 9  # px between a point and its name


def _quadrant_titles(x_domain: list[float], y_domain: list[float]) -> pd.DataFrame:
    """The four quadrants' names, in the plot's corners."""
    (x0, x1), (y0, y1) = x_domain, y_domain
    dx, dy = (x1 - x0) * 0.03, (y1 - y0) * 0.03
    return pd.DataFrame([
        {"x": x1 - dx, "y": y0 + dy, "text": "Concentrate here", "align": "right"},
        {"x": x1 - dx, "y": y1 - dy, "text": "Keep up the good work", "align": "right"},
        {"x": x0 + dx, "y": y0 + dy, "text": "Low priority", "align": "left"},
        {"x": x0 + dx, "y": y1 - dy, "text": "Possible overkill", "align": "left"},
    ])


def _text_width(text: str, font_size: float) -> float:
    """Roughly how wide ``text`` is drawn, in px (sans-serif: about 0.56 em a character)."""
    return 0.56 * font_size * len(text) + 2


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Area shared by two (left, top, right, bottom) boxes."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _distance(box: tuple[float, float, float, float], point: tuple[float, float]) -> float:
    """px from a (left, top, right, bottom) box to a point (0 inside it)."""
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return math.hypot(dx, dy)


def place_ipa_labels(pairs: pd.DataFrame, x_domain: list[float], y_domain: list[float],
                     width: float, height: float) -> pd.DataFrame:
    """Where each service's name goes on the importance–performance chart: one name per service,
    beside its points, where it overlaps no other name, no point and no quadrant title, stays
    inside the plot, and is nearer its own points than any other service's (a name that fits only
    beside a neighbour's point reads as the neighbour's) — the first such place of: after its
    rightmost point, before its leftmost one, a line above or below either, above its top point,
    below its bottom one. Where none is free, the one costing least, a name nearer another
    service's point costing most. Placed in the plot's pixels (``width`` × ``height``) and
    returned in the data's units: columns service, label_x, label_y, align (left, right or center).
    """
    (x0, x1), (y0, y1) = x_domain, y_domain
    x_span, y_span = (x1 - x0) or 1.0, (y1 - y0) or 1.0
    to_px = lambda x, y: ((x - x0) / x_span * width, (y1 - y) / y_span * height)  # noqa: E731
    line = IPA_LABEL_FONT + 2
    points = [to_px(x, y) for x, y in zip(pairs["importance"], pairs["performance"])]
    taken = [(px - 6, py - 6, px + 6, py + 6) for px, py in points]
    for row in _quadrant_titles(x_domain, y_domain).itertuples():
        qx, qy = to_px(row.x, row.y)
        text_width = _text_width(row.text, IPA_QUADRANT_FONT)
        left = qx - text_width if row.align == "right" else qx
        taken.append((left, qy - IPA_QUADRANT_FONT / 2 - 2, left + text_width, qy + IPA_QUADRANT_FONT / 2 + 2))
    rows = []
    for service, group in pairs.groupby("service", sort=False):
        at = [to_px(x, y) for x, y in zip(group["importance"], group["performance"])]
        others = [p for p, s in zip(points, pairs["service"]) if s != service]
        right, left = max(at), min(at)
        top, bottom = min(at, key=lambda p: p[1]), max(at, key=lambda p: p[1])
        text_width = _text_width(str(service), IPA_LABEL_FONT)
        candidates = []  # (anchor x, anchor y, align) in preference order
        for shift in (0, -line, line):
            candidates.append((right[0] + _LABEL_GAP, right[1] + shift, "left"))
            candidates.append((left[0] - _LABEL_GAP, left[1] + shift, "right"))
        candidates += [(top[0], top[1] - line, "center"), (bottom[0], bottom[1] + line, "center")]
        best = None
        for rank, (ax, ay, align) in enumerate(candidates):
            start = {"left": ax, "right": ax - text_width, "center": ax - text_width / 2}[align]
            box = (start, ay - line / 2, start + text_width, ay + line / 2)
            outside = sum(max(0.0, edge) for edge in (-box[0], box[2] - width, -box[1], box[3] - height)) * line * 10
            cost = outside + sum(_overlap(box, other) for other in taken)
            own, other = min(_distance(box, p) for p in at), min((_distance(box, p) for p in others), default=math.inf)
            if other <= own + 2:  # as near another service's point as its own: read as that one's
                cost += 400 + 40 * (own - other)
            if best is None or cost < best[0]:
                best = (cost, rank, box, ax, ay, align)
            if cost == 0:
                break
        _, _, box, ax, ay, align = best
        taken.append(box)
        rows.append({"service": service, "label_x": x0 + ax / width * x_span, "label_y": y1 - ay / height * y_span, "align": align})
    return pd.DataFrame(rows, columns=["service", "label_x", "label_y", "align"])


IPA_DASHES = [[4, 4], [10, 4], [2, 3], [12, 3, 2, 3]]  # one per group, as its colour and its points' shape
IPA_DASH_WORDS = ["short dashes", "long dashes", "dots", "dash-dot"]


def ipa_lines_note(groups: list[str]) -> str:
    """What the IPA chart's dashed lines are, naming each group's dash (the legend shows only the points)."""
    dashes = ", ".join(f"{word} {group}" for word, group in zip(IPA_DASH_WORDS, groups))
    return f"dashed lines: each group's averages over all services, against which its points' quadrants are read ({dashes})"


def ipa_chart(pairs: pd.DataFrame, crosshairs: dict[str, dict[str, float]], low: float, high: float,
              compact: bool = False) -> alt.LayerChart:
    """Importance–performance quadrant chart. ``pairs`` columns: service, group, importance,
    performance, quadrant. ``crosshairs``: each group's grand means (``{group: {"importance": x,
    "performance": y}}``), drawn as dashed lines in the group's colour: a point's quadrant is read
    against its own group's lines, as ``itcap analyze`` (surveys.ipa) assigns it.

    The axes span the data and the crosshairs (to the half point, within ``low``–``high``), as IPA
    charts usually do: means cluster in the upper half of a 1–5 scale, and on its whole range the
    services would crowd one corner. The axis titles give the scale. Labels have a white halo so the
    crosshairs and joining lines do not run through them.
    """
    def span(column: str) -> list[float]:
        values = pd.to_numeric(pairs[column], errors="coerce").dropna().tolist() + [c.get(column) for c in crosshairs.values()]
        values = [v for v in values if v is not None and math.isfinite(v)]
        if not values:
            return [low, high]
        return [max(low, math.floor((min(values) - 0.25) * 2) / 2), min(high, math.ceil((max(values) + 0.25) * 2) / 2)]

    x_domain, y_domain = span("importance"), span("performance")
    x_scale, y_scale = alt.Scale(domain=x_domain), alt.Scale(domain=y_domain)
    scale_note = f"mean, scale {low:g}–{high:g}"
    groups = list(dict.fromkeys(pairs["group"]))
    colour = alt.Color("group:N", title=None, scale=alt.Scale(domain=groups, range=GROUP_COLOURS[: len(groups)]), legend=alt.Legend(orient="bottom"))
    points = alt.Chart(pairs).mark_point(filled=True, size=90, opacity=1).encode(
        x=alt.X("importance:Q", title=f"Importance ({scale_note})", scale=x_scale),
        y=alt.Y("performance:Q", title=f"Performance ({scale_note})", scale=y_scale),
        color=colour, shape=alt.Shape("group:N", title=None, scale=alt.Scale(domain=groups), legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("service:N", title="Service"), alt.Tooltip("group:N", title="Group"),
                 alt.Tooltip("importance:Q", format=".2f"), alt.Tooltip("performance:Q", format=".2f"), alt.Tooltip("quadrant:N")],
    )
    # Each service once: its groups' points joined by a thin line (how far apart the groups see it),
    # and its name once, where it overlaps no other name, no point and no quadrant title
    # (place_ipa_labels). Names under the points: a long name may cross a line, never hide a point.
    links = alt.Chart(pairs).mark_line(color="#999999", strokeWidth=1).encode(
        x=alt.X("importance:Q", scale=x_scale), y=alt.Y("performance:Q", scale=y_scale), detail=alt.Detail("service:N"))
    plot_width = PHONE_WIDTH - IPA_AXIS_WIDTH if compact else IPA_WIDTH
    labels = place_ipa_labels(pairs, x_domain, y_domain, plot_width, IPA_HEIGHT)
    label_layers = []
    for halo in (True, False):
        for align in ("left", "right", "center"):
            at = labels[labels["align"] == align]
            if not len(at):
                continue
            label = alt.Chart(at).encode(x=alt.X("label_x:Q", scale=x_scale), y=alt.Y("label_y:Q", scale=y_scale), text=alt.Text("service:N"))
            style = {"stroke": "white", "strokeWidth": 4, "strokeJoin": "round"} if halo else {"color": "#333333"}
            label_layers.append(label.mark_text(align=align, baseline="middle", fontSize=IPA_LABEL_FONT, **style))
    lines = pd.DataFrame([{"group": group, **point} for group, point in crosshairs.items()],
                         columns=["group", "importance", "performance"])
    # told apart by dash as well as colour (the points by shape): colour alone fails people who do not see it
    line_style = {"color": alt.Color("group:N", scale=alt.Scale(domain=groups, range=GROUP_COLOURS[: len(groups)]), legend=None),
                  "strokeDash": alt.StrokeDash("group:N", scale=alt.Scale(domain=groups, range=IPA_DASHES[: len(groups)]),
                                               legend=None)}
    vline = alt.Chart(lines).mark_rule(strokeWidth=1.5).encode(x=alt.X("importance:Q", scale=x_scale), **line_style)
    hline = alt.Chart(lines).mark_rule(strokeWidth=1.5).encode(y=alt.Y("performance:Q", scale=y_scale), **line_style)
    quadrants = _quadrant_titles(x_domain, y_domain)
    quadrant_layers = [
        alt.Chart(quadrants[quadrants["align"] == align]).mark_text(align=align, fontSize=IPA_QUADRANT_FONT, fontStyle="italic", color="#777777").encode(
            x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale), text=alt.Text("text:N"))
        for align in ("left", "right")
    ]
    # legends resolved per layer: the points' legend (colour and shape) stays whole; the lines add none
    # (merged with a line's, a point symbol was drawn as a blob), their dashes are named in the caption
    chart = (alt.layer(vline, hline, *quadrant_layers, links, *label_layers, points)
             .resolve_legend(color="independent", shape="independent", strokeDash="independent")
             .properties(width=IPA_WIDTH, height=IPA_HEIGHT))
    return for_phone(chart) if compact else chart


def response_rate_chart(rates: pd.DataFrame) -> alt.LayerChart:
    """Invited / started / completed per group, each bar labelled with its count and, for started
    and completed, its share of those invited. ``rates`` columns: group, stage, count."""
    stages = ["invited", "started", "completed"]
    invited = rates[rates["stage"] == "invited"].set_index("group")["count"]
    data = rates.assign(label=[
        f"{count:,}" if stage == "invited" or not invited.get(group) else f"{count:,} ({percent_text(count / invited[group])})"
        for group, stage, count in zip(rates["group"], rates["stage"], rates["count"])])
    bars = alt.Chart(data).encode(
        y=alt.Y("group:N", title=None, sort=list(dict.fromkeys(rates["group"]))),  # the table's (instrument) order
        yOffset=alt.YOffset("stage:N", sort=stages, scale=alt.Scale(domain=stages)),
        x=alt.X("count:Q", title="People", axis=alt.Axis(tickMinStep=1, format="~s"),
                scale=alt.Scale(domainMin=0, nice=True)),
        tooltip=[alt.Tooltip("group:N", title="Group"), alt.Tooltip("stage:N", title="Stage"),
                 alt.Tooltip("label:N", title="People")],
    )
    columns = bars.mark_bar().encode(
        color=alt.Color("stage:N", sort=stages, scale=alt.Scale(domain=stages, range=["#BBBBBB", "#56B4E9", "#0072B2"]),
                        title=None, legend=alt.Legend(orient="bottom")))
    counts = bars.mark_text(align="left", dx=4, fontSize=10, color="#333333").encode(text=alt.Text("label:N"))
    # room at the right for the longest label ("1,234 (56%)") beyond the longest bar
    return (alt.layer(columns, counts)
            .properties(width=480, height=max(80, 60 * rates["group"].nunique()), autosize=FIT_WIDTH,
                        padding={"left": 5, "top": 5, "bottom": 5, "right": 70}))


def disagreement_heatmap(levels: pd.DataFrame, max_level: int, compact: bool = False) -> alt.LayerChart:
    """Capabilities × assessors, coloured by level, with the spread and a flag for 2+ levels apart.

    ``levels`` columns: capability, assessor, level (NaN = not rated), spread, flagged, order.
    ``compact``: the phone version, at a phone's width: long names on two lines, the assessors' names on a line
    per word, no colour legend (each cell shows its level).
    """
    data = levels.assign(level_text=levels["level"].map(lambda v: "–" if pd.isna(v) else f"{v:g}"),
                         capability_label=levels.apply(lambda r: ("⚑ " if r["flagged"] else "") + r["capability"], axis=1))
    y = alt.Y("capability_label:N", sort=alt.EncodingSortField("order", order="ascending"), title=None,
              axis=alt.Axis(labelLimit=PHONE_LABEL_LIMIT, labelExpr=PHONE_LABEL_LINES, labelOverlap=False) if compact
              else alt.Axis(labelLimit=260))
    x = alt.X("assessor:N", title=None, axis=alt.Axis(orient="top", labelAngle=0, labelOverlap=False, labelLimit=120,
                                                      **({"labelExpr": "split(datum.label, ' ')"} if compact else {})))
    rects = alt.Chart(data).mark_rect(stroke="white").encode(
        x=x, y=y,
        color=alt.Color("level:Q", title="Level", scale=alt.Scale(domain=[1, max_level], scheme="blues"),
                        legend=None if compact else alt.Legend()),
        tooltip=[alt.Tooltip("capability:N", title="Capability"), alt.Tooltip("assessor:N", title="Assessor"),
                 alt.Tooltip("level_text:N", title="Level"), alt.Tooltip("spread:Q", title="Spread")],
    )
    text = alt.Chart(data).mark_text(fontSize=12).encode(
        x=x, y=y, text=alt.Text("level_text:N"),
        color=alt.condition(alt.datum.level >= (max_level + 1) / 2, alt.value("white"), alt.value("black")))
    chart = alt.layer(rects, text).properties(width=max(180, 90 * data["assessor"].nunique()),
                                              height=max(80, (PHONE_ROW if compact else 24) * data["capability"].nunique()))
    return for_phone(chart) if compact else chart


def trend_chart(points: pd.DataFrame, value_title: str, y_domain: tuple[float, float] | None = None,
                colours: list[str] | None = None, reference: tuple[float, str] | None = None) -> alt.LayerChart:
    """A line per series over time. ``points`` columns: when (date), label, series, value.

    The time axis is marked at the rounds themselves ("Nov 2025", "Nov 2026"), not at months in
    between, and padded so the first and last points are not on the edge. Series keep the order they
    come in (the modes in their order, the scales in the instrument's), colours and legend included.
    ``y_domain`` (e.g. 0–100 %, or the response scale's 1–5) keeps differences in proportion.
    ``colours``: the modes' colours by default; pass ``SERIES_COLOURS`` for scales. The legend shows
    names in full, two to a row when they are short, so that it fits a phone's width either way.
    ``reference``: (value, label) of a dashed line to read the series against (e.g. 85 %, above which
    a mode is rated F), named in a legend of its own above the plot: a label drawn beside the line
    sat on the points of the rounds near it.
    """
    # Dates as datetime64: Altair writes those as ISO text; plain date objects are not JSON (PNG/SVG export).
    points = points.assign(when=pd.to_datetime(points["when"]))
    y_scale = alt.Scale(domain=list(y_domain)) if y_domain else alt.Scale(zero=False)
    rounds = sorted(points["when"].drop_duplicates())
    ticks = [alt.DateTime(year=d.year, month=d.month, date=d.day) for d in rounds]
    series = list(dict.fromkeys(points["series"]))
    base = alt.Chart(points).encode(
        x=alt.X("when:T", title=None, scale=alt.Scale(padding=36),
                axis=alt.Axis(values=ticks, format="%b %Y", labelAngle=0, grid=False)),
        y=alt.Y("value:Q", title=value_title, scale=y_scale),
        color=alt.Color("series:N", title=None, sort=series, scale=alt.Scale(domain=series, range=colours or MODE_COLOURS),
                        legend=alt.Legend(orient="bottom", columns=2 if max(map(len, series), default=0) <= LEGEND_SHORT_NAME else 1,
                                          labelLimit=0)),
        tooltip=[alt.Tooltip("label:N", title="When"), alt.Tooltip("series:N"), alt.Tooltip("value:Q", format=".2f")],
    )
    layers = [base.mark_line(), base.mark_point(filled=True, size=60)]
    if "provisional" in points.columns and points["provisional"].fillna(False).astype(bool).any():
        # a round still open is drawn hollow: its figures can still change (the caption says so)
        points = points.assign(provisional=points["provisional"].fillna(False).astype(bool))
        base = base.properties(data=points)
        layers = [base.mark_line(), base.mark_point(filled=True, size=60).transform_filter("!datum.provisional"),
                  base.mark_point(filled=False, size=70, strokeWidth=2).transform_filter("datum.provisional")]
    if reference is not None:
        value, label = reference
        rule = alt.Chart(pd.DataFrame({"value": [value], "label": [label]}))
        layers.append(rule.mark_rule(color="#666666").encode(
            y=alt.Y("value:Q"), strokeDash=alt.StrokeDash("label:N", title=None, scale=alt.Scale(domain=[label], range=[[4, 4]]),
                                                   legend=alt.Legend(orient="top", symbolType="stroke", symbolSize=300, labelLimit=0,
                                                                     symbolStrokeColor="#666666"))))
    return alt.layer(*layers).properties(width=520, height=260, autosize=FIT_WIDTH)


ATTAINMENT_REFERENCE_NOTE = ("The dashed line: above it a mode is rated F (fully); it is achieved when rated F with no "
                             "capability more than one level short of its target (a consensus of 1.5 against a target "
                             "of 3 is more than one short), and every lower mode achieved.")


def attainment_reference_label(fully_achieved_percent: float) -> str:
    """The dashed line's name: the rating F, not "achieved" — a mode rated F is not achieved while a
    capability is more than one level short of its target (or a lower mode is not achieved)."""
    return f"rated F (fully) above {fully_achieved_percent:g}%"


def attainment_trend_chart(points: pd.DataFrame, fully_achieved_percent: float) -> alt.LayerChart:
    """Attainment (%) of each mode over assessments, with the line above which a mode is rated F."""
    return trend_chart(points, "Attainment %", (0, 100),
                       reference=(fully_achieved_percent, attainment_reference_label(fully_achieved_percent)))


def scale_trend_chart(points: pd.DataFrame) -> alt.LayerChart:
    """Scale scores over campaigns on the response scale's range (``points.attrs["value_range"]``),
    with the score at which a scale supports its mode in the survey's reading (3.5 on 1–5): the
    banner's "Short of Supplier: Responsiveness 3.47" can then be seen on the chart."""
    from surveys.perception import agreement_threshold

    value_range = points.attrs.get("value_range")
    reference = None
    if value_range:
        threshold = agreement_threshold(*value_range)
        reference = (threshold, f"a scale supports its mode from {threshold:g}")
    return trend_chart(points, "Scale score", value_range, SERIES_COLOURS, reference=reference)
