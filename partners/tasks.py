from celery import shared_task

from prm.scoping import scopes_disabled

from . import services


@shared_task
def remind_stalled_onboarding() -> int:
    """Daily: one reminder per stalled onboarding (see services.onboarding_stalled_remind)."""
    with scopes_disabled():
        return services.onboarding_stalled_remind()


@shared_task
def rescore_applications(ids: list[int] | None = None) -> int:
    """Re-score open applications against the current ideal partner profile."""
    with scopes_disabled():
        return services.applications_rescore(ids=ids)
