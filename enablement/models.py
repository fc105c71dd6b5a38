"""Enablement: the content library, courses with lessons and a quiz, learning paths, quiz attempts
and the certifications that passing grants; and program communication: newsletters,
announcements and partner-satisfaction surveys.

Content and courses belong to the program, not to one partner: who sees an asset is decided by
its tier and partner-type visibility (``selectors.content_visible``). What partner users create
or earn (downloads, attempts, certifications) is partner-scoped (prm.scoping).
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_countries import countries

from partners.models import OnboardingEvent, Partner, PartnerType, Tier
from prm.audit import audit_history
from prm.scoping import partner_scoped
from prm.storage import private_storage
from prm.text import text_validators
from prm.work import LongWork

MAX_TAGS = 20
MAX_TAG_LENGTH = 40


def validate_tags(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Give the tags as a list of words.")
    if len(value) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.")
    if any(not v.strip() or len(v) > MAX_TAG_LENGTH for v in value):
        raise ValidationError(f"Each tag is a word of 1 to {MAX_TAG_LENGTH} characters.")


def validate_partner_types(value: str) -> None:
    """Partner types are stored comma-bounded (",reseller,msp,"): a portable "contains" filter
    on PostgreSQL and SQLite alike. Empty means every type."""
    unknown = [v for v in comma_list(value) if v not in PartnerType.values]
    if unknown:
        raise ValidationError(f"Unknown partner types: {', '.join(unknown)}.")


def comma_list(value: str) -> list[str]:
    """The values of a comma-bounded field (",reseller,msp," -> ["reseller", "msp"])."""
    return [v for v in (value or "").split(",") if v]


def comma_value(values) -> str:
    """Values stored comma-bounded, sorted and once each; none: empty (which means every one)."""
    values = sorted(set(values or []))
    return f",{','.join(values)}," if values else ""


class Language(models.TextChoices):
    EN = "en", "English"
    DE = "de", "German"
    FR = "fr", "French"
    ES = "es", "Spanish"
    IT = "it", "Italian"
    NL = "nl", "Dutch"
    PT = "pt", "Portuguese"


# --- Content library -------------------------------------------------------------------------------


class ContentAsset(models.Model):
    """A file or an external link partners use to sell: a brochure, a deck, a price list, a video.

    Visible to partners of ``min_tier`` or above (any tier when empty) and of the listed partner
    types (every type when empty), once published. A new file or link is a new ``version`` of the
    same asset, so its download history stays with it.
    """

    class Kind(models.TextChoices):
        FILE = "file", "File"
        LINK = "link", "Link"

    class Category(models.TextChoices):
        SALES = "sales", "Sales collateral"
        MARKETING = "marketing", "Marketing"
        TECHNICAL = "technical", "Technical documentation"
        PRICING = "pricing", "Price lists"
        CASE_STUDY = "case_study", "Case studies"
        TRAINING = "training", "Training material"

    title = models.CharField(max_length=200, validators=text_validators(200, multiline=False))
    description = models.TextField(max_length=2000, validators=text_validators(2000), blank=True)
    category = models.CharField(max_length=20, choices=Category.choices)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    tags = models.JSONField(default=list, blank=True, validators=[validate_tags])
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.EN)
    min_tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Partners of this tier or above see it; empty: every partner.",
    )
    partner_types = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_partner_types],
        help_text="Partner types that see it; empty: every type.",
    )
    file = models.FileField(storage=private_storage, upload_to="content/%Y/", blank=True, max_length=200)
    original_filename = models.CharField(max_length=200, blank=True, editable=False)
    content_type = models.CharField(max_length=100, blank=True, editable=False)
    size = models.PositiveBigIntegerField(default=0, editable=False)
    url = models.URLField("link", max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    featured = models.BooleanField(default=False, help_text="Shown on the partners' portal home.")
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(
        default=timezone.now, editable=False, help_text="When the current version arrived."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    history = audit_history()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["published", "category", "-updated_at"], name="content_published_category")]

    def __str__(self):
        return self.title

    @property
    def partner_type_list(self) -> list[str]:
        return comma_list(self.partner_types)

    @property
    def is_new(self) -> bool:
        return self.updated_at >= timezone.now() - timedelta(days=settings.PRM_CONTENT_NEW_DAYS)


class ContentDownload(models.Model):
    """One download (or opened link) of an asset by a partner user: counted per asset, partner and user."""

    asset = models.ForeignKey(ContentAsset, on_delete=models.CASCADE, related_name="downloads")
    version = models.PositiveIntegerField()
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    downloaded_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()

    class Meta:
        ordering = ["-downloaded_at", "-id"]
        indexes = [models.Index(fields=["asset", "partner"], name="download_asset_partner")]

    def __str__(self):
        return f"{self.asset_id} by {self.user_id} ({self.partner_id})"


# --- Training ----------------------------------------------------------------------------------------


class Course(models.Model):
    """A course: ordered lessons (Markdown) and a quiz. Passing it grants a certification valid
    for ``validity_months``; a course may be required for a tier (and above) or partner types, and
    may close an onboarding step (``onboarding_event``)."""

    title = models.CharField(max_length=200, unique=True, validators=text_validators(200, multiline=False))
    summary = models.TextField(max_length=1000, validators=text_validators(1000), blank=True)
    published = models.BooleanField(default=False)
    pass_mark = models.PositiveSmallIntegerField(
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Percent of questions right to pass.",
    )
    validity_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text="How long the certification lasts.",
    )
    required_tier = models.ForeignKey(
        Tier,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Required for partners of this tier and above.",
    )
    required_partner_types = models.CharField(
        max_length=100,
        blank=True,
        validators=[validate_partner_types],
        help_text="Required for partners of these types.",
    )
    onboarding_event = models.CharField(
        max_length=40,
        blank=True,
        choices=[(OnboardingEvent.COURSE_PASSED.value, OnboardingEvent.COURSE_PASSED.label)],
        help_text="Passing it closes the onboarding step that waits for this event.",
    )
    order = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["order", "title"]

    def __str__(self):
        return self.title

    @property
    def required_partner_type_list(self) -> list[str]:
        return comma_list(self.required_partner_types)


class Lesson(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200, validators=text_validators(200, multiline=False))
    body_markdown = models.TextField("text (Markdown)", max_length=50_000, validators=text_validators(50_000))

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.title


class Question(models.Model):
    """A quiz question; it may have several right choices (all of them must be picked)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=500, validators=text_validators(500, multiline=False))

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300, validators=text_validators(300, multiline=False))
    # Never leaves the server: no serializer, form or template reads it.
    is_correct = models.BooleanField("right answer", default=False)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.text


class LearningPath(models.Model):
    """An ordered list of courses, e.g. "Sales foundations" or "Technical pre-sales"."""

    title = models.CharField(max_length=200, unique=True, validators=text_validators(200, multiline=False))
    description = models.TextField(max_length=1000, validators=text_validators(1000), blank=True)
    order = models.PositiveSmallIntegerField(default=0)
    courses = models.ManyToManyField(Course, through="PathStep", related_name="paths")

    class Meta:
        ordering = ["order", "title"]

    def __str__(self):
        return self.title


class PathStep(models.Model):
    path = models.ForeignKey(LearningPath, on_delete=models.CASCADE, related_name="steps")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["path", "course"], name="course_once_per_path")]

    def __str__(self):
        return f"{self.path}: {self.course}"


class QuizAttempt(models.Model):
    """One scored attempt at a course's quiz. Every attempt is kept with its score."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    answers = models.JSONField(default=dict, help_text="Choice ids picked, per question id.")
    score = models.PositiveSmallIntegerField(help_text="Percent of questions right, rounded down.")
    passed = models.BooleanField()
    wrong_questions = models.JSONField(default=list)
    question_count = models.PositiveSmallIntegerField()
    submitted_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["user", "course", "submitted_at"], name="attempt_user_course_time")]

    def __str__(self):
        return f"{self.user_id} on {self.course_id}: {self.score}%"


def new_verification_code() -> str:
    # 80 random bits in groups a person can read out: guessing one is hopeless.
    raw = secrets.token_hex(10).upper()
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


class Certification(models.Model):
    """What passing a course grants a user: valid from ``issued_on`` until ``expires_on`` (the
    first day it no longer counts). The certificate shows the values stored here (a snapshot)."""

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        EXPIRED = "expired", "Expired"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certifications")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="certifications")
    attempt = models.OneToOneField(QuizAttempt, on_delete=models.PROTECT, related_name="certification")
    issued_on = models.DateField()
    expires_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CURRENT)
    verification_code = models.CharField(max_length=40, unique=True, default=new_verification_code, editable=False)
    holder_name = models.CharField(max_length=150)
    partner_name = models.CharField(max_length=200)
    course_title = models.CharField(max_length=200)
    reminded_30_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_7_at = models.DateTimeField(null=True, blank=True, editable=False)
    pdf = models.FileField(storage=private_storage, upload_to="certificates/%Y/", blank=True)

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["-issued_on", "-id"]
        indexes = [
            models.Index(fields=["status", "expires_on"], name="certification_status_expiry"),
            models.Index(fields=["partner", "status"], name="certification_partner_status"),
        ]

    def __str__(self):
        return f"{self.holder_name}: {self.course_title} ({self.verification_code})"

    def is_current_on(self, day) -> bool:
        return self.status == self.Status.CURRENT and day < self.expires_on

    @property
    def is_current(self) -> bool:
        return self.is_current_on(timezone.localdate())


# --- Communication: newsletters, announcements, surveys ----------------------------------------------
#
# Each is sent or shown to an audience of partner users, chosen by the partners' tier, type,
# country and status, and by the users' role (enablement.audience resolves it).


def validate_countries(value: str) -> None:
    """Countries are stored comma-bounded (",DE,FR,") like partner types. Empty means every country."""
    unknown = [v for v in comma_list(value) if v not in dict(countries)]
    if unknown:
        raise ValidationError(f"Unknown country codes: {', '.join(unknown)}.")


def validate_partner_statuses(value: str) -> None:
    unknown = [v for v in comma_list(value) if v not in Partner.Status.values]
    if unknown:
        raise ValidationError(f"Unknown partner statuses: {', '.join(unknown)}.")


class Recipients(models.TextChoices):
    ALL = "all", "All partner users"
    ADMINS = "admins", "Partner admins only"


class Audience(models.Model):
    """Who a newsletter, an announcement or a survey is for: partner users whose organization is
    of one of ``tiers``, ``partner_types``, ``countries`` and ``partner_statuses`` (an empty
    choice means any), and of the chosen roles."""

    tiers = models.ManyToManyField(
        Tier, blank=True, related_name="+", help_text="Partners of these tiers; none chosen: every partner."
    )
    partner_types = models.CharField(
        max_length=100, blank=True, validators=[validate_partner_types], help_text="None chosen: every type."
    )
    countries = models.CharField(
        max_length=1000, blank=True, validators=[validate_countries], help_text="None chosen: every country."
    )
    partner_statuses = models.CharField(
        max_length=100,
        blank=True,
        default=",active,",
        validators=[validate_partner_statuses],
        help_text="Partners in these statuses; none chosen: every status.",
    )
    recipients = models.CharField(max_length=10, choices=Recipients.choices, default=Recipients.ALL)

    class Meta:
        abstract = True


class Newsletter(Audience, LongWork):
    """A program newsletter: composed in Markdown, sent once to its audience by a Celery worker.

    Sending snapshots the rendered mail (``body_html``, ``body_text``) and creates one
    ``NewsletterDelivery`` per recipient before mailing anyone; the counts follow the deliveries.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"

    subject = models.CharField(max_length=200, validators=text_validators(200, multiline=False))
    body_markdown = models.TextField("body (Markdown)", max_length=50_000, validators=text_validators(50_000))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    scheduled_for = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        help_text="Who sent it now or scheduled it.",
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    # What was mailed, rendered once when sending started (the portal shows this, not the draft).
    body_html = models.TextField(blank=True, editable=False)
    body_text = models.TextField(blank=True, editable=False)
    recipient_count = models.PositiveIntegerField(default=0, editable=False)
    sent_count = models.PositiveIntegerField(default=0, editable=False)
    skipped_count = models.PositiveIntegerField(default=0, editable=False)
    failed_count = models.PositiveIntegerField(default=0, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_for"])]

    def __str__(self):
        return self.subject


class NewsletterDelivery(models.Model):
    """One newsletter to one partner user, created before anyone is mailed. Unique per
    (newsletter, user): a double click, a retried task or two workers never mail anyone twice."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Skipped (unsubscribed)"
        FAILED = "failed", "Failed"

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField("e-mail")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Which worker run took the delivery to send it, and when: only that run may record it sent,
    # and a claim older than the stale limit (its worker died) is given back (enablement.services.newsletters).
    claimed_by = models.CharField(max_length=32, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = partner_scoped()

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "newsletter deliveries"
        constraints = [models.UniqueConstraint(fields=["newsletter", "user"], name="newsletter_delivery_once_per_user")]
        indexes = [models.Index(fields=["newsletter", "status"])]

    def __str__(self):
        return f"{self.newsletter} to {self.email}"


class NewsletterOptOut(models.Model):
    """A user who unsubscribed from newsletters (by the link in a newsletter or in the portal).
    Transactional mail (deal decisions, invitations, statements) is not affected."""

    class Via(models.TextChoices):
        LINK = "link", "Unsubscribe link"
        ONE_CLICK = "one_click", "One-click unsubscribe (mail client)"
        PORTAL = "portal", "Portal preferences"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="newsletter_opt_out")
    via = models.CharField(max_length=10, choices=Via.choices)
    newsletter = models.ForeignKey(
        Newsletter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The newsletter whose link was used.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "newsletter opt-out"

    def __str__(self):
        return str(self.user)


class Announcement(Audience):
    """A short notice on the portal home of its audience between ``publish_at`` and ``expires_at``,
    until each user dismisses it. Pinned ones come first."""

    title = models.CharField(max_length=150, validators=text_validators(150, multiline=False))
    body_markdown = models.TextField("body (Markdown)", max_length=4000, validators=text_validators(4000))
    link = models.URLField(max_length=500, blank=True)
    link_text = models.CharField(max_length=60, blank=True, validators=text_validators(60, multiline=False))
    pinned = models.BooleanField(default=False)
    publish_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-pinned", "-publish_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=models.F("publish_at")),
                name="announcement_expires_after_publish",
                violation_error_message="The expiry must come after the publication.",
            )
        ]

    def __str__(self):
        return self.title


class AnnouncementDismissal(models.Model):
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="dismissals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dismissed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["announcement", "user"], name="announcement_dismissed_once_per_user")
        ]


class Survey(Audience):
    """A short partner-satisfaction survey: the NPS question (0-10) and a few optional questions.
    Sending invites every user of the audience once; each answers once; one reminder."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    title = models.CharField(max_length=150, validators=text_validators(150, multiline=False))
    introduction = models.TextField(blank=True, max_length=2000, validators=text_validators(2000))
    nps_question = models.CharField(
        "NPS question",
        max_length=200,
        default="How likely are you to recommend our partner program to a colleague?",
        validators=text_validators(200, multiline=False),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    closes_at = models.DateTimeField(null=True, blank=True, help_text="Answers are refused after this time.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title


class SurveyQuestion(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", "Rating 1-5"
        CHOICE = "choice", "One choice"
        TEXT = "text", "Free text"

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.CharField(max_length=300, validators=text_validators(300, multiline=False))
    choices = models.TextField(
        blank=True, max_length=2000, validators=text_validators(2000), help_text="One choice per line."
    )
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.text

    def choice_list(self) -> list[str]:
        return [line.strip() for line in self.choices.splitlines() if line.strip()]


class SurveyInvitation(models.Model):
    """A user invited to answer a survey (once; the signed link names this invitation)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    # When the invitation mail and the reminder mail went out (a task mails each once).
    mailed_at = models.DateTimeField(null=True, blank=True)
    reminder_mailed_at = models.DateTimeField(null=True, blank=True)

    objects = partner_scoped()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["survey", "user"], name="survey_invitation_once_per_user")]


class SurveyResponse(models.Model):
    """The one answer of an invited user: the NPS score, a comment and the other questions' answers."""

    invitation = models.OneToOneField(SurveyInvitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    nps_score = models.PositiveSmallIntegerField("NPS score", validators=[MaxValueValidator(10)])
    comment = models.TextField(blank=True, max_length=2000, validators=text_validators(2000))
    answered_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [models.Index(fields=["partner", "answered_at"])]


class SurveyAnswer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.CASCADE, related_name="answers")
    rating = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    choice = models.CharField(max_length=200, blank=True)
    text = models.TextField(blank=True, max_length=2000, validators=text_validators(2000))

    class Meta:
        ordering = ["question__order", "question_id"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="survey_answer_once_per_question")]
