"""Reads of conflicts and disputes. Cases reach partners through their participants, messages
and attachments through the partner they are addressed to, evidence requests through the asked
partner (prm.scoping); internal notes, evidence answers and splits never reach a partner."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Prefetch, Q, QuerySet, Value, When
from django.db.models import Case as CaseWhen
from django.db.models.functions import Least

from deals.models import ConflictMatch, DealRegistration
from incentives.models import CommissionLine
from partners.models import Partner, User
from prm.scoping import scopes_disabled

from .models import (
    Case,
    CaseAttachment,
    CaseMessage,
    CaseOutcome,
    CaseParticipant,
    CommissionSplit,
    ContestedRegistration,
    EvidenceAnswer,
    EvidenceRequest,
)


def _messages(user: User) -> Prefetch:
    messages = (
        CaseMessage.objects.select_related("author")
        .prefetch_related(Prefetch("attachments", queryset=CaseAttachment.objects.order_by("uploaded_at", "id")))
        .order_by("created_at", "id")
    )
    if not user.is_staff:
        messages = messages.filter(internal=False)
    return Prefetch("messages", queryset=messages)


def case_list(
    *, user: User, status: str | None = None, kind: str | None = None, with_thread: bool = False
) -> QuerySet[Case]:
    """The cases the caller may see, newest first: staff all, partner users those their
    organization is involved in. ``with_thread`` loads each case's visible messages and
    everything else the API shows, in a constant number of queries."""
    cases = Case.objects.select_related("owner", "deal", "commission_line")
    if status:
        cases = cases.filter(status=status)
    if kind:
        cases = cases.filter(kind=kind)
    if with_thread:
        cases = cases.prefetch_related(
            _messages(user),
            Prefetch(
                "registrations",
                queryset=ContestedRegistration.objects.select_related("deal__partner").order_by("deal_id"),
            ),
            Prefetch("evidence_requests", queryset=_evidence(user)),
            Prefetch(
                "outcomes",
                queryset=CaseOutcome.objects.select_related("awarded_deal", "commission_line").order_by(
                    "-decided_at", "-id"
                ),
            ),
        )
        if user.is_staff:
            cases = cases.prefetch_related(
                Prefetch(
                    "participants",
                    queryset=CaseParticipant.objects.select_related("partner").order_by("joined_at", "id"),
                )
            )
    return cases.order_by("-opened_at", "-id")


def _evidence(user: User) -> QuerySet[EvidenceRequest]:
    requests = EvidenceRequest.objects.select_related("partner").order_by("requested_at", "id")
    if user.is_staff:
        requests = requests.prefetch_related(
            Prefetch(
                "answer", queryset=EvidenceAnswer.objects.select_related("answered_by").prefetch_related("attachments")
            )
        )
    return requests


QUEUE_ORDER = ["resolved_last", F("next_due_at").asc(nulls_last=True), "-resolved_at", "-id"]


def case_queue() -> QuerySet[Case]:
    """Staff's queue: unresolved cases first, the nearest due time (first response while none
    was given, then resolution) first, so what is late comes on top."""
    return Case.objects.annotate(
        next_due_at=CaseWhen(
            When(status=Case.Status.RESOLVED, then=Value(None)),
            When(first_response_at__isnull=True, then=Least("first_response_due", "resolution_due")),
            default=F("resolution_due"),
        ),
        resolved_last=CaseWhen(When(status=Case.Status.RESOLVED, then=Value(1)), default=Value(0)),
    ).order_by(*QUEUE_ORDER)


def case_thread(case: Case, *, user: User) -> list[CaseMessage]:
    """The messages of a case the caller may read, oldest first (partners: never internal notes)."""
    return list(_messages(user).queryset.filter(case=case))


def contested_registrations(case: Case) -> list[DealRegistration]:
    """The registrations a case decides on that the caller may see (partners: only their own),
    with their match reasons (for staff, who see every side)."""
    return list(
        DealRegistration.objects.filter(contested_in__case=case)
        .select_related("partner", "registered_by")
        .prefetch_related(
            Prefetch(
                "conflicts", queryset=ConflictMatch.objects.select_related("other__partner").order_by("-score", "id")
            )
        )
        .order_by("submitted_at", "id")
    )


def evidence_requests(case: Case, *, user: User) -> list[EvidenceRequest]:
    return list(_evidence(user).filter(case=case))


def outcomes(case: Case) -> list[CaseOutcome]:
    return list(CaseOutcome.objects.filter(case=case).select_related("awarded_deal", "commission_line", "decided_by"))


def split_for(outcome: CaseOutcome, *, partner: Partner) -> CommissionSplit | None:
    """The commission split an outcome gives ``partner``, if any (splits are staff-only rows:
    read for the one partner it concerns, never listed)."""
    with scopes_disabled():
        return CommissionSplit.objects.filter(outcome=outcome, to_partner=partner).first()


def participants(case: Case) -> list[Partner]:
    return [p.partner for p in CaseParticipant.objects.filter(case=case).select_related("partner")]


def case_timeline(case: Case) -> list[dict]:
    """The status changes of a case, oldest first, from its audit history (one query)."""
    timeline, last = [], None
    for record in case.history.order_by("history_date", "history_id").only("status", "history_date"):
        if record.status != last:
            timeline.append(
                {"status": record.status, "label": Case.Status(record.status).label, "at": record.history_date}
            )
            last = record.status
    return timeline


def attachment_for(pk: int) -> CaseAttachment:
    """An attachment the caller may download (partners: only files of messages with their
    organization; never internal or evidence files)."""
    return CaseAttachment.objects.get(pk=pk)


def reopen_until(case: Case):
    """Until when the partner may reopen a resolved case (None: it may not, or not any more)."""
    if not case.is_resolved or case.reopened_at is not None or case.resolved_at is None:
        return None
    return case.resolved_at + timedelta(days=settings.PRM_CASE_REOPEN_DAYS)


def deals_to_dispute(partner: Partner) -> QuerySet[DealRegistration]:
    return (
        DealRegistration.objects.filter(partner=partner)
        .exclude(status=DealRegistration.Status.DRAFT)
        .order_by("-created_at", "-id")
    )


def lines_to_dispute(partner: Partner) -> QuerySet[CommissionLine]:
    return CommissionLine.objects.filter(partner=partner).order_by("-id")


# --- Relationship health -----------------------------------------------------------------------


def _average(durations: QuerySet, start: str, end: str) -> dict:
    """Average of ``end - start`` per kind, in hours, computed by the database."""
    span = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    rows = (
        durations.filter(**{f"{end}__isnull": False})
        .values("kind")
        .annotate(avg=Avg(span), n=Count("id"))
        .order_by("kind")
    )
    result = {}
    for row in rows:
        value = row["avg"]
        if value is not None and not isinstance(value, timedelta):
            value = timedelta(microseconds=value)
        result[row["kind"]] = {
            "hours": round(value.total_seconds() / 3600, 1) if value is not None else None,
            "cases": row["n"],
        }
    return result


def time_to_first_response() -> dict[str, dict]:
    """Per kind: average hours from opening to the first response, and over how many cases."""
    return _average(Case.objects.all(), "opened_at", "first_response_at")


def time_to_resolution() -> dict[str, dict]:
    """Per kind: average hours from opening to the resolution of resolved cases."""
    return _average(Case.objects.filter(status=Case.Status.RESOLVED), "opened_at", "resolved_at")


def cases_per_partner() -> list[dict]:
    """Per involved partner: unresolved and escalated cases, and all its cases (one query)."""
    return list(
        CaseParticipant.objects.values("partner_id", name=F("partner__name"))
        .annotate(
            open=Count("id", filter=Q(case__status__in=Case.UNRESOLVED)),
            escalated=Count("id", filter=Q(case__status=Case.Status.ESCALATED)),
            total=Count("id"),
        )
        .order_by("-open", "-escalated", "name")
    )


def open_cases_of(partner_id: int) -> int:
    """How many unresolved cases a partner is involved in (the scorecard's ``open_cases``)."""
    return CaseParticipant.objects.filter(partner_id=partner_id, case__status__in=Case.UNRESOLVED).count()


def outcome_counts() -> dict[str, int]:
    return dict(CaseOutcome.objects.values_list("outcome").annotate(n=Count("id")).order_by())


def relationship_health() -> dict:
    """Everything the admin's health summary and the performance stage read, from the data."""
    kinds = dict(Case.Kind.choices)
    first, resolution, counts = time_to_first_response(), time_to_resolution(), outcome_counts()
    return {
        "by_kind": [
            {"kind": kind, "label": label, "first_response": first.get(kind), "resolution": resolution.get(kind)}
            for kind, label in kinds.items()
        ],
        "per_partner": cases_per_partner(),
        "outcomes": [
            {"outcome": value, "label": label, "count": counts.get(value, 0)}
            for value, label in CaseOutcome.Outcome.choices
        ],
        "open": Case.objects.filter(status__in=Case.UNRESOLVED).count(),
        "escalated": Case.objects.filter(status=Case.Status.ESCALATED).count(),
    }
