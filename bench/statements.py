"""Benchmark: rendering payout statement PDFs with WeasyPrint.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench .venv/bin/python bench/statements.py

Builds --statements statements of --lines lines each (bench partners, their own run), then
times (1) one 50-line statement rendered --repeat times in this process (target: under 0.5 s
each), and (2) all statements rendered by --workers processes in parallel, each rendering and
storing its share as incentives.tasks.render_statement_pdfs does (target: 1,000 statements by 2
workers in under 5 minutes).
"""

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench")
os.environ.setdefault("PRIVATE_MEDIA_ROOT", tempfile.mkdtemp(prefix="prm-bench-pdf-"))


def setup_django():
    import django

    django.setup()


def build(statements: int, lines: int) -> int:
    from django.db import connection
    from django.utils import timezone

    from incentives.models import CommissionLine, PayoutRun, PayoutStatement
    from partners.models import Partner, User

    finance = User.objects.filter(email="bench-statements@example.com").first() or User.objects.create_user(
        email="bench-statements@example.com", role="finance", is_staff=True
    )
    PayoutRun.objects.filter(created_by=finance).delete()
    partners = list(Partner.objects.order_by("id")[:statements])
    while len(partners) < statements:
        partners.append(
            Partner.objects.create(
                name=f"Bench Statement Partner {len(partners)}", partner_type="reseller", country="US"
            )
        )
    booked = timezone.localdate() - timedelta(days=1)  # the ledger only grows in date order
    run = PayoutRun.objects.create(period_end=booked, created_by=finance, status="calculated", open_slot=None)
    for partner in partners:
        created = CommissionLine.objects.bulk_create(
            CommissionLine(
                partner=partner,
                kind="accrual",
                base_amount=Decimal("48000.00"),
                rate=Decimal("12"),
                amount=Decimal("5760.00"),
                currency="USD",
                booked_on=booked,
                explanation=f"12% (10% + 2% Gold uplift) of 48,000.00 USD (Gold 2026 plan, bracket above "
                f"100,000.00), deal Customer {i}",
            )
            for i in range(lines)
        )
        PayoutStatement.objects.create(
            run=run,
            partner=partner,
            currency="USD",
            total=Decimal("5760.00") * lines,
            line_count=lines,
            after_line_id=created[0].pk - 1,
            last_line_id=created[-1].pk,
        )
    connection.close()
    return run.pk


def render_share(args) -> int:
    run_id, worker, workers = args
    setup_django()
    from incentives import services
    from incentives.models import PayoutStatement
    from prm.scoping import scopes_disabled

    with scopes_disabled():
        mine = PayoutStatement.objects.filter(run_id=run_id).order_by("id")
        count = 0
        for statement in mine:
            if statement.pk % workers == worker:
                services.statement_pdf_store(statement_id=statement.pk)
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conflicts import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    setup_django()
    from django.core.management import call_command

    from incentives.models import PayoutStatement
    from incentives.pdf import statement_pdf
    from prm.scoping import scopes_disabled

    call_command("migrate", verbosity=0)
    with scopes_disabled():
        run_id = build(args.statements, args.lines)
        statement = PayoutStatement.objects.filter(run_id=run_id).select_related("run", "partner").first()
        statement_pdf(statement)  # warm fonts and templates
        single = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            pdf = statement_pdf(statement)
            single.append(time.perf_counter() - started)

    from django.db import connections

    connections.close_all()  # each worker process opens its own connection
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(args.workers) as pool:
        rendered = sum(pool.map(render_share, [(run_id, w, args.workers) for w in range(args.workers)]))
    batch = time.perf_counter() - started

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"one {args.lines}-line statement ({len(pdf.read()) // 1024} KiB): median {statistics.median(single):.3f} s, "
        f"max {max(single):.3f} s of {args.repeat} (target < 0.5 s)"
    )
    print(
        f"{rendered} statements of {args.lines} lines by {args.workers} workers: {batch:.1f} s, "
        f"{rendered / batch:.1f} per second (target 1,000 in under 300 s)"
    )


if __name__ == "__main__":
    main()
