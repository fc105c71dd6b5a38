"""Reads of announcements: what a partner user sees on the portal home (current, in the audience,
not dismissed), what they may read again, and how many people each announcement reaches.

Every read is a fixed number of queries: the audience is matched in SQL against the user's
organization (or, for the reach, against each user), never by resolving each announcement's
audience in a loop."""

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from partners.models import User
from prm.queries import count_subquery

from ..models import Announcement, AnnouncementDismissal
from .audience import audience_q_for, audience_users_of_row

HOME_LIMIT = 5


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
        .filter(audience_q_for(user, Announcement))
        .annotate(dismissed=Exists(dismissed))
        .order_by("-pinned", "-publish_at", "-id")
    )


def announcements_for(user: User, now: datetime | None = None) -> QuerySet[Announcement]:
    """What the portal home shows ``user``: the current announcements of their audience that they
    have not dismissed, pinned first, then the newest."""
    return announcements_visible(user, now).filter(dismissed=False)


# --- Staff: reach and dismissals ----------------------------------------------------------------


def _reach_subquery() -> Subquery:
    """For each announcement (the outer row), how many members its audience reaches now."""
    return count_subquery(audience_users_of_row(Announcement))


def announcement_reach(queryset: QuerySet[Announcement] | None = None) -> QuerySet[Announcement]:
    """Announcements annotated with ``reach`` (partner users their audience includes now) and
    ``dismissal_count`` (how many of them dismissed it): one query whatever the number of rows."""
    queryset = Announcement.objects.all() if queryset is None else queryset
    return queryset.annotate(
        reach=_reach_subquery(),
        dismissal_count=count_subquery(AnnouncementDismissal.objects.filter(announcement_id=OuterRef("pk"))),
    )


def announcement_state_q(state: str, now: datetime | None = None) -> Q:
    """``current``, ``scheduled`` (publication still ahead) or ``expired``, as a filter."""
    now = now or timezone.now()
    return {
        "current": current_q(now),
        "scheduled": Q(publish_at__gt=now),
        "expired": Q(expires_at__lte=now),
    }[state]
