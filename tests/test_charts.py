"""Chart builders: valid Vega-Lite (the app skips validation for speed, so it is checked here), the
data they draw, and rendering to PNG/SVG with vl-convert."""

import math

import pandas as pd
import pytest

from itcap import charts

CAPS = [("a", "Business relationship management"), ("b", "Enterprise architecture"), ("c", "Service desk")]
SERIES = {"Consensus": {"a": 2.0, "b": None, "c": 3.5}, "Supplier target": {"a": 2, "b": 1, "c": 3}}


def _data(chart, mark: str, column: str) -> pd.DataFrame:
    """The rows behind the first layer with this mark type whose data has ``column``."""
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    datasets = spec["datasets"]
    for layer in spec.get("layer", []):
        kind = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        rows = pd.DataFrame(datasets[layer["data"]["name"]])
        if kind == mark and column in rows.columns:
            return rows
    raise AssertionError(f"no {mark} layer with {column}")


def test_radar_draws_one_closed_polygon_per_series_on_the_level_scale():
    chart = charts.radar_chart(CAPS, SERIES, max_level=5, min_level=0)
    lines = _data(chart, "line", "series")
    lines = lines[lines["series"].isin(SERIES)]
    for name in SERIES:
        polygon = lines[lines["series"] == name].sort_values("step")
        assert len(polygon) == len(CAPS) + 1
        first, last = polygon.iloc[0], polygon.iloc[-1]
        assert (first["x"], first["y"]) == pytest.approx((last["x"], last["y"])), "the polygon is closed"
    consensus = lines[lines["series"] == "Consensus"].set_index("capability")
    # radius = level / max level; the first spoke points straight up
    assert math.hypot(consensus.loc["Service desk", "x"], consensus.loc["Service desk", "y"]) == pytest.approx(3.5 / 5)
    assert consensus.loc["Business relationship management", "y"].iloc[0] == pytest.approx(2 / 5)
    assert consensus.loc["Enterprise architecture", "level_text"] == "not rated"


def _gap_layers(spec: dict) -> tuple[dict, dict]:
    [lines] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    [dots] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "point"]
    return lines, dots


def test_gap_chart_draws_each_consensus_and_target_joined_in_the_table_s_order():
    """Bars of "levels short" were all 1 in the demo and said nothing: a dumbbell shows where each
    capability stands and where the mode wants it, ranked as the gap table, blockers in orange."""
    gaps = pd.DataFrame({"rank": [1, 2, 3], "capability": ["EA", "BRM", "Desk"], "shortfall": [3.0, 1.0, 0.5],
                         "target": [3, 3, 4], "consensus": ["not rated", "2", "3.5"], "blocking": [True, False, False]})
    spec = charts.gap_chart(gaps, "Business Partner", levels=(1, 5)).to_dict()
    lines, dots = _gap_layers(spec)
    for layer in (lines, dots):
        assert layer["encoding"]["y"]["sort"] == {"field": "rank", "order": "ascending"}
        assert layer["encoding"]["x"]["scale"]["domain"] == [-0.5, 5.5]  # whole model, and level 0 for "not rated"
    drawn = pd.DataFrame(spec["datasets"][lines["data"]["name"]]).set_index("capability")
    assert drawn.loc["BRM", "level"] == 2 and drawn.loc["BRM", "target"] == 3 and lines["encoding"]["x2"]["field"] == "target"
    assert drawn.loc["EA", "level"] == 0 and drawn.loc["EA", "consensus_text"] == "not rated (counts as 0)"
    assert drawn.loc["Desk", "level"] == 3.5
    assert list(drawn["key"]) == [charts.BLOCKING_GAP, charts.SMALL_GAP, charts.SMALL_GAP]
    ends = pd.DataFrame(spec["datasets"][dots["data"]["name"]])
    assert sorted(zip(ends["capability"], ends["key"], ends["at"])) == sorted([
        ("EA", "Consensus level", 0), ("BRM", "Consensus level", 2), ("Desk", "Consensus level", 3.5),
        ("EA", "Business Partner target", 3), ("BRM", "Business Partner target", 3), ("Desk", "Business Partner target", 4)])
    # one legend: the dots, and the kinds of gap there are as lines (orange always means blocking)
    colour = dots["encoding"]["color"]["scale"]
    assert colour["domain"] == ["Consensus level", "Business Partner target", charts.BLOCKING_GAP, charts.SMALL_GAP]
    assert colour["range"][2:] == ["#D55E00", "#999999"] and lines["encoding"]["color"]["scale"] == colour
    assert dots["encoding"]["shape"]["scale"]["range"] == ["circle", "diamond", "stroke", "stroke"]
    small = charts.gap_chart(gaps.assign(blocking=False), "Business Partner")
    assert _gap_layers(small.to_dict())[1]["encoding"]["color"]["scale"]["domain"][2:] == [charts.SMALL_GAP]
    assert charts.to_png(small).startswith(b"\x89PNG") and charts.to_png(charts.gap_chart(gaps, "Business Partner", compact=True))


def test_perception_chart_has_every_group_mean_and_a_verdict_per_scale():
    frame = pd.DataFrame({"scale": ["Reliability", "Reliability", "Innovation", "Innovation"],
                          "group": ["Business users", "IT staff"] * 2, "mean": [3.8, 3.9, 2.5, 3.1],
                          "ci_low": [3.7, 3.7, 2.4, 2.9], "ci_high": [3.9, 4.1, 2.6, 3.3],
                          "verdict": ["equivalent", "equivalent", "differs", "differs"], "order": [0, 0, 1, 1]})
    spec = charts.perception_chart(frame, 1, 5).to_dict()
    line, bars, points, verdicts = spec["layer"]
    assert points["encoding"]["x"]["field"] == "mean" and points["encoding"]["x"]["scale"]["domain"] == [1, 5]
    assert (bars["encoding"]["x"]["field"], bars["encoding"]["x2"]["field"]) == ("ci_low", "ci_high")
    # one verdict per scale, in its verdict's colour, under the scale's name
    assert verdicts["mark"]["type"] == "text" and verdicts["encoding"]["text"]["field"] == "verdict_text"
    named = pd.DataFrame(spec["datasets"][verdicts["data"]["name"]])
    assert dict(zip(named["scale"], named["verdict_colour"])) == {"Reliability": charts.VERDICT_COLOURS["equivalent"],
                                                                  "Innovation": charts.VERDICT_COLOURS["differs"]}
    # one chart that takes the page's width, so it fits a phone (no side column for the verdicts)
    assert spec["autosize"]["type"] == "fit-x"


def test_perception_chart_draws_the_survey_reading_s_bar_the_groups_n_and_a_differs_mark_no_group_has():
    """The director read the dots against nothing: the survey reading's 3.5 (5/8 up the scale,
    surveys.perception) is drawn; each group's n is in the legend and every dot's in its tooltip;
    "differs" was in the IT staff's vermillion, as though it were theirs."""
    from surveys.perception import AGREEMENT_FRACTION

    frame = pd.DataFrame({"scale": ["Reliability", "Reliability", "Innovation", "Innovation"],
                          "group": ["Business users", "IT staff"] * 2, "mean": [3.8, 3.9, 2.5, 3.1],
                          "ci_low": [3.7, 3.7, 2.4, 2.9], "ci_high": [3.9, 4.1, 2.6, 3.3], "n": [200, 98, 196, 97],
                          "verdict": ["equivalent", "equivalent", "differs", "differs"], "order": [0, 0, 1, 1]})
    frame.attrs["group_n"] = {"Business users": 200, "IT staff": 100}
    spec = charts.perception_chart(frame, 1, 5).to_dict()
    [line] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule" and "x2" not in layer["encoding"]]
    assert spec["datasets"][line["data"]["name"]][0]["at"] == 1 + AGREEMENT_FRACTION * 4 == 3.5
    assert line["encoding"]["strokeDash"]["scale"]["domain"] == ["3.5: a scale supports its mode"]
    assert "3.5" in charts.agreement_line_note(1, 5) and charts.agreement_line_name(1, 7).startswith("4.75:")
    points = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")
    assert points["encoding"]["color"]["scale"]["domain"] == ["Business users (n = 200)", "IT staff (n = 100)"]
    assert {"field": "n", "type": "quantitative", "title": "n"} in points["encoding"]["tooltip"]
    verdicts = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    named = pd.DataFrame(spec["datasets"][verdicts["data"]["name"]]).set_index("scale")
    assert named.loc["Innovation", "verdict_text"] == "≠ differs" and named.loc["Reliability", "verdict_text"] == "≈ equivalent"
    assert not set(charts.VERDICT_COLOURS.values()) & set(charts.GROUP_COLOURS)
    # without the counts: each group's largest n
    frame.attrs.clear()
    spec = charts.perception_chart(frame, 1, 5).to_dict()
    points = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")
    assert points["encoding"]["color"]["scale"]["domain"] == ["Business users (n = 200)", "IT staff (n = 98)"]
    assert charts.to_png(spec).startswith(b"\x89PNG")


def test_ipa_chart_puts_the_crosshairs_at_the_grand_means():
    pairs = pd.DataFrame({"service": ["Logging on", "Network"], "group": ["Business users"] * 2, "importance": [4.6, 4.5],
                          "performance": [3.1, 3.9], "quadrant": ["Concentrate here", "Keep up the good work"]})
    spec = charts.ipa_chart(pairs, {"Business users": {"importance": 4.2, "performance": 3.4}}, 1, 5).to_dict()
    crosshair = pd.DataFrame(spec["datasets"][spec["layer"][0]["data"]["name"]])
    assert crosshair.iloc[0].to_dict() == {"group": "Business users", "importance": 4.2, "performance": 3.4}
    # each group's lines told apart by dash as well as colour, and drawn at full strength
    for rule in spec["layer"][:2]:
        assert rule["encoding"]["strokeDash"]["field"] == rule["encoding"]["color"]["field"] == "group"
        assert rule["mark"].get("opacity", 1) == 1
    # which colour is which group stays in the legend: the points' legend, resolved apart from the lines'
    # (a shared one lost it to the lines' legend=None, or drew the point symbols as blobs)
    points = [layer for layer in spec["layer"] if layer["mark"]["type"] == "point"]
    assert points and points[0]["encoding"]["color"]["legend"]["orient"] == "bottom"
    assert spec["resolve"]["legend"] == {"color": "independent", "shape": "independent", "strokeDash": "independent"}


def test_phone_versions_are_drawn_at_a_phones_width():
    levels = pd.DataFrame({"capability": ["EA", "EA"], "assessor": ["Ana Patel", "Ben Ode"], "level": [1.0, 3.0],
                           "spread": [2, 2], "flagged": [True, True], "order": [0, 0]})
    pairs = pd.DataFrame({"service": ["Logging on", "Network"], "group": ["Business users"] * 2, "importance": [4.6, 3.1],
                          "performance": [3.1, 3.9], "quadrant": ["Concentrate here", "Low priority"]})
    for chart in (charts.maturity_rows_chart(CAPS, SERIES, 5, 1), charts.disagreement_heatmap(levels, 5, compact=True),
                  charts.ipa_chart(pairs, {"Business users": {"importance": 4.0, "performance": 3.5}}, 1, 5, compact=True)):
        spec = chart.to_dict()
        assert spec["width"] == charts.PHONE_WIDTH and spec["autosize"]["type"] == "fit-x"


def test_long_capability_names_go_on_two_lines_on_a_phone_not_cut_short():
    """At 375 px a name such as "Technology & infrastructure management" ended in "…"."""
    import re

    caps = [("a", "Technology & infrastructure management"), ("b", "Service desk"),
            ("c", "Business relationship management")]
    series = {"Consensus": {"a": 3, "b": 2, "c": 2}, "Supplier target": {"a": 2, "b": 2, "c": 2}}
    gaps = pd.DataFrame({"rank": [1, 2], "capability": ["Technology & infrastructure management", "Service desk"],
                         "shortfall": [2, 1], "target": [4, 3], "consensus": ["2", "2"], "blocking": [True, False]})
    levels = pd.DataFrame({"capability": [n for _, n in caps], "assessor": "Ana Patel", "level": [3.0, 2.0, 2.0],
                           "spread": 0, "flagged": False, "order": [0, 1, 2]})
    for chart in (charts.maturity_rows_chart(caps, series, 5, 1), charts.gap_chart(gaps, "Business Partner", compact=True),
                  charts.disagreement_heatmap(levels, 5, compact=True)):
        # every name shown: Vega's overlap check hid every other two-line name in Streamlit's theme
        y_axes = [layer["encoding"]["y"]["axis"] for layer in chart.to_dict().get("layer", [chart.to_dict()])
                  if "axis" in layer.get("encoding", {}).get("y", {})]
        assert y_axes and all(axis["labelOverlap"] is False for axis in y_axes)
        texts = re.findall(r">([^<>]+)</(?:text|tspan)>", charts.to_svg(chart))  # two lines: two tspans
        assert "Technology &amp;" in texts and "infrastructure management" in texts, texts
        assert "Service desk" in texts and not any("…" in t for t in texts)


def test_phone_maturity_rows_show_the_consensus_and_every_target():
    spec = charts.maturity_rows_chart(CAPS, SERIES, 5, 1).to_dict()
    consensus, targets = spec["layer"]  # targets drawn last, over the dot
    points = pd.DataFrame(spec["datasets"][consensus["data"]["name"]])
    ticks = pd.DataFrame(spec["datasets"][targets["data"]["name"]])
    consensus_name, *target_names = SERIES
    assert set(points["series"]) == {consensus_name} and set(ticks["series"]) == set(target_names)
    expected = {(label, name): SERIES[name][cap] for cap, label in CAPS for name in target_names if SERIES[name].get(cap) is not None}
    assert {(r.capability, r.series): r.level for r in ticks.itertuples()} == expected
    # each row's ticks kept about its middle: spread over the whole step, a row's top tick sat as
    # near the row above as its own (a reviewer read it as the other row's)
    assert targets["encoding"]["yOffset"]["scale"]["paddingOuter"] >= 1


def _ipa_labels(spec: dict) -> dict[str, tuple[str, float, float]]:
    """{service: (align, label x, label y)} from an IPA chart's name layers (not the halos)."""
    labels = {}
    for layer in spec["layer"]:
        mark, encoding = layer["mark"], layer.get("encoding", {})
        if mark.get("type") == "text" and encoding.get("text", {}).get("field") == "service" and "stroke" not in mark:
            for row in spec["datasets"][layer["data"]["name"]]:
                labels[row["service"]] = (mark["align"], row["label_x"], row["label_y"])
    return labels


def test_ipa_names_near_the_right_edge_go_before_their_points():
    pairs = pd.DataFrame({"service": ["Logging on", "Logging on", "Network"], "group": ["Business users", "IT staff", "IT staff"],
                          "importance": [4.9, 4.7, 3.0], "performance": [3.1, 3.0, 3.9], "quadrant": ["Concentrate here"] * 3})
    labels = _ipa_labels(charts.ipa_chart(pairs, {"Business users": {"importance": 4.0, "performance": 3.5}}, 1, 5).to_dict())
    assert set(labels) == {"Logging on", "Network"}  # one name per service
    align, x, y = labels["Logging on"]
    assert align == "right" and x < 4.7 and y == pytest.approx(3.0)  # ends before the leftmost point, level with it
    align, x, y = labels["Network"]
    assert align == "left" and x > 3.0 and y == pytest.approx(3.9)  # the usual place: after the point


# The demo survey's services: two names that were drawn over each other, next to their neighbours.
CROWDED_IPA = pd.DataFrame({
    "service": ["Logging on", "Network reliability", "Service desk", "Mobile and remote access", "Project delivery",
                "Advice on new technology"] * 2,
    "group": ["Business users"] * 6 + ["IT staff"] * 6,
    "importance": [4.52, 4.39, 4.23, 4.07, 3.66, 3.16, 4.45, 4.34, 4.35, 4.06, 3.77, 3.29],
    "performance": [3.17, 3.92, 3.66, 2.98, 2.90, 2.57, 3.00, 3.97, 3.57, 2.77, 2.81, 2.51],
    "quadrant": ["x"] * 12})


@pytest.mark.parametrize("width", [charts.IPA_WIDTH, charts.PHONE_WIDTH - charts.IPA_AXIS_WIDTH, 300])
def test_each_ipa_name_is_nearer_its_own_points_than_any_other_service_s(width):
    """At a phone's width "Logging on" fitted only beside a point of "Mobile and remote access" (and
    that name under its own points, next to the other's): each read as the other's."""
    import math

    x_domain, y_domain, height = [2.5, 5.0], [2.0, 4.5], charts.IPA_HEIGHT
    labels = charts.place_ipa_labels(CROWDED_IPA, x_domain, y_domain, width, height)

    def px(x, y):
        return (x - 2.5) / 2.5 * width, (4.5 - y) / 2.5 * height

    for row in labels.itertuples():
        ax, ay = px(row.label_x, row.label_y)
        text_width = 5.6 * len(row.service) + 2
        left = {"left": ax, "right": ax - text_width, "center": ax - text_width / 2}[row.align]
        box = (left, ay - 6, left + text_width, ay + 6)
        nearest = {}
        for service, x, y in zip(CROWDED_IPA["service"], CROWDED_IPA["importance"], CROWDED_IPA["performance"]):
            cx, cy = px(x, y)
            gap = math.hypot(max(box[0] - cx, 0, cx - box[2]), max(box[1] - cy, 0, cy - box[3]))
            nearest[service] = min(gap, nearest.get(service, math.inf))
        others = min(d for service, d in nearest.items() if service != row.service)
        assert nearest[row.service] + 2 < others, f"{row.service} is as near another service's point: {nearest}"


@pytest.mark.parametrize("width", [charts.IPA_WIDTH, charts.PHONE_WIDTH - charts.IPA_AXIS_WIDTH])
def test_ipa_names_overlap_no_other_name_and_no_point(width):
    x_domain, y_domain, height = [2.5, 5.0], [2.0, 4.5], charts.IPA_HEIGHT
    labels = charts.place_ipa_labels(CROWDED_IPA, x_domain, y_domain, width, height)
    assert sorted(labels["service"]) == sorted(set(CROWDED_IPA["service"]))

    def px(x, y):
        return (x - 2.5) / 2.5 * width, (4.5 - y) / 2.5 * height

    boxes = []
    for row in labels.itertuples():
        ax, ay = px(row.label_x, row.label_y)
        text_width = 5.6 * len(row.service)  # 10 px sans-serif
        left = {"left": ax, "right": ax - text_width, "center": ax - text_width / 2}[row.align]
        boxes.append((row.service, left, ay - 5, left + text_width, ay + 5))
    for i, (name, left, top, right, bottom) in enumerate(boxes):
        assert 0 <= left and right <= width and 0 <= top and bottom <= height, f"{name} runs out of the plot"
        for other, l2, t2, r2, b2 in boxes[i + 1:]:
            assert min(right, r2) <= max(left, l2) or min(bottom, b2) <= max(top, t2), f"{name} overlaps {other}"
        for x, y in zip(CROWDED_IPA["importance"], CROWDED_IPA["performance"]):
            cx, cy = px(x, y)
            assert not (left - 4 < cx < right + 4 and top - 4 < cy < bottom + 4), f"{name} covers the point at {x}, {y}"


@pytest.mark.parametrize("build", [
    lambda: charts.radar_chart(CAPS, SERIES, 5, 0),
    lambda: charts.maturity_rows_chart(CAPS, SERIES, 5, 1),
    lambda: charts.response_rate_chart(pd.DataFrame({"group": ["IT staff"] * 3, "stage": ["invited", "started", "completed"],
                                                     "count": [10, 6, 5]})),
    lambda: charts.disagreement_heatmap(pd.DataFrame({"capability": ["EA", "EA"], "assessor": ["ana", "ben"], "level": [1.0, None],
                                                      "spread": [0, 0], "flagged": [False, False], "order": [0, 0]}), 5),
    lambda: charts.trend_chart(pd.DataFrame({"when": pd.to_datetime(["2025-01-01", "2026-01-01"]), "label": ["a", "b"],
                                             "series": ["Supplier"] * 2, "value": [70.0, 90.0]}), "Attainment %", (0, 100)),
])
def test_every_chart_renders_to_png_and_svg(build):
    chart = build()
    chart.to_dict()  # valid Vega-Lite
    png = charts.to_png(chart.to_dict(validate=False))
    assert png.startswith(b"\x89PNG")
    assert charts.to_svg(chart).lstrip().startswith("<svg")


def test_trend_chart_marks_the_rounds_and_keeps_the_series_order():
    """Ticks at the rounds themselves (not at months between them), the modes in their order with
    their colours, and the dashed reference line."""
    import datetime as dt

    # Plain dates, as the trends come from the database (PNG export needs them as JSON text).
    days = [dt.date(2025, 11, 28)] * 3 + [dt.date(2026, 11, 27)] * 3
    points = pd.DataFrame({"when": days, "label": ["a"] * 3 + ["b"] * 3,
                           "series": ["Supplier", "Business Partner", "Business Leader"] * 2,
                           "value": [84.6, 66.0, 49.0, 100.0, 82.0, 61.0]})
    spec = charts.trend_chart(points, "Attainment %", (0, 100), reference=(85, "rated F (fully) above 85%")).to_dict()
    line = spec["layer"][0]["encoding"]
    assert [(v["year"], v["month"], v["date"]) for v in line["x"]["axis"]["values"]] == [(2025, 11, 28), (2026, 11, 27)]
    assert line["x"]["axis"]["format"] == "%b %Y"
    assert line["color"]["scale"]["domain"] == ["Supplier", "Business Partner", "Business Leader"]
    assert line["color"]["scale"]["range"][:3] == charts.MODE_COLOURS[:3]
    rule = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule")
    assert spec["datasets"][rule["data"]["name"]] == [{"value": 85, "label": "rated F (fully) above 85%"}]
    chart = charts.trend_chart(points, "Attainment %", (0, 100))
    assert charts.to_png(chart.to_dict(validate=False)).startswith(b"\x89PNG")


def test_the_attainment_line_is_named_as_the_rating_f_in_a_legend_not_as_achieved_beside_the_points():
    """"achieved above 85%" was wrong (achieved also needs no capability 2+ levels short: a mode at
    90% with one is not achieved), and the label, drawn at the left end of the line, sat on the first
    round's points. The line is named in a legend of its own above the plot."""
    import datetime as dt

    points = pd.DataFrame({"when": [dt.date(2025, 12, 7)] * 2 + [dt.date(2026, 12, 6)] * 2, "label": ["a", "a", "b", "b"],
                           "series": ["Supplier", "Business Partner"] * 2, "value": [84.6, 66.0, 100.0, 82.0]})
    spec = charts.attainment_trend_chart(points, 85).to_dict()
    assert not [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]  # nothing drawn in the plot
    [rule] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    dash = rule["encoding"]["strokeDash"]
    assert dash["scale"] == {"domain": ["rated F (fully) above 85%"], "range": [[4, 4]]} and dash["legend"]["orient"] == "top"
    assert "achieved" not in charts.attainment_reference_label(85)
    assert "no capability more than one level short of its target (a consensus of 1.5" in charts.ATTAINMENT_REFERENCE_NOTE
    assert charts.to_png(spec).startswith(b"\x89PNG")


def test_the_scale_trend_shows_the_score_at_which_a_scale_supports_its_mode():
    """The banner said "Short of Supplier: Responsiveness 3.47" and the trend had no line at 3.5."""
    import datetime as dt

    points = pd.DataFrame({"when": [dt.date(2025, 12, 7), dt.date(2026, 12, 6)], "label": ["a", "b"],
                           "series": ["Responsiveness"] * 2, "value": [3.47, 3.61]})
    points.attrs["value_range"] = (1, 5)
    spec = charts.scale_trend_chart(points).to_dict()
    [rule] = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert rule["encoding"]["strokeDash"]["scale"]["domain"] == ["a scale supports its mode from 3.5"]
    assert [row["value"] for row in spec["datasets"][rule["data"]["name"]]] == [3.5]
    points.attrs["value_range"] = None  # no known range: no line
    assert not [layer for layer in charts.scale_trend_chart(points).to_dict()["layer"] if layer["mark"]["type"] == "rule"]


@pytest.mark.parametrize(("levels", "consensus", "ticks"), [((1, 5), ["2", "3"], [1, 2, 3, 4, 5]), (None, ["2", "2.5"], [2, 3, 4])])
def test_gap_chart_counts_whole_levels(levels, consensus, ticks):
    """Whole levels on the axis (a tie's 2.5 between them), over the model's range when given."""
    gaps = pd.DataFrame({"capability": ["a", "b"], "shortfall": [1, 1.5], "target": [3, 4], "consensus": consensus,
                         "blocking": False, "rank": [1, 2]})
    x = _gap_layers(charts.gap_chart(gaps, "Business Partner", levels=levels).to_dict())[0]["encoding"]["x"]
    assert x["axis"]["values"] == ticks and x["scale"]["domain"] == [ticks[0] - 0.5, ticks[-1] + 0.5]


def test_ipa_chart_spans_the_data_and_keeps_labels_legible():
    pairs = pd.DataFrame({"service": ["Logon", "Logon", "Desk", "Desk"], "group": ["Business", "IT", "Business", "IT"],
                          "importance": [4.5, 4.4, 3.2, 3.3], "performance": [3.1, 3.0, 3.7, 3.9], "quadrant": ["x"] * 4})
    spec = charts.ipa_chart(pairs, {"Business": {"importance": 3.85, "performance": 3.4}, "IT": {"importance": 3.85, "performance": 3.45}}, 1, 5).to_dict()
    encodings = [layer["encoding"] for layer in spec["layer"] if "x" in layer.get("encoding", {})]
    x_domains = {tuple(e["x"]["scale"]["domain"]) for e in encodings if "scale" in e["x"]}
    assert x_domains == {(2.5, 5.0)}  # 3.2 − 0.25 → 2.5; 4.5 + 0.25 → 5 (never past the scale)
    assert {tuple(e["y"]["scale"]["domain"]) for e in encodings if "scale" in e.get("y", {})} == {(2.5, 4.5)}
    texts = [layer["mark"] for layer in spec["layer"] if layer["mark"]["type"] == "text" and layer["encoding"]["text"]["field"] == "service"]
    assert [m.get("stroke") for m in texts] == ["white", None]  # a halo under each service's name
    assert any(e["x"].get("title") == "Importance (mean, scale 1–5)" for e in encodings)


def test_response_rates_show_each_stage_as_a_share_of_those_invited_and_whole_people():
    rates = pd.DataFrame({"group": ["IT staff"] * 3 + ["Business users"] * 3, "stage": ["invited", "started", "completed"] * 2,
                          "count": [3, 1, 0, 0, 0, 0]})
    spec = charts.response_rate_chart(rates).to_dict()
    bars, counts = spec["layer"]
    assert counts["mark"]["type"] == "text" and counts["encoding"]["text"]["field"] == "label"
    labels = {(r["group"], r["stage"]): r["label"] for r in spec["datasets"][spec["data"]["name"]]}
    assert labels[("IT staff", "invited")] == "3" and labels[("IT staff", "started")] == "1 (33.3%)"
    assert labels[("IT staff", "completed")] == "0 (0%)" and labels[("Business users", "completed")] == "0"  # none invited
    assert bars["encoding"]["x"]["axis"]["tickMinStep"] == 1  # no 0.2 of a person on the axis
    assert bars["encoding"]["y"]["sort"] == ["IT staff", "Business users"]  # as the table lists them, not alphabetical
    rates = pd.DataFrame({"group": ["IT staff"] * 3, "stage": ["invited", "started", "completed"], "count": [320, 200, 128]})
    labels = {r["stage"]: r["label"] for r in (lambda sp: sp["datasets"][sp["data"]["name"]])(charts.response_rate_chart(rates).to_dict())}
    assert labels == {"invited": "320", "started": "200 (62.5%)", "completed": "128 (40%)"}  # as the table: 62.5, not 62


def test_a_round_still_open_is_drawn_hollow_on_a_trend():
    import datetime as dt

    points = pd.DataFrame({"when": [dt.date(2025, 10, 1), dt.date(2026, 10, 1)], "label": ["2025", "2026"], "series": ["Supplier"] * 2,
                           "value": [50.0, 60.0], "position": [None, None], "provisional": [False, True]})
    layers = charts.attainment_trend_chart(points, 85).to_dict()["layer"]
    marks = [(layer["mark"]["type"], layer["mark"].get("filled"), layer.get("transform")) for layer in layers[:3]]
    assert marks == [("line", None, None), ("point", True, [{"filter": "!datum.provisional"}]),
                     ("point", False, [{"filter": "datum.provisional"}])]
    closed = charts.attainment_trend_chart(points.assign(provisional=False), 85).to_dict()["layer"]
    assert [layer["mark"].get("filled") for layer in closed if layer["mark"]["type"] == "point"] == [True]
