"""Periodic work of channel marketing (beat entries in prm/settings.py)."""

from celery import shared_task

from prm.scoping import scopes_disabled

# --- leads ---


@shared_task
def expire_lead_offers() -> int:
    """Every 10 minutes: lead offers past their accept-by time time out and go to the next
    partner (marketing.services.leads.lead_offers_expire)."""
    from .services.leads import lead_offers_expire

    with scopes_disabled():
        return lead_offers_expire()


# --- funds ---


@shared_task
def expire_fund_requests() -> int:
    """Beat, daily: approved funds not claimed by their deadline expire and return to the
    balance. Safe to run twice."""
    from .services.funds import fund_requests_expire

    with scopes_disabled():
        return fund_requests_expire()
