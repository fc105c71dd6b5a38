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


@shared_task
def render_signed_agreement(signature_id: int) -> bool:
    """Render and store a signed agreement's PDF (enqueued when it is signed; skipped when stored)."""
    return services.agreement_pdf_store(signature_id=signature_id)
