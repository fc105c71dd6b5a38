"""Writes of lead distribution: a lead enters (admin, API, CSV, the locator's contact form), is
offered to one partner at a time by the routing rules, and is accepted (a vendor-sourced deal
registration), declined or timed out (offered to the next partner), or returned to the managers."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from partners.models import Partner, User
from prm.domains import host_of
from prm.errors import RuleViolation

from ..models import Lead, LeadOffer, RoutingRule

# The fields a lead is entered with (admin form, API, CSV columns use these names).
LEAD_FIELDS = (
    "company",
    "domain",
    "contact_name",
    "contact_email",
    "contact_phone",
    "country",
    "product_interest",
    "size",
    "campaign",
    "message",
)


def _clean_data(data: dict) -> dict:
    data = {field: data[field] for field in LEAD_FIELDS if field in data and data[field] is not None}
    for field, value in list(data.items()):
        if isinstance(value, str):
            data[field] = value.strip() if field == "message" else " ".join(value.split())
    if data.get("domain"):
        domain = host_of(data["domain"])
        data["domain"] = domain[4:] if domain.startswith("www.") else domain
    if data.get("contact_email"):
        data["contact_email"] = data["contact_email"].lower()
    if data.get("country"):
        data["country"] = data["country"].upper()
    return data


def lead_validated(*, data: dict, source: str) -> Lead:
    """A lead built from ``data`` and checked field by field; ``RuleViolation`` names every bad
    field and nothing is written."""
    lead = Lead(source=source, **_clean_data(data))
    try:
        lead.full_clean(exclude=["partner", "requested_partner", "deal", "created_by"])
    except ValidationError as error:
        raise RuleViolation(error.message_dict) from error
    return lead


@transaction.atomic
def lead_create(*, data: dict, by: User | None, source: str, requested_partner: Partner | None = None) -> Lead:
    """A lead enters the program and is offered at once: to ``requested_partner`` when a prospect
    asked for that partner (the locator's contact form), else by the routing rules."""
    lead = lead_validated(data=data, source=source)
    lead.created_by = by if by is not None and by.is_authenticated else None
    lead.requested_partner = requested_partner
    lead.save()
    if requested_partner is not None:
        lead_offer(lead=lead, partner=requested_partner, rule=None, reasons="Asked for by name on the partner locator")
    else:
        lead_route(lead=lead)
    return lead


def lead_offer(*, lead: Lead, partner: Partner, rule: RoutingRule | None, reasons: str) -> LeadOffer:
    """Offer ``lead`` to ``partner`` until the accept-by time (PRM_LEAD_ACCEPT_HOURS from now);
    the partner's admins are told after commit."""
    now = timezone.now()
    offer = LeadOffer.objects.create(
        lead=lead,
        partner=partner,
        rule=rule,
        reasons=reasons[: LeadOffer._meta.get_field("reasons").max_length],
        offered_at=now,
        accept_by=now + timedelta(hours=settings.PRM_LEAD_ACCEPT_HOURS),
    )
    lead.partner, lead.status = partner, Lead.Status.OFFERED
    lead.save(update_fields=["partner", "status"])
    return offer


def lead_route(*, lead: Lead) -> LeadOffer | None:
    """Offer ``lead`` to the partner the routing rules choose, or return it to the managers when
    none qualifies. (The routing is issue 13's lead distribution; see RoutingRule.)"""
    raise NotImplementedError
