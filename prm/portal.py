"""Portal helpers every app's pages share: who may open a portal page, and their organization.

The kernel knows that a partner user belongs to one organization, not how organizations are
stored: the app that owns them registers the loader (``partners`` does, in its ``ready()``), so
apps import the decorator from here and never from each other's views.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render

_organization_loader: Callable | None = None


def register_organization_loader(loader: Callable) -> None:
    """``loader(user)`` returns the partner user's organization (one query); set once at start-up."""
    global _organization_loader
    _organization_loader = loader


def organization_of(user):
    if _organization_loader is None:
        raise RuntimeError("No organization loader is registered (the partners app does it in ready()).")
    return _organization_loader(user)


def partner_required(view):
    """Portal pages are for signed-in partner users; staff are sent to the admin, anyone else
    signs in. The view finds the user's organization as ``request.partner``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if user.is_staff:
            messages.info(request, "The partner portal is for partner users. Staff work in the admin.")
            return redirect("admin:index")
        if getattr(user, "partner_id", None) is None:
            return render(request, "403.html", status=403)
        request.partner = organization_of(user)
        return view(request, *args, **kwargs)

    return wrapper
