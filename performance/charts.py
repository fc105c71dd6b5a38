"""Charts as data: what the page draws with Chart.js (``static/js/charts.js``), the QBR draws as
SVG, and both print as the table under the chart. One ``Chart`` feeds all three, so a chart and
its text alternative never disagree."""

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Series:
    label: str
    values: list[Decimal | int | None]


@dataclass
class Chart:
    """``kind``: "line" (trends), "bar" (side by side) or "stacked" (parts of a whole).
    ``links``: per label, the list behind that figure (or None)."""

    key: str  # unique on the page: the element ids derive from it
    title: str
    labels: list[str]
    series: list[Series]
    kind: str = "line"
    unit: str = ""
    summary: str = ""  # one sentence for screen readers: what the chart shows
    links: list[str | None] = field(default_factory=list)

    @property
    def dom_id(self) -> str:
        return f"chart-{self.key}"

    def as_json(self) -> dict:
        return {
            "kind": self.kind,
            "unit": self.unit,
            "labels": self.labels,
            "links": self.links or None,
            "series": [
                {"label": s.label, "values": [None if v is None else str(v) for v in s.values]} for s in self.series
            ],
        }

    def rows(self) -> list[dict]:
        """The table under the chart: one row per label, one cell per series."""
        links = self.links or [None] * len(self.labels)
        return [
            {"label": label, "link": links[i], "values": [s.values[i] for s in self.series]}
            for i, label in enumerate(self.labels)
        ]


def chart_has_data(chart: Chart) -> bool:
    """Whether a chart has anything to draw: a value other than zero (None, an amount that could
    not be converted, counts as something to say)."""
    return any(v != 0 for s in chart.series for v in s.values)


def trend_charts(months, currency: str, *, key_prefix: str = "", short_labels: bool = False) -> list[Chart]:
    """The three trend charts of a partner's months (``selectors.scorecards.MonthFigures``, as
    ``monthly_trend`` gives them), as the portal scorecard draws them and the QBR prints them:
    won revenue in ``currency``, registrations submitted and deals won, and commission earned
    (one series per currency; one of zeros in ``currency`` when none was earned).
    ``key_prefix`` keeps the element ids apart ("qbr-"); ``short_labels`` reads "May '26" rather
    than "May 2026" (twelve columns of a page)."""
    labels = [f"{m.month:%b} '{m.month:%y}" if short_labels else f"{m.month:%b %Y}" for m in months]
    span = f"from {months[0].month:%B %Y} to {months[-1].month:%B %Y}"
    codes = sorted({code for m in months for code in m.commission_earned}) or [currency]
    return [
        Chart(
            key=f"{key_prefix}won-revenue",
            title=f"Won revenue by month ({currency})",
            labels=labels,
            series=[Series(f"Won revenue ({currency})", [m.won_revenue_total for m in months])],
            kind="line",
            unit=currency,
            summary=f"revenue of the deals won each month {span}, in {currency}",
        ),
        Chart(
            key=f"{key_prefix}deals",
            title="Registrations and deals won by month",
            labels=labels,
            series=[
                Series("Registrations submitted", [m.registrations for m in months]),
                Series("Deals won", [m.won_deals for m in months]),
            ],
            kind="bar",
            summary=f"registrations submitted and deals won each month {span}",
        ),
        Chart(
            key=f"{key_prefix}commission",
            title="Commission earned by month",
            labels=labels,
            series=[
                Series(f"Commission earned ({code})", [m.commission_earned.get(code, Decimal("0.00")) for m in months])
                for code in codes
            ],
            kind="line",
            unit=codes[0] if len(codes) == 1 else "",
            summary=f"commission booked each month and currency {span}",
        ),
    ]
