"""Benchmark: the channel-conflict check on submit against 1,000,000 registrations (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench .venv/bin/python bench/conflicts.py

Creates the database if needed, migrates it, loads 10,000 partners and --rows registrations
(once; later runs reuse them), then times --checks conflict checks (deals.services.conflicts_find,
the same code a submit runs) for new registrations: a third share a domain with an existing one,
a third have a misspelt name of one, a third are new companies. Prints p50/p95/max in ms.
Target (DESIGN.md): p95 under 50 ms.
"""

import argparse
import os
import platform
import random
import statistics
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench")

WORDS_A = """acme apex atlas aurora beacon blue bright cedar cobalt crest delta eagle echo ember falcon
fusion global granite harbor helix horizon iron jade keystone lunar maple meridian nova oak orbit
pacific peak pine pioneer polar prime quantum radiant red river rocket sage sierra silver solar
spark sterling stone summit swift terra titan true unity vector vertex vista wave west zenith""".split()
WORDS_B = """analytics bank brands capital cloud consulting data design devices digital dynamics energy
engineering foods freight games health industries insurance labs logistics media medical metals
mining motors networks partners pharma power retail robotics security services software solutions
studios systems technologies telecom textiles trading travel ventures works""".split()
SUFFIXES = ["Inc.", "LLC", "Ltd", "GmbH", "S.A.", "B.V.", "Corp.", "AG", "PLC", "", ""]
COUNTRIES = "US GB DE FR NL ES IT CA AU JP BR IN SE NO DK FI PL AT CH BE IE PT MX SG ZA".split()
TLDS = ["com", "co.uk", "de", "fr", "nl", "io", "net", "com.au", "ca", "es"]


def company(rng: random.Random, i: int) -> tuple[str, str]:
    a, b = rng.choice(WORDS_A), rng.choice(WORDS_B)
    tag = "".join(rng.choices(string.ascii_lowercase, k=3)) + str(i % 997)
    name = f"{a.title()} {b.title()} {tag.title()} {rng.choice(SUFFIXES)}".strip()
    return name, f"{a}{b}{tag}.{rng.choice(TLDS)}"


def ensure_database(url: str) -> None:
    import psycopg

    base, _, dbname = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
            conn.execute(f'CREATE DATABASE "{dbname}"')


def load(rows: int, partners: int) -> None:
    from django.db import connection

    from deals.matching import name_blocks, normalize_company_name
    from partners.models import Partner
    from prm.domains import registrable_domain
    from prm.scoping import scopes_disabled

    with scopes_disabled():
        have = Partner.objects.count()
    if have < partners:
        with (
            connection.cursor() as cursor,
            cursor.copy(
                "COPY partners_partner (name, status, partner_type, country, website, domain, legal_name, address_line,"
                " postal_code, city, phone, description, specializations, created_at) FROM STDIN"
            ) as copy,
        ):
            for i in range(have, partners):
                copy.write_row(
                    (
                        f"Bench Partner {i}",
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
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM deals_dealregistration")
        existing = cursor.fetchone()[0]
        cursor.execute("SELECT min(id), max(id) FROM partners_partner")
        low, high = cursor.fetchone()
    if existing >= rows:
        return
    rng = random.Random(42)
    statuses = (
        ["submitted"] * 15 + ["approved"] * 25 + ["won"] * 25 + ["lost"] * 15 + ["expired"] * 15 + ["rejected"] * 5
    )
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY deals_dealregistration (partner_id, customer_name, customer_domain, customer_country,"
            " customer_contact_name, customer_contact_email, amount, currency, expected_close_date, products, notes,"
            " status, in_conflict_review, rejection_reason, created_at, name_key, name_block, word_block, domain_key,"
            " email_domain_key) FROM STDIN"
        ) as copy,
    ):
        for i in range(existing, rows):
            name, domain = company(rng, i)
            key = normalize_company_name(name)
            block, word = name_blocks(key)
            copy.write_row(
                (
                    rng.randint(low, high),
                    name,
                    domain,
                    rng.choice(COUNTRIES),
                    "Buyer",
                    f"buyer@{domain}",
                    "10000.00",
                    "USD",
                    "2027-01-01",
                    "[]",
                    "",
                    rng.choice(statuses),
                    False,
                    "",
                    "2026-06-01T00:00:00Z",
                    key,
                    block,
                    word,
                    registrable_domain(domain) or "",
                    registrable_domain(domain) or "",
                )
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE deals_dealregistration")
    print(f"loaded {rows - existing:,} registrations in {time.perf_counter() - started:.0f} s")


def probes(count: int):
    """New registrations to check: shared domains, misspelt names, new companies."""
    from django.db import connection

    from deals.models import DealRegistration

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_name, customer_domain, customer_country FROM deals_dealregistration"
            " WHERE status IN ('submitted', 'approved') ORDER BY random() LIMIT %s",
            [count],
        )
        samples = cursor.fetchall()
    rng = random.Random(7)
    for i, (name, domain, country) in enumerate(samples):
        kind = i % 3
        if kind == 0:
            yield DealRegistration(
                partner_id=1,
                customer_name="Renamed Buyer Co",
                customer_domain=domain,
                customer_country=country,
                customer_contact_email=f"cio@{domain}",
            )
        elif kind == 1:
            pos = rng.randrange(1, max(2, len(name) - 6))
            typo = name[:pos] + name[pos + 1 :]
            yield DealRegistration(
                partner_id=1, customer_name=typo, customer_domain=f"other{i}.com", customer_country=country
            )
        else:
            new_name, new_domain = company(rng, 10_000_000 + i)
            yield DealRegistration(
                partner_id=1, customer_name=new_name, customer_domain=new_domain, customer_country=country
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=10_000)
    parser.add_argument("--checks", type=int, default=600)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    load(args.rows, args.partners)

    from deals.services import _set_keys, conflicts_find

    timings, found = [], 0
    checks = list(probes(args.checks))
    for deal in checks[:20]:  # warm the connection and caches
        _set_keys(deal)
        conflicts_find(deal)
    for deal in checks:
        started = time.perf_counter()
        _set_keys(deal)
        matches = conflicts_find(deal)
        timings.append((time.perf_counter() - started) * 1000)
        found += bool(matches)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}"
    )
    print(f"registrations: {args.rows:,}; checks: {len(timings)}; checks with matches: {found}")
    print(f"conflict check ms: p50 {statistics.median(timings):.2f}, p95 {p95:.2f}, max {timings[-1]:.2f}")
    print("target p95 < 50 ms:", "met" if p95 < 50 else "NOT met")


if __name__ == "__main__":
    main()
