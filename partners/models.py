"""Partner organizations, their tiers, and the people who sign in (staff and partner users)."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django_countries.fields import CountryField

from prm.audit import audit_history
from prm.domains import validate_company_website
from prm.roles import PARTNER_ROLES, STAFF_ROLES, Role
from prm.scoping import partner_scoped
from prm.storage import private_storage
from prm.text import (
    DOCUMENT_MAX,
    MESSAGE_MAX,
    NOTES_MAX,
    REASON_MAX,
    short_date,
    text_validators,
    validate_multiline_text,
    validate_plain_text,
)


class Tier(models.Model):
    """A level of the partner program; higher ``rank`` is better. Requirements and benefits are data."""

    name = models.CharField(max_length=60, unique=True, validators=[validate_plain_text])
    rank = models.PositiveSmallIntegerField(unique=True, help_text="Order of the tiers: 1 is the entry tier.")
    min_won_revenue_12m = models.DecimalField(
        "won revenue, trailing 12 months",
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="Won revenue the partner needs over the last 12 months, in the program currency.",
    )
    min_certified_users = models.PositiveIntegerField("certified users", default=0)
    commission_uplift_percent = models.DecimalField("commission uplift (%)", max_digits=5, decimal_places=2, default=0)
    protection_days = models.PositiveIntegerField("deal protection days", default=90)

    history = audit_history()

    class Meta:
        ordering = ["rank"]

    def __str__(self):
        return self.name


class PartnerType(models.TextChoices):
    REFERRAL = "referral", "Referral"
    RESELLER = "reseller", "Reseller"
    TECHNOLOGY = "technology", "Technology"
    MSP = "msp", "Managed service provider"


class Partner(models.Model):
    """A partner organization. Its users see only its own data (see prm.scoping)."""

    class Status(models.TextChoices):
        ONBOARDING = "onboarding", "Onboarding"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        TERMINATED = "terminated", "Terminated"

    name = models.CharField(max_length=200, validators=[validate_plain_text])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ONBOARDING)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="partners", null=True, blank=True)
    partner_type = models.CharField(max_length=20, choices=PartnerType.choices)
    country = CountryField()
    website = models.URLField(blank=True)
    # Registrable domain of the website (prm.domains), kept for duplicate and conflict checks.
    domain = models.CharField(max_length=253, blank=True, db_index=True, editable=False)
    # The company profile the partner admin completes during onboarding.
    legal_name = models.CharField(max_length=200, blank=True, validators=[validate_plain_text])
    address_line = models.CharField("address", max_length=200, blank=True, validators=[validate_plain_text])
    postal_code = models.CharField(max_length=20, blank=True, validators=[validate_plain_text])
    city = models.CharField(max_length=100, blank=True, validators=[validate_plain_text])
    phone = models.CharField(max_length=40, blank=True, validators=[validate_plain_text])
    description = models.TextField(
        "what the company does", blank=True, max_length=NOTES_MAX, validators=text_validators(NOTES_MAX)
    )
    specializations = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Onboarding: when it last moved, when the stall reminder went out, when it ended.
    onboarding_progress_at = models.DateTimeField(null=True, blank=True, editable=False)
    onboarding_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = partner_scoped("id")
    history = audit_history()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="partner_name_unique")]

    def __str__(self):
        return self.name

    # The fields a partner admin must fill in for the "complete profile" onboarding task.
    PROFILE_REQUIRED_FIELDS = ("legal_name", "address_line", "postal_code", "city", "phone", "description")

    @property
    def profile_complete(self) -> bool:
        return all(getattr(self, field) for field in self.PROFILE_REQUIRED_FIELDS) and bool(self.website)


class UserManager(BaseUserManager):
    """Users are not partner-scoped: signing in must find them before any scope exists.

    Portal views reach team members through ``User.members``, which is scoped.
    """

    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("A user needs an e-mail address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("role", Role.PARTNER_REP if fields.get("partner") else "")
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in. E-mail is the login; there are no usernames.

    Staff have a staff role and no partner; a partner user is a member of exactly one partner
    organization with a partner role. The database enforces both.
    """

    email = models.EmailField("e-mail", unique=True)
    full_name = models.CharField(max_length=150, blank=True, validators=[validate_plain_text])
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="members", null=True, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    members = partner_scoped()
    history = audit_history()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                name="user_role_matches_membership",
                condition=(
                    Q(partner__isnull=True, role__in=[*sorted(STAFF_ROLES), ""])
                    | Q(partner__isnull=False, role__in=sorted(PARTNER_ROLES), is_staff=False)
                ),
            ),
        ]

    def __str__(self):
        return self.email

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_partner_user(self) -> bool:
        return self.partner_id is not None

    @property
    def is_partner_admin(self) -> bool:
        return self.partner_id is not None and self.role == Role.PARTNER_ADMIN


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """An invitation for a person to join a partner organization, sent as an expiring link.

    Only the SHA-256 of the token is stored: a leaked database does not leak working links.
    """

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField("e-mail")
    full_name = models.CharField(max_length=150, blank=True, validators=[validate_plain_text])
    role = models.CharField(
        max_length=20,
        choices=[(r.value, r.label) for r in Role if r in PARTNER_ROLES],
        default=Role.PARTNER_REP,
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Invitation of {self.email} as {self.get_role_display().lower()}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and not self.is_expired


class TierChange(models.Model):
    """A partner's tier history: every change, who made it and why. Never edited."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300, validators=[validate_multiline_text])

    objects = partner_scoped()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        before = self.from_tier.name if self.from_tier_id else "No tier"
        after = self.to_tier.name if self.to_tier_id else "no tier"
        return f"{before} → {after} on {short_date(self.changed_at)}"


class StatusChange(models.Model):
    """A partner's status history: every change, who made it (none: the system) and why. Never edited."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=Partner.Status.choices)
    to_status = models.CharField(max_length=20, choices=Partner.Status.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=300)

    objects = partner_scoped()

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"{self.get_from_status_display()} → {self.get_to_status_display()}"


class SignedInSession(models.Model):
    """A session a user signed in with, so that taking their access away can end it.

    Recorded when someone signs in (``partners.sessions``); the session itself lives in the
    session store, whatever the engine.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"session of user {self.user_id}"


# --- Recruitment -------------------------------------------------------------------------------

MAX_SPECIALIZATIONS = 20


def validate_specializations(value) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError("Give the specializations as a list of texts.")
    if len(value) > MAX_SPECIALIZATIONS:
        raise ValidationError(f"At most {MAX_SPECIALIZATIONS} specializations.")
    for v in value:
        if not v.strip() or len(v) > 60:
            raise ValidationError("Each specialization is a text of 1 to 60 characters.")


class RevenueBand(models.TextChoices):
    """Annual revenue bands, smallest first (the order matters for "at least" criteria)."""

    UNDER_1M = "<1M", "Under 1M"
    FROM_1M = "1M-10M", "1M to 10M"
    FROM_10M = "10M-50M", "10M to 50M"
    FROM_50M = "50M-250M", "50M to 250M"
    OVER_250M = ">250M", "Over 250M"


class Application(models.Model):
    """An application to join the partner program (public form or API). Staff only."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        SCREENING = "screening", "Screening"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    OPEN_STATUSES = (Status.APPLIED, Status.SCREENING)

    company_name = models.CharField(max_length=200, validators=[validate_plain_text])
    website = models.URLField(validators=[validate_company_website])
    country = CountryField()
    partner_type = models.CharField(max_length=20, choices=PartnerType.choices)
    employees = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    annual_revenue = models.CharField(max_length=10, choices=RevenueBand.choices)
    specializations = models.JSONField(default=list, blank=True, validators=[validate_specializations])
    contact_name = models.CharField(max_length=150, validators=[validate_plain_text])
    contact_email = models.EmailField("contact e-mail")
    message = models.TextField(blank=True, max_length=MESSAGE_MAX, validators=text_validators(MESSAGE_MAX))

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLIED, db_index=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"is_staff": True},
    )
    notes = models.TextField(
        blank=True,
        max_length=NOTES_MAX,
        validators=text_validators(NOTES_MAX),
        help_text="Internal notes; never shown to the applicant.",
    )
    rejection_reason = models.TextField(blank=True, max_length=REASON_MAX, validators=text_validators(REASON_MAX))
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    partner = models.ForeignKey(Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="applications")

    # Duplicate detection (registrable domains; free-mail addresses leave email_domain empty).
    website_domain = models.CharField(max_length=253, db_index=True)
    email_domain = models.CharField(max_length=253, blank=True, db_index=True)
    free_mail_contact = models.BooleanField(
        "free-mail contact",
        default=False,
        editable=False,
        help_text="The contact e-mail is at a free-mail provider (gmail.com...), not at the company's domain.",
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )
    duplicate_partner = models.ForeignKey(Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    # Fit against the ideal partner profile (partners.scoring).
    fit_score = models.PositiveSmallIntegerField(null=True, blank=True)
    score_breakdown = models.JSONField(default=list, blank=True)
    disqualified = models.BooleanField(default=False)
    disqualification_reason = models.TextField(blank=True)
    scored_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.company_name} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_duplicate(self) -> bool:
        return self.duplicate_of_id is not None or self.duplicate_partner_id is not None


class FitCriterion(models.Model):
    """One weighted criterion of the ideal partner profile, edited by managers.

    Met criteria earn their weight in points (specializations earn in proportion to the overlap);
    the fit score is the share of all points earned, 0-100. A failed must-have disqualifies.
    """

    class Kind(models.TextChoices):
        COUNTRY = "country", "Country is in the target regions"
        PARTNER_TYPE = "partner_type", "Partner type is wanted"
        EMPLOYEES = "employees", "Company size is in the band"
        REVENUE = "annual_revenue", "Annual revenue is at least"
        SPECIALIZATIONS = "specializations", "Specializations overlap"

    name = models.CharField(max_length=100, validators=[validate_plain_text])
    kind = models.CharField(max_length=20, choices=Kind.choices)
    weight = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1)], help_text="Points this criterion is worth."
    )
    must_have = models.BooleanField(default=False, help_text="Applications that fail it are disqualified.")
    active = models.BooleanField(default=True)
    values = models.JSONField(
        default=list,
        blank=True,
        help_text='Country codes, partner types or specializations, as a list: ["DE", "AT"].',
    )
    min_employees = models.PositiveIntegerField(null=True, blank=True)
    max_employees = models.PositiveIntegerField(null=True, blank=True)
    min_revenue = models.CharField(max_length=10, choices=RevenueBand.choices, blank=True)
    min_matches = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Specializations: how many of the wanted ones earn full points.",
    )
    order = models.PositiveSmallIntegerField(default=0)

    history = audit_history()

    class Meta:
        ordering = ["order", "id"]
        verbose_name_plural = "fit criteria"

    def __str__(self):
        return self.name

    def clean(self):
        from .scoring import validate_criterion

        validate_criterion(self)


# --- Onboarding --------------------------------------------------------------------------------


class OnboardingEvent(models.TextChoices):
    """Events that close onboarding tasks by themselves. Later stages add theirs here."""

    AGREEMENT_SIGNED = "agreement_signed", "Agreement signed"
    PROFILE_COMPLETED = "profile_completed", "Company profile completed"
    PAYOUT_DETAILS_ADDED = "payout_details_added", "Payout details added"
    FIRST_USER_INVITED = "first_user_invited", "First colleague invited"
    FIRST_DEAL_WON = "first_deal", "First deal won"
    # Recorded by the enablement stage when someone passes a course that names this event.
    COURSE_PASSED = "course_passed", "Onboarding course passed"


class OnboardingTaskTemplate(models.Model):
    """A step of the onboarding checklist of one partner type. Tasks with an event close
    themselves; tasks without one are ticked off by a manager."""

    partner_type = models.CharField(max_length=20, choices=PartnerType.choices)
    title = models.CharField(max_length=150, validators=[validate_plain_text])
    description = models.TextField(blank=True, max_length=NOTES_MAX, validators=text_validators(NOTES_MAX))
    event = models.CharField(max_length=40, choices=OnboardingEvent.choices, blank=True)
    required = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["partner_type", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner_type", "event"], condition=~Q(event=""), name="one_template_per_event_and_type"
            )
        ]

    def __str__(self):
        return f"{self.get_partner_type_display()}: {self.title}"

    @property
    def key(self) -> str:
        return self.event or slugify(self.title)[:60]


class OnboardingTask(models.Model):
    """A partner's own copy of a checklist step."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="onboarding_tasks")
    key = models.CharField(max_length=60)
    title = models.CharField(max_length=150, validators=[validate_plain_text])
    description = models.TextField(blank=True, max_length=NOTES_MAX, validators=text_validators(NOTES_MAX))
    event = models.CharField(max_length=40, choices=OnboardingEvent.choices, blank=True)
    required = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["partner", "key"], name="onboarding_task_key_unique")]

    def __str__(self):
        return self.title

    @property
    def done(self) -> bool:
        return self.done_at is not None


class Agreement(models.Model):
    """A version of the partner agreement (Markdown). Published versions are never edited:
    a change is a new version, and every partner is asked to sign it."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200, default="Partner program agreement", validators=[validate_plain_text])
    body_markdown = models.TextField(
        "text (Markdown)", max_length=DOCUMENT_MAX, validators=text_validators(DOCUMENT_MAX)
    )
    text_sha256 = models.CharField(max_length=64, editable=False, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["-version"]

    def __str__(self):
        return f"{self.title}, version {self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class AgreementSignature(models.Model):
    """Who signed which version of the agreement for a partner, with the evidence. Append-only."""

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="agreement_signatures")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_name = models.CharField("full name as typed", max_length=150, validators=[validate_plain_text])
    signer_email = models.EmailField()
    text_sha256 = models.CharField(max_length=64)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField()
    user_agent = models.CharField(max_length=300, blank=True)
    pdf = models.FileField(storage=private_storage, upload_to="agreements/%Y/", blank=True)

    objects = partner_scoped()

    class Meta:
        ordering = ["-signed_at"]
        constraints = [models.UniqueConstraint(fields=["partner", "agreement"], name="one_signature_per_version")]

    def __str__(self):
        return f"Version {self.agreement.version} signed by {self.signer_name} on {short_date(self.signed_at)}"


class PayoutDetails(models.Model):
    """Where a partner's commissions are paid. Seen and edited by its partner admins and finance."""

    class Method(models.TextChoices):
        IBAN = "iban", "Bank transfer (IBAN)"
        US_ACH = "us_ach", "Bank transfer (US routing and account number)"
        PAYPAL = "paypal", "PayPal"

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="payout_details")
    method = models.CharField(max_length=10, choices=Method.choices)
    currency = models.CharField(max_length=3, help_text="ISO 4217 code, e.g. EUR.")
    account_holder = models.CharField(max_length=150, validators=[validate_plain_text])
    iban = models.CharField("IBAN", max_length=34, blank=True)
    bic = models.CharField("BIC", max_length=11, blank=True)
    routing_number = models.CharField(max_length=9, blank=True)
    account_number = models.CharField(max_length=17, blank=True)
    paypal_email = models.EmailField("PayPal e-mail", blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The account masked ("DE89 •••• •••• 3000"): what the history keeps instead of the numbers.
    account_hint = models.CharField("account", max_length=60, blank=True, editable=False)

    # Bank numbers: never copied into the history tables, never rendered back in full.
    SECRET_FIELDS = ("iban", "routing_number", "account_number")

    objects = partner_scoped()
    history = audit_history(excluded_fields=SECRET_FIELDS)

    class Meta:
        verbose_name_plural = "payout details"

    def __str__(self):
        return f"{self.get_method_display()} ({self.currency})"

    # Fields each method needs; the others are cleared so no stale account data lingers.
    METHOD_FIELDS = {
        Method.IBAN: ("iban", "bic"),
        Method.US_ACH: ("routing_number", "account_number"),
        Method.PAYPAL: ("paypal_email",),
    }

    def clean(self):
        from stdnum import bic, iban
        from stdnum.exceptions import ValidationError as NumberError
        from stdnum.us import rtn

        from prm.money import is_currency

        errors = {}
        self.currency = (self.currency or "").strip().upper()
        if not is_currency(self.currency):
            errors["currency"] = "Enter an ISO 4217 currency code, e.g. EUR or USD."
        for method, fields in self.METHOD_FIELDS.items():
            if method != self.method:
                for field in fields:
                    setattr(self, field, "")
        if self.method == self.Method.IBAN:
            try:
                self.iban = iban.validate(self.iban or "")
            except NumberError:
                errors["iban"] = "Enter a valid IBAN; this one's check digits do not match."
            if self.bic:
                try:
                    self.bic = bic.validate(self.bic)
                except NumberError:
                    errors["bic"] = "Enter a valid BIC of 8 or 11 characters, e.g. DEUTDEFF."
        elif self.method == self.Method.US_ACH:
            try:
                self.routing_number = rtn.validate(self.routing_number or "")
            except NumberError:
                errors["routing_number"] = "Enter the 9-digit ABA routing number; this one's checksum does not match."
            self.account_number = (self.account_number or "").replace(" ", "").replace("-", "")
            if not (self.account_number.isdigit() and 4 <= len(self.account_number) <= 17):
                errors["account_number"] = "Enter the account number: 4 to 17 digits."
        elif self.method == self.Method.PAYPAL and not self.paypal_email:
            errors["paypal_email"] = "Enter the e-mail address of the PayPal account."
        if errors:
            raise ValidationError(errors)

    def masked(self, field: str) -> str:
        """One bank number masked for display: ``DE89 •••• •••• 3000``, ``•••• 6789``."""
        return mask_number(getattr(self, field) or "", keep_start=4 if field == "iban" else 0)

    @property
    def masked_account(self) -> str:
        """The account paid to, masked (a PayPal address is shown as it is)."""
        if self.method == self.Method.PAYPAL:
            return self.paypal_email
        field = {self.Method.IBAN: "iban", self.Method.US_ACH: "account_number"}.get(self.method)
        return self.masked(field) if field else ""

    def save(self, *args, **kwargs):
        self.account_hint = self.masked_account[:60]
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "account_hint"}
        super().save(*args, **kwargs)


def mask_number(value: str, *, keep_start: int = 0, keep_end: int = 4) -> str:
    """``"DE89370400440532013000"`` -> ``"DE89 •••• •••• 3000"`` (keep_start=4); ``"12345678"`` ->
    ``"•••• 5678"``. Short values show no more than their last characters."""
    value = (value or "").replace(" ", "")
    if not value:
        return ""
    hidden = "•••• ••••" if keep_start else "••••"
    if len(value) <= keep_start + keep_end:
        keep_start = 0
        hidden = "••••"
    end = value[-keep_end:] if len(value) > keep_end else value[-2:]
    return " ".join(part for part in (value[:keep_start], hidden, end) if part)
