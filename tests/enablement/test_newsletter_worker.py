"""Newsletters sent by real Celery workers on a real Redis broker into the real SMTP sink on
loopback: every recipient exactly once under a double send request, duplicated tasks, and a whole
worker killed (SIGKILL) mid-send and resumed by the watchdog."""

import asyncio
import os
import signal
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import OperationalError, connection

from enablement import services
from enablement.models import Newsletter, NewsletterDelivery
from enablement.tasks import send_newsletter
from prm.errors import StateConflict
from prm.roles import Role

from .. import waiting
from ..factories import PartnerFactory, PartnerUserFactory
from ..incentives.test_worker import stop, test_database_url, worker_process
from ..smtp_sink import SMTPSink

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout=60.0):
    return waiting.wait_for(condition, timeout)


def status_of(newsletter) -> str | None:
    """The newsletter's status, or None while the database cannot answer yet: on SQLite the
    in-process worker thread shares the database and holds its table lock while it writes
    ("database table is locked"); polling again a moment later is the right answer to that."""
    try:
        return Newsletter.objects.values_list("status", flat=True).get(pk=newsletter.pk)
    except OperationalError:
        return None


def recipients(n: int) -> list[str]:
    partner = PartnerFactory()
    users = PartnerUserFactory.create_batch(n, partner=partner, role=Role.PARTNER_REP)
    return sorted(u.email for u in users)


@pytest.fixture
def smtp(settings):
    with SMTPSink() as sink:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = sink.host, sink.port, 10
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield sink


def test_a_double_send_request_and_duplicated_tasks_mail_everyone_exactly_once(celery_broker, smtp, manager, settings):
    settings.PRM_NEWSLETTER_BATCH_SIZE = 7
    emails = recipients(40)
    newsletter = services.newsletter_save(by=manager, data={"subject": "Once", "body_markdown": "Only once."})
    celery_broker.control.purge()
    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
        services.newsletter_send(newsletter=newsletter, by=manager)
        with pytest.raises(StateConflict):  # the double click, while the worker may be writing
            waiting.unlocked(lambda: services.newsletter_send(newsletter=newsletter, by=manager))
        # A task delivered twice and a second task for the same send (a retry, a second worker).
        send_newsletter.delay(newsletter.pk)
        send_newsletter.delay(newsletter.pk)
        assert wait_for(lambda: status_of(newsletter) == "sent")
        send_newsletter.delay(newsletter.pk)  # after the end too
        time.sleep(1.0)
    assert smtp.duplicates() == {}
    assert sorted(smtp.per_recipient) == emails and smtp.total == 40
    newsletter.refresh_from_db()
    assert (newsletter.recipient_count, newsletter.sent_count, newsletter.failed_count) == (40, 40, 0)
    assert NewsletterDelivery.objects.filter(newsletter=newsletter).count() == 40


class SlowSink(SMTPSink):
    """A mail server that takes a moment per message, so a send lasts long enough to kill its worker."""

    async def handle_DATA(self, server, session, envelope):
        answer = await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(0.03)
        return answer


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the worker process needs the test database on a server")
def test_a_send_whose_whole_worker_is_killed_resumes_and_mails_everyone_once(
    celery_broker, redis_url, manager, tmp_path
):
    emails = recipients(150)
    newsletter = services.newsletter_save(by=manager, data={"subject": "Killed", "body_markdown": "Still once."})
    celery_broker.control.purge()
    first = second = None
    with SlowSink() as sink:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC"))},
            "DJANGO_SETTINGS_MODULE": "prm.settings",
            "DATABASE_URL": test_database_url(),
            "CELERY_BROKER_URL": redis_url,
            "EMAIL_URL": f"smtp://{sink.host}:{sink.port}",
            "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "PRM_NEWSLETTER_BATCH_SIZE": "20",
            "PRM_NEWSLETTER_CLAIM_STALE_SECONDS": "3",
            "PRM_WORK_STALE_SECONDS": "3",
            "PRM_WORK_WATCHDOG_SECONDS": "1",
        }
        try:
            first = worker_process(env, tmp_path / "first-worker.log")
            services.newsletter_send(newsletter=newsletter, by=manager)
            assert wait_for(lambda: sink.total >= 30, timeout=60), (tmp_path / "first-worker.log").read_text()
            os.killpg(first.pid, signal.SIGKILL)  # the whole worker, mid-batch
            first.wait(timeout=10)
            killed_at = sink.total
            assert killed_at < 150 and status_of(newsletter) == "sending"

            second = worker_process(env, tmp_path / "second-worker.log", beat_schedule=tmp_path / "beat-schedule")
            assert wait_for(lambda: status_of(newsletter) == "sent", timeout=90), (
                tmp_path / "second-worker.log"
            ).read_text()
        finally:
            for process in (first, second):
                if process is not None:
                    stop(process)
        assert sink.duplicates() == {}
        # Nobody is missed, but for the window this design accepts instead of a duplicate
        # (BENCHMARKS.md, the newsletter kill trials): the worker dies after the delivery's record
        # committed and before the mail's final "." reached the server. One mail is in flight on
        # the batch's one connection, so at most one recipient; a real loss of a batch is more.
        missed = set(emails) - set(sink.per_recipient)
        assert len(missed) <= 1, sorted(missed)
        assert set(sink.per_recipient) <= set(emails)
    newsletter.refresh_from_db()
    assert (newsletter.recipient_count, newsletter.sent_count) == (150, 150)
    assert "Restarted stale newsletter send" in (tmp_path / "second-worker.log").read_text()
