"""Audit history, set up once for the project.

A model that matters declares ``history = audit_history()``; every change then writes a
historical row with who (the request's user, API tokens included), what and when. Its admin
extends ``AuditedAdmin`` to get the "History" view with field-by-field changes.
"""

from django.contrib import messages
from django.shortcuts import redirect
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalRecords

# Never copied into history: secrets and noise.
ALWAYS_EXCLUDED = ("password", "last_login")
# simple-history's ``history_change_reason`` column is a varchar(100): PostgreSQL refuses longer.
CHANGE_REASON_MAX = 100


def change_reason(text: str) -> str:
    """``text`` as a history row's change reason: cut to the column with an ellipsis. The full
    reason lives where the service keeps it (the tier or status history, the decision note)."""
    text = " ".join((text or "").split())
    return text if len(text) <= CHANGE_REASON_MAX else text[: CHANGE_REASON_MAX - 1].rstrip() + "…"


def audit_history(*, excluded_fields: tuple[str, ...] = (), **kwargs) -> HistoricalRecords:
    return HistoricalRecords(excluded_fields=[*ALWAYS_EXCLUDED, *excluded_fields], **kwargs)


class AuditedAdmin(SimpleHistoryAdmin):
    """The "History" view lists every change with who, when and why. It is read-only: reverting
    to an old version would change status, tiers or money without the service that records the
    reason, so an old version's page sends the reader back to the list."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        messages.info(request, "The history is read-only: changes are made on the object's page or by its actions.")
        return redirect(f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_history", object_id)
