"""Performance: targets managers set, program costs they enter, the tier reviews the evaluation
proposes, and the quarterly business review (QBR) documents. Every figure of a scorecard is
computed from the other apps' data when it is read (``performance.selectors``); nothing here
copies it."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from partners.models import Partner, Tier
from prm.audit import audit_history
from prm.money import validate_currency
from prm.scoping import partner_scoped
from prm.storage import private_storage
from prm.text import REASON_MAX, short_date, text_validators, validate_plain_text
from prm.work import LongWork

MONEY = {"max_digits": 14, "decimal_places": 2}
GOALS_MAX = 3000


def quarter_start(day: date) -> date:
    """The first day of the calendar quarter holding ``day``."""
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(first: date) -> date:
    """The last day of the calendar quarter starting on ``first``."""
    month = first.month + 3
    year = first.year + (month > 12)
    month = month - 12 if month > 12 else month
    return date.fromordinal(date(year, month, 1).toordinal() - 1)


def quarter_label(first: date) -> str:
    return f"Q{(first.month - 1) // 3 + 1} {first.year}"


def validate_quarter_start(value: date) -> None:
    if value and value != quarter_start(value):
        raise ValidationError(f"A quarter starts on 1 January, April, July or October, not on {short_date(value)}.")


class Target(models.Model):
    """What a manager expects of a partner over a period: won revenue (in the program currency),
    new deals won and certified users. A figure left empty is not a target."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="targets")
    period_start = models.DateField()
    period_end = models.DateField()
    won_revenue = models.DecimalField(
        "won revenue",
        **MONEY,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="In the program currency.",
    )
    new_deals = models.PositiveIntegerField("deals won", null=True, blank=True)
    certified_users = models.PositiveIntegerField(null=True, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["-period_start", "partner_id"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "period_start", "period_end"], name="one_target_per_period"),
            models.CheckConstraint(condition=Q(period_end__gte=models.F("period_start")), name="target_period_order"),
        ]

    def __str__(self):
        return f"Target of {self.partner} for {short_date(self.period_start)} – {short_date(self.period_end)}"


class ProgramCost(models.Model):
    """A cost of the partner program other than commissions (events, staff, tools, market
    development funds paid outside the ledger), entered per quarter for the program evaluation."""

    class Category(models.TextChoices):
        STAFF = "staff", "Partner team staff"
        EVENTS = "events", "Events and travel"
        MARKETING = "marketing", "Marketing and funds"
        TOOLS = "tools", "Tools and platforms"
        OTHER = "other", "Other"

    quarter = models.DateField(validators=[validate_quarter_start], help_text="First day of the quarter.")
    category = models.CharField(max_length=12, choices=Category.choices)
    description = models.CharField(max_length=200, validators=[validate_plain_text])
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-quarter", "category", "id"]

    def __str__(self):
        return f"{quarter_label(self.quarter)}: {self.description}"


class TierReview(models.Model):
    """A change of tier the evaluation proposes for a partner, with its reasons in words; a manager
    applies or dismisses it. At most one proposal per partner waits for a decision."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Waiting for a decision"
        APPLIED = "applied", "Applied"
        DISMISSED = "dismissed", "Dismissed"
        SUPERSEDED = "superseded", "Replaced by a newer review"

    class Direction(models.TextChoices):
        UPGRADE = "upgrade", "Upgrade"
        DOWNGRADE = "downgrade", "Downgrade"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tier_reviews")
    current_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    proposed_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    reasons = models.JSONField(default=list)
    # The figures the proposal was made on, e.g. {"won_revenue_12m": "212400.00", "certified_users": 3}.
    figures = models.JSONField(default=dict)
    evaluated_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=REASON_MAX, validators=text_validators(REASON_MAX))

    history = audit_history()

    class Meta:
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner"], condition=Q(status="proposed"), name="one_open_tier_review_per_partner"
            )
        ]

    def __str__(self):
        to = self.proposed_tier or "no tier"
        return f"{self.get_direction_display()} of {self.partner} to {to}"


class TierShortfall(models.Model):
    """Since when a partner has fallen short of its tier's requirements: a downgrade is proposed
    only once the shortfall has lasted ``PRM_TIER_DOWNGRADE_GRACE_DAYS``. Meeting the requirements
    again ends it (the row is removed)."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="tier_shortfall")
    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="+")
    since = models.DateField()

    def __str__(self):
        return f"{self.partner} short of {self.tier} since {short_date(self.since)}"


class QuarterlyReview(models.Model):
    """A partner's quarterly business review: the goals a manager sets for the next quarter and
    the PDF rendered from the scorecard by a worker (a snapshot: it is not re-rendered when data
    changes, unless someone asks for a new rendering)."""

    class PdfStatus(models.TextChoices):
        PENDING = "pending", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="quarterly_reviews")
    quarter = models.DateField(validators=[validate_quarter_start], help_text="First day of the quarter.")
    goals = models.TextField(
        "goals for next quarter", blank=True, max_length=GOALS_MAX, validators=text_validators(GOALS_MAX)
    )
    pdf = models.FileField(storage=private_storage, upload_to="qbr/%Y/", blank=True)
    pdf_status = models.CharField(max_length=10, choices=PdfStatus.choices, blank=True)
    pdf_error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()
    history = audit_history(excluded_fields=("pdf", "pdf_status", "pdf_error", "rendered_at"))

    class Meta:
        ordering = ["-quarter", "partner_id"]
        constraints = [models.UniqueConstraint(fields=["partner", "quarter"], name="one_qbr_per_partner_quarter")]

    def __str__(self):
        return f"QBR {quarter_label(self.quarter)} — {self.partner}"


class QbrPack(LongWork):
    """Every partner's QBR of one quarter in one ZIP, rendered by a worker with its progress."""

    class Status(models.TextChoices):
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    quarter = models.DateField(validators=[validate_quarter_start])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RENDERING)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    archive = models.FileField(storage=private_storage, upload_to="qbr/zip/%Y/", blank=True)
    error = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = "QBR pack"

    def __str__(self):
        return f"QBRs of {quarter_label(self.quarter)}"
