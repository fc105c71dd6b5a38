"""The organization: creating a partner, its company profile, team, payout details and tiers."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from prm.audit import change_reason
from prm.domains import registrable_domain
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock_one
from prm.roles import MANAGER_ROLES, PARTNER_ROLES, Role, require_role
from prm.scoping import scopes_disabled
from prm.text import check_text

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
from .accounts import access_revoke, invitation_send
from .onboarding import onboarding_event_record, onboarding_start


def _require_partner_admin(user: User, partner: Partner, action: str) -> None:
    if not (user.is_active and user.partner_id == partner.pk and user.role == Role.PARTNER_ADMIN):
        raise PermissionDenied(f"Only a partner admin of {partner.name} may {action}.")


# --- The organization --------------------------------------------------------------------------

# What a partner is created with; status and tier are never given (see partner_create).
CREATE_FIELDS = ("name", "partner_type", "country", "website", "specializations")
# What a partner admin keeps in the portal, and what a manager may also change in the admin.
PROFILE_FIELDS = (
    "legal_name",
    "website",
    "address_line",
    "postal_code",
    "city",
    "country",
    "phone",
    "description",
    "specializations",
)
STAFF_EDIT_FIELDS = ("name", "partner_type", *PROFILE_FIELDS)


def _unknown_fields(data: dict, allowed: tuple[str, ...], *, where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if not unknown:
        return
    errors = {}
    for field in unknown:
        if field == "status":
            errors[field] = "Change the status with Suspend, Reactivate or Terminate, with a reason."
        elif field == "tier":
            errors[field] = "Change the tier with Change tier, with a reason."
        else:
            errors[field] = f"This field cannot be set {where}."
    raise RuleViolation(errors)


def _apply_partner_fields(partner: Partner, data: dict) -> None:
    for field, value in data.items():
        setattr(partner, field, value)
    partner.name = " ".join((partner.name or "").split())
    partner.specializations = normalize_specializations(partner.specializations or [])
    partner.domain = (registrable_domain(partner.website) or "") if partner.website else ""
    partner.full_clean()
    with scopes_disabled():
        if Partner.objects.filter(name__iexact=partner.name).exclude(pk=partner.pk).exists():
            raise RuleViolation({"name": f"A partner named {partner.name} already exists."})


@transaction.atomic
def partner_create(*, data: dict, by: User, reason: str = "Entry tier") -> Partner:
    """Create a partner organization as approval does: status onboarding, the entry tier (lowest
    rank) with its tier history, and the onboarding checklist of its partner type.

    ``data`` holds name, partner_type, country, website and specializations; bad input raises
    ValidationError naming the fields and writes nothing.
    """
    require_role(by, *MANAGER_ROLES, action="create partners")
    _unknown_fields(data, CREATE_FIELDS, where="when a partner is created")
    partner = Partner(status=Partner.Status.ONBOARDING, tier=Tier.objects.order_by("rank").first())
    _apply_partner_fields(partner, data)
    partner.save()
    if partner.tier_id:
        TierChange.objects.create(partner=partner, to_tier=partner.tier, changed_by=by, reason=reason)
    onboarding_start(partner=partner)
    return partner


@transaction.atomic
def partner_update(*, partner: Partner, by: User, data: dict) -> Partner:
    """A manager corrects a partner's name, type and profile. Status and tier are not edited:
    they change through partner_set_status and partner_tier_set, with a reason."""
    require_role(by, *MANAGER_ROLES, action="edit partners")
    _unknown_fields(data, STAFF_EDIT_FIELDS, where="here")
    with scopes_disabled():
        locked = lock_one(Partner.objects, partner.pk)
    _apply_partner_fields(locked, data)
    locked.save()
    if locked.profile_complete:
        onboarding_event_record(partner=locked, event=OnboardingEvent.PROFILE_COMPLETED, by=by)
    return locked


@transaction.atomic
def partner_profile_update(*, partner: Partner, by: User, data: dict) -> Partner:
    """A partner admin keeps the company profile; a complete profile closes its onboarding task."""
    _require_partner_admin(by, partner, "edit the company profile")
    _unknown_fields(data, PROFILE_FIELDS, where="in the company profile")
    _apply_partner_fields(partner, data)
    partner.save()
    if partner.profile_complete:
        onboarding_event_record(partner=partner, event=OnboardingEvent.PROFILE_COMPLETED, by=by)
    return partner


# --- The team ----------------------------------------------------------------------------------


@transaction.atomic
def team_invite(*, partner: Partner, by: User, email: str, role: str, full_name: str = "") -> Invitation:
    """A partner admin invites a colleague; the first one closes the onboarding task."""
    _require_partner_admin(by, partner, "invite colleagues")
    invitation = invitation_send(partner=partner, email=email, role=role, full_name=full_name, invited_by=by)
    onboarding_event_record(partner=partner, event=OnboardingEvent.FIRST_USER_INVITED, by=by)
    return invitation


def _require_team_manager(by: User, member: User, action: str) -> None:
    """A colleague's access and role are changed by a partner admin of the same organization
    (in the portal) or by a program admin (in the admin); managers only look."""
    if member.partner_id is None:
        raise RuleViolation("This is a staff account; staff roles are changed with create_staff_user.")
    if by.is_active and by.is_staff and by.role == Role.ADMIN:
        return
    with scopes_disabled():
        partner = Partner.objects.get(pk=member.partner_id)
    _require_partner_admin(by, partner, action)


@transaction.atomic
def team_member_deactivate(*, member: User, by: User) -> User:
    """A partner admin (or a program admin) removes a colleague's access: the account is
    deactivated, its API tokens deleted and every session it signed in with ended (the account
    and its history stay)."""
    _require_team_manager(by, member, "deactivate colleagues")
    if member.pk == by.pk:
        raise RuleViolation("You cannot deactivate yourself; ask another partner admin.")
    with scopes_disabled():
        member = lock_one(User.objects, member.pk)
    if member.is_active:
        member.is_active = False
        member.save(update_fields=["is_active"])
    access_revoke(user=member)
    return member


@transaction.atomic
def team_member_reactivate(*, member: User, by: User) -> User:
    """Give a deactivated colleague their access back (never in a terminated organization)."""
    _require_team_manager(by, member, "reactivate colleagues")
    with scopes_disabled():
        member = lock_one(User.objects, member.pk)
        if Partner.objects.filter(pk=member.partner_id, status=Partner.Status.TERMINATED).exists():
            raise StateConflict("The organization is terminated: its users stay deactivated.")
    if not member.is_active:
        member.is_active = True
        member.save(update_fields=["is_active"])
    return member


@transaction.atomic
def team_member_set_role(*, member: User, by: User, role: str) -> User:
    """Make a colleague a partner admin or a partner rep. An organization always keeps at least
    one active partner admin, so the last one cannot be made a rep."""
    _require_team_manager(by, member, "change colleagues' roles")
    if role not in PARTNER_ROLES:
        raise RuleViolation({"role": f"Choose one of: {', '.join(sorted(PARTNER_ROLES))}."})
    with scopes_disabled():
        member = lock_one(User.objects, member.pk)
        if member.role == role:
            return member
        if member.role == Role.PARTNER_ADMIN and member.is_active:
            others = User.objects.filter(partner_id=member.partner_id, role=Role.PARTNER_ADMIN, is_active=True).exclude(
                pk=member.pk
            )
            if not others.exists():
                raise RuleViolation(
                    {"role": "This is the organization's last partner admin; make someone else partner admin first."}
                )
    member.role = role
    member.full_clean(exclude=["password"])
    member.save(update_fields=["role"])
    return member


# --- Payout details ----------------------------------------------------------------------------


@transaction.atomic
def payout_details_save(*, partner: Partner, by: User, data: dict) -> PayoutDetails:
    """A partner admin (or finance) sets where commissions are paid; the first time closes the
    onboarding task. A bank number given empty keeps the stored one: forms never show the
    numbers, so an untouched field means "unchanged" (changing the method clears the old ones)."""
    if not (by.is_staff and by.role in (Role.FINANCE, Role.ADMIN)):
        _require_partner_admin(by, partner, "change payout details")
    with scopes_disabled():
        details = PayoutDetails.objects.filter(partner=partner).first() or PayoutDetails(partner=partner)
    for field, value in data.items():
        if field in PayoutDetails.SECRET_FIELDS and not (value or "").strip():
            continue
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
    """A manager changes a partner's tier with a reason, kept in the tier history with who and
    when. A terminated partner's tier no longer changes."""
    require_role(by, *MANAGER_ROLES, action="change tiers")
    reason = " ".join((reason or "").split())
    if not reason:
        raise RuleViolation({"reason": "Say why the tier changes."})
    check_text(field="reason", value=reason, limit=TierChange._meta.get_field("reason").max_length)
    with scopes_disabled():
        locked = lock_one(Partner.objects, partner.pk)
    if locked.status == Partner.Status.TERMINATED:
        raise StateConflict(f"{locked.name} is terminated: its tier no longer changes.")
    if locked.tier_id == (tier.pk if tier else None):
        return locked
    TierChange.objects.create(partner=locked, from_tier_id=locked.tier_id, to_tier=tier, changed_by=by, reason=reason)
    locked.tier = tier
    locked._change_reason = change_reason(reason)
    locked.save(update_fields=["tier"])
    return locked
