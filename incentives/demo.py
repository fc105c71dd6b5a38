"""Demo commissions: a default plan for every tier (one a year, this year's and the ones before), exchange rates,
every win of the year booked the day it was won, and a payout run at every month's end: paid,
and last month's approved."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from deals import services as deal_services
from deals.models import DealRegistration
from partners.models import Partner, Tier, TierChange, User
from prm.demo_story import documents_on_demand, moment, month_last_day, month_start

from . import services
from .models import CommissionLine, CommissionPlan, CommissionRule, ExchangeRate, PayoutRun

Kind = CommissionRule.Kind
RATE_DAYS = 430  # finance's rates reach back past the oldest deal of the year
RUN_MONTHS = 12  # a payout run at the end of each of the last twelve months
MDF_DAYS = 35  # marketing development funds booked for Acme and Globex


def _plans(year_start: date, *, ends_on: date | None = None) -> None:
    """A plan for every tier for the year starting on ``year_start`` (last year's ended on 31 December)."""
    specs = {
        "Registered": [dict(kind=Kind.PERCENTAGE, rate=Decimal("5"))],
        "Silver": [dict(kind=Kind.PERCENTAGE, rate=Decimal("8")), dict(kind=Kind.FLAT_BONUS, amount=Decimal("250.00"))],
        "Gold": [
            dict(kind=Kind.BRACKETS, brackets=[{"from": "0", "rate": "10"}, {"from": "100000", "rate": "12"}]),
            dict(kind=Kind.ACCELERATOR, rate=Decimal("2"), target=Decimal("500000.00")),
            dict(
                kind=Kind.SPIF,
                product="Security Add-on",
                amount=Decimal("500.00"),
                starts_on=year_start,
                ends_on=date(year_start.year, 12, 31),
            ),
            dict(kind=Kind.CAP, amount=Decimal("250000.00")),
        ],
        "Platinum": [
            dict(kind=Kind.BRACKETS, brackets=[{"from": "0", "rate": "12"}, {"from": "250000", "rate": "15"}]),
            dict(kind=Kind.CAP, amount=Decimal("500000.00")),
        ],
    }
    for tier in Tier.objects.all():
        plan, created = CommissionPlan.objects.get_or_create(
            name=f"{tier.name} {year_start.year}",
            version=1,
            defaults=dict(tier=tier, currency="USD", starts_on=year_start, ends_on=ends_on),
        )
        if created:
            for order, rule in enumerate(specs.get(tier.name, [dict(kind=Kind.PERCENTAGE, rate=Decimal("5"))])):
                CommissionRule.objects.create(plan=plan, order=order, **rule)


def _rates(today: date) -> None:
    """Finance's weekly rates, back to before the first deal of the year was won."""
    for days_ago in range(0, RATE_DAYS, 7):
        day = today - timedelta(days=days_ago)
        drift = Decimal(days_ago % 28) / Decimal(10000)
        ExchangeRate.objects.get_or_create(
            date=day, from_currency="USD", to_currency="EUR", defaults={"rate": Decimal("0.9200") + drift}
        )
        ExchangeRate.objects.get_or_create(
            date=day, from_currency="GBP", to_currency="USD", defaults={"rate": Decimal("1.2700") - drift}
        )


def _date_run(run: PayoutRun, *, created, approved, paid=None) -> None:
    """Finance ran, approved and paid the run in the days after its period ended, not today."""
    changes = {"created_at": created, "calculated_at": created + timedelta(minutes=2), "approved_at": approved}
    if paid is not None:
        changes["paid_at"] = paid
    PayoutRun.objects.filter(pk=run.pk).update(heartbeat_at=changes["calculated_at"], **changes)
    when = {
        PayoutRun.Status.CALCULATING: created,
        PayoutRun.Status.CALCULATED: changes["calculated_at"],
        PayoutRun.Status.APPROVED: approved,
        PayoutRun.Status.PAID: paid,
    }
    for record in run.history.all():
        run.history.filter(pk=record.pk).update(history_date=when.get(record.status) or created)


def _tier_history() -> dict[int, list[tuple]]:
    history: dict[int, list[tuple]] = {}
    for partner_id, tier_id, changed_at in TierChange.objects.order_by("changed_at", "id").values_list(
        "partner_id", "to_tier_id", "changed_at"
    ):
        history.setdefault(partner_id, []).append((timezone.localdate(changed_at), tier_id))
    return history


def _book_the_year(manager: User, finance: User, acme: Partner, globex: Partner, today: date) -> None:
    """Every win of the year booked the day it was won, under the plan and tier of that day (in the
    ledger's date order), with the marketing funds of last month among them."""
    tiers = _tier_history()
    events = [(deal.closed_on, 0, deal) for deal in DealRegistration.objects.filter(status="won").order_by("id")]
    events += [(today - timedelta(days=MDF_DAYS), 1, None)]
    for day, _, deal in sorted(events, key=lambda e: (e[0], e[1], e[2].pk if e[2] else 0)):
        if deal is None:
            for partner, amount, currency in [(acme, "1500.00", "USD"), (globex, "900.00", "EUR")]:
                services.commission_adjust(
                    partner=partner,
                    amount=Decimal(amount),
                    currency=currency,
                    by=finance,
                    explanation="Marketing development funds, Q3 co-marketing campaign",
                    booked_on=day,
                )
            continue
        # The tier the partner held on the day (a later upgrade does not reach back).
        held = [tier for since, tier in tiers.get(deal.partner_id, []) if since <= day]
        if held:
            Partner.objects.filter(pk=deal.partner_id).update(tier_id=held[-1])
        services.commission_book_for_win(deal=deal, by=manager, booked_on=day)
    for partner_id, changes in tiers.items():
        Partner.objects.filter(pk=partner_id).update(tier_id=changes[-1][1])


def _monthly_runs(finance: User, finance2: User, today: date, now) -> None:
    """A run at every month's end: created on the 3rd, approved the next day by the other finance
    user (four eyes), paid five days later; last month's is approved and not paid yet."""
    for back in range(RUN_MONTHS, 0, -1):
        period_end = month_last_day(month_start(today, back))
        creator, approver = (finance, finance2) if back % 2 else (finance2, finance)
        run = services.payout_run_create(period_end=period_end, by=creator)
        services.payout_run_calculate(run.pk)
        services.payout_run_approve(run=PayoutRun.objects.get(pk=run.pk), by=approver)
        created = moment(min(period_end + timedelta(days=3), today), 9, now=now)
        approved = max(created, moment(min(period_end + timedelta(days=4), today), 11, now=now))
        paid = None
        if back > 1:
            run = PayoutRun.objects.get(pk=run.pk)
            services.payout_run_mark_paid(run=run, by=creator, reference=f"SEPA-PRM-{period_end:%Y%m}")
            paid = moment(period_end + timedelta(days=9), 15, now=now)
        _date_run(run, created=created, approved=approved, paid=paid)


def seed(*, stdout) -> None:
    if PayoutRun.objects.exists():
        stdout.write("incentives: already loaded")
        return
    today, now = timezone.localdate(), timezone.now()
    # A plan a year for every tier, from the year of the oldest deal of the story on.
    for year in range((today - timedelta(days=RATE_DAYS)).year, today.year + 1):
        _plans(date(year, 1, 1), ends_on=date(year, 12, 31) if year < today.year else None)
    _rates(today)
    finance, finance2 = User.objects.get(email="finance@demo.test"), User.objects.get(email="finance2@demo.test")
    manager = User.objects.get(email="manager@demo.test")
    acme, globex = Partner.objects.get(name="Acme Cloud Partners"), Partner.objects.get(name="Globex Solutions")

    # The year: every win booked, the marketing funds of last month, a run at every month's end.
    with documents_on_demand():
        _book_the_year(manager, finance, acme, globex, today)
        _monthly_runs(finance, finance2, today, now)

    # Today: one more win, booked and not paid yet.
    proseware = DealRegistration.objects.filter(customer_name="Proseware AG", status="approved").first()
    if proseware:
        deal_services.deal_close(deal=proseware, by=manager, outcome="won", amount=Decimal("77000.00"))
    stdout.write(
        f"incentives: {CommissionPlan.objects.count()} plans, {CommissionLine.objects.count()} commission lines, "
        f"{PayoutRun.objects.filter(status='paid').count()} paid payout runs and an approved one"
    )
