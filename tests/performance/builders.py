"""Rows the scorecard reads, built directly with the dates a test needs (hand-computed data):
the services that write them in production stamp "now", which a test of periods cannot use."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from conflicts.models import Case, CaseParticipant
from enablement.models import (
    Certification,
    ContentAsset,
    ContentDownload,
    Course,
    QuizAttempt,
    Survey,
    SurveyInvitation,
    SurveyResponse,
)
from incentives.models import CommissionLine, PayoutRun, PayoutStatement

from ..factories import DealFactory, PartnerUserFactory, StaffUserFactory


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A local time on ``day`` (in the current time zone)."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def deal(partner, status: str, *, amount="10000.00", currency="USD", submitted=None, closed_on=None, **fields):
    """A registration in ``status``: ``submitted`` is a datetime (or None for a draft)."""
    fields.setdefault("decided_at", submitted)
    if status in ("approved", "won", "lost", "expired"):
        fields.setdefault("protected_until", date(2099, 1, 1))
    return DealFactory(
        partner=partner,
        status=status,
        amount=Decimal(amount),
        currency=currency,
        submitted_at=submitted,
        closed_on=closed_on,
        **fields,
    )


def _a_course(title: str) -> Course:
    course, _ = Course.objects.get_or_create(title=title, defaults={"published": True, "pass_mark": 60})
    return course


def certification(user, *, issued_on: date, expires_on: date, course: str = "Product foundations") -> Certification:
    """A certification of ``user`` (for the user's partner) valid from ``issued_on`` until the day
    before ``expires_on``."""
    course_row = _a_course(course)
    attempt = QuizAttempt.objects.create(
        course=course_row, user=user, partner=user.partner, score=100, passed=True, question_count=3
    )
    return Certification.objects.create(
        user=user,
        partner=user.partner,
        course=course_row,
        attempt=attempt,
        issued_on=issued_on,
        expires_on=expires_on,
        status="current" if expires_on > timezone.localdate() else "expired",
        holder_name=user.full_name,
        partner_name=user.partner.name,
        course_title=course_row.title,
    )


def download(partner, when: datetime) -> ContentDownload:
    asset, _ = ContentAsset.objects.get_or_create(
        title="Battle card", defaults={"category": "sales", "kind": "link", "url": "https://example.com/card"}
    )
    return ContentDownload.objects.create(asset=asset, version=1, partner=partner, downloaded_at=when)


def case(*partners, kind="commission_dispute", opened: datetime, resolved: datetime | None = None) -> Case:
    row = Case.objects.create(
        kind=kind,
        subject="A case",
        status="resolved" if resolved else "open",
        opened_at=opened,
        first_response_due=opened + timedelta(days=1),
        resolution_due=opened + timedelta(days=5),
        resolved_at=resolved,
    )
    for partner in partners:
        CaseParticipant.objects.create(case=row, partner=partner, joined_at=opened)
    return row


def nps_answer(partner, score: int, when: datetime) -> SurveyResponse:
    """One user of ``partner`` answers a survey with ``score`` at ``when``."""
    survey, _ = Survey.objects.get_or_create(title="Partner satisfaction", defaults={"status": "open"})
    user = PartnerUserFactory(partner=partner, role="partner_rep")
    invitation = SurveyInvitation.objects.create(survey=survey, user=user, partner=partner, answered_at=when)
    return SurveyResponse.objects.create(
        invitation=invitation, survey=survey, partner=partner, user=user, nps_score=score, answered_at=when
    )


def commission(partner, amount: str, booked_on: date, *, currency="USD", kind="adjustment") -> CommissionLine:
    return CommissionLine.objects.create(
        partner=partner, kind=kind, amount=Decimal(amount), currency=currency, explanation="Line", booked_on=booked_on
    )


def paid_statement(partner, total: str, *, currency="USD", paid: datetime | None, status="paid") -> PayoutStatement:
    """A statement of a run in ``status`` (paid at ``paid``)."""
    finance = StaffUserFactory(role="finance")
    run = PayoutRun.objects.create(
        period_end=(paid or timezone.now()).date() - timedelta(days=1),
        created_by=finance,
        approved_by=finance,
        status=status,
        open_slot=None,
        paid_at=paid,
    )
    return PayoutStatement.objects.create(
        run=run,
        partner=partner,
        currency=currency,
        total=Decimal(total),
        line_count=1,
        after_line_id=0,
        last_line_id=1,
    )
