"""Property: whatever the ledger and the runs, every statement's total is the sum of its lines,
its line count is theirs, and no line is in two statements of approved or paid runs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incentives import services
from incentives.models import CommissionLine, PayoutRun, PayoutStatement

from ..factories import PartnerFactory, StaffUserFactory

TODAY = timezone.localdate()

amounts = st.decimals(
    min_value=Decimal("-500"), max_value=Decimal("2000"), places=2, allow_nan=False, allow_infinity=False
)
# (partner index, currency, amount, day offset) of each line, then which runs are approved
ledgers = st.lists(
    st.tuples(st.integers(0, 3), st.sampled_from(["USD", "EUR"]), amounts, st.integers(1, 60)), min_size=1, max_size=40
)
run_days = st.lists(st.tuples(st.integers(1, 60), st.booleans()), min_size=1, max_size=4)


class Rollback(Exception):
    pass


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers, runs=run_days)
def test_statement_totals_are_the_sums_of_their_lines_and_no_line_is_paid_twice(ledger, runs):
    try:
        with transaction.atomic():
            partners = [PartnerFactory() for _ in range(4)]
            creator, approver = StaffUserFactory(role="finance"), StaffUserFactory(role="finance")
            # Lines are booked in date order, as the ledger grows.
            for index, currency, amount, days_ago in sorted(ledger, key=lambda line: -line[3]):
                CommissionLine.objects.create(
                    partner=partners[index],
                    kind="adjustment",
                    amount=amount,
                    currency=currency,
                    explanation="x",
                    booked_on=TODAY - timedelta(days=days_ago),
                )
            for days_ago, approve in sorted(runs, key=lambda run: -run[0]):
                run = PayoutRun.objects.create(period_end=TODAY - timedelta(days=days_ago), created_by=creator)
                services.payout_run_calculate(run.pk)
                if approve:
                    services.payout_run_approve(run=run, by=approver)
                else:
                    PayoutRun.objects.filter(pk=run.pk).update(status="failed", open_slot=None)

            paid_lines: set[int] = set()
            for statement in PayoutStatement.objects.select_related("run"):
                lines = statement.lines()
                totals = lines.aggregate(total=Sum("amount"), count=Count("id"))
                assert statement.total == totals["total"]
                assert statement.line_count == totals["count"]
                assert statement.total >= Decimal("50.00")  # the minimum payout
                assert all(line.booked_on <= statement.run.period_end for line in lines)
                if statement.run.status == "approved":
                    ids = set(lines.values_list("id", flat=True))
                    assert not ids & paid_lines
                    paid_lines |= ids
            raise Rollback
    except Rollback:
        pass
