"""Channel marketing: market development funds (allocations, requests, claims with proof of
performance, reimbursement through the ledger), leads passed from the vendor to partners by
routing rules kept as data, and the public partner locator."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_countries.fields import CountryField

from deals.models import DealRegistration
from incentives.models import CommissionLine
from partners.models import Partner, PartnerType, Tier
from prm.audit import audit_history
from prm.money import format_money, validate_currency
from prm.scoping import partner_scoped
from prm.storage import private_storage
from prm.text import NOTES_MAX, REASON_MAX, short_date, text_validators, validate_plain_text

MONEY = {"max_digits": 14, "decimal_places": 2}
POSITIVE = [MinValueValidator(Decimal("0.01"))]
SUMMARY_MAX = 300
DESCRIPTION_MAX = 2_000


# --- Market development funds --------------------------------------------------------------------


class AllocationPeriod(models.TextChoices):
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Calendar year"


class FundTierRule(models.Model):
    """How much a tier's partners are allocated each period (e.g. Gold: 20,000 USD a year).
    Allocating for a period creates one allocation per active partner of the tier that has none."""

    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="fund_rules")
    period = models.CharField(max_length=10, choices=AllocationPeriod.choices, default=AllocationPeriod.YEAR)
    amount = models.DecimalField(**MONEY, validators=POSITIVE)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    active = models.BooleanField(default=True)

    history = audit_history()

    class Meta:
        ordering = ["tier__rank", "period", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["tier", "period", "currency"], name="one_fund_rule_per_tier_period")
        ]

    def __str__(self):
        return f"{self.tier.name}: {format_money(self.amount, self.currency)} a {self.get_period_display().lower()}"


class FundAllocation(models.Model):
    """Money set aside for one partner's marketing over a period, in one currency.

    The balance is computed from the requests drawn on it (``marketing.selectors``): requested
    (waiting for a decision), approved (committed, not yet claimed), claimed, paid (reimbursed in
    a paid payout run), expired (approved but never claimed) and available.
    """

    class Source(models.TextChoices):
        TIER_RULE = "tier_rule", "Tier rule"
        MANUAL = "manual", "By hand"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="fund_allocations")
    period_start = models.DateField()
    period_end = models.DateField()
    currency = models.CharField(max_length=3, validators=[validate_currency])
    allocated = models.DecimalField(**MONEY, validators=POSITIVE)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    tier_rule = models.ForeignKey(FundTierRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True, validators=[validate_plain_text])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["-period_start", "partner__name", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period_start", "currency"], name="one_allocation_per_partner_period_currency"
            ),
            models.CheckConstraint(
                name="allocation_period_forward", condition=Q(period_end__gte=models.F("period_start"))
            ),
        ]

    def __str__(self):
        return (
            f"{self.partner.name}: {format_money(self.allocated, self.currency)}, "
            f"{short_date(self.period_start)} to {short_date(self.period_end)}"
        )


class ActivityType(models.TextChoices):
    EVENT = "event", "Event"
    WEBINAR = "webinar", "Webinar"
    DIGITAL_CAMPAIGN = "digital_campaign", "Digital campaign"
    CONTENT = "content", "Content"


class FundRequest(models.Model):
    """A partner asks for funds for one marketing activity, drawn on one of its allocations.

    submitted -> approved (fully or partly) | rejected | withdrawn; approved -> claimed (a claim is
    waiting for finance) -> reimbursed; a refused claim puts the request back to approved until its
    claim deadline; approved funds never claimed expire at the deadline or the period's end.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"
        CLAIMED = "claimed", "Claimed"
        REIMBURSED = "reimbursed", "Reimbursed"
        EXPIRED = "expired", "Expired"

    # The statuses whose approved amount is committed against the allocation.
    COMMITTED = (Status.APPROVED, Status.CLAIMED)

    allocation = models.ForeignKey(FundAllocation, on_delete=models.PROTECT, related_name="requests")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="fund_requests")
    activity_type = models.CharField(max_length=20, choices=ActivityType.choices)
    title = models.CharField(max_length=200, validators=[validate_plain_text])
    starts_on = models.DateField()
    ends_on = models.DateField()
    planned_cost = models.DecimalField(**MONEY, validators=POSITIVE)
    expected_leads = models.PositiveIntegerField(default=0)
    description = models.TextField(max_length=NOTES_MAX, validators=text_validators(NOTES_MAX))
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    approved_amount = models.DecimalField(**MONEY, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, max_length=REASON_MAX, validators=text_validators(REASON_MAX))
    # Set on approval: the last day a claim is taken (PRM_MDF_CLAIM_DAYS after the activity ends,
    # at the latest the allocation period's last day).
    claim_deadline = models.DateField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["status", "claim_deadline"], name="fund_request_status_deadline"),
            models.Index(fields=["allocation", "status"], name="fund_request_allocation"),
        ]
        constraints = [
            models.CheckConstraint(name="fund_request_dates_forward", condition=Q(ends_on__gte=models.F("starts_on")))
        ]

    def __str__(self):
        return f"{self.title} ({self.get_status_display().lower()})"


class FundClaim(models.Model):
    """After the activity, the partner claims the cost with proof of performance and results.
    Finance approves (never the manager who approved the request) and the reimbursement is booked
    as a ledger line of its own kind, paid in the next payout run."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for finance"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    request = models.ForeignKey(FundRequest, on_delete=models.PROTECT, related_name="claims")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="fund_claims")
    amount = models.DecimalField(**MONEY, validators=POSITIVE, help_text="The actual cost claimed.")
    leads_generated = models.PositiveIntegerField(default=0)
    results = models.TextField(max_length=NOTES_MAX, validators=text_validators(NOTES_MAX))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True, max_length=REASON_MAX, validators=text_validators(REASON_MAX))
    reimbursed_amount = models.DecimalField(**MONEY, null=True, blank=True)
    reimbursement_line = models.OneToOneField(
        CommissionLine, on_delete=models.PROTECT, null=True, blank=True, related_name="fund_claim"
    )

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request"], condition=~Q(status="rejected"), name="one_live_claim_per_request"
            )
        ]

    def __str__(self):
        return f"Claim of {format_money(self.amount, self.request.allocation.currency)} for {self.request.title}"


class ClaimProof(models.Model):
    """A file proving the activity took place (invoice, photo, attendee list), checked on upload
    like content (prm.uploads) and served only to the claim's partner and staff."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", "Invoice"
        PHOTO = "photo", "Photo"
        ATTENDEES = "attendees", "Attendee list"
        OTHER = "other", "Other"

    claim = models.ForeignKey(FundClaim, on_delete=models.CASCADE, related_name="proofs")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.INVOICE)
    file = models.FileField(storage=private_storage, upload_to="marketing/proofs/%Y/")
    name = models.CharField(max_length=150)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped("claim__partner_id")

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.name


class ActivityDeal(models.Model):
    """A deal registration that came from a funded activity: ROI counts its registrations and the
    revenue won from them. Only the activity's own partner's deals are linked."""

    request = models.ForeignKey(FundRequest, on_delete=models.CASCADE, related_name="deal_links")
    deal = models.ForeignKey(DealRegistration, on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped("request__partner_id")

    class Meta:
        ordering = ["linked_at", "id"]
        constraints = [models.UniqueConstraint(fields=["deal"], name="one_activity_per_deal")]

    def __str__(self):
        return f"Deal {self.deal_id} from {self.request_id}"


# --- Lead distribution ---------------------------------------------------------------------------


class CompanySize(models.TextChoices):
    SMALL = "1-49", "1–49 employees"
    MEDIUM = "50-249", "50–249 employees"
    LARGE = "250-999", "250–999 employees"
    ENTERPRISE = "1000+", "1,000 or more employees"


class RoutingRule(models.Model):
    """A rule of lead routing, kept as data and tried in ``order``: the first rule whose lead
    conditions match and that finds a partner with capacity decides the offer.

    Lead conditions: countries, product interests (empty = any). Partner conditions: partner
    types, specializations (any of them), minimum tier, and (``partner_in_lead_country``) being
    located in or serving the lead's country. Among the partners that qualify and have
    capacity left this month, the highest win rate wins when ``prefer_win_rate``; equals are
    taken in turn (the one offered a lead longest ago first).
    """

    name = models.CharField(max_length=120, validators=[validate_plain_text])
    order = models.PositiveSmallIntegerField(default=10, help_text="Rules are tried lowest first.")
    active = models.BooleanField(default=True)
    countries = models.JSONField(default=list, blank=True, help_text="Lead countries (ISO codes); empty: any.")
    product_interests = models.JSONField(default=list, blank=True, help_text="Products; empty: any.")
    partner_types = models.JSONField(default=list, blank=True, help_text="Partner types; empty: any.")
    specializations = models.JSONField(default=list, blank=True, help_text="Any of these; empty: any.")
    minimum_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    partner_in_lead_country = models.BooleanField(
        "only partners in or serving the lead's country",
        default=True,
        help_text="The partner's country, or a country its locator profile says it serves.",
    )
    monthly_capacity = models.PositiveIntegerField(
        default=10, validators=[MinValueValidator(1)], help_text="Leads offered to one partner per month, at most."
    )
    prefer_win_rate = models.BooleanField(default=True, help_text="Among equals, the higher win rate first.")

    history = audit_history()

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return self.name


class Lead(models.Model):
    """A prospect the vendor passes to a partner. It is offered to one partner at a time with an
    accept-by time; accepting turns it into an approved, protected, vendor-sourced deal
    registration; a decline or a timeout offers it to the next partner; after
    ``PRM_LEAD_MAX_REFUSALS`` refusals it returns to the managers.

    ``partner`` is the organization holding it now (offered to or accepted by), so a partner sees
    only leads offered to it; the contact details are shown only once it accepted.
    """

    class Status(models.TextChoices):
        NEW = "new", "New"
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        RETURNED = "returned", "Returned to the managers"
        CLOSED = "closed", "Closed"

    class Source(models.TextChoices):
        ADMIN = "admin", "Entered by a manager"
        API = "api", "API"
        CSV = "csv", "CSV import"
        LOCATOR = "locator", "Partner locator"

    company = models.CharField(max_length=200, validators=[validate_plain_text])
    domain = models.CharField(max_length=253, blank=True)
    contact_name = models.CharField(max_length=150, validators=[validate_plain_text])
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=40, blank=True, validators=[validate_plain_text])
    country = CountryField()
    product_interest = models.CharField(max_length=100, blank=True, validators=[validate_plain_text])
    size = models.CharField(max_length=10, choices=CompanySize.choices, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ADMIN)
    campaign = models.CharField(
        max_length=120, blank=True, validators=[validate_plain_text], help_text="Where it came from: event, campaign…"
    )
    message = models.TextField(blank=True, max_length=NOTES_MAX, validators=text_validators(NOTES_MAX))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="leads")
    # A lead sent from a partner's locator page is routed to that partner first.
    requested_partner = models.ForeignKey(Partner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    deal = models.OneToOneField(DealRegistration, on_delete=models.PROTECT, null=True, blank=True, related_name="lead")
    refusals = models.PositiveSmallIntegerField(default=0)
    return_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="lead_status_created")]

    def __str__(self):
        return f"{self.company} ({self.get_status_display().lower()})"


class LeadOffer(models.Model):
    """One offer of a lead to one partner: why the routing chose it, in words, and the answer."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for an answer"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Timed out"
        WITHDRAWN = "withdrawn", "Withdrawn"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="offers")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="lead_offers")
    rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reasons = models.CharField(max_length=400, help_text="Why this partner, in words.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    offered_at = models.DateTimeField(default=timezone.now)
    accept_by = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decline_reason = models.TextField(blank=True, max_length=REASON_MAX, validators=text_validators(REASON_MAX))

    objects = partner_scoped()

    class Meta:
        ordering = ["-offered_at", "-id"]
        indexes = [
            models.Index(fields=["status", "accept_by"], name="lead_offer_status_due"),
            models.Index(fields=["partner", "offered_at"], name="lead_offer_partner_month"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["lead"], condition=Q(status="pending"), name="one_pending_offer_per_lead"),
            models.UniqueConstraint(fields=["lead", "partner"], name="one_offer_per_lead_and_partner"),
        ]

    def __str__(self):
        return f"{self.lead.company} offered to {self.partner.name}"


# --- Partner locator -----------------------------------------------------------------------------


class LocatorProfile(models.Model):
    """How a partner appears on the public partner locator (``/partners/``). Only active partners
    whose admins opted in (``listed``) are shown; a partner admin edits it in the portal."""

    partner = models.OneToOneField(Partner, on_delete=models.CASCADE, related_name="locator_profile")
    listed = models.BooleanField("show us on the partner locator", default=False)
    slug = models.SlugField(max_length=80, unique=True)
    summary = models.CharField(max_length=SUMMARY_MAX, blank=True, validators=[validate_plain_text])
    description = models.TextField(blank=True, max_length=DESCRIPTION_MAX, validators=text_validators(DESCRIPTION_MAX))
    logo = models.FileField(storage=private_storage, upload_to="marketing/logos/", blank=True)
    regions = models.JSONField(default=list, blank=True, help_text="Countries served besides the partner's own.")
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = partner_scoped()
    history = audit_history()

    class Meta:
        ordering = ["partner__name"]

    def __str__(self):
        return f"Locator profile of {self.partner.name}"


__all__ = [
    "ActivityDeal",
    "ActivityType",
    "AllocationPeriod",
    "ClaimProof",
    "CompanySize",
    "FundAllocation",
    "FundClaim",
    "FundRequest",
    "FundTierRule",
    "Lead",
    "LeadOffer",
    "LocatorProfile",
    "PartnerType",
    "RoutingRule",
]
