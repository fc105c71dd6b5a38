"""A QBR pack rendered by a real Celery worker on a real Redis broker, chunk by chunk, its progress
read while it works, and a QBR asked for in a request rendered once the request commits."""

import io
import zipfile
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection

from performance import tasks
from performance.models import QbrPack, QuarterlyReview
from performance.services import qbr as services

from .. import waiting
from ..factories import DealFactory, PartnerFactory
from .conftest import last_quarter, moment

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="the worker thread shares SQLite's in-memory test database with this thread, whose table locks fail "
        "at once instead of waiting (SQLITE_LOCKED): polling the pack's progress makes the worker's writes fail; "
        "on SQLite the pack is tested in-process (test_qbr_pack.py)",
    ),
]


def wait_for(condition, timeout=60.0):
    return waiting.wait_for(condition, timeout)


def test_a_worker_renders_a_pack_in_chunks_reporting_its_progress(celery_broker, manager, monkeypatch):
    q = last_quarter()
    for i in range(5):
        partner = PartnerFactory(name=f"Worker Partner {i}")
        type(partner).objects.filter(pk=partner.pk).update(created_at=moment(q - timedelta(days=30)))
        DealFactory(partner=partner, submitted_at=moment(q + timedelta(days=3)))
    monkeypatch.setattr(tasks, "PACK_CHUNK", 2)  # three tasks: 2 + 2 + 1 PDFs, then the ZIP
    celery_broker.control.purge()
    seen = set()
    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
        pack = services.qbr_pack_request(quarter=q, by=manager)  # outside a transaction: enqueued at once
        assert pack.total == 5

        def finished():
            current = QbrPack.objects.get(pk=pack.pk)
            seen.add(current.done)
            return current.status != "rendering"

        assert wait_for(finished)
    pack.refresh_from_db()
    assert (pack.status, pack.done, pack.total) == ("ready", 5, 5), pack.error
    assert len(seen) > 1  # progress was seen moving, not only the end
    assert pack.heartbeat_at is not None
    with pack.archive.open("rb") as data, zipfile.ZipFile(io.BytesIO(data.read())) as archive:
        assert len(archive.namelist()) == 5
    assert QuarterlyReview.objects.filter(quarter=q, pdf_status="ready").count() == 5


def test_a_worker_renders_a_prepared_qbr_after_the_commit(celery_broker, partner, manager):
    celery_broker.control.purge()
    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
        review = services.qbr_prepare(partner=partner, quarter=last_quarter(), by=manager, goals="Grow")
        assert wait_for(lambda: QuarterlyReview.objects.get(pk=review.pk).pdf_status != "pending")
    review.refresh_from_db()
    assert review.pdf_status == "ready", review.pdf_error
