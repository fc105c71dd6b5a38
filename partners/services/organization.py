"""The organization: company profile, team, payout details and tiers."""


from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from prm.domains import registrable_domain
from prm.errors import RuleViolation
from prm.roles import MANAGER_ROLES, Role, require_role
from prm.scoping import scopes_disabled

from ..models import (
    Invitation,
    OnboardingEvent,
    Partner,
    PayoutDetails,
    Tier,
    TierChange,
    User,
)
from ..scoring import normalize_specializations
from .accounts import invitation_send
from .onboarding import onboarding_event_record


def _require_partner_admin(user: User, partner: Partner, action: str) -> None:
    if not (user.is_active and user.partner_id == partner.pk and user.role == Role.PARTNER_ADMIN):
        raise PermissionDenied(f"Only a partner admin of {partner.name} may {action}.")


@transaction.atomic
def partner_profile_update(*, partner: Partner, by: User, data: dict) -> Partner:
    """A partner admin keeps the company profile; a complete profile closes its onboarding task."""
    _require_partner_admin(by, partner, "edit the company profile")
    for field, value in data.items():
        setattr(partner, field, value)
    if "specializations" in data:
        partner.specializations = normalize_specializations(partner.specializations)
    partner.domain = registrable_domain(partner.website) or ""
    partner.full_clean()
    partner.save()
    if partner.profile_complete:
        onboarding_event_record(partner=partner, event=OnboardingEvent.PROFILE_COMPLETED, by=by)
    return partner


@transaction.atomic
def team_invite(*, partner: Partner, by: User, email: str, role: str, full_name: str = "") -> Invitation:
    """A partner admin invites a colleague; the first one closes the onboarding task."""
    _require_partner_admin(by, partner, "invite colleagues")
    invitation = invitation_send(partner=partner, email=email, role=role, full_name=full_name, invited_by=by)
    onboarding_event_record(partner=partner, event=OnboardingEvent.FIRST_USER_INVITED, by=by)
    return invitation


@transaction.atomic
def team_member_deactivate(*, member: User, by: User) -> User:
    """A partner admin removes a colleague's access (the account and its history stay)."""
    _require_partner_admin(by, member.partner, "deactivate colleagues")
    if member.pk == by.pk:
        raise RuleViolation("You cannot deactivate yourself; ask another partner admin.")
    member.is_active = False
    member.save(update_fields=["is_active"])
    from rest_framework.authtoken.models import Token

    Token.objects.filter(user=member).delete()
    return member


@transaction.atomic
def payout_details_save(*, partner: Partner, by: User, data: dict) -> PayoutDetails:
    """A partner admin sets where commissions are paid; the first time closes the onboarding task."""
    if not (by.is_staff and by.role in (Role.FINANCE, Role.ADMIN)):
        _require_partner_admin(by, partner, "change payout details")
    with scopes_disabled():
        details = PayoutDetails.objects.filter(partner=partner).first() or PayoutDetails(partner=partner)
    for field, value in data.items():
        setattr(details, field, value)
    details.updated_at = timezone.now()
    details.updated_by = by
    details.full_clean()
    details.save()
    onboarding_event_record(partner=partner, event=OnboardingEvent.PAYOUT_DETAILS_ADDED, by=by)
    return details


# --- Tiers -------------------------------------------------------------------------------------


@transaction.atomic
def partner_tier_set(*, partner: Partner, tier: Tier | None, by: User, reason: str) -> Partner:
    """Change a partner's tier and keep the history with who and why."""
    require_role(by, *MANAGER_ROLES, action="change tiers")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why the tier changes."})
    if partner.tier_id == (tier.pk if tier else None):
        return partner
    TierChange.objects.create(partner=partner, from_tier_id=partner.tier_id, to_tier=tier, changed_by=by, reason=reason)
    partner.tier = tier
    partner._change_reason = reason
    partner.save(update_fields=["tier"])
    return partner
