import logging

from celery import shared_task
from django.core.mail import EmailMultiAlternatives

logger = logging.getLogger(__name__)


@shared_task(bind=True, max_retries=5, default_retry_delay=60)
def send_email(self, *, to: list[str], subject: str, body: str, html_body: str | None = None) -> None:
    """Send one rendered e-mail; retried with a delay when the mail server is unreachable."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html_body:
        message.attach_alternative(html_body, "text/html")
    try:
        message.send()
    except OSError as exc:  # connection refused, timeout: the SMTP server is down
        raise self.retry(exc=exc) from exc


@shared_task
def restart_stale_work() -> dict[str, list]:
    """The watchdog (beat, every PRM_WORK_WATCHDOG_SECONDS): long work whose worker gave no sign
    of life for PRM_WORK_STALE_SECONDS is enqueued again (see prm.work)."""
    from .scoping import scopes_disabled
    from .work import restart_stale

    with scopes_disabled():
        restarted = restart_stale()
    for name, pks in restarted.items():
        logger.warning("Restarted stale %s: %s", name, ", ".join(map(str, pks)))
    return restarted
