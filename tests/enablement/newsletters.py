"""Sent newsletters for the page tests, written as the sending engine leaves them: the snapshot
(``body_html``/``body_text``) and one delivery per recipient."""

from datetime import timedelta

from django.utils import timezone

from enablement.models import Newsletter, NewsletterDelivery


def sent_newsletter(*, subject="Spring news", to=(), body_html=None, days_ago=1, status="sent", **fields):
    """A newsletter sent ``days_ago`` with a delivery (status ``status``) to each user of ``to``."""
    started = timezone.now() - timedelta(days=days_ago)
    newsletter = Newsletter.objects.create(
        subject=subject,
        body_markdown=f"# {subject}\n\nThe draft text.",
        status=Newsletter.Status.SENT,
        started_at=started,
        finished_at=started + timedelta(minutes=2),
        body_html=body_html if body_html is not None else f"<h1>{subject}</h1><p>What was mailed.</p>",
        body_text=f"{subject}\n\nWhat was mailed.",
        recipient_count=len(to),
        sent_count=len(to) if status == "sent" else 0,
        skipped_count=len(to) if status == "skipped" else 0,
        **fields,
    )
    for user in to:
        NewsletterDelivery.objects.create(
            newsletter=newsletter, user=user, partner_id=user.partner_id, email=user.email, status=status
        )
    return newsletter
