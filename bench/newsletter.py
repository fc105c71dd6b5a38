"""Benchmark: a newsletter to 100,000 partner users, sent by real Celery workers into a local SMTP sink.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench .venv/bin/python bench/newsletter.py

Creates --recipients partner users (in bench partners of their own country, Antarctica, so the
newsletter's audience is exactly them), starts an SMTP sink on loopback (tests/smtp_sink.py, in
this process) and real ``celery -A prm worker`` processes on Redis, then:

1. sends a newsletter and reports mails per second from the send request to the last delivery
   (target: at least 300 on a 2-core machine);
2. sends a second newsletter, SIGKILLs the whole worker (main process and pool children) once a
   third of it is out, starts a new worker and the watchdog's beat, lets the send finish, and
   reports duplicates (recipients mailed twice: must be 0) and missed recipients (never mailed:
   must be 0).
"""

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/9")
# The watchdog notices a dead worker after this many seconds without a sign of life.
os.environ.setdefault("PRM_WORK_STALE_SECONDS", "10")
os.environ.setdefault("PRM_WORK_WATCHDOG_SECONDS", "2")

COUNTRY = "AQ"  # bench partners only: no real partner is in Antarctica
USERS_PER_PARTNER = 100
EMAIL = "bench-news-{:06d}@example.test"


def setup_django():
    import django

    django.setup()


def build(recipients: int):
    """Bench partners and users up to ``recipients`` users (kept between runs), and a manager."""
    from django.contrib.auth.hashers import make_password

    from partners.models import Partner, User
    from prm.scoping import scopes_disabled

    with scopes_disabled():
        manager = User.objects.filter(email="bench-news-manager@example.test").first()
        if manager is None:
            manager = User.objects.create_user(
                email="bench-news-manager@example.test", role="manager", is_staff=True, password=None
            )
        partners = list(Partner.objects.filter(country=COUNTRY).order_by("id"))
        needed = -(-recipients // USERS_PER_PARTNER)
        if len(partners) < needed:
            Partner.objects.bulk_create(
                Partner(name=f"Bench News Partner {i}", status="active", partner_type="reseller", country=COUNTRY)
                for i in range(len(partners), needed)
            )
            partners = list(Partner.objects.filter(country=COUNTRY).order_by("id"))
        have = User.objects.filter(partner__country=COUNTRY).count()
        unusable = make_password(None)
        batch = []
        for i in range(have, recipients):
            batch.append(
                User(
                    email=EMAIL.format(i),
                    full_name=f"Bench Reader {i}",
                    role="partner_rep",
                    partner=partners[i // USERS_PER_PARTNER],
                    password=unusable,
                )
            )
            if len(batch) == 5000:
                User.objects.bulk_create(batch)
                batch = []
        if batch:
            User.objects.bulk_create(batch)
        User.objects.filter(partner__country=COUNTRY, email__gte=EMAIL.format(recipients)).update(is_active=False)
        User.objects.filter(partner__country=COUNTRY, email__lt=EMAIL.format(recipients)).update(is_active=True)
    return manager


def compose(manager, subject: str):
    from enablement import services

    return services.newsletter_save(
        by=manager,
        data={
            "subject": subject,
            "body_markdown": (
                "## What is new this quarter\n\nThe **security bundle** SPIF runs until March: 2% on top of your "
                "plan for every won deal that includes it.\n\n- Register deals early: approval gives 90 days of "
                "protection.\n- Two new courses in the training catalogue.\n\n[Read more](https://example.com/news)"
            ),
            "tiers": [],
            "partner_types": [],
            "countries": [COUNTRY],
            "partner_statuses": ["active"],
            "recipients": "all",
        },
    )


def worker(env: dict, log: Path, concurrency: int, *, with_beat: bool = False) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "prm",
        "worker",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    if with_beat:
        command += ["--beat", "--schedule", str(log.with_suffix(".beat"))]
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill(process: subprocess.Popen, sig=signal.SIGKILL) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


def progress(newsletter_id: int):
    from enablement.models import Newsletter

    return Newsletter.objects.filter(pk=newsletter_id).values(
        "status", "recipient_count", "sent_count", "skipped_count", "failed_count"
    )[0]


def wait_until(condition, timeout: float, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise TimeoutError("the send did not get there in time")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes")
    parser.add_argument("--kill-at", type=float, default=1 / 3, help="fraction sent when the worker is killed")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conflicts import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    from tests.smtp_sink import SMTPSink

    sink = SMTPSink(keep_messages=False).start()
    os.environ["EMAIL_URL"] = f"smtp://{sink.host}:{sink.port}"
    setup_django()
    import redis
    from django.core.management import call_command
    from django.db import connection

    from enablement import services
    from enablement.models import Newsletter
    from prm.scoping import scopes_disabled

    call_command("migrate", verbosity=0)
    redis.Redis.from_url(os.environ["CELERY_BROKER_URL"]).flushdb()
    started = time.perf_counter()
    manager = build(args.recipients)
    print(f"recipients ready: {args.recipients:,} ({time.perf_counter() - started:.1f} s)")
    connection.close()

    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    logs = Path(tempfile.mkdtemp(prefix="prm-bench-news-"))
    results = {}
    with scopes_disabled():
        # 1. Throughput.
        first = compose(manager, "Partner news (throughput run)")
        process = worker(env, logs / "worker1.log", args.concurrency)
        time.sleep(3)  # the worker is up before the clock starts
        started = time.perf_counter()
        services.newsletter_send(newsletter=first, by=manager)
        done = wait_until(lambda: (p := progress(first.pk))["status"] == Newsletter.Status.SENT and p, 3600)
        elapsed = time.perf_counter() - started
        kill(process, signal.SIGTERM)
        results["throughput"] = (done, elapsed, sink.total, len(sink.duplicates()))
        print(
            f"run 1: {done['sent_count']:,} sent, {done['skipped_count']} skipped, {done['failed_count']} failed "
            f"in {elapsed:.1f} s = {done['sent_count'] / elapsed:.0f} mails/s; sink received {sink.total:,}, "
            f"{len(sink.duplicates())} duplicates, {sink.connections} SMTP connections"
        )

        # 2. A worker killed mid-send.
        sink.per_recipient.clear()
        second = compose(manager, "Partner news (kill run)")
        process = worker(env, logs / "worker2.log", args.concurrency)
        time.sleep(3)
        started = time.perf_counter()
        services.newsletter_send(newsletter=second, by=manager)
        wait_until(lambda: sink.total >= args.recipients * args.kill_at, 3600, every=0.05)
        kill(process)
        at_kill = progress(second.pk)
        print(
            f"run 2: worker SIGKILLed with {sink.total:,} received and {at_kill['sent_count']:,} recorded as sent; "
            "new worker with the watchdog's beat started"
        )
        process = worker(env, logs / "worker3.log", args.concurrency, with_beat=True)
        done = wait_until(lambda: (p := progress(second.pk))["status"] == Newsletter.Status.SENT and p, 3600)
        elapsed = time.perf_counter() - started
        kill(process, signal.SIGTERM)
        expected = {EMAIL.format(i) for i in range(args.recipients)}
        received = set(sink.per_recipient)
        duplicates = sink.duplicates()
        missed = expected - received
        print(
            f"run 2: finished in {elapsed:.1f} s (including the kill and the watchdog's wait of "
            f"{os.environ['PRM_WORK_STALE_SECONDS']} s): {done['sent_count']:,} sent, {done['failed_count']} failed; "
            f"duplicates {len(duplicates)}, missed {len(missed)}"
        )
        if duplicates or missed:
            print("  duplicates:", sorted(duplicates)[:10], " missed:", sorted(missed)[:10])
    sink.stop()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; logs {logs}")
    throughput = results["throughput"][0]["sent_count"] / results["throughput"][1]
    ok = throughput >= 300 and not duplicates and not missed
    print(
        f"{'PASS' if ok else 'FAIL'}: {throughput:.0f} mails/s (target >= 300), duplicates {len(duplicates)} "
        f"(target 0), missed {len(missed)} (target 0)"
    )


if __name__ == "__main__":
    main()
