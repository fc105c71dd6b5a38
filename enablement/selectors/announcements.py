"""Reads of announcements: what a partner user sees on the portal home (current, in the audience,
not dismissed), what they may read again, and how many people each announcement reaches.

Every read is a fixed number of queries: the audience is matched in SQL against the user's
organization (or, for the reach, against each user), never by resolving each announcement's
audience in a loop."""

from datetime import datetime

from django.db.models import (
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Concat
from django.db.models.lookups import Contains, Exact
from django.utils import timezone

from partners.models import User
from prm.roles import PARTNER_ROLES, Role

from ..models import Announcement, AnnouncementDismissal, Audience, Recipients

HOME_LIMIT = 5


def audience_q_for(user: User, model: type[Audience] = Announcement) -> Q:
    """The rows of ``model`` (any Audience) whose audience includes ``user``, as a filter: the
    user's organization matches every chosen tier, type, country and status (an empty choice
    matches all), and the role matches the recipients. Staff and users without an organization
    match nothing."""
    partner = getattr(user, "partner", None) if getattr(user, "partner_id", None) else None
    if partner is None or not user.is_active or user.role not in PARTNER_ROLES:
        return Q(pk__in=[])
    through = model.tiers.through
    owner = f"{model._meta.model_name}_id"
    any_tier = ~Exists(through.objects.filter(**{owner: OuterRef("pk")}))
    q = Q(any_tier)
    if partner.tier_id:
        q |= Q(Exists(through.objects.filter(**{owner: OuterRef("pk"), "tier_id": partner.tier_id})))
    country = getattr(partner.country, "code", partner.country) or ""
    for field, value in (
        ("partner_types", partner.partner_type),
        ("countries", country),
        ("partner_statuses", partner.status),
    ):
        q &= Q(**{field: ""}) | Q(**{f"{field}__contains": f",{value},"})
    if user.role != Role.PARTNER_ADMIN:
        q &= Q(recipients=Recipients.ALL)
    return q


def current_q(now: datetime) -> Q:
    """Published and not expired at ``now``."""
    return Q(publish_at__lte=now) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))


def announcements_visible(user: User, now: datetime | None = None) -> QuerySet[Announcement]:
    """The current announcements whose audience includes ``user``, dismissed or not (``dismissed``
    says which), pinned first, then the newest. One query."""
    now = now or timezone.now()
    dismissed = AnnouncementDismissal.objects.filter(announcement_id=OuterRef("pk"), user_id=user.pk)
    return (
        Announcement.objects.filter(current_q(now))
        .filter(audience_q_for(user))
        .annotate(dismissed=Exists(dismissed))
        .order_by("-pinned", "-publish_at", "-id")
    )


def announcements_for(user: User, now: datetime | None = None) -> QuerySet[Announcement]:
    """What the portal home shows ``user``: the current announcements of their audience that they
    have not dismissed, pinned first, then the newest."""
    return announcements_visible(user, now).filter(dismissed=False)


# --- Staff: reach and dismissals ----------------------------------------------------------------


def _count(queryset: QuerySet) -> Subquery:
    return Subquery(
        queryset.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")[:1],
        output_field=IntegerField(),
    )


def _reach_subquery() -> Subquery:
    """For each announcement (the outer row), how many active partner users its audience reaches
    now: the same rule as ``audience_users``, evaluated per user in SQL."""
    through = Announcement.tiers.through
    chosen_tiers = through.objects.filter(announcement_id=OuterRef(OuterRef("pk")))
    users = User.objects.filter(partner__isnull=False, is_active=True, role__in=list(PARTNER_ROLES)).exclude(email="")
    users = users.annotate(
        type_key=Concat(Value(","), F("partner__partner_type"), Value(",")),
        country_key=Concat(Value(","), F("partner__country"), Value(",")),
        status_key=Concat(Value(","), F("partner__status"), Value(",")),
    )
    conditions = [
        Q(~Exists(chosen_tiers)) | Q(Exists(chosen_tiers.filter(tier_id=OuterRef("partner__tier_id")))),
        Q(role=Role.PARTNER_ADMIN) | Q(Exact(OuterRef("recipients"), Value(Recipients.ALL))),
    ]
    for field, key in (("partner_types", "type_key"), ("countries", "country_key"), ("partner_statuses", "status_key")):
        conditions.append(Q(Exact(OuterRef(field), Value(""))) | Q(Contains(OuterRef(field), F(key))))
    return _count(users.filter(*conditions))


def announcement_reach(queryset: QuerySet[Announcement] | None = None) -> QuerySet[Announcement]:
    """Announcements annotated with ``reach`` (partner users their audience includes now) and
    ``dismissal_count`` (how many of them dismissed it): one query whatever the number of rows."""
    queryset = Announcement.objects.all() if queryset is None else queryset
    return queryset.annotate(
        reach=_reach_subquery(),
        dismissal_count=_count(AnnouncementDismissal.objects.filter(announcement_id=OuterRef("pk"))),
    )


def announcement_state_q(state: str, now: datetime | None = None) -> Q:
    """``current``, ``scheduled`` (publication still ahead) or ``expired``, as a filter."""
    now = now or timezone.now()
    return {
        "current": current_q(now),
        "scheduled": Q(publish_at__gt=now),
        "expired": Q(expires_at__lte=now),
    }[state]
