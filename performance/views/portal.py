"""The partner's own scorecard in the portal (/portal/scorecard/): the figures of a period it
picks, the period's target (every target overlapping it, prorated by its days in the period) and
how far it got, its current and upcoming targets ("Your targets", each with progress over its own
period), where it stands against its tier, and twelve months of trends. Everything is read
through ``performance.selectors`` for the signed-in user's organization only; the page takes no
id, so there is nothing of another partner to ask for.
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
from ..charts import chart_has_data, trend_charts
from ..models import quarter_end, quarter_label, quarter_start
from ..selectors.scorecards import as_of
from ..selectors.targets import FigureProgress, TargetProgress, progress_of, targets_of

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
        Figure(
            "avg_approval_hours",
            "Average approval time",
            _or_dash(card.avg_approval_hours, " hours"),
            "From registration to the manager's approval.",
            (Link(f"{deals}?status=approved", "Approved deals"),),
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
    if card.leads_offered:  # --- marketing: leads ---
        leads = Link(reverse("leads:list"), "Leads")
        answered = card.leads_offered - card.leads_pending
        accepted = f"{figure(card.leads_accepted)} of {figure(answered)} answered"
        if card.leads_pending:
            accepted += f"; {figure(card.leads_pending)} waiting for an answer"
        figures += [
            Figure(
                "lead_acceptance_rate", "Lead acceptance", _or_dash(card.lead_acceptance_rate, "%"), accepted, (leads,)
            ),
            Figure(
                "avg_hours_to_accept",
                "Average time to accept a lead",
                _or_dash(card.avg_hours_to_accept, " hours"),
                "From the offer to your acceptance.",
                (leads,),
            ),
            Figure(
                "lead_conversion",
                "Lead conversion",
                _or_dash(card.lead_conversion, "%"),
                "Accepted leads whose deal is won.",
                (leads, won),
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
        or card.leads_offered
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


def count_text(value) -> str:
    """A count, or a prorated one: "4" for 4 or 4.0, "2.7" for 2.7, thousands separated."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    return figure(value)


def target_rows(figures: list[FigureProgress], *, started: bool = True) -> list[Progress]:
    """The bars of a target's figures (``selectors.targets.progress_of``): the period's prorated
    target and each current or upcoming target of "Your targets" read the same way."""
    rows = []
    for f in figures:
        show = (lambda v, c=f.currency: format_money(v, c)) if f.currency else count_text
        if not started:
            words = "not started yet"
        elif f.percent is None:
            words = "not known yet"
        else:
            words = f"{figure(f.percent)}% of the target"
        rows.append(
            Progress(
                f.key,
                f.label,
                "–" if f.actual is None else show(f.actual),
                show(f.target),
                _bar(f.actual, f.target),
                words,
                f.actual is not None and f.actual >= f.target,
            )
        )
    return rows


def target_period_name(target) -> str:
    """ "Q2 2026" for a calendar quarter, else "1 Jan 2026 – 31 Mar 2027"."""
    first, last = target.period_start, target.period_end
    if first == quarter_start(first) and last == quarter_end(first):
        return quarter_label(first)
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


def your_targets(progress: list[TargetProgress]) -> list[dict]:
    """The partner's current and upcoming targets (``selectors.targets.targets_of``), each with
    its name, state and bars over its own period."""
    return [
        {
            "id": p.target.pk,
            "prefix": f"your-target-{p.target.pk}",
            "name": target_period_name(p.target),
            "start": p.target.period_start,
            "end": p.target.period_end,
            "state": p.state,
            "days_left": p.days_left,
            "rows": target_rows(p.figures, started=p.state == "current"),
        }
        for p in progress
    ]


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
    drawn = [chart_has_data(c) for c in charts]
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
            "targets": target_rows(progress_of(card.target, card, card.program_currency)),
            "your_targets": your_targets(targets_of(partner=partner, on=today)),
            "standing": standing,
            "to_next": _sentence(standing.to_next()),
            "current_requirements": tier_progress(standing.current_requirements),
            "next_requirements": tier_progress(standing.next_requirements),
            "charts": list(zip(charts, drawn, strict=True)),
            "trend_activity": any(drawn),
            "trend_end": as_of(end),
        },
    )
