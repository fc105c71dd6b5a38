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
