"""Demo deals: registrations at every stage, and a channel conflict between the two partners."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from partners.models import OnboardingEvent, OnboardingTask, Partner, User

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


def _tell_story(deal: DealRegistration, *, now) -> None:
    """Date the deal and its audit trail (the portal's timeline) as the story says."""
    today = timezone.localdate(now)
    submitted_days, decided_days, closed_days = STORY[deal.customer_name]
    submitted = now - timedelta(days=submitted_days)
    decided = now - timedelta(days=decided_days) if decided_days is not None else None
    closed = now - timedelta(days=closed_days) if closed_days is not None else None
    changes = {"created_at": submitted, "submitted_at": submitted}
    if deal.customer_name == "Proseware AG":
        changes["expected_close_date"] = today
    elif closed is not None:
        changes["expected_close_date"] = deal.closed_on
    elif deal.status == DealRegistration.Status.EXPIRED:
        changes["expected_close_date"] = (decided + timedelta(days=60)).date()
    else:
        changes["expected_close_date"] = today + timedelta(days=OPEN_DEALS_CLOSE_IN_DAYS)
    if decided is not None:
        changes["decided_at"] = closed or decided
        if deal.protected_until:
            changes["protected_until"] = timezone.localdate(decided) + timedelta(
                days=services.protection_days(deal.partner)
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
        when[DealRegistration.Status.EXPIRED] = now.replace(
            year=lapsed.year, month=lapsed.month, day=lapsed.day, hour=2, minute=0
        )
    snapshot = {k: v for k, v in changes.items() if k != "decided_at"}
    for record in deal.history.all():
        at = when.get(record.status) or now
        deal.history.filter(pk=record.pk).update(history_date=at, **snapshot)
    ConflictMatch.objects.filter(deal=deal).update(found_at=submitted)


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
    for deal in DealRegistration.objects.select_related("partner__tier"):
        _tell_story(deal, now=now)
    _first_wins_close_onboarding()
    fabrikam = DealRegistration.objects.filter(customer_name="Fabrikam Inc.").first()
    if fabrikam:
        services.extension_request(
            deal=fabrikam, by=fabrikam.registered_by, reason="The customer's board meets next quarter."
        )
    stdout.write(f"deals: {DealRegistration.objects.count()} registrations, one in conflict review")
