"""What a quarterly business review (QBR) shows, read for one partner and one quarter, and which
partners get one in a quarter's pack.

Every figure comes from the shared selectors (``scorecards``, ``monthly_trend``, ``standings``)
or from one query of its own here, so the document agrees with the partner's scorecard page and
costs the same fixed number of queries whatever the partner's volume of deals, cases or
certifications.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case as CaseWhen
from django.db.models import Count, DecimalField, F, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from conflicts.models import Case
from deals.models import DealRegistration
from enablement.models import Certification
from incentives.models import CommissionLine
from partners.models import Partner, StatusChange
from prm.scoping import scopes_disabled

from ..models import QuarterlyReview, quarter_end
from .evaluation import status_on
from .scorecards import (
    ONE_DAY,
    MonthFigures,
    Scorecard,
    as_of,
    exchange_rates,
    monthly_trend,
    period_bounds,
    scorecard,
)
from .tiers import Standing, standing

TOP_DEALS = 10
LISTED_CERTIFICATIONS = 30
LISTED_CASES = 15


@dataclass
class QbrFigures:
    """One partner's quarter, as the QBR document shows it."""

    partner: Partner
    quarter: date  # first day
    end: date  # last day
    on: date  # the day point-in-time figures are read on: the quarter's end, or today
    card: Scorecard
    trend: list[MonthFigures]  # the 12 months up to the last month begun: the quarter's last, or today's
    standing: Standing | None
    top_deals: list[DealRegistration] = field(default_factory=list)  # won in the quarter, by amount
    certifications: list[Certification] = field(default_factory=list)  # current on ``on``
    certifications_current: int = 0
    cases: list[Case] = field(default_factory=list)  # opened in the quarter
    cases_opened: int = 0
    cases_resolved: int = 0
    cases_open_now: int = 0
    rates: dict = field(default_factory=dict)  # into the program currency, of the quarter's last day


def converted_amount(rates: dict) -> CaseWhen:
    """A deal's won amount in the program currency, as an SQL expression (NULL without a rate):
    so deals in several currencies are ordered by what they are worth, not by their digits."""
    amount = Coalesce("final_amount", "amount")
    output = DecimalField(max_digits=30, decimal_places=10)
    whens = [When(currency=code, then=amount * Value(rate, output_field=output)) for code, rate in rates.items()]
    if not whens:
        return Value(None, output_field=output)
    return CaseWhen(*whens, default=Value(None, output_field=output), output_field=output)


def qbr_figures(*, partner: Partner | int, quarter: date) -> QbrFigures:
    """Everything the QBR of ``partner`` for the quarter starting on ``quarter`` shows."""
    end = quarter_end(quarter)
    on = as_of(end)
    begin, stop = period_bounds(quarter, end)
    now = timezone.now()
    with scopes_disabled():
        partner = partner if isinstance(partner, Partner) else Partner.objects.select_related("tier").get(pk=partner)
        card = scorecard(partner=partner.pk, start=quarter, end=end)
        # A quarter in progress ends its trend at today's month: a month not begun is no zero.
        trend = monthly_trend(partner_ids=[partner.pk], end=on, months=12)
        rates = exchange_rates(end)
        figures = QbrFigures(
            partner=partner,
            quarter=quarter,
            end=end,
            on=on,
            card=card,
            trend=trend,
            standing=standing(partner=partner.pk, on=on),
            rates=rates,
        )
        figures.top_deals = list(
            DealRegistration.objects.filter(
                partner_id=partner.pk, status=DealRegistration.Status.WON, closed_on__gte=quarter, closed_on__lte=end
            )
            .annotate(won_amount=Coalesce("final_amount", "amount"), worth=converted_amount(rates))
            .order_by(F("worth").desc(nulls_last=True), "-won_amount", "id")[:TOP_DEALS]
        )

        current = Certification.objects.filter(
            partner_id=partner.pk, issued_on__lte=on, expires_on__gt=on, user__is_active=True
        )
        figures.certifications = list(
            current.order_by("-issued_on", "holder_name", "id").only(
                "holder_name", "course_title", "issued_on", "expires_on"
            )[:LISTED_CERTIFICATIONS]
        )
        figures.certifications_current = current.count()

        cases = Case.objects.filter(participants__partner_id=partner.pk)
        counts = cases.aggregate(
            opened=_count_distinct(Q(opened_at__gte=begin, opened_at__lt=stop)),
            resolved=_count_distinct(Q(resolved_at__gte=begin, resolved_at__lt=stop)),
            open_now=_count_distinct(Q(resolved_at__isnull=True, opened_at__lte=now)),
        )
        figures.cases_opened, figures.cases_resolved = counts["opened"], counts["resolved"]
        figures.cases_open_now = counts["open_now"]
        figures.cases = list(
            cases.filter(opened_at__gte=begin, opened_at__lt=stop)
            .distinct()
            .order_by("opened_at", "id")
            .only("kind", "subject", "status", "opened_at", "resolved_at")[:LISTED_CASES]
        )
    return figures


def _count_distinct(condition: Q) -> Count:
    return Count("id", distinct=True, filter=condition)


def qbr_partner_ids(*, quarter: date) -> list[int]:
    """The partners a quarter's QBR pack covers: those that were active at some time in the
    quarter (their status at its start, or a change to active within it, from their status
    history) and those with activity in it (a registration submitted, a deal won or a commission
    line booked), whatever their status now. For the quarter in progress, partners active today
    count too. Partners created after the quarter are left out. Four queries."""
    end = quarter_end(quarter)
    begin, stop = period_bounds(quarter, end)
    with scopes_disabled():
        existing = Partner.objects.filter(created_at__lt=stop)
        active_at_start = set(
            existing.annotate(then=status_on(quarter - ONE_DAY))
            .filter(then=Partner.Status.ACTIVE, created_at__lt=begin)
            .values_list("id", flat=True)
        )
        became_active = set(
            StatusChange.objects.filter(
                to_status=Partner.Status.ACTIVE, changed_at__gte=begin, changed_at__lt=stop
            ).values_list("partner_id", flat=True)
        )
        with_deals = DealRegistration.objects.filter(
            Q(submitted_at__gte=begin, submitted_at__lt=stop)
            | Q(status=DealRegistration.Status.WON, closed_on__gte=quarter, closed_on__lte=end)
        ).values("partner_id")
        with_lines = CommissionLine.objects.filter(booked_on__gte=quarter, booked_on__lte=end).values("partner_id")
        active_now_without_history = set()
        if quarter <= timezone.localdate() <= end:
            # The quarter in progress: a partner active today was active in it.
            active_now_without_history = set(existing.filter(status=Partner.Status.ACTIVE).values_list("id", flat=True))
        busy = set(existing.filter(Q(id__in=with_deals) | Q(id__in=with_lines)).values_list("id", flat=True))
    return sorted(active_at_start | became_active | busy | active_now_without_history)


def qbr_list_for(*, user) -> QuerySet[QuarterlyReview]:
    """The reviews a partner user may read: their organization's (the scope of the request), only
    those whose PDF is ready, newest quarter first. Staff read them in the admin: none here."""
    if getattr(user, "is_staff", False):
        return QuarterlyReview.objects.none()
    return (
        QuarterlyReview.objects.filter(pdf_status=QuarterlyReview.PdfStatus.READY)
        .exclude(pdf="")
        .select_related("partner")
        .order_by("-quarter", "-id")
    )
