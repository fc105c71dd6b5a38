"""Tier reviews (DESIGN.md, Tiers): the evaluation proposes tier changes with their reasons in
words; a manager applies or dismisses each one; applying changes the tier with history and tells
the partner.

Who is evaluated: active partners only. An onboarding partner has not finished joining (no
signed agreement, no payout details yet): its figures say nothing about the tier it belongs in,
and it starts at the entry tier anyway. Suspended and terminated partners are never evaluated;
their shortfalls are forgotten, so a reactivated partner's grace period starts afresh.

The rules, per active partner, against ``performance.selectors.tiers.standings``:

- Upgrade: when it meets every requirement of a tier above its own, propose the highest tier it
  earns (skipping levels).
- Downgrade: when it falls short of its own tier, a ``TierShortfall`` records since when (the
  first evaluation that saw it). Only once the shortfall has lasted
  ``PRM_TIER_DOWNGRADE_GRACE_DAYS`` is a downgrade proposed, to the highest tier whose
  requirements it meets (or the entry tier). Meeting the requirements again ends the shortfall.
- Won revenue that cannot be converted into the program currency (a missing exchange rate) is
  unknown, not zero: such a partner is held (no downgrade is ever proposed on it, its shortfall
  neither starts nor ends, its open proposal stays) and the summary says why in words.
- An open proposal for the same change is kept as it is (running twice writes nothing new); a
  different change supersedes it, and so does finding that no change is due any more.
- A change a manager dismissed is not proposed again while its outcome is the same: the same
  direction and proposed tier, and the same requirements of the current and the proposed tier met
  and failed. The figures themselves (the trailing 12 months move every day) do not matter: the
  decision holds until the partner earns a different tier or a different requirement flips.

The evaluation is set-based: the standings' fixed number of queries, a handful of reads, and bulk
writes, whatever the number of partners.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from partners.models import Partner, Tier, TierChange, User
from partners.selectors import partner_admin_emails
from partners.services import partner_tier_set
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock, lock_one, lock_table
from prm.mail import send_templated_mail
from prm.roles import MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled
from prm.text import REASON_MAX, check_text
from prm.transitions import check_transition

from ..models import TierReview, TierShortfall
from ..selectors.tiers import Standing, requirements, standings

logger = logging.getLogger(__name__)

Status = TierReview.Status
Direction = TierReview.Direction

# The decisions a review waits for; every other status is final.
REVIEW_TRANSITIONS = {Status.PROPOSED: {Status.APPLIED, Status.DISMISSED, Status.SUPERSEDED}}
HISTORY_REASON_MAX = TierChange._meta.get_field("reason").max_length


def long_date(day: date) -> str:
    """``2 September 2026``, as the reasons say it."""
    return f"{day.day} {day:%B %Y}"


@dataclass
class EvaluationSummary:
    """What one evaluation did, for the task's result and the logs."""

    on: date
    evaluated: int = 0  # active partners looked at
    proposed: list[int] = field(default_factory=list)  # new reviews
    kept: int = 0  # open proposals that still hold
    superseded: int = 0
    shortfalls_started: int = 0
    shortfalls_ended: int = 0  # met again, or the partner is no longer active
    # Partners whose standing is unknown (a missing exchange rate), with the reasons in words.
    held: dict[int, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = asdict(self)
        data["on"] = self.on.isoformat()
        data["held"] = {str(pk): reasons for pk, reasons in self.held.items()}
        return data


@dataclass
class _Change:
    direction: str
    to: Tier
    reasons: list[str]


def _outcome(standing: Standing, to: Tier) -> dict:
    """Which requirements of the current and the proposed tier are met: with the direction and the
    tiers, what a dismissal holds on ({"current": {"won_revenue_12m": True, ...}, "proposed": ...})."""
    current = standing.current_requirements if standing.tier is not None else []
    return {
        "current": {r.key: r.met for r in current},
        "proposed": {r.key: r.met for r in requirements(to, standing.card)},
    }


def _figures(standing: Standing, to: Tier, *, short_since: date | None = None) -> dict:
    card = standing.card
    figures = {
        "won_revenue_12m": None if card.won_revenue_total is None else f"{card.won_revenue_total:.2f}",
        "currency": settings.PRM_PROGRAM_CURRENCY,
        "certified_users": card.certified_users,
        "period": [card.start.isoformat(), card.end.isoformat()],
        "requirements": _outcome(standing, to),
    }
    if card.missing_rates:
        figures["missing_rates"] = list(card.missing_rates)
    if short_since is not None:
        figures["short_since"] = short_since.isoformat()
    return figures


def _dismissed(last: TierReview | None, review: TierReview) -> bool:
    """Whether ``review`` proposes again what a manager dismissed in ``last``: the same change
    (direction, current and proposed tier) on the same requirements met and failed. A dismissal
    written before the requirements were kept with the figures does not hold."""
    if last is None:
        return False
    same_change = (last.direction, last.current_tier_id, last.proposed_tier_id) == (
        review.direction,
        review.current_tier_id,
        review.proposed_tier_id,
    )
    outcome = last.figures.get("requirements")
    return same_change and outcome is not None and outcome == review.figures["requirements"]


def _upgrade(standing: Standing) -> _Change | None:
    earned, tier = standing.earned, standing.tier
    if earned is None or (tier is not None and earned.rank <= tier.rank):
        return None
    return _Change(Direction.UPGRADE, earned, [r.reason() for r in requirements(earned, standing.card)])


def _downgrade(standing: Standing, since: date, entry: Tier, on: date) -> _Change | None:
    """The downgrade due once the grace period is over (None while it runs, or at the entry tier)."""
    grace = settings.PRM_TIER_DOWNGRADE_GRACE_DAYS
    if on - since < timedelta(days=grace):
        return None
    to = standing.earned or entry
    if to.rank >= standing.tier.rank:
        return None
    reasons = [r.reason() for r in standing.current_requirements if not r.met]
    reasons.append(f"short since {long_date(since)} (grace period {grace} days)")
    return _Change(Direction.DOWNGRADE, to, reasons)


def _held_reasons(standing: Standing) -> list[str]:
    card = standing.card
    reasons = [r.reason() for r in standing.current_requirements if r.actual is None]
    reasons.append(
        f"no exchange rate into {settings.PRM_PROGRAM_CURRENCY} for {', '.join(card.missing_rates)} "
        f"on {long_date(card.end)}: no downgrade is proposed until finance enters it"
    )
    return reasons


def _last_dismissals() -> dict[int, TierReview]:
    """Each partner's most recently dismissed review (one query)."""
    latest = (
        TierReview.objects.filter(partner_id=OuterRef("partner_id"), status=Status.DISMISSED)
        .order_by("-decided_at", "-id")
        .values("pk")[:1]
    )
    rows = TierReview.objects.filter(status=Status.DISMISSED, pk=Subquery(latest)).only(
        "partner_id", "direction", "current_tier_id", "proposed_tier_id", "figures"
    )
    return {r.partner_id: r for r in rows}


@transaction.atomic
def tier_reviews_evaluate(*, on: date | None = None) -> EvaluationSummary:
    """Evaluate every active partner against the tier requirements on ``on`` (today by default):
    propose upgrades at once and downgrades after the grace period, keep shortfalls, supersede
    proposals that no longer hold. Acts for the program (no user); see the module's rules."""
    on = on or timezone.localdate()
    summary = EvaluationSummary(on=on)
    found = standings(on=on)  # every partner: no list of ten thousand ids in a query
    now = timezone.now()
    with scopes_disabled():
        # One evaluation at a time (the shortfalls are written by evaluations only); then the
        # open proposals, in id order, so an apply in progress finishes first and none starts.
        lock_table(TierShortfall, "SHARE ROW EXCLUSIVE", message="Another tier review is running. Try again later.")
        open_reviews = {r.partner_id: r for r in lock(TierReview.objects.filter(status=Status.PROPOSED))}
        active = dict(Partner.objects.filter(status=Partner.Status.ACTIVE).values_list("id", "tier_id"))
        shortfalls = {s.partner_id: s for s in TierShortfall.objects.all()}
        dismissed = _last_dismissals()
        tiers = list(Tier.objects.order_by("rank"))
    entry = tiers[0] if tiers else None

    new_reviews: list[TierReview] = []
    superseded: list[TierReview] = []
    new_shortfalls: list[TierShortfall] = []
    moved_shortfalls: list[TierShortfall] = []
    ended_shortfalls: list[int] = [s.pk for pk, s in shortfalls.items() if pk not in active]

    for pk, tier_id in active.items():
        standing = found.get(pk)
        # A partner whose tier changed since the standings were read is evaluated next time.
        if standing is None or (standing.tier.pk if standing.tier else None) != tier_id:
            if pk in open_reviews:
                summary.kept += 1
            continue
        summary.evaluated += 1
        shortfall = shortfalls.get(pk)
        if standing.card.won_revenue_total is None:
            summary.held[pk] = _held_reasons(standing)
            if pk in open_reviews:
                summary.kept += 1
            continue

        change = _upgrade(standing)
        since = None
        if standing.tier is not None and not standing.meets_current:
            if shortfall is None:
                since = on
                new_shortfalls.append(TierShortfall(partner_id=pk, tier=standing.tier, since=on))
                summary.shortfalls_started += 1
            elif shortfall.tier_id != standing.tier.pk:
                since = shortfall.since = on
                shortfall.tier = standing.tier
                moved_shortfalls.append(shortfall)
                summary.shortfalls_started += 1
            else:
                since = shortfall.since
            if change is None and entry is not None:
                change = _downgrade(standing, since, entry, on)
        elif shortfall is not None:
            ended_shortfalls.append(shortfall.pk)

        existing = open_reviews.get(pk)
        if change is not None and existing is not None:
            if (existing.proposed_tier_id, existing.current_tier_id, existing.direction) == (
                change.to.pk,
                tier_id,
                change.direction,
            ):
                summary.kept += 1
                continue
        if existing is not None:
            existing.status = Status.SUPERSEDED
            existing.decided_at = now
            existing.decision_note = (
                f"Replaced by the evaluation of {long_date(on)}."
                if change is not None
                else f"The evaluation of {long_date(on)} no longer proposes this change."
            )
            superseded.append(existing)
        if change is None:
            continue
        review = TierReview(
            partner_id=pk,
            current_tier_id=tier_id,
            proposed_tier=change.to,
            direction=change.direction,
            reasons=change.reasons,
            figures=_figures(
                standing, change.to, short_since=since if change.direction == Direction.DOWNGRADE else None
            ),
            evaluated_on=on,
            proposed_at=now,
        )
        if not _dismissed(dismissed.get(pk), review):
            new_reviews.append(review)

    with scopes_disabled():
        if superseded:
            bulk_update_with_history(
                superseded,
                TierReview,
                ["status", "decided_at", "decision_note"],
                batch_size=500,
                default_change_reason="Superseded by the tier evaluation",
            )
        if new_reviews:
            created = bulk_create_with_history(
                new_reviews, TierReview, batch_size=500, default_change_reason="Proposed by the tier evaluation"
            )
            summary.proposed = sorted(r.pk for r in created)
        if ended_shortfalls:
            TierShortfall.objects.filter(pk__in=ended_shortfalls).delete()
        if moved_shortfalls:
            TierShortfall.objects.bulk_update(moved_shortfalls, ["tier", "since"], batch_size=500)
        if new_shortfalls:
            TierShortfall.objects.bulk_create(new_shortfalls, batch_size=500)
    summary.superseded = len(superseded)
    summary.shortfalls_ended = len(ended_shortfalls)
    for pk, reasons in summary.held.items():
        logger.warning("Tier review of partner %s held: %s", pk, "; ".join(reasons))
    return summary


# --- Decisions -----------------------------------------------------------------------------------


def _history_reason(review: TierReview) -> str:
    """ "Tier review #12: won revenue 12 months ... >= ...; certified users 3 >= 3", within the
    tier history's column (the review keeps every reason in full)."""
    text = f"Tier review #{review.pk}: {'; '.join(review.reasons)}"
    if len(text) > HISTORY_REASON_MAX:
        text = text[: HISTORY_REASON_MAX - 1].rstrip() + "…"
    return text


def _locked_review(review: TierReview) -> TierReview:
    with scopes_disabled():
        return lock_one(TierReview.objects.select_related("current_tier", "proposed_tier"), review.pk)


@transaction.atomic
def tier_review_apply(*, review: TierReview, by: User, note: str = "") -> TierReview:
    """A manager applies a proposed tier change: the partner's tier changes (kept in the tier
    history with the review's reasons) and its partner admins are told by e-mail why, once the
    transaction commits. A review proposed for a tier the partner no longer has is refused: the
    tiers are to be reviewed again."""
    require_role(by, *MANAGER_ROLES, action="apply tier reviews")
    note = (note or "").strip()
    check_text(field="note", value=note, limit=REASON_MAX)
    locked = _locked_review(review)
    check_transition(REVIEW_TRANSITIONS, locked.status, Status.APPLIED, what="review")
    with scopes_disabled():
        partner = lock_one(Partner.objects.select_related("tier"), locked.partner_id, of=("self",))
    if partner.status != Partner.Status.ACTIVE:
        raise StateConflict(
            f"{partner.name} is {partner.get_status_display().lower()}: only an active partner's tier is "
            f"reviewed. Dismiss this review."
        )
    if partner.tier_id != locked.current_tier_id:
        now_at = partner.tier.name if partner.tier else "no tier"
        was = locked.current_tier.name if locked.current_tier else "no tier"
        raise StateConflict(
            f"{partner.name}'s tier changed since this review was proposed ({was} then, {now_at} now): "
            f"review the tiers again."
        )
    partner_tier_set(partner=partner, tier=locked.proposed_tier, by=by, reason=_history_reason(locked))
    locked.status = Status.APPLIED
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.decision_note = note
    locked._change_reason = "Applied"
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    admins = partner_admin_emails([partner.pk]).get(partner.pk, [])
    if admins:
        send_templated_mail(
            to=admins,
            template="performance/email/tier_changed",
            context={
                "partner": partner,
                "review": locked,
                "before": locked.current_tier,
                "tier": locked.proposed_tier,
                "upgrade": locked.direction == Direction.UPGRADE,
                "reasons": locked.reasons,
                "note": note,
                "link": f"{settings.SITE_URL}/portal/scorecard/",
            },
        )
    return locked


@transaction.atomic
def tier_review_dismiss(*, review: TierReview, by: User, reason: str) -> TierReview:
    """A manager dismisses a proposed tier change with a reason, kept with the review (the partner
    is not told: nothing changes for it). The same change is not proposed again until the partner
    earns a different tier or a different requirement flips (see the module's rules)."""
    require_role(by, *MANAGER_ROLES, action="dismiss tier reviews")
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why the review is dismissed."})
    check_text(field="reason", value=reason, limit=REASON_MAX)
    locked = _locked_review(review)
    check_transition(REVIEW_TRANSITIONS, locked.status, Status.DISMISSED, what="review")
    locked.status = Status.DISMISSED
    locked.decided_by, locked.decided_at = by, timezone.now()
    locked.decision_note = reason
    locked._change_reason = "Dismissed"
    locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    return locked
