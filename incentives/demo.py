"""Demo commissions: a default plan for every tier, exchange rates, booked lines, and an
approved and a paid payout run."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from deals import services as deal_services
from deals.models import DealRegistration
from partners.models import Partner, Tier, User

from . import services
from .models import CommissionLine, CommissionPlan, CommissionRule, ExchangeRate, PayoutRun

Kind = CommissionRule.Kind


def _plans(year_start: date) -> None:
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
            defaults=dict(tier=tier, currency="USD", starts_on=year_start),
        )
        if created:
            for order, rule in enumerate(specs.get(tier.name, [dict(kind=Kind.PERCENTAGE, rate=Decimal("5"))])):
                CommissionRule.objects.create(plan=plan, order=order, **rule)


def _rates(today: date) -> None:
    for days_ago in range(0, 400, 7):
        day = today - timedelta(days=days_ago)
        drift = Decimal(days_ago % 28) / Decimal(10000)
        ExchangeRate.objects.get_or_create(
            date=day, from_currency="USD", to_currency="EUR", defaults={"rate": Decimal("0.9200") + drift}
        )
        ExchangeRate.objects.get_or_create(
            date=day, from_currency="GBP", to_currency="USD", defaults={"rate": Decimal("1.2700") - drift}
        )


def _date_run(run: PayoutRun, *, created_days: int, approved_days: int, paid_days: int | None = None) -> None:
    """Finance ran, approved and paid the run in the days after its period ended, not today."""
    now = timezone.now()
    created = now - timedelta(days=created_days)
    changes = {
        "created_at": created,
        "calculated_at": created + timedelta(minutes=2),
        "approved_at": now - timedelta(days=approved_days),
    }
    if paid_days is not None:
        changes["paid_at"] = now - timedelta(days=paid_days)
    PayoutRun.objects.filter(pk=run.pk).update(**changes)


def seed(*, stdout) -> None:
    if PayoutRun.objects.exists():
        stdout.write("incentives: already loaded")
        return
    today = timezone.localdate()
    _plans(date(today.year, 1, 1))
    _rates(today)
    finance, finance2 = User.objects.get(email="finance@demo.test"), User.objects.get(email="finance2@demo.test")
    manager = User.objects.get(email="manager@demo.test")
    acme, globex = Partner.objects.get(name="Acme Cloud Partners"), Partner.objects.get(name="Globex Solutions")

    # History: the deals won so far were booked two months ago and paid in the first run.
    for deal in DealRegistration.objects.filter(status="won").order_by("closed_on", "id"):
        services.commission_book_for_win(deal=deal, by=manager, booked_on=today - timedelta(days=70))
    paid = services.payout_run_create(period_end=today - timedelta(days=60), by=finance)
    services.payout_run_calculate(paid.pk)
    services.payout_run_approve(run=paid, by=finance2)
    services.payout_run_mark_paid(run=paid, by=finance, reference="SEPA-PRM-0001")
    _date_run(paid, created_days=59, approved_days=58, paid_days=57)

    # A month ago: marketing funds for both partners, approved but not paid yet.
    for partner, amount, currency in [(acme, "1500.00", "USD"), (globex, "900.00", "EUR")]:
        services.commission_adjust(
            partner=partner,
            amount=Decimal(amount),
            currency=currency,
            by=finance,
            explanation="Marketing development funds, Q3 co-marketing campaign",
            booked_on=today - timedelta(days=35),
        )
    approved = services.payout_run_create(period_end=today - timedelta(days=30), by=finance2)
    services.payout_run_calculate(approved.pk)
    services.payout_run_approve(run=approved, by=finance)
    _date_run(approved, created_days=29, approved_days=28)

    # Today: one more win, booked and not paid yet.
    proseware = DealRegistration.objects.filter(customer_name="Proseware AG", status="approved").first()
    if proseware:
        deal_services.deal_close(deal=proseware, by=manager, outcome="won", amount=Decimal("77000.00"))
    stdout.write(
        f"incentives: {CommissionPlan.objects.count()} plans, {CommissionLine.objects.count()} commission lines, "
        "a paid and an approved payout run"
    )
