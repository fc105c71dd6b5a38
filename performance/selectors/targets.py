"""Targets as partners see them: the current and upcoming ones, each with its progress."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from partners.models import Partner

from ..models import Target
from .scorecards import Scorecard, percent, scorecards

# Upcoming targets shown beside the current one (a year of quarterly targets).
UPCOMING_SHOWN = 4
LABELS = {"won_revenue": "Won revenue", "new_deals": "Deals won", "certified_users": "Certified users"}


@dataclass
class FigureProgress:
    """One figure a target sets, and how far the partner has come."""

    key: str  # "won_revenue" | "new_deals" | "certified_users"
    label: str  # "Won revenue", "Deals won", "Certified users"
    target: Decimal | int  # won revenue: Decimal in ``currency``; deals: int (Decimal when prorated); users: int
    actual: Decimal | int | None  # None: not started, or won revenue in a currency without a rate
    percent: Decimal | None  # actual of target, one decimal (above 100 when exceeded); None as above or target 0
    currency: str | None = None  # the program currency for won revenue, else None


@dataclass
class TargetProgress:
    """A target and the partner's progress towards it."""

    target: Target
    state: str  # "current" (its period holds ``on``) | "upcoming" (it starts after ``on``)
    days_left: int  # days from ``on`` to the period's end, both included (the whole period when upcoming)
    scorecard: Scorecard | None  # over the target's period so far; None when upcoming
    figures: list[FigureProgress] = field(default_factory=list)  # only the figures the target sets


def progress_of(target, card: Scorecard | None, currency: str) -> list[FigureProgress]:
    """One ``FigureProgress`` per figure ``target`` sets (a ``Target`` or a scorecard's
    ``TargetFigures``), with ``card``'s actuals (None: not started)."""
    actuals = {}
    if card is not None:
        actuals = {
            "won_revenue": card.won_revenue_total,
            "new_deals": card.won_deals,
            "certified_users": card.certified_users,
        }
    out = []
    for key, label in LABELS.items():
        wanted = getattr(target, key)
        if wanted is None:
            continue
        actual = actuals.get(key)
        out.append(
            FigureProgress(
                key=key,
                label=label,
                target=wanted,
                actual=actual,
                percent=percent(actual, wanted),
                currency=currency if key == "won_revenue" else None,
            )
        )
    return out


def targets_of(*, partner: Partner | int, on: date | None = None) -> list[TargetProgress]:
    """The partner's targets that are current on ``on`` (default today) and the next
    ``UPCOMING_SHOWN`` upcoming ones, by period: ``[TargetProgress]``, the current first.

    Each ``TargetProgress`` has ``target`` (the ``Target`` row: ``period_start``, ``period_end``,
    ``won_revenue`` (Decimal, program currency), ``new_deals``, ``certified_users``; None where not
    set), ``state`` ("current" or "upcoming"), ``days_left`` (int), ``scorecard`` (the partner's
    ``Scorecard`` over the target's period so far, for a current target; None for an upcoming one)
    and ``figures``: one ``FigureProgress`` per figure the target sets, in the order won revenue,
    deals won, certified users, each with ``key``, ``label``, ``target``, ``actual`` (won revenue
    in the program currency; None when upcoming or when a currency has no rate), ``percent``
    (Decimal with one decimal, or None) and ``currency`` (won revenue only).

    Queries: one for the targets, and one scorecard (a fixed dozen) per current target; a partner
    has at most one current target, as targets do not overlap. Reads every partner's targets when
    scopes are disabled, and only the signed-in partner's own in a partner scope (the portal).
    """
    on = on or timezone.localdate()
    pk = partner if isinstance(partner, int) else partner.pk
    rows = list(Target.objects.filter(partner_id=pk, period_end__gte=on).order_by("period_start", "id"))
    current = [t for t in rows if t.period_start <= on]
    upcoming = [t for t in rows if t.period_start > on][:UPCOMING_SHOWN]
    out = []
    for target in current:
        card = scorecards(start=target.period_start, end=target.period_end, partner_ids=[pk])[pk]
        out.append(
            TargetProgress(
                target=target,
                state="current",
                days_left=(target.period_end - on).days + 1,
                scorecard=card,
                figures=progress_of(target, card, card.program_currency),
            )
        )
    for target in upcoming:
        out.append(
            TargetProgress(
                target=target,
                state="upcoming",
                days_left=(target.period_end - target.period_start).days + 1,
                scorecard=None,
                figures=progress_of(target, None, settings.PRM_PROGRAM_CURRENCY),
            )
        )
    return out
