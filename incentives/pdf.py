"""Payout statement documents, rendered with the PDF kernel (prm.pdf) by workers (tasks.py).

A statement is a financial document: its number and issue date, the payee as it stood when the
document was first rendered (legal name, address, masked payout method: kept on the statement, so
a later rendering shows the same payee), the period, every line with its deal, totals per
currency, and whether and how it was paid.
"""

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from partners.models import Partner, PayoutDetails
from prm.money import format_money
from prm.pdf import render_pdf

from .models import PayoutRun, PayoutStatement


def mask_payout_method(details: PayoutDetails | None) -> str:
    """How the payee is paid, with enough to recognise the account and no more:
    ``IBAN DE89 **** 3000``, ``US account ****6789 (routing 021000021)``, ``PayPal j***@example.com``."""
    if details is None:
        return "No payout details on file"
    method = PayoutDetails.Method
    if details.method == method.IBAN:
        iban = "".join(details.iban.split()).upper()
        masked = f"IBAN {iban[:4]} **** {iban[-4:]}" if len(iban) > 8 else "IBAN ****"
    elif details.method == method.US_ACH:
        masked = f"US account ****{details.account_number[-4:]} (routing {details.routing_number})"
    elif details.method == method.PAYPAL:
        local, _, domain = details.paypal_email.partition("@")
        masked = f"PayPal {local[:1]}***@{domain}"
    else:
        masked = details.get_method_display()
    holder = f", {details.account_holder}" if details.account_holder else ""
    return f"{masked}{holder}"[:120]


def payee_snapshot(partner: Partner) -> dict:
    """The payee as the statement shows it, taken once and kept on the statement."""
    city = " ".join(part for part in (partner.postal_code, partner.city) if part)
    address = [line for line in (partner.address_line, city, partner.country.name if partner.country else "") if line]
    details = PayoutDetails.objects.filter(partner_id=partner.pk).first()
    return {
        "payee_name": (partner.legal_name or partner.name)[:200],
        "payee_address": "\n".join(address),
        "payout_method": mask_payout_method(details),
    }


def statement_filename(statement: PayoutStatement) -> str:
    return f"statement-{statement.number}.pdf"


def _period_start(run: PayoutRun, lines) -> tuple:
    """The period covered: from the day after the previous paid-out period, else the first line."""
    previous_end = (
        PayoutRun.objects.filter(
            status__in=[PayoutRun.Status.APPROVED, PayoutRun.Status.PAID], period_end__lt=run.period_end
        )
        .exclude(pk=run.pk)
        .aggregate(end=Max("period_end"))["end"]
    )
    if previous_end:
        return previous_end + timedelta(days=1), previous_end
    return (min(line.booked_on for line in lines) if lines else run.period_end), None


def statement_context(statement: PayoutStatement) -> dict:
    run = statement.run
    lines = list(statement.lines().select_related("deal").order_by("booked_on", "id"))
    period_start, previous_end = _period_start(run, lines)
    carried = [line for line in lines if line.booked_on < period_start]
    by_currency: dict[str, Decimal] = defaultdict(Decimal)
    by_kind: dict[str, list] = {}
    for line in lines:
        by_currency[line.currency] += line.amount
        kind = by_kind.setdefault(line.kind, [line.get_kind_display(), 0, Decimal("0")])
        kind[1] += 1
        kind[2] += line.amount
    rows = [
        {
            "line": line,
            "deal_url": f"{settings.SITE_URL}{reverse('deals:detail', args=[line.deal_id])}" if line.deal_id else "",
            "amount": format_money(line.amount, line.currency),
        }
        for line in lines
    ]
    return {
        "statement": statement,
        "run": run,
        "rows": rows,
        "period_start": period_start,
        "kinds": [
            {"label": label, "count": count, "amount": format_money(amount, statement.currency)}
            for label, count, amount in by_kind.values()
        ],
        "totals": [
            {"currency": currency, "amount": format_money(amount, currency)}
            for currency, amount in sorted(by_currency.items())
        ],
        "total": format_money(statement.total, statement.currency),
        "carried_count": len(carried),
        "previous_end": previous_end,
        "minimum": format_money(settings.PRM_MINIMUM_PAYOUT, statement.currency),
        "prepared_on": timezone.localdate(),
        "site_url": settings.SITE_URL,
    }


def statement_pdf(statement: PayoutStatement) -> ContentFile:
    """The statement as a PDF, from its snapshot fields (set them before rendering the first time)."""
    return ContentFile(render_pdf("incentives/pdf/statement.html", statement_context(statement)))
