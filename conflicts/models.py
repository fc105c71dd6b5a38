"""Cases: channel conflicts opened by deal registration, and disputes partners raise; who is
involved, the message thread, evidence requests and their answers, and the outcomes."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from deals.models import DealRegistration
from incentives.models import CommissionLine
from partners.models import Partner
from prm.audit import audit_history
from prm.scoping import partner_scoped, staff_only
from prm.storage import private_storage

# Length limits of what people type (every free-text field has one).
SUBJECT_MAX = 200
BODY_MAX = 5000
NOTE_MAX = 2000


class Case(models.Model):
    """A channel conflict or a dispute, worked by a manager against SLA due times.

    A case is reached by partners through its participants: each involved organization sees the
    case, never who else is involved.
    """

    class Kind(models.TextChoices):
        CHANNEL_CONFLICT = "channel_conflict", "Channel conflict"
        COMMISSION_DISPUTE = "commission_dispute", "Commission dispute"
        DEAL_DISPUTE = "deal_dispute", "Deal dispute"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        ESCALATED = "escalated", "Escalated"
        RESOLVED = "resolved", "Resolved"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    DISPUTE_KINDS = (Kind.COMMISSION_DISPUTE, Kind.DEAL_DISPUTE, Kind.OTHER)
    UNRESOLVED = (Status.OPEN, Status.INVESTIGATING, Status.ESCALATED)

    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject = models.CharField(max_length=SUBJECT_MAX)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_cases",
        limit_choices_to={"is_staff": True},
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What a dispute points at: one of the disputing partner's deals or commission lines.
    deal = models.ForeignKey(DealRegistration, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    commission_line = models.ForeignKey(
        CommissionLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    opened_at = models.DateTimeField(default=timezone.now)
    first_response_due = models.DateTimeField()
    resolution_due = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Each breach escalates once: these record when it did (reset when a reopened case starts again).
    first_response_escalated_at = models.DateTimeField(null=True, blank=True)
    resolution_escalated_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)

    objects = partner_scoped("participants__partner_id")
    history = audit_history()

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["status", "resolution_due"], name="case_status_due"),
            models.Index(fields=["status", "first_response_due"], name="case_status_first_due"),
        ]

    def __str__(self):
        return f"Case #{self.pk}: {self.subject}"

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED

    @property
    def next_due(self):
        """The nearer of the due times still running (None once resolved)."""
        if self.is_resolved:
            return None
        if self.first_response_at is None:
            return min(self.first_response_due, self.resolution_due)
        return self.resolution_due

    @property
    def is_late(self) -> bool:
        due = self.next_due
        return due is not None and due < timezone.now()


class CaseParticipant(models.Model):
    """An organization involved in a case: the one disputing, or one holding a contested deal."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="participants")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="case_participations")
    joined_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()

    class Meta:
        ordering = ["joined_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "partner"], name="one_participation_per_partner")]

    def __str__(self):
        return f"{self.partner} in case {self.case_id}"


class ContestedRegistration(models.Model):
    """A deal registration a channel-conflict case decides on. A partner sees only its own."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="registrations")
    deal = models.ForeignKey(DealRegistration, on_delete=models.PROTECT, related_name="contested_in")
    added_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped("deal__partner_id")

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "deal"], name="one_contest_per_deal_and_case")]

    def __str__(self):
        return f"Deal {self.deal_id} in case {self.case_id}"


class CaseMessage(models.Model):
    """One message of a case's thread.

    ``partner`` is the organization the message is between staff and: it wrote it, or staff
    addressed it. Internal notes have none, so the scoping kernel never shows them to any partner.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    internal = models.BooleanField(default=False)
    body = models.TextField(max_length=BODY_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="internal_notes_reach_no_partner",
                condition=Q(internal=True, partner__isnull=True) | Q(internal=False, partner__isnull=False),
            )
        ]

    def __str__(self):
        return f"Message {self.pk} of case {self.case_id}"

    @property
    def from_staff(self) -> bool:
        return bool(self.author_id) and self.author.is_staff


class EvidenceRequest(models.Model):
    """Mediation: the owner asks one involved partner for its evidence by a due date."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ANSWERED = "answered", "Answered"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="evidence_requests")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    instructions = models.TextField(max_length=NOTE_MAX, blank=True)
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()

    class Meta:
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"Evidence from {self.partner} for case {self.case_id}"

    @property
    def is_overdue(self) -> bool:
        return self.status == self.Status.REQUESTED and self.due_on < timezone.localdate()


class EvidenceAnswer(models.Model):
    """A partner's structured evidence. Staff only: no partner reads it back, the rival never."""

    request = models.OneToOneField(EvidenceRequest, on_delete=models.CASCADE, related_name="answer")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    first_contact_on = models.DateField()
    activities = models.TextField(max_length=BODY_MAX)
    customer_contact = models.CharField(max_length=200)
    answered_at = models.DateTimeField(default=timezone.now)

    objects = staff_only()

    class Meta:
        ordering = ["answered_at", "id"]

    def __str__(self):
        return f"Evidence answer {self.pk}"


class CaseAttachment(models.Model):
    """A file on a message or an evidence answer, in private storage. ``partner`` is who may
    download it besides staff: none for internal notes and evidence."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        CaseMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    evidence = models.ForeignKey(
        EvidenceAnswer, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    file = models.FileField(storage=private_storage, upload_to="cases/", max_length=200)
    name = models.CharField(max_length=160)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()

    class Meta:
        ordering = ["uploaded_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="attachment_on_a_message_or_evidence",
                condition=Q(message__isnull=False, evidence__isnull=True)
                | Q(message__isnull=True, evidence__isnull=False),
            )
        ]

    def __str__(self):
        return self.name


class CaseOutcome(models.Model):
    """What a resolution decided and did (append-only: a reopened case resolved again gets a new one)."""

    class Outcome(models.TextChoices):
        AWARD_DEAL = "award_deal", "Award the deal to one registration"
        ADJUST_COMMISSION = "adjust_commission", "Adjust commission"
        NO_ACTION = "no_action", "No action"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="outcomes")
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(max_length=NOTE_MAX, help_text="The reason the partners are told.")
    awarded_deal = models.ForeignKey(
        DealRegistration, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    commission_line = models.ForeignKey(
        CommissionLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped("case__participants__partner_id")

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return f"{self.get_outcome_display()} (case {self.case_id})"


class CommissionSplit(models.Model):
    """Part of an awarded deal's commission that goes to another involved partner, booked as a
    pair of adjustment lines when the deal is won (once)."""

    outcome = models.OneToOneField(CaseOutcome, on_delete=models.PROTECT, related_name="split")
    deal = models.ForeignKey(DealRegistration, on_delete=models.PROTECT, related_name="+")
    to_partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+")
    percent = models.DecimalField(max_digits=5, decimal_places=2)
    booked_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    lines = models.ManyToManyField(CommissionLine, blank=True, related_name="+")

    objects = staff_only()

    def __str__(self):
        return f"{self.percent}% of deal {self.deal_id} to {self.to_partner_id}"
