from celery import shared_task

from prm.scoping import scopes_disabled

from . import services


@shared_task
def open_channel_conflict_case(deal_id: int) -> int | None:
    """Open (or join) the channel-conflict case of a registration that clashed. Safe to run twice."""
    with scopes_disabled():
        case = services.case_open_for_conflict(deal_id=deal_id)
    return case.pk if case else None


@shared_task
def escalate_breached_cases() -> int:
    """Beat, every few minutes: escalate each breached SLA once."""
    with scopes_disabled():
        return services.cases_escalate()
