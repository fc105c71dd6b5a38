"""Partner organizations, their tiers, and the people who sign in (staff and partner users)."""

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from prm.audit import audit_history
from prm.roles import PARTNER_ROLES, STAFF_ROLES, Role
from prm.scoping import partner_scoped


class Tier(models.Model):
    """A level of the partner program; higher ``rank`` is better. Requirements and benefits are data."""

    name = models.CharField(max_length=60, unique=True)
    rank = models.PositiveSmallIntegerField(unique=True, help_text="Order of the tiers: 1 is the entry tier.")
    min_won_revenue_12m = models.DecimalField(
        "won revenue, trailing 12 months",
        max_digits=14,
        decimal_places=2,
        default=0,
        help_text="Won revenue the partner needs over the last 12 months, in the program currency.",
    )
    min_certified_users = models.PositiveIntegerField("certified users", default=0)
    commission_uplift_percent = models.DecimalField(
        "commission uplift (%)", max_digits=5, decimal_places=2, default=0
    )
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

    name = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ONBOARDING)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="partners", null=True, blank=True)
    partner_type = models.CharField(max_length=20, choices=PartnerType.choices)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. DE.")
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = partner_scoped("id")
    history = audit_history()

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="partner_name_unique")]

    def __str__(self):
        return self.name


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
    full_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, blank=True)
    partner = models.ForeignKey(
        Partner, on_delete=models.PROTECT, related_name="members", null=True, blank=True
    )
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
    full_name = models.CharField(max_length=150, blank=True)
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
        return f"{self.email} to {self.partner_id}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and not self.is_expired
