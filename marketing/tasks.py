"""Celery tasks of channel marketing (each part keeps its own block)."""

from celery import shared_task

from prm.scoping import scopes_disabled

# --- funds ---


@shared_task
def expire_fund_requests() -> int:
    """Beat, daily: approved funds not claimed by their deadline expire and return to the
    balance. Safe to run twice."""
    from .services.funds import fund_requests_expire

    with scopes_disabled():
        return fund_requests_expire()
