"""Reads of commissions and payouts. Lines and statements are partner-scoped (prm.scoping)."""

from django.db.models import Count, F, Q, QuerySet, Sum

from partners.models import User
from prm.roles import Role

from .models import CommissionLine, PayoutRun, PayoutStatement

VISIBLE_TO_PARTNERS = (PayoutRun.Status.APPROVED, PayoutRun.Status.PAID)


def line_list(*, user: User) -> QuerySet[CommissionLine]:
    """Finance and admins see every line, partner users their organization's; others none."""
    if user.is_staff and user.role not in (Role.FINANCE, Role.ADMIN):
        return CommissionLine.objects.none()
    return CommissionLine.objects.select_related("deal").order_by("-id")


def statement_list(*, user: User) -> QuerySet[PayoutStatement]:
    """Finance and admins see every statement; partner users only their own of approved or paid runs."""
    statements = PayoutStatement.objects.select_related("run", "partner").order_by(
        "-run__period_end", "partner__name", "currency"
    )
    if user.is_staff:
        return statements if user.role in (Role.FINANCE, Role.ADMIN) else statements.none()
    return statements.filter(run__status__in=VISIBLE_TO_PARTNERS)


def run_list() -> QuerySet[PayoutRun]:
    return (
        PayoutRun.objects.select_related("created_by", "approved_by")
        .annotate(
            statement_count=Count("statements"),
            pdfs_rendered=Count("statements", filter=Q(statements__pdf_status=F("status"))),
        )
        .order_by("-created_at", "-id")
    )


def run_totals(runs) -> dict[int, list[dict]]:
    """Totals per currency of each run (one query for all of them)."""
    totals: dict[int, list[dict]] = {run.pk: [] for run in runs}
    rows = (
        PayoutStatement.objects.filter(run__in=list(totals))
        .values("run_id", "currency")
        .annotate(amount=Sum("total"))
        .order_by("run_id", "currency")
    )
    for row in rows:
        totals[row["run_id"]].append({"currency": row["currency"], "amount": row["amount"]})
    return totals
