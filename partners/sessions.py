"""Sessions of signed-in users, so that taking someone's access away signs them out everywhere.

Django keeps sessions in its session store without an index by user; we note each session key
when someone signs in (and when a password change gives the session a new key), and forget it
when they sign out. ``end_sessions`` deletes them from the store, whatever the engine.
"""

from importlib import import_module

from django.conf import settings

from .models import SignedInSession


def _remember(request, user) -> None:
    session = getattr(request, "session", None)
    if session is None or user is None or user.pk is None:
        return
    if not session.session_key:
        session.save()
    SignedInSession.objects.update_or_create(session_key=session.session_key, defaults={"user": user})


def on_signed_in(sender, request, user, **kwargs) -> None:
    _remember(request, user)


def on_password_changed(sender, request, user, **kwargs) -> None:
    """A password change keeps the person signed in under a new session key (unless it signed
    them out)."""
    if getattr(getattr(request, "user", None), "pk", None) == user.pk:
        _remember(request, user)


def on_signed_out(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        SignedInSession.objects.filter(session_key=session.session_key).delete()


def end_sessions(user) -> int:
    """Delete every session ``user`` signed in with from the session store. Returns how many."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    keys = list(SignedInSession.objects.filter(user=user).values_list("session_key", flat=True))
    for key in keys:
        store.delete(key)
    SignedInSession.objects.filter(user=user).delete()
    return len(keys)
