"""Celery tasks of the performance stage. Each acts for the program (scoping disabled) and can
run twice without harm."""

from celery import shared_task

from prm.errors import Busy
from prm.scoping import scopes_disabled

from .services.tier_reviews import tier_reviews_evaluate


@shared_task(autoretry_for=(Busy,), retry_backoff=30, max_retries=3)
def review_tiers() -> dict:
    """Monthly (beat entry ``review-tiers``) and on demand from the admin: every active partner
    against the tier requirements (services.tier_reviews). Idempotent: an open proposal for the
    same change is kept, so a second run writes nothing new. Retried when another evaluation
    holds the lock."""
    with scopes_disabled():
        return tier_reviews_evaluate().as_dict()
