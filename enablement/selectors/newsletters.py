"""Reads of newsletters: what a partner user may read in the portal, whether they receive
newsletters, and how a send is progressing (for the admin)."""

from django.db.models import Count, F, QuerySet

from partners.models import User
from prm.roles import Role

from ..models import Newsletter, NewsletterDelivery, NewsletterOptOut, Recipients


def newsletters_for(user: User) -> QuerySet[Newsletter]:
    """The sent newsletters a partner user may read: those whose deliveries include the user's
    organization (whatever each delivery's status: the audience included the partner), and, for a
    newsletter meant for partner admins only, only its partner admins (as announcements do).

    The deliveries are partner-scoped, so the scoping kernel limits them to the request's
    organization; a newsletter outside it is simply not found (404), like a missing one.
    Newest first."""
    if not (user.is_authenticated and user.is_active):
        return Newsletter.objects.none()
    reached = NewsletterDelivery.objects.values("newsletter_id")
    newsletters = Newsletter.objects.filter(status=Newsletter.Status.SENT, pk__in=reached)
    if user.role != Role.PARTNER_ADMIN:
        newsletters = newsletters.exclude(recipients=Recipients.ADMINS)
    return newsletters.order_by(F("started_at").desc(nulls_last=True), "-id")


def newsletter_list_for(user: User) -> QuerySet[Newsletter]:
    """``newsletters_for`` without the heavy snapshot columns, for the portal's list."""
    return newsletters_for(user).only("id", "subject", "started_at", "finished_at", "body_text")


def newsletter_receives(user: User) -> bool:
    """Whether a user receives newsletters (has not unsubscribed). Transactional mail is always sent."""
    return not NewsletterOptOut.objects.filter(user=user).exists()


def newsletter_opt_out_of(user: User) -> NewsletterOptOut | None:
    return NewsletterOptOut.objects.filter(user=user).select_related("newsletter").first()


def delivery_counts(newsletter: Newsletter) -> dict[str, int]:
    """Deliveries per status (every status present, zero when none), in one query."""
    counts = dict.fromkeys(NewsletterDelivery.Status.values, 0)
    rows = NewsletterDelivery.objects.filter(newsletter=newsletter).values("status").annotate(n=Count("id")).order_by()
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def newsletter_progress(newsletter: Newsletter) -> dict:
    """How far a send is: (sent + skipped + failed) of ``recipient_count``, for the admin's bar."""
    done = newsletter.sent_count + newsletter.skipped_count + newsletter.failed_count
    total = newsletter.recipient_count
    percent = min(100, done * 100 // total) if total else (100 if newsletter.status == Newsletter.Status.SENT else 0)
    finished = newsletter.status == Newsletter.Status.SENT
    if newsletter.status in (Newsletter.Status.SENDING, Newsletter.Status.SENT):
        text = (
            f"{done:,} of {total:,} done: {newsletter.sent_count:,} sent · {newsletter.skipped_count:,} skipped"
            f" · {newsletter.failed_count:,} failed."
        )
    else:
        text = f"{newsletter.get_status_display()}: not sent yet."
    return {
        "status": newsletter.status,
        "status_label": newsletter.get_status_display(),
        "recipient_count": total,
        "sent_count": newsletter.sent_count,
        "skipped_count": newsletter.skipped_count,
        "failed_count": newsletter.failed_count,
        "done": done,
        "percent": percent,
        "finished": finished,
        "text": text,
    }
