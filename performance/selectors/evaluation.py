"""The program evaluation for leadership: does the partner program pay for itself?

Per calendar quarter of a period, and for the whole period:

- **partner-sourced revenue**: deals with ``source=partner`` won in the quarter (final amount,
  else the registered amount), per currency and in the program currency;
- **cost of the program**: commissions paid (the statements of payout runs paid in the quarter)
  plus the other costs managers and finance enter per quarter (``ProgramCost``);
- **return on program cost**: revenue / cost (``4.25`` reads "4.25 times"), and the net return
  (revenue - cost) / cost in percent; None when the cost is zero or a figure cannot be converted;
- **active partner ratio**: partners active at the quarter's end over partners not terminated
  then (onboarding, active and suspended), both read from the partners' status history
  (``StatusChange``); a partner with no history at all counts with its status of today;
- **time to first deal**: for partners activated in the quarter, the median of the whole days
  from activation to their first submitted registration; a registration submitted before
  activation (during onboarding) counts as 0 days; partners with no registration yet are
  counted apart ("activated, no deal yet"), not in the median.

Money in other currencies is converted with finance's exchange rates of each quarter's last day
(as the scorecards do for their period); a currency without a rate makes that quarter's converted
figures None and is named in ``missing_rates``. Quarters after the current one are left out; the
current quarter's point-in-time figures are read today.

A fixed number of queries (six), whatever the number of partners, deals, runs or quarters.
"""

import statistics
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import CharField, Count, F, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from deals.models import DealRegistration
from incentives.models import PayoutRun, PayoutStatement
from partners.models import Partner, StatusChange
from prm.scoping import scopes_disabled

from ..models import ProgramCost, quarter_end, quarter_label, quarter_start
from .scorecards import (
    ONE_DAY,
    Money,
    add_money,
    as_of,
    day_start,
    latest_rates,
    per,
    period_bounds,
    program_total,
    rate_rows,
    rounded,
)

ACTIVE = Partner.Status.ACTIVE
TERMINATED = Partner.Status.TERMINATED


@dataclass
class QuarterEvaluation:
    """One quarter's figures (or the whole period's, for the totals row)."""

    label: str
    start: date
    end: date
    currency: str  # the program currency
    as_of: date  # the day the partner counts are read on
    revenue: Money = field(default_factory=dict)
    revenue_total: Decimal | None = Decimal("0.00")
    commissions_paid: Money = field(default_factory=dict)
    commissions_paid_total: Decimal | None = Decimal("0.00")
    other_costs: Money = field(default_factory=dict)
    other_costs_total: Decimal | None = Decimal("0.00")
    cost_total: Decimal | None = Decimal("0.00")
    return_on_cost: Decimal | None = None  # revenue / cost
    net_return_percent: Decimal | None = None  # (revenue - cost) / cost x 100
    missing_rates: list[str] = field(default_factory=list)
    active_partners: int = 0
    partners: int = 0  # not terminated at ``as_of``
    active_ratio: Decimal | None = None  # percent
    activated: int = 0
    activated_with_deal: int = 0
    median_days_to_first_deal: Decimal | None = None
    days_to_first_deal: list[int] = field(default_factory=list, repr=False)


@dataclass
class Evaluation:
    start: date
    end: date
    currency: str
    quarters: list[QuarterEvaluation]
    total: QuarterEvaluation


# --- partner status history ------------------------------------------------------------------------


def status_on(day: date) -> Coalesce:
    """A partner's status at the end of ``day``, as an expression on ``Partner`` rows: the last
    change of its history up to then; before its first change, the status that change left; with
    no history at all, its status of today. Use inside ``scopes_disabled()``."""
    stop = day_start(day + ONE_DAY)
    changes = StatusChange.objects.filter(partner_id=OuterRef("pk"))
    last = changes.filter(changed_at__lt=stop).order_by("-changed_at", "-id").values("to_status")[:1]
    first_after = changes.filter(changed_at__gte=stop).order_by("changed_at", "id").values("from_status")[:1]
    return Coalesce(Subquery(last), Subquery(first_after), F("status"), output_field=CharField())


# --- exchange rates -------------------------------------------------------------------------------


def rates_on(days: list[date]) -> dict[date, dict[str, Decimal]]:
    """Finance's rates into the program currency on each of ``days``, in one query; the rule of
    ``scorecards.exchange_rates`` (the latest rate on or before the day, either way round)."""
    target = settings.PRM_PROGRAM_CURRENCY
    rows = rate_rows(target, max(days))
    return {day: latest_rates(rows, target, day) for day in days}


# --- the evaluation -------------------------------------------------------------------------------


def quarters_between(start: date, end: date) -> list[date]:
    """The first days of the quarters from ``start``'s to ``end``'s, the current one at the latest."""
    first, last = quarter_start(start), quarter_start(min(end, timezone.localdate()))
    out = []
    while first <= last:
        out.append(first)
        first = quarter_end(first) + ONE_DAY
    return out


def _ratio(part: Decimal, whole: Decimal, places: str) -> Decimal | None:
    return per(part, whole, places)


def _median(days: list[int]) -> Decimal | None:
    if not days:
        return None
    return rounded(Decimal(str(statistics.median(days))))


def _sum_or_none(values: list[Decimal | None]) -> Decimal | None:
    if any(v is None for v in values):
        return None
    return sum(values, Decimal("0.00"))


def _returns(row: QuarterEvaluation) -> None:
    """Cost and the returns on it, from the figures already converted."""
    row.cost_total = _sum_or_none([row.commissions_paid_total, row.other_costs_total])
    if row.revenue_total is not None and row.cost_total:
        row.return_on_cost = _ratio(row.revenue_total, row.cost_total, "0.01")
        row.net_return_percent = _ratio((row.revenue_total - row.cost_total) * 100, row.cost_total, "0.1")
    if row.partners:
        row.active_ratio = _ratio(Decimal(row.active_partners) * 100, Decimal(row.partners), "0.1")
    row.median_days_to_first_deal = _median(row.days_to_first_deal)


def program_evaluation(*, start: date, end: date) -> Evaluation:
    """The evaluation of the quarters from ``start``'s to ``end``'s (see the module's docstring):
    one row per quarter and the totals of the whole period."""
    if end < start:
        raise ValueError("A period ends on or after its start.")
    currency = settings.PRM_PROGRAM_CURRENCY
    firsts = quarters_between(start, end)
    if not firsts:
        raise ValueError("The period has not started yet.")
    rows = {
        q: QuarterEvaluation(
            label=quarter_label(q), start=q, end=quarter_end(q), currency=currency, as_of=as_of(quarter_end(q))
        )
        for q in firsts
    }
    first_day, last_day = firsts[0], quarter_end(firsts[-1])
    begin, stop = period_bounds(first_day, last_day)
    with scopes_disabled():
        for row in (
            DealRegistration.objects.filter(
                status=DealRegistration.Status.WON,
                source=DealRegistration.Source.PARTNER,
                closed_on__gte=first_day,
                closed_on__lte=last_day,
            )
            .values("closed_on", "currency")
            .annotate(total=Sum(Coalesce("final_amount", "amount")))
            .order_by()
        ):
            add_money(rows[quarter_start(row["closed_on"])].revenue, row["currency"], row["total"])

        for row in (
            PayoutStatement.objects.filter(
                run__status=PayoutRun.Status.PAID, run__paid_at__gte=begin, run__paid_at__lt=stop
            )
            .annotate(day=TruncDate("run__paid_at"))
            .values("day", "currency")
            .annotate(total=Sum("total"))
            .order_by()
        ):
            add_money(rows[quarter_start(row["day"])].commissions_paid, row["currency"], row["total"])

        for row in (
            ProgramCost.objects.filter(quarter__gte=first_day, quarter__lte=firsts[-1])
            .values("quarter", "currency")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            add_money(rows[row["quarter"]].other_costs, row["currency"], row["total"])

        # Partner counts at each quarter's end, all quarters in one query.
        annotations, counts = {}, {}
        for i, row in enumerate(rows.values()):
            existed = Q(created_at__lt=day_start(row.as_of + ONE_DAY))
            annotations[f"status_{i}"] = status_on(row.as_of)
            counts[f"active_{i}"] = Count("id", filter=existed & Q(**{f"status_{i}": ACTIVE}))
            counts[f"partners_{i}"] = Count("id", filter=existed & ~Q(**{f"status_{i}": TERMINATED}))
        partner_counts = Partner.objects.annotate(**annotations).aggregate(**counts)

        activations = (
            Partner.objects.filter(activated_at__gte=begin, activated_at__lt=stop)
            .annotate(first_deal=Min("deals__submitted_at"))
            .values_list("activated_at", "first_deal")
        )
        for activated_at, first_deal in activations:
            row = rows[quarter_start(timezone.localdate(activated_at))]
            row.activated += 1
            if first_deal is not None:
                row.activated_with_deal += 1
                days = (timezone.localdate(first_deal) - timezone.localdate(activated_at)).days
                row.days_to_first_deal.append(max(days, 0))

        rates = rates_on([row.end for row in rows.values()])

    for i, row in enumerate(rows.values()):
        day_rates = rates[row.end]
        row.revenue_total, missing_revenue = program_total(row.revenue, day_rates)
        row.commissions_paid_total, missing_paid = program_total(row.commissions_paid, day_rates)
        row.other_costs_total, missing_other = program_total(row.other_costs, day_rates)
        row.missing_rates = sorted(set(missing_revenue) | set(missing_paid) | set(missing_other))
        row.active_partners = partner_counts[f"active_{i}"]
        row.partners = partner_counts[f"partners_{i}"]
        _returns(row)

    quarters = list(rows.values())
    return Evaluation(
        start=first_day, end=last_day, currency=currency, quarters=quarters, total=_totals(quarters, currency)
    )


def _totals(quarters: list[QuarterEvaluation], currency: str) -> QuarterEvaluation:
    """The whole period: sums of the quarters (each converted at its own quarter's rates), the
    partner counts at the period's end, the median over every partner activated in it."""
    last = quarters[-1]
    total = QuarterEvaluation(
        label="Total",
        start=quarters[0].start,
        end=last.end,
        currency=currency,
        as_of=last.as_of,
        active_partners=last.active_partners,
        partners=last.partners,
    )
    for row in quarters:
        for name in ("revenue", "commissions_paid", "other_costs"):
            for code, amount in getattr(row, name).items():
                add_money(getattr(total, name), code, amount)
        total.activated += row.activated
        total.activated_with_deal += row.activated_with_deal
        total.days_to_first_deal += row.days_to_first_deal
    total.revenue_total = _sum_or_none([row.revenue_total for row in quarters])
    total.commissions_paid_total = _sum_or_none([row.commissions_paid_total for row in quarters])
    total.other_costs_total = _sum_or_none([row.other_costs_total for row in quarters])
    total.missing_rates = sorted({code for row in quarters for code in row.missing_rates})
    _returns(total)
    return total
