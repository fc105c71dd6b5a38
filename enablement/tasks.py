from celery import shared_task

from prm.scoping import scopes_disabled

from . import services
from .models import Certification


@shared_task
def render_certificate_pdf(certification_id: int) -> bool:
    """Render and store a certificate once (safe to run twice). Returns whether it had to."""
    with scopes_disabled():
        certification = Certification.objects.filter(pk=certification_id).first()
        if certification is None or certification.pdf:
            return False
        services.certificate_pdf_ensure(certification)
        return True


@shared_task
def remind_and_expire_certifications() -> dict:
    """Daily: reminders 30 and 7 days before a certification lapses, then expiry
    (services.certifications_remind_and_expire)."""
    with scopes_disabled():
        return services.certifications_remind_and_expire()


# --- Surveys (partner feedback) ---


@shared_task
def remind_and_close_surveys() -> dict:
    """Daily: close surveys past their closing time, remind once those who did not answer
    (services.surveys_remind_and_close)."""
    with scopes_disabled():
        return services.surveys_remind_and_close()
