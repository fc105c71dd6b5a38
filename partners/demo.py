"""Demo data of the partners app: tiers, the two demo organizations and the demo accounts."""

from decimal import Decimal

from prm.roles import Role

from .models import Partner, PartnerType, Tier, User
from .services import partner_user_create, staff_user_save

DEMO_PASSWORD = "prm-demo-2026"

TIERS = [
    # name, rank, won revenue 12m, certified users, uplift %, protection days
    ("Registered", 1, Decimal("0"), 0, Decimal("0"), 60),
    ("Silver", 2, Decimal("100000"), 1, Decimal("1"), 90),
    ("Gold", 3, Decimal("500000"), 3, Decimal("2"), 120),
    ("Platinum", 4, Decimal("2000000"), 6, Decimal("3"), 180),
]

PARTNERS = [
    ("Acme Cloud Partners", "Gold", PartnerType.RESELLER, "US", "https://acme.demo.test"),
    ("Globex Solutions", "Silver", PartnerType.MSP, "DE", "https://globex.demo.test"),
]

STAFF = [
    ("admin@demo.test", Role.ADMIN, "Ada Admin"),
    ("manager@demo.test", Role.MANAGER, "Max Manager"),
    ("finance@demo.test", Role.FINANCE, "Fiona Finance"),
    ("finance2@demo.test", Role.FINANCE, "Felix Finance"),
]

PARTNER_USERS = [
    ("alice@acme.demo.test", Role.PARTNER_ADMIN, "Alice Anders", "Acme Cloud Partners"),
    ("carol@acme.demo.test", Role.PARTNER_REP, "Carol Chen", "Acme Cloud Partners"),
    ("bob@globex.demo.test", Role.PARTNER_ADMIN, "Bob Berger", "Globex Solutions"),
]


def seed(*, stdout) -> None:
    """Create what is missing; leave what exists alone (running twice changes nothing)."""
    tiers = {}
    for name, rank, revenue, certified, uplift, days in TIERS:
        tiers[name], _ = Tier.objects.get_or_create(
            name=name,
            defaults=dict(
                rank=rank,
                min_won_revenue_12m=revenue,
                min_certified_users=certified,
                commission_uplift_percent=uplift,
                protection_days=days,
            ),
        )
    partners = {}
    for name, tier, partner_type, country, website in PARTNERS:
        partners[name], _ = Partner.objects.get_or_create(
            name=name,
            defaults=dict(
                tier=tiers[tier],
                partner_type=partner_type,
                country=country,
                website=website,
                status=Partner.Status.ACTIVE,
            ),
        )
    existing = set(User.objects.values_list("email", flat=True))
    for email, role, full_name in STAFF:
        if email not in existing:
            staff_user_save(email=email, role=role, password=DEMO_PASSWORD, full_name=full_name)
    for email, role, full_name, partner in PARTNER_USERS:
        if email not in existing:
            partner_user_create(
                partner=partners[partner], email=email, role=role, password=DEMO_PASSWORD, full_name=full_name
            )
    stdout.write("partners: tiers, 2 partner organizations, 7 demo accounts")
