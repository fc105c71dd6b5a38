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


# --- Communication: newsletter sends (enablement.services.newsletters) ---------------------------


@shared_task
def send_newsletter(newsletter_id: int) -> None:
    """Do or resume one newsletter's send (safe twice, by two workers, after a crash). Retries due
    later come back as a delayed task; in eager mode (no broker) they wait for the watchdog."""
    retry_at = services.newsletter_deliver(newsletter_id=newsletter_id)
    if retry_at is not None and not send_newsletter.app.conf.task_always_eager:
        send_newsletter.apply_async((newsletter_id,), eta=retry_at)


@shared_task
def send_scheduled_newsletters() -> list[int]:
    """Every minute: scheduled newsletters whose time has come start sending."""
    with scopes_disabled():
        return services.newsletters_send_scheduled()


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_newsletter_test(self, newsletter_id: int, user_id: int) -> None:
    """A manager's test mail of a newsletter (no delivery recorded)."""
    with scopes_disabled():
        try:
            services.newsletter_test_deliver(newsletter_id=newsletter_id, user_id=user_id)
        except OSError as exc:  # the mail server is unreachable
            raise self.retry(exc=exc) from exc


# --- Surveys (partner feedback) ---


@shared_task
def remind_and_close_surveys() -> dict:
    """Daily: close surveys past their closing time, remind once those who did not answer
    (services.surveys_remind_and_close)."""
    with scopes_disabled():
        return services.surveys_remind_and_close()


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_survey_invitations(self, survey_id: int) -> int:
    """Mail a sent survey's invitations not mailed yet, in batches (safe to run twice:
    services.survey_invitations_mail). Retried later when the mail server is unreachable."""
    try:
        return services.survey_invitations_mail(survey_id=survey_id)
    except OSError as exc:  # connection refused, timeout: the batches mailed so far stay stamped
        raise self.retry(exc=exc) from exc


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_survey_reminders(self, survey_id: int) -> int:
    """Mail a survey's reminders not mailed yet, in batches (safe to run twice:
    services.survey_reminders_mail). Retried later when the mail server is unreachable."""
    try:
        return services.survey_reminders_mail(survey_id=survey_id)
    except OSError as exc:
        raise self.retry(exc=exc) from exc
