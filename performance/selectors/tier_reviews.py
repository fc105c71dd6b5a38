"""What managers read of the tier reviews: the list, newest first, with what each row shows
joined in (one query per page whatever its length)."""

from django.db.models import QuerySet

from prm.errors import RuleViolation

from ..models import TierReview


def tier_review_list(*, status: str | None = None, direction: str | None = None) -> QuerySet[TierReview]:
    """Tier reviews, optionally of one status and direction; an unknown value is a 400 naming it."""
    reviews = TierReview.objects.select_related("partner", "current_tier", "proposed_tier", "decided_by")
    for name, value, choices in (
        ("status", status, TierReview.Status.values),
        ("direction", direction, TierReview.Direction.values),
    ):
        if value in (None, ""):
            continue
        if value not in choices:
            allowed = [*choices, "all"] if name == "status" else choices
            raise RuleViolation({name: f"Choose one of: {', '.join(allowed)}."})
        reviews = reviews.filter(**{name: value})
    return reviews.order_by("-proposed_at", "-id")
