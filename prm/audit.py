"""Audit history, set up once for the project.

A model that matters declares ``history = audit_history()``; every change then writes a
historical row with who (the request's user, API tokens included), what and when. Its admin
extends ``AuditedAdmin`` to get the "History" view with field-by-field changes.
"""

from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalRecords

# Never copied into history: secrets and noise.
ALWAYS_EXCLUDED = ("password", "last_login")


def audit_history(*, excluded_fields: tuple[str, ...] = (), **kwargs) -> HistoricalRecords:
    return HistoricalRecords(excluded_fields=[*ALWAYS_EXCLUDED, *excluded_fields], **kwargs)


class AuditedAdmin(SimpleHistoryAdmin):
    history_list_display = ["history_change_reason"]
