"""The scoping kernel: what a user may see of each partner-owned model.

Built on django-scopes, as pretix uses it. A model whose rows belong to one partner
organization declares ``objects = partner_scoped(...)``. Its queries then

- raise ``ScopeError`` when no scope is active, so a forgotten scope fails loudly in tests;
- return only the rows of the signed-in partner user's organization;
- return nothing for a signed-in user who belongs to no organization, or for anonymous users;
- are unrestricted for staff (what staff may do is the job of roles and permissions).

Every request runs inside the scope of its user (``ScopeMiddleware`` for pages, ``ScopedAPIView``
for the API, which authenticates tokens later than middleware runs). Code that acts for the
program as a whole (Celery tasks, management commands, the demo data) says so explicitly with
``scopes_disabled()``.
"""

from contextlib import AbstractContextManager

from django.db import models
from django_scopes import ScopedManager, scope, scopes_disabled  # noqa: F401  (re-exported)
from django_scopes.exceptions import ScopeError  # noqa: F401  (re-exported)
from django_scopes.manager import DisabledQuerySet
from django_scopes.state import get_scope

# The one scope dimension of the product: the partner organization, by id.
PARTNER = "partner"
# A scope value that matches no row (django-scopes filters with `__in` on lists).
NOTHING: list = []


def partner_scoped(field: str = "partner_id", manager_class=None):
    """Return a manager whose queries are limited to the active partner scope.

    ``field`` is the lookup from the model to the owning partner's id, e.g. ``"partner_id"``
    or ``"deal__partner_id"``; the partner organization itself uses ``"id"``.
    """
    if manager_class is None:
        return ScopedManager(**{PARTNER: field})
    return ScopedManager(manager_class, **{PARTNER: field})


class StaffOnlyManager(models.Manager):
    """For rows no partner user may ever read (internal notes, evidence answers): inside any
    partner scope the queryset is empty, outside any scope it raises like every scoped model;
    only staff (scopes disabled) see the rows. Writes (``create``) work in every scope."""

    def get_queryset(self):
        current = get_scope()
        if not current.get("_enabled", True):
            return super().get_queryset()
        if PARTNER not in current:
            return DisabledQuerySet(self.model, using=self._db, missing_scopes={PARTNER})
        return super().get_queryset().none()


def staff_only() -> StaffOnlyManager:
    return StaffOnlyManager()


def partner_id_for(user) -> int | None:
    """The organization a user acts for, or None for staff and anonymous users."""
    if not getattr(user, "is_authenticated", False) or user.is_staff:
        return None
    return getattr(user, "partner_id", None)


def scope_for(user) -> AbstractContextManager:
    """The scope a request of ``user`` runs in."""
    if getattr(user, "is_authenticated", False) and user.is_active and user.is_staff:
        return scopes_disabled()
    partner_id = partner_id_for(user) if getattr(user, "is_active", False) else None
    return scope(**{PARTNER: partner_id if partner_id is not None else NOTHING})


class ScopeMiddleware:
    """Run every request in the scope of its (session) user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with scope_for(request.user):
            return self.get_response(request)
