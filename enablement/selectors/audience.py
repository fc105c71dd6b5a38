"""Who an audience (a newsletter's, an announcement's, a survey's) reaches."""

from django.db.models import Q, QuerySet

from partners.models import Partner, User
from prm.roles import PARTNER_ROLES, Role
from prm.scoping import scopes_disabled

from ..models import Audience, Recipients, comma_list


def _partner_q(audience: Audience, prefix: str = "") -> Q:
    """The partners an audience chooses, as a filter (``prefix`` reaches Partner from another model)."""
    q = Q()
    tier_ids = [tier.pk for tier in audience.tiers.all()] if audience.pk else []
    if tier_ids:
        q &= Q(**{f"{prefix}tier_id__in": tier_ids})
    for field, value in (
        ("partner_type", audience.partner_types),
        ("country", audience.countries),
        ("status", audience.partner_statuses),
    ):
        chosen = comma_list(value)
        if chosen:
            q &= Q(**{f"{prefix}{field}__in": chosen})
    return q


def audience_partners(audience: Audience) -> QuerySet[Partner]:
    """The partner organizations the audience chooses."""
    with scopes_disabled():
        return Partner.objects.filter(_partner_q(audience))


def audience_users(audience: Audience) -> QuerySet[User]:
    """The active partner users the audience reaches: users of its partners, partner admins only
    when it says so. Staff are never in an audience."""
    roles = [Role.PARTNER_ADMIN] if audience.recipients == Recipients.ADMINS else list(PARTNER_ROLES)
    with scopes_disabled():
        return User.objects.filter(
            _partner_q(audience, "partner__"), partner__isnull=False, is_active=True, role__in=roles
        ).exclude(email="")


def audience_includes(audience: Audience, user: User) -> bool:
    """Whether ``user`` (a partner user) is in the audience now."""
    return audience_users(audience).filter(pk=user.pk).exists()


def audience_summary(audience: Audience) -> str:
    """The audience in words: "Gold, Platinum · Resellers · DE, FR · Active · partner admins only"."""
    from partners.models import PartnerType

    parts = []
    tiers = [tier.name for tier in audience.tiers.all()] if audience.pk else []
    parts.append(", ".join(tiers) if tiers else "every tier")
    types = dict(PartnerType.choices)
    chosen = comma_list(audience.partner_types)
    parts.append(", ".join(types[t] for t in chosen if t in types) if chosen else "every type")
    chosen = comma_list(audience.countries)
    parts.append(", ".join(chosen) if chosen else "every country")
    statuses = dict(Partner.Status.choices)
    chosen = comma_list(audience.partner_statuses)
    parts.append(", ".join(statuses[s] for s in chosen if s in statuses).lower() if chosen else "any status")
    parts.append("partner admins only" if audience.recipients == Recipients.ADMINS else "all partner users")
    return " · ".join(parts)
