"""Who an audience (a newsletter's, an announcement's, a survey's) reaches: ONE rule, read both ways.

An audience chooses partner organizations by tier, partner type, country and status (an empty
choice matches any; tiers chosen: partners without a tier are left out) and, among their users,
the roles its ``recipients`` say. Only *members* can be in an audience: active partner users with
an e-mail address; staff never. ``audience_users`` answers "who is in this audience",
``audience_q_for`` "which audiences include this user" and ``audience_users_of_row`` "who is in the
audience of each row" (a subquery); all three are built from the definitions below."""

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.db.models.lookups import Contains, Exact

from partners.models import Partner, User
from prm.roles import PARTNER_ROLES, Role
from prm.scoping import scopes_disabled

from ..models import Audience, Recipients, comma_list

# The audience's choices of partners: (its field, stored comma-bounded; the Partner field it chooses by).
PARTNER_CHOICES = (("partner_types", "partner_type"), ("countries", "country"), ("partner_statuses", "status"))
# The roles each ``recipients`` value reaches.
RECIPIENT_ROLES = {Recipients.ALL: tuple(PARTNER_ROLES), Recipients.ADMINS: (Role.PARTNER_ADMIN,)}


def members_q() -> Q:
    """Who can be in any audience: active partner users with an e-mail address (staff never)."""
    return Q(partner__isnull=False, is_active=True, role__in=list(PARTNER_ROLES)) & ~Q(email="")


def is_member(user: User) -> bool:
    """``members_q`` for one user in memory."""
    return bool(
        getattr(user, "partner_id", None) and user.is_active and user.role in PARTNER_ROLES and (user.email or "")
    )


def _partner_value(partner: Partner, field: str) -> str:
    value = getattr(partner, field)
    return str(getattr(value, "code", value) or "")  # a country is a Country object


def audience_users(audience: Audience) -> QuerySet[User]:
    """The members the audience reaches: users of the partners it chooses, in the roles of its
    ``recipients``."""
    q = members_q() & Q(role__in=list(RECIPIENT_ROLES[audience.recipients]))
    tier_ids = [tier.pk for tier in audience.tiers.all()] if audience.pk else []
    if tier_ids:
        q &= Q(partner__tier_id__in=tier_ids)
    for field, partner_field in PARTNER_CHOICES:
        chosen = comma_list(getattr(audience, field))
        if chosen:
            q &= Q(**{f"partner__{partner_field}__in": chosen})
    with scopes_disabled():
        return User.objects.filter(q)


def _tiers(model: type[Audience], owner: OuterRef):
    through = model.tiers.through
    return through.objects.filter(**{f"{model._meta.model_name}_id": owner})


def audience_q_for(user: User, model: type[Audience]) -> Q:
    """The rows of ``model`` (any Audience) whose audience includes ``user``, as a filter: the same
    rule as ``audience_users``, with the user's organization matched against each row's choices.
    A non-member (staff, inactive, no e-mail) matches nothing."""
    if not is_member(user):
        return Q(pk__in=[])
    partner = user.partner
    chosen_tiers = _tiers(model, OuterRef("pk"))
    q = Q(~Exists(chosen_tiers))
    if partner.tier_id:
        q |= Q(Exists(chosen_tiers.filter(tier_id=partner.tier_id)))
    for field, partner_field in PARTNER_CHOICES:
        q &= Q(**{field: ""}) | Q(**{f"{field}__contains": f",{_partner_value(partner, partner_field)},"})
    return q & Q(recipients__in=[r for r, roles in RECIPIENT_ROLES.items() if user.role in roles])


def audience_users_of_row(model: type[Audience]) -> QuerySet[User]:
    """For each row of ``model`` in the outer query, the members its audience reaches: the same
    rule as ``audience_users``, in SQL (for counts over many rows in one query)."""
    chosen_tiers = _tiers(model, OuterRef(OuterRef("pk")))
    with scopes_disabled():
        users = User.objects.filter(members_q())
    users = users.annotate(
        **{f"{field}_key": Concat(Value(","), F(f"partner__{pf}"), Value(",")) for field, pf in PARTNER_CHOICES}
    )
    conditions = [Q(~Exists(chosen_tiers)) | Q(Exists(chosen_tiers.filter(tier_id=OuterRef("partner__tier_id"))))]
    for field, _ in PARTNER_CHOICES:
        conditions.append(Q(Exact(OuterRef(field), Value(""))) | Q(Contains(OuterRef(field), F(f"{field}_key"))))
    roles = Q()
    for recipients, role_list in RECIPIENT_ROLES.items():
        roles |= Q(Exact(OuterRef("recipients"), Value(recipients))) & Q(role__in=list(role_list))
    return users.filter(*conditions, roles)


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
