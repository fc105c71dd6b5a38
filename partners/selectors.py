"""Reads for partners. Scoped models are filtered by the active scope (prm.scoping)."""

from django.db.models import QuerySet

from .models import Partner, User


def partner_list() -> QuerySet[Partner]:
    """Partner organizations the caller may see: all for staff, their own for partner users."""
    return Partner.objects.select_related("tier").order_by("name", "id")


def team_list() -> QuerySet[User]:
    """Members of the caller's organization."""
    return User.members.filter(is_active=True).order_by("full_name", "email")
