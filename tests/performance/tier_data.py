"""The tier program the tier-review tests run on, and the data that puts a partner where a test
needs it: won revenue (won deals closed in the trailing year) and certified users (reps who passed
a course's quiz)."""

from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

import time_machine

from enablement.services import quiz_attempt_submit
from partners.models import Tier

from ..factories import DealFactory, PartnerUserFactory, course_with_quiz, right_answers

# The day most tests evaluate on; the reasons read "short since 2 September 2026".
START = date(2026, 9, 2)

# name -> (rank, won revenue over 12 months in USD, certified users)
PROGRAM = {
    "Registered": (1, "0", 0),
    "Silver": (2, "50000", 1),
    "Gold": (3, "200000", 3),
    "Platinum": (4, "500000", 5),
}


def make_tiers() -> dict[str, Tier]:
    tiers = {}
    for name, (rank, revenue, certified) in PROGRAM.items():
        tiers[name], _ = Tier.objects.update_or_create(
            name=name,
            defaults={"rank": rank, "min_won_revenue_12m": Decimal(revenue), "min_certified_users": certified},
        )
    return tiers


def at(day: date):
    """Travel to noon (UTC) of ``day``; the clock stands still."""
    return time_machine.travel(datetime.combine(day, time(12), tzinfo=dt_timezone.utc), tick=False)


def won(partner, amount: str, *, currency: str = "USD", closed_on: date | None = None):
    """A won deal of ``amount`` closed 20 days before START (in every trailing year tested)."""
    return DealFactory(
        partner=partner,
        won=True,
        amount=Decimal(amount),
        currency=currency,
        closed_on=closed_on or START - timedelta(days=20),
    )


class Certifier:
    """Makes partner reps who passed the course: each counts as one certified user."""

    def __init__(self):
        self.course = None

    def __call__(self, partner, count: int = 1) -> list:
        if self.course is None:
            self.course = course_with_quiz(title="Cloud Suite foundations")
        users = []
        for _ in range(count):
            user = PartnerUserFactory(partner=partner, role="partner_rep")
            quiz_attempt_submit(course=self.course, user=user, answers=right_answers(self.course))
            users.append(user)
        return users


def proposal(partner, to: Tier, **fields):
    """An open review as the evaluation writes it (without running one): ``partner`` to ``to``."""
    from django.utils import timezone

    from performance.models import TierReview

    up = partner.tier is None or to.rank > partner.tier.rank
    fields.setdefault(
        "reasons",
        ["won revenue 12 months 212,400.00 USD >= 200,000.00 USD", "certified users 3 >= 3"]
        if up
        else [
            "won revenue 12 months 150,000.00 USD < 200,000.00 USD",
            "short since 2 September 2026 (grace period 60 days)",
        ],
    )
    fields.setdefault(
        "figures",
        {
            "won_revenue_12m": "212400.00" if up else "150000.00",
            "currency": "USD",
            "certified_users": 3,
            "period": ["2025-09-03", "2026-09-02"],
        },
    )
    return TierReview.objects.create(
        partner=partner,
        current_tier=partner.tier,
        proposed_tier=to,
        direction="upgrade" if up else "downgrade",
        evaluated_on=timezone.localdate(),
        **fields,
    )
