"""Writes of commissions and payouts: booking won deals into the ledger, clawbacks and
adjustments, exchange rates, and payout runs with their statements."""

import logging
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from deals.models import DealRegistration
from partners.models import Partner, User
from prm import work
from prm.errors import Busy, RuleViolation, StateConflict
from prm.locks import lock_if_free, lock_one, lock_table
from prm.money import format_money, is_currency, round_money
from prm.roles import FINANCE_ROLES, MANAGER_ROLES, require_role
from prm.scoping import scopes_disabled
from prm.text import check_text
from prm.transitions import InvalidTransition, check_transition

from .models import CommissionLine, CommissionPlan, CommissionRule, ExchangeRate, PayoutRun, PayoutStatement, ZipStatus
from .rules import accruals_for_win, period_bounds

logger = logging.getLogger(__name__)
RunStatus = PayoutRun.Status
RUN_TRANSITIONS = {
    RunStatus.CALCULATING: {RunStatus.CALCULATED, RunStatus.FAILED},
    RunStatus.CALCULATED: {RunStatus.CALCULATING, RunStatus.APPROVED},
    RunStatus.FAILED: {RunStatus.CALCULATING},
    RunStatus.APPROVED: {RunStatus.PAID},
}


class MissingExchangeRate(RuleViolation):
    """Booking needs finance's rate for the day; without one nothing is booked (400)."""


# --- Exchange rates ------------------------------------------------------------------------------


def fx_rate(from_currency: str, to_currency: str, day: date) -> Decimal:
    """Finance's rate for ``day`` (the latest entered on or before it); the inverse pair counts too."""
    if from_currency == to_currency:
        return Decimal("1")
    rates = ExchangeRate.objects.filter(date__lte=day).order_by("-date")
    direct = rates.filter(from_currency=from_currency, to_currency=to_currency).first()
    if direct:
        return direct.rate
    inverse = rates.filter(from_currency=to_currency, to_currency=from_currency).first()
    if inverse:
        return (Decimal("1") / inverse.rate).quantize(Decimal("0.00000001"))
    raise MissingExchangeRate(
        f"No exchange rate from {from_currency} to {to_currency} on or before {day:%d %B %Y}: finance must enter one."
    )


# --- Plans ---------------------------------------------------------------------------------------


@transaction.atomic
def commission_plan_new_version(*, plan: CommissionPlan, by: User) -> CommissionPlan:
    """A manager replaces the newest version of a plan by a new version with the same rules,
    starting today; the old version ends yesterday. Only the newest version is versioned, one
    version at a time: the newest is locked, so two clicks at once make one new version."""
    require_role(by, *MANAGER_ROLES, action="create versions of commission plans")
    family = CommissionPlan.objects.filter(name=plan.name)
    newest = family.order_by("-version").first()
    if newest is not None:
        lock_one(
            family,
            newest.pk,
            message="Someone else is creating a version of this plan right now. Try again in a moment.",
        )
    # Read again under the lock: a version created while we waited is the newest now.
    newest = family.order_by("-version").first()
    if newest is None or newest.pk != plan.pk:
        raise StateConflict(
            f"{plan} is not the newest version of its plan: {newest} is. Edit {newest}, or create a version of it."
            if newest is not None
            else f"{plan} no longer exists."
        )
    plan = newest
    today = timezone.localdate()
    try:
        with transaction.atomic():
            copy = CommissionPlan.objects.create(
                name=plan.name,
                version=plan.version + 1,
                tier=plan.tier,
                partner=plan.partner,
                currency=plan.currency,
                period=plan.period,
                starts_on=max(today, plan.starts_on),
                ends_on=plan.ends_on,
                previous_version=plan,
            )
    except IntegrityError as error:  # a version made outside this service
        raise StateConflict(f"Version {plan.version + 1} of {plan.name} exists already.") from error
    rules = list(plan.rules.all())
    for rule in rules:
        rule.pk, rule.plan = None, copy
    CommissionRule.objects.bulk_create(rules)
    if plan.starts_on < today and (plan.ends_on is None or plan.ends_on >= today):
        # The new version takes over from today (plan_for prefers the newest version anyway).
        plan.ends_on = today - timedelta(days=1)
        plan._change_reason = f"Replaced by version {copy.version}"
        plan.save(update_fields=["ends_on"])
    return copy


# --- Booking -------------------------------------------------------------------------------------


def plan_for(partner: Partner, day: date) -> CommissionPlan | None:
    """The partner's own plan in effect on ``day``, else its tier's; the newest version wins."""
    effective = CommissionPlan.objects.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
    own = effective.filter(partner=partner).order_by("-version", "-starts_on").first()
    if own or not partner.tier_id:
        return own
    return effective.filter(tier_id=partner.tier_id).order_by("-version", "-starts_on").first()


def _payout_currency(partner: Partner, plan: CommissionPlan) -> str:
    details = getattr(partner, "payout_details", None)
    return details.currency if details else plan.currency


def _revenue_before(deal: DealRegistration, plan: CommissionPlan, start: date) -> Decimal:
    """Won revenue of the partner earlier in the plan period, in the plan currency."""
    earlier = (
        DealRegistration.objects.filter(
            partner_id=deal.partner_id, status=DealRegistration.Status.WON, closed_on__gte=start
        )
        .filter(Q(closed_on__lt=deal.closed_on) | Q(closed_on=deal.closed_on, pk__lt=deal.pk))
        .values("currency", "closed_on")
        .annotate(total=Sum("final_amount"))
        .order_by()
    )
    return sum(
        (row["total"] * fx_rate(row["currency"], plan.currency, row["closed_on"]) for row in earlier), Decimal("0")
    )


def _commission_before(deal: DealRegistration, plan: CommissionPlan, start: date) -> Decimal:
    """Commission of the plan already booked in the period, in the plan currency."""
    lines = CommissionLine.objects.filter(plan=plan, partner_id=deal.partner_id, deal__closed_on__gte=start).exclude(
        deal=deal
    )
    same = lines.filter(currency=plan.currency).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    converted = (
        lines.filter(original_currency=plan.currency)
        .exclude(currency=plan.currency)
        .aggregate(s=Sum("original_amount"))["s"]
    )
    return same + (converted or Decimal("0"))


@transaction.atomic
def commission_book_for_win(
    *, deal: DealRegistration, by: User | None = None, booked_on: date | None = None
) -> list[CommissionLine]:
    """Book the accrual lines a won deal earns under the partner's plan (once per deal).

    Amounts are computed in the plan currency and converted to the partner's payout currency
    with the rate of the deal's close date, recorded on the line. Lines are booked today;
    ``booked_on`` serves imports of a historical ledger, which the database accepts only in
    date order.
    """
    with scopes_disabled():
        if CommissionLine.objects.filter(deal=deal, kind=CommissionLine.Kind.ACCRUAL).exists():
            return []
        partner = Partner.objects.select_related("tier").get(pk=deal.partner_id)
        plan = plan_for(partner, deal.closed_on)
        if plan is None:
            return []
        start, _ = period_bounds(plan, deal.closed_on)
        base = round_money(deal.final_amount * fx_rate(deal.currency, plan.currency, deal.closed_on))
        accruals = accruals_for_win(
            plan=plan,
            base=base,
            closed_on=deal.closed_on,
            products=deal.products,
            revenue_before=_revenue_before(deal, plan, start),
            commission_before=_commission_before(deal, plan, start),
            uplift=partner.tier.commission_uplift_percent if partner.tier else Decimal("0"),
            tier_name=partner.tier.name if partner.tier else None,
        )
        payout_currency = _payout_currency(partner, plan)
        rate = fx_rate(plan.currency, payout_currency, deal.closed_on)
        lines = []
        for accrual in accruals:
            line = CommissionLine(
                partner=partner,
                deal=deal,
                plan=plan,
                rule=accrual.rule,
                kind=accrual.kind,
                base_amount=accrual.base,
                rate=accrual.rate,
                currency=payout_currency,
                created_by=by,
                booked_on=booked_on or timezone.localdate(),
                explanation=f"{accrual.explanation}, deal {deal.customer_name}",
            )
            if payout_currency == plan.currency:
                line.amount = accrual.amount
            else:
                line.amount = round_money(accrual.amount * rate)
                line.original_amount, line.original_currency, line.fx_rate = accrual.amount, plan.currency, rate
                original, converted = (
                    format_money(accrual.amount, plan.currency),
                    format_money(line.amount, payout_currency),
                )
                line.explanation += f"; {original} at {rate.normalize():f} = {converted}"
            line.explanation = line.explanation[:400]
            lines.append(line)
        return CommissionLine.objects.bulk_create(lines)


@transaction.atomic
def commission_claw_back(*, deal: DealRegistration, by: User | None, reason: str) -> list[CommissionLine]:
    """Reverse every line of a deal that is not reversed yet, with negative clawback lines.

    A line already paid stays paid; its clawback is a new line, so it lands on the next statement.
    """
    with scopes_disabled():
        lines = list(
            CommissionLine.objects.filter(deal=deal)
            .exclude(kind=CommissionLine.Kind.CLAWBACK)
            .exclude(corrections__kind=CommissionLine.Kind.CLAWBACK)
            .order_by("id")
        )
        return CommissionLine.objects.bulk_create(
            [
                CommissionLine(
                    partner_id=line.partner_id,
                    deal=deal,
                    plan_id=line.plan_id,
                    rule_id=line.rule_id,
                    kind=CommissionLine.Kind.CLAWBACK,
                    base_amount=line.base_amount,
                    rate=line.rate,
                    amount=-line.amount,
                    currency=line.currency,
                    original_amount=-line.original_amount if line.original_amount is not None else None,
                    original_currency=line.original_currency,
                    fx_rate=line.fx_rate,
                    corrects=line,
                    created_by=by,
                    explanation=f"Clawback ({reason}) of line #{line.pk}: {line.explanation}"[:400],
                )
                for line in lines
            ]
        )


@transaction.atomic
def commission_adjust(
    *,
    partner: Partner,
    amount: Decimal,
    currency: str,
    explanation: str,
    by: User,
    deal: DealRegistration | None = None,
    corrects: CommissionLine | None = None,
    booked_on: date | None = None,
) -> CommissionLine:
    """Finance books a correcting line: positive or negative, never zero, for one partner (its
    deal and the line it corrects must be that partner's)."""
    _require_finance(by, "book adjustments")
    return _adjustment(
        partner=partner,
        amount=amount,
        currency=currency,
        explanation=explanation,
        by=by,
        deal=deal,
        corrects=corrects,
        booked_on=booked_on,
    )


@transaction.atomic
def commission_adjustment_book(
    *,
    partner: Partner,
    amount: Decimal,
    currency: str,
    explanation: str,
    by: User,
    case_id: int,
    deal: DealRegistration | None = None,
    corrects: CommissionLine | None = None,
) -> CommissionLine:
    """A case's outcome books an adjustment line (a manager resolving a dispute or splitting a
    contested deal's commission): the same rules as finance's adjustments, the case named in
    the explanation. It is paid in the next payout run, which finance approves as usual."""
    require_role(by, *MANAGER_ROLES, *FINANCE_ROLES, action="book adjustments for cases")
    return _adjustment(
        partner=partner,
        amount=amount,
        currency=currency,
        by=by,
        deal=deal,
        corrects=corrects,
        explanation=f"Case #{case_id}: {(explanation or '').strip()}" if (explanation or "").strip() else "",
    )


@transaction.atomic
def reimbursement_book(
    *, partner: Partner, amount: Decimal, currency: str, explanation: str, by: User
) -> CommissionLine:
    """Market development funds: finance approved a partner's claim, and the reimbursement is booked
    as a ledger line of its own kind (positive, in the allocation's currency). It is paid in the
    next payout run with the partner's commission, which finance approves under four eyes."""
    require_role(by, *FINANCE_ROLES, action="book fund reimbursements")
    if amount is not None and amount < 0:
        raise RuleViolation({"amount": ["A reimbursement is a positive amount."]})
    return _adjustment(
        partner=partner,
        amount=amount,
        currency=currency,
        explanation=explanation,
        by=by,
        kind=CommissionLine.Kind.REIMBURSEMENT,
    )


def _adjustment(
    *, partner, amount, currency, explanation, by, deal=None, corrects=None, booked_on=None, kind=None
) -> CommissionLine:
    errors = {}
    if deal is not None and deal.partner_id != partner.pk:
        errors["deal"] = "The deal belongs to another partner."
    if corrects is not None and corrects.partner_id != partner.pk:
        errors["corrects"] = "The corrected line belongs to another partner."
    if amount is None or round_money(amount) == 0:
        errors["amount"] = "Give a non-zero amount with at most two decimals."
    elif round_money(amount) != amount:
        errors["amount"] = "Give the amount with at most two decimals."
    currency = (currency or "").upper()
    if not is_currency(currency):
        errors["currency"] = "Enter an ISO 4217 currency code."
    explanation = (explanation or "").strip()
    if not explanation:
        errors["explanation"] = "Explain the adjustment; the partner reads it."
    else:
        try:
            check_text(
                field="explanation", value=explanation, limit=CommissionLine._meta.get_field("explanation").max_length
            )
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise RuleViolation(errors)
    return CommissionLine.objects.create(
        partner=partner,
        deal=deal,
        kind=kind or CommissionLine.Kind.ADJUSTMENT,
        amount=amount,
        currency=currency,
        explanation=explanation,
        created_by=by,
        corrects=corrects,
        booked_on=booked_on or timezone.localdate(),
    )


# --- Payout runs ---------------------------------------------------------------------------------

STATEMENTS_SQL = """
INSERT INTO incentives_payoutstatement
    (run_id, partner_id, currency, total, line_count, after_line_id, last_line_id, pdf)
SELECT %s, l.partner_id, l.currency, SUM(l.amount), COUNT(*), COALESCE(b.after_id, 0), MAX(l.id), ''
FROM incentives_commissionline l
LEFT JOIN (
    SELECT s.partner_id, s.currency, MAX(s.last_line_id) AS after_id
    FROM incentives_payoutstatement s JOIN incentives_payoutrun r ON r.id = s.run_id
    WHERE r.status IN ('approved', 'paid')
    GROUP BY s.partner_id, s.currency
) b ON b.partner_id = l.partner_id AND b.currency = l.currency
WHERE l.booked_on <= %s AND l.id > COALESCE(b.after_id, 0)
GROUP BY l.partner_id, l.currency, b.after_id
HAVING SUM(l.amount) >= CAST(%s AS NUMERIC)
"""


BUSY_RUN = "A worker or another finance user is working on this payout run right now. Try again in a moment."


def _require_finance(user: User, action: str) -> None:
    require_role(user, *FINANCE_ROLES, action=action)


@transaction.atomic
def payout_run_create(*, period_end: date, by: User) -> PayoutRun:
    """Finance starts a run for a period up to today; at most one run is open at a time.
    The statements are computed by a worker (tasks.calculate_payout_run)."""
    _require_finance(by, "create payout runs")
    if period_end > timezone.localdate():
        raise RuleViolation({"period_end": "The period cannot end in the future."})
    if PayoutRun.objects.filter(status__in=PayoutRun.OPEN_STATUSES).exists():
        raise InvalidTransition("Another payout run is open: approve it, or fix and recalculate it, first.")
    try:
        with transaction.atomic():
            run = PayoutRun.objects.create(period_end=period_end, created_by=by, heartbeat_at=timezone.now())
    except IntegrityError as error:
        raise InvalidTransition("Another payout run is open: approve it, or fix and recalculate it, first.") from error
    _enqueue_calculation(run)
    return run


def _enqueue_calculation(run: PayoutRun) -> None:
    from .tasks import calculate_payout_run

    calculate_payout_run.delay_on_commit(run.pk)


def payout_run_calculate(run_id: int) -> PayoutRun:
    """Compute the run's statements in one transaction, set-based: one statement per partner
    and currency over its unpaid lines up to the period end; totals below PRM_MINIMUM_PAYOUT
    carry forward. Running it again gives the same result; a failure leaves no statement.

    The run's row stays locked while it is computed: a second delivery of the task (a restart by
    the watchdog or by finance) leaves a run that a live worker holds alone. ``Busy`` when the
    ledger stays locked by lines being booked: the run stays calculating, to be tried again.
    """
    run = PayoutRun.objects.filter(pk=run_id).first()
    if run is None or run.status != RunStatus.CALCULATING:
        return run  # already done, or frozen: a redelivered task does nothing
    work.beat(run)  # outside the transaction, or the watchdog would not see it
    try:
        with transaction.atomic():
            run = lock_if_free(PayoutRun.objects.all(), run_id)
            if run is None:
                return PayoutRun.objects.get(pk=run_id)  # another worker is computing it right now
            if run.status != RunStatus.CALCULATING:
                return run
            run.statements.all().delete()
            # Wait for lines being booked right now and hold new ones back until the run is
            # computed: a statement's id range must never skip a line still in flight.
            lock_table(
                CommissionLine,
                "SHARE",
                message="Commission lines are being booked right now; the run is calculated a moment later.",
            )
            with connection.cursor() as cursor:
                cursor.execute(STATEMENTS_SQL, [run.pk, run.period_end, settings.PRM_MINIMUM_PAYOUT])
            _finish_calculation(run)
    except Busy:
        raise
    except Exception as error:  # recorded for finance to read; the transaction left nothing behind
        logger.exception("Payout run %s failed", run_id)
        PayoutRun.objects.filter(pk=run_id, status=RunStatus.CALCULATING).update(
            status=RunStatus.FAILED, open_slot=None, error=f"{type(error).__name__}: {error}"[:2000]
        )
        return PayoutRun.objects.get(pk=run_id)
    return run


def _finish_calculation(run: PayoutRun) -> None:
    run.status = RunStatus.CALCULATED
    run.calculated_at = timezone.now()
    run.error = ""
    run.heartbeat_at = run.calculated_at  # the PDFs are rendered next, under the same watch
    run.zip_status, run.zip_for_status, run.zip_progress, run.zip_error = "", "", 0, ""  # new statements, new ZIP
    run.save(
        update_fields=[
            "status",
            "calculated_at",
            "error",
            "heartbeat_at",
            "zip_status",
            "zip_for_status",
            "zip_progress",
            "zip_error",
        ]
    )


@transaction.atomic
def payout_run_recalculate(*, run: PayoutRun, by: User) -> PayoutRun:
    """Recompute a run that is not approved yet (same data, same statements)."""
    _require_finance(by, "recalculate payout runs")
    run = lock_one(PayoutRun.objects.all(), run.pk, message=BUSY_RUN)
    if run.status in (RunStatus.APPROVED, RunStatus.PAID):
        raise InvalidTransition(f"Run {run.reference} is {run.status}: it is frozen and cannot be recalculated.")
    check_transition(RUN_TRANSITIONS, run.status, RunStatus.CALCULATING, what="payout run")
    if PayoutRun.objects.filter(status__in=PayoutRun.OPEN_STATUSES).exclude(pk=run.pk).exists():
        raise InvalidTransition("Another payout run is open.")
    run.status = RunStatus.CALCULATING
    run.open_slot = "open"
    run.error = ""
    run.heartbeat_at = timezone.now()
    run.save(update_fields=["status", "open_slot", "error", "heartbeat_at"])
    _enqueue_calculation(run)
    return run


@transaction.atomic
def payout_run_restart(*, run: PayoutRun, by: User) -> PayoutRun:
    """Finance restarts a run's stuck work: its calculation, or the rendering of its PDFs, when
    the worker doing it gave no sign of life for PRM_WORK_STALE_SECONDS (a dead worker). Work that
    is done, or that a live worker is doing, is left alone with a message saying so."""
    _require_finance(by, "restart payout runs")
    pending = [kind for kind in work.kinds_of(PayoutRun) if kind.rows().filter(pk=run.pk).exists()]
    if not pending:
        run = PayoutRun.objects.get(pk=run.pk)
        advice = (
            " Recalculate it to compute it again." if run.status in (RunStatus.CALCULATED, RunStatus.FAILED) else ""
        )
        raise StateConflict(
            f"Run {run.reference} is {run.get_status_display().lower()} and has no work left to restart.{advice}"
        )
    locked = lock_if_free(PayoutRun.objects.all(), run.pk)
    if locked is None:
        raise StateConflict(
            f"A worker or another finance user is working on run {run.reference} right now: it is not stuck."
        )
    if not work.is_stale(locked):
        seconds = int((timezone.now() - locked.heartbeat_at).total_seconds())
        raise StateConflict(
            f"Run {locked.reference} is not stuck: its worker gave a sign of life {seconds} s ago. "
            f"Work counts as stuck after {settings.PRM_WORK_STALE_SECONDS} s without one."
        )
    work.restart(pending[0], locked.pk)
    locked.refresh_from_db()
    return locked


@transaction.atomic
def payout_run_approve(*, run: PayoutRun, by: User) -> PayoutRun:
    """Four eyes: a finance user other than the run's creator approves it; it is then frozen."""
    _require_finance(by, "approve payout runs")
    run = lock_one(PayoutRun.objects.all(), run.pk, message=BUSY_RUN)
    if run.created_by_id == by.pk:
        raise PermissionDenied("You created this run: another finance user approves it (four eyes).")
    check_transition(RUN_TRANSITIONS, run.status, RunStatus.APPROVED, what="payout run")
    run.status = RunStatus.APPROVED
    run.open_slot = None
    run.approved_by, run.approved_at = by, timezone.now()
    run.save(update_fields=["status", "open_slot", "approved_by", "approved_at"])
    _enqueue_documents(run)
    return run


@transaction.atomic
def payout_run_mark_paid(*, run: PayoutRun, by: User, reference: str) -> PayoutRun:
    """Finance records the payment of an approved run with its bank reference."""
    _require_finance(by, "mark payout runs paid")
    reference = (reference or "").strip()
    if not reference:
        raise RuleViolation({"reference": "Give the payment reference of the bank transfer."})
    check_text(
        field="reference",
        value=reference,
        limit=PayoutRun._meta.get_field("payment_reference").max_length,
        multiline=False,
    )
    run = lock_one(PayoutRun.objects.all(), run.pk, message=BUSY_RUN)
    check_transition(RUN_TRANSITIONS, run.status, RunStatus.PAID, what="payout run")
    run.status = RunStatus.PAID
    run.payment_reference = reference
    run.paid_at = timezone.now()
    run.save(update_fields=["status", "payment_reference", "paid_at"])
    _enqueue_documents(run)
    return run


# --- Statement documents -----------------------------------------------------------------------
# Statement PDFs and the run's ZIP are rendered by workers after commit (tasks.py), never in a
# request or a transaction. A stored PDF records the run status it shows; when the run is approved
# or paid its statements are rendered again, from the same snapshot of the payee.


def _enqueue_documents(run: PayoutRun) -> None:
    from .tasks import render_statement_pdfs

    render_statement_pdfs.delay_on_commit(run.pk)


def statements_outdated(run: PayoutRun):
    """The run's statements without a PDF that shows the run as it is now."""
    return PayoutStatement.objects.filter(run_id=run.pk).exclude(pdf_status=run.status)


def statement_pdf_request(*, statement: PayoutStatement) -> bool:
    """Someone wants a statement's PDF: True when the stored one is current; otherwise a worker is
    asked (once the current transaction commits) to render it, at most once a minute however often
    a page polls, and False until it has."""
    if statement.pdf_ready:
        return True
    if statement.run.status not in PayoutRun.DOCUMENTED_STATUSES:
        raise InvalidTransition(
            f"Run {statement.run.reference} is {statement.run.status}: its statements have no document yet."
        )
    from .tasks import render_statement_pdf

    key = f"statement-pdf-requested:{statement.pk}:{statement.run.status}"
    # Asked once a minute at most; counted only when the request commits (and so really asks).
    transaction.on_commit(lambda: cache.add(key, True, timeout=60) and render_statement_pdf.delay(statement.pk))
    statement.refresh_from_db(fields=["pdf", "pdf_status"])  # a task run in-process (no broker) is done already
    return statement.pdf_ready


def statement_pdf_store(*, statement_id: int) -> bool:
    """Render and store a statement's PDF unless the stored one shows the run as it is now; True
    when this call stored one. Runs in a worker, outside any transaction.

    The first rendering takes the snapshot the document keeps (payee name, address, masked payout
    method); the one after approval fixes the issue date. A conditional UPDATE stores the file, so
    two workers given the same statement never both replace it.
    """
    from .pdf import payee_snapshot, statement_filename, statement_pdf

    with scopes_disabled():
        statement = PayoutStatement.objects.select_related("run", "partner").filter(pk=statement_id).first()
        if statement is None or statement.pdf_ready or statement.run.status not in PayoutRun.DOCUMENTED_STATUSES:
            return False
        run = statement.run
        taken = {}
        if not statement.payee_name:
            taken.update(payee_snapshot(statement.partner))
        if statement.issued_on is None and run.approved_at is not None:
            taken["issued_on"] = timezone.localdate(run.approved_at)
        for field, value in taken.items():
            setattr(statement, field, value)
        previous = statement.pdf.name
        document = statement_pdf(statement)
        statement.pdf.save(statement_filename(statement), document, save=False)
        stored = PayoutStatement.objects.filter(pk=statement.pk, pdf=previous or "").update(
            pdf=statement.pdf.name, pdf_status=run.status, **taken
        )
        storage = statement.pdf.storage
        if not stored:
            storage.delete(statement.pdf.name)
        elif previous:
            storage.delete(previous)
        return bool(stored)


ZIP_BUILD_PATIENCE = timedelta(minutes=30)


def statements_zip_request(*, run: PayoutRun, by: User) -> PayoutRun:
    """Finance asks for all of a run's PDFs in one ZIP: built by a worker once the transaction
    commits (one build at a time per run); the run reports its progress until the ZIP is ready."""
    _require_finance(by, "download payout statements")
    if run.zip_ready:
        return run
    if run.status not in PayoutRun.DOCUMENTED_STATUSES:
        raise InvalidTransition(f"Run {run.reference} is {run.status}: its statements have no documents yet.")
    from .tasks import build_statements_zip

    # One build at a time; a build asked for long ago whose task was lost (a broker outage at
    # enqueue time) is asked for again. Two builds at once are harmless, only wasteful.
    now = timezone.now()
    claimed = (
        PayoutRun.objects.filter(pk=run.pk)
        .exclude(zip_status=ZipStatus.BUILDING, zip_requested_at__gt=now - ZIP_BUILD_PATIENCE)
        .update(zip_status=ZipStatus.BUILDING, zip_progress=0, zip_error="", zip_requested_at=now)
    )
    if claimed:
        build_statements_zip.delay_on_commit(run.pk)
    return PayoutRun.objects.get(pk=run.pk)
