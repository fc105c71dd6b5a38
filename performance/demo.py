"""Demo performance data: the targets the manager set for Acme and Globex, quarter by quarter over
the year, and what the program cost besides commissions each quarter. Every figure of the
scorecards, dashboards and trends is computed from the other apps' demo data (a year of it)."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from partners.models import Partner, User
from prm.demo_story import moment

from .models import ProgramCost, QuarterlyReview, Target, TierReview, quarter_end, quarter_start

QUARTERS = 5  # this quarter and the four before it: every month of the trends has a target

# Targets a quarter, in the program currency: partner -> (won revenue, deals won, certified users).
# The four quarters of a year add up to its target; there is no separate yearly row, because a
# period's target is made of the targets that overlap it, each prorated by its days in the period.
TARGETS = {
    "Acme Cloud Partners": (Decimal("250000.00"), 5, 3),
    "Globex Solutions": (Decimal("120000.00"), 4, 2),
}
# Each quarter's costs besides commissions: category, description, amount, currency.
COSTS = [
    ("staff", "Partner managers' salaries", Decimal("42000.00"), "USD"),
    ("events", "Partner summit and regional road shows", Decimal("9500.00"), "EUR"),
    ("marketing", "Co-marketing campaigns outside the ledger", Decimal("7800.00"), "USD"),
    ("tools", "Partner portal hosting and e-signature", Decimal("2400.00"), "USD"),
]
# The program grew over the year: each quarter's costs are this much above the one before.
COST_GROWTH = Decimal("0.06")


def _quarters(today: date) -> list[date]:
    """The first days of the last QUARTERS quarters, oldest first."""
    first, out = quarter_start(today), []
    for _ in range(QUARTERS):
        out.append(first)
        first = quarter_start(first - timedelta(days=1))
    return out[::-1]


def _targets(manager: User, quarters: list[date], now) -> int:
    made = 0
    for name, (revenue, deals, certified) in TARGETS.items():
        partner = Partner.objects.filter(name=name).first()
        if partner is None:
            continue
        for first in quarters:
            # Set a week before the quarter began (the first one: when the partner was there).
            set_day = max(first - timedelta(days=7), timezone.localdate(partner.activated_at or partner.created_at))
            growth = 1 + Decimal(quarters.index(first)) / 10
            Target.objects.create(
                partner=partner,
                period_start=first,
                period_end=quarter_end(first),
                won_revenue=(revenue * growth).quantize(Decimal("1000")),
                new_deals=deals + quarters.index(first) // 2,
                certified_users=certified,
                set_by=manager,
                set_at=moment(min(set_day, timezone.localdate(now)), 10, now=now),
            )
            made += 1
    return made


def _costs(manager: User, quarters: list[date], now) -> int:
    today = timezone.localdate(now)
    made = 0
    for index, first in enumerate(quarters):
        growth = (1 + COST_GROWTH) ** index
        # Entered once the quarter was over (this quarter's so far: on its first day, as budgeted).
        entered = moment(min(quarter_end(first) + timedelta(days=5), today), 11, now=now)
        if first == quarter_start(today):
            entered = moment(first, 11, now=now)
        for category, description, amount, currency in COSTS:
            ProgramCost.objects.create(
                quarter=first,
                category=category,
                description=description,
                amount=(amount * growth).quantize(Decimal("0.01")),
                currency=currency,
                entered_by=manager,
                entered_at=entered,
            )
            made += 1
    return made


def _date_history(model, field: str) -> None:
    """The audit trail says the rows were written when they were."""
    for row in model.objects.all():
        row.history.all().update(history_date=getattr(row, field))


def _evaluated_on_the_day(evaluate, on: date, now) -> None:
    """Run the evaluation of ``on`` and date what it wrote (the reviews it proposed, those it
    superseded, their history) at 05:00 that day, when the beat task runs it, rather than now."""
    started = timezone.now()
    summary = evaluate(on=on)
    at = moment(on, 5, now=now)
    TierReview.objects.filter(pk__in=summary.proposed).update(proposed_at=at)
    TierReview.objects.filter(status=TierReview.Status.SUPERSEDED, decided_at__gte=started).update(decided_at=at)
    TierReview.history.filter(history_date__gte=started).update(history_date=at)


def _tier_reviews_and_qbrs(manager: User, now) -> tuple[int, int]:
    """The monthly tier reviews of the last three months, as the beat task ran them: VanArsdel IT
    earned Silver (an upgrade waits for the manager), Woodgrove Consulting fell short of Silver and,
    its grace period over, a downgrade waits too; and last quarter's QBR of Acme with the goals the
    manager set for this quarter (its PDF renders after the demo commits, like any QBR)."""
    from .services.qbr import qbr_prepare
    from .services.tier_reviews import tier_reviews_evaluate

    today = timezone.localdate(now)
    for months_ago in (3, 2, 1, 0):
        on = (today - timedelta(days=30 * months_ago)) if months_ago else today
        _evaluated_on_the_day(tier_reviews_evaluate, on, now)
    acme = Partner.objects.get(name="Acme Cloud Partners")
    last_quarter = quarter_start(quarter_start(today) - timedelta(days=1))
    qbr_prepare(
        partner=acme,
        quarter=last_quarter,
        by=manager,
        goals="Register 15 new opportunities in the public sector.\n"
        "Certify a fourth sales engineer on Security essentials.\n"
        "Close the two open renewals before the quarter ends.",
    )
    return TierReview.objects.count(), QuarterlyReview.objects.count()


def seed(*, stdout) -> None:
    if Target.objects.exists() or ProgramCost.objects.exists():
        stdout.write("performance: already loaded")
        return
    manager = User.objects.get(email="manager@demo.test")
    now = timezone.now()
    quarters = _quarters(timezone.localdate(now))
    targets = _targets(manager, quarters, now)
    costs = _costs(manager, quarters, now)
    _date_history(Target, "set_at")
    _date_history(ProgramCost, "entered_at")
    reviews, qbrs = _tier_reviews_and_qbrs(manager, now)
    stdout.write(
        f"performance: {targets} quarterly targets, {costs} program costs over {len(quarters)} quarters, "
        f"{reviews} tier reviews, {qbrs} QBR"
    )
