"""E-mail from templates, sent by a Celery worker once the transaction commits."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.template.loader import render_to_string

from .tasks import send_email

_suppressed: ContextVar[bool] = ContextVar("prm_mail_suppressed", default=False)


@contextmanager
def suppressed():
    """Send no e-mail inside this block (demo data describes people who must not be mailed)."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def is_suppressed() -> bool:
    """True inside ``suppressed()``: code that mails by other means (newsletters) must not either."""
    return _suppressed.get()


def send_templated_mail(*, to: list[str], template: str, context: dict) -> None:
    """Render ``{template}_subject.txt``, ``_body.txt`` and ``_body.html`` and enqueue the send.

    Rendering happens now, inside the caller's scope; the worker only delivers.
    """
    if _suppressed.get():
        return
    subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
    body = render_to_string(f"{template}_body.txt", context)
    html_body = render_to_string(f"{template}_body.html", context)
    send_email.delay_on_commit(to=to, subject=subject, body=body, html_body=html_body)
