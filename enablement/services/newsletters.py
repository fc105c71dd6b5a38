"""Newsletters: composing, previewing, sending each one exactly once, unsubscribing.

Sending (``newsletter_send`` -> the ``send_newsletter`` task -> ``newsletter_deliver``):

1. **Prepare, before anyone is mailed.** The worker snapshots the mail (``body_html`` from
   ``prm.markup.markdown_to_html``, so a ``<script>`` or a ``javascript:`` link never survives, and
   ``body_text`` derived from that sanitized HTML) and creates one ``NewsletterDelivery`` per user of
   the audience with ``bulk_create(ignore_conflicts=True)`` under the unique (newsletter, user)
   constraint. Users who unsubscribed get ``skipped``. Preparing twice creates nothing twice.
2. **Claim a batch.** ``pending`` deliveries that are due are claimed with a conditional
   ``UPDATE ... SET status='sending', claimed_by=<this run>`` that only touches rows still pending
   (on PostgreSQL the candidate rows are first taken ``FOR UPDATE SKIP LOCKED``), so two workers
   never take the same row. Only the run named in ``claimed_by`` may record a delivery as sent.
3. **Mail the batch on one SMTP connection** (``django.core.mail.get_connection()``).

The moment that matters is between "the mail server accepted the message" and "we recorded it as
sent": a worker killed between the two either mails someone twice (if it records after sending) or
loses a mail (if it records before). With the SMTP backend this module closes the window by
speaking SMTP itself on the connection Django's ``EmailBackend`` opened (``connection.connection``
is the ``smtplib.SMTP``) and splitting ``smtplib.SMTP.data()`` in two halves:

- ``MAIL FROM``, ``RCPT TO``, ``DATA`` and the whole message (dot-stuffed and CRLF-terminated as
  smtplib does), but **not** the final ``.`` line that ends the data;
- then the delivery is recorded ``sent`` and committed, conditionally on our claim
  (``UPDATE ... WHERE status='sending' AND claimed_by=<this run>``);
- then the final ``.\\r\\n`` is written and the server's reply read. An error reply turns the
  delivery back into a retry or a failure with the reason.

A mail server delivers a message only after the end of its data. A worker killed before our commit
leaves the row ``sending`` while the server never saw the end of the data and discards what it
got: mailing that row again later is safe. A worker killed after the commit leaves it recorded as
sent. If our claim was lost (a stale claim given to another run), the conditional update changes
nothing and the connection is closed without ending the data: the other run mails it, once.

So a worker's death never mails anyone twice. A mail can be lost (never doubled) in three cases:

- the worker dies between our commit and the server's reading of the final dot;
- the commit succeeds on the database server but errors on our side (e.g. the connection to the
  database drops while the reply comes back): the data is abandoned, the row stays ``sent``,
  nobody mailed;
- no reply comes after the final dot: the row stays ``sent`` with the warning in ``last_error``
  (the server may or may not have the message), the connection is closed and the batch goes on
  on a new one.

One trade is the database's: the records are committed without waiting for PostgreSQL's WAL flush
(``PRM_NEWSLETTER_QUICK_COMMITS``, on by default; it is what makes hundreds of mails a second
possible). A crash of the DATABASE SERVER (not of a worker) may then lose the "sent" records of its
last fraction of a second; after recovery those rows are ``sending`` again and their recipients may
be mailed a second time. With the setting off that cannot happen, at the cost of a flush per mail.

Other backends (locmem in tests, console, file) cannot be split: there the delivery is recorded
sent first, then the batch is handed to ``backend.send_messages`` (a failure turns the rows into
retries), which has the same "never twice" property.

**Resuming.** A retried task, the watchdog (``prm.work``: the send is a ``WorkKind``, unfinished =
status ``sending``, the worker beats the newsletter's heartbeat once per batch), a restarted worker
or a second task for the same send all run the same code: prepare (no-op), give back the claims
older than ``PRM_NEWSLETTER_CLAIM_STALE_SECONDS`` (their worker died: nothing of theirs reached the
end of data), claim, mail. No manual clean-up.

**Failures.** A permanent refusal (5xx, e.g. ``550`` to ``RCPT TO`` or at the end of data) fails the
delivery at once with the server's reason; so does an address no mail can be built for (e.g.
``a@b@c.com``), the rest of the batch going on. A temporary refusal (4xx) or a connection error
counts an attempt and sets ``next_attempt_at`` with exponential backoff
(``PRM_NEWSLETTER_RETRY_SECONDS`` x 2^(attempt-1)), up to ``PRM_NEWSLETTER_MAX_ATTEMPTS`` attempts,
then fails with the last reason. The send is ``sent`` (with ``finished_at``) when no delivery is
pending or being sent; retries due later keep it ``sending`` and a delayed task comes back for them.
The counts are recomputed per batch with one aggregate query.

Every mail is from ``DEFAULT_FROM_EMAIL`` with its own ``Message-ID`` (the same on a retry of the
same delivery), the signed unsubscribe URL in its footer and the RFC 8058 headers
``List-Unsubscribe: <SITE_URL/newsletters/unsubscribe/<token>/>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. Unsubscribing stops newsletters only:
transactional mail (``prm.mail``) never looks at opt-outs.
"""

import html as html_lib
import re
import smtplib
import socket
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Case, Count, DateTimeField, Exists, F, Min, OuterRef, Q, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from partners.models import User
from prm import work
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock_one, set_lock_timeout
from prm.markup import absolute_urls, html_to_text, markdown_to_html
from prm.roles import MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled

from ..models import (
    Newsletter,
    NewsletterDelivery,
    NewsletterOptOut,
)
from ..selectors.audience import audience_users
from .audience import audience_apply

UNSUBSCRIBE_SALT = "enablement.newsletter.unsubscribe"
EDITABLE = (Newsletter.Status.DRAFT, Newsletter.Status.SCHEDULED)
SENT_NO_CHANGE = "This newsletter was sent: it can no longer change."
# Stands for each recipient's own unsubscribe URL in the layout rendered once per run.
_UNSUBSCRIBE_PLACEHOLDER = "https://unsubscribe.invalid/PLACEHOLDER/"


# --- Composing ---------------------------------------------------------------------------------------


@transaction.atomic
def newsletter_save(*, by: User, data: dict, newsletter: Newsletter | None = None) -> Newsletter:
    """Managers write a newsletter and choose its audience. Only a draft or a scheduled newsletter
    can change (a scheduled one stays scheduled); one that is sending or sent is what was mailed."""
    require_role(by, *MANAGER_ROLES, action="write newsletters")
    if newsletter is not None and newsletter.pk:
        newsletter = lock_one(Newsletter.objects.all(), newsletter.pk)
        if newsletter.status not in EDITABLE:
            raise StateConflict(SENT_NO_CHANGE)
    else:
        newsletter = Newsletter(created_by=by)
    tiers = audience_apply(target=newsletter, data=data)
    for field in ("subject", "body_markdown"):
        if field in data:
            setattr(newsletter, field, (data[field] or "").strip() if isinstance(data[field], str) else data[field])
    newsletter.updated_at = timezone.now()
    try:
        newsletter.full_clean()
    except ValidationError as error:
        raise RuleViolation(error.message_dict) from error
    newsletter.save()
    if tiers is not None:
        newsletter.tiers.set(tiers)
    return newsletter


# --- The mail -------------------------------------------------------------------------------------------


def _rendered_body(newsletter: Newsletter) -> tuple[str, str]:
    """The newsletter's HTML and text: the snapshot once sending started, else rendered now."""
    if newsletter.body_html:
        return newsletter.body_html, newsletter.body_text
    body_html = absolute_urls(markdown_to_html(newsletter.body_markdown, top_heading=2), settings.SITE_URL)
    return body_html, html_to_text(body_html)


@dataclass
class _Layout:
    subject: str
    html: str
    text: str


def _layout(newsletter: Newsletter, body_html: str, body_text: str, unsubscribe_url: str) -> _Layout:
    context = {
        "subject": newsletter.subject,
        "body_html": mark_safe(body_html),  # sanitized by prm.markup
        "body_text": body_text,
        "unsubscribe_url": unsubscribe_url,
        "portal_news_url": f"{settings.SITE_URL}/portal/news/",
        "site_url": settings.SITE_URL,
    }
    return _Layout(
        subject=newsletter.subject,
        html=render_to_string("enablement/email/newsletter_body.html", context),
        text=render_to_string("enablement/email/newsletter_body.txt", context),
    )


def unsubscribe_url(*, user_id: int, newsletter_id: int | None) -> str:
    """The absolute URL of one user's unsubscribe link (signed, never expires); ``newsletter_id``
    only records which newsletter it came from, the opt-out covers every newsletter."""
    token = _token(user_id, newsletter_id)
    return f"{settings.SITE_URL}{reverse('newsletter_unsubscribe', args=[token])}"


def newsletter_preview(*, newsletter: Newsletter, user: User | None = None) -> dict:
    """The mail as ``user`` (or a sample reader) gets it: subject, HTML and text, through the
    shared mail layout, with that user's unsubscribe link."""
    body_html, body_text = _rendered_body(newsletter)
    url = (
        unsubscribe_url(user_id=user.pk, newsletter_id=newsletter.pk)
        if user is not None and user.pk
        else f"{settings.SITE_URL}/newsletters/unsubscribe/sample/"
    )
    layout = _layout(newsletter, body_html, body_text, url)
    return {"subject": layout.subject, "html": layout.html, "text": layout.text}


def newsletter_audience_count(*, newsletter: Newsletter) -> dict:
    """How many active partner users the audience reaches now (``recipients``), and how many of
    them unsubscribed (``unsubscribed``: they get a skipped delivery, counted, never a mail)."""
    counts = audience_users(newsletter).aggregate(
        recipients=Count("pk", distinct=True),
        unsubscribed=Count("pk", filter=Q(newsletter_opt_out__isnull=False), distinct=True),
    )
    return {"recipients": counts["recipients"], "unsubscribed": counts["unsubscribed"]}


def _message_id(newsletter_id: int, key) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<newsletter-{newsletter_id}.{key}@{domain}>"


def _message(layout: _Layout, *, newsletter_id: int, user_id: int, email: str, key, connection=None):
    return _build_message(
        layout,
        url=unsubscribe_url(user_id=user_id, newsletter_id=newsletter_id),
        email=email,
        message_id=_message_id(newsletter_id, key),
        connection=connection,
    )


def _build_message(layout: _Layout, *, url: str, email: str, message_id: str, connection=None):
    message = EmailMultiAlternatives(
        subject=layout.subject,
        body=layout.text.replace(_UNSUBSCRIBE_PLACEHOLDER, url),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email],
        connection=connection,
        headers={
            "Message-ID": message_id,
            "List-Unsubscribe": f"<{url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(layout.html.replace(html_lib.escape(_UNSUBSCRIBE_PLACEHOLDER), url), "text/html")
    return message


def newsletter_test_send(*, newsletter: Newsletter, by: User) -> None:
    """A test mail to the manager only, subject "[Test] ...": no delivery is recorded, nothing is
    counted. It is sent by a worker after commit (as every mail of ``prm.mail``)."""
    require_role(by, *MANAGER_ROLES, action="send test newsletters")
    from prm.mail import is_suppressed

    from ..tasks import send_newsletter_test

    if not newsletter.subject or not newsletter.body_markdown:
        raise RuleViolation({"body_markdown": ["Write the subject and the body first."]})
    if is_suppressed():
        return
    transaction.on_commit(lambda: send_newsletter_test.delay(newsletter.pk, by.pk))


def newsletter_test_deliver(*, newsletter_id: int, user_id: int) -> None:
    """The worker's part of ``newsletter_test_send``: the current text (not a snapshot) to that one
    user, subject "[Test] ...", a fresh Message-ID each time; no delivery is recorded or counted."""
    newsletter = Newsletter._base_manager.get(pk=newsletter_id)
    user = User._base_manager.get(pk=user_id)
    body_html, body_text = _rendered_body(newsletter)
    layout = _layout(newsletter, body_html, body_text, _UNSUBSCRIBE_PLACEHOLDER)
    layout.subject = f"[Test] {newsletter.subject}"
    _message(
        layout, newsletter_id=newsletter.pk, user_id=user.pk, email=user.email, key=f"test.{uuid.uuid4().hex}"
    ).send()


# --- Sending now or later ----------------------------------------------------------------------------


def newsletter_send(*, newsletter: Newsletter, by: User, at: datetime | None = None, now=None) -> Newsletter:
    """Send now (``at`` None: a worker sends after commit) or schedule for ``at``, which must be in
    the future (a time not after now is refused on ``at``, never taken as "now"). A newsletter is
    sent once: asking again while it is sending or after is refused. An audience that reaches no
    one is refused too."""
    require_role(by, *MANAGER_ROLES, action="send newsletters")
    now = now or timezone.now()
    if at is not None and at <= now:
        raise RuleViolation({"at": ["Choose a time in the future, or send it now."]})
    with transaction.atomic():
        newsletter = lock_one(Newsletter.objects.all(), newsletter.pk)
        if newsletter.status == Newsletter.Status.SENDING:
            raise StateConflict("This newsletter is already being sent.")
        if newsletter.status == Newsletter.Status.SENT:
            raise StateConflict("This newsletter was already sent.")
        if not audience_users(newsletter).exists():
            raise RuleViolation({"audience": ["This audience reaches no one: choose other tiers, types or countries."]})
        newsletter.sent_by = by
        newsletter.updated_at = now
        if at is not None:
            newsletter.status = Newsletter.Status.SCHEDULED
            newsletter.scheduled_for = at
            newsletter.save(update_fields=["status", "scheduled_for", "sent_by", "updated_at"])
            return newsletter
        _start(newsletter, now)
    return newsletter


def _start(newsletter: Newsletter, now) -> None:
    """Within the caller's transaction, with the newsletter locked: status sending, and the send
    task enqueued once the status is committed."""
    from ..tasks import send_newsletter

    newsletter.status = Newsletter.Status.SENDING
    newsletter.heartbeat_at = now  # the watchdog restarts it if no worker shows a sign of life
    newsletter.save(update_fields=["status", "sent_by", "updated_at", "heartbeat_at"])
    pk = newsletter.pk
    transaction.on_commit(lambda: send_newsletter.delay(pk))


def newsletter_unschedule(*, newsletter: Newsletter, by: User) -> Newsletter:
    """A scheduled newsletter goes back to draft (it is not sent)."""
    require_role(by, *MANAGER_ROLES, action="schedule newsletters")
    with transaction.atomic():
        newsletter = lock_one(Newsletter.objects.all(), newsletter.pk)
        if newsletter.status != Newsletter.Status.SCHEDULED:
            raise StateConflict("Only a scheduled newsletter can be unscheduled.")
        newsletter.status = Newsletter.Status.DRAFT
        newsletter.scheduled_for = None
        newsletter.updated_at = timezone.now()
        newsletter.save(update_fields=["status", "scheduled_for", "updated_at"])
    return newsletter


def newsletters_send_scheduled(*, now: datetime | None = None) -> list[int]:
    """The beat's part (every minute): scheduled newsletters whose time has come start sending.
    Each starts once: its status changes under its lock."""
    now = now or timezone.now()
    started = []
    due = Newsletter.objects.filter(status=Newsletter.Status.SCHEDULED, scheduled_for__lte=now)
    for pk in due.order_by("scheduled_for", "pk").values_list("pk", flat=True):
        with transaction.atomic():
            newsletter = lock_one(Newsletter.objects.all(), pk)
            if newsletter.status != Newsletter.Status.SCHEDULED or newsletter.scheduled_for > now:
                continue
            newsletter.updated_at = now
            _start(newsletter, now)
        started.append(pk)
    return started


# --- The sending engine ----------------------------------------------------------------------------------


def _prepare(newsletter_id: int, now) -> Newsletter | None:
    """Snapshot the mail and create every delivery, once (the newsletter locked; a second run
    finds ``started_at`` set and does nothing)."""
    with transaction.atomic():
        newsletter = Newsletter._base_manager.filter(pk=newsletter_id).first()
        if newsletter is None:
            return None
        newsletter = lock_one(Newsletter._base_manager.all(), newsletter_id)
        if newsletter.status != Newsletter.Status.SENDING or newsletter.started_at:
            return newsletter
        body_html = absolute_urls(markdown_to_html(newsletter.body_markdown, top_heading=2), settings.SITE_URL)
        newsletter.body_html, newsletter.body_text = body_html, html_to_text(body_html)
        opted_out = NewsletterOptOut.objects.filter(user=OuterRef("pk"))
        rows = (
            audience_users(newsletter)
            .annotate(opted_out=Exists(opted_out))
            .values_list("pk", "partner_id", "email", "opted_out")
        )
        NewsletterDelivery.objects.bulk_create(
            (
                NewsletterDelivery(
                    newsletter=newsletter,
                    user_id=user_id,
                    partner_id=partner_id,
                    email=email,
                    status=NewsletterDelivery.Status.SKIPPED if opted else NewsletterDelivery.Status.PENDING,
                )
                for user_id, partner_id, email, opted in rows.iterator(chunk_size=2000)
            ),
            batch_size=1000,
            ignore_conflicts=True,
        )
        newsletter.started_at = now
        newsletter.heartbeat_at = timezone.now()
        newsletter.save(update_fields=["body_html", "body_text", "started_at", "heartbeat_at"])
        _update_counts(newsletter_id)
    return Newsletter._base_manager.get(pk=newsletter_id)


def _update_counts(newsletter_id: int) -> None:
    counts = NewsletterDelivery.objects.filter(newsletter_id=newsletter_id).aggregate(
        recipient_count=Count("pk"),
        sent_count=Count("pk", filter=Q(status=NewsletterDelivery.Status.SENT)),
        skipped_count=Count("pk", filter=Q(status=NewsletterDelivery.Status.SKIPPED)),
        failed_count=Count("pk", filter=Q(status=NewsletterDelivery.Status.FAILED)),
    )
    Newsletter._base_manager.filter(pk=newsletter_id).update(**counts)


def _release_stale_claims(newsletter_id: int, now) -> int:
    """Claims older than the stale limit belong to a dead worker: nothing it claimed reached the
    end of data unless it was recorded sent first, so the rows go back to pending."""
    limit = now - timedelta(seconds=settings.PRM_NEWSLETTER_CLAIM_STALE_SECONDS)
    return NewsletterDelivery.objects.filter(
        newsletter_id=newsletter_id, status=NewsletterDelivery.Status.SENDING, claimed_at__lt=limit
    ).update(status=NewsletterDelivery.Status.PENDING, claimed_by="", claimed_at=None)


@dataclass
class _Claimed:
    pk: int
    user_id: int
    email: str
    attempts: int


def _claim(newsletter_id: int, run: str, now, size: int) -> list[_Claimed]:
    """Take up to ``size`` due pending deliveries for this run; rows another run took meanwhile are
    left to it (the UPDATE only changes rows still pending)."""
    with transaction.atomic():
        due = NewsletterDelivery.objects.filter(
            newsletter_id=newsletter_id, status=NewsletterDelivery.Status.PENDING
        ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        if db_connection.vendor == "postgresql":
            set_lock_timeout()
            due = due.select_for_update(skip_locked=True)
        ids = list(due.order_by("pk").values_list("pk", flat=True)[:size])
        if not ids:
            return []
        NewsletterDelivery.objects.filter(pk__in=ids, status=NewsletterDelivery.Status.PENDING).update(
            status=NewsletterDelivery.Status.SENDING, claimed_by=run, claimed_at=now
        )
    return [
        _Claimed(*row)
        for row in NewsletterDelivery.objects.filter(
            pk__in=ids, claimed_by=run, status=NewsletterDelivery.Status.SENDING
        )
        .order_by("pk")
        .values_list("pk", "user_id", "email", "attempts")
    ]


def _record_sent(row: _Claimed, run: str) -> bool:
    """Committed at once (autocommit): true only when this run still held the claim."""
    # One statement in one round trip, as it sits between the message's body and its end of data.
    with db_connection.cursor() as cursor:
        cursor.execute(_RECORD_SENT, [timezone.now(), row.pk, run])
        return cursor.rowcount == 1


_RECORD_SENT = (
    f"UPDATE {NewsletterDelivery._meta.db_table} SET status = 'sent', sent_at = %s, last_error = '' "
    "WHERE id = %s AND status = 'sending' AND claimed_by = %s"
)


@contextmanager
def _quick_commits():
    """Commits that do not wait for PostgreSQL's WAL flush, for the records of one batch, when
    ``PRM_NEWSLETTER_QUICK_COMMITS`` is on: the instant between "recorded sent" and "end of data"
    stays short. A crash of the database server (not of a worker) may lose the last records, whose
    recipients may then be mailed again (see the module's docstring)."""
    if db_connection.vendor != "postgresql" or not settings.PRM_NEWSLETTER_QUICK_COMMITS:
        yield
        return
    with db_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with db_connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _record_failure(rows: list[_Claimed], run: str, reason: str, *, permanent: bool, was_sent: bool = False) -> None:
    """One failure for each of ``rows`` (still this run's), in at most two statements. A refusal
    fails a delivery at once; a temporary error counts an attempt and retries it after
    ``PRM_NEWSLETTER_RETRY_SECONDS`` x 2^(attempt-1), until the attempts run out: then it fails
    with the last reason."""
    if not rows:
        return
    reason = reason[:300]
    mine = NewsletterDelivery.objects.filter(
        pk__in=[row.pk for row in rows],
        claimed_by=run,
        status=NewsletterDelivery.Status.SENT if was_sent else NewsletterDelivery.Status.SENDING,
    )
    last_try = settings.PRM_NEWSLETTER_MAX_ATTEMPTS - 1  # attempts so far when this one is the last
    failing = mine if permanent else mine.filter(attempts__gte=last_try)
    failing.update(
        status=NewsletterDelivery.Status.FAILED, attempts=F("attempts") + 1, last_error=reason, next_attempt_at=None
    )
    if permanent:
        return
    now = timezone.now()
    backoff = Case(
        *(
            When(attempts=n, then=Value(now + timedelta(seconds=settings.PRM_NEWSLETTER_RETRY_SECONDS * 2**n)))
            for n in sorted({row.attempts for row in rows if row.attempts < last_try})
        ),
        default=Value(now + timedelta(seconds=settings.PRM_NEWSLETTER_RETRY_SECONDS)),
        output_field=DateTimeField(),
    )
    mine.filter(attempts__lt=last_try).update(
        status=NewsletterDelivery.Status.PENDING,
        attempts=F("attempts") + 1,
        last_error=reason,
        next_attempt_at=backoff,
        claimed_by="",
        claimed_at=None,
        sent_at=None,
    )


def _release(rows: list[_Claimed], run: str) -> None:
    """Claimed rows this run did not try: back to pending, no attempt counted."""
    if rows:
        NewsletterDelivery.objects.filter(
            pk__in=[row.pk for row in rows], claimed_by=run, status=NewsletterDelivery.Status.SENDING
        ).update(status=NewsletterDelivery.Status.PENDING, claimed_by="", claimed_at=None)


class _Refused(Exception):
    def __init__(self, code: int, reply):
        self.code = code
        text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
        super().__init__(f"{code} {text}".strip())

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


class _BadAddress(Exception):
    """An address no mail can be built for (e.g. ``a@b@c.com``): that delivery fails for good,
    the rest of the batch goes on."""

    permanent = True


class _ClaimLost(Exception):
    """Another run holds the delivery now: the data must not be ended."""


def _quoted(data: bytes) -> bytes:
    """The message as ``smtplib.SMTP.data()`` writes it, without the end-of-data line: CRLF line
    ends (``as_bytes(linesep="\\r\\n")`` gives them), leading dots doubled, a final CRLF."""
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class _MailBytes:
    """The mail of one batch as bytes, built once, with marks where each recipient's own values go
    (address, Message-ID, unsubscribe URL): building a MIME message per recipient costs more than
    the SMTP exchange. Used when every mark survives the encoding unchanged (8-bit bodies and
    ASCII addresses); otherwise each message is built on its own."""

    TO = "recipient@newsletter-mark.invalid"
    MESSAGE_ID = "<message-id@newsletter-mark.invalid>"
    URL = "https://newsletter-mark.invalid/unsubscribe/"

    def __init__(self, layout: _Layout, newsletter_id: int):
        self.layout, self.newsletter_id = layout, newsletter_id
        mark = _build_message(layout, url=self.URL, email=self.TO, message_id=self.MESSAGE_ID)
        self.encoding = mark.encoding or settings.DEFAULT_CHARSET
        self.from_addr = sanitize_address(mark.from_email, self.encoding)
        self.data = mark.message().as_bytes(linesep="\r\n")
        urls = layout.text.count(_UNSUBSCRIBE_PLACEHOLDER) + layout.html.count(
            html_lib.escape(_UNSUBSCRIBE_PLACEHOLDER)
        )
        self.usable = (
            self.data.count(self.TO.encode()) == 1
            and self.data.count(self.MESSAGE_ID.encode()) == 1
            and self.data.count(self.URL.encode()) == urls + 1  # the bodies and List-Unsubscribe
        )

    def for_row(self, row: _Claimed) -> tuple[str, bytes]:
        """The envelope recipient and the message of one delivery."""
        to_addr = sanitize_address(row.email, self.encoding)
        if self.usable and to_addr.isascii() and to_addr == row.email:
            url = unsubscribe_url(user_id=row.user_id, newsletter_id=self.newsletter_id)
            data = (
                self.data.replace(self.TO.encode(), to_addr.encode())
                .replace(self.MESSAGE_ID.encode(), _message_id(self.newsletter_id, row.pk).encode())
                .replace(self.URL.encode(), url.encode())
            )
            return to_addr, data
        message = _message(
            self.layout, newsletter_id=self.newsletter_id, user_id=row.user_id, email=row.email, key=row.pk
        )
        return to_addr, message.message().as_bytes(linesep="\r\n")


def _smtp_deliver(smtp: smtplib.SMTP, mail: _MailBytes, row: _Claimed, run: str) -> str | None:
    """One message in two halves (see the module's docstring). Returns a warning to keep on a
    delivery that is recorded sent but whose end of data got no clear answer."""
    from_addr = mail.from_addr
    try:
        to_addr, data = mail.for_row(row)
    except (ValueError, UnicodeError) as error:
        raise _BadAddress(f"The address {row.email!r} cannot be mailed: {error}") from error
    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.mail(from_addr)
    if code != 250:
        smtp.rset()
        raise _Refused(code, reply)
    code, reply = smtp.rcpt(to_addr)
    if code not in (250, 251):
        smtp.rset()
        raise _Refused(code, reply)
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        smtp.rset()
        raise _Refused(code, reply)
    smtp.send(_quoted(data))
    try:
        recorded = _record_sent(row, run)
    except BaseException:
        smtp.close()  # abandon the data: a QUIT now would be read as part of the message
        raise
    if not recorded:
        smtp.close()
        raise _ClaimLost
    try:
        smtp.send(b".\r\n")
        code, reply = smtp.getreply()
    except (smtplib.SMTPException, OSError) as error:
        # Recorded sent; whether the server has it cannot be known. Never send it twice.
        return f"No answer after the end of the message ({error}); it may not have arrived."[:300]
    if code != 250:
        _record_failure([row], run, str(_Refused(code, reply)), permanent=500 <= code < 600, was_sent=True)
    return None


def _send_batch(newsletter: Newsletter, layout: _Layout, rows: list[_Claimed], run: str) -> None:
    backend = get_connection()
    remaining = list(rows)
    claim_refresh = settings.PRM_NEWSLETTER_CLAIM_STALE_SECONDS / 3
    claimed_at = timezone.now()
    mail = None

    def messages_for(batch):
        return [
            _message(layout, newsletter_id=newsletter.pk, user_id=row.user_id, email=row.email, key=row.pk)
            for row in batch
        ]

    if not isinstance(backend, SMTPBackend):
        # locmem, console, file: the send cannot be split, so record first, then hand over.
        mine = [row for row in remaining if _record_sent(row, run)]
        try:
            backend.send_messages(messages_for(mine))
        except (smtplib.SMTPException, OSError) as error:
            _record_failure(mine, run, str(error), permanent=False, was_sent=True)
        return

    with _quick_commits():
        while remaining:
            try:
                backend.open()
            except (smtplib.SMTPException, OSError) as error:
                # The server is unreachable: an attempt for each row, in two statements.
                _record_failure(remaining, run, f"Mail server unreachable: {error}", permanent=False)
                return
            smtp = backend.connection
            mail = mail or _MailBytes(layout, newsletter.pk)
            # The end of data is a 5-byte write right after the record: without TCP_NODELAY, Nagle's
            # algorithm holds it until the server acknowledges the body (up to 40 ms on delayed ACKs).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                while remaining:
                    if (timezone.now() - claimed_at).total_seconds() > claim_refresh:
                        # A slow server: keep this run's claims fresh so they are not taken as a dead worker's.
                        claimed_at = timezone.now()
                        NewsletterDelivery.objects.filter(
                            pk__in=[r.pk for r in remaining], claimed_by=run, status=NewsletterDelivery.Status.SENDING
                        ).update(claimed_at=claimed_at)
                    row = remaining[0]
                    try:
                        warning = _smtp_deliver(smtp, mail, row, run)
                    except (_Refused, _BadAddress) as refused:
                        remaining.pop(0)
                        _record_failure([row], run, str(refused), permanent=refused.permanent)
                        continue
                    except _ClaimLost:
                        remaining.pop(0)
                        raise  # the data was started: only closing the connection abandons it
                    remaining.pop(0)
                    if warning:
                        NewsletterDelivery.objects.filter(pk=row.pk, status=NewsletterDelivery.Status.SENT).update(
                            last_error=warning
                        )
                        raise ConnectionError(warning)
            except _ClaimLost:
                pass
            except (smtplib.SMTPException, OSError) as error:
                if remaining and not isinstance(error, ConnectionError):
                    # The message being written when the connection broke: an attempt, retried later.
                    row = remaining.pop(0)
                    _record_failure([row], run, f"Connection to the mail server lost: {error}", permanent=False)
            finally:
                try:
                    backend.close()
                except (smtplib.SMTPException, OSError):
                    backend.connection = None
                backend.connection = None


def newsletter_deliver(*, newsletter_id: int, now: datetime | None = None) -> datetime | None:
    """Do or resume the send of one newsletter (the task's body; safe to run twice, by two workers
    at once, after a crash). Returns when to come back for retries due later, or None when there is
    nothing more to do (sent, not sending, or another live run is on it)."""
    with scopes_disabled():
        newsletter = _prepare(newsletter_id, now or timezone.now())
        if newsletter is None or newsletter.status != Newsletter.Status.SENDING:
            return None
        run = uuid.uuid4().hex
        layout = _layout(newsletter, newsletter.body_html, newsletter.body_text, _UNSUBSCRIBE_PLACEHOLDER)
        size = settings.PRM_NEWSLETTER_BATCH_SIZE
        while True:
            moment = now or timezone.now()
            work.beat(newsletter)
            _release_stale_claims(newsletter_id, moment)
            rows = _claim(newsletter_id, run, moment, size)
            if not rows:
                break
            try:
                _send_batch(newsletter, layout, rows, run)
            finally:
                _release([row for row in rows], run)  # rows the batch did not get to (an error)
                _update_counts(newsletter_id)
        return _finish(newsletter_id, now or timezone.now())


def _finish(newsletter_id: int, now) -> datetime | None:
    left = NewsletterDelivery.objects.filter(
        newsletter_id=newsletter_id, status__in=(NewsletterDelivery.Status.PENDING, NewsletterDelivery.Status.SENDING)
    ).aggregate(
        sending=Count("pk", filter=Q(status=NewsletterDelivery.Status.SENDING)),
        pending=Count("pk", filter=Q(status=NewsletterDelivery.Status.PENDING)),
        next_due=Min("next_attempt_at", filter=Q(status=NewsletterDelivery.Status.PENDING)),
    )
    _update_counts(newsletter_id)
    if not left["sending"] and not left["pending"]:
        Newsletter._base_manager.filter(pk=newsletter_id, status=Newsletter.Status.SENDING).update(
            status=Newsletter.Status.SENT, finished_at=timezone.now()
        )
        return None
    if left["pending"] and not left["sending"]:
        next_due = left["next_due"] or now
        # No sign of life is expected before then: the watchdog waits until the stale limit after it.
        Newsletter._base_manager.filter(pk=newsletter_id).update(heartbeat_at=max(next_due, timezone.now()))
        return next_due
    return None  # another run is mailing the rest (if it died, its claims go stale and the watchdog resumes)


# --- Unsubscribing -------------------------------------------------------------------------------------


def _token(user_id: int, newsletter_id: int | None) -> str:
    return signing.Signer(salt=UNSUBSCRIBE_SALT).sign(f"{user_id}.{newsletter_id or 0}")


def unsubscribe_token(*, user: User, newsletter: Newsletter | None) -> str:
    """The signed token of a newsletter's unsubscribe link for one user (it never expires)."""
    return _token(user.pk, newsletter.pk if newsletter else None)


def unsubscribe_check(*, token: str) -> tuple[User, Newsletter | None]:
    """The user and newsletter a token names; ``signing.BadSignature`` when it was tampered with or
    names no one."""
    value = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token)
    try:
        user_id, newsletter_id = (int(part) for part in value.split("."))
    except ValueError as error:
        raise signing.BadSignature("Malformed unsubscribe token.") from error
    with scopes_disabled():
        user = User._base_manager.filter(pk=user_id).first()
        newsletter = Newsletter._base_manager.filter(pk=newsletter_id).first() if newsletter_id else None
    if user is None:
        raise signing.BadSignature("The unsubscribe token names no one.")
    return user, newsletter


def newsletter_opt_out(*, user: User, via: str, newsletter: Newsletter | None = None) -> NewsletterOptOut:
    """The user gets no more newsletters (once is enough: unsubscribing again changes nothing).
    Deliveries still waiting for them (``pending``, also in a send under way) are skipped and those
    sends' counts follow; one being mailed at this instant (``sending``) is not stopped.
    Transactional mail is not affected."""
    if via not in NewsletterOptOut.Via.values:
        raise RuleViolation({"via": [f"Unknown way to unsubscribe: {via}."]})
    with transaction.atomic(), scopes_disabled():
        opt_out, _ = NewsletterOptOut.objects.get_or_create(
            user=user, defaults={"via": via, "newsletter": newsletter, "created_at": timezone.now()}
        )
        waiting = NewsletterDelivery.objects.filter(user=user, status=NewsletterDelivery.Status.PENDING)
        sends = set(waiting.values_list("newsletter_id", flat=True))
        waiting.update(status=NewsletterDelivery.Status.SKIPPED, next_attempt_at=None)
        for newsletter_id in sorted(sends):
            _update_counts(newsletter_id)
    return opt_out


def newsletter_opt_in(*, user: User) -> None:
    """The user gets newsletters again (from the next one sent)."""
    with scopes_disabled():
        NewsletterOptOut.objects.filter(user=user).delete()
