"""Commission plans and rules, exchange rates, the append-only commission ledger, payout runs
and their statements."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from deals.models import DealRegistration
from partners.models import Partner, Tier
from prm.audit import audit_history
from prm.money import format_money, validate_currency
from prm.scoping import partner_scoped
from prm.storage import private_storage
from prm.text import short_date, validate_multiline_text, validate_plain_text
from prm.work import LongWork

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 7, "decimal_places": 4}


class ExchangeRate(models.Model):
    """Finance's rate for a day: 1 ``from_currency`` = ``rate`` ``to_currency``."""

    date = models.DateField()
    from_currency = models.CharField(max_length=3, validators=[validate_currency])
    to_currency = models.CharField(max_length=3, validators=[validate_currency])
    rate = models.DecimalField(max_digits=18, decimal_places=8, validators=[MinValueValidator(Decimal("0.00000001"))])

    history = audit_history()

    class Meta:
        ordering = ["-date", "from_currency", "to_currency"]
        constraints = [
            models.UniqueConstraint(fields=["date", "from_currency", "to_currency"], name="one_rate_per_day_and_pair")
        ]

    def __str__(self):
        rate = f"{Decimal(self.rate).normalize():f}" if self.rate is not None else "?"
        return f"1 {self.from_currency} = {rate} {self.to_currency} on {short_date(self.date)}"

    def clean(self):
        self.from_currency = (self.from_currency or "").upper()
        self.to_currency = (self.to_currency or "").upper()
        if self.from_currency == self.to_currency:
            raise ValidationError({"to_currency": "A rate converts between two different currencies."})


class CommissionPlan(models.Model):
    """Rules that apply to a tier's partners or to one partner over an effective date range.

    A plan that has booked commission is never edited: managers create a new version.
    """

    class Period(models.TextChoices):
        QUARTER = "quarter", "Quarter"
        YEAR = "year", "Calendar year"

    name = models.CharField(max_length=120, validators=[validate_plain_text])
    version = models.PositiveIntegerField(default=1)
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="plans")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, null=True, blank=True, related_name="plans")
    currency = models.CharField(
        max_length=3, validators=[validate_currency], help_text="Currency of thresholds, flat amounts and caps."
    )
    period = models.CharField(
        max_length=10,
        choices=Period.choices,
        default=Period.YEAR,
        help_text="Brackets, accelerators and caps count per period.",
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    previous_version = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = audit_history()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.CheckConstraint(
                name="plan_for_a_tier_or_a_partner",
                condition=(Q(tier__isnull=False, partner__isnull=True) | Q(tier__isnull=True, partner__isnull=False)),
            ),
            models.UniqueConstraint(fields=["name", "version"], name="plan_name_version_unique"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}" if self.version > 1 else self.name

    def clean(self):
        if bool(self.tier_id) == bool(self.partner_id):
            raise ValidationError("A plan applies to a tier or to one partner: choose exactly one.")
        if self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The plan cannot end before it starts."})
        self.currency = (self.currency or "").upper()


class CommissionRule(models.Model):
    """One rule of a plan. Percentages are in percent (12.5 = 12.5%)."""

    class Kind(models.TextChoices):
        PERCENTAGE = "percentage", "Percentage of the deal amount"
        BRACKETS = "brackets", "Progressive brackets on won revenue in the period"
        FLAT_BONUS = "flat_bonus", "Flat bonus per won deal"
        SPIF = "spif", "SPIF: bonus for a product in a date window"
        ACCELERATOR = "accelerator", "Accelerator above a revenue target"
        CAP = "cap", "Cap on commission per period"

    plan = models.ForeignKey(CommissionPlan, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    rate = models.DecimalField(
        **PERCENT, null=True, blank=True, help_text="Percent, for percentage, SPIF and accelerator rules."
    )
    amount = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Flat bonus, SPIF bonus or cap, in the plan currency."
    )
    brackets = models.JSONField(
        default=list,
        blank=True,
        help_text='Brackets: [{"from": "0", "rate": "10"}, {"from": "100000", "rate": "12"}] in the plan currency.',
    )
    product = models.CharField(
        max_length=100, blank=True, validators=[validate_plain_text], help_text="SPIF: the product the bonus is for."
    )
    starts_on = models.DateField(null=True, blank=True, help_text="SPIF window start.")
    ends_on = models.DateField(null=True, blank=True, help_text="SPIF window end.")
    target = models.DecimalField(
        **MONEY, null=True, blank=True, help_text="Accelerator: won revenue in the period above which it applies."
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        # Without the plan: the plan's page lists its rules, and naming it would cost a query per rule.
        if self.rate is not None:
            return f"{self.get_kind_display()}: {Decimal(self.rate).normalize():f}%"
        return self.get_kind_display()

    def clean(self):
        from .rules import validate_rule

        validate_rule(self)


class CommissionLine(models.Model):
    """A line of the append-only commission ledger. Lines are never updated or deleted:
    corrections and reversals are new lines that point at what they correct."""

    class Kind(models.TextChoices):
        ACCRUAL = "accrual", "Accrual"
        ADJUSTMENT = "adjustment", "Adjustment"
        CLAWBACK = "clawback", "Clawback"
        # Market development funds: a claim finance approved (marketing), paid like commission.
        REIMBURSEMENT = "reimbursement", "MDF reimbursement"

    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="commission_lines")
    deal = models.ForeignKey(
        DealRegistration, on_delete=models.PROTECT, null=True, blank=True, related_name="commission_lines"
    )
    plan = models.ForeignKey(CommissionPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="lines")
    rule = models.ForeignKey(CommissionRule, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=15, choices=Kind.choices)
    base_amount = models.DecimalField(**MONEY, null=True, blank=True)
    rate = models.DecimalField(**PERCENT, null=True, blank=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    # When the commission was computed in another currency: that amount and the rate used.
    original_amount = models.DecimalField(**MONEY, null=True, blank=True)
    original_currency = models.CharField(max_length=3, blank=True)
    fx_rate = models.DecimalField(max_digits=18, decimal_places=8, null=True, blank=True)
    explanation = models.CharField(max_length=400, validators=[validate_multiline_text])
    booked_on = models.DateField(default=timezone.localdate, db_index=True)
    corrects = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = partner_scoped()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["partner", "currency", "id"], name="line_partner_currency_id")]

    def __str__(self):
        return f"{self.get_kind_display()} of {format_money(self.amount, self.currency)}: {self.explanation}"

    def save(self, *args, **kwargs):
        # The ledger is append-only: a saved line is never written again.
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValidationError("Commission lines are never changed; book a correcting line instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Commission lines are never deleted; book a correcting line instead.")


class ZipStatus(models.TextChoices):
    BUILDING = "building", "Being built"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class PayoutRun(LongWork):
    """Finance computes one statement per partner and currency from unpaid lines up to a date.

    Its worker stamps ``heartbeat_at`` while it calculates the run and renders its PDFs, so the
    watchdog (prm.work) can tell a run whose worker died from one still being worked on.
    """

    class Status(models.TextChoices):
        CALCULATING = "calculating", "Calculating"
        CALCULATED = "calculated", "Calculated"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    OPEN_STATUSES = (Status.CALCULATING, Status.CALCULATED)
    # Runs whose statements have documents (a calculated run's are drafts for finance).
    DOCUMENTED_STATUSES = (Status.CALCULATED, Status.APPROVED, Status.PAID)

    period_end = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CALCULATING)
    # "open" while calculating or calculated, NULL otherwise: the unique constraint allows one open run.
    open_slot = models.CharField(max_length=4, null=True, blank=True, unique=True, default="open", editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    calculated_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=100, blank=True, validators=[validate_plain_text])
    error = models.TextField(blank=True)
    # All statement PDFs in one ZIP, built by a worker (tasks.build_statements_zip) for the run
    # status in zip_for_status: a ZIP built before an approval or payment is out of date.
    statements_zip = models.FileField(storage=private_storage, upload_to="statements/zip/%Y/", blank=True)
    zip_status = models.CharField(max_length=10, choices=ZipStatus.choices, blank=True)
    zip_for_status = models.CharField(max_length=12, blank=True, editable=False)
    zip_progress = models.PositiveIntegerField("statements zipped", default=0)
    zip_requested_at = models.DateTimeField(null=True, blank=True, editable=False)
    zip_error = models.CharField(max_length=300, blank=True)

    history = audit_history()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"Payout run to {short_date(self.period_end)} ({self.reference})"

    @property
    def reference(self) -> str:
        return f"PR-{self.period_end:%Y%m%d}-{self.pk}"

    @cached_property
    def pdfs_rendered(self) -> int:
        """How many statements have a stored PDF that shows the run as it is now (run_list
        annotates it for many runs at once)."""
        return self.statements.filter(pdf_status=self.status).count()

    @property
    def zip_ready(self) -> bool:
        return self.zip_status == ZipStatus.READY and self.zip_for_status == self.status and bool(self.statements_zip)


class PayoutStatement(models.Model):
    """What one partner is paid in one currency by a run.

    Its lines are the partner's lines in that currency with ``after_line_id < id <=
    last_line_id``: the ledger is append-only and ids only grow, so a statement names its lines
    by range instead of stamping every line, and consecutive statements of a partner never overlap.
    """

    run = models.ForeignKey(PayoutRun, on_delete=models.CASCADE, related_name="statements")
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="statements")
    currency = models.CharField(max_length=3)
    total = models.DecimalField(**MONEY)
    line_count = models.PositiveIntegerField()
    after_line_id = models.BigIntegerField()
    last_line_id = models.BigIntegerField()
    pdf = models.FileField(storage=private_storage, upload_to="statements/%Y/", blank=True)
    # The run status the stored PDF shows (a draft, approved, or paid with its reference); a PDF
    # whose status is not the run's is re-rendered by a worker. Blank: none rendered yet.
    # (db_default: the run's set-based INSERT names only the columns it computes.)
    pdf_status = models.CharField(max_length=12, blank=True, editable=False, db_default="")
    # The document is a snapshot: what it shows of the payee is taken when it is first rendered
    # and kept for every later rendering, whatever changes in the partner's profile since.
    issued_on = models.DateField(null=True, blank=True, editable=False)
    payee_name = models.CharField(max_length=200, blank=True, editable=False, db_default="")
    payee_address = models.TextField(blank=True, editable=False, db_default="")
    payout_method = models.CharField(
        "payout method (masked)", max_length=120, blank=True, editable=False, db_default=""
    )

    objects = partner_scoped()

    class Meta:
        ordering = ["run", "partner__name", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["run", "partner", "currency"], name="one_statement_per_partner_currency"),
            models.CheckConstraint(
                name="statement_range_is_forward", condition=Q(last_line_id__gt=models.F("after_line_id"))
            ),
        ]

    def __str__(self):
        return f"Statement {self.run.reference} · {self.partner.name} · {format_money(self.total, self.currency)}"

    @property
    def period_end(self):
        return self.run.period_end

    @property
    def number(self) -> str:
        """The statement number: the run's reference, the partner and the currency (stable ids)."""
        return f"{self.run.reference}-P{self.partner_id:05d}-{self.currency}"

    @property
    def pdf_ready(self) -> bool:
        return bool(self.pdf) and self.pdf_status == self.run.status

    def lines(self):
        return CommissionLine.objects.filter(
            partner_id=self.partner_id, currency=self.currency, id__gt=self.after_line_id, id__lte=self.last_line_id
        )
