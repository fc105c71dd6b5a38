"""Payout statement documents, rendered with the PDF kernel (prm.pdf)."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Max

from prm.money import format_money
from prm.pdf import render_pdf

from .models import PayoutRun, PayoutStatement


def statement_context(statement: PayoutStatement) -> dict:
    run = statement.run
    lines = list(statement.lines().select_related("deal").order_by("id"))
    previous_end = (
        PayoutRun.objects.filter(status__in=[PayoutRun.Status.APPROVED, PayoutRun.Status.PAID], period_end__lt=run.period_end)
        .aggregate(end=Max("period_end"))["end"]
    )
    carried = [line for line in lines if previous_end and line.booked_on <= previous_end]
    return {
        "statement": statement,
        "run": run,
        "partner": statement.partner,
        "lines": lines,
        "total": format_money(statement.total, statement.currency),
        "carried_count": len(carried),
        "previous_end": previous_end,
        "minimum": format_money(settings.PRM_MINIMUM_PAYOUT, statement.currency),
    }


def statement_pdf(statement: PayoutStatement) -> ContentFile:
    return ContentFile(render_pdf("incentives/pdf/statement.html", statement_context(statement)))
