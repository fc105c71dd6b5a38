"""Demo deals: registrations at every stage, a channel conflict between the two partners, and a
year of registrations of every active partner, month by month, approved, won and lost."""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from partners.demo import SUSPENSIONS, suspend_after_their_deals
from partners.models import OnboardingEvent, OnboardingTask, Partner, TierChange, User
from prm.demo_story import moment

from . import services
from .models import ConflictMatch, DealRegistration

# customer, domain, country, amount, currency, products, by, outcome
DEALS = [
    (
        "Contoso Retail Ltd",
        "contoso-retail.co.uk",
        "GB",
        "48000.00",
        "USD",
        ["Cloud Suite"],
        "alice@acme.demo.test",
        "won",
    ),
    (
        "Fabrikam Inc.",
        "fabrikam.com",
        "US",
        "125000.00",
        "USD",
        ["Cloud Suite", "Security Add-on"],
        "carol@acme.demo.test",
        "approved",
    ),
    (
        "Wide World Importers",
        "wideworldimporters.com",
        "US",
        "23000.00",
        "USD",
        ["Security Add-on"],
        "carol@acme.demo.test",
        "lost",
    ),
    ("Tailspin Toys", "tailspintoys.com", "US", "9500.00", "USD", ["Cloud Suite"], "alice@acme.demo.test", "expired"),
    (
        "Lamna Healthcare",
        "lamna-healthcare.com",
        "US",
        "64000.00",
        "USD",
        ["Cloud Suite"],
        "alice@acme.demo.test",
        "submitted",
    ),
    (
        "Fourth Coffee GmbH",
        "fourthcoffee.de",
        "DE",
        "31000.00",
        "EUR",
        ["Managed Backup"],
        "bob@globex.demo.test",
        "won",
    ),
    (
        "Proseware AG",
        "proseware.de",
        "DE",
        "77000.00",
        "EUR",
        ["Managed Backup", "Cloud Suite"],
        "bob@globex.demo.test",
        "approved",
    ),
    # Globex registers Acme's protected customer under another spelling: a channel conflict.
    (
        "FABRIKAM, Incorporated",
        "fabrikam.com",
        "US",
        "110000.00",
        "USD",
        ["Cloud Suite"],
        "bob@globex.demo.test",
        "submitted",
    ),
    (
        "Adatum Corporation",
        "adatum.com",
        "US",
        "15000.00",
        "USD",
        ["Security Add-on"],
        "bob@globex.demo.test",
        "rejected",
    ),
]


# When each deal happened, in days before today: (submitted, decided, closed). A deal is approved
# (or rejected) on its "decided" day and won or lost on its "closed" day; it was expected to close
# when it closed. Acme is Gold (120 protection days), so Tailspin Toys, approved 130 days ago and
# never closed, lapsed 10 days ago. Proseware AG is expected to close today: the commissions demo
# closes it as won.
STORY = {
    "Contoso Retail Ltd": (150, 145, 75),
    "Fabrikam Inc.": (20, 18, None),
    "Wide World Importers": (140, 136, 75),
    "Tailspin Toys": (140, 130, None),
    "Lamna Healthcare": (3, None, None),
    "Fourth Coffee GmbH": (130, 125, 75),
    "Proseware AG": (60, 55, None),
    "FABRIKAM, Incorporated": (2, None, None),
    "Adatum Corporation": (30, 28, None),
}
OPEN_DEALS_CLOSE_IN_DAYS = 45


# --- A year of registrations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Seller:
    """How a partner registers and wins deals over the year (the demo draws its deals from this)."""

    per_month: tuple[int, int]  # registrations a month, twelve months ago and now (it grows between)
    size: int  # a typical deal amount
    currency: str
    win_rate: float  # of the deals closed


SELLERS = {
    "Acme Cloud Partners": Seller((3, 4), 38000, "USD", 0.6),
    "Globex Solutions": Seller((1, 3), 30000, "EUR", 0.5),
    "Soylent Networks": Seller((1, 2), 26000, "USD", 0.55),
    "Litware Systems": Seller((1, 2), 24000, "USD", 0.55),
    "Relecloud Services": Seller((1, 1), 12000, "EUR", 0.45),
    "VanArsdel IT": Seller((1, 3), 20000, "EUR", 0.6),
    "Lucerne Systems": Seller((1, 1), 8000, "EUR", 0.35),
    "Woodgrove Consulting": Seller((1, 1), 6000, "EUR", 0.4),
    "Alpine Cloud Services": Seller((1, 1), 10000, "EUR", 0.45),
    "Coho Data": Seller((1, 2), 14000, "EUR", 0.5),
    "Blue Yonder Integrators": Seller((1, 3), 28000, "USD", 0.5),
    "Trey Research": Seller((1, 2), 8000, "USD", 0.45),
}
HISTORY_DAYS = 395  # a year and a month: the deals registered then close within the year
REJECTED_SHARE, EXPIRED_SHARE, VENDOR_SHARE = 0.08, 0.07, 0.2
PRODUCTS = [["Cloud Suite"], ["Cloud Suite", "Security Add-on"], ["Managed Backup"], ["Security Add-on"]]
# Customers of the year: an invented name (never one of DEALS' or the conflicts demo's) and a trade.
CUSTOMER_NAMES = """
    Aldermoor Birchfield Cedarline Dunmore Elmstead Fernhill Glenrock Hazelby Ivybridge Juniper Kestrel
    Larchmont Marlowe Northcote Oakhurst Pinecrest Quarrymoor Rosedale Silverlake Thornbury Upland Valemont
    Westbrook Yarrow Ashcombe Bramley Calder Dovecote Eskdale Foxmoor Greyfriar Harewood Ironbridge
    Kingsmere Linton Meadowvale Netherby Orchard Penrith Redbrook Stonegate Tamworth Ullswater Wexcombe
    Amberly Blackmore Clearwater Denholm Everton Fairhaven Goldcrest Highgate Kirkby Longford Millbrook
    Newhaven Oxley Primrose Ravensworth Saltash Tidewell Underhill Wardour Ashdown Bellmont Coppergate
    """.split()
TRADES = """
    Logistics Foods Health Legal Energy Textiles Analytics Hotels Motors Pharma Insurance Retail Media
    Farms Airlines Robotics Shipping Dental Brewing Architects Printing Clinics Builders Optics
    """.split()
LEGAL_FORM = {"US": "Inc.", "CA": "Inc.", "GB": "Ltd", "DE": "GmbH", "AT": "GmbH", "CH": "AG", "FR": "SAS", "NL": "BV"}
TLD = {"US": "com", "CA": "ca", "GB": "co.uk", "DE": "de", "AT": "at", "CH": "ch", "FR": "fr", "NL": "nl"}


@dataclass
class PlannedDeal:
    partner: Partner
    user: User
    customer: str
    domain: str
    amount: Decimal
    currency: str
    products: list[str]
    source: str
    submitted: datetime
    decided: datetime | None = None
    rejected: bool = False
    closed_on: date | None = None
    won: bool = False
    final_amount: Decimal | None = None
    expires: bool = False


def _customer(index: int, country: str) -> tuple[str, str]:
    first, trade = CUSTOMER_NAMES[index % len(CUSTOMER_NAMES)], TRADES[index // len(CUSTOMER_NAMES) % len(TRADES)]
    name = f"{first} {trade} {LEGAL_FORM.get(country, 'Ltd')}"
    return name, f"{first}{trade}.{TLD.get(country, 'com')}".lower()


def _year_plan(now, tiers: dict) -> list[PlannedDeal]:
    """Every registration of the year, day by day, drawn from SELLERS with a fixed seed per partner
    (the same deals whatever the day it runs): more each month, decided faster as the year goes
    on, won or lost weeks later."""
    today = timezone.localdate(now)
    plan: list[PlannedDeal] = []
    partners = Partner.objects.filter(name__in=SELLERS, activated_at__isnull=False).order_by("id")
    members = {}
    for user in User.objects.filter(partner__in=partners, is_active=True).order_by("id"):
        members.setdefault(user.partner_id, []).append(user)
    for partner in partners:
        seller, draw, wins = SELLERS[partner.name], random.Random(partner.name), 0.5
        # Registrations from three days after activation (or a year and a month ago) until today
        # (or shortly before a suspension), at a rate that grows from ``per_month[0]`` to ``[1]``.
        starts = min(HISTORY_DAYS, (today - timezone.localdate(partner.activated_at)).days - 3)
        stops = next((days + 5 for name, days, _ in SUSPENSIONS if name == partner.name), 0)
        low, high = seller.per_month
        due = draw.random()
        for back in range(starts, stops - 1, -1):
            due += (low + (high - low) * (HISTORY_DAYS - back) / HISTORY_DAYS) / 30
            if due < 1:
                continue
            due -= 1
            submitted = moment(today - timedelta(days=back), draw.randint(8, 17), draw.randint(0, 59), now=now)
            amount = Decimal(round(seller.size * draw.uniform(0.4, 1.8) / 500) * 500)
            present = [u for u in members[partner.pk] if u.date_joined <= submitted] or members[partner.pk]
            deal = PlannedDeal(
                partner=partner,
                user=draw.choice(present),
                customer="",
                domain="",
                amount=amount,
                currency=seller.currency,
                products=draw.choice(PRODUCTS),
                source=DealRegistration.Source.VENDOR
                if draw.random() < VENDOR_SHARE
                else DealRegistration.Source.PARTNER,
                submitted=submitted,
            )
            # Approval took about two and a half days a year ago, under a day now.
            hours = draw.uniform(0.5, 1.5) * (14 + 46 * back / HISTORY_DAYS)
            decided = submitted + timedelta(hours=hours)
            if decided < now - timedelta(minutes=30):
                deal.decided = decided
                deal.rejected = draw.random() < REJECTED_SHARE
                cycle = draw.randint(20, 70)
                if not deal.rejected:
                    # Closed within its protection (or left to expire), or still open today.
                    lapses = timezone.localdate(decided) + timedelta(days=_protection_days_at(partner, decided, tiers))
                    closes = min(timezone.localdate(decided) + timedelta(days=cycle), lapses - timedelta(days=5))
                    if lapses < today and draw.random() < EXPIRED_SHARE:
                        deal.expires = True
                    elif closes <= today:
                        # Won at the seller's rate, spread evenly rather than by luck.
                        deal.closed_on = closes
                        wins += seller.win_rate
                        deal.won = wins >= 1
                        wins -= deal.won
                        if deal.won:
                            final = amount * Decimal(draw.uniform(0.85, 1.1))
                            deal.final_amount = Decimal(round(final / 100) * 100)
            plan.append(deal)
    plan.sort(key=lambda d: d.submitted)
    for index, deal in enumerate(plan):
        deal.customer, deal.domain = _customer(index, deal.partner.country)
    return plan


def _register_the_year(manager: User, now, tiers: dict) -> int:
    """Register, decide and close the year's deals through the services, then date them."""
    today = timezone.localdate(now)
    plan = _year_plan(now, tiers)
    for planned in plan:
        deal = services.deal_submit(
            partner=planned.partner,
            user=planned.user,
            data=dict(
                customer_name=planned.customer,
                customer_domain=planned.domain,
                customer_country=planned.partner.country,
                customer_contact_name="Robin Buyer",
                customer_contact_email=f"robin@{planned.domain}",
                amount=planned.amount,
                currency=planned.currency,
                expected_close_date=today + timedelta(days=OPEN_DEALS_CLOSE_IN_DAYS),
                products=planned.products,
                notes="Demo opportunity.",
            ),
        )
        closed = None
        if planned.decided is None:
            expected = today + timedelta(days=30)
        elif planned.rejected:
            services.deal_reject(deal=deal, by=manager, reason="The customer already buys directly from us.")
            expected = timezone.localdate(planned.submitted) + timedelta(days=45)
        else:
            services.deal_approve(deal=deal, by=manager)
            if planned.closed_on:
                services.deal_close(
                    deal=deal,
                    by=manager,
                    outcome=DealRegistration.Status.WON if planned.won else DealRegistration.Status.LOST,
                    closed_on=planned.closed_on,
                    amount=planned.final_amount,
                )
                closed = moment(planned.closed_on, 16, now=now)
                expected = planned.closed_on
            elif planned.expires:
                DealRegistration.objects.filter(pk=deal.pk).update(protected_until=today - timedelta(days=1))
                services.deals_expire(today=today)
                expected = timezone.localdate(planned.decided) + timedelta(days=60)
            else:  # still open: it is expected to close within its protection
                lapses = timezone.localdate(planned.decided) + timedelta(
                    days=_protection_days_at(planned.partner, planned.decided, tiers)
                )
                expected = max(today, lapses - timedelta(days=10))
        deal.refresh_from_db()
        _date_deal(
            deal,
            submitted=planned.submitted,
            decided=planned.decided,
            closed=closed,
            expected=expected,
            now=now,
            tiers=tiers,
            source=planned.source,
        )
    return len(plan)


def _tier_history() -> dict[int, list[tuple[datetime, int]]]:
    """Each partner's tiers over time as (from when, protection days), oldest first (one query)."""
    history: dict[int, list[tuple[datetime, int]]] = {}
    for change in TierChange.objects.select_related("to_tier").order_by("changed_at", "id"):
        days = change.to_tier.protection_days if change.to_tier else 0
        history.setdefault(change.partner_id, []).append((change.changed_at, days))
    return history


def _protection_days_at(partner: Partner, when, tiers: dict[int, list[tuple[datetime, int]]]) -> int:
    """The protection days of the tier the partner held at ``when``."""
    days = [d for since, d in tiers.get(partner.pk, []) if since <= when]
    return (days[-1] if days else 0) or services.protection_days(partner)


def _date_deal(
    deal: DealRegistration, *, submitted, decided=None, closed=None, expected: date, now, tiers: dict, source=None
) -> None:
    """Date the deal and its audit trail (the portal's timeline): submitted, then approved or
    rejected when ``decided``, then won or lost when ``closed``; protection runs from the approval
    for the days of the tier the partner held then."""
    changes = {"created_at": submitted, "submitted_at": submitted, "expected_close_date": expected}
    if source:
        changes["source"] = source
    approved = decided if deal.approved_at is not None else None
    if decided is not None:
        changes["decided_at"] = closed or decided
        if approved is not None:
            changes["approved_at"] = approved
        if deal.protected_until:
            changes["protected_until"] = timezone.localdate(decided) + timedelta(
                days=_protection_days_at(deal.partner, decided, tiers)
            )
    DealRegistration.objects.filter(pk=deal.pk).update(**changes)
    when = {
        DealRegistration.Status.SUBMITTED: submitted,
        DealRegistration.Status.APPROVED: decided,
        DealRegistration.Status.REJECTED: decided,
        DealRegistration.Status.WON: closed,
        DealRegistration.Status.LOST: closed,
    }
    if "protected_until" in changes:
        lapsed = changes["protected_until"] + timedelta(days=1)
        if lapsed <= timezone.localdate(now):
            when[DealRegistration.Status.EXPIRED] = moment(lapsed, 2, now=now)
    snapshot = {k: v for k, v in changes.items() if k not in ("decided_at", "approved_at")}
    records = list(deal.history.all())
    for record in records:
        record.history_date = when.get(record.status) or now
        record.approved_at = approved if record.status != DealRegistration.Status.SUBMITTED else None
        for field, value in snapshot.items():
            setattr(record, field, value)
    DealRegistration.history.model.objects.bulk_update(records, ["history_date", "approved_at", *snapshot])
    if deal.in_conflict_review:
        ConflictMatch.objects.filter(deal=deal).update(found_at=submitted)


def _tell_story(deal: DealRegistration, *, now, tiers: dict) -> None:
    """Date one deal of DEALS as STORY says."""
    today = timezone.localdate(now)
    submitted_days, decided_days, closed_days = STORY[deal.customer_name]
    submitted = now - timedelta(days=submitted_days)
    decided = now - timedelta(days=decided_days) if decided_days is not None else None
    closed = now - timedelta(days=closed_days) if closed_days is not None else None
    if deal.customer_name == "Proseware AG":
        expected = today
    elif closed is not None:
        expected = deal.closed_on
    elif deal.status == DealRegistration.Status.EXPIRED:
        expected = (decided + timedelta(days=60)).date()
    else:
        expected = today + timedelta(days=OPEN_DEALS_CLOSE_IN_DAYS)
    _date_deal(deal, submitted=submitted, decided=decided, closed=closed, expected=expected, now=now, tiers=tiers)


def _first_wins_close_onboarding() -> None:
    """The "win your first deal" step was done when the partner's first deal was won."""
    for task in OnboardingTask.objects.filter(event=OnboardingEvent.FIRST_DEAL_WON, done_at__isnull=False):
        first_win = (
            DealRegistration.objects.filter(partner_id=task.partner_id, status=DealRegistration.Status.WON)
            .order_by("decided_at")
            .values_list("decided_at", flat=True)
            .first()
        )
        if first_win:
            OnboardingTask.objects.filter(pk=task.pk).update(done_at=first_win)


def seed(*, stdout) -> None:
    if DealRegistration.objects.exists():
        stdout.write("deals: already loaded")
        return
    manager = User.objects.get(email="manager@demo.test")
    today = timezone.localdate()
    for customer, domain, country, amount, currency, products, email, outcome in DEALS:
        user = User.objects.get(email=email)
        deal = services.deal_submit(
            partner=Partner.objects.get(pk=user.partner_id),
            user=user,
            data=dict(
                customer_name=customer,
                customer_domain=domain,
                customer_country=country,
                customer_contact_name="Jordan Buyer",
                customer_contact_email=f"jordan@{domain}",
                amount=Decimal(amount),
                currency=currency,
                expected_close_date=today + timedelta(days=45),
                products=products,
                notes="Demo opportunity.",
            ),
        )
        if outcome == "rejected":
            services.deal_reject(deal=deal, by=manager, reason="The customer already buys directly from us.")
        elif outcome in ("approved", "won", "lost", "expired"):
            services.deal_approve(deal=deal, by=manager)
            if outcome in ("won", "lost"):
                services.deal_close(
                    deal=deal,
                    by=manager,
                    outcome=outcome,
                    closed_on=today - timedelta(days=75),
                    amount=Decimal(amount) if outcome == "won" else None,
                )
            elif outcome == "expired":
                DealRegistration.objects.filter(pk=deal.pk).update(protected_until=today - timedelta(days=1))
                services.deals_expire(today=today)
    now = timezone.now()
    tiers = _tier_history()
    for deal in DealRegistration.objects.select_related("partner__tier"):
        _tell_story(deal, now=now, tiers=tiers)
    year = _register_the_year(manager, now, tiers)
    _first_wins_close_onboarding()
    suspend_after_their_deals(manager)
    fabrikam = DealRegistration.objects.filter(customer_name="Fabrikam Inc.").first()
    if fabrikam:
        services.extension_request(
            deal=fabrikam, by=fabrikam.registered_by, reason="The customer's board meets next quarter."
        )
    stdout.write(
        f"deals: {DealRegistration.objects.count()} registrations ({year} over the year), one in conflict review"
    )
