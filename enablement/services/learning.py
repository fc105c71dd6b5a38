"""Writes of enablement: curating the content library, counting downloads, scoring quiz attempts,
granting certifications (with their certificate PDF), reminding before they lapse and expiring them."""

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from partners.models import Partner, User
from partners.services import onboarding_event_record
from prm.errors import RuleViolation, StateConflict
from prm.locks import lock_one
from prm.mail import send_templated_mail
from prm.roles import MANAGER_ROLES, PARTNER_ROLES, require_role
from prm.scoping import scopes_disabled
from prm.uploads import CONTENT_EXTENSIONS, MB, display_name, storage_name, validate_upload

from ..models import Certification, ContentAsset, ContentDownload, Course, QuizAttempt, comma_value
from ..selectors import attempts_left_today

# --- Content library -------------------------------------------------------------------------------

ASSET_FIELDS = (
    "title",
    "description",
    "category",
    "kind",
    "tags",
    "language",
    "min_tier",
    "url",
    "featured",
    "published",
)


def _content_file(upload) -> dict:
    """A library file passes the kernel's upload checks (PRM_CONTENT_MAX_UPLOAD_MB); what to store
    with it. It is stored under a name of ours: nothing a person typed reaches the file system."""
    kind = validate_upload(
        upload, field="file", allowed=CONTENT_EXTENSIONS, max_bytes=settings.PRM_CONTENT_MAX_UPLOAD_MB * MB
    )
    return {
        "original_filename": display_name(upload.name),
        "content_type": kind.content_type,
        "size": upload.size,
        "storage_name": storage_name(upload.name),
    }


def content_source_check(*, kind: str, url: str, upload=None, has_file: bool = False) -> dict | None:
    """A file asset needs a file that passes the upload checks; a link asset an http(s) link.
    Returns what the checks found about a new file (None without one)."""
    if kind == ContentAsset.Kind.FILE:
        if upload is not None:
            return _content_file(upload)
        if not has_file:
            raise RuleViolation({"file": ["Upload the file partners download."]})
        return None
    if not url:
        raise RuleViolation({"url": ["Give the link partners open."]})
    if not url.lower().startswith(("https://", "http://")):
        raise RuleViolation({"url": ["A link starts with https:// or http://."]})
    return None


@transaction.atomic
def content_asset_save(*, by: User, data: dict, upload=None, asset: ContentAsset | None = None) -> ContentAsset:
    """Managers add or change an asset. A file must pass the upload checks (type, content, size);
    a new file or link makes a new version of the same asset, which keeps its download history."""
    require_role(by, *MANAGER_ROLES, action="curate the content library")
    asset = asset or ContentAsset()
    creating = asset.pk is None
    stored = (
        ContentAsset.objects.filter(pk=asset.pk).values("url", "file").first() if asset.pk else {"url": "", "file": ""}
    )
    for field in ASSET_FIELDS:
        if field in data:
            setattr(asset, field, data[field])
    if "partner_types" in data:
        asset.partner_types = comma_value(data["partner_types"])
    asset.tags = sorted({tag.strip() for tag in (asset.tags or []) if isinstance(tag, str) and tag.strip()})
    if asset.kind == ContentAsset.Kind.FILE:
        asset.url = ""
    checked = content_source_check(kind=asset.kind, url=asset.url, upload=upload, has_file=bool(stored["file"]))

    if checked:
        asset.file.save(checked["storage_name"], upload, save=False)
        asset.original_filename, asset.content_type, asset.size = (
            checked["original_filename"],
            checked["content_type"],
            checked["size"],
        )
    elif asset.kind == ContentAsset.Kind.LINK:
        asset.file, asset.original_filename, asset.content_type, asset.size = "", "", "", 0
    else:
        asset.file = stored["file"]
    new_version = bool(checked) or (asset.kind == ContentAsset.Kind.LINK and asset.url != stored["url"])
    if new_version:
        if not creating:
            asset.version += 1
        asset.updated_at = timezone.now()
        asset.updated_by = by
    try:
        asset.full_clean()
    except ValidationError:
        if checked:
            asset.file.storage.delete(asset.file.name)
        raise
    asset.save()
    return asset


def content_download_record(*, asset: ContentAsset, user: User) -> ContentDownload | None:
    """A partner user's download is counted per asset, partner and user (staff downloads are not)."""
    if user.partner_id is None:
        return None
    return ContentDownload.objects.create(asset=asset, version=asset.version, partner_id=user.partner_id, user=user)


# --- Quizzes -----------------------------------------------------------------------------------------


def _parse_answers(course: Course, answers) -> dict[int, set[int]]:
    """``{"<question id>": <choice id> | [<choice id>, ...]}`` -> {question id: {choice ids}},
    every question answered, every choice one of its question's."""
    if not isinstance(answers, dict):
        raise RuleViolation(
            {"answers": ["Give the answers as an object: question id -> choice id (or a list of them)."]}
        )
    questions = {q.pk: {c.pk for c in q.choices.all()} for q in course.questions.all()}
    if len(answers) > len(questions):
        raise RuleViolation(
            {"answers": [f"This quiz has {len(questions)} questions; {len(answers)} answers were given."]}
        )
    picked: dict[int, set[int]] = {}
    errors = []
    for key, value in answers.items():
        try:
            question_id = int(key)
        except (TypeError, ValueError):
            errors.append(f"“{str(key)[:20]}” is not a question of this course.")
            continue
        if question_id not in questions:
            errors.append(f"Question {question_id} is not a question of this course.")
            continue
        values = value if isinstance(value, list) else [value]
        if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            errors.append(f"Question {question_id}: give the id of a choice, or a list of them.")
            continue
        if not set(values) <= questions[question_id]:
            errors.append(f"Question {question_id}: choose among its own choices.")
            continue
        picked[question_id] = set(values)
    missing = [str(q) for q in questions if q not in picked]
    if missing and not errors:
        errors.append(f"Answer every question; not answered: {', '.join(missing)}.")
    if errors:
        raise RuleViolation({"answers": errors})
    return picked


@transaction.atomic
def quiz_attempt_submit(*, course: Course, user: User, answers, now=None) -> QuizAttempt:
    """Score a partner user's answers on the server and keep the attempt with its score.

    A question counts as right when exactly its right choices are picked; the attempt passes when
    ``score >= pass_mark`` (percent). At most PRM_QUIZ_ATTEMPTS_PER_DAY attempts per course and
    day. Passing grants a certification (``attempt.granted_certification``: the new one, or the
    one still held) and records the course's onboarding event.
    """
    require_role(user, *PARTNER_ROLES, action="take quizzes")
    now = now or timezone.now()
    if not course.published:
        raise StateConflict("This course is not open yet.")
    # One attempt of a person at a time: the daily limit is counted under this lock.
    with scopes_disabled():
        lock_one(User.objects.all(), user.pk)
    course = Course.objects.prefetch_related("questions__choices").get(pk=course.pk)
    questions = list(course.questions.all())
    if not questions:
        raise StateConflict("This course has no quiz yet.")
    if attempts_left_today(course=course, user=user, now=now) <= 0:
        raise StateConflict(
            f"You have used your {settings.PRM_QUIZ_ATTEMPTS_PER_DAY} attempts at this quiz today. Try again tomorrow."
        )
    picked = _parse_answers(course, answers)
    wrong = [q.pk for q in questions if picked[q.pk] != {c.pk for c in q.choices.all() if c.is_correct}]
    right = len(questions) - len(wrong)
    attempt = QuizAttempt.objects.create(
        course=course,
        user=user,
        partner_id=user.partner_id,
        submitted_at=now,
        answers={str(q): sorted(c) for q, c in picked.items()},
        score=100 * right // len(questions),
        # Compared exactly, not on the rounded score: 2 of 3 right is not 67%.
        passed=100 * right >= course.pass_mark * len(questions),
        wrong_questions=wrong,
        question_count=len(questions),
    )
    attempt.granted_certification = None
    if attempt.passed:
        attempt.granted_certification = certification_grant(attempt=attempt)
        if course.onboarding_event:
            with scopes_disabled():
                partner = Partner.objects.get(pk=user.partner_id)
            onboarding_event_record(partner=partner, event=course.onboarding_event, by=user)
    return attempt


# --- Certifications ---------------------------------------------------------------------------------

RENEWAL_WINDOW_DAYS = 30


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def certification_grant(*, attempt: QuizAttempt) -> Certification:
    """A passed attempt grants its user a certification for the course's validity, with a
    certificate PDF rendered by a worker after commit. Someone still certified for more than
    30 days keeps the certification they hold; within 30 days of its end, passing renews it."""
    if not attempt.passed:
        raise StateConflict("Only a passed attempt grants a certification.")
    today = timezone.localdate(attempt.submitted_at)
    held = (
        Certification.objects.filter(
            user_id=attempt.user_id, course_id=attempt.course_id, status=Certification.Status.CURRENT
        )
        .order_by("-expires_on")
        .first()
    )
    if held and held.expires_on > today + timedelta(days=RENEWAL_WINDOW_DAYS):
        return held
    user, course = attempt.user, attempt.course
    with scopes_disabled():
        partner_name = Partner.objects.values_list("name", flat=True).get(pk=attempt.partner_id)
    certification = Certification.objects.create(
        user=user,
        partner_id=attempt.partner_id,
        course=course,
        attempt=attempt,
        issued_on=today,
        expires_on=add_months(today, course.validity_months),
        holder_name=user.get_full_name(),
        partner_name=partner_name,
        course_title=course.title,
    )
    from ..tasks import render_certificate_pdf

    render_certificate_pdf.delay_on_commit(certification.pk)
    return certification


def certificate_pdf_ensure(certification: Certification) -> Certification:
    """Render and store the certificate once (in a worker); it shows the values stored on the
    certification, never data that may have changed since. Of two workers rendering at once, the
    first to store keeps its file; the other's is removed."""
    if not certification.pdf:
        from ..pdf import certificate_pdf

        certification.pdf.save(
            f"certificate-{certification.verification_code}.pdf",
            ContentFile(certificate_pdf(certification)),
            save=False,
        )
        stored = Certification.objects.filter(pk=certification.pk, pdf="").update(pdf=certification.pdf.name)
        if not stored:
            certification.pdf.storage.delete(certification.pdf.name)
            certification.refresh_from_db(fields=["pdf"])
    return certification


def certificate_pdf_request(*, certification: Certification) -> bool:
    """Someone wants a certificate's PDF: True when it is stored; otherwise a worker is asked
    again (the task enqueued when it was granted may have been lost), at most once a minute."""
    if certification.pdf:
        return True
    from ..tasks import render_certificate_pdf

    key = f"certificate-pdf-requested:{certification.pk}"
    # Asked once a minute at most; counted only when the request commits (and so really asks).
    transaction.on_commit(lambda: cache.add(key, True, timeout=60) and render_certificate_pdf.delay(certification.pk))
    certification.refresh_from_db(fields=["pdf"])  # a task run in-process (no broker) is done already
    return bool(certification.pdf)


# (days before the end, the field that records the reminder, the window's near end in days)
REMINDERS = ((30, "reminded_30_at", 7), (7, "reminded_7_at", 0))


def certifications_remind_and_expire(*, today: date | None = None) -> dict[str, int]:
    """Daily: remind holders 30 and 7 days before a certification lapses (once each, recorded on
    the certification; none for one already renewed), and mark lapsed ones expired."""
    today = today or timezone.localdate()
    now = timezone.now()
    done = {"expired": 0, "reminded_30": 0, "reminded_7": 0}
    with scopes_disabled():
        done["expired"] = Certification.objects.filter(
            status=Certification.Status.CURRENT, expires_on__lte=today
        ).update(status=Certification.Status.EXPIRED)
        renewed = set(
            Certification.objects.filter(
                status=Certification.Status.CURRENT, expires_on__gt=today + timedelta(days=RENEWAL_WINDOW_DAYS)
            ).values_list("user_id", "course_id")
        )
        for days, field, near in REMINDERS:
            due = (
                Certification.objects.filter(
                    status=Certification.Status.CURRENT,
                    expires_on__gt=today + timedelta(days=near),
                    expires_on__lte=today + timedelta(days=days),
                    **{f"{field}__isnull": True},
                )
                .select_related("user")
                .order_by("expires_on", "id")
            )
            for certification in due:
                # Claimed row by row: a task run twice (or two workers) mails each reminder once.
                if not Certification.objects.filter(pk=certification.pk, **{f"{field}__isnull": True}).update(
                    **{field: now}
                ):
                    continue
                if (certification.user_id, certification.course_id) in renewed or not certification.user.is_active:
                    continue
                send_templated_mail(
                    to=[certification.user.email],
                    template="enablement/email/certification_expiring",
                    context={
                        "certification": certification,
                        "days_left": (certification.expires_on - today).days,
                        "link": settings.SITE_URL + "/portal/training/",
                    },
                )
                done[f"reminded_{days}"] += 1
        # The 30-day reminder is moot once the 7-day one went out.
        Certification.objects.filter(reminded_7_at__isnull=False, reminded_30_at__isnull=True).update(
            reminded_30_at=now
        )
    return done
