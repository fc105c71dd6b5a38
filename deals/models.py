"""Deal registrations, the conflicts found between them, and protection extension requests."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField

from partners.models import Partner
from prm.audit import audit_history
from prm.money import validate_currency  # also named here by older migrations
from prm.scoping import partner_scoped
from prm.text import NOTES_MAX, REASON_MAX, short_date, text_validators, validate_plain_text


def validate_customer_domain(value: str) -> None:
    from django.core.exceptions import ValidationError

    from prm.domains import registrable_domain

    if registrable_domain(value) is None:
        raise ValidationError("Enter the customer's web domain, e.g. customer.com.")


def validate_products(value) -> None:
    from django.core.exceptions import ValidationError

    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() and len(v) <= 100 for v in value):
        raise ValidationError("Give the products as a list of names of 1 to 100 characters.")
    if len(value) > 50:
        raise ValidationError("At most 50 products.")


class DealRegistration(models.Model):
    """A customer opportunity a partner registers to get it protected from channel conflict."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        EXPIRED = "expired", "Expired"

    # Open registrations are the ones new registrations are checked against.
    OPEN_STATUSES = (Status.SUBMITTED, Status.APPROVED)

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="deals")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer_name = models.CharField(max_length=200, validators=[validate_plain_text])
    customer_domain = models.CharField(max_length=253, validators=[validate_customer_domain])
    customer_country = CountryField()
    customer_contact_name = models.CharField(max_length=150, blank=True, validators=[validate_plain_text])
    customer_contact_email = models.EmailField(blank=True)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))])
    currency = models.CharField(max_length=3, validators=[validate_currency])
    expected_close_date = models.DateField()
    products = models.JSONField(default=list, blank=True, validators=[validate_products])
    notes = models.TextField(blank=True, max_length=NOTES_MAX, validators=text_validators(NOTES_MAX))

    class Source(models.TextChoices):
        PARTNER = "partner", "Partner-sourced"
        VENDOR = "vendor", "Vendor-sourced (a lead passed to the partner)"

    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PARTNER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    in_conflict_review = models.BooleanField(default=False)
    protected_until = models.DateField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True, max_length=REASON_MAX, validators=text_validators(REASON_MAX))
    final_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    reversal_reason = models.TextField(
        blank=True,
        max_length=REASON_MAX,
        validators=text_validators(REASON_MAX),
        help_text="Why a win was reversed (refund, cancellation).",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # When a manager approved it: ``decided_at`` moves on to the close, the approval time stays.
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    # Comparison keys, kept on save by the services (deals.matching, prm.domains).
    name_key = models.CharField(max_length=200, editable=False)
    name_block = models.CharField(max_length=8, editable=False)
    word_block = models.CharField(max_length=8, editable=False)
    domain_key = models.CharField(max_length=253, editable=False, blank=True)
    email_domain_key = models.CharField(max_length=253, editable=False, blank=True)

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        open_only = Q(status__in=["submitted", "approved"])
        indexes = [
            # Conflict checks read open registrations only, by key: partial indexes stay small.
            models.Index(fields=["domain_key"], condition=open_only, name="deal_open_domain"),
            models.Index(fields=["email_domain_key"], condition=open_only, name="deal_open_email_domain"),
            models.Index(fields=["name_key"], condition=open_only, name="deal_open_name"),
            models.Index(fields=["customer_country", "name_block"], condition=open_only, name="deal_open_name_block"),
            models.Index(fields=["customer_country", "word_block"], condition=open_only, name="deal_open_word_block"),
            models.Index(fields=["partner", "status", "-created_at"], name="deal_partner_status"),
            models.Index(fields=["status", "protected_until"], name="deal_status_protection"),
        ]
        del open_only

    def __str__(self):
        return f"{self.customer_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ConflictMatch(models.Model):
    """Why a registration may clash with another one: kind, score and a reason a manager reads."""

    class Kind(models.TextChoices):
        DOMAIN = "domain", "Same customer domain"
        NAME = "name", "Same customer name"
        SIMILAR_NAME = "similar_name", "Similar customer name in the same country"
        DUPLICATE = "duplicate", "Duplicate of the partner's own registration"

    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="conflicts")
    other = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    score = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    found_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped("deal__partner_id")

    class Meta:
        ordering = ["-score", "id"]
        constraints = [models.UniqueConstraint(fields=["deal", "other"], name="one_match_per_pair")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.other.customer_name} (score {self.score})"


class ExtensionRequest(models.Model):
    """A partner asks for longer protection of an approved deal; a manager grants or refuses."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        GRANTED = "granted", "Granted"
        REFUSED = "refused", "Refused"

    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="extension_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.TextField(max_length=REASON_MAX, validators=text_validators(REASON_MAX))
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    new_protected_until = models.DateField(null=True, blank=True)
    decision_note = models.TextField(blank=True, max_length=REASON_MAX, validators=text_validators(REASON_MAX))

    objects = partner_scoped("deal__partner_id")
    history = audit_history()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal"], condition=Q(status="pending"), name="one_pending_extension_per_deal"
            )
        ]

    def __str__(self):
        asked = short_date(self.requested_at)
        return f"Extension for {self.deal.customer_name} asked on {asked} ({self.get_status_display().lower()})"
