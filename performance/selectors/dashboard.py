"""The staff program dashboard: how the partner program as a whole is doing over a period.

Recruitment (the funnel of applications and the time partners take to onboard), deal
registrations and approval time, won revenue by tier and by source, payouts, certification
coverage and case SLAs. Each section is a few headline figures and charts (``performance.charts``),
and every figure and every row of a chart's table links to the admin list behind it.

The whole dashboard is a fixed number of queries (eleven), whatever the amount of data.
Periods are whole local days, ``start`` and ``end`` both included; monthly charts have one bar or
point per calendar month the period touches. Money is converted into the program currency
(``settings.PRM_PROGRAM_CURRENCY``) with finance's rates of the period's last day, as the
scorecards do; an amount in a currency without a rate is left out and the section says so.
"""

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.urls import reverse
from django.utils import timezone

from conflicts.models import Case
from deals.models import DealRegistration
from enablement.models import Certification
from incentives.models import PayoutRun, PayoutStatement
from partners.models import Application, Partner, PartnerType, Tier
from prm.money import round_money
from prm.scoping import scopes_disabled

from ..charts import Chart, Series
from .scorecards import as_of, exchange_rates, month_end, month_starts, per, percent, period_bounds, rounded

WON = DealRegistration.Status.WON
ACTIVE = Partner.Status.ACTIVE
NO_TIER = "No tier"


@dataclass
class DashboardChart(Chart):
    """A chart and the heading of its table's first column ("Month", "Tier")."""

    heading: str = "Month"


@dataclass
class Figure:
    """One headline number: ``value`` is an int, a Decimal or None (nothing to show); ``unit``
    follows it ("%", "USD", "days"); ``link`` is the admin list behind it."""

    label: str
    value: int | Decimal | None
    unit: str = ""
    link: str | None = None
    note: str = ""


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    charts: list[DashboardChart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Dashboard:
    start: date
    end: date
    currency: str
    sections: list[Section]

    @property
    def charts(self) -> list[DashboardChart]:
        return [chart for section in self.sections for chart in section.charts]


# --- helpers ------------------------------------------------------------------------------------


def changelist(model_label: str, **filters) -> str:
    """The admin list of ``model_label`` ("deals.dealregistration") filtered by ``filters``
    (field lookups, as the admin reads them from its query string)."""
    app_label, model_name = model_label.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    query = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v is not None}
    return f"{url}?{urlencode(query)}" if query else url


class Links:
    """Links to the admin lists ``user`` may open (view or change permission, as the admin asks);
    None for the others, so a figure shows without a link rather than with one that is refused."""

    def __init__(self, user=None):
        self.user = user

    def __call__(self, model_label: str, **filters) -> str | None:
        if self.user is not None:
            app_label, model_name = model_label.split(".")
            if not (
                self.user.has_perm(f"{app_label}.view_{model_name}")
                or self.user.has_perm(f"{app_label}.change_{model_name}")
            ):
                return None
        return changelist(model_label, **filters)


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _as_date(value) -> date:
    """TruncMonth gives a date for a date field and an aware datetime for a datetime field."""
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def _days(duration: timedelta) -> Decimal:
    return Decimal(duration.total_seconds()) / 86400


def _hours(duration: timedelta, count: int) -> Decimal | None:
    return per(Decimal(duration.total_seconds()) / 3600, count)


def _median_days(durations: list[timedelta]) -> Decimal | None:
    if not durations:
        return None
    return rounded(statistics.median(_days(d) for d in durations))


class Months:
    """The calendar months of a period, each clipped to the period (for its links)."""

    def __init__(self, start: date, end: date, link: Links):
        self.start, self.end, self.link = start, end, link
        self.firsts = month_starts(end, months_between(start, end))
        self.labels = [f"{m:%b %Y}" for m in self.firsts]

    def index(self, value) -> int | None:
        first = _as_date(value).replace(day=1)
        try:
            return self.firsts.index(first)
        except ValueError:  # a row just outside the period (time zone edge): not shown
            return None

    def bounds(self, first: date) -> tuple[date, date]:
        return max(first, self.start), min(month_end(first), self.end)

    def links(self, model_label: str, field_name: str, *, date_field: bool = False, **filters) -> list[str | None]:
        """Per month, the admin list of the rows whose ``field_name`` lies in that month."""
        lookup = field_name if date_field else f"{field_name}__date"
        out = []
        for first in self.firsts:
            low, high = self.bounds(first)
            out.append(self.link(model_label, **filters, **{f"{lookup}__gte": low, f"{lookup}__lte": high}))
        return out

    def zeros(self) -> list:
        return [0] * len(self.firsts)


def _to_program(amount: Decimal, currency: str, rates: dict[str, Decimal], missing: set[str]) -> Decimal:
    if currency not in rates:
        missing.add(currency)
        return Decimal("0")
    return amount * rates[currency]


def _missing_note(missing: set[str], currency: str) -> list[str]:
    if not missing:
        return []
    codes = ", ".join(sorted(missing))
    return [f"Amounts in {codes} are left out: finance has entered no exchange rate into {currency} for them."]


# --- the dashboard ------------------------------------------------------------------------------


def program_dashboard(*, start: date, end: date, user=None) -> Dashboard:
    """The program's figures and charts for the period (see the module's docstring); figures
    link to the admin lists ``user`` may open (to all when None)."""
    if end < start:
        raise ValueError("A period ends on or after its start.")
    currency = settings.PRM_PROGRAM_CURRENCY
    link = Links(user)
    months = Months(start, end, link)
    with scopes_disabled():
        tiers = list(Tier.objects.order_by("rank").values_list("id", "name"))
        rates = exchange_rates(end)
        sections = [
            _recruitment(start, end, link),
            _deals(start, end, months),
            _revenue(start, end, months, tiers, rates, currency),
            _payouts(start, end, months, rates, currency),
            _certification(end, tiers, link),
            _cases(start, end, months),
        ]
    return Dashboard(start=start, end=end, currency=currency, sections=sections)


def _recruitment(start: date, end: date, link: Links) -> Section:
    """The applications received in the period, where they stand now; and how long the
    partners activated in the period took from creation to activation, by type."""
    begin, stop = period_bounds(start, end)
    received = {"created_at__date__gte": start, "created_at__date__lte": end}
    funnel = Application.objects.filter(created_at__gte=begin, created_at__lt=stop).aggregate(
        received=Count("id"),
        screened=Count("id", filter=~Q(status=Application.Status.APPLIED)),
        approved=Count("id", filter=Q(status=Application.Status.APPROVED)),
        rejected=Count("id", filter=Q(status=Application.Status.REJECTED)),
        activated=Count("id", filter=Q(status=Application.Status.APPROVED, partner__activated_at__isnull=False)),
    )
    stages = [
        ("Received", funnel["received"], {}),
        ("Screened or decided", funnel["screened"], {"status__in": "screening,approved,rejected"}),
        ("Approved", funnel["approved"], {"status__exact": "approved"}),
        ("Rejected", funnel["rejected"], {"status__exact": "rejected"}),
        ("Activated as partner", funnel["activated"], {"status__exact": "approved", "partner_activated": "yes"}),
    ]
    links = [link("partners.application", **received, **extra) for _, _, extra in stages]
    funnel_chart = DashboardChart(
        key="funnel",
        heading="Stage",
        title="Recruitment funnel: applications received in the period, as they stand now",
        labels=[label for label, _, _ in stages],
        series=[Series("Applications", [count for _, count, _ in stages])],
        kind="bar",
        summary=(
            f"{funnel['received']} received, {funnel['screened']} screened or decided, {funnel['approved']} approved, "
            f"{funnel['rejected']} rejected, {funnel['activated']} activated as partners."
        ),
        links=links,
    )

    rows = Partner.objects.filter(activated_at__gte=begin, activated_at__lt=stop).values_list(
        "partner_type", "created_at", "activated_at"
    )
    by_type: dict[str, list[timedelta]] = defaultdict(list)
    for partner_type, created, activated in rows:
        by_type[partner_type].append(max(activated - created, timedelta(0)))
    every = [d for durations in by_type.values() for d in durations]
    types = [(value, label) for value, label in PartnerType.choices]
    activated_in_period = {"activated_at__date__gte": start, "activated_at__date__lte": end}
    onboard_chart = DashboardChart(
        key="onboarding",
        heading="Partner type",
        title="Time to onboard: median days from partner created to activated, by type",
        labels=[f"{label} ({len(by_type[value])} activated)" for value, label in types],
        series=[Series("Median days", [_median_days(by_type[value]) for value, _ in types])],
        kind="bar",
        unit="days",
        summary=f"Partners activated in the period: {len(every)}; median {_median_days(every) or '–'} days.",
        links=[link("partners.partner", partner_type__exact=value, **activated_in_period) for value, _ in types],
    )
    return Section(
        key="recruitment",
        title="Recruitment and onboarding",
        figures=[
            Figure("Applications received", funnel["received"], link=links[0]),
            Figure(
                "Approved, of those decided",
                percent(funnel["approved"], funnel["approved"] + funnel["rejected"]),
                "%",
                link=links[2],
            ),
            Figure(
                "Conversion: received to active partner",
                percent(funnel["activated"], funnel["received"]),
                "%",
                link=links[4],
            ),
            Figure(
                "Median days to onboard",
                _median_days(every),
                "days",
                link=link("partners.partner", **activated_in_period),
                note=f"{len(every)} partners activated in the period",
            ),
        ],
        charts=[funnel_chart, onboard_chart],
    )


def _deals(start: date, end: date, months: Months) -> Section:
    """Registrations submitted per month; the average time from submission to approval of the
    registrations approved each month."""
    link = months.link
    begin, stop = period_bounds(start, end)
    submitted = months.zeros()
    for row in (
        DealRegistration.objects.filter(submitted_at__gte=begin, submitted_at__lt=stop)
        .annotate(month=TruncMonth("submitted_at"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by()
    ):
        i = months.index(row["month"])
        if i is not None:
            submitted[i] += row["n"]
    approved, approval_time = months.zeros(), [timedelta(0)] * len(months.firsts)
    for row in (
        DealRegistration.objects.filter(approved_at__gte=begin, approved_at__lt=stop, submitted_at__isnull=False)
        .annotate(month=TruncMonth("approved_at"))
        .values("month")
        .annotate(
            n=Count("id"),
            waited=Sum(ExpressionWrapper(F("approved_at") - F("submitted_at"), output_field=DurationField())),
        )
        .order_by()
    ):
        i = months.index(row["month"])
        if i is not None:
            approved[i] += row["n"]
            approval_time[i] += row["waited"] or timedelta(0)
    hours = [_hours(t, n) for t, n in zip(approval_time, approved)]
    total_approved = sum(approved)
    average = _hours(sum(approval_time, timedelta(0)), total_approved)
    period_submitted = {"submitted_at__date__gte": start, "submitted_at__date__lte": end}
    return Section(
        key="deals",
        title="Deal registrations",
        figures=[
            Figure(
                "Registrations submitted",
                sum(submitted),
                link=link("deals.dealregistration", **period_submitted),
            ),
            Figure(
                "Registrations approved",
                total_approved,
                link=link("deals.dealregistration", approved_at__date__gte=start, approved_at__date__lte=end),
            ),
            Figure(
                "Average approval time",
                average,
                "hours",
                link=link("deals.dealregistration", approved_at__date__gte=start, approved_at__date__lte=end),
            ),
        ],
        charts=[
            DashboardChart(
                key="registrations",
                title="Deal registrations submitted per month",
                labels=months.labels,
                series=[Series("Registrations", submitted)],
                kind="bar",
                summary=f"{sum(submitted)} registrations submitted over {len(months.firsts)} months.",
                links=months.links("deals.dealregistration", "submitted_at"),
            ),
            DashboardChart(
                key="approval-time",
                title="Average approval time of the registrations approved each month",
                labels=months.labels,
                series=[Series("Hours from submission to approval", hours)],
                kind="line",
                unit="hours",
                summary=f"{total_approved} registrations approved; on average after {average or '–'} hours.",
                links=months.links("deals.dealregistration", "approved_at"),
            ),
        ],
    )


def _revenue(
    start: date, end: date, months: Months, tiers: list[tuple[int, str]], rates: dict[str, Decimal], currency: str
) -> Section:
    """Won revenue (deals won and closed in the period, at their final amount) by month, by the
    partner's current tier, and by source: partner-sourced or vendor-sourced (a lead the vendor
    passed to the partner). One query."""
    link = months.link
    names = dict(tiers)
    by_tier: dict[int | None, list[Decimal]] = {}
    by_source = {source: [Decimal("0")] * len(months.firsts) for source in DealRegistration.Source.values}
    missing: set[str] = set()
    for row in (
        DealRegistration.objects.filter(status=WON, closed_on__gte=start, closed_on__lte=end)
        .annotate(month=TruncMonth("closed_on"))
        .values("month", "partner__tier_id", "source", "currency")
        .annotate(total=Sum(Coalesce("final_amount", "amount")))
        .order_by()
    ):
        i = months.index(row["month"])
        if i is None or row["total"] is None:
            continue
        amount = _to_program(row["total"], row["currency"], rates, missing)
        tier = row["partner__tier_id"] if row["partner__tier_id"] in names else None
        by_tier.setdefault(tier, [Decimal("0")] * len(months.firsts))[i] += amount
        by_source[row["source"]][i] += amount

    def rounded(values):
        return [round_money(v) for v in values]

    shown = [(pk, name) for pk, name in tiers if pk in by_tier] + ([(None, NO_TIER)] if None in by_tier else [])
    tier_series = [Series(name, rounded(by_tier[pk])) for pk, name in shown] or [Series("Won revenue", months.zeros())]
    total = round_money(sum((sum(v) for v in by_tier.values()), Decimal("0")))
    partner_sourced = round_money(sum(by_source[DealRegistration.Source.PARTNER]))
    vendor_sourced = round_money(sum(by_source[DealRegistration.Source.VENDOR]))
    shares = [
        percent(p, p + v)
        for p, v in zip(by_source[DealRegistration.Source.PARTNER], by_source[DealRegistration.Source.VENDOR])
    ]
    won = {"status__exact": "won", "closed_on__gte": start, "closed_on__lte": end}
    figures = [
        Figure("Won revenue", total, currency, link=link("deals.dealregistration", **won)),
        Figure(
            "Partner-sourced share of won revenue",
            percent(partner_sourced, partner_sourced + vendor_sourced),
            "%",
            link=link("deals.dealregistration", **won, source__exact="partner"),
            note=f"{partner_sourced:,.2f} {currency} partner-sourced, {vendor_sourced:,.2f} {currency} vendor-sourced",
        ),
    ]
    for pk, name in shown:
        tier_filter = {"tier__id__exact": pk} if pk is not None else {"tier__isnull": "True"}
        figures.append(
            Figure(
                f"Won revenue, {name}",
                round_money(sum(by_tier[pk])),
                currency,
                link=link("partners.partner", **tier_filter),
                note="the tier's partners",
            )
        )
    month_links = months.links("deals.dealregistration", "closed_on", date_field=True, status__exact="won")
    return Section(
        key="revenue",
        title="Won revenue",
        figures=figures,
        charts=[
            DashboardChart(
                key="revenue-by-tier",
                title=f"Won revenue by month and partner tier ({currency})",
                labels=months.labels,
                series=tier_series,
                kind="stacked",
                unit=currency,
                summary=f"{total:,.2f} {currency} won in the period, by the partners' current tier.",
                links=month_links,
            ),
            DashboardChart(
                key="partner-sourced",
                title="Partner-sourced share of won revenue by month",
                labels=months.labels,
                series=[Series("Partner-sourced share", shares)],
                kind="line",
                unit="%",
                summary=f"Partner-sourced {partner_sourced:,.2f}, vendor-sourced {vendor_sourced:,.2f} {currency}.",
                links=month_links,
            ),
        ],
        notes=_missing_note(missing, currency),
    )


def _payouts(start: date, end: date, months: Months, rates: dict[str, Decimal], currency: str) -> Section:
    """What the payout runs paid in the period paid out, by the month of payment: per currency,
    and in the program currency for the chart."""
    link = months.link
    begin, stop = period_bounds(start, end)
    paid = [Decimal("0")] * len(months.firsts)
    per_currency: dict[str, Decimal] = defaultdict(Decimal)
    missing: set[str] = set()
    for row in (
        PayoutStatement.objects.filter(
            run__status=PayoutRun.Status.PAID, run__paid_at__gte=begin, run__paid_at__lt=stop
        )
        .annotate(month=TruncMonth("run__paid_at"))
        .values("month", "currency")
        .annotate(total=Sum("total"))
        .order_by()
    ):
        i = months.index(row["month"])
        if i is None or row["total"] is None:
            continue
        per_currency[row["currency"]] += row["total"]
        paid[i] += _to_program(row["total"], row["currency"], rates, missing)
    total = round_money(sum(paid, Decimal("0")))
    runs = {"status__exact": "paid", "paid_at__date__gte": start, "paid_at__date__lte": end}
    in_currencies = "; ".join(f"{amount:,.2f} {code}" for code, amount in sorted(per_currency.items()))
    return Section(
        key="payouts",
        title="Payouts",
        figures=[
            Figure(
                "Paid out",
                total,
                currency,
                link=link("incentives.payoutrun", **runs),
                note=in_currencies or "nothing paid in the period",
            )
        ],
        charts=[
            DashboardChart(
                key="payouts",
                title=f"Payouts by month of payment ({currency})",
                labels=months.labels,
                series=[Series(f"Paid ({currency})", [round_money(v) for v in paid])],
                kind="bar",
                unit=currency,
                summary=f"{total:,.2f} {currency} paid by the payout runs paid in the period.",
                links=months.links("incentives.payoutrun", "paid_at", status__exact="paid"),
            )
        ],
        notes=_missing_note(missing, currency),
    )


def _certification(end: date, tiers: list[tuple[int, str]], link: Links) -> Section:
    """The share of active partners with at least one certified user (a current certification of
    an active user) at the period's end, overall and by tier. Partners count as active by their
    status now."""
    on = as_of(end)
    active: dict[int | None, int] = {}
    for row in Partner.objects.filter(status=ACTIVE).values("tier_id").annotate(n=Count("id")).order_by():
        active[row["tier_id"]] = row["n"]
    covered: dict[int | None, int] = {}
    for row in (
        Certification.objects.filter(issued_on__lte=on, expires_on__gt=on, user__is_active=True, partner__status=ACTIVE)
        .values("partner__tier_id")
        .annotate(n=Count("partner_id", distinct=True))
        .order_by()
    ):
        covered[row["partner__tier_id"]] = row["n"]
    shown = [(pk, name) for pk, name in tiers if pk in active] + ([(None, NO_TIER)] if None in active else [])
    total_active, total_covered = sum(active.values()), sum(covered.values())
    labels = ["All tiers"] + [name for _, name in shown]
    shares = [percent(total_covered, total_active)] + [percent(covered.get(pk, 0), active[pk]) for pk, _ in shown]
    links = [link("partners.partner", status__exact="active")] + [
        link(
            "partners.partner",
            status__exact="active",
            **({"tier__id__exact": pk} if pk is not None else {"tier__isnull": "True"}),
        )
        for pk, _ in shown
    ]
    return Section(
        key="certification",
        title="Certification coverage",
        figures=[
            Figure(
                "Active partners with a certified user",
                percent(total_covered, total_active),
                "%",
                link=links[0],
                note=f"{total_covered} of {total_active} active partners on {on:%d %b %Y}",
            ),
        ],
        charts=[
            DashboardChart(
                key="certification",
                heading="Tier",
                title="Active partners with at least one certified user, by tier",
                labels=labels,
                series=[Series("Share of active partners", shares)],
                kind="bar",
                unit="%",
                summary=f"{total_covered} of {total_active} active partners have a certified user.",
                links=links,
            )
        ],
    )


def _cases(start: date, end: date, months: Months) -> Section:
    """Of the cases opened each month, the share answered (first response) and the share
    resolved within their SLA. A case whose due time has not come yet and that is still
    waiting counts neither way."""
    link = months.link
    begin, stop = period_bounds(start, end)
    now = timezone.now()
    answered_on_time = Q(first_response_at__isnull=False, first_response_at__lte=F("first_response_due"))
    answered_late = Q(first_response_at__gt=F("first_response_due")) | Q(
        first_response_at__isnull=True, first_response_due__lt=now
    )
    resolved_on_time = Q(resolved_at__isnull=False, resolved_at__lte=F("resolution_due"))
    resolved_late = Q(resolved_at__gt=F("resolution_due")) | Q(resolved_at__isnull=True, resolution_due__lt=now)
    counts = {key: months.zeros() for key in ("opened", "answered", "answered_late", "resolved", "resolved_late")}
    for row in (
        Case.objects.filter(opened_at__gte=begin, opened_at__lt=stop)
        .annotate(month=TruncMonth("opened_at"))
        .values("month")
        .annotate(
            opened=Count("id"),
            answered=Count("id", filter=answered_on_time),
            answered_late=Count("id", filter=answered_late),
            resolved=Count("id", filter=resolved_on_time),
            resolved_late=Count("id", filter=resolved_late),
        )
        .order_by()
    ):
        i = months.index(row["month"])
        if i is not None:
            for key in counts:
                counts[key][i] += row[key]
    answered = [percent(a, a + b) for a, b in zip(counts["answered"], counts["answered_late"])]
    resolved = [percent(a, a + b) for a, b in zip(counts["resolved"], counts["resolved_late"])]
    totals = {key: sum(values) for key, values in counts.items()}
    opened = {"opened_at__date__gte": start, "opened_at__date__lte": end}
    return Section(
        key="cases",
        title="Cases and SLAs",
        figures=[
            Figure("Cases opened", totals["opened"], link=link("conflicts.case", **opened)),
            Figure(
                "First response within SLA",
                percent(totals["answered"], totals["answered"] + totals["answered_late"]),
                "%",
                link=link("conflicts.case", **opened),
                note=f"{totals['answered']} on time, {totals['answered_late']} late",
            ),
            Figure(
                "Resolved within SLA",
                percent(totals["resolved"], totals["resolved"] + totals["resolved_late"]),
                "%",
                link=link("conflicts.case", **opened),
                note=f"{totals['resolved']} on time, {totals['resolved_late']} late",
            ),
        ],
        charts=[
            DashboardChart(
                key="case-sla",
                title="Cases answered and resolved within their SLA, by month opened",
                labels=months.labels,
                series=[Series("First response within SLA", answered), Series("Resolved within SLA", resolved)],
                kind="line",
                unit="%",
                summary=f"{totals['opened']} cases opened in the period.",
                links=months.links("conflicts.case", "opened_at"),
            )
        ],
    )
