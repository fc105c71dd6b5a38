from celery import shared_task
from django.core.mail import EmailMultiAlternatives


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
