"""A real Celery worker, consuming from a real Redis broker, runs the project's tasks."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from partners import services

from .. import waiting

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout=20.0):
    return waiting.wait_for(condition, timeout)


def test_invitation_mail_is_sent_by_a_worker_after_commit(celery_broker, partner, manager):
    celery_broker.control.purge()
    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        services.invitation_send(partner=partner, email="dana@acme.example.com", invited_by=manager)
        assert wait_for(lambda: len(mail.outbox) == 1), "the worker did not deliver the invitation"
    message = mail.outbox[0]
    assert message.to == ["dana@acme.example.com"]
    assert "Acme Cloud Partners" in message.subject
    assert "/accounts/invitation/" in message.body


def test_nothing_is_enqueued_when_the_transaction_rolls_back(celery_broker, partner, manager):
    from django.db import transaction

    celery_broker.control.purge()

    class Abort(Exception):
        pass

    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        with pytest.raises(Abort), transaction.atomic():
            services.invitation_send(partner=partner, email="erin@acme.example.com", invited_by=manager)
            raise Abort
        time.sleep(1.0)
    assert mail.outbox == []
