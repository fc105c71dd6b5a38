"""The kernel's error contract: what a service raises when it refuses, and how each surface says so.

Every refusal of a rule is a ``RuleViolation`` (a Django ``ValidationError``, so model validation,
forms and services speak one language):

- ``RuleViolation`` itself: bad input, with field errors (``{"amount": ["..."]}``) or a message
  that concerns the whole request. The API answers 400 ``{"field": ["message", ...]}``.
- ``StateConflict``: the object's state does not allow the action (closing a deal that is not
  approved, approving a frozen run, resolving a case twice). The API answers 409 ``{"detail"}``.
  ``InvalidTransition`` (a state machine said no) and ``Busy`` (a row lock was not taken within
  ``PRM_LOCK_TIMEOUT``) are kinds of it.

Django's plain ``ValidationError`` (raised by ``full_clean``) is treated as a ``RuleViolation``.
``PermissionDenied`` stays what it is: 403 in the API and on pages.

The mapping lives here and only here: ``api_error`` for the API's exception handler,
``error_messages`` for pages and the admin, and ``RefusalMiddleware``, which turns a refusal that a
page did not handle itself into a message on the same page instead of a 500.
"""

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


class RuleViolation(ValidationError):
    """A service refused: the input breaks a rule. API: 400 with the fields named."""

    http_status = 400


class StateConflict(RuleViolation):
    """The object's current state does not allow the action. API: 409 ``{"detail": ...}``."""

    http_status = 409


class InvalidTransition(StateConflict):
    """A state machine does not allow the change from the object's current state."""


class Busy(StateConflict):
    """A row another request is working on could not be locked in time; trying again helps."""

    def __init__(self, message: str = "Someone else is changing this right now. Try again in a moment."):
        super().__init__(message)


def error_messages(error: Exception) -> list[str]:
    """The sentences a person reads for a refusal (field names are in the sentences already)."""
    if isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            return [
                message if field == NON_FIELD_ERRORS else f"{field.replace('_', ' ').capitalize()}: {message}"
                for field, field_messages in error.message_dict.items()
                for message in field_messages
            ]
        return list(error.messages)
    return [str(error) or "You may not do this."]


def error_text(error: Exception) -> str:
    return " ".join(error_messages(error))


def field_errors(error: ValidationError) -> dict[str, list[str]]:
    """``{"field": ["message", ...]}``; errors that concern no one field under ``non_field_errors``."""
    if hasattr(error, "error_dict"):
        return {
            ("non_field_errors" if field == NON_FIELD_ERRORS else field): list(field_messages)
            for field, field_messages in error.message_dict.items()
        }
    return {"non_field_errors": list(error.messages)}


def api_error(error: Exception) -> tuple[int, dict] | None:
    """The API's status and body for a refusal, or None when ``error`` is not one."""
    if isinstance(error, StateConflict):
        return 409, {"detail": error_text(error)}
    if isinstance(error, ValidationError):
        return 400, field_errors(error)
    return None


def form_errors_from(form, error: ValidationError) -> None:
    """Put a service's refusal on the form it came from: on the fields the form has, the rest on
    top. A state conflict is never a field's fault, so it always goes on top."""
    if isinstance(error, StateConflict) or not hasattr(error, "error_dict"):
        form.add_error(None, error_messages(error))
        return
    for field, field_messages in error.message_dict.items():
        form.add_error(field if field in form.fields else None, field_messages)


def _same_page(request) -> str:
    """Where "the same page" is after a POST: the page the form was on, else the URL posted to."""
    referer = request.META.get("HTTP_REFERER", "")
    if referer and url_has_allowed_host_and_scheme(referer, allowed_hosts={request.get_host()}):
        return referer
    return request.get_full_path()


class RefusalMiddleware:
    """Pages and the admin: a refusal nobody handled becomes a message on the same page.

    Views that can do better (put errors on their form's fields) catch ``ValidationError``
    themselves; this is the net under every other page, so a double click or a stale page never
    answers 500. The API has its own handler (``prm.api.exception_handler``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied) or not isinstance(exception, ValidationError):
            return None
        if request.path.startswith("/api/"):
            return None
        target = _same_page(request)
        if request.method in ("GET", "HEAD") and target in (request.get_full_path(), request.build_absolute_uri()):
            # Redirecting a page to itself would loop: say it on a page of its own.
            status = getattr(exception, "http_status", 400)
            return render(request, "refused.html", {"refusal": error_messages(exception)}, status=status)
        for message in error_messages(exception):
            messages.error(request, message)
        return HttpResponseRedirect(target)
