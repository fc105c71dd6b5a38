"""The quarterly business review (QBR) document, rendered with the PDF kernel (prm.pdf) by workers
(tasks.py), never in a request.

A QBR is a snapshot: it shows the partner, the quarter's scorecard, the trends of the 12 months
up to the quarter's end (drawn as SVG by ``performance.svg``, with the figures printed under each
chart), the quarter's top deals, certifications and cases, the targets overlapping the quarter
(prorated by their days in it) and their attainment, and the goals a manager set for the next
quarter, as they were when it was rendered. It is rendered
again only when someone asks for it (services.qbr).
"""

from decimal import ROUND_HALF_UP, Decimal

from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.text import slugify

from prm.money import format_money
from prm.pdf import render_pdf
from prm.text import short_date

from .charts import trend_charts
from .models import QuarterlyReview, quarter_label
from .selectors.qbr import QbrFigures, qbr_figures
from .svg import render_svg

CHART_WIDTH = 490
CHART_HEIGHT = 170


def qbr_filename(review: QuarterlyReview) -> str:
    """``qbr-acme-cloud-partners-2026-q1.pdf``"""
    quarter = (review.quarter.month - 1) // 3 + 1
    return f"qbr-{slugify(review.partner.name)[:60] or review.partner_id}-{review.quarter.year}-q{quarter}.pdf"


def money_text(amounts: dict, currency: str) -> str:
    """Money per currency in words: "48,000.00 USD · 9,500.00 EUR"; none is "0.00" of ``currency``."""
    if not amounts:
        return format_money(Decimal("0"), currency)
    return " · ".join(format_money(amount, code) for code, amount in sorted(amounts.items()))


def _total_note(amounts: dict, total, missing: list[str], currency: str, on) -> str:
    """How a sum in several currencies reads in the program currency (empty when it is one already)."""
    if missing:
        return f"No exchange rate into {currency} for {', '.join(missing)}: no total in {currency}."
    if set(amounts) - {currency}:
        return f"{format_money(total, currency)} in total at the rates of {short_date(on)}."
    return ""


def count_text(value) -> str:
    """A count, or a prorated one: "4" for 4 or 4.0, "2.7" for 2.7, thousands separated."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return f"{value:,}"


def plural(count: int) -> str:
    return "" if count == 1 else "s"


def table_value(value) -> str:
    """A figure in the small table under a chart: counts as they are, money in whole units (twelve
    columns of a page leave no room for cents; the scorecard above has them)."""
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{Decimal(value).quantize(Decimal('1'), rounding=ROUND_HALF_UP):,}"


def _percent(value) -> str:
    return "—" if value is None else f"{value}%"


def _key_figures(figures: QbrFigures) -> list[tuple[str, str, str]]:
    """(label, value, note): the note reads under the value (the won revenue's total in the
    program currency sits with the won revenue, not at the foot of the table)."""
    card, currency = figures.card, figures.card.program_currency
    answers = f"{card.nps_responses} answer{plural(card.nps_responses)}"
    nps = "—" if card.nps is None else f"{card.nps} ({answers})"
    disputes = f"{card.open_disputes:,} dispute{plural(card.open_disputes)}"
    revenue_note = _total_note(card.won_revenue, card.won_revenue_total, card.missing_rates, currency, figures.end)
    # Point-in-time: at the quarter's end once it is over, today while it runs (figures.on).
    open_cases = "Open cases at quarter end" if figures.on >= figures.end else "Open cases today"
    rows = [
        ("Won revenue", money_text(card.won_revenue, currency), revenue_note),
        ("Deals won", f"{card.won_deals:,}"),
        ("Pipeline (open registrations)", money_text(card.pipeline, currency)),
        ("Deals lost", f"{card.lost_deals:,}"),
        ("Registrations submitted", f"{card.registrations:,}"),
        ("Win rate", _percent(card.win_rate)),
        ("Average deal size", money_text(card.avg_deal_size, currency) if card.avg_deal_size else "—"),
        ("Average days to close", "—" if card.avg_days_to_close is None else f"{card.avg_days_to_close} days"),
        ("Average approval time", "—" if card.avg_approval_hours is None else f"{card.avg_approval_hours} hours"),
        ("Certified users", f"{card.certified_users:,}"),
        ("Course completions", f"{card.course_completions:,}"),
        ("Content downloads", f"{card.content_downloads:,}"),
        (open_cases, f"{card.open_cases:,} ({disputes})"),
        ("Partner satisfaction (NPS)", nps),
        ("Commission earned", money_text(card.commission_earned, currency)),
        ("Commission paid", money_text(card.commission_paid, currency)),
    ]
    return [row if len(row) == 3 else (*row, "") for row in rows]


def _converted(deal, currency: str) -> str:
    """A top deal's amount in the program currency: empty when it is in it already."""
    if deal.currency == currency:
        return ""
    return "no rate" if deal.worth is None else format_money(deal.worth, currency)


def _in_pairs(items: list) -> list[list]:
    """Two figures a row: the scorecard reads as a compact table of four columns."""
    return [items[i : i + 2] for i in range(0, len(items), 2)]


def _targets(figures: QbrFigures) -> list[dict]:
    card, target = figures.card, figures.card.target
    currency = card.program_currency
    rows = []
    if target.won_revenue is not None:
        actual = "—" if card.won_revenue_total is None else format_money(card.won_revenue_total, currency)
        rows.append(
            {
                "label": f"Won revenue ({currency})",
                "target": format_money(target.won_revenue, currency),
                "actual": actual,
                "attainment": _percent(card.attainment.get("won_revenue")),
            }
        )
    if target.new_deals is not None:
        rows.append(
            {
                "label": "Deals won",
                "target": count_text(target.new_deals),
                "actual": f"{card.won_deals:,}",
                "attainment": _percent(card.attainment.get("new_deals")),
            }
        )
    if target.certified_users is not None:
        rows.append(
            {
                "label": "Certified users",
                "target": f"{target.certified_users:,}",
                "actual": f"{card.certified_users:,}",
                "attainment": _percent(card.attainment.get("certified_users")),
            }
        )
    return rows


def qbr_context(review: QuarterlyReview, figures: QbrFigures) -> dict:
    card, currency = figures.card, figures.card.program_currency
    charts = trend_charts(figures.trend, currency, key_prefix="qbr-", short_labels=True)
    standing = figures.standing
    top_deals = [
        {
            "customer": deal.customer_name,
            "closed_on": deal.closed_on,
            "amount": format_money(deal.won_amount, deal.currency),
            "converted": _converted(deal, currency),
        }
        for deal in figures.top_deals
    ]
    chart_items = []
    for chart in charts:
        empty = not any(value for series in chart.series for value in series.values)
        chart_items.append(
            {
                "chart": chart,
                "empty": empty,
                "svg": "" if empty else render_svg(chart, width=CHART_WIDTH, height=CHART_HEIGHT, unit="pt"),
                "rows": [(s.label, [table_value(v) for v in s.values]) for s in chart.series],
            }
        )
    return {
        "review": review,
        "partner": figures.partner,
        "quarter": quarter_label(figures.quarter),
        "start": figures.quarter,
        "end": figures.end,
        "on": figures.on,
        "in_progress": figures.on < figures.end,
        "prepared_on": timezone.localdate(),
        "currency": currency,
        "key_figure_rows": _in_pairs(_key_figures(figures)),
        "targets": _targets(figures),
        "charts": chart_items,
        "top_deals": top_deals,
        # The "In USD" column only when a deal is in another currency.
        "top_deals_converted": any(deal.currency != currency for deal in figures.top_deals),
        "won_deals": card.won_deals,
        "certifications": figures.certifications,
        "certifications_current": figures.certifications_current,
        "course_completions": card.course_completions,
        "cases": figures.cases,
        "cases_opened": figures.cases_opened,
        "cases_resolved": figures.cases_resolved,
        "cases_open_now": figures.cases_open_now,
        "cases_open_at_end": card.open_cases,
        "tier": standing.tier if standing else None,
        "to_next_tier": standing.to_next() if standing else "",
        "goals": [line.strip() for line in review.goals.splitlines() if line.strip()],
    }


def qbr_pdf(review: QuarterlyReview) -> ContentFile:
    """The review's document, from the figures as they are now (a worker calls this; see services.qbr)."""
    figures = qbr_figures(partner=review.partner, quarter=review.quarter)
    return ContentFile(render_pdf("performance/pdf/qbr.html", qbr_context(review, figures)))
