"""Reads of deal registration. Registrations are partner-scoped (prm.scoping)."""

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import ConflictMatch, DealRegistration, ExtensionRequest


def deal_list(
    *, status: str | None = None, search: str | None = None, with_conflicts: bool = False
) -> QuerySet[DealRegistration]:
    """Registrations the caller may see, newest first; staff also get the conflict matches."""
    # Lists need the registrant's name and e-mail, not whole user and partner rows: loading fewer
    # columns is most of the cost of a page (bench/lists.py).
    deals = DealRegistration.objects.select_related("registered_by").defer(
        "name_key",
        "name_block",
        "word_block",
        "domain_key",
        "email_domain_key",
        *(f"registered_by__{f}" for f in ("password", "last_login", "is_superuser", "date_joined")),
    )
    if status:
        deals = deals.filter(status=status)
    if search:
        deals = deals.filter(
            Q(customer_name__icontains=search) | Q(customer_domain__icontains=search) | Q(notes__icontains=search)
        )
    if with_conflicts:
        deals = deals.prefetch_related(
            Prefetch(
                "conflicts", queryset=ConflictMatch.objects.select_related("other__partner").order_by("-score", "id")
            )
        )
    return deals.order_by("-created_at", "-id")


def status_counts() -> dict[str, int]:
    """How many registrations of the caller's scope are in each status (one query)."""
    return dict(DealRegistration.objects.values_list("status").annotate(n=Count("id")).order_by())


def deal_timeline(deal: DealRegistration) -> list[dict]:
    """The status changes of a deal, oldest first, from its audit history (one query)."""
    timeline, last = [], None
    for record in deal.history.order_by("history_date", "history_id").only("status", "history_date", "protected_until"):
        if record.status != last:
            timeline.append(
                {
                    "status": record.status,
                    "label": DealRegistration.Status(record.status).label,
                    "at": record.history_date,
                }
            )
            last = record.status
    return timeline


def extension_requests(deal: DealRegistration) -> QuerySet[ExtensionRequest]:
    return ExtensionRequest.objects.filter(deal=deal).select_related("requested_by").order_by("-requested_at")
