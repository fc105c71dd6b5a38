"""A payout run computed and its PDFs rendered by a real Celery worker on a real Redis broker."""

import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from incentives import services
from incentives.models import PayoutRun, PayoutStatement

from ..factories import CommissionLineFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_calculates_the_run_and_renders_its_statements(celery_broker, partner, rival, finance):
    CommissionLineFactory(partner=partner, amount="120.00")
    CommissionLineFactory(partner=rival, amount="75.25", currency="EUR")
    celery_broker.control.purge()
    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
        run = services.payout_run_create(period_end=timezone.localdate() - timedelta(days=1), by=finance)
        assert wait_for(lambda: PayoutRun.objects.get(pk=run.pk).status == "calculated"), PayoutRun.objects.get(pk=run.pk).error
        assert wait_for(lambda: PayoutRun.objects.get(pk=run.pk).pdfs_rendered == 2)
    statements = PayoutStatement.objects.filter(run=run).order_by("currency")
    assert [(s.currency, str(s.total)) for s in statements] == [("EUR", "75.25"), ("USD", "120.00")]
    assert all(s.pdf for s in statements)
