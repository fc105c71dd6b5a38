"""The SVG chart renderer of documents: valid SVG, every label and series name in it, series told
apart without colour (dashes, marker shapes, fill patterns), gaps for missing values, text escaped."""

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from performance.charts import Chart, Series
from performance.svg import nice_ticks, render_svg, tick_label

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["Apr '25", "May '25", "Jun '25", "Jul '25"]


def parse(chart: Chart, **kwargs) -> ET.Element:
    return ET.fromstring(str(render_svg(chart, **kwargs)))


def texts(root: ET.Element) -> list[str]:
    return [t.text for t in root.iter(f"{SVG}text")]


def revenue_chart(**changes) -> Chart:
    values = {
        "key": "revenue",
        "title": "Won revenue by month (USD)",
        "labels": MONTHS,
        "series": [
            Series("Won revenue", [Decimal("12000.00"), Decimal("48000.00"), None, Decimal("30500.00")]),
            Series("Target", [Decimal("40000")] * 4),
        ],
        "unit": "USD",
        "summary": "won revenue per month",
    }
    return Chart(**{**values, **changes})


def test_a_line_chart_is_valid_svg_with_title_labels_axis_and_legend():
    root = parse(revenue_chart(), width=480, height=200, unit="pt")
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height"), root.get("viewBox")) == ("480pt", "200pt", "0 0 480 200")
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Won revenue by month (USD): won revenue per month"
    assert root.find(f"{SVG}title").text == "Won revenue by month (USD)"
    assert root.find(f"{SVG}desc").text == "won revenue per month"
    words = texts(root)
    assert all(month in words for month in MONTHS)  # the category axis
    assert {"Won revenue", "Target", "USD"} <= set(words)  # legend and unit
    assert {"0", "10k", "20k", "30k", "40k", "50k"} <= set(words)  # the value axis, in round steps


def test_a_missing_value_breaks_the_line_and_has_no_marker():
    root = parse(revenue_chart())
    revenue = next(g for g in root.iter(f"{SVG}g") if g.get("data-series") == "Won revenue")
    segments = revenue.findall(f"{SVG}polyline")
    assert [len(s.get("points").split()) for s in segments] == [2]  # Apr-May; Jul stands alone
    assert len(revenue.findall(f"{SVG}circle")) == 3  # a marker for each of the three values


def test_series_differ_by_dash_and_marker_shape_not_colour_alone():
    root = parse(revenue_chart())
    first, second = (g for g in root.iter(f"{SVG}g") if g.get("data-series"))
    assert first.find(f"{SVG}polyline").get("stroke-dasharray") is None  # solid
    assert second.find(f"{SVG}polyline").get("stroke-dasharray") == "6 3"  # dashed
    assert first.findall(f"{SVG}circle") and not first.findall(f"{SVG}rect")
    assert second.findall(f"{SVG}rect") and not second.findall(f"{SVG}circle")  # squares


def test_bars_are_filled_with_patterns_after_the_first_series():
    chart = Chart(
        key="deals",
        title="Registrations and deals won",
        labels=MONTHS,
        series=[Series("Registrations", [3, 5, 0, 2]), Series("Deals won", [1, 2, 0, 1])],
        kind="bar",
    )
    root = parse(chart)
    patterns = root.findall(f"{SVG}defs/{SVG}pattern")
    assert [p.get("id") for p in patterns] == ["svg-chart-deals-fill-1"]
    registrations, won = (g for g in root.iter(f"{SVG}g") if g.get("data-series"))
    assert {r.get("fill") for r in registrations.findall(f"{SVG}rect")} == {"#1f3a5f"}
    assert {r.get("fill") for r in won.findall(f"{SVG}rect")} == {"url(#svg-chart-deals-fill-1)"}
    assert len(won.findall(f"{SVG}rect")) == 4
    # Counts have whole-number ticks.
    assert {"0", "1", "2", "3", "4", "5"} <= set(texts(root))
    heights = [float(r.get("height")) for r in registrations.findall(f"{SVG}rect")]
    assert heights[1] == pytest.approx(heights[0] * 5 / 3, rel=0.01)
    assert heights[2] == 0


def test_stacked_bars_sit_on_each_other():
    chart = Chart(
        key="mix",
        title="Revenue by tier",
        labels=["Q1", "Q2"],
        series=[Series("Gold", [Decimal("30"), Decimal("10")]), Series("Silver", [Decimal("10"), Decimal("0")])],
        kind="stacked",
    )
    root = parse(chart)
    gold, silver = (g.find(f"{SVG}rect") for g in root.iter(f"{SVG}g") if g.get("data-series"))
    assert float(silver.get("y")) + float(silver.get("height")) == pytest.approx(float(gold.get("y")), abs=0.11)
    assert "40" in texts(root)  # the axis reaches the stack's total


def test_text_is_escaped_and_the_svg_stays_valid():
    chart = revenue_chart(title='R&D <partners> "2026"', labels=["A&B", "<C>", "D", "E"])
    markup = str(render_svg(chart))
    root = ET.fromstring(markup)
    assert root.find(f"{SVG}title").text == 'R&D <partners> "2026"'
    assert "A&B" in texts(root) and "<C>" in texts(root)
    assert "<partners>" not in markup


def test_negative_values_extend_the_axis_below_zero():
    chart = revenue_chart(series=[Series("Commission", [Decimal("-200"), Decimal("300"), Decimal("0"), None])])
    words = texts(parse(chart))
    assert "-200" in words and "300" in words


def test_a_chart_of_zeros_still_draws_axes_in_whole_numbers():
    chart = revenue_chart(series=[Series("Commission", [Decimal("0.00")] * 4)])
    words = set(texts(parse(chart)))
    assert {"0", "1"} <= words
    assert not words & {"0.2", "0.4", "0.5", "0.6", "0.8"}


def test_whole_money_gets_whole_ticks_and_cents_keep_fractional_ones():
    whole = set(texts(parse(revenue_chart(series=[Series("Commission", [Decimal("1.00"), Decimal("2.00")] * 2)]))))
    assert "0.5" not in whole and "2" in whole
    cents = set(texts(parse(revenue_chart(series=[Series("Commission", [Decimal("1.50"), Decimal("2.20")] * 2)]))))
    assert "0.5" in cents


@pytest.mark.parametrize(
    ("low", "high", "whole", "ticks"),
    [
        (0, 48000, False, [0, 10000, 20000, 30000, 40000, 50000]),
        (0, 7, True, [0, 2, 4, 6, 8]),
        (0, 0, False, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (0, 2.2, False, [0, 0.5, 1, 1.5, 2, 2.5]),
        (-150, 90, False, [-150, -100, -50, 0, 50, 100]),
    ],
)
def test_ticks_are_round_steps_that_cover_the_values(low, high, whole, ticks):
    assert nice_ticks(low, high, whole=whole) == pytest.approx(ticks)


@pytest.mark.parametrize(
    ("value", "step", "label"),
    [(0, 10000, "0"), (45000, 5000, "45k"), (1_250_000, 250_000, "1.2M"), (2_000_000, 1_000_000, "2M"), (7, 1, "7")],
)
def test_tick_labels_are_short(value, step, label):
    assert tick_label(value, step) == label
