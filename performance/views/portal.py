"""The partner's own scorecard in the portal (/portal/scorecard/): the figures of a period it
picks, the targets set for that period and how far it got, where it stands against its tier, and
twelve months of trends. Everything is read through ``performance.selectors`` for the signed-in
user's organization only; the page takes no id, so there is nothing of another partner to ask for.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from prm.money import format_money
from prm.portal import partner_required
from prm.templatetags.prm import figure

from .. import selectors
from ..charts import Chart, Series
from ..models import quarter_end, quarter_label, quarter_start
from ..selectors.scorecards import as_of

# (value, label): what the period picker offers. The first is the default.
PERIODS = [
    ("this_quarter", "This quarter"),
    ("last_quarter", "Last quarter"),
    ("this_year", "This year"),
    ("last_year", "Last year"),
    ("last_12_months", "Last 12 months"),
]
DEFAULT_PERIOD = PERIODS[0][0]


class PeriodForm(forms.Form):
    period = forms.ChoiceField(
        label="Period", choices=PERIODS, required=False, widget=forms.Select(attrs={"class": "form-select"})
    )


def period_dates(choice: str, today: date) -> tuple[date, date]:
    """The first and last day of a period of the picker, as of ``today``. Quarters and years are
    whole calendar ones (so a target set for the quarter counts), even when not over yet."""
    if choice == "last_quarter":
        first = quarter_start(date.fromordinal(quarter_start(today).toordinal() - 1))
        return first, quarter_end(first)
    if choice == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if choice == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if choice == "last_12_months":
        return selectors.trailing_year(today)
    first = quarter_start(today)
    return first, quarter_end(first)


def period_name(choice: str, start: date, end: date) -> str:
    """ "Q4 2026", "2025", "1 Dec 2025 – 30 Nov 2026"."""
    if choice in ("this_quarter", "last_quarter"):
        return quarter_label(start)
    if choice in ("this_year", "last_year"):
        return str(start.year)
    return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


# --- figures ------------------------------------------------------------------------------------


@dataclass
class Link:
    url: str
    text: str


@dataclass
class Figure:
    """One card of the scorecard: what is counted, its value in words and the list behind it."""

    key: str
    label: str
    value: str
    detail: str = ""
    links: tuple[Link, ...] = ()


def _money_words(amounts: dict[str, Decimal]) -> str:
    return " · ".join(format_money(a, c) for c, a in sorted(amounts.items()))


def _or_dash(value, suffix: str = "") -> str:
    return "–" if value is None else f"{figure(value)}{suffix}"


def scorecard_figures(card) -> list[Figure]:
    deals = reverse("deals:list")
    won = Link(f"{deals}?status=won", "Won deals")
    statements = Link(reverse("statements:list"), "Statements and commissions")
    training = Link(reverse("training:home"), "Training")
    currency = card.program_currency
    if card.won_revenue_total is None:
        total = "–"
        detail = f"No exchange rate into {currency} for {', '.join(card.missing_rates)} yet."
    else:
        total = format_money(card.won_revenue_total, currency)
        detail = ""
    if card.won_revenue and list(card.won_revenue) != [currency]:
        detail = f"{_money_words(card.won_revenue)}. {detail}".strip()
    figures = [
        Figure("won_revenue", f"Won revenue ({currency})", total, detail, (won,)),
        Figure(
            "pipeline",
            "Pipeline",
            _money_words(card.pipeline) or format_money(0, currency),
            "Open registrations, submitted or approved.",
            (Link(f"{deals}?status=submitted", "Submitted"), Link(f"{deals}?status=approved", "Approved")),
        ),
        Figure("registrations", "Deal registrations", figure(card.registrations), "", (Link(deals, "Deals"),)),
        Figure("won_deals", "Deals won", figure(card.won_deals), "", (won,)),
        Figure(
            "win_rate",
            "Win rate",
            _or_dash(card.win_rate, "%"),
            f"{figure(card.won_deals)} won, {figure(card.lost_deals)} lost"
            if card.win_rate is not None
            else "No deal was closed in this period.",
            (won, Link(f"{deals}?status=lost", "Lost deals")),
        ),
        Figure("avg_deal_size", "Average deal size", _money_words(card.avg_deal_size) or "–", "", (won,)),
        Figure(
            "avg_days_to_close",
            "Average days to close",
            _or_dash(card.avg_days_to_close),
            "From registration to won.",
            (won,),
        ),
        Figure("certified_users", "Certified users", figure(card.certified_users), "", (training,)),
        Figure("course_completions", "Course completions", figure(card.course_completions), "", (training,)),
        Figure(
            "content_downloads",
            "Content downloads",
            figure(card.content_downloads),
            "",
            (Link(reverse("content:list"), "Content"),),
        ),
        Figure(
            "open_cases",
            "Open cases",
            figure(card.open_cases),
            f"of which {figure(card.open_disputes)} {'dispute' if card.open_disputes == 1 else 'disputes'}",
            (Link(reverse("conflicts:list"), "Cases"),),
        ),
    ]
    if card.nps_responses:
        responses = f"{figure(card.nps_responses)} {'response' if card.nps_responses == 1 else 'responses'}"
        surveys = Link(reverse("surveys:list"), "Surveys")
        figures.append(Figure("nps", "Net promoter score", _or_dash(card.nps), responses, (surveys,)))
    figures += [
        Figure(
            "commission_earned",
            "Commission earned",
            _money_words(card.commission_earned) or format_money(0, currency),
            "Booked in this period.",
            (statements,),
        ),
        Figure(
            "commission_paid",
            "Commission paid",
            _money_words(card.commission_paid) or format_money(0, currency),
            "Paid out in this period.",
            (statements,),
        ),
    ]
    return figures


def has_activity(card) -> bool:
    return bool(
        card.won_revenue
        or card.pipeline
        or card.registrations
        or card.won_deals
        or card.lost_deals
        or card.course_completions
        or card.content_downloads
        or card.open_cases
        or card.nps_responses
        or card.commission_earned
        or card.commission_paid
    )


# --- targets and tier -----------------------------------------------------------------------------


@dataclass
class Progress:
    """A figure against what it should reach, with a bar (0-100) and its words."""

    key: str
    label: str
    actual: str
    required: str
    percent: int  # of the bar, capped at 100
    words: str  # "24% of the target", "met"
    met: bool


def _bar(actual, required) -> int:
    if actual is None:
        return 0
    if not required:
        return 100
    return max(0, min(100, int(Decimal(actual) * 100 / Decimal(required))))


def target_progress(card) -> list[Progress]:
    target, currency = card.target, card.program_currency
    rows = []
    if target.won_revenue is not None:
        actual = card.won_revenue_total
        rows.append(
            Progress(
                "won_revenue",
                "Won revenue",
                "–" if actual is None else format_money(actual, currency),
                format_money(target.won_revenue, currency),
                _bar(actual, target.won_revenue),
                _attainment_words(card.attainment.get("won_revenue")),
                actual is not None and actual >= target.won_revenue,
            )
        )
    if target.new_deals is not None:
        rows.append(
            Progress(
                "new_deals",
                "Deals won",
                figure(card.won_deals),
                figure(target.new_deals),
                _bar(card.won_deals, target.new_deals),
                _attainment_words(card.attainment.get("new_deals")),
                card.won_deals >= target.new_deals,
            )
        )
    if target.certified_users is not None:
        rows.append(
            Progress(
                "certified_users",
                "Certified users",
                figure(card.certified_users),
                figure(target.certified_users),
                _bar(card.certified_users, target.certified_users),
                _attainment_words(card.attainment.get("certified_users")),
                card.certified_users >= target.certified_users,
            )
        )
    return rows


def _attainment_words(percent) -> str:
    return "not known yet" if percent is None else f"{figure(percent)}% of the target"


REQUIREMENT_LABELS = {"won_revenue_12m": "Won revenue, last 12 months", "certified_users": "Certified users"}


def tier_progress(requirements) -> list[Progress]:
    """The requirements a tier sets (a minimum of zero asks for nothing, so it is left out)."""
    rows = []
    for r in requirements:
        if not r.required:
            continue
        show = (lambda v, r=r: format_money(v, r.currency)) if r.currency else figure
        rows.append(
            Progress(
                r.key,
                REQUIREMENT_LABELS.get(r.key, r.label[:1].upper() + r.label[1:]),
                "–" if r.actual is None else show(r.actual),
                show(r.required),
                _bar(r.actual, r.required),
                "met" if r.met else ("not known yet" if r.actual is None else f"{show(r.gap)} to go"),
                r.met,
            )
        )
    return rows


def _sentence(text: str) -> str:
    return text if not text or text.endswith(".") else f"{text}."


# --- trends ---------------------------------------------------------------------------------------


def trend_charts(trend, currency: str) -> list[tuple[Chart, bool]]:
    """The three trend charts, each with whether it has anything to draw."""
    labels = [f"{m.month:%b %Y}" for m in trend]
    span = f"from {labels[0]} to {labels[-1]}"
    revenue = [m.won_revenue_total for m in trend]
    registrations = [m.registrations for m in trend]
    won = [m.won_deals for m in trend]
    currencies = sorted({c for m in trend for c in m.commission_earned})
    if len(currencies) == 1:
        commission_series = [
            Series("Commission earned", [m.commission_earned.get(currencies[0], Decimal("0")) for m in trend])
        ]
        commission_unit = currencies[0]
    else:
        commission_series = [
            Series(f"Commission earned in {c}", [m.commission_earned.get(c, Decimal("0")) for m in trend])
            for c in currencies
        ]
        commission_unit = ""
    charts = [
        Chart(
            key="won-revenue",
            title=f"Won revenue per month ({currency})",
            labels=labels,
            series=[Series("Won revenue", revenue)],
            kind="line",
            unit=currency,
            summary=f"revenue of the deals won each month {span}, in {currency}",
        ),
        Chart(
            key="deals",
            title="Registrations and deals won",
            labels=labels,
            series=[Series("Registrations", registrations), Series("Deals won", won)],
            kind="bar",
            summary=f"registrations submitted and deals won each month {span}",
        ),
        Chart(
            key="commission",
            title="Commission earned per month",
            labels=labels,
            series=commission_series or [Series("Commission earned", [Decimal("0")] * len(trend))],
            kind="line",
            unit=commission_unit,
            summary=f"commission booked each month {span}",
        ),
    ]
    drawn = [
        any(m.won_revenue for m in trend),
        any(registrations) or any(won),
        bool(currencies),
    ]
    return list(zip(charts, drawn, strict=True))


# --- the page -------------------------------------------------------------------------------------


@partner_required
def scorecard(request):
    """The signed-in partner's scorecard for the period of the picker (this quarter by default)."""
    choice = DEFAULT_PERIOD
    form = PeriodForm(request.GET or None)
    if form.is_bound:
        if form.is_valid():
            choice = form.cleaned_data["period"] or DEFAULT_PERIOD
        else:
            messages.warning(request, "That period is not one of the choices: here is this quarter.")
            form = PeriodForm(initial={"period": DEFAULT_PERIOD})
    today = timezone.localdate()
    start, end = period_dates(choice, today)
    partner = request.partner
    card = selectors.scorecard(partner=partner, start=start, end=end)
    standing = selectors.standing(partner=partner, on=today)
    trend = selectors.monthly_trend(partner_ids=[partner.pk], end=as_of(end))
    charts = trend_charts(trend, settings.PRM_PROGRAM_CURRENCY)
    return render(
        request,
        "performance/portal/scorecard.html",
        {
            "partner": partner,
            "form": form,
            "period": {"choice": choice, "name": period_name(choice, start, end), "start": start, "end": end},
            "card": card,
            "figures": scorecard_figures(card),
            "activity": has_activity(card),
            "targets": target_progress(card),
            "standing": standing,
            "to_next": _sentence(standing.to_next()),
            "current_requirements": tier_progress(standing.current_requirements),
            "next_requirements": tier_progress(standing.next_requirements),
            "charts": charts,
            "trend_activity": any(drawn for _, drawn in charts),
            "trend_end": as_of(end),
        },
    )
