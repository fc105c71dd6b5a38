"""Charts drawn as SVG, for documents (the QBR PDF): the same ``performance.charts.Chart`` the
pages draw with Chart.js, drawn here by a small renderer of our own so a PDF needs no script, no
external resource and no network.

Kinds: "line" (a trend), "bar" (series side by side) and "stacked" (parts of a whole). Series
differ by more than colour, so a chart printed in black and white still reads: lines by their
dash and marker shape, bars by their fill pattern; the legend shows the same sample beside each
series' name. Values are Decimals, ints or None (a gap: a line breaks there, a bar is left out).

The result is one ``<svg>`` element (valid XML, with ``<title>`` and ``<desc>``) to put inline
in a document's HTML; WeasyPrint draws it with the fonts installed on the machine.
"""

import math
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from .charts import Chart


@dataclass(frozen=True)
class SeriesStyle:
    colour: str
    dash: str  # stroke-dasharray of a line ("" for solid)
    marker: str  # circle | square | triangle | diamond
    fill: str  # solid | hatch | dots | cross (bars)


# In this order, series by series; colours stay apart in grey too (dark, mid, light, darker mid).
STYLES = (
    SeriesStyle("#1f3a5f", "", "circle", "solid"),
    SeriesStyle("#b35900", "6 3", "square", "hatch"),
    SeriesStyle("#2e7d32", "2 2", "triangle", "dots"),
    SeriesStyle("#6a1b9a", "8 3 2 3", "diamond", "cross"),
)

LEGEND_HEIGHT = 18
AXIS_LEFT = 54
AXIS_BOTTOM = 30
PAD_RIGHT = 10
PAD_TOP = 8
FONT_SIZE = 9
TICK_FONT_SIZE = 8
AXIS_TEXT = {"font_size": TICK_FONT_SIZE, "fill": "#333333"}


def style_of(index: int) -> SeriesStyle:
    return STYLES[index % len(STYLES)]


def _number(value) -> float | None:
    """A value's position on the axis (geometry only: the figures printed stay Decimals)."""
    if value is None:
        return None
    return float(Decimal(value))


def nice_ticks(low: float, high: float, *, count: int = 5, whole: bool = False) -> list[float]:
    """Round tick values from at most ``low`` to at least ``high``, about ``count`` steps apart:
    steps of 1, 2, 2.5 or 5 times a power of ten (whole numbers only for counts)."""
    if high <= low:
        high = low + 1
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    if whole:
        step = max(1, math.ceil(step))
    start = math.floor(low / step) * step
    ticks = [start]
    while ticks[-1] < high - 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def tick_label(value: float, step: float) -> str:
    """``1,200,000`` -> ``1.2M``, ``45,000`` -> ``45k``, ``0.25`` -> ``0.25``: short axis labels."""
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size and step >= size / 10:
            scaled = round(value / size, 2)
            return f"{scaled:,.{0 if scaled == int(scaled) else 1}f}{suffix}"
    if value == int(value):
        return f"{int(value):,}"
    places = max(0, -Decimal(repr(step)).normalize().as_tuple().exponent)
    return f"{value:,.{min(places, 3)}f}".rstrip("0").rstrip(".")


def _attrs(**attributes) -> str:
    """``stroke_width=1`` -> ``stroke-width="1"`` (a trailing underscore lets ``class_`` through)."""
    return " ".join(
        f"{name.rstrip('_').replace('_', '-')}={quoteattr(str(value))}" for name, value in attributes.items()
    )


def _el(tag: str, text: str | None = None, **attributes) -> str:
    """One element, its attributes and text escaped."""
    if text is None:
        return f"<{tag} {_attrs(**attributes)}/>"
    return f"<{tag} {_attrs(**attributes)}>{escape(text)}</{tag}>"


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _marker(shape: str, x: float, y: float, colour: str, size: float = 3.2) -> str:
    if shape == "square":
        side = _fmt(2 * size)
        return _el("rect", x=_fmt(x - size), y=_fmt(y - size), width=side, height=side, fill=colour)
    if shape == "triangle":
        corners = [(x, y - size - 0.6), (x + size + 0.4, y + size), (x - size - 0.4, y + size)]
        return _el("polygon", points=" ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in corners), fill=colour)
    if shape == "diamond":
        s = size + 0.8
        corners = [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
        return _el("polygon", points=" ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in corners), fill=colour)
    return _el("circle", cx=_fmt(x), cy=_fmt(y), r=_fmt(size), fill=colour)


def _pattern(pattern_id: str, style: SeriesStyle) -> str:
    """A bar fill other than solid colour, so bars differ without colour too."""
    colour = style.colour
    body = _el("rect", width=6, height=6, fill="#ffffff")
    if style.fill == "hatch":
        body += _el("path", d="M0,6 L6,0 M-1.5,1.5 L1.5,-1.5 M4.5,7.5 L7.5,4.5", stroke=colour, stroke_width=1.6)
    elif style.fill == "dots":
        body += _el("circle", cx=3, cy=3, r=1.4, fill=colour)
    else:  # cross
        body += _el("path", d="M0,3 L6,3 M3,0 L3,6", stroke=colour, stroke_width=1.2)
    return f'<pattern id="{pattern_id}" width="6" height="6" patternUnits="userSpaceOnUse">{body}</pattern>'


def _fill(chart_id: str, index: int) -> str:
    style = style_of(index)
    return style.colour if style.fill == "solid" else f"url(#{chart_id}-fill-{index})"


def _axis_range(chart: Chart) -> tuple[float, float]:
    values = [_number(v) for s in chart.series for v in s.values]
    values = [v for v in values if v is not None]
    if chart.kind == "stacked" and chart.series:
        totals = []
        for i in range(len(chart.labels)):
            column = [_number(s.values[i]) for s in chart.series if i < len(s.values)]
            totals.append(sum(v for v in column if v and v > 0))
        values += totals
    low = min([0.0, *values])
    high = max([0.0, *values])
    return low, high


def _whole(chart: Chart) -> bool:
    """Whole-number ticks when every value is whole (counts, and money without cents such as an
    empty month's 0.00): no 0.2 steps on an axis of whole figures."""
    return all(v is None or Decimal(v) == Decimal(v).to_integral_value() for s in chart.series for v in s.values)


def render_svg(chart: Chart, *, width: int = 500, height: int = 190, unit: str = "") -> SafeString:
    """``chart`` as one inline ``<svg>`` element of ``width`` x ``height`` user units, drawn that
    size in ``unit`` ("pt" in documents: WeasyPrint reads bare numbers as CSS pixels)."""
    chart_id = f"svg-{chart.dom_id}"
    font = settings.PRM_PDF_FONT_FAMILY.replace('"', "")
    plot_left, plot_right = AXIS_LEFT, width - PAD_RIGHT
    plot_top, plot_bottom = PAD_TOP + LEGEND_HEIGHT, height - AXIS_BOTTOM
    low, high = _axis_range(chart)
    ticks = nice_ticks(low, high, whole=_whole(chart))
    bottom_value, top_value = ticks[0], ticks[-1]
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1

    def y_of(value: float) -> float:
        return plot_bottom - (value - bottom_value) / (top_value - bottom_value) * (plot_bottom - plot_top)

    count = max(len(chart.labels), 1)
    band = (plot_right - plot_left) / count

    def x_of(index: int) -> float:
        return plot_left + (index + 0.5) * band

    label = chart.title + (f": {chart.summary}" if chart.summary else "")
    parts = [
        "<svg "
        + _attrs(
            xmlns="http://www.w3.org/2000/svg",
            width=f"{width}{unit}",
            height=f"{height}{unit}",
            viewBox=f"0 0 {width} {height}",
            role="img",
            aria_label=label,
            font_family=font,
            font_size=FONT_SIZE,
            class_="chart-svg",
        )
        + ">",
        f"<title>{escape(chart.title)}</title>",
        f"<desc>{escape(chart.summary or chart.title)}</desc>",
    ]
    if chart.kind in ("bar", "stacked"):
        patterns = [_pattern(f"{chart_id}-fill-{i}", style_of(i)) for i, _ in enumerate(chart.series)]
        patterns = [p for i, p in enumerate(patterns) if style_of(i).fill != "solid"]
        if patterns:
            parts.append(f"<defs>{''.join(patterns)}</defs>")

    # Grid lines and the value axis, with the unit above it.
    parts.append('<g class="axis-y">')
    for tick in ticks:
        y = y_of(tick)
        line = {"stroke": "#d0d5dc", "stroke_width": 0.6} if tick else {"stroke": "#555555", "stroke_width": 0.9}
        parts.append(_el("line", x1=plot_left, y1=_fmt(y), x2=plot_right, y2=_fmt(y), **line))
        text = tick_label(tick, step)
        parts.append(_el("text", text, x=plot_left - 4, y=_fmt(y + 3), text_anchor="end", **AXIS_TEXT))
    if chart.unit:
        parts.append(_el("text", chart.unit, x=4, y=plot_top - 4, **AXIS_TEXT))
    parts.append("</g>")

    # Category labels: every one, or every other one when they would crowd.
    every = 1 if count <= 12 or band >= 34 else 2
    parts.append('<g class="axis-x">')
    for i, text in enumerate(chart.labels):
        if i % every == 0:
            parts.append(_el("text", text, x=_fmt(x_of(i)), y=plot_bottom + 13, text_anchor="middle", **AXIS_TEXT))
    parts.append("</g>")

    if chart.kind == "line":
        parts.extend(_lines(chart, x_of, y_of))
    elif chart.kind == "stacked":
        parts.extend(_stacked(chart, chart_id, band, x_of, y_of))
    else:
        parts.extend(_bars(chart, chart_id, band, x_of, y_of))

    parts.extend(_legend(chart, chart_id, plot_left))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text and attribute above is escaped


def _lines(chart: Chart, x_of, y_of) -> list[str]:
    parts = []
    for index, series in enumerate(chart.series):
        style = style_of(index)
        parts.append(f'<g class="series" data-series={quoteattr(series.label)}>')
        run: list[str] = []
        runs = [run]
        points = []
        for i, value in enumerate(series.values):
            number = _number(value)
            if number is None:
                run = []
                runs.append(run)
                continue
            x, y = x_of(i), y_of(number)
            run.append(f"{_fmt(x)},{_fmt(y)}")
            points.append((x, y))
        for segment in runs:
            if len(segment) > 1:
                dash = {"stroke_dasharray": style.dash} if style.dash else {}
                line = {"fill": "none", "stroke": style.colour, "stroke_width": 1.6, "stroke_linejoin": "round"}
                parts.append(_el("polyline", points=" ".join(segment), **line, **dash))
        parts.extend(_marker(style.marker, x, y, style.colour) for x, y in points)
        parts.append("</g>")
    return parts


def _bars(chart: Chart, chart_id: str, band: float, x_of, y_of) -> list[str]:
    parts = []
    n = max(len(chart.series), 1)
    group = band * 0.72
    width = group / n
    zero = y_of(0)
    for index, series in enumerate(chart.series):
        style = style_of(index)
        parts.append(f'<g class="series" data-series={quoteattr(series.label)}>')
        for i, value in enumerate(series.values):
            number = _number(value)
            if number is None:
                continue
            x = x_of(i) - group / 2 + index * width
            y = y_of(number)
            top, size = min(y, zero), abs(zero - y)
            bar = {"fill": _fill(chart_id, index), "stroke": style.colour, "stroke_width": 0.8}
            parts.append(_el("rect", x=_fmt(x), y=_fmt(top), width=_fmt(max(width - 1, 1)), height=_fmt(size), **bar))
        parts.append("</g>")
    return parts


def _stacked(chart: Chart, chart_id: str, band: float, x_of, y_of) -> list[str]:
    parts = []
    width = band * 0.6
    base = [0.0] * len(chart.labels)
    for index, series in enumerate(chart.series):
        style = style_of(index)
        parts.append(f'<g class="series" data-series={quoteattr(series.label)}>')
        for i, value in enumerate(series.values):
            number = _number(value)
            if not number or number < 0 or i >= len(base):
                continue
            y0, y1 = y_of(base[i]), y_of(base[i] + number)
            base[i] += number
            bar = {"fill": _fill(chart_id, index), "stroke": style.colour, "stroke_width": 0.8}
            left = _fmt(x_of(i) - width / 2)
            parts.append(_el("rect", x=left, y=_fmt(y1), width=_fmt(width), height=_fmt(y0 - y1), **bar))
        parts.append("</g>")
    return parts


def _legend(chart: Chart, chart_id: str, left: float) -> list[str]:
    """One sample per series (dash and marker, or fill) and its name, in a row above the plot."""
    parts = ['<g class="legend">']
    x, y = left, PAD_TOP + 6
    for index, series in enumerate(chart.series):
        style = style_of(index)
        if chart.kind == "line":
            line = {"stroke": style.colour, "stroke_width": 1.6}
            if style.dash:
                line["stroke_dasharray"] = style.dash
            parts.append(_el("line", x1=_fmt(x), y1=y, x2=_fmt(x + 22), y2=y, **line))
            parts.append(_marker(style.marker, x + 11, y, style.colour))
            sample = 26
        else:
            sample_fill = {"fill": _fill(chart_id, index), "stroke": style.colour, "stroke_width": 0.8}
            parts.append(_el("rect", x=_fmt(x), y=y - 5, width=12, height=10, **sample_fill))
            sample = 16
        parts.append(_el("text", series.label, x=_fmt(x + sample), y=y + 3, fill="#1a1a1a"))
        # Advance by an estimate of the text's width (about 0.55 em per character).
        x += sample + len(series.label) * FONT_SIZE * 0.55 + 14
    parts.append("</g>")
    return parts
