"""Helpers of the fund tests: an allocation, requests in each state, proof files."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketing.models import FundAllocation
from marketing.services import funds as services

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n% proof\n"


def png(name="booth.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def pdf(name="invoice.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def allocation(partner, *, amount="10000.00", currency="USD", year=None) -> FundAllocation:
    """A calendar year's allocation when ``year`` is given; else a period around today, long on
    both sides, so that the tests' activities and claim deadlines fit in it whatever the day."""
    today = timezone.localdate()
    start, end = (
        (date(year, 1, 1), date(year, 12, 31)) if year else (today - timedelta(days=200), today + timedelta(days=400))
    )
    return FundAllocation.objects.create(
        partner=partner,
        period_start=start,
        period_end=end,
        currency=currency,
        allocated=Decimal(amount),
    )


def activity_dates(days_from_now=1, length=1):
    """An activity ahead (so it can be requested), inside this year when possible."""
    starts = timezone.localdate() + timedelta(days=days_from_now)
    return starts, starts + timedelta(days=length)


def submitted(user, *, cost="2000.00", title="Security summit booth", starts_on=None, ends_on=None, **fields):
    if starts_on is None:
        starts_on, ends_on = activity_dates()
    return services.fund_request_submit(
        partner=user.partner,
        user=user,
        activity_type=fields.pop("activity_type", "event"),
        title=title,
        starts_on=starts_on,
        ends_on=ends_on,
        planned_cost=Decimal(cost),
        expected_leads=fields.pop("expected_leads", 20),
        description=fields.pop("description", "A booth at the regional security summit."),
    )


def approved(user, manager, *, cost="2000.00", amount=None, **fields):
    request = submitted(user, cost=cost, **fields)
    return services.fund_request_approve(request=request, amount=Decimal(amount) if amount else None, by=manager)


def ended(request):
    """Move the activity into the past (as if time went by), keeping its claim deadline after today."""
    from marketing.models import FundRequest

    today = timezone.localdate()
    FundRequest.objects.filter(pk=request.pk).update(
        starts_on=today - timedelta(days=3),
        ends_on=today - timedelta(days=1),
        claim_deadline=today + timedelta(days=59),
    )
    request.refresh_from_db()
    return request


def claimed(user, manager, *, cost="2000.00", amount=None, claim_amount=None, deals=(), **fields):
    request = ended(approved(user, manager, cost=cost, amount=amount, **fields))
    return services.fund_claim_submit(
        request=request,
        by=user,
        amount=Decimal(claim_amount or request.approved_amount),
        leads_generated=12,
        results="140 visitors, 12 qualified leads.",
        proofs=[pdf(), png()],
        deals=list(deals),
    )
