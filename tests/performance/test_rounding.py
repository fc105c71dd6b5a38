"""Percentages and averages of the shared scorecards round half up, as people (and DESIGN.md's
one rounding rule) do: 73.45% is 73.5%, never the 73.4% of Python's default half-even."""

from decimal import Decimal

import pytest

from performance.models import Target, quarter_end
from performance.selectors import scorecard

from ..factories import DealFactory
from .conftest import last_quarter, moment

pytestmark = pytest.mark.django_db


def test_attainment_of_73_45_percent_reads_73_5(partner):
    q = last_quarter()
    DealFactory(partner=partner, status="won", amount=Decimal("73450.00"), closed_on=q, submitted_at=moment(q))
    Target.objects.create(partner=partner, period_start=q, period_end=quarter_end(q), won_revenue=Decimal("100000"))
    card = scorecard(partner=partner, start=q, end=quarter_end(q))
    assert card.attainment["won_revenue"] == Decimal("73.5")


def test_a_win_rate_of_one_in_eight_reads_12_5_and_one_in_sixteen_6_3(partner, rival):
    q = last_quarter()
    DealFactory(partner=partner, status="won", closed_on=q, submitted_at=moment(q))
    DealFactory.create_batch(7, partner=partner, status="lost", closed_on=q, submitted_at=moment(q))
    DealFactory(partner=rival, status="won", closed_on=q, submitted_at=moment(q))
    DealFactory.create_batch(15, partner=rival, status="lost", closed_on=q, submitted_at=moment(q))
    assert scorecard(partner=partner, start=q, end=quarter_end(q)).win_rate == Decimal("12.5")
    assert scorecard(partner=rival, start=q, end=quarter_end(q)).win_rate == Decimal("6.3")  # 6.25 half up
