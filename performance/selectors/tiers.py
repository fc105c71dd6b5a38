"""Where each partner stands against the tier requirements (DESIGN.md, Tiers): won revenue over
the trailing 12 months, in the program currency, and certified users. The tier review proposes
changes from it; the portal scorecard shows the distance to the next tier."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from partners.models import Partner, Tier
from prm.money import format_money
from prm.scoping import scopes_disabled

from .scorecards import Scorecard, scorecards


@dataclass
class Requirement:
    """One requirement of one tier, checked against one partner's figure."""

    key: str  # "won_revenue_12m" | "certified_users"
    label: str  # "won revenue 12 months"
    required: Decimal | int
    actual: Decimal | int | None  # None: the figure cannot be computed (a missing exchange rate)
    currency: str = ""  # for money

    @property
    def met(self) -> bool:
        return self.actual is not None and self.actual >= self.required

    @property
    def gap(self) -> Decimal | int | None:
        """How much is missing (0 when met; None when unknown)."""
        if self.actual is None:
            return None
        return max(self.required - self.actual, 0)

    def _show(self, value) -> str:
        return format_money(value, self.currency) if self.currency else f"{value:,}"

    def reason(self) -> str:
        """The requirement in words, as a tier review states it:
        "won revenue 12 months 212,400.00 USD >= 200,000.00 USD"."""
        if self.actual is None:
            return f"{self.label} unknown (no exchange rate) < {self._show(self.required)}"
        sign = ">=" if self.met else "<"
        return f"{self.label} {self._show(self.actual)} {sign} {self._show(self.required)}"

    def to_go(self) -> str:
        """What is missing, for the partner: "38,000.00 USD of won revenue"."""
        if self.met or self.gap is None:
            return ""
        noun = "of won revenue" if self.key == "won_revenue_12m" else "more certified users"
        if self.key == "certified_users" and self.gap == 1:
            noun = "more certified user"
        return f"{self._show(self.gap)} {noun}"


@dataclass
class Standing:
    partner_id: int
    on: date
    tier: Tier | None
    card: Scorecard  # the trailing 12 months
    # The highest tier whose every requirement the partner meets (None: not even the entry tier's).
    earned: Tier | None = None
    next_tier: Tier | None = None  # the tier above the current one
    current_requirements: list[Requirement] = field(default_factory=list)
    next_requirements: list[Requirement] = field(default_factory=list)

    @property
    def meets_current(self) -> bool:
        return all(r.met for r in self.current_requirements)

    def to_next(self) -> str:
        """ "38,000.00 USD of won revenue and 1 more certified user to reach Gold" ("" at the top)."""
        if self.next_tier is None:
            return ""
        missing = [r.to_go() for r in self.next_requirements if not r.met and r.to_go()]
        if not missing:
            return f"Every requirement of {self.next_tier.name} is met."
        return f"{' and '.join(missing)} to reach {self.next_tier.name}"


def requirements(tier: Tier, card: Scorecard) -> list[Requirement]:
    currency = settings.PRM_PROGRAM_CURRENCY
    return [
        Requirement(
            "won_revenue_12m",
            "won revenue 12 months",
            tier.min_won_revenue_12m,
            card.won_revenue_total,
            currency=currency,
        ),
        Requirement("certified_users", "certified users", tier.min_certified_users, card.certified_users),
    ]


def trailing_year(on: date) -> tuple[date, date]:
    """The 12 months that end on ``on`` (both days included)."""
    try:
        start = on.replace(year=on.year - 1) + timedelta(days=1)
    except ValueError:  # 29 February
        start = on.replace(year=on.year - 1, day=28) + timedelta(days=1)
    return start, on


def standings(*, partner_ids: list[int] | None = None, on: date | None = None) -> dict[int, Standing]:
    """Each partner's standing on ``on`` (today by default): a fixed number of queries for any
    number of partners (the scorecards', one for the tiers and one for the partners)."""
    on = on or timezone.localdate()
    start, end = trailing_year(on)
    with scopes_disabled():
        tiers = list(Tier.objects.order_by("rank"))
        partners = Partner.objects.all() if partner_ids is None else Partner.objects.filter(pk__in=partner_ids)
        tier_of = dict(partners.values_list("id", "tier_id"))
    cards = scorecards(start=start, end=end, partner_ids=list(tier_of))
    by_id = {t.pk: t for t in tiers}
    out = {}
    for pk, tier_id in tier_of.items():
        card = cards[pk]
        tier = by_id.get(tier_id)
        standing = Standing(partner_id=pk, on=on, tier=tier, card=card)
        for candidate in tiers:
            if all(r.met for r in requirements(candidate, card)):
                standing.earned = candidate
        if tier is not None:
            standing.current_requirements = requirements(tier, card)
            above = [t for t in tiers if t.rank > tier.rank]
        else:
            above = tiers
        if above:
            standing.next_tier = above[0]
            standing.next_requirements = requirements(above[0], card)
        out[pk] = standing
    return out


def standing(*, partner: Partner | int, on: date | None = None) -> Standing:
    pk = partner if isinstance(partner, int) else partner.pk
    return standings(partner_ids=[pk], on=on)[pk]
