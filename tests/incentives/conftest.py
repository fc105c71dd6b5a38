from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

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


@pytest.fixture
def requests_commit(monkeypatch, django_capture_on_commit_callbacks):
    """Every test-client request commits when it ends, as a request does in production: what it
    enqueued on commit (eager Celery tasks: calculations, documents) runs then, outside the
    request's transactions, and never for a transaction that rolled back."""
    for client_class in (Client, APIClient):
        original = client_class.request

        def request(self, *args, _original=original, **kwargs):
            with django_capture_on_commit_callbacks(execute=True):
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(client_class, "request", request)
