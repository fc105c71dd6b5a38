from celery import shared_task

from prm.scoping import scopes_disabled

from . import services


@shared_task
def expire_lapsed_deals() -> int:
    """Daily: approved deals whose protection ended expire (services.deals_expire)."""
    with scopes_disabled():
        return services.deals_expire()
