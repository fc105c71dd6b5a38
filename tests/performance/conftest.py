"""Dates and data shared by the performance tests: the last complete quarter, days and moments in
it, and a partner's quarter of hand-countable activity."""

import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from pypdf import PdfReader

from performance.models import quarter_end, quarter_start


def last_quarter() -> date:
    """The first day of the last complete quarter."""
    return quarter_start(quarter_start(timezone.localdate()) - timedelta(days=1))


def previous(quarter: date) -> date:
    return quarter_start(quarter - timedelta(days=1))


def in_month(quarter: date, month: int, day: int) -> date:
    """Day ``day`` of the quarter's ``month``-th month (0, 1 or 2)."""
    return date(quarter.year, quarter.month + month, day)


def moment(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@dataclass
class Activity:
    """What ``acme_quarter`` made, for the assertions."""

    quarter: date
    end: date
    contoso: object
    fabrikam: object
    initech: object


@pytest.fixture
def acme_quarter(partner, partner_admin, rival):
    """Acme's last complete quarter, counted by hand:

    - won: Contoso 48,000.00 USD (month 1, submitted 9 days before), Fabrikam 12,000 USD closed at
      15,000.00 (month 2, 35 days), Initech 9,500.00 EUR (month 3, 40 days); EUR->USD 1.10, so
      9,500 EUR = 10,450.00 USD and the quarter's won revenue is 73,450.00 USD;
    - lost: one (so a win rate of 3 / 4 = 75.0%); open: one of 20,000.00 USD (the pipeline);
      registrations submitted in the quarter: 5; average days to close (9 + 35 + 40) / 3 = 28.0;
    - won the quarter before: 99,999.00 USD (in the trend, not in this quarter);
    - commission booked: 4,800.00 USD in month 1; targets: 100,000 USD (73.5%) and 4 deals (75.0%);
    - one certification issued in month 2; two cases opened, one resolved in the quarter;
    - the rival's deals of 1,000,000 USD never show.
    """
    from conflicts import services as case_services
    from conflicts.models import Case
    from enablement.models import Certification
    from enablement.services import quiz_attempt_submit
    from performance.models import Target

    from ..factories import CommissionLineFactory, DealFactory, ExchangeRateFactory, course_with_quiz, right_answers

    q = last_quarter()
    end = quarter_end(q)
    ExchangeRateFactory(date=q, from_currency="EUR", to_currency="USD", rate=Decimal("1.10"))

    def won(customer, amount, currency, closed_on, days, final=None):
        return DealFactory(
            partner=partner,
            customer_name=customer,
            amount=Decimal(amount),
            currency=currency,
            status="won",
            final_amount=Decimal(final) if final else None,
            closed_on=closed_on,
            submitted_at=moment(closed_on - timedelta(days=days)),
        )

    contoso = won("Contoso Pharmaceuticals", "48000.00", "USD", in_month(q, 0, 20), 9)
    fabrikam = won("Fabrikam Inc.", "12000.00", "USD", in_month(q, 1, 15), 35, final="15000.00")
    initech = won("Initech GmbH", "9500.00", "EUR", in_month(q, 2, 10), 40)
    DealFactory(partner=partner, status="lost", closed_on=in_month(q, 1, 20), submitted_at=moment(in_month(q, 0, 5)))
    DealFactory(partner=partner, amount=Decimal("20000.00"), submitted_at=moment(in_month(q, 2, 1)))
    won("Umbrella Corp", "99999.00", "USD", q - timedelta(days=20), 5)
    for _ in range(2):
        DealFactory(partner=rival, status="won", amount=Decimal("1000000.00"), closed_on=in_month(q, 0, 12))
    CommissionLineFactory(partner=partner, amount=Decimal("4800.00"), booked_on=in_month(q, 0, 21))
    Target.objects.create(
        partner=partner, period_start=q, period_end=end, won_revenue=Decimal("100000.00"), new_deals=4
    )

    course = course_with_quiz(title="Cloud Suite foundations")
    attempt = quiz_attempt_submit(course=course, user=partner_admin, answers=right_answers(course))
    issued = in_month(q, 1, 3)
    Certification.objects.filter(pk=attempt.granted_certification.pk).update(
        issued_on=issued, expires_on=issued + timedelta(days=365)
    )

    resolved = case_services.case_open_dispute(
        partner=partner, user=partner_admin, kind="other", subject="Missing March commission", body="Where is it?"
    )
    still_open = case_services.case_open_dispute(
        partner=partner, user=partner_admin, kind="other", subject="Deal closed too early", body="Why?"
    )
    Case.objects.filter(pk=resolved.pk).update(
        opened_at=moment(in_month(q, 0, 2)), resolved_at=moment(in_month(q, 0, 9)), status="resolved"
    )
    Case.objects.filter(pk=still_open.pk).update(opened_at=moment(in_month(q, 2, 2)))
    return Activity(quarter=q, end=end, contoso=contoso, fabrikam=fabrikam, initech=initech)
