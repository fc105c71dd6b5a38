"""Demo leads (issue 13): three routing rules (DACH security specialists Silver and up, North
America resellers, a catch-all; each takes only partners in or serving the lead's country) and
leads offered (waiting for Acme, for Globex and for Woodgrove), accepted
(with their deals), declined, timed out and returned to the managers.

Every lead goes through the real services (routing, offers, answers, the expiry task); offers that
the story says were made days ago are dated back before the next step. Idempotent: a second run
finds the first lead of the story and changes nothing."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from partners.models import Partner, Tier, User
from prm.roles import Role

from ..models import Lead, LeadOffer, RoutingRule
from ..services import leads as services

MARKER = "Schwarzwald Security GmbH"


def _data(company, domain, contact, country, interest, size="", campaign="", message="") -> dict:
    first = contact.split()[0].lower()
    return {
        "company": company,
        "domain": domain,
        "contact_name": contact,
        "contact_email": f"{first}@{domain}",
        "contact_phone": "+49 761 555 0100" if country in ("DE", "AT", "CH") else "+1 415 555 0100",
        "country": country,
        "product_interest": interest,
        "size": size,
        "campaign": campaign,
        "message": message,
    }


def _lead(manager, *args, **kwargs) -> Lead:
    """A lead a manager enters; the routing offers it at once."""
    return services.lead_create(data=_data(*args, **kwargs), by=manager, source=Lead.Source.ADMIN)


def _lead_for(manager, partner, *args, **kwargs) -> Lead:
    """A lead a manager enters and offers to ``partner`` by hand (no routing)."""
    lead = services.lead_validated(data=_data(*args, **kwargs), source=Lead.Source.ADMIN)
    lead.created_by = manager
    lead.save()
    services.lead_offer_to(lead=lead, partner=partner, by=manager)
    return lead


def _back(lead, *, hours: float) -> None:
    """What happened to the lead so far happened ``hours`` earlier (its entry and its offers)."""
    shift = timedelta(hours=hours)
    for offer in LeadOffer.objects.filter(lead=lead):
        LeadOffer.objects.filter(pk=offer.pk).update(
            offered_at=offer.offered_at - shift,
            accept_by=offer.accept_by - shift,
            responded_at=offer.responded_at - shift if offer.responded_at else None,
        )
    Lead.objects.filter(pk=lead.pk).update(created_at=lead.created_at - shift)
    lead.refresh_from_db()


def _expire(lead) -> None:
    """The expiry task's run that timed the lead's offer out (on time, at its accept-by time)."""
    services.lead_offers_expire()
    for offer in LeadOffer.objects.filter(lead=lead, status=LeadOffer.Status.EXPIRED):
        LeadOffer.objects.filter(pk=offer.pk).update(responded_at=offer.accept_by)
    lead.refresh_from_db()


def _admin_of(partner_id: int) -> User | None:
    return User.objects.filter(partner_id=partner_id, role=Role.PARTNER_ADMIN, is_active=True).order_by("pk").first()


def _accept(lead, amount: str, close_in_days: int, products: list[str]) -> None:
    lead.refresh_from_db()
    services.lead_accept(
        lead=lead,
        by=_admin_of(lead.partner_id),
        data={
            "amount": Decimal(amount),
            "currency": "USD",
            "expected_close_date": timezone.localdate() + timedelta(days=close_in_days),
            "products": products,
        },
    )


def _decline(lead, reason: str) -> None:
    """The partner offered the lead declines it (its first admin)."""
    lead.refresh_from_db()
    services.lead_decline(lead=lead, by=_admin_of(lead.partner_id), reason=reason)
    lead.refresh_from_db()


def seed(stdout=None) -> None:
    if Lead.objects.filter(company=MARKER).exists():
        return
    with transaction.atomic():
        _seed(stdout)


def _seed(stdout) -> None:
    manager = User.objects.get(email="manager@demo.test")
    silver = Tier.objects.get(name="Silver")
    globex = Partner.objects.get(name="Globex Solutions")

    # Every rule takes only partners located in or serving the lead's country (the default):
    # the DACH leads go to Woodgrove (Austria, serves Germany) and Globex (Germany), the North
    # American ones to Acme and Blue Yonder.
    RoutingRule.objects.get_or_create(
        name="DACH security specialists, Silver and up",
        defaults=dict(
            order=10,
            countries=["DE", "AT", "CH"],
            specializations=["security"],
            minimum_tier=silver,
            monthly_capacity=8,
            prefer_win_rate=True,
        ),
    )
    RoutingRule.objects.get_or_create(
        name="North America resellers",
        defaults=dict(order=20, countries=["US", "CA"], partner_types=["reseller"], monthly_capacity=10),
    )
    RoutingRule.objects.get_or_create(
        name="Catch-all", defaults=dict(order=90, monthly_capacity=20, prefer_win_rate=False)
    )

    # Accepted: a DACH security lead (offered this morning, accepted within hours) and a North
    # American one.
    accepted = _lead(
        manager,
        "Rheintal Logistik AG",
        "rheintal-logistik.de",
        "Jonas Keller",
        "DE",
        "Firewall",
        "250-999",
        "Security summit Munich",
        "We want to replace the firewalls of our twelve depots this year.",
    )
    _back(accepted, hours=6)
    _accept(accepted, "84000.00", 75, ["Firewall", "Cloud Suite"])
    second = _lead(
        manager,
        "Golden Gate Insurance",
        "goldengate-insurance.com",
        "Sarah Miller",
        "US",
        "Identity",
        "50-249",
        "Webinar: zero trust",
    )
    _back(second, hours=3)
    _accept(second, "36000.00", 60, ["Identity"])

    # Declined: a Canadian lead is declined by the partner offered it; the routing offers it on.
    declined = _lead(
        manager,
        "Lakeshore Dental Group",
        "lakeshore-dental.ca",
        "Luc Tremblay",
        "CA",
        "Firewall",
        "1-49",
        "Website form",
    )
    _back(declined, hours=20)
    _decline(declined, "Our Canadian team is fully booked until next quarter.")

    # Offered to Globex by a manager and left to time out; the routing offers it on.
    timed_out = _lead_for(
        manager, globex, "Nordsee Energie GmbH", "nordsee-energie.de", "Frauke Jensen", "DE", "Managed backup"
    )
    _back(timed_out, hours=60)
    _expire(timed_out)

    # Returned to the managers after three refusals: one partner declines, the next ones let it
    # time out.
    returned = _lead(
        manager, "Bodensee Kliniken", "bodensee-kliniken.de", "Anna Roth", "DE", "Firewall", "1000+", "Trade fair"
    )
    _decline(returned, "A conflict of interest: we serve their competitor.")
    for _ in range(settings.PRM_LEAD_MAX_REFUSALS):
        if returned.status != Lead.Status.OFFERED:
            break
        _back(returned, hours=settings.PRM_LEAD_ACCEPT_HOURS + 4)
        _expire(returned)

    # Waiting for an answer: one for Acme (alice) by the routing, one for Globex (bob) by hand,
    # and a DACH security lead.
    _lead(
        manager,
        "Harbor Freight Systems",
        "harborfreight-systems.com",
        "Mike Chen",
        "US",
        "Firewall",
        "250-999",
        "Security summit Chicago",
        "We look for a partner to run our firewall refresh.",
    )
    _lead(
        manager,
        MARKER,
        "schwarzwald-security.de",
        "Markus Vogel",
        "DE",
        "Firewall",
        "50-249",
        "Security summit Munich",
        "Please call after 2 pm.",
    )
    _lead_for(
        manager,
        globex,
        "Hanse Hafen Services",
        "hanse-hafen.de",
        "Ole Petersen",
        "DE",
        "Managed backup",
        "50-249",
        "Partner day Hamburg",
    )
    if stdout is not None:
        stdout.write(f"leads: {Lead.objects.count()} leads, {RoutingRule.objects.count()} routing rules\n")
