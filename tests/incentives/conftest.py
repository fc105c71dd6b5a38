from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from incentives.models import CommissionLine, CommissionPlan, CommissionRule, ExchangeRate


def make_plan(*, tier=None, partner=None, rules, currency="USD", period="year", starts_on=None, name=None):
    plan = CommissionPlan.objects.create(
        name=name or f"Plan {CommissionPlan.objects.count() + 1}", tier=tier, partner=partner, currency=currency,
        period=period, starts_on=starts_on or date(2000, 1, 1),
    )
    for order, rule in enumerate(rules):
        CommissionRule.objects.create(plan=plan, order=order, **rule)
    return plan


def book_line(partner, amount, currency="USD", booked_on=None, kind="adjustment", explanation="Line"):
    """A ledger line as finance would book it (booked_on lets tests build history in id order)."""
    return CommissionLine.objects.create(
        partner=partner, kind=kind, amount=Decimal(amount), currency=currency, explanation=explanation,
        booked_on=booked_on or timezone.localdate() - timedelta(days=10),
    )


def rate(day, from_currency, to_currency, value):
    return ExchangeRate.objects.create(date=day, from_currency=from_currency, to_currency=to_currency, rate=Decimal(value))
