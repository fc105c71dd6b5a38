"""Scorecards: what each partner achieved over a period, computed from the deals, the ledger,
the certifications, downloads, cases and survey answers when they are read.

Every figure is one grouped query over all the partners asked for (or over every partner), so a
scorecard, a page of the leaderboard and a year of monthly trend cost the same number of queries
whatever the number of partners and rows. Nothing is copied into a table of its own: there is no
second version of a figure to drift from the first.

Periods are whole local days, ``start`` and ``end`` both included. Money is kept per currency
(``{"USD": Decimal("48000.00")}``); where totals need one number (the leaderboard, attainment,
tier requirements) it is converted into ``settings.PRM_PROGRAM_CURRENCY`` with finance's exchange
rates for the period's last day (``program_total``).

A period's target comes from every target that overlaps it, so attainment compares like with
like whatever the period: won revenue and deals won count each target for the share of its days
that lie in the period (year to date on 30 November against quarterly targets counts Q1-Q3 whole
and 61/92 of Q4); certified users, a level, is the highest overlapping target. A partner's
targets never overlap each other (``services.targets``).

Every figure rounds half up (``rounded``, ``per``, ``percent``: the one rounding rule of the
performance app).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from conflicts.models import Case, CaseParticipant
from deals.models import DealRegistration
from enablement.models import Certification, ContentDownload
from enablement.selectors import nps_per_partner
from incentives.models import CommissionLine, ExchangeRate, PayoutRun, PayoutStatement
from marketing.models import LeadOffer
from partners.models import Partner
from prm.money import round_money
from prm.scoping import scopes_disabled

from ..models import Target

Money = dict[str, Decimal]  # currency -> amount
OPEN = (DealRegistration.Status.SUBMITTED, DealRegistration.Status.APPROVED)
WON = DealRegistration.Status.WON
LOST = DealRegistration.Status.LOST
DISPUTES = Case.DISPUTE_KINDS
ONE_DAY = timedelta(days=1)


@dataclass
class TargetFigures:
    """The target of a period, from every target that overlaps it (``period_targets``): won
    revenue and deals won prorated by the days each target shares with the period and summed,
    certified users the highest overlapping target. None where no overlapping target sets it."""

    won_revenue: Decimal | None = None  # program currency, 2 places (prorated)
    new_deals: Decimal | None = None  # one decimal (prorated: 61/92 of 300 is 198.9)
    certified_users: int | None = None  # a level: not prorated

    def is_set(self) -> bool:
        return any(v is not None for v in (self.won_revenue, self.new_deals, self.certified_users))


@dataclass
class Scorecard:
    """One partner's figures for one period. Counts are ints, money is per currency, rates and
    averages are Decimals (None when there is nothing to average)."""

    partner_id: int
    start: date
    end: date
    program_currency: str
    won_revenue: Money = field(default_factory=dict)
    pipeline: Money = field(default_factory=dict)
    registrations: int = 0
    won_deals: int = 0
    lost_deals: int = 0
    win_rate: Decimal | None = None  # percent of the deals closed in the period that were won
    avg_deal_size: Money = field(default_factory=dict)
    avg_days_to_close: Decimal | None = None  # submitted -> closed, won deals closed in the period
    avg_approval_hours: Decimal | None = None  # submitted -> approved, deals approved in the period
    certified_users: int = 0  # at the period's end (or today, for a period not over yet)
    course_completions: int = 0  # certifications issued in the period
    content_downloads: int = 0
    open_cases: int = 0  # cases the partner is in, open at the period's end
    open_disputes: int = 0  # of which disputes (commission, deal, other)
    nps: Decimal | None = None
    nps_responses: int = 0
    commission_earned: Money = field(default_factory=dict)  # ledger lines booked in the period
    commission_paid: Money = field(default_factory=dict)  # statements of runs paid in the period
    # --- marketing: leads --- offers made in the period, and what became of them
    leads_offered: int = 0  # withdrawn offers (the managers took the lead back) are left out
    leads_accepted: int = 0
    leads_pending: int = 0  # offered, not answered yet: outside the acceptance rate
    lead_acceptance_rate: Decimal | None = None  # percent of the answered offers that were accepted
    avg_hours_to_accept: Decimal | None = None  # offered -> accepted
    lead_conversion: Decimal | None = None  # percent of the accepted leads whose deal is won
    # Won revenue in the program currency; None when a currency has no exchange rate.
    won_revenue_total: Decimal | None = Decimal("0.00")
    missing_rates: list[str] = field(default_factory=list)
    target: TargetFigures = field(default_factory=TargetFigures)
    attainment: dict[str, Decimal | None] = field(default_factory=dict)  # figure -> percent


# --- periods ----------------------------------------------------------------------------------


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants of a period of whole local days: [start 00:00, the day after end 00:00)."""
    return day_start(start), day_start(end + ONE_DAY)


def as_of(end: date) -> date:
    """The day point-in-time figures are read on: the period's end, or today if it is not over."""
    return min(end, timezone.localdate())


def month_starts(end: date, months: int = 12) -> list[date]:
    """The first days of the ``months`` calendar months up to and including ``end``'s month."""
    first = end.replace(day=1)
    out = []
    for _ in range(months):
        out.append(first)
        first = (first - ONE_DAY).replace(day=1)
    return out[::-1]


def month_end(first: date) -> date:
    nxt = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - ONE_DAY


# --- money --------------------------------------------------------------------------------------


def add_money(total: Money, currency: str, amount) -> None:
    if amount is None:
        return
    total[currency] = round_money(total.get(currency, Decimal("0")) + Decimal(amount))


def money_list(amounts: Money) -> list[dict]:
    """The API's form of money per currency: ``[{"currency", "amount"}]``, by currency."""
    return [{"currency": c, "amount": f"{round_money(a):.2f}"} for c, a in sorted(amounts.items())]


def exchange_rates(day: date, currency: str | None = None) -> dict[str, Decimal]:
    """Finance's rates into the program currency on ``day``: {currency: rate}, one query. The
    latest rate entered on or before the day counts, whichever way round finance entered it
    (``EUR -> USD 1.25`` or ``USD -> EUR 0.80``); on a day with both, the direct one."""
    target = currency or settings.PRM_PROGRAM_CURRENCY
    return latest_rates(rate_rows(target, day), target, day)


def rate_rows(target: str, day: date) -> list[tuple]:
    """Every rate into or out of ``target`` entered on or before ``day``: (date, from, to, rate)."""
    return list(
        ExchangeRate.objects.filter(Q(to_currency=target) | Q(from_currency=target), date__lte=day).values_list(
            "date", "from_currency", "to_currency", "rate"
        )
    )


def latest_rates(rows: list[tuple], target: str, day: date) -> dict[str, Decimal]:
    """The rule of ``exchange_rates`` applied to ``rows`` (from ``rate_rows``) for ``day``."""
    # currency -> (date, direct, rate): a newer rate wins, and on the same day the direct one.
    latest: dict[str, tuple[date, bool, Decimal]] = {}
    for day_of_rate, from_currency, to_currency, rate in rows:
        if day_of_rate > day:
            continue
        direct = to_currency == target
        code = from_currency if direct else to_currency
        if direct:
            candidate = (day_of_rate, True, rate)
        else:
            candidate = (day_of_rate, False, (Decimal("1") / rate).quantize(Decimal("0.00000001")))
        if code not in latest or candidate[:2] > latest[code][:2]:
            latest[code] = candidate
    rates: dict[str, Decimal] = {target: Decimal("1")}
    rates.update({code: rate for code, (_, _, rate) in latest.items() if code != target})
    return rates


def program_total(amounts: Money, rates: dict[str, Decimal]) -> tuple[Decimal | None, list[str]]:
    """``amounts`` in the program currency, and the currencies that have no rate (then None)."""
    missing = sorted(c for c in amounts if c not in rates)
    if missing:
        return None, missing
    return round_money(sum((a * rates[c] for c, a in amounts.items()), Decimal("0"))), []


# --- the scorecards -----------------------------------------------------------------------------


def _limit(queryset, partner_ids, lookup: str = "partner_id"):
    return queryset if partner_ids is None else queryset.filter(**{f"{lookup}__in": partner_ids})


def rounded(value, places: str = "0.1") -> Decimal:
    """``value`` rounded half up to ``places`` ("0.1", "0.01", "1"): the one rounding rule of
    every figure of the performance app (Python's and Decimal's default is half even)."""
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def per(value, count, places: str = "0.1") -> Decimal | None:
    """``value / count`` rounded half up to ``places``; None when there is nothing to divide by
    (``count`` zero or None) or nothing to divide (``value`` None)."""
    if not count or value is None:
        return None
    return rounded(Decimal(value) / Decimal(count), places)


def percent(part, whole, places: str = "0.1") -> Decimal | None:
    """``part`` of ``whole`` in percent, rounded half up to ``places``; None when ``whole`` is
    zero or None or ``part`` is None."""
    if part is None:
        return None
    return per(Decimal(part) * 100, whole, places)


def _days(duration: timedelta | None, count: int) -> Decimal | None:
    return None if duration is None else per(Decimal(duration.total_seconds()) / 86400, count)


def _hours(duration: timedelta | None, count: int) -> Decimal | None:
    return None if duration is None else per(Decimal(duration.total_seconds()) / 3600, count)


def overlap_days(start: date, end: date, first: date, last: date) -> int:
    """How many days [first, last] shares with [start, end] (both inclusive; 0 when none)."""
    return max(0, (min(end, last) - max(start, first)).days + 1)


def period_targets(rows, *, start: date, end: date) -> TargetFigures:
    """The target of the period ``start``..``end`` from the target rows that overlap it (dicts or
    objects with ``period_start``, ``period_end``, ``won_revenue``, ``new_deals``,
    ``certified_users``). Won revenue and deals won are flows: each target counts for the share of
    its days that lie in the period (a quarterly target of 300 deals counts 61/92 of 300 in a year
    to date ending 30 November), summed, then rounded half up (won revenue to cents, deals to one
    decimal). Certified users is a level: the highest target among the overlapping ones, whole."""
    figures = TargetFigures()
    revenue = deals = None
    for row in rows:
        get = row.get if isinstance(row, dict) else (lambda key, row=row: getattr(row, key))
        first, last = get("period_start"), get("period_end")
        share = Decimal(overlap_days(start, end, first, last)) / Decimal((last - first).days + 1)
        if not share:
            continue
        if get("won_revenue") is not None:
            revenue = (revenue or Decimal("0")) + get("won_revenue") * share
        if get("new_deals") is not None:
            deals = (deals or Decimal("0")) + get("new_deals") * share
        if get("certified_users") is not None:
            figures.certified_users = max(figures.certified_users or 0, get("certified_users"))
    figures.won_revenue = None if revenue is None else rounded(revenue, "0.01")
    figures.new_deals = None if deals is None else rounded(deals, "0.1")
    return figures


def scorecards(*, start: date, end: date, partner_ids: list[int] | None = None) -> dict[int, Scorecard]:
    """The scorecards of ``partner_ids`` (every partner when None) for the period, by partner id.

    A fixed number of grouped queries (about a dozen), whatever the number of partners or rows.
    Partners with no activity get a scorecard of zeros (those asked for by id, or every partner).
    """
    if end < start:
        raise ValueError("A period ends on or after its start.")
    begin, stop = period_bounds(start, end)
    on = as_of(end)
    currency = settings.PRM_PROGRAM_CURRENCY
    with scopes_disabled():
        ids = list(partner_ids) if partner_ids is not None else list(Partner.objects.values_list("id", flat=True))
        cards = {pk: Scorecard(partner_id=pk, start=start, end=end, program_currency=currency) for pk in ids}
        limit = None if partner_ids is None else ids

        deals = _limit(DealRegistration.objects.all(), limit)
        won_in_period = Q(status=WON, closed_on__gte=start, closed_on__lte=end)
        # Money per (partner, currency): won revenue, and the pipeline still open now.
        money_rows = (
            deals.filter(won_in_period | Q(status__in=OPEN, submitted_at__lt=stop))
            .values("partner_id", "currency")
            .annotate(
                won=Sum(Coalesce("final_amount", "amount"), filter=won_in_period),
                won_count=Count("id", filter=won_in_period),
                pipeline=Sum("amount", filter=Q(status__in=OPEN)),
            )
            .order_by()
        )
        won_counts: dict[tuple[int, str], int] = {}
        for row in money_rows:
            card = cards.get(row["partner_id"])
            if card is None:
                continue
            if row["won_count"]:
                add_money(card.won_revenue, row["currency"], row["won"])
                won_counts[(row["partner_id"], row["currency"])] = row["won_count"]
            if row["pipeline"]:
                add_money(card.pipeline, row["currency"], row["pipeline"])

        # Counts and durations per partner.
        lost_in_period = Q(status=LOST, closed_on__gte=start, closed_on__lte=end)
        approved_in_period = Q(approved_at__gte=begin, approved_at__lt=stop, submitted_at__isnull=False)
        count_rows = (
            deals.filter(
                Q(submitted_at__gte=begin, submitted_at__lt=stop) | won_in_period | lost_in_period | approved_in_period
            )
            .values("partner_id")
            .annotate(
                registrations=Count("id", filter=Q(submitted_at__gte=begin, submitted_at__lt=stop)),
                won=Count("id", filter=won_in_period),
                lost=Count("id", filter=lost_in_period),
                close_time=Sum(
                    ExpressionWrapper(F("closed_on") - TruncDate("submitted_at"), output_field=DurationField()),
                    filter=won_in_period & Q(submitted_at__isnull=False),
                ),
                closed_with_start=Count("id", filter=won_in_period & Q(submitted_at__isnull=False)),
                approval_time=Sum(
                    ExpressionWrapper(F("approved_at") - F("submitted_at"), output_field=DurationField()),
                    filter=approved_in_period,
                ),
                approved=Count("id", filter=approved_in_period),
            )
            .order_by()
        )
        for row in count_rows:
            card = cards.get(row["partner_id"])
            if card is None:
                continue
            card.registrations = row["registrations"]
            card.won_deals = row["won"]
            card.lost_deals = row["lost"]
            card.win_rate = percent(row["won"], row["won"] + row["lost"])
            card.avg_days_to_close = _days(row["close_time"], row["closed_with_start"])
            card.avg_approval_hours = _hours(row["approval_time"], row["approved"])
        for (pk, code), count in won_counts.items():
            cards[pk].avg_deal_size[code] = round_money(cards[pk].won_revenue[code] / count)

        # Certified users at the period's end; certifications issued in the period.
        certifications = _limit(Certification.objects.all(), limit)
        current_then = Q(issued_on__lte=on, expires_on__gt=on, user__is_active=True)
        issued_in_period = Q(issued_on__gte=start, issued_on__lte=end)
        for row in (
            certifications.filter(current_then | issued_in_period)
            .values("partner_id")
            .annotate(
                certified=Count("user_id", distinct=True, filter=current_then),
                completions=Count("id", filter=issued_in_period),
            )
            .order_by()
        ):
            if row["partner_id"] in cards:
                cards[row["partner_id"]].certified_users = row["certified"]
                cards[row["partner_id"]].course_completions = row["completions"]

        for row in (
            _limit(ContentDownload.objects.filter(downloaded_at__gte=begin, downloaded_at__lt=stop), limit)
            .values("partner_id")
            .annotate(n=Count("id"))
            .order_by()
        ):
            if row["partner_id"] in cards:
                cards[row["partner_id"]].content_downloads = row["n"]

        # Cases the partner is in that were open at the period's end (or are open now).
        open_then = Q(case__opened_at__lt=day_start(on + ONE_DAY)) & (
            Q(case__resolved_at__isnull=True) | Q(case__resolved_at__gte=day_start(on + ONE_DAY))
        )
        for row in (
            _limit(CaseParticipant.objects.filter(open_then), limit)
            .values("partner_id")
            .annotate(
                cases=Count("case_id", distinct=True),
                disputes=Count("case_id", distinct=True, filter=Q(case__kind__in=DISPUTES)),
            )
            .order_by()
        ):
            if row["partner_id"] in cards:
                cards[row["partner_id"]].open_cases = row["cases"]
                cards[row["partner_id"]].open_disputes = row["disputes"]

        for pk, row in nps_per_partner(start=start, end=end).items():
            if pk in cards:
                cards[pk].nps = row["nps"]
                cards[pk].nps_responses = row["responses"]

        for row in (
            _limit(CommissionLine.objects.filter(booked_on__gte=start, booked_on__lte=end), limit)
            .values("partner_id", "currency")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            if row["partner_id"] in cards:
                add_money(cards[row["partner_id"]].commission_earned, row["currency"], row["total"])

        for row in (
            _limit(
                PayoutStatement.objects.filter(
                    run__status=PayoutRun.Status.PAID, run__paid_at__gte=begin, run__paid_at__lt=stop
                ),
                limit,
            )
            .values("partner_id", "currency")
            .annotate(total=Sum("total"))
            .order_by()
        ):
            if row["partner_id"] in cards:
                add_money(cards[row["partner_id"]].commission_paid, row["currency"], row["total"])

        # --- marketing: leads --- offers of the period: accepted, time to accept, won since.
        accepted = Q(status=LeadOffer.Status.ACCEPTED)
        for row in (
            _limit(
                LeadOffer.objects.filter(offered_at__gte=begin, offered_at__lt=stop).exclude(
                    status=LeadOffer.Status.WITHDRAWN
                ),
                limit,
            )
            .values("partner_id")
            .annotate(
                offered=Count("id"),
                pending=Count("id", filter=Q(status=LeadOffer.Status.PENDING)),
                accepted=Count("id", filter=accepted),
                accept_time=Sum(
                    ExpressionWrapper(F("responded_at") - F("offered_at"), output_field=DurationField()),
                    filter=accepted,
                ),
                won=Count("id", filter=accepted & Q(lead__deal__status=WON)),
            )
            .order_by()
        ):
            card = cards.get(row["partner_id"])
            if card is not None:
                card.leads_offered, card.leads_accepted = row["offered"], row["accepted"]
                card.leads_pending = row["pending"]
                card.lead_acceptance_rate = percent(row["accepted"], row["offered"] - row["pending"])
                card.avg_hours_to_accept = _hours(row["accept_time"], row["accepted"])
                card.lead_conversion = percent(row["won"], row["accepted"])

        # Targets that overlap the period, each prorated by its days in the period.
        target_rows: dict[int, list[dict]] = {}
        for row in _limit(Target.objects.filter(period_start__lte=end, period_end__gte=start), limit).values(
            "partner_id", "period_start", "period_end", "won_revenue", "new_deals", "certified_users"
        ):
            target_rows.setdefault(row["partner_id"], []).append(row)
        for pk, rows in target_rows.items():
            if pk in cards:
                cards[pk].target = period_targets(rows, start=start, end=end)

        rates = exchange_rates(end)
    for card in cards.values():
        card.won_revenue_total, card.missing_rates = program_total(card.won_revenue, rates)
        card.attainment = attainment(card)
    return cards


def attainment(card: Scorecard) -> dict[str, Decimal | None]:
    """Each target's attainment in percent (None where no target is set or it is zero)."""
    target = card.target
    return {
        "won_revenue": percent(card.won_revenue_total, target.won_revenue),
        "new_deals": percent(card.won_deals, target.new_deals),
        "certified_users": percent(card.certified_users, target.certified_users),
    }


def scorecard(*, partner: Partner | int, start: date, end: date) -> Scorecard:
    """One partner's scorecard for the period (the same fixed number of queries)."""
    pk = partner if isinstance(partner, int) else partner.pk
    return scorecards(start=start, end=end, partner_ids=[pk])[pk]


# --- trends -------------------------------------------------------------------------------------


@dataclass
class MonthFigures:
    month: date  # first day
    won_revenue: Money = field(default_factory=dict)
    won_revenue_total: Decimal | None = Decimal("0.00")
    registrations: int = 0
    won_deals: int = 0
    commission_earned: Money = field(default_factory=dict)


def monthly_trend(*, partner_ids: list[int] | None, end: date, months: int = 12) -> list[MonthFigures]:
    """Month by month up to ``end``'s month, summed over ``partner_ids`` (every partner when
    None): won revenue (per currency and in the program currency),
    registrations, deals won and commission earned. Three grouped queries and one for the rates
    (those of the last day, as for the scorecards)."""
    firsts = month_starts(end, months)
    first, last = firsts[0], month_end(firsts[-1])
    by_month = {m: MonthFigures(month=m) for m in firsts}
    begin, stop = period_bounds(first, last)
    with scopes_disabled():
        deals = _limit(DealRegistration.objects.all(), partner_ids)
        for row in (
            deals.filter(status=WON, closed_on__gte=first, closed_on__lte=last)
            .values("closed_on", "currency")
            .annotate(total=Sum(Coalesce("final_amount", "amount")), n=Count("id"))
            .order_by()
        ):
            m = by_month[row["closed_on"].replace(day=1)]
            add_money(m.won_revenue, row["currency"], row["total"])
            m.won_deals += row["n"]
        for row in (
            deals.filter(submitted_at__gte=begin, submitted_at__lt=stop)
            .annotate(day=TruncDate("submitted_at"))
            .values("day")
            .annotate(n=Count("id"))
            .order_by()
        ):
            by_month[row["day"].replace(day=1)].registrations += row["n"]
        for row in (
            _limit(CommissionLine.objects.filter(booked_on__gte=first, booked_on__lte=last), partner_ids)
            .values("booked_on", "currency")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            add_money(by_month[row["booked_on"].replace(day=1)].commission_earned, row["currency"], row["total"])
        rates = exchange_rates(last)
    for m in by_month.values():
        m.won_revenue_total, _ = program_total(m.won_revenue, rates)
    return [by_month[m] for m in firsts]
