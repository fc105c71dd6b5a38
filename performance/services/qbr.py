"""Quarterly business reviews (QBRs): a manager prepares a partner's review of a quarter (its goals
for the next quarter) and a worker renders its PDF; a QBR pack puts every partner's review of a
quarter in one ZIP, rendered by a worker with its progress.

Documents render in workers after the transaction that asked for them commits (DESIGN.md), never
inside a request: ``qbr_prepare`` and ``qbr_render_again`` only mark the review pending and
enqueue ``tasks.render_qbr`` on commit. A rendered PDF is a snapshot of the figures of the day it
was rendered; it is rendered again only when someone asks (preparing it again, "Render again", or
a pack of its quarter while it is not ready).

Which request a rendering answers is told by ``requested_at``: a worker stores its PDF only if
no newer request came in while it rendered (a conditional UPDATE), so a slow rendering never
overwrites a newer one, and two workers given the same review store one file.
"""

import logging
import tempfile
import zipfile
from datetime import date, timedelta

from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from partners.models import Partner, User
from prm import work
from prm.errors import Busy, RuleViolation, StateConflict
from prm.locks import lock_one, lock_table
from prm.roles import MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled
from prm.text import check_text

from ..models import GOALS_MAX, QbrPack, QuarterlyReview, quarter_label, quarter_start
from ..selectors.qbr import qbr_partner_ids

logger = logging.getLogger(__name__)
PdfStatus = QuarterlyReview.PdfStatus
PackStatus = QbrPack.Status
# A rendering asked for this long ago and still pending was lost (a broker outage when it was
# enqueued, say): it may be asked for again.
RENDER_PATIENCE = timedelta(minutes=10)
ZIP_PROGRESS_EVERY = 25
BUSY_REVIEW = "Someone is changing this review right now. Try again in a moment."


def _require_manager(user: User, action: str) -> None:
    require_role(user, *MANAGER_ROLES, action=action)


def check_quarter(quarter, *, what: str = "review it") -> date:
    """The first day of a quarter that has started, or a RuleViolation naming ``quarter``."""
    if not isinstance(quarter, date):
        raise RuleViolation({"quarter": "Choose a quarter."})
    if quarter != quarter_start(quarter):
        raise RuleViolation({"quarter": "A quarter starts on 1 January, April, July or October."})
    if quarter > timezone.localdate():
        raise RuleViolation({"quarter": f"{quarter_label(quarter)} has not started yet: {what} once it has."})
    return quarter


def _enqueue_render(review: QuarterlyReview) -> None:
    from ..tasks import render_qbr

    render_qbr.delay_on_commit(review.pk)


def _review_for_update(partner_id: int, quarter: date) -> QuarterlyReview:
    """The partner's review of the quarter, locked; created first when there is none."""
    existing = QuarterlyReview.objects.filter(partner_id=partner_id, quarter=quarter).values_list("pk", flat=True)
    pk = existing.first()
    if pk is None:
        try:
            with transaction.atomic():
                pk = QuarterlyReview.objects.create(partner_id=partner_id, quarter=quarter).pk
        except IntegrityError:  # created by someone else a moment ago
            pk = existing.first()
    return lock_one(QuarterlyReview.objects.all(), pk, message=BUSY_REVIEW)


@transaction.atomic
def qbr_prepare(*, partner: Partner, quarter: date, by: User, goals: str = "") -> QuarterlyReview:
    """A manager prepares a partner's QBR of a quarter that has started: the goals for the next
    quarter (plain text, one goal a line, at most GOALS_MAX characters) and a rendering of its PDF,
    done by a worker once this commits. Preparing it again replaces the goals and renders again."""
    _require_manager(by, "prepare quarterly business reviews")
    quarter = check_quarter(quarter)
    goals = "\n".join(line.rstrip() for line in (goals or "").replace("\r\n", "\n").strip().split("\n"))
    check_text(field="goals", value=goals, limit=GOALS_MAX)
    with scopes_disabled():
        if not Partner.objects.filter(pk=partner.pk).exists():
            raise RuleViolation({"partner": "Choose a partner."})
        review = _review_for_update(partner.pk, quarter)
        now = timezone.now()
        review.goals = goals
        review.requested_by, review.requested_at, review.updated_at = by, now, now
        review.pdf_status, review.pdf_error = PdfStatus.PENDING, ""
        review._history_user = by
        review.save()
    _enqueue_render(review)
    return review


@transaction.atomic
def qbr_render_again(*, review: QuarterlyReview, by: User) -> QuarterlyReview:
    """A manager asks for a new rendering of a review, with the figures of today (the stored PDF
    stays until the new one is ready). Refused while a rendering asked for recently is pending."""
    _require_manager(by, "render quarterly business reviews")
    with scopes_disabled():
        review = lock_one(QuarterlyReview.objects.all(), review.pk, message=BUSY_REVIEW)
        now = timezone.now()
        if (
            review.pdf_status == PdfStatus.PENDING
            and review.requested_at is not None
            and review.requested_at > now - RENDER_PATIENCE
        ):
            raise StateConflict(f"The PDF of {review} is being rendered already.")
        review.requested_by, review.requested_at = by, now
        review.pdf_status, review.pdf_error = PdfStatus.PENDING, ""
        review._history_user = by
        review.save(update_fields=["requested_by", "requested_at", "pdf_status", "pdf_error"])
    _enqueue_render(review)
    return review


def qbr_render(*, review_id: int) -> bool:
    """Render and store a review's PDF when one was asked for (it is pending); True when this call
    stored it. Runs in a worker, outside any transaction (prm.pdf refuses otherwise). A failure is
    recorded on the review, in words, for the manager to read; a newer request made while this one
    rendered wins, and this rendering is dropped."""
    from ..pdf import qbr_filename, qbr_pdf

    with scopes_disabled():
        review = QuarterlyReview.objects.select_related("partner").filter(pk=review_id).first()
        if review is None or review.pdf_status != PdfStatus.PENDING:
            return False
        asked = review.requested_at
        answering = QuarterlyReview.objects.filter(pk=review.pk, pdf_status=PdfStatus.PENDING, requested_at=asked)
        previous = review.pdf.name
        try:
            document = qbr_pdf(review)
        except Exception as error:  # recorded on the review; the previous PDF stays as it was
            logger.exception("The QBR PDF of review %s failed", review_id)
            answering.update(pdf_status=PdfStatus.FAILED, pdf_error=f"{type(error).__name__}: {error}"[:300])
            return False
        review.pdf.save(qbr_filename(review), document, save=False)
        stored = answering.update(
            pdf=review.pdf.name, pdf_status=PdfStatus.READY, pdf_error="", rendered_at=timezone.now()
        )
        storage = review.pdf.storage
        if not stored:
            storage.delete(review.pdf.name)
        elif previous and previous != review.pdf.name:
            storage.delete(previous)
        return bool(stored)


def qbr_pdf_ready(review: QuarterlyReview) -> bool:
    return review.pdf_status == PdfStatus.READY and bool(review.pdf)


# --- QBR packs: every partner's review of a quarter in one ZIP -------------------------------------


@transaction.atomic
def qbr_pack_request(*, quarter: date, by: User) -> QbrPack:
    """A manager asks for every partner's QBR of a quarter in one ZIP. The quarter's partners
    (``selectors.qbr.qbr_partner_ids``: active in it or with activity in it) get a review if they
    have none; every review of the quarter without a ready PDF is rendered by a worker, a chunk at a
    time, and the ZIP holds every ready one. Ready reviews are kept as they are (documents are
    snapshots). One pack of a quarter renders at a time."""
    _require_manager(by, "ask for the QBRs of a quarter")
    quarter = check_quarter(quarter)
    label = quarter_label(quarter)
    with scopes_disabled():
        lock_table(QbrPack, "SHARE ROW EXCLUSIVE", message="Another pack is being asked for right now.")
        running = QbrPack.objects.filter(quarter=quarter, status=PackStatus.RENDERING).first()
        if running is not None:
            raise StateConflict(
                f"The QBRs of {label} are being rendered already ({running.done} of {running.total} done): "
                "the pack asked for earlier shows its progress."
            )
        reviews = QuarterlyReview.objects.filter(quarter=quarter)
        have = set(reviews.values_list("partner_id", flat=True))
        missing = [pk for pk in qbr_partner_ids(quarter=quarter) if pk not in have]
        now = timezone.now()
        try:
            with transaction.atomic():
                created = QuarterlyReview.objects.bulk_create(
                    [QuarterlyReview(partner_id=pk, quarter=quarter, updated_at=now) for pk in missing],
                    batch_size=1000,
                )
        except IntegrityError as error:
            raise Busy("A review of this quarter is being prepared right now. Ask for the pack again.") from error
        if created and created[0].pk:
            QuarterlyReview.history.bulk_history_create(
                created, default_user=by, default_change_reason=f"Added to the QBR pack of {label}"
            )
        reviews.exclude(pdf_status__in=[PdfStatus.READY, PdfStatus.PENDING]).update(
            pdf_status=PdfStatus.PENDING, pdf_error="", requested_at=now
        )
        counts = _pack_counts(quarter)
        if not counts["total"]:
            raise RuleViolation(
                {"quarter": f"No partner was active or had activity in {label}: there is no QBR to put in a ZIP."}
            )
        pack = QbrPack.objects.create(
            quarter=quarter, requested_by=by, total=counts["total"], done=counts["done"], heartbeat_at=now
        )
    from ..tasks import render_qbr_pack

    render_qbr_pack.delay_on_commit(pack.pk)
    return pack


def _pack_counts(quarter: date) -> dict[str, int]:
    """The reviews of the quarter, and those done: ready, or failed (they are not waited for)."""
    return QuarterlyReview.objects.filter(quarter=quarter).aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(pdf_status__in=[PdfStatus.READY, PdfStatus.FAILED])),
        failed=Count("id", filter=Q(pdf_status=PdfStatus.FAILED)),
    )


def qbr_pack_pending(pack: QbrPack):
    """The reviews of the pack's quarter still waiting for their PDF."""
    return QuarterlyReview.objects.filter(quarter=pack.quarter, pdf_status=PdfStatus.PENDING)


def qbr_pack_progress(pack: QbrPack) -> None:
    """Record how many of the pack's reviews are done (a worker calls this after each PDF)."""
    counts = _pack_counts(pack.quarter)
    QbrPack.objects.filter(pk=pack.pk, status=PackStatus.RENDERING).update(total=counts["total"], done=counts["done"])


def qbr_pack_build(*, pack_id: int) -> bool:
    """Put every ready review of the pack's quarter into one ZIP in private storage (a worker,
    once none is pending), then mark the pack ready; reviews that failed are named in the pack's
    note and in a text file inside the ZIP. True when this call stored the ZIP."""
    from ..pdf import qbr_filename

    with scopes_disabled():
        pack = QbrPack.objects.filter(pk=pack_id, status=PackStatus.RENDERING).first()
        if pack is None:
            return False
        reviews = QuarterlyReview.objects.filter(quarter=pack.quarter).select_related("partner")
        failed = list(reviews.filter(pdf_status=PdfStatus.FAILED).order_by("partner__name"))
        count, names = 0, set()
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", zipfile.ZIP_DEFLATED) as archive:
                for review in reviews.filter(pdf_status=PdfStatus.READY).order_by("partner__name").iterator(200):
                    name = qbr_filename(review)
                    if name in names:
                        name = name.replace(".pdf", f"-{review.partner_id}.pdf")
                    names.add(name)
                    with review.pdf.open("rb") as pdf:
                        archive.writestr(name, pdf.read())
                    count += 1
                    if count % ZIP_PROGRESS_EVERY == 0:
                        work.beat(pack)
                if failed:
                    archive.writestr(
                        "not-rendered.txt",
                        "These QBRs could not be rendered:\n"
                        + "".join(f"- {r.partner.name}: {r.pdf_error}\n" for r in failed),
                    )
            if not count:
                error = failed[0].pdf_error if failed else "no review was ready"
                qbr_pack_failed(pack.pk, f"No QBR could be rendered: {error}")
                return False
            spool.seek(0)
            label = quarter_label(pack.quarter).replace(" ", "-").lower()
            pack.archive.save(f"qbrs-{label}.zip", File(spool), save=False)
        note = ""
        if failed:
            note = f"{len(failed)} could not be rendered: " + ", ".join(r.partner.name for r in failed)
        stored = QbrPack.objects.filter(pk=pack.pk, status=PackStatus.RENDERING).update(
            archive=pack.archive.name,
            status=PackStatus.READY,
            total=count + len(failed),
            done=count + len(failed),
            error=note[:300],
            finished_at=timezone.now(),
        )
        if not stored:
            pack.archive.storage.delete(pack.archive.name)
        return bool(stored)


def qbr_pack_failed(pack_id: int, message: str) -> None:
    QbrPack.objects.filter(pk=pack_id, status=PackStatus.RENDERING).update(
        status=PackStatus.FAILED, error=message[:300], finished_at=timezone.now()
    )
