"""Benchmark: the staff leaderboard over 10,000 partners under 20 concurrent clients, served by gunicorn.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench .venv/bin/python bench/leaderboard.py --workers 2

Loads its own data the first time (later runs reuse it): four tiers, 10,000 partners of every
type in 25 countries, --deals registrations spread over the last 24 months (skewed: a few
partners register far more than most) with their submit, approval and close dates, and
--lines commission lines in date order. Certifications, downloads, cases, surveys and payouts
are left empty: their scorecard queries then cost next to nothing.

Then it times, in this process, the cold computation of the leaderboard's table (every partner's
scorecard for the trailing 12 months: what a request does when the cache is empty or a manager
presses "Recompute now"), starts gunicorn (production settings, --workers, Redis as the cache),
signs in a manager and loads with wrk (20 connections, --seconds): the first page sorted by won
revenue; the same page filtered by tier and country; and a mix of sort orders and pages (a Lua
script picks one of 20 columns, a direction and one of the first 20 pages per request). For
comparison it first loads an empty admin list (the extension requests): the admin's own cost per
page (session, user, permissions, the app list, the layout) on the same machine at the same time.
Target (DESIGN.md): p95 under 150 ms at 20 concurrent clients.
"""

import argparse
import importlib.util
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench")

from lists import WRK_REPORT, NoRedirect, request, wrk  # noqa: E402  (bench/lists.py)

# bench/conflicts.py, under another name: "conflicts" is also the project's app.
_spec = importlib.util.spec_from_file_location("bench_conflicts", ROOT / "bench" / "conflicts.py")
bench_conflicts = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_conflicts)
COUNTRIES, ensure_database = bench_conflicts.COUNTRIES, bench_conflicts.ensure_database

PASSWORD = "bench-Password-2026"
MANAGER = "bench-manager@example.com"
PREFIX = "Bench Leaderboard Partner"
TIERS = [("Registered", 1, 0), ("Silver", 2, 100_000), ("Gold", 3, 500_000), ("Platinum", 4, 2_000_000)]
TYPES = ["referral", "reseller", "technology", "msp"]
STATUSES = ["submitted"] * 10 + ["approved"] * 20 + ["won"] * 30 + ["lost"] * 20 + ["expired"] * 12 + ["rejected"] * 8
SORTS = [
    "won_revenue",
    "pipeline",
    "registrations",
    "won_deals",
    "win_rate",
    "avg_deal_size",
    "avg_days_to_close",
    "avg_approval_hours",
    "commission_earned",
    "commission_paid",
    "certified_users",
    "course_completions",
    "content_downloads",
    "open_cases",
    "open_disputes",
    "nps",
    "attainment_revenue",
    "attainment_deals",
    "attainment_certified",
    "name",
    "tier",
    "country",
    "partner_type",
]


def ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def load(partners: int, deals: int, lines: int) -> None:
    from django.db import connection

    today = date.today()
    first_day = today - timedelta(days=730)
    rng = random.Random(12)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM partners_partner WHERE name LIKE %s", [PREFIX + "%"])
        have = cursor.fetchone()[0]
        if have < partners:
            started = time.perf_counter()
            for name, rank, minimum in TIERS:
                cursor.execute(
                    "INSERT INTO partners_tier (name, rank, min_won_revenue_12m, min_certified_users,"
                    " commission_uplift_percent, protection_days) VALUES (%s, %s, %s, 0, 0, 90)"
                    " ON CONFLICT DO NOTHING",
                    [name, rank, minimum],
                )
            cursor.execute("SELECT id FROM partners_tier ORDER BY rank")
            tier_ids = [row[0] for row in cursor.fetchall()]
            with cursor.copy(
                "COPY partners_partner (name, status, tier_id, partner_type, country, website, domain, legal_name,"
                " address_line, postal_code, city, phone, description, specializations, created_at, activated_at)"
                " FROM STDIN"
            ) as copy:
                for i in range(have, partners):
                    created = datetime(2023, 1, 1, tzinfo=dt_timezone.utc) + timedelta(
                        days=rng.randint(0, 1300), hours=rng.randint(8, 18)
                    )
                    status = rng.choices(["active", "onboarding", "suspended"], [85, 10, 5])[0]
                    activated = created + timedelta(days=rng.randint(3, 90)) if status != "onboarding" else None
                    copy.write_row(
                        (
                            f"{PREFIX} {i:05d}",
                            status,
                            rng.choices(tier_ids, [50, 30, 15, 5])[0],
                            rng.choice(TYPES),
                            rng.choice(COUNTRIES),
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "[]",
                            ts(created),
                            ts(activated) if activated else None,
                        )
                    )
            for currency, rate in (("EUR", "1.08"), ("GBP", "1.27")):
                cursor.execute(
                    "INSERT INTO incentives_exchangerate (date, from_currency, to_currency, rate)"
                    " VALUES (%s, %s, 'USD', %s) ON CONFLICT DO NOTHING",
                    [first_day, currency, rate],
                )
            print(f"loaded {partners - have:,} partners in {time.perf_counter() - started:.0f} s")

        cursor.execute("SELECT id FROM partners_partner WHERE name LIKE %s ORDER BY id", [PREFIX + "%"])
        ids = [row[0] for row in cursor.fetchall()]
        # A few partners do most of the business: weights from a Pareto distribution.
        weights = [rng.paretovariate(1.2) for _ in ids]

        cursor.execute("SELECT count(*) FROM deals_dealregistration")
        existing = cursor.fetchone()[0]
        if existing < deals:
            started = time.perf_counter()
            owners = rng.choices(ids, weights, k=deals - existing)
            with cursor.copy(
                "COPY deals_dealregistration (partner_id, customer_name, customer_domain, customer_country,"
                " customer_contact_name, customer_contact_email, amount, currency, expected_close_date, products,"
                " notes, source, status, in_conflict_review, protected_until, rejection_reason, final_amount,"
                " closed_on, decided_at, submitted_at, approved_at, created_at, reversal_reason, name_key,"
                " name_block, word_block, domain_key, email_domain_key) FROM STDIN"
            ) as copy:
                now = datetime.now(dt_timezone.utc)
                for n, partner_id in enumerate(owners, start=existing):
                    submitted = datetime.combine(first_day, datetime.min.time(), dt_timezone.utc) + timedelta(
                        seconds=rng.randint(0, 730 * 86400)
                    )
                    status = rng.choice(STATUSES)
                    amount = rng.randint(1_000, 200_000)
                    approved = closed = final = decided = protected = None
                    if status in ("approved", "won", "lost", "expired"):
                        approved = submitted + timedelta(hours=rng.randint(1, 120))
                        decided = approved
                        protected = (approved + timedelta(days=90)).date()
                    if status in ("won", "lost"):
                        closed_at = min(approved + timedelta(days=rng.randint(10, 180)), now)
                        closed, decided = closed_at.date(), closed_at
                        if status == "won":
                            final = amount + rng.randint(-500, 500)
                    if status == "approved" and protected < today:
                        status = "expired"
                    if status == "rejected":
                        decided = submitted + timedelta(hours=rng.randint(1, 72))
                    name = f"Customer {n}"
                    copy.write_row(
                        (
                            partner_id,
                            name,
                            f"customer{n}.com",
                            rng.choice(COUNTRIES),
                            "Buyer",
                            f"buyer@customer{n}.com",
                            f"{amount}.00",
                            rng.choices(["USD", "EUR", "GBP"], [90, 7, 3])[0],
                            (submitted + timedelta(days=60)).date(),
                            "[]",
                            "",
                            rng.choices(["partner", "vendor"], [80, 20])[0],
                            status,
                            False,
                            protected,
                            "",
                            f"{final}.00" if final else None,
                            closed,
                            ts(decided) if decided else None,
                            ts(submitted),
                            ts(approved) if approved else None,
                            ts(submitted),
                            "",
                            name.lower(),
                            "cust",
                            "cust",
                            f"customer{n}.com",
                            f"customer{n}.com",
                        )
                    )
            cursor.execute("ANALYZE deals_dealregistration")
            print(f"loaded {deals - existing:,} registrations in {time.perf_counter() - started:.0f} s")

        cursor.execute("SELECT count(*) FROM incentives_commissionline")
        existing = cursor.fetchone()[0]
        if existing < lines:
            started = time.perf_counter()
            cursor.execute("SELECT coalesce(max(booked_on), %s) FROM incentives_commissionline", [first_day])
            start_day = cursor.fetchone()[0]
            days = sorted(rng.randint(0, (today - start_day).days) for _ in range(lines - existing))
            owners = rng.choices(ids, weights, k=lines - existing)
            with cursor.copy(
                "COPY incentives_commissionline (partner_id, kind, amount, currency, original_currency, explanation,"
                " booked_on, created_at) FROM STDIN"
            ) as copy:
                for day, partner_id in zip(days, owners):
                    cents = rng.randint(-2_000, 500_000)
                    copy.write_row(
                        (
                            partner_id,
                            "accrual",
                            f"{cents / 100:.2f}",
                            rng.choices(["USD", "EUR"], [92, 8])[0],
                            "",
                            "10% of a won deal under the bench plan",
                            start_day + timedelta(days=day),
                            ts(datetime.now(dt_timezone.utc)),
                        )
                    )
            cursor.execute("ANALYZE incentives_commissionline")
            print(f"loaded {lines - existing:,} commission lines in {time.perf_counter() - started:.0f} s")
        cursor.execute("ANALYZE partners_partner")


def cold_compute(repeat: int) -> list[float]:
    """Seconds to compute the trailing 12 months' table, in this process (no cache)."""
    from django.utils import timezone

    from performance.selectors.leaderboard import compute_table
    from performance.selectors.scorecards import month_starts

    end = timezone.localdate()
    start = month_starts(end, 12)[0]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        table = compute_table(start=start, end=end)
        timings.append(time.perf_counter() - started)
    print(f"table: {len(table.rows):,} partners")
    return timings


def prepare_manager() -> None:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    from partners.models import User

    if not User.objects.filter(email=MANAGER).exists():
        user = User.objects.create_user(email=MANAGER, password=PASSWORD, role="manager", is_staff=True)
        user.groups.add(Group.objects.get(name="manager"))
        EmailAddress.objects.create(user=user, email=MANAGER, verified=True, primary=True)


def cpu_per_request(paths: list[str], count: int = 50) -> dict[str, float]:
    """Median CPU milliseconds of this process per request (Django's test client, the table
    already cached): a figure the other programs on the machine do not change."""
    from django.conf import settings
    from django.test import Client

    from partners.models import User

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    client.force_login(User.objects.get(email=MANAGER))
    out = {}
    for path in paths:
        for _ in range(3):
            assert client.get(path).status_code == 200, path
        timings = []
        for _ in range(count):
            started = time.process_time()
            client.get(path)
            timings.append((time.process_time() - started) * 1000)
        out[path] = statistics.median(timings)
    return out


MIX_SCRIPT = """
local sorts = {%(sorts)s}
math.randomseed(7)
request = function()
  local sort = sorts[math.random(#sorts)]
  local dir = (math.random(2) == 1) and "asc" or "desc"
  local path = "%(path)s?sort=" .. sort .. "&dir=" .. dir .. "&page=" .. math.random(20)
  return wrk.format("GET", path)
end
"""


def wrk_mix(label: str, base: str, path: str, cookies: dict, args) -> None:
    """Like bench/lists.py's wrk(), with each request asking for another order and page."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    sorts = ", ".join(f'"{key}"' for key in SORTS)
    script.write_text(MIX_SCRIPT % {"sorts": sorts, "path": path} + WRK_REPORT)
    command = ["wrk", "-t", "2", "-c", str(args.clients), "-d", f"{args.seconds}s", "-s", str(script), base + path]
    command += ["-H", "X-Forwarded-Proto: https", "-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    count, duration_us, p50, p95, errors = re.search(r"REPORT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)", output).groups()
    rate = int(count) / (int(duration_us) / 1e6)
    print(
        f"{label:28} p50 {float(p50):6.1f} ms  p95 {float(p95):6.1f} ms  {rate:5.0f} req/s  errors {errors}  "
        f"{'met' if float(p95) < 150 else 'NOT met'}"
    )
    script.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="cold computations timed")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/3")
    parser.add_argument("--load-only", action="store_true")
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    from prm.scoping import scopes_disabled

    call_command("migrate", verbosity=0)
    load(args.partners, args.deals, args.lines)
    if args.load_only:
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average before: {os.getloadavg()[0]:.1f}"
    )
    with scopes_disabled():
        timings = cold_compute(args.repeat)
        prepare_manager()
        from partners.models import Tier

        gold = Tier.objects.get(name="Gold").pk
    print(
        f"cold computation of the table (every partner's scorecard, 12 months): median "
        f"{statistics.median(timings):.2f} s of {[round(t, 2) for t in timings]}"
    )
    floor, path = "/admin/deals/extensionrequest/", "/admin/performance/leaderboard/"
    with scopes_disabled():
        cpu = cpu_per_request([floor, path, f"{path}?tier={gold}&country=DE&sort=pipeline&dir=desc"])
    print("CPU per request in this process (median of 50): " + ", ".join(f"{p} {ms:.1f} ms" for p, ms in cpu.items()))
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SITE_URL": f"http://127.0.0.1:{args.port}",
        "CACHE_URL": args.cache_url,
    }
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"], cwd=ROOT, env=env, check=True)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "prm.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{args.port}"
    path = "/admin/performance/leaderboard/"
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1)
                break
            except OSError:  # not listening yet, or still booting
                time.sleep(0.2)
        plain = urllib.request.build_opener(NoRedirect)
        cookies: dict[str, str] = {}
        _, page = request(plain, base + "/accounts/login/", cookies=cookies)
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, "login": MANAGER, "password": PASSWORD}).encode()
        request(
            plain,
            base + "/accounts/login/",
            data=form,
            cookies=cookies,
            headers={
                "Referer": base.replace("http://", "https://") + "/accounts/login/",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        assert "sessionid" in cookies, "the sign-in failed"
        import redis

        redis.Redis.from_url(args.cache_url).flushdb()  # this benchmark's cache: start cold
        started = time.perf_counter()
        status, body = request(plain, base + path, cookies=dict(cookies))
        assert status == 200 and b"Figures as of" in body, status
        print(f"first page, table computed by the server: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        for _ in range(4):  # the other worker reads the table from the cache once
            request(plain, base + path, cookies=dict(cookies))
        print(f"next 4 pages: {time.perf_counter() - started:.2f} s")
        filtered = f"{path}?tier={gold}&country=DE&sort=pipeline&dir=desc"
        pages = [
            # The admin's own cost for comparison: an empty list, the same admin chrome.
            ("admin floor: empty list", "/admin/deals/extensionrequest/"),
            ("leaderboard, first page", path),
            ("leaderboard, tier+country", filtered),
        ]
        print(f"gunicorn {args.workers} workers; {args.clients} concurrent clients (wrk, {args.seconds} s per page)")
        for label, url in pages:
            for _ in range(3):
                request(plain, base + url, cookies=dict(cookies))
            wrk(label, base + url, {}, cookies, args)
        wrk_mix("leaderboard, 40 orders x 20 pages", base, path, cookies, args)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
