"""E-mail from templates, sent by a Celery worker once the transaction commits."""

from django.template.loader import render_to_string

from .tasks import send_email


def send_templated_mail(*, to: list[str], template: str, context: dict) -> None:
    """Render ``{template}_subject.txt``, ``_body.txt`` and ``_body.html`` and enqueue the send.

    Rendering happens now, inside the caller's scope; the worker only delivers.
    """
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    html_body = render_to_string(f"{template}_body.html", context)
    send_email.delay_on_commit(to=to, subject=subject, body=body, html_body=html_body)
