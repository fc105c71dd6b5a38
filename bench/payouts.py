"""Benchmark: a payout run over 1,000,000 unpaid commission lines of 10,000 partners (PostgreSQL),
against a hand-written SQL GROUP BY of the same totals, timed in the same process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench .venv/bin/python bench/payouts.py

Loads the partners and lines once (later runs reuse them), then times, --repeat times each:
the baseline GROUP BY (totals per partner and currency), and the run as finance starts it
(incentives.services.payout_run_calculate: the statements computed and inserted in one
transaction). PDFs are rendered separately (bench/statements.py). Targets (DESIGN.md): within
3x of the baseline, and under 60 s.
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench")

BASELINE_SQL = """
SELECT partner_id, currency, SUM(amount), COUNT(*), MAX(id)
FROM incentives_commissionline
WHERE booked_on <= %s
GROUP BY partner_id, currency
"""


def load(lines: int, partners: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM partners_partner")
        have = cursor.fetchone()[0]
        if have < partners:
            with cursor.copy(
                "COPY partners_partner (name, status, partner_type, country, website, domain, legal_name, address_line,"
                " postal_code, city, phone, description, specializations, created_at) FROM STDIN"
            ) as copy:
                for i in range(have, partners):
                    copy.write_row(
                        (
                            f"Bench Payout Partner {i}",
                            "active",
                            "reseller",
                            "US",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "[]",
                            "2026-01-01T00:00:00Z",
                        )
                    )
        cursor.execute("SELECT id FROM partners_partner ORDER BY id LIMIT %s", [partners])
        ids = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT count(*) FROM incentives_commissionline")
        existing = cursor.fetchone()[0]
        if existing >= lines:
            return
        rng = random.Random(3)
        started = time.perf_counter()
        with cursor.copy(
            "COPY incentives_commissionline (partner_id, kind, amount, currency, original_currency, explanation,"
            " booked_on, created_at) FROM STDIN"
        ) as copy:
            for i in range(existing, lines):
                cents = rng.randint(-2_000, 50_000)
                copy.write_row(
                    (
                        rng.choice(ids),
                        "accrual",
                        f"{cents // 100}.{cents % 100:02d}" if cents >= 0 else f"-{-cents // 100}.{-cents % 100:02d}",
                        "USD" if i % 10 else "EUR",
                        "",
                        "12% of 1,000.00 USD under Gold 2026 plan",
                        "2026-06-01",
                        "2026-06-01T00:00:00Z",
                    )
                )
        cursor.execute("ANALYZE incentives_commissionline")
        print(f"loaded {lines - existing:,} lines in {time.perf_counter() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from conflicts import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from incentives import services
    from incentives.models import PayoutRun, PayoutStatement
    from partners.models import User
    from prm.scoping import scopes_disabled

    call_command("migrate", verbosity=0)
    load(args.lines, args.partners)
    period_end = timezone.localdate() - timedelta(days=1)
    with scopes_disabled():
        finance = User.objects.filter(email="bench-finance@example.com").first() or User.objects.create_user(
            email="bench-finance@example.com", role="finance", is_staff=True
        )
        baseline, runs, statements = [], [], 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(BASELINE_SQL, [period_end])
                groups = cursor.fetchall()
            baseline.append(time.perf_counter() - started)

            PayoutRun.objects.filter(created_by=finance).delete()
            run = PayoutRun.objects.create(period_end=period_end, created_by=finance)
            started = time.perf_counter()
            run = services.payout_run_calculate(run.pk)
            runs.append(time.perf_counter() - started)
            assert run.status == "calculated", run.error
            statements = PayoutStatement.objects.filter(run=run).count()
        PayoutRun.objects.filter(created_by=finance).delete()

    base, run = statistics.median(baseline), statistics.median(runs)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"lines: {args.lines:,}; partners: {args.partners:,}; groups: {len(groups):,}; statements: {statements:,} "
        "(groups below the minimum payout carry forward)"
    )
    print(f"baseline GROUP BY: median {base:.2f} s of {[round(b, 2) for b in baseline]}")
    print(f"payout run:        median {run:.2f} s of {[round(r, 2) for r in runs]}")
    print(
        f"ratio {run / base:.2f}x (target within 3x and under 60 s):",
        "met" if run <= 3 * base and run < 60 else "NOT met",
    )


if __name__ == "__main__":
    main()
