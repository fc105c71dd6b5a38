"""Reads of lead distribution for the portal and the API (in the caller's scope: a partner sees
only the leads offered to it now, or accepted by it)."""

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from ..models import Lead, LeadOffer


def lead_list(*, status: str | None = None) -> QuerySet:
    """Leads in the current scope, with the pending offer's accept-by time (``accept_by``) and
    when it was offered (``offered_at``), in one query."""
    pending = LeadOffer.objects.filter(lead_id=OuterRef("pk"), status=LeadOffer.Status.PENDING)
    leads = Lead.objects.select_related("partner", "deal").annotate(
        accept_by=Subquery(pending.values("accept_by")[:1]),
        offered_at=Subquery(pending.values("offered_at")[:1]),
        pending_offer_id=Subquery(pending.values("pk")[:1]),
    )
    if status:
        leads = leads.filter(status=status)
    return leads


def past_answers(*, partner_id: int, limit: int = 20) -> list[LeadOffer]:
    """The organization's declined and timed-out offers (its own history; no contact details)."""
    return list(
        LeadOffer.objects.filter(
            partner_id=partner_id, status__in=[LeadOffer.Status.DECLINED, LeadOffer.Status.EXPIRED]
        )
        .select_related("lead", "responded_by")
        .order_by("-responded_at", "-id")[:limit]
    )


def contact_visible(lead: Lead, partner_id: int | None) -> bool:
    """Contact details are shown to a partner only once it accepted the lead; staff always."""
    if partner_id is None:
        return True
    return lead.status == Lead.Status.ACCEPTED and lead.partner_id == partner_id


def hours_left(accept_by) -> int | None:
    if accept_by is None:
        return None
    return max(0, round((accept_by - timezone.now()).total_seconds() / 3600))
