"""Demo deals: registrations at every stage, and a channel conflict between the two partners."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from partners.models import Partner, User

from . import services
from .models import DealRegistration

# customer, domain, country, amount, currency, products, by, outcome
DEALS = [
    ("Contoso Retail Ltd", "contoso-retail.co.uk", "GB", "48000.00", "USD", ["Cloud Suite"], "alice@acme.demo.test", "won"),
    ("Fabrikam Inc.", "fabrikam.com", "US", "125000.00", "USD", ["Cloud Suite", "Security Add-on"], "carol@acme.demo.test", "approved"),
    ("Wide World Importers", "wideworldimporters.com", "US", "23000.00", "USD", ["Security Add-on"], "carol@acme.demo.test", "lost"),
    ("Tailspin Toys", "tailspintoys.com", "US", "9500.00", "USD", ["Cloud Suite"], "alice@acme.demo.test", "expired"),
    ("Lamna Healthcare", "lamna-healthcare.com", "US", "64000.00", "USD", ["Cloud Suite"], "alice@acme.demo.test", "submitted"),
    ("Fourth Coffee GmbH", "fourthcoffee.de", "DE", "31000.00", "EUR", ["Managed Backup"], "bob@globex.demo.test", "won"),
    ("Proseware AG", "proseware.de", "DE", "77000.00", "EUR", ["Managed Backup", "Cloud Suite"], "bob@globex.demo.test", "approved"),
    # Globex registers Acme's protected customer under another spelling: a channel conflict.
    ("FABRIKAM, Incorporated", "fabrikam.com", "US", "110000.00", "USD", ["Cloud Suite"], "bob@globex.demo.test", "submitted"),
    ("Adatum Corporation", "adatum.com", "US", "15000.00", "USD", ["Security Add-on"], "bob@globex.demo.test", "rejected"),
]


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
                customer_name=customer, customer_domain=domain, customer_country=country,
                customer_contact_name="Jordan Buyer", customer_contact_email=f"jordan@{domain}",
                amount=Decimal(amount), currency=currency, expected_close_date=today + timedelta(days=45),
                products=products, notes="Demo opportunity.",
            ),
        )
        if outcome == "rejected":
            services.deal_reject(deal=deal, by=manager, reason="The customer already buys directly from us.")
        elif outcome in ("approved", "won", "lost", "expired"):
            services.deal_approve(deal=deal, by=manager)
            if outcome in ("won", "lost"):
                services.deal_close(deal=deal, by=manager, outcome=outcome, closed_on=today - timedelta(days=75),
                                    amount=Decimal(amount) if outcome == "won" else None)
            elif outcome == "expired":
                DealRegistration.objects.filter(pk=deal.pk).update(protected_until=today - timedelta(days=1))
                services.deals_expire(today=today)
    fabrikam = DealRegistration.objects.filter(customer_name="Fabrikam Inc.").first()
    if fabrikam:
        services.extension_request(deal=fabrikam, by=fabrikam.registered_by, reason="The customer's board meets next quarter.")
    stdout.write(f"deals: {DealRegistration.objects.count()} registrations, one in conflict review")
