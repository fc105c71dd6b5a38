"""A payout run computed and its PDFs rendered by a real Celery worker on a real Redis broker, and
computed once after its whole worker was killed half-way."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection
from django.utils import timezone

from incentives import services
from incentives.models import PayoutRun, PayoutStatement

from .. import waiting
from ..factories import CommissionLineFactory
from ..locking import held_elsewhere, sessions_waiting_for_locks

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def wait_for(condition, timeout=30.0):
    return waiting.wait_for(condition, timeout)


def test_a_worker_calculates_the_run_and_renders_its_statements(celery_broker, partner, rival, finance):
    CommissionLineFactory(partner=partner, amount="120.00")
    CommissionLineFactory(partner=rival, amount="75.25", currency="EUR")
    celery_broker.control.purge()
    with start_worker(celery_broker, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=20):
        run = services.payout_run_create(period_end=timezone.localdate() - timedelta(days=1), by=finance)
        assert wait_for(lambda: PayoutRun.objects.get(pk=run.pk).status == "calculated"), PayoutRun.objects.get(
            pk=run.pk
        ).error
        assert wait_for(lambda: PayoutRun.objects.get(pk=run.pk).pdfs_rendered == 2)
    statements = PayoutStatement.objects.filter(run=run).order_by("currency")
    assert [(s.currency, str(s.total)) for s in statements] == [("EUR", "75.25"), ("USD", "120.00")]
    assert all(s.pdf for s in statements)


def worker_process(env: dict, log_path, *, beat_schedule=None) -> subprocess.Popen:
    """A real ``celery -A prm worker`` (main process and one pool child) in a process group of its own."""
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "prm",
        "worker",
        "--pool=prefork",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if beat_schedule:
        command += ["--beat", "--schedule", str(beat_schedule)]  # the watchdog's beat, embedded
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)


def test_database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # a helper, not a test


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker process needs the test database on a server (SQLite's is in memory) and the ledger lock is "
    "PostgreSQL's",
)
def test_a_run_whose_whole_worker_is_killed_completes_once_after_the_watchdog_restarts_it(
    celery_broker, redis_url, partner, rival, finance, tmp_path
):
    """The field report: the ledger briefly locked, a run created, the whole worker killed with
    SIGKILL, a new worker started. Redis would hand the task out again only after its visibility
    timeout (hours); the watchdog restarts the run within its period, and it is computed once."""
    CommissionLineFactory(partner=partner, amount="120.00")
    CommissionLineFactory(partner=rival, amount="75.25", currency="EUR")
    celery_broker.control.purge()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC"))},
        "DJANGO_SETTINGS_MODULE": "prm.settings",
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": redis_url,
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PRM_LOCK_TIMEOUT": "60",  # the killed worker waits for the ledger until it dies
        "PRM_WORK_STALE_SECONDS": "3",
        "PRM_WORK_WATCHDOG_SECONDS": "1",
    }
    first = second = None
    try:
        # A deal is being closed: its commission lines are being booked, the ledger is locked.
        with held_elsewhere("LOCK TABLE incentives_commissionline IN ROW EXCLUSIVE MODE"):
            first = worker_process(env, tmp_path / "first-worker.log")
            run = services.payout_run_create(period_end=timezone.localdate() - timedelta(days=1), by=finance)
            assert wait_for(lambda: sessions_waiting_for_locks() == 1, timeout=40), (
                tmp_path / "first-worker.log"
            ).read_text()
            os.killpg(first.pid, signal.SIGKILL)  # the whole worker: main process and pool child
            first.wait(timeout=10)
        assert PayoutRun.objects.get(pk=run.pk).status == "calculating"

        second = worker_process(env, tmp_path / "second-worker.log", beat_schedule=tmp_path / "beat-schedule")
        started = time.monotonic()
        assert wait_for(lambda: PayoutRun.objects.get(pk=run.pk).status == "calculated", timeout=40), (
            tmp_path / "second-worker.log"
        ).read_text()
        # A worker's start (a few seconds here), then one stale limit and one watchdog period.
        assert time.monotonic() - started < 30
        assert wait_for(lambda: PayoutRun.objects.get(pk=run.pk).pdfs_rendered == 2, timeout=30)
    finally:
        for process in (first, second):
            if process is not None:
                stop(process)

    run = PayoutRun.objects.get(pk=run.pk)
    statements = PayoutStatement.objects.filter(run=run).order_by("currency")
    assert [(s.currency, str(s.total), s.line_count) for s in statements] == [("EUR", "75.25", 1), ("USD", "120.00", 1)]
    assert all(s.pdf for s in statements)
    assert run.history.filter(status="calculated").count() == 1  # computed once
    assert "Restarted stale payout calculation" in (tmp_path / "second-worker.log").read_text()
